#!/usr/bin/env bash
# Run a command beside a throwaway PostgreSQL server:
#   scripts/with_postgres.sh .venv/bin/python -m pytest
# The server (Debian's packages, installed when missing and running as root) gets a fresh data
# directory in a temporary folder, listens on 127.0.0.1 only (port COLLATERAL_PG_PORT, default
# 55432, or the next free one), and is stopped and removed when the command ends. The command
# sees COLLATERAL_TEST_DATABASE_URL, the URL of an empty database its role may copy and create.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

pg_bin() {  # the newest server's binaries (a client package alone has no initdb)
  find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null \
    | sort -V | tail -n 1 | xargs -r dirname
}

if [ -z "$(pg_bin)" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not installed: run 'apt-get install -y postgresql' as root." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Only the server binaries are wanted: no cluster of its own left running on port 5432.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  apt-get update -qq
  apt-get install -y -qq -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    postgresql >/dev/null
fi
BIN="$(pg_bin)"

# PostgreSQL refuses to run as root: as root, the server and its tools run as `postgres`.
if [ "$(id -u)" -eq 0 ]; then
  as_server() { runuser -u postgres -- "$@"; }
else
  as_server() { "$@"; }
fi

free_port() {
  python3 - "$1" <<'EOF'
import socket, sys
port = int(sys.argv[1])
for candidate in range(port, port + 100):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        print(candidate)
        break
else:
    sys.exit(f"no free port in {port}-{port + 99}")
EOF
}

PORT="$(free_port "${COLLATERAL_PG_PORT:-55432}")"
ROOT="$(mktemp -d "${TMPDIR:-/tmp}/collateral-pg.XXXXXX")"
DATA="$ROOT/data"
PASSWORD="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
[ "$(id -u)" -eq 0 ] && chown postgres: "$ROOT"

stop_server() {
  if [ -f "$DATA/postmaster.pid" ]; then
    (cd "$ROOT" && as_server "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null) || true
  fi
  rm -rf "$ROOT"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$ROOT"
as_server "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --encoding=UTF8 --locale=C.UTF-8 >"$ROOT/initdb.log" \
  || { cat "$ROOT/initdb.log" >&2; exit 1; }
# Durability is worth nothing for a server thrown away after the run; without it, making and
# refilling databases for each test is cheap.
OPTIONS="-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories='$ROOT'"
OPTIONS+=" -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
as_server "$BIN/pg_ctl" -D "$DATA" -l "$ROOT/server.log" -w -o "$OPTIONS" start >/dev/null \
  || { cat "$ROOT/server.log" >&2; exit 1; }
as_server "$BIN/psql" -h "$ROOT" -p "$PORT" -U postgres -d postgres -q -v ON_ERROR_STOP=1 <<EOF
CREATE ROLE collateral LOGIN CREATEDB PASSWORD '$PASSWORD';
CREATE DATABASE collateral_test OWNER collateral;
EOF
cd - >/dev/null

export COLLATERAL_TEST_DATABASE_URL="postgresql+psycopg://collateral:$PASSWORD@127.0.0.1:$PORT/collateral_test"
echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
status=0
"$@" || status=$?
exit "$status"
