#!/usr/bin/env bash
# Real PostgreSQL and MariaDB servers for the database rotation tests (test/database/).
#
#   scripts/databases.sh install   installs postgresql and mariadb-server from Debian's packages if missing
#   scripts/databases.sh start     installs if needed, starts both on 127.0.0.1 (free ports, data under a
#                                  temporary folder) and prints `export VAR=value` lines for the tests:
#                                  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
#                                  MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD
#   scripts/databases.sh stop      stops both and removes their data
#
# In CI:   eval "$(scripts/databases.sh start)"; npm test; scripts/databases.sh stop
# Without it the tests start private servers themselves (test/support/databases.ts), only slower.
# Progress goes to stderr; stdout carries only the export lines. Must run as root (it installs packages,
# and runs each server as its own OS user: PostgreSQL refuses to run as root).
set -euo pipefail

STATE_DIR=${SECRETS_VAULT_DB_DIR:-${TMPDIR:-/tmp}/secrets-vault-databases}

log() { echo "databases.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/postgres" ] && echo "$dir"
}

mariadbd_bin() {
  local bin
  for bin in /usr/sbin/mariadbd /usr/sbin/mysqld; do
    if [ -x "$bin" ]; then
      echo "$bin"
      return 0
    fi
  done
  return 1
}

install_servers() {
  local missing=()
  pg_bin_dir >/dev/null || missing+=(postgresql)
  { mariadbd_bin >/dev/null && command -v mariadb-install-db >/dev/null; } || missing+=(mariadb-server)
  if [ ${#missing[@]} -eq 0 ]; then
    log "postgresql and mariadb-server are installed"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "installing ${missing[*]} needs root"
  log "installing ${missing[*]}"
  # The packages' own service start-up is not wanted: this script starts private servers.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } >&2 || rc=$?
  [ "$created_policy" -eq 1 ] && rm -f "$policy"
  [ "$rc" -eq 0 ] || die "apt-get install ${missing[*]} failed ($rc)"
  pg_bin_dir >/dev/null || die "postgresql installed, but no /usr/lib/postgresql/*/bin/postgres"
  mariadbd_bin >/dev/null || die "mariadb-server installed, but no mariadbd"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_for() {
  local what=$1
  shift
  local i
  for i in $(seq 1 300); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  die "$what did not start within 60 s"
}

start_postgres() {
  local bin dir port password
  bin=$(pg_bin_dir)
  dir="$STATE_DIR/pg"
  mkdir -p "$dir"
  chown postgres: "$dir"
  chmod 700 "$dir"
  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  port=$(free_port)
  printf '%s' "$password" >"$dir/pw"
  chown postgres: "$dir/pw"
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U admin --pwfile="$dir/pw" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C --no-sync --no-instructions >&2
  rm -f "$dir/pw"
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
    start >&2 || { cat "$dir/server.log" >&2; die "PostgreSQL did not start"; }
  cat >"$STATE_DIR/pg.env" <<EOF
export PGHOST=127.0.0.1
export PGPORT=$port
export PGUSER=admin
export PGPASSWORD=$password
export PGDATABASE=postgres
EOF
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

start_mariadb() {
  local bin dir port password
  bin=$(mariadbd_bin)
  dir="$STATE_DIR/mariadb"
  mkdir -p "$dir"
  chown mysql: "$dir"
  chmod 700 "$dir"
  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  port=$(free_port)
  mariadb-install-db --no-defaults --datadir="$dir/data" --user=mysql --auth-root-authentication-method=socket \
    --skip-test-db --skip-name-resolve >&2
  cat >"$dir/init.sql" <<EOF
CREATE USER IF NOT EXISTS 'admin'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;
EOF
  chown mysql: "$dir/init.sql"
  chmod 600 "$dir/init.sql"
  runuser -u mysql -- "$bin" --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" \
    --pid-file="$dir/mysqld.pid" --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin \
    --init-file="$dir/init.sql" --innodb-buffer-pool-size=32M --innodb-flush-log-at-trx-commit=0 \
    --max-connections=200 >"$dir/server.log" 2>&1 </dev/null &
  wait_for "MariaDB" mariadb --no-defaults -h 127.0.0.1 -P "$port" -u admin "-p$password" -e 'SELECT 1' ||
    { cat "$dir/server.log" >&2; exit 1; }
  cat >"$STATE_DIR/mysql.env" <<EOF
export MYSQL_HOST=127.0.0.1
export MYSQL_PORT=$port
export MYSQL_USER=admin
export MYSQL_PASSWORD=$password
EOF
  log "MariaDB $("$bin" --version | awk '{print $3}') on 127.0.0.1:$port"
}

stop_servers() {
  local bin
  if [ -f "$STATE_DIR/pg/data/postmaster.pid" ] && bin=$(pg_bin_dir); then
    runuser -u postgres -- "$bin/pg_ctl" -D "$STATE_DIR/pg/data" -m fast -w stop >&2 || true
  fi
  if [ -f "$STATE_DIR/mariadb/mysqld.pid" ]; then
    local pid
    pid=$(cat "$STATE_DIR/mariadb/mysqld.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$STATE_DIR"
  log "stopped"
}

case "${1:-}" in
  install)
    install_servers
    ;;
  start)
    install_servers
    if [ -d "$STATE_DIR" ]; then
      log "stopping the servers of an earlier run in $STATE_DIR"
      stop_servers
    fi
    mkdir -p "$STATE_DIR"
    chmod 755 "$STATE_DIR"
    start_postgres
    start_mariadb
    cat "$STATE_DIR/pg.env" "$STATE_DIR/mysql.env"
    ;;
  env)
    cat "$STATE_DIR/pg.env" "$STATE_DIR/mysql.env"
    ;;
  stop)
    stop_servers
    ;;
  *)
    echo "usage: $0 install|start|env|stop" >&2
    exit 2
    ;;
esac
