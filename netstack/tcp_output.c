/* TCP output: build and send segments (RFC 9293 §3.10.4 SEND, §3.8.6).
 *
 * The send buffer is a byte ring starting at snd_una, so a retransmission
 * is just a copy from an older offset; every segment is copied once, from
 * the ring into the packet. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "checksum.h"
#include "net.h"
#include "tcp.h"

#define TCPOLEN_MSS 4
#define TCPOLEN_WS 4		/* with a NOP in front */
#define TCPOLEN_TS 12		/* with two NOPs */

uint32_t tcp_flight(const struct tcp_sock *tp)
{
	return tp->snd_nxt - tp->snd_una;
}

static uint32_t tcp_tsval(const struct sock *sk)
{
	return (uint32_t)(sk->net->now / 1000) + tcp_sk((struct sock *)sk)->ts_offset;
}

/* tcp_rcv_space: room in the receive ring, and under the cap on all
 * connections' buffers (tcp_mem.c). */
static uint32_t tcp_rcv_space(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t space = tp->rcvq.cap - tp->rcvq.len, room = tcp_mem_room(sk->net);

	return space < room ? space : room;
}

/* tcp_select_window: the window to offer, never shrinking what was
 * offered, and growing only by a useful amount (receiver silly window
 * avoidance, RFC 1122 §4.2.3.3).  Returns it scaled for the header. */
uint32_t tcp_select_window(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t free_space = tcp_rcv_space(sk);
	uint32_t cur = after(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t step = tp->rcvq.cap / 2 < tp->advmss ? tp->rcvq.cap / 2 : tp->advmss;
	uint32_t max = 65535u << tp->rcv_wscale;
	uint32_t wnd = free_space > max ? max : free_space;

	wnd = (wnd >> tp->rcv_wscale) << tp->rcv_wscale;
	if (wnd < cur || wnd - cur < step)
		wnd = cur;
	tp->rcv_wnd = wnd;
	tp->rcv_adv = tp->rcv_nxt + wnd;
	return wnd >> tp->rcv_wscale;
}

/* tcp_gso_max: the most data one call of tcp_transmit may carry, whole
 * segments of mss that with every header fit the IPv4 length field. */
static uint32_t tcp_gso_max(const struct tcp_sock *tp)
{
	uint32_t hdrs = 20 + 20 + (tp->tstamp_ok ? TCPOLEN_TS : 0);
	uint32_t segs = (GSO_MAX_SIZE - hdrs) / tp->mss;

	return segs * tp->mss;
}

/* tcp_transmit sends one segment: len bytes of the send ring from seq (0
 * for none), with flags.  SYN segments carry the handshake options.  Data
 * longer than mss goes as one GSO packet of mss-sized segments, which the
 * device (or dev_queue_xmit) cuts, each with these headers and the flags
 * FIN and PSH on the last only; the peer sees segments of mss.  The
 * checksum is left partial, for the device or dev_queue_xmit to fill. */
int tcp_transmit(struct sock *sk, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;
	bool syn = flags & TH_SYN;
	unsigned int optlen = 0;
	struct inet_addr saddr, daddr;
	struct sk_buff *skb;
	struct tcphdr *th;
	unsigned char *opt;
	uint32_t wnd;

	/* SACK-permitted: always in a SYN, in a SYN-ACK when the SYN had it. */
	bool sackok = syn && (!(flags & TH_ACK) || tp->sack_ok);
	struct tcp_sack_block blocks[TCP_MAX_SACKS];
	unsigned int nblocks = 0;

	if (syn) {
		optlen = TCPOLEN_MSS;
		if (tp->wscale_ok)
			optlen += TCPOLEN_WS;
		if (sackok)
			optlen += 4;	/* NOP NOP SACK-permitted */
	}
	if (tp->tstamp_ok)
		optlen += TCPOLEN_TS;
	/* SACK blocks, on an ACK that carries no data (so that a data
	 * segment's room never shrinks): the D-SACK first, then the most
	 * recent; three fit beside the timestamps (RFC 2018 §3). */
	if (!syn && !len && (flags & TH_ACK) && tp->sack_ok && (tp->nsack || tp->dsack_pending)) {
		unsigned int room = tp->tstamp_ok ? 3 : 4;
		if (tp->dsack_pending)
			blocks[nblocks++] = tp->dsack;
		for (unsigned int i = 0; i < tp->nsack && nblocks < room; i++)
			blocks[nblocks++] = tp->sack[i];
		optlen += 4 + 8 * nblocks;	/* NOP NOP SACK */
	}
	skb = ip_alloc_skb((unsigned int)sizeof(*th) + optlen + len);
	if (!skb)
		return -ENOBUFS;
	skb_reset_transport_header(skb);
	th = (struct tcphdr *)skb_put(skb, (unsigned int)sizeof(*th) + optlen);
	opt = (unsigned char *)(th + 1);
	if (syn) {
		opt[0] = 2; opt[1] = 4;
		opt[2] = (unsigned char)(tp->advmss >> 8); opt[3] = (unsigned char)tp->advmss;
		opt += 4;
		if (tp->wscale_ok) {
			opt[0] = 1; opt[1] = 3; opt[2] = 3; opt[3] = tp->rcv_wscale;
			opt += 4;
		}
		if (sackok) {
			opt[0] = 1; opt[1] = 1; opt[2] = 4; opt[3] = 2;
			opt += 4;
		}
	}
	if (tp->tstamp_ok) {
		uint32_t v = htonl(tcp_tsval(sk)), e = htonl(tp->ts_recent);
		opt[0] = 1; opt[1] = 1; opt[2] = 8; opt[3] = 10;
		memcpy(opt + 4, &v, 4);
		memcpy(opt + 8, &e, 4);
		opt += 12;
	}
	if (nblocks) {
		opt[0] = 1; opt[1] = 1; opt[2] = 5; opt[3] = (unsigned char)(2 + 8 * nblocks);
		opt += 4;
		for (unsigned int i = 0; i < nblocks; i++) {
			uint32_t a = htonl(blocks[i].start), b = htonl(blocks[i].end);
			memcpy(opt, &a, 4);
			memcpy(opt + 4, &b, 4);
			opt += 8;
		}
		tp->dsack_pending = false;	/* a D-SACK is said once */
	}
	if (len)
		bring_copy_out(&tp->sndq, seq - tp->snd_una, skb_put(skb, len), len);
	/* A SYN's window is never scaled (RFC 7323 §2.2). */
	if (syn) {
		wnd = tp->rcvq.cap - tp->rcvq.len;
		wnd = wnd > 65535 ? 65535 : wnd;
		tp->rcv_wnd = wnd;
		tp->rcv_adv = tp->rcv_nxt + wnd;
	} else {
		wnd = tcp_select_window(sk);
	}
	th->source = sk->inet_sport;
	th->dest = sk->inet_dport;
	th->seq = htonl(seq);
	th->ack_seq = (flags & TH_ACK) ? htonl(tp->rcv_nxt) : 0;
	th->doff_res = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->flags = flags;
	th->window = htons((uint16_t)wnd);
	th->urg_ptr = 0;
	/* The pseudo-header sum, not complemented: what a device adds the
	 * rest to (CHECKSUM_PARTIAL). */
	sk_saddr(sk, &saddr);
	sk_daddr(sk, &daddr);
	th->check = (uint16_t)~csum_fold(inet_pseudo_sum(&saddr, &daddr, skb->len, IPPROTO_TCP, 0));
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb->transport_header;
	skb->csum_offset = 16;
	if (len > tp->mss) {
		skb->gso_type = saddr.family == AF_INET6 ? SKB_GSO_TCPV6 : SKB_GSO_TCPV4;
		skb->gso_size = tp->mss;
	}
	if (flags & TH_ACK) {
		tp->ack_pending = 0;
		tp->ack_now = false;
		tp->last_ack_sent = tp->rcv_nxt;
		del_timer(&net->timers, &tp->delack_timer);
	}
	if ((len || (flags & TH_FIN)) && !(flags & (TH_SYN | TH_RST))) {
		bool rexmit = before(seq, tp->snd_max);
		tcp_txq_sent(tp, seq, seq + len + ((flags & TH_FIN) ? 1 : 0), rexmit);
		if (rexmit && tp->trace_readers)
			tcp_trace(sk, "retransmit", "seq %u len %u%s", seq - tp->iss, len,
				  (flags & TH_FIN) ? " fin" : "");
	}
	{
		uint32_t segs = len > tp->mss ? (len + tp->mss - 1) / tp->mss : 1;
		net->tcpstats.OutSegs += segs;
		tp->segs_out += segs;
		if (len)
			tp->data_segs_out += segs;
	}
	if (flags & TH_RST)
		net->tcpstats.OutRsts++;
	return inet_xmit(net, skb, &saddr, &daddr, IPPROTO_TCP, sk->ttl, sk->tos, true);
}

/* tcp_write_xmit sends what the windows allow: new data, retransmissions
 * after a timeout (snd_nxt went back to snd_una), and the FIN. */
void tcp_write_xmit(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;
	int st = sk->sk_state;

	if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT && st != TCP_FIN_WAIT1 &&
	    st != TCP_CLOSING && st != TCP_LAST_ACK)
		return;
	for (;;) {
		uint32_t data_end = tp->snd_una + tp->sndq.len;
		uint32_t unsent = after(data_end, tp->snd_nxt) ? data_end - tp->snd_nxt : 0;
		/* Limited transmit (RFC 3042): the first two duplicate ACKs
		 * each let one new segment out, so that a small window
		 * still brings the three that start fast retransmit. */
		uint32_t cw = tp->cwnd + (tp->in_recovery ? 0 : (tp->dupacks < 2 ? tp->dupacks : 2) * tp->mss);
		uint32_t wnd = tp->snd_wnd < cw ? tp->snd_wnd : cw;
		uint32_t win_end = tp->snd_una + wnd;
		uint32_t room = after(win_end, tp->snd_nxt) ? win_end - tp->snd_nxt : 0;
		uint8_t flags = TH_ACK;
		uint32_t len;

		if (tp->sack_ok) {
			/* With a scoreboard the window holds pipe, not
			 * everything past snd_una (RFC 6675 §5): what is lost
			 * goes first, then new data. */
			uint32_t pipe = tcp_pipe(tp);
			uint32_t croom = tp->cwnd > pipe ? tp->cwnd - pipe : 0;
			uint32_t rroom = after(tp->snd_una + tp->snd_wnd, tp->snd_nxt) ?
				tp->snd_una + tp->snd_wnd - tp->snd_nxt : 0;
			if (tp->lost_out) {
				int n = tcp_sack_retransmit(sk, &croom);
				if (n > 0)
					continue;
				if (n < 0 && !timer_pending(&tp->rexmit_timer))
					tcp_reset_rexmit_timer(sk);
				break;
			}
			room = croom < rroom ? croom : rroom;
		}

		if (!unsent) {
			/* The FIN goes once everything before it has, and again
			 * after a timeout, until it is acknowledged. */
			bool fin_acked = tp->fin_sent && after(tp->snd_una, tp->fin_seq);
			if (tp->fin_queued && tp->snd_nxt == data_end && !fin_acked) {
				tp->fin_seq = data_end;
				tp->fin_sent = true;
				tcp_transmit(sk, tp->snd_nxt, 0, TH_ACK | TH_FIN);
				tp->snd_nxt++;
				if (after(tp->snd_nxt, tp->snd_max))
					tp->snd_max = tp->snd_nxt;
				if (!timer_pending(&tp->rexmit_timer))
					tcp_reset_rexmit_timer(sk);
			}
			break;
		}
		/* As much as the windows let out at once, in whole segments
		 * but for the last of the data (one GSO packet). */
		len = unsent < tcp_gso_max(tp) ? unsent : tcp_gso_max(tp);
		if (len > room && room >= tp->mss)
			len = room - room % tp->mss;
		/* A short last segment behind full ones would be in flight
		 * with them: Nagle holds it back, as it would a lone one. */
		if (len > tp->mss && (len < unsent || (!tp->nodelay && !tp->fin_queued)))
			len -= len % tp->mss;
		if (len > room) {
			/* Sender silly window avoidance: wait for a window
			 * worth sending, unless it is half the most ever
			 * offered. */
			if (room == 0 || (room < tp->max_window / 2 && !tp->sws_override))
				break;
			len = room;
		}
		/* Nagle (RFC 896): one small segment in flight at most. */
		if (len < tp->mss && !tp->nodelay && tcp_flight(tp) > 0 &&
		    tp->snd_nxt == tp->snd_max && !tp->fin_queued)
			break;
		if (len == unsent) {
			flags |= TH_PSH;
			if (tp->fin_queued) {
				flags |= TH_FIN;
				tp->fin_seq = data_end;
				tp->fin_sent = true;
			}
		}
		if (before(tp->snd_nxt, tp->snd_max)) {
			uint32_t segs = (len + tp->mss - 1) / tp->mss;
			net->tcpstats.RetransSegs += segs ? segs : 1;
			tp->total_retrans += segs ? segs : 1;
		} else if (!tp->rtt_timing && !tp->tstamp_ok) {
			tp->rtt_timing = true;
			tp->rtt_seq = tp->snd_nxt;
			tp->rtt_start = net->now;
		}
		if (tcp_transmit(sk, tp->snd_nxt, len, flags)) {
			/* No route, no memory: try again on the timer, which
			 * gives up as it would on a silent peer. */
			if (!timer_pending(&tp->rexmit_timer))
				tcp_reset_rexmit_timer(sk);
			break;
		}
		tp->snd_nxt += len + ((flags & TH_FIN) ? 1 : 0);
		if (after(tp->snd_nxt, tp->snd_max))
			tp->snd_max = tp->snd_nxt;
		if (!timer_pending(&tp->rexmit_timer))
			tcp_reset_rexmit_timer(sk);
	}
	if (tp->sack_ok)
		tcp_tlp_arm(sk);
	/* Data waits on a closed window with nothing in flight to bring an
	 * ACK: probe it (RFC 9293 §3.8.6.1). */
	if (tp->sndq.len && tp->snd_nxt == tp->snd_una && tp->snd_wnd < tp->mss &&
	    !timer_pending(&tp->persist_timer) && !timer_pending(&tp->rexmit_timer)) {
		if (!tp->persist_backoff)
			tp->persist_backoff = tp->rto;
		mod_timer(&net->timers, &tp->persist_timer, net->now + tp->persist_backoff);
	}
}

void tcp_send_ack(struct sock *sk)
{
	tcp_transmit(sk, tcp_sk(sk)->snd_nxt, 0, TH_ACK);
}

/* Delayed ACK (RFC 1122 §4.2.3.2, RFC 9293 §3.8.6.3): at least every
 * second full-sized segment, and within TCP_DELACK_US.  The ACK a
 * segment earns waits for the end of the receive batch, so that the
 * segments of one batch get one ACK, as GRO gives Linux; by then a
 * segment we send may have carried it. */
void tcp_send_delayed_ack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;

	/* A full segment from the peer carries advmss less our options. */
	uint32_t full = tp->advmss - (tp->tstamp_ok ? 12u : 0u);

	if (tp->ack_now) {
		tcp_send_ack(sk);
		return;
	}
	if (tp->ack_pending >= 2u * full) {
		if (!tp->ack_queued) {
			tp->ack_queued = true;
			tp->ack_next = net->tcp_ack_queue;
			net->tcp_ack_queue = tp;
		}
		return;
	}
	if (!timer_pending(&tp->delack_timer))
		mod_timer(&net->timers, &tp->delack_timer, net->now + TCP_DELACK_US);
}

void tcp_ack_dequeue(struct tcp_sock *tp)
{
	struct tcp_sock **pp;

	if (!tp->ack_queued)
		return;
	for (pp = &tp->sk.net->tcp_ack_queue; *pp; pp = &(*pp)->ack_next)
		if (*pp == tp) {
			*pp = tp->ack_next;
			break;
		}
	tp->ack_queued = false;
	tp->ack_next = NULL;
}

/* tcp_flush_acks: the receive batch is over; every connection still owed
 * an ACK gets one. */
void tcp_flush_acks(struct net *net)
{
	struct tcp_sock *tp;

	while ((tp = net->tcp_ack_queue) != NULL) {
		net->tcp_ack_queue = tp->ack_next;
		tp->ack_queued = false;
		tp->ack_next = NULL;
		if (tp->ack_pending && tp->sk.sk_state != TCP_CLOSED)
			tcp_send_ack(&tp->sk);
	}
}

void tcp_send_syn(struct sock *sk)
{
	tcp_transmit(sk, tcp_sk(sk)->iss, 0, TH_SYN);
}

void tcp_send_synack(struct sock *sk)
{
	tcp_transmit(sk, tcp_sk(sk)->iss, 0, TH_SYN | TH_ACK);
}

void tcp_send_active_reset(struct sock *sk)
{
	tcp_transmit(sk, tcp_sk(sk)->snd_nxt, 0, TH_RST | TH_ACK);
}

/* tcp_send_probe: a segment the peer must answer with an ACK carrying its
 * window, for keepalive and zero-window probes: one sequence number
 * below snd_una, no data, as Linux does. */
void tcp_send_probe(struct sock *sk, bool keepalive)
{
	tcp_transmit(sk, tcp_sk(sk)->snd_una - 1, 0, TH_ACK);
	if (keepalive)
		sk->net->tcpstats.KeepaliveProbes++;
	else
		sk->net->tcpstats.ZeroWindowProbes++;
}

/* RFC 5961 §3.2, §4.2, §5.2: answer a suspicious segment with an ACK, but
 * not more often than a global limit allows. */
void tcp_send_challenge_ack(struct sock *sk)
{
	struct net *net = sk->net;
	const uint64_t cost = 1000000, cap = 100 * cost;

	net->tcp_challenge_tokens += (net->now - net->tcp_challenge_last) * 1000;
	net->tcp_challenge_last = net->now;
	if (net->tcp_challenge_tokens > cap)
		net->tcp_challenge_tokens = cap;
	if (net->tcp_challenge_tokens < cost) {
		net->tcpstats.ChallengeAcksLimited++;
		return;
	}
	net->tcp_challenge_tokens -= cost;
	net->tcpstats.ChallengeAcks++;
	tcp_send_ack(sk);
}

/* tcp_retransmit_una resends the oldest unacknowledged segment. */
int tcp_retransmit_una(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t len, data_end = tp->snd_una + tp->sndq.len;
	uint8_t flags = TH_ACK;

	if (sk->sk_state == TCP_SYN_SENT) {
		tcp_send_syn(sk);
		return 0;
	}
	if (sk->sk_state == TCP_SYN_RECV) {
		tcp_send_synack(sk);
		return 0;
	}
	len = tp->sndq.len < tp->mss ? tp->sndq.len : tp->mss;
	if (tp->fin_sent && tp->snd_una + len == data_end)
		flags |= TH_FIN;
	if (!len && !(flags & TH_FIN))
		return 0;
	if (tp->rtt_timing && !before(tp->rtt_seq, tp->snd_una))
		tp->rtt_timing = false;	/* Karn: never time a retransmission */
	sk->net->tcpstats.RetransSegs++;
	tp->total_retrans++;
	return tcp_transmit(sk, tp->snd_una, len, flags | (len ? TH_PSH : 0));
}

/* tcp_window_update tells the peer the window opened after a read, when
 * it opened by enough to matter (receiver SWS avoidance). */
void tcp_window_update(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t free_space = tcp_rcv_space(sk);
	uint32_t cur = after(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t step = tp->rcvq.cap / 2 < tp->advmss ? tp->rcvq.cap / 2 : tp->advmss;
	uint32_t max = 65535u << tp->rcv_wscale;

	/* What tcp_select_window could offer: capped by the header field. */
	if (free_space > max)
		free_space = max;
	free_space = (free_space >> tp->rcv_wscale) << tp->rcv_wscale;
	if (sk->sk_state != TCP_ESTABLISHED && sk->sk_state != TCP_FIN_WAIT1 &&
	    sk->sk_state != TCP_FIN_WAIT2)
		return;
	/* Worth telling: the window grows by a segment and half the buffer,
	 * or it was (nearly) shut. */
	if (free_space > cur && (free_space - cur >= tp->rcvq.cap / 2 ||
				 (cur < step && free_space - cur >= step)))
		tcp_send_ack(sk);
}

/* tcp_send_reset answers a segment that has no connection (RFC 9293
 * §3.10.7.1): skb data is at its TCP header. */
void tcp_send_reset(struct net *net, struct sk_buff *in)
{
	struct inet_addr saddr, daddr;
	const struct tcphdr *th = (const struct tcphdr *)skb_transport_header(in);
	struct sk_buff *skb;
	struct tcphdr *rth;
	uint32_t seglen;

	if (th->flags & TH_RST)
		return;
	if (in->pkt_type != PACKET_HOST)
		return;
	seglen = in->len - (unsigned int)((th->doff_res >> 4) * 4) +
		 ((th->flags & TH_SYN) ? 1 : 0) + ((th->flags & TH_FIN) ? 1 : 0);
	skb = ip_alloc_skb(sizeof(*rth));
	if (!skb)
		return;
	rth = (struct tcphdr *)skb_put(skb, sizeof(*rth));
	memset(rth, 0, sizeof(*rth));
	rth->source = th->dest;
	rth->dest = th->source;
	rth->doff_res = 5 << 4;
	if (th->flags & TH_ACK) {
		rth->seq = th->ack_seq;
		rth->flags = TH_RST;
	} else {
		rth->ack_seq = htonl(ntohl(th->seq) + seglen);
		rth->flags = TH_RST | TH_ACK;
	}
	skb_inet_addrs(in, &saddr, &daddr);
	rth->check = csum_fold(inet_pseudo_sum(&daddr, &saddr, sizeof(*rth), IPPROTO_TCP,
					       csum_partial(rth, sizeof(*rth), 0)));
	net->tcpstats.OutSegs++;
	net->tcpstats.OutRsts++;
	inet_xmit(net, skb, &daddr, &saddr, IPPROTO_TCP, IP_DEFAULT_TTL, 0, true);
}
