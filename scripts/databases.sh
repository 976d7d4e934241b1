#!/usr/bin/env bash
# The PostgreSQL and MariaDB servers the database rotation tests (test/database/) run, from Debian's
# packages.
#
#   scripts/databases.sh install [PACKAGE...]   installs postgresql and mariadb-server, or the ones
#                                               named, if missing (as root: sudo scripts/databases.sh install)
#
# `npm test` runs this itself when the packages are missing and it runs as root (unless
# SECRETS_VAULT_NO_INSTALL is set), and otherwise stops with a message naming this command. The tests
# then start their own private servers on 127.0.0.1 (test/support/global-setup.ts): nothing else to
# start, and the packages' own system services stay off.
set -euo pipefail

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

mariadb_installed() {
  { [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]; } && command -v mariadb-install-db >/dev/null
}

installed() {
  case "$1" in
    postgresql) pg_bin_dir >/dev/null ;;
    mariadb-server) mariadb_installed ;;
  esac
}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    installed "$pkg" || echo "$pkg"
  done
}

install_packages() {
  local wanted=("$@") packages pkg
  [ ${#wanted[@]} -gt 0 ] || wanted=(postgresql mariadb-server)
  for pkg in "${wanted[@]}"; do
    case "$pkg" in
      postgresql | mariadb-server) ;;
      *) die "unknown package $pkg (this script installs postgresql and mariadb-server)" ;;
    esac
  done
  mapfile -t packages < <(missing_packages "${wanted[@]}")
  if [ ${#packages[@]} -eq 0 ]; then
    log "already installed: ${wanted[*]}"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "installing ${packages[*]} needs root: sudo $0 install"
  command -v apt-get >/dev/null || die "no apt-get: install ${packages[*]} with this system's package manager"
  log "installing ${packages[*]}"
  # The packages' own service start-up is not wanted: the tests start private servers.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  # Waits for another apt-get (two test runs installing at once) instead of failing on its lock.
  {
    apt-get -o DPkg::Lock::Timeout=300 update &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends \
        "${packages[@]}"
  } >&2 || rc=$?
  [ "$created_policy" -eq 1 ] && rm -f "$policy"
  [ "$rc" -eq 0 ] || die "apt-get install ${packages[*]} failed ($rc)"
  local still
  still=$(missing_packages "${packages[@]}" | xargs)
  [ -z "$still" ] || die "apt-get installed ${packages[*]}, but $still is still missing"
  log "installed ${packages[*]}"
}

case "${1:-}" in
  install)
    shift
    install_packages "$@"
    ;;
  *)
    echo "usage: $0 install [postgresql] [mariadb-server]" >&2
    exit 2
    ;;
esac
