#!/usr/bin/env bash
# Starts this machine's PostgreSQL cluster (Debian's postgresql package, which
# scripts/setup.sh installs) for the tests of the PostgreSQL telemetry store,
# and prints the URL of a database "ftconfig" owned by a role "ftconfig".
# Idempotent. Exit 1 (printing nothing on stdout) when it cannot: no cluster
# tools, not root, or the server does not start.
set -euo pipefail
command -v pg_lsclusters >/dev/null 2>&1 || { echo "start-postgres: PostgreSQL is not installed" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "start-postgres: needs root (to act as the postgres user)" >&2; exit 1; }
read -r version cluster port status _ < <(pg_lsclusters -h | head -n 1) || true
if [[ -z "${version:-}" ]]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  cluster=main
  pg_createcluster "$version" "$cluster" >/dev/null
  read -r version cluster port status _ < <(pg_lsclusters -h | head -n 1)
fi
if [[ "$status" != online* ]]; then
  pg_ctlcluster "$version" "$cluster" start >&2 || { echo "start-postgres: the cluster did not start" >&2; exit 1; }
fi
as_postgres() { su postgres -s /bin/sh -c "$1"; }
as_postgres "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'ftconfig'\"" | grep -q 1 ||
  as_postgres "psql -p $port -qc \"CREATE ROLE ftconfig LOGIN PASSWORD 'ftconfig'\"" >&2
as_postgres "psql -p $port -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'ftconfig'\"" | grep -q 1 ||
  as_postgres "createdb -p $port -O ftconfig ftconfig" >&2
echo "postgresql://ftconfig:ftconfig@127.0.0.1:$port/ftconfig"
