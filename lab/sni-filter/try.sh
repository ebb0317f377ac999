#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-only
#
# Throwaway end-to-end check of sni_filter.c.  Needs root, gcc,
# libnetfilter-queue-dev, iptables, iproute2 and openssl.
#
# Builds sni_filter into a temporary directory, then creates three network
# namespaces joined by veth pairs (addresses in 10.99.0.0/16 only):
#
#   sftest-cli-PID  c0 10.99.1.2/24 --- r1 10.99.1.1/24  sftest-rtr-PID
#   sftest-srv-PID  s0 10.99.2.2/24 --- r2 10.99.2.1/24  (ip_forward=1,
#                                                          iptables, sni_filter)
#
# and runs openssl s_client (client ns) against openssl s_server -www on
# 10.99.2.2:8443 (server ns) with several server names, under --action
# drop and --action reset, with and without --block-empty.  Everything it
# created (processes, namespaces, temp dir) is removed on exit, also on
# failure or Ctrl-C.  Exit status 0 means every check passed; takes ~35 s.
#
#   sudo lab/sni-filter/try.sh
#   sudo EXTRA_CFLAGS="-g -fsanitize=address,undefined" lab/sni-filter/try.sh

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
CLI=sftest-cli-$$
RTR=sftest-rtr-$$
SRV=sftest-srv-$$
SERVER_IP=10.99.2.2
PORT=8443
QUEUE=7
MARK=0x1
WORK=$(mktemp -d /tmp/sftest.XXXXXX)

FILTER_PID=
SERVER_PID=
FAILURES=0
RESULTS=()

cleanup() {
	local ns pid
	[ -n "$FILTER_PID" ] && kill "$FILTER_PID" 2>/dev/null
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	for ns in "$CLI" "$RTR" "$SRV"; do
		if ip netns list | grep -qw "$ns"; then
			# Anything still running in our own namespaces was started here.
			for pid in $(ip netns pids "$ns" 2>/dev/null); do
				kill "$pid" 2>/dev/null
			done
			ip netns del "$ns"
		fi
	done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "try.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root"

# --- build -------------------------------------------------------------------

# EXTRA_CFLAGS, e.g. "-g -fsanitize=address,undefined", is passed to gcc.
# shellcheck disable=SC2086 # EXTRA_CFLAGS is a list of words
gcc -O2 -Wall -Wextra -Werror ${EXTRA_CFLAGS:-} -o "$WORK/sni_filter" \
	"$HERE/sni_filter.c" -lnetfilter_queue || die "build failed"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=sftest \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null ||
	die "cannot make test certificate"

# --- namespaces ----------------------------------------------------------------

in_cli() { ip netns exec "$CLI" "$@"; }
in_rtr() { ip netns exec "$RTR" "$@"; }
in_srv() { ip netns exec "$SRV" "$@"; }

ip netns add "$CLI" && ip netns add "$RTR" && ip netns add "$SRV" ||
	die "cannot create namespaces"
# veth pairs are created inside the namespaces, never in the host's.
ip -n "$CLI" link add c0 type veth peer name r1 netns "$RTR" || die "veth"
ip -n "$SRV" link add s0 type veth peer name r2 netns "$RTR" || die "veth"

ip -n "$CLI" addr add 10.99.1.2/24 dev c0
ip -n "$RTR" addr add 10.99.1.1/24 dev r1
ip -n "$RTR" addr add 10.99.2.1/24 dev r2
ip -n "$SRV" addr add "$SERVER_IP"/24 dev s0
for ns in "$CLI" "$RTR" "$SRV"; do
	ip -n "$ns" link set lo up
done
ip -n "$CLI" link set c0 up
ip -n "$RTR" link set r1 up
ip -n "$RTR" link set r2 up
ip -n "$SRV" link set s0 up
ip -n "$CLI" route add default via 10.99.1.1
ip -n "$SRV" route add default via 10.99.2.1
in_rtr sysctl -qw net.ipv4.ip_forward=1 || die "ip_forward"

# --- helpers ---------------------------------------------------------------------

# Install the rules documented at the top of sni_filter.c; $1 = drop|reset.
set_rules() {
	local target=DROP
	[ "$1" = reset ] && target="REJECT --reject-with tcp-reset"
	in_rtr iptables -F FORWARD
	in_rtr iptables -Z FORWARD
	in_rtr iptables -A FORWARD -p tcp -m mark --mark $MARK -j CONNMARK --save-mark
	in_rtr iptables -A FORWARD -p tcp -j CONNMARK --restore-mark
	# shellcheck disable=SC2086 # $target is two words on purpose
	in_rtr iptables -A FORWARD -p tcp -m mark --mark $MARK -j $target
	in_rtr iptables -A FORWARD -p tcp -m multiport --dports 443,8443 \
		-j NFQUEUE --queue-num $QUEUE --queue-bypass
}

# Start sni_filter in the router ns with the given options; wait for "ready".
start_filter() {
	: >"$WORK/filter.out"
	: >"$WORK/filter.err"
	# Not via in_rtr: a backgrounded function would be a subshell, and $!
	# must be the PID of sni_filter itself.
	ip netns exec "$RTR" "$WORK/sni_filter" --queue $QUEUE --mark $MARK "$@" \
		>"$WORK/filter.out" 2>"$WORK/filter.err" &
	FILTER_PID=$!
	for _ in $(seq 50); do
		grep -qx ready "$WORK/filter.out" && return 0
		kill -0 "$FILTER_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/filter.err" >&2
	die "sni_filter did not become ready"
}

# Stop sni_filter with SIGTERM; check that it exits with 0 within 3 s.
stop_filter() {
	local rc
	kill -TERM "$FILTER_PID"
	for _ in $(seq 30); do
		kill -0 "$FILTER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$FILTER_PID" 2>/dev/null; then
		check "sni_filter exits on SIGTERM" yes no
		kill -KILL "$FILTER_PID"
	fi
	wait "$FILTER_PID"
	rc=$?
	FILTER_PID=
	sed 's/^/    | /' "$WORK/filter.err"
	check "sni_filter exit status on SIGTERM" 0 "$rc"
}

# s_server handles one connection at a time and a blocked connection never
# finishes on its side, so every client run gets a fresh server.
start_server() {
	ip netns exec "$SRV" openssl s_server -accept $PORT -cert "$WORK/cert.pem" \
		-key "$WORK/key.pem" -www -quiet </dev/null >"$WORK/server.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 50); do
		in_srv ss -Hltn "sport = :$PORT" | grep -q . && return 0
		sleep 0.1
	done
	die "s_server did not start"
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}

blocked_lines() {
	grep -c '^blocked ClientHello' "$WORK/filter.err"
}

# check DESCRIPTION EXPECTED ACTUAL
check() {
	local mark=ok
	if [ "$2" != "$3" ]; then
		mark=FAIL
		FAILURES=$((FAILURES + 1))
	fi
	RESULTS+=("$(printf '%-4s  %-58s expected %-8s got %s' "$mark" "$1" "$2" "$3")")
	echo "${RESULTS[-1]}"
}

# client LABEL EXPECTED S_CLIENT_ARGS...
# Runs s_client with a 5 s timeout, sends an HTTP request and classifies:
#   ok      the TLS handshake finished and the HTTP answer came back
#   timeout nothing happened for 5 s (drop)
#   reset   the connection was reset
#   other   anything else
client() {
	local label=$1 expected=$2 rc outcome t0 t1
	shift 2
	start_server
	t0=$(date +%s%N)
	printf 'GET / HTTP/1.0\r\n\r\n' |
		in_cli timeout 5 openssl s_client -connect $SERVER_IP:$PORT \
			-ign_eof "$@" >"$WORK/client.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	stop_server
	if grep -q '^HTTP/1.0 200' "$WORK/client.out"; then
		outcome=ok
	elif [ $rc = 124 ]; then
		outcome=timeout
	elif grep -qiE 'errno=104|reset by peer' "$WORK/client.out"; then
		outcome=reset
	else
		outcome=other
	fi
	check "$label ($(((t1 - t0) / 1000000)) ms)" "$expected" "$outcome"
	if [ "$outcome" != "$expected" ]; then
		sed 's/^/    | /' "$WORK/client.out" | tail -n 15
	elif [ "$outcome" = reset ]; then
		grep -m1 -iE 'errno|reset' "$WORK/client.out" | sed 's/^/    | /'
	fi
}

# Raw TCP: send bytes (hex) to the server from the client ns, then wait.
send_raw() {
	local hex=$1
	start_server
	# shellcheck disable=SC2016
	in_cli timeout 3 bash -c 'exec 3<>/dev/tcp/$1/$2 && printf "$3" >&3 && sleep 1' \
		_ $SERVER_IP $PORT "$(printf '%s' "$hex" | sed 's/../\\x&/g')" 2>/dev/null
	stop_server
}

# A minimal hand-built ClientHello for "blocked.test":
#   record 16 0301 0044 | handshake 01 000040 | version 0303 | random (32)
#   | session id len 00 | suites 0002 1301 | compression 01 00
#   | extensions 0015: server_name 0000 0011 list 000f type 00 len 000c name
RANDOM32=$(printf '%064d' 0)
NAME_HEX=$(printf 'blocked.test' | xxd -p)
RAW_HELLO="160301004401000040"0303"$RANDOM32"00"0002""1301""0100"0015"0000001100""0f00000c$NAME_HEX"
# Same, but the server_name list length claims more bytes than there are.
RAW_BAD_LIST=${RAW_HELLO/000f00000c/00ff00000c}

# --- runs --------------------------------------------------------------------------

echo "== no rules, no sni_filter (baseline)"
client "baseline: -servername blocked.test" ok -servername blocked.test

echo "== action drop, --block blocked.test --block second.test"
set_rules drop
start_filter --action drop --block blocked.test --block second.test
client "drop: -servername blocked.test" timeout -servername blocked.test
client "drop: -servername BLOCKED.Test" timeout -servername BLOCKED.Test
client "drop: -servername second.test" timeout -servername second.test
client "drop: -servername other.test" ok -servername other.test
client "drop: -servername www.blocked.test" ok -servername www.blocked.test
client "drop: -noservername" ok -noservername
check "drop: one log line per blocked connection" 3 "$(blocked_lines)"
# The retransmitted hellos must have been dropped by the conntrack mark,
# without reaching the queue again: the DROP rule counted more than 3.
dropped=$(in_rtr iptables -L FORWARD -v -x -n | awk '$3 == "DROP" {print $1}')
check "drop: DROP rule saw retransmissions (>3 packets)" yes \
	"$([ "${dropped:-0}" -gt 3 ] && echo yes || echo "no ($dropped)")"
send_raw "$RAW_HELLO"
check "drop: raw hand-built hello is blocked" 4 "$(blocked_lines)"
send_raw "${RAW_HELLO:0:120}"
check "drop: raw hello cut before the SNI is accepted" 4 "$(blocked_lines)"
send_raw "$RAW_BAD_LIST"
check "drop: raw hello with lying SNI list length accepted" 4 "$(blocked_lines)"
check "drop: log names the blocked hosts" \
	"sni=blocked.test sni=BLOCKED.Test sni=second.test sni=blocked.test" \
	"$(sed -n 's/^blocked ClientHello //p' "$WORK/filter.err" | xargs)"
stop_filter

echo "== no sni_filter running (--queue-bypass)"
client "bypass: -servername blocked.test" ok -servername blocked.test

echo "== action reset, --block blocked.test"
set_rules reset
start_filter --action reset --block blocked.test
client "reset: -servername blocked.test" reset -servername blocked.test
client "reset: -servername other.test" ok -servername other.test
client "reset: -noservername" ok -noservername
check "reset: one log line per blocked connection" 1 "$(blocked_lines)"
stop_filter

echo "== action drop, --block blocked.test --block-empty"
set_rules drop
start_filter --action drop --block blocked.test --block-empty
client "drop+empty: -noservername" timeout -noservername
client "drop+empty: -servername other.test" ok -servername other.test
client "drop+empty: -servername blocked.test" timeout -servername blocked.test
check "drop+empty: log" "sni=<none> sni=blocked.test" \
	"$(sed -n 's/^blocked ClientHello //p' "$WORK/filter.err" | xargs)"
stop_filter

echo "== action reset, --block-empty only"
set_rules reset
start_filter --action reset --block-empty
client "reset+empty: -noservername" reset -noservername
client "reset+empty: -servername blocked.test" ok -servername blocked.test
stop_filter

echo "== wrong rules (only the NFQUEUE rule): no endless loop"
in_rtr iptables -F FORWARD
in_rtr iptables -A FORWARD -p tcp -m multiport --dports 443,8443 \
	-j NFQUEUE --queue-num $QUEUE --queue-bypass
start_filter --action drop --block blocked.test
client "no mark rules: -servername blocked.test" timeout -servername blocked.test
check "no mark rules: sni_filter warns about the marked packet" yes \
	"$(grep -q 'reached the queue' "$WORK/filter.err" && echo yes || echo no)"
stop_filter

echo
echo "== summary"
printf '%s\n' "${RESULTS[@]}"
if [ "$FAILURES" -ne 0 ]; then
	echo "$FAILURES check(s) FAILED"
	exit 1
fi
echo "all checks passed"
