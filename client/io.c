/* io.c: the data calls on an imp socket.
 *
 * sk_send and sk_recv do one send or receive with the flags Linux has and
 * a file has not: MSG_DONTWAIT (on the non-blocking twin), MSG_WAITALL,
 * MSG_NOSIGNAL, MSG_PEEK (bytes read ahead and kept in struct sk until
 * read), and the timeouts SO_RCVTIMEO and SO_SNDTIMEO; datagrams are
 * udp.c's.  Then the send and recv families, and read, write, readv and
 * writev for the few sockets whose plain reads and writes need us.
 */
#include "impc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- data --------------------------------------------------------------------- */

/* timeo_ms: a timeout option (SO_RCVTIMEO, SO_SNDTIMEO) in poll's terms:
 * milliseconds, rounded up, or -1 when it is not set. */
int timeo_ms(const struct timeval *tv)
{
	return tv->tv_sec || tv->tv_usec ? (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000) : -1;
}

/* Waits for what a timeout option (SO_RCVTIMEO, SO_SNDTIMEO) asks on a
 * blocking socket; 0 to go on, -EAGAIN when the time is up. */
int wait_timeo(int fd, const struct timeval *tv, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	if (!tv->tv_sec && !tv->tv_usec)
		return 0;
	NEED(poll);
	r = real_poll(&p, 1, timeo_ms(tv));
	if (r < 0)
		return -errno;
	return r == 0 ? -EAGAIN : 0;
}

static size_t iov_total(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	return total;
}

/* The descriptor to do one call on: the socket, or its non-blocking twin
 * for MSG_DONTWAIT. */
static int io_fd(struct sk *sk, int fd, int flags, bool *nonblock)
{
	*nonblock = fd_nonblock(fd);
	if ((flags & MSG_DONTWAIT) && !*nonblock) {
		int nb = sk_nb(sk);
		*nonblock = true;
		return nb;
	}
	return fd;
}

static ssize_t sk_send(struct sk *sk, int fd, const struct iovec *iov, int iovcnt, int flags,
		       const struct sockaddr *addr, socklen_t alen)
{
	size_t total = iov_total(iov, iovcnt);
	bool nonblock;
	ssize_t n;
	int wfd, e;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (total == 0 && sk->proto == P_TCP)
		return 0;
	wfd = io_fd(sk, fd, flags, &nonblock);
	if (wfd < 0)
		return wfd;
	if (sk->proto == P_UDP) {
		struct sockaddr_in6 to;

		if ((e = udp_dest(sk, addr, alen, total, &to)) != 0)
			return e;
		if ((sk->flags & F_HEADERS) || iovcnt != 1)
			return udp_send(sk, wfd, nonblock, iov, iovcnt, total, &to);
		/* connected: a plain write */
	}
	if (!nonblock && (e = wait_timeo(wfd, &sk->sndtimeo, POLLOUT)) != 0)
		return e;
	n = iovcnt == 1 ? real_write(wfd, iov[0].iov_base, iov[0].iov_len) : real_writev(wfd, iov, iovcnt);
	if (n < 0) {
		e = errno;
		if (e == EPIPE && !(flags & MSG_NOSIGNAL))
			pthread_kill(pthread_self(), SIGPIPE);	/* as send(2) on Linux */
		return -e;
	}
	return n;
}

size_t iov_put(const struct iovec *iov, int iovcnt, const char *src, size_t len)
{
	size_t done = 0;

	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t k = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		memcpy(iov[i].iov_base, src + done, k);
		done += k;
	}
	return done;
}

/* ---- bytes read ahead (MSG_PEEK, bulk read-ahead), TCP ---------------------- */

/* Under lock: got bytes read ahead are taken. */
static void peek_consume(struct sk *sk, size_t got)
{
	sk->peekoff += got;
	sk->peeklen -= got;
	if (sk->peeklen == 0)
		sk->peekoff = 0;
	sk_set_special(sk);
}

/* Under lock: the bytes read ahead moved to the front of the buffer and
 * room made after them for extra more; false when there is no memory. */
static bool peek_room(struct sk *sk, size_t extra)
{
	if (sk->peekoff) {
		memmove(sk->peek, sk->peek + sk->peekoff, sk->peeklen);
		sk->peekoff = 0;
	}
	if (sk->peeklen + extra > sk->peekcap) {
		char *nbuf = realloc(sk->peek, sk->peeklen + extra);
		if (!nbuf)
			return false;
		sk->peek = nbuf;
		sk->peekcap = sk->peeklen + extra;
	}
	return true;
}

/* IMP_READAHEAD=0 in the environment turns bulk read-ahead off (to compare). */
static int ra_enabled(void)
{
	static int on = -1;

	if (on < 0) {
		const char *v = getenv("IMP_READAHEAD");
		on = !(v && !strcmp(v, "0"));
	}
	return on;
}

/* ra_wanted: whether a receive of want bytes reads ahead (RA_MIN in
 * impc.h): a bulk read, on a socket no other process reads (F_SHARED),
 * without SO_RCVLOWAT (the daemon would wait for the low mark of the larger
 * read), and, in an epoll set, where the set's waits see the bytes kept
 * here (ep_ra_ok in epoll.c). */
static bool ra_wanted(struct sk *sk, size_t want, int flags)
{
	return want >= RA_MIN && want < RA_SIZE && !(flags & (MSG_PEEK | MSG_WAITALL)) &&
	       !(sk->flags & (F_SHARED | F_LISTEN)) && sk->rcvlowat <= 1 && ra_enabled() &&
	       (!(sk->flags & F_EPOLL) || ep_ra_ok(sk));
}

/* ra_done (impc.h): signalled when a read-ahead ends (sk->ra_busy goes false). */
pthread_cond_t ra_done = PTHREAD_COND_INITIALIZER;

/* Under lock: a read-ahead of another thread is under way; wait for it, so
 * that no receive takes bytes that come after the ones it is reading.  A
 * non-blocking call does not wait: -EAGAIN. */
static int ra_wait(struct sk *sk, int fd, int flags)
{
	if (!sk->ra_busy)
		return 0;
	if ((flags & MSG_DONTWAIT) || fd_nonblock(fd))
		return -EAGAIN;
	while (sk->ra_busy)
		pthread_cond_wait(&ra_done, &lock);
	return 0;
}

/* read_ahead: one read of up to RA_SIZE from rfd into the (empty) buffer;
 * the count, 0 at the end, -errno, or -EBUSY when the buffer is not empty
 * (another thread came first).  The read is done with the buffer
 * detached, outside the lock; other receives wait for it (ra_wait). */
static ssize_t read_ahead(struct sk *sk, int rfd)
{
	char *buf;
	size_t cap;
	ssize_t n;
	int e;

	pthread_mutex_lock(&lock);
	if (sk->ra_busy || sk->peeklen) {
		pthread_mutex_unlock(&lock);
		return -EBUSY;
	}
	sk->ra_busy = true;
	buf = sk->peek;
	cap = sk->peekcap;
	sk->peek = NULL;
	sk->peekcap = sk->peekoff = 0;
	pthread_mutex_unlock(&lock);

	/* Page-aligned: FUSE moves at most max_pages (1 MiB) a request, and a
	 * megabyte that starts inside a page spans one page more, so the
	 * kernel would cut each read in two, the second of a few bytes. */
	if (cap < RA_SIZE || ((uintptr_t)buf & (RA_ALIGN - 1))) {
		void *p = NULL;

		free(buf);
		cap = RA_SIZE;
		buf = posix_memalign(&p, RA_ALIGN, cap) ? NULL : p;
		if (!buf) {
			pthread_mutex_lock(&lock);
			sk->ra_busy = false;
			pthread_cond_broadcast(&ra_done);
			pthread_mutex_unlock(&lock);
			return -ENOMEM;	/* no memory: the caller reads without */
		}
	}
	n = real_read(rfd, buf, cap);
	e = errno;

	pthread_mutex_lock(&lock);
	sk->ra_busy = false;
	pthread_cond_broadcast(&ra_done);
	if (n > 0 && sk->peeklen == 0) {
		free(sk->peek);
		sk->peek = buf;
		sk->peekcap = cap;
		sk->peekoff = 0;
		sk->peeklen = (size_t)n;
		buf = NULL;
		ep_arrived(sk);
	} else if (n > 0) {	/* a MSG_PEEK in another thread came between */
		if (peek_room(sk, (size_t)n)) {
			memcpy(sk->peek + sk->peeklen, buf, (size_t)n);
			sk->peeklen += (size_t)n;
			ep_arrived(sk);
		}
	} else if (!sk->peek) {
		sk->peek = buf;	/* keep the buffer for the next time */
		sk->peekcap = cap;
		buf = NULL;
	}
	sk_set_special(sk);
	pthread_mutex_unlock(&lock);
	free(buf);
	return n < 0 ? -e : n;
}

/* sk_recv: one receive into iov.  from gets the sender (udp); *dglen the
 * datagram's full length when it did not fit. */
static ssize_t sk_recv(struct sk *sk, int fd, const struct iovec *iov, int iovcnt, int flags,
		       struct sockaddr_in6 *from, size_t *dglen)
{
	size_t want = iov_total(iov, iovcnt);
	bool nonblock;
	ssize_t n;
	int rfd, e;

	*dglen = 0;
	if (flags & MSG_OOB)
		return -EINVAL;
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;
	if (sk->proto == P_UDP && !(sk->flags & (F_HEADERS | F_CONNECTED)) &&
	    (e = need_headers(sk)) != 0)
		return e;
	if (sk->proto == P_TCP && from)
		*from = sk->peer;
	if (want == 0 && sk->proto == P_TCP)
		return 0;
	if (sk->proto == P_UDP) {
		rfd = io_fd(sk, fd, flags, &nonblock);
		if (rfd < 0)
			return rfd;
		return udp_recv(sk, rfd, nonblock, iov, iovcnt, flags, from, dglen);
	}

	/* TCP.  Bytes read ahead are answered without a system call; the
	 * descriptor to read is found (fcntl) only when there are none. */
	rfd = -1;
	for (;;) {
		size_t got = 0;

		pthread_mutex_lock(&lock);
		if ((e = ra_wait(sk, fd, flags)) != 0) {
			pthread_mutex_unlock(&lock);
			return e;
		}
		if (sk->peeklen) {
			if (!(flags & MSG_PEEK) || sk->peeklen >= want) {
				got = iov_put(iov, iovcnt, sk->peek + sk->peekoff, sk->peeklen);
				if (!(flags & MSG_PEEK))
					peek_consume(sk, got);
				pthread_mutex_unlock(&lock);
				/* Short, on a bulk read: what is here (recv returns
				 * what has arrived); the next call reads ahead again.
				 * Reading on now would cost a FUSE round trip. */
				if (got == want || (flags & MSG_PEEK) ||
				    (want >= RA_MIN && !(flags & MSG_WAITALL)))
					return (ssize_t)got;
				/* The rest from the socket: what is there now, or
				 * (MSG_WAITALL) until full. */
				{
					struct iovec rest[64];
					int rc = 0;
					size_t skip = got;
					for (int i = 0; i < iovcnt && rc < 64; i++) {
						if (skip >= iov[i].iov_len) {
							skip -= iov[i].iov_len;
							continue;
						}
						rest[rc].iov_base = (char *)iov[i].iov_base + skip;
						rest[rc++].iov_len = iov[i].iov_len - skip;
						skip = 0;
					}
					n = sk_recv(sk, fd, rest, rc,
						    flags & MSG_WAITALL ? flags : flags | MSG_DONTWAIT, NULL, dglen);
					return n < 0 ? (ssize_t)got : (ssize_t)got + n;
				}
			}
		}
		pthread_mutex_unlock(&lock);
		if (rfd < 0 && (rfd = io_fd(sk, fd, flags, &nonblock)) < 0)
			return rfd;
		if (flags & MSG_PEEK) {
			/* Read ahead into the peek buffer, and answer from it.
			 * (have: read under the lock, which another thread
			 * may have filled past want since: then loop.) */
			size_t have;
			pthread_mutex_lock(&lock);
			have = sk->peeklen;
			pthread_mutex_unlock(&lock);
			if (have >= want)
				continue;
			char *tmp;
			int pfd = rfd;
			if (have) {	/* some already: take what more is there now */
				pfd = sk_nb(sk);
				if (pfd < 0) {
					pthread_mutex_lock(&lock);
					n = (ssize_t)iov_put(iov, iovcnt, sk->peek + sk->peekoff, sk->peeklen);
					pthread_mutex_unlock(&lock);
					return n;
				}
			} else if (!nonblock && (e = wait_timeo(rfd, &sk->rcvtimeo, POLLIN)) != 0) {
				return e;
			}
			tmp = malloc(want - have);
			if (!tmp)
				return -ENOMEM;
			n = real_read(pfd, tmp, want - have);
			e = errno;
			if (n > 0) {
				pthread_mutex_lock(&lock);
				if (peek_room(sk, (size_t)n)) {
					memcpy(sk->peek + sk->peeklen, tmp, (size_t)n);
					sk->peeklen += (size_t)n;
					ep_arrived(sk);
					sk_set_special(sk);
				}
				pthread_mutex_unlock(&lock);
			}
			free(tmp);
			if (n < 0 && !have)
				return -e;
			if (n == 0 && !have)
				return 0;
			pthread_mutex_lock(&lock);
			n = (ssize_t)iov_put(iov, iovcnt, sk->peek + sk->peekoff, sk->peeklen);
			pthread_mutex_unlock(&lock);
			return n;
		}
		if (ra_wanted(sk, want, flags)) {
			if (!nonblock && (e = wait_timeo(rfd, &sk->rcvtimeo, POLLIN)) != 0)
				return e;
			n = read_ahead(sk, rfd);
			if (n == 0)
				return 0;
			if (n != -ENOMEM) {
				if (n < 0 && n != -EBUSY)
					return n;
				continue;	/* answer from what was read (EBUSY: another thread's) */
			}
		}
		if (!nonblock && (e = wait_timeo(rfd, &sk->rcvtimeo, POLLIN)) != 0)
			return e;
		if (!(flags & MSG_WAITALL) || nonblock) {
			n = iovcnt == 1 ? real_read(rfd, iov[0].iov_base, iov[0].iov_len)
					: real_readv(rfd, iov, iovcnt);
			return n < 0 ? -errno : n;
		}
		/* MSG_WAITALL: until full, end of file or error. */
		{
			size_t done = 0;
			int i = 0;
			size_t off = 0;
			while (done < want) {
				while (i < iovcnt && off == iov[i].iov_len)
					i++, off = 0;
				n = real_read(rfd, (char *)iov[i].iov_base + off, iov[i].iov_len - off);
				if (n < 0) {
					if (errno == EINTR && done == 0)
						return -EINTR;
					return done ? (ssize_t)done : -errno;
				}
				if (n == 0)
					break;
				done += (size_t)n;
				off += (size_t)n;
			}
			return (ssize_t)done;
		}
	}
}

/* send family ------------------------------------------------------------ */

EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
		      __CONST_SOCKADDR_ARG uaddr, socklen_t alen)
{
	const struct sockaddr *addr = uaddr.__sockaddr__;
	struct iovec iov = { (void *)buf, len };
	struct sk *sk;
	ssize_t n;

	NEED(sendto);
	n = real_sendto(fd, buf, len, flags, addr, alen);
	if (n >= 0 || errno != ENOTSOCK || !(sk = sk_get(fd)))
		return n;
	n = sk_send(sk, fd, &iov, 1, flags, sk->proto == P_UDP ? addr : NULL, alen);
	sk_put(sk);
	return n < 0 ? fail((int)-n) : n;
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return sendto(fd, buf, len, flags, NULL, 0);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct sk *sk;
	ssize_t n;

	NEED(sendmsg);
	n = real_sendmsg(fd, msg, flags);
	if (n >= 0 || errno != ENOTSOCK || !(sk = sk_get(fd)))
		return n;
	if (!msg)
		n = -EFAULT;
	else if (msg->msg_iovlen > IOV_MAX)
		n = -EMSGSIZE;
	else
		n = sk_send(sk, fd, msg->msg_iov, (int)msg->msg_iovlen, flags,
			    sk->proto == P_UDP ? msg->msg_name : NULL, msg->msg_namelen);
	sk_put(sk);
	return n < 0 ? fail((int)-n) : n;
}

EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	struct sk *sk;
	unsigned int i;
	int r;

	NEED(sendmmsg);
	r = real_sendmmsg(fd, vec, vlen, flags);
	if (r >= 0 || errno != ENOTSOCK || !(sk = sk_get(fd)))
		return r;
	for (i = 0; i < vlen; i++) {
		struct msghdr *m = &vec[i].msg_hdr;
		ssize_t n = sk_send(sk, fd, m->msg_iov, (int)m->msg_iovlen, flags,
				    sk->proto == P_UDP ? m->msg_name : NULL, m->msg_namelen);
		if (n < 0) {
			sk_put(sk);
			return i ? (int)i : fail((int)-n);
		}
		vec[i].msg_len = (unsigned)n;
	}
	sk_put(sk);
	return (int)i;
}

/* recv family ------------------------------------------------------------ */

static ssize_t recvfrom_ours(struct sk *sk, int fd, void *buf, size_t len, int flags,
			     struct sockaddr *addr, socklen_t *alen)
{
	struct iovec iov = { buf, len };
	struct sockaddr_in6 from;
	size_t dglen;
	ssize_t n;

	memset(&from, 0, sizeof(from));
	n = sk_recv(sk, fd, &iov, 1, flags, &from, &dglen);
	if (n < 0)
		return fail((int)-n);
	if (addr && alen) {
		if (sk->proto == P_UDP)
			put_addr(sk, &from, addr, alen);
		else
			*alen = 0;	/* as Linux does for a stream */
	}
	if ((flags & MSG_TRUNC) && sk->proto == P_UDP)
		return (ssize_t)dglen;
	return n;
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
			__SOCKADDR_ARG uaddr, socklen_t *alen)
{
	struct sockaddr *addr = uaddr.__sockaddr__;
	struct sk *sk;
	ssize_t n;

	NEED(recvfrom);
	/* A socket with bytes read ahead is ours for sure: no kernel call. */
	if (atomic_load(&special_count) == 0 || !(sk = sk_get_special(fd))) {
		n = real_recvfrom(fd, buf, len, flags, addr, alen);
		if (n >= 0 || errno != ENOTSOCK || !(sk = sk_get(fd)))
			return n;
	}
	n = recvfrom_ours(sk, fd, buf, len, flags, addr, alen);
	sk_put_keep_errno(sk);
	return n;
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen)
		abort();
	return recvfrom(fd, buf, len, flags, NULL, NULL);
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
			      struct sockaddr *addr, socklen_t *alen)
{
	if (len > buflen)
		abort();
	return recvfrom(fd, buf, len, flags, addr, alen);
}

static ssize_t recvmsg_ours(struct sk *sk, int fd, struct msghdr *msg, int flags)
{
	struct sockaddr_in6 from;
	size_t dglen, want;
	ssize_t n;

	if (!msg)
		return -EFAULT;
	if (msg->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	want = iov_total(msg->msg_iov, (int)msg->msg_iovlen);
	memset(&from, 0, sizeof(from));
	n = sk_recv(sk, fd, msg->msg_iov, (int)msg->msg_iovlen, flags, &from, &dglen);
	if (n < 0)
		return n;
	msg->msg_flags = 0;
	if (msg->msg_name) {
		if (sk->proto == P_UDP)
			put_addr(sk, &from, msg->msg_name, &msg->msg_namelen);
		else
			msg->msg_namelen = 0;
	}
	msg->msg_controllen = 0;
	if (sk->proto == P_UDP && dglen > want) {
		msg->msg_flags |= MSG_TRUNC;
		if (flags & MSG_TRUNC)
			n = (ssize_t)dglen;
	}
	return n;
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct sk *sk;
	ssize_t n;

	NEED(recvmsg);
	n = real_recvmsg(fd, msg, flags);
	if (n >= 0 || errno != ENOTSOCK || !(sk = sk_get(fd)))
		return n;
	n = recvmsg_ours(sk, fd, msg, flags);
	sk_put(sk);
	return n < 0 ? fail((int)-n) : n;
}

EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
		    struct timespec *timeout)
{
	struct sk *sk;
	unsigned int i;
	int r;

	NEED(recvmmsg);
	r = real_recvmmsg(fd, vec, vlen, flags, timeout);
	if (r >= 0 || errno != ENOTSOCK || !(sk = sk_get(fd)))
		return r;
	for (i = 0; i < vlen; i++) {
		ssize_t n = recvmsg_ours(sk, fd, &vec[i].msg_hdr,
					 i ? (flags | MSG_DONTWAIT) & ~MSG_WAITFORONE : flags & ~MSG_WAITFORONE);
		if (n < 0) {
			sk_put(sk);
			return i ? (int)i : fail((int)-n);
		}
		vec[i].msg_len = (unsigned)n;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
	}
	sk_put(sk);
	return (int)i;
}

/* read and write: the kernel's, except on the few sockets that need us
 * (bytes read ahead by MSG_PEEK, UDP headers, SO_RCVTIMEO/SO_SNDTIMEO). */

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	struct sk *sk;
	ssize_t n;

	NEED(read);
	if ((atomic_load(&special_count) == 0 || !(sk = sk_get_special(fd))) &&
	    !(len >= RA_MIN && (sk = sk_get_bulk(fd))))
		return real_read(fd, buf, len);
	n = recvfrom_ours(sk, fd, buf, len, 0, NULL, NULL);
	sk_put_keep_errno(sk);
	return n;
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		abort();
	return read(fd, buf, len);
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct sk *sk;
	struct msghdr m;
	ssize_t n;

	NEED(readv);
	if (atomic_load(&special_count) == 0 || !(sk = sk_get_special(fd)))
		return real_readv(fd, iov, iovcnt);
	memset(&m, 0, sizeof(m));
	m.msg_iov = (struct iovec *)iov;
	m.msg_iovlen = iovcnt < 0 ? 0 : (size_t)iovcnt;
	n = iovcnt < 0 ? -EINVAL : recvmsg_ours(sk, fd, &m, 0);
	sk_put(sk);
	return n < 0 ? fail((int)-n) : n;
}

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };
	struct sk *sk;
	ssize_t n;

	NEED(write);
	if (atomic_load(&special_count) == 0 || !(sk = sk_get_special(fd)))
		return real_write(fd, buf, len);
	n = sk_send(sk, fd, &iov, 1, MSG_NOSIGNAL, NULL, 0);
	sk_put(sk);
	return n < 0 ? fail((int)-n) : n;
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct sk *sk;
	ssize_t n;

	NEED(writev);
	if (atomic_load(&special_count) == 0 || !(sk = sk_get_special(fd)))
		return real_writev(fd, iov, iovcnt);
	n = iovcnt < 0 || iovcnt > IOV_MAX ? -EINVAL : sk_send(sk, fd, iov, iovcnt, MSG_NOSIGNAL, NULL, 0);
	sk_put(sk);
	return n < 0 ? fail((int)-n) : n;
}
