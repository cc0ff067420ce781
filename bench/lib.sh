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
