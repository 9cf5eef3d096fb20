/* ICMP (RFC 792). */
#ifndef IMP_ICMP_H
#define IMP_ICMP_H

#include <stdint.h>

#include "skbuff.h"

struct net;

struct icmphdr {
	uint8_t type;
	uint8_t code;
	uint16_t checksum;
	union {
		struct { uint16_t id, sequence; } echo;
		uint32_t gateway;
		struct { uint16_t unused, mtu; } frag;
	} un;
} __attribute__((packed));

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_EXC_TTL 0
#define ICMP_EXC_FRAGTIME 1

/* Error messages are limited to a token bucket (Linux: icmp_msgs_per_sec,
 * icmp_msgs_burst); echo replies are not, as in Linux. */
#define ICMP_RATE_PER_SEC 1000
#define ICMP_RATE_BURST 50

#define ICMPSTATS(X) X(InMsgs) X(InErrors) X(InCsumErrors) X(InDestUnreachs) \
	X(InTimeExcds) X(InParmProbs) X(InEchos) X(InEchoReps) X(OutMsgs) \
	X(OutErrors) X(OutDestUnreachs) X(OutTimeExcds) X(OutEchos) \
	X(OutEchoReps) X(OutRateLimited)
struct icmpstats {
#define X(n) uint64_t n;
	ICMPSTATS(X)
#undef X
};

void icmp_init(struct net *net);
/* icmp_send reports a problem with skb_in (data anywhere; its network header
 * must be set) to its sender.  Never for ICMP errors, fragments past the
 * first, or broadcasts; rate limited.  Does not take ownership. */
void icmp_send(struct net *net, const struct sk_buff *skb_in, int type, int code, uint32_t info);

#endif
