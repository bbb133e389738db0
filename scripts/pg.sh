#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for `make run` and `make test`, under .local/pg (ignored by git).
#
#   scripts/pg.sh start   install the server if missing, init the cluster once, start it, create role and database
#   scripts/pg.sh stop    stop it
#   scripts/pg.sh url [DB]     print the DATABASE_URL of the schema owner (migrations, fixtures)
#   scripts/pg.sh fn-url [DB]  print the DATABASE_URL of the functions' role (warden_app, member of warden_fn)
#   scripts/pg.sh psql    open psql as the superuser
#
# Environment: WARDEN_PG_PORT (default 54329), WARDEN_PG_DIR (default .local/pg).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${WARDEN_PG_PORT:-54329}"
dir="${WARDEN_PG_DIR:-$root/.local/pg}"
data="$dir/data"
sock="$dir/sock"
bin=/usr/lib/postgresql/15/bin
app_user=warden                     # owns the schema, runs migrations
app_password=warden-local-password
fn_user=warden_app                  # what the functions log in as: member of warden_fn, owns nothing
fn_password=warden-app-local-password
app_db=warden

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_server() {
    [ -x "$bin/postgres" ] && return
    echo "pg: installing postgresql-15"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q postgresql-15 postgresql-client-15 >/dev/null 2>&1 || {
        apt-get update -q >/dev/null
        apt-get install -y -q postgresql-15 postgresql-client-15 >/dev/null
    }
}

psql_super() { as_postgres "$bin/psql" -h "$sock" -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

start() {
    install_server
    mkdir -p "$dir"
    if [ ! -s "$data/PG_VERSION" ]; then
        mkdir -p "$data" "$sock"
        [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
        as_postgres "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; exit 1; }
        cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
log_min_messages = warning
CONF
    fi
    if ! as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_postgres "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 start >/dev/null || {
            tail -20 "$dir/server.log"; exit 1; }
    fi
    psql_super -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$app_user') THEN
    CREATE ROLE $app_user LOGIN PASSWORD '$app_password';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'warden_fn') THEN
    CREATE ROLE warden_fn NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$fn_user') THEN
    CREATE ROLE $fn_user LOGIN PASSWORD '$fn_password' IN ROLE warden_fn;
  END IF;
END \$\$;
SQL
    if [ -z "$(psql_super -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$app_db'")" ]; then
        psql_super -d postgres -c "CREATE DATABASE $app_db OWNER $app_user"
    fi
    echo "pg: running on 127.0.0.1:$port ($(url))"
}

stop() {
    [ -s "$data/PG_VERSION" ] || return 0
    as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

url() { echo "postgresql://$app_user:$app_password@127.0.0.1:$port/${1:-$app_db}?sslmode=disable"; }
fn_url() { echo "postgresql://$fn_user:$fn_password@127.0.0.1:$port/${1:-$app_db}?sslmode=disable"; }

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) url "${2:-}" ;;
    fn-url) fn_url "${2:-}" ;;
    status) [ -s "$data/PG_VERSION" ] && as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1 ;;
    psql) shift; psql_super -d "$app_db" "$@" ;;
    *) echo "usage: $0 start|stop|status|url|fn-url|psql" >&2; exit 2 ;;
esac
