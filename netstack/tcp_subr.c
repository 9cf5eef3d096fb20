/* TCP's supporting parts: the table of connections by port, ISNs, option
 * parsing, byte rings, state changes and the end of a connection. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>

#include "net.h"
#include "tcp.h"

static const struct net_protocol tcp_protocol = { .handler = tcp_v4_rcv, .err_handler = tcp_v4_err };

void tcp_init(struct net *net)
{
	inet_add_protocol(net, &tcp_protocol, IPPROTO_TCP);
	net->isn_key[0] = ((uint64_t)net_random(net) << 32) | net_random(net);
	net->isn_key[1] = ((uint64_t)net_random(net) << 32) | net_random(net);
	tcp_syncookie_init(net);
	if (!net->tcp_msl)
		net->tcp_msl = 30000000ull;
	if (!net->tcp_syn_retries)
		net->tcp_syn_retries = 6;
	if (!net->tcp_retries)
		net->tcp_retries = 15;
}

/* tcp_trace formats an event of sk for its trace readers: the time in
 * seconds, the event, the window and RTT as they stand, then the
 * event's own fields (imp(4) lists them).  Nothing is formatted while
 * nobody reads. */
void tcp_trace(struct sock *sk, const char *event, const char *fmt, ...)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sk->net;
	char line[320];
	int n;
	va_list ap;

	if (!tp->trace_readers || !net->tcp_trace_fn)
		return;
	n = snprintf(line, sizeof(line), "%llu.%06llu %s cwnd %u ssthresh %u inflight %u srtt %u ",
		     (unsigned long long)(net->now / 1000000), (unsigned long long)(net->now % 1000000),
		     event, tp->cwnd, tp->ssthresh == UINT32_MAX ? 0 : tp->ssthresh,
		     tp->sack_ok ? tcp_pipe(tp) : tcp_flight(tp), tp->srtt);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	net->tcp_trace_fn(net, sk, line, net->tcp_trace_arg);
}

/* tcp_trace_end: the connection is over (closed, or its sock freed): a
 * last line, then its readers get end of file. */
void tcp_trace_end(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->trace_readers || !sk->net->tcp_trace_fn)
		return;
	tcp_trace(sk, "end", "state %s", tcp_state_name(sk->sk_state));
	sk->net->tcp_trace_fn(sk->net, sk, NULL, sk->net->tcp_trace_arg);
	tp->trace_readers = 0;
}

/* tcp_rate_delivered: bytes reached the peer (acked or SACKed); the
 * delivery rate is measured over intervals of at least an RTT (and 1
 * ms), as ss -ti's delivery_rate. */
void tcp_rate_delivered(struct tcp_sock *tp, uint32_t bytes)
{
	uint64_t now = tp->sk.net->now, span;

	if (!bytes)
		return;
	tp->delivered += bytes;
	if (!tp->rate_stamp) {
		tp->rate_stamp = now;
		tp->rate_acc = 0;
		return;
	}
	tp->rate_acc += bytes;
	span = now - tp->rate_stamp;
	if (span >= 1000 && span >= tp->srtt) {
		tp->delivery_rate = tp->rate_acc * 1000000 / span;
		tp->rate_acc = 0;
		tp->rate_stamp = now;
	}
}

/* --- the table --- */

static unsigned int tcp_hashfn(uint16_t port)	/* host order */
{
	return port % UDP_HTABLE;
}

void tcp_hash(struct sock *sk)
{
	struct sock **head = &sk->net->tcp_hash[tcp_hashfn(ntohs(sk->inet_sport))];

	if (sk->hashed)
		return;
	sk->hash_next = *head;
	*head = sk;
	sk->hashed = true;
}

void tcp_unhash(struct sock *sk)
{
	if (!sk->hashed)
		return;
	for (struct sock **pp = &sk->net->tcp_hash[tcp_hashfn(ntohs(sk->inet_sport))]; *pp;
	     pp = &(*pp)->hash_next)
		if (*pp == sk) {
			*pp = sk->hash_next;
			break;
		}
	sk->hashed = false;
}

/* A port is taken for a listener or a bind by another listener or bound,
 * unconnected socket whose address overlaps (a dual one overlaps both
 * families).  Connections on the port, TIME_WAIT ones included, do not
 * stop a new announce, as SO_REUSEADDR allows on Linux. */
static bool tcp_port_conflict(struct net *net, const struct sock *sk, uint16_t port)
{
	for (struct sock *s = net->tcp_hash[tcp_hashfn(port)]; s; s = s->hash_next) {
		if (s == sk || ntohs(s->inet_sport) != port)
			continue;
		if (s->sk_state != TCP_LISTEN && s->sk_state != TCP_CLOSED)
			continue;
		if (sk_bind_overlap(s, sk))
			return true;
	}
	return false;
}

static bool tcp_port_unused(struct net *net, uint16_t port)
{
	for (struct sock *s = net->tcp_hash[tcp_hashfn(port)]; s; s = s->hash_next)
		if (ntohs(s->inet_sport) == port)
			return false;
	return true;
}

/* tcp_get_port binds to port, or to an unused ephemeral port chosen at
 * random (RFC 6056, algorithm 1). */
int tcp_get_port(struct sock *sk, uint16_t port)
{
	struct net *net = sk->net;

	if (port == 0) {
		unsigned int n = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1, start = net_random(net) % n;
		for (unsigned int i = 0; i < n && !port; i++) {
			uint16_t p = (uint16_t)(EPHEMERAL_LOW + (start + i) % n);
			if (tcp_port_unused(net, p))
				port = p;
		}
		if (!port)
			return -EADDRINUSE;
	} else if (tcp_port_conflict(net, sk, port)) {
		return -EADDRINUSE;
	}
	sk->inet_sport = htons(port);
	tcp_hash(sk);
	return 0;
}

/* tcp_lookup_addr finds the connection a segment of either family
 * belongs to, else a listener: one bound to the address before one bound
 * to a wildcard (of the family, or dual). */
struct sock *tcp_lookup_addr(struct net *net, const struct inet_addr *saddr, uint16_t sport,
			     const struct inet_addr *daddr, uint16_t dport)
{
	struct sock *listener = NULL;
	int best = -1, m;

	for (struct sock *s = net->tcp_hash[tcp_hashfn(ntohs(dport))]; s; s = s->hash_next) {
		if (s->inet_sport != dport)
			continue;
		if (s->sk_state == TCP_LISTEN) {
			/* A wildcard of the family itself beats a dual one. */
			if ((m = sk_rcv_match(s, daddr)) >= 0) {
				m = m * 2 + (s->sk_family == daddr->family);
				if (m > best) {
					listener = s;
					best = m;
				}
			}
		} else if (sk_conn_match(s, saddr, sport, daddr)) {
			return s;
		}
	}
	return listener;
}

struct sock *tcp_lookup(struct net *net, uint32_t saddr, uint16_t sport,
			uint32_t daddr, uint16_t dport)
{
	struct inet_addr s = { .family = AF_INET, .v4 = saddr }, d = { .family = AF_INET, .v4 = daddr };

	return tcp_lookup_addr(net, &s, sport, &d, dport);
}

/* --- ISNs (RFC 6528): a clock plus a keyed hash of the connection --- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); } while (0)

/* tcp_siphash: SipHash-2-4 of n 64-bit words (a message of 8n bytes). */
uint64_t tcp_siphash(const uint64_t *m, unsigned int n, const uint64_t key[2])
{
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0], v1 = 0x646f72616e646f6dull ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0], v3 = 0x7465646279746573ull ^ key[1];
	uint64_t w;

	for (unsigned int i = 0; i <= n; i++) {
		/* the last block: no bytes left over, the length in its top byte */
		w = i < n ? m[i] : (uint64_t)((8u * n) & 0xff) << 56;
		v3 ^= w;
		SIPROUND;
		SIPROUND;
		v0 ^= w;
	}
	v2 ^= 0xff;
	SIPROUND; SIPROUND; SIPROUND; SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* SipHash-2-4 of two 64-bit words: enough for a 4-tuple. */
static uint64_t siphash_2u64(uint64_t a, uint64_t b, const uint64_t key[2])
{
	const uint64_t m[2] = { a, b };

	return tcp_siphash(m, 2, key);
}

uint32_t tcp_isn(struct net *net, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport)
{
	uint64_t h = siphash_2u64((uint64_t)saddr << 32 | daddr,
				  (uint64_t)sport << 16 | dport, net->isn_key);

	return (uint32_t)h + (uint32_t)(net->now / 4);
}

/* tcp_isn_addr: tcp_isn for either family (an IPv6 pair hashed whole). */
uint32_t tcp_isn_addr(struct net *net, const struct inet_addr *saddr, uint16_t sport,
		      const struct inet_addr *daddr, uint16_t dport)
{
	uint64_t m[5];

	if (saddr->family != AF_INET6)
		return tcp_isn(net, saddr->v4, sport, daddr->v4, dport);
	memcpy(m, &saddr->v6, 16);
	memcpy(m + 2, &daddr->v6, 16);
	m[4] = (uint64_t)sport << 16 | dport;
	return (uint32_t)tcp_siphash(m, 5, net->isn_key) + (uint32_t)(net->now / 4);
}

/* tcp_ts_off_addr: tcp_ts_off for either family. */
uint32_t tcp_ts_off_addr(struct net *net, const struct inet_addr *saddr, const struct inet_addr *daddr)
{
	uint64_t m[5];

	if (saddr->family != AF_INET6)
		return tcp_ts_off(net, saddr->v4, daddr->v4);
	memcpy(m, &saddr->v6, 16);
	memcpy(m + 2, &daddr->v6, 16);
	m[4] = 0x7473ull << 32;
	return (uint32_t)tcp_siphash(m, 5, net->isn_key);
}

/* tcp_ts_off: the offset of our timestamp clock (RFC 7323 §5.4), one per
 * pair of addresses, as Linux keys it: a new connection to a peer then
 * carries timestamps newer than the last one's, so a peer still in
 * TIME_WAIT with that 4-tuple takes its SYN (RFC 6191) instead of
 * dropping it as an old duplicate (PAWS), which cost a SYN timeout. */
uint32_t tcp_ts_off(struct net *net, uint32_t saddr, uint32_t daddr)
{
	/* 0x7473 ("ts") above any port pair: never an ISN's input. */
	return (uint32_t)siphash_2u64((uint64_t)saddr << 32 | daddr, 0x7473ull << 32, net->isn_key);
}

/* --- options (RFC 9293 §3.2, RFC 7323) ---
 * Every length is checked against what is left; a malformed list ends the
 * parse (what came before stands) and is counted. Returns 0 or -1. */
int tcp_parse_options(const struct tcphdr *th, unsigned int hlen, bool syn, struct tcp_options *opt)
{
	const unsigned char *p = (const unsigned char *)(th + 1);
	unsigned int left = hlen - (unsigned int)sizeof(*th);

	memset(opt, 0, sizeof(*opt));
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
		switch (kind) {
		case 2:
			if (len == 4 && syn) {
				opt->saw_mss = true;
				opt->mss = (uint16_t)(p[2] << 8 | p[3]);
			}
			break;
		case 3:
			if (len == 3 && syn) {
				opt->saw_wscale = true;
				opt->wscale = p[2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[2];
			}
			break;
		case 4:
			if (len == 2 && syn)
				opt->saw_sackok = true;
			break;
		case 8:
			if (len == 10) {
				opt->saw_tstamp = true;
				opt->tsval = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 8 | p[5];
				opt->tsecr = (uint32_t)p[6] << 24 | (uint32_t)p[7] << 16 | (uint32_t)p[8] << 8 | p[9];
			}
			break;
		}
		p += len;
		left -= len;
	}
	return 0;
}

/* --- byte rings --- */

/* bring_init maps the buffer straight from the kernel, not from malloc.
 * A 2 MB malloc is an mmap too, but glibc writes its chunk header into
 * the first page, so every ring of an idle connection cost a resident
 * 4 KB (8 KB a connection, most of what 10,000 connections held).  A
 * private anonymous mapping has no header: pages become resident only
 * when bytes are written to them.  If the mapping fails (vm.max_map_count
 * reached), malloc is tried before giving up. */
int bring_init(struct byte_ring *r, uint32_t cap, uint64_t *charge)
{
	void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	r->charge = charge;
	r->mapped = p != MAP_FAILED;
	r->buf = r->mapped ? p : malloc(cap);
	r->cap = r->buf ? cap : 0;
	r->head = r->len = 0;
	return r->buf ? 0 : -ENOMEM;
}

/* bring_free gives the buffer back, and its bytes' charge. */
void bring_free(struct byte_ring *r)
{
	uint64_t *charge = r->charge;

	bring_clear(r);
	if (r->mapped)
		munmap(r->buf, r->cap);
	else
		free(r->buf);
	memset(r, 0, sizeof(*r));
	r->charge = charge;
}

/* bring_clear empties the ring, keeping its buffer. */
void bring_clear(struct byte_ring *r)
{
	if (r->charge)
		*r->charge -= r->len;
	r->head = r->len = 0;
}

uint32_t bring_write(struct byte_ring *r, const void *data, uint32_t len)
{
	const unsigned char *p = data;
	uint32_t n = len < r->cap - r->len ? len : r->cap - r->len, done = 0;

	while (done < n) {
		uint32_t tail = (r->head + r->len) % r->cap;
		uint32_t chunk = r->cap - tail < n - done ? r->cap - tail : n - done;
		memcpy(r->buf + tail, p + done, chunk);
		r->len += chunk;
		done += chunk;
	}
	if (r->charge)
		*r->charge += n;
	return n;
}

/* bring_copy_out copies len bytes starting off bytes after the head. */
void bring_copy_out(const struct byte_ring *r, uint32_t off, void *dst, uint32_t len)
{
	unsigned char *d = dst;
	uint32_t pos = (r->head + off) % r->cap;

	while (len) {
		uint32_t chunk = r->cap - pos < len ? r->cap - pos : len;
		memcpy(d, r->buf + pos, chunk);
		d += chunk;
		len -= chunk;
		pos = 0;
	}
}

void bring_consume(struct byte_ring *r, uint32_t len)
{
	r->head = (r->head + len) % r->cap;
	r->len -= len;
	if (r->charge)
		*r->charge -= len;
	if (r->len == 0)
		r->head = 0;	/* keeps later writes contiguous */
}

/* --- states --- */

const char *tcp_state_name(int state)
{
	static const char *const names[] = {
		"Closed", "Listen", "Syn_sent", "Syn_received", "Established", "Finwait1",
		"Finwait2", "Close_wait", "Closing", "Last_ack", "Time_wait",
	};
	return state >= 0 && state <= TCP_TIME_WAIT ? names[state] : "Unknown";
}

void tcp_set_state(struct sock *sk, int state)
{
	struct net *net = sk->net;
	int old = sk->sk_state;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (old == state)
		return;
	if (old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT)
		if (state != TCP_ESTABLISHED && state != TCP_CLOSE_WAIT)
			net->tcpstats.CurrEstab--;
	if ((state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT) &&
	    old != TCP_ESTABLISHED && old != TCP_CLOSE_WAIT)
		net->tcpstats.CurrEstab++;
	sk->sk_state = state;
	tcp_trace(sk, "state", "from %s to %s", tcp_state_name(old), tcp_state_name(state));
	if (state == TCP_CLOSED)
		tcp_trace_end(sk);
	if (net->log_mask & NETLOG_TCP) {
		struct inet_addr la, ra;
		sk_saddr(sk, &la);
		sk_daddr(sk, &ra);
		net_log(net, NETLOG_TCP, "tcp %s!%u %s!%u %s -> %s",
			inet_addr_ntop(&la, a), ntohs(sk->inet_sport),
			inet_addr_ntop(&ra, b), ntohs(sk->inet_dport),
			tcp_state_name(old), tcp_state_name(state));
	}
	sk_wake(sk);
}

/* tcp_done: the connection is over (closed, reset or timed out).  An
 * orphan is freed from a timer, never from inside the code that ended it. */
void tcp_done(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_set_state(sk, TCP_CLOSED);
	if (sk->sk_socket && sk->sk_socket->state == SS_CONNECTING)
		sk->sk_socket->state = SS_UNCONNECTED;	/* a connect that failed */
	tcp_clear_timers(tp);
	tcp_unhash(sk);
	sk->sk_shutdown = SHUTDOWN_MASK;
	if (tp->orphan)
		mod_timer(&sk->net->timers, &tp->timewait_timer, sk->net->now);
	sk_wake(sk);
}

/* tcp_drop_half_open: a passive open still in SYN_RECV goes away (reset,
 * given up on, or an ICMP error about its SYN-ACK).  Only the hash and its
 * listener's count know it, so it is freed here: tcp_done would unhash it
 * where nothing could ever find it to free it. */
void tcp_drop_half_open(struct sock *sk)
{
	tcp_sk(sk->parent)->syn_pending--;
	tcp_destroy_sock(sk);
	sk_free(sk);
}

/* tcp_destroy_sock frees what a tcp_sock holds (not the sock itself). */
void tcp_destroy_sock(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_clear_timers(tp);
	tcp_unhash(sk);
	tcp_trace_end(sk);
	if (sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT)
		sk->net->tcpstats.CurrEstab--;
	sk->sk_state = TCP_CLOSED;
	bring_free(&tp->sndq);
	bring_free(&tp->rcvq);
	tcp_txq_free(tp);
	tcp_ofo_purge(tp);
}

/* tcp_create_child makes the connection a SYN to a listener asks for. */
struct tcp_sock *tcp_create_child(struct sock *parent)
{
	struct sock *sk = sk_alloc(parent->net, parent->sk_prot);
	struct tcp_sock *tp, *ptp = tcp_sk(parent);

	if (!sk)
		return NULL;
	tp = tcp_sk(sk);
	sk_inherit(sk, parent);
	tp->nodelay = ptp->nodelay;
	tp->keepalive = ptp->keepalive;
	tp->keepalive_idle = ptp->keepalive_idle;
	tp->keepalive_intvl = ptp->keepalive_intvl;
	tp->keepalive_probes = ptp->keepalive_probes;
	tp->user_timeout = ptp->user_timeout;
	tp->user_mss = ptp->user_mss;
	tp->rcvlowat = ptp->rcvlowat;
	tp->ca = ptp->ca;
	return tp;
}

/* tcp_cleanup frees the connections no socket holds any more (orphans
 * finishing their close, TIME_WAIT), when the stack itself goes. */
void tcp_cleanup(struct net *net)
{
	for (int h = 0; h < UDP_HTABLE; h++)
		for (struct sock *s = net->tcp_hash[h], *next; s; s = next) {
			next = s->hash_next;
			if (!s->sk_socket) {
				tcp_destroy_sock(s);
				del_timer(&net->timers, &tcp_sk(s)->timewait_timer);
				sk_free(s);
			}
		}
}
