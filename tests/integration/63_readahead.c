/* 63_readahead.c: libimpc's bulk read-ahead, from a program under imp-run
 * (63-imp-run-readahead.sh).  Each check prints "ok: ..." or "FAIL: ...".
 *
 *   63_readahead serve PORT            the kernel's side: per connection, a
 *                                      line "SEND N close|hold", then N bytes
 *                                      of pattern(), then close, or hold until
 *                                      the client closes
 *   63_readahead stream ADDR PORT      8 MiB read with recv, read, readv and
 *                                      MSG_PEEK mixed, every byte checked
 *   63_readahead held ADDR PORT RA [epoll|read]
 *                                      256 KiB sent and held: one recv of
 *                                      32 KiB takes all of it from the
 *                                      daemon (RA 1) or not (RA 0); poll,
 *                                      select, FIONREAD and epoll agree
 *   63_readahead eof ADDR PORT         the end of the stream after bytes
 *                                      read ahead
 *   63_readahead select ADDR PORT      32 MiB read 16 KiB at a time, each
 *                                      read after a select on the stream
 *                                      and an idle socket: what it costs
 *                                      the daemon ($IMP_ROOT/stats)
 *   63_readahead exec ADDR PORT ra|peek|udp HOW
 *                                      the library holds bytes (read ahead,
 *                                      MSG_PEEK, a peeked datagram), then
 *                                      the program runs itself again on the
 *                                      socket through HOW (execve, execv,
 *                                      execvp, execvpe, execl, execlp,
 *                                      execle, fexecve, execveat,
 *                                      posix_spawn, posix_spawnp, or
 *                                      fork-execv, vfork-execv: a child
 *                                      execs, the parent closes the
 *                                      socket): the new image
 *                                      (exec-child) reads every byte left,
 *                                      in order
 *   63_readahead exec-fail ADDR PORT   an exec that fails leaves the held
 *                                      bytes readable, in order
 *   63_readahead forged MEMFDS ADDR PORT
 *                                      started with a forged $IMP_HELD: the
 *                                      library dropped it (MEMFDS memfds
 *                                      still open: one it must not close),
 *                                      stdin, stdout and stderr are open,
 *                                      and a stream reads as it should
 */
#define _GNU_SOURCE	/* execvpe, execveat */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <dirent.h>
#include <spawn.h>
#include <time.h>
#include <unistd.h>

#include "prog_common.h"

/* pattern: the byte at offset i of every stream, not periodic in any
 * buffer size a test uses. */
static unsigned char pattern(size_t i)
{
	return (unsigned char)((i ^ (i >> 7) ^ (i >> 15)) * 31u + (i >> 20));
}

/* bad_at: the first offset of buf (stream offset off) that is not the
 * pattern, or -1. */
static long bad_at(const unsigned char *buf, size_t len, size_t off)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern(off + i))
			return (long)(off + i);
	return -1;
}

static void serve_one(int c)
{
	char line[64];
	size_t n = 0, got = 0;
	char how[8] = "";
	static unsigned char buf[65536];

	while (got < sizeof(line) - 1 && read(c, line + got, 1) == 1 && line[got] != '\n')
		got++;
	line[got] = 0;
	if (sscanf(line, "SEND %zu %7s", &n, how) != 2)
		_exit(2);
	for (size_t off = 0; off < n;) {
		size_t k = n - off < sizeof(buf) ? n - off : sizeof(buf);
		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(off + i);
		ssize_t w = write(c, buf, k);
		if (w <= 0)
			_exit(1);
		off += (size_t)w;
	}
	if (!strcmp(how, "hold"))
		while (read(c, buf, sizeof(buf)) > 0)
			;
	_exit(0);
}

/* dial: connect and ask for n bytes; rcvbuf, when not 0, is set before the
 * connect (TCP sizes its buffers there). */
static int dial(const char *addr, int port, size_t n, const char *how, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char line[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, addr, &a.sin_addr);
	if (fd >= 0 && rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) {
		check(0, "SO_RCVBUF %d: %s", rcvbuf, strerror(errno));
		exit(1);
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		check(0, "connect %s %d: %s", addr, port, strerror(errno));
		exit(1);
	}
	snprintf(line, sizeof(line), "SEND %zu %s\n", n, how);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		check(0, "write the request: %s", strerror(errno));
		exit(1);
	}
	return fd;
}

/* 8 MiB through every receive call, with read-ahead under them. */
static int stream(const char *addr, int port)
{
	const size_t total = 8u << 20;
	static const size_t sizes[] = { 65536, 100, 131072, 16384, 7, 300000, 20000, 1 << 20, 4096 };
	static unsigned char buf[1 << 20];
	size_t off = 0, calls = 0;
	long bad = -1;
	int fd = dial(addr, port, total, "close", 0);

	while (off < total && bad < 0) {
		size_t want = sizes[calls % (sizeof(sizes) / sizeof(sizes[0]))];
		ssize_t n;

		switch (calls++ % 4) {
		case 0:
			n = recv(fd, buf, want, 0);
			break;
		case 1:
			n = read(fd, buf, want);
			break;
		case 2: {
			struct iovec iov[2] = { { buf, want / 2 }, { buf + want / 2, want - want / 2 } };
			n = readv(fd, iov, 2);
			break;
		}
		default: {	/* a peek, then the same bytes for real */
			unsigned char peek[10];
			ssize_t k = recv(fd, peek, sizeof(peek), MSG_PEEK);
			if (k > 0 && bad_at(peek, (size_t)k, off) >= 0) {
				check(0, "stream: MSG_PEEK at %zu is not the stream's bytes", off);
				return 1;
			}
			n = recv(fd, buf, want, 0);
			break;
		}
		}
		if (n <= 0) {
			check(0, "stream: call %zu (%zu bytes) at offset %zu returned %zd (%s)", calls, want,
			      off, n, n < 0 ? strerror(errno) : "end");
			return 1;
		}
		bad = bad_at(buf, (size_t)n, off);
		off += (size_t)n;
	}
	check(bad < 0, "stream: every byte in order (first wrong at %ld)", bad);
	check(off == total, "stream: %zu bytes in %zu calls of recv, read, readv, MSG_PEEK", off, calls);
	check(recv(fd, buf, sizeof(buf) / 2, 0) == 0, "stream: then the end of the stream");
	close(fd);
	return 0;
}

/* 256 KiB held by the peer: where the bytes are after one recv of 32 KiB. */
static int held(const char *addr, int port, int ra, int use_epoll, int use_read)
{
	const size_t total = 256u << 10, first = 32u << 10;
	static unsigned char buf[256 << 10];
	struct pollfd p;
	fd_set rd;
	struct timeval tv = { 0, 0 };
	int fd = dial(addr, port, total, "hold", 0), ep = -1, avail = -1;
	long q = -1;
	ssize_t n;

	for (int i = 0; i < 500 && (q = rcvq(fd)) != (long)total; i++)
		sleep_ms(10);
	check(q == (long)total, "held: the daemon holds the %zu bytes sent (rcvq %ld)", total, q);
	if (use_epoll) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
		ep = epoll_create1(0);
		check(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "held: epoll_ctl ADD");
	}
	n = use_read ? read(fd, buf, first) : recv(fd, buf, first, 0);
	check(n == (ssize_t)first, "held: %s of %zu returned %zd", use_read ? "read" : "recv", first, n);
	q = rcvq(fd);
	if (ra)
		check(q == 0, "held: read ahead: the daemon holds nothing more (rcvq %ld)", q);
	else
		check(q == (long)(total - first), "held: not read ahead: the daemon holds the rest (rcvq %ld)", q);

	int r;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	r = poll(&p, 1, 0);
	check(r == 1 && (p.revents & POLLIN), "held: poll POLLIN says readable (%d, revents 0x%x)", r, p.revents);
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	r = poll(&p, 1, 0);
	check(r == 1 && (p.revents & (POLLIN | POLLOUT)) == (POLLIN | POLLOUT),
	      "held: poll POLLIN|POLLOUT says both (%d, revents 0x%x)", r, p.revents);
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	r = select(fd + 1, &rd, NULL, NULL, &tv);
	check(r == 1 && FD_ISSET(fd, &rd), "held: select says readable (%d)", r);
	r = ioctl(fd, FIONREAD, &avail);
	check(r == 0 && avail == (int)(total - first), "held: FIONREAD counts the %zu bytes not yet read (%d)",
	      total - first, avail);
	if (use_epoll) {
		struct epoll_event ev;
		check(epoll_wait(ep, &ev, 1, 1000) == 1 && ev.data.fd == fd, "held: epoll_wait says readable");
	}

	size_t off = first;
	long bad = bad_at(buf, first, 0);
	while (off < total && bad < 0) {
		n = recv(fd, buf, 20000, 0);
		if (n <= 0)
			break;
		bad = bad_at(buf, (size_t)n, off);
		off += (size_t)n;
	}
	check(off == total && bad < 0, "held: all %zu bytes, in order (%zu, first wrong at %ld)", total, off, bad);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	r = poll(&p, 1, 200);
	check(r == 0, "held: then poll waits: nothing more is readable (%d, revents 0x%x)", r, p.revents);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	n = recv(fd, buf, 65536, 0);
	check(n < 0 && errno == EAGAIN, "held: and a non-blocking recv says EAGAIN (%zd, %s)", n,
	      n < 0 ? strerror(errno) : "-");
	close(fd);
	if (ep >= 0)
		close(ep);
	return 0;
}

/* The end of the stream comes after the bytes read ahead: all 100000
 * bytes and the FIN are in before the first recv, which reads them all. */
static int eof(const char *addr, int port)
{
	static unsigned char buf[65536];
	int fd = dial(addr, port, 100000, "close", 0);
	ssize_t a, b, c, d;
	long q = -1;

	for (int i = 0; i < 500 && (q = rcvq(fd)) != 100000; i++)
		sleep_ms(10);
	check(q == 100000, "eof: the daemon holds the 100000 bytes sent (rcvq %ld)", q);
	a = recv(fd, buf, 16384, 0);
	check(a == 16384 && bad_at(buf, 16384, 0) < 0, "eof: the first 16384 bytes (%zd)", a);
	b = recv(fd, buf, sizeof(buf), 0);
	check(b == 65536 && bad_at(buf, 65536, 16384) < 0, "eof: the next 65536 bytes (%zd)", b);
	c = recv(fd, buf, sizeof(buf), 0);
	check(c == 100000 - 16384 - 65536 && bad_at(buf, (size_t)c, 16384 + 65536) < 0,
	      "eof: the last 18080 bytes (%zd)", c);
	d = recv(fd, buf, sizeof(buf), 0);
	check(d == 0, "eof: then 0, the end (%zd)", d);
	close(fd);
	return 0;
}

/* fuse_stat: counter NAME of $IMP_ROOT/stats, -1 if not found. */
static long long fuse_stat(const char *name)
{
	char path[4096], line[256];
	long long v = -1, x;
	size_t l = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats", getenv("IMP_ROOT") ? getenv("IMP_ROOT") : "/imp");
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, l) && line[l] == ':' && sscanf(line + l + 1, "%lld", &x) == 1)
			v = x;
	fclose(f);
	return v;
}

/* sel: a program that selects before each small read of a bulk stream,
 * with an idle socket in the set (iperf3 -R's control socket).  Each
 * select was a FUSE poll of the idle socket, one per read; now the idle
 * one is polled at most once a millisecond while bytes read ahead answer
 * (REST_POLL_US in poll.c), and the stream comes 1 MiB a FUSE read
 * (RA_SIZE). */
static void sel(const char *addr, int port)
{
	const size_t total = 32u << 20, chunk = 16384;
	static unsigned char buf[16384];
	int fd = dial(addr, port, total, "close", (int)(total + (1u << 20))), idle = dial(addr, port, 0, "hold", 0);
	long long r0, p0, reads, polls;
	size_t got = 0;
	long selects = 0, bad = -1, q = -1;
	struct timespec t0, t1;
	double ms;

	/* The whole stream held by the daemon first (a buffer a megabyte
	 * larger, as the window's last bytes may not be filled), so that every
	 * FUSE read finds a megabyte waiting: how many reads there are then depends on
	 * the request size alone, not on how fast the peer sends (a busy
	 * machine made CI see 128 KiB a read). */
	for (int i = 0; i < 1000 && (q = rcvq(fd)) != (long)total; i++)
		sleep_ms(10);
	check(q == (long)total, "select: the daemon holds the %zu bytes sent (rcvq %ld)", total, q);
	r0 = fuse_stat("FuseReads");
	p0 = fuse_stat("FusePolls");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < total) {
		fd_set rd;
		struct timeval tv = { 10, 0 };
		ssize_t n;

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		FD_SET(idle, &rd);
		selects++;
		if (select((fd > idle ? fd : idle) + 1, &rd, NULL, NULL, &tv) <= 0 || FD_ISSET(idle, &rd) ||
		    !FD_ISSET(fd, &rd)) {
			check(0, "select: the stream readable, the idle socket not (after %zu bytes)", got);
			break;
		}
		n = recv(fd, buf, chunk, 0);
		if (n <= 0) {
			check(0, "recv after %zu bytes: %zd (%s)", got, n, n < 0 ? strerror(errno) : "end");
			break;
		}
		if (bad < 0)
			bad = bad_at(buf, (size_t)n, got);
		got += (size_t)n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	reads = fuse_stat("FuseReads") - r0;
	polls = fuse_stat("FusePolls") - p0;
	check(got == total && bad < 0, "select: %zu bytes in order, in %ld selects and reads", got, selects);
	/* 32 reads of a megabyte, and the stats file's own; 512 KiB reads, or
	 * megabytes cut in two by an unaligned buffer, make 64 or more. */
	check(reads >= 32 && reads <= 44, "select: %lld FUSE reads for 32 MiB (32 of 1 MiB, and the stats file's)",
	      reads);
	/* Per FUSE read of the stream, a blocking select polls both sockets
	 * (twice if it sleeps); besides, the idle one at most once a ms. */
	check(polls <= 4 * reads + (long long)ms + 16,
	      "select: %lld FUSE polls for %ld selects in %.0f ms (at most 4 a read and 1 a ms)", polls, selects,
	      ms);
	close(idle);
	close(fd);
}

/* ---- exec: the bytes the library holds go with the program ------------------- */

extern char **environ;

/* The peer's datagrams for the udp case: sizes, and the byte at i of each. */
#define UDP_D1 100
#define UDP_D2 200
static unsigned char dgram_byte(int which, size_t i)
{
	return (unsigned char)(which * 71 + i * 13);
}

/* udp_serve: the kernel's UDP side on port: to each datagram, two. */
static void udp_serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	unsigned char buf[2048];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a))) {
		perror("udp_serve");
		_exit(1);
	}
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		if (recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) < 0)
			continue;
		for (int w = 1; w <= 2; w++) {
			size_t len = w == 1 ? UDP_D1 : UDP_D2;
			for (size_t i = 0; i < len; i++)
				buf[i] = dgram_byte(w, i);
			sendto(s, buf, len, 0, (struct sockaddr *)&from, fl);
		}
	}
}

/* memfds_open: how many of our descriptors are memfds (what the library
 * hands over must not stay open). */
static int memfds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char link[300], path[4096];
	int count = 0;

	while (d && (e = readdir(d))) {
		ssize_t n;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, path, sizeof(path) - 1);
		if (n > 0 && (path[n] = 0, !strncmp(path, "/memfd:", 7)))
			count++;
	}
	if (d)
		closedir(d);
	return count;
}

/* tcp_rest: the stream from off to total, read alternately from fd and
 * dupfd (the same socket), every byte checked; then nothing more. */
static void tcp_rest(const char *who, int fd, int dupfd, size_t off, size_t total)
{
	static unsigned char buf[65536];
	size_t calls = 0, start = off;
	long bad = -1;
	ssize_t n = 0;

	while (off < total && bad < 0) {
		/* Bytes lost would leave it waiting for ones the peer never
		 * sends: fail in a few seconds, not at the test's timeout. */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 3000) != 1) {
			n = -2;
			break;
		}
		n = recv(calls % 2 ? dupfd : fd, buf, calls % 3 ? 20000 : sizeof(buf), 0);
		calls++;
		if (n <= 0)
			break;
		bad = bad_at(buf, (size_t)n, off);
		off += (size_t)n;
	}
	check(off == total && bad < 0, "%s: bytes %zu to %zu, in order, from fds %d and %d (got to %zu, first wrong at %ld, last recv %zd)",
	      who, start, total, fd, dupfd, off, bad, n);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	n = recv(fd, buf, sizeof(buf), 0);
	check(n < 0 && errno == EAGAIN, "%s: then nothing more (%zd, %s)", who, n, n < 0 ? strerror(errno) : "-");
}

/* from_text: the address and port of a datagram's source, IPv4 or
 * IPv4-mapped IPv6 alike: a socket inherited through exec that was bound
 * to no address is taken as AF_INET6 (imp-run(1), LIMITS). */
static int from_text(const struct sockaddr_storage *ss, char *text, size_t len)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], text, (socklen_t)len);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, text, (socklen_t)len);
		return ntohs(s6->sin6_port);
	}
	inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, text, (socklen_t)len);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

/* udp_rest: the two datagrams of udp_serve, the first one peeked by the
 * program before, each from the peer's address and port; then nothing. */
static void udp_rest(const char *who, int fd, const char *addr, int port)
{
	unsigned char buf[2048];
	long bad = -1;
	ssize_t n;

	for (int w = 1; w <= 2; w++) {
		struct sockaddr_storage from = { 0 };
		socklen_t fl = sizeof(from);
		char text[INET6_ADDRSTRLEN] = "?";
		size_t want = w == 1 ? UDP_D1 : UDP_D2;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int fport;

		n = poll(&p, 1, 3000) != 1 ? -2 : recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		for (ssize_t i = 0; bad < 0 && i < n; i++)
			if (buf[i] != dgram_byte(w, (size_t)i))
				bad = i;
		fport = from_text(&from, text, sizeof(text));
		check(n == (ssize_t)want && bad < 0 && !strcmp(text, addr) && fport == port,
		      "%s: datagram %d: %zd bytes (want %zu), first wrong at %ld, from %s %d", who, w, n, want,
		      bad, text, fport);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	n = recv(fd, buf, sizeof(buf), 0);
	check(n < 0 && errno == EAGAIN, "%s: then no datagram (%zd, %s)", who, n, n < 0 ? strerror(errno) : "-");
}

/* exec_child: the new image: what the program before held is here. */
static int exec_child(char **argv)
{
	const char *kind = argv[2];
	int fd = atoi(argv[3]), dupfd = atoi(argv[4]);
	int before = atoi(argv[7]);

	check(!getenv("IMP_HELD"), "exec-child (%s): the handover is gone from the environment", kind);
	check(memfds_open() == 0, "exec-child (%s): no memfd left open (%d)", kind, memfds_open());
	if (!strcmp(kind, "udp"))
		udp_rest("exec-child (udp)", fd, argv[5], atoi(argv[6]));
	else
		tcp_rest(!strcmp(kind, "ra") ? "exec-child (read-ahead)" : "exec-child (MSG_PEEK)", fd, dupfd,
			 strtoul(argv[5], NULL, 10), strtoul(argv[6], NULL, 10));
	return failures + before ? 1 : 0;
}

/* self_dir: the directory of this program, for the PATH of execvp. */
static void self_dir(char *dir, size_t len, char *exe, size_t elen)
{
	ssize_t n = readlink("/proc/self/exe", exe, elen - 1);
	char *slash;

	exe[n > 0 ? n : 0] = 0;
	snprintf(dir, len, "%s", exe);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
}

/* run_as: exec this program again with args (at most 8) through how;
 * returns only if that failed (posix_spawn: after the child ended, with
 * its status in *status). */
static int run_as(const char *how, const char *exe, char **args, int *status)
{
	char *a[9] = { 0 };
	const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;

	for (int i = 0; i < 8 && args[i]; i++)
		a[i] = args[i];
	if (!strcmp(how, "execve"))
		return execve(exe, a, environ);
	if (!strcmp(how, "execv"))
		return execv(exe, a);
	if (!strcmp(how, "execvp"))
		return execvp(base, a);
	if (!strcmp(how, "execvpe"))
		return execvpe(base, a, environ);
	if (!strcmp(how, "execl"))
		return execl(exe, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], (char *)NULL);
	if (!strcmp(how, "execlp"))
		return execlp(base, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], (char *)NULL);
	if (!strcmp(how, "execle"))
		return execle(exe, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], (char *)NULL, environ);
	if (!strcmp(how, "fexecve")) {
		int efd = open(exe, O_RDONLY | O_CLOEXEC);
		return efd < 0 ? -1 : fexecve(efd, a, environ);
	}
	if (!strcmp(how, "execveat"))
		return execveat(AT_FDCWD, exe, a, environ, 0);
	if (!strcmp(how, "fork-execv") || !strcmp(how, "vfork-execv")) {
		/* the child execs; the parent closes its descriptors of the
		 * socket, as a server does after handing a connection on */
		pid_t pid = !strcmp(how, "fork-execv") ? fork() : vfork();
		if (pid == 0) {
			execv(exe, a);
			_exit(127);
		}
		if (pid < 0)
			return -1;
		close(atoi(a[3]));
		close(atoi(a[4]));
		waitpid(pid, status, 0);
		return 0;
	}
	if (!strcmp(how, "posix_spawn") || !strcmp(how, "posix_spawnp")) {
		pid_t pid;
		int r = !strcmp(how, "posix_spawn") ? posix_spawn(&pid, exe, NULL, NULL, a, environ)
						   : posix_spawnp(&pid, base, NULL, NULL, a, environ);
		if (r) {
			errno = r;
			return -1;
		}
		waitpid(pid, status, 0);
		return 0;
	}
	errno = EINVAL;
	return -1;
}

/* exec_held: hold bytes in the library, as kind says, then run this program
 * again on the socket through how: the new image must read all the rest. */
static int exec_held(const char *addr, int port, const char *kind, const char *how)
{
	const size_t total = 256u << 10, first = 1000, peeked = 100000;
	static unsigned char buf[256 << 10];
	char exe[4096], dir[4096], path[8192], sfd[16], sdup[16], s5[32], s6[32], sfail[16];
	char *args[9] = { 0 };
	int fd, dupfd, status = -1, avail = -1;
	long q = -1;
	ssize_t n;

	self_dir(dir, sizeof(dir), exe, sizeof(exe));
	snprintf(path, sizeof(path), "%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	if (!strcmp(kind, "udp")) {
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		long q0 = -1;

		fd = socket(AF_INET, SOCK_DGRAM, 0);
		inet_pton(AF_INET, addr, &to.sin_addr);
		sendto(fd, "UDP2", 4, 0, (struct sockaddr *)&to, sizeof(to));
		for (int i = 0; i < 500 && (q0 = rcvq(fd)) < UDP_D1 + UDP_D2; i++)
			sleep_ms(10);
		n = recvfrom(fd, buf, sizeof(buf), MSG_PEEK, (struct sockaddr *)&from, &fl);
		q = rcvq(fd);
		check(n == UDP_D1 && q < q0 && q > 0,
		      "exec (udp): a datagram of %zd peeked: the daemon's queue went from %ld to %ld", n, q0, q);
		snprintf(s5, sizeof(s5), "%s", addr);
		snprintf(s6, sizeof(s6), "%d", port);
	} else {
		fd = dial(addr, port, total, "hold", 0);
		for (int i = 0; i < 500 && (q = rcvq(fd)) != (long)total; i++)
			sleep_ms(10);
		n = recv(fd, buf, first, 0);
		if (!strcmp(kind, "ra")) {
			/* 1000 bytes (no read-ahead), then 32 KiB: the rest read ahead */
			ssize_t m = recv(fd, buf + first, 32768, 0);
			check(n == (ssize_t)first && m == 32768, "exec (read-ahead): recv %zd and %zd", n, m);
			q = rcvq(fd);
			check(q == 0, "exec (read-ahead): the library holds the rest (rcvq %ld)", q);
			snprintf(s5, sizeof(s5), "%zu", first + 32768);
		} else {
			ssize_t m = recv(fd, buf + first, peeked, MSG_PEEK);
			check(n == (ssize_t)first && m == (ssize_t)peeked, "exec (MSG_PEEK): recv %zd, peek %zd", n, m);
			q = rcvq(fd);
			check(q == (long)(total - first - peeked),
			      "exec (MSG_PEEK): the library holds %zu bytes, the daemon the rest (rcvq %ld)", peeked, q);
			snprintf(s5, sizeof(s5), "%zu", first);
		}
		check(bad_at(buf, first, 0) < 0, "exec (%s): the first bytes in order", kind);
		snprintf(s6, sizeof(s6), "%zu", total);
	}
	n = ioctl(fd, FIONREAD, &avail);
	check(n == 0 && avail > 0, "exec (%s): FIONREAD %d before %s", kind, avail, how);
	/* a second descriptor of the socket, at a number the child is told;
	 * posix_spawn puts the socket at another number in the child */
	dupfd = dup2(fd, 40);
	snprintf(sfd, sizeof(sfd), "%d", fd);
	snprintf(sdup, sizeof(sdup), "%d", dupfd);
	snprintf(sfail, sizeof(sfail), "%d", failures);
	args[0] = exe;
	args[1] = "exec-child";
	args[2] = (char *)kind;
	args[3] = sfd;
	args[4] = sdup;
	args[5] = s5;
	args[6] = s6;
	args[7] = sfail;
	if (run_as(how, exe, args, &status) < 0) {
		check(0, "exec (%s): %s failed: %s", kind, how, strerror(errno));
		return 1;
	}
	/* a child (posix_spawn, fork, vfork) read it all */
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exec (%s): the %s child exited 0 (status 0x%x)",
	      kind, how, status);
	return 0;
}

/* exec_fail: bytes read ahead, then exec calls that fail: the bytes are
 * still there, in order, and nothing the library made for the exec stays. */
static int exec_fail(const char *addr, int port)
{
	const size_t total = 256u << 10, first = 32768;
	static unsigned char buf[256 << 10];
	char *args[] = { "63_readahead", "nothing", NULL };
	const char *hows[] = { "execv", "execvp", "execve", "posix_spawn" };
	char missing[] = "/nonexistent/63_readahead";
	int fd = dial(addr, port, total, "hold", 0), avail = -1, status;
	long q = -1;
	ssize_t n;

	for (int i = 0; i < 500 && (q = rcvq(fd)) != (long)total; i++)
		sleep_ms(10);
	n = recv(fd, buf, first, 0);
	q = rcvq(fd);
	check(n == (ssize_t)first && q == 0, "exec-fail: recv %zd, the library holds the rest (rcvq %ld)", n, q);
	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		int r, e;
		errno = 0;
		r = run_as(hows[i], !strcmp(hows[i], "execvp") ? "no-such-program-63" : missing, args, &status);
		e = errno;
		check(r == -1 && e == ENOENT, "exec-fail: %s of a missing program: -1 ENOENT (%d, %s)", hows[i], r,
		      strerror(e));
		check(memfds_open() == 0, "exec-fail: after %s, no memfd left open (%d)", hows[i], memfds_open());
		check(!getenv("IMP_HELD"), "exec-fail: after %s, the environment as it was", hows[i]);
	}
	n = ioctl(fd, FIONREAD, &avail);
	check(n == 0 && avail == (int)(total - first),
	      "exec-fail: FIONREAD still counts the %zu bytes held (%d)", total - first, avail);
	tcp_rest("exec-fail", fd, fd, first, total);
	close(fd);
	return 0;
}

/* forged: the program was started with an $IMP_HELD anyone could have
 * written: the library (its constructor, before main) dropped it, closed
 * no descriptor it should not have, and works. */
static int forged(int memfds, const char *addr, int port)
{
	static unsigned char buf[65536];
	const char *v = getenv("IMP_HELD");
	size_t off = 0;
	long bad = -1;
	int fd;

	check(!v, "forged: IMP_HELD is gone from the environment (%s)", v ? v : "unset");
	check(fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0,
	      "forged: stdin, stdout and stderr are open");
	check(memfds_open() == memfds, "forged: %d memfds open (want %d)", memfds_open(), memfds);
	fd = dial(addr, port, 100000, "close", 0);
	while (off < 100000 && bad < 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		bad = bad_at(buf, (size_t)n, off);
		off += (size_t)n;
	}
	check(off == 100000 && bad < 0, "forged: then a stream of 100000 bytes in order (%zu, first wrong at %ld)",
	      off, bad);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "serve")) {
		if (fork() == 0)
			udp_serve(atoi(argv[2]));
		return serve(atoi(argv[2]), serve_one);
	}
	if (argc == 8 && !strcmp(argv[1], "exec-child"))
		return exec_child(argv);
	if (argc == 4 && !strcmp(argv[1], "stream"))
		stream(argv[2], atoi(argv[3]));
	else if ((argc == 5 || argc == 6) && !strcmp(argv[1], "held"))
		held(argv[2], atoi(argv[3]), atoi(argv[4]), argc == 6 && !strcmp(argv[5], "epoll"),
		     argc == 6 && !strcmp(argv[5], "read"));
	else if (argc == 4 && !strcmp(argv[1], "eof"))
		eof(argv[2], atoi(argv[3]));
	else if (argc == 4 && !strcmp(argv[1], "select"))
		sel(argv[2], atoi(argv[3]));
	else if (argc == 6 && !strcmp(argv[1], "exec"))
		exec_held(argv[2], atoi(argv[3]), argv[4], argv[5]);
	else if (argc == 4 && !strcmp(argv[1], "exec-fail"))
		exec_fail(argv[2], atoi(argv[3]));
	else if (argc == 5 && !strcmp(argv[1], "forged"))
		forged(atoi(argv[2]), argv[3], atoi(argv[4]));
	else {
		fprintf(stderr, "usage: 63_readahead serve PORT | stream|eof|select|exec-fail ADDR PORT | held ADDR PORT RA [epoll|read] | exec ADDR PORT ra|peek|udp HOW | forged MEMFDS ADDR PORT\n");
		return 2;
	}
	return failures ? 1 : 0;
}
