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
	err = dev->netdev_ops->ndo_start_xmit(skb, dev);
	if (err) {
		dev->stats.TxErrors++;
		return err;
	}
	dev->stats.TxFrames++;
	dev->stats.TxBytes += len;
	return 0;
}

/* netif_receive_skb takes a received frame (data at the Ethernet header,
 * skb->dev set) and hands it to the protocol that registered its type,
 * through the link impairment when there is one. */
void netif_receive_skb(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;

	dev->stats.RxFrames++;
	dev->stats.RxBytes += skb->len;
	skb->tstamp = dev->net->now;
	if (dev->fault)
		fault_apply(dev, skb, TAP_RX, netif_receive_skb_core);
	else
		netif_receive_skb_core(skb);
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

/* dev_queue_xmit sends a finished frame (data at the Ethernet header). */
int dev_queue_xmit(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;

	if (dev->fault) {
		fault_apply(dev, skb, TAP_TX, dev_xmit_core);
		return 0;	/* what the wire does to it is not the sender's error */
	}
	return dev_xmit_one(skb);
}

void dev_xmit_core(struct sk_buff *skb)
{
	dev_xmit_one(skb);
}

void dev_set_mtu(struct net_device *dev, unsigned int mtu)
{
	dev->mtu = mtu;
}
