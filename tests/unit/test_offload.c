/* Offloads (issue 8): software GSO and checksums (gso.c), the vnet header
 * of a TAP device with offloads (virtio_net.c) on the way in, TCP's GSO
 * bursts on the way out to a device that cuts them, and the receive batch
 * that ACKs once per connection.  Every super-frame here is as hostile as
 * any frame: bad headers are dropped and counted. */
#include "tcptest.h"

/* A GSO frame of the TCP segment in frame[0, len): what TCP hands a device
 * with TSO (gso_size mss, partial checksum or none). */
static struct sk_buff *gso_skb(struct env *e, const uint8_t *f, size_t len, unsigned int mss,
			       unsigned int type)
{
	struct sk_buff *skb = alloc_skb((unsigned int)len);

	assert_non_null(skb);
	memcpy(skb_put(skb, (unsigned int)len), f, len);
	skb->dev = e->dev;
	skb->gso_type = type;
	skb->gso_size = (uint16_t)mss;
	return skb;
}

static void free_list(struct sk_buff *s)
{
	while (s) {
		struct sk_buff *n = s->next;
		kfree_skb(s);
		s = n;
	}
}

static uint32_t be32at(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* ------------------------------------------------------------------------- */
/* skb_gso_segment */

/* 5000 bytes at MSS 1448: 1448, 1448, 1448, 656; sequence numbers follow
 * the payload, IP ids count up, PSH and FIN only on the last segment, CWR
 * only on the first, every checksum right, tot_len each segment's own. */
static void test_gso_tcp_segments(void **state)
{
	struct env *e = *state;
	const size_t want[] = {1448, 1448, 1448, 656};
	unsigned int n = 0, i = 0;
	uint32_t off = 0;

	fill_pattern(pat, 5000, 3);
	size_t len = tcp_build(frame, OUR_IP, 5000, PEER_IP, 40000, 1000, 77,
			       TH_ACK | TH_PSH | TH_FIN | 0x80, 512, NULL, 0, pat, 5000);
	uint16_t id0 = ntohs(frame_ip(frame)->id);
	struct sk_buff *skb = gso_skb(e, frame, len, 1448, SKB_GSO_TCPV4);
	uint64_t segs0 = e->dev->stats.GsoSegments;
	struct sk_buff *segs = skb_gso_segment(skb, &n);

	assert_non_null(segs);
	assert_int_equal(n, 4);
	assert_int_equal(e->dev->stats.GsoSegments - segs0, 4);
	for (struct sk_buff *s = segs; s; s = s->next, i++) {
		const struct iphdr *ip = (const struct iphdr *)(s->data + ETH_HLEN);
		const uint8_t *th = s->data + ETH_HLEN + 20;
		assert_true(i < 4);
		assert_int_equal(s->len, ETH_HLEN + 40 + want[i]);
		assert_int_equal(ntohs(ip->tot_len), 40 + want[i]);
		assert_int_equal(ntohs(ip->id), (uint16_t)(id0 + i));
		assert_int_equal(ip_compute_csum(ip, 20), 0);
		assert_int_equal(l4_csum_check(ip->saddr, ip->daddr, IPPROTO_TCP, th, 20 + want[i]), 0);
		assert_int_equal(be32at(th + 4), 1000 + off);
		assert_int_equal(be32at(th + 8), 77);
		uint8_t fl = TH_ACK | (i == 0 ? 0x80 : 0) | (i == 3 ? TH_PSH | TH_FIN : 0);
		assert_int_equal(th[13], fl);
		assert_memory_equal(th + 20, pat + off, want[i]);
		assert_int_equal(s->ip_summed, CHECKSUM_NONE);
		off += (uint32_t)want[i];
	}
	assert_int_equal(i, 4);
	free_list(segs);
	kfree_skb(skb);
}

/* A payload that is a whole number of segments makes no empty last one;
 * a payload under one segment is one segment. */
static void test_gso_tcp_exact(void **state)
{
	struct env *e = *state;
	unsigned int n;
	struct sk_buff *skb, *segs;

	fill_pattern(pat, 2920, 4);
	skb = gso_skb(e, frame, tcp_build(frame, OUR_IP, 5000, PEER_IP, 40000, 1, 1,
					  TH_ACK | TH_PSH, 512, NULL, 0, pat, 2920), 1460, SKB_GSO_TCPV4);
	segs = skb_gso_segment(skb, &n);
	assert_int_equal(n, 2);
	assert_int_equal(segs->len, ETH_HLEN + 40 + 1460);
	assert_int_equal(segs->next->len, ETH_HLEN + 40 + 1460);
	assert_null(segs->next->next);
	assert_int_equal(segs->data[ETH_HLEN + 20 + 13], TH_ACK);
	assert_int_equal(segs->next->data[ETH_HLEN + 20 + 13], TH_ACK | TH_PSH);
	free_list(segs);
	kfree_skb(skb);

	skb = gso_skb(e, frame, tcp_build(frame, OUR_IP, 5000, PEER_IP, 40000, 1, 1,
					  TH_ACK, 512, NULL, 0, pat, 100), 1460, SKB_GSO_TCPV4);
	segs = skb_gso_segment(skb, &n);
	assert_int_equal(n, 1);
	assert_int_equal(segs->len, ETH_HLEN + 40 + 100);
	free_list(segs);
	kfree_skb(skb);
}

/* UDP_L4: each datagram gets its own length and checksum. */
static void test_gso_udp_segments(void **state)
{
	struct env *e = *state;
	unsigned int n, i = 0;

	fill_pattern(pat, 3000, 5);
	size_t len = udp_build(frame, OUR_MAC, OUR_IP, 5000, PEER_IP, 6000, pat, 3000);
	struct sk_buff *skb = gso_skb(e, frame, len, 1200, SKB_GSO_UDP_L4);
	struct sk_buff *segs = skb_gso_segment(skb, &n);

	assert_int_equal(n, 3);
	for (struct sk_buff *s = segs; s; s = s->next, i++) {
		const struct iphdr *ip = (const struct iphdr *)(s->data + ETH_HLEN);
		const uint8_t *uh = s->data + ETH_HLEN + 20;
		size_t dl = i < 2 ? 1200 : 600;
		assert_int_equal(ntohs(ip->tot_len), 28 + dl);
		assert_int_equal(uh[4] << 8 | uh[5], 8 + dl);
		assert_int_equal(udp_csum_check(ip->saddr, ip->daddr, uh, 8 + dl), 0);
		assert_memory_equal(uh + 8, pat + i * 1200, dl);
	}
	free_list(segs);
	kfree_skb(skb);
}

/* Malformed GSO frames are refused, never cut: no segment size, an IP
 * length past the frame, a TCP header past the packet, not IPv4, a
 * fragment, the wrong protocol for the GSO kind. */
static void test_gso_malformed(void **state)
{
	struct env *e = *state;
	unsigned int n = 9;
	size_t len = tcp_build(frame, OUR_IP, 5000, PEER_IP, 40000, 1, 1, TH_ACK, 512,
			       NULL, 0, pat, 3000);
	uint8_t copy[ETH_HLEN + 3100];
	struct sk_buff *skb;

	memcpy(copy, frame, len);
#define REFUSED(mss, type)                                             \
	do {                                                           \
		skb = gso_skb(e, frame, len, (mss), (type));           \
		assert_null(skb_gso_segment(skb, &n));                 \
		assert_int_equal(n, 0);                                \
		kfree_skb(skb);                                        \
		memcpy(frame, copy, len);                              \
	} while (0)
	REFUSED(0, SKB_GSO_TCPV4);
	REFUSED(1460, SKB_GSO_UDP_L4);		/* TCP in a UDP GSO frame */
	frame_ip(frame)->tot_len = htons(3100);	/* past the frame */
	REFUSED(1460, SKB_GSO_TCPV4);
	frame[ETH_HLEN + 20 + 12] = 0xf0;	/* 60-byte TCP header: fits */
	frame_ip(frame)->tot_len = htons(50);	/* but not in 50 bytes */
	REFUSED(1460, SKB_GSO_TCPV4);
	frame_ip(frame)->frag_off = htons(IP_MF);
	REFUSED(1460, SKB_GSO_TCPV4);
	frame[ETH_HLEN] = 0x65;			/* version 6 */
	REFUSED(1460, SKB_GSO_TCPV4);
	frame[12] = 0x86, frame[13] = 0xdd;	/* not an IPv4 frame */
	REFUSED(1460, SKB_GSO_TCPV4);
	skb = gso_skb(e, frame, 20, 1460, SKB_GSO_TCPV4);	/* a runt */
	assert_null(skb_gso_segment(skb, &n));
	kfree_skb(skb);
#undef REFUSED
}

/* skb_checksum_help fills a partial checksum (the pseudo-header's sum in
 * the field) so that the segment's checksum is right; offsets outside the
 * frame are refused. */
static void test_checksum_help(void **state)
{
	struct env *e = *state;
	size_t len = tcp_build(frame, OUR_IP, 5000, PEER_IP, 40000, 1, 1, TH_ACK, 512,
			       NULL, 0, pat, 999);
	struct iphdr *ip = frame_ip(frame);
	uint8_t *th = frame + ETH_HLEN + 20;
	uint16_t ps = ~csum_fold(csum_tcpudp_nofold(ip->saddr, ip->daddr, 20 + 999, IPPROTO_TCP, 0));
	struct sk_buff *skb;

	memcpy(th + 16, &ps, 2);
	skb = gso_skb(e, frame, len, 0, SKB_GSO_NONE);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (uint16_t)(skb->data - skb->head + ETH_HLEN + 20);
	skb->csum_offset = 16;
	assert_int_equal(skb_checksum_help(skb), 0);
	assert_int_equal(skb->ip_summed, CHECKSUM_NONE);
	assert_int_equal(l4_csum_check(ip->saddr, ip->daddr, IPPROTO_TCP,
				       skb->data + ETH_HLEN + 20, 20 + 999), 0);
	/* a field that would end past the frame */
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_offset = (uint16_t)(20 + 999 - 1);
	assert_int_equal(skb_checksum_help(skb), -EINVAL);
	skb->csum_start = (uint16_t)(skb->data - skb->head + len + 1);
	skb->csum_offset = 0;
	assert_int_equal(skb_checksum_help(skb), -EINVAL);
	kfree_skb(skb);
}

/* ------------------------------------------------------------------------- */
/* receiving: the vnet header */

static struct virtio_net_hdr vnet(uint8_t flags, uint8_t gso, uint16_t mss, uint16_t start,
				  uint16_t off)
{
	struct virtio_net_hdr h = {.flags = flags, .gso_type = gso};
	h.gso_size = htole16(mss);
	h.csum_start = htole16(start);
	h.csum_offset = htole16(off);
	h.hdr_len = htole16(ETH_HLEN + 40);
	return h;
}

/* A 3-segment super-frame of the peer's (NEEDS_CSUM, the checksum field
 * holding only the pseudo-header's sum, as a Linux sender leaves it) is
 * taken whole: the data readable, InSegs counting 3, one ACK of all of it,
 * the device's counters saying what came. */
static void test_rx_superframe(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	struct virtio_net_hdr h = vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
				       1460, ETH_HLEN + 20, 16);

	conn_connect(e, &c, &PLAIN);
	wakes_reset(&c);
	fill_pattern(ppat, 4380, 6);
	size_t len = tcp_build(frame, PEER_IP, c.pport, OUR_IP, c.lport, c.snd, c.ack,
			       TH_ACK | TH_PSH, c.win, NULL, 0, ppat, 4380);
	frame[ETH_HLEN + 20 + 16] ^= 0x5a;	/* not a checksum the stack could check */
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject_vnet(e->dev, &h, sizeof(h), frame, len);
	c.snd += 4380;
	expect_ack(&c, c.iss + 1);
	expect_none(&c);
	wakes_seen(&c);
	read_expect(&c, ppat, 4380);
	tsnap_expect(&t, &e->net, e->dev,
		     "tcp.InSegs=3 tcp.OutSegs=1 ip.InReceives=1 ip.InDelivers=1 ip.OutRequests=1 "
		     "dev.RxFrames=1 dev.RxBytes=4434 dev.RxGsoFrames=1 dev.RxCsumOffloaded=1 "
		     "dev.TxFrames=1 dev.TxBytes=54");
	conn_free(&c);
}

/* DATA_VALID: the kernel checked the checksum, so a frame is not checked
 * again (a wrong field shows it); with no flag, the same frame is checked
 * and dropped as a checksum error. */
static void test_rx_checksum_states(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	struct virtio_net_hdr valid = vnet(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0);
	struct virtio_net_hdr none = vnet(0, 0, 0, 0, 0);

	conn_connect(e, &c, &PLAIN);
	fill_pattern(ppat, 200, 7);
	size_t len = tcp_build(frame, PEER_IP, c.pport, OUR_IP, c.lport, c.snd, c.ack,
			       TH_ACK | TH_PSH, c.win, NULL, 0, ppat, 100);
	frame[ETH_HLEN + 20 + 16] ^= 0x5a;
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject_vnet(e->dev, &none, sizeof(none), frame, len);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InCsumErrors=1 tcp.InErrs=1");
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject_vnet(e->dev, &valid, sizeof(valid), frame, len);
	c.snd += 100;
	read_expect(&c, ppat, 100);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=0");
	assert_int_equal(e->dev->stats.RxCsumOffloaded, 1);
	conn_free(&c);
}

/* Hostile vnet headers: each frame is dropped, counted, and answered by
 * nothing, and the connection goes on as if it had never come. */
static void test_rx_bad_vnet(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct snap s;
	const uint16_t ck = ETH_HLEN + 20;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(ppat, 4380, 8);
	size_t len = tcp_build(frame, PEER_IP, c.pport, OUR_IP, c.lport, c.snd, c.ack,
			       TH_ACK, c.win, NULL, 0, ppat, 2920);
	const struct {
		struct virtio_net_hdr h;
		size_t hlen;
		const char *counter;
	} bad[] = {
		{vnet(0, 0, 0, 0, 0), 5, "dev.RxBadVnetHdr=1"},	/* truncated header */
		{vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, (uint16_t)(len + 4), 0), 10,
		 "dev.RxBadVnetHdr=1"},				/* checksum past the frame */
		{vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, ck, (uint16_t)(len - ck - 1)), 10,
		 "dev.RxBadVnetHdr=1"},				/* field half outside */
		{vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 4, 0), 10,
		 "dev.RxBadVnetHdr=1"},				/* inside the Ethernet header */
		{vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0, ck, 16), 10,
		 "dev.RxBadGso=1"},				/* gso_size 0 */
		{vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1473, ck, 16), 10,
		 "dev.RxBadGso=1"},				/* bigger than the MTU allows */
		{vnet(0, VIRTIO_NET_HDR_GSO_TCPV4, 1460, 0, 0), 10,
		 "dev.RxBadGso=1"},				/* a super-frame with no sum vouched */
		{vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 1460, ck, 16), 10,
		 "dev.RxBadGso=1"},				/* IPv6's kind on an IPv4 frame */
		{vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 1460, ck, 16), 10,
		 "dev.RxBadGso=1"},				/* UFO: fragments, not taken */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snap_take(&s, &e->net, e->dev);
		/* a short header is all there is: the read ended inside it */
		memdev_inject_vnet(e->dev, &bad[i].h, bad[i].hlen, frame, bad[i].hlen < 10 ? 0 : len);
		expect_none(&c);
		snap_expect(&s, &e->net, e->dev, bad[i].counter);
	}
	/* the connection never saw them: the next segment is the first */
	peer_send(&c, TH_PSH, ppat, 100);
	read_expect(&c, ppat, 100);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* sending to a device that cuts GSO frames */

/* With TSO and checksum offload, a 10000-byte write leaves as one GSO frame
 * of 6 whole segments (gso_size the MSS the peer sees, the checksum partial
 * and right once filled in) and, once that is ACKed, the 1240-byte tail
 * (Nagle holds a short segment while data is unacknowledged). */
static void test_tx_gso_burst(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct sk_buff *skb;

	conn_connect(e, &c, &PLAIN);	/* (the fixtures check finished checksums) */
	memdev_set_features(e->dev, NETIF_F_OFFLOADS);
	fill_pattern(pat, 10000, 9);
	assert_int_equal(send_bytes(c.s, pat, 10000), 10000);
	skb = memdev_pop(e->dev);
	assert_non_null(skb);
	assert_int_equal(skb->gso_type, SKB_GSO_TCPV4);
	assert_int_equal(skb->gso_size, 1460);
	assert_int_equal(skb->len, ETH_HLEN + 40 + 8760);
	assert_int_equal(skb->ip_summed, CHECKSUM_PARTIAL);
	assert_int_equal(skb_checksum_help(skb), 0);
	const struct iphdr *ip = (const struct iphdr *)(skb->data + ETH_HLEN);
	assert_int_equal(ntohs(ip->tot_len), 40 + 8760);
	assert_int_equal(l4_csum_check(ip->saddr, ip->daddr, IPPROTO_TCP,
				       skb->data + ETH_HLEN + 20, 20 + 8760), 0);
	assert_int_equal(be32at(skb->data + ETH_HLEN + 24), c.iss + 1);
	assert_memory_equal(skb->data + ETH_HLEN + 40, pat, 8760);
	assert_int_equal(e->dev->stats.TxGsoFrames, 1);
	kfree_skb(skb);
	expect_none(&c);
	assert_int_equal(e->net.tcpstats.OutSegs, 2 + 6);	/* SYN and ACK, then the 6 */
	/* the tail, to a device that no longer cuts: a finished wire segment */
	memdev_set_features(e->dev, 0);
	peer_ack(&c, c.iss + 1 + 8760);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1 + 8760, c.snd, pat + 8760, 1240);
	conn_free(&c);
}

/* Without offloads the same write is wire segments, each checksummed
 * (PSH waits for the tail, which ends the write). */
static void test_tx_no_offload(void **state)
{
	struct env *e = *state;
	struct conn c;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(pat, 10000, 9);
	assert_int_equal(send_bytes(c.s, pat, 10000), 10000);
	for (int i = 0; i < 6; i++)
		expect(&c, TH_ACK, c.iss + 1 + 1460u * (unsigned)i, c.snd, pat + 1460 * i, 1460);
	expect_none(&c);
	assert_int_equal(e->dev->stats.GsoSegments, 6);
	assert_int_equal(e->dev->stats.TxGsoFrames, 0);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* the receive batch */

/* Five full segments in one batch are ACKed once, at the batch's end,
 * acknowledging all of them (as GRO would have made them one). */
static void test_batch_one_ack(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(ppat, 7300, 10);
	tsnap_take(&t, &e->net, e->dev);
	memdev_batch_begin(e->dev);
	for (int i = 0; i < 5; i++)
		peer_send(&c, 0, ppat + 1460 * i, 1460);
	expect_none(&c);
	memdev_batch_end(e->dev);
	expect_ack(&c, c.iss + 1);
	expect_none(&c);
	read_expect(&c, ppat, 7300);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=5 tcp.OutSegs=1");
	conn_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_gso_tcp_segments),
		TCP_TEST(test_gso_tcp_exact),
		TCP_TEST(test_gso_udp_segments),
		TCP_TEST(test_gso_malformed),
		TCP_TEST(test_checksum_help),
		TCP_TEST(test_rx_superframe),
		TCP_TEST(test_rx_checksum_states),
		TCP_TEST(test_rx_bad_vnet),
		TCP_TEST(test_tx_gso_burst),
		TCP_TEST(test_tx_no_offload),
		TCP_TEST(test_batch_one_ack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
