/* The text of the stack-wide files: made fresh at each open, so a reader
 * sees one consistent snapshot from offset 0 to EOF. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include "impfs.h"

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = sb->cap - sb->len;
		va_start(ap, fmt);
		n = vsnprintf(sb->s ? sb->s + sb->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			sb->len += (size_t)n;
			return;
		}
		size_t cap = sb->cap ? sb->cap * 2 : 1024;
		while (cap - sb->len <= (size_t)n)
			cap *= 2;
		char *s = realloc(sb->s, cap);
		if (!s)
			return;	/* the file comes out short rather than not at all */
		sb->s = s;
		sb->cap = cap;
	}
}

void sb_free(struct strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
}

static void show_ifc_status6(struct strbuf *sb, const struct net_device *dev);

void show_ifc_status(struct strbuf *sb, const struct net_device *dev)
{
	char mac[18], ip[16];

	eth_format_addr(mac, dev->dev_addr);
	sb_printf(sb, "device %s\nmac %s\nmtu %u\nstate %s\n", dev->name, mac, dev->mtu,
		  dev->up ? "up" : "down");
	for (int i = 0; i < dev->nifa; i++)
		sb_printf(sb, "addr %s/%u\n", inet_ntoa_r(dev->ifa[i].ifa_local, ip),
			  dev->ifa[i].ifa_prefixlen);
	if (dev->net->dhcp && dev->net->dhcp->dev == dev) {
		char line[200];
		dhcp_status(dev->net, line, sizeof(line));
		sb_printf(sb, "%s", line);
	}
	show_ifc_status6(sb, dev);
}

/* IPv6 addresses: "addr ADDR/PLEN STATE ORIGIN", after IPv4's. */
static void show_ifc_status6(struct strbuf *sb, const struct net_device *dev)
{
	const struct inet6_dev *idev = dev->ip6_ptr;
	char ip[INET6_ADDRSTRLEN];

	for (int i = 0; idev && i < idev->naddr; i++) {
		const struct inet6_ifaddr *ifa = &idev->addr[i];
		sb_printf(sb, "addr %s/%u %s %s", ipv6_ntoa_r(&ifa->addr, ip), ifa->prefix_len,
			  addrconf_state_name(ifa->state), addrconf_origin_name(ifa->origin));
		if (ifa->valid_until != UINT64_MAX)
			sb_printf(sb, " valid %llu", ifa->valid_until > dev->net->now ?
				  (unsigned long long)((ifa->valid_until - dev->net->now) / 1000000) : 0ull);
		sb_printf(sb, "\n");
	}
	if (idev && idev->mtu6)
		sb_printf(sb, "mtu6 %u\n", idev->mtu6);
}

/* One "Name: value" line per counter: the device's, then IP's (RFC 4293
 * names, then a counter per drop reason), ICMP's and ARP's with a prefix. */
void show_ifc_stats(struct strbuf *sb, const struct net_device *dev)
{
	const struct net *net = dev->net;

#define X(n) sb_printf(sb, #n ": %llu\n", (unsigned long long)dev->stats.n);
	DEVSTATS(X)
#undef X
#define X(n) sb_printf(sb, #n ": %llu\n", (unsigned long long)net->ipstats.n);
	IPSTATS(X)
#undef X
#define X(n) sb_printf(sb, "Icmp" #n ": %llu\n", (unsigned long long)net->icmpstats.n);
	ICMPSTATS(X)
#undef X
#define X(n) sb_printf(sb, "Arp" #n ": %llu\n", (unsigned long long)net->arpstats.n);
	ARPSTATS(X)
#undef X
	sb_printf(sb, "ReasmQueues: %d\nReasmBytes: %zu\nArpEntries: %d\n",
		  net->ipfrags.nqueues, net->ipfrags.mem, net->arp_tbl.entries);
	/* IPv6 and ICMPv6 with Linux's snmp6 prefixes. */
#define X(n) sb_printf(sb, "Ip6" #n ": %llu\n", (unsigned long long)net->ipv6.stats.n);
	IP6STATS(X)
#undef X
#define X(n) sb_printf(sb, "Icmp6" #n ": %llu\n", (unsigned long long)net->ipv6.icmp6.n);
	ICMP6STATS(X)
#undef X
	sb_printf(sb, "Ip6ReasmQueues: %d\nIp6ReasmBytes: %zu\nNdpEntries: %d\n",
		  net->ipv6.nfq, net->ipv6.frag_mem, net->ipv6.nneigh);
}

/* As arp's lines, for IPv6: type, state, address, hardware address,
 * device, and "router" for a neighbour that said it routes. */
void show_ndp(struct strbuf *sb, struct net *net)
{
	for (int i = 0; i < ND_TABLE_MAX; i++) {
		const struct nd_neigh *n = &net->ipv6.neigh[i];
		char ip[INET6_ADDRSTRLEN], mac[18] = "00:00:00:00:00:00";
		if (!n->used_slot)
			continue;
		if (n->state != ND_INCOMPLETE && n->state != ND_FAILED)
			eth_format_addr(mac, n->ha);
		sb_printf(sb, "ether %s %s %s %s%s\n", nd_state_name(n->state),
			  ipv6_ntoa_r(&n->addr, ip), mac, n->dev->name, n->is_router ? " router" : "");
	}
}

/* Plan 9's /net/arp order: type, state, address, hardware address. */
void show_arp(struct strbuf *sb, struct net *net)
{
	for (int h = 0; h < ARP_HASH; h++)
		for (const struct neighbour *n = net->arp_tbl.hash[h]; n; n = n->next) {
			char ip[16], mac[18] = "00:00:00:00:00:00";
			if (n->nud_state != NUD_INCOMPLETE && n->nud_state != NUD_FAILED)
				eth_format_addr(mac, n->ha);
			sb_printf(sb, "ether %s %s %s %s\n", neigh_state_name(n->nud_state),
				  inet_ntoa_r(n->ip, ip), mac, n->dev->name);
		}
}

void show_iproute(struct strbuf *sb, struct net *net)
{
	for (int i = 0; i < net->fib.n; i++) {
		const struct fib_entry *e = &net->fib.e[i];
		char dst[16], gw[16];
		sb_printf(sb, "%s/%u %s %s %d\n", inet_ntoa_r(e->dst, dst), e->plen,
			  inet_ntoa_r(e->gw, gw),
			  e->kind == RT_CONNECTED ? "connected" : "static", e->dev->ifindex);
	}
	/* IPv6 routes in the same form; gateway :: is on-link. */
	for (int i = 0; i < net->ipv6.nrt; i++) {
		const struct rt6_entry *e = &net->ipv6.rt[i];
		char dst[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];
		sb_printf(sb, "%s/%u %s %s %d\n", ipv6_ntoa_r(&e->dst, dst), e->plen,
			  ipv6_ntoa_r(&e->gw, gw), rt6_kind_name(e->kind), e->dev->ifindex);
	}
}

/* Every address the stack answers to, and how. */
void show_ipselftab(struct strbuf *sb, struct net *net)
{
	char ip[16], ip6[INET6_ADDRSTRLEN];

	for (int d = 0; d < net->ndevs; d++) {
		const struct net_device *dev = net->devs[d];
		for (int i = 0; i < dev->nifa; i++) {
			uint32_t a = dev->ifa[i].ifa_local;
			int plen = dev->ifa[i].ifa_prefixlen;
			sb_printf(sb, "%s local %d\n", inet_ntoa_r(a, ip), dev->ifindex);
			if (plen < 31)
				sb_printf(sb, "%s broadcast %d\n",
					  inet_ntoa_r(a | ~inet_make_mask(plen), ip), dev->ifindex);
		}
	}
	sb_printf(sb, "255.255.255.255 broadcast -\n");
	for (int d = 0; d < net->ndevs; d++) {
		const struct inet6_dev *idev = net->devs[d]->ip6_ptr;
		for (int i = 0; idev && i < idev->naddr; i++)
			if (idev->addr[i].state == IFA6_PREFERRED)
				sb_printf(sb, "%s local %d\n", ipv6_ntoa_r(&idev->addr[i].addr, ip6),
					  net->devs[d]->ifindex);
	}
}

/* show_stats: /imp/stats, what is alive now and the limits on it, so a
 * leak can be told from a load: after a load is over every live count
 * goes back to where it was (imp(4)). */
void show_stats(struct strbuf *sb, struct impfs *fs)
{
	const struct net *net = &fs->net;
	struct skb_census skbs = skb_census();

#define P(name, v) sb_printf(sb, name ": %llu\n", (unsigned long long)(v))
	P("Skbs", skbs.live);
	P("SkbBytes", skbs.bytes);
	P("Socks", net->mem.socks);
	P("Sockets", net->mem.sockets);
	P("SocketDirs", fs->nsockets);
	P("Files", fs->nfiles);
	P("Parked", fs->nparked);
	P("ParkedBytes", fs->parked_bytes);
	P("Buffered", net->mem.buffered);
	P("FragBytes", net->ipfrags.mem);
	P("FragQueues", net->ipfrags.nqueues);
	P("RingBytes", ring_bytes(fs));
	P("SocketsRefused", fs->stats.SocketsRefused);
	P("RequestsRefused", fs->stats.RequestsRefused);
	P("RingsRefused", fs->stats.RingsRefused);
	P("FuseLookups", fs->stats.FuseLookups);
	P("FuseGetattrs", fs->stats.FuseGetattrs);
	P("FuseReaddirs", fs->stats.FuseReaddirs);
	P("FuseOpens", fs->stats.FuseOpens);
	P("FuseReleases", fs->stats.FuseReleases);
	P("FuseReads", fs->stats.FuseReads);
	P("FuseReadBytes", fs->stats.FuseReadBytes);
	P("FuseWrites", fs->stats.FuseWrites);
	P("FuseWriteBytes", fs->stats.FuseWriteBytes);
	P("FusePolls", fs->stats.FusePolls);
	P("MaxSockets", fs->max_sockets);
	P("MaxParked", fs->max_parked);
	P("MaxParkedBytes", fs->max_parked_bytes);
	P("MaxRingBytes", fs->max_ring_bytes);
	P("MaxBuffered", net->limits.buffered);
	P("MaxFragMem", net->limits.frag_mem);
	P("MaxFragQueues", net->limits.frag_queues);
	P("MaxFragsPerDatagram", net->limits.frag_per_queue);
#undef P
}

/* The DHCP client's counters, "Name: value" as the other stats files,
 * then its state (none without --addr dhcp). */
void show_dhcpstats(struct strbuf *sb, struct net *net)
{
	const struct dhcp_client *c = net->dhcp;
	struct dhcpstats zero = { 0 };
	const struct dhcpstats *st = c ? &c->stats : &zero;

#define X(name) sb_printf(sb, #name ": %llu\n", (unsigned long long)st->name);
	DHCPSTATS(X)
#undef X
	sb_printf(sb, "State: %s\n", c ? dhcp_state_name(c->state) : "off");
}

/* The resolver's counters, "Name: value" as the other stats files, then
 * its servers and how full its cache is. */
void show_dnsstats(struct strbuf *sb, struct net *net)
{
	const struct dns *d = &net->dns;
	char ip[16];
	int n = 0;

#define X(name) sb_printf(sb, #name ": %llu\n", (unsigned long long)d->stats.name);
	DNSSTATS(X)
#undef X
	sb_printf(sb, "Servers:");
	for (int i = 0; i < d->nservers; i++)
		sb_printf(sb, " %s", inet_ntoa_r(d->servers[i], ip));
	sb_printf(sb, "\n");
	for (int i = 0; d->cache && i < DNS_CACHE_SIZE; i++)
		n += dns_cache_live(net, i);
	sb_printf(sb, "CacheEntries: %d\n", n);
}
