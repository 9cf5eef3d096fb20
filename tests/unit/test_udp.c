/* UDP sockets on the in-memory device: what goes out, what comes in, the
 * errors each side reports, and the announced socket's per-peer children. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sock.h"

static uint8_t f[ETH_HLEN + 65536];
static uint8_t big[65536];

static struct socket *udp_socket(struct env *e)
{
	struct socket *s = NULL;

	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_UDP, &s), 0);
	assert_non_null(s);
	assert_int_equal(s->protocol, IPPROTO_UDP);
	return s;
}

static struct sockaddr_in name_of(struct socket *s, bool peer)
{
	union inet_sockaddr a;

	assert_int_equal(s->ops->getname(s, &a, peer), 0);
	assert_int_equal(a.sa.sa_family, AF_INET);
	return a.sin;
}

static uint16_t local_port(struct socket *s)
{
	return ntohs(name_of(s, false).sin_port);
}

static void inject(struct env *e, size_t n)
{
	memdev_inject(e->dev, f, n);
}

static const struct udphdr *rx_udp(const struct rx *rx)
{
	assert_int_equal(rx->ip->protocol, IPPROTO_UDP);
	assert_true(rx->l4len >= sizeof(struct udphdr));
	return (const struct udphdr *)rx->l4;
}

/* Pops a UDP datagram sent to PEER_MAC and checks it whole. */
static void pop_udp(struct env *e, const uint8_t *dmac, uint32_t saddr, uint16_t sport,
		    uint32_t daddr, uint16_t dport, const void *data, size_t dlen)
{
	struct rx rx;
	const struct udphdr *uh;

	pop_ipv4(e->dev, dmac, &rx);
	uh = rx_udp(&rx);
	assert_int_equal(rx.ip->saddr, saddr);
	assert_int_equal(rx.ip->daddr, daddr);
	assert_int_equal(rx.l4len, sizeof(*uh) + dlen);
	assert_int_equal(ntohs(uh->source), sport);
	assert_int_equal(ntohs(uh->dest), dport);
	assert_int_equal(ntohs(uh->len), sizeof(*uh) + dlen);
	assert_int_not_equal(uh->check, 0);
	assert_int_equal(udp_csum_check(saddr, daddr, rx.l4, rx.l4len), 0);
	if (dlen)
		assert_memory_equal(rx.l4 + sizeof(*uh), data, dlen);
	rx_free(&rx);
}

/* Receives one datagram and checks its bytes, its sender and where it was sent. */
static void recv_expect(struct socket *s, const void *data, size_t dlen, uint32_t from,
			uint16_t fport, uint32_t local)
{
	struct sockmsg m;
	long n = sock_recv(s, big, sizeof(big), 0, &m);

	if (n < 0)
		fail_msg("recvmsg: %ld", n);
	assert_int_equal(n, dlen);
	if (dlen)
		assert_memory_equal(big, data, dlen);
	assert_true(m.has_name);
	assert_int_equal(m.name.sin.sin_family, AF_INET);
	assert_int_equal(m.name.sin.sin_addr.s_addr, from);
	assert_int_equal(ntohs(m.name.sin.sin_port), fport);
	assert_int_equal(m.local, local);
}

static void test_send_exact(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	const char *data = "hello world";
	struct usnap u;
	struct rx rx;
	const struct udphdr *uh;
	uint8_t want[19];

	assert_int_equal(do_bind(s, 0, 5000), 0);
	usnap_take(&u, &e->net, e->dev);
	assert_int_equal(sock_send(s, data, 11, PEER_IP, 7), 11);
	usnap_expect(&u, &e->net, e->dev,
		     "udp.OutDatagrams=1 ip.OutRequests=1 dev.TxFrames=1 dev.TxBytes=53");
	assert_int_equal(memdev_pending(e->dev), 1);
	pop_ipv4(e->dev, PEER_MAC, &rx);
	/* IP: no fragment bits, default TTL, TOS 0, the next id. */
	assert_int_equal(rx.ip->protocol, IPPROTO_UDP);
	assert_int_equal(rx.ip->saddr, OUR_IP);
	assert_int_equal(rx.ip->daddr, PEER_IP);
	assert_int_equal(rx.ip->ttl, 64);
	assert_int_equal(rx.ip->tos, 0);
	assert_int_equal(ntohs(rx.ip->frag_off), 0);
	assert_int_equal(ntohs(rx.ip->tot_len), 20 + 8 + 11);
	assert_int_equal(ntohs(rx.ip->id), (uint16_t)(e->net.ip_id - 1));
	/* UDP: the whole message equals one built by hand, checksum included. */
	uh = rx_udp(&rx);
	assert_int_equal(rx.l4len, 19);
	assert_int_equal(ntohs(uh->source), 5000);
	assert_int_equal(ntohs(uh->dest), 7);
	assert_int_equal(ntohs(uh->len), 19);
	assert_int_equal(udp_csum_check(OUR_IP, PEER_IP, rx.l4, rx.l4len), 0);
	udp_msg_build(want, OUR_IP, 5000, PEER_IP, 7, data, 11);
	assert_memory_equal(rx.l4, want, 19);
	rx_free(&rx);

	/* An even length, the most that fits the MTU unfragmented, then one more. */
	fill_pattern(big, 1473, 4);
	assert_int_equal(sock_send(s, big, 1472, PEER_IP, 53), 1472);
	pop_udp(e, PEER_MAC, OUR_IP, 5000, PEER_IP, 53, big, 1472);
	assert_int_equal(e->net.ipstats.FragCreates, 0);
	assert_int_equal(sock_send(s, big, 1473, PEER_IP, 53), 1473);
	assert_int_equal(e->net.ipstats.FragCreates, 2);
	assert_int_equal(drain(e->dev), 2);

	/* An empty datagram is a datagram. */
	assert_int_equal(sock_send(s, "", 0, PEER_IP, 9), 0);
	pop_udp(e, PEER_MAC, OUR_IP, 5000, PEER_IP, 9, NULL, 0);
	sock_release(s);

	/* From an unbound socket: the port it was given is the one it used. */
	s = udp_socket(e);
	assert_int_equal(sock_send(s, "abc", 3, PEER_IP, 7), 3);
	pop_udp(e, PEER_MAC, OUR_IP, local_port(s), PEER_IP, 7, "abc", 3);
	sock_release(s);
}

/* A datagram whose checksum comes out 0 is sent with 0xffff (RFC 768). */
static void test_send_checksum_never_zero(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	uint8_t msg[8 + 10];
	struct udphdr *uh = (struct udphdr *)msg;
	uint16_t c;
	struct rx rx;

	assert_int_equal(do_bind(s, 0, 5000), 0);
	fill_pattern(msg + 8, 10, 1);
	msg[16] = msg[17] = 0;
	uh->source = htons(5000);
	uh->dest = htons(7);
	uh->len = htons(sizeof(msg));
	uh->check = 0;
	/* Putting the checksum in the last word makes the sum come out 0. */
	c = udp_csum_check(OUR_IP, PEER_IP, msg, sizeof(msg));
	memcpy(msg + 16, &c, 2);
	assert_int_equal(udp_csum_check(OUR_IP, PEER_IP, msg, sizeof(msg)), 0);

	assert_int_equal(sock_send(s, msg + 8, 10, PEER_IP, 7), 10);
	pop_ipv4(e->dev, PEER_MAC, &rx);
	assert_int_equal(rx_udp(&rx)->check, 0xffff);
	assert_int_equal(udp_csum_check(OUR_IP, PEER_IP, rx.l4, rx.l4len), 0);
	assert_memory_equal(rx.l4 + 8, msg + 8, 10);
	rx_free(&rx);
	sock_release(s);
}

static void test_send_errors(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	struct sockmsg m;
	struct usnap u;

	usnap_take(&u, &e->net, e->dev);
	/* No name and not connected. */
	assert_int_equal(sock_send(s, "x", 1, 0, 0), -EDESTADDRREQ);
	/* Port 0 or address 0. */
	assert_int_equal(sock_send(s, "x", 1, PEER_IP, 0), -EINVAL);
	memset(&m, 0, sizeof(m));
	m.has_name = true;
	m.name.sin = sin4(0, 7);
	m.data = "x";
	assert_int_equal(s->ops->sendmsg(s, &m, 1), -EINVAL);
	/* No route. */
	assert_int_equal(sock_send(s, "x", 1, ip4(192, 168, 9, 9), 7), -ENETUNREACH);
	/* Past 65507 bytes of data. */
	assert_int_equal(sock_send(s, big, 65508, PEER_IP, 7), -EMSGSIZE);
	assert_int_equal(sock_send(s, big, 100000, PEER_IP, 7), -EMSGSIZE);
	usnap_expect(&u, &e->net, e->dev, "");
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);
}

/* 65507 bytes: fragmented on the wire, whole through the loopback path. */
static void test_send_max_size(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e), *r = udp_socket(e);
	const unsigned int total = 8 + 65507, per = 1480;
	unsigned int nfrag = (total + per - 1) / per;
	char spec[256];
	struct usnap u;

	fill_pattern(big, 65507, 7);
	assert_int_equal(do_bind(s, 0, 5000), 0);
	usnap_take(&u, &e->net, e->dev);
	assert_int_equal(sock_send(s, big, 65507, PEER_IP, 7), 65507);
	snprintf(spec, sizeof(spec),
		 "udp.OutDatagrams=1 ip.OutRequests=1 ip.FragOKs=1 ip.FragCreates=%u "
		 "dev.TxFrames=%u dev.TxBytes=%u", nfrag, nfrag, total + nfrag * (14 + 20));
	usnap_expect(&u, &e->net, e->dev, spec);
	for (unsigned int i = 0; i < nfrag; i++) {
		struct rx rx;
		pop_ipv4(e->dev, PEER_MAC, &rx);
		assert_int_equal(ntohs(rx.ip->frag_off) & IP_OFFSET, i * per / 8);
		assert_int_equal(!!(ntohs(rx.ip->frag_off) & IP_MF), i + 1 < nfrag);
		if (i == 0) {
			assert_int_equal(ntohs(rx_udp(&rx)->len), total);
			assert_memory_equal(rx.l4 + 8, big, per - 8);
		}
		rx_free(&rx);
	}

	assert_int_equal(do_bind(r, 0, 6000), 0);
	assert_int_equal(sock_send(s, big, 65507, OUR_IP, 6000), 65507);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.backlog.qlen, 1);
	net_process_backlog(&e->net);
	{
		static uint8_t copy[65507];
		memcpy(copy, big, sizeof(copy));
		recv_expect(r, copy, 65507, OUR_IP, 5000, OUR_IP);
	}
	sock_release(s);
	sock_release(r);
}

static void test_recv_exact(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	unsigned int wakes = 0;
	struct usnap u;
	size_t n;

	assert_int_equal(do_bind(s, 0, 5000), 0);
	sock_count_wakeups(s, &wakes);
	assert_int_equal(s->ops->poll(s), SOCK_POLLOUT);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);

	n = udp_build(f, PEER_MAC, PEER_IP, 1234, OUR_IP, 5000, "payload!", 8);
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev,
		     "dev.RxFrames=1 dev.RxBytes=50 ip.InReceives=1 ip.InDelivers=1 udp.InDatagrams=1");
	assert_int_equal(wakes, 0);	/* deferred */
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	assert_int_equal(s->ops->poll(s), SOCK_POLLIN | SOCK_POLLOUT);
	recv_expect(s, "payload!", 8, PEER_IP, 1234, OUR_IP);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);
	assert_int_equal(s->ops->poll(s), SOCK_POLLOUT);
	assert_int_equal(s->sk->sk_receive_queue.bytes, 0);

	/* A short datagram in a padded minimum-size frame: the padding is not data. */
	n = udp_build(f, PEER_MAC, PEER_IP, 1234, OUR_IP, 5000, "x", 1);
	memset(f + n, 0xee, ETH_ZLEN - n);
	memdev_inject(e->dev, f, ETH_ZLEN);
	recv_expect(s, "x", 1, PEER_IP, 1234, OUR_IP);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);
}

static void test_datagram_boundaries(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	static const size_t sizes[] = { 5, 0, 300, 1472, 1 };
	static uint8_t data[5][1472];

	assert_int_equal(do_bind(s, 0, 5000), 0);
	for (size_t i = 0; i < 5; i++) {
		fill_pattern(data[i], sizes[i], (unsigned int)i);
		inject(e, udp_build(f, PEER_MAC, PEER_IP, (uint16_t)(1000 + i), OUR_IP, 5000,
				    data[i], sizes[i]));
	}
	assert_int_equal(s->sk->sk_receive_queue.qlen, 5);
	for (size_t i = 0; i < 5; i++)
		recv_expect(s, data[i], sizes[i], PEER_IP, (uint16_t)(1000 + i), OUR_IP);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);
	sock_release(s);
}

/* A read shorter than the datagram gets its start; the rest is gone. */
static void test_truncated_read_and_peek(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	uint8_t a[100], b[20], buf[200];
	struct sockmsg m;

	fill_pattern(a, sizeof(a), 1);
	fill_pattern(b, sizeof(b), 2);
	assert_int_equal(do_bind(s, 0, 5000), 0);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1, OUR_IP, 5000, a, sizeof(a)));
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 2, OUR_IP, 5000, b, sizeof(b)));

	/* A peek leaves it queued. */
	assert_int_equal(sock_recv(s, buf, 10, MSG_PEEK, &m), 10);
	assert_memory_equal(buf, a, 10);
	assert_int_equal(ntohs(m.name.sin.sin_port), 1);
	assert_int_equal(s->sk->sk_receive_queue.qlen, 2);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), MSG_PEEK, NULL), 100);
	assert_memory_equal(buf, a, 100);

	assert_int_equal(sock_recv(s, buf, 10, 0, &m), 10);
	assert_memory_equal(buf, a, 10);
	assert_int_equal(ntohs(m.name.sin.sin_port), 1);
	/* The next read is the next datagram, whole. */
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, &m), 20);
	assert_memory_equal(buf, b, 20);
	assert_int_equal(ntohs(m.name.sin.sin_port), 2);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, NULL), -EAGAIN);
	assert_int_equal(s->sk->sk_receive_queue.bytes, 0);
	/* A zero-length read still takes a datagram. */
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 3, OUR_IP, 5000, a, sizeof(a)));
	assert_int_equal(sock_recv(s, buf, 0, 0, NULL), 0);
	assert_int_equal(s->sk->sk_receive_queue.qlen, 0);
	sock_release(s);
}

static void test_bad_checksum(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	struct usnap u;
	char spec[256];
	size_t n;

	assert_int_equal(do_bind(s, 0, 5000), 0);
	n = udp_build(f, PEER_MAC, PEER_IP, 1234, OUR_IP, 5000, "abcdefgh", 8);
	f[ETH_HLEN + 20 + 8 + 3] ^= 0x40;	/* a data byte */
	snprintf(spec, sizeof(spec), "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 "
		 "ip.InDelivers=1 udp.InCsumErrors=1 udp.InErrors=1", n);
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev, spec);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);

	/* Checked before the port is looked at: no port unreachable for it. */
	n = udp_build(f, PEER_MAC, PEER_IP, 1234, OUR_IP, 5001, "abcdefgh", 8);
	f[ETH_HLEN + 20 + 8] ^= 1;
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev, spec);

	/* The pseudo-header counts: a checksum made for another source. */
	{
		uint8_t msg[16];
		size_t ml = udp_msg_build(msg, OTHER_IP, 1234, OUR_IP, 5000, "abcdefgh", 8);
		n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_UDP, msg, ml);
	}
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev, spec);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);
	sock_release(s);
}

/* Checksum 0: the sender computed none; accepted whatever the data. */
static void test_zero_checksum_accepted(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	struct usnap u;
	size_t n;

	assert_int_equal(do_bind(s, 0, 5000), 0);
	n = udp_build(f, PEER_MAC, PEER_IP, 1234, OUR_IP, 5000, "abcdefgh", 8);
	((struct udphdr *)(f + ETH_HLEN + 20))->check = 0;
	f[ETH_HLEN + 20 + 8] = 'X';
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev,
		     "dev.RxFrames=1 dev.RxBytes=50 ip.InReceives=1 ip.InDelivers=1 udp.InDatagrams=1");
	recv_expect(s, "Xbcdefgh", 8, PEER_IP, 1234, OUR_IP);
	sock_release(s);
}

static void test_bad_length(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	struct udphdr *uh = (struct udphdr *)(f + ETH_HLEN + 20);
	char spec[256];
	struct usnap u;
	size_t n;

	assert_int_equal(do_bind(s, 0, 5000), 0);
	/* UDP length past the IP payload, or under the header. */
	static const uint16_t lens[] = { 8 + 10 + 1, 0xffff, 7, 0 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = udp_build(f, PEER_MAC, PEER_IP, 1234, OUR_IP, 5000, "0123456789", 10);
		uh->len = htons(lens[i]);
		snprintf(spec, sizeof(spec), "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 "
			 "ip.InDelivers=1 udp.InBadLength=1 udp.InErrors=1", n);
		usnap_take(&u, &e->net, e->dev);
		inject(e, n);
		usnap_expect(&u, &e->net, e->dev, spec);
	}
	/* An IP payload shorter than a UDP header. */
	n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_UDP, "\x04\xd2\x13\x88", 4);
	snprintf(spec, sizeof(spec), "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 "
		 "ip.InDelivers=1 udp.InBadLength=1 udp.InErrors=1", n);
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev, spec);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);

	/* A UDP length shorter than the IP payload: the bytes after it are not data. */
	{
		uint8_t msg[8 + 5 + 7];
		size_t ml = udp_msg_build(msg, PEER_IP, 1234, OUR_IP, 5000, "hello", 5);
		memcpy(msg + ml, "garbage", 7);
		n = ip_build(f, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_UDP, msg, ml + 7);
	}
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	snprintf(spec, sizeof(spec), "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 "
		 "ip.InDelivers=1 udp.InDatagrams=1", n);
	usnap_expect(&u, &e->net, e->dev, spec);
	recv_expect(s, "hello", 5, PEER_IP, 1234, OUR_IP);
	sock_release(s);
}

static void test_closed_port_icmp(void **state)
{
	struct env *e = *state;
	uint8_t data[20];
	struct usnap u;
	struct rx rx;
	size_t n;

	fill_pattern(data, sizeof(data), 5);
	n = udp_build(f, PEER_MAC, PEER_IP, 1234, OUR_IP, 9999, data, sizeof(data));
	assert_int_equal(n, 62);
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev,
		     "dev.RxFrames=1 dev.RxBytes=62 ip.InReceives=1 ip.InDelivers=1 udp.NoPorts=1 "
		     "icmp.OutMsgs=1 icmp.OutDestUnreachs=1 ip.OutRequests=1 "
		     "dev.TxFrames=1 dev.TxBytes=90");
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
	assert_int_equal(rx.ip->saddr, OUR_IP);
	assert_int_equal(rx.ip->daddr, PEER_IP);
	assert_int_equal(rx.l4len, 8 + 48);
	assert_memory_equal(rx.l4 + 4, "\0\0\0\0", 4);
	/* The datagram quoted as it arrived: IP header, UDP header, data. */
	assert_memory_equal(rx.l4 + 8, f + ETH_HLEN, 48);
	rx_free(&rx);
	assert_int_equal(memdev_pending(e->dev), 0);

	/* A port that was bound and released is closed again. */
	{
		struct socket *s = udp_socket(e);
		assert_int_equal(do_bind(s, 0, 9999), 0);
		sock_release(s);
	}
	inject(e, n);
	assert_int_equal(e->net.udpstats.NoPorts, 2);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
	rx_free(&rx);
}

static void test_broadcast(void **state)
{
	struct env *e = *state;
	struct socket *s;
	char spec[256];
	struct usnap u;
	size_t n;

	/* To a closed port: counted, no ICMP. */
	const uint32_t dsts[] = { SUBNET_BCAST, 0xffffffffu };
	for (size_t i = 0; i < 2; i++) {
		n = udp_build(f, PEER_MAC, PEER_IP, 1234, dsts[i], 9999, "abcd", 4);
		memcpy(f, BCAST_MAC, ETH_ALEN);
		snprintf(spec, sizeof(spec), "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 "
			 "ip.InDelivers=1 udp.NoPorts=1", n);
		usnap_take(&u, &e->net, e->dev);
		inject(e, n);
		usnap_expect(&u, &e->net, e->dev, spec);
		assert_int_equal(memdev_pending(e->dev), 0);
	}

	/* A socket bound to our unicast address does not get it. */
	s = udp_socket(e);
	assert_int_equal(do_bind(s, OUR_IP, 9999), 0);
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev, spec);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);

	/* One bound to any address does, and sees where it was sent. */
	s = udp_socket(e);
	assert_int_equal(do_bind(s, 0, 9999), 0);
	n = udp_build(f, PEER_MAC, PEER_IP, 1234, SUBNET_BCAST, 9999, "abcd", 4);
	memcpy(f, BCAST_MAC, ETH_ALEN);
	inject(e, n);
	recv_expect(s, "abcd", 4, PEER_IP, 1234, SUBNET_BCAST);
	sock_release(s);
}

/* A connected socket takes datagrams from its peer only. */
static void test_connected_filters_sources(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	uint16_t port;
	struct rx rx;

	assert_int_equal(do_connect(s, PEER_IP, 7), 0);
	port = local_port(s);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 8, OUR_IP, port, "wrong", 5));
	assert_int_equal(e->net.udpstats.NoPorts, 1);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
	rx_free(&rx);
	inject(e, udp_build(f, OTHER_MAC, OTHER_IP, 7, OUR_IP, port, "wrong", 5));
	assert_int_equal(e->net.udpstats.NoPorts, 2);
	drain(e->dev);		/* the port unreachable waits for ARP; its request */
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 7, OUR_IP, port, "right", 5));
	recv_expect(s, "right", 5, PEER_IP, 7, OUR_IP);
	assert_int_equal(e->net.udpstats.InDatagrams, 1);
	sock_release(s);
}

/* Sends one datagram and returns the ICMP error about it, quoting qlen bytes. */
static size_t refusal_for(struct env *e, struct socket *s, uint8_t code, size_t qlen)
{
	uint8_t quote[64];
	struct rx rx;

	assert_int_equal(sock_send(s, "ping", 4, 0, 0), 4);
	pop_ipv4(e->dev, PEER_MAC, &rx);
	assert_true(qlen <= rx.l4len + 20);
	memcpy(quote, rx.ip, qlen);
	rx_free(&rx);
	return icmp_error_build(f, ICMP_DEST_UNREACH, code, quote, qlen);
}

static void test_econnrefused_connected(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	unsigned int wakes = 0;
	char spec[256];
	struct usnap u;
	size_t n;

	assert_int_equal(do_connect(s, PEER_IP, 7), 0);
	sock_count_wakeups(s, &wakes);
	n = refusal_for(e, s, ICMP_PORT_UNREACH, 32);
	snprintf(spec, sizeof(spec), "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 "
		 "ip.InDelivers=1 icmp.InMsgs=1 icmp.InDestUnreachs=1", n);
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev, spec);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	assert_int_equal(s->ops->poll(s), SOCK_POLLERR | SOCK_POLLOUT);
	/* Reported once, to the next call. */
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -ECONNREFUSED);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);
	assert_int_equal(s->ops->poll(s), SOCK_POLLOUT);

	/* With the shortest quote (header and 8 bytes), to a send. */
	n = refusal_for(e, s, ICMP_PORT_UNREACH, 28);
	inject(e, n);
	assert_int_equal(sock_send(s, "x", 1, 0, 0), -ECONNREFUSED);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(sock_send(s, "x", 1, 0, 0), 1);
	assert_int_equal(drain(e->dev), 1);

	/* Other codes: host and network unreachable. */
	inject(e, refusal_for(e, s, ICMP_HOST_UNREACH, 28));
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EHOSTUNREACH);
	inject(e, refusal_for(e, s, ICMP_NET_UNREACH, 28));
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -ENETUNREACH);
	sock_release(s);
}

static void test_icmp_ignored(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e), *c = udp_socket(e);
	unsigned int wakes = 0;
	uint8_t quote[28];
	struct rx rx;
	size_t n;

	/* Unconnected (RFC 1122 4.1.3.3 leaves it to the application; Linux
	 * reports it only to connected sockets). */
	assert_int_equal(do_bind(s, 0, 5000), 0);
	sock_count_wakeups(s, &wakes);
	assert_int_equal(sock_send(s, "ping", 4, PEER_IP, 7), 4);
	pop_ipv4(e->dev, PEER_MAC, &rx);
	memcpy(quote, rx.ip, 28);
	rx_free(&rx);
	n = icmp_error_build(f, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, quote, 28);
	inject(e, n);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 0);
	assert_int_equal(s->sk->sk_err, 0);
	assert_int_equal(s->ops->poll(s), SOCK_POLLOUT);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);
	assert_int_equal(sock_send(s, "ping", 4, PEER_IP, 7), 4);
	assert_int_equal(drain(e->dev), 1);

	/* Connected, but the quote is about another destination port. */
	assert_int_equal(do_connect(c, PEER_IP, 7), 0);
	assert_int_equal(sock_send(c, "ping", 4, 0, 0), 4);
	pop_ipv4(e->dev, PEER_MAC, &rx);
	memcpy(quote, rx.ip, 28);
	rx_free(&rx);
	((struct udphdr *)(quote + 20))->dest = htons(8);
	inject(e, icmp_error_build(f, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, quote, 28));
	assert_int_equal(c->sk->sk_err, 0);
	assert_int_equal(sock_recv(c, big, sizeof(big), 0, NULL), -EAGAIN);
	sock_release(s);
	sock_release(c);
}

/* A neighbour that never answers ARP: the stack's host unreachable to
 * itself reaches the connected socket through the backlog. */
static void test_unresolved_neighbour(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	unsigned int wakes = 0;

	assert_int_equal(do_connect(s, OTHER_IP, 7), 0);
	sock_count_wakeups(s, &wakes);
	assert_int_equal(sock_send(s, "hello", 5, 0, 0), 5);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
	run_until(&e->net, T0 + ARP_MAX_PROBES * ARP_RETRANS_US);
	assert_int_equal(drain(e->dev), ARP_MAX_PROBES - 1);
	assert_int_equal(e->net.arpstats.UnresolvedDrops, 1);
	assert_int_equal(e->net.backlog.qlen, 1);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 0);
	net_process_backlog(&e->net);
	assert_int_equal(e->net.icmpstats.InDestUnreachs, 1);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EHOSTUNREACH);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);
}

static void test_ephemeral_ports(void **state)
{
	struct env *e = *state;
	struct socket *s[12];
	uint16_t p[12];

	for (int i = 0; i < 12; i++) {
		s[i] = udp_socket(e);
		assert_int_equal(local_port(s[i]), 0);	/* not bound yet */
		if (i < 4)
			assert_int_equal(do_bind(s[i], 0, 0), 0);
		else if (i < 8)
			assert_int_equal(do_connect(s[i], PEER_IP, 7), 0);
		else
			assert_int_equal(sock_send(s[i], "x", 1, PEER_IP, 7), 1);
		p[i] = local_port(s[i]);
		assert_in_range(p[i], EPHEMERAL_LOW, EPHEMERAL_HIGH);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(p[i], p[j]);
	}
	/* RFC 6056: the search starts at a random place, not at the bottom. */
	assert_false(p[0] == EPHEMERAL_LOW && p[1] == EPHEMERAL_LOW + 1);
	/* The one a send chose is the one on the wire. */
	for (int i = 8; i < 12; i++)
		pop_udp(e, PEER_MAC, OUR_IP, p[i], PEER_IP, 7, "x", 1);
	/* And it stays. */
	assert_int_equal(sock_send(s[8], "y", 1, PEER_IP, 7), 1);
	pop_udp(e, PEER_MAC, OUR_IP, p[8], PEER_IP, 7, "y", 1);
	for (int i = 0; i < 12; i++)
		sock_release(s[i]);
}

static void test_bind_in_use(void **state)
{
	struct env *e = *state;
	struct socket *a = udp_socket(e), *b = udp_socket(e), *c = udp_socket(e), *d = udp_socket(e);
	struct sockaddr_in n;

	assert_int_equal(do_bind(a, 0, 5000), 0);
	assert_int_equal(do_bind(b, 0, 5000), -EADDRINUSE);
	assert_int_equal(do_bind(b, OUR_IP, 5000), -EADDRINUSE);
	/* The failed binds left b as it was. */
	n = name_of(b, false);
	assert_int_equal(n.sin_addr.s_addr, 0);
	assert_int_equal(n.sin_port, 0);
	assert_false(b->sk->bound);
	assert_int_equal(do_bind(b, 0, 5001), 0);

	assert_int_equal(do_bind(c, OUR_IP, 6000), 0);
	assert_int_equal(do_bind(d, 0, 6000), -EADDRINUSE);
	assert_int_equal(do_bind(d, OUR_IP, 6000), -EADDRINUSE);
	/* Free again once released. */
	sock_release(a);
	assert_int_equal(do_bind(d, 0, 5000), 0);
	n = name_of(d, false);
	assert_int_equal(n.sin_addr.s_addr, 0);
	assert_int_equal(ntohs(n.sin_port), 5000);
	n = name_of(c, false);
	assert_int_equal(n.sin_addr.s_addr, OUR_IP);
	assert_int_equal(ntohs(n.sin_port), 6000);
	sock_release(b);
	sock_release(c);
	sock_release(d);
}

static void test_bind_errors(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	union inet_sockaddr a = { .sin = sin4(OUR_IP, 5000) };

	assert_int_equal(do_bind(s, PEER_IP, 5000), -EADDRNOTAVAIL);
	assert_int_equal(do_bind(s, SUBNET_BCAST, 5000), -EADDRNOTAVAIL);
	assert_int_equal(do_bind(s, 0xffffffffu, 5000), -EADDRNOTAVAIL);
	assert_int_equal(do_bind(s, ip4(127, 0, 0, 1), 5000), -EADDRNOTAVAIL);
	a.sin.sin_family = AF_UNIX;	/* neither IPv4 nor IPv6 */
	assert_int_equal(s->ops->bind(s, &a), -EAFNOSUPPORT);
	assert_false(s->sk->bound);
	assert_int_equal(do_bind(s, OUR_IP, 5000), 0);
	/* Once. */
	assert_int_equal(do_bind(s, OUR_IP, 5001), -EINVAL);
	assert_int_equal(local_port(s), 5000);
	/* Bound to OUR_IP, it sends from it. */
	assert_int_equal(sock_send(s, "x", 1, PEER_IP, 7), 1);
	pop_udp(e, PEER_MAC, OUR_IP, 5000, PEER_IP, 7, "x", 1);
	sock_release(s);
}

static void test_connect_rules(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	struct sockaddr_in n;
	union inet_sockaddr a = { .sin = sin4(PEER_IP, 7) }, un;
	uint16_t port;

	assert_int_equal(s->ops->getname(s, &un, true), -ENOTCONN);
	assert_int_equal(do_connect(s, PEER_IP, 0), -EINVAL);
	assert_int_equal(do_connect(s, 0, 7), -EINVAL);
	assert_int_equal(do_connect(s, ip4(192, 168, 9, 9), 7), -ENETUNREACH);
	a.sin.sin_family = AF_UNIX;
	assert_int_equal(s->ops->connect(s, &a), -EAFNOSUPPORT);
	assert_int_equal(s->state, SS_UNCONNECTED);

	assert_int_equal(do_connect(s, PEER_IP, 7), 0);
	assert_int_equal(s->state, SS_CONNECTED);
	n = name_of(s, false);
	port = ntohs(n.sin_port);
	assert_int_equal(n.sin_addr.s_addr, OUR_IP);
	assert_in_range(port, EPHEMERAL_LOW, EPHEMERAL_HIGH);
	n = name_of(s, true);
	assert_int_equal(n.sin_addr.s_addr, PEER_IP);
	assert_int_equal(ntohs(n.sin_port), 7);

	assert_int_equal(do_connect(s, PEER_IP, 8), -EISCONN);
	assert_int_equal(ntohs(name_of(s, true).sin_port), 7);
	assert_int_equal(s->ops->listen(s, 4), -EISCONN);

	/* No name: to the peer.  A name: there. */
	assert_int_equal(sock_send(s, "a", 1, 0, 0), 1);
	pop_udp(e, PEER_MAC, OUR_IP, port, PEER_IP, 7, "a", 1);
	assert_int_equal(sock_send(s, "b", 1, PEER_IP, 9), 1);
	pop_udp(e, PEER_MAC, OUR_IP, port, PEER_IP, 9, "b", 1);
	sock_release(s);

	/* An announced socket cannot connect. */
	s = udp_socket(e);
	assert_int_equal(s->ops->listen(s, 4), 0);
	assert_int_equal(do_connect(s, PEER_IP, 7), -EINVAL);
	sock_release(s);
	/* Nor accept before announcing. */
	s = udp_socket(e);
	{
		struct socket *c = NULL;
		assert_int_equal(s->ops->accept(s, &c), -EINVAL);
	}
	sock_release(s);
}

static void test_loopback(void **state)
{
	struct env *e = *state;
	struct socket *r = udp_socket(e), *s = udp_socket(e);
	unsigned int wakes = 0;

	assert_int_equal(do_bind(r, 0, 6000), 0);
	sock_count_wakeups(r, &wakes);
	assert_int_equal(sock_send(s, "hi there", 8, OUR_IP, 6000), 8);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(sock_recv(r, big, sizeof(big), 0, NULL), -EAGAIN);
	net_process_backlog(&e->net);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	recv_expect(r, "hi there", 8, OUR_IP, local_port(s), OUR_IP);
	sock_release(s);

	/* Connected to a closed local port: refused, through the backlog. */
	s = udp_socket(e);
	assert_int_equal(do_connect(s, OUR_IP, 6001), 0);
	assert_int_equal(sock_send(s, "x", 1, 0, 0), 1);
	net_process_backlog(&e->net);
	assert_int_equal(e->net.udpstats.NoPorts, 1);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -ECONNREFUSED);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);
	sock_release(r);
}

static void test_rcvbuf_overflow(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	uint8_t data[1000];
	char spec[256];
	struct usnap u;
	size_t n;

	fill_pattern(data, sizeof(data), 3);
	assert_int_equal(do_bind(s, 0, 5000), 0);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_RCVBUF, 0), 0);
	assert_int_equal(s->sk->sk_rcvbuf, SOCK_MIN_BUF);
	n = udp_build(f, PEER_MAC, PEER_IP, 1234, OUR_IP, 5000, data, sizeof(data));
	inject(e, n);
	inject(e, n);
	assert_int_equal(e->net.udpstats.InDatagrams, 2);
	snprintf(spec, sizeof(spec), "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 "
		 "ip.InDelivers=1 udp.RcvbufErrors=1 udp.InErrors=1", n);
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev, spec);
	assert_int_equal(s->sk->sk_receive_queue.qlen, 2);
	/* Room again once one is read. */
	recv_expect(s, data, sizeof(data), PEER_IP, 1234, OUR_IP);
	inject(e, n);
	assert_int_equal(s->sk->sk_receive_queue.qlen, 2);
	recv_expect(s, data, sizeof(data), PEER_IP, 1234, OUR_IP);
	recv_expect(s, data, sizeof(data), PEER_IP, 1234, OUR_IP);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);
	sock_release(s);
}

static struct socket *accept_one(struct socket *s)
{
	struct socket *c = NULL;

	assert_int_equal(s->ops->accept(s, &c), 0);
	assert_non_null(c);
	assert_int_equal(c->state, SS_CONNECTED);
	assert_int_equal(c->protocol, IPPROTO_UDP);
	return c;
}

static void expect_peer(struct socket *c, uint32_t addr, uint16_t port)
{
	struct sockaddr_in n = name_of(c, true);

	assert_int_equal(n.sin_addr.s_addr, addr);
	assert_int_equal(ntohs(n.sin_port), port);
}

static void test_announce_children(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e), *c1, *c2, *c3, *none = NULL;
	unsigned int wakes = 0, wakes1 = 0;
	struct sockaddr_in n;
	struct usnap u;
	size_t len;

	assert_int_equal(do_bind(s, 0, 5000), 0);
	assert_int_equal(s->ops->listen(s, 4), 0);
	sock_count_wakeups(s, &wakes);
	assert_int_equal(s->ops->accept(s, &none), -EAGAIN);
	assert_int_equal(s->ops->poll(s), SOCK_POLLOUT);

	/* A new peer: a child for it, holding its datagram; the parent is woken. */
	len = udp_build(f, PEER_MAC, PEER_IP, 1111, OUR_IP, 5000, "a1", 2);
	usnap_take(&u, &e->net, e->dev);
	inject(e, len);
	usnap_expect(&u, &e->net, e->dev,
		     "dev.RxFrames=1 dev.RxBytes=44 ip.InReceives=1 ip.InDelivers=1 udp.InDatagrams=1");
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	assert_true(s->ops->poll(s) & SOCK_POLLIN);
	assert_int_equal(s->sk->sk_ack_backlog, 1);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), -EAGAIN);
	/* The same peer again: the same child. */
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1111, OUR_IP, 5000, "a2", 2));
	assert_int_equal(s->sk->sk_ack_backlog, 1);
	/* Another peer (another port of the same host counts): another child. */
	inject(e, udp_build(f, OTHER_MAC, OTHER_IP, 2222, OUR_IP, 5000, "b1", 2));
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 3333, OUR_IP, 5000, "c1", 2));
	assert_int_equal(s->sk->sk_ack_backlog, 3);
	assert_int_equal(e->net.udpstats.InDatagrams, 4);
	assert_int_equal(memdev_pending(e->dev), 0);

	/* Oldest first, each connected to its peer with both datagrams. */
	c1 = accept_one(s);
	expect_peer(c1, PEER_IP, 1111);
	n = name_of(c1, false);
	assert_int_equal(n.sin_addr.s_addr, OUR_IP);
	assert_int_equal(ntohs(n.sin_port), 5000);
	recv_expect(c1, "a1", 2, PEER_IP, 1111, OUR_IP);
	recv_expect(c1, "a2", 2, PEER_IP, 1111, OUR_IP);
	assert_int_equal(sock_recv(c1, big, sizeof(big), 0, NULL), -EAGAIN);
	c2 = accept_one(s);
	expect_peer(c2, OTHER_IP, 2222);
	recv_expect(c2, "b1", 2, OTHER_IP, 2222, OUR_IP);
	c3 = accept_one(s);
	expect_peer(c3, PEER_IP, 3333);
	recv_expect(c3, "c1", 2, PEER_IP, 3333, OUR_IP);
	assert_int_equal(s->ops->accept(s, &none), -EAGAIN);
	assert_int_equal(s->sk->sk_ack_backlog, 0);
	assert_false(s->ops->poll(s) & SOCK_POLLIN);

	/* Later datagrams from a known peer go to its child, and wake it. */
	sock_count_wakeups(c1, &wakes1);
	net_run_wakeups(&e->net);	/* the parent's, from the spawns */
	wakes = 0;
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1111, OUR_IP, 5000, "a3", 2));
	net_run_wakeups(&e->net);
	assert_int_equal(wakes1, 1);
	assert_int_equal(wakes, 0);
	assert_int_equal(s->sk->sk_ack_backlog, 0);
	recv_expect(c1, "a3", 2, PEER_IP, 1111, OUR_IP);
	assert_int_equal(sock_recv(c2, big, sizeof(big), 0, NULL), -EAGAIN);

	/* A child answers its peer from the announced port. */
	assert_int_equal(sock_send(c1, "r1", 2, 0, 0), 2);
	pop_udp(e, PEER_MAC, OUR_IP, 5000, PEER_IP, 1111, "r1", 2);
	assert_int_equal(sock_send(c3, "r3", 2, 0, 0), 2);
	pop_udp(e, PEER_MAC, OUR_IP, 5000, PEER_IP, 3333, "r3", 2);

	/* A released child's peer is new again. */
	sock_release(c2);
	inject(e, udp_build(f, OTHER_MAC, OTHER_IP, 2222, OUR_IP, 5000, "b2", 2));
	assert_int_equal(s->sk->sk_ack_backlog, 1);
	c2 = accept_one(s);
	expect_peer(c2, OTHER_IP, 2222);
	recv_expect(c2, "b2", 2, OTHER_IP, 2222, OUR_IP);

	/* The parent goes first; the accepted children live on. */
	sock_release(s);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1111, OUR_IP, 5000, "a4", 2));
	recv_expect(c1, "a4", 2, PEER_IP, 1111, OUR_IP);
	assert_int_equal(sock_send(c1, "r", 1, 0, 0), 1);
	pop_udp(e, PEER_MAC, OUR_IP, 5000, PEER_IP, 1111, "r", 1);
	sock_release(c1);
	sock_release(c2);
	sock_release(c3);
	assert_int_equal(e->net.udp_table.count, 0);
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_announce_backlog(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e), *c;
	char spec[256];
	struct usnap u;
	size_t n;

	assert_int_equal(s->ops->listen(s, 2), 0);	/* binds a port itself */
	uint16_t port = local_port(s);
	assert_in_range(port, EPHEMERAL_LOW, EPHEMERAL_HIGH);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1, OUR_IP, port, "1", 1));
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 2, OUR_IP, port, "2", 1));
	assert_int_equal(s->sk->sk_ack_backlog, 2);
	/* Full: a third peer is dropped, with nothing sent back. */
	n = udp_build(f, PEER_MAC, PEER_IP, 3, OUR_IP, port, "3", 1);
	snprintf(spec, sizeof(spec), "dev.RxFrames=1 dev.RxBytes=%zu ip.InReceives=1 "
		 "ip.InDelivers=1 udp.BacklogDrops=1 udp.InErrors=1", n);
	usnap_take(&u, &e->net, e->dev);
	inject(e, n);
	usnap_expect(&u, &e->net, e->dev, spec);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(s->sk->sk_ack_backlog, 2);
	/* Known peers still get through. */
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1, OUR_IP, port, "1b", 2));
	assert_int_equal(e->net.udpstats.BacklogDrops, 1);
	/* Taking one makes room. */
	c = accept_one(s);
	expect_peer(c, PEER_IP, 1);
	recv_expect(c, "1", 1, PEER_IP, 1, OUR_IP);
	recv_expect(c, "1b", 2, PEER_IP, 1, OUR_IP);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 3, OUR_IP, port, "3", 1));
	assert_int_equal(e->net.udpstats.BacklogDrops, 1);
	assert_int_equal(s->sk->sk_ack_backlog, 2);
	sock_release(c);
	/* Released with two children waiting, each holding a datagram. */
	sock_release(s);
	assert_int_equal(e->net.udp_table.count, 0);
	/* Nothing is left on the port. */
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 2, OUR_IP, port, "2", 1));
	assert_int_equal(e->net.udpstats.NoPorts, 1);
	assert_int_equal(drain(e->dev), 1);
}

/* With headers, an announced socket gets every peer's datagrams itself. */
static void test_announce_headers_no_children(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e), *none = NULL;

	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_HEADERS, 1), 0);
	assert_true(s->sk->headers);
	assert_int_equal(do_bind(s, 0, 5000), 0);
	assert_int_equal(s->ops->listen(s, 4), 0);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1111, OUR_IP, 5000, "a", 1));
	inject(e, udp_build(f, OTHER_MAC, OTHER_IP, 2222, OUR_IP, 5000, "b", 1));
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1111, OUR_IP, 5000, "c", 1));
	assert_int_equal(s->sk->sk_ack_backlog, 0);
	assert_int_equal(s->ops->accept(s, &none), -EAGAIN);
	assert_true(s->ops->poll(s) & SOCK_POLLIN);
	recv_expect(s, "a", 1, PEER_IP, 1111, OUR_IP);
	recv_expect(s, "b", 1, OTHER_IP, 2222, OUR_IP);
	recv_expect(s, "c", 1, PEER_IP, 1111, OUR_IP);
	/* Replies name their peer. */
	assert_int_equal(sock_send(s, "r", 1, PEER_IP, 1111), 1);
	pop_udp(e, PEER_MAC, OUR_IP, 5000, PEER_IP, 1111, "r", 1);
	sock_release(s);
}

/* RFC 1122 4.1.3.5: a reply to a datagram sent to a broadcast address
 * must come from one of our unicast addresses. */
static void test_broadcast_child_source(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e), *c;
	struct rx rx;
	size_t n;

	assert_int_equal(do_bind(s, 0, 5000), 0);
	assert_int_equal(s->ops->listen(s, 4), 0);
	n = udp_build(f, PEER_MAC, PEER_IP, 1111, SUBNET_BCAST, 5000, "who", 3);
	memcpy(f, BCAST_MAC, ETH_ALEN);
	inject(e, n);
	c = accept_one(s);
	expect_peer(c, PEER_IP, 1111);
	recv_expect(c, "who", 3, PEER_IP, 1111, SUBNET_BCAST);
	assert_int_equal(sock_send(c, "me", 2, 0, 0), 2);
	pop_ipv4(e->dev, PEER_MAC, &rx);
	if (rx.ip->saddr != OUR_IP) {
		char a[16];
		inet_ntoa_r(rx.ip->saddr, a);
		rx_free(&rx);
		sock_release(c);
		sock_release(s);
		fail_msg("the child's reply went out from %s, not 10.0.0.1", a);
	}
	rx_free(&rx);
	sock_release(c);
	sock_release(s);
}

/* With a second address, a child answers from the address its peer
 * wrote to, or the peer's connected socket would not take the answer. */
static void test_child_replies_from_address_used(void **state)
{
	struct env *e = *state;
	const uint32_t second = ip4(10, 0, 0, 3);
	struct socket *s = udp_socket(e), *c;
	struct sockaddr_in n;

	assert_int_equal(inet_add_ifaddr(e->dev, second, 24), 0);
	assert_int_equal(drain(e->dev), 1);
	assert_int_equal(do_bind(s, 0, 5000), 0);
	assert_int_equal(s->ops->listen(s, 4), 0);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1111, second, 5000, "hi", 2));
	c = accept_one(s);
	n = name_of(c, false);
	assert_int_equal(n.sin_addr.s_addr, second);
	assert_int_equal(ntohs(n.sin_port), 5000);
	recv_expect(c, "hi", 2, PEER_IP, 1111, second);
	assert_int_equal(sock_send(c, "yo", 2, 0, 0), 2);
	pop_udp(e, PEER_MAC, second, 5000, PEER_IP, 1111, "yo", 2);
	sock_release(c);
	sock_release(s);
}

/* An unbound socket's send may name the local address to send from (what
 * a headers-mode write carries); one that is not ours is ignored. */
static void test_send_local_address(void **state)
{
	struct env *e = *state;
	const uint32_t second = ip4(10, 0, 0, 3);
	struct socket *s = udp_socket(e);
	struct sockmsg m;

	assert_int_equal(inet_add_ifaddr(e->dev, second, 24), 0);
	assert_int_equal(drain(e->dev), 1);
	assert_int_equal(do_bind(s, 0, 5000), 0);
	memset(&m, 0, sizeof(m));
	m.has_name = true;
	m.name.sin = sin4(PEER_IP, 7);
	m.data = "a";
	m.local = second;
	assert_int_equal(s->ops->sendmsg(s, &m, 1), 1);
	pop_udp(e, PEER_MAC, second, 5000, PEER_IP, 7, "a", 1);
	m.local = OTHER_IP;
	assert_int_equal(s->ops->sendmsg(s, &m, 1), 1);
	pop_udp(e, PEER_MAC, OUR_IP, 5000, PEER_IP, 7, "a", 1);
	m.local = SUBNET_BCAST;
	assert_int_equal(s->ops->sendmsg(s, &m, 1), 1);
	pop_udp(e, PEER_MAC, OUR_IP, 5000, PEER_IP, 7, "a", 1);
	sock_release(s);

	/* A socket bound to an address sends from it whatever the message says. */
	s = udp_socket(e);
	assert_int_equal(do_bind(s, second, 5001), 0);
	m.local = OUR_IP;
	assert_int_equal(s->ops->sendmsg(s, &m, 1), 1);
	pop_udp(e, PEER_MAC, second, 5001, PEER_IP, 7, "a", 1);
	sock_release(s);
}

static void test_shutdown(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	unsigned int wakes = 0;
	uint16_t port;
	struct usnap u;

	assert_int_equal(s->ops->shutdown(s, SHUT_WR), -ENOTCONN);
	assert_int_equal(do_connect(s, PEER_IP, 7), 0);
	port = local_port(s);
	sock_count_wakeups(s, &wakes);
	assert_int_equal(s->ops->shutdown(s, 3), -EINVAL);
	assert_int_equal(s->ops->shutdown(s, -1), -EINVAL);
	assert_int_equal(s->ops->poll(s), SOCK_POLLOUT);

	assert_int_equal(s->ops->shutdown(s, SHUT_WR), 0);
	net_run_wakeups(&e->net);
	assert_int_equal(wakes, 1);
	assert_int_equal(s->ops->poll(s), 0);
	usnap_take(&u, &e->net, e->dev);
	assert_int_equal(sock_send(s, "x", 1, 0, 0), -EPIPE);
	assert_int_equal(sock_send(s, "x", 1, PEER_IP, 7), -EPIPE);
	usnap_expect(&u, &e->net, e->dev, "");
	assert_int_equal(memdev_pending(e->dev), 0);
	/* Still reads. */
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 7, OUR_IP, port, "in", 2));
	assert_int_equal(s->ops->poll(s), SOCK_POLLIN);
	recv_expect(s, "in", 2, PEER_IP, 7, OUR_IP);

	/* Then reading: what was queued is read, then end of file; new
	 * datagrams are dropped. */
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 7, OUR_IP, port, "q", 1));
	assert_int_equal(s->ops->shutdown(s, SHUT_RD), 0);
	assert_int_equal(s->ops->poll(s), SOCK_POLLIN | SOCK_POLLHUP);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 7, OUR_IP, port, "late", 4));
	assert_int_equal(e->net.udpstats.RcvbufErrors, 1);
	recv_expect(s, "q", 1, PEER_IP, 7, OUR_IP);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), 0);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), 0);
	sock_release(s);

	/* SHUT_RD alone keeps writing. */
	s = udp_socket(e);
	assert_int_equal(do_connect(s, PEER_IP, 7), 0);
	assert_int_equal(s->ops->shutdown(s, SHUT_RD), 0);
	assert_int_equal(s->ops->poll(s), SOCK_POLLIN | SOCK_POLLOUT);
	assert_int_equal(sock_recv(s, big, sizeof(big), 0, NULL), 0);
	assert_int_equal(sock_send(s, "x", 1, 0, 0), 1);
	assert_int_equal(drain(e->dev), 1);
	assert_int_equal(s->ops->shutdown(s, SHUT_RDWR), 0);
	assert_int_equal(s->ops->poll(s), SOCK_POLLIN | SOCK_POLLHUP);
	assert_int_equal(sock_send(s, "x", 1, 0, 0), -EPIPE);
	sock_release(s);
}

static void test_setsockopt(void **state)
{
	struct env *e = *state;
	struct socket *s = udp_socket(e);
	struct rx rx;

	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TTL, 0), -EINVAL);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TTL, 256), -EINVAL);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TTL, -1), -EINVAL);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TOS, 256), -EINVAL);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TOS, -1), -EINVAL);
	assert_int_equal(s->sk->ttl, 64);
	assert_int_equal(s->sk->tos, 0);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TTL, 7), 0);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TOS, 0x28), 0);
	assert_int_equal(sock_send(s, "x", 1, PEER_IP, 7), 1);
	pop_ipv4(e->dev, PEER_MAC, &rx);
	assert_int_equal(rx.ip->ttl, 7);
	assert_int_equal(rx.ip->tos, 0x28);
	rx_free(&rx);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TTL, 255), 0);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TTL, 1), 0);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TOS, 255), 0);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TOS, 0), 0);

	/* Buffers are clamped, not refused. */
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_RCVBUF, 1), 0);
	assert_int_equal(s->sk->sk_rcvbuf, SOCK_MIN_BUF);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_RCVBUF, 1 << 30), 0);
	assert_int_equal(s->sk->sk_rcvbuf, SOCK_MAX_BUF);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_RCVBUF, 100000), 0);
	assert_int_equal(s->sk->sk_rcvbuf, 100000);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_RCVBUF, -1), -EINVAL);
	assert_int_equal(s->sk->sk_rcvbuf, 100000);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_SNDBUF, 0), 0);
	assert_int_equal(s->sk->sk_sndbuf, SOCK_MIN_BUF);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_SNDBUF, -5), -EINVAL);

	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_KEEPALIVE, 1), -ENOPROTOOPT);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_NODELAY, 1), -ENOPROTOOPT);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_HEADERS, 1), 0);
	assert_true(s->sk->headers);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_HEADERS, 0), 0);
	assert_false(s->sk->headers);
	sock_release(s);
}

/* Released with a wakeup pending and datagrams queued: the wakeup is
 * never delivered, the others still are, and nothing leaks. */
static void test_release_with_pending_wakeup(void **state)
{
	struct env *e = *state;
	struct socket *a = udp_socket(e), *b = udp_socket(e), *c = udp_socket(e);
	unsigned int wa = 0, wb = 0, wc = 0;

	assert_int_equal(do_bind(a, 0, 5000), 0);
	assert_int_equal(do_bind(b, 0, 5001), 0);
	assert_int_equal(do_bind(c, 0, 5002), 0);
	sock_count_wakeups(a, &wa);
	sock_count_wakeups(b, &wb);
	sock_count_wakeups(c, &wc);
	for (uint16_t p = 5000; p <= 5002; p++)
		inject(e, udp_build(f, PEER_MAC, PEER_IP, 1, OUR_IP, p, "data", 4));
	sock_release(b);	/* in the middle of the list */
	sock_release(c);	/* at its tail */
	net_run_wakeups(&e->net);
	assert_int_equal(wa, 1);
	assert_int_equal(wb, 0);
	assert_int_equal(wc, 0);
	inject(e, udp_build(f, PEER_MAC, PEER_IP, 1, OUR_IP, 5000, "more", 4));
	sock_release(a);	/* alone in the list */
	net_run_wakeups(&e->net);
	assert_int_equal(wa, 1);
	assert_null(e->net.wake_head);
	assert_null(e->net.wake_tail);
	assert_int_equal(e->net.udp_table.count, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_send_exact),
		T(test_send_checksum_never_zero),
		T(test_send_errors),
		T(test_send_max_size),
		T(test_recv_exact),
		T(test_datagram_boundaries),
		T(test_truncated_read_and_peek),
		T(test_bad_checksum),
		T(test_zero_checksum_accepted),
		T(test_bad_length),
		T(test_closed_port_icmp),
		T(test_broadcast),
		T(test_connected_filters_sources),
		T(test_econnrefused_connected),
		T(test_icmp_ignored),
		T(test_unresolved_neighbour),
		T(test_ephemeral_ports),
		T(test_bind_in_use),
		T(test_bind_errors),
		T(test_connect_rules),
		T(test_loopback),
		T(test_rcvbuf_overflow),
		T(test_announce_children),
		T(test_announce_backlog),
		T(test_announce_headers_no_children),
		T(test_broadcast_child_source),
		T(test_child_replies_from_address_used),
		T(test_send_local_address),
		T(test_shutdown),
		T(test_setsockopt),
		T(test_release_with_pending_wakeup),
	};
	return cmocka_run_group_tests_name("udp", tests, NULL, NULL);
}
