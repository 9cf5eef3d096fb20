/* IPv4 reassembly (RFC 791 §3.2, RFC 815).
 *
 * Each datagram being rebuilt has an ipq holding its fragments sorted by
 * offset.  Hostile input is bounded three ways (net->limits, impfs's
 * --frag-queues, --frag-per-datagram and --frag-mem): datagrams being
 * rebuilt (the oldest is dropped for a new one, ReasmOverMem),
 * fragments per datagram (ReasmTooMany), and bytes in all (the oldest
 * datagrams give way, ReasmOverMem).  Overlapping
 * fragments drop the whole datagram, as RFC 5722 asks for IPv6 and Linux
 * does for IPv4: no honest sender overlaps, and overlaps are how filters are
 * evaded.  An exact duplicate is just ignored. */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"

struct ipfrag_cb {
	unsigned int offset, end;	/* payload bytes [offset, end) */
	unsigned int truesize;		/* what it costs in memory */
};
#define FRAG_CB(skb) ((struct ipfrag_cb *)(skb)->cb)

static void ipq_expire(struct timer_list *t);

static void ipq_kill(struct net *net, struct ipq *q)
{
	struct sk_buff *skb;

	for (struct ipq **pp = &net->ipfrags.queues; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	net->ipfrags.nqueues--;
	del_timer(&net->timers, &q->timer);
	while ((skb = skb_dequeue(&q->frags)) != NULL) {
		net->ipfrags.mem -= FRAG_CB(skb)->truesize;
		kfree_skb(skb);
	}
	free(q);
}

/* ipq_fail drops a datagram we will never complete. */
static void ipq_fail(struct net *net, struct ipq *q, uint64_t *reason)
{
	if (reason)
		(*reason)++;
	net->ipstats.ReasmFails++;
	ipq_kill(net, q);
}

/* The oldest queue is the last in the list: new ones go in front. */
static struct ipq *ipq_oldest(struct net *net)
{
	struct ipq *q = net->ipfrags.queues;

	while (q && q->next)
		q = q->next;
	return q;
}

static struct ipq *ipq_find(struct net *net, const struct iphdr *iph)
{
	struct ipq *q;

	for (q = net->ipfrags.queues; q; q = q->next)
		if (q->id == iph->id && q->saddr == iph->saddr &&
		    q->daddr == iph->daddr && q->protocol == iph->protocol)
			return q;
	if (net->ipfrags.nqueues > 0 && (unsigned int)net->ipfrags.nqueues >= net->limits.frag_queues)
		ipq_fail(net, ipq_oldest(net), &net->ipstats.ReasmOverMem);
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->net = net;
	q->saddr = iph->saddr;
	q->daddr = iph->daddr;
	q->id = iph->id;
	q->protocol = iph->protocol;
	skb_queue_head_init(&q->frags);
	timer_setup(&q->timer, ipq_expire);
	mod_timer(&net->timers, &q->timer, net->now + IPFRAG_TIME_US);
	q->next = net->ipfrags.queues;
	net->ipfrags.queues = q;
	net->ipfrags.nqueues++;
	return q;
}

/* ipq_expire: the datagram did not complete in time.  If we hold its first
 * fragment, tell the sender (RFC 792 time exceeded, code 1). */
static void ipq_expire(struct timer_list *t)
{
	struct ipq *q = container_of(t, struct ipq, timer);
	struct net *net = q->net;
	struct sk_buff *first = skb_peek(&q->frags);

	net->ipstats.ReasmTimeout++;
	if (first && FRAG_CB(first)->offset == 0)
		icmp_send(net, first, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
	ipq_fail(net, q, NULL);
}

/* ipq_reasm builds the datagram from a complete queue and frees the queue. */
static struct sk_buff *ipq_reasm(struct net *net, struct ipq *q)
{
	struct sk_buff *first = skb_peek(&q->frags), *frag, *skb;
	const struct iphdr *fh = ip_hdr(first);
	unsigned int ihl = ip_hdrlen(fh);
	struct iphdr *iph;

	if (ihl + q->len > IP_MAX_PACKET) {
		ipq_fail(net, q, &net->ipstats.ReasmBadLength);
		return NULL;
	}
	skb = alloc_skb(LL_MAX_HEADER + ihl + q->len);
	if (!skb) {
		ipq_fail(net, q, &net->ipstats.ReasmOverMem);
		return NULL;
	}
	skb_reserve(skb, LL_MAX_HEADER);
	skb->dev = first->dev;
	skb->pkt_type = first->pkt_type;
	skb->protocol = first->protocol;
	skb->tstamp = first->tstamp;
	skb_reset_network_header(skb);
	memcpy(skb_put(skb, ihl), fh, ihl);
	skb_queue_walk(&q->frags, frag) {
		const struct iphdr *h = ip_hdr(frag);
		unsigned int hl = ip_hdrlen(h), n = FRAG_CB(frag)->end - FRAG_CB(frag)->offset;
		memcpy(skb_put(skb, n), skb_network_header(frag) + hl, n);
	}
	iph = ip_hdr(skb);
	iph->tot_len = htons((uint16_t)(ihl + q->len));
	iph->frag_off = 0;
	ip_send_check(iph);
	net->ipstats.ReasmOKs++;
	ipq_kill(net, q);
	return skb;
}

/* ip_defrag takes a fragment (network header set, data at it) and returns
 * the whole datagram when this fragment completes it, else NULL. */
struct sk_buff *ip_defrag(struct net *net, struct sk_buff *skb)
{
	struct ipstats *st = &net->ipstats;
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int ihl = ip_hdrlen(iph), flags = ntohs(iph->frag_off);
	unsigned int offset = (flags & IP_OFFSET) << 3;
	unsigned int plen = skb->len - ihl, end = offset + plen;
	bool more = flags & IP_MF;
	struct sk_buff *f, *next = NULL;
	struct ipq *q;

	st->ReasmReqds++;
	/* Every fragment but the last carries a multiple of 8 bytes, none is
	 * empty, and none reaches past the largest datagram. */
	if ((more && (plen & 7)) || plen == 0 || end + ihl > IP_MAX_PACKET) {
		st->ReasmBadLength++;
		st->ReasmFails++;
		kfree_skb(skb);
		return NULL;
	}
	q = ipq_find(net, iph);
	if (!q) {
		st->ReasmFails++;
		kfree_skb(skb);
		return NULL;
	}
	if (!more) {
		struct sk_buff *last = q->frags.qlen ? q->frags.prev : NULL;
		if ((q->last_in && end != q->len) || (last && FRAG_CB(last)->end > end))
			goto inconsistent;
		q->last_in = true;
		q->len = end;
	} else if (q->last_in && end > q->len) {
		goto inconsistent;
	}
	/* Find the first fragment that starts at or after ours. */
	skb_queue_walk(&q->frags, f) {
		if (FRAG_CB(f)->offset == offset && FRAG_CB(f)->end == end) {
			st->ReasmDuplicates++;
			kfree_skb(skb);
			return NULL;
		}
		if (offset < FRAG_CB(f)->end && end > FRAG_CB(f)->offset) {
			ipq_fail(net, q, &st->ReasmOverlaps);
			kfree_skb(skb);
			return NULL;
		}
		if (FRAG_CB(f)->offset > offset) {
			next = f;
			break;
		}
	}
	if (q->frags.qlen >= net->limits.frag_per_queue) {
		ipq_fail(net, q, &st->ReasmTooMany);
		kfree_skb(skb);
		return NULL;
	}
	FRAG_CB(skb)->offset = offset;
	FRAG_CB(skb)->end = end;
	FRAG_CB(skb)->truesize = (unsigned int)skb_truesize(skb);
	/* Over the memory cap, older datagrams give way to this one. */
	while (net->ipfrags.mem + FRAG_CB(skb)->truesize > net->limits.frag_mem) {
		struct ipq *old = ipq_oldest(net);
		if (old == q) {
			ipq_fail(net, q, &st->ReasmOverMem);
			kfree_skb(skb);
			return NULL;
		}
		ipq_fail(net, old, &st->ReasmOverMem);
	}
	net->ipfrags.mem += FRAG_CB(skb)->truesize;
	if (next)
		skb_queue_before(&q->frags, next, skb);
	else
		skb_queue_tail(&q->frags, skb);
	q->meat += plen;
	if (q->last_in && q->meat == q->len)
		return ipq_reasm(net, q);
	return NULL;

inconsistent:
	ipq_fail(net, q, &st->ReasmBadLength);
	kfree_skb(skb);
	return NULL;
}

void ipfrag_flush(struct net *net)
{
	while (net->ipfrags.queues)
		ipq_kill(net, net->ipfrags.queues);
}
