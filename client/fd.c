/* fd.c: close, close_range, closefrom, dup, dup2, dup3 and fcntl.
 *
 * The kernel does all of these; they are wrapped only to keep the table
 * right: a descriptor closed or replaced lets go of its socket (fd_forget,
 * then sk_put once the kernel has closed it, so that the last one closes
 * the socket), and a copy refers to the same socket (fd_copy).
 */
#include "impc.h"

#include <stdarg.h>
#include <unistd.h>

EXPORT int close(int fd)
{
	struct sk *sk;
	int r;

	NEED(close);
	sk = fd_forget(fd);
	r = real_close(fd);
	if (sk)
		sk_put_keep_errno(sk);
	return r;
}

EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	NEED(close_range);
	if (!(flags & CLOSE_RANGE_CLOEXEC)) {
		for (int c = 0; c < NCHUNKS; c++) {
			struct ent *ch = atomic_load(&chunks[c]);
			if (!ch || (unsigned)(c + 1) * CHUNK <= first || (unsigned)c * CHUNK > last)
				continue;
			for (int i = 0; i < CHUNK; i++) {
				unsigned fd = (unsigned)(c * CHUNK + i);
				struct sk *sk;
				if (fd < first || fd > last || ch[i].kind == E_NONE)
					continue;
				sk = fd_forget((int)fd);
				if (sk) {
					real_close((int)fd);
					sk_put(sk);
				}
			}
		}
	}
	if (!real_close_range)
		return fail(ENOSYS);
	return real_close_range(first, last, flags);
}

EXPORT void closefrom(int lowfd)
{
	if (lowfd < 0)
		lowfd = 0;
	if (close_range((unsigned)lowfd, ~0U, 0) != 0) {
		/* As glibc does without close_range: one by one. */
		for (int fd = lowfd; fd < CHUNK * NCHUNKS && fd < 65536; fd++)
			close(fd);
	}
}

EXPORT int dup(int fd)
{
	int r;

	NEED(dup);
	r = real_dup(fd);
	if (r >= 0)
		fd_copy(fd, r);
	return r;
}

static int dup_into(int oldfd, int newfd, int flags, bool three)
{
	struct sk *sk = NULL;
	int r;

	if (oldfd != newfd)
		sk = fd_forget(newfd);
	r = three ? real_dup3(oldfd, newfd, flags) : real_dup2(oldfd, newfd);
	if (sk)
		sk_put_keep_errno(sk);
	if (r >= 0 && oldfd != newfd)
		fd_copy(oldfd, r);
	return r;
}

EXPORT int dup2(int oldfd, int newfd)
{
	NEED(dup2);
	return dup_into(oldfd, newfd, 0, false);
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	NEED(dup3);
	return dup_into(oldfd, newfd, flags, true);
}

static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, va_list ap)
{
	void *arg = va_arg(ap, void *);
	int r = real(fd, cmd, arg);

	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		fd_copy(fd, r);
	return r;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	int r;

	NEED(fcntl);
	va_start(ap, cmd);
	r = fcntl_common(real_fcntl, fd, cmd, ap);
	va_end(ap);
	return r;
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	int r;

	NEED(fcntl64);
	va_start(ap, cmd);
	r = fcntl_common(real_fcntl64, fd, cmd, ap);
	va_end(ap);
	return r;
}

