/*
 * bench/conns.c: many established TCP connections, for bench/conns.sh.
 *
 *   conns serve PORT                   kernel listener on 0.0.0.0:PORT that
 *                                      accepts and holds every connection
 *   conns imp ROOT ADDR PORT N PAR     N imp connections through the files:
 *                                      open ROOT/tcp/new/ctl, read the number,
 *                                      write "connect ADDR PORT", close (imp
 *                                      keeps a connected socket, SPEC §3);
 *                                      PAR processes, each its share
 *   conns kernel ADDR PORT N           N kernel connections, held until killed
 *
 * The clients print "ready SECONDS" (the time to open them all) on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void __attribute__((noreturn)) serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0) {
		perror("conns: listen");
		exit(1);
	}
	for (;;)
		if (accept(l, NULL, NULL) < 0 && errno != EINTR && errno != ECONNABORTED) {
			perror("conns: accept (raise ulimit -n?)");
			exit(1);
		}
}

/* one_imp: one connection through ROOT's files; 0 or -1 with a message. */
static int one_imp(const char *ctl, const char *cmd)
{
	char n[32];
	int fd = open(ctl, O_RDWR);

	if (fd < 0) {
		perror(ctl);
		return -1;
	}
	if (read(fd, n, sizeof n) <= 0 || write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		fprintf(stderr, "conns: %s: %s: %s\n", ctl, cmd, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int imp(const char *root, const char *addr, const char *port, long n, int par)
{
	char ctl[4096], cmd[128];
	double t0 = now();
	int failed = 0, st;

	snprintf(ctl, sizeof ctl, "%s/tcp/new/ctl", root);
	snprintf(cmd, sizeof cmd, "connect %s %s\n", addr, port);
	for (int p = 0; p < par; p++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("conns: fork");
			return 1;
		}
		if (pid == 0) {
			for (long i = p; i < n; i += par)
				if (one_imp(ctl, cmd) < 0)
					_exit(1);
			_exit(0);
		}
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	if (failed)
		return 1;
	printf("ready %.3f\n", now() - t0);
	return 0;
}

static int kernel(const char *addr, int port, long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	double t0 = now();

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		fprintf(stderr, "conns: %s: not an IPv4 address\n", addr);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
			fprintf(stderr, "conns: connection %ld: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("ready %.3f\n", now() - t0);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		serve(atoi(argv[2]));
	if (argc == 7 && !strcmp(argv[1], "imp"))
		return imp(argv[2], argv[3], argv[4], atol(argv[5]), atoi(argv[6]));
	if (argc == 5 && !strcmp(argv[1], "kernel"))
		return kernel(argv[2], atoi(argv[3]), atol(argv[4]));
	fprintf(stderr, "usage: conns serve PORT | conns imp ROOT ADDR PORT N PAR | "
			"conns kernel ADDR PORT N\n");
	return 2;
}
