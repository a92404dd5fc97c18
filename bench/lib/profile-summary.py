#!/usr/bin/env python3
"""Summarises a .cpuprofile or .heapprofile (bench/lib/service-probe.ts writes both for the measured
traffic of bench/latency.ts): self and inclusive shares by function and by package.

  python3 bench/lib/profile-summary.py FILE [TOP]
"""
import collections
import json
import re
import sys


def package(cf):
    u = cf['url']
    m = re.search(r'node_modules/((@[^/]+/)?[^/]+)', u)
    if m:
        return m.group(1)
    if '/src/' in u:
        return 'src/' + u.split('/src/')[1]
    if '/bench/' in u:
        return 'bench/' + u.split('/bench/')[1]
    if u.startswith('node:'):
        return u
    return u.split('/')[-1] if u else (cf['functionName'] or '(native)')


def key(cf):
    return f"{cf['functionName'] or '(anonymous)'} {package(cf)}:{cf['lineNumber'] + 1}"


def report(weights, parent, frames, total, unit, top):
    own = collections.Counter()
    pk = collections.Counter()
    incl = collections.Counter()
    for node, w in weights.items():
        cf = frames[node]
        own[key(cf)] += w
        pk[package(cf)] += w
        seen = set()
        x = node
        while x is not None:
            k = key(frames[x])
            if k not in seen:
                incl[k] += w
                seen.add(k)
            x = parent.get(x)
    print(f'total {total:.0f} {unit}')
    print('--- self, by package')
    for k, v in pk.most_common(top):
        print(f'{100 * v / total:6.1f} % {k}')
    print('--- self, by function')
    for k, v in own.most_common(top):
        print(f'{100 * v / total:6.1f} % {k}')
    print('--- inclusive, by function')
    for k, v in incl.most_common(top * 2):
        print(f'{100 * v / total:6.1f} % {k}')


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    p = json.load(open(path))
    parent = {}
    frames = {}
    weights = collections.Counter()
    if 'nodes' in p:  # CPU profile: samples of node ids, idle excluded (shares of the busy time)
        for n in p['nodes']:
            frames[n['id']] = n['callFrame']
            for c in n.get('children', []):
                parent[c] = n['id']
        idle = 0
        for s in p['samples']:
            if frames[s]['functionName'] == '(idle)':
                idle += 1
            else:
                weights[s] += 1
        busy = sum(weights.values())
        print(f'samples {busy + idle}, idle {idle} ({100 * idle / max(1, busy + idle):.1f} %); shares below are of the busy samples')
        report(weights, parent, frames, busy, 'busy samples', top)
    else:  # sampling heap profile: bytes allocated per node
        stack = [(p['head'], None)]
        while stack:
            n, par = stack.pop()
            frames[n['id']] = n['callFrame']
            if par is not None:
                parent[n['id']] = par
            if n['selfSize']:
                weights[n['id']] += n['selfSize']
            for c in n.get('children', []):
                stack.append((c, n['id']))
        report(weights, parent, frames, sum(weights.values()), 'bytes sampled', top)


main()
