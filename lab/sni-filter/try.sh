#!/usr/bin/env bash
# SPDX-License-Identifier: AGPL-3.0-only
#
# End-to-end check of sni_filter.c.  Needs root, gcc, libnetfilter-queue-dev,
# iptables, iproute2, openssl and perl (perl-base).  SniFilterIT runs it with
# the lab; it also runs on its own.
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
# drop and --action reset, with and without --block-empty.  Hand-built
# ClientHellos are sent the ways that hide the name from a DPI that does not
# reassemble: split over two TCP segments, larger than one segment, split
# over two TLS records, and with the first segment arriving after the second.
# Everything it created (processes, namespaces, temp dir) is removed on exit,
# also on failure or Ctrl-C.  Exit status 0 means every check passed; takes
# about a minute.
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

# A raw TCP client: connects, sends each hex argument with its own write
# (TCP_NODELAY, so each write leaves as its own segment at once), then waits
# up to WAIT seconds and says what came back:
#   answered  bytes came back (s_server's TLS alert for our hand-built hello)
#   closed    the server closed without a word
#   reset     the connection was reset (also while sending)
#   timeout   nothing came back in time (drop)
cat >"$WORK/raw.pl" <<'PERL'
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
my ($host, $port, $wait, @parts) = @ARGV;
my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
	Proto => 'tcp', Timeout => 5) or do { print "no-connection\n"; exit 0 };
setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1) or die "TCP_NODELAY: $!";
for my $hex (@parts) {
	my $bytes = pack('H*', $hex);
	my $n = syswrite($s, $bytes);
	if (!defined $n) { print $!{ECONNRESET} ? "reset\n" : "error $!\n"; exit 0 }
	$n == length($bytes) or die "short write";
}
my $rin = '';
vec($rin, fileno($s), 1) = 1;
if (select(my $rout = $rin, undef, undef, $wait) == 0) { print "timeout\n"; exit 0 }
my $n = sysread($s, my $buf, 4096);
print !defined $n ? ($!{ECONNRESET} ? "reset\n" : "error $!\n")
	: $n == 0 ? "closed\n" : "answered\n";
PERL

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
# Called once sni_filter is ready: the NFQUEUE rule has no --queue-bypass.
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
		-j NFQUEUE --queue-num $QUEUE
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

# The names in the log's "blocked" lines, in order.
blocked_names() {
	sed -n 's/^blocked ClientHello \(sni=[^ ]*\).*/\1/p' "$WORK/filter.err" | xargs
}

last_blocked() {
	grep '^blocked ClientHello' "$WORK/filter.err" | tail -n 1
}

# check DESCRIPTION EXPECTED ACTUAL
check() {
	local mark=ok
	if [ "$2" != "$3" ]; then
		mark=FAIL
		FAILURES=$((FAILURES + 1))
	fi
	RESULTS+=("$(printf '%-4s  %-62s expected %-8s got %s' "$mark" "$1" "$2" "$3")")
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

# raw LABEL EXPECTED HEX...: sends each HEX with its own write (raw.pl) to a
# fresh s_server and checks what came back within 3 s.
raw() {
	local label=$1 expected=$2
	shift 2
	start_server
	check "$label" "$expected" \
		"$(in_cli perl "$WORK/raw.pl" $SERVER_IP $PORT 3 "$@")"
	stop_server
}

# --- hand-built ClientHellos (hex) ------------------------------------------------

hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }

# handshake NAME PADDING: a ClientHello handshake message whose only
# extensions are a padding extension (21) of PADDING bytes, if PADDING > 0,
# and then server_name with NAME:
#   01 len(3) | version 0303 | random (32 zero bytes) | session id 00
#   | suites 0002 1301 | compression 01 00 | extensions len(2)
#   [| 0015 len(2) zeros] | 0000 len(2) list len(2) type 00 name len(2) name
handshake() {
	local name=$1 padding=$2 ext="" body
	if [ "$padding" -gt 0 ]; then
		ext=$(printf '0015%04x%0*d' "$padding" $((2 * padding)) 0)
	fi
	ext+=$(printf '0000%04x%04x00%04x' $((${#name} + 5)) $((${#name} + 3)) ${#name})$(hex "$name")
	body=0303$(printf '%064d' 0)00000213010100$(printf '%04x' $((${#ext} / 2)))$ext
	printf '01%06x%s' $((${#body} / 2)) "$body"
}

# record HEX: HEX in one TLS handshake record.
record() { printf '160301%04x%s' $((${#1} / 2)) "$1"; }

# offset HEX NEEDLE: the byte offset of the hex NEEDLE in HEX.
offset() { local before=${1%%"$2"*}; echo $((${#before} / 2)); }

RAW_HELLO=$(record "$(handshake blocked.test 0)")
# Same, but the server_name list length claims more bytes than there are.
RAW_BAD_LIST=${RAW_HELLO/000f00000c/00ff00000c}
# Cut in two in the middle of the host name.
CUT=$(($(offset "$RAW_HELLO" "$(hex blocked.test)") + 6))
# Larger than one TCP segment (MSS 1448 here): 1500 bytes of padding put the
# name in the second segment, as a large post-quantum key share can.
BIG_HELLO=$(record "$(handshake blocked.test 1500)")
BIG_OTHER=$(record "$(handshake other.test 1500)")
# The handshake message split over two TLS records, in the middle of the name.
HS=$(handshake blocked.test 0)
HS_CUT=$(($(offset "$HS" "$(hex blocked.test)") + 6))
TWO_RECORDS=$(record "${HS:0:2*HS_CUT}")$(record "${HS:2*HS_CUT}")

# --- runs --------------------------------------------------------------------------

echo "== no rules, no sni_filter (baseline)"
client "baseline: -servername blocked.test" ok -servername blocked.test

echo "== action drop, --block blocked.test --block second.test"
start_filter --action drop --block blocked.test --block second.test
set_rules drop
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
raw "drop: raw hand-built hello" timeout "$RAW_HELLO"
check "drop: raw hand-built hello is logged" 4 "$(blocked_lines)"
raw "drop: raw hello cut before the SNI gets no answer" timeout "${RAW_HELLO:0:120}"
check "drop: raw hello cut before the SNI is not blocked" 4 "$(blocked_lines)"
raw "drop: raw hello with lying SNI list length" answered "$RAW_BAD_LIST"
check "drop: raw hello with lying SNI list length is not blocked" 4 "$(blocked_lines)"
check "drop: log names the blocked hosts" \
	"sni=blocked.test sni=BLOCKED.Test sni=second.test sni=blocked.test" \
	"$(blocked_names)"

echo "== action drop: hellos a DPI must reassemble"
raw "drop: name split over two TCP segments" timeout \
	"${RAW_HELLO:0:2*CUT}" "${RAW_HELLO:2*CUT}"
check "drop: ... reassembled" \
	"blocked ClientHello sni=blocked.test segments=2 records=1" "$(last_blocked)"
raw "drop: hello larger than one segment, name in the second" timeout "$BIG_HELLO"
check "drop: ... reassembled" \
	"blocked ClientHello sni=blocked.test segments=2 records=1" "$(last_blocked)"
raw "drop: name split over two TLS records" timeout "$TWO_RECORDS"
check "drop: ... joined" \
	"blocked ClientHello sni=blocked.test segments=1 records=2" "$(last_blocked)"
# The client's first data segment of each connection (its 3rd packet, after
# SYN and ACK) is lost once on the client's side, so the second segment, with
# the name, reaches the DPI first and the first one only as a retransmission.
in_cli iptables -A OUTPUT -p tcp --dport $PORT -m connbytes --connbytes 3:3 \
	--connbytes-dir original --connbytes-mode packets -j DROP
raw "drop: second segment (with the name) before the first" timeout \
	"${BIG_HELLO:0:2000}" "${BIG_HELLO:2000}"
check "drop: ... reassembled out of order" \
	"blocked ClientHello sni=blocked.test segments=2 records=1" "$(last_blocked)"
check "drop: ... the first segment was lost once" yes \
	"$(in_cli iptables -L OUTPUT -v -x -n | awk '$3 == "DROP" && $1 == 1 {print "yes"}')"
in_cli iptables -F OUTPUT
raw "drop: large hello naming another host" answered "$BIG_OTHER"
raw "drop: another host, split over two segments" answered \
	"${BIG_OTHER:0:2000}" "${BIG_OTHER:2000}"
check "drop: other hosts are not blocked" 8 "$(blocked_lines)"
stop_filter

echo "== sni_filter stopped, rules left in place (no --queue-bypass)"
client "unbound queue: -servername other.test" timeout -servername other.test

echo "== action reset, --block blocked.test"
start_filter --action reset --block blocked.test
set_rules reset
client "reset: -servername blocked.test" reset -servername blocked.test
client "reset: -servername other.test" ok -servername other.test
client "reset: -noservername" ok -noservername
check "reset: one log line per blocked connection" 1 "$(blocked_lines)"
raw "reset: hello larger than one segment, name in the second" reset "$BIG_HELLO"
raw "reset: name split over two TCP segments" reset \
	"${RAW_HELLO:0:2*CUT}" "${RAW_HELLO:2*CUT}"
check "reset: ... reassembled" \
	"blocked ClientHello sni=blocked.test segments=2 records=1" "$(last_blocked)"
stop_filter

echo "== action drop, --block blocked.test --block-empty"
start_filter --action drop --block blocked.test --block-empty
set_rules drop
client "drop+empty: -noservername" timeout -noservername
client "drop+empty: -servername other.test" ok -servername other.test
client "drop+empty: -servername blocked.test" timeout -servername blocked.test
check "drop+empty: log" "sni=<none> sni=blocked.test" "$(blocked_names)"
stop_filter

echo "== action reset, --block-empty only"
start_filter --action reset --block-empty
set_rules reset
client "reset+empty: -noservername" reset -noservername
client "reset+empty: -servername blocked.test" ok -servername blocked.test
stop_filter

echo "== wrong rules (only the NFQUEUE rule): no endless loop"
start_filter --action drop --block blocked.test
in_rtr iptables -F FORWARD
in_rtr iptables -A FORWARD -p tcp -m multiport --dports 443,8443 \
	-j NFQUEUE --queue-num $QUEUE
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
