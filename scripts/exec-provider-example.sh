#!/usr/bin/env bash
# An example node script for mcscale-coordinator's exec provider:
#
#   mcscale-coordinator --provider exec --exec-script scripts/exec-provider-example.sh ...
#
# The coordinator runs it as (see coordinator/exec_node_provider.h):
#   SCRIPT up ID CAPACITY_MB   start node ID (memcached -m CAPACITY_MB) and its mcscale-agent;
#                              print the node's HOST:PORT as the last line of stdout, once the
#                              node answers
#   SCRIPT down ID             stop node ID and its agent (an unknown ID is not an error)
#   SCRIPT check ID            exit 0 when node ID still runs, 1 when it does not
#   SCRIPT agent ID            restart the agent of node ID
# Exit status 0 means done; anything else is a failure the coordinator logs with the output.
# Only the address goes to stdout (the coordinator reads it); messages go to stderr.
#
# This example runs everything on this machine, like the local provider, keeping what it
# started as files in a state folder so `check`, `down` and a restarted coordinator find it.
# The comments marked CLOUD say where a real platform's API calls would go instead.
#
# Environment (the coordinator passes the first two; the rest it inherits from its own):
#   MCSCALE_REDIS              Redis URL for the agent
#   MCSCALE_PREFIX             key prefix for the agent
#   MCSCALE_EXEC_STATE         state folder: pid, port and log files (default /tmp/mcscale-exec);
#                              one folder per pool, since node ids repeat between pools
#   MCSCALE_AGENT_BINARY       mcscale-agent to run (default: on PATH, else build/bin/ of
#                              this checkout)
#   MCSCALE_AGENT_INTERVAL_MS  the agents' sampling interval (default 5000)
#   MCSCALE_EXEC_PORTS         node ports FIRST-LAST on 127.0.0.1 (default 23000-23999)
#   MCSCALE_EXEC_MEMCACHED     the node binary (default memcached; as root it runs -u nobody)
set -euo pipefail

redis=${MCSCALE_REDIS:-redis://127.0.0.1:6379}
prefix=${MCSCALE_PREFIX:-mcscale}
state=${MCSCALE_EXEC_STATE:-/tmp/mcscale-exec}
interval_ms=${MCSCALE_AGENT_INTERVAL_MS:-5000}
ports=${MCSCALE_EXEC_PORTS:-23000-23999}
memcached=${MCSCALE_EXEC_MEMCACHED:-memcached}
agent_binary=${MCSCALE_AGENT_BINARY:-}
if [ -z "$agent_binary" ]; then
  agent_binary=$(command -v mcscale-agent || echo "$(cd "$(dirname "$0")/.." && pwd)/build/bin/mcscale-agent")
fi

log() { echo "exec-provider-example: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  echo "usage: $0 up ID CAPACITY_MB | down ID | check ID | agent ID" >&2
  exit 2
}

# --- the process bookkeeping of this local example ---------------------------------------
# $state/ID.node.pid, ID.node.cmd (its command line, NUL-separated as /proc shows it), and
# the same for the agent; ID.address; logs ID.node.log and ID.agent.log.

# True when pid file $1 names a live process still running the recorded command line (a
# pid can be reused, and an exited child that nobody reaped shows an empty command line).
runs_as_recorded() {
  local pid_file=$1 cmd_file=${1%.pid}.cmd pid
  [ -f "$pid_file" ] && [ -f "$cmd_file" ] || return 1
  pid=$(cat "$pid_file")
  [ -r "/proc/$pid/cmdline" ] || return 1
  # Through a pipe: /proc files claim a size of 0, which cmp would trust.
  cat "/proc/$pid/cmdline" 2>/dev/null | cmp -s - "$cmd_file"
}

# True while pid $1 runs (an exited child nobody reaped yet counts as gone).
alive() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# Starts "$@" in a session of its own (it outlives this script and the coordinator, and a
# Ctrl-C in the coordinator's terminal does not reach it), output to log file $2, and records
# it as $1.pid / $1.cmd.
spawn() {
  local record=$1 logfile=$2
  shift 2
  # The node must not hold this script's stdout: the coordinator reads it until it closes.
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$record.pid"
  printf '%s\0' "$@" >"$record.cmd"
}

# SIGTERM, then SIGKILL after 5 s, for what pid file $1 records (when it still runs as recorded).
stop_recorded() {
  local pid_file=$1 pid
  if runs_as_recorded "$pid_file"; then
    pid=$(cat "$pid_file")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      runs_as_recorded "$pid_file" || break
      sleep 0.1
    done
    runs_as_recorded "$pid_file" && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file" "${pid_file%.pid}.cmd"
}

# True when memcached on 127.0.0.1:$1 answers `version`.
answers() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'version\r\n' >&3
    read -r -t 1 reply <&3 && [[ $reply == VERSION* ]]
  ) 2>/dev/null
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_agent() {
  local id=$1 address=$2
  [ -x "$agent_binary" ] || die "mcscale-agent not found at '$agent_binary' (set MCSCALE_AGENT_BINARY)"
  # CLOUD: the agent runs on the instance itself (a systemd unit installed by the image or by
  # user data), started with the same arguments; this script would not start it.
  spawn "$state/$id.agent" "$state/$id.agent.log" "$agent_binary" --node "$address" --redis "$redis" \
    --id "$id" --prefix "$prefix" --interval-ms "$interval_ms"
}

# --- the four commands --------------------------------------------------------------------
cmd_up() {
  local id=$1 capacity_mb=$2
  [[ $capacity_mb =~ ^[0-9]+$ ]] || die "up: CAPACITY_MB must be a number, got '$capacity_mb'"
  if runs_as_recorded "$state/$id.node.pid"; then  # asked again: the node is already there
    log "node $id already runs on $(cat "$state/$id.address")"
    runs_as_recorded "$state/$id.agent.pid" || start_agent "$id" "$(cat "$state/$id.address")"
    cat "$state/$id.address"
    return 0
  fi
  # CLOUD: create the instance here instead, e.g.
  #   aws ec2 run-instances --image-id AMI --instance-type T --user-data file://node.sh \
  #     --tag-specifications "ResourceType=instance,Tags=[{Key=mcscale-node,Value=$id}]"
  # where node.sh starts `memcached -m $capacity_mb` and the agent; then wait until the node
  # answers on its private address and print that address. `down` terminates the instance
  # found by its tag, `check` asks the API whether it is still running.
  local first=${ports%-*} last=${ports#*-} user_args=() port address
  [ "$(id -u)" = 0 ] && user_args=(-u nobody)  # memcached refuses to run as root
  for _ in 1 2 3 4 5; do
    port=$((first + RANDOM % (last - first + 1)))
    port_free "$port" || continue
    spawn "$state/$id.node" "$state/$id.node.log" "$memcached" -l 127.0.0.1 -p "$port" -m "$capacity_mb" -U 0 \
      "${user_args[@]}"
    for _ in $(seq 100); do  # up to 10 s
      answers "$port" && break
      alive "$(cat "$state/$id.node.pid")" || break  # the port was taken meanwhile: next one
      sleep 0.1
    done
    if answers "$port"; then
      address=127.0.0.1:$port
      echo "$address" >"$state/$id.address"
      start_agent "$id" "$address"
      log "started node $id on $address (pid $(cat "$state/$id.node.pid"), agent pid $(cat "$state/$id.agent.pid"))"
      echo "$address"
      return 0
    fi
    stop_recorded "$state/$id.node.pid"
  done
  die "up $id: no node answered after 5 attempts; see $state/$id.node.log"
}

cmd_down() {
  local id=$1
  # CLOUD: terminate the instance here (aws ec2 terminate-instances ...).
  stop_recorded "$state/$id.agent.pid"
  stop_recorded "$state/$id.node.pid"
  rm -f "$state/$id.address"
  log "stopped node $id and its agent"
}

cmd_check() {
  # CLOUD: ask the platform whether the instance still runs (aws ec2 describe-instances ...).
  runs_as_recorded "$state/$1.node.pid"
}

cmd_agent() {
  local id=$1
  runs_as_recorded "$state/$id.node.pid" || die "agent $id: node $id does not run"
  stop_recorded "$state/$id.agent.pid"
  start_agent "$id" "$(cat "$state/$id.address")"
  log "restarted the agent of node $id (pid $(cat "$state/$id.agent.pid"))"
}

[ $# -ge 2 ] || usage
command=$1
id=$2
[[ $id =~ ^[A-Za-z0-9._-]+$ ]] || die "node id '$id' has characters other than A-Z a-z 0-9 . _ -"
mkdir -p "$state"
case "$command" in
  up) [ $# -eq 3 ] || usage; cmd_up "$id" "$3" ;;
  down) [ $# -eq 2 ] || usage; cmd_down "$id" ;;
  check) [ $# -eq 2 ] || usage; cmd_check "$id" ;;
  agent) [ $# -eq 2 ] || usage; cmd_agent "$id" ;;
  *) usage ;;
esac
