/* TCP and UDP over IPv6 (issue 10, phase 2), each as a crafted frame and
 * the exact answer: a SYN to a listener and its SYN-ACK (the IPv6
 * pseudo-header checksum, MSS 1440 for MTU 1500), the RST of a closed
 * port, a bad checksum dropped and counted, the active open, data cut
 * into segments in software (the TCPv6 GSO case), a dual listener taking
 * an IPv4 SYN as an IPv4 connection, ICMPv6 errors reaching a connecting
 * socket, SYN cookies; UDP in and out with its checksum, a zero checksum refused,
 * ICMPv6 port unreachable for a closed port; an ICMPv6 echo socket. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static uint8_t f[ETH_HLEN + 70000];

static struct in6_addr a6(const char *s)
{
	struct in6_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}
#define OUR_G a6("2001:db8::2")
#define PEER_G a6("2001:db8::1")

static uint16_t csum6(const struct in6_addr *s, const struct in6_addr *d, uint8_t nh,
		      const void *l4, size_t len)
{
	return csum_fold(csum_ipv6_magic(s, d, (uint32_t)len, nh, csum_partial(l4, len, 0)));
}

/* ip6_frame: Ethernet + IPv6 + payload, from PEER_MAC to OUR_MAC. */
static size_t ip6_frame(uint8_t *buf, const struct in6_addr *s, const struct in6_addr *d,
			uint8_t nh, const void *payload, size_t plen)
{
	struct ipv6hdr ip6;

	eth_build(buf, OUR_MAC, PEER_MAC, ETH_P_IPV6);
	memset(&ip6, 0, sizeof(ip6));
	ip6.ver_tc_flow = htonl(6u << 28);
	ip6.payload_len = htons((uint16_t)plen);
	ip6.nexthdr = nh;
	ip6.hop_limit = 64;
	ip6.saddr = *s;
	ip6.daddr = *d;
	memcpy(buf + ETH_HLEN, &ip6, sizeof(ip6));
	memcpy(buf + ETH_HLEN + 40, payload, plen);
	return ETH_HLEN + 40 + plen;
}

/* tcp6_frame: a TCP segment from PEER_G:sport to OUR_G:dport with opts
 * (olen bytes, a multiple of 4) and data, its checksum right. */
static size_t tcp6_frame(uint8_t *buf, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
			 uint8_t flags, const void *opts, size_t olen, const void *data, size_t dlen)
{
	static uint8_t seg[9000];
	struct tcphdr th;
	struct in6_addr s = PEER_G, d = OUR_G;

	assert_true(olen + dlen <= sizeof(seg) - sizeof(th));
	memset(&th, 0, sizeof(th));
	th.source = htons(sport);
	th.dest = htons(dport);
	th.seq = htonl(seq);
	th.ack_seq = htonl(ack);
	th.doff_res = (uint8_t)(((sizeof(th) + olen) / 4) << 4);
	th.flags = flags;
	th.window = htons(65535);
	memcpy(seg, &th, sizeof(th));
	if (olen)
		memcpy(seg + sizeof(th), opts, olen);
	if (dlen)
		memcpy(seg + sizeof(th) + olen, data, dlen);
	size_t len = sizeof(th) + olen + dlen;
	uint16_t c = csum6(&s, &d, IPPROTO_TCP, seg, len);
	memcpy(seg + 16, &c, 2);
	return ip6_frame(buf, &s, &d, IPPROTO_TCP, seg, len);
}

/* A frame the stack sent: IPv6 from OUR_G to PEER_G at PEER_MAC, payload
 * length the rest of the frame, nexthdr nh, its checksum right. */
struct rx6 {
	struct sk_buff *skb;
	struct ipv6hdr ip6;
	const uint8_t *l4;
	size_t l4len;
};
static void pop6(struct net_device *dev, struct rx6 *rx, uint8_t nh)
{
	struct in6_addr s = OUR_G, d = PEER_G;

	rx->skb = memdev_pop(dev);
	assert_non_null(rx->skb);
	assert_true(rx->skb->len >= ETH_HLEN + 40);
	const struct ethhdr *eth = (const struct ethhdr *)rx->skb->data;
	assert_memory_equal(eth->h_dest, PEER_MAC, 6);
	assert_int_equal(ntohs(eth->h_proto), ETH_P_IPV6);
	memcpy(&rx->ip6, rx->skb->data + ETH_HLEN, 40);
	assert_int_equal(ntohl(rx->ip6.ver_tc_flow) >> 28, 6);
	assert_memory_equal(&rx->ip6.saddr, &s, 16);
	assert_memory_equal(&rx->ip6.daddr, &d, 16);
	assert_int_equal(rx->ip6.nexthdr, nh);
	rx->l4 = rx->skb->data + ETH_HLEN + 40;
	rx->l4len = rx->skb->len - ETH_HLEN - 40;
	assert_int_equal(ntohs(rx->ip6.payload_len), rx->l4len);
	/* Over the IPv6 pseudo-header (RFC 8200 §8.1): 0 when right. */
	assert_int_equal(csum6(&s, &d, nh, rx->l4, rx->l4len), 0);
}
static void rx6_free(struct rx6 *rx) { kfree_skb(rx->skb); }

static struct tcphdr rx_tcp(const struct rx6 *rx)
{
	struct tcphdr th;
	assert_true(rx->l4len >= sizeof(th));
	memcpy(&th, rx->l4, sizeof(th));
	return th;
}

/* The MSS option of a SYN or SYN-ACK, 0 if none. */
static unsigned int rx_mss(const struct rx6 *rx)
{
	const uint8_t *o = rx->l4 + 20, *end = rx->l4 + ((rx->l4[12] >> 4) * 4u);
	while (o < end && *o) {
		if (*o == 1) {
			o++;
			continue;
		}
		if (o + 1 >= end || o[1] < 2)
			break;
		if (o[0] == 2 && o[1] == 4)
			return (unsigned int)(o[2] << 8 | o[3]);
		o += o[1];
	}
	return 0;
}

/* A stack with IPv6 up (link-local and 2001:db8::2/64 through DAD) and
 * PEER_G at PEER_MAC in the neighbour cache (taught by an NS from it). */
static struct env *env6_new(void)
{
	struct env *e = env_new(1500, true);
	struct in6_addr g = OUR_G, src = PEER_G, sn;
	uint8_t ns[32] = { NDISC_NEIGHBOUR_SOLICITATION }, mac[6];
	size_t n;

	assert_int_equal(addrconf_dev_up(e->dev), 0);
	assert_int_equal(addrconf_add_static(e->dev, &g, 64), 0);
	run_until(&e->net, e->net.now + 3 * SEC);
	assert_int_equal(ipv6_get_ifaddr(&e->net, &g)->state, IFA6_PREFERRED);
	drain(e->dev);
	memcpy(ns + 8, &g, 16);
	ns[24] = ND_OPT_SOURCE_LL_ADDR;
	ns[25] = 1;
	memcpy(ns + 26, PEER_MAC, 6);
	addrconf_addr_solict_mult(&g, &sn);
	ipv6_eth_mc_map(&sn, mac);
	uint8_t m[32];
	memcpy(m, ns, sizeof(m));
	uint16_t c = csum6(&src, &sn, NEXTHDR_ICMP, m, sizeof(m));
	memcpy(m + 2, &c, 2);
	n = ip6_frame(f, &src, &sn, NEXTHDR_ICMP, m, sizeof(m));
	memcpy(f, mac, 6);
	f[ETH_HLEN + 7] = 255;	/* NDP's hop limit */
	memdev_inject(e->dev, f, n);
	assert_int_equal(drain(e->dev), 1);	/* the NA */
	return e;
}

static int setup6(void **state)
{
	*state = env6_new();
	return 0;
}

static struct socket *sock6(struct env *e, int type, int proto, const char *addr, uint16_t port,
			    bool v6only)
{
	struct socket *s;
	union inet_sockaddr sa;

	assert_int_equal(sock_create(&e->net, type, proto, &s), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin6.sin6_family = AF_INET6;
	sa.sin6.sin6_port = htons(port);
	sa.sin6.sin6_addr = a6(addr);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_V6ONLY, v6only), 0);
	assert_int_equal(s->ops->bind(s, &sa), 0);
	return s;
}

static const uint8_t SYN_MSS1460[4] = { 2, 4, 0x05, 0xb4 };

/* ---- TCP ------------------------------------------------------------------ */

static void test_syn_synack(void **state)
{
	struct env *e = *state;
	struct socket *l = sock6(e, SOCK_STREAM, IPPROTO_TCP, "::", 80, false), *a = NULL;
	struct rx6 rx;
	struct tcphdr th;
	union inet_sockaddr n;
	struct in6_addr peer = PEER_G, ours = OUR_G;

	assert_int_equal(l->ops->listen(l, 4), 0);
	memdev_inject(e->dev, f, tcp6_frame(f, 40000, 80, 1000, 0, TH_SYN, SYN_MSS1460, 4, NULL, 0));
	pop6(e->dev, &rx, IPPROTO_TCP);
	th = rx_tcp(&rx);
	assert_int_equal(th.flags, TH_SYN | TH_ACK);
	assert_int_equal(ntohs(th.source), 80);
	assert_int_equal(ntohs(th.dest), 40000);
	assert_int_equal(ntohl(th.ack_seq), 1001);
	/* MTU 1500 - 40 (IPv6) - 20 (TCP). */
	assert_int_equal(rx_mss(&rx), 1440);
	uint32_t iss = ntohl(th.seq);
	rx6_free(&rx);
	assert_int_equal(memdev_pending(e->dev), 0);
	/* The handshake's ACK, then data: the child is an IPv6 connection. */
	memdev_inject(e->dev, f, tcp6_frame(f, 40000, 80, 1001, iss + 1, TH_ACK, NULL, 0, NULL, 0));
	assert_int_equal(l->ops->accept(l, &a), 0);
	assert_int_equal(a->sk->sk_family, AF_INET6);
	assert_int_equal(a->ops->getname(a, &n, true), 0);
	assert_int_equal(n.sa.sa_family, AF_INET6);
	assert_memory_equal(&n.sin6.sin6_addr, &peer, 16);
	assert_int_equal(ntohs(n.sin6.sin6_port), 40000);
	assert_int_equal(a->ops->getname(a, &n, false), 0);
	assert_memory_equal(&n.sin6.sin6_addr, &ours, 16);
	assert_int_equal(ntohs(n.sin6.sin6_port), 80);
	memdev_inject(e->dev, f, tcp6_frame(f, 40000, 80, 1001, iss + 1, TH_ACK | TH_PSH, NULL, 0, "hello", 5));
	char buf[16];
	assert_int_equal(sock_recv(a, buf, sizeof(buf), 0, NULL), 5);
	assert_memory_equal(buf, "hello", 5);
	sock_release(a);
	drain(e->dev);
	sock_release(l);
	drain(e->dev);
}

static void test_rst_closed_port(void **state)
{
	struct env *e = *state;
	struct rx6 rx;
	struct tcphdr th;
	uint64_t nosock = e->net.tcpstats.InNoSocket, rsts = e->net.tcpstats.OutRsts;

	memdev_inject(e->dev, f, tcp6_frame(f, 40001, 81, 5000, 0, TH_SYN, SYN_MSS1460, 4, NULL, 0));
	pop6(e->dev, &rx, IPPROTO_TCP);
	th = rx_tcp(&rx);
	assert_int_equal(th.flags, TH_RST | TH_ACK);
	assert_int_equal(ntohs(th.source), 81);
	assert_int_equal(ntohs(th.dest), 40001);
	assert_int_equal(ntohl(th.seq), 0);
	assert_int_equal(ntohl(th.ack_seq), 5001);
	assert_int_equal(rx.l4len, 20);
	rx6_free(&rx);
	/* An ACK gets a RST with its ack number as sequence, no ACK bit. */
	memdev_inject(e->dev, f, tcp6_frame(f, 40001, 81, 5000, 777, TH_ACK, NULL, 0, NULL, 0));
	pop6(e->dev, &rx, IPPROTO_TCP);
	th = rx_tcp(&rx);
	assert_int_equal(th.flags, TH_RST);
	assert_int_equal(ntohl(th.seq), 777);
	rx6_free(&rx);
	/* A RST is never answered. */
	memdev_inject(e->dev, f, tcp6_frame(f, 40001, 81, 5000, 0, TH_RST, NULL, 0, NULL, 0));
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.tcpstats.InNoSocket - nosock, 3);
	assert_int_equal(e->net.tcpstats.OutRsts - rsts, 2);
}

static void test_bad_checksum(void **state)
{
	struct env *e = *state;
	struct socket *l = sock6(e, SOCK_STREAM, IPPROTO_TCP, "::", 80, true);
	struct tcpstats st = e->net.tcpstats;
	size_t n;

	assert_int_equal(l->ops->listen(l, 4), 0);
	n = tcp6_frame(f, 40002, 80, 1000, 0, TH_SYN, SYN_MSS1460, 4, NULL, 0);
	f[n - 1] ^= 0x40;	/* a bit of the option flips: the sum is wrong */
	memdev_inject(e->dev, f, n);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.tcpstats.InCsumErrors - st.InCsumErrors, 1);
	assert_int_equal(e->net.tcpstats.InErrs - st.InErrs, 1);
	assert_int_equal(e->net.tcpstats.PassiveOpens, st.PassiveOpens);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 0);
	/* The device vouching for it (offload) skips the check, as for IPv4. */
	struct sk_buff *skb = alloc_skb((unsigned int)n + 64);
	skb_reserve(skb, 2);
	memcpy(skb_put(skb, (unsigned int)n), f, n);
	skb->dev = e->dev;
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	netif_receive_skb(skb);
	assert_int_equal(e->net.tcpstats.InCsumErrors - st.InCsumErrors, 1);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 1);
	drain(e->dev);
	sock_release(l);
	drain(e->dev);
}

/* connect6: an active open to PEER_G:port; returns the SYN's ISN. */
static struct socket *connect6(struct env *e, uint16_t port, uint32_t *iss, uint16_t *lport)
{
	struct socket *s;
	union inet_sockaddr sa;
	struct rx6 rx;
	struct tcphdr th;

	assert_int_equal(sock_create(&e->net, SOCK_STREAM, IPPROTO_TCP, &s), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin6.sin6_family = AF_INET6;
	sa.sin6.sin6_port = htons(port);
	sa.sin6.sin6_addr = PEER_G;
	assert_int_equal(s->ops->connect(s, &sa), -EINPROGRESS);
	pop6(e->dev, &rx, IPPROTO_TCP);
	th = rx_tcp(&rx);
	assert_int_equal(th.flags, TH_SYN);
	assert_int_equal(ntohs(th.dest), port);
	assert_int_equal(rx_mss(&rx), 1440);
	*iss = ntohl(th.seq);
	*lport = ntohs(th.source);
	rx6_free(&rx);
	return s;
}

static void test_connect_and_send(void **state)
{
	struct env *e = *state;
	uint32_t iss;
	uint16_t lport;
	struct socket *s = connect6(e, 80, &iss, &lport);
	static uint8_t data[4000];
	struct sockmsg m;
	struct rx6 rx;
	struct tcphdr th;
	const uint8_t opts[8] = { 2, 4, 0x05, 0xa0, 1, 1, 1, 0 };	/* MSS 1440, no TS */

	memdev_inject(e->dev, f, tcp6_frame(f, 80, lport, 9000, iss + 1, TH_SYN | TH_ACK, opts, 8, NULL, 0));
	assert_int_equal(s->state, SS_CONNECTED);
	pop6(e->dev, &rx, IPPROTO_TCP);
	th = rx_tcp(&rx);
	assert_int_equal(th.flags, TH_ACK);
	assert_int_equal(ntohl(th.ack_seq), 9001);
	rx6_free(&rx);
	/* 4000 bytes: one GSO frame cut in software (memdev has no TSO)
	 * into 1440 + 1440 + 1120, each with its own IPv6 checksum. */
	fill_pattern(data, sizeof(data), 3);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_NODELAY, 1), 0);	/* the tail too, at once */
	memset(&m, 0, sizeof(m));
	m.data = data;
	assert_int_equal(s->ops->sendmsg(s, &m, sizeof(data)), (long)sizeof(data));
	size_t want[3] = { 1440, 1440, 1120 }, off = 0;
	for (int i = 0; i < 3; i++) {
		pop6(e->dev, &rx, IPPROTO_TCP);
		th = rx_tcp(&rx);
		assert_int_equal(ntohl(th.seq), iss + 1 + off);
		assert_int_equal(rx.l4len - 20, want[i]);
		assert_memory_equal(rx.l4 + 20, data + off, want[i]);
		off += want[i];
		rx6_free(&rx);
	}
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->dev->stats.GsoSegments, 3);
	sock_release(s);
	drain(e->dev);
}

/* icmp6_err_frame_ext: an ICMPv6 error from PEER_G quoting a packet of
 * ours: the IPv6 header (next header nh), ext (extlen bytes of extension
 * headers, their own next header bytes as the test wrote them), then
 * l4len bytes of an upper-layer header with these ports and sequence
 * number (l4len at most 8: a quote cut short). */
static size_t icmp6_err_frame_ext(uint8_t *buf, uint8_t type, uint8_t code, uint32_t info,
				  uint8_t nh, const void *ext, size_t extlen, size_t l4len,
				  uint16_t sport, uint16_t dport, uint32_t seq)
{
	uint8_t m[8 + 40 + 256 + 8], l4[8];
	struct ipv6hdr ip6;
	struct in6_addr s = PEER_G, d = OUR_G;
	size_t len = 8 + 40 + extlen + l4len;

	assert_true(extlen <= 256 && l4len <= 8);
	memset(m, 0, sizeof(m));
	m[0] = type;
	m[1] = code;
	info = htonl(info);
	memcpy(m + 4, &info, 4);
	memset(&ip6, 0, sizeof(ip6));
	ip6.ver_tc_flow = htonl(6u << 28);
	ip6.payload_len = htons((uint16_t)(extlen + 20));
	ip6.nexthdr = nh;
	ip6.hop_limit = 64;
	ip6.saddr = d;
	ip6.daddr = s;
	memcpy(m + 8, &ip6, 40);
	if (extlen)
		memcpy(m + 48, ext, extlen);
	sport = htons(sport);
	dport = htons(dport);
	seq = htonl(seq);
	memcpy(l4, &sport, 2);
	memcpy(l4 + 2, &dport, 2);
	memcpy(l4 + 4, &seq, 4);
	memcpy(m + 48 + extlen, l4, l4len);
	uint16_t c = csum6(&s, &d, NEXTHDR_ICMP, m, len);
	memcpy(m + 2, &c, 2);
	return ip6_frame(buf, &s, &d, NEXTHDR_ICMP, m, len);
}

/* icmp6_err_frame: the same with the upper-layer header straight after
 * the IPv6 header. */
static size_t icmp6_err_frame(uint8_t *buf, uint8_t type, uint8_t code, uint32_t info,
			      uint8_t nh, uint16_t sport, uint16_t dport, uint32_t seq)
{
	return icmp6_err_frame_ext(buf, type, code, info, nh, NULL, 0, 8, sport, dport, seq);
}

static void test_icmp6_errors_to_connect(void **state)
{
	struct env *e = *state;
	uint32_t iss;
	uint16_t lport;
	struct socket *s = connect6(e, 80, &iss, &lport);

	/* A quote of something not in flight is not believed. */
	memdev_inject(e->dev, f, icmp6_err_frame(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0,
						 IPPROTO_TCP, lport, 80, iss + 100));
	assert_int_equal(s->sk->sk_state, TCP_SYN_SENT);
	memdev_inject(e->dev, f, icmp6_err_frame(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0,
						 IPPROTO_TCP, lport, 80, iss));
	assert_int_equal(s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(sock_error(s->sk), -ECONNREFUSED);
	sock_release(s);
	drain(e->dev);

	s = connect6(e, 81, &iss, &lport);
	memdev_inject(e->dev, f, icmp6_err_frame(f, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0,
						 IPPROTO_TCP, lport, 81, iss));
	assert_int_equal(sock_error(s->sk), -EHOSTUNREACH);
	sock_release(s);
	drain(e->dev);
}

/* The quoted packet's extension headers are walked to its TCP or UDP
 * header: a destination-options header, then hop-by-hop + routing +
 * a first fragment; a later fragment (no ports), a header running past
 * the quote, a chain cut before the ports, too long a chain: no error. */
static void test_icmp6_errors_ext_quote(void **state)
{
	struct env *e = *state;
	uint32_t iss;
	uint16_t lport;
	struct socket *s = connect6(e, 80, &iss, &lport);
	uint8_t ext[256];

	/* Destination options, 8 bytes: PadN of 4 after the two-byte head. */
	memset(ext, 0, sizeof(ext));
	ext[0] = IPPROTO_TCP;
	ext[1] = 0;
	ext[2] = 1, ext[3] = 4;
	/* Cut: the header says 16 bytes, the quote holds 8 and the ports. */
	ext[1] = 1;
	memdev_inject(e->dev, f, icmp6_err_frame_ext(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0,
						     NEXTHDR_DEST, ext, 8, 8, lport, 80, iss));
	assert_int_equal(s->sk->sk_state, TCP_SYN_SENT);
	/* Whole, but the ports cut to 4 bytes: TCP needs 8. */
	ext[1] = 0;
	memdev_inject(e->dev, f, icmp6_err_frame_ext(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0,
						     NEXTHDR_DEST, ext, 8, 4, lport, 80, iss));
	assert_int_equal(s->sk->sk_state, TCP_SYN_SENT);
	/* Nine destination headers in a row: more than any packet has. */
	for (int i = 0; i < 9; i++) {
		memset(ext + 8 * i, 0, 8);
		ext[8 * i] = i < 8 ? NEXTHDR_DEST : IPPROTO_TCP;
	}
	memdev_inject(e->dev, f, icmp6_err_frame_ext(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0,
						     NEXTHDR_DEST, ext, 72, 8, lport, 80, iss));
	assert_int_equal(s->sk->sk_state, TCP_SYN_SENT);
	/* The good one. */
	memset(ext, 0, 8);
	ext[0] = IPPROTO_TCP;
	ext[2] = 1, ext[3] = 4;
	memdev_inject(e->dev, f, icmp6_err_frame_ext(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0,
						     NEXTHDR_DEST, ext, 8, 8, lport, 80, iss));
	assert_int_equal(s->sk->sk_state, TCP_CLOSED);
	assert_int_equal(sock_error(s->sk), -ECONNREFUSED);
	sock_release(s);
	drain(e->dev);

	/* UDP behind hop-by-hop (8), routing (8, none left) and a fragment. */
	struct socket *u;
	union inet_sockaddr sa;
	char buf[4];
	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_UDP, &u), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin6.sin6_family = AF_INET6;
	sa.sin6.sin6_addr = PEER_G;
	sa.sin6.sin6_port = htons(9);
	assert_int_equal(u->ops->connect(u, &sa), 0);
	assert_int_equal(u->ops->getname(u, &sa, false), 0);
	uint16_t up = ntohs(sa.sin6.sin6_port);
	memset(ext, 0, 24);
	ext[0] = NEXTHDR_ROUTING;		/* hop-by-hop: PadN 4 */
	ext[2] = 1, ext[3] = 4;
	ext[8] = NEXTHDR_FRAGMENT;		/* routing: type 4, 0 segments left */
	ext[10] = 4;
	ext[16] = IPPROTO_UDP;			/* fragment */
	ext[18] = 0x05, ext[19] = 0x39;		/* offset 0x538 << 3 ... and M: not the first */
	memdev_inject(e->dev, f, icmp6_err_frame_ext(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0,
						     NEXTHDR_HOP, ext, 24, 8, up, 9, 0));
	assert_int_equal(sock_recv(u, buf, sizeof(buf), MSG_DONTWAIT, NULL), -EAGAIN);
	ext[18] = 0, ext[19] = 1;		/* offset 0, M: the first fragment */
	memdev_inject(e->dev, f, icmp6_err_frame_ext(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0,
						     NEXTHDR_HOP, ext, 24, 8, up, 9, 0));
	assert_int_equal(sock_recv(u, buf, sizeof(buf), MSG_DONTWAIT, NULL), -ECONNREFUSED);
	sock_release(u);
}

static void test_dual_listener_v4(void **state)
{
	struct env *e = *state;
	struct socket *l = sock6(e, SOCK_STREAM, IPPROTO_TCP, "::", 80, false), *a = NULL;
	struct rx rx;
	const struct tcphdr *th;
	union inet_sockaddr n;

	assert_int_equal(l->ops->listen(l, 4), 0);
	assert_int_equal(l->ops->getname(l, &n, false), 0);
	assert_int_equal(n.sa.sa_family, AF_INET6);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 40003, OUR_IP, 80, 100, 0, TH_SYN, 65535,
					   SYN_MSS1460, 4, NULL, 0));
	pop_ipv4(e->dev, PEER_MAC, &rx);
	th = (const struct tcphdr *)rx.l4;
	assert_int_equal(th->flags, TH_SYN | TH_ACK);
	uint32_t iss = ntohl(th->seq);
	/* IPv4's MSS: 1500 - 40. */
	assert_int_equal(rx.l4[22] << 8 | rx.l4[23], 1460);
	rx_free(&rx);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 40003, OUR_IP, 80, 101, iss + 1, TH_ACK, 65535,
					   NULL, 0, NULL, 0));
	assert_int_equal(l->ops->accept(l, &a), 0);
	assert_int_equal(a->sk->sk_family, AF_INET);
	assert_int_equal(a->ops->getname(a, &n, true), 0);
	assert_int_equal(n.sa.sa_family, AF_INET);
	assert_int_equal(n.sin.sin_addr.s_addr, PEER_IP);
	sock_release(a);
	drain(e->dev);
	sock_release(l);

	/* IPv6 only: the IPv4 SYN meets no listener, and a RST. */
	l = sock6(e, SOCK_STREAM, IPPROTO_TCP, "::", 80, true);
	assert_int_equal(l->ops->listen(l, 4), 0);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 40004, OUR_IP, 80, 100, 0, TH_SYN, 65535,
					   SYN_MSS1460, 4, NULL, 0));
	pop_ipv4(e->dev, PEER_MAC, &rx);
	assert_int_equal(((const struct tcphdr *)rx.l4)->flags, TH_RST | TH_ACK);
	rx_free(&rx);
	sock_release(l);
	drain(e->dev);
}

/* ---- UDP ------------------------------------------------------------------ */

static size_t udp6_frame(uint8_t *buf, uint16_t sport, uint16_t dport, const void *data, size_t dlen,
			 bool zero_csum)
{
	uint8_t m[2048];
	struct in6_addr s = PEER_G, d = OUR_G;
	uint16_t v = htons(sport), w = htons(dport), l = htons((uint16_t)(8 + dlen)), c = 0;

	memcpy(m, &v, 2);
	memcpy(m + 2, &w, 2);
	memcpy(m + 4, &l, 2);
	memcpy(m + 6, &c, 2);
	memcpy(m + 8, data, dlen);
	if (!zero_csum) {
		c = csum6(&s, &d, IPPROTO_UDP, m, 8 + dlen);
		memcpy(m + 6, &c, 2);
	}
	return ip6_frame(buf, &s, &d, IPPROTO_UDP, m, 8 + dlen);
}

static void test_udp6_in_out(void **state)
{
	struct env *e = *state;
	struct socket *s = sock6(e, SOCK_DGRAM, IPPROTO_UDP, "::", 5000, false);
	struct in6_addr peer = PEER_G, ours = OUR_G;
	struct sockmsg m;
	struct rx6 rx;
	char buf[32];
	uint64_t in0 = e->net.udpstats.InDatagrams;

	memdev_inject(e->dev, f, udp6_frame(f, 7000, 5000, "ping6", 5, false));
	assert_int_equal(e->net.udpstats.InDatagrams - in0, 1);
	memset(&m, 0, sizeof(m));
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, &m), 5);
	assert_memory_equal(buf, "ping6", 5);
	assert_int_equal(m.name.sa.sa_family, AF_INET6);
	assert_memory_equal(&m.name.sin6.sin6_addr, &peer, 16);
	assert_int_equal(ntohs(m.name.sin6.sin6_port), 7000);
	assert_memory_equal(&m.local6, &ours, 16);
	/* The answer: from OUR_G, a checksum over the IPv6 pseudo-header. */
	memset(&m, 0, sizeof(m));
	m.has_name = true;
	m.name.sin6.sin6_family = AF_INET6;
	m.name.sin6.sin6_addr = peer;
	m.name.sin6.sin6_port = htons(7000);
	m.data = "pong6";
	assert_int_equal(s->ops->sendmsg(s, &m, 5), 5);
	pop6(e->dev, &rx, IPPROTO_UDP);
	assert_int_equal(rx.l4len, 13);
	assert_int_equal(rx.l4[0] << 8 | rx.l4[1], 5000);
	assert_int_equal(rx.l4[2] << 8 | rx.l4[3], 7000);
	assert_int_equal(rx.l4[4] << 8 | rx.l4[5], 13);
	assert_true(rx.l4[6] || rx.l4[7]);
	assert_memory_equal(rx.l4 + 8, "pong6", 5);
	rx6_free(&rx);
	/* The same socket (dual) takes IPv4 too. */
	memdev_inject(e->dev, f, udp_build(f, PEER_MAC, PEER_IP, 7001, OUR_IP, 5000, "v4", 2));
	memset(&m, 0, sizeof(m));
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, &m), 2);
	assert_int_equal(m.name.sa.sa_family, AF_INET);
	assert_int_equal(m.name.sin.sin_addr.s_addr, PEER_IP);
	sock_release(s);
}

static void test_udp6_bad_checksum(void **state)
{
	struct env *e = *state;
	struct socket *s = sock6(e, SOCK_DGRAM, IPPROTO_UDP, "::", 5000, true);
	struct udpstats st = e->net.udpstats;
	char buf[8];
	size_t n = udp6_frame(f, 7000, 5000, "abcd", 4, false);

	f[n - 1] ^= 1;
	memdev_inject(e->dev, f, n);
	/* Zero: "no checksum" is IPv4's only (RFC 8200 §8.1). */
	memdev_inject(e->dev, f, udp6_frame(f, 7000, 5000, "abcd", 4, true));
	assert_int_equal(e->net.udpstats.InCsumErrors - st.InCsumErrors, 2);
	assert_int_equal(e->net.udpstats.InErrors - st.InErrors, 2);
	assert_int_equal(e->net.udpstats.InDatagrams, st.InDatagrams);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), MSG_DONTWAIT, NULL), -EAGAIN);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);
}

static void test_udp6_port_unreachable(void **state)
{
	struct env *e = *state;
	struct rx6 rx;
	uint64_t noports = e->net.udpstats.NoPorts, out = e->net.ipv6.icmp6.OutDestUnreachs;
	size_t n = udp6_frame(f, 7000, 5001, "closed", 6, false);

	memdev_inject(e->dev, f, n);
	pop6(e->dev, &rx, NEXTHDR_ICMP);
	assert_int_equal(rx.l4[0], ICMPV6_DEST_UNREACH);
	assert_int_equal(rx.l4[1], ICMPV6_PORT_UNREACH);
	/* The quote: the whole datagram, from its IPv6 header on. */
	assert_int_equal(rx.l4len, 8 + n - ETH_HLEN);
	assert_memory_equal(rx.l4 + 8, f + ETH_HLEN, n - ETH_HLEN);
	rx6_free(&rx);
	assert_int_equal(e->net.udpstats.NoPorts - noports, 1);
	assert_int_equal(e->net.ipv6.icmp6.OutDestUnreachs - out, 1);

	/* And a connected socket hears of the one the peer sends. */
	struct socket *s;
	union inet_sockaddr sa;
	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_UDP, &s), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin6.sin6_family = AF_INET6;
	sa.sin6.sin6_addr = PEER_G;
	sa.sin6.sin6_port = htons(9);
	assert_int_equal(s->ops->connect(s, &sa), 0);
	assert_int_equal(s->ops->getname(s, &sa, false), 0);
	memdev_inject(e->dev, f, icmp6_err_frame(f, ICMPV6_DEST_UNREACH, ICMPV6_PORT_UNREACH, 0,
						 IPPROTO_UDP, ntohs(sa.sin6.sin6_port), 9, 0));
	char buf[4];
	assert_int_equal(sock_recv(s, buf, sizeof(buf), MSG_DONTWAIT, NULL), -ECONNREFUSED);
	sock_release(s);
}

/* A TCPv6 super-frame from the kernel (vnet header: NEEDS_CSUM, GSO
 * TCPV6) goes up whole, its checksum vouched for; IPv4's GSO kind on an
 * IPv6 frame is refused and counted. */
static void test_vnet_gso6(void **state)
{
	struct env *e = *state;
	struct socket *l = sock6(e, SOCK_STREAM, IPPROTO_TCP, "::", 80, true), *a = NULL;
	struct rx6 rx;
	static uint8_t data[3000];
	static uint8_t buf[4000];
	struct virtio_net_hdr h;

	assert_int_equal(l->ops->listen(l, 4), 0);
	memdev_inject(e->dev, f, tcp6_frame(f, 40020, 80, 100, 0, TH_SYN, SYN_MSS1460, 4, NULL, 0));
	pop6(e->dev, &rx, IPPROTO_TCP);
	uint32_t iss = ntohl(rx_tcp(&rx).seq);
	rx6_free(&rx);
	memdev_inject(e->dev, f, tcp6_frame(f, 40020, 80, 101, iss + 1, TH_ACK, NULL, 0, NULL, 0));
	assert_int_equal(l->ops->accept(l, &a), 0);
	fill_pattern(data, sizeof(data), 9);
	size_t n = tcp6_frame(f, 40020, 80, 101, iss + 1, TH_ACK, NULL, 0, data, sizeof(data));
	memset(f + ETH_HLEN + 40 + 16, 0x5a, 2);	/* a checksum no one computed: the kernel vouches */
	memset(&h, 0, sizeof(h));
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = htole16(1440);
	h.csum_start = htole16(ETH_HLEN + 40);
	h.csum_offset = htole16(16);
	uint64_t bad = e->dev->stats.RxBadGso, gso = e->dev->stats.RxGsoFrames;
	memdev_inject_vnet(e->dev, &h, sizeof(h), f, n);
	assert_int_equal(e->dev->stats.RxBadGso - bad, 1);	/* IPv4's kind: refused */
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	memdev_inject_vnet(e->dev, &h, sizeof(h), f, n);
	assert_int_equal(e->dev->stats.RxGsoFrames - gso, 1);
	assert_int_equal(sock_recv(a, buf, sizeof(buf), 0, NULL), (long)sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	assert_int_equal(e->net.tcpstats.InCsumErrors, 0);
	sock_release(a);
	drain(e->dev);
	sock_release(l);
	drain(e->dev);
}

/* SYN cookies over IPv6: mode 2 (always), the SYN-ACK's sequence number
 * is the cookie and nothing is kept; the ACK that brings it back makes
 * the connection, a forged one gets a RST. */
static void test_syncookies6(void **state)
{
	struct env *e = *state;
	struct socket *l = sock6(e, SOCK_STREAM, IPPROTO_TCP, "::", 80, true), *a = NULL;
	struct rx6 rx;
	struct tcphdr th;
	const uint8_t opts[8] = { 2, 4, 0x05, 0xa0, 1, 1, 1, 0 };	/* MSS 1440 */
	uint64_t sent = e->net.tcpstats.SyncookiesSent, recv = e->net.tcpstats.SyncookiesRecv;

	e->net.syncookies.mode = 2;
	assert_int_equal(l->ops->listen(l, 4), 0);
	memdev_inject(e->dev, f, tcp6_frame(f, 40010, 80, 5000, 0, TH_SYN, opts, 8, NULL, 0));
	pop6(e->dev, &rx, IPPROTO_TCP);
	th = rx_tcp(&rx);
	assert_int_equal(th.flags, TH_SYN | TH_ACK);
	assert_int_equal(ntohl(th.ack_seq), 5001);
	assert_int_equal(rx_mss(&rx), 1440);
	uint32_t cookie = ntohl(th.seq);
	rx6_free(&rx);
	assert_int_equal(e->net.tcpstats.SyncookiesSent - sent, 1);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 0);	/* nothing kept */
	/* A forged cookie: RST, no connection. */
	memdev_inject(e->dev, f, tcp6_frame(f, 40010, 80, 5001, cookie + 2, TH_ACK, NULL, 0, NULL, 0));
	pop6(e->dev, &rx, IPPROTO_TCP);
	assert_int_equal(rx_tcp(&rx).flags, TH_RST);
	rx6_free(&rx);
	assert_int_equal(l->ops->accept(l, &a), -EAGAIN);
	/* The real one: the connection, from the ACK alone. */
	memdev_inject(e->dev, f, tcp6_frame(f, 40010, 80, 5001, cookie + 1, TH_ACK | TH_PSH, NULL, 0, "c6", 2));
	assert_int_equal(e->net.tcpstats.SyncookiesRecv - recv, 1);
	assert_int_equal(l->ops->accept(l, &a), 0);
	assert_int_equal(a->sk->sk_family, AF_INET6);
	char buf[4];
	assert_int_equal(sock_recv(a, buf, sizeof(buf), 0, NULL), 2);
	assert_memory_equal(buf, "c6", 2);
	sock_release(a);
	drain(e->dev);
	sock_release(l);
	drain(e->dev);
}

/* ---- Traffic class ------------------------------------------------------ */

static unsigned int rx_tclass(const struct rx6 *rx)
{
	return (ntohl(rx->ip6.ver_tc_flow) >> 20) & 0xff;
}

/* A socket's tos is the traffic class of what it sends over IPv6, as it
 * is IPv4's tos byte: a listener's SYN-ACK, its child's data, an active
 * open's SYN, a UDP datagram, an echo request.  The flow label stays 0. */
static void test_tclass(void **state)
{
	struct env *e = *state;
	struct socket *l = sock6(e, SOCK_STREAM, IPPROTO_TCP, "::", 80, true), *a = NULL, *s;
	struct in6_addr peer = PEER_G;
	union inet_sockaddr sa;
	struct sockmsg m;
	struct rx6 rx;

	assert_int_equal(l->ops->setsockopt(l, SOCKOPT_TOS, 0xb8), 0);	/* EF */
	assert_int_equal(l->ops->listen(l, 4), 0);
	memdev_inject(e->dev, f, tcp6_frame(f, 40030, 80, 1000, 0, TH_SYN, SYN_MSS1460, 4, NULL, 0));
	pop6(e->dev, &rx, IPPROTO_TCP);
	assert_int_equal(rx_tcp(&rx).flags, TH_SYN | TH_ACK);
	assert_int_equal(rx_tclass(&rx), 0xb8);
	assert_int_equal(ntohl(rx.ip6.ver_tc_flow) & 0xfffff, 0);
	uint32_t iss = ntohl(rx_tcp(&rx).seq);
	rx6_free(&rx);
	memdev_inject(e->dev, f, tcp6_frame(f, 40030, 80, 1001, iss + 1, TH_ACK, NULL, 0, NULL, 0));
	assert_int_equal(l->ops->accept(l, &a), 0);
	memset(&m, 0, sizeof(m));
	m.data = "tc";
	assert_int_equal(a->ops->sendmsg(a, &m, 2), 2);
	pop6(e->dev, &rx, IPPROTO_TCP);
	assert_int_equal(rx.l4len, 22);
	assert_int_equal(rx_tclass(&rx), 0xb8);	/* the child's, from the listener */
	rx6_free(&rx);
	sock_release(a);
	drain(e->dev);
	sock_release(l);
	drain(e->dev);

	assert_int_equal(sock_create(&e->net, SOCK_STREAM, IPPROTO_TCP, &s), 0);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TOS, 0x28), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin6.sin6_family = AF_INET6;
	sa.sin6.sin6_port = htons(80);
	sa.sin6.sin6_addr = peer;
	assert_int_equal(s->ops->connect(s, &sa), -EINPROGRESS);
	pop6(e->dev, &rx, IPPROTO_TCP);
	assert_int_equal(rx_tcp(&rx).flags, TH_SYN);
	assert_int_equal(rx_tclass(&rx), 0x28);
	rx6_free(&rx);
	sock_release(s);
	drain(e->dev);

	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_UDP, &s), 0);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TOS, 0xff), 0);	/* ECN bits too */
	sa.sin6.sin6_port = htons(7000);
	assert_int_equal(s->ops->connect(s, &sa), 0);
	m.data = "u";
	assert_int_equal(s->ops->sendmsg(s, &m, 1), 1);
	pop6(e->dev, &rx, IPPROTO_UDP);
	assert_int_equal(rx_tclass(&rx), 0xff);
	rx6_free(&rx);
	sock_release(s);

	const uint8_t req[8] = { ICMPV6_ECHO_REQUEST };
	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_ICMPV6, &s), 0);
	assert_int_equal(s->ops->setsockopt(s, SOCKOPT_TOS, 0x20), 0);
	sa.sin6.sin6_port = 0;
	assert_int_equal(s->ops->connect(s, &sa), 0);
	m.data = req;
	assert_int_equal(s->ops->sendmsg(s, &m, sizeof(req)), (long)sizeof(req));
	pop6(e->dev, &rx, NEXTHDR_ICMP);
	assert_int_equal(rx_tclass(&rx), 0x20);
	rx6_free(&rx);
	sock_release(s);
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* ---- To our own addresses ------------------------------------------------ */

/* pump runs the backlog until it is empty (bounded: a loop of packets to
 * ourselves would fail the test, not hang it). */
static void pump(struct env *e)
{
	for (int i = 0; i < 64 && e->net.backlog.qlen; i++)
		net_process_backlog(&e->net);
	assert_int_equal(e->net.backlog.qlen, 0);
}

static struct in6_addr our_linklocal(struct env *e)
{
	struct inet6_dev *idev = e->dev->ip6_ptr;
	for (int i = 0; i < idev->naddr; i++)
		if (ipv6_addr_is_linklocal(&idev->addr[i].addr))
			return idev->addr[i].addr;
	fail_msg("no link-local address");
	return idev->addr[0].addr;
}

/* A connect to our own address (global, then link-local) meets our own
 * listener through the backlog, as IPv4's does: the handshake, bytes
 * both ways, both names the address, and nothing on the device. */
static void test_tcp6_self(void **state)
{
	struct env *e = *state;
	struct in6_addr addrs[2] = { OUR_G, our_linklocal(e) };

	for (int k = 0; k < 2; k++) {
		struct socket *l = sock6(e, SOCK_STREAM, IPPROTO_TCP, "::", 80, true), *c, *a = NULL;
		union inet_sockaddr sa, n;
		struct sockmsg m;
		char buf[16];

		assert_int_equal(l->ops->listen(l, 4), 0);
		assert_int_equal(sock_create(&e->net, SOCK_STREAM, IPPROTO_TCP, &c), 0);
		memset(&sa, 0, sizeof(sa));
		sa.sin6.sin6_family = AF_INET6;
		sa.sin6.sin6_port = htons(80);
		sa.sin6.sin6_addr = addrs[k];
		assert_int_equal(c->ops->connect(c, &sa), -EINPROGRESS);
		assert_int_equal(e->net.backlog.qlen, 1);	/* the SYN, not sent yet */
		pump(e);
		assert_int_equal(c->state, SS_CONNECTED);
		assert_int_equal(l->ops->accept(l, &a), 0);
		assert_int_equal(a->sk->sk_family, AF_INET6);
		assert_int_equal(c->ops->getname(c, &n, false), 0);
		assert_memory_equal(&n.sin6.sin6_addr, &addrs[k], 16);	/* from that address */
		assert_int_equal(a->ops->getname(a, &n, true), 0);
		assert_memory_equal(&n.sin6.sin6_addr, &addrs[k], 16);
		memset(&m, 0, sizeof(m));
		m.data = "to me";
		assert_int_equal(c->ops->sendmsg(c, &m, 5), 5);
		pump(e);
		assert_int_equal(sock_recv(a, buf, sizeof(buf), MSG_DONTWAIT, NULL), 5);
		assert_memory_equal(buf, "to me", 5);
		m.data = "and back";
		assert_int_equal(a->ops->sendmsg(a, &m, 8), 8);
		pump(e);
		assert_int_equal(sock_recv(c, buf, sizeof(buf), MSG_DONTWAIT, NULL), 8);
		assert_memory_equal(buf, "and back", 8);
		assert_int_equal(memdev_pending(e->dev), 0);
		sock_release(c);
		sock_release(a);
		sock_release(l);
		pump(e);
		assert_int_equal(memdev_pending(e->dev), 0);
	}
}

/* UDP to our own address: the datagram reaches our socket, named as
 * from that address; a closed port's unreachable comes back to the
 * sender, connected, as an error. */
static void test_udp6_self(void **state)
{
	struct env *e = *state;
	struct in6_addr addrs[2] = { OUR_G, our_linklocal(e) };

	for (int k = 0; k < 2; k++) {
		struct socket *r = sock6(e, SOCK_DGRAM, IPPROTO_UDP, "::", 5000, true), *s;
		union inet_sockaddr sa;
		struct sockmsg m;
		char buf[16];

		assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_UDP, &s), 0);
		memset(&sa, 0, sizeof(sa));
		sa.sin6.sin6_family = AF_INET6;
		sa.sin6.sin6_port = htons(5000);
		sa.sin6.sin6_addr = addrs[k];
		assert_int_equal(s->ops->connect(s, &sa), 0);
		memset(&m, 0, sizeof(m));
		m.data = "self6";
		assert_int_equal(s->ops->sendmsg(s, &m, 5), 5);
		pump(e);
		memset(&m, 0, sizeof(m));
		assert_int_equal(sock_recv(r, buf, sizeof(buf), MSG_DONTWAIT, &m), 5);
		assert_memory_equal(buf, "self6", 5);
		assert_int_equal(m.name.sa.sa_family, AF_INET6);
		assert_memory_equal(&m.name.sin6.sin6_addr, &addrs[k], 16);
		assert_memory_equal(&m.local6, &addrs[k], 16);
		sock_release(r);
		/* Nobody on the port now: ICMPv6 port unreachable, to us. */
		memset(&m, 0, sizeof(m));
		m.data = "again";
		assert_int_equal(s->ops->sendmsg(s, &m, 5), 5);
		pump(e);
		assert_int_equal(sock_recv(s, buf, sizeof(buf), MSG_DONTWAIT, NULL), -ECONNREFUSED);
		assert_int_equal(memdev_pending(e->dev), 0);
		sock_release(s);
	}
}

/* An echo socket pinging our own address gets its reply. */
static void test_ping6_self(void **state)
{
	struct env *e = *state;
	struct socket *s;
	union inet_sockaddr sa;
	struct sockmsg m;
	struct in6_addr ours = OUR_G;
	const uint8_t req[8] = { ICMPV6_ECHO_REQUEST, 0, 0, 0, 0, 0, 0, 3 };
	uint8_t buf[16];

	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_ICMPV6, &s), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin6.sin6_family = AF_INET6;
	sa.sin6.sin6_addr = ours;
	assert_int_equal(s->ops->connect(s, &sa), 0);
	memset(&m, 0, sizeof(m));
	m.data = req;
	assert_int_equal(s->ops->sendmsg(s, &m, sizeof(req)), (long)sizeof(req));
	pump(e);
	memset(&m, 0, sizeof(m));
	assert_int_equal(sock_recv(s, buf, sizeof(buf), MSG_DONTWAIT, &m), (long)sizeof(req));
	assert_int_equal(buf[0], ICMPV6_ECHO_REPLY);
	assert_int_equal(buf[7], 3);
	assert_memory_equal(&m.name.sin6.sin6_addr, &ours, 16);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(s);
}

/* Only an address in use is ourselves: one still in DAD takes nothing
 * (EADDRNOTAVAIL), one that failed DAD is another node's, and a datagram
 * to it goes to the wire (here, first, the neighbour solicitation). */
static void test_self_dad_states(void **state)
{
	struct env *e = *state;
	struct in6_addr x = a6("2001:db8::5");
	struct socket *s;
	union inet_sockaddr sa;
	struct sockmsg m;

	assert_int_equal(addrconf_add_static(e->dev, &x, 64), 0);
	assert_int_equal(ipv6_get_ifaddr(&e->net, &x)->state, IFA6_TENTATIVE);
	drain(e->dev);
	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_UDP, &s), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin6.sin6_family = AF_INET6;
	sa.sin6.sin6_port = htons(9);
	sa.sin6.sin6_addr = x;
	memset(&m, 0, sizeof(m));
	m.has_name = true;
	m.name = sa;
	m.data = "x";
	assert_int_equal(s->ops->sendmsg(s, &m, 1), -EADDRNOTAVAIL);
	assert_int_equal(e->net.backlog.qlen, 0);
	ipv6_get_ifaddr(&e->net, &x)->state = IFA6_DADFAILED;
	assert_int_equal(s->ops->sendmsg(s, &m, 1), 1);
	assert_int_equal(e->net.backlog.qlen, 0);
	assert_true(memdev_pending(e->dev) >= 1);	/* the NS for it */
	drain(e->dev);
	sock_release(s);
}

/* Our own source from the wire is forged: dropped, as IPv4 drops it. */
static void test_own_source_from_wire(void **state)
{
	struct env *e = *state;
	struct socket *l = sock6(e, SOCK_STREAM, IPPROTO_TCP, "::", 80, true);
	struct in6_addr ours = OUR_G;
	uint64_t martians = e->net.ipv6.stats.InMartians;
	uint8_t seg[24] = { 0 };

	assert_int_equal(l->ops->listen(l, 4), 0);
	seg[0] = 40000 >> 8, seg[1] = 40000 & 0xff, seg[3] = 80;
	seg[12] = 6 << 4;
	seg[13] = TH_SYN;
	seg[14] = 0xff, seg[15] = 0xff;
	memcpy(seg + 20, SYN_MSS1460, 4);
	uint16_t c = csum6(&ours, &ours, IPPROTO_TCP, seg, sizeof(seg));
	memcpy(seg + 16, &c, 2);
	memdev_inject(e->dev, f, ip6_frame(f, &ours, &ours, IPPROTO_TCP, seg, sizeof(seg)));
	assert_int_equal(e->net.ipv6.stats.InMartians - martians, 1);
	assert_int_equal(tcp_sk(l->sk)->syn_pending, 0);
	assert_int_equal(e->net.backlog.qlen, 0);
	assert_int_equal(memdev_pending(e->dev), 0);
	sock_release(l);
}

/* ---- ICMPv6 echo sockets ---------------------------------------------------- */

static void test_ping6_socket(void **state)
{
	struct env *e = *state;
	struct socket *s;
	union inet_sockaddr sa;
	struct sockmsg m;
	struct rx6 rx;
	struct in6_addr peer = PEER_G, ours = OUR_G;
	const uint8_t req[12] = { ICMPV6_ECHO_REQUEST, 0, 0, 0, 0, 0, 0, 7, 'p', 'i', 'n', 'g' };
	uint8_t buf[64];

	assert_int_equal(sock_create(&e->net, SOCK_DGRAM, IPPROTO_ICMPV6, &s), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin.sin_family = AF_INET;
	sa.sin.sin_addr.s_addr = PEER_IP;
	assert_int_equal(s->ops->connect(s, &sa), -EAFNOSUPPORT);	/* IPv6's only */
	memset(&sa, 0, sizeof(sa));
	sa.sin6.sin6_family = AF_INET6;
	sa.sin6.sin6_addr = peer;
	assert_int_equal(s->ops->connect(s, &sa), 0);
	uint16_t ident = ntohs(s->sk->inet_sport);
	memset(&m, 0, sizeof(m));
	m.data = req;
	assert_int_equal(s->ops->sendmsg(s, &m, sizeof(req)), (long)sizeof(req));
	pop6(e->dev, &rx, NEXTHDR_ICMP);
	assert_int_equal(rx.l4len, sizeof(req));
	assert_int_equal(rx.l4[0], ICMPV6_ECHO_REQUEST);
	assert_int_equal(rx.l4[4] << 8 | rx.l4[5], ident);	/* the stack's identifier */
	assert_int_equal(rx.l4[7], 7);
	rx6_free(&rx);
	/* Its reply, and one for another identifier that nobody takes. */
	uint8_t rep[12];
	memcpy(rep, req, sizeof(rep));
	rep[0] = ICMPV6_ECHO_REPLY;
	for (int k = 0; k < 2; k++) {
		uint16_t id = htons((uint16_t)(ident + k));
		memcpy(rep + 4, &id, 2);
		rep[2] = rep[3] = 0;
		uint16_t c = csum6(&peer, &ours, NEXTHDR_ICMP, rep, sizeof(rep));
		memcpy(rep + 2, &c, 2);
		memdev_inject(e->dev, f, ip6_frame(f, &peer, &ours, NEXTHDR_ICMP, rep, sizeof(rep)));
	}
	memset(&m, 0, sizeof(m));
	assert_int_equal(sock_recv(s, buf, sizeof(buf), 0, &m), (long)sizeof(rep));
	assert_int_equal(buf[0], ICMPV6_ECHO_REPLY);
	assert_int_equal(m.name.sa.sa_family, AF_INET6);
	assert_memory_equal(&m.name.sin6.sin6_addr, &peer, 16);
	assert_int_equal(sock_recv(s, buf, sizeof(buf), MSG_DONTWAIT, NULL), -EAGAIN);
	/* Not an echo request: EINVAL. */
	uint8_t bad[8] = { ICMPV6_ECHO_REPLY };
	m.data = bad;
	m.has_name = false;
	assert_int_equal(s->ops->sendmsg(s, &m, sizeof(bad)), -EINVAL);
	sock_release(s);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup6, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_syn_synack),
		T(test_rst_closed_port),
		T(test_bad_checksum),
		T(test_connect_and_send),
		T(test_icmp6_errors_to_connect),
		T(test_icmp6_errors_ext_quote),
		T(test_dual_listener_v4),
		T(test_udp6_in_out),
		T(test_udp6_bad_checksum),
		T(test_udp6_port_unreachable),
		T(test_ping6_socket),
		T(test_syncookies6),
		T(test_vnet_gso6),
		T(test_tclass),
		T(test_tcp6_self),
		T(test_udp6_self),
		T(test_ping6_self),
		T(test_self_dad_states),
		T(test_own_source_from_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
