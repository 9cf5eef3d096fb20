/* The ctl command parsers (fs/ctlparse.c): every socket command's valid
 * forms and exact fields, every way to get one wrong and the sentence that
 * says so, and the stack-wide files (arp, iproute, ipifc/N/ctl) acting on a
 * stack over the in-memory device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "ctlparse.h"

/* The command as the parser should quote it: its words up to the first
 * newline, one space between them. */
static void normalize(const char *s, size_t len, char *out, size_t outlen)
{
	size_t n = 0, i = 0;

	out[0] = 0;
	while (i < len && s[i] != '\n') {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len || s[i] == '\n')
			break;
		if (n && n < outlen - 1)
			out[n++] = ' ';
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') {
			if (n < outlen - 1)
				out[n++] = s[i];
			i++;
		}
	}
	out[n] = 0;
}

static void parse_ok(int proto, const char *line, struct sockcmd *c)
{
	char why[256] = "", text[256];
	int err = sockctl_parse(line, strlen(line), proto, c, why, sizeof(why));

	if (err)
		fail_msg("\"%s\": %d (%s)", line, err, why);
	normalize(line, strlen(line), text, sizeof(text));
	assert_string_equal(c->text, text);
}

/* A command that must fail; why must name the command (its words) and
 * then say something; when want is given, why must be exactly that. */
static void parse_bad(int proto, const char *line, const char *want)
{
	char why[256] = "", text[256];
	struct sockcmd c;
	int err = sockctl_parse(line, strlen(line), proto, &c, why, sizeof(why));
	size_t tl;

	if (err != -EINVAL)
		fail_msg("\"%s\": got %d, want -EINVAL", line, err);
	normalize(line, strlen(line), text, sizeof(text));
	tl = strlen(text);
	if (strncmp(why, text, tl) || why[tl] != ':' || why[tl + 1] != ' ' || !why[tl + 2])
		fail_msg("\"%s\": why \"%s\" does not begin with \"%s: \" and a reason", line, why, text);
	if (want && strcmp(why, want))
		fail_msg("\"%s\": why \"%s\", want \"%s\"", line, why, want);
}

/* A failure whose sentence is not about one command (empty, unknown...). */
static void parse_bad_raw(const char *buf, size_t len, const char *want)
{
	char why[256] = "";
	struct sockcmd c;
	int err = sockctl_parse(buf, len, IPPROTO_UDP, &c, why, sizeof(why));

	assert_int_equal(err, -EINVAL);
	assert_string_equal(why, want);
}

static void test_connect_ok(void **state)
{
	struct sockcmd c;

	parse_ok(IPPROTO_UDP, "connect 10.0.0.2 7", &c);
	assert_int_equal(c.verb, CMD_CONNECT);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	assert_int_equal(c.port, 7);
	assert_int_equal(c.lport, 0);

	assert_string_equal(c.host, "");

	/* A word that is not an address is a host name, looked up later. */
	parse_ok(IPPROTO_TCP, "connect www.example.test 80", &c);
	assert_int_equal(c.addr, 0);
	assert_string_equal(c.host, "www.example.test");
	assert_int_equal(c.port, 80);
	parse_ok(IPPROTO_TCP, "connect myhost!8080 5000", &c);
	assert_string_equal(c.host, "myhost");
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.lport, 5000);
	parse_ok(IPPROTO_UDP, "connect localhost 7", &c);
	assert_string_equal(c.host, "localhost");

	parse_ok(IPPROTO_UDP, "connect 192.168.1.200!8080", &c);
	assert_int_equal(c.verb, CMD_CONNECT);
	assert_int_equal(c.addr, ip4(192, 168, 1, 200));
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.lport, 0);

	parse_ok(IPPROTO_UDP, "connect 10.0.0.2 7 5000", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	assert_int_equal(c.port, 7);
	assert_int_equal(c.lport, 5000);

	parse_ok(IPPROTO_UDP, "connect 10.0.0.2!7 5001", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	assert_int_equal(c.port, 7);
	assert_int_equal(c.lport, 5001);

	parse_ok(IPPROTO_UDP, "connect 255.254.253.1 65535 65535", &c);
	assert_int_equal(c.addr, ip4(255, 254, 253, 1));
	assert_int_equal(c.port, 65535);
	assert_int_equal(c.lport, 65535);

	parse_ok(IPPROTO_UDP, "connect 10.0.0.2 1 0", &c);
	assert_int_equal(c.port, 1);
	assert_int_equal(c.lport, 0);

	/* Leading zeros are still decimal. */
	parse_ok(IPPROTO_UDP, "connect 10.0.0.2 0080", &c);
	assert_int_equal(c.port, 80);

	/* A trailing newline, tabs, runs of blanks. */
	parse_ok(IPPROTO_UDP, "connect 10.0.0.2 7\n", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	assert_int_equal(c.port, 7);
	parse_ok(IPPROTO_UDP, "\tconnect\t10.0.0.2  \t 7 \t\n", &c);
	assert_int_equal(c.verb, CMD_CONNECT);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	assert_int_equal(c.port, 7);
	assert_string_equal(c.text, "connect 10.0.0.2 7");

	/* tcp parses as udp does. */
	parse_ok(IPPROTO_TCP, "connect 10.0.0.1 80", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 1));
	assert_int_equal(c.port, 80);
}

static void test_connect_icmp(void **state)
{
	struct sockcmd c;

	/* No port for an echo socket. */
	parse_ok(IPPROTO_ICMP, "connect 10.0.0.2", &c);
	assert_int_equal(c.verb, CMD_CONNECT);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	assert_int_equal(c.port, 0);
	assert_int_equal(c.lport, 0);
	parse_ok(IPPROTO_ICMP, "connect 10.0.0.2\n", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	parse_ok(IPPROTO_ICMP, "connect 10.0.0.2!9", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	assert_int_equal(c.port, 9);
	/* A second word is the local "port", the echo identifier. */
	parse_ok(IPPROTO_ICMP, "connect 10.0.0.2 4660", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	assert_int_equal(c.port, 0);
	assert_int_equal(c.lport, 4660);

	parse_bad(IPPROTO_ICMP, "connect 0.0.0.0", "connect 0.0.0.0: 0.0.0.0 cannot be connected to");
	parse_bad(IPPROTO_ICMP, "connect *", "connect *: \"*\" is not an address to connect to");
	parse_bad(IPPROTO_ICMP, "connect 10.0.0", "connect 10.0.0: \"10.0.0\" is not an IPv4 address");
	parse_bad(IPPROTO_ICMP, "connect 10.0.0.2 1 2", NULL);
	parse_bad(IPPROTO_ICMP, "connect 10.0.0.2 x", NULL);
	parse_bad(IPPROTO_ICMP, "connect", NULL);
}

static void test_connect_bad(void **state)
{
	parse_bad(IPPROTO_UDP, "connect", "connect: usage: connect ADDR PORT [LPORT]");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2", "connect 10.0.0.2: missing port");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 7 8 9", "connect 10.0.0.2 7 8 9: usage: connect ADDR PORT [LPORT]");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2!7 8 9", "connect 10.0.0.2!7 8 9: usage: connect ADDR PORT [LPORT]");
	parse_bad(IPPROTO_UDP, "connect 1.2.3 7", "connect 1.2.3 7: \"1.2.3\" is not an IPv4 address");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 65536", "connect 10.0.0.2 65536: \"65536\" is not a port (0 to 65535)");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 0", "connect 10.0.0.2 0: port 0 cannot be connected to");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2!0", "connect 10.0.0.2!0: port 0 cannot be connected to");
	parse_bad(IPPROTO_UDP, "connect 0.0.0.0 7", "connect 0.0.0.0 7: 0.0.0.0 cannot be connected to");
	parse_bad(IPPROTO_UDP, "connect * 7", "connect * 7: \"*\" is not an address to connect to");
	parse_bad(IPPROTO_UDP, "connect *!7", "connect *!7: \"*\" is not an address to connect to");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 7 65536", "connect 10.0.0.2 7 65536: \"65536\" is not a local port (0 to 65535)");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 7 x", "connect 10.0.0.2 7 x: \"x\" is not a local port (0 to 65535)");
	/* Addresses. */
	parse_bad(IPPROTO_UDP, "connect 1.2.3.4.5 7", NULL);
	parse_bad(IPPROTO_UDP, "connect 256.1.1.1 7", NULL);
	parse_bad(IPPROTO_UDP, "connect 1.2.3.4444 7", NULL);
	parse_bad(IPPROTO_UDP, "connect 1..3.4 7", NULL);
	parse_bad(IPPROTO_UDP, "connect 1.2.3.4. 7", NULL);
	parse_bad(IPPROTO_UDP, "connect -1.2.3.4 7", NULL);
	parse_bad(IPPROTO_UDP, "connect 0x0a.0.0.1 7", NULL);
	parse_bad(IPPROTO_UDP, "connect bad_name-.test 7",
		  "connect bad_name-.test 7: \"bad_name-.test\" is not an IPv4 address or a host name");
	parse_bad(IPPROTO_UDP, "connect a..b 7", "connect a..b 7: \"a..b\" is not an IPv4 address or a host name");
	parse_bad(IPPROTO_UDP, "connect host.123 7", "connect host.123 7: \"host.123\" is not an IPv4 address or a host name");
	parse_bad(IPPROTO_UDP, "connect h\xc3\xa9.test 7", NULL);
	parse_bad(IPPROTO_UDP, "connect !7", "connect !7: \"\" is not an IPv4 address");
	/* Ports. */
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2!", "connect 10.0.0.2!: \"\" is not a port (0 to 65535)");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 -7", "connect 10.0.0.2 -7: \"-7\" is not a port (0 to 65535)");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 +5", "connect 10.0.0.2 +5: \"+5\" is not a port (0 to 65535)");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 0x10", "connect 10.0.0.2 0x10: \"0x10\" is not a port (0 to 65535)");
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 7a", NULL);
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 100000", NULL);
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 0000007", NULL);	/* 7 digits */
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 99999999999999999999", NULL);
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2!7!8", NULL);
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 7 -1", NULL);
	parse_bad(IPPROTO_UDP, "connect 10.0.0.2 7 +1", NULL);
	/* The address in front of a ! is limited in length, not overflowed. */
	parse_bad(IPPROTO_UDP, "connect 1111111111111111111111111111111111111111111111111111111111111111111111!7", NULL);
}

static void test_announce_ok(void **state)
{
	struct sockcmd c;

	parse_ok(IPPROTO_UDP, "announce 8080", &c);
	assert_int_equal(c.verb, CMD_ANNOUNCE);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.num, 16);	/* the default backlog */

	/* An optional ADDR is told from a PORT by its dots (SPEC §2). */
	parse_ok(IPPROTO_UDP, "announce 8080 16", &c);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.num, 16);
	parse_ok(IPPROTO_UDP, "announce 8080 3", &c);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.num, 3);

	parse_ok(IPPROTO_UDP, "announce * 8080", &c);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.num, 16);
	parse_ok(IPPROTO_UDP, "announce * 8080 1", &c);
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.num, 1);
	parse_ok(IPPROTO_UDP, "announce *!53 7", &c);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.port, 53);
	assert_int_equal(c.num, 7);

	parse_ok(IPPROTO_UDP, "announce 10.0.0.1 8080 4", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 1));
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.num, 4);
	parse_ok(IPPROTO_UDP, "announce 10.0.0.1 8080", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 1));
	assert_int_equal(c.num, 16);
	parse_ok(IPPROTO_UDP, "announce 10.0.0.1!8080 4096", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 1));
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.num, 4096);

	/* Port 0 picks one. */
	parse_ok(IPPROTO_UDP, "announce 0", &c);
	assert_int_equal(c.port, 0);
	parse_ok(IPPROTO_UDP, "announce 65535\n", &c);
	assert_int_equal(c.port, 65535);
	parse_ok(IPPROTO_UDP, "announce\t8080\t2\n", &c);
	assert_int_equal(c.port, 8080);
	assert_int_equal(c.num, 2);
}

static void test_announce_bad(void **state)
{
	parse_bad(IPPROTO_UDP, "announce", "announce: usage: announce [ADDR] PORT [BACKLOG]");
	parse_bad(IPPROTO_UDP, "announce 10.0.0.1", "announce 10.0.0.1: missing port");
	parse_bad(IPPROTO_UDP, "announce *", "announce *: missing port");
	parse_bad(IPPROTO_UDP, "announce 65536", "announce 65536: \"65536\" is not a port (0 to 65535)");
	parse_bad(IPPROTO_UDP, "announce -1", NULL);
	parse_bad(IPPROTO_UDP, "announce +5", NULL);
	parse_bad(IPPROTO_UDP, "announce 0x10", NULL);
	parse_bad(IPPROTO_UDP, "announce http", NULL);
	parse_bad(IPPROTO_UDP, "announce 8080 0", "announce 8080 0: \"0\" is not a backlog (1 to 4096)");
	parse_bad(IPPROTO_UDP, "announce 8080 4097", "announce 8080 4097: \"4097\" is not a backlog (1 to 4096)");
	parse_bad(IPPROTO_UDP, "announce 8080 -1", NULL);
	parse_bad(IPPROTO_UDP, "announce 8080 +5", NULL);
	parse_bad(IPPROTO_UDP, "announce 8080 0x10", NULL);
	parse_bad(IPPROTO_UDP, "announce 8080 16 1", "announce 8080 16 1: usage: announce [ADDR] PORT [BACKLOG]");
	parse_bad(IPPROTO_UDP, "announce 10.0.0.1 80 16 1", "announce 10.0.0.1 80 16 1: usage: announce [ADDR] PORT [BACKLOG]");
	parse_bad(IPPROTO_UDP, "announce 10.0.0.1!80 16 1", NULL);
	parse_bad(IPPROTO_UDP, "announce 1.2.3 80", "announce 1.2.3 80: \"1.2.3\" is not an IPv4 address");
	parse_bad(IPPROTO_UDP, "announce 10.0.0.1!x", "announce 10.0.0.1!x: \"x\" is not a port (0 to 65535)");
	parse_bad(IPPROTO_UDP, "announce 10.0.0.1 x", NULL);
}

static void test_bind(void **state)
{
	struct sockcmd c;

	parse_ok(IPPROTO_UDP, "bind 5000", &c);
	assert_int_equal(c.verb, CMD_BIND);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.port, 5000);
	parse_ok(IPPROTO_UDP, "bind * 5000", &c);
	assert_int_equal(c.addr, 0);
	assert_int_equal(c.port, 5000);
	parse_ok(IPPROTO_UDP, "bind 10.0.0.1 5000", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 1));
	assert_int_equal(c.port, 5000);
	parse_ok(IPPROTO_UDP, "bind 10.0.0.1!5001\n", &c);
	assert_int_equal(c.addr, ip4(10, 0, 0, 1));
	assert_int_equal(c.port, 5001);
	parse_ok(IPPROTO_UDP, "bind 0", &c);
	assert_int_equal(c.port, 0);

	parse_bad(IPPROTO_UDP, "bind", "bind: usage: bind [ADDR] PORT");
	parse_bad(IPPROTO_UDP, "bind 10.0.0.1", "bind 10.0.0.1: missing port");
	parse_bad(IPPROTO_UDP, "bind 80 81", "bind 80 81: usage: bind [ADDR] PORT");
	parse_bad(IPPROTO_UDP, "bind 10.0.0.1 80 81", "bind 10.0.0.1 80 81: usage: bind [ADDR] PORT");
	parse_bad(IPPROTO_UDP, "bind 10.0.0.1!80 81", NULL);
	parse_bad(IPPROTO_UDP, "bind 70000", "bind 70000: \"70000\" is not a port (0 to 65535)");
	parse_bad(IPPROTO_UDP, "bind 1.2.3 80", "bind 1.2.3 80: \"1.2.3\" is not an IPv4 address");
	parse_bad(IPPROTO_UDP, "bind +80", NULL);
	parse_bad(IPPROTO_UDP, "bind -80", NULL);
	parse_bad(IPPROTO_UDP, "bind 0x50", NULL);
}

static void test_no_argument_verbs(void **state)
{
	static const struct { const char *word; enum sockverb verb; } v[] = {
		{ "close", CMD_CLOSE }, { "hangup", CMD_HANGUP }, { "headers", CMD_HEADERS },
		{ "autoclose", CMD_AUTOCLOSE },
	};
	char line[64], want[128];
	struct sockcmd c;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		parse_ok(IPPROTO_UDP, v[i].word, &c);
		assert_int_equal(c.verb, v[i].verb);
		snprintf(line, sizeof(line), "%s\n", v[i].word);
		parse_ok(IPPROTO_UDP, line, &c);
		assert_int_equal(c.verb, v[i].verb);
		snprintf(line, sizeof(line), "  %s\t", v[i].word);
		parse_ok(IPPROTO_UDP, line, &c);
		assert_int_equal(c.verb, v[i].verb);
		snprintf(line, sizeof(line), "%s now", v[i].word);
		snprintf(want, sizeof(want), "%s now: usage: %s", v[i].word, v[i].word);
		parse_bad(IPPROTO_UDP, line, want);
	}
}

static void test_shutdown(void **state)
{
	struct sockcmd c;

	parse_ok(IPPROTO_UDP, "shutdown rd", &c);
	assert_int_equal(c.verb, CMD_SHUTDOWN);
	assert_int_equal(c.how, SHUT_RD);
	parse_ok(IPPROTO_UDP, "shutdown wr\n", &c);
	assert_int_equal(c.how, SHUT_WR);
	parse_ok(IPPROTO_UDP, "shutdown rdwr", &c);
	assert_int_equal(c.how, SHUT_RDWR);

	parse_bad(IPPROTO_UDP, "shutdown", "shutdown: usage: shutdown rd|wr|rdwr");
	parse_bad(IPPROTO_UDP, "shutdown x", "shutdown x: usage: shutdown rd|wr|rdwr");
	parse_bad(IPPROTO_UDP, "shutdown RD", NULL);
	parse_bad(IPPROTO_UDP, "shutdown read", NULL);
	parse_bad(IPPROTO_UDP, "shutdown 1", NULL);
	parse_bad(IPPROTO_UDP, "shutdown rd wr", "shutdown rd wr: usage: shutdown rd|wr|rdwr");
}

static void test_keepalive(void **state)
{
	struct sockcmd c;

	/* On with the idle time as set (0), with a new one, or off (-1). */
	parse_ok(IPPROTO_TCP, "keepalive", &c);
	assert_int_equal(c.verb, CMD_KEEPALIVE);
	assert_int_equal(c.num, 0);
	parse_ok(IPPROTO_TCP, "keepalive 5000", &c);
	assert_int_equal(c.num, 5000);
	parse_ok(IPPROTO_TCP, "keepalive 1", &c);
	assert_int_equal(c.num, 1);
	parse_ok(IPPROTO_TCP, "keepalive 86400000\n", &c);
	assert_int_equal(c.num, 86400000);
	parse_ok(IPPROTO_TCP, "keepalive off", &c);
	assert_int_equal(c.num, -1);

	parse_bad(IPPROTO_TCP, "keepalive 0", "keepalive 0: \"0\" is not a time in ms (1 to 86400000) or off");
	parse_bad(IPPROTO_TCP, "keepalive 86400001", NULL);
	parse_bad(IPPROTO_TCP, "keepalive -5", NULL);
	parse_bad(IPPROTO_TCP, "keepalive +5", NULL);
	parse_bad(IPPROTO_TCP, "keepalive 0x10", NULL);
	parse_bad(IPPROTO_TCP, "keepalive 5s", NULL);
	parse_bad(IPPROTO_TCP, "keepalive on", NULL);
	parse_bad(IPPROTO_TCP, "keepalive 1 2", "keepalive 1 2: usage: keepalive [MS|off]");
}

/* The TCP options of imp-run's setsockopt: each verb's range, Linux's
 * where Linux has one (TCP_MAXSEG 88..32767 or 0, TCP_KEEPCNT 1..127). */
static void test_tcp_options(void **state)
{
	static const struct { const char *word; enum sockverb verb; long lo, hi; } v[] = {
		{ "keepidle", CMD_KEEPIDLE, 1, 86400000 },
		{ "keepintvl", CMD_KEEPINTVL, 1, 86400000 },
		{ "keepcnt", CMD_KEEPCNT, 1, 127 },
		{ "usertimeout", CMD_USERTIMEOUT, 0, 2147483647 },
		{ "maxseg", CMD_MAXSEG, 88, 32767 },
		{ "rcvlowat", CMD_RCVLOWAT, 0, 2147483647 },
	};
	struct sockcmd c;
	char line[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(line, sizeof(line), "%s %ld", v[i].word, v[i].lo);
		parse_ok(IPPROTO_TCP, line, &c);
		assert_int_equal(c.verb, v[i].verb);
		assert_int_equal(c.num, v[i].lo);
		snprintf(line, sizeof(line), "%s %ld", v[i].word, v[i].hi);
		parse_ok(IPPROTO_TCP, line, &c);
		assert_int_equal(c.num, v[i].hi);
		snprintf(line, sizeof(line), "%s %ld", v[i].word, v[i].hi + 1);
		parse_bad(IPPROTO_TCP, line, NULL);
		if (v[i].lo > 0) {
			snprintf(line, sizeof(line), "%s %ld", v[i].word, v[i].lo - 1);
			if (v[i].verb != CMD_MAXSEG)
				parse_bad(IPPROTO_TCP, line, NULL);
		}
		snprintf(line, sizeof(line), "%s", v[i].word);
		parse_bad(IPPROTO_TCP, line, NULL);
		snprintf(line, sizeof(line), "%s -1", v[i].word);
		parse_bad(IPPROTO_TCP, line, NULL);
		snprintf(line, sizeof(line), "%s 1 2", v[i].word);
		parse_bad(IPPROTO_TCP, line, NULL);
	}
	parse_ok(IPPROTO_TCP, "maxseg 0", &c);		/* forget it: the route's MSS */
	assert_int_equal(c.num, 0);
	parse_ok(IPPROTO_TCP, "maxseg 1100", &c);
	assert_int_equal(c.num, 1100);
	parse_bad(IPPROTO_TCP, "maxseg 87", "maxseg 87: \"87\" is not an MSS from 88 to 32767 (0: the route's)");
	parse_bad(IPPROTO_TCP, "maxseg 1", NULL);

	parse_ok(IPPROTO_TCP, "congestion reno", &c);
	assert_int_equal(c.verb, CMD_CONGESTION);
	assert_string_equal(c.name, "reno");
	parse_ok(IPPROTO_TCP, "congestion cubic", &c);	/* parsed; the stack says ENOENT */
	assert_string_equal(c.name, "cubic");
	parse_ok(IPPROTO_TCP, "congestion abcdefghijklmno", &c);	/* 15: TCP_CA_NAME_MAX - 1 */
	parse_bad(IPPROTO_TCP, "congestion abcdefghijklmnop", NULL);
	parse_bad(IPPROTO_TCP, "congestion Reno", NULL);
	parse_bad(IPPROTO_TCP, "congestion re/no", NULL);
	parse_bad(IPPROTO_TCP, "congestion", "congestion: usage: congestion NAME");
}

static void test_nodelay(void **state)
{
	struct sockcmd c;

	parse_ok(IPPROTO_TCP, "nodelay on", &c);
	assert_int_equal(c.verb, CMD_NODELAY);
	assert_int_equal(c.num, 1);
	parse_ok(IPPROTO_TCP, "nodelay off\n", &c);
	assert_int_equal(c.verb, CMD_NODELAY);
	assert_int_equal(c.num, 0);

	parse_bad(IPPROTO_TCP, "nodelay", "nodelay: usage: nodelay on|off");
	parse_bad(IPPROTO_TCP, "nodelay yes", "nodelay yes: usage: nodelay on|off");
	parse_bad(IPPROTO_TCP, "nodelay ON", NULL);
	parse_bad(IPPROTO_TCP, "nodelay 1", NULL);
	parse_bad(IPPROTO_TCP, "nodelay on off", NULL);
}

static void test_numbers(void **state)
{
	static const struct {
		const char *word;
		enum sockverb verb;
		long min, max;
	} v[] = {
		{ "sndbuf", CMD_SNDBUF, 1, SOCK_MAX_BUF },
		{ "rcvbuf", CMD_RCVBUF, 1, SOCK_MAX_BUF },
		{ "ttl", CMD_TTL, 1, 255 },
		{ "tos", CMD_TOS, 0, 255 },
	};
	char line[128], want[256];
	struct sockcmd c;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *w = v[i].word;

		snprintf(line, sizeof(line), "%s %ld", w, v[i].min);
		parse_ok(IPPROTO_UDP, line, &c);
		assert_int_equal(c.verb, v[i].verb);
		assert_int_equal(c.num, v[i].min);
		snprintf(line, sizeof(line), "%s %ld\n", w, v[i].max);
		parse_ok(IPPROTO_UDP, line, &c);
		assert_int_equal(c.verb, v[i].verb);
		assert_int_equal(c.num, v[i].max);
		snprintf(line, sizeof(line), "%s\t%03d", w, 100);
		parse_ok(IPPROTO_UDP, line, &c);
		assert_int_equal(c.num, 100);

		/* One past each end, with the exact sentence. */
		if (v[i].min > 0) {
			snprintf(line, sizeof(line), "%s %ld", w, v[i].min - 1);
			snprintf(want, sizeof(want), "%s: \"%ld\" is not a number from %ld to %ld",
				 line, v[i].min - 1, v[i].min, v[i].max);
			parse_bad(IPPROTO_UDP, line, want);
		}
		snprintf(line, sizeof(line), "%s %ld", w, v[i].max + 1);
		snprintf(want, sizeof(want), "%s: \"%ld\" is not a number from %ld to %ld",
			 line, v[i].max + 1, v[i].min, v[i].max);
		parse_bad(IPPROTO_UDP, line, want);

		static const char *const junk[] = { "-1", "+5", "0x10", "1k", "", "99999999999",
						     "4294967297", "1.5", "-0" };
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			if (!*junk[j])
				snprintf(line, sizeof(line), "%s", w);	/* missing */
			else
				snprintf(line, sizeof(line), "%s %s", w, junk[j]);
			parse_bad(IPPROTO_UDP, line, NULL);
		}
		snprintf(line, sizeof(line), "%s 1 2", w);
		parse_bad(IPPROTO_UDP, line, NULL);
	}
	parse_bad(IPPROTO_UDP, "ttl 0", "ttl 0: \"0\" is not a number from 1 to 255");
	parse_bad(IPPROTO_UDP, "ttl 256", "ttl 256: \"256\" is not a number from 1 to 255");
	parse_bad(IPPROTO_UDP, "tos 256", "tos 256: \"256\" is not a number from 0 to 255");
	parse_bad(IPPROTO_UDP, "ttl", "ttl: usage: ttl N");
}

static void test_general_errors(void **state)
{
	char big[300], why[256];
	struct sockcmd c;

	parse_bad_raw("", 0, "empty command");
	parse_bad_raw("\n", 1, "empty command");
	parse_bad_raw(" \t \n", 4, "empty command");
	parse_bad_raw("frob", 4, "unknown command \"frob\"");
	parse_bad_raw("frob 1 2\n", 9, "unknown command \"frob\"");
	parse_bad_raw("CONNECT 10.0.0.2 7", 18, "unknown command \"CONNECT\"");
	parse_bad_raw("connect10.0.0.2 7", 17, "unknown command \"connect10.0.0.2\"");
	/* NUL bytes: at the end, in the middle. */
	parse_bad_raw("close\0", 6, "command too long or not text");
	parse_bad_raw("connect 10.0.0.2\0 7", 19, "command too long or not text");
	parse_bad_raw("\0", 1, "command too long or not text");
	/* 255 bytes are fine, 256 are not. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "close", 5);
	assert_int_equal(sockctl_parse(big, 255, IPPROTO_UDP, &c, why, sizeof(why)), 0);
	assert_int_equal(c.verb, CMD_CLOSE);
	parse_bad_raw(big, 256, "command too long or not text");
	parse_bad_raw(big, sizeof(big), "command too long or not text");
	/* Eight words are words; nine are too many. */
	parse_bad(IPPROTO_UDP, "connect 1 2 3 4 5 6 7", "connect 1 2 3 4 5 6 7: usage: connect ADDR PORT [LPORT]");
	parse_bad_raw("connect 1 2 3 4 5 6 7 8", 23, "too many words");
	parse_bad_raw("a b c d e f g h i j k l", 23, "too many words");
	/* The length given is what counts, not a NUL after it. */
	assert_int_equal(sockctl_parse("close hangup", 5, IPPROTO_UDP, &c, why, sizeof(why)), 0);
	assert_int_equal(c.verb, CMD_CLOSE);
	/* A failure leaves no half-parsed command behind. */
	assert_int_equal(sockctl_parse("connect 10.0.0.2 0", 18, IPPROTO_UDP, &c, why, sizeof(why)), -EINVAL);
	/* why is cut to its buffer, and terminated. */
	memset(why, 'x', sizeof(why));
	assert_int_equal(sockctl_parse("frob", 4, IPPROTO_UDP, &c, why, 8), -EINVAL);
	assert_string_equal(why, "unknown");
}

/* "One command per write, a line" (SPEC §2): a newline ends the command,
 * and what follows it is not silently dropped. */
static void test_text_after_newline_refused(void **state)
{
	char why[256] = "";
	struct sockcmd c;
	int err = sockctl_parse("ttl 5\nttl 6", 11, IPPROTO_UDP, &c, why, sizeof(why));

	if (err == 0)
		fail_msg("\"ttl 5\\nttl 6\" parsed as \"%s\" (num %ld): the second line was dropped", c.text, c.num);
	assert_int_equal(err, -EINVAL);
}

/* --- /imp/arp, /imp/iproute, /imp/ipifc/0/ctl --- */

static int run(int (*fn)(struct env *, char *, char *, size_t), struct env *e, const char *s,
	       char *why)
{
	char line[256];

	snprintf(line, sizeof(line), "%s", s);
	why[0] = 0;
	return fn(e, line, why, 256);
}

static int arp_fn(struct env *e, char *l, char *w, size_t wl) { return write_arp(&e->net, l, w, wl); }
static int route_fn(struct env *e, char *l, char *w, size_t wl) { return write_iproute(&e->net, l, w, wl); }
static int ifc_fn(struct env *e, char *l, char *w, size_t wl) { return write_ifc_ctl(e->dev, l, w, wl); }

#define EXPECT_ERR(fn, e, line, err, sentence) do {				\
		char why_[256];							\
		assert_int_equal(run(fn, e, line, why_), err);			\
		if (sentence)							\
			assert_string_equal(why_, (const char *)(sentence));	\
		else								\
			assert_true(why_[0] != 0);				\
	} while (0)
#define EXPECT_OK(fn, e, line) do {						\
		char why_[256];							\
		int r_ = run(fn, e, line, why_);				\
		if (r_)								\
			fail_msg("\"%s\": %d (%s)", line, r_, why_);		\
	} while (0)

static const uint8_t MAC9[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x09 };
static const uint8_t MACA[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x0a };

static void test_arp_add_del(void **state)
{
	struct env *e = *state;
	struct neighbour *n;
	int entries = e->net.arp_tbl.entries;

	EXPECT_OK(arp_fn, e, "add 10.0.0.9 02:00:00:00:00:09");
	n = neigh_lookup(&e->net, ip4(10, 0, 0, 9));
	assert_non_null(n);
	assert_int_equal(n->nud_state, NUD_PERMANENT);
	assert_memory_equal(n->ha, MAC9, ETH_ALEN);
	assert_ptr_equal(n->dev, e->dev);
	assert_int_equal(e->net.arp_tbl.entries, entries + 1);
	/* Again with another MAC: replaced, not doubled; one-digit parts and
	 * upper case hex are MACs too. */
	EXPECT_OK(arp_fn, e, "add 10.0.0.9 2:0:0:0:0:A\n");
	n = neigh_lookup(&e->net, ip4(10, 0, 0, 9));
	assert_non_null(n);
	assert_int_equal(n->nud_state, NUD_PERMANENT);
	assert_memory_equal(n->ha, MACA, ETH_ALEN);
	assert_int_equal(e->net.arp_tbl.entries, entries + 1);
	/* Used: a packet to it goes to that MAC at once. */
	{
		uint8_t f[128];
		struct rx rx;
		size_t len = echo_build(f, MACA, ip4(10, 0, 0, 9), OUR_IP, 1, 1, "x", 1);
		memdev_inject(e->dev, f, len);
		pop_icmp(e->dev, MACA, &rx, ICMP_ECHOREPLY, 0);
		rx_free(&rx);
	}

	EXPECT_OK(arp_fn, e, "del 10.0.0.9");
	assert_null(neigh_lookup(&e->net, ip4(10, 0, 0, 9)));
	assert_int_equal(e->net.arp_tbl.entries, entries);
	EXPECT_ERR(arp_fn, e, "del 10.0.0.9", -ENOENT, "del 10.0.0.9: no such entry");
	/* The static peer from the setup is there until deleted. */
	assert_non_null(neigh_lookup(&e->net, PEER_IP));
	EXPECT_OK(arp_fn, e, "\tdel\t10.0.0.2\n");
	assert_null(neigh_lookup(&e->net, PEER_IP));
}

/* A manual entry for a neighbour being resolved sends what waited for it. */
static void test_arp_add_releases_queue(void **state)
{
	struct env *e = *state;
	uint8_t f[128];
	struct rx rx;
	size_t len = echo_build(f, OTHER_MAC, OTHER_IP, OUR_IP, 1, 1, "abc", 3);

	memdev_inject(e->dev, f, len);
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, OUR_IP, ZERO_MAC, OTHER_IP);
	assert_int_equal(memdev_pending(e->dev), 0);
	assert_int_equal(neigh_lookup(&e->net, OTHER_IP)->nud_state, NUD_INCOMPLETE);
	EXPECT_OK(arp_fn, e, "add 10.0.0.7 02:00:00:00:00:07");
	assert_int_equal(neigh_lookup(&e->net, OTHER_IP)->nud_state, NUD_PERMANENT);
	pop_icmp(e->dev, OTHER_MAC, &rx, ICMP_ECHOREPLY, 0);
	assert_int_equal(rx.ip->daddr, OTHER_IP);
	rx_free(&rx);
	/* And no more requests for it. */
	run_until(&e->net, T0 + 10 * SEC);
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_arp_bad(void **state)
{
	struct env *e = *state;
	int entries = e->net.arp_tbl.entries;

	EXPECT_ERR(arp_fn, e, "", -EINVAL, "empty command");
	EXPECT_ERR(arp_fn, e, "\n", -EINVAL, "empty command");
	EXPECT_ERR(arp_fn, e, "frob", -EINVAL, "unknown command \"frob\"");
	EXPECT_ERR(arp_fn, e, "a b c d e f g h i", -EINVAL, "too many words");
	EXPECT_ERR(arp_fn, e, "add", -EINVAL, "usage: add IP MAC");
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10", -EINVAL, "usage: add IP MAC");
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10 02:00:00:00:00:09 x", -EINVAL, "usage: add IP MAC");
	EXPECT_ERR(arp_fn, e, "add 10.0.0 02:00:00:00:00:09", -EINVAL,
		   "add IP: \"10.0.0\" is not a dotted IPv4 address");
	EXPECT_ERR(arp_fn, e, "add 10.0.0.256 02:00:00:00:00:09", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "add 02:00:00:00:00:09 10.0.0.10", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10 02:00:00:00:00", -EINVAL,
		   "add: \"02:00:00:00:00\" is not a MAC address like 02:00:00:00:00:01");
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10 02:00:00:00:00:00:01", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10 02:00:00:00:00:0g", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10 020:00:00:00:00:01", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10 02-00-00-00-00-01", -EINVAL, NULL);
	/* Not unicast. */
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10 01:00:5e:00:00:01", -EINVAL,
		   "add 10.0.0.10: not a unicast address and MAC");
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10 ff:ff:ff:ff:ff:ff", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "add 10.0.0.10 00:00:00:00:00:00", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "add 127.0.0.1 02:00:00:00:00:09", -EINVAL,
		   "add 127.0.0.1: not a unicast address and MAC");
	EXPECT_ERR(arp_fn, e, "add 224.0.0.1 02:00:00:00:00:09", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "add 255.255.255.255 02:00:00:00:00:09", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "add 0.0.0.0 02:00:00:00:00:09", -EINVAL, NULL);
	EXPECT_ERR(arp_fn, e, "del", -EINVAL, "usage: del IP");
	EXPECT_ERR(arp_fn, e, "del 10.0.0.2 10.0.0.3", -EINVAL, "usage: del IP");
	EXPECT_ERR(arp_fn, e, "del 10.0.0.x", -EINVAL, "del IP: \"10.0.0.x\" is not a dotted IPv4 address");
	EXPECT_ERR(arp_fn, e, "flush now", -EINVAL, "usage: flush");
	/* None of it touched the table. */
	assert_int_equal(e->net.arp_tbl.entries, entries);
	assert_null(neigh_lookup(&e->net, ip4(10, 0, 0, 10)));
	assert_null(neigh_lookup(&e->net, ip4(127, 0, 0, 1)));
	assert_non_null(neigh_lookup(&e->net, PEER_IP));
}

static void test_arp_flush(void **state)
{
	struct env *e = *state;
	uint8_t f[128];
	size_t len = echo_build(f, OTHER_MAC, OTHER_IP, OUR_IP, 1, 1, "abc", 3);

	EXPECT_OK(arp_fn, e, "add 10.0.0.9 02:00:00:00:00:09");
	memdev_inject(e->dev, f, len);		/* an incomplete entry holding a reply */
	assert_int_equal(drain(e->dev), 1);
	assert_int_equal(e->net.arp_tbl.entries, 3);
	EXPECT_OK(arp_fn, e, "flush\n");
	assert_int_equal(e->net.arp_tbl.entries, 0);
	assert_null(neigh_lookup(&e->net, PEER_IP));
	assert_null(neigh_lookup(&e->net, ip4(10, 0, 0, 9)));
	assert_null(neigh_lookup(&e->net, OTHER_IP));
	/* Its timer went with it. */
	run_until(&e->net, T0 + 10 * SEC);
	assert_int_equal(memdev_pending(e->dev), 0);
	EXPECT_OK(arp_fn, e, "flush");
}

static const struct fib_entry *fib_find(struct net *net, uint32_t dst, int plen)
{
	for (int i = 0; i < net->fib.n; i++)
		if (net->fib.e[i].dst == dst && net->fib.e[i].plen == plen)
			return &net->fib.e[i];
	return NULL;
}

static void test_route_add_remove(void **state)
{
	struct env *e = *state;
	const struct fib_entry *fe;
	struct rtable rt;

	assert_int_equal(e->net.fib.n, 1);
	EXPECT_OK(route_fn, e, "add 192.168.0.0/16 10.0.0.254");
	assert_int_equal(e->net.fib.n, 2);
	fe = fib_find(&e->net, ip4(192, 168, 0, 0), 16);
	assert_non_null(fe);
	assert_int_equal(fe->gw, ip4(10, 0, 0, 254));
	assert_int_equal(fe->kind, RT_STATIC);
	assert_ptr_equal(fe->dev, e->dev);
	assert_int_equal(ip_route_output(&e->net, ip4(192, 168, 5, 5), &rt), 0);
	assert_int_equal(rt.nexthop, ip4(10, 0, 0, 254));
	assert_int_equal(rt.saddr, OUR_IP);

	/* The destination is masked; a default route; a host route. */
	EXPECT_OK(route_fn, e, "add 172.16.9.9/12 10.0.0.253\n");
	assert_non_null(fib_find(&e->net, ip4(172, 16, 0, 0), 12));
	EXPECT_OK(route_fn, e, "add 0.0.0.0/0 10.0.0.252");
	fe = fib_find(&e->net, 0, 0);
	assert_non_null(fe);
	assert_int_equal(fe->gw, ip4(10, 0, 0, 252));
	EXPECT_OK(route_fn, e, "add 8.8.8.8 10.0.0.251");
	assert_non_null(fib_find(&e->net, ip4(8, 8, 8, 8), 32));
	assert_int_equal(e->net.fib.n, 5);
	assert_int_equal(ip_route_output(&e->net, ip4(8, 8, 8, 8), &rt), 0);
	assert_int_equal(rt.nexthop, ip4(10, 0, 0, 251));
	assert_int_equal(ip_route_output(&e->net, ip4(8, 8, 4, 4), &rt), 0);
	assert_int_equal(rt.nexthop, ip4(10, 0, 0, 252));

	/* Replaced, not doubled. */
	EXPECT_OK(route_fn, e, "add 192.168.0.0/16 10.0.0.250");
	assert_int_equal(e->net.fib.n, 5);
	assert_int_equal(fib_find(&e->net, ip4(192, 168, 0, 0), 16)->gw, ip4(10, 0, 0, 250));

	EXPECT_OK(route_fn, e, "remove 192.168.0.0/16");
	assert_null(fib_find(&e->net, ip4(192, 168, 0, 0), 16));
	assert_int_equal(e->net.fib.n, 4);
	EXPECT_ERR(route_fn, e, "remove 192.168.0.0/16", -ESRCH, "remove 192.168.0.0/16: no such route");
	EXPECT_OK(route_fn, e, "del 8.8.8.8/32");
	assert_null(fib_find(&e->net, ip4(8, 8, 8, 8), 32));
	EXPECT_ERR(route_fn, e, "del 8.8.8.8", -ESRCH, NULL);
	/* A prefix length that does not match is another route. */
	EXPECT_ERR(route_fn, e, "remove 172.16.0.0/16", -ESRCH, NULL);
	assert_non_null(fib_find(&e->net, ip4(172, 16, 0, 0), 12));

	/* flush keeps the connected route only. */
	EXPECT_OK(route_fn, e, "flush");
	assert_int_equal(e->net.fib.n, 1);
	fe = fib_find(&e->net, ip4(10, 0, 0, 0), 24);
	assert_non_null(fe);
	assert_int_equal(fe->kind, RT_CONNECTED);
	assert_int_equal(ip_route_output(&e->net, ip4(8, 8, 8, 8), &rt), -ENETUNREACH);
}

static void test_route_bad(void **state)
{
	struct env *e = *state;
	struct fib_table before = e->net.fib;

	EXPECT_ERR(route_fn, e, "", -EINVAL, "empty command");
	EXPECT_ERR(route_fn, e, "frob", -EINVAL, "unknown command \"frob\"");
	EXPECT_ERR(route_fn, e, "add", -EINVAL, "usage: add DEST/PREFIX GATEWAY");
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/16", -EINVAL, "usage: add DEST/PREFIX GATEWAY");
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/16 10.0.0.254 x", -EINVAL, "usage: add DEST/PREFIX GATEWAY");
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/33 10.0.0.254", -EINVAL,
		   "add DEST/PREFIX: \"192.168.0.0/33\" is not a dotted IPv4 prefix");
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/ 10.0.0.254", -EINVAL, NULL);
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/-1 10.0.0.254", -EINVAL, NULL);
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/1x 10.0.0.254", -EINVAL, NULL);
	EXPECT_ERR(route_fn, e, "add 192.168.0/16 10.0.0.254", -EINVAL, NULL);
	EXPECT_ERR(route_fn, e, "add default 10.0.0.254", -EINVAL, NULL);
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/16 10.0.0", -EINVAL,
		   "add GATEWAY: \"10.0.0\" is not a dotted IPv4 address");
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/16 10.0.0.254/24", -EINVAL, NULL);
	/* Gateways that are not a neighbour on a connected network. */
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/16 172.16.0.1", -ENETUNREACH,
		   "add 192.168.0.0/16 172.16.0.1: gateway is not on a connected network");
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/16 10.0.0.1", -ENETUNREACH, NULL);	/* ourselves */
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/16 10.0.0.255", -ENETUNREACH, NULL);	/* broadcast */
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/16 255.255.255.255", -ENETUNREACH, NULL);
	EXPECT_ERR(route_fn, e, "remove", -EINVAL, "usage: remove DEST/PREFIX");
	EXPECT_ERR(route_fn, e, "remove 1.2.3/8", -EINVAL,
		   "remove DEST/PREFIX: \"1.2.3/8\" is not a dotted IPv4 prefix");
	EXPECT_ERR(route_fn, e, "del 1.2.3.4/8 x", -EINVAL, "usage: del DEST/PREFIX");
	EXPECT_ERR(route_fn, e, "flush all", -EINVAL, "usage: flush");
	assert_memory_equal(&e->net.fib, &before, sizeof(before));

	/* Through another gateway is not on the link either. */
	EXPECT_OK(route_fn, e, "add 172.16.0.0/16 10.0.0.254");
	EXPECT_ERR(route_fn, e, "add 192.168.0.0/16 172.16.0.1", -ENETUNREACH, NULL);
	assert_null(fib_find(&e->net, ip4(192, 168, 0, 0), 16));
}

/* flush removes "every static route" and keeps the connected ones (imp(4)):
 * a static route written over the connected prefix must not take the
 * connected route with it when flushed, whether the add is refused or
 * the connected route comes back. */
static void test_route_over_connected_then_flush(void **state)
{
	struct env *e = *state;
	struct rtable rt;
	char why[256];

	run(route_fn, e, "add 10.0.0.0/24 10.0.0.254", why);
	EXPECT_OK(route_fn, e, "flush");
	assert_int_equal(e->dev->nifa, 1);	/* 10.0.0.1/24 is still there */
	if (ip_route_output(&e->net, PEER_IP, &rt) != 0)
		fail_msg("after \"add 10.0.0.0/24 10.0.0.254\" and \"flush\" the connected "
			 "route to 10.0.0.0/24 is gone (fib.n %d): 10.0.0.2 is unreachable", e->net.fib.n);
	assert_int_equal(rt.nexthop, PEER_IP);
	assert_non_null(fib_find(&e->net, ip4(10, 0, 0, 0), 24));
	assert_int_equal(fib_find(&e->net, ip4(10, 0, 0, 0), 24)->kind, RT_CONNECTED);
}

static void test_route_table_full(void **state)
{
	struct env *e = *state;
	char line[64], why[256];

	for (int i = e->net.fib.n; i < FIB_MAX; i++) {
		snprintf(line, sizeof(line), "add 192.168.%d.0/24 10.0.0.254", i);
		EXPECT_OK(route_fn, e, line);
	}
	assert_int_equal(e->net.fib.n, FIB_MAX);
	assert_int_equal(run(route_fn, e, "add 172.16.0.0/16 10.0.0.254", why), -ENOSPC);
	assert_string_equal(why, "add 172.16.0.0/16: route table full");
	/* A replacement still fits. */
	EXPECT_OK(route_fn, e, "add 192.168.5.0/24 10.0.0.253");
	EXPECT_OK(route_fn, e, "flush");
	assert_int_equal(e->net.fib.n, 1);
}

/* IPv6 ADDR/PREFIX on the interface's ctl: refused while IPv6 is off,
 * then added (tentative, through DAD) with its prefix route, and removed. */
static void test_ifc_add_remove6(void **state)
{
	struct env *e = *state;
	struct in6_addr a;
	struct net_device *dev;
	struct in6_addr nh;

	inet_pton(AF_INET6, "2001:db8:9::5", &a);
	EXPECT_ERR(ifc_fn, e, "add 2001:db8:9::5/64", -EINVAL,
		   "add 2001:db8:9::5/64: IPv6 is off (impfs --no-ipv6)");
	assert_int_equal(addrconf_dev_up(e->dev), 0);
	EXPECT_OK(ifc_fn, e, "add 2001:db8:9::5/64");
	assert_int_equal(ipv6_get_ifaddr(&e->net, &a)->state, IFA6_TENTATIVE);
	EXPECT_OK(ifc_fn, e, "add 2001:db8:9::6/64");
	EXPECT_ERR(ifc_fn, e, "add 2001:db8:9::5/64", -EEXIST, "add 2001:db8:9::5/64: address already present");
	EXPECT_ERR(ifc_fn, e, "add ff02::1/64", -EINVAL, "add ff02::1/64: not a unicast address");
	EXPECT_ERR(ifc_fn, e, "add 2001:db8::zz/64", -EINVAL, NULL);
	EXPECT_ERR(ifc_fn, e, "add 2001:db8::1/129", -EINVAL, NULL);
	/* The route stays while one address of the prefix is left. */
	EXPECT_OK(ifc_fn, e, "remove 2001:db8:9::5/64");
	assert_null(ipv6_get_ifaddr(&e->net, &a));
	assert_int_equal(rt6_lookup(&e->net, &a, &dev, &nh), 0);
	EXPECT_ERR(ifc_fn, e, "remove 2001:db8:9::5/64", -EADDRNOTAVAIL, "remove 2001:db8:9::5/64: no such address");
	EXPECT_OK(ifc_fn, e, "remove 2001:db8:9::6/64");
	assert_int_not_equal(rt6_lookup(&e->net, &a, &dev, &nh), 0);
	drain(e->dev);
}

static void test_ifc_add_remove(void **state)
{
	struct env *e = *state;
	const struct fib_entry *fe;

	EXPECT_OK(ifc_fn, e, "add 10.0.1.1/24");
	assert_int_equal(e->dev->nifa, 2);
	assert_int_equal(e->dev->ifa[1].ifa_local, ip4(10, 0, 1, 1));
	assert_int_equal(e->dev->ifa[1].ifa_prefixlen, 24);
	fe = fib_find(&e->net, ip4(10, 0, 1, 0), 24);
	assert_non_null(fe);
	assert_int_equal(fe->kind, RT_CONNECTED);
	assert_int_equal(fe->gw, 0);
	assert_true(inet_addr_is_local(&e->net, ip4(10, 0, 1, 1)));
	/* Announced with a gratuitous ARP. */
	pop_arp_expect(e->dev, BCAST_MAC, ARPOP_REQUEST, ip4(10, 0, 1, 1), ZERO_MAC, ip4(10, 0, 1, 1));
	assert_int_equal(memdev_pending(e->dev), 0);

	/* A bare address is a /32: no route. */
	EXPECT_OK(ifc_fn, e, "add 10.0.2.1\n");
	assert_int_equal(e->dev->nifa, 3);
	assert_int_equal(e->dev->ifa[2].ifa_prefixlen, 32);
	assert_int_equal(e->net.fib.n, 2);
	assert_int_equal(drain(e->dev), 1);

	/* A second address in the first prefix shares its route. */
	EXPECT_OK(ifc_fn, e, "add 10.0.0.3/24");
	assert_int_equal(e->net.fib.n, 2);
	assert_int_equal(drain(e->dev), 1);
	EXPECT_OK(ifc_fn, e, "remove 10.0.0.3/24");
	assert_non_null(fib_find(&e->net, ip4(10, 0, 0, 0), 24));
	assert_false(inet_addr_is_local(&e->net, ip4(10, 0, 0, 3)));

	EXPECT_OK(ifc_fn, e, "remove 10.0.1.1/24");
	assert_int_equal(e->dev->nifa, 2);
	assert_null(fib_find(&e->net, ip4(10, 0, 1, 0), 24));
	assert_false(inet_addr_is_local(&e->net, ip4(10, 0, 1, 1)));
	EXPECT_ERR(ifc_fn, e, "remove 10.0.1.1/24", -EADDRNOTAVAIL, "remove 10.0.1.1/24: no such address");
	/* The prefix length must match. */
	EXPECT_ERR(ifc_fn, e, "remove 10.0.0.1/16", -EADDRNOTAVAIL, NULL);
	EXPECT_ERR(ifc_fn, e, "remove 10.0.2.1/24", -EADDRNOTAVAIL, NULL);
	EXPECT_OK(ifc_fn, e, "remove 10.0.2.1");
	assert_int_equal(e->dev->nifa, 1);
	assert_int_equal(e->dev->ifa[0].ifa_local, OUR_IP);
	assert_int_equal(memdev_pending(e->dev), 0);
}

static void test_ifc_bad(void **state)
{
	struct env *e = *state;
	struct fib_table before = e->net.fib;
	char line[64];

	EXPECT_ERR(ifc_fn, e, "", -EINVAL, "empty command");
	EXPECT_ERR(ifc_fn, e, "up", -EINVAL, "unknown command \"up\"");
	EXPECT_ERR(ifc_fn, e, "add", -EINVAL, "usage: add ADDR/PREFIX");
	EXPECT_ERR(ifc_fn, e, "add 10.0.1.1/24 10.0.1.2/24", -EINVAL, "usage: add ADDR/PREFIX");
	EXPECT_ERR(ifc_fn, e, "add 10.0.1.1/40", -EINVAL,
		   "add ADDR/PREFIX: \"10.0.1.1/40\" is not a dotted IPv4 prefix");
	EXPECT_ERR(ifc_fn, e, "add 10.0.1/24", -EINVAL, NULL);
	EXPECT_ERR(ifc_fn, e, "add 10.0.1.1/", -EINVAL, NULL);
	EXPECT_ERR(ifc_fn, e, "add 10.0.0.1/24", -EEXIST, "add 10.0.0.1/24: address already present");
	EXPECT_ERR(ifc_fn, e, "add 127.0.0.1/8", -EINVAL, "add 127.0.0.1/8: not a unicast address");
	EXPECT_ERR(ifc_fn, e, "add 224.0.0.1/4", -EINVAL, NULL);
	EXPECT_ERR(ifc_fn, e, "add 0.0.0.0/0", -EINVAL, NULL);
	EXPECT_ERR(ifc_fn, e, "add 255.255.255.255", -EINVAL, NULL);
	EXPECT_ERR(ifc_fn, e, "remove", -EINVAL, "usage: remove ADDR/PREFIX");
	EXPECT_ERR(ifc_fn, e, "remove x", -EINVAL, "remove ADDR/PREFIX: \"x\" is not a dotted IPv4 prefix");
	assert_int_equal(e->dev->nifa, 1);
	assert_memory_equal(&e->net.fib, &before, sizeof(before));
	assert_int_equal(memdev_pending(e->dev), 0);

	/* IFA_MAX addresses, then no more. */
	for (int i = e->dev->nifa; i < IFA_MAX; i++) {
		snprintf(line, sizeof(line), "add 10.0.%d.1/24", 10 + i);
		EXPECT_OK(ifc_fn, e, line);
	}
	assert_int_equal(e->dev->nifa, IFA_MAX);
	EXPECT_ERR(ifc_fn, e, "add 10.0.99.1/24", -ENOSPC, "add 10.0.99.1/24: too many addresses");
	assert_int_equal(e->dev->nifa, IFA_MAX);
	assert_null(fib_find(&e->net, ip4(10, 0, 99, 0), 24));
	drain(e->dev);
}

static void test_ifc_mtu(void **state)
{
	struct env *e = *state;
	static const char *const bad[] = { "575", "9001", "0", "-1500", "x", "1400x", "", "99999999999999999999" };
	char line[64];

	EXPECT_OK(ifc_fn, e, "mtu 1400");
	assert_int_equal(e->dev->mtu, 1400);
	EXPECT_OK(ifc_fn, e, "mtu 576\n");
	assert_int_equal(e->dev->mtu, 576);
	EXPECT_OK(ifc_fn, e, "mtu 9000");
	assert_int_equal(e->dev->mtu, 9000);
	EXPECT_ERR(ifc_fn, e, "mtu 575", -EINVAL, "mtu: \"575\" is not a number from 576 to 9000");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "mtu %s", bad[i]);
		EXPECT_ERR(ifc_fn, e, line, -EINVAL, NULL);
	}
	EXPECT_ERR(ifc_fn, e, "mtu 1500 1500", -EINVAL, "usage: mtu N");
	assert_int_equal(e->dev->mtu, 9000);
}

/* IPv6 addresses (issue 10): plain text, [ADDR]:PORT, [ADDR] PORT,
 * ADDR!PORT, a zone on a link-local one, ::ffff:a.b.c.d as IPv4, and the
 * family of announce's ADDR: absent or "*" both, 0.0.0.0 IPv4, :: IPv6. */
static void expect6(const struct sockcmd *c, const char *addr, uint16_t port, const char *zone)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, addr, &a), 1);
	assert_int_equal(c->family, AF_INET6);
	assert_memory_equal(&c->addr6, &a, 16);
	assert_int_equal(c->port, port);
	assert_string_equal(c->zone, zone);
	assert_string_equal(c->host, "");
}

static void test_ipv6_forms(void **state)
{
	struct sockcmd c;

	parse_ok(IPPROTO_TCP, "connect 2001:db8::1 80", &c);
	expect6(&c, "2001:db8::1", 80, "");
	parse_ok(IPPROTO_TCP, "connect [2001:db8::1]:80", &c);
	expect6(&c, "2001:db8::1", 80, "");
	parse_ok(IPPROTO_TCP, "connect [2001:db8::1] 80 5000", &c);
	expect6(&c, "2001:db8::1", 80, "");
	assert_int_equal(c.lport, 5000);
	parse_ok(IPPROTO_TCP, "connect [2001:db8::1]:80 5001", &c);
	assert_int_equal(c.lport, 5001);
	parse_ok(IPPROTO_UDP, "connect 2001:db8::1!53", &c);
	expect6(&c, "2001:db8::1", 53, "");
	parse_ok(IPPROTO_TCP, "connect fe80::1%imp0 22", &c);
	expect6(&c, "fe80::1", 22, "imp0");
	parse_ok(IPPROTO_TCP, "connect [fe80::1%0]:22", &c);
	expect6(&c, "fe80::1", 22, "0");
	parse_ok(IPPROTO_TCP, "connect fe80::1 22", &c);
	expect6(&c, "fe80::1", 22, "");
	parse_ok(IPPROTO_TCP, "connect 2001:DB8:0:0:0:0:0:1 80", &c);
	expect6(&c, "2001:db8::1", 80, "");
	/* The mapped form is IPv4. */
	parse_ok(IPPROTO_TCP, "connect ::ffff:10.0.0.2 80", &c);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.addr, ip4(10, 0, 0, 2));
	parse_ok(IPPROTO_TCP, "connect 10.0.0.2 80", &c);
	assert_int_equal(c.family, AF_INET);
	parse_ok(IPPROTO_ICMP, "connect 2001:db8::1", &c);
	expect6(&c, "2001:db8::1", 0, "");

	/* announce and bind: the family of the wildcard. */
	parse_ok(IPPROTO_TCP, "announce 80", &c);
	assert_int_equal(c.family, AF_UNSPEC);
	parse_ok(IPPROTO_TCP, "announce * 80", &c);
	assert_int_equal(c.family, AF_UNSPEC);
	parse_ok(IPPROTO_TCP, "announce 0.0.0.0 80", &c);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.addr, 0);
	parse_ok(IPPROTO_TCP, "announce :: 80 8", &c);
	expect6(&c, "::", 80, "");
	assert_int_equal(c.num, 8);
	parse_ok(IPPROTO_TCP, "announce [::]:80", &c);
	expect6(&c, "::", 80, "");
	parse_ok(IPPROTO_TCP, "announce 2001:db8::2 8080 16", &c);
	expect6(&c, "2001:db8::2", 8080, "");
	parse_ok(IPPROTO_UDP, "bind [2001:db8::2]:5000", &c);
	expect6(&c, "2001:db8::2", 5000, "");
	parse_ok(IPPROTO_UDP, "bind :: 5000", &c);
	expect6(&c, "::", 5000, "");
	parse_ok(IPPROTO_UDP, "bind 5000", &c);
	assert_int_equal(c.family, AF_UNSPEC);
}

static void test_ipv6_bad(void **state)
{
	parse_bad(IPPROTO_TCP, "connect 2001:db8::zz 80", "connect 2001:db8::zz 80: \"2001:db8::zz\" is not an IPv6 address");
	parse_bad(IPPROTO_TCP, "connect 2001:db8:::1 80", "connect 2001:db8:::1 80: \"2001:db8:::1\" is not an IPv6 address");
	parse_bad(IPPROTO_TCP, "connect 1:2:3:4:5:6:7:8:9 80", NULL);
	parse_bad(IPPROTO_TCP, "connect [2001:db8::1 80", "connect [2001:db8::1 80: \"[2001:db8::1\" is not [ADDRESS]:PORT");
	parse_bad(IPPROTO_TCP, "connect [2001:db8::1]x 80", NULL);
	parse_bad(IPPROTO_TCP, "connect [2001:db8::1]: 80", NULL);
	parse_bad(IPPROTO_TCP, "connect [2001:db8::1]:80x", "connect [2001:db8::1]:80x: \"80x\" is not a port (0 to 65535)");
	parse_bad(IPPROTO_TCP, "connect [2001:db8::1]", "connect [2001:db8::1]: missing port");
	parse_bad(IPPROTO_TCP, "connect [] 80", NULL);
	parse_bad(IPPROTO_TCP, "connect [10.0.0.1]:80", NULL);	/* brackets hold IPv6 */
	parse_bad(IPPROTO_TCP, "connect 2001:db8::1%imp0 80",
		  "connect 2001:db8::1%imp0 80: \"2001:db8::1%imp0\": a zone is only for a link-local address");
	parse_bad(IPPROTO_TCP, "connect fe80::1% 80", NULL);
	parse_bad(IPPROTO_TCP, "connect fe80::1%a/b 80", NULL);
	parse_bad(IPPROTO_TCP, "connect fe80::1%0123456789abcdef 80", NULL);
	parse_bad(IPPROTO_TCP, "connect :: 80", "connect :: 80: :: cannot be connected to");
	parse_bad(IPPROTO_TCP, "connect ::ffff:0.0.0.0 80", "connect ::ffff:0.0.0.0 80: 0.0.0.0 cannot be connected to");
	parse_bad(IPPROTO_TCP, "connect host:name 80", NULL);	/* a colon is never a name's */
	parse_bad(IPPROTO_TCP, "announce 2001:db8::x 80", NULL);
	parse_bad(IPPROTO_UDP, "bind [::1 5000", NULL);
	/* A long word is refused, not overrun. */
	parse_bad(IPPROTO_TCP, "connect 1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa 80", NULL);
}

int main(void)
{
#define P(f) cmocka_unit_test(f)
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		P(test_connect_ok),
		P(test_connect_icmp),
		P(test_connect_bad),
		P(test_announce_ok),
		P(test_announce_bad),
		P(test_bind),
		P(test_no_argument_verbs),
		P(test_shutdown),
		P(test_keepalive),
		P(test_tcp_options),
		P(test_nodelay),
		P(test_numbers),
		P(test_general_errors),
		P(test_text_after_newline_refused),
		P(test_ipv6_forms),
		P(test_ipv6_bad),
		T(test_arp_add_del),
		T(test_arp_add_releases_queue),
		T(test_arp_bad),
		T(test_arp_flush),
		T(test_route_add_remove),
		T(test_route_bad),
		T(test_route_table_full),
		T(test_route_over_connected_then_flush),
		T(test_ifc_add_remove),
		T(test_ifc_add_remove6),
		T(test_ifc_bad),
		T(test_ifc_mtu),
	};
	return cmocka_run_group_tests_name("ctlparse", tests, NULL, NULL);
}
