/* The DHCP client (RFC 2131 §4.4): impfs --addr dhcp.  It asks for an
 * address on one device, ARP-probes it (RFC 5227, lightly), puts it on the
 * device with its prefix, default route and name servers, renews at T1
 * (unicast to the server), rebinds at T2 (broadcast), and takes everything
 * away again if the lease runs out. */
#ifndef IMP_DHCP_H
#define IMP_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp_msg.h"
#include "timer.h"

struct net;
struct net_device;
struct socket;

enum dhcp_state { DHCP_INIT, DHCP_SELECTING, DHCP_REQUESTING, DHCP_PROBING, DHCP_BOUND,
		  DHCP_RENEWING, DHCP_REBINDING };

#define DHCP_BACKOFF_MIN_US (4 * 1000000ull)	/* RFC 2131 §4.1: 4, 8, 16, 32, 64 s */
#define DHCP_BACKOFF_MAX_US (64 * 1000000ull)
#define DHCP_JITTER_US 1000000ull		/* ± this, uniform */
#define DHCP_REQUEST_TRIES 4			/* REQUESTs before INIT again */
#define DHCP_PROBES 2				/* ARP probes of an offered address */
#define DHCP_PROBE_GAP_US 300000ull		/* between probes, and after the last */
#define DHCP_DECLINE_WAIT_US (10 * 1000000ull)	/* RFC 2131 §3.1.5: at least 10 s */
#define DHCP_RENEW_MIN_US (60 * 1000000ull)	/* §4.4.5's floor on a renew/rebind wait */
#define DHCP_LEASE_MIN 4			/* s: shorter leases are taken as this */

#define DHCPSTATS(X) X(OutDiscovers) X(OutRequests) X(OutDeclines) X(OutReleases) \
	X(InOffers) X(InAcks) X(InNaks) X(Bound) X(Renewed) X(Rebound) X(Expired) \
	X(Conflicts) X(Timeouts) X(BadShort) X(BadCookie) X(BadTruncated) X(BadOp) \
	X(BadXid) X(BadChaddr) X(BadType) X(BadServer) X(BadAddr) X(BadLease) \
	X(BadOptions) X(UnknownOptions) X(Overloaded) X(Unexpected) X(SendErrors)
struct dhcpstats {
#define X(n) uint64_t n;
	DHCPSTATS(X)
#undef X
};

/* The lease: what the server gave, and when its times fall (µs). */
struct dhcp_lease {
	uint32_t addr, server, router;	/* network order */
	int plen;
	uint32_t dns[DHCP_MAX_DNS];
	int ndns;
	uint32_t secs, t1_secs, t2_secs;
	uint64_t start, t1, t2, expiry;
};

struct dhcp_client {
	struct net *net;
	struct net_device *dev;
	enum dhcp_state state;
	struct socket *sock;		/* UDP port 68, any address */
	uint32_t xid;
	uint64_t started;		/* this exchange's first message: secs */
	int tries;			/* messages sent in this state */
	struct timer_list timer;	/* retransmission, probe, T1, T2, expiry */
	uint32_t offer_addr, offer_server;	/* SELECTING's choice */
	struct dhcp_lease lease;		/* valid from BOUND on */
	struct dhcp_lease pending;		/* the ACK being probed */
	bool installed;			/* lease.addr is on the device */
	bool route;			/* and we added the default route */
	int probes;
	bool conflict;			/* someone answered the probe */
	struct dhcpstats stats;
};

/* dhcp_start begins asking on dev (INIT: a DISCOVER goes out now).  0 or
 * -errno (port 68 taken, no memory). */
int dhcp_start(struct net *net, struct net_device *dev);
/* dhcp_stop sends a DHCPRELEASE if there is a lease, takes the address
 * off and frees the client (clean exit: impfs's signals and unmount). */
void dhcp_stop(struct net *net);
/* dhcp_renew starts renewing now (the ctl's "renew"): -EAGAIN unless bound. */
int dhcp_renew(struct net *net);
bool dhcp_bound(const struct net *net);
const char *dhcp_state_name(enum dhcp_state s);
/* dhcp_status: the lease as one line for /imp/ipifc/N/status, or "" . */
void dhcp_status(const struct net *net, char *buf, size_t len);
/* dhcp_arp_rcv: ARP saw sender sip (hardware sha) asking for tip; a
 * conflict if that is the address being probed. */
void dhcp_arp_rcv(struct net *net, uint32_t sip, uint32_t tip, const uint8_t *sha);

#endif
