#!/usr/bin/env bash
# Idle client connections: RSS of Floe (PostgreSQL protocol, then MySQL
# protocol, each on a fresh process, transaction pooling) and of PgBouncer
# before and after N authenticated idle connections, and the KB each one
# costs. The connections are opened and held by bench/idleconns; each runs
# one SELECT 1 first.
#
# Usage: bench/idle.sh [N]          (default 10000)
#   FLOE_BIN=bin/floe bench/idle.sh   measures that binary instead of a fresh build
#   TARGETS="floe-pg floe-mysql pgbouncer" picks the runs
# Needs: PostgreSQL on 127.0.0.1:5432 (trust), MariaDB on 127.0.0.1:3306
# (root, no password), pgbouncer (Debian package; installed if missing and
# running as root), go.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-10000}
TARGETS=${TARGETS:-"floe-pg floe-mysql pgbouncer"}
DB=floe_idle
PG_PORT=16532 MY_PORT=16533 BOUNCER_PORT=16534 ADMIN_PORT=18181
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  set +e
  [ -f "$work/pgbouncer.pid" ] && kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null
  kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"
  psql -h 127.0.0.1 -U postgres -qc "drop database if exists $DB with (force)" postgres 2>/dev/null
  mysql -h 127.0.0.1 -P 3306 -uroot -e "DROP DATABASE IF EXISTS $DB" 2>/dev/null
}
trap cleanup EXIT
ulimit -n $((N + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"

psql -h 127.0.0.1 -U postgres -qAtc "select 1 from pg_database where datname='$DB'" postgres | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -qc "create database $DB" postgres
mysql -h 127.0.0.1 -P 3306 -uroot -e "CREATE DATABASE IF NOT EXISTS $DB"

go build -o "$work/idleconns" ./bench/idleconns
if [ -n "${FLOE_BIN:-}" ]; then cp "$FLOE_BIN" "$work/floe"; else
  go build -tags grpcnotrace -trimpath -ldflags "-s -w" -o "$work/floe" ./cmd/floe; fi
cat > "$work/floe.yaml" <<YAML
listen: {postgres: 127.0.0.1:$PG_PORT, mysql: 127.0.0.1:$MY_PORT, http: "off", flightsql: "off", admin: 127.0.0.1:$ADMIN_PORT}
log: {level: warn}
databases:
  - name: $DB
    kind: postgres
    primary: postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable
    pool: {mode: transaction, size: 4, acquire_timeout: 60s}
  - name: ${DB}_my
    kind: mysql
    primary: mysql://root@127.0.0.1:3306/$DB
    pool: {mode: transaction, size: 4, acquire_timeout: 60s}
users:
  - name: bench
    password: bench
YAML

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# anon_kb PID: the private part of RSS (heap, stacks); the rest is pages of
# the binary and libraries, shared page cache.
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }

# measure NAME PID PROTO DSN: RSS before, with N idle connections, KB each.
measure() {
  local name=$1 pid=$2 proto=$3 dsn=$4 before after anon0 anon1
  sleep 2
  before=$(rss_kb "$pid") anon0=$(anon_kb "$pid")
  coproc CLIENT { exec "$work/idleconns" -proto "$proto" -dsn "$dsn" -n "$N" 2>&1; }
  local line
  while read -r line <&"${CLIENT[0]}"; do
    case $line in ready*) break ;; *) echo "  $name: $line" >&2 ;; esac
  done
  sleep 3
  after=$(rss_kb "$pid") anon1=$(anon_kb "$pid")
  printf "%-12s %7s %10d %10d %10d %10d %8.1f   (%s)\n" "$name" "$N" "$before" "$after" "$anon0" "$anon1" \
    "$(echo "($after - $before) / $N" | bc -l)" "$line"
  exec {CLIENT[1]}>&-
  wait "$CLIENT_PID" 2>/dev/null || true
}

start_floe() {
  "$work/floe" serve --config "$work/floe.yaml" 2>>"$work/floe.log" &
  FLOE_PID=$!
  wait_ports $PG_PORT $MY_PORT
}
stop_floe() { kill "$FLOE_PID"; wait "$FLOE_PID" 2>/dev/null || true; }

printf "%-12s %7s %10s %10s %10s %10s %8s\n" server conns rss0_kb rss1_kb anon0_kb anon1_kb kb/conn
for t in $TARGETS; do
  case $t in
  floe-pg)
    start_floe
    measure floe-pg "$FLOE_PID" postgres "postgres://bench:bench@127.0.0.1:$PG_PORT/$DB?sslmode=disable"
    stop_floe ;;
  floe-mysql)
    start_floe
    measure floe-mysql "$FLOE_PID" mysql "bench:bench@tcp(127.0.0.1:$MY_PORT)/${DB}_my"
    stop_floe ;;
  pgbouncer)
    command -v pgbouncer >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer; } >/dev/null
    PGHOST=127.0.0.1 PGPORT=5432 pgbouncer_cfg "$work" "$DB" "$BOUNCER_PORT" 4 $((N + 100))
    if [ "$(id -u)" = 0 ]; then
      su -s /bin/bash pgbouncer -c "ulimit -n $((N + 1024)); exec $(command -v pgbouncer) -d $work/pgbouncer.ini"
    else
      pgbouncer -d "$work/pgbouncer.ini"
    fi
    wait_ports $BOUNCER_PORT
    sleep 0.5
    measure pgbouncer "$(cat "$work/pgbouncer.pid")" postgres "postgres://bench:bench@127.0.0.1:$BOUNCER_PORT/$DB?sslmode=disable"
    kill "$(cat "$work/pgbouncer.pid")"; rm -f "$work/pgbouncer.pid" ;;
  esac
done
