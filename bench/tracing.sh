#!/usr/bin/env bash
# The cost of statement tracing: pgbench -S through three Floe instances
# in one interleaved run — tracing off, tracing on with sampling_ratio 1.0
# and with 0.01 — exporting over OTLP/gRPC to a local receiver
# (bench/otlpsink) that counts the spans. Prints TPS, average latency and
# the ratios on/off for each protocol mode and client count.
#
# Usage: bench/tracing.sh [seconds-per-run]          (default 10)
#   CLIENTS="1 16" MODES="simple extended" POOL=10 bench/tracing.sh
# Needs: PostgreSQL on 127.0.0.1:5432 (trust), pgbench, go.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
T=${1:-10}
CLIENTS=${CLIENTS:-"1 16"}
MODES=${MODES:-"simple extended"}
POOL=${POOL:-10}
PGHOST=127.0.0.1 PGPORT=5432
DB=floe_bench
OFF_PORT=16442 FULL_PORT=16443 SAMPLE_PORT=16444 SINK_PORT=14317
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

command -v pgbench >/dev/null || { echo "pgbench missing: apt-get install postgresql-contrib" >&2; exit 1; }
init_pgbench_db $DB

go build -o "$work/floe" ./cmd/floe
go build -o "$work/otlpsink" ./bench/otlpsink
"$work/otlpsink" -listen 127.0.0.1:$SINK_PORT >"$work/sink.out" &
sink_pid=$!

# config PORT TRACING → a Floe config serving $DB on PORT.
config() {
  cat <<YAML
listen: {postgres: 127.0.0.1:$1, mysql: "off", http: "off", flightsql: "off", admin: "off"}
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
$2
YAML
}
config $OFF_PORT "" >"$work/off.yaml"
config $FULL_PORT "tracing: {enabled: true, endpoint: 127.0.0.1:$SINK_PORT, insecure: true, sampling_ratio: 1.0}" >"$work/full.yaml"
config $SAMPLE_PORT "tracing: {enabled: true, endpoint: 127.0.0.1:$SINK_PORT, insecure: true, sampling_ratio: 0.01}" >"$work/sample.yaml"
floe_pids=()
for n in off full sample; do
  "$work/floe" serve --config "$work/$n.yaml" 2>"$work/$n.log" &
  floe_pids+=($!)
done
wait_ports $OFF_PORT $FULL_PORT $SAMPLE_PORT $SINK_PORT

run() { # port mode clients → "tps latency_ms"
  local out tps lat
  out=$(PGPASSWORD=bench pgbench -h 127.0.0.1 -p "$1" -U bench -S -M "$2" -c "$3" -j 2 -T "$T" -n $DB 2>&1) || true
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | tail -1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$out")
  [ -n "$tps" ] || { echo "$out" | tail -3 >&2; tps=0 lat=0; }
  echo "${tps:-0} ${lat:-0}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }'; }

echo "pgbench -S -T $T, scale 10, pool size $POOL, transaction pooling; tracing exported over OTLP/gRPC to a local receiver"
printf '%-9s %4s | %10s %7s | %10s %7s | %10s %7s | %9s %9s\n' mode clients "off tps" "lat ms" "1.0 tps" "lat ms" "0.01 tps" "lat ms" "1.0/off" "0.01/off"
for mode in $MODES; do
  for c in $CLIENTS; do
    # Interleaved: off, 1.0, 0.01, each once per cell.
    read -r off_tps off_lat < <(run $OFF_PORT "$mode" "$c")
    read -r full_tps full_lat < <(run $FULL_PORT "$mode" "$c")
    read -r sample_tps sample_lat < <(run $SAMPLE_PORT "$mode" "$c")
    printf '%-9s %4s | %10s %7s | %10s %7s | %10s %7s | %9s %9s\n' "$mode" "$c" "$off_tps" "$off_lat" "$full_tps" "$full_lat" \
      "$sample_tps" "$sample_lat" "$(ratio "$full_tps" "$off_tps")" "$(ratio "$sample_tps" "$off_tps")"
  done
done
# The gateways flush their spans as they stop, then the receiver counts.
kill -TERM "${floe_pids[@]}" 2>/dev/null || true
wait "${floe_pids[@]}" 2>/dev/null || true
kill -TERM $sink_pid; wait $sink_pid 2>/dev/null || true
cat "$work/sink.out"
