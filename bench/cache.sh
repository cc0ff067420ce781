#!/usr/bin/env bash
# The result cache: pgbench through Floe with the cache off and on (hits)
# against PostgreSQL directly, interleaved in one run, for an aggregate
# that takes a few milliseconds and for pgbench -S point selects; the
# same for sysbench oltp_point_select on MariaDB; then the invalidation
# lag: from a direct UPDATE's commit to the first read through Floe that
# sees it (change feed on), p50 and p99.
#
# Usage: bench/cache.sh [seconds-per-run]          (default 10)
#   CLIENTS=16 LAG_ROUNDS=200 SKIP_MYSQL=1 bench/cache.sh
# Needs: PostgreSQL 15 binaries (initdb, pg_ctl: a private cluster with
# wal_level=logical is started on port 25432), pgbench, MariaDB on
# 127.0.0.1:3306 (root, no password), sysbench (Debian package; installed
# if missing and running as root), go.
set -euo pipefail
[ -n "${TRACE:-}" ] && set -x
cd "$(dirname "$0")/.."
. bench/lib.sh
T=${1:-10}
CLIENTS=${CLIENTS:-16}
LAG_ROUNDS=${LAG_ROUNDS:-200}
POOL=${POOL:-10}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGHOST=127.0.0.1 PGPORT=25432
DB=floe_cachebench MYDB=floe_cachebench_my
OFF_PG=16441 ON_PG=16442 OFF_MY=13341 ON_MY=13342 OFF_ADMIN=18091 ON_ADMIN=18092
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true
  if [ -d "$work/pg" ]; then
    if [ "$(id -u)" = 0 ]; then su -s /bin/sh postgres -c "$PGBIN/pg_ctl -D $work/pg -m immediate stop" >/dev/null 2>&1
    else "$PGBIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1; fi || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail_logs() { for f in "$work"/*.log; do echo "== $f" >&2; tail -5 "$f" >&2; done; }
as_pg() { if [ "$(id -u)" = 0 ]; then su -s /bin/sh postgres -c "$*"; else sh -c "$*"; fi; }

# A private cluster with logical decoding for the change feed.
mkdir "$work/pg" && { [ "$(id -u)" != 0 ] || chown postgres "$work/pg"; }
as_pg "$PGBIN/initdb -D $work/pg -U postgres -A trust" >/dev/null
as_pg "$PGBIN/pg_ctl -D $work/pg -l $work/pg/log -w -o '-p $PGPORT -k $work/pg -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10 -c shared_buffers=256MB' start" >/dev/null
init_pgbench_db $DB

go build -o "$work/floe" ./cmd/floe
go build -o "$work/cachelag" ./bench/cachelag
floe_config() { # name pg-port my-port admin-port cache-enabled
  cat <<YAML
listen: {postgres: 127.0.0.1:$2, mysql: 127.0.0.1:$3, http: "off", flightsql: "off", admin: 127.0.0.1:$4}
log: {level: warn}
databases:
  - name: $DB
    kind: postgres
    primary: postgres://postgres@$PGHOST:$PGPORT/$DB?sslmode=disable
    pool: {mode: transaction, size: $POOL, acquire_timeout: 30s}
    cache: {enabled: $5, memory: 256MB, ttl: 10m, max_staleness: 1s}
    cdc: {enabled: $5, heartbeat: 200ms, state_dir: $work}
  - name: $MYDB
    kind: mysql
    primary: mysql://root@127.0.0.1:3306/$MYDB
    pool: {mode: transaction, size: $POOL, acquire_timeout: 30s}
    cache: {enabled: $5, memory: 256MB, ttl: 10m, max_staleness: 10m}
users:
  - {name: bench, password: bench}
YAML
}
floe_config off $OFF_PG $OFF_MY $OFF_ADMIN false >"$work/off.yaml"
floe_config on $ON_PG $ON_MY $ON_ADMIN true >"$work/on.yaml"
"$work/floe" serve --config "$work/off.yaml" 2>"$work/off.log" &
"$work/floe" serve --config "$work/on.yaml" 2>"$work/on.log" &
wait_ports $OFF_PG $ON_PG $OFF_MY $ON_MY

# An aggregate of a few milliseconds over 20,000 accounts (50 distinct
# statements), and point selects over a hot set of 10,000 accounts (the
# plain -S picks among 1,000,000: nearly every read is a miss, which
# shows what a miss costs).
cat >"$work/agg.sql" <<'SQL'
\set b random(1, 50)
SELECT count(*), sum(abalance), avg(abalance) FROM pgbench_accounts WHERE aid BETWEEN (:b - 1) * 20000 + 1 AND :b * 20000;
SQL
cat >"$work/hot.sql" <<'SQL'
\set aid random(1, 10000)
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
SQL

pgrun() { # port user script-args… → tps
  local port=$1 user=$2; shift 2
  local pw= out
  [ "$user" = bench ] && pw=bench
  if ! out=$(PGPASSWORD=$pw pgbench -h 127.0.0.1 -p "$port" -U "$user" -n -M extended -c "$CLIENTS" -j 2 -T "$T" "$@" $DB 2>&1); then
    echo "$out" | tail -5 >&2; fail_logs; exit 1
  fi
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | tail -1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }'; }

echo "pgbench, $CLIENTS clients, -T $T, extended protocol, scale 10 (private cluster, wal_level=logical)"
printf '%-22s %12s %12s %12s %10s %10s\n' workload direct "cache off" "cache on" "on/direct" "on/off"
for w in aggregate point-select-hot point-select-S; do
  case $w in
    aggregate) args=(-f "$work/agg.sql") ;;
    point-select-hot) args=(-f "$work/hot.sql") ;;
    *) args=(-S) ;;
  esac
  # warm the cache once
  pgrun $ON_PG bench "${args[@]}" >/dev/null
  d=$(pgrun $PGPORT postgres "${args[@]}")
  off=$(pgrun $OFF_PG bench "${args[@]}")
  on=$(pgrun $ON_PG bench "${args[@]}")
  printf '%-22s %12.0f %12.0f %12.0f %10s %10s\n' "$w" "$d" "$off" "$on" "$(ratio "$on" "$d")" "$(ratio "$on" "$off")"
done

if [ -z "${SKIP_MYSQL:-}" ]; then
  command -v sysbench >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sysbench; } >/dev/null
  mysql -h 127.0.0.1 -P 3306 -uroot -e "CREATE DATABASE IF NOT EXISTS $MYDB"
  common=(--tables=4 --table-size=10000)
  sysbench oltp_point_select "${common[@]}" --mysql-host=127.0.0.1 --mysql-user=root --mysql-db=$MYDB cleanup >/dev/null 2>&1 || true
  sysbench oltp_point_select "${common[@]}" --mysql-host=127.0.0.1 --mysql-user=root --mysql-db=$MYDB prepare >/dev/null
  sbrun() { # port user pass → tps
    sysbench oltp_point_select "${common[@]}" --threads="$CLIENTS" --time="$T" --mysql-host=127.0.0.1 --mysql-port="$1" \
      --mysql-user="$2" --mysql-password="$3" --mysql-db=$MYDB --db-ps-mode=auto run 2>&1 |
      awk '/transactions:/ {gsub(/\(/,"",$3); print $3}'
  }
  sbrun $ON_MY bench bench >/dev/null
  d=$(sbrun 3306 root ""); off=$(sbrun $OFF_MY bench bench); on=$(sbrun $ON_MY bench bench)
  echo
  echo "sysbench oltp_point_select, $CLIENTS threads, -T $T, MariaDB"
  printf '%-22s %12.0f %12.0f %12.0f %10s %10s\n' "point-select" "$d" "$off" "$on" "$(ratio "$on" "$d")" "$(ratio "$on" "$off")"
  sysbench oltp_point_select "${common[@]}" --mysql-host=127.0.0.1 --mysql-user=root --mysql-db=$MYDB cleanup >/dev/null 2>&1 || true
  mysql -h 127.0.0.1 -P 3306 -uroot -e "DROP DATABASE IF EXISTS $MYDB"
fi

echo
echo "invalidation lag (direct UPDATE commit → first read through Floe that sees it), $LAG_ROUNDS rounds"
"$work/cachelag" -direct "postgres://postgres@$PGHOST:$PGPORT/$DB?sslmode=disable" \
  -floe "postgres://bench:bench@127.0.0.1:$ON_PG/$DB?sslmode=disable" -rounds "$LAG_ROUNDS"
echo "cache answers on the PostgreSQL database (floe_cache_requests_total):"
curl -s "http://127.0.0.1:$ON_ADMIN/metrics" | grep "^floe_cache_requests_total{database=\"$DB\"" | sed 's/^/  /' || true
