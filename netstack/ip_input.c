/* IPv4 input (RFC 791, RFC 1122 §3.2.1): check every field a host must
 * check, count each reason for a drop, reassemble, and hand the payload to
 * the transport protocol.  imp is a host: it never forwards. */
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"

void ip_init(struct net *net)
{
	net->ip_pt.type = ETH_P_IP;
	net->ip_pt.func = ip_rcv;
	dev_add_pack(net, &net->ip_pt);
}

void inet_add_protocol(struct net *net, const struct net_protocol *prot, uint8_t num)
{
	net->inet_protos[num] = prot;
}

/* A source no host may use: multicast, class E, limited broadcast,
 * loopback, or "this host" (0.0.0.0, only legal before a host has an
 * address, which is not our case as a receiver). */
static bool ip_martian_source(uint32_t saddr)
{
	uint32_t a = ntohl(saddr);

	return a == 0 || (a >> 28) >= 14 || (a >> 24) == 127;
}

/* ip_drop counts one reason and the RFC 4293 counter it falls under, and
 * tells the log (formatted only when someone reads it). */
static void ip_drop_why(struct sk_buff *skb, uint64_t *reason, uint64_t *mib, const char *name)
{
	struct net *net = skb->dev->net;

	(*reason)++;
	if (mib)
		(*mib)++;
	if (net->log_mask & NETLOG_IP) {
		char src[16] = "?";
		if (skb->len >= sizeof(struct iphdr))
			inet_ntoa_r(((const struct iphdr *)skb->data)->saddr, src);
		net_log(net, NETLOG_IP, "ip drop %s: %u bytes from %s", name, skb->len, src);
	}
	kfree_skb(skb);
}
#define ip_drop(skb, reason, mib) ip_drop_why(skb, &st->reason, &st->mib, #reason)

/* ip_rcv is the ETH_P_IP handler; pt is NULL for packets from our own
 * backlog (sent by us to one of our addresses). */
void ip_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt)
{
	struct net *net = dev->net;
	struct ipstats *st = &net->ipstats;
	const struct iphdr *iph;
	unsigned int ihl, tot;
	int dtype;

	st->InReceives++;
	if (skb->len < sizeof(struct iphdr))
		return ip_drop(skb, InTruncated, InHdrErrors);
	iph = (const struct iphdr *)skb->data;
	if ((iph->ver_ihl >> 4) != 4)
		return ip_drop(skb, InBadVersion, InHdrErrors);
	ihl = ip_hdrlen(iph);
	if (ihl < sizeof(struct iphdr))
		return ip_drop(skb, InBadIHL, InHdrErrors);
	if (ihl > skb->len)
		return ip_drop(skb, InTruncated, InHdrErrors);
	if (ip_compute_csum(iph, ihl) != 0)
		return ip_drop(skb, InCsumErrors, InHdrErrors);
	tot = ntohs(iph->tot_len);
	if (tot < ihl)
		return ip_drop(skb, InBadLength, InHdrErrors);
	if (tot > skb->len)
		return ip_drop(skb, InTruncated, InHdrErrors);
	skb_trim(skb, tot);	/* Ethernet pads short frames */
	if (iph->ttl == 0)
		return ip_drop(skb, InTTLZero, InHdrErrors);
	if (ip_martian_source(iph->saddr) ||
	    inet_addr_type(net, iph->saddr) == RTN_BROADCAST ||
	    (pt && inet_addr_is_local(net, iph->saddr)))
		return ip_drop(skb, InMartians, InAddrErrors);
	dtype = inet_addr_type(net, iph->daddr);
	if (dtype == RTN_UNICAST)
		return ip_drop(skb, InNotForUs, InAddrErrors);
	if (dtype == RTN_BROADCAST)
		skb->pkt_type = PACKET_BROADCAST;
	skb_reset_network_header(skb);
	if (ntohs(iph->frag_off) & (IP_MF | IP_OFFSET)) {
		skb = ip_defrag(net, skb);
		if (!skb)
			return;
	}
	ip_local_deliver(skb);
}

/* ip_local_deliver gives a whole datagram (data at its IP header) to the
 * transport protocol, or answers protocol unreachable. */
void ip_local_deliver(struct sk_buff *skb)
{
	struct net *net = skb->dev->net;
	const struct iphdr *iph = ip_hdr(skb);
	const struct net_protocol *prot = net->inet_protos[iph->protocol];

	skb_pull(skb, ip_hdrlen(iph));
	skb_reset_transport_header(skb);
	if (!prot) {
		net->ipstats.InUnknownProtos++;
		icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
		kfree_skb(skb);
		return;
	}
	net->ipstats.InDelivers++;
	prot->handler(skb);
}
