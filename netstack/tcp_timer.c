/* TCP timers: retransmission (RFC 6298), delayed ACK, persist (zero
 * window probes), keepalive (RFC 1122 §4.2.3.6), and TIME_WAIT. */
#include <errno.h>
#include <arpa/inet.h>

#include "net.h"
#include "tcp.h"

static void tcp_rexmit_timer(struct timer_list *t);
static void tcp_delack_timer(struct timer_list *t);
static void tcp_persist_timer(struct timer_list *t);
static void tcp_keepalive_timer(struct timer_list *t);
static void tcp_timewait_timer(struct timer_list *t);

void tcp_init_timers(struct tcp_sock *tp)
{
	timer_setup(&tp->rexmit_timer, tcp_rexmit_timer);
	timer_setup(&tp->delack_timer, tcp_delack_timer);
	timer_setup(&tp->persist_timer, tcp_persist_timer);
	timer_setup(&tp->keepalive_timer, tcp_keepalive_timer);
	timer_setup(&tp->timewait_timer, tcp_timewait_timer);
	tcp_recovery_init_timers(tp);
}

void tcp_clear_timers(struct tcp_sock *tp)
{
	struct timer_base *b = &tp->sk.net->timers;

	del_timer(b, &tp->rexmit_timer);
	del_timer(b, &tp->delack_timer);
	del_timer(b, &tp->persist_timer);
	del_timer(b, &tp->keepalive_timer);
	tcp_recovery_clear_timers(tp);
	tcp_ack_dequeue(tp);
	/* the TIME_WAIT timer may be what frees an orphan: tcp_done keeps it */
}

/* RFC 6298 §2: the first sample sets SRTT and RTTVAR; later ones move
 * them by 1/8 and 1/4.  RTO = SRTT + max(G, 4 RTTVAR), at least 200 ms. */
void tcp_rtt_sample(struct tcp_sock *tp, uint32_t r)
{
	uint64_t rto;

	if (r > 60000000u)
		return;		/* a clock step or a bogus echo, not a path */
	if (!tp->srtt) {
		tp->srtt = r ? r : 1;
		tp->rttvar = r / 2;
	} else {
		uint32_t delta = tp->srtt > r ? tp->srtt - r : r - tp->srtt;
		tp->rttvar = (3 * tp->rttvar + delta) / 4;
		tp->srtt = (7 * tp->srtt + r) / 8;
		if (!tp->srtt)
			tp->srtt = 1;
	}
	rto = (uint64_t)tp->srtt + (4u * tp->rttvar > 1000 ? 4u * tp->rttvar : 1000);
	if (rto < TCP_MIN_RTO_US)
		rto = TCP_MIN_RTO_US;
	if (rto > TCP_MAX_RTO_US)
		rto = TCP_MAX_RTO_US;
	tp->rto = (uint32_t)rto;
	tcp_cong_rtt(tp, r);
	tcp_trace(&tp->sk, "rtt", "sample %u rttvar %u rto %u", r, tp->rttvar, tp->rto);
}

static uint64_t tcp_current_rto(const struct tcp_sock *tp)
{
	uint64_t rto = (uint64_t)tp->rto << (tp->backoff < 16 ? tp->backoff : 16);

	return rto > TCP_MAX_RTO_US ? TCP_MAX_RTO_US : rto;
}

void tcp_reset_rexmit_timer(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint64_t when = sk->net->now + tcp_current_rto(tp);

	/* TCP_USER_TIMEOUT: the timer that ends it fires on time, not at
	 * the next (doubled) timeout after it. */
	if (tp->user_timeout && tp->retransmits && when > tp->ut_start + tp->user_timeout)
		when = tp->ut_start + tp->user_timeout > sk->net->now ?
			tp->ut_start + tp->user_timeout : sk->net->now;
	mod_timer(&sk->net->timers, &tp->rexmit_timer, when);
}

/* tcp_gave_up: a retransmission timeout gives up after tries, or, with
 * TCP_USER_TIMEOUT, once data has waited that long for its ACK (since
 * it, or the SYN, was sent) whatever the count, as Linux does. */
static bool tcp_gave_up(struct tcp_sock *tp, unsigned int tries)
{
	uint64_t now = tp->sk.net->now;

	if (tp->retransmits == 0)	/* the first timeout: sent one RTO ago */
		tp->ut_start = now > tcp_current_rto(tp) ? now - tcp_current_rto(tp) : 0;
	if (tp->user_timeout && now - tp->ut_start >= tp->user_timeout)
		return true;
	if (tp->user_timeout && tp->sk.sk_state != TCP_SYN_SENT && tp->sk.sk_state != TCP_SYN_RECV)
		return false;	/* the time alone decides */
	return tp->retransmits >= tries;
}

/* tcp_write_err: the peer stopped answering. */
static void tcp_write_err(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	sk->sk_err = ETIMEDOUT;
	if (sk->sk_state == TCP_SYN_SENT)
		sk->net->tcpstats.AttemptFails++;
	if (sk->sk_state == TCP_SYN_RECV && sk->parent) {
		tcp_drop_half_open(sk);	/* a child nobody will ever see */
		return;
	}
	(void)tp;
	tcp_done(sk);
}

static void tcp_rexmit_timer(struct timer_list *t)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, rexmit_timer);
	struct sock *sk = &tp->sk;
	struct net *net = sk->net;
	uint32_t flight = tcp_flight(tp);

	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV) {
		if (tcp_gave_up(tp, net->tcp_syn_retries)) {
			tcp_write_err(sk);
			return;
		}
	} else if (flight == 0) {
		/* Nothing out, yet data waits on an open window: sending
		 * failed (no route).  Try again, as often as a timeout would. */
		if (tp->sndq.len && tp->snd_wnd >= tp->mss) {
			bool over = tcp_gave_up(tp, net->tcp_retries);
			tp->retransmits++;
			if (over) {
				tcp_write_err(sk);
				return;
			}
			tp->backoff++;
			tcp_reset_rexmit_timer(sk);
			tcp_write_xmit(sk);
		}
		return;
	} else if (tcp_gave_up(tp, net->tcp_retries)) {
		tcp_write_err(sk);
		return;
	}
	net->tcpstats.Timeouts++;
	net_log(net, NETLOG_TCP, "tcp %u -> %u: retransmission timeout %u: flight %u cwnd %u "
		"dupacks %u%s rto %u us", ntohs(sk->inet_sport), ntohs(sk->inet_dport),
		tp->retransmits + 1, flight, tp->cwnd, tp->dupacks,
		tp->in_recovery ? " in recovery" : "", tp->rto << tp->backoff);
	tp->retransmits++;
	tp->backoff++;
	tp->rtt_timing = false;		/* Karn */
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV) {
		net->tcpstats.RetransSegs++;
		tp->total_retrans++;
		tcp_retransmit_una(sk);
		tcp_reset_rexmit_timer(sk);
		return;
	}
	tcp_trace(sk, "timeout", "n %u rto %llu", tp->retransmits,
		  (unsigned long long)((uint64_t)tp->rto << tp->backoff));
	if (tp->sack_ok) {
		/* Only what the peer has not SACKed goes again. */
		tcp_sack_timeout(sk);
		tcp_reset_rexmit_timer(sk);
		tcp_write_xmit(sk);
		return;
	}
	/* RFC 5681 §3.1: after a timeout, one segment, and slow start. */
	tp->ssthresh = tcp_cong_ssthresh(tp);
	tp->cwnd = tp->mss;
	tp->in_recovery = false;
	tp->dupacks = 0;
	tp->recover = tp->snd_max;
	tp->snd_nxt = tp->snd_una;	/* go back: resend from the oldest (and the FIN again) */
	tcp_reset_rexmit_timer(sk);
	tcp_write_xmit(sk);
}

static void tcp_delack_timer(struct timer_list *t)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, delack_timer);

	if (tp->ack_pending || tp->ack_now) {
		tp->sk.net->tcpstats.DelayedAcks++;
		tcp_send_ack(&tp->sk);
	}
}

/* The peer's window is shut: ask for it again, ever more slowly. */
static void tcp_persist_timer(struct timer_list *t)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, persist_timer);
	struct sock *sk = &tp->sk;

	if (!tp->sndq.len || tp->snd_wnd >= tp->mss || tcp_flight(tp) > 0) {
		tp->probe_start = 0;
		tcp_write_xmit(sk);
		return;
	}
	/* TCP_USER_TIMEOUT: a window kept shut that long ends it, as Linux
	 * does (RFC 1122 §4.2.2.17 would wait as long as probes are
	 * answered).  A first probe (persist_backoff still one RTO; an ACK
	 * of new data resets it) starts the clock. */
	if (!tp->probe_start || tp->persist_backoff <= tp->rto)
		tp->probe_start = sk->net->now;
	else if (tp->user_timeout && sk->net->now - tp->probe_start >= tp->user_timeout) {
		tcp_write_err(sk);
		return;
	}
	if (tp->snd_wnd > 0) {
		/* A window too small for silly window avoidance to fill,
		 * and it has not grown: send into it anyway (RFC 1122
		 * §4.2.3.4's override), or a peer with a tiny buffer would
		 * wait forever. */
		tp->sws_override = true;
		tcp_write_xmit(sk);
		tp->sws_override = false;
		return;
	}
	tcp_send_probe(sk, false);
	tp->persist_backoff *= 2;
	if (tp->persist_backoff > TCP_PERSIST_MAX_US)
		tp->persist_backoff = TCP_PERSIST_MAX_US;
	{
		uint64_t when = sk->net->now + tp->persist_backoff;
		if (tp->user_timeout && when > tp->probe_start + tp->user_timeout + 1)
			when = tp->probe_start + tp->user_timeout + 1;
		mod_timer(&sk->net->timers, &tp->persist_timer, when);
	}
}

void tcp_rearm_keepalive(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->keepalive && sk->sk_state == TCP_ESTABLISHED)
		mod_timer(&sk->net->timers, &tp->keepalive_timer, tp->last_rcv + tp->keepalive_idle);
	else
		del_timer(&sk->net->timers, &tp->keepalive_timer);
}

static void tcp_keepalive_timer(struct timer_list *t)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, keepalive_timer);
	struct sock *sk = &tp->sk;
	struct net *net = sk->net;
	uint64_t intvl = tp->keepalive_intvl ? tp->keepalive_intvl :
		tp->keepalive_idle < TCP_KEEPALIVE_INTVL_US ? tp->keepalive_idle : TCP_KEEPALIVE_INTVL_US;
	unsigned int probes = tp->keepalive_probes ? tp->keepalive_probes : TCP_KEEPALIVE_PROBES;

	if (!tp->keepalive || sk->sk_state != TCP_ESTABLISHED)
		return;
	if (net->now - tp->last_rcv < tp->keepalive_idle) {
		tcp_rearm_keepalive(sk);
		return;
	}
	/* TCP_USER_TIMEOUT, when set, decides instead of the count (Linux):
	 * silence that long, with a probe unanswered. */
	if (tp->user_timeout ? tp->keepalive_sent > 0 && net->now - tp->last_rcv >= tp->user_timeout :
	    tp->keepalive_sent >= probes) {
		tcp_write_err(sk);
		return;
	}
	tp->keepalive_sent++;
	tcp_send_probe(sk, true);
	mod_timer(&net->timers, &tp->keepalive_timer, net->now + intvl);
}

void tcp_enter_timewait(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_set_state(sk, TCP_TIME_WAIT);
	tcp_clear_timers(tp);
	mod_timer(&sk->net->timers, &tp->timewait_timer, sk->net->now + 2 * sk->net->tcp_msl);
}

/* TIME_WAIT is over, or an orphan's FIN_WAIT2 waited long enough, or an
 * orphan is done: close, and free what nobody holds. */
static void tcp_timewait_timer(struct timer_list *t)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, timewait_timer);
	struct sock *sk = &tp->sk;

	if (sk->sk_state != TCP_CLOSED)
		tcp_done(sk);	/* re-arms this timer at once for an orphan */
	else if (tp->orphan) {
		tcp_destroy_sock(sk);
		sk_free(sk);
	}
}
