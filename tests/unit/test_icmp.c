/* ICMP: echo, what we accept, rate limiting, and the rules about errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static uint8_t f[ETH_HLEN + 65536];

static void test_echo_exact(void **state)
{
	struct env *e = *state;
	uint8_t data[56], want[64];
	char spec[512];
	struct snap s;
	struct rx rx;
	size_t n;

	fill_pattern(data, sizeof(data), 9);
	n = echo_build(f, PEER_MAC, PEER_IP, OUR_IP, 0xbeef, 7, data, sizeof(data));
	frame_ip(f)->tos = 0x10;
	frame_ip(f)->ttl = 3;
	frame_ip(f)->id = htons(0xabcd);
	ip_fix_csum(f);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snprintf(spec, sizeof(spec),
		 "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 ip.InDelivers=1 ip.OutRequests=1 "
		 "icmp.InMsgs=1 icmp.InEchos=1 icmp.OutMsgs=1 icmp.OutEchoReps=1 "
		 "dev.TxFrames=1 dev.TxBytes=%zu", n, n);
	snap_expect(&s, &e->net, e->dev, spec);

	assert_int_equal(memdev_pending(e->dev), 1);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHOREPLY, 0);
	assert_int_equal(rx.skb->len, n);
	assert_int_equal(rx.ip->ver_ihl, 0x45);
	assert_int_equal(rx.ip->tos, 0x10);
	assert_int_equal(ntohs(rx.ip->tot_len), 84);
	assert_int_equal(rx.ip->frag_off, 0);
	assert_int_equal(rx.ip->ttl, 64);
	assert_int_equal(rx.ip->protocol, IPPROTO_ICMP);
	assert_int_equal(rx.ip->saddr, OUR_IP);
	assert_int_equal(rx.ip->daddr, PEER_IP);
	/* type 0, code 0, same id, sequence and data, right checksum. */
	icmp_build(want, ICMP_ECHOREPLY, 0, 0xbeef, 7, data, sizeof(data));
	assert_int_equal(rx.l4len, 64);
	assert_memory_equal(rx.l4, want, 64);
	rx_free(&rx);
}

/* Every payload length, odd ones included, and the IP id moves on. */
static void test_echo_sizes(void **state)
{
	struct env *e = *state;
	uint64_t rs = 5;
	uint16_t last_id = 0;
	static uint8_t data[1472], want[1480];

	for (size_t dlen = 0; dlen <= 1472; dlen += (dlen < 20 ? 1 : 1 + xrand(&rs) % 97)) {
		struct rx rx;
		size_t n;

		for (size_t i = 0; i < dlen; i++)
			data[i] = (uint8_t)xrand(&rs);
		n = echo_build(f, PEER_MAC, PEER_IP, OUR_IP, (uint16_t)dlen, (uint16_t)~dlen, data, dlen);
		memdev_inject(e->dev, f, n);
		pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHOREPLY, 0);
		icmp_build(want, ICMP_ECHOREPLY, 0, (uint16_t)dlen, (uint16_t)~dlen, data, dlen);
		assert_int_equal(rx.l4len, 8 + dlen);
		assert_memory_equal(rx.l4, want, 8 + dlen);
		if (dlen)
			assert_int_equal(ntohs(rx.ip->id), (uint16_t)(last_id + 1));
		last_id = ntohs(rx.ip->id);
		rx_free(&rx);
	}
	/* 1472 bytes of data fill the MTU exactly: not fragmented. */
	assert_int_equal(e->net.ipstats.FragCreates, 0);
}

static void test_bad_checksum(void **state)
{
	struct env *e = *state;
	struct snap s;
	size_t n = echo_build(f, PEER_MAC, PEER_IP, OUR_IP, 1, 1, "abcdefgh", 8);

	f[ETH_HLEN + 20 + 8] ^= 1;	/* a data byte */
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=50 ip.InReceives=1 ip.InDelivers=1 "
		    "icmp.InMsgs=1 icmp.InCsumErrors=1 icmp.InErrors=1");
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_too_short(void **state)
{
	struct env *e = *state;
	struct snap s;
	size_t n;

	for (size_t len = 0; len < 8; len++) {
		/* A valid checksum over what there is, so only the length is wrong. */
		uint8_t m[8] = { ICMP_ECHO, 0, 0, 0, 0, 0, 0, 0 };
		uint16_t c = ip_compute_csum(m, len);
		if (len >= 4)
			memcpy(m + 2, &c, 2);
		n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_ICMP, m, len);
		snap_take(&s, &e->net, e->dev);
		memdev_inject(e->dev, f, n);
		char spec[256];
		snprintf(spec, sizeof(spec),
			 "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 ip.InDelivers=1 "
			 "icmp.InMsgs=1 icmp.InErrors=1", n);
		snap_expect(&s, &e->net, e->dev, spec);
		assert_int_equal(memdev_pending(e->dev), 0);
	}
}

static void test_echo_reply_and_unknown_types_ignored(void **state)
{
	struct env *e = *state;
	uint8_t m[16];
	struct snap s;
	size_t n, ml;

	ml = icmp_build(m, ICMP_ECHOREPLY, 0, 1, 1, "abcdefgh", 8);
	n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_ICMP, m, ml);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=50 ip.InReceives=1 ip.InDelivers=1 "
		    "icmp.InMsgs=1 icmp.InEchoReps=1");

	/* Timestamp request, information request, an unassigned type. */
	static const uint8_t types[] = { 13, 15, 42, 255 };
	for (size_t i = 0; i < sizeof(types); i++) {
		ml = icmp_build(m, types[i], 0, 1, 1, "abcdefgh", 8);
		n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_ICMP, m, ml);
		snap_take(&s, &e->net, e->dev);
		memdev_inject(e->dev, f, n);
		snap_expect(&s, &e->net, e->dev,
			    "dev.RxFrames=1 dev.RxBytes=50 ip.InReceives=1 ip.InDelivers=1 icmp.InMsgs=1");
	}
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* An ICMP error from PEER quoting a datagram from src to PEER. */
static size_t error_frame(uint8_t type, uint8_t code, uint32_t src, size_t quote_extra)
{
	uint8_t inner[64], m[128];
	size_t il = 20 + quote_extra, ml;
	struct iphdr *ih = (struct iphdr *)inner;

	memset(inner, 0, sizeof(inner));
	ih->ver_ihl = 0x45;
	ih->tot_len = htons(100);
	ih->ttl = 64;
	ih->protocol = IPPROTO_UDP;
	ih->saddr = src;
	ih->daddr = ip4(192, 0, 2, 1);
	ih->check = ip_compute_csum(ih, 20);
	ml = icmp_build(m, type, code, 0, 0, inner, il);
	return ip_build(f, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_ICMP, m, ml);
}

static void test_errors_in(void **state)
{
	struct env *e = *state;
	struct snap s;
	size_t n;

	/* About a datagram of ours: counted by type. */
	n = error_frame(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, OUR_IP, 8);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=70 ip.InReceives=1 ip.InDelivers=1 "
		    "icmp.InMsgs=1 icmp.InDestUnreachs=1");
	n = error_frame(ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, OUR_IP, 8);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=70 ip.InReceives=1 ip.InDelivers=1 "
		    "icmp.InMsgs=1 icmp.InTimeExcds=1");
	n = error_frame(ICMP_PARAMETERPROB, 0, OUR_IP, 8);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=70 ip.InReceives=1 ip.InDelivers=1 "
		    "icmp.InMsgs=1 icmp.InParmProbs=1");

	/* About someone else's datagram. */
	n = error_frame(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, PEER_IP, 8);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=70 ip.InReceives=1 ip.InDelivers=1 "
		    "icmp.InMsgs=1 icmp.InDestUnreachs=1 icmp.InErrors=1");
	/* Quoting less than the header and 8 bytes. */
	n = error_frame(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, OUR_IP, 7);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=69 ip.InReceives=1 ip.InDelivers=1 "
		    "icmp.InMsgs=1 icmp.InDestUnreachs=1 icmp.InErrors=1");
	assert_int_equal(memdev_pending(e->dev), 0);
}

static size_t unknown_proto_frame(uint16_t id)
{
	size_t n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, 253, "abcdefgh", 8);

	frame_ip(f)->id = htons(id);
	ip_fix_csum(f);
	return n;
}

/* Errors: ICMP_RATE_BURST at once, then ICMP_RATE_PER_SEC. */
static void test_rate_limit(void **state)
{
	struct env *e = *state;
	const int extra = 10;
	char spec[512];
	struct snap s;
	size_t n = 0;

	snap_take(&s, &e->net, e->dev);
	for (int i = 0; i < ICMP_RATE_BURST + extra; i++) {
		n = unknown_proto_frame((uint16_t)i);
		memdev_inject(e->dev, f, n);
	}
	snprintf(spec, sizeof(spec),
		 "dev.RxFrames=%d dev.RxBytes=%zu ip.InReceives=%d ip.InUnknownProtos=%d "
		 "ip.OutRequests=%d icmp.OutMsgs=%d icmp.OutDestUnreachs=%d "
		 "icmp.OutRateLimited=%d dev.TxFrames=%d dev.TxBytes=%d",
		 ICMP_RATE_BURST + extra, (ICMP_RATE_BURST + extra) * n,
		 ICMP_RATE_BURST + extra, ICMP_RATE_BURST + extra, ICMP_RATE_BURST,
		 ICMP_RATE_BURST, ICMP_RATE_BURST, extra, ICMP_RATE_BURST,
		 ICMP_RATE_BURST * (14 + 20 + 8 + 28));
	snap_expect(&s, &e->net, e->dev, spec);
	/* The ones answered are the first ones. */
	for (int i = 0; i < ICMP_RATE_BURST; i++) {
		struct rx rx;
		pop_icmp(e->dev, PEER_MAC, &rx, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH);
		assert_int_equal(ntohs(((const struct iphdr *)(rx.l4 + 8))->id), i);
		rx_free(&rx);
	}

	/* Echo replies are not limited. */
	n = echo_build(f, PEER_MAC, PEER_IP, OUR_IP, 1, 1, "x", 1);
	memdev_inject(e->dev, f, n);
	assert_int_equal(drain(e->dev), 1);

	/* 1 ms later: one token. */
	net_advance(&e->net, T0 + 1000000 / ICMP_RATE_PER_SEC);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, unknown_proto_frame(100));
	memdev_inject(e->dev, f, unknown_proto_frame(101));
	assert_int_equal(e->net.icmpstats.OutDestUnreachs - s.icmp.OutDestUnreachs, 1);
	assert_int_equal(e->net.icmpstats.OutRateLimited - s.icmp.OutRateLimited, 1);
	assert_int_equal(drain(e->dev), 1);

	/* A second later the bucket is full again, and holds no more than the burst. */
	net_advance(&e->net, T0 + 1000000 / ICMP_RATE_PER_SEC + SEC);
	snap_take(&s, &e->net, e->dev);
	for (int i = 0; i < ICMP_RATE_BURST + 5; i++)
		memdev_inject(e->dev, f, unknown_proto_frame((uint16_t)(200 + i)));
	assert_int_equal(e->net.icmpstats.OutDestUnreachs - s.icmp.OutDestUnreachs, ICMP_RATE_BURST);
	assert_int_equal(e->net.icmpstats.OutRateLimited - s.icmp.OutRateLimited, 5);
	assert_int_equal(drain(e->dev), ICMP_RATE_BURST);
}

/* icmp_send called directly on a datagram: when it may answer. */
static struct sk_buff *datagram(struct env *e, uint32_t saddr, uint32_t daddr, uint8_t proto,
				uint16_t frag_off, const void *payload, size_t plen)
{
	struct sk_buff *skb = alloc_skb((unsigned int)(ETH_HLEN + 20 + plen));
	size_t n = ip_build(f, PEER_MAC, saddr, daddr, proto, payload, plen);

	frame_ip(f)->frag_off = htons(frag_off);
	ip_fix_csum(f);
	memcpy(skb_put(skb, (unsigned int)n), f, n);
	skb_pull(skb, ETH_HLEN);
	skb_reset_network_header(skb);
	skb->dev = e->dev;
	skb->pkt_type = PACKET_HOST;
	return skb;
}

static void send_expect(struct env *e, struct sk_buff *skb, int sent)
{
	unsigned int len = skb->len;	/* all of it is quoted */
	char spec[256];
	struct snap s;

	snap_take(&s, &e->net, e->dev);
	icmp_send(&e->net, skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
	kfree_skb(skb);
	assert_int_equal(memdev_pending(e->dev), sent);
	snprintf(spec, sizeof(spec), "icmp.OutMsgs=1 icmp.OutDestUnreachs=1 ip.OutRequests=1 "
		 "dev.TxFrames=1 dev.TxBytes=%u", ETH_HLEN + 20 + 8 + len);
	if (sent)
		snap_expect(&s, &e->net, e->dev, spec);
	else
		snap_expect(&s, &e->net, e->dev, "");
	drain(e->dev);
}

static void test_never_error_about_error(void **state)
{
	static const uint8_t errors[] = { ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB,
					  ICMP_REDIRECT, 4 /* source quench */ };
	static const uint8_t queries[] = { ICMP_ECHO, ICMP_ECHOREPLY, 13 };
	struct env *e = *state;
	uint8_t m[16];

	for (size_t i = 0; i < sizeof(errors); i++) {
		size_t ml = icmp_build(m, errors[i], 0, 0, 0, "abcdefgh", 8);
		send_expect(e, datagram(e, PEER_IP, OUR_IP, IPPROTO_ICMP, 0, m, ml), 0);
	}
	for (size_t i = 0; i < sizeof(queries); i++) {
		size_t ml = icmp_build(m, queries[i], 0, 0, 0, "abcdefgh", 8);
		send_expect(e, datagram(e, PEER_IP, OUR_IP, IPPROTO_ICMP, 0, m, ml), 1);
	}
	/* Not even about an error whose checksum is bad: the type decides. */
	icmp_build(m, ICMP_DEST_UNREACH, 0, 0, 0, "abcdefgh", 8);
	m[2] ^= 0xff;
	send_expect(e, datagram(e, PEER_IP, OUR_IP, IPPROTO_ICMP, 0, m, 16), 0);
}

static void test_no_error_cases(void **state)
{
	struct env *e = *state;
	struct sk_buff *skb;

	/* The baseline is answered. */
	send_expect(e, datagram(e, PEER_IP, OUR_IP, 17, 0, "abcdefgh", 8), 1);
	/* A fragment past the first. */
	send_expect(e, datagram(e, PEER_IP, OUR_IP, 17, 185, "abcdefgh", 8), 0);
	send_expect(e, datagram(e, PEER_IP, OUR_IP, 17, IP_MF | 1, "abcdefgh", 8), 0);
	/* The first fragment is fine. */
	send_expect(e, datagram(e, PEER_IP, OUR_IP, 17, IP_MF, "abcdefgh", 8), 1);
	/* To a broadcast or multicast address, or from a non-unicast one. */
	send_expect(e, datagram(e, PEER_IP, SUBNET_BCAST, 17, 0, "abcdefgh", 8), 0);
	send_expect(e, datagram(e, PEER_IP, 0xffffffffu, 17, 0, "abcdefgh", 8), 0);
	send_expect(e, datagram(e, PEER_IP, ip4(224, 0, 0, 1), 17, 0, "abcdefgh", 8), 0);
	send_expect(e, datagram(e, 0, OUR_IP, 17, 0, "abcdefgh", 8), 0);
	send_expect(e, datagram(e, SUBNET_BCAST, OUR_IP, 17, 0, "abcdefgh", 8), 0);
	send_expect(e, datagram(e, ip4(224, 0, 0, 9), OUR_IP, 17, 0, "abcdefgh", 8), 0);
	/* Received as a link-layer broadcast. */
	skb = datagram(e, PEER_IP, OUR_IP, 17, 0, "abcdefgh", 8);
	skb->pkt_type = PACKET_BROADCAST;
	send_expect(e, skb, 0);
}

/* A fragmented ICMP error that times out holding its first fragment: no
 * time exceeded about it (an echo in its place would get one). */
static void test_no_time_exceeded_about_error(void **state)
{
	struct env *e = *state;
	static uint8_t m[2000];
	uint8_t data[1992];
	size_t n;

	fill_pattern(data, sizeof(data), 3);
	icmp_build(m, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 0, data, sizeof(data));
	n = frag_build(f, PEER_IP, OUR_IP, IPPROTO_ICMP, 77, m, 0, 1480, true);
	memdev_inject(e->dev, f, n);
	icmp_build(m, ICMP_ECHO, 0, 0, 0, data, sizeof(data));
	n = frag_build(f, PEER_IP, OUR_IP, IPPROTO_ICMP, 78, m, 0, 1480, true);
	memdev_inject(e->dev, f, n);
	run_until(&e->net, T0 + IPFRAG_TIME_US);
	assert_int_equal(e->net.ipstats.ReasmTimeout, 2);
	assert_int_equal(e->net.icmpstats.OutTimeExcds, 1);
	assert_int_equal(memdev_pending(e->dev), 1);	/* the one about the echo */
	{
		struct rx rx;
		pop_icmp(e->dev, PEER_MAC, &rx, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME);
		assert_int_equal(ntohs(((const struct iphdr *)(rx.l4 + 8))->id), 78);
		rx_free(&rx);
	}
}

/* An error we sent that cannot be delivered (ARP fails) gives no host
 * unreachable about it, while an echo reply in the same spot does. */
static void test_no_host_unreachable_about_error(void **state)
{
	struct env *e = *state;
	struct snap s;
	size_t n;

	n = ip_build(f, OTHER_MAC, OTHER_IP, OUR_IP, 253, "abcdefgh", 8);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	assert_int_equal(e->net.icmpstats.OutDestUnreachs - s.icmp.OutDestUnreachs, 1);
	assert_int_equal(drain(e->dev), 1);		/* the ARP request */
	run_until(&e->net, T0 + ARP_MAX_PROBES * ARP_RETRANS_US);
	assert_int_equal(drain(e->dev), ARP_MAX_PROBES - 1);
	assert_int_equal(e->net.arpstats.UnresolvedDrops, 1);
	assert_int_equal(e->net.backlog.qlen, 0);
	assert_int_equal(e->net.icmpstats.OutDestUnreachs - s.icmp.OutDestUnreachs, 1);
	assert_int_equal(e->net.icmpstats.OutMsgs - s.icmp.OutMsgs, 1);
}

/* An echo from somewhere we have no route to: the reply cannot leave. */
static void test_echo_no_route_back(void **state)
{
	struct env *e = *state;
	struct snap s;
	size_t n = echo_build(f, PEER_MAC, ip4(192, 168, 9, 9), OUR_IP, 1, 1, "abcdefgh", 8);

	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=50 ip.InReceives=1 ip.InDelivers=1 icmp.InMsgs=1 "
		    "icmp.InEchos=1 icmp.OutMsgs=1 icmp.OutEchoReps=1 icmp.OutErrors=1 ip.OutNoRoutes=1");
	assert_int_equal(memdev_pending(e->dev), 0);
	/* With a default route it goes to the gateway. */
	assert_int_equal(fib_add(&e->net, 0, 0, PEER_IP, e->dev, RT_STATIC), 0);
	memdev_inject(e->dev, f, n);
	{
		struct rx rx;
		pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHOREPLY, 0);
		assert_int_equal(rx.ip->daddr, ip4(192, 168, 9, 9));
		rx_free(&rx);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_echo_exact),
		T(test_echo_sizes),
		T(test_bad_checksum),
		T(test_too_short),
		T(test_echo_reply_and_unknown_types_ignored),
		T(test_errors_in),
		T(test_rate_limit),
		T(test_never_error_about_error),
		T(test_no_error_cases),
		T(test_no_time_exceeded_about_error),
		T(test_no_host_unreachable_about_error),
		T(test_echo_no_route_back),
	};
	return cmocka_run_group_tests_name("icmp", tests, NULL, NULL);
}
