#!/usr/bin/env bash
# GET /api/key on the file service: cache hit (the pool in front, every file cached
# beforehand) versus cache off (--no-cache: every read from disk), both measured in the same
# run on the same files. Prints each round's requests/s, p50 and p99 from wrk, and the ratio
# hit / off.
#
# Two mcscale-frontend processes share one data directory: one with a pool (Redis, a
# coordinator in manual mode with one node), one with --no-cache. FILES files of SIZE bytes,
# each with its own content (the cache key is the file's digest), are uploaded, read once
# through the cached frontend (the fill), then wrk cycles through all keys for DURATION_S
# against each frontend in turn, ROUNDS times. Everything binds 127.0.0.1 and is stopped on
# exit (scripts/lib/pool.sh).
#
# Usage: bench/file_service_bench.sh [BUILD_DIR]      (default: build)
# Environment: FILES (1000), SIZE (10240), DURATION_S (20), CONNECTIONS (32), THREADS (2),
#              FRONTEND_THREADS (2: the service's HTTP threads), ROUNDS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
export MCSCALE_BUILD_DIR=${1:-${MCSCALE_BUILD_DIR:-build}}
files=${FILES:-1000}
size=${SIZE:-10240}
duration=${DURATION_S:-20}
connections=${CONNECTIONS:-32}
threads=${THREADS:-2}
frontend_threads=${FRONTEND_THREADS:-2}
rounds=${ROUNDS:-2}

source scripts/lib/pool.sh
pool_init file-bench
for b in mcscale-frontend mcscale-coordinator mcscale-agent; do
  [ -x "$bin/$b" ] || die "$bin/$b is missing: cmake --build $build --target mcscale-frontend mcscale-coordinator mcscale-agent"
done
if ! command -v wrk >/dev/null; then
  say "installing wrk (apt-get)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q wrk >/dev/null
fi

pool_start_redis
pool_start_coordinator 60 --config '{"mode":"manual","node_capacity_mb":64}'
cached=127.0.0.1:$(free_port)
plain=127.0.0.1:$(free_port)
setsid "$bin/mcscale-frontend" --redis "$redis_url" --http "$cached" --data-dir "$work/data" \
  --threads "$frontend_threads" >"$work/cached.log" 2>&1 </dev/null &
pool_track $!
setsid "$bin/mcscale-frontend" --no-cache --http "$plain" --data-dir "$work/data" \
  --threads "$frontend_threads" >"$work/plain.log" 2>&1 </dev/null &
pool_track $!
cache_ready() { curl -sf --max-time 2 "http://$cached/healthz" | grep -q '"ready":true'; }
wait_for 60 cache_ready || die "the cached frontend did not get ready"
wait_for 60 http_ok "http://$plain/healthz" || die "the --no-cache frontend did not start"

say "uploading $files files of $size bytes"
mkdir -p "$work/files"
head -c "$size" /dev/urandom >"$work/blob"
for i in $(seq 0 $((files - 1))); do
  { printf '%010d' "$i"; tail -c +11 "$work/blob"; } >"$work/files/$i"
done
upload() { curl -sf -o /dev/null -F "key=bench-$1" -F "file=@$work/files/$1;type=application/octet-stream" "http://$cached/api/upload"; }
fill() { curl -sf -o /dev/null "http://$cached/api/key/bench-$1"; }
export -f upload fill
export work cached
seq 0 $((files - 1)) | xargs -P 4 -I{} bash -c 'upload {}' || die "an upload failed"
seq 0 $((files - 1)) | xargs -P 4 -I{} bash -c 'fill {}' || die "a read failed"
metric() { curl -sf "http://$cached/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
hits_before=$(metric mcscale_files_cache_hits_total)
misses_before=$(metric mcscale_files_cache_misses_total)

cat >"$work/keys.lua" <<LUA
local i = 0
request = function() i = (i + 1) % $files; return wrk.format("GET", "/api/key/bench-" .. i) end
LUA
# wrk's figures: requests/s, p50 and p99 in ms.
run_wrk() {
  wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$work/keys.lua" "http://$1" >"$work/wrk.out"
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }' "$work/wrk.out"
}
say "wrk -t$threads -c$connections -d${duration}s, $rounds rounds; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-10s %12s %9s %9s %8s\n' round cache requests/s p50_ms p99_ms non2xx
sum_hit=0; sum_off=0
for round in $(seq 1 "$rounds"); do
  read -r rps p50 p99 bad < <(run_wrk "$cached")
  printf '%-6s %-10s %12s %9s %9s %8s\n' "$round" hit "$rps" "$p50" "$p99" "$bad"
  sum_hit=$((sum_hit + rps))
  read -r rps p50 p99 bad < <(run_wrk "$plain")
  printf '%-6s %-10s %12s %9s %9s %8s\n' "$round" off "$rps" "$p50" "$p99" "$bad"
  sum_off=$((sum_off + rps))
done
hits=$(( $(metric mcscale_files_cache_hits_total) - hits_before ))
misses=$(( $(metric mcscale_files_cache_misses_total) - misses_before ))
say "cached frontend during the runs: $hits hits, $misses misses; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v h="$sum_hit" -v o="$sum_off" 'BEGIN { printf "ratio hit / off (requests/s, all rounds): %.2f\n", o ? h / o : 0 }'
