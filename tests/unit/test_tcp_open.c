/* TCP opening a connection, one rule at a time (the fixtures: tcptest.h):
 * the active open and its SYN, what SYN_SENT does with a bad ACK or a RST,
 * SYN retransmission; the passive open, the options a SYN-ACK echoes, the
 * accept queue; what a closed port answers, and segments with a bad
 * checksum. */
#include "tcptest.h"

/* Bound to LPORT before the connect. */
static const struct open_opts AT_LPORT = { .mss = 1460, .wscale = 0, .irs = 0x10000000,
					   .win = 65535, .lport = LPORT };

/* ------------------------------------------------------------------------- */
/* active open */

static void test_active_open(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tcp_seen syn, ack;
	struct tsnap t;
	uint8_t ob[40];
	size_t ol;
	struct open_opts o = { .mss = 1460, .wscale = 7, .ts = true, .irs = 0x01020304, .win = 65535 };

	conn_new(e, &c);
	status_is(c.s, "Closed");
	tsnap_take(&t, &e->net, e->dev);
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	assert_int_equal(c.s->state, SS_CONNECTING);
	status_is(c.s, "Syn_sent");
	tsnap_expect_tcp(&t, &e->net, "tcp.ActiveOpens=1 tcp.OutSegs=1");

	/* The SYN: no ACK, MSS 1460 for MTU 1500, window scale, timestamps
	 * (TSecr 0), the window unscaled. */
	pop_tcp(e->dev, PEER_MAC, &syn);
	expect_none(&c);
	assert_int_equal(syn.flags, TH_SYN);
	assert_int_equal(syn.ack, 0);
	assert_int_equal(syn.dport, PPORT);
	assert_in_range(syn.sport, 1024, 65535);
	assert_int_equal(syn.dlen, 0);
	assert_false(syn.bad_opts);
	assert_int_equal(syn.mss, 1460);
	assert_int_equal(syn.wscale, 6);	/* a 2 MB receive buffer needs 6 */
	assert_true(syn.ts);
	assert_int_equal(syn.tsecr, 0);
	assert_true(syn.sackok);		/* RFC 2018: always offered */
	assert_int_equal(syn.hlen, 44);		/* MSS 4, NOP+WS 4, NOP NOP SACKOK 4, NOP NOP TS 12 */
	assert_int_equal(syn.win, 65535);
	c.lport = syn.sport;
	c.iss = syn.seq;
	c.tsecr = syn.tsval;
	tcp_seen_free(&syn);

	/* The SYN-ACK with MSS, WS 7, TS. */
	c.irs = o.irs;
	c.tsval = 777;
	ol = syn_opts(ob, &o, c.tsval, c.tsecr);
	tsnap_take(&t, &e->net, e->dev);
	inject_opt(&c, c.irs, c.iss + 1, TH_SYN | TH_ACK, 65535, ob, ol, NULL, 0);
	c.ts = true;
	expect_keep(&c, TH_ACK, c.iss + 1, c.irs + 1, NULL, 0, &ack);
	assert_int_equal(ack.hlen, 32);		/* NOP NOP TS only */
	assert_int_equal(ack.tsecr, 777);
	/* the window, scaled by the 6 we offered: the whole 2 MB */
	assert_int_equal(ack.win, (2u << 20) >> 6);
	tcp_seen_free(&ack);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.CurrEstab=1");
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(c.s->state, SS_CONNECTED);
	status_is(c.s, "Established");
	assert_int_equal(tpof(&c)->mss, 1460 - 12);
	assert_int_equal(tpof(&c)->snd_wscale, 7);
	assert_int_equal(tpof(&c)->rcv_wscale, 6);
	assert_true(tpof(&c)->tstamp_ok);
	assert_int_equal(tpof(&c)->snd_una, c.iss + 1);
	assert_int_equal(tpof(&c)->rcv_nxt, c.irs + 1);
	assert_int_equal(c.wakes, 0);
	wakes_seen(&c);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLOUT);
	{
		union inet_sockaddr a;
		assert_int_equal(c.s->ops->getname(c.s, &a, true), 0);
		assert_int_equal(a.sin.sin_addr.s_addr, PEER_IP);
		assert_int_equal(ntohs(a.sin.sin_port), PPORT);
	}
	conn_free(&c);
}

/* The MSS the stack sends with: the peer's, at most ours (1460), less 12
 * with timestamps; 536 when the peer sends none (RFC 9293 §3.7.1). */
static void test_active_open_mss(void **state)
{
	struct env *e = *state;
	static const struct { int mss; bool ts; unsigned int want; } cases[] = {
		{ 1460, false, 1460 }, { 1460, true, 1448 }, { 1000, false, 1000 },
		{ 1000, true, 988 }, { 9000, false, 1460 }, { 9000, true, 1448 },
		{ 536, false, 536 }, { 0, false, 536 }, { 0, true, 524 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct open_opts o = PLAIN;
		struct conn c;

		o.mss = cases[i].mss;
		o.ts = cases[i].ts;
		conn_connect(e, &c, &o);
		if (tpof(&c)->mss != cases[i].want)
			fail_msg("peer MSS %d%s: mss %u, want %u", cases[i].mss,
				 cases[i].ts ? " with timestamps" : "", tpof(&c)->mss, cases[i].want);
		/* and a full segment is that long */
		assert_int_equal(tcp_sk(c.s->sk)->nodelay, false);
		fill_pattern(pat, 4000, (unsigned int)i);
		assert_int_equal(send_bytes(c.s, pat, 4000), 4000);
		expect(&c, TH_ACK, c.iss + 1, c.snd, pat, cases[i].want);
		conn_free(&c);
	}
}

/* An ACK in SYN_SENT that is not for our SYN gets a RST <SEQ=SEG.ACK>
 * and changes nothing (RFC 9293 §3.10.7.3). */
static void test_synsent_bad_ack(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint32_t bad[] = { 1000, 0, (uint32_t)-1, 2 };	/* offsets from iss */
	const struct open_opts synack = { .wscale = -1, .irs = 0x5000, .win = 65535 };

	conn_syn_sent(e, &c, &AT_LPORT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t a = c.iss + bad[i];

		tsnap_take(&t, &e->net, e->dev);
		inject_opt(&c, 0x5000, a, TH_SYN | TH_ACK, 65535, NULL, 0, NULL, 0);
		expect(&c, TH_RST, a, 0, NULL, 0);
		expect_none(&c);
		tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.OutRsts=1");
		assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
		assert_int_equal(c.s->state, SS_CONNECTING);
		assert_int_equal(tcp_sk(c.s->sk)->snd_una, c.iss);
	}
	/* A bare ACK with a bad number too. */
	inject_opt(&c, 0x5000, c.iss + 77, TH_ACK, 65535, NULL, 0, NULL, 0);
	expect(&c, TH_RST, c.iss + 77, 0, NULL, 0);
	/* A RST with a bad ACK: dropped, no answer. */
	inject_opt(&c, 0x5000, c.iss + 77, TH_RST | TH_ACK, 0, NULL, 0, NULL, 0);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
	/* The right SYN-ACK (no options) still completes it. */
	conn_synack(&c, &synack);
	conn_free(&c);
}

static void test_synsent_rst(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_syn_sent(e, &c, &AT_LPORT);
	/* A RST without ACK: not acceptable in SYN_SENT, dropped. */
	inject_opt(&c, 0, 0, TH_RST, 0, NULL, 0, NULL, 0);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
	wakes_reset(&c);

	/* RST|ACK acknowledging our SYN: refused. */
	tsnap_take(&t, &e->net, e->dev);
	inject_opt(&c, 0, c.iss + 1, TH_RST | TH_ACK, 0, NULL, 0, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.AttemptFails=1");
	assert_int_equal(c.s->sk->sk_err, ECONNREFUSED);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(c.s->state, SS_UNCONNECTED);
	status_is(c.s, "Closed");
	wakes_seen(&c);
	assert_true(c.s->ops->poll(c.s) & SOCK_POLLERR);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -ECONNREFUSED);
	assert_int_equal(c.s->sk->sk_err, 0);	/* reported once */
	/* nothing of it is left to answer a late segment */
	inject_opt(&c, 9, c.iss + 1, TH_SYN | TH_ACK, 65535, NULL, 0, NULL, 0);
	expect(&c, TH_RST, c.iss + 1, 0, NULL, 0);
	conn_free(&c);
}

/* SYN retransmissions at 1, 2, 4 s (RFC 6298 §5.5), then ETIMEDOUT after
 * net.tcp_syn_retries of them. */
static void test_syn_retransmit(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;
	uint64_t t0, at;
	uint64_t when[] = { 1 * SEC, 3 * SEC, 7 * SEC };

	e->net.tcp_syn_retries = 3;
	t0 = e->net.now;
	tsnap_take(&t, &e->net, e->dev);
	conn_syn_sent(e, &c, &AT_LPORT);
	for (size_t i = 0; i < 3; i++) {
		struct tcp_seen syn;

		quiet_until(&c, t0 + when[i]);
		pop_tcp(e->dev, PEER_MAC, &syn);
		expect_none(&c);
		assert_int_equal(syn.flags, TH_SYN);
		assert_int_equal(syn.seq, c.iss);	/* the same SYN */
		assert_int_equal(syn.ack, 0);
		assert_int_equal(syn.mss, 1460);
		assert_int_equal(syn.wscale, 6);
		assert_true(syn.ts);
		tcp_seen_free(&syn);
		assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
	}
	at = t0 + 15 * SEC;
	net_advance(&e->net, at - 1);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
	net_advance(&e->net, at);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(c.s->sk->sk_err, ETIMEDOUT);
	assert_int_equal(c.s->state, SS_UNCONNECTED);
	tsnap_expect_tcp(&t, &e->net, "tcp.ActiveOpens=1 tcp.OutSegs=4 tcp.RetransSegs=3 "
			 "tcp.Timeouts=3 tcp.AttemptFails=1");
	wakes_seen(&c);
	assert_int_equal(sock_recv_stream(c.s, buf, sizeof(buf)), -ETIMEDOUT);
	/* nothing more, ever */
	net_advance(&e->net, at + 600 * SEC);
	expect_none(&c);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* passive open */

static void test_passive_open(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, 80, 16), *a = NULL;
	unsigned int lw = 0;
	struct conn c;
	struct tsnap t;
	struct tcp_seen sa;
	uint8_t ob[40];
	size_t ol;

	sock_count_wakeups(l, &lw);
	status_is(l, "Listen");
	conn_init(e, &c, 80);

	/* A SYN with MSS 1400 only: the SYN-ACK has MSS and nothing else. */
	{
		struct open_opts o = { .mss = 1400, .wscale = -1 };
		ol = syn_opts(ob, &o, 0, 0);
	}
	tsnap_take(&t, &e->net, e->dev);
	inject_opt(&c, 0x12345678, 0, TH_SYN, 8192, ob, ol, NULL, 0);
	pop_synack(e, &sa);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1 tcp.PassiveOpens=1");
	assert_int_equal(sa.sport, 80);
	assert_int_equal(sa.dport, PPORT);
	assert_int_equal(sa.ack, 0x12345679);
	assert_int_equal(sa.mss, 1460);
	assert_int_equal(sa.wscale, -1);
	assert_false(sa.ts);
	assert_false(sa.sackok);
	assert_int_equal(sa.hlen, 24);
	assert_int_equal(sa.win, 65535);
	assert_int_equal(sa.dlen, 0);
	c.iss = sa.seq;
	tcp_seen_free(&sa);
	assert_int_equal(l->ops->accept(l, &a), -EAGAIN);

	/* The ACK: established, in the accept queue. */
	c.snd = 0x12345679;
	c.ack = c.iss + 1;
	c.win = 8192;
	tsnap_take(&t, &e->net, e->dev);
	peer_send(&c, 0, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.CurrEstab=1");
	net_run_wakeups(&e->net);
	assert_true(lw >= 1);
	assert_int_equal(l->ops->poll(l), SOCK_POLLIN);
	assert_int_equal(l->ops->accept(l, &a), 0);
	assert_non_null(a);
	track(a);
	assert_int_equal(a->state, SS_CONNECTED);
	status_is(a, "Established");
	assert_int_equal(tcp_sk(a->sk)->mss, 1400);
	assert_int_equal(tcp_sk(a->sk)->snd_wnd, 8192);
	assert_false(tcp_sk(a->sk)->tstamp_ok);
	assert_false(tcp_sk(a->sk)->wscale_ok);
	{
		union inet_sockaddr n;
		assert_int_equal(a->ops->getname(a, &n, true), 0);
		assert_int_equal(n.sin.sin_addr.s_addr, PEER_IP);
		assert_int_equal(ntohs(n.sin.sin_port), PPORT);
		assert_int_equal(a->ops->getname(a, &n, false), 0);
		assert_int_equal(n.sin.sin_addr.s_addr, OUR_IP);
		assert_int_equal(ntohs(n.sin.sin_port), 80);
	}
	assert_int_equal(l->ops->accept(l, &a), -EAGAIN);
	/* the accepted socket talks */
	c.s = a;
	send_push(&c, c.iss + 1, "world", 5);
	c.ack = c.iss + 6;
	peer_send(&c, TH_PSH, "hello", 5);
	read_expect(&c, "hello", 5);
	conn_free(&c);

	/* Each option comes back only when it was offered. */
	{
		static const struct {
			struct open_opts o;
			unsigned int hlen;
		} cases[] = {
			{ { .mss = 1460, .wscale = 7, .ts = true, .sackok = true }, 44 },
			{ { .mss = 1460, .wscale = 7 }, 28 },
			{ { .mss = 1460, .wscale = -1, .ts = true }, 36 },
			{ { .mss = 0, .wscale = -1, .sackok = true }, 28 },
			{ { .mss = 0, .wscale = 14, .ts = true, .sackok = true }, 44 },
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct open_opts *o = &cases[i].o;

			c.pport = (uint16_t)(PPORT + 1 + i);
			ol = syn_opts(ob, o, 4242, 0);
			inject_opt(&c, 0x1000, 0, TH_SYN, 65535, ob, ol, NULL, 0);
			pop_synack(e, &sa);
			assert_int_equal(sa.dport, c.pport);
			assert_int_equal(sa.ack, 0x1001);
			assert_int_equal(sa.mss, 1460);
			assert_int_equal(sa.wscale, o->wscale >= 0 ? 6 : -1);
			assert_int_equal(sa.ts, o->ts);
			if (o->ts)
				assert_int_equal(sa.tsecr, 4242);
			assert_int_equal(sa.sackok, o->sackok);	/* SACK-permitted only when offered */
			assert_false(sa.bad_opts);
			assert_int_equal(sa.hlen, cases[i].hlen);
			assert_int_equal(sa.win, 65535);
			tcp_seen_free(&sa);
		}
	}
	rel(l);
	drain(e->dev);
}

static void test_closed_port(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tsnap t;

	conn_init(e, &c, 81);

	/* SYN: RST|ACK <SEQ=0><ACK=SEG.SEQ+SEG.LEN> */
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, 0xabcdef00, 0, TH_SYN, NULL, 0);
	expect(&c, TH_RST | TH_ACK, 0, 0xabcdef01, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InNoSocket=1 tcp.OutSegs=1 tcp.OutRsts=1");
	/* with data, and near the wrap */
	inject(&c, 0xfffffffe, 0, TH_SYN, "abcde", 5);
	expect(&c, TH_RST | TH_ACK, 0, 0x4, NULL, 0);
	inject(&c, 0x100, 0, TH_SYN | TH_FIN, NULL, 0);
	expect(&c, TH_RST | TH_ACK, 0, 0x102, NULL, 0);
	/* ACK: RST <SEQ=SEG.ACK>, no ACK */
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, 0x100, 0x55667788, TH_ACK, NULL, 0);
	expect(&c, TH_RST, 0x55667788, 0, NULL, 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InNoSocket=1 tcp.OutSegs=1 tcp.OutRsts=1");
	inject(&c, 0x100, 0x9, TH_ACK | TH_PSH, "data", 4);
	expect(&c, TH_RST, 0x9, 0, NULL, 0);
	inject(&c, 0x100, 0x9, TH_ACK | TH_FIN, NULL, 0);
	expect(&c, TH_RST, 0x9, 0, NULL, 0);
	/* A RST is never answered. */
	tsnap_take(&t, &e->net, e->dev);
	inject(&c, 0x100, 0x9, TH_RST | TH_ACK, NULL, 0);
	inject(&c, 0x100, 0, TH_RST, NULL, 0);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=2 tcp.InNoSocket=2");
	/* A listener answers an ACK (nothing half-open) with a RST too. */
	{
		struct socket *l = tcp_listener(e, 81, 4);
		inject(&c, 0x100, 0x31337, TH_ACK, NULL, 0);
		expect(&c, TH_RST, 0x31337, 0, NULL, 0);
		/* and drops what has neither SYN nor ACK */
		inject(&c, 0x100, 0, TH_PSH, "xx", 2);
		inject(&c, 0x100, 0, TH_FIN, NULL, 0);
		inject(&c, 0x100, 0, TH_RST, NULL, 0);
		expect_none(&c);
		rel(l);
	}
}

/* A segment whose checksum is wrong is dropped before anything else looks
 * at it: no RST, no SYN-ACK, no ACK. */
static void test_bad_checksum(void **state)
{
	struct env *e = *state;
	struct conn c, d;
	struct tsnap t;
	struct socket *l = tcp_listener(e, 80, 4);
	size_t n;

	conn_init(e, &c, 80);
	/* to the listener */
	n = tcp_build(frame, PEER_IP, PPORT, OUR_IP, 80, 1000, 0, TH_SYN, 65535, NULL, 0, NULL, 0);
	frame[ETH_HLEN + 20 + 16] ^= 0x01;	/* the checksum field itself */
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, frame, n);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InCsumErrors=1 tcp.InErrs=1");
	assert_null(l->sk->accept_head);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 0);
	/* to a closed port: no RST either */
	n = tcp_build(frame, PEER_IP, PPORT, OUR_IP, 82, 1000, 0, TH_SYN, 65535, NULL, 0, NULL, 0);
	frame[ETH_HLEN + 20 + 4] ^= 0x80;	/* the sequence number */
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, frame, n);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InCsumErrors=1 tcp.InErrs=1");
	/* the pseudo-header counts: a checksum made for another source */
	{
		uint8_t seg[64];
		size_t sl = tcp_seg_build(seg, OTHER_IP, PPORT, OUR_IP, 82, 1, 0, TH_SYN, 100,
					  NULL, 0, NULL, 0);
		n = ip_build(frame, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_TCP, seg, sl);
	}
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, frame, n);
	expect_none(&c);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InCsumErrors=1 tcp.InErrs=1");

	/* on a connection: data with a bad checksum is neither taken nor ACKed */
	conn_connect(e, &d, &PLAIN);
	n = tcp_build(frame, PEER_IP, PPORT, OUR_IP, d.lport, d.snd, d.ack, TH_ACK | TH_PSH, 65535,
		      NULL, 0, "payload", 7);
	frame[n - 1] ^= 0x20;
	tsnap_take(&t, &e->net, e->dev);
	memdev_inject(e->dev, frame, n);
	net_advance(&e->net, e->net.now + SEC);
	expect_none(&d);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.InCsumErrors=1 tcp.InErrs=1");
	assert_int_equal(sock_recv_stream(d.s, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(tpof(&d)->rcv_nxt, d.snd);
	/* a RST with a bad checksum resets nothing */
	n = tcp_build(frame, PEER_IP, PPORT, OUR_IP, d.lport, d.snd, 0, TH_RST, 0, NULL, 0, NULL, 0);
	frame[ETH_HLEN + 20 + 17] ^= 0x04;
	memdev_inject(e->dev, frame, n);
	assert_int_equal(d.s->sk->sk_state, TCP_ESTABLISHED);
	conn_free(&d);
	rel(l);
}

/* syn_from: a bare SYN from PEER_IP:sport to port 80. */
static void syn_from(struct env *e, uint16_t sport, uint32_t seq)
{
	memdev_inject(e->dev, frame, tcp_build(frame, PEER_IP, sport, OUR_IP, 80, seq, 0, TH_SYN,
					       65535, NULL, 0, NULL, 0));
}

/* Without SYN cookies (--syncookies 0): a full SYN queue (as many
 * SYN_RECV children as the backlog) drops new SYNs, and so does a full
 * accept queue.  (With cookies: test_tcp_syncookies.) */
static void test_backlog_full(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, 80, 1), *a = NULL;
	struct tsnap t;
	struct tcp_seen sa;
	uint32_t iss_a;

	e->net.syncookies.mode = 0;
	/* A: SYN-ACK */
	syn_from(e, 1001, 500);
	pop_synack(e, &sa);
	iss_a = sa.seq;
	tcp_seen_free(&sa);
	/* B while A is half open: the SYN queue is full, dropped */
	tsnap_take(&t, &e->net, e->dev);
	syn_from(e, 1002, 700);
	assert_int_equal(memdev_pending(e->dev), 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.ListenDrops=1");
	/* A's SYN again (our SYN-ACK lost): answered, not an overflow */
	tsnap_take(&t, &e->net, e->dev);
	syn_from(e, 1001, 500);
	pop_synack(e, &sa);
	assert_int_equal(sa.seq, iss_a);
	assert_int_equal(sa.ack, 501);
	tcp_seen_free(&sa);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.OutSegs=1");
	/* A completes: in the queue, still full */
	memdev_inject(e->dev, frame, tcp_build(frame, PEER_IP, 1001, OUR_IP, 80, 501, iss_a + 1,
					       TH_ACK, 65535, NULL, 0, NULL, 0));
	assert_int_equal(memdev_pending(e->dev), 0);
	tsnap_take(&t, &e->net, e->dev);
	syn_from(e, 1003, 900);
	assert_int_equal(memdev_pending(e->dev), 0);
	tsnap_expect_tcp(&t, &e->net, "tcp.InSegs=1 tcp.ListenOverflows=1 tcp.ListenDrops=1");
	/* accepted: room again */
	assert_int_equal(l->ops->accept(l, &a), 0);
	track(a);
	syn_from(e, 1004, 1100);
	pop_synack(e, &sa);
	assert_int_equal(sa.dport, 1004);
	tcp_seen_free(&sa);
	rel(a);
	rel(l);
	drain(e->dev);
}

/* An ICMP host unreachable about a half-open child's SYN-ACK (the peer's
 * address did not resolve, say): the child goes and is freed, and the
 * listener counts it no more (tcp_done once left it unhashed and leaked,
 * which the frame fuzzer found). */
static void test_synrecv_icmp_error(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, 80, 16), *a = NULL;
	struct conn c;
	struct tcp_seen sa;
	uint8_t quote[28];
	uint64_t socks;
	size_t n;

	conn_init(e, &c, 80);
	socks = e->net.mem.socks;
	inject_opt(&c, 1000, 0, TH_SYN, 8192, NULL, 0, NULL, 0);
	pop_synack(e, &sa);
	assert_int_equal(e->net.mem.socks, socks + 1);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 1);
	memcpy(quote, sa.rx.ip, 20);
	memcpy(quote + 20, sa.th, 8);
	tcp_seen_free(&sa);
	n = icmp_error_build(frame, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, quote, sizeof(quote));
	memdev_inject(e->dev, frame, n);
	assert_int_equal(e->net.mem.socks, socks);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 0);
	assert_int_equal(e->net.tcpstats.AttemptFails, 1);
	assert_int_equal(l->ops->accept(l, &a), -EAGAIN);
	/* The peer's ACK now finds no connection: a reset. */
	c.snd = 1001;
	c.ack = sa.seq + 1;
	peer_send(&c, 0, NULL, 0);
	expect(&c, TH_RST, sa.seq + 1, 0, NULL, 0);
	drain(e->dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_active_open),
		TCP_TEST(test_active_open_mss),
		TCP_TEST(test_synsent_bad_ack),
		TCP_TEST(test_synsent_rst),
		TCP_TEST(test_syn_retransmit),
		TCP_TEST(test_passive_open),
		TCP_TEST(test_closed_port),
		TCP_TEST(test_bad_checksum),
		TCP_TEST(test_backlog_full),
		TCP_TEST(test_synrecv_icmp_error),
	};
	return cmocka_run_group_tests_name("tcp_open", tests, NULL, NULL);
}
