#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-only
# System calls per delivered message in the server process, for Svyaz and Mosquitto, counted with
# `perf stat -e raw_syscalls:sys_enter` attached to the server for a whole relay run. Start-up,
# registration and logins make system calls too, so each system runs twice, with MESSAGES and with
# MESSAGES/10, and the difference of the counts is divided by the difference of the deliveries.
#   bench/syscalls.sh [USERS] [MESSAGES] [SIZE] [WINDOW]
# Needs root (perf on another process) and Linux perf (Debian: linux-perf). Loopback only.
set -eu
cd "$(dirname "$0")/.."
USERS=${1:-200}; MESSAGES=${2:-40000}; SIZE=${3:-256}; WINDOW=${4:-16}
WORK=$(mktemp -d /tmp/svyaz-syscalls.XXXXXX)
SERVER_PID=""; PERF_PID=""; PEER_DIR=""; PEER=""
cleanup() {
    [ -z "$PERF_PID" ] || kill -INT "$PERF_PID" 2>/dev/null || true
    [ -z "$PEER_DIR" ] || bench/peers/"$PEER".sh stop "$PEER_DIR" >/dev/null 2>&1 || true
    wait 2>/dev/null || true
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT INT TERM
command -v perf >/dev/null || { echo "syscalls.sh: perf is not installed (Debian: linux-perf)" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Runs the relay against $SERVER_PID with perf attached; prints "syscalls delivered".
counted_run() {  # messages, then the target options
    messages=$1; shift
    perf stat -e raw_syscalls:sys_enter -x, -o "$WORK/perf.csv" -p "$SERVER_PID" & PERF_PID=$!
    sleep 1
    ./svyaz bench relay "$@" --server-pid "$SERVER_PID" --users "$USERS" --messages "$messages" --size "$SIZE" \
        --window "$WINDOW" --seed 1 --json > "$WORK/report.json"
    kill -INT "$PERF_PID"; wait "$PERF_PID" || true; PERF_PID=""
    syscalls=$(grep raw_syscalls "$WORK/perf.csv" | cut -d, -f1)
    delivered=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ledger"]["delivered"])' "$WORK/report.json")
    echo "$syscalls $delivered"
}

per_message() {  # two "syscalls delivered" lines
    python3 -c 'import sys; a=list(map(int,sys.argv[1:3])); b=list(map(int,sys.argv[3:5])); print("%.1f" % ((a[0]-b[0])/(a[1]-b[1])))' $1 $2
}

# count SYSTEM: both runs against a fresh server each, then the system calls per message.
count() {
    system=$1
    echo "== $system" >&2
    for size in big small; do
        PEER=$system; PEER_DIR="$WORK/$system-$size"; port=$(free_port)
        messages=$MESSAGES; [ "$size" = small ] && messages=$((MESSAGES / 10))
        if [ "$system" = svyaz ]; then
            SERVER_PID=$(bench/peers/svyaz.sh start "$PEER_DIR" "$port")
            result=$(counted_run "$messages" --server "$(cat "$PEER_DIR/data/invite.txt")")
        else
            SERVER_PID=$(bench/peers/mosquitto.sh start "$PEER_DIR" "$port" "$USERS")
            result=$(counted_run "$messages" --mqtt "127.0.0.1:$port" --ca "$PEER_DIR/broker-cert.pem" \
                --peer-name mosquitto)
        fi
        bench/peers/"$system".sh stop "$PEER_DIR" >/dev/null; PEER_DIR=""; SERVER_PID=""
        if [ "$size" = big ]; then big=$result; else small=$result; fi
    done
    echo "$system: $(per_message "$big" "$small") system calls per delivered message ($big / $small: syscalls delivered)"
}

count svyaz
count mosquitto
