#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-only
# Runs a Svyaz server as a user starts it (./svyaz server, embedded store), for the scripts that
# measure a server process from outside (compare.sh, syscalls.sh), with the send rate limit, the
# mailbox cap and the connection caps raised out of the load's way (all load comes from loopback).
#   svyaz.sh start DIR PORT   data and log in DIR, listening on 127.0.0.1:PORT; prints the server's
#                             pid (the JVM: ./svyaz execs java); the invite link is DIR/data/invite.txt
#   svyaz.sh stop DIR         stops it (bounded), also when it is not running
set -eu

START_TIMEOUT=60
STOP_TIMEOUT=20
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

usage() {
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
}

. "$(dirname "$0")/lib.sh"

start() {
    dir=$1
    port=$2
    require_free_port "$port"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    "$ROOT/svyaz" server --data "$dir/data" --listen "127.0.0.1:$port" --admin off --send-burst 100000000 \
        --sends-per-second 100000000 --mailbox-max 10000000 --max-connections 100000000 \
        --max-connections-per-address 100000000 </dev/null >"$dir/server.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/server.pid"
    await_port svyaz "$pid" "$port" "$START_TIMEOUT" "$dir" "$dir/server.log"
    # The port opens just before the invite link is written.
    for _ in $(seq 100); do [ -s "$dir/data/invite.txt" ] && break; sleep 0.1; done
    [ -s "$dir/data/invite.txt" ] || { echo "svyaz wrote no invite link; see $dir/server.log" >&2; stop "$dir"; exit 1; }
    echo "$pid"
}

stop() {
    dir=$1
    [ -f "$dir/server.pid" ] || return 0
    pid=$(cat "$dir/server.pid")
    if kill -0 "$pid" 2>/dev/null && grep -q svyaz "/proc/$pid/cmdline" 2>/dev/null; then
        stop_pid svyaz "$pid" "$STOP_TIMEOUT"
    fi
    rm -f "$dir/server.pid"
}

dispatch "$@"
