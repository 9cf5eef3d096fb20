/* ICMP echo sockets ("ping" sockets): a write is an echo request whose
 * identifier and checksum the stack fills in; a read is an echo reply
 * with the socket's identifier; errors quoting its requests reach it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sock.h"

static uint8_t f[ETH_HLEN + 65536];
static uint8_t buf[65536];

static struct socket *ping_socket(struct env *e)
{
	struct socket *s = NULL;

	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_ICMP, &s), 0);
	assert_non_null(s);
	assert_int_equal(s->protocol, IPPROTO_ICMP);
	return s;
}

static uint16_t ident(struct socket *s)
{
	return ntohs(s->sk->inet_sport);
}

/* An echo request as a program writes it: identifier 0, checksum junk. */
static size_t request(uint8_t *m, uint16_t seq, const void *data, size_t dlen)
{
	struct icmphdr *ic = (struct icmphdr *)m;

	memset(ic, 0, sizeof(*ic));
	ic->type = ICMP_ECHO;
	ic->un.echo.id = htons(0xdead);
	ic->un.echo.sequence = htons(seq);
	ic->checksum = htons(0x1234);
	if (dlen)
		memcpy(m + sizeof(*ic), data, dlen);
	return sizeof(*ic) + dlen;
}

/* An echo reply from smac/saddr to us. */
static size_t reply_frame(const uint8_t *smac, uint32_t saddr, uint16_t id, uint16_t seq,
			  const void *data, size_t dlen, uint8_t *msg, size_t *mlen)
{
	*mlen = icmp_build(msg, ICMP_ECHOREPLY, 0, id, seq, data, dlen);
	return ip_build(f, smac, saddr, OUR_IP, IPPROTO_ICMP, msg, *mlen);
}

/* Sends an echo request and returns the first qlen bytes of the IP
 * datagram that went out (what an ICMP error about it quotes). */
static void send_and_quote(struct env *e, struct socket *s, uint8_t *quote, size_t qlen)
{
	uint8_t m[16];
	struct rx rx;

	assert_int_equal(sock_send(s, m, request(m, 1, "abcdefgh", 8), 0, 0), 16);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHO, 0);
	memcpy(quote, rx.ip, qlen);
	rx_free(&rx);
}

static void test_send_exact(void **state)
{
	struct env *e = *state;
	struct socket *s = ping_socket(e);
	uint8_t data[16], m[24], want[24];
	struct snap sn;
	struct rx rx;
	const struct icmphdr *ic;

	fill_pattern(data, sizeof(data), 6);
	assert_int_equal(do_connect(s, PEER_IP, 0), 0);
	assert_int_equal(s->state, SS_CONNECTED);
	assert_true(s->sk->bound);
	assert_in_range(ident(s), EPHEMERAL_LOW, EPHEMERAL_HIGH);
	snap_take(&sn, &e->net, e->dev);
	assert_int_equal(sock_send(s, m, request(m, 1, data, sizeof(data)), 0, 0), 24);
	snap_expect(&sn, &e->net, e->dev,
		    "icmp.OutMsgs=1 icmp.OutEchos=1 ip.OutRequests=1 dev.TxFrames=1 dev.TxBytes=58");
	/* pop_icmp checks the type, code and checksum. */
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHO, 0);
	assert_int_equal(rx.ip->saddr, OUR_IP);
	assert_int_equal(rx.ip->daddr, PEER_IP);
	assert_int_equal(rx.ip->ttl, 64);
	assert_int_equal(ntohs(rx.ip->frag_off), 0);
	ic = (const struct icmphdr *)rx.l4;
	assert_int_equal(ic->un.echo.id, s->sk->inet_sport);
	assert_int_equal(ntohs(ic->un.echo.sequence), 1);
	assert_int_equal(rx.l4len, 24);
	icmp_build(want, ICMP_ECHO, 0, ident(s), 1, data, sizeof(data));
	assert_memory_equal(rx.l4, want, 24);
	rx_free(&rx);

	/* The header alone is an echo request too; odd lengths are summed right. */
	assert_int_equal(sock_send(s, m, request(m, 2, NULL, 0), 0, 0), 8);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHO, 0);
	assert_int_equal(rx.l4len, 8);
	rx_free(&rx);
	assert_int_equal(sock_send(s, m, request(m, 3, data, 7), 0, 0), 15);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHO, 0);
	assert_int_equal(rx.l4len, 15);
	rx_free(&rx);

	/* With a TTL set. */
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TTL, 3), 0);
	assert_int_equal(sock_send(s, m, request(m, 4, NULL, 0), 0, 0), 8);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHO, 0);
	assert_int_equal(rx.ip->ttl, 3);
	rx_free(&rx);
	sock_release(s);
}

static void test_send_unconnected(void **state)
{
	struct env *e = *state;
	struct socket *s = ping_socket(e);
	uint8_t m[8];
	struct rx rx;

	assert_int_equal(sock_send(s, m, request(m, 1, NULL, 0), 0, 0), -EDESTADDRREQ);
	assert_int_equal(sock_send(s, m, request(m, 1, NULL, 0), PEER_IP, 0), 8);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHO, 0);
	assert_int_equal(rx.ip->daddr, PEER_IP);
	assert_int_equal(rx.ip->saddr, OUR_IP);
	assert_in_range(ident(s), EPHEMERAL_LOW, EPHEMERAL_HIGH);
	assert_int_equal(((const struct icmphdr *)rx.l4)->un.echo.id, s->sk->inet_sport);
	rx_free(&rx);
	assert_int_equal(sock_send(s, m, request(m, 1, NULL, 0), ip4(192, 168, 9, 9), 0), -ENETUNREACH);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);
}

static void test_reply_queued(void **state)
{
	struct env *e = *state;
	struct socket *s = ping_socket(e);
	uint8_t data[16], msg[64], m[24];
	unsigned int wakes = 0;
	struct sockmsg sm;
	struct snap sn;
	size_t n, ml;

	fill_pattern(data, sizeof(data), 2);
	assert_int_equal(do_connect(s, PEER_IP, 0), 0);
	sock_count_wakeups(s, &wakes);
	assert_int_equal(sock_send(s, m, request(m, 1, data, 16), 0, 0), 24);
	assert_int_equal(drain(e->dev), 1);

	/* Another identifier: not ours. */
	n = reply_frame(PEER_MAC, PEER_IP, (uint16_t)(ident(s) + 1), 1, data, 16, msg, &ml);
	snap_take(&sn, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&sn, &e->net, e->dev, "dev.RxFrames=1 dev.RxBytes=58 ip.InReceives=1 "
		    "ip.InDelivers=1 icmp.InMsgs=1 icmp.InEchoReps=1");
	/* Ours, but from another host than the one connected to. */
	n = ip_build(f, OTHER_MAC, OTHER_IP, OUR_IP, IPPROTO_ICMP, msg,
		     icmp_build(msg, ICMP_ECHOREPLY, 0, ident(s), 1, data, 16));
	memdev_inject(e->dev, f, n);
	/* Ours with a bad checksum. */
	n = reply_frame(PEER_MAC, PEER_IP, ident(s), 1, data, 16, msg, &ml);
	f[n - 1] ^= 1;
	memdev_inject(e->dev, f, n);
	assert_int_equal(e->net.icmpstats.InCsumErrors, 1);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 0);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), -EAGAIN);
	assert_int_equal(s->ops->poll(s), SOCK_POLLOUT);

	/* Ours. */
	n = reply_frame(PEER_MAC, PEER_IP, ident(s), 1, data, 16, msg, &ml);
	snap_take(&sn, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&sn, &e->net, e->dev, "dev.RxFrames=1 dev.RxBytes=58 ip.InReceives=1 "
		    "ip.InDelivers=1 icmp.InMsgs=1 icmp.InEchoReps=1");
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	assert_int_equal(s->ops->poll(s), SOCK_POLLIN | SOCK_POLLOUT);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, &sm), 24);
	assert_memory_equal(buf, msg, 24);
	assert_true(sm.has_name);
	assert_int_equal(sm.name.sin.sin_family, AF_INET);
	assert_int_equal(sm.name.sin.sin_addr.s_addr, PEER_IP);
	assert_int_equal(sm.local, OUR_IP);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), -EAGAIN);
	/* Nothing was answered to any of it. */
	assert_int_equal(memdev_pending(e->dev), 0);

	/* A short read gets the start; the rest of that reply is gone. */
	memdev_inject(e->dev, f, reply_frame(PEER_MAC, PEER_IP, ident(s), 2, data, 16, msg, &ml));
	memdev_inject(e->dev, f, reply_frame(PEER_MAC, PEER_IP, ident(s), 3, data, 4, msg, &ml));
	assert_int_equal(sock_recv(s, buf, 8, 0, NULL), 8);
	assert_int_equal(ntohs(((struct icmphdr *)buf)->un.echo.sequence), 2);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), 12);
	assert_int_equal(ntohs(((struct icmphdr *)buf)->un.echo.sequence), 3);
	sock_release(s);
}

/* Unconnected sockets take replies from anyone, by identifier. */
static void test_two_sockets(void **state)
{
	struct env *e = *state;
	struct socket *a = ping_socket(e), *b = ping_socket(e);
	uint8_t msg[64], m[8];
	struct sockmsg sm;
	size_t ml;

	assert_int_equal(sock_send(a, m, request(m, 1, NULL, 0), PEER_IP, 0), 8);
	assert_int_equal(sock_send(b, m, request(m, 1, NULL, 0), PEER_IP, 0), 8);
	assert_int_equal(drain(e->dev), 2);
	assert_int_not_equal(ident(a), ident(b));
	memdev_inject(e->dev, f, reply_frame(OTHER_MAC, OTHER_IP, ident(b), 9, "b", 1, msg, &ml));
	assert_int_equal(sock_recv(a, buf, sizeof(buf), 0, NULL), -EAGAIN);
	assert_int_equal(sock_recv(b, buf, sizeof(buf), 0, &sm), 9);
	assert_memory_equal(buf, msg, 9);
	assert_int_equal(sm.name.sin.sin_addr.s_addr, OTHER_IP);
	memdev_inject(e->dev, f, reply_frame(PEER_MAC, PEER_IP, ident(a), 9, "a", 1, msg, &ml));
	assert_int_equal(sock_recv(b, buf, sizeof(buf), 0, NULL), -EAGAIN);
	assert_int_equal(sock_recv(a, buf, sizeof(buf), 0, NULL), 9);
	assert_memory_equal(buf, msg, 9);
	/* Released, its identifier is nobody's. */
	uint16_t ida = ident(a);
	sock_release(a);
	assert_int_equal(e->net.ping_table.count, 1);
	memdev_inject(e->dev, f, reply_frame(PEER_MAC, PEER_IP, ida, 9, "a", 1, msg, &ml));
	assert_int_equal(sock_recv(b, buf, sizeof(buf), 0, NULL), -EAGAIN);
	sock_release(b);
	assert_int_equal(e->net.ping_table.count, 0);
}

static void test_bind_ident(void **state)
{
	struct env *e = *state;
	struct socket *s = ping_socket(e), *t = ping_socket(e), *u = NULL;
	uint8_t m[8];
	struct rx rx;

	assert_int_equal(do_bind(s, 0, 0x4242), 0);
	assert_int_equal(ident(s), 0x4242);
	assert_int_equal(do_bind(t, 0, 0x4242), -EADDRINUSE);
	/* The UDP port of that number is another table. */
	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_UDP, &u), 0);
	assert_int_equal(do_bind(u, 0, 0x4242), 0);
	sock_release(u);
	assert_int_equal(sock_send(s, m, request(m, 5, NULL, 0), PEER_IP, 0), 8);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_ECHO, 0);
	assert_int_equal(ntohs(((const struct icmphdr *)rx.l4)->un.echo.id), 0x4242);
	rx_free(&rx);
	sock_release(s);
	assert_int_equal(do_bind(t, 0, 0x4242), 0);
	sock_release(t);
}

static void test_bad_requests(void **state)
{
	struct env *e = *state;
	struct socket *s = ping_socket(e);
	struct snap sn;
	uint8_t m[16];

	assert_int_equal(do_connect(s, PEER_IP, 0), 0);
	snap_take(&sn, &e->net, e->dev);
	/* Only echo requests, code 0. */
	request(m, 1, "abcdefgh", 8);
	m[0] = ICMP_ECHOREPLY;
	assert_int_equal(sock_send(s, m, 16, 0, 0), -EINVAL);
	m[0] = 13;	/* timestamp */
	assert_int_equal(sock_send(s, m, 16, 0, 0), -EINVAL);
	m[0] = ICMP_DEST_UNREACH;
	assert_int_equal(sock_send(s, m, 16, 0, 0), -EINVAL);
	m[0] = ICMP_ECHO;
	m[1] = 1;
	assert_int_equal(sock_send(s, m, 16, 0, 0), -EINVAL);
	m[1] = 0;
	/* At least the 8-byte header. */
	for (size_t len = 0; len < 8; len++)
		assert_int_equal(sock_send(s, m, len, 0, 0), -EINVAL);
	assert_int_equal(sock_send(s, buf, 65508, 0, 0), -EMSGSIZE);
	snap_expect(&sn, &e->net, e->dev, "");
	assert_int_equal(memdev_pending(e->dev), 0);
	/* And still works. */
	assert_int_equal(sock_send(s, m, 16, 0, 0), 16);
	assert_int_equal(drain(e->dev), 1);
	sock_release(s);
}

static void test_host_unreachable(void **state)
{
	struct env *e = *state;
	struct socket *s = ping_socket(e);
	unsigned int wakes = 0;
	uint8_t quote[28];
	struct snap sn;
	size_t n;

	assert_int_equal(do_connect(s, PEER_IP, 0), 0);
	sock_count_wakeups(s, &wakes);
	send_and_quote(e, s, quote, sizeof(quote));
	n = icmp_error_build(f, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, quote, sizeof(quote));
	snap_take(&sn, &e->net, e->dev);
	memdev_inject(e->dev, f, n);
	snap_expect(&sn, &e->net, e->dev, "dev.RxFrames=1 dev.RxBytes=70 ip.InReceives=1 "
		    "ip.InDelivers=1 icmp.InMsgs=1 icmp.InDestUnreachs=1");
	assert_int_equal(s->sk->sk_err, EHOSTUNREACH);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	assert_int_equal(s->ops->poll(s), SOCK_POLLERR | SOCK_POLLOUT);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), -EHOSTUNREACH);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), -EAGAIN);
	assert_int_equal(s->ops->poll(s), SOCK_POLLOUT);

	/* Time exceeded: the same. */
	send_and_quote(e, s, quote, sizeof(quote));
	memdev_inject(e->dev, f, icmp_error_build(f, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, quote, sizeof(quote)));
	assert_int_equal(sock_send(s, quote, 8, 0, 0), -EHOSTUNREACH);

	/* About another identifier, or about something not an echo request: ignored. */
	send_and_quote(e, s, quote, sizeof(quote));
	((struct icmphdr *)(quote + 20))->un.echo.id ^= htons(1);
	memdev_inject(e->dev, f, icmp_error_build(f, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, quote, sizeof(quote)));
	assert_int_equal(s->sk->sk_err, 0);
	send_and_quote(e, s, quote, sizeof(quote));
	((struct icmphdr *)(quote + 20))->type = 13;
	memdev_inject(e->dev, f, icmp_error_build(f, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, quote, sizeof(quote)));
	assert_int_equal(s->sk->sk_err, 0);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), -EAGAIN);
	sock_release(s);
}

/* No ARP reply in 3 s: the stack's own host unreachable, received through
 * its backlog, reaches the socket. */
static void test_unresolved_neighbour(void **state)
{
	struct env *e = *state;
	struct socket *s = ping_socket(e);
	unsigned int wakes = 0;
	uint8_t m[16];

	assert_int_equal(do_connect(s, OTHER_IP, 0), 0);
	sock_count_wakeups(s, &wakes);
	assert_int_equal(sock_send(s, m, request(m, 1, "abcdefgh", 8), 0, 0), 16);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
	run_until(&e->net, T0 + 3 * SEC - 1);
	assert_int_equal(e->net.backlog.qlen, 0);
	run_until(&e->net, T0 + 3 * SEC);
	assert_int_equal(drain(e->dev), 2);
	assert_int_equal(e->net.arpstats.UnresolvedDrops, 1);
	assert_int_equal(e->net.backlog.qlen, 1);
	assert_int_equal(s->sk->sk_err, 0);
	net_process_backlog(&e->net);
	assert_int_equal(e->net.icmpstats.InDestUnreachs, 1);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), -EHOSTUNREACH);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), -EAGAIN);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);
}

/* Pinging ourselves: request and reply both through the backlog. */
static void test_ping_self(void **state)
{
	struct env *e = *state;
	struct socket *s = ping_socket(e);
	unsigned int wakes = 0;
	uint8_t m[16], want[16];
	struct snap sn;

	assert_int_equal(do_connect(s, OUR_IP, 0), 0);
	sock_count_wakeups(s, &wakes);
	snap_take(&sn, &e->net, e->dev);
	assert_int_equal(sock_send(s, m, request(m, 7, "abcdefgh", 8), 0, 0), 16);
	net_process_backlog(&e->net);
	snap_expect(&sn, &e->net, e->dev,
		    "icmp.OutMsgs=2 icmp.OutEchos=1 icmp.OutEchoReps=1 icmp.InMsgs=2 icmp.InEchos=1 "
		    "icmp.InEchoReps=1 ip.OutRequests=2 ip.InReceives=2 ip.InDelivers=2");
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), 16);
	icmp_build(want, ICMP_ECHOREPLY, 0, ident(s), 7, "abcdefgh", 8);
	assert_memory_equal(buf, want, 16);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);
}

static void test_options_and_rcvbuf(void **state)
{
	struct env *e = *state;
	struct socket *s = ping_socket(e), *none = NULL;
	uint8_t data[992], msg[1000], m[8];
	size_t n, ml;

	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_HEADERS, 1), -ENOPROTOOPT);
	assert_int_equal(s->ops->accept(s, &none), -EINVAL);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_RCVBUF, 0), 0);
	assert_int_equal(do_connect(s, PEER_IP, 0), 0);
	assert_int_equal(sock_send(s, m, request(m, 1, NULL, 0), 0, 0), 8);
	drain(e->dev);
	fill_pattern(data, sizeof(data), 8);
	n = reply_frame(PEER_MAC, PEER_IP, ident(s), 1, data, sizeof(data), msg, &ml);
	memdev_inject(e->dev, f, n);
	memdev_inject(e->dev, f, n);
	memdev_inject(e->dev, f, n);	/* over SOCK_MIN_BUF: dropped */
	assert_int_equal(s->sk->sk_receive_queue.qlen, 2);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), 1000);
	assert_memory_equal(buf, msg, 1000);
	memdev_inject(e->dev, f, n);
	assert_int_equal(s->sk->sk_receive_queue.qlen, 2);
	/* Released with replies queued. */
	sock_release(s);
	assert_int_equal(e->net.ping_table.count, 0);
	assert_int_equal(memdev_pending(e->dev), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_send_exact),
		T(test_send_unconnected),
		T(test_reply_queued),
		T(test_two_sockets),
		T(test_bind_ident),
		T(test_bad_requests),
		T(test_host_unreachable),
		T(test_unresolved_neighbour),
		T(test_ping_self),
		T(test_options_and_rcvbuf),
	};
	return cmocka_run_group_tests_name("ping", tests, NULL, NULL);
}
