#!/usr/bin/env bash
# End-to-end test of the manager dashboard (tests/dashboard/dashboard_e2e.js) in headless
# Chromium: starts redis-server and mcscale-coordinator (local provider, agents every 200 ms,
# figures every 5 s, an admin token) on free loopback ports with `mcscale traffic`, runs the
# browser test, then retires the pool and stops everything, also when something failed.
#
# Installs what it needs: Debian's chromium with apt-get when missing (as root), and
# playwright-core with npm into the build folder (BUILD/e2e, outside the sources). It needs
# Node.js and npm already on the machine (CI has them) and never installs them.
#
#   MCSCALE_BUILD_DIR  build folder with bin/mcscale-coordinator, mcscale-agent, mcscale
#                      (scripts/test.sh passes it; default: build)
#   MCSCALE_E2E_KEEP=1 keep the logs folder even when the test passed
# Screenshots go to tests/artifacts/: dashboard.png (dashboard-failure.png on failure) and
# dashboard-migrating.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
source scripts/lib/pool.sh
pool_token=e2e-$RANDOM$RANDOM
pool_init dashboard_e2e
playwright_version=1.65.1

for b in mcscale-coordinator mcscale-agent mcscale; do
  [ -x "$bin/$b" ] || die "$bin/$b is missing: build it first (cmake --build $build --target $b)"
done
command -v redis-server >/dev/null || die "redis-server is missing (scripts/setup.sh installs it)"
command -v memcached >/dev/null || die "memcached is missing (scripts/setup.sh installs it)"
command -v curl >/dev/null || die "curl is missing"

# --- the browser and its driver ---------------------------------------------------------
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  [ "$(id -u)" = 0 ] || die "$chromium is missing and installing it needs root (apt-get install chromium)"
  say "installing Debian's chromium (apt-get)"
  apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null ||
    die "apt-get install chromium failed"
  [ -x "$chromium" ] || die "apt-get did not install $chromium"
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  die "Node.js and npm are needed to drive the browser (playwright-core); install them as the machine does, not over it"
fi
e2e=$build/e2e
if [ "$(node -p "try { require('$e2e/node_modules/playwright-core/package.json').version } catch (e) { '' }" 2>/dev/null)" \
    != "$playwright_version" ]; then
  say "installing playwright-core $playwright_version with npm into $e2e"
  mkdir -p "$e2e"
  [ -f "$e2e/package.json" ] || echo '{"name":"mcscale-dashboard-e2e","private":true}' >"$e2e/package.json"
  (cd "$e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error \
      "playwright-core@$playwright_version" >/dev/null) || die "npm install playwright-core failed"
fi

# --- start ------------------------------------------------------------------------------
artifacts=$root/tests/artifacts
mkdir -p "$artifacts"
rm -f "$artifacts"/dashboard*.png
pool_start_redis

# Auto mode that never decides (min_requests out of reach), so only the test resizes the
# pool; 5 s figures so the charts get points quickly; with no frontend attached, the
# coordinator issues a migration's moves after --claim-grace-ms, long enough for the page
# to show the migration's progress bars.
config='{"interval_s":5,"window_s":5,"bucket_s":5,"min_requests":1000000000,"node_capacity_mb":16}'
pool_start_coordinator 90 --agent-interval-ms 200 --config "$config" --retire-on-exit --claim-grace-ms 10000
say "coordinator on http://$http (redis $redis_url, logs in $work)"

"$bin/mcscale" traffic --redis "$redis_url" --rate 400 --phase-s 10 >"$work/traffic.log" 2>&1 </dev/null &
traffic_pid=$!
pool_track "$traffic_pid"

# --- the browser test -------------------------------------------------------------------
DASHBOARD_URL=http://$http ADMIN_TOKEN=$pool_token TRAFFIC_PID=$traffic_pid ARTIFACT_DIR=$artifacts \
  CHROMIUM=$chromium CHROMIUM_PROFILE=$work/chromium-profile NODE_PATH=$e2e/node_modules \
  node tests/dashboard/dashboard_e2e.js
