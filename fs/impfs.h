/* impfs: the daemon that runs the stack and serves it as a FUSE file system. */
#ifndef IMPFS_H
#define IMPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <sys/types.h>

#include "net.h"
#include "sock.h"


/* The event loop: one thread, one epoll set (TAP fd, FUSE fd, timer fd,
 * signal fd).  Every source is an ev_source the loop calls back. */
struct ev_source {
	int fd;
	void (*fn)(struct ev_source *src, uint32_t events);
};

struct ev_loop {
	int epfd;
	struct ev_source timer;		/* a timerfd armed at the next stack timer */
	/* Called after each batch of events, once the stack has run. */
	void (*after_batch)(struct ev_loop *loop);
	void *arg;
	uint64_t armed;			/* when the timerfd fires, TIMER_NEVER if not */
	struct net *net;
	bool stop;
};

int ev_init(struct ev_loop *loop, struct net *net);
int ev_add(struct ev_loop *loop, struct ev_source *src, uint32_t events);
void ev_run(struct ev_loop *loop);
void ev_close(struct ev_loop *loop);
uint64_t now_us(void);

/* The size dns claims, so that writes up to it may run in parallel (tree.c). */
#define DNS_FILE_SIZE (1 << 20)
/* impfs --addr dhcp waits this long for a lease before it mounts (impfs(8)). */
#define DHCP_READY_TIMEOUT_US (10 * 1000000ull)

/* A growable text buffer for the files whose contents are made at open. */
struct strbuf {
	char *s;
	size_t len, cap;
};
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *sb);

/* Node types: the low byte of every inode number (see tree.c). */
enum {
	Qroot = 1, Qipifc, Qifc, Qifcctl, Qifcstatus, Qifcstats, Qifcpcap,
	Qarp, Qiproute, Qipselftab, Qlog,
	Qdns, Qdnsstats, Qdhcpstats,		/* the resolver: ask a name; its counters */
	Qproto, Qnewdir, Qnewctl, Qpstats,
	Qconv, Qctl, Qdata, Qlisten, Qlocal, Qremote, Qstatus, Qerr,
	Qinfo,				/* tcp only: TCP_INFO's numbers */
	Qtrace,				/* tcp only: the connection's events */
	Qstats,				/* /imp/stats: what is alive, the limits */
	Qndp,				/* IPv6 neighbours, beside arp */
	Qmax
};

struct conv;
struct preq;
struct ring_reader;

/* An open file.  For socket files it is on its conv's list, so a wakeup
 * can answer its poll. */
struct ofile {
	int type;
	int num;			/* interface number, for ipifc files */
	struct conv *conv;		/* socket files */
	struct strbuf text;		/* text files: made at open */
	struct fuse_pollhandle *ph;	/* a poll waiting for a change */
	struct ring_reader *ring;	/* pcap and log readers */
	/* /imp/dns: the lookup under way, the write waiting for it, and how
	 * far text (the answer) has been read: the write moved the file
	 * offset, so reads keep their own. */
	struct dns_lookup *dnsq;
	struct preq *dnswait;
	size_t rpos;
	struct ofile *next;		/* in its conv's list */
	struct ofile *anext, **aprev;	/* in the list of every open file */
};

/* A request parked until the stack can answer it. */
enum { P_READ, P_WRITE, P_CONNECT, P_LISTEN, P_RING, P_DNS };
struct preq {
	struct preq *next, **pprev;
	struct impfs *fs;
	fuse_req_t req;
	int op;
	struct ofile *of;
	struct conv *conv;
	size_t size;			/* read: how much was asked */
	char *wbuf;			/* write: the bytes not yet taken; dns: the name */
	size_t wlen, wdone;
	struct fuse_file_info fi;	/* listen: the open to answer */
	char cmd[96];			/* connect: the command, for err */
};

/* A protocol directory, /imp/udp and its kin (Plan 9's Proto). */
struct protodir {
	const char *name;
	int type, protocol;
	struct conv **conv;		/* by number; NULL where free */
	int nconv;			/* slots */
};

/* A new socket directory's permissions (SPEC §3): owner and group only. */
#define CONV_MODE 0770

/* A socket as the file system sees it (Plan 9's Conv). */
struct conv {
	struct protodir *p;
	int x;				/* its number: /imp/udp/x */
	uint32_t gen;			/* tells it from earlier sockets numbered x */
	struct socket *sock;		/* NULL once closed */
	uid_t uid;
	gid_t gid;
	mode_t mode;			/* the directory's permissions; its files follow (tree.c) */
	int nfiles;			/* open files */
	bool held;			/* connected, announced or accepted: outlives its files */
	bool closing;			/* close, hangup or rmdir was asked */
	bool autoclose;			/* close when the last file closes, as close(2) */
	char connecting[96];		/* a non-blocking connect under way: its command */
	/* connect NAME PORT: the name's lookup, then the connect to PORT;
	 * dns_err is a failure (of either) the parked connect has yet to see. */
	struct dns_lookup *dnsq;
	uint16_t dns_port;
	uint16_t dns_qtype;		/* A first; AAAA when the name has no A */
	int dns_err;
	char dnscmd[96];
	char err[192];
	struct ofile *files;
	struct preq *waiters;
	struct impfs *fs;
};

#define NPROTO 4	/* tcp, udp, icmp, icmpv6 */

#define IMPFS_DEFAULT_MAX_PARKED 16384
#define IMPFS_DEFAULT_MAX_PARKED_BYTES (64ull << 20)
#define IMPFS_DEFAULT_MAX_RING_BYTES (256ull << 20)

struct impfs {
	struct net net;
	struct net_device *dev;
	struct fuse_session *se;
	struct ev_loop loop;
	struct ev_source fuse_src, tap_src, sig_src;
	uint64_t lease_deadline;	/* µs: --addr dhcp's wait for a lease */
	/* The request buffer, kept from batch to batch: it is a megabyte,
	 * past the mmap threshold, and would be mapped and unmapped each
	 * time (libfuse allocates it when mem is NULL). */
	struct fuse_buf fuse_buf;
	const char *mountpoint;
	uint64_t mount_time;		/* seconds, for file times */
	unsigned int max_sockets;
	unsigned int nsockets;
	/* Parked requests (SPEC §7): how many, and the bytes of the writes
	 * among them, at most; past either a request gets ENOBUFS. */
	unsigned int max_parked;
	uint64_t max_parked_bytes;
	unsigned int nparked;
	uint64_t parked_bytes;
	unsigned int nfiles;		/* open files (FUSE file handles) */
	uint64_t max_ring_bytes;	/* pcap, log and trace readers' rings, at most */
	uint64_t trim_mark;		/* the most live socks since the heap was last trimmed */
	struct {
		uint64_t SocketsRefused;	/* ENFILE: --max-sockets */
		uint64_t RequestsRefused;	/* ENOBUFS: --max-parked(-bytes) */
		uint64_t RingsRefused;		/* ENOBUFS: --max-ring-bytes */
		/* FUSE requests by kind, as they come from the kernel: what a
		 * program's system calls cost the daemon (a poll is a round
		 * trip as much as a read is).  Bytes are what was asked. */
		uint64_t FuseLookups, FuseGetattrs, FuseOpens, FuseReleases, FuseReaddirs;
		uint64_t FuseReads, FuseReadBytes, FuseWrites, FuseWriteBytes, FusePolls;
	} stats;
	uint32_t conv_gen;
	uint64_t msl_us;
	struct protodir proto[NPROTO];
	struct rings *rings;
	struct ofile *open_files;	/* freed at exit: after unmount no release comes */
};

/* sockfs.c: the socket files. */
void sockfs_init(struct impfs *fs);
void sockfs_shutdown(struct impfs *fs);
struct protodir *proto_by_index(struct impfs *fs, int i);
struct conv *conv_lookup(struct impfs *fs, int proto, int x);
int conv_new(struct impfs *fs, struct protodir *p, uid_t uid, gid_t gid,
	     struct socket *sock, struct conv **res);
void conv_attach(struct conv *c, struct ofile *of);
void conv_detach(struct ofile *of);
void conv_close(struct conv *c, bool abort);
void sock_connect_park(fuse_req_t req, struct conv *c, struct ofile *of, size_t len,
		       const char *cmd);
void conv_maybe_free(struct conv *c);
void conv_wakeup_now(struct conv *c);
void conv_seterr(struct conv *c, const char *cmd, int err);
void conv_dns_done(void *arg, const struct dns_result *res);
void sock_files_open(fuse_req_t req, struct impfs *fs, struct ofile *of, struct fuse_file_info *fi);
void sock_read(fuse_req_t req, struct ofile *of, size_t size, int flags);
void sock_write(fuse_req_t req, struct ofile *of, const char *buf, size_t size, int flags);
void sock_poll(fuse_req_t req, struct ofile *of, struct fuse_pollhandle *ph);
void sock_listen_open(fuse_req_t req, struct conv *c, struct fuse_file_info *fi);
void show_conv_file(struct strbuf *sb, struct conv *c, int type);
void show_proto_stats(struct strbuf *sb, struct impfs *fs, struct protodir *p);

/* preq: parking.  preq_new returns NULL with errno ENOBUFS past
 * --max-parked, ENOMEM; preq_refuse answers such a request. */
struct preq *preq_new(fuse_req_t req, int op, struct ofile *of);
void preq_refuse(fuse_req_t req, struct conv *c, const char *what);
void preq_park(struct preq **list, struct preq *pr);
void preq_unlink(struct preq *pr);
void preq_free(struct preq *pr);

/* ctl.c: a socket's ctl command; 0 or -errno (and err set). */
int conv_ctl(fuse_req_t req, struct conv *c, struct ofile *of, const char *buf, size_t len,
	     int flags);

/* pcap.c and log.c: streams read through a ring per reader. */
void pcap_open(struct impfs *fs, struct ofile *of);
void log_open(struct impfs *fs, struct ofile *of);
void trace_open(struct impfs *fs, struct ofile *of, struct sock *sk);
void ring_release(struct impfs *fs, struct ofile *of);
void ring_read(fuse_req_t req, struct impfs *fs, struct ofile *of, size_t size, int flags);
void ring_flush(struct impfs *fs);
void ring_poll(fuse_req_t req, struct ofile *of, struct fuse_pollhandle *ph);
int log_ctl(struct impfs *fs, char *line, char *why, size_t whylen);
uint64_t pcap_drops(struct impfs *fs);
void ring_init(struct impfs *fs);
void ring_shutdown(struct impfs *fs);

/* show.c: the text of the read-only files. */
void show_ifc_status(struct strbuf *sb, const struct net_device *dev);
void show_ifc_stats(struct strbuf *sb, const struct net_device *dev);
void show_arp(struct strbuf *sb, struct net *net);
void show_iproute(struct strbuf *sb, struct net *net);
void show_ndp(struct strbuf *sb, struct net *net);
void show_ipselftab(struct strbuf *sb, struct net *net);
void show_stats(struct strbuf *sb, struct impfs *fs);
uint64_t ring_bytes(struct impfs *fs);
void show_dnsstats(struct strbuf *sb, struct net *net);
void show_dhcpstats(struct strbuf *sb, struct net *net);

/* dnsfs.c: /imp/dns, a lookup per write. */
void dns_file_write(fuse_req_t req, struct impfs *fs, struct ofile *of, const char *buf,
		    size_t size);
void dns_file_read(fuse_req_t req, struct ofile *of, size_t size);
void dns_file_release(struct ofile *of);

#include "ctlparse.h"	/* the stack-wide files' writers */

/* tree.c */
extern const struct fuse_lowlevel_ops impfs_ops;
void ofile_link(struct impfs *fs, struct ofile *of);
void ofile_free(struct impfs *fs, struct ofile *of);

#endif
