#!/usr/bin/env bash
# pgbench -S through Floe (transaction pooling) against direct PostgreSQL,
# a haproxy `mode tcp` relay (one plain extra hop, no pooling) and
# PgBouncer (transaction pooling, same pool size), interleaved in one run.
# Prints TPS and the p50 and p99 latency (µs, from pgbench's
# per-transaction log) of each, and the ratios Floe/direct, Floe/haproxy
# and Floe/PgBouncer for each protocol mode and client count.
#
# Usage: bench/pgbench.sh [seconds-per-run]          (default 10)
#   CLIENTS="1 16 64" MODES="simple extended prepared" POOL=20 bench/pgbench.sh
#   BASE_REV=<git revision> bench/pgbench.sh   also runs Floe built from that
#     revision (same config, own port) in the same interleaved cells and
#     prints Floe/base: a before/after comparison of a change.
#   PERCENTILES=0 bench/pgbench.sh   no per-transaction log (pgbench writes
#     one line per transaction, which costs the client a little CPU)
#   BENCH_DB=name FLOE_PORT= BOUNCER_PORT= HAPROXY_PORT= ADMIN_PORT=
#     BASE_PORT= BASE_ADMIN_PORT=   another database and ports (the
#     database is filled with pgbench -i: do not share it with a run)
# Needs: PostgreSQL on 127.0.0.1:5432 (trust), pgbench, pgbouncer and
# haproxy (Debian packages; installed if missing and running as root; the
# haproxy column is left out when it is missing otherwise), go.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
T=${1:-10}
CLIENTS=${CLIENTS:-"1 16 64"}
MODES=${MODES:-"simple extended prepared"}
POOL=${POOL:-10}
PGHOST=127.0.0.1 PGPORT=5432
DB=${BENCH_DB:-floe_bench}
FLOE_PORT=${FLOE_PORT:-16432} BOUNCER_PORT=${BOUNCER_PORT:-16433} HAPROXY_PORT=${HAPROXY_PORT:-16435}
ADMIN_PORT=${ADMIN_PORT:-18081} BASE_PORT=${BASE_PORT:-16434} BASE_ADMIN_PORT=${BASE_ADMIN_PORT:-18082}
BASE_REV=${BASE_REV:-}
PERCENTILES=${PERCENTILES:-1}
work=$(mktemp -d)
cleanup() {
  set +e
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
pgbouncer_cfg "$work" "$DB" "$BOUNCER_PORT" "$POOL"
chmod 755 "$work"
if [ "$(id -u)" = 0 ]; then
  su -s /bin/sh pgbouncer -c "$PGBOUNCER $work/pgbouncer.ini" >/dev/null 2>&1 &
else
  "$PGBOUNCER" "$work/pgbouncer.ini" >/dev/null 2>&1 &
fi

HAPROXY=0
if have_haproxy; then start_haproxy "$work" "$HAPROXY_PORT" "$PGPORT"; HAPROXY=1
else echo "haproxy missing (not root, so not installed): no haproxy column" >&2; fi

wait_ports $FLOE_PORT $BOUNCER_PORT

run() { # target mode clients → "tps latency_ms errors p50_us p99_us"
  local port user pw
  case $1 in
    direct) port=$PGPORT user=postgres pw= ;;
    haproxy) port=$HAPROXY_PORT user=postgres pw= ;;
    floe) port=$FLOE_PORT user=bench pw=bench ;;
    pgbouncer) port=$BOUNCER_PORT user=bench pw=bench ;;
    base) port=$BASE_PORT user=bench pw=bench ;;
  esac
  local out logargs=() pcts="- -"
  rm -rf "$work/log"; mkdir "$work/log"
  [ "$PERCENTILES" = 1 ] && logargs=(-l --log-prefix="$work/log/tx")
  out=$(cd "$work/log" && PGPASSWORD=$pw pgbench -h 127.0.0.1 -p "$port" -U "$user" -S -M "$2" -c "$3" -j 2 -T "$T" -n "${logargs[@]}" $DB 2>&1) || true
  if [ "$PERCENTILES" = 1 ] && compgen -G "$work/log/tx.*" >/dev/null; then pcts=$(pgbench_pcts "$work"/log/tx.*); fi
  rm -rf "$work/log"
  local tps lat failed
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | tail -1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
  # Errors: failed transactions plus clients pgbench aborted on an error
  # (e.g. "prepared statement does not exist").
  failed=$(( $(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out" | head -1 | grep . || echo 0) \
    + $(grep -c 'aborted in command' <<<"$out" || true) ))
  if [ -z "$tps" ]; then failed="ERR"; tps=0 lat=0; echo "$out" | tail -3 >&2; fi
  echo "${tps:-0} ${lat:-0} ${failed:-0} $pcts"
}

echo "pgbench -S -T $T, scale 10, pool size $POOL (Floe and PgBouncer, transaction pooling; haproxy mode tcp, no pooling)"
echo "p50/p99: latency in µs from pgbench -l; err = failed transactions + aborted clients; f/x = Floe TPS / x TPS"
printf '%-8s %3s | %7s %5s %5s | %7s %5s %5s | %7s %5s %5s %3s | %7s %5s %5s %3s | %8s %9s %9s\n' \
  mode cl "direct" p50 p99 "haproxy" p50 p99 "bouncer" p50 p99 err "floe" p50 p99 err f/direct f/haproxy f/bouncer
for mode in $MODES; do
  for c in $CLIENTS; do
    # Interleaved: direct, haproxy, bouncer, floe, each once per cell.
    # PgBouncer 1.18 cannot run protocol-level prepared statements in
    # transaction pooling; its row shows what it does (errors, no TPS).
    read -r dt _ _ d50 d99 <<<"$(run direct "$mode" "$c")"
    ht=0 h50=- h99=-
    [ "$HAPROXY" = 1 ] && read -r ht _ _ h50 h99 <<<"$(run haproxy "$mode" "$c")"
    read -r bt _ be b50 b99 <<<"$(run pgbouncer "$mode" "$c")"
    read -r ft _ fe f50 f99 <<<"$(run floe "$mode" "$c")"
    printf '%-8s %3s | %7.0f %5s %5s | %7s %5s %5s | %7.0f %5s %5s %3s | %7.0f %5s %5s %3s | %8s %9s %9s\n' \
      "$mode" "$c" "$dt" "$d50" "$d99" "$([ "$HAPROXY" = 1 ] && printf '%.0f' "$ht" || echo -)" "$h50" "$h99" \
      "$bt" "$b50" "$b99" "$be" "$ft" "$f50" "$f99" "$fe" "$(ratio "$ft" "$dt")" "$(ratio "$ft" "$ht")" "$(ratio "$ft" "$bt")"
    if [ -n "$BASE_REV" ]; then
      read -r xt xl xe x50 x99 <<<"$(run base "$mode" "$c")"
      printf '%-8s %3s |   base %s: %7.0f tps %8.3f ms p50 %s p99 %s µs err %s | floe/base %s\n' "$mode" "$c" "$BASE_REV" "$xt" "$xl" "$x50" "$x99" "$xe" "$(ratio "$ft" "$xt")"
    fi
  done
done
