/* impfs: parse options, open the TAP device, mount, serve.
 *
 * Everything that can fail for a reason the user can fix (options, the TAP
 * device, the mount point) is checked before the daemon detaches, and
 * reported as one line on stderr with a non-zero exit. */
#define FUSE_USE_VERSION 34
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/epoll.h>

#include "impfs.h"
#include "drivers/tap.h"
#include "fault.h"

struct options {
	bool foreground, debug, no_offload;
	bool no_ipv6;			/* --no-ipv6 */
	bool dhcp;			/* --addr dhcp */
	const char *addr6[IFA6_MAX];	/* --addr with an IPv6 ADDR/PREFIX, repeatable */
	int naddr6;
	const char *tap, *netns, *addr, *gateway, *mac, *fault;
	int cc;				/* TCP_CA_* of new sockets */
	int syncookies;			/* 0, 1, 2: as Linux's net.ipv4.tcp_syncookies */
	unsigned int mtu, max_sockets, syn_retries;
	uint64_t msl_ms;
	/* Limits (impfs(8) LIMITS) */
	unsigned int max_parked, frag_queues, frag_per_datagram;
	uint64_t max_parked_bytes, max_buffered, frag_mem, max_ring_bytes;
	struct fault_spec fault_spec;
	const char *mountpoint;
	const char *fuse_opts[16];
	int nfuse_opts;
	uint32_t dns[DNS_MAX_SERVERS];	/* --dns, in the order given */
	int ndns;
};

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("impfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void usage(FILE *f)
{
	fputs("usage: impfs [-f] [-d] [--tap NAME] [--netns NAME] [--addr ADDR/PREFIX|dhcp]...\n"
	      "             [--no-ipv6]\n"
	      "             [--gateway ADDR] [--mac MAC] [--mtu N] [--max-sockets N]\n"
	      "             [--msl MS] [--syn-retries N] [--fault SPEC] [--no-offload]\n"
	      "             [--cc cubic|newreno] [--syncookies 0|1|2] [--version]\n"
	      "             [--max-buffered BYTES] [--max-parked N] [--max-parked-bytes BYTES]\n"
	      "             [--frag-mem BYTES] [--frag-queues N] [--frag-per-datagram N]\n"
	      "             [--max-ring-bytes BYTES] [--dns ADDR]...\n"
	      "             [-o FUSE-OPTION] MOUNTPOINT\n", f);
}

static unsigned long parse_num(const char *opt, const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		die("%s: \"%s\" is not a number from %lu to %lu", opt, s, min, max);
	return v;
}

/* parse_size reads a byte count, with an optional K, M or G (powers of
 * 1024) after it. */
static uint64_t parse_size(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end && !end[1] && end != s) {
		switch (*end) {
		case 'k': case 'K': shift = 10; end++; break;
		case 'm': case 'M': shift = 20; end++; break;
		case 'g': case 'G': shift = 30; end++; break;
		}
	}
	if (errno || end == s || *end || *s == '-' || v > (max >> shift) || (v << shift) < min)
		die("%s: \"%s\" is not a size from %llu to %llu bytes (K, M, G allowed)", opt, s,
		    (unsigned long long)min, (unsigned long long)max);
	return (uint64_t)v << shift;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_TAP = 256, OPT_NETNS, OPT_ADDR, OPT_GW, OPT_MAC, OPT_MTU, OPT_MAXSOCK,
	       OPT_MSL, OPT_FAULT, OPT_SYNRETRIES, OPT_NOOFFLOAD, OPT_CC, OPT_SYNCOOKIES,
	       OPT_HELP, OPT_VERSION, OPT_MAXBUF, OPT_MAXPARKED, OPT_MAXPARKEDBYTES, OPT_FRAGMEM,
	       OPT_FRAGQUEUES, OPT_FRAGPER, OPT_MAXRING, OPT_DNS, OPT_NOIPV6 };
	static const struct option longopts[] = {
		{ "tap", required_argument, 0, OPT_TAP },
		{ "netns", required_argument, 0, OPT_NETNS },
		{ "addr", required_argument, 0, OPT_ADDR },
		{ "gateway", required_argument, 0, OPT_GW },
		{ "mac", required_argument, 0, OPT_MAC },
		{ "mtu", required_argument, 0, OPT_MTU },
		{ "max-sockets", required_argument, 0, OPT_MAXSOCK },
		{ "msl", required_argument, 0, OPT_MSL },
		{ "fault", required_argument, 0, OPT_FAULT },
		{ "syn-retries", required_argument, 0, OPT_SYNRETRIES },
		{ "no-offload", no_argument, 0, OPT_NOOFFLOAD },
		{ "cc", required_argument, 0, OPT_CC },
		{ "syncookies", required_argument, 0, OPT_SYNCOOKIES },
		{ "dns", required_argument, 0, OPT_DNS },
		{ "no-ipv6", no_argument, 0, OPT_NOIPV6 },
		{ "help", no_argument, 0, OPT_HELP },
		{ "version", no_argument, 0, OPT_VERSION },
		{ "max-buffered", required_argument, 0, OPT_MAXBUF },
		{ "max-parked", required_argument, 0, OPT_MAXPARKED },
		{ "max-parked-bytes", required_argument, 0, OPT_MAXPARKEDBYTES },
		{ "frag-mem", required_argument, 0, OPT_FRAGMEM },
		{ "frag-queues", required_argument, 0, OPT_FRAGQUEUES },
		{ "frag-per-datagram", required_argument, 0, OPT_FRAGPER },
		{ "max-ring-bytes", required_argument, 0, OPT_MAXRING },
		{ 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->tap = "imp0";
	o->mtu = ETH_DATA_LEN;
	o->max_sockets = 1024;
	o->msl_ms = 30000;
	o->syn_retries = 6;
	o->syncookies = 1;
	o->max_parked = IMPFS_DEFAULT_MAX_PARKED;
	o->max_parked_bytes = IMPFS_DEFAULT_MAX_PARKED_BYTES;
	o->max_ring_bytes = IMPFS_DEFAULT_MAX_RING_BYTES;
	o->max_buffered = NET_DEFAULT_BUFFERED;
	o->frag_mem = IPFRAG_MAX_MEM;
	o->frag_queues = IPFRAG_MAX_QUEUES;
	o->frag_per_datagram = IPFRAG_MAX_FRAGS;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fdho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o->foreground = true; break;
		case 'd': o->debug = true; o->foreground = true; break;
		case 'o':
			if (o->nfuse_opts == 16)
				die("-o: too many FUSE options");
			o->fuse_opts[o->nfuse_opts++] = optarg;
			break;
		case OPT_TAP: o->tap = optarg; break;
		case OPT_NETNS: o->netns = optarg; break;
		case OPT_ADDR:
			/* An IPv6 ADDR/PREFIX has a colon; IPv4's is one address. */
			if (!strcmp(optarg, "dhcp")) {
				o->dhcp = true;
				break;
			}
			if (!strchr(optarg, ':')) {
				o->addr = optarg;
				break;
			}
			if (o->naddr6 == IFA6_MAX - 1)
				die("--addr: at most %d IPv6 addresses", IFA6_MAX - 1);
			o->addr6[o->naddr6++] = optarg;
			break;
		case OPT_NOIPV6: o->no_ipv6 = true; break;
		case OPT_GW: o->gateway = optarg; break;
		case OPT_MAC: o->mac = optarg; break;
		case OPT_MTU: o->mtu = (unsigned int)parse_num("--mtu", optarg, IMP_MIN_MTU, IMP_MAX_MTU); break;
		case OPT_MAXSOCK: o->max_sockets = (unsigned int)parse_num("--max-sockets", optarg, 1, 1u << 20); break;
		case OPT_MSL: o->msl_ms = parse_num("--msl", optarg, 1, 3600000); break;
		case OPT_FAULT: o->fault = optarg; break;
		case OPT_SYNRETRIES: o->syn_retries = (unsigned int)parse_num("--syn-retries", optarg, 1, 20); break;
		case OPT_NOOFFLOAD: o->no_offload = true; break;
		case OPT_MAXBUF: o->max_buffered = parse_size("--max-buffered", optarg, 64u << 10, 1ull << 40); break;
		case OPT_MAXPARKED: o->max_parked = (unsigned int)parse_num("--max-parked", optarg, 1, 1u << 24); break;
		case OPT_MAXPARKEDBYTES:
			o->max_parked_bytes = parse_size("--max-parked-bytes", optarg, 1u << 20, 1ull << 40);
			break;
		case OPT_MAXRING:
			o->max_ring_bytes = parse_size("--max-ring-bytes", optarg, 4u << 20, 1ull << 40);
			break;
		case OPT_FRAGMEM: o->frag_mem = parse_size("--frag-mem", optarg, 0, 1ull << 32); break;
		case OPT_FRAGQUEUES: o->frag_queues = (unsigned int)parse_num("--frag-queues", optarg, 1, 1u << 16); break;
		case OPT_FRAGPER: o->frag_per_datagram = (unsigned int)parse_num("--frag-per-datagram", optarg, 1, 8192); break;
		case OPT_CC:
			if ((o->cc = tcp_ca_find(optarg)) < 0)
				die("--cc: no congestion control \"%s\" (cubic, newreno)", optarg);
			break;
		case OPT_SYNCOOKIES:
			o->syncookies = (int)parse_num("--syncookies", optarg, 0, 2);
			break;
		case OPT_DNS: {
			uint32_t a;
			if (o->ndns == DNS_MAX_SERVERS)
				die("--dns: at most %d name servers", DNS_MAX_SERVERS);
			if (inet_parse_addr(optarg, &a) || a == 0 || a == INADDR_BROADCAST)
				die("--dns: \"%s\" is not a name server's IPv4 address", optarg);
			o->dns[o->ndns++] = a;
			break;
		}
		case 'h': case OPT_HELP: usage(stdout); exit(0);
		case OPT_VERSION: printf("impfs %s\n", IMP_VERSION); exit(0);
		case ':': die("option %s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				die("unknown option -%c (see impfs --help)", optopt);
			die("unknown option %s (see impfs --help)", argv[optind - 1]);
		}
	}
	if (optind == argc)
		die("no mount point given (usage: impfs [options] MOUNTPOINT)");
	if (optind + 1 < argc)
		die("one mount point only; \"%s\" is extra", argv[optind + 1]);
	o->mountpoint = argv[optind];
	if (o->fault) {
		char why[160];
		if (fault_parse(o->fault, &o->fault_spec, why, sizeof(why)))
			die("--fault: %s", why);
	}
	if (o->netns && (!*o->netns || strchr(o->netns, '/') || !strcmp(o->netns, ".") ||
			 !strcmp(o->netns, "..")))
		die("--netns: \"%s\" is not a namespace name", o->netns);
}

/* check_mountpoint refuses what libfuse would refuse with a less clear
 * message, or would accept silently: a missing path, a file, a stale FUSE
 * mount, or a directory something is already mounted on. */
static void check_mountpoint(const char *mp)
{
	struct stat st, parent;
	char up[4096];

	if (stat(mp, &st) < 0) {
		if (errno == ENOTCONN)
			die("%s: a dead FUSE mount is there (run fusermount3 -u %s)", mp, mp);
		die("mount point %s: %s", mp, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		die("mount point %s is not a directory", mp);
	if ((size_t)snprintf(up, sizeof(up), "%s/..", mp) >= sizeof(up))
		die("mount point %s: path too long", mp);
	if (stat(up, &parent) == 0 && (parent.st_dev != st.st_dev || parent.st_ino == st.st_ino))
		die("mount point %s is busy: something is already mounted there", mp);
}

static void setup_stack(struct impfs *fs, const struct options *o)
{
	uint8_t mac[ETH_ALEN];
	uint64_t seed;
	char err[256];

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = now_us() ^ (uint64_t)getpid() << 32;
	net_init(&fs->net, now_us(), seed);
	fs->net.tcp_msl = o->msl_ms * 1000;
	fs->net.tcp_syn_retries = o->syn_retries;
	fs->net.tcp_ca_default = (uint8_t)o->cc;
	fs->net.syncookies.mode = (uint8_t)o->syncookies;
	fs->net.limits.buffered = o->max_buffered;
	fs->net.limits.frag_mem = o->frag_mem;
	fs->net.limits.frag_queues = o->frag_queues;
	fs->net.limits.frag_per_queue = o->frag_per_datagram;
	if (o->mac) {
		if (eth_parse_addr(o->mac, mac) || is_multicast_ether_addr(mac) || is_zero_ether_addr(mac))
			die("--mac: \"%s\" is not a unicast MAC address like 02:00:00:00:00:01", o->mac);
	} else {
		/* A random locally administered unicast address (IEEE 802 U/L bit). */
		uint32_t r = net_random(&fs->net), s = net_random(&fs->net);
		mac[0] = 0x02; mac[1] = 0x1a; mac[2] = (uint8_t)(r >> 24); mac[3] = (uint8_t)(r >> 16);
		mac[4] = (uint8_t)(r >> 8); mac[5] = (uint8_t)s;
	}
	uint32_t addr = 0, gw = 0;
	int plen = 0;
	if (o->addr && inet_parse_prefix(o->addr, &addr, &plen))
		die("--addr: \"%s\" is not ADDR/PREFIX like 10.0.0.2/24", o->addr);
	if (o->gateway && inet_parse_addr(o->gateway, &gw))
		die("--gateway: \"%s\" is not a dotted IPv4 address", o->gateway);
	if (o->dhcp && o->addr)
		die("--addr dhcp and --addr %s: one IPv4 address, from DHCP or given", o->addr);
	if (o->gateway && !o->addr)
		die("--gateway needs --addr ADDR/PREFIX: the gateway must be on the stack's own network%s",
		    o->dhcp ? " (with dhcp, the lease's router is the gateway)" : "");
	struct in6_addr a6[IFA6_MAX];
	int plen6[IFA6_MAX];
	for (int i = 0; i < o->naddr6; i++) {
		if (o->no_ipv6)
			die("--addr %s: IPv6 is off (--no-ipv6)", o->addr6[i]);
		if (ipv6_parse_prefix(o->addr6[i], &a6[i], &plen6[i]))
			die("--addr: \"%s\" is not ADDR/PREFIX like 2001:db8::2/64", o->addr6[i]);
	}
	fs->dev = tap_create(&fs->net, o->tap, o->netns, mac, o->mtu, !o->no_offload,
			     err, sizeof(err));
	if (!fs->dev)
		die("%s", err);
	if (o->addr) {
		int e = inet_add_ifaddr(fs->dev, addr, plen);
		if (e)
			die("--addr: %s is not a unicast address", o->addr);
	}
	/* IPv6: the link-local address (DAD starts now), then --addr's. */
	if (!o->no_ipv6 && addrconf_dev_up(fs->dev))
		die("cannot turn IPv6 on: out of memory");
	for (int i = 0; i < o->naddr6; i++)
		if (addrconf_add_static(fs->dev, &a6[i], plen6[i]))
			die("--addr: %s is not a unicast address, or is there twice", o->addr6[i]);
	if (o->gateway) {
		struct rtable rt;
		if (ip_route_output(&fs->net, gw, &rt) || rt.type != RTN_UNICAST || rt.nexthop != gw)
			die("--gateway: %s is not on the network of --addr %s", o->gateway, o->addr);
		fib_add(&fs->net, 0, 0, gw, fs->dev, RT_STATIC);
	}
	dns_set_servers(&fs->net, o->dns, o->ndns);	/* checked when parsed */
	fs->net.dns.fixed = o->ndns > 0;	/* a DHCP lease's servers do not replace them */
	if (o->dhcp) {
		int e = dhcp_start(&fs->net, fs->dev);
		if (e)
			die("--addr dhcp: cannot start the DHCP client: %s", strerror(-e));
	}
	if (o->fault && fault_attach(fs->dev, &o->fault_spec))
		die("--fault: out of memory");
	fs->max_sockets = o->max_sockets;
	fs->max_parked = o->max_parked;
	fs->max_parked_bytes = o->max_parked_bytes;
	fs->max_ring_bytes = o->max_ring_bytes;
	fs->msl_us = o->msl_ms * 1000;
}

/* notify_systemd tells the service manager how we are (sd_notify(3)'s
 * protocol, one datagram to $NOTIFY_SOCKET), so that a unit of Type=notify
 * is started only once the tree is mounted.  Without the variable (not
 * under systemd) it does nothing; a failure to send is not an error. */
static void notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || (len = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0;	/* an abstract socket */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
}

/* trim_heap gives the heap's free pages back to the system once many
 * sockets have gone since the last time: glibc keeps a freed heap
 * resident, and after a thousand connections came and went that is
 * megabytes the daemon no longer holds.  Under a steady load the count
 * moves less than the step and nothing is done. */
static void trim_heap(struct impfs *fs)
{
	uint64_t socks = fs->net.mem.socks;

	if (socks > fs->trim_mark)
		fs->trim_mark = socks;
	else if (socks + 256 <= fs->trim_mark || (socks == 0 && fs->trim_mark)) {
		malloc_trim(0);
		fs->trim_mark = socks;
	}
}

/* After each batch: answer the pcap and log readers the batch fed. */
static void after_batch(struct ev_loop *loop)
{
	ring_flush(loop->arg);
	trim_heap(loop->arg);
}

static void tap_event(struct ev_source *src, uint32_t events)
{
	struct impfs *fs = container_of(src, struct impfs, tap_src);

	if (tap_rx(fs->dev, 64) < 0) {
		fprintf(stderr, "impfs: TAP device %s went away\n", fs->dev->name);
		fs->loop.stop = true;
	}
}

static void fuse_event(struct ev_source *src, uint32_t events)
{
	struct impfs *fs = container_of(src, struct impfs, fuse_src);
	struct fuse_buf *buf = &fs->fuse_buf;

	/* A bounded batch, so the TAP device is served between batches. */
	for (int i = 0; i < 64; i++) {
		int r = fuse_session_receive_buf(fs->se, buf);
		if (r == -EAGAIN)
			break;
		if (r == -EINTR)
			continue;
		if (r <= 0 || fuse_session_exited(fs->se)) {
			fs->loop.stop = true;	/* unmounted (fusermount3 -u) */
			break;
		}
		fuse_session_process_buf(fs->se, buf);
	}
}

/* Waiting for the first lease: stop the loop once bound, or at the end. */
static void lease_check(struct ev_loop *loop)
{
	struct impfs *fs = loop->arg;

	if (dhcp_bound(&fs->net) || now_us() >= fs->lease_deadline)
		loop->stop = true;
}

static void lease_wakeup(struct timer_list *t)
{
}

/* wait_for_lease runs the stack, the TAP device only, until DHCP has
 * bound, before anything is mounted: a script that runs impfs --addr dhcp
 * and then connects finds the address there.  No lease in time: one line
 * on stderr and exit 1 (impfs(8)). */
static void wait_for_lease(struct impfs *fs, uint64_t timeout_us)
{
	struct timer_list t;

	fs->lease_deadline = now_us() + timeout_us;
	timer_setup(&t, lease_wakeup);
	mod_timer(&fs->net.timers, &t, fs->lease_deadline);
	fs->loop.after_batch = lease_check;
	ev_run(&fs->loop);
	del_timer(&fs->net.timers, &t);
	fs->loop.after_batch = NULL;
	fs->loop.stop = false;
	if (!dhcp_bound(&fs->net)) {
		fprintf(stderr, "impfs: --addr dhcp: no lease from a DHCP server in %llu s (DHCP is %s, %llu offers, %llu replies ignored)\n",
			(unsigned long long)(timeout_us / 1000000), dhcp_state_name(fs->net.dhcp->state),
			(unsigned long long)fs->net.dhcp->stats.InOffers,
			(unsigned long long)(fs->net.dhcp->stats.BadXid + fs->net.dhcp->stats.BadChaddr +
					     fs->net.dhcp->stats.BadShort + fs->net.dhcp->stats.BadCookie +
					     fs->net.dhcp->stats.BadTruncated + fs->net.dhcp->stats.BadOp +
					     fs->net.dhcp->stats.BadType + fs->net.dhcp->stats.BadServer +
					     fs->net.dhcp->stats.BadAddr + fs->net.dhcp->stats.BadLease));
		exit(1);
	}
}

static void signal_event(struct ev_source *src, uint32_t events)
{
	struct impfs *fs = container_of(src, struct impfs, sig_src);
	struct signalfd_siginfo si;

	while (read(src->fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP)
			fs->loop.stop = true;
}

int main(int argc, char **argv)
{
	static struct impfs fs;
	struct options o;
	sigset_t sigs;
	const char *fargv[40];
	int fargc = 0;

	/* A connection's rings are megabytes, mostly never touched.  glibc
	 * would raise its mmap threshold the first time one is freed and
	 * serve the later ones from the heap, where what a connection
	 * touched stays resident after it is gone; a fixed threshold keeps
	 * them mappings of their own, given back when freed, so the
	 * daemon's size follows what it holds (issue 12).  1 MB, not less:
	 * what is allocated per request (a parked write's copy, 128 KB)
	 * stays in the heap, where mapping it each time would cost. */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	parse_options(argc, argv, &o);
	check_mountpoint(o.mountpoint);
	setup_stack(&fs, &o);
	fs.mountpoint = o.mountpoint;
	fs.mount_time = (uint64_t)time(NULL);
	if (o.debug)
		fs.net.log_mask = NETLOG_ALL;
	sockfs_init(&fs);
	ring_init(&fs);
	/* The loop and the TAP device first: --addr dhcp waits for its lease
	 * here, before the mount. */
	if (ev_init(&fs.loop, &fs.net) < 0)
		die("cannot make the event loop: %s", strerror(errno));
	fs.loop.arg = &fs;
	fs.tap_src.fd = tap_fd(fs.dev);
	fs.tap_src.fn = tap_event;
	if (ev_add(&fs.loop, &fs.tap_src, EPOLLIN))
		die("cannot watch the TAP device: %s", strerror(errno));
	if (o.dhcp)
		wait_for_lease(&fs, DHCP_READY_TIMEOUT_US);

	fargv[fargc++] = argv[0];
	for (int i = 0; i < o.nfuse_opts; i++) {
		fargv[fargc++] = "-o";
		fargv[fargc++] = o.fuse_opts[i];
	}
	/* The kernel checks each socket's owner and mode (SPEC §3). */
	fargv[fargc++] = "-o";
	fargv[fargc++] = "fsname=imp,subtype=imp,default_permissions";
	struct fuse_args args = FUSE_ARGS_INIT(fargc, (char **)fargv);
	fs.se = fuse_session_new(&args, &impfs_ops, sizeof(impfs_ops), &fs);
	fuse_opt_free_args(&args);
	if (!fs.se)
		die("bad FUSE option (see mount.fuse3(8) for what -o takes)");
	if (fuse_session_mount(fs.se, o.mountpoint) != 0)
		die("cannot mount on %s (is /dev/fuse there, and are you root?)", o.mountpoint);

	/* Signals arrive through the loop, never in the middle of the stack. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (fuse_daemonize(o.foreground) != 0) {
		fuse_session_unmount(fs.se);
		die("cannot go to the background");
	}
	fs.loop.after_batch = after_batch;
	fs.sig_src.fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	fs.sig_src.fn = signal_event;
	fs.fuse_src.fd = fuse_session_fd(fs.se);
	fs.fuse_src.fn = fuse_event;
	fcntl(fs.fuse_src.fd, F_SETFL, fcntl(fs.fuse_src.fd, F_GETFL) | O_NONBLOCK);
	if (ev_add(&fs.loop, &fs.sig_src, EPOLLIN) || ev_add(&fs.loop, &fs.fuse_src, EPOLLIN)) {
		fuse_session_unmount(fs.se);
		die("cannot watch file descriptors: %s", strerror(errno));
	}

	/* The gratuitous ARP for --addr went out when the address was added. */
	fs.net.now = now_us();
	notify_systemd("READY=1");
	ev_run(&fs.loop);
	notify_systemd("STOPPING=1");

	/* Answer every waiting request (EINTR) and reset connections while
	 * the session can still carry the answers, then unmount. */
	sockfs_shutdown(&fs);
	ring_shutdown(&fs);
	dhcp_stop(&fs.net);	/* a DHCPRELEASE, then the address goes */
	fuse_session_unmount(fs.se);
	fuse_session_destroy(fs.se);
	ev_close(&fs.loop);
	net_cleanup(&fs.net);
	free(fs.fuse_buf.mem);
	return 0;
}
