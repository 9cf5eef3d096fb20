/* sockopt.c: setsockopt, getsockopt and ioctl on an imp socket.
 *
 * The options imp has are ctl commands (keepalive, nodelay, rcvbuf, sndbuf,
 * ttl, tos); the rest are kept in struct sk, to be read back as set, and
 * the timeouts (SO_RCVTIMEO, SO_SNDTIMEO) are done by io.c.  What is read
 * (SO_ERROR, TCP_MAXSEG, FIONREAD, TIOCOUTQ) comes from N/status and N/err.
 */
#include "impc.h"

#include <netinet/tcp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

/* ---- options --------------------------------------------------------------- */

static int opt_int(const void *val, socklen_t len, int *out)
{
	if (!val)
		return -EFAULT;
	if (len >= sizeof(int))
		*out = *(const int *)val;
	else if (len >= 1)
		*out = *(const unsigned char *)val;
	else
		return -EINVAL;
	return 0;
}

static int setopt(struct sk *sk, int level, int name, const void *val, socklen_t len)
{
	int v = 0, e;

	if (level == SOL_SOCKET && (name == SO_LINGER || name == SO_RCVTIMEO ||
				    name == SO_SNDTIMEO)) {
		if (!val)
			return -EFAULT;
		if (name == SO_LINGER) {
			if (len < sizeof(struct linger))
				return -EINVAL;
			memcpy(&sk->linger, val, sizeof(sk->linger));
		} else {
			struct timeval tv;
			if (len < sizeof(tv))
				return -EINVAL;
			memcpy(&tv, val, sizeof(tv));
			if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
				return -EDOM;
			if (tv.tv_sec < 0)
				tv.tv_sec = tv.tv_usec = 0;
			pthread_mutex_lock(&lock);
			*(name == SO_RCVTIMEO ? &sk->rcvtimeo : &sk->sndtimeo) = tv;
			sk_set_special(sk);
			pthread_mutex_unlock(&lock);
		}
		return 0;
	}
	if ((e = opt_int(val, len, &v)) != 0)
		return e;
	switch (level) {
	case SOL_SOCKET:
		switch (name) {
		case SO_REUSEADDR: sk->reuseaddr = !!v; return 0;
		case SO_REUSEPORT: sk->reuseport = !!v; return 0;	/* accepted, no effect */
		case SO_BROADCAST: sk->broadcast = !!v; return 0;
		case SO_OOBINLINE: sk->oobinline = !!v; return 0;	/* urgent data is inline anyway */
		case SO_PRIORITY: sk->priority = v; return 0;
		case SO_KEEPALIVE:
			if (sk->proto != P_TCP)
				return 0;
			if (v && !sk->keepalive) {
				e = sk->keepidle ? ctl_cmd(sk, false, "keepalive %d", sk->keepidle * 1000)
						 : ctl_cmd(sk, false, "keepalive");
				if (e)
					return e;
			}
			sk->keepalive = !!v;	/* imp has no "keepalive off": off stays on */
			return 0;
		case SO_RCVBUF:
		case SO_SNDBUF:
			if (v < 1024)
				v = 1024;
			e = ctl_cmd(sk, false, "%s %d", name == SO_RCVBUF ? "rcvbuf" : "sndbuf", v);
			/* imp sizes TCP buffers at connect; Linux takes a
			 * change at any time, so a late one is not an error. */
			if (e && e != -EISCONN && e != -EINVAL)
				return e;
			*(name == SO_RCVBUF ? &sk->rcvbuf : &sk->sndbuf) = v;
			return 0;
		}
		break;
	case IPPROTO_IP:
		switch (name) {
		case IP_TTL:
			if (v == -1)
				v = 64;
			if (v < 1 || v > 255)
				return -EINVAL;
			if ((e = ctl_cmd(sk, false, "ttl %d", v)) != 0)
				return e;
			sk->ttl = v;
			return 0;
		case IP_TOS:
			v &= 0xff;
			if ((e = ctl_cmd(sk, false, "tos %d", v)) != 0)
				return e;
			sk->tos = v;
			return 0;
		case IP_RECVERR: case IP_MTU_DISCOVER: case IP_PKTINFO: case IP_RECVTOS:
		case IP_RECVTTL: case IP_FREEBIND: case IP_BIND_ADDRESS_NO_PORT:
			return 0;	/* accepted, no effect */
		}
		break;
	case IPPROTO_TCP:
		if (sk->proto != P_TCP)
			return -ENOPROTOOPT;
		switch (name) {
		case TCP_NODELAY:
			if ((e = ctl_cmd(sk, false, "nodelay %s", v ? "on" : "off")) != 0)
				return e;
			sk->nodelay = !!v;
			return 0;
		case TCP_KEEPIDLE:
			if (v < 1 || v > 32767)
				return -EINVAL;
			sk->keepidle = v;
			if (sk->keepalive)
				return ctl_cmd(sk, false, "keepalive %d", v * 1000);
			return 0;
		case TCP_KEEPINTVL:
			if (v < 1 || v > 32767)
				return -EINVAL;
			sk->keepintvl = v;
			return 0;
		case TCP_KEEPCNT:
			if (v < 1 || v > 127)
				return -EINVAL;
			sk->keepcnt = v;
			return 0;
		case TCP_QUICKACK: case TCP_USER_TIMEOUT: case TCP_DEFER_ACCEPT:
		case TCP_CORK: case TCP_FASTOPEN: case TCP_FASTOPEN_CONNECT: case TCP_MAXSEG:
			return 0;	/* accepted, no effect */
		}
		break;
	}
	return -ENOPROTOOPT;
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct sk *sk;
	int e;

	NEED(setsockopt);
	if (!(sk = sk_get(fd)))
		return real_setsockopt(fd, level, name, val, len);
	e = setopt(sk, level, name, val, len);
	sk_put(sk);
	return e ? fail(-e) : 0;
}

static int getopt_(struct sk *sk, int level, int name, void *val, socklen_t *len)
{
	int v;
	char word[32], line[512];

	if (!val || !len)
		return -EFAULT;
	if (level == SOL_SOCKET && (name == SO_LINGER || name == SO_RCVTIMEO ||
				    name == SO_SNDTIMEO)) {
		const void *p = name == SO_LINGER ? (const void *)&sk->linger :
			name == SO_RCVTIMEO ? (const void *)&sk->rcvtimeo : (const void *)&sk->sndtimeo;
		socklen_t l = name == SO_LINGER ? sizeof(struct linger) : sizeof(struct timeval);
		memcpy(val, p, *len < l ? *len : l);
		*len = *len < l ? *len : l;
		return 0;
	}
	switch (level) {
	case SOL_SOCKET:
		switch (name) {
		case SO_TYPE: v = sk->proto == P_TCP ? SOCK_STREAM : SOCK_DGRAM; break;
		case SO_DOMAIN: v = AF_INET; break;
		case SO_PROTOCOL: v = sk->proto == P_TCP ? IPPROTO_TCP : IPPROTO_UDP; break;
		case SO_ERROR: v = so_error(sk); break;
		case SO_ACCEPTCONN: v = !!(sk->flags & F_LISTEN); break;
		case SO_REUSEADDR: v = sk->reuseaddr; break;
		case SO_REUSEPORT: v = sk->reuseport; break;
		case SO_BROADCAST: v = sk->broadcast; break;
		case SO_OOBINLINE: v = sk->oobinline; break;
		case SO_PRIORITY: v = sk->priority; break;
		case SO_KEEPALIVE: v = sk->keepalive; break;
		case SO_RCVBUF:
		case SO_SNDBUF:
			v = name == SO_RCVBUF ? sk->rcvbuf : sk->sndbuf;
			if (v)
				v *= 2;		/* as Linux reports it */
			else if (sk->proto == P_UDP)
				v = 212992;
			else
				v = 2 << 20;
			break;
		default: return -ENOPROTOOPT;
		}
		break;
	case IPPROTO_IP:
		switch (name) {
		case IP_TTL: v = sk->ttl; break;
		case IP_TOS: v = sk->tos; break;
		default: return -ENOPROTOOPT;
		}
		break;
	case IPPROTO_TCP:
		if (sk->proto != P_TCP)
			return -ENOPROTOOPT;
		switch (name) {
		case TCP_NODELAY: v = sk->nodelay; break;
		case TCP_KEEPIDLE: v = sk->keepidle ? sk->keepidle : 120; break;
		case TCP_KEEPINTVL: v = sk->keepintvl ? sk->keepintvl : 75; break;
		case TCP_KEEPCNT: v = sk->keepcnt ? sk->keepcnt : 9; break;
		case TCP_MAXSEG:
			v = 536;
			if (sk_status(sk, word, sizeof(word), line, sizeof(line)) == 0 &&
			    status_num(line, "mss") > 0)
				v = (int)status_num(line, "mss");
			break;
		default: return -ENOPROTOOPT;
		}
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (*len >= sizeof(int)) {
		memcpy(val, &v, sizeof(int));
		*len = sizeof(int);
	} else if (*len > 0) {
		*(unsigned char *)val = (unsigned char)v;
		*len = 1;
	} else {
		return -EINVAL;
	}
	return 0;
}

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct sk *sk;
	int e;

	NEED(getsockopt);
	if (!(sk = sk_get(fd)))
		return real_getsockopt(fd, level, name, val, len);
	e = getopt_(sk, level, name, val, len);
	sk_put(sk);
	return e ? fail(-e) : 0;
}

/* ---- ioctl --------------------------------------------------------------------- */

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	struct sk *sk;
	char word[32], line[512];
	long v;
	int e = 0;

	NEED(ioctl);
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if ((req != FIONREAD && req != TIOCOUTQ) || !(sk = sk_get(fd)))
		return real_ioctl(fd, req, arg);	/* FIONBIO: the kernel's, for any file */
	if (!arg) {
		e = -EFAULT;
	} else if (sk->flags & F_LISTEN) {
		e = -EINVAL;
	} else if ((e = sk_status(sk, word, sizeof(word), line, sizeof(line))) == 0) {
		v = status_num(line, req == FIONREAD ? "rcvq" : "sndq");
		if (v < 0)
			v = 0;
		if (req == FIONREAD) {
			pthread_mutex_lock(&lock);
			if (sk->proto == P_UDP && (sk->peek || sk->peeklen))
				v = (long)sk->peeklen;	/* the next datagram */
			else
				v += (long)sk->peeklen;
			pthread_mutex_unlock(&lock);
		}
		*(int *)arg = (int)v;
	}
	sk_put(sk);
	return e ? fail(-e) : 0;
}
