#!/usr/bin/env bash
# Make sure a Docker engine answers on /var/run/docker.sock (idempotent).
# Installs docker.io from Debian if missing and starts dockerd in the background when
# the socket does not answer. Never stops or restarts a running dockerd.
set -euo pipefail
SOCK=/var/run/docker.sock
LOG=/var/log/ship-dockerd.log
answers() { docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
  echo "docker-up: installing docker.io (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null; }
fi
if answers; then
  echo "docker-up: dockerd already answers on $SOCK (server $(docker version --format '{{.Server.Version}}'))"
  exit 0
fi
if pgrep -x dockerd >/dev/null; then
  echo "docker-up: a dockerd process exists but $SOCK does not answer yet; waiting"
else
  echo "docker-up: starting dockerd (log: $LOG)"
  setsid nohup dockerd > "$LOG" 2>&1 < /dev/null &
fi
for _ in $(seq 1 120); do
  if answers; then echo "docker-up: dockerd ready on $SOCK"; exit 0; fi
  sleep 0.5
done
echo "docker-up: dockerd did not answer on $SOCK within 60s; last log lines:" >&2
tail -n 30 "$LOG" >&2 || true
exit 1
