#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sock.h"

const uint8_t OUR_MAC[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t PEER_MAC[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
const uint8_t OTHER_MAC[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x07 };
const uint8_t BCAST_MAC[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
const uint8_t ZERO_MAC[ETH_ALEN] = { 0 };

uint64_t xrand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

struct env *env_new(unsigned int mtu, bool static_peer)
{
	struct env *e = calloc(1, sizeof(*e));
	struct sk_buff *skb;

	assert_non_null(e);
	net_init(&e->net, T0, 42);
	e->dev = memdev_create(&e->net, OUR_MAC, mtu);
	assert_non_null(e->dev);
	assert_int_equal(inet_add_ifaddr(e->dev, OUR_IP, 24), 0);
	/* The gratuitous ARP for our address. */
	assert_int_equal(memdev_pending(e->dev), 1);
	skb = memdev_pop(e->dev);
	assert_int_equal(skb->len, ETH_HLEN + sizeof(struct arphdr));
	kfree_skb(skb);
	if (static_peer)
		assert_int_equal(neigh_add_static(e->dev, PEER_IP, PEER_MAC), 0);
	return e;
}

void env_free(struct env *e)
{
	net_cleanup(&e->net);
	free(e);
}

int env_setup(void **state)
{
	*state = env_new(1500, true);
	return 0;
}

int env_setup_nopeer(void **state)
{
	*state = env_new(1500, false);
	return 0;
}

int env_setup_jumbo(void **state)
{
	*state = env_new(9000, true);
	return 0;
}

int env_teardown(void **state)
{
	env_free(*state);
	return 0;
}

void run_until(struct net *net, uint64_t t)
{
	uint64_t next;

	while ((next = timers_next(&net->timers)) <= t)
		net_advance(net, next > net->now ? next : net->now);
	net_advance(net, t);
}

size_t eth_build(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	struct ethhdr *eth = (struct ethhdr *)buf;

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(type);
	return ETH_HLEN;
}

void ip_fix_csum(uint8_t *frame)
{
	struct iphdr *iph = frame_ip(frame);

	iph->check = 0;
	iph->check = ip_compute_csum(iph, ip_hdrlen(iph));
}

size_t ip_build(uint8_t *buf, const uint8_t *smac, uint32_t saddr, uint32_t daddr,
		uint8_t proto, const void *payload, size_t plen)
{
	struct iphdr *iph = frame_ip(buf);

	eth_build(buf, OUR_MAC, smac, ETH_P_IP);
	memset(iph, 0, sizeof(*iph));
	iph->ver_ihl = 0x45;
	iph->tot_len = htons((uint16_t)(sizeof(*iph) + plen));
	iph->id = htons(0x1234);
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = saddr;
	iph->daddr = daddr;
	if (plen)
		memmove(buf + ETH_HLEN + sizeof(*iph), payload, plen);
	ip_fix_csum(buf);
	return ETH_HLEN + sizeof(*iph) + plen;
}

size_t frag_build(uint8_t *buf, uint32_t saddr, uint32_t daddr, uint8_t proto,
		  uint16_t id, const uint8_t *payload, size_t off, size_t len, bool mf)
{
	size_t n = ip_build(buf, PEER_MAC, saddr, daddr, proto, payload + off, len);
	struct iphdr *iph = frame_ip(buf);

	iph->id = htons(id);
	iph->frag_off = htons((uint16_t)((off / 8) | (mf ? IP_MF : 0)));
	ip_fix_csum(buf);
	return n;
}

size_t icmp_build(uint8_t *out, uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
		  const void *data, size_t dlen)
{
	struct icmphdr *ic = (struct icmphdr *)out;

	if (dlen)
		memmove(out + sizeof(*ic), data, dlen);
	ic->type = type;
	ic->code = code;
	ic->checksum = 0;
	ic->un.echo.id = htons(id);
	ic->un.echo.sequence = htons(seq);
	ic->checksum = ip_compute_csum(out, sizeof(*ic) + dlen);
	return sizeof(*ic) + dlen;
}

size_t echo_build(uint8_t *buf, const uint8_t *smac, uint32_t saddr, uint32_t daddr,
		  uint16_t id, uint16_t seq, const void *data, size_t dlen)
{
	uint8_t *msg = malloc(sizeof(struct icmphdr) + dlen);
	size_t n, len;

	assert_non_null(msg);
	n = icmp_build(msg, ICMP_ECHO, 0, id, seq, data, dlen);
	len = ip_build(buf, smac, saddr, daddr, IPPROTO_ICMP, msg, n);
	free(msg);
	return len;
}

size_t arp_build(uint8_t *buf, const uint8_t *dmac, const uint8_t *smac, uint16_t op,
		 const uint8_t *sha, uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	struct arphdr *arp = (struct arphdr *)(buf + ETH_HLEN);

	eth_build(buf, dmac, smac, ETH_P_ARP);
	arp->ar_hrd = htons(ARPHRD_ETHER);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = ETH_ALEN;
	arp->ar_pln = 4;
	arp->ar_op = htons(op);
	memcpy(arp->ar_sha, sha, ETH_ALEN);
	arp->ar_sip = sip;
	memcpy(arp->ar_tha, tha, ETH_ALEN);
	arp->ar_tip = tip;
	return ETH_HLEN + sizeof(*arp);
}

void fill_pattern(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 8));
}

void pop_ipv4(struct net_device *dev, const uint8_t *dmac, struct rx *rx)
{
	const struct iphdr *iph;

	memset(rx, 0, sizeof(*rx));
	rx->skb = memdev_pop(dev);
	assert_non_null(rx->skb);
	assert_true(rx->skb->len >= ETH_HLEN + sizeof(struct iphdr));
	rx->eth = (const struct ethhdr *)rx->skb->data;
	assert_memory_equal(rx->eth->h_dest, dmac, ETH_ALEN);
	assert_memory_equal(rx->eth->h_source, OUR_MAC, ETH_ALEN);
	assert_int_equal(ntohs(rx->eth->h_proto), ETH_P_IP);
	iph = rx->ip = (const struct iphdr *)(rx->skb->data + ETH_HLEN);
	assert_int_equal(iph->ver_ihl, 0x45);
	assert_int_equal(ntohs(iph->tot_len), rx->skb->len - ETH_HLEN);
	assert_int_equal(ip_compute_csum(iph, sizeof(*iph)), 0);
	rx->l4 = (const uint8_t *)iph + sizeof(*iph);
	rx->l4len = ntohs(iph->tot_len) - sizeof(*iph);
}

void pop_icmp(struct net_device *dev, const uint8_t *dmac, struct rx *rx,
	      uint8_t type, uint8_t code)
{
	pop_ipv4(dev, dmac, rx);
	assert_int_equal(rx->ip->protocol, IPPROTO_ICMP);
	assert_int_equal(ntohs(rx->ip->frag_off) & (IP_MF | IP_OFFSET), 0);
	assert_true(rx->l4len >= sizeof(struct icmphdr));
	assert_int_equal(rx->l4[0], type);
	assert_int_equal(rx->l4[1], code);
	assert_int_equal(ip_compute_csum(rx->l4, rx->l4len), 0);
}

void rx_free(struct rx *rx)
{
	kfree_skb(rx->skb);
	memset(rx, 0, sizeof(*rx));
}

void pop_arp_expect(struct net_device *dev, const uint8_t *dmac, uint16_t op,
		    uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	uint8_t want[64];
	size_t n = arp_build(want, dmac, OUR_MAC, op, OUR_MAC, sip, tha, tip);
	struct sk_buff *skb = memdev_pop(dev);

	assert_non_null(skb);
	assert_int_equal(skb->len, n);
	assert_memory_equal(skb->data, want, n);
	kfree_skb(skb);
}

unsigned int drain(struct net_device *dev)
{
	struct sk_buff *skb;
	unsigned int n = 0;

	while ((skb = memdev_pop(dev)) != NULL) {
		kfree_skb(skb);
		n++;
	}
	return n;
}

struct field {
	const char *name;
	size_t off;
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct field ip_fields[] = {
#define X(n) { #n, offsetof(struct ipstats, n) },
	IPSTATS(X)
#undef X
};
static const struct field icmp_fields[] = {
#define X(n) { #n, offsetof(struct icmpstats, n) },
	ICMPSTATS(X)
#undef X
};
static const struct field arp_fields[] = {
#define X(n) { #n, offsetof(struct arpstats, n) },
	ARPSTATS(X)
#undef X
};
static const struct field dev_fields[] = {
#define X(n) { #n, offsetof(struct devstats, n) },
	DEVSTATS(X)
#undef X
};

struct group {
	const char *prefix;
	const struct field *f;
	size_t nf;
	const void *before, *after;
};

void snap_take(struct snap *s, const struct net *net, const struct net_device *dev)
{
	s->ip = net->ipstats;
	s->icmp = net->icmpstats;
	s->arp = net->arpstats;
	s->dev = dev->stats;
}

static uint64_t get(const void *base, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

void snap_expect(const struct snap *s, const struct net *net, const struct net_device *dev,
		 const char *spec)
{
	const struct group groups[] = {
		{ "ip", ip_fields, N(ip_fields), &s->ip, &net->ipstats },
		{ "icmp", icmp_fields, N(icmp_fields), &s->icmp, &net->icmpstats },
		{ "arp", arp_fields, N(arp_fields), &s->arp, &net->arpstats },
		{ "dev", dev_fields, N(dev_fields), &s->dev, &dev->stats },
	};
	char msg[2048] = "";
	size_t mlen = 0;

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (size_t i = 0; i < groups[g].nf; i++) {
			char key[64];
			const char *p;
			uint64_t want = 0;
			uint64_t got = get(groups[g].after, groups[g].f[i].off) -
				       get(groups[g].before, groups[g].f[i].off);
			size_t kl = (size_t)snprintf(key, sizeof(key), "%s.%s=", groups[g].prefix,
						     groups[g].f[i].name);

			for (p = spec; (p = strstr(p, key)) != NULL; p += kl)
				if (p == spec || p[-1] == ' ') {
					want = strtoull(p + kl, NULL, 10);
					break;
				}
			if (got != want && mlen < sizeof(msg) - 100)
				mlen += (size_t)snprintf(msg + mlen, sizeof(msg) - mlen,
						 " %s.%s moved by %llu, expected %llu;",
						 groups[g].prefix, groups[g].f[i].name,
						 (unsigned long long)got, (unsigned long long)want);
		}
	}
	/* Every name in spec must exist, so a typo cannot make a check vacuous. */
	for (const char *p = spec; *p;) {
		char name[64];
		size_t n = strcspn(p, "=");
		bool found = false;

		while (*p == ' ')
			p++, n--;
		if (!*p)
			break;
		if (n >= sizeof(name))
			fail_msg("bad counter spec at %s", p);
		memcpy(name, p, n);
		name[n] = 0;
		for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]) && !found; g++) {
			size_t pl = strlen(groups[g].prefix);
			if (strncmp(name, groups[g].prefix, pl) || name[pl] != '.')
				continue;
			for (size_t i = 0; i < groups[g].nf; i++)
				if (!strcmp(name + pl + 1, groups[g].f[i].name))
					found = true;
		}
		if (!found)
			fail_msg("unknown counter %s in spec", name);
		p += n;
		p += strcspn(p, " ");
	}
	if (mlen)
		fail_msg("counters:%s", msg);
}

/* proto_words takes the words of spec that name a counter of the group
 * prefix (prefix.Name=N, failing on an unknown name) into want, by the
 * index of the name in f, and copies the other words into rest. */
static void proto_words(const char *prefix, const struct field *f, size_t nf, const char *spec,
			uint64_t *want, char *rest, size_t restlen)
{
	size_t pl = strlen(prefix), rl = 0;

	rest[0] = 0;
	for (const char *p = spec; *p;) {
		size_t n;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		n = strcspn(p, " ");
		if (!strncmp(p, prefix, pl) && p[pl] == '.') {
			const char *eq = memchr(p, '=', n), *name = p + pl + 1;
			bool found = false;

			if (!eq)
				fail_msg("bad counter spec at %s", p);
			for (size_t i = 0; i < nf; i++)
				if ((size_t)(eq - name) == strlen(f[i].name) &&
				    !strncmp(name, f[i].name, (size_t)(eq - name))) {
					want[i] = strtoull(eq + 1, NULL, 10);
					found = true;
				}
			if (!found)
				fail_msg("unknown counter %.*s in spec", (int)(eq - p), p);
		} else {
			if (rl + n + 2 >= restlen)
				fail_msg("counter spec too long");
			rl += (size_t)snprintf(rest + rl, restlen - rl, "%s%.*s", rl ? " " : "",
					       (int)n, p);
		}
		p += n;
	}
}

/* proto_check: every counter of the group moved from before to after by
 * exactly want (by index in f). */
static void proto_check(const char *prefix, const struct field *f, size_t nf,
			const void *before, const void *after, const uint64_t *want)
{
	char msg[2048] = "";
	size_t ml = 0;

	for (size_t i = 0; i < nf; i++) {
		uint64_t got = get(after, f[i].off) - get(before, f[i].off);
		if (got != want[i] && ml < sizeof(msg) - 100)
			ml += (size_t)snprintf(msg + ml, sizeof(msg) - ml,
					       " %s.%s moved by %lld, expected %llu;", prefix, f[i].name,
					       (long long)got, (unsigned long long)want[i]);
	}
	if (ml)
		fail_msg("counters:%s", msg);
}

/* --- UDP and socket helpers --- */

uint16_t udp_csum_check(uint32_t saddr, uint32_t daddr, const void *l4, size_t len)
{
	return l4_csum_check(saddr, daddr, IPPROTO_UDP, l4, len);
}

size_t udp_msg_build(uint8_t *out, uint32_t saddr, uint16_t sport, uint32_t daddr,
		     uint16_t dport, const void *data, size_t dlen)
{
	struct udphdr *uh = (struct udphdr *)out;
	uint16_t c;

	if (dlen)
		memmove(out + sizeof(*uh), data, dlen);
	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons((uint16_t)(sizeof(*uh) + dlen));
	uh->check = 0;
	c = udp_csum_check(saddr, daddr, out, sizeof(*uh) + dlen);
	uh->check = c ? c : 0xffff;
	return sizeof(*uh) + dlen;
}

size_t udp_build(uint8_t *buf, const uint8_t *smac, uint32_t saddr, uint16_t sport,
		 uint32_t daddr, uint16_t dport, const void *data, size_t dlen)
{
	uint8_t *msg = malloc(sizeof(struct udphdr) + dlen);
	size_t n, len;

	assert_non_null(msg);
	n = udp_msg_build(msg, saddr, sport, daddr, dport, data, dlen);
	len = ip_build(buf, smac, saddr, daddr, IPPROTO_UDP, msg, n);
	free(msg);
	return len;
}

size_t icmp_error_build(uint8_t *buf, uint8_t type, uint8_t code, const void *quote, size_t qlen)
{
	uint8_t *msg = malloc(sizeof(struct icmphdr) + qlen);
	size_t n, len;

	assert_non_null(msg);
	n = icmp_build(msg, type, code, 0, 0, quote, qlen);
	len = ip_build(buf, PEER_MAC, PEER_IP, OUR_IP, IPPROTO_ICMP, msg, n);
	free(msg);
	return len;
}

static const struct field udp_fields[] = {
#define X(n) { #n, offsetof(struct udpstats, n) },
	UDPSTATS(X)
#undef X
};

void usnap_take(struct usnap *s, const struct net *net, const struct net_device *dev)
{
	snap_take(&s->s, net, dev);
	s->udp = net->udpstats;
}

void usnap_expect(const struct usnap *s, const struct net *net, const struct net_device *dev,
		  const char *spec)
{
	uint64_t want[N(udp_fields)] = { 0 };
	char rest[1024];

	proto_words("udp", udp_fields, N(udp_fields), spec, want, rest, sizeof(rest));
	snap_expect(&s->s, net, dev, rest);
	proto_check("udp", udp_fields, N(udp_fields), &s->udp, &net->udpstats, want);
}

static void count_wakeup(struct socket *sock)
{
	(*(unsigned int *)sock->owner)++;
}

void sock_count_wakeups(struct socket *sock, unsigned int *counter)
{
	sock->owner = counter;
	sock->wakeup = count_wakeup;
}

struct sockaddr_in sin4(uint32_t addr, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = addr;
	a.sin_port = htons(port);
	return a;
}

int do_bind(struct socket *sock, uint32_t addr, uint16_t port)
{
	union inet_sockaddr a = { .sin = sin4(addr, port) };
	return sock->ops->bind(sock, &a);
}

int do_connect(struct socket *sock, uint32_t addr, uint16_t port)
{
	union inet_sockaddr a = { .sin = sin4(addr, port) };
	return sock->ops->connect(sock, &a);
}

long sock_send(struct socket *sock, const void *data, size_t len, uint32_t daddr, uint16_t dport)
{
	struct sockmsg msg;

	memset(&msg, 0, sizeof(msg));
	msg.data = data;
	if (daddr) {
		msg.has_name = true;
		msg.name.sin.sin_family = AF_INET;
		msg.name.sin.sin_addr.s_addr = daddr;
		msg.name.sin.sin_port = htons(dport);
	}
	return sock->ops->sendmsg(sock, &msg, len);
}

/* copy_iov copies the n bytes recvmsg pointed msg->iov at into buf, which
 * holds len: they fit and they are all there is. */
static void copy_iov(const struct sockmsg *msg, long n, void *buf, size_t len)
{
	size_t off = 0;

	for (int i = 0; i < msg->iovcnt; i++) {
		assert_true(off + msg->iov[i].iov_len <= len);
		memcpy((uint8_t *)buf + off, msg->iov[i].iov_base, msg->iov[i].iov_len);
		off += msg->iov[i].iov_len;
	}
	assert_int_equal(off, n);
}

long sock_recv(struct socket *sock, void *buf, size_t len, int flags, struct sockmsg *out)
{
	struct sockmsg msg;
	long n;

	memset(&msg, 0, sizeof(msg));
	msg.flags = flags;
	n = sock->ops->recvmsg(sock, &msg, len);
	if (n >= 0) {
		copy_iov(&msg, n, buf, len);
		if (msg.cookie)
			sock->ops->recv_done(sock, &msg, (size_t)n);
	}
	if (out)
		*out = msg;
	return n;
}

/* --- TCP helpers --- */

uint16_t l4_csum_check(uint32_t saddr, uint32_t daddr, uint8_t proto, const void *l4, size_t len)
{
	uint8_t *b = malloc(12 + len);
	uint16_t l = htons((uint16_t)len), c;

	assert_non_null(b);
	memcpy(b, &saddr, 4);
	memcpy(b + 4, &daddr, 4);
	b[8] = 0;
	b[9] = proto;
	memcpy(b + 10, &l, 2);
	memcpy(b + 12, l4, len);
	c = ip_compute_csum(b, 12 + len);
	free(b);
	return c;
}

size_t tcp_seg_build(uint8_t *out, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
		     uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		     const void *opt, size_t optlen, const void *data, size_t dlen)
{
	size_t hlen = 20 + optlen;
	uint32_t v;
	uint16_t c;

	assert_true(optlen % 4 == 0 && optlen <= 40);
	if (dlen)
		memmove(out + hlen, data, dlen);
	if (optlen)
		memcpy(out + 20, opt, optlen);
	c = htons(sport);
	memcpy(out, &c, 2);
	c = htons(dport);
	memcpy(out + 2, &c, 2);
	v = htonl(seq);
	memcpy(out + 4, &v, 4);
	v = htonl(ack);
	memcpy(out + 8, &v, 4);
	out[12] = (uint8_t)((hlen / 4) << 4);
	out[13] = flags;
	c = htons(win);
	memcpy(out + 14, &c, 2);
	out[16] = out[17] = 0;
	out[18] = out[19] = 0;
	c = l4_csum_check(saddr, daddr, IPPROTO_TCP, out, hlen + dlen);
	memcpy(out + 16, &c, 2);
	return hlen + dlen;
}

size_t tcp_build(uint8_t *buf, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport,
		 uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		 const void *opt, size_t optlen, const void *data, size_t dlen)
{
	uint8_t *msg = malloc(60 + dlen);
	size_t n, len;

	assert_non_null(msg);
	n = tcp_seg_build(msg, saddr, sport, daddr, dport, seq, ack, flags, win, opt, optlen,
			  data, dlen);
	len = ip_build(buf, PEER_MAC, saddr, daddr, IPPROTO_TCP, msg, n);
	free(msg);
	return len;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void pop_tcp(struct net_device *dev, const uint8_t *dmac, struct tcp_seen *s)
{
	const uint8_t *th, *o;
	unsigned int left;

	memset(s, 0, sizeof(*s));
	pop_ipv4(dev, dmac, &s->rx);
	assert_int_equal(s->rx.ip->protocol, IPPROTO_TCP);
	assert_int_equal(ntohs(s->rx.ip->frag_off) & (IP_MF | IP_OFFSET), 0);
	assert_true(s->rx.l4len >= 20);
	th = s->th = s->rx.l4;
	s->hlen = (th[12] >> 4) * 4u;
	assert_true(s->hlen >= 20 && s->hlen <= s->rx.l4len);
	assert_int_equal(th[12] & 0x0f, 0);	/* reserved bits */
	assert_int_equal(l4_csum_check(s->rx.ip->saddr, s->rx.ip->daddr, IPPROTO_TCP, th,
				       s->rx.l4len), 0);
	s->sport = (uint16_t)(th[0] << 8 | th[1]);
	s->dport = (uint16_t)(th[2] << 8 | th[3]);
	s->seq = be32(th + 4);
	s->ack = be32(th + 8);
	s->flags = th[13];
	s->win = (uint16_t)(th[14] << 8 | th[15]);
	assert_int_equal(th[18] | th[19], 0);	/* urgent pointer: never used */
	s->data = th + s->hlen;
	s->dlen = s->rx.l4len - s->hlen;
	s->mss = s->wscale = -1;
	o = th + 20;
	left = s->hlen - 20;
	while (left) {
		unsigned int len;
		if (o[0] == 0)
			break;
		if (o[0] == 1) {
			o++;
			left--;
			continue;
		}
		if (left < 2 || (len = o[1]) < 2 || len > left) {
			s->bad_opts = true;
			break;
		}
		if (o[0] == 2 && len == 4)
			s->mss = o[2] << 8 | o[3];
		else if (o[0] == 3 && len == 3)
			s->wscale = o[2];
		else if (o[0] == 4 && len == 2)
			s->sackok = true;
		else if (o[0] == 5 && len >= 10 && (len - 2) % 8 == 0 && (len - 2) / 8 <= 4) {
			s->nsack = (len - 2) / 8;
			for (unsigned int i = 0; i < s->nsack; i++) {
				s->sack[i][0] = be32(o + 2 + 8 * i);
				s->sack[i][1] = be32(o + 6 + 8 * i);
			}
		} else if (o[0] == 8 && len == 10) {
			s->ts = true;
			s->tsval = be32(o + 2);
			s->tsecr = be32(o + 6);
		} else
			s->bad_opts = true;	/* the stack sends no other kind */
		o += len;
		left -= len;
	}
}

void tcp_seen_free(struct tcp_seen *s)
{
	rx_free(&s->rx);
	memset(s, 0, sizeof(*s));
}

static const struct field tcp_fields[] = {
#define X(n) { #n, offsetof(struct tcpstats, n) },
	TCPSTATS(X)
#undef X
};

void tsnap_take(struct tsnap *s, const struct net *net, const struct net_device *dev)
{
	snap_take(&s->s, net, dev);
	s->tcp = net->tcpstats;
}

void tsnap_expect(const struct tsnap *s, const struct net *net, const struct net_device *dev,
		  const char *spec)
{
	uint64_t want[N(tcp_fields)] = { 0 };
	char rest[1024];

	proto_words("tcp", tcp_fields, N(tcp_fields), spec, want, rest, sizeof(rest));
	snap_expect(&s->s, net, dev, rest);
	proto_check("tcp", tcp_fields, N(tcp_fields), &s->tcp, &net->tcpstats, want);
}

void tsnap_expect_tcp(const struct tsnap *s, const struct net *net, const char *spec)
{
	uint64_t want[N(tcp_fields)] = { 0 };
	char rest[1024];

	proto_words("tcp", tcp_fields, N(tcp_fields), spec, want, rest, sizeof(rest));
	if (rest[0])
		fail_msg("tsnap_expect_tcp: only tcp counters, not \"%s\"", rest);
	proto_check("tcp", tcp_fields, N(tcp_fields), &s->tcp, &net->tcpstats, want);
}

long sock_recv_stream(struct socket *sock, void *buf, size_t len)
{
	struct sockmsg msg;
	long n;

	memset(&msg, 0, sizeof(msg));
	n = sock->ops->recvmsg(sock, &msg, len);
	if (n <= 0)
		return n;
	copy_iov(&msg, n, buf, len);
	sock->ops->recv_done(sock, &msg, (size_t)n);
	return n;
}
