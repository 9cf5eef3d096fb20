/* The stack instance: setup, teardown, clock, randomness, log, backlog. */
#include <stdio.h>
#include <string.h>

#include "fault.h"
#include "net.h"
#include "sock.h"

void net_init(struct net *net, uint64_t now, uint64_t seed)
{
	memset(net, 0, sizeof(*net));
	net->now = now;
	timer_base_init(&net->timers);
	skb_queue_head_init(&net->backlog);
	net->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
	net->ip_id = (uint16_t)net_random(net);
	net->icmp_tokens = ICMP_RATE_BURST * 1000000ull;
	net->icmp_last = now;
	net->limits.buffered = NET_DEFAULT_BUFFERED;
	net->limits.frag_mem = IPFRAG_MAX_MEM;
	net->limits.frag_queues = IPFRAG_MAX_QUEUES;
	net->limits.frag_per_queue = IPFRAG_MAX_FRAGS;
	arp_init(net);
	ip_init(net);
	icmp_init(net);
	inet_init(net);
	dns_init(net);
	ipv6_init(net);
}

void net_cleanup(struct net *net)
{
	skb_queue_purge(&net->backlog);
	dhcp_stop(net);
	dns_cleanup(net);
	tcp_cleanup(net);
	ipfrag_flush(net);
	ipv6_cleanup(net);
	arp_cleanup(net);
	for (int i = 0; i < net->ndevs; i++) {
		struct net_device *dev = net->devs[i];
		fault_detach(dev);
		if (dev->netdev_ops->ndo_uninit)
			dev->netdev_ops->ndo_uninit(dev);
	}
	timer_base_free(&net->timers);
}

void net_advance(struct net *net, uint64_t now)
{
	if (now > net->now)
		net->now = now;
	timers_run(&net->timers, net->now);
	tcp_mem_check(net);
}

void net_process_backlog(struct net *net)
{
	struct sk_buff *skb;
	int budget = 256;	/* bounded, so a loop of replies cannot starve I/O */

	while (budget-- > 0 && (skb = skb_dequeue(&net->backlog)) != NULL)
		if (skb->protocol == ETH_P_IPV6)
			ipv6_rcv(skb, skb->dev, NULL);
		else
			ip_rcv(skb, skb->dev, NULL);
	net_rx_complete(net);
}

void net_rx_complete(struct net *net)
{
	tcp_mem_check(net);
	tcp_flush_acks(net);
}

/* xorshift64*: fast, and seeded from getrandom by the daemon.  Not for
 * secrets: TCP's ISNs use a keyed hash of their own. */
uint32_t net_random(struct net *net)
{
	uint64_t x = net->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	net->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

void net_log(struct net *net, unsigned int cls, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	if (!(net->log_mask & cls) || !net->log_fn)
		return;
	n = snprintf(line, sizeof(line), "%llu.%06llu ",
		     (unsigned long long)(net->now / 1000000),
		     (unsigned long long)(net->now % 1000000));
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	net->log_fn(net, line, net->log_arg);
}

char *inet_ntoa_r(uint32_t addr, char *buf)
{
	const unsigned char *b = (const unsigned char *)&addr;

	snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}
