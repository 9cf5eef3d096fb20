/* ARP (RFC 826): answer for our addresses, resolve next hops, keep a table.
 *
 * A neighbour being resolved holds the packets sent to it (bounded) and gets
 * a request every second; after ARP_MAX_PROBES unanswered requests the held
 * packets are dropped with an ICMP host unreachable to their sender, which
 * is how a local socket learns EHOSTUNREACH.  Entries go stale after
 * ARP_REACHABLE_US (the next use asks again while still sending) and are
 * removed when stale and unused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"

static void arp_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt);
static void neigh_timer_handler(struct timer_list *t);
static void neigh_gc(struct timer_list *t);

static unsigned int neigh_hash(uint32_t ip)
{
	return (ntohl(ip) * 2654435761u) >> 26;	/* top 6 bits: ARP_HASH 64 */
}

const char *neigh_state_name(int s)
{
	static const char *const names[] = {
		[NUD_INCOMPLETE] = "incomplete", [NUD_REACHABLE] = "reachable",
		[NUD_STALE] = "stale", [NUD_FAILED] = "failed",
		[NUD_PERMANENT] = "permanent",
	};
	return names[s];
}

void arp_init(struct net *net)
{
	struct neigh_table *tbl = &net->arp_tbl;

	memset(tbl, 0, sizeof(*tbl));
	tbl->net = net;
	timer_setup(&tbl->gc_timer, neigh_gc);
	tbl->pt.type = ETH_P_ARP;
	tbl->pt.func = arp_rcv;
	dev_add_pack(net, &tbl->pt);
	mod_timer(&net->timers, &tbl->gc_timer, net->now + ARP_GC_US);
}

struct neighbour *neigh_lookup(struct net *net, uint32_t ip)
{
	for (struct neighbour *n = net->arp_tbl.hash[neigh_hash(ip)]; n; n = n->next)
		if (n->ip == ip)
			return n;
	return NULL;
}

static void neigh_destroy(struct neigh_table *tbl, struct neighbour *n)
{
	struct neighbour **pp = &tbl->hash[neigh_hash(n->ip)];

	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	del_timer(&tbl->net->timers, &n->timer);
	skb_queue_purge(&n->arp_queue);
	free(n);
	tbl->entries--;
}

/* neigh_evict makes room in a full table: the oldest entry that is not
 * permanent and holds no packets goes. */
static bool neigh_evict(struct neigh_table *tbl)
{
	struct neighbour *victim = NULL;

	for (int h = 0; h < ARP_HASH; h++)
		for (struct neighbour *n = tbl->hash[h]; n; n = n->next)
			if (n->nud_state != NUD_PERMANENT && n->nud_state != NUD_INCOMPLETE &&
			    (!victim || n->confirmed < victim->confirmed))
				victim = n;
	if (!victim)
		return false;
	neigh_destroy(tbl, victim);
	return true;
}

static struct neighbour *neigh_create(struct net_device *dev, uint32_t ip)
{
	struct net *net = dev->net;
	struct neigh_table *tbl = &net->arp_tbl;
	struct neighbour *n;
	unsigned int h = neigh_hash(ip);

	if (tbl->entries >= ARP_TABLE_MAX && !neigh_evict(tbl)) {
		net->arpstats.TableFull++;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->dev = dev;
	n->ip = ip;
	n->nud_state = NUD_INCOMPLETE;
	n->confirmed = n->used = net->now;
	skb_queue_head_init(&n->arp_queue);
	timer_setup(&n->timer, neigh_timer_handler);
	n->next = tbl->hash[h];
	tbl->hash[h] = n;
	tbl->entries++;
	return n;
}

/* arp_send builds and sends one ARP packet on dev. */
static void arp_send(struct net_device *dev, int op, uint32_t sip, uint32_t tip,
		     const uint8_t *tha, const uint8_t *dest)
{
	struct net *net = dev->net;
	struct sk_buff *skb = alloc_skb(LL_MAX_HEADER + sizeof(struct arphdr));
	struct arphdr *arp;

	if (!skb)
		return;
	skb_reserve(skb, LL_MAX_HEADER);
	arp = (struct arphdr *)skb_put(skb, sizeof(*arp));
	arp->ar_hrd = htons(ARPHRD_ETHER);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = ETH_ALEN;
	arp->ar_pln = 4;
	arp->ar_op = htons((uint16_t)op);
	memcpy(arp->ar_sha, dev->dev_addr, ETH_ALEN);
	arp->ar_sip = sip;
	memcpy(arp->ar_tha, tha, ETH_ALEN);
	arp->ar_tip = tip;
	if (eth_header(skb, dev, ETH_P_ARP, dest)) {
		kfree_skb(skb);
		return;
	}
	if (op == ARPOP_REQUEST)
		net->arpstats.OutRequests++;
	else
		net->arpstats.OutReplies++;
	dev_queue_xmit(skb);
}

static void arp_solicit(struct neighbour *n)
{
	static const uint8_t zero[ETH_ALEN];
	struct net_device *dev = n->dev;
	uint32_t sip = 0;

	/* Ask from our address in the neighbour's subnet, else the first. */
	for (int i = 0; i < dev->nifa && !sip; i++) {
		uint32_t mask = inet_make_mask(dev->ifa[i].ifa_prefixlen);
		if ((dev->ifa[i].ifa_local & mask) == (n->ip & mask))
			sip = dev->ifa[i].ifa_local;
	}
	if (!sip && dev->nifa)
		sip = dev->ifa[0].ifa_local;
	n->last_probe = dev->net->now;
	arp_send(dev, ARPOP_REQUEST, sip, n->ip, zero, eth_broadcast_addr);
}

void arp_send_gratuitous(struct net_device *dev, uint32_t addr)
{
	static const uint8_t zero[ETH_ALEN];

	arp_send(dev, ARPOP_REQUEST, addr, addr, zero, eth_broadcast_addr);
}

void arp_send_probe(struct net_device *dev, uint32_t addr)
{
	static const uint8_t zero[ETH_ALEN];

	arp_send(dev, ARPOP_REQUEST, 0, addr, zero, eth_broadcast_addr);
}

static int neigh_xmit(struct neighbour *n, struct sk_buff *skb)
{
	if (eth_header(skb, n->dev, ETH_P_IP, n->ha)) {
		kfree_skb(skb);
		return -ENOSPC;
	}
	return dev_queue_xmit(skb);
}

/* neigh_update records ha for n and sends what was waiting for it. */
static void neigh_update(struct neighbour *n, const uint8_t *ha)
{
	struct net *net = n->dev->net;
	struct sk_buff *skb;

	if (n->nud_state == NUD_PERMANENT)
		return;
	if (n->nud_state != NUD_REACHABLE || memcmp(n->ha, ha, ETH_ALEN)) {
		char ip[16], mac[18];
		eth_format_addr(mac, ha);
		net_log(net, NETLOG_ARP, "arp %s is-at %s", inet_ntoa_r(n->ip, ip), mac);
	}
	memcpy(n->ha, ha, ETH_ALEN);
	n->nud_state = NUD_REACHABLE;
	n->confirmed = net->now;
	n->probes = 0;
	del_timer(&net->timers, &n->timer);
	while ((skb = skb_dequeue(&n->arp_queue)) != NULL)
		neigh_xmit(n, skb);
}

static bool inet_on_link(const struct net_device *dev, uint32_t ip)
{
	for (int i = 0; i < dev->nifa; i++) {
		uint32_t mask = inet_make_mask(dev->ifa[i].ifa_prefixlen);
		if ((dev->ifa[i].ifa_local & mask) == (ip & mask))
			return true;
	}
	return false;
}

static bool arp_bad_sender_ip(uint32_t ip)
{
	uint32_t a = ntohl(ip);

	return a == 0xffffffffu || (a >> 28) == 14 || (a >> 24) == 127;
}

/* arp_rcv handles a received ARP packet (data at the ARP header). */
static void arp_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	struct net *net = dev->net;
	const struct arphdr *arp = (const struct arphdr *)skb->data;
	struct neighbour *n;
	bool for_us;
	int op;

	if (skb->len < sizeof(*arp) || ntohs(arp->ar_hrd) != ARPHRD_ETHER ||
	    ntohs(arp->ar_pro) != ETH_P_IP || arp->ar_hln != ETH_ALEN ||
	    arp->ar_pln != 4) {
		net->arpstats.InErrors++;
		goto out;
	}
	op = ntohs(arp->ar_op);
	if ((op != ARPOP_REQUEST && op != ARPOP_REPLY) ||
	    is_multicast_ether_addr(arp->ar_sha) || is_zero_ether_addr(arp->ar_sha) ||
	    arp_bad_sender_ip(arp->ar_sip)) {
		net->arpstats.InErrors++;
		goto out;
	}
	if (op == ARPOP_REQUEST)
		net->arpstats.InRequests++;
	else
		net->arpstats.InReplies++;
	dhcp_arp_rcv(net, arp->ar_sip, arp->ar_tip, arp->ar_sha);	/* an offered address in use? */
	if (inet_addr_is_local(net, arp->ar_sip)) {
		/* Someone else claims our address: note it, believe nothing. */
		if (memcmp(arp->ar_sha, dev->dev_addr, ETH_ALEN)) {
			char ip[16], mac[18];
			net->arpstats.Conflicts++;
			eth_format_addr(mac, arp->ar_sha);
			net_log(net, NETLOG_ARP, "arp conflict: %s claims %s",
				mac, inet_ntoa_r(arp->ar_sip, ip));
		}
		goto out;
	}
	for_us = inet_addr_is_local(net, arp->ar_tip);
	n = arp->ar_sip ? neigh_lookup(net, arp->ar_sip) : NULL;
	/* RFC 826's merge: update whoever we know; learn the sender only when
	 * it talks to us and sits on one of our subnets. */
	if (!n && for_us && arp->ar_sip && inet_on_link(dev, arp->ar_sip))
		n = neigh_create(dev, arp->ar_sip);
	if (n)
		neigh_update(n, arp->ar_sha);
	if (op == ARPOP_REQUEST && for_us)
		arp_send(dev, ARPOP_REPLY, arp->ar_tip, arp->ar_sip, arp->ar_sha, arp->ar_sha);
	else if (!for_us && !n)
		net->arpstats.InIgnored++;
out:
	kfree_skb(skb);
}

/* neigh_timer_handler asks again for an incomplete neighbour, or gives up. */
static void neigh_timer_handler(struct timer_list *t)
{
	struct neighbour *n = container_of(t, struct neighbour, timer);
	struct net *net = n->dev->net;
	struct sk_buff *skb;

	if (n->nud_state != NUD_INCOMPLETE)
		return;
	if (++n->probes < ARP_MAX_PROBES) {
		arp_solicit(n);
		mod_timer(&net->timers, &n->timer, net->now + ARP_RETRANS_US);
		return;
	}
	char ip[16];
	net_log(net, NETLOG_ARP, "arp %s unresolved after %d requests",
		inet_ntoa_r(n->ip, ip), ARP_MAX_PROBES);
	n->nud_state = NUD_FAILED;
	n->confirmed = net->now;
	while ((skb = skb_dequeue(&n->arp_queue)) != NULL) {
		net->arpstats.UnresolvedDrops++;
		icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
		kfree_skb(skb);
	}
}

/* neigh_gc ages the table every ARP_GC_US. */
static void neigh_gc(struct timer_list *t)
{
	struct neigh_table *tbl = container_of(t, struct neigh_table, gc_timer);
	struct net *net = tbl->net;
	uint64_t now = net->now;

	for (int h = 0; h < ARP_HASH; h++) {
		struct neighbour *n = tbl->hash[h], *next;
		for (; n; n = next) {
			uint64_t last = n->used > n->confirmed ? n->used : n->confirmed;
			next = n->next;
			if (n->nud_state == NUD_REACHABLE && now - n->confirmed >= ARP_REACHABLE_US)
				n->nud_state = NUD_STALE;
			else if ((n->nud_state == NUD_STALE && now - last >= ARP_STALE_US) ||
				 (n->nud_state == NUD_FAILED && now - n->confirmed >= ARP_FAILED_US))
				neigh_destroy(tbl, n);
		}
	}
	mod_timer(&net->timers, &tbl->gc_timer, now + ARP_GC_US);
}

/* neigh_output: see arp.h. */
int neigh_output(struct net_device *dev, uint32_t nexthop, struct sk_buff *skb)
{
	struct net *net = dev->net;
	struct neighbour *n;

	if (inet_addr_type(net, nexthop) == RTN_BROADCAST) {
		if (eth_header(skb, dev, ETH_P_IP, eth_broadcast_addr)) {
			kfree_skb(skb);
			return -ENOSPC;
		}
		return dev_queue_xmit(skb);
	}
	n = neigh_lookup(net, nexthop);
	if (!n && !(n = neigh_create(dev, nexthop))) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	n->used = net->now;
	switch (n->nud_state) {
	case NUD_REACHABLE:
		if (net->now - n->confirmed < ARP_REACHABLE_US)
			break;
		n->nud_state = NUD_STALE;
		/* fall through */
	case NUD_STALE:
		/* Keep sending to the old address while asking again. */
		if (net->now - n->last_probe >= ARP_RETRANS_US)
			arp_solicit(n);
		break;
	case NUD_PERMANENT:
		break;
	case NUD_FAILED:
		n->nud_state = NUD_INCOMPLETE;
		n->probes = 0;
		/* fall through */
	case NUD_INCOMPLETE:
		/* Make room by dropping the oldest, as Linux does. */
		while (n->arp_queue.qlen && (n->arp_queue.qlen >= ARP_QUEUE_MAX ||
		       n->arp_queue.bytes + skb->len > ARP_QUEUE_BYTES)) {
			net->arpstats.QueueDrops++;
			kfree_skb(skb_dequeue(&n->arp_queue));
		}
		skb_queue_tail(&n->arp_queue, skb);
		if (!timer_pending(&n->timer)) {
			arp_solicit(n);
			mod_timer(&net->timers, &n->timer, net->now + ARP_RETRANS_US);
		}
		return 0;
	}
	return neigh_xmit(n, skb);
}

int neigh_add_static(struct net_device *dev, uint32_t ip, const uint8_t *ha)
{
	struct neighbour *n = neigh_lookup(dev->net, ip);

	if (is_multicast_ether_addr(ha) || is_zero_ether_addr(ha) || arp_bad_sender_ip(ip) || !ip)
		return -EINVAL;
	if (!n && !(n = neigh_create(dev, ip)))
		return -ENOBUFS;
	n->dev = dev;
	if (n->nud_state == NUD_PERMANENT)
		n->nud_state = NUD_STALE;	/* so neigh_update takes the new address */
	neigh_update(n, ha);
	n->nud_state = NUD_PERMANENT;
	return 0;
}

int neigh_delete(struct net *net, uint32_t ip)
{
	struct neighbour *n = neigh_lookup(net, ip);

	if (!n)
		return -ENOENT;
	neigh_destroy(&net->arp_tbl, n);
	return 0;
}

void neigh_flush(struct net *net)
{
	for (int h = 0; h < ARP_HASH; h++)
		while (net->arp_tbl.hash[h])
			neigh_destroy(&net->arp_tbl, net->arp_tbl.hash[h]);
}

void arp_cleanup(struct net *net)
{
	neigh_flush(net);
	del_timer(&net->timers, &net->arp_tbl.gc_timer);
	dev_remove_pack(net, &net->arp_tbl.pt);
}
