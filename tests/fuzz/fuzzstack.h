/* What the fuzz targets share: a stack on the in-memory device (as
 * tests/unit/testlib.c sets one up, without cmocka), a reader that takes
 * the fuzz input apart record by record, and checksum fix-ups so that an
 * input can get past the checksums to the code behind them.
 *
 * Every target builds a whole new stack per input and frees all of it at
 * the end, so that LeakSanitizer sees what one input leaked and no input's
 * state leaks into the next one's run (a crash then replays from its file
 * alone). */
#ifndef IMP_FUZZSTACK_H
#define IMP_FUZZSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>

#include "net.h"
#include "sock.h"
#include "drivers/memdev.h"

#define FZ_T0 1000000000ull		/* the clock at start, µs */

extern const uint8_t FZ_OUR_MAC[ETH_ALEN], FZ_PEER_MAC[ETH_ALEN];
#define FZ_OUR_IP htonl(0x0a000001)	/* 10.0.0.1/24 on mem0 */
#define FZ_PEER_IP htonl(0x0a000002)	/* a static neighbour */

struct fzstack {
	struct net net;
	struct net_device *dev;
	/* Sees each frame the stack sent before it is freed (may be NULL). */
	void (*on_tx)(void *arg, const uint8_t *frame, size_t len);
	void *tx_arg;
};

/* fz_init: a stack at FZ_T0 with mem0 (mtu) at FZ_OUR_IP/24 and
 * FZ_PEER_IP as a static neighbour; the log and TCP's trace formatted
 * (into nothing), so that their formatting runs too.  Aborts on failure:
 * it is the harness's, not the input's. */
void fz_init(struct fzstack *s, unsigned int mtu);
void fz_free(struct fzstack *s);
/* fz_drain frees every frame the stack sent (shown to on_tx first);
 * returns how many. */
unsigned int fz_drain(struct fzstack *s);
/* fz_advance moves the clock by dt µs, stopping at every timer on the way
 * as the event loop does, then runs the wakeups. */
void fz_advance(struct fzstack *s, uint64_t dt);
/* fz_dt: a record's time byte as µs: 0-99 in steps of 100 µs, 100-199 in
 * ms, 200-255 in seconds, so that one byte reaches both a delayed ACK and
 * TIME_WAIT's end. */
uint64_t fz_dt(uint8_t b);
/* fz_socket: a new socket of the stack's, NULL if it cannot make one. */
struct socket *fz_socket(struct net *net, int type, int proto);
/* fz_release closes a socket at once (abortive, as at exit) and frees it;
 * NULL is nothing to do. */
void fz_release(struct socket *s);
/* fz_servers: a UDP socket bound to port 7 and a TCP listener on port 80
 * (backlog 4), both on any address of both families (::, dual); either is
 * NULL if it could not be made. */
void fz_servers(struct net *net, struct socket **udp, struct socket **tcp);
/* fz_read_all reads what a socket has queued (up to 64 reads) and lets
 * go of it; NULL is nothing to do. */
void fz_read_all(struct socket *s);
/* fz_touch reads a socket's status and info into a buffer and throws them
 * away: formatting them from whatever state the input made runs. */
void fz_touch(struct socket *sock);

/* A fuzz input, taken from the front. */
struct fzin {
	const uint8_t *p;
	size_t n;
};
static inline bool fz_more(const struct fzin *in) { return in->n > 0; }
uint8_t fz_u8(struct fzin *in);		/* 0 past the end */
uint16_t fz_u16(struct fzin *in);	/* big-endian */
uint32_t fz_u32(struct fzin *in);
/* fz_take: the next len bytes (fewer at the end; *got says how many). */
const uint8_t *fz_take(struct fzin *in, size_t len, size_t *got);

/* Checksum fix-ups on an IPv4 packet at ip (len bytes, from the IP
 * header): the header's, and the TCP, UDP or ICMP checksum of an
 * unfragmented packet whose header and length fields allow it. */
void fz_fix_iphdr(uint8_t *ip, size_t len);
void fz_fix_l4(uint8_t *ip, size_t len);
/* fz_ip_frame: Ethernet (peer to us, IPv4) + a 20-byte IPv4 header from
 * FZ_PEER_IP to FZ_OUR_IP with proto, id, frag_off (host order) and a right
 * header checksum + plen bytes of payload, into frame; returns its length. */
size_t fz_ip_frame(uint8_t *frame, uint8_t proto, uint16_t id, uint16_t frag_off,
		   const void *payload, size_t plen);

#endif
