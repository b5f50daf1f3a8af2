#!/usr/bin/env bash
# Start a throw-away Docker registry (Debian's docker-registry, distribution 2.8) on loopback.
#   start.sh DIR PORT [USER PASSWORD]
# Everything lives in DIR: config.yml, storage/, htpasswd (when USER is given), registry.log and
# registry.pid. With USER and PASSWORD the registry requires basic auth (htpasswd, bcrypt).
# Prints the pid. Stop it with stop.sh DIR. Never uses the package's system service.
set -euo pipefail
dir=${1:?usage: start.sh DIR PORT [USER PASSWORD]}
port=${2:?usage: start.sh DIR PORT [USER PASSWORD]}
user=${3:-}
password=${4:-}

if ! command -v docker-registry >/dev/null || ! command -v htpasswd >/dev/null; then
  echo "installing docker-registry apache2-utils" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry apache2-utils >/dev/null
fi

mkdir -p "$dir/storage"
auth=""
if [[ -n $user ]]; then
  htpasswd -Bbn "$user" "$password" >"$dir/htpasswd"
  auth="auth:
  htpasswd:
    realm: ship-test
    path: $dir/htpasswd"
fi
cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$auth
YAML

docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
pid=$!
echo "$pid" >"$dir/registry.pid"
for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "docker-registry exited; its log:" >&2
    cat "$dir/registry.log" >&2
    exit 1
  fi
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
  if [[ $code == 200 || $code == 401 ]]; then
    echo "$pid"
    exit 0
  fi
  sleep 0.1
done
echo "docker-registry did not answer on 127.0.0.1:$port within 10s; its log:" >&2
cat "$dir/registry.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
