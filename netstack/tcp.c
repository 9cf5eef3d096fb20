/* TCP, the user side (RFC 9293 §3.10.1-§3.10.6: OPEN, SEND, RECEIVE,
 * CLOSE, ABORT, STATUS), as the proto and proto_ops of a stream socket. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"
#include "tcp.h"

static int tcp_init_sock(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	sk->sk_state = TCP_CLOSED;
	sk->sk_rcvbuf = TCP_DEFAULT_RCVBUF;
	sk->sk_sndbuf = TCP_DEFAULT_SNDBUF;
	tp->mss = TCP_DEFAULT_MSS;
	tp->advmss = TCP_DEFAULT_MSS;
	tp->rto = TCP_INIT_RTO_US;
	tp->ssthresh = UINT32_MAX;
	tp->keepalive_idle = 120000000ull;
	skb_queue_head_init(&tp->ofo);
	tcp_init_timers(tp);
	return 0;
}

/* The most a sock holds when nobody will use it again. */
static void tcp_destroy(struct sock *sk)
{
	if (sk->sk_state == TCP_SYN_RECV || sk->sk_state == TCP_ESTABLISHED ||
	    sk->sk_state == TCP_CLOSE_WAIT)
		tcp_send_active_reset(sk);
	tcp_destroy_sock(sk);
	del_timer(&sk->net->timers, &tcp_sk(sk)->timewait_timer);
}

static struct sock *tcp_accept(struct sock *sk)
{
	return sk_accept_dequeue(sk);
}

static int tcp_alloc_rings(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->sndq.buf && bring_init(&tp->sndq, sk->sk_sndbuf))
		return -ENOMEM;
	if (!tp->rcvq.buf && bring_init(&tp->rcvq, sk->sk_rcvbuf))
		return -ENOMEM;
	return 0;
}

/* tcp_reset_for_retry forgets a connect that failed (refused, timed out,
 * unreachable) so the socket can try again, on the same local port. */
static int tcp_reset_for_retry(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct byte_ring sndq = tp->sndq, rcvq = tp->rcvq;
	uint16_t port = ntohs(sk->inet_sport);
	uint32_t saddr = sk->inet_rcv_saddr;
	unsigned int rcvbuf = sk->sk_rcvbuf, sndbuf = sk->sk_sndbuf;
	bool nodelay = tp->nodelay, keepalive = tp->keepalive;
	uint64_t idle = tp->keepalive_idle;

	skb_queue_purge(&tp->ofo);
	tcp_clear_timers(tp);
	del_timer(&sk->net->timers, &tp->timewait_timer);
	memset((char *)tp + sizeof(struct sock), 0, sizeof(*tp) - sizeof(struct sock));
	tcp_init_sock(sk);
	sk->sk_rcvbuf = rcvbuf;	/* what the user set stays */
	sk->sk_sndbuf = sndbuf;
	tp->nodelay = nodelay;
	tp->keepalive = keepalive;
	tp->keepalive_idle = idle;
	sndq.head = sndq.len = rcvq.head = rcvq.len = 0;
	tp->sndq = sndq;
	tp->rcvq = rcvq;
	sk->sk_err = 0;
	sk->sk_shutdown = 0;
	sk->inet_daddr = 0;
	sk->inet_dport = 0;
	sk->inet_rcv_saddr = sk->inet_saddr = saddr;
	if (!sk->hashed && sk->bound) {
		int err = tcp_get_port(sk, port);
		if (err)
			return err;
	}
	return 0;
}

/* OPEN, active: send a SYN; the connection completes in tcp_input.c. */
static int tcp_stream_connect(struct socket *sock, const struct sockaddr_in *addr)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;
	struct rtable rt;
	int err;

	if (addr->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	switch (sk->sk_state) {
	case TCP_CLOSED:
		break;
	case TCP_SYN_SENT:
		return -EALREADY;
	case TCP_LISTEN:
		return -EINVAL;
	default:
		return -EISCONN;
	}
	if (sock->state == SS_CONNECTED)
		return -EISCONN;	/* a socket connects once */
	if (tp->snd_max && (err = tcp_reset_for_retry(sk)) != 0)
		return err;		/* an attempt failed: try again, as Linux allows */
	if (!addr->sin_addr.s_addr || !addr->sin_port)
		return -EINVAL;
	if ((err = ip_route_output(net, addr->sin_addr.s_addr, &rt)) != 0)
		return err;
	if ((err = inet_sk_pick_source(sk, addr->sin_addr.s_addr)) != 0)
		return err;
	if ((err = inet_autobind(sk)) != 0)
		return err;
	if ((err = tcp_alloc_rings(sk)) != 0)
		return err;
	sk->inet_daddr = addr->sin_addr.s_addr;
	sk->inet_dport = addr->sin_port;
	tp->advmss = (uint16_t)((rt.dev ? rt.dev->mtu : 1500) - 40);
	tp->iss = tcp_isn(net, sk->inet_saddr, sk->inet_sport, sk->inet_daddr, sk->inet_dport);
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->snd_max = tp->iss + 1;
	tp->rcv_wscale = 0;
	while (tp->rcv_wscale < TCP_MAX_WSCALE && (tp->rcvq.cap >> tp->rcv_wscale) > 65535)
		tp->rcv_wscale++;
	tp->wscale_ok = true;	/* offered; kept if the peer offers too */
	tp->tstamp_ok = true;
	tp->ts_offset = tcp_ts_off(net, sk->inet_saddr, sk->inet_daddr);
	tp->rtt_start = net->now;
	net->tcpstats.ActiveOpens++;
	tcp_set_state(sk, TCP_SYN_SENT);
	sock->state = SS_CONNECTING;
	tcp_send_syn(sk);
	tcp_reset_rexmit_timer(sk);
	return -EINPROGRESS;
}

/* OPEN, passive. */
static int tcp_stream_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err;

	if (sk->sk_state != TCP_CLOSED || sock->state != SS_UNCONNECTED)
		return sk->sk_state == TCP_LISTEN ? 0 : -EISCONN;
	if ((err = inet_autobind(sk)) != 0)
		return err;
	sk->listening = true;
	sk->sk_max_ack_backlog = backlog;
	tcp_set_state(sk, TCP_LISTEN);
	return 0;
}

/* CLOSE (graceful) or ABORT. */
static int tcp_close_sk(struct sock *sk, bool abort)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->user_closed = true;
	switch (sk->sk_state) {
	case TCP_CLOSED:
		return 0;
	case TCP_LISTEN:
	case TCP_SYN_SENT:
		tcp_done(sk);
		return 0;
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		if (abort || tp->rcvq.len) {
			/* Unread data would be lost: the peer must know
			 * (RFC 2525 §2.17), as Linux does. */
			tcp_send_active_reset(sk);
			tcp_done(sk);
			return 0;
		}
		tp->fin_queued = true;
		sk->sk_shutdown |= SEND_SHUTDOWN;
		tcp_set_state(sk, sk->sk_state == TCP_CLOSE_WAIT ? TCP_LAST_ACK : TCP_FIN_WAIT1);
		tcp_write_xmit(sk);
		return 0;
	default:
		if (abort) {
			if (sk->sk_state != TCP_TIME_WAIT)
				tcp_send_active_reset(sk);
			tcp_done(sk);
		}
		return 0;
	}
}

/* The close and hangup commands. */
static int tcp_stream_close(struct socket *sock, bool abort)
{
	return tcp_close_sk(sock->sk, abort);
}

static bool tcp_stream_finished(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);

	if (sk->sk_state == TCP_CLOSED)
		return tp->snd_max != 0 || sk->sk_err || tp->user_closed;	/* was used */
	if (sk->sk_state == TCP_TIME_WAIT)
		return true;
	return tp->fin_rcvd && tp->eof_seen && !tp->rcvq.len;
}

/* release: the socket lets go.  What still has to be said (queued data,
 * FIN) goes on as an orphan; children never accepted are reset. */
static int tcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk, *child;
	struct tcp_sock *tp;
	struct net *net;

	if (!sk)
		return 0;
	tp = tcp_sk(sk);
	net = sk->net;
	while ((child = sk_accept_dequeue(sk)) != NULL) {
		tcp_destroy(child);
		sk_free(child);
	}
	if (sk->sk_state == TCP_LISTEN) {
		/* half-open children point at us */
		for (int h = 0; h < UDP_HTABLE; h++)
			for (struct sock *s = net->tcp_hash[h], *next; s; s = next) {
				next = s->hash_next;
				if (s->parent == sk && s->sk_state == TCP_SYN_RECV) {
					tcp_destroy(s);
					sk_free(s);
				}
			}
	}
	if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT ||
	    sk->sk_state == TCP_SYN_RECV)
		tcp_close_sk(sk, false);
	sock->sk = NULL;
	sk->sk_socket = NULL;
	switch (sk->sk_state) {
	case TCP_CLOSED:
	case TCP_LISTEN:
	case TCP_SYN_SENT:
		tcp_destroy_sock(sk);
		del_timer(&net->timers, &tp->timewait_timer);
		sk_free(sk);
		return 0;
	}
	tp->orphan = true;
	if (sk->sk_state == TCP_FIN_WAIT2 && !timer_pending(&tp->timewait_timer))
		mod_timer(&net->timers, &tp->timewait_timer, net->now + TCP_FIN_TIMEOUT_US);
	return 0;
}

static unsigned int tcp_stream_poll(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int mask = 0;

	if (sk->sk_err)
		mask |= SOCK_POLLERR;
	if (sk->sk_state == TCP_LISTEN)
		return sk->accept_head ? SOCK_POLLIN : 0;
	if (tp->rcvq.len || tp->fin_rcvd || (sk->sk_shutdown & RCV_SHUTDOWN) ||
	    (sk->sk_state == TCP_CLOSED && tp->snd_max))
		mask |= SOCK_POLLIN;
	if (sk->sk_state == TCP_CLOSED && tp->snd_max)
		mask |= SOCK_POLLHUP;
	if ((sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT) &&
	    !(sk->sk_shutdown & SEND_SHUTDOWN) && bring_space(&tp->sndq) > 0)
		mask |= SOCK_POLLOUT;
	return mask;
}

static int tcp_stream_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (sk->sk_state == TCP_CLOSED || sk->sk_state == TCP_LISTEN || sk->sk_state == TCP_SYN_SENT)
		return -ENOTCONN;
	if (how != SHUT_WR)
		sk->sk_shutdown |= RCV_SHUTDOWN;
	if (how != SHUT_RD && !(sk->sk_shutdown & SEND_SHUTDOWN)) {
		sk->sk_shutdown |= SEND_SHUTDOWN;
		if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_SYN_RECV ||
		    sk->sk_state == TCP_CLOSE_WAIT) {
			tp->fin_queued = true;
			tcp_set_state(sk, sk->sk_state == TCP_CLOSE_WAIT ? TCP_LAST_ACK : TCP_FIN_WAIT1);
			tcp_write_xmit(sk);
		}
	}
	sk_wake(sk);
	return 0;
}

/* SEND: into the send ring, as much as fits. */
static long tcp_stream_sendmsg(struct socket *sock, struct sockmsg *msg, size_t len)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t n;

	if (sk->sk_err)
		return sock_error(sk);
	if (sk->sk_shutdown & SEND_SHUTDOWN)
		return -EPIPE;
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return -EAGAIN;
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		break;
	default:
		return tp->snd_max ? -EPIPE : -ENOTCONN;
	}
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	n = bring_write(&tp->sndq, msg->data, (uint32_t)len);
	if (!n)
		return -EAGAIN;
	tcp_write_xmit(sk);
	return n;
}

/* RECEIVE: point at the ring, no copy; tcp_stream_recv_done consumes. */
static long tcp_stream_recvmsg(struct socket *sock, struct sockmsg *msg, size_t len)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	struct byte_ring *r = &tp->rcvq;
	uint32_t n, first;

	if (r->len) {
		n = len < r->len ? (uint32_t)len : r->len;
		first = r->cap - r->head < n ? r->cap - r->head : n;
		msg->iov[0].iov_base = r->buf + r->head;
		msg->iov[0].iov_len = first;
		msg->iov[1].iov_base = r->buf;
		msg->iov[1].iov_len = n - first;
		msg->iovcnt = n > first ? 2 : 1;
		return n;
	}
	if (sk->sk_err)
		return sock_error(sk);
	if (tp->fin_rcvd || (sk->sk_shutdown & RCV_SHUTDOWN)) {
		tp->eof_seen = true;
		return 0;
	}
	if (sk->sk_state == TCP_CLOSED)
		return tp->snd_max ? 0 : -ENOTCONN;
	if (sk->sk_state == TCP_LISTEN)
		return -ENOTCONN;
	return -EAGAIN;
}

static void tcp_stream_recv_done(struct socket *sock, struct sockmsg *msg, size_t used)
{
	struct sock *sk = sock->sk;

	if (msg->flags & MSG_PEEK)
		return;
	bring_consume(&tcp_sk(sk)->rcvq, (uint32_t)used);
	tcp_window_update(sk);
}

static int tcp_stream_setsockopt(struct socket *sock, enum sockopt opt, int val)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);

	switch (opt) {
	case SOCKOPT_SNDBUF:
	case SOCKOPT_RCVBUF:
		/* The rings are made at connect and keep their size. */
		if (tp->sndq.buf || tp->rcvq.buf)
			return -EISCONN;
		if (val < (int)SOCK_MIN_BUF)
			val = SOCK_MIN_BUF;
		if (opt == SOCKOPT_SNDBUF)
			sk->sk_sndbuf = (unsigned int)val;
		else
			sk->sk_rcvbuf = (unsigned int)val;
		return 0;
	case SOCKOPT_KEEPALIVE:
		tp->keepalive = val > 0;
		tp->keepalive_idle = (uint64_t)val * 1000;
		tcp_rearm_keepalive(sk);
		return 0;
	case SOCKOPT_NODELAY:
		tp->nodelay = val != 0;
		if (tp->nodelay)
			tcp_write_xmit(sk);
		return 0;
	default:
		return inet_setsockopt(sock, opt, val);	/* ttl, tos: IP's */
	}
}

/* STATUS: Plan 9's state word, then the variables a reader of RFC 9293
 * and RFC 6298 looks for.  Times in ms. */
static void tcp_status(struct sock *sk, char *buf, size_t len)
{
	struct tcp_sock *tp = tcp_sk(sk);

	snprintf(buf, len, "%s rcvq %u sndq %u srtt %.3f rttvar %.3f rto %.3f cwnd %u "
		 "ssthresh %u snd_wnd %u rcv_wnd %u mss %u retransmits %u\n",
		 tcp_state_name(sk->sk_state), tp->rcvq.len, tp->sndq.len,
		 tp->srtt / 1000.0, tp->rttvar / 1000.0, tp->rto / 1000.0, tp->cwnd,
		 tp->ssthresh, tp->snd_wnd, tp->rcv_wnd, tp->mss, tp->total_retrans);
}

const struct proto tcp_prot = {
	.name = "tcp",
	.obj_size = sizeof(struct tcp_sock),
	.init = tcp_init_sock,
	.destroy = tcp_destroy,
	.get_port = tcp_get_port,
	.unhash = tcp_unhash,
	.accept = tcp_accept,
	.status = tcp_status,
};

const struct proto_ops inet_stream_ops = {
	.release = tcp_release,
	.close = tcp_stream_close,
	.finished = tcp_stream_finished,
	.bind = inet_bind,
	.connect = tcp_stream_connect,
	.listen = tcp_stream_listen,
	.accept = inet_accept,
	.getname = inet_getname,
	.poll = tcp_stream_poll,
	.shutdown = tcp_stream_shutdown,
	.sendmsg = tcp_stream_sendmsg,
	.recvmsg = tcp_stream_recvmsg,
	.recv_done = tcp_stream_recv_done,
	.setsockopt = tcp_stream_setsockopt,
	.status = inet_status,
};
