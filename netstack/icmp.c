/* ICMP (RFC 792, RFC 1122 §3.2.2): echo, and the errors a host sends and
 * receives.  Errors received about our own datagrams go to the transport
 * protocol's err_handler, which is how a socket learns of them. */
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"

static void icmp_rcv(struct sk_buff *skb);

static void icmp_err(struct sk_buff *skb, int type, int code, uint32_t info);

/* Errors quoting an ICMP message go to the ping sockets. */
static const struct net_protocol icmp_protocol = { .handler = icmp_rcv, .err_handler = icmp_err };

static void icmp_err(struct sk_buff *skb, int type, int code, uint32_t info)
{
	ping_err(skb, type, code, info);
}

void icmp_init(struct net *net)
{
	inet_add_protocol(net, &icmp_protocol, IPPROTO_ICMP);
}

static bool icmp_is_error(int type)
{
	return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAMETERPROB || type == ICMP_REDIRECT || type == 4;
}

/* icmp_ratelimit: a token bucket refilled at ICMP_RATE_PER_SEC. */
static bool icmp_ratelimit(struct net *net)
{
	const uint64_t cost = 1000000, cap = ICMP_RATE_BURST * cost;

	net->icmp_tokens += (net->now - net->icmp_last) * ICMP_RATE_PER_SEC;
	net->icmp_last = net->now;
	if (net->icmp_tokens > cap)
		net->icmp_tokens = cap;
	if (net->icmp_tokens < cost)
		return true;
	net->icmp_tokens -= cost;
	return false;
}

/* icmp_xmit sends an ICMP message: hdr then body, checksummed here. */
static int icmp_xmit(struct net *net, const struct icmphdr *hdr, const void *body,
		     unsigned int len, uint32_t saddr, uint32_t daddr, uint8_t tos)
{
	struct sk_buff *skb = ip_alloc_skb(sizeof(*hdr) + len);
	struct icmphdr *ic;

	if (!skb) {
		net->icmpstats.OutErrors++;
		return -1;
	}
	ic = (struct icmphdr *)skb_put(skb, sizeof(*ic));
	*ic = *hdr;
	memcpy(skb_put(skb, len), body, len);
	ic->checksum = 0;
	ic->checksum = ip_compute_csum(skb->data, skb->len);
	net->icmpstats.OutMsgs++;
	if (ip_build_xmit(net, skb, saddr, daddr, IPPROTO_ICMP, IP_DEFAULT_TTL, tos, false)) {
		net->icmpstats.OutErrors++;
		return -1;
	}
	return 0;
}

void icmp_send(struct net *net, const struct sk_buff *skb_in, int type, int code, uint32_t info)
{
	const unsigned char *nh = skb_network_header(skb_in);
	const struct iphdr *iph = (const struct iphdr *)nh;
	unsigned int avail = (unsigned int)(skb_in->tail - nh), ihl, quote;
	struct icmphdr hdr = { .type = (uint8_t)type, .code = (uint8_t)code };
	uint32_t saddr = 0;

	if (avail < sizeof(*iph) || skb_in->pkt_type != PACKET_HOST)
		return;
	ihl = ip_hdrlen(iph);
	if (ihl < sizeof(*iph) || ihl > avail)
		return;
	/* RFC 1122 §3.2.2: never about a fragment past the first, a broadcast,
	 * a bad source, or another ICMP error. */
	if (ntohs(iph->frag_off) & IP_OFFSET)
		return;
	if (iph->saddr == 0 || inet_addr_type(net, iph->saddr) == RTN_BROADCAST ||
	    inet_addr_type(net, iph->daddr) == RTN_BROADCAST ||
	    (ntohl(iph->saddr) >> 28) >= 14 || (ntohl(iph->daddr) >> 28) == 14)
		return;
	if (iph->protocol == IPPROTO_ICMP) {
		if (avail < ihl + 1 || icmp_is_error(nh[ihl]))
			return;
	}
	if (icmp_ratelimit(net)) {
		net->icmpstats.OutRateLimited++;
		return;
	}
	hdr.un.gateway = htonl(info);
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		hdr.un.frag.mtu = htons((uint16_t)info), hdr.un.frag.unused = 0;
	/* Quote as much as fits in 576 bytes (RFC 1812 §4.3.2.3). */
	quote = avail < 576 - sizeof(*iph) - sizeof(hdr) ? avail : 576 - sizeof(*iph) - sizeof(hdr);
	if (inet_addr_is_local(net, iph->daddr))
		saddr = iph->daddr;
	if (type == ICMP_DEST_UNREACH)
		net->icmpstats.OutDestUnreachs++;
	else if (type == ICMP_TIME_EXCEEDED)
		net->icmpstats.OutTimeExcds++;
	icmp_xmit(net, &hdr, nh, quote, saddr, iph->saddr, (iph->tos & 0x1c) | 0xc0);
}

/* icmp_echo answers an echo request with the same id, sequence and data. */
static void icmp_echo(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct icmphdr hdr = *(const struct icmphdr *)skb->data;

	/* Linux's icmp_echo_ignore_broadcasts, on by default: a broadcast
	 * ping would make every host answer at once (smurf). */
	if (skb->pkt_type != PACKET_HOST)
		return;
	hdr.type = ICMP_ECHOREPLY;
	net->icmpstats.OutEchoReps++;
	icmp_xmit(net, &hdr, skb->data + sizeof(hdr), skb->len - (unsigned int)sizeof(hdr),
		  iph->daddr, iph->saddr, iph->tos);
}

/* icmp_unreach passes an error about one of our datagrams to its protocol,
 * once the quoted header has been checked. */
static void icmp_unreach(struct net *net, struct sk_buff *skb)
{
	const struct icmphdr *ic = (const struct icmphdr *)skb->data;
	const struct iphdr *inner;
	const struct net_protocol *prot;
	int type = ic->type, code = ic->code;
	uint32_t info = ntohl(ic->un.gateway);

	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		info = ntohs(ic->un.frag.mtu);
	skb_pull(skb, sizeof(*ic));
	inner = (const struct iphdr *)skb->data;
	if (skb->len < sizeof(*inner) || (inner->ver_ihl >> 4) != 4 ||
	    ip_hdrlen(inner) < sizeof(*inner) || skb->len < ip_hdrlen(inner) + 8 ||
	    !inet_addr_is_local(net, inner->saddr)) {
		net->icmpstats.InErrors++;
		return;
	}
	prot = net->inet_protos[inner->protocol];
	if (prot && prot->err_handler)
		prot->err_handler(skb, type, code, info);
}

static void icmp_rcv(struct sk_buff *skb)
{
	struct net *net = skb->dev->net;
	struct icmpstats *st = &net->icmpstats;

	st->InMsgs++;
	if (skb->len < sizeof(struct icmphdr)) {
		st->InErrors++;
		goto out;
	}
	if (ip_compute_csum(skb->data, skb->len) != 0) {
		st->InCsumErrors++;
		st->InErrors++;
		goto out;
	}
	switch (((const struct icmphdr *)skb->data)->type) {
	case ICMP_ECHO:
		st->InEchos++;
		icmp_echo(net, skb);
		break;
	case ICMP_ECHOREPLY:
		st->InEchoReps++;
		if (ping_rcv(skb))
			return;
		break;
	case ICMP_DEST_UNREACH:
		st->InDestUnreachs++;
		icmp_unreach(net, skb);
		break;
	case ICMP_TIME_EXCEEDED:
		st->InTimeExcds++;
		icmp_unreach(net, skb);
		break;
	case ICMP_PARAMETERPROB:
		st->InParmProbs++;
		icmp_unreach(net, skb);
		break;
	}
out:
	kfree_skb(skb);
}
