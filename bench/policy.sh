#!/usr/bin/env bash
# The cost of policy: pgbench -S through two Floe instances on the same
# PostgreSQL database, one without policy and one with grants, the SQL
# firewall in protect mode and the audit log, interleaved in one run.
# Prints TPS and the relay's CPU time per transaction of each, and the
# ratios policy-on / policy-off per protocol mode and client count (CPU:
# off / on, so that both read "1.0 = free").
#
# In simple mode every statement carries its own literal (a new text:
# a parse each time); in extended and prepared modes the text repeats
# (the parse cache answers).
#
# Usage: bench/policy.sh [seconds-per-run]          (default 10)
#   CLIENTS="1 16 64" MODES="simple extended prepared" POOL=10 bench/policy.sh
#   AUDIT=0 bench/policy.sh      policy on without the audit log
#   MASK=1 bench/policy.sh       policy on also masks the column every
#                                statement returns (hash of abalance)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
T=${1:-10}
CLIENTS=${CLIENTS:-"1 16 64"}
MODES=${MODES:-"simple extended prepared"}
POOL=${POOL:-10}
PGHOST=127.0.0.1 PGPORT=5432
DB=floe_bench
OFF_PORT=16442 ON_PORT=16443
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

command -v pgbench >/dev/null || { echo "pgbench missing: apt-get install postgresql-contrib" >&2; exit 1; }
init_pgbench_db $DB

go build -o "$work/floe" ./cmd/floe
common() { # port admin-port
  cat <<YAML
listen: {postgres: 127.0.0.1:$1, mysql: "off", http: "off", flightsql: "off", admin: 127.0.0.1:$2}
log: {level: warn}
postgres: {max_connections: 1000}
databases:
  - name: $DB
    kind: postgres
    primary: postgres://postgres@$PGHOST:$PGPORT/$DB?sslmode=disable
    pool: {mode: transaction, size: $POOL, acquire_timeout: 30s}
YAML
}
{ common $OFF_PORT 18091; cat <<YAML
users:
  - {name: bench, password: bench}
YAML
} > "$work/off.yaml"
{ common $ON_PORT 18092; cat <<YAML
users:
  - {name: bench, password: bench, roles: [bencher]}
roles:
  - name: bencher
    grants:
      - {database: $DB, tables: ["public.pgbench_*"], actions: [select, insert, update, delete]}
      - {database: $DB, tables: [pgbench_history], actions: [all], deny: true}
firewall: {mode: protect}
YAML
[ "${AUDIT:-1}" = 1 ] && echo "audit: {file: $work/audit.jsonl}"
[ "${MASK:-0}" = 1 ] && echo "masking: [{database: $DB, table: pgbench_accounts, column: abalance, method: hash}]"
true
} > "$work/on.yaml"
"$work/floe" serve --config "$work/off.yaml" 2>"$work/off.log" &
OFF_PID=$!
"$work/floe" serve --config "$work/on.yaml" 2>"$work/on.log" &
ON_PID=$!
wait_ports $OFF_PORT $ON_PORT

# cpu_ticks PID: user+system CPU time of the process, every thread, in
# clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

run() { # port pid mode clients → "tps errors cpu-µs-per-transaction"
  local out tps failed n t0 t1
  t0=$(cpu_ticks "$2")
  out=$(PGPASSWORD=bench pgbench -h 127.0.0.1 -p "$1" -U bench -S -M "$3" -c "$4" -j 2 -T "$T" -n $DB 2>&1) || true
  t1=$(cpu_ticks "$2")
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | tail -1)
  n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out" | head -1)
  failed=$(( $(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out" | head -1 | grep . || echo 0) \
    + $(grep -c 'aborted in command' <<<"$out" || true) ))
  if [ -z "$tps" ]; then failed="ERR"; tps=0; echo "$out" | tail -3 >&2; fi
  echo "$tps $failed $(awk -v d=$((t1 - t0)) -v n="${n:-0}" -v hz="$HZ" 'BEGIN{ if (n>0) printf "%.1f", d*1e6/hz/n; else print "-" }')"
}

# TPS moves with whatever else the two shared cores run; the relay's own
# CPU time per transaction (/proc/PID/stat, every thread) moves much less.
echo "pgbench -S -T $T, scale 10, pool size $POOL; policy on = grants + firewall protect$([ "${AUDIT:-1}" = 1 ] && echo ' + audit file')$([ "${MASK:-0}" = 1 ] && echo ' + masking')"
printf '%-9s %4s | %10s %10s | %10s %10s %4s | %8s %9s\n' mode clients "off tps" "cpu µs/tx" "on tps" "cpu µs/tx" err "tps on/off" "cpu off/on"
for mode in $MODES; do
  for c in $CLIENTS; do
    read -r a _ ac <<<"$(run $OFF_PORT $OFF_PID "$mode" "$c")"
    read -r b be bc <<<"$(run $ON_PORT $ON_PID "$mode" "$c")"
    r=$(awk -v a="$b" -v b="$a" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
    rc=$(awk -v a="$ac" -v b="$bc" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "-" }')
    printf '%-9s %4s | %10.0f %10s | %10.0f %10s %4s | %8s %9s\n' "$mode" "$c" "$a" "$ac" "$b" "$bc" "$be" "$r" "$rc"
  done
done
[ -f "$work/audit.jsonl" ] && echo "audit records written: $(wc -l <"$work/audit.jsonl")"
exit 0
