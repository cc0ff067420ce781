# Helpers the bench scripts source (bash).

# init_pgbench_db DB: creates DB on $PGHOST:$PGPORT if missing and fills it
# with pgbench tables at scale 10.
init_pgbench_db() {
  psql -h "$PGHOST" -p "$PGPORT" -U postgres -qAtc "select 1 from pg_database where datname='$1'" postgres | grep -q 1 ||
    psql -h "$PGHOST" -p "$PGPORT" -U postgres -qc "create database $1" postgres
  pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -i -q -s 10 "$1" >/dev/null 2>&1
}

# wait_ports PORT...: waits up to 10 s for each local port to accept.
wait_ports() {
  local p
  for p in "$@"; do
    for _ in $(seq 1 50); do
      (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null && break
      sleep 0.2
    done
  done
}

# have_haproxy: true when haproxy is installed; installs the Debian package
# first when it is missing and the script runs as root.
have_haproxy() {
  command -v haproxy >/dev/null && return 0
  [ "$(id -u)" = 0 ] || return 1
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; } >/dev/null 2>&1 || true
  command -v haproxy >/dev/null
}

# haproxy_cfg DIR PORT BACKEND_PORT: writes DIR/haproxy-PORT.cfg, haproxy
# in `mode tcp` relaying 127.0.0.1:PORT to 127.0.0.1:BACKEND_PORT: one
# plain extra hop, no pooling, no protocol awareness.
haproxy_cfg() {
  cat > "$1/haproxy-$2.cfg" <<CFG
global
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
listen relay
  bind 127.0.0.1:$2
  server db 127.0.0.1:$3
CFG
}

# start_haproxy DIR PORT BACKEND_PORT: that relay in the foreground of a
# background job; sets HAPROXY_PID.
start_haproxy() {
  haproxy_cfg "$@"
  haproxy -q -db -f "$1/haproxy-$2.cfg" &
  HAPROXY_PID=$!
  wait_ports "$2"
}

# pgbench_pcts FILE...: "p50 p99" in µs from pgbench per-transaction logs
# (-l: the third field is the latency in µs; failed and skipped
# transactions are left out), "- -" when there are none.
pgbench_pcts() {
  awk '$3 ~ /^[0-9]+$/ {print $3}' "$@" | sort -n |
    awk '{v[NR] = $1} END {if (NR == 0) {print "- -"; exit}; print v[int((NR*50+99)/100)], v[int((NR*99+99)/100)]}'
}

# ratio A B: A/B with two decimals, "-" when B is 0 or not a number.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 > 0) printf "%.2f", a/b; else print "-" }'; }

# pgbouncer_cfg WORK DB PORT POOL [MAX_CLIENTS]: writes WORK/pgbouncer.ini
# and WORK/userlist.txt for PgBouncer in transaction pooling in front of DB
# on $PGHOST:$PGPORT (user bench, password bench, md5; at most MAX_CLIENTS
# client connections, default 1000), owned by the pgbouncer user (made if
# missing: PgBouncer refuses to run as root).
pgbouncer_cfg() {
  local work=$1 db=$2 port=$3 pool=$4 maxc=${5:-1000} md5
  id pgbouncer >/dev/null 2>&1 || useradd -r -M pgbouncer 2>/dev/null || true
  md5=$(printf '%s' "benchbench" | md5sum | cut -d' ' -f1)
  printf '"bench" "md5%s"\n' "$md5" >"$work/userlist.txt"
  cat > "$work/pgbouncer.ini" <<INI
[databases]
$db = host=$PGHOST port=$PGPORT dbname=$db user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
auth_type = md5
auth_file = $work/userlist.txt
pool_mode = transaction
default_pool_size = $pool
max_client_conn = $maxc
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
unix_socket_dir =
INI
  chown -R pgbouncer "$work" 2>/dev/null || true
}
