/* The vnet header of a TAP device opened with IFF_VNET_HDR (struct
 * virtio_net_hdr, as QEMU's virtio-net guests see it): before each frame,
 * what is known of its checksum and whether it is a super-frame.
 *
 * Receiving, the header comes from the kernel, but is checked like any
 * other byte: a header that points outside its frame, a GSO kind we do not
 * take, or a segment size no link could carry is dropped and counted. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "net.h"

/* virtio_net_hdr_to_skb applies a received header to skb (data at the
 * Ethernet header); 0, or -EINVAL (checksum fields outside the frame),
 * -EPROTONOSUPPORT (a GSO kind the stack does not take) or -ERANGE (a
 * segment size no link carries, or no checksum the kernel vouches for). */
int virtio_net_hdr_to_skb(struct sk_buff *skb, const struct virtio_net_hdr *h)
{
	unsigned int gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	unsigned int mss = le16toh(h->gso_size);

	skb->ip_summed = CHECKSUM_NONE;
	skb->gso_size = 0;
	skb->gso_type = SKB_GSO_NONE;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		unsigned int start = le16toh(h->csum_start), off = le16toh(h->csum_offset);
		/* The field must lie inside the frame, past an IPv4 header. */
		if (start < ETH_HLEN + 20 || start > skb->len || off > skb->len - start ||
		    skb->len - start - off < 2)
			return -EINVAL;
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = (uint16_t)(skb->data - skb->head + start);
		skb->csum_offset = (uint16_t)off;
	} else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	}
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	if (gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6 &&
	    gso != VIRTIO_NET_HDR_GSO_UDP_L4)
		return -EPROTONOSUPPORT;
	/* A segment must fit the link, and a super-frame's checksum can only
	 * be one the kernel vouches for: no sum over 64 KB covers a segment. */
	if (!mss || mss > skb->dev->mtu - 28 || skb->ip_summed == CHECKSUM_NONE)
		return -ERANGE;
	/* A TCP kind must be the frame's own family: IPv4's on an IPv4
	 * frame, IPv6's on an IPv6 one (the stack reads the header the
	 * kind names). */
	if (gso != VIRTIO_NET_HDR_GSO_UDP_L4) {
		uint16_t type = skb->len >= ETH_HLEN ? (uint16_t)(skb->data[12] << 8 | skb->data[13]) : 0;
		if (type != (gso == VIRTIO_NET_HDR_GSO_TCPV4 ? ETH_P_IP : ETH_P_IPV6))
			return -EPROTONOSUPPORT;
	}
	skb->gso_type = gso == VIRTIO_NET_HDR_GSO_TCPV4 ? SKB_GSO_TCPV4 :
		gso == VIRTIO_NET_HDR_GSO_TCPV6 ? SKB_GSO_TCPV6 : SKB_GSO_UDP_L4;
	skb->gso_size = (uint16_t)mss;
	return 0;
}

/* virtio_net_hdr_from_skb says what the kernel must do with a frame we
 * send: fill its checksum, cut it into segments. */
void virtio_net_hdr_from_skb(const struct sk_buff *skb, struct virtio_net_hdr *h)
{
	unsigned int base = (unsigned int)(skb->data - skb->head);

	memset(h, 0, sizeof(*h));
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = htole16((uint16_t)(skb->csum_start - base));
		h->csum_offset = htole16(skb->csum_offset);
	}
	if (skb_is_gso(skb)) {
		unsigned int l4 = skb->transport_header - base, l4len = 8;
		if (skb_gso_tcp(skb))
			l4len = (skb->head[skb->transport_header + 12] >> 4) * 4u;
		h->gso_type = skb->gso_type == SKB_GSO_TCPV4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
			skb->gso_type == SKB_GSO_TCPV6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
			VIRTIO_NET_HDR_GSO_UDP_L4;
		h->gso_size = htole16(skb->gso_size);
		h->hdr_len = htole16((uint16_t)(l4 + l4len));
	}
}

/* netif_receive_vnet: skb holds vnet_len header bytes, then the frame. */
void netif_receive_vnet(struct sk_buff *skb, size_t vnet_len)
{
	struct net_device *dev = skb->dev;
	struct virtio_net_hdr h;
	int err;

	if (skb->len < vnet_len || vnet_len < sizeof(h)) {
		dev->stats.RxBadVnetHdr++;
		kfree_skb(skb);
		return;
	}
	memcpy(&h, skb->data, sizeof(h));
	skb_pull(skb, (unsigned int)vnet_len);
	err = virtio_net_hdr_to_skb(skb, &h);
	if (err) {
		if (err == -EINVAL)
			dev->stats.RxBadVnetHdr++;
		else
			dev->stats.RxBadGso++;
		kfree_skb(skb);
		return;
	}
	if (skb_is_gso(skb))
		dev->stats.RxGsoFrames++;
	if (skb->ip_summed != CHECKSUM_NONE)
		dev->stats.RxCsumOffloaded++;
	netif_receive_skb(skb);
}
