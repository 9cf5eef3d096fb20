/* Fuzz target "ipv6": IPv6 packets into a stack with IPv6 up (link-local
 * and 2001:db8::1/64, both through DAD): the extension header walk,
 * reassembly, ICMPv6 (echo, errors, packet too big), NDP (NS, NA, RS, RA
 * with prefix information for SLAAC, redirects), MLD, and whatever sits
 * above IPv6 for TCP and UDP, with a UDP socket on port 7 and a TCP
 * listener on port 80.
 *
 * The input is a sequence of records:
 *
 *   flags(1) dt(1) len(2, big-endian) packet(len)
 *
 * packet starts at the IPv6 header; the harness puts an Ethernet header
 * (peer to us, 0x86dd) in front.  flags: 1 set payload_len from len,
 * 2 fix the upper-layer checksum (ICMPv6, TCP, UDP) past the extension
 * headers, 4 hop limit 255 (NDP wants it), 8 source := the peer's
 * link-local address, 16 destination := our link-local address, 32
 * destination := our global address (16|32: our link-local's
 * solicited-node group, with the group's MAC), 64 the stack sends an
 * ICMPv6 echo request to the peer first (neighbour discovery, its queue),
 * 128 the UDP socket reads what it has.  dt is fz_dt's: the clock moves
 * after the packet. */
#include <string.h>

#include "fuzzstack.h"
#include "ipv6.h"
#include "checksum.h"

struct v6_env {
	struct fzstack st;
	struct socket *udp, *tcp;
	struct in6_addr ll, global, peer_ll, peer_global;
};

/* eui64_ll: fe80::/64 with the modified EUI-64 of mac (RFC 4291 App. A). */
static void eui64_ll(struct in6_addr *a, const uint8_t *mac)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[0] = 0xfe;
	a->s6_addr[1] = 0x80;
	a->s6_addr[8] = mac[0] ^ 0x02;
	a->s6_addr[9] = mac[1];
	a->s6_addr[10] = mac[2];
	a->s6_addr[11] = 0xff;
	a->s6_addr[12] = 0xfe;
	a->s6_addr[13] = mac[3];
	a->s6_addr[14] = mac[4];
	a->s6_addr[15] = mac[5];
}

static void setup(struct v6_env *e)
{
	memset(e, 0, sizeof(*e));
	fz_init(&e->st, 1500);
	eui64_ll(&e->ll, FZ_OUR_MAC);
	eui64_ll(&e->peer_ll, FZ_PEER_MAC);
	inet_pton(AF_INET6, "2001:db8::1", &e->global);
	inet_pton(AF_INET6, "2001:db8::2", &e->peer_global);
	if (addrconf_dev_up(e->st.dev) || addrconf_add_static(e->st.dev, &e->global, 64)) {
		fz_free(&e->st);
		memset(e, 0, sizeof(*e));
		return;
	}
	fz_advance(&e->st, 3000000);	/* through DAD: the addresses usable */
	fz_servers(&e->st.net, &e->udp, &e->tcp);
}

/* fix_l4: walk the extension headers of the packet at ip (len bytes, a
 * whole IPv6 header there) to the upper layer; if it is ICMPv6, TCP or UDP
 * in a first (or only) fragment's worth of bytes, write its checksum. */
static void fix_l4(uint8_t *ip, size_t len)
{
	const struct ipv6hdr *h = (const struct ipv6hdr *)ip;
	size_t off = sizeof(*h), end = sizeof(*h) + ntohs(h->payload_len), coff;
	uint8_t nh = h->nexthdr;
	uint16_t c;

	if (end > len)
		end = len;
	for (int i = 0; i < 16; i++) {
		if (nh == NEXTHDR_HOP || nh == NEXTHDR_ROUTING || nh == NEXTHDR_DEST) {
			if (off + 2 > end)
				return;
			nh = ip[off];
			off += ((size_t)ip[off + 1] + 1) * 8;
		} else if (nh == NEXTHDR_FRAGMENT) {
			if (off + 8 > end || (ip[off + 2] << 8 | ip[off + 3]) & 0xfff9)
				return;	/* not a whole packet: no checksum to fix */
			nh = ip[off];
			off += 8;
		} else {
			break;
		}
	}
	switch (nh) {
	case NEXTHDR_ICMP: coff = 2; break;
	case IPPROTO_TCP: coff = 16; break;
	case IPPROTO_UDP: coff = 6; break;
	default: return;
	}
	if (off + coff + 2 > end)
		return;
	ip[off + coff] = ip[off + coff + 1] = 0;
	c = csum_fold(csum_ipv6_magic(&h->saddr, &h->daddr, (uint32_t)(end - off), nh,
				      csum_partial(ip + off, end - off, 0)));
	if (nh == IPPROTO_UDP && c == 0)
		c = 0xffff;
	memcpy(ip + off + coff, &c, 2);
}

/* ping_peer: an echo request from the stack, as ping -6 through it would
 * send one (a neighbour not yet known queues it behind an NS). */
static void ping_peer(struct v6_env *e)
{
	static const uint8_t echo[16] = { ICMPV6_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1, 'f', 'u', 'z', 'z' };

	icmpv6_xmit(&e->st.net, NULL, echo, sizeof(echo), NULL, &e->peer_global, 64, NULL, 0);
}

/* The frame two bytes in, so that the IPv6 header after Ethernet's 14 is
 * aligned for the harness's own writes to it (the stack copies the frame
 * into an skb of its own). */
static uint8_t frame_buf[65536 + 64] __attribute__((aligned(16)));
#define frame (frame_buf + 2)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fzin in = { data, size };
	struct v6_env e;

	setup(&e);
	if (!e.st.dev)
		return 0;
	while (fz_more(&in)) {
		uint8_t flags = fz_u8(&in), dt = fz_u8(&in);
		size_t len;
		const uint8_t *p = fz_take(&in, fz_u16(&in), &len);
		struct ipv6hdr *h = (struct ipv6hdr *)(frame + ETH_HLEN);

		memcpy(frame, FZ_OUR_MAC, ETH_ALEN);
		memcpy(frame + ETH_ALEN, FZ_PEER_MAC, ETH_ALEN);
		frame[12] = 0x86;
		frame[13] = 0xdd;
		memcpy(frame + ETH_HLEN, p, len);
		if (len >= sizeof(*h)) {
			if (flags & 1)
				h->payload_len = htons((uint16_t)(len - sizeof(*h)));
			if (flags & 4)
				h->hop_limit = 255;
			if (flags & 8)
				h->saddr = e.peer_ll;
			if ((flags & 48) == 16)
				h->daddr = e.ll;
			else if ((flags & 48) == 32)
				h->daddr = e.global;
			else if ((flags & 48) == 48) {
				addrconf_addr_solict_mult(&e.ll, &h->daddr);
				ipv6_eth_mc_map(&h->daddr, frame);
			}
			if (flags & 2)
				fix_l4(frame + ETH_HLEN, len);
		}
		if (flags & 64)
			ping_peer(&e);
		memdev_inject(e.st.dev, frame, ETH_HLEN + len);
		if (flags & 128)
			fz_read_all(e.udp);
		if (e.tcp) {
			struct socket *ns = NULL;
			if (e.tcp->ops->accept(e.tcp, &ns) == 0 && ns)
				fz_release(ns);	/* what a connection over IPv6 got so far */
		}
		fz_advance(&e.st, fz_dt(dt));
		fz_touch(e.udp);
		fz_touch(e.tcp);
	}
	fz_advance(&e.st, 1000000);
	fz_release(e.udp);
	fz_release(e.tcp);
	fz_free(&e.st);
	return 0;
}
