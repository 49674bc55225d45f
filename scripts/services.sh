#!/usr/bin/env bash
# Make sure PostgreSQL and Redis are running on 127.0.0.1 (start them if down).
# Idempotent: does nothing when both already answer. Installs them with apt-get
# on a Debian machine that lacks them. Used by scripts/test.sh and .ci/run.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

need_install=()
command -v pg_ctlcluster >/dev/null 2>&1 || need_install+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
if [ ${#need_install[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "services: installing ${need_install[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
  else
    echo "services: please install ${need_install[*]} (PostgreSQL >= 15 and Redis)" >&2
    exit 1
  fi
fi

if ! pg_up; then
  echo "services: starting PostgreSQL"
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 60); do pg_up && break; sleep 0.5; done
  pg_up || { echo "services: PostgreSQL did not start" >&2; exit 1; }
fi

if ! redis_up; then
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 40); do redis_up && break; sleep 0.25; done
  redis_up || { echo "services: Redis did not start" >&2; exit 1; }
fi

# Tests connect as the postgres superuser over TCP to create throwaway databases.
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  echo "services: cannot connect as postgres@127.0.0.1; set AGENCY_TEST_ADMIN_URL to a superuser URL" >&2
  [ -n "${AGENCY_TEST_ADMIN_URL:-}" ] || exit 1
fi
echo "services: PostgreSQL and Redis are up"
