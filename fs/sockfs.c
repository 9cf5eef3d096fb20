/* Sockets as files (the part of Linux's sockfs, and of Plan 9's devip, that
 * turns file operations into socket calls).
 *
 * A conv is one socket directory.  Requests the socket cannot answer now
 * (a read with nothing queued, a connect under way, an open of listen with
 * no caller waiting) are parked on the conv, and retried when the stack
 * wakes the socket; an interrupt from the kernel (Ctrl-C) answers a parked
 * request with EINTR.  No request ever holds the thread. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "impfs.h"

static const struct { const char *name; int type, protocol; } protos[NPROTO] = {
	{ "tcp", SOCK_STREAM, IPPROTO_TCP },
	{ "udp", SOCK_DGRAM, IPPROTO_UDP },
	{ "icmp", SOCK_DGRAM, IPPROTO_ICMP },
	{ "icmpv6", SOCK_DGRAM, IPPROTO_ICMPV6 },
};

static void conv_wakeup(struct socket *sock);

void sockfs_init(struct impfs *fs)
{
	for (int i = 0; i < NPROTO; i++) {
		fs->proto[i].name = protos[i].name;
		fs->proto[i].type = protos[i].type;
		fs->proto[i].protocol = protos[i].protocol;
	}
}

struct protodir *proto_by_index(struct impfs *fs, int i)
{
	return i >= 1 && i <= NPROTO ? &fs->proto[i - 1] : NULL;
}

struct conv *conv_lookup(struct impfs *fs, int proto, int x)
{
	struct protodir *p = proto_by_index(fs, proto);

	if (!p || x < 0 || x >= p->nconv)
		return NULL;
	return p->conv[x];
}

/* conv_new makes socket N, N the lowest free number, around sock (a new
 * socket of p's kind when NULL). */
int conv_new(struct impfs *fs, struct protodir *p, uid_t uid, gid_t gid,
	     struct socket *sock, struct conv **res)
{
	struct conv *c;
	int x, err;

	if (fs->nsockets >= fs->max_sockets) {
		fs->stats.SocketsRefused++;
		return -ENFILE;
	}
	for (x = 0; x < p->nconv && p->conv[x]; x++)
		;
	if (x == p->nconv) {
		int n = p->nconv ? p->nconv * 2 : 16;
		struct conv **v = realloc(p->conv, (size_t)n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memset(v + p->nconv, 0, (size_t)(n - p->nconv) * sizeof(*v));
		p->conv = v;
		p->nconv = n;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->sock = sock;
	if (!sock && (err = sock_create(&fs->net, p->type, p->protocol, &c->sock)) != 0) {
		free(c);
		return err;
	}
	c->sock->wakeup = conv_wakeup;
	c->sock->owner = c;
	c->p = p;
	c->x = x;
	c->gen = fs->conv_gen = (fs->conv_gen + 1) & 0xffffff;
	if (!c->gen)
		c->gen = fs->conv_gen = 1;
	c->uid = uid;
	c->gid = gid;
	c->mode = CONV_MODE;
	c->fs = fs;
	p->conv[x] = c;
	fs->nsockets++;
	*res = c;
	return 0;
}

void conv_attach(struct conv *c, struct ofile *of)
{
	of->conv = c;
	of->next = c->files;
	c->files = of;
	c->nfiles++;
}

/* conv_detach: a file of the conv was closed. */
void conv_detach(struct ofile *of)
{
	struct conv *c = of->conv;

	if (!c)
		return;
	for (struct ofile **pp = &c->files; *pp; pp = &(*pp)->next)
		if (*pp == of) {
			*pp = of->next;
			break;
		}
	/* Requests parked by this file cannot be for anyone now. */
	for (struct preq *pr = c->waiters, *next; pr; pr = next) {
		next = pr->next;
		if (pr->of == of) {
			preq_unlink(pr);
			fuse_reply_err(pr->req, EBADF);
			preq_free(pr);
		}
	}
	of->conv = NULL;
	c->nfiles--;
	conv_maybe_free(c);
}

/* conv_close: close, hangup (abort) or rmdir.  A stream socket starts its
 * closing exchange (FIN, or RST for hangup) and stays until it is over; a
 * datagram socket has nothing to exchange and goes now.  Either way its
 * directory goes when its last file closes.  Parked requests are answered
 * (end of file, EPIPE). */
void conv_close(struct conv *c, bool abort)
{
	c->closing = true;
	if (c->dnsq) {
		dns_cancel(c->dnsq);
		c->dnsq = NULL;
		c->dns_err = ECONNABORTED;
		snprintf(c->err, sizeof(c->err), "%.90s: closed while the name was looked up", c->dnscmd);
	}
	if (c->sock) {
		c->sock->ops->close(c->sock, abort);
		if (c->sock->type != SOCK_STREAM || c->sock->ops->finished(c->sock)) {
			sock_release(c->sock);
			c->sock = NULL;
		}
	}
	conv_wakeup_now(c);
}

/* conv_maybe_free frees the conv when nothing keeps it (SPEC §3): no file
 * is open, and it was never connected or announced, or it was closed, or
 * its connection is over by itself.  A closed stream socket first finishes
 * its FIN exchange. */
void conv_maybe_free(struct conv *c)
{
	if (c->nfiles > 0 || c->waiters)
		return;
	/* autoclose: the last file's close is the close command (Linux's
	 * close(2) semantics, for programs that die without saying so). */
	if (c->autoclose && !c->closing && c->sock)
		conv_close(c, false);
	if (c->sock && (c->held || c->closing) && !c->sock->ops->finished(c->sock))
		return;
	if (c->dnsq)
		dns_cancel(c->dnsq);
	if (c->sock)
		sock_release(c->sock);
	c->p->conv[c->x] = NULL;
	c->fs->nsockets--;
	free(c);
}

/* err_text is strerror with a lower-case first letter, to read as the end
 * of a sentence: "connect 10.0.0.9 81: connection refused". */
static void err_text(char *buf, size_t len, int err)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
}

void conv_seterr(struct conv *c, const char *cmd, int err)
{
	char why[96];

	err_text(why, sizeof(why), err);
	snprintf(c->err, sizeof(c->err), "%.90s: %.95s", cmd, why);
}

/* --- parked requests --- */

static void preq_interrupted(fuse_req_t req, void *data)
{
	struct preq *pr = data;

	preq_unlink(pr);
	if (pr->op == P_DNS && pr->of) {
		/* Ctrl-C on a lookup: it is not wanted any more. */
		dns_cancel(pr->of->dnsq);
		pr->of->dnsq = NULL;
		sb_free(&pr->of->text);
		pr->of->rpos = 0;
		sb_printf(&pr->of->text, "error: %s: interrupted\n", pr->wbuf);
	}
	if (pr->op == P_WRITE && pr->wdone > 0) {
		fuse_reply_write(pr->req, pr->wdone);	/* what went, as write(2) does */
	} else {
		fuse_reply_err(pr->req, EINTR);
		if (pr->op == P_CONNECT && pr->conv && pr->conv->dnsq) {
			dns_cancel(pr->conv->dnsq);
			pr->conv->dnsq = NULL;
		}
		if (pr->op == P_CONNECT && pr->conv && pr->conv->sock) {
			/* Ctrl-C on a connect leaves the socket Closed. */
			pr->conv->sock->ops->close(pr->conv->sock, true);
			snprintf(pr->conv->err, sizeof(pr->conv->err), "%.120s: interrupted", pr->cmd);
		}
	}
	if (pr->conv)
		conv_maybe_free(pr->conv);
	preq_free(pr);
}

/* preq_over says whether one more parked request, with bytes of its own
 * to keep, passes a cap (--max-parked, --max-parked-bytes).  The first
 * time a cap turns one away the daemon says so on stderr. */
static bool preq_over(struct impfs *fs, size_t bytes)
{
	if (fs->nparked < fs->max_parked && fs->parked_bytes + bytes <= fs->max_parked_bytes)
		return false;
	if (fs->stats.RequestsRefused++ == 0)
		fprintf(stderr, "impfs: %u requests (%llu bytes) already wait; more get ENOBUFS "
			"until some are answered (--max-parked %u, --max-parked-bytes %llu)\n",
			fs->nparked, (unsigned long long)fs->parked_bytes, fs->max_parked,
			(unsigned long long)fs->max_parked_bytes);
	errno = ENOBUFS;
	return true;
}

struct preq *preq_new(fuse_req_t req, int op, struct ofile *of)
{
	struct impfs *fs = fuse_req_userdata(req);
	struct preq *pr;

	if (preq_over(fs, 0))
		return NULL;
	if (!(pr = calloc(1, sizeof(*pr)))) {
		errno = ENOMEM;
		return NULL;
	}
	pr->fs = fs;
	pr->req = req;
	pr->op = op;
	pr->of = of;
	pr->conv = of ? of->conv : NULL;
	fs->nparked++;
	return pr;
}

/* preq_refuse answers a request that could not be parked (errno says
 * why), and tells the socket's err file. */
void preq_refuse(fuse_req_t req, struct conv *c, const char *what)
{
	int err = errno == ENOBUFS ? ENOBUFS : ENOMEM;
	struct impfs *fs = fuse_req_userdata(req);

	if (c && err == ENOBUFS)
		snprintf(c->err, sizeof(c->err), "%s: too many requests already wait in impfs "
			 "(--max-parked %u, --max-parked-bytes %llu)", what, fs->max_parked,
			 (unsigned long long)fs->max_parked_bytes);
	else if (c)
		conv_seterr(c, what, err);
	fuse_reply_err(req, err);
}

/* preq_park puts pr at the end of list and lets an interrupt end it.  If
 * the request was already interrupted, it is answered (and freed) here. */
void preq_park(struct preq **list, struct preq *pr)
{
	while (*list)
		list = &(*list)->next;
	*list = pr;
	pr->pprev = list;
	pr->next = NULL;
	fuse_req_interrupt_func(pr->req, preq_interrupted, pr);
}

void preq_unlink(struct preq *pr)
{
	if (!pr->pprev)
		return;
	*pr->pprev = pr->next;
	if (pr->next)
		pr->next->pprev = pr->pprev;
	pr->pprev = NULL;
	pr->next = NULL;
}

void preq_free(struct preq *pr)
{
	if (pr->wbuf)
		pr->fs->parked_bytes -= pr->wlen;
	pr->fs->nparked--;
	free(pr->wbuf);
	free(pr);
}

/* --- data --- */

/* The Plan 9 UDP header of headers mode: raddr[16] laddr[16] ifcaddr[16]
 * rport[2] lport[2], addresses as IPv4-mapped IPv6. */
#define HDR_LEN 52

static void v4mapped(unsigned char *p, uint32_t addr)
{
	memset(p, 0, 10);
	p[10] = p[11] = 0xff;
	memcpy(p + 12, &addr, 4);
}

/* hdr_addr reads a header's 16-byte address: IPv4-mapped (or all zero:
 * any) is IPv4, anything else IPv6 (imp(4), headers). */
static void hdr_addr(const unsigned char *p, struct inet_addr *a)
{
	static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char zero[16];

	memset(a, 0, sizeof(*a));
	if (!memcmp(p, zero, 16) || !memcmp(p, prefix, 12)) {
		a->family = AF_INET;
		memcpy(&a->v4, p + 12, 4);
		return;
	}
	a->family = AF_INET6;
	memcpy(&a->v6, p, 16);
}

/* try_read answers a read if the socket can; false if it must wait. */
static bool try_read(fuse_req_t req, struct conv *c, size_t size, bool nonblock)
{
	struct socket *sock = c->sock;
	struct sockmsg msg;
	unsigned char hdr[HDR_LEN];
	struct iovec iov[9];
	bool headers;
	long n;

	if (!sock) {
		fuse_reply_buf(req, NULL, 0);	/* closed: end of file */
		return true;
	}
	headers = sock->sk && sock->sk->headers;
	if (headers && size < HDR_LEN) {
		snprintf(c->err, sizeof(c->err), "read: headers mode needs a buffer of at least %d bytes", HDR_LEN);
		fuse_reply_err(req, EINVAL);
		return true;
	}
	memset(&msg, 0, sizeof(msg));
	if (nonblock)
		msg.flags = MSG_DONTWAIT;	/* SO_RCVLOWAT: take what is there */
	n = sock->ops->recvmsg(sock, &msg, headers ? size - HDR_LEN : size);
	if (n == -EAGAIN && !nonblock)
		return false;
	if (n < 0) {
		if (n != -EAGAIN)
			conv_seterr(c, "read", (int)-n);
		fuse_reply_err(req, (int)-n);
		return true;
	}
	if (n == 0 && msg.iovcnt == 0) {
		fuse_reply_buf(req, NULL, 0);
		return true;
	}
	int cnt = 0;
	if (headers) {
		union inet_sockaddr local;
		sock->ops->getname(sock, &local, false);
		if (msg.name.sa.sa_family == AF_INET6) {
			/* IPv6: the 16 bytes themselves. */
			memcpy(hdr, &msg.name.sin6.sin6_addr, 16);
			memcpy(hdr + 16, &msg.local6, 16);
			memcpy(hdr + 32, &msg.local6, 16);
			memcpy(hdr + 48, &msg.name.sin6.sin6_port, 2);
		} else {
			v4mapped(hdr, msg.name.sin.sin_addr.s_addr);
			v4mapped(hdr + 16, msg.local);
			v4mapped(hdr + 32, msg.local);
			memcpy(hdr + 48, &msg.name.sin.sin_port, 2);
		}
		/* Both members start with family then port. */
		memcpy(hdr + 50, &local.sin.sin_port, 2);
		iov[cnt].iov_base = hdr;
		iov[cnt++].iov_len = HDR_LEN;
	}
	for (int i = 0; i < msg.iovcnt; i++)
		iov[cnt++] = msg.iov[i];
	fuse_reply_iov(req, iov, cnt);
	sock->ops->recv_done(sock, &msg, (size_t)n);
	return true;
}

void sock_read(fuse_req_t req, struct ofile *of, size_t size, int flags)
{
	struct conv *c = of->conv;
	struct preq *pr;

	if (try_read(req, c, size, flags & O_NONBLOCK))
		return;
	pr = preq_new(req, P_READ, of);
	if (!pr) {
		preq_refuse(req, c, "read");
		return;
	}
	pr->size = size;
	preq_park(&c->waiters, pr);
}

/* try_write sends what it can of buf[*done..size); false if the rest
 * must wait.  It answers with the whole count, or with what went before
 * an error. */
static bool try_write(fuse_req_t req, struct conv *c, const char *buf, size_t size,
		      size_t *done, bool nonblock)
{
	struct socket *sock = c->sock;
	struct sockmsg msg;
	long n;

	if (!sock || (sock->sk && (sock->sk->sk_shutdown & SEND_SHUTDOWN))) {
		if (*done) {
			fuse_reply_write(req, *done);
			return true;
		}
		conv_seterr(c, "write", EPIPE);
		fuse_reply_err(req, EPIPE);
		return true;
	}
	memset(&msg, 0, sizeof(msg));
	if (sock->sk && sock->sk->headers) {
		struct inet_addr raddr, laddr;
		uint16_t rport;
		if (size < HDR_LEN) {
			snprintf(c->err, sizeof(c->err), "write: headers mode needs a %d-byte header "
				 "(IPv6 or IPv4-mapped addresses) before the data", HDR_LEN);
			fuse_reply_err(req, EINVAL);
			return true;
		}
		hdr_addr((const unsigned char *)buf, &raddr);
		hdr_addr((const unsigned char *)buf + 16, &laddr);
		memcpy(&rport, buf + 48, 2);
		inet_addr_to_sa(&raddr, rport, &msg.name);
		msg.has_name = true;
		if (laddr.family == AF_INET6)
			msg.local6 = laddr.v6;
		else
			msg.local = laddr.v4;
		msg.data = buf + HDR_LEN;
		n = sock->ops->sendmsg(sock, &msg, size - HDR_LEN);
		if (n >= 0)
			n = (long)(size - *done);
	} else {
		msg.data = buf + *done;
		n = sock->ops->sendmsg(sock, &msg, size - *done);
	}
	if (n > 0)
		*done += (size_t)n;
	if (*done == size) {
		fuse_reply_write(req, size);
		return true;
	}
	if (n == -EAGAIN || n > 0) {
		if (!nonblock)
			return false;
		if (*done)
			fuse_reply_write(req, *done);
		else
			fuse_reply_err(req, EAGAIN);
		return true;
	}
	if (*done) {	/* a partial write counts what went */
		fuse_reply_write(req, *done);
		return true;
	}
	conv_seterr(c, "write", (int)-n);
	fuse_reply_err(req, (int)-n);
	return true;
}

void sock_write(fuse_req_t req, struct ofile *of, const char *buf, size_t size, int flags)
{
	struct conv *c = of->conv;
	size_t done = 0;
	struct preq *pr;

	if (try_write(req, c, buf, size, &done, flags & O_NONBLOCK))
		return;
	/* The request's buffer is libfuse's: keep a copy to finish from. */
	pr = preq_new(req, P_WRITE, of);
	if (pr && (preq_over(c->fs, size) || !(pr->wbuf = malloc(size)))) {
		int err = errno;
		preq_free(pr);
		errno = err;
		pr = NULL;
	}
	if (!pr) {
		if (done)
			fuse_reply_write(req, done);
		else
			preq_refuse(req, c, "write");
		return;
	}
	memcpy(pr->wbuf, buf, size);
	pr->wlen = size;
	c->fs->parked_bytes += size;
	pr->wdone = done;
	preq_park(&c->waiters, pr);
}

/* try_connect answers a parked connect once the handshake is over. */
static bool try_connect(struct preq *pr, struct conv *c)
{
	struct socket *sock = c->sock;
	int err;

	if (c->dnsq)
		return false;	/* the name is still being looked up */
	if (c->dns_err) {	/* the lookup, or the connect after it, failed: err says */
		err = c->dns_err;
		c->dns_err = 0;
		fuse_reply_err(pr->req, err);
		return true;
	}
	if (sock && sock->state == SS_CONNECTING)
		return false;
	if (sock && sock->state == SS_CONNECTED) {
		c->held = true;
		fuse_reply_write(pr->req, pr->size);
		return true;
	}
	err = sock && sock->sk ? -sock_error(sock->sk) : EPIPE;
	if (!err)
		err = ECONNREFUSED;
	conv_seterr(c, pr->cmd, err);
	fuse_reply_err(pr->req, err);
	return true;
}

/* sock_connect_park: the connect command waits for the handshake. */
void sock_connect_park(fuse_req_t req, struct conv *c, struct ofile *of, size_t len,
		       const char *cmd)
{
	struct preq *pr = preq_new(req, P_CONNECT, of);

	if (!pr) {
		preq_refuse(req, c, cmd);
		return;
	}
	pr->size = len;
	snprintf(pr->cmd, sizeof(pr->cmd), "%s", cmd);
	preq_park(&c->waiters, pr);
}

static unsigned int conv_poll_mask(struct conv *c, int type)
{
	unsigned int m, mask = 0;

	if (!c->sock)
		return POLLIN | POLLHUP;
	m = c->sock->ops->poll(c->sock);
	if (type == Qctl)
		return c->sock->sk && c->sock->sk->accept_head ? POLLIN : 0;
	if (m & SOCK_POLLIN) mask |= POLLIN | POLLRDNORM;
	if (m & SOCK_POLLOUT) mask |= POLLOUT | POLLWRNORM;
	if (m & SOCK_POLLERR) mask |= POLLERR;
	if (m & SOCK_POLLHUP) mask |= POLLHUP;
	return mask;
}

void sock_poll(fuse_req_t req, struct ofile *of, struct fuse_pollhandle *ph)
{
	if (ph) {
		if (of->ph)
			fuse_pollhandle_destroy(of->ph);
		of->ph = ph;
	}
	fuse_reply_poll(req, conv_poll_mask(of->conv, of->type));
}

/* --- listen --- */

/* try_accept answers an open of listen with a new socket's ctl. */
static bool try_accept(fuse_req_t req, struct conv *c, struct fuse_file_info *fi, bool nonblock)
{
	struct impfs *fs = c->fs;
	struct socket *ns;
	struct conv *nc;
	struct ofile *of;
	int err;

	if (!c->sock || !c->sock->sk || !c->sock->sk->listening) {
		snprintf(c->err, sizeof(c->err), "listen: socket %d is not announced", c->x);
		fuse_reply_err(req, EINVAL);
		return true;
	}
	if (!c->sock->sk->accept_head) {
		if (!nonblock)
			return false;
		fuse_reply_err(req, EAGAIN);
		return true;
	}
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	if (fs->nsockets >= fs->max_sockets) {
		fs->stats.SocketsRefused++;
		err = -ENFILE;
	}
	else
		err = c->sock->ops->accept(c->sock, &ns);
	if (!err && (err = conv_new(fs, c->p, ctx->uid, ctx->gid, ns, &nc)) != 0)
		sock_release(ns);
	if (!err) {
		nc->held = true;
		nc->mode = c->mode;	/* a chmod of the announced socket covers its children */
	}
	if (err) {
		conv_seterr(c, "listen", -err);
		fuse_reply_err(req, -err);
		return true;
	}
	of = calloc(1, sizeof(*of));
	if (!of) {
		nc->held = false;
		conv_maybe_free(nc);
		fuse_reply_err(req, ENOMEM);
		return true;
	}
	of->type = Qctl;
	ofile_link(fs, of);
	conv_attach(nc, of);
	fi->fh = (uintptr_t)of;
	fi->direct_io = 1;
	fi->nonseekable = 1;
	if (fuse_reply_open(req, fi) != 0)
		ofile_free(fs, of);
	return true;
}

void sock_listen_open(fuse_req_t req, struct conv *c, struct fuse_file_info *fi)
{
	struct preq *pr;

	if (try_accept(req, c, fi, fi->flags & O_NONBLOCK))
		return;
	pr = preq_new(req, P_LISTEN, NULL);
	if (!pr) {
		preq_refuse(req, c, "open listen");
		return;
	}
	pr->conv = c;
	pr->fi = *fi;
	/* An open file of listen does not exist yet, but the conv must stay
	 * while someone waits on it. */
	preq_park(&c->waiters, pr);
}

/* --- wakeups --- */

/* retry answers every parked request the socket can now answer, oldest
 * first; those it cannot stay parked. */
void conv_wakeup_now(struct conv *c)
{
	struct preq *pr, *next;

	/* A non-blocking connect has ended: record how, as a blocking one
	 * would have (held on success, the cause in err on failure).  The
	 * error itself stays for the next read or write to report. */
	if (c->connecting[0] && !c->dnsq && (!c->sock || c->sock->state != SS_CONNECTING)) {
		if (c->sock && c->sock->state == SS_CONNECTED)
			c->held = true;
		else if (c->dns_err && !c->waiters)
			c->dns_err = 0;	/* err has the lookup's sentence; sk_err its errno */
		else
			conv_seterr(c, c->connecting, c->sock && c->sock->sk && c->sock->sk->sk_err ?
				    c->sock->sk->sk_err : ECONNREFUSED);
		c->connecting[0] = 0;
	}

	for (pr = c->waiters; pr; pr = next) {
		bool done = false;
		next = pr->next;
		switch (pr->op) {
		case P_READ:
			done = try_read(pr->req, c, pr->size, false);
			break;
		case P_WRITE:
			done = try_write(pr->req, c, pr->wbuf, pr->wlen, &pr->wdone, false);
			break;
		case P_CONNECT:
			done = try_connect(pr, c);
			break;
		case P_LISTEN:
			done = try_accept(pr->req, c, &pr->fi, false);
			break;
		}
		if (done) {
			preq_unlink(pr);
			preq_free(pr);
		}
	}
	for (struct ofile *of = c->files; of; of = of->next)
		if (of->ph) {
			fuse_lowlevel_notify_poll(of->ph);
			fuse_pollhandle_destroy(of->ph);
			of->ph = NULL;
		}
}

static void conv_wakeup(struct socket *sock)
{
	struct conv *c = sock->owner;

	conv_wakeup_now(c);
	conv_maybe_free(c);
}

/* conv_dns_done: the name of "connect NAME PORT" was looked up; connect
 * to its first address (IPv4's, else IPv6's: a name with no A record is
 * asked for AAAA once IPv6 runs), or fail the command with the lookup's
 * sentence. */
void conv_dns_done(void *arg, const struct dns_result *res)
{
	struct conv *c = arg;
	union inet_sockaddr sa = { .sin = { .sin_family = AF_INET, .sin_port = htons(c->dns_port) } };
	struct dns_result now;
	int err;

	c->dnsq = NULL;
	if (res->err == -ENODATA && c->dns_qtype == DNS_T_A && c->sock && inet6_enabled(c->sock->net)) {
		char name[DNS_TEXT_MAX + 1];
		/* The name is the command's second word (unless the kept
		 * text was cut short: then ENODATA stands). */
		if (strlen(c->dnscmd) < 90 && sscanf(c->dnscmd, "connect %254s", name) == 1) {
			char *bang = strchr(name, '!');
			if (bang)
				*bang = 0;
			c->dns_qtype = DNS_T_AAAA;
			err = dns_resolve(c->sock->net, name, DNS_T_AAAA, conv_dns_done, c, &now, &c->dnsq);
			if (err == -EINPROGRESS)
				return;
			res = &now;
		}
	}
	if (res->err) {
		err = -res->err;
		snprintf(c->err, sizeof(c->err), "%.90s: %.95s", c->dnscmd, res->why);
	} else if (!c->sock) {
		err = EPIPE;
		conv_seterr(c, c->dnscmd, err);
	} else {
		if (res->naddrs) {
			sa.sin.sin_addr.s_addr = res->addrs[0];
		} else {
			memset(&sa, 0, sizeof(sa));
			sa.sin6.sin6_family = AF_INET6;
			sa.sin6.sin6_port = htons(c->dns_port);
			memcpy(&sa.sin6.sin6_addr, res->addrs6[0], 16);
		}
		err = -c->sock->ops->connect(c->sock, &sa);
		if (err == 0)
			c->held = true;
		else if (err == EINPROGRESS)
			err = 0;	/* the handshake: try_connect waits for it */
		else
			conv_seterr(c, c->dnscmd, err);
	}
	if (err) {
		c->dns_err = err;
		if (c->sock && c->sock->sk && !c->waiters)
			c->sock->sk->sk_err = err;	/* a non-blocking connect: data reports it */
	}
	conv_wakeup_now(c);
	conv_maybe_free(c);
}

/* --- text files --- */

/* show_addr: "ADDR PORT", IPv6 in RFC 5952's text (inet_ntop's). */
static void show_addr(struct strbuf *sb, const union inet_sockaddr *a)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->sin6.sin6_addr, ip, sizeof(ip));
		sb_printf(sb, "%s %u\n", ip, ntohs(a->sin6.sin6_port));
		return;
	}
	sb_printf(sb, "%s %u\n", inet_ntoa_r(a->sin.sin_addr.s_addr, ip), ntohs(a->sin.sin_port));
}

void show_conv_file(struct strbuf *sb, struct conv *c, int type)
{
	union inet_sockaddr a;
	char buf[2048];	/* info: ~60 keys, up to 20 digits each */

	switch (type) {
	case Qlocal:
	case Qremote:
		if (!c->sock || c->sock->ops->getname(c->sock, &a, type == Qremote)) {
			/* Unset: the wildcard of the socket's family. */
			memset(&a, 0, sizeof(a));
			a.sa.sa_family = c->sock && c->sock->sk &&
				c->sock->sk->sk_family == AF_INET6 ? AF_INET6 : AF_INET;
		}
		show_addr(sb, &a);
		break;
	case Qstatus:
		if (!c->sock) {
			sb_printf(sb, "Closed\n");
			break;
		}
		if (c->dnsq) {	/* connect NAME PORT, before the connect */
			sb_printf(sb, "Resolving cmd %s\n", c->dnscmd);
			break;
		}
		c->sock->ops->status(c->sock, buf, sizeof(buf));
		sb_printf(sb, "%s", buf);
		break;
	case Qerr:
		if (c->err[0])
			sb_printf(sb, "%s\n", c->err);
		break;
	case Qinfo:
		if (!c->sock || !c->sock->ops->info) {
			sb_printf(sb, "state 7\n");	/* closed: Linux's TCP_CLOSE */
			break;
		}
		c->sock->ops->info(c->sock, buf, sizeof(buf));
		sb_printf(sb, "%s", buf);
		break;
	}
}

void show_proto_stats(struct strbuf *sb, struct impfs *fs, struct protodir *p)
{
	const struct net *net = &fs->net;

	if (p->protocol == IPPROTO_TCP) {
#define X(n) sb_printf(sb, #n ": %llu\n", (unsigned long long)net->tcpstats.n);
		TCPSTATS(X)
#undef X
	} else if (p->protocol == IPPROTO_UDP) {
#define X(n) sb_printf(sb, #n ": %llu\n", (unsigned long long)net->udpstats.n);
		UDPSTATS(X)
#undef X
	} else if (p->protocol == IPPROTO_ICMP) {
#define X(n) sb_printf(sb, #n ": %llu\n", (unsigned long long)net->icmpstats.n);
		ICMPSTATS(X)
#undef X
	} else if (p->protocol == IPPROTO_ICMPV6) {
#define X(n) sb_printf(sb, #n ": %llu\n", (unsigned long long)net->ipv6.icmp6.n);
		ICMP6STATS(X)
#undef X
	}
	int n = 0;
	for (int i = 0; i < p->nconv; i++)
		n += p->conv[i] != NULL;
	sb_printf(sb, "Sockets: %d\n", n);
}

void sockfs_shutdown(struct impfs *fs)
{
	/* After unmount the kernel sends no release: close what is open. */
	while (fs->open_files)
		ofile_free(fs, fs->open_files);
	for (int i = 0; i < NPROTO; i++) {
		struct protodir *p = &fs->proto[i];
		for (int x = 0; x < p->nconv; x++) {
			struct conv *c = p->conv[x];
			if (!c)
				continue;
			if (c->dnsq)
				dns_cancel(c->dnsq);
			if (c->sock) {
				/* SPEC §5: a stopping daemon resets its connections. */
				c->sock->ops->close(c->sock, true);
				sock_release(c->sock);
			}
			for (struct preq *pr = c->waiters, *next; pr; pr = next) {
				next = pr->next;
				fuse_reply_err(pr->req, EINTR);
				preq_free(pr);
			}
			free(c);
		}
		free(p->conv);
		p->conv = NULL;
		p->nconv = 0;
	}
}
