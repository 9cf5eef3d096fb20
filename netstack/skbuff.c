/* sk_buff allocation, the head/data/tail moves, and queues. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "skbuff.h"

/* The packets alive in this process and what they cost.  The one piece of
 * state outside struct net: an skb is made by drivers and tests that have
 * no stack at hand, and the allocator, like malloc, serves them all.  It
 * is what tells a leak from a load (imp(4): /imp/stats). */
static struct skb_census census;

/* skb_truesize: what the packet costs in memory, struct and buffer. */
size_t skb_truesize(const struct sk_buff *skb)
{
	return sizeof(*skb) + (size_t)(skb->end - skb->head);
}

struct skb_census skb_census(void)
{
	return census;
}

/* alloc_skb returns an empty packet with size bytes of tailroom, or NULL. */
struct sk_buff *alloc_skb(unsigned int size)
{
	struct sk_buff *skb = malloc(sizeof(*skb) + size);

	if (!skb)
		return NULL;
	census.live++;
	census.bytes += sizeof(*skb) + size;
	memset(skb, 0, sizeof(*skb));
	skb->head = skb->data = skb->tail = (unsigned char *)(skb + 1);
	skb->end = skb->head + size;
	return skb;
}

void kfree_skb(struct sk_buff *skb)
{
	if (!skb)
		return;
	census.live--;
	census.bytes -= skb_truesize(skb);
	free(skb);
}

/* skb_copy makes an independent packet with the same headroom and bytes. */
struct sk_buff *skb_copy(const struct sk_buff *skb)
{
	unsigned int size = (unsigned int)(skb->end - skb->head);
	struct sk_buff *n = alloc_skb(size);

	if (!n)
		return NULL;
	memcpy(n->head, skb->head, size);
	n->data = n->head + (skb->data - skb->head);
	n->tail = n->head + (skb->tail - skb->head);
	n->len = skb->len;
	n->dev = skb->dev;
	n->protocol = skb->protocol;
	n->pkt_type = skb->pkt_type;
	n->mac_header = skb->mac_header;
	n->network_header = skb->network_header;
	n->transport_header = skb->transport_header;
	n->tstamp = skb->tstamp;
	n->ip_summed = skb->ip_summed;
	n->csum_start = skb->csum_start;
	n->csum_offset = skb->csum_offset;
	n->gso_type = skb->gso_type;
	n->gso_size = skb->gso_size;
	memcpy(n->cb, skb->cb, sizeof(n->cb));
	return n;
}

/* skb_put extends the packet at the tail and returns the new bytes. */
unsigned char *skb_put(struct sk_buff *skb, unsigned int len)
{
	unsigned char *old = skb->tail;

	assert(len <= skb_tailroom(skb));
	skb->tail += len;
	skb->len += len;
	return old;
}

/* skb_push extends the packet at the front, for a header. */
unsigned char *skb_push(struct sk_buff *skb, unsigned int len)
{
	assert(len <= skb_headroom(skb));
	skb->data -= len;
	skb->len += len;
	return skb->data;
}

/* skb_pull strips len bytes from the front; NULL if there are not that many. */
unsigned char *skb_pull(struct sk_buff *skb, unsigned int len)
{
	if (len > skb->len)
		return NULL;
	skb->data += len;
	skb->len -= len;
	return skb->data;
}

/* skb_reserve leaves headroom in an empty packet. */
void skb_reserve(struct sk_buff *skb, unsigned int len)
{
	assert(skb->len == 0 && len <= skb_tailroom(skb));
	skb->data += len;
	skb->tail += len;
}

/* skb_trim cuts the packet to len bytes (a no-op if it is shorter). */
void skb_trim(struct sk_buff *skb, unsigned int len)
{
	if (len < skb->len) {
		skb->len = len;
		skb->tail = skb->data + len;
	}
}

void skb_queue_head_init(struct sk_buff_head *list)
{
	list->next = list->prev = (struct sk_buff *)list;
	list->qlen = 0;
	list->bytes = 0;
}

static void skb_insert_between(struct sk_buff_head *list, struct sk_buff *skb,
			       struct sk_buff *prev, struct sk_buff *next)
{
	skb->next = next;
	skb->prev = prev;
	prev->next = skb;
	next->prev = skb;
	list->qlen++;
	list->bytes += skb->len;
}

void skb_queue_tail(struct sk_buff_head *list, struct sk_buff *skb)
{
	skb_insert_between(list, skb, list->prev, (struct sk_buff *)list);
}

/* skb_queue_before puts skb in list just ahead of next (a packet on it),
 * where an ordered queue (reassembly) wants it. */
void skb_queue_before(struct sk_buff_head *list, struct sk_buff *next, struct sk_buff *skb)
{
	skb_insert_between(list, skb, next->prev, next);
}

void skb_queue_head(struct sk_buff_head *list, struct sk_buff *skb)
{
	skb_insert_between(list, skb, (struct sk_buff *)list, list->next);
}

void skb_unlink(struct sk_buff *skb, struct sk_buff_head *list)
{
	skb->prev->next = skb->next;
	skb->next->prev = skb->prev;
	skb->next = skb->prev = NULL;
	list->qlen--;
	list->bytes -= skb->len;
}

struct sk_buff *skb_dequeue(struct sk_buff_head *list)
{
	struct sk_buff *skb = skb_peek(list);

	if (skb)
		skb_unlink(skb, list);
	return skb;
}

void skb_queue_purge(struct sk_buff_head *list)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(list)) != NULL)
		kfree_skb(skb);
}
