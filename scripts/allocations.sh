#!/usr/bin/env bash
# Counts Swift object allocations (calls of swift_allocObject, through a perf uprobe) per delivery
# in each Herald process during `herald-bench deliveries`. Unlike CPU time, which this shared
# 2-core machine makes vary by a third from one minute to the next, the count repeats to within
# a percent for the controller (the worker's moves with how results pack), so it shows a change
# that removes work before the machine's noise lets a CPU figure show it.
#
# Usage: scripts/allocations.sh [NOTIFICATIONS]   (default 300, times 10 recipients)
# Needs: a release build (herald, herald-bench), perf with uprobes (linux-perf), and the servers
# of `eval "$(scripts/rabbitmq-start.sh)"; eval "$(scripts/postgres-start.sh)"`.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-300}
BIN="$PWD/.build/release"
[ -x "$BIN/herald" ] && [ -x "$BIN/herald-bench" ] || {
  echo "allocations: build first: swift build -c release --product herald && swift build -c release --product herald-bench" >&2
  exit 1
}
command -v perf >/dev/null || { echo "allocations: perf is missing (apt-get install -y linux-perf)" >&2; exit 1; }
CORE=$(ldd "$BIN/herald" | awk '/libswiftCore/ {print $3}')
EVENT=probe_libswiftCore:swift_allocObject
perf probe -q -x "$CORE" swift_allocObject 2>/dev/null || perf probe -l 2>/dev/null | grep -q "$EVENT" || {
  echo "allocations: cannot place a uprobe on swift_allocObject in $CORE (perf probe needs root and uprobes)" >&2
  exit 1
}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$BIN/herald-bench" deliveries --skip-retry-variant --idle 0 --notifications "$N" >"$OUT/bench" 2>&1 &
BENCH=$!
for _ in $(seq 1 600); do pgrep -f "$BIN/herald worker" >/dev/null && break; sleep 0.05; done
for role in apiserver controller worker; do
  pid=$(pgrep -f "$BIN/herald $role" | head -1)
  perf stat -e "$EVENT" -p "$pid" -o "$OUT/$role" >/dev/null 2>&1 &
done
wait "$BENCH" || { cat "$OUT/bench" >&2; exit 1; }
sleep 1
grep -E "end to end" "$OUT/bench"
for role in apiserver controller worker; do
  calls=$(awk -v e="$EVENT" '$2 == e {gsub(",", "", $1); print $1}' "$OUT/$role")
  awk -v r="$role" -v c="${calls:-0}" -v d="$((N * 10))" 'BEGIN {printf "%-10s %6.1f allocations per delivery\n", r, c / d}'
done
