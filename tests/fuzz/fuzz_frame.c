/* Fuzz target "frame": whole Ethernet frames into the stack, as the TAP
 * driver reads them: Ethernet, ARP, IPv4, ICMP, UDP and TCP input, with or
 * without a vnet header (virtio_net.c, GSO), to a stack with a UDP socket
 * on port 7, an ICMP echo socket and a TCP listener on port 80.
 *
 * The input is a sequence of records:
 *
 *   flags(1) dt(1) len(2, big-endian) frame(len)
 *
 * flags: 1 fix the IPv4 header checksum, 2 fix the TCP/UDP/ICMP checksum,
 * 4 the frame starts with a 10-byte vnet header, 8 open (or close) a
 * receive batch, 16 rewrite the Ethernet addresses to peer -> us,
 * 32 the UDP socket reads what it has, 64 the UDP and echo sockets send to
 * the peer (an unknown neighbour when 128 is set too, to run ARP's queue).
 * dt is fz_dt's: the clock moves after the frame (outside a batch). */
#include <errno.h>
#include <string.h>

#include "fuzzstack.h"

#define MAXACCEPT 8

struct frame_env {
	struct fzstack st;
	struct socket *udp, *ping, *tcp;
	struct socket *acc[MAXACCEPT];
	int nacc;
};

static void setup(struct frame_env *e)
{
	memset(e, 0, sizeof(*e));
	fz_init(&e->st, 1500);
	fz_servers(&e->st.net, &e->udp, &e->tcp);
	e->ping = fz_socket(&e->st.net, SOCK_DGRAM, IPPROTO_ICMP);
}

static void teardown(struct frame_env *e)
{
	for (int i = 0; i < e->nacc; i++)
		fz_release(e->acc[i]);
	fz_release(e->udp);
	fz_release(e->ping);
	fz_release(e->tcp);
	fz_free(&e->st);
}

static void send_to_peer(struct socket *s, bool unknown)
{
	static const uint8_t data[64] = "fuzz";
	struct sockmsg m;

	if (!s)
		return;
	memset(&m, 0, sizeof(m));
	m.data = data;
	m.has_name = true;
	m.name.sin.sin_family = AF_INET;
	m.name.sin.sin_addr.s_addr = unknown ? htonl(0x0a000009) : FZ_PEER_IP;
	m.name.sin.sin_port = htons(9);
	if (s->protocol == IPPROTO_ICMP) {
		static const uint8_t echo[16] = { 8, 0, 0, 0, 0, 1, 0, 1 };
		m.data = echo;
		s->ops->sendmsg(s, &m, sizeof(echo));
	} else {
		s->ops->sendmsg(s, &m, sizeof(data));
	}
}

static uint8_t frame[65536 + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fzin in = { data, size };
	struct frame_env e;
	bool batch = false, close_batch;

	setup(&e);
	while (fz_more(&in)) {
		uint8_t flags = fz_u8(&in), dt = fz_u8(&in);
		size_t len, hl = 0;
		const uint8_t *p = fz_take(&in, fz_u16(&in), &len);
		uint8_t *f;

		memcpy(frame, p, len);
		if (flags & 4)
			hl = len < sizeof(struct virtio_net_hdr) ? len : sizeof(struct virtio_net_hdr);
		f = frame + hl;
		if ((flags & 16) && len - hl >= ETH_HLEN) {
			memcpy(f, FZ_OUR_MAC, ETH_ALEN);
			memcpy(f + ETH_ALEN, FZ_PEER_MAC, ETH_ALEN);
		}
		if (len - hl > ETH_HLEN && f[12] == 0x08 && f[13] == 0x00) {
			if (flags & 2)
				fz_fix_l4(f + ETH_HLEN, len - hl - ETH_HLEN);
			if (flags & 1)
				fz_fix_iphdr(f + ETH_HLEN, len - hl - ETH_HLEN);
		}
		/* 8 toggles a batch: open before this frame, or close after it. */
		close_batch = false;
		if (flags & 8) {
			if (!batch)
				memdev_batch_begin(e.st.dev);
			close_batch = batch;
			batch = true;
		}
		if (flags & 4)
			memdev_inject_vnet(e.st.dev, frame, hl, f, len - hl);
		else
			memdev_inject(e.st.dev, f, len);
		if (close_batch) {
			memdev_batch_end(e.st.dev);
			batch = false;
		}
		if (flags & 32 && e.udp)
			fz_read_all(e.udp);
		if (flags & 64) {
			send_to_peer(e.udp, flags & 128);
			send_to_peer(e.ping, flags & 128);
		}
		if (e.tcp && e.nacc < MAXACCEPT) {
			struct socket *ns = NULL;
			if (e.tcp->ops->accept(e.tcp, &ns) == 0 && ns) {
				e.acc[e.nacc++] = ns;
				fz_read_all(ns);
			}
		}
		if (!batch)	/* the event loop runs timers between batches */
			fz_advance(&e.st, fz_dt(dt));
		fz_touch(e.udp);
		fz_touch(e.tcp);
		for (int i = 0; i < e.nacc; i++)
			fz_touch(e.acc[i]);
	}
	if (batch)
		memdev_batch_end(e.st.dev);
	fz_advance(&e.st, 1000000);
	teardown(&e);
	return 0;
}
