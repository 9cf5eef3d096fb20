/* 66_epoll.c: epoll sees the bytes libimpc holds (imp-run(1), Read-ahead),
 * from a program under imp-run (66-imp-run-epoll.sh).  Each check prints
 * "ok: ..." or "FAIL: ...".
 *
 *   66_epoll serve PORT          the kernel's side: per connection, each line
 *                                "SEND N" sends the next N bytes of pattern()
 *   66_epoll peek ADDR PORT      bytes kept by MSG_PEEK, then the socket
 *                                added: epoll_wait, epoll_pwait, epoll_pwait2
 *                                and poll of the epoll fd say readable at
 *                                once; one event with the kernel's; DEL
 *   66_epoll readahead ADDR PORT bytes read ahead before the socket was
 *                                added, and after; none once an epoll fd is
 *                                inside another set
 *   66_epoll oneshot ADDR PORT   EPOLLONESHOT: once until MOD, whoever saw
 *                                the bytes first (we or the kernel)
 *   66_epoll et ADDR PORT        EPOLLET: once per arrival
 *   66_epoll many ADDR PORT      maxevents, no descriptor twice, each in turn;
 *                                a dup'd epoll fd; closing the sockets
 *
 * A wait that should answer at once is given 2 s and must answer within
 * 500 ms; one that should find nothing is given 200 ms.  Without the
 * library's help the first kind waits the whole 2 s and finds nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "prog_common.h"

static unsigned char pattern(size_t i)
{
	return (unsigned char)((i ^ (i >> 9)) * 13u + 5);
}

/* ---- the kernel's side ----------------------------------------------------- */

static void serve_one(int c)
{
	static unsigned char buf[65536];
	char line[64];
	size_t off = 0;

	for (;;) {
		size_t got = 0, n;
		while (got < sizeof(line) - 1 && read(c, line + got, 1) == 1 && line[got] != '\n')
			got++;
		if (got == 0)
			_exit(0);
		line[got] = 0;
		if (sscanf(line, "SEND %zu", &n) != 1)
			_exit(2);
		while (n) {
			size_t k = n < sizeof(buf) ? n : sizeof(buf);
			for (size_t i = 0; i < k; i++)
				buf[i] = pattern(off + i);
			ssize_t w = write(c, buf, k);
			if (w <= 0)
				_exit(1);
			off += (size_t)w;
			n -= (size_t)w;
		}
	}
}

/* ---- the program's side --------------------------------------------------- */

static const char *g_addr;
static int g_port;

static int dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, g_addr, &a.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		check(0, "connect %s %d: %s", g_addr, g_port, strerror(errno));
		exit(1);
	}
	return fd;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ask: the peer sends n more bytes; the daemon holds want bytes then. */
static void ask(int fd, size_t n, long want)
{
	char line[64];
	long q = -1;

	snprintf(line, sizeof(line), "SEND %zu\n", n);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		check(0, "write the request: %s", strerror(errno));
	for (int i = 0; i < 500 && (q = rcvq(fd)) != want; i++)
		sleep_ms(10);
	if (q != want)
		check(0, "the daemon holds %ld bytes, not %ld", q, want);
}

/* peek_all: MSG_PEEK takes what the daemon has into the library. */
static void peek_all(int fd, long held)
{
	static char buf[8192];
	ssize_t k = recv(fd, buf, sizeof(buf), MSG_PEEK);

	check(k == held && rcvq(fd) == 0, "MSG_PEEK keeps %ld bytes, the daemon none (%zd, rcvq %ld)",
	      held, k, rcvq(fd));
}

/* drain: n bytes of the stream at *off, checked, then nothing is left. */
static void drain(int fd, size_t n, size_t *off)
{
	static unsigned char buf[20000];
	size_t got = 0;
	int bad = 0;

	while (got < n) {
		ssize_t k = recv(fd, buf, n - got < sizeof(buf) ? n - got : sizeof(buf), 0);
		if (k <= 0)
			break;
		for (ssize_t i = 0; i < k; i++)
			bad |= buf[i] != pattern(*off + got + (size_t)i);
		got += (size_t)k;
	}
	*off += got;
	check(got == n && !bad, "read the %zu bytes, in order (%zu%s)", n, got, bad ? ", wrong bytes" : "");
}

/* evwait: epoll_wait; r the count, evs the events; *ms how long it took. */
static int evwait(int ep, struct epoll_event *evs, int max, int tmo, long *ms)
{
	long t0 = now_ms();
	int r = epoll_wait(ep, evs, max, tmo);

	*ms = now_ms() - t0;
	return r;
}

/* at_once: a wait that must report fd readable within 500 ms, alone. */
static void at_once(int ep, int fd, const char *what)
{
	struct epoll_event evs[8];
	long ms;
	int r = evwait(ep, evs, 8, 2000, &ms);

	check(r == 1 && evs[0].data.fd == fd && (evs[0].events & EPOLLIN) && ms < 500,
	      "%s: epoll_wait says EPOLLIN at once (%d events, 0x%x, %ld ms)", what, r,
	      r > 0 ? evs[0].events : 0, ms);
}

/* nothing: a wait of 200 ms that must report nothing. */
static void nothing(int ep, const char *what)
{
	struct epoll_event evs[8];
	long ms;
	int r = evwait(ep, evs, 8, 200, &ms);

	check(r == 0, "%s: epoll_wait reports nothing (%d events, 0x%x, %ld ms)", what, r,
	      r > 0 ? evs[0].events : 0, ms);
}

static int add(int ep, int op, int fd, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(ep, op, fd, &ev);
}

static void t_peek(void)
{
	struct epoll_event evs[8];
	struct timespec two = { 2, 0 };
	struct pollfd p;
	size_t off = 0;
	sigset_t none;
	long t0;
	int fd = dial(), ep = epoll_create1(EPOLL_CLOEXEC), r;

	ask(fd, 1000, 1000);
	peek_all(fd, 1000);
	check(add(ep, EPOLL_CTL_ADD, fd, EPOLLIN) == 0, "peek: epoll_ctl ADD");
	at_once(ep, fd, "peek");
	at_once(ep, fd, "peek, level-triggered, again");
	sigemptyset(&none);
	t0 = now_ms();
	r = epoll_pwait(ep, evs, 8, 2000, &none);
	check(r == 1 && evs[0].data.fd == fd && now_ms() - t0 < 500, "peek: epoll_pwait too (%d)", r);
	t0 = now_ms();
	r = epoll_pwait2(ep, evs, 8, &two, &none);
	check(r == 1 && evs[0].data.fd == fd && now_ms() - t0 < 500, "peek: epoll_pwait2 too (%d, %s)", r,
	      r < 0 ? strerror(errno) : "-");
	p = (struct pollfd){ .fd = ep, .events = POLLIN };
	r = poll(&p, 1, 2000);
	check(r == 1 && (p.revents & POLLIN), "peek: poll of the epoll fd says POLLIN (%d, 0x%x)", r, p.revents);

	/* More in the daemon too: the kernel's event and ours are one. */
	ask(fd, 500, 500);
	r = epoll_wait(ep, evs, 8, 2000);
	check(r == 1 && evs[0].data.fd == fd && (evs[0].events & EPOLLIN),
	      "peek: held bytes and the daemon's: one event (%d)", r);
	drain(fd, 1500, &off);
	nothing(ep, "peek, all read");

	ask(fd, 100, 100);
	peek_all(fd, 100);
	check(add(ep, EPOLL_CTL_DEL, fd, 0) == 0, "peek: epoll_ctl DEL");
	nothing(ep, "peek, after DEL");
	close(fd);
	close(ep);
}

static void t_readahead(void)
{
	const size_t total = 256u << 10;
	static char buf[32 << 10];
	size_t off = 0;
	ssize_t n;
	int fd = dial(), ep = epoll_create1(0), outer;
	struct epoll_event ev = { .events = EPOLLIN };

	ask(fd, total, (long)total);
	n = recv(fd, buf, sizeof(buf), 0);
	off += (size_t)(n > 0 ? n : 0);
	check(n == (ssize_t)sizeof(buf) && rcvq(fd) == 0,
	      "readahead: a recv of 32 KiB read all 256 KiB ahead (%zd, rcvq %ld)", n, rcvq(fd));
	check(add(ep, EPOLL_CTL_ADD, fd, EPOLLIN) == 0, "readahead: then epoll_ctl ADD");
	at_once(ep, fd, "readahead, before ADD");
	drain(fd, total - sizeof(buf), &off);
	nothing(ep, "readahead, all read");

	/* In the set: read-ahead goes on, and the wait sees it. */
	ask(fd, total, (long)total);
	at_once(ep, fd, "readahead, the daemon's bytes");
	n = recv(fd, buf, sizeof(buf), 0);
	off += (size_t)(n > 0 ? n : 0);
	check(n == (ssize_t)sizeof(buf) && rcvq(fd) == 0,
	      "readahead: in the set, a recv of 32 KiB reads ahead too (%zd, rcvq %ld)", n, rcvq(fd));
	at_once(ep, fd, "readahead, in the set");
	drain(fd, total - sizeof(buf), &off);
	nothing(ep, "readahead, all read again");

	/* An epoll fd inside another set: the outer set's waits would not
	 * see the inner one's bytes, so read-ahead stops. */
	outer = epoll_create1(0);
	ev.data.fd = ep;
	check(epoll_ctl(outer, EPOLL_CTL_ADD, ep, &ev) == 0, "readahead: the set added to another");
	ask(fd, total, (long)total);
	n = recv(fd, buf, sizeof(buf), 0);
	off += (size_t)(n > 0 ? n : 0);
	check(n == (ssize_t)sizeof(buf) && rcvq(fd) == (long)(total - sizeof(buf)),
	      "readahead: nested, the recv reads no more than asked (%zd, rcvq %ld)", n, rcvq(fd));
	drain(fd, total - sizeof(buf), &off);
	close(outer);
	close(fd);
	close(ep);
}

static void t_oneshot(void)
{
	size_t off = 0;
	int fd = dial(), ep = epoll_create1(0);

	ask(fd, 1000, 1000);
	peek_all(fd, 1000);
	check(add(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLONESHOT) == 0, "oneshot: epoll_ctl ADD");
	at_once(ep, fd, "oneshot");
	nothing(ep, "oneshot, reported once");
	check(add(ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLONESHOT) == 0, "oneshot: epoll_ctl MOD");
	at_once(ep, fd, "oneshot, after MOD");
	nothing(ep, "oneshot, after MOD, once");
	/* The kernel's copy was never reported: new bytes in the daemon
	 * would wake it; Linux says nothing until MOD. */
	ask(fd, 500, 500);
	nothing(ep, "oneshot, new bytes in the daemon before MOD");
	check(add(ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLONESHOT) == 0, "oneshot: epoll_ctl MOD again");
	at_once(ep, fd, "oneshot, held bytes and the daemon's");
	nothing(ep, "oneshot, and then nothing");
	drain(fd, 1500, &off);

	/* The kernel reports it first; bytes then kept are not reported. */
	ask(fd, 300, 300);
	check(add(ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLONESHOT) == 0, "oneshot: MOD, the daemon's bytes");
	at_once(ep, fd, "oneshot, the kernel's report");
	peek_all(fd, 300);
	nothing(ep, "oneshot, bytes kept after the kernel's report");
	check(add(ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLONESHOT) == 0, "oneshot: MOD, the bytes kept");
	at_once(ep, fd, "oneshot, the bytes kept, after MOD");
	drain(fd, 300, &off);
	close(fd);
	close(ep);
}

static void t_et(void)
{
	static char buf[8192];
	size_t off = 0;
	ssize_t k;
	int fd = dial(), ep = epoll_create1(0);

	ask(fd, 1000, 1000);
	peek_all(fd, 1000);
	check(add(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET) == 0, "et: epoll_ctl ADD");
	at_once(ep, fd, "et");
	nothing(ep, "et, nothing new");
	ask(fd, 500, 500);
	at_once(ep, fd, "et, bytes in the daemon");
	nothing(ep, "et, nothing new again");
	k = recv(fd, buf, sizeof(buf), MSG_PEEK);
	check(k == 1500 && rcvq(fd) == 0, "et: MSG_PEEK keeps 1500 bytes (%zd, rcvq %ld)", k, rcvq(fd));
	at_once(ep, fd, "et, bytes come into the library");
	nothing(ep, "et, and once only");
	check(add(ep, EPOLL_CTL_MOD, fd, EPOLLIN | EPOLLET) == 0, "et: epoll_ctl MOD");
	at_once(ep, fd, "et, after MOD");
	nothing(ep, "et, after MOD, once");
	drain(fd, 1500, &off);
	close(fd);
	close(ep);
}

static void t_many(void)
{
	struct epoll_event evs[8];
	int a = dial(), b = dial(), ep = epoll_create1(0), ep2, b2, r, first;
	long ms;

	ask(a, 100, 100);
	peek_all(a, 100);
	ask(b, 200, 200);
	peek_all(b, 200);
	check(add(ep, EPOLL_CTL_ADD, a, EPOLLIN) == 0 && add(ep, EPOLL_CTL_ADD, b, EPOLLIN) == 0,
	      "many: two sockets added");
	r = evwait(ep, evs, 8, 2000, &ms);
	check(r == 2 && evs[0].data.fd != evs[1].data.fd && ms < 500,
	      "many: both, each once (%d events, %ld ms)", r, ms);
	r = epoll_wait(ep, evs, 1, 2000);
	first = r == 1 ? evs[0].data.fd : -1;
	check(r == 1, "many: maxevents 1 gives one (%d)", r);
	r = epoll_wait(ep, evs, 1, 2000);
	check(r == 1 && evs[0].data.fd != first && first >= 0, "many: and the next call the other (%d)", r);
	ep2 = dup(ep);
	close(ep);
	r = epoll_wait(ep2, evs, 8, 2000);
	check(r == 2, "many: a dup of the epoll fd is the same set (%d)", r);
	close(a);
	r = epoll_wait(ep2, evs, 8, 2000);
	check(r == 1 && evs[0].data.fd == b, "many: a socket closed leaves the set (%d)", r);
	b2 = dup(b);
	close(b);
	r = epoll_wait(ep2, evs, 8, 2000);
	check(r == 1 && evs[0].data.fd == b, "many: closed with a dup left, it stays, as on Linux (%d)", r);
	close(b2);
	nothing(ep2, "many: all closed");
	close(ep2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]), serve_one);
	if (argc != 4) {
		fprintf(stderr, "usage: 66_epoll serve PORT | peek|readahead|oneshot|et|many ADDR PORT\n");
		return 2;
	}
	g_addr = argv[2];
	g_port = atoi(argv[3]);
	if (!strcmp(argv[1], "peek"))
		t_peek();
	else if (!strcmp(argv[1], "readahead"))
		t_readahead();
	else if (!strcmp(argv[1], "oneshot"))
		t_oneshot();
	else if (!strcmp(argv[1], "et"))
		t_et();
	else if (!strcmp(argv[1], "many"))
		t_many();
	else
		return 2;
	return failures ? 1 : 0;
}
