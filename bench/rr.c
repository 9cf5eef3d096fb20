/*
 * bench/rr.c: 1-byte request/response, for bench/rr.sh.
 *
 *   rr echo PORT              kernel echo server on 0.0.0.0:PORT, TCP_NODELAY,
 *                             one connection at a time, until killed
 *   rr file PATH COUNT        open PATH (an imp data file) O_RDWR, then COUNT
 *                             times: write 1 byte, read it back
 *   rr tcp ADDR PORT COUNT    the same on a kernel TCP socket (TCP_NODELAY)
 *
 * Clients read with a 4 KiB buffer (a FUSE direct_io read maps the whole
 * buffer: ../shared/PERFORMANCE.md, lesson 3) and print "COUNT SECONDS
 * RATE", RATE in round trips per second, timed around the loop only.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
		die("rr: TCP_NODELAY");
}

static void __attribute__((noreturn)) echo(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char buf[4096];
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 16) < 0)
		die("rr: listen");
	for (;;) {
		int c = accept(l, NULL, NULL);
		ssize_t n;

		if (c < 0)
			die("rr: accept");
		nodelay(c);
		while ((n = read(c, buf, sizeof buf)) > 0)
			if (write(c, buf, n) != n)
				break;
		close(c);
	}
}

static int loop(int fd, long count)
{
	struct timespec t0, t1;
	char buf[4096];
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++) {
		if (write(fd, "x", 1) != 1)
			die("rr: write");
		ssize_t n = read(fd, buf, sizeof buf);
		if (n != 1) {
			if (n < 0)
				die("rr: read");
			fprintf(stderr, "rr: read returned %zd after %ld round trips\n", n, i);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%ld %.6f %.0f\n", count, s, count / s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "echo"))
		echo(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "file")) {
		int fd = open(argv[2], O_RDWR);
		if (fd < 0)
			die(argv[2]);
		return loop(fd, atol(argv[3]));
	}
	if (argc == 5 && !strcmp(argv[1], "tcp")) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || inet_pton(AF_INET, argv[2], &a.sin_addr) != 1 ||
		    connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
			die("rr: connect");
		nodelay(fd);
		return loop(fd, atol(argv[4]));
	}
	fprintf(stderr, "usage: rr echo PORT | rr file PATH COUNT | rr tcp ADDR PORT COUNT\n");
	return 2;
}
