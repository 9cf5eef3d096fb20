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

/* port_in_use: would binding (addr, port) clash with a socket already
 * there?  Children of an announced socket share its port and don't count. */
static bool port_in_use(struct udp_table *t, uint32_t addr, uint16_t port)
{
	for (struct sock *s = t->hash[port_hash(port)]; s; s = s->hash_next)
		if (ntohs(s->inet_sport) == port && !s->child &&
		    (!s->inet_rcv_saddr || !addr || s->inet_rcv_saddr == addr))
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
			if (!port_in_use(t, sk->inet_rcv_saddr, p)) {
				port = p;
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
	} else if (port_in_use(t, sk->inet_rcv_saddr, port)) {
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
 * daddr:dport (network order), the closest match winning. */
static struct sock *udp_lookup(struct net *net, uint32_t saddr, uint16_t sport,
			       uint32_t daddr, uint16_t dport)
{
	struct sock *best = NULL;
	int best_score = -1;

	for (struct sock *s = net->udp_table.hash[port_hash(ntohs(dport))]; s; s = s->hash_next) {
		int score = 0;
		if (s->inet_sport != dport)
			continue;
		if (s->inet_rcv_saddr) {
			if (s->inet_rcv_saddr != daddr)
				continue;
			score += 1;
		}
		if (s->inet_daddr) {
			if (s->inet_daddr != saddr || s->inet_dport != sport)
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
static struct sock *udp_spawn_child(struct sock *parent, uint32_t peer, uint16_t pport, uint32_t local)
{
	struct sock *child;

	if (parent->sk_ack_backlog >= parent->sk_max_ack_backlog)
		return NULL;
	child = sk_alloc(parent->net, parent->sk_prot);
	if (!child)
		return NULL;
	sk_inherit(child, parent);
	child->inet_saddr = local;
	child->inet_daddr = peer;
	child->inet_dport = pport;
	child->child = true;
	udp_table_insert(&parent->net->udp_table, child);
	sk_accept_enqueue(parent, child);
	sk_wake(parent);
	return child;
}

static void udp_rcv(struct sk_buff *skb)
{
	struct net *net = skb->dev->net;
	struct udpstats *st = &net->udpstats;
	const struct iphdr *iph = ip_hdr(skb);
	const struct udphdr *uh = (const struct udphdr *)skb->data;
	unsigned int ulen;
	struct sock *sk;

	if (skb->len < sizeof(*uh)) {
		st->InBadLength++;
		goto error;
	}
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || ulen > skb->len) {
		st->InBadLength++;
		goto error;
	}
	skb_trim(skb, ulen);
	/* A zero checksum means the sender computed none (RFC 768). */
	if (uh->check && !skb_csum_unnecessary(skb) && csum_fold(csum_tcpudp_nofold(iph->saddr, iph->daddr, ulen, IPPROTO_UDP,
						       csum_partial(skb->data, ulen, 0))) != 0) {
		st->InCsumErrors++;
		goto error;
	}
	sk = udp_lookup(net, iph->saddr, uh->source, iph->daddr, uh->dest);
	if (!sk) {
		st->NoPorts++;
		icmp_send(net, skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
		kfree_skb(skb);
		return;
	}
	if (sk->listening && !sk->headers && !sk->inet_daddr) {
		/* The child answers from the address the peer used, unless
		 * that was a broadcast (RFC 1122 §4.1.3.5). */
		uint32_t local = inet_addr_is_local(net, iph->daddr) ? iph->daddr : 0;
		struct sock *child = udp_spawn_child(sk, iph->saddr, uh->source, local);
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
	return;
error:
	st->InErrors++;
	kfree_skb(skb);
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

/* udp_err: an ICMP error about a datagram we sent.  As in Linux, only a
 * connected socket hears of it (RFC 1122 §4.1.3.3). */
static void udp_err(struct sk_buff *skb, int type, int code, uint32_t info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct udphdr *uh = (const struct udphdr *)(skb->data + ip_hdrlen(iph));
	struct net *net = skb->dev->net;
	struct sock *sk = udp_lookup(net, iph->daddr, uh->dest, iph->saddr, uh->source);

	if (!sk || !sk->inet_daddr || !sk->sk_socket || sk->sk_socket->state != SS_CONNECTED)
		return;
	sk->sk_err = icmp_err_to_errno(type, code);
	sk_wake(sk);
}

/* udp_sendmsg sends one datagram of len bytes from msg->data. */
static long udp_sendmsg(struct sock *sk, struct sockmsg *msg, size_t len)
{
	struct net *net = sk->net;
	uint32_t daddr, saddr;
	uint16_t dport;
	struct rtable rt;
	struct sk_buff *skb;
	struct udphdr *uh;
	int err;

	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (msg->has_name) {
		daddr = msg->name.sin_addr.s_addr;
		dport = msg->name.sin_port;
		if (!daddr || !dport)
			return -EINVAL;
	} else if (sk->inet_daddr) {
		daddr = sk->inet_daddr;
		dport = sk->inet_dport;
	} else {
		return -EDESTADDRREQ;
	}
	err = ip_route_output(net, daddr, &rt);
	if (err)
		return err;
	saddr = sk->inet_rcv_saddr ? sk->inet_rcv_saddr :
		(msg->local && inet_addr_is_local(net, msg->local)) ? msg->local :
		(sk->inet_daddr == daddr && sk->inet_saddr) ? sk->inet_saddr : rt.saddr;
	if (!saddr)
		return -EADDRNOTAVAIL;
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
	uh->check = csum_fold(csum_tcpudp_nofold(saddr, daddr, skb->len, IPPROTO_UDP,
						 csum_partial(skb->data, skb->len, 0)));
	if (uh->check == 0)
		uh->check = 0xffff;	/* 0 would mean "no checksum" */
	err = ip_build_xmit(net, skb, saddr, daddr, IPPROTO_UDP, sk->ttl, sk->tos, false);
	if (err)
		return err;
	net->udpstats.OutDatagrams++;
	return (long)len;
}

/* udp_recvmsg points msg at the oldest datagram, cut to len. */
static long udp_recvmsg(struct sock *sk, struct sockmsg *msg, size_t len)
{
	struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);
	const struct iphdr *iph;
	const struct udphdr *uh;

	if (!skb)
		return -EAGAIN;
	iph = ip_hdr(skb);
	uh = (const struct udphdr *)skb_transport_header(skb);
	memset(&msg->name, 0, sizeof(msg->name));
	msg->name.sin_family = AF_INET;
	msg->name.sin_addr.s_addr = iph->saddr;
	msg->name.sin_port = uh->source;
	msg->has_name = true;
	msg->local = iph->daddr;
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
