/* ICMP and ICMPv6 echo sockets, after Linux's ping.c: a datagram socket
 * whose "port" is the echo identifier.  A write is an echo request (type,
 * code, id, sequence, data: ICMP's type 8, ICMPv6's 128); the stack puts
 * in the identifier and the checksum.  A read is an echo reply with this
 * socket's identifier, from the connected address if there is one.  Both
 * families share the identifiers' table; a socket is of one family only
 * (ping_prot IPv4's, ping6_prot IPv6's). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"
#include "sock.h"

void ping_init(struct net *net)
{
	(void)net;	/* the table is zeroed with struct net */
}

/* Identifiers are drawn like ephemeral ports, from the whole 16-bit range. */
static int ping_get_port(struct sock *sk, uint16_t ident)
{
	return udp_table_get_port(sk->net, &sk->net->ping_table, sk, ident);
}

static void ping_unhash(struct sock *sk)
{
	udp_table_remove(&sk->net->ping_table, sk);
}

static void ping_destroy(struct sock *sk)
{
	ping_unhash(sk);
	sk_rcvq_purge(sk);
}

static struct sock *ping_lookup(struct net *net, uint16_t ident, const struct inet_addr *from)
{
	for (struct sock *s = net->ping_table.hash[ntohs(ident) % UDP_HTABLE]; s; s = s->hash_next) {
		struct inet_addr peer;
		if (s->inet_sport != ident || (s->sk_family == AF_INET6) != (from->family == AF_INET6))
			continue;
		sk_daddr(s, &peer);
		if (inet_addr_any(&peer) || inet_addr_equal(&peer, from))
			return s;
	}
	return NULL;
}

/* ping_rcv: skb data is an echo reply, ICMP's or ICMPv6's (its checksum
 * already checked, the identifier at the same place in both). */
bool ping_rcv(struct sk_buff *skb)
{
	struct net *net = skb->dev->net;
	const struct icmphdr *ic = (const struct icmphdr *)skb->data;
	struct inet_addr saddr, daddr;
	struct sock *sk;

	if (skb->len < sizeof(*ic))
		return false;
	skb_inet_addrs(skb, &saddr, &daddr);
	if (!(sk = ping_lookup(net, ic->un.echo.id, &saddr)))
		return false;
	if (sk->sk_receive_queue.bytes + skb->len > sk->sk_rcvbuf ||
	    (sk->sk_shutdown & RCV_SHUTDOWN) || sk_rmem_over(sk, skb->len)) {
		kfree_skb(skb);
		return true;
	}
	sk_rcvq_tail(sk, skb);
	sk_wake(sk);
	return true;
}

static void ping_err_common(struct net *net, uint16_t ident, const struct inet_addr *to, int err)
{
	struct sock *sk = ping_lookup(net, ident, to);

	if (!sk)
		return;
	sk->sk_err = err;
	sk_wake(sk);
}

/* ping_err: an ICMP error quoting one of our echo requests. */
void ping_err(struct sk_buff *skb, int type, int code, uint32_t info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct icmphdr *ic = (const struct icmphdr *)(skb->data + ip_hdrlen(iph));
	struct inet_addr to = { .family = AF_INET, .v4 = iph->daddr };

	if (ic->type != ICMP_ECHO)
		return;
	ping_err_common(skb->dev->net, ic->un.echo.id, &to, icmp_err_to_errno(type, code));
}

void ping6_err(struct net *net, const struct ipv6hdr *ip6, const unsigned char *l4,
	       unsigned int l4len, int err)
{
	struct inet_addr to = { .family = AF_INET6, .v6 = ip6->daddr };
	uint16_t ident;

	if (l4len < 8 || l4[0] != ICMPV6_ECHO_REQUEST)
		return;
	memcpy(&ident, l4 + 4, 2);
	ping_err_common(net, ident, &to, err);
}

/* ping6_send: an ICMPv6 echo request of len bytes (icmpv6_xmit fills the
 * checksum over the pseudo-header). */
static long ping6_send(struct sock *sk, struct sockmsg *msg, size_t len, const struct in6_addr *daddr)
{
	struct inet_addr d = { .family = AF_INET6, .v6 = *daddr };
	const struct in6_addr *saddr = ipv6_addr_any(&sk->sk_v6_rcv_saddr) ? NULL : &sk->sk_v6_rcv_saddr;
	unsigned char *m;

	if (((const struct icmp6hdr *)msg->data)->icmp6_type != ICMPV6_ECHO_REQUEST ||
	    ((const struct icmp6hdr *)msg->data)->icmp6_code != 0)
		return -EINVAL;
	if (!inet_route_mtu(sk->net, &d))
		return -ENETUNREACH;
	if (!(m = malloc(len)))
		return -ENOBUFS;
	memcpy(m, msg->data, len);
	memcpy(m + 4, &sk->inet_sport, 2);	/* the identifier */
	int err = icmpv6_xmit_tc(sk->net, NULL, m, (unsigned int)len, saddr, daddr, sk->ttl,
				 sk->tos, NULL, 0);
	free(m);
	return err ? -EADDRNOTAVAIL : (long)len;
}

static long ping_sendmsg(struct sock *sk, struct sockmsg *msg, size_t len)
{
	struct net *net = sk->net;
	struct icmphdr *ic;
	struct sk_buff *skb;
	uint32_t daddr;
	int err;

	if (len < sizeof(*ic))
		return -EINVAL;
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (msg->has_name && msg->name.sa.sa_family != (sk->sk_family == AF_INET6 ? AF_INET6 : AF_INET))
		return -EAFNOSUPPORT;	/* an echo socket is of one family */
	if (sk->sk_family == AF_INET6) {
		if (msg->has_name)
			return ping6_send(sk, msg, len, &msg->name.sin6.sin6_addr);
		if (!sk_has_daddr(sk))
			return -EDESTADDRREQ;
		return ping6_send(sk, msg, len, &sk->sk_v6_daddr);
	}
	if (msg->has_name)
		daddr = msg->name.sin.sin_addr.s_addr;
	else if (sk->inet_daddr)
		daddr = sk->inet_daddr;
	else
		return -EDESTADDRREQ;
	if (((const struct icmphdr *)msg->data)->type != ICMP_ECHO ||
	    ((const struct icmphdr *)msg->data)->code != 0)
		return -EINVAL;
	skb = ip_alloc_skb((unsigned int)len);
	if (!skb)
		return -ENOBUFS;
	ic = (struct icmphdr *)skb_put(skb, (unsigned int)len);
	memcpy(ic, msg->data, len);
	ic->un.echo.id = sk->inet_sport;
	ic->checksum = 0;
	ic->checksum = ip_compute_csum(ic, len);
	err = ip_build_xmit(net, skb, sk->inet_daddr == daddr ? sk->inet_saddr : sk->inet_rcv_saddr,
			    daddr, IPPROTO_ICMP, sk->ttl, sk->tos, false);
	if (err)
		return err;
	net->icmpstats.OutMsgs++;
	net->icmpstats.OutEchos++;
	return (long)len;
}

static long ping_recvmsg(struct sock *sk, struct sockmsg *msg, size_t len)
{
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);

	if (!skb)
		return -EAGAIN;
	struct inet_addr saddr, daddr;

	skb_inet_addrs(skb, &saddr, &daddr);
	inet_addr_to_sa(&saddr, 0, &msg->name);
	msg->has_name = true;
	if (daddr.family == AF_INET6)
		msg->local6 = daddr.v6;
	else
		msg->local = daddr.v4;
	msg->iov[0].iov_base = skb->data;
	msg->iov[0].iov_len = len < skb->len ? len : skb->len;
	msg->iovcnt = 1;
	msg->cookie = skb;
	return (long)msg->iov[0].iov_len;
}

static void ping_recv_done(struct sock *sk, struct sockmsg *msg, size_t used)
{
	struct sk_buff *skb = msg->cookie;

	if (msg->flags & MSG_PEEK)
		return;
	sk_rcvq_unlink(sk, skb);
	kfree_skb(skb);
}

static void ping_status(struct sock *sk, char *buf, size_t len)
{
	const char *state = (sk->sk_socket && sk->sk_socket->state == SS_CONNECTED) ? "Connected" :
		sk->bound ? "Bound" : "Closed";

	snprintf(buf, len, "%s ident %u rcvq %zu rcvbuf %u ttl %u tos %u\n", state,
		 ntohs(sk->inet_sport), sk->sk_receive_queue.bytes, sk->sk_rcvbuf, sk->ttl, sk->tos);
}

/* An ICMPv6 echo socket is IPv6's alone from the start. */
static int ping6_init(struct sock *sk)
{
	sk->sk_family = AF_INET6;
	sk->ipv6only = true;
	return 0;
}

const struct proto ping6_prot = {
	.name = "icmpv6",
	.obj_size = sizeof(struct sock),
	.init = ping6_init,
	.destroy = ping_destroy,
	.get_port = ping_get_port,
	.unhash = ping_unhash,
	.sendmsg = ping_sendmsg,
	.recvmsg = ping_recvmsg,
	.recv_done = ping_recv_done,
	.status = ping_status,
};

const struct proto ping_prot = {
	.name = "icmp",
	.obj_size = sizeof(struct sock),
	.destroy = ping_destroy,
	.get_port = ping_get_port,
	.unhash = ping_unhash,
	.sendmsg = ping_sendmsg,
	.recvmsg = ping_recvmsg,
	.recv_done = ping_recv_done,
	.status = ping_status,
};
