/*
 * 31_churn.c: many connections opened and closed, for 31-churn.sh.
 *
 *   31_churn serve PORT              kernel listener on 0.0.0.0:PORT: echoes
 *                                    what each connection sends and closes
 *                                    it at end of file; prints "listening"
 *   31_churn imp ROOT ADDR PORT N PAR
 *                                    N connections through ROOT's files, PAR
 *                                    processes each with its share: open
 *                                    tcp/new/ctl, read the number, "connect
 *                                    ADDR PORT", open data, write 64 bytes,
 *                                    read them back; once every process holds
 *                                    its share open, the parent reads
 *                                    ROOT/tcp/stats and prints "peak
 *                                    CurrEstab"; then each connection gets
 *                                    "close" and its files are closed.
 *                                    Prints "ok N" (exit 0) or what failed.
 *   31_churn passive ROOT STACK-ADDR PORT N
 *                                    the other way: imp announces PORT, a
 *                                    kernel process connects N times to
 *                                    STACK-ADDR, imp accepts each through
 *                                    listen and echoes 64 bytes; once all N
 *                                    are open ("peak"), imp closes them all
 *                                    and the kernel sees each end of file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSG 64

static void __attribute__((noreturn)) serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1, l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	char buf[4096];

	if (l < 0 || ep < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0) {
		perror("31_churn: listen");
		exit(1);
	}
	ev.data.fd = l;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == l) {
				int c;
				while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof buf);
			if (r > 0) {
				if (write(fd, buf, (size_t)r) != r)
					close(fd);	/* the test counts on whole echoes */
			} else if (r == 0 || errno != EAGAIN) {
				close(fd);
			}
		}
	}
}

/* The parent's files of a connection. */
struct c { int ctl, data; };

/* open_one: one connection through the files, echo checked; 0 or -1. */
static int open_one(const char *root, const char *cmd, struct c *c, unsigned int seed)
{
	char path[4096], num[32], msg[MSG], got[MSG];
	ssize_t n;
	size_t have = 0;

	snprintf(path, sizeof path, "%s/tcp/new/ctl", root);
	if ((c->ctl = open(path, O_RDWR)) < 0) {
		fprintf(stderr, "31_churn: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((n = read(c->ctl, num, sizeof num - 1)) <= 0) {
		fprintf(stderr, "31_churn: read ctl: %s\n", strerror(errno));
		return -1;
	}
	num[n] = 0;
	num[strcspn(num, "\n")] = 0;
	if (write(c->ctl, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		fprintf(stderr, "31_churn: socket %s: %s: %s\n", num, cmd, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/tcp/%s/data", root, num);
	if ((c->data = open(path, O_RDWR)) < 0) {
		fprintf(stderr, "31_churn: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < MSG; i++)
		msg[i] = (char)(seed * 31 + (unsigned int)i);
	if (write(c->data, msg, MSG) != MSG) {
		fprintf(stderr, "31_churn: write %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (have < MSG) {
		n = read(c->data, got + have, MSG - have);
		if (n <= 0) {
			fprintf(stderr, "31_churn: read %s: %s\n", path, n ? strerror(errno) : "end of file");
			return -1;
		}
		have += (size_t)n;
	}
	if (memcmp(msg, got, MSG)) {
		fprintf(stderr, "31_churn: %s: the echo differs\n", path);
		return -1;
	}
	return 0;
}

static int close_one(struct c *c)
{
	int err = 0;

	if (write(c->ctl, "close", 5) != 5) {
		fprintf(stderr, "31_churn: close: %s\n", strerror(errno));
		err = -1;
	}
	close(c->data);
	close(c->ctl);
	return err;
}

/* child: open share connections, say so on up, wait for go to end, close. */
static int child(const char *root, const char *cmd, long share, int up, int go, int k)
{
	struct c *cs = calloc((size_t)share, sizeof(*cs));
	long i;
	char b;

	for (i = 0; i < share; i++)
		if (open_one(root, cmd, &cs[i], (unsigned int)(k * 100003 + i)))
			return 1;
	if (write(up, "u", 1) != 1 || read(go, &b, 1) < 0)
		return 1;
	for (i = 0; i < share; i++)
		if (close_one(&cs[i]))
			return 1;
	return 0;
}

static long curr_estab(const char *root)
{
	char path[4096], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "%s/tcp/stats", root);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "CurrEstab: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int imp(const char *root, const char *addr, const char *port, long n, int par)
{
	char cmd[128], b;
	int up[2], go[2], failed = 0, st, ready = 0;

	snprintf(cmd, sizeof cmd, "connect %s %s", addr, port);
	if (pipe(up) || pipe(go))
		return 1;
	for (int k = 0; k < par; k++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			close(up[0]);
			close(go[1]);
			_exit(child(root, cmd, n / par + (k < n % par), up[1], go[0], k));
		}
	}
	close(up[1]);
	close(go[0]);
	while (ready < par && read(up[0], &b, 1) == 1)
		ready++;
	if (ready == par)
		printf("peak %ld\n", curr_estab(root));
	close(go[1]);		/* go: every child reads end of file */
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	if (failed || ready < par) {
		printf("failed\n");
		return 1;
	}
	printf("ok %ld\n", n);
	return 0;
}

/* kclient: the kernel's end of passive: n connections to addr:port, each
 * sends 64 bytes and checks the echo; then each waits for imp's FIN. */
static int kclient(const char *addr, int port, long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int *fds = calloc((size_t)n, sizeof(*fds));
	char msg[MSG], got[MSG];

	inet_pton(AF_INET, addr, &a.sin_addr);
	for (long i = 0; i < n; i++) {
		size_t have = 0;
		ssize_t r;
		for (int j = 0; j < MSG; j++)
			msg[j] = (char)(i * 17 + j);
		if ((fds[i] = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    connect(fds[i], (struct sockaddr *)&a, sizeof a) < 0 || write(fds[i], msg, MSG) != MSG) {
			fprintf(stderr, "31_churn: kernel connection %ld: %s\n", i, strerror(errno));
			return 1;
		}
		while (have < MSG && (r = read(fds[i], got + have, MSG - have)) > 0)
			have += (size_t)r;
		if (have < MSG || memcmp(msg, got, MSG)) {
			fprintf(stderr, "31_churn: kernel connection %ld: no echo\n", i);
			return 1;
		}
	}
	for (long i = 0; i < n; i++) {
		if (read(fds[i], got, 1) != 0) {
			fprintf(stderr, "31_churn: kernel connection %ld: no end of file\n", i);
			return 1;
		}
		close(fds[i]);
	}
	return 0;
}

/* passive: imp listens on port; the kernel connects n times; imp accepts
 * each through listen, echoes 64 bytes, and once all n are open closes
 * them all, then the listener. */
static int passive(const char *root, const char *kaddr, int port, long n)
{
	char path[4096], num[32], lnum[32], cmd[64], buf[MSG];
	struct c *cs = calloc((size_t)n, sizeof(*cs));
	int lctl, st, failed = 0;
	ssize_t r;
	pid_t pid;

	snprintf(path, sizeof path, "%s/tcp/new/ctl", root);
	if ((lctl = open(path, O_RDWR)) < 0 || (r = read(lctl, lnum, sizeof lnum - 1)) <= 0) {
		fprintf(stderr, "31_churn: %s: %s\n", path, strerror(errno));
		return 1;
	}
	lnum[r] = 0;
	lnum[strcspn(lnum, "\n")] = 0;
	snprintf(cmd, sizeof cmd, "announce %d 1024", port);
	if (write(lctl, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		fprintf(stderr, "31_churn: %s: %s\n", cmd, strerror(errno));
		return 1;
	}
	if ((pid = fork()) == 0)
		_exit(kclient(kaddr, port, n));
	for (long i = 0; i < n && !failed; i++) {
		size_t have = 0;
		snprintf(path, sizeof path, "%s/tcp/%s/listen", root, lnum);
		if ((cs[i].ctl = open(path, O_RDWR)) < 0 || (r = read(cs[i].ctl, num, sizeof num - 1)) <= 0) {
			fprintf(stderr, "31_churn: accept %ld: %s\n", i, strerror(errno));
			failed = 1;
			break;
		}
		num[r] = 0;
		num[strcspn(num, "\n")] = 0;
		snprintf(path, sizeof path, "%s/tcp/%s/data", root, num);
		if ((cs[i].data = open(path, O_RDWR)) < 0) {
			fprintf(stderr, "31_churn: open %s: %s\n", path, strerror(errno));
			failed = 1;
			break;
		}
		while (have < MSG && (r = read(cs[i].data, buf + have, MSG - have)) > 0)
			have += (size_t)r;
		if (have < MSG || write(cs[i].data, buf, MSG) != MSG) {
			fprintf(stderr, "31_churn: %s: no 64 bytes to echo\n", path);
			failed = 1;
		}
	}
	if (!failed) {
		printf("peak %ld\n", curr_estab(root));
		for (long i = 0; i < n; i++)
			failed |= close_one(&cs[i]) != 0;
	}
	if (write(lctl, "close", 5) != 5)
		failed = 1;
	close(lctl);
	if (failed)
		kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		failed = 1;
	printf(failed ? "failed\n" : "ok %ld\n", n);
	return failed;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "serve"))
		serve(atoi(argv[2]));
	if (argc == 7 && !strcmp(argv[1], "imp"))
		return imp(argv[2], argv[3], argv[4], atol(argv[5]), atoi(argv[6]));
	if (argc == 6 && !strcmp(argv[1], "passive"))
		return passive(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
	fprintf(stderr, "usage: 31_churn serve PORT | imp ROOT ADDR PORT N PAR | "
		"passive ROOT STACK-ADDR PORT N\n");
	return 2;
}
