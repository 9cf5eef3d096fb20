/* The Internet checksum (RFC 1071): a ones' complement sum of 16-bit words. */
#ifndef IMP_CHECKSUM_H
#define IMP_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* csum_partial adds len bytes to a running 32-bit sum, in network byte order
 * words; an odd final byte is padded with zero as the RFC says.  Sums of
 * pieces can be added as long as every piece but the last has even length. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);

/* csum_fold folds a running sum to 16 bits and complements it: the value to
 * store in a header (in network order when the words were). */
uint16_t csum_fold(uint32_t sum);

/* ip_compute_csum is the checksum of one buffer; 0 over a buffer whose
 * checksum field is right. */
static inline uint16_t ip_compute_csum(const void *buf, size_t len)
{
	return csum_fold(csum_partial(buf, len, 0));
}

/* csum_tcpudp_nofold: the sum of the IPv4 pseudo-header, addresses in network
 * order, len and proto in host order. */
uint32_t csum_tcpudp_nofold(uint32_t saddr, uint32_t daddr, uint32_t len,
			    uint8_t proto, uint32_t sum);

#endif
