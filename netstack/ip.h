/* IPv4: the header, the counters, the protocol switch, routes and
 * reassembly state. */
#ifndef IMP_IP_H
#define IMP_IP_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>	/* IPPROTO_* */

#include "skbuff.h"
#include "timer.h"

struct net;
struct net_device;

struct iphdr {
	uint8_t ver_ihl;		/* version << 4 | header length in words */
	uint8_t tos;
	uint16_t tot_len;
	uint16_t id;
	uint16_t frag_off;		/* flags and offset in 8-byte units */
	uint8_t ttl;
	uint8_t protocol;
	uint16_t check;
	uint32_t saddr;
	uint32_t daddr;
} __attribute__((packed));

#define IP_CE 0x8000
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
#define IP_DEFAULT_TTL 64
#define IP_MAX_PACKET 65535

static inline unsigned int ip_hdrlen(const struct iphdr *iph) { return (iph->ver_ihl & 0x0f) * 4u; }
static inline struct iphdr *ip_hdr(const struct sk_buff *skb) { return (struct iphdr *)skb_network_header(skb); }

/* RFC 4293 ipSystemStatsTable names, then one counter per reason we drop. */
#define IPSTATS(X) X(InReceives) X(InHdrErrors) X(InAddrErrors) \
	X(InUnknownProtos) X(InDiscards) X(InDelivers) X(OutRequests) \
	X(OutDiscards) X(OutNoRoutes) X(ReasmTimeout) X(ReasmReqds) \
	X(ReasmOKs) X(ReasmFails) X(FragOKs) X(FragFails) X(FragCreates) \
	X(InTruncated) X(InBadVersion) X(InBadIHL) X(InCsumErrors) \
	X(InBadLength) X(InTTLZero) X(InMartians) X(InNotForUs) \
	X(ReasmOverlaps) X(ReasmTooMany) X(ReasmOverMem) X(ReasmDuplicates) \
	X(ReasmBadLength)
struct ipstats {
#define X(n) uint64_t n;
	IPSTATS(X)
#undef X
};

/* A transport protocol's entry points (Linux's net_protocol). */
struct net_protocol {
	/* Takes ownership of skb; data is at the transport header, the IP
	 * header is at skb_network_header. */
	void (*handler)(struct sk_buff *skb);
	/* An ICMP error about a datagram we sent: skb data is the quoted IP
	 * header (validated: at least its header and 8 bytes). */
	void (*err_handler)(struct sk_buff *skb, int type, int code, uint32_t info);
};

/* Routes. */
enum { RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST };
enum { RT_CONNECTED, RT_STATIC };

struct fib_entry {
	uint32_t dst;			/* network order, masked */
	uint8_t plen;
	uint8_t kind;			/* RT_CONNECTED or RT_STATIC */
	uint32_t gw;			/* 0 when on-link */
	struct net_device *dev;
};

#define FIB_MAX 64
struct fib_table {
	struct fib_entry e[FIB_MAX];
	int n;
};

struct rtable {
	int type;			/* RTN_* */
	struct net_device *dev;
	uint32_t nexthop;		/* who gets the frame on the link */
	uint32_t saddr;			/* preferred source */
};

static inline uint32_t inet_make_mask(int plen)
{
	return plen ? __builtin_bswap32(~0u << (32 - plen)) : 0;
}

/* Reassembly (ip_fragment.c).  Limits keep a flood of fragments to a fixed
 * amount of memory: queues, fragments per datagram and bytes overall. */
#define IPFRAG_TIME_US (30ull * 1000000)	/* Linux's ipfrag_time */
#define IPFRAG_MAX_QUEUES 64
#define IPFRAG_MAX_FRAGS 64
#define IPFRAG_MAX_MEM (4u << 20)

struct ipq {
	struct ipq *next;
	struct net *net;
	uint32_t saddr, daddr;
	uint16_t id;
	uint8_t protocol;
	bool last_in;			/* total length known */
	unsigned int len;		/* total payload length, once last_in */
	unsigned int meat;		/* payload bytes held */
	struct sk_buff_head frags;	/* sorted by offset, no overlaps */
	struct timer_list timer;
};

struct ipfrags {
	struct ipq *queues;
	int nqueues;
	size_t mem;
};

/* ip_input.c */
void ip_init(struct net *net);
void ip_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt);
void ip_local_deliver(struct sk_buff *skb);
bool inet_addr_is_local(struct net *net, uint32_t addr);
int inet_addr_type(struct net *net, uint32_t addr);	/* RTN_* */
void inet_add_protocol(struct net *net, const struct net_protocol *prot, uint8_t num);

/* ip_output.c */
struct sk_buff *ip_alloc_skb(unsigned int payload);
/* ip_build_xmit adds an IP header in front of skb's data and sends it.
 * saddr 0 picks the route's source.  Takes ownership.  Returns 0 or -errno. */
int ip_build_xmit(struct net *net, struct sk_buff *skb, uint32_t saddr,
		  uint32_t daddr, uint8_t protocol, uint8_t ttl, uint8_t tos, bool df);
int ip_finish_output(struct net *net, struct sk_buff *skb, const struct rtable *rt);
void ip_send_check(struct iphdr *iph);

/* ip_fragment.c */
struct sk_buff *ip_defrag(struct net *net, struct sk_buff *skb);
void ipfrag_flush(struct net *net);

/* route.c */
int ip_route_output(struct net *net, uint32_t daddr, struct rtable *rt);
int fib_add(struct net *net, uint32_t dst, int plen, uint32_t gw,
	    struct net_device *dev, int kind);
int fib_del(struct net *net, uint32_t dst, int plen);
void fib_flush_static(struct net *net);
int inet_add_ifaddr(struct net_device *dev, uint32_t addr, int plen);
int inet_del_ifaddr(struct net_device *dev, uint32_t addr, int plen);
int inet_parse_addr(const char *s, uint32_t *addr);
int inet_parse_prefix(const char *s, uint32_t *addr, int *plen);
int prefix_split(const char *s, char *buf, size_t len, int max, int *plen);

#endif
