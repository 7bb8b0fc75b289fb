#!/usr/bin/env bash
# End-to-end check of mcscale-frontend, the file service, run by scripts/test.sh after CTest:
# its web page in headless Chromium against a whole local pool (redis-server, the coordinator
# with one memcached node, mcscale-frontend): upload an image through the form, look it up,
# check it rendered; the screenshot goes to tests/artifacts/file_service_page.png. Fails
# when a page check did not hold. (Its multipart parser is fuzzed by scripts/test.d/fuzz.sh.)
#   MCSCALE_BUILD_DIR          build folder with the binaries (default: build)
#   CHROMIUM                   the browser (default: /usr/bin/chromium; apt-get installs it when missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${MCSCALE_BUILD_DIR:-$root/build}
bin=$(cd "$build" && pwd)/bin
say() { echo "file_service_e2e: $*"; }

# --- the page in headless Chromium -------------------------------------------------------
command -v node >/dev/null && command -v npm >/dev/null || { say "FAILED: node and npm are needed"; exit 1; }
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

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 500); do
    p=$((30000 + RANDOM % 2500))
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  return 1
}
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mcscale-files-e2e.XXXXXX")
redis_pid="" coordinator_pid="" frontend_pid=""
cleanup() {
  local rc=$?
  set +e
  alive "$frontend_pid" && kill -TERM "$frontend_pid"
  if alive "$coordinator_pid"; then
    curl -s --max-time 60 -X POST "http://$api/api/pool/retire" >/dev/null || kill -TERM "$coordinator_pid"
    wait_for 60 eval '! alive "$coordinator_pid"' || kill -KILL "$coordinator_pid"
  fi
  if alive "$redis_pid"; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || kill -TERM "$redis_pid"
  fi
  wait 2>/dev/null
  if [ $rc -ne 0 ]; then
    for log in "$work"/*.log; do echo "----- $log"; tail -n 30 "$log"; done
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

redis_port=$(free_port)
api="127.0.0.1:$(free_port)"
files="127.0.0.1:$(free_port)"
redis_url="redis://127.0.0.1:$redis_port"
mkdir -p "$work/redis" "$work/nodes"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes --save "" \
  --daemonize no >"$work/redis.log" 2>&1 </dev/null &
redis_pid=$!
wait_for 20 eval '[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ]' || { say "FAILED: redis-server"; exit 1; }
"$bin/mcscale-coordinator" --redis "$redis_url" --http "$api" --state-dir "$work/nodes" --agent-interval-ms 500 \
  --config '{"mode":"manual","node_capacity_mb":16}' >"$work/coordinator.log" 2>&1 </dev/null &
coordinator_pid=$!
"$bin/mcscale-frontend" --redis "$redis_url" --http "$files" --data-dir "$work/data" \
  --coordinator "http://$api" >"$work/frontend.log" 2>&1 </dev/null &
frontend_pid=$!
if ! wait_for 60 eval 'curl -sf --max-time 2 "http://$files/healthz" | grep -q "\"ready\":true"'; then
  say "FAILED: mcscale-frontend did not get ready on http://$files/"
  exit 1
fi
say "pool up: file service on http://$files/, manager API on http://$api/"
mkdir -p tests/artifacts
(cd tests/fileservice && CHROMIUM="$chromium" node page_test.mjs "http://$files/" "$root/tests/artifacts/file_service_page.png")
