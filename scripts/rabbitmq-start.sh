#!/usr/bin/env bash
# Starts a private RabbitMQ node for Herald's tests, listening on 127.0.0.1 only, with its
# state under a temporary directory. Installs rabbitmq-server and librabbitmq-dev from Debian
# when they are missing.
#
# Usage:   eval "$(scripts/rabbitmq-start.sh)"
# stdout is only `export` lines:
#   HERALD_TEST_AMQP_URL            amqp://guest:guest@127.0.0.1:PORT/%2F
#   HERALD_TEST_RABBITMQ_NODE       the Erlang node name
#   HERALD_TEST_RABBITMQCTL         rabbitmqctl bound to this node (tests run `stop_app`, `start_app`)
#   HERALD_TEST_RABBITMQ_PID_FILE   the node's OS process id
#   HERALD_TEST_RABBITMQ_DIR        its state directory (scripts/rabbitmq-stop.sh removes it)
# Progress and errors go to stderr. Running it again while the node is up reprints the exports.
#
# Environment (all optional):
#   HERALD_RABBITMQ_PORT   AMQP port; the node also uses PORT+1 (Erlang distribution) and PORT+2
#                          (its own epmd). Default: the first free triple from 26572 up.
#   HERALD_RABBITMQ_DIR    state directory (default /tmp/herald-rabbitmq-PORT)
#   HERALD_RABBITMQ_NODE   node name (default herald-test-PORT@localhost)
set -euo pipefail

RABBIT_BIN=/usr/lib/rabbitmq/bin
DEFAULT_PORT=26572
MAX_PORT=45534

log() { echo "rabbitmq-start: $*" >&2; }

node_is_up() { [[ -x "$1/rabbitmqctl" ]] && "$1/rabbitmqctl" ping >/dev/null 2>&1; }

port_is_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# A node already started by this script: reprint its exports.
existing_dir="${HERALD_RABBITMQ_DIR:-}"
if [[ -z "$existing_dir" ]]; then
    existing_dir="/tmp/herald-rabbitmq-${HERALD_RABBITMQ_PORT:-$DEFAULT_PORT}"
fi
if [[ -f "$existing_dir/env" ]] && node_is_up "$existing_dir"; then
    log "node in ${existing_dir} is already running"
    cat "$existing_dir/env"
    exit 0
fi

# A fresh CI machine may not have the server or the client library yet.
if [[ ! -x "$RABBIT_BIN/rabbitmq-server" ]] || ! dpkg -s librabbitmq-dev >/dev/null 2>&1; then
    if [[ "$(id -u)" != 0 ]]; then
        log "rabbitmq-server or librabbitmq-dev is missing; run: sudo apt-get install -y rabbitmq-server librabbitmq-dev"
        exit 1
    fi
    log "installing rabbitmq-server and librabbitmq-dev with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends rabbitmq-server librabbitmq-dev >&2
fi

if [[ -n "${HERALD_RABBITMQ_PORT:-}" ]]; then
    PORT="$HERALD_RABBITMQ_PORT"
    for p in "$PORT" $((PORT + 1)) $((PORT + 2)); do
        if (( p < 1024 || p > MAX_PORT )); then
            log "port $p is outside 1024..${MAX_PORT}"
            exit 2
        fi
        if ! port_is_free "$p"; then
            log "port $p is in use; choose another HERALD_RABBITMQ_PORT or leave it unset"
            exit 1
        fi
    done
else
    PORT=""
    for (( candidate = DEFAULT_PORT; candidate + 2 <= MAX_PORT; candidate += 10 )); do
        if port_is_free "$candidate" && port_is_free $((candidate + 1)) && port_is_free $((candidate + 2)) \
            && [[ ! -e "/tmp/herald-rabbitmq-${candidate}" || -n "${HERALD_RABBITMQ_DIR:-}" ]]; then
            PORT="$candidate"
            break
        fi
    done
    [[ -n "$PORT" ]] || { log "no free port triple between ${DEFAULT_PORT} and ${MAX_PORT}"; exit 1; }
fi
DIST_PORT=$((PORT + 1))
EPMD_PORT=$((PORT + 2))
NODE="${HERALD_RABBITMQ_NODE:-herald-test-${PORT}@localhost}"
DIR="${HERALD_RABBITMQ_DIR:-/tmp/herald-rabbitmq-${PORT}}"

# As root, run the node as the rabbitmq user so nothing it writes is root-owned; as anyone
# else, run it as that user.
if [[ "$(id -u)" == 0 ]]; then
    RUN_AS=(runuser -u rabbitmq --)
    OWNER=rabbitmq
else
    RUN_AS=()
    OWNER="$(id -un)"
fi

# Everything the node reads or writes is under DIR, and every socket is on 127.0.0.1: the node
# has its own epmd (ERL_EPMD_PORT), and distribution is bound to loopback.
node_env=(
    "HOME=${DIR}/home"
    "ERL_EPMD_PORT=${EPMD_PORT}"
    "ERL_EPMD_ADDRESS=127.0.0.1"
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
    "RABBITMQ_CTL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
    "RABBITMQ_NODENAME=${NODE}"
    "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1"
    "RABBITMQ_NODE_PORT=${PORT}"
    "RABBITMQ_DIST_PORT=${DIST_PORT}"
    "RABBITMQ_MNESIA_BASE=${DIR}/mnesia"
    "RABBITMQ_LOG_BASE=${DIR}/log"
    "RABBITMQ_PID_FILE=${DIR}/rabbitmq.pid"
    "RABBITMQ_ENABLED_PLUGINS_FILE=${DIR}/enabled_plugins"
    "RABBITMQ_CONF_ENV_FILE=${DIR}/rabbitmq-env.conf"
    "RABBITMQ_CONFIG_FILE=${DIR}/rabbitmq.conf"
    "RABBITMQ_ADVANCED_CONFIG_FILE=${DIR}/advanced.config"
)

rm -rf "$DIR"
mkdir -p "$DIR/home" "$DIR/mnesia" "$DIR/log"
echo "[]." >"$DIR/enabled_plugins"
: >"$DIR/rabbitmq-env.conf"
# Test machines often have little free disk, and the tests need little.
printf 'disk_free_limit.absolute = 50MB\nloopback_users.guest = true\n' >"$DIR/rabbitmq.conf"
echo "$EPMD_PORT" >"$DIR/epmd-port"

{
    echo '#!/usr/bin/env bash'
    printf 'exec'
    printf ' %q' "${RUN_AS[@]}" env "${node_env[@]}" "$RABBIT_BIN/rabbitmqctl" -n "$NODE"
    echo ' "$@"'
} >"$DIR/rabbitmqctl"
chmod 755 "$DIR/rabbitmqctl"
chown -R "$OWNER" "$DIR"
chmod 700 "$DIR/home"

log "starting node ${NODE} on 127.0.0.1:${PORT} (distribution ${DIST_PORT}, epmd ${EPMD_PORT}) in ${DIR}"
(
    cd "$DIR"
    # The node outlives this script, so it must not inherit the caller's descriptors (sockets,
    # pipes): they would stay open for as long as the node runs.
    for fd in /proc/$BASHPID/fd/*; do
        fd="${fd##*/}"
        if (( fd > 2 )); then eval "exec ${fd}>&-" 2>/dev/null || true; fi
    done
    nohup "${RUN_AS[@]}" env "${node_env[@]}" "$RABBIT_BIN/rabbitmq-server" \
        >"$DIR/log/stdout.log" 2>&1 </dev/null &
    echo $! >"$DIR/launcher.pid"
)

# await_startup fails at once until the node has registered with epmd, so wait for that first.
deadline=$((SECONDS + 120))
until "$DIR/rabbitmqctl" ping >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$DIR/launcher.pid")" 2>/dev/null || (( SECONDS > deadline )); then
        log "the node did not come up; its log is in ${DIR}/log"
        tail -n 30 "$DIR/log/stdout.log" >&2 || true
        exit 1
    fi
    sleep 0.5
done
if ! timeout 120 "$DIR/rabbitmqctl" await_startup --timeout 110 >&2; then
    log "the node did not finish booting within 120s; its log is in ${DIR}/log"
    exit 1
fi

cat >"$DIR/env" <<EOF
export HERALD_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:${PORT}/%2F
export HERALD_TEST_RABBITMQ_NODE=${NODE}
export HERALD_TEST_RABBITMQCTL=${DIR}/rabbitmqctl
export HERALD_TEST_RABBITMQ_PID_FILE=${DIR}/rabbitmq.pid
export HERALD_TEST_RABBITMQ_DIR=${DIR}
EOF
log "node ${NODE} is up"
cat "$DIR/env"
