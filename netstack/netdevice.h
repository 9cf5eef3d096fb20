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
	X(FaultDrops) X(FaultDups) X(FaultReorders) X(FaultCorrupts)
struct devstats {
#define X(n) uint64_t n;
	DEVSTATS(X)
#undef X
};

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
	const struct net_device_ops *netdev_ops;
	struct devstats stats;
	struct in_ifaddr ifa[IFA_MAX];
	int nifa;
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
