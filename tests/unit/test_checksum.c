/* The Internet checksum (RFC 1071), against known values and a naive
 * reference.  Values are compared in network order (ntohs of what the
 * stack stores), so the tests mean the same on any host. */
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

/* The RFC's definition, one big-endian 16-bit word at a time: the
 * complemented ones' complement sum, as the value on the wire. */
static uint16_t ref_csum_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (n & 1) {
		sum += (uint32_t)p[n - 1] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	return ref_csum_sum(p, n, 0);
}

/* The wire value of the stack's checksum over a buffer. */
static uint16_t wire_csum(const void *p, size_t n)
{
	return ntohs(ip_compute_csum(p, n));
}

/* RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2, checksum 220d. */
static void test_rfc1071_example(void **state)
{
	uint8_t b[10] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint32_t sum = csum_partial(b, 8, 0);

	assert_int_equal(ntohs((uint16_t)~csum_fold(sum)), 0xddf2);
	assert_int_equal(wire_csum(b, 8), 0x220d);
	/* With the checksum appended, the whole sums to zero. */
	b[8] = 0x22;
	b[9] = 0x0d;
	assert_int_equal(ip_compute_csum(b, 10), 0);
	/* The reference agrees. */
	assert_int_equal(ref_csum(b, 8), 0x220d);
}

/* A classic IPv4 header (Wikipedia's example): checksum b861. */
static void test_ipv4_header_example(void **state)
{
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	assert_int_equal(wire_csum(h, 20), 0xb861);
	h[10] = 0xb8;
	h[11] = 0x61;
	assert_int_equal(ip_compute_csum(h, 20), 0);
	struct iphdr *iph = (struct iphdr *)h;
	iph->check = 0x5555;
	ip_send_check(iph);
	assert_int_equal(ntohs(iph->check), 0xb861);
}

static void test_odd_lengths(void **state)
{
	const uint8_t one[1] = { 0x01 };
	const uint8_t three[3] = { 0x00, 0x01, 0xf2 };
	const uint8_t nine[9] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0xab };

	/* The odd byte is the high byte of a word padded with zero. */
	assert_int_equal(wire_csum(one, 1), 0xfeff);
	assert_int_equal(wire_csum(three, 3), 0x0dfe);
	/* ddf2 + ab00 = 188f2 -> 88f3 -> 770c */
	assert_int_equal(wire_csum(nine, 9), 0x770c);
	assert_int_equal(wire_csum(nine, 0), 0xffff);
}

static void test_zeros_and_ones(void **state)
{
	uint8_t buf[1501];

	memset(buf, 0, sizeof(buf));
	for (size_t n = 0; n <= sizeof(buf); n += (n < 40 ? 1 : 97))
		assert_int_equal(wire_csum(buf, n), 0xffff);
	memset(buf, 0xff, sizeof(buf));
	/* Even lengths: the sum is ffff ("negative zero"), the checksum 0. */
	for (size_t n = 2; n <= 1500; n += 2)
		assert_int_equal(wire_csum(buf, n), 0x0000);
	/* Odd: plus ff00 gives ff00, the checksum 00ff. */
	for (size_t n = 1; n <= 1501; n += 2)
		assert_int_equal(wire_csum(buf, n), 0x00ff);
}

/* A buffer far larger than a packet stresses the deferred carries. */
static void test_large_buffer(void **state)
{
	size_t n = 1u << 20;
	uint8_t *buf = malloc(n + 1);

	memset(buf, 0xff, n + 1);
	assert_int_equal(wire_csum(buf, n), 0x0000);
	assert_int_equal(wire_csum(buf, n + 1), ref_csum(buf, n + 1));
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(0xf0 + (i % 16));
	assert_int_equal(wire_csum(buf, n), ref_csum(buf, n));
	free(buf);
}

static void test_random_vs_reference(void **state)
{
	uint64_t rs = 0x1234567;
	uint8_t *buf = malloc(4096 + 8);

	for (int iter = 0; iter < 3000; iter++) {
		size_t len = (size_t)(xrand(&rs) % 3000);
		size_t align = (size_t)(xrand(&rs) % 8);
		uint8_t *p = buf + align;
		int kind = (int)(xrand(&rs) % 4);

		for (size_t i = 0; i < len; i++) {
			uint8_t v = (uint8_t)xrand(&rs);
			p[i] = kind == 0 ? v : kind == 1 ? (uint8_t)(v | 0xf0) : kind == 2 ? 0xff : (uint8_t)(v & 1);
		}
		if (wire_csum(p, len) != ref_csum(p, len))
			fail_msg("len %zu align %zu kind %d: got %04x want %04x", len, align, kind,
				 wire_csum(p, len), ref_csum(p, len));
	}
	free(buf);
}

/* Summing pieces (all but the last of even length) equals summing the whole,
 * also from a non-zero starting sum. */
static void test_pieces_equal_whole(void **state)
{
	uint64_t rs = 99;
	uint8_t buf[2000];

	for (int iter = 0; iter < 2000; iter++) {
		size_t len = (size_t)(xrand(&rs) % sizeof(buf));
		uint32_t start = (uint32_t)(xrand(&rs) % 3 == 0 ? xrand(&rs) & 0xffffff : 0);
		uint32_t sum = start;
		size_t off = 0;

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)xrand(&rs);
		while (off < len) {
			size_t piece = (size_t)(xrand(&rs) % 200) & ~(size_t)1;
			if (off + piece > len || xrand(&rs) % 8 == 0)
				piece = len - off;	/* the last piece may be odd */
			sum = csum_partial(buf + off, piece, sum);
			off += piece;
		}
		assert_int_equal(csum_fold(sum), csum_fold(csum_partial(buf, len, start)));
		/* And the starting sum counts as one more word, as the RFC adds it. */
		if (!start)
			assert_int_equal(ntohs(csum_fold(sum)), ref_csum(buf, len));
	}
}

static void test_fold(void **state)
{
	assert_int_equal(csum_fold(0), 0xffff);
	assert_int_equal(csum_fold(0xffff), 0x0000);
	assert_int_equal(csum_fold(0x10000), 0xfffe);
	assert_int_equal(csum_fold(0xffffffffu), 0x0000);	/* ffff+ffff=1fffe -> ffff */
	assert_int_equal(csum_fold(0x0001fffe), 0x0000);
	assert_int_equal(csum_fold(0x12345678), (uint16_t)~(0x1234 + 0x5678));
}

/* The pseudo-header of RFC 768/793: saddr, daddr, zero, proto, length. */
static void test_pseudo_header(void **state)
{
	uint32_t s = csum_tcpudp_nofold(ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), 0x1c, IPPROTO_UDP, 0);

	/* 0a00 + 0001 + 0a00 + 0002 + 0011 + 001c = 1430 */
	assert_int_equal(ntohs((uint16_t)~csum_fold(s)), 0x1430);

	/* A whole UDP datagram, against the reference over explicit bytes. */
	uint64_t rs = 7;
	for (int iter = 0; iter < 500; iter++) {
		uint8_t ph[12 + 1500];
		size_t len = 8 + (size_t)(xrand(&rs) % 1400);
		uint32_t sa = (uint32_t)xrand(&rs), da = (uint32_t)xrand(&rs);
		uint8_t proto = iter & 1 ? IPPROTO_TCP : IPPROTO_UDP;

		memcpy(ph, &sa, 4);
		memcpy(ph + 4, &da, 4);
		ph[8] = 0;
		ph[9] = proto;
		ph[10] = (uint8_t)(len >> 8);
		ph[11] = (uint8_t)len;
		for (size_t i = 0; i < len; i++)
			ph[12 + i] = (uint8_t)xrand(&rs);
		uint32_t sum = csum_tcpudp_nofold(sa, da, (uint32_t)len, proto,
						  csum_partial(ph + 12, len, 0));
		assert_int_equal(ntohs(csum_fold(sum)), ref_csum(ph, 12 + len));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_ipv4_header_example),
		cmocka_unit_test(test_odd_lengths),
		cmocka_unit_test(test_zeros_and_ones),
		cmocka_unit_test(test_large_buffer),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_pieces_equal_whole),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_pseudo_header),
	};
	return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
