#!/bin/sh
# Entrypoint of ship.local/postgres:15 (test/images/build.sh): on first start, create the database
# cluster in $PGDATA with the superuser $POSTGRES_USER (default postgres) and password
# $POSTGRES_PASSWORD (required), and the database $POSTGRES_DB (default: the user's name), the
# way the official postgres image reads them; then run the server in the foreground (pid 1),
# listening on every address of the container (the pod's IP), password auth over TCP.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi
shift $(( $# > 0 ? 1 : 0 ))

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres-entrypoint: POSTGRES_PASSWORD is not set" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # a server on the Unix socket only, to create the database, then stopped
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c jit=off" -w start >/dev/null
    psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -q -c "CREATE DATABASE \"$db\"" 
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "postgres-entrypoint: created database cluster in $PGDATA (user $user, database $db)"
fi
# jit=off: the image leaves LLVM out (test/images/build.sh)
exec postgres -D "$PGDATA" -c listen_addresses='*' -c jit=off "$@"
