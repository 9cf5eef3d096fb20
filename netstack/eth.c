/* Ethernet framing: classify a received frame, build a header to send. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "netdevice.h"
#include "ipv6.h"

const uint8_t eth_broadcast_addr[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* eth_type_trans strips the Ethernet header of a frame of at least ETH_HLEN
 * bytes, notes who it was for, and returns its ethertype. */
uint16_t eth_type_trans(struct sk_buff *skb, struct net_device *dev)
{
	const struct ethhdr *eth = (const struct ethhdr *)skb->data;

	skb_reset_mac_header(skb);
	skb_pull(skb, ETH_HLEN);
	if (is_multicast_ether_addr(eth->h_dest)) {
		skb->pkt_type = memcmp(eth->h_dest, eth_broadcast_addr, ETH_ALEN)
			? PACKET_MULTICAST : PACKET_BROADCAST;
		/* An IPv6 group we are not in, as a card's multicast filter
		 * drops it (once IPv6 is on: before, all IPv6 is unknown). */
		if (skb->pkt_type == PACKET_MULTICAST && dev->ip6_ptr &&
		    !ipv6_mc_mac_wanted(dev, eth->h_dest))
			skb->pkt_type = PACKET_OTHERHOST;
	} else if (memcmp(eth->h_dest, dev->dev_addr, ETH_ALEN))
		skb->pkt_type = PACKET_OTHERHOST;
	else
		skb->pkt_type = PACKET_HOST;
	skb->protocol = ntohs(eth->h_proto);
	return skb->protocol;
}

/* eth_header pushes an Ethernet header from dev to daddr. */
int eth_header(struct sk_buff *skb, struct net_device *dev, uint16_t type,
	       const uint8_t *daddr)
{
	struct ethhdr *eth;

	if (skb_headroom(skb) < ETH_HLEN)
		return -ENOSPC;
	eth = (struct ethhdr *)skb_push(skb, ETH_HLEN);
	memcpy(eth->h_dest, daddr, ETH_ALEN);
	memcpy(eth->h_source, dev->dev_addr, ETH_ALEN);
	eth->h_proto = htons(type);
	skb_reset_mac_header(skb);
	skb->dev = dev;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* eth_parse_addr reads "aa:bb:cc:dd:ee:ff", each part one or two hex
 * digits and nothing else; 0 or -EINVAL. */
int eth_parse_addr(const char *s, uint8_t mac[ETH_ALEN])
{
	for (int i = 0; i < ETH_ALEN; i++) {
		int hi = hexval(*s), lo;
		if (hi < 0)
			return -EINVAL;
		s++;
		lo = hexval(*s);
		if (lo >= 0) {
			mac[i] = (uint8_t)(hi << 4 | lo);
			s++;
		} else {
			mac[i] = (uint8_t)hi;
		}
		if (*s != (i == ETH_ALEN - 1 ? '\0' : ':'))
			return -EINVAL;
		s++;
	}
	return 0;
}

void eth_format_addr(char *buf, const uint8_t m[ETH_ALEN])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
}
