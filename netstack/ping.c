/* ICMP echo sockets, after Linux's ping.c: a datagram socket whose
 * "port" is the echo identifier.  A write is an ICMP echo request (type,
 * code, id, sequence, data); the stack puts in the identifier and the
 * checksum.  A read is an echo reply with this socket's identifier, from the
 * connected address if there is one. */
#include <errno.h>
#include <stdio.h>
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

static struct sock *ping_lookup(struct net *net, uint16_t ident, uint32_t from)
{
	for (struct sock *s = net->ping_table.hash[ntohs(ident) % UDP_HTABLE]; s; s = s->hash_next)
		if (s->inet_sport == ident && (!s->inet_daddr || s->inet_daddr == from))
			return s;
	return NULL;
}

/* ping_rcv: skb data is an echo reply (checksum already checked). */
bool ping_rcv(struct sk_buff *skb)
{
	struct net *net = skb->dev->net;
	const struct icmphdr *ic = (const struct icmphdr *)skb->data;
	struct sock *sk = ping_lookup(net, ic->un.echo.id, ip_hdr(skb)->saddr);

	if (!sk)
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

/* ping_err: an ICMP error quoting one of our echo requests. */
void ping_err(struct sk_buff *skb, int type, int code, uint32_t info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct icmphdr *ic = (const struct icmphdr *)(skb->data + ip_hdrlen(iph));
	struct sock *sk;

	if (ic->type != ICMP_ECHO)
		return;
	sk = ping_lookup(skb->dev->net, ic->un.echo.id, iph->daddr);
	if (!sk)
		return;
	sk->sk_err = icmp_err_to_errno(type, code);
	sk_wake(sk);
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
	if (msg->has_name && msg->name.sa.sa_family != AF_INET)
		return -EAFNOSUPPORT;	/* ICMPv6 echo sockets: not yet */
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
	memset(&msg->name, 0, sizeof(msg->name));
	msg->name.sin.sin_family = AF_INET;
	msg->name.sin.sin_addr.s_addr = ip_hdr(skb)->saddr;
	msg->has_name = true;
	msg->local = ip_hdr(skb)->daddr;
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
