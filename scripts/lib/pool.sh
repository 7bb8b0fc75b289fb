# shellcheck shell=bash
# A local mcscale pool for scripts: what scripts/demo.sh and the end-to-end tests in
# scripts/test.d/ share. Free loopback ports, polling with a deadline, redis-server and
# mcscale-coordinator in a temporary folder, and one cleanup, run on every exit, that stops
# everything the script started: its own processes (pool_track), the pool (retired through
# the manager API: the coordinator stops every node and agent, then exits), Redis. It fails
# the script when a node or agent the provider recorded is still running after that, and
# then, or whenever the script failed, prints the tail of every log and keeps them.
#
# Sourced, never run; `set -euo pipefail`-safe. Usage, from the checkout's root:
#   source scripts/lib/pool.sh
#   pool_init NAME          NAME prefixes every message; installs the cleanup (EXIT trap)
#   pool_start_redis        on $redis_port (a free one when empty)
#   pool_start_coordinator SECONDS [OPTION...]   waits SECONDS for /healthz
#   something & pool_track $!                    stopped (TERM, then KILL) before the pool
# Variables it sets: build, bin (from MCSCALE_BUILD_DIR, default build), work (the temporary
# folder: logs, Redis's data in redis/, nodes' state in nodes/), redis_port, redis_url,
# redis_pid, http (HOST:PORT of the manager API, a free port when empty), coordinator_pid.
# Settings the script may change: pool_prefix (mcscale), pool_token (the coordinator's
# --admin-token, also sent with the retire; default none), pool_interrupt_ok=1 (an exit
# after Ctrl-C is a normal stop, not a failure: the demo).
# Environment: MCSCALE_E2E_KEEP=1 keeps the temporary folder also when all went well.

say() { echo "$pool_name: $*"; }
die() { say "FAILED: $*"; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A loopback port that was free a moment ago, below the kernel's ephemeral range.
free_port() {
  local p
  for _ in $(seq 500); do
    p=$((30000 + RANDOM % 2500))
    if port_free "$p"; then echo "$p"; return 0; fi
  done
  echo "$pool_name: no free port found" >&2
  return 1
}
# Runs "${@:2}" every 0.2 s until it succeeds (0) or $1 seconds passed (1).
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
gone() { ! alive "$1"; }
# True when URL answers 2xx within 2 s.
http_ok() { curl -sf --max-time 2 "$1" >/dev/null; }
redis_answers() { [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ]; }
tail_log() {
  [ -f "$1" ] || return 0
  echo "----- last lines of $1"
  tail -n "${2:-30}" "$1"
}
# Pids of every node and agent the provider recorded (`<prefix>:provider` hash).
provider_pids() {
  redis-cli -p "$redis_port" --raw HVALS "$pool_prefix:provider" 2>/dev/null |
    grep -o '"\(agent_\)\{0,1\}pid":[0-9]*' | grep -o '[0-9]*$' || true
}
# Remembers the nodes and agents running now; the cleanup checks that all of them stopped.
pool_note_nodes() {
  if [ -n "$redis_port" ] && alive "$redis_pid"; then pool_seen_pids="$pool_seen_pids $(provider_pids)"; fi
}

pool_init() {
  pool_name=$1
  pool_started=$SECONDS
  pool_prefix=${pool_prefix:-mcscale}
  pool_token=${pool_token:-}
  pool_interrupt_ok=${pool_interrupt_ok:-0}
  pool_pids=""
  pool_seen_pids=""
  redis_port=${redis_port:-}
  redis_pid=""
  http=${http:-}
  coordinator_pid=""
  build=${MCSCALE_BUILD_DIR:-build}
  case "$build" in /*) ;; *) build=$(pwd)/$build ;; esac
  bin=$build/bin
  work=$(mktemp -d "${TMPDIR:-/tmp}/mcscale-$pool_name.XXXXXX")
  mkdir -p "$work/redis" "$work/nodes"
  trap pool_cleanup EXIT
  trap 'exit 130' INT TERM
}

# Background processes get sessions of their own (setsid) so a Ctrl-C reaches only the
# script, which then retires the pool while Redis and the coordinator still run.
pool_start_redis() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
    die "redis-server and redis-cli are needed (scripts/setup.sh installs them)"
  if [ -z "$redis_port" ]; then redis_port=$(free_port) || die "no free port for redis-server"; fi
  redis_url=redis://127.0.0.1:$redis_port
  setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes \
    --save "" --daemonize no --protected-mode yes >"$work/redis.log" 2>&1 </dev/null &
  redis_pid=$!
  wait_for 20 redis_answers || { tail_log "$work/redis.log"; die "redis-server did not start on port $redis_port"; }
}

# Starts mcscale-coordinator on $redis_url: prefix $pool_prefix, manager API on $http, the
# local provider's state in $work/nodes, $pool_token as its admin token, then "${@:2}".
# Fails the script when /healthz does not answer within $1 seconds.
pool_start_coordinator() {
  local seconds=$1; shift
  if [ -z "$http" ]; then http=127.0.0.1:$(free_port) || die "no free port for the manager API"; fi
  local token_option=()
  [ -z "$pool_token" ] || token_option=(--admin-token "$pool_token")
  setsid "$bin/mcscale-coordinator" --redis "$redis_url" --prefix "$pool_prefix" --http "$http" \
    --state-dir "$work/nodes" "${token_option[@]}" "$@" >"$work/coordinator.log" 2>&1 </dev/null &
  coordinator_pid=$!
  wait_for "$seconds" http_ok "http://$http/healthz" ||
    die "the coordinator did not answer on http://$http/healthz within $seconds s"
}

# The cleanup stops these first, in this order (SIGTERM; SIGKILL after 10 s).
pool_track() { pool_pids="$pool_pids $*"; }

pool_stop() {
  alive "$1" || return 0
  kill -TERM "$1" 2>/dev/null
  wait_for 10 gone "$1" || kill -KILL "$1" 2>/dev/null
}

pool_cleanup() {
  local rc=$?
  set +e
  # A second Ctrl-C must not cut the retire short (every wait below has a deadline).
  trap - EXIT
  trap '' INT TERM
  local pid
  for pid in $pool_pids; do pool_stop "$pid"; done
  pool_note_nodes
  if alive "$coordinator_pid"; then
    say "retiring the pool (POST http://$http/api/pool/retire)"
    local auth=()
    [ -z "$pool_token" ] || auth=(-H "Authorization: Bearer $pool_token")
    if ! curl -s --max-time 60 -X POST "${auth[@]}" "http://$http/api/pool/retire" >"$work/retire.json"; then
      say "retire through the API failed; stopping the coordinator"
      kill -TERM "$coordinator_pid" 2>/dev/null
    fi
    if ! wait_for 60 gone "$coordinator_pid"; then
      say "the coordinator did not exit; killing it"
      kill -KILL "$coordinator_pid" 2>/dev/null
      rc=1
    fi
  fi
  # Whatever the provider started must be gone now (the coordinator stops them).
  local left=""
  for pid in $pool_seen_pids; do
    # (It may exit between any two looks; then it is gone, which is what is wanted.)
    if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "memcached\|mcscale-agent"; then
      left="$left $pid"
    fi
  done
  if [ -n "$left" ]; then
    say "FAILED: nodes or agents left running after the retire:$left; killing them"
    kill -KILL $left 2>/dev/null  # (one word per pid)
    rc=1
  fi
  if alive "$redis_pid"; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || kill -TERM "$redis_pid" 2>/dev/null
    wait_for 20 gone "$redis_pid" || kill -KILL "$redis_pid" 2>/dev/null
  fi
  wait 2>/dev/null  # reaps what was started here; all of it has stopped by now
  local elapsed=$((SECONDS - pool_started))
  if [ $rc -eq 0 ] || { [ $rc -eq 130 ] && [ "$pool_interrupt_ok" = 1 ]; }; then
    if [ "${MCSCALE_E2E_KEEP:-0}" = 1 ]; then say "logs kept in $work"; else rm -rf "$work"; fi
    say "stopped everything it started (${elapsed} s in all)"
  else
    local log kept=""
    for log in "$work"/*.log; do
      [ -f "$log" ] && tail_log "$log" && kept="; logs kept in $work"
    done
    [ -n "$kept" ] || rm -rf "$work"
    say "FAILED (exit status $rc) after ${elapsed} s; stopped everything it started$kept"
  fi
  exit $rc
}
