#!/bin/bash
# SPDX-License-Identifier: AGPL-3.0-only
# Runs a throwaway ejabberd (Debian package, 23.01) for the load tool's XMPP comparison.
#   ejabberd.sh start DIR PORT   config, certificate, spool and logs in DIR; c2s on 127.0.0.1:PORT
#                                only; prints the pid of the beam.smp process doing the work
#   ejabberd.sh stop DIR         stops it (bounded), also when it is not running
# The VM runs without Erlang distribution (no node name, no epmd, no ejabberdctl): nothing listens
# but the one c2s port, nothing collides with a system ejabberd, and SIGTERM stops it cleanly.
set -eu

DOMAIN=bench.localhost
EJABBERD_LIB=/usr/lib/x86_64-linux-gnu
START_TIMEOUT=60
STOP_TIMEOUT=20

usage() {
    echo "usage: $0 start DIR PORT | stop DIR" >&2
    exit 2
}

. "$(dirname "$0")/lib.sh"

start() {
    dir=$1
    port=$2
    erl=$(command -v erl || true)
    if [ -z "$erl" ] || ! ls -d "$EJABBERD_LIB"/ejabberd-* >/dev/null 2>&1; then
        echo "ejabberd is not installed (apt-get install ejabberd)" >&2
        exit 1
    fi
    case $port in
        5222|5269|5280|5443) echo "refusing the standard XMPP port $port" >&2; exit 2 ;;
    esac
    require_free_port "$port"
    mkdir -p "$dir/spool" "$dir/logs"
    dir=$(cd "$dir" && pwd)

    xmpp_certificate "$dir" "$DOMAIN"
    # ejabberd wants certificate and key in one file.
    cat "$dir/cert.pem" "$dir/key.pem" >"$dir/server.pem"
    chmod 600 "$dir/server.pem"

    # Bench-only settings: open in-band registration without its per-address timeout, no shapers or
    # stanza size limit, no s2s, no HTTP or admin listeners, no archive. Offline storage stays on
    # (the default), stream management (XEP-0198) on.
    cat >"$dir/ejabberd.yml" <<YAML
hosts:
  - $DOMAIN
loglevel: warning
log_rotate_count: 0
certfiles:
  - "$dir/server.pem"
default_db: mnesia
auth_method: internal
registration_timeout: infinity
# Room for every bench user in the auth, roster and session caches (default 1000 entries).
cache_size: 1000000
max_fsm_queue: 100000
listen:
  -
    port: $port
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: true
    backlog: 1024
    max_stanza_size: infinity
    shaper: none
    access: c2s
acl:
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  c2s:
    allow: all
  register:
    allow: all
  local:
    allow: all
  s2s:
    deny: all
s2s_access: s2s
shaper: {}
shaper_rules:
  c2s_shaper: none
  max_user_sessions: infinity
  max_user_offline_messages: infinity
modules:
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_register:
    access: register
    ip_access: register
  mod_stream_mgmt:
    max_ack_queue: infinity
    resend_on_timeout: false
YAML

    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
    # erl execs erlexec, which execs beam.smp: the background job's pid is the server's.
    (
        cd "$dir"
        ERL_LIBS=$EJABBERD_LIB \
        EJABBERD_CONFIG_PATH="$dir/ejabberd.yml" \
        EJABBERD_LOG_PATH="$dir/logs/ejabberd.log" \
        ERL_CRASH_DUMP="$dir/logs/erl_crash.dump" \
        ERL_MAX_PORTS=65536 \
        HOME="$dir" \
        exec "$erl" +K true +P 1048576 -noinput -noshell \
            -mnesia dir "\"$dir/spool\"" -s ejabberd \
            </dev/null >"$dir/logs/console.log" 2>&1
    ) &
    pid=$!
    echo "$pid" >"$dir/ejabberd.pid"

    await_port ejabberd "$pid" "$port" "$START_TIMEOUT" "$dir" "$dir/logs/console.log" "$dir/logs/ejabberd.log"
    echo "$pid"
}

stop() {
    dir=$1
    [ -f "$dir/ejabberd.pid" ] || return 0
    pid=$(cat "$dir/ejabberd.pid")
    if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "beam.smp" ]; then
        stop_pid ejabberd "$pid" "$STOP_TIMEOUT"
    fi
    rm -f "$dir/ejabberd.pid"
}

dispatch "$@"
