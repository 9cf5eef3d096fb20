/* DHCP: the message parser fed good and hostile bytes, then the client's
 * state machine on the in-memory device: the exact DISCOVER and REQUEST it
 * sends, OFFER/ACK/NAK taken, bad replies dropped and counted, the ARP
 * probe and DECLINE, backoff, T1 renewing unicast, T2 rebinding broadcast,
 * and the address gone at the lease's end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "dhcp.h"

#define SERVER PEER_IP			/* a static neighbour at PEER_MAC */
#define LEASED ip4(10, 0, 0, 77)
#define ROUTER ip4(10, 0, 0, 254)
#define NS1 ip4(10, 0, 0, 53)

static uint8_t f[ETH_HLEN + 2048];

/* --- building replies --- */

struct msg {
	uint8_t b[DHCP_MSG_MAX];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void opt(struct msg *m, uint8_t code, const void *v, uint8_t n)
{
	put(m, &code, 1);
	put(m, &n, 1);
	put(m, v, n);
}

static void opt32(struct msg *m, uint8_t code, uint32_t host)
{
	uint32_t v = htonl(host);
	opt(m, code, &v, 4);
}

static void opt_addr(struct msg *m, uint8_t code, uint32_t addr)
{
	opt(m, code, &addr, 4);
}

/* reply: the fixed part of a BOOTREPLY to OUR_MAC, and the cookie. */
static void reply(struct msg *m, uint32_t xid, uint32_t yiaddr)
{
	uint32_t x = htonl(xid), cookie = htonl(DHCP_MAGIC);

	memset(m, 0, sizeof(*m));
	m->b[0] = BOOTREPLY;
	m->b[1] = 1;
	m->b[2] = 6;
	memcpy(m->b + 4, &x, 4);
	memcpy(m->b + 16, &yiaddr, 4);
	memcpy(m->b + 28, OUR_MAC, ETH_ALEN);
	m->n = DHCP_FIXED_LEN;
	put(m, &cookie, 4);
}

/* full: a well-formed OFFER/ACK/NAK with the usual options. */
static void full(struct msg *m, uint8_t type, uint32_t xid, uint32_t lease)
{
	reply(m, xid, type == DHCPNAK ? 0 : LEASED);
	opt(m, DHO_MESSAGE_TYPE, &type, 1);
	opt_addr(m, DHO_SERVER_ID, SERVER);
	if (type != DHCPNAK) {
		uint32_t dns[2] = { NS1, ip4(10, 0, 0, 54) };
		opt_addr(m, DHO_SUBNET_MASK, ip4(255, 255, 255, 0));
		opt_addr(m, DHO_ROUTERS, ROUTER);
		opt(m, DHO_DNS, dns, 8);
		opt32(m, DHO_LEASE_TIME, lease);
	}
	put(m, "\xff", 1);
}

/* deliver: m from SERVER:67 to 255.255.255.255:68, then the wakeups. */
static void deliver_to(struct env *e, const struct msg *m, uint32_t daddr)
{
	size_t n = udp_build(f, PEER_MAC, SERVER, DHCP_SERVER_PORT, daddr, DHCP_CLIENT_PORT, m->b, m->n);

	memdev_inject(e->dev, f, n);
	net_process_backlog(&e->net);
	net_run_wakeups(&e->net);
}

static void deliver(struct env *e, const struct msg *m)
{
	deliver_to(e, m, INADDR_BROADCAST);
}

/* --- what the client sent --- */

/* pop_dhcp pops one frame: UDP 68 -> 67 from saddr to daddr (in an
 * Ethernet frame to dmac), parsed into *m; checks the UDP checksum. */
static void pop_dhcp(struct env *e, const uint8_t *dmac, uint32_t saddr, uint32_t daddr,
		     struct dhcp_info *m)
{
	struct rx rx;
	const struct udphdr *uh;

	pop_ipv4(e->dev, dmac, &rx);
	assert_int_equal(rx.ip->protocol, IPPROTO_UDP);
	assert_int_equal(rx.ip->saddr, saddr);
	assert_int_equal(rx.ip->daddr, daddr);
	uh = (const struct udphdr *)rx.l4;
	assert_int_equal(ntohs(uh->source), DHCP_CLIENT_PORT);
	assert_int_equal(ntohs(uh->dest), DHCP_SERVER_PORT);
	assert_int_equal(ntohs(uh->len), rx.l4len);
	assert_int_equal(udp_csum_check(saddr, daddr, rx.l4, rx.l4len), 0);
	assert_true(rx.l4len - 8 >= DHCP_BUILD_MIN);
	assert_int_equal(dhcp_parse(rx.l4 + 8, rx.l4len - 8, m), DHCP_OK);
	assert_int_equal(m->op, BOOTREQUEST);
	assert_int_equal(m->htype, 1);
	assert_int_equal(m->hlen, 6);
	assert_memory_equal(m->chaddr, OUR_MAC, ETH_ALEN);
	assert_int_equal(m->bad_options, 0);
	rx_free(&rx);
}

static struct env *setup_client(void)
{
	struct env *e = env_new(1500, true);

	assert_int_equal(inet_del_ifaddr(e->dev, OUR_IP, 24), 0);
	assert_int_equal(dhcp_start(&e->net, e->dev), 0);
	return e;
}

static struct dhcp_client *cl(struct env *e)
{
	return e->net.dhcp;
}

/* expect_discover: the DISCOVER, exactly. */
static uint32_t expect_discover(struct env *e)
{
	struct dhcp_info m;

	pop_dhcp(e, BCAST_MAC, 0, INADDR_BROADCAST, &m);
	assert_int_equal(m.type, DHCPDISCOVER);
	assert_int_equal(m.flags, DHCP_FLAG_BROADCAST);
	assert_int_equal(m.ciaddr, 0);
	assert_int_equal(m.req_ip, 0);
	assert_false(m.has_server_id);
	assert_int_equal(m.xid, cl(e)->xid);
	return m.xid;
}

/* to_bound: DISCOVER, OFFER, REQUEST, ACK, two probes, bound. */
static uint32_t to_bound(struct env *e, uint32_t lease)
{
	struct dhcp_info m;
	struct msg r;
	uint32_t xid = expect_discover(e);

	full(&r, DHCPOFFER, xid, lease);
	deliver(e, &r);
	assert_int_equal(cl(e)->state, DHCP_REQUESTING);
	pop_dhcp(e, BCAST_MAC, 0, INADDR_BROADCAST, &m);
	assert_int_equal(m.type, DHCPREQUEST);
	assert_int_equal(m.xid, xid);
	assert_int_equal(m.flags, DHCP_FLAG_BROADCAST);
	assert_int_equal(m.ciaddr, 0);
	assert_int_equal(m.req_ip, LEASED);
	assert_true(m.has_server_id);
	assert_int_equal(m.server_id, SERVER);
	full(&r, DHCPACK, xid, lease);
	deliver(e, &r);
	assert_int_equal(cl(e)->state, DHCP_PROBING);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, 0, ZERO_MAC, LEASED);
	assert_int_equal(e->dev->nifa, 0);
	run_until(&e->net, e->net.now + DHCP_PROBE_GAP_US);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, 0, ZERO_MAC, LEASED);
	run_until(&e->net, e->net.now + DHCP_PROBE_GAP_US);
	assert_int_equal(cl(e)->state, DHCP_BOUND);
	/* inet_add_ifaddr's gratuitous ARP */
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, LEASED, ZERO_MAC, LEASED);
	assert_int_equal(memdev_pending(e->dev), 0);
	return xid;
}

static bool has_default_route(struct net *net, uint32_t gw)
{
	for (int i = 0; i < net->fib.n; i++)
		if (net->fib.e[i].plen == 0 && net->fib.e[i].gw == gw)
			return true;
	return false;
}

/* --- the parser --- */

static void test_parse_good(void **state)
{
	struct dhcp_info m;
	struct msg r;

	(void)state;
	full(&r, DHCPACK, 0x11223344, 3600);
	assert_int_equal(dhcp_parse(r.b, r.n, &m), DHCP_OK);
	assert_int_equal(m.op, BOOTREPLY);
	assert_int_equal(m.xid, 0x11223344);
	assert_int_equal(m.type, DHCPACK);
	assert_int_equal(m.yiaddr, LEASED);
	assert_int_equal(m.server_id, SERVER);
	assert_int_equal(m.mask, ip4(255, 255, 255, 0));
	assert_int_equal(m.nrouters, 1);
	assert_int_equal(m.routers[0], ROUTER);
	assert_int_equal(m.ndns, 2);
	assert_int_equal(m.dns[0], NS1);
	assert_int_equal(m.lease, 3600);
	assert_false(m.has_t1);
	assert_int_equal(m.bad_options + m.unknown_options, 0);
}

static void test_parse_hostile(void **state)
{
	struct dhcp_info m;
	struct msg r;
	uint8_t t = DHCPOFFER, two[2] = { 5, 5 };

	(void)state;
	full(&r, DHCPOFFER, 1, 60);
	for (size_t n = 0; n < DHCP_MIN_LEN; n++)
		assert_int_equal(dhcp_parse(r.b, n, &m), DHCP_ESHORT);
	/* Every cut inside the options: never OK, never past the end. */
	for (size_t n = DHCP_MIN_LEN; n < r.n; n++)
		assert_int_equal(dhcp_parse(r.b, n, &m), DHCP_ETRUNC);
	r.b[DHCP_FIXED_LEN] ^= 1;
	assert_int_equal(dhcp_parse(r.b, r.n, &m), DHCP_ECOOKIE);
	/* A length past the end. */
	reply(&r, 1, LEASED);
	opt(&r, DHO_MESSAGE_TYPE, &t, 1);
	put(&r, "\x33\x40\x00\x00", 4);
	assert_int_equal(dhcp_parse(r.b, r.n, &m), DHCP_ETRUNC);
	/* Garbage options: wrong lengths, repeats, unknown codes are skipped
	 * and counted; the rest is taken. */
	reply(&r, 1, LEASED);
	opt(&r, DHO_MESSAGE_TYPE, two, 2);		/* bad */
	opt(&r, DHO_MESSAGE_TYPE, &t, 1);
	opt(&r, DHO_MESSAGE_TYPE, &t, 1);		/* repeat: bad */
	opt(&r, DHO_SUBNET_MASK, two, 2);		/* bad */
	opt(&r, DHO_ROUTERS, "\x0a\x00\x00\x01\x0a", 5);	/* bad */
	opt(&r, DHO_DNS, "", 0);			/* bad */
	opt(&r, 200, "garbage", 7);			/* unknown */
	opt(&r, DHO_OVERLOAD, "\x03", 1);
	put(&r, "\0\0\xff", 3);
	assert_int_equal(dhcp_parse(r.b, r.n, &m), DHCP_OK);
	assert_int_equal(m.type, DHCPOFFER);
	assert_int_equal(m.bad_options, 5);
	assert_int_equal(m.unknown_options, 1);
	assert_true(m.overload);
	assert_false(m.has_mask);
	assert_int_equal(m.nrouters, 0);
}

static void test_build(void **state)
{
	uint8_t b[DHCP_MSG_MAX];
	struct dhcp_info m;
	struct dhcp_req rq = { .type = DHCPREQUEST, .xid = 0xabcdef01, .secs = 3, .broadcast = true,
			       .req_ip = LEASED, .server_id = SERVER };
	size_t n;

	(void)state;
	memcpy(rq.mac, OUR_MAC, 6);
	n = dhcp_build(&rq, b, sizeof(b));
	assert_int_equal(n, DHCP_BUILD_MIN);
	assert_int_equal(dhcp_parse(b, n, &m), DHCP_OK);
	assert_int_equal(m.op, BOOTREQUEST);
	assert_int_equal(m.xid, 0xabcdef01);
	assert_int_equal(m.secs, 3);
	assert_int_equal(m.flags, DHCP_FLAG_BROADCAST);
	assert_int_equal(m.type, DHCPREQUEST);
	assert_int_equal(m.req_ip, LEASED);
	assert_int_equal(m.server_id, SERVER);
	/* client id 61 and parameter list 55 are there: 2 unknown to the parser */
	assert_int_equal(m.unknown_options, 3);
	assert_int_equal(dhcp_build(&rq, b, 100), 0);
}

/* --- the client --- */

static void test_bind(void **state)
{
	struct env *e = setup_client();
	char st[256];

	(void)state;
	to_bound(e, 3600);
	assert_int_equal(e->dev->nifa, 1);
	assert_int_equal(e->dev->ifa[0].ifa_local, LEASED);
	assert_int_equal(e->dev->ifa[0].ifa_prefixlen, 24);
	assert_true(has_default_route(&e->net, ROUTER));
	assert_int_equal(e->net.dns.nservers, 2);
	assert_int_equal(e->net.dns.servers[0], NS1);
	assert_int_equal(cl(e)->stats.Bound, 1);
	assert_true(dhcp_bound(&e->net));
	dhcp_status(&e->net, st, sizeof(st));
	assert_string_equal(st, "dhcp bound server 10.0.0.2 lease 3600 renew-in 1799 rebind-in 3149 "
			    "expires-in 3599 router 10.0.0.254\n");
	env_free(e);
}

static void test_bad_replies(void **state)
{
	struct env *e = setup_client();
	struct dhcpstats *st = &cl(e)->stats;
	uint32_t xid = expect_discover(e);
	uint8_t t = DHCPOFFER;
	struct msg r;

	(void)state;
	full(&r, DHCPOFFER, xid + 1, 60);
	deliver(e, &r);
	assert_int_equal(st->BadXid, 1);
	full(&r, DHCPOFFER, xid, 60);
	r.b[28 + 5] ^= 1;
	deliver(e, &r);
	assert_int_equal(st->BadChaddr, 1);
	full(&r, DHCPOFFER, xid, 60);
	r.b[DHCP_FIXED_LEN + 3] = 0;
	deliver(e, &r);
	assert_int_equal(st->BadCookie, 1);
	full(&r, DHCPOFFER, xid, 60);
	r.n = 200;
	deliver(e, &r);
	assert_int_equal(st->BadShort, 1);
	full(&r, DHCPOFFER, xid, 60);
	r.n -= 3;			/* the options cut */
	deliver(e, &r);
	assert_int_equal(st->BadTruncated, 1);
	reply(&r, xid, LEASED);
	opt(&r, DHO_MESSAGE_TYPE, &t, 1);
	put(&r, "\x36\x04\x0a", 3);	/* the server id, past the end */
	deliver(e, &r);
	assert_int_equal(st->BadTruncated, 2);
	full(&r, DHCPOFFER, xid, 60);
	r.b[0] = BOOTREQUEST;
	deliver(e, &r);
	assert_int_equal(st->BadOp, 1);
	reply(&r, xid, LEASED);		/* no message type */
	opt_addr(&r, DHO_SERVER_ID, SERVER);
	put(&r, "\xff", 1);
	deliver(e, &r);
	assert_int_equal(st->BadType, 1);
	reply(&r, xid, LEASED);		/* no server id */
	opt(&r, DHO_MESSAGE_TYPE, &t, 1);
	put(&r, "\xff", 1);
	deliver(e, &r);
	assert_int_equal(st->BadServer, 1);
	full(&r, DHCPOFFER, xid, 60);	/* an address no one may have */
	memcpy(r.b + 16, "\x7f\0\0\1", 4);
	deliver(e, &r);
	assert_int_equal(st->BadAddr, 1);
	full(&r, DHCPACK, xid, 60);	/* an ACK while selecting */
	deliver(e, &r);
	assert_int_equal(st->Unexpected, 1);
	assert_int_equal(cl(e)->state, DHCP_SELECTING);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->dev->nifa, 0);
	/* A good offer after all that is still taken. */
	full(&r, DHCPOFFER, xid, 60);
	deliver(e, &r);
	assert_int_equal(cl(e)->state, DHCP_REQUESTING);
	assert_int_equal(st->InOffers, 3);
	env_free(e);
}

static void test_backoff(void **state)
{
	struct env *e = setup_client();
	uint64_t last = e->net.now;
	uint32_t xid = expect_discover(e);

	(void)state;
	/* 4, 8, 16, 32, 64, 64 s, each ±1 s; the xid stays. */
	for (int i = 0; i < 6; i++) {
		uint64_t want = (i < 4 ? 4ull << i : 64ull) * SEC, got;
		while (memdev_pending(e->dev) == 0)
			run_until(&e->net, e->net.now + SEC / 10);
		got = e->net.now - last;
		assert_true(got + SEC / 10 >= want - DHCP_JITTER_US && got <= want + DHCP_JITTER_US + SEC / 10);
		assert_int_equal(expect_discover(e), xid);
		last = e->net.now;
	}
	assert_int_equal(cl(e)->stats.OutDiscovers, 7);
	env_free(e);
}

static void test_nak(void **state)
{
	struct env *e = setup_client();
	uint32_t xid = expect_discover(e), xid2;
	struct dhcp_info m;
	struct msg r;

	(void)state;
	full(&r, DHCPOFFER, xid, 60);
	deliver(e, &r);
	pop_dhcp(e, BCAST_MAC, 0, INADDR_BROADCAST, &m);
	full(&r, DHCPNAK, xid, 0);
	memcpy(r.b + r.n - 5, "\x0a\x00\x00\x63", 4);	/* another server's NAK */
	deliver(e, &r);
	assert_int_equal(cl(e)->stats.BadServer, 1);
	assert_int_equal(cl(e)->state, DHCP_REQUESTING);
	full(&r, DHCPNAK, xid, 0);
	deliver(e, &r);
	assert_int_equal(cl(e)->stats.InNaks, 2);
	xid2 = expect_discover(e);
	assert_int_not_equal(xid2, xid);
	assert_int_equal(cl(e)->state, DHCP_SELECTING);
	env_free(e);
}

static void test_probe_conflict(void **state)
{
	struct env *e = setup_client();
	uint32_t xid = expect_discover(e);
	struct dhcp_info m;
	struct msg r;
	size_t n;

	(void)state;
	full(&r, DHCPOFFER, xid, 60);
	deliver(e, &r);
	pop_dhcp(e, BCAST_MAC, 0, INADDR_BROADCAST, &m);
	full(&r, DHCPACK, xid, 60);
	deliver(e, &r);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, 0, ZERO_MAC, LEASED);
	/* Someone has the address: it answers the probe. */
	n = arp_build(f, OUR_MAC, OTHER_MAC, ARPOP_REPLY, OTHER_MAC, LEASED, OUR_MAC, 0);
	memdev_inject(e->dev, f, n);
	pop_dhcp(e, BCAST_MAC, 0, INADDR_BROADCAST, &m);
	assert_int_equal(m.type, DHCPDECLINE);
	assert_int_equal(m.req_ip, LEASED);
	assert_int_equal(m.server_id, SERVER);
	assert_int_equal(m.ciaddr, 0);
	assert_int_equal(cl(e)->stats.Conflicts, 1);
	assert_int_equal(cl(e)->state, DHCP_INIT);
	assert_int_equal(e->dev->nifa, 0);
	/* At least 10 s later, a new DISCOVER (RFC 2131 §3.1.5). */
	run_until(&e->net, e->net.now + DHCP_DECLINE_WAIT_US - SEC);
	assert_int_equal(memdev_pending(e->dev), 0);
	run_until(&e->net, e->net.now + SEC);
	assert_int_not_equal(expect_discover(e), xid);
	env_free(e);
}

static void test_renew_rebind_expire(void **state)
{
	struct env *e = setup_client();
	uint64_t t0 = e->net.now;
	struct dhcp_info m;
	struct msg r;
	uint32_t xid;

	(void)state;
	to_bound(e, 1000);
	t0 = cl(e)->lease.start;
	/* T1 (500 s): a REQUEST unicast to the server, from the address. */
	run_until(&e->net, t0 + 499 * SEC);
	assert_int_equal(memdev_pending(e->dev), 0);
	run_until(&e->net, t0 + 500 * SEC);
	assert_int_equal(cl(e)->state, DHCP_RENEWING);
	pop_dhcp(e, PEER_MAC, LEASED, SERVER, &m);
	assert_int_equal(m.type, DHCPREQUEST);
	assert_int_equal(m.ciaddr, LEASED);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.req_ip, 0);
	assert_false(m.has_server_id);
	xid = m.xid;
	/* The ACK, to our address: the same lease, nothing moved. */
	full(&r, DHCPACK, xid, 1000);
	deliver_to(e, &r, LEASED);
	assert_int_equal(cl(e)->state, DHCP_BOUND);
	assert_int_equal(cl(e)->stats.Renewed, 1);
	assert_int_equal(e->dev->nifa, 1);
	assert_int_equal(memdev_pending(e->dev), 0);	/* no gratuitous ARP: untouched */
	t0 = cl(e)->lease.start;
	/* No answer this time: retries, then at T2 (875 s) broadcast. */
	run_until(&e->net, t0 + 500 * SEC);
	pop_dhcp(e, PEER_MAC, LEASED, SERVER, &m);
	run_until(&e->net, t0 + 874 * SEC);
	while (memdev_pending(e->dev)) {
		pop_dhcp(e, PEER_MAC, LEASED, SERVER, &m);
		assert_int_equal(m.type, DHCPREQUEST);
	}
	assert_int_equal(cl(e)->state, DHCP_RENEWING);
	run_until(&e->net, t0 + 875 * SEC);
	assert_int_equal(cl(e)->state, DHCP_REBINDING);
	pop_dhcp(e, BCAST_MAC, LEASED, INADDR_BROADCAST, &m);
	assert_int_equal(m.type, DHCPREQUEST);
	assert_int_equal(m.ciaddr, LEASED);
	assert_false(m.has_server_id);
	/* The lease's end: the address and route go, a DISCOVER goes out. */
	run_until(&e->net, t0 + 999 * SEC);
	assert_int_equal(e->dev->nifa, 1);
	drain(e->dev);
	run_until(&e->net, t0 + 1000 * SEC);
	assert_int_equal(cl(e)->stats.Expired, 1);
	assert_int_equal(e->dev->nifa, 0);
	assert_false(has_default_route(&e->net, ROUTER));
	assert_int_equal(cl(e)->state, DHCP_SELECTING);
	expect_discover(e);
	env_free(e);
}

static void test_rebind_ack_and_release(void **state)
{
	struct env *e = setup_client();
	struct dhcp_info m;
	struct msg r;
	uint64_t t0;

	(void)state;
	to_bound(e, 100);
	t0 = cl(e)->lease.start;
	run_until(&e->net, t0 + 88 * SEC);
	assert_int_equal(cl(e)->state, DHCP_REBINDING);
	drain(e->dev);
	/* Another server (any may answer a rebind) with a new router. */
	full(&r, DHCPACK, cl(e)->xid, 100);
	memcpy(r.b + DHCP_MIN_LEN + 5, "\x0a\x00\x00\x09", 4);	/* option 54 */
	memcpy(r.b + DHCP_MIN_LEN + 17, "\x0a\x00\x00\x01", 4);	/* option 3 */
	deliver_to(e, &r, LEASED);
	assert_int_equal(cl(e)->stats.Rebound, 1);
	assert_int_equal(cl(e)->state, DHCP_BOUND);
	assert_int_equal(cl(e)->lease.server, ip4(10, 0, 0, 9));
	assert_true(has_default_route(&e->net, ip4(10, 0, 0, 1)));
	/* A renew forced from the ctl, then the release as we exit. */
	assert_int_equal(dhcp_renew(&e->net), 0);
	run_until(&e->net, e->net.now);
	assert_int_equal(cl(e)->state, DHCP_RENEWING);
	drain(e->dev);
	dhcp_stop(&e->net);
	pop_dhcp(e, BCAST_MAC, LEASED, ip4(10, 0, 0, 9), &m);	/* 10.0.0.9's MAC unknown */
	assert_int_equal(m.type, DHCPRELEASE);
	assert_int_equal(m.ciaddr, LEASED);
	assert_int_equal(m.server_id, ip4(10, 0, 0, 9));
	assert_int_equal(e->dev->nifa, 0);
	assert_null(e->net.dhcp);
	assert_int_equal(dhcp_renew(&e->net), -EAGAIN);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_nak),
		cmocka_unit_test(test_probe_conflict),
		cmocka_unit_test(test_renew_rebind_expire),
		cmocka_unit_test(test_rebind_ack_and_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
