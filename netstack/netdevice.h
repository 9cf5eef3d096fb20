/* net_device and packet_type: the link layer as Linux shapes it.
 *
 * A driver fills a net_device and calls netif_receive_skb for each frame it
 * reads; netif_receive_skb hands the frame to the packet_type registered for
 * its ethertype.  dev_queue_xmit is the way down: the driver's ndo_start_xmit
 * takes the finished frame. */
#ifndef IMP_NETDEVICE_H
#define IMP_NETDEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "skbuff.h"

struct net;
struct net_device;
struct inet6_dev;

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_ZLEN 60		/* minimum frame without FCS */
#define ETH_DATA_LEN 1500
#define IMP_MIN_MTU 576		/* IPv4's minimum reassembly size (RFC 791) */
#define IMP_MAX_MTU 9000
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806

struct ethhdr {
	uint8_t h_dest[ETH_ALEN];
	uint8_t h_source[ETH_ALEN];
	uint16_t h_proto;
} __attribute__((packed));

/* Interface counters, one "Name: value" line each in ipifc/N/stats. */
#define DEVSTATS(X) X(RxFrames) X(RxBytes) X(RxRunts) X(RxUnknownType) \
	X(RxOtherHost) X(RxDropped) X(TxFrames) X(TxBytes) X(TxErrors) \
	X(FaultDrops) X(FaultDups) X(FaultReorders) X(FaultCorrupts) \
	X(RxGsoFrames) X(RxCsumOffloaded) X(RxBadVnetHdr) X(RxBadGso) \
	X(TxGsoFrames) X(TxCsumOffloaded) X(GsoSegments)
struct devstats {
#define X(n) uint64_t n;
	DEVSTATS(X)
#undef X
};

/* What a device does for the stack (Linux's netdev_features_t).  Without
 * a feature, dev_queue_xmit does the work in software first. */
#define NETIF_F_HW_CSUM 0x1u	/* fills a CHECKSUM_PARTIAL checksum */
#define NETIF_F_TSO 0x2u	/* cuts SKB_GSO_TCPV4 and SKB_GSO_TCPV6 packets */
#define NETIF_F_RXCSUM 0x4u	/* says when a received checksum is known good */
#define NETIF_F_GRO_HW 0x8u	/* hands over TCP super-frames it received */
#define NETIF_F_OFFLOADS (NETIF_F_HW_CSUM | NETIF_F_TSO | NETIF_F_RXCSUM | NETIF_F_GRO_HW)
/* The largest IPv4 packet a GSO packet may be: the IP length field's. */
#define GSO_MAX_SIZE 65535u

struct net_device_ops {
	/* Takes ownership of skb (a whole Ethernet frame) and sends it.
	 * Returns 0, or -errno when the frame was dropped. */
	int (*ndo_start_xmit)(struct sk_buff *skb, struct net_device *dev);
	void (*ndo_uninit)(struct net_device *dev);
};

/* An IPv4 address on an interface (Linux's in_ifaddr). */
struct in_ifaddr {
	uint32_t ifa_local;		/* network order */
	uint8_t ifa_prefixlen;
};
#define IFA_MAX 8

struct net_device {
	char name[16];
	int ifindex;			/* ipifc/N */
	uint8_t dev_addr[ETH_ALEN];
	unsigned int mtu;
	bool up;
	unsigned int features;		/* NETIF_F_* */
	const struct net_device_ops *netdev_ops;
	struct devstats stats;
	struct in_ifaddr ifa[IFA_MAX];
	int nifa;
	struct inet6_dev *ip6_ptr;	/* IPv6 state (ipv6.h), NULL while off */
	struct net *net;
	struct fault_state *fault;	/* impfs --fault, or NULL */
	void *priv;			/* the driver's */
};

struct packet_type {
	uint16_t type;			/* ethertype, host order */
	/* Takes ownership of skb, whose data starts at the network header. */
	void (*func)(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt);
	void *priv;
	struct packet_type *next;
};

/* A tap sees every frame received or sent on any device, as it crossed the
 * wire, without owning it (what the pcap file reads). */
enum { TAP_RX, TAP_TX };
struct packet_tap {
	void (*func)(struct net_device *dev, const struct sk_buff *skb, int dir, void *arg);
	void *arg;
	struct packet_tap *next;
};
void dev_add_tap(struct net *net, struct packet_tap *tap);
void dev_remove_tap(struct net *net, struct packet_tap *tap);

extern const uint8_t eth_broadcast_addr[ETH_ALEN];

void dev_add_pack(struct net *net, struct packet_type *pt);
void dev_remove_pack(struct net *net, struct packet_type *pt);
int register_netdev(struct net *net, struct net_device *dev);
void netif_receive_skb(struct sk_buff *skb);
int dev_queue_xmit(struct sk_buff *skb);
/* The two halves past the impairment (fault.c). */
void netif_receive_skb_core(struct sk_buff *skb);
void dev_xmit_core(struct sk_buff *skb);
void dev_set_mtu(struct net_device *dev, unsigned int mtu);

/* gso.c: software segmentation and checksums, for what a device lacks. */
int skb_checksum_help(struct sk_buff *skb);
struct sk_buff *skb_gso_segment(struct sk_buff *skb, unsigned int *nsegs);

/* virtio_net.c: the header a TAP device with IFF_VNET_HDR puts before
 * each frame (Linux's include/linux/virtio_net.h). */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;	/* little-endian */
} __attribute__((packed));
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#define VIRTIO_NET_HDR_GSO_ECN 0x80
int virtio_net_hdr_to_skb(struct sk_buff *skb, const struct virtio_net_hdr *h);
void virtio_net_hdr_from_skb(const struct sk_buff *skb, struct virtio_net_hdr *h);
/* netif_receive_vnet: a frame read with its header; checks the header
 * (hostile like any byte) and receives the frame, or drops and counts. */
void netif_receive_vnet(struct sk_buff *skb, size_t vnet_len);

/* eth.c */
uint16_t eth_type_trans(struct sk_buff *skb, struct net_device *dev);
int eth_header(struct sk_buff *skb, struct net_device *dev, uint16_t type,
	       const uint8_t *daddr);
int eth_parse_addr(const char *s, uint8_t mac[ETH_ALEN]);
void eth_format_addr(char *buf, const uint8_t mac[ETH_ALEN]);	/* 18 bytes */
static inline bool is_multicast_ether_addr(const uint8_t *a) { return a[0] & 1; }
static inline bool is_zero_ether_addr(const uint8_t *a)
{
	return !(a[0] | a[1] | a[2] | a[3] | a[4] | a[5]);
}

#endif
