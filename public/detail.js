/* intent-projector dashboard: the detail view of one intent (#/intent/<intentId>, opened by a row
 * click or the search box). Follows the intent with intent-projector/client (served by the service
 * at /client/intent-client.js) on a connection of its own, so the table's room memberships are not
 * touched: subscribe:intent answers with intent:status (or intent:not_found) and the settlement
 * proof, then every change; the client resubscribes after a reconnect. Shows the projection, the
 * HTLC timeline with its tx hashes, the settlement proof and the updates seen while open. */
import { IntentClient } from '/client/intent-client.js';

{
  var ID = /^0x[0-9a-fA-F]{64}$/;
  var HTLC_ORDER = ['none', 'awaiting_source_lock', 'source_locked', 'destination_locked', 'destination_withdrawn', 'source_withdrawn'];
  /** [step, label, tx hash key, done(d)] in protocol order */
  var STEPS = [
    ['submitted', 'submitted', null, (d) => d.createdAt !== null],
    ['proofs_verified', 'proofs verified', null, (d) => d.proofStatus === 'verified'],
    ['matched', 'matched', null, (d) => d.matchedAt !== null],
    ['source_locked', 'source locked', 'sourceLock', (d) => htlcAtLeast(d, 'source_locked')],
    ['destination_locked', 'destination locked', 'destinationLock', (d) => htlcAtLeast(d, 'destination_locked')],
    ['destination_withdrawn', 'destination withdrawn', 'destinationWithdraw', (d) => htlcAtLeast(d, 'destination_withdrawn')],
    ['source_withdrawn', 'source withdrawn', 'sourceWithdraw', (d) => htlcAtLeast(d, 'source_withdrawn')],
    ['completed', 'completed', null, (d) => d.completedAt !== null],
  ];
  var REFUNDS = [
    ['source_refunded', 'source refunded', 'sourceRefund'],
    ['destination_refunded', 'destination refunded', 'destinationRefund'],
  ];
  var FIELDS = [
    'status',
    'proofStatus',
    'htlcState',
    'amount',
    'fromChain',
    'toChain',
    'solver',
    'user',
    'createdAt',
    'updatedAt',
    'matchedAt',
    'completedAt',
    'error',
    'failureReason',
    'version',
  ];

  var $ = (id) => document.getElementById(id);
  var client = new IntentClient({ socket: { forceNew: true } });
  var following = null;
  var state = { data: null, proof: null, removed: false, missing: false, updates: [] };

  function htlcAtLeast(d, s) {
    return d.htlcState !== 'refunded' && HTLC_ORDER.indexOf(d.htlcState) >= HTLC_ORDER.indexOf(s);
  }

  function open(id) {
    if (following !== null) following.unsubscribe();
    state = { data: null, proof: null, removed: false, missing: false, updates: [] };
    $('intent-detail').hidden = false;
    $('detail-id').textContent = id;
    following = client.followIntent(id, {
      intent: (p) => {
        if (state.data !== null && p.version <= state.data.version) return;
        state.data = p;
        state.removed = false;
        state.missing = false;
        state.updates.push({ at: p.updatedAt, status: p.status, htlcState: p.htlcState, version: p.version });
        render();
      },
      settlementProof: (p) => {
        state.proof = p;
        render();
      },
      notFound: () => {
        state.missing = state.data === null;
        render();
      },
      removed: () => {
        state.removed = true;
        render();
      },
    });
    render();
  }

  function close() {
    if (following !== null) following.unsubscribe();
    following = null;
    $('intent-detail').hidden = true;
  }

  function route() {
    var m = /^#\/intent\/(.+)$/.exec(location.hash);
    if (m && ID.test(m[1])) open(m[1].toLowerCase());
    else close();
  }

  function render() {
    var d = state.data;
    var el = $('intent-detail');
    el.dataset.loaded = d !== null ? 'true' : state.missing ? 'missing' : 'false';
    $('detail-status').textContent = state.removed ? 'removed' : d ? d.status : state.missing ? 'not found' : 'loading…';
    $('detail-status').dataset.status = state.removed ? 'removed' : d ? d.status : '';
    $('detail-fields').innerHTML = d
      ? FIELDS.map((f) => `<dt>${esc(f)}</dt><dd data-field="${esc(f)}">${esc(d[f] == null ? '–' : d[f])}</dd>`).join('')
      : '';
    var steps = d ? STEPS.map((s) => ({ step: s[0], label: s[1], tx: s[2] && d.txHashes[s[2]], done: s[3](d) })) : [];
    if (d)
      REFUNDS.forEach((r) => {
        if (d.txHashes[r[2]]) steps.push({ step: r[0], label: r[1], tx: d.txHashes[r[2]], done: true });
      });
    $('detail-timeline').innerHTML = steps
      .map(
        (s) =>
          `<li data-testid="timeline-step" data-step="${esc(s.step)}" data-done="${s.done}" class="${s.done ? 'done' : ''}">` +
          `<span class="dot"></span><span class="label">${esc(s.label)}</span>` +
          (s.tx ? `<code class="tx" data-testid="tx-hash" data-tx="${esc(s.step)}">${esc(s.tx)}</code>` : '') +
          '</li>',
      )
      .join('');
    var proof = state.proof;
    $('detail-proof').innerHTML = proof
      ? `<code data-testid="settlement-proof">${esc(proof.proof)}</code><span class="hint">verifier ${esc(proof.verifier || '–')}</span>`
      : '<span class="hint" data-testid="settlement-proof-none">no settlement proof yet</span>';
    $('detail-updates').innerHTML = state.updates
      .slice(-12)
      .map(
        (u) =>
          `<li>v${esc(u.version)} ${esc(u.status)} · ${esc(u.htlcState)} <span class="hint">${esc(u.at ? new Date(u.at).toLocaleTimeString() : '')}</span></li>`,
      )
      .join('');
  }

  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    var v = $('search-input').value.trim();
    var msg = $('search-error');
    if (!ID.test(v)) {
      msg.hidden = false;
      msg.textContent = 'an intent id is 0x followed by 64 hex digits';
      return;
    }
    msg.hidden = true;
    location.hash = `#/intent/${v.toLowerCase()}`;
  });
  $('detail-close').addEventListener('click', () => {
    location.hash = '';
  });
  $('intents-body').addEventListener('click', (e) => {
    var tr = e.target.closest('tr[data-intent-id]');
    if (tr) location.hash = `#/intent/${tr.dataset.intentId}`;
  });
  window.addEventListener('hashchange', route);
  route();

  function esc(v) {
    return String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }
}
