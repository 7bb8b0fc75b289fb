#!/usr/bin/env bash
# The main job: a local mcscale pool that grows and shrinks with its load.
#
#   scripts/demo.sh [--redis-port N] [--http HOST:PORT] [--phase-s S] [--rate R] [--no-migration]
#   scripts/demo.sh --smoke
#
# It installs what is missing (scripts/setup.sh), builds mcscale, mcscale-coordinator and
# mcscale-agent, then starts in a temporary folder: redis-server (appendonly yes, a folder
# of its own), mcscale-coordinator (local provider: memcached nodes with their agents on
# 127.0.0.1, a policy interval of 5 s, 1..4 nodes) and `mcscale traffic`, whose cold
# phases (every get misses) grow the pool and whose warm phases (every get hits) shrink it.
# It prints the dashboard's address (http://HOST:PORT/ of the manager API) to watch it in a
# browser. Ctrl-C retires the pool through the API (every node and agent stops), then stops Redis.
# Beside them runs mcscale-frontend, the file service on the same pool, with its page at the
# printed URL (upload a file under a key, look it up, list keys).
# Every resize is a live migration (the agents copy the moving regions' keys to their new
# owners); --no-migration makes resizes remap only. The traffic routes by the current map
# alone (it is not a frontend with a lease), so while keys move some of its gets miss.
#
# --smoke runs the same without a terminal: it waits (MCSCALE_SMOKE_TIMEOUT_S, default 90 s)
# for the pool to grow to 2 or more nodes and then shrink, with that migration done, stops
# everything, checks that no node or agent is left and exits non-zero when any of that failed.
#
# Environment:
#   MCSCALE_BUILD_DIR      build folder (default: build); only the demo's targets are built
#   MCSCALE_SKIP_SETUP=1   skip scripts/setup.sh (apt-get)
#   MCSCALE_SMOKE_TIMEOUT_S, MCSCALE_SMOKE_PHASE_S   --smoke: deadline, traffic phase length
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

smoke=0
redis_port=""
http=""
phase_s=40
rate=2000
migration=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --redis-port) redis_port=${2:?--redis-port needs a port}; shift ;;
    --redis-port=*) redis_port=${1#*=} ;;
    --http) http=${2:?--http needs HOST:PORT}; shift ;;
    --http=*) http=${1#*=} ;;
    --phase-s) phase_s=${2:?--phase-s needs seconds}; shift ;;
    --phase-s=*) phase_s=${1#*=} ;;
    --rate) rate=${2:?--rate needs gets per second}; shift ;;
    --rate=*) rate=${1#*=} ;;
    --no-migration) migration=(--no-migration) ;;
    -h|--help) usage; exit 0 ;;
    *) echo "demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ $smoke = 1 ]; then
  phase_s=${MCSCALE_SMOKE_PHASE_S:-20}
  rate=1000
fi
smoke_timeout_s=${MCSCALE_SMOKE_TIMEOUT_S:-90}
prefix=mcscale

say() { echo "demo: $*"; }

# --- helpers ----------------------------------------------------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A loopback port that was free a moment ago, below the kernel's ephemeral range.
free_port() {
  local p
  for _ in $(seq 500); do
    p=$((30000 + RANDOM % 2500))
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  echo "demo: no free port found" >&2
  return 1
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
# Pids of every node and agent the provider recorded (`<prefix>:provider` hash).
provider_pids() {
  redis-cli -p "$redis_port" --raw HVALS "$prefix:provider" 2>/dev/null |
    grep -o '"\(agent_\)\{0,1\}pid":[0-9]*' | grep -o '[0-9]*$' || true
}
# A gauge of the coordinator's Prometheus text (mcscale_pool_nodes, mcscale_pool_migrating);
# empty when it does not answer.
gauge() {
  curl -s --max-time 5 "http://$http/metrics" 2>/dev/null | awk -v name="$1" '$1 == name { print $2 }'
}
tail_log() {
  [ -f "$1" ] || return 0
  echo "----- last lines of $1"
  tail -n "${2:-25}" "$1"
}

# --- what runs, and how it stops ---------------------------------------------------------
work=""
redis_pid=""
coordinator_pid=""
traffic_pid=""
watch_pid=""
files_pid=""
seen_pids=""
failed=0

# Stops what this script started, in order: the load, the pool (retired through the API:
# the coordinator stops every node and agent, then exits), Redis. Runs on every exit.
cleanup() {
  local rc=$?
  set +e
  # A second Ctrl-C must not cut the retire short (every wait below has a deadline).
  trap - EXIT
  trap '' INT TERM
  [ "$failed" = 1 ] && rc=1
  for pid in $traffic_pid $watch_pid $files_pid; do
    alive "$pid" || continue
    kill -TERM "$pid" 2>/dev/null
    wait_for 10 eval '! alive "$pid"' || kill -KILL "$pid" 2>/dev/null
  done
  if [ -n "$redis_port" ] && alive "$redis_pid"; then seen_pids="$seen_pids $(provider_pids)"; fi
  if alive "$coordinator_pid"; then
    say "retiring the pool (POST http://$http/api/pool/retire)"
    if ! curl -s --max-time 60 -X POST "http://$http/api/pool/retire" >"$work/retire.json"; then
      say "retire through the API failed; stopping the coordinator (--retire-on-exit)"
      kill -TERM "$coordinator_pid" 2>/dev/null
    fi
    if ! wait_for 60 eval '! alive "$coordinator_pid"'; then
      say "the coordinator did not exit; killing it"
      kill -KILL "$coordinator_pid" 2>/dev/null
      rc=1
    fi
  fi
  # Whatever the provider started must be gone now (the coordinator stops them).
  local left=""
  for pid in $seen_pids; do
    # (It may exit between any two looks; then it is gone, which is what is wanted.)
    if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "memcached\|mcscale-agent"; then
      left="$left $pid"
    fi
  done
  if [ -n "$left" ]; then
    say "FAILED: nodes or agents left running after the retire:$left; killing them"
    kill -KILL $left 2>/dev/null
    rc=1
  fi
  if alive "$redis_pid"; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || kill -TERM "$redis_pid" 2>/dev/null
    wait_for 20 eval '! alive "$redis_pid"' || kill -KILL "$redis_pid" 2>/dev/null
  fi
  wait 2>/dev/null  # reaps what was started here; all of it has stopped by now
  if [ $rc -ne 0 ] && [ $rc -ne 130 ]; then
    tail_log "$work/coordinator.log" 40
    tail_log "$work/traffic.log" 15
    tail_log "$work/files.log" 15
    [ -n "$work" ] && say "exit status $rc; logs kept in $work"
  else
    [ -n "$work" ] && rm -rf "$work"
    say "stopped everything it started"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- dependencies and build -------------------------------------------------------------
if [ "${MCSCALE_SKIP_SETUP:-0}" != "1" ]; then
  scripts/setup.sh
fi
build=${MCSCALE_BUILD_DIR:-build}
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
say "building mcscale, mcscale-coordinator, mcscale-agent and mcscale-frontend in $build"
if ! cmake --build "$build" -j "$(nproc)" --target mcscale mcscale-coordinator mcscale-agent mcscale-frontend; then
  say "build failed"
  exit 1
fi
bin=$(cd "$build" && pwd)/bin
# What the README and the banner show: relative to the checkout when the build is in it.
bin_shown=${bin#"$root"/}

# --- start ------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/mcscale-demo.XXXXXX")
mkdir -p "$work/redis" "$work/nodes"

[ -n "$redis_port" ] || redis_port=$(free_port)
[ -n "$http" ] || http="127.0.0.1:$(free_port)"
redis_url="redis://127.0.0.1:$redis_port"

# Background jobs get sessions of their own (setsid) so a Ctrl-C reaches only this script,
# which then retires the pool while Redis and the coordinator still run.
setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes \
  --save "" --daemonize no --protected-mode yes >"$work/redis.log" 2>&1 </dev/null &
redis_pid=$!
if ! wait_for 20 eval '[ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ]'; then
  tail_log "$work/redis.log"
  say "redis-server did not start on port $redis_port"
  exit 1
fi
say "redis-server on $redis_url (pid $redis_pid, append-only file in $work/redis)"

config='{"interval_s":5,"window_s":5,"bucket_s":10,"min_requests":100,"scale_down_stabilization_s":5,"max_nodes":4,"node_capacity_mb":64}'
setsid "$bin/mcscale-coordinator" --redis "$redis_url" --prefix "$prefix" --http "$http" \
  --agent-interval-ms 1000 --state-dir "$work/nodes" --config "$config" --retire-on-exit "${migration[@]}" \
  >"$work/coordinator.log" 2>&1 </dev/null &
coordinator_pid=$!
if ! wait_for 60 eval 'curl -sf --max-time 2 "http://$http/healthz" >/dev/null'; then
  say "the coordinator did not answer on http://$http/healthz"
  exit 1
fi
say "mcscale-coordinator on http://$http (pid $coordinator_pid), config $config"

# The file service on the same pool: files in $work/files, clears through the coordinator.
files_http="127.0.0.1:$(free_port)"
setsid "$bin/mcscale-frontend" --redis "$redis_url" --prefix "$prefix" --http "$files_http" \
  --data-dir "$work/files" --coordinator "http://$http" >"$work/files.log" 2>&1 </dev/null &
files_pid=$!
if ! wait_for 60 eval 'curl -sf --max-time 2 "http://$files_http/healthz" >/dev/null'; then
  tail_log "$work/files.log"
  say "mcscale-frontend did not answer on http://$files_http/healthz"
  exit 1
fi
say "mcscale-frontend (file service) on http://$files_http/ (pid $files_pid)"

# --- interactive ------------------------------------------------------------------------
if [ $smoke = 0 ]; then
  cat <<EOF

mcscale demo is running. Ctrl-C stops everything (the pool is retired, then Redis stops).
  dashboard     http://$http/   (open it in a browser: charts, the pool, controls, events)
  manager API   http://$http/api/pool   (also /api/stats, /api/config, /api/events, /metrics)
  file service  http://$files_http/   (upload a file under a key, look it up, list keys)
  events        redis-cli -p $redis_port SUBSCRIBE $prefix:events
                $bin_shown/mcscale watch --redis $redis_url
  pool          $bin_shown/mcscale status --redis $redis_url
  resize        curl -X POST -d '{"size":3}' http://$http/api/pool/resize   (in auto mode the policy resizes it back)
  logs          $work
Traffic: $rate gets/s, phases of $phase_s s: cold (every get misses, the pool grows to 4),
then warm (every get hits, it shrinks to 1). Event lines come from 'mcscale watch'.

EOF
  "$bin/mcscale" watch --redis "$redis_url" --prefix "$prefix" --from-start 2>/dev/null &
  watch_pid=$!
  "$bin/mcscale" traffic --redis "$redis_url" --prefix "$prefix" --phase-s "$phase_s" --rate "$rate" &
  traffic_pid=$!
  # Until Ctrl-C (the trap then cleans up), or until something stops on its own.
  while alive "$traffic_pid" && alive "$coordinator_pid"; do
    sleep 1
  done
  say "the traffic or the coordinator stopped on its own"
  failed=1
  exit 1
fi

# --- smoke ------------------------------------------------------------------------------
"$bin/mcscale" traffic --redis "$redis_url" --prefix "$prefix" --phase-s "$phase_s" --rate "$rate" \
  >"$work/traffic.log" 2>&1 &
traffic_pid=$!
say "smoke: traffic at $rate gets/s, phases of $phase_s s; waiting up to $smoke_timeout_s s for the pool to grow and shrink"
start=$SECONDS
deadline=$((SECONDS + smoke_timeout_s))
max_size=0
last_size=""
grew=0
shrank=0
while [ $SECONDS -lt $deadline ]; do
  if ! alive "$coordinator_pid" || ! alive "$traffic_pid"; then
    say "FAILED: the coordinator or the traffic stopped"
    failed=1
    exit 1
  fi
  seen_pids="$seen_pids $(provider_pids)"
  size=$(gauge mcscale_pool_nodes)
  if [ -n "$size" ] && [ "$size" != "$last_size" ]; then
    say "smoke: $((SECONDS - start)) s: pool of $size node(s)"
    last_size=$size
  fi
  if [ -n "$size" ]; then
    [ "$size" -gt $max_size ] && max_size=$size
    [ $max_size -ge 2 ] && grew=1
    # Shrunk, and that migration done (the pool is stable again).
    if [ $grew = 1 ] && [ "$size" -ge 1 ] && [ "$size" -lt $max_size ] && [ "$(gauge mcscale_pool_migrating)" = 0 ]; then
      shrank=1
      break
    fi
  fi
  sleep 1
done
elapsed=$((SECONDS - start))
"$bin/mcscale" status --redis "$redis_url" --prefix "$prefix" || true
if [ $shrank = 1 ]; then
  say "smoke: OK in $elapsed s: the pool grew to $max_size nodes and shrank to $last_size (migration done)"
else
  say "smoke: FAILED after $elapsed s: grew=$grew (largest $max_size nodes), shrank=$shrank"
  failed=1
fi
exit $failed
