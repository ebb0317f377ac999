// SPDX-License-Identifier: AGPL-3.0-only
/*
 * sni_filter - a small userspace "DPI box" for the Svyaz censor lab.
 *
 * It reads IPv4 TCP packets from a netfilter queue, follows each TCP flow
 * from its SYN, reassembles the first bytes the client sends, reads the TLS
 * ClientHello out of them, extracts the server_name (SNI) host name and, if
 * that name is on the block list, tells the kernel to mark the packet that
 * completed the name so that iptables blocks it and every later packet of
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
 * "blocked ClientHello sni=<name> segments=<s> records=<r>" (or
 * "sni=<none>" for a hello without SNI) on stderr per blocked hello, where s
 * is the number of TCP segments and r the number of TLS records the hello
 * was reassembled from.  SIGTERM/SIGINT unbind the queue and exit with
 * status 0.
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
 * So the packet that completed the hello's server name, its
 * retransmissions and all later packets of that connection, in both
 * directions, are blocked by iptables.
 *
 * --action does not change the verdict given here (it is NF_REPEAT with
 * mark M in both cases); the action is carried out by the rule you install
 * in step 3.  Pass the --action that matches your rules so the startup
 * message names the right ones.
 *
 * ------------------------------------------------------------------------
 * Reassembly
 * ------------------------------------------------------------------------
 * A ClientHello need not fit in one TCP segment: with a post-quantum key
 * share (X25519MLKEM768 alone is 1216 bytes) it is larger than one MSS, a
 * browser that shuffles its extensions may put server_name after the key
 * share, and circumvention tools split the hello on purpose, over several
 * segments or several TLS records.  Censors' DPIs reassemble before they
 * judge (reported of Russia's TSPU since 2025), and so does this one:
 *   - A flow (the client-to-server direction of a TCP connection, by its
 *     4-tuple) is tracked from its SYN, whose sequence number places every
 *     later byte in the stream.  A segment of a flow whose SYN was not seen
 *     is accepted without a look.
 *   - The client's first FLOW_BYTES bytes are kept in order, whatever order
 *     the segments arrive in; where segments overlap, the bytes that came
 *     first are kept (as the Linux receiver does).
 *   - Each time the bytes from the start of the stream grow, the handshake
 *     records at its start are joined (a hello may be split over several
 *     records) and the ClientHello parsed as far as it goes.  Once the
 *     server_name extension is complete (or, for --block-empty, the whole
 *     extension list without it), the flow is judged: blocked, or left
 *     alone and forgotten.  A stream that is not a ClientHello, breaks its
 *     own lengths, or has not answered within FLOW_BYTES bytes is left
 *     alone.
 *   - Segments before the one that completes the name are accepted, not
 *     held; the one that completes it is the one blocked.  The server
 *     cannot finish a handshake without the whole hello, so this blocks the
 *     connection as surely as holding every segment would, while the DPI
 *     adds no delay to connections it lets through and keeps no packets.
 *     Real DPIs act the same way: an in-line one does not delay every TLS
 *     connection by holding its packets, and one that watches a copy of the
 *     traffic (as the GFW does) cannot hold them at all; both act once the
 *     name is seen.
 *   - At most MAX_FLOWS flows are tracked.  A flow is forgotten once it is
 *     let through, ends undecided (FIN or RST) or has been idle for
 *     FLOW_TIMEOUT_SECONDS; a blocked flow is kept until it times out, so
 *     that its packets are blocked again should they reach the queue.  When
 *     the table is full, a new SYN takes the place of the least recently
 *     seen flow, whose hello then goes unjudged, as with a real DPI that
 *     runs out of memory.
 *
 * ------------------------------------------------------------------------
 * iptables rules (router namespace; queue 7, mark 0x1, ports 443 and 8443)
 * ------------------------------------------------------------------------
 * Start sni_filter first and install the rules once it has printed
 * "ready"; the NFQUEUE rule has no --queue-bypass.  Without a program bound
 * to the queue the kernel then drops the queued packets rather than letting
 * them through, so a DPI that is not yet running, or has died, fails
 * closed: no hello it was meant to judge gets past it unjudged.
 *
 * --action drop:
 *
 *   iptables -A FORWARD -p tcp -m mark --mark 0x1 -j CONNMARK --save-mark
 *   iptables -A FORWARD -p tcp -j CONNMARK --restore-mark
 *   iptables -A FORWARD -p tcp -m mark --mark 0x1 -j DROP
 *   iptables -A FORWARD -p tcp -m multiport --dports 443,8443 \
 *            -j NFQUEUE --queue-num 7
 *
 * --action reset (only the third rule differs):
 *
 *   iptables -A FORWARD -p tcp -m mark --mark 0x1 -j CONNMARK --save-mark
 *   iptables -A FORWARD -p tcp -j CONNMARK --restore-mark
 *   iptables -A FORWARD -p tcp -m mark --mark 0x1 \
 *            -j REJECT --reject-with tcp-reset
 *   iptables -A FORWARD -p tcp -m multiport --dports 443,8443 \
 *            -j NFQUEUE --queue-num 7
 *
 * The NFQUEUE rule may be narrowed (to the client's interface, say); it
 * must see the SYN of every flow it is to judge.  The order matters:
 * --save-mark must come before --restore-mark, or the restore would
 * overwrite the fresh mark M with the connection's old mark (0) before it
 * could be saved.  REJECT with tcp-reset answers the blocked packet with a
 * RST to the client; later packets of the connection (from either side)
 * are answered with RSTs as well.  To stop, delete the NFQUEUE rule first,
 * then stop sni_filter.
 *
 * If a packet carrying mark M ever reaches the queue (the rules above are
 * missing or in the wrong order), it is dropped here with NF_DROP rather
 * than repeated, so a wrong rule set cannot loop a packet forever; the
 * other packets of a blocked flow are marked again, so they end the same
 * way.
 *
 * ------------------------------------------------------------------------
 * Limits (deliberate, this is a lab tool)
 * ------------------------------------------------------------------------
 * - Only flows whose SYN came through the queue are judged, and only their
 *   first FLOW_BYTES bytes are reassembled; a hello whose answer lies
 *   beyond them is accepted.
 * - A hello that is truncated or malformed before the answer is known is
 *   accepted.  --block-empty only blocks a hello whose extension list was
 *   seen in full and contained no server_name extension.
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
#include <time.h>

#include <linux/netfilter.h> /* NF_ACCEPT, NF_DROP, NF_REPEAT */
#include <libnetfilter_queue/libnetfilter_queue.h>

#define MAX_BLOCK_NAMES 64
#define MAX_HOST_NAME 255 /* DNS limit; longer names are never on our list */

/*
 * Bytes of the client's stream kept per flow: a ClientHello of up to 16 KiB
 * (the largest TLS record) plus the headers of the records it may be split
 * into.  Real hellos are 0.5-2 KiB.
 */
#define FLOW_BYTES (16 * 1024 + 512)
/* Flows judged at once; each pending flow holds FLOW_BYTES. */
#define MAX_FLOWS 256
/* A hello not complete this long after the flow's last packet is given up. */
#define FLOW_TIMEOUT_SECONDS 60

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
/* So that "flow table full" is reported once, not per flow. */
static int warned_table_full;

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
 * TLS ClientHello parsing, on the reassembled start of a client's stream.
 * ------------------------------------------------------------------------ */

enum hello_result {
	HELLO_NONE,      /* the stream does not start with a ClientHello */
	HELLO_MORE,      /* a ClientHello so far; the answer needs more bytes */
	HELLO_MALFORMED, /* a ClientHello whose lengths do not add up */
	HELLO_NO_SNI,    /* complete extension list, no server_name in it */
	HELLO_SNI,       /* server_name host_name found */
};

#define TLS_CONTENT_HANDSHAKE 0x16
#define TLS_HANDSHAKE_CLIENT_HELLO 0x01
#define TLS_EXT_SERVER_NAME 0x0000
#define TLS_SNI_HOST_NAME 0x00
#define TLS_RECORD_HEADER 5

/*
 * Join the payloads of the TLS handshake records at the start of the
 * stream s[0..len) into hs: a handshake message may be split over several
 * records (RFC 8446 section 5.1), and circumvention tools split the hello
 * that way to hide its SNI from a DPI that reads one record.
 *
 *   record: type(1)=0x16 version(2)=0x03xx length(2) fragment
 *
 * Returns 0 if s does not start like a handshake record.  Otherwise returns
 * 1 with *hs_len the handshake bytes so far, *records the number of records
 * they came from, and *ended set if a record of another type follows, so
 * that no more handshake bytes can come.  hs must hold len bytes.
 */
static int join_handshake(const uint8_t *s, size_t len, uint8_t *hs,
			  size_t *hs_len, unsigned *records, int *ended)
{
	size_t pos = 0, n = 0;

	*records = 0;
	*ended = 0;
	/* Whatever there is of the first header must look like TLS already. */
	if ((len >= 1 && s[0] != TLS_CONTENT_HANDSHAKE) ||
	    (len >= 2 && s[1] != 0x03))
		return 0;

	while (len - pos >= TLS_RECORD_HEADER) {
		size_t record_len = ((size_t)s[pos + 3] << 8) | s[pos + 4];
		size_t have;

		/* RFC 8446: no zero-length handshake fragments. */
		if (s[pos] != TLS_CONTENT_HANDSHAKE || s[pos + 1] != 0x03 ||
		    record_len == 0) {
			if (pos == 0)
				return 0;
			*ended = 1;
			break;
		}
		have = len - pos - TLS_RECORD_HEADER;
		if (have > record_len)
			have = record_len;
		memcpy(hs + n, s + pos + TLS_RECORD_HEADER, have);
		n += have;
		(*records)++;
		if (have < record_len)
			break; /* the rest of this record is still to come */
		pos += TLS_RECORD_HEADER + record_len;
	}
	*hs_len = n;
	return 1;
}

/*
 * Parse the body of a server_name extension (RFC 6066, section 3):
 *
 *   struct { NameType name_type; opaque HostName<1..2^16-1>; } ServerName;
 *   struct { ServerName server_name_list<1..2^16-1>; } ServerNameList;
 *
 * On success points *name and *name_len at the first host_name entry (inside
 * the buffer) and returns 1; returns 0 if the extension is malformed or
 * holds no usable host_name.
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
 * Parse the handshake bytes hs[0..hs_len) (from join_handshake) as far as
 * they go and answer whether the ClientHello has an SNI host name.  ended
 * says that no more handshake bytes can come.  On HELLO_SNI, *name and
 * *name_len point into hs.
 *
 * Layout (RFC 8446 section 4.1.2, same for TLS 1.0-1.2):
 *
 *   handshake: msg_type(1)=0x01 length(3)
 *   hello:     legacy_version(2) random(32)
 *              session_id<0..32>          (1-byte length)
 *              cipher_suites<2..2^16-2>   (2-byte length)
 *              compression_methods<1..255>(1-byte length)
 *              extensions<0..2^16-1>      (2-byte length, optional in
 *                                          TLS <= 1.2)
 *   extension: type(2) length(2) data
 *
 * Running out of bytes inside the hello means "wait for more" (HELLO_MORE)
 * while more can come, and a malformed hello once the whole hello is here
 * or no more can come.
 */
static enum hello_result parse_client_hello(const uint8_t *hs, size_t hs_len,
					    int ended, const uint8_t **name,
					    size_t *name_len)
{
	struct reader r = { hs, hs_len };
	struct reader hello, exts;
	const uint8_t *hello_start;
	unsigned msg_type, sid_len, suites_len, comp_len, exts_len;
	unsigned long hello_len;
	size_t hello_rest;
	int complete;
	enum hello_result cut; /* what a short read means */

	if (!read_u8(&r, &msg_type))
		return ended ? HELLO_NONE : HELLO_MORE;
	if (msg_type != TLS_HANDSHAKE_CLIENT_HELLO)
		return HELLO_NONE;
	if (!read_u24(&r, &hello_len))
		return ended ? HELLO_MALFORMED : HELLO_MORE;

	/* "hello" covers the part of the hello body we have so far. */
	hello = r;
	if (hello.left > hello_len)
		hello.left = hello_len;
	hello_start = hello.p;
	complete = (hello.left == hello_len);
	cut = (complete || ended) ? HELLO_MALFORMED : HELLO_MORE;

	if (!skip(&hello, 2 + 32)) /* legacy_version, random */
		return cut;
	if (!read_u8(&hello, &sid_len))
		return cut;
	if (sid_len > 32)
		return HELLO_MALFORMED;
	if (!skip(&hello, sid_len) || !read_u16(&hello, &suites_len))
		return cut;
	if (suites_len < 2 || (suites_len & 1) != 0)
		return HELLO_MALFORMED;
	if (!skip(&hello, suites_len) || !read_u8(&hello, &comp_len))
		return cut;
	if (comp_len < 1)
		return HELLO_MALFORMED;
	if (!skip(&hello, comp_len))
		return cut;

	/* A hello may end right here: no extensions at all, so no SNI. */
	hello_rest = hello_len - (size_t)(hello.p - hello_start);
	if (hello_rest == 0)
		return HELLO_NO_SNI;

	if (!read_u16(&hello, &exts_len))
		return cut;
	if (exts_len != hello_rest - 2)
		return HELLO_MALFORMED; /* lengths disagree */

	/*
	 * Walk the extensions we have.  Once the server_name extension is
	 * complete the answer is known, whatever follows it.
	 */
	exts = hello;
	if (exts.left >= exts_len) {
		exts.left = exts_len;
		cut = HELLO_MALFORMED; /* the whole list is here */
	}
	while (exts.left > 0) {
		unsigned ext_type, ext_len;
		struct reader ext;

		if (!read_u16(&exts, &ext_type) || !read_u16(&exts, &ext_len) ||
		    !sub_reader(&exts, ext_len, &ext))
			return cut;
		if (ext_type == TLS_EXT_SERVER_NAME)
			return parse_server_name_ext(ext, name, name_len)
				       ? HELLO_SNI
				       : HELLO_MALFORMED;
	}
	/* We walked what we have: "no SNI" only if that was the whole list. */
	if ((size_t)(exts.p - hello.p) == exts_len)
		return HELLO_NO_SNI;
	return cut;
}

/* ------------------------------------------------------------------------
 * IPv4 / TCP: the parts of a queued packet the flow table needs.
 * ------------------------------------------------------------------------ */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

struct segment {
	uint32_t saddr, daddr; /* as in the packet (network byte order) */
	uint16_t sport, dport; /* as in the packet (network byte order) */
	uint32_t seq;          /* host byte order */
	unsigned flags;
	const uint8_t *payload;
	size_t len;
};

/*
 * Fill *seg from a packet and return 1; return 0 for anything that is not
 * a well-formed, unfragmented (or first fragment) IPv4 TCP packet.
 */
static int parse_segment(const uint8_t *pkt, size_t len, struct segment *seg)
{
	size_t ihl, total_len, doff;
	const uint8_t *tcp;
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
	tcp = pkt + ihl;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < 20 || doff > total_len - ihl)
		return 0;

	memcpy(&seg->saddr, pkt + 12, 4);
	memcpy(&seg->daddr, pkt + 16, 4);
	memcpy(&seg->sport, tcp, 2);
	memcpy(&seg->dport, tcp + 2, 2);
	seg->seq = ((uint32_t)tcp[4] << 24) | ((uint32_t)tcp[5] << 16) |
		   ((uint32_t)tcp[6] << 8) | tcp[7];
	seg->flags = tcp[13];
	seg->payload = tcp + doff;
	seg->len = total_len - ihl - doff;
	return 1;
}

/* ------------------------------------------------------------------------
 * Flow table: the reassembled start of each client stream being judged.
 * ------------------------------------------------------------------------ */

enum flow_state {
	FLOW_FREE,
	FLOW_PENDING, /* SYN seen, hello not judged yet */
	FLOW_BLOCKED, /* judged and blocked: mark whatever else comes here */
};

struct flow {
	enum flow_state state;
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t base_seq;   /* sequence number of the stream's first byte */
	size_t contiguous;   /* bytes [0, contiguous) are all here */
	unsigned segments;   /* segments that brought bytes not seen before */
	time_t last_seen;    /* CLOCK_MONOTONIC seconds */
	uint8_t have[(FLOW_BYTES + 7) / 8]; /* bit i: byte i is here */
	uint8_t data[FLOW_BYTES];
};

/* Static: pages of flows that are never used are never touched. */
static struct flow flows[MAX_FLOWS];

/* Scratch space for the joined handshake bytes of one flow. */
static uint8_t handshake[FLOW_BYTES];

static time_t now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int same_flow(const struct flow *f, const struct segment *seg)
{
	return f->saddr == seg->saddr && f->daddr == seg->daddr &&
	       f->sport == seg->sport && f->dport == seg->dport;
}

static struct flow *flow_find(const struct segment *seg)
{
	size_t i;

	for (i = 0; i < MAX_FLOWS; i++)
		if (flows[i].state != FLOW_FREE && same_flow(&flows[i], seg))
			return &flows[i];
	return NULL;
}

/*
 * A SYN: (re)start tracking its flow.  Takes the flow's own entry (a
 * retransmitted SYN, or a new connection on the same 4-tuple), else a free
 * or expired one, else the least recently seen one.
 */
static struct flow *flow_start(const struct segment *seg, time_t now)
{
	struct flow *f = flow_find(seg), *oldest = NULL;
	size_t i;

	for (i = 0; f == NULL && i < MAX_FLOWS; i++) {
		struct flow *c = &flows[i];

		if (c->state == FLOW_FREE ||
		    now - c->last_seen >= FLOW_TIMEOUT_SECONDS)
			f = c;
		else if (oldest == NULL || c->last_seen < oldest->last_seen)
			oldest = c;
	}
	if (f == NULL) {
		if (!warned_table_full) {
			fprintf(stderr, "warning: flow table full (%d flows); "
					"the least recently seen flow is no "
					"longer judged\n", MAX_FLOWS);
			fflush(stderr);
			warned_table_full = 1;
		}
		f = oldest;
	}
	f->state = FLOW_PENDING;
	f->saddr = seg->saddr;
	f->daddr = seg->daddr;
	f->sport = seg->sport;
	f->dport = seg->dport;
	f->base_seq = seg->seq + 1; /* the SYN takes one sequence number */
	f->contiguous = 0;
	f->segments = 0;
	memset(f->have, 0, sizeof(f->have));
	return f;
}

static int flow_has(const struct flow *f, size_t at)
{
	return (f->have[at / 8] >> (at % 8)) & 1;
}

/*
 * Put the segment's payload in its place in the flow's stream (only the
 * part inside the first FLOW_BYTES bytes, and only bytes not seen before).
 * Returns 1 if the bytes from the start of the stream grew.
 */
static int flow_add(struct flow *f, const struct segment *seg)
{
	/* Data on a SYN (TCP Fast Open) starts after the SYN's number. */
	uint32_t first = seg->seq + ((seg->flags & TCP_SYN) ? 1 : 0);
	int64_t at = (int32_t)(first - f->base_seq); /* modulo 2^32 */
	const uint8_t *p = seg->payload;
	size_t n = seg->len, i, before = f->contiguous;
	int added = 0;

	if (at < 0) { /* starts before the stream: keep what lies in it */
		if ((uint64_t)-at >= n)
			return 0;
		p += -at;
		n -= (size_t)-at;
		at = 0;
	}
	if (at >= FLOW_BYTES)
		return 0;
	if (n > FLOW_BYTES - (size_t)at)
		n = FLOW_BYTES - (size_t)at;
	for (i = 0; i < n; i++) {
		size_t pos = (size_t)at + i;

		if (!flow_has(f, pos)) {
			f->data[pos] = p[i];
			f->have[pos / 8] |= (uint8_t)(1u << (pos % 8));
			added = 1;
		}
	}
	if (added)
		f->segments++;
	while (f->contiguous < FLOW_BYTES && flow_has(f, f->contiguous))
		f->contiguous++;
	return f->contiguous > before;
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
static void log_blocked(const uint8_t *name, size_t len, unsigned segments,
			unsigned records)
{
	char buf[MAX_HOST_NAME + 1];
	size_t i;

	if (name == NULL) {
		snprintf(buf, sizeof(buf), "<none>");
	} else {
		for (i = 0; i < len && i < MAX_HOST_NAME; i++)
			buf[i] = (name[i] > 0x20 && name[i] < 0x7f) ? (char)name[i]
								    : '?';
		buf[i] = '\0';
	}
	fprintf(stderr, "blocked ClientHello sni=%s segments=%u records=%u\n",
		buf, segments, records);
	fflush(stderr);
}

/* ------------------------------------------------------------------------
 * Judging a packet.
 * ------------------------------------------------------------------------ */

enum packet_verdict {
	PASS,  /* accept unchanged */
	BLOCK, /* NF_REPEAT with the mark: the rules block the connection */
};

/* Judge the flow's stream as it is now; frees the flow unless undecided. */
static enum packet_verdict judge_flow(struct flow *f)
{
	const uint8_t *name = NULL;
	size_t hs_len, name_len = 0;
	unsigned records;
	int ended, block;
	enum hello_result result = HELLO_NONE;

	if (join_handshake(f->data, f->contiguous, handshake, &hs_len,
			   &records, &ended))
		result = parse_client_hello(handshake, hs_len, ended, &name,
					    &name_len);
	switch (result) {
	case HELLO_MORE:
		if (f->contiguous < FLOW_BYTES)
			return PASS; /* wait for the rest */
		block = 0;   /* no answer within FLOW_BYTES: give up */
		break;
	case HELLO_SNI:
		block = name_is_blocked(name, name_len);
		break;
	case HELLO_NO_SNI:
		block = cfg.block_empty;
		name = NULL;
		break;
	case HELLO_NONE:
	case HELLO_MALFORMED:
	default:
		block = 0;
		break;
	}
	if (!block) {
		f->state = FLOW_FREE;
		return PASS;
	}
	log_blocked(name, name_len, f->segments, records);
	f->state = FLOW_BLOCKED;
	return BLOCK;
}

static enum packet_verdict judge_packet(const uint8_t *pkt, size_t len)
{
	struct segment seg;
	struct flow *f;
	time_t now = now_seconds();
	enum packet_verdict verdict = PASS;

	if (!parse_segment(pkt, len, &seg))
		return PASS;
	if ((seg.flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		f = flow_start(&seg, now);
	else
		f = flow_find(&seg);
	if (f == NULL)
		return PASS; /* not a flow we saw start, or already judged */
	f->last_seen = now;

	if (f->state == FLOW_BLOCKED)
		return BLOCK; /* only if the rules let it through to us */
	if (seg.len > 0 && flow_add(f, &seg))
		verdict = judge_flow(f);
	/* A flow that ends undecided is forgotten; a blocked one stays. */
	if (f->state == FLOW_PENDING && (seg.flags & (TCP_FIN | TCP_RST)))
		f->state = FLOW_FREE;
	return verdict;
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
	if (pkt_len <= 0 || judge_packet(pkt, (size_t)pkt_len) == PASS)
		return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
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
		"sni_filter: queue %u, action %s, mark 0x%x; install these rules "
		"now that the queue is bound:\n"
		"  iptables -A FORWARD -p tcp -m mark --mark 0x%x -j CONNMARK --save-mark\n"
		"  iptables -A FORWARD -p tcp -j CONNMARK --restore-mark\n"
		"  iptables -A FORWARD -p tcp -m mark --mark 0x%x -j %s\n"
		"  iptables -A FORWARD -p tcp -m multiport --dports 443,8443 "
		"-j NFQUEUE --queue-num %u\n",
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
	 * nfq_create_queue() and nfq_set_mode() wait for the kernel's
	 * acknowledgement, so once they return the queue is bound and copies
	 * whole packets: "ready" below is true when it is printed.
	 */
	qh = nfq_create_queue(h, cfg.queue_num, on_packet, NULL);
	if (qh == NULL) {
		fprintf(stderr, "sni_filter: cannot bind queue %u (in use, or not root?)\n",
			(unsigned)cfg.queue_num);
		nfq_close(h);
		return 1;
	}
	/* Copy whole packets to us; a ClientHello segment can be 64 KiB. */
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

	/*
	 * Unbind from the queue.  Packets the NFQUEUE rule still sends here
	 * are dropped from now on (no --queue-bypass): delete it first.
	 */
	nfq_destroy_queue(qh);
	nfq_close(h);
	return status;
}
