/* sockopt.c: setsockopt, getsockopt and ioctl on an imp socket.
 *
 * The options imp has are ctl commands (keepalive, keepidle, keepintvl,
 * keepcnt, usertimeout, maxseg, rcvlowat, congestion, nodelay, rcvbuf,
 * sndbuf, ttl, tos); the rest are kept in struct sk, to be read back as
 * set, and the timeouts (SO_RCVTIMEO, SO_SNDTIMEO) and SO_LINGER's wait
 * are done by io.c and table.c.  What is read comes from the daemon:
 * TCP_INFO and the TCP options from N/info (one read of one line of
 * numbers), SO_ERROR from N/status and N/err, FIONREAD and TIOCOUTQ from
 * N/status.
 */
#include "impc.h"

#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* ---- N/info ------------------------------------------------------------------ */

/* The keys of N/info (imp(4)): struct tcp_info's fields without tcpi_,
 * then the settings the TCP options read back. */
#define INFO_KEYS(X) X(state) X(ca_state) X(retransmits) X(probes) X(backoff) X(options) \
	X(snd_wscale) X(rcv_wscale) X(rto) X(ato) X(snd_mss) X(rcv_mss) X(unacked) X(sacked) \
	X(lost) X(retrans) X(fackets) X(last_data_sent) X(last_ack_sent) X(last_data_recv) \
	X(last_ack_recv) X(pmtu) X(rcv_ssthresh) X(rtt) X(rttvar) X(snd_ssthresh) X(snd_cwnd) \
	X(advmss) X(reordering) X(rcv_rtt) X(rcv_space) X(total_retrans) X(pacing_rate) \
	X(max_pacing_rate) X(bytes_acked) X(bytes_received) X(user_mss) X(keepalive) \
	X(keepidle) X(keepintvl) X(keepcnt) X(user_timeout) X(rcvlowat) X(segs_out) X(segs_in) \
	X(notsent_bytes) X(min_rtt) X(data_segs_in) X(data_segs_out) X(delivery_rate)
enum {
#define X(n) I_##n,
	INFO_KEYS(X)
#undef X
	NINFO
};
static const char *const info_key[NINFO] = {
#define X(n) #n,
	INFO_KEYS(X)
#undef X
};

struct info {
	unsigned long long v[NINFO];	/* 0 where the daemon said nothing */
	char congestion[16];		/* TCP_CA_NAME_MAX, NUL-padded */
};

/* info_read: N/info, parsed; -ENOPROTOOPT when the daemon has none. */
static int info_read(struct sk *sk, struct info *in)
{
	char line[2048], *p, *key, *val, *save = NULL;
	int n = sk_read_file(sk, "info", line, sizeof(line));

	memset(in, 0, sizeof(*in));
	if (n < 0)
		return n == -ENOENT ? -ENOPROTOOPT : n;
	for (p = line; (key = strtok_r(p, " \n", &save)) && (val = strtok_r(NULL, " \n", &save)); p = NULL) {
		if (!strcmp(key, "congestion")) {
			strncpy(in->congestion, val, sizeof(in->congestion) - 1);
			continue;
		}
		for (int i = 0; i < NINFO; i++)
			if (!strcmp(key, info_key[i])) {
				in->v[i] = strtoull(val, NULL, 10);
				break;
			}
	}
	return 0;
}

/* Linux's struct tcp_info as far as tcpi_delivery_rate (the layout of
 * Linux 4.9): glibc's struct, the four 64-bit fields that came next, the
 * segment counts, min_rtt and the delivery rate.  imp answers with this
 * much, as that kernel would: what follows (busy and limited times,
 * delivered counts, ...) the stack does not count. */
struct imp_tcp_info {
	struct tcp_info base;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, notsent_bytes, min_rtt, data_segs_in, data_segs_out;
	uint64_t delivery_rate;
};
_Static_assert(sizeof(struct tcp_info) == 104, "glibc's struct tcp_info is Linux's first 104 bytes");
_Static_assert(sizeof(struct imp_tcp_info) == 168, "as far as tcpi_delivery_rate");

static void info_fill(const struct info *in, struct imp_tcp_info *t)
{
	const unsigned long long *v = in->v;

	memset(t, 0, sizeof(*t));
	t->base.tcpi_state = (uint8_t)v[I_state];
	t->base.tcpi_ca_state = (uint8_t)v[I_ca_state];
	t->base.tcpi_retransmits = (uint8_t)v[I_retransmits];
	t->base.tcpi_probes = (uint8_t)v[I_probes];
	t->base.tcpi_backoff = (uint8_t)v[I_backoff];
	t->base.tcpi_options = (uint8_t)v[I_options];
	t->base.tcpi_snd_wscale = v[I_snd_wscale] & 15;
	t->base.tcpi_rcv_wscale = v[I_rcv_wscale] & 15;
#define U32(f) t->base.tcpi_##f = (uint32_t)v[I_##f];
	U32(rto) U32(ato) U32(snd_mss) U32(rcv_mss) U32(unacked) U32(sacked) U32(lost)
	U32(retrans) U32(fackets) U32(last_data_sent) U32(last_ack_sent) U32(last_data_recv)
	U32(last_ack_recv) U32(pmtu) U32(rcv_ssthresh) U32(rtt) U32(rttvar) U32(snd_ssthresh)
	U32(snd_cwnd) U32(advmss) U32(reordering) U32(rcv_rtt) U32(rcv_space) U32(total_retrans)
#undef U32
	t->pacing_rate = v[I_pacing_rate];
	t->max_pacing_rate = v[I_max_pacing_rate];
	t->bytes_acked = v[I_bytes_acked];
	t->bytes_received = v[I_bytes_received];
	t->segs_out = (uint32_t)v[I_segs_out];
	t->segs_in = (uint32_t)v[I_segs_in];
	t->notsent_bytes = (uint32_t)v[I_notsent_bytes];
	t->min_rtt = (uint32_t)v[I_min_rtt];
	t->data_segs_in = (uint32_t)v[I_data_segs_in];
	t->data_segs_out = (uint32_t)v[I_data_segs_out];
	t->delivery_rate = v[I_delivery_rate];
}

/* put_bytes: copy min(*len, n) bytes out, as Linux's getsockopt does for
 * its structures and strings; *len says how many. */
static int put_bytes(void *val, socklen_t *len, const void *src, size_t n)
{
	if ((int)*len < 0)
		return -EINVAL;
	if (*len < n)
		n = *len;
	memcpy(val, src, n);
	*len = (socklen_t)n;
	return 0;
}

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

/* setopt6: IPPROTO_IPV6's options, on an AF_INET6 socket only (an AF_INET
 * one has none, as Linux's).  The hop limit and traffic class are the
 * stack's ttl and tos (one each for both families). */
static int setopt6(struct sk *sk, int name, int v)
{
	int e;

	if (sk->family != AF_INET6)
		return -ENOPROTOOPT;
	switch (name) {
	case IPV6_V6ONLY:
		/* Linux: only before the socket has a port */
		if (sk->flags & (F_BOUND | F_LISTEN | F_CONNECTED | F_CONNECTING | F_HEADERS))
			return -EINVAL;
		sk->v6only = !!v;
		return 0;
	case IPV6_UNICAST_HOPS:
		if (v < -1 || v > 255)
			return -EINVAL;
		if ((e = ctl_cmd(sk, false, "ttl %d", v == -1 ? 64 : v ? v : 1)) != 0)
			return e;
		sk->hops = v;
		return 0;
	case IPV6_TCLASS:
		if (v < -1 || v > 255)
			return -EINVAL;
		if (v == -1)
			v = 0;
		if ((e = ctl_cmd(sk, false, "tos %d", v)) != 0)
			return e;
		sk->tclass = v;
		return 0;
	case IPV6_RECVERR: case IPV6_MTU_DISCOVER:
		return 0;	/* accepted, no effect (as their IPv4 twins) */
	}
	return -ENOPROTOOPT;
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
	if (level == IPPROTO_TCP && name == TCP_CONGESTION && sk->proto == P_TCP) {
		char ca[16];
		size_t n;
		if (!val)
			return -EFAULT;
		if ((int)len < 1)
			return -EINVAL;
		n = len < sizeof(ca) - 1 ? len : sizeof(ca) - 1;
		memcpy(ca, val, n);
		ca[n] = 0;
		n = strlen(ca);
		/* A name imp could not even parse is one it does not have. */
		if (!n || strspn(ca, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
			return -ENOENT;
		return ctl_cmd(sk, false, "congestion %s", ca);
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
			if ((e = ctl_cmd(sk, false, v ? "keepalive" : "keepalive off")) != 0)
				return e;
			sk->keepalive = !!v;
			return 0;
		case SO_RCVLOWAT:
			if (v < 0)
				v = INT_MAX;	/* Linux's */
			if (sk->proto == P_TCP && (e = ctl_cmd(sk, false, "rcvlowat %d", v)) != 0)
				return e;
			sk->rcvlowat = v ? v : 1;	/* UDP: kept, no effect (Linux's too) */
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
	case IPPROTO_IPV6:
		return setopt6(sk, name, v);
	case IPPROTO_TCP:
		if (sk->proto != P_TCP)
			return -ENOPROTOOPT;
		switch (name) {
		case TCP_NODELAY:
			if ((e = ctl_cmd(sk, false, "nodelay %s", v ? "on" : "off")) != 0)
				return e;
			sk->nodelay = !!v;
			return 0;
		/* Linux's bounds: MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL (s),
		 * MAX_TCP_KEEPCNT, TCP_MIN_MSS, MAX_TCP_WINDOW. */
		case TCP_KEEPIDLE:
			if (v < 1 || v > 32767)
				return -EINVAL;
			if ((e = ctl_cmd(sk, false, "keepidle %d", v * 1000)) != 0)
				return e;
			sk->keepidle = v;
			return 0;
		case TCP_KEEPINTVL:
			if (v < 1 || v > 32767)
				return -EINVAL;
			if ((e = ctl_cmd(sk, false, "keepintvl %d", v * 1000)) != 0)
				return e;
			sk->keepintvl = v;
			return 0;
		case TCP_KEEPCNT:
			if (v < 1 || v > 127)
				return -EINVAL;
			if ((e = ctl_cmd(sk, false, "keepcnt %d", v)) != 0)
				return e;
			sk->keepcnt = v;
			return 0;
		case TCP_USER_TIMEOUT:
			if (v < 0)
				return -EINVAL;
			return ctl_cmd(sk, false, "usertimeout %d", v);
		case TCP_MAXSEG:
			if (v && (v < 88 || v > 32767))
				return -EINVAL;
			return ctl_cmd(sk, false, "maxseg %d", v);
		case TCP_QUICKACK: case TCP_DEFER_ACCEPT:
		case TCP_CORK: case TCP_FASTOPEN: case TCP_FASTOPEN_CONNECT:
			return 0;	/* accepted, no effect: hints imp does without */
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

/* is_info_opt: a TCP option getsockopt reads from N/info. */
static bool is_info_opt(int name)
{
	switch (name) {
	case TCP_INFO: case TCP_MAXSEG: case TCP_CONGESTION: case TCP_KEEPIDLE:
	case TCP_KEEPINTVL: case TCP_KEEPCNT: case TCP_USER_TIMEOUT:
		return true;
	}
	return false;
}

static int getopt_(struct sk *sk, int level, int name, void *val, socklen_t *len)
{
	int v, e;
	char word[32], line[512];
	struct info in;

	if (!val || !len)
		return -EFAULT;
	if (level == SOL_SOCKET && (name == SO_LINGER || name == SO_RCVTIMEO ||
				    name == SO_SNDTIMEO)) {
		struct linger l = { .l_onoff = !!sk->linger.l_onoff, .l_linger = sk->linger.l_linger };
		if (name == SO_LINGER)
			return put_bytes(val, len, &l, sizeof(l));	/* l_onoff is 0 or 1, as Linux keeps it */
		return put_bytes(val, len, name == SO_RCVTIMEO ? &sk->rcvtimeo : &sk->sndtimeo,
				 sizeof(struct timeval));
	}
	if (level == IPPROTO_TCP && sk->proto == P_TCP && is_info_opt(name) &&
	    (e = info_read(sk, &in)) != 0) {
		if (name != TCP_MAXSEG)
			return e;
		/* a daemon without info: status has the mss */
		v = 536;
		if (sk_status(sk, word, sizeof(word), line, sizeof(line)) == 0 &&
		    status_num(line, "mss") > 0)
			v = (int)status_num(line, "mss");
		goto out;
	}
	if (level == IPPROTO_TCP && sk->proto == P_TCP && name == TCP_INFO) {
		struct imp_tcp_info t;
		info_fill(&in, &t);
		return put_bytes(val, len, &t, sizeof(t));
	}
	if (level == IPPROTO_TCP && sk->proto == P_TCP && name == TCP_CONGESTION)
		return put_bytes(val, len, in.congestion, sizeof(in.congestion));
	switch (level) {
	case SOL_SOCKET:
		switch (name) {
		case SO_TYPE: v = sk->proto == P_TCP ? SOCK_STREAM : SOCK_DGRAM; break;
		case SO_DOMAIN: v = sk->family; break;
		case SO_PROTOCOL: v = sk->proto == P_TCP ? IPPROTO_TCP : IPPROTO_UDP; break;
		case SO_ERROR: v = so_error(sk); break;
		case SO_ACCEPTCONN: v = !!(sk->flags & F_LISTEN); break;
		case SO_REUSEADDR: v = sk->reuseaddr; break;
		case SO_REUSEPORT: v = sk->reuseport; break;
		case SO_BROADCAST: v = sk->broadcast; break;
		case SO_OOBINLINE: v = sk->oobinline; break;
		case SO_PRIORITY: v = sk->priority; break;
		case SO_KEEPALIVE: v = sk->keepalive; break;
		case SO_RCVLOWAT:
			v = sk->rcvlowat ? sk->rcvlowat : 1;
			if (sk->proto == P_TCP && info_read(sk, &in) == 0 && in.v[I_rcvlowat])
				v = (int)in.v[I_rcvlowat];
			break;
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
	case IPPROTO_IPV6:
		if (sk->family != AF_INET6)
			return -ENOPROTOOPT;
		switch (name) {
		case IPV6_V6ONLY: v = sk->v6only; break;
		case IPV6_UNICAST_HOPS: v = sk->hops == -1 ? 64 : sk->hops; break;
		case IPV6_TCLASS: v = sk->tclass; break;
		default: return -ENOPROTOOPT;
		}
		break;
	case IPPROTO_TCP:
		if (sk->proto != P_TCP)
			return -ENOPROTOOPT;
		switch (name) {
		case TCP_NODELAY: v = sk->nodelay; break;
		/* Linux's units: seconds for these two */
		case TCP_KEEPIDLE: v = (int)(in.v[I_keepidle] / 1000); break;
		case TCP_KEEPINTVL: v = (int)(in.v[I_keepintvl] / 1000); break;
		case TCP_KEEPCNT: v = (int)in.v[I_keepcnt]; break;
		case TCP_USER_TIMEOUT: v = (int)in.v[I_user_timeout]; break;
		case TCP_MAXSEG:
			/* Linux: the MSS in use, or the one set while there is
			 * no connection (TCP_CLOSE 7, TCP_LISTEN 10) */
			v = (int)in.v[I_snd_mss];
			if (in.v[I_user_mss] && (in.v[I_state] == 7 || in.v[I_state] == 10))
				v = (int)in.v[I_user_mss];
			break;
		default: return -ENOPROTOOPT;
		}
		break;
	default:
		return -ENOPROTOOPT;
	}
out:
	/* Linux: an IP option asked into less than an int is one byte; any
	 * other int gives as many of its bytes as there is room for. */
	if (level == IPPROTO_IP && (int)*len > 0 && *len < sizeof(int) && v >= 0 && v <= 255) {
		*(unsigned char *)val = (unsigned char)v;
		*len = 1;
		return 0;
	}
	return put_bytes(val, len, &v, sizeof(v));
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
