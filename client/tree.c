/* tree.c: the imp file tree, as the rest of the library sees it.
 *
 * Where it is ($IMP_ROOT), the paths of a socket's files, reading the small
 * text files the daemon writes (status, local, remote, err), writing one
 * command to a socket's ctl, and the few descriptor and address helpers the
 * calls share.  Nothing here touches the descriptor table (table.c), but
 * ctl_cmd opens the ctl through it.
 */
#include "impc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

const char *const pname[NPROTO] = { "tcp", "udp" };

/* ---- the mount point ------------------------------------------------------ */

char root[PATH_MAX - 256];	/* $IMP_ROOT, resolved */
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

void root_get(void)
{
	pthread_once(&root_once, root_init);
}

/* ---- paths ----------------------------------------------------------------- */

int sk_path(char *buf, size_t len, const struct sk *sk, const char *file)
{
	return snprintf(buf, len, "%s/%s/%d/%s", root, pname[sk->proto], sk->n, file) >= (int)len
		? -1 : 0;
}

int fd_path(int fd, char *buf, size_t len)
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

/* is_data_path: path is $IMP_ROOT/tcp|udp/N/data; sets proto and n. */
bool is_data_path(const char *path, int *proto, int *n)
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

/* ---- descriptors ------------------------------------------------------------ */

int xfcntl(int fd, int cmd, long arg)
{
	NEED(fcntl);
	return real_fcntl(fd, cmd, arg);
}

bool fd_nonblock(int fd)
{
	int fl = xfcntl(fd, F_GETFL, 0);

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* move_to: fd moved to a number at or above high_fd, with dup_cmd
 * (F_DUPFD_CLOEXEC or F_DUPFD); fd itself if there is none. */
static int move_to(int fd, int dup_cmd)
{
	int nfd;

	root_get();	/* sets high_fd */
	nfd = xfcntl(fd, dup_cmd, high_fd);

	if (nfd < 0)
		nfd = xfcntl(fd, dup_cmd, 0);
	if (nfd < 0)
		return fd;
	real_close(fd);
	return nfd;
}

/* move_high moves fd to a high number, close-on-exec; returns the new fd. */
int move_high(int fd)
{
	return move_to(fd, F_DUPFD_CLOEXEC);
}

/* move_high_inherited: the same, for a descriptor an exec hands on (exec.c):
 * out of the low numbers a program may expect free. */
int move_high_inherited(int fd)
{
	return move_to(fd, F_DUPFD);
}

/* ---- reading the tree -------------------------------------------------------- */

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

int sk_read_file(const struct sk *sk, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];

	if (sk_path(path, sizeof(path), sk, file))
		return -ENAMETOOLONG;
	return read_file(path, buf, len);
}

/* imp_ifindex: the kernel's index of the interface imp runs on (the
 * "device" of ipifc/0/status, a TAP device the kernel names the same), 0
 * when it has none here.  Kept once found: an interface's index does not
 * change while it lives. */
static unsigned imp_ifindex(void)
{
	static _Atomic unsigned cached;
	char path[PATH_MAX], buf[512], name[IF_NAMESIZE];
	unsigned idx = cached;
	const char *p;

	if (idx)
		return idx;
	root_get();
	if ((size_t)snprintf(path, sizeof(path), "%s/ipifc/0/status", root) >= sizeof(path) ||
	    read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strncmp(buf, "device ", 7) ? strstr(buf, "\ndevice ") : buf;
	if (!p || sscanf(p + (*p == '\n') + 7, "%15s", name) != 1)
		return 0;
	idx = if_nametoindex(name);
	cached = idx;
	return idx;
}

/* zone_index: a zone's interface index: a name the kernel knows, or a
 * number as it stands; 0 for neither. */
static unsigned zone_index(const char *zone)
{
	char *end;
	unsigned long v;

	if (!*zone)
		return 0;
	if ((v = if_nametoindex(zone)) != 0)
		return (unsigned)v;
	v = strtoul(zone, &end, 10);
	return *end || v > UINT32_MAX ? 0 : (unsigned)v;
}

/* parse_addr reads "ADDR PORT" (dotted IPv4, or IPv6 text with or without
 * brackets and zone, or "*") into sa, IPv4 mapped.  A link-local address
 * gets the scope id of its zone, else of imp's interface (the only one a
 * link-local address of imp's can be on), as the kernel gives a
 * program the index of the interface a link-local peer is on. */
static int parse_addr(const char *s, struct sockaddr_in6 *sa)
{
	char ip[80], *p = ip, zone[IF_NAMESIZE + 12] = "";
	unsigned port;
	struct in_addr a4;
	size_t z;

	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	if (sscanf(s, "%79s %u", ip, &port) != 2 || port > 65535)
		return -1;
	if (*p == '[') {
		p++;
		p[strcspn(p, "]")] = 0;
	}
	if (p[z = strcspn(p, "%")]) {
		snprintf(zone, sizeof(zone), "%s", p + z + 1);
		p[z] = 0;
	}
	if (inet_pton(AF_INET, p, &a4) == 1)
		map4(&sa->sin6_addr, a4);
	else if (strcmp(p, "*") && inet_pton(AF_INET6, p, &sa->sin6_addr) != 1)
		return -1;
	sa->sin6_port = htons((uint16_t)port);
	if (IN6_IS_ADDR_LINKLOCAL(&sa->sin6_addr))
		sa->sin6_scope_id = *zone ? zone_index(zone) : imp_ifindex();
	return 0;
}

void link_scope(struct sockaddr_in6 *sa)
{
	if (IN6_IS_ADDR_LINKLOCAL(&sa->sin6_addr) && !sa->sin6_scope_id)
		sa->sin6_scope_id = imp_ifindex();
}

int sk_addr(const struct sk *sk, const char *file, struct sockaddr_in6 *sa)
{
	char buf[128];
	int n = sk_read_file(sk, file, buf, sizeof(buf));

	if (n < 0)
		return n;
	return parse_addr(buf, sa) ? -EIO : 0;
}

/* sk_status: the first word of N/status ("Established", "Bound" ...),
 * and the whole line in line if wanted. */
int sk_status(const struct sk *sk, char *word, size_t wlen, char *line, size_t llen)
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

/* is_syn: a status word of a connect under way. */
bool is_syn(const char *word)
{
	return !strcmp(word, "Syn_sent") || !strcmp(word, "Syn_received");
}

/* status_num: the number after " KEY " in a status line, or -1. */
long status_num(const char *line, const char *key)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), " %s ", key);
	p = strstr(line, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* ---- writing ctl ------------------------------------------------------------ */

/* ctl_cmd writes one command; 0 or -errno.  nonblock: O_NONBLOCK on ctl
 * for this write (a connect then answers EINPROGRESS at once). */
int ctl_cmd(struct sk *sk, bool nonblock, const char *fmt, ...)
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

/* ---- addresses -------------------------------------------------------------- */

/* map4 writes a4 as the IPv4-mapped a6. */
void map4(struct in6_addr *a6, struct in_addr a4)
{
	memset(a6, 0, sizeof(*a6));
	a6->s6_addr[10] = a6->s6_addr[11] = 0xff;
	memcpy(&a6->s6_addr[12], &a4, 4);
}

bool is_v4(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

/* is_any: :: or ::ffff:0.0.0.0, the unspecified address of either family. */
bool is_any(const struct in6_addr *a)
{
	static const unsigned char m0[16] = { [10] = 0xff, [11] = 0xff };

	return IN6_IS_ADDR_UNSPECIFIED(a) || !memcmp(a, m0, 16);
}

/* get_sa takes a program's address for sk into sa, IPv4 mapped.  As
 * Linux: an AF_INET socket takes sockaddr_in only (EAFNOSUPPORT); an
 * AF_INET6 one takes sockaddr_in6 of at least 24 bytes (RFC 2133's, no
 * scope id), and sockaddr_in too (UDP's sendto and connect do; callers
 * that must not refuse it themselves). */
int get_sa(const struct sk *sk, const struct sockaddr *addr, socklen_t len, struct sockaddr_in6 *sa)
{
	struct sockaddr_in sin;

	if (!addr)
		return -EFAULT;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	if (addr->sa_family == AF_INET) {
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, addr, sizeof(sin));
		map4(&sa->sin6_addr, sin.sin_addr);
		sa->sin6_port = sin.sin_port;
		return 0;
	}
	if (addr->sa_family != AF_INET6 || sk->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (len < 24)
		return -EINVAL;
	memcpy(sa, addr, len < sizeof(*sa) ? len : sizeof(*sa));
	if (len < sizeof(*sa))
		sa->sin6_scope_id = 0;
	sa->sin6_flowinfo = 0;
	return 0;
}

/* addr_text: sa's address as ctl takes it: dotted IPv4 for a mapped one,
 * else RFC 5952 text, with the interface's name as the zone of a
 * link-local address that has a scope id (imp's one interface has the
 * name of the TAP device it runs on, which is the kernel's name too). */
const char *addr_text(const struct sockaddr_in6 *sa, char *buf)
{
	char ifname[IF_NAMESIZE];
	size_t n;

	if (is_v4(&sa->sin6_addr))
		return inet_ntop(AF_INET, &sa->sin6_addr.s6_addr[12], buf, ADDR_TEXT);
	inet_ntop(AF_INET6, &sa->sin6_addr, buf, ADDR_TEXT);
	if (sa->sin6_scope_id && IN6_IS_ADDR_LINKLOCAL(&sa->sin6_addr)) {
		n = strlen(buf);
		if (if_indextoname(sa->sin6_scope_id, ifname))
			snprintf(buf + n, ADDR_TEXT - n, "%%%s", ifname);
		else
			snprintf(buf + n, ADDR_TEXT - n, "%%%u", sa->sin6_scope_id);
	}
	return buf;
}

/* local_text: the ADDR of a bind or announce for sk's local address sa:
 * an AF_INET socket's any is IPv4's (0.0.0.0); an AF_INET6 socket's ::
 * is both families ("*") or, with IPV6_V6ONLY, IPv6's (::), imp(4). */
const char *local_text(const struct sk *sk, const struct sockaddr_in6 *sa, char *buf)
{
	if (sk->family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&sa->sin6_addr))
		return strcpy(buf, sk->v6only ? "::" : "*");
	return addr_text(sa, buf);
}

/* put_addr gives a program sa in its socket's family: sockaddr_in for
 * AF_INET, sockaddr_in6 (IPv4 mapped; an unset address ::) for AF_INET6. */
void put_addr(const struct sk *sk, const struct sockaddr_in6 *sa, struct sockaddr *addr,
	      socklen_t *alen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 s6;
	const void *src = &sin;
	size_t n = sizeof(sin);

	if (!addr || !alen)
		return;
	if (sk->family == AF_INET6) {
		s6 = *sa;
		s6.sin6_family = AF_INET6;
		if (is_any(&s6.sin6_addr) && !(sk->flags & F_BOUND && is_v4(&sk->bound.sin6_addr)))
			memset(&s6.sin6_addr, 0, sizeof(s6.sin6_addr));
		src = &s6;
		n = sizeof(s6);
	} else {
		sin.sin_port = sa->sin6_port;
		if (is_v4(&sa->sin6_addr))
			memcpy(&sin.sin_addr, &sa->sin6_addr.s6_addr[12], 4);
	}
	memcpy(addr, src, *alen < n ? *alen : n);
	*alen = (socklen_t)n;
}
