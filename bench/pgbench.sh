#!/usr/bin/env bash
# pgbench -S through Floe (transaction pooling) against direct PostgreSQL
# and PgBouncer (transaction pooling, same pool size), interleaved in one
# run. Prints TPS, average latency and the ratios Floe/direct and
# Floe/PgBouncer for each protocol mode and client count.
#
# Usage: bench/pgbench.sh [seconds-per-run]          (default 10)
#   CLIENTS="1 16 64" MODES="simple extended prepared" POOL=20 bench/pgbench.sh
#   BASE_REV=<git revision> bench/pgbench.sh   also runs Floe built from that
#     revision (same config, own port) in the same interleaved cells and
#     prints Floe/base: a before/after comparison of a change.
# Needs: PostgreSQL on 127.0.0.1:5432 (trust), pgbench, pgbouncer (Debian
# package; installed if missing and running as root), go.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
T=${1:-10}
CLIENTS=${CLIENTS:-"1 16 64"}
MODES=${MODES:-"simple extended prepared"}
POOL=${POOL:-10}
PGHOST=127.0.0.1 PGPORT=5432
DB=floe_bench
FLOE_PORT=16432 BOUNCER_PORT=16433 ADMIN_PORT=18081 BASE_PORT=16434 BASE_ADMIN_PORT=18082
BASE_REV=${BASE_REV:-}
work=$(mktemp -d)
cleanup() {
  [ -f "$work/pgbouncer.pid" ] && kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null
  kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT

command -v pgbouncer >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer; } >/dev/null
command -v pgbench >/dev/null || { echo "pgbench missing: apt-get install postgresql-contrib" >&2; exit 1; }
PGBOUNCER=$(command -v pgbouncer)

init_pgbench_db $DB

go build -o "$work/floe" ./cmd/floe
cat > "$work/floe.yaml" <<YAML
listen: {postgres: 127.0.0.1:$FLOE_PORT, mysql: "off", http: "off", flightsql: "off", admin: 127.0.0.1:$ADMIN_PORT}
log: {level: warn}
postgres: {max_connections: 1000}
databases:
  - name: $DB
    kind: postgres
    primary: postgres://postgres@$PGHOST:$PGPORT/$DB?sslmode=disable
    pool: {mode: transaction, size: $POOL, acquire_timeout: 30s}
users:
  - name: bench
    password: bench
YAML
"$work/floe" serve --config "$work/floe.yaml" 2>"$work/floe.log" &
if [ -n "$BASE_REV" ]; then
  mkdir "$work/base"
  git archive "$BASE_REV" | tar -x -C "$work/base"
  (cd "$work/base" && go build -o "$work/floe-base" ./cmd/floe)
  sed -e "s/127.0.0.1:$FLOE_PORT/127.0.0.1:$BASE_PORT/" -e "s/127.0.0.1:$ADMIN_PORT/127.0.0.1:$BASE_ADMIN_PORT/" \
    "$work/floe.yaml" >"$work/base.yaml"
  "$work/floe-base" serve --config "$work/base.yaml" 2>"$work/base.log" &
  wait_ports $BASE_PORT
fi

# PgBouncer as a non-root user (it refuses to run as root).
id pgbouncer >/dev/null 2>&1 || useradd -r -M pgbouncer 2>/dev/null || true
md5=$(printf '%s' "benchbench" | md5sum | cut -d' ' -f1)
cat > "$work/userlist.txt" <<U
"bench" "md5$md5"
U
cat > "$work/pgbouncer.ini" <<INI
[databases]
$DB = host=$PGHOST port=$PGPORT dbname=$DB user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
auth_type = md5
auth_file = $work/userlist.txt
pool_mode = transaction
default_pool_size = $POOL
max_client_conn = 1000
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
unix_socket_dir =
INI
chown -R pgbouncer "$work" 2>/dev/null || true
chmod 755 "$work"
if [ "$(id -u)" = 0 ]; then
  su -s /bin/sh pgbouncer -c "$PGBOUNCER $work/pgbouncer.ini" >/dev/null 2>&1 &
else
  "$PGBOUNCER" "$work/pgbouncer.ini" >/dev/null 2>&1 &
fi

wait_ports $FLOE_PORT $BOUNCER_PORT

run() { # target mode clients → "tps latency_ms errors"
  local port user pw
  case $1 in
    direct) port=$PGPORT user=postgres pw= ;;
    floe) port=$FLOE_PORT user=bench pw=bench ;;
    pgbouncer) port=$BOUNCER_PORT user=bench pw=bench ;;
    base) port=$BASE_PORT user=bench pw=bench ;;
  esac
  local out
  out=$(PGPASSWORD=$pw pgbench -h 127.0.0.1 -p "$port" -U "$user" -S -M "$2" -c "$3" -j 2 -T "$T" -n $DB 2>&1) || true
  local tps lat failed
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | tail -1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
  # Errors: failed transactions plus clients pgbench aborted on an error
  # (e.g. "prepared statement does not exist").
  failed=$(( $(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out" | head -1 | grep . || echo 0) \
    + $(grep -c 'aborted in command' <<<"$out" || true) ))
  if [ -z "$tps" ]; then failed="ERR"; tps=0 lat=0; echo "$out" | tail -3 >&2; fi
  echo "${tps:-0} ${lat:-0} ${failed:-0}"
}

echo "pgbench -S -T $T, scale 10, pool size $POOL (Floe and PgBouncer, transaction pooling); err = failed transactions + aborted clients"
printf '%-9s %4s | %10s %8s | %10s %8s %4s | %10s %8s %4s | %12s %12s\n' mode clients "direct tps" "lat ms" "bouncer" "lat ms" err "floe tps" "lat ms" err "floe/direct" "floe/bouncer"
for mode in $MODES; do
  for c in $CLIENTS; do
    # Interleaved: direct, bouncer, floe, each once per cell.
    # PgBouncer 1.18 cannot run protocol-level prepared statements in
    # transaction pooling; its row shows what it does (errors, no TPS).
    read -r dt dl _ <<<"$(run direct "$mode" "$c")"
    read -r bt bl be <<<"$(run pgbouncer "$mode" "$c")"
    read -r ft fl fe <<<"$(run floe "$mode" "$c")"
    rd=$(awk -v a="$ft" -v b="$dt" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
    rb=$(awk -v a="$ft" -v b="$bt" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
    printf '%-9s %4s | %10.0f %8.3f | %10.0f %8.3f %4s | %10.0f %8.3f %4s | %12s %12s\n' "$mode" "$c" "$dt" "$dl" "$bt" "$bl" "$be" "$ft" "$fl" "$fe" "$rd" "$rb"
    if [ -n "$BASE_REV" ]; then
      read -r xt xl xe <<<"$(run base "$mode" "$c")"
      rx=$(awk -v a="$ft" -v b="$xt" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
      printf '%-9s %4s |   base %s: %10.0f tps %8.3f ms err %s | floe/base %s\n' "$mode" "$c" "$BASE_REV" "$xt" "$xl" "$xe" "$rx"
    fi
  done
done
