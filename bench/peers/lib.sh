# SPDX-License-Identifier: AGPL-3.0-only
# Shared by the peer scripts (bash): waiting for a server that was just started, and stopping one.

# Whether something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp: no nc needed).
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# require_free_port PORT: exits 1 when something already listens on 127.0.0.1:PORT.
require_free_port() {
    if port_open "$1"; then
        echo "127.0.0.1:$1 is already in use" >&2
        exit 1
    fi
}

# xmpp_certificate DIR DOMAIN: a self-signed certificate for the bench domain and the loopback
# address in DIR/cert.pem (key in DIR/key.pem); the load tool trusts exactly this certificate.
xmpp_certificate() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$2" \
        -addext "subjectAltName=DNS:$2,IP:127.0.0.1" \
        -keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1
    chmod 600 "$1/key.pem"
}

# await_port NAME PID PORT TIMEOUT STOP_DIR LOG...: waits until PID's server accepts connections on
# PORT; when it exits first or TIMEOUT seconds pass, shows the end of the logs, stops it and exits 1.
await_port() {
    name=$1; pid=$2; port=$3; timeout=$4; stop_dir=$5; shift 5
    waited=0
    until port_open "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$name exited during start; see $stop_dir" >&2
            tail -n 20 "$@" >&2 2>/dev/null || true
            exit 1
        fi
        if [ "$waited" -ge $((timeout * 10)) ]; then
            echo "$name does not accept connections on 127.0.0.1:$port after $timeout s" >&2
            stop "$stop_dir"
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

# stop_pid NAME PID TIMEOUT: SIGTERM (both servers shut down cleanly on it), then SIGKILL after TIMEOUT s.
stop_pid() {
    name=$1; pid=$2; timeout=$3
    kill -TERM "$pid" 2>/dev/null || true
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((timeout * 10)) ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$name did not stop within $timeout s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

# dispatch ARGS...: the scripts' command line, `start DIR PORT` or `stop DIR`.
dispatch() {
    [ $# -ge 1 ] || usage
    case $1 in
        start) [ $# -eq 3 ] || usage; start "$2" "$3" ;;
        stop) [ $# -eq 2 ] || usage; stop "$2" ;;
        *) usage ;;
    esac
}
