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

static int do_bind(struct socket *sock, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = addr };

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
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int err;

	switch (cmd->verb) {
	case CMD_CONNECT:
		if (sock->state == SS_CONNECTED)
			return -EISCONN;
		if (c->dnsq || sock->state == SS_CONNECTING)
			return -EALREADY;
		if (cmd->lport && !sock->sk->bound && (err = do_bind(sock, 0, cmd->lport)) != 0)
			return err;
		if (cmd->host[0]) {
			/* A name: look it up first (the cache may know it). */
			struct dns_result res;
			err = dns_resolve(sock->net, cmd->host, DNS_T_A, conv_dns_done, c, &res, &c->dnsq);
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
			cmd->addr = res.addrs[0];
		}
		sa.sin_addr.s_addr = cmd->addr;
		sa.sin_port = htons(cmd->port);
		err = sock->ops->connect(sock, &sa);
		if (!err)
			c->held = true;
		return err;
	case CMD_ANNOUNCE:
		if (sock->protocol == IPPROTO_ICMP) {
			snprintf(why, whylen, "icmp sockets cannot announce; use connect");
			return -EINVAL;
		}
		if (sock->state == SS_CONNECTED)
			return -EISCONN;
		if (!sock->sk->bound && (err = do_bind(sock, cmd->addr, cmd->port)) != 0)
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
		return do_bind(sock, cmd->addr, cmd->port);
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
