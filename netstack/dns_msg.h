/* DNS messages (RFC 1035 §4): building a query, and taking a reply apart
 * with every byte treated as hostile.  No state, no stack: the resolver
 * (dns.c) and the unit tests use it alike. */
#ifndef IMP_DNS_MSG_H
#define IMP_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_PORT 53
#define DNS_HDRLEN 12
#define DNS_UDP_MAX 512			/* RFC 1035 §4.2.1: no EDNS0, so this */
#define DNS_WIRE_MAX 255		/* a name on the wire, labels and lengths */
#define DNS_TEXT_MAX 254		/* a name as text, with a trailing dot */
#define DNS_MAX_ADDRS 16		/* addresses kept from one answer */
#define DNS_MAX_CHAIN 8			/* CNAMEs followed */
#define DNS_MAX_RRS 64			/* answer records looked at */

enum { DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_AAAA = 28 };
#define DNS_C_IN 1

/* header flags */
#define DNS_F_QR 0x8000
#define DNS_F_OPCODE 0x7800
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_RCODE 0x000f

enum { DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2, DNS_R_NXDOMAIN = 3,
       DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5 };

/* Why a reply was refused (dns_reply_parse); each has a counter. */
enum dns_bad {
	DNS_OK = 0,
	DNS_BAD_SHORT,			/* ends inside the header, a name or a record */
	DNS_BAD_NAME,			/* a compression loop, a forward pointer, a bad label */
	DNS_BAD_NOTREPLY,		/* QR clear, or an opcode other than QUERY */
	DNS_BAD_QUESTION,		/* not one question, or not the one asked */
	DNS_BAD_RDATA,			/* an A record not 4 bytes long, and the like */
};

struct dns_reply {
	uint16_t id, flags;
	int rcode;
	bool tc;
	uint32_t addrs[DNS_MAX_ADDRS];	/* A records of the name (after CNAMEs), network order */
	int naddrs;
	uint8_t addrs6[DNS_MAX_ADDRS][16];	/* AAAA records, when AAAA was asked */
	int naddrs6;
	uint32_t ttl;			/* the least TTL of the records used */
	bool has_soa;
	uint32_t neg_ttl;		/* RFC 2308 §5: min(SOA TTL, SOA MINIMUM) */
	char cname[DNS_TEXT_MAX + 1];	/* the canonical name, when CNAMEs led there */
};

/* dns_name_encode turns "www.example.test" (a trailing dot allowed) into
 * wire labels in out, lower-cased.  Letters, digits, '-' and '_' only; a
 * label of 1 to 63, the whole at most 255 on the wire.  Returns the wire
 * length or -1. */
int dns_name_encode(const char *name, uint8_t *out, size_t outlen);
/* dns_name_is_host: name encodes, and is a host name as RFC 1123 §2.1
 * has them: no label starts or ends with '-', and the last label is not
 * all digits (so that no name looks like a dotted address). */
bool dns_name_is_host(const char *name);
/* dns_name_text writes wire labels as dotted text (no trailing dot), a
 * byte outside [-_0-9A-Za-z] as \DDD; "" for the root. */
void dns_name_text(const uint8_t *wire, char *out, size_t outlen);
/* dns_name_read reads the possibly compressed name at msg[off] into out
 * (uncompressed wire form, at most DNS_WIRE_MAX) and sets *next to the
 * byte after it.  A pointer must point before the name it is in (before
 * the last pointer's target once one was followed), which rules out loops.
 * 0 or DNS_BAD_SHORT / DNS_BAD_NAME. */
int dns_name_read(const uint8_t *msg, size_t len, size_t off, uint8_t *out, size_t *next);
/* True if the two wire names are equal, ASCII letters compared without case. */
bool dns_name_equal(const uint8_t *a, const uint8_t *b);

/* dns_query_build writes a query for (qname, qtype, IN) with RD set.
 * Returns its length, or -1 if the name does not encode or buf is small. */
int dns_query_build(uint8_t *buf, size_t buflen, uint16_t id, const char *qname, uint16_t qtype);

/* dns_reply_parse checks that msg is a reply to the question (qname,
 * qtype, IN), then collects the addresses of qname (through CNAMEs, which
 * must be in the answer) and the SOA of a negative answer.  Records of
 * other names, types or classes are skipped.  Returns DNS_OK or why not;
 * r->id and r->flags are set as soon as the header is read. */
int dns_reply_parse(const uint8_t *msg, size_t len, const char *qname, uint16_t qtype,
		    struct dns_reply *r);
const char *dns_bad_name(int bad);
const char *dns_rcode_name(int rcode);

#endif
