/* A socket's ctl file: run one parsed command (ctlparse.c) against the
 * socket, and answer the write with its byte count or an errno, with a
 * sentence in the socket's err file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "ctlparse.h"
#include "impfs.h"
#include "tcp.h"

/* zone_ok checks a link-local address's zone against our interfaces
 * (a name, or ipifc's index) and, without one, that there is only one
 * interface it could mean.  0, or -EINVAL with why. */
static int zone_ok(struct net *net, const struct sockcmd *cmd, char *why, size_t whylen)
{
	int nv6 = 0;

	if (cmd->family != AF_INET6 || !IN6_IS_ADDR_LINKLOCAL(&cmd->addr6))
		return 0;
	for (int i = 0; i < net->ndevs; i++) {
		struct net_device *dev = net->devs[i];
		char idx[12];
		if (!dev->ip6_ptr)
			continue;
		nv6++;
		snprintf(idx, sizeof(idx), "%d", dev->ifindex);
		if (cmd->zone[0] && (!strcmp(cmd->zone, dev->name) || !strcmp(cmd->zone, idx)))
			return 0;
	}
	if (cmd->zone[0]) {
		snprintf(why, whylen, "no interface \"%s\" runs IPv6", cmd->zone);
		return -EINVAL;
	}
	if (nv6 != 1) {
		snprintf(why, whylen, nv6 ? "a link-local address needs a zone (%%NAME)" :
			 "IPv6 is off");
		return -EINVAL;
	}
	return 0;
}

/* cmd_sockaddr: the command's address as a socket address; a missing
 * ADDR or "*" is the dual wildcard (:: taking IPv4 too) once IPv6 runs,
 * else IPv4's 0.0.0.0.  *v6only: whether an AF_INET6 bind is IPv6's only. */
static void cmd_sockaddr(struct socket *sock, const struct sockcmd *cmd, union inet_sockaddr *sa,
			 bool *v6only)
{
	memset(sa, 0, sizeof(*sa));
	*v6only = cmd->family == AF_INET6 || sock->protocol == IPPROTO_ICMPV6;
	if (cmd->family == AF_INET6 || sock->protocol == IPPROTO_ICMPV6 ||
	    (cmd->family == AF_UNSPEC && sock->protocol != IPPROTO_ICMP && inet6_enabled(sock->net))) {
		sa->sin6.sin6_family = AF_INET6;
		sa->sin6.sin6_port = htons(cmd->port);
		if (cmd->family == AF_INET6)
			sa->sin6.sin6_addr = cmd->addr6;
		return;
	}
	sa->sin.sin_family = AF_INET;
	sa->sin.sin_port = htons(cmd->port);
	sa->sin.sin_addr.s_addr = cmd->addr;
}

/* do_bind binds to the command's address (or, for connect's LPORT, the
 * wildcard) and port. */
static int do_bind(struct socket *sock, const struct sockcmd *cmd, uint16_t port)
{
	struct sockcmd c = *cmd;
	union inet_sockaddr sa;
	bool v6only;
	int err;

	c.port = port;
	cmd_sockaddr(sock, &c, &sa, &v6only);
	if (sa.sa.sa_family == AF_INET6 &&
	    (err = sock->ops->setsockopt(sock, SOCKOPT_V6ONLY, v6only)) != 0)
		return err;
	return sock->ops->bind(sock, &sa);
}

/* set_opt maps a protocol's "no such option" to a sentence. */
static int set_opt(struct conv *c, enum sockopt opt, long val, char *why, size_t whylen)
{
	int err = c->sock->ops->setsockopt(c->sock, opt, (int)val);

	if (err == -ENOPROTOOPT) {
		snprintf(why, whylen, "not for %s sockets", c->p->name);
		return -EINVAL;
	}
	return err;
}

/* sockctl_exec does cmd; 0, -errno (why may say more), or -EINPROGRESS
 * for a connect that goes on. */
static int sockctl_exec(struct conv *c, struct sockcmd *cmd, char *why, size_t whylen)
{
	struct socket *sock = c->sock;
	union inet_sockaddr sa;
	bool v6only;
	int err;

	switch (cmd->verb) {
	case CMD_CONNECT:
		if (sock->state == SS_CONNECTED)
			return -EISCONN;
		if (c->dnsq || sock->state == SS_CONNECTING)
			return -EALREADY;
		if ((err = zone_ok(sock->net, cmd, why, whylen)) != 0)
			return err;
		if (cmd->lport && !sock->sk->bound) {
			struct sockcmd any = { .family = AF_UNSPEC };
			if ((err = do_bind(sock, &any, cmd->lport)) != 0)
				return err;
		}
		if (cmd->host[0]) {
			/* A name: look it up first (the cache may know it). */
			struct dns_result res;
			c->dns_qtype = DNS_T_A;
			err = dns_resolve(sock->net, cmd->host, DNS_T_A, conv_dns_done, c, &res, &c->dnsq);
			if (err == -ENODATA && inet6_enabled(sock->net)) {
				/* No IPv4 address: an IPv6 one will do. */
				c->dns_qtype = DNS_T_AAAA;
				err = dns_resolve(sock->net, cmd->host, DNS_T_AAAA, conv_dns_done, c,
						  &res, &c->dnsq);
			}
			if (err == -EINPROGRESS) {
				c->dns_port = cmd->port;
				c->dns_err = 0;
				snprintf(c->dnscmd, sizeof(c->dnscmd), "%.90s", cmd->text);
				return err;
			}
			if (err) {
				snprintf(why, whylen, "%s", res.why);
				return err;
			}
			if (res.naddrs6 && !res.naddrs) {
				cmd->family = AF_INET6;
				memcpy(&cmd->addr6, res.addrs6[0], 16);
			} else {
				cmd->addr = res.addrs[0];
				cmd->family = AF_INET;
			}
		}
		cmd_sockaddr(sock, cmd, &sa, &v6only);
		err = sock->ops->connect(sock, &sa);
		if (!err)
			c->held = true;
		return err;
	case CMD_ANNOUNCE:
		if (sock->protocol == IPPROTO_ICMP || sock->protocol == IPPROTO_ICMPV6) {
			snprintf(why, whylen, "%s sockets cannot announce; use connect", c->p->name);
			return -EINVAL;
		}
		if (sock->state == SS_CONNECTED)
			return -EISCONN;
		if ((err = zone_ok(sock->net, cmd, why, whylen)) != 0)
			return err;
		if (!sock->sk->bound && (err = do_bind(sock, cmd, cmd->port)) != 0)
			return err;
		err = sock->ops->listen(sock, (int)cmd->num);
		if (!err)
			c->held = true;
		return err;
	case CMD_BIND:
		if (sock->sk->bound) {
			snprintf(why, whylen, "already bound to port %u", ntohs(sock->sk->inet_sport));
			return -EINVAL;
		}
		if ((err = zone_ok(sock->net, cmd, why, whylen)) != 0)
			return err;
		return do_bind(sock, cmd, cmd->port);
	case CMD_CLOSE:
	case CMD_HANGUP:
		conv_close(c, cmd->verb == CMD_HANGUP);
		return 0;
	case CMD_SHUTDOWN:
		return sock->ops->shutdown(sock, cmd->how);
	case CMD_KEEPALIVE:
		if (cmd->num > 0 && (err = set_opt(c, SOCKOPT_KEEPIDLE, cmd->num, why, whylen)) != 0)
			return err;
		return set_opt(c, SOCKOPT_KEEPALIVE, cmd->num >= 0, why, whylen);
	case CMD_KEEPIDLE:
		return set_opt(c, SOCKOPT_KEEPIDLE, cmd->num, why, whylen);
	case CMD_KEEPINTVL:
		return set_opt(c, SOCKOPT_KEEPINTVL, cmd->num, why, whylen);
	case CMD_KEEPCNT:
		return set_opt(c, SOCKOPT_KEEPCNT, cmd->num, why, whylen);
	case CMD_USERTIMEOUT:
		return set_opt(c, SOCKOPT_USER_TIMEOUT, cmd->num, why, whylen);
	case CMD_MAXSEG:
		return set_opt(c, SOCKOPT_MAXSEG, cmd->num, why, whylen);
	case CMD_RCVLOWAT:
		return set_opt(c, SOCKOPT_RCVLOWAT, cmd->num, why, whylen);
	case CMD_CONGESTION:
		if (sock->protocol != IPPROTO_TCP)
			return set_opt(c, SOCKOPT_CONGESTION, 0, why, whylen);	/* "not for" */
		if ((err = tcp_ca_find(cmd->name)) < 0) {
			snprintf(why, whylen, "no such algorithm (imp has:");
			for (int i = 0; tcp_ca_names[i]; i++)
				snprintf(why + strlen(why), whylen - strlen(why), " %s", tcp_ca_names[i]);
			snprintf(why + strlen(why), whylen - strlen(why), ")");
			return -ENOENT;
		}
		return set_opt(c, SOCKOPT_CONGESTION, err, why, whylen);
	case CMD_NODELAY:
		return set_opt(c, SOCKOPT_NODELAY, cmd->num, why, whylen);
	case CMD_SNDBUF:
		return set_opt(c, SOCKOPT_SNDBUF, cmd->num, why, whylen);
	case CMD_RCVBUF:
		return set_opt(c, SOCKOPT_RCVBUF, cmd->num, why, whylen);
	case CMD_TTL:
		return set_opt(c, SOCKOPT_TTL, cmd->num, why, whylen);
	case CMD_TOS:
		return set_opt(c, SOCKOPT_TOS, cmd->num, why, whylen);
	case CMD_HEADERS:
		return set_opt(c, SOCKOPT_HEADERS, 1, why, whylen);
	case CMD_AUTOCLOSE:
		c->autoclose = true;
		return 0;
	}
	return -EINVAL;
}

int conv_ctl(fuse_req_t req, struct conv *c, struct ofile *of, const char *buf, size_t len,
	     int flags)
{
	struct sockcmd cmd;
	char why[160] = "";
	int err = sockctl_parse(buf, len, c->p->protocol, &cmd, why, sizeof(why));

	if (err) {
		snprintf(c->err, sizeof(c->err), "%s", why);
	} else if (!c->sock) {
		snprintf(c->err, sizeof(c->err), "%.100s: socket is closed", cmd.text);
		err = -EPIPE;
	} else {
		err = sockctl_exec(c, &cmd, why, sizeof(why));
		if (err == -EINPROGRESS && !(flags & O_NONBLOCK)) {
			/* TCP: the write returns when the handshake is over. */
			sock_connect_park(req, c, of, len, cmd.text);
			return 0;
		}
		if (err == -EINPROGRESS) {
			/* Non-blocking: the outcome goes to err (and held) when
			 * the handshake ends; see conv_wakeup_now. */
			snprintf(c->connecting, sizeof(c->connecting), "%.90s", cmd.text);
			fuse_reply_err(req, EINPROGRESS);
			return err;
		}
		if (err && why[0])
			snprintf(c->err, sizeof(c->err), "%.90s: %.95s", cmd.text, why);
		else if (err)
			conv_seterr(c, cmd.text, -err);
	}
	if (err) {
		fuse_reply_err(req, -err);
		return err;
	}
	fuse_reply_write(req, len);
	return 0;
}
