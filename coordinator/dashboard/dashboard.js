// The mcscale manager dashboard: charts of the pool's last 30 minutes, the pool now, the
// controls and the latest events, all from the coordinator's manager API (README.md,
// "Manager API"). Plain JavaScript and uPlot (served by the coordinator at /vendor/uplot.js).
// It polls every few seconds; every change goes through the API, so the page keeps no state
// of its own but the admin token (localStorage) and the fields being edited.
'use strict';

(function () {
  const POLL_MS = 3000;
  const WINDOW_S = 30 * 60;
  const TOKEN_KEY = 'mcscale.adminToken';
  const POLICY_FIELDS = ['max_miss_rate', 'min_miss_rate', 'expand_ratio', 'shrink_ratio', 'min_nodes', 'max_nodes'];
  const NODE_FIELDS = ['node_capacity_mb', 'node_policy'];

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  // Builds an element: el('td', {className: 'x'}, 'text', otherNode). Text is never parsed
  // as HTML, so node ids and event reasons cannot inject markup.
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const c of children) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
  const whole = new Intl.NumberFormat('en');
  function fmtBytes(n) {
    if (n == null) return '–';
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
  }
  const fmtCount = (n) => (n == null ? '–' : whole.format(n));
  const fmtTime = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

  // ---- the API -------------------------------------------------------------------------

  function token() { return localStorage.getItem(TOKEN_KEY) || ''; }

  // Resolves to {ok, status, body}; body is the parsed JSON answer (or {error} when the
  // coordinator could not be reached or did not answer JSON). Never rejects.
  async function api(method, path, body) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
    if (token()) init.headers.Authorization = 'Bearer ' + token();
    try {
      const res = await fetch(path, init);
      const text = await res.text();
      let parsed;
      try { parsed = JSON.parse(text); } catch (e) { parsed = { error: text || res.statusText }; }
      return { ok: res.ok, status: res.status, body: parsed };
    } catch (e) {
      return { ok: false, status: 0, body: { error: 'cannot reach the coordinator (' + e.message + ')' } };
    }
  }

  // ---- charts --------------------------------------------------------------------------

  let nowS = Date.now() / 1000;
  let resizeMarks = [];  // [{ts, nodes, reason}] from /api/stats

  // Draws a dashed line with the new pool size at every resize inside the plot.
  function drawResizeMarks(u) {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = '#c2410c';
    ctx.fillStyle = '#c2410c';
    ctx.lineWidth = dpr;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.font = 10 * dpr + 'px sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    for (const mark of resizeMarks) {
      const x = Math.round(u.valToPos(mark.ts / 1000, 'x', true));
      if (x < left || x > left + width) continue;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillText(String(mark.nodes), x + 2 * dpr, top + 2 * dpr);
    }
    ctx.restore();
  }

  // One chart per figure; `pick` turns the figures into y arrays (one per series).
  const CHARTS = {
    nodes: {
      el: '#chart-nodes',
      series: [{ label: 'nodes', stroke: '#2563eb', width: 2, fill: 'rgba(37,99,235,0.08)', stepped: true }],
      pick: (f) => [f.map((x) => x.node_count)],
      yRange: (u, min, max) => [0, Math.max(2, Math.ceil(max) + 1)],
      yValues: (u, ticks) => ticks.map((v) => (Number.isInteger(v) ? String(v) : '')),
    },
    rates: {
      el: '#chart-rates',
      series: [
        { label: 'miss rate', stroke: '#dc2626', width: 2 },
        { label: 'hit rate', stroke: '#16a34a', width: 2 },
      ],
      // A bucket with no gets has no rate: a gap, not a zero.
      pick: (f) => [f.map((x) => (x.gets ? x.miss_rate : null)), f.map((x) => (x.gets ? x.hit_rate : null))],
      yRange: () => [0, 1],
      yValues: (u, ticks) => ticks.map((v) => Math.round(v * 100) + '%'),
    },
    items: {
      el: '#chart-items',
      series: [{ label: 'items', stroke: '#7c3aed', width: 2, fill: 'rgba(124,58,237,0.08)' }],
      pick: (f) => [f.map((x) => x.items)],
      yRange: (u, min, max) => [0, Math.max(10, max * 1.1)],
      yValues: (u, ticks) => ticks.map((v) => compact.format(v)),
    },
    bytes: {
      el: '#chart-bytes',
      series: [
        { label: 'bytes', stroke: '#0891b2', width: 2, fill: 'rgba(8,145,178,0.08)' },
        { label: 'capacity', stroke: '#64748b', width: 1, dash: [6, 4] },
      ],
      pick: (f) => [f.map((x) => x.bytes), f.map((x) => x.capacity)],
      yRange: (u, min, max) => [0, Math.max(1024, max * 1.1)],
      yValues: (u, ticks) => ticks.map(fmtBytes),
      ySize: 70,
    },
    requests: {
      el: '#chart-requests',
      series: [{ label: 'requests/min', stroke: '#ea580c', width: 2, fill: 'rgba(234,88,12,0.08)' }],
      pick: (f) => [f.map((x) => x.requests_per_minute)],
      yRange: (u, min, max) => [0, Math.max(10, max * 1.1)],
      yValues: (u, ticks) => ticks.map((v) => compact.format(v)),
    },
  };
  const charts = {};

  function chartWidth(box) { return Math.max(260, box.clientWidth); }

  function makeCharts() {
    for (const [name, spec] of Object.entries(CHARTS)) {
      const box = $(spec.el);
      const series = [{ label: 'time', value: (u, v) => (v == null ? '–' : fmtTime(v * 1000)) }].concat(
        spec.series.map((s) => Object.assign({ points: { size: 4 } }, s,
          s.stepped ? { paths: uPlot.paths.stepped({ align: 1 }) } : {})));
      const opts = {
        width: chartWidth(box),
        height: 170,
        series,
        scales: {
          x: { time: true, range: () => [nowS - WINDOW_S, nowS] },
          y: { range: spec.yRange },
        },
        axes: [{}, { values: spec.yValues, size: spec.ySize || 50 }],
        legend: { live: true },
        hooks: { draw: [drawResizeMarks] },
      };
      charts[name] = new uPlot(opts, [[]].concat(spec.series.map(() => [])), box);
    }
    window.addEventListener('resize', () => {
      for (const [name, spec] of Object.entries(CHARTS)) {
        charts[name].setSize({ width: chartWidth($(spec.el)), height: 170 });
      }
    });
  }

  function renderStats(stats) {
    const figures = (stats.figures || []).slice().sort((a, b) => a.t - b.t);
    resizeMarks = stats.resizes || [];
    nowS = Date.now() / 1000;
    const xs = figures.map((f) => f.t / 1000);
    for (const [name, spec] of Object.entries(CHARTS)) {
      charts[name].setData([xs].concat(spec.pick(figures)));
      const box = $(spec.el);
      box.dataset.points = String(xs.length);
      const last = charts[name].data[1][xs.length - 1];
      box.dataset.last = last == null ? '' : String(last);
    }
    $('#bucket-note').textContent = stats.bucket_s ? '(one point per ' + stats.bucket_s + ' s)' : '';
  }

  // ---- the pool ------------------------------------------------------------------------

  function renderPool(pool) {
    $('#epoch').textContent = pool.epoch;
    $('#state').textContent = pool.state;
    $('#state').className = pool.state === 'migrating' ? 'warn' : '';
    $('#mode-now').textContent = pool.mode || '–';
    const nodes = pool.node_list || [];
    $('#node-count').textContent = String(nodes.filter((n) => !n.draining).length);
    $('#last-decision').textContent = pool.last_decision ? 'Last policy decision: ' + pool.last_decision : '';

    const rows = nodes.map((n) => {
      const status = n.up === true ? 'up' : n.up === false ? 'down' : 'no sample yet';
      const bytes = fmtBytes(n.bytes) + (n.capacity ? ' of ' + fmtBytes(n.capacity) : '');
      const row = el('tr', { className: n.draining ? 'draining' : '' },
        el('td', {}, n.id, n.draining ? el('span', { className: 'badge' }, 'draining') : ''),
        el('td', {}, n.address),
        el('td', { className: 'num' }, n.regions),
        el('td', { className: 'num' }, fmtCount(n.items)),
        el('td', { className: 'num' }, bytes),
        el('td', {}, el('span', { className: 'status ' + status.replace(/ /g, '-') }, status)));
      row.dataset.node = n.id;
      row.dataset.items = n.items == null ? '' : String(n.items);
      return row;
    });
    $('#pool-table tbody').replaceChildren(...rows);
    renderMigration(pool);
  }

  // While migrating: one bar per moving region, keys moved of keys found (r<R>.found and
  // r<R>.moved in the epoch's migration hash; found is there once the source enumerated).
  function renderMigration(pool) {
    const box = $('#migration');
    const prev = pool.previous_regions;
    if (pool.state !== 'migrating' || !Array.isArray(prev)) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const m = pool.migration || {};
    const num = (k) => Number(m[k] || 0);
    const moving = (pool.regions || []).filter((owner, r) => prev[r] !== owner).length;
    $('#migration-summary').textContent = pool.live_migration === false
      ? '(remap only: keys are not moved)'
      : '(' + num('regions_done') + ' of ' + (m.regions_total || moving) + ' regions done, ' +
        fmtCount(num('keys_moved')) + ' keys moved)';
    const rows = [];
    (pool.regions || []).forEach((owner, r) => {
      if (prev[r] === owner) return;
      const found = m['r' + r + '.found'];
      const moved = num('r' + r + '.moved');
      const done = m['r' + r + '.done'] === '1';
      const total = found === undefined ? 0 : Number(found);
      const bar = el('progress', { max: Math.max(total, 1), value: done ? Math.max(total, 1) : Math.min(moved, total) });
      const text = found === undefined ? 'waiting for the key list'
        : fmtCount(moved) + ' of ' + fmtCount(total) + ' keys' + (done ? ', done' : '');
      const row = el('div', { className: 'region' + (done ? ' done' : '') },
        el('span', { className: 'region-name' }, 'region ' + r + ': ' + prev[r] + ' → ' + owner), bar,
        el('span', { className: 'region-text' }, text));
      row.dataset.region = String(r);
      rows.push(row);
    });
    $('#migration-regions').replaceChildren(...rows);
  }

  // ---- events --------------------------------------------------------------------------

  function renderEvents(events) {
    const rows = (events || []).map((ev) => {
      let reason = ev.reason || '';
      if (ev.old_nodes && ev.new_nodes) {
        const sizes = Object.keys(ev.old_nodes).length + ' → ' + Object.keys(ev.new_nodes).length + ' nodes';
        reason = reason ? reason + ' (' + sizes + ')' : sizes;
      }
      return el('tr', {},
        el('td', { className: 'time' }, fmtTime(ev.ts)),
        el('td', {}, el('span', { className: 'event ' + ev.type.replace('.', '-') }, ev.type)),
        el('td', { className: 'num' }, ev.epoch),
        el('td', {}, reason));
    });
    $('#events-table tbody').replaceChildren(...rows);
  }

  // ---- config and controls -------------------------------------------------------------

  let config = null;

  // Shows the server's message beside each refused field; other errors in `result`.
  function showErrors(group, answer) {
    for (const e of $$('.error', group)) e.textContent = '';
    const result = $('.result', group);
    if (answer.ok) return;
    const fields = answer.body.fields || [];
    let placed = 0;
    for (const f of fields) {
      const spot = $('[data-error-for="' + f.field + '"]');
      if (spot) { spot.textContent = f.message; placed++; }
    }
    if (result && (fields.length === 0 || placed < fields.length)) {
      setResult(result, answer.body.error || 'failed (HTTP ' + answer.status + ')', true);
    }
  }

  function setResult(spot, text, isError) {
    spot.textContent = text;
    spot.classList.toggle('bad', !!isError);
  }

  // Fills the fields from the config, but not one the operator is editing.
  function renderConfig(c) {
    config = c;
    for (const name of ['mode'].concat(POLICY_FIELDS, NODE_FIELDS)) {
      const input = $('#f-' + name);
      if (!input || input.dataset.dirty === '1' || document.activeElement === input) continue;
      input.value = String(c[name]);
    }
    for (const group of $$('[data-mode]')) group.classList.toggle('inactive', group.dataset.mode !== c.mode);
  }

  // The value to send: a number when the text is one, else the text, so the server names
  // the field and says what it expected.
  function fieldValue(name) {
    const text = $('#f-' + name).value.trim();
    if ($('#f-' + name).tagName === 'SELECT') return text;
    return text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
  }

  async function putConfig(group, names) {
    const patch = {};
    for (const n of names) patch[n] = fieldValue(n);
    const result = $('.result', group);
    if (result) setResult(result, 'applying…');
    const answer = await api('PUT', '/api/config', patch);
    showErrors(group, answer);
    if (answer.ok) {
      for (const n of names) delete $('#f-' + n).dataset.dirty;
      renderConfig(answer.body);
      if (result) setResult(result, 'applied');
    } else if (result && !result.classList.contains('bad')) {
      setResult(result, 'refused: see the fields', true);
    }
    return answer;
  }

  async function resize(body, what) {
    const group = $('#resize-group');
    const buttons = $$('button', group);
    buttons.forEach((b) => { b.disabled = true; });
    setResult($('.result', group), what + '…');
    const answer = await api('POST', '/api/pool/resize', body);
    buttons.forEach((b) => { b.disabled = false; });
    if (answer.ok) {
      setResult($('.result', group), what + ': done');
      renderPool(answer.body);
    } else {
      setResult($('.result', group), answer.body.error || 'failed (HTTP ' + answer.status + ')', true);
    }
    refresh();
  }

  async function clearWith(path, question, what) {
    const group = $('#danger-group');
    if (!window.confirm(question)) return;
    setResult($('.result', group), what + '…');
    const answer = await api('POST', path);
    setResult($('.result', group), answer.ok ? what + ': done' : answer.body.error || 'failed (HTTP ' + answer.status + ')',
      !answer.ok);
    refresh();
  }

  function wireControls() {
    for (const input of $$('#policy-form input, #node-form input, #node-form select')) {
      input.addEventListener('input', () => { input.dataset.dirty = '1'; });
    }
    $('#f-mode').addEventListener('change', async () => {
      const group = $('#f-mode').closest('.group');
      const answer = await api('PUT', '/api/config', { mode: $('#f-mode').value });
      showErrors(group, answer);
      if (!answer.ok) {
        const spot = $('[data-error-for="mode"]');
        if (!spot.textContent) spot.textContent = answer.body.error || 'failed (HTTP ' + answer.status + ')';
        if (config) $('#f-mode').value = config.mode;
      } else {
        renderConfig(answer.body);
      }
      refresh();
    });
    $('#policy-form').addEventListener('submit', (e) => { e.preventDefault(); putConfig($('#policy-form'), POLICY_FIELDS); });
    $('#node-form').addEventListener('submit', (e) => { e.preventDefault(); putConfig($('#node-form'), NODE_FIELDS); });
    $('#grow').addEventListener('click', () => resize({ delta: 1 }, 'growing by one'));
    $('#shrink').addEventListener('click', () => resize({ delta: -1 }, 'shrinking by one'));
    $('#set-size').addEventListener('click', () => {
      const size = fieldValue('size');
      resize({ size }, 'resizing to ' + size);
    });
    $('#clear-cache').addEventListener('click', () => clearWith('/api/cache/clear',
      'Clear the cache? Every node is flushed; the data stays in the application\'s store.', 'clearing the cache'));
    $('#delete-data').addEventListener('click', () => clearWith('/api/data/clear',
      'Delete ALL data? Frontends delete every stored file, then the cache is cleared. This cannot be undone.',
      'deleting all data'));
    const tokenInput = $('#token');
    tokenInput.value = token();
    tokenInput.addEventListener('change', () => {
      const t = tokenInput.value.trim();
      if (t) localStorage.setItem(TOKEN_KEY, t);
      else localStorage.removeItem(TOKEN_KEY);
    });
  }

  // ---- polling -------------------------------------------------------------------------

  let timer = null;
  let refreshing = null;

  // Reads everything once and redraws; a call while one runs waits for that one.
  function refresh() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      const [pool, stats, events, cfg] = await Promise.all([
        api('GET', '/api/pool'), api('GET', '/api/stats?minutes=30'), api('GET', '/api/events?count=50'),
        api('GET', '/api/config')]);
      if (pool.ok) renderPool(pool.body);
      if (stats.ok) renderStats(stats.body);
      if (events.ok) renderEvents(events.body);
      if (cfg.ok) renderConfig(cfg.body);
      const failed = [pool, stats, events, cfg].find((a) => !a.ok);
      const status = $('#connection');
      status.textContent = failed ? failed.body.error || 'HTTP ' + failed.status : 'updated ' + fmtTime(Date.now());
      status.classList.toggle('bad', !!failed);
      document.body.dataset.refreshed = String(Date.now());
    })().finally(() => { refreshing = null; });
    return refreshing;
  }

  async function poll() {
    await refresh();
    timer = setTimeout(poll, POLL_MS);
  }

  makeCharts();
  wireControls();
  poll();

  // For operators' consoles and the end-to-end test.
  window.mcscaleDashboard = { charts, refresh, get timer() { return timer; } };
})();
