/* IPv6 input and output (RFC 8200).
 *
 * Input checks the fixed header, whether the packet is for us (one of our
 * addresses, all-nodes, or the solicited-node group of one of ours), then
 * walks the extension headers one by one: every length is checked against
 * what is left before a byte of the header is read, the chain is bounded
 * at IP6_MAX_EXTHDRS, and options are handled by the two high bits of
 * their type as §4.2 says.  Fragments go to ip6_fragment.c and the walk
 * goes on over the reassembled packet.  imp is a host: it never forwards,
 * and a routing header with segments left is refused.  The payload goes
 * to ICMPv6, TCP (tcp_v6_rcv) or UDP (udpv6_rcv). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"

const struct in6_addr in6addr_linklocal_allnodes = { .s6_addr = { 0xff, 0x02, [15] = 1 } };
const struct in6_addr in6addr_linklocal_allrouters = { .s6_addr = { 0xff, 0x02, [15] = 2 } };
const struct in6_addr in6addr_mld2_routers = { .s6_addr = { 0xff, 0x02, [15] = 0x16 } };

static void ip6_gc(struct timer_list *t);

void ipv6_init(struct net *net)
{
	struct ipv6_state *s = &net->ipv6;

	/* ETH_P_IPV6 is registered when IPv6 first comes up on a device
	 * (addrconf_dev_up): with it off, IPv6 is an unknown ethertype. */
	s->pt.type = ETH_P_IPV6;
	s->pt.func = ipv6_rcv;
	s->frag_id = net_random(net);
	s->icmp_tokens = ICMP_RATE_BURST * 1000000ull;
	s->icmp_last = net->now;
	for (int i = 0; i < ND_TABLE_MAX; i++)
		skb_queue_head_init(&s->neigh[i].queue);
	timer_setup(&s->gc_timer, ip6_gc);
}

void ipv6_cleanup(struct net *net)
{
	ip6frag_flush(net);
	nd_flush(net);
	for (int i = 0; i < net->ndevs; i++)
		addrconf_dev_down(net->devs[i]);
	del_timer(&net->timers, &net->ipv6.gc_timer);
	if (net->ipv6.pt_added)
		dev_remove_pack(net, &net->ipv6.pt);
}

/* ip6_gc ages neighbours and routes once a second while IPv6 is on. */
static void ip6_gc(struct timer_list *t)
{
	struct net *net = container_of(t, struct net, ipv6.gc_timer);
	struct ipv6_state *s = &net->ipv6;

	for (int i = 0; i < ND_TABLE_MAX; i++) {
		struct nd_neigh *n = &s->neigh[i];
		uint64_t last = n->used > n->confirmed ? n->used : n->confirmed;
		if (!n->used_slot)
			continue;
		if (n->state == ND_REACHABLE && net->now - n->confirmed >= ND_REACHABLE_US)
			n->state = ND_STALE;
		else if ((n->state == ND_STALE && net->now - last >= ND_STALE_US) ||
			 (n->state == ND_FAILED && net->now - n->confirmed >= ND_RETRANS_US * 5)) {
			del_timer(&net->timers, &n->timer);
			skb_queue_purge(&n->queue);
			n->used_slot = false;
			s->nneigh--;
		}
	}
	for (int i = 0; i < s->nrt; i++)
		if (s->rt[i].expires <= net->now) {
			s->rt[i] = s->rt[--s->nrt];
			i--;
		}
	mod_timer(&net->timers, &s->gc_timer, net->now + 1000000);
}

bool ipv6_prefix_equal(const struct in6_addr *a, const struct in6_addr *b, int plen)
{
	int bytes = plen / 8, bits = plen % 8;

	if (memcmp(a->s6_addr, b->s6_addr, (size_t)bytes))
		return false;
	if (!bits)
		return true;
	return !((a->s6_addr[bytes] ^ b->s6_addr[bytes]) & (0xff00 >> bits));
}

void ipv6_addr_prefix(struct in6_addr *out, const struct in6_addr *a, int plen)
{
	struct in6_addr p = { 0 };	/* out may be a */

	memcpy(p.s6_addr, a->s6_addr, (size_t)(plen / 8));
	if (plen % 8)
		p.s6_addr[plen / 8] = a->s6_addr[plen / 8] & (uint8_t)(0xff00 >> (plen % 8));
	*out = p;
}

void addrconf_addr_solict_mult(const struct in6_addr *a, struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[0] = 0xff;
	out->s6_addr[1] = 0x02;
	out->s6_addr[11] = 0x01;
	out->s6_addr[12] = 0xff;
	memcpy(out->s6_addr + 13, a->s6_addr + 13, 3);
}

void ipv6_eth_mc_map(const struct in6_addr *a, uint8_t mac[6])
{
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, a->s6_addr + 12, 4);
}

char *ipv6_ntoa_r(const struct in6_addr *a, char *buf)
{
	if (!inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
	return buf;
}

/* ipv6_parse_prefix reads ADDR/PLEN (PLEN 0-128); a bare ADDR is a /128.
 * inet_pton is strict: no zone, no junk.  0 or -EINVAL. */
int ipv6_parse_prefix(const char *s, struct in6_addr *addr, int *plen)
{
	char buf[INET6_ADDRSTRLEN];

	if (prefix_split(s, buf, sizeof(buf), 128, plen) || inet_pton(AF_INET6, buf, addr) != 1)
		return -EINVAL;
	return 0;
}

/* The sum of the IPv6 pseudo-header (RFC 8200 §8.1). */
uint32_t csum_ipv6_magic(const struct in6_addr *saddr, const struct in6_addr *daddr,
			 uint32_t len, uint8_t proto, uint32_t sum)
{
	uint32_t l = htonl(len), p = htonl(proto);

	sum = csum_partial(saddr, 16, sum);
	sum = csum_partial(daddr, 16, sum);
	sum = csum_partial(&l, 4, sum);
	return csum_partial(&p, 4, sum);
}

/* ipv6_addr_dev: the device that holds address a (any state, *ifap gets
 * it when not NULL), else NULL. */
struct net_device *ipv6_addr_dev(struct net *net, const struct in6_addr *a,
				 struct inet6_ifaddr **ifap)
{
	for (int d = 0; d < net->ndevs; d++) {
		struct inet6_dev *idev = net->devs[d]->ip6_ptr;
		for (int i = 0; idev && i < idev->naddr; i++)
			if (ipv6_addr_equal(&idev->addr[i].addr, a)) {
				if (ifap)
					*ifap = &idev->addr[i];
				return net->devs[d];
			}
	}
	return NULL;
}

struct net_device *ipv6_local_dev(struct net *net, const struct in6_addr *a,
				  struct inet6_ifaddr **ifap)
{
	struct inet6_ifaddr *ifa = NULL;
	struct net_device *dev = ipv6_addr_dev(net, a, &ifa);

	if (!dev || ifa->state == IFA6_DADFAILED)
		return NULL;
	if (ifap)
		*ifap = ifa;
	return dev;
}

struct inet6_ifaddr *ipv6_get_ifaddr(struct net *net, const struct in6_addr *a)
{
	struct inet6_ifaddr *ifa = NULL;

	ipv6_addr_dev(net, a, &ifa);
	return ifa;
}

/* ipv6_is_our_group: all-nodes, or the solicited-node group of one of our
 * addresses (tentative ones too: DAD listens there). */
bool ipv6_is_our_group(struct net_device *dev, const struct in6_addr *a)
{
	struct inet6_dev *idev = dev->ip6_ptr;
	struct in6_addr sn;

	if (!idev)
		return false;
	if (ipv6_addr_equal(a, &in6addr_linklocal_allnodes))
		return true;
	for (int i = 0; i < idev->naddr; i++) {
		addrconf_addr_solict_mult(&idev->addr[i].addr, &sn);
		if (ipv6_addr_equal(a, &sn))
			return true;
	}
	return false;
}

bool ipv6_mc_mac_wanted(const struct net_device *dev, const uint8_t *mac)
{
	const struct inet6_dev *idev = dev->ip6_ptr;
	struct in6_addr sn;
	uint8_t m[6];

	if (mac[0] != 0x33 || mac[1] != 0x33)
		return true;
	ipv6_eth_mc_map(&in6addr_linklocal_allnodes, m);
	if (!memcmp(m, mac, 6))
		return true;
	for (int i = 0; idev && i < idev->naddr; i++) {
		addrconf_addr_solict_mult(&idev->addr[i].addr, &sn);
		ipv6_eth_mc_map(&sn, m);
		if (!memcmp(m, mac, 6))
			return true;
	}
	return false;
}

const struct in6_addr *ipv6_select_saddr(struct net_device *dev, const struct in6_addr *daddr)
{
	struct inet6_dev *idev = dev ? dev->ip6_ptr : NULL;
	const struct in6_addr *best = NULL;
	bool want_ll = ipv6_addr_is_linklocal(daddr) ||
		       (ipv6_addr_is_multicast(daddr) && (daddr->s6_addr[1] & 0x0f) <= 2);
	int best_score = -1;

	for (int i = 0; idev && i < idev->naddr; i++) {
		const struct inet6_ifaddr *ifa = &idev->addr[i];
		int score = 0;
		if (ifa->state != IFA6_PREFERRED)
			continue;
		if (ipv6_addr_is_linklocal(&ifa->addr) == want_ll)
			score += 256;
		for (int b = 0; b < 128 && ipv6_prefix_equal(&ifa->addr, daddr, b + 1); b++)
			score++;
		if (score > best_score)
			best = &ifa->addr, best_score = score;
	}
	return best;
}

/* ip6_drop counts one reason and the RFC 4293 counter it falls under. */
static void ip6_drop_why(struct net *net, struct sk_buff *skb, uint64_t *reason, uint64_t *mib,
			 const char *name)
{
	if (reason)
		(*reason)++;
	if (mib)
		(*mib)++;
	if (net->log_mask & NETLOG_IP) {
		char src[INET6_ADDRSTRLEN] = "?";
		const unsigned char *nh = skb_network_header(skb);
		if ((unsigned int)(skb->tail - nh) >= sizeof(struct ipv6hdr))
			ipv6_ntoa_r(&((const struct ipv6hdr *)nh)->saddr, src);
		net_log(net, NETLOG_IP, "ip6 drop %s: %u bytes from %s", name, skb->len, src);
	}
	kfree_skb(skb);
}
#define ip6_drop(skb, reason, mib) ip6_drop_why(net, skb, &st->reason, &st->mib, #reason)

/* The skb cb a received IPv6 packet carries up to ICMPv6. */
struct ip6_cb {
	bool to_tentative;		/* only DAD's NS and NA may pass */
};
#define IP6CB(skb) ((struct ip6_cb *)(skb)->cb)

/* ip6_parse_tlv walks the options of a hop-by-hop or destination header
 * at nh[off..off+len).  Returns 0 to go on, -1 when the packet was dropped
 * (and answered, when the option type asks for it). */
static int ip6_parse_tlv(struct net *net, struct sk_buff *skb, unsigned int off, unsigned int len,
			 bool hop)
{
	struct ip6stats *st = &net->ipv6.stats;
	const unsigned char *nh = skb_network_header(skb);
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)nh;
	unsigned int p = off + 2, end = off + len;

	while (p < end) {
		uint8_t t = nh[p];
		unsigned int olen;
		if (t == 0) {		/* Pad1 */
			p++;
			continue;
		}
		if (p + 2 > end || p + 2 + nh[p + 1] > end) {
			ip6_drop(skb, InBadOptions, InHdrErrors);
			return -1;
		}
		olen = nh[p + 1];
		if (t == 1 || (hop && t == 5 && olen == 2)) {	/* PadN, router alert */
			p += 2 + olen;
			continue;
		}
		switch (t >> 6) {
		case 0:
			break;
		case 3:
			if (ipv6_addr_is_multicast(&ip6->daddr))
				goto drop;
			/* fall through */
		case 2:
			icmpv6_send(net, skb, ICMPV6_PARAMPROB, ICMPV6_UNK_OPTION, p);
			/* fall through */
		case 1:
		drop:
			ip6_drop(skb, InBadOptions, InDiscards);
			return -1;
		}
		p += 2 + olen;
	}
	return 0;
}

/* ip6_deliver walks the extension headers of a packet (data and network
 * header at its IPv6 header, length trimmed) and hands the upper layer its
 * payload. */
static void ip6_deliver(struct net *net, struct sk_buff *skb)
{
	struct ip6stats *st = &net->ipv6.stats;
	unsigned int off = sizeof(struct ipv6hdr), prev = 6, count = 0;
	bool first = true, reassembled = false;
	uint8_t nexthdr = ((const struct ipv6hdr *)skb->data)->nexthdr;

	for (;;) {
		const unsigned char *nh = skb_network_header(skb);
		unsigned int left = skb->len - off, hlen;

		if (++count > IP6_MAX_EXTHDRS + 1)	/* the headers, then the payload's */
			return ip6_drop(skb, InTooManyExtHdrs, InHdrErrors);
		switch (nexthdr) {
		case NEXTHDR_HOP:
		case NEXTHDR_DEST:
		case NEXTHDR_ROUTING:
			if (nexthdr == NEXTHDR_HOP && !first) {
				/* §4.1: hop-by-hop only right after the header. */
				icmpv6_send(net, skb, ICMPV6_PARAMPROB, ICMPV6_UNK_NEXTHDR, prev);
				return ip6_drop(skb, InBadExtHdrs, InHdrErrors);
			}
			if (left < 8 || (hlen = (nh[off + 1] + 1u) * 8) > left)
				return ip6_drop(skb, InTruncatedPkts, InHdrErrors);
			if (nexthdr == NEXTHDR_ROUTING) {
				if (nh[off + 3] != 0) {
					/* Segments left: we would have to forward. */
					icmpv6_send(net, skb, ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD, off + 2);
					return ip6_drop(skb, InBadExtHdrs, InHdrErrors);
				}
			} else if (ip6_parse_tlv(net, skb, off, hlen, nexthdr == NEXTHDR_HOP)) {
				return;
			}
			break;
		case NEXTHDR_FRAGMENT: {
			const struct frag_hdr *fh = (const struct frag_hdr *)(nh + off);
			uint16_t fo;
			if (reassembled)
				return ip6_drop(skb, InBadExtHdrs, InHdrErrors);
			if (left < sizeof(*fh))
				return ip6_drop(skb, InTruncatedPkts, InHdrErrors);
			hlen = sizeof(*fh);
			fo = ntohs(fh->frag_off);
			if (!(fo & (IP6_OFFSET | IP6_MF)))
				break;		/* an atomic fragment (RFC 6946) */
			if ((fo & IP6_MF) && ((left - hlen) % 8 || left == hlen)) {
				/* RFC 8200 §4.5: pointer to the payload length. */
				icmpv6_send(net, skb, ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD, 4);
				return ip6_drop(skb, ReasmBadLength, InHdrErrors);
			}
			skb_pull(skb, off);
			skb = ipv6_defrag(net, skb, &nexthdr);
			if (!skb)
				return;
			/* The walk goes on from the reassembled payload. */
			off = sizeof(struct ipv6hdr);
			prev = 6;
			first = false;
			reassembled = true;
			continue;
		}
		case NEXTHDR_NONE:
			kfree_skb(skb);
			return;
		case NEXTHDR_ICMP:
			skb_pull(skb, off);
			skb_reset_transport_header(skb);
			st->InDelivers++;
			icmpv6_rcv(skb);
			return;
		case IPPROTO_TCP:
		case IPPROTO_UDP:
			/* The transports check their own pseudo-header sum. */
			skb_pull(skb, off);
			skb_reset_transport_header(skb);
			st->InDelivers++;
			if (nexthdr == IPPROTO_TCP)
				tcp_v6_rcv(skb);
			else
				udpv6_rcv(skb);
			return;
		default:
			st->InUnknownProtos++;
			icmpv6_send(net, skb, ICMPV6_PARAMPROB, ICMPV6_UNK_NEXTHDR, prev);
			kfree_skb(skb);
			return;
		}
		prev = off;
		nexthdr = nh[off];
		off += hlen;
		first = false;
	}
}

/* ipv6_rcv is the ETH_P_IPV6 handler; pt is NULL for packets from our own
 * backlog (sent by us to one of our addresses). */
void ipv6_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	struct net *net = dev->net;
	struct ip6stats *st = &net->ipv6.stats;
	const struct ipv6hdr *ip6;
	struct inet6_ifaddr *ifa;
	unsigned int plen;

	(void)pt;
	skb_reset_network_header(skb);
	st->InReceives++;
	if (!dev->ip6_ptr) {
		net->ipv6.stats.InDiscards++;
		kfree_skb(skb);
		return;
	}
	if (skb->len < sizeof(*ip6))
		return ip6_drop(skb, InTruncatedPkts, InHdrErrors);
	ip6 = (const struct ipv6hdr *)skb->data;
	if ((ntohl(ip6->ver_tc_flow) >> 28) != 6)
		return ip6_drop(skb, InBadVersion, InHdrErrors);
	plen = ntohs(ip6->payload_len);
	if (sizeof(*ip6) + plen > skb->len)
		return ip6_drop(skb, InTruncatedPkts, InHdrErrors);
	skb_trim(skb, (unsigned int)sizeof(*ip6) + plen);	/* Ethernet pads */
	if (ipv6_addr_is_multicast(&ip6->saddr) || ipv6_addr_is_loopback(&ip6->saddr) ||
	    ipv6_addr_is_loopback(&ip6->daddr))
		return ip6_drop(skb, InMartians, InAddrErrors);
	/* Our own source from the wire is forged, as IPv4 has it: only the
	 * backlog carries what we send ourselves.  ICMPv6 is let by, since
	 * a neighbour with our address (DAD) must still be heard. */
	if (pt && ip6->nexthdr != NEXTHDR_ICMP && ipv6_local_dev(net, &ip6->saddr, NULL))
		return ip6_drop(skb, InMartians, InAddrErrors);
	memset(IP6CB(skb), 0, sizeof(struct ip6_cb));
	if (ipv6_addr_is_multicast(&ip6->daddr)) {
		if (!ipv6_is_our_group(dev, &ip6->daddr))
			return ip6_drop(skb, InNotForUs, InAddrErrors);
		st->InMcastPkts++;
		skb->pkt_type = PACKET_MULTICAST;
	} else {
		ifa = ipv6_get_ifaddr(net, &ip6->daddr);
		if (!ifa)
			return ip6_drop(skb, InNotForUs, InAddrErrors);
		/* RFC 4862 §5.4: a tentative address takes only DAD's NS and NA. */
		if (ifa->state != IFA6_PREFERRED && ip6->nexthdr != NEXTHDR_ICMP)
			return ip6_drop(skb, InNotForUs, InAddrErrors);
		IP6CB(skb)->to_tentative = ifa->state != IFA6_PREFERRED;
		skb->pkt_type = PACKET_HOST;
	}
	ip6_deliver(net, skb);
}

/* ip6_fragment cuts a packet of ours (data at its IPv6 header, no
 * extension headers) into fragments that fit the MTU (RFC 8200 §4.5). */
static int ip6_fragment(struct net *net, struct sk_buff *skb, struct net_device *dev,
			const struct in6_addr *nexthop, unsigned int mtu)
{
	struct ip6stats *st = &net->ipv6.stats;
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)skb->data;
	unsigned int hlen = sizeof(*ip6), plen = skb->len - hlen;
	unsigned int chunk = (mtu - hlen - sizeof(struct frag_hdr)) & ~7u;
	uint32_t id = htonl(++net->ipv6.frag_id);
	int err = 0;

	for (unsigned int off = 0; off < plen; off += chunk) {
		unsigned int n = plen - off < chunk ? plen - off : chunk;
		struct sk_buff *frag = alloc_skb(LL_MAX_HEADER + hlen + sizeof(struct frag_hdr) + n);
		struct ipv6hdr *fh6;
		struct frag_hdr *fh;

		if (!frag) {
			err = -ENOBUFS;
			break;
		}
		skb_reserve(frag, LL_MAX_HEADER);
		frag->dev = dev;
		skb_reset_network_header(frag);
		fh6 = (struct ipv6hdr *)skb_put(frag, hlen);
		memcpy(fh6, ip6, hlen);
		fh6->nexthdr = NEXTHDR_FRAGMENT;
		fh6->payload_len = htons((uint16_t)(sizeof(*fh) + n));
		fh = (struct frag_hdr *)skb_put(frag, sizeof(*fh));
		fh->nexthdr = ip6->nexthdr;
		fh->reserved = 0;
		fh->frag_off = htons((uint16_t)(off | (off + n < plen ? IP6_MF : 0)));
		fh->identification = id;
		memcpy(skb_put(frag, n), skb->data + hlen + off, n);
		st->FragCreates++;
		err = ndisc_output(dev, nexthop, frag);
		if (err)
			break;
	}
	if (err)
		st->FragFails++;
	else
		st->FragOKs++;
	kfree_skb(skb);
	return err;
}

uint32_t ip6_pmtu_get(struct net *net, const struct in6_addr *daddr)
{
	for (int i = 0; i < PMTU6_MAX; i++) {
		const struct pmtu6_entry *p = &net->ipv6.pmtu[i];
		if (p->expires > net->now && ipv6_addr_equal(&p->daddr, daddr))
			return p->mtu;
	}
	return 0;
}

/* ip6_pmtu_update lowers the path MTU to daddr (never below 1280, RFC
 * 8201 §4), taking the entry that expires first when the cache is full. */
void ip6_pmtu_update(struct net *net, const struct in6_addr *daddr, uint32_t mtu)
{
	struct pmtu6_entry *slot = NULL;

	if (mtu < IPV6_MIN_MTU)
		mtu = IPV6_MIN_MTU;
	for (int i = 0; i < PMTU6_MAX; i++) {
		struct pmtu6_entry *p = &net->ipv6.pmtu[i];
		if (p->expires > net->now && ipv6_addr_equal(&p->daddr, daddr)) {
			slot = p;
			break;
		}
		if (!slot || p->expires < slot->expires)
			slot = p;
	}
	if (slot->expires > net->now && ipv6_addr_equal(&slot->daddr, daddr) && slot->mtu <= mtu)
		return;		/* a PTB never raises it */
	slot->daddr = *daddr;
	slot->mtu = mtu;
	slot->expires = net->now + PMTU6_EXPIRES_US;
	net->ipv6.icmp6.PmtuUpdates++;
}

/* The first device IPv6 runs on: where link-local and multicast
 * destinations go when the caller names none. */
struct net_device *ip6_default_dev(struct net *net)
{
	for (int i = 0; i < net->ndevs; i++)
		if (net->devs[i]->ip6_ptr && net->devs[i]->up)
			return net->devs[i];
	return NULL;
}

/* ip6_xmit: see ipv6.h. */
int ip6_xmit(struct net *net, struct sk_buff *skb, struct net_device *dev,
	     const struct in6_addr *saddr, const struct in6_addr *daddr,
	     uint8_t nexthdr, uint8_t hoplimit, uint8_t tclass,
	     const void *exthdr, unsigned int extlen)
{
	struct ip6stats *st = &net->ipv6.stats;
	struct in6_addr nexthop = *daddr;
	struct ipv6hdr *ip6;
	unsigned int mtu;
	struct inet6_ifaddr *self = NULL;
	struct net_device *ldev = ipv6_local_dev(net, daddr, &self);

	if (ldev) {
		/* To ourselves: the device that holds the address, whatever
		 * the caller named, since that is where ipv6_rcv looks. */
		dev = ldev;
	} else if (ipv6_addr_is_multicast(daddr) || ipv6_addr_is_linklocal(daddr)) {
		if (!dev)
			dev = ip6_default_dev(net);
	} else if (rt6_lookup(net, daddr, &dev, &nexthop)) {
		dev = NULL;
	}
	if (!dev || !dev->ip6_ptr || !dev->up) {
		st->OutNoRoutes++;
		kfree_skb(skb);
		return -ENETUNREACH;
	}
	if (!saddr)
		saddr = self ? daddr : ipv6_select_saddr(dev, daddr);
	if (!saddr || (self && self->state != IFA6_PREFERRED)) {
		/* No source; or an address of ours still in DAD, which
		 * takes nothing but DAD's own messages. */
		st->OutDiscards++;
		kfree_skb(skb);
		return -EADDRNOTAVAIL;
	}
	if (skb->len + extlen > IPV6_MAXPLEN || skb_headroom(skb) < sizeof(*ip6) + extlen + ETH_HLEN) {
		st->OutDiscards++;
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	if (extlen) {
		memcpy(skb_push(skb, extlen), exthdr, extlen);
		skb->data[0] = nexthdr;	/* the header's own next header */
		nexthdr = NEXTHDR_HOP;
	}
	ip6 = (struct ipv6hdr *)skb_push(skb, sizeof(*ip6));
	skb_reset_network_header(skb);
	ip6->ver_tc_flow = htonl(6u << 28 | (uint32_t)tclass << 20);	/* no flow label */
	ip6->payload_len = htons((uint16_t)(skb->len - sizeof(*ip6)));
	ip6->nexthdr = nexthdr;
	ip6->hop_limit = hoplimit;
	ip6->saddr = *saddr;
	ip6->daddr = *daddr;
	skb->dev = dev;
	skb->protocol = ETH_P_IPV6;
	st->OutRequests++;
	if (ipv6_addr_is_multicast(daddr))
		st->OutMcastPkts++;
	if (self) {
		/* Received from the backlog by net_process_backlog, as IPv4's
		 * RTN_LOCAL packets are, never inside this call: a protocol
		 * is not re-entered while it sends.  No MTU on this path, so
		 * a TCP super-packet goes up whole, never fragmented. */
		skb->pkt_type = PACKET_HOST;
		skb_queue_tail(&net->backlog, skb);
		return 0;
	}
	mtu = dev->ip6_ptr->mtu6 && dev->ip6_ptr->mtu6 < dev->mtu ? dev->ip6_ptr->mtu6 : dev->mtu;
	uint32_t pmtu = ip6_pmtu_get(net, daddr);
	if (pmtu && pmtu < mtu)
		mtu = pmtu;
	/* A TCP super-packet (GSO) is cut into segments that fit by the
	 * device or dev_queue_xmit, never fragmented. */
	if (skb->len > mtu && !skb_is_gso(skb)) {
		if (extlen) {
			st->FragFails++;
			kfree_skb(skb);
			return -EMSGSIZE;
		}
		return ip6_fragment(net, skb, dev, &nexthop, mtu);
	}
	return ndisc_output(dev, &nexthop, skb);
}
