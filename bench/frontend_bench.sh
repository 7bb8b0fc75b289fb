#!/usr/bin/env bash
# The frontend library's benchmarks (bench/README.md, "The frontend library"), on a
# redis-server and a memcached of their own on free loopback ports, stopped on exit:
#   1. frontend_bench_routing      routing and bookkeeping per request (Google Benchmark)
#   2. frontend_bench_throughput   get/set through the library vs a plain client, alternating rounds
#                                  (THREADS threads sharing one PoolClient; one client each; 1 thread),
#                                  and frontend_bench_channel (the node layer: shared or per thread)
#   3. epoch_propagation           20 subscribed clients following 20 resizes (twice: as
#                                  WaitForEpoch returns, and probing the switch every 100 us)
#   bench/frontend_bench.sh [BUILD_DIR]                    (default: build)
#   ROUNDS (5), DURATION_S (3, per leg per round), THREADS (2), CLIENTS (20), RESIZES (20),
#   MIN_TIME (0.5, Google Benchmark seconds per benchmark), ONLY (routing|throughput|epochs)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/bin
for b in frontend_bench_routing frontend_bench_throughput frontend_bench_channel epoch_propagation; do
  [ -x "$bin/$b" ] || { echo "no $bin/$b; build first (cmake --build ${1:-build} --target $b)" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
dir=$(mktemp -d /tmp/mcscale-frontend-bench-XXXXXX)
redis_pid= mc_pid=
cleanup() {
  for p in $mc_pid $redis_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
redis_pid=$!
mc_port=$(free_port)
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
memcached "${user[@]}" -l 127.0.0.1 -p "$mc_port" -U 0 -m 256 -t 2 >"$dir/memcached.log" 2>&1 &
mc_pid=$!
wait_port "$redis_port" && wait_port "$mc_port" || { echo "redis-server or memcached did not start" >&2; exit 1; }
redis=redis://127.0.0.1:$redis_port

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), $(memcached -V)," \
     "$(redis-server --version | cut -d' ' -f1-3), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${ONLY:-}" ] || [ "$ONLY" = routing ]; then
  echo "## frontend_bench_routing"
  "$bin/frontend_bench_routing" --redis="$redis" --benchmark_min_time="${MIN_TIME:-0.5}"
fi
if [ -z "${ONLY:-}" ] || [ "$ONLY" = throughput ]; then
  t=${THREADS:-2}
  run_throughput() {
    "$bin/frontend_bench_throughput" --redis "$redis" --node 127.0.0.1:"$mc_port" --rounds "${ROUNDS:-5}" \
      --duration-s "${DURATION_S:-3}" "$@"
  }
  echo "## frontend_bench_throughput: $t threads sharing one PoolClient"
  run_throughput --threads "$t"
  echo "## frontend_bench_throughput: $t threads, one PoolClient each"
  run_throughput --threads "$t" --library-clients "$t" --pipeline 0 | tail -n 5
  echo "## frontend_bench_throughput: 1 thread"
  run_throughput --threads 1 --pipeline 0 | tail -n 5
  echo "## frontend_bench_channel: $t threads"
  "$bin/frontend_bench_channel" --node 127.0.0.1:"$mc_port" --threads "$t" --rounds "${ROUNDS:-5}"
fi
if [ -z "${ONLY:-}" ] || [ "$ONLY" = epochs ]; then
  echo "## epoch_propagation (WaitForEpoch)"
  "$bin/epoch_propagation" --redis "$redis" --clients "${CLIENTS:-20}" --resizes "${RESIZES:-20}" | tail -n 4
  echo "## epoch_propagation (probing every 100 us)"
  "$bin/epoch_propagation" --redis "$redis" --clients "${CLIENTS:-20}" --resizes "${RESIZES:-20}" --probe-us 100 |
    tail -n 4
fi
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
