#!/usr/bin/env bash
# Makes sure the servers the tests use are running: PostgreSQL (5432),
# MariaDB (3306) and Redis (6379). Starts installed servers that are down
# and installs missing ones from Debian's packages (needs root), plus the
# client tools the tests drive (psql, the mysql client, curl) and the
# browser the dashboard tests drive (chromium). PostgreSQL gets the hypopg
# extension (hypothetical indexes: the index advice verifies candidates
# with it).
# Usage: scripts/services.sh [postgres] [mariadb] [redis] [chromium] [curl]   (default: all)
set -u
want=("$@"); [ ${#want[@]} -eq 0 ] && want=(postgres mariadb redis chromium curl)
up() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 60); do up "$1" && return 0; sleep 0.5; done; return 1; }
apt_ready=0
install() {
  [ "$(id -u)" = 0 ] || { echo "services: missing $*; run as root or install: apt-get install $*" >&2; return 1; }
  [ $apt_ready = 1 ] || { apt-get update -qq >/dev/null; apt_ready=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
need() { command -v "$1" >/dev/null 2>&1 || install "${@:2}"; }
# hypopg installs the hypopg extension for each installed PostgreSQL major.
hypopg() {
  local v
  for v in $(ls /usr/lib/postgresql 2>/dev/null); do
    [ -f /usr/share/postgresql/$v/extension/hypopg.control ] || install postgresql-$v-hypopg || return 1
  done
}
fail=0
for s in "${want[@]}"; do
  case $s in
    postgres)
      need psql postgresql-client || fail=1
      if up 5432; then echo "postgres: up on 5432"; hypopg || fail=1; continue; fi
      need pg_ctlcluster postgresql postgresql-contrib || { fail=1; continue; }
      v=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
      if [ -z "$v" ]; then
        v=$(ls /usr/lib/postgresql | sort -V | tail -1)
        pg_createcluster "$v" main >/dev/null || { echo "postgres: cannot create a cluster" >&2; fail=1; continue; }
      fi
      conf=/etc/postgresql/$v/main/pg_hba.conf
      # The tests connect as postgres over TCP without a password.
      grep -q '^host all all 127.0.0.1/32 trust' "$conf" 2>/dev/null || sed -i '1i host all all 127.0.0.1/32 trust' "$conf"
      pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
      hypopg || fail=1
      if wait_port 5432; then echo "postgres: started on 5432"; else echo "postgres: failed to start" >&2; fail=1; fi
      psql -h 127.0.0.1 -U postgres -Atc "select 1 from pg_database where datname='test'" postgres 2>/dev/null | grep -q 1 ||
        psql -h 127.0.0.1 -U postgres -qc "create database test" postgres 2>/dev/null || true ;;
    mariadb)
      up 3306 && { echo "mariadb: up on 3306"; continue; }
      need mariadbd mariadb-server mariadb-client || { fail=1; continue; }
      mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null
      start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
      if wait_port 3306; then echo "mariadb: started on 3306"; else echo "mariadb: failed to start" >&2; fail=1; fi ;;
    redis)
      up 6379 && { echo "redis: up on 6379"; continue; }
      need redis-server redis-server || { fail=1; continue; }
      mkdir -p /var/lib/redis /var/log/redis
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
      if wait_port 6379; then echo "redis: started on 6379"; else echo "redis: failed to start" >&2; fail=1; fi ;;
    chromium)
      need chromium chromium && echo "chromium: $(command -v chromium)" || fail=1 ;;
    curl)
      need curl curl || fail=1 ;;
    *) echo "services: unknown service $s" >&2; fail=1 ;;
  esac
done
exit $fail
