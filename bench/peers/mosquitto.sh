#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-only
# Runs a Mosquitto broker as the MQTT peer of the relay benchmark (org.svyaz.bench.mqtt.MqttSystem).
#
#   mosquitto.sh start DIR PORT USERS   writes a TLS certificate, a password file for users
#                                       u0..u<USERS-1> (password bench-<index>) and mosquitto.conf
#                                       into DIR, starts the broker on 127.0.0.1:PORT and prints its pid
#   mosquitto.sh stop DIR               stops the broker started in DIR; fine when it already stopped
#
# Loopback only. Port 1883 is refused: the machine's own Mosquitto runs there and is not ours.
set -eu

# /usr/sbin is not on every user's PATH.
MOSQUITTO=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
MOSQUITTO_PASSWD=${MOSQUITTO_PASSWD:-$(command -v mosquitto_passwd || echo /usr/bin/mosquitto_passwd)}
WAIT_SECONDS=10

fail() {
    echo "mosquitto.sh: $*" >&2
    exit 1
}

usage() {
    fail "usage: $0 start DIR PORT USERS | stop DIR"
}

# True while a process with this pid exists.
alive() {
    kill -0 "$1" 2>/dev/null
}

# True once something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp; no extra tools).
port_open() {
    bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

start() {
    dir=$1
    port=$2
    users=$3
    case "$port" in '' | *[!0-9]*) fail "PORT must be a number" ;; esac
    case "$users" in '' | *[!0-9]*) fail "USERS must be a number" ;; esac
    [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || fail "PORT must be between 1024 and 65535"
    [ "$port" -ne 1883 ] || fail "port 1883 belongs to the machine's own Mosquitto; use another (e.g. 18883)"
    [ "$users" -ge 1 ] || fail "USERS must be at least 1"
    [ -x "$MOSQUITTO" ] || fail "mosquitto is not installed (looked for $MOSQUITTO); install the Debian package mosquitto"
    [ -x "$MOSQUITTO_PASSWD" ] || fail "mosquitto_passwd is not installed (looked for $MOSQUITTO_PASSWD)"
    command -v openssl >/dev/null 2>&1 || fail "openssl is not installed"
    if port_open "$port"; then
        fail "something already listens on 127.0.0.1:$port"
    fi

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)

    # A fresh self-signed ECDSA P-256 certificate for 127.0.0.1; the load tool trusts exactly this one.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
        -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
        -keyout "$dir/broker-key.pem" -out "$dir/broker-cert.pem" 2>/dev/null \
        || fail "openssl could not make the broker certificate"
    chmod 600 "$dir/broker-key.pem"

    # Plain "user:password" lines, then hashed in place: one mosquitto_passwd run for all users.
    i=0
    : >"$dir/passwords"
    while [ "$i" -lt "$users" ]; do
        echo "u$i:bench-$i" >>"$dir/passwords"
        i=$((i + 1))
    done
    chmod 600 "$dir/passwords"
    "$MOSQUITTO_PASSWD" -U "$dir/passwords" || fail "mosquitto_passwd could not hash the password file"

    # Durability of this peer: persistence is off, so a QoS 1 message the broker has acknowledged
    # (PUBACK) lives only in the broker's memory until the subscriber acknowledges it; a broker crash
    # loses it. Svyaz acknowledges a send only once it is committed to its store, so Svyaz promises more.
    cat >"$dir/mosquitto.conf" <<EOF
# Written by bench/peers/mosquitto.sh for the relay benchmark; see the comments there.
per_listener_settings false
# Stay the user who started us (as root, Mosquitto 2 would switch to the user "mosquitto",
# who cannot read this directory).
user $(id -un)
listener $port 127.0.0.1
protocol mqtt
max_connections -1
certfile $dir/broker-cert.pem
keyfile $dir/broker-key.pem
# Minimum TLS version for this listener.
tls_version tlsv1.2
allow_anonymous false
password_file $dir/passwords
# No broker-side throttling: the benchmark's window bounds what is in flight, not the broker.
max_inflight_messages 0
max_queued_messages 0
max_queued_bytes 0
set_tcp_nodelay true
persistence false
# Errors and warnings only: connection messages would name users and addresses.
connection_messages false
log_type error
log_type warning
log_dest file $dir/mosquitto.log
pid_file $dir/mosquitto.pid
EOF

    # One descriptor per client connection plus the broker's own: 1000 users need more than 1024.
    hard=$(ulimit -Hn)
    if [ "$hard" = unlimited ] || [ "$hard" -ge 65536 ]; then
        ulimit -n 65536
    else
        ulimit -n "$hard"
    fi

    rm -f "$dir/mosquitto.pid"
    # Its own output (a warning when run as root, early errors) goes to a file: stdout carries only the pid.
    "$MOSQUITTO" -c "$dir/mosquitto.conf" -d >>"$dir/mosquitto.out" 2>&1 \
        || fail "mosquitto did not start: $(tail -n 5 "$dir/mosquitto.out")"

    waited=0
    until [ -s "$dir/mosquitto.pid" ] && port_open "$port"; do
        if [ "$waited" -ge $((WAIT_SECONDS * 10)) ]; then
            if [ -s "$dir/mosquitto.pid" ]; then
                kill "$(cat "$dir/mosquitto.pid")" 2>/dev/null || true
            fi
            tail -n 20 "$dir/mosquitto.log" >&2 2>/dev/null || true
            fail "mosquitto does not accept connections on 127.0.0.1:$port after $WAIT_SECONDS s"
        fi
        if [ -s "$dir/mosquitto.pid" ] && ! alive "$(cat "$dir/mosquitto.pid")"; then
            tail -n 20 "$dir/mosquitto.out" "$dir/mosquitto.log" >&2 2>/dev/null || true
            fail "mosquitto exited right after starting"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    echo "$(cat "$dir/mosquitto.pid")"
}

stop() {
    dir=$1
    pidfile="$dir/mosquitto.pid"
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    case "$pid" in '' | *[!0-9]*) fail "$pidfile does not hold a pid" ;; esac
    # Only the broker this script started: its command line names this directory's config.
    if ! alive "$pid" || ! grep -q "$dir/mosquitto.conf" "/proc/$pid/cmdline" 2>/dev/null; then
        rm -f "$pidfile"
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    waited=0
    while alive "$pid"; do
        if [ "$waited" -ge $((WAIT_SECONDS * 10)) ]; then
            kill -9 "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f "$pidfile"
}

[ $# -ge 1 ] || usage
command=$1
shift
case "$command" in
    start)
        [ $# -eq 3 ] || usage
        start "$1" "$2" "$3"
        ;;
    stop)
        [ $# -eq 1 ] || usage
        stop "$(cd "$1" 2>/dev/null && pwd || echo "$1")"
        ;;
    *) usage ;;
esac
