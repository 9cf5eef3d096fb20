/* The fuzz targets' shared harness: see fuzzstack.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzstack.h"
#include "checksum.h"

const uint8_t FZ_OUR_MAC[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t FZ_PEER_MAC[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* The log and trace lines go nowhere; formatting them is the point. */
static void log_sink(struct net *net, const char *line, void *arg)
{
	(void)net, (void)line, (void)arg;
}

static void trace_sink(struct net *net, struct sock *sk, const char *line, void *arg)
{
	(void)net, (void)sk, (void)line, (void)arg;
}

static void harness_fail(const char *what)
{
	fprintf(stderr, "fuzz harness: %s\n", what);
	abort();
}

void fz_init(struct fzstack *s, unsigned int mtu)
{
	memset(s, 0, sizeof(*s));
	net_init(&s->net, FZ_T0, 42);
	/* The SYN cookie key comes from getrandom: fixed here, so that an
	 * input does the same on every run and a crash replays. */
	s->net.syncookies.key[0] = 0x0123456789abcdefull;
	s->net.syncookies.key[1] = 0xfedcba9876543210ull;
	s->net.log_mask = NETLOG_ALL;
	s->net.log_fn = log_sink;
	s->net.tcp_trace_fn = trace_sink;
	s->dev = memdev_create(&s->net, FZ_OUR_MAC, mtu);
	if (!s->dev)
		harness_fail("memdev_create failed");
	if (inet_add_ifaddr(s->dev, FZ_OUR_IP, 24))
		harness_fail("inet_add_ifaddr failed");
	if (neigh_add_static(s->dev, FZ_PEER_IP, FZ_PEER_MAC))
		harness_fail("neigh_add_static failed");
	fz_drain(s);	/* the gratuitous ARP */
}

void fz_free(struct fzstack *s)
{
	net_run_wakeups(&s->net);
	net_cleanup(&s->net);
}

unsigned int fz_drain(struct fzstack *s)
{
	struct sk_buff *skb;
	unsigned int n = 0;

	while ((skb = memdev_pop(s->dev)) != NULL) {
		if (s->on_tx)
			s->on_tx(s->tx_arg, skb->data, skb->len);
		kfree_skb(skb);
		n++;
	}
	return n;
}

void fz_advance(struct fzstack *s, uint64_t dt)
{
	uint64_t t = s->net.now + dt, next;

	while ((next = timers_next(&s->net.timers)) <= t) {
		net_advance(&s->net, next > s->net.now ? next : s->net.now);
		net_process_backlog(&s->net);
		fz_drain(s);
	}
	net_advance(&s->net, t);
	net_process_backlog(&s->net);
	net_run_wakeups(&s->net);
	fz_drain(s);
}

uint64_t fz_dt(uint8_t b)
{
	if (b < 100)
		return b * 100ull;
	if (b < 200)
		return (b - 99) * 1000ull;
	return (b - 199) * 1000000ull;
}

struct socket *fz_socket(struct net *net, int type, int proto)
{
	struct socket *s = NULL;

	if (sock_create(net, type, proto, &s))
		return NULL;
	return s;
}

void fz_release(struct socket *s)
{
	if (!s)
		return;
	if (s->sk && s->ops->close)
		s->ops->close(s, true);
	sock_release(s);
}

void fz_servers(struct net *net, struct socket **udp, struct socket **tcp)
{
	/* ::, not IPv6 only: both families reach them (fuzz_ipv6's TCP and
	 * UDP over IPv6, fuzz_frame's over IPv4). */
	union inet_sockaddr a = { .sin6 = { .sin6_family = AF_INET6 } };

	*udp = fz_socket(net, SOCK_DGRAM, IPPROTO_UDP);
	*tcp = fz_socket(net, SOCK_STREAM, IPPROTO_TCP);
	if (*udp) {
		a.sin6.sin6_port = htons(7);
		(*udp)->ops->bind(*udp, &a);
	}
	if (*tcp) {
		a.sin6.sin6_port = htons(80);
		if ((*tcp)->ops->bind(*tcp, &a) == 0)
			(*tcp)->ops->listen(*tcp, 4);
	}
}

void fz_read_all(struct socket *s)
{
	for (int i = 0; s && i < 64; i++) {
		struct sockmsg m;
		long n;

		memset(&m, 0, sizeof(m));
		n = s->ops->recvmsg(s, &m, 65536);
		if (n < 0)
			return;
		if (m.cookie || s->type == SOCK_STREAM)
			s->ops->recv_done(s, &m, (size_t)n);
		if (n == 0)
			return;
	}
}

void fz_touch(struct socket *sock)
{
	char buf[1024];

	if (!sock || !sock->ops)
		return;
	sock->ops->status(sock, buf, sizeof(buf));
	if (sock->ops->info)
		sock->ops->info(sock, buf, sizeof(buf));
	(void)sock->ops->poll(sock);
}

uint8_t fz_u8(struct fzin *in)
{
	uint8_t b;

	if (!in->n)
		return 0;
	b = *in->p++;
	in->n--;
	return b;
}

uint16_t fz_u16(struct fzin *in)
{
	uint16_t hi = fz_u8(in);

	return (uint16_t)(hi << 8 | fz_u8(in));
}

uint32_t fz_u32(struct fzin *in)
{
	uint32_t hi = fz_u16(in);

	return hi << 16 | fz_u16(in);
}

const uint8_t *fz_take(struct fzin *in, size_t len, size_t *got)
{
	const uint8_t *p = in->p;

	if (len > in->n)
		len = in->n;
	in->p += len;
	in->n -= len;
	*got = len;
	return p;
}

void fz_fix_iphdr(uint8_t *ip, size_t len)
{
	struct iphdr *iph = (struct iphdr *)ip;
	size_t hl;

	if (len < sizeof(*iph))
		return;
	hl = ip_hdrlen(iph);
	if (hl < sizeof(*iph) || hl > len)
		return;
	iph->check = 0;
	iph->check = ip_compute_csum(iph, hl);
}

void fz_fix_l4(uint8_t *ip, size_t len)
{
	struct iphdr *iph = (struct iphdr *)ip;
	size_t hl, tot, l4len;
	uint8_t *l4;
	uint16_t c;
	size_t coff;

	if (len < sizeof(*iph))
		return;
	hl = ip_hdrlen(iph);
	tot = ntohs(iph->tot_len);
	if (hl < sizeof(*iph) || tot < hl || tot > len)
		return;
	if (ntohs(iph->frag_off) & (IP_MF | IP_OFFSET))
		return;
	l4 = ip + hl;
	l4len = tot - hl;
	switch (iph->protocol) {
	case IPPROTO_TCP: coff = 16; break;
	case IPPROTO_UDP: coff = 6; break;
	case IPPROTO_ICMP: coff = 2; break;
	default: return;
	}
	if (l4len < coff + 2)
		return;
	l4[coff] = l4[coff + 1] = 0;
	if (iph->protocol == IPPROTO_ICMP) {
		c = ip_compute_csum(l4, l4len);
	} else {
		c = csum_fold(csum_tcpudp_nofold(iph->saddr, iph->daddr, (uint32_t)l4len,
						 iph->protocol, csum_partial(l4, l4len, 0)));
		if (iph->protocol == IPPROTO_UDP && c == 0)
			c = 0xffff;
	}
	memcpy(l4 + coff, &c, 2);
}

size_t fz_ip_frame(uint8_t *frame, uint8_t proto, uint16_t id, uint16_t frag_off,
		   const void *payload, size_t plen)
{
	struct ethhdr *eth = (struct ethhdr *)frame;
	struct iphdr *iph = (struct iphdr *)(frame + ETH_HLEN);

	memcpy(eth->h_dest, FZ_OUR_MAC, ETH_ALEN);
	memcpy(eth->h_source, FZ_PEER_MAC, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	memset(iph, 0, sizeof(*iph));
	iph->ver_ihl = 0x45;
	iph->tot_len = htons((uint16_t)(sizeof(*iph) + plen));
	iph->id = htons(id);
	iph->frag_off = htons(frag_off);
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = FZ_PEER_IP;
	iph->daddr = FZ_OUR_IP;
	if (plen)
		memcpy(iph + 1, payload, plen);
	fz_fix_iphdr((uint8_t *)iph, sizeof(*iph));
	return ETH_HLEN + sizeof(*iph) + plen;
}
