/* SYN flood defence (the fixtures: tcptest.h): a listener's SYN queue
 * holds as many half-open connections as its backlog; past that a SYN is
 * answered with a SYN cookie (RFC 4987 §3.6) and nothing is kept.  The
 * ACK that brings a good cookie back makes the connection, with the MSS
 * (and, with timestamps, the window scale and SACK-permitted) the SYN
 * offered; a forged or expired one draws a RST and counts
 * SyncookiesFailed; the accept queue stays bounded by the backlog. */
#include <stdio.h>

#include "tcptest.h"

#define PORT 80

/* The peer's SYN options: MSS 1400 (a tunnel), window scale 7, SACK,
 * timestamps; and MSS 1300 alone. */
static const struct open_opts FULL = { .mss = 1400, .wscale = 7, .ts = true, .sackok = true,
				       .irs = 0x20000000, .win = 65535 };
static const struct open_opts MSS_ONLY = { .mss = 1300, .wscale = -1, .irs = 0x30000000,
					   .win = 65535 };

/* peer: the peer of a connection to PORT from pport, not yet opened. */
static void peer(struct env *e, struct conn *c, uint16_t pport, const struct open_opts *o)
{
	conn_init(e, c, PORT);
	c->pport = pport;
	c->irs = o->irs + pport;
	c->tsval = 1000;
	c->win = o->win;
	c->ts = o->ts;
}

/* syn_synack: the peer's SYN as o says; the SYN-ACK is popped into *sa
 * and checked against the SYN (ack, TSecr); c learns the ISN. */
static void syn_synack(struct conn *c, const struct open_opts *o, struct tcp_seen *sa)
{
	uint8_t ob[40];
	size_t ol = syn_opts(ob, o, c->tsval, 0);

	inject_opt(c, c->irs, 0, TH_SYN, o->win, ob, ol, NULL, 0);
	pop_synack(c->e, sa);
	assert_int_equal(sa->dport, c->pport);
	assert_int_equal(sa->ack, c->irs + 1);
	assert_int_equal(sa->ts, o->ts);
	if (o->ts) {
		assert_int_equal(sa->tsecr, c->tsval);
		c->tsecr = sa->tsval;
	}
	c->iss = sa->seq;
	c->snd = c->irs + 1;
	c->ack = c->iss + 1;
}

/* half_open: a SYN answered by a child in SYN_RECV (not a cookie). */
static void half_open(struct env *e, struct conn *c, uint16_t pport, struct socket *l)
{
	struct tcp_seen sa;
	unsigned int before = tcp_sk(l->sk)->syn_pending;
	struct tsnap t;

	peer(e, c, pport, &MSS_ONLY);
	tsnap_take(&t, &e->net, e->dev);
	syn_synack(c, &MSS_ONLY, &sa);
	tcp_seen_free(&sa);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.PassiveOpens=1");
	assert_int_equal(tcp_sk(l->sk)->syn_pending, before + 1);
}

/* The stack keeps nothing for the peer of c: a lookup finds the listener. */
static void no_state(struct conn *c, struct socket *l)
{
	assert_ptr_equal(tcp_lookup(&c->e->net, PEER_IP, htons(c->pport), OUR_IP, htons(PORT)),
			 l->sk);
}

/* cookie_synack: a SYN that must be answered with a cookie. */
static void cookie_synack(struct conn *c, const struct open_opts *o, struct socket *l,
			  struct tcp_seen *sa)
{
	unsigned int pending = tcp_sk(l->sk)->syn_pending;
	struct tsnap t;

	tsnap_take(&t, &c->e->net, c->e->dev);
	syn_synack(c, o, sa);
	tsnap_expect_tcp(&t, &c->e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.SyncookiesSent=1");
	assert_int_equal(tcp_sk(l->sk)->syn_pending, pending);
	no_state(c, l);
	/* the format: the clock's tick mod 32 on top */
	assert_int_equal(sa->seq >> 27, (c->e->net.now / TCP_COOKIE_PERIOD_US) & 31);
}

/* listener_queues: the listener's status line ends with want. */
static void listener_queues(struct socket *l, const char *want)
{
	char st[512], w[128];
	size_t n, wl;

	l->ops->status(l, st, sizeof(st));
	snprintf(w, sizeof(w), " %s\n", want);
	n = strlen(st);
	wl = strlen(w);
	if (strncmp(st, "Listen ", 7) || n < wl || strcmp(st + n - wl, w))
		fail_msg("status \"%s\", want Listen ... %s", st, want);
}

static struct socket *accept_one(struct socket *l)
{
	struct socket *a = NULL;

	assert_int_equal(l->ops->accept(l, &a), 0);
	return track(a);
}

/* The SYN queue fills with half-open connections; the next SYN gets a
 * cookie carrying MSS 1400, window scale 7 and SACK (in the TSval); its
 * ACK makes a connection with exactly those, and data flows both ways
 * from the cookie's sequence numbers. */
static void test_cookie_when_synq_full(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, PORT, 2);
	struct conn h1, h2, c;
	struct tcp_seen sa;
	struct tsnap t;
	struct tcp_sock *tp;

	half_open(e, &h1, 1001, l);
	half_open(e, &h2, 1002, l);
	listener_queues(l, "synq 2 acceptq 0 backlog 2");
	peer(e, &c, 1003, &FULL);
	cookie_synack(&c, &FULL, l, &sa);
	/* MSS 1460 (MTU 1500), our window scale for the 2 MB buffer, SACK,
	 * TSecr = the peer's TSval; the window unscaled */
	assert_int_equal(sa.mss, 1460);
	assert_int_equal(sa.wscale, 6);
	assert_true(sa.sackok);
	assert_int_equal(sa.win, 65535);
	assert_int_equal((sa.seq >> 24) & 7, 4);	/* 1400: the table's fifth */
	assert_int_equal(sa.tsval & 0x1f, 7 | 0x10);	/* wscale 7, SACK */
	tcp_seen_free(&sa);

	/* The ACK: a connection, queued for accept; nothing sent. */
	tsnap_take(&t, &e->net, e->dev);
	net_advance(&e->net, e->net.now + 5 * MS);
	c.tsval += 5;
	inject(&c, c.snd, c.ack, TH_ACK, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesRecv=1 tcp.PassiveOpens=1 "
			 "tcp.CurrEstab=1");
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 2);	/* the two half-open ones */
	assert_int_equal(l->sk->sk_ack_backlog, 1);
	listener_queues(l, "synq 2 acceptq 1 backlog 2");
	c.s = accept_one(l);
	sock_count_wakeups(c.s, &c.wakes);
	status_is(c.s, "Established");
	tp = tpof(&c);
	assert_int_equal(tp->mss, 1400 - 12);
	assert_true(tp->wscale_ok);
	assert_int_equal(tp->snd_wscale, 7);
	assert_int_equal(tp->rcv_wscale, 6);
	assert_int_equal(tp->snd_wnd, 65535u << 7);
	assert_true(tp->sack_ok);
	assert_true(tp->tstamp_ok);
	assert_int_equal(tp->iss, c.iss);
	assert_int_equal(tp->srtt, 0);		/* no RTT sample from a cookie */

	/* Data both ways. */
	peer_send(&c, TH_PSH, "hello", 5);
	read_expect(&c, "hello", 5);
	expect_ack(&c, c.iss + 1);	/* the window opens past the SYN-ACK's 64 KB */
	send_push(&c, c.iss + 1, "world", 5);
	peer_ack(&c, c.iss + 6);
	expect_none(&c);
	assert_int_equal(tp->snd_una, c.iss + 6);
	conn_free(&c);
	rel(l);
}

/* Without timestamps only the MSS comes back: the cookie SYN-ACK offers
 * no window scale and no SACK.  The ACK may carry the first data.  An MSS
 * between the table's values is taken down to one (1000: 536), and no MSS
 * option means 536. */
static void test_cookie_mss_only(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, PORT, 4);
	struct conn c;
	struct tcp_seen sa;
	struct tsnap t;
	struct open_opts o = MSS_ONLY;
	static const struct { int mss; uint16_t want; } cases[] = {
		{ 1300, 1300 }, { 1000, 536 }, { 0, 536 }, { 9000, 8960 }, { 1459, 1440 },
	};

	e->net.syncookies.mode = 2;	/* a cookie for every SYN */
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o.mss = cases[i].mss;
		peer(e, &c, (uint16_t)(2000 + i), &o);
		cookie_synack(&c, &o, l, &sa);
		assert_int_equal(sa.mss, 1460);
		assert_int_equal(sa.wscale, -1);
		assert_false(sa.sackok);
		assert_false(sa.ts);
		tcp_seen_free(&sa);
		tsnap_take(&t, &e->net, e->dev);
		inject(&c, c.snd, c.ack, TH_ACK | TH_PSH, "GET /", 5);
		c.snd += 5;
		tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesRecv=1 "
				 "tcp.PassiveOpens=1 tcp.CurrEstab=1");
		c.s = accept_one(l);
		status_is(c.s, "Established");
		/* the peer's MSS as the cookie rounds it, at most our 1460 */
		assert_int_equal(tpof(&c)->mss, cases[i].want < 1460 ? cases[i].want : 1460);
		assert_false(tpof(&c)->wscale_ok);
		assert_false(tpof(&c)->sack_ok);
		assert_false(tpof(&c)->tstamp_ok);
		assert_int_equal(tpof(&c)->snd_wnd, 65535);
		read_expect(&c, "GET /", 5);
		conn_free(&c);
	}
	rel(l);
}

/* A forged cookie (a changed bit, another ISN, another port, another
 * address) and an expired one draw a RST and count SyncookiesFailed; a
 * cookie 60 s old still works.  No connection is made. */
static void test_cookie_forged_expired(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, PORT, 8);
	struct conn c, young, old, other;
	struct tcp_seen sa;
	struct tsnap t;
	size_t n;

	e->net.syncookies.mode = 2;
	peer(e, &c, 3001, &MSS_ONLY);
	cookie_synack(&c, &MSS_ONLY, l, &sa);
	tcp_seen_free(&sa);
	/* a bit of the hash, a bit of the MSS index, a bit of the clock */
	static const uint32_t flips[] = { 1u << 0, 1u << 23, 1u << 24, 1u << 27 };
	for (unsigned int i = 0; i < 4; i++) {
		tsnap_take(&t, &e->net, e->dev);
		inject(&c, c.snd, c.ack ^ flips[i], TH_ACK, NULL, 0);
		expect(&c, TH_RST, c.ack ^ flips[i], 0, NULL, 0);
		tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesFailed=1 "
				 "tcp.OutSegs=1 tcp.OutRsts=1");
	}
	/* the right cookie with another peer ISN (seq) */
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.snd + 1, c.ack, TH_ACK, NULL, 0);
	expect(&c, TH_RST, c.ack, 0, NULL, 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesFailed=1 tcp.OutSegs=1 "
			 "tcp.OutRsts=1");
	/* from another port */
	other = c;
	other.pport = 3002;
	tsnap_take(&t, &e->net, e->dev);
	inject(&other, c.snd, c.ack, TH_ACK, NULL, 0);
	expect(&other, TH_RST, c.ack, 0, NULL, 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesFailed=1 tcp.OutSegs=1 "
			 "tcp.OutRsts=1");
	/* from another address: a RST to it (its route is the device's) */
	n = tcp_build(frame, OTHER_IP, c.pport, OUR_IP, PORT, c.snd, c.ack, TH_ACK, 65535,
		      NULL, 0, NULL, 0);
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, frame, n);
	drain(e->dev);		/* the RST, or the ARP query for OTHER_IP */
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesFailed=1 tcp.OutSegs=1 "
			 "tcp.OutRsts=1");
	assert_null(l->sk->accept_head);
	no_state(&c, l);

	/* Two cookies made now: one used 60 s later (good), one 130 s later
	 * (expired: a cookie lives 64 to 128 s). */
	peer(e, &young, 3010, &MSS_ONLY);
	cookie_synack(&young, &MSS_ONLY, l, &sa);
	tcp_seen_free(&sa);
	peer(e, &old, 3011, &MSS_ONLY);
	cookie_synack(&old, &MSS_ONLY, l, &sa);
	tcp_seen_free(&sa);
	net_advance(&e->net, e->net.now + 60 * SEC);
	drain(e->dev);		/* ARP's queries for OTHER_IP */
	tsnap_take(&t, &e->net, e->dev);
	inject(&young, young.snd, young.ack, TH_ACK, NULL, 0);
	expect_none(&young);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesRecv=1 tcp.PassiveOpens=1 "
			 "tcp.CurrEstab=1");
	young.s = accept_one(l);
	status_is(young.s, "Established");
	conn_free(&young);
	net_advance(&e->net, e->net.now + 70 * SEC);
	drain(e->dev);		/* ARP's queries for OTHER_IP */
	tsnap_take(&t, &e->net, e->dev);
	inject(&old, old.snd, old.ack, TH_ACK, NULL, 0);
	expect(&old, TH_RST, old.ack, 0, NULL, 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesFailed=1 tcp.OutSegs=1 "
			 "tcp.OutRsts=1");
	assert_null(l->sk->accept_head);
	no_state(&old, l);
	rel(l);
}

/* With cookies in the default mode, a bare ACK to a listener that sent
 * none is not checked as one (a RST, nothing counted as a cookie), nor
 * long after the last one went. */
static void test_cookie_not_recent(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, PORT, 1);
	struct conn c, h;
	struct tcp_seen sa;
	struct tsnap t;

	peer(e, &c, 4001, &MSS_ONLY);
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.irs + 1, 0x12345678, TH_ACK, NULL, 0);
	expect(&c, TH_RST, 0x12345678, 0, NULL, 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.OutRsts=1");
	/* a cookie goes (the queue of 1 is full), then 10 minutes pass */
	half_open(e, &h, 4002, l);
	cookie_synack(&c, &MSS_ONLY, l, &sa);
	tcp_seen_free(&sa);
	run_until(&e->net, e->net.now + 600 * SEC);
	drain(e->dev);		/* the half-open one's SYN-ACKs, until it gave up */
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 0);
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.snd, c.ack, TH_ACK, NULL, 0);
	expect(&c, TH_RST, c.ack, 0, NULL, 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.OutRsts=1");
	rel(l);
}

/* The accept queue holds the backlog, cookies or not: a SYN past it is
 * dropped (ListenOverflows, ListenDrops) without a cookie; a good
 * cookie's ACK that finds it full is dropped (counted), and the same ACK
 * again once there is room makes the connection; so does a half-open
 * child's ACK, which waits for its SYN-ACK's retransmission. */
static void test_acceptq_overflow(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, PORT, 1), *a;
	struct conn h, b, d;
	struct tcp_seen sa;
	struct tsnap t;

	/* h: half open (the SYN queue of 1 is then full); b: a cookie */
	half_open(e, &h, 5001, l);
	peer(e, &b, 5002, &MSS_ONLY);
	cookie_synack(&b, &MSS_ONLY, l, &sa);
	tcp_seen_free(&sa);
	/* b completes: the accept queue (1) is full */
	inject(&b, b.snd, b.ack, TH_ACK, NULL, 0);
	expect_none(&b);
	assert_int_equal(l->sk->sk_ack_backlog, 1);
	/* h's ACK finds it full: dropped, h stays half open */
	tsnap_take(&t, &e->net, e->dev);
	inject(&h, h.snd, h.ack, TH_ACK, NULL, 0);
	expect_none(&h);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.ListenOverflows=1 tcp.ListenDrops=1");
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 1);
	/* a new SYN: dropped, no cookie */
	peer(e, &d, 5003, &MSS_ONLY);
	tsnap_take(&t, &e->net, e->dev);
	inject_opt(&d, d.irs, 0, TH_SYN, 65535, NULL, 0, NULL, 0);
	expect_none(&d);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.ListenOverflows=1 tcp.ListenDrops=1");
	/* a cookie whose ACK finds the queue full: counted and dropped */
	e->net.syncookies.mode = 2;
	a = accept_one(l);	/* b: room for one */
	cookie_synack(&d, &MSS_ONLY, l, &sa);
	tcp_seen_free(&sa);
	inject(&h, h.snd, h.ack, TH_ACK, NULL, 0);	/* h takes the room */
	expect_none(&h);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 0);
	assert_int_equal(l->sk->sk_ack_backlog, 1);
	tsnap_take(&t, &e->net, e->dev);
	inject(&d, d.snd, d.ack, TH_ACK, NULL, 0);
	expect_none(&d);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesRecv=1 "
			 "tcp.ListenOverflows=1 tcp.ListenDrops=1");
	no_state(&d, l);
	/* room again: d's ACK (its retransmission, or its first data) works */
	rel(a);
	drain(e->dev);
	a = accept_one(l);	/* h */
	tsnap_take(&t, &e->net, e->dev);
	inject(&d, d.snd, d.ack, TH_ACK | TH_PSH, "x", 1);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SyncookiesRecv=1 tcp.PassiveOpens=1 "
			 "tcp.CurrEstab=1");
	d.snd++;
	d.s = accept_one(l);
	read_expect(&d, "x", 1);
	conn_free(&d);
	rel(a);
	rel(l);
}

/* --syncookies 2: a cookie for every SYN, the SYN queue empty. */
static void test_cookie_always(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, PORT, 16);
	struct conn c;
	struct tcp_seen sa;

	e->net.syncookies.mode = 2;
	peer(e, &c, 6001, &FULL);
	cookie_synack(&c, &FULL, l, &sa);
	tcp_seen_free(&sa);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 0);
	inject(&c, c.snd, c.ack, TH_ACK, NULL, 0);
	c.s = accept_one(l);
	status_is(c.s, "Established");
	assert_true(tpof(&c)->sack_ok);
	conn_free(&c);
	rel(l);
}

/* On a 9000-byte MTU a jumbo peer's MSS comes back whole (the table's
 * 8960), less the timestamps. */
static void test_cookie_jumbo(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, PORT, 4);
	struct open_opts o = FULL;
	struct conn c;
	struct tcp_seen sa;

	e->net.syncookies.mode = 2;
	o.mss = 8960;
	peer(e, &c, 7001, &o);
	cookie_synack(&c, &o, l, &sa);
	assert_int_equal(sa.mss, 8960);
	assert_int_equal((sa.seq >> 24) & 7, 7);
	tcp_seen_free(&sa);
	inject(&c, c.snd, c.ack, TH_ACK, NULL, 0);
	c.s = accept_one(l);
	assert_int_equal(tpof(&c)->mss, 8960 - 12);
	conn_free(&c);
	rel(l);
}

/* The cookie's parts, directly: the same inputs make the same cookie,
 * which checks; any other input does not. */
static void test_cookie_function(void **state)
{
	struct env *e = *state;
	struct net *net = &e->net;
	uint16_t mss = 0, got = 0;
	uint32_t ck = tcp_cookie_make(net, PEER_IP, OUR_IP, htons(1), htons(2), 77, 1460, &mss);

	assert_int_equal(mss, 1460);
	assert_int_equal(tcp_cookie_make(net, PEER_IP, OUR_IP, htons(1), htons(2), 77, 1460, &got), ck);
	assert_int_equal(tcp_cookie_check(net, PEER_IP, OUR_IP, htons(1), htons(2), 77, ck, &got), 0);
	assert_int_equal(got, 1460);
	assert_int_equal(tcp_cookie_check(net, OTHER_IP, OUR_IP, htons(1), htons(2), 77, ck, &got), -1);
	assert_int_equal(tcp_cookie_check(net, PEER_IP, OUR_IP, htons(3), htons(2), 77, ck, &got), -1);
	assert_int_equal(tcp_cookie_check(net, PEER_IP, OUR_IP, htons(1), htons(2), 78, ck, &got), -1);
	/* another key: another cookie */
	net->syncookies.key[0] ^= 1;
	assert_int_equal(tcp_cookie_check(net, PEER_IP, OUR_IP, htons(1), htons(2), 77, ck, &got), -1);
	net->syncookies.key[0] ^= 1;
	/* 32 ticks later the clock bits are the same again: still refused */
	net->now += 32 * TCP_COOKIE_PERIOD_US;
	assert_int_equal(tcp_cookie_check(net, PEER_IP, OUR_IP, htons(1), htons(2), 77, ck, &got), -1);
	/* the TSval encoding: never later than the clock, options back */
	{
		int ws;
		bool sack;
		uint32_t v = tcp_cookie_tsval(0x1000, 3, true);
		assert_true(v <= 0x1000);
		tcp_cookie_ts_decode(v, &ws, &sack);
		assert_int_equal(ws, 3);
		assert_true(sack);
		v = tcp_cookie_tsval(0x1003, -1, false);
		assert_true(v <= 0x1003 && 0x1003 - v < 64);
		tcp_cookie_ts_decode(v, &ws, &sack);
		assert_int_equal(ws, -1);
		assert_false(sack);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_cookie_when_synq_full),
		TCP_TEST(test_cookie_mss_only),
		TCP_TEST(test_cookie_forged_expired),
		TCP_TEST(test_cookie_not_recent),
		TCP_TEST(test_acceptq_overflow),
		TCP_TEST(test_cookie_always),
		TCP_TEST(test_cookie_function),
		cmocka_unit_test_setup_teardown(test_cookie_jumbo, env_setup_jumbo, tcp_teardown),
	};
	return cmocka_run_group_tests_name("tcp_syncookies", tests, NULL, NULL);
}
