/* AF_INET: inet_create picks a protocol from the inetsw table, and
 * inet_dgram_ops are the socket calls of the datagram protocols (UDP and
 * ICMP echo), which differ only in their struct proto. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"
#include "sock.h"

struct inet_protosw {
	short type, protocol;
	const struct proto *prot;
	const struct proto_ops *ops;
};

static const struct inet_protosw inetsw[] = {
	{ SOCK_STREAM, IPPROTO_TCP, &tcp_prot, &inet_stream_ops },
	{ SOCK_DGRAM, IPPROTO_UDP, &udp_prot, &inet_dgram_ops },
	{ SOCK_DGRAM, IPPROTO_ICMP, &ping_prot, &inet_dgram_ops },
	{ SOCK_DGRAM, IPPROTO_ICMPV6, &ping6_prot, &inet_dgram_ops },
};

/* inet_family_ok: an echo socket takes its own family's addresses only. */
static bool inet_family_ok(const struct socket *sock, const struct inet_addr *a)
{
	if (sock->protocol == IPPROTO_ICMP)
		return a->family == AF_INET;
	if (sock->protocol == IPPROTO_ICMPV6)
		return a->family == AF_INET6;
	return true;
}

void inet_init(struct net *net)
{
	tcp_init(net);
	udp_init(net);
	ping_init(net);
}

static int inet_create(struct net *net, struct socket *sock, int type, int protocol)
{
	for (size_t i = 0; i < sizeof(inetsw) / sizeof(inetsw[0]); i++) {
		const struct inet_protosw *sw = &inetsw[i];
		struct sock *sk;
		if (sw->type != type || (protocol && sw->protocol != protocol))
			continue;
		sk = sk_alloc(net, sw->prot);
		if (!sk)
			return -ENOMEM;
		sock->type = (short)type;
		sock->protocol = sw->protocol;
		sock->ops = sw->ops;
		sock_graft(sk, sock);
		return 0;
	}
	return -EPROTONOSUPPORT;
}

int sock_create(struct net *net, int type, int protocol, struct socket **res)
{
	struct socket *sock = sock_alloc(net);
	int err;

	if (!sock)
		return -ENOMEM;
	err = inet_create(net, sock, type, protocol);
	if (err) {
		sock_release(sock);
		return err;
	}
	*res = sock;
	return 0;
}

static int inet_release(struct socket *sock)
{
	struct sock *sk = sock->sk, *child;

	if (!sk)
		return 0;
	while ((child = sk_accept_dequeue(sk)) != NULL) {
		child->sk_prot->destroy(child);
		sk_free(child);
	}
	sk->sk_prot->destroy(sk);
	sk_free(sk);
	sock->sk = NULL;
	return 0;
}

/* inet_addr_is_ours: one of our addresses, in either family; an IPv6
 * one still in DAD may be bound (it will be ours), one that failed DAD
 * may not. */
static bool inet_addr_is_ours(struct net *net, const struct inet_addr *a)
{
	if (a->family == AF_INET6) {
		const struct inet6_ifaddr *ifa = ipv6_get_ifaddr(net, &a->v6);
		return ifa && ifa->state != IFA6_DADFAILED;
	}
	return inet_addr_is_local(net, a->v4);
}

int inet_bind(struct socket *sock, const union inet_sockaddr *addr)
{
	struct sock *sk = sock->sk;
	struct inet_addr a;
	sa_family_t family = sk->sk_family;
	uint16_t port;
	int err;

	if ((err = inet_addr_from_sa(addr, &a, &port)) != 0)
		return err;
	if (sk->bound)
		return -EINVAL;
	if (!inet_family_ok(sock, &a))
		return -EAFNOSUPPORT;
	if (!inet_addr_any(&a) && !inet_addr_is_ours(sk->net, &a))
		return -EADDRNOTAVAIL;
	sk_set_rcv_saddr(sk, &a);
	sk_set_saddr(sk, &a);
	err = sk->sk_prot->get_port(sk, ntohs(port));
	if (err) {
		/* As it was: no address, its family. */
		memset(&sk->sk_v6_rcv_saddr, 0, sizeof(sk->sk_v6_rcv_saddr));
		memset(&sk->sk_v6_saddr, 0, sizeof(sk->sk_v6_saddr));
		sk->inet_rcv_saddr = sk->inet_saddr = 0;
		sk->sk_family = family;
		return err;
	}
	sk->bound = true;
	return 0;
}

/* inet_sk_make_dual: a socket that was given no address at all takes
 * both families once IPv6 runs (an AF_INET6 socket bound to ::, as a
 * Linux AF_INET6 socket is), so that a datagram socket in headers mode
 * can send to either. */
void inet_sk_make_dual(struct sock *sk)
{
	if (sk->bound || sk->sk_family == AF_INET6 || sk->inet_rcv_saddr || sk->inet_saddr ||
	    sk->inet_daddr || !inet6_enabled(sk->net) || sk->sk_prot == &ping_prot)
		return;
	sk->sk_family = AF_INET6;
	sk->ipv6only = false;
	memset(&sk->sk_v6_rcv_saddr, 0, sizeof(sk->sk_v6_rcv_saddr));
	memset(&sk->sk_v6_saddr, 0, sizeof(sk->sk_v6_saddr));
}

int inet_autobind(struct sock *sk)
{
	int err;

	if (sk->bound)
		return 0;
	err = sk->sk_prot->get_port(sk, 0);
	if (!err)
		sk->bound = true;
	return err;
}

static int inet_dgram_connect(struct socket *sock, const union inet_sockaddr *addr)
{
	struct sock *sk = sock->sk;
	struct inet_addr a;
	uint16_t port;
	int err;

	if ((err = inet_addr_from_sa(addr, &a, &port)) != 0)
		return err;
	if (!inet_family_ok(sock, &a))
		return -EAFNOSUPPORT;
	if (sock->state == SS_CONNECTED)
		return -EISCONN;
	if (sk->listening)
		return -EINVAL;
	if (inet_addr_any(&a) || (sock->protocol == IPPROTO_UDP && port == 0))
		return -EINVAL;
	err = inet_sk_pick_source(sk, &a, NULL);
	if (err)
		return err;
	err = inet_autobind(sk);
	if (err)
		return err;
	if (sk->sk_prot->connect) {
		err = sk->sk_prot->connect(sk, addr);
		if (err)
			return err;
	}
	sk_set_daddr(sk, &a);
	sk->inet_dport = port;
	sock->state = SS_CONNECTED;
	return 0;
}

static int inet_dgram_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err;

	if (sock->state == SS_CONNECTED)
		return -EISCONN;
	err = inet_autobind(sk);
	if (err)
		return err;
	sk->listening = true;
	sk->sk_max_ack_backlog = backlog;
	return 0;
}

int inet_accept(struct socket *sock, struct socket **newsock)
{
	struct sock *sk = sock->sk, *child;
	struct socket *ns;

	if (!sk->listening)
		return -EINVAL;
	if (!sk->sk_prot->accept || !(child = sk->accept_head))
		return -EAGAIN;
	ns = sock_alloc(sock->net);
	if (!ns)
		return -ENOMEM;
	child = sk->sk_prot->accept(sk);
	ns->type = sock->type;
	ns->protocol = sock->protocol;
	ns->ops = sock->ops;
	ns->state = SS_CONNECTED;
	sock_graft(child, ns);
	*newsock = ns;
	return 0;
}

int inet_getname(struct socket *sock, union inet_sockaddr *addr, bool peer)
{
	struct sock *sk = sock->sk;
	struct inet_addr a;

	if (peer) {
		if (sock->state != SS_CONNECTED)
			return -ENOTCONN;
		sk_daddr(sk, &a);
		inet_addr_to_sa(&a, sk->inet_dport, addr);
		return 0;
	}
	sk_rcv_saddr(sk, &a);
	if (inet_addr_any(&a) && sock->state == SS_CONNECTED)
		sk_saddr(sk, &a);
	inet_addr_to_sa(&a, sk->inet_sport, addr);
	return 0;
}

static unsigned int inet_dgram_poll(struct socket *sock)
{
	struct sock *sk = sock->sk;
	unsigned int mask = 0;

	if (sk->sk_err)
		mask |= SOCK_POLLERR;
	if (!skb_queue_empty(&sk->sk_receive_queue) || sk->accept_head ||
	    (sk->sk_shutdown & RCV_SHUTDOWN))
		mask |= SOCK_POLLIN;
	if (sk->sk_shutdown == SHUTDOWN_MASK)
		mask |= SOCK_POLLHUP;
	if (!(sk->sk_shutdown & SEND_SHUTDOWN))
		mask |= SOCK_POLLOUT;
	return mask;
}

static int inet_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (sock->state != SS_CONNECTED)
		return -ENOTCONN;
	sk->sk_shutdown |= (uint8_t)(how + 1);	/* SHUT_RD 0 -> 1, WR 1 -> 2, RDWR 2 -> 3 */
	sk_wake(sk);
	return 0;
}

static long inet_sendmsg(struct socket *sock, struct sockmsg *msg, size_t len)
{
	struct sock *sk = sock->sk;
	int err;

	if (sk->sk_shutdown & SEND_SHUTDOWN)
		return -EPIPE;
	if ((err = sock_error(sk)) != 0)
		return err;
	inet_sk_make_dual(sk);
	if ((err = inet_autobind(sk)) != 0)
		return err;
	return sk->sk_prot->sendmsg(sk, msg, len);
}

static long inet_recvmsg(struct socket *sock, struct sockmsg *msg, size_t len)
{
	struct sock *sk = sock->sk;
	long n;
	int err;

	if ((err = sock_error(sk)) != 0)
		return err;
	n = sk->sk_prot->recvmsg(sk, msg, len);
	if (n == -EAGAIN && (sk->sk_shutdown & RCV_SHUTDOWN))
		return 0;
	return n;
}

static void inet_recv_done(struct socket *sock, struct sockmsg *msg, size_t used)
{
	sock->sk->sk_prot->recv_done(sock->sk, msg, used);
}

int inet_setsockopt(struct socket *sock, enum sockopt opt, int val)
{
	struct sock *sk = sock->sk;

	switch (opt) {
	case SOCKOPT_SNDBUF:
	case SOCKOPT_RCVBUF:
		if (val < 0)
			return -EINVAL;
		/* Clamped, as Linux clamps SO_RCVBUF, rather than refused. */
		if ((unsigned int)val < SOCK_MIN_BUF)
			val = SOCK_MIN_BUF;
		if ((unsigned int)val > SOCK_MAX_BUF)
			val = SOCK_MAX_BUF;
		if (opt == SOCKOPT_SNDBUF)
			sk->sk_sndbuf = (unsigned int)val;
		else
			sk->sk_rcvbuf = (unsigned int)val;
		return 0;
	case SOCKOPT_TTL:
		if (val < 1 || val > 255)
			return -EINVAL;
		sk->ttl = (uint8_t)val;
		return 0;
	case SOCKOPT_TOS:
		if (val < 0 || val > 255)
			return -EINVAL;
		sk->tos = (uint8_t)val;
		return 0;
	case SOCKOPT_HEADERS:
		if (sock->protocol != IPPROTO_UDP)
			return -ENOPROTOOPT;
		sk->headers = val != 0;
		return 0;
	case SOCKOPT_V6ONLY:
		/* Before a bind, as Linux's IPV6_V6ONLY; a bind to :: then
		 * takes IPv6 alone. */
		if (sk->bound)
			return -EINVAL;
		sk->ipv6only = val != 0;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int inet_dgram_close(struct socket *sock, bool abort)
{
	return 0;	/* nothing to exchange: the holder releases it */
}

static bool inet_dgram_finished(struct socket *sock)
{
	return false;	/* a datagram socket lasts until it is closed */
}

void inet_status(struct socket *sock, char *buf, size_t len)
{
	sock->sk->sk_prot->status(sock->sk, buf, len);
}

const struct proto_ops inet_dgram_ops = {
	.release = inet_release,
	.close = inet_dgram_close,
	.finished = inet_dgram_finished,
	.bind = inet_bind,
	.connect = inet_dgram_connect,
	.listen = inet_dgram_listen,
	.accept = inet_accept,
	.getname = inet_getname,
	.poll = inet_dgram_poll,
	.shutdown = inet_shutdown,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
	.recv_done = inet_recv_done,
	.setsockopt = inet_setsockopt,
	.status = inet_status,
};
