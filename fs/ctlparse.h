/* Parsing of ctl commands, apart from the file system so that it can be
 * tested alone.  Every parser fills why with a sentence when it refuses. */
#ifndef IMP_CTLPARSE_H
#define IMP_CTLPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "net.h"
#include "sock.h"

#define CTL_MAXARGS 8

int ctl_split(char *line, char **argv, int max);

/* The stack-wide files: parse and do; 0 or -errno. */
int write_arp(struct net *net, char *line, char *why, size_t whylen);
int write_iproute(struct net *net, char *line, char *why, size_t whylen);
int write_ifc_ctl(struct net_device *dev, char *line, char *why, size_t whylen);

/* A socket's ctl command, parsed (SPEC §2). */
enum sockverb {
	CMD_CONNECT, CMD_ANNOUNCE, CMD_BIND, CMD_CLOSE, CMD_HANGUP, CMD_SHUTDOWN,
	CMD_KEEPALIVE, CMD_NODELAY, CMD_SNDBUF, CMD_RCVBUF, CMD_TTL, CMD_TOS,
	CMD_HEADERS, CMD_AUTOCLOSE,
	CMD_KEEPIDLE, CMD_KEEPINTVL, CMD_KEEPCNT, CMD_USERTIMEOUT, CMD_MAXSEG, CMD_RCVLOWAT,
	CMD_CONGESTION
};

struct sockcmd {
	enum sockverb verb;
	/* The address: AF_UNSPEC when absent or "*" (both families),
	 * AF_INET in addr (0.0.0.0: IPv4's any), AF_INET6 in addr6 (:: is
	 * IPv6's any, IPv6 only) with zone the %ZONE of a link-local one. */
	sa_family_t family;
	uint32_t addr;			/* network order; 0 = any */
	struct in6_addr addr6;
	char zone[16];
	uint16_t port, lport;		/* host order */
	long num;			/* backlog, ms, bytes, ttl, tos, on/off;
					 * keepalive: MS, 0 (as set) or -1 (off) */
	char name[16];			/* congestion: the algorithm */
	char host[DNS_TEXT_MAX + 1];	/* connect: a host name to look up ("" = addr) */
	int how;			/* SHUT_RD, SHUT_WR, SHUT_RDWR */
	char text[128];			/* the command as written, for err */
};

/* sockctl_parse reads one command for a socket of protocol (IPPROTO_*).
 * connect's ADDR may be a host name: any word that is not digits and dots
 * and is a valid name goes to host, to be looked up by the caller.
 * 0, or -EINVAL with a sentence in why ("unknown command \"frob\"",
 * "connect 1.2.3: \"1.2.3\" is not an IPv4 address"). */
int sockctl_parse(const char *buf, size_t len, int protocol, struct sockcmd *cmd,
		  char *why, size_t whylen);

#endif
