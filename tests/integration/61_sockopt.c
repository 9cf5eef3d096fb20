/* 61_sockopt.c: the socket options measuring and test tools use, and the
 * non-blocking connect, as a C program sees them.  61-imp-run-sockopt.sh
 * compiles it and runs it under imp-run against kernel peers (the serve-*
 * modes, run on the kernel's stack), and, for the options, on the kernel's
 * own stack too: the expectations are Linux's, not imp's.
 *
 *   61_sockopt serve-accept PORT          accept and close, forever (backlog 4096)
 *   61_sockopt serve-sink PORT MS         per connection: wait MS, read to the end,
 *                                         print "sink BYTES END" (END: eof, ECONNRESET...)
 *   61_sockopt serve-chunks PORT          per connection: 100 bytes, 300 ms, 900 bytes,
 *                                         300 ms, close
 *   61_sockopt opts ADDR PORT             set, get and bounds of each option; prints
 *                                         "port P" (its local port) for the pcap check
 *   61_sockopt maxseg ADDR PORT MSS N     TCP_MAXSEG before connect, then N bytes
 *   61_sockopt lowat ADDR PORT            SO_RCVLOWAT 1000 against serve-chunks
 *   61_sockopt rcvtimeo ADDR PORT         SO_RCVTIMEO 250 ms on a silent peer
 *   61_sockopt linger ADDR PORT SEC N     SO_LINGER {1, SEC} (none if SEC is -1), N bytes,
 *                                         close: prints "close ERR SECONDS"
 *   61_sockopt usertimeout-syn ADDR PORT MS   a connect to a port that drops SYNs
 *   61_sockopt usertimeout-data ADDR PORT MS  data to a peer gone silent (the script
 *                                         blackholes it when "blackhole now" is printed)
 *   61_sockopt keepalive ADDR PORT        KEEPIDLE 1, KEEPINTVL 1, KEEPCNT 2 on an idle
 *                                         connection the script then blackholes
 *   61_sockopt nbconnect poll|epoll|select ADDR PORT COUNT [CLOSEDPORT]
 *                                         COUNT non-blocking connects, each ready
 *                                         within 1 s; then one refused one
 *
 * Each check prints "ok: ..." or "FAIL: ..."; the exit status is 1 if any
 * failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failed;

static void say(bool good, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(bool good, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", good ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!good)
		failed = 1;
}

static const char *ename(int e)
{
	static char buf[32];

	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EDOM: return "EDOM";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EAGAIN: return "EAGAIN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EINPROGRESS: return "EINPROGRESS";
	case EPIPE: return "EPIPE";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void msleep(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&t, NULL);
}

static struct sockaddr_in addr_of(const char *ip, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", ip);
		exit(2);
	}
	return sa;
}

static int tcp(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	return fd;
}

static int connect_to(int fd, const struct sockaddr_in *sa)
{
	return connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? errno : 0;
}

/* setint/getint: 0 or the errno. */
static int setint(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v)) ? errno : 0;
}

static int getint(int fd, int level, int name, int *v)
{
	socklen_t l = sizeof(*v);

	*v = -12345;
	return getsockopt(fd, level, name, v, &l) ? errno : 0;
}

/* want_set: setting NAME to V gives errno WANT. */
static void want_set(int fd, int level, int name, const char *what, int v, int want)
{
	int e = setint(fd, level, name, v);

	say(e == want, "setsockopt(%s, %d): %s (want %s)", what, v, ename(e), ename(want));
}

/* want_get: NAME reads WANT. */
static void want_get(int fd, int level, int name, const char *what, int want)
{
	int v, e = getint(fd, level, name, &v);

	say(!e && v == want, "getsockopt(%s) = %d%s%s (want %d)", what, v, e ? ", " : "",
	    e ? ename(e) : "", want);
}

/* ---- the kernel's peers ------------------------------------------------------- */

static int listen_on(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int fd = tcp(), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		perror("bind/listen");
		exit(2);
	}
	printf("ready\n");
	fflush(stdout);
	return fd;
}

static void serve(const char *mode, const char *port, int ms)
{
	int l = listen_on(port);

	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		if (!strcmp(mode, "serve-accept")) {
			close(c);
			continue;
		}
		if (fork() == 0) {
			close(l);
			if (!strcmp(mode, "serve-chunks")) {
				char b[900];
				memset(b, 'c', sizeof(b));
				if (write(c, b, 100) != 100)
					_exit(1);
				msleep(300);
				if (write(c, b, 900) != 900)
					_exit(1);
				msleep(300);
			} else {	/* serve-sink */
				char b[65536];
				long long total = 0;
				ssize_t n;
				msleep(ms);
				while ((n = read(c, b, sizeof(b))) > 0)
					total += n;
				printf("sink %lld %s\n", total, n == 0 ? "eof" : ename(errno));
				fflush(stdout);
			}
			close(c);
			_exit(0);
		}
		close(c);
	}
}

/* ---- options ---------------------------------------------------------------------- */

static void opts(const struct sockaddr_in *sa)
{
	int fd = tcp(), v, r;
	struct tcp_info ti, ti8;
	unsigned char big[512];
	socklen_t l;
	char ca[64];
	struct linger lg;
	struct timeval tv;
	struct sockaddr_in me;

	/* TCP_MAXSEG: 536 before a connection, Linux's bounds, and read
	 * back as set until the connection has its own */
	want_get(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG, new socket", 536);
	want_set(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", 87, EINVAL);
	want_set(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", 32768, EINVAL);
	want_set(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG", 1100, 0);
	want_get(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG before connect", 1100);

	/* TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT */
	want_set(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 0, EINVAL);
	want_set(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 32768, EINVAL);
	want_set(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 5, 0);
	want_get(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", 5);
	want_set(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 0, EINVAL);
	want_set(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 32768, EINVAL);
	want_set(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 3, 0);
	want_get(fd, IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", 3);
	want_set(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 0, EINVAL);
	want_set(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 128, EINVAL);
	want_set(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 4, 0);
	want_get(fd, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", 4);
	want_set(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1, 0);
	want_get(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1);
	want_get(fd, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE after SO_KEEPALIVE", 5);
	want_set(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 0, 0);
	want_get(fd, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 0);

	/* TCP_USER_TIMEOUT */
	want_get(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT, new socket", 0);
	want_set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", -1, EINVAL);
	want_set(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", 5000, 0);
	want_get(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT", 5000);

	/* SO_RCVLOWAT: 1 at first, 0 is 1 */
	want_get(fd, SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT, new socket", 1);
	want_set(fd, SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT", 0, 0);
	want_get(fd, SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT after 0", 1);
	want_set(fd, SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT", 100, 0);
	want_get(fd, SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT", 100);
	want_set(fd, SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT", 1, 0);

	/* SO_LINGER: l_onoff reads back 0 or 1 */
	l = sizeof(lg);
	memset(&lg, 0x55, sizeof(lg));
	r = getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &l) ? errno : 0;
	say(!r && l == sizeof(lg) && !lg.l_onoff && !lg.l_linger,
	    "SO_LINGER of a new socket: {%d, %d}", lg.l_onoff, lg.l_linger);
	lg.l_onoff = 5;
	lg.l_linger = 3;
	say(!setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), "setsockopt(SO_LINGER, {5, 3})");
	r = setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg) - 1) ? errno : 0;
	say(r && r == EINVAL,
	    "setsockopt(SO_LINGER) short: EINVAL");
	l = sizeof(lg);
	r = getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &l) ? errno : 0;
	say(!r && lg.l_onoff == 1 && lg.l_linger == 3,
	    "SO_LINGER reads {1, 3}: {%d, %d}", lg.l_onoff, lg.l_linger);
	lg.l_onoff = 0;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));

	/* SO_RCVTIMEO, SO_SNDTIMEO */
	tv.tv_sec = 0;
	tv.tv_usec = 250000;
	say(!setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), "setsockopt(SO_RCVTIMEO, 250 ms)");
	tv.tv_usec = 1000000;
	r = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ? errno : 0;
	say(r && r == EDOM,
	    "setsockopt(SO_SNDTIMEO, 1000000 us): EDOM");
	memset(&tv, 0, sizeof(tv));
	l = sizeof(tv);
	r = getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &l) ? errno : 0;
	say(!r && l == sizeof(tv) && tv.tv_sec == 0 && tv.tv_usec >= 250000 && tv.tv_usec < 260000,
	    "SO_RCVTIMEO reads 250000 us: %ld (Linux: in jiffies)", (long)tv.tv_usec);
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	/* TCP_CONGESTION: reno is there; a name that is not is ENOENT; an
	 * empty one EINVAL; reading copies min(len, 16) */
	l = sizeof(ca);
	r = getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, ca, &l) ? errno : 0;
	/* The default: the kernel's is its own setting (net.ipv4.tcp_congestion_control);
	 * imp's is cubic, which the script says in SOCKOPT_DEFAULT_CC. */
	say(!r && ca[0] && (!getenv("SOCKOPT_DEFAULT_CC") || !strcmp(ca, getenv("SOCKOPT_DEFAULT_CC"))),
	    "getsockopt(TCP_CONGESTION) = \"%.16s\" by default (want \"%s\")", ca,
	    getenv("SOCKOPT_DEFAULT_CC") ? getenv("SOCKOPT_DEFAULT_CC") : "any");
	say(!setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), "setsockopt(TCP_CONGESTION, \"reno\")");
	r = setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "no-such-cc", 10) ? errno : 0;
	say(r && r == ENOENT,
	    "setsockopt(TCP_CONGESTION, \"no-such-cc\"): ENOENT (%s)", ename(r));
	r = setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "", 0) ? errno : 0;
	say(r && r == EINVAL,
	    "setsockopt(TCP_CONGESTION, \"\", 0): EINVAL");
	memset(ca, 'x', sizeof(ca));
	l = sizeof(ca);
	r = getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, ca, &l) ? errno : 0;
	say(!r && l == 16 && !strcmp(ca, "reno"),
	    "getsockopt(TCP_CONGESTION, 64) = \"%.16s\", %u bytes (want \"reno\", 16)", ca, (unsigned)l);
	memset(ca, 'x', sizeof(ca));
	l = 2;
	r = getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, ca, &l) ? errno : 0;
	say(!r && l == 2 && !memcmp(ca, "rex", 3),
	    "getsockopt(TCP_CONGESTION, 2) = \"%.2s\", %u bytes", ca, (unsigned)l);

	/* an option nobody has */
	v = 1;
	r = setsockopt(fd, IPPROTO_TCP, 9999, &v, sizeof(v)) ? errno : 0;
	say(r && r == ENOPROTOOPT,
	    "setsockopt(IPPROTO_TCP, 9999): ENOPROTOOPT");
	l = sizeof(v);
	r = getsockopt(fd, IPPROTO_TCP, 9999, &v, &l) ? errno : 0;
	say(r && r == ENOPROTOOPT,
	    "getsockopt(IPPROTO_TCP, 9999): ENOPROTOOPT");

	/* TCP_INFO before a connection: TCP_CLOSE */
	l = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	r = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) ? errno : 0;
	say(!r && l == sizeof(ti) && ti.tcpi_state == TCP_CLOSE,
	    "TCP_INFO of a new socket: state %u (want TCP_CLOSE %d), %u bytes", ti.tcpi_state, TCP_CLOSE,
	    (unsigned)l);

	/* connected: the connection's MSS (1100 less the timestamps) */
	v = connect_to(fd, sa);
	say(v == 0, "connect: %s", ename(v));
	l = sizeof(me);
	getsockname(fd, (struct sockaddr *)&me, &l);
	printf("port %u\n", ntohs(me.sin_port));
	want_get(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG once connected", 1100 - 12);
	say(write(fd, "hello", 5) == 5, "write 5 bytes");
	msleep(100);

	l = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	v = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) ? errno : 0;
	say(!v && l == sizeof(ti), "getsockopt(TCP_INFO, %zu): %s, %u bytes", sizeof(ti), ename(v), (unsigned)l);
	say(ti.tcpi_state == TCP_ESTABLISHED, "tcpi_state %u (TCP_ESTABLISHED)", ti.tcpi_state);
	say(ti.tcpi_ca_state == 0, "tcpi_ca_state %u (TCP_CA_Open)", ti.tcpi_ca_state);
	say(ti.tcpi_options & TCPI_OPT_TIMESTAMPS, "tcpi_options %#x has TCPI_OPT_TIMESTAMPS", ti.tcpi_options);
	say(ti.tcpi_snd_mss == 1088, "tcpi_snd_mss %u (1088)", ti.tcpi_snd_mss);
	say(ti.tcpi_advmss == 1088, "tcpi_advmss %u (1088: TCP_MAXSEG less the timestamps)", ti.tcpi_advmss);
	say(ti.tcpi_rto >= 200000 && ti.tcpi_rto <= 1000000, "tcpi_rto %u us (200 ms to 1 s)", ti.tcpi_rto);
	say(ti.tcpi_rtt > 0 && ti.tcpi_rtt < 100000, "tcpi_rtt %u us (measured, under 100 ms)", ti.tcpi_rtt);
	say(ti.tcpi_snd_cwnd >= 10 && ti.tcpi_snd_cwnd < 1000, "tcpi_snd_cwnd %u segments", ti.tcpi_snd_cwnd);
	say(ti.tcpi_snd_ssthresh >= 10, "tcpi_snd_ssthresh %u segments", ti.tcpi_snd_ssthresh);
	say(ti.tcpi_unacked == 0 && ti.tcpi_total_retrans == 0 && ti.tcpi_retransmits == 0,
	    "tcpi_unacked %u, tcpi_total_retrans %u, tcpi_retransmits %u: all acknowledged",
	    ti.tcpi_unacked, ti.tcpi_total_retrans, ti.tcpi_retransmits);
	say(ti.tcpi_reordering == 3, "tcpi_reordering %u (3)", ti.tcpi_reordering);
	say(ti.tcpi_pmtu >= 1500, "tcpi_pmtu %u", ti.tcpi_pmtu);
	/* a short buffer: those bytes of it, as Linux copies min(len, size) */
	l = 8;
	memset(&ti8, 0xee, sizeof(ti8));
	v = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti8, &l) ? errno : 0;
	say(!v && l == 8 && !memcmp(&ti8, &ti, 8) && ((unsigned char *)&ti8)[8] == 0xee,
	    "getsockopt(TCP_INFO, 8): %s, %u bytes, the first 8 only", ename(v), (unsigned)l);
	l = 0;
	v = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti8, &l) ? errno : 0;
	say(!v && l == 0, "getsockopt(TCP_INFO, 0): %s, %u bytes", ename(v), (unsigned)l);
	/* a large one: what the stack has, beyond glibc's 104 bytes, with
	 * tcpi_bytes_acked (offset 120) counting the 5 bytes and the SYN */
	l = sizeof(big);
	memset(big, 0, sizeof(big));
	v = getsockopt(fd, IPPROTO_TCP, TCP_INFO, big, &l) ? errno : 0;
	say(!v && l >= 136 && l < sizeof(big), "getsockopt(TCP_INFO, %zu): %s, %u bytes (at least 136)",
	    sizeof(big), ename(v), (unsigned)l);
	if (l >= 136) {
		uint64_t acked, rcvd;
		memcpy(&acked, big + 120, 8);
		memcpy(&rcvd, big + 128, 8);
		say(acked == 6, "tcpi_bytes_acked %llu (the SYN and 5 bytes)", (unsigned long long)acked);
		say(rcvd == 0, "tcpi_bytes_received %llu", (unsigned long long)rcvd);
	}
	/* Linux 4.9's tail: segment counts and min_rtt (offsets 136 to 167) */
	say(l >= 168, "getsockopt(TCP_INFO): %u bytes, as far as tcpi_delivery_rate (168)", (unsigned)l);
	if (l >= 168) {
		uint32_t segs_out, segs_in, min_rtt, data_out;
		memcpy(&segs_out, big + 136, 4);
		memcpy(&segs_in, big + 140, 4);
		memcpy(&min_rtt, big + 148, 4);
		memcpy(&data_out, big + 156, 4);
		say(segs_out >= 3 && data_out >= 1 && data_out < segs_out,
		    "tcpi_segs_out %u (SYN, ACK, data), tcpi_data_segs_out %u", segs_out, data_out);
		say(segs_in >= 2, "tcpi_segs_in %u (SYN-ACK, ACK)", segs_in);
		say(min_rtt > 0 && min_rtt < 1000000, "tcpi_min_rtt %u us", min_rtt);
	}
	/* TCP_MAXSEG still reads the connection's after a new set */
	want_set(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG while connected", 600, 0);
	want_get(fd, IPPROTO_TCP, TCP_MAXSEG, "TCP_MAXSEG while connected", 1088);
	close(fd);

	/* UDP has no TCP options */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	v = 1100;
	r = setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)) ? errno : 0;
	say(r && r == ENOPROTOOPT,
	    "UDP: setsockopt(TCP_MAXSEG): ENOPROTOOPT");
	close(fd);
}

/* ---- effects ------------------------------------------------------------------------ */

static void maxseg(const struct sockaddr_in *sa, int mss, int n)
{
	int fd = tcp(), e;
	char *b = calloc(1, (size_t)n);

	e = setint(fd, IPPROTO_TCP, TCP_MAXSEG, mss);
	say(!e, "setsockopt(TCP_MAXSEG, %d): %s", mss, ename(e));
	e = connect_to(fd, sa);
	say(!e, "connect: %s", ename(e));
	say(write(fd, b, (size_t)n) == n, "write %d bytes", n);
	msleep(200);
	close(fd);
	free(b);
}

static void lowat(const struct sockaddr_in *sa)
{
	int fd = tcp(), e;
	char b[4096];
	struct pollfd p = { .events = POLLIN };
	double t0;
	ssize_t n;

	e = setint(fd, SOL_SOCKET, SO_RCVLOWAT, 1000);
	say(!e, "setsockopt(SO_RCVLOWAT, 1000): %s", ename(e));
	e = connect_to(fd, sa);
	say(!e, "connect: %s", ename(e));
	t0 = now();
	p.fd = fd;
	/* 100 bytes come at once, 900 more 300 ms later */
	e = poll(&p, 1, 150);
	say(e == 0, "poll(POLLIN) with 100 of 1000 bytes there: not readable (%d)", e);
	e = poll(&p, 1, 2000);
	say(e == 1 && (p.revents & POLLIN) && now() - t0 > 0.25,
	    "poll(POLLIN): readable once 1000 bytes are there (after %.3f s)", now() - t0);
	n = recv(fd, b, sizeof(b), 0);
	say(n == 1000, "recv: %zd bytes (1000)", n);
	close(fd);

	/* a blocking recv waits for the mark */
	fd = tcp();
	setint(fd, SOL_SOCKET, SO_RCVLOWAT, 1000);
	connect_to(fd, sa);
	t0 = now();
	n = recv(fd, b, sizeof(b), 0);
	say(n == 1000 && now() - t0 > 0.25, "blocking recv with SO_RCVLOWAT 1000: %zd bytes after %.3f s",
	    n, now() - t0);
	close(fd);

	/* a non-blocking one takes what is there */
	fd = tcp();
	setint(fd, SOL_SOCKET, SO_RCVLOWAT, 1000);
	connect_to(fd, sa);
	msleep(150);
	n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
	say(n == 100, "recv(MSG_DONTWAIT) with SO_RCVLOWAT 1000: %zd bytes (the 100 there)", n);
	close(fd);
}

static void rcvtimeo(const struct sockaddr_in *sa)
{
	int fd = tcp(), e, r;
	struct timeval tv = { 0, 250000 };
	socklen_t l;
	char b[16];
	double t0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&tv, 0, sizeof(tv));
	l = sizeof(tv);
	r = getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &l) ? errno : 0;
	say(!r && l == sizeof(tv) && tv.tv_sec == 0 &&
	    tv.tv_usec >= 250000 && tv.tv_usec < 260000, "SO_RCVTIMEO reads 250000 us: %ld (Linux: in jiffies)",
	    (long)tv.tv_usec);
	e = connect_to(fd, sa);
	say(!e, "connect: %s", ename(e));
	t0 = now();
	n = recv(fd, b, sizeof(b), 0);
	e = errno;
	say(n < 0 && e == EAGAIN && now() - t0 >= 0.2 && now() - t0 < 1.5,
	    "recv with SO_RCVTIMEO 250 ms from a silent peer: %s after %.3f s", n < 0 ? ename(e) : "data",
	    now() - t0);
	close(fd);
}

static void linger(const struct sockaddr_in *sa, int sec, int n)
{
	int fd = tcp(), e;
	struct linger lg = { 1, sec };
	char *b = malloc((size_t)n);
	double t0;

	memset(b, 'l', (size_t)n);
	e = connect_to(fd, sa);
	say(!e, "connect: %s", ename(e));
	if (sec >= 0)	/* -1: no SO_LINGER, to compare */
		say(!setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), "setsockopt(SO_LINGER, {1, %d})", sec);
	say(write(fd, b, (size_t)n) == n, "write %d bytes", n);
	t0 = now();
	e = close(fd) ? errno : 0;
	printf("close %s %.3f\n", ename(e), now() - t0);
	free(b);
}

static void usertimeout_syn(const struct sockaddr_in *sa, int ms)
{
	int fd = tcp(), e;
	double t0;

	e = setint(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, ms);
	say(!e, "setsockopt(TCP_USER_TIMEOUT, %d): %s", ms, ename(e));
	t0 = now();
	e = connect_to(fd, sa);
	say(e == ETIMEDOUT && now() - t0 > ms / 1000.0 - 0.1 && now() - t0 < ms / 1000.0 + 1.0,
	    "connect to a port that drops SYNs: %s after %.3f s (TCP_USER_TIMEOUT %d ms)", ename(e),
	    now() - t0, ms);
	close(fd);
}

/* wait_err: poll until the socket reports an error; its SO_ERROR or a
 * read's errno, and when. */
static int wait_err(int fd, double limit, double *when)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	double t0 = now();
	char c;

	while (now() - t0 < limit) {
		if (poll(&p, 1, 100) == 1) {
			int e = 0;
			socklen_t l = sizeof(e);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
			if (!e && read(fd, &c, 1) < 0)
				e = errno;
			*when = now() - t0;
			return e;
		}
	}
	*when = now() - t0;
	return 0;
}

static void usertimeout_data(const struct sockaddr_in *sa, int ms)
{
	int fd = tcp(), e;
	double t0, t;
	char line[16];

	e = connect_to(fd, sa);
	say(!e, "connect: %s", ename(e));
	e = setint(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, ms);
	say(!e, "setsockopt(TCP_USER_TIMEOUT, %d): %s", ms, ename(e));
	printf("blackhole now\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))	/* the script says when it is done */
		return;
	t0 = now();
	say(write(fd, "data nobody will acknowledge", 28) == 28, "write 28 bytes");
	e = wait_err(fd, ms / 1000.0 + 5, &t);
	say(e == ETIMEDOUT && t > ms / 1000.0 - 0.1 && t < ms / 1000.0 + 1.0,
	    "unacknowledged data: %s after %.3f s (TCP_USER_TIMEOUT %d ms)", ename(e), now() - t0, ms);
	close(fd);
}

static void keepalive(const struct sockaddr_in *sa)
{
	int fd = tcp(), e;
	double t, t0 = now();
	char line[16];

	e = connect_to(fd, sa);
	say(!e, "connect: %s", ename(e));
	say(!setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, 1) && !setint(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1) &&
	    !setint(fd, IPPROTO_TCP, TCP_KEEPCNT, 2) && !setint(fd, SOL_SOCKET, SO_KEEPALIVE, 1),
	    "TCP_KEEPIDLE 1, TCP_KEEPINTVL 1, TCP_KEEPCNT 2, SO_KEEPALIVE 1");
	printf("blackhole now\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return;
	/* idle 1 s, probes at 1 s and 2 s, given up at 3 s after the connect */
	e = wait_err(fd, 8, &t);
	t = now() - t0;
	say(e == ETIMEDOUT && t > 2.7 && t < 4.5,
	    "an idle connection gone silent: %s %.3f s after the connect (want 3 s)", ename(e), t);
	close(fd);
}

/* ---- the non-blocking connect ---------------------------------------------------------- */

/* ready: wait <= 1 s for fd to be writable with the given call; the
 * events seen, or -1 on timeout. */
static int ready(const char *how, int fd)
{
	if (!strcmp(how, "poll")) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		return poll(&p, 1, 1000) == 1 ? p.revents : -1;
	}
	if (!strcmp(how, "epoll")) {
		int ep = epoll_create1(EPOLL_CLOEXEC), r;
		struct epoll_event ev = { .events = EPOLLOUT };
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		r = epoll_wait(ep, &ev, 1, 1000) == 1 ? (int)ev.events : -1;
		close(ep);
		return r;
	}
	fd_set w;
	struct timeval tv = { 1, 0 };
	FD_ZERO(&w);
	FD_SET(fd, &w);
	return select(fd + 1, NULL, &w, NULL, &tv) == 1 && FD_ISSET(fd, &w) ? POLLOUT : -1;
}

static void nbconnect(const char *how, const struct sockaddr_in *sa, int count, const char *closed)
{
	int ok = 0, slow = 0;
	double worst = 0;

	for (int i = 0; i < count; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), r, e = -1;
		socklen_t l = sizeof(e);
		double t0 = now(), dt;

		r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? errno : 0;
		if (r && r != EINPROGRESS) {
			say(false, "%s: connect %d: %s", how, i, ename(r));
			close(fd);
			continue;
		}
		r = r ? ready(how, fd) : POLLOUT;
		dt = now() - t0;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
		/* a SYN lost and sent again takes the 1 s timeout: not in time */
		if (r >= 0 && (r & POLLOUT) && e == 0 && dt < 1.0)
			ok++;
		else if (slow++ < 5)
			printf("      %s: connect %d: events %d SO_ERROR %s after %.3f s\n", how, i, r, ename(e), dt);
		if (dt > worst)
			worst = dt;
		close(fd);
	}
	say(ok == count, "%s: %d of %d non-blocking connects writable within 1 s with SO_ERROR 0 (slowest %.3f s)",
	    how, ok, count, worst);
	if (closed) {
		struct sockaddr_in c = *sa;
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), r, e = -1;
		socklen_t l = sizeof(e);
		double t0 = now();

		c.sin_port = htons((uint16_t)atoi(closed));
		r = connect(fd, (struct sockaddr *)&c, sizeof(c)) ? errno : 0;
		r = r == EINPROGRESS ? ready(how, fd) : -1;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
		say(r >= 0 && (r & POLLOUT) && e == ECONNREFUSED,
		    "%s: a refused connect: writable (events %#x) after %.3f s, SO_ERROR %s", how,
		    r < 0 ? 0 : r, now() - t0, ename(e));
		close(fd);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 3 && !strncmp(argv[1], "serve-", 6)) {
		serve(argv[1], argv[2], argc > 3 ? atoi(argv[3]) : 0);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "nbconnect")) {
		sa = addr_of(argv[3], argv[4]);
		nbconnect(argv[2], &sa, argc > 5 ? atoi(argv[5]) : 200, argc > 6 ? argv[6] : NULL);
		return failed;
	}
	if (argc < 4) {
		fprintf(stderr, "usage: see the top of 61_sockopt.c\n");
		return 2;
	}
	sa = addr_of(argv[2], argv[3]);
	if (!strcmp(argv[1], "opts"))
		opts(&sa);
	else if (!strcmp(argv[1], "maxseg") && argc > 5)
		maxseg(&sa, atoi(argv[4]), atoi(argv[5]));
	else if (!strcmp(argv[1], "lowat"))
		lowat(&sa);
	else if (!strcmp(argv[1], "rcvtimeo"))
		rcvtimeo(&sa);
	else if (!strcmp(argv[1], "linger") && argc > 5)
		linger(&sa, atoi(argv[4]), atoi(argv[5]));
	else if (!strcmp(argv[1], "usertimeout-syn") && argc > 4)
		usertimeout_syn(&sa, atoi(argv[4]));
	else if (!strcmp(argv[1], "usertimeout-data") && argc > 4)
		usertimeout_data(&sa, atoi(argv[4]));
	else if (!strcmp(argv[1], "keepalive"))
		keepalive(&sa);
	else {
		fprintf(stderr, "unknown mode %s\n", argv[1]);
		return 2;
	}
	return failed;
}
