/* intent-projector dashboard: the table's filters (status, source and destination chain, solver,
 * user). A filter is loaded through GET /intents and followed with intent-projector/client on a
 * connection of its own (followFilter with loadList: the list, then subscribe:intents from the
 * list's position; status is applied by the client). Rows that come to match appear, rows that stop
 * matching leave (the client's `left`), and after a reconnect the client resumes or reloads the
 * list. The filter is kept in the page's query string (?status=executing&fromChain=8453), so a
 * filtered view can be bookmarked or shared. The table itself is dashboard.js's (window.intentTable). */
import { IntentClient } from '/client/intent-client.js';

{
  var $ = (id) => document.getElementById(id);
  var table = window.intentTable;
  var params = new URLSearchParams(location.search);
  var token = params.get('token') || undefined;
  var FIELDS = ['status', 'fromChain', 'toChain', 'solver', 'user'];
  var INPUTS = {
    status: 'filter-status',
    fromChain: 'filter-from-chain',
    toChain: 'filter-to-chain',
    solver: 'filter-solver',
    user: 'filter-user',
  };
  /** the table shows 50 rows: the newest 50 matching intents */
  var client = new IntentClient({ token: token, maxListed: 50, socket: { forceNew: true } });
  var following = null;

  /** The filter the form describes (only the fields given), or null. */
  function fromForm() {
    var f = {};
    FIELDS.forEach((k) => {
      var v = $(INPUTS[k]).value.trim();
      if (v === '') return;
      f[k] = k === 'fromChain' || k === 'toChain' ? Number(v) : v;
    });
    return Object.keys(f).length === 0 ? null : f;
  }

  function setState(state, text) {
    var el = $('filter-state');
    el.dataset.state = state;
    el.textContent = text;
  }

  function describe(f) {
    return FIELDS.filter((k) => f[k] !== undefined)
      .map((k) => `${k} ${k.endsWith('Chain') ? table.chainName(f[k]) : f[k]}`)
      .join(', ');
  }

  function apply(f) {
    if (following !== null) following.unsubscribe();
    following = null;
    writeUrl(f);
    table.setFilter(f);
    if (f === null) {
      setState('off', 'showing every intent as it changes');
      return;
    }
    setState('loading', `loading ${describe(f)}…`);
    var sub = client.followFilter(
      f,
      {
        list: (intents) => {
          if (following !== sub) return;
          table.load(intents);
          setState('live', `${describe(f)}: live (GET /intents, then subscribe:intents)`);
        },
        intent: (p) => table.upsert(p),
        proof: (p) => table.proof(p),
        settlementProof: (p) => table.settlement(p),
        removed: (r) => table.removed(r.intentId),
        left: (id) => table.leave(id),
        error: (e) => {
          setState('error', `filter: ${e.code ? `${e.code} ` : ''}${e.message}`);
          table.error(`filter: ${e.message}`);
        },
      },
      { loadList: true },
    );
    following = sub;
  }

  function writeUrl(f) {
    var q = new URLSearchParams(location.search);
    FIELDS.forEach((k) => {
      q.delete(k);
    });
    if (f !== null)
      FIELDS.forEach((k) => {
        if (f[k] !== undefined) q.set(k, String(f[k]));
      });
    var s = q.toString();
    history.replaceState(null, '', `${location.pathname}${s ? `?${s}` : ''}${location.hash}`);
  }

  /** Chain choices: the named chains and every chain id seen so far; solver and user suggestions likewise. */
  function refreshChoices() {
    ['filter-from-chain', 'filter-to-chain'].forEach((id) => {
      var sel = $(id);
      var have = new Set(Array.from(sel.options).map((o) => o.value));
      Array.from(table.seen.chains)
        .sort((a, b) => a - b)
        .forEach((c) => {
          if (have.has(String(c))) return;
          var o = document.createElement('option');
          o.value = String(c);
          o.textContent = `${table.chainName(c)} (${c})`;
          sel.appendChild(o);
        });
    });
    fillList('known-solvers', table.seen.solvers);
    fillList('known-users', table.seen.users);
  }

  function fillList(id, values) {
    var list = $(id);
    if (list.childElementCount === values.size) return;
    list.innerHTML = '';
    values.forEach((v) => {
      var o = document.createElement('option');
      o.value = v;
      list.appendChild(o);
    });
  }

  // selects apply at once; the text fields on Enter (or the apply button)
  ['filter-status', 'filter-from-chain', 'filter-to-chain'].forEach((id) => {
    $(id).addEventListener('change', () => apply(fromForm()));
  });
  $('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    apply(fromForm());
  });
  $('filter-clear').addEventListener('click', () => {
    FIELDS.forEach((k) => {
      $(INPUTS[k]).value = '';
    });
    apply(null);
  });

  // a filter in the address: fill the form, then follow it
  refreshChoices();
  FIELDS.forEach((k) => {
    var v = params.get(k);
    if (v === null) return;
    var el = $(INPUTS[k]);
    if (el.tagName === 'SELECT' && !Array.from(el.options).some((o) => o.value === v)) {
      var o = document.createElement('option');
      o.value = v;
      o.textContent = k.endsWith('Chain') ? `${table.chainName(Number(v))} (${v})` : v;
      el.appendChild(o);
    }
    el.value = v;
  });
  if (fromForm() !== null) apply(fromForm());
  setInterval(refreshChoices, 2000);
}
