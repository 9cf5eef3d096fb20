/* IPv4 output: header, route, fragmentation, and on to ARP. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"

/* ip_alloc_skb makes a packet with room for payload and every header below. */
struct sk_buff *ip_alloc_skb(unsigned int payload)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + payload);

	if (skb)
		skb_reserve(skb, MAX_HEADER);
	return skb;
}

void ip_send_check(struct iphdr *iph)
{
	iph->check = 0;
	iph->check = ip_compute_csum(iph, ip_hdrlen(iph));
}

/* ip_fragment splits a datagram larger than the device MTU (RFC 791 §3.2):
 * every fragment carries a copy of the header and a multiple of 8 bytes but
 * the last.  We send no options, so none need the copy rule. */
static int ip_fragment(struct net *net, struct sk_buff *skb, const struct rtable *rt)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int hlen = ip_hdrlen(iph), plen = skb->len - hlen;
	unsigned int chunk = (rt->dev->mtu - hlen) & ~7u;
	unsigned int flags = ntohs(iph->frag_off);
	const unsigned char *payload = skb->data + hlen;
	int err = 0;

	if (flags & IP_DF) {
		net->ipstats.FragFails++;
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	for (unsigned int off = 0; off < plen; off += chunk) {
		unsigned int n = plen - off < chunk ? plen - off : chunk;
		struct sk_buff *frag = alloc_skb(LL_MAX_HEADER + hlen + n);
		struct iphdr *fh;

		if (!frag) {
			err = -ENOBUFS;
			break;
		}
		skb_reserve(frag, LL_MAX_HEADER);
		frag->dev = rt->dev;
		skb_reset_network_header(frag);
		fh = (struct iphdr *)skb_put(frag, hlen);
		memcpy(fh, iph, hlen);
		memcpy(skb_put(frag, n), payload + off, n);
		fh->tot_len = htons((uint16_t)(hlen + n));
		fh->frag_off = htons((uint16_t)(((flags & IP_OFFSET) + off / 8) |
				     ((off + n < plen || (flags & IP_MF)) ? IP_MF : 0)));
		ip_send_check(fh);
		net->ipstats.FragCreates++;
		err = neigh_output(rt->dev, rt->nexthop, frag);
		if (err)
			break;
	}
	if (err)
		net->ipstats.FragFails++;
	else
		net->ipstats.FragOKs++;
	kfree_skb(skb);
	return err;
}

/* ip_finish_output sends a packet with its IP header on the route rt. */
int ip_finish_output(struct net *net, struct sk_buff *skb, const struct rtable *rt)
{
	skb->dev = rt->dev;
	if (rt->type == RTN_LOCAL) {
		skb->pkt_type = PACKET_HOST;
		skb->protocol = ETH_P_IP;	/* how net_process_backlog tells the families */
		skb_queue_tail(&net->backlog, skb);
		return 0;
	}
	if (skb->len > rt->dev->mtu && !skb_is_gso(skb))
		return ip_fragment(net, skb, rt);
	return neigh_output(rt->dev, rt->nexthop, skb);
}

/* ip_build_xmit: see ip.h. */
int ip_build_xmit(struct net *net, struct sk_buff *skb, uint32_t saddr,
		  uint32_t daddr, uint8_t protocol, uint8_t ttl, uint8_t tos, bool df)
{
	struct rtable rt;
	struct iphdr *iph;
	int err = ip_route_output(net, daddr, &rt);

	if (err) {
		net->ipstats.OutNoRoutes++;
		kfree_skb(skb);
		return err;
	}
	if (!saddr)
		saddr = rt.saddr;
	if (!saddr || !rt.dev) {
		net->ipstats.OutDiscards++;
		kfree_skb(skb);
		return -EADDRNOTAVAIL;
	}
	if (skb->len + sizeof(*iph) > IP_MAX_PACKET) {
		net->ipstats.OutDiscards++;
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	iph = (struct iphdr *)skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->ver_ihl = 0x45;
	iph->tos = tos;
	iph->tot_len = htons((uint16_t)skb->len);
	iph->id = htons(net->ip_id++);
	iph->frag_off = htons(df ? IP_DF : 0);
	iph->ttl = ttl;
	iph->protocol = protocol;
	iph->saddr = saddr;
	iph->daddr = daddr;
	ip_send_check(iph);
	net->ipstats.OutRequests++;
	return ip_finish_output(net, skb, &rt);
}
