/* TCP closing a connection, one rule at a time (the fixtures: tcptest.h):
 * the active and the passive close through FIN_WAIT, CLOSE_WAIT, LAST_ACK
 * and TIME_WAIT, the simultaneous close, the abortive close (hangup, and a
 * close with unread data); and a whole connection across the 2^32 wrap of
 * the sequence numbers, up to its close. */
#include "tcptest.h"

/* time_wait_ends: the connection is in TIME_WAIT until just before t, and
 * CLOSED at t, silently. */
static void time_wait_ends(struct conn *c, uint64_t t)
{
	net_advance(&c->e->net, t - 1);
	status_is(c->s, "Time_wait");
	net_advance(&c->e->net, t);
	status_is(c->s, "Closed");
	expect_none(c);
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
	close_fin(&c, c.iss + 1);
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
	expect_ack(&c, c.iss + 2);
	/* its FIN: ACKed at once, TIME_WAIT for 2 MSL */
	peer_send(&c, TH_FIN, NULL, 0);
	expect_ack(&c, c.iss + 2);
	expect_none(&c);
	status_is(c.s, "Time_wait");
	assert_true(c.s->ops->finished(c.s));
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), 0);
	/* a retransmitted FIN in TIME_WAIT is ACKed again */
	inject(&c, c.snd - 1, c.iss + 2, TH_ACK | TH_FIN, NULL, 0);
	t1 = e->net.now;	/* and restarts the 2 MSL */
	expect_ack(&c, c.iss + 2);
	/* RFC 1337: a RST, even at rcv_nxt, does not end TIME_WAIT early */
	inject(&c, c.snd, 0, TH_RST, NULL, 0);
	expect_none(&c);
	status_is(c.s, "Time_wait");
	time_wait_ends(&c, t1 + 2 * SEC);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=5 tcp.OutSegs=4 tcp.CurrEstab=-1 tcp.OutOfWindow=1 "
			 "tcp.DelayedAcks=1");
	conn_free(&c);
}

static void test_close_passive(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_connect(e, &c, &PLAIN);
	wakes_reset(&c);
	tsnap_take(&t, &e->net, e->dev);
	peer_send(&c, TH_PSH, "bye", 3);
	peer_send(&c, TH_FIN, NULL, 0);
	expect_ack(&c, c.iss + 1);	/* the FIN's ACK, at once */
	expect_none(&c);
	status_is(c.s, "Close_wait");
	wakes_seen(&c);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLIN | SOCK_POLLOUT);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "bye", 3);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), 0);	/* EOF */
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), 0);
	/* we may still send */
	send_push(&c, c.iss + 1, "ok", 2);
	peer_ack(&c, c.iss + 3);
	/* close: FIN, LAST_ACK; its ACK: CLOSED */
	close_fin(&c, c.iss + 3);
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

	e->net.tcp_msl = 500 * MS;
	conn_connect(e, &c, &PLAIN);
	close_fin(&c, c.iss + 1);
	status_is(c.s, "Finwait1");
	/* the peer's FIN crosses ours: it does not ACK our FIN */
	peer_send(&c, TH_FIN, NULL, 0);
	expect_ack(&c, c.iss + 2);
	expect_none(&c);
	status_is(c.s, "Closing");
	/* the ACK of our FIN */
	peer_ack(&c, c.iss + 2);
	expect_none(&c);
	status_is(c.s, "Time_wait");
	time_wait_ends(&c, e->net.now + 1 * SEC);
	conn_free(&c);

	/* The peer's FIN that also ACKs ours: straight to TIME_WAIT. */
	conn_connect(e, &c, &PLAIN);
	close_fin(&c, c.iss + 1);
	c.ack = c.iss + 2;
	peer_send(&c, TH_FIN, NULL, 0);
	expect_ack(&c, c.iss + 2);
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
	send_push(&c, c.iss + 1, "abc", 3);
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
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_close_active),
		TCP_TEST(test_close_passive),
		TCP_TEST(test_simultaneous_close),
		TCP_TEST(test_hangup),
		TCP_TEST(test_seq_wrap),
	};
	return cmocka_run_group_tests_name("tcp_close", tests, NULL, NULL);
}
