#!/usr/bin/env bash
# sysbench through Floe (MySQL front end, transaction pooling) against
# MariaDB directly and through a haproxy `mode tcp` relay (one plain extra
# hop, no pooling), interleaved in one run. Prints TPS and the p50 and p99
# latency (µs, from sysbench's latency histogram) for each workload and
# thread count, and the ratios Floe/direct and Floe/haproxy.
#
# Usage: bench/sysbench-mysql.sh [seconds-per-run]     (default 10)
#   THREADS="1 16" TESTS="oltp_point_select oltp_read_only" ROUNDS=2 POOL=10 bench/sysbench-mysql.sh
#   BENCH_DB=name FLOE_PORT= HAPROXY_PORT= ADMIN_PORT=   another database and ports
# Needs: MariaDB on 127.0.0.1:3306 (root, no password), sysbench and
# haproxy (Debian packages; installed if missing and running as root; the
# haproxy column is left out when it is missing otherwise), go.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
T=${1:-10}
THREADS=${THREADS:-"1 16"}
TESTS=${TESTS:-"oltp_point_select oltp_read_only"}
ROUNDS=${ROUNDS:-2}
POOL=${POOL:-10}
DB=${BENCH_DB:-floe_sbtest}
FLOE_PORT=${FLOE_PORT:-13307} HAPROXY_PORT=${HAPROXY_PORT:-13308} ADMIN_PORT=${ADMIN_PORT:-18082}
work=$(mktemp -d)
cleanup() { set +e; kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
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

HAPROXY=0
if have_haproxy; then start_haproxy "$work" "$HAPROXY_PORT" 3306; HAPROXY=1
else echo "haproxy missing (not root, so not installed): no haproxy column" >&2; fi

# run target test threads -> "tps p50_us p99_us". The percentiles come from
# sysbench's latency histogram (buckets about 1.5% wide).
run() {
  local port=3306 user=root pass=""
  if [ "$1" = floe ]; then port=$FLOE_PORT user=bench pass=bench; fi
  if [ "$1" = haproxy ]; then port=$HAPROXY_PORT; fi
  sysbench "$2" "${common[@]}" --threads="$3" --time="$T" --report-interval=0 --histogram=on \
    --mysql-host=127.0.0.1 --mysql-port=$port --mysql-user=$user --mysql-password="$pass" --mysql-db=$DB \
    --db-ps-mode=auto run 2>&1 | awk '
      /transactions:/ {gsub(/\(/, "", $3); tps = $3}
      /^Latency histogram/ {h = 1; next}
      h && /^ *[0-9.]+ +\|/ {n++; v[n] = $1; c[n] = $NF; total += $NF; next}
      h && !/distribution/ {h = 0}
      END {
        p50 = p99 = "-"; s = 0
        for (i = 1; i <= n; i++) {
          s += c[i]
          if (p50 == "-" && s >= total * 0.50) p50 = sprintf("%.0f", v[i] * 1000)
          if (p99 == "-" && s >= total * 0.99) p99 = sprintf("%.0f", v[i] * 1000)
        }
        print (tps == "" ? 0 : tps), p50, p99
      }'
}

# mean of a column of numbers ("-" left out; "-" when none)
mean() { awk '$1 != "-" {s += $1; n++} END {if (n) printf "%.0f", s/n; else print "-"}'; }

echo "sysbench --time=$T, $ROUNDS rounds averaged, pool size $POOL (Floe, transaction pooling; haproxy mode tcp, no pooling)"
echo "p50/p99: latency in µs from sysbench's histogram; f/x = Floe TPS / x TPS"
printf "%-18s %3s | %9s %5s %5s | %9s %5s %5s | %9s %5s %5s | %8s %9s\n" test thr direct p50 p99 haproxy p50 p99 floe p50 p99 f/direct f/haproxy
for test in $TESTS; do
  for th in $THREADS; do
    : >"$work/r.direct"; : >"$work/r.haproxy"; : >"$work/r.floe"
    for _ in $(seq "$ROUNDS"); do
      run direct "$test" "$th" >>"$work/r.direct"
      [ "$HAPROXY" = 1 ] && run haproxy "$test" "$th" >>"$work/r.haproxy"
      run floe "$test" "$th" >>"$work/r.floe"
    done
    for t in direct haproxy floe; do
      read -r "${t}_tps" "${t}_p50" "${t}_p99" <<<"$(for k in 1 2 3; do cut -d' ' -f$k "$work/r.$t" | mean; printf ' '; done)"
    done
    printf "%-18s %3s | %9s %5s %5s | %9s %5s %5s | %9s %5s %5s | %8s %9s\n" "$test" "$th" \
      "$direct_tps" "$direct_p50" "$direct_p99" "$haproxy_tps" "$haproxy_p50" "$haproxy_p99" "$floe_tps" "$floe_p50" "$floe_p99" \
      "$(ratio "$floe_tps" "$direct_tps")" "$(ratio "$floe_tps" "$haproxy_tps")"
  done
done
sysbench oltp_read_write "${common[@]}" --mysql-host=127.0.0.1 --mysql-port=3306 --mysql-user=root --mysql-db=$DB cleanup >/dev/null 2>&1 || true
