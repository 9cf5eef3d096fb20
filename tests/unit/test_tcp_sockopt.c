/* TCP's socket options and what TCP_INFO reads, one rule at a time (the
 * fixtures: tcptest.h): TCP_MAXSEG in the SYN and in what is sent,
 * timestamps keyed by the pair of addresses, TCP_USER_TIMEOUT on data, on
 * a SYN and on keepalive, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT, SO_RCVLOWAT on
 * read and poll, TCP_CONGESTION's names, and the info text. */
#include <stdio.h>
#include <stdlib.h>

#include "tcptest.h"

static int setopt(struct conn *c, enum sockopt opt, int val)
{
	return c->s->ops->setsockopt(c->s, opt, val);
}

/* info_num: the value of KEY in the socket's info line (-1: absent). */
static long long info_num(struct socket *s, const char *key)
{
	char line[2048], pat_[64];
	const char *p;

	assert_non_null(s->ops->info);
	s->ops->info(s, line, sizeof(line));
	assert_non_null(strchr(line, '\n'));
	snprintf(pat_, sizeof(pat_), " %s ", key);
	if (!strncmp(line, pat_ + 1, strlen(pat_) - 1))
		p = line + strlen(pat_) - 1;
	else if ((p = strstr(line, pat_)))
		p += strlen(pat_);
	else
		return -1;
	return strtoll(p, NULL, 10);
}

static long recv_now(struct conn *c, size_t len, int flags, struct sockmsg *m)
{
	memset(m, 0, sizeof(*m));
	m->flags = flags;
	return c->s->ops->recvmsg(c->s, m, len);
}

/* ------------------------------------------------------------------------- */
/* TCP_MAXSEG */

/* Set before connect, the SYN offers it, and the connection sends no more
 * than it (less the timestamp option); Linux's bounds are refused. */
static void test_maxseg_in_syn(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tcp_seen syn;
	struct open_opts o = WITH_TS;

	conn_new(e, &c);
	assert_int_equal(setopt(&c, SOCKOPT_MAXSEG, 87), -EINVAL);
	assert_int_equal(setopt(&c, SOCKOPT_MAXSEG, 32768), -EINVAL);
	assert_int_equal(setopt(&c, SOCKOPT_MAXSEG, 1100), 0);
	assert_int_equal(info_num(c.s, "user_mss"), 1100);
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	pop_tcp(e->dev, PEER_MAC, &syn);
	assert_int_equal(syn.flags, TH_SYN);
	assert_int_equal(syn.mss, 1100);
	c.lport = syn.sport;
	c.iss = syn.seq;
	c.tsecr = syn.tsval;
	tcp_seen_free(&syn);
	conn_synack(&c, &o);			/* the peer offers 1460 */
	assert_int_equal(tpof(&c)->mss, 1100 - 12);
	assert_int_equal(info_num(c.s, "snd_mss"), 1088);
	assert_int_equal(info_num(c.s, "advmss"), 1088);
	fill_pattern(pat, 3000, 3);
	assert_int_equal(setopt(&c, SOCKOPT_NODELAY, 1), 0);	/* no Nagle on the last piece */
	assert_int_equal(send_bytes(c.s, pat, 3000), 3000);
	expect(&c, TH_ACK, c.iss + 1, c.snd, pat, 1088);
	expect(&c, TH_ACK, c.iss + 1 + 1088, c.snd, pat + 1088, 1088);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1 + 2176, c.snd, pat + 2176, 3000 - 2176);
	conn_free(&c);

	/* 0 forgets it: the route's MSS again. */
	conn_new(e, &c);
	assert_int_equal(setopt(&c, SOCKOPT_MAXSEG, 1100), 0);
	assert_int_equal(setopt(&c, SOCKOPT_MAXSEG, 0), 0);
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	pop_tcp(e->dev, PEER_MAC, &syn);
	assert_int_equal(syn.mss, 1460);
	tcp_seen_free(&syn);
	conn_free(&c);

	/* Larger than the route's: the route's. */
	conn_new(e, &c);
	assert_int_equal(setopt(&c, SOCKOPT_MAXSEG, 9000), 0);
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	pop_tcp(e->dev, PEER_MAC, &syn);
	assert_int_equal(syn.mss, 1460);
	tcp_seen_free(&syn);
	conn_free(&c);
}

/* On a listener: the SYN-ACK offers it, and what an accepted connection
 * sends keeps to it. */
static void test_maxseg_listener(void **state)
{
	struct env *e = *state;
	struct socket *l = tcp_listener(e, LPORT, 8), *s;
	struct tcp_seen sa;
	struct conn c;
	uint8_t ob[40];
	size_t ol;

	assert_int_equal(l->ops->setsockopt(l, SOCKOPT_MAXSEG, 1000), 0);
	conn_init(e, &c, LPORT);
	c.irs = 0x5000;
	c.win = 65535;
	ol = syn_opts(ob, &PLAIN, 0, 0);
	inject_opt(&c, c.irs, 0, TH_SYN, 65535, ob, ol, NULL, 0);
	pop_synack(e, &sa);
	assert_int_equal(sa.mss, 1000);		/* the SYN-ACK offers it, as Linux's does */
	c.iss = sa.seq;
	tcp_seen_free(&sa);
	c.snd = c.irs + 1;
	c.ack = c.iss + 1;
	inject(&c, c.snd, c.ack, TH_ACK, NULL, 0);
	assert_int_equal(l->ops->accept(l, &s), 0);
	c.s = track(s);
	assert_int_equal(tpof(&c)->mss, 1000);
	assert_int_equal(tpof(&c)->cwnd, 10 * 1000);
	fill_pattern(pat, 1500, 4);
	assert_int_equal(setopt(&c, SOCKOPT_NODELAY, 1), 0);
	assert_int_equal(send_bytes(c.s, pat, 1500), 1500);
	expect(&c, TH_ACK, c.iss + 1, c.snd, pat, 1000);
	expect(&c, TH_ACK | TH_PSH, c.iss + 1001, c.snd, pat + 1000, 500);
	rel(l);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* timestamps */

/* Two connections to one peer carry TSvals of one clock (RFC 7323 §5.4,
 * an offset per pair of addresses, as Linux keys it), so a peer that still
 * holds the first 4-tuple in TIME_WAIT takes the second SYN instead of
 * dropping it as an old duplicate (PAWS) and costing a SYN timeout. */
static void test_ts_clock_per_peer(void **state)
{
	struct env *e = *state;
	struct conn a, b;
	struct tcp_seen s1, s2;

	conn_new(e, &a);
	assert_int_equal(do_connect(a.s, PEER_IP, PPORT), -EINPROGRESS);
	pop_tcp(e->dev, PEER_MAC, &s1);
	net_advance(&e->net, e->net.now + 7 * MS);
	conn_new(e, &b);
	assert_int_equal(do_connect(b.s, PEER_IP, PPORT + 1), -EINPROGRESS);
	pop_tcp(e->dev, PEER_MAC, &s2);
	assert_true(s1.ts && s2.ts);
	assert_int_equal(s2.tsval - s1.tsval, 7);
	tcp_seen_free(&s1);
	tcp_seen_free(&s2);
	conn_free(&a);
	conn_free(&b);
}

/* ------------------------------------------------------------------------- */
/* TCP_USER_TIMEOUT */

/* Data unacknowledged for that long ends the connection with ETIMEDOUT,
 * on time (the last timer is cut short), long before the tries run out. */
static void test_user_timeout_data(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint64_t t0;

	conn_accept(e, &c, &WITH_TS);		/* RTO 200 ms */
	assert_int_equal(setopt(&c, SOCKOPT_USER_TIMEOUT, -1), -EINVAL);
	assert_int_equal(setopt(&c, SOCKOPT_USER_TIMEOUT, 1000), 0);
	assert_int_equal(info_num(c.s, "user_timeout"), 1000);
	fill_pattern(pat, 100, 5);
	t0 = e->net.now;
	send_push(&c, c.iss + 1, pat, 100);
	/* timeouts at 200, 600 ms; the next would be 1400: cut to 1000 */
	expect_at(&c, t0 + 200 * MS, TH_ACK | TH_PSH, c.iss + 1, pat, 100);
	expect_at(&c, t0 + 600 * MS, TH_ACK | TH_PSH, c.iss + 1, pat, 100);
	assert_int_equal(info_num(c.s, "ca_state"), 4);		/* TCP_CA_Loss */
	assert_int_equal(info_num(c.s, "retransmits"), 2);
	assert_int_equal(info_num(c.s, "total_retrans"), 2);
	assert_int_equal(info_num(c.s, "lost"), 1);
	quiet_until(&c, t0 + 1000 * MS);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(c.s->sk->sk_err, ETIMEDOUT);
	assert_int_equal(info_num(c.s, "state"), 7);
	conn_free(&c);

	/* Without it, the same connection goes on retransmitting. */
	conn_accept(e, &c, &WITH_TS);
	t0 = e->net.now;
	send_push(&c, c.iss + 1, pat, 100);
	net_advance(&e->net, t0 + 1500 * MS);
	drain(e->dev);
	assert_int_equal(c.s->sk->sk_state, TCP_ESTABLISHED);
	conn_free(&c);
}

/* A SYN: the connect fails at the user timeout, before its tries. */
static void test_user_timeout_syn(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct tcp_seen syn;
	uint64_t t0;

	conn_new(e, &c);
	assert_int_equal(setopt(&c, SOCKOPT_USER_TIMEOUT, 1500), 0);
	t0 = e->net.now;
	assert_int_equal(do_connect(c.s, PEER_IP, PPORT), -EINPROGRESS);
	pop_tcp(e->dev, PEER_MAC, &syn);
	c.lport = syn.sport;
	c.iss = syn.seq;
	tcp_seen_free(&syn);
	net_advance(&e->net, t0 + 1000 * MS);	/* the SYN again, at 1 s */
	pop_tcp(e->dev, PEER_MAC, &syn);
	assert_int_equal(syn.flags, TH_SYN);
	tcp_seen_free(&syn);
	net_advance(&e->net, t0 + 1500 * MS - 1);
	assert_int_equal(c.s->sk->sk_state, TCP_SYN_SENT);
	net_advance(&e->net, t0 + 1500 * MS);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(c.s->sk->sk_err, ETIMEDOUT);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* keepalive */

/* TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT: the first probe after the idle
 * time, then one each interval, and ETIMEDOUT when COUNT went unanswered. */
static void test_keepalive_intvl_cnt(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint64_t t0;

	conn_accept(e, &c, &PLAIN);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPIDLE, 0), -EINVAL);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPINTVL, 0), -EINVAL);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPCNT, 0), -EINVAL);
	t0 = e->net.now;
	assert_int_equal(setopt(&c, SOCKOPT_KEEPIDLE, 1000), 0);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPINTVL, 300), 0);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPCNT, 3), 0);
	assert_int_equal(info_num(c.s, "keepalive"), 0);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPALIVE, 1), 0);
	assert_int_equal(info_num(c.s, "keepalive"), 1);
	assert_int_equal(info_num(c.s, "keepidle"), 1000);
	assert_int_equal(info_num(c.s, "keepintvl"), 300);
	assert_int_equal(info_num(c.s, "keepcnt"), 3);
	expect_at(&c, t0 + 1000 * MS, TH_ACK, c.iss, NULL, 0);
	expect_at(&c, t0 + 1300 * MS, TH_ACK, c.iss, NULL, 0);
	expect_at(&c, t0 + 1600 * MS, TH_ACK, c.iss, NULL, 0);
	assert_int_equal(info_num(c.s, "probes"), 3);
	quiet_until(&c, t0 + 1900 * MS);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(c.s->sk->sk_err, ETIMEDOUT);
	conn_free(&c);

	/* Off again: no probe at all. */
	conn_accept(e, &c, &PLAIN);
	t0 = e->net.now;
	assert_int_equal(setopt(&c, SOCKOPT_KEEPIDLE, 1000), 0);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPALIVE, 1), 0);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPALIVE, 0), 0);
	quiet_until(&c, t0 + 5000 * MS);
	expect_none(&c);
	assert_int_equal(info_num(c.s, "keepidle"), 1000);	/* kept for next time */
	conn_free(&c);
}

/* With TCP_USER_TIMEOUT, that long a silence with a probe out ends it,
 * whatever TCP_KEEPCNT says (Linux). */
static void test_keepalive_user_timeout(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint64_t t0;

	conn_accept(e, &c, &PLAIN);
	t0 = e->net.now;
	assert_int_equal(setopt(&c, SOCKOPT_KEEPIDLE, 1000), 0);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPINTVL, 500), 0);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPCNT, 100), 0);
	assert_int_equal(setopt(&c, SOCKOPT_USER_TIMEOUT, 1700), 0);
	assert_int_equal(setopt(&c, SOCKOPT_KEEPALIVE, 1), 0);
	expect_at(&c, t0 + 1000 * MS, TH_ACK, c.iss, NULL, 0);
	expect_at(&c, t0 + 1500 * MS, TH_ACK, c.iss, NULL, 0);
	quiet_until(&c, t0 + 2000 * MS);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(c.s->sk->sk_err, ETIMEDOUT);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* SO_RCVLOWAT */

/* A blocking read, and poll, wait for that many bytes; a non-blocking read
 * takes what is there; the end of the stream is readable whatever came. */
static void test_rcvlowat(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct sockmsg m;

	conn_accept(e, &c, &PLAIN);
	assert_int_equal(setopt(&c, SOCKOPT_RCVLOWAT, -1), -EINVAL);
	assert_int_equal(setopt(&c, SOCKOPT_RCVLOWAT, 1000), 0);
	assert_int_equal(info_num(c.s, "rcvlowat"), 1000);
	fill_pattern(ppat, 2000, 6);
	peer_send(&c, TH_ACK | TH_PSH, ppat, 600);
	drain(e->dev);
	assert_false(c.s->ops->poll(c.s) & SOCK_POLLIN);
	assert_int_equal(recv_now(&c, 4096, 0, &m), -EAGAIN);
	/* asking for less than the mark: what was asked */
	assert_int_equal(recv_now(&c, 100, 0, &m), 100);
	c.s->ops->recv_done(c.s, &m, 100);
	peer_send(&c, TH_ACK | TH_PSH, ppat + 600, 400);
	drain(e->dev);
	assert_int_equal(recv_now(&c, 4096, 0, &m), -EAGAIN);	/* 900 */
	peer_send(&c, TH_ACK | TH_PSH, ppat + 1000, 100);
	drain(e->dev);
	assert_true(c.s->ops->poll(c.s) & SOCK_POLLIN);		/* 1000 */
	assert_int_equal(recv_now(&c, 4096, 0, &m), 1000);
	c.s->ops->recv_done(c.s, &m, 1000);
	/* non-blocking: what is there */
	peer_send(&c, TH_ACK | TH_PSH, ppat + 1100, 10);
	drain(e->dev);
	assert_int_equal(recv_now(&c, 4096, MSG_DONTWAIT, &m), 10);
	c.s->ops->recv_done(c.s, &m, 10);
	/* FIN: readable with less */
	peer_send(&c, TH_ACK | TH_PSH, ppat + 1110, 20);
	peer_send(&c, TH_ACK | TH_FIN, NULL, 0);
	drain(e->dev);
	assert_true(c.s->ops->poll(c.s) & SOCK_POLLIN);
	assert_int_equal(recv_now(&c, 4096, 0, &m), 20);
	c.s->ops->recv_done(c.s, &m, 20);
	/* 0 is 1, as on Linux; more than the buffer is the buffer */
	assert_int_equal(setopt(&c, SOCKOPT_RCVLOWAT, 0), 0);
	assert_int_equal(info_num(c.s, "rcvlowat"), 1);
	assert_int_equal(setopt(&c, SOCKOPT_RCVLOWAT, 1 << 30), 0);
	assert_int_equal(info_num(c.s, "rcvlowat"), (long long)c.s->sk->sk_rcvbuf);
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* poll after a connect */

/* A non-blocking connect's end is writable, failed or not, as on Linux:
 * POLLOUT once established; POLLOUT with POLLERR and POLLHUP once
 * refused (a write would fail at once, not block). */
static void test_poll_connect_end(void **state)
{
	struct env *e = *state;
	struct conn c;

	conn_syn_sent(e, &c, &PLAIN);
	assert_int_equal(c.s->ops->poll(c.s), 0);
	inject_opt(&c, 0, c.iss + 1, TH_RST | TH_ACK, 0, NULL, 0, NULL, 0);
	expect_none(&c);
	assert_int_equal(c.s->sk->sk_err, ECONNREFUSED);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLOUT | SOCK_POLLERR | SOCK_POLLHUP | SOCK_POLLIN);
	conn_free(&c);

	conn_connect(e, &c, &PLAIN);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLOUT);
	assert_int_equal(c.s->ops->shutdown(c.s, SHUT_WR), 0);
	drain(e->dev);
	assert_int_equal(c.s->ops->poll(c.s), SOCK_POLLOUT);	/* a write: EPIPE at once */
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* TCP_CONGESTION */

static void test_congestion(void **state)
{
	struct env *e = *state;
	struct conn c;
	char line[2048];

	assert_int_equal(tcp_ca_find("cubic"), TCP_CA_CUBIC);
	assert_int_equal(tcp_ca_find("reno"), TCP_CA_RENO);
	assert_int_equal(tcp_ca_find("newreno"), TCP_CA_RENO);
	assert_int_equal(tcp_ca_find("vegas"), -ENOENT);
	assert_int_equal(tcp_ca_find(""), -ENOENT);
	conn_new(e, &c);
	c.s->ops->info(c.s, line, sizeof(line));
	assert_non_null(strstr(line, " congestion cubic "));	/* the default, as Linux's */
	assert_int_equal(setopt(&c, SOCKOPT_CONGESTION, TCP_CA_RENO), 0);
	assert_int_equal(setopt(&c, SOCKOPT_CONGESTION, 2), -ENOENT);
	c.s->ops->info(c.s, line, sizeof(line));
	assert_non_null(strstr(line, " congestion reno "));
	conn_free(&c);
}

/* ------------------------------------------------------------------------- */
/* the info text: TCP_INFO's fields */

static void test_info(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct sockmsg m;

	conn_new(e, &c);
	assert_int_equal(info_num(c.s, "state"), 7);		/* TCP_CLOSE */
	assert_int_equal(info_num(c.s, "snd_mss"), 536);
	assert_int_equal(info_num(c.s, "options"), 0);
	conn_free(&c);

	conn_connect(e, &c, &WITH_TS);	/* WS 0 from the peer, ours 6 */
	assert_int_equal(info_num(c.s, "state"), 1);		/* TCP_ESTABLISHED */
	assert_int_equal(info_num(c.s, "ca_state"), 0);
	assert_int_equal(info_num(c.s, "options"), 1 | 4);	/* timestamps, window scale */
	assert_int_equal(info_num(c.s, "snd_wscale"), 0);
	assert_int_equal(info_num(c.s, "rcv_wscale"), 6);
	assert_int_equal(info_num(c.s, "snd_mss"), 1448);
	assert_int_equal(info_num(c.s, "advmss"), 1448);
	assert_int_equal(info_num(c.s, "pmtu"), 1500);
	assert_int_equal(info_num(c.s, "snd_cwnd"), 10);
	assert_int_equal(info_num(c.s, "snd_ssthresh"), 0x7fffffff);
	assert_int_equal(info_num(c.s, "rto"), tpof(&c)->rto);
	assert_int_equal(info_num(c.s, "rtt"), tpof(&c)->srtt);
	assert_int_equal(info_num(c.s, "rttvar"), tpof(&c)->rttvar);
	assert_int_equal(info_num(c.s, "unacked"), 0);
	assert_int_equal(info_num(c.s, "bytes_acked"), 1);	/* the SYN, as Linux counts */
	assert_int_equal(info_num(c.s, "bytes_received"), 0);
	assert_int_equal(info_num(c.s, "reordering"), 3);
	assert_int_equal(info_num(c.s, "total_retrans"), 0);

	fill_pattern(pat, 3000, 7);
	assert_int_equal(setopt(&c, SOCKOPT_NODELAY, 1), 0);
	assert_int_equal(send_bytes(c.s, pat, 3000), 3000);
	drain(e->dev);
	assert_int_equal(info_num(c.s, "unacked"), 3);
	peer_ack(&c, c.iss + 1 + 3000);
	assert_int_equal(info_num(c.s, "unacked"), 0);
	assert_int_equal(info_num(c.s, "bytes_acked"), 3001);
	fill_pattern(ppat, 300, 8);
	peer_send(&c, TH_ACK | TH_PSH, ppat, 300);
	drain(e->dev);
	assert_int_equal(info_num(c.s, "bytes_received"), 300);
	assert_int_equal(recv_now(&c, 4096, 0, &m), 300);
	c.s->ops->recv_done(c.s, &m, 300);
	net_advance(&e->net, e->net.now + 250 * MS);
	assert_int_equal(info_num(c.s, "last_data_recv"), 250);
	conn_free(&c);

	/* A listener: TCP_LISTEN. */
	{
		struct socket *l = tcp_listener(e, LPORT, 4);
		l->ops->info(l, (char *)buf, sizeof(buf));
		assert_int_equal(strncmp((char *)buf, "state 10 ", 9), 0);
		rel(l);
	}
}

/* bytes_acked counts past 2^32: the sequence numbers wrap, the count does
 * not. */
static void test_info_bytes_wrap(void **state)
{
	struct env *e = *state;
	struct conn c;

	conn_connect(e, &c, &PLAIN);
	/* as if 4 GiB - 10 bytes had gone and been acknowledged (the ISN
	 * moved back rather than snd_una forward: the same difference) */
	tpof(&c)->iss -= 0xfffffff6u;
	assert_int_equal(send_bytes(c.s, pat, 1), 1);	/* a send call sees it */
	assert_int_equal(info_num(c.s, "bytes_acked"), 0xfffffff7ll);
	tpof(&c)->iss -= 20;				/* past the wrap */
	assert_int_equal(send_bytes(c.s, pat, 1), 1);
	assert_int_equal(info_num(c.s, "bytes_acked"), 0xfffffff7ll + 20);
	conn_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_maxseg_in_syn),
		TCP_TEST(test_maxseg_listener),
		TCP_TEST(test_ts_clock_per_peer),
		TCP_TEST(test_user_timeout_data),
		TCP_TEST(test_user_timeout_syn),
		TCP_TEST(test_keepalive_intvl_cnt),
		TCP_TEST(test_keepalive_user_timeout),
		TCP_TEST(test_rcvlowat),
		TCP_TEST(test_poll_connect_end),
		TCP_TEST(test_congestion),
		TCP_TEST(test_info),
		TCP_TEST(test_info_bytes_wrap),
	};
	return cmocka_run_group_tests_name("tcp_sockopt", tests, NULL, NULL);
}
