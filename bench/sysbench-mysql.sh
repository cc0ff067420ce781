#!/usr/bin/env bash
# sysbench through Floe (MySQL front end, transaction pooling) against
# MariaDB directly, interleaved in one run. Prints TPS for each workload
# and thread count and the ratio Floe/direct.
#
# Usage: bench/sysbench-mysql.sh [seconds-per-run]     (default 10)
#   THREADS="1 4 16" TESTS="oltp_point_select oltp_read_write" ROUNDS=2 POOL=10 bench/sysbench-mysql.sh
# Needs: MariaDB on 127.0.0.1:3306 (root, no password), sysbench (Debian
# package; installed if missing and running as root), go.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-10}
THREADS=${THREADS:-"1 4 16"}
TESTS=${TESTS:-"oltp_point_select oltp_read_write"}
ROUNDS=${ROUNDS:-2}
POOL=${POOL:-10}
DB=floe_sbtest
FLOE_PORT=13307 ADMIN_PORT=18082
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

command -v sysbench >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sysbench; } >/dev/null
mysql -h 127.0.0.1 -P 3306 -uroot -e "CREATE DATABASE IF NOT EXISTS $DB"
common=(--tables=4 --table-size=10000)
sysbench oltp_read_write "${common[@]}" --mysql-host=127.0.0.1 --mysql-port=3306 --mysql-user=root --mysql-db=$DB cleanup >/dev/null 2>&1 || true
sysbench oltp_read_write "${common[@]}" --mysql-host=127.0.0.1 --mysql-port=3306 --mysql-user=root --mysql-db=$DB prepare >/dev/null

go build -o "$work/floe" ./cmd/floe
cat > "$work/floe.yaml" <<YAML
listen: {postgres: "off", mysql: 127.0.0.1:$FLOE_PORT, http: "off", flightsql: "off", admin: 127.0.0.1:$ADMIN_PORT}
log: {level: warn}
databases:
  - name: $DB
    kind: mysql
    primary: mysql://root@127.0.0.1:3306/$DB
    pool: {mode: transaction, size: $POOL, acquire_timeout: 30s}
users:
  - name: bench
    password: bench
YAML
"$work/floe" serve --config "$work/floe.yaml" 2>"$work/floe.log" &
for _ in $(seq 50); do mysql -h 127.0.0.1 -P $FLOE_PORT -ubench -pbench $DB -e 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done

run() { # target test threads -> tps
  local port=3306 user=root pass=""
  if [ "$1" = floe ]; then port=$FLOE_PORT user=bench pass=bench; fi
  sysbench "$2" "${common[@]}" --threads="$3" --time="$T" --report-interval=0 \
    --mysql-host=127.0.0.1 --mysql-port=$port --mysql-user=$user --mysql-password="$pass" --mysql-db=$DB \
    --db-ps-mode=auto run 2>&1 | awk '/transactions:/ {gsub(/\(/,"",$3); print $3} /ignored errors:/ {e=$3} END {}'
}

printf "%-18s %7s %12s %12s %8s\n" test threads direct_tps floe_tps ratio
for test in $TESTS; do
  for th in $THREADS; do
    d=0 f=0
    for _ in $(seq "$ROUNDS"); do
      d=$(echo "$d + $(run direct "$test" "$th")" | bc -l)
      f=$(echo "$f + $(run floe "$test" "$th")" | bc -l)
    done
    printf "%-18s %7s %12.1f %12.1f %8.2f\n" "$test" "$th" "$(echo "$d/$ROUNDS" | bc -l)" "$(echo "$f/$ROUNDS" | bc -l)" "$(echo "$f/$d" | bc -l)"
  done
done
sysbench oltp_read_write "${common[@]}" --mysql-host=127.0.0.1 --mysql-port=3306 --mysql-user=root --mysql-db=$DB cleanup >/dev/null 2>&1 || true
