/* libimpc.so: run unmodified programs on imp (SPEC §6, imp-run(1)).
 *
 * Loaded with LD_PRELOAD (see imp-run.c), it turns AF_INET and AF_INET6
 * stream and datagram sockets into sockets of the imp file tree at $IMP_ROOT (default
 * /imp).  The descriptor socket() returns is a real descriptor of the
 * socket's data file, $IMP_ROOT/tcp/N/data, so read, write, poll, select,
 * epoll, dup, fork, exec and close-on-exec are the kernel's business and
 * need nothing from here (but the bytes read ahead, which an exec hands on
 * to the new image: exec.c).  What has no file equivalent is translated:
 *
 *   socket        open tcp|udp/new/ctl, read N, open N/data
 *   connect       "connect ADDR PORT" on ctl, always with O_NONBLOCK on ctl
 *                 (EINPROGRESS); a blocking socket then waits here, polling
 *                 its data file, as Linux's connect waits (EINTR, SO_SNDTIMEO)
 *   bind, listen  "bind ADDR PORT", "announce ADDR PORT BACKLOG"
 *   accept        open N/listen: the ctl of a new socket M; open M/data
 *   getsockname   read N/local, N/remote
 *   setsockopt    keepalive, keepidle, keepintvl, keepcnt, usertimeout,
 *                 maxseg, rcvlowat, congestion, nodelay, rcvbuf, sndbuf,
 *                 ttl, tos
 *   getsockopt    TCP_INFO and the TCP options: N/info, one read
 *   SO_ERROR      N/status and N/err
 *   send, recv... the flags (MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL,
 *                 MSG_NOSIGNAL), and UDP addresses through "headers"
 *   close         "close" once no descriptor anywhere refers to the socket:
 *                 imp keeps a connected socket after its files close, Linux
 *                 does not (sk_last)
 *
 * read/write/readv/writev, poll/select, epoll, dup/dup2/dup3/fcntl(F_DUPFD)
 * are wrapped too, but only to keep the table right and for the few sockets
 * that need it (bytes MSG_PEEK read ahead, UDP headers, SO_RCVTIMEO); any
 * other descriptor goes straight to libc after one atomic load.
 *
 * State: a table indexed by descriptor, each entry pointing to the state of
 * one socket (struct sk), shared by the descriptors dup() made of it in this
 * process.  A mutex guards it; fork copies it (pthread_atfork keeps the
 * mutex sane), bytes held and all: each process then has them, which is
 * right when one of the two reads the socket (imp-run(1), LIMITS); a child of vfork/posix_spawn, which shares our memory until
 * it execs, leaves it alone (in_owner).  A descriptor this process did not
 * make (inherited through exec, or made by a call we do not see) is
 * recognised on first use by where /proc/self/fd/FD points (adopt).  Our
 * own descriptors (a socket's ctl, and a non-blocking second open of its
 * data for MSG_DONTWAIT) live at high numbers and are always close-on-exec:
 * an exec'd program opens its own.
 *
 * The files:
 *   impc.h     this: the socket state, the table's API, the real calls
 *   real.c     the real libc calls, found with dlsym(RTLD_NEXT)
 *   tree.c     the file tree: $IMP_ROOT, reading its small files, ctl commands
 *   table.c    the descriptor table, a socket's lifetime, fork, exit
 *   socket.c   socket, connect, bind, listen, accept, names, shutdown
 *   fd.c       close, close_range, closefrom, dup*, fcntl: the table kept right
 *   sockopt.c  setsockopt, getsockopt, ioctl
 *   io.c       send and recv families, read and write, MSG_PEEK and bulk
 *              read-ahead
 *   udp.c      datagrams: headers mode, one datagram out, one in
 *   poll.c     poll and select, told of the bytes read ahead (MSG_PEEK, bulk)
 *   epoll.c    epoll: which of our sockets each epoll set watches, so that
 *              epoll_wait reports the bytes read ahead too
 *   stat.c     fstat and its kin: a socket's descriptor is S_IFSOCK
 *   exec.c     the exec family and posix_spawn: the bytes read ahead go
 *              with the program (a sealed memfd named in $IMP_HELD)
 *   resolv.c   getaddrinfo, gethostbyname...: names through $IMP_ROOT/dns
 *
 * Every file includes this one first: the two #undefs below must come
 * before any system header, in all of them alike.  The library is built
 * with -fvisibility=hidden, and the declarations below are hidden besides:
 * only what a file marks EXPORT (the libc calls it interposes) is in the
 * dynamic symbol table.
 */
#ifndef IMPC_H
#define IMPC_H

#undef _FORTIFY_SOURCE
/* Our fcntl must be fcntl, not fcntl64 (which we define too). */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <spawn.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

/* glibc's fortified entry points (declared only under _FORTIFY_SOURCE). */
ssize_t __recv_chk(int, void *, size_t, size_t, int);
ssize_t __recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
ssize_t __read_chk(int, void *, size_t, size_t);
int __poll_chk(struct pollfd *, nfds_t, int, size_t);

#pragma GCC visibility push(hidden)

/* ---- a socket ------------------------------------------------------------ */

enum { P_TCP, P_UDP, NPROTO };
extern const char *const pname[NPROTO];	/* "tcp", "udp" */

/* sk->flags */
enum {
	F_BOUND = 1 << 0,	/* bind() was done here */
	F_LISTEN = 1 << 1,
	F_CONNECTING = 1 << 2,	/* a non-blocking connect is under way */
	F_CONNECTED = 1 << 3,
	F_HEADERS = 1 << 4,	/* udp: data carries the 52-byte header */
	F_SHARED = 1 << 5,	/* another process may hold it (fork, exec) */
	F_AUTOCLOSE = 1 << 6,	/* the daemon closes it on its last release */
	F_EPOLL = 1 << 7,	/* has been in an epoll set (see ep_ra_ok) */
};

/* Bulk read-ahead (io.c): a TCP receive of RA_MIN bytes or more, on a
 * socket only this process reads (and, in an epoll set, one whose waits
 * can see the bytes: ep_ra_ok), reads up to RA_SIZE
 * from the data file and keeps the rest for the next calls, so that a
 * program reading 100 KB at a time (curl) costs the daemon one FUSE read
 * per RA_SIZE instead of one read and one poll per 100 KB.  RA_SIZE is
 * FUSE's largest request (max_pages, 1 MiB), RA_ALIGN keeps it one. */
#define RA_MIN (16u << 10)
#define RA_SIZE (1u << 20)
#define RA_ALIGN 4096u

struct sk {
	int refs;		/* table entries + calls under way */
	int proto, n;
	int ctl, nb;		/* our ctl, our O_NONBLOCK data; -1 when not open */
	char *path;		/* the data file, as /proc/self/fd shows it */
	unsigned flags;
	bool special;		/* read()/write() on it need us (see special_count) */
	bool peeked;		/* bytes are read ahead (see peek_count) */
	int family;		/* AF_INET or AF_INET6, as socket() was asked */
	int v6only;		/* IPV6_V6ONLY (AF_INET6 only) */
	int hops, tclass;	/* IPV6_UNICAST_HOPS (-1: the route's), IPV6_TCLASS */
	/* Addresses are kept in one form for both families: IPv4 ones
	 * IPv4-mapped (::ffff:a.b.c.d), as the UDP headers carry them. */
	struct sockaddr_in6 bound, peer;
	/* options, as set */
	int reuseaddr, reuseport, keepalive, nodelay, rcvbuf, sndbuf, ttl, tos;
	int broadcast, keepidle, keepintvl, keepcnt, oobinline, priority, rcvlowat;
	struct linger linger;
	struct timeval rcvtimeo, sndtimeo;
	char lasterr[200];	/* the err text SO_ERROR reported last */
	/* MSG_PEEK and bulk read-ahead: bytes (tcp: peek[peekoff..+peeklen],
	 * peekcap allocated) or one datagram (udp) read ahead */
	char *peek;
	size_t peeklen, peekoff, peekcap;
	bool ra_busy;		/* a thread is reading ahead into peek */
	struct sockaddr_in6 peekfrom;
	struct epreg *regs;	/* its registrations in epoll sets (epoll.c) */
};

/* ---- epoll sets (epoll.c) ------------------------------------------------ */

/* One registration of one of our sockets in one epoll set, as the program
 * made it (epoll_ctl ADD or MOD), with what epoll_wait needs to report the
 * bytes held here as the kernel would report bytes it holds. */
struct epreg {
	struct epset *ep;
	struct sk *sk;
	int fd;			/* the descriptor it was added as */
	struct epoll_event ev;	/* the program's events and data */
	bool disarmed;		/* EPOLLONESHOT: reported once, until MOD */
	bool et_pending;	/* EPOLLET: bytes arrived here, not reported yet */
	struct epreg *snext;	/* the socket's registrations */
	struct epreg *prev, *next;	/* the set's registrations */
	struct epreg *rprev, *rnext;	/* the set's ready list (sk->peeked); NULL when off it */
	struct epreg *hnext;	/* the set's EPOLLONESHOT table, by data */
};

/* One epoll instance: shared by the descriptors dup() made of it, as the
 * kernel's is. */
struct epset {
	int refs;		/* descriptors of it in the table + waits under way */
	int waiters;		/* threads in the kernel's epoll_wait on it */
	struct epreg all;	/* list head: every registration of ours */
	struct epreg ready;	/* list head: those whose socket holds bytes */
	struct epreg **hash;	/* EPOLLONESHOT registrations by ev.data */
	unsigned hbits, noneshot;
};

extern atomic_int ep_nregs;	/* registrations of ours in all sets */

void ep_sk_gone(struct sk *sk);			/* takes the lock */
void ep_held_changed(struct sk *sk);		/* under lock */
void ep_arrived(struct sk *sk);			/* under lock */
void ep_put(struct epset *ep);			/* under lock */
bool ep_readable(struct epset *ep);		/* under lock */
bool ep_ra_ok(struct sk *sk);			/* takes the lock */

/* ---- the table (table.c) ------------------------------------------------- */

/* Two levels, so that a lookup needs no lock to find a chunk. */
#define CHUNK 1024
#define NCHUNKS 4096
enum { E_NONE, E_SOCK, E_CTL, E_NB, E_EPOLL };
struct ent {
	int kind;
	struct sk *sk;		/* E_SOCK, E_CTL, E_NB */
	struct epset *ep;	/* E_EPOLL */
};
extern struct ent *_Atomic chunks[NCHUNKS];
extern pthread_mutex_t lock;		/* the table, and what it points to */
extern pthread_cond_t ra_done;		/* a read-ahead ended (io.c) */
extern atomic_int special_count;	/* sockets whose read/write need us */
extern atomic_int peek_count;		/* sockets with bytes read ahead */

struct ent *ent_at(int fd, bool create);
void ent_set(int fd, int kind, struct sk *sk);	/* under lock */
void sk_set_special(struct sk *sk);		/* under lock */
struct sk *sk_new(int proto, int n);
void sk_free(struct sk *sk);
struct sk *sk_get(int fd);
struct sk *sk_get_special(int fd);
struct sk *sk_get_bulk(int fd);
void sk_put(struct sk *sk);
void sk_put_keep_errno(struct sk *sk);
int sk_ctl(struct sk *sk);
int sk_nb(struct sk *sk);
void try_autoclose(struct sk *sk);
struct sk *fd_forget(int fd);
void fd_copy(int oldfd, int newfd);
bool in_owner(void);

/* ---- exec (exec.c) ------------------------------------------------------- */

/* held_restore: in the constructor, the bytes the program before an exec
 * held, taken back from $IMP_HELD. */
void held_restore(void);

/* ---- the file tree (tree.c) ---------------------------------------------- */

extern char root[PATH_MAX - 256];	/* $IMP_ROOT, resolved */

void root_get(void);
int xfcntl(int fd, int cmd, long arg);
bool fd_nonblock(int fd);
int move_high(int fd);
int move_high_inherited(int fd);
int fd_path(int fd, char *buf, size_t len);
bool is_data_path(const char *path, int *proto, int *n);
int sk_path(char *buf, size_t len, const struct sk *sk, const char *file);
int sk_read_file(const struct sk *sk, const char *file, char *buf, size_t len);
int sk_addr(const struct sk *sk, const char *file, struct sockaddr_in6 *sa);
int sk_status(const struct sk *sk, char *word, size_t wlen, char *line, size_t llen);
bool is_syn(const char *word);
long status_num(const char *line, const char *key);
int ctl_cmd(struct sk *sk, bool nonblock, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int get_sa(const struct sk *sk, const struct sockaddr *addr, socklen_t len, struct sockaddr_in6 *sa);
#define ADDR_TEXT (INET6_ADDRSTRLEN + IF_NAMESIZE + 2)
const char *addr_text(const struct sockaddr_in6 *sa, char *buf);
/* link_scope gives a link-local address with no scope id the index of
 * imp's interface (the kernel's), as a program has it from Linux. */
void link_scope(struct sockaddr_in6 *sa);
const char *local_text(const struct sk *sk, const struct sockaddr_in6 *sa, char *buf);
void put_addr(const struct sk *sk, const struct sockaddr_in6 *sa, struct sockaddr *addr,
	      socklen_t *alen);
void map4(struct in6_addr *a6, struct in_addr a4);
bool is_v4(const struct in6_addr *a);
bool is_any(const struct in6_addr *a);

static inline int fail(int e)
{
	errno = e;
	return -1;
}

/* ---- the rest ------------------------------------------------------------ */

int so_error(struct sk *sk);					/* socket.c */
int timeo_ms(const struct timeval *tv);				/* io.c */
int wait_timeo(int fd, const struct timeval *tv, short ev);
size_t iov_put(const struct iovec *iov, int iovcnt, const char *src, size_t len);
int need_headers(struct sk *sk);				/* udp.c */
int udp_dest(struct sk *sk, const struct sockaddr *addr, socklen_t alen, size_t total,
	     struct sockaddr_in6 *to);
ssize_t udp_send(struct sk *sk, int wfd, bool nonblock, const struct iovec *iov, int iovcnt,
		 size_t total, const struct sockaddr_in6 *to);
ssize_t udp_recv(struct sk *sk, int rfd, bool nonblock, const struct iovec *iov, int iovcnt,
		 int flags, struct sockaddr_in6 *from, size_t *dglen);

/* ---- the real calls (real.c) --------------------------------------------- */

#define REAL_CALLS(X) \
	X(int, socket, (int, int, int)) \
	X(int, connect, (int, __CONST_SOCKADDR_ARG, socklen_t)) \
	X(int, bind, (int, __CONST_SOCKADDR_ARG, socklen_t)) \
	X(int, listen, (int, int)) \
	X(int, accept, (int, __SOCKADDR_ARG, socklen_t *)) \
	X(int, accept4, (int, __SOCKADDR_ARG, socklen_t *, int)) \
	X(int, getsockname, (int, __SOCKADDR_ARG, socklen_t *)) \
	X(int, getpeername, (int, __SOCKADDR_ARG, socklen_t *)) \
	X(int, shutdown, (int, int)) \
	X(int, close, (int)) \
	X(int, close_range, (unsigned int, unsigned int, int)) \
	X(void, closefrom, (int)) \
	X(int, dup, (int)) \
	X(int, dup2, (int, int)) \
	X(int, dup3, (int, int, int)) \
	X(int, fcntl, (int, int, ...)) \
	X(int, fcntl64, (int, int, ...)) \
	X(int, setsockopt, (int, int, int, const void *, socklen_t)) \
	X(int, getsockopt, (int, int, int, void *, socklen_t *)) \
	X(ssize_t, send, (int, const void *, size_t, int)) \
	X(ssize_t, sendto, (int, const void *, size_t, int, __CONST_SOCKADDR_ARG, socklen_t)) \
	X(ssize_t, sendmsg, (int, const struct msghdr *, int)) \
	X(int, sendmmsg, (int, struct mmsghdr *, unsigned int, int)) \
	X(ssize_t, recv, (int, void *, size_t, int)) \
	X(ssize_t, recvfrom, (int, void *, size_t, int, __SOCKADDR_ARG, socklen_t *)) \
	X(ssize_t, recvmsg, (int, struct msghdr *, int)) \
	X(int, recvmmsg, (int, struct mmsghdr *, unsigned int, int, struct timespec *)) \
	X(ssize_t, __recv_chk, (int, void *, size_t, size_t, int)) \
	X(ssize_t, __recvfrom_chk, (int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *)) \
	X(ssize_t, read, (int, void *, size_t)) \
	X(ssize_t, __read_chk, (int, void *, size_t, size_t)) \
	X(ssize_t, readv, (int, const struct iovec *, int)) \
	X(ssize_t, write, (int, const void *, size_t)) \
	X(ssize_t, writev, (int, const struct iovec *, int)) \
	X(int, ioctl, (int, unsigned long, ...)) \
	X(int, poll, (struct pollfd *, nfds_t, int)) \
	X(int, epoll_create, (int)) \
	X(int, epoll_create1, (int)) \
	X(int, epoll_ctl, (int, int, int, struct epoll_event *)) \
	X(int, epoll_wait, (int, struct epoll_event *, int, int)) \
	X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *)) \
	X(int, epoll_pwait2, (int, struct epoll_event *, int, const struct timespec *, const sigset_t *)) \
	X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)) \
	X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *)) \
	X(int, pselect, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *)) \
	X(int, fstat, (int, struct stat *)) \
	X(int, fstat64, (int, struct stat64 *)) \
	X(int, fstatat, (int, const char *, struct stat *, int)) \
	X(int, fstatat64, (int, const char *, struct stat64 *, int)) \
	X(int, statx, (int, const char *, int, unsigned int, struct statx *)) \
	X(int, getaddrinfo, (const char *, const char *, const struct addrinfo *, struct addrinfo **)) \
	X(void, freeaddrinfo, (struct addrinfo *)) \
	X(struct hostent *, gethostbyname, (const char *)) \
	X(struct hostent *, gethostbyname2, (const char *, int)) \
	X(int, gethostbyname_r, (const char *, struct hostent *, char *, size_t, struct hostent **, int *)) \
	X(int, gethostbyname2_r, (const char *, int, struct hostent *, char *, size_t, struct hostent **, int *)) \
	X(int, execve, (const char *, char *const[], char *const[])) \
	X(int, execvpe, (const char *, char *const[], char *const[])) \
	X(int, fexecve, (int, char *const[], char *const[])) \
	X(int, execveat, (int, const char *, char *const[], char *const[], int)) \
	X(int, posix_spawn, (pid_t *, const char *, const posix_spawn_file_actions_t *, \
			     const posix_spawnattr_t *, char *const[], char *const[])) \
	X(int, posix_spawnp, (pid_t *, const char *, const posix_spawn_file_actions_t *, \
			      const posix_spawnattr_t *, char *const[], char *const[]))

#define REAL_DECLARE(ret, name, args) extern ret(*real_##name) args;
REAL_CALLS(REAL_DECLARE)
#undef REAL_DECLARE

/* real_resolve finds them all, once; the constructor calls it, and a call
 * that comes before the constructor (another library's) asks with NEED. */
void real_resolve(void);
#define NEED(name) do { if (!real_##name) real_resolve(); } while (0)

#pragma GCC visibility pop

#endif
