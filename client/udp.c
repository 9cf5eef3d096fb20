/* udp.c: datagrams on an imp UDP socket.
 *
 * A connected socket's data file is one datagram a read or write.  To name
 * other addresses the socket goes into headers mode (the "headers" ctl
 * command, imp(4)): each datagram then carries a 52-byte Plan 9 header,
 * built and taken off here.  A datagram MSG_PEEK read is kept in struct sk
 * and is the next one received.
 */
#include "impc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The Plan 9 UDP header of the "headers" ctl command (imp(4)). */
#define HDR_LEN 52
#define MAX_DGRAM 65507

/* headers mode on (once), for a UDP socket that sends or receives with
 * addresses. */
int need_headers(struct sk *sk)
{
	int e;

	if (sk->flags & F_HEADERS)
		return 0;
	if ((e = ctl_cmd(sk, false, "headers")) != 0)
		return e;
	pthread_mutex_lock(&lock);
	sk->flags |= F_HEADERS;
	sk_set_special(sk);
	pthread_mutex_unlock(&lock);
	return 0;
}

/* udp_dest: where a datagram of total bytes goes, into to; headers mode
 * on if the socket needs it for addr.  0 or -errno. */
int udp_dest(struct sk *sk, const struct sockaddr *addr, socklen_t alen, size_t total,
	     struct sockaddr_in6 *to)
{
	int e;

	if (addr) {
		if ((e = get_sa(sk, addr, alen, to)) != 0)
			return e;
		if (sk->v6only && is_v4(&to->sin6_addr))
			return -ENETUNREACH;	/* Linux's, for IPV6_V6ONLY */
	} else if (sk->flags & F_CONNECTED) {
		*to = sk->peer;
	} else {
		return -EDESTADDRREQ;
	}
	if (total > MAX_DGRAM)
		return -EMSGSIZE;
	if (!(sk->flags & F_HEADERS) && addr && !(sk->flags & F_CONNECTED) &&
	    (e = need_headers(sk)) != 0)
		return e;
	return 0;
}

/* udp_send writes one datagram to wfd, behind its header in headers mode;
 * the bytes sent (total) or -errno. */
ssize_t udp_send(struct sk *sk, int wfd, bool nonblock, const struct iovec *iov, int iovcnt,
		 size_t total, const struct sockaddr_in6 *to)
{
	unsigned char *buf;
	size_t off = 0;
	ssize_t n;
	int e;

	buf = malloc(total + HDR_LEN);
	if (!buf)
		return -ENOMEM;
	if (sk->flags & F_HEADERS) {
		memset(buf, 0, HDR_LEN);
		memcpy(buf, &to->sin6_addr, 16);	/* IPv4 mapped, as imp(4) has it */
		memcpy(buf + 48, &to->sin6_port, 2);
		off = HDR_LEN;
	}
	for (int i = 0; i < iovcnt; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	if (!nonblock && (e = wait_timeo(wfd, &sk->sndtimeo, POLLOUT)) != 0) {
		free(buf);
		return e;
	}
	n = real_write(wfd, buf, off);
	e = errno;
	free(buf);
	if (n < 0)
		return -e;
	return (ssize_t)total;
}

/* udp_recv: one datagram into iov, the peeked one if there is one.  from
 * gets the sender, *dglen the datagram's full length. */
ssize_t udp_recv(struct sk *sk, int rfd, bool nonblock, const struct iovec *iov, int iovcnt,
		 int flags, struct sockaddr_in6 *from, size_t *dglen)
{
	char *buf;
	size_t len;
	ssize_t n;
	int e;

	pthread_mutex_lock(&lock);
	if (sk->peeklen || sk->peek) {
		/* a datagram was peeked at: it is the next one */
		buf = sk->peek;
		len = sk->peeklen;
		if (from)
			*from = sk->peekfrom;
		if (!(flags & MSG_PEEK)) {
			sk->peek = NULL;
			sk->peeklen = 0;
			sk_set_special(sk);
		}
		n = (ssize_t)iov_put(iov, iovcnt, buf, len);
		*dglen = len;
		if (!(flags & MSG_PEEK))
			free(buf);
		pthread_mutex_unlock(&lock);
		return n;
	}
	pthread_mutex_unlock(&lock);
	if (!nonblock && (e = wait_timeo(rfd, &sk->rcvtimeo, POLLIN)) != 0)
		return e;
	buf = malloc(MAX_DGRAM + HDR_LEN + 1);
	if (!buf)
		return -ENOMEM;
again:
	n = real_read(rfd, buf, MAX_DGRAM + HDR_LEN + 1);
	if (n < 0) {
		e = errno;
		free(buf);
		return -e;
	}
	len = (size_t)n;
	if (sk->flags & F_HEADERS) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
		if (len < HDR_LEN) {
			free(buf);
			return -EIO;
		}
		memcpy(&sa.sin6_addr, buf, 16);
		memcpy(&sa.sin6_port, buf + 48, 2);
		link_scope(&sa);
		/* An AF_INET socket cannot name an IPv6 sender: a datagram
		 * of one (a socket the stack made dual) is not for it. */
		if (sk->family == AF_INET && !is_v4(&sa.sin6_addr)) {
			if (!nonblock && (e = wait_timeo(rfd, &sk->rcvtimeo, POLLIN)) != 0) {
				free(buf);
				return e;
			}
			goto again;
		}
		if (from)
			*from = sa;
		len -= HDR_LEN;
		memmove(buf, buf + HDR_LEN, len);
		if (flags & MSG_PEEK)
			sk->peekfrom = sa;
	} else if (from) {
		*from = sk->peer;
		if (flags & MSG_PEEK)
			sk->peekfrom = sk->peer;
	}
	n = (ssize_t)iov_put(iov, iovcnt, buf, len);
	*dglen = len;
	if (flags & MSG_PEEK) {
		/* Keep the datagram (an empty one too: peek != NULL). */
		char *small = realloc(buf, len ? len : 1);
		if (small)
			buf = small;
		pthread_mutex_lock(&lock);
		free(sk->peek);
		sk->peek = buf;
		sk->peeklen = len;
		ep_arrived(sk);
		sk_set_special(sk);
		pthread_mutex_unlock(&lock);
	} else {
		free(buf);
	}
	return n;
}
