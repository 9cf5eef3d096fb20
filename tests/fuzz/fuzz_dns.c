/* Fuzz target "dns": the DNS reply parser (netstack/dns_msg.c) on its own,
 * no stack: compression pointers and loops, truncation inside the header,
 * a name or a record, CNAME chains, AAAA and SOA records.
 *
 * The input is  which(1) message(rest).  which & 1 picks the question
 * asked (0: A, 1: AAAA) for the name www.example.test; the message is
 * given to dns_reply_parse as the reply, and dns_name_read and
 * dns_name_text are run on the name at every offset.  Beyond not
 * crashing, the harness aborts if a result breaks its documented bounds
 * (address counts, a NUL-terminated cname, a name longer than 255). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_msg.h"

/* fail: a result out of its documented bounds is a bug like a crash. */
static void fail(const char *what)
{
	fprintf(stderr, "fuzz_dns: %s\n", what);
	abort();
}

/* names: every offset as a name start, as a reply's records may point there. */
static void names(const uint8_t *msg, size_t len)
{
	uint8_t wire[DNS_WIRE_MAX + 1];
	char text[4 * DNS_WIRE_MAX + 1];
	size_t off, next;

	for (off = 0; off < len && off < 600; off++) {
		next = 0;
		if (dns_name_read(msg, len, off, wire, &next) != 0)
			continue;
		if (next <= off || next > len)
			fail("dns_name_read's next outside the message");
		dns_name_text(wire, text, sizeof(text));
		if (!memchr(text, 0, sizeof(text)))
			fail("dns_name_text not NUL-terminated");
		if (!dns_name_equal(wire, wire))
			fail("a name not equal to itself");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_reply r;
	uint16_t qtype;
	int bad;

	if (size < 1)
		return 0;
	qtype = (data[0] & 1) ? DNS_T_AAAA : DNS_T_A;
	memset(&r, 0x5a, sizeof(r));
	bad = dns_reply_parse(data + 1, size - 1, "www.example.test", qtype, &r);
	if (bad < DNS_OK || bad > DNS_BAD_RDATA)
		fail("dns_reply_parse returned no known reason");
	if (!dns_bad_name(bad))
		fail("a refusal without a name");
	if (bad == DNS_OK) {
		if (r.naddrs < 0 || r.naddrs > DNS_MAX_ADDRS ||
		    r.naddrs6 < 0 || r.naddrs6 > DNS_MAX_ADDRS)
			fail("address count out of bounds");
		if (!memchr(r.cname, 0, sizeof(r.cname)))
			fail("cname not NUL-terminated");
	}
	names(data + 1, size - 1);
	return 0;
}
