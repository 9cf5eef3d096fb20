/* poll.c: poll, ppoll, select and pselect.
 *
 * The kernel does them, and knows every descriptor but one thing: bytes
 * MSG_PEEK read ahead are in struct sk, no longer in the data file, so it
 * would not call such a socket readable.  While any socket has some
 * (peek_count), the call is told, and asked not to wait.
 */
#include "impc.h"

#include <stdlib.h>

static bool has_peek(int fd)
{
	struct ent *e = ent_at(fd, false);
	bool r = false;

	if (!e || e->kind != E_SOCK)
		return false;
	pthread_mutex_lock(&lock);
	r = e->kind == E_SOCK && e->sk->peeked;
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

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	NEED(poll);
	if (atomic_load(&peek_count) == 0 || !poll_peeked(fds, n))
		return real_poll(fds, n, timeout);
	return poll_merge(fds, n, real_poll(fds, n, 0));
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();
	return poll(fds, n, timeout);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask)
{
	static const struct timespec zero;

	NEED(ppoll);
	if (atomic_load(&peek_count) == 0 || !poll_peeked(fds, n))
		return real_ppoll(fds, n, tmo, mask);
	return poll_merge(fds, n, real_ppoll(fds, n, &zero, mask));
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

EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tmo)
{
	fd_set mine;
	struct timeval zero = { 0, 0 };

	NEED(select);
	if (atomic_load(&peek_count) == 0 || !select_peeked(nfds, rd, &mine))
		return real_select(nfds, rd, wr, ex, tmo);
	return select_merge(nfds, rd, &mine, real_select(nfds, rd, wr, ex, &zero));
}

EXPORT int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *tmo,
		   const sigset_t *mask)
{
	static const struct timespec zero;
	fd_set mine;

	NEED(pselect);
	if (atomic_load(&peek_count) == 0 || !select_peeked(nfds, rd, &mine))
		return real_pselect(nfds, rd, wr, ex, tmo, mask);
	return select_merge(nfds, rd, &mine, real_pselect(nfds, rd, wr, ex, &zero, mask));
}
