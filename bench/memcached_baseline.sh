#!/usr/bin/env bash
# mcscale-bench against stock memcached with 1 and 2 worker threads, the load shapes that
# bench/README.md records: 90:10 get:set with 100-byte values at pipeline depth 1 and 16,
# and 1:1 with 1 KB values, 50 connections on 2 load threads, every key loaded first.
#   bench/memcached_baseline.sh [BUILD_DIR]     (default: build)
#   DURATION_S  seconds per run (default: 10)     ROUNDS  runs per shape (default: 3)
# memcached listens on a free loopback port and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-build}/bin/mcscale-bench
duration=${DURATION_S:-10}
rounds=${ROUNDS:-3}
[ -x "$bench" ] || { echo "no $bench; build first (cmake --build ${1:-build} --target mcscale-bench)" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), $(memcached -V), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for threads in 1 2; do
  memcached "${user[@]}" -l 127.0.0.1 -p "$port" -U 0 -m 1024 -t "$threads" &
  pid=$!
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
  for shape in "--ratio 9:1 --value-size 100 --pipeline 1" \
               "--ratio 9:1 --value-size 100 --pipeline 16" \
               "--ratio 1:1 --value-size 1024 --pipeline 1"; do
    # shellcheck disable=SC2086  # $shape is a list of options
    "$bench" --server 127.0.0.1:"$port" --threads 2 --connections 50 --keys 100000 $shape \
      --warmup --duration-s 1 >/dev/null
    for run in $(seq "$rounds"); do
      echo "## memcached -t $threads, $shape, run $run"
      # shellcheck disable=SC2086
      "$bench" --server 127.0.0.1:"$port" --threads 2 --connections 50 --keys 100000 $shape \
        --duration-s "$duration" --seed "$run" | tail -n 3
    done
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
