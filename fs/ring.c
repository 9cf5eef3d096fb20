/* Streams: /imp/ipifc/0/pcap and /imp/log, which never end, and
 * /imp/tcp/N/trace, which ends (EOF) with its connection.
 *
 * Each reader has a ring of its own, filled as frames or events happen and
 * drained by its reads.  A reader that falls behind loses whole records,
 * which are counted; the stack never waits for a reader.  Reads with
 * nothing to give are parked until the next batch of events fills the
 * ring. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "impfs.h"

#define PCAP_RING (4u << 20)
#define LOG_RING (256u << 10)
#define TRACE_RING (1u << 20)
/* tcpdump's default: a 64 KB IP super-frame plus its Ethernet header fits. */
#define PCAP_SNAPLEN 262144u

enum { RING_PCAP, RING_LOG, RING_TRACE };

struct ring_reader {
	struct ring_reader *next;
	int kind;
	char *buf;
	size_t cap, head, len;		/* data is [head, head+len) mod cap */
	uint64_t drops;
	uint64_t lost_lines;		/* trace: lines not yet reported lost */
	struct sock *sk;		/* trace: the connection; NULL once it is gone */
	struct preq *waiters;
	struct fuse_pollhandle *ph;	/* a poll waiting for data */
};

struct rings {
	struct ring_reader *readers;
	int npcap, nlog;
	struct packet_tap tap;
	uint64_t pcap_drops;
	unsigned int log_mask;		/* what the log readers asked for */
	bool debug;			/* -d: events to stderr too */
	struct impfs *fs;
};

/* ring_put appends a record of parts, whole or not at all. */
static bool ring_put(struct ring_reader *r, const struct iovec *iov, int n)
{
	size_t total = 0;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (total > r->cap - r->len) {
		r->drops++;
		return false;
	}
	for (int i = 0; i < n; i++) {
		const char *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		while (left) {
			size_t tail = (r->head + r->len) % r->cap;
			size_t chunk = r->cap - tail < left ? r->cap - tail : left;
			memcpy(r->buf + tail, p, chunk);
			r->len += chunk;
			p += chunk;
			left -= chunk;
		}
	}
	return true;
}

struct pcap_rec {
	uint32_t ts_sec, ts_usec, incl_len, orig_len;
};

static void pcap_tap(struct net_device *dev, const struct sk_buff *skb, int dir, void *arg)
{
	struct rings *rs = arg;
	struct timespec ts;
	struct pcap_rec rec;
	struct iovec iov[2];

	clock_gettime(CLOCK_REALTIME, &ts);
	rec.ts_sec = (uint32_t)ts.tv_sec;
	rec.ts_usec = (uint32_t)(ts.tv_nsec / 1000);
	rec.orig_len = skb->len;
	rec.incl_len = skb->len < PCAP_SNAPLEN ? skb->len : PCAP_SNAPLEN;
	iov[0].iov_base = &rec;
	iov[0].iov_len = sizeof(rec);
	iov[1].iov_base = skb->data;
	iov[1].iov_len = rec.incl_len;
	for (struct ring_reader *r = rs->readers; r; r = r->next)
		if (r->kind == RING_PCAP && !ring_put(r, iov, 2))
			rs->pcap_drops++;
}

static void log_sink(struct net *net, const char *line, void *arg)
{
	struct rings *rs = arg;
	struct iovec iov[2] = { { (void *)line, strlen(line) }, { "\n", 1 } };

	if (rs->debug)
		fprintf(stderr, "%s\n", line);
	for (struct ring_reader *r = rs->readers; r; r = r->next)
		if (r->kind == RING_LOG)
			ring_put(r, iov, 2);
}

/* trace_sink: a trace line of sk for its readers; line NULL: sk is being
 * destroyed, its readers get EOF once drained.  A reader that had to
 * lose lines is told how many first, when room comes back. */
static void trace_sink(struct net *net, struct sock *sk, const char *line, void *arg)
{
	struct rings *rs = arg;

	for (struct ring_reader *r = rs->readers; r; r = r->next) {
		if (r->kind != RING_TRACE || r->sk != sk)
			continue;
		if (!line) {
			r->sk = NULL;
			continue;
		}
		if (r->lost_lines) {
			char lost[96];
			int n = snprintf(lost, sizeof(lost), "%llu.%06llu lost lines %llu\n",
					 (unsigned long long)(net->now / 1000000),
					 (unsigned long long)(net->now % 1000000),
					 (unsigned long long)r->lost_lines);
			struct iovec liov = { lost, (size_t)n };
			if (!ring_put(r, &liov, 1)) {
				r->lost_lines++;
				continue;
			}
			r->lost_lines = 0;
		}
		struct iovec iov[2] = { { (void *)line, strlen(line) }, { "\n", 1 } };
		if (!ring_put(r, iov, 2))
			r->lost_lines++;
	}
}

/* The stack formats events only when someone will see them. */
static void log_update_mask(struct impfs *fs)
{
	struct rings *rs = fs->rings;

	fs->net.log_mask = rs->debug ? NETLOG_ALL : rs->nlog ? rs->log_mask : 0;
}

void ring_init(struct impfs *fs)
{
	struct rings *rs = calloc(1, sizeof(*rs));

	if (!rs)
		abort();
	rs->fs = fs;
	rs->log_mask = NETLOG_ALL;
	rs->debug = fs->net.log_mask != 0;
	rs->tap.func = pcap_tap;
	rs->tap.arg = rs;
	fs->rings = rs;
	fs->net.log_fn = log_sink;
	fs->net.log_arg = rs;
	fs->net.tcp_trace_fn = trace_sink;
	fs->net.tcp_trace_arg = rs;
	log_update_mask(fs);
}

/* ring_bytes: the rings' buffers, what the pcap, log and trace readers cost. */
uint64_t ring_bytes(struct impfs *fs)
{
	uint64_t n = 0;

	for (struct ring_reader *r = fs->rings->readers; r; r = r->next)
		n += r->cap;
	return n;
}

/* reader_new gives of a ring of cap bytes; NULL with errno ENOBUFS past
 * --max-ring-bytes (counted), or ENOMEM. */
static struct ring_reader *reader_new(struct impfs *fs, struct ofile *of, int kind, size_t cap)
{
	struct ring_reader *r;

	if (ring_bytes(fs) + cap > fs->max_ring_bytes) {
		fs->stats.RingsRefused++;
		errno = ENOBUFS;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->buf = malloc(cap))) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->kind = kind;
	r->cap = cap;
	r->next = fs->rings->readers;
	fs->rings->readers = r;
	of->ring = r;
	return r;
}

void pcap_open(struct impfs *fs, struct ofile *of)
{
	static const struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t thiszone;
		uint32_t sigfigs, snaplen, network;
	} __attribute__((packed)) hdr = { 0xa1b2c3d4, 2, 4, 0, 0, PCAP_SNAPLEN, 1 /* Ethernet */ };
	struct ring_reader *r = reader_new(fs, of, RING_PCAP, PCAP_RING);
	struct iovec iov = { (void *)&hdr, sizeof(hdr) };

	if (!r)
		return;
	ring_put(r, &iov, 1);
	if (fs->rings->npcap++ == 0)
		dev_add_tap(&fs->net, &fs->rings->tap);
}

void log_open(struct impfs *fs, struct ofile *of)
{
	if (reader_new(fs, of, RING_LOG, LOG_RING)) {
		fs->rings->nlog++;
		log_update_mask(fs);
	}
}

/* trace_open: a reader of sk's events from now on; the first line says
 * where the connection stands. */
void trace_open(struct impfs *fs, struct ofile *of, struct sock *sk)
{
	struct ring_reader *r = reader_new(fs, of, RING_TRACE, TRACE_RING);

	if (!r)
		return;
	r->sk = sk;
	tcp_sk(sk)->trace_readers++;
	tcp_trace(sk, "start", "state %s", tcp_state_name(sk->sk_state));
	if (sk->sk_state == TCP_CLOSED && tcp_sk(sk)->iss) {
		/* Its connection is over already: that one line, then EOF. */
		tcp_sk(sk)->trace_readers--;
		r->sk = NULL;
	}
}

void ring_release(struct impfs *fs, struct ofile *of)
{
	struct rings *rs = fs->rings;
	struct ring_reader *r = of->ring;

	for (struct ring_reader **pp = &rs->readers; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	while (r->waiters) {
		struct preq *pr = r->waiters;
		preq_unlink(pr);
		fuse_reply_err(pr->req, EBADF);
		preq_free(pr);
	}
	if (r->ph)
		fuse_pollhandle_destroy(r->ph);
	if (r->kind == RING_PCAP && --rs->npcap == 0)
		dev_remove_tap(&fs->net, &rs->tap);
	if (r->kind == RING_LOG) {
		rs->nlog--;
		log_update_mask(fs);
	}
	if (r->kind == RING_TRACE && r->sk)
		tcp_sk(r->sk)->trace_readers--;
	free(r->buf);
	free(r);
	of->ring = NULL;
}

/* ring_take answers a read from r's ring; false when it is empty. */
static bool ring_take(fuse_req_t req, struct ring_reader *r, size_t size)
{
	struct iovec iov[2];
	size_t n = size < r->len ? size : r->len, first;

	if (!n)
		return false;
	first = r->cap - r->head < n ? r->cap - r->head : n;
	iov[0].iov_base = r->buf + r->head;
	iov[0].iov_len = first;
	iov[1].iov_base = r->buf;
	iov[1].iov_len = n - first;
	fuse_reply_iov(req, iov, n > first ? 2 : 1);
	r->head = (r->head + n) % r->cap;
	r->len -= n;
	return true;
}

void ring_read(fuse_req_t req, struct impfs *fs, struct ofile *of, size_t size, int flags)
{
	struct ring_reader *r = of->ring;
	struct preq *pr;

	if (ring_take(req, r, size))
		return;
	if (r->kind == RING_TRACE && !r->sk) {
		fuse_reply_buf(req, NULL, 0);	/* the connection is gone: EOF */
		return;
	}
	if (flags & O_NONBLOCK) {
		fuse_reply_err(req, EAGAIN);
		return;
	}
	pr = preq_new(req, P_RING, NULL);
	if (!pr) {
		preq_refuse(req, NULL, "read");
		return;
	}
	pr->size = size;
	preq_park(&r->waiters, pr);
}

/* ring_poll: readable when the ring holds something. */
void ring_poll(fuse_req_t req, struct ofile *of, struct fuse_pollhandle *ph)
{
	struct ring_reader *r = of->ring;

	if (ph) {
		if (r->ph)
			fuse_pollhandle_destroy(r->ph);
		r->ph = ph;
	}
	fuse_reply_poll(req, r->len || (r->kind == RING_TRACE && !r->sk) ? POLLIN | POLLRDNORM : 0);
}

/* ring_flush answers the parked reads and polls whose rings got data. */
void ring_flush(struct impfs *fs)
{
	for (struct ring_reader *r = fs->rings->readers; r; r = r->next) {
		bool ended = r->kind == RING_TRACE && !r->sk;
		while (r->waiters && (r->len || ended)) {
			struct preq *pr = r->waiters;
			preq_unlink(pr);
			if (!ring_take(pr->req, r, pr->size))
				fuse_reply_buf(pr->req, NULL, 0);
			preq_free(pr);
		}
		if (r->ph && (r->len || ended)) {
			fuse_lowlevel_notify_poll(r->ph);
			fuse_pollhandle_destroy(r->ph);
			r->ph = NULL;
		}
	}
}

/* log_ctl: "set CLASS" or "clear CLASS", CLASS one of tcp udp ip arp icmp dns all. */
int log_ctl(struct impfs *fs, char *line, char *why, size_t whylen)
{
	static const struct { const char *name; unsigned int bit; } classes[] = {
		{ "ip", NETLOG_IP }, { "arp", NETLOG_ARP }, { "icmp", NETLOG_ICMP },
		{ "udp", NETLOG_UDP }, { "tcp", NETLOG_TCP }, { "dns", NETLOG_DNS },
		{ "all", NETLOG_ALL },
	};
	char verb[16], cls[16], extra;
	int n = sscanf(line, "%15s %15s %c", verb, cls, &extra);

	if (n != 2 || (strcmp(verb, "set") && strcmp(verb, "clear"))) {
		snprintf(why, whylen, "usage: set|clear tcp|udp|ip|arp|icmp|dns|all");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!strcmp(cls, classes[i].name)) {
			if (verb[0] == 's')
				fs->rings->log_mask |= classes[i].bit;
			else
				fs->rings->log_mask &= ~classes[i].bit;
			log_update_mask(fs);
			return 0;
		}
	snprintf(why, whylen, "no class \"%s\" (tcp udp ip arp icmp all)", cls);
	return -EINVAL;
}

uint64_t pcap_drops(struct impfs *fs)
{
	return fs->rings->pcap_drops;
}

void ring_shutdown(struct impfs *fs)
{
	struct rings *rs = fs->rings;

	while (rs->readers) {
		struct ring_reader *r = rs->readers;
		rs->readers = r->next;
		while (r->waiters) {
			struct preq *pr = r->waiters;
			preq_unlink(pr);
			fuse_reply_err(pr->req, EINTR);
			preq_free(pr);
		}
		if (r->ph)
			fuse_pollhandle_destroy(r->ph);
		free(r->buf);
		free(r);
	}
	if (rs->npcap)
		dev_remove_tap(&fs->net, &rs->tap);
	fs->net.tcp_trace_fn = NULL;
	free(rs);
	fs->rings = NULL;
}
