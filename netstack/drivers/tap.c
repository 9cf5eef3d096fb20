/* TAP driver.  The fd is non-blocking: the event loop reads while frames
 * are there, and a write the kernel cannot take is a dropped frame, which
 * is what a wire would do. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "tap.h"

/* From <linux/if_tun.h>, which would also bring <linux/if_ether.h> and its
 * struct ethhdr, which netdevice.h defines as Linux's own code does. */
#define TUNSETIFF _IOW('T', 202, int)
#define IFF_TAP 0x0002
#define IFF_NO_PI 0x1000

struct tapdev {
	struct net_device dev;
	int fd;
};

static int tap_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct tapdev *td = (struct tapdev *)dev;
	ssize_t n = write(td->fd, skb->data, skb->len);
	int err = n < 0 ? -errno : 0;

	kfree_skb(skb);
	return err;
}

static void tap_uninit(struct net_device *dev)
{
	struct tapdev *td = (struct tapdev *)dev;

	close(td->fd);
	free(td);
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
			  char *err, size_t errlen)
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
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "cannot attach TAP device %s: %s%s", name, strerror(errno),
			 errno == EBUSY ? " (in use by another program)" :
			 errno == EPERM ? " (needs root or CAP_NET_ADMIN)" :
			 errno == EINVAL ? " (exists, but is not a TAP device)" : "");
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
			      const uint8_t mac[ETH_ALEN], unsigned int mtu,
			      char *err, size_t errlen)
{
	struct tapdev *td;
	int fd;

	if (strlen(name) >= IFNAMSIZ || !*name) {
		snprintf(err, errlen, "TAP device name \"%s\" must be 1 to %d characters",
			 name, IFNAMSIZ - 1);
		return NULL;
	}
	fd = tap_open_in_ns(name, netns, mtu, err, errlen);
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

int tap_rx(struct net_device *dev, int budget)
{
	struct tapdev *td = (struct tapdev *)dev;
	/* Room for the largest frame the kernel may send us: our MTU, the
	 * Ethernet header, and a VLAN tag should one appear. */
	unsigned int size = dev->mtu + ETH_HLEN + 4;
	int n = 0;

	while (n < budget) {
		struct sk_buff *skb = alloc_skb(size);
		ssize_t r;

		if (!skb)
			break;
		r = read(td->fd, skb->data, size);
		if (r <= 0) {
			int e = errno;
			kfree_skb(skb);
			if (r < 0 && (e == EAGAIN || e == EINTR))
				break;
			return -1;
		}
		skb_put(skb, (unsigned int)r);
		skb->dev = dev;
		netif_receive_skb(skb);
		n++;
	}
	return n;
}
