#!/usr/bin/env bash
# Arrow export of a large PostgreSQL table (pgbench_accounts; scale 100 is
# 10 million rows) three ways — the arrowsql library, the HTTP API
# (?format=arrow) and Flight SQL — against psql's binary COPY to
# /dev/null as the baseline, in one run, alternating. Prints each way's
# time, its ratio to COPY and peak RSS (of the exporting process for COPY
# and the library; of the floe process for HTTP and Flight SQL, which is
# started fresh for each of them).
#
# Usage: bench/arrow.sh [rounds]        (default 3)
#   SCALE=100 bench/arrow.sh            pgbench scale (100: 10M rows)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ROUNDS=${1:-3}
SCALE=${SCALE:-100}
PGHOST=127.0.0.1 PGPORT=5432
DB=floe_arrow_$SCALE
HTTP_PORT=18180 FLIGHT_PORT=18815 ADMIN_PORT=18181
SQL="SELECT * FROM pgbench_accounts"
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

command -v pgbench >/dev/null || { echo "pgbench missing: apt-get install postgresql-contrib" >&2; exit 1; }
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; } >/dev/null ||
  { echo "GNU time missing: apt-get install time" >&2; exit 1; }
want=$((SCALE * 100000))
have=$(psql -h $PGHOST -p $PGPORT -U postgres -qAtc "select count(*) from pgbench_accounts" $DB 2>/dev/null || echo 0)
if [ "$have" != "$want" ]; then
  echo "creating $DB (pgbench scale $SCALE, $want rows)…" >&2
  psql -h $PGHOST -p $PGPORT -U postgres -qc "drop database if exists $DB" postgres
  psql -h $PGHOST -p $PGPORT -U postgres -qc "create database $DB" postgres
  pgbench -h $PGHOST -p $PGPORT -U postgres -i -q -s "$SCALE" $DB >/dev/null 2>&1
  psql -h $PGHOST -p $PGPORT -U postgres -qc "vacuum analyze pgbench_accounts" $DB
fi

go build -o "$work/floe" ./cmd/floe
go build -o "$work/arrowbench" ./bench/arrowbench
cat > "$work/floe.yaml" <<YAML
listen: {postgres: "off", mysql: "off", http: 127.0.0.1:$HTTP_PORT, flightsql: 127.0.0.1:$FLIGHT_PORT, admin: 127.0.0.1:$ADMIN_PORT}
log: {level: warn}
databases:
  - {name: bench, kind: postgres, primary: "postgres://postgres@$PGHOST:$PGPORT/$DB?sslmode=disable", pool: {size: 4}}
users:
  - {name: bench, password: bench}
YAML

# rss_of PID: peak RSS (kB) of a running process.
rss_of() { awk '/VmHWM/ {print $2}' /proc/"$1"/status; }

copy_run() {
  /usr/bin/time -f "%e %M" -o "$work/time" \
    psql -h $PGHOST -p $PGPORT -U postgres -qc "\\copy ($SQL) to '/dev/null' with (format binary)" $DB
  read -r secs kb < "$work/time"
  echo "$secs $kb"
}
lib_run() {
  "$work/arrowbench" lib "postgres://postgres@$PGHOST:$PGPORT/$DB?sslmode=disable" "$SQL" |
    sed -E 's/rows=[0-9]+ seconds=([0-9.]+) rss_kb=([0-9]+)/\1 \2/'
}
gateway_run() { # http|flight
  "$work/floe" serve --config "$work/floe.yaml" 2>>"$work/floe.log" &
  local pid=$!
  wait_ports $HTTP_PORT $FLIGHT_PORT
  local out
  if [ "$1" = http ]; then
    out=$("$work/arrowbench" http "http://127.0.0.1:$HTTP_PORT" bench bench bench "$SQL")
  else
    out=$("$work/arrowbench" flight "127.0.0.1:$FLIGHT_PORT" bench bench bench "$SQL")
  fi
  local kb; kb=$(rss_of $pid)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$out" | sed -E "s/rows=[0-9]+ seconds=([0-9.]+) rss_kb=[0-9]+/\1 $kb/"
}

declare -A T R
for way in copy lib http flight; do T[$way]=0; R[$way]=0; done
for r in $(seq 1 "$ROUNDS"); do
  for way in copy lib http flight; do
    case $way in
      copy) res=$(copy_run) ;;
      lib) res=$(lib_run) ;;
      *) res=$(gateway_run $way) ;;
    esac
    read -r secs kb <<<"$res"
    echo "round $r $way: ${secs}s, peak RSS $((kb / 1024)) MB" >&2
    T[$way]=$(awk -v a="${T[$way]}" -v b="$secs" 'BEGIN {print a + b}')
    R[$way]=$(( kb > R[$way] ? kb : R[$way] ))
  done
done

echo
echo "pgbench_accounts, $want rows, $ROUNDS rounds (time: mean; RSS: max)"
printf "%-34s %9s %12s %14s\n" way seconds "vs COPY" "peak RSS MB"
for way in copy lib http flight; do
  mean=$(awk -v a="${T[$way]}" -v b="$ROUNDS" 'BEGIN {print a / b}')
  ratio=$(awk -v a="${T[$way]}" -v b="${T[copy]}" 'BEGIN {print a / b}')
  case $way in
    copy) name="psql \\copy binary (baseline)" ;;
    lib) name="arrowsql library → Arrow IPC" ;;
    http) name="HTTP API ?format=arrow (floe RSS)" ;;
    flight) name="Flight SQL (floe RSS)" ;;
  esac
  printf "%-34s %9.2f %12.2f %14d\n" "$name" "$mean" "$ratio" $((R[$way] / 1024))
done
