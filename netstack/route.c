/* Addresses on interfaces and the route table: longest prefix wins.
 *
 * The table is small (a host, not a router), so a linear scan is both the
 * simplest and the fastest structure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"

/* inet_parse_addr reads a dotted quad strictly: four decimal numbers 0-255,
 * no leading junk, nothing after.  0 or -EINVAL. */
int inet_parse_addr(const char *s, uint32_t *addr)
{
	uint32_t a = 0;

	for (int part = 0; part < 4; part++) {
		unsigned int v = 0, digits = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned int)(*s++ - '0');
			if (++digits > 3 || v > 255)
				return -EINVAL;
		}
		if (!digits)
			return -EINVAL;
		a = a << 8 | v;
		if (part < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	*addr = htonl(a);
	return 0;
}

/* prefix_split copies the ADDR of "ADDR/PLEN" into buf (len bytes) and
 * reads PLEN, 0 to max (max when absent): the shape both families' prefixes
 * share.  0, or -EINVAL for an overlong ADDR or a bad PLEN. */
int prefix_split(const char *s, char *buf, size_t len, int max, int *plen)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= len)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	*plen = max;
	if (slash) {
		const char *p = slash + 1;
		int v = 0, digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 3)
			v = v * 10 + (*p++ - '0'), digits++;
		if (!digits || *p || v > max)
			return -EINVAL;
		*plen = v;
	}
	return 0;
}

/* inet_parse_prefix reads ADDR/PLEN (PLEN 0-32); a bare ADDR is a /32. */
int inet_parse_prefix(const char *s, uint32_t *addr, int *plen)
{
	char buf[32];

	if (prefix_split(s, buf, sizeof(buf), 32, plen) || inet_parse_addr(buf, addr))
		return -EINVAL;
	return 0;
}

/* fib_add adds or replaces the route to dst/plen.  Returns 0 or -errno. */
int fib_add(struct net *net, uint32_t dst, int plen, uint32_t gw,
	    struct net_device *dev, int kind)
{
	struct fib_table *t = &net->fib;
	struct fib_entry *e = NULL;

	dst &= inet_make_mask(plen);
	for (int i = 0; i < t->n; i++)
		if (t->e[i].dst == dst && t->e[i].plen == plen)
			e = &t->e[i];
	/* An address's own prefix is not replaced by a user's route (Linux
	 * says EEXIST too): flush would then take the subnet away. */
	if (e && e->kind == RT_CONNECTED && kind == RT_STATIC)
		return -EEXIST;
	if (!e) {
		if (t->n == FIB_MAX)
			return -ENOSPC;
		e = &t->e[t->n++];
	}
	e->dst = dst;
	e->plen = (uint8_t)plen;
	e->gw = gw;
	e->dev = dev;
	e->kind = (uint8_t)kind;
	return 0;
}

int fib_del(struct net *net, uint32_t dst, int plen)
{
	struct fib_table *t = &net->fib;

	dst &= inet_make_mask(plen);
	for (int i = 0; i < t->n; i++)
		if (t->e[i].dst == dst && t->e[i].plen == plen) {
			t->e[i] = t->e[--t->n];
			return 0;
		}
	return -ESRCH;
}

/* fib_flush_static removes the routes a user added, keeping the connected ones. */
void fib_flush_static(struct net *net)
{
	struct fib_table *t = &net->fib;

	for (int i = 0; i < t->n;)
		if (t->e[i].kind == RT_STATIC)
			t->e[i] = t->e[--t->n];
		else
			i++;
}

/* inet_addr_type says whether addr is one of ours, a broadcast address of
 * one of our subnets (or the limited broadcast), or someone else's. */
int inet_addr_type(struct net *net, uint32_t addr)
{
	if (addr == 0xffffffffu)
		return RTN_BROADCAST;
	for (int d = 0; d < net->ndevs; d++) {
		struct net_device *dev = net->devs[d];
		for (int i = 0; i < dev->nifa; i++) {
			const struct in_ifaddr *ifa = &dev->ifa[i];
			uint32_t mask = inet_make_mask(ifa->ifa_prefixlen);
			if (addr == ifa->ifa_local)
				return RTN_LOCAL;
			if (ifa->ifa_prefixlen < 31 && addr == (ifa->ifa_local | ~mask))
				return RTN_BROADCAST;
		}
	}
	return RTN_UNICAST;
}

bool inet_addr_is_local(struct net *net, uint32_t addr)
{
	return inet_addr_type(net, addr) == RTN_LOCAL;
}

/* inet_select_addr picks our address on dev that shares a prefix with dst,
 * else dev's first. */
static uint32_t inet_select_addr(const struct net_device *dev, uint32_t dst)
{
	for (int i = 0; i < dev->nifa; i++) {
		uint32_t mask = inet_make_mask(dev->ifa[i].ifa_prefixlen);
		if ((dev->ifa[i].ifa_local & mask) == (dst & mask))
			return dev->ifa[i].ifa_local;
	}
	return dev->nifa ? dev->ifa[0].ifa_local : 0;
}

/* ip_route_output finds where a packet to daddr goes.  0 or -ENETUNREACH. */
int ip_route_output(struct net *net, uint32_t daddr, struct rtable *rt)
{
	const struct fib_entry *best = NULL;
	int type = inet_addr_type(net, daddr);

	memset(rt, 0, sizeof(*rt));
	if (type == RTN_LOCAL) {
		/* To ourselves: through the backlog, on the device that has it. */
		for (int d = 0; d < net->ndevs; d++)
			for (int i = 0; i < net->devs[d]->nifa; i++)
				if (net->devs[d]->ifa[i].ifa_local == daddr)
					rt->dev = net->devs[d];
		rt->type = RTN_LOCAL;
		rt->nexthop = daddr;
		rt->saddr = daddr;
		return 0;
	}
	for (int i = 0; i < net->fib.n; i++) {
		const struct fib_entry *e = &net->fib.e[i];
		if ((daddr & inet_make_mask(e->plen)) == e->dst &&
		    (!best || e->plen > best->plen))
			best = e;
	}
	if (type == RTN_BROADCAST && daddr == 0xffffffffu && !best && net->ndevs)
		rt->dev = net->devs[0];
	else if (!best)
		return -ENETUNREACH;
	else
		rt->dev = best->dev;
	if (!rt->dev->up)
		return -ENETUNREACH;
	rt->type = type;
	rt->nexthop = (best && best->gw && type != RTN_BROADCAST) ? best->gw : daddr;
	rt->saddr = inet_select_addr(rt->dev, rt->nexthop);
	return 0;
}

/* inet_add_ifaddr puts addr/plen on dev and adds the connected route. */
int inet_add_ifaddr(struct net_device *dev, uint32_t addr, int plen)
{
	uint32_t a = ntohl(addr);

	if (a == 0 || a == 0xffffffffu || (a >> 24) == 127 || (a >> 28) >= 14)
		return -EINVAL;
	for (int i = 0; i < dev->nifa; i++)
		if (dev->ifa[i].ifa_local == addr)
			return -EEXIST;
	if (dev->nifa == IFA_MAX)
		return -ENOSPC;
	if (plen < 32) {
		int err = fib_add(dev->net, addr, plen, 0, dev, RT_CONNECTED);
		if (err)
			return err;
	}
	dev->ifa[dev->nifa].ifa_local = addr;
	dev->ifa[dev->nifa].ifa_prefixlen = (uint8_t)plen;
	dev->nifa++;
	if (dev->up)
		arp_send_gratuitous(dev, addr);
	return 0;
}

/* inet_del_ifaddr removes addr/plen from dev, and its connected route unless
 * another address of ours still lives in that prefix. */
int inet_del_ifaddr(struct net_device *dev, uint32_t addr, int plen)
{
	uint32_t mask = inet_make_mask(plen);

	for (int i = 0; i < dev->nifa; i++) {
		if (dev->ifa[i].ifa_local != addr || dev->ifa[i].ifa_prefixlen != plen)
			continue;
		dev->ifa[i] = dev->ifa[--dev->nifa];
		for (int j = 0; j < dev->nifa; j++)
			if (dev->ifa[j].ifa_prefixlen == plen &&
			    (dev->ifa[j].ifa_local & mask) == (addr & mask))
				return 0;
		if (plen < 32)
			fib_del(dev->net, addr, plen);
		return 0;
	}
	return -EADDRNOTAVAIL;
}
