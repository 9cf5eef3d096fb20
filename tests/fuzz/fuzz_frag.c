/* Fuzz target "frag": IPv4 reassembly (netstack/ip_fragment.c), several
 * fragments per input, into a stack with a UDP socket on port 7 (which
 * reads what arrives) so that a reassembled datagram goes on up.
 *
 * The input is a sequence of records, each one of two kinds by its first
 * byte sel:
 *
 *   sel < 128: one fragment, as the input says it:
 *     sel(1) frag_off(2) dt(1) len(2) payload(len)
 *     id 0x100 + (sel & 3), protocol UDP/ICMP/TCP/253 by (sel >> 2) & 3,
 *     sel & 16: tot_len claims 8 bytes more than there are,
 *     sel & 32: from 10.0.0.3 rather than the peer;
 *     sel & 64: sent 64 times, each with an id of its own, so that the
 *     limits on queues and memory (IPFRAG_MAX_QUEUES, _MAX_MEM) are met;
 *     frag_off is the header's field (DF, MF, offset in 8-byte units).
 *   sel >= 128: a whole UDP datagram to port 7 cut by the harness:
 *     sel(1) unit(1) order(1) dt(1) len(2) payload(len)
 *     fragments of (unit % 64 + 1) * 8 bytes, sent in order, reversed
 *     (order & 1) or with the first one again at the end (order & 2),
 *     id 0x200 + (sel & 3); the UDP header and its checksum are right.
 *
 * dt is fz_dt's: the clock moves after the record, so reassembly's 30 s
 * timeout can be reached. */
#include <string.h>

#include "fuzzstack.h"
#include "checksum.h"

static uint8_t frame[ETH_HLEN + 65536];
static uint8_t dgram[65536];

static const uint8_t protos[4] = { IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_TCP, 253 };

static void inject_frag(struct fzstack *st, uint8_t proto, uint16_t id, uint16_t frag_off,
			const uint8_t *p, size_t len, bool longer, bool other)
{
	size_t n = fz_ip_frame(frame, proto, id, frag_off, p, len);
	struct iphdr *iph = (struct iphdr *)(frame + ETH_HLEN);

	if (longer || other) {
		if (longer)
			iph->tot_len = htons((uint16_t)(ntohs(iph->tot_len) + 8));
		if (other)
			iph->saddr = htonl(0x0a000003);
		fz_fix_iphdr((uint8_t *)iph, sizeof(*iph));
	}
	memdev_inject(st->dev, frame, n);
}

/* cut_udp: payload as a UDP datagram from the peer's port 9 to port 7,
 * checksummed, sent as fragments of unit bytes. */
static void cut_udp(struct fzstack *st, uint16_t id, size_t unit, uint8_t order,
		    const uint8_t *p, size_t len)
{
	size_t total = 8 + len, nfrag, i;
	uint16_t c;

	if (total > sizeof(dgram) - 20)
		total = sizeof(dgram) - 20;
	dgram[0] = 0, dgram[1] = 9, dgram[2] = 0, dgram[3] = 7;
	dgram[4] = (uint8_t)(total >> 8), dgram[5] = (uint8_t)total;
	dgram[6] = dgram[7] = 0;
	memcpy(dgram + 8, p, total - 8);
	c = csum_fold(csum_tcpudp_nofold(FZ_PEER_IP, FZ_OUR_IP, (uint32_t)total, IPPROTO_UDP,
					 csum_partial(dgram, total, 0)));
	if (!c)
		c = 0xffff;
	memcpy(dgram + 6, &c, 2);
	nfrag = (total + unit - 1) / unit;
	for (size_t k = 0; k < nfrag + ((order & 2) ? 1 : 0); k++) {
		size_t off, flen;
		i = k % nfrag;
		if (order & 1)
			i = nfrag - 1 - i;
		off = i * unit;
		flen = total - off < unit ? total - off : unit;
		inject_frag(st, IPPROTO_UDP, id,
			    (uint16_t)((off / 8) | (i + 1 < nfrag ? IP_MF : 0)),
			    dgram + off, flen, false, false);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fzin in = { data, size };
	union inet_sockaddr a = { .sin = { .sin_family = AF_INET, .sin_port = htons(7) } };
	struct fzstack st;
	struct socket *udp = NULL;
	uint16_t nextid = 0;

	fz_init(&st, 1500);
	if (sock_create(&st.net, SOCK_DGRAM, IPPROTO_UDP, &udp) == 0)
		udp->ops->bind(udp, &a);
	while (fz_more(&in)) {
		uint8_t sel = fz_u8(&in);
		const uint8_t *p;
		size_t len;

		if (sel < 128) {
			uint16_t frag_off = fz_u16(&in);
			uint8_t dt = fz_u8(&in);
			p = fz_take(&in, fz_u16(&in), &len);
			if (len > 65535 - 28)
				len = 65535 - 28;
			for (int k = 0; k < ((sel & 64) ? 64 : 1); k++)
				inject_frag(&st, protos[(sel >> 2) & 3],
					    (uint16_t)((sel & 64) ? 0x1000 + nextid++ : 0x100 + (sel & 3)),
					    frag_off, p, len, sel & 16, sel & 32);
			fz_advance(&st, fz_dt(dt));
		} else {
			uint8_t unit = fz_u8(&in), order = fz_u8(&in), dt = fz_u8(&in);
			p = fz_take(&in, fz_u16(&in), &len);
			cut_udp(&st, (uint16_t)(0x200 + (sel & 3)), (unit % 64 + 1) * 8u, order, p, len);
			fz_advance(&st, fz_dt(dt));
		}
		if (udp)
			fz_read_all(udp);
	}
	if (udp)
		sock_release(udp);
	fz_free(&st);
	return 0;
}
