/* TCP moving data on an established connection, one rule at a time (the
 * fixtures: tcptest.h): receiving (delayed ACKs, out-of-order segments, the
 * receive window), what a synchronized connection accepts (RST and SYN
 * checks of RFC 5961, ACKs of unsent data, PAWS), sending (segment sizes,
 * the initial and the peer's window, Nagle), and window updates. */
#include "tcptest.h"

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
	wakes_reset(&c);
	fill_pattern(ppat, 8000, 1);
	tsnap_take(&t, &e->net, e->dev);
	t1 = e->net.now;
	peer_send(&c, 0, ppat, 1460);
	expect_none(&c);
	wakes_seen(&c);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLIN | SOCK_POLLOUT);
	expect_at(&c, t1 + 40 * MS, TH_ACK, c.iss + 1, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.DelayedAcks=1");

	/* two full segments: the second is ACKed at once */
	peer_send(&c, 0, ppat + 1460, 1460);
	expect_none(&c);
	peer_send(&c, TH_PSH, ppat + 2920, 1460);
	expect_ack(&c, c.iss + 1);
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
	expect_at(&c, t1 + 40 * MS, TH_ACK, c.iss + 1, NULL, 0);
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
	expect_ack(&c, c.iss + 1);
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
	expect_ack(&c, c.iss + 1);
	read_expect(&c, ppat + 3000, 500);
	/* a whole old duplicate: ACKed at once, nothing taken */
	inject(&c, s0, c.ack, TH_ACK, ppat, 1000);
	expect_ack(&c, c.iss + 1);
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
	expect_ack(&c, c.iss + 1);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.OutOfWindow=1");
	/* just past the right edge */
	inject(&c, c.snd + wnd, c.ack, TH_ACK | TH_PSH, ppat, 100);
	expect_ack(&c, c.iss + 1);
	/* entirely before rcv_nxt */
	inject(&c, c.snd - 200, c.ack, TH_ACK | TH_PSH, ppat, 100);
	expect_ack(&c, c.iss + 1);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=3 tcp.OutSegs=3 tcp.OutOfWindow=3");
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(tpof(&c)->rcv_nxt, c.snd);
	assert_int_equal(tpof(&c)->ofo.qlen, 0);
	/* the last byte of the window is in it */
	inject(&c, c.snd + wnd - 1, c.ack, TH_ACK, ppat, 1);
	expect_ack(&c, c.iss + 1);	/* out of order: dup ACK */
	assert_int_equal(tpof(&c)->ofo.qlen, 1);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* established: what is accepted */

/* RFC 5961 §3.2: a RST resets only at exactly rcv_nxt; elsewhere in the
 * window it draws a challenge ACK; outside it, nothing. */
static void test_rst_exact(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_connect(e, &c, &PLAIN);
	wakes_reset(&c);
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, c.snd, 0, TH_RST, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.EstabResets=1 tcp.CurrEstab=-1");
	assert_int_equal(c.s->sk->sk_err, ECONNRESET);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	status_is(c.s, "Closed");
	wakes_seen(&c);
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
	expect_ack(&c, c.iss + 1);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.ChallengeAcks=1");
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(c.s->sk->sk_err, 0);
	/* the last sequence number of the window */
	inject(&c, c.snd + wnd - 1, c.ack, TH_RST | TH_ACK, NULL, 0);
	expect_ack(&c, c.iss + 1);
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
	send_push(&c, c.iss + 1, "fine", 4);
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
	expect_ack(&c, c.iss + 1);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.ChallengeAcks=1");
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(tpof(&c)->rcv_nxt, c.snd);
	/* a SYN-ACK, and a SYN with data, in the window */
	inject(&c, c.snd + 10, c.ack, TH_SYN | TH_ACK, NULL, 0);
	expect_ack(&c, c.iss + 1);
	inject(&c, c.snd, c.ack, TH_SYN | TH_ACK, "junk", 4);
	expect_ack(&c, c.iss + 1);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	/* the peer's old SYN again (seq = its ISN, left of the window) */
	inject(&c, c.irs, 0, TH_SYN, NULL, 0);
	expect_ack(&c, c.iss + 1);
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
	expect_ack(&c, c.iss + 1);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1");
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(tpof(&c)->rcv_nxt, c.snd);
	assert_int_equal(tpof(&c)->snd_una, c.iss + 1);
	/* one past what was sent, with data in flight */
	send_push(&c, c.iss + 1, "abc", 3);
	inject(&c, c.snd, c.iss + 5, TH_ACK, NULL, 0);
	expect_ack(&c, c.iss + 4);
	assert_int_equal(tpof(&c)->snd_una, c.iss + 1);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	/* the right ACK is taken */
	peer_ack(&c, c.iss + 4);
	expect_none(&c);
	assert_int_equal(tpof(&c)->snd_una, c.iss + 4);
	conn_free(&c);
}

/* paws_taken: the peer's next len bytes of ppat with TSval tsval are taken:
 * ACKed 40 ms later (echoing tsval), then readable. */
static void paws_taken(struct conn *c, uint32_t tsval, size_t len)
{
	c->tsval = tsval;
	peer_send(c, TH_PSH, ppat, len);
	net_advance(&c->e->net, c->e->net.now + 40 * MS);
	expect_ack(c, c->iss + 1);
	assert_int_equal(tpof(c)->ts_recent, tsval);
	read_expect(c, ppat, len);
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
	expect_ack(&c, c.iss + 1);	/* TSecr still 1000 */
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.PawsDrops=1");
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(tpof(&c)->ts_recent, 1000);
	/* much older, across the sign bit */
	inject_ts(&c, c.snd, c.ack, TH_ACK | TH_PSH, c.win, 1000 - 0x7fffffff, ppat, 100);
	expect_ack(&c, c.iss + 1);
	assert_int_equal(e->net.tcpstats.PawsDrops - t.tcp.PawsDrops, 2);
	/* the same TSval is not older: taken */
	paws_taken(&c, 1000, 100);
	/* a newer one moves ts_recent, and the echo with it (TSecr 5000) */
	paws_taken(&c, 5000, 10);
	/* newer across the 2^32 wrap of the peer's clock (in steps of less
	 * than 2^31) */
	for (uint32_t v = 0x60000000u; v; v = v == 0xfffffff0u ? 0 : v == 0xc0000000u ? 0xfffffff0u : v + 0x60000000u)
		paws_taken(&c, v, 10);
	paws_taken(&c, 0x10, 10);
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

/* A window the peer keeps below half its largest: silly window avoidance
 * holds the data, nothing is in flight to bring an ACK, and the persist
 * timer sends into the small window anyway (RFC 1122 §4.2.3.4 override),
 * so a peer with a tiny buffer is not waited on forever. */
static void test_sws_override(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct open_opts o = PLAIN;
	uint64_t t0;

	o.win = 3000;
	conn_connect(e, &c, &o);
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_NODELAY, 1), 0);
	fill_pattern(pat, 4000, 9);
	assert_int_equal(send_bytes(c.s, pat, 4000), 4000);
	expect(&c, TH_ACK, c.iss + 1, c.snd, pat, 1460);
	expect(&c, TH_ACK, c.iss + 1461, c.snd, pat + 1460, 1460);
	expect_none(&c);
	/* all of it acknowledged, but the window is now 1000: less than half
	 * of 3000, so the 1080 bytes left wait */
	inject_opt(&c, c.snd, c.iss + 2921, TH_ACK, 1000, NULL, 0, NULL, 0);
	expect_none(&c);
	t0 = e->net.now;
	/* the persist timer (one RTO) then fills the small window */
	expect_at(&c, t0 + tpof(&c)->rto, TH_ACK, c.iss + 2921, pat + 2920, 1000);
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
	send_push(&c, c.iss + 1, pat, 100);
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
	send_push(&c, c.iss + 261, pat + 260, 100);
	send_push(&c, c.iss + 361, pat + 360, 100);
	expect_none(&c);
	assert_int_equal(tcp_flight(tpof(&c)), 360);
	/* NODELAY off again: waits */
	peer_ack(&c, c.iss + 461);
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_NODELAY, 0), 0);
	send_push(&c, c.iss + 461, pat + 460, 1);	/* nothing in flight */
	assert_int_equal(send_bytes(c.s, pat + 461, 1), 1);
	expect_none(&c);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* window updates */

/* A read that opens a shut window tells the peer at once (RFC 9293
 * §3.8.6.2.2); a read that cannot change the window offered sends nothing
 * (it would be a duplicate ACK). */
static void test_window_update(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct open_opts o = PLAIN;

	/* a 4 KB buffer, filled: window 0; read: window 4096 */
	o.rcvbuf = 4096;
	conn_connect(e, &c, &o);
	fill_pattern(ppat, 8000, 15);
	peer_send(&c, 0, ppat, 1460);
	peer_send(&c, 0, ppat + 1460, 1460);
	expect_ack_win(&c, c.iss + 1, 4096 - 2920);
	peer_send(&c, TH_PSH, ppat + 2920, 1176);
	net_advance(&e->net, e->net.now + 40 * MS);
	expect_ack_win(&c, c.iss + 1, 0);
	expect_none(&c);
	assert_int_equal(sock_recv_stream(c.s, buf, 4096), 4096);
	assert_memory_equal(buf, ppat, 4096);
	expect_ack_win(&c, c.iss + 1, 4096);
	expect_none(&c);
	conn_free(&c);

	/* no window scaling: the window offered is 65535 at most, however
	 * much of the 2 MB buffer a read frees */
	conn_connect(e, &c, &NOWS);
	peer_send(&c, TH_PSH, ppat, 1460);
	net_advance(&e->net, e->net.now + 40 * MS);
	expect_ack_win(&c, c.iss + 1, 65535);
	read_expect(&c, ppat, 1460);
	expect_none(&c);
	conn_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_delayed_ack),
		TCP_TEST(test_delayed_ack_timestamps),
		TCP_TEST(test_out_of_order),
		TCP_TEST(test_out_of_window),
		TCP_TEST(test_rst_exact),
		TCP_TEST(test_rst_in_window),
		TCP_TEST(test_syn_in_established),
		TCP_TEST(test_ack_of_unsent),
		TCP_TEST(test_paws),
		TCP_TEST(test_send_segments),
		TCP_TEST(test_sws_override),
		TCP_TEST(test_nagle),
		TCP_TEST(test_window_update),
	};
	return cmocka_run_group_tests_name("tcp_data", tests, NULL, NULL);
}
