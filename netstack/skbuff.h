/* sk_buff: one packet and the buffer it lives in.
 *
 * As in Linux, a buffer is [head .. end) and the packet is [data .. tail).
 * Headers are added by moving data back (skb_push) into room left in front
 * by skb_reserve, and stripped by moving it forward (skb_pull): no copy when
 * a packet changes layers.  The struct and its buffer are one allocation.
 */
#ifndef IMP_SKBUFF_H
#define IMP_SKBUFF_H

#include <stddef.h>
#include <stdint.h>

struct net_device;

/* What the link layer said about the destination of a received frame. */
enum { PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST };

struct sk_buff {
	struct sk_buff *next, *prev;	/* in an sk_buff_head */
	struct net_device *dev;
	unsigned char *head, *data, *tail, *end;
	unsigned int len;		/* tail - data */
	uint16_t protocol;		/* ethertype, host order */
	uint8_t pkt_type;
	uint16_t mac_header, network_header, transport_header; /* offsets from head */
	uint64_t tstamp;		/* µs, when it arrived or was made */
	/* Checksum offload, as Linux's ip_summed: NONE, the stack checks
	 * (or computed) every checksum itself; UNNECESSARY, the device
	 * vouched for the transport checksum; PARTIAL, the transport
	 * checksum field holds only the pseudo-header sum and the bytes from
	 * csum_start (offset from head) on are still to be summed into the
	 * field at csum_start + csum_offset, by the device or by
	 * skb_checksum_help.  A PARTIAL packet received came from the host's
	 * own kernel, never from a wire, and is trusted as UNNECESSARY. */
	uint8_t ip_summed;
	uint16_t csum_start, csum_offset;
	/* Segmentation offload: a packet larger than the MTU that stands for
	 * gso_size-byte segments, cut by the device (TSO) or skb_gso_segment. */
	uint8_t gso_type;		/* SKB_GSO_* */
	uint16_t gso_size;		/* payload bytes per segment, 0 if not GSO */
	/* Scratch space owned by whichever layer holds the skb (like Linux's cb). */
	_Alignas(8) unsigned char cb[48];
};

enum { CHECKSUM_NONE, CHECKSUM_UNNECESSARY, CHECKSUM_PARTIAL };
enum { SKB_GSO_NONE, SKB_GSO_TCPV4, SKB_GSO_UDP_L4, SKB_GSO_TCPV6 };
static inline int skb_gso_tcp(const struct sk_buff *skb)
{
	return skb->gso_type == SKB_GSO_TCPV4 || skb->gso_type == SKB_GSO_TCPV6;
}

static inline int skb_is_gso(const struct sk_buff *skb) { return skb->gso_size != 0; }
static inline int skb_csum_unnecessary(const struct sk_buff *skb)
{
	return skb->ip_summed != CHECKSUM_NONE;
}

struct sk_buff_head {
	struct sk_buff *next, *prev;	/* circular, head is the sentinel */
	unsigned int qlen;
	size_t bytes;			/* sum of len, for byte-bounded queues */
};

struct sk_buff *alloc_skb(unsigned int size);
/* Packets allocated and not yet freed, and their bytes (skb_truesize). */
struct skb_census { uint64_t live, bytes; };
struct skb_census skb_census(void);
size_t skb_truesize(const struct sk_buff *skb);
void kfree_skb(struct sk_buff *skb);
struct sk_buff *skb_copy(const struct sk_buff *skb);

unsigned char *skb_put(struct sk_buff *skb, unsigned int len);
unsigned char *skb_push(struct sk_buff *skb, unsigned int len);
unsigned char *skb_pull(struct sk_buff *skb, unsigned int len);
void skb_reserve(struct sk_buff *skb, unsigned int len);

/* NET_IP_ALIGN's job, as Linux's drivers do it: a received frame's network
 * header (l2len bytes past data) starts 4-byte aligned, so the IPv6 header
 * (and its in6_addrs, 4-byte types) is read where C allows.  The caller
 * allocates SKB_ALIGN_SLACK more bytes for it. */
#define SKB_ALIGN_SLACK 3u
static inline void skb_align_net(struct sk_buff *skb, unsigned int l2len)
{
	skb_reserve(skb, (unsigned int)(-(uintptr_t)(skb->data + l2len) & 3u));
}
void skb_trim(struct sk_buff *skb, unsigned int len);

static inline unsigned int skb_headroom(const struct sk_buff *skb) { return (unsigned int)(skb->data - skb->head); }
static inline unsigned int skb_tailroom(const struct sk_buff *skb) { return (unsigned int)(skb->end - skb->tail); }

static inline void skb_reset_network_header(struct sk_buff *skb) { skb->network_header = (uint16_t)(skb->data - skb->head); }
static inline void skb_reset_transport_header(struct sk_buff *skb) { skb->transport_header = (uint16_t)(skb->data - skb->head); }
static inline void skb_reset_mac_header(struct sk_buff *skb) { skb->mac_header = (uint16_t)(skb->data - skb->head); }
static inline unsigned char *skb_network_header(const struct sk_buff *skb) { return skb->head + skb->network_header; }
static inline unsigned char *skb_transport_header(const struct sk_buff *skb) { return skb->head + skb->transport_header; }
static inline unsigned char *skb_mac_header(const struct sk_buff *skb) { return skb->head + skb->mac_header; }

void skb_queue_head_init(struct sk_buff_head *list);
void skb_queue_tail(struct sk_buff_head *list, struct sk_buff *skb);
void skb_queue_head(struct sk_buff_head *list, struct sk_buff *skb);
void skb_queue_before(struct sk_buff_head *list, struct sk_buff *next, struct sk_buff *skb);
struct sk_buff *skb_dequeue(struct sk_buff_head *list);
void skb_unlink(struct sk_buff *skb, struct sk_buff_head *list);
void skb_queue_purge(struct sk_buff_head *list);
static inline int skb_queue_empty(const struct sk_buff_head *list) { return list->qlen == 0; }
static inline struct sk_buff *skb_peek(const struct sk_buff_head *list)
{
	return list->qlen ? list->next : NULL;
}

#define skb_queue_walk(queue, skb) \
	for (skb = (queue)->next; skb != (struct sk_buff *)(queue); skb = skb->next)
#define skb_queue_walk_safe(queue, skb, tmp) \
	for (skb = (queue)->next, tmp = skb->next; skb != (struct sk_buff *)(queue); \
	     skb = tmp, tmp = skb->next)

/* Room every locally made packet reserves in front for headers to come. */
#define LL_MAX_HEADER 64
#define MAX_HEADER (LL_MAX_HEADER + 60 + 60)

#endif
