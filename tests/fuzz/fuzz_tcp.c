/* Fuzz target "tcp": TCP's state machine with connections in every state
 * the input can lead them to.  Each input starts from the same stack:
 *
 *   A  a passive open: the peer 10.0.0.2:40000 to our listener on port
 *      5000 (MSS 1460, window scale 7, SACK, timestamps), accepted;
 *   B  an active open from our port 5001 to the peer's 40001 (MSS 536,
 *      window scale 2, SACK, timestamps), so that its data goes in many
 *      small segments;
 *   C  a passive open from the peer's 40002 offering MSS 1200 only (no
 *      SACK, no timestamps, no window scale) with NewReno: the paths
 *      without the options;
 *   D  an active open from our 5003 to the peer's 40003, its SYN
 *      unanswered (SYN_SENT);
 *   the listener, still listening;
 *
 * with 60 KB queued to send on A, B and C (their first flights already
 * out, the rest waiting for the input's ACKs), and their trace formatted.
 * Their buffers are 64 KB rather than the default 208 KB: windows fill
 * sooner, and ASan's allocator keeps blocks that small for reuse rather
 * than mapping and unmapping each one (a quarter of the time per input).
 * The input is then a sequence of records, each a segment from the peer
 * and what our side's program does next:
 *
 *   op(1) act(1) dt(1) len(2, big-endian) segment(len: TCP header, data)
 *
 * op & 7: to 0 A, 1 B, 2 C, 3 D, 4 the listener from the segment's own
 *   source port, 5 as written (ports included), 6 A, 7 B; but for 5 the
 *   harness writes the ports and pads the header to 20 bytes; the segment
 *   goes in an IPv4 packet from the peer with a right checksum (unless
 *   op & 32);
 * op & 8: seq and ack are relative: seq to what our side expects next
 *   (rcv_nxt), ack to its oldest unacknowledged byte (snd_una) -- for the
 *   listener's peers, to the last segment our side sent that port;
 * op & 16: the options are relative too: SACK block edges to snd_una, the
 *   timestamp's TSval to the last one we took (ts_recent) and its TSecr to
 *   the last TSval our side sent;
 * op & 64: the segment opens a receive batch that the next record without
 *   64 closes (the clock stands still inside one), as the TAP driver reads
 *   several frames before the end-of-batch ACKs.
 * act & 7, what the program does after the segment: 0 nothing, 1 write
 *   len * 64 bytes, 2 read all, 3 shutdown for writing, 4 close, 5 abort,
 *   6 a socket option (the segment's first bytes say which and its
 *   value), 7 accept what the listener has and read it; on (act >> 3) % 5:
 *   0 the target (A for the listener and raw), 1 A, 2 B, 3 C, 4 D.
 *
 * dt is fz_dt's: the clock moves after the record, every timer (delayed
 * ACK, RTO, RACK, TLP, persist, keepalive, TIME_WAIT) running on the way.
 * The ports are fixed so that inputs hit the connections; relative
 * numbers let a mutation reach the window, the scoreboard
 * (tcp_recovery.c) and the reassembly queue rather than only the checks
 * that drop a stray segment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzstack.h"
#include "checksum.h"

enum { A, B, C, D, NCONN };
static const uint16_t lports[NCONN] = { 5000, 5001, 5000, 5003 };
static const uint16_t pports[NCONN] = { 40000, 40001, 40002, 40003 };
#define MAXACC 8
#define NSEEN 16
#define BUFSZ 65536
#define QUEUED 60000

/* The last segment our side sent to a peer port. */
struct seen {
	uint16_t pport;		/* 0: free */
	uint32_t seq, ack, tsval;
	uint8_t flags;
};

struct tcp_env {
	struct fzstack st;
	struct socket *l, *c[NCONN];
	struct socket *acc[MAXACC];
	int nacc;
	struct seen seen[NSEEN];
	unsigned int nseen;	/* round robin once full */
	uint32_t last_tsval;	/* the newest TSval our side sent */
};

static uint8_t frame[ETH_HLEN + 20 + 65536];
static uint8_t seg[65536];
static uint8_t sendbuf[1 << 17];

static void harness_fail(const char *what)
{
	fprintf(stderr, "fuzz tcp harness: %s\n", what);
	abort();
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static struct seen *seen_of(struct tcp_env *e, uint16_t pport, bool make)
{
	for (unsigned int i = 0; i < NSEEN; i++)
		if (e->seen[i].pport == pport)
			return &e->seen[i];
	if (!make)
		return NULL;
	struct seen *s = &e->seen[e->nseen++ % NSEEN];
	memset(s, 0, sizeof(*s));
	s->pport = pport;
	return s;
}

/* on_tx: note the TCP segments our side sends (the stack's checksums and
 * lengths are trusted here: the unit tests check them). */
static void on_tx(void *arg, const uint8_t *f, size_t len)
{
	struct tcp_env *e = arg;
	const uint8_t *ip = f + ETH_HLEN, *th, *o;
	size_t hl, thl;
	struct seen *s;

	if (len < ETH_HLEN + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != IPPROTO_TCP)
		return;
	hl = (ip[0] & 15) * 4u;
	if (len < ETH_HLEN + hl + 20)
		return;
	th = ip + hl;
	s = seen_of(e, (uint16_t)(th[2] << 8 | th[3]), true);
	s->seq = get32(th + 4);
	s->ack = get32(th + 8);
	s->flags = th[13];
	thl = (th[12] >> 4) * 4u;
	if (thl < 20 || len < ETH_HLEN + hl + thl)
		return;
	for (o = th + 20; o < th + thl;) {
		if (o[0] == 0)
			break;
		if (o[0] == 1) {
			o++;
			continue;
		}
		if (o + 2 > th + thl || o[1] < 2 || o + o[1] > th + thl)
			break;
		if (o[0] == 8 && o[1] == 10)
			s->tsval = e->last_tsval = get32(o + 2);
		o += o[1];
	}
}

/* send_seg: a TCP segment from the peer, ports as written. */
static void send_seg(struct tcp_env *e, uint8_t *s, size_t len, bool fix_csum)
{
	size_t n = fz_ip_frame(frame, IPPROTO_TCP, 0x4242, IP_DF, s, len);

	if (fix_csum)
		fz_fix_l4(frame + ETH_HLEN, n - ETH_HLEN);
	memdev_inject(e->st.dev, frame, n);
}

/* build: a header with the given fields and options (optlen % 4 == 0). */
static size_t build(uint8_t *s, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		    uint8_t flags, uint16_t win, const uint8_t *opt, size_t optlen)
{
	memset(s, 0, 20);
	s[0] = (uint8_t)(sport >> 8), s[1] = (uint8_t)sport;
	s[2] = (uint8_t)(dport >> 8), s[3] = (uint8_t)dport;
	put32(s + 4, seq);
	put32(s + 8, ack);
	s[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	s[13] = flags;
	s[14] = (uint8_t)(win >> 8), s[15] = (uint8_t)win;
	memcpy(s + 20, opt, optlen);
	return 20 + optlen;
}

static size_t syn_opts(uint8_t *o, uint16_t mss, uint8_t ws, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 2, o[1] = 4, o[2] = (uint8_t)(mss >> 8), o[3] = (uint8_t)mss;
	o[4] = 1, o[5] = 3, o[6] = 3, o[7] = ws;
	o[8] = 1, o[9] = 1, o[10] = 4, o[11] = 2;
	o[12] = 1, o[13] = 1, o[14] = 8, o[15] = 10;
	put32(o + 16, tsval);
	put32(o + 20, tsecr);
	return 24;
}

static size_t ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
	put32(o + 4, tsval);
	put32(o + 8, tsecr);
	return 12;
}

static struct socket *tcp_socket(struct tcp_env *e)
{
	struct socket *s = NULL;

	if (sock_create(&e->st.net, SOCK_STREAM, IPPROTO_TCP, &s) || !s)
		harness_fail("sock_create");
	return s;
}

/* passive: the peer's SYN from pports[k] with options o, the SYN-ACK,
 * the ACK (with a timestamp when ts), accepted as e->c[k]. */
static void passive(struct tcp_env *e, int k, const uint8_t *o, size_t ol, bool ts)
{
	uint8_t ao[12];
	struct seen *s;
	size_t n;

	n = build(seg, pports[k], lports[k], 0x10000000, 0, TH_SYN, 65535, o, ol);
	send_seg(e, seg, n, true);
	fz_drain(&e->st);
	if (!(s = seen_of(e, pports[k], false)) || s->flags != (TH_SYN | TH_ACK))
		harness_fail("no SYN-ACK");
	fz_advance(&e->st, 1000);
	n = build(seg, pports[k], lports[k], 0x10000001, s->seq + 1, TH_ACK, 512, ao,
		  ts ? ts_opt(ao, 1001, s->tsval) : 0);
	send_seg(e, seg, n, true);
	if (e->l->ops->accept(e->l, &e->c[k]) || !e->c[k])
		harness_fail("accept");
}

/* active: e->c[k] connects from lports[k] to the peer's pports[k]; its
 * SYN is left unanswered unless o. */
static void active(struct tcp_env *e, int k, const uint8_t *o, size_t ol)
{
	union inet_sockaddr a = { .sin = { .sin_family = AF_INET, .sin_port = htons(lports[k]) } };
	struct socket *so = e->c[k] = tcp_socket(e);
	uint8_t ob[40];
	struct seen *s;
	size_t n;

	so->ops->setsockopt(so, SOCKOPT_SNDBUF, BUFSZ);
	so->ops->setsockopt(so, SOCKOPT_RCVBUF, BUFSZ);
	if (so->ops->bind(so, &a))
		harness_fail("bind");
	a.sin.sin_addr.s_addr = FZ_PEER_IP;
	a.sin.sin_port = htons(pports[k]);
	if (so->ops->connect(so, &a) != -EINPROGRESS)
		harness_fail("connect");
	fz_drain(&e->st);
	if (!(s = seen_of(e, pports[k], false)) || s->flags != TH_SYN)
		harness_fail("no SYN");
	if (!o)
		return;
	fz_advance(&e->st, 1000);
	memcpy(ob, o, ol);
	put32(ob + ol - 4, s->tsval);	/* the TSecr, last in o */
	n = build(seg, pports[k], lports[k], 0x20000000, s->seq + 1, TH_SYN | TH_ACK, 65535,
		  ob, ol);
	send_seg(e, seg, n, true);
}

static void setup(struct tcp_env *e)
{
	union inet_sockaddr a = { .sin = { .sin_family = AF_INET, .sin_port = htons(lports[A]) } };
	static const uint8_t mss_only[4] = { 2, 4, 1200 >> 8, 1200 & 255 };
	uint8_t o[40];

	memset(e, 0, sizeof(*e));
	fz_init(&e->st, 1500);
	e->st.on_tx = on_tx;
	e->st.tx_arg = e;

	e->l = tcp_socket(e);
	e->l->ops->setsockopt(e->l, SOCKOPT_SNDBUF, BUFSZ);
	e->l->ops->setsockopt(e->l, SOCKOPT_RCVBUF, BUFSZ);
	if (e->l->ops->bind(e->l, &a) || e->l->ops->listen(e->l, 8))
		harness_fail("listen");
	passive(e, A, o, syn_opts(o, 1460, 7, 1000, 0), true);
	active(e, B, o, syn_opts(o, 536, 2, 5000, 0));
	passive(e, C, mss_only, sizeof(mss_only), false);
	e->c[C]->ops->setsockopt(e->c[C], SOCKOPT_CONGESTION, TCP_CA_RENO);
	active(e, D, NULL, 0);
	for (int k = A; k <= C; k++)
		if (e->c[k]->sk->sk_state != TCP_ESTABLISHED)
			harness_fail("not established");
	fz_drain(&e->st);

	if (!sendbuf[1])
		for (size_t i = 0; i < sizeof(sendbuf); i++)
			sendbuf[i] = (uint8_t)(i * 7 + (i >> 9));
	for (int k = A; k < NCONN; k++) {
		struct sockmsg m = { .data = sendbuf };
		tcp_sk(e->c[k]->sk)->trace_readers = 1;
		if (k != D && e->c[k]->ops->sendmsg(e->c[k], &m, QUEUED) != QUEUED)
			harness_fail("sendmsg");
	}
	fz_drain(&e->st);
}

static void teardown(struct tcp_env *e)
{
	for (int i = 0; i < e->nacc; i++)
		fz_release(e->acc[i]);
	for (int k = 0; k < NCONN; k++)
		fz_release(e->c[k]);
	fz_release(e->l);
	fz_free(&e->st);
}

static void read_all(struct socket *s)
{
	for (int i = 0; i < 256; i++) {
		struct sockmsg m;
		long n;

		memset(&m, 0, sizeof(m));
		n = s->ops->recvmsg(s, &m, 65536);
		if (n <= 0)
			return;
		s->ops->recv_done(s, &m, (size_t)n);
	}
}

/* relative_opts: SACK edges and timestamps of the header at s (thl bytes)
 * made absolute. */
static void relative_opts(uint8_t *s, size_t thl, uint32_t una, uint32_t ts_recent,
			  uint32_t tsecr)
{
	uint8_t *o = s + 20, *end = s + thl;

	while (o < end) {
		if (o[0] == 0)
			break;
		if (o[0] == 1) {
			o++;
			continue;
		}
		if (o + 2 > end || o[1] < 2 || o + o[1] > end)
			break;
		if (o[0] == 5)
			for (uint8_t *b = o + 2; b + 4 <= o + o[1]; b += 4)
				put32(b, get32(b) + una);
		if (o[0] == 8 && o[1] == 10) {
			put32(o + 2, get32(o + 2) + ts_recent);
			put32(o + 6, get32(o + 6) + tsecr);
		}
		o += o[1];
	}
}

/* act: what the program does on s after a segment. */
static void act(struct tcp_env *e, struct socket *s, unsigned int what, const uint8_t *p, size_t len)
{
	static const enum sockopt opts[] = {
		SOCKOPT_SNDBUF, SOCKOPT_RCVBUF, SOCKOPT_TTL, SOCKOPT_TOS, SOCKOPT_KEEPALIVE,
		SOCKOPT_NODELAY, SOCKOPT_KEEPIDLE, SOCKOPT_KEEPINTVL, SOCKOPT_KEEPCNT,
		SOCKOPT_USER_TIMEOUT, SOCKOPT_MAXSEG, SOCKOPT_RCVLOWAT, SOCKOPT_CONGESTION,
	};
	struct sockmsg m;

	if (!s || !s->sk)
		return;
	switch (what) {
	case 1:
		memset(&m, 0, sizeof(m));
		m.data = sendbuf;
		s->ops->sendmsg(s, &m, len * 64 < sizeof(sendbuf) ? len * 64 : sizeof(sendbuf));
		break;
	case 2:
		read_all(s);
		break;
	case 3:
		s->ops->shutdown(s, SHUT_WR);
		break;
	case 4:
		s->ops->close(s, false);
		break;
	case 5:
		s->ops->close(s, true);
		break;
	case 6:
		if (len >= 4)
			s->ops->setsockopt(s, opts[p[0] % (sizeof(opts) / sizeof(opts[0]))],
					   (int)((uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) -
					   (p[1] & 0x80 ? 1 << 24 : 0));
		break;
	case 7:
		while (e->nacc < MAXACC) {
			struct socket *ns = NULL;
			if (!e->l->sk || e->l->ops->accept(e->l, &ns) || !ns)
				break;
			tcp_sk(ns->sk)->trace_readers = 1;
			e->acc[e->nacc++] = ns;
			read_all(ns);
		}
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fzin in = { data, size };
	struct tcp_env e;
	bool batch = false;

	setup(&e);
	while (fz_more(&in)) {
		uint8_t op = fz_u8(&in), what = fz_u8(&in), dt = fz_u8(&in);
		unsigned int to = op & 7, on = (what >> 3) % 5;
		int k = to == 6 ? A : to == 7 ? B : to <= D ? (int)to : A;
		size_t len, plen, thl;
		const uint8_t *p = fz_take(&in, fz_u16(&in), &plen);
		struct socket *s = e.c[k];

		len = plen;
		memcpy(seg, p, len);
		if (to != 5) {
			uint16_t pport = to == 4 ? (uint16_t)(len >= 2 ? seg[0] << 8 | seg[1] : 0) : pports[k];
			if (len < 20) {
				memset(seg + len, 0, 20 - len);
				len = 20;
			}
			seg[0] = (uint8_t)(pport >> 8), seg[1] = (uint8_t)pport;
			seg[2] = (uint8_t)(lports[k] >> 8), seg[3] = (uint8_t)lports[k];
			thl = (seg[12] >> 4) * 4u;
			if (op & (8 | 16)) {
				uint32_t una, nxt, ts_recent = 0;
				struct seen *sn = seen_of(&e, pport, false);
				if (to != 4 && s->sk) {
					struct tcp_sock *tp = tcp_sk(s->sk);
					una = tp->snd_una, nxt = tp->rcv_nxt, ts_recent = tp->ts_recent;
				} else {
					una = sn ? sn->seq : 0, nxt = sn ? sn->ack : 0;
				}
				if (op & 8) {
					put32(seg + 4, get32(seg + 4) + nxt);
					put32(seg + 8, get32(seg + 8) + una);
				}
				if ((op & 16) && thl >= 20 && thl <= len)
					relative_opts(seg, thl, una, ts_recent, e.last_tsval);
			}
		}
		if ((op & 64) && !batch) {
			memdev_batch_begin(e.st.dev);
			batch = true;
		}
		send_seg(&e, seg, len, !(op & 32));
		if (batch && !(op & 64)) {
			memdev_batch_end(e.st.dev);
			batch = false;
		}
		act(&e, on ? e.c[on - 1] : s, what & 7, p, plen);
		if (!batch)	/* the event loop runs timers between batches */
			fz_advance(&e.st, fz_dt(dt));
		for (int c = 0; c < NCONN; c++)
			fz_touch(e.c[c]);
		fz_touch(e.l);
	}
	if (batch)
		memdev_batch_end(e.st.dev);
	fz_advance(&e.st, 1000000);
	teardown(&e);
	return 0;
}
