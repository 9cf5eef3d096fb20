/* socket.c: the calls that make, name and end the state of a socket.
 *
 * socket and accept open a new socket's ctl and data files; connect, bind,
 * listen and shutdown are one ctl command each; getsockname, getpeername
 * and SO_ERROR (so_error) read what the daemon says in N/local, N/remote,
 * N/status and N/err.  Any descriptor that is not an imp socket goes to
 * the real call.
 */
#include "impc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- socket ------------------------------------------------------------- */

/* sk_open: the new socket a fresh ctl names (of tcp|udp/new, or of N/listen
 * for accept): reads its number N, opens N/data with the SOCK_NONBLOCK and
 * SOCK_CLOEXEC of flags, and sets up *skp, not yet in the table.  The data
 * descriptor, or -errno with ctl closed (after a "hangup" if hangup: a
 * connection accepted that is not to be kept). */
static int sk_open(int ctl, int proto, int flags, bool hangup, struct sk **skp)
{
	char path[PATH_MAX], buf[32];
	struct sk *sk;
	int n, data, e;
	ssize_t r;

	ctl = move_high(ctl);
	r = real_read(ctl, buf, sizeof(buf) - 1);
	if (r <= 0) {
		e = r < 0 ? errno : EIO;
		real_close(ctl);
		return -e;
	}
	buf[r] = 0;
	n = atoi(buf);
	if (!(sk = sk_new(proto, n))) {
		real_close(ctl);
		return -ENOMEM;
	}
	sk->ctl = ctl;
	snprintf(path, sizeof(path), "%s/%s/%d/data", root, pname[proto], n);
	data = open(path, O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0) |
		    (flags & SOCK_CLOEXEC ? O_CLOEXEC : 0));
	if (data < 0) {
		e = errno;
		if (hangup)
			ctl_cmd(sk, false, "hangup");
		real_close(ctl);
		sk_free(sk);
		return -e;
	}
	if (fd_path(data, path, sizeof(path)) == 0)
		sk->path = strdup(path);
	try_autoclose(sk);
	*skp = sk;
	return data;
}

/* sk_enter puts a new socket in the table: its ctl, and data. */
static void sk_enter(struct sk *sk, int data)
{
	pthread_mutex_lock(&lock);
	ent_set(sk->ctl, E_CTL, sk);
	ent_set(data, E_SOCK, sk);
	pthread_mutex_unlock(&lock);
}

EXPORT int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), proto;
	char path[PATH_MAX];
	int ctl, data, e;
	struct sk *sk;

	NEED(socket);
	if (domain != AF_INET && domain != AF_INET6)
		return real_socket(domain, type, protocol);
	if (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
		proto = P_TCP;
	else if (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
		proto = P_UDP;
	else if (base == SOCK_STREAM || base == SOCK_DGRAM || base == SOCK_RAW)
		return fail(EPROTONOSUPPORT);
	else
		return fail(ESOCKTNOSUPPORT);
	root_get();

	snprintf(path, sizeof(path), "%s/%s/new/ctl", root, pname[proto]);
	ctl = open(path, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		e = errno;
		if (e == ENOENT || e == ENOTDIR || e == ENOTCONN) {
			static int warned;
			if (!warned++)
				fprintf(stderr, "libimpc: %s: %s (is impfs mounted at IMP_ROOT=%s?)\n",
					path, strerror(e), root);
			e = EAFNOSUPPORT;
		}
		return fail(e);
	}
	data = sk_open(ctl, proto, type, false, &sk);
	if (data < 0)
		return fail(-data);
	sk->family = domain;
	sk_enter(sk, data);
	return data;
}

/* ---- connect, bind, listen, accept ------------------------------------------ */

/* errno_of_text maps the end of an err sentence ("connect 10.0.0.9 81:
 * connection refused") back to its errno; 0 if it names none. */
static int errno_of_text(const char *text)
{
	const char *why = strrchr(text, ':');
	char buf[200];
	size_t n;

	why = why ? why + 1 : text;
	while (*why == ' ')
		why++;
	snprintf(buf, sizeof(buf), "%s", why);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	if (!n)
		return 0;
	for (int e = 1; e < 134; e++) {
		const char *s = strerror(e);
		if (s && !strcasecmp(s, buf))
			return e;
	}
	if (!strcasecmp(buf, "interrupted"))
		return EINTR;
	return 0;
}

/* so_error: what SO_ERROR says for sk (and clears). */
int so_error(struct sk *sk)
{
	char word[32], line[512], err[200];
	int e;

	if (sk_status(sk, word, sizeof(word), line, sizeof(line)) < 0)
		return 0;
	if (is_syn(word))
		return 0;
	if (strcmp(word, "Closed")) {
		if (sk->flags & F_CONNECTING) {
			sk->flags &= ~F_CONNECTING;
			sk->flags |= F_CONNECTED;
		}
		return 0;
	}
	if (sk_read_file(sk, "err", err, sizeof(err)) < 0)
		err[0] = 0;
	if (!err[0] || !strcmp(err, sk->lasterr))
		e = 0;
	else
		e = errno_of_text(err);
	snprintf(sk->lasterr, sizeof(sk->lasterr), "%s", err);
	if (sk->flags & F_CONNECTING) {
		/* A connect that failed: say why, even if err does not. */
		sk->flags &= ~F_CONNECTING;
		if (!e || e == EINPROGRESS || e == EALREADY) {
			/* The data file knows: a read gives the error. */
			int nb = sk_nb(sk);
			char c;
			e = ECONNREFUSED;
			if (nb >= 0 && real_read(nb, &c, 1) < 0 && errno != EAGAIN)
				e = errno;
			/* that read wrote err anew: it is reported now */
			if (sk_read_file(sk, "err", err, sizeof(err)) >= 0)
				snprintf(sk->lasterr, sizeof(sk->lasterr), "%s", err);
		}
	}
	if (e == EINPROGRESS || e == EALREADY)
		e = 0;
	return e;
}

/* connect_wait: a blocking connect waits for the handshake's end. */
static int connect_wait(struct sk *sk, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int ms = timeo_ms(&sk->sndtimeo);
	char word[32];

	NEED(poll);
	for (;;) {
		int r = real_poll(&p, 1, ms);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EINPROGRESS;
		if (sk_status(sk, word, sizeof(word), NULL, 0) == 0 && is_syn(word))
			continue;
		return -so_error(sk);
	}
}

EXPORT int connect(int fd, __CONST_SOCKADDR_ARG uaddr, socklen_t len)
{
	const struct sockaddr *addr = uaddr.__sockaddr__;
	struct sockaddr_in6 sa;
	struct sk *sk;
	char ip[ADDR_TEXT];
	int e;
	bool nonblock;

	NEED(connect);
	if (!(sk = sk_get(fd)))
		return real_connect(fd, addr, len);
	if ((e = get_sa(sk, addr, len, &sa)) != 0)
		goto out;
	if (sk->family == AF_INET6 && addr->sa_family == AF_INET &&
	    (sk->proto == P_TCP || sk->v6only)) {
		/* Linux's TCP wants sockaddr_in6 (the length is looked at
		 * first); UDP takes sockaddr_in but for IPV6_V6ONLY */
		e = sk->proto == P_TCP && len < 24 ? -EINVAL : -EAFNOSUPPORT;
		goto out;
	}
	if (sk->v6only && is_v4(&sa.sin6_addr)) {
		e = -ENETUNREACH;	/* IPV6_V6ONLY: no IPv4, mapped or not */
		goto out;
	}
	if (sk->proto == P_TCP) {
		if (sk->flags & F_LISTEN) {
			e = -EISCONN;
			goto out;
		}
		if (sk->flags & F_CONNECTED) {
			e = -EISCONN;
			goto out;
		}
		if (sk->flags & F_CONNECTING) {
			char word[32];
			if (sk_status(sk, word, sizeof(word), NULL, 0) == 0 && is_syn(word)) {
				e = -EALREADY;
			} else {
				e = -so_error(sk);	/* 0: connected now */
			}
			goto out;
		}
	}
	nonblock = fd_nonblock(fd);
	/* TCP connects without waiting in the daemon (O_NONBLOCK on ctl), and
	 * a blocking socket waits here, on its data file, as Linux's connect
	 * does: a signal interrupts the wait (EINTR) and the handshake goes
	 * on; SO_SNDTIMEO bounds it (EINPROGRESS). */
	e = ctl_cmd(sk, nonblock || sk->proto == P_TCP, "connect %s %u", addr_text(&sa, ip),
		    ntohs(sa.sin6_port));
	if (e == 0 || e == -EINPROGRESS) {
		sk->peer = sa;
		sk->flags |= e ? F_CONNECTING : F_CONNECTED;
	}
	if (e == -EINPROGRESS && !nonblock)
		e = connect_wait(sk, fd);
out:
	sk_put(sk);
	return e ? fail(-e) : 0;
}

EXPORT int bind(int fd, __CONST_SOCKADDR_ARG uaddr, socklen_t len)
{
	const struct sockaddr *addr = uaddr.__sockaddr__;
	struct sockaddr_in6 sa;
	struct sk *sk;
	char ip[ADDR_TEXT];
	int e;

	NEED(bind);
	if (!(sk = sk_get(fd)))
		return real_bind(fd, addr, len);
	if ((e = get_sa(sk, addr, len, &sa)) == 0) {
		if (sk->family == AF_INET6 && addr->sa_family != AF_INET6)
			e = len < 24 ? -EINVAL : -EAFNOSUPPORT;	/* Linux's inet6_bind */
		else if (sk->flags & F_BOUND)
			e = -EINVAL;
		else if (sk->v6only && is_v4(&sa.sin6_addr))
			e = -EINVAL;	/* Linux: a mapped address under IPV6_V6ONLY */
		else
			e = ctl_cmd(sk, false, "bind %s %u", local_text(sk, &sa, ip),
				    ntohs(sa.sin6_port));
		if (e == 0) {
			sk->bound = sa;
			sk->flags |= F_BOUND;
		}
	}
	sk_put(sk);
	return e ? fail(-e) : 0;
}

EXPORT int listen(int fd, int backlog)
{
	struct sk *sk;
	char ip[ADDR_TEXT];
	int e = 0;

	NEED(listen);
	if (!(sk = sk_get(fd)))
		return real_listen(fd, backlog);
	if (sk->proto != P_TCP) {
		e = -EOPNOTSUPP;
	} else if (sk->flags & (F_CONNECTED | F_CONNECTING)) {
		e = -EINVAL;
	} else if (!(sk->flags & F_LISTEN)) {
		if (backlog < 1)
			backlog = 1;
		if (backlog > 4096)
			backlog = 4096;
		struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
		const struct sockaddr_in6 *at = &any;
		/* An AF_INET socket listens on IPv4 only (0.0.0.0), an
		 * AF_INET6 one on both families or IPv6 only (local_text). */
		if (sk->flags & F_BOUND)
			at = &sk->bound;
		else if (sk->family == AF_INET)
			any.sin6_addr.s6_addr[10] = any.sin6_addr.s6_addr[11] = 0xff;
		e = ctl_cmd(sk, false, "announce %s %u %d", local_text(sk, at, ip),
			    ntohs(at->sin6_port), backlog);
		if (e == 0)
			sk->flags |= F_LISTEN;
	}
	sk_put(sk);
	return e ? fail(-e) : 0;
}

static int do_accept(int fd, struct sockaddr *addr, socklen_t *alen, int flags)
{
	char path[PATH_MAX];
	struct sk *sk, *nsk = NULL;
	struct sockaddr_in6 sa;
	int mctl, data, e = 0;

	if (!(sk = sk_get(fd)))
		return -ENOTSOCK;	/* not reached: callers check */
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
		e = -EINVAL;
		goto out;
	}
	if (sk->proto != P_TCP) {
		e = -EOPNOTSUPP;
		goto out;
	}
	if (sk_path(path, sizeof(path), sk, "listen")) {
		e = -ENAMETOOLONG;
		goto out;
	}
	mctl = open(path, O_RDWR | O_CLOEXEC | (fd_nonblock(fd) ? O_NONBLOCK : 0));
	if (mctl < 0) {
		e = -errno;
		goto out;
	}
	xfcntl(mctl, F_SETFL, xfcntl(mctl, F_GETFL, 0) & ~O_NONBLOCK);
	data = sk_open(mctl, P_TCP, flags, true, &nsk);
	if (data < 0) {
		e = data;
		goto out;
	}
	nsk->flags |= F_CONNECTED;
	nsk->family = sk->family;
	nsk->v6only = sk->v6only;
	/* Options a listening socket passes on, as Linux's do. */
	nsk->nodelay = sk->nodelay;
	nsk->keepalive = sk->keepalive;
	nsk->rcvlowat = sk->rcvlowat;	/* the daemon's child has the listener's */
	if (nsk->nodelay)
		ctl_cmd(nsk, false, "nodelay on");
	if (nsk->keepalive && sk->keepidle)
		ctl_cmd(nsk, false, "keepalive %d", sk->keepidle * 1000);
	else if (nsk->keepalive)
		ctl_cmd(nsk, false, "keepalive");
	if (sk_addr(nsk, "remote", &sa) == 0)
		nsk->peer = sa;
	else
		memset(&sa, 0, sizeof(sa)), sa.sin6_family = AF_INET6;
	put_addr(nsk, &sa, addr, alen);
	sk_enter(nsk, data);
	e = data;
out:
	sk_put(sk);
	return e;
}

static bool is_ours(int fd)
{
	struct sk *sk = sk_get(fd);

	if (sk)
		sk_put(sk);
	return sk != NULL;
}

EXPORT int accept4(int fd, __SOCKADDR_ARG uaddr, socklen_t *alen, int flags)
{
	struct sockaddr *addr = uaddr.__sockaddr__;
	int r;

	NEED(accept4);
	r = real_accept4(fd, addr, alen, flags);
	if (r >= 0 || errno != ENOTSOCK || !is_ours(fd))
		return r;
	r = do_accept(fd, addr, alen, flags);
	return r < 0 ? fail(-r) : r;
}

EXPORT int accept(int fd, __SOCKADDR_ARG uaddr, socklen_t *alen)
{
	struct sockaddr *addr = uaddr.__sockaddr__;
	int r;

	NEED(accept);
	r = real_accept(fd, addr, alen);
	if (r >= 0 || errno != ENOTSOCK || !is_ours(fd))
		return r;
	r = do_accept(fd, addr, alen, 0);
	return r < 0 ? fail(-r) : r;
}

/* ---- names ------------------------------------------------------------------ */

EXPORT int getsockname(int fd, __SOCKADDR_ARG uaddr, socklen_t *alen)
{
	struct sockaddr *addr = uaddr.__sockaddr__;
	struct sockaddr_in6 sa;
	struct sk *sk;
	int e;

	NEED(getsockname);
	if (!(sk = sk_get(fd)))
		return real_getsockname(fd, addr, alen);
	if (!addr || !alen)
		e = -EFAULT;
	else if ((e = sk_addr(sk, "local", &sa)) == 0)
		put_addr(sk, &sa, addr, alen);
	sk_put(sk);
	return e ? fail(-e) : 0;
}

EXPORT int getpeername(int fd, __SOCKADDR_ARG uaddr, socklen_t *alen)
{
	struct sockaddr *addr = uaddr.__sockaddr__;
	struct sockaddr_in6 sa;
	struct sk *sk;
	int e;

	NEED(getpeername);
	if (!(sk = sk_get(fd)))
		return real_getpeername(fd, addr, alen);
	if (!addr || !alen)
		e = -EFAULT;
	else if ((e = sk_addr(sk, "remote", &sa)) == 0) {
		if (sa.sin6_port == 0 || (sk->flags & F_LISTEN))
			e = -ENOTCONN;
		else
			put_addr(sk, &sa, addr, alen);
	}
	sk_put(sk);
	return e ? fail(-e) : 0;
}

EXPORT int shutdown(int fd, int how)
{
	static const char *const hows[] = { "rd", "wr", "rdwr" };
	struct sk *sk;
	int e;

	NEED(shutdown);
	if (!(sk = sk_get(fd)))
		return real_shutdown(fd, how);
	if (how < SHUT_RD || how > SHUT_RDWR)
		e = -EINVAL;
	else
		e = ctl_cmd(sk, false, "shutdown %s", hows[how]);
	sk_put(sk);
	return e ? fail(-e) : 0;
}

