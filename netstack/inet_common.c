/* What TCP and UDP share between IPv4 and IPv6: one transport code path
 * that is told the family, as Linux's inet_ and inet6_ helpers serve
 * tcp_v4 and tcp_v6 alike.  A socket keeps IPv4 addresses in inet_* and
 * IPv6 ones in sk_v6_*, and sk_family says which are meant; everything
 * here takes or gives a struct inet_addr, so lookups, port checks,
 * checksums and sends are written once. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"
#include "sock.h"

bool inet_addr_equal(const struct inet_addr *a, const struct inet_addr *b)
{
	if (a->family != b->family)
		return false;
	return a->family == AF_INET ? a->v4 == b->v4 : ipv6_addr_equal(&a->v6, &b->v6);
}

bool inet_addr_any(const struct inet_addr *a)
{
	return a->family == AF_INET ? a->v4 == 0 : ipv6_addr_any(&a->v6);
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is IPv4 here: a user
 * writing one means the IPv4 host (imp(4)). */
int inet_addr_from_sa(const union inet_sockaddr *sa, struct inet_addr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa.sa_family == AF_INET) {
		a->family = AF_INET;
		a->v4 = sa->sin.sin_addr.s_addr;
		*port = sa->sin.sin_port;
		return 0;
	}
	if (sa->sa.sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	*port = sa->sin6.sin6_port;
	if (IN6_IS_ADDR_V4MAPPED(&sa->sin6.sin6_addr)) {
		a->family = AF_INET;
		memcpy(&a->v4, &sa->sin6.sin6_addr.s6_addr[12], 4);
		return 0;
	}
	a->family = AF_INET6;
	a->v6 = sa->sin6.sin6_addr;
	return 0;
}

void inet_addr_to_sa(const struct inet_addr *a, uint16_t port, union inet_sockaddr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (a->family == AF_INET6) {
		sa->sin6.sin6_family = AF_INET6;
		sa->sin6.sin6_addr = a->v6;
		sa->sin6.sin6_port = port;
	} else {
		sa->sin.sin_family = AF_INET;
		sa->sin.sin_addr.s_addr = a->v4;
		sa->sin.sin_port = port;
	}
}

/* The version nibble of the network header says which header it is; the
 * IP layer checked the header's length before handing the packet up. */
void skb_inet_addrs(const struct sk_buff *skb, struct inet_addr *saddr, struct inet_addr *daddr)
{
	const unsigned char *nh = skb_network_header(skb);

	memset(saddr, 0, sizeof(*saddr));
	memset(daddr, 0, sizeof(*daddr));
	if ((nh[0] >> 4) == 6) {
		const struct ipv6hdr *ip6 = (const struct ipv6hdr *)nh;
		saddr->family = daddr->family = AF_INET6;
		memcpy(&saddr->v6, &ip6->saddr, 16);
		memcpy(&daddr->v6, &ip6->daddr, 16);
	} else {
		const struct iphdr *iph = (const struct iphdr *)nh;
		saddr->family = daddr->family = AF_INET;
		saddr->v4 = iph->saddr;
		daddr->v4 = iph->daddr;
	}
}

static void sk_get(const struct sock *sk, struct inet_addr *a, uint32_t v4, const struct in6_addr *v6)
{
	memset(a, 0, sizeof(*a));
	a->family = sk->sk_family == AF_INET6 ? AF_INET6 : AF_INET;
	if (a->family == AF_INET6)
		a->v6 = *v6;
	else
		a->v4 = v4;
}

void sk_saddr(const struct sock *sk, struct inet_addr *a)
{
	sk_get(sk, a, sk->inet_saddr, &sk->sk_v6_saddr);
}

void sk_rcv_saddr(const struct sock *sk, struct inet_addr *a)
{
	sk_get(sk, a, sk->inet_rcv_saddr, &sk->sk_v6_rcv_saddr);
}

void sk_daddr(const struct sock *sk, struct inet_addr *a)
{
	sk_get(sk, a, sk->inet_daddr, &sk->sk_v6_daddr);
}

/* The setters also set the socket's family: an address decides it. */
static void sk_set(struct sock *sk, const struct inet_addr *a, uint32_t *v4, struct in6_addr *v6)
{
	sk->sk_family = a->family;
	if (a->family == AF_INET6)
		*v6 = a->v6;
	else
		*v4 = a->v4;
}

void sk_set_saddr(struct sock *sk, const struct inet_addr *a)
{
	sk_set(sk, a, &sk->inet_saddr, &sk->sk_v6_saddr);
}

void sk_set_rcv_saddr(struct sock *sk, const struct inet_addr *a)
{
	sk_set(sk, a, &sk->inet_rcv_saddr, &sk->sk_v6_rcv_saddr);
}

void sk_set_daddr(struct sock *sk, const struct inet_addr *a)
{
	sk_set(sk, a, &sk->inet_daddr, &sk->sk_v6_daddr);
}

bool sk_has_daddr(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 ? !ipv6_addr_any(&sk->sk_v6_daddr) : sk->inet_daddr != 0;
}

/* A dual socket: AF_INET6, bound to ::, not IPv6 only. */
static bool sk_dual(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 && !sk->ipv6only && ipv6_addr_any(&sk->sk_v6_rcv_saddr);
}

int sk_rcv_match(const struct sock *sk, const struct inet_addr *daddr)
{
	struct inet_addr mine;

	if (daddr->family == AF_INET && sk_dual(sk))
		return 0;
	if (daddr->family != (sk->sk_family == AF_INET6 ? AF_INET6 : AF_INET))
		return -1;
	sk_rcv_saddr(sk, &mine);
	if (inet_addr_any(&mine))
		return 0;
	return inet_addr_equal(&mine, daddr) ? 1 : -1;
}

bool sk_conn_match(const struct sock *sk, const struct inet_addr *saddr, uint16_t sport,
		   const struct inet_addr *daddr)
{
	if (sk->inet_dport != sport)
		return false;
	if (saddr->family == AF_INET)
		return sk->sk_family != AF_INET6 && sk->inet_daddr == saddr->v4 &&
		       sk->inet_saddr == daddr->v4;
	return sk->sk_family == AF_INET6 && ipv6_addr_equal(&sk->sk_v6_daddr, &saddr->v6) &&
	       ipv6_addr_equal(&sk->sk_v6_saddr, &daddr->v6);
}

/* The families a bound socket takes (bit 0 IPv4, bit 1 IPv6) and its
 * local address in each (a dual socket's IPv4 one is 0.0.0.0). */
static unsigned int sk_families(const struct sock *sk)
{
	if (sk->sk_family != AF_INET6)
		return 1;
	return sk_dual(sk) ? 3 : 2;
}

bool sk_bind_overlap(const struct sock *a, const struct sock *b)
{
	unsigned int both = sk_families(a) & sk_families(b);

	if (both & 1) {
		uint32_t x = a->sk_family == AF_INET6 ? 0 : a->inet_rcv_saddr;
		uint32_t y = b->sk_family == AF_INET6 ? 0 : b->inet_rcv_saddr;
		if (!x || !y || x == y)
			return true;
	}
	if (both & 2) {
		const struct in6_addr *x = &a->sk_v6_rcv_saddr, *y = &b->sk_v6_rcv_saddr;
		if (ipv6_addr_any(x) || ipv6_addr_any(y) || ipv6_addr_equal(x, y))
			return true;
	}
	return false;
}

uint32_t inet_pseudo_sum(const struct inet_addr *saddr, const struct inet_addr *daddr,
			 uint32_t len, uint8_t proto, uint32_t sum)
{
	if (saddr->family == AF_INET6)
		return csum_ipv6_magic(&saddr->v6, &daddr->v6, len, proto, sum);
	return csum_tcpudp_nofold(saddr->v4, daddr->v4, len, proto, sum);
}

int inet_xmit(struct net *net, struct sk_buff *skb, const struct inet_addr *saddr,
	      const struct inet_addr *daddr, uint8_t proto, uint8_t ttl, uint8_t tos, bool df)
{
	if (daddr->family == AF_INET6) {
		/* tos is the traffic class: the same byte, the same use
		 * (DSCP and ECN, RFC 2474), as Linux's IPV6_TCLASS. */
		return ip6_xmit(net, skb, NULL, ipv6_addr_any(&saddr->v6) ? NULL : &saddr->v6,
				&daddr->v6, proto, ttl, tos, NULL, 0);
	}
	return ip_build_xmit(net, skb, saddr->v4, daddr->v4, proto, ttl, tos, df);
}

/* inet6_route: the device towards daddr, as ip6_xmit chooses it. */
static struct net_device *inet6_route(struct net *net, const struct in6_addr *daddr)
{
	struct net_device *dev = ipv6_local_dev(net, daddr, NULL);
	struct in6_addr nexthop;

	if (dev)
		;	/* ourselves: the backlog, on the device with the address */
	else if (ipv6_addr_is_multicast(daddr) || ipv6_addr_is_linklocal(daddr))
		dev = ip6_default_dev(net);
	else if (rt6_lookup(net, daddr, &dev, &nexthop))
		dev = NULL;
	return dev && dev->ip6_ptr && dev->up ? dev : NULL;
}

unsigned int inet_route_mtu(struct net *net, const struct inet_addr *daddr)
{
	if (daddr->family == AF_INET6) {
		struct net_device *dev = inet6_route(net, &daddr->v6);
		unsigned int mtu, pmtu;
		if (!dev)
			return 0;
		mtu = dev->ip6_ptr->mtu6 && dev->ip6_ptr->mtu6 < dev->mtu ? dev->ip6_ptr->mtu6 : dev->mtu;
		pmtu = ip6_pmtu_get(net, &daddr->v6);
		return pmtu && pmtu < mtu ? pmtu : mtu;
	}
	struct rtable rt;
	if (ip_route_output(net, daddr->v4, &rt) || !rt.dev)
		return 0;
	return rt.dev->mtu;
}

bool inet6_enabled(struct net *net)
{
	return ip6_default_dev(net) != NULL;
}

/* inet_sk_pick_source: see sock.h.  A socket bound to an address sends
 * from it; else the route's (IPv4) or RFC 6724's choice (IPv6). */
int inet_sk_pick_source(struct sock *sk, const struct inet_addr *daddr, unsigned int *mtu)
{
	struct net *net = sk->net;
	struct inet_addr src, bound;

	/* Bound to IPv4 (0.0.0.0 too): no IPv6; bound to an IPv6 address, or
	 * IPv6 only: no IPv4. */
	if (sk->bound && sk->sk_family != AF_INET6 && daddr->family == AF_INET6)
		return -EAFNOSUPPORT;
	if (sk->sk_family == AF_INET6 && daddr->family == AF_INET &&
	    (sk->ipv6only || !ipv6_addr_any(&sk->sk_v6_rcv_saddr)))
		return -ENETUNREACH;
	memset(&src, 0, sizeof(src));
	src.family = daddr->family;
	if (daddr->family == AF_INET6) {
		struct net_device *dev = inet6_route(net, &daddr->v6);
		const struct in6_addr *s;
		struct inet6_ifaddr *self = NULL;
		ipv6_local_dev(net, &daddr->v6, &self);
		if (!dev)
			return -ENETUNREACH;
		if (self && self->state != IFA6_PREFERRED)
			return -EADDRNOTAVAIL;	/* in DAD: not usable yet */
		if (sk->sk_family == AF_INET6 && !ipv6_addr_any(&sk->sk_v6_rcv_saddr)) {
			src.v6 = sk->sk_v6_rcv_saddr;
		} else if (self) {
			src.v6 = daddr->v6;	/* ourselves: from that address, as IPv4's RTN_LOCAL */
		} else {
			if (!(s = ipv6_select_saddr(dev, &daddr->v6)))
				return -EADDRNOTAVAIL;
			src.v6 = *s;
		}
	} else {
		struct rtable rt;
		int err = ip_route_output(net, daddr->v4, &rt);
		if (err)
			return err;
		src.v4 = sk->sk_family != AF_INET6 && sk->inet_rcv_saddr ? sk->inet_rcv_saddr : rt.saddr;
		if (!src.v4)
			return -EADDRNOTAVAIL;
	}
	if (mtu && !(*mtu = inet_route_mtu(net, daddr)))
		*mtu = 1500;
	/* A dual socket (bound to ::) that talks IPv4 becomes an IPv4 one;
	 * its local address stays the wildcard of its new family. */
	sk_rcv_saddr(sk, &bound);
	if (bound.family != daddr->family) {
		memset(&bound, 0, sizeof(bound));
		bound.family = daddr->family;
		sk_set_rcv_saddr(sk, &bound);
	}
	sk_set_saddr(sk, &src);
	return 0;
}

const char *inet_addr_ntop(const struct inet_addr *a, char *buf)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET,
		       a->family == AF_INET6 ? (const void *)&a->v6 : (const void *)&a->v4,
		       buf, INET6_ADDRSTRLEN))
		strcpy(buf, "?");
	return buf;
}
