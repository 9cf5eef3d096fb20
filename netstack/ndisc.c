/* Neighbour discovery (RFC 4861) for a host: neighbour solicitations and
 * advertisements (resolution, answering for our addresses, DAD's probes),
 * router solicitations, router advertisements (default router, MTU,
 * prefixes for addrconf.c), and the MLDv2 reports (RFC 3810) that tell
 * snooping switches which solicited-node groups we listen to.
 *
 * Every message is checked as §6.1 and §7.1 say before a byte of it is
 * believed: hop limit 255 (it cannot have crossed a router), code 0, the
 * length for its type, every option of non-zero length inside the
 * message, and the rules about the unspecified source.  What fails is
 * dropped and counted in Icmp6InErrors and a counter for the reason. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"

static void nd_timer_handler(struct timer_list *t);

const char *nd_state_name(int s)
{
	static const char *const names[] = {
		[ND_INCOMPLETE] = "incomplete", [ND_REACHABLE] = "reachable",
		[ND_STALE] = "stale", [ND_DELAY] = "delay", [ND_PROBE] = "probe",
		[ND_FAILED] = "failed",
	};
	return names[s];
}

struct nd_neigh *nd_lookup(struct net *net, const struct in6_addr *a)
{
	for (int i = 0; i < ND_TABLE_MAX; i++) {
		struct nd_neigh *n = &net->ipv6.neigh[i];
		if (n->used_slot && ipv6_addr_equal(&n->addr, a))
			return n;
	}
	return NULL;
}

static void nd_destroy(struct net *net, struct nd_neigh *n)
{
	del_timer(&net->timers, &n->timer);
	skb_queue_purge(&n->queue);
	n->used_slot = false;
	net->ipv6.nneigh--;
}

/* nd_create takes a free slot, or the oldest entry that holds nothing. */
static struct nd_neigh *nd_create(struct net_device *dev, const struct in6_addr *a)
{
	struct net *net = dev->net;
	struct nd_neigh *slot = NULL, *victim = NULL;

	for (int i = 0; i < ND_TABLE_MAX && !slot; i++) {
		struct nd_neigh *n = &net->ipv6.neigh[i];
		if (!n->used_slot)
			slot = n;
		else if (n->state != ND_INCOMPLETE && (!victim || n->confirmed < victim->confirmed))
			victim = n;
	}
	if (!slot && victim) {
		nd_destroy(net, victim);
		slot = victim;
	}
	if (!slot) {
		net->ipv6.icmp6.NeighTableFull++;
		return NULL;
	}
	memset(slot, 0, sizeof(*slot));
	skb_queue_head_init(&slot->queue);
	timer_setup(&slot->timer, nd_timer_handler);
	slot->used_slot = true;
	slot->dev = dev;
	slot->addr = *a;
	slot->state = ND_INCOMPLETE;
	slot->confirmed = slot->used = net->now;
	net->ipv6.nneigh++;
	if (!timer_pending(&net->ipv6.gc_timer))
		mod_timer(&net->timers, &net->ipv6.gc_timer, net->now + 1000000);
	return slot;
}

static int nd_xmit(struct net_device *dev, const uint8_t *ha, struct sk_buff *skb)
{
	if (eth_header(skb, dev, ETH_P_IPV6, ha)) {
		kfree_skb(skb);
		return -ENOSPC;
	}
	return dev_queue_xmit(skb);
}

/* nd_set records ha and a state for n, and sends what waited for it. */
static void nd_set(struct nd_neigh *n, const uint8_t *ha, int state)
{
	struct net *net = n->dev->net;
	struct sk_buff *skb;

	if (net->log_mask & NETLOG_ARP && (n->state == ND_INCOMPLETE || memcmp(n->ha, ha, 6))) {
		char ip[INET6_ADDRSTRLEN], mac[18];
		eth_format_addr(mac, ha);
		net_log(net, NETLOG_ARP, "ndp %s is-at %s", ipv6_ntoa_r(&n->addr, ip), mac);
	}
	memcpy(n->ha, ha, 6);
	n->state = (uint8_t)state;
	n->confirmed = net->now;
	n->probes = 0;
	del_timer(&net->timers, &n->timer);
	while ((skb = skb_dequeue(&n->queue)) != NULL)
		nd_xmit(n->dev, n->ha, skb);
}

/* nd_timer_handler asks again for an incomplete neighbour, or gives up;
 * for one in DELAY that nothing confirmed, starts probing it (§7.3.3). */
static void nd_timer_handler(struct timer_list *t)
{
	struct nd_neigh *n = container_of(t, struct nd_neigh, timer);
	struct net *net = n->dev->net;

	if (n->state == ND_DELAY) {
		n->state = ND_PROBE;
		n->probes = 0;
		ndisc_send_ns_unicast(n);
		mod_timer(&net->timers, &n->timer, net->now + ND_RETRANS_US);
		return;
	}
	if (n->state == ND_PROBE) {
		if (++n->probes < ND_MAX_PROBES) {
			ndisc_send_ns_unicast(n);
			mod_timer(&net->timers, &n->timer, net->now + ND_RETRANS_US);
		} else {
			n->state = ND_FAILED;
			n->confirmed = net->now;
		}
		return;
	}
	if (n->state != ND_INCOMPLETE)
		return;
	if (++n->probes < ND_MAX_PROBES) {
		ndisc_send_ns(n->dev, &n->addr, false);
		mod_timer(&net->timers, &n->timer, net->now + ND_RETRANS_US);
		return;
	}
	char ip[INET6_ADDRSTRLEN];
	net_log(net, NETLOG_ARP, "ndp %s unresolved after %d solicitations",
		ipv6_ntoa_r(&n->addr, ip), ND_MAX_PROBES);
	n->state = ND_FAILED;
	n->confirmed = net->now;
	net->ipv6.icmp6.NeighUnresolved += n->queue.qlen;
	skb_queue_purge(&n->queue);
}

/* ndisc_output: an IPv6 packet (data at its header) to nexthop on dev. */
int ndisc_output(struct net_device *dev, const struct in6_addr *nexthop, struct sk_buff *skb)
{
	struct net *net = dev->net;
	struct nd_neigh *n;
	uint8_t ha[6];

	if (ipv6_addr_is_multicast(nexthop)) {
		ipv6_eth_mc_map(nexthop, ha);
		return nd_xmit(dev, ha, skb);
	}
	n = nd_lookup(net, nexthop);
	if (!n && !(n = nd_create(dev, nexthop))) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	n->used = net->now;
	switch (n->state) {
	case ND_REACHABLE:
		if (net->now - n->confirmed < ND_REACHABLE_US)
			break;
		n->state = ND_STALE;
		/* fall through */
	case ND_STALE:
		/* Keep sending to the old address; probe it if nothing
		 * confirms it within ND_DELAY_US (§7.3.3). */
		n->state = ND_DELAY;
		mod_timer(&net->timers, &n->timer, net->now + ND_DELAY_US);
		break;
	case ND_DELAY:
	case ND_PROBE:
		break;
	case ND_FAILED:
		n->state = ND_INCOMPLETE;
		n->probes = 0;
		/* fall through */
	case ND_INCOMPLETE:
		while (n->queue.qlen >= ND_QUEUE_MAX) {
			net->ipv6.icmp6.NeighUnresolved++;
			kfree_skb(skb_dequeue(&n->queue));
		}
		skb_queue_tail(&n->queue, skb);
		if (!timer_pending(&n->timer)) {
			n->last_probe = net->now;
			ndisc_send_ns(dev, &n->addr, false);
			mod_timer(&net->timers, &n->timer, net->now + ND_RETRANS_US);
		}
		return 0;
	}
	return nd_xmit(dev, n->ha, skb);
}

void nd_flush(struct net *net)
{
	for (int i = 0; i < ND_TABLE_MAX; i++)
		if (net->ipv6.neigh[i].used_slot)
			nd_destroy(net, &net->ipv6.neigh[i]);
}

/* ---- sending ------------------------------------------------------------ */

/* nd_put_lladdr writes a link-layer address option (8 bytes). */
static unsigned int nd_put_lladdr(uint8_t *p, int type, const uint8_t *mac)
{
	p[0] = (uint8_t)type;
	p[1] = 1;
	memcpy(p + 2, mac, 6);
	return 8;
}

/* ndisc_send_ns: a solicitation for target, to its solicited-node group;
 * for DAD from the unspecified address and without our link address. */
void ndisc_send_ns(struct net_device *dev, const struct in6_addr *target, bool dad)
{
	static const struct in6_addr any;
	struct net *net = dev->net;
	uint8_t msg[8 + 16 + 8] = { NDISC_NEIGHBOUR_SOLICITATION };
	unsigned int len = 24;
	const struct in6_addr *saddr = &any;
	struct in6_addr dst;

	memcpy(msg + 8, target, 16);
	if (!dad) {
		saddr = ipv6_select_saddr(dev, target);
		if (!saddr)
			return;
		len += nd_put_lladdr(msg + 24, ND_OPT_SOURCE_LL_ADDR, dev->dev_addr);
	}
	addrconf_addr_solict_mult(target, &dst);
	net->ipv6.icmp6.OutNeighborSolicits++;
	icmpv6_xmit(net, dev, msg, len, saddr, &dst, 255, NULL, 0);
}

void ndisc_send_ns_unicast(struct nd_neigh *n)
{
	struct net_device *dev = n->dev;
	uint8_t msg[8 + 16 + 8] = { NDISC_NEIGHBOUR_SOLICITATION };
	const struct in6_addr *saddr = ipv6_select_saddr(dev, &n->addr);

	if (!saddr)
		return;
	memcpy(msg + 8, &n->addr, 16);
	nd_put_lladdr(msg + 24, ND_OPT_SOURCE_LL_ADDR, dev->dev_addr);
	n->last_probe = dev->net->now;
	dev->net->ipv6.icmp6.OutNeighborSolicits++;
	icmpv6_xmit(dev->net, dev, msg, sizeof(msg), saddr, &n->addr, 255, NULL, 0);
}

static void ndisc_send_na(struct net_device *dev, const struct in6_addr *target,
			  const struct in6_addr *daddr, bool solicited)
{
	struct net *net = dev->net;
	uint8_t msg[8 + 16 + 8] = { NDISC_NEIGHBOUR_ADVERTISEMENT };

	msg[4] = (uint8_t)((solicited ? 0x40 : 0) | 0x20);	/* S, O */
	memcpy(msg + 8, target, 16);
	nd_put_lladdr(msg + 24, ND_OPT_TARGET_LL_ADDR, dev->dev_addr);
	net->ipv6.icmp6.OutNeighborAdvertisements++;
	icmpv6_xmit(net, dev, msg, sizeof(msg), target, daddr, 255, NULL, 0);
}

void ndisc_send_rs(struct net_device *dev)
{
	struct net *net = dev->net;
	uint8_t msg[8 + 8] = { NDISC_ROUTER_SOLICITATION };
	const struct in6_addr *saddr = ipv6_select_saddr(dev, &in6addr_linklocal_allrouters);

	if (!saddr)
		return;
	nd_put_lladdr(msg + 8, ND_OPT_SOURCE_LL_ADDR, dev->dev_addr);
	net->ipv6.icmp6.OutRouterSolicits++;
	icmpv6_xmit(net, dev, msg, sizeof(msg), saddr, &in6addr_linklocal_allrouters, 255, NULL, 0);
}

/* mld_send_report: an MLDv2 report (RFC 3810 §5.2) for group, or for all
 * our groups when group is NULL (the answer to a query: "is exclude"
 * records; a join is "change to exclude").  All-nodes is never reported.
 * From the link-local address, or :: while it is tentative (RFC 3590). */
void mld_send_report(struct net_device *dev, const struct in6_addr *group, bool query_answer)
{
	static const struct in6_addr any;
	/* Hop-by-hop: router alert (MLD), PadN. */
	static const uint8_t ra_hbh[8] = { 0, 0, 5, 2, 0, 0, 1, 0 };
	struct net *net = dev->net;
	struct inet6_dev *idev = dev->ip6_ptr;
	uint8_t msg[8 + IFA6_MAX * 20] = { ICMPV6_MLD2_REPORT };
	const struct in6_addr *saddr = &any;
	unsigned int n = 0;

	if (!idev)
		return;
	for (int i = 0; i < idev->naddr; i++) {
		struct in6_addr sn;
		bool dup = false;
		addrconf_addr_solict_mult(&idev->addr[i].addr, &sn);
		if (group && !ipv6_addr_equal(group, &sn))
			continue;
		for (unsigned int j = 0; j < n && !dup; j++)
			dup = !memcmp(msg + 8 + j * 20 + 4, &sn, 16);
		if (dup)
			continue;
		msg[8 + n * 20] = query_answer ? 2 : 4;
		memcpy(msg + 8 + n * 20 + 4, &sn, 16);
		n++;
	}
	if (!n)
		return;
	msg[6] = (uint8_t)(n >> 8);
	msg[7] = (uint8_t)n;
	for (int i = 0; i < idev->naddr; i++)
		if (ipv6_addr_is_linklocal(&idev->addr[i].addr) && idev->addr[i].state == IFA6_PREFERRED)
			saddr = &idev->addr[i].addr;
	net->ipv6.icmp6.OutMLDv2Reports++;
	icmpv6_xmit(net, dev, msg, 8 + n * 20, saddr, &in6addr_mld2_routers, 1, ra_hbh, sizeof(ra_hbh));
}

/* ---- receiving ---------------------------------------------------------- */

#define ND_MAX_PIO 4
struct nd_opts {
	const uint8_t *slla, *tlla, *mtu;
	const uint8_t *pio[ND_MAX_PIO];
	int npio;
};

/* nd_parse_opts reads the options at p[0..len): every one of non-zero
 * length and inside the message; a link-layer address option must be
 * Ethernet's 8 bytes, a prefix option 32, an MTU option 8.  0 or -1. */
static int nd_parse_opts(const uint8_t *p, unsigned int len, struct nd_opts *o)
{
	memset(o, 0, sizeof(*o));
	while (len) {
		unsigned int olen;
		if (len < 2 || p[1] == 0 || (olen = p[1] * 8u) > len)
			return -1;
		switch (p[0]) {
		case ND_OPT_SOURCE_LL_ADDR:
		case ND_OPT_TARGET_LL_ADDR:
			if (olen != 8)
				return -1;
			if (p[0] == ND_OPT_SOURCE_LL_ADDR)
				o->slla = p + 2;
			else
				o->tlla = p + 2;
			break;
		case ND_OPT_PREFIX_INFO:
			if (olen != 32)
				return -1;
			if (o->npio < ND_MAX_PIO)
				o->pio[o->npio++] = p;
			break;
		case ND_OPT_MTU:
			if (olen != 8)
				return -1;
			o->mtu = p;
			break;
		}
		p += olen;
		len -= olen;
	}
	return 0;
}

static bool nd_bad_lladdr(const uint8_t *ha)
{
	return is_multicast_ether_addr(ha) || is_zero_ether_addr(ha);
}

/* nd_learn: what a solicitation or an advertisement from a router told
 * us of the sender's link address (§7.2.3: a new or changed one is
 * stale until confirmed). */
static struct nd_neigh *nd_learn(struct net_device *dev, const struct in6_addr *a, const uint8_t *ha)
{
	struct nd_neigh *n = nd_lookup(dev->net, a);

	if (!n && !(n = nd_create(dev, a)))
		return NULL;
	if (n->state == ND_INCOMPLETE || n->state == ND_FAILED || memcmp(n->ha, ha, 6))
		nd_set(n, ha, ND_STALE);
	return n;
}

static void ndisc_recv_ns(struct sk_buff *skb, const struct nd_opts *o)
{
	struct net_device *dev = skb->dev;
	struct net *net = dev->net;
	struct icmp6stats *st = &net->ipv6.icmp6;
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)skb_network_header(skb);
	struct in6_addr target, sn;
	struct inet6_ifaddr *ifa;
	bool dad = ipv6_addr_any(&ip6->saddr);

	memcpy(&target, skb->data + 8, 16);
	addrconf_addr_solict_mult(&target, &sn);
	if (dad && (!ipv6_addr_equal(&ip6->daddr, &sn) || o->slla)) {
		st->InBadSource++;
		st->InErrors++;
		return;
	}
	ifa = ipv6_get_ifaddr(net, &target);
	if (!ifa)
		return;		/* not ours: nothing to say */
	if (ifa->state == IFA6_TENTATIVE) {
		/* §5.4.3: someone else probes for it too. */
		if (dad)
			addrconf_dad_failed(ifa, dev);
		return;
	}
	if (ifa->state != IFA6_PREFERRED)
		return;
	if (dad) {
		ndisc_send_na(dev, &target, &in6addr_linklocal_allnodes, false);
		return;
	}
	if (o->slla)
		nd_learn(dev, &ip6->saddr, o->slla);
	ndisc_send_na(dev, &target, &ip6->saddr, true);
}

static void ndisc_recv_na(struct sk_buff *skb, const struct nd_opts *o)
{
	struct net_device *dev = skb->dev;
	struct net *net = dev->net;
	struct icmp6stats *st = &net->ipv6.icmp6;
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)skb_network_header(skb);
	uint8_t flags = skb->data[4];
	bool solicited = flags & 0x40, override = flags & 0x20;
	struct in6_addr target;
	struct inet6_ifaddr *ifa;
	struct nd_neigh *n;

	memcpy(&target, skb->data + 8, 16);
	if (ipv6_addr_is_multicast(&ip6->daddr) && solicited) {
		st->InBadFlags++;
		st->InErrors++;
		return;
	}
	ifa = ipv6_get_ifaddr(net, &target);
	if (ifa) {
		if (ifa->state == IFA6_TENTATIVE) {
			addrconf_dad_failed(ifa, dev);
		} else {
			char ip[INET6_ADDRSTRLEN];
			net_log(net, NETLOG_ARP, "ndp conflict: someone else advertises %s",
				ipv6_ntoa_r(&target, ip));
		}
		return;
	}
	n = nd_lookup(net, &target);
	if (!n)
		return;		/* unsolicited news of a stranger: not kept */
	if (n->state == ND_INCOMPLETE || n->state == ND_FAILED) {
		if (o->tlla)
			nd_set(n, o->tlla, solicited ? ND_REACHABLE : ND_STALE);
	} else if (override || !o->tlla || !memcmp(o->tlla, n->ha, 6)) {
		if (o->tlla && memcmp(o->tlla, n->ha, 6))
			nd_set(n, o->tlla, solicited ? ND_REACHABLE : ND_STALE);
		else if (solicited)
			nd_set(n, n->ha, ND_REACHABLE);
	} else if (n->state == ND_REACHABLE) {
		n->state = ND_STALE;
	}
	if (n->is_router && !(flags & 0x80))
		rt6_del_router(net, &target);	/* no longer a router (7.2.5) */
	n->is_router = flags & 0x80;
}

static void ndisc_recv_ra(struct sk_buff *skb, const struct nd_opts *o)
{
	struct net_device *dev = skb->dev;
	struct net *net = dev->net;
	struct inet6_dev *idev = dev->ip6_ptr;
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)skb_network_header(skb);
	const uint8_t *ra = skb->data;
	uint16_t lifetime = (uint16_t)(ra[6] << 8 | ra[7]);
	static const struct in6_addr any;
	struct nd_neigh *n = NULL;

	if (!ipv6_addr_is_linklocal(&ip6->saddr)) {
		net->ipv6.icmp6.InBadSource++;
		net->ipv6.icmp6.InErrors++;
		return;
	}
	if (ra[4])
		idev->cur_hoplimit = ra[4];
	if (o->slla)
		n = nd_learn(dev, &ip6->saddr, o->slla);
	if (n)
		n->is_router = true;
	if (o->mtu) {
		uint32_t mtu = (uint32_t)o->mtu[4] << 24 | o->mtu[5] << 16 | o->mtu[6] << 8 | o->mtu[7];
		if (mtu >= IPV6_MIN_MTU && mtu <= dev->mtu)
			idev->mtu6 = mtu;
	}
	for (int i = 0; i < o->npio; i++)
		addrconf_prefix_rcv(dev, o->pio[i]);
	if (lifetime)
		rt6_add(net, &any, 0, &ip6->saddr, dev, RT6_RA, net->now + lifetime * 1000000ull);
	else
		rt6_del_kind(net, &any, 0, RT6_RA);
	addrconf_ra_seen(dev);
}

/* ndisc_rcv: a neighbour discovery message (data at its ICMPv6 header,
 * checksum already checked).  Does not free skb. */
void ndisc_rcv(struct sk_buff *skb, int type)
{
	struct net *net = skb->dev->net;
	struct icmp6stats *st = &net->ipv6.icmp6;
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)skb_network_header(skb);
	static const unsigned int minlen[] = { 8, 16, 24, 24, 40 };	/* 133..137 */
	unsigned int hdrlen = minlen[type - NDISC_ROUTER_SOLICITATION];
	struct nd_opts o;

	switch (type) {
	case NDISC_ROUTER_SOLICITATION: st->InRouterSolicits++; break;
	case NDISC_ROUTER_ADVERTISEMENT: st->InRouterAdvertisements++; break;
	case NDISC_NEIGHBOUR_SOLICITATION: st->InNeighborSolicits++; break;
	case NDISC_NEIGHBOUR_ADVERTISEMENT: st->InNeighborAdvertisements++; break;
	case NDISC_REDIRECT: st->InRedirects++; break;
	}
	if (ip6->hop_limit != 255) {
		st->InBadHopLimit++;
		goto bad;
	}
	if (skb->data[1] != 0) {
		st->InBadCode++;
		goto bad;
	}
	if (skb->len < hdrlen) {
		st->InBadLength++;
		goto bad;
	}
	if (nd_parse_opts(skb->data + hdrlen, skb->len - hdrlen, &o)) {
		st->InBadOptions++;
		goto bad;
	}
	if ((o.slla && nd_bad_lladdr(o.slla)) || (o.tlla && nd_bad_lladdr(o.tlla))) {
		st->InBadOptions++;
		goto bad;
	}
	if (type == NDISC_NEIGHBOUR_SOLICITATION || type == NDISC_NEIGHBOUR_ADVERTISEMENT) {
		if (ipv6_addr_is_multicast((const struct in6_addr *)(skb->data + 8))) {
			st->InBadTarget++;
			goto bad;
		}
	}
	switch (type) {
	case NDISC_NEIGHBOUR_SOLICITATION: ndisc_recv_ns(skb, &o); break;
	case NDISC_NEIGHBOUR_ADVERTISEMENT: ndisc_recv_na(skb, &o); break;
	case NDISC_ROUTER_ADVERTISEMENT: ndisc_recv_ra(skb, &o); break;
	default: break;	/* a host ignores RS (§6.1.1) and, for now, redirects */
	}
	return;
bad:
	st->InErrors++;
	if (net->log_mask & NETLOG_ARP) {
		char src[INET6_ADDRSTRLEN];
		net_log(net, NETLOG_ARP, "ndp drop: bad type %d (%u bytes, hop limit %u) from %s",
			type, skb->len, ip6->hop_limit, ipv6_ntoa_r(&ip6->saddr, src));
	}
}
