#!/usr/bin/env bash
# Starts a private PostgreSQL cluster for tests: initdb in a temporary directory, listening on
# 127.0.0.1 on a free port, with one database and a password user. Installs `postgresql` from
# Debian when it is missing.
#
# stdout is only `export` lines, so callers can `eval "$(scripts/postgres-start.sh)"`:
#   HERALD_TEST_POSTGRES_URL   postgres://herald:…@127.0.0.1:PORT/herald
#   HERALD_TEST_POSTGRES_DIR   the cluster's directory (scripts/postgres-stop.sh removes it)
#   HERALD_TEST_POSTGRES_CTL   a script taking stop | start | restart (tests restart the server)
# Progress and errors go to stderr.
set -euo pipefail

log() { echo "postgres-start: $*" >&2; }

find_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return 0; fi
  return 1
}

if ! BIN=$(find_bindir); then
  log "PostgreSQL is not installed; installing the Debian package postgresql"
  if [ "$(id -u)" != 0 ]; then log "installing needs root: run 'sudo apt-get install -y postgresql' and retry"; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
  BIN=$(find_bindir) || { log "postgresql installed but initdb was not found"; exit 1; }
fi

# The server refuses to run as root; run it as the `postgres` system user then.
AS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  AS=(runuser -u postgres --)
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/herald-pg.XXXXXX")
chmod 755 "$DIR"
[ ${#AS[@]} -gt 0 ] && chown postgres "$DIR"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
printf '%s\n' "$PASSWORD" > "$DIR/pwfile"
chmod 600 "$DIR/pwfile"
[ ${#AS[@]} -gt 0 ] && chown postgres "$DIR/pwfile"

"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U herald --pwfile="$DIR/pwfile" --auth=scram-sha-256 \
  --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || { log "initdb failed:"; cat "$DIR/initdb.log" >&2; exit 1; }
rm -f "$DIR/pwfile"

# Options live in the control script so `restart` brings the server back the same way.
cat > "$DIR/ctl.sh" <<CTL
#!/bin/sh
# stop | start | restart the private test cluster in $DIR
set -e
case "\$1" in
  stop) ${AS[*]} "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null ;;
  start|restart) ${AS[*]} "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \\
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=300 -c shared_buffers=128MB" "\$1" >/dev/null ;;
  *) echo "usage: \$0 stop|start|restart" >&2; exit 2 ;;
esac
CTL
chmod 755 "$DIR/ctl.sh"

"$DIR/ctl.sh" start || { log "the server did not start:"; tail -20 "$DIR/server.log" >&2; exit 1; }
PGPASSWORD="$PASSWORD" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U herald herald

URL="postgres://herald:$PASSWORD@127.0.0.1:$PORT/herald"
cat > "$DIR/env" <<ENV
export HERALD_TEST_POSTGRES_URL=$URL
export HERALD_TEST_POSTGRES_DIR=$DIR
export HERALD_TEST_POSTGRES_CTL=$DIR/ctl.sh
ENV
log "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, cluster in $DIR"
cat "$DIR/env"
