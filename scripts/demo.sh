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

# --- the pool and how it stops: scripts/lib/pool.sh (the cleanup retires the pool through the
# API, checks that every node and agent stopped, stops Redis and removes the logs folder) -----
source scripts/lib/pool.sh
pool_interrupt_ok=1  # Ctrl-C is how the demo stops
pool_init demo

# A gauge of the coordinator's Prometheus text (mcscale_pool_nodes, mcscale_pool_migrating);
# empty when it does not answer.
gauge() {
  curl -s --max-time 5 "http://$http/metrics" 2>/dev/null | awk -v name="$1" '$1 == name { print $2 }'
}

# --- dependencies and build -------------------------------------------------------------
if [ "${MCSCALE_SKIP_SETUP:-0}" != "1" ]; then
  scripts/setup.sh
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
say "building mcscale, mcscale-coordinator, mcscale-agent and mcscale-frontend in $build"
if ! cmake --build "$build" -j "$(nproc)" --target mcscale mcscale-coordinator mcscale-agent mcscale-frontend; then
  die "build failed"
fi
# What the README and the banner show: relative to the checkout when the build is in it.
bin_shown=${bin#"$root"/}

# --- start ------------------------------------------------------------------------------
pool_start_redis
say "redis-server on $redis_url (pid $redis_pid, append-only file in $work/redis)"

config='{"interval_s":5,"window_s":5,"bucket_s":10,"min_requests":100,"scale_down_stabilization_s":5,"max_nodes":4,"node_capacity_mb":64}'
pool_start_coordinator 60 --agent-interval-ms 1000 --config "$config" --retire-on-exit "${migration[@]}"
say "mcscale-coordinator on http://$http (pid $coordinator_pid), config $config"

# The file service on the same pool: files in $work/files, clears through the coordinator.
files_http="127.0.0.1:$(free_port)"
setsid "$bin/mcscale-frontend" --redis "$redis_url" --prefix "$pool_prefix" --http "$files_http" \
  --data-dir "$work/files" --coordinator "http://$http" >"$work/files.log" 2>&1 </dev/null &
files_pid=$!
pool_track "$files_pid"
if ! wait_for 60 http_ok "http://$files_http/healthz"; then
  die "mcscale-frontend did not answer on http://$files_http/healthz"
fi
say "mcscale-frontend (file service) on http://$files_http/ (pid $files_pid)"

# --- interactive ------------------------------------------------------------------------
if [ $smoke = 0 ]; then
  cat <<EOF

mcscale demo is running. Ctrl-C stops everything (the pool is retired, then Redis stops).
  dashboard     http://$http/   (open it in a browser: charts, the pool, controls, events)
  manager API   http://$http/api/pool   (also /api/stats, /api/config, /api/events, /metrics)
  file service  http://$files_http/   (upload a file under a key, look it up, list keys)
  events        redis-cli -p $redis_port SUBSCRIBE $pool_prefix:events
                $bin_shown/mcscale watch --redis $redis_url
  pool          $bin_shown/mcscale status --redis $redis_url
  resize        curl -X POST -d '{"size":3}' http://$http/api/pool/resize   (in auto mode the policy resizes it back)
  logs          $work
Traffic: $rate gets/s, phases of $phase_s s: cold (every get misses, the pool grows to 4),
then warm (every get hits, it shrinks to 1). Event lines come from 'mcscale watch'.

EOF
  "$bin/mcscale" watch --redis "$redis_url" --prefix "$pool_prefix" --from-start 2>/dev/null &
  pool_track $!
  "$bin/mcscale" traffic --redis "$redis_url" --prefix "$pool_prefix" --phase-s "$phase_s" --rate "$rate" &
  traffic_pid=$!
  pool_track "$traffic_pid"
  # Until Ctrl-C (the trap then cleans up), or until something stops on its own.
  while alive "$traffic_pid" && alive "$coordinator_pid"; do
    sleep 1
  done
  die "the traffic or the coordinator stopped on its own"
fi

# --- smoke ------------------------------------------------------------------------------
"$bin/mcscale" traffic --redis "$redis_url" --prefix "$pool_prefix" --phase-s "$phase_s" --rate "$rate" \
  >"$work/traffic.log" 2>&1 &
traffic_pid=$!
pool_track "$traffic_pid"
say "smoke: traffic at $rate gets/s, phases of $phase_s s; waiting up to $smoke_timeout_s s for the pool to grow and shrink"
start=$SECONDS
deadline=$((SECONDS + smoke_timeout_s))
max_size=0
last_size=""
grew=0
shrank=0
while [ $SECONDS -lt $deadline ]; do
  if ! alive "$coordinator_pid" || ! alive "$traffic_pid"; then
    die "the coordinator or the traffic stopped"
  fi
  pool_note_nodes
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
"$bin/mcscale" status --redis "$redis_url" --prefix "$pool_prefix" || true
if [ $shrank = 1 ]; then
  say "smoke: OK in $elapsed s: the pool grew to $max_size nodes and shrank to $last_size (migration done)"
else
  die "smoke: the pool did not grow and shrink within $elapsed s: grew=$grew (largest $max_size nodes), shrank=$shrank"
fi
