/* Commands written to the stack-wide ctl files (/imp/arp, /imp/iproute,
 * /imp/ipifc/N/ctl).  Each file has a table: a verb, how many arguments it
 * takes, and the function that does it.  A malformed command is EINVAL with
 * a sentence saying what was wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ctlparse.h"

static int parse_long(const char *s, long min, long max, long *out);

struct ctl_cmd {
	const char *verb;
	int min, max;			/* arguments after the verb */
	const char *usage;
	int (*fn)(void *obj, int argc, char **argv, char *why, size_t whylen);
};

/* ctl_split cuts a line into words at spaces and tabs; a trailing newline
 * ends it.  Returns the count, -1 when there are too many words, or -2
 * when a second line follows (one command per write). */
int ctl_split(char *line, char **argv, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n') {
			while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
				p++;
			return *p ? -2 : n;
		}
		if (!*p)
			return n;
		if (n == max)
			return -1;
		argv[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (!*p)
			return n;
		if (*p == '\n') {
			*p++ = 0;
			/* One command per write: a second line is refused, not
			 * silently dropped. */
			while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
				p++;
			return *p ? -2 : n;
		}
		*p++ = 0;
	}
}

static int ctl_run(const struct ctl_cmd *tab, void *obj, char *line, char *why, size_t whylen)
{
	char *argv[CTL_MAXARGS];
	int argc = ctl_split(line, argv, CTL_MAXARGS);

	if (argc == 0) {
		snprintf(why, whylen, "empty command");
		return -EINVAL;
	}
	if (argc < 0) {
		snprintf(why, whylen, argc == -1 ? "too many words" :
			 "one command per write: a second line was given");
		return -EINVAL;
	}
	for (const struct ctl_cmd *c = tab; c->verb; c++) {
		if (strcmp(c->verb, argv[0]))
			continue;
		if (argc - 1 < c->min || argc - 1 > c->max) {
			snprintf(why, whylen, "usage: %s", c->usage);
			return -EINVAL;
		}
		return c->fn(obj, argc - 1, argv + 1, why, whylen);
	}
	snprintf(why, whylen, "unknown command \"%.32s\"", argv[0]);
	return -EINVAL;
}

static int bad_addr(const char *what, const char *s, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s: \"%.40s\" is not a dotted IPv4 %s", what, s,
		 strchr(what, '/') ? "prefix" : "address");
	return -EINVAL;
}

/* /imp/arp */

static int arp_add(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	struct net *net = obj;
	uint32_t ip;
	uint8_t mac[ETH_ALEN];
	int err;

	if (inet_parse_addr(argv[0], &ip))
		return bad_addr("add IP", argv[0], why, whylen);
	if (eth_parse_addr(argv[1], mac)) {
		snprintf(why, whylen, "add: \"%.40s\" is not a MAC address like 02:00:00:00:00:01", argv[1]);
		return -EINVAL;
	}
	if (!net->ndevs) {
		snprintf(why, whylen, "add: no interface");
		return -ENETUNREACH;
	}
	err = neigh_add_static(net->devs[0], ip, mac);
	if (err)
		snprintf(why, whylen, "add %s: %s", argv[0], err == -EINVAL ?
			 "not a unicast address and MAC" : strerror(-err));
	return err;
}

static int arp_del(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	uint32_t ip;

	if (inet_parse_addr(argv[0], &ip))
		return bad_addr("del IP", argv[0], why, whylen);
	if (neigh_delete(obj, ip)) {
		snprintf(why, whylen, "del %s: no such entry", argv[0]);
		return -ENOENT;
	}
	return 0;
}

static int arp_flush(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	neigh_flush(obj);
	return 0;
}

static const struct ctl_cmd arp_cmds[] = {
	{ "add", 2, 2, "add IP MAC", arp_add },
	{ "del", 1, 1, "del IP", arp_del },
	{ "flush", 0, 0, "flush", arp_flush },
	{ 0 }
};

int write_arp(struct net *net, char *line, char *why, size_t whylen)
{
	return ctl_run(arp_cmds, net, line, why, whylen);
}

/* /imp/iproute */

static int route_add(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	struct net *net = obj;
	uint32_t dst, gw;
	int plen, err;

	if (inet_parse_prefix(argv[0], &dst, &plen))
		return bad_addr("add DEST/PREFIX", argv[0], why, whylen);
	if (inet_parse_addr(argv[1], &gw))
		return bad_addr("add GATEWAY", argv[1], why, whylen);
	if (!net->ndevs) {
		snprintf(why, whylen, "add: no interface");
		return -ENETUNREACH;
	}
	/* The gateway must be on a link we have, or nothing could reach it. */
	struct rtable rt;
	if (ip_route_output(net, gw, &rt) || rt.nexthop != gw || rt.type != RTN_UNICAST) {
		snprintf(why, whylen, "add %s %s: gateway is not on a connected network",
			 argv[0], argv[1]);
		return -ENETUNREACH;
	}
	err = fib_add(net, dst, plen, gw, rt.dev, RT_STATIC);
	if (err)
		snprintf(why, whylen, "add %s: %s", argv[0], err == -EEXIST ?
			 "the prefix of one of our addresses; remove the address first" : "route table full");
	return err;
}

static int route_remove(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	uint32_t dst;
	int plen;

	if (inet_parse_prefix(argv[0], &dst, &plen))
		return bad_addr("remove DEST/PREFIX", argv[0], why, whylen);
	if (fib_del(obj, dst, plen)) {
		snprintf(why, whylen, "%s %s: no such route", argv[-1], argv[0]);
		return -ESRCH;
	}
	return 0;
}

static int route_flush(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	fib_flush_static(obj);
	return 0;
}

static const struct ctl_cmd route_cmds[] = {
	{ "add", 2, 2, "add DEST/PREFIX GATEWAY", route_add },
	{ "remove", 1, 1, "remove DEST/PREFIX", route_remove },
	{ "del", 1, 1, "del DEST/PREFIX", route_remove },
	{ "flush", 0, 0, "flush", route_flush },
	{ 0 }
};

int write_iproute(struct net *net, char *line, char *why, size_t whylen)
{
	return ctl_run(route_cmds, net, line, why, whylen);
}

/* /imp/ipifc/N/ctl */

/* IPv6 ADDR/PREFIX (it has a colon): through DAD, as impfs --addr's. */
static int ifc_add6(struct net_device *dev, const char *arg, char *why, size_t whylen)
{
	struct in6_addr a;
	int plen, err;

	if (ipv6_parse_prefix(arg, &a, &plen))
		return bad_addr("add ADDR/PREFIX", arg, why, whylen);
	err = addrconf_add_static(dev, &a, plen);
	if (err)
		snprintf(why, whylen, "add %s: %s", arg,
			 err == -EEXIST ? "address already present" :
			 err == -EINVAL ? "not a unicast address" :
			 err == -ENETDOWN ? "IPv6 is off (impfs --no-ipv6)" : "too many addresses");
	return err == -ENETDOWN ? -EINVAL : err;
}

static int ifc_remove6(struct net_device *dev, const char *arg, char *why, size_t whylen)
{
	struct in6_addr a;
	int plen, err;

	if (ipv6_parse_prefix(arg, &a, &plen))
		return bad_addr("remove ADDR/PREFIX", arg, why, whylen);
	err = addrconf_del(dev, &a, plen);
	if (err == -ENETDOWN) {
		snprintf(why, whylen, "remove %s: IPv6 is off (impfs --no-ipv6)", arg);
		return -EINVAL;
	}
	if (err)
		snprintf(why, whylen, "remove %s: no such address", arg);
	return err;
}

static int ifc_add(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	uint32_t a;
	int plen, err;

	if (strchr(argv[0], ':'))
		return ifc_add6(obj, argv[0], why, whylen);
	if (inet_parse_prefix(argv[0], &a, &plen))
		return bad_addr("add ADDR/PREFIX", argv[0], why, whylen);
	err = inet_add_ifaddr(obj, a, plen);
	if (err)
		snprintf(why, whylen, "add %s: %s", argv[0],
			 err == -EEXIST ? "address already present" :
			 err == -EINVAL ? "not a unicast address" : "too many addresses");
	return err;
}

static int ifc_remove(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	uint32_t a;
	int plen, err;

	if (strchr(argv[0], ':'))
		return ifc_remove6(obj, argv[0], why, whylen);
	if (inet_parse_prefix(argv[0], &a, &plen))
		return bad_addr("remove ADDR/PREFIX", argv[0], why, whylen);
	err = inet_del_ifaddr(obj, a, plen);
	if (err)
		snprintf(why, whylen, "remove %s: no such address", argv[0]);
	return err;
}

static int ifc_mtu(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	long mtu;

	if (parse_long(argv[0], IMP_MIN_MTU, IMP_MAX_MTU, &mtu)) {
		snprintf(why, whylen, "mtu: \"%.20s\" is not a number from %d to %d",
			 argv[0], IMP_MIN_MTU, IMP_MAX_MTU);
		return -EINVAL;
	}
	dev_set_mtu(obj, (unsigned int)mtu);
	return 0;
}

/* renew: ask the DHCP server now, as at T1 (impfs --addr dhcp). */
static int ifc_renew(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	struct net_device *dev = obj;
	int err;

	if (!dev->net->dhcp || dev->net->dhcp->dev != dev) {
		snprintf(why, whylen, "renew: no DHCP client on this interface (impfs --addr dhcp)");
		return -EINVAL;
	}
	err = dhcp_renew(dev->net);
	if (err)
		snprintf(why, whylen, "renew: no lease yet (DHCP is %s)", dhcp_state_name(dev->net->dhcp->state));
	return err;
}

static const struct ctl_cmd ifc_cmds[] = {
	{ "add", 1, 1, "add ADDR/PREFIX", ifc_add },
	{ "remove", 1, 1, "remove ADDR/PREFIX", ifc_remove },
	{ "mtu", 1, 1, "mtu N", ifc_mtu },
	{ "renew", 0, 0, "renew", ifc_renew },
	{ 0 }
};

int write_ifc_ctl(struct net_device *dev, char *line, char *why, size_t whylen)
{
	return ctl_run(ifc_cmds, dev, line, why, whylen);
}


/* --- a socket's ctl file (SPEC §2) --- */

/* parse_port reads a port number 0-65535, strictly decimal. */
static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* parse_long reads a decimal min..max, nothing else. */
static int parse_long(const char *s, long min, long max, long *out)
{
	long v = 0;

	if (!*s || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* An optional ADDR is told from a PORT by its dots or colons (IPv6), a
 * bracket, or by being "*". */
static bool looks_like_addr(const char *s)
{
	return strchr(s, '.') || strchr(s, ':') || s[0] == '[' || !strcmp(s, "*");
}

/* parse_inet reads an address of either family into c: dotted IPv4, or
 * IPv6 text (RFC 4291 §2.2, strictly: inet_pton's) with an optional
 * %ZONE (an interface's name or index) for a link-local one.
 * ::ffff:a.b.c.d is IPv4.  0, or -EINVAL with why. */
static int parse_inet(const char *a, struct sockcmd *c, char *why, size_t whylen)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *pct = strchr(a, '%');
	size_t n = pct ? (size_t)(pct - a) : strlen(a);

	if (!strchr(a, ':')) {
		if (inet_parse_addr(a, &c->addr))
			return -EINVAL;	/* the caller says why: it may be a name */
		c->family = AF_INET;
		return 0;
	}
	if (n >= sizeof(buf)) {
		snprintf(why, whylen, "\"%.40s\" is not an IPv6 address", a);
		return -EINVAL;
	}
	memcpy(buf, a, n);
	buf[n] = 0;
	if (inet_pton(AF_INET6, buf, &c->addr6) != 1) {
		snprintf(why, whylen, "\"%.40s\" is not an IPv6 address", a);
		return -EINVAL;
	}
	if (pct) {
		const char *z = pct + 1;
		size_t zl = strlen(z);
		if (!IN6_IS_ADDR_LINKLOCAL(&c->addr6)) {
			snprintf(why, whylen, "\"%.40s\": a zone is only for a link-local address", a);
			return -EINVAL;
		}
		if (!zl || zl >= sizeof(c->zone) ||
		    strspn(z, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != zl) {
			snprintf(why, whylen, "\"%.40s\": \"%.20s\" is not an interface's name or index", a, z);
			return -EINVAL;
		}
		memcpy(c->zone, z, zl + 1);
	}
	if (IN6_IS_ADDR_V4MAPPED(&c->addr6)) {
		memcpy(&c->addr, &c->addr6.s6_addr[12], 4);
		memset(&c->addr6, 0, sizeof(c->addr6));
		c->family = AF_INET;
		return 0;
	}
	c->family = AF_INET6;
	return 0;
}

/* parse_endpoint reads "ADDR PORT", "ADDR!PORT", "[ADDR]:PORT",
 * "[ADDR] PORT", or (when addr_optional) "PORT" from argv into c, and
 * returns how many words it took, or -EINVAL.  need_port false lets the
 * port be absent (icmp).  host (connect's) takes a name to look up. */
static int parse_endpoint(int argc, char **argv, bool addr_optional, bool need_port,
			  struct sockcmd *c, char *host, char *why, size_t whylen)
{

	char abuf[DNS_TEXT_MAX + 1];
	const char *a = NULL, *p = NULL;
	int used;

	c->addr = 0;
	c->port = 0;
	c->family = AF_UNSPEC;
	if (argc < 1) {
		snprintf(why, whylen, "missing %s", addr_optional ? "port" : "address");
		return -EINVAL;
	}
	char *bang = strchr(argv[0], '!');
	if (argv[0][0] == '[') {
		/* [ADDR]:PORT or [ADDR] PORT: IPv6's own way of writing it. */
		const char *close = strchr(argv[0], ']');
		size_t n = close ? (size_t)(close - argv[0] - 1) : 0;
		if (!close || n >= sizeof(abuf) || (close[1] && close[1] != ':') ||
		    (close[1] == ':' && !close[2])) {
			snprintf(why, whylen, "\"%.40s\" is not [ADDRESS]:PORT", argv[0]);
			return -EINVAL;
		}
		memcpy(abuf, argv[0] + 1, n);
		abuf[n] = 0;
		if (!strchr(abuf, ':')) {
			snprintf(why, whylen, "\"%.40s\": brackets hold an IPv6 address", argv[0]);
			return -EINVAL;
		}
		a = abuf;
		used = 1;
		if (close[1] == ':')
			p = close + 2;
		else if (argc > 1 && need_port)
			p = argv[1], used = 2;
	} else if (bang) {
		size_t n = (size_t)(bang - argv[0]);
		if (n >= sizeof(abuf)) {
			snprintf(why, whylen, "address too long");
			return -EINVAL;
		}
		memcpy(abuf, argv[0], n);
		abuf[n] = 0;
		a = abuf;
		p = bang + 1;
		used = 1;
	} else if (!addr_optional || looks_like_addr(argv[0])) {
		a = argv[0];
		used = 1;
		if (argc > 1 && need_port) {
			p = argv[1];
			used = 2;
		}
	} else {
		p = argv[0];
		used = 1;
	}
	if (a && !strcmp(a, "*")) {
		if (!addr_optional) {
			snprintf(why, whylen, "\"*\" is not an address to connect to");
			return -EINVAL;
		}
	} else if (a && strchr(a, ':')) {
		if (parse_inet(a, c, why, whylen))
			return -EINVAL;
	} else if (a && parse_inet(a, c, why, whylen)) {
		/* connect's ADDR is required, so a word that is not an
		 * address is a name (SPEC §2): digits and dots alone never are. */
		if (!host || strspn(a, "0123456789.") == strlen(a) || !dns_name_is_host(a)) {
			snprintf(why, whylen, host && strspn(a, "0123456789.") != strlen(a) ?
				 "\"%.40s\" is not an IPv4 address or a host name" :
				 "\"%.40s\" is not an IPv4 address", a);
			return -EINVAL;
		}
		snprintf(host, DNS_TEXT_MAX + 1, "%s", a);
	}
	if (!p) {
		if (need_port) {
			snprintf(why, whylen, "missing port");
			return -EINVAL;
		}
		return used;
	}
	if (parse_port(p, &c->port)) {
		snprintf(why, whylen, "\"%.20s\" is not a port (0 to 65535)", p);
		return -EINVAL;
	}
	return used;
}

static const struct {
	const char *word;
	enum sockverb verb;
	int min, max;			/* arguments after the verb */
	const char *usage;
} sockverbs[] = {
	{ "connect", CMD_CONNECT, 1, 3, "connect ADDR PORT [LPORT]" },
	{ "announce", CMD_ANNOUNCE, 1, 3, "announce [ADDR] PORT [BACKLOG]" },
	{ "bind", CMD_BIND, 1, 2, "bind [ADDR] PORT" },
	{ "close", CMD_CLOSE, 0, 0, "close" },
	{ "hangup", CMD_HANGUP, 0, 0, "hangup" },
	{ "shutdown", CMD_SHUTDOWN, 1, 1, "shutdown rd|wr|rdwr" },
	{ "keepalive", CMD_KEEPALIVE, 0, 1, "keepalive [MS|off]" },
	{ "keepidle", CMD_KEEPIDLE, 1, 1, "keepidle MS" },
	{ "keepintvl", CMD_KEEPINTVL, 1, 1, "keepintvl MS" },
	{ "keepcnt", CMD_KEEPCNT, 1, 1, "keepcnt N" },
	{ "usertimeout", CMD_USERTIMEOUT, 1, 1, "usertimeout MS" },
	{ "maxseg", CMD_MAXSEG, 1, 1, "maxseg N" },
	{ "rcvlowat", CMD_RCVLOWAT, 1, 1, "rcvlowat N" },
	{ "congestion", CMD_CONGESTION, 1, 1, "congestion NAME" },
	{ "cc", CMD_CONGESTION, 1, 1, "cc cubic|newreno" },
	{ "nodelay", CMD_NODELAY, 1, 1, "nodelay on|off" },
	{ "sndbuf", CMD_SNDBUF, 1, 1, "sndbuf N" },
	{ "rcvbuf", CMD_RCVBUF, 1, 1, "rcvbuf N" },
	{ "ttl", CMD_TTL, 1, 1, "ttl N" },
	{ "tos", CMD_TOS, 1, 1, "tos N" },
	{ "headers", CMD_HEADERS, 0, 0, "headers" },
	{ "autoclose", CMD_AUTOCLOSE, 0, 0, "autoclose" },
};

/* parse_args checks the arguments of one verb; 0 or -EINVAL with why. */
static int parse_args(struct sockcmd *c, int protocol, int argc, char **argv,
		      const char *usage, char *why, size_t whylen)
{
	int used;

	switch (c->verb) {
	case CMD_CONNECT:
		used = parse_endpoint(argc, argv, false, protocol != IPPROTO_ICMP && protocol != IPPROTO_ICMPV6,
				      c, c->host, why, whylen);
		if (used < 0)
			return used;
		if (argc - used > 1)
			break;
		if (argc - used == 1 && parse_port(argv[used], &c->lport)) {
			snprintf(why, whylen, "\"%.20s\" is not a local port (0 to 65535)", argv[used]);
			return -EINVAL;
		}
		if (protocol != IPPROTO_ICMP && protocol != IPPROTO_ICMPV6 && c->port == 0) {
			snprintf(why, whylen, "port 0 cannot be connected to");
			return -EINVAL;
		}
		if (c->family == AF_INET && c->addr == 0 && !c->host[0]) {
			snprintf(why, whylen, "0.0.0.0 cannot be connected to");
			return -EINVAL;
		}
		if (c->family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&c->addr6)) {
			snprintf(why, whylen, ":: cannot be connected to");
			return -EINVAL;
		}
		return 0;
	case CMD_ANNOUNCE:
		c->num = 16;	/* the default backlog */
		used = parse_endpoint(argc, argv, true, true, c, NULL, why, whylen);
		if (used < 0)
			return used;
		if (argc - used > 1)
			break;
		if (argc - used == 1 && parse_long(argv[used], 1, 4096, &c->num)) {
			snprintf(why, whylen, "\"%.20s\" is not a backlog (1 to 4096)", argv[used]);
			return -EINVAL;
		}
		return 0;
	case CMD_BIND:
		used = parse_endpoint(argc, argv, true, true, c, NULL, why, whylen);
		if (used < 0)
			return used;
		if (argc != used)
			break;
		return 0;
	case CMD_SHUTDOWN:
		c->how = !strcmp(argv[0], "rd") ? SHUT_RD : !strcmp(argv[0], "wr") ? SHUT_WR :
			 !strcmp(argv[0], "rdwr") ? SHUT_RDWR : -1;
		if (c->how < 0)
			break;
		return 0;
	case CMD_KEEPALIVE:
		c->num = 0;	/* on, with the idle time as set (120000 ms at first) */
		if (argc == 1 && !strcmp(argv[0], "off")) {
			c->num = -1;
			return 0;
		}
		if (argc == 1 && parse_long(argv[0], 1, 86400000, &c->num)) {
			snprintf(why, whylen, "\"%.20s\" is not a time in ms (1 to 86400000) or off", argv[0]);
			return -EINVAL;
		}
		return 0;
	case CMD_KEEPIDLE:
	case CMD_KEEPINTVL:
		if (parse_long(argv[0], 1, 86400000, &c->num)) {
			snprintf(why, whylen, "\"%.20s\" is not a time in ms (1 to 86400000)", argv[0]);
			return -EINVAL;
		}
		return 0;
	case CMD_KEEPCNT:
		if (parse_long(argv[0], 1, 127, &c->num)) {
			snprintf(why, whylen, "\"%.20s\" is not a count from 1 to 127", argv[0]);
			return -EINVAL;
		}
		return 0;
	case CMD_USERTIMEOUT:
		if (parse_long(argv[0], 0, 2147483647, &c->num)) {
			snprintf(why, whylen, "\"%.20s\" is not a time in ms (0, off, to 2147483647)", argv[0]);
			return -EINVAL;
		}
		return 0;
	case CMD_MAXSEG:
		if (parse_long(argv[0], 0, 32767, &c->num) || (c->num && c->num < 88)) {
			snprintf(why, whylen, "\"%.20s\" is not an MSS from 88 to 32767 (0: the route's)", argv[0]);
			return -EINVAL;
		}
		return 0;
	case CMD_RCVLOWAT:
		if (parse_long(argv[0], 0, 2147483647, &c->num)) {
			snprintf(why, whylen, "\"%.20s\" is not a byte count (0 to 2147483647)", argv[0]);
			return -EINVAL;
		}
		return 0;
	case CMD_CONGESTION: {
		size_t n = strlen(argv[0]);
		if (n >= sizeof(c->name) || strspn(argv[0], "abcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
			snprintf(why, whylen, "\"%.20s\" is not an algorithm's name (a-z, 0-9, _ and -, at most 15)", argv[0]);
			return -EINVAL;
		}
		memcpy(c->name, argv[0], n + 1);
		return 0;
	}
	case CMD_NODELAY:
		if (strcmp(argv[0], "on") && strcmp(argv[0], "off"))
			break;
		c->num = !strcmp(argv[0], "on");
		return 0;
	case CMD_SNDBUF:
	case CMD_RCVBUF:
	case CMD_TTL:
	case CMD_TOS: {
		long min = c->verb == CMD_TTL ? 1 : c->verb == CMD_TOS ? 0 : 1;
		long max = c->verb == CMD_TTL || c->verb == CMD_TOS ? 255 : (long)SOCK_MAX_BUF;
		if (parse_long(argv[0], min, max, &c->num)) {
			snprintf(why, whylen, "\"%.20s\" is not a number from %ld to %ld", argv[0], min, max);
			return -EINVAL;
		}
		return 0;
	}
	case CMD_CLOSE:
	case CMD_HANGUP:
	case CMD_HEADERS:
	case CMD_AUTOCLOSE:
		return 0;
	}
	snprintf(why, whylen, "usage: %s", usage);
	return -EINVAL;
}

int sockctl_parse(const char *buf, size_t len, int protocol, struct sockcmd *cmd,
		  char *why, size_t whylen)
{
	char line[256], *argv[CTL_MAXARGS], reason[128] = "";
	int argc;
	size_t n = 0, i;

	memset(cmd, 0, sizeof(*cmd));
	if (len >= sizeof(line) || memchr(buf, 0, len)) {
		snprintf(why, whylen, "command too long or not text");
		return -EINVAL;
	}
	memcpy(line, buf, len);
	line[len] = 0;
	argc = ctl_split(line, argv, CTL_MAXARGS);
	if (argc <= 0) {
		snprintf(why, whylen, argc == -1 ? "too many words" : argc == -2 ?
			 "one command per write: a second line was given" : "empty command");
		return -EINVAL;
	}
	/* The command as written, one space between words. */
	for (int k = 0; k < argc && n < sizeof(cmd->text); k++)
		n += (size_t)snprintf(cmd->text + n, sizeof(cmd->text) - n, "%s%s", k ? " " : "", argv[k]);
	for (i = 0; i < sizeof(sockverbs) / sizeof(sockverbs[0]); i++)
		if (!strcmp(sockverbs[i].word, argv[0]))
			break;
	if (i == sizeof(sockverbs) / sizeof(sockverbs[0])) {
		snprintf(why, whylen, "unknown command \"%.40s\"", argv[0]);
		return -EINVAL;
	}
	cmd->verb = sockverbs[i].verb;
	if (argc - 1 < sockverbs[i].min || argc - 1 > sockverbs[i].max) {
		snprintf(why, whylen, "%.100s: usage: %s", cmd->text, sockverbs[i].usage);
		return -EINVAL;
	}
	if (parse_args(cmd, protocol, argc - 1, argv + 1, sockverbs[i].usage, reason, sizeof(reason))) {
		snprintf(why, whylen, "%.100s: %s", cmd->text, reason);
		return -EINVAL;
	}
	return 0;
}
