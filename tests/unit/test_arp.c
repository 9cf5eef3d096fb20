/* ARP: answering, learning, resolving, retrying, aging, the table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static const uint8_t NEW_MAC[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x08 };

#define ARPLEN (ETH_HLEN + sizeof(struct arphdr))

static void inject_arp(struct env *e, const uint8_t *dmac, const uint8_t *smac, uint16_t op,
		       uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	uint8_t f[64];
	size_t n = arp_build(f, dmac, smac, op, smac, sip, tha, tip);

	memdev_inject(e->dev, f, n);
}

/* An echo request from OTHER_IP at OTHER_MAC: its reply needs OTHER_MAC. */
static size_t inject_echo(struct env *e, uint32_t saddr, uint16_t seq, size_t dlen)
{
	static uint8_t f[ETH_HLEN + 65536];
	uint8_t *data = malloc(dlen + 1);
	size_t n;

	fill_pattern(data, dlen, seq);
	n = echo_build(f, OTHER_MAC, saddr, OUR_IP, 0x4242, seq, data, dlen);
	memdev_inject(e->dev, f, n);
	free(data);
	return n;
}

static void pop_echo_reply(struct env *e, const uint8_t *dmac, uint32_t daddr, uint16_t seq)
{
	struct rx rx;

	pop_icmp(e->dev, dmac, &rx, ICMP_ECHOREPLY, 0);
	assert_int_equal(rx.ip->saddr, OUR_IP);
	assert_int_equal(rx.ip->daddr, daddr);
	assert_int_equal(ntohs(((const struct icmphdr *)rx.l4)->un.echo.sequence), seq);
	rx_free(&rx);
}

static void test_request_for_us(void **state)
{
	struct env *e = *state;
	struct neighbour *n;
	struct snap s;

	assert_null(neigh_lookup(&e->net, OTHER_IP));
	snap_take(&s, &e->net, e->dev);
	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, OUR_IP);
	snap_expect(&s, &e->net, e->dev,
		    "arp.InRequests=1 arp.OutReplies=1 dev.RxFrames=1 dev.RxBytes=42 "
		    "dev.TxFrames=1 dev.TxBytes=42");
	/* op 2, sha our MAC, sip our IP, tha/tip the requester, to its MAC. */
	assert_int_equal(memdev_pending(e->dev), 1);
	pop_arp_expect(e->dev, OTHER_MAC, ARPOP_REPLY, OUR_IP, OTHER_MAC, OTHER_IP);
	/* The requester was learned. */
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_non_null(n);
	assert_int_equal(n->nud_state, NUD_REACHABLE);
	assert_memory_equal(n->ha, OTHER_MAC, ETH_ALEN);
	assert_ptr_equal(n->dev, e->dev);
	assert_int_equal(n->confirmed, T0);
	assert_string_equal(neigh_state_name(n->nud_state), "reachable");
}

/* A request padded to the Ethernet minimum, sent unicast: same answer. */
static void test_request_padded_unicast(void **state)
{
	struct env *e = *state;
	uint8_t f[ETH_ZLEN];
	struct snap s;
	size_t n = arp_build(f, OUR_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_MAC, OTHER_IP, ZERO_MAC, OUR_IP);

	memset(f + n, 0xa5, sizeof(f) - n);
	snap_take(&s, &e->net, e->dev);
	memdev_inject(e->dev, f, sizeof(f));
	snap_expect(&s, &e->net, e->dev,
		    "arp.InRequests=1 arp.OutReplies=1 dev.RxFrames=1 dev.RxBytes=60 "
		    "dev.TxFrames=1 dev.TxBytes=42");
	pop_arp_expect(e->dev, OTHER_MAC, ARPOP_REPLY, OUR_IP, OTHER_MAC, OTHER_IP);
	assert_int_equal(neigh_lookup(&e->net, OTHER_IP)->nud_state, NUD_REACHABLE);
}

static void test_request_for_other(void **state)
{
	struct env *e = *state;
	struct snap s;

	snap_take(&s, &e->net, e->dev);
	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, ip4(10, 0, 0, 50));
	snap_expect(&s, &e->net, e->dev,
		    "arp.InRequests=1 arp.InIgnored=1 dev.RxFrames=1 dev.RxBytes=42");
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_null(neigh_lookup(&e->net, OTHER_IP));
	assert_null(neigh_lookup(&e->net, ip4(10, 0, 0, 50)));
	/* Nor our subnet broadcast address. */
	snap_take(&s, &e->net, e->dev);
	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, SUBNET_BCAST);
	snap_expect(&s, &e->net, e->dev,
		    "arp.InRequests=1 arp.InIgnored=1 dev.RxFrames=1 dev.RxBytes=42");
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* A request for us from off our subnets is answered but not learned. */
static void test_request_off_link(void **state)
{
	struct env *e = *state;
	uint32_t far = ip4(192, 168, 1, 5);
	struct snap s;

	snap_take(&s, &e->net, e->dev);
	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, far, ZERO_MAC, OUR_IP);
	snap_expect(&s, &e->net, e->dev,
		    "arp.InRequests=1 arp.OutReplies=1 dev.RxFrames=1 dev.RxBytes=42 "
		    "dev.TxFrames=1 dev.TxBytes=42");
	pop_arp_expect(e->dev, OTHER_MAC, ARPOP_REPLY, OUR_IP, OTHER_MAC, far);
	assert_null(neigh_lookup(&e->net, far));
}

struct bad_arp {
	const char *what;
	void (*mutate)(uint8_t *f, size_t *n);
};

static struct arphdr *A(uint8_t *f) { return (struct arphdr *)(f + ETH_HLEN); }
static void m_hln5(uint8_t *f, size_t *n) { A(f)->ar_hln = 5; }
static void m_pln6(uint8_t *f, size_t *n) { A(f)->ar_pln = 6; }
static void m_hrd2(uint8_t *f, size_t *n) { A(f)->ar_hrd = htons(2); }
static void m_pro6(uint8_t *f, size_t *n) { A(f)->ar_pro = htons(0x86dd); }
static void m_op3(uint8_t *f, size_t *n) { A(f)->ar_op = htons(3); }
static void m_op0(uint8_t *f, size_t *n) { A(f)->ar_op = 0; }
static void m_trunc20(uint8_t *f, size_t *n) { *n = ETH_HLEN + 20; }
static void m_trunc27(uint8_t *f, size_t *n) { *n = ETH_HLEN + 27; }
static void m_sha_mcast(uint8_t *f, size_t *n)
{
	static const uint8_t m[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	memcpy(A(f)->ar_sha, m, ETH_ALEN);
}
static void m_sha_bcast(uint8_t *f, size_t *n) { memset(A(f)->ar_sha, 0xff, ETH_ALEN); }
static void m_sha_zero(uint8_t *f, size_t *n) { memset(A(f)->ar_sha, 0, ETH_ALEN); }
static void m_sip_loop(uint8_t *f, size_t *n) { A(f)->ar_sip = ip4(127, 0, 0, 1); }
static void m_sip_mcast(uint8_t *f, size_t *n) { A(f)->ar_sip = ip4(224, 0, 0, 1); }
static void m_sip_bcast(uint8_t *f, size_t *n) { A(f)->ar_sip = 0xffffffffu; }

static void test_malformed(void **state)
{
	static const struct bad_arp cases[] = {
		{ "hlen 5", m_hln5 }, { "plen 6", m_pln6 }, { "hrd 2", m_hrd2 },
		{ "pro ipv6", m_pro6 }, { "op 3", m_op3 }, { "op 0", m_op0 },
		{ "truncated to 20", m_trunc20 }, { "truncated to 27", m_trunc27 },
		{ "multicast sender MAC", m_sha_mcast }, { "broadcast sender MAC", m_sha_bcast },
		{ "zero sender MAC", m_sha_zero }, { "sender 127.0.0.1", m_sip_loop },
		{ "sender 224.0.0.1", m_sip_mcast }, { "sender 255.255.255.255", m_sip_bcast },
	};
	struct env *e = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t f[64];
		char spec[128];
		struct snap s;
		size_t n = arp_build(f, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_MAC, OTHER_IP,
				     ZERO_MAC, OUR_IP);

		cases[i].mutate(f, &n);
		snap_take(&s, &e->net, e->dev);
		memdev_inject(e->dev, f, n);
		print_message("malformed ARP: %s\n", cases[i].what);
		snprintf(spec, sizeof(spec), "arp.InErrors=1 dev.RxFrames=1 dev.RxBytes=%zu", n);
		snap_expect(&s, &e->net, e->dev, spec);
		assert_int_equal(memdev_pending(e->dev), 0);
		assert_null(neigh_lookup(&e->net, OTHER_IP));
		assert_int_equal(e->net.arp_tbl.entries, 1);	/* PEER only */
	}
}

/* Sending to an on-link address we have no MAC for: queue, ask, send. */
static void test_resolve_then_send(void **state)
{
	struct env *e = *state;
	struct neighbour *n;
	struct snap s;
	size_t len;
	char spec[256];

	snap_take(&s, &e->net, e->dev);
	len = inject_echo(e, OTHER_IP, 1, 32);
	snprintf(spec, sizeof(spec),
		 "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 ip.InDelivers=1 ip.OutRequests=1 "
		 "icmp.InMsgs=1 icmp.InEchos=1 icmp.OutMsgs=1 icmp.OutEchoReps=1 "
		 "arp.OutRequests=1 dev.TxFrames=1 dev.TxBytes=42", len);
	snap_expect(&s, &e->net, e->dev, spec);
	/* One request, broadcast, from our address, for OTHER_IP. */
	assert_int_equal(memdev_pending(e->dev), 1);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_non_null(n);
	assert_int_equal(n->nud_state, NUD_INCOMPLETE);
	assert_int_equal(n->arp_queue.qlen, 1);
	assert_true(timer_pending(&n->timer));

	/* A second packet waits too, without a second request. */
	inject_echo(e, OTHER_IP, 2, 32);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(n->arp_queue.qlen, 2);
	assert_int_equal(e->net.arpstats.OutRequests, s.arp.OutRequests + 1);

	/* The answer releases both, in order, to the MAC it gave. */
	snap_take(&s, &e->net, e->dev);
	inject_arp(e, OUR_MAC, OTHER_MAC, ARPOP_REPLY, OTHER_IP, OUR_MAC, OUR_IP);
	snprintf(spec, sizeof(spec),
		 "arp.InReplies=1 dev.RxFrames=1 dev.RxBytes=42 dev.TxFrames=2 dev.TxBytes=%zu",
		 2 * len);
	snap_expect(&s, &e->net, e->dev, spec);
	assert_int_equal(memdev_pending(e->dev), 2);
	pop_echo_reply(e, OTHER_MAC, OTHER_IP, 1);
	pop_echo_reply(e, OTHER_MAC, OTHER_IP, 2);
	assert_int_equal(n->nud_state, NUD_REACHABLE);
	assert_memory_equal(n->ha, OTHER_MAC, ETH_ALEN);
	assert_int_equal(n->arp_queue.qlen, 0);
	assert_false(timer_pending(&n->timer));

	/* No more requests later, and the next packet goes straight out. */
	run_until(&e->net, T0 + 5 * SEC);
	assert_int_equal(memdev_pending(e->dev), 0);
	inject_echo(e, OTHER_IP, 3, 32);
	assert_int_equal(memdev_pending(e->dev), 1);
	pop_echo_reply(e, OTHER_MAC, OTHER_IP, 3);
}

/* Unanswered: a request every ARP_RETRANS_US, ARP_MAX_PROBES in all, then
 * the entry fails and what waited is dropped, with host unreachable to its
 * (local) sender. */
static void test_resolve_fails(void **state)
{
	struct env *e = *state;
	struct neighbour *n;
	struct sk_buff *skb;
	struct snap s;

	inject_echo(e, OTHER_IP, 1, 16);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
	n = neigh_lookup(&e->net, OTHER_IP);

	for (int probe = 2; probe <= ARP_MAX_PROBES; probe++) {
		uint64_t at = T0 + (uint64_t)(probe - 1) * ARP_RETRANS_US;
		run_until(&e->net, at - 1);
		assert_int_equal(memdev_pending(e->dev), 0);
		snap_take(&s, &e->net, e->dev);
		run_until(&e->net, at);
		snap_expect(&s, &e->net, e->dev, "arp.OutRequests=1 dev.TxFrames=1 dev.TxBytes=42");
		pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
		assert_int_equal(n->nud_state, NUD_INCOMPLETE);
		assert_int_equal(n->arp_queue.qlen, 1);
	}
	snap_take(&s, &e->net, e->dev);
	run_until(&e->net, T0 + ARP_MAX_PROBES * ARP_RETRANS_US);
	snap_expect(&s, &e->net, e->dev,
		    "arp.UnresolvedDrops=1 icmp.OutMsgs=1 icmp.OutDestUnreachs=1 ip.OutRequests=1");
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(n->nud_state, NUD_FAILED);
	assert_int_equal(n->arp_queue.qlen, 0);
	assert_false(timer_pending(&n->timer));

	/* The host unreachable went to ourselves, quoting the dropped reply. */
	assert_int_equal(e->net.backlog.qlen, 1);
	skb = skb_peek(&e->net.backlog);
	{
		const struct iphdr *iph = (const struct iphdr *)skb->data;
		const struct icmphdr *ic = (const struct icmphdr *)(skb->data + 20);
		const struct iphdr *inner = (const struct iphdr *)(skb->data + 28);
		assert_int_equal(iph->saddr, OUR_IP);
		assert_int_equal(iph->daddr, OUR_IP);
		assert_int_equal(iph->protocol, IPPROTO_ICMP);
		assert_int_equal(ic->type, ICMP_DEST_UNREACH);
		assert_int_equal(ic->code, ICMP_HOST_UNREACH);
		assert_int_equal(inner->saddr, OUR_IP);
		assert_int_equal(inner->daddr, OTHER_IP);
		assert_int_equal(skb->data[48], ICMP_ECHOREPLY);
	}
	snap_take(&s, &e->net, e->dev);
	net_process_backlog(&e->net);
	snap_expect(&s, &e->net, e->dev,
		    "ip.InReceives=1 ip.InDelivers=1 icmp.InMsgs=1 icmp.InDestUnreachs=1");
	assert_int_equal(memdev_pending(e->dev), 0);

	/* No more requests while failed... */
	run_until(&e->net, T0 + 4 * SEC);
	assert_int_equal(memdev_pending(e->dev), 0);
	/* ...and a failure is forgotten after ARP_FAILED_US (at a gc run). */
	run_until(&e->net, T0 + 3 * SEC + ARP_FAILED_US - 1);
	assert_non_null(neigh_lookup(&e->net, OTHER_IP));
	run_until(&e->net, T0 + 10 * SEC);
	assert_null(neigh_lookup(&e->net, OTHER_IP));
	assert_int_equal(e->net.arp_tbl.entries, 1);
}

/* A new packet to a failed neighbour starts a fresh resolution. */
static void test_failed_retries_on_use(void **state)
{
	struct env *e = *state;
	struct neighbour *n;

	inject_echo(e, OTHER_IP, 1, 16);
	run_until(&e->net, T0 + 3 * SEC);
	assert_int_equal(drain(e->dev), 3);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_int_equal(n->nud_state, NUD_FAILED);

	inject_echo(e, OTHER_IP, 2, 16);
	assert_int_equal(n->nud_state, NUD_INCOMPLETE);
	assert_int_equal(n->arp_queue.qlen, 1);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
	inject_arp(e, OUR_MAC, OTHER_MAC, ARPOP_REPLY, OTHER_IP, OUR_MAC, OUR_IP);
	pop_echo_reply(e, OTHER_MAC, OTHER_IP, 2);
}

/* At most ARP_QUEUE_MAX packets wait; the oldest give way. */
static void test_queue_bound(void **state)
{
	struct env *e = *state;
	const int total = ARP_QUEUE_MAX + 6;
	struct neighbour *n;
	struct snap s;

	snap_take(&s, &e->net, e->dev);
	for (int i = 0; i < total; i++)
		inject_echo(e, OTHER_IP, (uint16_t)i, 20);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_int_equal(n->arp_queue.qlen, ARP_QUEUE_MAX);
	assert_int_equal(e->net.arpstats.QueueDrops - s.arp.QueueDrops, total - ARP_QUEUE_MAX);
	assert_int_equal(e->net.arpstats.OutRequests - s.arp.OutRequests, 1);
	assert_int_equal(memdev_pending(e->dev), 1);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);

	inject_arp(e, OUR_MAC, OTHER_MAC, ARPOP_REPLY, OTHER_IP, OUR_MAC, OUR_IP);
	assert_int_equal(memdev_pending(e->dev), ARP_QUEUE_MAX);
	for (int i = total - ARP_QUEUE_MAX; i < total; i++)
		pop_echo_reply(e, OTHER_MAC, OTHER_IP, (uint16_t)i);
}

/* The byte bound holds too, whatever the mix of sizes: many small packets
 * waiting, then large ones (MTU 9000, so large replies are not fragmented). */
static void test_queue_byte_bound(void **state)
{
	struct env *e = *state;
	struct neighbour *n;

	for (int i = 0; i < 50; i++)
		inject_echo(e, OTHER_IP, (uint16_t)i, 0);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_int_equal(n->arp_queue.qlen, 50);
	assert_int_equal(n->arp_queue.bytes, 50 * 28);
	for (int i = 0; i < 40; i++) {
		inject_echo(e, OTHER_IP, (uint16_t)(100 + i), 9000 - 28);
		if (n->arp_queue.bytes > ARP_QUEUE_BYTES)
			fail_msg("after %d large packets: %zu bytes wait, bound %u (%u packets)",
				 i + 1, n->arp_queue.bytes, ARP_QUEUE_BYTES, n->arp_queue.qlen);
		assert_in_range(n->arp_queue.qlen, 1, ARP_QUEUE_MAX);
	}
}

/* REACHABLE -> STALE after ARP_REACHABLE_US; STALE and unused -> removed
 * after ARP_STALE_US.  Ageing happens at gc runs, every ARP_GC_US. */
static void test_aging(void **state)
{
	struct env *e = *state;
	struct neighbour *n;

	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, OUR_IP);
	assert_int_equal(drain(e->dev), 1);
	assert_int_equal(e->net.arp_tbl.entries, 2);
	/* ARP_REACHABLE_US and ARP_STALE_US are multiples of ARP_GC_US, so a gc
	 * run falls exactly on each boundary. */
	assert_int_equal(ARP_REACHABLE_US % ARP_GC_US, 0);
	assert_int_equal(ARP_STALE_US % ARP_GC_US, 0);

	run_until(&e->net, T0 + ARP_REACHABLE_US - 1);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_int_equal(n->nud_state, NUD_REACHABLE);
	run_until(&e->net, T0 + ARP_REACHABLE_US);
	assert_int_equal(n->nud_state, NUD_STALE);
	run_until(&e->net, T0 + ARP_STALE_US - 1);
	assert_int_equal(n->nud_state, NUD_STALE);
	assert_int_equal(memdev_pending(e->dev), 0);	/* ageing sends nothing */
	run_until(&e->net, T0 + ARP_STALE_US);
	assert_null(neigh_lookup(&e->net, OTHER_IP));
	assert_int_equal(e->net.arp_tbl.entries, 1);
	/* The permanent one does not age. */
	run_until(&e->net, T0 + 1000 * SEC);
	assert_int_equal(neigh_lookup(&e->net, PEER_IP)->nud_state, NUD_PERMANENT);
}

/* Using a stale entry sends to the old MAC and asks again at the same time;
 * a used entry is not removed. */
static void test_stale_use(void **state)
{
	struct env *e = *state;
	struct neighbour *n;
	struct snap s;

	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, OUR_IP);
	assert_int_equal(drain(e->dev), 1);
	run_until(&e->net, T0 + ARP_REACHABLE_US + SEC);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_int_equal(n->nud_state, NUD_STALE);

	snap_take(&s, &e->net, e->dev);
	inject_echo(e, OTHER_IP, 9, 8);
	assert_int_equal(e->net.arpstats.OutRequests - s.arp.OutRequests, 1);
	assert_int_equal(memdev_pending(e->dev), 2);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
	pop_echo_reply(e, OTHER_MAC, OTHER_IP, 9);
	assert_int_equal(n->nud_state, NUD_STALE);
	assert_int_equal(n->used, T0 + ARP_REACHABLE_US + SEC);

	/* Removed ARP_STALE_US after the last use, not after the last reply. */
	run_until(&e->net, T0 + ARP_REACHABLE_US + SEC + ARP_STALE_US - 2 * SEC);
	assert_non_null(neigh_lookup(&e->net, OTHER_IP));
	run_until(&e->net, T0 + ARP_REACHABLE_US + SEC + ARP_STALE_US + ARP_GC_US);
	assert_null(neigh_lookup(&e->net, OTHER_IP));
}

/* A stale neighbour that answers from a new MAC is updated. */
static void test_stale_answered_new_mac(void **state)
{
	struct env *e = *state;
	struct neighbour *n;

	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, OUR_IP);
	assert_int_equal(drain(e->dev), 1);
	run_until(&e->net, T0 + ARP_REACHABLE_US + SEC);
	inject_echo(e, OTHER_IP, 1, 8);
	assert_int_equal(drain(e->dev), 2);

	inject_arp(e, OUR_MAC, NEW_MAC, ARPOP_REPLY, OTHER_IP, OUR_MAC, OUR_IP);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_int_equal(n->nud_state, NUD_REACHABLE);
	assert_memory_equal(n->ha, NEW_MAC, ETH_ALEN);
	assert_int_equal(n->confirmed, T0 + ARP_REACHABLE_US + SEC);
	inject_echo(e, OTHER_IP, 2, 8);
	assert_int_equal(memdev_pending(e->dev), 1);
	pop_echo_reply(e, NEW_MAC, OTHER_IP, 2);
}

/* Someone else claiming our address is counted and believed in nothing. */
static void test_conflict(void **state)
{
	struct env *e = *state;
	struct snap s;

	snap_take(&s, &e->net, e->dev);
	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OUR_IP);
	snap_expect(&s, &e->net, e->dev,
		    "arp.InRequests=1 arp.Conflicts=1 dev.RxFrames=1 dev.RxBytes=42");
	snap_take(&s, &e->net, e->dev);
	inject_arp(e, OUR_MAC, OTHER_MAC, ARPOP_REPLY, OUR_IP, OUR_MAC, PEER_IP);
	snap_expect(&s, &e->net, e->dev,
		    "arp.InReplies=1 arp.Conflicts=1 dev.RxFrames=1 dev.RxBytes=42");
	/* A claim for our address asking about someone we know: still nothing. */
	snap_take(&s, &e->net, e->dev);
	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
	snap_expect(&s, &e->net, e->dev,
		    "arp.InRequests=1 arp.Conflicts=1 dev.RxFrames=1 dev.RxBytes=42");
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_null(neigh_lookup(&e->net, OUR_IP));
	assert_int_equal(e->net.arp_tbl.entries, 1);

	/* Our own gratuitous ARP coming back is not a conflict. */
	snap_take(&s, &e->net, e->dev);
	inject_arp(e, BCAST_MAC, OUR_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OUR_IP);
	snap_expect(&s, &e->net, e->dev, "arp.InRequests=1 dev.RxFrames=1 dev.RxBytes=42");
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_static(void **state)
{
	struct env *e = *state;
	struct neighbour *n;
	struct snap s;

	assert_int_equal(neigh_add_static(e->dev, OTHER_IP, OTHER_MAC), 0);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_non_null(n);
	assert_int_equal(n->nud_state, NUD_PERMANENT);
	assert_memory_equal(n->ha, OTHER_MAC, ETH_ALEN);
	assert_string_equal(neigh_state_name(n->nud_state), "permanent");
	assert_int_equal(memdev_pending(e->dev), 0);

	/* Used at once, without a request. */
	snap_take(&s, &e->net, e->dev);
	inject_echo(e, OTHER_IP, 1, 8);
	assert_int_equal(e->net.arpstats.OutRequests, s.arp.OutRequests);
	pop_echo_reply(e, OTHER_MAC, OTHER_IP, 1);

	/* ARP does not overwrite it. */
	inject_arp(e, OUR_MAC, NEW_MAC, ARPOP_REPLY, OTHER_IP, OUR_MAC, OUR_IP);
	inject_arp(e, BCAST_MAC, NEW_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, OUR_IP);
	assert_int_equal(drain(e->dev), 1);	/* the reply to the request */
	assert_int_equal(n->nud_state, NUD_PERMANENT);
	assert_memory_equal(n->ha, OTHER_MAC, ETH_ALEN);

	/* It never ages. */
	run_until(&e->net, T0 + 1000 * SEC);
	assert_ptr_equal(neigh_lookup(&e->net, OTHER_IP), n);
	assert_int_equal(n->nud_state, NUD_PERMANENT);

	assert_int_equal(neigh_delete(&e->net, OTHER_IP), 0);
	assert_null(neigh_lookup(&e->net, OTHER_IP));
	assert_int_equal(neigh_delete(&e->net, OTHER_IP), -ENOENT);
	assert_int_equal(e->net.arp_tbl.entries, 1);
}

static void test_static_invalid(void **state)
{
	static const uint8_t mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	struct env *e = *state;

	assert_int_equal(neigh_add_static(e->dev, OTHER_IP, mcast), -EINVAL);
	assert_int_equal(neigh_add_static(e->dev, OTHER_IP, BCAST_MAC), -EINVAL);
	assert_int_equal(neigh_add_static(e->dev, OTHER_IP, ZERO_MAC), -EINVAL);
	assert_int_equal(neigh_add_static(e->dev, 0, OTHER_MAC), -EINVAL);
	assert_int_equal(neigh_add_static(e->dev, ip4(127, 0, 0, 1), OTHER_MAC), -EINVAL);
	assert_int_equal(neigh_add_static(e->dev, ip4(224, 0, 0, 5), OTHER_MAC), -EINVAL);
	assert_int_equal(neigh_add_static(e->dev, 0xffffffffu, OTHER_MAC), -EINVAL);
	assert_int_equal(e->net.arp_tbl.entries, 1);
}

/* "add IP MAC" for an IP that already has a static entry replaces its MAC. */
static void test_static_replace(void **state)
{
	struct env *e = *state;
	struct neighbour *n;

	assert_int_equal(neigh_add_static(e->dev, OTHER_IP, OTHER_MAC), 0);
	assert_int_equal(neigh_add_static(e->dev, OTHER_IP, NEW_MAC), 0);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_int_equal(n->nud_state, NUD_PERMANENT);
	assert_int_equal(e->net.arp_tbl.entries, 2);
	assert_memory_equal(n->ha, NEW_MAC, ETH_ALEN);
	inject_echo(e, OTHER_IP, 1, 8);
	pop_echo_reply(e, NEW_MAC, OTHER_IP, 1);
}

/* A static entry for a neighbour being resolved sends what waited. */
static void test_static_resolves_incomplete(void **state)
{
	struct env *e = *state;
	struct neighbour *n;

	inject_echo(e, OTHER_IP, 5, 8);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
	assert_int_equal(neigh_add_static(e->dev, OTHER_IP, OTHER_MAC), 0);
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_int_equal(n->nud_state, NUD_PERMANENT);
	assert_false(timer_pending(&n->timer));
	assert_int_equal(memdev_pending(e->dev), 1);
	pop_echo_reply(e, OTHER_MAC, OTHER_IP, 5);
	run_until(&e->net, T0 + 10 * SEC);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.arpstats.UnresolvedDrops, 0);
}

static void test_flush(void **state)
{
	struct env *e = *state;

	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, OUR_IP);
	inject_arp(e, BCAST_MAC, NEW_MAC, ARPOP_REQUEST, ip4(10, 0, 0, 8), ZERO_MAC, OUR_IP);
	inject_echo(e, ip4(10, 0, 0, 9), 1, 8);		/* an incomplete one with a packet */
	assert_int_equal(drain(e->dev), 3);
	assert_int_equal(e->net.arp_tbl.entries, 4);
	neigh_flush(&e->net);
	assert_int_equal(e->net.arp_tbl.entries, 0);
	assert_null(neigh_lookup(&e->net, OTHER_IP));
	assert_null(neigh_lookup(&e->net, ip4(10, 0, 0, 8)));
	assert_null(neigh_lookup(&e->net, ip4(10, 0, 0, 9)));
	assert_null(neigh_lookup(&e->net, PEER_IP));
	for (int h = 0; h < ARP_HASH; h++)
		assert_null(e->net.arp_tbl.hash[h]);
	/* The retransmit timer of the incomplete one went with it. */
	run_until(&e->net, T0 + 10 * SEC);
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* A full table evicts its oldest learned entry for a new one. */
static void test_table_evicts_oldest(void **state)
{
	struct env *e = *state;
	const uint32_t mine = ip4(10, 1, 0, 1);

	assert_int_equal(inet_add_ifaddr(e->dev, mine, 16), 0);
	assert_int_equal(drain(e->dev), 1);
	for (unsigned i = 0; i < ARP_TABLE_MAX - 1; i++) {
		uint8_t mac[ETH_ALEN] = { 0x02, 0x10, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };
		net_advance(&e->net, T0 + 1 + i);	/* distinct confirmation times */
		inject_arp(e, BCAST_MAC, mac, ARPOP_REQUEST, ip4(10, 1, 1 + i / 250, 1 + i % 250),
			   ZERO_MAC, mine);
		assert_int_equal(drain(e->dev), 1);
	}
	assert_int_equal(e->net.arp_tbl.entries, ARP_TABLE_MAX);
	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, OUR_IP);
	assert_int_equal(drain(e->dev), 1);
	assert_int_equal(e->net.arp_tbl.entries, ARP_TABLE_MAX);
	assert_int_equal(e->net.arpstats.TableFull, 0);
	assert_non_null(neigh_lookup(&e->net, OTHER_IP));
	assert_null(neigh_lookup(&e->net, ip4(10, 1, 1, 1)));	/* the oldest learned */
	assert_non_null(neigh_lookup(&e->net, ip4(10, 1, 1, 2)));
	assert_non_null(neigh_lookup(&e->net, PEER_IP));	/* permanent stays */
}

/* A table full of entries being resolved has nothing to evict. */
static void test_table_full_of_incomplete(void **state)
{
	struct env *e = *state;
	const uint32_t mine = ip4(10, 1, 0, 1);
	struct snap s;

	assert_int_equal(inet_add_ifaddr(e->dev, mine, 16), 0);
	assert_int_equal(drain(e->dev), 1);
	for (unsigned i = 0; i < ARP_TABLE_MAX; i++) {
		inject_echo(e, ip4(10, 1, 1 + i / 250, 1 + i % 250), 1, 8);
		assert_int_equal(drain(e->dev), 1);
	}
	assert_int_equal(e->net.arp_tbl.entries, ARP_TABLE_MAX);
	snap_take(&s, &e->net, e->dev);
	inject_echo(e, OTHER_IP, 1, 8);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.arpstats.TableFull - s.arp.TableFull, 1);
	assert_int_equal(e->net.icmpstats.OutErrors - s.icmp.OutErrors, 1);
	assert_null(neigh_lookup(&e->net, OTHER_IP));
}

/* A gratuitous ARP from a neighbour we know updates it (RFC 826's merge);
 * from one we do not know, it teaches nothing. */
static void test_gratuitous(void **state)
{
	struct env *e = *state;
	struct neighbour *n;
	struct snap s;

	inject_arp(e, BCAST_MAC, OTHER_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, OUR_IP);
	assert_int_equal(drain(e->dev), 1);
	net_advance(&e->net, T0 + SEC);
	snap_take(&s, &e->net, e->dev);
	inject_arp(e, BCAST_MAC, NEW_MAC, ARPOP_REQUEST, OTHER_IP, ZERO_MAC, OTHER_IP);
	snap_expect(&s, &e->net, e->dev, "arp.InRequests=1 dev.RxFrames=1 dev.RxBytes=42");
	n = neigh_lookup(&e->net, OTHER_IP);
	assert_memory_equal(n->ha, NEW_MAC, ETH_ALEN);
	assert_int_equal(n->nud_state, NUD_REACHABLE);
	assert_int_equal(n->confirmed, T0 + SEC);

	snap_take(&s, &e->net, e->dev);
	inject_arp(e, BCAST_MAC, NEW_MAC, ARPOP_REQUEST, ip4(10, 0, 0, 40), ZERO_MAC, ip4(10, 0, 0, 40));
	snap_expect(&s, &e->net, e->dev,
		    "arp.InRequests=1 arp.InIgnored=1 dev.RxFrames=1 dev.RxBytes=42");
	assert_null(neigh_lookup(&e->net, ip4(10, 0, 0, 40)));
	assert_int_equal(memdev_pending(e->dev), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_request_for_us),
		T(test_request_padded_unicast),
		T(test_request_for_other),
		T(test_request_off_link),
		T(test_gratuitous),
		T(test_malformed),
		T(test_resolve_then_send),
		T(test_resolve_fails),
		T(test_failed_retries_on_use),
		T(test_queue_bound),
		cmocka_unit_test_setup_teardown(test_queue_byte_bound, env_setup_jumbo, env_teardown),
		T(test_aging),
		T(test_stale_use),
		T(test_stale_answered_new_mac),
		T(test_conflict),
		T(test_static),
		T(test_static_invalid),
		T(test_static_replace),
		T(test_static_resolves_incomplete),
		T(test_flush),
		T(test_table_evicts_oldest),
		cmocka_unit_test_setup_teardown(test_table_full_of_incomplete, env_setup_nopeer, env_teardown),
	};
	return cmocka_run_group_tests_name("arp", tests, NULL, NULL);
}
