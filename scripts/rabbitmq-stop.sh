#!/usr/bin/env bash
# Stops the private RabbitMQ node started by scripts/rabbitmq-start.sh and removes its state.
# Finds it through HERALD_TEST_RABBITMQ_DIR (exported by the start script), else
# HERALD_RABBITMQ_DIR, else the default port's directory.
set -uo pipefail

DIR="${HERALD_TEST_RABBITMQ_DIR:-${HERALD_RABBITMQ_DIR:-/tmp/herald-rabbitmq-${HERALD_RABBITMQ_PORT:-26572}}}"

log() { echo "rabbitmq-stop: $*" >&2; }

if [[ ! -d "$DIR" ]]; then
    log "nothing to stop: ${DIR} does not exist"
    exit 0
fi

if [[ -x "$DIR/rabbitmqctl" ]]; then
    timeout 60 "$DIR/rabbitmqctl" stop >&2 || log "rabbitmqctl stop failed; stopping by process id"
fi

# Only the processes this node's start script launched: the node and its launcher.
for pidfile in "$DIR/rabbitmq.pid" "$DIR/launcher.pid"; do
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    kill -CONT "$pid" 2>/dev/null || true   # a test may have left it frozen
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "process $pid is still running; sending TERM"
        kill "$pid" 2>/dev/null || true
    fi
done

# This node's epmd listens on its own port and serves no other node.
if [[ -f "$DIR/epmd-port" ]] && command -v epmd >/dev/null 2>&1; then
    epmd -port "$(cat "$DIR/epmd-port")" -kill >/dev/null 2>&1 || true
fi

rm -rf "$DIR"
log "stopped the node and removed ${DIR}"
