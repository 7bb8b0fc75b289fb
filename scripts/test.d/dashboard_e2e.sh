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
build=${MCSCALE_BUILD_DIR:-build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
bin=$build/bin
playwright_version=1.65.1
started=$SECONDS

say() { echo "dashboard_e2e: $*"; }
die() { say "FAILED: $*"; exit 1; }

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

# --- helpers ----------------------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 500); do
    p=$((30000 + RANDOM % 2500))
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  die "no free port found"
}
# Polls "$@" every 0.2 s until it succeeds or $1 seconds passed.
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
provider_pids() {
  redis-cli -p "$redis_port" --raw HVALS mcscale:provider 2>/dev/null |
    grep -o '"\(agent_\)\{0,1\}pid":[0-9]*' | grep -o '[0-9]*$' || true
}
tail_log() { [ -f "$1" ] && { echo "----- last lines of $1"; tail -n "${2:-30}" "$1"; }; return 0; }

# --- start ------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/mcscale-dashboard-e2e.XXXXXX")
mkdir -p "$work/redis" "$work/nodes"
artifacts=$root/tests/artifacts
mkdir -p "$artifacts"
rm -f "$artifacts"/dashboard*.png
token=e2e-$RANDOM$RANDOM
redis_pid=""
coordinator_pid=""
traffic_pid=""
seen_pids=""

# Stops what this script started: the traffic, the pool (retired through the API: the
# coordinator stops every node and agent, then exits), Redis. Runs on every exit.
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  alive "$traffic_pid" && kill -TERM "$traffic_pid" 2>/dev/null
  if alive "$redis_pid"; then seen_pids="$seen_pids $(provider_pids)"; fi
  if alive "$coordinator_pid"; then
    if ! curl -s --max-time 60 -X POST -H "Authorization: Bearer $token" "http://$http/api/pool/retire" \
        >"$work/retire.json"; then
      say "retire through the API failed; stopping the coordinator (--retire-on-exit)"
      kill -TERM "$coordinator_pid" 2>/dev/null
    fi
    if ! wait_for 60 eval '! alive "$coordinator_pid"'; then
      say "the coordinator did not exit after the retire; killing it"
      kill -KILL "$coordinator_pid" 2>/dev/null
      rc=1
    fi
  fi
  local left=""
  for pid in $seen_pids; do
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "memcached\|mcscale-agent"; then
      left="$left $pid"
    fi
  done
  if [ -n "$left" ]; then
    say "nodes or agents left running after the retire:$left; killing them"
    kill -KILL $left 2>/dev/null
    rc=1
  fi
  if alive "$redis_pid"; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || kill -TERM "$redis_pid" 2>/dev/null
    wait_for 20 eval '! alive "$redis_pid"' || kill -KILL "$redis_pid" 2>/dev/null
  fi
  wait 2>/dev/null
  if [ $rc -ne 0 ]; then
    tail_log "$work/coordinator.log" 40
    tail_log "$work/traffic.log" 10
    say "FAILED after $((SECONDS - started)) s; logs kept in $work"
  else
    if [ "${MCSCALE_E2E_KEEP:-0}" = 1 ]; then say "logs kept in $work"; else rm -rf "$work"; fi
    say "passed in $((SECONDS - started)) s; stopped everything it started"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis_port=$(free_port)
http=127.0.0.1:$(free_port)
redis_url=redis://127.0.0.1:$redis_port
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes --save "" \
  --daemonize no --protected-mode yes >"$work/redis.log" 2>&1 </dev/null &
redis_pid=$!
wait_for 20 eval '[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ]' ||
  { tail_log "$work/redis.log"; die "redis-server did not start on port $redis_port"; }

# Auto mode that never decides (min_requests out of reach), so only the test resizes the
# pool; 5 s figures so the charts get points quickly; with no frontend attached, the
# coordinator issues a migration's moves after --claim-grace-ms, long enough for the page
# to show the migration's progress bars.
config='{"interval_s":5,"window_s":5,"bucket_s":5,"min_requests":1000000000,"node_capacity_mb":16}'
"$bin/mcscale-coordinator" --redis "$redis_url" --http "$http" --admin-token "$token" \
  --agent-interval-ms 200 --state-dir "$work/nodes" --config "$config" --retire-on-exit --claim-grace-ms 10000 \
  >"$work/coordinator.log" 2>&1 </dev/null &
coordinator_pid=$!
wait_for 90 eval 'curl -sf --max-time 2 "http://$http/healthz" >/dev/null' ||
  die "the coordinator did not answer on http://$http/healthz"
say "coordinator on http://$http (redis $redis_url, logs in $work)"

"$bin/mcscale" traffic --redis "$redis_url" --rate 400 --phase-s 10 >"$work/traffic.log" 2>&1 </dev/null &
traffic_pid=$!

# --- the browser test -------------------------------------------------------------------
DASHBOARD_URL=http://$http ADMIN_TOKEN=$token TRAFFIC_PID=$traffic_pid ARTIFACT_DIR=$artifacts \
  CHROMIUM=$chromium CHROMIUM_PROFILE=$work/chromium-profile NODE_PATH=$e2e/node_modules \
  node tests/dashboard/dashboard_e2e.js
