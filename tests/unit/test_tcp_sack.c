/* The SACK blocks the stack reports as a receiver (RFC 2018 §4) and its
 * D-SACKs (RFC 2883), one rule at a time (the fixtures: tcptest.h): a
 * block per run of out-of-order data, the most recently changed first;
 * blocks merge as the holes between them fill and go once rcv_nxt passes
 * them; a duplicate is reported first, once; three blocks beside the
 * timestamps; none unless the peer's SYN permitted them. */
#include "tcptest.h"

static const struct open_opts SACK = { .mss = 1460, .wscale = 0, .sackok = true, .irs = 0x10000000,
				       .win = 65535 };
static const struct open_opts SACK_TS = { .mss = 1460, .wscale = 0, .ts = true, .sackok = true,
					  .irs = 0x10000000, .win = 65535 };

/* expect_sack: the next segment is a pure ACK of ack carrying exactly the
 * n blocks given as start, end pairs relative to base. */
static void expect_sack(struct conn *c, uint32_t ack, uint32_t base, unsigned int n, ...)
{
	struct tcp_seen s;
	va_list ap;

	expect_keep(c, TH_ACK, c->iss + 1, ack, NULL, 0, &s);
	if (s.nsack != n) {
		unsigned int got = s.nsack;
		tcp_seen_free(&s);
		fail_msg("%u SACK blocks, want %u", got, n);
	}
	va_start(ap, n);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t a = base + va_arg(ap, uint32_t), b = base + va_arg(ap, uint32_t);
		if (s.sack[i][0] != a || s.sack[i][1] != b) {
			uint32_t ga = s.sack[i][0] - base, gb = s.sack[i][1] - base;
			va_end(ap);
			tcp_seen_free(&s);
			fail_msg("block %u is %u-%u, want %u-%u (relative)", i, ga, gb, a - base, b - base);
		}
	}
	va_end(ap);
	tcp_seen_free(&s);
}

/* The SYN-ACK of an active open said SACK-permitted: it is on. */
static void test_sack_negotiated(void **state)
{
	struct env *e = *state;
	struct conn c, d;

	conn_connect(e, &c, &SACK);
	assert_true(tpof(&c)->sack_ok);
	conn_connect(e, &d, &PLAIN);
	assert_false(tpof(&d)->sack_ok);
	conn_free(&c);
	conn_free(&d);
}

/* Blocks for out-of-order runs, newest first, merging, cut as rcv_nxt
 * moves; the holes filled, no block. */
static void test_sack_blocks(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint32_t s0;

	conn_connect(e, &c, &SACK);
	fill_pattern(ppat, 8000, 7);
	s0 = c.snd;
	inject(&c, s0 + 1000, c.ack, TH_ACK, ppat + 1000, 1000);
	expect_sack(&c, s0, s0, 1, 1000, 2000);
	inject(&c, s0 + 3000, c.ack, TH_ACK, ppat + 3000, 1000);
	expect_sack(&c, s0, s0, 2, 3000, 4000, 1000, 2000);
	/* the run between them: one block */
	inject(&c, s0 + 2000, c.ack, TH_ACK, ppat + 2000, 1000);
	expect_sack(&c, s0, s0, 1, 1000, 4000);
	inject(&c, s0 + 5000, c.ack, TH_ACK, ppat + 5000, 1000);
	expect_sack(&c, s0, s0, 2, 5000, 6000, 1000, 4000);
	/* a segment that extends the older block: it becomes the first */
	inject(&c, s0 + 4000, c.ack, TH_ACK, ppat + 4000, 500);
	expect_sack(&c, s0, s0, 2, 1000, 4500, 5000, 6000);
	/* the first hole: rcv_nxt to 4500, the block behind it gone */
	inject(&c, s0, c.ack, TH_ACK, ppat, 1000);
	expect_sack(&c, s0 + 4500, s0, 1, 5000, 6000);
	/* the last hole: all in order, no block */
	inject(&c, s0 + 4500, c.ack, TH_ACK, ppat + 4500, 500);
	expect_sack(&c, s0 + 6000, s0, 0);
	expect_none(&c);
	/* and a segment of the first hole again: a D-SACK */
	inject(&c, s0, c.ack, TH_ACK | TH_PSH, ppat, 1000);
	expect_sack(&c, s0 + 6000, s0, 1, 0, 1000);
	c.snd = s0 + 6000;
	read_expect(&c, ppat, 6000);
	assert_int_equal(tpof(&c)->nsack, 0);
	conn_free(&c);
}

/* RFC 2883: a segment received twice is the first block of the next ACK,
 * below the ACK number when it was old, before the block that holds it
 * when it was out of order; the ACK after that has no D-SACK. */
static void test_dsack(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint32_t s0;

	conn_connect(e, &c, &SACK);
	fill_pattern(ppat, 8000, 8);
	s0 = c.snd;
	peer_send(&c, TH_PSH, ppat, 1000);
	net_advance(&e->net, e->net.now + 40 * MS);
	expect_sack(&c, s0 + 1000, s0, 0);		/* the delayed ACK */
	/* the same segment again: old, D-SACKed at once */
	inject(&c, s0, c.ack, TH_ACK, ppat, 1000);
	expect_sack(&c, s0 + 1000, s0, 1, 0, 1000);
	/* partly old: its old part is the D-SACK */
	inject(&c, s0 + 500, c.ack, TH_ACK, ppat + 500, 1000);
	c.snd = s0 + 1500;
	net_advance(&e->net, e->net.now + 40 * MS);
	expect_sack(&c, s0 + 1500, s0, 1, 500, 1000);
	/* out of order, twice */
	inject(&c, s0 + 2500, c.ack, TH_ACK, ppat + 2500, 1000);
	expect_sack(&c, s0 + 1500, s0, 1, 2500, 3500);
	inject(&c, s0 + 2500, c.ack, TH_ACK, ppat + 2500, 1000);
	expect_sack(&c, s0 + 1500, s0, 2, 2500, 3500, 2500, 3500);
	/* a new out-of-order segment: no D-SACK any more */
	inject(&c, s0 + 4000, c.ack, TH_ACK, ppat + 4000, 500);
	expect_sack(&c, s0 + 1500, s0, 2, 4000, 4500, 2500, 3500);
	expect_none(&c);
	conn_free(&c);
}

/* With timestamps, three blocks fit (40 bytes of options); the oldest
 * are left out. */
static void test_sack_room_with_timestamps(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tcp_seen s;
	uint32_t s0;

	conn_connect(e, &c, &SACK_TS);
	fill_pattern(ppat, 12000, 9);
	s0 = c.snd;
	for (uint32_t k = 1; k <= 4; k++) {
		inject(&c, s0 + 2000 * k, c.ack, TH_ACK, ppat + 2000 * k, 1000);
		expect_keep(&c, TH_ACK, c.iss + 1, s0, NULL, 0, &s);
		assert_int_equal(s.nsack, k < 3 ? k : 3);
		assert_int_equal(s.sack[0][0], s0 + 2000 * k);	/* the newest first */
		assert_int_equal(s.sack[0][1], s0 + 2000 * k + 1000);
		if (k == 4) {
			assert_int_equal(s.hlen, 60);	/* 20 + TS 12 + SACK 4 + 3 x 8 */
			assert_int_equal(s.sack[2][0], s0 + 4000);
		}
		tcp_seen_free(&s);
	}
	assert_int_equal(tpof(&c)->nsack, 4);		/* all four are kept */
	conn_free(&c);
}

/* A peer that did not permit SACK gets plain duplicate ACKs. */
static void test_no_sack_unless_permitted(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint32_t s0;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(ppat, 4000, 10);
	s0 = c.snd;
	inject(&c, s0 + 1000, c.ack, TH_ACK, ppat + 1000, 1000);
	expect_sack(&c, s0, s0, 0);
	inject(&c, s0 + 1000, c.ack, TH_ACK, ppat + 1000, 1000);
	expect_sack(&c, s0, s0, 0);
	assert_int_equal(tpof(&c)->nsack, 0);
	conn_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_sack_negotiated),
		TCP_TEST(test_sack_blocks),
		TCP_TEST(test_dsack),
		TCP_TEST(test_sack_room_with_timestamps),
		TCP_TEST(test_no_sack_unless_permitted),
	};
	return cmocka_run_group_tests_name("tcp_sack", tests, NULL, NULL);
}
