/* TCP congestion control: slow start with HyStart++ (RFC 9406), then
 * NewReno's avoidance (RFC 5681) or CUBIC's (RFC 9438, the default, as
 * in Linux), and Proportional Rate Reduction in recovery (RFC 6937).
 *
 * Windows are in bytes; CUBIC's formula is in segments, as the RFC
 * writes it, and converted at its edges.  What happens on a loss (the
 * recovery itself) is in tcp_input.c and tcp_recovery.c; this file says
 * only how big the window is. */
#include <math.h>
#include <stdint.h>

#include "net.h"
#include "tcp.h"

#define CUBIC_C 0.4
#define CUBIC_BETA 0.7

/* HyStart++'s constants (RFC 9406 §4.3). */
#define HS_MIN_RTT_THRESH 4000u
#define HS_MAX_RTT_THRESH 16000u
#define HS_MIN_RTT_DIVISOR 8u
#define HS_N_RTT_SAMPLE 8u
#define HS_CSS_GROWTH_DIVISOR 4u
#define HS_CSS_ROUNDS 5u

void tcp_cong_init(struct tcp_sock *tp)
{
	tp->cubic = (struct tcp_cubic){ 0 };
	tp->hystart = (struct tcp_hystart){ .window_end = tp->snd_nxt,
		.last_round_min = UINT32_MAX, .cur_round_min = UINT32_MAX,
		.css_baseline = UINT32_MAX };
}

/* tcp_cubic_loss: a congestion event at cwnd (RFC 9438 §4.6, §4.7 fast
 * convergence): W_max is where the window stood, or a little below it
 * when it stood lower than at the loss before, to make room for a newer
 * flow; the epoch starts again at the next ACK. */
void tcp_cubic_loss(struct tcp_cubic *c, uint32_t cwnd, uint32_t mss)
{
	double w = (double)cwnd / mss;

	if (w < c->w_last_max) {
		c->w_last_max = w;
		c->w_max = w * (1.0 + CUBIC_BETA) / 2.0;
	} else {
		c->w_last_max = w;
		c->w_max = w;
	}
	c->epoch_start = 0;
}

/* tcp_cubic_avoid: the window after acked bytes are acknowledged in
 * congestion avoidance at time now with the given RTT (RFC 9438 §4.2 to
 * §4.4):
 *   W_cubic(t) = C (t - K)^3 + W_max,  K = cbrt((W_max - cwnd_epoch) / C)
 *   W_est     += alpha * acked / cwnd,  alpha = 3 (1 - beta) / (1 + beta)
 * The window moves towards W_cubic(t + RTT), at most 1.5 times itself
 * per RTT; where Reno would be ahead (W_cubic(t) < W_est), W_est rules. */
uint32_t tcp_cubic_avoid(struct tcp_cubic *c, uint32_t cwnd, uint32_t mss, uint32_t acked,
			 uint64_t now, uint32_t rtt_us)
{
	double w = (double)cwnd / mss, t, target, wc, alpha;

	if (!c->epoch_start) {
		c->epoch_start = now ? now : 1;
		c->cwnd_epoch = w;
		c->w_est = w;
		if (c->w_max < w) {
			c->w_max = w;	/* no loss yet, or grown past it: the curve starts here */
			c->k = 0;
		} else {
			c->k = cbrt((c->w_max - w) / CUBIC_C);
		}
	}
	t = (double)(now - c->epoch_start) / 1e6;
	wc = CUBIC_C * pow(t - c->k, 3) + c->w_max;
	target = CUBIC_C * pow(t + rtt_us / 1e6 - c->k, 3) + c->w_max;
	if (target < w)
		target = w;
	if (target > 1.5 * w)
		target = 1.5 * w;
	/* Past W_max, Reno's friendly estimate grows as Reno does (§4.3). */
	alpha = c->w_est >= c->w_max ? 1.0 : 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA);
	c->w_est += alpha * ((double)acked / mss) / w;
	if (wc < c->w_est)
		w = c->w_est > w ? c->w_est : w;
	else
		w += (target - w) / w * ((double)acked / mss);
	if (w * mss > (double)(64u << 20))
		return 64u << 20;
	return (uint32_t)(w * mss);
}

/* tcp_cong_ssthresh: a loss was found.  The new ssthresh: half the
 * flight for NewReno, 0.7 of the window for CUBIC, never under two
 * segments; CUBIC remembers where the loss came. */
uint32_t tcp_cong_ssthresh(struct tcp_sock *tp)
{
	uint32_t s, flight = tcp_flight(tp);

	if (tp->ca == TCP_CA_CUBIC) {
		tcp_cubic_loss(&tp->cubic, tp->cwnd, tp->mss);
		s = (uint32_t)(tp->cwnd * CUBIC_BETA);
	} else {
		s = flight / 2;
	}
	tp->hystart.done = true;	/* a loss ends slow start's search */
	tp->hystart.css_rounds = 0;
	return s > 2u * tp->mss ? s : 2u * tp->mss;
}

/* HyStart++ rounds: one ends when the data sent at its start is acked. */
static void hystart_round(struct tcp_sock *tp)
{
	struct tcp_hystart *h = &tp->hystart;

	/* window_end past snd_max is none: tcp_cong_init set it at 0,
	 * before the ISN, which before() may put ahead of any. */
	if (before(tp->snd_una, h->window_end) && !after(h->window_end, tp->snd_max))
		return;
	if (h->css_rounds) {
		if (++h->css_rounds > HS_CSS_ROUNDS) {
			/* CSS held for its rounds: slow start is over. */
			tp->ssthresh = tp->cwnd;
			h->done = true;
			h->css_rounds = 0;
			tcp_trace(&tp->sk, "cwnd", "cause hystart-css-end");
		}
	}
	h->last_round_min = h->cur_round_min;
	h->cur_round_min = UINT32_MAX;
	h->samples = 0;
	h->window_end = tp->snd_max;
}

/* tcp_cong_rtt: an RTT sample, for HyStart++'s watch on the round's
 * smallest RTT (RFC 9406 §4.2). */
void tcp_cong_rtt(struct tcp_sock *tp, uint32_t rtt)
{
	struct tcp_hystart *h = &tp->hystart;
	uint32_t thresh;

	if (!tp->min_rtt || rtt < tp->min_rtt)
		tp->min_rtt = rtt ? rtt : 1;
	if (h->done || tp->cwnd >= tp->ssthresh)
		return;
	if (rtt < h->cur_round_min)
		h->cur_round_min = rtt;
	h->samples++;
	if (h->css_rounds) {
		/* The rise was passing: back to slow start (§4.2). */
		if (h->cur_round_min < h->css_baseline) {
			h->css_rounds = 0;
			h->css_baseline = UINT32_MAX;
		}
		return;
	}
	if (h->samples < HS_N_RTT_SAMPLE || h->last_round_min == UINT32_MAX ||
	    h->cur_round_min == UINT32_MAX)
		return;
	thresh = h->last_round_min / HS_MIN_RTT_DIVISOR;
	thresh = thresh < HS_MIN_RTT_THRESH ? HS_MIN_RTT_THRESH :
		 thresh > HS_MAX_RTT_THRESH ? HS_MAX_RTT_THRESH : thresh;
	if (h->cur_round_min >= h->last_round_min + thresh) {
		h->css_baseline = h->cur_round_min;
		h->css_rounds = 1;
		tp->sk.net->tcpstats.HystartExits++;
		tcp_trace(&tp->sk, "cwnd", "cause hystart-css round_min_rtt %u last_round_min_rtt %u",
			  h->cur_round_min, h->last_round_min);
	}
}

/* tcp_cong_on_ack: acked bytes were acknowledged outside recovery with a
 * window that was in use: slow start (byte counting, RFC 3465, without
 * its L limit, as Linux: one ACK may cover a 64 KB super-frame the
 * peer's GRO made of 45 segments), a quarter of it in HyStart++'s
 * conservative slow start, else the chosen avoidance. */
void tcp_cong_on_ack(struct tcp_sock *tp, uint32_t acked)
{
	struct net *net = tp->sk.net;
	uint32_t before_cwnd = tp->cwnd;
	bool slow = tp->cwnd < tp->ssthresh;

	hystart_round(tp);
	if (tp->cwnd < tp->ssthresh) {
		tp->cwnd += tp->hystart.css_rounds ? acked / HS_CSS_GROWTH_DIVISOR : acked;
	} else if (tp->ca == TCP_CA_CUBIC) {
		tp->cwnd = tcp_cubic_avoid(&tp->cubic, tp->cwnd, tp->mss, acked, net->now,
					   tp->srtt ? tp->srtt : 1000);
	} else {
		tp->cwnd += (uint32_t)((uint64_t)tp->mss * acked / tp->cwnd) + 1;
	}
	if (tp->cwnd > (64u << 20))
		tp->cwnd = 64u << 20;
	if (tp->cwnd != before_cwnd)
		tcp_trace(&tp->sk, "cwnd", "cause %s", slow ? "slow-start" : "avoidance");
}

/* PRR (RFC 6937): in recovery the window falls to ssthresh in step with
 * what the peer receives, instead of at once. */
void tcp_prr_init(struct tcp_sock *tp)
{
	tp->prr_delivered = 0;
	tp->prr_out = 0;
	tp->recover_fs = tcp_flight(tp) ? tcp_flight(tp) : 1;
}

/* tcp_prr_ack: an ACK in recovery told of delivered bytes; pipe is what
 * is in flight now.  cwnd becomes pipe plus what may be sent: a share of
 * the delivered bytes while pipe is over ssthresh, else (PRR-SSRB) as
 * much as slow start would to climb back to it.  At least one segment
 * goes on the first ACK of recovery (RFC 6937bis). */
void tcp_prr_ack(struct tcp_sock *tp, uint32_t delivered, uint32_t pipe)
{
	uint64_t sndcnt;

	tp->prr_delivered += delivered;
	if (pipe > tp->ssthresh) {
		uint64_t share = ((uint64_t)tp->prr_delivered * tp->ssthresh + tp->recover_fs - 1) /
				 tp->recover_fs;
		sndcnt = share > tp->prr_out ? share - tp->prr_out : 0;
	} else {
		uint64_t limit = tp->prr_delivered > tp->prr_out ? tp->prr_delivered - tp->prr_out : 0;
		if (limit < delivered)
			limit = delivered;
		limit += tp->mss;
		sndcnt = tp->ssthresh - pipe < limit ? tp->ssthresh - pipe : limit;
	}
	if (!tp->prr_out && sndcnt < tp->mss)
		sndcnt = tp->mss;
	/* Whole segments: a part of one would only wait for Nagle. */
	if (sndcnt % tp->mss)
		sndcnt += tp->mss - sndcnt % tp->mss;
	tp->cwnd = pipe + (uint32_t)sndcnt;
}
