#!/usr/bin/env bash
# Read/write split: pgbench -S (select only) through two Floe instances in
# front of the same PostgreSQL primary and streaming replica — one with
# routing.read_write_split off (every read on the primary), one with it on
# (reads on the replica) — alternating in one run. Prints TPS and the
# ratio split-on / split-off per client count. Both servers run on this
# machine, so the split moves work between processes sharing the same
# cores: the ratio shows the routing's own cost and whether the replica
# serves the reads, not a capacity gain.
#
# The primary and replica are made here (initdb + pg_basebackup in a
# temporary directory, as the postgres user when run as root).
#
# Usage: bench/readsplit.sh [seconds-per-run]        (default 10)
#   CLIENTS="1 16 64" MODES="simple extended" bench/readsplit.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
T=${1:-10}
CLIENTS=${CLIENTS:-"1 16 64"}
MODES=${MODES:-"simple extended"}
BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
P_PORT=16531 R_PORT=16532 OFF_PORT=16541 ON_PORT=16542
root=$(mktemp -d /tmp/floe-readsplit-XXXX)
chmod 755 "$root"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$root"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  as_pg "$BIN/pg_ctl" -D "$root/replica" -m immediate stop >/dev/null 2>&1 || true
  as_pg "$BIN/pg_ctl" -D "$root/primary" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$root"
}
trap cleanup EXIT

as_pg "$BIN/initdb" -D "$root/primary" -U postgres --auth=trust --no-sync >/dev/null
cat >> "$root/primary/postgresql.conf" <<CONF
port = $P_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$root'
wal_level = replica
max_wal_senders = 4
max_connections = 300
shared_buffers = 64MB
CONF
echo "host replication all 127.0.0.1/32 trust" >> "$root/primary/pg_hba.conf"
as_pg "$BIN/pg_ctl" -D "$root/primary" -l "$root/primary.log" -w start >/dev/null
as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p $P_PORT -U postgres -D "$root/replica" -R -X stream
echo "port = $R_PORT" >> "$root/replica/postgresql.conf"
as_pg "$BIN/pg_ctl" -D "$root/replica" -l "$root/replica.log" -w start >/dev/null
pgbench -h 127.0.0.1 -p $P_PORT -U postgres -i -q -s 10 postgres >/dev/null 2>&1
sleep 2 # let the replica replay the load

go build -o "$root/floe" ./cmd/floe
conf() { # port admin split
  cat <<YAML
listen: {postgres: 127.0.0.1:$1, mysql: "off", http: "off", flightsql: "off", admin: 127.0.0.1:$2}
log: {level: warn}
postgres: {max_connections: 1000}
databases:
  - name: bench
    kind: postgres
    primary: postgres://postgres@127.0.0.1:$P_PORT/postgres?sslmode=disable
    replicas: ["postgres://postgres@127.0.0.1:$R_PORT/postgres?sslmode=disable"]
    pool: {mode: transaction, size: 20, acquire_timeout: 30s}
    routing: {read_write_split: $3}
users:
  - {name: bench, password: bench}
YAML
}
conf $OFF_PORT 16551 false > "$root/off.yaml"
conf $ON_PORT 16552 true > "$root/on.yaml"
"$root/floe" serve --config "$root/off.yaml" 2>"$root/off.log" &
"$root/floe" serve --config "$root/on.yaml" 2>"$root/on.log" &
wait_ports $OFF_PORT $ON_PORT
sleep 1 # first health checks

tps() { # port clients mode
  PGPASSWORD=bench pgbench -h 127.0.0.1 -p "$1" -U bench -n -S -c "$2" -j 2 -M "$3" -T "$T" bench 2>/dev/null |
    awk '/^tps/ {print int($3)}'
}
# Where the reads went, from the servers' own counters.
reads_on() { psql -h 127.0.0.1 -p "$1" -U postgres -qAtc "select sum(xact_commit) from pg_stat_database" postgres; }

printf "%-9s %7s %12s %12s %8s\n" mode clients "split off" "split on" ratio
for mode in $MODES; do
  for c in $CLIENTS; do
    off=$(tps $OFF_PORT "$c" "$mode")
    before=$(reads_on $R_PORT)
    on=$(tps $ON_PORT "$c" "$mode")
    after=$(reads_on $R_PORT)
    printf "%-9s %7d %12d %12d %8.2f   (replica transactions during split-on run: %d)\n" "$mode" "$c" "$off" "$on" "$(awk -v a="$on" -v b="$off" 'BEGIN {print (b > 0 ? a / b : 0)}')" $((after - before))
  done
done
