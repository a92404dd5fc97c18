/* intent-projector dashboard: events applied per second and consumer lag over the last minutes,
 * drawn with uPlot (served by the service from its npm dependency, /vendor/uplot/). Samples the
 * service's own /metrics every 2 s: intent_projector_events_applied_total (a counter: the rate is
 * its difference between two samples) and the sum of intent_projector_consumer_lag over partitions. */
(() => {
  var EVERY_MS = 2000;
  var WINDOW_S = 300;
  var times = [];
  var rates = [];
  var lags = [];
  var last = null;
  var charts = {};

  function parse(text) {
    var applied = null;
    var lag = 0;
    text.split('\n').forEach((line) => {
      if (line.startsWith('intent_projector_events_applied_total ')) applied = Number(line.split(' ')[1]);
      else if (line.startsWith('intent_projector_consumer_lag{')) lag += Number(line.slice(line.lastIndexOf(' ') + 1));
    });
    return { applied: applied, lag: lag };
  }

  function chart(id, label, stroke, fill) {
    var el = document.getElementById(id);
    var opts = {
      width: Math.max(280, el.clientWidth),
      height: 160,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { stroke: '#8b95a7', grid: { stroke: 'rgba(128,128,128,0.2)' } },
        { stroke: '#8b95a7', grid: { stroke: 'rgba(128,128,128,0.2)' }, size: 56 },
      ],
      series: [{}, { label: label, stroke: stroke, fill: fill, width: 2, points: { show: false } }],
    };
    charts[id] = new uPlot(opts, [[], []], el);
    return charts[id];
  }

  function show(id, values) {
    var el = document.getElementById(id);
    charts[id].setData([times, values]);
    el.dataset.points = String(values.length);
    el.dataset.last = values.length ? String(values[values.length - 1]) : '';
  }

  async function sample() {
    try {
      var res = await fetch('/metrics', { cache: 'no-store' });
      if (!res.ok) return;
      var m = parse(await res.text());
      var now = Date.now() / 1000;
      if (last !== null && m.applied !== null && now > last.t) {
        times.push(now);
        rates.push(Math.max(0, (m.applied - last.applied) / (now - last.t)));
        lags.push(m.lag);
        while (times.length > 0 && times[0] < now - WINDOW_S) {
          times.shift();
          rates.shift();
          lags.shift();
        }
        show('chart-events', rates);
        show('chart-lag', lags);
      }
      if (m.applied !== null) last = { t: now, applied: m.applied };
    } catch {
      // the service is away: the connection pill says so; keep the last picture
    }
  }

  chart('chart-events', 'events applied / s', '#4f9dff', 'rgba(79,157,255,0.15)');
  chart('chart-lag', 'consumer lag (records)', '#f5a623', 'rgba(245,166,35,0.15)');
  window.addEventListener('resize', () => {
    Object.keys(charts).forEach((id) => {
      charts[id].setSize({ width: Math.max(280, document.getElementById(id).clientWidth), height: 160 });
    });
  });
  sample();
  setInterval(sample, EVERY_MS);
})();
