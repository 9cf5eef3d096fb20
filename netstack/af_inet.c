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
};

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

/* inet_sk_pick_source sets the source address for talking to daddr, unless
 * the socket is bound to one.  0 or -ENETUNREACH. */
int inet_sk_pick_source(struct sock *sk, uint32_t daddr)
{
	struct rtable rt;
	int err = ip_route_output(sk->net, daddr, &rt);

	if (err)
		return err;
	sk->inet_saddr = sk->inet_rcv_saddr ? sk->inet_rcv_saddr : rt.saddr;
	return sk->inet_saddr ? 0 : -EADDRNOTAVAIL;
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

int inet_bind(struct socket *sock, const struct sockaddr_in *addr)
{
	struct sock *sk = sock->sk;
	int err;

	if (addr->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	if (sk->bound)
		return -EINVAL;
	if (addr->sin_addr.s_addr && !inet_addr_is_local(sk->net, addr->sin_addr.s_addr))
		return -EADDRNOTAVAIL;
	sk->inet_rcv_saddr = sk->inet_saddr = addr->sin_addr.s_addr;
	err = sk->sk_prot->get_port(sk, ntohs(addr->sin_port));
	if (err) {
		sk->inet_rcv_saddr = sk->inet_saddr = 0;
		return err;
	}
	sk->bound = true;
	return 0;
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

static int inet_dgram_connect(struct socket *sock, const struct sockaddr_in *addr)
{
	struct sock *sk = sock->sk;
	int err;

	if (addr->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	if (sock->state == SS_CONNECTED)
		return -EISCONN;
	if (sk->listening)
		return -EINVAL;
	if (addr->sin_addr.s_addr == 0 || (sock->protocol == IPPROTO_UDP && addr->sin_port == 0))
		return -EINVAL;
	err = inet_sk_pick_source(sk, addr->sin_addr.s_addr);
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
	sk->inet_daddr = addr->sin_addr.s_addr;
	sk->inet_dport = addr->sin_port;
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

int inet_getname(struct socket *sock, struct sockaddr_in *addr, bool peer)
{
	struct sock *sk = sock->sk;

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	if (peer) {
		if (sock->state != SS_CONNECTED)
			return -ENOTCONN;
		addr->sin_addr.s_addr = sk->inet_daddr;
		addr->sin_port = sk->inet_dport;
		return 0;
	}
	addr->sin_addr.s_addr = sk->inet_rcv_saddr ? sk->inet_rcv_saddr :
		(sock->state == SS_CONNECTED ? sk->inet_saddr : 0);
	addr->sin_port = sk->inet_sport;
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
