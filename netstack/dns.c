/* The stub resolver: one query at a time per lookup, each try on a UDP
 * socket of its own (a fresh random port, connected to the server, so
 * that only that server's datagrams reach it and an ICMP port unreachable
 * ends the try at once), with a fresh random id.  Tries go round the
 * servers, DNS_ROUNDS times, the timeout doubling each round (RFC 1123
 * §6.1.3.3).  A truncated reply is asked again over TCP (RFC 7766).
 *
 * A reply that fails a check (wrong id, another question, a malformed
 * message) is counted and dropped, and the try goes on waiting: a forged
 * datagram must not end a lookup (RFC 5452 §9.1).
 *
 * Callbacks run from the socket's wakeup or from the try's timer, never
 * inside dns_resolve, so a caller never sees its callback before the call
 * returns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include "dns.h"
#include "net.h"
#include "sock.h"

struct dns_cache_ent {
	bool used;
	char name[DNS_TEXT_MAX + 1];
	uint16_t qtype;
	uint64_t expires, added;	/* µs */
	struct dns_result res;
};

/* One caller waiting for a query's answer. */
struct dns_lookup {
	struct dns_query *q;		/* NULL once answered, before its callback */
	dns_callback cb;
	void *arg;
	bool cancelled;			/* while answered: do not call back */
	struct dns_lookup *next;
};

struct dns_query {
	struct net *net;
	struct dns_query *next, **pprev;
	char name[DNS_TEXT_MAX + 1];	/* lower case, no trailing dot */
	uint16_t qtype;
	struct dns_lookup *lookups;	/* who waits for it */
	uint32_t servers[DNS_MAX_SERVERS];
	int nservers;
	int tries;			/* started so far */
	int server;			/* the current try's, an index */
	struct socket *sock;		/* the current try's */
	bool tcp;
	uint16_t id;
	uint8_t msg[2 + DNS_UDP_MAX];	/* TCP's length, then the query */
	size_t msglen;			/* the query alone */
	size_t tsent;			/* TCP: bytes of msg sent */
	uint8_t *rbuf;			/* TCP: the reply so far, length first */
	size_t rlen;
	struct timer_list timer;
	int last_err;			/* the last try's failure, if it said why */
	char last_why[160];
};

static void start_try(struct dns_query *q);

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* dns_init: no servers until dns_set_servers, no cache until an answer;
 * the key of dns_random from getrandom (the stack's generator only if that
 * call fails, as for SYN cookies). */
void dns_init(struct net *net)
{
	struct dns *d = &net->dns;

	d->timeout_us = DNS_TIMEOUT_US;
	if (getrandom(d->key, sizeof(d->key), 0) == (ssize_t)sizeof(d->key))
		return;
	d->key[0] = ((uint64_t)net_random(net) << 32) | net_random(net);
	d->key[1] = ((uint64_t)net_random(net) << 32) | net_random(net);
}

/* dns_random: 32 bits for a query id or a source port, SipHash of a
 * counter under a secret key.  Not net_random: what an off-path forger
 * must guess (RFC 5452 §9.2) should not follow from the ports and ids of
 * other connections, and the stack's xorshift generator would. */
static uint32_t dns_random(struct dns *d)
{
	uint64_t m[1] = { ++d->counter };

	return (uint32_t)tcp_siphash(m, 1, d->key);
}

int dns_set_servers(struct net *net, const uint32_t *addrs, int n)
{
	if (n < 0 || n > DNS_MAX_SERVERS)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		if (addrs[i] == 0 || addrs[i] == INADDR_BROADCAST)
			return -EINVAL;
	memcpy(net->dns.servers, addrs, (size_t)n * sizeof(*addrs));
	net->dns.nservers = n;
	return 0;
}

int dns_lease_servers(struct net *net, const uint32_t *addrs, int n)
{
	uint32_t keep[DNS_MAX_SERVERS];
	int k = 0;

	if (net->dns.fixed)
		return 0;
	for (int i = 0; i < n && k < DNS_MAX_SERVERS; i++) {
		uint32_t h = ntohl(addrs[i]);
		if (h == 0 || h == 0xffffffffu || (h >> 24) == 127 || (h >> 28) == 14 || (h >> 28) == 15)
			continue;	/* any, broadcast, loopback, multicast, class E */
		keep[k++] = addrs[i];
	}
	if (k)
		dns_set_servers(net, keep, k);
	return k;
}

/* --- the cache --- */

void dns_flush(struct net *net)
{
	if (net->dns.cache)
		memset(net->dns.cache, 0, DNS_CACHE_SIZE * sizeof(*net->dns.cache));
}

bool dns_cache_live(const struct net *net, int i)
{
	const struct dns_cache_ent *c = net->dns.cache;

	return c && i >= 0 && i < DNS_CACHE_SIZE && c[i].used && c[i].expires > net->now;
}

/* cache_get copies a live answer for (name, qtype) into res. */
static bool cache_get(struct net *net, const char *name, uint16_t qtype, struct dns_result *res)
{
	struct dns_cache_ent *c = net->dns.cache;

	for (int i = 0; c && i < DNS_CACHE_SIZE; i++) {
		if (!c[i].used || c[i].qtype != qtype || strcmp(c[i].name, name))
			continue;
		if (c[i].expires <= net->now) {
			c[i].used = false;
			return false;
		}
		*res = c[i].res;
		res->cached = true;
		return true;
	}
	return false;
}

/* cache_put keeps res for ttl seconds, in the entry for the name, a free
 * or expired one, or else the oldest. */
static void cache_put(struct net *net, const char *name, uint16_t qtype,
		      const struct dns_result *res, uint32_t ttl)
{
	struct dns_cache_ent *c = net->dns.cache, *slot = NULL;
	int best = 3;

	if (ttl == 0)
		return;
	if (!c && !(c = net->dns.cache = calloc(DNS_CACHE_SIZE, sizeof(*c))))
		return;	/* no memory: just no cache */
	for (int i = 0; i < DNS_CACHE_SIZE; i++) {
		/* Ranked: the name's own entry, a free one, an expired one,
		 * the oldest. */
		int rank = !c[i].used ? 0 : c[i].expires <= net->now ? 1 : 2;
		if (c[i].used && c[i].qtype == qtype && !strcmp(c[i].name, name)) {
			slot = &c[i];
			break;
		}
		if (rank < best || (rank == 2 && best == 2 && c[i].added < slot->added)) {
			slot = &c[i];
			best = rank;
		}
	}
	slot->used = true;
	snprintf(slot->name, sizeof(slot->name), "%s", name);
	slot->qtype = qtype;
	slot->added = net->now;
	slot->expires = net->now + (uint64_t)ttl * 1000000;
	slot->res = *res;
}

/* --- a query's life --- */

/* drop_sock ends the current try's socket (and TCP's reply buffer). */
static void drop_sock(struct dns_query *q)
{
	if (q->sock) {
		sock_release(q->sock);	/* TCP: what is left goes on as an orphan */
		q->sock = NULL;
	}
	free(q->rbuf);
	q->rbuf = NULL;
	q->rlen = 0;
	q->tcp = false;
}

/* query_free takes q off the list, stops its timer, closes its socket,
 * and lets go of its lookups (dns_cleanup). */
static void query_free(struct dns_query *q)
{
	while (q->lookups) {
		struct dns_lookup *l = q->lookups;
		q->lookups = l->next;
		free(l);
	}
	if (q->pprev) {
		*q->pprev = q->next;
		if (q->next)
			q->next->pprev = q->pprev;
	}
	del_timer(&q->net->timers, &q->timer);
	drop_sock(q);
	free(q);
}

/* finish ends the query and answers every lookup of it.  A callback may
 * cancel a lookup not yet called back (it is then skipped), or start new
 * ones (the query is gone: they make their own). */
static void finish(struct dns_query *q, struct dns_result *res)
{
	struct dns_lookup *l = q->lookups;
	char ip[16];

	if (res->err)
		net_log(q->net, NETLOG_DNS, "dns %s: %s", q->name, res->why);
	else
		net_log(q->net, NETLOG_DNS, "dns %s: %d address(es), first %s", q->name,
			res->naddrs + res->naddrs6, res->naddrs ? inet_ntoa_r(res->addrs[0], ip) : "v6");
	q->lookups = NULL;
	for (struct dns_lookup *k = l; k; k = k->next)
		k->q = NULL;
	query_free(q);
	while (l) {
		struct dns_lookup *next = l->next;
		if (!l->cancelled)
			l->cb(l->arg, res);
		free(l);
		l = next;
	}
}

/* finish_err ends the query with -err and a sentence. */
static void finish_err(struct dns_query *q, int err, const char *why)
{
	struct dns_result res;

	memset(&res, 0, sizeof(res));
	res.err = -err;
	snprintf(res.why, sizeof(res.why), "%s", why);
	finish(q, &res);
}

/* next_try: this server said no (or cannot be reached); remember why and
 * ask the next one now. */
static void next_try(struct dns_query *q, int err, const char *fmt, const char *arg)
{
	char ip[16];

	q->last_err = err;
	snprintf(q->last_why, sizeof(q->last_why), fmt, arg, inet_ntoa_r(q->servers[q->server], ip));
	start_try(q);
}

/* answer handles a reply that passed the id check: 1 if the try is over
 * (the query may be gone), 0 to go on waiting, -1 to ask again over TCP. */
static int answer(struct dns_query *q, const uint8_t *msg, size_t len)
{
	struct net *net = q->net;
	struct dnsstats *st = &net->dns.stats;
	struct dns_reply r;
	struct dns_result res;
	char ip[16];
	int bad = dns_reply_parse(msg, len, q->name, q->qtype, &r);

	switch (bad) {
	case DNS_OK: break;
	case DNS_BAD_SHORT: st->BadShort++; break;
	case DNS_BAD_NAME: st->BadName++; break;
	case DNS_BAD_NOTREPLY: st->BadNotReply++; break;
	case DNS_BAD_QUESTION: st->BadQuestion++; break;
	default: st->BadRdata++; break;
	}
	if (bad) {
		net_log(net, NETLOG_DNS, "dns %s: reply from %s dropped: %s", q->name,
			inet_ntoa_r(q->servers[q->server], ip), dns_bad_name(bad));
		return 0;
	}
	if (r.tc && !q->tcp) {
		st->Truncated++;
		return -1;	/* the caller asks again over TCP */
	}
	inet_ntoa_r(q->servers[q->server], ip);
	memset(&res, 0, sizeof(res));
	switch (r.rcode) {
	case DNS_R_NOERROR:
		if (r.tc) {	/* over TCP: the server cannot fit it even there */
			st->OtherErrors++;
			next_try(q, EIO, "truncated reply over TCP%s from %s", "");
			return 1;
		}
		if ((q->qtype == DNS_T_A && r.naddrs) || (q->qtype == DNS_T_AAAA && r.naddrs6)) {
			st->Answers++;
			res.naddrs = r.naddrs;
			memcpy(res.addrs, r.addrs, sizeof(res.addrs));
			res.naddrs6 = r.naddrs6;
			memcpy(res.addrs6, r.addrs6, sizeof(res.addrs6));
			memcpy(res.cname, r.cname, sizeof(res.cname));
			cache_put(net, q->name, q->qtype, &res, r.ttl > DNS_TTL_MAX ? DNS_TTL_MAX : r.ttl);
			finish(q, &res);
			return 1;
		}
		st->NoData++;
		res.err = -ENODATA;
		snprintf(res.why, sizeof(res.why), "no %s record for this name (NOERROR from %s)",
			 q->qtype == DNS_T_A ? "A (IPv4)" : "AAAA (IPv6)", ip);
		break;
	case DNS_R_NXDOMAIN:
		st->NXDomain++;
		res.err = -ENOENT;
		snprintf(res.why, sizeof(res.why), "no such name (NXDOMAIN from %s)", ip);
		break;
	case DNS_R_SERVFAIL:
		st->ServFail++;
		next_try(q, EAGAIN, "the name server failed (%sSERVFAIL from %s)", "");
		return 1;
	case DNS_R_REFUSED:
		st->Refused++;
		next_try(q, ECONNREFUSED, "the name server refused to answer (%sREFUSED from %s)", "");
		return 1;
	default:
		st->OtherErrors++;
		next_try(q, EIO, "the name server answered %s from %s", dns_rcode_name(r.rcode));
		return 1;
	}
	/* A negative answer lasts as its SOA says, or is not kept. */
	if (r.has_soa)
		cache_put(net, q->name, q->qtype, &res, r.neg_ttl > DNS_NEG_TTL_MAX ? DNS_NEG_TTL_MAX : r.neg_ttl);
	finish(q, &res);
	return 1;
}

static void start_tcp(struct dns_query *q);

/* take_reply: the id, then answer; true if the try is over. */
static bool take_reply(struct dns_query *q, const uint8_t *msg, size_t len)
{
	int r;

	if (len < 2 || get16(msg) != q->id) {
		q->net->dns.stats.BadId++;
		return false;
	}
	r = answer(q, msg, len);
	if (r < 0) {
		start_tcp(q);
		return true;
	}
	return r != 0;
}

/* The UDP socket's wakeup: a datagram, or an ICMP error. */
static void udp_wakeup(struct socket *sock)
{
	struct dns_query *q = sock->owner;
	uint8_t buf[4096];

	for (;;) {
		struct sockmsg m;
		long n;
		memset(&m, 0, sizeof(m));
		n = sock->ops->recvmsg(sock, &m, sizeof(buf));
		if (n == -EAGAIN)
			return;
		if (n == -ECONNREFUSED) {
			q->net->dns.stats.PortUnreach++;
			next_try(q, ECONNREFUSED, "no name server at %s%s (ICMP port unreachable)", "");
			return;
		}
		if (n < 0) {	/* host or net unreachable: ICMP, or ARP had no answer */
			q->net->dns.stats.HostUnreach++;
			next_try(q, (int)-n, "%sname server %s unreachable", "");
			return;
		}
		memcpy(buf, m.iov[0].iov_base, (size_t)n);
		sock->ops->recv_done(sock, &m, (size_t)n);
		if (take_reply(q, buf, (size_t)n))
			return;
	}
}

/* tcp_fail: the TCP try did not work; on to the next try (UDP again). */
static void tcp_fail(struct dns_query *q, int err, const char *what)
{
	q->net->dns.stats.TcpErrors++;
	next_try(q, err, "TCP to the name server failed: %s (%s)", what);
}

/* tcp_pump sends what is left of the query and reads the reply, a
 * two-byte length and the message (RFC 1035 §4.2.2). */
static void tcp_pump(struct dns_query *q)
{
	struct socket *sock = q->sock;
	long n;

	if (sock->state == SS_CONNECTING)
		return;
	while (sock->state == SS_CONNECTED && q->tsent < 2 + q->msglen) {
		struct sockmsg m;
		memset(&m, 0, sizeof(m));
		m.data = q->msg + q->tsent;
		n = sock->ops->sendmsg(sock, &m, 2 + q->msglen - q->tsent);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			tcp_fail(q, (int)-n, strerror((int)-n));
			return;
		}
		q->tsent += (size_t)n;
	}
	for (;;) {
		struct sockmsg m;
		size_t room = 2 + 65535 - q->rlen;
		memset(&m, 0, sizeof(m));
		n = sock->ops->recvmsg(sock, &m, room);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			tcp_fail(q, n ? (int)-n : ECONNRESET, n ? strerror((int)-n) : "closed before the reply");
			return;
		}
		size_t got = 0;
		for (int i = 0; i < m.iovcnt && got < (size_t)n; i++) {
			size_t k = m.iov[i].iov_len < (size_t)n - got ? m.iov[i].iov_len : (size_t)n - got;
			memcpy(q->rbuf + q->rlen + got, m.iov[i].iov_base, k);
			got += k;
		}
		sock->ops->recv_done(sock, &m, (size_t)n);
		q->rlen += got;
		if (q->rlen >= 2 && q->rlen >= 2 + (size_t)get16(q->rbuf)) {
			size_t len = get16(q->rbuf);
			uint8_t *reply = q->rbuf;
			q->rbuf = NULL;	/* take_reply may end the try */
			bool over = take_reply(q, reply + 2, len);
			free(reply);
			if (!over)
				tcp_fail(q, EPROTO, "a bad reply");
			return;
		}
	}
}

/* The TCP socket's wakeup: connected, data, or an error. */
static void tcp_wakeup(struct socket *sock)
{
	tcp_pump(sock->owner);
}

/* The try got no answer in time: the next one. */
static void on_timeout(struct timer_list *t)
{
	start_try(container_of(t, struct dns_query, timer));
}

/* open_sock makes the try's socket, connected to the server's port 53. */
static int open_sock(struct dns_query *q, int type)
{
	union inet_sockaddr sa = { .sin = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT),
					    .sin_addr.s_addr = q->servers[q->server] } };
	int err = sock_create(q->net, type, type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP, &q->sock);

	if (err) {
		q->sock = NULL;
		return err;
	}
	q->sock->owner = q;
	q->sock->wakeup = type == SOCK_STREAM ? tcp_wakeup : udp_wakeup;
	/* A source port of dns_random's (a few tries at a free one, else the
	 * connect picks one). */
	for (int i = 0; type == SOCK_DGRAM && i < 8; i++) {
		union inet_sockaddr local = { .sin = { .sin_family = AF_INET } };
		unsigned int range = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
		local.sin.sin_port = htons((uint16_t)(EPHEMERAL_LOW + dns_random(&q->net->dns) % range));
		if (q->sock->ops->bind(q->sock, &local) == 0)
			break;
	}
	err = q->sock->ops->connect(q->sock, &sa);
	return err == -EINPROGRESS ? 0 : err;
}

/* try_timeout: the current try's wait, doubling with each round. */
static uint64_t try_timeout(struct dns_query *q)
{
	int round = (q->tries - 1) / q->nservers;

	return q->net->dns.timeout_us << round;
}

/* start_tcp asks the current server again, over TCP (RFC 7766 §5). */
static void start_tcp(struct dns_query *q)
{
	struct net *net = q->net;
	uint64_t t = try_timeout(q);
	int err;

	drop_sock(q);
	net->dns.stats.TcpQueries++;
	q->tcp = true;
	q->tsent = 0;
	q->rbuf = malloc(2 + 65535);
	if (!q->rbuf) {
		tcp_fail(q, ENOMEM, "out of memory");
		return;
	}
	if ((err = open_sock(q, SOCK_STREAM)) != 0) {
		tcp_fail(q, -err, strerror(-err));
		return;
	}
	mod_timer(&net->timers, &q->timer, net->now + (t < DNS_TCP_MIN_US ? DNS_TCP_MIN_US : t));
	tcp_pump(q);
}

/* start_try asks the next server, or ends the query when every try was
 * made. */
static void start_try(struct dns_query *q)
{
	struct net *net = q->net;
	char ip[16];
	long n;
	int err;

	drop_sock(q);
	if (q->tries >= q->nservers * DNS_ROUNDS) {
		if (q->last_err) {
			finish_err(q, q->last_err, q->last_why);
		} else {
			char why[160];
			net->dns.stats.TimedOut++;
			snprintf(why, sizeof(why), "no answer from %s%s after %d tries",
				 inet_ntoa_r(q->servers[0], ip), q->nservers > 1 ? " and the others" : "",
				 q->tries);
			finish_err(q, ETIMEDOUT, why);
		}
		return;
	}
	if (q->tries)
		net->dns.stats.Retries++;
	q->server = q->tries % q->nservers;
	q->tries++;
	mod_timer(&net->timers, &q->timer, net->now + try_timeout(q));
	q->id = (uint16_t)dns_random(&net->dns);
	q->msg[0] = (uint8_t)(q->msglen >> 8);
	q->msg[1] = (uint8_t)q->msglen;
	dns_query_build(q->msg + 2, sizeof(q->msg) - 2, q->id, q->name, q->qtype);	/* checked in dns_resolve */
	err = open_sock(q, SOCK_DGRAM);
	if (!err) {
		struct sockmsg m;
		memset(&m, 0, sizeof(m));
		m.data = q->msg + 2;
		n = q->sock->ops->sendmsg(q->sock, &m, q->msglen);
		err = n < 0 ? (int)n : 0;
	}
	if (err) {
		/* No route, no memory: this try is lost, the timer moves on. */
		q->last_err = -err;
		snprintf(q->last_why, sizeof(q->last_why), "cannot send to name server %s: %s",
			 inet_ntoa_r(q->servers[q->server], ip), strerror(-err));
		mod_timer(&net->timers, &q->timer, net->now);
		return;
	}
	net->dns.stats.Sent++;
}

/* --- the interface --- */

/* looks_numeric: only digits and dots, which no host name is (RFC 1123 §2.1). */
static bool looks_numeric(const char *s)
{
	return strspn(s, "0123456789.") == strlen(s);
}

int dns_resolve(struct net *net, const char *name, uint16_t qtype, dns_callback cb, void *arg,
		struct dns_result *now, struct dns_lookup **lp)
{
	struct dns *d = &net->dns;
	struct dns_lookup *l;
	struct dns_query *q;
	char lname[DNS_TEXT_MAX + 1];
	size_t len = strlen(name);
	uint32_t addr;

	memset(now, 0, sizeof(*now));
	*lp = NULL;
	if (qtype != DNS_T_A && qtype != DNS_T_AAAA) {
		now->err = -EINVAL;
		snprintf(now->why, sizeof(now->why), "only A and AAAA lookups are done");
		return now->err;
	}
	if (looks_numeric(name)) {
		if (qtype == DNS_T_A && inet_parse_addr(name, &addr) == 0) {
			now->addrs[now->naddrs++] = addr;
			return 0;
		}
		now->err = -EINVAL;
		snprintf(now->why, sizeof(now->why), "\"%.60s\" is not an IPv4 address", name);
		return now->err;
	}
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len >= sizeof(lname) || !dns_name_is_host(name)) {
		now->err = -EINVAL;
		snprintf(now->why, sizeof(now->why), "\"%.60s\" is not a host name "
			 "(letters, digits, '-' and '_', dot-separated labels of 1 to 63)", name);
		return now->err;
	}
	for (size_t i = 0; i < len; i++)
		lname[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
	lname[len] = 0;
	d->stats.Queries++;
	if (cache_get(net, lname, qtype, now)) {
		d->stats.CacheHits++;
		return now->err;
	}
	d->stats.CacheMisses++;
	if (d->nservers == 0) {
		now->err = -ENETUNREACH;
		snprintf(now->why, sizeof(now->why), "no name server (impfs --dns ADDR, or DHCP)");
		return now->err;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		now->err = -ENOMEM;
		snprintf(now->why, sizeof(now->why), "out of memory");
		return now->err;
	}
	l->cb = cb;
	l->arg = arg;
	for (q = d->queries; q; q = q->next)
		if (q->qtype == qtype && !strcmp(q->name, lname))
			break;
	if (q) {
		/* The same question is in flight: wait for its answer. */
		d->stats.Joined++;
		l->q = q;
		l->next = q->lookups;
		q->lookups = l;
		*lp = l;
		return -EINPROGRESS;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		free(l);
		now->err = -ENOMEM;
		snprintf(now->why, sizeof(now->why), "out of memory");
		return now->err;
	}
	l->q = q;
	q->lookups = l;
	q->net = net;
	memcpy(q->name, lname, len + 1);
	q->qtype = qtype;
	memcpy(q->servers, d->servers, sizeof(q->servers));
	q->nservers = d->nservers;
	q->msglen = (size_t)dns_query_build(q->msg + 2, sizeof(q->msg) - 2, 0, q->name, qtype);
	timer_setup(&q->timer, on_timeout);
	q->next = d->queries;
	if (q->next)
		q->next->pprev = &q->next;
	q->pprev = &d->queries;
	d->queries = q;
	start_try(q);
	*lp = l;
	return -EINPROGRESS;
}

/* dns_cancel: the caller no longer waits; the query ends with its last
 * lookup. */
void dns_cancel(struct dns_lookup *l)
{
	struct dns_query *q;

	if (!l)
		return;
	if (!(q = l->q)) {
		l->cancelled = true;	/* answered, its callback not yet made: finish frees it */
		return;
	}
	for (struct dns_lookup **pp = &q->lookups; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	free(l);
	if (!q->lookups)
		query_free(q);
}

void dns_cleanup(struct net *net)
{
	while (net->dns.queries)
		query_free(net->dns.queries);
	free(net->dns.cache);
	net->dns.cache = NULL;
}
