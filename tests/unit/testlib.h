/* Helpers shared by the unit tests: a stack on the in-memory device, frame
 * builders with correct checksums, parsers for what the stack sent, and
 * counter snapshots that check exactly which counters moved. */
#ifndef IMP_TESTLIB_H
#define IMP_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "net.h"
#include "checksum.h"
#include "drivers/memdev.h"

/* Start of the test clock: far from 0 so "now - 0" is never a small number. */
#define T0 1000000000ull
#define SEC 1000000ull

extern const uint8_t OUR_MAC[ETH_ALEN];
extern const uint8_t PEER_MAC[ETH_ALEN];	/* PEER_IP, a static neighbour */
extern const uint8_t OTHER_MAC[ETH_ALEN];	/* OTHER_IP, unknown at start */
extern const uint8_t BCAST_MAC[ETH_ALEN];
extern const uint8_t ZERO_MAC[ETH_ALEN];

static inline uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return htonl(a << 24 | b << 16 | c << 8 | d);
}
#define OUR_IP ip4(10, 0, 0, 1)		/* 10.0.0.1/24 on the device */
#define PEER_IP ip4(10, 0, 0, 2)
#define OTHER_IP ip4(10, 0, 0, 7)
#define SUBNET_BCAST ip4(10, 0, 0, 255)

/* One stack with one memdev at OUR_IP/24 (gratuitous ARP already popped),
 * PEER_IP a permanent neighbour at PEER_MAC, clock at T0. */
struct env {
	struct net net;
	struct net_device *dev;
};
int env_setup(void **state);		/* cmocka setup: *state = struct env * */
int env_teardown(void **state);
int env_setup_nopeer(void **state);	/* no static neighbour */
int env_setup_jumbo(void **state);	/* MTU 9000 */
/* Same, with a chosen MTU and without the static neighbour. */
struct env *env_new(unsigned int mtu, bool static_peer);
void env_free(struct env *e);

/* run_until moves the clock to t stopping at every timer expiry on the
 * way, as the real event loop would. */
void run_until(struct net *net, uint64_t t);

/* Frame builders.  Each writes a whole Ethernet frame into buf and returns
 * its length. */
size_t eth_build(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint16_t type);
/* IPv4: version 4, IHL 5, tos 0, id 0x1234, no fragment bits, TTL 64,
 * correct header checksum, from smac to OUR_MAC. */
size_t ip_build(uint8_t *buf, const uint8_t *smac, uint32_t saddr, uint32_t daddr,
		uint8_t proto, const void *payload, size_t plen);
static inline struct iphdr *frame_ip(uint8_t *frame) { return (struct iphdr *)(frame + ETH_HLEN); }
/* Recompute the IP header checksum after a test changed a field. */
void ip_fix_csum(uint8_t *frame);
/* A fragment: payload bytes [off, off+len) of the datagram's payload. */
size_t frag_build(uint8_t *buf, uint32_t saddr, uint32_t daddr, uint8_t proto,
		  uint16_t id, const uint8_t *payload, size_t off, size_t len, bool mf);
/* ICMP message (header + data, checksummed) into out; returns its length. */
size_t icmp_build(uint8_t *out, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
		  const void *data, size_t dlen);
/* Ethernet + IPv4 + ICMP echo request from smac/saddr to OUR_MAC/daddr. */
size_t echo_build(uint8_t *buf, const uint8_t *smac, uint32_t saddr, uint32_t daddr,
		  uint16_t id, uint16_t seq, const void *data, size_t dlen);
size_t arp_build(uint8_t *buf, const uint8_t *dmac, const uint8_t *smac, uint16_t op,
		 const uint8_t *sha, uint32_t sip, const uint8_t *tha, uint32_t tip);
void fill_pattern(uint8_t *p, size_t n, unsigned int seed);

/* A frame the stack sent, checked as IPv4 from OUR_MAC to dmac with a
 * valid header checksum and tot_len equal to the frame's IP part. */
struct rx {
	struct sk_buff *skb;
	const struct ethhdr *eth;
	const struct iphdr *ip;
	const uint8_t *l4;
	size_t l4len;
};
void pop_ipv4(struct net_device *dev, const uint8_t *dmac, struct rx *rx);
/* Same, and the payload is an ICMP message with a valid checksum. */
void pop_icmp(struct net_device *dev, const uint8_t *dmac, struct rx *rx,
	      uint8_t type, uint8_t code);
void rx_free(struct rx *rx);
/* Pops an ARP frame and checks it byte for byte. */
void pop_arp_expect(struct net_device *dev, const uint8_t *dmac, uint16_t op,
		    uint32_t sip, const uint8_t *tha, uint32_t tip);
/* Pops every pending frame, freeing them; returns how many there were. */
unsigned int drain(struct net_device *dev);

/* Counter snapshots.  snap_expect checks that the counters named in spec
 * ("ip.InReceives=1 icmp.InMsgs=1 dev.RxFrames=1 arp.InErrors=1 ...") moved
 * by exactly that much since the snapshot and that every other counter of
 * ip, icmp, arp and the device stayed put. */
struct snap {
	struct ipstats ip;
	struct icmpstats icmp;
	struct arpstats arp;
	struct devstats dev;
};
void snap_take(struct snap *s, const struct net *net, const struct net_device *dev);
void snap_expect(const struct snap *s, const struct net *net, const struct net_device *dev,
		 const char *spec);

uint64_t xrand(uint64_t *state);

/* --- UDP and socket helpers (test_udp, test_ping) --- */
struct socket;
struct sockmsg;

/* A UDP message (header + dlen bytes of data, ports host order) into out
 * with a correct checksum over the IPv4 pseudo-header; returns its length. */
size_t udp_msg_build(uint8_t *out, uint32_t saddr, uint16_t sport, uint32_t daddr,
		     uint16_t dport, const void *data, size_t dlen);
/* Ethernet + IPv4 + UDP from smac/saddr:sport to OUR_MAC/daddr:dport. */
size_t udp_build(uint8_t *buf, const uint8_t *smac, uint32_t saddr, uint16_t sport,
		 uint32_t daddr, uint16_t dport, const void *data, size_t dlen);
/* The ones' complement checksum of the pseudo-header (saddr, daddr, 17,
 * len) and the len bytes at l4, computed here rather than by the stack:
 * 0 over a UDP message whose checksum field is right. */
uint16_t udp_csum_check(uint32_t saddr, uint32_t daddr, const void *l4, size_t len);
/* An ICMP error from PEER_MAC/PEER_IP to OUR_IP quoting qlen bytes. */
size_t icmp_error_build(uint8_t *buf, uint8_t type, uint8_t code, const void *quote, size_t qlen);

/* Counter snapshots with the UDP counters too: usnap_expect is snap_expect
 * that also knows "udp.NoPorts=1 ..." and checks every udp counter. */
struct usnap {
	struct snap s;
	struct udpstats udp;
};
void usnap_take(struct usnap *s, const struct net *net, const struct net_device *dev);
void usnap_expect(const struct usnap *s, const struct net *net, const struct net_device *dev,
		  const char *spec);

/* sock_count_wakeups makes sock's wakeups add 1 to *counter (through
 * sock->owner), so that net_run_wakeups can be observed. */
void sock_count_wakeups(struct socket *sock, unsigned int *counter);
/* sendmsg of len bytes to daddr:dport (port host order), or with no name
 * when daddr is 0. */
long sock_send(struct socket *sock, const void *data, size_t len, uint32_t daddr, uint16_t dport);
/* recvmsg of at most len bytes copied into buf, then recv_done; msg (may
 * be NULL) gets the name and local address.  Returns what recvmsg did. */
long sock_recv(struct socket *sock, void *buf, size_t len, int flags, struct sockmsg *msg);
/* An AF_INET address, port host order; bind and connect to one. */
struct sockaddr_in sin4(uint32_t addr, uint16_t port);
int do_bind(struct socket *sock, uint32_t addr, uint16_t port);
int do_connect(struct socket *sock, uint32_t addr, uint16_t port);

/* --- TCP helpers (test_tcp_*; the TCP fixtures proper are tcptest.h) --- */

/* The ones' complement checksum of the pseudo-header (saddr, daddr, proto,
 * len) and the len bytes at l4, computed here: 0 over a TCP segment whose
 * checksum field is right. */
uint16_t l4_csum_check(uint32_t saddr, uint32_t daddr, uint8_t proto, const void *l4, size_t len);
/* A TCP segment (20-byte header + optlen bytes of options, optlen a
 * multiple of 4, + dlen bytes of data; ports host order) into out, with a
 * correct checksum; returns its length. */
size_t tcp_seg_build(uint8_t *out, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
		     uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		     const void *opt, size_t optlen, const void *data, size_t dlen);
/* Ethernet + IPv4 + that segment, from PEER_MAC to OUR_MAC. */
size_t tcp_build(uint8_t *buf, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
		 uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		 const void *opt, size_t optlen, const void *data, size_t dlen);

/* A TCP segment the stack sent, checked as IPv4 to dmac, protocol TCP, not
 * fragmented, with a data offset inside the segment and a valid checksum.
 * Options are parsed here, not by the stack's parser (-1: absent). */
struct tcp_seen {
	struct rx rx;
	const uint8_t *th;		/* the TCP header */
	uint16_t sport, dport;		/* host order */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	unsigned int hlen;		/* header with options */
	const uint8_t *data;
	size_t dlen;
	int mss, wscale;		/* -1 when absent */
	bool sackok, ts, bad_opts;
	uint32_t tsval, tsecr;
	unsigned int nsack;		/* SACK blocks, in the order sent */
	uint32_t sack[4][2];
};
void pop_tcp(struct net_device *dev, const uint8_t *dmac, struct tcp_seen *s);
void tcp_seen_free(struct tcp_seen *s);

/* Counter snapshots with the TCP counters: tsnap_expect is snap_expect that
 * also knows "tcp.InSegs=1 ..." and checks every tcp counter;
 * tsnap_expect_tcp checks only the tcp counters (every one of them). */
struct tsnap {
	struct snap s;
	struct tcpstats tcp;
};
void tsnap_take(struct tsnap *s, const struct net *net, const struct net_device *dev);
void tsnap_expect(const struct tsnap *s, const struct net *net, const struct net_device *dev,
		  const char *spec);
void tsnap_expect_tcp(const struct tsnap *s, const struct net *net, const char *spec);

/* A stream read: recvmsg of at most len bytes copied into buf, then
 * recv_done for all of them (TCP leaves msg.cookie NULL, which sock_recv
 * takes for "no recv_done").  Returns what recvmsg returned. */
long sock_recv_stream(struct socket *sock, void *buf, size_t len);

#endif
