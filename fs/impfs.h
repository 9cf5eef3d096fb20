/* impfs: the daemon that runs the stack and serves it as a FUSE file system. */
#ifndef IMPFS_H
#define IMPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

struct fuse_session;

/* The event loop: one thread, one epoll set (TAP fd, FUSE fd, timer fd,
 * signal fd).  Every source is an ev_source the loop calls back. */
struct ev_source {
	int fd;
	void (*fn)(struct ev_source *src, uint32_t events);
};

struct ev_loop {
	int epfd;
	struct ev_source timer;		/* a timerfd armed at the next stack timer */
	uint64_t armed;			/* when the timerfd fires, TIMER_NEVER if not */
	struct net *net;
	bool stop;
};

int ev_init(struct ev_loop *loop, struct net *net);
int ev_add(struct ev_loop *loop, struct ev_source *src, uint32_t events);
void ev_run(struct ev_loop *loop);
void ev_close(struct ev_loop *loop);
uint64_t now_us(void);

/* A growable text buffer for the files whose contents are made at open. */
struct strbuf {
	char *s;
	size_t len, cap;
};
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *sb);

struct impfs {
	struct net net;
	struct net_device *dev;
	struct fuse_session *se;
	struct ev_loop loop;
	struct ev_source fuse_src, tap_src, sig_src;
	const char *mountpoint;
	uint64_t mount_time;		/* seconds, for file times */
	unsigned int max_sockets;
	uint64_t msl_us;
};

/* show.c: the text of the read-only files. */
void show_ifc_status(struct strbuf *sb, const struct net_device *dev);
void show_ifc_stats(struct strbuf *sb, const struct net_device *dev);
void show_arp(struct strbuf *sb, struct net *net);
void show_iproute(struct strbuf *sb, struct net *net);
void show_ipselftab(struct strbuf *sb, struct net *net);

/* ctl.c-like writers for the stack-wide files: 0 or -errno, with a sentence
 * in why. */
int write_arp(struct net *net, char *line, char *why, size_t whylen);
int write_iproute(struct net *net, char *line, char *why, size_t whylen);
int write_ifc_ctl(struct net_device *dev, char *line, char *why, size_t whylen);

/* tree.c */
extern const struct fuse_lowlevel_ops impfs_ops;

#endif
