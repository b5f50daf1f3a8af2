#!/usr/bin/env bash
# Stop a registry started by start.sh DIR (by the pid it recorded) and wait until it is gone.
set -euo pipefail
dir=${1:?usage: stop.sh DIR}
[[ -f $dir/registry.pid ]] || exit 0
pid=$(cat "$dir/registry.pid")
if kill "$pid" 2>/dev/null; then
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$dir/registry.pid"
