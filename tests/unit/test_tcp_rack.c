/* TCP as a SACK sender, one rule at a time (the fixtures: tcptest.h): the
 * scoreboard the peer's SACK blocks mark (RFC 2018, RFC 6675), RACK's
 * loss detection and its reordering window (RFC 8985 §6), the tail loss
 * probe (RFC 8985 §7), PRR in recovery (RFC 6937), the timeout with
 * SACKs kept (RFC 6675 §5.1), hostile blocks, D-SACK (RFC 2883); then
 * the window: CUBIC's formula (RFC 9438) and HyStart++ (RFC 9406).
 *
 * The handshake takes 10 ms, so every connection starts with SRTT 10 ms,
 * RTTVAR 5 ms, RTO 200 ms (the floor) and min_rtt 10 ms; the peer's
 * ACKs come 10 ms after what they acknowledge unless a test says. */
#include <math.h>

#include "tcptest.h"

static const struct open_opts SACK = { .mss = 1460, .wscale = 0, .sackok = true, .irs = 0x10000000,
				       .win = 65535, .rtt = 10 * MS };
static const struct open_opts SACK_TS = { .mss = 1460, .wscale = 0, .ts = true, .sackok = true,
					  .irs = 0x10000000, .win = 65535, .rtt = 10 * MS };

/* sack_ackv: the peer's ACK of ack carrying the n SACK blocks b (start,
 * end pairs, absolute), NOP NOP padded, after its timestamps if on. */
static void sack_ackv(struct conn *c, uint32_t ack, unsigned int n, const uint32_t *b)
{
	uint8_t o[40];
	size_t ol = 0;

	if (c->ts) {
		uint32_t v[2] = { htonl(c->tsval), htonl(c->tsecr) };
		o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
		memcpy(o + 4, v, 8);
		ol = 12;
	}
	if (n) {
		o[ol++] = 1, o[ol++] = 1, o[ol++] = 5, o[ol++] = (uint8_t)(2 + 8 * n);
		for (unsigned int i = 0; i < 2 * n; i++) {
			uint32_t x = htonl(b[i]);
			memcpy(o + ol, &x, 4);
			ol += 4;
		}
	}
	assert_true(ol <= 40);
	c->ack = ack;
	inject_opt(c, c->snd, ack, TH_ACK, c->win, o, ol, NULL, 0);
}

/* sack_ack: the same, blocks as arguments. */
static void sack_ack(struct conn *c, uint32_t ack, unsigned int n, ...)
{
	uint32_t b[8];
	va_list ap;

	va_start(ap, n);
	for (unsigned int i = 0; i < 2 * n; i++)
		b[i] = va_arg(ap, uint32_t);
	va_end(ap);
	sack_ackv(c, ack, n, b);
}

/* send_segs: a write of n full segments goes at once, n segments from seq
 * (PSH on the last), the data pat from off. */
static void send_segs(struct conn *c, uint32_t seq, uint32_t off, unsigned int n)
{
	uint32_t m = tpof(c)->mss;

	assert_int_equal(send_bytes(c->s, pat + off, n * m), (long)(n * m));
	for (unsigned int i = 0; i < n; i++)
		expect(c, i == n - 1 ? TH_ACK | TH_PSH : TH_ACK, seq + i * m, c->snd,
		       pat + off + i * m, m);
	expect_none(c);
}

/* rexmit_seg: the next segment is segment k (of mss) from s sent again. */
static void rexmit_seg(struct conn *c, uint32_t s, unsigned int k)
{
	uint32_t m = tpof(c)->mss;

	expect_rexmit(c, s + k * m, c->snd, pat + k * m, m);
}

/* cubic_ssthresh: CUBIC's ssthresh after a loss at cwnd (RFC 9438 §4.6,
 * beta 0.7), at least two segments. */
static uint32_t cubic_ssthresh(uint32_t cwnd, uint32_t mss)
{
	uint32_t s = (uint32_t)(cwnd * 0.7);

	return s > 2 * mss ? s : 2 * mss;
}

/* ------------------------------------------------------------------------- */
/* RACK: the un-SACKed range, and when */

/* RFC 8985 §6.2: a segment sent before one that was delivered, and not
 * itself delivered within the RTT plus the reordering window, is lost;
 * the window is 0 with no reordering seen and three segments' worth
 * SACKed (step 4, the duplicate threshold's equivalent), so the hole goes
 * again on the ACK that shows it, exactly the hole (RFC 6675 §5).  The
 * new ssthresh is CUBIC's 0.7 cwnd, or NewReno's FlightSize / 2 (RFC
 * 5681 §3.2).  The ACK covering recover ends recovery with cwnd at
 * ssthresh (RFC 6937). */
static void one_hole(void **state, const struct open_opts *o, bool reno)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s, m, cw, ssth;

	conn_connect(e, &c, o);
	if (reno)
		assert_int_equal(c.s->ops->setsockopt(c.s, SOCKOPT_CONGESTION, TCP_CA_RENO), 0);
	m = tpof(&c)->mss;
	assert_int_equal(m, o->ts ? 1448 : 1460);
	assert_int_equal(tpof(&c)->cwnd, 10 * m);
	s = c.iss + 1;
	fill_pattern(pat, 20 * m, 21);
	send_segs(&c, s, 0, 10);
	net_advance(&e->net, e->net.now + 10 * MS);
	/* segment 2 lost: the ACK of 0-1 SACKs 3-5 */
	tsnap_take(&t, &e->net, e->dev);
	cw = tpof(&c)->cwnd;
	sack_ack(&c, s + 2 * m, 1, s + 3 * m, s + 6 * m);
	rexmit_seg(&c, s, 2);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.SackBlocks=1 tcp.RackLost=1 "
			 "tcp.SackRecoveries=1 tcp.FastRetrans=1 tcp.RetransSegs=1");
	assert_false(tpof(&c)->reordering_seen);
	assert_true(tpof(&c)->in_recovery);
	assert_int_equal(tpof(&c)->recover, s + 10 * m);
	assert_int_equal(tpof(&c)->sacked_out, 3 * m);
	assert_int_equal(tpof(&c)->lost_out, 0);	/* marked lost, and sent again */
	assert_false(timer_pending(&tpof(&c)->rack_timer));
	ssth = reno ? 8 * m / 2 : cubic_ssthresh(cw, m);	/* FlightSize: 8 segments after the ACK */
	assert_int_equal(tpof(&c)->ssthresh, ssth);
	/* PRR (RFC 6937): pipe 8 - 3 - 1 = 4 segments, under ssthresh:
	 * cwnd = pipe + min(ssthresh - pipe, delivered + MSS), at least a
	 * segment on the first ACK (RFC 6937bis), in whole segments */
	{
		uint32_t pipe = 4 * m, dl = 5 * m, snd = ssth - pipe < dl + m ? ssth - pipe : dl + m;
		if (snd < m)
			snd = m;
		if (snd % m)
			snd += m - snd % m;
		assert_int_equal(tpof(&c)->cwnd, pipe + snd);
	}
	/* nothing more is sent: no new data, the rest not lost */
	net_advance(&e->net, e->net.now + 5 * MS);
	expect_none(&c);
	/* everything acknowledged: recovery is over, cwnd = ssthresh */
	net_advance(&e->net, e->net.now + 5 * MS);
	tsnap_take(&t, &e->net, e->dev);
	sack_ack(&c, s + 10 * m, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1");
	assert_false(tpof(&c)->in_recovery);
	assert_int_equal(tpof(&c)->ssthresh, ssth);
	assert_int_equal(tpof(&c)->cwnd, ssth);
	assert_int_equal(tpof(&c)->sacked_out, 0);
	assert_int_equal(tpof(&c)->lost_out, 0);
	assert_int_equal(tpof(&c)->txq.n, 0);
	conn_free(&c);
}

static void test_rack_one_hole(void **state)
{
	one_hole(state, &SACK, false);
}

static void test_rack_one_hole_ts(void **state)
{
	one_hole(state, &SACK_TS, false);
}

static void test_rack_one_hole_reno(void **state)
{
	one_hole(state, &SACK, true);
}

static void test_rack_one_hole_reno_ts(void **state)
{
	one_hole(state, &SACK_TS, true);
}

/* RFC 8985 §6.2 step 4, §6.3: with less than three segments' worth
 * SACKed the reordering window is min_RTT / 4: the hole is lost at its
 * send time + RACK.rtt + min_RTT / 4, found by the RACK timer; the SACK
 * grew cwnd first (slow start), and ssthresh is 0.7 of that. */
static void rack_timer_case(void **state, const struct open_opts *o)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s, m, cw;
	uint64_t t1, due;

	conn_connect(e, &c, o);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	fill_pattern(pat, 20 * m, 22);
	t1 = e->net.now;
	send_segs(&c, s, 0, 10);
	net_advance(&e->net, t1 + 10 * MS);
	tsnap_take(&t, &e->net, e->dev);
	/* segment 0 lost, segment 1 SACKed */
	sack_ack(&c, s, 1, s + m, s + 2 * m);
	expect_none(&c);
	assert_int_equal(tpof(&c)->rack_rtt, 10000);
	assert_int_equal(tpof(&c)->min_rtt, 10000);
	assert_int_equal(tpof(&c)->sacked_out, m);
	assert_int_equal(tpof(&c)->lost_out, 0);
	assert_false(tpof(&c)->in_recovery);
	assert_int_equal(tpof(&c)->cwnd, 11 * m);	/* slow start: one more segment */
	cw = tpof(&c)->cwnd;
	due = t1 + 10000 + 10000 / 4;
	assert_true(timer_pending(&tpof(&c)->rack_timer));
	assert_int_equal(tpof(&c)->rack_timer.expires, due);
	quiet_until(&c, due);
	rexmit_seg(&c, s, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.DupAcks=1 tcp.OutSegs=1 tcp.SackBlocks=1 "
			 "tcp.RackReoTimeouts=1 tcp.RackLost=1 tcp.SackRecoveries=1 tcp.FastRetrans=1 "
			 "tcp.RetransSegs=1");
	assert_true(tpof(&c)->in_recovery);
	assert_int_equal(tpof(&c)->ssthresh, cubic_ssthresh(cw, m));
	assert_int_equal(tpof(&c)->lost_out, 0);
	assert_int_equal(tpof(&c)->sacked_out, m);
	/* nothing else goes: the others were sent with segment 1 or after */
	net_advance(&e->net, due + 9 * MS);
	expect_none(&c);
	sack_ack(&c, s + 10 * m, 0);
	expect_none(&c);
	assert_false(tpof(&c)->in_recovery);
	assert_int_equal(tpof(&c)->cwnd, tpof(&c)->ssthresh);
	conn_free(&c);
}

static void test_rack_reo_timer(void **state)
{
	rack_timer_case(state, &SACK);
}

static void test_rack_reo_timer_ts(void **state)
{
	rack_timer_case(state, &SACK_TS);
}

/* RFC 8985 §6.2 step 3: a segment delivered below the highest one
 * delivered before, never sent again, is reordering; from then on the
 * window is min_RTT / 4 even with three segments SACKed.  And no
 * reordering is seen where there is none, whatever the ISN (the highest
 * delivered sequence starts at snd_una, not at 0). */
static void test_rack_reordering_seen(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint32_t s, m;
	uint64_t t1;

	for (uint16_t port = 6000; port < 6008; port++) {
		struct open_opts o = SACK;
		o.lport = port;
		conn_connect(e, &c, &o);
		m = tpof(&c)->mss;
		s = c.iss + 1;
		fill_pattern(pat, 20 * m, 23);
		t1 = e->net.now;
		send_segs(&c, s, 0, 10);
		net_advance(&e->net, t1 + 10 * MS);
		sack_ack(&c, s, 1, s + 5 * m, s + 6 * m);	/* 0-4 late */
		expect_none(&c);
		if (tpof(&c)->reordering_seen)
			fail_msg("reordering seen on the first SACK (ISN %#010x)", c.iss);
		/* 1-4 arrive: below 6, never resent: reordering */
		sack_ack(&c, s, 2, s + m, s + 6 * m, s + 5 * m, s + 6 * m);
		expect_none(&c);
		assert_true(tpof(&c)->reordering_seen);
		assert_int_equal(tpof(&c)->sacked_out, 5 * m);
		/* so segment 0 waits for the window: sent at t1, 10 ms RTT */
		assert_int_equal(tpof(&c)->rack_timer.expires, t1 + 10000 + 2500);
		quiet_until(&c, t1 + 12500);
		rexmit_seg(&c, s, 0);
		expect_none(&c);
		conn_free(&c);
	}
}

/* RFC 6675 §5 and RFC 6937: two holes, each sent again once, in sequence
 * order, as far as PRR lets: with pipe under ssthresh, PRR-SSRB lets out
 * what was delivered plus one segment (at least one on the first ACK),
 * so one hole goes at the timer and the other on the next ACK.  Recovery
 * ends at the ACK of recover. */
static void test_rack_two_holes(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s, m, ssth;
	uint64_t t1;

	/* Both at once: 2 and 5 lost, 6 segments SACKed. */
	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	fill_pattern(pat, 20 * m, 24);
	send_segs(&c, s, 0, 10);
	net_advance(&e->net, e->net.now + 10 * MS);
	tsnap_take(&t, &e->net, e->dev);
	sack_ack(&c, s + 2 * m, 2, s + 6 * m, s + 10 * m, s + 3 * m, s + 5 * m);
	rexmit_seg(&c, s, 2);
	rexmit_seg(&c, s, 5);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=2 tcp.SackBlocks=2 tcp.RackLost=2 "
			 "tcp.SackRecoveries=1 tcp.FastRetrans=1 tcp.RetransSegs=2");
	ssth = cubic_ssthresh(10 * m, m);
	assert_int_equal(tpof(&c)->ssthresh, ssth);
	/* pipe was 0: cwnd = min(ssthresh, delivered + MSS), whole segments */
	assert_int_equal(tpof(&c)->cwnd, (ssth + m - 1) / m * m);
	assert_int_equal(tpof(&c)->sacked_out, 6 * m);
	assert_int_equal(tpof(&c)->lost_out, 0);
	assert_int_equal(tpof(&c)->prr_out, 2 * m);
	/* the first repaired: still in recovery */
	net_advance(&e->net, e->net.now + 10 * MS);
	sack_ack(&c, s + 5 * m, 1, s + 6 * m, s + 10 * m);
	expect_none(&c);
	assert_true(tpof(&c)->in_recovery);
	/* the second: recover reached */
	sack_ack(&c, s + 10 * m, 0);
	expect_none(&c);
	assert_false(tpof(&c)->in_recovery);
	assert_int_equal(tpof(&c)->cwnd, tpof(&c)->ssthresh);
	assert_int_equal(tpof(&c)->ssthresh, ssth);
	conn_free(&c);

	/* One at a time: 0 and 2 lost, 1 and 3 SACKed (the window of
	 * min_RTT / 4 applies: two segments SACKed). */
	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	t1 = e->net.now;
	send_segs(&c, s, 0, 10);
	net_advance(&e->net, t1 + 10 * MS);
	tsnap_take(&t, &e->net, e->dev);
	sack_ack(&c, s, 2, s + 3 * m, s + 4 * m, s + m, s + 2 * m);
	expect_none(&c);
	assert_int_equal(tpof(&c)->cwnd, 12 * m);	/* slow start, 2 segments */
	ssth = cubic_ssthresh(12 * m, m);
	quiet_until(&c, t1 + 12500);
	rexmit_seg(&c, s, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.DupAcks=1 tcp.OutSegs=1 tcp.SackBlocks=2 "
			 "tcp.RackReoTimeouts=1 tcp.RackLost=2 tcp.SackRecoveries=1 tcp.FastRetrans=1 "
			 "tcp.RetransSegs=1");
	assert_int_equal(tpof(&c)->ssthresh, ssth);
	assert_int_equal(tpof(&c)->lost_out, m);	/* segment 2 waits */
	/* pipe 10 - 2 - 2 = 6 segments; nothing delivered yet: one segment */
	assert_int_equal(tpof(&c)->cwnd, 7 * m);
	/* 4-9 arrive: 6 segments delivered, the second hole goes */
	net_advance(&e->net, t1 + 13 * MS);
	sack_ack(&c, s, 2, s + 3 * m, s + 10 * m, s + m, s + 2 * m);
	rexmit_seg(&c, s, 2);
	expect_none(&c);
	assert_int_equal(tpof(&c)->lost_out, 0);
	assert_int_equal(tpof(&c)->sacked_out, 8 * m);
	assert_true(tpof(&c)->cwnd <= ssth);
	/* both repaired: recovery over */
	net_advance(&e->net, t1 + 23 * MS);
	sack_ack(&c, s + 10 * m, 0);
	expect_none(&c);
	assert_false(tpof(&c)->in_recovery);
	assert_true(tpof(&c)->cwnd <= ssth);
	assert_int_equal(e->net.tcpstats.RetransSegs - t.tcp.RetransSegs, 2);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* hostile SACK blocks */

/* RFC 2018 §3 (and RFC 6675 §4's "not believed"): a block must lie in
 * what was sent and not acknowledged, start before its end and be no
 * longer than the flight; any other is counted and ignored, marks
 * nothing, starts no recovery.  A SACK option of a wrong length is no
 * option. */
static void test_sack_hostile_blocks(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s, m, mx;
	uint8_t o[20];

	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	fill_pattern(pat, 20 * m, 25);
	send_segs(&c, s, 0, 10);
	mx = s + 10 * m;
	net_advance(&e->net, e->net.now + 10 * MS);
	tsnap_take(&t, &e->net, e->dev);
	sack_ack(&c, s, 1, s + m, mx + m);			/* past snd_max */
	sack_ack(&c, s, 1, s + 2 * m, s + 2 * m);		/* empty */
	sack_ack(&c, s, 1, s + 3 * m, s + 2 * m);		/* backwards */
	sack_ack(&c, s, 1, s - 1000, s + 2 * m);		/* from below snd_una, alone */
	sack_ack(&c, s, 2, s + 4 * m, s + 6 * m, s - 1000, s + 3 * m);	/* the same, second */
	/* longer than the flight: start and end each past the middle of
	 * the sequence space, so neither is before snd_una nor after
	 * snd_max, and end - start is the flight + 2 (second: as the first
	 * block its end, "below" snd_una, would make it a D-SACK) */
	sack_ack(&c, s, 2, s + m, s + m, s + 0x7fffffffu, mx + 0x80000001u);
	sack_ack(&c, s, 3, mx, mx + 1, s + 5 * m, s + 5 * m, s + m, mx + 1);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=7 tcp.DupAcks=7 tcp.SackBlocks=11 "
			 "tcp.SackBlocksBad=10");
	/* the good block of the fifth ACK marked 4-5 (2 segments, no loss yet) */
	assert_int_equal(tpof(&c)->sacked_out, 2 * m);
	assert_int_equal(tpof(&c)->lost_out, 0);
	assert_false(tpof(&c)->in_recovery);
	conn_free(&c);

	/* Only bad blocks: nothing SACKed, nothing marked, nothing sent. */
	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	send_segs(&c, s, 0, 10);
	mx = s + 10 * m;
	net_advance(&e->net, e->net.now + 10 * MS);
	tsnap_take(&t, &e->net, e->dev);
	for (int i = 0; i < 5; i++)
		sack_ack(&c, s, 3, s + m, mx + 1, mx, s + 4 * m, s - 1, s + 9 * m);
	/* a truncated option: kind 5 length 14 (not 2 + 8n) */
	memset(o, 0, sizeof(o));
	o[0] = 1, o[1] = 1, o[2] = 5, o[3] = 14;
	{
		uint32_t a = htonl(s + m), b = htonl(s + 4 * m);
		memcpy(o + 4, &a, 4);
		memcpy(o + 8, &b, 4);
	}
	inject_opt(&c, c.snd, s, TH_ACK, c.win, o, 16, NULL, 0);
	/* a block of 8 bytes whose length says 18: past the header */
	o[3] = 18;
	inject_opt(&c, c.snd, s, TH_ACK, c.win, o, 12, NULL, 0);
	expect_none(&c);
	assert_int_equal(tpof(&c)->sacked_out, 0);
	assert_int_equal(tpof(&c)->lost_out, 0);
	assert_false(tpof(&c)->in_recovery);
	assert_false(timer_pending(&tpof(&c)->rack_timer));
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=7 tcp.DupAcks=7 tcp.SackBlocks=15 "
			 "tcp.SackBlocksBad=15 tcp.BadOptions=1");
	/* the data is still acknowledged normally */
	sack_ack(&c, mx, 0);
	expect_none(&c);
	assert_int_equal(tpof(&c)->snd_una, mx);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* D-SACK */

/* RFC 2883 §4: a first block below the cumulative ACK, or inside the
 * second block, reports a duplicate: counted, not SACKed, and (RFC 8985
 * §6.2 step 4) the reordering window grows a step, once a round. */
static void test_dsack_widens(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s, m;
	uint64_t t1;

	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	fill_pattern(pat, 40 * m, 26);
	send_segs(&c, s, 0, 10);
	net_advance(&e->net, e->net.now + 10 * MS);
	assert_int_equal(tpof(&c)->reo_wnd_mult, 0);	/* 0: a multiplier of 1 */
	tsnap_take(&t, &e->net, e->dev);
	sack_ack(&c, s + 5 * m, 1, s, s + m);		/* below the ACK */
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SackBlocks=1 tcp.DSacks=1");
	assert_int_equal(tpof(&c)->reo_wnd_mult, 2);
	assert_int_equal(tpof(&c)->reo_wnd_persist, 16);
	assert_int_equal(tpof(&c)->sacked_out, 0);
	/* another in the same round: counted, no second step */
	sack_ack(&c, s + 6 * m, 1, s + m, s + 2 * m);
	expect_none(&c);
	assert_int_equal(e->net.tcpstats.DSacks - t.tcp.DSacks, 2);
	assert_int_equal(tpof(&c)->reo_wnd_mult, 2);
	/* inside the second block: a duplicate of SACKed data */
	sack_ack(&c, s + 6 * m, 2, s + 8 * m, s + 9 * m, s + 8 * m, s + 10 * m);
	expect_none(&c);
	assert_int_equal(e->net.tcpstats.DSacks - t.tcp.DSacks, 3);
	assert_int_equal(tpof(&c)->sacked_out, 2 * m);	/* the second block counts */
	assert_int_equal(e->net.tcpstats.SackBlocksBad - t.tcp.SackBlocksBad, 0);
	sack_ack(&c, s + 10 * m, 0);
	expect_none(&c);
	/* the next round: one hole and one SACK wait min_RTT / 4 x 2 */
	t1 = e->net.now;
	send_segs(&c, s + 10 * m, 10 * m, 10);
	net_advance(&e->net, t1 + 10 * MS);
	sack_ack(&c, s + 10 * m, 1, s + 11 * m, s + 12 * m);
	expect_none(&c);
	assert_int_equal(tpof(&c)->rack_timer.expires, t1 + 10000 + 2 * (10000 / 4));
	quiet_until(&c, t1 + 15 * MS);
	expect_rexmit(&c, s + 10 * m, c.snd, pat + 10 * m, m);
	expect_none(&c);
	/* a D-SACK of that retransmission in a new round: one more step */
	net_advance(&e->net, t1 + 25 * MS);
	sack_ack(&c, s + 20 * m, 1, s + 10 * m, s + 11 * m);
	expect_none(&c);
	assert_int_equal(tpof(&c)->reo_wnd_mult, 3);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* the tail loss probe */

/* RFC 8985 §7.2-7.4: with the last segments unacknowledged and nothing
 * more to send, at PTO = 2 SRTT + 0.5 ms (+ the worst-case delayed ACK,
 * 200 ms, when one segment is out) after the last ACK the last segment
 * goes again; unanswered, another follows at twice the PTO (imp's, not
 * RFC 8985's); its ACK without a D-SACK says it repaired a loss: the
 * window is cut as for one (ssthresh = 0.7 cwnd, cwnd = ssthresh). */
static void test_tlp_retransmit(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s, m, cw, k, n;
	uint64_t t2;

	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	fill_pattern(pat, 20 * m, 27);
	send_segs(&c, s, 0, 10);
	/* no ACK at all for 2 SRTT + 0.5 ms: the probe is the last segment */
	assert_int_equal(tpof(&c)->tlp_timer.expires, e->net.now + 2 * 10000 + 500);
	net_advance(&e->net, e->net.now + 10 * MS);
	/* 0-7 acknowledged, 8 and 9 lost */
	sack_ack(&c, s + 8 * m, 0);
	expect_none(&c);
	assert_int_equal(tpof(&c)->srtt, 10000);
	cw = tpof(&c)->cwnd;
	assert_int_equal(cw, 18 * m);
	t2 = e->net.now + 2 * 10000 + 500;
	assert_int_equal(tpof(&c)->tlp_timer.expires, t2);
	tsnap_take(&t, &e->net, e->dev);
	quiet_until(&c, t2);
	rexmit_seg(&c, s, 9);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.OutSegs=1 tcp.RetransSegs=1 tcp.TlpProbes=1");
	assert_true(tpof(&c)->tlp_outstanding);
	assert_true(tpof(&c)->tlp_retrans);
	assert_int_equal(tpof(&c)->tlp_high_seq, s + 10 * m);
	assert_int_equal(tpof(&c)->rexmit_timer.expires, t2 + tpof(&c)->rto);
	/* unanswered, a second probe would follow at twice the PTO */
	assert_int_equal(tpof(&c)->tlp_timer.expires, t2 + 2 * (2 * 10000 + 500));
	/* the probe's ACK SACKs 9: 8 is lost, found by RACK at once */
	net_advance(&e->net, t2 + 10 * MS);
	sack_ack(&c, s + 8 * m, 1, s + 9 * m, s + 10 * m);
	rexmit_seg(&c, s, 8);
	expect_none(&c);
	assert_true(tpof(&c)->in_recovery);
	conn_free(&c);

	/* The probe repairs the only loss: the ACK of all, no D-SACK. */
	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	send_segs(&c, s, 0, 10);
	net_advance(&e->net, e->net.now + 10 * MS);
	sack_ack(&c, s + 8 * m, 0);
	t2 = e->net.now + 20 * MS + 500;
	quiet_until(&c, t2);
	rexmit_seg(&c, s, 9);
	expect_none(&c);
	/* 8 arrived late, and 9 once: all acknowledged.  A D-SACK of the
	 * probe may still follow (next case); 2 SRTT later it has not */
	cw = tpof(&c)->cwnd;
	tsnap_take(&t, &e->net, e->dev);
	net_advance(&e->net, t2 + 10 * MS);
	sack_ack(&c, s + 10 * m, 0);
	expect_none(&c);
	assert_true(tpof(&c)->tlp_outstanding);
	assert_int_equal(tpof(&c)->cwnd, cw);
	quiet_until(&c, tpof(&c)->tlp_verdict_timer.expires);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.TlpRecoveries=1");
	assert_false(tpof(&c)->tlp_outstanding);
	assert_int_equal(tpof(&c)->ssthresh, cubic_ssthresh(cw, m));
	assert_int_equal(tpof(&c)->cwnd, tpof(&c)->ssthresh);
	assert_false(tpof(&c)->in_recovery);
	conn_free(&c);

	/* The same with a D-SACK of the probe: the first copy arrived, no
	 * loss, no cut. */
	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	send_segs(&c, s, 0, 10);
	net_advance(&e->net, e->net.now + 10 * MS);
	sack_ack(&c, s + 8 * m, 0);
	t2 = e->net.now + 20 * MS + 500;
	quiet_until(&c, t2);
	rexmit_seg(&c, s, 9);
	cw = tpof(&c)->cwnd;
	tsnap_take(&t, &e->net, e->dev);
	net_advance(&e->net, t2 + 10 * MS);
	sack_ack(&c, s + 10 * m, 1, s + 9 * m, s + 10 * m);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.SackBlocks=1 tcp.DSacks=1");
	assert_false(tpof(&c)->tlp_outstanding);
	assert_int_equal(tpof(&c)->cwnd, cw);
	assert_int_equal(tpof(&c)->ssthresh, UINT32_MAX);
	conn_free(&c);

	/* A fast LAN's bulk send: the ACK of the first copies was merely
	 * late, comes just after the probe and covers it, and the D-SACK
	 * of the probe comes on the next ACK: no cut. */
	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	fill_pattern(pat, 40 * m, 30);
	assert_int_equal(send_bytes(c.s, pat, 40 * m), (long)(40 * m));
	for (unsigned int i = 0; i < 10; i++)
		expect(&c, TH_ACK, s + i * m, c.snd, pat + i * m, m);
	expect_none(&c);
	net_advance(&e->net, e->net.now + 10 * MS);
	sack_ack(&c, s + 8 * m, 0);
	k = (tpof(&c)->snd_max - s) / m;
	assert_true(k > 10 && k < 40);
	for (unsigned int i = 10; i < k; i++)
		expect(&c, TH_ACK, s + i * m, c.snd, pat + i * m, m);
	expect_none(&c);
	t2 = tpof(&c)->tlp_timer.expires;
	quiet_until(&c, t2);
	rexmit_seg(&c, s, k - 1);
	expect_none(&c);
	assert_int_equal(tpof(&c)->tlp_high_seq, s + k * m);
	cw = tpof(&c)->cwnd;
	tsnap_take(&t, &e->net, e->dev);
	net_advance(&e->net, t2 + 1 * MS);
	sack_ack(&c, s + k * m, 0);
	assert_true(tpof(&c)->tlp_outstanding);
	assert_int_equal(tpof(&c)->cwnd >= cw, 1);
	n = (tpof(&c)->snd_max - s) / m;
	for (unsigned int i = k; i < n; i++)
		expect(&c, i == 39 ? TH_ACK | TH_PSH : TH_ACK, s + i * m, c.snd, pat + i * m, m);
	expect_none(&c);
	net_advance(&e->net, t2 + 2 * MS);
	sack_ack(&c, s + k * m, 1, s + (k - 1) * m, s + k * m);
	expect_none(&c);
	assert_int_equal(e->net.tcpstats.DSacks - t.tcp.DSacks, 1);
	assert_int_equal(e->net.tcpstats.TlpRecoveries - t.tcp.TlpRecoveries, 0);
	assert_false(tpof(&c)->tlp_outstanding);
	assert_int_equal(tpof(&c)->ssthresh, UINT32_MAX);
	assert_true(tpof(&c)->cwnd >= cw);
	conn_free(&c);
}

/* RFC 8985 §7.2: one segment out: PTO = 2 SRTT + 200 ms (the peer may
 * delay its ACK), unless the RTO comes first: with SRTT 10 ms the RTO
 * (200 ms) is sooner and no probe is armed; with SRTT 300 ms (RTO 900
 * ms) the probe goes at 800 ms. */
static void test_tlp_one_segment(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	struct open_opts o = SACK;
	uint32_t s;
	uint64_t t1;

	conn_connect(e, &c, &SACK);
	s = c.iss + 1;
	fill_pattern(pat, 4000, 28);
	t1 = e->net.now;
	send_push(&c, s, pat, 1000);
	assert_false(timer_pending(&tpof(&c)->tlp_timer));
	expect_at(&c, t1 + 200 * MS, TH_ACK | TH_PSH, s, pat, 1000);	/* the RTO */
	conn_free(&c);

	o.rtt = 300 * MS;
	conn_connect(e, &c, &o);
	assert_int_equal(tpof(&c)->srtt, 300000);
	assert_int_equal(tpof(&c)->rto, 900000);
	s = c.iss + 1;
	t1 = e->net.now;
	tsnap_take(&t, &e->net, e->dev);
	send_push(&c, s, pat, 1000);
	expect_at(&c, t1 + 2 * 300 * MS + 200 * MS, TH_ACK | TH_PSH, s, pat, 1000);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.OutSegs=2 tcp.RetransSegs=1 tcp.TlpProbes=1");
	/* the probe's ACK, and no D-SACK in 2 SRTT: a loss repaired */
	net_advance(&e->net, e->net.now + 300 * MS);
	sack_ack(&c, s + 1000, 0);
	expect_none(&c);
	assert_int_equal(e->net.tcpstats.TlpRecoveries - t.tcp.TlpRecoveries, 0);
	quiet_until(&c, e->net.now + 2 * 300 * MS + 500);
	assert_int_equal(e->net.tcpstats.TlpRecoveries - t.tcp.TlpRecoveries, 1);
	assert_int_equal(tpof(&c)->cwnd, cubic_ssthresh(10 * 1460, 1460));
	conn_free(&c);
}

/* The probe is the last segment sent even when new data waits (imp's
 * choice, not RFC 8985 §7.3's): a Linux receiver may hold its ACK of new
 * data, and must answer a duplicate at once.  The D-SACK of it says no
 * loss: no cut, and the rest goes. */
static void test_tlp_new_data(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s, m, cw;
	uint64_t t1;

	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	fill_pattern(pat, 20 * m, 29);
	t1 = e->net.now;
	assert_int_equal(send_bytes(c.s, pat, 15 * m), (long)(15 * m));
	for (unsigned int i = 0; i < 10; i++)
		expect(&c, TH_ACK, s + i * m, c.snd, pat + i * m, m);
	expect_none(&c);
	cw = tpof(&c)->cwnd;
	tsnap_take(&t, &e->net, e->dev);
	quiet_until(&c, t1 + 20 * MS + 500);
	rexmit_seg(&c, s, 9);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.OutSegs=1 tcp.RetransSegs=1 tcp.TlpProbes=1");
	assert_true(tpof(&c)->tlp_outstanding);
	assert_true(tpof(&c)->tlp_retrans);
	assert_int_equal(tpof(&c)->tlp_high_seq, s + 10 * m);
	assert_int_equal(tpof(&c)->cwnd, cw);
	/* all 10 acknowledged, 9 D-SACKed: no TLP recovery; the rest goes */
	net_advance(&e->net, t1 + 32 * MS);
	tsnap_take(&t, &e->net, e->dev);
	sack_ack(&c, s + 10 * m, 1, s + 9 * m, s + 10 * m);
	for (unsigned int i = 10; i < 15; i++)
		expect(&c, i == 14 ? TH_ACK | TH_PSH : TH_ACK, s + i * m, c.snd, pat + i * m, m);
	expect_none(&c);
	assert_int_equal(e->net.tcpstats.TlpRecoveries - t.tcp.TlpRecoveries, 0);
	assert_false(tpof(&c)->tlp_outstanding);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* the retransmission timeout with SACK */

/* RFC 6675 §5.1, RFC 8985 §6.3: at the RTO what the peer SACKed stays
 * SACKed: only the rest is sent again, from snd_una, one segment of
 * cwnd, slow start from there; the loss phase ends when snd_una reaches
 * recover (snd_max at the timeout). */
static void test_rto_keeps_sacks(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t s, m, cw;
	uint64_t t1;

	conn_connect(e, &c, &SACK);
	m = tpof(&c)->mss;
	s = c.iss + 1;
	fill_pattern(pat, 20 * m, 30);
	t1 = e->net.now;
	send_segs(&c, s, 0, 10);
	/* 0 and 1 lost: found at once, both sent again, and lost again */
	net_advance(&e->net, t1 + 10 * MS);
	sack_ack(&c, s, 1, s + 2 * m, s + 10 * m);
	rexmit_seg(&c, s, 0);
	rexmit_seg(&c, s, 1);
	expect_none(&c);
	cw = tpof(&c)->cwnd;
	assert_true(tpof(&c)->in_recovery);
	/* (this stack arms the probe in recovery too, unlike RFC 8985
	 * §7.2: if it does, the last un-SACKed segment goes at PTO, and
	 * is lost too; the RTO counts from it) */
	/* (this stack probes in recovery too, three times at PTO, 2 PTO and
	 * 4 PTO, unlike RFC 8985 §7.2; each probe is lost too, and the RTO
	 * counts from the last) */
	assert_int_equal(tpof(&c)->tlp_timer.expires, t1 + 10 * MS + 20 * MS + 500);
	for (unsigned int k = 0; k < 3; k++) {
		assert_true(timer_pending(&tpof(&c)->tlp_timer));
		if (k)
			assert_int_equal(tpof(&c)->tlp_timer.expires, e->net.now + ((20 * MS + 500) << k));
		quiet_until(&c, tpof(&c)->tlp_timer.expires);
		rexmit_seg(&c, s, 1);
		expect_none(&c);
		assert_int_equal(tpof(&c)->rexmit_timer.expires, e->net.now + 200 * MS);
	}
	assert_false(timer_pending(&tpof(&c)->tlp_timer));
	/* the RTO */
	tsnap_take(&t, &e->net, e->dev);
	t1 = tpof(&c)->rexmit_timer.expires - 200 * MS;	/* what follows is relative to it */
	quiet_until(&c, t1 + 200 * MS);
	rexmit_seg(&c, s, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.OutSegs=1 tcp.RetransSegs=1 tcp.Timeouts=1");
	assert_true(tpof(&c)->in_loss);
	assert_false(tpof(&c)->in_recovery);
	assert_int_equal(tpof(&c)->cwnd, m);
	assert_int_equal(tpof(&c)->ssthresh, cubic_ssthresh(cw, m));
	assert_int_equal(tpof(&c)->recover, s + 10 * m);
	assert_int_equal(tpof(&c)->sacked_out, 8 * m);
	assert_int_equal(tpof(&c)->lost_out, m);	/* segment 1, not yet again */
	/* its ACK: slow start, 2 segments: only 1 goes, not 2-9 */
	net_advance(&e->net, t1 + 210 * MS);
	sack_ack(&c, s + m, 1, s + 2 * m, s + 10 * m);
	rexmit_seg(&c, s, 1);
	expect_none(&c);
	assert_true(tpof(&c)->in_loss);
	assert_int_equal(tpof(&c)->cwnd, 2 * m);
	/* recover reached */
	net_advance(&e->net, t1 + 220 * MS);
	sack_ack(&c, s + 10 * m, 0);
	expect_none(&c);
	assert_false(tpof(&c)->in_loss);
	assert_false(tpof(&c)->in_recovery);
	assert_int_equal(tpof(&c)->sacked_out, 0);
	assert_int_equal(e->net.tcpstats.RetransSegs - t.tcp.RetransSegs, 2);
	/* and nothing is sent again later */
	net_advance(&e->net, t1 + 5 * SEC);
	expect_none(&c);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* CUBIC (RFC 9438), the formula */

#define CC 0.4
#define BETA 0.7

/* avoid_run: from cwnd (bytes, segments of mss) at time now, one ACK of
 * one segment at a time, cwnd / mss of them spread over each RTT, until
 * now + dur; f(t, cwnd) is called at the start of each RTT with t since
 * the epoch's start.  Returns the final cwnd. */
static uint32_t avoid_run(struct tcp_cubic *cu, uint32_t cwnd, uint32_t mss, uint64_t *now,
			  uint32_t rtt, uint64_t dur,
			  void (*f)(const struct tcp_cubic *, double t, uint32_t cwnd, void *), void *arg)
{
	uint64_t end = *now + dur;

	while (*now < end) {
		uint32_t n = cwnd / mss;
		if (cu->epoch_start)
			f(cu, (double)(*now - cu->epoch_start) / 1e6, cwnd, arg);
		for (uint32_t i = 0; i < n; i++)
			cwnd = tcp_cubic_avoid(cu, cwnd, mss, mss, *now + (uint64_t)rtt * i / n, rtt);
		*now += rtt;
	}
	return cwnd;
}

struct cubic_check {
	double wmax, k, tol, maxerr;
	int concave, plateau, convex;
};

static void check_cubic(const struct tcp_cubic *cu, double t, uint32_t cwnd, void *arg)
{
	struct cubic_check *k = arg;
	double want = CC * pow(t - k->k, 3) + k->wmax, got = cwnd / 1000.0;
	double err = fabs(got - want);

	if (cu->w_est >= want)
		fail_msg("at t = %.3f s: W_est %.3f above W_cubic(t) %.3f", t, cu->w_est, want);
	if (err > k->maxerr)
		k->maxerr = err;
	if (err > k->tol)
		fail_msg("at t = %.3f s: window %.3f segments, W_cubic(t) = %.3f", t, got, want);
	if (t < k->k - 1.0)
		k->concave++;
	else if (t < k->k + 1.0)
		k->plateau++;
	else
		k->convex++;
}

/* RFC 9438 §4.2: after a loss at W_max the window follows W_cubic(t) =
 * C (t - K)^3 + W_max, K = cbrt(W_max (1 - beta) / C): concave up to
 * W_max, flat near it at K, convex past it; §4.6: ssthresh is 0.7 W. */
static void test_cubic_curve(void **state)
{
	struct tcp_cubic cu = { 0 };
	struct cubic_check k = { .wmax = 100, .tol = 0.5 };
	/* 200 ms: Reno's estimate (0.53 segment a round) stays below the
	 * cubic all the way; test_cubic_reno_friendly is the other side */
	uint64_t now = T0;
	uint32_t mss = 1000, cwnd;

	(void)state;
	tcp_cubic_loss(&cu, 100 * mss, mss);
	assert_true(fabs(cu.w_max - 100) < 1e-9);
	cwnd = (uint32_t)(100 * mss * BETA);
	k.k = cbrt(100 * (1 - BETA) / CC);
	assert_true(fabs(k.k - 4.2172) < 1e-3);
	cwnd = avoid_run(&cu, cwnd, mss, &now, 200000, 8 * SEC, check_cubic, &k);
	assert_true(fabs(cu.k - k.k) < 1e-9);
	assert_true(k.concave >= 10 && k.plateau >= 8 && k.convex >= 10);
	/* at 8 s: C (8 - K)^3 + 100 = 121.6 segments */
	assert_true(fabs(cwnd / 1000.0 - (CC * pow(8.0 - k.k, 3) + 100)) < 2.0);
	assert_true(k.maxerr < 0.5);
}

/* RFC 9438 §4.7: a loss below the W_max of the loss before (a newer flow
 * takes a share) sets W_max = W (1 + beta) / 2; one above sets W_max = W. */
static void test_cubic_fast_convergence(void **state)
{
	struct tcp_cubic cu = { 0 };
	uint64_t now = T0;
	struct cubic_check k = { .tol = 1.0 };

	(void)state;
	tcp_cubic_loss(&cu, 100000, 1000);
	assert_true(fabs(cu.w_max - 100) < 1e-9);
	tcp_cubic_loss(&cu, 80000, 1000);
	assert_true(fabs(cu.w_max - 80 * (1 + BETA) / 2) < 1e-9);
	assert_true(fabs(cu.w_last_max - 80) < 1e-9);
	tcp_cubic_loss(&cu, 120000, 1000);
	assert_true(fabs(cu.w_max - 120) < 1e-9);
	/* the curve after a fast-convergence loss climbs to the lowered
	 * W_max: K = cbrt((W_max - 0.7 W) / C) */
	tcp_cubic_loss(&cu, 100000, 1000);
	k.wmax = 100 * (1 + BETA) / 2;
	k.k = cbrt((k.wmax - 70) / CC);
	avoid_run(&cu, 70000, 1000, &now, 200000, 6 * SEC, check_cubic, &k);
	assert_true(fabs(cu.k - k.k) < 1e-9);
}

struct reno_check {
	double west;
	uint32_t mss;
	int reno;
};

/* RFC 9438 §4.3: W_est = W_est + alpha * segments_acked / cwnd, alpha =
 * 3 (1 - beta) / (1 + beta) until W_est reaches W_max, then 1; where
 * W_cubic(t) < W_est the window is W_est. */
static void test_cubic_reno_friendly(void **state)
{
	struct tcp_cubic cu = { 0 };
	uint64_t now = T0;
	uint32_t mss = 1000, cwnd = 7000, rtt = 10000;
	double west = 7, alpha = 3 * (1 - BETA) / (1 + BETA), k = cbrt(10 * (1 - BETA) / CC);
	int reno = 0;

	(void)state;
	tcp_cubic_loss(&cu, 10 * mss, mss);
	/* small W, 10 ms: Reno's line rises faster than the cubic */
	for (int r = 0; r < 150; r++) {
		uint32_t n = cwnd / mss;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t at = now + (uint64_t)rtt * i / n;
			double w = (double)cwnd / mss, t, wc;
			cwnd = tcp_cubic_avoid(&cu, cwnd, mss, mss, at, rtt);
			west += (west >= 10 ? 1.0 : alpha) / w;
			t = (double)(at - cu.epoch_start) / 1e6;
			wc = CC * pow(t - k, 3) + 10;
			if (wc < west) {
				double want = west > w ? west : w;
				reno++;
				if (fabs((double)cwnd / mss - want) > 0.01)
					fail_msg("round %d: window %.3f, W_est %.3f (W_cubic %.3f)", r,
						 (double)cwnd / mss, west, wc);
			}
		}
		now += rtt;
	}
	assert_true(reno > 100);
	assert_true(fabs(cu.w_est - west) < 0.01);
	/* 150 RTTs: 3 segments at 0.53 per RTT, then one per RTT */
	assert_true(cwnd / mss > 100);
}

/* ------------------------------------------------------------------------- */
/* HyStart++ (RFC 9406) */

/* round_trip: rtt after the last flight went, the peer ACKs everything in
 * flight one segment at a time (one RTT sample each); what that lets out
 * is popped.  *growth (if not NULL) gets what the first ACK added to
 * cwnd; done_cwnd, cwnd before the ACK that ended slow start. */
static uint32_t done_cwnd;
static void round_trip(struct conn *c, uint64_t *t, uint64_t rtt, uint32_t *growth)
{
	uint32_t m = tpof(c)->mss, una = tpof(c)->snd_una, nxt = tpof(c)->snd_nxt;

	*t += rtt;
	net_advance(&c->e->net, *t);
	for (uint32_t a = una + m; !after(a, nxt); a += m) {
		uint32_t cw = tpof(c)->cwnd;
		bool was_done = tpof(c)->hystart.done;
		sack_ack(c, a, 0);
		if (!was_done && tpof(c)->hystart.done)
			done_cwnd = cw;
		if (growth && a == una + m)
			*growth = tpof(c)->cwnd - cw;
	}
	assert_true(drain(c->e->dev) > 0);
}

/* RFC 9406 §4.2: a round's smallest RTT (of at least 8 samples) at least
 * the last round's plus max(4 ms, min(16 ms, last / 8)) ends slow start
 * for conservative slow start, where cwnd grows by acked / 4
 * (CSS_GROWTH_DIVISOR); after 5 rounds of it (CSS_ROUNDS) ssthresh =
 * cwnd and slow start is over.  For an ISN of either half of the
 * sequence space (the first round must end). */
static void test_hystart(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct open_opts o = SACK;
	uint64_t t;
	uint32_t m, g;
	unsigned int css;
	bool high = false, low = false;

	o.wscale = 7;		/* 8 MB of window: only cwnd limits */
	for (uint16_t port = 6100; port < 6108; port++) {
		unsigned int r;
		o.lport = port;
		conn_connect(e, &c, &o);
		high |= c.iss >= 0x80000000u;
		low |= c.iss < 0x80000000u;
		m = tpof(&c)->mss;
		fill_pattern(pat, 60000, 31);
		for (int i = 0; i < 30; i++)
			assert_int_equal(send_bytes(c.s, pat, 60000), 60000);
		t = e->net.now;
		drain(e->dev);
		assert_int_equal(tpof(&c)->cwnd, 10 * m);
		/* slow start at 10 ms: doubling each round */
		round_trip(&c, &t, 10 * MS, &g);
		assert_int_equal(g, m);
		round_trip(&c, &t, 10 * MS, NULL);
		assert_int_equal(e->net.tcpstats.HystartExits, 0);
		assert_int_equal(tpof(&c)->cwnd, 40 * m);
		if (tpof(&c)->hystart.last_round_min != 10000)
			fail_msg("ISN %#010x: no HyStart round ended (last round min %u)", c.iss,
				 tpof(&c)->hystart.last_round_min);
		/* the RTT rises by 5 ms (more than 4): a round that sees only
		 * that leaves slow start */
		for (r = 0; r < 3 && !e->net.tcpstats.HystartExits; r++)
			round_trip(&c, &t, 15 * MS, NULL);
		assert_int_equal(e->net.tcpstats.HystartExits, 1);
		/* found within a round: that round's end may have counted */
		css = tpof(&c)->hystart.css_rounds;
		assert_true(css == 1 || css == 2);
		assert_int_equal(tpof(&c)->hystart.css_baseline, 15000);
		assert_true(tpof(&c)->cwnd < tpof(&c)->ssthresh);
		/* in CSS one ACK of a segment adds a quarter segment */
		round_trip(&c, &t, 15 * MS, &g);
		assert_int_equal(g, m / 4);
		assert_int_equal(tpof(&c)->hystart.css_rounds, ++css);
		/* a round more each time; at the end of the fifth, slow start
		 * is over: ssthresh = cwnd */
		for (r = 0; r < 8 && !tpof(&c)->hystart.done; r++) {
			round_trip(&c, &t, 15 * MS, NULL);
			if (!tpof(&c)->hystart.done)
				assert_int_equal(tpof(&c)->hystart.css_rounds, ++css);
		}
		assert_true(tpof(&c)->hystart.done);
		assert_int_equal(css, 5);
		assert_int_equal(tpof(&c)->ssthresh, done_cwnd);
		assert_int_equal(tpof(&c)->hystart.css_rounds, 0);
		assert_true(tpof(&c)->cwnd >= tpof(&c)->ssthresh);
		/* and avoidance from there */
		g = tpof(&c)->cwnd;
		round_trip(&c, &t, 15 * MS, NULL);
		assert_true(tpof(&c)->cwnd - g < g / 4);
		assert_int_equal(e->net.tcpstats.HystartExits, 1);
		e->net.tcpstats.HystartExits = 0;
		conn_free(&c);
	}
	assert_true(high && low);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_rack_one_hole),
		TCP_TEST(test_rack_one_hole_ts),
		TCP_TEST(test_rack_one_hole_reno),
		TCP_TEST(test_rack_one_hole_reno_ts),
		TCP_TEST(test_rack_reo_timer),
		TCP_TEST(test_rack_reo_timer_ts),
		TCP_TEST(test_rack_reordering_seen),
		TCP_TEST(test_rack_two_holes),
		TCP_TEST(test_sack_hostile_blocks),
		TCP_TEST(test_dsack_widens),
		TCP_TEST(test_tlp_retransmit),
		TCP_TEST(test_tlp_one_segment),
		TCP_TEST(test_tlp_new_data),
		TCP_TEST(test_rto_keeps_sacks),
		TCP_TEST(test_cubic_curve),
		TCP_TEST(test_cubic_fast_convergence),
		TCP_TEST(test_cubic_reno_friendly),
		TCP_TEST(test_hystart),
	};
	return cmocka_run_group_tests_name("tcp_rack", tests, NULL, NULL);
}
