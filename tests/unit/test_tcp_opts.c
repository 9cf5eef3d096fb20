/* TCP's pure parts: option parsing on crafted bytes (each header in a heap
 * block of exactly its length, so that valgrind sees any read past it),
 * sequence arithmetic across 2^32, the byte ring across its end, and ISNs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sock.h"

/* parse runs tcp_parse_options on a header of 20 + olen bytes holding the
 * olen option bytes given, in a block of exactly that size.  opt starts
 * full of garbage: the parser must clear what it does not see. */
static int parse(const void *opts, size_t olen, bool syn, struct tcp_options *opt)
{
	size_t hlen = 20 + olen;
	uint8_t *h = malloc(hlen);
	int r;

	assert_non_null(h);
	memset(h, 0, 20);
	h[12] = (uint8_t)(((hlen + 3) / 4) << 4);
	h[13] = syn ? TH_SYN : TH_ACK;
	if (olen)
		memcpy(h + 20, opts, olen);
	memset(opt, 0xa5, sizeof(*opt));
	r = tcp_parse_options((const struct tcphdr *)h, (unsigned int)hlen, syn, opt);
	free(h);
	return r;
}

static void assert_nothing_seen(const struct tcp_options *o)
{
	assert_false(o->saw_mss);
	assert_false(o->saw_wscale);
	assert_false(o->saw_tstamp);
	assert_false(o->saw_sackok);
}

static void test_each_option_exact(void **state)
{
	struct tcp_options o;
	(void)state;

	{
		static const uint8_t b[] = { 2, 4, 0x05, 0xb4 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_true(o.saw_mss);
		assert_int_equal(o.mss, 1460);
		assert_false(o.saw_wscale);
		assert_false(o.saw_tstamp);
		assert_false(o.saw_sackok);
	}
	{
		static const uint8_t b[] = { 2, 4, 0xff, 0xff };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_int_equal(o.mss, 65535);
	}
	{
		static const uint8_t b[] = { 1, 3, 3, 7 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_true(o.saw_wscale);
		assert_int_equal(o.wscale, 7);
		assert_false(o.saw_mss);
		assert_false(o.saw_tstamp);
		assert_false(o.saw_sackok);
	}
	{
		static const uint8_t b[] = { 1, 3, 3, 0 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_true(o.saw_wscale);
		assert_int_equal(o.wscale, 0);
	}
	{
		static const uint8_t b[] = { 4, 2, 1, 1 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_true(o.saw_sackok);
		assert_false(o.saw_mss);
		assert_false(o.saw_wscale);
		assert_false(o.saw_tstamp);
	}
	{
		static const uint8_t b[] = { 1, 1, 8, 10, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
		assert_int_equal(parse(b, sizeof(b), false, &o), 0);
		assert_true(o.saw_tstamp);
		assert_int_equal(o.tsval, 0x12345678);
		assert_int_equal(o.tsecr, 0x9abcdef0);
		assert_false(o.saw_mss);
		assert_false(o.saw_wscale);
		assert_false(o.saw_sackok);
	}
	/* Linux's SYN, byte for byte: MSS, SACK-permitted, TS, NOP, WS. */
	{
		static const uint8_t b[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0x30, 0x39,
					     0, 0, 0, 0, 1, 3, 3, 7 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_true(o.saw_mss);
		assert_int_equal(o.mss, 1460);
		assert_true(o.saw_sackok);
		assert_true(o.saw_tstamp);
		assert_int_equal(o.tsval, 12345);
		assert_int_equal(o.tsecr, 0);
		assert_true(o.saw_wscale);
		assert_int_equal(o.wscale, 7);
	}
	/* Options in any order, EOL padding at the end. */
	{
		static const uint8_t b[] = { 3, 3, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 2, 4, 1, 0x00, 0, 0, 0 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_int_equal(o.wscale, 2);
		assert_int_equal(o.tsval, 1);
		assert_int_equal(o.tsecr, 2);
		assert_int_equal(o.mss, 0x0100);
	}
}

/* MSS, window scale and SACK-permitted mean something only on a SYN
 * (RFC 9293 §3.2, RFC 7323 §2.2); timestamps on every segment. */
static void test_syn_only_options(void **state)
{
	static const uint8_t b[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 1, 3, 3, 7 };
	struct tcp_options o;
	(void)state;

	assert_int_equal(parse(b, sizeof(b), false, &o), 0);
	assert_false(o.saw_mss);
	assert_false(o.saw_wscale);
	assert_false(o.saw_sackok);
	assert_true(o.saw_tstamp);
	assert_int_equal(o.tsval, 5);
	assert_int_equal(o.tsecr, 6);
	/* the values themselves are not taken either */
	assert_int_equal(o.mss, 0);
	assert_int_equal(o.wscale, 0);
}

/* Window scale above 14 is taken as 14 (RFC 7323 §2.3). */
static void test_wscale_clamped(void **state)
{
	static const uint8_t shifts[][2] = { { 13, 13 }, { 14, 14 }, { 15, 14 }, { 16, 14 },
					     { 100, 14 }, { 255, 14 } };
	struct tcp_options o;
	(void)state;

	for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++) {
		uint8_t b[4] = { 3, 3, shifts[i][0], 0 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_true(o.saw_wscale);
		if (o.wscale != shifts[i][1])
			fail_msg("wscale %u parsed as %u, want %u", shifts[i][0], o.wscale, shifts[i][1]);
	}
}

/* Malformed lists: -1, and never a read past the header (the header is a
 * heap block of exactly its size: run this under valgrind). */
static void test_truncated_options(void **state)
{
	struct tcp_options o;
	(void)state;

	/* a kind with no length byte: the last byte of the header */
	{
		static const uint8_t b[] = { 2 };
		assert_int_equal(parse(b, 1, true, &o), -1);
		assert_false(o.saw_mss);
	}
	{
		static const uint8_t b[] = { 1, 1, 1, 8 };
		assert_int_equal(parse(b, 4, false, &o), -1);
		assert_false(o.saw_tstamp);
	}
	{
		static const uint8_t b[] = { 99 };
		assert_int_equal(parse(b, 1, true, &o), -1);
	}
	/* a length past the end */
	{
		static const uint8_t b[] = { 2, 8, 0x05, 0xb4 };
		assert_int_equal(parse(b, sizeof(b), true, &o), -1);
		assert_false(o.saw_mss);
	}
	{
		static const uint8_t b[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0 };	/* TS one byte short */
		assert_int_equal(parse(b, sizeof(b), false, &o), -1);
		assert_false(o.saw_tstamp);
	}
	{
		static const uint8_t b[] = { 99, 255, 0, 0 };
		assert_int_equal(parse(b, sizeof(b), true, &o), -1);
	}
	/* length 0 and 1: would loop for ever or step back */
	{
		static const uint8_t b[] = { 8, 0, 0, 0 };
		assert_int_equal(parse(b, sizeof(b), false, &o), -1);
	}
	{
		static const uint8_t b[] = { 3, 1, 7, 0 };
		assert_int_equal(parse(b, sizeof(b), true, &o), -1);
		assert_false(o.saw_wscale);
	}
	{
		static const uint8_t b[] = { 99, 0 };
		assert_int_equal(parse(b, sizeof(b), true, &o), -1);
	}
	{
		static const uint8_t b[] = { 2, 1 };
		assert_int_equal(parse(b, sizeof(b), true, &o), -1);
	}
	/* What came before the bad option stands. */
	{
		static const uint8_t b[] = { 2, 4, 0x02, 0x18, 3, 0, 0, 0 };
		assert_int_equal(parse(b, sizeof(b), true, &o), -1);
		assert_true(o.saw_mss);
		assert_int_equal(o.mss, 536);
		assert_false(o.saw_wscale);
	}
}

static void test_empty_and_long_lists(void **state)
{
	uint8_t b[40];
	struct tcp_options o;
	(void)state;

	/* no options at all */
	assert_int_equal(parse(NULL, 0, true, &o), 0);
	assert_nothing_seen(&o);
	assert_int_equal(o.mss, 0);
	assert_int_equal(o.wscale, 0);
	assert_int_equal(o.tsval, 0);
	assert_int_equal(o.tsecr, 0);
	/* the longest header: 40 bytes of NOPs */
	memset(b, 1, sizeof(b));
	assert_int_equal(parse(b, 40, true, &o), 0);
	assert_nothing_seen(&o);
	/* 40 bytes of EOL */
	memset(b, 0, sizeof(b));
	assert_int_equal(parse(b, 40, true, &o), 0);
	assert_nothing_seen(&o);
	/* NOPs, and an MSS in the last four bytes */
	memset(b, 1, sizeof(b));
	b[36] = 2, b[37] = 4, b[38] = 0x05, b[39] = 0xb4;
	assert_int_equal(parse(b, 40, true, &o), 0);
	assert_true(o.saw_mss);
	assert_int_equal(o.mss, 1460);
	/* one NOP fewer in front: the MSS needs a byte past the header */
	memset(b, 1, sizeof(b));
	b[37] = 2, b[38] = 4, b[39] = 0x05;
	assert_int_equal(parse(b, 40, true, &o), -1);
	assert_false(o.saw_mss);
	/* a TS in the last 10 bytes */
	memset(b, 1, sizeof(b));
	memcpy(b + 30, (const uint8_t[]){ 8, 10, 0, 0, 0, 9, 0, 0, 0, 8 }, 10);
	assert_int_equal(parse(b, 40, false, &o), 0);
	assert_true(o.saw_tstamp);
	assert_int_equal(o.tsval, 9);
	assert_int_equal(o.tsecr, 8);
	/* one option filling all 40 bytes, unknown: skipped */
	memset(b, 0xee, sizeof(b));
	b[0] = 200, b[1] = 40;
	assert_int_equal(parse(b, 40, true, &o), 0);
	assert_nothing_seen(&o);
}

static void test_unknown_and_eol(void **state)
{
	struct tcp_options o;
	(void)state;

	/* unknown kinds are skipped by their length, whatever they hold */
	{
		static const uint8_t b[] = { 99, 6, 2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x00, 1, 1 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_true(o.saw_mss);
		assert_int_equal(o.mss, 512);	/* not the 1460 inside the unknown option */
	}
	{
		static const uint8_t b[] = { 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 2, 3, 3, 4, 1 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);	/* SACK blocks, MPTCP(30) */
		assert_true(o.saw_wscale);
		assert_int_equal(o.wscale, 4);
	}
	/* known kinds with a wrong length are skipped, not believed */
	{
		static const uint8_t b[] = { 2, 3, 5, 2, 6, 5, 5, 5, 5, 8, 6, 1, 2, 3, 4, 3, 4, 9, 9, 1 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_nothing_seen(&o);
	}
	{
		static const uint8_t b[] = { 4, 3, 0, 1 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_false(o.saw_sackok);
	}
	/* EOL ends the list: nothing after it counts, even garbage */
	{
		static const uint8_t b[] = { 0, 2, 4, 0x05, 0xb4, 1, 1, 1 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_false(o.saw_mss);
	}
	{
		static const uint8_t b[] = { 1, 3, 3, 5, 0, 2, 99, 7 };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
		assert_true(o.saw_wscale);
		assert_int_equal(o.wscale, 5);
		assert_false(o.saw_mss);
	}
	{
		static const uint8_t b[] = { 0, 0xff, 0xff, 0xff };
		assert_int_equal(parse(b, sizeof(b), true, &o), 0);
	}
}

/* Sequence numbers compare modulo 2^32 (RFC 9293 §3.4). */
static void test_seq_arithmetic(void **state)
{
	(void)state;

	assert_true(before(0xfffffff0u, 0x10));
	assert_false(after(0xfffffff0u, 0x10));
	assert_true(after(0x10, 0xfffffff0u));
	assert_false(before(0x10, 0xfffffff0u));
	assert_true(before(0xffffffffu, 0));
	assert_true(after(0, 0xffffffffu));
	assert_false(before(5, 5));
	assert_false(after(5, 5));
	assert_true(before(1, 2));
	assert_true(after(2, 1));
	assert_true(before(0, 0x7fffffffu));
	assert_true(after(0x7fffffffu, 0));
	assert_true(before(0x80000000u, 0xffffffffu));
	assert_true(after(0x00000001u, 0x80000002u));	/* 2^31 - 1 ahead, across the wrap */

	/* between(lo, x, hi): lo <= x <= hi on the circle */
	assert_true(between(0xfffffff0u, 0x5, 0x10));
	assert_true(between(0xfffffff0u, 0xfffffff0u, 0x10));
	assert_true(between(0xfffffff0u, 0x10, 0x10));
	assert_true(between(0xfffffff0u, 0xffffffffu, 0x10));
	assert_true(between(0xfffffff0u, 0, 0x10));
	assert_false(between(0xfffffff0u, 0xffffffefu, 0x10));
	assert_false(between(0xfffffff0u, 0x11, 0x10));
	assert_false(between(0xfffffff0u, 0x80000000u, 0x10));
	assert_true(between(7, 7, 7));
	assert_false(between(7, 8, 7));
	assert_true(between(100, 150, 200));
	assert_false(between(100, 99, 200));
	assert_false(between(100, 201, 200));
}

static void ring_expect(const struct byte_ring *r, uint32_t off, const uint8_t *want, uint32_t len)
{
	uint8_t *got = malloc(len ? len : 1);

	assert_non_null(got);
	bring_copy_out(r, off, got, len);
	assert_memory_equal(got, want, len);
	free(got);
}

static void test_byte_ring_wrap(void **state)
{
	struct byte_ring r;
	uint8_t d[64], all[64];
	(void)state;

	fill_pattern(d, sizeof(d), 3);
	assert_int_equal(bring_init(&r, 16, NULL), 0);
	assert_int_equal(r.cap, 16);
	assert_int_equal(bring_space(&r), 16);
	assert_int_equal(bring_write(&r, d, 0), 0);
	assert_int_equal(r.len, 0);

	/* 10 in, 6 out: the data sits at 6..9 */
	assert_int_equal(bring_write(&r, d, 10), 10);
	ring_expect(&r, 0, d, 10);
	bring_consume(&r, 6);
	assert_int_equal(r.len, 4);
	assert_int_equal(r.head, 6);
	ring_expect(&r, 0, d + 6, 4);
	/* 10 more: 6 to the end of the buffer, 4 wrapped to its start */
	assert_int_equal(bring_write(&r, d + 10, 10), 10);
	assert_int_equal(r.len, 14);
	assert_int_equal(bring_space(&r), 2);
	ring_expect(&r, 0, d + 6, 14);
	/* a copy from inside, across the end */
	ring_expect(&r, 5, d + 11, 9);
	ring_expect(&r, 9, d + 15, 5);	/* the last byte before the end, then the wrapped part */
	ring_expect(&r, 10, d + 16, 4);	/* entirely in the wrapped part */
	ring_expect(&r, 14, d + 20, 0);
	/* full: only what fits is taken */
	assert_int_equal(bring_write(&r, d + 20, 5), 2);
	assert_int_equal(r.len, 16);
	assert_int_equal(bring_space(&r), 0);
	assert_int_equal(bring_write(&r, d + 22, 1), 0);
	ring_expect(&r, 0, d + 6, 16);
	/* consume across the end */
	bring_consume(&r, 12);	/* head 6 + 12 = 18 -> 2 */
	assert_int_equal(r.head, 2);
	assert_int_equal(r.len, 4);
	ring_expect(&r, 0, d + 18, 4);
	/* emptied: the head goes back to 0 */
	bring_consume(&r, 4);
	assert_int_equal(r.len, 0);
	assert_int_equal(r.head, 0);
	assert_int_equal(bring_write(&r, d, 16), 16);
	ring_expect(&r, 0, d, 16);
	bring_free(&r);
	assert_null(r.buf);
	assert_int_equal(r.cap, 0);

	/* Many rounds of odd-sized writes and reads against a model. */
	assert_int_equal(bring_init(&r, 37, NULL), 0);
	{
		uint64_t rng = 99;
		uint32_t in = 0, out = 0;	/* stream offsets */
		uint8_t stream[4096];

		fill_pattern(stream, sizeof(stream), 11);
		while (in < sizeof(stream) - 64) {
			uint32_t w = (uint32_t)(xrand(&rng) % 30), c;
			uint32_t got = bring_write(&r, stream + in, w);
			assert_int_equal(got, w < 37 - (in - out) ? w : 37 - (in - out));
			in += got;
			assert_int_equal(r.len, in - out);
			ring_expect(&r, 0, stream + out, r.len);
			c = (uint32_t)(xrand(&rng) % (r.len + 1));
			if (c) {
				memcpy(all, stream + out, c);
				ring_expect(&r, 0, all, c);
			}
			bring_consume(&r, c);
			out += c;
		}
	}
	bring_free(&r);
}

/* RFC 6528: ISN = M + F(4-tuple, key), M a 4 µs clock. */
static void test_isn(void **state)
{
	struct env *e = *state;
	struct net *net = &e->net;
	uint32_t a = OUR_IP, b = PEER_IP;
	uint16_t p1 = htons(5000), p2 = htons(80);
	uint32_t base = tcp_isn(net, a, p1, b, p2);
	uint32_t others[] = {
		tcp_isn(net, a, htons(5001), b, p2),
		tcp_isn(net, a, p1, b, htons(81)),
		tcp_isn(net, a, p1, OTHER_IP, p2),
		tcp_isn(net, OTHER_IP, p1, b, p2),
		tcp_isn(net, b, p2, a, p1),	/* the same connection from the other end */
		tcp_isn(net, a, p2, b, p1),	/* ports swapped */
	};

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (others[i] == base)
			fail_msg("tuple %zu has the same ISN %08x", i, base);
		for (size_t j = 0; j < i; j++)
			if (others[i] == others[j])
				fail_msg("tuples %zu and %zu have the same ISN %08x", i, j, base);
	}
	/* the same tuple at the same time: the same ISN */
	assert_int_equal(tcp_isn(net, a, p1, b, p2), base);
	/* the clock: one per 4 µs */
	net_advance(net, net->now + 4);
	assert_int_equal(tcp_isn(net, a, p1, b, p2), base + 1);
	net_advance(net, net->now + 4000);
	assert_int_equal(tcp_isn(net, a, p1, b, p2), base + 1001);
	net_advance(net, net->now + 4 * SEC);
	assert_int_equal(tcp_isn(net, a, p1, b, p2), base + 1001 + 1000000);
	/* other tuples advance at the same rate */
	assert_int_equal(tcp_isn(net, a, htons(5001), b, p2), others[0] + 1001 + 1000000);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_option_exact),
		cmocka_unit_test(test_syn_only_options),
		cmocka_unit_test(test_wscale_clamped),
		cmocka_unit_test(test_truncated_options),
		cmocka_unit_test(test_empty_and_long_lists),
		cmocka_unit_test(test_unknown_and_eol),
		cmocka_unit_test(test_seq_arithmetic),
		cmocka_unit_test(test_byte_ring_wrap),
		T(test_isn),
	};
	return cmocka_run_group_tests_name("tcp_opts", tests, NULL, NULL);
}
