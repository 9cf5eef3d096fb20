/* TCP on the in-memory device, one rule at a time: the test plays the peer,
 * sends a crafted segment and checks the exact segment the stack answers
 * with (or that it answers nothing), its state and its counters.  Time is
 * the test's: every timer is checked to the microsecond.
 *
 * The stack is OUR_IP (MTU 1500, so it offers MSS 1460), the peer PEER_IP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sock.h"

#define PPORT 40000		/* the peer's port */
#define LPORT 5000		/* ours, when the test chooses it */
#define MS 1000ull

static uint8_t f[ETH_HLEN + 65536];
static uint8_t pat[1 << 16];	/* what the stack sends */
static uint8_t ppat[1 << 16];	/* what the peer sends */
static uint8_t buf[1 << 16];
static bool psh_loose;		/* expect: ignore PSH */

/* One connection, as the peer sees it. */
struct conn {
	struct env *e;
	struct socket *s;
	uint16_t lport, pport;	/* host order */
	uint32_t iss;		/* the stack's ISN */
	uint32_t irs;		/* the peer's ISN */
	uint32_t snd;		/* the peer's next sequence number (the stack's rcv_nxt) */
	uint32_t ack;		/* what the peer acknowledges */
	uint16_t win;		/* the window field the peer sends */
	bool ts;		/* timestamps on */
	uint32_t tsval;		/* the peer's timestamp clock */
	uint32_t tsecr;		/* the stack's newest TSval */
	unsigned int wakes;
};

struct open_opts {
	int mss;		/* the peer's MSS option; 0: none */
	int wscale;		/* the peer's window scale; -1: none */
	bool ts;		/* the peer offers timestamps */
	bool sackok;
	uint32_t irs;		/* the peer's ISN */
	uint16_t lport;		/* bind to this first; 0: ephemeral */
	uint64_t rtt;		/* time between our SYN and the SYN-ACK */
	uint16_t win;		/* the SYN-ACK's window */
	int rcvbuf;		/* SOCKOPT_RCVBUF before connect; 0: default */
};

/* The peer offers window scale 0, so that the stack may offer its whole
 * 2 MB buffer (scaled by 6) and small reads need no window update. */
static const struct open_opts PLAIN = { .mss = 1460, .wscale = 0, .irs = 0x10000000, .win = 65535 };
static const struct open_opts WITH_TS = { .mss = 1460, .wscale = 0, .ts = true, .irs = 0x10000000,
					  .win = 65535 };
static const struct open_opts NOWS = { .mss = 1460, .wscale = -1, .irs = 0x10000000, .win = 65535 };

static struct tcp_sock *tpof(struct conn *c) { return tcp_sk(c->s->sk); }

/* Every socket a test holds, so that the teardown lets go of them when a
 * failed check ended the test early (valgrind then sees no leak). */
#define MAXSOCKS 16
static struct socket *held[MAXSOCKS];

static struct socket *track(struct socket *s)
{
	for (int i = 0; i < MAXSOCKS; i++)
		if (!held[i]) {
			held[i] = s;
			return s;
		}
	fail_msg("more than %d sockets", MAXSOCKS);
	return s;
}

/* rel: sock_release, and no longer held. */
static void rel(struct socket *s)
{
	for (int i = 0; i < MAXSOCKS; i++)
		if (held[i] == s)
			held[i] = NULL;
	sock_release(s);
}

static int tcp_teardown(void **state)
{
	struct env *e = *state;

	for (int i = 0; i < MAXSOCKS; i++)
		if (held[i]) {
			if (held[i]->sk)
				held[i]->ops->close(held[i], true);
			sock_release(held[i]);
			held[i] = NULL;
		}
	drain(e->dev);
	return env_teardown(state);
}

static struct socket *tcp_socket(struct env *e)
{
	struct socket *s = NULL;

	assert_int_equal(sock_create(&e->net, SOCK_STREAM, IPPROTO_TCP, &s), 0);
	assert_non_null(s);
	assert_int_equal(s->protocol, IPPROTO_TCP);
	return track(s);
}

static struct sockaddr_in sin4(uint32_t addr, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = addr;
	a.sin_port = htons(port);
	return a;
}

static int do_bind(struct socket *s, uint16_t port)
{
	struct sockaddr_in a = sin4(0, port);
	return s->ops->bind(s, &a);
}

static int do_connect(struct socket *s, uint32_t addr, uint16_t port)
{
	struct sockaddr_in a = sin4(addr, port);
	return s->ops->connect(s, &a);
}

static long send_bytes(struct socket *s, const void *data, size_t len)
{
	struct sockmsg m;

	memset(&m, 0, sizeof(m));
	m.data = data;
	return s->ops->sendmsg(s, &m, len);
}

/* status_is: the status line starts with the state word. */
static void status_is(struct socket *s, const char *word)
{
	char st[512];
	size_t n = strlen(word);

	s->ops->status(s, st, sizeof(st));
	if (strncmp(st, word, n) != 0 || st[n] != ' ')
		fail_msg("status \"%s\", want it to start with \"%s \"", st, word);
}

static size_t ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
	o[4] = (uint8_t)(tsval >> 24), o[5] = (uint8_t)(tsval >> 16);
	o[6] = (uint8_t)(tsval >> 8), o[7] = (uint8_t)tsval;
	o[8] = (uint8_t)(tsecr >> 24), o[9] = (uint8_t)(tsecr >> 16);
	o[10] = (uint8_t)(tsecr >> 8), o[11] = (uint8_t)tsecr;
	return 12;
}

/* inject_ts: a segment of the connection with the given timestamp value. */
static void inject_ts(struct conn *c, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		      uint32_t tsval, const void *data, size_t dlen)
{
	uint8_t o[12];
	size_t ol = c->ts ? ts_opt(o, tsval, c->tsecr) : 0;

	memdev_inject(c->e->dev, f, tcp_build(f, PEER_IP, c->pport, OUR_IP, c->lport, seq, ack,
					      flags, win, o, ol, data, dlen));
}

static void inject(struct conn *c, uint32_t seq, uint32_t ack, uint8_t flags,
		   const void *data, size_t dlen)
{
	inject_ts(c, seq, ack, flags, c->win, c->tsval, data, dlen);
}

/* peer_send: the peer's next segment, acknowledging c->ack. */
static void peer_send(struct conn *c, uint8_t flags, const void *data, size_t dlen)
{
	inject(c, c->snd, c->ack, flags | TH_ACK, data, dlen);
	c->snd += (uint32_t)dlen + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
}

/* peer_ack: a bare ACK of everything up to ack. */
static void peer_ack(struct conn *c, uint32_t ack)
{
	c->ack = ack;
	inject(c, c->snd, ack, TH_ACK, NULL, 0);
}

/* expect_keep: the next frame is a segment of this connection with exactly
 * these flags, seq, ack (0 when no ACK) and dlen bytes of data (equal to
 * data unless NULL). */
static void expect_keep(struct conn *c, uint8_t flags, uint32_t seq, uint32_t ack,
			const void *data, size_t dlen, struct tcp_seen *out)
{
	struct tcp_seen s;

	if (memdev_pending(c->e->dev) == 0)
		fail_msg("no segment sent; want flags %#04x seq %#010x ack %#010x len %zu",
			 flags, seq, ack, dlen);
	pop_tcp(c->e->dev, PEER_MAC, &s);
	assert_int_equal(s.rx.ip->saddr, OUR_IP);
	assert_int_equal(s.rx.ip->daddr, PEER_IP);
	assert_int_equal(s.sport, c->lport);
	assert_int_equal(s.dport, c->pport);
	if (psh_loose)
		s.flags &= (uint8_t)~TH_PSH;
	if (s.flags != flags || s.seq != seq || s.ack != ack || s.dlen != dlen) {
		char m[256];
		snprintf(m, sizeof(m), "got flags %#04x seq %#010x ack %#010x len %zu; "
			 "want flags %#04x seq %#010x ack %#010x len %zu",
			 s.flags, s.seq, s.ack, s.dlen, flags, seq, ack, dlen);
		tcp_seen_free(&s);
		fail_msg("%s", m);
	}
	if (data && dlen)
		assert_memory_equal(s.data, data, dlen);
	assert_false(s.bad_opts);
	if (!(flags & TH_SYN)) {
		assert_int_equal(s.mss, -1);
		assert_int_equal(s.wscale, -1);
		assert_false(s.sackok);
	}
	if (c->ts && !(flags & TH_RST)) {
		assert_true(s.ts);
		if (!(flags & TH_SYN) || (flags & TH_ACK)) {
			if (s.tsecr != c->tsval)
				fail_msg("TSecr %u, want the peer's TSval %u", s.tsecr, c->tsval);
		}
		c->tsecr = s.tsval;
	} else if (!c->ts) {
		assert_false(s.ts);
	}
	if (out)
		*out = s;
	else
		tcp_seen_free(&s);
}

static void expect(struct conn *c, uint8_t flags, uint32_t seq, uint32_t ack,
		   const void *data, size_t dlen)
{
	expect_keep(c, flags, seq, ack, data, dlen, NULL);
}

/* A retransmission: PSH may or may not be set on it. */
static void expect_rexmit(struct conn *c, uint32_t seq, uint32_t ack, const void *data, size_t dlen)
{
	psh_loose = true;
	expect(c, TH_ACK, seq, ack, data, dlen);
	psh_loose = false;
}

static void expect_none(struct conn *c)
{
	if (memdev_pending(c->e->dev) != 0) {
		struct tcp_seen s;
		char m[128];
		pop_tcp(c->e->dev, PEER_MAC, &s);
		snprintf(m, sizeof(m), "flags %#04x seq %#010x ack %#010x len %zu",
			 s.flags, s.seq, s.ack, s.dlen);
		tcp_seen_free(&s);
		fail_msg("unexpected segment: %s", m);
	}
}

/* The stack's next sequence number as the peer has seen it. */
static uint32_t snd_nxt(struct conn *c) { return tpof(c)->snd_nxt; }

/* synack_opts builds the peer's handshake options from o. */
static size_t syn_opts(uint8_t *b, const struct open_opts *o, uint32_t tsval, uint32_t tsecr)
{
	size_t n = 0;

	if (o->mss) {
		b[n++] = 2, b[n++] = 4, b[n++] = (uint8_t)(o->mss >> 8), b[n++] = (uint8_t)o->mss;
	}
	if (o->wscale >= 0) {
		b[n++] = 1, b[n++] = 3, b[n++] = 3, b[n++] = (uint8_t)o->wscale;
	}
	if (o->sackok) {
		b[n++] = 1, b[n++] = 1, b[n++] = 4, b[n++] = 2;
	}
	if (o->ts)
		n += ts_opt(b + n, tsval, tsecr);
	return n;
}

/* conn_connect: an active open answered by the peer as o says, up to
 * ESTABLISHED and the stack's ACK of the SYN-ACK. */
static void conn_connect(struct env *e, struct conn *c, const struct open_opts *o)
{
	struct tcp_seen syn;
	uint8_t ob[40];
	size_t ol;

	memset(c, 0, sizeof(*c));
	c->e = e;
	c->s = tcp_socket(e);
	c->pport = PPORT;
	sock_count_wakeups(c->s, &c->wakes);
	if (o->lport)
		assert_int_equal(do_bind(c->s, o->lport), 0);
	if (o->rcvbuf)
		assert_int_equal(c->s->ops->setsockopt(c->s, SOCKOPT_RCVBUF, o->rcvbuf), 0);
	assert_int_equal(do_connect(c->s, PEER_IP, PPORT), -EINPROGRESS);
	assert_int_equal(c->s->state, SS_CONNECTING);
	pop_tcp(e->dev, PEER_MAC, &syn);
	assert_int_equal(syn.flags, TH_SYN);
	assert_int_equal(syn.dport, PPORT);
	if (o->lport)
		assert_int_equal(syn.sport, o->lport);
	c->lport = syn.sport;
	c->iss = syn.seq;
	c->tsecr = syn.tsval;
	tcp_seen_free(&syn);
	if (o->rtt)
		net_advance(&e->net, e->net.now + o->rtt);
	c->irs = o->irs;
	c->tsval = 1000;
	ol = syn_opts(ob, o, c->tsval, c->tsecr);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, c->lport, c->irs, c->iss + 1,
					   TH_SYN | TH_ACK, o->win, ob, ol, NULL, 0));
	c->ts = o->ts;
	c->snd = c->irs + 1;
	c->ack = c->iss + 1;
	c->win = o->win;
	expect(c, TH_ACK, c->iss + 1, c->irs + 1, NULL, 0);
	expect_none(c);
	assert_int_equal(c->s->sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(c->s->state, SS_CONNECTED);
	status_is(c->s, "Established");
}

/* conn_accept: a passive open: a listener on LPORT, the peer's SYN with
 * the options of o, the SYN-ACK, the ACK, accept.  The listener is let go
 * once the connection is accepted. */
static void conn_accept(struct env *e, struct conn *c, const struct open_opts *o)
{
	struct socket *l = tcp_socket(e);
	struct tcp_seen sa;
	uint8_t ob[40];
	size_t ol;

	memset(c, 0, sizeof(*c));
	c->e = e;
	c->lport = LPORT;
	c->pport = PPORT;
	c->irs = o->irs;
	c->tsval = 1000;
	c->win = o->win;
	assert_int_equal(do_bind(l, LPORT), 0);
	assert_int_equal(l->ops->listen(l, 8), 0);
	ol = syn_opts(ob, o, c->tsval, 0);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, LPORT, c->irs, 0, TH_SYN,
					   o->win, ob, ol, NULL, 0));
	pop_tcp(e->dev, PEER_MAC, &sa);
	assert_int_equal(sa.flags, TH_SYN | TH_ACK);
	assert_int_equal(sa.ack, c->irs + 1);
	c->iss = sa.seq;
	c->tsecr = sa.tsval;
	tcp_seen_free(&sa);
	if (o->rtt)
		net_advance(&e->net, e->net.now + o->rtt);
	c->ts = o->ts;
	c->snd = c->irs + 1;
	c->ack = c->iss + 1;
	inject(c, c->snd, c->ack, TH_ACK, NULL, 0);
	expect_none(c);
	assert_int_equal(l->ops->accept(l, &c->s), 0);
	track(c->s);
	sock_count_wakeups(c->s, &c->wakes);
	assert_int_equal(c->s->state, SS_CONNECTED);
	status_is(c->s, "Established");
	rel(l);
}

/* conn_free aborts what is left of the connection (so that no orphan goes
 * on sending into the next part of a test) and lets the socket go. */
static void conn_free(struct conn *c)
{
	if (c->s) {
		c->s->ops->close(c->s, true);
		rel(c->s);
	}
	c->s = NULL;
	drain(c->e->dev);
}

/* read_expect: exactly len bytes are readable now, and they are want. */
static void read_expect(struct conn *c, const void *want, size_t len)
{
	size_t got = 0;

	while (got < len) {
		long n = sock_recv_stream(c->s, buf + got, len - got);
		if (n <= 0)
			fail_msg("read after %zu of %zu bytes: %ld", got, len, n);
		got += (size_t)n;
	}
	assert_memory_equal(buf, want, len);
	assert_int_equal(sock_recv_stream(c->s, buf, sizeof(buf)), -EAGAIN);
}

/* ------------------------------------------------------------------------- */
/* active open */

static void test_active_open(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tcp_seen syn, ack;
	struct tsnap t;
	uint8_t ob[40];
	size_t ol;
	struct open_opts o = { .mss = 1460, .wscale = 7, .ts = true, .irs = 0x01020304, .win = 65535 };

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.s = tcp_socket(e);
	c.pport = PPORT;
	sock_count_wakeups(c.s, &c.wakes);
	status_is(c.s, "Closed");
	tsnap_take(&t, &e->net, e->dev);
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	assert_int_equal(c.s->state, SS_CONNECTING);
	status_is(c.s, "Syn_sent");
	tsnap_expect_tcp(&t, &e->net, "tcp.ActiveOpens=1 tcp.OutSegs=1");

	/* The SYN: no ACK, MSS 1460 for MTU 1500, window scale, timestamps
	 * (TSecr 0), the window unscaled. */
	pop_tcp(e->dev, PEER_MAC, &syn);
	expect_none(&c);
	assert_int_equal(syn.flags, TH_SYN);
	assert_int_equal(syn.ack, 0);
	assert_int_equal(syn.dport, PPORT);
	assert_in_range(syn.sport, 1024, 65535);
	assert_int_equal(syn.dlen, 0);
	assert_false(syn.bad_opts);
	assert_int_equal(syn.mss, 1460);
	assert_int_equal(syn.wscale, 6);	/* a 2 MB receive buffer needs 6 */
	assert_true(syn.ts);
	assert_int_equal(syn.tsecr, 0);
	assert_false(syn.sackok);		/* not implemented: not offered */
	assert_int_equal(syn.hlen, 40);		/* MSS 4, NOP+WS 4, NOP NOP TS 12 */
	assert_int_equal(syn.win, 65535);
	c.lport = syn.sport;
	c.iss = syn.seq;
	c.tsecr = syn.tsval;
	tcp_seen_free(&syn);

	/* The SYN-ACK with MSS, WS 7, TS. */
	c.irs = o.irs;
	c.tsval = 777;
	ol = syn_opts(ob, &o, c.tsval, c.tsecr);
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, c.lport, c.irs, c.iss + 1,
					   TH_SYN | TH_ACK, 65535, ob, ol, NULL, 0));
	c.ts = true;
	expect_keep(&c, TH_ACK, c.iss + 1, c.irs + 1, NULL, 0, &ack);
	assert_int_equal(ack.hlen, 32);		/* NOP NOP TS only */
	assert_int_equal(ack.tsecr, 777);
	/* the window, scaled by the 6 we offered: the whole 2 MB */
	assert_int_equal(ack.win, (2u << 20) >> 6);
	tcp_seen_free(&ack);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.CurrEstab=1");
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(c.s->state, SS_CONNECTED);
	status_is(c.s, "Established");
	assert_int_equal(tpof(&c)->mss, 1460 - 12);
	assert_int_equal(tpof(&c)->snd_wscale, 7);
	assert_int_equal(tpof(&c)->rcv_wscale, 6);
	assert_true(tpof(&c)->tstamp_ok);
	assert_int_equal(tpof(&c)->snd_una, c.iss + 1);
	assert_int_equal(tpof(&c)->rcv_nxt, c.irs + 1);
	assert_int_equal(c.wakes, 0);
	net_run_wakeups(&e->net);
	assert_true(c.wakes >= 1);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLOUT);
	{
		struct sockaddr_in a;
		assert_int_equal(c.s->ops->getname(c.s, &a, true), 0);
		assert_int_equal(a.sin_addr.s_addr, PEER_IP);
		assert_int_equal(ntohs(a.sin_port), PPORT);
	}
	conn_free(&c);
}

/* The MSS the stack sends with: the peer's, at most ours (1460), less 12
 * with timestamps; 536 when the peer sends none (RFC 9293 §3.7.1). */
static void test_active_open_mss(void **state)
{
	struct env *e = *state;
	static const struct { int mss; bool ts; unsigned int want; } cases[] = {
		{ 1460, false, 1460 }, { 1460, true, 1448 }, { 1000, false, 1000 },
		{ 1000, true, 988 }, { 9000, false, 1460 }, { 9000, true, 1448 },
		{ 536, false, 536 }, { 0, false, 536 }, { 0, true, 524 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct open_opts o = PLAIN;
		struct conn c;

		o.mss = cases[i].mss;
		o.ts = cases[i].ts;
		conn_connect(e, &c, &o);
		if (tpof(&c)->mss != cases[i].want)
			fail_msg("peer MSS %d%s: mss %u, want %u", cases[i].mss,
				 cases[i].ts ? " with timestamps" : "", tpof(&c)->mss, cases[i].want);
		/* and a full segment is that long */
		assert_int_equal(tcp_sk(c.s->sk)->nodelay, false);
		fill_pattern(pat, 4000, (unsigned int)i);
		assert_int_equal(send_bytes(c.s, pat, 4000), 4000);
		expect(&c, TH_ACK, c.iss + 1, c.snd, pat, cases[i].want);
		conn_free(&c);
	}
}

/* An ACK in SYN_SENT that is not for our SYN gets a RST <SEQ=SEG.ACK>
 * and changes nothing (RFC 9293 §3.10.7.3). */
static void test_synsent_bad_ack(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t bad[] = { 1000, 0, (uint32_t)-1, 2 };	/* offsets from iss */

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.s = tcp_socket(e);
	c.pport = PPORT;
	assert_int_equal(do_bind(c.s, LPORT), 0);
	c.lport = LPORT;
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	{
		struct tcp_seen syn;
		pop_tcp(e->dev, PEER_MAC, &syn);
		c.iss = syn.seq;
		tcp_seen_free(&syn);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t a = c.iss + bad[i];

		tsnap_take(&t, &e->net, e->dev);
		memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, LPORT, 0x5000, a,
						   TH_SYN | TH_ACK, 65535, NULL, 0, NULL, 0));
		expect(&c, TH_RST, a, 0, NULL, 0);
		expect_none(&c);
		tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.OutRsts=1");
		assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
		assert_int_equal(c.s->state, SS_CONNECTING);
		assert_int_equal(tcp_sk(c.s->sk)->snd_una, c.iss);
	}
	/* A bare ACK with a bad number too. */
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, LPORT, 0x5000, c.iss + 77,
					   TH_ACK, 65535, NULL, 0, NULL, 0));
	expect(&c, TH_RST, c.iss + 77, 0, NULL, 0);
	/* A RST with a bad ACK: dropped, no answer. */
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, LPORT, 0x5000, c.iss + 77,
					   TH_RST | TH_ACK, 0, NULL, 0, NULL, 0));
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
	/* The right SYN-ACK still completes it. */
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, LPORT, 0x5000, c.iss + 1,
					   TH_SYN | TH_ACK, 65535, NULL, 0, NULL, 0));
	expect(&c, TH_ACK, c.iss + 1, 0x5001, NULL, 0);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	conn_free(&c);
}

static void test_synsent_rst(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.s = tcp_socket(e);
	c.pport = PPORT;
	sock_count_wakeups(c.s, &c.wakes);
	assert_int_equal(do_bind(c.s, LPORT), 0);
	c.lport = LPORT;
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	{
		struct tcp_seen syn;
		pop_tcp(e->dev, PEER_MAC, &syn);
		c.iss = syn.seq;
		tcp_seen_free(&syn);
	}
	/* A RST without ACK: not acceptable in SYN_SENT, dropped. */
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, LPORT, 0, 0, TH_RST, 0,
					   NULL, 0, NULL, 0));
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
	net_run_wakeups(&e->net);
	c.wakes = 0;

	/* RST|ACK acknowledging our SYN: refused. */
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, LPORT, 0, c.iss + 1,
					   TH_RST | TH_ACK, 0, NULL, 0, NULL, 0));
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.AttemptFails=1");
	assert_int_equal(c.s->sk->sk_err, ECONNREFUSED);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(c.s->state, SS_UNCONNECTED);
	status_is(c.s, "Closed");
	net_run_wakeups(&e->net);
	assert_true(c.wakes >= 1);
	assert_true(c.s->ops->poll(c.s) & SOCK_POLLERR);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -ECONNREFUSED);
	assert_int_equal(c.s->sk->sk_err, 0);	/* reported once */
	/* nothing of it is left to answer a late segment */
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, LPORT, 9, c.iss + 1,
					   TH_SYN | TH_ACK, 65535, NULL, 0, NULL, 0));
	expect(&c, TH_RST, c.iss + 1, 0, NULL, 0);
	conn_free(&c);
}

/* SYN retransmissions at 1, 2, 4 s (RFC 6298 §5.5), then ETIMEDOUT after
 * net.tcp_syn_retries of them. */
static void test_syn_retransmit(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint64_t t0, at;
	uint64_t when[] = { 1 * SEC, 3 * SEC, 7 * SEC };

	e->net.tcp_syn_retries = 3;
	memset(&c, 0, sizeof(c));
	c.e = e;
	c.s = tcp_socket(e);
	c.pport = PPORT;
	sock_count_wakeups(c.s, &c.wakes);
	assert_int_equal(do_bind(c.s, LPORT), 0);
	c.lport = LPORT;
	t0 = e->net.now;
	tsnap_take(&t, &e->net, e->dev);
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	{
		struct tcp_seen syn;
		pop_tcp(e->dev, PEER_MAC, &syn);
		c.iss = syn.seq;
		tcp_seen_free(&syn);
	}
	for (size_t i = 0; i < 3; i++) {
		struct tcp_seen syn;

		net_advance(&e->net, t0 + when[i] - 1);
		expect_none(&c);
		net_advance(&e->net, t0 + when[i]);
		pop_tcp(e->dev, PEER_MAC, &syn);
		expect_none(&c);
		assert_int_equal(syn.flags, TH_SYN);
		assert_int_equal(syn.seq, c.iss);	/* the same SYN */
		assert_int_equal(syn.ack, 0);
		assert_int_equal(syn.mss, 1460);
		assert_int_equal(syn.wscale, 6);
		assert_true(syn.ts);
		tcp_seen_free(&syn);
		assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
	}
	at = t0 + 15 * SEC;
	net_advance(&e->net, at - 1);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
	net_advance(&e->net, at);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(c.s->sk->sk_err, ETIMEDOUT);
	assert_int_equal(c.s->state, SS_UNCONNECTED);
	tsnap_expect_tcp(&t, &e->net, "tcp.ActiveOpens=1 tcp.OutSegs=4 tcp.RetransSegs=3 "
			 "tcp.Timeouts=3 tcp.AttemptFails=1");
	net_run_wakeups(&e->net);
	assert_true(c.wakes >= 1);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -ETIMEDOUT);
	/* nothing more, ever */
	net_advance(&e->net, at + 600 * SEC);
	expect_none(&c);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* passive open */

static void test_passive_open(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_socket(e), *a = NULL;
	unsigned int lw = 0;
	struct conn c;
	struct tsnap t;
	struct tcp_seen sa;
	uint8_t ob[40];
	size_t ol;

	sock_count_wakeups(l, &lw);
	assert_int_equal(do_bind(l, 80), 0);
	assert_int_equal(l->ops->listen(l, 16), 0);
	status_is(l, "Listen");
	memset(&c, 0, sizeof(c));
	c.e = e;
	c.lport = 80;
	c.pport = PPORT;

	/* A SYN with MSS 1400 only: the SYN-ACK has MSS and nothing else. */
	{
		struct open_opts o = { .mss = 1400, .wscale = -1 };
		ol = syn_opts(ob, &o, 0, 0);
	}
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, PPORT, OUR_IP, 80, 0x12345678, 0, TH_SYN,
					   8192, ob, ol, NULL, 0));
	pop_tcp(e->dev, PEER_MAC, &sa);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.PassiveOpens=1");
	assert_int_equal(sa.flags, TH_SYN | TH_ACK);
	assert_int_equal(sa.sport, 80);
	assert_int_equal(sa.dport, PPORT);
	assert_int_equal(sa.ack, 0x12345679);
	assert_int_equal(sa.mss, 1460);
	assert_int_equal(sa.wscale, -1);
	assert_false(sa.ts);
	assert_false(sa.sackok);
	assert_int_equal(sa.hlen, 24);
	assert_int_equal(sa.win, 65535);
	assert_int_equal(sa.dlen, 0);
	c.iss = sa.seq;
	tcp_seen_free(&sa);
	assert_int_equal(l->ops->accept(l, &a), -EAGAIN);

	/* The ACK: established, in the accept queue. */
	c.snd = 0x12345679;
	c.ack = c.iss + 1;
	c.win = 8192;
	tsnap_take(&t, &e->net, e->dev);
	peer_send(&c, 0, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.CurrEstab=1");
	net_run_wakeups(&e->net);
	assert_true(lw >= 1);
	assert_int_equal(l->ops->poll(l), SOCK_POLLIN);
	assert_int_equal(l->ops->accept(l, &a), 0);
	assert_non_null(a);
	track(a);
	assert_int_equal(a->state, SS_CONNECTED);
	status_is(a, "Established");
	assert_int_equal(tcp_sk(a->sk)->mss, 1400);
	assert_int_equal(tcp_sk(a->sk)->snd_wnd, 8192);
	assert_false(tcp_sk(a->sk)->tstamp_ok);
	assert_false(tcp_sk(a->sk)->wscale_ok);
	{
		struct sockaddr_in n;
		assert_int_equal(a->ops->getname(a, &n, true), 0);
		assert_int_equal(n.sin_addr.s_addr, PEER_IP);
		assert_int_equal(ntohs(n.sin_port), PPORT);
		assert_int_equal(a->ops->getname(a, &n, false), 0);
		assert_int_equal(n.sin_addr.s_addr, OUR_IP);
		assert_int_equal(ntohs(n.sin_port), 80);
	}
	assert_int_equal(l->ops->accept(l, &a), -EAGAIN);
	/* the accepted socket talks */
	c.s = a;
	assert_int_equal(send_bytes(a, "world", 5), 5);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, "world", 5);
	c.ack = c.iss + 6;
	peer_send(&c, TH_PSH, "hello", 5);
	read_expect(&c, "hello", 5);
	conn_free(&c);

	/* Each option comes back only when it was offered. */
	{
		static const struct {
			struct open_opts o;
			unsigned int hlen;
		} cases[] = {
			{ { .mss = 1460, .wscale = 7, .ts = true, .sackok = true }, 40 },
			{ { .mss = 1460, .wscale = 7 }, 28 },
			{ { .mss = 1460, .wscale = -1, .ts = true }, 36 },
			{ { .mss = 0, .wscale = -1, .sackok = true }, 24 },
			{ { .mss = 0, .wscale = 14, .ts = true, .sackok = true }, 40 },
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct open_opts *o = &cases[i].o;
			uint16_t port = (uint16_t)(PPORT + 1 + i);

			ol = syn_opts(ob, o, 4242, 0);
			memdev_inject(e->dev, f, tcp_build(f, PEER_IP, port, OUR_IP, 80, 0x1000, 0,
							   TH_SYN, 65535, ob, ol, NULL, 0));
			pop_tcp(e->dev, PEER_MAC, &sa);
			assert_int_equal(sa.flags, TH_SYN | TH_ACK);
			assert_int_equal(sa.dport, port);
			assert_int_equal(sa.ack, 0x1001);
			assert_int_equal(sa.mss, 1460);
			assert_int_equal(sa.wscale, o->wscale >= 0 ? 6 : -1);
			assert_int_equal(sa.ts, o->ts);
			if (o->ts)
				assert_int_equal(sa.tsecr, 4242);
			assert_false(sa.sackok);
			assert_false(sa.bad_opts);
			assert_int_equal(sa.hlen, cases[i].hlen);
			assert_int_equal(sa.win, 65535);
			tcp_seen_free(&sa);
		}
	}
	rel(l);
	drain(e->dev);
}

static void test_closed_port(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.lport = 81;
	c.pport = PPORT;

	/* SYN: RST|ACK <SEQ=0><ACK=SEG.SEQ+SEG.LEN> */
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, 0xabcdef00, 0, TH_SYN, NULL, 0);
	expect(&c, TH_RST | TH_ACK, 0, 0xabcdef01, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InNoSocket=1 tcp.OutSegs=1 tcp.OutRsts=1");
	/* with data, and near the wrap */
	inject(&c, 0xfffffffe, 0, TH_SYN, "abcde", 5);
	expect(&c, TH_RST | TH_ACK, 0, 0x4, NULL, 0);
	inject(&c, 0x100, 0, TH_SYN | TH_FIN, NULL, 0);
	expect(&c, TH_RST | TH_ACK, 0, 0x102, NULL, 0);
	/* ACK: RST <SEQ=SEG.ACK>, no ACK */
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, 0x100, 0x55667788, TH_ACK, NULL, 0);
	expect(&c, TH_RST, 0x55667788, 0, NULL, 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InNoSocket=1 tcp.OutSegs=1 tcp.OutRsts=1");
	inject(&c, 0x100, 0x9, TH_ACK | TH_PSH, "data", 4);
	expect(&c, TH_RST, 0x9, 0, NULL, 0);
	inject(&c, 0x100, 0x9, TH_ACK | TH_FIN, NULL, 0);
	expect(&c, TH_RST, 0x9, 0, NULL, 0);
	/* A RST is never answered. */
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, 0x100, 0x9, TH_RST | TH_ACK, NULL, 0);
	inject(&c, 0x100, 0, TH_RST, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=2 tcp.InNoSocket=2");
	/* A listener answers an ACK (nothing half-open) with a RST too. */
	{
		struct socket *l = tcp_socket(e);
		assert_int_equal(do_bind(l, 81), 0);
		assert_int_equal(l->ops->listen(l, 4), 0);
		inject(&c, 0x100, 0x31337, TH_ACK, NULL, 0);
		expect(&c, TH_RST, 0x31337, 0, NULL, 0);
		/* and drops what has neither SYN nor ACK */
		inject(&c, 0x100, 0, TH_PSH, "xx", 2);
		inject(&c, 0x100, 0, TH_FIN, NULL, 0);
		inject(&c, 0x100, 0, TH_RST, NULL, 0);
		expect_none(&c);
		rel(l);
	}
}

/* A segment whose checksum is wrong is dropped before anything else looks
 * at it: no RST, no SYN-ACK, no ACK. */
static void test_bad_checksum(void **state)
{
	struct env *e = *state;
	struct conn c, d;
	struct tsnap t;
	struct socket *l = tcp_socket(e);
	size_t n;

	assert_int_equal(do_bind(l, 80), 0);
	assert_int_equal(l->ops->listen(l, 4), 0);
	memset(&c, 0, sizeof(c));
	c.e = e;
	c.lport = 80;
	c.pport = PPORT;
	/* to the listener */
	n = tcp_build(f, PEER_IP, PPORT, OUR_IP, 80, 1000, 0, TH_SYN, 65535, NULL, 0, NULL, 0);
	f[ETH_HLEN + 20 + 16] ^= 0x01;	/* the checksum field itself */
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InCsumErrors=1 tcp.InErrs=1");
	assert_null(l->sk->accept_head);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 0);
	/* to a closed port: no RST either */
	n = tcp_build(f, PEER_IP, PPORT, OUR_IP, 82, 1000, 0, TH_SYN, 65535, NULL, 0, NULL, 0);
	f[ETH_HLEN + 20 + 4] ^= 0x80;	/* the sequence number */
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InCsumErrors=1 tcp.InErrs=1");
	/* the pseudo-header counts: a checksum made for another source */
	{
		uint8_t seg[64];
		size_t sl = tcp_seg_build(seg, OTHER_IP, PPORT, OUR_IP, 82, 1, 0, TH_SYN, 100,
					  NULL, 0, NULL, 0);
		n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_TCP, seg, sl);
	}
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InCsumErrors=1 tcp.InErrs=1");

	/* on a connection: data with a bad checksum is neither taken nor ACKed */
	conn_connect(e, &d, &PLAIN);
	n = tcp_build(f, PEER_IP, PPORT, OUR_IP, d.lport, d.snd, d.ack, TH_ACK | TH_PSH, 65535,
		      NULL, 0, "payload", 7);
	f[n - 1] ^= 0x20;
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	net_advance(&e->net, e->net.now + SEC);
	expect_none(&d);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InCsumErrors=1 tcp.InErrs=1");
	assert_int_equal(sock_recv_stream(d.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(tpof(&d)->rcv_nxt, d.snd);
	/* a RST with a bad checksum resets nothing */
	n = tcp_build(f, PEER_IP, PPORT, OUR_IP, d.lport, d.snd, 0, TH_RST, 0, NULL, 0, NULL, 0);
	f[ETH_HLEN + 20 + 17] ^= 0x04;
	memdev_inject(e->dev, f, n);
	assert_int_equal(d.s->sk->sk_state, TCP_ESTABLISHED);
	conn_free(&d);
	rel(l);
}

/* A full accept queue (SYN_RECV children count) drops new SYNs. */
static void test_backlog_full(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_socket(e), *a = NULL;
	struct tsnap t;
	struct tcp_seen sa;
	uint32_t iss_a;

	assert_int_equal(do_bind(l, 80), 0);
	assert_int_equal(l->ops->listen(l, 1), 0);
	/* A: SYN-ACK */
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 1001, OUR_IP, 80, 500, 0, TH_SYN, 65535,
					   NULL, 0, NULL, 0));
	pop_tcp(e->dev, PEER_MAC, &sa);
	assert_int_equal(sa.flags, TH_SYN | TH_ACK);
	iss_a = sa.seq;
	tcp_seen_free(&sa);
	/* B while A is half open: dropped */
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 1002, OUR_IP, 80, 700, 0, TH_SYN, 65535,
					   NULL, 0, NULL, 0));
	assert_int_equal(memdev_pending(e->dev), 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.ListenOverflows=1");
	/* A's SYN again (our SYN-ACK lost): answered, not an overflow */
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 1001, OUR_IP, 80, 500, 0, TH_SYN, 65535,
					   NULL, 0, NULL, 0));
	pop_tcp(e->dev, PEER_MAC, &sa);
	assert_int_equal(sa.flags, TH_SYN | TH_ACK);
	assert_int_equal(sa.seq, iss_a);
	assert_int_equal(sa.ack, 501);
	tcp_seen_free(&sa);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1");
	/* A completes: in the queue, still full */
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 1001, OUR_IP, 80, 501, iss_a + 1, TH_ACK,
					   65535, NULL, 0, NULL, 0));
	assert_int_equal(memdev_pending(e->dev), 0);
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 1003, OUR_IP, 80, 900, 0, TH_SYN, 65535,
					   NULL, 0, NULL, 0));
	assert_int_equal(memdev_pending(e->dev), 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.ListenOverflows=1");
	/* accepted: room again */
	assert_int_equal(l->ops->accept(l, &a), 0);
	track(a);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 1004, OUR_IP, 80, 1100, 0, TH_SYN, 65535,
					   NULL, 0, NULL, 0));
	pop_tcp(e->dev, PEER_MAC, &sa);
	assert_int_equal(sa.flags, TH_SYN | TH_ACK);
	assert_int_equal(sa.dport, 1004);
	tcp_seen_free(&sa);
	rel(a);
	rel(l);
	drain(e->dev);
}

/* ------------------------------------------------------------------------- */
/* established: receiving */

/* In-order data is readable; the ACK is delayed 40 ms after one full
 * segment and sent at once after the second (RFC 1122 §4.2.3.2). */
static void test_delayed_ack(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint64_t t1;

	conn_connect(e, &c, &PLAIN);
	net_run_wakeups(&e->net);
	c.wakes = 0;
	fill_pattern(ppat, 8000, 1);
	tsnap_take(&t, &e->net, e->dev);
	t1 = e->net.now;
	peer_send(&c, 0, ppat, 1460);
	expect_none(&c);
	net_run_wakeups(&e->net);
	assert_true(c.wakes >= 1);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLIN | SOCK_POLLOUT);
	net_advance(&e->net, t1 + 40 * MS - 1);
	expect_none(&c);
	net_advance(&e->net, t1 + 40 * MS);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.DelayedAcks=1");

	/* two full segments: the second is ACKed at once */
	peer_send(&c, 0, ppat + 1460, 1460);
	expect_none(&c);
	peer_send(&c, TH_PSH, ppat + 2920, 1460);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	expect_none(&c);
	/* and the delayed-ACK timer is off: nothing at +40 ms */
	net_advance(&e->net, e->net.now + 100 * MS);
	expect_none(&c);
	read_expect(&c, ppat, 4380);

	/* small segments: one ACK, 40 ms after the first */
	t1 = e->net.now;
	peer_send(&c, 0, ppat + 4380, 100);
	net_advance(&e->net, t1 + 10 * MS);
	peer_send(&c, 0, ppat + 4480, 100);
	expect_none(&c);
	net_advance(&e->net, t1 + 40 * MS - 1);
	expect_none(&c);
	net_advance(&e->net, t1 + 40 * MS);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	read_expect(&c, ppat + 4380, 200);
	conn_free(&c);
}

/* With timestamps a full-sized segment carries 1460 - 12 bytes: the
 * second of them must still be ACKed at once (RFC 5681 §4.2: "at least
 * every second full-sized segment"). */
static void test_delayed_ack_timestamps(void **state)
{
	struct env *e = *state;
	struct conn c;

	conn_connect(e, &c, &WITH_TS);
	fill_pattern(ppat, 4000, 2);
	peer_send(&c, 0, ppat, 1448);
	expect_none(&c);
	peer_send(&c, TH_PSH, ppat + 1448, 1448);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	read_expect(&c, ppat, 2896);
	conn_free(&c);
}

/* A segment past a hole: an immediate duplicate ACK; the hole filled: an
 * immediate ACK of everything, and the bytes in order (RFC 5681 §4.2). */
static void test_out_of_order(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s0;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(ppat, 4000, 3);
	s0 = c.snd;
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, s0 + 1000, c.ack, TH_ACK, ppat + 1000, 1000);
	expect(&c, TH_ACK, c.iss + 1, s0, NULL, 0);
	expect_none(&c);
	inject(&c, s0 + 2000, c.ack, TH_ACK, ppat + 2000, 1000);
	expect(&c, TH_ACK, c.iss + 1, s0, NULL, 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=2 tcp.OutSegs=2 tcp.OfoQueued=2");
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLOUT);
	/* the same out-of-order segment again: another duplicate ACK */
	inject(&c, s0 + 2000, c.ack, TH_ACK, ppat + 2000, 1000);
	expect(&c, TH_ACK, c.iss + 1, s0, NULL, 0);
	/* the hole */
	inject(&c, s0, c.ack, TH_ACK, ppat, 1000);
	expect(&c, TH_ACK, c.iss + 1, s0 + 3000, NULL, 0);
	expect_none(&c);
	c.snd = s0 + 3000;
	read_expect(&c, ppat, 3000);
	assert_int_equal(tpof(&c)->ofo.qlen, 0);
	/* an overlapping retransmission: only the new part is taken */
	inject(&c, s0 + 2500, c.ack, TH_ACK, ppat + 2500, 1000);
	c.snd = s0 + 3500;
	net_advance(&e->net, e->net.now + 40 * MS);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	read_expect(&c, ppat + 3000, 500);
	/* a whole old duplicate: ACKed at once, nothing taken */
	inject(&c, s0, c.ack, TH_ACK, ppat, 1000);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	conn_free(&c);
}

static void test_out_of_window(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t wnd;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(ppat, 1000, 4);
	wnd = tpof(&c)->rcv_adv - tpof(&c)->rcv_nxt;
	assert_int_equal(wnd, 2u << 20);	/* the whole buffer, scaled */
	/* far beyond the window */
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.snd + 0x40000000, c.ack, TH_ACK | TH_PSH, ppat, 100);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.OutOfWindow=1");
	/* just past the right edge */
	inject(&c, c.snd + wnd, c.ack, TH_ACK | TH_PSH, ppat, 100);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	/* entirely before rcv_nxt */
	inject(&c, c.snd - 200, c.ack, TH_ACK | TH_PSH, ppat, 100);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=3 tcp.OutSegs=3 tcp.OutOfWindow=3");
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(tpof(&c)->rcv_nxt, c.snd);
	assert_int_equal(tpof(&c)->ofo.qlen, 0);
	/* the last byte of the window is in it */
	inject(&c, c.snd + wnd - 1, c.ack, TH_ACK, ppat, 1);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);	/* out of order: dup ACK */
	assert_int_equal(tpof(&c)->ofo.qlen, 1);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	conn_free(&c);
}

/* RFC 5961 §3.2: a RST resets only at exactly rcv_nxt; elsewhere in the
 * window it draws a challenge ACK; outside it, nothing. */
static void test_rst_exact(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_connect(e, &c, &PLAIN);
	net_run_wakeups(&e->net);
	c.wakes = 0;
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.snd, 0, TH_RST, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.EstabResets=1 tcp.CurrEstab=-1");
	assert_int_equal(c.s->sk->sk_err, ECONNRESET);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	status_is(c.s, "Closed");
	net_run_wakeups(&e->net);
	assert_true(c.wakes >= 1);
	assert_true(c.s->ops->poll(c.s) & SOCK_POLLERR);
	assert_true(c.s->ops->poll(c.s) & SOCK_POLLHUP);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -ECONNRESET);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), 0);
	assert_int_equal(send_bytes(c.s, "x", 1), -EPIPE);
	assert_true(c.s->ops->finished(c.s));
	/* gone from the table: the next segment is answered as for no socket */
	inject(&c, c.snd, c.ack, TH_ACK, NULL, 0);
	expect(&c, TH_RST, c.ack, 0, NULL, 0);
	conn_free(&c);

	/* RST|ACK at rcv_nxt, with timestamps: the same */
	conn_connect(e, &c, &WITH_TS);
	inject(&c, c.snd, c.ack, TH_RST | TH_ACK, NULL, 0);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_err, ECONNRESET);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	conn_free(&c);
}

static void test_rst_in_window(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t wnd;

	conn_connect(e, &c, &PLAIN);
	wnd = tpof(&c)->rcv_adv - tpof(&c)->rcv_nxt;
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.snd + 100, 0, TH_RST, NULL, 0);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.ChallengeAcks=1");
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(c.s->sk->sk_err, 0);
	/* the last sequence number of the window */
	inject(&c, c.snd + wnd - 1, c.ack, TH_RST | TH_ACK, NULL, 0);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	/* outside the window: ignored, no answer */
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.snd + wnd, 0, TH_RST, NULL, 0);
	inject(&c, c.snd + 0x40000000, 0, TH_RST, NULL, 0);
	inject(&c, c.snd - 1, 0, TH_RST, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=3 tcp.OutOfWindow=3");
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	/* the connection still works both ways */
	peer_send(&c, TH_PSH, "ok", 2);
	read_expect(&c, "ok", 2);
	assert_int_equal(send_bytes(c.s, "fine", 4), 4);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, "fine", 4);
	/* and the exact one still resets */
	inject(&c, c.snd, 0, TH_RST, NULL, 0);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	conn_free(&c);
}

/* RFC 5961 §4.2: a SYN on a synchronized connection draws a challenge ACK
 * wherever it falls; the connection stays. */
static void test_syn_in_established(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_connect(e, &c, &PLAIN);
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.snd, 0, TH_SYN, NULL, 0);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.ChallengeAcks=1");
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(tpof(&c)->rcv_nxt, c.snd);
	/* a SYN-ACK, and a SYN with data, in the window */
	inject(&c, c.snd + 10, c.ack, TH_SYN | TH_ACK, NULL, 0);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	inject(&c, c.snd, c.ack, TH_SYN | TH_ACK, "junk", 4);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	/* the peer's old SYN again (seq = its ISN, left of the window) */
	inject(&c, c.irs, 0, TH_SYN, NULL, 0);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(c.s->sk->sk_err, 0);
	status_is(c.s, "Established");
	conn_free(&c);
}

/* An ACK of data never sent: ACK it back and drop the segment (RFC 9293
 * §3.10.7.4, fifth). */
static void test_ack_of_unsent(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_connect(e, &c, &PLAIN);
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.snd, c.iss + 1 + 1000, TH_ACK | TH_PSH, "data", 4);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1");
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(tpof(&c)->rcv_nxt, c.snd);
	assert_int_equal(tpof(&c)->snd_una, c.iss + 1);
	/* one past what was sent, with data in flight */
	assert_int_equal(send_bytes(c.s, "abc", 3), 3);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, "abc", 3);
	inject(&c, c.snd, c.iss + 5, TH_ACK, NULL, 0);
	expect(&c, TH_ACK, c.iss + 4, c.snd, NULL, 0);
	assert_int_equal(tpof(&c)->snd_una, c.iss + 1);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	/* the right ACK is taken */
	peer_ack(&c, c.iss + 4);
	expect_none(&c);
	assert_int_equal(tpof(&c)->snd_una, c.iss + 4);
	conn_free(&c);
}

/* PAWS (RFC 7323 §5): a segment with a TSval older than ts_recent is an
 * old duplicate: dropped, with an ACK. */
static void test_paws(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_connect(e, &c, &WITH_TS);
	assert_int_equal(tpof(&c)->ts_recent, 1000);
	fill_pattern(ppat, 100, 5);
	tsnap_take(&t, &e->net, e->dev);
	inject_ts(&c, c.snd, c.ack, TH_ACK | TH_PSH, c.win, 999, ppat, 100);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);	/* TSecr still 1000 */
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.PawsDrops=1");
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(tpof(&c)->ts_recent, 1000);
	/* much older, across the sign bit */
	inject_ts(&c, c.snd, c.ack, TH_ACK | TH_PSH, c.win, 1000 - 0x7fffffff, ppat, 100);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	assert_int_equal(e->net.tcpstats.PawsDrops - t.tcp.PawsDrops, 2);
	/* the same TSval is not older: taken */
	peer_send(&c, TH_PSH, ppat, 100);
	net_advance(&e->net, e->net.now + 40 * MS);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	read_expect(&c, ppat, 100);
	/* a newer one moves ts_recent, and the echo with it */
	c.tsval = 5000;
	peer_send(&c, TH_PSH, ppat, 10);
	net_advance(&e->net, e->net.now + 40 * MS);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);	/* TSecr 5000 */
	assert_int_equal(tpof(&c)->ts_recent, 5000);
	read_expect(&c, ppat, 10);
	/* newer across the 2^32 wrap of the peer's clock (in steps of less
	 * than 2^31) */
	for (uint32_t v = 0x60000000u; v; v = v == 0xfffffff0u ? 0 : v == 0xc0000000u ? 0xfffffff0u : v + 0x60000000u) {
		c.tsval = v;
		peer_send(&c, TH_PSH, ppat, 10);
		net_advance(&e->net, e->net.now + 40 * MS);
		expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
		assert_int_equal(tpof(&c)->ts_recent, v);
		read_expect(&c, ppat, 10);
	}
	c.tsval = 0x10;
	peer_send(&c, TH_PSH, ppat, 10);
	net_advance(&e->net, e->net.now + 40 * MS);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	read_expect(&c, ppat, 10);
	assert_int_equal(e->net.tcpstats.PawsDrops - t.tcp.PawsDrops, 2);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* established: sending */

static void test_send_segments(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s;

	conn_connect(e, &c, &PLAIN);
	assert_int_equal(tpof(&c)->mss, 1460);
	fill_pattern(pat, 60000, 6);
	/* 2920 bytes: two full segments, PSH on the last */
	tsnap_take(&t, &e->net, e->dev);
	assert_int_equal(send_bytes(c.s, pat, 2920), 2920);
	expect(&c, TH_ACK, c.iss + 1, c.snd, pat, 1460);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1461, c.snd, pat + 1460, 1460);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.OutSegs=2");
	assert_int_equal(snd_nxt(&c), c.iss + 2921);
	peer_ack(&c, c.iss + 2921);
	expect_none(&c);
	assert_int_equal(tpof(&c)->sndq.len, 0);

	conn_free(&c);

	/* 20000 bytes with NODELAY on a new connection: the initial window
	 * is 10 segments (RFC 6928: min(10 MSS, max(2 MSS, 14600))). */
	conn_connect(e, &c, &PLAIN);
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_NODELAY, 1), 0);
	s = c.iss + 1;
	assert_int_equal(send_bytes(c.s, pat, 20000), 20000);
	for (uint32_t i = 0; i < 10; i++)
		expect(&c, TH_ACK, s + i * 1460, c.snd, pat + i * 1460, 1460);
	expect_none(&c);
	assert_int_equal(tcp_flight(tpof(&c)), 14600);
	conn_free(&c);

	/* With timestamps: 1448 bytes a segment. */
	conn_connect(e, &c, &WITH_TS);
	assert_int_equal(send_bytes(c.s, pat, 2896), 2896);
	expect(&c, TH_ACK, c.iss + 1, c.snd, pat, 1448);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1449, c.snd, pat + 1448, 1448);
	expect_none(&c);
	conn_free(&c);

	/* The peer's window bounds what goes: of 3000 bytes offered, two
	 * segments; the 80 left wait (sender silly window avoidance, RFC
	 * 9293 §3.8.6.2.1: less than half the largest window). */
	{
		struct open_opts o = PLAIN;
		o.win = 3000;
		conn_connect(e, &c, &o);
	}
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_NODELAY, 1), 0);
	assert_int_equal(send_bytes(c.s, pat, 10000), 10000);
	expect(&c, TH_ACK, c.iss + 1, c.snd, pat, 1460);
	expect(&c, TH_ACK, c.iss + 1461, c.snd, pat + 1460, 1460);
	expect_none(&c);
	peer_ack(&c, c.iss + 2921);	/* the window slides: two more */
	expect(&c, TH_ACK, c.iss + 2921, c.snd, pat + 2920, 1460);
	expect(&c, TH_ACK, c.iss + 4381, c.snd, pat + 4380, 1460);
	expect_none(&c);
	conn_free(&c);
}

/* Nagle (RFC 896, RFC 1122 §4.2.3.4): while data is unacknowledged a small
 * segment waits; with NODELAY it goes at once. */
static void test_nagle(void **state)
{
	struct env *e = *state;
	struct conn c;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(pat, 1000, 7);
	/* nothing in flight: the small write goes */
	assert_int_equal(send_bytes(c.s, pat, 100), 100);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, pat, 100);
	/* the next two wait, together */
	assert_int_equal(send_bytes(c.s, pat + 100, 100), 100);
	assert_int_equal(send_bytes(c.s, pat + 200, 50), 50);
	expect_none(&c);
	net_advance(&e->net, e->net.now + 100 * MS);	/* less than the RTO */
	expect_none(&c);
	/* the ACK lets them go, as one segment */
	peer_ack(&c, c.iss + 101);
	expect(&c, TH_ACK | TH_PSH, c.iss + 101, c.snd, pat + 100, 150);
	expect_none(&c);
	/* a small write waiting, then NODELAY: it goes */
	assert_int_equal(send_bytes(c.s, pat + 250, 10), 10);
	expect_none(&c);
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_NODELAY, 1), 0);
	expect(&c, TH_ACK | TH_PSH, c.iss + 251, c.snd, pat + 250, 10);
	/* with NODELAY small writes go one by one, data in flight or not */
	assert_int_equal(send_bytes(c.s, pat + 260, 100), 100);
	expect(&c, TH_ACK | TH_PSH, c.iss + 261, c.snd, pat + 260, 100);
	assert_int_equal(send_bytes(c.s, pat + 360, 100), 100);
	expect(&c, TH_ACK | TH_PSH, c.iss + 361, c.snd, pat + 360, 100);
	expect_none(&c);
	assert_int_equal(tcp_flight(tpof(&c)), 360);
	/* NODELAY off again: waits */
	peer_ack(&c, c.iss + 461);
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_NODELAY, 0), 0);
	assert_int_equal(send_bytes(c.s, pat + 460, 1), 1);
	expect(&c, TH_ACK | TH_PSH, c.iss + 461, c.snd, pat + 460, 1);	/* nothing in flight */
	assert_int_equal(send_bytes(c.s, pat + 461, 1), 1);
	expect_none(&c);
	conn_free(&c);
}

/* RFC 6298: the first RTO is 1 s; it doubles on each timeout; after an RTT
 * sample it is SRTT + 4 RTTVAR, at least 200 ms. */
static void test_rto_initial_and_backoff(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint64_t t1;
	uint64_t at[] = { 200 * MS, 600 * MS, 1400 * MS, 3000 * MS };

	/* A passive open takes its first RTT sample from the handshake (the
	 * SYN-ACK's round trip, 0 here): the RTO is the 200 ms floor.  The
	 * 1 s initial RTO before any sample shows in the SYN tests. */
	conn_accept(e, &c, &WITH_TS);
	assert_int_equal(tpof(&c)->rto, 200000);
	fill_pattern(pat, 1000, 8);
	tsnap_take(&t, &e->net, e->dev);
	t1 = e->net.now;
	assert_int_equal(send_bytes(c.s, pat, 100), 100);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, pat, 100);
	for (size_t i = 0; i < 4; i++) {
		net_advance(&e->net, t1 + at[i] - 1);
		expect_none(&c);
		net_advance(&e->net, t1 + at[i]);
		expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, pat, 100);
		expect_none(&c);
	}
	tsnap_expect_tcp(&t, &e->net, "tcp.OutSegs=5 tcp.RetransSegs=4 tcp.Timeouts=4");
	assert_int_equal(tpof(&c)->backoff, 4);
	assert_int_equal(tpof(&c)->cwnd, tpof(&c)->mss);	/* RFC 5681 §3.1: one segment */
	assert_int_equal(tpof(&c)->ssthresh, 2u * tpof(&c)->mss);
	/* The ACK (echoing the last retransmission's TSval) ends it and
	 * gives a sample: RTO 200 ms now. */
	peer_ack(&c, c.iss + 101);
	expect_none(&c);
	assert_int_equal(tpof(&c)->backoff, 0);
	assert_int_equal(tpof(&c)->rto, 200000);
	net_advance(&e->net, e->net.now + 60 * SEC);
	expect_none(&c);
	t1 = e->net.now;
	assert_int_equal(send_bytes(c.s, pat + 100, 100), 100);
	expect(&c, TH_ACK | TH_PSH, c.iss + 101, c.snd, pat + 100, 100);
	{
		uint64_t at2[] = { 200 * MS, 600 * MS, 1400 * MS, 3000 * MS };
		for (size_t i = 0; i < 4; i++) {
			net_advance(&e->net, t1 + at2[i] - 1);
			expect_none(&c);
			net_advance(&e->net, t1 + at2[i]);
			expect(&c, TH_ACK | TH_PSH, c.iss + 101, c.snd, pat + 100, 100);
		}
	}
	conn_free(&c);
}

/* An RTT sample from the handshake (no timestamps): 50 ms gives SRTT 50,
 * RTTVAR 25, RTO 150 ms -> 200 ms, the floor. */
static void test_rto_after_sample(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct open_opts o = PLAIN;
	uint64_t t1;

	o.rtt = 50 * MS;
	conn_connect(e, &c, &o);
	assert_int_equal(tpof(&c)->srtt, 50000);
	assert_int_equal(tpof(&c)->rttvar, 25000);
	assert_int_equal(tpof(&c)->rto, 200000);
	fill_pattern(pat, 1000, 9);
	t1 = e->net.now;
	assert_int_equal(send_bytes(c.s, pat, 500), 500);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, pat, 500);
	net_advance(&e->net, t1 + 200 * MS - 1);
	expect_none(&c);
	net_advance(&e->net, t1 + 200 * MS);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, pat, 500);
	net_advance(&e->net, t1 + 600 * MS - 1);
	expect_none(&c);
	net_advance(&e->net, t1 + 600 * MS);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, pat, 500);
	conn_free(&c);

	/* A long RTT (less than the SYN's 1 s): 900 ms gives RTO 900 + 4 x
	 * 450 = 2700 ms. */
	o.rtt = 900 * MS;
	conn_connect(e, &c, &o);
	assert_int_equal(tpof(&c)->rto, 2700000);
	t1 = e->net.now;
	assert_int_equal(send_bytes(c.s, pat, 10), 10);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, pat, 10);
	net_advance(&e->net, t1 + 2700 * MS - 1);
	expect_none(&c);
	net_advance(&e->net, t1 + 2700 * MS);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, pat, 10);
	conn_free(&c);
}

/* A passive open without timestamps times its SYN-ACK: an ACK 50 ms
 * after it gives SRTT 50 ms, RTTVAR 25 ms, RTO 200 ms. */
static void test_rto_passive_sample(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct open_opts o = PLAIN;
	uint64_t t1;

	o.rtt = 50 * MS;
	conn_accept(e, &c, &o);
	if (tpof(&c)->srtt != 50000 || tpof(&c)->rto != 200000)
		fail_msg("after a 50 ms handshake: srtt %u us rttvar %u us rto %u us; want 50000, "
			 "25000, 200000", tpof(&c)->srtt, tpof(&c)->rttvar, tpof(&c)->rto);
	t1 = e->net.now;
	assert_int_equal(send_bytes(c.s, "x", 1), 1);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, "x", 1);
	net_advance(&e->net, t1 + 200 * MS - 1);
	expect_none(&c);
	net_advance(&e->net, t1 + 200 * MS);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, "x", 1);
	conn_free(&c);
}

/* RFC 6298 §5.7: when the SYN timed out, the RTO for data starts at 3 s. */
static void test_rto_after_syn_timeout(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tcp_seen syn;
	uint64_t t1;

	memset(&c, 0, sizeof(c));
	c.e = e;
	c.s = tcp_socket(e);
	c.pport = PPORT;
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	pop_tcp(e->dev, PEER_MAC, &syn);
	c.lport = syn.sport;
	c.iss = syn.seq;
	tcp_seen_free(&syn);
	net_advance(&e->net, e->net.now + SEC);
	pop_tcp(e->dev, PEER_MAC, &syn);	/* the first was lost */
	assert_int_equal(syn.seq, c.iss);
	tcp_seen_free(&syn);
	net_advance(&e->net, e->net.now + 30 * MS);
	c.irs = 0x777;
	c.snd = c.irs + 1;
	c.ack = c.iss + 1;
	c.win = 65535;
	inject(&c, c.irs, c.iss + 1, TH_SYN | TH_ACK, NULL, 0);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	t1 = e->net.now;
	assert_int_equal(send_bytes(c.s, "x", 1), 1);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, "x", 1);
	net_advance(&e->net, t1 + 3 * SEC - 1);
	expect_none(&c);
	net_advance(&e->net, t1 + 3 * SEC);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, "x", 1);
	conn_free(&c);
}

/* Three duplicate ACKs: the oldest segment again, before any timer
 * (RFC 5681 §3.2): ssthresh = max(FlightSize / 2, 2 SMSS), cwnd =
 * ssthresh + 3 SMSS. */
static void test_fast_retransmit(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(pat, 8000, 10);
	s = c.iss + 1;
	assert_int_equal(send_bytes(c.s, pat, 7300), 7300);
	for (int i = 0; i < 5; i++)
		expect(&c, i == 4 ? TH_ACK | TH_PSH : TH_ACK, s + (uint32_t)i * 1460, c.snd,
		       pat + i * 1460, 1460);
	expect_none(&c);
	/* the first segment is lost; the other four bring duplicate ACKs */
	tsnap_take(&t, &e->net, e->dev);
	peer_ack(&c, s);
	peer_ack(&c, s);
	expect_none(&c);	/* nothing new to send: limited transmit has nothing */
	assert_int_equal(tpof(&c)->dupacks, 2);
	peer_ack(&c, s);
	expect_rexmit(&c, s, c.snd, pat, 1460);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=3 tcp.OutSegs=1 tcp.DupAcks=3 tcp.FastRetrans=1 "
			 "tcp.RetransSegs=1");
	assert_int_equal(tpof(&c)->ssthresh, 3650);	/* 7300 / 2 */
	assert_int_equal(tpof(&c)->cwnd, 3650 + 3 * 1460);
	assert_true(tpof(&c)->in_recovery);
	/* a fourth duplicate: cwnd grows by one segment, nothing resent */
	peer_ack(&c, s);
	expect_none(&c);
	assert_int_equal(tpof(&c)->cwnd, 3650 + 4 * 1460);
	/* a partial ACK (the first two segments): the next hole at once */
	peer_ack(&c, s + 2920);
	expect_rexmit(&c, s + 2920, c.snd, pat + 2920, 1460);
	expect_none(&c);
	assert_true(tpof(&c)->in_recovery);
	/* everything: recovery is over */
	peer_ack(&c, s + 7300);
	expect_none(&c);
	assert_false(tpof(&c)->in_recovery);
	assert_int_equal(tpof(&c)->ssthresh, 3650);
	conn_free(&c);

	/* Small flight: ssthresh is at least 2 SMSS. */
	conn_connect(e, &c, &PLAIN);
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_NODELAY, 1), 0);
	s = c.iss + 1;
	assert_int_equal(send_bytes(c.s, pat, 4 * 1460 + 100), 4 * 1460 + 100);
	drain(e->dev);
	peer_ack(&c, s);
	peer_ack(&c, s);
	peer_ack(&c, s);
	expect_rexmit(&c, s, c.snd, pat, 1460);
	assert_int_equal(tpof(&c)->ssthresh, (4 * 1460 + 100) / 2 > 2920 ? (4 * 1460 + 100) / 2 : 2920);
	conn_free(&c);
}

/* RFC 6582 §3.2 step 3: a full ACK sets cwnd to min(ssthresh,
 * max(FlightSize, SMSS) + SMSS) (or to ssthresh). */
static void test_recovery_exit_cwnd(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint32_t s, cw;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(pat, 8000, 11);
	s = c.iss + 1;
	assert_int_equal(send_bytes(c.s, pat, 7300), 7300);
	drain(e->dev);
	peer_ack(&c, s);
	peer_ack(&c, s);
	peer_ack(&c, s);
	expect_rexmit(&c, s, c.snd, pat, 1460);
	peer_ack(&c, s + 7300);	/* FlightSize after it: 0 */
	cw = tpof(&c)->cwnd;
	if (cw != 2 * 1460 && cw != 3650)
		fail_msg("cwnd after a full ACK with nothing in flight: %u, want min(ssthresh 3650, "
			 "max(0, 1460) + 1460) = 2920, or ssthresh 3650", cw);
	conn_free(&c);
}

/* A zero window: no data, probes at snd_una - 1 (Linux's form) at RTO,
 * then doubling intervals; the window opens: the data goes. */
static void test_zero_window(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint64_t t1, at = 0, gap;

	conn_connect(e, &c, &PLAIN);
	assert_int_equal(tpof(&c)->rto, 200000);
	fill_pattern(pat, 2000, 12);
	c.win = 0;
	peer_ack(&c, c.iss + 1);
	expect_none(&c);
	assert_int_equal(tpof(&c)->snd_wnd, 0);
	tsnap_take(&t, &e->net, e->dev);
	t1 = e->net.now;
	assert_int_equal(send_bytes(c.s, pat, 1000), 1000);
	expect_none(&c);
	gap = 200 * MS;
	for (int i = 0; i < 5; i++) {
		at += gap;
		net_advance(&e->net, t1 + at - 1);
		expect_none(&c);
		net_advance(&e->net, t1 + at);
		expect(&c, TH_ACK, c.iss, c.snd, NULL, 0);	/* seq snd_una - 1, no data */
		expect_none(&c);
		peer_ack(&c, c.iss + 1);	/* still shut */
		expect_none(&c);
		gap *= 2;
	}
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=5 tcp.OutSegs=5 tcp.ZeroWindowProbes=5");
	assert_int_equal(tpof(&c)->snd_nxt, c.iss + 1);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	/* the window opens */
	c.win = 65535;
	peer_ack(&c, c.iss + 1);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, pat, 1000);
	expect_none(&c);
	peer_ack(&c, c.iss + 1001);
	/* no probe any more */
	net_advance(&e->net, e->net.now + 30 * SEC);
	expect_none(&c);
	assert_int_equal(e->net.tcpstats.ZeroWindowProbes - t.tcp.ZeroWindowProbes, 5);

	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* closing */

static void test_close_active(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint64_t t1;

	e->net.tcp_msl = 1 * SEC;
	conn_connect(e, &c, &PLAIN);
	tsnap_take(&t, &e->net, e->dev);
	assert_int_equal(c.s->ops->close(c.s, false), 0);
	expect(&c, TH_ACK | TH_FIN, c.iss + 1, c.snd, NULL, 0);
	expect_none(&c);
	status_is(c.s, "Finwait1");
	assert_int_equal(send_bytes(c.s, "x", 1), -EPIPE);
	/* the FIN ACKed */
	peer_ack(&c, c.iss + 2);
	expect_none(&c);
	status_is(c.s, "Finwait2");
	/* the peer may still send */
	peer_send(&c, TH_PSH, "late", 4);
	read_expect(&c, "late", 4);
	net_advance(&e->net, e->net.now + 40 * MS);
	expect(&c, TH_ACK, c.iss + 2, c.snd, NULL, 0);
	/* its FIN: ACKed at once, TIME_WAIT for 2 MSL */
	peer_send(&c, TH_FIN, NULL, 0);
	t1 = e->net.now;
	expect(&c, TH_ACK, c.iss + 2, c.snd, NULL, 0);
	expect_none(&c);
	status_is(c.s, "Time_wait");
	assert_true(c.s->ops->finished(c.s));
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), 0);
	/* a retransmitted FIN in TIME_WAIT is ACKed again */
	inject(&c, c.snd - 1, c.iss + 2, TH_ACK | TH_FIN, NULL, 0);
	t1 = e->net.now;	/* and restarts the 2 MSL */
	expect(&c, TH_ACK, c.iss + 2, c.snd, NULL, 0);
	net_advance(&e->net, t1 + 2 * SEC - 1);
	status_is(c.s, "Time_wait");
	net_advance(&e->net, t1 + 2 * SEC);
	status_is(c.s, "Closed");
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=4 tcp.OutSegs=4 tcp.CurrEstab=-1 tcp.OutOfWindow=1 "
			 "tcp.DelayedAcks=1");
	conn_free(&c);
}

static void test_close_passive(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_connect(e, &c, &PLAIN);
	net_run_wakeups(&e->net);
	c.wakes = 0;
	tsnap_take(&t, &e->net, e->dev);
	peer_send(&c, TH_PSH, "bye", 3);
	peer_send(&c, TH_FIN, NULL, 0);
	expect(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0);	/* the FIN's ACK, at once */
	expect_none(&c);
	status_is(c.s, "Close_wait");
	net_run_wakeups(&e->net);
	assert_true(c.wakes >= 1);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLIN | SOCK_POLLOUT);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "bye", 3);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), 0);	/* EOF */
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), 0);
	/* we may still send */
	assert_int_equal(send_bytes(c.s, "ok", 2), 2);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, "ok", 2);
	peer_ack(&c, c.iss + 3);
	/* close: FIN, LAST_ACK; its ACK: CLOSED */
	assert_int_equal(c.s->ops->close(c.s, false), 0);
	expect(&c, TH_ACK | TH_FIN, c.iss + 3, c.snd, NULL, 0);
	status_is(c.s, "Last_ack");
	peer_ack(&c, c.iss + 4);
	expect_none(&c);
	status_is(c.s, "Closed");
	assert_true(c.s->ops->finished(c.s));
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=4 tcp.OutSegs=3 tcp.CurrEstab=-1");
	conn_free(&c);
}

static void test_simultaneous_close(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint64_t t1;

	e->net.tcp_msl = 500 * MS;
	conn_connect(e, &c, &PLAIN);
	assert_int_equal(c.s->ops->close(c.s, false), 0);
	expect(&c, TH_ACK | TH_FIN, c.iss + 1, c.snd, NULL, 0);
	status_is(c.s, "Finwait1");
	/* the peer's FIN crosses ours: it does not ACK our FIN */
	peer_send(&c, TH_FIN, NULL, 0);
	expect(&c, TH_ACK, c.iss + 2, c.snd, NULL, 0);
	expect_none(&c);
	status_is(c.s, "Closing");
	/* the ACK of our FIN */
	peer_ack(&c, c.iss + 2);
	t1 = e->net.now;
	expect_none(&c);
	status_is(c.s, "Time_wait");
	net_advance(&e->net, t1 + 1 * SEC - 1);
	status_is(c.s, "Time_wait");
	net_advance(&e->net, t1 + 1 * SEC);
	status_is(c.s, "Closed");
	expect_none(&c);
	conn_free(&c);

	/* The peer's FIN that also ACKs ours: straight to TIME_WAIT. */
	conn_connect(e, &c, &PLAIN);
	assert_int_equal(c.s->ops->close(c.s, false), 0);
	expect(&c, TH_ACK | TH_FIN, c.iss + 1, c.snd, NULL, 0);
	c.ack = c.iss + 2;
	peer_send(&c, TH_FIN, NULL, 0);
	expect(&c, TH_ACK, c.iss + 2, c.snd, NULL, 0);
	status_is(c.s, "Time_wait");
	conn_free(&c);
}

static void test_hangup(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	struct tcp_seen r;

	conn_connect(e, &c, &PLAIN);
	assert_int_equal(send_bytes(c.s, "abc", 3), 3);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1, c.snd, "abc", 3);
	tsnap_take(&t, &e->net, e->dev);
	assert_int_equal(c.s->ops->close(c.s, true), 0);
	pop_tcp(e->dev, PEER_MAC, &r);
	expect_none(&c);
	assert_true(r.flags & TH_RST);
	assert_int_equal(r.flags & (TH_SYN | TH_FIN | TH_PSH), 0);
	assert_int_equal(r.seq, c.iss + 4);	/* SND.NXT */
	if (r.flags & TH_ACK)
		assert_int_equal(r.ack, c.snd);
	assert_int_equal(r.dlen, 0);
	tcp_seen_free(&r);
	tsnap_expect_tcp(&t, &e->net, "tcp.OutSegs=1 tcp.OutRsts=1 tcp.CurrEstab=-1");
	status_is(c.s, "Closed");
	/* nothing is retransmitted, nothing answered but with a RST */
	net_advance(&e->net, e->net.now + 10 * SEC);
	expect_none(&c);
	peer_send(&c, TH_PSH, "x", 1);
	expect(&c, TH_RST, c.ack, 0, NULL, 0);
	conn_free(&c);

	/* Closing with unread data resets too (RFC 2525 §2.17). */
	conn_connect(e, &c, &PLAIN);
	peer_send(&c, TH_PSH, "unread", 6);
	assert_int_equal(c.s->ops->close(c.s, false), 0);
	expect(&c, TH_RST | TH_ACK, c.iss + 1, c.snd, NULL, 0);
	status_is(c.s, "Closed");
	conn_free(&c);
}

/* A read that opens a shut window tells the peer at once (RFC 9293
 * §3.8.6.2.2); a read that cannot change the window offered sends nothing
 * (it would be a duplicate ACK). */
static void test_window_update(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct open_opts o = PLAIN;
	struct tcp_seen a;

	/* a 4 KB buffer, filled: window 0; read: window 4096 */
	o.rcvbuf = 4096;
	conn_connect(e, &c, &o);
	fill_pattern(ppat, 8000, 15);
	peer_send(&c, 0, ppat, 1460);
	peer_send(&c, 0, ppat + 1460, 1460);
	expect_keep(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0, &a);
	assert_int_equal(a.win, 4096 - 2920);
	tcp_seen_free(&a);
	peer_send(&c, TH_PSH, ppat + 2920, 1176);
	net_advance(&e->net, e->net.now + 40 * MS);
	expect_keep(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0, &a);
	assert_int_equal(a.win, 0);
	tcp_seen_free(&a);
	expect_none(&c);
	assert_int_equal(sock_recv_stream(c.s, buf, 4096), 4096);
	assert_memory_equal(buf, ppat, 4096);
	expect_keep(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0, &a);
	assert_int_equal(a.win, 4096);
	tcp_seen_free(&a);
	expect_none(&c);
	conn_free(&c);

	/* no window scaling: the window offered is 65535 at most, however
	 * much of the 2 MB buffer a read frees */
	conn_connect(e, &c, &NOWS);
	peer_send(&c, TH_PSH, ppat, 1460);
	net_advance(&e->net, e->net.now + 40 * MS);
	expect_keep(&c, TH_ACK, c.iss + 1, c.snd, NULL, 0, &a);
	assert_int_equal(a.win, 65535);
	tcp_seen_free(&a);
	read_expect(&c, ppat, 1460);
	expect_none(&c);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* the 2^32 wrap */

/* Both ISNs 256 below 2^32: 1000 bytes each way, out of order on the way
 * in, in two segments on the way out, every number across the wrap. */
static void test_seq_wrap(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct open_opts o = PLAIN;
	uint32_t isn;
	const uint32_t want = 0xffffff00u;

	/* the stack's ISN is a 4 µs clock plus a hash: move the clock */
	isn = tcp_isn(&e->net, OUR_IP, htons(LPORT), PEER_IP, htons(PPORT));
	net_advance(&e->net, e->net.now + 4ull * (uint32_t)(want - isn));
	assert_int_equal(tcp_isn(&e->net, OUR_IP, htons(LPORT), PEER_IP, htons(PPORT)), want);
	o.lport = LPORT;
	o.irs = want;
	o.mss = 536;
	conn_connect(e, &c, &o);
	assert_int_equal(c.iss, want);
	assert_int_equal(tpof(&c)->mss, 536);

	/* in: the second half first (it starts past the wrap), then the first
	 * (which spans it) */
	fill_pattern(ppat, 1000, 13);
	assert_int_equal(c.snd, 0xffffff01u);
	inject(&c, c.snd + 500, c.ack, TH_ACK | TH_PSH, ppat + 500, 500);
	expect(&c, TH_ACK, c.iss + 1, 0xffffff01u, NULL, 0);
	inject(&c, c.snd, c.ack, TH_ACK, ppat, 500);
	c.snd += 1000;
	assert_int_equal(c.snd, 0x2e9);
	expect(&c, TH_ACK, c.iss + 1, 0x2e9, NULL, 0);
	read_expect(&c, ppat, 1000);

	/* out: 536 bytes spanning the wrap, then (Nagle) 464 after its ACK */
	fill_pattern(pat, 1000, 14);
	assert_int_equal(send_bytes(c.s, pat, 1000), 1000);
	expect(&c, TH_ACK, 0xffffff01u, 0x2e9, pat, 536);
	expect_none(&c);
	peer_ack(&c, 0xffffff01u + 536);
	assert_int_equal(c.ack, 0x119);
	expect(&c, TH_ACK | TH_PSH, 0x119, 0x2e9, pat + 536, 464);
	expect_none(&c);
	assert_int_equal(tpof(&c)->snd_una, 0x119);
	/* a duplicate of the old ACK (below the wrap) changes nothing */
	peer_ack(&c, 0xffffff01u + 100);
	expect_none(&c);
	assert_int_equal(tpof(&c)->snd_una, 0x119);
	peer_ack(&c, 0x2e9);
	expect_none(&c);
	assert_int_equal(tpof(&c)->snd_una, 0x2e9);
	assert_int_equal(tpof(&c)->sndq.len, 0);
	/* nothing left to retransmit */
	net_advance(&e->net, e->net.now + 10 * SEC);
	expect_none(&c);
	/* and a clean close */
	assert_int_equal(c.s->ops->close(c.s, false), 0);
	expect(&c, TH_ACK | TH_FIN, 0x2e9, 0x2e9, NULL, 0);
	peer_ack(&c, 0x2ea);
	status_is(c.s, "Finwait2");
	conn_free(&c);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, tcp_teardown)
	const struct CMUnitTest tests[] = {
		T(test_active_open),
		T(test_active_open_mss),
		T(test_synsent_bad_ack),
		T(test_synsent_rst),
		T(test_syn_retransmit),
		T(test_passive_open),
		T(test_closed_port),
		T(test_bad_checksum),
		T(test_backlog_full),
		T(test_delayed_ack),
		T(test_delayed_ack_timestamps),
		T(test_out_of_order),
		T(test_out_of_window),
		T(test_rst_exact),
		T(test_rst_in_window),
		T(test_syn_in_established),
		T(test_ack_of_unsent),
		T(test_paws),
		T(test_send_segments),
		T(test_nagle),
		T(test_rto_initial_and_backoff),
		T(test_rto_after_sample),
		T(test_rto_passive_sample),
		T(test_rto_after_syn_timeout),
		T(test_fast_retransmit),
		T(test_recovery_exit_cwnd),
		T(test_zero_window),
		T(test_close_active),
		T(test_close_passive),
		T(test_simultaneous_close),
		T(test_hangup),
		T(test_window_update),
		T(test_seq_wrap),
	};
	return cmocka_run_group_tests_name("tcp", tests, NULL, NULL);
}
