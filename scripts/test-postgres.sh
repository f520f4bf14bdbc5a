#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on loopback for the test suite and prints the
# connection URL of a fresh database on stdout. Installs Debian's postgresql package
# when no server binaries are present (CI runs as root). Stop it with
#   scripts/test-postgres.sh stop <dir>
# Usage: eval "$(scripts/test-postgres.sh start)"   → exports CLEO_TEST_PG_URL, CLEO_TEST_PG_DIR
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    if [ -z "$(pg_bin)" ]; then
      if [ "$(id -u)" != 0 ]; then echo "echo 'no PostgreSQL server binaries and not root: cannot install' >&2"; exit 0; fi
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2
    fi
    bin=$(pg_bin)
    dir=$(mktemp -d /tmp/cleo-pg-XXXXXX)
    chmod 0755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    port=$(( 20000 + RANDOM % 20000 ))
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >/dev/null
    db="cleo_test_$$_$RANDOM"
    as_postgres "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE $db" >/dev/null
    echo "export CLEO_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/$db"
    echo "export CLEO_TEST_PG_DIR=$dir"
    ;;
  stop)
    dir="${2:?usage: stop <dir>}"
    bin=$(pg_bin)
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
esac
