#!/usr/bin/env bash
# Stops the private cluster scripts/postgres-start.sh started and removes its directory.
# Usage: scripts/postgres-stop.sh [DIR]   (default: $HERALD_TEST_POSTGRES_DIR)
set -euo pipefail
DIR="${1:-${HERALD_TEST_POSTGRES_DIR:-}}"
if [ -z "$DIR" ] || [ ! -x "$DIR/ctl.sh" ]; then
  echo "postgres-stop: no cluster directory: pass it or set HERALD_TEST_POSTGRES_DIR" >&2
  exit 1
fi
"$DIR/ctl.sh" stop 2>/dev/null || true
rm -rf "$DIR"
