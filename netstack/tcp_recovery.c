/* Loss recovery with SACK: the sender's scoreboard (RFC 2018, RFC 6675's
 * pipe), RACK-TLP loss detection (RFC 8985), and the recovery episodes
 * they start, with PRR (tcp_cong.c) setting the pace.
 *
 * The scoreboard is the list of what was sent: one record per segment or
 * GSO burst, with the time it last went out, in sequence order.  ACKs
 * take records off its front; SACK blocks mark them (splitting a record
 * at a block's edge); RACK marks a record lost when a record sent after
 * it was delivered and its own ACK is later than a reordering window
 * allows.  Only connections that negotiated SACK keep one; the others
 * recover with NewReno in tcp_input.c. */
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "tcp.h"

#define TXQ_INIT 64
#define TLP_WCDELACK_US 200000u		/* RFC 8985 §7.2: a worst-case delayed ACK */
#define TLP_MIN_US 500u
#define TLP_MAX_PROBES 3			/* probes before the RTO's turn */

static void tcp_rack_timer(struct timer_list *t);
static void tcp_tlp_timer(struct timer_list *t);
static void tcp_tlp_verdict_timer(struct timer_list *t);

void tcp_recovery_init_timers(struct tcp_sock *tp)
{
	timer_setup(&tp->rack_timer, tcp_rack_timer);
	timer_setup(&tp->tlp_timer, tcp_tlp_timer);
	timer_setup(&tp->tlp_verdict_timer, tcp_tlp_verdict_timer);
}

void tcp_recovery_clear_timers(struct tcp_sock *tp)
{
	del_timer(&tp->sk.net->timers, &tp->rack_timer);
	del_timer(&tp->sk.net->timers, &tp->tlp_timer);
	del_timer(&tp->sk.net->timers, &tp->tlp_verdict_timer);
}

/* tcp_tlp_repaired: the probe's episode is over and no D-SACK said the
 * first copy arrived: the probe repaired a loss, and the window is cut
 * as for one (RFC 8985 §7.4). */
static void tcp_tlp_repaired(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->tlp_outstanding = false;
	del_timer(&sk->net->timers, &tp->tlp_verdict_timer);
	if (tp->tlp_retrans && !tp->in_recovery && !tp->in_loss) {
		sk->net->tcpstats.TlpRecoveries++;
		tp->ssthresh = tcp_cong_ssthresh(tp);
		tp->cwnd = tp->ssthresh;
		tcp_trace(sk, "cwnd", "cause tlp-repaired-loss");
	}
}

/* The ACK of exactly the probe's end came and no D-SACK after it within
 * the time the probe's own answer takes: it repaired a loss. */
static void tcp_tlp_verdict_timer(struct timer_list *t)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, tlp_verdict_timer);

	if (tp->tlp_outstanding && tp->tlp_retrans && !before(tp->snd_una, tp->tlp_high_seq))
		tcp_tlp_repaired(&tp->sk);
}

/* tcp_txq_check recounts the scoreboard: records in order, inside
 * [snd_una, snd_max), the SACKed and lost bytes as counted.  0, or the
 * number of the first rule broken (for the unit tests). */
int tcp_txq_check(const struct tcp_sock *tp)
{
	const struct tcp_txq *q = &tp->txq;
	uint32_t sacked = 0, lost = 0, prev = tp->snd_una;

	for (uint32_t i = q->head; i < q->n; i++) {
		const struct tcp_txrec *r = &q->rec[i];
		if (!before(r->start, r->end))
			return 1;
		if (i > q->head ? r->start != prev : before(r->start, tp->snd_una))
			return 2;
		if (after(r->end, tp->snd_max))
			return 3;
		prev = r->end;
		if (r->flags & TXR_SACKED)
			sacked += r->end - r->start;
		else if (r->flags & TXR_LOST)
			lost += r->end - r->start;
	}
	if (sacked != tp->sacked_out)
		return 4;
	if (lost != tp->lost_out)
		return 5;
	return 0;
}

/* tcp_pipe: RFC 6675's estimate of the bytes in the network: what is out,
 * less what the peer SACKed and what is marked lost and not yet resent. */
uint32_t tcp_pipe(const struct tcp_sock *tp)
{
	uint32_t out = tcp_flight(tp), gone = tp->sacked_out + tp->lost_out;

	return out > gone ? out - gone : 0;
}

/* --- the list of records --- */

static void rec_account(struct tcp_sock *tp, const struct tcp_txrec *r, int sign)
{
	uint32_t len = r->end - r->start;

	if (r->flags & TXR_SACKED)
		tp->sacked_out += (uint32_t)sign * len;
	else if (r->flags & TXR_LOST)
		tp->lost_out += (uint32_t)sign * len;
}

static void rec_set_flags(struct tcp_sock *tp, struct tcp_txrec *r, uint8_t flags)
{
	rec_account(tp, r, -1);
	r->flags = flags;
	rec_account(tp, r, +1);
}

void tcp_txq_free(struct tcp_sock *tp)
{
	free(tp->txq.rec);
	tp->txq = (struct tcp_txq){ .full = tp->txq.full };
	tp->sacked_out = tp->lost_out = 0;
}

/* txq_room makes room for one more record at the end; false at the cap
 * or out of memory.  It may move the records down to the start of the
 * array, which changes every index (txq_split keeps its caller's). */
static bool txq_room(struct tcp_txq *q)
{
	struct tcp_txrec *nr;
	uint32_t cap;

	if (q->n < q->cap)
		return true;
	if (q->head) {
		memmove(q->rec, q->rec + q->head, (q->n - q->head) * sizeof(*q->rec));
		q->n -= q->head;
		q->head = 0;
		return true;
	}
	if (q->cap >= TCP_TXQ_MAX) {
		if (q->full)
			(*q->full)++;
		return false;
	}
	cap = q->cap ? q->cap * 2 : TXQ_INIT;
	nr = realloc(q->rec, cap * sizeof(*nr));
	if (!nr)
		return false;
	q->rec = nr;
	q->cap = cap;
	return true;
}

/* txq_find: the index of the first record that ends after seq. */
static uint32_t txq_find(const struct tcp_txq *q, uint32_t seq)
{
	uint32_t lo = q->head, hi = q->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (after(q->rec[mid].end, seq))
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* txq_split cuts record *ip at seq (inside it) in two with the same
 * marks; *ip is still the first of them after, though the list may have
 * moved.  False when the list is at its cap (the caller then takes the
 * record whole or not at all). */
static bool txq_split(struct tcp_txq *q, uint32_t *ip, uint32_t seq)
{
	uint32_t off = *ip - q->head, i;

	if (!after(seq, q->rec[*ip].start) || !before(seq, q->rec[*ip].end))
		return true;
	if (!txq_room(q))
		return false;
	*ip = i = q->head + off;
	memmove(q->rec + i + 1, q->rec + i, (q->n - i) * sizeof(*q->rec));
	q->n++;
	q->rec[i].end = seq;
	q->rec[i + 1].start = seq;
	return true;
}

/* tcp_txq_sent: [seq, end) of sequence space went out (data, and the
 * FIN as its last number): new records past the last, or the records it
 * covers sent again. */
void tcp_txq_sent(struct tcp_sock *tp, uint32_t seq, uint32_t end, bool rexmit)
{
	struct tcp_txq *q = &tp->txq;
	uint64_t now = tp->sk.net->now;

	if (!tp->sack_ok || !before(seq, end))
		return;
	if (tp->in_recovery)
		tp->prr_out += end - seq;
	if (rexmit) {
		uint32_t i = txq_find(q, seq);
		if (i < q->n)
			txq_split(q, &i, seq);
		for (i = txq_find(q, seq); i < q->n && before(q->rec[i].start, end); i++) {
			struct tcp_txrec *r;
			if (after(q->rec[i].end, end))
				txq_split(q, &i, end);	/* at the cap, the whole record counts as resent */
			r = &q->rec[i];
			if (r->flags & TXR_SACKED)
				continue;
			rec_set_flags(tp, r, (uint8_t)((r->flags & ~TXR_LOST) | TXR_RETRANS | TXR_EVER_RETRANS));
			r->sent = now;
			if (tp->undo_marker)
				tp->undo_retrans += (int32_t)((r->end - r->start + tp->mss - 1) / tp->mss);
		}
		if (!q->n || !after(end, q->rec[q->n - 1].end))
			return;
		seq = q->rec[q->n - 1].end;	/* the rest of it is new */
	}
	if (q->n > q->head && !after(q->rec[q->n - 1].end, seq) && !txq_room(q)) {
		/* No room for a record: the last one grows, sent now. */
		struct tcp_txrec *r = &q->rec[q->n - 1];
		if (!r->flags) {
			r->end = end;
			r->sent = now;
		}
		return;
	}
	if (!txq_room(q))
		return;	/* out of memory: the timeout still resends it (go-back) */
	q->rec[q->n++] = (struct tcp_txrec){ seq, end, now, 0 };
}

/* --- what the peer said --- */

/* rack_update: record r was delivered (RFC 8985 §6.2 step 2): the
 * newest send time delivered so far, and its RTT.  A retransmitted
 * record whose ACK may be for its first transmission is no measure. */
static void rack_update(struct tcp_sock *tp, const struct tcp_txrec *r, uint32_t tsecr)
{
	uint64_t now = tp->sk.net->now;
	uint32_t rtt = (uint32_t)(now - r->sent);

	if (r->flags & TXR_EVER_RETRANS) {
		uint32_t sent_ts = (uint32_t)(r->sent / 1000) + tp->ts_offset;
		if (rtt < tp->min_rtt)
			return;
		if (tp->tstamp_ok && tsecr && (int32_t)(tsecr - sent_ts) < 0)
			return;
	}
	tp->rack_rtt = rtt;
	if (r->sent > tp->rack_xmit_ts ||
	    (r->sent == tp->rack_xmit_ts && after(r->end, tp->rack_end_seq))) {
		tp->rack_xmit_ts = r->sent;
		tp->rack_end_seq = r->end;
	}
	/* Delivered below what was SACKed before, never resent: the
	 * network reorders (step 3). */
	if (!(r->flags & TXR_EVER_RETRANS) && before(r->end, tp->fack))
		tp->reordering_seen = true;
	if (after(r->end, tp->fack))
		tp->fack = r->end;
}

/* What one ACK delivered that was sent once only (Karn): the oldest and
 * the newest send times, for RTT samples to the microsecond (timestamps
 * count milliseconds, longer than a LAN's round trip). */
struct rtt_acc {
	uint64_t first, last;		/* 0: none */
};

static void rtt_note(struct rtt_acc *a, const struct tcp_txrec *r)
{
	if (r->flags & TXR_EVER_RETRANS)
		return;
	if (!a->first || r->sent < a->first)
		a->first = r->sent;
	if (r->sent > a->last)
		a->last = r->sent;
}

/* txq_ack takes the records below the cumulative ACK off; the bytes
 * newly delivered (not SACKed before) are returned. */
static uint32_t txq_ack(struct tcp_sock *tp, uint32_t una, uint32_t tsecr, struct rtt_acc *acc)
{
	struct tcp_txq *q = &tp->txq;
	uint32_t delivered = 0, lo = q->head < q->n ? q->rec[q->head].start : una;

	/* fack is in what is out: not 0 before the first ACK, which
	 * before() may place past any ISN of the upper half. */
	if (!between(lo, tp->fack, tp->snd_max))
		tp->fack = lo;
	while (q->head < q->n && before(q->rec[q->head].start, una)) {
		struct tcp_txrec *r = &q->rec[q->head];
		bool whole = !before(una, r->end);
		if (!(r->flags & TXR_SACKED)) {
			/* Of a record acked in part, only that part was
			 * delivered: RACK's end and fack stop at una. */
			struct tcp_txrec d = *r;
			if (!whole)
				d.end = una;
			delivered += d.end - r->start;
			rack_update(tp, &d, tsecr);
			rtt_note(acc, r);
		}
		rec_account(tp, r, -1);
		if (!whole) {
			r->start = una;
			rec_account(tp, r, +1);
			break;
		}
		q->head++;
	}
	if (before(tp->fack, una))
		tp->fack = una;
	if (q->head == q->n) {
		/* All acknowledged: give the memory back (10,000 idle
		 * connections hold none). */
		free(q->rec);
		*q = (struct tcp_txq){ 0 };
		tp->sacked_out = tp->lost_out = 0;
	}
	return delivered;
}

/* sack_mark: the peer holds [start, end); the records it covers are
 * SACKed, cut at its edges.  Returns the bytes newly SACKed. */
static uint32_t sack_mark(struct tcp_sock *tp, uint32_t start, uint32_t end, uint32_t tsecr,
			  struct rtt_acc *acc)
{
	struct tcp_txq *q = &tp->txq;
	uint32_t i = txq_find(q, start), got = 0;

	if (i < q->n)
		txq_split(q, &i, start);	/* at the cap, a record partly covered stays unmarked */
	for (i = txq_find(q, start); i < q->n && before(q->rec[i].start, end); i++) {
		struct tcp_txrec *r;
		if (before(q->rec[i].start, start))
			continue;	/* the uncut head, at the cap */
		if (after(q->rec[i].end, end) && !txq_split(q, &i, end))
			break;
		r = &q->rec[i];
		if (r->flags & TXR_SACKED)
			continue;
		got += r->end - r->start;
		rack_update(tp, r, tsecr);
		rtt_note(acc, r);
		rec_set_flags(tp, r, (uint8_t)((r->flags & ~(TXR_LOST | TXR_RETRANS)) | TXR_SACKED));
	}
	return got;
}

/* rack_reo_wnd: how late a segment may be before it counts as lost (RFC
 * 8985 §6.2 step 4): none while no reordering was seen and three
 * segments' worth are SACKed (the old duplicate ACK threshold) or
 * recovery is on; else a quarter of the smallest RTT times a multiplier
 * that D-SACKs (a retransmission that was not needed) raise, at most
 * SRTT. */
static uint32_t rack_reo_wnd(const struct tcp_sock *tp)
{
	uint32_t w = tp->min_rtt / 4 * (tp->reo_wnd_mult ? tp->reo_wnd_mult : 1u);

	if (!tp->reordering_seen && (tp->in_recovery || tp->in_loss ||
				     tp->sacked_out >= 3u * tp->mss))
		return 0;
	return w < tp->srtt ? w : tp->srtt;
}

/* rack_detect_loss (RFC 8985 §6.2 step 5): every record sent before the
 * newest delivered one and not delivered within its RTT and the
 * reordering window is lost; for the others still in doubt, the timer
 * looks again when the first one's time is up.  True if any was
 * marked. */
static bool rack_detect_loss(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_txq *q = &tp->txq;
	struct net *net = sk->net;
	uint64_t now = net->now, wait = 0;
	uint32_t reo = rack_reo_wnd(tp);
	bool marked = false;

	if (!tp->rack_xmit_ts)
		return false;
	for (uint32_t i = q->head; i < q->n; i++) {
		struct tcp_txrec *r = &q->rec[i];
		uint64_t due;
		if (r->flags & (TXR_SACKED | TXR_LOST))
			continue;
		if (!(r->sent < tp->rack_xmit_ts ||
		      (r->sent == tp->rack_xmit_ts && before(r->end, tp->rack_end_seq)))) {
			/* Sent after the newest delivered: so are all the
			 * later ones never resent (new data goes in order). */
			if (!(r->flags & TXR_EVER_RETRANS))
				break;
			continue;
		}
		due = r->sent + tp->rack_rtt + reo;
		if (due <= now) {
			rec_set_flags(tp, r, (uint8_t)((r->flags & ~TXR_RETRANS) | TXR_LOST));
			tp->lost_total += r->end - r->start;
			net->tcpstats.RackLost++;
			if (r->flags & TXR_EVER_RETRANS)
				net->tcpstats.LostRetransmits++;
			marked = true;
		} else if (!wait || due - now > wait) {
			wait = due - now;
		}
	}
	if (wait)
		mod_timer(&net->timers, &tp->rack_timer, now + wait);
	else
		del_timer(&net->timers, &tp->rack_timer);
	return marked;
}

/* tcp_undo_init: a reduction is about to be made; remember what the
 * window was, unless an episode is still on (its window is the one to
 * give back).  The marker outlives the episode: the D-SACKs that show it
 * was needless come a round trip after it ended. */
static void tcp_undo_init(struct tcp_sock *tp)
{
	if (tp->undo_marker && (tp->in_recovery || tp->in_loss))
		return;
	tp->undo_marker = tp->snd_una ? tp->snd_una : 1;
	tp->undo_retrans = 0;
	tp->prior_cwnd = tp->cwnd;
	tp->prior_ssthresh = tp->ssthresh;
	tp->prior_cubic = tp->cubic;
}

/* tcp_try_undo: every retransmission since undo_marker was D-SACKed, so
 * no segment was lost: the reordering (or a late ACK) was taken for
 * loss.  The window comes back, and recovery or the timeout's slow start
 * ends. */
static void tcp_try_undo(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->undo_marker || tp->undo_retrans > 0)
		return;
	if (tp->prior_cwnd > tp->cwnd)
		tp->cwnd = tp->prior_cwnd;
	if (tp->prior_ssthresh > tp->ssthresh)
		tp->ssthresh = tp->prior_ssthresh;
	tp->cubic = tp->prior_cubic;
	tp->in_recovery = tp->in_loss = false;
	tp->undo_marker = 0;
	tp->reordering_seen = true;
	sk->net->tcpstats.SpuriousUndos++;
	tcp_trace(sk, "cwnd", "cause undo");
}

/* tcp_enter_recovery: a loss found with SACK: ssthresh from the
 * congestion control, PRR from here until snd_una reaches recover. */
static void tcp_enter_recovery(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_undo_init(tp);
	tp->ssthresh = tcp_cong_ssthresh(tp);
	tp->recover = tp->snd_max;
	tp->in_recovery = true;
	tcp_prr_init(tp);
	if (tp->reo_wnd_persist && !--tp->reo_wnd_persist)
		tp->reo_wnd_mult = 1;
	sk->net->tcpstats.SackRecoveries++;
	sk->net->tcpstats.FastRetrans++;
	tcp_trace(sk, "recovery", "cause rack lost %u sacked %u", tp->lost_out, tp->sacked_out);
}

/* tcp_recovery_step: after new marks: recovery ends once snd_una reaches
 * recover, and starts when a loss is found outside it. */
static void tcp_recovery_step(struct sock *sk, bool lost)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if ((tp->in_recovery || tp->in_loss) && !before(tp->snd_una, tp->recover)) {
		if (tp->in_recovery && tp->cwnd > tp->ssthresh)
			tp->cwnd = tp->ssthresh;	/* RFC 6937: the reduction completes */
		tp->in_recovery = tp->in_loss = false;
		tcp_trace(sk, "recovered", "una %u", tp->snd_una - tp->iss);
	}
	if (lost && !tp->in_recovery && !tp->in_loss)
		tcp_enter_recovery(sk);
}

/* tcp_sack_ack: an ACK (new or duplicate) on a SACK connection, after
 * tcp_ack moved snd_una.  prior_flight: what was out before it. */
void tcp_sack_ack(struct sock *sk, uint32_t prior_flight, const struct tcp_sack_opt *sacks,
		  uint32_t tsecr)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;
	struct rtt_acc acc = { 0, 0 }, sacc = { 0, 0 };
	uint32_t delivered = txq_ack(tp, tp->snd_una, tsecr, &acc), newly_sacked = 0;
	bool lost, was_recovering;

	/* The blocks in sequence order, as Linux takes them: the peer lists
	 * the newest first, and a lower block marked after a higher one
	 * of the same ACK would look like reordering to rack_update. */
	unsigned int order[TCP_MAX_SACKS];
	for (unsigned int k = 0; k < sacks->n; k++) {
		unsigned int j = k;
		for (; j > 0 && before(sacks->b[k].start, sacks->b[order[j - 1]].start); j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
	for (unsigned int k = 0; k < sacks->n; k++) {
		unsigned int i = order[k];
		uint32_t s = sacks->b[i].start, e = sacks->b[i].end;
		net->tcpstats.SackBlocks++;
		/* D-SACK (RFC 2883 §4): the first block below the ACK, or
		 * inside the second.  A probe that was not needed. */
		if (i == 0 && before(s, e) && !before(s, tp->snd_una - tp->max_window) &&
		    !after(e, tp->snd_max) && (!after(e, tp->snd_una) ||
		     (sacks->n > 1 && !before(s, sacks->b[1].start) && !after(e, sacks->b[1].end)))) {
			net->tcpstats.DSacks++;
			tp->dsacks++;
			if (tp->undo_marker && !before(s, tp->undo_marker) && tp->undo_retrans > 0) {
				tp->undo_retrans -= (int32_t)((e - s + tp->mss - 1) / tp->mss);
				tcp_try_undo(sk);
			}
			/* A retransmission was spurious: the window grows, once
			 * a round, and stays so for 16 recoveries. */
			if (!tp->dsack_round || !before(tp->snd_una, tp->dsack_round)) {
				if (tp->reo_wnd_mult < 255)
					tp->reo_wnd_mult = (uint8_t)((tp->reo_wnd_mult ? tp->reo_wnd_mult : 1) + 1);
				tp->reo_wnd_persist = 16;
				tp->dsack_round = tp->snd_max;
			}
			if (tp->tlp_outstanding && !before(s, tp->tlp_high_seq - tp->mss) &&
			    !after(e, tp->tlp_high_seq))
				tp->tlp_retrans = false;
			tcp_trace(sk, "dsack", "start %u end %u", s - tp->iss, e - tp->iss);
			continue;
		}
		if (!before(s, e) || before(s, tp->snd_una) || after(e, tp->snd_max) ||
		    e - s > tp->snd_max - tp->snd_una) {
			net->tcpstats.SackBlocksBad++;	/* nothing we sent, or a lie */
			continue;
		}
		newly_sacked += sack_mark(tp, s, e, tsecr, &sacc);
	}
	/* RFC 6298 times the oldest segment the ACK covers; the smallest
	 * RTT (RACK's and HyStart's) is the newest's.  SACKed segments
	 * count when nothing was acknowledged cumulatively, as Linux does. */
	if (!acc.first)
		acc = sacc;
	if (acc.first) {
		uint32_t newest = (uint32_t)(net->now - acc.last);
		tcp_rtt_sample(tp, (uint32_t)(net->now - acc.first));
		if (!tp->min_rtt || newest < tp->min_rtt)
			tp->min_rtt = newest ? newest : 1;
	}
	delivered += newly_sacked;
	if (newly_sacked)
		tcp_trace(sk, "sack", "sacked %u lost %u fack %u", tp->sacked_out, tp->lost_out,
			  tp->fack - tp->iss);
	tcp_rate_delivered(tp, delivered);
	/* The tail loss probe's episode ends with an ACK beyond what it
	 * covered, or one of it with a D-SACK of the probe (no loss), as
	 * in Linux's tcp_process_tlp_ack.  An ACK of exactly tlp_high_seq
	 * with no D-SACK does not end it at once: on a LAN the probe
	 * usually follows a merely late ACK of the first copy, and the
	 * D-SACK of the probe comes on the next ACK; cutting on the first
	 * (RFC 8985 §7.4 would) kept cwnd near ten segments in bulk sends.
	 * tlp_verdict_timer gives the D-SACK 2 SRTT to come. */
	if (delivered)
		tp->tlp_probes = 0;	/* an answer: the next probe waits two RTTs again */
	if (tp->tlp_outstanding && !before(tp->snd_una, tp->tlp_high_seq)) {
		if (!tp->tlp_retrans) {
			tp->tlp_outstanding = false;
			del_timer(&net->timers, &tp->tlp_verdict_timer);
		} else if (tp->snd_una != tp->tlp_high_seq) {
			tcp_tlp_repaired(sk);
		} else if (!timer_pending(&tp->tlp_verdict_timer)) {
			mod_timer(&net->timers, &tp->tlp_verdict_timer,
				  net->now + 2ull * tp->srtt + TLP_MIN_US);
		}
	}
	lost = rack_detect_loss(sk);
	was_recovering = tp->in_recovery;
	tcp_recovery_step(sk, lost);
	if (tp->in_recovery) {
		tcp_prr_ack(tp, delivered, tcp_pipe(tp));
	} else if (was_recovering) {
		/* The ACK that ends recovery leaves cwnd at ssthresh (RFC
		 * 6937): what it delivered was sent before the cut. */
	} else if (delivered && prior_flight + tp->mss >= tp->cwnd) {
		/* Grow only a window that was in use (RFC 7661). */
		tcp_cong_on_ack(tp, delivered);
	}
}

/* tcp_sack_timeout: the retransmission timer fired on a SACK connection
 * (RFC 6675 §5.1, RFC 8985 §6.3): everything not SACKed is lost, one
 * segment of window, slow start from there; the SACKs stay. */
void tcp_sack_timeout(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_txq *q = &tp->txq;

	tcp_undo_init(tp);
	tp->ssthresh = tcp_cong_ssthresh(tp);
	tp->cwnd = tp->mss;
	tp->in_recovery = false;
	tp->in_loss = true;
	tp->recover = tp->snd_max;
	tp->tlp_outstanding = false;
	tcp_recovery_clear_timers(tp);
	if (q->head == q->n) {
		tp->snd_nxt = tp->snd_una;	/* no scoreboard (no memory): go back */
		return;
	}
	for (uint32_t i = q->head; i < q->n; i++)
		if (!(q->rec[i].flags & TXR_SACKED)) {
			if (!(q->rec[i].flags & TXR_LOST))
				tp->lost_total += q->rec[i].end - q->rec[i].start;
			rec_set_flags(tp, &q->rec[i], (uint8_t)((q->rec[i].flags & ~TXR_RETRANS) | TXR_LOST));
		}
}

/* tcp_resend_range sends [start, end) of sequence space again. */
static int tcp_resend_range(struct sock *sk, uint32_t start, uint32_t end)
{
	struct tcp_sock *tp = tcp_sk(sk);
	uint32_t data_end = tp->snd_una + tp->sndq.len, len;
	uint8_t flags = TH_ACK;

	len = (after(end, data_end) ? data_end : end) - start;
	if (tp->fin_sent && end == tp->fin_seq + 1)
		flags |= TH_FIN;
	if (len)
		flags |= TH_PSH;
	if (!len && !(flags & TH_FIN))
		return 0;
	sk->net->tcpstats.RetransSegs += len > tp->mss ? (len + tp->mss - 1) / tp->mss : 1;
	tp->total_retrans += len > tp->mss ? (len + tp->mss - 1) / tp->mss : 1;
	return tcp_transmit(sk, start, len, flags);
}

/* tcp_sack_retransmit sends again the records marked lost, oldest first,
 * within *room bytes (the window less pipe), in whole segments; the
 * number sent, or -1 when sending failed. */
int tcp_sack_retransmit(struct sock *sk, uint32_t *room)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_txq *q = &tp->txq;
	int sent = 0;

	while (tp->lost_out && *room >= tp->mss) {
		uint32_t i, start, end, max = *room - *room % tp->mss;
		for (i = q->head; i < q->n && !(q->rec[i].flags & TXR_LOST); i++)
			;
		if (i == q->n)
			break;
		start = q->rec[i].start;
		end = q->rec[i].end;
		if (end - start > max) {
			txq_split(q, &i, start + max);
			end = start + max;
		}
		if (tcp_resend_range(sk, start, end) < 0)
			return -1;
		*room -= end - start < *room ? end - start : *room;
		sent++;
	}
	return sent;
}

/* --- timers --- */

/* The reordering window of a segment in doubt is over. */
static void tcp_rack_timer(struct timer_list *t)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, rack_timer);
	struct sock *sk = &tp->sk;
	bool lost;

	if (!tp->sack_ok || sk->sk_state == TCP_CLOSED)
		return;
	sk->net->tcpstats.RackReoTimeouts++;
	lost = rack_detect_loss(sk);
	tcp_recovery_step(sk, lost);
	if (lost && tp->in_recovery)
		tcp_prr_ack(tp, 0, tcp_pipe(tp));
	tcp_write_xmit(sk);
}

/* tcp_tlp_arm: new data went out or an ACK came; a tail loss probe is
 * due in two RTTs (RFC 8985 §7.2) unless the retransmission timer comes
 * first or a timeout's slow start is on.  Two departures from RFC 8985,
 * both for a LAN, where the round trip is a thousandth of the 200 ms
 * RTO: the probe is armed in fast recovery too (as QUIC's PTO is), since
 * when the ACK that would end an episode is lost nothing else brings
 * one; and an unanswered probe is followed by up to TLP_MAX_PROBES - 1
 * more, each after twice the wait, before the RTO has its turn. */
void tcp_tlp_arm(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;
	uint64_t pto;

	if (!tp->sack_ok || !tp->srtt || tp->in_loss || !tcp_flight(tp) || tp->retransmits ||
	    tp->tlp_probes >= TLP_MAX_PROBES) {
		del_timer(&net->timers, &tp->tlp_timer);
		return;
	}
	pto = (2ull * tp->srtt + (tcp_flight(tp) <= tp->mss ? TLP_WCDELACK_US : TLP_MIN_US)) << tp->tlp_probes;
	if (timer_pending(&tp->rexmit_timer) && net->now + pto >= tp->rexmit_timer.expires) {
		del_timer(&net->timers, &tp->tlp_timer);
		return;
	}
	mod_timer(&net->timers, &tp->tlp_timer, net->now + pto);
}

/* The probe (RFC 8985 §7.3): the last segment not SACKed, sent again.
 * RFC 8985 would rather send a new segment when there is one, but a
 * Linux receiver holds its ACK of new data (up to its delayed ACK time,
 * 40 ms or more) while its reader has not caught up, where a segment it
 * has already must be answered at once (RFC 9293 §3.10.7.4) and puts it
 * in quick-ACK mode: the answer, with its SACKs, is what the probe is
 * for. */
static void tcp_tlp_timer(struct timer_list *t)
{
	struct tcp_sock *tp = container_of(t, struct tcp_sock, tlp_timer);
	struct sock *sk = &tp->sk;
	struct tcp_txq *q = &tp->txq;
	uint32_t i = q->n;

	if (!tp->sack_ok || tp->in_loss || !tcp_flight(tp) || sk->sk_state == TCP_CLOSED)
		return;
	while (i > q->head && (q->rec[i - 1].flags & TXR_SACKED))
		i--;
	if (i == q->head)
		return;		/* everything out is SACKed: the RTO will sort it out */
	i--;
	if (q->rec[i].end - q->rec[i].start > tp->mss)
		txq_split(q, &i, q->rec[i].end - tp->mss);
	i = q->n - 1;
	while (i > q->head && (q->rec[i].flags & TXR_SACKED))
		i--;
	tp->tlp_outstanding = true;
	tp->tlp_retrans = true;
	tp->tlp_high_seq = tp->snd_max;
	tp->tlp_probes++;
	tcp_resend_range(sk, q->rec[i].start, q->rec[i].end);
	sk->net->tcpstats.TlpProbes++;
	tcp_trace(sk, "tlp", "probe %u seq %u high %u", tp->tlp_probes, q->rec[i].start - tp->iss,
		  tp->tlp_high_seq - tp->iss);
	tcp_reset_rexmit_timer(sk);
	tcp_tlp_arm(sk);
}

/* tcp_parse_sack reads the SACK option of a segment (RFC 2018 §3): at
 * most four blocks, each 8 bytes; a wrong length is no option. */
int tcp_parse_sack(const struct tcphdr *th, unsigned int hlen, struct tcp_sack_opt *out)
{
	const unsigned char *p = (const unsigned char *)(th + 1);
	unsigned int left = hlen - (unsigned int)sizeof(*th);

	out->n = 0;
	while (left > 0) {
		unsigned int kind = p[0], len;
		if (kind == 0)
			break;
		if (kind == 1) {
			p++;
			left--;
			continue;
		}
		if (left < 2 || (len = p[1]) < 2 || len > left)
			return -1;
		if (kind == 5 && len >= 10 && (len - 2) % 8 == 0 && (len - 2) / 8 <= TCP_MAX_SACKS) {
			for (unsigned int i = 0; i < (len - 2) / 8; i++) {
				const unsigned char *b = p + 2 + 8 * i;
				out->b[i].start = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
						  (uint32_t)b[2] << 8 | b[3];
				out->b[i].end = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
						(uint32_t)b[6] << 8 | b[7];
			}
			out->n = (len - 2) / 8;
		}
		p += len;
		left -= len;
	}
	return 0;
}
