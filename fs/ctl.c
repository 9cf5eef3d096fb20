/* Commands written to the stack-wide ctl files (/imp/arp, /imp/iproute,
 * /imp/ipifc/N/ctl).  Each file has a table: a verb, how many arguments it
 * takes, and the function that does it.  A malformed command is EINVAL with
 * a sentence saying what was wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impfs.h"

#define CTL_MAXARGS 8

struct ctl_cmd {
	const char *verb;
	int min, max;			/* arguments after the verb */
	const char *usage;
	int (*fn)(void *obj, int argc, char **argv, char *why, size_t whylen);
};

/* ctl_split cuts a line into words at spaces and tabs; a trailing newline
 * ends it.  Returns the count, or -1 when there are too many. */
static int ctl_split(char *line, char **argv, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n')
			return n;
		if (n == max)
			return -1;
		argv[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (!*p)
			return n;
		if (*p == '\n') {
			*p = 0;
			return n;
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
		snprintf(why, whylen, "too many words");
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
		snprintf(why, whylen, "add %s: route table full", argv[0]);
	return err;
}

static int route_remove(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	uint32_t dst;
	int plen;

	if (inet_parse_prefix(argv[0], &dst, &plen))
		return bad_addr("remove DEST/PREFIX", argv[0], why, whylen);
	if (fib_del(obj, dst, plen)) {
		snprintf(why, whylen, "remove %s: no such route", argv[0]);
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

static int ifc_add(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	uint32_t a;
	int plen, err;

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

	if (inet_parse_prefix(argv[0], &a, &plen))
		return bad_addr("remove ADDR/PREFIX", argv[0], why, whylen);
	err = inet_del_ifaddr(obj, a, plen);
	if (err)
		snprintf(why, whylen, "remove %s: no such address", argv[0]);
	return err;
}

static int ifc_mtu(void *obj, int argc, char **argv, char *why, size_t whylen)
{
	char *end;
	long mtu = strtol(argv[0], &end, 10);

	if (*end || end == argv[0] || mtu < IMP_MIN_MTU || mtu > IMP_MAX_MTU) {
		snprintf(why, whylen, "mtu: \"%.20s\" is not a number from %d to %d",
			 argv[0], IMP_MIN_MTU, IMP_MAX_MTU);
		return -EINVAL;
	}
	dev_set_mtu(obj, (unsigned int)mtu);
	return 0;
}

static const struct ctl_cmd ifc_cmds[] = {
	{ "add", 1, 1, "add ADDR/PREFIX", ifc_add },
	{ "remove", 1, 1, "remove ADDR/PREFIX", ifc_remove },
	{ "mtu", 1, 1, "mtu N", ifc_mtu },
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

static int parse_uint(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* An optional ADDR is told from a PORT by its dots, or by being "*". */
static bool looks_like_addr(const char *s)
{
	return strchr(s, '.') || !strcmp(s, "*");
}

struct sockctl {
	struct conv *c;
	fuse_req_t req;
	struct ofile *of;
	char cmd[160];			/* the command as written, for err */
	char why[160];			/* a sentence when the arguments are wrong */
};

/* parse_endpoint reads "ADDR PORT", "ADDR!PORT", or (when addr_optional)
 * "PORT" from argv, returning how many words it took, or -EINVAL with
 * why set.  need_port false lets the port be absent (icmp). */
static int parse_endpoint(struct sockctl *x, int argc, char **argv, bool addr_optional,
			  bool need_port, uint32_t *addr, uint16_t *port)
{
	char abuf[64];
	const char *a = NULL, *p = NULL;
	int used = 0;

	*addr = 0;
	*port = 0;
	if (argc < 1) {
		snprintf(x->why, sizeof(x->why), "missing %s", addr_optional ? "port" : "address");
		return -EINVAL;
	}
	char *bang = strchr(argv[0], '!');
	if (bang) {
		size_t n = (size_t)(bang - argv[0]);
		if (n >= sizeof(abuf)) {
			snprintf(x->why, sizeof(x->why), "address too long");
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
		if (argc > 1 && (need_port || !looks_like_addr(argv[1]))) {
			p = argv[1];
			used = 2;
		}
	} else {
		p = argv[0];
		used = 1;
	}
	if (a && strcmp(a, "*") && inet_parse_addr(a, addr)) {
		snprintf(x->why, sizeof(x->why), "\"%.40s\" is not an IPv4 address", a);
		return -EINVAL;
	}
	if (a && !strcmp(a, "*") && !addr_optional) {
		snprintf(x->why, sizeof(x->why), "\"*\" is not an address to connect to");
		return -EINVAL;
	}
	if (!p) {
		if (need_port) {
			snprintf(x->why, sizeof(x->why), "missing port");
			return -EINVAL;
		}
		return used;
	}
	if (parse_port(p, port)) {
		snprintf(x->why, sizeof(x->why), "\"%.20s\" is not a port (0 to 65535)", p);
		return -EINVAL;
	}
	return used;
}

static int sc_bind(struct sockctl *x, struct socket *sock, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = addr };

	return sock->ops->bind(sock, &sa);
}

static int cmd_connect(struct sockctl *x, int argc, char **argv)
{
	struct socket *sock = x->c->sock;
	bool icmp = sock->protocol == IPPROTO_ICMP;
	uint32_t addr;
	uint16_t port, lport = 0;
	int used = parse_endpoint(x, argc, argv, false, !icmp, &addr, &port);
	int err;

	if (used < 0)
		return used;
	if (argc - used > 1) {
		snprintf(x->why, sizeof(x->why), "usage: connect ADDR PORT [LPORT]");
		return -EINVAL;
	}
	if (argc - used == 1 && parse_port(argv[used], &lport)) {
		snprintf(x->why, sizeof(x->why), "\"%.20s\" is not a local port (0 to 65535)", argv[used]);
		return -EINVAL;
	}
	if (!icmp && port == 0) {
		snprintf(x->why, sizeof(x->why), "port 0 cannot be connected to");
		return -EINVAL;
	}
	if (sock->state == SS_CONNECTED)
		return -EISCONN;
	if (lport && !sock->sk->bound && (err = sc_bind(x, sock, 0, lport)) != 0)
		return err;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = addr };
	err = sock->ops->connect(sock, &sa);
	if (err == 0)
		x->c->held = true;
	return err;
}

static int cmd_announce(struct sockctl *x, int argc, char **argv)
{
	struct socket *sock = x->c->sock;
	uint32_t addr;
	uint16_t port;
	long backlog = 16;
	int used, err;

	if (sock->protocol == IPPROTO_ICMP) {
		snprintf(x->why, sizeof(x->why), "icmp sockets cannot announce; use connect");
		return -EINVAL;
	}
	used = parse_endpoint(x, argc, argv, true, true, &addr, &port);
	if (used < 0)
		return used;
	if (argc - used > 1) {
		snprintf(x->why, sizeof(x->why), "usage: announce [ADDR] PORT [BACKLOG]");
		return -EINVAL;
	}
	if (argc - used == 1 && parse_uint(argv[used], 1, 4096, &backlog)) {
		snprintf(x->why, sizeof(x->why), "\"%.20s\" is not a backlog (1 to 4096)", argv[used]);
		return -EINVAL;
	}
	if (sock->state == SS_CONNECTED)
		return -EISCONN;
	if (!sock->sk->bound && (err = sc_bind(x, sock, addr, port)) != 0)
		return err;
	err = sock->ops->listen(sock, (int)backlog);
	if (err == 0)
		x->c->held = true;
	return err;
}

static int cmd_bind(struct sockctl *x, int argc, char **argv)
{
	struct socket *sock = x->c->sock;
	uint32_t addr;
	uint16_t port;
	int used = parse_endpoint(x, argc, argv, true, true, &addr, &port);

	if (used < 0)
		return used;
	if (argc != used) {
		snprintf(x->why, sizeof(x->why), "usage: bind [ADDR] PORT");
		return -EINVAL;
	}
	if (sock->sk->bound) {
		snprintf(x->why, sizeof(x->why), "already bound to port %u", ntohs(sock->sk->inet_sport));
		return -EINVAL;
	}
	return sc_bind(x, sock, addr, port);
}

static int cmd_close(struct sockctl *x, int argc, char **argv)
{
	conv_close(x->c);
	return 0;
}

static int cmd_shutdown(struct sockctl *x, int argc, char **argv)
{
	int how = !strcmp(argv[0], "rd") ? SHUT_RD : !strcmp(argv[0], "wr") ? SHUT_WR :
		  !strcmp(argv[0], "rdwr") ? SHUT_RDWR : -1;

	if (how < 0) {
		snprintf(x->why, sizeof(x->why), "usage: shutdown rd|wr|rdwr");
		return -EINVAL;
	}
	return x->c->sock->ops->shutdown(x->c->sock, how);
}

static int set_opt(struct sockctl *x, enum sockopt opt, int val)
{
	int err = x->c->sock->ops->setsockopt(x->c->sock, opt, val);

	if (err == -ENOPROTOOPT) {
		snprintf(x->why, sizeof(x->why), "not for %s sockets", x->c->p->name);
		return -EINVAL;
	}
	return err;
}

static int cmd_keepalive(struct sockctl *x, int argc, char **argv)
{
	long ms = 120000;

	if (argc == 1 && parse_uint(argv[0], 1, 86400000, &ms)) {
		snprintf(x->why, sizeof(x->why), "\"%.20s\" is not a time in ms (1 to 86400000)", argv[0]);
		return -EINVAL;
	}
	return set_opt(x, SOCKOPT_KEEPALIVE, (int)ms);
}

static int cmd_nodelay(struct sockctl *x, int argc, char **argv)
{
	if (strcmp(argv[0], "on") && strcmp(argv[0], "off")) {
		snprintf(x->why, sizeof(x->why), "usage: nodelay on|off");
		return -EINVAL;
	}
	return set_opt(x, SOCKOPT_NODELAY, !strcmp(argv[0], "on"));
}

static int cmd_number(struct sockctl *x, char **argv, enum sockopt opt, long min, long max)
{
	long v;

	if (parse_uint(argv[0], min, max, &v)) {
		snprintf(x->why, sizeof(x->why), "\"%.20s\" is not a number from %ld to %ld",
			 argv[0], min, max);
		return -EINVAL;
	}
	return set_opt(x, opt, (int)v);
}

static int cmd_sndbuf(struct sockctl *x, int argc, char **argv)
{
	return cmd_number(x, argv, SOCKOPT_SNDBUF, 1, SOCK_MAX_BUF);
}

static int cmd_rcvbuf(struct sockctl *x, int argc, char **argv)
{
	return cmd_number(x, argv, SOCKOPT_RCVBUF, 1, SOCK_MAX_BUF);
}

static int cmd_ttl(struct sockctl *x, int argc, char **argv)
{
	return cmd_number(x, argv, SOCKOPT_TTL, 1, 255);
}

static int cmd_tos(struct sockctl *x, int argc, char **argv)
{
	return cmd_number(x, argv, SOCKOPT_TOS, 0, 255);
}

static int cmd_headers(struct sockctl *x, int argc, char **argv)
{
	return set_opt(x, SOCKOPT_HEADERS, 1);
}

static const struct {
	const char *verb;
	int min, max;
	const char *usage;
	int (*fn)(struct sockctl *x, int argc, char **argv);
} sock_cmds[] = {
	{ "connect", 1, 3, "connect ADDR PORT [LPORT]", cmd_connect },
	{ "announce", 1, 3, "announce [ADDR] PORT [BACKLOG]", cmd_announce },
	{ "bind", 1, 2, "bind [ADDR] PORT", cmd_bind },
	{ "close", 0, 0, "close", cmd_close },
	{ "hangup", 0, 0, "hangup", cmd_close },
	{ "shutdown", 1, 1, "shutdown rd|wr|rdwr", cmd_shutdown },
	{ "keepalive", 0, 1, "keepalive [MS]", cmd_keepalive },
	{ "nodelay", 1, 1, "nodelay on|off", cmd_nodelay },
	{ "sndbuf", 1, 1, "sndbuf N", cmd_sndbuf },
	{ "rcvbuf", 1, 1, "rcvbuf N", cmd_rcvbuf },
	{ "ttl", 1, 1, "ttl N", cmd_ttl },
	{ "tos", 1, 1, "tos N", cmd_tos },
	{ "headers", 0, 0, "headers", cmd_headers },
};

/* conv_ctl runs one command written to a socket's ctl and answers the
 * write: the byte count, or an errno with a sentence in err. */
int conv_ctl(fuse_req_t req, struct conv *c, struct ofile *of, const char *buf, size_t len)
{
	struct sockctl x = { .c = c, .req = req, .of = of };
	char line[256], *argv[CTL_MAXARGS];
	int argc, err = -EINVAL;
	size_t n = 0;

	if (len >= sizeof(line) || memchr(buf, 0, len)) {
		snprintf(c->err, sizeof(c->err), "command too long or not text");
		fuse_reply_err(req, EINVAL);
		return -EINVAL;
	}
	memcpy(line, buf, len);
	line[len] = 0;
	argc = ctl_split(line, argv, CTL_MAXARGS);
	/* The command as written, one space between words, for err. */
	for (int i = 0; i < argc && n < sizeof(x.cmd); i++)
		n += (size_t)snprintf(x.cmd + n, sizeof(x.cmd) - n, "%s%s", i ? " " : "", argv[i]);
	if (argc <= 0) {
		snprintf(c->err, sizeof(c->err), argc ? "too many words" : "empty command");
		fuse_reply_err(req, EINVAL);
		return -EINVAL;
	}
	size_t i;
	for (i = 0; i < sizeof(sock_cmds) / sizeof(sock_cmds[0]); i++)
		if (!strcmp(sock_cmds[i].verb, argv[0]))
			break;
	if (i == sizeof(sock_cmds) / sizeof(sock_cmds[0])) {
		snprintf(c->err, sizeof(c->err), "unknown command \"%.40s\"", argv[0]);
	} else if (argc - 1 < sock_cmds[i].min || argc - 1 > sock_cmds[i].max) {
		snprintf(c->err, sizeof(c->err), "%.100s: usage: %s", x.cmd, sock_cmds[i].usage);
	} else if (!c->sock) {
		snprintf(c->err, sizeof(c->err), "%.100s: socket is closed", x.cmd);
		err = -EPIPE;
	} else {
		err = sock_cmds[i].fn(&x, argc - 1, argv + 1);
		if (err == 1)
			return 0;	/* parked: answered later */
		if (err && x.why[0])
			snprintf(c->err, sizeof(c->err), "%.90s: %.95s", x.cmd, x.why);
		else if (err)
			conv_seterr(c, x.cmd, -err);
	}
	if (err) {
		fuse_reply_err(req, -err);
		return err;
	}
	fuse_reply_write(req, len);
	return 0;
}
