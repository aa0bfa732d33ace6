#!/usr/bin/env bash
# Installs the system libraries and servers Herald needs, from Debian, when they are missing.
set -euo pipefail
need=()
for pkg in libsqlite3-dev libcurl4-openssl-dev librabbitmq-dev libjemalloc-dev rabbitmq-server postgresql python3-pip curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install the Swift 6.3 toolchain first" >&2
  exit 1
fi
