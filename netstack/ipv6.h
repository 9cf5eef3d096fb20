/* IPv6 (RFC 8200), ICMPv6 (RFC 4443), neighbour discovery (RFC 4861),
 * stateless autoconfiguration (RFC 4862) and the host's part of MLD:
 * headers, per-device state, neighbours, routes, counters.
 *
 * Addresses are struct in6_addr throughout, as Linux's are, so the
 * transports can take IPv6 later with the same type. */
#ifndef IMP_IPV6_H
#define IMP_IPV6_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>	/* struct in6_addr, IPPROTO_* */

#include "skbuff.h"
#include "timer.h"

struct net;
struct net_device;

#define ETH_P_IPV6 0x86DD
#define IPV6_MIN_MTU 1280
#define IPV6_DEFAULT_HOPLIMIT 64
#define IPV6_MAXPLEN 65535

struct ipv6hdr {
	uint32_t ver_tc_flow;		/* version 4 bits, class 8, flow label 20 */
	uint16_t payload_len;
	uint8_t nexthdr;
	uint8_t hop_limit;
	struct in6_addr saddr, daddr;
};	/* not packed: 40 bytes with no padding, and in6_addr's may be taken */
_Static_assert(sizeof(struct ipv6hdr) == 40, "ipv6hdr is 40 bytes");

/* The generic extension header (hop-by-hop, routing, destination). */
struct ipv6_opt_hdr {
	uint8_t nexthdr;
	uint8_t hdrlen;			/* in 8-byte units, not counting the first 8 */
} __attribute__((packed));

struct frag_hdr {
	uint8_t nexthdr;
	uint8_t reserved;
	uint16_t frag_off;		/* offset << 3 | M */
	uint32_t identification;
} __attribute__((packed));
#define IP6_MF 0x0001
#define IP6_OFFSET 0xfff8

#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_ICMP 58
#define NEXTHDR_NONE 59
#define NEXTHDR_DEST 60
/* A packet with more extension headers than this is not worth walking. */
#define IP6_MAX_EXTHDRS 8

struct icmp6hdr {
	uint8_t icmp6_type;
	uint8_t icmp6_code;
	uint16_t icmp6_cksum;
	union {
		uint32_t un_data32;
		uint16_t un_data16[2];
		uint8_t un_data8[4];
	} un;
} __attribute__((packed));

#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_PARAMPROB 4
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define ICMPV6_MGM_QUERY 130
#define ICMPV6_MGM_REPORT 131
#define ICMPV6_MGM_REDUCTION 132
#define NDISC_ROUTER_SOLICITATION 133
#define NDISC_ROUTER_ADVERTISEMENT 134
#define NDISC_NEIGHBOUR_SOLICITATION 135
#define NDISC_NEIGHBOUR_ADVERTISEMENT 136
#define NDISC_REDIRECT 137
#define ICMPV6_MLD2_REPORT 143

#define ICMPV6_NOROUTE 0
#define ICMPV6_ADDR_UNREACH 3
#define ICMPV6_PORT_UNREACH 4
#define ICMPV6_EXC_HOPLIMIT 0
#define ICMPV6_EXC_FRAGTIME 1
#define ICMPV6_HDR_FIELD 0
#define ICMPV6_UNK_NEXTHDR 1
#define ICMPV6_UNK_OPTION 2

/* Neighbour discovery options (RFC 4861 §4.6). */
#define ND_OPT_SOURCE_LL_ADDR 1
#define ND_OPT_TARGET_LL_ADDR 2
#define ND_OPT_PREFIX_INFO 3
#define ND_OPT_MTU 5

/* Counters: Linux's /proc/net/snmp6 names (shown with the Ip6 and Icmp6
 * prefixes), then one per reason we drop. */
#define IP6STATS(X) X(InReceives) X(InHdrErrors) X(InAddrErrors) \
	X(InUnknownProtos) X(InTruncatedPkts) X(InDiscards) X(InDelivers) \
	X(OutRequests) X(OutDiscards) X(OutNoRoutes) X(ReasmTimeout) \
	X(ReasmReqds) X(ReasmOKs) X(ReasmFails) X(FragOKs) X(FragFails) \
	X(FragCreates) X(InMcastPkts) X(OutMcastPkts) X(InBadVersion) \
	X(InHopLimitZero) X(InBadExtHdrs) X(InTooManyExtHdrs) X(InBadOptions) \
	X(InMartians) X(InNotForUs) X(ReasmOverlaps) X(ReasmTooMany) \
	X(ReasmOverMem) X(ReasmBadLength)
struct ip6stats {
#define X(n) uint64_t n;
	IP6STATS(X)
#undef X
};

#define ICMP6STATS(X) X(InMsgs) X(InErrors) X(OutMsgs) X(OutErrors) \
	X(InCsumErrors) X(InDestUnreachs) X(InPktTooBigs) X(InTimeExcds) \
	X(InParmProblems) X(InEchos) X(InEchoReplies) X(InGroupMembQueries) \
	X(InRouterSolicits) X(InRouterAdvertisements) X(InNeighborSolicits) \
	X(InNeighborAdvertisements) X(InRedirects) X(OutDestUnreachs) \
	X(OutTimeExcds) X(OutParmProblems) X(OutEchoReplies) \
	X(OutRouterSolicits) X(OutNeighborSolicits) X(OutNeighborAdvertisements) \
	X(OutMLDv2Reports) X(OutRateLimited) X(InBadHopLimit) X(InBadCode) \
	X(InBadLength) X(InBadSource) X(InBadOptions) X(InBadTarget) X(InBadFlags) \
	X(InBadPktTooBigs) X(PmtuUpdates) X(DadFailures) X(SlaacAddrs) X(NeighUnresolved) X(NeighTableFull)
struct icmp6stats {
#define X(n) uint64_t n;
	ICMP6STATS(X)
#undef X
};

/* An IPv6 address on an interface (Linux's inet6_ifaddr). */
enum { IFA6_TENTATIVE, IFA6_PREFERRED, IFA6_DADFAILED };
enum { IFA6_LINK, IFA6_STATIC, IFA6_SLAAC };	/* where it came from */
struct inet6_ifaddr {
	struct in6_addr addr;
	uint8_t prefix_len;
	uint8_t state;			/* IFA6_* */
	uint8_t origin;
	uint8_t dad_probes;		/* NS still to send */
	uint64_t dad_next;		/* µs: next DAD step */
	uint64_t valid_until;		/* µs; UINT64_MAX: forever */
	uint64_t preferred_until;
};
#define IFA6_MAX 8

/* IPv6 state of one device (Linux's inet6_dev). */
struct inet6_dev {
	struct net_device *dev;
	struct inet6_ifaddr addr[IFA6_MAX];
	int naddr;
	uint8_t rs_sent;		/* router solicitations so far */
	uint64_t rs_next;		/* µs: the next one, 0: none due */
	bool ra_seen;
	uint32_t mtu6;			/* from an RA's MTU option, else dev->mtu */
	uint64_t mld_answered;		/* µs: the last answer to a query */
	uint8_t cur_hoplimit;
	struct timer_list timer;	/* DAD, RS, lifetimes */
};

/* Neighbour cache (RFC 4861 §5.1), a small table scanned linearly. */
enum { ND_INCOMPLETE, ND_REACHABLE, ND_STALE, ND_DELAY, ND_PROBE, ND_FAILED };
struct nd_neigh {
	bool used_slot;
	bool is_router;
	uint8_t state;
	uint8_t probes;
	struct net_device *dev;
	struct in6_addr addr;
	uint8_t ha[6];
	uint64_t confirmed, last_probe, used;
	struct sk_buff_head queue;
	struct timer_list timer;
};
#define ND_TABLE_MAX 64
#define ND_QUEUE_MAX 16
#define ND_RETRANS_US 1000000ull
#define ND_MAX_PROBES 3
#define ND_REACHABLE_US (30ull * 1000000)
#define ND_STALE_US (120ull * 1000000)
#define ND_DELAY_US (5ull * 1000000)	/* DELAY_FIRST_PROBE_TIME */
#define ND_RS_INTERVAL_US (4ull * 1000000)
#define ND_MAX_RS 3

/* Routes: on-link prefixes and default routers (from addresses and RAs). */
enum { RT6_CONNECTED, RT6_STATIC, RT6_RA };
struct rt6_entry {
	struct in6_addr dst;		/* masked */
	uint8_t plen;
	uint8_t kind;
	struct in6_addr gw;		/* :: when on-link */
	struct net_device *dev;
	uint64_t expires;		/* µs; UINT64_MAX: never */
};
#define RT6_MAX 32

/* Path MTUs learnt from packet too big messages (RFC 8201), by destination. */
struct pmtu6_entry {
	struct in6_addr daddr;
	uint32_t mtu;
	uint64_t expires;		/* µs; 0: free */
};
#define PMTU6_MAX 16
#define PMTU6_EXPIRES_US (600ull * 1000000)	/* 10 minutes, as RFC 8201 §4 suggests */

/* Reassembly: the same caps as IPv4's (net->limits), and RFC 8200's 60 s. */
#define IP6FRAG_TIME_US (60ull * 1000000)
struct frag6_queue {
	struct frag6_queue *next;
	struct net *net;
	struct in6_addr saddr, daddr;
	uint32_t id;
	bool last_in;
	bool first_in;
	unsigned int len, meat;
	struct ipv6hdr hdr;		/* the offset-0 fragment's, for the whole */
	uint8_t nexthdr;		/* what the fragmentable part starts with */
	struct sk_buff_head frags;	/* sorted by offset (cb), no overlaps */
	struct timer_list timer;
};

#define IP6CB_TENTATIVE(skb) (*(bool *)(skb)->cb)
struct ipv6_state {
	struct ip6stats stats;
	struct icmp6stats icmp6;
	struct packet_type pt;
	bool pt_added;
	struct nd_neigh neigh[ND_TABLE_MAX];
	int nneigh;
	struct rt6_entry rt[RT6_MAX];
	int nrt;
	struct pmtu6_entry pmtu[PMTU6_MAX];
	struct frag6_queue *fq;
	int nfq;
	size_t frag_mem;
	uint32_t frag_id;
	uint64_t icmp_tokens, icmp_last;
	struct timer_list gc_timer;	/* neighbour and route aging */
};

/* Address helpers. */
static inline bool ipv6_addr_equal(const struct in6_addr *a, const struct in6_addr *b)
{
	return !__builtin_memcmp(a->s6_addr, b->s6_addr, 16);	/* may be unaligned */
}
static inline bool ipv6_addr_any(const struct in6_addr *a)
{
	static const struct in6_addr any;
	return ipv6_addr_equal(a, &any);
}
static inline bool ipv6_addr_is_multicast(const struct in6_addr *a) { return a->s6_addr[0] == 0xff; }
static inline bool ipv6_addr_is_linklocal(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}
static inline bool ipv6_addr_is_loopback(const struct in6_addr *a)
{
	static const struct in6_addr lo = { .s6_addr = { [15] = 1 } };
	return ipv6_addr_equal(a, &lo);
}
bool ipv6_prefix_equal(const struct in6_addr *a, const struct in6_addr *b, int plen);
void ipv6_addr_prefix(struct in6_addr *out, const struct in6_addr *a, int plen);
/* The solicited-node group of a (ff02::1:ffXX:XXXX, RFC 4291 §2.7.1). */
void addrconf_addr_solict_mult(const struct in6_addr *a, struct in6_addr *out);
/* The Ethernet group address of a multicast IPv6 address (33:33:...). */
void ipv6_eth_mc_map(const struct in6_addr *a, uint8_t mac[6]);
extern const struct in6_addr in6addr_linklocal_allnodes, in6addr_linklocal_allrouters,
	in6addr_mld2_routers;
/* Text forms: buf of INET6_ADDRSTRLEN (46) bytes. */
char *ipv6_ntoa_r(const struct in6_addr *a, char *buf);
int ipv6_parse_prefix(const char *s, struct in6_addr *addr, int *plen);

/* ipv6.c */
void ipv6_init(struct net *net);
void ipv6_cleanup(struct net *net);
void ipv6_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt);
uint32_t csum_ipv6_magic(const struct in6_addr *saddr, const struct in6_addr *daddr,
			 uint32_t len, uint8_t proto, uint32_t sum);
/* ip6_xmit puts an IPv6 header in front of skb's data (and the extension
 * header bytes exthdr, if any) and sends it on dev (NULL: the route's).
 * saddr NULL picks a source; tclass is the traffic class (a socket's
 * tos, as IPv4's header takes it).  To one of our own addresses it goes to
 * net->backlog instead (see net_process_backlog).  Takes ownership; 0 or
 * -errno. */
int ip6_xmit(struct net *net, struct sk_buff *skb, struct net_device *dev,
	     const struct in6_addr *saddr, const struct in6_addr *daddr,
	     uint8_t nexthdr, uint8_t hoplimit, uint8_t tclass,
	     const void *exthdr, unsigned int extlen);
/* The type of a destination for us: ours (any state), a group we are in. */
struct inet6_ifaddr *ipv6_get_ifaddr(struct net *net, const struct in6_addr *a);
/* ipv6_addr_dev: the device that holds a (*ifap, if not NULL, gets the
 * address), else NULL. */
struct net_device *ipv6_addr_dev(struct net *net, const struct in6_addr *a,
				 struct inet6_ifaddr **ifap);
/* ipv6_local_dev: the same for an address that is ours to receive on,
 * preferred or still in DAD: one that failed DAD is another node's, and
 * packets to it go to the wire. */
struct net_device *ipv6_local_dev(struct net *net, const struct in6_addr *a,
				  struct inet6_ifaddr **ifap);
bool ipv6_is_our_group(struct net_device *dev, const struct in6_addr *a);
/* ipv6_mc_mac_wanted: is a 33:33:... frame for one of our groups?  Any
 * other multicast MAC (IPv4's 01:00:5e:...) is let through as before. */
bool ipv6_mc_mac_wanted(const struct net_device *dev, const uint8_t *mac);
/* Source address selection (RFC 6724, simplified: same scope, then the
 * longest match), NULL when dev has no usable address. */
const struct in6_addr *ipv6_select_saddr(struct net_device *dev, const struct in6_addr *daddr);

/* The path MTU to daddr: what a packet too big said, else 0. */
uint32_t ip6_pmtu_get(struct net *net, const struct in6_addr *daddr);
void ip6_pmtu_update(struct net *net, const struct in6_addr *daddr, uint32_t mtu);

/* ip6_fragment.c */
/* ipv6_defrag takes a fragment (data at the fragment header, network
 * header set) and returns the reassembled packet (data after its IPv6
 * header, nexthdr in *nexthdr) or NULL (held or dropped). */
struct sk_buff *ipv6_defrag(struct net *net, struct sk_buff *skb, uint8_t *nexthdr);
void ip6frag_flush(struct net *net);

/* icmpv6.c */
void icmpv6_rcv(struct sk_buff *skb);
/* icmpv6_send: an error about skb_in (its network header is the offending
 * packet's IPv6 header), rate-limited, never about an error or multicast
 * (but for PKT_TOOBIG and PARAMPROB code 2, RFC 4443 §2.4 (e)). */
void icmpv6_send(struct net *net, const struct sk_buff *skb_in, int type, int code, uint32_t info);
/* icmpv6_xmit sends a whole ICMPv6 message (checksum filled here), behind
 * a hop-by-hop header ext (extlen bytes) if ext is not NULL.  dev NULL:
 * the route's; saddr NULL: one picked for daddr. */
int icmpv6_xmit(struct net *net, struct net_device *dev, const void *msg, unsigned int len,
		const struct in6_addr *saddr, const struct in6_addr *daddr, uint8_t hoplimit,
		const void *ext, unsigned int extlen);
/* icmpv6_xmit_tc: the same with a traffic class (an echo socket's tos). */
int icmpv6_xmit_tc(struct net *net, struct net_device *dev, const void *msg, unsigned int len,
		   const struct in6_addr *saddr, const struct in6_addr *daddr, uint8_t hoplimit,
		   uint8_t tclass, const void *ext, unsigned int extlen);
struct net_device *ip6_default_dev(struct net *net);

/* ndisc.c */
void ndisc_rcv(struct sk_buff *skb, int type);
int ndisc_output(struct net_device *dev, const struct in6_addr *nexthop, struct sk_buff *skb);
void ndisc_send_ns(struct net_device *dev, const struct in6_addr *target, bool dad);
/* ndisc_send_ns_unicast: NUD's probe, straight to the neighbour. */
void ndisc_send_ns_unicast(struct nd_neigh *n);
void ndisc_send_rs(struct net_device *dev);
void mld_send_report(struct net_device *dev, const struct in6_addr *group, bool query_answer);
struct nd_neigh *nd_lookup(struct net *net, const struct in6_addr *a);
void nd_flush(struct net *net);
const char *nd_state_name(int s);

/* addrconf.c */
/* addrconf_dev_up turns IPv6 on for dev: the link-local address from the
 * MAC (EUI-64), DAD, then router solicitations. */
int addrconf_dev_up(struct net_device *dev);
void addrconf_dev_down(struct net_device *dev);
int addrconf_add_static(struct net_device *dev, const struct in6_addr *a, int plen);
/* addrconf_del removes an address (any origin, link-local too) and, for
 * one added by hand, its prefix route unless another address is in it.
 * 0, -ENETDOWN (IPv6 off) or -EADDRNOTAVAIL. */
int addrconf_del(struct net_device *dev, const struct in6_addr *a, int plen);
/* addrconf_prefix_rcv: a prefix information option from an RA. */
void addrconf_prefix_rcv(struct net_device *dev, const uint8_t *pio);
/* addrconf_dad_failed: someone else has a (tentative) address of ours. */
void addrconf_dad_failed(struct inet6_ifaddr *ifa, struct net_device *dev);
void addrconf_ra_seen(struct net_device *dev);
const char *addrconf_state_name(int s);
const char *addrconf_origin_name(int o);

/* route6 (in addrconf.c) */
int rt6_add(struct net *net, const struct in6_addr *dst, int plen, const struct in6_addr *gw,
	    struct net_device *dev, int kind, uint64_t expires);
void rt6_del_kind(struct net *net, const struct in6_addr *dst, int plen, int kind);
void rt6_del_router(struct net *net, const struct in6_addr *gw);
/* rt6_lookup: the device and next hop for daddr; -ENETUNREACH. */
int rt6_lookup(struct net *net, const struct in6_addr *daddr, struct net_device **dev,
	       struct in6_addr *nexthop);
const char *rt6_kind_name(int k);

#endif
