#!/usr/bin/env bash
# What one transaction costs inside the relay process, for a fixed number
# of transactions: CPU time, syscalls, context switches and (Floe) Go heap
# allocations per transaction, Floe beside PgBouncer and a haproxy
# `mode tcp` relay on PostgreSQL (pgbench -S -M simple -c 16 -t N), Floe
# beside haproxy on MariaDB (sysbench oltp_point_select, 16 threads, a
# fixed event count). Then a second run of each under strace -c -f for the
# calls per transaction by syscall name.
#
# The counters are the relay process's own (all its threads), whatever
# else runs on the machine; only the client's TPS depends on the load.
# CPU, syscalls and context switches come from perf stat -p PID over the
# run (task-clock, raw_syscalls:sys_enter, context-switches); without perf
# from /proc/PID/stat (utime+stime), /proc/PID/task/*/status
# (voluntary+nonvoluntary switches) and the strace run's count (strace
# slows the process down, so its times mean nothing, but the counts are
# right). Allocations: go_memstats_mallocs_total of Floe's /metrics (admin
# listener, no token needed) before and after.
#
# Usage: bench/syscalls.sh [transactions-per-client]   (default 2000: 32000 transactions)
#   MY_EVENTS=32000 bench/syscalls.sh   sysbench events (default 16 × N)
#   TARGETS="pg-floe pg-pgbouncer pg-haproxy my-floe my-haproxy" picks the runs
#   STRACE=0 leaves out the by-syscall runs; POOL=10 the pool size
#   BENCH_DB=name PG_PORT= MY_PORT= BOUNCER_PORT= PG_HAPROXY_PORT=
#     MY_HAPROXY_PORT= ADMIN_PORT=   another database name and ports
# Needs: PostgreSQL on 127.0.0.1:5432 (trust), MariaDB on 127.0.0.1:3306
# (root, no password), pgbench, sysbench, pgbouncer, haproxy (Debian
# packages; pgbouncer and haproxy installed if missing and running as
# root, their rows left out otherwise), perf or strace, curl, go. Attaching
# perf and strace to another user's process (PgBouncer) needs root or
# CAP_SYS_PTRACE / CAP_PERFMON.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-2000}
CLIENTS=16
MY_EVENTS=${MY_EVENTS:-$((16 * N))}
TARGETS=${TARGETS:-"pg-floe pg-pgbouncer pg-haproxy my-floe my-haproxy"}
STRACE=${STRACE:-1}
POOL=${POOL:-10}
PGHOST=127.0.0.1 PGPORT=5432
DB=${BENCH_DB:-floe_syscalls}
MYDB=${DB}_my
PG_PORT=${PG_PORT:-16632} MY_PORT=${MY_PORT:-16633} BOUNCER_PORT=${BOUNCER_PORT:-16634}
PG_HAPROXY_PORT=${PG_HAPROXY_PORT:-16635} MY_HAPROXY_PORT=${MY_HAPROXY_PORT:-16636} ADMIN_PORT=${ADMIN_PORT:-18281}
work=$(mktemp -d)
chmod 755 "$work"
sbcommon=(--tables=1 --table-size=10000 --mysql-host=127.0.0.1 --mysql-db="$MYDB" --db-ps-mode=auto)
cleanup() {
  set +e
  [ -n "${PERF_PID:-}" ] && kill -INT "$PERF_PID" 2>/dev/null
  [ -n "${STRACE_PID:-}" ] && kill -TERM "$STRACE_PID" 2>/dev/null
  [ -f "$work/pgbouncer.pid" ] && kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null
  kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"
  psql -h $PGHOST -p $PGPORT -U postgres -qc "drop database if exists $DB with (force)" postgres 2>/dev/null
  mysql -h 127.0.0.1 -P 3306 -uroot -e "DROP DATABASE IF EXISTS $MYDB" 2>/dev/null
}
trap cleanup EXIT

command -v pgbench >/dev/null || { echo "pgbench missing: apt-get install postgresql-contrib" >&2; exit 1; }
need() { # need NAME: installs the Debian package NAME when missing and root
  command -v "$1" >/dev/null && return 0
  [ "$(id -u)" = 0 ] || return 1
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1"; } >/dev/null 2>&1 || true
  command -v "$1" >/dev/null
}
want() { [[ " $TARGETS " == *" $1 "* ]]; }
drop() { TARGETS=" $TARGETS "; TARGETS=${TARGETS/ $1 / }; }
if want pg-pgbouncer && ! need pgbouncer; then echo "pgbouncer missing: no pg-pgbouncer row" >&2; drop pg-pgbouncer; fi
if { want pg-haproxy || want my-haproxy; } && ! have_haproxy; then
  echo "haproxy missing: no haproxy rows" >&2; drop pg-haproxy; drop my-haproxy; fi
if { want my-floe || want my-haproxy; } && ! need sysbench; then
  echo "sysbench missing: no MySQL rows" >&2; drop my-floe; drop my-haproxy; fi

# perf stat on a pid: the events it can count here.
PERF=""
if command -v perf >/dev/null; then
  for ev in task-clock,context-switches,raw_syscalls:sys_enter task-clock,context-switches; do
    if perf stat -x, -e "$ev" -- true >/dev/null 2>&1; then PERF=$ev; break; fi
  done
fi
[ -z "$PERF" ] && echo "perf stat unusable: CPU and context switches from /proc" >&2
if [[ $PERF != *raw_syscalls* ]]; then
  command -v strace >/dev/null || { echo "neither perf raw_syscalls nor strace: cannot count syscalls" >&2; exit 1; }
  [ "$STRACE" = 1 ] || { echo "perf cannot count syscalls here: STRACE=1 needed" >&2; exit 1; }
  echo "syscalls/tx from the strace run (strace slows the process; its counts are right)" >&2
fi
if [ "$STRACE" = 1 ] && ! command -v strace >/dev/null; then echo "strace missing: no by-syscall table" >&2; STRACE=0; fi

if want pg-floe || want pg-pgbouncer || want pg-haproxy; then init_pgbench_db "$DB"; fi
if want my-floe || want my-haproxy; then
  mysql -h 127.0.0.1 -P 3306 -uroot -e "CREATE DATABASE IF NOT EXISTS $MYDB"
  sysbench oltp_point_select "${sbcommon[@]}" --mysql-port=3306 --mysql-user=root prepare >/dev/null
fi

go build -o "$work/floe" ./cmd/floe
cat > "$work/floe.yaml" <<YAML
listen: {postgres: 127.0.0.1:$PG_PORT, mysql: 127.0.0.1:$MY_PORT, http: "off", flightsql: "off", admin: 127.0.0.1:$ADMIN_PORT}
log: {level: warn}
databases:
  - name: $DB
    kind: postgres
    primary: postgres://postgres@$PGHOST:$PGPORT/$DB?sslmode=disable
    pool: {mode: transaction, size: $POOL, acquire_timeout: 30s}
  - name: $MYDB
    kind: mysql
    primary: mysql://root@127.0.0.1:3306/$MYDB
    pool: {mode: transaction, size: $POOL, acquire_timeout: 30s}
users:
  - name: bench
    password: bench
YAML
"$work/floe" serve --config "$work/floe.yaml" 2>"$work/floe.log" &
FLOE_PID=$!
wait_ports $PG_PORT $MY_PORT $ADMIN_PORT

if want pg-pgbouncer; then
  id pgbouncer >/dev/null 2>&1 || useradd -r -M pgbouncer 2>/dev/null || true
  md5=$(printf '%s' "benchbench" | md5sum | cut -d' ' -f1)
  printf '"bench" "md5%s"\n' "$md5" >"$work/userlist.txt"
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
  if [ "$(id -u)" = 0 ]; then
    su -s /bin/sh pgbouncer -c "$(command -v pgbouncer) $work/pgbouncer.ini" >/dev/null 2>&1 &
  else
    pgbouncer "$work/pgbouncer.ini" >/dev/null 2>&1 &
  fi
  wait_ports $BOUNCER_PORT
  for _ in $(seq 50); do [ -s "$work/pgbouncer.pid" ] && break; sleep 0.1; done
fi
if want pg-haproxy; then start_haproxy "$work" "$PG_HAPROXY_PORT" "$PGPORT"; PG_HAPROXY_PID=$HAPROXY_PID; fi
if want my-haproxy; then start_haproxy "$work" "$MY_HAPROXY_PORT" 3306; MY_HAPROXY_PID=$HAPROXY_PID; fi

pid_of() {
  case $1 in
    *-floe) echo "$FLOE_PID" ;;
    pg-pgbouncer) cat "$work/pgbouncer.pid" ;;
    pg-haproxy) echo "$PG_HAPROXY_PID" ;;
    my-haproxy) echo "$MY_HAPROXY_PID" ;;
  esac
}

# client TARGET COUNT: the fixed workload against TARGET, COUNT
# transactions per pgbench client (or sysbench events in all); prints
# "transactions tps".
client() {
  local out
  case $1 in
    pg-*)
      local port=$PG_PORT user=bench pw=bench
      case $1 in pg-pgbouncer) port=$BOUNCER_PORT ;; pg-haproxy) port=$PG_HAPROXY_PORT user=postgres pw= ;; esac
      out=$(PGPASSWORD=$pw pgbench -h 127.0.0.1 -p "$port" -U "$user" -S -M simple -c $CLIENTS -j 2 -t "$2" -n "$DB" 2>&1) || true
      awk '/^number of transactions actually processed:/ {split($6, a, "/"); n = a[1]} /^tps = / {t = $3}
        END {print n + 0, t + 0}' <<<"$out" ;;
    my-*)
      local port=$MY_PORT user=bench pw=bench
      [ "$1" = my-haproxy ] && port=$MY_HAPROXY_PORT user=root pw=
      out=$(sysbench oltp_point_select "${sbcommon[@]}" --mysql-port="$port" --mysql-user=$user --mysql-password="$pw" \
        --threads=$CLIENTS --events="$2" --time=0 --report-interval=0 run 2>&1) || true
      awk '/transactions:/ {n = $2; gsub(/\(/, "", $3); t = $3} END {print n + 0, t + 0}' <<<"$out" ;;
  esac
}

# CPU seconds (utime+stime of all threads, live and gone) of PID.
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); print ($12 + $13) / hz}' "/proc/$1/stat"; }
# context switches of PID's live threads
proc_ctxsw() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches:/ {s += $2} END {print s + 0}'; }
mallocs() { curl -fsS "http://127.0.0.1:$ADMIN_PORT/metrics" 2>/dev/null | awk '/^go_memstats_mallocs_total / {printf "%.0f", $2}'; }
# What one /metrics scrape allocates, taken off each mallocs delta.
s1=$(mallocs) s2=$(mallocs)
SCRAPE=$(( ${s2:-0} - ${s1:-0} ))

# measure TARGET: one fixed run with the counters; prints
# "tx tps cpu_us/tx syscalls/tx ctxsw/tx mallocs/tx" ("-" for unknown).
measure() {
  local t=$1 pid count res tx tps cpu0 cpu1 cs0 cs1 m0="" m1="" cpu cs sc="-" ma="-"
  pid=$(pid_of "$t")
  case $t in pg-*) count=$N ;; *) count=$MY_EVENTS ;; esac
  client "$t" "$(case $t in pg-*) echo 50 ;; *) echo 800 ;; esac)" >/dev/null # warm the pools
  cpu0=$(proc_cpu "$pid") cs0=$(proc_ctxsw "$pid")
  [[ $t == *-floe ]] && m0=$(mallocs)
  if [ -n "$PERF" ]; then
    perf stat -x, -o "$work/perf.$t" -e "$PERF" -p "$pid" 2>/dev/null &
    PERF_PID=$!
    sleep 0.3
  fi
  res=$(client "$t" "$count")
  if [ -n "$PERF" ]; then kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true; PERF_PID=""; fi
  cpu1=$(proc_cpu "$pid") cs1=$(proc_ctxsw "$pid")
  [[ $t == *-floe ]] && m1=$(mallocs)
  read -r tx tps <<<"$res"
  [ "$tx" -gt 0 ] || { echo "$t: no transactions" >&2; echo "0 0 - - - -"; return; }
  cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$tx" 'BEGIN {printf "%.1f", (b - a) * 1e6 / n}')
  cs=$(awk -v a="$cs0" -v b="$cs1" -v n="$tx" 'BEGIN {printf "%.2f", (b - a) / n}')
  if [ -n "$PERF" ]; then
    read -r cpu cs sc <<<"$(awk -F, -v n="$tx" '
      $3 == "task-clock" {c = sprintf("%.1f", $1 * 1000 / n)}
      $3 == "context-switches" {s = sprintf("%.2f", $1 / n)}
      $3 == "raw_syscalls:sys_enter" {y = sprintf("%.2f", $1 / n)}
      END {print (c == "" ? "-" : c), (s == "" ? "-" : s), (y == "" ? "-" : y)}' "$work/perf.$t")"
  fi
  if [ -n "$m0" ] && [ -n "$m1" ]; then ma=$(awk -v a="$m0" -v b="$m1" -v s="$SCRAPE" -v n="$tx" 'BEGIN {printf "%.1f", (b - a - s) / n}'); fi
  echo "$tx $tps $cpu $sc $cs $ma"
}

# by_syscall TARGET: a run under strace -c -f; writes "name calls/tx" lines
# to $work/sc.TARGET and prints the transactions.
by_syscall() {
  local t=$1 pid count res tx
  pid=$(pid_of "$t")
  case $t in pg-*) count=$N ;; *) count=$MY_EVENTS ;; esac
  strace -c -f -p "$pid" -o "$work/strace.$t" 2>/dev/null &
  STRACE_PID=$!
  sleep 1
  res=$(client "$t" "$count")
  kill -TERM "$STRACE_PID"; wait "$STRACE_PID" 2>/dev/null || true; STRACE_PID=""
  read -r tx _ <<<"$res"
  awk -v n="$tx" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && n > 0 {printf "%s %.2f\n", $NF, $4 / n}' "$work/strace.$t" >"$work/sc.$t"
  echo "$tx"
}

echo "fixed runs: pgbench -S -M simple -c $CLIENTS -t $N (PostgreSQL), sysbench oltp_point_select --threads=$CLIENTS --events=$MY_EVENTS (MariaDB)"
echo "Floe and PgBouncer: transaction pooling, pool $POOL; haproxy: mode tcp. Counters of the relay process, per transaction."
if [ -n "$PERF" ]; then echo "counters: perf stat -e $PERF -p PID"; else echo "counters: /proc/PID/stat, /proc/PID/task/*/status"; fi
echo "mallocs: go_memstats_mallocs_total of Floe's /metrics, less one scrape's own ($SCRAPE)"
printf '%-13s %7s %8s | %9s %11s %9s %10s\n' relay tx "tps" "cpu µs/tx" "syscalls/tx" "ctxsw/tx" "mallocs/tx"
declare -A SC_TX
for t in $TARGETS; do
  read -r tx tps cpu sc cs ma <<<"$(measure "$t")"
  if [ "$STRACE" = 1 ]; then
    SC_TX[$t]=$(by_syscall "$t")
    [ "$sc" = - ] && sc=$(awk '$1 == "total" {print $2 "*"}' "$work/sc.$t")
  fi
  printf '%-13s %7s %8.0f | %9s %11s %9s %10s\n' "$t" "$tx" "$tps" "$cpu" "${sc:--}" "$cs" "$ma"
done
[[ $PERF != *raw_syscalls* ]] && echo "* syscalls/tx from the strace run"

if [ "$STRACE" = 1 ]; then
  echo
  echo "calls per transaction by syscall: strace -c -f, a second run of the same size (transactions:$(for t in $TARGETS; do printf ' %s %s' "$t" "${SC_TX[$t]}"; done))."
  echo "strace slows the relay, so event-loop calls (epoll, futex, nanosleep) batch more than at full speed; reads and writes do not. Below 0.005/tx left out."
  printf '%-18s' syscall; for t in $TARGETS; do printf ' %13s' "$t"; done; echo
  # rows: every syscall of any target down to 0.01 per transaction, by the
  # largest count; total last
  for t in $TARGETS; do cat "$work/sc.$t"; done | awk '$1 != "total" && ($2 + 0 >= max[$1] + 0 || !($1 in max)) {max[$1] = $2}
    END {for (s in max) if (max[s] + 0 > 0) print max[s] + 0, s}' | sort -k1,1gr -k2 | awk '{print $2}' >"$work/sc.order"
  echo total >>"$work/sc.order"
  while read -r s; do
    printf '%-18s' "$s"
    for t in $TARGETS; do printf ' %13s' "$(awk -v s="$s" '$1 == s {print $2; f = 1} END {if (!f) print "-"}' "$work/sc.$t")"; done
    echo
  done <"$work/sc.order"
fi
