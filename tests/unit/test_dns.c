/* DNS: the message parser fed well-formed and hostile replies byte by
 * byte, then the resolver on the in-memory device: the query it sends, the
 * replies it takes and the ones it drops (and counts), retries, timeouts,
 * the cache and its TTLs, failover, ICMP errors, TCP on truncation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "sock.h"
#include "dns.h"

static uint8_t f[ETH_HLEN + 65536];

/* --- building messages --- */

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put8(struct msg *m, uint8_t v) { put(m, &v, 1); }
static void put16(struct msg *m, uint16_t v) { put8(m, (uint8_t)(v >> 8)); put8(m, (uint8_t)v); }
static void put32(struct msg *m, uint32_t v) { put16(m, (uint16_t)(v >> 16)); put16(m, (uint16_t)v); }

static void put_name(struct msg *m, const char *name)
{
	uint8_t w[DNS_WIRE_MAX];
	int n = dns_name_encode(name, w, sizeof(w));

	assert_true(n > 0);
	put(m, w, (size_t)n);
}

static void put_ptr(struct msg *m, size_t off)
{
	put16(m, (uint16_t)(0xc000 | off));
}

static void header(struct msg *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, 0);
}

static void question(struct msg *m, const char *name, uint16_t type)
{
	put_name(m, name);
	put16(m, type);
	put16(m, DNS_C_IN);
}

/* rr_fixed: type, class IN, ttl, rdlength after an owner already put. */
static void rr_fixed(struct msg *m, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	put16(m, type);
	put16(m, DNS_C_IN);
	put32(m, ttl);
	put16(m, rdlen);
}

static void a_rr_at(struct msg *m, size_t owner, uint32_t ttl, uint32_t addr)
{
	put_ptr(m, owner);
	rr_fixed(m, DNS_T_A, ttl, 4);
	put(m, &addr, 4);
}

/* A reply to (name, A) with the given addresses, all at TTL ttl. */
static void a_reply(struct msg *m, uint16_t id, const char *name, uint32_t ttl,
		    const uint32_t *addrs, int n)
{
	header(m, id, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, (uint16_t)n, 0);
	question(m, name, DNS_T_A);
	for (int i = 0; i < n; i++)
		a_rr_at(m, DNS_HDRLEN, ttl, addrs[i]);
}

/* An NXDOMAIN with an SOA of TTL soa_ttl and MINIMUM minimum. */
static void nx_reply(struct msg *m, uint16_t id, const char *name, uint32_t soa_ttl, uint32_t minimum)
{
	header(m, id, DNS_F_QR | DNS_F_RD | DNS_F_RA | DNS_R_NXDOMAIN, 1, 0, 1);
	question(m, name, DNS_T_A);
	put_name(m, "test");
	rr_fixed(m, DNS_T_SOA, soa_ttl, 9 + 7 + 20);
	put(m, "\x02ns\x04test\x00", 9);
	put(m, "\x05" "admin\x00", 7);
	put32(m, 1);
	put32(m, 3600);
	put32(m, 600);
	put32(m, 86400);
	put32(m, minimum);
}

/* --- the parser --- */

static void test_query_exact(void **state)
{
	uint8_t b[512];
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
		0, 1, 0, 1,
	};

	assert_int_equal(dns_query_build(b, sizeof(b), 0x1234, "WWW.Example.test.", DNS_T_A), sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(dns_query_build(b, 20, 1, "www.example.test", DNS_T_A), -1);
}

static void test_name_rules(void **state)
{
	uint8_t w[DNS_WIRE_MAX];
	char name[400];

	assert_int_equal(dns_name_encode("a", w, sizeof(w)), 3);
	assert_int_equal(dns_name_encode("a.", w, sizeof(w)), 3);
	assert_int_equal(dns_name_encode("", w, sizeof(w)), -1);
	assert_int_equal(dns_name_encode(".", w, sizeof(w)), -1);
	assert_int_equal(dns_name_encode("a..b", w, sizeof(w)), -1);
	assert_int_equal(dns_name_encode(".a", w, sizeof(w)), -1);
	assert_int_equal(dns_name_encode("a..", w, sizeof(w)), -1);
	assert_int_equal(dns_name_encode("a b", w, sizeof(w)), -1);
	assert_int_equal(dns_name_encode("a\\.b", w, sizeof(w)), -1);
	assert_int_equal(dns_name_encode("h\xc3\xa9.test", w, sizeof(w)), -1);
	/* Labels of 63, not 64. */
	memset(name, 'x', 63);
	name[63] = 0;
	assert_int_equal(dns_name_encode(name, w, sizeof(w)), 65);
	memset(name, 'x', 64);
	name[64] = 0;
	assert_int_equal(dns_name_encode(name, w, sizeof(w)), -1);
	/* 253 characters of text at most (255 on the wire). */
	for (int i = 0; i < 400; i += 2) {
		name[i] = 'a';
		name[i + 1] = '.';
	}
	name[253] = 0;	/* "a.a. ... a" : 127 labels, 253 characters */
	assert_int_equal(dns_name_encode(name, w, sizeof(w)), 255);
	name[253] = '.';
	name[254] = 'a';
	name[255] = 0;
	assert_int_equal(dns_name_encode(name, w, sizeof(w)), -1);

	assert_true(dns_name_is_host("www.example.test"));
	assert_true(dns_name_is_host("my-host"));
	assert_true(dns_name_is_host("9host.x9"));
	assert_false(dns_name_is_host("-a.test"));
	assert_false(dns_name_is_host("a-.test"));
	assert_false(dns_name_is_host("host.123"));
	assert_false(dns_name_is_host("1.2.3.4"));
	assert_false(dns_name_is_host(""));
}

static void test_name_read(void **state)
{
	uint8_t out[DNS_WIRE_MAX];
	char text[300];
	size_t next = 0;
	/* 0: "\3foo\0"; 5: "\3bar" -> 0; 11: -> 5 */
	static const uint8_t m[] = { 3, 'f', 'o', 'o', 0, 3, 'b', 'a', 'r', 0xc0, 0, 0xc0, 5 };

	assert_int_equal(dns_name_read(m, sizeof(m), 11, out, &next), DNS_OK);
	assert_int_equal(next, 13);
	dns_name_text(out, text, sizeof(text));
	assert_string_equal(text, "bar.foo");
	assert_int_equal(dns_name_read(m, sizeof(m), 5, out, &next), DNS_OK);
	assert_int_equal(next, 11);

	/* A pointer to itself, to a later byte, ping-pong between two. */
	static const uint8_t self[] = { 0, 0, 0xc0, 2 };
	assert_int_equal(dns_name_read(self, sizeof(self), 2, out, &next), DNS_BAD_NAME);
	static const uint8_t fwd[] = { 0xc0, 2, 0 };
	assert_int_equal(dns_name_read(fwd, sizeof(fwd), 0, out, &next), DNS_BAD_NAME);
	static const uint8_t pingpong[] = { 1, 'a', 0xc0, 4, 1, 'b', 0xc0, 0 };
	assert_int_equal(dns_name_read(pingpong, sizeof(pingpong), 4, out, &next), DNS_BAD_NAME);
	assert_int_equal(dns_name_read(pingpong, sizeof(pingpong), 0, out, &next), DNS_BAD_NAME);
	/* Cut inside a label, inside a pointer, before the root. */
	static const uint8_t cut[] = { 3, 'f', 'o' };
	assert_int_equal(dns_name_read(cut, sizeof(cut), 0, out, &next), DNS_BAD_SHORT);
	static const uint8_t cutptr[] = { 0, 0xc0 };
	assert_int_equal(dns_name_read(cutptr, sizeof(cutptr), 1, out, &next), DNS_BAD_SHORT);
	static const uint8_t noroot[] = { 1, 'a' };
	assert_int_equal(dns_name_read(noroot, sizeof(noroot), 0, out, &next), DNS_BAD_SHORT);
	/* The label types RFC 6891 retired. */
	static const uint8_t ext[] = { 0x41, 0 };
	assert_int_equal(dns_name_read(ext, sizeof(ext), 0, out, &next), DNS_BAD_NAME);
	static const uint8_t ext2[] = { 0x80, 0 };
	assert_int_equal(dns_name_read(ext2, sizeof(ext2), 0, out, &next), DNS_BAD_NAME);

	/* Backward pointers can still build a name too long: refused. */
	static uint8_t longm[4096];
	size_t n = 0;
	longm[n++] = 0;
	for (int i = 0; i < 70; i++) {
		size_t at = n;
		longm[n++] = 3;
		longm[n++] = 'a';
		longm[n++] = 'b';
		longm[n++] = 'c';
		longm[n++] = 0xc0;
		longm[n++] = (uint8_t)(i == 0 ? 0 : at - 6);
	}
	assert_int_equal(dns_name_read(longm, n, n - 6, out, &next), DNS_BAD_NAME);
	/* A byte that is not a host character comes out escaped. */
	static const uint8_t odd[] = { 3, 'a', '.', 0x7f, 0 };
	assert_int_equal(dns_name_read(odd, sizeof(odd), 0, out, &next), DNS_OK);
	dns_name_text(out, text, sizeof(text));
	assert_string_equal(text, "a\\046\\127");
}

static void test_reply_good(void **state)
{
	struct msg m;
	struct dns_reply r;
	uint32_t addrs[3] = { ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), ip4(10, 0, 0, 3) };

	a_reply(&m, 7, "www.example.test", 300, addrs, 3);
	/* TTLs differ: the least counts (the last record's: 100). */
	memcpy(m.b + m.n - 10, "\0\0\0\x64", 4);
	assert_int_equal(dns_reply_parse(m.b, m.n, "WWW.example.test", DNS_T_A, &r), DNS_OK);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.rcode, DNS_R_NOERROR);
	assert_false(r.tc);
	assert_int_equal(r.naddrs, 3);
	assert_memory_equal(r.addrs, addrs, sizeof(addrs));
	assert_int_equal(r.ttl, 100);
	assert_string_equal(r.cname, "");

	/* RFC 2181 §8: a TTL with the high bit set is 0. */
	a_reply(&m, 7, "www.example.test", 0x80000001u, addrs, 1);
	assert_int_equal(dns_reply_parse(m.b, m.n, "www.example.test", DNS_T_A, &r), DNS_OK);
	assert_int_equal(r.ttl, 0);

	/* Records of another name, class or type are passed over. */
	header(&m, 9, DNS_F_QR, 1, 4, 0);
	question(&m, "www.example.test", DNS_T_A);
	put_name(&m, "other.test");
	rr_fixed(&m, DNS_T_A, 10, 4);
	put32(&m, 0x01010101);
	put_ptr(&m, DNS_HDRLEN);
	put16(&m, DNS_T_A); put16(&m, 3 /* CH */); put32(&m, 10); put16(&m, 4); put32(&m, 0x02020202);
	put_ptr(&m, DNS_HDRLEN);
	rr_fixed(&m, 16 /* TXT */, 10, 3);
	put(&m, "\x02hi", 3);
	a_rr_at(&m, DNS_HDRLEN, 20, addrs[1]);
	assert_int_equal(dns_reply_parse(m.b, m.n, "www.example.test", DNS_T_A, &r), DNS_OK);
	assert_int_equal(r.naddrs, 1);
	assert_int_equal(r.addrs[0], addrs[1]);
	assert_int_equal(r.ttl, 20);
}

static void test_reply_cname(void **state)
{
	struct msg m;
	struct dns_reply r;
	uint32_t a = ip4(192, 0, 2, 7);

	/* alias -> mid -> real, the records in the wrong order, the A first. */
	header(&m, 1, DNS_F_QR, 1, 3, 0);
	question(&m, "alias.test", DNS_T_A);
	put_name(&m, "real.test");
	rr_fixed(&m, DNS_T_A, 50, 4);
	put(&m, &a, 4);
	put_name(&m, "mid.test");
	rr_fixed(&m, DNS_T_CNAME, 40, 11);
	put_name(&m, "real.test");
	put_ptr(&m, DNS_HDRLEN);
	rr_fixed(&m, DNS_T_CNAME, 30, 10);
	put_name(&m, "mid.test");
	assert_int_equal(dns_reply_parse(m.b, m.n, "alias.test", DNS_T_A, &r), DNS_OK);
	assert_int_equal(r.naddrs, 1);
	assert_int_equal(r.addrs[0], a);
	assert_int_equal(r.ttl, 30);
	assert_string_equal(r.cname, "real.test");

	/* A CNAME loop (a -> b -> a) ends: no address, no hang. */
	header(&m, 1, DNS_F_QR, 1, 2, 0);
	question(&m, "a.test", DNS_T_A);
	put_ptr(&m, DNS_HDRLEN);
	rr_fixed(&m, DNS_T_CNAME, 30, 8);
	put_name(&m, "b.test");
	put_name(&m, "b.test");
	rr_fixed(&m, DNS_T_CNAME, 30, 2);
	put_ptr(&m, DNS_HDRLEN);
	assert_int_equal(dns_reply_parse(m.b, m.n, "a.test", DNS_T_A, &r), DNS_OK);
	assert_int_equal(r.naddrs, 0);

	/* A CNAME whose name runs past its rdata. */
	header(&m, 1, DNS_F_QR, 1, 1, 0);
	question(&m, "a.test", DNS_T_A);
	put_ptr(&m, DNS_HDRLEN);
	rr_fixed(&m, DNS_T_CNAME, 30, 3);
	put_name(&m, "b.test");
	assert_int_equal(dns_reply_parse(m.b, m.n, "a.test", DNS_T_A, &r), DNS_BAD_RDATA);
}

static void test_reply_aaaa(void **state)
{
	struct msg m;
	struct dns_reply r;
	static const uint8_t v6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x17 };
	uint32_t a = ip4(10, 0, 0, 1);

	header(&m, 1, DNS_F_QR, 1, 2, 0);
	question(&m, "v6.test", DNS_T_AAAA);
	a_rr_at(&m, DNS_HDRLEN, 10, a);		/* an A in an AAAA answer: not taken */
	put_ptr(&m, DNS_HDRLEN);
	rr_fixed(&m, DNS_T_AAAA, 10, 16);
	put(&m, v6, 16);
	assert_int_equal(dns_reply_parse(m.b, m.n, "v6.test", DNS_T_AAAA, &r), DNS_OK);
	assert_int_equal(r.naddrs, 0);
	assert_int_equal(r.naddrs6, 1);
	assert_memory_equal(r.addrs6[0], v6, 16);
	/* An AAAA of 4 bytes is refused. */
	m.b[m.n - 16 - 1] = 4;
	m.n -= 12;
	assert_int_equal(dns_reply_parse(m.b, m.n, "v6.test", DNS_T_AAAA, &r), DNS_BAD_RDATA);
}

static void test_reply_refused(void **state)
{
	struct msg m;
	struct dns_reply r;
	uint32_t a = ip4(10, 0, 0, 1);

	/* Not a reply; another opcode. */
	a_reply(&m, 1, "x.test", 10, &a, 1);
	m.b[2] &= 0x7f;
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_A, &r), DNS_BAD_NOTREPLY);
	a_reply(&m, 1, "x.test", 10, &a, 1);
	m.b[2] |= 0x10;	/* opcode 2, STATUS */
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_A, &r), DNS_BAD_NOTREPLY);
	/* Another name, type, class; no question, two. */
	a_reply(&m, 1, "y.test", 10, &a, 1);
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_A, &r), DNS_BAD_QUESTION);
	a_reply(&m, 1, "x.test", 10, &a, 1);
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_AAAA, &r), DNS_BAD_QUESTION);
	m.b[DNS_HDRLEN + 8 + 3] = 3;	/* class CH */
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_A, &r), DNS_BAD_QUESTION);
	a_reply(&m, 1, "x.test", 10, &a, 1);
	m.b[5] = 0;
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_A, &r), DNS_BAD_QUESTION);
	m.b[5] = 2;
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_A, &r), DNS_BAD_QUESTION);
	/* An A record of 5 bytes. */
	header(&m, 1, DNS_F_QR, 1, 1, 0);
	question(&m, "x.test", DNS_T_A);
	put_ptr(&m, DNS_HDRLEN);
	rr_fixed(&m, DNS_T_A, 10, 5);
	put(&m, "\1\2\3\4\5", 5);
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_A, &r), DNS_BAD_RDATA);
	/* More records said than there are. */
	a_reply(&m, 1, "x.test", 10, &a, 1);
	m.b[7] = 2;
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_A, &r), DNS_BAD_SHORT);
}

/* Every prefix of a good reply is refused, and never read past. */
static void test_reply_every_prefix(void **state)
{
	struct msg m;
	struct dns_reply r;
	uint32_t a[2] = { ip4(10, 0, 0, 1), ip4(10, 0, 0, 2) };

	nx_reply(&m, 1, "x.test", 100, 50);
	a_reply(&m, 1, "x.test", 10, a, 2);
	for (size_t len = 0; len < m.n; len++) {
		uint8_t *copy = malloc(len ? len : 1);	/* exactly len: a read past is valgrind's to see */
		memcpy(copy, m.b, len);
		assert_int_not_equal(dns_reply_parse(copy, len, "x.test", DNS_T_A, &r), DNS_OK);
		free(copy);
	}
	assert_int_equal(dns_reply_parse(m.b, m.n, "x.test", DNS_T_A, &r), DNS_OK);
	assert_int_equal(r.naddrs, 2);
}

static void test_reply_negative(void **state)
{
	struct msg m;
	struct dns_reply r;

	nx_reply(&m, 3, "nosuch.test", 100, 50);
	assert_int_equal(dns_reply_parse(m.b, m.n, "nosuch.test", DNS_T_A, &r), DNS_OK);
	assert_int_equal(r.rcode, DNS_R_NXDOMAIN);
	assert_true(r.has_soa);
	assert_int_equal(r.neg_ttl, 50);
	nx_reply(&m, 3, "nosuch.test", 20, 50);
	assert_int_equal(dns_reply_parse(m.b, m.n, "nosuch.test", DNS_T_A, &r), DNS_OK);
	assert_int_equal(r.neg_ttl, 20);
	/* A truncated reply: the header and question are enough. */
	header(&m, 3, DNS_F_QR | DNS_F_TC, 1, 5, 0);
	question(&m, "big.test", DNS_T_A);
	put(&m, "\xc0\x0c\x00", 3);
	assert_int_equal(dns_reply_parse(m.b, m.n, "big.test", DNS_T_A, &r), DNS_OK);
	assert_true(r.tc);
}

/* Random damage to a good reply: any verdict, but no crash. */
static void test_reply_mutations(void **state)
{
	struct msg m, bad;
	struct dns_reply r;
	uint32_t a[3] = { ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), ip4(10, 0, 0, 3) };
	uint64_t seed = 42;

	a_reply(&m, 1, "www.example.test", 10, a, 3);
	for (int i = 0; i < 20000; i++) {
		bad = m;
		int k = 1 + (int)(xrand(&seed) % 4);
		for (int j = 0; j < k; j++)
			bad.b[xrand(&seed) % bad.n] = (uint8_t)xrand(&seed);
		int v = dns_reply_parse(bad.b, bad.n, "www.example.test", DNS_T_A, &r);
		assert_true(v >= DNS_OK && v <= DNS_BAD_RDATA);
		assert_true(r.naddrs >= 0 && r.naddrs <= DNS_MAX_ADDRS);
	}
}

/* --- the resolver on the memdev --- */

struct got {
	int calls;
	struct dns_result res;
};

static void got_cb(void *arg, const struct dns_result *res)
{
	struct got *g = arg;

	g->calls++;
	g->res = *res;
}

/* A query the stack sent: to whom, from which port, its id and name. */
struct sent {
	uint32_t daddr;
	uint16_t sport, dport, id;
	char name[300];
	uint16_t qtype;
};

static void pop_query(struct env *e, struct sent *s)
{
	struct rx rx;
	const struct udphdr *uh;
	const uint8_t *q;
	uint8_t w[DNS_WIRE_MAX];
	size_t next;

	pop_ipv4(e->dev, PEER_MAC, &rx);
	assert_int_equal(rx.ip->protocol, IPPROTO_UDP);
	uh = (const struct udphdr *)rx.l4;
	assert_int_equal(udp_csum_check(rx.ip->saddr, rx.ip->daddr, rx.l4, rx.l4len), 0);
	s->daddr = rx.ip->daddr;
	s->sport = ntohs(uh->source);
	s->dport = ntohs(uh->dest);
	q = rx.l4 + sizeof(*uh);
	size_t qlen = rx.l4len - sizeof(*uh);
	assert_true(qlen > DNS_HDRLEN + 4);
	s->id = (uint16_t)(q[0] << 8 | q[1]);
	assert_int_equal(q[2], 0x01);	/* RD */
	assert_int_equal(q[3], 0);
	assert_int_equal(q[4] << 8 | q[5], 1);
	assert_int_equal(dns_name_read(q, qlen, DNS_HDRLEN, w, &next), DNS_OK);
	assert_int_equal(next + 4, qlen);
	dns_name_text(w, s->name, sizeof(s->name));
	s->qtype = (uint16_t)(q[next] << 8 | q[next + 1]);
	rx_free(&rx);
}

/* reply delivers m from server:sport to our port. */
static void reply(struct env *e, uint32_t server, uint16_t sport, uint16_t dport, const struct msg *m)
{
	memdev_inject(e->dev, f, udp_build(f, PEER_MAC, server, sport, OUR_IP, dport, m->b, m->n));
	net_run_wakeups(&e->net);
}

static void servers(struct env *e, uint32_t a, uint32_t b)
{
	uint32_t s[2] = { a, b };

	assert_int_equal(dns_set_servers(&e->net, s, b ? 2 : 1), 0);
}

static struct dns_lookup *ask(struct env *e, const char *name, struct got *g)
{
	struct dns_lookup *q;
	struct dns_result now;

	memset(g, 0, sizeof(*g));
	assert_int_equal(dns_resolve(&e->net, name, DNS_T_A, got_cb, g, &now, &q), -EINPROGRESS);
	assert_non_null(q);
	net_run_wakeups(&e->net);
	assert_int_equal(g->calls, 0);	/* never from inside dns_resolve */
	return q;
}

static void test_resolve_answer_and_cache(void **state)
{
	struct env *e = *state;
	struct dns_result now;
	struct dns_lookup *q;
	struct sent s;
	struct msg m;
	struct got g;
	uint32_t a = ip4(10, 0, 0, 80);

	servers(e, PEER_IP, 0);
	ask(e, "www.example.test", &g);
	pop_query(e, &s);
	assert_int_equal(s.daddr, PEER_IP);
	assert_int_equal(s.dport, 53);
	assert_true(s.sport >= EPHEMERAL_LOW && s.sport <= EPHEMERAL_HIGH);
	assert_string_equal(s.name, "www.example.test");
	assert_int_equal(s.qtype, DNS_T_A);
	assert_int_equal(e->net.dns.stats.Sent, 1);
	a_reply(&m, s.id, "www.example.test", 30, &a, 1);
	reply(e, PEER_IP, 53, s.sport, &m);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.err, 0);
	assert_int_equal(g.res.naddrs, 1);
	assert_int_equal(g.res.addrs[0], a);
	assert_int_equal(e->net.dns.stats.Answers, 1);
	assert_null(e->net.dns.queries);
	assert_int_equal(memdev_pending(e->dev), 0);

	/* From the cache, until the TTL runs out. */
	assert_int_equal(dns_resolve(&e->net, "WWW.example.test.", DNS_T_A, got_cb, &g, &now, &q), 0);
	assert_null(q);
	assert_true(now.cached);
	assert_int_equal(now.addrs[0], a);
	assert_int_equal(e->net.dns.stats.CacheHits, 1);
	assert_int_equal(memdev_pending(e->dev), 0);
	run_until(&e->net, T0 + 29 * SEC);
	assert_int_equal(dns_resolve(&e->net, "www.example.test", DNS_T_A, got_cb, &g, &now, &q), 0);
	run_until(&e->net, T0 + 31 * SEC);
	assert_int_equal(dns_resolve(&e->net, "www.example.test", DNS_T_A, got_cb, &g, &now, &q), -EINPROGRESS);
	assert_int_equal(memdev_pending(e->dev), 1);
	dns_cancel(q);
	drain(e->dev);

	/* A dotted address needs nobody. */
	assert_int_equal(dns_resolve(&e->net, "10.1.2.3", DNS_T_A, got_cb, &g, &now, &q), 0);
	assert_int_equal(now.addrs[0], ip4(10, 1, 2, 3));
	assert_int_equal(dns_resolve(&e->net, "10.1.2", DNS_T_A, got_cb, &g, &now, &q), -EINVAL);
	assert_int_equal(dns_resolve(&e->net, "bad name", DNS_T_A, got_cb, &g, &now, &q), -EINVAL);
	assert_int_equal(dns_resolve(&e->net, "x.test", 15, got_cb, &g, &now, &q), -EINVAL);
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_resolve_drops_forgeries(void **state)
{
	struct env *e = *state;
	struct sent s;
	struct msg m;
	struct got g;
	uint32_t good = ip4(10, 0, 0, 80), evil = ip4(6, 6, 6, 6);
	uint64_t noports;

	servers(e, PEER_IP, 0);
	ask(e, "www.example.test", &g);
	pop_query(e, &s);
	/* Wrong id; another question; garbage: dropped, counted, waited past. */
	a_reply(&m, (uint16_t)(s.id + 1), "www.example.test", 30, &evil, 1);
	reply(e, PEER_IP, 53, s.sport, &m);
	a_reply(&m, s.id, "www.example.tesu", 30, &evil, 1);
	reply(e, PEER_IP, 53, s.sport, &m);
	a_reply(&m, s.id, "www.example.test", 30, &evil, 1);
	m.b[m.n - 16 + 0] = 0xc0;	/* the owner now points at itself */
	m.b[m.n - 16 + 1] = (uint8_t)(m.n - 16);
	reply(e, PEER_IP, 53, s.sport, &m);
	a_reply(&m, s.id, "www.example.test", 30, &evil, 1);
	m.n -= 1;
	reply(e, PEER_IP, 53, s.sport, &m);
	assert_int_equal(g.calls, 0);
	assert_int_equal(e->net.dns.stats.BadId, 1);
	assert_int_equal(e->net.dns.stats.BadQuestion, 1);
	assert_int_equal(e->net.dns.stats.BadName, 1);
	assert_int_equal(e->net.dns.stats.BadShort, 1);
	/* From another port, another address: the socket is connected, so
	 * they never reach it (UDP's NoPorts, and a port unreachable back). */
	noports = e->net.udpstats.NoPorts;
	a_reply(&m, s.id, "www.example.test", 30, &evil, 1);
	reply(e, PEER_IP, 5353, s.sport, &m);
	reply(e, OTHER_IP, 53, s.sport, &m);
	assert_int_equal(e->net.udpstats.NoPorts, noports + 2);
	drain(e->dev);
	assert_int_equal(g.calls, 0);
	/* The real one is still taken. */
	a_reply(&m, s.id, "www.example.test", 30, &good, 1);
	reply(e, PEER_IP, 53, s.sport, &m);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.addrs[0], good);
}

static void test_resolve_retries_and_timeout(void **state)
{
	struct env *e = *state;
	struct got g;
	uint32_t other = ip4(10, 0, 0, 3);
	uint8_t mac[ETH_ALEN] = { 2, 0, 0, 0, 0, 3 };

	assert_int_equal(neigh_add_static(e->dev, other, mac), 0);
	servers(e, PEER_IP, other);
	ask(e, "slow.test", &g);
	/* Tries go round the servers; 1 s, then 2, then 4 per round. */
	uint64_t at[6] = { 0, 1, 2, 4, 6, 10 };
	for (int i = 0; i < 6; i++) {
		run_until(&e->net, T0 + at[i] * SEC);
		net_run_wakeups(&e->net);
		assert_int_equal(memdev_pending(e->dev), 1);
		struct rx rx;
		pop_ipv4(e->dev, i % 2 ? mac : PEER_MAC, &rx);
		rx_free(&rx);
		assert_int_equal(g.calls, 0);
	}
	assert_int_equal(e->net.dns.stats.Retries, 5);
	run_until(&e->net, T0 + 14 * SEC - 1);
	assert_int_equal(g.calls, 0);
	run_until(&e->net, T0 + 14 * SEC);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.err, -ETIMEDOUT);
	assert_string_equal(g.res.why, "no answer from 10.0.0.2 and the others after 6 tries");
	assert_int_equal(e->net.dns.stats.TimedOut, 1);
	assert_null(e->net.dns.queries);
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_resolve_each_try_fresh(void **state)
{
	struct env *e = *state;
	struct sent s1, s2;
	struct msg m;
	struct got g;
	uint32_t a = ip4(10, 0, 0, 80);

	servers(e, PEER_IP, 0);
	ask(e, "www.example.test", &g);
	pop_query(e, &s1);
	run_until(&e->net, T0 + SEC);
	pop_query(e, &s2);
	/* The retry has its own id and port; the first try's are gone. */
	assert_true(s1.id != s2.id || s1.sport != s2.sport);
	a_reply(&m, s1.id, "www.example.test", 30, &a, 1);
	reply(e, PEER_IP, 53, s1.sport, &m);
	if (s1.sport != s2.sport) {
		assert_int_equal(g.calls, 0);
		drain(e->dev);	/* port unreachable */
	}
	a_reply(&m, s2.id, "www.example.test", 30, &a, 1);
	reply(e, PEER_IP, 53, s2.sport, &m);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.err, 0);
}

static void test_resolve_negative(void **state)
{
	struct env *e = *state;
	struct dns_result now;
	struct dns_lookup *q;
	struct sent s;
	struct msg m;
	struct got g;

	servers(e, PEER_IP, 0);
	ask(e, "nosuch.test", &g);
	pop_query(e, &s);
	nx_reply(&m, s.id, "nosuch.test", 100, 50);
	reply(e, PEER_IP, 53, s.sport, &m);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.err, -ENOENT);
	assert_string_equal(g.res.why, "no such name (NXDOMAIN from 10.0.0.2)");
	assert_int_equal(e->net.dns.stats.NXDomain, 1);
	/* Kept min(SOA TTL, MINIMUM) = 50 s. */
	run_until(&e->net, T0 + 49 * SEC);
	assert_int_equal(dns_resolve(&e->net, "nosuch.test", DNS_T_A, got_cb, &g, &now, &q), -ENOENT);
	assert_true(now.cached);
	run_until(&e->net, T0 + 51 * SEC);
	assert_int_equal(dns_resolve(&e->net, "nosuch.test", DNS_T_A, got_cb, &g, &now, &q), -EINPROGRESS);
	dns_cancel(q);
	drain(e->dev);

	/* NOERROR and no address: ENODATA, not kept without an SOA. */
	ask(e, "empty.test", &g);
	pop_query(e, &s);
	a_reply(&m, s.id, "empty.test", 30, NULL, 0);
	reply(e, PEER_IP, 53, s.sport, &m);
	assert_int_equal(g.res.err, -ENODATA);
	assert_int_equal(dns_resolve(&e->net, "empty.test", DNS_T_A, got_cb, &g, &now, &q), -EINPROGRESS);
	dns_cancel(q);
}

static void test_resolve_failover(void **state)
{
	struct env *e = *state;
	struct sent s;
	struct msg m;
	struct got g;
	uint32_t other = ip4(10, 0, 0, 3), a = ip4(10, 0, 0, 80);
	uint8_t mac[ETH_ALEN] = { 2, 0, 0, 0, 0, 3 };
	struct rx rx;
	uint8_t quote[28];

	assert_int_equal(neigh_add_static(e->dev, other, mac), 0);
	servers(e, PEER_IP, other);
	/* SERVFAIL: the next server, at once. */
	ask(e, "www.example.test", &g);
	pop_query(e, &s);
	a_reply(&m, s.id, "www.example.test", 30, NULL, 0);
	m.b[3] |= DNS_R_SERVFAIL;
	reply(e, PEER_IP, 53, s.sport, &m);
	assert_int_equal(g.calls, 0);
	assert_int_equal(e->net.dns.stats.ServFail, 1);
	pop_ipv4(e->dev, mac, &rx);
	assert_int_equal(rx.ip->daddr, other);
	/* An ICMP port unreachable about that one (sent from PEER_IP by
	 * icmp_error_build; the quote names other): the first server again,
	 * at once. */
	memcpy(quote, rx.ip, 20);
	memcpy(quote + 20, rx.l4, 8);
	rx_free(&rx);
	memdev_inject(e->dev, f, icmp_error_build(f, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, quote, 28));
	net_run_wakeups(&e->net);
	assert_int_equal(e->net.dns.stats.PortUnreach, 1);
	pop_query(e, &s);
	assert_int_equal(s.daddr, PEER_IP);
	a_reply(&m, s.id, "www.example.test", 30, &a, 1);
	reply(e, PEER_IP, 53, s.sport, &m);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.addrs[0], a);

	/* Every try refused: ECONNREFUSED and the last sentence. */
	ask(e, "refused.test", &g);
	for (int i = 0; i < 6; i++) {
		struct rx r2;
		pop_ipv4(e->dev, i % 2 ? mac : PEER_MAC, &r2);
		const uint8_t *q = r2.l4 + 8;
		a_reply(&m, (uint16_t)(q[0] << 8 | q[1]), "refused.test", 30, NULL, 0);
		m.b[3] |= DNS_R_REFUSED;
		uint16_t sp = ntohs(((const struct udphdr *)r2.l4)->source);
		uint32_t from = r2.ip->daddr;
		rx_free(&r2);
		reply(e, from, 53, sp, &m);
	}
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.err, -ECONNREFUSED);
	assert_string_equal(g.res.why, "the name server refused to answer (REFUSED from 10.0.0.3)");
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_resolve_truncated_goes_tcp(void **state)
{
	struct env *e = *state;
	struct sent s;
	struct msg m;
	struct got g;
	struct tcp_seen t;
	struct dns_lookup *l;

	servers(e, PEER_IP, 0);
	l = ask(e, "big.test", &g);
	pop_query(e, &s);
	header(&m, s.id, DNS_F_QR | DNS_F_TC, 1, 30, 0);
	question(&m, "big.test", DNS_T_A);
	reply(e, PEER_IP, 53, s.sport, &m);
	assert_int_equal(e->net.dns.stats.Truncated, 1);
	assert_int_equal(e->net.dns.stats.TcpQueries, 1);
	pop_tcp(e->dev, PEER_MAC, &t);
	assert_int_equal(t.dport, 53);
	assert_int_equal(t.flags, TH_SYN);
	uint16_t tport = t.sport;
	uint32_t iss = t.seq;
	tcp_seen_free(&t);
	/* Refused (RST): counted, and back to UDP. */
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 53, OUR_IP, tport, 0, iss + 1,
					   TH_RST | TH_ACK, 0, NULL, 0, NULL, 0));
	net_run_wakeups(&e->net);
	assert_int_equal(e->net.dns.stats.TcpErrors, 1);
	pop_query(e, &s);
	assert_int_equal(g.calls, 0);
	dns_cancel(l);
	assert_null(e->net.dns.queries);
}

/* Lookups of one name in flight share its query; each may leave alone. */
static void test_resolve_joined(void **state)
{
	struct env *e = *state;
	struct dns_lookup *l1, *l2;
	struct sent s;
	struct msg m;
	struct got g1, g2, g3;
	uint32_t a = ip4(10, 0, 0, 80);

	servers(e, PEER_IP, 0);
	ask(e, "www.example.test", &g1);
	l2 = ask(e, "WWW.example.test.", &g2);
	ask(e, "www.example.test", &g3);
	assert_int_equal(e->net.dns.stats.Joined, 2);
	pop_query(e, &s);
	assert_int_equal(memdev_pending(e->dev), 0);	/* one query */
	dns_cancel(l2);
	a_reply(&m, s.id, "www.example.test", 30, &a, 1);
	reply(e, PEER_IP, 53, s.sport, &m);
	assert_int_equal(g1.calls, 1);
	assert_int_equal(g2.calls, 0);
	assert_int_equal(g3.calls, 1);
	assert_int_equal(g1.res.addrs[0], a);
	assert_int_equal(g3.res.addrs[0], a);

	/* Every lookup gone: the query goes too, and sends no more. */
	l1 = ask(e, "other.test", &g1);
	l2 = ask(e, "other.test", &g2);
	pop_query(e, &s);
	dns_cancel(l1);
	assert_non_null(e->net.dns.queries);
	dns_cancel(l2);
	assert_null(e->net.dns.queries);
	run_until(&e->net, T0 + 20 * SEC);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(g1.calls + g2.calls, 0);
}

/* The cache holds DNS_CACHE_SIZE answers; past that the oldest goes. */
static void test_resolve_cache_cap(void **state)
{
	struct env *e = *state;
	struct dns_result now;
	struct dns_lookup *q;
	struct sent s;
	struct msg m;
	struct got g;
	char name[32];
	uint32_t a = ip4(10, 0, 0, 80);
	int live = 0;

	servers(e, PEER_IP, 0);
	for (int i = 0; i < DNS_CACHE_SIZE + 10; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		ask(e, name, &g);
		pop_query(e, &s);
		a_reply(&m, s.id, name, 100, &a, 1);
		reply(e, PEER_IP, 53, s.sport, &m);
		assert_int_equal(g.calls, 1);
		e->net.now += 1000;	/* so that "oldest" means something */
	}
	for (int i = 0; i < DNS_CACHE_SIZE; i++)
		live += dns_cache_live(&e->net, i);
	assert_int_equal(live, DNS_CACHE_SIZE);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		assert_int_equal(dns_resolve(&e->net, name, DNS_T_A, got_cb, &g, &now, &q), -EINPROGRESS);
		dns_cancel(q);
		drain(e->dev);
	}
	for (int i = 10; i < DNS_CACHE_SIZE + 10; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		assert_int_equal(dns_resolve(&e->net, name, DNS_T_A, got_cb, &g, &now, &q), 0);
	}
	dns_flush(&e->net);
	assert_int_equal(dns_resolve(&e->net, "n20.test", DNS_T_A, got_cb, &g, &now, &q), -EINPROGRESS);
	dns_cancel(q);
}

/* The TCP try whole: handshake, the query behind its length, the reply
 * behind its length in two pieces, split inside the length. */
static void test_resolve_tcp_answer(void **state)
{
	struct env *e = *state;
	struct sent s;
	struct msg m, r;
	struct got g;
	struct tcp_seen t;
	uint32_t addrs[20];
	uint8_t q[600];
	size_t qlen = 0;

	for (int i = 0; i < 20; i++)
		addrs[i] = ip4(10, 0, 2, (unsigned)i + 1);
	servers(e, PEER_IP, 0);
	ask(e, "big.test", &g);
	pop_query(e, &s);
	header(&m, s.id, DNS_F_QR | DNS_F_TC, 1, 0, 0);
	question(&m, "big.test", DNS_T_A);
	reply(e, PEER_IP, 53, s.sport, &m);
	pop_tcp(e->dev, PEER_MAC, &t);
	uint16_t tport = t.sport;
	uint32_t iss = t.seq;
	tcp_seen_free(&t);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 53, OUR_IP, tport, 7000, iss + 1,
					   TH_SYN | TH_ACK, 65535, NULL, 0, NULL, 0));
	net_run_wakeups(&e->net);
	/* The ACK and the query, however the stack cuts them. */
	while (memdev_pending(e->dev)) {
		pop_tcp(e->dev, PEER_MAC, &t);
		assert_true(qlen + t.dlen <= sizeof(q));
		memcpy(q + qlen, t.data, t.dlen);
		qlen += t.dlen;
		tcp_seen_free(&t);
	}
	assert_true(qlen > 2 + DNS_HDRLEN);
	assert_int_equal((size_t)(q[0] << 8 | q[1]), qlen - 2);
	uint16_t id = (uint16_t)(q[2] << 8 | q[3]);
	a_reply(&m, id, "big.test", 60, addrs, 20);
	r.n = 0;
	put16(&r, (uint16_t)m.n);
	put(&r, m.b, m.n);
	uint32_t seq = 7001, ack = iss + 1 + (uint32_t)qlen;
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 53, OUR_IP, tport, seq, ack, TH_ACK | TH_PSH,
					   65535, NULL, 0, r.b, 1));
	net_run_wakeups(&e->net);
	assert_int_equal(g.calls, 0);
	memdev_inject(e->dev, f, tcp_build(f, PEER_IP, 53, OUR_IP, tport, seq + 1, ack,
					   TH_ACK | TH_PSH | TH_FIN, 65535, NULL, 0, r.b + 1, r.n - 1));
	net_run_wakeups(&e->net);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.res.err, 0);
	assert_int_equal(g.res.naddrs, DNS_MAX_ADDRS);
	assert_memory_equal(g.res.addrs, addrs, DNS_MAX_ADDRS * 4);
	assert_int_equal(e->net.dns.stats.TcpErrors, 0);
	assert_int_equal(e->net.dns.stats.Answers, 1);
	drain(e->dev);
}

static void test_resolve_cancel_and_cleanup(void **state)
{
	struct env *e = *state;
	struct dns_result now;
	struct dns_lookup *q;
	struct sent s;
	struct msg m;
	struct got g;
	uint32_t a = ip4(10, 0, 0, 80);

	/* No server: at once. */
	assert_int_equal(dns_resolve(&e->net, "x.test", DNS_T_A, got_cb, &g, &now, &q), -ENETUNREACH);
	assert_string_equal(now.why, "no name server (impfs --dns ADDR, or DHCP)");
	servers(e, PEER_IP, 0);
	q = ask(e, "www.example.test", &g);
	pop_query(e, &s);
	dns_cancel(q);
	a_reply(&m, s.id, "www.example.test", 30, &a, 1);
	reply(e, PEER_IP, 53, s.sport, &m);
	run_until(&e->net, T0 + 20 * SEC);
	assert_int_equal(g.calls, 0);
	drain(e->dev);
	/* A lease's servers: the usable ones, unless --dns fixed the list. */
	uint32_t lease[6] = { 0, ip4(127, 0, 0, 1), ip4(224, 0, 0, 1), ip4(10, 0, 0, 53),
			      INADDR_BROADCAST, ip4(10, 0, 0, 54) };
	assert_int_equal(dns_lease_servers(&e->net, lease, 6), 2);
	assert_int_equal(e->net.dns.nservers, 2);
	assert_int_equal(e->net.dns.servers[0], ip4(10, 0, 0, 53));
	assert_int_equal(e->net.dns.servers[1], ip4(10, 0, 0, 54));
	assert_int_equal(dns_lease_servers(&e->net, lease, 3), 0);	/* none usable: kept */
	assert_int_equal(e->net.dns.nservers, 2);
	e->net.dns.fixed = true;
	assert_int_equal(dns_lease_servers(&e->net, lease + 5, 1), 0);
	assert_int_equal(e->net.dns.servers[0], ip4(10, 0, 0, 53));
	e->net.dns.fixed = false;
	servers(e, PEER_IP, 0);
	/* One left in flight for env_teardown (net_cleanup) to free. */
	ask(e, "left.test", &g);
	assert_int_equal(dns_set_servers(&e->net, NULL, 5), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_exact),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_name_read),
		cmocka_unit_test(test_reply_good),
		cmocka_unit_test(test_reply_cname),
		cmocka_unit_test(test_reply_aaaa),
		cmocka_unit_test(test_reply_refused),
		cmocka_unit_test(test_reply_every_prefix),
		cmocka_unit_test(test_reply_negative),
		cmocka_unit_test(test_reply_mutations),
		cmocka_unit_test_setup_teardown(test_resolve_answer_and_cache, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_drops_forgeries, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_retries_and_timeout, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_each_try_fresh, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_negative, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_failover, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_truncated_goes_tcp, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_joined, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_cache_cap, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_tcp_answer, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_cancel_and_cleanup, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
