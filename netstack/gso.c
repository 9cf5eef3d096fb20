/* Software offloads: what a device does not do, dev_queue_xmit does here
 * first (Linux's skb_checksum_help and skb_gso_segment).
 *
 * TCP always builds segments of up to 64 KB with a partial checksum, as
 * Linux does; a device with TSO and checksum offload (the TAP device with
 * a vnet header) takes them whole, and for any other device, or when the
 * link impairment must see frames as they would cross a wire, they are cut
 * here into segments of gso_size with every checksum filled in.  The same
 * code cuts super-frames received when the stack wants wire frames.
 *
 * Every packet is a whole Ethernet frame here, data at the MAC header, and
 * every length in it is checked before it is used: a received super-frame
 * is as hostile as any other. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"

/* skb_checksum_help fills in a CHECKSUM_PARTIAL checksum: the field holds
 * the pseudo-header sum, so the sum of everything from csum_start on, the
 * field included, folded, is the checksum. */
int skb_checksum_help(struct sk_buff *skb)
{
	unsigned int start = skb->csum_start, end = (unsigned int)(skb->tail - skb->head);
	uint16_t sum;

	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return 0;
	if (start < (unsigned int)(skb->data - skb->head) || start > end ||
	    skb->csum_offset > end - start || end - start - skb->csum_offset < 2)
		return -EINVAL;
	sum = csum_fold(csum_partial(skb->head + start, end - start, 0));
	if (sum == 0)
		sum = 0xffff;	/* UDP's "no checksum" is 0; for TCP both mean zero */
	memcpy(skb->head + start + skb->csum_offset, &sum, 2);
	skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/* The headers of a GSO frame, found and checked. */
struct gso_hdrs {
	unsigned int ihl, l4len, hlen;	/* IP header, TCP/UDP header, all headers */
	unsigned int payload;		/* bytes after the headers */
	bool v6;
};

/* gso_parse_ip: the IP header of either family; its length in g->ihl and
 * what follows it (transport header and payload) in *rest.  An IPv6
 * frame must carry TCP or UDP straight after the fixed header: the
 * kernel's super-frames do, and ours do. */
static int gso_parse_ip(const struct sk_buff *skb, struct gso_hdrs *g, unsigned int *rest,
			uint8_t *proto)
{
	const unsigned char *p = skb->data;
	uint16_t type;

	if (skb->len < ETH_HLEN)
		return -EINVAL;
	type = ntohs(((const struct ethhdr *)p)->h_proto);
	g->v6 = type == ETH_P_IPV6;
	if (g->v6) {
		const struct ipv6hdr *ip6 = (const struct ipv6hdr *)(p + ETH_HLEN);
		unsigned int plen;
		if (skb->gso_type == SKB_GSO_TCPV4 || skb->len < ETH_HLEN + sizeof(*ip6))
			return -EINVAL;
		plen = ntohs(ip6->payload_len);
		if ((ntohl(ip6->ver_tc_flow) >> 28) != 6 || plen > skb->len - ETH_HLEN - sizeof(*ip6))
			return -EINVAL;
		g->ihl = sizeof(*ip6);
		*rest = plen;
		*proto = ip6->nexthdr;
		return 0;
	}
	const struct iphdr *iph = (const struct iphdr *)(p + ETH_HLEN);
	unsigned int tot;
	if (type != ETH_P_IP || skb->gso_type == SKB_GSO_TCPV6 ||
	    skb->len < ETH_HLEN + sizeof(struct iphdr))
		return -EINVAL;
	g->ihl = ip_hdrlen(iph);
	tot = ntohs(iph->tot_len);
	if ((iph->ver_ihl >> 4) != 4 || g->ihl < sizeof(*iph) || tot > skb->len - ETH_HLEN ||
	    tot < g->ihl || (ntohs(iph->frag_off) & (IP_MF | IP_OFFSET)))
		return -EINVAL;
	*rest = tot - g->ihl;
	*proto = iph->protocol;
	return 0;
}

static int gso_parse(const struct sk_buff *skb, struct gso_hdrs *g)
{
	unsigned int rest;
	uint8_t proto;

	if (gso_parse_ip(skb, g, &rest, &proto))
		return -EINVAL;
	if (skb_gso_tcp(skb)) {
		const struct tcphdr *th = (const struct tcphdr *)(skb->data + ETH_HLEN + g->ihl);
		if (proto != IPPROTO_TCP || rest < sizeof(*th))
			return -EINVAL;
		g->l4len = (th->doff_res >> 4) * 4u;
		if (g->l4len < sizeof(*th) || g->l4len > rest)
			return -EINVAL;
	} else if (skb->gso_type == SKB_GSO_UDP_L4) {
		if (proto != IPPROTO_UDP || rest < 8)
			return -EINVAL;
		g->l4len = 8;
	} else {
		return -EINVAL;
	}
	g->hlen = ETH_HLEN + g->ihl + g->l4len;
	g->payload = rest - g->l4len;
	return 0;
}

/* gso_fill makes one segment: the headers of the frame, n payload bytes
 * from off, lengths, ids, sequence and flags fixed, checksums computed. */
static struct sk_buff *gso_fill(const struct sk_buff *skb, const struct gso_hdrs *g,
				unsigned int off, unsigned int n, unsigned int index, bool last)
{
	struct sk_buff *seg = alloc_skb(g->hlen + n + SKB_ALIGN_SLACK);
	unsigned char *l4;
	uint32_t l4sum, pseudo;
	bool tcp = skb_gso_tcp(skb);

	if (!seg)
		return NULL;
	skb_align_net(seg, ETH_HLEN);
	memcpy(skb_put(seg, g->hlen), skb->data, g->hlen);
	memcpy(skb_put(seg, n), skb->data + g->hlen + off, n);
	seg->dev = skb->dev;
	seg->tstamp = skb->tstamp;
	seg->protocol = skb->protocol;
	seg->pkt_type = skb->pkt_type;
	seg->mac_header = 0;
	seg->network_header = ETH_HLEN;
	seg->transport_header = (uint16_t)(ETH_HLEN + g->ihl);
	l4 = seg->data + ETH_HLEN + g->ihl;
	if (tcp) {
		struct tcphdr *th = (struct tcphdr *)l4;
		th->seq = htonl(ntohl(th->seq) + off);
		if (!last)
			th->flags &= (uint8_t)~(TH_FIN | TH_PSH);
		if (index)
			th->flags &= (uint8_t)~0x80;	/* CWR: the first segment only */
		th->check = 0;
	} else {
		uint16_t ulen = htons((uint16_t)(8 + n));
		memcpy(l4 + 4, &ulen, 2);
		memset(l4 + 6, 0, 2);
	}
	l4sum = csum_partial(l4, g->l4len + n, 0);
	if (g->v6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(seg->data + ETH_HLEN);
		ip6->payload_len = htons((uint16_t)(g->l4len + n));
		pseudo = csum_ipv6_magic(&ip6->saddr, &ip6->daddr, g->l4len + n,
					 tcp ? IPPROTO_TCP : IPPROTO_UDP, l4sum);
	} else {
		struct iphdr *iph = (struct iphdr *)(seg->data + ETH_HLEN);
		iph->tot_len = htons((uint16_t)(g->ihl + g->l4len + n));
		iph->id = htons((uint16_t)(ntohs(iph->id) + index));
		ip_send_check(iph);
		pseudo = csum_tcpudp_nofold(iph->saddr, iph->daddr, g->l4len + n, iph->protocol, l4sum);
	}
	uint16_t check = csum_fold(pseudo);
	if (!tcp && check == 0)
		check = 0xffff;
	memcpy(l4 + (tcp ? 16 : 6), &check, 2);
	seg->ip_summed = CHECKSUM_NONE;
	return seg;
}

/* skb_gso_segment cuts a GSO frame into frames of gso_size payload bytes
 * and returns them linked by next (NULL-terminated), their number in
 * *nsegs; NULL if the frame is malformed or memory ran out.  The frame
 * itself is left to the caller. */
struct sk_buff *skb_gso_segment(struct sk_buff *skb, unsigned int *nsegs)
{
	struct sk_buff *first = NULL, **link = &first;
	struct gso_hdrs g;
	unsigned int mss = skb->gso_size, i = 0;

	*nsegs = 0;
	if (!mss || gso_parse(skb, &g))
		return NULL;
	for (unsigned int off = 0; off < g.payload || (off == 0 && g.payload == 0); off += mss, i++) {
		unsigned int n = g.payload - off < mss ? g.payload - off : mss;
		struct sk_buff *seg = gso_fill(skb, &g, off, n, i, off + n >= g.payload);

		if (!seg) {
			while (first) {
				struct sk_buff *next = first->next;
				kfree_skb(first);
				first = next;
			}
			*nsegs = 0;
			return NULL;
		}
		seg->next = NULL;
		*link = seg;
		link = &seg->next;
		(*nsegs)++;
		if (g.payload == 0)
			break;
	}
	if (skb->dev)
		skb->dev->stats.GsoSegments += *nsegs;
	return first;
}
