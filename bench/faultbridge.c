/* faultbridge: two TAP devices joined through imp's link impairment
 * (netstack/fault.c, what impfs --fault applies), so that two kernels can
 * talk through exactly the impairment imp's stack is measured under.
 *
 *     faultbridge SPEC TAP-A TAP-B
 *
 * SPEC as impfs --fault takes it ("drop=3,dup=1,reorder=10,corrupt=0.5").
 * Frames read from TAP-A go through A's impairment to TAP-B, and the other
 * way through B's: each direction has its own, as with --fault.  Prints
 * "ready" once both devices exist (the caller then moves them into
 * namespaces), runs until SIGTERM or SIGINT, and prints the counts. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include "fault.h"
#include "net.h"

/* <linux/if_tun.h>'s, without its struct ethhdr (netdevice.h has one). */
#define TUNSETIFF _IOW('T', 202, int)
#define IFF_TAP 0x0002
#define IFF_NO_PI 0x1000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A side: its device (for fault.c's state and counters) and the fd its
 * frames go out of. */
struct side {
	struct net_device dev;
	int in_fd, out_fd;
	uint64_t frames, write_errs;
};

/* deliver: a frame that survived the impairment goes out the other TAP. */
static void deliver(struct sk_buff *skb)
{
	struct side *s = skb->dev->priv;

	if (write(s->out_fd, skb->data, skb->len) != (ssize_t)skb->len)
		s->write_errs++;
	kfree_skb(skb);
}

static void drain(struct side *s, struct net *net)
{
	for (int n = 0; n < 64; n++) {
		struct sk_buff *skb = alloc_skb(2048);
		ssize_t r;

		if (!skb)
			return;
		r = read(s->in_fd, skb->data, 2048);
		if (r <= 0) {
			kfree_skb(skb);
			return;
		}
		skb_put(skb, (unsigned int)r);
		skb->dev = &s->dev;
		s->frames++;
		net->now = now_us();
		fault_apply(&s->dev, skb, TAP_RX, deliver);
	}
}

int main(int argc, char **argv)
{
	struct fault_spec spec;
	struct side side[2];
	struct net net;
	char why[160];

	if (argc != 4) {
		fprintf(stderr, "usage: faultbridge SPEC TAP-A TAP-B\n");
		return 2;
	}
	if (fault_parse(argv[1], &spec, why, sizeof(why))) {
		fprintf(stderr, "faultbridge: %s\n", why);
		return 2;
	}
	memset(&net, 0, sizeof(net));
	timer_base_init(&net.timers);
	net.now = now_us();
	memset(side, 0, sizeof(side));
	for (int i = 0; i < 2; i++) {
		side[i].in_fd = tap_open(argv[2 + i]);
		if (side[i].in_fd < 0) {
			fprintf(stderr, "faultbridge: cannot make TAP %s: %s\n", argv[2 + i], strerror(errno));
			return 1;
		}
		snprintf(side[i].dev.name, sizeof(side[i].dev.name), "%s", argv[2 + i]);
		side[i].dev.net = &net;
		side[i].dev.priv = &side[i];
		if (fault_attach(&side[i].dev, &spec)) {
			fprintf(stderr, "faultbridge: out of memory\n");
			return 1;
		}
	}
	side[0].out_fd = side[1].in_fd;
	side[1].out_fd = side[0].in_fd;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd p[2] = { { side[0].in_fd, POLLIN, 0 }, { side[1].in_fd, POLLIN, 0 } };
		uint64_t next = timers_next(&net.timers), now = now_us();
		int timeout = next == TIMER_NEVER ? 100 : next <= now ? 0 : (int)((next - now) / 1000) + 1;

		if (poll(p, 2, timeout > 100 ? 100 : timeout) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (p[i].revents & POLLIN)
				drain(&side[i], &net);
		net.now = now_us();
		timers_run(&net.timers, net.now);
	}
	for (int i = 0; i < 2; i++) {
		const struct devstats *st = &side[i].dev.stats;
		fprintf(stderr, "faultbridge: %s -> %s: %llu frames, dropped %llu, duplicated %llu, "
			"reordered %llu, corrupted %llu, write errors %llu\n", argv[2 + i], argv[3 - i],
			(unsigned long long)side[i].frames, (unsigned long long)st->FaultDrops,
			(unsigned long long)st->FaultDups, (unsigned long long)st->FaultReorders,
			(unsigned long long)st->FaultCorrupts, (unsigned long long)side[i].write_errs);
		fault_detach(&side[i].dev);
	}
	timer_base_free(&net.timers);
	return 0;
}
