/* TCP input: RFC 9293 §3.10.7, SEGMENT ARRIVES, step by step, with the
 * checks of RFC 5961 and RFC 7323 (PAWS) where the RFC puts them. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"
#include "tcp.h"

/* What input learned of a segment, kept in the skb. */
struct tcp_skb_cb {
	uint32_t seq, end_seq, ack_seq;	/* end_seq: seq + data + SYN + FIN */
	uint32_t window;		/* as in the header, unscaled */
	uint32_t len;			/* data bytes */
	uint8_t flags;
	struct tcp_options opt;
};
#define TCP_SKB_CB(skb) ((struct tcp_skb_cb *)(skb)->cb)
_Static_assert(sizeof(struct tcp_skb_cb) <= sizeof(((struct sk_buff *)0)->cb), "cb too small");

static uint8_t tcp_wscale_for(uint32_t space)
{
	uint8_t ws = 0;

	while (ws < TCP_MAX_WSCALE && (space >> ws) > 65535)
		ws++;
	return ws;
}

/* tcp_mss_for: the data a segment may carry to a peer that takes
 * peer_mss, less the timestamp option when it is on. */
static void tcp_set_mss(struct tcp_sock *tp, const struct tcp_options *opt)
{
	uint32_t mss = opt->saw_mss && opt->mss ? opt->mss : TCP_DEFAULT_MSS;

	if (mss > tp->advmss)
		mss = tp->advmss;
	if (tp->tstamp_ok)
		mss -= 12;
	if (mss < 64)
		mss = 64;	/* an MSS of 1 is an attack, not a network */
	tp->mss = (uint16_t)mss;
	/* RFC 6928: min(10 MSS, max(2 MSS, 14600)). */
	uint32_t iw = 2 * mss > 14600 ? 2 * mss : 14600;
	tp->cwnd = TCP_INIT_CWND * mss < iw ? TCP_INIT_CWND * mss : iw;
}

/* tcp_negotiate records what the peer's SYN (or SYN-ACK) offered. */
static void tcp_negotiate(struct tcp_sock *tp, const struct tcp_options *opt, bool we_offered)
{
	tp->wscale_ok = opt->saw_wscale && we_offered;
	if (tp->wscale_ok) {
		tp->snd_wscale = opt->wscale;
		if (!we_offered || !tp->rcv_wscale)
			tp->rcv_wscale = tcp_wscale_for(tp->rcvq.cap);
	} else {
		tp->snd_wscale = tp->rcv_wscale = 0;
	}
	tp->sack_ok = opt->saw_sackok && we_offered;
	tp->tstamp_ok = opt->saw_tstamp && we_offered;
	if (tp->tstamp_ok) {
		tp->ts_recent = opt->tsval;
		tp->ts_recent_stamp = tp->sk.net->now;
	}
	tcp_set_mss(tp, opt);
}

static void tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb);

/* The SYN queue (children in SYN_RECV) holds as many as the backlog, as
 * Linux's since 4.4 (somaxconn and the announce limit are both 4096), and
 * so does the accept queue. */
static unsigned int tcp_synq_max(const struct sock *parent)
{
	return (unsigned int)parent->sk_max_ack_backlog;
}

static bool tcp_acceptq_full(const struct sock *parent)
{
	return (unsigned int)parent->sk_ack_backlog >= (unsigned int)parent->sk_max_ack_backlog;
}

/* tcp_child_new: a child of parent for the peer of skb, in SYN_RECV with
 * the peer's ISN irs, ours iss and the handshake options opt; NULL when
 * there is no route or no memory (the segment is then dropped). */
static struct tcp_sock *tcp_child_new(struct sock *parent, struct sk_buff *skb, uint32_t irs,
				      uint32_t iss, const struct tcp_options *opt)
{
	struct net *net = parent->net;
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	struct inet_addr peer, local, saddr, daddr;
	struct tcp_sock *tp;
	struct sock *sk;
	unsigned int mtu;

	tp = tcp_create_child(parent);
	if (!tp)
		return NULL;
	sk = &tp->sk;
	skb_inet_addrs(skb, &peer, &local);
	if (local.family != parent->sk_family) {
		/* An IPv4 peer of a dual listener: an IPv4 connection. */
		struct inet_addr any = { .family = local.family };
		sk_set_rcv_saddr(sk, &any);
	}
	sk_set_saddr(sk, &local);
	sk_set_daddr(sk, &peer);
	sk->inet_dport = th->source;
	mtu = inet_route_mtu(net, &peer);
	if (!mtu || bring_init(&tp->sndq, sk->sk_sndbuf, &net->mem.buffered) ||
	    bring_init(&tp->rcvq, sk->sk_rcvbuf, &net->mem.buffered)) {
		tcp_destroy_sock(sk);
		sk_free(sk);
		return NULL;
	}
	tp->advmss = (uint16_t)(mtu - tcp_net_hdrlen(sk));
	if (tp->user_mss && tp->user_mss < tp->advmss)
		tp->advmss = tp->user_mss;	/* TCP_MAXSEG on the listener: the SYN-ACK says it */
	tp->irs = irs;
	tp->rcv_nxt = irs + 1;
	tp->iss = iss;
	tp->snd_una = tp->iss;
	tp->snd_nxt = tp->snd_max = tp->iss + 1;
	tp->snd_wnd = cb->window;
	tp->max_window = tp->snd_wnd;
	tp->snd_wl1 = cb->seq;
	tp->snd_wl2 = tp->iss;
	sk_saddr(sk, &saddr);
	sk_daddr(sk, &daddr);
	tp->ts_offset = tcp_ts_off_addr(net, &saddr, &daddr);
	tp->rtt_start = net->now;	/* the SYN-ACK's round trip is the first sample */
	tp->rcv_wscale = 0;
	tcp_negotiate(tp, opt, true);
	sk->parent = parent;
	tcp_sk(parent)->syn_pending++;
	sk->sk_state = TCP_SYN_RECV;
	tcp_hash(sk);
	net->tcpstats.PassiveOpens++;
	return tp;
}

/* tcp_cookie_send answers a SYN with a cookie SYN-ACK and keeps nothing. */
static void tcp_cookie_send(struct sock *parent, struct sk_buff *skb)
{
	struct net *net = parent->net;
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	struct tcp_sock *ltp = tcp_sk(parent);
	struct tcp_cookie_req r;
	unsigned int mtu;
	uint16_t mss;

	memset(&r, 0, sizeof(r));
	skb_inet_addrs(skb, &r.daddr, &r.saddr);
	if (!(mtu = inet_route_mtu(net, &r.daddr))) {
		net->tcpstats.ListenDrops++;	/* nowhere to send it: as a child would, drop */
		return;
	}
	r.sport = th->dest;
	r.dport = th->source;
	r.rcv_nxt = cb->seq + 1;
	r.advmss = (uint16_t)(mtu - (r.daddr.family == AF_INET6 ? 60 : 40));
	if (ltp->user_mss && ltp->user_mss < r.advmss)
		r.advmss = ltp->user_mss;
	r.iss = tcp_cookie_make_addr(net, &r.daddr, &r.saddr, th->source, th->dest, cb->seq,
				     cb->opt.saw_mss && cb->opt.mss ? cb->opt.mss : TCP_DEFAULT_MSS, &mss);
	/* Without timestamps nothing but the MSS can come back. */
	r.tstamp_ok = cb->opt.saw_tstamp;
	r.wscale_ok = r.tstamp_ok && cb->opt.saw_wscale;
	r.sack_ok = r.tstamp_ok && cb->opt.saw_sackok;
	r.rcv_wscale = r.wscale_ok ? tcp_wscale_for(parent->sk_rcvbuf) : 0;
	if (r.tstamp_ok) {
		uint32_t tsval = (uint32_t)(net->now / 1000) + tcp_ts_off_addr(net, &r.saddr, &r.daddr);
		r.tsval = tcp_cookie_tsval(tsval, r.wscale_ok ? cb->opt.wscale : -1, r.sack_ok);
		r.tsecr = cb->opt.tsval;
	}
	r.window = (uint16_t)(parent->sk_rcvbuf > 65535 ? 65535 : parent->sk_rcvbuf);
	r.ttl = parent->ttl;
	r.tos = parent->tos;
	if (tcp_cookie_synack(net, &r) == 0)
		net->tcpstats.SyncookiesSent++;
}

/* How long after its SYN queue overflowed a listener checks ACKs as
 * cookies: a cookie's life and a little more (so that one just expired
 * still counts as a failure). */
#define TCP_SYNQ_OVERFLOW_US ((TCP_COOKIE_MAX_AGE + 3) * TCP_COOKIE_PERIOD_US)

static bool tcp_synq_overflow_recent(const struct sock *parent)
{
	const struct tcp_sock *ltp = tcp_sk((struct sock *)parent);

	return ltp->synq_overflowed && parent->net->now - ltp->synq_overflow_stamp < TCP_SYNQ_OVERFLOW_US;
}

/* tcp_cookie_recent: cookies of parent may be out, so that an ACK to it is
 * worth checking as one. */
static bool tcp_cookie_recent(const struct sock *parent)
{
	int mode = parent->net->syncookies.mode;

	return mode == 2 || (mode == 1 && tcp_synq_overflow_recent(parent));
}

/* tcp_synq_overflow: parent's SYN queue is full.  When that begins (not
 * within TCP_SYNQ_OVERFLOW_US of the last time), one line on the log, as
 * Linux's "Possible SYN flooding on port". */
static void tcp_synq_overflow(struct sock *parent)
{
	struct net *net = parent->net;
	struct tcp_sock *ltp = tcp_sk(parent);

	if (!tcp_synq_overflow_recent(parent))
		net_log(net, NETLOG_TCP, "tcp port %u: SYN queue full (%u half open): %s",
			ntohs(parent->inet_sport), ltp->syn_pending,
			net->syncookies.mode ? "sending SYN cookies" : "dropping SYNs");
	ltp->synq_overflowed = true;
	ltp->synq_overflow_stamp = net->now;
}

/* tcp_cookie_ack: a bare ACK to a listener that sent cookies.  A good
 * cookie makes the connection it stands for, and the ACK (with any data)
 * goes on to it; true then (skb taken).  False: the ACK is not a cookie
 * or the accept queue has no room (the caller decides what to answer;
 * *bad tells which). */
static bool tcp_cookie_ack(struct sock *parent, struct sk_buff *skb, bool *bad)
{
	struct net *net = parent->net;
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
	struct inet_addr saddr, daddr;
	struct tcp_options opt;
	struct tcp_sock *tp;
	uint16_t mss;

	*bad = true;
	skb_inet_addrs(skb, &saddr, &daddr);
	if (tcp_cookie_check_addr(net, &saddr, &daddr, th->source, th->dest, cb->seq - 1,
				  cb->ack_seq - 1, &mss)) {
		net->tcpstats.SyncookiesFailed++;
		return false;
	}
	/* What the SYN offered, as far as the cookie and the TSecr say. */
	memset(&opt, 0, sizeof(opt));
	opt.saw_mss = true;
	opt.mss = mss;
	/* (A TSecr of 0 echoes nothing: the SYN-ACK had no timestamps.) */
	if (cb->opt.saw_tstamp && cb->opt.tsecr) {
		int ws;
		bool sack;
		tcp_cookie_ts_decode(cb->opt.tsecr, &ws, &sack);
		opt.saw_tstamp = true;
		opt.tsval = cb->opt.tsval;
		opt.tsecr = cb->opt.tsecr;
		opt.saw_wscale = ws >= 0;
		opt.wscale = (uint8_t)(ws >= 0 ? ws : 0);
		opt.saw_sackok = sack;
	}
	net->tcpstats.SyncookiesRecv++;
	*bad = false;
	if (tcp_acceptq_full(parent)) {
		/* As Linux: the ACK is dropped; the peer's next segment
		 * (data, or its retransmission) brings the cookie again. */
		net->tcpstats.ListenOverflows++;
		net->tcpstats.ListenDrops++;
		return false;
	}
	tp = tcp_child_new(parent, skb, cb->seq - 1, cb->ack_seq - 1, &opt);
	if (!tp) {
		net->tcpstats.ListenDrops++;
		return false;
	}
	/* The window our SYN-ACK offered (tcp_cookie_send), unscaled. */
	tp->rcv_wnd = tp->rcvq.cap > 65535 ? 65535 : tp->rcvq.cap;
	tp->rcv_adv = tp->rcv_nxt + tp->rcv_wnd;
	tp->last_ack_sent = tp->rcv_nxt;
	tp->synack_untimed = true;
	/* As any child's ACK: it passes every check there (the child's
	 * numbers were made from it), so the child is established and
	 * queued, and data or a FIN on the ACK is taken. */
	tcp_rcv_state_process(&tp->sk, skb);
	return true;
}

/* tcp_listen_rcv: a segment for a listener (RFC 9293 §3.10.7.2).  True
 * when skb was taken. */
static bool tcp_listen_rcv(struct sock *parent, struct sk_buff *skb)
{
	struct net *net = parent->net;
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct tcp_sock *tp;
	struct inet_addr saddr, daddr;
	int mode = net->syncookies.mode;
	uint32_t iss;

	skb_inet_addrs(skb, &saddr, &daddr);
	if (cb->flags & TH_RST)
		return false;
	if (cb->flags & TH_ACK) {
		bool bad = true;
		if (!(cb->flags & TH_SYN) && tcp_cookie_recent(parent)) {
			if (tcp_cookie_ack(parent, skb, &bad))
				return true;
		}
		if (bad)
			tcp_send_reset(net, skb);
		return false;
	}
	if (!(cb->flags & TH_SYN))
		return false;
	if (tcp_acceptq_full(parent)) {
		net->tcpstats.ListenOverflows++;
		net->tcpstats.ListenDrops++;
		return false;		/* the peer will send its SYN again */
	}
	if (mode == 2) {
		tcp_cookie_send(parent, skb);
		return false;
	}
	if (tcp_sk(parent)->syn_pending >= tcp_synq_max(parent)) {
		tcp_synq_overflow(parent);
		if (mode == 0)
			net->tcpstats.ListenDrops++;
		else
			tcp_cookie_send(parent, skb);
		return false;
	}
	iss = tcp_isn_addr(net, &daddr, parent->inet_sport, &saddr,
			   ((const struct tcphdr *)skb_transport_header(skb))->source);
	tp = tcp_child_new(parent, skb, cb->seq, iss, &cb->opt);
	if (!tp) {
		net->tcpstats.ListenDrops++;
		return false;
	}
	tcp_send_synack(&tp->sk);
	tcp_reset_rexmit_timer(&tp->sk);
	return false;
}

/* tcp_established: the handshake is over, from either side.  The ACK of
 * our SYN gives the send window and, unless the SYN was sent again, the
 * first round-trip sample (Karn). */
static void tcp_established(struct sock *sk, const struct tcp_skb_cb *cb, uint32_t wnd)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;

	tp->snd_una = cb->ack_seq;
	tp->snd_wnd = tp->max_window = wnd;
	tp->snd_wl1 = cb->seq;
	tp->snd_wl2 = cb->ack_seq;
	if (tp->synack_untimed)
		;	/* a cookie's: when the SYN-ACK went is not known */
	else if (tp->retransmits == 0)
		tcp_rtt_sample(tp, (uint32_t)(net->now - tp->rtt_start));
	else
		tp->rto = TCP_SYN_LOST_RTO_US;	/* RFC 6298 §5.7 */
	tp->retransmits = 0;
	tp->backoff = 0;
	tp->rtt_timing = false;
	del_timer(&net->timers, &tp->rexmit_timer);
	tp->last_rcv = net->now;
	if (sk->sk_socket)
		sk->sk_socket->state = SS_CONNECTED;
	tcp_set_state(sk, TCP_ESTABLISHED);
	tcp_rearm_keepalive(sk);
}

/* tcp_synsent_rcv: the answer to our SYN (RFC 9293 §3.10.7.3). */
static void tcp_synsent_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct net *net = sk->net;
	bool ack_ok = false;

	if (cb->flags & TH_ACK) {
		if (!after(cb->ack_seq, tp->iss) || after(cb->ack_seq, tp->snd_max)) {
			tcp_send_reset(net, skb);
			return;
		}
		ack_ok = true;
	}
	if (cb->flags & TH_RST) {
		if (ack_ok) {
			sk->sk_err = ECONNREFUSED;
			net->tcpstats.AttemptFails++;
			tcp_done(sk);
		}
		return;
	}
	if (!(cb->flags & TH_SYN))
		return;
	tp->irs = cb->seq;
	tp->rcv_nxt = cb->seq + 1;
	tp->rcv_adv = tp->rcv_nxt + tp->rcv_wnd;	/* what our SYN offered, now anchored */
	tcp_negotiate(tp, &cb->opt, true);
	if (!ack_ok) {
		/* Simultaneous open (RFC 9293 figure 7). */
		tcp_set_state(sk, TCP_SYN_RECV);
		tcp_send_synack(sk);
		return;
	}
	tcp_established(sk, cb, cb->window);	/* a SYN's window is not scaled */
	tcp_send_ack(sk);
	tcp_write_xmit(sk);
}

/* RFC 9293 §3.10.7.4, first: is any of the segment in the window? */
static bool tcp_sequence_ok(const struct tcp_sock *tp, const struct tcp_skb_cb *cb)
{
	uint32_t wnd = after(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t seglen = cb->end_seq - cb->seq;

	if (seglen == 0)
		return wnd == 0 ? cb->seq == tp->rcv_nxt :
			!before(cb->seq, tp->rcv_nxt) && before(cb->seq, tp->rcv_nxt + wnd);
	if (wnd == 0)
		return cb->seq == tp->rcv_nxt;	/* so its ACK and FIN still count */
	return (!before(cb->seq, tp->rcv_nxt) && before(cb->seq, tp->rcv_nxt + wnd)) ||
	       (!before(cb->end_seq - 1, tp->rcv_nxt) && before(cb->end_seq - 1, tp->rcv_nxt + wnd));
}

static void tcp_fin(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->rcv_nxt++;
	tp->fin_rcvd = true;
	tp->ack_now = true;
	sk->sk_shutdown |= RCV_SHUTDOWN;
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		tcp_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/* Our FIN not yet acknowledged: both closed at once. */
		tcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		tcp_enter_timewait(sk);
		break;
	}
	sk_wake(sk);
}

/* --- SACK blocks to report (RFC 2018 §4, RFC 2883) --- */

/* tcp_sack_add: [start, end) is now held out of order; it becomes the
 * first block, merged with every block it overlaps or touches. */
static void tcp_sack_add(struct tcp_sock *tp, uint32_t start, uint32_t end)
{
	struct tcp_sack_block b = { start, end }, keep[TCP_MAX_SACKS];
	unsigned int n = 0;

	if (!tp->sack_ok)
		return;
	for (unsigned int i = 0; i < tp->nsack; i++) {
		struct tcp_sack_block *o = &tp->sack[i];
		if (before(b.end, o->start) || before(o->end, b.start)) {
			keep[n++] = *o;
			continue;
		}
		if (before(o->start, b.start))
			b.start = o->start;
		if (after(o->end, b.end))
			b.end = o->end;
	}
	tp->sack[0] = b;
	tp->nsack = 1;
	for (unsigned int i = 0; i < n && tp->nsack < TCP_MAX_SACKS; i++)
		tp->sack[tp->nsack++] = keep[i];
}

/* tcp_sack_advance: rcv_nxt moved; blocks now behind it go, and one it
 * reached is cut to start there. */
static void tcp_sack_advance(struct tcp_sock *tp)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < tp->nsack; i++) {
		struct tcp_sack_block b = tp->sack[i];
		if (!after(b.end, tp->rcv_nxt))
			continue;
		if (before(b.start, tp->rcv_nxt))
			b.start = tp->rcv_nxt;
		tp->sack[n++] = b;
	}
	tp->nsack = (uint8_t)n;
}

/* tcp_dsack: [start, end) arrived again; the next ACK says so first. */
static void tcp_dsack(struct tcp_sock *tp, uint32_t start, uint32_t end)
{
	if (!tp->sack_ok || !before(start, end))
		return;
	tp->dsack.start = start;
	tp->dsack.end = end;
	tp->dsack_pending = true;
}

/* tcp_ofo_insert keeps an out-of-order segment, sorted by seq. */
static void tcp_ofo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *p;

	/* Room for a window's worth: whatever is held will fit the ring once
	 * the hole before it fills, since the window never exceeds it. */
	if (tp->ofo.qlen >= TCP_OOO_MAX || tp->ofo.bytes + skb->len > 2u * tp->rcvq.cap) {
		sk->net->tcpstats.OfoDrops++;
		kfree_skb(skb);
		return;
	}
	/* Near the cap on all connections' buffers these go first: the
	 * sender still has them, and in-order data needs the room. */
	if (!tcp_mem_ofo_ok(sk->net, skb->len)) {
		kfree_skb(skb);
		return;
	}
	skb_queue_walk(&tp->ofo, p) {
		if (TCP_SKB_CB(p)->seq == TCP_SKB_CB(skb)->seq &&
		    !before(TCP_SKB_CB(p)->end_seq, TCP_SKB_CB(skb)->end_seq)) {
			/* we have all of it already */
			tcp_dsack(tp, TCP_SKB_CB(skb)->seq, TCP_SKB_CB(skb)->end_seq);
			kfree_skb(skb);
			return;
		}
		if (after(TCP_SKB_CB(p)->seq, TCP_SKB_CB(skb)->seq))
			break;
	}
	/* insert before p (p may be the queue head: then at the tail) */
	skb->next = p;
	skb->prev = p->prev;
	p->prev->next = skb;
	p->prev = skb;
	tp->ofo.qlen++;
	tp->ofo.bytes += skb->len;
	sk->net->mem.buffered += skb->len;
	sk->net->tcpstats.OfoQueued++;
	tcp_sack_add(tp, TCP_SKB_CB(skb)->seq, TCP_SKB_CB(skb)->end_seq);
}

/* tcp_queue_inorder takes the part of skb at or past rcv_nxt into the
 * receive ring; true if the segment's FIN was reached. */
static bool tcp_queue_inorder(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	uint32_t skip = tp->rcv_nxt - cb->seq, len = cb->len, n = 0;

	if (skip < len) {
		uint32_t want = len - skip, room = tcp_mem_room(sk->net);
		if (want > room) {
			want = room;	/* the cap on all connections' buffers */
			tcp_mem_rcv_drop(sk->net);
		}
		n = bring_write(&tp->rcvq, skb->data + skip, want);
		tp->rcv_nxt += n;
		tp->ack_pending += n;
		if (n < len - skip) {
			/* Out of room (a probe of our zero window, or a sender
			 * past it): the rest is dropped, and its FIN; say at
			 * once where we stand. */
			tp->ack_now = true;
			return false;
		}
	}
	return (cb->flags & TH_FIN) && tp->rcv_nxt == cb->end_seq - 1;
}

/* tcp_data_queue: RFC 9293 §3.10.7.4, seventh and eighth. */
static void tcp_data_queue(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	bool had_ofo = tp->ofo.qlen > 0;

	if (after(cb->seq, tp->rcv_nxt)) {
		tp->ack_now = true;	/* a duplicate ACK tells the sender of the hole */
		tcp_ofo_insert(sk, skb);
		return;
	}
	if (!after(cb->end_seq, tp->rcv_nxt)) {
		tp->ack_now = true;	/* all old: the sender missed our ACK */
		tcp_dsack(tp, cb->seq, cb->end_seq);
		kfree_skb(skb);
		return;
	}
	if (before(cb->seq, tp->rcv_nxt))
		tcp_dsack(tp, cb->seq, tp->rcv_nxt);	/* its start came before */
	if (tcp_queue_inorder(sk, skb))
		tcp_fin(sk);
	kfree_skb(skb);
	/* Whatever the gap kept back may follow now. */
	while (!tp->fin_rcvd && tp->ofo.qlen) {
		struct sk_buff *o = skb_peek(&tp->ofo);
		if (after(TCP_SKB_CB(o)->seq, tp->rcv_nxt))
			break;
		skb_unlink(o, &tp->ofo);
		sk->net->mem.buffered -= o->len;
		if (after(TCP_SKB_CB(o)->end_seq, tp->rcv_nxt) && tcp_queue_inorder(sk, o))
			tcp_fin(sk);
		kfree_skb(o);
	}
	if (had_ofo) {
		tp->ack_now = true;	/* RFC 5681 §4.2: ACK at once when a hole fills */
		tcp_sack_advance(tp);
	}
	sk_wake(sk);
}

/* tcp_resend_una resends the oldest segment in recovery and notes how many
 * segments are out beyond it: each can bring at most one duplicate ACK, so
 * more than that means segments sent after it arrived and it did not. */
static void tcp_resend_una(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_retransmit_una(sk);
	tp->rexmit_dupacks = 0;
	tp->rexmit_out = (tp->snd_max - tp->snd_una + tp->mss - 1) / tp->mss;
}

/* tcp_ack: RFC 9293 §3.10.7.4, fifth, for synchronized states, with RFC
 * 5681/6582 congestion control and RFC 6298 timing.  Returns false when
 * the segment must be dropped. */
static bool tcp_ack(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct net *net = sk->net;
	uint32_t ack = cb->ack_seq, flight = tcp_flight(tp);

	if (after(ack, tp->snd_max)) {
		tcp_send_ack(sk);	/* it acknowledges what we never sent */
		return false;
	}
	if (before(ack, tp->snd_una - tp->max_window)) {
		tcp_send_challenge_ack(sk);	/* RFC 5961 §5.2 */
		return false;
	}
	if (after(ack, tp->snd_una)) {
		uint32_t acked = ack - tp->snd_una;
		uint32_t data = acked < tp->sndq.len ? acked : tp->sndq.len;

		bring_consume(&tp->sndq, data);
		tp->snd_una = ack;
		if (before(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		if (tp->sack_ok) {
			/* tcp_sack_ack times it from the scoreboard, in µs */
		} else if (tp->tstamp_ok && cb->opt.saw_tstamp && cb->opt.tsecr)
			tcp_rtt_sample(tp, ((uint32_t)(net->now / 1000) + tp->ts_offset - cb->opt.tsecr) * 1000u);
		else if (tp->rtt_timing && after(ack, tp->rtt_seq)) {
			tcp_rtt_sample(tp, (uint32_t)(net->now - tp->rtt_start));
			tp->rtt_timing = false;
		}
		tp->backoff = 0;
		tp->retransmits = 0;
		tp->persist_backoff = 0;
		del_timer(&net->timers, &tp->persist_timer);
		if (tp->sack_ok) {
			/* tcp_sack_ack, below, recovers and grows the window */
		} else if (tp->in_recovery) {
			if (!before(ack, tp->recover)) {
				/* Full ACK: leave recovery (RFC 6582 §3.2 step 3). */
				uint32_t f = (tcp_flight(tp) > tp->mss ? tcp_flight(tp) : tp->mss) + tp->mss;
				tp->cwnd = tp->ssthresh < f ? tp->ssthresh : f;
				tp->in_recovery = false;
				tp->dupacks = 0;
				tcp_trace(sk, "recovered", "una %u", ack - tp->iss);
			} else {
				/* Partial ACK: the next hole, at once. */
				tcp_resend_una(sk);
				tp->cwnd = tp->cwnd > acked ? tp->cwnd - acked + tp->mss : tp->mss;
			}
		} else if (flight + tp->mss >= tp->cwnd) {
			/* Grow only a window that was in use (RFC 7661): an
			 * application that sends little must not earn a
			 * window it never tested. */
			/* Byte counting (RFC 3465) without its L limit, as
			 * Linux does: one ACK may cover a whole 64 KB
			 * super-frame the peer's GRO or TSO made of 45
			 * segments, and must count as 45. */
			tp->dupacks = 0;
			tcp_cong_on_ack(tp, acked);
		} else {
			tp->dupacks = 0;
		}
		if (!tp->sack_ok)
			tcp_rate_delivered(tp, acked);
		if (tcp_flight(tp) == 0)
			del_timer(&net->timers, &tp->rexmit_timer);
		else
			tcp_reset_rexmit_timer(sk);
		sk_wake(sk);	/* room in the send buffer */
	} else if (tp->sack_ok) {
		if (ack == tp->snd_una && cb->len == 0 && flight > 0)
			net->tcpstats.DupAcks++;
	} else if (ack == tp->snd_una && cb->len == 0 && !(cb->flags & (TH_SYN | TH_FIN)) &&
		   flight > 0) {
		/* RFC 5681 also asks for an unchanged window, but a Linux
		 * receiver moves its window with nearly every ACK while its
		 * reader drains it; counting those keeps fast retransmit
		 * working against it, as most stacks do. */
		/* Early retransmit (RFC 5827): with fewer than four segments
		 * out and nothing new to send, three duplicates can never
		 * come; ask for one less than what is out. */
		uint32_t segs = (flight + tp->mss - 1) / tp->mss, thresh = 3;
		if (segs < 4 && tp->snd_una + tp->sndq.len == tp->snd_nxt)
			thresh = segs > 1 ? segs - 1 : 1;
		net->tcpstats.DupAcks++;
		if (++tp->dupacks >= thresh && !tp->in_recovery) {
			/* Fast retransmit (RFC 5681 §3.2, RFC 6582 §3.2). */
			net->tcpstats.FastRetrans++;
			tp->ssthresh = tcp_cong_ssthresh(tp);
			tp->recover = tp->snd_max;
			tp->in_recovery = true;
			tcp_resend_una(sk);
			tp->cwnd = tp->ssthresh + 3u * tp->mss;
			tcp_trace(sk, "recovery", "cause dupacks %u", tp->dupacks);
		} else if (tp->in_recovery) {
			tp->cwnd += tp->mss;	/* each dup ACK: a segment has left */
			if (++tp->rexmit_dupacks > tp->rexmit_out + 1) {
				/* The resent segment was lost too: send it again
				 * now rather than wait for the timeout (what RACK
				 * does with SACK, RFC 8985 §6.2, by counting). */
				net->tcpstats.LostRetransmits++;
				tcp_resend_una(sk);
			}
		}
	}
	if (tp->sack_ok) {
		struct tcp_sack_opt sacks;
		const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(skb);
		if (tcp_parse_sack(th, (th->doff_res >> 4) * 4u, &sacks))
			sacks.n = 0;
		tcp_sack_ack(sk, flight, &sacks, cb->opt.saw_tstamp ? cb->opt.tsecr : 0);
	}
	/* The send window, from the newest segment (RFC 9293 §3.10.7.4). */
	if (before(tp->snd_wl1, cb->seq) ||
	    (tp->snd_wl1 == cb->seq && !before(ack, tp->snd_wl2))) {
		if (tp->trace_readers && (cb->window << tp->snd_wscale) != tp->snd_wnd)
			tcp_trace(sk, "window", "snd_wnd %u", cb->window << tp->snd_wscale);
		tp->snd_wnd = cb->window << tp->snd_wscale;
		if (tp->snd_wnd > tp->max_window)
			tp->max_window = tp->snd_wnd;
		tp->snd_wl1 = cb->seq;
		tp->snd_wl2 = ack;
	}
	/* Our FIN acknowledged? */
	if (tp->fin_sent && after(tp->snd_una, tp->fin_seq)) {
		switch (sk->sk_state) {
		case TCP_FIN_WAIT1:
			tcp_set_state(sk, TCP_FIN_WAIT2);
			if (tp->orphan || tp->fin_queued)
				mod_timer(&net->timers, &tp->timewait_timer, net->now + TCP_FIN_TIMEOUT_US);
			break;
		case TCP_CLOSING:
			tcp_enter_timewait(sk);
			break;
		case TCP_LAST_ACK:
			tcp_done(sk);
			return false;
		}
	}
	return true;
}

/* tcp_rcv_state_process: every state but LISTEN and SYN_SENT. */
static void tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct net *net = sk->net;
	/* A listener's child hears its peer's SYN again: our SYN-ACK was lost. */
	if (sk->sk_state == TCP_SYN_RECV && (cb->flags & TH_SYN) && !(cb->flags & TH_ACK) &&
	    cb->seq == tp->irs) {
		tcp_send_synack(sk);
		goto drop;
	}
	/* PAWS (RFC 7323 §5): an old timestamp is an old duplicate. */
	if (tp->tstamp_ok && cb->opt.saw_tstamp && !(cb->flags & TH_RST) &&
	    (int32_t)(cb->opt.tsval - tp->ts_recent) < 0) {
		net->tcpstats.PawsDrops++;
		tcp_send_ack(sk);
		goto drop;
	}
	/* first: sequence number */
	if (!tcp_sequence_ok(tp, cb)) {
		net->tcpstats.OutOfWindow++;
		if (!(cb->flags & TH_RST)) {
			if (sk->sk_state == TCP_TIME_WAIT && (cb->flags & TH_FIN))
				tcp_enter_timewait(sk);	/* their FIN again: restart 2 MSL */
			if (!after(cb->end_seq, tp->rcv_nxt))
				tcp_dsack(tp, cb->seq, cb->end_seq);	/* a retransmission we had */
			tcp_send_ack(sk);
		}
		goto drop;
	}
	/* RFC 7323 §4.3: remember the newest timestamp of an in-order segment. */
	if (tp->tstamp_ok && cb->opt.saw_tstamp && !after(cb->seq, tp->last_ack_sent)) {
		tp->ts_recent = cb->opt.tsval;
		tp->ts_recent_stamp = net->now;
	}
	/* second: RST (RFC 5961 §3.2: only an exact hit resets) */
	if (cb->flags & TH_RST) {
		/* RFC 1337: a RST must not cut TIME_WAIT short.  A late
		 * duplicate of ours reaching a peer that has closed draws one,
		 * and the wait exists for exactly such stragglers. */
		if (sk->sk_state == TCP_TIME_WAIT)
			goto drop;
		if (cb->seq != tp->rcv_nxt) {
			tcp_send_challenge_ack(sk);
			goto drop;
		}
		if (sk->sk_state == TCP_SYN_RECV && sk->parent) {
			/* A passive open just goes away (RFC 9293: "return
			 * to LISTEN"); nobody else holds it. */
			tcp_drop_half_open(sk);
			goto drop;
		}
		if (sk->sk_state == TCP_SYN_RECV)
			sk->sk_err = ECONNREFUSED;
		else if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_FIN_WAIT1 ||
			 sk->sk_state == TCP_FIN_WAIT2 || sk->sk_state == TCP_CLOSE_WAIT)
			sk->sk_err = ECONNRESET;
		if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT)
			net->tcpstats.EstabResets++;
		/* A child waiting in the accept queue stays there, closed:
		 * accept gives it, and its first read says ECONNRESET. */
		tcp_done(sk);
		goto drop;
	}
	/* fourth: SYN in a synchronized state (RFC 5961 §4.2) */
	if (cb->flags & TH_SYN) {
		tcp_send_challenge_ack(sk);
		goto drop;
	}
	/* fifth: ACK */
	if (!(cb->flags & TH_ACK))
		goto drop;
	if (sk->sk_state == TCP_SYN_RECV) {
		if (!after(cb->ack_seq, tp->snd_una) || after(cb->ack_seq, tp->snd_max)) {
			tcp_send_reset(net, skb);
			goto drop;
		}
		if (sk->parent && tcp_acceptq_full(sk->parent)) {
			/* As Linux: the ACK is dropped and the child stays
			 * half open; its SYN-ACK goes again on the timer, and
			 * the peer's ACK of that may find room. */
			net->tcpstats.ListenOverflows++;
			net->tcpstats.ListenDrops++;
			goto drop;
		}
		tcp_established(sk, cb, cb->window << tp->snd_wscale);
		if (sk->parent) {
			struct sock *parent = sk->parent;
			tcp_sk(parent)->syn_pending--;
			sk_accept_enqueue(parent, sk);
			sk_wake(parent);
		}
	} else if (!tcp_ack(sk, skb)) {
		goto drop;
	}
	tp->last_rcv = net->now;
	tp->keepalive_sent = 0;
	/* seventh and eighth: data and FIN */
	if ((cb->len || (cb->flags & TH_FIN)) &&
	    (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_FIN_WAIT1 ||
	     sk->sk_state == TCP_FIN_WAIT2)) {
		if (sk->sk_shutdown & RCV_SHUTDOWN && cb->len && !tp->fin_rcvd) {
			/* shutdown rd: data nobody will read ends the connection */
			tcp_send_active_reset(sk);
			tcp_done(sk);
			goto drop;
		}
		tcp_data_queue(sk, skb);
		skb = NULL;
	}
	if (sk->sk_state != TCP_CLOSED) {
		tcp_write_xmit(sk);
		if (tp->ack_now)
			tcp_send_ack(sk);
		else if (tp->ack_pending)
			tcp_send_delayed_ack(sk);
	}
drop:
	if (skb)
		kfree_skb(skb);
}

/* tcp_rcv: a segment of either family whose header length (hlen) and
 * checksum were checked, data at its TCP header.  Every other field is
 * checked before it is believed. */
static void tcp_rcv(struct sk_buff *skb, unsigned int hlen, const struct inet_addr *saddr,
		    const struct inet_addr *daddr)
{
	struct net *net = skb->dev->net;
	struct tcpstats *st = &net->tcpstats;
	const struct tcphdr *th = (const struct tcphdr *)skb->data;
	struct tcp_skb_cb *cb = TCP_SKB_CB(skb);
	struct sock *sk;

	if (skb->pkt_type != PACKET_HOST)
		goto drop;	/* TCP is never broadcast */
	memset(cb, 0, sizeof(*cb));
	cb->seq = ntohl(th->seq);
	cb->ack_seq = ntohl(th->ack_seq);
	cb->flags = th->flags;
	cb->window = ntohs(th->window);
	cb->len = skb->len - hlen;
	cb->end_seq = cb->seq + cb->len + ((th->flags & TH_SYN) ? 1 : 0) + ((th->flags & TH_FIN) ? 1 : 0);
	/* A super-frame from the device counts as the segments it was on
	 * the wire (InSegs counts segments, as netstat users expect). */
	if (skb->gso_size && cb->len > skb->gso_size)
		st->InSegs += (cb->len - 1) / skb->gso_size;
	if (tcp_parse_options(th, hlen, th->flags & TH_SYN, &cb->opt))
		st->BadOptions++;
	skb_reset_transport_header(skb);
	sk = tcp_lookup_addr(net, saddr, th->source, daddr, th->dest);
	/* A new SYN meets an old connection in TIME_WAIT: the old one
	 * gives way if the new sequence is past it (RFC 9293 §3.6.1). */
	if (sk && sk->sk_state == TCP_TIME_WAIT && (cb->flags & TH_SYN) && !(cb->flags & TH_ACK) &&
	    after(cb->seq, tcp_sk(sk)->rcv_nxt)) {
		tcp_done(sk);
		sk = tcp_lookup_addr(net, saddr, th->source, daddr, th->dest);
	}
	if (!sk || sk->sk_state == TCP_CLOSED) {
		st->InNoSocket++;
		tcp_send_reset(net, skb);
		goto drop;
	}
	skb_pull(skb, hlen);
	{
		uint32_t segs = skb->gso_size && cb->len > skb->gso_size ?
			(cb->len - 1) / skb->gso_size + 1 : 1;
		tcp_sk(sk)->segs_in += segs;
		if (cb->len)
			tcp_sk(sk)->data_segs_in += segs;
	}
	switch (sk->sk_state) {
	case TCP_LISTEN:
		if (tcp_listen_rcv(sk, skb))
			return;
		break;
	case TCP_SYN_SENT:
		tcp_synsent_rcv(sk, skb);
		break;
	default:
		tcp_rcv_state_process(sk, skb);
		return;
	}
drop:
	kfree_skb(skb);
}

/* tcp_rcv_check: the header length and the checksum over the pseudo-
 * header of either family, unless the device vouched for it (offload)
 * or it never left the host.  The header length, or 0 when the segment
 * was dropped (and counted). */
static unsigned int tcp_rcv_check(struct sk_buff *skb, const struct inet_addr *saddr,
				  const struct inet_addr *daddr)
{
	struct tcpstats *st = &skb->dev->net->tcpstats;
	const struct tcphdr *th = (const struct tcphdr *)skb->data;
	unsigned int hlen;

	st->InSegs++;
	if (skb->len < sizeof(*th) || (hlen = (th->doff_res >> 4) * 4u) < sizeof(*th) ||
	    hlen > skb->len) {
		st->InBadHeader++;
		st->InErrs++;
		kfree_skb(skb);
		return 0;
	}
	if (!skb_csum_unnecessary(skb) &&
	    csum_fold(inet_pseudo_sum(saddr, daddr, skb->len, IPPROTO_TCP,
				      csum_partial(skb->data, skb->len, 0))) != 0) {
		st->InCsumErrors++;
		st->InErrs++;
		kfree_skb(skb);
		return 0;
	}
	return hlen;
}

/* tcp_v4_rcv: the IPPROTO_TCP handler. */
void tcp_v4_rcv(struct sk_buff *skb)
{
	struct inet_addr saddr, daddr;
	unsigned int hlen;

	skb_inet_addrs(skb, &saddr, &daddr);
	if ((hlen = tcp_rcv_check(skb, &saddr, &daddr)) != 0)
		tcp_rcv(skb, hlen, &saddr, &daddr);
}

/* tcp_v6_rcv: NEXTHDR_TCP's handler: the IPv6 pseudo-header (RFC 8200
 * §8.1), then the same path as IPv4's. */
void tcp_v6_rcv(struct sk_buff *skb)
{
	struct inet_addr saddr, daddr;
	unsigned int hlen;

	skb_inet_addrs(skb, &saddr, &daddr);
	if ((hlen = tcp_rcv_check(skb, &saddr, &daddr)) != 0)
		tcp_rcv(skb, hlen, &saddr, &daddr);
}

/* tcp_err: an ICMP or ICMPv6 error about one of our segments, from
 * laddr:lport to raddr:rport with sequence number seq (RFC 1122
 * §4.2.3.9, RFC 5927).  A connection being opened fails with err; an open
 * one only learns a smaller MTU (mtu, when not 0). */
static void tcp_err(struct net *net, const struct inet_addr *laddr, uint16_t lport,
		    const struct inet_addr *raddr, uint16_t rport, uint32_t seq, int err,
		    uint32_t mtu)
{
	struct sock *sk = tcp_lookup_addr(net, raddr, rport, laddr, lport);
	struct tcp_sock *tp;

	if (!sk || sk->sk_state == TCP_LISTEN)
		return;
	tp = tcp_sk(sk);
	if (before(seq, tp->snd_una) || after(seq, tp->snd_max))
		return;	/* not about anything in flight: forged or stale */
	if (mtu) {
		unsigned int hdrs = tcp_net_hdrlen(sk), ts = tp->tstamp_ok ? 12u : 0u;
		if (mtu > hdrs + ts + 8 && mtu - hdrs < tp->mss + ts) {
			tp->mss = (uint16_t)(mtu - hdrs - ts);
			tcp_retransmit_una(sk);
		}
		return;
	}
	if (sk->sk_state == TCP_SYN_RECV && sk->parent) {
		/* A passive open whose SYN-ACK cannot get there (the peer's
		 * address does not resolve): gone, as Linux drops the
		 * request; the fuzzer found tcp_done leaking it. */
		net->tcpstats.AttemptFails++;
		tcp_drop_half_open(sk);
	} else if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV) {
		sk->sk_err = err;
		net->tcpstats.AttemptFails++;
		tcp_done(sk);
	}
}

void tcp_v4_err(struct sk_buff *skb, int type, int code, uint32_t info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct tcphdr *th = (const struct tcphdr *)(skb->data + ip_hdrlen(iph));
	struct inet_addr l = { .family = AF_INET, .v4 = iph->saddr };
	struct inet_addr r = { .family = AF_INET, .v4 = iph->daddr };
	bool frag = type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED;

	if (frag && info < 68)
		return;
	tcp_err(skb->dev->net, &l, th->source, &r, th->dest, ntohl(th->seq),
		icmp_err_to_errno(type, code), frag ? info : 0);
}

void tcp_v6_err(struct net *net, const struct ipv6hdr *ip6, const unsigned char *l4,
		unsigned int l4len, int err, uint32_t mtu)
{
	struct inet_addr l = { .family = AF_INET6, .v6 = ip6->saddr };
	struct inet_addr r = { .family = AF_INET6, .v6 = ip6->daddr };
	uint16_t sport, dport;
	uint32_t seq;

	if (l4len < 8)
		return;
	memcpy(&sport, l4, 2);
	memcpy(&dport, l4 + 2, 2);
	memcpy(&seq, l4 + 4, 4);
	tcp_err(net, &l, sport, &r, dport, ntohl(seq), err, mtu);
}
