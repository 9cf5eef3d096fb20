/* The event loop: epoll over every fd, one timerfd for all the stack's
 * timers.  After each batch of events the loop runs the timers that are due
 * and the packets the stack sent to itself, then re-arms the timerfd. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "impfs.h"

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void timer_event(struct ev_source *src, uint32_t events)
{
	struct ev_loop *loop = container_of(src, struct ev_loop, timer);
	uint64_t expirations;

	/* The timers themselves run after every batch; just drain the fd. */
	if (read(src->fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		perror("impfs: timerfd");
	loop->armed = TIMER_NEVER;
}

int ev_init(struct ev_loop *loop, struct net *net)
{
	memset(loop, 0, sizeof(*loop));
	loop->net = net;
	loop->armed = TIMER_NEVER;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return -errno;
	loop->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	loop->timer.fn = timer_event;
	if (loop->timer.fd < 0)
		return -errno;
	return ev_add(loop, &loop->timer, EPOLLIN);
}

int ev_add(struct ev_loop *loop, struct ev_source *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, src->fd, &ev) < 0 ? -errno : 0;
}

/* ev_arm sets the timerfd to the stack's next timer, if that changed. */
static void ev_arm(struct ev_loop *loop)
{
	uint64_t next = timers_next(&loop->net->timers);
	struct itimerspec its;

	if (next == loop->armed)
		return;
	memset(&its, 0, sizeof(its));
	if (next != TIMER_NEVER) {
		if (next == 0)
			next = 1;	/* 0 would disarm */
		its.it_value.tv_sec = (time_t)(next / 1000000);
		its.it_value.tv_nsec = (long)(next % 1000000) * 1000;
	}
	timerfd_settime(loop->timer.fd, TFD_TIMER_ABSTIME, &its, NULL);
	loop->armed = next;
}

void ev_run(struct ev_loop *loop)
{
	struct epoll_event evs[32];

	while (!loop->stop) {
		int timeout = skb_queue_empty(&loop->net->backlog) ? -1 : 0;
		int n;

		ev_arm(loop);
		n = epoll_wait(loop->epfd, evs, 32, timeout);
		if (n < 0 && errno != EINTR) {
			perror("impfs: epoll_wait");
			break;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			struct ev_source *src = evs[i].data.ptr;
			loop->net->now = now_us();	/* each source its own time: sends are timed */
			src->fn(src, evs[i].events);
		}
		net_advance(loop->net, now_us());
		net_process_backlog(loop->net);
		net_run_wakeups(loop->net);
		if (loop->after_batch)
			loop->after_batch(loop);
	}
}

void ev_close(struct ev_loop *loop)
{
	if (loop->timer.fd > 0)
		close(loop->timer.fd);
	if (loop->epfd > 0)
		close(loop->epfd);
}
