/* poll.c: poll, ppoll, select and pselect.
 *
 * The kernel does them, and knows every descriptor but one thing: bytes
 * read ahead (MSG_PEEK, bulk read-ahead) are in struct sk, no longer in the
 * data file, so it would not call such a socket readable.  While any socket
 * has some (peek_count), the call is told, and asked not to wait; a socket
 * with bytes here that is asked only whether it is readable is answered
 * here, without asking the daemon (which costs a FUSE round trip).
 *
 * The rest of the set is polled at most once per REST_POLL_US while held
 * bytes answer the call: each imp socket the kernel polls is a FUSE round
 * trip, and a program that selects before each read of a bulk stream
 * (iperf3 -R with its control socket beside the data) paid one per read,
 * five times as many as the reads of the data.  A program reading held
 * bytes is busy; the others wait at most that long to be seen.
 *
 * An epoll descriptor polled here (a program that nests one event loop in
 * another) is readable when one of its sockets holds bytes epoll_wait would
 * report (epoll.c).
 */
#include "impc.h"

#include <stdlib.h>
#include <time.h>

#define REST_POLL_US 1000

/* rest_due: whether the fds without held bytes are to be polled now, the
 * last such poll in this thread being REST_POLL_US ago or more. */
static bool rest_due(void)
{
	static __thread uint64_t last;
	struct timespec t;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &t);
	now = (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
	if (last && now - last < REST_POLL_US)
		return false;
	last = now;
	return true;
}

static bool has_peek(int fd)
{
	struct ent *e = ent_at(fd, false);
	bool r = false;

	if (!e || (e->kind != E_SOCK && e->kind != E_EPOLL))
		return false;
	pthread_mutex_lock(&lock);
	if (e->kind == E_SOCK)
		r = e->sk->peeked;
	else if (e->kind == E_EPOLL)
		r = ep_readable(e->ep);
	pthread_mutex_unlock(&lock);
	return r;
}

static bool poll_peeked(const struct pollfd *fds, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++)
		if (fds[i].fd >= 0 && (fds[i].events & (POLLIN | POLLRDNORM)) && has_peek(fds[i].fd))
			return true;
	return false;
}

static int poll_merge(struct pollfd *fds, nfds_t n, int r)
{
	if (r < 0)
		return r;
	for (nfds_t i = 0; i < n; i++) {
		short ev = fds[i].events & (POLLIN | POLLRDNORM);
		if (fds[i].fd < 0 || !ev || !has_peek(fds[i].fd))
			continue;
		if (!fds[i].revents)
			r++;
		fds[i].revents |= ev;
	}
	return r;
}

/* ANSWERED: the events a socket with bytes read ahead is answered for here. */
#define ANSWERED (POLLIN | POLLRDNORM | POLLRDBAND | POLLPRI | POLLRDHUP)

/* poll_now: some socket in fds has bytes read ahead.  Those asked only
 * about reading are readable; the others are polled without waiting
 * (zero(rest, k, arg): poll or ppoll with a zero timeout), if any. */
static int poll_now(struct pollfd *fds, nfds_t n, int (*zero)(struct pollfd *, nfds_t, const void *),
		    const void *arg)
{
	struct pollfd small[16], *rest = n <= 16 ? small : malloc(n * sizeof(*rest));
	nfds_t k = 0;
	int r = 0;

	if (!rest)
		return poll_merge(fds, n, zero(fds, n, arg));
	for (nfds_t i = 0; i < n; i++) {
		rest[i] = fds[i];
		rest[i].revents = 0;
		if (fds[i].fd >= 0 && !(fds[i].events & ~ANSWERED) && has_peek(fds[i].fd))
			rest[i].fd = -1;	/* answered below */
		else if (fds[i].fd >= 0)
			k++;
	}
	if (k && rest_due())
		r = zero(rest, n, arg);
	if (r >= 0)
		for (nfds_t i = 0; i < n; i++)
			fds[i].revents = rest[i].revents;
	if (rest != small)
		free(rest);
	return poll_merge(fds, n, r);
}

static int zero_poll(struct pollfd *fds, nfds_t n, const void *arg)
{
	(void)arg;
	return real_poll(fds, n, 0);
}

static int zero_ppoll(struct pollfd *fds, nfds_t n, const void *mask)
{
	static const struct timespec zero;

	return real_ppoll(fds, n, &zero, mask);
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	NEED(poll);
	if (atomic_load(&peek_count) == 0 || !poll_peeked(fds, n))
		return real_poll(fds, n, timeout);
	return poll_now(fds, n, zero_poll, NULL);
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();
	return poll(fds, n, timeout);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask)
{
	NEED(ppoll);
	if (atomic_load(&peek_count) == 0 || !poll_peeked(fds, n))
		return real_ppoll(fds, n, tmo, mask);
	return poll_now(fds, n, zero_ppoll, mask);
}

/* select_peeked: the read set's sockets with bytes read ahead, into mine. */
static bool select_peeked(int nfds, fd_set *rd, fd_set *mine)
{
	bool any = false;

	FD_ZERO(mine);
	if (!rd)
		return false;
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (FD_ISSET(fd, rd) && has_peek(fd)) {
			FD_SET(fd, mine);
			any = true;
		}
	return any;
}

static int select_merge(int nfds, fd_set *rd, fd_set *mine, int r)
{
	if (r < 0)
		return r;
	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
		if (FD_ISSET(fd, mine) && !FD_ISSET(fd, rd)) {
			FD_SET(fd, rd);
			r++;
		}
	return r;
}

/* select_now: some sockets of rd (mine) have bytes read ahead.  Those in
 * no other set are answered here; whatever else was asked is selected
 * without waiting (zero: select or pselect with a zero timeout), if
 * anything is. */
static int select_now(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, fd_set *mine,
		      int (*zero)(int, fd_set *, fd_set *, fd_set *, const void *), const void *arg)
{
	bool rest = false;

	for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
		if (FD_ISSET(fd, mine) && !(wr && FD_ISSET(fd, wr)) && !(ex && FD_ISSET(fd, ex)))
			FD_CLR(fd, rd);
		if (FD_ISSET(fd, rd) || (wr && FD_ISSET(fd, wr)) || (ex && FD_ISSET(fd, ex)))
			rest = true;
	}
	if (rest && rest_due())
		return select_merge(nfds, rd, mine, zero(nfds, rd, wr, ex, arg));
	/* Not polled: only mine are ready in this answer. */
	if (rd)
		FD_ZERO(rd);
	if (wr)
		FD_ZERO(wr);
	if (ex)
		FD_ZERO(ex);
	return select_merge(nfds, rd, mine, 0);
}

static int zero_select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const void *arg)
{
	struct timeval zero = { 0, 0 };

	(void)arg;
	return real_select(nfds, rd, wr, ex, &zero);
}

static int zero_pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const void *mask)
{
	static const struct timespec zero;

	return real_pselect(nfds, rd, wr, ex, &zero, mask);
}

EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tmo)
{
	fd_set mine;

	NEED(select);
	if (atomic_load(&peek_count) == 0 || !select_peeked(nfds, rd, &mine))
		return real_select(nfds, rd, wr, ex, tmo);
	return select_now(nfds, rd, wr, ex, &mine, zero_select, NULL);
}

EXPORT int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *tmo,
		   const sigset_t *mask)
{
	fd_set mine;

	NEED(pselect);
	if (atomic_load(&peek_count) == 0 || !select_peeked(nfds, rd, &mine))
		return real_pselect(nfds, rd, wr, ex, tmo, mask);
	return select_now(nfds, rd, wr, ex, &mine, zero_pselect, mask);
}
