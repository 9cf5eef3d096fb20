/* IPv4 reassembly, and fragmentation of what we send back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static uint8_t f[ETH_HLEN + 65536];
static uint8_t msg[65536];		/* the ICMP message being fragmented */
static uint8_t got[65536];

#define ECHO_ID 0x77
#define BIG 4000			/* ICMP message: 8 header + 3992 data */

static size_t make_echo(size_t total, uint16_t seq)
{
	uint8_t *data = malloc(total);

	fill_pattern(data, total - 8, seq);
	icmp_build(msg, ICMP_ECHO, 0, ECHO_ID, seq, data, total - 8);
	free(data);
	return total;
}

static size_t inject_frag(struct env *e, uint16_t id, size_t off, size_t len, bool mf)
{
	size_t n = frag_build(f, PEER_IP, OUR_IP, IPPROTO_ICMP, id, msg, off, len, mf);

	memdev_inject(e->dev, f, n);
	return n;
}

/* The three fragments of the BIG message at MTU 1500. */
static const struct { size_t off, len; bool mf; } big3[3] = {
	{ 0, 1480, true }, { 1480, 1480, true }, { 2960, 1040, false },
};

/* Pops nfrags fragments of one echo reply and checks each: same id, the
 * offsets follow each other, MF on all but the last, at most MTU long.
 * Returns the reassembled ICMP message length (in got). */
static size_t pop_reply_frags(struct env *e, unsigned int nfrags, const size_t *want_len)
{
	size_t total = 0;
	uint16_t id = 0;

	assert_int_equal(memdev_pending(e->dev), nfrags);
	for (unsigned int i = 0; i < nfrags; i++) {
		struct rx rx;
		unsigned int fo;

		pop_ipv4(e->dev, PEER_MAC, &rx);
		fo = ntohs(rx.ip->frag_off);
		assert_int_equal(rx.ip->protocol, IPPROTO_ICMP);
		assert_int_equal(rx.ip->saddr, OUR_IP);
		assert_int_equal(rx.ip->daddr, PEER_IP);
		assert_int_equal(rx.ip->ttl, 64);
		if (i == 0)
			id = rx.ip->id;
		assert_int_equal(rx.ip->id, id);
		assert_int_equal((fo & IP_OFFSET) * 8u, total);
		assert_int_equal(!!(fo & IP_MF), i + 1 < nfrags);
		assert_int_equal(fo & IP_DF, 0);
		assert_true(ntohs(rx.ip->tot_len) <= e->dev->mtu);
		if (want_len)
			assert_int_equal(ntohs(rx.ip->tot_len), want_len[i]);
		if (i + 1 < nfrags)
			assert_int_equal(rx.l4len % 8, 0);
		memcpy(got + total, rx.l4, rx.l4len);
		total += rx.l4len;
		rx_free(&rx);
	}
	return total;
}

/* got holds the echo reply to msg (of length len). */
static void check_reply(size_t len)
{
	assert_int_equal(got[0], ICMP_ECHOREPLY);
	assert_int_equal(got[1], 0);
	assert_memory_equal(got + 4, msg + 4, 4);	/* id, sequence */
	assert_memory_equal(got + 8, msg + 8, len - 8);
	assert_int_equal(ip_compute_csum(got, len), 0);
}

static void assert_no_frag_state(struct env *e)
{
	assert_int_equal(e->net.ipfrags.nqueues, 0);
	assert_null(e->net.ipfrags.queues);
	assert_int_equal(e->net.ipfrags.mem, 0);
}

static void test_in_order(void **state)
{
	struct env *e = *state;
	static const size_t lens[3] = { 1500, 1500, 1060 };
	size_t rx_bytes = 0;
	char spec[512];
	struct snap s;

	make_echo(BIG, 1);
	snap_take(&s, &e->net, e->dev);
	rx_bytes += inject_frag(e, 100, big3[0].off, big3[0].len, big3[0].mf);
	rx_bytes += inject_frag(e, 100, big3[1].off, big3[1].len, big3[1].mf);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.ipfrags.nqueues, 1);
	assert_true(e->net.ipfrags.mem > 2 * 1480);
	rx_bytes += inject_frag(e, 100, big3[2].off, big3[2].len, big3[2].mf);
	assert_int_equal(rx_bytes, 1514 + 1514 + 1074);
	snprintf(spec, sizeof(spec),
		 "dev.RxFrames=3 dev.RxBytes=%zu ip.InReceives=3 ip.ReasmReqds=3 ip.ReasmOKs=1 "
		 "ip.InDelivers=1 icmp.InMsgs=1 icmp.InEchos=1 icmp.OutMsgs=1 icmp.OutEchoReps=1 "
		 "ip.OutRequests=1 ip.FragOKs=1 ip.FragCreates=3 dev.TxFrames=3 dev.TxBytes=%zu",
		 rx_bytes, rx_bytes);
	snap_expect(&s, &e->net, e->dev, spec);
	assert_int_equal(pop_reply_frags(e, 3, lens), BIG);
	check_reply(BIG);
	assert_no_frag_state(e);
	assert_int_equal(e->net.timers.n, 1);		/* only the ARP gc is left */
}

static void test_out_of_order(void **state)
{
	static const int orders[][3] = { { 2, 0, 1 }, { 1, 2, 0 }, { 2, 1, 0 }, { 0, 2, 1 }, { 1, 0, 2 } };
	struct env *e = *state;

	for (size_t k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
		make_echo(BIG, (uint16_t)(10 + k));
		for (int j = 0; j < 3; j++) {
			int i = orders[k][j];
			assert_int_equal(memdev_pending(e->dev), 0);
			inject_frag(e, (uint16_t)(200 + k), big3[i].off, big3[i].len, big3[i].mf);
		}
		assert_int_equal(pop_reply_frags(e, 3, NULL), BIG);
		check_reply(BIG);
		assert_no_frag_state(e);
	}
	assert_int_equal(e->net.ipstats.ReasmOKs, 5);
	assert_int_equal(e->net.ipstats.ReasmFails, 0);
}

static void test_duplicate(void **state)
{
	struct env *e = *state;
	struct snap s;

	make_echo(BIG, 3);
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 300, 0, 1480, true);
	inject_frag(e, 300, 0, 1480, true);
	assert_int_equal(e->net.ipstats.ReasmDuplicates - s.ip.ReasmDuplicates, 1);
	inject_frag(e, 300, 2960, 1040, false);
	inject_frag(e, 300, 2960, 1040, false);	/* the last one twice too */
	assert_int_equal(e->net.ipstats.ReasmDuplicates - s.ip.ReasmDuplicates, 2);
	assert_int_equal(memdev_pending(e->dev), 0);
	inject_frag(e, 300, 1480, 1480, true);
	assert_int_equal(pop_reply_frags(e, 3, NULL), BIG);
	check_reply(BIG);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=5 dev.RxBytes=6690 ip.InReceives=5 ip.ReasmReqds=5 "
		    "ip.ReasmDuplicates=2 ip.ReasmOKs=1 ip.InDelivers=1 icmp.InMsgs=1 icmp.InEchos=1 "
		    "icmp.OutMsgs=1 icmp.OutEchoReps=1 ip.OutRequests=1 ip.FragOKs=1 ip.FragCreates=3 "
		    "dev.TxFrames=3 dev.TxBytes=4102");
	assert_no_frag_state(e);
}

static void test_overlap_drops_datagram(void **state)
{
	struct env *e = *state;
	struct snap s;

	make_echo(BIG, 4);
	inject_frag(e, 400, 0, 1480, true);
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 400, 1472, 1488, true);	/* 8 bytes over the first */
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=1522 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmOverlaps=1 ip.ReasmFails=1");
	assert_no_frag_state(e);
	assert_int_equal(memdev_pending(e->dev), 0);

	/* Inside another one. */
	inject_frag(e, 401, 0, 1480, true);
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 401, 8, 16, true);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=50 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmOverlaps=1 ip.ReasmFails=1");
	assert_no_frag_state(e);

	/* Same start, different length. */
	inject_frag(e, 402, 1480, 1480, true);
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 402, 1480, 1472, true);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=1506 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmOverlaps=1 ip.ReasmFails=1");
	assert_no_frag_state(e);

	/* What comes after the drop starts over and cannot complete. */
	inject_frag(e, 402, 2960, 1040, false);
	assert_int_equal(e->net.ipfrags.nqueues, 1);
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* Time out holding the first fragment: ICMP time exceeded, code 1, quoting
 * the first fragment. */
static void test_timeout_with_first(void **state)
{
	struct env *e = *state;
	uint8_t first[ETH_HLEN + 1500];
	struct snap s;
	struct rx rx;

	make_echo(BIG, 5);
	inject_frag(e, 500, 0, 1480, true);
	memcpy(first, f, sizeof(first));
	inject_frag(e, 500, 2960, 1040, false);
	run_until(&e->net, T0 + IPFRAG_TIME_US - 1);
	assert_int_equal(e->net.ipfrags.nqueues, 1);
	assert_int_equal(memdev_pending(e->dev), 0);

	snap_take(&s, &e->net, e->dev);
	run_until(&e->net, T0 + IPFRAG_TIME_US);
	snap_expect(&s, &e->net, e->dev,
		    "ip.ReasmTimeout=1 ip.ReasmFails=1 ip.OutRequests=1 icmp.OutMsgs=1 "
		    "icmp.OutTimeExcds=1 dev.TxFrames=1 dev.TxBytes=590");
	assert_no_frag_state(e);
	pop_icmp(e->dev, PEER_MAC, &rx, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME);
	assert_int_equal(rx.ip->saddr, OUR_IP);
	assert_int_equal(rx.ip->daddr, PEER_IP);
	assert_int_equal(rx.l4len, 8 + 548);
	assert_memory_equal(rx.l4 + 4, "\0\0\0\0", 4);
	assert_memory_equal(rx.l4 + 8, first + ETH_HLEN, 548);
	rx_free(&rx);
	/* Late fragments of it start a new, incomplete datagram. */
	inject_frag(e, 500, 1480, 1480, true);
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* Without the first fragment there is nothing to quote: no ICMP. */
static void test_timeout_without_first(void **state)
{
	struct env *e = *state;
	struct snap s;

	make_echo(BIG, 6);
	inject_frag(e, 600, 1480, 1480, true);
	inject_frag(e, 600, 2960, 1040, false);
	snap_take(&s, &e->net, e->dev);
	run_until(&e->net, T0 + IPFRAG_TIME_US);
	snap_expect(&s, &e->net, e->dev, "ip.ReasmTimeout=1 ip.ReasmFails=1");
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_no_frag_state(e);
}

/* The timer runs from the first fragment, not the latest. */
static void test_timeout_from_first_arrival(void **state)
{
	struct env *e = *state;

	make_echo(BIG, 7);
	inject_frag(e, 700, 1480, 1480, true);
	run_until(&e->net, T0 + IPFRAG_TIME_US - SEC);
	inject_frag(e, 700, 2960, 1040, false);
	run_until(&e->net, T0 + IPFRAG_TIME_US);
	assert_int_equal(e->net.ipstats.ReasmTimeout, 1);
	assert_no_frag_state(e);
}

static void test_exactly_max_frags_completes(void **state)
{
	struct env *e = *state;
	const size_t len = IPFRAG_MAX_FRAGS * 8;

	make_echo(len, 8);
	/* Backwards, so the last arrives first. */
	for (int i = IPFRAG_MAX_FRAGS - 1; i >= 0; i--)
		inject_frag(e, 800, (size_t)i * 8, 8, i != IPFRAG_MAX_FRAGS - 1);
	assert_int_equal(pop_reply_frags(e, 1, NULL), len);
	check_reply(len);
	assert_no_frag_state(e);
}

static void test_too_many_frags(void **state)
{
	struct env *e = *state;
	struct snap s;

	make_echo(1024, 9);
	snap_take(&s, &e->net, e->dev);
	for (int i = 0; i < IPFRAG_MAX_FRAGS; i++)
		inject_frag(e, 900, (size_t)i * 8, 8, true);
	assert_int_equal(e->net.ipfrags.nqueues, 1);
	assert_int_equal(e->net.ipfrags.queues->frags.qlen, IPFRAG_MAX_FRAGS);
	inject_frag(e, 900, IPFRAG_MAX_FRAGS * 8, 8, true);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=65 dev.RxBytes=2730 ip.InReceives=65 ip.ReasmReqds=65 "
		    "ip.ReasmTooMany=1 ip.ReasmFails=1");
	assert_no_frag_state(e);
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_too_many_queues(void **state)
{
	struct env *e = *state;
	struct snap s;

	make_echo(24, 10);
	snap_take(&s, &e->net, e->dev);
	for (int id = 1; id <= IPFRAG_MAX_QUEUES; id++)
		inject_frag(e, (uint16_t)id, 0, 16, true);
	assert_int_equal(e->net.ipfrags.nqueues, IPFRAG_MAX_QUEUES);
	assert_int_equal(e->net.ipstats.ReasmFails, 0);
	/* One more: the oldest (id 1) goes. */
	inject_frag(e, IPFRAG_MAX_QUEUES + 1, 0, 16, true);
	assert_int_equal(e->net.ipfrags.nqueues, IPFRAG_MAX_QUEUES);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=65 dev.RxBytes=3250 ip.InReceives=65 ip.ReasmReqds=65 "
		    "ip.ReasmOverMem=1 ip.ReasmFails=1");

	/* Completing id 1 cannot work: its first half is gone (and its second
	 * half pushes out id 2). */
	inject_frag(e, 1, 16, 8, false);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(e->net.ipstats.ReasmFails - s.ip.ReasmFails, 2);
	/* The newest completes. */
	inject_frag(e, IPFRAG_MAX_QUEUES + 1, 16, 8, false);
	assert_int_equal(pop_reply_frags(e, 1, NULL), 24);
	check_reply(24);
	/* And id 3, the oldest left, does too. */
	inject_frag(e, 3, 16, 8, false);
	assert_int_equal(pop_reply_frags(e, 1, NULL), 24);
	assert_int_equal(e->net.ipfrags.nqueues, IPFRAG_MAX_QUEUES - 2);
	ipfrag_flush(&e->net);
	assert_no_frag_state(e);
}

static void test_bad_length(void **state)
{
	struct env *e = *state;
	struct snap s;

	make_echo(BIG, 11);
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 1100, 0, 12, true);	/* not a multiple of 8, MF set */
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=46 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmBadLength=1 ip.ReasmFails=1");
	assert_no_frag_state(e);
	/* An empty fragment. */
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 1100, 8, 0, true);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=34 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmBadLength=1 ip.ReasmFails=1");
	assert_no_frag_state(e);
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_past_max_datagram(void **state)
{
	struct env *e = *state;
	struct snap s;

	memset(msg, 0, sizeof(msg));
	/* 8189 * 8 = 65512: 24 more bytes and a 20-byte header is 65556. */
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 1200, 65512, 24, false);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=58 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmBadLength=1 ip.ReasmFails=1");
	assert_no_frag_state(e);
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 1201, 65512, 16, true);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=50 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmBadLength=1 ip.ReasmFails=1");
	assert_no_frag_state(e);
	/* 65512 + 4 + 20 = 65536: one byte too many. */
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 1203, 65512, 4, false);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=38 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmBadLength=1 ip.ReasmFails=1");
	assert_no_frag_state(e);
	/* 65512 + 3 + 20 = 65535: just fits, and is held. */
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 1202, 65512, 3, false);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=37 ip.InReceives=1 ip.ReasmReqds=1");
	assert_int_equal(e->net.ipfrags.nqueues, 1);
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* Two different ends for the same datagram, or data past the end. */
static void test_inconsistent_end(void **state)
{
	struct env *e = *state;
	struct snap s;

	make_echo(BIG, 12);
	inject_frag(e, 1300, 2960, 1040, false);
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 1300, 1480, 1000, false);
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=1034 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmBadLength=1 ip.ReasmFails=1");
	assert_no_frag_state(e);

	inject_frag(e, 1301, 1480, 1000, false);	/* ends at 2480 */
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 1301, 2480, 8, true);		/* data past the end */
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=42 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmBadLength=1 ip.ReasmFails=1");
	assert_no_frag_state(e);

	inject_frag(e, 1302, 1480, 1480, true);	/* reaches 2960 */
	snap_take(&s, &e->net, e->dev);
	inject_frag(e, 1302, 8, 1000, false);		/* says the end is at 1008 */
	snap_expect(&s, &e->net, e->dev,
		    "dev.RxFrames=1 dev.RxBytes=1034 ip.InReceives=1 ip.ReasmReqds=1 "
		    "ip.ReasmBadLength=1 ip.ReasmFails=1");
	assert_no_frag_state(e);
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* Fragments of different datagrams (by id, source, protocol) interleaved
 * do not mix. */
static void test_interleaved_datagrams(void **state)
{
	struct env *e = *state;

	make_echo(BIG, 13);
	inject_frag(e, 1400, 0, 1480, true);
	inject_frag(e, 1401, 0, 1480, true);
	/* Same id from another protocol: a separate datagram. */
	{
		size_t n = frag_build(f, PEER_IP, OUR_IP, 253, 1400, msg, 1480, 1480, true);
		memdev_inject(e->dev, f, n);
	}
	assert_int_equal(e->net.ipfrags.nqueues, 3);
	inject_frag(e, 1401, 1480, 1480, true);
	inject_frag(e, 1400, 2960, 1040, false);
	inject_frag(e, 1401, 2960, 1040, false);
	assert_int_equal(pop_reply_frags(e, 3, NULL), BIG);
	check_reply(BIG);
	inject_frag(e, 1400, 1480, 1480, true);
	assert_int_equal(pop_reply_frags(e, 3, NULL), BIG);
	check_reply(BIG);
	assert_int_equal(e->net.ipfrags.nqueues, 1);
	assert_int_equal(e->net.ipstats.ReasmOKs, 2);
}

/* The largest datagram there is: 65535 bytes in, 65535 bytes back. */
static void test_largest_datagram(void **state)
{
	struct env *e = *state;
	const size_t len = IP_MAX_PACKET - 20;	/* 65515 */
	const unsigned int nfrags = (unsigned int)((len + 1479) / 1480);

	make_echo(len, 14);
	for (size_t off = 0; off < len; off += 1480) {
		size_t n = len - off < 1480 ? len - off : 1480;
		inject_frag(e, 1500, off, n, off + n < len);
	}
	assert_int_equal(nfrags, 45);
	assert_int_equal(pop_reply_frags(e, nfrags, NULL), len);
	check_reply(len);
	assert_int_equal(e->net.ipstats.FragCreates, nfrags);
	assert_int_equal(e->net.ipstats.ReasmOKs, 1);
	assert_no_frag_state(e);
}

/* Our replies follow the device MTU. */
static void test_reply_fragmented_to_small_mtu(void **state)
{
	struct env *e = *state;
	dev_set_mtu(e->dev, 576);
	make_echo(BIG, 15);
	for (int i = 0; i < 3; i++)
		inject_frag(e, 1600, big3[i].off, big3[i].len, big3[i].mf);
	/* (576 - 20) & ~7 = 552 bytes a fragment: 7 of 552 and one of 136. */
	{
		static const size_t want[8] = { 572, 572, 572, 572, 572, 572, 572, 156 };
		assert_int_equal(pop_reply_frags(e, 8, want), BIG);
	}
	check_reply(BIG);
}

/* Memory held for fragments is counted and returned. */
static void test_mem_accounting(void **state)
{
	struct env *e = *state;
	size_t before;

	make_echo(BIG, 16);
	inject_frag(e, 1700, 0, 1480, true);
	before = e->net.ipfrags.mem;
	assert_true(before >= 1514);
	inject_frag(e, 1701, 0, 1480, true);
	assert_int_equal(e->net.ipfrags.mem, 2 * before);
	inject_frag(e, 1700, 1480, 1480, true);
	inject_frag(e, 1700, 2960, 1040, false);
	assert_int_equal(drain(e->dev), 3);
	assert_int_equal(e->net.ipfrags.mem, before);
	run_until(&e->net, T0 + IPFRAG_TIME_US);
	assert_int_equal(drain(e->dev), 1);	/* time exceeded for 1701 */
	assert_no_frag_state(e);
}

/* Too big for the MTU with DF set: not sent, not fragmented. */
static void test_df_too_big(void **state)
{
	struct env *e = *state;
	struct sk_buff *skb = ip_alloc_skb(1481);
	struct snap s;

	memset(skb_put(skb, 1481), 0x33, 1481);
	snap_take(&s, &e->net, e->dev);
	assert_int_equal(ip_build_xmit(&e->net, skb, 0, PEER_IP, 253, 64, 0, true), -EMSGSIZE);
	snap_expect(&s, &e->net, e->dev, "ip.OutRequests=1 ip.FragFails=1");
	assert_int_equal(memdev_pending(e->dev), 0);

	/* 1480 fits exactly, DF and all. */
	skb = ip_alloc_skb(1480);
	memset(skb_put(skb, 1480), 0x33, 1480);
	assert_int_equal(ip_build_xmit(&e->net, skb, 0, PEER_IP, 253, 64, 0, true), 0);
	{
		struct rx rx;
		pop_ipv4(e->dev, PEER_MAC, &rx);
		assert_int_equal(ntohs(rx.ip->frag_off), IP_DF);
		assert_int_equal(ntohs(rx.ip->tot_len), 1500);
		rx_free(&rx);
	}
}

/* No datagram larger than 65535 bytes leaves. */
static void test_oversize_discarded(void **state)
{
	struct env *e = *state;
	struct sk_buff *skb = ip_alloc_skb(IP_MAX_PACKET - 19);
	struct snap s;

	memset(skb_put(skb, IP_MAX_PACKET - 19), 0, IP_MAX_PACKET - 19);
	snap_take(&s, &e->net, e->dev);
	assert_int_equal(ip_build_xmit(&e->net, skb, 0, PEER_IP, 253, 64, 0, false), -EMSGSIZE);
	snap_expect(&s, &e->net, e->dev, "ip.OutDiscards=1");
	assert_int_equal(memdev_pending(e->dev), 0);
}

/* A flood of incomplete datagrams stays within IPFRAG_MAX_MEM: the oldest
 * datagrams give way. */
static void test_mem_cap(void **state)
{
	struct env *e = *state;
	const int per = 44;		/* 44 * 1480 + 20 < 65535 */

	memset(msg, 0x11, sizeof(msg));
	for (int q = 0; q < IPFRAG_MAX_QUEUES; q++)
		for (int i = 0; i < per; i++) {
			inject_frag(e, (uint16_t)(3000 + q), (size_t)i * 1480, 1480, true);
			if (e->net.ipfrags.mem > IPFRAG_MAX_MEM)
				fail_msg("%zu bytes held, cap %u", e->net.ipfrags.mem, IPFRAG_MAX_MEM);
		}
	assert_true(e->net.ipstats.ReasmOverMem >= 1);
	assert_int_equal(e->net.ipstats.ReasmFails, e->net.ipstats.ReasmOverMem);
	assert_int_equal(e->net.ipfrags.nqueues, IPFRAG_MAX_QUEUES - (int)e->net.ipstats.ReasmOverMem);
	/* The first datagram went first; the last is whole. */
	for (struct ipq *q = e->net.ipfrags.queues; q; q = q->next)
		assert_int_not_equal(ntohs(q->id), 3000);
	assert_int_equal(ntohs(e->net.ipfrags.queues->id), 3000 + IPFRAG_MAX_QUEUES - 1);
	assert_int_equal(e->net.ipfrags.queues->frags.qlen, per);
	assert_int_equal(memdev_pending(e->dev), 0);
	ipfrag_flush(&e->net);
	assert_no_frag_state(e);
}

/* The limits are net->limits (impfs --frag-queues, --frag-per-datagram,
 * --frag-mem), not the constants: smaller ones are kept to, and counted. */
static void test_limits_set(void **state)
{
	struct env *e = *state;
	uint64_t overmem, toomany;

	e->net.limits.frag_queues = 3;
	e->net.limits.frag_per_queue = 4;
	make_echo(64, 30);
	/* a fourth datagram pushes out the oldest */
	for (int id = 1; id <= 4; id++)
		inject_frag(e, (uint16_t)id, 0, 16, true);
	assert_int_equal(e->net.ipfrags.nqueues, 3);
	assert_int_equal(e->net.ipstats.ReasmOverMem, 1);
	/* four fragments of id 4 are held (16 bytes, then three of 8), a
	 * fifth drops the datagram */
	toomany = e->net.ipstats.ReasmTooMany;
	for (int i = 0; i < 3; i++)
		inject_frag(e, 4, 16 + (size_t)i * 8, 8, true);
	assert_int_equal(e->net.ipstats.ReasmTooMany, toomany);
	inject_frag(e, 4, 40, 8, true);
	assert_int_equal(e->net.ipstats.ReasmTooMany, toomany + 1);
	assert_int_equal(e->net.ipfrags.nqueues, 2);
	ipfrag_flush(&e->net);
	assert_no_frag_state(e);

	/* bytes: a cap of 3 small fragments' worth keeps at most that */
	e->net.limits.frag_queues = IPFRAG_MAX_QUEUES;
	inject_frag(e, 10, 0, 16, true);
	e->net.limits.frag_mem = 3 * e->net.ipfrags.mem;
	ipfrag_flush(&e->net);
	overmem = e->net.ipstats.ReasmOverMem;
	for (int id = 11; id <= 20; id++) {
		inject_frag(e, (uint16_t)id, 0, 16, true);
		assert_true(e->net.ipfrags.mem <= e->net.limits.frag_mem);
	}
	assert_int_equal(e->net.ipfrags.nqueues, 3);
	assert_int_equal(e->net.ipstats.ReasmOverMem, overmem + 7);
	/* the newest completes */
	inject_frag(e, 20, 16, 48, false);
	assert_int_equal(pop_reply_frags(e, 1, NULL), 64);
	check_reply(64);
	/* frag-mem 0: no reassembly at all, each fragment dropped and counted */
	e->net.limits.frag_mem = 0;
	ipfrag_flush(&e->net);
	overmem = e->net.ipstats.ReasmOverMem;
	inject_frag(e, 30, 0, 16, true);
	assert_int_equal(e->net.ipstats.ReasmOverMem, overmem + 1);
	assert_no_frag_state(e);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_in_order),
		T(test_out_of_order),
		T(test_duplicate),
		T(test_overlap_drops_datagram),
		T(test_timeout_with_first),
		T(test_timeout_without_first),
		T(test_timeout_from_first_arrival),
		T(test_exactly_max_frags_completes),
		T(test_too_many_frags),
		T(test_too_many_queues),
		T(test_bad_length),
		T(test_past_max_datagram),
		T(test_inconsistent_end),
		T(test_interleaved_datagrams),
		T(test_largest_datagram),
		T(test_reply_fragmented_to_small_mtu),
		T(test_mem_accounting),
		T(test_limits_set),
		T(test_df_too_big),
		T(test_oversize_discarded),
		T(test_mem_cap),
	};
	return cmocka_run_group_tests_name("frag", tests, NULL, NULL);
}
