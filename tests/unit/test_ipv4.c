/* IPv4 input: every check a host makes, each drop with its own counter and
 * nothing sent; what passes is delivered. */
#include <stdio.h>
#include <string.h>

#include "testlib.h"

static uint8_t f[ETH_HLEN + 65536];

/* The base packet: an echo request from PEER with 8 bytes of data, which
 * the stack answers when nothing is wrong with it.  IP length 36. */
static size_t base(void)
{
	return echo_build(f, PEER_MAC, PEER_IP, OUR_IP, 1, 1, "abcdefgh", 8);
}

static void expect_drop(struct env *e, size_t n, const char *counters)
{
	char spec[256];
	struct snap s;

	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snprintf(spec, sizeof(spec), "dev.RxFrames=1 dev.RxBytes=%zu %s", n, counters);
	snap_expect(&s, &e->net, e->dev, spec);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.backlog.qlen, 0);
}

/* The base packet is answered: a check that the drops below are due to the
 * one thing each test changes. */
static void test_base_is_answered(void **state)
{
	struct env *e = *state;
	struct snap s;
	struct rx rx;
	size_t n = base();

	assert_int_equal(n, ETH_HLEN + 36);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=50 ip.InReceives=1 ip.InDelivers=1 ip.OutRequests=1 "
		    "icmp.InMsgs=1 icmp.InEchos=1 icmp.OutMsgs=1 icmp.OutEchoReps=1 "
		    "dev.TxFrames=1 dev.TxBytes=50");
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHOREPLY, 0);
	rx_free(&rx);
}

static void test_runt_frame(void **state)
{
	struct env *e = *state;

	base();
	expect_drop(e, ETH_HLEN - 1, "dev.RxRunts=1");
	expect_drop(e, 1, "dev.RxRunts=1");
	expect_drop(e, 0, "dev.RxRunts=1");
}

static void test_not_our_mac_or_type(void **state)
{
	struct env *e = *state;
	size_t n = base();

	memcpy(f, OTHER_MAC, ETH_ALEN);
	expect_drop(e, n, "dev.RxOtherHost=1");
	n = base();
	((struct ethhdr *)f)->h_proto = htons(0x86dd);
	expect_drop(e, n, "dev.RxUnknownType=1");
}

static void test_ip_too_short(void **state)
{
	struct env *e = *state;

	base();
	expect_drop(e, ETH_HLEN + 19, "ip.InReceives=1 ip.InTruncated=1 ip.InHdrErrors=1");
	expect_drop(e, ETH_HLEN, "ip.InReceives=1 ip.InTruncated=1 ip.InHdrErrors=1");
}

static void test_bad_version(void **state)
{
	struct env *e = *state;
	size_t n = base();

	frame_ip(f)->ver_ihl = 0x65;
	ip_fix_csum(f);
	expect_drop(e, n, "ip.InReceives=1 ip.InBadVersion=1 ip.InHdrErrors=1");
	n = base();
	frame_ip(f)->ver_ihl = 0x05;
	ip_fix_csum(f);
	expect_drop(e, n, "ip.InReceives=1 ip.InBadVersion=1 ip.InHdrErrors=1");
}

static void test_bad_ihl(void **state)
{
	struct env *e = *state;
	size_t n = base();

	frame_ip(f)->ver_ihl = 0x44;
	expect_drop(e, n, "ip.InReceives=1 ip.InBadIHL=1 ip.InHdrErrors=1");
	n = base();
	frame_ip(f)->ver_ihl = 0x40;
	expect_drop(e, n, "ip.InReceives=1 ip.InBadIHL=1 ip.InHdrErrors=1");
}

static void test_ihl_past_packet(void **state)
{
	struct env *e = *state;
	size_t n = base();

	frame_ip(f)->ver_ihl = 0x4f;	/* 60 bytes of header in a 36-byte packet */
	expect_drop(e, n, "ip.InReceives=1 ip.InTruncated=1 ip.InHdrErrors=1");
}

static void test_bad_checksum(void **state)
{
	struct env *e = *state;
	size_t n = base();

	frame_ip(f)->check ^= htons(0x0100);
	expect_drop(e, n, "ip.InReceives=1 ip.InCsumErrors=1 ip.InHdrErrors=1");
	/* A changed field with the old checksum. */
	n = base();
	frame_ip(f)->ttl = 63;
	expect_drop(e, n, "ip.InReceives=1 ip.InCsumErrors=1 ip.InHdrErrors=1");
}

static void test_tot_len_below_ihl(void **state)
{
	struct env *e = *state;
	size_t n = base();

	frame_ip(f)->tot_len = htons(19);
	ip_fix_csum(f);
	expect_drop(e, n, "ip.InReceives=1 ip.InBadLength=1 ip.InHdrErrors=1");
	n = base();
	frame_ip(f)->tot_len = 0;
	ip_fix_csum(f);
	expect_drop(e, n, "ip.InReceives=1 ip.InBadLength=1 ip.InHdrErrors=1");
}

static void test_tot_len_past_frame(void **state)
{
	struct env *e = *state;
	size_t n = base();

	frame_ip(f)->tot_len = htons(37);
	ip_fix_csum(f);
	expect_drop(e, n, "ip.InReceives=1 ip.InTruncated=1 ip.InHdrErrors=1");
	n = base();
	frame_ip(f)->tot_len = htons(0xffff);
	ip_fix_csum(f);
	expect_drop(e, n, "ip.InReceives=1 ip.InTruncated=1 ip.InHdrErrors=1");
}

static void test_ttl_zero(void **state)
{
	struct env *e = *state;
	size_t n = base();

	frame_ip(f)->ttl = 0;
	ip_fix_csum(f);
	expect_drop(e, n, "ip.InReceives=1 ip.InTTLZero=1 ip.InHdrErrors=1");
}

static void test_martian_sources(void **state)
{
	const uint32_t bad[] = {
		ip4(127, 0, 0, 1), ip4(127, 1, 2, 3), ip4(224, 0, 0, 1), ip4(239, 255, 255, 250),
		ip4(240, 0, 0, 1), 0, 0xffffffffu, SUBNET_BCAST, OUR_IP,
	};
	struct env *e = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = base();
		char a[16];

		frame_ip(f)->saddr = bad[i];
		ip_fix_csum(f);
		print_message("source %s\n", inet_ntoa_r(bad[i], a));
		expect_drop(e, n, "ip.InReceives=1 ip.InMartians=1 ip.InAddrErrors=1");
	}
}

static void test_not_for_us(void **state)
{
	const uint32_t other[] = {
		ip4(10, 0, 0, 99), PEER_IP, ip4(8, 8, 8, 8), ip4(224, 0, 0, 1), ip4(10, 0, 0, 0),
		ip4(10, 0, 1, 255),
	};
	struct env *e = *state;

	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		size_t n = base();

		frame_ip(f)->daddr = other[i];
		ip_fix_csum(f);
		expect_drop(e, n, "ip.InReceives=1 ip.InNotForUs=1 ip.InAddrErrors=1");
	}
}

/* Ethernet pads short frames to 60 bytes: the IP length rules, and the
 * padding is neither echoed nor summed. */
static void test_ethernet_padding(void **state)
{
	struct env *e = *state;
	uint8_t want[8];
	struct snap s;
	struct rx rx;
	size_t n = echo_build(f, PEER_MAC, PEER_IP, OUR_IP, 0x1111, 2, NULL, 0);

	assert_int_equal(n, 42);
	memset(f + n, 0xa5, ETH_ZLEN - n);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, ETH_ZLEN);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=60 ip.InReceives=1 ip.InDelivers=1 ip.OutRequests=1 "
		    "icmp.InMsgs=1 icmp.InEchos=1 icmp.OutMsgs=1 icmp.OutEchoReps=1 "
		    "dev.TxFrames=1 dev.TxBytes=42");
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHOREPLY, 0);
	assert_int_equal(ntohs(rx.ip->tot_len), 28);
	assert_int_equal(rx.l4len, 8);
	icmp_build(want, ICMP_ECHOREPLY, 0, 0x1111, 2, NULL, 0);
	assert_memory_equal(rx.l4, want, 8);
	rx_free(&rx);
}

/* Options make a longer header; the payload starts after them. */
static void test_ip_options_accepted(void **state)
{
	struct env *e = *state;
	uint8_t msg[16], want[16];
	struct rx rx;
	size_t ml = icmp_build(msg, ICMP_ECHO, 0, 5, 6, "12345678", 8);
	struct iphdr *iph = frame_ip(f);

	eth_build(f, OUR_MAC, PEER_MAC, ETH_P_IP);
	memset(iph, 0, 24);
	iph->ver_ihl = 0x46;
	iph->tot_len = htons((uint16_t)(24 + ml));
	iph->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = PEER_IP;
	iph->daddr = OUR_IP;
	memset(f + ETH_HLEN + 20, 1, 4);	/* four NOP options */
	memcpy(f + ETH_HLEN + 24, msg, ml);
	ip_fix_csum(f);
	memdev_inject(e->dev, f, ETH_HLEN + 24 + ml);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHOREPLY, 0);
	assert_int_equal(rx.l4len, ml);
	icmp_build(want, ICMP_ECHOREPLY, 0, 5, 6, "12345678", 8);
	assert_memory_equal(rx.l4, want, ml);
	rx_free(&rx);
}

/* No handler for the protocol: ICMP protocol unreachable, quoting the
 * datagram (its header and what follows). */
static void test_unknown_protocol(void **state)
{
	struct env *e = *state;
	uint8_t payload[12];
	struct snap s;
	struct rx rx;
	size_t n;

	fill_pattern(payload, sizeof(payload), 1);
	n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, 253, payload, sizeof(payload));
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=46 ip.InReceives=1 ip.InUnknownProtos=1 "
		    "ip.OutRequests=1 icmp.OutMsgs=1 icmp.OutDestUnreachs=1 "
		    "dev.TxFrames=1 dev.TxBytes=74");
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH);
	assert_int_equal(rx.ip->saddr, OUR_IP);
	assert_int_equal(rx.ip->daddr, PEER_IP);
	assert_int_equal(rx.ip->ttl, 64);
	assert_int_equal(rx.ip->protocol, IPPROTO_ICMP);
	assert_int_equal(rx.ip->tos, 0xc0);	/* precedence internetwork control */
	assert_int_equal(rx.l4len, 8 + 32);
	assert_memory_equal(rx.l4 + 4, "\0\0\0\0", 4);	/* unused */
	assert_memory_equal(rx.l4 + 8, f + ETH_HLEN, 32);
	rx_free(&rx);
}

/* A long datagram is quoted only so far that the error fits in 576 bytes. */
static void test_unknown_protocol_long_quote(void **state)
{
	struct env *e = *state;
	uint8_t payload[1400];
	struct rx rx;
	size_t n;

	fill_pattern(payload, sizeof(payload), 2);
	n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, 200, payload, sizeof(payload));
	memdev_inject(e->dev, f, n);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH);
	assert_int_equal(ntohs(rx.ip->tot_len), 576);
	assert_int_equal(rx.l4len, 556);
	assert_memory_equal(rx.l4 + 8, f + ETH_HLEN, 548);
	rx_free(&rx);
}

static void test_broadcast_echo_not_answered(void **state)
{
	struct env *e = *state;
	size_t n;

	n = echo_build(f, PEER_MAC, PEER_IP, SUBNET_BCAST, 1, 1, "x", 1);
	memcpy(f, BCAST_MAC, ETH_ALEN);
	expect_drop(e, n, "ip.InReceives=1 ip.InDelivers=1 icmp.InMsgs=1 icmp.InEchos=1");
	n = echo_build(f, PEER_MAC, PEER_IP, 0xffffffffu, 1, 1, "x", 1);
	memcpy(f, BCAST_MAC, ETH_ALEN);
	expect_drop(e, n, "ip.InReceives=1 ip.InDelivers=1 icmp.InMsgs=1 icmp.InEchos=1");
	/* Broadcast IP in a unicast frame: still a broadcast. */
	n = echo_build(f, PEER_MAC, PEER_IP, SUBNET_BCAST, 1, 1, "x", 1);
	expect_drop(e, n, "ip.InReceives=1 ip.InDelivers=1 icmp.InMsgs=1 icmp.InEchos=1");
}

/* No ICMP error about a broadcast either. */
static void test_broadcast_unknown_protocol_silent(void **state)
{
	struct env *e = *state;
	size_t n = ip_build(f, PEER_MAC, PEER_IP, SUBNET_BCAST, 253, "abcd", 4);

	memcpy(f, BCAST_MAC, ETH_ALEN);
	expect_drop(e, n, "ip.InReceives=1 ip.InUnknownProtos=1");
}

/* To ourselves: through the backlog, where our own source is fine. */
static void test_to_self_via_backlog(void **state)
{
	struct env *e = *state;
	struct sk_buff *skb = ip_alloc_skb(8);
	struct snap s;

	memcpy(skb_put(skb, 8), "abcdefgh", 8);
	snap_take(&s, &e->net, e->dev);
	assert_int_equal(ip_build_xmit(&e->net, skb, 0, OUR_IP, 253, 64, 0, false), 0);
	snap_expect(&s, &e->net, e->dev, "ip.OutRequests=1");
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.backlog.qlen, 1);

	/* Received: protocol unreachable, to ourselves again, which the same
	 * backlog run receives as an error about one of our datagrams. */
	snap_take(&s, &e->net, e->dev);
	net_process_backlog(&e->net);
	snap_expect(&s, &e->net, e->dev,
		    "ip.InReceives=2 ip.InUnknownProtos=1 ip.OutRequests=1 icmp.OutMsgs=1 "
		    "icmp.OutDestUnreachs=1 ip.InDelivers=1 icmp.InMsgs=1 icmp.InDestUnreachs=1");
	assert_int_equal(e->net.backlog.qlen, 0);
	assert_int_equal(memdev_pending(e->dev), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_base_is_answered),
		T(test_runt_frame),
		T(test_not_our_mac_or_type),
		T(test_ip_too_short),
		T(test_bad_version),
		T(test_bad_ihl),
		T(test_ihl_past_packet),
		T(test_bad_checksum),
		T(test_tot_len_below_ihl),
		T(test_tot_len_past_frame),
		T(test_ttl_zero),
		T(test_martian_sources),
		T(test_not_for_us),
		T(test_ethernet_padding),
		T(test_ip_options_accepted),
		T(test_unknown_protocol),
		T(test_unknown_protocol_long_quote),
		T(test_broadcast_echo_not_answered),
		T(test_broadcast_unknown_protocol_silent),
		T(test_to_self_via_backlog),
	};
	return cmocka_run_group_tests_name("ipv4", tests, NULL, NULL);
}
