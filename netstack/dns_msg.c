/* DNS messages: the query imp sends and the checks a reply must pass.
 *
 * A reply comes from the network and is hostile until proved otherwise:
 * every length is checked against what is there, compression pointers may
 * only go backwards (so a loop cannot be built), and a reply is taken only
 * if its question is the one asked (RFC 5452 §4). */
#include <stdio.h>
#include <string.h>

#include "dns_msg.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool host_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

static uint8_t lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch - 'A' + 'a') : ch;
}

int dns_name_encode(const char *name, uint8_t *out, size_t outlen)
{
	size_t n = 0, len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_TEXT_MAX - 1 || name[len - 1] == '.')
		return -1;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && name[j] != '.')
			j++;
		if (j == i || j - i > 63 || n + 1 + (j - i) + 1 > outlen || n + 1 + (j - i) + 1 > DNS_WIRE_MAX)
			return -1;
		out[n++] = (uint8_t)(j - i);
		for (; i < j; i++) {
			if (!host_char(name[i]))
				return -1;
			out[n++] = lower((uint8_t)name[i]);
		}
		i = j + 1;	/* past the dot */
	}
	out[n++] = 0;
	return (int)n;
}

bool dns_name_is_host(const char *name)
{
	uint8_t wire[DNS_WIRE_MAX];
	const uint8_t *p, *last = NULL;

	if (dns_name_encode(name, wire, sizeof(wire)) < 0)
		return false;
	for (p = wire; *p; p += 1 + *p) {
		if (p[1] == '-' || p[*p] == '-')
			return false;
		last = p;
	}
	for (unsigned int i = 1; i <= *last; i++)
		if (last[i] < '0' || last[i] > '9')
			return true;
	return false;
}

void dns_name_text(const uint8_t *wire, char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = 0;
	for (const uint8_t *p = wire; *p && n + 1 < outlen; p += 1 + *p) {
		if (p != wire && n + 1 < outlen)
			out[n++] = '.';
		for (unsigned int i = 1; i <= *p && n + 1 < outlen; i++) {
			char ch = (char)p[i];
			if (host_char(ch)) {
				out[n++] = ch;
			} else if (n + 5 < outlen) {
				snprintf(out + n, 5, "\\%03u", p[i]);
				n += 4;
			} else {
				break;
			}
		}
	}
	out[n] = 0;
}

int dns_name_read(const uint8_t *msg, size_t len, size_t off, uint8_t *out, size_t *next)
{
	size_t pos = off, n = 0, bound = off;
	bool jumped = false;

	for (;;) {
		uint8_t l;
		if (pos >= len)
			return DNS_BAD_SHORT;
		l = msg[pos];
		if ((l & 0xc0) == 0xc0) {
			size_t ptr;
			if (pos + 1 >= len)
				return DNS_BAD_SHORT;
			ptr = (size_t)(l & 0x3f) << 8 | msg[pos + 1];
			if (!jumped)
				*next = pos + 2;
			/* Backwards only, and each jump further back than the
			 * last: the walk must end. */
			if (ptr >= bound)
				return DNS_BAD_NAME;
			bound = ptr;
			pos = ptr;
			jumped = true;
			continue;
		}
		if (l & 0xc0)
			return DNS_BAD_NAME;	/* 0x40, 0x80: label types RFC 6891 retired */
		if (l == 0) {
			out[n] = 0;
			if (!jumped)
				*next = pos + 1;
			return DNS_OK;
		}
		if (pos + 1 + l > len)
			return DNS_BAD_SHORT;
		if (n + 1 + l + 1 > DNS_WIRE_MAX)
			return DNS_BAD_NAME;
		memcpy(out + n, msg + pos, 1 + (size_t)l);
		n += 1 + (size_t)l;
		pos += 1 + (size_t)l;
	}
}

bool dns_name_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		if (*a != *b)
			return false;
		if (*a == 0)
			return true;
		for (unsigned int i = 1; i <= *a; i++)
			if (lower(a[i]) != lower(b[i]))
				return false;
		a += 1 + *a;
		b += 1 + *b;
	}
}

int dns_query_build(uint8_t *buf, size_t buflen, uint16_t id, const char *qname, uint16_t qtype)
{
	int n;

	if (buflen < DNS_HDRLEN + 4)
		return -1;
	memset(buf, 0, DNS_HDRLEN);
	put16(buf, id);
	put16(buf + 2, DNS_F_RD);
	put16(buf + 4, 1);
	n = dns_name_encode(qname, buf + DNS_HDRLEN, buflen - DNS_HDRLEN - 4);
	if (n < 0)
		return -1;
	put16(buf + DNS_HDRLEN + n, qtype);
	put16(buf + DNS_HDRLEN + n + 2, DNS_C_IN);
	return DNS_HDRLEN + n + 4;
}

/* A resource record's fixed part, located. */
struct rr {
	uint8_t owner[DNS_WIRE_MAX];
	uint16_t type, class;
	uint32_t ttl;
	size_t rdata, rdlen;
};

/* read_rr reads the record at *off and moves *off past it. */
static int read_rr(const uint8_t *msg, size_t len, size_t *off, struct rr *rr)
{
	size_t p;
	int err = dns_name_read(msg, len, *off, rr->owner, &p);

	if (err)
		return err;
	if (p + 10 > len)
		return DNS_BAD_SHORT;
	rr->type = get16(msg + p);
	rr->class = get16(msg + p + 2);
	rr->ttl = get32(msg + p + 4);
	if (rr->ttl & 0x80000000u)
		rr->ttl = 0;	/* RFC 2181 §8: "treated as if it were zero" */
	rr->rdlen = get16(msg + p + 8);
	rr->rdata = p + 10;
	if (rr->rdata + rr->rdlen > len)
		return DNS_BAD_SHORT;
	*off = rr->rdata + rr->rdlen;
	return DNS_OK;
}

static void min_ttl(struct dns_reply *r, uint32_t ttl, bool *first)
{
	if (*first || ttl < r->ttl)
		r->ttl = ttl;
	*first = false;
}

int dns_reply_parse(const uint8_t *msg, size_t len, const char *qname, uint16_t qtype,
		    struct dns_reply *r)
{
	struct rr an[DNS_MAX_RRS];
	uint8_t want[DNS_WIRE_MAX], name[DNS_WIRE_MAX], cur[DNS_WIRE_MAX];
	unsigned int qd, ancount, nscount, nan = 0;
	size_t off;
	bool first = true;
	int err;

	memset(r, 0, sizeof(*r));
	if (len < DNS_HDRLEN)
		return DNS_BAD_SHORT;
	r->id = get16(msg);
	r->flags = get16(msg + 2);
	r->rcode = r->flags & DNS_F_RCODE;
	r->tc = (r->flags & DNS_F_TC) != 0;
	if (!(r->flags & DNS_F_QR) || (r->flags & DNS_F_OPCODE))
		return DNS_BAD_NOTREPLY;
	qd = get16(msg + 4);
	ancount = get16(msg + 6);
	nscount = get16(msg + 8);
	if (qd != 1)
		return DNS_BAD_QUESTION;
	if (dns_name_encode(qname, want, sizeof(want)) < 0)
		return DNS_BAD_QUESTION;
	if ((err = dns_name_read(msg, len, DNS_HDRLEN, name, &off)) != 0)
		return err;
	if (off + 4 > len)
		return DNS_BAD_SHORT;
	if (!dns_name_equal(name, want) || get16(msg + off) != qtype || get16(msg + off + 2) != DNS_C_IN)
		return DNS_BAD_QUESTION;
	off += 4;
	/* A truncated reply is cut anywhere: only the header and question
	 * count, the rest is asked again over TCP. */
	if (r->tc)
		return DNS_OK;

	for (unsigned int i = 0; i < ancount; i++) {
		struct rr tmp, *rr = nan < DNS_MAX_RRS ? &an[nan] : &tmp;
		if ((err = read_rr(msg, len, &off, rr)) != 0)
			return err;
		if (rr->class != DNS_C_IN)
			continue;
		if ((rr->type == DNS_T_A && rr->rdlen != 4) || (rr->type == DNS_T_AAAA && rr->rdlen != 16))
			return DNS_BAD_RDATA;
		if (rr->type == DNS_T_CNAME) {
			size_t end;
			uint8_t target[DNS_WIRE_MAX];
			if ((err = dns_name_read(msg, len, rr->rdata, target, &end)) != 0)
				return err;
			if (end != rr->rdata + rr->rdlen)
				return DNS_BAD_RDATA;
		}
		if (rr == &an[nan])
			nan++;
	}
	/* The chain from the name asked to its canonical name, in whatever
	 * order the records came. */
	memcpy(cur, want, sizeof(cur));
	for (int hop = 0; hop < DNS_MAX_CHAIN; hop++) {
		bool moved = false;
		for (unsigned int i = 0; i < nan && !moved; i++) {
			size_t end;
			if (an[i].type != DNS_T_CNAME || !dns_name_equal(an[i].owner, cur))
				continue;
			dns_name_read(msg, len, an[i].rdata, cur, &end);	/* checked above */
			min_ttl(r, an[i].ttl, &first);
			moved = true;
		}
		if (!moved)
			break;
	}
	if (!dns_name_equal(cur, want))
		dns_name_text(cur, r->cname, sizeof(r->cname));
	for (unsigned int i = 0; i < nan; i++) {
		if (!dns_name_equal(an[i].owner, cur) || an[i].type != qtype)
			continue;
		if (qtype == DNS_T_A && r->naddrs < DNS_MAX_ADDRS) {
			memcpy(&r->addrs[r->naddrs++], msg + an[i].rdata, 4);
			min_ttl(r, an[i].ttl, &first);
		} else if (qtype == DNS_T_AAAA && r->naddrs6 < DNS_MAX_ADDRS) {
			memcpy(r->addrs6[r->naddrs6++], msg + an[i].rdata, 16);
			min_ttl(r, an[i].ttl, &first);
		}
	}
	/* Authority: the SOA that says how long a negative answer lasts. */
	for (unsigned int i = 0; i < nscount; i++) {
		struct rr rr;
		size_t p;
		uint8_t skip[DNS_WIRE_MAX];
		if ((err = read_rr(msg, len, &off, &rr)) != 0)
			return err;
		if (rr.type != DNS_T_SOA || rr.class != DNS_C_IN || r->has_soa)
			continue;
		if ((err = dns_name_read(msg, len, rr.rdata, skip, &p)) != 0 ||
		    (err = dns_name_read(msg, len, p, skip, &p)) != 0)
			return err;
		if (p + 20 != rr.rdata + rr.rdlen)
			return DNS_BAD_RDATA;
		uint32_t minimum = get32(msg + p + 16);
		r->has_soa = true;
		r->neg_ttl = minimum < rr.ttl ? minimum : rr.ttl;
	}
	return DNS_OK;
}

const char *dns_bad_name(int bad)
{
	switch (bad) {
	case DNS_OK: return "ok";
	case DNS_BAD_SHORT: return "truncated message or record";
	case DNS_BAD_NAME: return "bad name (compression loop or bad label)";
	case DNS_BAD_NOTREPLY: return "not a reply to a query";
	case DNS_BAD_QUESTION: return "reply to another question";
	case DNS_BAD_RDATA: return "bad record data";
	}
	return "?";
}

const char *dns_rcode_name(int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					      "NOTIMP", "REFUSED" };

	return rcode >= 0 && rcode < 6 ? names[rcode] : "RCODE?";
}
