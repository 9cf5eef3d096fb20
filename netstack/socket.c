/* The socket layer's common parts: allocation, the accept queue, and
 * deferred wakeups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "sock.h"

struct socket *sock_alloc(struct net *net)
{
	struct socket *sock = calloc(1, sizeof(*sock));

	if (sock) {
		sock->net = net;
		sock->state = SS_UNCONNECTED;
		net->mem.sockets++;
	}
	return sock;
}

/* sock_release closes the protocol side and frees the socket.  A wakeup
 * still pending for it is dropped. */
void sock_release(struct socket *sock)
{
	struct net *net = sock->net;

	if (sock->ops)
		sock->ops->release(sock);
	if (sock->wake_pending) {
		struct socket **pp = &net->wake_head, *prev = NULL;
		while (*pp != sock) {
			prev = *pp;
			pp = &(*pp)->wake_next;
		}
		*pp = sock->wake_next;
		if (net->wake_tail == sock)
			net->wake_tail = prev;
	}
	net->mem.sockets--;
	free(sock);
}

struct sock *sk_alloc(struct net *net, const struct proto *prot)
{
	struct sock *sk = calloc(1, prot->obj_size);

	if (!sk)
		return NULL;
	sk->net = net;
	sk->sk_prot = prot;
	sk->ttl = IP_DEFAULT_TTL;
	sk->sk_family = AF_INET;
	sk->sk_rcvbuf = SOCK_DEFAULT_RCVBUF;
	sk->sk_sndbuf = SOCK_DEFAULT_SNDBUF;
	skb_queue_head_init(&sk->sk_receive_queue);
	if (prot->init && prot->init(sk)) {
		free(sk);
		return NULL;
	}
	net->mem.socks++;
	return sk;
}

void sk_free(struct sock *sk)
{
	sk_rcvq_purge(sk);
	sk->net->mem.socks--;
	free(sk);
}

/* A datagram socket's receive queue is charged to net->mem.buffered, as
 * TCP's rings are, so many sockets each within sk_rcvbuf cannot together
 * exceed net->limits.buffered.  A datagram is dropped, not waited for,
 * from 7/8 of the cap on, where TCP drops what can be sent again. */
bool sk_rmem_over(struct sock *sk, unsigned int len)
{
	const struct net *net = sk->net;

	return net->mem.buffered + len > net->limits.buffered - net->limits.buffered / 8;
}

void sk_rcvq_tail(struct sock *sk, struct sk_buff *skb)
{
	sk->net->mem.buffered += skb->len;
	skb_queue_tail(&sk->sk_receive_queue, skb);
}

void sk_rcvq_unlink(struct sock *sk, struct sk_buff *skb)
{
	sk->net->mem.buffered -= skb->len;
	skb_unlink(skb, &sk->sk_receive_queue);
}

void sk_rcvq_purge(struct sock *sk)
{
	sk->net->mem.buffered -= sk->sk_receive_queue.bytes;
	skb_queue_purge(&sk->sk_receive_queue);
}

void sock_graft(struct sock *sk, struct socket *sock)
{
	sk->sk_socket = sock;
	sock->sk = sk;
}

void sock_wake(struct socket *sock)
{
	struct net *net = sock->net;

	if (sock->wake_pending || !sock->wakeup)
		return;
	sock->wake_pending = true;
	sock->wake_next = NULL;
	if (net->wake_tail)
		net->wake_tail->wake_next = sock;
	else
		net->wake_head = sock;
	net->wake_tail = sock;
}

void sk_wake(struct sock *sk)
{
	if (sk->sk_socket)
		sock_wake(sk->sk_socket);
}

/* net_run_wakeups delivers the pending wakeups.  A wakeup may cause more
 * (a reply frees buffer space...): they are delivered in this same call. */
void net_run_wakeups(struct net *net)
{
	struct socket *sock;

	while ((sock = net->wake_head) != NULL) {
		net->wake_head = sock->wake_next;
		if (!net->wake_head)
			net->wake_tail = NULL;
		sock->wake_pending = false;
		sock->wakeup(sock);	/* may release sock */
	}
}

int sock_error(struct sock *sk)
{
	int err = sk->sk_err;

	sk->sk_err = 0;
	return -err;
}

void sk_accept_enqueue(struct sock *parent, struct sock *child)
{
	child->parent = parent;
	child->accept_next = NULL;
	if (parent->accept_tail)
		parent->accept_tail->accept_next = child;
	else
		parent->accept_head = child;
	parent->accept_tail = child;
	parent->sk_ack_backlog++;
}

struct sock *sk_accept_dequeue(struct sock *parent)
{
	struct sock *child = parent->accept_head;

	if (!child)
		return NULL;
	parent->accept_head = child->accept_next;
	if (!parent->accept_head)
		parent->accept_tail = NULL;
	parent->sk_ack_backlog--;
	child->accept_next = NULL;
	child->parent = NULL;
	return child;
}

/* sk_inherit gives a connection made on a listener (TCP's accept, UDP's
 * socket per peer) what the listener was set up with: its local address
 * and port, buffer sizes, TTL and TOS. */
void sk_inherit(struct sock *child, const struct sock *parent)
{
	child->inet_rcv_saddr = parent->inet_rcv_saddr;
	child->sk_v6_rcv_saddr = parent->sk_v6_rcv_saddr;
	child->sk_family = parent->sk_family;
	child->ipv6only = parent->ipv6only;
	child->inet_sport = parent->inet_sport;
	child->sk_rcvbuf = parent->sk_rcvbuf;
	child->sk_sndbuf = parent->sk_sndbuf;
	child->ttl = parent->ttl;
	child->tos = parent->tos;
	child->bound = true;
}
