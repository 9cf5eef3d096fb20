/* table.c: the descriptor table, and a socket's lifetime in this process.
 *
 * Which descriptors are imp sockets (struct ent, by number, pointing to the
 * shared struct sk), the references that keep a socket's state alive, the
 * socket's own descriptors (its ctl, its non-blocking twin), and what the
 * last reference does: close the socket as close(2) would, unless another
 * process still holds it (others_hold counts the descriptors of the data
 * file in /proc).  fork, vfork and exit are handled here too, since all
 * they touch is the table.
 */
#include "impc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Which ctl command, if the daemon knows it, makes a socket close (as
 * close(2)) when its last open file is released.  Without it the library
 * writes "close" itself when the last descriptor goes (see sk_last). */
#define AUTOCLOSE_CMD "autoclose"

struct ent *_Atomic chunks[NCHUNKS];
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
atomic_int special_count;	/* sockets whose read/write need us */
atomic_int peek_count;		/* sockets with bytes read ahead */
static int autoclose_state;		/* 0 unknown, 1 supported, -1 not */
/* The process the table describes.  A child of vfork() or posix_spawn()
 * shares our memory until it execs: what it closes or dup2()s is its own
 * business, and must not change our table. */
static pid_t owner_pid;

bool in_owner(void)
{
	return getpid() == owner_pid;
}

/* ---- entries and references ------------------------------------------------ */

struct ent *ent_at(int fd, bool create)
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
void sk_set_special(struct sk *sk)
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
		if (sk->regs)
			ep_held_changed(sk);
	}
}

struct sk *sk_new(int proto, int n)
{
	struct sk *sk = calloc(1, sizeof(*sk));

	if (!sk)
		return NULL;
	sk->proto = proto;
	sk->n = n;
	sk->ctl = sk->nb = -1;
	sk->ttl = 64;
	sk->family = AF_INET;
	sk->hops = -1;
	return sk;
}

void sk_free(struct sk *sk)
{
	/* Its last descriptor is gone: the kernel drops its registrations
	 * in epoll sets with the file, and so do we. */
	ep_sk_gone(sk);
	if (sk->special)
		atomic_fetch_sub(&special_count, 1);
	if (sk->peeked)
		atomic_fetch_sub(&peek_count, 1);
	free(sk->path);
	free(sk->peek);
	free(sk);
}

/* Under lock: fd is socket sk (one reference taken). */
void ent_set(int fd, int kind, struct sk *sk)
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
void sk_put(struct sk *sk)
{
	bool last;

	pthread_mutex_lock(&lock);
	last = --sk->refs == 0;
	pthread_mutex_unlock(&lock);
	if (last)
		sk_last(sk);
}

/* sk_put_keep_errno: sk_put, for a caller whose answer is in errno. */
void sk_put_keep_errno(struct sk *sk)
{
	int e = errno;

	sk_put(sk);
	errno = e;
}

/* ---- finding the socket a descriptor is ----------------------------------- */

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
		else if (is_syn(word))
			sk->flags |= F_CONNECTING;
		else if (strcmp(word, "Closed") && strcmp(word, "Bound"))
			sk->flags |= F_CONNECTED;
		if (strstr(line, " headers on"))
			sk->flags |= F_HEADERS;
	}
	{
		/* The daemon does not know the family socket() was asked:
		 * an IPv6 local address (":: PORT" for a dual or IPv6
		 * listener) says AF_INET6; dotted IPv4 says AF_INET. */
		char local[128];
		if (sk_read_file(sk, "local", local, sizeof(local)) > 0 && strchr(local, ':'))
			sk->family = AF_INET6;
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
struct sk *sk_get(int fd)
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
struct sk *sk_get_special(int fd)
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

/* sk_get_bulk: for a bulk read() (RA_MIN bytes or more), the TCP socket
 * of the table fd is, if it may be read ahead (see ra_wanted in io.c);
 * NULL for any other descriptor, after one lookup. */
struct sk *sk_get_bulk(int fd)
{
	struct ent *e = ent_at(fd, false);
	struct sk *sk;

	if (!e || e->kind != E_SOCK)
		return NULL;
	sk = sk_get(fd);
	if (sk && (sk->proto != P_TCP || (sk->flags & (F_SHARED | F_LISTEN)) ||
		   ((sk->flags & F_EPOLL) && !ep_ra_ok(sk)))) {
		sk_put(sk);
		return NULL;
	}
	return sk;
}

/* ---- the socket's own descriptors --------------------------------------------- */

/* sk_own: one of the socket's own descriptors, *slot (sk->ctl or sk->nb),
 * opened high and close-on-exec if need be; -errno. */
static int sk_own(struct sk *sk, int *slot, const char *file, int oflags, int kind)
{
	char path[PATH_MAX];
	int fd;

	if (*slot >= 0)
		return *slot;
	if (sk_path(path, sizeof(path), sk, file))
		return -ENAMETOOLONG;
	fd = open(path, oflags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	fd = move_high(fd);
	pthread_mutex_lock(&lock);
	if (*slot >= 0) {
		pthread_mutex_unlock(&lock);
		real_close(fd);
		return *slot;
	}
	*slot = fd;
	ent_set(fd, kind, sk);
	pthread_mutex_unlock(&lock);
	return fd;
}

/* sk_ctl: the socket's ctl descriptor, opened if need be; -errno. */
int sk_ctl(struct sk *sk)
{
	return sk_own(sk, &sk->ctl, "ctl", O_RDWR, E_CTL);
}

/* sk_nb: a non-blocking descriptor of the data file (MSG_DONTWAIT). */
int sk_nb(struct sk *sk)
{
	return sk_own(sk, &sk->nb, "data", O_RDWR | O_NONBLOCK, E_NB);
}

/* ---- the end of a socket ----------------------------------------------------- */

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
void try_autoclose(struct sk *sk)
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

/* sk_drop_own closes one of the socket's own descriptors, *slot (sk->ctl
 * or sk->nb), if it is open: the opposite of sk_own. */
static void sk_drop_own(struct sk *sk, int *slot)
{
	int fd;

	pthread_mutex_lock(&lock);
	fd = *slot;
	*slot = -1;
	if (fd >= 0)
		ent_clear(fd, sk);
	pthread_mutex_unlock(&lock);
	if (fd >= 0)
		real_close(fd);
}

/* linger_wait: SO_LINGER with a time: the close waits, that long at
 * most, until the peer has acknowledged what was queued and the FIN (the
 * state has left Finwait1, Closing and Last_ack), as Linux's does
 * (sk_stream_wait_close), blocking socket or not.  Our ctl, still open,
 * keeps the socket's number from going to another socket meanwhile. */
static void linger_wait(struct sk *sk)
{
	struct timespec t, step = { 0, 5 * 1000 * 1000 };
	char word[32];
	long long end;

	clock_gettime(CLOCK_MONOTONIC, &t);
	end = (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000 + (long long)sk->linger.l_linger * 1000;
	for (;;) {
		if (sk_status(sk, word, sizeof(word), NULL, 0) < 0 ||
		    (strcmp(word, "Finwait1") && strcmp(word, "Closing") && strcmp(word, "Last_ack")))
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((long long)t.tv_sec * 1000 + t.tv_nsec / 1000000 >= end)
			return;
		nanosleep(&step, NULL);
	}
}

/* sk_last: no descriptor of this process refers to the socket any more.
 * Close it as close(2) would, unless another process still has it (fork,
 * exec, vfork), and let our own descriptors go. */
static void sk_last(struct sk *sk)
{
	bool hang = sk->linger.l_onoff && sk->linger.l_linger == 0;
	/* Linux does not wait in an exiting process (PF_EXITING). */
	bool wait = sk->linger.l_onoff && sk->linger.l_linger > 0 && !exiting && sk->proto == P_TCP;

	/* Our non-blocking twin is a file of the socket too: it goes first,
	 * so that others_hold finds only other processes' descriptors. */
	sk_drop_own(sk, &sk->nb);
	if ((!(sk->flags & F_AUTOCLOSE) || hang || wait) &&
	    (!(sk->flags & F_SHARED) || !sk->path || !others_hold(sk->path))) {
		int e = errno;
		ctl_cmd(sk, false, hang ? "hangup" : "close");
		if (wait)
			linger_wait(sk);
		errno = e;
	}
	sk_drop_own(sk, &sk->ctl);
	sk_free(sk);
}

/* fd_forget: fd is being closed or replaced; drop what the table says of
 * it.  Returns the socket whose reference the caller must put after the
 * descriptor is closed, or NULL. */
struct sk *fd_forget(int fd)
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
	case E_EPOLL:	/* the set goes with its last descriptor */
		ep_put(e->ep);
		e->ep = NULL;
		break;
	}
	e->kind = E_NONE;
	e->sk = NULL;
	pthread_mutex_unlock(&lock);
	return sk;
}

/* fd_copy: newfd is a dup of oldfd. */
void fd_copy(int oldfd, int newfd)
{
	struct ent *e = ent_at(oldfd, false), *ne;

	if (!e || (e->kind != E_SOCK && e->kind != E_EPOLL) || newfd < 0 || !in_owner())
		return;
	pthread_mutex_lock(&lock);
	if (e->kind == E_SOCK) {
		ent_set(newfd, E_SOCK, e->sk);
	} else if (e->kind == E_EPOLL && (ne = ent_at(newfd, true)) && ne->kind == E_NONE) {
		/* a copy of an epoll descriptor is the same set */
		ne->kind = E_EPOLL;
		ne->ep = e->ep;
		e->ep->refs++;
	}
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
	/* A read-ahead under way in another thread of the parent is not ours:
	 * its buffer stayed there. */
	for (int c = 0; c < NCHUNKS; c++) {
		struct ent *ch = atomic_load(&chunks[c]);
		for (int i = 0; ch && i < CHUNK; i++)
			if (ch[i].kind == E_SOCK)
				ch[i].sk->ra_busy = false;
	}
	pthread_cond_init(&ra_done, NULL);
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
	real_resolve();
	owner_pid = getpid();
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	held_restore();
}
