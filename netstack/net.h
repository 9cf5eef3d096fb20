/* struct net: one instance of the stack and everything it owns.
 *
 * Linux keeps per-namespace state in struct net; imp keeps all of its state
 * there, so there are no globals and a unit test can run a whole stack on an
 * in-memory device beside another. */
#ifndef IMP_NET_H
#define IMP_NET_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "arp.h"
#include "dhcp.h"
#include "dns.h"
#include "icmp.h"
#include "ip.h"
#include "ipv6.h"
#include "netdevice.h"
#include "skbuff.h"
#include "timer.h"
#include "udp.h"
#include "tcp.h"

struct socket;

#define NET_MAX_DEVS 4

/* What the stack may hold at most, whatever peers send or users ask: the
 * knobs impfs's options set (impfs(8)).  net_init gives the defaults. */
struct net_limits {
	/* Bytes buffered by all sockets together: TCP's send and receive
	 * rings and out-of-order queues, datagrams waiting to be read; on
	 * top of each socket's own sndbuf and rcvbuf (Linux's tcp_mem).
	 * What gives way at the cap: tcp_mem.c. */
	uint64_t buffered;
	/* Reassembly: bytes of fragments held, datagrams being rebuilt,
	 * fragments in one datagram; IPv4's and, apart, IPv6's. */
	uint64_t frag_mem;
	unsigned int frag_queues, frag_per_queue;
};

#define NET_DEFAULT_BUFFERED (128ull << 20)

/* What is alive now, to tell a leak from a load (imp(4): /imp/stats). */
struct net_mem {
	uint64_t socks;			/* struct sock, TIME_WAIT and orphans too */
	uint64_t sockets;		/* struct socket */
	uint64_t buffered;		/* socket bytes, charged against limits.buffered */
	bool pressure;			/* a cap turned bytes away; see tcp_mem.c */
};

/* Event classes for the log (write "set arp" to /imp/log). */
enum { NETLOG_IP = 1, NETLOG_ARP = 2, NETLOG_ICMP = 4, NETLOG_UDP = 8,
       NETLOG_TCP = 16, NETLOG_DNS = 32, NETLOG_ALL = 63 };

struct net {
	uint64_t now;			/* µs, set by whoever drives the stack */
	struct timer_base timers;
	struct packet_type *ptype_base;	/* by ethertype */
	struct packet_tap *taps;	/* see every frame both ways (pcap) */
	struct net_device *devs[NET_MAX_DEVS];
	int ndevs;
	const struct net_protocol *inet_protos[256];
	struct neigh_table arp_tbl;
	struct packet_type ip_pt;	/* ETH_P_IP */
	struct fib_table fib;
	struct ipfrags ipfrags;
	struct net_limits limits;
	struct net_mem mem;
	struct ipstats ipstats;
	struct icmpstats icmpstats;
	struct arpstats arpstats;
	struct ipv6_state ipv6;	/* IPv6, ICMPv6, NDP (ipv6.h) */
	uint64_t icmp_tokens;		/* µs-scaled token bucket */
	uint64_t icmp_last;
	uint16_t ip_id;
	uint64_t rng;			/* xorshift state */
	/* Packets a local sender addressed to one of our own addresses: they
	 * are received by net_process_backlog, never inside the send call, so
	 * a protocol never re-enters itself. */
	struct sk_buff_head backlog;
	struct udp_table udp_table;
	struct udp_table ping_table;
	struct udpstats udpstats;
	/* TCP: connections by local port, counters, the ISN key, settings. */
	struct sock *tcp_hash[UDP_HTABLE];
	struct tcpstats tcpstats;
	uint64_t isn_key[2];
	struct tcp_syncookies syncookies;
	uint64_t tcp_challenge_tokens, tcp_challenge_last;
	uint64_t tcp_msl;		/* µs; TIME_WAIT is twice this */
	unsigned int tcp_syn_retries, tcp_retries;
	uint8_t tcp_ca_default;		/* congestion control of new sockets (TCP_CA_*) */
	/* Where a connection's trace lines go (tcp_trace), while it has
	 * readers. */
	void (*tcp_trace_fn)(struct net *net, struct sock *sk, const char *line, void *arg);
	void *tcp_trace_arg;
	/* Connections owed an ACK at the end of the receive batch. */
	struct tcp_sock *tcp_ack_queue;
	/* The resolver: servers, cache, queries in flight (dns.c). */
	struct dns dns;
	/* The DHCP client, while impfs --addr dhcp runs it (dhcp.c). */
	struct dhcp_client *dhcp;
	/* Sockets with a wakeup to deliver (see sock.h). */
	struct socket *wake_head, *wake_tail;
	/* Where protocol events go; mask selects classes. */
	unsigned int log_mask;
	void (*log_fn)(struct net *net, const char *line, void *arg);
	void *log_arg;
};

void net_init(struct net *net, uint64_t now, uint64_t seed);
void net_cleanup(struct net *net);
/* net_advance sets the clock and runs the timers that are due. */
void net_advance(struct net *net, uint64_t now);
void net_process_backlog(struct net *net);
/* net_rx_complete: a driver read a batch of frames and handed them all
 * up; what is owed once per batch (ACKs, as GRO and delayed ACK give
 * Linux) goes out now. */
void net_rx_complete(struct net *net);
uint32_t net_random(struct net *net);
void net_log(struct net *net, unsigned int cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Formats an address into buf (16 bytes) and returns buf. */
char *inet_ntoa_r(uint32_t addr, char *buf);

#endif
