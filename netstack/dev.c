/* Devices and the dispatch of frames to protocols by ethertype. */
#include <errno.h>
#include <string.h>

#include "fault.h"
#include "net.h"

void dev_add_pack(struct net *net, struct packet_type *pt)
{
	pt->next = net->ptype_base;
	net->ptype_base = pt;
}

void dev_remove_pack(struct net *net, struct packet_type *pt)
{
	for (struct packet_type **pp = &net->ptype_base; *pp; pp = &(*pp)->next)
		if (*pp == pt) {
			*pp = pt->next;
			return;
		}
}

void dev_add_tap(struct net *net, struct packet_tap *tap)
{
	tap->next = net->taps;
	net->taps = tap;
}

void dev_remove_tap(struct net *net, struct packet_tap *tap)
{
	for (struct packet_tap **pp = &net->taps; *pp; pp = &(*pp)->next)
		if (*pp == tap) {
			*pp = tap->next;
			return;
		}
}

/* register_netdev gives dev its ifindex (its number under /imp/ipifc). */
int register_netdev(struct net *net, struct net_device *dev)
{
	if (net->ndevs == NET_MAX_DEVS)
		return -ENFILE;
	dev->net = net;
	dev->ifindex = net->ndevs;
	if (!dev->mtu)
		dev->mtu = ETH_DATA_LEN;
	net->devs[net->ndevs++] = dev;
	return 0;
}

static void dev_run_taps(struct net_device *dev, const struct sk_buff *skb, int dir)
{
	for (struct packet_tap *t = dev->net->taps; t; t = t->next)
		t->func(dev, skb, dir, t->arg);
}

static int dev_xmit_one(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	unsigned int len = skb->len;
	int err;

	dev_run_taps(dev, skb, TAP_TX);
	bool gso = skb_is_gso(skb), partial = skb->ip_summed == CHECKSUM_PARTIAL;
	err = dev->netdev_ops->ndo_start_xmit(skb, dev);
	if (err) {
		dev->stats.TxErrors++;
		return err;
	}
	dev->stats.TxGsoFrames += gso;
	dev->stats.TxCsumOffloaded += partial;
	dev->stats.TxFrames++;
	dev->stats.TxBytes += len;
	return 0;
}

/* netif_receive_one: one frame on to the protocols, through the link
 * impairment when there is one.  The impairment acts on frames as a wire
 * carries them, so what it may corrupt is first given a real checksum,
 * which the stack then checks. */
static void netif_receive_one(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;

	if (dev->fault) {
		if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)) {
			dev->stats.RxBadVnetHdr++;
			kfree_skb(skb);
			return;
		}
		skb->ip_summed = CHECKSUM_NONE;
		fault_apply(dev, skb, TAP_RX, netif_receive_skb_core);
	} else {
		netif_receive_skb_core(skb);
	}
}

/* netif_receive_skb takes a received frame (data at the Ethernet header,
 * skb->dev set) and hands it to the protocol that registered its type.
 * A TCP super-frame goes up whole (the stack takes any segment size); a
 * UDP one is cut into its datagrams, and any is cut into wire frames for
 * the link impairment. */
void netif_receive_skb(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;

	dev->stats.RxFrames++;
	dev->stats.RxBytes += skb->len;
	skb->tstamp = dev->net->now;
	if (skb_is_gso(skb) && (!skb_gso_tcp(skb) || dev->fault)) {
		unsigned int n;
		struct sk_buff *seg = skb_gso_segment(skb, &n);
		if (!seg)
			dev->stats.RxBadGso++;
		kfree_skb(skb);
		while (seg) {
			struct sk_buff *next = seg->next;
			seg->next = NULL;
			netif_receive_one(seg);
			seg = next;
		}
		return;
	}
	netif_receive_one(skb);
}

void netif_receive_skb_core(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	uint16_t type;

	dev_run_taps(dev, skb, TAP_RX);
	if (skb->len < ETH_HLEN) {
		dev->stats.RxRunts++;
		kfree_skb(skb);
		return;
	}
	type = eth_type_trans(skb, dev);
	if (skb->pkt_type == PACKET_OTHERHOST) {
		dev->stats.RxOtherHost++;
		kfree_skb(skb);
		return;
	}
	for (struct packet_type *pt = dev->net->ptype_base; pt; pt = pt->next)
		if (pt->type == type) {
			pt->func(skb, dev, pt);
			return;
		}
	dev->stats.RxUnknownType++;
	kfree_skb(skb);
}

/* dev_xmit_prepared: a frame the device can take as it is, but for a
 * checksum it cannot fill, through the impairment if there is one. */
static int dev_xmit_prepared(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;

	if (skb->ip_summed == CHECKSUM_PARTIAL &&
	    (!(dev->features & NETIF_F_HW_CSUM) || dev->fault) && skb_checksum_help(skb)) {
		dev->stats.TxErrors++;
		kfree_skb(skb);
		return -EINVAL;
	}
	if (dev->fault) {
		fault_apply(dev, skb, TAP_TX, dev_xmit_core);
		return 0;	/* what the wire does to it is not the sender's error */
	}
	return dev_xmit_one(skb);
}

/* dev_queue_xmit sends a finished frame (data at the Ethernet header),
 * cutting a GSO frame into segments first when the device cannot, or
 * when the impairment must see the frames a wire would carry. */
int dev_queue_xmit(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct sk_buff *seg;
	unsigned int n;
	int err = 0;

	if (!skb_is_gso(skb) || ((dev->features & NETIF_F_TSO) && !dev->fault))
		return dev_xmit_prepared(skb);
	seg = skb_gso_segment(skb, &n);
	kfree_skb(skb);
	if (!seg) {
		dev->stats.TxErrors++;
		return -ENOBUFS;
	}
	while (seg) {
		struct sk_buff *next = seg->next;
		int e;
		seg->next = NULL;
		e = dev_xmit_prepared(seg);
		if (e && !err)
			err = e;
		seg = next;
	}
	return err;
}

void dev_xmit_core(struct sk_buff *skb)
{
	dev_xmit_one(skb);
}

void dev_set_mtu(struct net_device *dev, unsigned int mtu)
{
	dev->mtu = mtu;
}
