/* stat.c: fstat of a socket says S_IFSOCK, as it does on Linux.
 *
 * A socket's descriptor is a descriptor of its data file, which FUSE must
 * call a regular file (the kernel opens a FUSE node through the file
 * system only when it is one: an S_IFSOCK node fails open with ENXIO, and
 * a fifo or device node is opened by the kernel itself).  Programs decide
 * things from the type: head(1) that read too far on a regular file, and
 * lseek fails, is an error ("cannot seek to relative offset"); on a socket
 * it is what sockets do.  So the stat calls that take a descriptor report
 * our sockets' data files as sockets; the permission bits, owner and times
 * stay the daemon's.  A stat of the path itself (ls -l /imp/tcp/0) still
 * shows the regular file it is.
 *
 * The cost for other descriptors: one comparison for almost all of them;
 * a readlink for an empty regular file on a device with major number 0
 * (FUSE, tmpfs, proc), to see whether it is $IMP_ROOT/tcp|udp/N/data.
 */
#include "impc.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

/* is_sock_fd: the descriptor whose stat says type, size and device is the
 * data file of one of imp's sockets. */
static bool is_sock_fd(int fd, mode_t mode, off_t size, dev_t dev)
{
	char path[PATH_MAX];
	int proto, n;

	if (!S_ISREG(mode) || size != 0 || major(dev) != 0)
		return false;
	return fd_path(fd, path, sizeof(path)) == 0 && is_data_path(path, &proto, &n);
}

/* no_path: fstatat's path names no file, so the call was about dirfd.
 * glibc declares path nonnull, but Linux 6.11 and later accept NULL with
 * AT_EMPTY_PATH; the empty asm keeps the compiler from trusting the
 * declaration and dropping the test. */
static bool no_path(const char *path, int flags)
{
	__asm__("" : "+r"(path));
	return (flags & AT_EMPTY_PATH) && (!path || !*path);
}

static mode_t sock_mode(mode_t mode)
{
	return S_IFSOCK | (mode & 07777);
}

EXPORT int fstat(int fd, struct stat *st)
{
	int r;

	NEED(fstat);
	r = real_fstat(fd, st);
	if (r == 0 && is_sock_fd(fd, st->st_mode, st->st_size, st->st_dev))
		st->st_mode = sock_mode(st->st_mode);
	return r;
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
	int r;

	NEED(fstat64);
	r = real_fstat64(fd, st);
	if (r == 0 && is_sock_fd(fd, st->st_mode, st->st_size, st->st_dev))
		st->st_mode = sock_mode(st->st_mode);
	return r;
}

/* fstatat(fd, "", st, AT_EMPTY_PATH) is fstat(fd, st); with a path it is a
 * stat of that path, left alone. */
EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	int r;

	NEED(fstatat);
	r = real_fstatat(dirfd, path, st, flags);
	if (r == 0 && no_path(path, flags) &&
	    is_sock_fd(dirfd, st->st_mode, st->st_size, st->st_dev))
		st->st_mode = sock_mode(st->st_mode);
	return r;
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	int r;

	NEED(fstatat64);
	r = real_fstatat64(dirfd, path, st, flags);
	if (r == 0 && no_path(path, flags) &&
	    is_sock_fd(dirfd, st->st_mode, st->st_size, st->st_dev))
		st->st_mode = sock_mode(st->st_mode);
	return r;
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	int r;

	NEED(statx);
	r = real_statx(dirfd, path, flags, mask, stx);
	if (r == 0 && no_path(path, flags) &&
	    (stx->stx_mask & STATX_TYPE) &&
	    is_sock_fd(dirfd, stx->stx_mode, (off_t)stx->stx_size,
		       makedev(stx->stx_dev_major, stx->stx_dev_minor)))
		stx->stx_mode = (uint16_t)sock_mode(stx->stx_mode);
	return r;
}
