#!/usr/bin/env bash
# Runs every Herald test on a fresh machine: installs what is missing, starts private PostgreSQL
# and RabbitMQ servers on 127.0.0.1 when their start scripts exist, runs `swift test`, then the
# kubectl conformance check against `herald serve`, and stops everything it started.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export HERALD_TEST_TMP="$(mktemp -d "${TMPDIR:-/tmp}/herald-test.XXXXXX")"
chmod 755 "$HERALD_TEST_TMP"
status=0
cleanup() {
  [ -n "${HERALD_PID:-}" ] && kill "$HERALD_PID" 2>/dev/null && wait "$HERALD_PID" 2>/dev/null
  [ -x scripts/rabbitmq-stop.sh ] && [ -n "${HERALD_TEST_AMQP_URL:-}" ] && scripts/rabbitmq-stop.sh >/dev/null 2>&1
  [ -x scripts/postgres-stop.sh ] && [ -n "${HERALD_TEST_POSTGRES_URL:-}" ] && scripts/postgres-stop.sh >/dev/null 2>&1
  rm -rf "$HERALD_TEST_TMP"
}
trap cleanup EXIT

scripts/install-deps.sh || { echo "installing dependencies failed"; exit 1; }

if [ -x scripts/postgres-start.sh ]; then
  eval "$(scripts/postgres-start.sh)" || { echo "PostgreSQL did not start"; exit 1; }
fi
if [ -x scripts/rabbitmq-start.sh ]; then
  eval "$(scripts/rabbitmq-start.sh)" || { echo "RabbitMQ did not start"; exit 1; }
fi

echo "== swift build"
swift build --build-tests 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Planning)' || true
swift build --build-tests >/dev/null 2>&1 || { echo "build failed"; swift build --build-tests 2>&1 | tail -40; exit 1; }

# Runs `swift test --skip-build ARGS…`, keeps the full output in LOG, prints the summary and any
# failure; sets status=1 unless the run passed.
run_swift_test() {
  local log="$1"; shift
  swift test --skip-build "$@" 2>&1 | tee "$log" |
    awk '/Test run with/ || /Executed/ { print; next } /started\.$/ || /passed after/ || /^Test Case/ { next } { print }' | tail -80
  if ! grep -Eq 'Test run with [0-9]+ tests? (in [0-9]+ suites? )?passed' "$log"; then
    echo "swift test $* failed"; grep -E 'failed|error' "$log" | head -40; status=1
  fi
}

echo "== swift test"
# The delivery integration tests keep herald processes, RabbitMQ and PostgreSQL busy; run beside
# the timing-sensitive unit suites on a 2-core machine they starve them, so they run on their
# own afterwards.
run_swift_test "$HERALD_TEST_TMP/swift-test.log" --skip DeliveryIntegrationTests

echo "== swift test: delivery integration tests (real RabbitMQ, herald processes)"
run_swift_test "$HERALD_TEST_TMP/swift-test-integration.log" --filter DeliveryIntegrationTests

echo "== kubectl conformance against herald serve"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$ROOT/.build/debug/herald" serve --listen "127.0.0.1:$PORT" --data-dir "$HERALD_TEST_TMP/serve" >"$HERALD_TEST_TMP/serve.log" 2>&1 &
HERALD_PID=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
# Nothing is skipped by default: the controller in `herald serve` makes the two `wait` checks pass.
SKIP="${HERALD_CONFORMANCE_SKIP-}"
if [ -n "$SKIP" ]; then
  bash ../shared/conformance/kubectl-check.sh "http://127.0.0.1:$PORT" --skip "$SKIP" || status=1
else
  bash ../shared/conformance/kubectl-check.sh "http://127.0.0.1:$PORT" || status=1
fi

if [ -n "${HERALD_TEST_POSTGRES_URL:-}" ]; then
  echo "== kubectl conformance against herald serve --store postgres://…"
  kill "$HERALD_PID" 2>/dev/null && wait "$HERALD_PID" 2>/dev/null
  case "$HERALD_TEST_POSTGRES_URL" in *\?*) SEP='&' ;; *) SEP='?' ;; esac
  PG_STORE="$HERALD_TEST_POSTGRES_URL${SEP}schema=conformance_$$&sslmode=disable"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  "$ROOT/.build/debug/herald" serve --listen "127.0.0.1:$PORT" --data-dir "$HERALD_TEST_TMP/serve-pg" --store "$PG_STORE" \
    >"$HERALD_TEST_TMP/serve-pg.log" 2>&1 &
  HERALD_PID=$!
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  if [ -n "$SKIP" ]; then
    bash ../shared/conformance/kubectl-check.sh "http://127.0.0.1:$PORT" --skip "$SKIP" || status=1
  else
    bash ../shared/conformance/kubectl-check.sh "http://127.0.0.1:$PORT" || status=1
  fi
fi

exit $status
