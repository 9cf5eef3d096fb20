/* Address parsing, interface addresses and the route table. */
#include <errno.h>
#include <string.h>

#include "testlib.h"

static void parse_ok(const char *s, uint32_t want)
{
	uint32_t a = 0xdeadbeef;

	if (inet_parse_addr(s, &a) != 0)
		fail_msg("inet_parse_addr(\"%s\") rejected", s);
	if (a != want)
		fail_msg("inet_parse_addr(\"%s\") = %08x, want %08x", s, ntohl(a), ntohl(want));
}

static void parse_bad(const char *s)
{
	uint32_t a = 0;

	if (inet_parse_addr(s, &a) != -EINVAL)
		fail_msg("inet_parse_addr(\"%s\") accepted as %08x", s, ntohl(a));
}

static void test_parse_addr(void **state)
{
	parse_ok("1.2.3.4", ip4(1, 2, 3, 4));
	parse_ok("0.0.0.0", 0);
	parse_ok("255.255.255.255", 0xffffffffu);
	parse_ok("10.0.0.1", ip4(10, 0, 0, 1));
	parse_ok("192.168.100.200", ip4(192, 168, 100, 200));
	/* A leading zero is still decimal (not inet_aton's octal): 010 is 10. */
	parse_ok("01.2.3.4", ip4(1, 2, 3, 4));
	parse_ok("010.0.0.1", ip4(10, 0, 0, 1));
	parse_ok("000.000.000.001", ip4(0, 0, 0, 1));

	parse_bad("1.2.3");
	parse_bad("1.2.3.");
	parse_bad("1.2.3.4.5");
	parse_bad("1.2.3.4.");
	parse_bad("256.1.1.1");
	parse_bad("1.1.1.256");
	parse_bad("1.2.3.1000");
	parse_bad("0001.2.3.4");
	parse_bad(" 1.2.3.4");
	parse_bad("1.2.3.4 ");
	parse_bad("1.2.3.4\n");
	parse_bad("");
	parse_bad(".1.2.3");
	parse_bad("1..2.3");
	parse_bad("1.2.3.-4");
	parse_bad("+1.2.3.4");
	parse_bad("0x1.2.3.4");
	parse_bad("1.2.3.4/24");
	parse_bad("a.b.c.d");
	parse_bad("16909060");		/* inet_aton would take a bare number */
}

static void prefix_ok(const char *s, uint32_t addr, int plen)
{
	uint32_t a = 0;
	int p = -1;

	if (inet_parse_prefix(s, &a, &p) != 0)
		fail_msg("inet_parse_prefix(\"%s\") rejected", s);
	assert_int_equal(a, addr);
	assert_int_equal(p, plen);
}

static void prefix_bad(const char *s)
{
	uint32_t a = 0;
	int p = -1;

	if (inet_parse_prefix(s, &a, &p) != -EINVAL)
		fail_msg("inet_parse_prefix(\"%s\") accepted as %08x/%d", s, ntohl(a), p);
}

static void test_parse_prefix(void **state)
{
	prefix_ok("10.0.0.1/24", ip4(10, 0, 0, 1), 24);	/* the address is not masked */
	prefix_ok("0.0.0.0/0", 0, 0);
	prefix_ok("1.2.3.4/32", ip4(1, 2, 3, 4), 32);
	prefix_ok("1.2.3.4", ip4(1, 2, 3, 4), 32);		/* bare: a host */
	prefix_ok("1.2.3.4/8", ip4(1, 2, 3, 4), 8);

	prefix_bad("/33");
	prefix_bad("/24");
	prefix_bad("1.2.3.4/33");
	prefix_bad("1.2.3.4/100");
	prefix_bad("1.2.3.4/");
	prefix_bad("1.2.3.4/abc");
	prefix_bad("1.2.3.4/24x");
	prefix_bad("1.2.3.4/-1");
	prefix_bad("1.2.3.4/ 24");
	prefix_bad("1.2.3.4/24/8");
	prefix_bad("1.2.3/24");
	prefix_bad("");
	prefix_bad("1.2.3.4/1234");
	prefix_bad("111111111111111111111111111111111111111111/8");
}

static void test_make_mask(void **state)
{
	assert_int_equal(inet_make_mask(0), 0);
	assert_int_equal(inet_make_mask(8), ip4(255, 0, 0, 0));
	assert_int_equal(inet_make_mask(24), ip4(255, 255, 255, 0));
	assert_int_equal(inet_make_mask(25), ip4(255, 255, 255, 128));
	assert_int_equal(inet_make_mask(31), ip4(255, 255, 255, 254));
	assert_int_equal(inet_make_mask(32), 0xffffffffu);
}

static void mac_ok(const char *s, const uint8_t *want)
{
	uint8_t mac[ETH_ALEN];

	if (eth_parse_addr(s, mac) != 0)
		fail_msg("eth_parse_addr(\"%s\") rejected", s);
	assert_memory_equal(mac, want, ETH_ALEN);
}

static void mac_bad(const char *s)
{
	uint8_t mac[ETH_ALEN];

	if (eth_parse_addr(s, mac) != -EINVAL) {
		char buf[18];
		eth_format_addr(buf, mac);
		fail_msg("eth_parse_addr(\"%s\") accepted as %s", s, buf);
	}
}

/* MAC addresses (arp add, --mac): six hex bytes separated by colons. */
static void test_parse_mac(void **state)
{
	static const uint8_t a[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0xab, 0xff };
	static const uint8_t b[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	char buf[18];

	mac_ok("02:00:5e:10:ab:ff", a);
	mac_ok("02:00:5E:10:AB:FF", a);
	mac_ok("2:0:0:0:0:1", b);
	eth_format_addr(buf, a);
	assert_string_equal(buf, "02:00:5e:10:ab:ff");

	mac_bad("");
	mac_bad("02:00:5e:10:ab");
	mac_bad("02:00:5e:10:ab:ff:01");
	mac_bad("02:00:5e:10:ab:ff ");
	mac_bad("02:00:5e:10:ab:ff:");
	mac_bad("02-00-5e-10-ab-ff");
	mac_bad("0200.5e10.abff");
	mac_bad("g2:00:5e:10:ab:ff");
	mac_bad("002:00:5e:10:ab:ff");
	/* Not hex digits, though scanf's %x would take them. */
	mac_bad("-1:00:5e:10:ab:ff");
	mac_bad("+2:00:5e:10:ab:ff");
	mac_bad(" 2:00:5e:10:ab:ff");
	mac_bad("02:00:5e:10:ab: f");
	mac_bad("0x:00:5e:10:ab:ff");
}

static void route_ok(struct env *e, uint32_t dst, int type, uint32_t nexthop, uint32_t saddr)
{
	struct rtable rt;
	int err = ip_route_output(&e->net, dst, &rt);

	if (err)
		fail_msg("route to %08x: %d", ntohl(dst), err);
	assert_int_equal(rt.type, type);
	assert_ptr_equal(rt.dev, e->dev);
	if (rt.nexthop != nexthop)
		fail_msg("route to %08x: nexthop %08x, want %08x", ntohl(dst), ntohl(rt.nexthop),
			 ntohl(nexthop));
	assert_int_equal(rt.saddr, saddr);
}

static void route_none(struct env *e, uint32_t dst)
{
	struct rtable rt;

	assert_int_equal(ip_route_output(&e->net, dst, &rt), -ENETUNREACH);
}

static void test_connected_route(void **state)
{
	struct env *e = *state;

	/* inet_add_ifaddr put in one connected route for 10.0.0.0/24. */
	assert_int_equal(e->net.fib.n, 1);
	assert_int_equal(e->net.fib.e[0].dst, ip4(10, 0, 0, 0));
	assert_int_equal(e->net.fib.e[0].plen, 24);
	assert_int_equal(e->net.fib.e[0].gw, 0);
	assert_int_equal(e->net.fib.e[0].kind, RT_CONNECTED);

	route_ok(e, ip4(10, 0, 0, 9), RTN_UNICAST, ip4(10, 0, 0, 9), OUR_IP);
	route_ok(e, ip4(10, 0, 0, 0), RTN_UNICAST, ip4(10, 0, 0, 0), OUR_IP);
	route_none(e, ip4(10, 0, 1, 9));
	route_none(e, ip4(8, 8, 8, 8));
}

static void test_local_and_broadcast(void **state)
{
	struct env *e = *state;

	route_ok(e, OUR_IP, RTN_LOCAL, OUR_IP, OUR_IP);
	route_ok(e, SUBNET_BCAST, RTN_BROADCAST, SUBNET_BCAST, OUR_IP);
	route_ok(e, 0xffffffffu, RTN_BROADCAST, 0xffffffffu, OUR_IP);
	assert_int_equal(inet_addr_type(&e->net, OUR_IP), RTN_LOCAL);
	assert_int_equal(inet_addr_type(&e->net, SUBNET_BCAST), RTN_BROADCAST);
	assert_int_equal(inet_addr_type(&e->net, 0xffffffffu), RTN_BROADCAST);
	assert_int_equal(inet_addr_type(&e->net, PEER_IP), RTN_UNICAST);
	assert_int_equal(inet_addr_type(&e->net, ip4(10, 0, 0, 0)), RTN_UNICAST);
	assert_true(inet_addr_is_local(&e->net, OUR_IP));
	assert_false(inet_addr_is_local(&e->net, SUBNET_BCAST));

	/* Even with a default route, the subnet broadcast goes on-link. */
	assert_int_equal(fib_add(&e->net, 0, 0, ip4(10, 0, 0, 254), e->dev, RT_STATIC), 0);
	route_ok(e, SUBNET_BCAST, RTN_BROADCAST, SUBNET_BCAST, OUR_IP);
	route_ok(e, OUR_IP, RTN_LOCAL, OUR_IP, OUR_IP);

	/* A /31 or /32 has no broadcast address. */
	assert_int_equal(inet_add_ifaddr(e->dev, ip4(172, 16, 0, 0), 31), 0);
	assert_int_equal(inet_add_ifaddr(e->dev, ip4(172, 17, 0, 5), 32), 0);
	assert_int_equal(drain(e->dev), 2);	/* their gratuitous ARPs */
	assert_int_equal(inet_addr_type(&e->net, ip4(172, 16, 0, 1)), RTN_UNICAST);
	assert_int_equal(inet_addr_type(&e->net, ip4(172, 16, 0, 0)), RTN_LOCAL);
	assert_int_equal(inet_addr_type(&e->net, ip4(172, 17, 0, 5)), RTN_LOCAL);
	route_ok(e, ip4(172, 16, 0, 1), RTN_UNICAST, ip4(172, 16, 0, 1), ip4(172, 16, 0, 0));
	/* A /32 adds no route: it goes by the default, from the first address. */
	route_ok(e, ip4(172, 17, 0, 6), RTN_UNICAST, ip4(10, 0, 0, 254), OUR_IP);
}

static void test_longest_prefix_match(void **state)
{
	struct env *e = *state;
	struct net *net = &e->net;

	assert_int_equal(fib_add(net, 0, 0, ip4(10, 0, 0, 254), e->dev, RT_STATIC), 0);
	assert_int_equal(fib_add(net, ip4(192, 168, 0, 0), 16, ip4(10, 0, 0, 253), e->dev, RT_STATIC), 0);
	/* dst is masked when stored. */
	assert_int_equal(fib_add(net, ip4(192, 168, 5, 77), 24, ip4(10, 0, 0, 252), e->dev, RT_STATIC), 0);
	assert_int_equal(fib_add(net, ip4(10, 0, 0, 128), 25, ip4(10, 0, 0, 251), e->dev, RT_STATIC), 0);
	assert_int_equal(fib_add(net, ip4(192, 168, 5, 9), 32, ip4(10, 0, 0, 250), e->dev, RT_STATIC), 0);
	assert_int_equal(net->fib.n, 6);

	route_ok(e, ip4(8, 8, 8, 8), RTN_UNICAST, ip4(10, 0, 0, 254), OUR_IP);
	route_ok(e, ip4(192, 168, 6, 1), RTN_UNICAST, ip4(10, 0, 0, 253), OUR_IP);
	route_ok(e, ip4(192, 168, 5, 1), RTN_UNICAST, ip4(10, 0, 0, 252), OUR_IP);
	route_ok(e, ip4(192, 168, 5, 9), RTN_UNICAST, ip4(10, 0, 0, 250), OUR_IP);
	route_ok(e, ip4(192, 169, 0, 1), RTN_UNICAST, ip4(10, 0, 0, 254), OUR_IP);
	route_ok(e, ip4(10, 0, 0, 77), RTN_UNICAST, ip4(10, 0, 0, 77), OUR_IP);	/* connected beats default */
	route_ok(e, ip4(10, 0, 0, 200), RTN_UNICAST, ip4(10, 0, 0, 251), OUR_IP);	/* /25 beats /24 */
	route_ok(e, ip4(10, 0, 0, 128), RTN_UNICAST, ip4(10, 0, 0, 251), OUR_IP);

	/* Replacing a route keeps one entry. */
	assert_int_equal(fib_add(net, ip4(192, 168, 0, 0), 16, ip4(10, 0, 0, 249), e->dev, RT_STATIC), 0);
	assert_int_equal(net->fib.n, 6);
	route_ok(e, ip4(192, 168, 6, 1), RTN_UNICAST, ip4(10, 0, 0, 249), OUR_IP);

	/* Removing the more specific falls back to the less specific. */
	assert_int_equal(fib_del(net, ip4(192, 168, 5, 0), 24), 0);
	route_ok(e, ip4(192, 168, 5, 1), RTN_UNICAST, ip4(10, 0, 0, 249), OUR_IP);
	assert_int_equal(fib_del(net, ip4(192, 168, 5, 0), 24), -ESRCH);
	assert_int_equal(fib_del(net, ip4(192, 168, 5, 9), 32), 0);
	route_ok(e, ip4(192, 168, 5, 9), RTN_UNICAST, ip4(10, 0, 0, 249), OUR_IP);

	/* Flushing static routes keeps the connected one. */
	fib_flush_static(net);
	assert_int_equal(net->fib.n, 1);
	assert_int_equal(net->fib.e[0].kind, RT_CONNECTED);
	route_none(e, ip4(8, 8, 8, 8));
	route_ok(e, ip4(10, 0, 0, 200), RTN_UNICAST, ip4(10, 0, 0, 200), OUR_IP);
}

static void test_fib_full(void **state)
{
	struct env *e = *state;

	for (int i = e->net.fib.n; i < FIB_MAX; i++)
		assert_int_equal(fib_add(&e->net, ip4(20, (unsigned)i, 0, 0), 16, PEER_IP, e->dev, RT_STATIC), 0);
	assert_int_equal(fib_add(&e->net, ip4(30, 0, 0, 0), 8, PEER_IP, e->dev, RT_STATIC), -ENOSPC);
	/* Replacing still works when full. */
	assert_int_equal(fib_add(&e->net, ip4(20, 5, 0, 0), 16, ip4(10, 0, 0, 9), e->dev, RT_STATIC), 0);
	route_ok(e, ip4(20, 5, 1, 1), RTN_UNICAST, ip4(10, 0, 0, 9), OUR_IP);
}

static void test_no_route_counts(void **state)
{
	struct env *e = *state;
	struct sk_buff *skb = ip_alloc_skb(8);
	struct snap s;

	memset(skb_put(skb, 8), 0, 8);
	snap_take(&s, &e->net, e->dev);
	assert_int_equal(ip_build_xmit(&e->net, skb, 0, ip4(8, 8, 8, 8), 253, 64, 0, false),
			 -ENETUNREACH);
	snap_expect(&s, &e->net, e->dev, "ip.OutNoRoutes=1");
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_device_down(void **state)
{
	struct env *e = *state;

	e->dev->up = false;
	route_none(e, PEER_IP);
	e->dev->up = true;
	route_ok(e, PEER_IP, RTN_UNICAST, PEER_IP, OUR_IP);
}

static void test_ifaddr(void **state)
{
	struct env *e = *state;

	assert_int_equal(inet_add_ifaddr(e->dev, ip4(127, 0, 0, 1), 8), -EINVAL);
	assert_int_equal(inet_add_ifaddr(e->dev, 0, 8), -EINVAL);
	assert_int_equal(inet_add_ifaddr(e->dev, 0xffffffffu, 8), -EINVAL);
	assert_int_equal(inet_add_ifaddr(e->dev, ip4(224, 0, 0, 1), 8), -EINVAL);
	assert_int_equal(inet_add_ifaddr(e->dev, ip4(240, 0, 0, 1), 8), -EINVAL);
	assert_int_equal(inet_add_ifaddr(e->dev, OUR_IP, 24), -EEXIST);
	assert_int_equal(memdev_pending(e->dev), 0);

	/* A second address in the same subnet, then one elsewhere. */
	assert_int_equal(inet_add_ifaddr(e->dev, ip4(10, 0, 0, 3), 24), 0);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, ip4(10, 0, 0, 3), ZERO_MAC, ip4(10, 0, 0, 3));
	assert_int_equal(e->net.fib.n, 1);
	assert_int_equal(inet_add_ifaddr(e->dev, ip4(192, 168, 1, 1), 24), 0);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, ip4(192, 168, 1, 1), ZERO_MAC, ip4(192, 168, 1, 1));
	assert_int_equal(e->net.fib.n, 2);
	route_ok(e, ip4(192, 168, 1, 9), RTN_UNICAST, ip4(192, 168, 1, 9), ip4(192, 168, 1, 1));
	route_ok(e, ip4(10, 0, 0, 3), RTN_LOCAL, ip4(10, 0, 0, 3), ip4(10, 0, 0, 3));

	/* Removing one of two addresses in 10.0.0.0/24 keeps the route. */
	assert_int_equal(inet_del_ifaddr(e->dev, OUR_IP, 24), 0);
	route_ok(e, ip4(10, 0, 0, 9), RTN_UNICAST, ip4(10, 0, 0, 9), ip4(10, 0, 0, 3));
	assert_int_equal(inet_addr_type(&e->net, OUR_IP), RTN_UNICAST);
	assert_int_equal(inet_del_ifaddr(e->dev, OUR_IP, 24), -EADDRNOTAVAIL);
	assert_int_equal(inet_del_ifaddr(e->dev, ip4(10, 0, 0, 3), 16), -EADDRNOTAVAIL);
	/* Removing the last one removes the route. */
	assert_int_equal(inet_del_ifaddr(e->dev, ip4(10, 0, 0, 3), 24), 0);
	route_none(e, ip4(10, 0, 0, 9));
	route_ok(e, ip4(192, 168, 1, 9), RTN_UNICAST, ip4(192, 168, 1, 9), ip4(192, 168, 1, 1));
	assert_int_equal(e->dev->nifa, 1);

	/* At most IFA_MAX addresses. */
	for (int i = 1; i < IFA_MAX; i++)
		assert_int_equal(inet_add_ifaddr(e->dev, ip4(172, 16, (unsigned)i, 1), 32), 0);
	assert_int_equal(inet_add_ifaddr(e->dev, ip4(172, 16, 99, 1), 32), -ENOSPC);
	assert_int_equal(drain(e->dev), IFA_MAX - 1);
}

static struct sk_buff *payload8(void)
{
	struct sk_buff *skb = ip_alloc_skb(8);

	memcpy(skb_put(skb, 8), "abcdefgh", 8);
	return skb;
}

/* Off-link destinations go to the gateway's MAC; it is the gateway that
 * gets resolved, not the destination. */
static void test_output_via_gateway(void **state)
{
	struct env *e = *state;
	struct rx rx;

	assert_int_equal(fib_add(&e->net, 0, 0, PEER_IP, e->dev, RT_STATIC), 0);
	assert_int_equal(ip_build_xmit(&e->net, payload8(), 0, ip4(8, 8, 8, 8), 253, 64, 0, false), 0);
	pop_ipv4(e->dev, PEER_MAC, &rx);
	assert_int_equal(rx.ip->saddr, OUR_IP);
	assert_int_equal(rx.ip->daddr, ip4(8, 8, 8, 8));
	assert_int_equal(rx.ip->protocol, 253);
	assert_int_equal(rx.ip->ttl, 64);
	assert_memory_equal(rx.l4, "abcdefgh", 8);
	rx_free(&rx);

	assert_int_equal(fib_add(&e->net, 0, 0, ip4(10, 0, 0, 254), e->dev, RT_STATIC), 0);
	assert_int_equal(ip_build_xmit(&e->net, payload8(), 0, ip4(8, 8, 8, 8), 253, 64, 0, false), 0);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, ip4(10, 0, 0, 254));
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_null(neigh_lookup(&e->net, ip4(8, 8, 8, 8)));
	assert_int_equal(neigh_lookup(&e->net, ip4(10, 0, 0, 254))->arp_queue.qlen, 1);
}

/* Broadcasts go to the broadcast MAC without ARP. */
static void test_output_broadcast(void **state)
{
	struct env *e = *state;
	const uint32_t dst[2] = { SUBNET_BCAST, 0xffffffffu };

	for (int i = 0; i < 2; i++) {
		struct snap s;
		struct rx rx;

		snap_take(&s, &e->net, e->dev);
		assert_int_equal(ip_build_xmit(&e->net, payload8(), 0, dst[i], 253, 64, 0, false), 0);
		snap_expect(&s, &e->net, e->dev, "ip.OutRequests=1 dev.TxFrames=1 dev.TxBytes=42");
		pop_ipv4(e->dev, BCAST_MAC, &rx);
		assert_int_equal(rx.ip->saddr, OUR_IP);
		assert_int_equal(rx.ip->daddr, dst[i]);
		rx_free(&rx);
		assert_null(neigh_lookup(&e->net, dst[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_parse_prefix),
		cmocka_unit_test(test_make_mask),
		cmocka_unit_test(test_parse_mac),
		cmocka_unit_test_setup_teardown(test_connected_route, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_local_and_broadcast, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_longest_prefix_match, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_fib_full, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_no_route_counts, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_device_down, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_ifaddr, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_output_via_gateway, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_output_broadcast, env_setup, env_teardown),
	};
	return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
