/* The stub resolver (RFC 1035, RFC 1123 §6.1.3): A (and AAAA) queries to
 * the configured name servers over the stack's own UDP, TCP when a reply
 * comes back truncated, with retries, timeouts and a cache that honours
 * TTLs.  Ids and source ports are random and a reply must match the
 * question (RFC 5452). */
#ifndef IMP_DNS_H
#define IMP_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "dns_msg.h"
#include "timer.h"

struct net;
struct socket;

#define DNS_MAX_SERVERS 4
#define DNS_CACHE_SIZE 256		/* entries; the oldest goes first */
#define DNS_TTL_MAX 86400		/* s: a day, whatever a server says */
#define DNS_NEG_TTL_MAX 300		/* s: negative answers (RFC 2308 §5) */
#define DNS_TIMEOUT_US 1000000ull	/* the first try's; doubled each round */
#define DNS_ROUNDS 3			/* tries per server */
#define DNS_TCP_MIN_US 3000000ull	/* a TCP try gets at least this long */

#define DNSSTATS(X) X(Queries) X(Joined) X(CacheHits) X(CacheMisses) X(Sent) X(Retries) \
	X(Answers) X(NXDomain) X(NoData) X(ServFail) X(Refused) X(OtherErrors) \
	X(TimedOut) X(PortUnreach) X(HostUnreach) X(Truncated) X(TcpQueries) X(TcpErrors) \
	X(BadShort) X(BadName) X(BadNotReply) X(BadQuestion) X(BadRdata) X(BadId)
struct dnsstats {
#define X(n) uint64_t n;
	DNSSTATS(X)
#undef X
};

/* What a lookup found: addresses, or err (-errno) and a sentence. */
struct dns_result {
	int err;
	int naddrs, naddrs6;
	uint32_t addrs[DNS_MAX_ADDRS];		/* network order */
	uint8_t addrs6[DNS_MAX_ADDRS][16];
	char cname[DNS_TEXT_MAX + 1];
	bool cached;
	char why[160];				/* err's sentence: "no such name (NXDOMAIN from 10.0.0.1)" */
};

typedef void (*dns_callback)(void *arg, const struct dns_result *res);

struct dns_cache_ent;
struct dns_query;
struct dns_lookup;

struct dns {
	uint32_t servers[DNS_MAX_SERVERS];	/* network order */
	int nservers;
	bool fixed;				/* set by impfs --dns: a lease's do not replace them */
	struct dns_cache_ent *cache;		/* DNS_CACHE_SIZE, made on first use */
	struct dns_query *queries;		/* in flight */
	uint64_t timeout_us;			/* of a first try */
	uint64_t key[2], counter;		/* ids and ports: see dns_random */
	struct dnsstats stats;
};

void dns_init(struct net *net);
void dns_cleanup(struct net *net);
/* dns_set_servers replaces the server list (impfs --dns, or DHCP's option
 * 6): up to DNS_MAX_SERVERS addresses, network order.  Queries in flight
 * go on with the list they started with. */
int dns_set_servers(struct net *net, const uint32_t *addrs, int n);
/* dns_lease_servers: a DHCP lease's name servers (option 6) become the
 * list, unless impfs --dns fixed it (dns.fixed); addresses a query could
 * not go to are left out, and more than DNS_MAX_SERVERS are cut.  A lease
 * with none leaves the list as it was.  Returns how many were taken. */
int dns_lease_servers(struct net *net, const uint32_t *addrs, int n);
void dns_flush(struct net *net);
/* True if cache slot i holds an answer that has not expired. */
bool dns_cache_live(const struct net *net, int i);

/* dns_resolve looks name up (qtype DNS_T_A or DNS_T_AAAA).  A dotted
 * IPv4 address, a cached answer, or a name that cannot be asked about is
 * answered at once into *now: 0 (addresses) or -errno (now->why says why).
 * Otherwise -EINPROGRESS and *lp is the caller's lookup: cb is called
 * once, later, from a wakeup or a timer (never from inside this call),
 * unless dns_cancel(*lp) comes first; after cb, *lp is gone.  Lookups of
 * one name and type in flight together share one query. */
int dns_resolve(struct net *net, const char *name, uint16_t qtype, dns_callback cb, void *arg,
		struct dns_result *now, struct dns_lookup **lp);
void dns_cancel(struct dns_lookup *l);

#endif
