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
# CPU: /proc/PID/stat utime+stime (every thread, gone ones too) before and
# after. Context switches: voluntary+nonvoluntary of /proc/PID/task/*/status.
# Syscalls: each relay runs as the child of perf stat -I 100 -e
# raw_syscalls:sys_enter (perf stat -p PID would miss the threads started
# after it attaches), summed over the intervals that overlap the run.
# Without perf, the strace run's count (strace slows the process down, so
# its times mean nothing, but the counts are right). Allocations:
# go_memstats_mallocs_total of Floe's /metrics (admin listener, no token
# needed) before and after.
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
  [ -n "${RELAY_PID:-}" ] && kill "$RELAY_PID" 2>/dev/null
  [ -n "${RUN_PID:-}" ] && pgrep -P "$RUN_PID" | xargs -r kill 2>/dev/null
  [ -n "${STRACE_PID:-}" ] && kill -TERM "$STRACE_PID" 2>/dev/null
  [ -f "$work/pgbouncer.pid" ] && kill "$(cat "$work/pgbouncer.pid")" 2>/dev/null
  kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"
  psql -h $PGHOST -p $PGPORT -U postgres -qc "drop database if exists $DB with (force)" postgres 2>/dev/null
  mysql -h 127.0.0.1 -P 3306 -uroot -e "DROP DATABASE IF EXISTS $MYDB" 2>/dev/null
}
trap cleanup EXIT
trap "exit 130" INT TERM

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

# perf stat on a pid, if it can count syscalls here.
PERF=""
if command -v perf >/dev/null && perf stat -x, -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
  PERF=raw_syscalls:sys_enter
fi
if [ -z "$PERF" ]; then
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

if want pg-pgbouncer; then
  pgbouncer_cfg "$work" "$DB" "$BOUNCER_PORT" "$POOL"
fi

# start_relay TARGET: the relay of TARGET on its own, as a child of
# perf stat -I (counting from the start, threads started later included,
# one line per interval) when perf can count syscalls; sets RELAY_PID,
# RUN_PID (what to wait for) and T0 (perf's start, seconds).
IVL=100
start_relay() {
  local t=$1 cmd port
  case $t in
    *-floe) cmd=("$work/floe" serve --config "$work/floe.yaml"); port=$ADMIN_PORT ;;
    pg-haproxy|my-haproxy)
      port=$PG_HAPROXY_PORT; [ "$t" = my-haproxy ] && port=$MY_HAPROXY_PORT
      local back=$PGPORT; [ "$t" = my-haproxy ] && back=3306
      haproxy_cfg "$work" "$port" "$back"
      cmd=(haproxy -q -db -f "$work/haproxy-$port.cfg") ;;
    pg-pgbouncer)
      port=$BOUNCER_PORT; rm -f "$work/pgbouncer.pid"
      if [ "$(id -u)" = 0 ]; then cmd=(su -s /bin/sh pgbouncer -c "exec $(command -v pgbouncer) $work/pgbouncer.ini")
      else cmd=(pgbouncer "$work/pgbouncer.ini"); fi ;;
  esac
  T0=$(date +%s.%N)
  if [ -n "$PERF" ]; then
    perf stat -I $IVL -x, -o "$work/perf.$t" -e "$PERF" -- "${cmd[@]}" >/dev/null 2>"$work/relay.$t.log" &
  else
    "${cmd[@]}" >/dev/null 2>"$work/relay.$t.log" &
  fi
  RUN_PID=$!
  wait_ports "$port"
  case $t in *-floe) wait_ports $PG_PORT $MY_PORT ;; esac
  if [ "$t" = pg-pgbouncer ]; then
    for _ in $(seq 50); do [ -s "$work/pgbouncer.pid" ] && break; sleep 0.1; done
    RELAY_PID=$(cat "$work/pgbouncer.pid")
  elif [ -n "$PERF" ]; then
    RELAY_PID=$(pgrep -P "$RUN_PID" | head -1)
  else
    RELAY_PID=$RUN_PID
  fi
}
stop_relay() {
  kill "$RELAY_PID" 2>/dev/null || true
  wait "$RUN_PID" 2>/dev/null || true
  rm -f "$work/pgbouncer.pid"
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
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.3f", b - a}'; }

# measure TARGET: one fixed run on the started relay; prints
# "tx tps cpu_us/tx ctxsw/tx mallocs/tx from to" ("-" for unknown; from and
# to: the run's window in seconds after T0).
measure() {
  local t=$1 count res tx tps cpu0 cpu1 cs0 cs1 m0="" m1="" s1 s2 scrape=0 ma="-" from to
  case $t in pg-*) count=$N ;; *) count=$MY_EVENTS ;; esac
  client "$t" "$(case $t in pg-*) echo 50 ;; *) echo 800 ;; esac)" >/dev/null # warm the pools
  if [[ $t == *-floe ]]; then
    s1=$(mallocs) s2=$(mallocs) # what one scrape allocates, taken off the delta
    scrape=$(( ${s2:-0} - ${s1:-0} ))
    m0=$(mallocs)
  fi
  sleep 0.5 # an idle gap: perf's intervals at the edges hold no other work
  cpu0=$(proc_cpu "$RELAY_PID") cs0=$(proc_ctxsw "$RELAY_PID") from=$(since "$T0")
  res=$(client "$t" "$count")
  to=$(since "$T0") cpu1=$(proc_cpu "$RELAY_PID") cs1=$(proc_ctxsw "$RELAY_PID")
  sleep 0.5
  [[ $t == *-floe ]] && m1=$(mallocs)
  read -r tx tps <<<"$res"
  [ "$tx" -gt 0 ] || { echo "$t: no transactions" >&2; echo "0 0 - - - $from $to"; return; }
  if [ -n "$m0" ] && [ -n "$m1" ]; then
    ma=$(awk -v a="$m0" -v b="$m1" -v s="$scrape" -v n="$tx" 'BEGIN {printf "%.1f", (b - a - s) / n}'); fi
  awk -v a="$cpu0" -v b="$cpu1" -v c="$cs0" -v d="$cs1" -v n="$tx" -v m="$ma" -v tp="$tps" -v f="$from" -v e="$to" \
    'BEGIN {printf "%d %s %.1f %.2f %s %s %s\n", n, tp, (b - a) * 1e6 / n, (d - c) / n, m, f, e}'
}

# perf_syscalls TARGET FROM TO TX: syscalls per transaction in the
# intervals of perf's log that overlap [FROM, TO].
perf_syscalls() {
  awk -F, -v f="$2" -v e="$3" -v n="$4" -v ivl="$IVL" '
    !/^#/ && $2 ~ /^[0-9]+$/ && $1 + 0 > f && $1 - ivl / 1000 < e + 0 {s += $2}
    END {if (n > 0) printf "%.2f", s / n; else print "-"}' "$work/perf.$1"
}

# by_syscall TARGET: a run under strace -c -f; writes "name calls/tx" lines
# (and "failed": calls that returned an error) to $work/sc.TARGET and
# prints the transactions.
by_syscall() {
  local t=$1 count res tx
  case $t in pg-*) count=$N ;; *) count=$MY_EVENTS ;; esac
  strace -c -f -p "$RELAY_PID" -o "$work/strace.$t" 2>/dev/null &
  STRACE_PID=$!
  sleep 1
  res=$(client "$t" "$count")
  kill -TERM "$STRACE_PID"; wait "$STRACE_PID" 2>/dev/null || true; STRACE_PID=""
  read -r tx _ <<<"$res"
  awk -v n="$tx" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && n > 0 {printf "%s %.2f\n", $NF, $4 / n
    if ($NF == "total") printf "failed %.2f\n", (NF == 6 ? $5 : 0) / n}' "$work/strace.$t" >"$work/sc.$t"
  echo "$tx"
}

echo "fixed runs: pgbench -S -M simple -c $CLIENTS -t $N (PostgreSQL), sysbench oltp_point_select --threads=$CLIENTS --events=$MY_EVENTS (MariaDB)"
echo "Floe and PgBouncer: transaction pooling, pool $POOL; haproxy: mode tcp. Counters of the relay process (all threads), per transaction."
src="the strace run (*)"; [ -n "$PERF" ] && src="perf stat -I $IVL -e $PERF over the run's window"
echo "cpu: /proc/PID/stat utime+stime; ctxsw: /proc/PID/task/*/status; syscalls: $src;"
echo "mallocs: go_memstats_mallocs_total of Floe's /metrics, less one scrape's own"
printf '%-13s %7s %8s | %9s %11s %9s %10s\n' relay tx "tps" "cpu µs/tx" "syscalls/tx" "ctxsw/tx" "mallocs/tx"
declare -A SC_TX
for t in $TARGETS; do
  start_relay "$t"
  read -r tx tps cpu cs ma from to <<<"$(measure "$t")"
  [ "$STRACE" = 1 ] && SC_TX[$t]=$(by_syscall "$t")
  stop_relay
  sc=-
  if [ -n "$PERF" ]; then sc=$(perf_syscalls "$t" "$from" "$to" "$tx")
  elif [ "$STRACE" = 1 ]; then sc=$(awk '$1 == "total" {print $2 "*"}' "$work/sc.$t"); fi
  printf '%-13s %7s %8.0f | %9s %11s %9s %10s\n' "$t" "$tx" "$tps" "$cpu" "$sc" "$cs" "$ma"
done

if [ "$STRACE" = 1 ]; then
  echo
  echo "calls per transaction by syscall: strace -c -f, a second run of the same size (transactions:$(for t in $TARGETS; do printf ' %s %s' "$t" "${SC_TX[$t]}"; done))."
  echo "strace slows the relay, so event-loop calls (epoll, futex, nanosleep) batch more than at full speed; reads and writes do not. Below 0.005/tx left out; failed: calls that returned an error (EAGAIN...)."
  printf '%-18s' syscall; for t in $TARGETS; do printf ' %13s' "$t"; done; echo
  # rows: every syscall of any target down to 0.01 per transaction, by the
  # largest count; total and failed last
  for t in $TARGETS; do cat "$work/sc.$t"; done | awk '$1 != "total" && $1 != "failed" && ($2 + 0 >= max[$1] + 0 || !($1 in max)) {max[$1] = $2}
    END {for (s in max) if (max[s] + 0 > 0) print max[s] + 0, s}' | sort -k1,1gr -k2 | awk '{print $2}' >"$work/sc.order"
  printf 'total\nfailed\n' >>"$work/sc.order"
  while read -r s; do
    printf '%-18s' "$s"
    for t in $TARGETS; do printf ' %13s' "$(awk -v s="$s" '$1 == s {print $2; f = 1} END {if (!f) print "-"}' "$work/sc.$t")"; done
    echo
  done <"$work/sc.order"
fi
