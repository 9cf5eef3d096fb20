/* prog_common.h: what the C test programs run under imp-run share
 * (63_readahead.c, 66_epoll.c): checks printed as "ok: ..." or
 * "FAIL: ..." lines for prog_checks in tests/lib.sh, the kernel-side
 * server loop, and the daemon's view of a socket's receive queue. */
#ifndef PROG_COMMON_H
#define PROG_COMMON_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int failures;

static inline void check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf(cond ? "ok: " : "FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		failures++;
}

/* serve: the kernel's side, a listener on port whose connections are each
 * served by serve_one(fd) in a child of their own; returns only on error. */
static inline int serve(int port, void (*serve_one)(int))
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	signal(SIGCHLD, SIG_IGN);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 16)) {
		perror("serve");
		return 1;
	}
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			close(l);
			serve_one(c);
		}
		close(c);
	}
}

/* rcvq: what the daemon holds for the socket (N/status, "rcvq N"); -1 if
 * fd is not an imp socket. */
static inline long rcvq(int fd)
{
	char link[64], path[4096], st[1024];
	ssize_t n;
	FILE *f;
	char *p;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 8);
	if (n < 5 || (path[n] = 0, strcmp(path + n - 5, "/data") != 0))
		return -1;
	strcpy(path + n - 4, "status");
	if (!(f = fopen(path, "r")))
		return -1;
	n = (ssize_t)fread(st, 1, sizeof(st) - 1, f);
	fclose(f);
	st[n > 0 ? n : 0] = 0;
	p = strstr(st, " rcvq ");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

#endif
