/* The TCP tests' fixtures: see tcptest.h. */
#include <stdio.h>
#include <stdlib.h>

#include "tcptest.h"

uint8_t frame[ETH_HLEN + 65536];
uint8_t pat[1 << 16];
uint8_t ppat[1 << 16];
uint8_t buf[1 << 16];
static bool psh_loose;		/* expect: ignore PSH */

const struct open_opts PLAIN = { .mss = 1460, .wscale = 0, .irs = 0x10000000, .win = 65535 };
const struct open_opts WITH_TS = { .mss = 1460, .wscale = 0, .ts = true, .irs = 0x10000000,
				   .win = 65535 };
const struct open_opts NOWS = { .mss = 1460, .wscale = -1, .irs = 0x10000000, .win = 65535 };

/* ------------------------------------------------------------------------- */
/* sockets */

#define MAXSOCKS 16
static struct socket *held[MAXSOCKS];

struct socket *track(struct socket *s)
{
	for (int i = 0; i < MAXSOCKS; i++)
		if (!held[i]) {
			held[i] = s;
			return s;
		}
	fail_msg("more than %d sockets", MAXSOCKS);
	return s;
}

void rel(struct socket *s)
{
	for (int i = 0; i < MAXSOCKS; i++)
		if (held[i] == s)
			held[i] = NULL;
	sock_release(s);
}

int tcp_teardown(void **state)
{
	struct env *e = *state;

	psh_loose = false;	/* a check that failed inside expect_rexmit left it set */
	for (int i = 0; i < MAXSOCKS; i++)
		if (held[i]) {
			if (held[i]->sk)
				held[i]->ops->close(held[i], true);
			sock_release(held[i]);
			held[i] = NULL;
		}
	drain(e->dev);
	return env_teardown(state);
}

struct socket *tcp_socket(struct env *e)
{
	struct socket *s = NULL;

	assert_int_equal(sock_create(&e->net, SOCK_STREAM, IPPROTO_TCP, &s), 0);
	assert_non_null(s);
	assert_int_equal(s->protocol, IPPROTO_TCP);
	return track(s);
}

struct socket *tcp_listener(struct env *e, uint16_t port, int backlog)
{
	struct socket *l = tcp_socket(e);

	assert_int_equal(do_bind(l, 0, port), 0);
	assert_int_equal(l->ops->listen(l, backlog), 0);
	return l;
}

long send_bytes(struct socket *s, const void *data, size_t len)
{
	struct sockmsg m;

	memset(&m, 0, sizeof(m));
	m.data = data;
	return s->ops->sendmsg(s, &m, len);
}

void status_is(struct socket *s, const char *word)
{
	char st[512];
	size_t n = strlen(word);

	s->ops->status(s, st, sizeof(st));
	if (strncmp(st, word, n) != 0 || st[n] != ' ')
		fail_msg("status \"%s\", want it to start with \"%s \"", st, word);
}

/* ------------------------------------------------------------------------- */
/* the peer's segments */

static size_t ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1, o[1] = 1, o[2] = 8, o[3] = 10;
	o[4] = (uint8_t)(tsval >> 24), o[5] = (uint8_t)(tsval >> 16);
	o[6] = (uint8_t)(tsval >> 8), o[7] = (uint8_t)tsval;
	o[8] = (uint8_t)(tsecr >> 24), o[9] = (uint8_t)(tsecr >> 16);
	o[10] = (uint8_t)(tsecr >> 8), o[11] = (uint8_t)tsecr;
	return 12;
}

void inject_opt(struct conn *c, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		const void *opt, size_t optlen, const void *data, size_t dlen)
{
	memdev_inject(c->e->dev, frame, tcp_build(frame, PEER_IP, c->pport, OUR_IP, c->lport, seq,
						  ack, flags, win, opt, optlen, data, dlen));
}

void inject_ts(struct conn *c, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
	       uint32_t tsval, const void *data, size_t dlen)
{
	uint8_t o[12];
	size_t ol = c->ts ? ts_opt(o, tsval, c->tsecr) : 0;

	inject_opt(c, seq, ack, flags, win, o, ol, data, dlen);
}

void inject(struct conn *c, uint32_t seq, uint32_t ack, uint8_t flags,
	    const void *data, size_t dlen)
{
	inject_ts(c, seq, ack, flags, c->win, c->tsval, data, dlen);
}

void peer_send(struct conn *c, uint8_t flags, const void *data, size_t dlen)
{
	inject(c, c->snd, c->ack, flags | TH_ACK, data, dlen);
	c->snd += (uint32_t)dlen + ((flags & TH_SYN) ? 1 : 0) + ((flags & TH_FIN) ? 1 : 0);
}

void peer_ack(struct conn *c, uint32_t ack)
{
	c->ack = ack;
	inject(c, c->snd, ack, TH_ACK, NULL, 0);
}

size_t syn_opts(uint8_t *b, const struct open_opts *o, uint32_t tsval, uint32_t tsecr)
{
	size_t n = 0;

	if (o->mss) {
		b[n++] = 2, b[n++] = 4, b[n++] = (uint8_t)(o->mss >> 8), b[n++] = (uint8_t)o->mss;
	}
	if (o->wscale >= 0) {
		b[n++] = 1, b[n++] = 3, b[n++] = 3, b[n++] = (uint8_t)o->wscale;
	}
	if (o->sackok) {
		b[n++] = 1, b[n++] = 1, b[n++] = 4, b[n++] = 2;
	}
	if (o->ts)
		n += ts_opt(b + n, tsval, tsecr);
	return n;
}

/* ------------------------------------------------------------------------- */
/* what the stack sends */

void expect_keep(struct conn *c, uint8_t flags, uint32_t seq, uint32_t ack,
		 const void *data, size_t dlen, struct tcp_seen *out)
{
	struct tcp_seen s;

	if (memdev_pending(c->e->dev) == 0)
		fail_msg("no segment sent; want flags %#04x seq %#010x ack %#010x len %zu",
			 flags, seq, ack, dlen);
	pop_tcp(c->e->dev, PEER_MAC, &s);
	assert_int_equal(s.rx.ip->saddr, OUR_IP);
	assert_int_equal(s.rx.ip->daddr, PEER_IP);
	assert_int_equal(s.sport, c->lport);
	assert_int_equal(s.dport, c->pport);
	if (psh_loose)
		s.flags &= (uint8_t)~TH_PSH;
	if (s.flags != flags || s.seq != seq || s.ack != ack || s.dlen != dlen) {
		char m[256];
		snprintf(m, sizeof(m), "got flags %#04x seq %#010x ack %#010x len %zu; "
			 "want flags %#04x seq %#010x ack %#010x len %zu",
			 s.flags, s.seq, s.ack, s.dlen, flags, seq, ack, dlen);
		tcp_seen_free(&s);
		fail_msg("%s", m);
	}
	if (data && dlen)
		assert_memory_equal(s.data, data, dlen);
	assert_false(s.bad_opts);
	if (!(flags & TH_SYN)) {
		assert_int_equal(s.mss, -1);
		assert_int_equal(s.wscale, -1);
		assert_false(s.sackok);
	}
	if (c->ts && !(flags & TH_RST)) {
		assert_true(s.ts);
		if (!(flags & TH_SYN) || (flags & TH_ACK)) {
			if (s.tsecr != c->tsval)
				fail_msg("TSecr %u, want the peer's TSval %u", s.tsecr, c->tsval);
		}
		c->tsecr = s.tsval;
	} else if (!c->ts) {
		assert_false(s.ts);
	}
	if (out)
		*out = s;
	else
		tcp_seen_free(&s);
}

void expect(struct conn *c, uint8_t flags, uint32_t seq, uint32_t ack,
	    const void *data, size_t dlen)
{
	expect_keep(c, flags, seq, ack, data, dlen, NULL);
}

void expect_ack(struct conn *c, uint32_t seq)
{
	expect(c, TH_ACK, seq, c->snd, NULL, 0);
}

void expect_ack_win(struct conn *c, uint32_t seq, uint16_t win)
{
	struct tcp_seen a;

	expect_keep(c, TH_ACK, seq, c->snd, NULL, 0, &a);
	assert_int_equal(a.win, win);
	tcp_seen_free(&a);
}

void expect_rexmit(struct conn *c, uint32_t seq, uint32_t ack, const void *data, size_t dlen)
{
	psh_loose = true;
	expect(c, TH_ACK, seq, ack, data, dlen);
	psh_loose = false;
}

void expect_none(struct conn *c)
{
	if (memdev_pending(c->e->dev) != 0) {
		struct tcp_seen s;
		char m[128];
		pop_tcp(c->e->dev, PEER_MAC, &s);
		snprintf(m, sizeof(m), "flags %#04x seq %#010x ack %#010x len %zu",
			 s.flags, s.seq, s.ack, s.dlen);
		tcp_seen_free(&s);
		fail_msg("unexpected segment: %s", m);
	}
}

void quiet_until(struct conn *c, uint64_t t)
{
	net_advance(&c->e->net, t - 1);
	expect_none(c);
	net_advance(&c->e->net, t);
}

void expect_at(struct conn *c, uint64_t t, uint8_t flags, uint32_t seq,
	       const void *data, size_t dlen)
{
	quiet_until(c, t);
	expect(c, flags, seq, c->snd, data, dlen);
}

void send_push(struct conn *c, uint32_t seq, const void *data, size_t len)
{
	assert_int_equal(send_bytes(c->s, data, len), (long)len);
	expect(c, TH_ACK | TH_PSH, seq, c->snd, data, len);
}

void close_fin(struct conn *c, uint32_t seq)
{
	assert_int_equal(c->s->ops->close(c->s, false), 0);
	expect(c, TH_ACK | TH_FIN, seq, c->snd, NULL, 0);
}

void wakes_reset(struct conn *c)
{
	net_run_wakeups(&c->e->net);
	c->wakes = 0;
}

void wakes_seen(struct conn *c)
{
	net_run_wakeups(&c->e->net);
	assert_true(c->wakes >= 1);
}

/* ------------------------------------------------------------------------- */
/* opening and closing */

void conn_init(struct env *e, struct conn *c, uint16_t lport)
{
	memset(c, 0, sizeof(*c));
	c->e = e;
	c->lport = lport;
	c->pport = PPORT;
}

void conn_new(struct env *e, struct conn *c)
{
	conn_init(e, c, 0);
	c->s = tcp_socket(e);
	sock_count_wakeups(c->s, &c->wakes);
}

void conn_syn_sent(struct env *e, struct conn *c, const struct open_opts *o)
{
	struct tcp_seen syn;

	conn_new(e, c);
	if (o->lport)
		assert_int_equal(do_bind(c->s, 0, o->lport), 0);
	if (o->rcvbuf)
		assert_int_equal(c->s->ops->setsockopt(c->s, SOCKOPT_RCVBUF, o->rcvbuf), 0);
	assert_int_equal(do_connect(c->s, PEER_IP, PPORT), -EINPROGRESS);
	assert_int_equal(c->s->state, SS_CONNECTING);
	pop_tcp(e->dev, PEER_MAC, &syn);
	assert_int_equal(syn.flags, TH_SYN);
	assert_int_equal(syn.dport, PPORT);
	if (o->lport)
		assert_int_equal(syn.sport, o->lport);
	c->lport = syn.sport;
	c->iss = syn.seq;
	c->tsecr = syn.tsval;
	tcp_seen_free(&syn);
}

void conn_synack(struct conn *c, const struct open_opts *o)
{
	uint8_t ob[40];
	size_t ol;

	if (o->rtt)
		net_advance(&c->e->net, c->e->net.now + o->rtt);
	c->irs = o->irs;
	c->tsval = 1000;
	ol = syn_opts(ob, o, c->tsval, c->tsecr);
	inject_opt(c, c->irs, c->iss + 1, TH_SYN | TH_ACK, o->win, ob, ol, NULL, 0);
	c->ts = o->ts;
	c->snd = c->irs + 1;
	c->ack = c->iss + 1;
	c->win = o->win;
	expect_ack(c, c->iss + 1);
	expect_none(c);
	assert_int_equal(c->s->sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(c->s->state, SS_CONNECTED);
	status_is(c->s, "Established");
}

void conn_connect(struct env *e, struct conn *c, const struct open_opts *o)
{
	conn_syn_sent(e, c, o);
	conn_synack(c, o);
}

void pop_synack(struct env *e, struct tcp_seen *sa)
{
	pop_tcp(e->dev, PEER_MAC, sa);
	assert_int_equal(sa->flags, TH_SYN | TH_ACK);
}

void conn_accept(struct env *e, struct conn *c, const struct open_opts *o)
{
	struct socket *l = tcp_listener(e, LPORT, 8);
	struct tcp_seen sa;
	uint8_t ob[40];
	size_t ol;

	conn_init(e, c, LPORT);
	c->irs = o->irs;
	c->tsval = 1000;
	c->win = o->win;
	ol = syn_opts(ob, o, c->tsval, 0);
	inject_opt(c, c->irs, 0, TH_SYN, o->win, ob, ol, NULL, 0);
	pop_synack(e, &sa);
	assert_int_equal(sa.ack, c->irs + 1);
	c->iss = sa.seq;
	c->tsecr = sa.tsval;
	tcp_seen_free(&sa);
	if (o->rtt)
		net_advance(&e->net, e->net.now + o->rtt);
	c->ts = o->ts;
	c->snd = c->irs + 1;
	c->ack = c->iss + 1;
	inject(c, c->snd, c->ack, TH_ACK, NULL, 0);
	expect_none(c);
	assert_int_equal(l->ops->accept(l, &c->s), 0);
	track(c->s);
	sock_count_wakeups(c->s, &c->wakes);
	assert_int_equal(c->s->state, SS_CONNECTED);
	status_is(c->s, "Established");
	rel(l);
}

void conn_free(struct conn *c)
{
	if (c->s) {
		c->s->ops->close(c->s, true);
		rel(c->s);
	}
	c->s = NULL;
	drain(c->e->dev);
}

void read_expect(struct conn *c, const void *want, size_t len)
{
	size_t got = 0;

	while (got < len) {
		long n = sock_recv_stream(c->s, buf + got, len - got);
		if (n <= 0)
			fail_msg("read after %zu of %zu bytes: %ld", got, len, n);
		got += (size_t)n;
	}
	assert_memory_equal(buf, want, len);
	assert_int_equal(sock_recv_stream(c->s, buf, sizeof(buf)), -EAGAIN);
}
