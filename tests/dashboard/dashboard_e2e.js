// End-to-end test of the manager dashboard in headless Chromium (playwright-core), against a
// running coordinator with a local pool and traffic. scripts/test.d/dashboard_e2e.sh starts
// all of that and runs this with:
//   DASHBOARD_URL   the coordinator's address, e.g. http://127.0.0.1:30123
//   ADMIN_TOKEN     the coordinator's --admin-token
//   TRAFFIC_PID     the `mcscale traffic` process, stopped before "Clear cache"
//   ARTIFACT_DIR    where the screenshot goes
//   CHROMIUM        the browser (default /usr/bin/chromium)
//   CHROMIUM_PROFILE a new folder for its profile, removed by the caller (default: a
//                   temporary folder this script removes)
//   NODE_PATH       where playwright-core is installed
// Steps: the page and its assets come from the coordinator alone; every chart shows data
// points; a change without the admin token shows the server's refusal; switching to manual
// and pressing "Grow by one" adds a node to the pool table, shows a progress bar per moving
// region while the migration runs, and adds the node to the node-count chart; an
// invalid threshold shows the server's message beside its field and changes nothing;
// "Clear cache" (confirmed) empties every node; "Delete all data" does nothing when its
// confirmation is dismissed and clears when it is accepted; the token outlives a reload.
// Screenshots: dashboard.png after the controls, dashboard-migrating.png during the migration,
// dashboard-failure.png when a step failed. Exits 0 when every step passed; prints one line
// per step.
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const base = process.env.DASHBOARD_URL;
const token = process.env.ADMIN_TOKEN || '';
const artifactDir = process.env.ARTIFACT_DIR || 'tests/artifacts';
const trafficPid = Number(process.env.TRAFFIC_PID || 0);
// Generous: the machine has 2 cores shared with builds and other tests.
const STEP_MS = Number(process.env.DASHBOARD_STEP_TIMEOUT_MS || 90000);

const started = Date.now();
function log(msg) { console.log(`[dashboard-e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`); }
function fail(msg) { throw new Error(msg); }

// Polls `probe` (async, returns a truthy value when done) every 500 ms until it does or
// `ms` passed; returns its value or throws naming `what` and the last value seen.
async function until(what, probe, ms = STEP_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    let value;
    try { value = last = await probe(); } catch (e) { last = 'error: ' + e.message; }
    if (value) return value;
    if (Date.now() > deadline) fail(`timed out after ${ms / 1000} s waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function apiGet(p) {
  const res = await fetch(base + p);
  if (!res.ok) fail(`GET ${p}: HTTP ${res.status}`);
  return res.json();
}

// False once `pid` exited (gone, or a zombie its parent has not reaped yet).
function running(pid) {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (e) {
    return false;
  }
}

const servingNodes = (pool) => pool.node_list.filter((n) => !n.draining);

async function checkAssets() {
  const expected = {
    '/': 'text/html', '/dashboard.js': 'text/javascript', '/dashboard.css': 'text/css',
    '/vendor/uplot.js': 'text/javascript', '/vendor/uplot.css': 'text/css',
  };
  for (const [p, type] of Object.entries(expected)) {
    const res = await fetch(base + p);
    const body = await res.text();
    const got = res.headers.get('content-type') || '';
    if (res.status !== 200 || !got.startsWith(type) || body.length < 100)
      fail(`${p}: HTTP ${res.status}, ${got}, ${body.length} bytes; expected 200 ${type}`);
  }
  log('assets: /, /dashboard.js, /dashboard.css, /vendor/uplot.js, /vendor/uplot.css served with their types');
}

// Data points per chart and the latest value of each chart's first series.
function chartState(page) {
  return page.evaluate(() => {
    const out = {};
    for (const [name, u] of Object.entries(window.mcscaleDashboard.charts)) {
      const ys = u.data[1];
      out[name] = { points: u.data[0].length, last: ys.length ? ys[ys.length - 1] : null,
                    max: Math.max(0, ...ys.filter((v) => v != null)) };
    }
    return out;
  });
}

async function run(page) {
  await checkAssets();
  const foreign = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  let acceptDialogs = true;
  page.on('dialog', (d) => {
    log(`dialog "${d.message()}": ${acceptDialogs ? 'accepted' : 'dismissed'}`);
    if (acceptDialogs) d.accept(); else d.dismiss();
  });

  await page.goto(base + '/', { waitUntil: 'load', timeout: STEP_MS });
  await page.waitForFunction(() => window.mcscaleDashboard && document.body.dataset.refreshed, null, { timeout: STEP_MS });

  // 1. Charts: every chart has points; items and requests charts show the traffic.
  const charts = await until('every chart to have points, with items and requests above 0', async () => {
    const c = await chartState(page);
    const ok = Object.values(c).every((x) => x.points >= 2) && c.items.max > 0 && c.requests.max > 0;
    return ok ? c : '';
  });
  log(`charts: ${Object.entries(charts).map(([k, v]) => `${k} ${v.points} points`).join(', ')}`);
  const rowsBefore = await page.locator('#pool-table tbody tr').count();
  const before = servingNodes(await apiGet('/api/pool')).length;
  if (rowsBefore < before) fail(`pool table shows ${rowsBefore} rows for ${before} nodes`);
  log(`pool: ${before} node(s), table rows ${rowsBefore}`);

  // 2. Without the admin token a change is refused and the server's message shows.
  await page.selectOption('#f-mode', 'manual');
  const refused = await until('the refusal beside the mode field', async () =>
    (await page.textContent('[data-error-for="mode"]')).trim());
  if (!/admin token/.test(refused)) fail(`mode without the token: expected the admin-token message, got "${refused}"`);
  if ((await apiGet('/api/config')).mode !== 'auto') fail('mode changed without the admin token');
  log(`no token: "${refused}"`);

  // 3. With the token: manual mode, then grow by one.
  await page.fill('#token', token);
  await page.dispatchEvent('#token', 'change');
  await page.selectOption('#f-mode', 'manual');
  await until('mode manual', async () => (await apiGet('/api/config')).mode === 'manual');
  await until('the page to show manual mode', async () =>
    (await page.textContent('#mode-now')) === 'manual' &&
    (await page.getAttribute('#policy-form', 'class')).includes('inactive'));
  log('mode: manual (the auto-scaling group is dimmed)');

  await page.click('#grow');
  await until(`${before + 1} nodes in the pool table`, async () => {
    const ids = await page.$$eval('#pool-table tbody tr:not(.draining)', (rows) => rows.map((r) => r.dataset.node));
    return ids.length === before + 1 ? ids : '';
  });
  log(`grow: pool table shows ${before + 1} nodes`);
  // The coordinator issues the moves only after --claim-grace-ms (the shell script makes it
  // long), so the migration lasts long enough to see one progress bar per moving region.
  const pool = await apiGet('/api/pool');
  if (pool.state === 'migrating' && Array.isArray(pool.previous_regions)) {
    const moving = pool.regions.filter((owner, r) => pool.previous_regions[r] !== owner).length;
    await until(`${moving} region progress bars`, async () =>
      (await page.locator('#migration:not([hidden]) .region progress').count()) === moving);
    await page.screenshot({ path: path.resolve(artifactDir, 'dashboard-migrating.png'), fullPage: true });
    log(`grow: migrating, ${moving} region progress bars shown`);
  } else {
    log(`grow: the migration was over before the page could show it (state ${pool.state})`);
  }
  await until('the migration to end and its bars to go', async () =>
    (await apiGet('/api/pool')).state === 'stable' && (await page.locator('#migration').isHidden()));
  await until(`the node-count chart's latest point to reach ${before + 1}`, async () =>
    (await chartState(page)).nodes.last >= before + 1);
  log(`grow: node-count chart's latest point is ${(await chartState(page)).nodes.last}`);

  // 4. An invalid threshold: the server's message beside the field, config unchanged.
  const minBefore = (await apiGet('/api/config')).min_miss_rate;
  await page.fill('#f-min_miss_rate', '0.9');
  await page.click('#apply-policy');
  const message = await until('the message beside min_miss_rate', async () =>
    (await page.textContent('[data-error-for="min_miss_rate"]')).trim());
  if (!/must be below max_miss_rate/.test(message)) fail(`min_miss_rate 0.9: unexpected message "${message}"`);
  if ((await apiGet('/api/config')).min_miss_rate !== minBefore) fail('a refused min_miss_rate was applied');
  log(`invalid threshold: beside min_miss_rate: "${message}"`);

  // 5. Clear cache (stop the traffic first, or it fills the nodes again), confirmed.
  if (trafficPid) {
    try { process.kill(trafficPid, 'SIGTERM'); } catch (e) { /* already gone */ }
    await until('the traffic to stop', async () => !running(trafficPid));
  }
  const itemsBefore = servingNodes(await apiGet('/api/pool')).reduce((s, n) => s + (n.items || 0), 0);
  await page.click('#clear-cache');
  await until('"Clear cache" to be done', async () => /done/.test(await page.textContent('#danger-group .result')));
  const sizes = await until('every node to report 0 items', async () => {
    const nodes = servingNodes(await apiGet('/api/pool'));
    return nodes.every((n) => n.items === 0) ? nodes.length : '';
  });
  await until('the pool table to show 0 items on every node', async () => {
    const items = await page.$$eval('#pool-table tbody tr:not(.draining)', (rows) => rows.map((r) => r.dataset.items));
    return items.length === sizes && items.every((i) => i === '0');
  });
  await until('a cache.cleared event in the events table', async () =>
    (await page.textContent('#events-table tbody')).includes('cache.cleared'));
  log(`clear cache: ${itemsBefore} items before, every one of ${sizes} nodes at 0 now (table and API)`);

  // 6. "Delete all data": dismissed, nothing happens; confirmed, data.cleared.
  const dataCleared = async () => (await apiGet('/api/events?count=50')).some((e) => e.type === 'data.cleared');
  acceptDialogs = false;
  await page.click('#delete-data');
  if (/deleting/.test(await page.textContent('#danger-group .result')) || await dataCleared())
    fail('"Delete all data" went ahead although its confirmation was dismissed');
  acceptDialogs = true;
  await page.click('#delete-data');
  await until('a data.cleared event in the events table', async () =>
    (await page.textContent('#events-table tbody')).includes('data.cleared'));
  log('delete all data: nothing when dismissed; data.cleared when confirmed');

  const shot = path.resolve(artifactDir, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  log(`screenshot: ${shot}`);

  // 7. The admin token outlives a reload (localStorage).
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.refreshed, null, { timeout: STEP_MS });
  if ((await page.inputValue('#token')) !== token) fail('the admin token was not kept across a reload');
  log('admin token kept across a reload');

  if (pageErrors.length) fail(`errors in the page: ${pageErrors.join('; ')}`);
  if (foreign.length) fail(`the page asked for something outside the coordinator: ${foreign.join(', ')}`);
  log('no page errors; every request went to the coordinator');
}

(async () => {
  if (!base) { console.error('DASHBOARD_URL is not set'); process.exit(2); }
  fs.mkdirSync(artifactDir, { recursive: true });
  // A new, empty profile; the caller's folder when given (it removes it), else a temporary one.
  const profile = process.env.CHROMIUM_PROFILE || fs.mkdtempSync(path.join(require('os').tmpdir(), 'mcscale-chromium-'));
  fs.mkdirSync(profile, { recursive: true });
  let browser;
  let status = 0;
  try {
    // A persistent context is how playwright takes --user-data-dir: a new, empty profile.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      timeout: STEP_MS,
      viewport: { width: 1440, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = browser.pages()[0] || await browser.newPage();
    page.setDefaultTimeout(STEP_MS);
    try {
      await run(page);
    } catch (e) {
      const shot = path.resolve(artifactDir, 'dashboard-failure.png');
      await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
      log(`FAILED: ${e.message}`);
      log(`screenshot of the failure: ${shot}`);
      status = 1;
    }
  } catch (e) {
    log(`FAILED: ${e.stack || e.message}`);
    status = 1;
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (!process.env.CHROMIUM_PROFILE) {
      try {
        fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      } catch (e) {
        log(`profile ${profile} not removed: ${e.message}`);
      }
    }
  }
  log(status === 0 ? 'PASSED' : 'FAILED');
  process.exit(status);
})();
