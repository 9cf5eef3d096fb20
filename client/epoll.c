/* epoll.c: epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait
 * and epoll_pwait2.
 *
 * The kernel's epoll watches the data file, but bytes read ahead (MSG_PEEK,
 * bulk read-ahead) have left it: they are in struct sk, where the kernel
 * cannot see them, so a program that waits for them would wait forever.
 * poll and select are told of them (poll.c); epoll_wait must be too, and
 * since it is given only a set, not the descriptors, the library keeps its
 * own copy of what each set holds of our sockets: one struct epreg per
 * registration (epoll_ctl ADD, MOD, DEL), listed both by set and by socket,
 * gone when the set's last descriptor closes or the socket's does (as the
 * kernel drops a registration when its file is released).
 *
 * A wait on a set whose sockets hold bytes asks the kernel without waiting
 * and adds EPOLLIN for each of them, within maxevents and once per
 * descriptor, as the kernel would for bytes it holds: every call while they
 * are held (level-triggered), once per arrival (EPOLLET: an arrival is bytes
 * coming into struct sk), once until EPOLL_CTL_MOD (EPOLLONESHOT).  The
 * registrations whose socket holds bytes are on the set's ready list, so a
 * wait costs nothing more when none does.
 *
 * EPOLLONESHOT needs one more thing: when the kernel reports such a
 * registration, the kernel's copy is disarmed, and ours must be too, or the
 * bytes held later would be reported where Linux reports nothing; and when
 * we report it, the kernel's own report that may follow must be dropped.
 * The kernel tells an event by the program's data only, so those
 * registrations are in a table by data (a program gives each registration
 * its own data, or could not tell its events apart either).
 *
 * Bulk read-ahead may go on for a socket in a set (ep_ra_ok), except while
 * a thread is inside the kernel's wait on one of its sets (the bytes would
 * come in behind that wait, which would not wake), and once the process has
 * put an epoll descriptor inside another set (the outer set's waits cannot
 * see into the inner one): then it stays off, as it always did before.
 */
#include "impc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

atomic_int ep_nregs;
static atomic_bool ep_nested;	/* an epoll descriptor was added to a set */

#define IN_EVENTS (EPOLLIN | EPOLLRDNORM)

/* ---- sets and registrations (under lock) ------------------------------------ */

static struct epset *ep_new(void)
{
	struct epset *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return NULL;
	ep->all.next = ep->all.prev = &ep->all;
	ep->ready.rnext = ep->ready.rprev = &ep->ready;
	ep->refs = 1;
	return ep;
}

/* The set epfd is, made if need be (a set we did not see made: inherited
 * through exec); NULL if there is no memory or epfd is something else. */
static struct epset *ep_of(int epfd)
{
	struct ent *e = ent_at(epfd, true);

	if (!e)
		return NULL;
	if (e->kind == E_EPOLL)
		return e->ep;
	if (e->kind != E_NONE || !(e->ep = ep_new()))
		return NULL;
	e->kind = E_EPOLL;
	return e->ep;
}

static unsigned hslot(const struct epset *ep, uint64_t data)
{
	return (unsigned)((data * 0x9E3779B97F4A7C15ull) >> (64 - ep->hbits));
}

/* hash_add: r (EPOLLONESHOT) into the table by data, which doubles when it
 * is as full as it has slots.  With no memory to grow it keeps its size; with
 * none at all r stays out and the kernel's reports of it are not seen. */
static void hash_add(struct epset *ep, struct epreg *r)
{
	if (ep->noneshot >= (ep->hbits ? 1u << ep->hbits : 0)) {
		unsigned bits = ep->hbits ? ep->hbits + 1 : 4;
		struct epreg **h = calloc((size_t)1 << bits, sizeof(*h));
		if (h) {
			unsigned old = ep->hbits ? 1u << ep->hbits : 0;
			struct epreg **oh = ep->hash;
			ep->hash = h;
			ep->hbits = bits;
			for (unsigned i = 0; i < old; i++)
				for (struct epreg *q = oh[i], *nq; q; q = nq) {
					nq = q->hnext;
					q->hnext = h[hslot(ep, q->ev.data.u64)];
					h[hslot(ep, q->ev.data.u64)] = q;
				}
			free(oh);
		}
	}
	if (!ep->hash)
		return;
	r->hnext = ep->hash[hslot(ep, r->ev.data.u64)];
	ep->hash[hslot(ep, r->ev.data.u64)] = r;
	ep->noneshot++;
}

static void hash_del(struct epset *ep, struct epreg *r)
{
	if (!ep->hash)
		return;
	for (struct epreg **pp = &ep->hash[hslot(ep, r->ev.data.u64)]; *pp; pp = &(*pp)->hnext)
		if (*pp == r) {
			*pp = r->hnext;
			r->hnext = NULL;
			ep->noneshot--;
			return;
		}
}

static void ready_off(struct epreg *r)
{
	if (!r->rnext)
		return;
	r->rprev->rnext = r->rnext;
	r->rnext->rprev = r->rprev;
	r->rnext = r->rprev = NULL;
}

/* ready_on: to the tail, so that a set whose waits take fewer events than
 * it has ready takes each in turn, as the kernel's ready list does. */
static void ready_on(struct epreg *r)
{
	struct epreg *h = &r->ep->ready;

	if (r->rnext)
		return;
	r->rprev = h->rprev;
	r->rnext = h;
	h->rprev->rnext = r;
	h->rprev = r;
}

static void reg_free(struct epreg *r)
{
	for (struct epreg **pp = &r->sk->regs; *pp; pp = &(*pp)->snext)
		if (*pp == r) {
			*pp = r->snext;
			break;
		}
	r->prev->next = r->next;
	r->next->prev = r->prev;
	ready_off(r);
	if (r->ev.events & EPOLLONESHOT)
		hash_del(r->ep, r);
	free(r);
	atomic_fetch_sub(&ep_nregs, 1);
}

static struct epreg *reg_find(struct epset *ep, struct sk *sk, int fd)
{
	for (struct epreg *r = sk->regs; r; r = r->snext)
		if (r->ep == ep && r->fd == fd)
			return r;
	return NULL;
}

/* reg_set: r takes the events and data the program gave (ADD, MOD): armed
 * again, and what the socket holds reported once more, as the kernel polls
 * the file anew on ADD and MOD. */
static void reg_set(struct epreg *r, const struct epoll_event *ev)
{
	if (r->ev.events & EPOLLONESHOT)
		hash_del(r->ep, r);
	r->ev = *ev;
	r->disarmed = false;
	r->et_pending = true;
	if (r->ev.events & EPOLLONESHOT)
		hash_add(r->ep, r);
	if (r->sk->peeked)
		ready_on(r);
}

static void reg_add(struct epset *ep, struct sk *sk, int fd, const struct epoll_event *ev)
{
	struct epreg *r = calloc(1, sizeof(*r));

	if (!r)
		return;	/* no memory: that socket's held bytes go unseen, as before */
	r->ep = ep;
	r->sk = sk;
	r->fd = fd;
	r->snext = sk->regs;
	sk->regs = r;
	r->next = &ep->all;
	r->prev = ep->all.prev;
	ep->all.prev->next = r;
	ep->all.prev = r;
	atomic_fetch_add(&ep_nregs, 1);
	sk->flags |= F_EPOLL;
	reg_set(r, ev);
}

void ep_put(struct epset *ep)
{
	if (--ep->refs > 0)
		return;
	while (ep->all.next != &ep->all)
		reg_free(ep->all.next);
	free(ep->hash);
	free(ep);
}

void ep_sk_gone(struct sk *sk)
{
	if (atomic_load(&ep_nregs) == 0)
		return;
	pthread_mutex_lock(&lock);
	while (sk->regs)
		reg_free(sk->regs);
	pthread_mutex_unlock(&lock);
}

void ep_held_changed(struct sk *sk)
{
	for (struct epreg *r = sk->regs; r; r = r->snext)
		if (sk->peeked)
			ready_on(r);
		else
			ready_off(r);
}

void ep_arrived(struct sk *sk)
{
	for (struct epreg *r = sk->regs; r; r = r->snext)
		r->et_pending = true;
}

/* reportable: r's socket holds bytes (it is on the ready list) and r is
 * to be told so now. */
static bool reportable(const struct epreg *r)
{
	return (r->ev.events & IN_EVENTS) && !r->disarmed &&
	       (!(r->ev.events & EPOLLET) || r->et_pending);
}

bool ep_readable(struct epset *ep)
{
	for (struct epreg *r = ep->ready.rnext; r != &ep->ready; r = r->rnext)
		if (reportable(r))
			return true;
	return false;
}

bool ep_ra_ok(struct sk *sk)
{
	bool ok = !atomic_load(&ep_nested);

	pthread_mutex_lock(&lock);
	for (struct epreg *r = sk->regs; ok && r; r = r->snext)
		if (r->ep->waiters)
			ok = false;
	pthread_mutex_unlock(&lock);
	return ok;
}

/* ---- epoll_create, epoll_ctl -------------------------------------------------- */

/* ep_created: fd is a new epoll set.  Known from the start, so that adding
 * it to another set is seen (ep_nested); a set left at that number by a
 * close we did not see is stale, and goes. */
static int ep_created(int fd)
{
	struct ent *e;

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&lock);
	e = ent_at(fd, true);
	if (e && e->kind == E_EPOLL) {
		ep_put(e->ep);
		e->kind = E_NONE;
		e->ep = NULL;
	}
	if (e && e->kind == E_NONE && (e->ep = ep_new()))
		e->kind = E_EPOLL;
	pthread_mutex_unlock(&lock);
	return fd;
}

EXPORT int epoll_create(int size)
{
	NEED(epoll_create);
	return ep_created(real_epoll_create(size));
}

EXPORT int epoll_create1(int flags)
{
	NEED(epoll_create1);
	return ep_created(real_epoll_create1(flags));
}

/* epoll_ctl: the kernel's, then, if it took it and fd is one of our
 * sockets, our copy of the registration. */
EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct ent *e = ent_at(fd, false);
	struct epset *ep;
	struct sk *sk;
	struct epreg *r;
	int res;

	NEED(epoll_ctl);
	res = real_epoll_ctl(epfd, op, fd, ev);
	if (res != 0)
		return res;
	if (e && e->kind == E_EPOLL && op == EPOLL_CTL_ADD) {
		atomic_store(&ep_nested, true);
		return 0;
	}
	/* ADD looks the descriptor up for good (an inherited socket is
	 * adopted); MOD and DEL, which come often, only in the table. */
	if (op == EPOLL_CTL_ADD)
		sk = sk_get(fd);
	else if (e && e->kind == E_SOCK)
		sk = sk_get(fd);
	else
		sk = NULL;
	if (!sk)
		return 0;
	pthread_mutex_lock(&lock);
	ep = ep_of(epfd);
	r = ep ? reg_find(ep, sk, fd) : NULL;
	if (op == EPOLL_CTL_DEL) {
		if (r)
			reg_free(r);
	} else if (ep && ev) {
		/* ADD over one of ours: the kernel had none, so ours was
		 * stale.  MOD of one we never saw (made before an exec): we
		 * learn it now. */
		if (r)
			reg_set(r, ev);
		else
			reg_add(ep, sk, fd, ev);
	}
	pthread_mutex_unlock(&lock);
	sk_put(sk);
	return 0;
}

/* ---- the waits ------------------------------------------------------------------ */

enum { W_WAIT, W_PWAIT, W_PWAIT2 };
struct wait {
	int kind, epfd;
	const sigset_t *mask;
};

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* w_real: the kernel's wait of the kind asked, for at most tmo ns (-1: no
 * limit), in the caller's own unit (ms rounded up, or a timespec). */
static int w_real(const struct wait *w, struct epoll_event *evs, int max, long long tmo)
{
	int ms;

	if (w->kind == W_PWAIT2) {
		struct timespec ts = { (time_t)(tmo / 1000000000LL), (long)(tmo % 1000000000LL) };
		if (!real_epoll_pwait2)
			return fail(ENOSYS);
		return real_epoll_pwait2(w->epfd, evs, max, tmo < 0 ? NULL : &ts, w->mask);
	}
	ms = tmo < 0 ? -1 : tmo / 1000000 >= INT_MAX ? INT_MAX : (int)((tmo + 999999) / 1000000);
	if (w->kind == W_WAIT)
		return real_epoll_wait(w->epfd, evs, max, ms);
	return real_epoll_pwait(w->epfd, evs, max, ms, w->mask);
}

/* kernel_seen: the kernel's n events, against the set's EPOLLONESHOT
 * registrations.  One it reports is disarmed here too (and told of the bytes
 * held, as the kernel tells all a file's readiness in one event); one
 * disarmed here already is disarmed on Linux, and its event is dropped.
 * Returns how many were dropped. */
static int kernel_seen(struct epset *ep, struct epoll_event *evs, int *n)
{
	int j = 0, dropped = 0;

	if (!ep->noneshot)
		return 0;
	for (int i = 0; i < *n; i++) {
		struct epreg *match = NULL, *armed = NULL;
		for (struct epreg *r = ep->hash[hslot(ep, evs[i].data.u64)]; r; r = r->hnext)
			if (r->ev.data.u64 == evs[i].data.u64) {
				match = r;
				if (!r->disarmed && !armed)
					armed = r;
			}
		if (match && !armed) {
			dropped++;
			continue;
		}
		if (armed) {
			armed->disarmed = true;
			if (armed->rnext) {
				evs[i].events |= armed->ev.events & IN_EVENTS;
				armed->et_pending = false;
			}
		}
		evs[j++] = evs[i];
	}
	*n = j;
	return dropped;
}

/* add_held: EPOLLIN for the set's sockets that hold bytes: into the kernel's
 * event for the same registration if there is one, else as an event of its
 * own while there is room.  Those reported go to the tail of the ready list. */
static int add_held(struct epset *ep, struct epoll_event *evs, int n, int max)
{
	struct epreg *r, *next, *last = ep->ready.rprev;

	for (r = ep->ready.rnext; r != &ep->ready; r = next) {
		bool end = r == last;
		uint32_t in = r->ev.events & IN_EVENTS;
		int j;

		next = r->rnext;
		if (in && !r->disarmed) {
			for (j = 0; j < n && evs[j].data.u64 != r->ev.data.u64; j++)
				;
			if (j < n || (reportable(r) && n < max)) {
				if (j < n) {
					evs[j].events |= in;
				} else {
					evs[n].events = in;
					evs[n].data = r->ev.data;
					n++;
				}
				r->et_pending = false;
				if (r->ev.events & EPOLLONESHOT)
					r->disarmed = true;
				ready_off(r);
				ready_on(r);
			}
		}
		if (end)
			break;
	}
	return n;
}

/* A wait under way on a set: undone when it ends, or when the thread is
 * cancelled inside the kernel's wait (a cancellation point), so that the
 * set is not kept, nor read-ahead held off, by a thread that is gone. */
struct waiting {
	struct epset *ep;
	bool waiter;
};

/* Under lock. */
static void wait_done(struct waiting *wt)
{
	if (wt->waiter)
		wt->ep->waiters--;
	ep_put(wt->ep);
}

static void wait_end(void *arg)
{
	pthread_mutex_lock(&lock);
	wait_done(arg);
	pthread_mutex_unlock(&lock);
}

/* w_cancellable: w_real, with wt undone if the thread is cancelled in it
 * (apart, since the cleanup's setjmp would have the caller's variables
 * clobbered). */
static int w_cancellable(const struct wait *w, struct epoll_event *evs, int max, long long tmo,
			 struct waiting *wt)
{
	int n, e;

	pthread_cleanup_push(wait_end, wt);
	n = w_real(w, evs, max, tmo);
	e = errno;
	pthread_cleanup_pop(0);
	errno = e;
	return n;
}

/* ep_wait: a wait of at most tmo ns (-1: none) on a set that may hold our
 * sockets. */
static int ep_wait(const struct wait *w, struct epoll_event *evs, int max, long long tmo)
{
	long long end = tmo > 0 ? now_ns() + tmo : 0;

	for (;;) {
		struct ent *e = ent_at(w->epfd, false);
		struct waiting wt;
		struct epset *ep;
		int k = 0, n, err, dropped = 0, reserve;

		pthread_mutex_lock(&lock);
		ep = e && e->kind == E_EPOLL ? e->ep : NULL;
		if (!ep || ep->all.next == &ep->all) {
			pthread_mutex_unlock(&lock);
			return w_real(w, evs, max, tmo);
		}
		for (struct epreg *r = ep->ready.rnext; r != &ep->ready; r = r->rnext)
			k += reportable(r);
		ep->refs++;	/* a close of the set in another thread waits for us */
		wt.ep = ep;
		wt.waiter = !k;
		if (wt.waiter)
			ep->waiters++;
		pthread_mutex_unlock(&lock);

		/* Room kept for what is held here, so that a kernel with a
		 * full ready list does not crowd it out (but one slot at
		 * least for the kernel's). */
		reserve = max > 1 ? (k < max - 1 ? k : max - 1) : 0;
		n = w_cancellable(w, evs, max - reserve, k ? 0 : tmo, &wt);
		err = errno;

		pthread_mutex_lock(&lock);
		if (n >= 0) {
			dropped = kernel_seen(ep, evs, &n);
			n = add_held(ep, evs, n, max);
		}
		wait_done(&wt);
		pthread_mutex_unlock(&lock);
		if (n < 0) {
			errno = err;
			return -1;
		}
		/* Only dropped events woke the kernel's wait: wait on, for
		 * what is left of the time. */
		if (n > 0 || !dropped || tmo == 0)
			return n;
		if (tmo > 0 && (tmo = end - now_ns()) <= 0)
			return 0;
	}
}

EXPORT int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	struct wait w = { W_WAIT, epfd, NULL };

	NEED(epoll_wait);
	if (atomic_load(&ep_nregs) == 0)
		return real_epoll_wait(epfd, evs, max, timeout);
	return ep_wait(&w, evs, max, timeout < 0 ? -1 : timeout * 1000000LL);
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout, const sigset_t *mask)
{
	struct wait w = { W_PWAIT, epfd, mask };

	NEED(epoll_pwait);
	if (atomic_load(&ep_nregs) == 0)
		return real_epoll_pwait(epfd, evs, max, timeout, mask);
	return ep_wait(&w, evs, max, timeout < 0 ? -1 : timeout * 1000000LL);
}

EXPORT int epoll_pwait2(int epfd, struct epoll_event *evs, int max, const struct timespec *tmo,
			const sigset_t *mask)
{
	struct wait w = { W_PWAIT2, epfd, mask };
	long long ns;

	NEED(epoll_pwait2);
	if (!real_epoll_pwait2)
		return fail(ENOSYS);
	/* A bad timespec is the kernel's to refuse, as it is. */
	if (atomic_load(&ep_nregs) == 0 || (tmo && (tmo->tv_sec < 0 || tmo->tv_nsec < 0 ||
						    tmo->tv_nsec >= 1000000000L)))
		return real_epoll_pwait2(epfd, evs, max, tmo, mask);
	if (!tmo)
		ns = -1;
	else if (tmo->tv_sec >= LLONG_MAX / 1000000000LL - 1)
		ns = LLONG_MAX / 2;
	else
		ns = (long long)tmo->tv_sec * 1000000000LL + tmo->tv_nsec;
	return ep_wait(&w, evs, max, ns);
}
