/* IPv6: the header and extension-header walk, ICMPv6 echo and errors,
 * reassembly, neighbour discovery with DAD, SLAAC from an RA and the MLD
 * reports, each as a crafted frame and the exact answer (or the exact
 * counters of a drop). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static uint8_t f[ETH_HLEN + 70000];

/* fe80::ff:fe00:1 is ours (OUR_MAC 02:00:00:00:00:01 as modified EUI-64),
 * fe80::ff:fe00:2 the peer's (PEER_MAC). */
static struct in6_addr a6(const char *s)
{
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}
#define OUR_LL a6("fe80::ff:fe00:1")
#define PEER_LL a6("fe80::ff:fe00:2")
#define OUR_G a6("2001:db8::2")
#define PEER_G a6("2001:db8::1")

static uint16_t csum6(const struct in6_addr *s, const struct in6_addr *d, uint8_t nh,
		      const void *l4, size_t len)
{
	return csum_fold(csum_ipv6_magic(s, d, (uint32_t)len, nh, csum_partial(l4, len, 0)));
}

/* ip6_frame: Ethernet + IPv6 (hop limit hl) + payload, from smac to dmac. */
static size_t ip6_frame(uint8_t *buf, const uint8_t *dmac, const uint8_t *smac,
			const struct in6_addr *s, const struct in6_addr *d, uint8_t nh, uint8_t hl,
			const void *payload, size_t plen)
{
	struct ipv6hdr ip6;	/* built aside: buf + ETH_HLEN is only 2-byte aligned */

	eth_build(buf, dmac, smac, ETH_P_IPV6);
	memset(&ip6, 0, sizeof(ip6));
	ip6.ver_tc_flow = htonl(6u << 28);
	ip6.payload_len = htons((uint16_t)plen);
	ip6.nexthdr = nh;
	ip6.hop_limit = hl;
	ip6.saddr = *s;
	ip6.daddr = *d;
	memcpy(buf + ETH_HLEN, &ip6, sizeof(ip6));
	memcpy(buf + ETH_HLEN + 40, payload, plen);
	return ETH_HLEN + 40 + plen;
}

/* icmp6_frame: the same with an ICMPv6 message whose checksum is filled. */
static size_t icmp6_frame(uint8_t *buf, const uint8_t *dmac, const struct in6_addr *s,
			  const struct in6_addr *d, uint8_t hl, const void *msg, size_t len)
{
	uint8_t m[2048];

	memcpy(m, msg, len);
	m[2] = m[3] = 0;
	uint16_t c = csum6(s, d, NEXTHDR_ICMP, m, len);
	memcpy(m + 2, &c, 2);
	return ip6_frame(buf, dmac, PEER_MAC, s, d, NEXTHDR_ICMP, hl, m, len);
}

/* A frame the stack sent, checked as IPv6 to dmac with a payload length
 * equal to the rest of the frame. */
struct rx6 {
	struct sk_buff *skb;
	const struct ipv6hdr *ip6;
	const uint8_t *l4;		/* after the IPv6 header */
	size_t l4len;
};
static void pop6(struct net_device *dev, const uint8_t *dmac, struct rx6 *rx)
{
	rx->skb = memdev_pop(dev);
	assert_non_null(rx->skb);
	assert_true(rx->skb->len >= ETH_HLEN + 40);
	const struct ethhdr *eth = (const struct ethhdr *)rx->skb->data;
	assert_memory_equal(eth->h_dest, dmac, 6);
	assert_memory_equal(eth->h_source, OUR_MAC, 6);
	assert_int_equal(ntohs(eth->h_proto), ETH_P_IPV6);
	rx->ip6 = (const struct ipv6hdr *)(rx->skb->data + ETH_HLEN);
	assert_int_equal(ntohl(rx->ip6->ver_tc_flow) >> 28, 6);
	rx->l4 = rx->skb->data + ETH_HLEN + 40;
	rx->l4len = rx->skb->len - ETH_HLEN - 40;
	assert_int_equal(ntohs(rx->ip6->payload_len), rx->l4len);
}
/* pop_icmp6: and it is ICMPv6 of this type with a valid checksum. */
static void pop_icmp6(struct net_device *dev, const uint8_t *dmac, struct rx6 *rx, uint8_t type)
{
	pop6(dev, dmac, rx);
	assert_int_equal(rx->ip6->nexthdr, NEXTHDR_ICMP);
	assert_int_equal(rx->l4[0], type);
	assert_int_equal(csum6(&rx->ip6->saddr, &rx->ip6->daddr, NEXTHDR_ICMP, rx->l4, rx->l4len), 0);
}
static void rx6_free(struct rx6 *rx) { kfree_skb(rx->skb); }

static void sn_mac(const struct in6_addr *a, uint8_t mac[6])
{
	struct in6_addr g;
	addrconf_addr_solict_mult(a, &g);
	ipv6_eth_mc_map(&g, mac);
}

static struct inet6_ifaddr *ifa_of(struct env *e, struct in6_addr a)
{
	return ipv6_get_ifaddr(&e->net, &a);
}

/* A stack with IPv6 up, the link-local address through DAD, 2001:db8::2/64
 * static and through DAD too, every frame of that popped; the peer's
 * link-local and global addresses at PEER_MAC in the neighbour cache. */
static struct env *env6_new(void)
{
	struct env *e = env_new(1500, true);
	struct in6_addr g = OUR_G;

	assert_int_equal(addrconf_dev_up(e->dev), 0);
	assert_int_equal(addrconf_add_static(e->dev, &g, 64), 0);
	run_until(&e->net, e->net.now + 3 * SEC);
	assert_int_equal(ifa_of(e, OUR_LL)->state, IFA6_PREFERRED);
	assert_int_equal(ifa_of(e, OUR_G)->state, IFA6_PREFERRED);
	drain(e->dev);
	return e;
}

/* learn_peer: an NS from the peer (src, with its link address) teaches
 * the stack where it is; the NA that answers it is popped. */
static void learn_peer(struct env *e, struct in6_addr src, struct in6_addr target)
{
	uint8_t ns[32] = { NDISC_NEIGHBOUR_SOLICITATION }, mac[6];
	struct in6_addr g;
	size_t n;

	memcpy(ns + 8, &target, 16);
	ns[24] = ND_OPT_SOURCE_LL_ADDR;
	ns[25] = 1;
	memcpy(ns + 26, PEER_MAC, 6);
	addrconf_addr_solict_mult(&target, &g);
	sn_mac(&target, mac);
	n = icmp6_frame(f, mac, &src, &g, 255, ns, sizeof(ns));
	memdev_inject(e->dev, f, n);
	assert_int_equal(drain(e->dev), 1);
}

static int setup6(void **state)
{
	*state = env6_new();
	return 0;
}

/* ---- DAD, link-local, RS, MLD ----------------------------------------------- */

static void test_dad_sequence(void **state)
{
	struct env *e = env_new(1500, true);
	struct in6_addr ll = OUR_LL, any = { 0 }, sn;
	uint8_t mac[6];
	struct rx6 rx;

	(void)state;
	addrconf_addr_solict_mult(&ll, &sn);
	sn_mac(&ll, mac);
	assert_int_equal(addrconf_dev_up(e->dev), 0);
	assert_int_equal(ifa_of(e, ll)->state, IFA6_TENTATIVE);

	/* First the MLDv2 report joining the solicited-node group, from ::
	 * (RFC 3590), behind a hop-by-hop header with router alert. */
	static const uint8_t mld_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x16 };
	pop6(e->dev, mld_mac, &rx);
	assert_int_equal(rx.ip6->nexthdr, NEXTHDR_HOP);
	assert_int_equal(rx.ip6->hop_limit, 1);
	assert_memory_equal(&rx.ip6->saddr, &any, 16);
	static const uint8_t hbh[8] = { NEXTHDR_ICMP, 0, 5, 2, 0, 0, 1, 0 };
	assert_memory_equal(rx.l4, hbh, 8);
	assert_int_equal(rx.l4len, 8 + 8 + 20);
	assert_int_equal(rx.l4[8], ICMPV6_MLD2_REPORT);
	assert_int_equal(csum6(&rx.ip6->saddr, &rx.ip6->daddr, NEXTHDR_ICMP, rx.l4 + 8, 28), 0);
	assert_int_equal(rx.l4[8 + 7], 1);		/* one record */
	assert_int_equal(rx.l4[16], 4);			/* change to exclude */
	assert_memory_equal(rx.l4 + 20, &sn, 16);
	rx6_free(&rx);
	assert_int_equal(memdev_pending(e->dev), 0);

	/* Within the random delay (< 1 s): the DAD probe, exactly. */
	run_until(&e->net, e->net.now + SEC);
	pop_icmp6(e->dev, mac, &rx, NDISC_NEIGHBOUR_SOLICITATION);
	assert_int_equal(rx.ip6->hop_limit, 255);
	assert_memory_equal(&rx.ip6->saddr, &any, 16);
	assert_memory_equal(&rx.ip6->daddr, &sn, 16);
	assert_int_equal(rx.l4len, 24);			/* no link-layer option from :: */
	assert_memory_equal(rx.l4 + 8, &ll, 16);
	rx6_free(&rx);
	assert_int_equal(ifa_of(e, ll)->state, IFA6_TENTATIVE);
	assert_int_equal(e->net.ipv6.icmp6.OutNeighborSolicits, 1);

	/* A second later, no answer: preferred; a report from the address
	 * now, and a router solicitation with our link address. */
	run_until(&e->net, e->net.now + SEC);
	assert_int_equal(ifa_of(e, ll)->state, IFA6_PREFERRED);
	pop6(e->dev, mld_mac, &rx);
	assert_memory_equal(&rx.ip6->saddr, &ll, 16);
	rx6_free(&rx);
	static const uint8_t rs_mac[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	pop_icmp6(e->dev, rs_mac, &rx, NDISC_ROUTER_SOLICITATION);
	uint8_t want[16] = { NDISC_ROUTER_SOLICITATION, 0, 0, 0, 0, 0, 0, 0, 1, 1 };
	memcpy(want + 10, OUR_MAC, 6);
	memcpy(want + 2, rx.l4 + 2, 2);
	assert_int_equal(rx.l4len, 16);
	assert_memory_equal(rx.l4, want, 16);
	assert_int_equal(rx.ip6->hop_limit, 255);
	assert_memory_equal(&rx.ip6->saddr, &ll, 16);
	rx6_free(&rx);

	/* Two more solicitations 4 s apart, then no more. */
	run_until(&e->net, e->net.now + 4 * SEC);
	assert_int_equal(drain(e->dev), 1);
	run_until(&e->net, e->net.now + 4 * SEC);
	assert_int_equal(drain(e->dev), 1);
	run_until(&e->net, e->net.now + 20 * SEC);
	assert_int_equal(drain(e->dev), 0);
	assert_int_equal(e->net.ipv6.icmp6.OutRouterSolicits, 3);
	env_free(e);
}

/* Someone answers our DAD probe: the address is never used. */
static void test_dad_conflict_na(void **state)
{
	struct env *e = env_new(1500, true);
	struct in6_addr ll = OUR_LL, all = in6addr_linklocal_allnodes;
	uint8_t na[32] = { NDISC_NEIGHBOUR_ADVERTISEMENT, 0, 0, 0, 0x20 };
	static const uint8_t all_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	size_t n;

	(void)state;
	assert_int_equal(addrconf_dev_up(e->dev), 0);
	memcpy(na + 8, &ll, 16);
	na[24] = ND_OPT_TARGET_LL_ADDR;
	na[25] = 1;
	memcpy(na + 26, OTHER_MAC, 6);
	n = icmp6_frame(f, all_mac, &ll, &all, 255, na, sizeof(na));
	memdev_inject(e->dev, f, n);
	assert_int_equal(ifa_of(e, ll)->state, IFA6_DADFAILED);
	assert_int_equal(e->net.ipv6.icmp6.DadFailures, 1);
	drain(e->dev);
	run_until(&e->net, e->net.now + 10 * SEC);
	/* No router solicitation: there is no address to send it from. */
	assert_int_equal(e->net.ipv6.icmp6.OutRouterSolicits, 0);
	assert_null(ipv6_select_saddr(e->dev, &all));
	env_free(e);
}

/* Another node probes for our tentative address (DAD NS from ::). */
static void test_dad_conflict_ns(void **state)
{
	struct env *e = env_new(1500, true);
	struct in6_addr ll = OUR_LL, any = { 0 }, sn;
	uint8_t ns[24] = { NDISC_NEIGHBOUR_SOLICITATION }, mac[6];
	size_t n;

	(void)state;
	assert_int_equal(addrconf_dev_up(e->dev), 0);
	drain(e->dev);
	addrconf_addr_solict_mult(&ll, &sn);
	sn_mac(&ll, mac);
	memcpy(ns + 8, &ll, 16);
	n = icmp6_frame(f, mac, &any, &sn, 255, ns, sizeof(ns));
	memdev_inject(e->dev, f, n);
	assert_int_equal(ifa_of(e, ll)->state, IFA6_DADFAILED);
	assert_int_equal(memdev_pending(e->dev), 0);	/* no answer for a tentative address */
	env_free(e);
}

/* ---- neighbour discovery ---------------------------------------------------- */

/* NS for our global address: the exact NA, and the peer learnt stale. */
static void test_ns_exact_na(void **state)
{
	struct env *e = *state;
	struct in6_addr g = OUR_G, peer = PEER_G, sn;
	uint8_t ns[32] = { NDISC_NEIGHBOUR_SOLICITATION }, mac[6], want[32];
	struct rx6 rx;
	size_t n;

	addrconf_addr_solict_mult(&g, &sn);
	sn_mac(&g, mac);
	memcpy(ns + 8, &g, 16);
	ns[24] = ND_OPT_SOURCE_LL_ADDR;
	ns[25] = 1;
	memcpy(ns + 26, PEER_MAC, 6);
	n = icmp6_frame(f, mac, &peer, &sn, 255, ns, sizeof(ns));
	memdev_inject(e->dev, f, n);
	pop_icmp6(e->dev, PEER_MAC, &rx, NDISC_NEIGHBOUR_ADVERTISEMENT);
	assert_int_equal(rx.ip6->hop_limit, 255);
	assert_memory_equal(&rx.ip6->saddr, &g, 16);
	assert_memory_equal(&rx.ip6->daddr, &peer, 16);
	memset(want, 0, sizeof(want));
	want[0] = NDISC_NEIGHBOUR_ADVERTISEMENT;
	memcpy(want + 2, rx.l4 + 2, 2);
	want[4] = 0x60;				/* solicited, override */
	memcpy(want + 8, &g, 16);
	want[24] = ND_OPT_TARGET_LL_ADDR;
	want[25] = 1;
	memcpy(want + 26, OUR_MAC, 6);
	assert_int_equal(rx.l4len, 32);
	assert_memory_equal(rx.l4, want, 32);
	rx6_free(&rx);
	struct nd_neigh *nb = nd_lookup(&e->net, &peer);
	assert_non_null(nb);
	assert_int_equal(nb->state, ND_DELAY);	/* used by the NA: DELAY (§7.3.3) */
	assert_memory_equal(nb->ha, PEER_MAC, 6);
	assert_int_equal(e->net.ipv6.icmp6.InNeighborSolicits, 1);
	assert_int_equal(e->net.ipv6.icmp6.OutNeighborAdvertisements, 1);
}

/* Bogus NDP: dropped, counted by reason and in InErrors, never answered. */
static void test_ns_bogus(void **state)
{
	struct env *e = *state;
	struct icmp6stats *st = &e->net.ipv6.icmp6;
	struct in6_addr g = OUR_G, peer = PEER_G, any = { 0 }, sn, mc = in6addr_linklocal_allnodes;
	uint8_t ns[40] = { NDISC_NEIGHBOUR_SOLICITATION }, mac[6];
	size_t n;

	addrconf_addr_solict_mult(&g, &sn);
	sn_mac(&g, mac);
	memcpy(ns + 8, &g, 16);
	ns[24] = ND_OPT_SOURCE_LL_ADDR;
	ns[25] = 1;
	memcpy(ns + 26, PEER_MAC, 6);

	n = icmp6_frame(f, mac, &peer, &sn, 254, ns, 32);	/* crossed a router */
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadHopLimit, 1);
	ns[25] = 0;						/* option length 0 */
	n = icmp6_frame(f, mac, &peer, &sn, 255, ns, 32);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadOptions, 1);
	ns[25] = 2;						/* past the end */
	n = icmp6_frame(f, mac, &peer, &sn, 255, ns, 32);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadOptions, 2);
	ns[25] = 1;
	n = icmp6_frame(f, mac, &peer, &sn, 255, ns, 26);	/* option cut */
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadOptions, 3);
	n = icmp6_frame(f, mac, &peer, &sn, 255, ns, 20);	/* target cut */
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadLength, 1);
	n = icmp6_frame(f, mac, &any, &sn, 255, ns, 32);	/* DAD with an lladdr */
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadSource, 1);
	ns[1] = 1;						/* code 1 */
	n = icmp6_frame(f, mac, &peer, &sn, 255, ns, 32);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadCode, 1);
	ns[1] = 0;
	memcpy(ns + 8, &mc, 16);				/* multicast target */
	n = icmp6_frame(f, mac, &peer, &sn, 255, ns, 32);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadTarget, 1);
	memcpy(ns + 8, &g, 16);
	memcpy(ns + 26, BCAST_MAC, 6);				/* a group as lladdr */
	n = icmp6_frame(f, mac, &peer, &sn, 255, ns, 32);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadOptions, 4);
	assert_int_equal(st->InErrors, 9);
	assert_int_equal(st->InNeighborSolicits, 9);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_null(nd_lookup(&e->net, &peer));
}

/* An echo to a neighbour we do not know yet: held, NS, NA, then sent. */
static void test_echo_resolves(void **state)
{
	struct env *e = *state;
	struct in6_addr g = OUR_G, peer = PEER_G, sn;
	uint8_t req[8 + 56] = { ICMPV6_ECHO_REQUEST, 0, 0, 0, 0xbe, 0xef, 0, 7 }, mac[6];
	uint8_t na[32] = { NDISC_NEIGHBOUR_ADVERTISEMENT, 0, 0, 0, 0x60 };
	struct rx6 rx;
	size_t n;

	fill_pattern(req + 8, 56, 3);
	n = icmp6_frame(f, OUR_MAC, &peer, &g, 64, req, sizeof(req));
	memdev_inject(e->dev, f, n);
	addrconf_addr_solict_mult(&peer, &sn);
	sn_mac(&peer, mac);
	pop_icmp6(e->dev, mac, &rx, NDISC_NEIGHBOUR_SOLICITATION);
	assert_memory_equal(&rx.ip6->saddr, &g, 16);
	assert_memory_equal(&rx.ip6->daddr, &sn, 16);
	assert_int_equal(rx.l4len, 32);
	assert_memory_equal(rx.l4 + 8, &peer, 16);
	assert_int_equal(rx.l4[24], ND_OPT_SOURCE_LL_ADDR);
	assert_memory_equal(rx.l4 + 26, OUR_MAC, 6);
	rx6_free(&rx);
	assert_int_equal(nd_lookup(&e->net, &peer)->state, ND_INCOMPLETE);

	memcpy(na + 8, &peer, 16);
	na[24] = ND_OPT_TARGET_LL_ADDR;
	na[25] = 1;
	memcpy(na + 26, PEER_MAC, 6);
	n = icmp6_frame(f, OUR_MAC, &peer, &g, 255, na, sizeof(na));
	memdev_inject(e->dev, f, n);
	assert_int_equal(nd_lookup(&e->net, &peer)->state, ND_REACHABLE);
	pop_icmp6(e->dev, PEER_MAC, &rx, ICMPV6_ECHO_REPLY);
	assert_int_equal(rx.ip6->hop_limit, 64);
	assert_memory_equal(&rx.ip6->saddr, &g, 16);
	assert_memory_equal(&rx.ip6->daddr, &peer, 16);
	req[0] = ICMPV6_ECHO_REPLY;
	memcpy(req + 2, rx.l4 + 2, 2);
	assert_int_equal(rx.l4len, sizeof(req));
	assert_memory_equal(rx.l4, req, sizeof(req));
	rx6_free(&rx);
}

/* Unanswered solicitations: three, then the held packet is dropped. */
static void test_resolution_fails(void **state)
{
	struct env *e = *state;
	struct in6_addr g = OUR_G, peer = PEER_G;
	uint8_t req[8] = { ICMPV6_ECHO_REQUEST };
	size_t n = icmp6_frame(f, OUR_MAC, &peer, &g, 64, req, sizeof(req));

	uint64_t ns0 = e->net.ipv6.icmp6.OutNeighborSolicits;
	memdev_inject(e->dev, f, n);
	run_until(&e->net, e->net.now + 3 * SEC + SEC / 2);
	drain(e->dev);
	assert_int_equal(e->net.ipv6.icmp6.OutNeighborSolicits - ns0, 3);
	assert_int_equal(nd_lookup(&e->net, &peer)->state, ND_FAILED);
	assert_int_equal(e->net.ipv6.icmp6.NeighUnresolved, 1);
}

/* ---- the header and the extension-header walk ------------------------------- */

static void test_link_local_echo_exact(void **state)
{
	struct env *e = *state;
	struct in6_addr ll = OUR_LL, peer = PEER_LL;
	uint8_t req[8 + 5] = { ICMPV6_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 2, 'h', 'e', 'l', 'l', 'o' };
	struct rx6 rx;
	size_t n;

	learn_peer(e, peer, ll);
	n = icmp6_frame(f, OUR_MAC, &peer, &ll, 64, req, sizeof(req));
	memdev_inject(e->dev, f, n);
	pop_icmp6(e->dev, PEER_MAC, &rx, ICMPV6_ECHO_REPLY);
	assert_memory_equal(&rx.ip6->saddr, &ll, 16);
	assert_memory_equal(&rx.ip6->daddr, &peer, 16);
	assert_int_equal(rx.l4len, sizeof(req));
	assert_memory_equal(rx.l4 + 4, req + 4, sizeof(req) - 4);
	rx6_free(&rx);
	assert_int_equal(e->net.ipv6.stats.InDelivers, 2);
}

/* A parameter problem: type, code, pointer, and the offending packet
 * quoted from its IPv6 header on. */
static void expect_paramprob(struct env *e, size_t n, uint8_t code, uint32_t ptr)
{
	struct rx6 rx;

	memdev_inject(e->dev, f, n);
	pop_icmp6(e->dev, PEER_MAC, &rx, ICMPV6_PARAMPROB);
	assert_int_equal(rx.l4[1], code);
	uint32_t p;
	memcpy(&p, rx.l4 + 4, 4);
	assert_int_equal(ntohl(p), ptr);
	assert_int_equal(rx.l4len, 8 + n - ETH_HLEN);
	assert_memory_equal(rx.l4 + 8, f + ETH_HLEN, n - ETH_HLEN);
	rx6_free(&rx);
}

static void test_ext_walk(void **state)
{
	struct env *e = *state;
	struct ip6stats *st = &e->net.ipv6.stats;
	struct in6_addr g = OUR_G, peer = PEER_G;
	uint8_t p[256];
	size_t n;

	learn_peer(e, peer, g);
	/* Unknown next header: code 1, pointer to the header's next header. */
	memset(p, 0, sizeof(p));
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, 253, 64, p, 16);
	expect_paramprob(e, n, ICMPV6_UNK_NEXTHDR, 6);
	assert_int_equal(st->InUnknownProtos, 1);

	/* Hop-by-hop with an option of type 0x80: code 2, pointer to it. */
	static const uint8_t hbh80[16] = { NEXTHDR_ICMP, 1, 1, 0, 0x80, 2, 0, 0, 1, 4 };
	memcpy(p, hbh80, 16);
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_HOP, 64, p, 24);
	expect_paramprob(e, n, ICMPV6_UNK_OPTION, 40 + 4);
	/* 0x40: dropped without a word; 0x00: skipped, the echo answered. */
	p[4] = 0x40;
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_HOP, 64, p, 24);
	memdev_inject(e->dev, f, n);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(st->InBadOptions, 2);
	p[4] = 0x3e;
	static const uint8_t echo[8] = { ICMPV6_ECHO_REQUEST, 0, 0, 0, 0, 9, 0, 9 };
	memcpy(p + 16, echo, 8);
	uint16_t c = csum6(&peer, &g, NEXTHDR_ICMP, p + 16, 8);
	memcpy(p + 18, &c, 2);
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_HOP, 64, p, 24);
	memdev_inject(e->dev, f, n);
	assert_int_equal(drain(e->dev), 1);
	assert_int_equal(e->net.ipv6.icmp6.OutEchoReplies, 1);

	/* An option running past its header: a header error. */
	p[5] = 11;
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_HOP, 64, p, 24);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadOptions, 3);
	assert_int_equal(memdev_pending(e->dev), 0);

	/* A header longer than the packet; a payload of one byte. */
	uint64_t hdr0 = st->InHdrErrors;
	p[1] = 4;
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_HOP, 64, p, 24);
	memdev_inject(e->dev, f, n);
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_DEST, 64, p, 1);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InTruncatedPkts, 2);
	assert_int_equal(st->InHdrErrors, hdr0 + 2);
	assert_int_equal(memdev_pending(e->dev), 0);
	/* Payload length past the frame. */
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_DEST, 64, p, 8);
	{ uint16_t pl = htons(9); memcpy(f + ETH_HLEN + offsetof(struct ipv6hdr, payload_len), &pl, 2); }
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InTruncatedPkts, 3);

	/* Hop-by-hop after a destination header: code 1 at the dest header's
	 * next header byte. */
	static const uint8_t dst_hop[16] = { NEXTHDR_HOP, 0, 1, 4, 0, 0, 0, 0,
					     NEXTHDR_NONE, 0, 1, 4, 0, 0, 0, 0 };
	memcpy(p, dst_hop, 16);
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_DEST, 64, p, 16);
	expect_paramprob(e, n, ICMPV6_UNK_NEXTHDR, 40);
	assert_int_equal(st->InBadExtHdrs, 1);

	/* A routing header with segments left: code 0 at its type byte. */
	static const uint8_t rh[8] = { NEXTHDR_NONE, 0, 4, 1 };
	memcpy(p, rh, 8);
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_ROUTING, 64, p, 8);
	expect_paramprob(e, n, ICMPV6_HDR_FIELD, 42);
	/* ... and with none left it is passed over. */
	p[3] = 0;
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_ROUTING, 64, p, 8);
	memdev_inject(e->dev, f, n);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(st->InBadExtHdrs, 2);

	/* The chain is bounded. */
	for (int i = 0; i < 12; i++) {
		p[i * 8] = i < 11 ? NEXTHDR_DEST : NEXTHDR_NONE;
		memcpy(p + i * 8 + 1, "\0\1\4\0\0\0\0", 7);
	}
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_DEST, 64, p, 96);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InTooManyExtHdrs, 1);
	assert_int_equal(memdev_pending(e->dev), 0);

	/* Not IPv6, and not for us. */
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_NONE, 64, p, 0);
	f[ETH_HLEN] = 0x45;
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InBadVersion, 1);
	struct in6_addr other = a6("2001:db8::99"), mcsrc = a6("ff02::1");
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &other, NEXTHDR_NONE, 64, p, 0);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InNotForUs, 1);
	n = ip6_frame(f, OUR_MAC, PEER_MAC, &mcsrc, &g, NEXTHDR_NONE, 64, p, 0);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->InMartians, 1);
	assert_int_equal(memdev_pending(e->dev), 0);
	/* No error about a multicast destination, but for an option 0x80. */
	struct in6_addr all = in6addr_linklocal_allnodes;
	static const uint8_t all_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	memset(p, 0, 16);
	n = ip6_frame(f, all_mac, PEER_MAC, &peer, &all, 253, 64, p, 16);
	memdev_inject(e->dev, f, n);
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* ---- fragments ----------------------------------------------------------------- */

/* frag6: fragment [off, off+len) of payload pl (next header nh) as one frame. */
static size_t frag6(uint8_t *buf, const struct in6_addr *s, const struct in6_addr *d, uint32_t id,
		    const uint8_t *pl, size_t off, size_t len, bool more)
{
	uint8_t p[1600];
	struct frag_hdr *fh = (struct frag_hdr *)p;

	fh->nexthdr = NEXTHDR_ICMP;
	fh->reserved = 0;
	fh->frag_off = htons((uint16_t)(off | (more ? IP6_MF : 0)));
	fh->identification = htonl(id);
	memcpy(p + 8, pl + off, len);
	return ip6_frame(buf, OUR_MAC, PEER_MAC, s, d, NEXTHDR_FRAGMENT, 64, p, 8 + len);
}

static void test_frag_echo_both_ways(void **state)
{
	struct env *e = *state;
	struct ip6stats *st = &e->net.ipv6.stats;
	struct in6_addr g = OUR_G, peer = PEER_G;
	static uint8_t req[8 + 3000], got[8 + 3000];
	size_t n, have = 0;

	learn_peer(e, peer, g);
	req[0] = ICMPV6_ECHO_REQUEST;
	req[5] = 1;
	fill_pattern(req + 8, 3000, 5);
	uint16_t c = csum6(&peer, &g, NEXTHDR_ICMP, req, sizeof(req));
	memcpy(req + 2, &c, 2);
	/* Out of order, with a duplicate. */
	n = frag6(f, &peer, &g, 77, req, 2400, sizeof(req) - 2400, false);
	memdev_inject(e->dev, f, n);
	n = frag6(f, &peer, &g, 77, req, 1200, 1200, true);
	memdev_inject(e->dev, f, n);
	memdev_inject(e->dev, f, n);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.ipv6.nfq, 1);
	n = frag6(f, &peer, &g, 77, req, 0, 1200, true);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->ReasmOKs, 1);
	assert_int_equal(st->ReasmReqds, 4);
	assert_int_equal(e->net.ipv6.nfq, 0);
	assert_int_equal(e->net.ipv6.frag_mem, 0);

	/* The 3048-byte reply: three fragments of 1448, 1448 and 144 bytes. */
	assert_int_equal(memdev_pending(e->dev), 3);
	uint32_t id = 0;
	for (int i = 0; i < 3; i++) {
		struct rx6 rx;
		pop6(e->dev, PEER_MAC, &rx);
		assert_int_equal(rx.ip6->nexthdr, NEXTHDR_FRAGMENT);
		const struct frag_hdr *fh = (const struct frag_hdr *)rx.l4;
		uint16_t fo = ntohs(fh->frag_off);
		assert_int_equal(fh->nexthdr, NEXTHDR_ICMP);
		assert_int_equal(fo & IP6_OFFSET, have);
		assert_int_equal(!!(fo & IP6_MF), i < 2);
		if (i == 0)
			id = fh->identification;
		assert_int_equal(fh->identification, id);
		assert_int_equal(rx.l4len - 8, i < 2 ? 1448 : 3008 - 2 * 1448);
		assert_true(rx.skb->len <= ETH_HLEN + 1500);
		memcpy(got + have, rx.l4 + 8, rx.l4len - 8);
		have += rx.l4len - 8;
		rx6_free(&rx);
	}
	assert_int_equal(have, sizeof(req));
	assert_int_equal(got[0], ICMPV6_ECHO_REPLY);
	assert_memory_equal(got + 4, req + 4, sizeof(req) - 4);
	assert_int_equal(csum6(&g, &peer, NEXTHDR_ICMP, got, have), 0);
	assert_int_equal(st->FragOKs, 1);
	assert_int_equal(st->FragCreates, 3);
}

static void test_frag_hostile(void **state)
{
	struct env *e = *state;
	struct ip6stats *st = &e->net.ipv6.stats;
	struct in6_addr g = OUR_G, peer = PEER_G;
	static uint8_t pl[65536 + 64];
	size_t n;

	learn_peer(e, peer, g);
	/* Overlap drops the datagram (RFC 5722). */
	n = frag6(f, &peer, &g, 1, pl, 0, 64, true);
	memdev_inject(e->dev, f, n);
	n = frag6(f, &peer, &g, 1, pl, 32, 64, false);
	memdev_inject(e->dev, f, n);
	assert_int_equal(st->ReasmOverlaps, 1);
	assert_int_equal(e->net.ipv6.nfq, 0);
	/* A fragment with M whose length is not a multiple of 8: code 0 at
	 * the payload length. */
	n = frag6(f, &peer, &g, 2, pl, 0, 61, true);
	expect_paramprob(e, n, ICMPV6_HDR_FIELD, 4);
	/* Past 65535 bytes: code 0 at the fragment offset. */
	n = frag6(f, &peer, &g, 3, pl, 65528, 16, false);
	expect_paramprob(e, n, ICMPV6_HDR_FIELD, 42);
	/* Endless fragments of one datagram: at most 64 held. */
	for (int i = 0; i < 100; i++) {
		n = frag6(f, &peer, &g, 4, pl, 8 + i * 8, 8, true);
		memdev_inject(e->dev, f, n);
	}
	assert_true(st->ReasmTooMany >= 1);
	assert_true(e->net.ipv6.nfq <= 1);
	/* Endless datagrams: at most IPFRAG_MAX_QUEUES queues. */
	for (uint32_t i = 0; i < 200; i++) {
		n = frag6(f, &peer, &g, 1000 + i, pl, 0, 8, true);
		memdev_inject(e->dev, f, n);
	}
	assert_int_equal(e->net.ipv6.nfq, IPFRAG_MAX_QUEUES);
	assert_true(e->net.ipv6.frag_mem <= IPFRAG_MAX_MEM);
	/* They time out after 60 s with a time exceeded (code 1) each, as
	 * far as the rate limit lets them. */
	drain(e->dev);
	run_until(&e->net, e->net.now + 61 * SEC);
	assert_int_equal(e->net.ipv6.nfq, 0);
	assert_int_equal(e->net.ipv6.frag_mem, 0);
	assert_int_equal(st->ReasmTimeout, IPFRAG_MAX_QUEUES);
	/* The peer went quiet long ago (its entry failed and went): the
	 * errors wait for it, ND_QUEUE_MAX of them, and go when it answers. */
	struct icmp6stats *ist = &e->net.ipv6.icmp6;
	assert_int_equal(ist->OutTimeExcds, ICMP_RATE_BURST);
	assert_int_equal(ist->OutRateLimited, IPFRAG_MAX_QUEUES - ICMP_RATE_BURST);
	assert_int_equal(nd_lookup(&e->net, &peer)->state, ND_INCOMPLETE);
	drain(e->dev);
	uint8_t na[32] = { NDISC_NEIGHBOUR_ADVERTISEMENT, 0, 0, 0, 0x60 };
	memcpy(na + 8, &peer, 16);
	na[24] = ND_OPT_TARGET_LL_ADDR;
	na[25] = 1;
	memcpy(na + 26, PEER_MAC, 6);
	n = icmp6_frame(f, OUR_MAC, &peer, &g, 255, na, sizeof(na));
	memdev_inject(e->dev, f, n);
	struct sk_buff *skb;
	unsigned int exceeded = 0;
	while ((skb = memdev_pop(e->dev)) != NULL) {
		const uint8_t *l4 = skb->data + ETH_HLEN + 40;
		assert_memory_equal(skb->data, PEER_MAC, 6);
		assert_int_equal(l4[0], ICMPV6_TIME_EXCEED);
		assert_int_equal(l4[1], ICMPV6_EXC_FRAGTIME);
		/* quoting a first fragment: next header 44, offset 0 */
		assert_int_equal(l4[8 + 6], NEXTHDR_FRAGMENT);
		assert_int_equal(l4[8 + 40 + 2] | (l4[8 + 40 + 3] & 0xf8), 0);
		exceeded++;
		kfree_skb(skb);
	}
	assert_int_equal(exceeded, ND_QUEUE_MAX);
	assert_int_equal(ist->NeighUnresolved, ICMP_RATE_BURST - ND_QUEUE_MAX);

	/* The limits are impfs's --frag-queues and kin, as for IPv4. */
	e->net.limits.frag_queues = 4;
	for (uint32_t i = 0; i < 10; i++) {
		n = frag6(f, &peer, &g, 5000 + i, pl, 0, 8, true);
		memdev_inject(e->dev, f, n);
	}
	assert_int_equal(e->net.ipv6.nfq, 4);
	e->net.limits.frag_mem = 0;		/* reassembly off */
	n = frag6(f, &peer, &g, 6000, pl, 0, 8, true);
	memdev_inject(e->dev, f, n);
	assert_int_equal(e->net.ipv6.frag_mem, 0);
}

/* ---- router advertisements and SLAAC ---------------------------------------- */

static size_t ra_build(uint8_t *m, uint16_t lifetime, const char *prefix, int plen,
		       uint8_t flags, uint32_t valid, uint32_t pref)
{
	memset(m, 0, 16 + 8 + 32);
	m[0] = NDISC_ROUTER_ADVERTISEMENT;
	m[4] = 64;
	m[6] = (uint8_t)(lifetime >> 8);
	m[7] = (uint8_t)lifetime;
	m[16] = ND_OPT_SOURCE_LL_ADDR;
	m[17] = 1;
	memcpy(m + 18, PEER_MAC, 6);
	uint8_t *pio = m + 24;
	pio[0] = ND_OPT_PREFIX_INFO;
	pio[1] = 4;
	pio[2] = (uint8_t)plen;
	pio[3] = flags;
	uint32_t v = htonl(valid), p = htonl(pref);
	memcpy(pio + 4, &v, 4);
	memcpy(pio + 8, &p, 4);
	struct in6_addr a = a6(prefix);
	memcpy(pio + 16, &a, 16);
	return 16 + 8 + 32;
}

static void test_slaac(void **state)
{
	struct env *e = *state;
	struct in6_addr peer = PEER_LL, all = in6addr_linklocal_allnodes;
	struct in6_addr want = a6("2001:db8:1::ff:fe00:1"), dst = a6("2001:db8:1:5::1"), sn;
	static const uint8_t all_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t m[64], mac[6];
	struct net_device *dev;
	struct in6_addr nh;
	struct rx6 rx;
	size_t n;

	n = icmp6_frame(f, all_mac, &peer, &all, 255, m, ra_build(m, 600, "2001:db8:1::", 64, 0xc0, 3600, 1800));
	memdev_inject(e->dev, f, n);
	struct inet6_ifaddr *ifa = ifa_of(e, want);
	assert_non_null(ifa);
	assert_int_equal(ifa->state, IFA6_TENTATIVE);
	assert_int_equal(ifa->origin, IFA6_SLAAC);
	assert_int_equal(e->net.ipv6.icmp6.SlaacAddrs, 1);
	assert_true(ipv6_addr_is_linklocal(&peer));
	/* The router is a neighbour now, and the default route goes to it. */
	assert_true(nd_lookup(&e->net, &peer)->is_router);
	assert_int_equal(rt6_lookup(&e->net, &dst, &dev, &nh), 0);
	assert_memory_equal(&nh, &peer, 16);
	/* The join report, then DAD's probe, then preferred. */
	drain(e->dev);
	addrconf_addr_solict_mult(&want, &sn);
	sn_mac(&want, mac);
	run_until(&e->net, e->net.now + SEC);
	pop_icmp6(e->dev, mac, &rx, NDISC_NEIGHBOUR_SOLICITATION);
	assert_memory_equal(rx.l4 + 8, &want, 16);
	rx6_free(&rx);
	run_until(&e->net, e->net.now + SEC);
	assert_int_equal(ifa->state, IFA6_PREFERRED);
	/* Source selection takes the new global address for a global peer. */
	assert_memory_equal(ipv6_select_saddr(e->dev, &dst), &want, 16);

	/* An NA from the router without the R flag: no longer a router, and
	 * its default route goes (RFC 4861 7.2.5); a later RA brings both back. */
	uint8_t na[32] = { NDISC_NEIGHBOUR_ADVERTISEMENT, 0, 0, 0, 0x20 };
	struct in6_addr ll = OUR_LL;
	memcpy(na + 8, &peer, 16);
	n = icmp6_frame(f, OUR_MAC, &peer, &ll, 255, na, 24);
	memdev_inject(e->dev, f, n);
	assert_false(nd_lookup(&e->net, &peer)->is_router);
	assert_int_not_equal(rt6_lookup(&e->net, &dst, &dev, &nh), 0);
	n = icmp6_frame(f, all_mac, &peer, &all, 255, m, ra_build(m, 600, "2001:db8:1::", 64, 0xc0, 3600, 1800));
	memdev_inject(e->dev, f, n);
	assert_true(nd_lookup(&e->net, &peer)->is_router);
	assert_int_equal(rt6_lookup(&e->net, &dst, &dev, &nh), 0);

	/* The same prefix again with a short lifetime: the two-hour rule
	 * keeps the longer one. */
	n = icmp6_frame(f, all_mac, &peer, &all, 255, m, ra_build(m, 600, "2001:db8:1::", 64, 0xc0, 60, 30));
	memdev_inject(e->dev, f, n);
	ifa = ifa_of(e, want);
	assert_true(ifa->valid_until - e->net.now > 3000 * SEC);
	/* Router lifetime 0: the default route goes. */
	n = icmp6_frame(f, all_mac, &peer, &all, 255, m, ra_build(m, 0, "2001:db8:1::", 64, 0xc0, 3600, 1800));
	memdev_inject(e->dev, f, n);
	assert_int_not_equal(rt6_lookup(&e->net, &dst, &dev, &nh), 0);

	/* No address from a /48, a link-local prefix, no A flag, an RA from a
	 * global source or with hop limit 254. */
	int naddr = e->dev->ip6_ptr->naddr;
	n = icmp6_frame(f, all_mac, &peer, &all, 255, m, ra_build(m, 600, "2001:db8:2::", 48, 0xc0, 3600, 1800));
	memdev_inject(e->dev, f, n);
	n = icmp6_frame(f, all_mac, &peer, &all, 255, m, ra_build(m, 600, "fe80::", 64, 0xc0, 3600, 1800));
	memdev_inject(e->dev, f, n);
	n = icmp6_frame(f, all_mac, &peer, &all, 255, m, ra_build(m, 600, "2001:db8:3::", 64, 0x80, 3600, 1800));
	memdev_inject(e->dev, f, n);
	struct in6_addr gsrc = PEER_G;
	n = icmp6_frame(f, all_mac, &gsrc, &all, 255, m, ra_build(m, 600, "2001:db8:4::", 64, 0xc0, 3600, 1800));
	memdev_inject(e->dev, f, n);
	n = icmp6_frame(f, all_mac, &peer, &all, 254, m, ra_build(m, 600, "2001:db8:5::", 64, 0xc0, 3600, 1800));
	memdev_inject(e->dev, f, n);
	assert_int_equal(e->dev->ip6_ptr->naddr, naddr);
	assert_int_equal(e->net.ipv6.icmp6.InBadSource, 1);
	assert_int_equal(e->net.ipv6.icmp6.InBadHopLimit, 1);

	/* Valid lifetime over: the address goes. */
	n = icmp6_frame(f, all_mac, &peer, &all, 255, m, ra_build(m, 600, "2001:db8:6::", 64, 0xc0, 5, 5));
	memdev_inject(e->dev, f, n);
	assert_non_null(ifa_of(e, a6("2001:db8:6::ff:fe00:1")));
	run_until(&e->net, e->net.now + 6 * SEC);
	assert_null(ifa_of(e, a6("2001:db8:6::ff:fe00:1")));
	drain(e->dev);
}

/* A general MLD query: one report of every group ("is exclude"). */
static void test_mld_query(void **state)
{
	struct env *e = *state;
	struct in6_addr peer = PEER_LL, all = in6addr_linklocal_allnodes, ll = OUR_LL;
	static const uint8_t all_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t mld_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x16 };
	uint8_t q[28] = { ICMPV6_MGM_QUERY };
	struct rx6 rx;
	size_t n = icmp6_frame(f, all_mac, &peer, &all, 1, q, sizeof(q));

	memdev_inject(e->dev, f, n);
	pop6(e->dev, mld_mac, &rx);
	assert_memory_equal(&rx.ip6->saddr, &ll, 16);
	assert_int_equal(rx.l4[8], ICMPV6_MLD2_REPORT);
	/* fe80::ff:fe00:1 and 2001:db8::2 have different groups: two records. */
	assert_int_equal(rx.l4[8 + 7], 2);
	assert_int_equal(rx.l4[16], 2);
	assert_int_equal(rx.l4[36], 2);
	rx6_free(&rx);
	/* Another within a second is not answered; one a second later is. */
	memdev_inject(e->dev, f, n);
	assert_int_equal(memdev_pending(e->dev), 0);
	run_until(&e->net, e->net.now + SEC);
	drain(e->dev);
	memdev_inject(e->dev, f, n);
	assert_int_equal(drain(e->dev), 1);
	assert_int_equal(e->net.ipv6.icmp6.InGroupMembQueries, 3);
	/* A query from a global source, or with hop limit 2: dropped. */
	struct in6_addr gsrc = PEER_G;
	run_until(&e->net, e->net.now + 2 * SEC);
	drain(e->dev);
	n = icmp6_frame(f, all_mac, &gsrc, &all, 1, q, sizeof(q));
	memdev_inject(e->dev, f, n);
	n = icmp6_frame(f, all_mac, &peer, &all, 2, q, sizeof(q));
	memdev_inject(e->dev, f, n);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.ipv6.icmp6.InErrors, 2);
}

/* Eight extension headers are walked; a ninth is one too many. */
static void test_ext_chain_bound(void **state)
{
	struct env *e = *state;
	struct in6_addr g = OUR_G, peer = PEER_G;
	uint8_t p[128];
	size_t n;

	learn_peer(e, peer, g);
	for (int nhdr = 8; nhdr <= 9; nhdr++) {
		for (int i = 0; i < nhdr; i++) {
			p[i * 8] = i < nhdr - 1 ? NEXTHDR_DEST : NEXTHDR_ICMP;
			memcpy(p + i * 8 + 1, "\0\1\4\0\0\0\0", 7);
		}
		uint8_t *echo = p + nhdr * 8;
		memset(echo, 0, 8);
		echo[0] = ICMPV6_ECHO_REQUEST;
		uint16_t c = csum6(&peer, &g, NEXTHDR_ICMP, echo, 8);
		memcpy(echo + 2, &c, 2);
		n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g, NEXTHDR_DEST, 64, p, (size_t)nhdr * 8 + 8);
		memdev_inject(e->dev, f, n);
		assert_int_equal(drain(e->dev), nhdr == 8 ? 1 : 0);
	}
	assert_int_equal(e->net.ipv6.stats.InTooManyExtHdrs, 1);
	assert_int_equal(e->net.ipv6.icmp6.OutEchoReplies, 1);
}


/* The multicast MAC filter: groups we are in get through, others are
 * another host's, IPv4's multicast MACs are left alone. */
static void test_mc_filter(void **state)
{
	struct env *e = *state;
	struct in6_addr peer = PEER_LL, routers = in6addr_mld2_routers, g = OUR_G, sn;
	static const uint8_t mld_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x16 };
	static const uint8_t v4_mac[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	uint8_t echo[8] = { ICMPV6_ECHO_REQUEST }, mac[6];
	size_t n;

	n = icmp6_frame(f, mld_mac, &peer, &routers, 1, echo, sizeof(echo));
	memdev_inject(e->dev, f, n);
	assert_int_equal(e->dev->stats.RxOtherHost, 1);
	assert_int_equal(e->net.ipv6.stats.InReceives, 0);
	addrconf_addr_solict_mult(&g, &sn);
	sn_mac(&g, mac);
	n = icmp6_frame(f, mac, &peer, &sn, 64, echo, sizeof(echo));
	memdev_inject(e->dev, f, n);
	assert_int_equal(e->net.ipv6.stats.InReceives, 1);
	assert_int_equal(e->net.ipv6.icmp6.InEchos, 1);
	assert_int_equal(drain(e->dev), 1);	/* answered, from 2001:db8::2's group */
	n = icmp6_frame(f, v4_mac, &peer, &sn, 64, echo, sizeof(echo));
	memdev_inject(e->dev, f, n);
	assert_int_equal(e->dev->stats.RxOtherHost, 1);
	assert_int_equal(e->net.ipv6.stats.InReceives, 2);
	drain(e->dev);
}

/* A packet too big about one of our replies: the next reply to that
 * destination is cut to the MTU it named; never below 1280; one quoting
 * someone else's packet is not believed. */
static void test_pkt_toobig(void **state)
{
	struct env *e = *state;
	struct in6_addr g = OUR_G, peer = PEER_G, other = a6("2001:db8::99");
	static uint8_t req[8 + 1400], ptb[8 + 1232];
	struct rx6 rx;
	size_t n;

	learn_peer(e, peer, g);
	req[0] = ICMPV6_ECHO_REQUEST;
	n = icmp6_frame(f, OUR_MAC, &peer, &g, 64, req, sizeof(req));
	memdev_inject(e->dev, f, n);
	pop_icmp6(e->dev, PEER_MAC, &rx, ICMPV6_ECHO_REPLY);	/* 1448 bytes: whole */
	/* The router says 1300, quoting the reply. */
	memset(ptb, 0, sizeof(ptb));
	ptb[0] = ICMPV6_PKT_TOOBIG;
	uint32_t mtu = htonl(1300);
	memcpy(ptb + 4, &mtu, 4);
	memcpy(ptb + 8, rx.ip6, sizeof(ptb) - 8);
	rx6_free(&rx);
	n = icmp6_frame(f, OUR_MAC, &peer, &g, 64, ptb, sizeof(ptb));
	memdev_inject(e->dev, f, n);
	assert_int_equal(ip6_pmtu_get(&e->net, &peer), 1300);
	assert_int_equal(e->net.ipv6.icmp6.InPktTooBigs, 1);
	n = icmp6_frame(f, OUR_MAC, &peer, &g, 64, req, sizeof(req));
	memdev_inject(e->dev, f, n);
	assert_int_equal(memdev_pending(e->dev), 2);
	pop6(e->dev, PEER_MAC, &rx);
	assert_int_equal(rx.ip6->nexthdr, NEXTHDR_FRAGMENT);
	assert_true(rx.skb->len - ETH_HLEN <= 1300);
	rx6_free(&rx);
	drain(e->dev);
	/* Lower than 1280: 1280. */
	mtu = htonl(600);
	memcpy(ptb + 4, &mtu, 4);
	n = icmp6_frame(f, OUR_MAC, &peer, &g, 64, ptb, sizeof(ptb));
	memdev_inject(e->dev, f, n);
	assert_int_equal(ip6_pmtu_get(&e->net, &peer), 1280);
	/* Quoting a packet that was not ours: ignored. */
	memcpy(ptb + 8 + 8, &other, 16);
	n = icmp6_frame(f, OUR_MAC, &peer, &g, 64, ptb, sizeof(ptb));
	memdev_inject(e->dev, f, n);
	assert_int_equal(e->net.ipv6.icmp6.InBadPktTooBigs, 1);
	assert_int_equal(e->net.ipv6.icmp6.PmtuUpdates, 2);
	/* It expires after 10 minutes. */
	run_until(&e->net, e->net.now + PMTU6_EXPIRES_US + SEC);
	assert_int_equal(ip6_pmtu_get(&e->net, &peer), 0);
	drain(e->dev);
}

/* Random bytes behind an IPv6 header, and ICMPv6 and NDP messages of
 * random content with right checksums, hop limit 255 and a link-local
 * source (so they get past the first checks): nothing crashes, nothing
 * leaks (valgrind), and the stack still answers an echo after. */
static void test_random_input(void **state)
{
	struct env *e = *state;
	struct in6_addr g = OUR_G, peer = PEER_G, ll = OUR_LL, pll = PEER_LL;
	struct in6_addr all = in6addr_linklocal_allnodes;
	static const uint8_t all_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t nh_pick[] = { 0, 43, 44, 58, 59, 60, 6, 17, 253 };
	uint64_t rs = 77;
	uint8_t p[1024] = { 0 };	/* frag6 reads up to offset 504 + 199 */
	size_t n;

	learn_peer(e, peer, g);
	for (int i = 0; i < 20000; i++) {
		size_t len = xrand(&rs) % 400;
		for (size_t j = 0; j < len; j++)
			p[j] = (uint8_t)xrand(&rs);
		switch (i % 4) {
		case 0:		/* raw chains */
			for (size_t j = 0; j + 8 <= len && j < 64; j += 8) {
				p[j] = nh_pick[xrand(&rs) % sizeof(nh_pick)];
				p[j + 1] = (uint8_t)(xrand(&rs) % 3);
			}
			n = ip6_frame(f, OUR_MAC, PEER_MAC, &peer, &g,
				      nh_pick[xrand(&rs) % sizeof(nh_pick)], 64, p, len);
			break;
		case 1:		/* NDP and MLD with right checksums */
			p[0] = (uint8_t)(130 + xrand(&rs) % 14);
			p[1] = 0;
			n = icmp6_frame(f, (i & 8) ? all_mac : OUR_MAC, &pll, (i & 8) ? &all : &ll,
					(i & 16) ? 1 : 255, p, len < 4 ? 4 : len);
			break;
		case 2:		/* ND options of random lengths after a good fixed part */
			p[0] = (uint8_t)(133 + xrand(&rs) % 5);
			p[1] = 0;
			for (size_t j = 24; j + 2 <= len; j += 8)
				p[j + 1] = (uint8_t)(xrand(&rs) % 6);
			n = icmp6_frame(f, OUR_MAC, &pll, &ll, 255, p, len < 4 ? 4 : len);
			break;
		default:	/* fragments */
			n = frag6(f, &peer, &g, (uint32_t)(xrand(&rs) % 8),
				  p, (xrand(&rs) % 64) * 8, len % 200, xrand(&rs) & 1);
			break;
		}
		memdev_inject(e->dev, f, n);
		if (i % 500 == 0) {
			drain(e->dev);
			run_until(&e->net, e->net.now + 5 * SEC);
		}
	}
	drain(e->dev);
	run_until(&e->net, e->net.now + 120 * SEC);
	drain(e->dev);
	assert_true(e->net.ipv6.nfq <= (int)e->net.limits.frag_queues);
	assert_true(e->net.ipv6.nneigh <= ND_TABLE_MAX);
	/* Still a working host (if a random RA took its address, the
	 * link-local one is there). */
	uint8_t req[8] = { ICMPV6_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1 };
	learn_peer(e, pll, ll);
	uint64_t reps0 = e->net.ipv6.icmp6.OutEchoReplies;
	n = icmp6_frame(f, OUR_MAC, &pll, &ll, 64, req, sizeof(req));
	memdev_inject(e->dev, f, n);
	assert_int_equal(e->net.ipv6.icmp6.OutEchoReplies - reps0, 1);
	struct rx6 rx;
	pop_icmp6(e->dev, PEER_MAC, &rx, ICMPV6_ECHO_REPLY);
	rx6_free(&rx);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup6, env_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dad_sequence),
		cmocka_unit_test(test_dad_conflict_na),
		cmocka_unit_test(test_dad_conflict_ns),
		T(test_ns_exact_na),
		T(test_ns_bogus),
		T(test_echo_resolves),
		T(test_resolution_fails),
		T(test_link_local_echo_exact),
		T(test_ext_walk),
		T(test_frag_echo_both_ways),
		T(test_frag_hostile),
		T(test_slaac),
		T(test_mld_query),
		T(test_mc_filter),
		T(test_ext_chain_bound),
		T(test_pkt_toobig),
		T(test_random_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
