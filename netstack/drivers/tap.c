/* TAP driver.  The fd is non-blocking: the event loop reads while frames
 * are there, and a write the kernel cannot take is a dropped frame, which
 * is what a wire would do.
 *
 * With offloads (the default), every frame both ways carries a vnet header
 * (IFF_VNET_HDR): the kernel hands over TCP super-frames of up to 64 KB
 * with checksums it vouches for, and takes ours the same way, cutting them
 * into segments of the MSS itself.  Frames are the unit of cost on TAP
 * (about 1.5 µs each), so this is where bandwidth comes from. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "tap.h"

/* From <linux/if_tun.h>, which would also bring <linux/if_ether.h> and its
 * struct ethhdr, which netdevice.h defines as Linux's own code does. */
#define TUNSETIFF _IOW('T', 202, int)
#define TUNSETOFFLOAD _IOW('T', 208, unsigned int)
#define TUNSETVNETHDRSZ _IOW('T', 216, int)
#define IFF_TAP 0x0002
#define IFF_NO_PI 0x1000
#define IFF_VNET_HDR 0x4000
#define TUN_F_CSUM 0x01
#define TUN_F_TSO4 0x02
#define TUN_F_TSO6 0x04
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40

/* The largest frame the kernel may hand over: a 64 KB IPv4 packet, its
 * Ethernet header, a VLAN tag should one appear. */
#define TAP_MAX_FRAME (65535 + ETH_HLEN + 4)
/* A frame this small is copied into an skb of its own size, so that an
 * ACK held in a queue does not hold a 64 KB buffer. */
#define TAP_COPYBREAK 2048

struct tapdev {
	struct net_device dev;
	int fd;
	bool vnet;			/* a virtio_net_hdr before every frame */
	struct sk_buff *spare;		/* the big receive buffer, reused */
};

static int tap_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct tapdev *td = (struct tapdev *)dev;
	struct virtio_net_hdr h;
	struct iovec iov[2] = { { &h, sizeof(h) }, { skb->data, skb->len } };
	ssize_t n;

	if (td->vnet) {
		virtio_net_hdr_from_skb(skb, &h);
		n = writev(td->fd, iov, 2);
	} else {
		n = write(td->fd, skb->data, skb->len);
	}
	int err = n < 0 ? -errno : 0;

	kfree_skb(skb);
	return err;
}

static void tap_uninit(struct net_device *dev)
{
	struct tapdev *td = (struct tapdev *)dev;

	close(td->fd);
	kfree_skb(td->spare);
	free(td);
}

/* tap_offload turns the vnet header on and asks for the offloads; the
 * kernel may lack USO (before 6.2), and then it does without. */
static int tap_offload(int fd)
{
	int hdrlen = (int)sizeof(struct virtio_net_hdr);
	unsigned int base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrlen) < 0)
		return -errno;
	if (ioctl(fd, TUNSETOFFLOAD, base | TUN_F_USO4 | TUN_F_USO6) < 0 &&
	    ioctl(fd, TUNSETOFFLOAD, base) < 0)
		return -errno;
	return 0;
}

static const struct net_device_ops tap_ops = {
	.ndo_start_xmit = tap_xmit,
	.ndo_uninit = tap_uninit,
};

/* tap_link_up sets the kernel side of the device up, with our MTU so the
 * kernel never sends a frame we would not take. */
static int tap_link_up(const char *name, unsigned int mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		err = -errno;
	if (!err && ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(s);
	return err;
}

/* tap_open_in_ns does the TUNSETIFF inside the wanted namespace: a TAP
 * device belongs to the namespace of whoever creates it. */
static int tap_open_in_ns(const char *name, const char *netns, unsigned int mtu,
			  bool offload, char *err, size_t errlen)
{
	int orig = -1, ns = -1, fd = -1, e;
	struct ifreq ifr;

	if (netns) {
		char path[256];
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (orig < 0 || ns < 0) {
			snprintf(err, errlen, "network namespace %s: %s (make it with ip netns add %s)",
				 netns, strerror(errno), netns);
			goto fail;
		}
		if (setns(ns, CLONE_NEWNET) < 0) {
			snprintf(err, errlen, "cannot enter network namespace %s: %s",
				 netns, strerror(errno));
			goto fail;
		}
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open /dev/net/tun: %s%s", strerror(errno),
			 errno == EACCES || errno == EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "cannot attach TAP device %s: %s%s", name, strerror(errno),
			 errno == EBUSY ? " (in use by another program)" :
			 errno == EPERM ? " (needs root or CAP_NET_ADMIN)" :
			 errno == EINVAL ? " (exists, but is not a TAP device)" : "");
		goto fail;
	}
	if (offload && (e = tap_offload(fd)) != 0) {
		snprintf(err, errlen, "cannot turn on offloads of TAP device %s: %s "
			 "(impfs --no-offload does without)", name, strerror(-e));
		goto fail;
	}
	e = tap_link_up(name, mtu);
	if (e) {
		snprintf(err, errlen, "cannot bring up TAP device %s with mtu %u: %s",
			 name, mtu, strerror(-e));
		goto fail;
	}
	if (orig >= 0 && setns(orig, CLONE_NEWNET) < 0) {
		snprintf(err, errlen, "cannot return from network namespace %s: %s",
			 netns, strerror(errno));
		goto fail;
	}
	if (orig >= 0)
		close(orig);
	if (ns >= 0)
		close(ns);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	if (orig >= 0) {
		if (setns(orig, CLONE_NEWNET) < 0)
			abort();	/* cannot leave a namespace we entered: nothing sane remains */
		close(orig);
	}
	if (ns >= 0)
		close(ns);
	return -1;
}

struct net_device *tap_create(struct net *net, const char *name, const char *netns,
			      const uint8_t mac[ETH_ALEN], unsigned int mtu, bool offload,
			      char *err, size_t errlen)
{
	struct tapdev *td;
	int fd;

	if (strlen(name) >= IFNAMSIZ || !*name) {
		snprintf(err, errlen, "TAP device name \"%s\" must be 1 to %d characters",
			 name, IFNAMSIZ - 1);
		return NULL;
	}
	fd = tap_open_in_ns(name, netns, mtu, offload, err, errlen);
	if (fd < 0)
		return NULL;
	td = calloc(1, sizeof(*td));
	if (!td) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	td->fd = fd;
	snprintf(td->dev.name, sizeof(td->dev.name), "%s", name);
	memcpy(td->dev.dev_addr, mac, ETH_ALEN);
	td->dev.mtu = mtu;
	td->dev.up = true;
	td->dev.netdev_ops = &tap_ops;
	td->vnet = offload;
	if (offload)
		td->dev.features = NETIF_F_OFFLOADS;
	if (register_netdev(net, &td->dev)) {
		tap_uninit(&td->dev);
		snprintf(err, errlen, "too many devices");
		return NULL;
	}
	return &td->dev;
}

int tap_fd(struct net_device *dev)
{
	return ((struct tapdev *)dev)->fd;
}

/* tap_read_one reads one frame into an skb (data at its Ethernet header,
 * or at its vnet header); NULL with errno when there is none. */
static struct sk_buff *tap_read_one(struct tapdev *td, unsigned int size)
{
	struct sk_buff *skb = td->spare, *small;
	unsigned int l2len = td->vnet ? (unsigned int)sizeof(struct virtio_net_hdr) + ETH_HLEN : ETH_HLEN;
	ssize_t r;

	td->spare = NULL;
	if (!skb) {
		if (!(skb = alloc_skb(size + SKB_ALIGN_SLACK))) {
			errno = ENOMEM;
			return NULL;
		}
		skb_align_net(skb, l2len);
	}
	r = read(td->fd, skb->data, size);
	if (r <= 0) {
		int e = r < 0 ? errno : EIO;
		td->spare = skb;
		errno = e;
		return NULL;
	}
	if (r > TAP_COPYBREAK || !(small = alloc_skb((unsigned int)r + SKB_ALIGN_SLACK))) {
		skb_put(skb, (unsigned int)r);
		return skb;
	}
	skb_align_net(small, l2len);
	memcpy(skb_put(small, (unsigned int)r), skb->data, (size_t)r);
	td->spare = skb;
	return small;
}

/* tap_clock: the time a frame arrived, to the µs.  The loop sets the
 * clock once per batch; a batch of 64 frames, each maybe answered with
 * data, takes longer than a round trip on a LAN, and RACK and the RTT
 * samples time sends and ACKs against it. */
static uint64_t tap_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int tap_rx(struct net_device *dev, int budget)
{
	struct tapdev *td = (struct tapdev *)dev;
	/* Without offloads the kernel sends no frame beyond our MTU. */
	unsigned int size = td->vnet ? (unsigned int)sizeof(struct virtio_net_hdr) + TAP_MAX_FRAME :
		dev->mtu + ETH_HLEN + 4;
	int n = 0;

	while (n < budget) {
		struct sk_buff *skb = tap_read_one(td, size);

		if (!skb) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOMEM)
				break;
			return -1;
		}
		skb->dev = dev;
		dev->net->now = tap_clock();
		if (td->vnet)
			netif_receive_vnet(skb, sizeof(struct virtio_net_hdr));
		else
			netif_receive_skb(skb);
		n++;
	}
	net_rx_complete(dev->net);
	return n;
}
