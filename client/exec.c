/* exec.c: the exec family and posix_spawn: the bytes the library holds go
 * with the program.
 *
 * Bytes read ahead or peeked (struct sk's peek: TCP bytes, or one UDP
 * datagram and its source) are no longer in the daemon.  On Linux they
 * would still be in the socket, and the program an exec starts on it would
 * read them.  So before an exec the library writes them into a memfd, seals
 * it, and names it in IMP_HELD=MEMFD SIZE, added to the environment the
 * exec is given (a new array: the caller's environ is not touched).  The
 * memfd holds one line of records, one per socket (its protocol and
 * number N in the tree),
 *
 *   tcp N LEN;udp N LEN ADDR PORT SCOPE;...\n
 *
 * then their LEN bytes one after another, SIZE bytes in all; a udp record
 * is one datagram and its source.  (The records are in the file, not the
 * variable, as the kernel takes no variable over 128 KiB.)  The new
 * image's library (held_restore, from its constructor, before main) takes
 * the variable out of its environment (grandchildren do not see it),
 * checks every part of it, finds its own descriptors of each socket
 * through /proc/self/fd (so a socket moved by posix_spawn's dup2 is found
 * at its new number), puts the bytes back in front of what the daemon
 * holds, and closes the memfd.  Anyone can set the variable: anything that
 * does not fit drops it whole, and a descriptor is closed only once it has
 * shown itself to be a sealed memfd of the stated size.
 *
 * glibc's execv, execvp, execl... call its internal execve, not ours, so
 * each one is wrapped here; so is posix_spawn, whose child execs inside
 * libc (it gets the bytes through the environment it is given, as a copy:
 * the parent keeps its own, as after fork).  system(3) and popen(3) spawn
 * inside libc too, where no wrapper sees them.  If the exec fails, what was
 * made for it goes and errno is the exec's.
 *
 * Not carried: bytes a read-ahead in another thread is reading at the
 * exec (that thread is gone with its buffer); and a vfork child's exec
 * leaves what it allocated here in the parent's heap, which it shares.
 */
#include "impc.h"

#include <dirent.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

#define HELD_VAR "IMP_HELD"
#define HELD_VAR_LEN (sizeof(HELD_VAR) - 1)
/* Bounds for what a forged variable can make the new image do. */
#define HELD_VAR_MAX 64			/* the variable's value */
#define HELD_TEXT_MAX (1u << 20)	/* the records' line */
#define HELD_SOCK_MAX (64u << 20)	/* one socket's bytes (tcp) */
#define HELD_DGRAM_MAX 65535u		/* one datagram (udp) */
#define HELD_RECORD_TEXT 128		/* room for one record's text */
#define HELD_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* One socket's held bytes, as handed over. */
struct held_rec {
	struct sk *sk;		/* exec side only */
	int proto, n;
	size_t len;
	struct sockaddr_in6 from;	/* udp: the datagram's source */
};

/* A growing list of records. */
struct held_list {
	struct held_rec *rec;
	size_t count, cap;
};

/* What an exec takes with it, and what undoing it needs. */
struct handover {
	int memfd;		/* -1: nothing held */
	char *var;		/* "IMP_HELD=...", or NULL */
	char **envp;		/* what the exec is given */
	char *const *caller_envp;	/* what the caller gave */
};

/* ---- the exec side ------------------------------------------------------------ */

/* Under lock: whether sk holds bytes an exec should take along. */
static bool sk_holds(const struct sk *sk)
{
	return sk->proto == P_TCP ? sk->peeklen > 0 : sk->peek != NULL;
}

/* held_push: r at the end of l; false when out of memory. */
static bool held_push(struct held_list *l, const struct held_rec *r)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct held_rec *nr = realloc(l->rec, cap * sizeof(*nr));
		if (!nr)
			return false;
		l->rec = nr;
		l->cap = cap;
	}
	l->rec[l->count++] = *r;
	return true;
}

/* held_add: sk's record, once per socket; false when out of memory. */
static bool held_add(struct held_list *l, struct sk *sk)
{
	struct held_rec r = { .sk = sk, .proto = sk->proto, .n = sk->n, .len = sk->peeklen,
			      .from = sk->peekfrom };

	for (size_t i = 0; i < l->count; i++)
		if (l->rec[i].sk == sk)
			return true;
	return held_push(l, &r);
}

/* Under lock: the sockets whose bytes go with the exec: those with a
 * descriptor the new image inherits, or (all) every one that holds bytes:
 * a vfork child may have moved descriptors behind the table's back, and
 * posix_spawn's file actions (dup2 of a close-on-exec socket to 0) are
 * not ours to read.  0 or -ENOMEM. */
static int held_collect(struct held_list *l, bool all)
{
	for (int c = 0; c < NCHUNKS; c++) {
		struct ent *ch = atomic_load(&chunks[c]);
		for (int i = 0; ch && i < CHUNK; i++) {
			int fl;
			if (ch[i].kind != E_SOCK || !sk_holds(ch[i].sk))
				continue;
			fl = all ? 0 : xfcntl(c * CHUNK + i, F_GETFD, 0);
			if (fl < 0 || (fl & FD_CLOEXEC))
				continue;
			if (!held_add(l, ch[i].sk))
				return -ENOMEM;
		}
	}
	return 0;
}

/* write_all: len bytes to fd; 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = real_write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* held_records: the records' line, "tcp N LEN;...\n"; NULL without memory. */
static char *held_records(const struct held_list *l)
{
	size_t cap = 2 + l->count * HELD_RECORD_TEXT, used = 0;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	for (size_t i = 0; i < l->count; i++) {
		const struct held_rec *r = &l->rec[i];
		const char *sep = i ? ";" : "";
		char addr[INET6_ADDRSTRLEN];

		if (r->proto == P_TCP) {
			used += (size_t)snprintf(t + used, cap - used, "%stcp %d %zu", sep, r->n, r->len);
			continue;
		}
		if (!inet_ntop(AF_INET6, &r->from.sin6_addr, addr, sizeof(addr)))
			strcpy(addr, "::");
		used += (size_t)snprintf(t + used, cap - used, "%sudp %d %zu %s %u %u", sep, r->n, r->len, addr,
					 ntohs(r->from.sin6_port), (unsigned)r->from.sin6_scope_id);
	}
	snprintf(t + used, cap - used, "\n");
	return t;
}

/* Under lock: the records' line and bytes into a new sealed memfd, at a
 * high number and inherited by the exec; the descriptor or -errno; *size
 * gets its size. */
static int held_memfd(const struct held_list *l, const char *records, size_t *size)
{
	int fd = memfd_create("imp-held", MFD_ALLOW_SEALING), e;

	if (fd < 0)
		return -errno;
	*size = strlen(records);
	e = write_all(fd, records, *size);
	for (size_t i = 0; i < l->count && !e; i++) {
		const struct sk *sk = l->rec[i].sk;
		e = write_all(fd, sk->peek + (sk->proto == P_TCP ? sk->peekoff : 0), l->rec[i].len);
		*size += l->rec[i].len;
	}
	if (!e && xfcntl(fd, F_ADD_SEALS, HELD_SEALS | F_SEAL_SEAL) < 0)
		e = -errno;
	if (e) {
		real_close(fd);
		return e;
	}
	return move_high_inherited(fd);
}

static bool is_held_var(const char *s)
{
	return !strncmp(s, HELD_VAR "=", HELD_VAR_LEN + 1);
}

/* wants_library: whether envp preloads this library: a program started
 * without it would not take the bytes back, only keep the memfd open. */
static bool wants_library(char *const envp[])
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], "LD_PRELOAD=", 11) && strstr(envp[i], "libimpc"))
			return true;
	return false;
}

/* env_with: envp without any IMP_HELD (a stale or forged one), with var
 * if there is one; NULL without memory. */
static char **env_with(char *const envp[], char *var)
{
	size_t n = 0, k = 0;
	char **out;

	while (envp && envp[n])
		n++;
	if (!(out = malloc((n + 2) * sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!is_held_var(envp[i]))
			out[k++] = envp[i];
	if (var)
		out[k++] = var;
	out[k] = NULL;
	return out;
}

/* handover_undo: the exec failed (or posix_spawn is done): what was made
 * for it goes; returns -1 with errno as it was. */
static int handover_undo(struct handover *h)
{
	int e = errno;

	if (h->memfd >= 0)
		real_close(h->memfd);
	free(h->var);
	if (h->envp != (char **)h->caller_envp)
		free(h->envp);
	h->memfd = -1;
	h->var = NULL;
	h->envp = (char **)h->caller_envp;
	errno = e;
	return -1;
}

/* handover_make: what an exec given envp takes along (see the top); all
 * as in held_collect.  0, or -errno when the bytes could not be written:
 * the exec fails then (ENOMEM, EMFILE, as execve(2) may), rather than
 * start a program that would find a hole in its stream. */
static int handover_make(struct handover *h, char *const envp[], bool all)
{
	struct held_list l = { 0 };
	char *records = NULL;
	bool stale = false;
	size_t size = 0;
	int e = 0;

	h->memfd = -1;
	h->var = NULL;
	h->caller_envp = envp;
	h->envp = (char **)envp;
	for (size_t i = 0; envp && envp[i] && !stale; i++)
		stale = is_held_var(envp[i]);
	if (atomic_load(&peek_count) > 0 && wants_library(envp)) {
		pthread_mutex_lock(&lock);
		e = held_collect(&l, all);
		if (!e && l.count && !(records = held_records(&l)))
			e = -ENOMEM;
		if (!e && l.count && (h->memfd = held_memfd(&l, records, &size)) < 0)
			e = h->memfd;
		pthread_mutex_unlock(&lock);
		free(records);
		free(l.rec);
		if (!e && h->memfd >= 0 && asprintf(&h->var, "%s=%d %zu", HELD_VAR, h->memfd, size) < 0) {
			h->var = NULL;
			e = -ENOMEM;
		}
	}
	if (!e && (h->var || stale) && !(h->envp = env_with(envp, h->var)))
		e = -ENOMEM;
	if (e) {
		errno = -e;
		handover_undo(h);
		return e;
	}
	return 0;
}

/* ---- the wrappers --------------------------------------------------------------- */

/* exec_path: execve with the handover. */
static int exec_path(const char *path, char *const argv[], char *const envp[])
{
	struct handover h;
	int e;

	NEED(execve);
	if ((e = handover_make(&h, envp, !in_owner())) != 0)
		return fail(-e);
	real_execve(path, argv, h.envp);
	return handover_undo(&h);
}

/* exec_file: execvpe (a PATH search) with the handover. */
static int exec_file(const char *file, char *const argv[], char *const envp[])
{
	struct handover h;
	int e;

	NEED(execvpe);
	if ((e = handover_make(&h, envp, !in_owner())) != 0)
		return fail(-e);
	real_execvpe(file, argv, h.envp);
	return handover_undo(&h);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return exec_path(path, argv, envp);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return exec_path(path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return exec_file(file, argv, envp);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return exec_file(file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	struct handover h;
	int e;

	NEED(fexecve);
	if ((e = handover_make(&h, envp, !in_owner())) != 0)
		return fail(-e);
	real_fexecve(fd, argv, h.envp);
	return handover_undo(&h);
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	struct handover h;
	int e;

	NEED(execveat);
	if ((e = handover_make(&h, envp, !in_owner())) != 0)
		return fail(-e);
	if (real_execveat)
		real_execveat(dirfd, path, argv, h.envp, flags);
	else		/* a glibc older than 2.34 has no wrapper */
		syscall(SYS_execveat, dirfd, path, argv, h.envp, flags);
	return handover_undo(&h);
}

/* list_args: execl's arguments after arg, up to the NULL, as an argv
 * (malloc'd); *envp gets what follows the NULL when want_envp (execle). */
static char **list_args(const char *arg, va_list ap, bool want_envp, char *const **envp)
{
	va_list count;
	size_t n = 1;
	char **argv;

	va_copy(count, ap);
	while (arg && va_arg(count, char *))
		n++;
	va_end(count);
	if (!(argv = malloc((n + 1) * sizeof(*argv))))
		return NULL;
	argv[0] = (char *)arg;
	for (size_t i = 1; i <= n; i++)	/* the last one read is the NULL */
		argv[i] = arg ? va_arg(ap, char *) : NULL;
	if (want_envp)		/* after the NULL, which arg itself may be */
		*envp = va_arg(ap, char *const *);
	return argv;
}

/* exec_list runs exec (exec_path or exec_file) on an argv list_args made,
 * and frees it if the exec returns, keeping the exec's errno. */
static int exec_list(int (*exec)(const char *, char *const[], char *const[]), const char *target,
		     char **argv, char *const envp[])
{
	int r, e;

	if (!argv)
		return fail(ENOMEM);
	r = exec(target, argv, envp);
	e = errno;
	free(argv);
	errno = e;
	return r;
}

/* The three execl forms end in exec_path or exec_file as their v forms do. */
EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	char **argv;

	va_start(ap, arg);
	argv = list_args(arg, ap, false, NULL);
	va_end(ap);
	return exec_list(exec_path, path, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char *const *envp = NULL;
	va_list ap;
	char **argv;

	va_start(ap, arg);
	argv = list_args(arg, ap, true, &envp);
	va_end(ap);
	return exec_list(exec_path, path, argv, envp);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	char **argv;

	va_start(ap, arg);
	argv = list_args(arg, ap, false, NULL);
	va_end(ap);
	return exec_list(exec_file, file, argv, environ);
}

/* posix_spawn and posix_spawnp: the child gets a copy of every socket's
 * held bytes (it may have any of them, at any number); the parent keeps
 * its own and closes the memfd once the child has exec'd (posix_spawn
 * returns only then). */
EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct handover h;
	int r;

	NEED(posix_spawn);
	if ((r = handover_make(&h, envp, true)) != 0)
		return -r;
	r = real_posix_spawn(pid, path, fa, attr, argv, h.envp);
	handover_undo(&h);
	return r;
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct handover h;
	int r;

	NEED(posix_spawnp);
	if ((r = handover_make(&h, envp, true)) != 0)
		return -r;
	r = real_posix_spawnp(pid, file, fa, attr, argv, h.envp);
	handover_undo(&h);
	return r;
}

/* ---- the new image's side --------------------------------------------------------- */

/* num: a decimal number at *p, digits only (no sign, no space, no leading
 * zero but "0" itself), at most max; *p moves past it. */
static bool num(const char **p, unsigned long long max, unsigned long long *v)
{
	const char *s = *p;
	unsigned long long x = 0;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (max - (unsigned)(*s - '0')) / 10)
			return false;
		x = x * 10 + (unsigned)(*s - '0');
	}
	*p = s;
	*v = x;
	return true;
}

/* lit: the text lit at *p; *p moves past it. */
static bool lit(const char **p, const char *lit)
{
	size_t l = strlen(lit);

	if (strncmp(*p, lit, l))
		return false;
	*p += l;
	return true;
}

/* parse_addr: an IPv6 address (as held_records writes it) up to the next space. */
static bool parse_addr(const char **p, struct in6_addr *a)
{
	char text[INET6_ADDRSTRLEN];
	size_t l = strcspn(*p, " ");

	if (l == 0 || l >= sizeof(text) || strspn(*p, "0123456789abcdef:.") != l)
		return false;
	memcpy(text, *p, l);
	text[l] = 0;
	if (inet_pton(AF_INET6, text, a) != 1)
		return false;
	*p += l;
	return true;
}

/* parse_record: one "tcp N LEN" or "udp N LEN ADDR PORT SCOPE" into r. */
static bool parse_record(const char **p, struct held_rec *r)
{
	unsigned long long n, len, port, scope;

	memset(r, 0, sizeof(*r));
	if (lit(p, "tcp "))
		r->proto = P_TCP;
	else if (lit(p, "udp "))
		r->proto = P_UDP;
	else
		return false;
	if (!num(p, INT_MAX, &n) || !lit(p, " ") ||
	    !num(p, r->proto == P_TCP ? HELD_SOCK_MAX : HELD_DGRAM_MAX, &len))
		return false;
	if (r->proto == P_TCP && len == 0)
		return false;
	r->n = (int)n;
	r->len = (size_t)len;
	if (r->proto == P_TCP)
		return true;
	r->from.sin6_family = AF_INET6;
	if (!lit(p, " ") || !parse_addr(p, &r->from.sin6_addr) || !lit(p, " ") || !num(p, 65535, &port) ||
	    !lit(p, " ") || !num(p, UINT32_MAX, &scope))
		return false;
	r->from.sin6_port = htons((uint16_t)port);
	r->from.sin6_scope_id = (uint32_t)scope;
	return true;
}

/* parse_records: the records' line p (its newline taken off) into l,
 * their lengths adding up to total; false (l freed) at the first thing
 * that does not fit: a bad number, a record too long, a socket named
 * twice, lengths that do not add up. */
static bool parse_records(const char *p, size_t total, struct held_list *l)
{
	size_t sum = 0;

	for (;;) {
		struct held_rec r;
		if (!parse_record(&p, &r))
			goto bad;
		for (size_t i = 0; i < l->count; i++)
			if (l->rec[i].proto == r.proto && l->rec[i].n == r.n)
				goto bad;
		sum += r.len;	/* each at most HELD_SOCK_MAX: no overflow */
		if (sum > total || !held_push(l, &r))
			goto bad;
		if (*p != ';')
			break;
		p++;
	}
	if (*p || sum != total)
		goto bad;
	return true;
bad:
	free(l->rec);
	*l = (struct held_list){ 0 };
	return false;
}

/* parse_var: the variable's value, "MEMFD SIZE", into *memfd and *size. */
static bool parse_var(const char *p, int *memfd, size_t *size)
{
	unsigned long long fd, total;

	if (strlen(p) > HELD_VAR_MAX || !num(&p, INT_MAX, &fd) || !lit(&p, " ") ||
	    !num(&p, (unsigned long long)SIZE_MAX / 2, &total) || *p)
		return false;
	*memfd = (int)fd;
	*size = (size_t)total;
	return true;
}

/* is_held_memfd: fd is a sealed memfd (no other file takes seals) of
 * size bytes, which no one can grow, shrink or write any more. */
static bool is_held_memfd(int fd, size_t size)
{
	struct stat st;
	int seals;

	if (fd < 0 || xfcntl(fd, F_GETFD, 0) < 0 || real_fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 0 || (size_t)st.st_size != size)
		return false;
	seals = xfcntl(fd, F_GET_SEALS, 0);
	return seals >= 0 && (seals & HELD_SEALS) == HELD_SEALS;
}

/* read_at: len bytes of fd at off into a new buffer (one byte at least:
 * an empty datagram is held as a buffer of none); NULL if short. */
static char *read_at(int fd, size_t len, size_t off)
{
	char *buf = malloc(len ? len : 1);
	size_t got = 0;

	while (buf && got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	return buf;
}

/* restore_one: record r's bytes (at off in memfd) onto this image's
 * descriptors of its socket, all of them one socket of the table, as a
 * dup()'s are; a socket this image does not have is left alone. */
static void restore_one(const struct held_rec *r, int memfd, size_t off)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	struct sk *sk = NULL;
	int first = -1;

	while (d && (de = readdir(d))) {
		char path[PATH_MAX], *end;
		long fd = strtol(de->d_name, &end, 10);
		int proto, n;

		if (*end || end == de->d_name || fd < 0 || fd > INT_MAX || fd == memfd || fd == dirfd(d) ||
		    fd_path((int)fd, path, sizeof(path)) < 0 || !is_data_path(path, &proto, &n) ||
		    proto != r->proto || n != r->n)
			continue;
		if (!sk) {
			char *buf;
			if (!(sk = sk_get((int)fd)))
				continue;
			first = (int)fd;
			if (!(buf = read_at(memfd, r->len, off)))
				break;
			pthread_mutex_lock(&lock);
			if (!sk->peek && !sk->peeklen) {	/* nothing of its own yet */
				sk->peek = buf;
				buf = NULL;
				sk->peeklen = r->len;
				sk->peekcap = r->len;
				sk->peekoff = 0;
				sk->peekfrom = r->from;
				sk_set_special(sk);
			}
			pthread_mutex_unlock(&lock);
			free(buf);
		} else {
			struct ent *e = ent_at((int)fd, false);
			if (!e || e->kind == E_NONE)
				fd_copy(first, (int)fd);
		}
	}
	if (d)
		closedir(d);
	if (sk)
		sk_put(sk);
}

/* read_records: the records' line at the start of memfd (size bytes in
 * all), its newline taken off, and where the bytes start; NULL if there
 * is none within HELD_TEXT_MAX. */
static char *read_records(int memfd, size_t size, size_t *bytes_at)
{
	size_t len = size < HELD_TEXT_MAX ? size : HELD_TEXT_MAX;
	char *text = read_at(memfd, len, 0), *nl;

	if (!text || !(nl = memchr(text, '\n', len)) || memchr(text, 0, (size_t)(nl - text))) {
		free(text);
		return NULL;
	}
	*nl = 0;
	*bytes_at = (size_t)(nl - text) + 1;
	return text;
}

/* held_restore (impc.h): the constructor's part: take back the bytes the
 * program before the exec held (see the top). */
void held_restore(void)
{
	const char *v = getenv(HELD_VAR);
	struct held_list l = { 0 };
	size_t size, off = 0;
	char *records;
	int memfd;
	bool ok;

	if (!v)
		return;
	ok = parse_var(v, &memfd, &size);
	unsetenv(HELD_VAR);
	if (!ok || !is_held_memfd(memfd, size))
		return;		/* not ours to close */
	records = read_records(memfd, size, &off);
	if (records && parse_records(records, size - off, &l)) {
		for (size_t i = 0; i < l.count; i++) {
			restore_one(&l.rec[i], memfd, off);
			off += l.rec[i].len;
		}
	}
	real_close(memfd);
	free(l.rec);
	free(records);
}
