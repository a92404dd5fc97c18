/* intent-projector dashboard: plain browser JavaScript, no build step, no external resources.
 * Connects with io(), joins the all-intents room (subscribe:all), and shows mempool:stats, the most
 * recent intents (subscribing to each shown intent's room for its full intent:status updates),
 * the received events per second and the connection state.
 * With a filter (public/filters.js, window.intentTable below), the table shows the filter's intents
 * instead: filters.js loads them (GET /intents) and follows them (intent-projector/client); the
 * all-intents events here then only update rows already shown, and a row whose intent stops
 * matching leaves the table. */
(() => {
  var MAX_ROWS = 50;
  var RATE_WINDOW_MS = 5000;
  /** client → server messages per second the page allows itself (the server limits sockets) */
  var SEND_PER_SECOND = 8;
  var STAT_KEYS = ['total', 'submitted', 'matched', 'executing', 'completed', 'failed', 'cancelled'];
  var CHAINS = { 1: 'Ethereum', 10: 'Optimism', 56: 'BNB', 137: 'Polygon', 8453: 'Base', 42161: 'Arbitrum', 43114: 'Avalanche' };

  var $ = (id) => document.getElementById(id);
  var params = new URLSearchParams(location.search);
  var token = params.get('token') || undefined;

  /** intentId → { data, transitions: [status], removed, subscribed, order } */
  var rows = new Map();
  var order = 0;
  var receivedTimes = [];
  var received = 0;
  var dirty = false;
  /** the table's filter ({status?, fromChain?, toChain?, solver?, user?}) or null: every intent */
  var filter = null;
  /** chain ids, solvers and users seen, offered as filter choices */
  var seen = { chains: new Set(Object.keys(CHAINS).map(Number)), solvers: new Set(), users: new Set() };

  // ---------------------------------------------------------------- connection
  var socket = io({ transports: ['websocket', 'polling'], auth: token ? { token: token } : undefined });

  function setConnection(state, text) {
    var el = $('connection');
    el.dataset.state = state;
    el.textContent = text || state;
  }

  socket.on('connect', () => {
    setConnection('connected');
    socket.emit('subscribe:all', (ack) => {
      if (ack && ack.ok === false) showError(`subscribe:all refused: ${ack.code} ${ack.message}`);
    });
    // rooms do not survive a reconnect: join the shown intents' rooms again
    rows.forEach((row, id) => {
      row.subscribed = false;
      if (!row.removed) queueSend('subscribe:intent', id);
    });
  });
  socket.on('disconnect', (reason) => {
    setConnection(socket.active ? 'reconnecting' : 'disconnected', socket.active ? 'reconnecting…' : 'disconnected');
    sendQueue.length = 0;
    if (!socket.active) showError(`disconnected: ${reason}`);
  });
  socket.on('connect_error', (err) => {
    setConnection(socket.active ? 'reconnecting' : 'disconnected', socket.active ? 'reconnecting…' : 'disconnected');
    showError(`connection error: ${err?.message ? err.message : err}`);
  });
  socket.io.on('reconnect_attempt', () => {
    setConnection('reconnecting', 'reconnecting…');
  });

  // ---------------------------------------------------------------- throttled client messages
  var sendQueue = [];
  setInterval(() => {
    if (!socket.connected) return;
    for (var i = 0; i < SEND_PER_SECOND && sendQueue.length > 0; i++) {
      var msg = sendQueue.shift();
      var row = rows.get(msg.id);
      if (msg.event === 'subscribe:intent') {
        if (!row || row.removed || row.subscribed) {
          i--;
          continue;
        }
        row.subscribed = true;
      }
      socket.emit(msg.event, msg.id);
    }
  }, 1000);

  function queueSend(event, id) {
    for (var i = 0; i < sendQueue.length; i++) {
      if (sendQueue[i].id === id) {
        sendQueue.splice(i, 1);
        break;
      }
    }
    sendQueue.push({ event: event, id: id });
    // keep the queue short: old subscribe requests are the least useful
    while (sendQueue.length > MAX_ROWS) sendQueue.shift();
  }

  // ---------------------------------------------------------------- events
  function countEvent() {
    received++;
    receivedTimes.push(Date.now());
  }

  socket.on('mempool:stats', (s) => {
    STAT_KEYS.forEach((k) => {
      var el = $(`stat-${k}`);
      var v = String(s[k]);
      if (el.textContent !== v) {
        el.textContent = v;
        flash(el.parentElement);
      }
    });
    $('stats-updated').textContent = `stats updated ${new Date().toLocaleTimeString()}`;
  });

  // with a filter, the filter's subscription (filters.js) brings new rows; these only update shown ones
  function onIntent(payload) {
    countEvent();
    if (!filter || rows.has(payload.intentId)) upsert(payload);
  }
  socket.on('intent:new', onIntent);
  socket.on('intent:status_changed', onIntent);
  socket.on('intent:status', onIntent);

  function onProof(p) {
    countEvent();
    applyProof(p);
  }
  function applyProof(p) {
    var row = rows.get(p.intentId);
    if (!row) return;
    if (p.timestamp >= (row.data.timestamp || 0)) {
      row.data.proofStatus = p.proofStatus;
      // the normalized status of a SUBMITTED intent follows its proof (docs/contract.md § Status model)
      if (row.data.status === 'proofs_pending' && p.proofStatus === 'verified') {
        row.data.status = 'proofs_verified';
        pushTransition(row, 'proofs_verified');
      }
      if (!matches(row.data)) leave(p.intentId);
      else touch(row);
    }
  }
  socket.on('intent:proof_changed', onProof);
  socket.on('intent:proof', onProof);
  socket.on('intent:settlement_proof', (p) => {
    countEvent();
    var row = rows.get(p.intentId);
    if (row) {
      row.settlement = true;
      touch(row);
    }
  });
  socket.on('intent:removed', (p) => {
    countEvent();
    applyRemoved(p.intentId);
  });
  function applyRemoved(id) {
    var row = rows.get(id);
    if (!row) return;
    // a filter shows the intents matching now: a removed one leaves; the live table strikes it through
    if (filter) {
      leave(id);
      return;
    }
    row.removed = true;
    pushTransition(row, 'removed');
    if (row.subscribed) {
      queueSend('unsubscribe:intent', id);
      row.subscribed = false;
    }
    touch(row);
  }
  socket.on('intent:not_found', () => {
    countEvent();
  });
  socket.on('error', (e) => {
    if (e && e.code === 'RATE_LIMITED') return;
    showError((e?.event ? `${e.event}: ` : '') + (e?.code ? `${e.code} ` : '') + (e?.message ? e.message : ''));
  });

  function upsert(p) {
    remember(p);
    var row = rows.get(p.intentId);
    // with a filter, two connections bring a shown intent's changes (this page's subscribe:all and
    // the filter's, filters.js), and either may lag the other: an older version than the row's says
    // nothing about now, so it neither updates the row nor makes it leave the filter
    if (row && p.version < row.data.version) return;
    if (!matches(p)) {
      leave(p.intentId);
      return;
    }
    if (!row) {
      row = { data: p, transitions: [], removed: false, subscribed: false, order: ++order, settlement: false };
      rows.set(p.intentId, row);
      evict();
      queueSend('subscribe:intent', p.intentId);
    } else {
      // intent:status (per-intent room) and intent:status_changed (all room) carry the same change: the newest is kept (above)
      row.data = p;
      row.removed = false;
      row.order = ++order;
    }
    pushTransition(row, p.status);
    touch(row);
  }

  function matches(p) {
    if (!filter) return true;
    for (var k in filter) if (filter[k] !== undefined && p[k] !== filter[k]) return false;
    return true;
  }

  /** the row goes (its intent no longer matches the filter) */
  function leave(id) {
    var row = rows.get(id);
    if (!row) return;
    rows.delete(id);
    if (row.subscribed) queueSend('unsubscribe:intent', id);
    dirty = true;
  }

  function remember(p) {
    if (p.fromChain != null) seen.chains.add(p.fromChain);
    if (p.toChain != null) seen.chains.add(p.toChain);
    if (p.solver && seen.solvers.size < 200) seen.solvers.add(p.solver);
    if (p.user && seen.users.size < 200) seen.users.add(p.user);
  }

  function clearRows() {
    rows.forEach((row, id) => {
      if (row.subscribed) queueSend('unsubscribe:intent', id);
    });
    rows.clear();
    dirty = true;
  }

  /** The table's side of filters.js: the filter, its list, and what its subscription delivers. */
  window.intentTable = {
    chainName: chain,
    seen: seen,
    setFilter: (f) => {
      filter = f;
      clearRows();
      $('table-title').textContent = f ? 'Matching intents' : 'Recent intents';
      $('empty').textContent = f
        ? 'No intent matches the filter. Intents that come to match it appear here as they change.'
        : 'No intent events yet. New intents and status changes appear here as they happen.';
    },
    /** the list (newest first) replaces the rows */
    load: (intents) => {
      clearRows();
      for (var i = Math.min(intents.length, MAX_ROWS) - 1; i >= 0; i--) upsert(intents[i]);
    },
    upsert: (p) => {
      countEvent();
      upsert(p);
    },
    proof: (p) => {
      countEvent();
      applyProof(p);
    },
    settlement: (p) => {
      countEvent();
      var row = rows.get(p.intentId);
      if (row) {
        row.settlement = true;
        touch(row);
      }
    },
    removed: (id) => {
      countEvent();
      applyRemoved(id);
    },
    leave: leave,
    error: (text) => showError(text),
  };

  function pushTransition(row, status) {
    if (row.transitions[row.transitions.length - 1] !== status) row.transitions.push(status);
  }

  function evict() {
    if (rows.size <= MAX_ROWS) return;
    var oldest = null;
    rows.forEach((row, id) => {
      if (oldest === null || row.order < rows.get(oldest).order) oldest = id;
    });
    var row = rows.get(oldest);
    rows.delete(oldest);
    if (row.subscribed) queueSend('unsubscribe:intent', oldest);
  }

  function touch(row) {
    row.touched = Date.now();
    dirty = true;
  }

  // ---------------------------------------------------------------- rendering
  function render() {
    if (!dirty) return;
    dirty = false;
    var body = $('intents-body');
    var sorted = Array.from(rows.entries()).sort((a, b) => b[1].order - a[1].order);
    var now = Date.now();
    var html = sorted
      .map((entry) => {
        var id = entry[0];
        var row = entry[1];
        var d = row.data;
        var status = row.removed ? 'removed' : d.status;
        var fresh = row.touched && now - row.touched < 1200 ? ' fresh' : '';
        return (
          '<tr data-testid="intent-row" data-intent-id="' +
          esc(id) +
          '" data-status="' +
          esc(status) +
          '" class="' +
          (row.removed ? 'removed' : '') +
          fresh +
          '">' +
          '<td class="mono" title="' +
          esc(id) +
          '">' +
          esc(shortHex(id, 10, 6)) +
          '</td>' +
          '<td><span class="badge s-' +
          esc(status) +
          '" data-field="status">' +
          esc(status) +
          '</span></td>' +
          '<td><span class="badge p-' +
          esc(d.proofStatus) +
          '" data-field="proofStatus">' +
          esc(d.proofStatus) +
          '</span>' +
          (row.settlement ? ' <span class="tag" title="settlement proof received">settlement</span>' : '') +
          '</td>' +
          '<td data-field="htlcState">' +
          esc(d.htlcState) +
          '</td>' +
          '<td class="num" data-field="amount">' +
          esc(d.amount == null ? '–' : d.amount) +
          '</td>' +
          '<td data-field="route">' +
          esc(chain(d.fromChain)) +
          ' → ' +
          esc(chain(d.toChain)) +
          '</td>' +
          '<td class="mono" title="' +
          esc(d.solver || '') +
          '">' +
          esc(d.solver ? shortHex(d.solver, 6, 4) : '–') +
          '</td>' +
          '<td class="mono" data-field="user" title="' +
          esc(d.user || '') +
          '">' +
          esc(d.user ? shortHex(d.user, 6, 4) : '–') +
          '</td>' +
          '<td class="transitions" data-field="transitions">' +
          esc(row.transitions.slice(-6).join(' → ')) +
          '</td>' +
          '<td class="time" title="' +
          esc(d.updatedAt || '') +
          '">' +
          esc(d.updatedAt ? new Date(d.updatedAt).toLocaleTimeString() : '–') +
          '</td>' +
          '</tr>'
        );
      })
      .join('');
    body.innerHTML = html;
    $('row-count').textContent = String(sorted.length);
    $('empty').hidden = sorted.length > 0;
  }

  function renderRate() {
    var cutoff = Date.now() - RATE_WINDOW_MS;
    while (receivedTimes.length > 0 && receivedTimes[0] < cutoff) receivedTimes.shift();
    var elapsed = Math.min(RATE_WINDOW_MS, Date.now() - startedAt);
    var rate = elapsed > 0 ? (receivedTimes.length * 1000) / elapsed : 0;
    $('events-per-second').textContent = rate >= 10 ? String(Math.round(rate)) : rate.toFixed(1);
    $('events-received').textContent = String(received);
    // the "fresh" highlight fades
    dirty = dirty || Array.from(rows.values()).some((r) => r.touched && Date.now() - r.touched < 2000);
  }

  function refreshReadiness() {
    fetch('/readyz', { cache: 'no-store' })
      .then((res) =>
        res.text().then((text) => {
          var el = $('readiness');
          var reason = '';
          try {
            var j = JSON.parse(text);
            reason = j.reason || j.status || '';
          } catch {
            reason = text.slice(0, 60);
          }
          el.dataset.state = res.ok ? 'ready' : 'not-ready';
          el.textContent = res.ok ? 'ready' : `not ready${reason ? `: ${reason}` : ''}`;
        }),
      )
      .catch(() => {
        var el = $('readiness');
        el.dataset.state = 'unknown';
        el.textContent = 'readiness unknown';
      });
  }

  var startedAt = Date.now();
  setInterval(render, 250);
  setInterval(renderRate, 500);
  setInterval(refreshReadiness, 5000);
  refreshReadiness();

  // ---------------------------------------------------------------- helpers
  function showError(text) {
    var el = $('last-error');
    el.hidden = false;
    el.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  }
  function flash(el) {
    el.classList.remove('flash');
    void el.offsetWidth;
    el.classList.add('flash');
  }
  function chain(id) {
    if (id == null) return '?';
    return CHAINS[id] || `chain ${id}`;
  }
  function shortHex(s, head, tail) {
    return s.length <= head + tail + 1 ? s : `${s.slice(0, head)}…${s.slice(-tail)}`;
  }
  function esc(v) {
    return String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }
})();
