/* IPv6 reassembly (RFC 8200 §4.5, RFC 5722).
 *
 * As IPv4's (ip_fragment.c), and with the same caps (net->limits, a pool
 * of its own as Linux's ip6frag settings): frag_queues datagrams (the
 * oldest goes for a new one), frag_per_queue fragments each, frag_mem
 * bytes in all.  Any overlap drops the whole datagram
 * (RFC 5722); an exact duplicate is ignored.  The reassembled packet is the
 * first fragment's IPv6 header and the fragmentable part: the headers in
 * front of the fragment header were already walked. */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"

struct frag6_cb {
	unsigned int offset, end;	/* payload bytes [offset, end) */
	unsigned int truesize;
};
#define FRAG6_CB(skb) ((struct frag6_cb *)(skb)->cb)

static void fq_expire(struct timer_list *t);

static void fq_kill(struct net *net, struct frag6_queue *q)
{
	struct ipv6_state *s = &net->ipv6;
	struct sk_buff *skb;

	for (struct frag6_queue **pp = &s->fq; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	s->nfq--;
	del_timer(&net->timers, &q->timer);
	while ((skb = skb_dequeue(&q->frags)) != NULL) {
		s->frag_mem -= FRAG6_CB(skb)->truesize;
		kfree_skb(skb);
	}
	free(q);
}

static void fq_fail(struct net *net, struct frag6_queue *q, uint64_t *reason)
{
	if (reason)
		(*reason)++;
	net->ipv6.stats.ReasmFails++;
	fq_kill(net, q);
}

static struct frag6_queue *fq_oldest(struct net *net)
{
	struct frag6_queue *q = net->ipv6.fq;

	while (q && q->next)
		q = q->next;
	return q;
}

/* fq_expire: the datagram did not complete in time; the sender hears of it
 * when its first fragment came (RFC 8200 §4.5). */
static void fq_expire(struct timer_list *t)
{
	struct frag6_queue *q = container_of(t, struct frag6_queue, timer);
	struct net *net = q->net;
	struct sk_buff *first = skb_peek(&q->frags);

	if (q->first_in && first && FRAG6_CB(first)->offset == 0)
		icmpv6_send(net, first, ICMPV6_TIME_EXCEED, ICMPV6_EXC_FRAGTIME, 0);
	fq_fail(net, q, &net->ipv6.stats.ReasmTimeout);
}

static struct frag6_queue *fq_find(struct net *net, const struct ipv6hdr *ip6, uint32_t id)
{
	struct ipv6_state *s = &net->ipv6;
	struct frag6_queue *q;

	for (q = s->fq; q; q = q->next)
		if (q->id == id && ipv6_addr_equal(&q->saddr, &ip6->saddr) &&
		    ipv6_addr_equal(&q->daddr, &ip6->daddr))
			return q;
	if (s->nfq > 0 && (unsigned int)s->nfq >= net->limits.frag_queues)
		fq_fail(net, fq_oldest(net), &s->stats.ReasmOverMem);	/* as IPv4's */
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->net = net;
	q->saddr = ip6->saddr;
	q->daddr = ip6->daddr;
	q->id = id;
	skb_queue_head_init(&q->frags);
	timer_setup(&q->timer, fq_expire);
	mod_timer(&net->timers, &q->timer, net->now + IP6FRAG_TIME_US);
	q->next = s->fq;
	s->fq = q;
	s->nfq++;
	return q;
}

/* fq_reasm builds the whole packet once every byte is there. */
static struct sk_buff *fq_reasm(struct net *net, struct frag6_queue *q, uint8_t *nexthdr)
{
	struct sk_buff *first = skb_peek(&q->frags), *skb, *f;
	struct ipv6hdr *ip6;

	skb = alloc_skb(MAX_HEADER + sizeof(*ip6) + q->len);
	if (!skb) {
		fq_fail(net, q, &net->ipv6.stats.ReasmOverMem);
		return NULL;
	}
	skb_reserve(skb, MAX_HEADER);
	skb->dev = first->dev;
	skb->pkt_type = first->pkt_type;
	skb->protocol = first->protocol;
	skb->tstamp = first->tstamp;
	skb_reset_network_header(skb);
	ip6 = (struct ipv6hdr *)skb_put(skb, sizeof(*ip6));
	*ip6 = q->hdr;
	ip6->nexthdr = q->nexthdr;
	ip6->payload_len = htons((uint16_t)q->len);
	skb_queue_walk(&q->frags, f)
		memcpy(skb_put(skb, f->len), f->data, f->len);
	*nexthdr = q->nexthdr;
	net->ipv6.stats.ReasmOKs++;
	fq_kill(net, q);
	return skb;
}

/* ipv6_defrag: see ipv6.h. */
struct sk_buff *ipv6_defrag(struct net *net, struct sk_buff *skb, uint8_t *nexthdr)
{
	struct ipv6_state *s = &net->ipv6;
	struct ip6stats *st = &s->stats;
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)skb_network_header(skb);
	const struct frag_hdr *fh = (const struct frag_hdr *)skb->data;
	uint16_t fo = ntohs(fh->frag_off);
	unsigned int offset = fo & IP6_OFFSET, n = skb->len - (unsigned int)sizeof(*fh);
	unsigned int end = offset + n;
	bool more = fo & IP6_MF;
	uint8_t nh = fh->nexthdr;
	struct frag6_queue *q;
	struct sk_buff *f, *next = NULL;

	st->ReasmReqds++;
	if (end > IPV6_MAXPLEN) {
		/* Pointer to the fragment offset field (RFC 8200 §4.5). */
		icmpv6_send(net, skb, ICMPV6_PARAMPROB, ICMPV6_HDR_FIELD,
			    (uint32_t)(skb->data - skb_network_header(skb)) + 2);
		st->ReasmBadLength++;
		st->ReasmFails++;
		kfree_skb(skb);
		return NULL;
	}
	q = fq_find(net, ip6, fh->identification);
	if (!q) {
		st->ReasmFails++;
		kfree_skb(skb);
		return NULL;
	}
	if (offset == 0) {
		q->hdr = *ip6;
		q->nexthdr = nh;
	}
	skb_pull(skb, sizeof(*fh));
	if (!more) {
		if ((q->last_in && end != q->len) || (q->frags.qlen &&
		    FRAG6_CB(q->frags.prev)->end > end)) {
			fq_fail(net, q, &st->ReasmBadLength);
			kfree_skb(skb);
			return NULL;
		}
		q->last_in = true;
		q->len = end;
	} else if (q->last_in && end > q->len) {
		fq_fail(net, q, &st->ReasmBadLength);
		kfree_skb(skb);
		return NULL;
	}
	skb_queue_walk(&q->frags, f) {
		if (offset == FRAG6_CB(f)->offset && end == FRAG6_CB(f)->end) {
			kfree_skb(skb);		/* a duplicate */
			return NULL;
		}
		if (offset < FRAG6_CB(f)->end && end > FRAG6_CB(f)->offset) {
			fq_fail(net, q, &st->ReasmOverlaps);
			kfree_skb(skb);
			return NULL;
		}
		if (!next && FRAG6_CB(f)->offset >= end)
			next = f;
	}
	if (q->frags.qlen >= net->limits.frag_per_queue) {
		fq_fail(net, q, &st->ReasmTooMany);
		kfree_skb(skb);
		return NULL;
	}
	FRAG6_CB(skb)->offset = offset;
	FRAG6_CB(skb)->end = end;
	FRAG6_CB(skb)->truesize = (unsigned int)skb_truesize(skb);
	while (s->frag_mem + FRAG6_CB(skb)->truesize > net->limits.frag_mem) {
		struct frag6_queue *old = fq_oldest(net);
		if (old == q) {
			fq_fail(net, q, &st->ReasmOverMem);
			kfree_skb(skb);
			return NULL;
		}
		fq_fail(net, old, &st->ReasmOverMem);
	}
	s->frag_mem += FRAG6_CB(skb)->truesize;
	if (next)
		skb_queue_before(&q->frags, next, skb);
	else
		skb_queue_tail(&q->frags, skb);
	q->meat += n;
	if (offset == 0)
		q->first_in = true;
	if (q->first_in && q->last_in && q->meat == q->len)
		return fq_reasm(net, q, nexthdr);
	return NULL;
}

void ip6frag_flush(struct net *net)
{
	while (net->ipv6.fq)
		fq_kill(net, net->ipv6.fq);
}
