/* ARP (RFC 826) and the neighbour table it fills. */
#ifndef IMP_ARP_H
#define IMP_ARP_H

#include <stdint.h>

#include "netdevice.h"
#include "timer.h"

struct net;

struct arphdr {
	uint16_t ar_hrd, ar_pro;
	uint8_t ar_hln, ar_pln;
	uint16_t ar_op;
	uint8_t ar_sha[ETH_ALEN];
	uint32_t ar_sip;
	uint8_t ar_tha[ETH_ALEN];
	uint32_t ar_tip;
} __attribute__((packed));

#define ARPHRD_ETHER 1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

/* Neighbour states, after Linux's NUD_*. */
enum nud_state { NUD_INCOMPLETE, NUD_REACHABLE, NUD_STALE, NUD_FAILED, NUD_PERMANENT };

#define ARP_RETRANS_US 1000000ull	/* between requests while resolving */
#define ARP_MAX_PROBES 3
#define ARP_REACHABLE_US (30ull * 1000000)	/* then stale: next use re-asks */
#define ARP_STALE_US (60ull * 1000000)		/* stale and unused: removed */
#define ARP_FAILED_US (5ull * 1000000)		/* a failure is remembered */
#define ARP_GC_US (5ull * 1000000)
#define ARP_QUEUE_MAX 64		/* frames held per unresolved neighbour */
#define ARP_QUEUE_BYTES (128u << 10)
#define ARP_TABLE_MAX 512
#define ARP_HASH 64

struct neighbour {
	struct neighbour *next;
	struct net_device *dev;
	uint32_t ip;
	uint8_t ha[ETH_ALEN];
	uint8_t nud_state;
	uint8_t probes;
	uint64_t confirmed;		/* last reply or request from it */
	uint64_t used;			/* last packet sent to it */
	uint64_t last_probe;
	struct sk_buff_head arp_queue;
	struct timer_list timer;	/* retransmit while incomplete */
};

#define ARPSTATS(X) X(InRequests) X(InReplies) X(InErrors) X(InIgnored) \
	X(OutRequests) X(OutReplies) X(UnresolvedDrops) X(QueueDrops) \
	X(TableFull) X(Conflicts)
struct arpstats {
#define X(n) uint64_t n;
	ARPSTATS(X)
#undef X
};

struct neigh_table {
	struct neighbour *hash[ARP_HASH];
	int entries;
	struct timer_list gc_timer;
	struct packet_type pt;		/* ETH_P_ARP */
	struct net *net;
};

void arp_init(struct net *net);
void arp_cleanup(struct net *net);
/* neigh_output sends an IP packet (skb data at the IP header) to nexthop on
 * dev, resolving it first if need be.  Takes ownership. */
int neigh_output(struct net_device *dev, uint32_t nexthop, struct sk_buff *skb);
void arp_send_gratuitous(struct net_device *dev, uint32_t addr);
/* arp_send_probe asks who has addr from 0.0.0.0 (RFC 5227 §2.1.1). */
void arp_send_probe(struct net_device *dev, uint32_t addr);
struct neighbour *neigh_lookup(struct net *net, uint32_t ip);
int neigh_add_static(struct net_device *dev, uint32_t ip, const uint8_t *ha);
int neigh_delete(struct net *net, uint32_t ip);
void neigh_flush(struct net *net);
const char *neigh_state_name(int nud_state);

#endif
