/* The DHCP client (RFC 2131 §4.4), on the stack's own UDP/IPv4.
 *
 * Replies come to a UDP socket bound to port 68 on any address: before the
 * lease the client sets the BROADCAST flag, so the server's answers go to
 * 255.255.255.255, which ip_rcv takes on a device with no address.  What
 * the client sends before it has an address (source 0.0.0.0, to the
 * limited broadcast) is built here and handed to ip_finish_output on a
 * route made for it, since no route of the table has a source to give.
 *
 * Every reply is checked (op, xid, chaddr, cookie, message type, server
 * id) and a failure counted and dropped: a forged or broken reply must not
 * end an exchange.  One timer drives everything: retransmissions with
 * RFC 2131 §4.1's backoff, the ARP probes, T1, T2 and the lease's end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include "checksum.h"
#include "dhcp.h"
#include "net.h"
#include "sock.h"

static void start_discover(struct dhcp_client *c);

const char *dhcp_state_name(enum dhcp_state s)
{
	static const char *const names[] = { "init", "selecting", "requesting", "probing",
					     "bound", "renewing", "rebinding" };

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* An address a server may hand out: not any, broadcast, loopback,
 * multicast or class E. */
static bool usable_addr(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	return h != 0 && h != 0xffffffffu && (h >> 24) != 127 && (h >> 28) < 14;
}

/* A new transaction id: unpredictable to an off-path forger, so from
 * getrandom, the stack's generator only if that fails. */
static uint32_t new_xid(struct dhcp_client *c)
{
	uint32_t x;

	if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
		x = net_random(c->net);
	return x;
}

/* backoff: RFC 2131 §4.1's wait before the next retransmission, 4 s
 * doubling to 64 s, each randomised by ±1 s. */
static uint64_t backoff(struct dhcp_client *c)
{
	int shift = c->tries > 1 ? c->tries - 1 : 0;
	uint64_t base = shift >= 4 ? DHCP_BACKOFF_MAX_US : DHCP_BACKOFF_MIN_US << shift;

	return base - DHCP_JITTER_US + net_random(c->net) % (2 * DHCP_JITTER_US + 1);
}

/* renew_wait: RENEWING and REBINDING ask again after half the time left
 * to deadline, but not sooner than a minute (§4.4.5), or at the deadline
 * if that is nearer. */
static uint64_t renew_wait(struct dhcp_client *c, uint64_t deadline)
{
	uint64_t now = c->net->now, left = deadline > now ? deadline - now : 0;
	uint64_t floor = left < DHCP_RENEW_MIN_US ? left : DHCP_RENEW_MIN_US;

	return now + (left / 2 > floor ? left / 2 : floor);
}

/* xmit sends a DHCP message from port 68 to daddr's port 67.  Broadcasts,
 * and anything while we have no address, take a route made here; l2bcast
 * also sends a unicast one in an Ethernet broadcast (a RELEASE to a server
 * whose MAC we never learnt). */
static int xmit(struct dhcp_client *c, const uint8_t *msg, size_t n, uint32_t saddr,
		uint32_t daddr, bool l2bcast)
{
	struct net *net = c->net;
	struct sk_buff *skb = ip_alloc_skb((unsigned int)(sizeof(struct udphdr) + n));
	struct udphdr *uh;
	struct iphdr *iph;
	struct rtable rt;
	int err;

	if (!skb) {
		c->stats.SendErrors++;
		return -ENOBUFS;
	}
	uh = (struct udphdr *)skb_put(skb, sizeof(*uh));
	memcpy(skb_put(skb, (unsigned int)n), msg, n);
	uh->source = htons(DHCP_CLIENT_PORT);
	uh->dest = htons(DHCP_SERVER_PORT);
	uh->len = htons((uint16_t)skb->len);
	uh->check = 0;
	uh->check = csum_fold(csum_tcpudp_nofold(saddr, daddr, skb->len, IPPROTO_UDP,
						 csum_partial(skb->data, skb->len, 0)));
	if (uh->check == 0)
		uh->check = 0xffff;
	if (daddr != INADDR_BROADCAST && !l2bcast) {
		err = ip_build_xmit(net, skb, saddr, daddr, IPPROTO_UDP, 64, 0, false);
	} else {
		iph = (struct iphdr *)skb_push(skb, sizeof(*iph));
		skb_reset_network_header(skb);
		memset(iph, 0, sizeof(*iph));
		iph->ver_ihl = 0x45;
		iph->tot_len = htons((uint16_t)skb->len);
		iph->id = htons(net->ip_id++);
		iph->ttl = 64;
		iph->protocol = IPPROTO_UDP;
		iph->saddr = saddr;
		iph->daddr = daddr;
		ip_send_check(iph);
		memset(&rt, 0, sizeof(rt));
		rt.type = RTN_BROADCAST;
		rt.dev = c->dev;
		rt.nexthop = INADDR_BROADCAST;
		rt.saddr = saddr;
		net->ipstats.OutRequests++;
		err = ip_finish_output(net, skb, &rt);
	}
	if (err)
		c->stats.SendErrors++;
	return err;
}

/* send_msg builds and sends a message of type as the state calls for:
 * who it goes to, ciaddr, options 50 and 54 (RFC 2131 table 5). */
static void send_msg(struct dhcp_client *c, int type)
{
	uint8_t buf[DHCP_MSG_MAX];
	struct dhcp_req r = { .type = type, .xid = c->xid };
	uint64_t secs = (c->net->now - c->started) / 1000000;
	uint32_t saddr = 0, daddr = INADDR_BROADCAST;
	bool l2bcast = false;
	size_t n;

	memcpy(r.mac, c->dev->dev_addr, ETH_ALEN);
	r.secs = (uint16_t)(secs > 0xffff ? 0xffff : secs);
	switch (type) {
	case DHCPDISCOVER:
		r.broadcast = true;
		c->stats.OutDiscovers++;
		break;
	case DHCPREQUEST:
		c->stats.OutRequests++;
		if (c->state == DHCP_REQUESTING) {
			r.broadcast = true;
			r.req_ip = c->offer_addr;
			r.server_id = c->offer_server;
		} else {	/* RENEWING to the server, REBINDING to all */
			r.ciaddr = saddr = c->lease.addr;
			if (c->state == DHCP_RENEWING)
				daddr = c->lease.server;
		}
		break;
	case DHCPDECLINE:
		c->stats.OutDeclines++;
		r.req_ip = c->pending.addr;
		r.server_id = c->pending.server;
		break;
	case DHCPRELEASE: {
		struct rtable rt;
		struct neighbour *nb;
		c->stats.OutReleases++;
		r.ciaddr = saddr = c->lease.addr;
		r.server_id = c->lease.server;
		daddr = c->lease.server;
		/* A release goes out as we exit: no time to ask ARP. */
		if (ip_route_output(c->net, daddr, &rt) == 0) {
			nb = neigh_lookup(c->net, rt.nexthop);
			l2bcast = !nb || nb->nud_state == NUD_INCOMPLETE || nb->nud_state == NUD_FAILED;
		}
		break;
	}
	}
	n = dhcp_build(&r, buf, sizeof(buf));
	net_log(c->net, NETLOG_UDP, "dhcp %s: send %s xid %08x", dhcp_state_name(c->state),
		dhcp_type_name(type), c->xid);
	xmit(c, buf, n, saddr, daddr, l2bcast);
}

/* unapply takes the lease's address and route away (expiry, NAK, exit). */
static void unapply(struct dhcp_client *c)
{
	if (c->route)
		fib_del(c->net, 0, 0);
	if (c->installed)
		inet_del_ifaddr(c->dev, c->lease.addr, c->lease.plen);
	c->route = c->installed = false;
}

/* apply puts lease l in place.  What did not change is not touched, so a
 * renewal with the same lease leaves connections alone. */
static void apply(struct dhcp_client *c, const struct dhcp_lease *l)
{
	if (c->installed && (c->lease.addr != l->addr || c->lease.plen != l->plen))
		unapply(c);
	if (!c->installed) {
		int err = inet_add_ifaddr(c->dev, l->addr, l->plen);
		c->installed = err == 0;
		if (err)
			net_log(c->net, NETLOG_IP, "dhcp: cannot add the leased address: %s", strerror(-err));
	}
	if (l->router && (!c->route || c->lease.router != l->router))
		c->route = fib_add(c->net, 0, 0, l->router, c->dev, RT_STATIC) == 0;
	else if (!l->router && c->route) {
		fib_del(c->net, 0, 0);
		c->route = false;
	}
	dns_lease_servers(c->net, l->dns, l->ndns);
	c->lease = *l;
}

/* arm_lease: the next lease timer of a bound client. */
static void arm_lease(struct dhcp_client *c, uint64_t when)
{
	mod_timer(&c->net->timers, &c->timer, when);
}

/* bind_or_decline ends the probe: the address is ours, or someone
 * answered for it and the server hears a DECLINE (§3.1.5). */
static void bind_or_decline(struct dhcp_client *c)
{
	struct net *net = c->net;

	if (c->conflict) {
		char ip[16];
		c->stats.Conflicts++;
		send_msg(c, DHCPDECLINE);
		net_log(net, NETLOG_ARP, "dhcp: %s is in use, declined", inet_ntoa_r(c->pending.addr, ip));
		c->state = DHCP_INIT;
		mod_timer(&net->timers, &c->timer, net->now + DHCP_DECLINE_WAIT_US);
		return;
	}
	apply(c, &c->pending);
	c->stats.Bound++;
	c->state = DHCP_BOUND;
	arm_lease(c, c->lease.t1);
}

/* expire: the lease ran out; back to INIT without an address. */
static void expire(struct dhcp_client *c)
{
	c->stats.Expired++;
	unapply(c);
	start_discover(c);
}

/* The one timer. */
static void on_timer(struct timer_list *t)
{
	struct dhcp_client *c = container_of(t, struct dhcp_client, timer);
	struct net *net = c->net;

	switch (c->state) {
	case DHCP_INIT:
		start_discover(c);
		return;
	case DHCP_SELECTING:
		c->tries++;
		send_msg(c, DHCPDISCOVER);
		mod_timer(&net->timers, t, net->now + backoff(c));
		return;
	case DHCP_REQUESTING:
		if (c->tries >= DHCP_REQUEST_TRIES) {
			c->stats.Timeouts++;
			start_discover(c);
			return;
		}
		c->tries++;
		send_msg(c, DHCPREQUEST);
		mod_timer(&net->timers, t, net->now + backoff(c));
		return;
	case DHCP_PROBING:
		if (c->probes >= DHCP_PROBES) {
			bind_or_decline(c);
			return;
		}
		c->probes++;
		arp_send_probe(c->dev, c->pending.addr);
		mod_timer(&net->timers, t, net->now + DHCP_PROBE_GAP_US);
		return;
	case DHCP_BOUND:
		c->state = DHCP_RENEWING;
		c->xid = new_xid(c);
		c->started = net->now;
		/* fall through */
	case DHCP_RENEWING:
		if (net->now >= c->lease.t2) {
			c->state = DHCP_REBINDING;
			send_msg(c, DHCPREQUEST);
			mod_timer(&net->timers, t, renew_wait(c, c->lease.expiry));
			return;
		}
		send_msg(c, DHCPREQUEST);
		mod_timer(&net->timers, t, renew_wait(c, c->lease.t2));
		return;
	case DHCP_REBINDING:
		if (net->now >= c->lease.expiry) {
			expire(c);
			return;
		}
		send_msg(c, DHCPREQUEST);
		mod_timer(&net->timers, t, renew_wait(c, c->lease.expiry));
		return;
	}
}

/* start_discover: INIT -> SELECTING with a fresh xid, a DISCOVER now. */
static void start_discover(struct dhcp_client *c)
{
	c->xid = new_xid(c);
	c->started = c->net->now;
	c->tries = 1;
	c->state = DHCP_SELECTING;
	send_msg(c, DHCPDISCOVER);
	mod_timer(&c->net->timers, &c->timer, c->net->now + backoff(c));
}

/* mask_plen: a contiguous mask's prefix length, else -1. */
static int mask_plen(uint32_t mask)
{
	uint32_t h = ntohl(mask);
	int n = 0;

	while (n < 32 && (h & (0x80000000u >> n)))
		n++;
	return (n == 32 ? 0 : h << n) ? -1 : n;
}

/* lease_from: the lease an ACK gives, its times normalised as §4.4.5
 * asks (T1 0.5, T2 0.875 of the lease unless given and in order). */
static void lease_from(struct dhcp_client *c, const struct dhcp_info *m, struct dhcp_lease *l)
{
	uint64_t now = c->net->now;
	uint32_t secs = m->lease < DHCP_LEASE_MIN ? DHCP_LEASE_MIN : m->lease;
	uint32_t h = ntohl(m->yiaddr);
	int plen = m->has_mask ? mask_plen(m->mask) : -1;

	memset(l, 0, sizeof(*l));
	l->addr = m->yiaddr;
	l->server = m->server_id;
	if (plen < 1 || plen > 30) {
		if (m->has_mask)
			c->stats.BadOptions++;
		plen = (h >> 31) == 0 ? 8 : (h >> 30) == 2 ? 16 : 24;	/* the address's class */
	}
	l->plen = plen;
	for (int i = 0; i < m->nrouters && !l->router; i++)
		if (usable_addr(m->routers[i]) && m->routers[i] != m->yiaddr &&
		    ((m->routers[i] ^ m->yiaddr) & inet_make_mask(plen)) == 0)
			l->router = m->routers[i];
	l->ndns = m->ndns;
	memcpy(l->dns, m->dns, sizeof(l->dns));
	l->secs = secs;
	l->t1_secs = m->has_t1 ? m->t1 : secs / 2;
	l->t2_secs = m->has_t2 ? m->t2 : (uint32_t)((uint64_t)secs * 7 / 8);
	if (l->t2_secs >= secs || l->t1_secs >= l->t2_secs) {
		l->t1_secs = secs / 2;
		l->t2_secs = (uint32_t)((uint64_t)secs * 7 / 8);
	}
	l->start = now;
	l->t1 = now + (uint64_t)l->t1_secs * 1000000;
	l->t2 = now + (uint64_t)l->t2_secs * 1000000;
	l->expiry = now + (uint64_t)secs * 1000000;
}

/* take_ack: an ACK that passed the checks. */
static void take_ack(struct dhcp_client *c, const struct dhcp_info *m)
{
	struct dhcp_lease l;

	if (!m->has_lease) {
		c->stats.BadLease++;
		return;
	}
	if (c->state == DHCP_REQUESTING && m->yiaddr != c->offer_addr) {
		c->stats.BadAddr++;
		return;
	}
	lease_from(c, m, &l);
	if (c->state == DHCP_REQUESTING) {
		c->pending = l;
		c->state = DHCP_PROBING;
		c->probes = 0;
		c->conflict = false;
		on_timer(&c->timer);	/* the first probe, now */
		return;
	}
	if (c->state == DHCP_RENEWING)
		c->stats.Renewed++;
	else
		c->stats.Rebound++;
	apply(c, &l);
	c->state = DHCP_BOUND;
	arm_lease(c, c->lease.t1);
}

/* handle checks one datagram from port 67 and acts on it. */
static void handle(struct dhcp_client *c, const uint8_t *p, size_t n)
{
	struct dhcp_info m;
	int r = dhcp_parse(p, n, &m);
	bool requesting = c->state == DHCP_REQUESTING;
	bool renewing = c->state == DHCP_RENEWING, rebinding = c->state == DHCP_REBINDING;

	if (r == DHCP_ESHORT) { c->stats.BadShort++; return; }
	if (r == DHCP_ECOOKIE) { c->stats.BadCookie++; return; }
	if (r != DHCP_OK) { c->stats.BadTruncated++; return; }
	c->stats.BadOptions += m.bad_options;
	c->stats.UnknownOptions += m.unknown_options;
	c->stats.Overloaded += m.overload;
	if (m.op != BOOTREPLY) { c->stats.BadOp++; return; }
	if (m.xid != c->xid) { c->stats.BadXid++; return; }
	if (m.htype != 1 || m.hlen != ETH_ALEN || memcmp(m.chaddr, c->dev->dev_addr, ETH_ALEN)) {
		c->stats.BadChaddr++;
		return;
	}
	if (m.type != DHCPOFFER && m.type != DHCPACK && m.type != DHCPNAK) {
		c->stats.BadType++;
		return;
	}
	net_log(c->net, NETLOG_UDP, "dhcp %s: got %s", dhcp_state_name(c->state), dhcp_type_name(m.type));
	if (m.type == DHCPOFFER) {
		c->stats.InOffers++;
		if (c->state != DHCP_SELECTING) { c->stats.Unexpected++; return; }
		if (!m.has_server_id || !usable_addr(m.server_id)) { c->stats.BadServer++; return; }
		if (!usable_addr(m.yiaddr)) { c->stats.BadAddr++; return; }
		c->offer_addr = m.yiaddr;
		c->offer_server = m.server_id;
		c->state = DHCP_REQUESTING;
		c->tries = 1;
		send_msg(c, DHCPREQUEST);
		mod_timer(&c->net->timers, &c->timer, c->net->now + backoff(c));
		return;
	}
	if (m.type == DHCPACK)
		c->stats.InAcks++;
	else
		c->stats.InNaks++;
	if (!requesting && !renewing && !rebinding) { c->stats.Unexpected++; return; }
	/* Option 54 names the server; REQUESTING and RENEWING talk to one. */
	if (!m.has_server_id || (requesting && m.server_id != c->offer_server) ||
	    (renewing && m.server_id != c->lease.server)) {
		c->stats.BadServer++;
		return;
	}
	if (m.type == DHCPNAK) {
		unapply(c);
		start_discover(c);
		return;
	}
	if (!usable_addr(m.yiaddr)) { c->stats.BadAddr++; return; }
	take_ack(c, &m);
}

/* The socket's wakeup: every datagram waiting. */
static void dhcp_wakeup(struct socket *sock)
{
	struct dhcp_client *c = sock->owner;
	uint8_t buf[DHCP_MSG_MAX];

	for (;;) {
		struct sockmsg m;
		long n;
		memset(&m, 0, sizeof(m));
		n = sock->ops->recvmsg(sock, &m, sizeof(buf));
		if (n == -EAGAIN)
			return;
		if (n < 0)
			continue;	/* an ICMP error: nothing to do with it */
		memcpy(buf, m.iov[0].iov_base, (size_t)n);
		sock->ops->recv_done(sock, &m, (size_t)n);
		if (m.name.sin.sin_port != htons(DHCP_SERVER_PORT)) {
			c->stats.BadServer++;
			continue;
		}
		handle(c, buf, (size_t)n);
	}
}

int dhcp_start(struct net *net, struct net_device *dev)
{
	union inet_sockaddr sa = { .sin = { .sin_family = AF_INET, .sin_port = htons(DHCP_CLIENT_PORT) } };
	struct dhcp_client *c;
	int err;

	if (net->dhcp)
		return -EALREADY;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->net = net;
	c->dev = dev;
	timer_setup(&c->timer, on_timer);
	err = sock_create(net, SOCK_DGRAM, IPPROTO_UDP, &c->sock);
	if (err) {
		free(c);
		return err;
	}
	c->sock->owner = c;
	c->sock->wakeup = dhcp_wakeup;
	err = c->sock->ops->bind(c->sock, &sa);
	if (err) {
		sock_release(c->sock);
		free(c);
		return err;
	}
	net->dhcp = c;
	start_discover(c);
	return 0;
}

void dhcp_stop(struct net *net)
{
	struct dhcp_client *c = net->dhcp;

	if (!c)
		return;
	if (c->installed && c->state >= DHCP_BOUND)
		send_msg(c, DHCPRELEASE);
	unapply(c);
	del_timer(&net->timers, &c->timer);
	sock_release(c->sock);
	net->dhcp = NULL;
	free(c);
}

int dhcp_renew(struct net *net)
{
	struct dhcp_client *c = net->dhcp;

	if (!c || c->state < DHCP_BOUND)
		return -EAGAIN;
	if (c->state == DHCP_BOUND)
		c->lease.t1 = net->now;
	mod_timer(&net->timers, &c->timer, net->now);
	return 0;
}

bool dhcp_bound(const struct net *net)
{
	return net->dhcp && net->dhcp->state >= DHCP_BOUND;
}

static unsigned long long secs_until(const struct net *net, uint64_t t)
{
	return t > net->now ? (t - net->now) / 1000000 : 0;
}

void dhcp_status(const struct net *net, char *buf, size_t len)
{
	const struct dhcp_client *c = net->dhcp;
	const struct dhcp_lease *l;
	char srv[16], gw[16];

	if (!c) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (c->state < DHCP_BOUND) {
		snprintf(buf, len, "dhcp %s\n", dhcp_state_name(c->state));
		return;
	}
	l = &c->lease;
	snprintf(buf, len, "dhcp %s server %s lease %u renew-in %llu rebind-in %llu expires-in %llu router %s\n",
		 dhcp_state_name(c->state), inet_ntoa_r(l->server, srv), l->secs,
		 secs_until(net, l->t1), secs_until(net, l->t2), secs_until(net, l->expiry),
		 l->router ? inet_ntoa_r(l->router, gw) : "none");
}

void dhcp_arp_rcv(struct net *net, uint32_t sip, uint32_t tip, const uint8_t *sha)
{
	struct dhcp_client *c = net->dhcp;

	if (!c || c->state != DHCP_PROBING || !memcmp(sha, c->dev->dev_addr, ETH_ALEN))
		return;
	/* Its owner answering, or another host probing for it too (RFC 5227 §2.1.1). */
	if (sip == c->pending.addr || (sip == 0 && tip == c->pending.addr)) {
		c->conflict = true;
		del_timer(&net->timers, &c->timer);
		bind_or_decline(c);
	}
}
