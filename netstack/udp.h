/* UDP (RFC 768) and ICMP echo sockets ("ping" sockets, as Linux calls them). */
#ifndef IMP_UDP_H
#define IMP_UDP_H

#include <stdbool.h>
#include <stdint.h>

#include "skbuff.h"

struct net;
struct sock;

struct udphdr {
	uint16_t source, dest, len, check;
} __attribute__((packed));

#define UDP_MAX_PAYLOAD 65507		/* 65535 - 20 (IP) - 8 (UDP) */
#define UDP_MAX_PAYLOAD6 65527		/* 65535 - 8: IPv6's payload length leaves out its header */
#define UDP_HTABLE 256
/* Ephemeral ports, Linux's ip_local_port_range. */
#define EPHEMERAL_LOW 32768
#define EPHEMERAL_HIGH 60999

/* RFC 4113 udp MIB names, then Linux's extra reasons. */
#define UDPSTATS(X) X(InDatagrams) X(NoPorts) X(InErrors) X(OutDatagrams) \
	X(RcvbufErrors) X(SndbufErrors) X(InCsumErrors) X(InBadLength) \
	X(BacklogDrops) X(MemErrors)
struct udpstats {
#define X(n) uint64_t n;
	UDPSTATS(X)
#undef X
};

/* Sockets hashed by local port (for ping sockets, by echo identifier). */
struct udp_table {
	struct sock *hash[UDP_HTABLE];
	int count;
};

void udp_init(struct net *net);
void udp_table_insert(struct udp_table *t, struct sock *sk);
void udp_table_remove(struct udp_table *t, struct sock *sk);
/* udp_table_get_port binds sk to port in t, or to a free ephemeral one. */
int udp_table_get_port(struct net *net, struct udp_table *t, struct sock *sk, uint16_t port);
void ping_init(struct net *net);
/* ping_rcv offers an echo reply (ICMP's or ICMPv6's) to the ping
 * sockets; true if one took it. */
bool ping_rcv(struct sk_buff *skb);
void ping_err(struct sk_buff *skb, int type, int code, uint32_t info);
int icmp_err_to_errno(int type, int code);
/* UDP over IPv6: the NEXTHDR_UDP handler, and an ICMPv6 error about a
 * datagram we sent (ip6 its header, l4 what is quoted of the rest). */
struct ipv6hdr;
void udpv6_rcv(struct sk_buff *skb);
void udpv6_err(struct net *net, const struct ipv6hdr *ip6, const unsigned char *l4,
	       unsigned int l4len, int err);

extern const struct proto udp_prot;
extern const struct proto ping_prot;
extern const struct proto ping6_prot;	/* ICMPv6 echo sockets */
void ping6_err(struct net *net, const struct ipv6hdr *ip6, const unsigned char *l4,
	       unsigned int l4len, int err);

#endif
