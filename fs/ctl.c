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
