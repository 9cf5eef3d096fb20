/* IPv6 addresses and routes of a host (RFC 4862): the link-local address
 * from the MAC when IPv6 comes up, addresses from router advertisements'
 * prefixes (SLAAC) and from the command line, duplicate address detection
 * for each, router solicitations, and the small route table that on-link
 * prefixes and default routers make.
 *
 * One timer per device drives it all: it wakes for the next DAD probe,
 * the next solicitation, or the next lifetime to end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define ADDRCONF_DAD_TRANSMITS 1	/* DupAddrDetectTransmits */
#define ADDRCONF_MAX_DELAY_US 1000000ull	/* MAX_RTR_SOLICITATION_DELAY */
#define ADDRCONF_FOREVER UINT64_MAX

static void addrconf_timer(struct timer_list *t);

const char *addrconf_state_name(int s)
{
	static const char *const names[] = {
		[IFA6_TENTATIVE] = "tentative", [IFA6_PREFERRED] = "preferred",
		[IFA6_DADFAILED] = "dadfailed",
	};
	return names[s];
}

const char *addrconf_origin_name(int o)
{
	static const char *const names[] = {
		[IFA6_LINK] = "link", [IFA6_STATIC] = "static", [IFA6_SLAAC] = "slaac",
	};
	return names[o];
}

const char *rt6_kind_name(int k)
{
	static const char *const names[] = {
		[RT6_CONNECTED] = "connected", [RT6_STATIC] = "static", [RT6_RA] = "ra",
	};
	return names[k];
}

/* ---- routes ------------------------------------------------------------- */

int rt6_add(struct net *net, const struct in6_addr *dst, int plen, const struct in6_addr *gw,
	    struct net_device *dev, int kind, uint64_t expires)
{
	struct ipv6_state *s = &net->ipv6;
	struct in6_addr d;
	struct rt6_entry *e = NULL;

	ipv6_addr_prefix(&d, dst, plen);
	for (int i = 0; i < s->nrt && !e; i++)
		if (s->rt[i].plen == plen && s->rt[i].kind == kind && ipv6_addr_equal(&s->rt[i].dst, &d))
			e = &s->rt[i];
	if (!e) {
		if (s->nrt == RT6_MAX)
			return -ENOSPC;
		e = &s->rt[s->nrt++];
	}
	e->dst = d;
	e->plen = (uint8_t)plen;
	e->kind = (uint8_t)kind;
	e->gw = *gw;
	e->dev = dev;
	e->expires = expires;
	if (!timer_pending(&s->gc_timer))
		mod_timer(&net->timers, &s->gc_timer, net->now + 1000000);
	return 0;
}

void rt6_del_kind(struct net *net, const struct in6_addr *dst, int plen, int kind)
{
	struct ipv6_state *s = &net->ipv6;
	struct in6_addr d;

	ipv6_addr_prefix(&d, dst, plen);
	for (int i = 0; i < s->nrt; i++)
		if (s->rt[i].plen == plen && s->rt[i].kind == kind && ipv6_addr_equal(&s->rt[i].dst, &d)) {
			s->rt[i] = s->rt[--s->nrt];
			return;
		}
}

/* rt6_del_router: the default routes through gw, which is no longer a
 * router (RFC 4861 7.2.5: a NA without the R flag takes it off the
 * default router list). */
void rt6_del_router(struct net *net, const struct in6_addr *gw)
{
	struct ipv6_state *s = &net->ipv6;

	for (int i = 0; i < s->nrt; i++)
		if (s->rt[i].plen == 0 && s->rt[i].kind == RT6_RA && ipv6_addr_equal(&s->rt[i].gw, gw))
			s->rt[i--] = s->rt[--s->nrt];
}

/* rt6_lookup: the longest prefix wins; a connected route beats others of
 * the same length. */
int rt6_lookup(struct net *net, const struct in6_addr *daddr, struct net_device **dev,
	       struct in6_addr *nexthop)
{
	struct ipv6_state *s = &net->ipv6;
	const struct rt6_entry *best = NULL;

	for (int i = 0; i < s->nrt; i++) {
		const struct rt6_entry *e = &s->rt[i];
		if (!e->dev->up || !e->dev->ip6_ptr || e->expires <= net->now ||
		    !ipv6_prefix_equal(&e->dst, daddr, e->plen))
			continue;
		if (!best || e->plen > best->plen ||
		    (e->plen == best->plen && e->kind == RT6_CONNECTED))
			best = e;
	}
	if (!best)
		return -ENETUNREACH;
	*dev = best->dev;
	*nexthop = ipv6_addr_any(&best->gw) ? *daddr : best->gw;
	return 0;
}

static void rt6_flush_dev(struct net *net, struct net_device *dev)
{
	struct ipv6_state *s = &net->ipv6;

	for (int i = 0; i < s->nrt; i++)
		if (s->rt[i].dev == dev) {
			s->rt[i] = s->rt[--s->nrt];
			i--;
		}
}

/* ---- addresses ---------------------------------------------------------- */

/* The interface identifier from the MAC: modified EUI-64 (RFC 4291 §2.5.1,
 * appendix A), the universal/local bit inverted. */
static void addrconf_eui64(uint8_t iid[8], const uint8_t mac[6])
{
	iid[0] = mac[0] ^ 0x02;
	iid[1] = mac[1];
	iid[2] = mac[2];
	iid[3] = 0xff;
	iid[4] = 0xfe;
	iid[5] = mac[3];
	iid[6] = mac[4];
	iid[7] = mac[5];
}

/* addrconf_schedule sets the device timer for the earliest thing due. */
static void addrconf_schedule(struct inet6_dev *idev)
{
	struct net *net = idev->dev->net;
	uint64_t next = TIMER_NEVER;

	for (int i = 0; i < idev->naddr; i++) {
		const struct inet6_ifaddr *ifa = &idev->addr[i];
		if (ifa->state == IFA6_TENTATIVE && ifa->dad_next < next)
			next = ifa->dad_next;
		if (ifa->valid_until < next)
			next = ifa->valid_until;
	}
	if (idev->rs_next && idev->rs_next < next)
		next = idev->rs_next;
	if (next == TIMER_NEVER)
		del_timer(&net->timers, &idev->timer);
	else
		mod_timer(&net->timers, &idev->timer, next < net->now ? net->now : next);
}

/* addrconf_add puts a tentative address on the device, joins its
 * solicited-node group and starts DAD after a random delay (§5.4.2). */
static struct inet6_ifaddr *addrconf_add(struct inet6_dev *idev, const struct in6_addr *a,
					 int plen, int origin, uint64_t valid, uint64_t preferred)
{
	struct net_device *dev = idev->dev;
	struct net *net = dev->net;
	static const struct in6_addr any;
	struct inet6_ifaddr *ifa;
	struct in6_addr sn;

	if (ipv6_get_ifaddr(net, a))
		return NULL;
	if (idev->naddr == IFA6_MAX)
		return NULL;
	ifa = &idev->addr[idev->naddr++];
	memset(ifa, 0, sizeof(*ifa));
	ifa->addr = *a;
	ifa->prefix_len = (uint8_t)plen;
	ifa->state = IFA6_TENTATIVE;
	ifa->origin = (uint8_t)origin;
	ifa->dad_probes = ADDRCONF_DAD_TRANSMITS;
	ifa->dad_next = net->now + net_random(net) % ADDRCONF_MAX_DELAY_US;
	ifa->valid_until = valid;
	ifa->preferred_until = preferred;
	if (plen < 128 && origin != IFA6_SLAAC)
		rt6_add(net, a, plen, &any, dev, RT6_CONNECTED, ADDRCONF_FOREVER);
	addrconf_addr_solict_mult(a, &sn);
	mld_send_report(dev, &sn, false);
	char ip[INET6_ADDRSTRLEN];
	net_log(net, NETLOG_IP, "ip6 addr %s/%d tentative (%s)", ipv6_ntoa_r(a, ip), plen,
		addrconf_origin_name(origin));
	addrconf_schedule(idev);
	return ifa;
}

static void addrconf_del_index(struct inet6_dev *idev, int i)
{
	idev->addr[i] = idev->addr[--idev->naddr];
}

int addrconf_dev_up(struct net_device *dev)
{
	struct inet6_dev *idev;
	struct in6_addr ll = { .s6_addr = { 0xfe, 0x80 } };

	if (dev->ip6_ptr)
		return 0;
	idev = calloc(1, sizeof(*idev));
	if (!idev)
		return -ENOMEM;
	idev->dev = dev;
	idev->cur_hoplimit = IPV6_DEFAULT_HOPLIMIT;
	timer_setup(&idev->timer, addrconf_timer);
	dev->ip6_ptr = idev;
	if (!dev->net->ipv6.pt_added) {
		dev_add_pack(dev->net, &dev->net->ipv6.pt);
		dev->net->ipv6.pt_added = true;
	}
	addrconf_eui64(ll.s6_addr + 8, dev->dev_addr);
	addrconf_add(idev, &ll, 64, IFA6_LINK, ADDRCONF_FOREVER, ADDRCONF_FOREVER);
	return 0;
}

void addrconf_dev_down(struct net_device *dev)
{
	struct inet6_dev *idev = dev->ip6_ptr;

	if (!idev)
		return;
	del_timer(&dev->net->timers, &idev->timer);
	rt6_flush_dev(dev->net, dev);
	dev->ip6_ptr = NULL;
	free(idev);
}

int addrconf_add_static(struct net_device *dev, const struct in6_addr *a, int plen)
{
	struct inet6_dev *idev = dev->ip6_ptr;

	if (!idev)
		return -ENETDOWN;
	if (ipv6_addr_any(a) || ipv6_addr_is_multicast(a) || ipv6_addr_is_loopback(a))
		return -EINVAL;
	if (ipv6_get_ifaddr(dev->net, a))
		return -EEXIST;
	if (!addrconf_add(idev, a, plen, IFA6_STATIC, ADDRCONF_FOREVER, ADDRCONF_FOREVER))
		return -ENOSPC;
	return 0;
}

int addrconf_del(struct net_device *dev, const struct in6_addr *a, int plen)
{
	struct inet6_dev *idev = dev->ip6_ptr;
	bool shared = false;

	if (!idev)
		return -ENETDOWN;
	for (int i = 0; i < idev->naddr; i++) {
		struct inet6_ifaddr *ifa = &idev->addr[i];
		if (!ipv6_addr_equal(&ifa->addr, a) || ifa->prefix_len != plen)
			continue;
		int origin = ifa->origin;
		addrconf_del_index(idev, i);
		for (int j = 0; j < idev->naddr; j++)
			shared |= idev->addr[j].origin != IFA6_SLAAC &&
				  idev->addr[j].prefix_len == plen &&
				  ipv6_prefix_equal(&idev->addr[j].addr, a, plen);
		if (origin != IFA6_SLAAC && !shared)
			rt6_del_kind(dev->net, a, plen, RT6_CONNECTED);
		addrconf_schedule(idev);
		return 0;
	}
	return -EADDRNOTAVAIL;
}

/* A lifetime in seconds from the wire: all ones is forever. */
static uint64_t addrconf_until(struct net *net, uint32_t secs)
{
	return secs == 0xffffffffu ? ADDRCONF_FOREVER : net->now + secs * 1000000ull;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* addrconf_prefix_rcv: RFC 4862 §5.5.3 for one prefix information option
 * (32 bytes, length already checked). */
void addrconf_prefix_rcv(struct net_device *dev, const uint8_t *pio)
{
	struct net *net = dev->net;
	struct inet6_dev *idev = dev->ip6_ptr;
	int plen = pio[2];
	bool onlink = pio[3] & 0x80, autoconf = pio[3] & 0x40;
	uint32_t valid = get_be32(pio + 4), preferred = get_be32(pio + 8);
	static const struct in6_addr any;
	struct in6_addr prefix, a;
	char ip[INET6_ADDRSTRLEN];

	memcpy(&prefix, pio + 16, 16);
	if (plen > 128 || ipv6_addr_is_linklocal(&prefix) || ipv6_addr_is_multicast(&prefix) ||
	    preferred > valid) {
		net->ipv6.icmp6.InBadOptions++;
		return;
	}
	ipv6_addr_prefix(&prefix, &prefix, plen);
	if (onlink) {
		if (valid)
			rt6_add(net, &prefix, plen, &any, dev, RT6_RA, addrconf_until(net, valid));
		else
			rt6_del_kind(net, &prefix, plen, RT6_RA);
	}
	if (!autoconf)
		return;
	if (plen != 64) {
		net_log(net, NETLOG_IP, "ip6 prefix %s/%d: not /64, no address from it",
			ipv6_ntoa_r(&prefix, ip), plen);
		return;
	}
	a = prefix;
	addrconf_eui64(a.s6_addr + 8, dev->dev_addr);
	for (int i = 0; i < idev->naddr; i++) {
		struct inet6_ifaddr *ifa = &idev->addr[i];
		if (!ipv6_addr_equal(&ifa->addr, &a))
			continue;
		if (ifa->origin != IFA6_SLAAC)
			return;
		/* §5.5.3 (e): the two-hour rule against a forged short lifetime. */
		uint64_t two_h = 7200ull * 1000000, remaining = ifa->valid_until - net->now;
		if (valid * 1000000ull > two_h || valid * 1000000ull > remaining)
			ifa->valid_until = addrconf_until(net, valid);
		else if (remaining > two_h)
			ifa->valid_until = net->now + two_h;
		ifa->preferred_until = addrconf_until(net, preferred);
		addrconf_schedule(idev);
		return;
	}
	if (!valid)
		return;
	if (addrconf_add(idev, &a, plen, IFA6_SLAAC, addrconf_until(net, valid),
			 addrconf_until(net, preferred)))
		net->ipv6.icmp6.SlaacAddrs++;
}

void addrconf_dad_failed(struct inet6_ifaddr *ifa, struct net_device *dev)
{
	struct net *net = dev->net;
	char ip[INET6_ADDRSTRLEN];

	ifa->state = IFA6_DADFAILED;
	net->ipv6.icmp6.DadFailures++;
	net_log(net, NETLOG_IP, "ip6 addr %s: duplicate address detected, not used",
		ipv6_ntoa_r(&ifa->addr, ip));
}

void addrconf_ra_seen(struct net_device *dev)
{
	struct inet6_dev *idev = dev->ip6_ptr;

	idev->ra_seen = true;
	idev->rs_next = 0;
	addrconf_schedule(idev);
}

/* addrconf_timer: DAD probes and their end, solicitations, lifetimes. */
static void addrconf_timer(struct timer_list *t)
{
	struct inet6_dev *idev = container_of(t, struct inet6_dev, timer);
	struct net_device *dev = idev->dev;
	struct net *net = dev->net;
	char ip[INET6_ADDRSTRLEN];

	for (int i = 0; i < idev->naddr; i++) {
		struct inet6_ifaddr *ifa = &idev->addr[i];
		if (ifa->valid_until <= net->now) {
			net_log(net, NETLOG_IP, "ip6 addr %s: lifetime over", ipv6_ntoa_r(&ifa->addr, ip));
			addrconf_del_index(idev, i--);
			continue;
		}
		if (ifa->state != IFA6_TENTATIVE || ifa->dad_next > net->now)
			continue;
		if (ifa->dad_probes) {
			ifa->dad_probes--;
			ifa->dad_next = net->now + ND_RETRANS_US;
			ndisc_send_ns(dev, &ifa->addr, true);
			continue;
		}
		ifa->state = IFA6_PREFERRED;
		net_log(net, NETLOG_IP, "ip6 addr %s/%d preferred", ipv6_ntoa_r(&ifa->addr, ip),
			ifa->prefix_len);
		if (ifa->origin == IFA6_LINK) {
			/* Now solicit routers (RFC 4861 §6.3.7), and report the
			 * group again from a real source. */
			mld_send_report(dev, NULL, false);
			if (!idev->ra_seen)
				idev->rs_next = net->now;
		}
	}
	if (idev->rs_next && idev->rs_next <= net->now) {
		ndisc_send_rs(dev);
		idev->rs_next = ++idev->rs_sent < ND_MAX_RS ? net->now + ND_RS_INTERVAL_US : 0;
	}
	addrconf_schedule(idev);
}
