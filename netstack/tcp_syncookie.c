/* SYN cookies (RFC 4987 §3.6): when a listener's SYN queue is full, the
 * SYN-ACK's sequence number carries what the stack would have kept, and
 * the stack keeps nothing.  The ACK that completes the handshake brings it
 * back (its acknowledgement number less one), and a connection is made
 * from the ACK alone if the number checks out.
 *
 * The cookie, 32 bits:
 *
 *   31..27  t mod 32: a clock of TCP_COOKIE_PERIOD_US ticks (64 s)
 *   26..24  the peer's MSS, as an index of tcp_cookie_mss
 *   23..0   a keyed hash (SipHash-2-4, a key from getrandom) of both
 *           addresses (IPv4's or IPv6's) and ports, the peer's ISN, the
 *           whole clock value and the MSS index
 *
 * A cookie is good for TCP_COOKIE_MAX_AGE ticks after its own (64 to 128
 * s); hashing the whole clock (not t mod 32) keeps one from coming back to
 * life 32 ticks later.  Forging one means guessing 24 bits for the one
 * 4-tuple and peer ISN at hand.
 *
 * A SYN's other options have no room in 32 bits.  When the SYN has
 * timestamps, its window scale and SACK-permitted go in the low bits of
 * our TSval (as Linux does), which the ACK echoes in its TSecr; without
 * timestamps, the SYN-ACK offers neither, and the connection has no
 * window scaling (windows of at most 64 KB) and no SACK. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include "checksum.h"
#include "net.h"
#include "tcp.h"

/* MSS values a cookie can stand for: the common ones (RFC 879's default,
 * PPPoE, tunnels, Ethernet, jumbo frames). */
static const uint16_t tcp_cookie_mss[8] = { 536, 1200, 1300, 1360, 1400, 1440, 1460, 8960 };

#define COOKIE_HASH_MASK 0xffffffu
#define TS_WSCALE_NONE 15u		/* in the low 4 bits: the SYN had no window scale */
#define TS_SACK 0x10u

/* tcp_syncookie_init: the key, from getrandom (which waits, at boot,
 * for the kernel's pool); only if the call itself fails (a kernel before
 * 3.17, a seccomp filter), from the stack's generator, which the daemon
 * seeds from getrandom too, or from the clock. */
void tcp_syncookie_init(struct net *net)
{
	net->syncookies.mode = 1;
	if (getrandom(net->syncookies.key, sizeof(net->syncookies.key), 0) ==
	    (ssize_t)sizeof(net->syncookies.key))
		return;
	net->syncookies.key[0] = ((uint64_t)net_random(net) << 32) | net_random(net);
	net->syncookies.key[1] = ((uint64_t)net_random(net) << 32) | net_random(net);
}

static uint64_t tcp_cookie_clock(const struct net *net)
{
	return net->now / TCP_COOKIE_PERIOD_US;
}

/* The hash of a cookie: IPv4's pair in one word (as before IPv6 came),
 * IPv6's two addresses in four. */
static uint32_t tcp_cookie_hash(const struct net *net, const struct inet_addr *saddr,
				const struct inet_addr *daddr, uint16_t sport, uint16_t dport,
				uint32_t peer_isn, uint64_t clock, unsigned int mssidx)
{
	uint64_t m[6];
	unsigned int n = 0;

	if (saddr->family == AF_INET6) {
		memcpy(m, &saddr->v6, 16);
		memcpy(m + 2, &daddr->v6, 16);
		n = 4;
	} else {
		m[n++] = (uint64_t)saddr->v4 << 32 | daddr->v4;
	}
	m[n++] = (uint64_t)sport << 48 | (uint64_t)dport << 32 | peer_isn;
	m[n++] = clock << 3 | mssidx;
	return (uint32_t)tcp_siphash(m, n, net->syncookies.key) & COOKIE_HASH_MASK;
}

uint32_t tcp_cookie_make_addr(struct net *net, const struct inet_addr *saddr,
			      const struct inet_addr *daddr, uint16_t sport, uint16_t dport,
			      uint32_t peer_isn, uint16_t peer_mss, uint16_t *mss)
{
	uint64_t clock = tcp_cookie_clock(net);
	unsigned int idx = 0;

	/* The largest the peer takes; below the smallest, the smallest
	 * (what the stack would use for it anyway: TCP_DEFAULT_MSS). */
	for (unsigned int i = 1; i < 8; i++)
		if (tcp_cookie_mss[i] <= peer_mss)
			idx = i;
	*mss = tcp_cookie_mss[idx];
	return (uint32_t)(clock & 31) << 27 | (uint32_t)idx << 24 |
	       tcp_cookie_hash(net, saddr, daddr, sport, dport, peer_isn, clock, idx);
}

int tcp_cookie_check_addr(struct net *net, const struct inet_addr *saddr,
			  const struct inet_addr *daddr, uint16_t sport, uint16_t dport,
			  uint32_t peer_isn, uint32_t cookie, uint16_t *mss)
{
	uint64_t now = tcp_cookie_clock(net);
	unsigned int age = (unsigned int)((now - (cookie >> 27)) & 31);
	unsigned int idx = (cookie >> 24) & 7;

	if (age > TCP_COOKIE_MAX_AGE || now < age)
		return -1;
	if (tcp_cookie_hash(net, saddr, daddr, sport, dport, peer_isn, now - age, idx) !=
	    (cookie & COOKIE_HASH_MASK))
		return -1;
	*mss = tcp_cookie_mss[idx];
	return 0;
}

uint32_t tcp_cookie_make(struct net *net, uint32_t saddr, uint32_t daddr, uint16_t sport,
			 uint16_t dport, uint32_t peer_isn, uint16_t peer_mss, uint16_t *mss)
{
	struct inet_addr s = { .family = AF_INET, .v4 = saddr }, d = { .family = AF_INET, .v4 = daddr };

	return tcp_cookie_make_addr(net, &s, &d, sport, dport, peer_isn, peer_mss, mss);
}

int tcp_cookie_check(struct net *net, uint32_t saddr, uint32_t daddr, uint16_t sport,
		     uint16_t dport, uint32_t peer_isn, uint32_t cookie, uint16_t *mss)
{
	struct inet_addr s = { .family = AF_INET, .v4 = saddr }, d = { .family = AF_INET, .v4 = daddr };

	return tcp_cookie_check_addr(net, &s, &d, sport, dport, peer_isn, cookie, mss);
}

/* tcp_cookie_tsval: tsval with its low bits replaced by the options, never
 * later than tsval (the connection's clock must not seem to go back). */
uint32_t tcp_cookie_tsval(uint32_t tsval, int wscale, bool sack_ok)
{
	const uint32_t mask = (1u << TCP_COOKIE_TSBITS) - 1;
	uint32_t opts = (wscale < 0 ? TS_WSCALE_NONE : (uint32_t)wscale) | (sack_ok ? TS_SACK : 0);
	uint32_t v = (tsval & ~mask) | opts;

	if (after(v, tsval))
		v -= mask + 1;
	return v;
}

void tcp_cookie_ts_decode(uint32_t tsecr, int *wscale, bool *sack_ok)
{
	uint32_t ws = tsecr & 0xf;	/* 0..14, or TS_WSCALE_NONE: every value means one */

	*wscale = ws == TS_WSCALE_NONE ? -1 : (int)ws;
	*sack_ok = tsecr & TS_SACK;
}

/* tcp_cookie_synack sends the SYN-ACK req describes, with the options of
 * tcp_transmit's SYN-ACK in the same order. */
int tcp_cookie_synack(struct net *net, const struct tcp_cookie_req *req)
{
	unsigned int optlen = 4 + (req->wscale_ok ? 4 : 0) + (req->sack_ok ? 4 : 0) +
			      (req->tstamp_ok ? 12 : 0);
	struct sk_buff *skb = ip_alloc_skb((unsigned int)sizeof(struct tcphdr) + optlen);
	struct tcphdr *th;
	unsigned char *opt;
	unsigned int len;

	if (!skb)
		return -ENOBUFS;
	len = (unsigned int)sizeof(*th) + optlen;
	th = (struct tcphdr *)skb_put(skb, len);
	memset(th, 0, len);
	th->source = req->sport;
	th->dest = req->dport;
	th->seq = htonl(req->iss);
	th->ack_seq = htonl(req->rcv_nxt);
	th->doff_res = (uint8_t)((len / 4) << 4);
	th->flags = TH_SYN | TH_ACK;
	th->window = htons(req->window);
	opt = (unsigned char *)(th + 1);
	opt[0] = 2; opt[1] = 4;
	opt[2] = (unsigned char)(req->advmss >> 8); opt[3] = (unsigned char)req->advmss;
	opt += 4;
	if (req->wscale_ok) {
		opt[0] = 1; opt[1] = 3; opt[2] = 3; opt[3] = req->rcv_wscale;
		opt += 4;
	}
	if (req->sack_ok) {
		opt[0] = 1; opt[1] = 1; opt[2] = 4; opt[3] = 2;
		opt += 4;
	}
	if (req->tstamp_ok) {
		uint32_t v = htonl(req->tsval), e = htonl(req->tsecr);
		opt[0] = 1; opt[1] = 1; opt[2] = 8; opt[3] = 10;
		memcpy(opt + 4, &v, 4);
		memcpy(opt + 8, &e, 4);
	}
	th->check = csum_fold(inet_pseudo_sum(&req->saddr, &req->daddr, len, IPPROTO_TCP,
					      csum_partial(th, len, 0)));
	net->tcpstats.OutSegs++;
	return inet_xmit(net, skb, &req->saddr, &req->daddr, IPPROTO_TCP, req->ttl, req->tos, true);
}
