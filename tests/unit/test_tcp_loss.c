/* TCP when segments are lost, one rule at a time (the fixtures:
 * tcptest.h): the retransmission timeout, its backoff and the RTT samples
 * it comes from (RFC 6298); fast retransmit and recovery (RFC 5681, RFC
 * 6582); zero-window probes. */
#include "tcptest.h"

/* rexmits_at: after t0 the segment at seq (len bytes of data, PSH) is sent
 * again at each of the n times at[] and at no other time. */
static void rexmits_at(struct conn *c, uint64_t t0, const uint64_t *at, size_t n, uint32_t seq,
		       const void *data, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		expect_at(c, t0 + at[i], TH_ACK | TH_PSH, seq, data, len);
		expect_none(c);
	}
}

/* ------------------------------------------------------------------------- */
/* the retransmission timer */

/* RFC 6298: the first RTO is 1 s; it doubles on each timeout; after an RTT
 * sample it is SRTT + 4 RTTVAR, at least 200 ms. */
static void test_rto_initial_and_backoff(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint64_t t1;
	static const uint64_t at[] = { 200 * MS, 600 * MS, 1400 * MS, 3000 * MS };

	/* A passive open takes its first RTT sample from the handshake (the
	 * SYN-ACK's round trip, 0 here): the RTO is the 200 ms floor.  The
	 * 1 s initial RTO before any sample shows in the SYN tests. */
	conn_accept(e, &c, &WITH_TS);
	assert_int_equal(tpof(&c)->rto, 200000);
	fill_pattern(pat, 1000, 8);
	tsnap_take(&t, &e->net, e->dev);
	t1 = e->net.now;
	send_push(&c, c.iss + 1, pat, 100);
	rexmits_at(&c, t1, at, 4, c.iss + 1, pat, 100);
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
	send_push(&c, c.iss + 101, pat + 100, 100);
	rexmits_at(&c, t1, at, 4, c.iss + 101, pat + 100, 100);
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
	static const uint64_t at[] = { 200 * MS, 600 * MS };

	o.rtt = 50 * MS;
	conn_connect(e, &c, &o);
	assert_int_equal(tpof(&c)->srtt, 50000);
	assert_int_equal(tpof(&c)->rttvar, 25000);
	assert_int_equal(tpof(&c)->rto, 200000);
	fill_pattern(pat, 1000, 9);
	t1 = e->net.now;
	send_push(&c, c.iss + 1, pat, 500);
	rexmits_at(&c, t1, at, 2, c.iss + 1, pat, 500);
	conn_free(&c);

	/* A long RTT (less than the SYN's 1 s): 900 ms gives RTO 900 + 4 x
	 * 450 = 2700 ms. */
	o.rtt = 900 * MS;
	conn_connect(e, &c, &o);
	assert_int_equal(tpof(&c)->rto, 2700000);
	t1 = e->net.now;
	send_push(&c, c.iss + 1, pat, 10);
	expect_at(&c, t1 + 2700 * MS, TH_ACK | TH_PSH, c.iss + 1, pat, 10);
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
	send_push(&c, c.iss + 1, "x", 1);
	expect_at(&c, t1 + 200 * MS, TH_ACK | TH_PSH, c.iss + 1, "x", 1);
	conn_free(&c);
}

/* RFC 6298 §5.7: when the SYN timed out, the RTO for data starts at 3 s. */
static void test_rto_after_syn_timeout(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tcp_seen syn;
	uint64_t t1;
	/* a SYN-ACK without options, 30 ms after the SYN retransmitted */
	const struct open_opts synack = { .wscale = -1, .irs = 0x777, .win = 65535, .rtt = 30 * MS };

	conn_syn_sent(e, &c, &PLAIN);
	net_advance(&e->net, e->net.now + SEC);
	pop_tcp(e->dev, PEER_MAC, &syn);	/* the first was lost */
	assert_int_equal(syn.seq, c.iss);
	tcp_seen_free(&syn);
	conn_synack(&c, &synack);
	t1 = e->net.now;
	send_push(&c, c.iss + 1, "x", 1);
	expect_at(&c, t1 + 3 * SEC, TH_ACK | TH_PSH, c.iss + 1, "x", 1);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* fast retransmit and recovery */

/* dupacks_rexmit: three duplicate ACKs of seq bring the segment there
 * (one MSS of data) again at once. */
static void dupacks_rexmit(struct conn *c, uint32_t seq, const void *data)
{
	peer_ack(c, seq);
	peer_ack(c, seq);
	peer_ack(c, seq);
	expect_rexmit(c, seq, c->snd, data, 1460);
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
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_CONGESTION, TCP_CA_RENO), 0);
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
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_CONGESTION, TCP_CA_RENO), 0);
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_NODELAY, 1), 0);
	s = c.iss + 1;
	assert_int_equal(send_bytes(c.s, pat, 4 * 1460 + 100), 4 * 1460 + 100);
	drain(e->dev);
	dupacks_rexmit(&c, s, pat);
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
	dupacks_rexmit(&c, s, pat);
	peer_ack(&c, s + 7300);	/* FlightSize after it: 0 */
	cw = tpof(&c)->cwnd;
	if (cw != 2 * 1460 && cw != 3650)
		fail_msg("cwnd after a full ACK with nothing in flight: %u, want min(ssthresh 3650, "
			 "max(0, 1460) + 1460) = 2920, or ssthresh 3650", cw);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* the persist timer */

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
		expect_at(&c, t1 + at, TH_ACK, c.iss, NULL, 0);	/* seq snd_una - 1, no data */
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

/* A retransmission lost too: once more duplicate ACKs came than there were
 * segments out beyond it, the receiver has later data and still lacks it,
 * so it goes again at once instead of after a timeout. */
static void test_lost_retransmit(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s;

	conn_connect(e, &c, &PLAIN);
	assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_NODELAY, 1), 0);
	fill_pattern(pat, 8000, 14);
	s = c.iss + 1;
	assert_int_equal(send_bytes(c.s, pat, 5 * 1460), 5 * 1460);
	drain(e->dev);
	tsnap_take(&t, &e->net, e->dev);
	dupacks_rexmit(&c, s, pat);		/* 5 segments out beyond it */
	for (int i = 0; i < 6; i++) {		/* up to 5 + 1 duplicates: patience */
		peer_ack(&c, s);
		expect_none(&c);
	}
	peer_ack(&c, s);			/* one more: it was lost again */
	expect_rexmit(&c, s, c.snd, pat, 1460);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=10 tcp.OutSegs=2 tcp.DupAcks=10 tcp.FastRetrans=1 "
			 "tcp.RetransSegs=2 tcp.LostRetransmits=1");
	assert_true(tpof(&c)->in_recovery);
	conn_free(&c);
}

/* Data that cannot be sent at all (its route went away) is tried again on
 * the retransmission timer, and the connection ends with ETIMEDOUT after
 * as many tries as a silent peer gets, rather than waiting forever. */
static void test_send_without_route(void **state)
{
	struct env *e = *state;
	struct conn c;

	e->net.tcp_retries = 3;
	conn_connect(e, &c, &PLAIN);
	assert_int_equal(fib_del(&e->net, OUR_IP, 24), 0);
	fill_pattern(pat, 1000, 13);
	assert_int_equal(send_bytes(c.s, pat, 1000), 1000);
	expect_none(&c);
	assert_true(timer_pending(&tpof(&c)->rexmit_timer));
	for (int i = 0; i < 6 && c.s->sk->sk_state != TCP_CLOSED; i++)
		net_advance(&e->net, tpof(&c)->rexmit_timer.expires);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(c.s->sk->sk_err, ETIMEDOUT);
	assert_int_equal(tpof(&c)->retransmits, 4);
	conn_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_rto_initial_and_backoff),
		TCP_TEST(test_rto_after_sample),
		TCP_TEST(test_rto_passive_sample),
		TCP_TEST(test_rto_after_syn_timeout),
		TCP_TEST(test_fast_retransmit),
		TCP_TEST(test_recovery_exit_cwnd),
		TCP_TEST(test_zero_window),
		TCP_TEST(test_lost_retransmit),
		TCP_TEST(test_send_without_route),
	};
	return cmocka_run_group_tests_name("tcp_loss", tests, NULL, NULL);
}
