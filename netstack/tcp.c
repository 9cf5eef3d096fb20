/* TCP, the user side (RFC 9293 §3.10.1-§3.10.6: OPEN, SEND, RECEIVE,
 * CLOSE, ABORT, STATUS), as the proto and proto_ops of a stream socket. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"
#include "tcp.h"

/* Congestion control, as TCP_CONGESTION names it, by TCP_CA_*.  Linux
 * calls its NewReno "reno"; "newreno" is taken for it too. */
const char *const tcp_ca_names[] = { "cubic", "reno", NULL };

static int tcp_ca_count(void)
{
	int n = 0;

	while (tcp_ca_names[n])
		n++;
	return n;
}

int tcp_ca_find(const char *name)
{
	if (!strcmp(name, "newreno"))
		return TCP_CA_RENO;
	for (int i = 0; tcp_ca_names[i]; i++)
		if (!strcmp(tcp_ca_names[i], name))
			return i;
	return -ENOENT;
}

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
	tp->ca = sk->net->tcp_ca_default;
	tcp_cong_init(tp);
	tp->keepalive_idle = 120000000ull;
	skb_queue_head_init(&tp->ofo);
	tp->txq.full = &sk->net->tcpstats.ScoreboardFull;
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
	struct sock *child = sk_accept_dequeue(sk);
	struct tcp_sock *tp = child ? tcp_sk(child) : NULL;
	uint32_t most;

	/* TCP_MAXSEG on the listener: what the child sends keeps to it
	 * (Linux's mss_clamp).  Its SYN-ACK offered the route's MSS. */
	if (tp && tp->user_mss) {
		most = tp->user_mss - (tp->tstamp_ok ? 12u : 0u);
		if (tp->mss > most) {
			uint32_t iw;
			tp->mss = (uint16_t)most;
			/* nothing sent yet: the initial window in these segments (RFC 6928) */
			iw = 2 * most > 14600 ? 2 * most : 14600;
			tp->cwnd = TCP_INIT_CWND * most < iw ? TCP_INIT_CWND * most : iw;
		}
	}
	return child;
}

static int tcp_alloc_rings(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->sndq.buf && bring_init(&tp->sndq, sk->sk_sndbuf, &sk->net->mem.buffered))
		return -ENOMEM;
	if (!tp->rcvq.buf && bring_init(&tp->rcvq, sk->sk_rcvbuf, &sk->net->mem.buffered))
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
	struct inet_addr saddr;
	unsigned int rcvbuf = sk->sk_rcvbuf, sndbuf = sk->sk_sndbuf;
	bool nodelay = tp->nodelay, keepalive = tp->keepalive;
	uint64_t idle = tp->keepalive_idle, intvl = tp->keepalive_intvl, ut = tp->user_timeout;
	unsigned int probes = tp->keepalive_probes;
	uint32_t lowat = tp->rcvlowat;
	uint16_t user_mss = tp->user_mss;
	uint8_t ca = tp->ca;

	sk_rcv_saddr(sk, &saddr);
	tcp_ofo_purge(tp);
	tcp_clear_timers(tp);
	del_timer(&sk->net->timers, &tp->timewait_timer);
	memset((char *)tp + sizeof(struct sock), 0, sizeof(*tp) - sizeof(struct sock));
	tcp_init_sock(sk);
	sk->sk_rcvbuf = rcvbuf;	/* what the user set stays */
	sk->sk_sndbuf = sndbuf;
	tp->nodelay = nodelay;
	tp->keepalive = keepalive;
	tp->keepalive_idle = idle;
	tp->keepalive_intvl = intvl;
	tp->keepalive_probes = probes;
	tp->user_timeout = ut;
	tp->rcvlowat = lowat;
	tp->user_mss = user_mss;
	tp->ca = ca;
	bring_clear(&sndq);
	bring_clear(&rcvq);
	tp->sndq = sndq;
	tp->rcvq = rcvq;
	sk->sk_err = 0;
	sk->sk_shutdown = 0;
	sk->inet_daddr = 0;
	memset(&sk->sk_v6_daddr, 0, sizeof(sk->sk_v6_daddr));
	sk->inet_dport = 0;
	sk_set_rcv_saddr(sk, &saddr);
	sk_set_saddr(sk, &saddr);
	if (!sk->hashed && sk->bound) {
		int err = tcp_get_port(sk, port);
		if (err)
			return err;
	}
	return 0;
}

/* OPEN, active: send a SYN; the connection completes in tcp_input.c. */
static int tcp_stream_connect(struct socket *sock, const union inet_sockaddr *addr)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;
	struct inet_addr daddr, saddr;
	unsigned int mtu;
	uint16_t dport;
	int err;

	if ((err = inet_addr_from_sa(addr, &daddr, &dport)) != 0)
		return err;
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
	if (inet_addr_any(&daddr) || !dport)
		return -EINVAL;
	if (daddr.family == AF_INET6 && ipv6_addr_is_multicast(&daddr.v6))
		return -ENETUNREACH;	/* TCP has one peer, as Linux says */
	if ((err = inet_sk_pick_source(sk, &daddr, &mtu)) != 0)
		return err;
	if ((err = inet_autobind(sk)) != 0)
		return err;
	if ((err = tcp_alloc_rings(sk)) != 0)
		return err;
	sk_set_daddr(sk, &daddr);
	sk->inet_dport = dport;
	sk_saddr(sk, &saddr);
	/* MSS from the route's MTU: less 40 bytes for IPv4, 60 for IPv6. */
	tp->advmss = (uint16_t)(mtu - tcp_net_hdrlen(sk));
	if (tp->user_mss && tp->user_mss < tp->advmss)
		tp->advmss = tp->user_mss;	/* TCP_MAXSEG: the SYN says it, and we keep to it */
	tp->iss = tcp_isn_addr(net, &saddr, sk->inet_sport, &daddr, sk->inet_dport);
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->snd_max = tp->iss + 1;
	tp->rcv_wscale = 0;
	while (tp->rcv_wscale < TCP_MAX_WSCALE && (tp->rcvq.cap >> tp->rcv_wscale) > 65535)
		tp->rcv_wscale++;
	tp->wscale_ok = true;	/* offered; kept if the peer offers too */
	tp->tstamp_ok = true;
	tp->ts_offset = tcp_ts_off_addr(net, &saddr, &daddr);
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

/* tcp_count keeps bytes_acked and bytes_received (TCP_INFO) as 64-bit
 * counts of the sequence space, the SYN in; it runs at every send and
 * receive call, and between two of those the sequence numbers cannot move
 * by 2^32 (the rings hold at most 64 MiB), so each wrap is seen. */
static void tcp_count(struct tcp_sock *tp)
{
	uint32_t a = tp->snd_una - tp->iss, r = tp->rcv_nxt - tp->irs;

	if (a < tp->acked_lo)
		tp->acked_hi += 1ull << 32;
	if (r < tp->rcvd_lo)
		tp->rcvd_hi += 1ull << 32;
	tp->acked_lo = a;
	tp->rcvd_lo = r;
}

/* tcp_lowat: the bytes a read waits for (SO_RCVLOWAT), at most what the
 * receive ring can hold. */
static uint32_t tcp_lowat(const struct tcp_sock *tp)
{
	uint32_t lowat = tp->rcvlowat ? tp->rcvlowat : 1;

	return tp->rcvq.cap && lowat > tp->rcvq.cap ? tp->rcvq.cap : lowat;
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
	if (tp->rcvq.len >= tcp_lowat(tp) || tp->fin_rcvd || (sk->sk_shutdown & RCV_SHUTDOWN) ||
	    (sk->sk_state == TCP_CLOSED && tp->snd_max))
		mask |= SOCK_POLLIN;
	if (sk->sk_state == TCP_CLOSED && tp->snd_max)
		mask |= SOCK_POLLHUP;
	if ((sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT) &&
	    !(sk->sk_shutdown & SEND_SHUTDOWN) && bring_space(&tp->sndq) > 0 &&
	    !tcp_mem_send_full(sk->net))
		mask |= SOCK_POLLOUT;
	/* Sending is over (shutdown, close, reset, refused): a write would
	 * not block, it fails at once; Linux's tcp_poll says writable, so a
	 * non-blocking connect that failed wakes a poll for POLLOUT with
	 * POLLOUT in revents, beside POLLERR. */
	if ((sk->sk_shutdown & SEND_SHUTDOWN) && sk->sk_state != TCP_SYN_SENT &&
	    sk->sk_state != TCP_LISTEN)
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
	uint32_t n, room;

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
	tcp_count(tp);
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	/* The cap on all connections' buffers: past it, writes wait. */
	room = tcp_mem_send_room(sk->net);
	if (len > room)
		len = room;
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

	tcp_count(tp);
	/* SO_RCVLOWAT: a blocking read waits for that much (or for less
	 * than it asked, or the end); a non-blocking one takes what is
	 * there, as Linux's does. */
	if (r->len && r->len < tcp_lowat(tp) && r->len < len && !(msg->flags & MSG_DONTWAIT) &&
	    !sk->sk_err && !tp->fin_rcvd && !(sk->sk_shutdown & RCV_SHUTDOWN) &&
	    (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_FIN_WAIT1 ||
	     sk->sk_state == TCP_FIN_WAIT2))
		return -EAGAIN;
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
	tcp_mem_check(sk->net);
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
		tcp_rearm_keepalive(sk);
		return 0;
	case SOCKOPT_KEEPIDLE:
		if (val < 1)
			return -EINVAL;
		tp->keepalive_idle = (uint64_t)val * 1000;
		tcp_rearm_keepalive(sk);
		return 0;
	case SOCKOPT_KEEPINTVL:
		if (val < 1)
			return -EINVAL;
		tp->keepalive_intvl = (uint64_t)val * 1000;
		return 0;
	case SOCKOPT_KEEPCNT:
		if (val < 1)
			return -EINVAL;
		tp->keepalive_probes = (unsigned int)val;
		return 0;
	case SOCKOPT_USER_TIMEOUT:
		if (val < 0)
			return -EINVAL;
		tp->user_timeout = (uint64_t)val * 1000;
		return 0;
	case SOCKOPT_MAXSEG:
		/* Linux's bounds: TCP_MIN_MSS, MAX_TCP_WINDOW; 0 forgets it.
		 * A connection made already keeps its MSS, as on Linux. */
		if (val != 0 && (val < 88 || val > 32767))
			return -EINVAL;
		tp->user_mss = (uint16_t)val;
		return 0;
	case SOCKOPT_RCVLOWAT:
		if (val < 0)
			return -EINVAL;
		/* Linux caps it at half the locked receive buffer, which is
		 * the size asked: imp's ring is that size. */
		tp->rcvlowat = (uint32_t)val > sk->sk_rcvbuf ? sk->sk_rcvbuf : (uint32_t)val;
		if (!tp->rcvlowat)
			tp->rcvlowat = 1;
		sk_wake(sk);	/* a reader or poll may be satisfied now */
		return 0;
	case SOCKOPT_CONGESTION:
		if (val < 0 || !tcp_ca_names[0] || val >= tcp_ca_count())
			return -ENOENT;
		tp->ca = (uint8_t)val;
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

	struct tcp_sack_counts n = { 0, 0, 0 };

	if (tp->sack_ok)
		n = tcp_sack_counts(tp);
	/* Then what ss -ti adds: the scoreboard (segments), the delivery
	 * rate (bit/s) and the congestion control. */
	snprintf(buf, len, "%s rcvq %u sndq %u srtt %.3f rttvar %.3f rto %.3f cwnd %u "
		 "ssthresh %u snd_wnd %u rcv_wnd %u mss %u retransmits %u "
		 "sacked %u lost %u retrans %u delivery_rate %llu cc %s\n",
		 tcp_state_name(sk->sk_state), tp->rcvq.len, tp->sndq.len,
		 tp->srtt / 1000.0, tp->rttvar / 1000.0, tp->rto / 1000.0, tp->cwnd,
		 tp->ssthresh, tp->snd_wnd, tp->rcv_wnd, tp->mss, tp->total_retrans,
		 n.sacked, n.lost, n.retrans, (unsigned long long)tp->delivery_rate * 8,
		 tcp_ca_names[tp->ca] ? tcp_ca_names[tp->ca] : "?");
	/* A listener's queues, as ss -lt shows them (Recv-Q, Send-Q), with
	 * the half-open ones its SYN queue holds. */
	if (sk->sk_state == TCP_LISTEN) {
		size_t used = strlen(buf);
		if (used && used < len) {
			snprintf(buf + used - 1, len - used + 1, " synq %u acceptq %d backlog %d\n",
				 tp->syn_pending, sk->sk_ack_backlog, sk->sk_max_ack_backlog);
		}
	}
}

/* Linux's numbers for the states, as tcpi_state has them. */
static int tcp_linux_state(int state)
{
	static const unsigned char linux_state[] = {
		[TCP_CLOSED] = 7, [TCP_LISTEN] = 10, [TCP_SYN_SENT] = 2, [TCP_SYN_RECV] = 3,
		[TCP_ESTABLISHED] = 1, [TCP_FIN_WAIT1] = 4, [TCP_FIN_WAIT2] = 5,
		[TCP_CLOSE_WAIT] = 8, [TCP_CLOSING] = 11, [TCP_LAST_ACK] = 9, [TCP_TIME_WAIT] = 6,
	};
	return state >= 0 && state <= TCP_TIME_WAIT ? linux_state[state] : 7;
}

/* The info file: the fields of Linux's struct tcp_info by their names
 * (tcpi_ taken off), in its units (µs, bytes, segments), then the
 * settings getsockopt reads (TCP_MAXSEG, TCP_KEEP*, TCP_USER_TIMEOUT,
 * SO_RCVLOWAT, TCP_CONGESTION).  Numbers only but for congestion, one
 * line, so that a program reads it in one read and parses no prose. */
static void tcp_info(struct socket *sock, char *buf, size_t len)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;
	int st = sk->sk_state;
	bool open = st != TCP_LISTEN && st != TCP_SYN_SENT && !(st == TCP_CLOSED && !tp->irs);
	uint32_t mss = tp->mss ? tp->mss : TCP_DEFAULT_MSS, ts = open && tp->tstamp_ok ? 12 : 0;
	uint32_t flight = tcp_flight(tp), unacked = (flight + mss - 1) / mss;
	uint32_t ca_state, lost = 0, retrans = 0, pmtu = 0, last_recv = 0, sacked = 0;
	uint64_t rto = (uint64_t)tp->rto << (tp->backoff < 16 ? tp->backoff : 16);
	uint64_t acked, rcvd;

	tcp_count(tp);
	acked = tp->acked_hi + tp->acked_lo;
	rcvd = tp->rcvd_hi + tp->rcvd_lo;
	if (rcvd)
		rcvd--;		/* the peer's SYN is not a byte received */
	if (rto > TCP_MAX_RTO_US)
		rto = TCP_MAX_RTO_US;
	/* TCP_CA_Loss after a timeout, Recovery in fast recovery, Disorder
	 * on duplicate ACKs, else Open; lost and retrans as Linux counts
	 * them in each: after a timeout every segment out is lost and is
	 * sent again, in recovery the one at snd_una. */
	if (tp->sack_ok && open) {
		/* From the scoreboard: Linux's lost counts what was marked
		 * lost, resent or not; retrans what is resent and out. */
		struct tcp_sack_counts n = tcp_sack_counts(tp);
		ca_state = tp->in_loss ? 4 : tp->in_recovery ? 3 : tp->sacked_out ? 1 : 0;
		sacked = n.sacked;
		lost = n.lost;
		retrans = n.retrans;
	} else if (tp->backoff && flight && st != TCP_SYN_SENT && st != TCP_SYN_RECV) {
		ca_state = 4;
		lost = unacked;
		retrans = (tp->snd_nxt - tp->snd_una + mss - 1) / mss;
		if (retrans > unacked)
			retrans = unacked;
	} else if (tp->in_recovery) {
		ca_state = 3;
		lost = retrans = unacked ? 1 : 0;
	} else {
		ca_state = tp->dupacks ? 1 : 0;
	}
	if (!(tp->sack_ok && open))
		sacked = tp->dupacks < unacked ? tp->dupacks : (unacked ? unacked - 1 : 0);
	if (sk_has_daddr(sk)) {
		struct inet_addr da;
		sk_daddr(sk, &da);
		pmtu = inet_route_mtu(net, &da);
	}
	if (tp->last_rcv && net->now > tp->last_rcv)
		last_recv = (uint32_t)((net->now - tp->last_rcv) / 1000);
	snprintf(buf, len,
		 "state %d ca_state %u retransmits %u probes %u backoff %u options %u "
		 "snd_wscale %u rcv_wscale %u delivery_rate_app_limited 0 fastopen_client_fail 0 "
		 "rto %llu ato %u snd_mss %u rcv_mss %u unacked %u sacked %u lost %u retrans %u fackets 0 "
		 "last_data_sent 0 last_ack_sent 0 last_data_recv %u last_ack_recv %u "
		 "pmtu %u rcv_ssthresh %u rtt %u rttvar %u snd_ssthresh %u snd_cwnd %u advmss %u "
		 "reordering 3 rcv_rtt 0 rcv_space %u total_retrans %u "
		 "pacing_rate %llu max_pacing_rate %llu bytes_acked %llu bytes_received %llu "
		 "congestion %s user_mss %u keepalive %d keepidle %llu keepintvl %llu keepcnt %u "
		 "user_timeout %llu rcvlowat %u segs_out %u segs_in %u notsent_bytes %u min_rtt %u "
		 "data_segs_in %u data_segs_out %u delivery_rate %llu\n",
		 tcp_linux_state(st), ca_state, tp->retransmits, tp->keepalive_sent, tp->backoff,
		 (open && tp->tstamp_ok ? 1u : 0u) | (open && tp->wscale_ok ? 4u : 0u),
		 open && tp->wscale_ok ? tp->snd_wscale : 0u, open && tp->wscale_ok ? tp->rcv_wscale : 0u,
		 (unsigned long long)rto, TCP_DELACK_US, mss,
		 open ? tp->advmss - ts : TCP_DEFAULT_MSS, unacked, sacked, lost, retrans,
		 last_recv, last_recv, pmtu, tp->rcvq.cap, tp->srtt, tp->rttvar,
		 tp->ssthresh >= 0x7fffffffu ? 0x7fffffffu : tp->ssthresh / mss,
		 tp->cwnd ? (tp->cwnd / mss ? tp->cwnd / mss : 1) : TCP_INIT_CWND,
		 tp->advmss - ts, tp->rcvq.cap, tp->total_retrans,
		 ~0ull, ~0ull, (unsigned long long)acked, (unsigned long long)rcvd,
		 tcp_ca_names[tp->ca], tp->user_mss, tp->keepalive,
		 (unsigned long long)(tp->keepalive_idle / 1000),
		 (unsigned long long)((tp->keepalive_intvl ? tp->keepalive_intvl :
			tp->keepalive_idle < TCP_KEEPALIVE_INTVL_US ? tp->keepalive_idle :
			TCP_KEEPALIVE_INTVL_US) / 1000),
		 tp->keepalive_probes ? tp->keepalive_probes : TCP_KEEPALIVE_PROBES,
		 (unsigned long long)(tp->user_timeout / 1000), tcp_lowat(tp),
		 tp->segs_out, tp->segs_in, tp->sndq.len > flight ? tp->sndq.len - flight : 0,
		 tp->min_rtt ? tp->min_rtt : ~0u, tp->data_segs_in, tp->data_segs_out,
		 (unsigned long long)tp->delivery_rate);
}

/* tcp_sack_counts: the scoreboard in segments, as ss -ti and TCP_INFO
 * give it: SACKed, marked lost (resent or not), resent and still out. */
struct tcp_sack_counts tcp_sack_counts(const struct tcp_sock *tp)
{
	const struct tcp_txq *q = &tp->txq;
	uint32_t mss = tp->mss ? tp->mss : TCP_DEFAULT_MSS, rexmit = 0;
	struct tcp_sack_counts n;

	for (uint32_t i = q->head; i < q->n; i++)
		if ((q->rec[i].flags & (TXR_RETRANS | TXR_SACKED)) == TXR_RETRANS)
			rexmit += q->rec[i].end - q->rec[i].start;
	n.sacked = (tp->sacked_out + mss - 1) / mss;
	n.lost = (tp->lost_out + rexmit + mss - 1) / mss;
	n.retrans = (rexmit + mss - 1) / mss;
	return n;
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
	.info = tcp_info,
};
