/**
 * HEAP_GROWTH_PERCENT (src/heap-growth.ts): the service sets V8's heap growing factor at start, or
 * leaves V8's own choice for 0; the variable is parsed like every other (one line on a bad value).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.js';
import { applyHeapGrowth } from '../src/heap-growth.js';

describe('HEAP_GROWTH_PERCENT', () => {
  it('defaults to 100 and refuses what is not a whole number from 0 to 1000', () => {
    expect(configSchema.parse({}).HEAP_GROWTH_PERCENT).toBe(100);
    expect(configSchema.parse({ HEAP_GROWTH_PERCENT: '0' }).HEAP_GROWTH_PERCENT).toBe(0);
    for (const bad of ['-1', '1001', 'abc', '1.5']) expect(configSchema.safeParse({ HEAP_GROWTH_PERCENT: bad }).success, bad).toBe(false);
  });

  it("sets V8's --heap-growing-percent, and nothing for 0", () => {
    const set: string[] = [];
    expect(applyHeapGrowth(100, (f) => set.push(f))).toBe(true);
    expect(applyHeapGrowth(0, (f) => set.push(f))).toBe(false);
    expect(set).toEqual(['--heap-growing-percent=100']);
  });

  it('is a flag this V8 accepts at run time', () => {
    // an unknown flag would make V8 print "Error: unrecognized flag"
    const r = spawnSync(process.execPath, ['-e', "require('node:v8').setFlagsFromString('--heap-growing-percent=100')"], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/unrecognized|unknown/i);
    const bad = spawnSync(process.execPath, ['-e', "require('node:v8').setFlagsFromString('--heap-growing-percent-not-a-flag=1')"], {
      encoding: 'utf8',
    });
    expect(bad.stderr + bad.stdout).toMatch(/unrecognized|unknown|Error/i);
  });
});
