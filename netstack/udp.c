/* UDP (RFC 768, RFC 1122 §4.1).
 *
 * Sockets are hashed by local port.  A datagram goes to the socket that
 * matches it most closely: connected to its sender, then bound to its
 * destination address, then bound to any address.  An announced socket
 * without headers works as Plan 9's does: the first datagram from a new
 * peer makes a child socket connected to that peer, which waits to be
 * taken through the listen file, and gets that peer's datagrams from then
 * on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"
#include "sock.h"

static void udp_rcv(struct sk_buff *skb);
static void udp_err(struct sk_buff *skb, int type, int code, uint32_t info);

static const struct net_protocol udp_protocol = { .handler = udp_rcv, .err_handler = udp_err };

void udp_init(struct net *net)
{
	inet_add_protocol(net, &udp_protocol, IPPROTO_UDP);
}

static unsigned int port_hash(uint16_t port)	/* host order */
{
	return port % UDP_HTABLE;
}

void udp_table_insert(struct udp_table *t, struct sock *sk)
{
	unsigned int h = port_hash(ntohs(sk->inet_sport));

	sk->hash_next = t->hash[h];
	t->hash[h] = sk;
	t->count++;
	sk->hashed = true;
}

void udp_table_remove(struct udp_table *t, struct sock *sk)
{
	if (!sk->hashed)
		return;
	sk->hashed = false;
	for (struct sock **pp = &t->hash[port_hash(ntohs(sk->inet_sport))]; *pp; pp = &(*pp)->hash_next)
		if (*pp == sk) {
			*pp = sk->hash_next;
			t->count--;
			return;
		}
}

/* port_in_use: would binding sk to port clash with a socket already
 * there?  Children of an announced socket share its port and don't count. */
static bool port_in_use(struct udp_table *t, const struct sock *sk, uint16_t port)
{
	for (struct sock *s = t->hash[port_hash(port)]; s; s = s->hash_next)
		if (s != sk && ntohs(s->inet_sport) == port && !s->child && sk_bind_overlap(s, sk))
			return true;
	return false;
}

/* table_get_port binds sk to port, or to a free ephemeral port chosen as
 * RFC 6056's algorithm 1 does: a random start, then the next free one. */
int udp_table_get_port(struct net *net, struct udp_table *t, struct sock *sk, uint16_t port)
{
	if (port == 0) {
		unsigned int n = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
		unsigned int start = net_random(net) % n;
		for (unsigned int i = 0; i < n; i++) {
			uint16_t p = (uint16_t)(EPHEMERAL_LOW + (start + i) % n);
			if (!port_in_use(t, sk, p)) {
				port = p;
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
	} else if (port_in_use(t, sk, port)) {
		return -EADDRINUSE;
	}
	sk->inet_sport = htons(port);
	udp_table_insert(t, sk);
	return 0;
}

static int udp_get_port(struct sock *sk, uint16_t port)
{
	return udp_table_get_port(sk->net, &sk->net->udp_table, sk, port);
}

static void udp_unhash(struct sock *sk)
{
	udp_table_remove(&sk->net->udp_table, sk);
}

static void udp_destroy(struct sock *sk)
{
	udp_unhash(sk);
	sk_rcvq_purge(sk);
}

/* udp_lookup finds the socket for a datagram from saddr:sport to
 * daddr:dport (ports network order), the closest match winning. */
static struct sock *udp_lookup(struct net *net, const struct inet_addr *saddr, uint16_t sport,
			       const struct inet_addr *daddr, uint16_t dport)
{
	struct sock *best = NULL;
	int best_score = -1;

	for (struct sock *s = net->udp_table.hash[port_hash(ntohs(dport))]; s; s = s->hash_next) {
		int score;
		if (s->inet_sport != dport || (score = sk_rcv_match(s, daddr)) < 0)
			continue;
		if (sk_has_daddr(s)) {
			struct inet_addr peer;
			sk_daddr(s, &peer);
			if (!inet_addr_equal(&peer, saddr) || s->inet_dport != sport)
				continue;
			score += 2;
		}
		if (score > best_score) {
			best = s;
			best_score = score;
		}
	}
	return best;
}

/* udp_queue_rcv puts a datagram on sk's queue, within its buffer. */
static void udp_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct net *net = sk->net;

	if (sk->sk_receive_queue.bytes + skb->len > sk->sk_rcvbuf ||
	    (sk->sk_shutdown & RCV_SHUTDOWN)) {
		net->udpstats.RcvbufErrors++;
		net->udpstats.InErrors++;
		kfree_skb(skb);
		return;
	}
	if (sk_rmem_over(sk, skb->len)) {
		net->udpstats.MemErrors++;	/* the cap on all sockets' buffers */
		net->udpstats.InErrors++;
		kfree_skb(skb);
		return;
	}
	net->udpstats.InDatagrams++;
	sk_rcvq_tail(sk, skb);
	sk_wake(sk);
}

/* udp_spawn_child makes the per-peer socket of an announced socket. */
static struct sock *udp_spawn_child(struct sock *parent, const struct inet_addr *peer,
				    uint16_t pport, const struct inet_addr *local)
{
	struct sock *child;

	if (parent->sk_ack_backlog >= parent->sk_max_ack_backlog)
		return NULL;
	child = sk_alloc(parent->net, parent->sk_prot);
	if (!child)
		return NULL;
	sk_inherit(child, parent);
	if (local->family != parent->sk_family) {
		/* An IPv4 peer of a dual socket: the child is IPv4's. */
		struct inet_addr any = { .family = local->family };
		sk_set_rcv_saddr(child, &any);
	}
	sk_set_saddr(child, local);
	sk_set_daddr(child, peer);
	child->inet_dport = pport;
	child->child = true;
	udp_table_insert(&parent->net->udp_table, child);
	sk_accept_enqueue(parent, child);
	sk_wake(parent);
	return child;
}

/* udp_rcv_common: a datagram of either family whose length and checksum
 * were checked (data at the UDP header, trimmed to it). */
static void udp_rcv_common(struct sk_buff *skb, const struct inet_addr *saddr,
			   const struct inet_addr *daddr)
{
	struct net *net = skb->dev->net;
	struct udpstats *st = &net->udpstats;
	const struct udphdr *uh = (const struct udphdr *)skb->data;
	struct sock *sk = udp_lookup(net, saddr, uh->source, daddr, uh->dest);

	if (!sk) {
		st->NoPorts++;
		if (daddr->family == AF_INET6)
			icmpv6_send(net, skb, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0);
		else
			icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
		kfree_skb(skb);
		return;
	}
	if (sk->listening && !sk->headers && !sk_has_daddr(sk)) {
		/* The child answers from the address the peer used, unless
		 * that was a broadcast or a group (RFC 1122 §4.1.3.5). */
		struct inet_addr local = *daddr;
		if (daddr->family == AF_INET6 ? ipv6_addr_is_multicast(&daddr->v6) :
		    !inet_addr_is_local(net, daddr->v4))
			memset(&local.v6, 0, sizeof(local.v6));
		struct sock *child = udp_spawn_child(sk, saddr, uh->source, &local);
		if (!child) {
			st->BacklogDrops++;
			st->InErrors++;
			kfree_skb(skb);
			return;
		}
		sk = child;
	}
	skb_pull(skb, sizeof(*uh));
	udp_queue_rcv(sk, skb);
}

/* udp_check_len checks the UDP length against the packet and trims the
 * packet to it; false (counted) when it does not fit. */
static bool udp_check_len(struct sk_buff *skb, struct udpstats *st)
{
	const struct udphdr *uh = (const struct udphdr *)skb->data;
	unsigned int ulen;

	if (skb->len < sizeof(*uh)) {
		st->InBadLength++;
		return false;
	}
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || ulen > skb->len) {
		st->InBadLength++;
		return false;
	}
	skb_trim(skb, ulen);
	return true;
}

/* udp_rcv_checked: a datagram of either family, its length and checksum
 * checked, to its socket.  A zero checksum means the sender computed none
 * (RFC 768), which IPv4 allows; IPv6 has no header checksum of its own,
 * so there it is an error (RFC 8200 8.1). */
static void udp_rcv_checked(struct sk_buff *skb, bool zero_csum_ok)
{
	struct net *net = skb->dev->net;
	struct udpstats *st = &net->udpstats;
	const struct udphdr *uh = (const struct udphdr *)skb->data;
	struct inet_addr saddr, daddr;

	if (!udp_check_len(skb, st))
		goto error;
	skb_inet_addrs(skb, &saddr, &daddr);
	if (!uh->check ? !zero_csum_ok :
	    !skb_csum_unnecessary(skb) &&
	    csum_fold(inet_pseudo_sum(&saddr, &daddr, skb->len, IPPROTO_UDP,
				      csum_partial(skb->data, skb->len, 0))) != 0) {
		st->InCsumErrors++;
		goto error;
	}
	udp_rcv_common(skb, &saddr, &daddr);
	return;
error:
	st->InErrors++;
	kfree_skb(skb);
}

static void udp_rcv(struct sk_buff *skb)
{
	udp_rcv_checked(skb, true);
}

/* udpv6_rcv: UDP over IPv6, from ip6_deliver. */
void udpv6_rcv(struct sk_buff *skb)
{
	udp_rcv_checked(skb, false);
}

int icmp_err_to_errno(int type, int code)
{
	if (type == ICMP_DEST_UNREACH) {
		switch (code) {
		case ICMP_NET_UNREACH: return ENETUNREACH;
		case ICMP_PORT_UNREACH: return ECONNREFUSED;
		case ICMP_PROT_UNREACH: return ECONNREFUSED;
		case ICMP_FRAG_NEEDED: return EMSGSIZE;
		default: return EHOSTUNREACH;
		}
	}
	return EHOSTUNREACH;	/* time exceeded, parameter problem */
}

/* udp_err_common: an ICMP or ICMPv6 error about a datagram we sent from
 * laddr:lport to raddr:rport.  As in Linux, only a connected socket hears
 * of it (RFC 1122 §4.1.3.3). */
static void udp_err_common(struct net *net, const struct inet_addr *laddr, uint16_t lport,
			   const struct inet_addr *raddr, uint16_t rport, int err)
{
	struct sock *sk = udp_lookup(net, raddr, rport, laddr, lport);

	if (!sk || !sk_has_daddr(sk) || !sk->sk_socket || sk->sk_socket->state != SS_CONNECTED)
		return;
	sk->sk_err = err;
	sk_wake(sk);
}

static void udp_err(struct sk_buff *skb, int type, int code, uint32_t info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct udphdr *uh = (const struct udphdr *)(skb->data + ip_hdrlen(iph));
	struct inet_addr l = { .family = AF_INET, .v4 = iph->saddr };
	struct inet_addr r = { .family = AF_INET, .v4 = iph->daddr };

	(void)info;
	udp_err_common(skb->dev->net, &l, uh->source, &r, uh->dest, icmp_err_to_errno(type, code));
}

void udpv6_err(struct net *net, const struct ipv6hdr *ip6, const unsigned char *l4,
	       unsigned int l4len, int err)
{
	struct inet_addr l = { .family = AF_INET6, .v6 = ip6->saddr };
	struct inet_addr r = { .family = AF_INET6, .v6 = ip6->daddr };
	uint16_t sport, dport;

	if (l4len < 4)
		return;
	memcpy(&sport, l4, 2);
	memcpy(&dport, l4 + 2, 2);
	udp_err_common(net, &l, sport, &r, dport, err);
}

/* udp_source: the address a datagram to daddr goes from: the one bound,
 * else the one a headers-mode writer named (if ours), else the connected
 * one's, else the route's choice. */
static int udp_source(struct sock *sk, const struct sockmsg *msg, const struct inet_addr *daddr,
		      struct inet_addr *saddr)
{
	struct net *net = sk->net;
	struct inet_addr bound, peer;

	sk_rcv_saddr(sk, &bound);
	if (bound.family == daddr->family && !inet_addr_any(&bound)) {
		*saddr = bound;
		return 0;
	}
	memset(saddr, 0, sizeof(*saddr));
	saddr->family = daddr->family;
	if (daddr->family == AF_INET6) {
		struct inet6_ifaddr *ifa = ipv6_get_ifaddr(net, &msg->local6);
		if (!ipv6_addr_any(&msg->local6) && ifa && ifa->state == IFA6_PREFERRED) {
			saddr->v6 = msg->local6;
			return 0;
		}
	} else if (msg->local && inet_addr_is_local(net, msg->local)) {
		saddr->v4 = msg->local;
		return 0;
	}
	sk_daddr(sk, &peer);
	if (inet_addr_equal(&peer, daddr)) {
		sk_saddr(sk, saddr);
		if (!inet_addr_any(saddr))
			return 0;
	}
	if (daddr->family == AF_INET6) {
		struct net_device *dev = NULL;
		struct in6_addr nexthop;
		const struct in6_addr *s;
		if (ipv6_addr_is_linklocal(&daddr->v6) || ipv6_addr_is_multicast(&daddr->v6))
			dev = ip6_default_dev(net);
		else if (rt6_lookup(net, &daddr->v6, &dev, &nexthop))
			return -ENETUNREACH;
		if (!dev || !(s = ipv6_select_saddr(dev, &daddr->v6)))
			return -EADDRNOTAVAIL;
		saddr->v6 = *s;
		return 0;
	}
	struct rtable rt;
	int err = ip_route_output(net, daddr->v4, &rt);
	if (err)
		return err;
	saddr->v4 = rt.saddr;
	return saddr->v4 ? 0 : -EADDRNOTAVAIL;
}

/* udp_sendmsg sends one datagram of len bytes from msg->data. */
static long udp_sendmsg(struct sock *sk, struct sockmsg *msg, size_t len)
{
	struct net *net = sk->net;
	struct inet_addr daddr, saddr;
	uint16_t dport;
	struct sk_buff *skb;
	struct udphdr *uh;
	int err;

	if (len > UDP_MAX_PAYLOAD6)
		return -EMSGSIZE;
	if (msg->has_name) {
		if ((err = inet_addr_from_sa(&msg->name, &daddr, &dport)) != 0)
			return err;
		if (inet_addr_any(&daddr) || !dport)
			return -EINVAL;
	} else if (sk_has_daddr(sk)) {
		sk_daddr(sk, &daddr);
		dport = sk->inet_dport;
	} else {
		return -EDESTADDRREQ;
	}
	/* A socket of one family names only its own (a dual one, both). */
	if (daddr.family == AF_INET6 && sk->sk_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (daddr.family == AF_INET && sk->sk_family == AF_INET6 &&
	    (sk->ipv6only || !ipv6_addr_any(&sk->sk_v6_rcv_saddr)))
		return -ENETUNREACH;
	if (len > (daddr.family == AF_INET6 ? UDP_MAX_PAYLOAD6 : UDP_MAX_PAYLOAD))
		return -EMSGSIZE;
	if ((err = udp_source(sk, msg, &daddr, &saddr)) != 0)
		return err;
	skb = ip_alloc_skb((unsigned int)(sizeof(*uh) + len));
	if (!skb) {
		net->udpstats.SndbufErrors++;
		return -ENOBUFS;
	}
	uh = (struct udphdr *)skb_put(skb, sizeof(*uh));
	memcpy(skb_put(skb, (unsigned int)len), msg->data, len);
	uh->source = sk->inet_sport;
	uh->dest = dport;
	uh->len = htons((uint16_t)(sizeof(*uh) + len));
	uh->check = 0;
	uh->check = csum_fold(inet_pseudo_sum(&saddr, &daddr, skb->len, IPPROTO_UDP,
					      csum_partial(skb->data, skb->len, 0)));
	if (uh->check == 0)
		uh->check = 0xffff;	/* 0 would mean "no checksum" */
	err = inet_xmit(net, skb, &saddr, &daddr, IPPROTO_UDP, sk->ttl, sk->tos, false);
	if (err)
		return err;
	net->udpstats.OutDatagrams++;
	return (long)len;
}

/* udp_recvmsg points msg at the oldest datagram, cut to len. */
static long udp_recvmsg(struct sock *sk, struct sockmsg *msg, size_t len)
{
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);
	const struct udphdr *uh;
	struct inet_addr saddr, daddr;

	if (!skb)
		return -EAGAIN;
	uh = (const struct udphdr *)skb_transport_header(skb);
	skb_inet_addrs(skb, &saddr, &daddr);
	inet_addr_to_sa(&saddr, uh->source, &msg->name);
	msg->has_name = true;
	if (daddr.family == AF_INET6) {
		msg->local = 0;
		msg->local6 = daddr.v6;
	} else {
		msg->local = daddr.v4;
	}
	msg->iov[0].iov_base = skb->data;
	msg->iov[0].iov_len = len < skb->len ? len : skb->len;
	msg->iovcnt = 1;
	msg->cookie = skb;
	return (long)msg->iov[0].iov_len;
}

/* Datagram semantics: whatever was not read of it is gone. */
static void udp_recv_done(struct sock *sk, struct sockmsg *msg, size_t used)
{
	struct sk_buff *skb = msg->cookie;

	if (msg->flags & MSG_PEEK)
		return;
	sk_rcvq_unlink(sk, skb);
	kfree_skb(skb);
}

static struct sock *udp_accept(struct sock *sk)
{
	return sk_accept_dequeue(sk);
}

static void udp_status(struct sock *sk, char *buf, size_t len)
{
	const char *state = sk->listening ? "Announced" :
		(sk->sk_socket && sk->sk_socket->state == SS_CONNECTED) ? "Connected" :
		sk->bound ? "Bound" : "Closed";

	snprintf(buf, len, "%s rcvq %zu rcvbuf %u sndbuf %u ttl %u tos %u headers %s\n",
		 state, sk->sk_receive_queue.bytes, sk->sk_rcvbuf, sk->sk_sndbuf, sk->ttl,
		 sk->tos, sk->headers ? "on" : "off");
}

const struct proto udp_prot = {
	.name = "udp",
	.obj_size = sizeof(struct sock),
	.destroy = udp_destroy,
	.get_port = udp_get_port,
	.unhash = udp_unhash,
	.sendmsg = udp_sendmsg,
	.recvmsg = udp_recvmsg,
	.recv_done = udp_recv_done,
	.accept = udp_accept,
	.status = udp_status,
};
