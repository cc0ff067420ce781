#!/usr/bin/env bash
# Installs the client libraries the driver compatibility suite (test/compat)
# runs against Floe: PgJDBC and MariaDB Connector/J with a Java runtime and
# compiler, psycopg2, PyMySQL and SQLAlchemy for Debian's python3, Node.js
# with npm, and the node clients pg and mysql2 (npm ci into
# test/compat/node/node_modules, from the committed package-lock.json).
# Installing Debian packages needs root; without it the script names the
# apt-get line to run and fails.
# Usage: scripts/compat-deps.sh
set -u
cd "$(dirname "$0")/.."
fail=0
missing=()
have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in default-jdk-headless libpostgresql-jdbc-java libmariadb-java \
         python3-psycopg2 python3-pymysql python3-sqlalchemy nodejs npm; do
  have_deb "$p" || missing+=("$p")
done
# nodejs and npm may come from elsewhere than Debian: a working npm is enough.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  m=(); for p in "${missing[@]}"; do case $p in nodejs|npm) ;; *) m+=("$p") ;; esac; done; missing=("${m[@]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "compat: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null &&
      apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      { echo "compat: apt-get install ${missing[*]} failed" >&2; fail=1; }
  else
    echo "compat: missing ${missing[*]}; run as root or install: apt-get install ${missing[*]}" >&2
    fail=1
  fi
fi
if command -v npm >/dev/null 2>&1; then
  if ! (cd test/compat/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    echo "compat: npm ci in test/compat/node failed" >&2; fail=1
  fi
else
  echo "compat: npm is missing: apt-get install nodejs npm" >&2; fail=1
fi
[ $fail = 0 ] && echo "compat: clients ready"
exit $fail
