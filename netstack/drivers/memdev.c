/* The in-memory device (see memdev.h). */
#include <stdlib.h>
#include <string.h>

#include "memdev.h"

struct memdev {
	struct net_device dev;
	struct sk_buff_head tx;
	bool in_batch;
};

static int memdev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct memdev *md = (struct memdev *)dev;

	skb_queue_tail(&md->tx, skb);
	return 0;
}

static void memdev_uninit(struct net_device *dev)
{
	struct memdev *md = (struct memdev *)dev;

	skb_queue_purge(&md->tx);
	free(md);
}

static const struct net_device_ops memdev_ops = {
	.ndo_start_xmit = memdev_xmit,
	.ndo_uninit = memdev_uninit,
};

struct net_device *memdev_create(struct net *net, const uint8_t mac[ETH_ALEN], unsigned int mtu)
{
	struct memdev *md = calloc(1, sizeof(*md));

	if (!md)
		return NULL;
	strcpy(md->dev.name, "mem0");
	memcpy(md->dev.dev_addr, mac, ETH_ALEN);
	md->dev.mtu = mtu;
	md->dev.up = true;
	md->dev.netdev_ops = &memdev_ops;
	skb_queue_head_init(&md->tx);
	if (register_netdev(net, &md->dev)) {
		free(md);
		return NULL;
	}
	return &md->dev;
}

void memdev_inject(struct net_device *dev, const void *frame, size_t len)
{
	memdev_inject_vnet(dev, NULL, 0, frame, len);
}

void memdev_inject_vnet(struct net_device *dev, const void *hdr, size_t hdrlen,
			const void *frame, size_t len)
{
	struct sk_buff *skb = alloc_skb((unsigned int)(hdrlen + len) + SKB_ALIGN_SLACK);

	if (!skb)
		return;
	skb_align_net(skb, (unsigned int)hdrlen + ETH_HLEN);
	if (hdrlen)
		memcpy(skb_put(skb, (unsigned int)hdrlen), hdr, hdrlen);
	memcpy(skb_put(skb, (unsigned int)len), frame, len);
	skb->dev = dev;
	if (hdr)
		netif_receive_vnet(skb, sizeof(struct virtio_net_hdr));
	else
		netif_receive_skb(skb);
	if (!((struct memdev *)dev)->in_batch)
		net_rx_complete(dev->net);
}

void memdev_batch_begin(struct net_device *dev)
{
	((struct memdev *)dev)->in_batch = true;
}

void memdev_batch_end(struct net_device *dev)
{
	((struct memdev *)dev)->in_batch = false;
	net_rx_complete(dev->net);
}

void memdev_set_features(struct net_device *dev, unsigned int features)
{
	dev->features = features;
}

struct sk_buff *memdev_pop(struct net_device *dev)
{
	return skb_dequeue(&((struct memdev *)dev)->tx);
}

unsigned int memdev_pending(struct net_device *dev)
{
	return ((struct memdev *)dev)->tx.qlen;
}
