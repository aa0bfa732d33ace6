#!/usr/bin/env bash
# Runs Herald on a fresh machine: installs what is missing, builds, and serves the API with the
# embedded default (SQLite store under ./.herald, in-process broker) on 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product herald
swift build -c release --product heraldctl
exec .build/release/herald serve "$@"
