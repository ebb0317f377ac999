#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-only
# Online relay (scenario a) on two server nodes sharing PostgreSQL and Redis, next to one node on
# the embedded store, in one run on this machine. Uses the machine's PostgreSQL (a fresh database,
# dropped afterwards) and Redis (a fresh key prefix, deleted afterwards); everything on loopback.
#   bench/relay-cluster.sh [USERS] [MESSAGES] [SIZE] [WINDOW]
# POOL (default 40) sets each node's PostgreSQL pool; KEEP=1 keeps the work directory and logs;
# SKIP_EMBEDDED=1 runs the cluster only.
set -eu
cd "$(dirname "$0")/.."
USERS=${1:-200}; MESSAGES=${2:-20000}; SIZE=${3:-256}; WINDOW=${4:-16}
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}; PGUSER=${PGUSER:-postgres}
WORK=$(mktemp -d /tmp/svyaz-bench-cluster.XXXXXX)
DB="svyaz_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
PREFIX="svyaz-bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n'):"
PIDS=""
cleanup() {
    for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
    for pid in $PIDS; do wait "$pid" 2>/dev/null || true; done
    psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    redis-cli -h 127.0.0.1 --scan --pattern "${PREFIX}*" | xargs -r redis-cli -h 127.0.0.1 del >/dev/null 2>&1 || true
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for_change() {  # file, previous content; at most 60 s
    i=0
    while [ "$i" -lt 600 ]; do
        if [ -s "$1" ] && [ "$(cat "$1")" != "$2" ]; then return 0; fi
        sleep 0.1; i=$((i + 1))
    done
    echo "no new $1 within 60 s; see $WORK/*.log" >&2; exit 3
}

if [ -z "${SKIP_EMBEDDED:-}" ]; then
    echo "== one node, embedded store" >&2
    ./svyaz bench relay --spawn --users "$USERS" --messages "$MESSAGES" --size "$SIZE" --window "$WINDOW" --seed 1 \
        > "$WORK/embedded.txt"
else
    echo skipped > "$WORK/embedded.txt"
fi

echo "== two nodes, PostgreSQL + Redis" >&2
psql -q -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -c "CREATE DATABASE $DB" >/dev/null
P1=$(free_port); P2=$(free_port)
cat > "$WORK/cluster.yaml" <<YAML
data: $WORK/data
storage: postgres
postgres:
  url: jdbc:postgresql://$PGHOST:$PGPORT/$DB
  user: $PGUSER
  password: "${PGPASSWORD:-}"
  pool-size: ${POOL:-40}
redis:
  url: redis://127.0.0.1:6379
  prefix: "$PREFIX"
admin: "off"
send-burst: 100000000
sends-per-second: 100000000
mailbox-max: 10000000
max-connections: 100000000
max-connections-per-address: 100000000
YAML
./svyaz server descriptor --data "$WORK/data" --add-endpoint "127.0.0.1:$P1" --add-endpoint "127.0.0.1:$P2" >/dev/null
# Each node signs a descriptor naming itself first; keep each node's link so users spread evenly.
./svyaz server --config "$WORK/cluster.yaml" --listen "127.0.0.1:$P1" > "$WORK/node1.log" 2>&1 &
N1=$!; PIDS="$PIDS $N1"
wait_for_change "$WORK/data/invite.txt" ""
LINK1=$(cat "$WORK/data/invite.txt")
./svyaz server --config "$WORK/cluster.yaml" --listen "127.0.0.1:$P2" > "$WORK/node2.log" 2>&1 &
N2=$!; PIDS="$PIDS $N2"
wait_for_change "$WORK/data/invite.txt" "$LINK1"
LINK2=$(cat "$WORK/data/invite.txt")
./svyaz bench relay --server "$LINK1" --server "$LINK2" --server-pid "$N1" --server-pid "$N2" \
    --users "$USERS" --messages "$MESSAGES" --size "$SIZE" --window "$WINDOW" --seed 1 > "$WORK/cluster.txt"

echo "### One node, embedded store"; cat "$WORK/embedded.txt"
echo; echo "### Two nodes, PostgreSQL + Redis"; cat "$WORK/cluster.txt"
