/* libimpc.so: run unmodified programs on imp (SPEC §6, imp-run(1)).
 *
 * Loaded with LD_PRELOAD (see imp-run.c), it turns AF_INET stream and
 * datagram sockets into sockets of the imp file tree at $IMP_ROOT (default
 * /imp).  The descriptor socket() returns is a real descriptor of the
 * socket's data file, $IMP_ROOT/tcp/N/data, so read, write, poll, select,
 * epoll, dup, fork, exec and close-on-exec are the kernel's business and
 * need nothing from here.  What has no file equivalent is translated:
 *
 *   socket        open tcp|udp/new/ctl, read N, open N/data
 *   connect       "connect ADDR PORT" on ctl, always with O_NONBLOCK on ctl
 *                 (EINPROGRESS); a blocking socket then waits here, polling
 *                 its data file, as Linux's connect waits (EINTR, SO_SNDTIMEO)
 *   bind, listen  "bind ADDR PORT", "announce ADDR PORT BACKLOG"
 *   accept        open N/listen: the ctl of a new socket M; open M/data
 *   getsockname   read N/local, N/remote
 *   setsockopt    keepalive, nodelay, rcvbuf, sndbuf, ttl, tos
 *   SO_ERROR      N/status and N/err
 *   send, recv... the flags (MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL,
 *                 MSG_NOSIGNAL), and UDP addresses through "headers"
 *   close         "close" once no descriptor anywhere refers to the socket:
 *                 imp keeps a connected socket after its files close, Linux
 *                 does not (sk_last)
 *
 * read/write/readv/writev, poll/select, dup/dup2/dup3/fcntl(F_DUPFD) are
 * wrapped too, but only to keep the table right and for the few sockets
 * that need it (bytes MSG_PEEK read ahead, UDP headers, SO_RCVTIMEO); any
 * other descriptor goes straight to libc after one atomic load.
 *
 * State: a table indexed by descriptor, each entry pointing to the state of
 * one socket (struct sk), shared by the descriptors dup() made of it in this
 * process.  A mutex guards it; fork copies it (pthread_atfork keeps the
 * mutex sane); a child of vfork/posix_spawn, which shares our memory until
 * it execs, leaves it alone (in_owner).  A descriptor this process did not
 * make (inherited through exec, or made by a call we do not see) is
 * recognised on first use by where /proc/self/fd/FD points (adopt).  Our
 * own descriptors (a socket's ctl, and a non-blocking second open of its
 * data for MSG_DONTWAIT) live at high numbers and are always close-on-exec:
 * an exec'd program opens its own.
 */
#undef _FORTIFY_SOURCE
/* Our fcntl must be fcntl, not fcntl64 (which we define too). */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* glibc's fortified entry points (declared only under _FORTIFY_SOURCE). */
ssize_t __recv_chk(int, void *, size_t, size_t, int);
ssize_t __recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
ssize_t __read_chk(int, void *, size_t, size_t);
int __poll_chk(struct pollfd *, nfds_t, int, size_t);

/* The Plan 9 UDP header of the "headers" ctl command (imp(4)). */
#define HDR_LEN 52
#define MAX_DGRAM 65507

/* Which ctl command, if the daemon knows it, makes a socket close (as
 * close(2)) when its last open file is released.  Without it the library
 * writes "close" itself when the last descriptor goes (see sk_last). */
#define AUTOCLOSE_CMD "autoclose"

enum { P_TCP, P_UDP, NPROTO };
static const char *const pname[NPROTO] = { "tcp", "udp" };

/* sk->flags */
enum {
	F_BOUND = 1 << 0,	/* bind() was done here */
	F_LISTEN = 1 << 1,
	F_CONNECTING = 1 << 2,	/* a non-blocking connect is under way */
	F_CONNECTED = 1 << 3,
	F_HEADERS = 1 << 4,	/* udp: data carries the 52-byte header */
	F_SHARED = 1 << 5,	/* another process may hold it (fork, exec) */
	F_AUTOCLOSE = 1 << 6,	/* the daemon closes it on its last release */
};

struct sk {
	int refs;		/* table entries + calls under way */
	int proto, n;
	int ctl, nb;		/* our ctl, our O_NONBLOCK data; -1 when not open */
	char *path;		/* the data file, as /proc/self/fd shows it */
	unsigned flags;
	bool special;		/* read()/write() on it need us (see special_count) */
	bool peeked;		/* bytes are read ahead (see peek_count) */
	struct sockaddr_in bound, peer;
	/* options, as set */
	int reuseaddr, reuseport, keepalive, nodelay, rcvbuf, sndbuf, ttl, tos;
	int broadcast, keepidle, keepintvl, keepcnt, oobinline, priority;
	struct linger linger;
	struct timeval rcvtimeo, sndtimeo;
	char lasterr[200];	/* the err text SO_ERROR reported last */
	/* MSG_PEEK: bytes (tcp) or one datagram (udp) read ahead */
	char *peek;
	size_t peeklen;
	struct sockaddr_in peekfrom;
};

/* The table: two levels, so that a lookup needs no lock to find a chunk. */
#define CHUNK 1024
#define NCHUNKS 4096
enum { E_NONE, E_SOCK, E_CTL, E_NB };
struct ent {
	int kind;
	struct sk *sk;
};
static struct ent *_Atomic chunks[NCHUNKS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int special_count;	/* sockets whose read/write need us */
static atomic_int peek_count;		/* sockets with bytes read ahead */
static int autoclose_state;		/* 0 unknown, 1 supported, -1 not */
/* The process the table describes.  A child of vfork() or posix_spawn()
 * shares our memory until it execs: what it closes or dup2()s is its own
 * business, and must not change our table. */
static pid_t owner_pid;

static bool in_owner(void)
{
	return getpid() == owner_pid;
}

/* ---- the real calls ---------------------------------------------------- */

#define REAL(ret, name, args) static ret(*real_##name) args
REAL(int, socket, (int, int, int));
REAL(int, connect, (int, __CONST_SOCKADDR_ARG, socklen_t));
REAL(int, bind, (int, __CONST_SOCKADDR_ARG, socklen_t));
REAL(int, listen, (int, int));
REAL(int, accept, (int, __SOCKADDR_ARG, socklen_t *));
REAL(int, accept4, (int, __SOCKADDR_ARG, socklen_t *, int));
REAL(int, getsockname, (int, __SOCKADDR_ARG, socklen_t *));
REAL(int, getpeername, (int, __SOCKADDR_ARG, socklen_t *));
REAL(int, shutdown, (int, int));
REAL(int, close, (int));
REAL(int, close_range, (unsigned int, unsigned int, int));
REAL(void, closefrom, (int));
REAL(int, dup, (int));
REAL(int, dup2, (int, int));
REAL(int, dup3, (int, int, int));
REAL(int, fcntl, (int, int, ...));
REAL(int, fcntl64, (int, int, ...));
REAL(int, setsockopt, (int, int, int, const void *, socklen_t));
REAL(int, getsockopt, (int, int, int, void *, socklen_t *));
REAL(ssize_t, send, (int, const void *, size_t, int));
REAL(ssize_t, sendto, (int, const void *, size_t, int, __CONST_SOCKADDR_ARG, socklen_t));
REAL(ssize_t, sendmsg, (int, const struct msghdr *, int));
REAL(int, sendmmsg, (int, struct mmsghdr *, unsigned int, int));
REAL(ssize_t, recv, (int, void *, size_t, int));
REAL(ssize_t, recvfrom, (int, void *, size_t, int, __SOCKADDR_ARG, socklen_t *));
REAL(ssize_t, recvmsg, (int, struct msghdr *, int));
REAL(int, recvmmsg, (int, struct mmsghdr *, unsigned int, int, struct timespec *));
REAL(ssize_t, __recv_chk, (int, void *, size_t, size_t, int));
REAL(ssize_t, __recvfrom_chk, (int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *));
REAL(ssize_t, read, (int, void *, size_t));
REAL(ssize_t, __read_chk, (int, void *, size_t, size_t));
REAL(ssize_t, readv, (int, const struct iovec *, int));
REAL(ssize_t, write, (int, const void *, size_t));
REAL(ssize_t, writev, (int, const struct iovec *, int));
REAL(int, ioctl, (int, unsigned long, ...));
REAL(int, poll, (struct pollfd *, nfds_t, int));
REAL(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *));
REAL(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *));
REAL(int, pselect, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *));

static void *sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static void resolve(void)
{
#define R(name) real_##name = sym(#name)
	R(socket); R(connect); R(bind); R(listen); R(accept); R(accept4);
	R(getsockname); R(getpeername); R(shutdown); R(close); R(close_range);
	R(closefrom); R(dup); R(dup2); R(dup3); R(fcntl); R(fcntl64);
	R(setsockopt); R(getsockopt); R(send); R(sendto); R(sendmsg); R(sendmmsg);
	R(recv); R(recvfrom); R(recvmsg); R(recvmmsg); R(__recv_chk); R(__recvfrom_chk);
	R(read); R(__read_chk); R(readv); R(write); R(writev); R(ioctl);
	R(poll); R(ppoll); R(select); R(pselect);
#undef R
	if (!real_fcntl64)
		real_fcntl64 = real_fcntl;
}

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;
#define NEED(name) do { if (!real_##name) pthread_once(&resolve_once, resolve); } while (0)

/* ---- the mount point ------------------------------------------------------ */

static char root[PATH_MAX - 256];	/* $IMP_ROOT, resolved */
static size_t rootlen;
static int high_fd = 0;		/* where our own descriptors go */
static pthread_once_t root_once = PTHREAD_ONCE_INIT;

static void root_init(void)
{
	const char *r = getenv("IMP_ROOT");
	struct rlimit rl;

	if (!r || !*r)
		r = "/imp";
	char buf[PATH_MAX];

	if (!realpath(r, buf))
		snprintf(buf, sizeof(buf), "%s", r);
	snprintf(root, sizeof(root), "%.*s", (int)sizeof(root) - 1, buf);
	rootlen = strlen(root);
	while (rootlen > 1 && root[rootlen - 1] == '/')
		root[--rootlen] = 0;
	/* Our descriptors go high, out of the way of programs (and shells)
	 * that expect the low numbers they did not use to be free. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		high_fd = rl.rlim_cur > 2048 ? 1024 : (int)(rl.rlim_cur / 2);
	else
		high_fd = 1024;
}

static void root_get(void)
{
	pthread_once(&root_once, root_init);
}

/* ---- small helpers ------------------------------------------------------- */

static int xfcntl(int fd, int cmd, long arg)
{
	NEED(fcntl);
	return real_fcntl(fd, cmd, arg);
}

/* move_high moves fd to a high number, close-on-exec; returns the new fd. */
static int move_high(int fd)
{
	int nfd = xfcntl(fd, F_DUPFD_CLOEXEC, high_fd);

	if (nfd < 0)
		nfd = xfcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (nfd < 0)
		return fd;
	real_close(fd);
	return nfd;
}

static int sk_path(char *buf, size_t len, const struct sk *sk, const char *file)
{
	return snprintf(buf, len, "%s/%s/%d/%s", root, pname[sk->proto], sk->n, file) >= (int)len
		? -1 : 0;
}

/* read_file reads a small text file of the tree; length or -errno. */
static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got + 1 < len && (n = real_read(fd, buf + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			real_close(fd);
			return -e;
		}
		got += (size_t)n;
	}
	buf[got] = 0;
	real_close(fd);
	return (int)got;
}

static int sk_read_file(const struct sk *sk, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];

	if (sk_path(path, sizeof(path), sk, file))
		return -ENAMETOOLONG;
	return read_file(path, buf, len);
}

/* parse_addr reads "ADDR PORT" into sa. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char ip[64];
	unsigned port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (sscanf(s, "%63s %u", ip, &port) != 2 || port > 65535 ||
	    inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

static int sk_addr(const struct sk *sk, const char *file, struct sockaddr_in *sa)
{
	char buf[128];
	int n = sk_read_file(sk, file, buf, sizeof(buf));

	if (n < 0)
		return n;
	return parse_addr(buf, sa) ? -EIO : 0;
}

/* status_word: the first word of N/status ("Established", "Bound" ...),
 * and the whole line in line if wanted. */
static int sk_status(const struct sk *sk, char *word, size_t wlen, char *line, size_t llen)
{
	char buf[512];
	int n = sk_read_file(sk, "status", buf, sizeof(buf));
	size_t i;

	if (n < 0)
		return n;
	for (i = 0; buf[i] && buf[i] != ' ' && buf[i] != '\n' && i + 1 < wlen; i++)
		word[i] = buf[i];
	word[i] = 0;
	if (line)
		snprintf(line, llen, "%s", buf);
	return 0;
}

/* status_num: the number after " KEY " in a status line, or -1. */
static long status_num(const char *line, const char *key)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), " %s ", key);
	p = strstr(line, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static void put_addr(const struct sockaddr_in *sa, struct sockaddr *addr, socklen_t *alen)
{
	if (!addr || !alen)
		return;
	memcpy(addr, sa, *alen < sizeof(*sa) ? *alen : sizeof(*sa));
	*alen = sizeof(*sa);
}

static int fail(int e)
{
	errno = e;
	return -1;
}

/* errno_of_text maps the end of an err sentence ("connect 10.0.0.9 81:
 * connection refused") back to its errno; 0 if it names none. */
static int errno_of_text(const char *text)
{
	const char *why = strrchr(text, ':');
	char buf[200];
	size_t n;

	why = why ? why + 1 : text;
	while (*why == ' ')
		why++;
	snprintf(buf, sizeof(buf), "%s", why);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	if (!n)
		return 0;
	for (int e = 1; e < 134; e++) {
		const char *s = strerror(e);
		if (s && !strcasecmp(s, buf))
			return e;
	}
	if (!strcasecmp(buf, "interrupted"))
		return EINTR;
	return 0;
}

/* ---- the table ----------------------------------------------------------- */

static struct ent *ent_at(int fd, bool create)
{
	struct ent *c;

	if (fd < 0 || fd >= CHUNK * NCHUNKS)
		return NULL;
	c = atomic_load(&chunks[fd / CHUNK]);
	if (!c && create) {
		struct ent *nc = calloc(CHUNK, sizeof(*nc));
		struct ent *expect = NULL;
		if (!nc)
			return NULL;
		if (!atomic_compare_exchange_strong(&chunks[fd / CHUNK], &expect, nc)) {
			free(nc);
			c = expect;
		} else {
			c = nc;
		}
	}
	return c ? &c[fd % CHUNK] : NULL;
}

/* Under lock. */
static void sk_set_special(struct sk *sk)
{
	bool sp = sk->peeklen > 0 || (sk->flags & F_HEADERS) ||
		  sk->rcvtimeo.tv_sec || sk->rcvtimeo.tv_usec ||
		  sk->sndtimeo.tv_sec || sk->sndtimeo.tv_usec;

	bool pk = sk->peeklen > 0 || (sk->proto == P_UDP && sk->peek);

	if (sp != sk->special) {
		sk->special = sp;
		atomic_fetch_add(&special_count, sp ? 1 : -1);
	}
	if (pk != sk->peeked) {
		sk->peeked = pk;
		atomic_fetch_add(&peek_count, pk ? 1 : -1);
	}
}

static struct sk *sk_new(int proto, int n)
{
	struct sk *sk = calloc(1, sizeof(*sk));

	if (!sk)
		return NULL;
	sk->proto = proto;
	sk->n = n;
	sk->ctl = sk->nb = -1;
	sk->ttl = 64;
	return sk;
}

static void sk_free(struct sk *sk)
{
	if (sk->special)
		atomic_fetch_sub(&special_count, 1);
	if (sk->peeked)
		atomic_fetch_sub(&peek_count, 1);
	free(sk->path);
	free(sk->peek);
	free(sk);
}

/* Under lock: fd is socket sk (one reference taken). */
static void ent_set(int fd, int kind, struct sk *sk)
{
	struct ent *e = ent_at(fd, true);

	if (!e)
		return;
	e->kind = kind;
	e->sk = sk;
	if (kind == E_SOCK)
		sk->refs++;
}

static void sk_last(struct sk *sk);

/* sk_put drops a reference; the last one lets the socket go. */
static void sk_put(struct sk *sk)
{
	bool last;

	pthread_mutex_lock(&lock);
	last = --sk->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		sk_last(sk);
}

/* is_data_path: path is $IMP_ROOT/tcp|udp/N/data; sets proto and n. */
static bool is_data_path(const char *path, int *proto, int *n)
{
	const char *p;
	char *end;
	long v;

	root_get();
	if (strncmp(path, root, rootlen) || path[rootlen] != '/')
		return false;
	p = path + rootlen + 1;
	for (int i = 0; i < NPROTO; i++) {
		size_t l = strlen(pname[i]);
		if (strncmp(p, pname[i], l) || p[l] != '/')
			continue;
		v = strtol(p + l + 1, &end, 10);
		if (end == p + l + 1 || v < 0 || strcmp(end, "/data"))
			return false;
		*proto = i;
		*n = (int)v;
		return true;
	}
	return false;
}

static int fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* adopt: fd is a socket's data file this process did not open through us
 * (inherited through exec, or dup'ed by a call we do not see): learn what
 * the daemon knows of it. */
static struct sk *adopt(int fd, int proto, int n, const char *path)
{
	struct sk *sk = sk_new(proto, n);
	char word[32], line[512];

	if (!sk)
		return NULL;
	sk->path = strdup(path);
	sk->flags |= F_SHARED;
	if (sk_status(sk, word, sizeof(word), line, sizeof(line)) == 0) {
		if (!strcmp(word, "Listen") || !strcmp(word, "Announced"))
			sk->flags |= F_LISTEN;
		else if (!strcmp(word, "Syn_sent") || !strcmp(word, "Syn_received"))
			sk->flags |= F_CONNECTING;
		else if (strcmp(word, "Closed") && strcmp(word, "Bound"))
			sk->flags |= F_CONNECTED;
		if (strstr(line, " headers on"))
			sk->flags |= F_HEADERS;
	}
	if (sk->flags & F_CONNECTED)
		sk_addr(sk, "remote", &sk->peer);
	if (autoclose_state > 0)
		sk->flags |= F_AUTOCLOSE;	/* it was made by a process like us */
	pthread_mutex_lock(&lock);
	{
		struct ent *e = ent_at(fd, true);
		if (e && e->kind == E_SOCK) {	/* another thread was first */
			struct sk *other = e->sk;
			other->refs++;
			pthread_mutex_unlock(&lock);
			sk_free(sk);
			return other;
		}
		ent_set(fd, E_SOCK, sk);
		sk->refs++;		/* the caller's */
		sk_set_special(sk);
	}
	pthread_mutex_unlock(&lock);
	return sk;
}

/* sk_get: the socket fd is, with a reference the caller puts back; NULL if
 * fd is not an imp socket.  The entry is checked against what fd points to
 * now, so a descriptor closed behind our back (fclose) is not mistaken. */
static struct sk *sk_get(int fd)
{
	struct ent *e = ent_at(fd, false);
	struct sk *sk = NULL;
	char path[PATH_MAX];
	int proto, n;

	if (e && e->kind == E_SOCK) {
		pthread_mutex_lock(&lock);
		if (e->kind == E_SOCK) {
			sk = e->sk;
			sk->refs++;
		}
		pthread_mutex_unlock(&lock);
	}
	if (fd_path(fd, path, sizeof(path)) < 0) {
		if (sk)
			sk_put(sk);
		return NULL;
	}
	if (sk && sk->path && !strcmp(sk->path, path))
		return sk;
	if (sk) {
		/* Stale: fd was closed and reused without us. */
		pthread_mutex_lock(&lock);
		if (e->kind == E_SOCK && e->sk == sk) {
			e->kind = E_NONE;
			e->sk = NULL;
			sk->refs--;
		}
		pthread_mutex_unlock(&lock);
		sk_put(sk);
		sk = NULL;
	}
	if (!is_data_path(path, &proto, &n))
		return NULL;
	return adopt(fd, proto, n, path);
}

/* sk_get_special: like sk_get, for a socket of the table whose read and
 * write need us (see special_count); NULL for any other descriptor. */
static struct sk *sk_get_special(int fd)
{
	struct ent *e = ent_at(fd, false);
	struct sk *sk = NULL;

	if (!e || e->kind != E_SOCK)
		return NULL;
	pthread_mutex_lock(&lock);
	if (e->kind == E_SOCK && e->sk->special) {
		sk = e->sk;
		sk->refs++;
	}
	pthread_mutex_unlock(&lock);
	if (!sk)
		return NULL;
	{
		char path[PATH_MAX];
		if (fd_path(fd, path, sizeof(path)) == 0 && sk->path && !strcmp(sk->path, path))
			return sk;
	}
	sk_put(sk);
	return NULL;
}

/* sk_ctl: the socket's ctl descriptor, opened if need be; -errno. */
static int sk_ctl(struct sk *sk)
{
	char path[PATH_MAX];
	int fd;

	if (sk->ctl >= 0)
		return sk->ctl;
	if (sk_path(path, sizeof(path), sk, "ctl"))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fd = move_high(fd);
	pthread_mutex_lock(&lock);
	if (sk->ctl >= 0) {
		pthread_mutex_unlock(&lock);
		real_close(fd);
		return sk->ctl;
	}
	sk->ctl = fd;
	ent_set(fd, E_CTL, sk);
	pthread_mutex_unlock(&lock);
	return fd;
}

/* sk_nb: a non-blocking descriptor of the data file (MSG_DONTWAIT). */
static int sk_nb(struct sk *sk)
{
	char path[PATH_MAX];
	int fd;

	if (sk->nb >= 0)
		return sk->nb;
	if (sk_path(path, sizeof(path), sk, "data"))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fd = move_high(fd);
	pthread_mutex_lock(&lock);
	if (sk->nb >= 0) {
		pthread_mutex_unlock(&lock);
		real_close(fd);
		return sk->nb;
	}
	sk->nb = fd;
	ent_set(fd, E_NB, sk);
	pthread_mutex_unlock(&lock);
	return fd;
}

/* ctl_cmd writes one command; 0 or -errno.  nonblock: O_NONBLOCK on ctl
 * for this write (a connect then answers EINPROGRESS at once). */
static int ctl_cmd(struct sk *sk, bool nonblock, const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int fd = sk_ctl(sk), fl = 0, e = 0;
	ssize_t n;

	if (fd < 0)
		return fd;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (nonblock) {
		fl = xfcntl(fd, F_GETFL, 0);
		xfcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
	n = real_write(fd, cmd, strlen(cmd));
	if (n < 0)
		e = errno;
	if (nonblock)
		xfcntl(fd, F_SETFL, fl);
	return n < 0 ? -e : 0;
}

static bool fd_nonblock(int fd)
{
	int fl = xfcntl(fd, F_GETFL, 0);

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* autoclose_probe: does the daemon know AUTOCLOSE_CMD?  Asked once per
 * process, on a socket of its own (freed at once), so that no real
 * socket's err file says "unknown command". */
static void autoclose_probe(int proto)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/new/ctl", root, pname[proto]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	autoclose_state = real_write(fd, AUTOCLOSE_CMD, strlen(AUTOCLOSE_CMD)) >= 0 ? 1 : -1;
	real_close(fd);
}

/* try_autoclose asks the daemon to close the socket on its last release. */
static void try_autoclose(struct sk *sk)
{
	if (autoclose_state == 0)
		autoclose_probe(sk->proto);
	if (autoclose_state > 0 && ctl_cmd(sk, false, AUTOCLOSE_CMD) == 0)
		sk->flags |= F_AUTOCLOSE;
}

static bool exiting;		/* impc_fini runs: our descriptors are still open */

/* others_hold: does another descriptor have path open, in another process
 * (or in this one, through a dup we did not see)? */
static bool others_hold(const char *path)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	pid_t self = getpid();
	bool found = false;
	char buf[PATH_MAX];

	if (!proc)
		return false;
	while (!found && (d = readdir(proc))) {
		char fddir[64];
		DIR *fds;
		struct dirent *f;
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0 || (pid == self && exiting))
			continue;
		snprintf(fddir, sizeof(fddir), "/proc/%ld/fd", pid);
		if (!(fds = opendir(fddir)))
			continue;
		while ((f = readdir(fds))) {
			ssize_t n;
			if (f->d_name[0] == '.')
				continue;
			n = readlinkat(dirfd(fds), f->d_name, buf, sizeof(buf) - 1);
			if (n < 0)
				continue;
			buf[n] = 0;
			if (!strcmp(buf, path)) {
				found = true;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

/* ent_clear: under lock, fd no longer holds one of sk's own descriptors. */
static void ent_clear(int fd, struct sk *sk)
{
	struct ent *e = ent_at(fd, false);

	if (e && e->kind != E_SOCK && e->sk == sk) {
		e->kind = E_NONE;
		e->sk = NULL;
	}
}

/* sk_last: no descriptor of this process refers to the socket any more.
 * Close it as close(2) would, unless another process still has it (fork,
 * exec, vfork), and let our own descriptors go. */
static void sk_last(struct sk *sk)
{
	bool hang = sk->linger.l_onoff && sk->linger.l_linger == 0;
	int nb, ctl;

	/* Our non-blocking twin is a file of the socket too: it goes first,
	 * so that others_hold finds only other processes' descriptors. */
	pthread_mutex_lock(&lock);
	nb = sk->nb;
	sk->nb = -1;
	if (nb >= 0)
		ent_clear(nb, sk);
	pthread_mutex_unlock(&lock);
	if (nb >= 0)
		real_close(nb);
	if ((!(sk->flags & F_AUTOCLOSE) || hang) &&
	    (!(sk->flags & F_SHARED) || !sk->path || !others_hold(sk->path)))
		ctl_cmd(sk, false, hang ? "hangup" : "close");
	pthread_mutex_lock(&lock);
	ctl = sk->ctl;
	sk->ctl = -1;
	if (ctl >= 0)
		ent_clear(ctl, sk);
	pthread_mutex_unlock(&lock);
	if (ctl >= 0)
		real_close(ctl);
	sk_free(sk);
}

/* fd_forget: fd is being closed or replaced; drop what the table says of
 * it.  Returns the socket whose reference the caller must put after the
 * descriptor is closed, or NULL. */
static struct sk *fd_forget(int fd)
{
	struct ent *e = ent_at(fd, false);
	struct sk *sk = NULL;

	if (!e || e->kind == E_NONE || !in_owner())
		return NULL;
	pthread_mutex_lock(&lock);
	switch (e->kind) {
	case E_SOCK: {
		int fl = xfcntl(fd, F_GETFD, 0);
		sk = e->sk;	/* its reference passes to the caller */
		/* Inheritable: a child spawned without fork() (vfork,
		 * posix_spawn) may have it. */
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			sk->flags |= F_SHARED;
		break;
	}
	case E_CTL:	/* the program closed our descriptor: reopen when needed */
		if (e->sk->ctl == fd)
			e->sk->ctl = -1;
		break;
	case E_NB:
		if (e->sk->nb == fd)
			e->sk->nb = -1;
		break;
	}
	e->kind = E_NONE;
	e->sk = NULL;
	pthread_mutex_unlock(&lock);
	return sk;
}

/* fd_copy: newfd is a dup of oldfd. */
static void fd_copy(int oldfd, int newfd)
{
	struct ent *e = ent_at(oldfd, false);

	if (!e || e->kind != E_SOCK || newfd < 0 || !in_owner())
		return;
	pthread_mutex_lock(&lock);
	if (e->kind == E_SOCK)
		ent_set(newfd, E_SOCK, e->sk);
	pthread_mutex_unlock(&lock);
}

/* ---- fork ------------------------------------------------------------------ */

static void mark_shared(void)
{
	for (int c = 0; c < NCHUNKS; c++) {
		struct ent *ch = atomic_load(&chunks[c]);
		if (!ch)
			continue;
		for (int i = 0; i < CHUNK; i++)
			if (ch[i].kind == E_SOCK)
				ch[i].sk->flags |= F_SHARED;
	}
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void atfork_parent(void)
{
	mark_shared();
	pthread_mutex_unlock(&lock);
}

static void atfork_child(void)
{
	owner_pid = getpid();
	mark_shared();
	pthread_mutex_init(&lock, NULL);
}

/* At exit, the descriptors go without close(): do what close would. */
static void impc_fini(void) __attribute__((destructor));
static void impc_fini(void)
{
	if (!in_owner())
		return;
	exiting = true;
	for (int c = 0; c < NCHUNKS; c++) {
		struct ent *ch = atomic_load(&chunks[c]);
		if (!ch)
			continue;
		for (int i = 0; i < CHUNK; i++) {
			struct sk *sk;
			if (ch[i].kind != E_SOCK)
				continue;
			sk = fd_forget(c * CHUNK + i);
			if (sk)
				sk_put(sk);
		}
	}
}

static void impc_init(void) __attribute__((constructor));
static void impc_init(void)
{
	pthread_once(&resolve_once, resolve);
	owner_pid = getpid();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* ---- socket ------------------------------------------------------------- */

EXPORT int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), proto;
	char path[PATH_MAX], buf[32];
	int ctl, data, n, e;
	struct sk *sk;
	ssize_t r;

	NEED(socket);
	if (domain == AF_INET6)
		return fail(EAFNOSUPPORT);	/* programs fall back to IPv4 */
	if (domain != AF_INET)
		return real_socket(domain, type, protocol);
	if (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
		proto = P_TCP;
	else if (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
		proto = P_UDP;
	else if (base == SOCK_STREAM || base == SOCK_DGRAM || base == SOCK_RAW)
		return fail(EPROTONOSUPPORT);
	else
		return fail(ESOCKTNOSUPPORT);
	root_get();

	snprintf(path, sizeof(path), "%s/%s/new/ctl", root, pname[proto]);
	ctl = open(path, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		e = errno;
		if (e == ENOENT || e == ENOTDIR || e == ENOTCONN) {
			static int warned;
			if (!warned++)
				fprintf(stderr, "libimpc: %s: %s (is impfs mounted at IMP_ROOT=%s?)\n",
					path, strerror(e), root);
			e = EAFNOSUPPORT;
		}
		return fail(e);
	}
	ctl = move_high(ctl);
	r = real_read(ctl, buf, sizeof(buf) - 1);
	if (r <= 0) {
		e = r < 0 ? errno : EIO;
		real_close(ctl);
		return fail(e);
	}
	buf[r] = 0;
	n = atoi(buf);
	sk = sk_new(proto, n);
	if (!sk) {
		real_close(ctl);
		return fail(ENOMEM);
	}
	sk->ctl = ctl;
	snprintf(path, sizeof(path), "%s/%s/%d/data", root, pname[proto], n);
	data = open(path, O_RDWR | (type & SOCK_NONBLOCK ? O_NONBLOCK : 0) |
		    (type & SOCK_CLOEXEC ? O_CLOEXEC : 0));
	if (data < 0) {
		e = errno;
		real_close(ctl);
		sk_free(sk);
		return fail(e);
	}
	if (fd_path(data, path, sizeof(path)) == 0)
		sk->path = strdup(path);
	try_autoclose(sk);
	pthread_mutex_lock(&lock);
	ent_set(ctl, E_CTL, sk);
	ent_set(data, E_SOCK, sk);
	pthread_mutex_unlock(&lock);
	return data;
}

/* ---- connect, bind, listen, accept ------------------------------------------ */

static int get_sin(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *sa)
{
	if (!addr)
		return -EFAULT;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (addr->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	if (len < sizeof(*sa))
		return -EINVAL;
	memcpy(sa, addr, sizeof(*sa));
	return 0;
}

static const char *ntoa(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* so_error: what SO_ERROR says for sk (and clears). */
static int so_error(struct sk *sk)
{
	char word[32], line[512], err[200];
	int e;

	if (sk_status(sk, word, sizeof(word), line, sizeof(line)) < 0)
		return 0;
	if (!strcmp(word, "Syn_sent") || !strcmp(word, "Syn_received"))
		return 0;
	if (strcmp(word, "Closed")) {
		if (sk->flags & F_CONNECTING) {
			sk->flags &= ~F_CONNECTING;
			sk->flags |= F_CONNECTED;
		}
		return 0;
	}
	if (sk_read_file(sk, "err", err, sizeof(err)) < 0)
		err[0] = 0;
	if (!err[0] || !strcmp(err, sk->lasterr))
		e = 0;
	else
		e = errno_of_text(err);
	snprintf(sk->lasterr, sizeof(sk->lasterr), "%s", err);
	if (sk->flags & F_CONNECTING) {
		/* A connect that failed: say why, even if err does not. */
		sk->flags &= ~F_CONNECTING;
		if (!e || e == EINPROGRESS || e == EALREADY) {
			/* The data file knows: a read gives the error. */
			int nb = sk_nb(sk);
			char c;
			e = ECONNREFUSED;
			if (nb >= 0 && real_read(nb, &c, 1) < 0 && errno != EAGAIN)
				e = errno;
			/* that read wrote err anew: it is reported now */
			if (sk_read_file(sk, "err", err, sizeof(err)) >= 0)
				snprintf(sk->lasterr, sizeof(sk->lasterr), "%s", err);
		}
	}
	if (e == EINPROGRESS || e == EALREADY)
		e = 0;
	return e;
}

/* connect_wait: a blocking connect waits for the handshake's end. */
static int connect_wait(struct sk *sk, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	const struct timeval *tv = &sk->sndtimeo;
	int ms = tv->tv_sec || tv->tv_usec ? (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000) : -1;
	char word[32];

	NEED(poll);
	for (;;) {
		int r = real_poll(&p, 1, ms);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EINPROGRESS;
		if (sk_status(sk, word, sizeof(word), NULL, 0) == 0 &&
		    (!strcmp(word, "Syn_sent") || !strcmp(word, "Syn_received")))
			continue;
		return -so_error(sk);
	}
}

EXPORT int connect(int fd, __CONST_SOCKADDR_ARG uaddr, socklen_t len)
{
	const struct sockaddr *addr = uaddr.__sockaddr__;
	struct sockaddr_in sa;
	struct sk *sk;
	char ip[INET_ADDRSTRLEN];
	int e;
	bool nonblock;

	NEED(connect);
	if (!(sk = sk_get(fd)))
		return real_connect(fd, addr, len);
	if ((e = get_sin(addr, len, &sa)) != 0)
		goto out;
	if (sk->proto == P_TCP) {
		if (sk->flags & F_LISTEN) {
			e = -EISCONN;
			goto out;
		}
		if (sk->flags & F_CONNECTED) {
			e = -EISCONN;
			goto out;
		}
		if (sk->flags & F_CONNECTING) {
			char word[32];
			if (sk_status(sk, word, sizeof(word), NULL, 0) == 0 &&
			    (!strcmp(word, "Syn_sent") || !strcmp(word, "Syn_received"))) {
				e = -EALREADY;
			} else {
				e = -so_error(sk);	/* 0: connected now */
			}
			goto out;
		}
	}
	nonblock = fd_nonblock(fd);
	/* TCP connects without waiting in the daemon (O_NONBLOCK on ctl), and
	 * a blocking socket waits here, on its data file, as Linux's connect
	 * does: a signal interrupts the wait (EINTR) and the handshake goes
	 * on; SO_SNDTIMEO bounds it (EINPROGRESS). */
	e = ctl_cmd(sk, nonblock || sk->proto == P_TCP, "connect %s %u", ntoa(sa.sin_addr, ip),
		    ntohs(sa.sin_port));
	if (e == 0 || e == -EINPROGRESS) {
		sk->peer = sa;
		sk->flags |= e ? F_CONNECTING : F_CONNECTED;
	}
	if (e == -EINPROGRESS && !nonblock)
		e = connect_wait(sk, fd);
out:
	sk_put(sk);
	return e ? fail(-e) : 0;
}

EXPORT int bind(int fd, __CONST_SOCKADDR_ARG uaddr, socklen_t len)
{
	const struct sockaddr *addr = uaddr.__sockaddr__;
	struct sockaddr_in sa;
	struct sk *sk;
	char ip[INET_ADDRSTRLEN];
	int e;

	NEED(bind);
	if (!(sk = sk_get(fd)))
		return real_bind(fd, addr, len);
	if ((e = get_sin(addr, len, &sa)) == 0) {
		if (sk->flags & F_BOUND)
			e = -EINVAL;
		else
			e = ctl_cmd(sk, false, "bind %s %u", ntoa(sa.sin_addr, ip), ntohs(sa.sin_port));
		if (e == 0) {
			sk->bound = sa;
			sk->flags |= F_BOUND;
		}
	}
	sk_put(sk);
	return e ? fail(-e) : 0;
}

EXPORT int listen(int fd, int backlog)
{
	struct sk *sk;
	char ip[INET_ADDRSTRLEN];
	int e = 0;

	NEED(listen);
	if (!(sk = sk_get(fd)))
		return real_listen(fd, backlog);
	if (sk->proto != P_TCP) {
		e = -EOPNOTSUPP;
	} else if (sk->flags & (F_CONNECTED | F_CONNECTING)) {
		e = -EINVAL;
	} else if (!(sk->flags & F_LISTEN)) {
		if (backlog < 1)
			backlog = 1;
		if (backlog > 4096)
			backlog = 4096;
		if (sk->flags & F_BOUND)
			e = ctl_cmd(sk, false, "announce %s %u %d",
				    sk->bound.sin_addr.s_addr ? ntoa(sk->bound.sin_addr, ip) : "*",
				    ntohs(sk->bound.sin_port), backlog);
		else
			e = ctl_cmd(sk, false, "announce * 0 %d", backlog);
		if (e == 0)
			sk->flags |= F_LISTEN;
	}
	sk_put(sk);
	return e ? fail(-e) : 0;
}

static int do_accept(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	char path[PATH_MAX], buf[32];
	struct sk *sk, *nsk = NULL;
	struct sockaddr_in sa;
	int mctl, data, m, e = 0;
	ssize_t r;

	if (!(sk = sk_get(fd)))
		return -ENOTSOCK;	/* not reached: callers check */
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
		e = -EINVAL;
		goto out;
	}
	if (sk->proto != P_TCP) {
		e = -EOPNOTSUPP;
		goto out;
	}
	if (sk_path(path, sizeof(path), sk, "listen")) {
		e = -ENAMETOOLONG;
		goto out;
	}
	mctl = open(path, O_RDWR | O_CLOEXEC | (fd_nonblock(fd) ? O_NONBLOCK : 0));
	if (mctl < 0) {
		e = -errno;
		goto out;
	}
	xfcntl(mctl, F_SETFL, xfcntl(mctl, F_GETFL, 0) & ~O_NONBLOCK);
	mctl = move_high(mctl);
	r = real_read(mctl, buf, sizeof(buf) - 1);
	if (r <= 0) {
		e = r < 0 ? -errno : -EIO;
		real_close(mctl);
		goto out;
	}
	buf[r] = 0;
	m = atoi(buf);
	if (!(nsk = sk_new(P_TCP, m))) {
		real_close(mctl);
		e = -ENOMEM;
		goto out;
	}
	nsk->ctl = mctl;
	nsk->flags |= F_CONNECTED;
	/* Options a listening socket passes on, as Linux's do. */
	nsk->nodelay = sk->nodelay;
	nsk->keepalive = sk->keepalive;
	snprintf(path, sizeof(path), "%s/tcp/%d/data", root, m);
	data = open(path, O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0) |
		    (flags & SOCK_CLOEXEC ? O_CLOEXEC : 0));
	if (data < 0) {
		e = -errno;
		ctl_cmd(nsk, false, "hangup");
		real_close(mctl);
		sk_free(nsk);
		goto out;
	}
	if (fd_path(data, path, sizeof(path)) == 0)
		nsk->path = strdup(path);
	try_autoclose(nsk);
	if (nsk->nodelay)
		ctl_cmd(nsk, false, "nodelay on");
	if (nsk->keepalive && sk->keepidle)
		ctl_cmd(nsk, false, "keepalive %d", sk->keepidle * 1000);
	else if (nsk->keepalive)
		ctl_cmd(nsk, false, "keepalive");
	if (sk_addr(nsk, "remote", &sa) == 0)
		nsk->peer = sa;
	else
		memset(&sa, 0, sizeof(sa)), sa.sin_family = AF_INET;
	put_addr(&sa, addr, alen);
	pthread_mutex_lock(&lock);
	ent_set(mctl, E_CTL, nsk);
	ent_set(data, E_SOCK, nsk);
	pthread_mutex_unlock(&lock);
	e = data;
out:
	sk_put(sk);
	return e;
}

static bool is_ours(int fd)
{
	struct sk *sk = sk_get(fd);

	if (sk)
		sk_put(sk);
	return sk != NULL;
}

EXPORT int accept4(int fd, __SOCKADDR_ARG uaddr, socklen_t *alen, int flags)
{
	struct sockaddr *addr = uaddr.__sockaddr__;
	int r;

	NEED(accept4);
	r = real_accept4(fd, addr, alen, flags);
	if (r >= 0 || errno != ENOTSOCK || !is_ours(fd))
		return r;
	r = do_accept(fd, addr, alen, flags);
	return r < 0 ? fail(-r) : r;
}

EXPORT int accept(int fd, __SOCKADDR_ARG uaddr, socklen_t *alen)
{
	struct sockaddr *addr = uaddr.__sockaddr__;
	int r;

	NEED(accept);
	r = real_accept(fd, addr, alen);
	if (r >= 0 || errno != ENOTSOCK || !is_ours(fd))
		return r;
	r = do_accept(fd, addr, alen, 0);
	return r < 0 ? fail(-r) : r;
}

/* ---- names ------------------------------------------------------------------ */

EXPORT int getsockname(int fd, __SOCKADDR_ARG uaddr, socklen_t *alen)
{
	struct sockaddr *addr = uaddr.__sockaddr__;
	struct sockaddr_in sa;
	struct sk *sk;
	int e;

	NEED(getsockname);
	if (!(sk = sk_get(fd)))
		return real_getsockname(fd, addr, alen);
	if (!addr || !alen)
		e = -EFAULT;
	else if ((e = sk_addr(sk, "local", &sa)) == 0)
		put_addr(&sa, addr, alen);
	sk_put(sk);
	return e ? fail(-e) : 0;
}

EXPORT int getpeername(int fd, __SOCKADDR_ARG uaddr, socklen_t *alen)
{
	struct sockaddr *addr = uaddr.__sockaddr__;
	struct sockaddr_in sa;
	struct sk *sk;
	int e;

	NEED(getpeername);
	if (!(sk = sk_get(fd)))
		return real_getpeername(fd, addr, alen);
	if (!addr || !alen)
		e = -EFAULT;
	else if ((e = sk_addr(sk, "remote", &sa)) == 0) {
		if (sa.sin_port == 0 || (sk->flags & F_LISTEN))
			e = -ENOTCONN;
		else
			put_addr(&sa, addr, alen);
	}
	sk_put(sk);
	return e ? fail(-e) : 0;
}

EXPORT int shutdown(int fd, int how)
{
	static const char *const hows[] = { "rd", "wr", "rdwr" };
	struct sk *sk;
	int e;

	NEED(shutdown);
	if (!(sk = sk_get(fd)))
		return real_shutdown(fd, how);
	if (how < SHUT_RD || how > SHUT_RDWR)
		e = -EINVAL;
	else
		e = ctl_cmd(sk, false, "shutdown %s", hows[how]);
	sk_put(sk);
	return e ? fail(-e) : 0;
}

/* ---- close and dup ------------------------------------------------------------ */

EXPORT int close(int fd)
{
	struct sk *sk;
	int r;

	NEED(close);
	sk = fd_forget(fd);
	r = real_close(fd);
	if (sk) {
		int e = errno;
		sk_put(sk);
		errno = e;
	}
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
	if (sk) {
		int e = errno;
		sk_put(sk);
		errno = e;
	}
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

/* ---- data --------------------------------------------------------------------- */

/* Waits for what a timeout option (SO_RCVTIMEO, SO_SNDTIMEO) asks on a
 * blocking socket; 0 to go on, -EAGAIN when the time is up. */
static int wait_timeo(int fd, const struct timeval *tv, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int ms, r;

	if (!tv->tv_sec && !tv->tv_usec)
		return 0;
	ms = (int)(tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000);
	NEED(poll);
	r = real_poll(&p, 1, ms);
	if (r < 0)
		return -errno;
	return r == 0 ? -EAGAIN : 0;
}

/* headers mode on (once), for a UDP socket that sends or receives with
 * addresses. */
static int need_headers(struct sk *sk)
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

static void v4mapped(unsigned char *p, const struct in_addr *a)
{
	memset(p, 0, 10);
	p[10] = p[11] = 0xff;
	memcpy(p + 12, a, 4);
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
	size_t total = 0;
	bool nonblock;
	ssize_t n;
	int wfd, e;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (total == 0 && sk->proto == P_TCP)
		return 0;
	wfd = io_fd(sk, fd, flags, &nonblock);
	if (wfd < 0)
		return wfd;
	if (sk->proto == P_UDP) {
		struct sockaddr_in to;
		unsigned char *buf;
		size_t off = 0;

		if (addr) {
			if ((e = get_sin(addr, alen, &to)) != 0)
				return e;
		} else if (sk->flags & F_CONNECTED) {
			to = sk->peer;
		} else {
			return -EDESTADDRREQ;
		}
		if (total > MAX_DGRAM)
			return -EMSGSIZE;
		if (!(sk->flags & F_HEADERS) && addr && !(sk->flags & F_CONNECTED) &&
		    (e = need_headers(sk)) != 0)
			return e;
		if (!(sk->flags & F_HEADERS) && iovcnt == 1)
			goto stream;	/* connected: a plain write */
		buf = malloc(total + HDR_LEN);
		if (!buf)
			return -ENOMEM;
		if (sk->flags & F_HEADERS) {
			memset(buf, 0, HDR_LEN);
			v4mapped(buf, &to.sin_addr);
			memcpy(buf + 48, &to.sin_port, 2);
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
stream:
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

static size_t iov_put(const struct iovec *iov, int iovcnt, const char *src, size_t len)
{
	size_t done = 0;

	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t k = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
		memcpy(iov[i].iov_base, src + done, k);
		done += k;
	}
	return done;
}

/* sk_recv: one receive into iov.  from gets the sender (udp); *trunc the
 * datagram's full length when it did not fit. */
static ssize_t sk_recv(struct sk *sk, int fd, const struct iovec *iov, int iovcnt, int flags,
		       struct sockaddr_in *from, size_t *dglen)
{
	size_t want = 0;
	bool nonblock;
	ssize_t n;
	int rfd, e;

	for (int i = 0; i < iovcnt; i++)
		want += iov[i].iov_len;
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
	rfd = io_fd(sk, fd, flags, &nonblock);
	if (rfd < 0)
		return rfd;

	if (sk->proto == P_UDP) {
		char *buf;
		size_t len;

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
		n = real_read(rfd, buf, MAX_DGRAM + HDR_LEN + 1);
		if (n < 0) {
			e = errno;
			free(buf);
			return -e;
		}
		len = (size_t)n;
		if (sk->flags & F_HEADERS) {
			struct sockaddr_in sa = { .sin_family = AF_INET };
			if (len < HDR_LEN) {
				free(buf);
				return -EIO;
			}
			memcpy(&sa.sin_addr, buf + 12, 4);
			memcpy(&sa.sin_port, buf + 48, 2);
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
			sk_set_special(sk);
			pthread_mutex_unlock(&lock);
		} else {
			free(buf);
		}
		return n;
	}

	/* TCP */
	for (;;) {
		size_t got = 0;

		pthread_mutex_lock(&lock);
		if (sk->peeklen) {
			if (!(flags & MSG_PEEK) || sk->peeklen >= want) {
				got = iov_put(iov, iovcnt, sk->peek, sk->peeklen);
				if (!(flags & MSG_PEEK)) {
					memmove(sk->peek, sk->peek + got, sk->peeklen - got);
					sk->peeklen -= got;
					sk_set_special(sk);
				}
				pthread_mutex_unlock(&lock);
				if (got == want || (flags & MSG_PEEK))
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
		if (flags & MSG_PEEK) {
			/* Read ahead into the peek buffer, and answer from it. */
			size_t have = sk->peeklen;
			char *tmp;
			int pfd = rfd;
			if (have) {	/* some already: take what more is there now */
				pfd = sk_nb(sk);
				if (pfd < 0)
					return (ssize_t)iov_put(iov, iovcnt, sk->peek, have);
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
				char *nbuf = realloc(sk->peek, sk->peeklen + (size_t)n);
				if (nbuf) {
					memcpy(nbuf + sk->peeklen, tmp, (size_t)n);
					sk->peek = nbuf;
					sk->peeklen += (size_t)n;
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
			n = (ssize_t)iov_put(iov, iovcnt, sk->peek, sk->peeklen);
			pthread_mutex_unlock(&lock);
			return n;
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
	struct sockaddr_in from;
	size_t dglen;
	ssize_t n;

	memset(&from, 0, sizeof(from));
	n = sk_recv(sk, fd, &iov, 1, flags, &from, &dglen);
	if (n < 0)
		return fail((int)-n);
	if (addr && alen) {
		if (sk->proto == P_UDP)
			put_addr(&from, addr, alen);
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
	n = real_recvfrom(fd, buf, len, flags, addr, alen);
	if (n >= 0 || errno != ENOTSOCK || !(sk = sk_get(fd)))
		return n;
	n = recvfrom_ours(sk, fd, buf, len, flags, addr, alen);
	{
		int e = errno;
		sk_put(sk);
		errno = e;
	}
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
	struct sockaddr_in from;
	size_t dglen, want = 0;
	ssize_t n;

	if (!msg)
		return -EFAULT;
	if (msg->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		want += msg->msg_iov[i].iov_len;
	memset(&from, 0, sizeof(from));
	n = sk_recv(sk, fd, msg->msg_iov, (int)msg->msg_iovlen, flags, &from, &dglen);
	if (n < 0)
		return n;
	msg->msg_flags = 0;
	if (msg->msg_name) {
		if (sk->proto == P_UDP)
			put_addr(&from, msg->msg_name, &msg->msg_namelen);
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
	if (atomic_load(&special_count) == 0 || !(sk = sk_get_special(fd)))
		return real_read(fd, buf, len);
	n = recvfrom_ours(sk, fd, buf, len, 0, NULL, NULL);
	{
		int e = errno;
		sk_put(sk);
		errno = e;
	}
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

/* ---- poll and select ------------------------------------------------------------
 *
 * Bytes MSG_PEEK read ahead are here, not in the data file, so the kernel
 * would not call the socket readable; poll and select are told. */

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
