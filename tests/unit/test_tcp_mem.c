/* The cap on what all sockets buffer together (net->limits.buffered,
 * impfs --max-buffered; netstack/tcp_mem.c and socket.c's datagram
 * queues): what gives way first, what is counted, and that everything
 * comes back once the bytes are read. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#include "tcptest.h"
#include "net.h"

#define CAP (64u << 10)
#define SOFT (CAP - CAP / 8)		/* 57344: out-of-order drops, writes wait */

/* The stack's next segment to the peer; its window field, unscaled. */
static uint32_t next_window(struct conn *c)
{
	struct tcp_seen s;
	uint32_t w;

	pop_tcp(c->e->dev, PEER_MAC, &s);
	w = (uint32_t)s.win << tpof(c)->rcv_wscale;
	tcp_seen_free(&s);
	return w;
}

/* Receiving: below 7/8 of the cap everything is taken; past it an
 * out-of-order segment is dropped (OfoMemDrops) while in-order data is
 * still taken, up to the cap itself (RcvMemDrops for the rest), and the
 * window offered is what is left.  A read that frees enough ends the
 * pressure and tells the peer the window is open again. */
static void test_receive(void **state)
{
	struct env *e = *state;
	struct conn c;
	uint32_t s0;
	long n;

	e->net.limits.buffered = CAP;
	conn_connect(e, &c, &PLAIN);
	fill_pattern(ppat, sizeof(ppat), 21);
	s0 = c.snd;
	for (int i = 0; i < 39; i++)
		peer_send(&c, 0, ppat + i * 1460, 1460);	/* 56940 bytes */
	drain(e->dev);
	assert_int_equal(e->net.mem.buffered, 39 * 1460);
	assert_false(e->net.mem.pressure);

	/* past 7/8 with it: an out-of-order segment is not kept */
	inject(&c, s0 + 40 * 1460, c.ack, TH_ACK, ppat + 40 * 1460, 1000);
	assert_int_equal(tpof(&c)->ofo.qlen, 0);
	assert_int_equal(e->net.tcpstats.OfoMemDrops, 1);
	assert_int_equal(e->net.tcpstats.MemoryPressures, 1);
	assert_true(e->net.mem.pressure);
	drain(e->dev);

	/* in order: 8596 bytes are left to the cap; of 6 segments (8760
	 * bytes) the last is cut, and the ACK offers window 0 */
	for (int i = 39; i < 45; i++) {
		/* ppat (CAP bytes) ends inside the last one: its cut tail
		 * comes from a copy, not from past ppat's end (ASan) */
		static uint8_t last[1460];
		const uint8_t *d = ppat + i * 1460;
		if ((size_t)(i + 1) * 1460 > sizeof(ppat)) {
			memcpy(last, d, sizeof(ppat) - (size_t)i * 1460);
			d = last;
		}
		inject(&c, s0 + (uint32_t)i * 1460, c.ack, TH_ACK, d, 1460);
	}
	assert_int_equal(e->net.mem.buffered, CAP);
	assert_int_equal(tpof(&c)->rcv_nxt, s0 + CAP);
	assert_int_equal(e->net.tcpstats.RcvMemDrops, 1);
	assert_int_equal(e->net.tcpstats.MemoryPressures, 1);	/* one episode */
	net_advance(&e->net, e->net.now + 40 * MS);	/* any delayed ACK */
	while (memdev_pending(e->dev) > 1)
		next_window(&c);
	assert_int_equal(next_window(&c), 0);

	/* a read of half: below 3/4 of the cap, the pressure ends, and the
	 * window opens by what was freed */
	n = sock_recv_stream(c.s, buf, CAP / 2);
	assert_int_equal(n, CAP / 2);
	assert_memory_equal(buf, ppat, CAP / 2);
	assert_false(e->net.mem.pressure);
	assert_int_equal(e->net.mem.buffered, CAP / 2);
	assert_true(next_window(&c) >= CAP / 2 - 64);
	n = sock_recv_stream(c.s, buf, sizeof(buf));
	assert_int_equal(n, CAP / 2);
	assert_memory_equal(buf, ppat + CAP / 2, CAP / 2);
	assert_int_equal(e->net.mem.buffered, 0);
	conn_free(&c);
	assert_int_equal(e->net.mem.buffered, 0);
}

/* Sending: a write takes bytes up to 7/8 of the cap and then waits
 * (-EAGAIN, SndMemWaits); ACKs that free enough wake it. */
static void test_send(void **state)
{
	struct env *e = *state;
	struct conn c;
	long n;

	e->net.limits.buffered = CAP;
	conn_connect(e, &c, &PLAIN);
	fill_pattern(pat, sizeof(pat), 22);
	wakes_reset(&c);
	n = send_bytes(c.s, pat, sizeof(pat));
	assert_int_equal(n, SOFT);
	assert_int_equal(e->net.mem.buffered, SOFT);
	assert_int_equal(send_bytes(c.s, pat, 100), -EAGAIN);
	assert_true(e->net.tcpstats.SndMemWaits >= 1);
	assert_int_equal(e->net.tcpstats.MemoryPressures, 1);
	/* its own buffer has room, but a write would wait: not writable */
	assert_int_equal(c.s->ops->poll(c.s) & SOCK_POLLOUT, 0);
	drain(e->dev);
	wakes_reset(&c);
	/* the peer takes the first 10 segments: 42744 bytes left, below 3/4 */
	peer_ack(&c, c.iss + 1 + 10 * 1460);
	assert_int_equal(e->net.mem.buffered, SOFT - 10 * 1460);
	assert_false(e->net.mem.pressure);
	wakes_seen(&c);
	assert_int_equal(c.s->ops->poll(c.s) & SOCK_POLLOUT, SOCK_POLLOUT);
	assert_int_equal(send_bytes(c.s, pat, 100), 100);
	conn_free(&c);
	assert_int_equal(e->net.mem.buffered, 0);
}

/* Whatever a connection held is given back when it goes, however it
 * goes: sent and unacknowledged, received and unread, out of order. */
static void test_uncharged_on_abort(void **state)
{
	struct env *e = *state;
	struct conn c;

	conn_connect(e, &c, &PLAIN);
	fill_pattern(ppat, 4000, 23);
	assert_int_equal(send_bytes(c.s, pat, 3000), 3000);
	peer_send(&c, 0, ppat, 1000);
	inject(&c, c.snd + 1000, c.ack, TH_ACK, ppat + 2000, 1000);
	assert_int_equal(tpof(&c)->ofo.qlen, 1);
	assert_int_equal(e->net.mem.buffered, 5000);
	conn_free(&c);
	assert_int_equal(e->net.mem.buffered, 0);
	assert_int_equal(e->net.mem.socks, 0);
	assert_int_equal(e->net.mem.sockets, 0);
}

/* Datagrams are charged too, and dropped from 7/8 of the cap on
 * (udp MemErrors), whatever room their socket's own rcvbuf has. */
static void test_udp(void **state)
{
	struct env *e = *state;
	struct socket *s;
	uint8_t data[1000];
	size_t n;

	e->net.limits.buffered = CAP;
	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_UDP, &s), 0);
	track(s);
	assert_int_equal(do_bind(s, 0, 5000), 0);
	fill_pattern(data, sizeof(data), 24);
	n = udp_build(frame, PEER_MAC, PEER_IP, 1234, OUR_IP, 5000, data, sizeof(data));
	for (int i = 0; i < 57; i++)
		memdev_inject(e->dev, frame, n);
	assert_int_equal(e->net.mem.buffered, 57000);
	assert_int_equal(e->net.udpstats.MemErrors, 0);
	memdev_inject(e->dev, frame, n);		/* 58000 > 57344 */
	assert_int_equal(e->net.udpstats.MemErrors, 1);
	assert_int_equal(s->sk->sk_receive_queue.qlen, 57);
	assert_int_equal(e->net.mem.buffered, 57000);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), 1000);
	assert_memory_equal(buf, data, sizeof(data));
	assert_int_equal(e->net.mem.buffered, 56000);
	memdev_inject(e->dev, frame, n);
	assert_int_equal(s->sk->sk_receive_queue.qlen, 57);
	assert_int_equal(e->net.udpstats.MemErrors, 1);
	rel(s);
	assert_int_equal(e->net.mem.buffered, 0);
	drain(e->dev);
}

/* The SACK scoreboard stops at TCP_TXQ_MAX records (past it the last
 * record grows), and says so in ScoreboardFull. */
static void test_scoreboard_cap(void **state)
{
	struct env *e = *state;
	struct conn c;
	struct open_opts o = PLAIN;
	struct tcp_sock *tp;
	uint32_t seq;

	o.sackok = true;
	conn_connect(e, &c, &o);
	tp = tpof(&c);
	assert_true(tp->sack_ok);
	seq = tp->snd_max;
	for (int i = 0; i < TCP_TXQ_MAX; i++, seq += 10)
		tcp_txq_sent(tp, seq, seq + 10, false);
	assert_int_equal(tp->txq.n - tp->txq.head, TCP_TXQ_MAX);
	assert_int_equal(e->net.tcpstats.ScoreboardFull, 0);
	tcp_txq_sent(tp, seq, seq + 10, false);
	assert_int_equal(tp->txq.n - tp->txq.head, TCP_TXQ_MAX);
	assert_int_equal(tp->txq.rec[tp->txq.n - 1].end, seq + 10);	/* the last grew */
	assert_true(e->net.tcpstats.ScoreboardFull >= 1);
	conn_free(&c);
}

/* resident_pages counts the pages of [p, p+len) that are in memory. */
static size_t resident_pages(void *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (len + pg - 1) / pg, in = 0;
	unsigned char *v = calloc(n, 1);
	uintptr_t start = (uintptr_t)p & ~(uintptr_t)(pg - 1);

	assert_non_null(v);
	assert_int_equal(mincore((void *)start, len + ((uintptr_t)p - start), v), 0);
	for (size_t i = 0; i < n; i++)
		in += v[i] & 1;
	free(v);
	return in;
}

/* An idle connection's rings cost no memory: a new ring has no page in
 * memory (a malloc'd one has its chunk header's page), a write makes
 * only the pages it touches resident, and the charge follows the bytes. */
static void test_ring_pages(void **state)
{
	struct byte_ring r;
	uint64_t charge = 0;
	unsigned char b[100] = {0};

	(void)state;
	assert_int_equal(bring_init(&r, TCP_DEFAULT_RCVBUF, &charge), 0);
	assert_int_equal(r.cap, TCP_DEFAULT_RCVBUF);
	assert_int_equal(resident_pages(r.buf, r.cap), 0);
	assert_int_equal(bring_write(&r, b, sizeof(b)), sizeof(b));
	assert_int_equal(charge, sizeof(b));
	assert_int_equal(resident_pages(r.buf, r.cap), 1);
	bring_free(&r);
	assert_int_equal(charge, 0);
	assert_null(r.buf);
	assert_ptr_equal(r.charge, &charge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TCP_TEST(test_receive),
		TCP_TEST(test_send),
		TCP_TEST(test_uncharged_on_abort),
		TCP_TEST(test_udp),
		TCP_TEST(test_scoreboard_cap),
		cmocka_unit_test(test_ring_pages),
	};
	return cmocka_run_group_tests_name("tcp_mem", tests, NULL, NULL);
}
