// SPDX-License-Identifier: AGPL-3.0-only
/*
 * sni_filter - a small userspace "DPI box" for the Svyaz censor lab.
 *
 * It reads IPv4 TCP packets from a netfilter queue, looks for a TLS
 * ClientHello at the start of the TCP payload, extracts the server_name
 * (SNI) host name and, if that name is on the block list, tells the kernel
 * to mark the packet so that iptables blocks it and every later packet of
 * the same connection.  Everything else is accepted unchanged.
 *
 * Build:
 *   gcc -O2 -Wall -Wextra -o sni_filter sni_filter.c -lnetfilter_queue
 *
 * Usage:
 *   sni_filter --queue N --block NAME [--block NAME ...] [--block-empty]
 *              [--action drop|reset] [--mark M]
 *
 *   --queue N        netfilter queue number to bind (0..65535)
 *   --block NAME     host name to block (case-insensitive, exact match);
 *                    may be repeated
 *   --block-empty    also block a ClientHello that has no server_name
 *   --action A       drop (default) or reset; see "iptables rules" below
 *   --mark M         packet mark given to blocked hellos (default 0x1,
 *                    must be non-zero; decimal, 0x.. hex or 0.. octal)
 *
 * Output: "ready" on stdout once the queue is bound, and one line
 * "blocked ClientHello sni=<name>" (or "sni=<none>" for a hello without
 * SNI) on stderr per blocked hello.  SIGTERM/SIGINT unbind the queue and
 * exit with status 0.
 *
 * ------------------------------------------------------------------------
 * How blocking works
 * ------------------------------------------------------------------------
 * The program never drops a blocked hello itself.  It gives the verdict
 * NF_REPEAT together with the mark M.  NF_REPEAT makes the kernel run the
 * packet through the same netfilter hook (here: filter/FORWARD) again from
 * the top, now carrying mark M.  The rules in front of the NFQUEUE rule
 * then
 *   1. copy the packet mark into the connection's conntrack mark
 *      (CONNMARK --save-mark), so the whole connection is flagged,
 *   2. copy the conntrack mark back onto every packet of a flagged
 *      connection (CONNMARK --restore-mark), and
 *   3. drop (or reset) every packet carrying mark M, so such packets never
 *      reach the NFQUEUE rule again.
 * So the hello, its retransmissions and all later packets of that
 * connection, in both directions, are blocked by iptables, and only the
 * first hello of a connection is ever judged here.
 *
 * --action does not change the verdict given here (it is NF_REPEAT with
 * mark M in both cases); the action is carried out by the rule you install
 * in step 3.  Pass the --action that matches your rules so the startup
 * message names the right ones.
 *
 * ------------------------------------------------------------------------
 * iptables rules (router namespace; queue 7, mark 0x1, ports 443 and 8443)
 * ------------------------------------------------------------------------
 * --action drop:
 *
 *   iptables -A FORWARD -p tcp -m mark --mark 0x1 -j CONNMARK --save-mark
 *   iptables -A FORWARD -p tcp -j CONNMARK --restore-mark
 *   iptables -A FORWARD -p tcp -m mark --mark 0x1 -j DROP
 *   iptables -A FORWARD -p tcp -m multiport --dports 443,8443 \
 *            -j NFQUEUE --queue-num 7 --queue-bypass
 *
 * --action reset (only the third rule differs):
 *
 *   iptables -A FORWARD -p tcp -m mark --mark 0x1 -j CONNMARK --save-mark
 *   iptables -A FORWARD -p tcp -j CONNMARK --restore-mark
 *   iptables -A FORWARD -p tcp -m mark --mark 0x1 \
 *            -j REJECT --reject-with tcp-reset
 *   iptables -A FORWARD -p tcp -m multiport --dports 443,8443 \
 *            -j NFQUEUE --queue-num 7 --queue-bypass
 *
 * The order matters: --save-mark must come before --restore-mark, or the
 * restore would overwrite the fresh mark M with the connection's old mark
 * (0) before it could be saved.  --queue-bypass makes the kernel accept the
 * packets when no program is bound to the queue, so stopping sni_filter
 * lets traffic through instead of black-holing it.  REJECT with tcp-reset
 * answers the blocked hello with a RST to the client; later packets of the
 * connection (from either side) are answered with RSTs as well.
 *
 * If a packet carrying mark M ever reaches the queue (the rules above are
 * missing or in the wrong order), it is dropped here with NF_DROP rather
 * than repeated, so a wrong rule set cannot loop a packet forever.
 *
 * ------------------------------------------------------------------------
 * Limits (deliberate, this is a lab tool)
 * ------------------------------------------------------------------------
 * - No TCP reassembly.  Only a packet whose payload starts with the TLS
 *   record is inspected.  A hello split over several TCP segments is still
 *   judged if the server_name extension lies completely inside the first
 *   segment; otherwise the hello is accepted.
 * - A handshake message split over several TLS records is inspected only up
 *   to the end of the first record, with the same rule.
 * - Anything truncated or malformed before the answer is known is accepted.
 *   --block-empty only blocks a hello whose extension list was seen in full
 *   and contained no server_name extension.
 * - Only the first host_name entry of the server_name extension is used,
 *   and it is compared byte for byte (ASCII case folded); no trailing-dot or
 *   IDN normalisation.
 * - IPv4 only; other packets are accepted.
 */

#define _GNU_SOURCE /* ppoll() */

#include <arpa/inet.h> /* ntohl */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h> /* NF_ACCEPT, NF_DROP, NF_REPEAT */
#include <libnetfilter_queue/libnetfilter_queue.h>

#define MAX_BLOCK_NAMES 64
#define MAX_HOST_NAME 255 /* DNS limit; longer names are never on our list */

/* ------------------------------------------------------------------------
 * Configuration, filled in from the command line.
 * ------------------------------------------------------------------------ */

struct config {
	uint16_t queue_num;
	const char *block_names[MAX_BLOCK_NAMES];
	size_t block_count;
	int block_empty;    /* also block hellos without SNI */
	int action_reset;   /* 0 = drop, 1 = reset (only affects messages) */
	uint32_t mark;      /* mark given to blocked hellos */
};

static struct config cfg = {
	.mark = 0x1,
};

/* Set by the SIGTERM/SIGINT handler; the main loop checks it. */
static volatile sig_atomic_t stop_requested;

/* So that "mark came back to the queue" is reported once, not per packet. */
static int warned_marked_packet;

/* ------------------------------------------------------------------------
 * A bounds-checked reader over a byte buffer.
 *
 * Every read checks that enough bytes remain and returns 0 (failure) if
 * not, without moving.  The parser below only ever touches packet bytes
 * through these functions, so a short or lying packet cannot make it read
 * outside the buffer.
 * ------------------------------------------------------------------------ */

struct reader {
	const uint8_t *p; /* next unread byte */
	size_t left;      /* bytes remaining */
};

static int read_u8(struct reader *r, unsigned *out)
{
	if (r->left < 1)
		return 0;
	*out = r->p[0];
	r->p += 1;
	r->left -= 1;
	return 1;
}

static int read_u16(struct reader *r, unsigned *out)
{
	if (r->left < 2)
		return 0;
	*out = ((unsigned)r->p[0] << 8) | r->p[1];
	r->p += 2;
	r->left -= 2;
	return 1;
}

static int read_u24(struct reader *r, unsigned long *out)
{
	if (r->left < 3)
		return 0;
	*out = ((unsigned long)r->p[0] << 16) | ((unsigned long)r->p[1] << 8) |
	       r->p[2];
	r->p += 3;
	r->left -= 3;
	return 1;
}

static int skip(struct reader *r, size_t n)
{
	if (r->left < n)
		return 0;
	r->p += n;
	r->left -= n;
	return 1;
}

/*
 * Split off the next n bytes as a reader of their own (for a
 * length-prefixed field) and advance past them.
 */
static int sub_reader(struct reader *r, size_t n, struct reader *sub)
{
	if (r->left < n)
		return 0;
	sub->p = r->p;
	sub->left = n;
	r->p += n;
	r->left -= n;
	return 1;
}

/* ------------------------------------------------------------------------
 * TLS ClientHello parsing.
 * ------------------------------------------------------------------------ */

enum hello_result {
	HELLO_NONE,    /* not the start of a ClientHello */
	HELLO_UNKNOWN, /* a ClientHello, but truncated/malformed before the
	                  SNI question could be answered */
	HELLO_NO_SNI,  /* complete extension list, no server_name in it */
	HELLO_SNI,     /* server_name host_name found */
};

#define TLS_CONTENT_HANDSHAKE 0x16
#define TLS_HANDSHAKE_CLIENT_HELLO 0x01
#define TLS_EXT_SERVER_NAME 0x0000
#define TLS_SNI_HOST_NAME 0x00

/*
 * Parse the body of a server_name extension (RFC 6066, section 3):
 *
 *   struct { NameType name_type; opaque HostName<1..2^16-1>; } ServerName;
 *   struct { ServerName server_name_list<1..2^16-1>; } ServerNameList;
 *
 * On success points *name and *name_len at the first host_name entry (inside
 * the packet buffer) and returns 1; returns 0 if the extension is
 * malformed or holds no usable host_name.
 */
static int parse_server_name_ext(struct reader ext, const uint8_t **name,
				 size_t *name_len)
{
	unsigned list_len;
	struct reader list;

	if (!read_u16(&ext, &list_len) || !sub_reader(&ext, list_len, &list))
		return 0;

	while (list.left > 0) {
		unsigned type, len;

		if (!read_u8(&list, &type) || !read_u16(&list, &len) ||
		    list.left < len)
			return 0;
		if (type == TLS_SNI_HOST_NAME) {
			if (len == 0 || len > MAX_HOST_NAME)
				return 0;
			*name = list.p;
			*name_len = len;
			return 1;
		}
		/* Some other (unknown) name type: skip it. */
		skip(&list, len);
	}
	return 0;
}

/*
 * Look at a TCP payload.  If it starts with a TLS handshake record holding
 * a ClientHello, parse the hello and report whether it has an SNI host
 * name.  On HELLO_SNI, *name and *name_len point into payload.
 *
 * Layout (RFC 8446 section 5.1 and 4.1.2, same for TLS 1.0-1.2):
 *
 *   record:    type(1)=0x16 version(2) length(2)
 *   handshake: msg_type(1)=0x01 length(3)
 *   hello:     legacy_version(2) random(32)
 *              session_id<0..32>          (1-byte length)
 *              cipher_suites<2..2^16-2>   (2-byte length)
 *              compression_methods<1..255>(1-byte length)
 *              extensions<0..2^16-1>      (2-byte length, optional in
 *                                          TLS <= 1.2)
 *   extension: type(2) length(2) data
 *
 * The reader is limited to the smallest of: the bytes we actually
 * captured, the record length and the handshake length, so we never read
 * past any of them.
 */
static enum hello_result parse_client_hello(const uint8_t *payload,
					    size_t payload_len,
					    const uint8_t **name,
					    size_t *name_len)
{
	struct reader r = { payload, payload_len };
	struct reader hello, exts;
	unsigned content_type, version, record_len, msg_type;
	unsigned sid_len, suites_len, comp_len, exts_len;
	unsigned long hello_len;
	int hello_complete;

	/* TLS record header. */
	if (!read_u8(&r, &content_type) || content_type != TLS_CONTENT_HANDSHAKE)
		return HELLO_NONE;
	if (!read_u16(&r, &version) || (version >> 8) != 0x03)
		return HELLO_NONE; /* not SSL 3.0 / TLS 1.x framing */
	if (!read_u16(&r, &record_len) || record_len < 4)
		return HELLO_NONE;
	/* Only look at the bytes of this record (and only those we have). */
	if (r.left > record_len)
		r.left = record_len;

	/* Handshake header. */
	if (!read_u8(&r, &msg_type) || msg_type != TLS_HANDSHAKE_CLIENT_HELLO)
		return HELLO_NONE;
	if (!read_u24(&r, &hello_len))
		return HELLO_UNKNOWN;

	/*
	 * From here on it is a ClientHello.  The hello body may continue
	 * beyond this record or this TCP segment; "hello" covers the part we
	 * can see, and hello_complete says whether that is all of it.
	 */
	hello = r;
	if (hello.left > hello_len)
		hello.left = hello_len;
	hello_complete = (hello.left == hello_len);

	if (!skip(&hello, 2 + 32)) /* legacy_version, random */
		return HELLO_UNKNOWN;
	if (!read_u8(&hello, &sid_len) || sid_len > 32 || !skip(&hello, sid_len))
		return HELLO_UNKNOWN;
	if (!read_u16(&hello, &suites_len) || suites_len < 2 ||
	    (suites_len & 1) != 0 || !skip(&hello, suites_len))
		return HELLO_UNKNOWN;
	if (!read_u8(&hello, &comp_len) || comp_len < 1 ||
	    !skip(&hello, comp_len))
		return HELLO_UNKNOWN;

	/* A hello may end right here: no extensions at all, so no SNI. */
	if (hello.left == 0)
		return hello_complete ? HELLO_NO_SNI : HELLO_UNKNOWN;

	if (!read_u16(&hello, &exts_len))
		return HELLO_UNKNOWN;
	if (hello_complete && exts_len != hello.left)
		return HELLO_UNKNOWN; /* lengths disagree: malformed */

	/*
	 * Walk the extensions we can see.  If the list is cut short by the
	 * end of the segment, we still use a server_name extension that lies
	 * completely in the part we have.
	 */
	exts = hello;
	if (exts.left > exts_len)
		exts.left = exts_len;

	while (exts.left > 0) {
		unsigned ext_type, ext_len;
		struct reader ext;

		if (!read_u16(&exts, &ext_type) || !read_u16(&exts, &ext_len) ||
		    !sub_reader(&exts, ext_len, &ext))
			return HELLO_UNKNOWN;
		if (ext_type == TLS_EXT_SERVER_NAME) {
			if (parse_server_name_ext(ext, name, name_len))
				return HELLO_SNI;
			return HELLO_UNKNOWN; /* malformed server_name */
		}
	}

	/* We walked the list to its end: only "no SNI" if we saw all of it. */
	if (exts_len == (size_t)(exts.p - hello.p))
		return HELLO_NO_SNI;
	return HELLO_UNKNOWN;
}

/* ------------------------------------------------------------------------
 * IPv4 / TCP: find the TCP payload in a queued packet.
 * ------------------------------------------------------------------------ */

/*
 * On success points *payload and *payload_len at the TCP payload and returns 1.
 * Returns 0 for anything that is not a well-formed, unfragmented (or first
 * fragment) IPv4 TCP packet.
 */
static int tcp_payload(const uint8_t *pkt, size_t len, const uint8_t **payload,
		       size_t *payload_len)
{
	size_t ihl, total_len, doff;
	unsigned frag;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return 0; /* not IPv4 */
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	total_len = ((size_t)pkt[2] << 8) | pkt[3];
	if (ihl < 20 || total_len < ihl || total_len > len)
		return 0;
	if (pkt[9] != 6)
		return 0; /* not TCP */
	frag = ((unsigned)(pkt[6] & 0x1f) << 8) | pkt[7];
	if (frag != 0)
		return 0; /* a later fragment has no TCP header */

	if (total_len - ihl < 20)
		return 0;
	doff = (size_t)(pkt[ihl + 12] >> 4) * 4;
	if (doff < 20 || doff > total_len - ihl)
		return 0;

	*payload = pkt + ihl + doff;
	*payload_len = total_len - ihl - doff;
	return 1;
}

/* ------------------------------------------------------------------------
 * Block list.
 * ------------------------------------------------------------------------ */

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Case-insensitive (ASCII only) exact comparison of name[0..len) with s. */
static int name_equals(const uint8_t *name, size_t len, const char *s)
{
	size_t i;

	if (strlen(s) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (ascii_lower(name[i]) != ascii_lower((unsigned char)s[i]))
			return 0;
	return 1;
}

static int name_is_blocked(const uint8_t *name, size_t len)
{
	size_t i;

	for (i = 0; i < cfg.block_count; i++)
		if (name_equals(name, len, cfg.block_names[i]))
			return 1;
	return 0;
}

/*
 * Print the host name for the log, replacing anything that is not a
 * printable, non-space ASCII character with '?', so that a hostile SNI
 * cannot inject control characters or fake log lines.
 */
static void log_blocked(const uint8_t *name, size_t len)
{
	char buf[MAX_HOST_NAME + 1];
	size_t i;

	if (name == NULL) {
		fprintf(stderr, "blocked ClientHello sni=<none>\n");
	} else {
		for (i = 0; i < len && i < MAX_HOST_NAME; i++)
			buf[i] = (name[i] > 0x20 && name[i] < 0x7f) ? (char)name[i]
								    : '?';
		buf[i] = '\0';
		fprintf(stderr, "blocked ClientHello sni=%s\n", buf);
	}
	fflush(stderr);
}

/* ------------------------------------------------------------------------
 * Queue callback: one call per queued packet.  Must give every packet a
 * verdict, or the kernel keeps it queued.
 * ------------------------------------------------------------------------ */

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *nfmsg,
		     struct nfq_data *nfa, void *data)
{
	struct nfqnl_msg_packet_hdr *ph;
	unsigned char *pkt;
	int pkt_len;
	uint32_t id;
	const uint8_t *payload, *name = NULL;
	size_t payload_len, name_len = 0;
	int block = 0;

	(void)nfmsg;
	(void)data;

	ph = nfq_get_msg_packet_hdr(nfa);
	if (ph == NULL)
		return 0; /* no packet id: nothing we can answer */
	id = ntohl(ph->packet_id);

	/*
	 * Safety net: a packet that already carries our mark was judged
	 * before and should have been stopped by the rules in front of the
	 * NFQUEUE rule.  Drop it instead of repeating it forever.
	 */
	if (nfq_get_nfmark(nfa) == cfg.mark) {
		if (!warned_marked_packet) {
			fprintf(stderr,
				"warning: a packet with mark 0x%x reached the "
				"queue; the iptables rules in front of the "
				"NFQUEUE rule are missing or out of order\n",
				(unsigned)cfg.mark);
			fflush(stderr);
			warned_marked_packet = 1;
		}
		return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
	}

	pkt_len = nfq_get_payload(nfa, &pkt);
	if (pkt_len > 0 &&
	    tcp_payload(pkt, (size_t)pkt_len, &payload, &payload_len)) {
		switch (parse_client_hello(payload, payload_len, &name,
					   &name_len)) {
		case HELLO_SNI:
			block = name_is_blocked(name, name_len);
			break;
		case HELLO_NO_SNI:
			block = cfg.block_empty;
			name = NULL;
			break;
		case HELLO_NONE:
		case HELLO_UNKNOWN:
			break;
		}
	}

	if (!block)
		return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);

	log_blocked(name, name_len);
	/* Re-run the hook with our mark; the iptables rules do the rest. */
	return nfq_set_verdict2(qh, id, NF_REPEAT, cfg.mark, 0, NULL);
}

/* ------------------------------------------------------------------------
 * Command line.
 * ------------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sni_filter --queue N --block NAME [--block NAME ...]\n"
		"                  [--block-empty] [--action drop|reset] [--mark M]\n");
}

/* Parse an unsigned number (decimal, 0x hex or 0 octal) up to max. */
static int parse_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s == '\0' || *s == '-')
		return 0;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return 0;
	*out = v;
	return 1;
}

static void parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "block", required_argument, NULL, 'b' },
		{ "block-empty", no_argument, NULL, 'e' },
		{ "action", required_argument, NULL, 'a' },
		{ "mark", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int have_queue = 0;
	int c;
	unsigned long v;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'q':
			if (!parse_number(optarg, 65535, &v)) {
				fprintf(stderr, "sni_filter: bad --queue %s\n", optarg);
				exit(2);
			}
			cfg.queue_num = (uint16_t)v;
			have_queue = 1;
			break;
		case 'b':
			if (cfg.block_count == MAX_BLOCK_NAMES) {
				fprintf(stderr, "sni_filter: at most %d --block names\n",
					MAX_BLOCK_NAMES);
				exit(2);
			}
			if (optarg[0] == '\0' || strlen(optarg) > MAX_HOST_NAME) {
				fprintf(stderr, "sni_filter: bad --block name\n");
				exit(2);
			}
			cfg.block_names[cfg.block_count++] = optarg;
			break;
		case 'e':
			cfg.block_empty = 1;
			break;
		case 'a':
			if (strcmp(optarg, "drop") == 0) {
				cfg.action_reset = 0;
			} else if (strcmp(optarg, "reset") == 0) {
				cfg.action_reset = 1;
			} else {
				fprintf(stderr, "sni_filter: --action must be drop or reset\n");
				exit(2);
			}
			break;
		case 'm':
			if (!parse_number(optarg, 0xffffffffUL, &v) || v == 0) {
				fprintf(stderr, "sni_filter: bad --mark %s (must be non-zero)\n",
					optarg);
				exit(2);
			}
			cfg.mark = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc || !have_queue ||
	    (cfg.block_count == 0 && !cfg.block_empty)) {
		usage(stderr);
		exit(2);
	}
}

/* Describe, on stderr, the rules this configuration expects. */
static void print_expected_rules(void)
{
	unsigned m = (unsigned)cfg.mark;

	fprintf(stderr,
		"sni_filter: queue %u, action %s, mark 0x%x; expected rules:\n"
		"  iptables -A FORWARD -p tcp -m mark --mark 0x%x -j CONNMARK --save-mark\n"
		"  iptables -A FORWARD -p tcp -j CONNMARK --restore-mark\n"
		"  iptables -A FORWARD -p tcp -m mark --mark 0x%x -j %s\n"
		"  iptables -A FORWARD -p tcp -m multiport --dports 443,8443 "
		"-j NFQUEUE --queue-num %u --queue-bypass\n",
		(unsigned)cfg.queue_num, cfg.action_reset ? "reset" : "drop", m,
		m, m, cfg.action_reset ? "REJECT --reject-with tcp-reset" : "DROP",
		(unsigned)cfg.queue_num);
	fflush(stderr);
}

/* ------------------------------------------------------------------------
 * Main loop.
 * ------------------------------------------------------------------------ */

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int main(int argc, char **argv)
{
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	struct sigaction sa;
	sigset_t block_set, wait_set;
	/* Big enough for a whole 64 KiB packet plus netlink headers. */
	static char buf[65536 + 4096] __attribute__((aligned));
	int fd, status = 0;

	parse_args(argc, argv);

	/*
	 * Signals: SIGTERM/SIGINT only set a flag.  They stay blocked except
	 * while we wait in ppoll(), so a signal can never slip in between
	 * checking the flag and going to sleep.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&block_set);
	sigaddset(&block_set, SIGTERM);
	sigaddset(&block_set, SIGINT);
	sigprocmask(SIG_BLOCK, &block_set, &wait_set);
	sigdelset(&wait_set, SIGTERM);
	sigdelset(&wait_set, SIGINT);

	h = nfq_open();
	if (h == NULL) {
		perror("sni_filter: nfq_open");
		return 1;
	}
	/*
	 * No nfq_bind_pf()/nfq_unbind_pf(): since Linux 3.8 they do nothing
	 * useful, and on old kernels unbinding would disturb other users.
	 */
	qh = nfq_create_queue(h, cfg.queue_num, on_packet, NULL);
	if (qh == NULL) {
		fprintf(stderr, "sni_filter: cannot bind queue %u (in use, or not root?)\n",
			(unsigned)cfg.queue_num);
		nfq_close(h);
		return 1;
	}
	/* Copy whole packets to us; a ClientHello can be a few KiB. */
	if (nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) {
		perror("sni_filter: nfq_set_mode");
		nfq_destroy_queue(qh);
		nfq_close(h);
		return 1;
	}
	fd = nfq_fd(h);

	print_expected_rules();
	printf("ready\n");
	fflush(stdout);

	while (!stop_requested) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (ppoll(&pfd, 1, NULL, &wait_set) < 0) {
			if (errno == EINTR)
				continue; /* loop re-checks stop_requested */
			perror("sni_filter: ppoll");
			status = 1;
			break;
		}
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			if (errno == ENOBUFS) {
				/*
				 * The kernel dropped queue messages because we
				 * were too slow; those packets were dropped.
				 * Not fatal: carry on.
				 */
				fprintf(stderr, "sni_filter: warning: receive buffer "
						"overrun, some packets were lost\n");
				fflush(stderr);
				continue;
			}
			perror("sni_filter: recv");
			status = 1;
			break;
		}
		nfq_handle_packet(h, buf, (int)n);
	}

	/* Unbind from the queue; with --queue-bypass traffic flows on. */
	nfq_destroy_queue(qh);
	nfq_close(h);
	return status;
}
