/* TCP's memory across connections (Linux's tcp_mem): every byte in a send
 * ring, a receive ring or an out-of-order queue is charged to
 * net->mem.buffered, and net->limits.buffered caps the sum, so that many
 * connections, each within its own sndbuf and rcvbuf, cannot together
 * take all the memory there is.
 *
 * Two thresholds, so that what helps a connection finish gives way last:
 *   7/8 of the cap (pressure)  out-of-order segments are dropped, writes
 *                              wait, and the window offered shrinks to
 *                              what is left up to the cap;
 *   the cap                    in-order data past it is dropped (the
 *                              window offered is 0 by then).
 * Pressure ends when the sum falls below 3/4 of the cap: every connection
 * is woken (writers retry) and told of its reopened window. */
#include "net.h"
#include "tcp.h"

static uint64_t tcp_mem_soft(const struct net *net)
{
	return net->limits.buffered - net->limits.buffered / 8;
}

/* tcp_mem_enter notes that a limit turned something away. */
static void tcp_mem_enter(struct net *net)
{
	if (!net->mem.pressure) {
		net->mem.pressure = true;
		net->tcpstats.MemoryPressures++;
	}
}

/* tcp_mem_room: bytes that may still be received in order. */
uint32_t tcp_mem_room(struct net *net)
{
	uint64_t used = net->mem.buffered, cap = net->limits.buffered;

	if (used >= cap)
		return 0;
	return cap - used > UINT32_MAX ? UINT32_MAX : (uint32_t)(cap - used);
}

/* tcp_mem_send_full: a write would wait for the cap (poll: not writable). */
bool tcp_mem_send_full(const struct net *net)
{
	return net->mem.buffered >= tcp_mem_soft(net);
}

/* tcp_mem_send_room: bytes a write may queue now (0: it waits). */
uint32_t tcp_mem_send_room(struct net *net)
{
	uint64_t used = net->mem.buffered, soft = tcp_mem_soft(net);

	if (used >= soft) {
		tcp_mem_enter(net);
		net->tcpstats.SndMemWaits++;
		return 0;
	}
	return soft - used > UINT32_MAX ? UINT32_MAX : (uint32_t)(soft - used);
}

/* tcp_mem_ofo_ok: may an out-of-order segment of len bytes be kept? */
bool tcp_mem_ofo_ok(struct net *net, uint32_t len)
{
	if (net->mem.buffered + len <= tcp_mem_soft(net))
		return true;
	tcp_mem_enter(net);
	net->tcpstats.OfoMemDrops++;
	return false;
}

/* tcp_mem_rcv_drop: in-order data was cut short by the cap. */
void tcp_mem_rcv_drop(struct net *net)
{
	tcp_mem_enter(net);
	net->tcpstats.RcvMemDrops++;
}

/* tcp_mem_check ends pressure once enough was freed: writers waiting
 * anywhere retry, and connections whose window the cap shut say it is
 * open again (their peers may be waiting for that, not probing yet). */
void tcp_mem_check(struct net *net)
{
	if (!net->mem.pressure ||
	    net->mem.buffered >= net->limits.buffered - net->limits.buffered / 4)
		return;
	net->mem.pressure = false;
	for (int h = 0; h < UDP_HTABLE; h++)
		for (struct sock *s = net->tcp_hash[h]; s; s = s->hash_next) {
			if (s->listening)
				continue;
			tcp_window_update(s);
			sk_wake(s);
		}
}

/* tcp_ofo_purge drops a connection's out-of-order queue and its charge. */
void tcp_ofo_purge(struct tcp_sock *tp)
{
	tp->sk.net->mem.buffered -= tp->ofo.bytes;
	skb_queue_purge(&tp->ofo);
}
