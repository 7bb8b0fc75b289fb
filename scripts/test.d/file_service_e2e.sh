#!/usr/bin/env bash
# End-to-end check of mcscale-frontend, the file service, run by scripts/test.sh after CTest:
# its web page in headless Chromium against a whole local pool (redis-server, the coordinator
# with one memcached node, mcscale-frontend): upload an image through the form, look it up,
# check it rendered; the screenshot goes to tests/artifacts/file_service_page.png. Stops
# everything it started, also when something failed. (Its multipart parser is fuzzed by
# scripts/test.d/fuzz.sh.)
#   MCSCALE_BUILD_DIR          build folder with the binaries (default: build)
#   MCSCALE_E2E_KEEP=1         keep the logs folder even when the test passed
#   CHROMIUM                   the browser (default: /usr/bin/chromium; apt-get installs it when missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
source scripts/lib/pool.sh
pool_init file_service_e2e

command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed"
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  say "installing chromium (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
if [ ! -d tests/fileservice/node_modules/playwright-core ]; then
  say "installing playwright-core (npm, into tests/fileservice/node_modules)"
  (cd tests/fileservice && npm ci --no-audit --no-fund --loglevel=error)
fi

pool_start_redis
pool_start_coordinator 60 --agent-interval-ms 500 --config '{"mode":"manual","node_capacity_mb":16}'
files="127.0.0.1:$(free_port)"
"$bin/mcscale-frontend" --redis "$redis_url" --http "$files" --data-dir "$work/data" \
  --coordinator "http://$http" >"$work/frontend.log" 2>&1 </dev/null &
pool_track $!
frontend_ready() { [[ "$(curl -sf --max-time 2 "http://$files/healthz")" == *'"ready":true'* ]]; }
wait_for 60 frontend_ready || die "mcscale-frontend did not get ready on http://$files/"
say "pool up: file service on http://$files/, manager API on http://$http/"
mkdir -p tests/artifacts
(cd tests/fileservice && CHROMIUM="$chromium" node page_test.mjs "http://$files/" "$root/tests/artifacts/file_service_page.png")
