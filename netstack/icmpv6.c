/* ICMPv6 (RFC 4443): echo, the errors a host sends and receives, and the
 * dispatch of neighbour discovery and MLD messages. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"

/* icmpv6_ratelimit: a token bucket, as IPv4's, for the errors we send. */
static bool icmpv6_ratelimit(struct net *net)
{
	struct ipv6_state *s = &net->ipv6;
	const uint64_t cost = 1000000, cap = ICMP_RATE_BURST * cost;

	s->icmp_tokens += (net->now - s->icmp_last) * ICMP_RATE_PER_SEC;
	s->icmp_last = net->now;
	if (s->icmp_tokens > cap)
		s->icmp_tokens = cap;
	if (s->icmp_tokens < cost)
		return true;
	s->icmp_tokens -= cost;
	return false;
}

/* icmpv6_xmit: see ipv6.h.  What the stack sends of its own (errors,
 * NDP, MLD) has traffic class 0. */
int icmpv6_xmit(struct net *net, struct net_device *dev, const void *msg, unsigned int len,
		const struct in6_addr *saddr, const struct in6_addr *daddr, uint8_t hoplimit,
		const void *ext, unsigned int extlen)
{
	return icmpv6_xmit_tc(net, dev, msg, len, saddr, daddr, hoplimit, 0, ext, extlen);
}

int icmpv6_xmit_tc(struct net *net, struct net_device *dev, const void *msg, unsigned int len,
		   const struct in6_addr *saddr, const struct in6_addr *daddr, uint8_t hoplimit,
		   uint8_t tclass, const void *ext, unsigned int extlen)
{
	struct icmp6stats *st = &net->ipv6.icmp6;
	struct net_device *odev = dev;
	struct in6_addr nexthop;
	struct inet6_ifaddr *ifa;
	struct icmp6hdr *ic;
	struct sk_buff *skb;

	if (!saddr && (ifa = ipv6_get_ifaddr(net, daddr)) && ifa->state == IFA6_PREFERRED)
		saddr = daddr;	/* to ourselves (the backlog): from that address */
	if (!odev) {
		if (ipv6_addr_is_multicast(daddr) || ipv6_addr_is_linklocal(daddr))
			odev = ip6_default_dev(net);
		else if (rt6_lookup(net, daddr, &odev, &nexthop))
			odev = NULL;
	}
	if (!saddr)
		saddr = ipv6_select_saddr(odev, daddr);
	if (!saddr) {
		st->OutErrors++;
		return -1;
	}
	skb = alloc_skb(MAX_HEADER + len);
	if (!skb) {
		st->OutErrors++;
		return -1;
	}
	skb_reserve(skb, MAX_HEADER);
	ic = (struct icmp6hdr *)skb_put(skb, len);
	memcpy(ic, msg, len);
	ic->icmp6_cksum = 0;
	ic->icmp6_cksum = csum_fold(csum_ipv6_magic(saddr, daddr, len, NEXTHDR_ICMP,
						    csum_partial(ic, len, 0)));
	st->OutMsgs++;
	if (ip6_xmit(net, skb, odev, saddr, daddr, NEXTHDR_ICMP, hoplimit, tclass, ext, extlen)) {
		st->OutErrors++;
		return -1;
	}
	return 0;
}

/* icmpv6_send: see ipv6.h. */
void icmpv6_send(struct net *net, const struct sk_buff *skb_in, int type, int code, uint32_t info)
{
	struct icmp6stats *st = &net->ipv6.icmp6;
	const unsigned char *nh = skb_network_header(skb_in);
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)nh;
	unsigned int avail = (unsigned int)(skb_in->tail - nh), quote;
	uint8_t msg[IPV6_MIN_MTU];
	struct icmp6hdr *ic = (struct icmp6hdr *)msg;
	const struct in6_addr *saddr = NULL;
	struct inet6_ifaddr *ifa;
	bool allowed_mcast = type == ICMPV6_PKT_TOOBIG ||
			     (type == ICMPV6_PARAMPROB && code == ICMPV6_UNK_OPTION);

	if (avail < sizeof(*ip6))
		return;
	/* §2.4 (e): not about a multicast, but for the two that say so. */
	if ((skb_in->pkt_type != PACKET_HOST || ipv6_addr_is_multicast(&ip6->daddr)) &&
	    !allowed_mcast)
		return;
	if (ipv6_addr_any(&ip6->saddr) || ipv6_addr_is_multicast(&ip6->saddr))
		return;
	/* §2.4 (e.1): never about an ICMPv6 error. */
	if (ip6->nexthdr == NEXTHDR_ICMP && (avail < sizeof(*ip6) + 1 || nh[sizeof(*ip6)] < 128))
		return;
	if (icmpv6_ratelimit(net)) {
		st->OutRateLimited++;
		return;
	}
	/* §2.4 (c): as much of the packet as fits in the minimum MTU. */
	quote = sizeof(msg) - sizeof(struct ipv6hdr) - sizeof(*ic);
	if (avail < quote)
		quote = avail;
	memset(ic, 0, sizeof(*ic));
	ic->icmp6_type = (uint8_t)type;
	ic->icmp6_code = (uint8_t)code;
	ic->un.un_data32 = htonl(info);
	memcpy(msg + sizeof(*ic), nh, quote);
	ifa = ipv6_get_ifaddr(net, &ip6->daddr);
	if (ifa && ifa->state == IFA6_PREFERRED)
		saddr = &ifa->addr;
	if (type == ICMPV6_DEST_UNREACH)
		st->OutDestUnreachs++;
	else if (type == ICMPV6_TIME_EXCEED)
		st->OutTimeExcds++;
	else if (type == ICMPV6_PARAMPROB)
		st->OutParmProblems++;
	icmpv6_xmit(net, skb_in->dev, msg, (unsigned int)sizeof(*ic) + quote, saddr, &ip6->saddr,
		    IPV6_DEFAULT_HOPLIMIT, NULL, 0);
}

/* icmpv6_echo answers an echo request with the same identifier, sequence
 * and data, from the address it was sent to (or, for a group, ours). */
static void icmpv6_echo(struct net *net, struct sk_buff *skb)
{
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)skb_network_header(skb);
	struct icmp6hdr *ic = (struct icmp6hdr *)skb->data;
	const struct in6_addr *saddr = NULL;
	struct in6_addr dst = ip6->saddr, src = ip6->daddr;

	if (ipv6_addr_any(&dst))
		return;
	if (!ipv6_addr_is_multicast(&src))
		saddr = &src;
	ic->icmp6_type = ICMPV6_ECHO_REPLY;
	net->ipv6.icmp6.OutEchoReplies++;
	icmpv6_xmit(net, skb->dev, skb->data, skb->len, saddr, &dst, IPV6_DEFAULT_HOPLIMIT, NULL, 0);
}

/* icmpv6_pkt_toobig: a router could not pass a packet of ours; later
 * packets to that destination are cut to the MTU it names.  Believed
 * only when it quotes a packet from one of our addresses. */
static bool icmpv6_pkt_toobig(struct net *net, struct sk_buff *skb)
{
	const struct icmp6hdr *ic = (const struct icmp6hdr *)skb->data;
	struct ipv6hdr inner;
	struct inet6_ifaddr *ifa;

	memcpy(&inner, skb->data + sizeof(*ic), sizeof(inner));
	ifa = ipv6_get_ifaddr(net, &inner.saddr);
	if ((ntohl(inner.ver_tc_flow) >> 28) != 6 || !ifa || ipv6_addr_is_multicast(&inner.daddr)) {
		net->ipv6.icmp6.InBadPktTooBigs++;
		net->ipv6.icmp6.InErrors++;
		return false;
	}
	ip6_pmtu_update(net, &inner.daddr, ntohl(ic->un.un_data32));
	return true;
}

/* icmpv6_err_to_errno: what a socket is told of an ICMPv6 error, as
 * Linux's icmpv6_err_convert has it. */
static int icmpv6_err_to_errno(int type, int code)
{
	if (type == ICMPV6_DEST_UNREACH) {
		switch (code) {
		case ICMPV6_NOROUTE: return ENETUNREACH;
		case 1: return EACCES;		/* administratively prohibited */
		case ICMPV6_PORT_UNREACH: return ECONNREFUSED;
		default: return EHOSTUNREACH;
		}
	}
	if (type == ICMPV6_PARAMPROB)
		return EPROTO;
	return EHOSTUNREACH;	/* time exceeded */
}

/* icmpv6_quote_upper walks the extension headers of a quoted packet (q,
 * qlen bytes from its IPv6 header) to its upper-layer header: its offset
 * in q, and *proto, or -1.  Every byte is the sender's, so each header's
 * length is checked against what is left before it is stepped over, and
 * the chain is bounded as ip6_deliver bounds it.  A fragment header that
 * is not the first fragment's ends the walk: what follows it is the
 * middle of a payload, with no ports in it. */
static int icmpv6_quote_upper(const unsigned char *q, unsigned int qlen, uint8_t *proto)
{
	unsigned int off = sizeof(struct ipv6hdr), hlen;
	uint8_t nh = ((const struct ipv6hdr *)q)->nexthdr;

	for (int count = 0; count <= IP6_MAX_EXTHDRS; count++) {
		switch (nh) {
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
			if (qlen - off < sizeof(struct ipv6_opt_hdr))
				return -1;
			hlen = (q[off + 1] + 1u) * 8;
			break;
		case NEXTHDR_FRAGMENT:
			if (qlen - off < sizeof(struct frag_hdr) ||
			    ((q[off + 2] << 8 | q[off + 3]) & IP6_OFFSET))
				return -1;
			hlen = sizeof(struct frag_hdr);
			break;
		default:
			*proto = nh;
			return (int)off;
		}
		if (hlen > qlen - off)
			return -1;
		nh = q[off];
		off += hlen;
	}
	return -1;	/* more than IP6_MAX_EXTHDRS, as ip6_deliver refuses */
}

/* icmpv6_notify hands an error to the transport of the packet it quotes
 * (RFC 4443 §2.4 (b)), when that packet was ours: TCP, UDP or echo after
 * the quoted IPv6 header and its extension headers, and at least the
 * ports (8 bytes, for TCP's sequence number). */
static void icmpv6_notify(struct net *net, struct sk_buff *skb, int type, int code, uint32_t info)
{
	const unsigned char *q = skb->data + sizeof(struct icmp6hdr);
	unsigned int qlen = skb->len - (unsigned int)sizeof(struct icmp6hdr), l4len;
	const unsigned char *l4;
	struct ipv6hdr inner;
	uint32_t mtu = 0;
	uint8_t proto;
	int off;

	memcpy(&inner, q, sizeof(inner));
	if ((ntohl(inner.ver_tc_flow) >> 28) != 6 || !ipv6_get_ifaddr(net, &inner.saddr))
		return;
	if ((off = icmpv6_quote_upper(q, qlen, &proto)) < 0)
		return;
	l4 = q + off;
	l4len = qlen - (unsigned int)off;
	if (l4len < 8)
		return;
	if (type == ICMPV6_PKT_TOOBIG) {
		mtu = info < IPV6_MIN_MTU ? IPV6_MIN_MTU : info;
		if (mtu > 65535)
			return;
	}
	if (proto == IPPROTO_TCP)
		tcp_v6_err(net, &inner, l4, l4len, icmpv6_err_to_errno(type, code), mtu);
	else if (proto == IPPROTO_UDP && type != ICMPV6_PKT_TOOBIG)
		udpv6_err(net, &inner, l4, l4len, icmpv6_err_to_errno(type, code));
	else if (proto == NEXTHDR_ICMP && type != ICMPV6_PKT_TOOBIG)
		ping6_err(net, &inner, l4, l4len, icmpv6_err_to_errno(type, code));
}

/* icmpv6_rcv: data at the ICMPv6 header, the IPv6 header at the network
 * header.  Takes ownership. */
void icmpv6_rcv(struct sk_buff *skb)
{
	struct net *net = skb->dev->net;
	struct icmp6stats *st = &net->ipv6.icmp6;
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)skb_network_header(skb);
	const struct icmp6hdr *ic = (const struct icmp6hdr *)skb->data;
	int type;

	st->InMsgs++;
	if (skb->len < sizeof(*ic)) {
		st->InBadLength++;
		st->InErrors++;
		goto out;
	}
	if (!skb_csum_unnecessary(skb) &&
	    csum_fold(csum_ipv6_magic(&ip6->saddr, &ip6->daddr, skb->len, NEXTHDR_ICMP,
				      csum_partial(skb->data, skb->len, 0))) != 0) {
		st->InCsumErrors++;
		st->InErrors++;
		goto out;
	}
	type = ic->icmp6_type;
	if (IP6CB_TENTATIVE(skb) && type != NDISC_NEIGHBOUR_SOLICITATION &&
	    type != NDISC_NEIGHBOUR_ADVERTISEMENT)
		goto out;
	switch (type) {
	case ICMPV6_ECHO_REQUEST:
		st->InEchos++;
		icmpv6_echo(net, skb);
		break;
	case ICMPV6_ECHO_REPLY:
		st->InEchoReplies++;
		if (ping_rcv(skb))
			return;		/* an echo socket took it */
		break;
	case ICMPV6_DEST_UNREACH:
	case ICMPV6_PKT_TOOBIG:
	case ICMPV6_TIME_EXCEED:
	case ICMPV6_PARAMPROB:
		if (type == ICMPV6_DEST_UNREACH)
			st->InDestUnreachs++;
		else if (type == ICMPV6_PKT_TOOBIG)
			st->InPktTooBigs++;
		else if (type == ICMPV6_TIME_EXCEED)
			st->InTimeExcds++;
		else
			st->InParmProblems++;
		/* The quote must hold the offending header for the error
		 * to count as good; then its transport hears of it. */
		if (skb->len < sizeof(*ic) + sizeof(struct ipv6hdr)) {
			st->InBadLength++;
			st->InErrors++;
			break;
		}
		if (type == ICMPV6_PKT_TOOBIG && !icmpv6_pkt_toobig(net, skb))
			break;
		icmpv6_notify(net, skb, type, ic->icmp6_code, ntohl(ic->un.un_data32));
		break;
	case ICMPV6_MGM_QUERY:
		st->InGroupMembQueries++;
		/* RFC 3810 §5.1.14: link-local source, hop limit 1.  At most
		 * one answer a second, so a flood of queries is not echoed. */
		if (skb->len < 24 || ip6->hop_limit != 1 || !ipv6_addr_is_linklocal(&ip6->saddr)) {
			st->InErrors++;
		} else if (!skb->dev->ip6_ptr->mld_answered ||
			   net->now - skb->dev->ip6_ptr->mld_answered >= 1000000) {
			skb->dev->ip6_ptr->mld_answered = net->now;
			mld_send_report(skb->dev, NULL, true);
		}
		break;
	case NDISC_ROUTER_SOLICITATION:
	case NDISC_ROUTER_ADVERTISEMENT:
	case NDISC_NEIGHBOUR_SOLICITATION:
	case NDISC_NEIGHBOUR_ADVERTISEMENT:
	case NDISC_REDIRECT:
		ndisc_rcv(skb, type);
		break;
	}
out:
	kfree_skb(skb);
}
