/* intent-projector dashboard: the detail view of one intent (#/intent/<intentId>, opened by a row
 * click or the search box). Loads GET /intents/:id and GET /intents/:id/settlement-proof, then
 * follows the intent's room on a connection of its own (so the table's room memberships are not
 * touched) and shows the projection, the HTLC timeline with its tx hashes, the settlement proof
 * and the updates seen while open. */
(() => {
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
  var token = new URLSearchParams(location.search).get('token') || undefined;
  var socket = io({ transports: ['websocket', 'polling'], forceNew: true, auth: token ? { token: token } : undefined });
  var current = null;
  var state = { data: null, proof: null, removed: false, updates: [] };

  function htlcAtLeast(d, s) {
    return d.htlcState !== 'refunded' && HTLC_ORDER.indexOf(d.htlcState) >= HTLC_ORDER.indexOf(s);
  }

  socket.on('connect', () => {
    if (current !== null) socket.emit('subscribe:intent', current);
  });
  socket.on('intent:status', (p) => {
    if (p.intentId !== current) return;
    if (state.data !== null && p.version <= state.data.version) return;
    state.data = p;
    state.removed = false;
    state.updates.push({ at: p.updatedAt, status: p.status, htlcState: p.htlcState, version: p.version });
    render();
  });
  socket.on('intent:settlement_proof', (p) => {
    if (p.intentId !== current) return;
    state.proof = p;
    render();
  });
  socket.on('intent:removed', (p) => {
    if (p.intentId !== current) return;
    state.removed = true;
    render();
  });

  async function open(id) {
    if (current !== null && current !== id && socket.connected) socket.emit('unsubscribe:intent', current);
    current = id;
    state = { data: null, proof: null, removed: false, updates: [], missing: false };
    $('intent-detail').hidden = false;
    $('detail-id').textContent = id;
    render();
    var res = await fetch(`/intents/${id}`, { cache: 'no-store' });
    if (current !== id) return;
    if (res.ok) {
      var d = await res.json();
      if (state.data === null || d.version > state.data.version) state.data = d;
    } else state.missing = res.status === 404;
    var pr = await fetch(`/intents/${id}/settlement-proof`, { cache: 'no-store' });
    if (current !== id) return;
    if (pr.ok) state.proof = await pr.json();
    if (socket.connected) socket.emit('subscribe:intent', id);
    render();
  }

  function close() {
    if (current !== null && socket.connected) socket.emit('unsubscribe:intent', current);
    current = null;
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
})();
