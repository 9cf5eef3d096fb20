/* Internet checksum.  The sum is done over 16-bit words in memory order, so
 * the result is already in network order when stored back as a uint16_t. */
#include <string.h>

#include "checksum.h"

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const unsigned char *p = buf;
	uint64_t acc = sum;

	/* Eight bytes at a time into a 64-bit accumulator: the carries that
	 * pile up above bit 32 are folded back at the end, which the ones'
	 * complement sum allows (RFC 1071 §2(B), deferred carries). */
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;
		memcpy(&w, p, 1);	/* the pad byte is zero, in memory order */
		acc += w;
	}
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_tcpudp_nofold(uint32_t saddr, uint32_t daddr, uint32_t len,
			    uint8_t proto, uint32_t sum)
{
	unsigned char ph[12];

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = proto;
	ph[10] = (unsigned char)(len >> 8);
	ph[11] = (unsigned char)len;
	return csum_partial(ph, sizeof(ph), sum);
}
