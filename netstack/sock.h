/* struct socket, struct sock, proto_ops and proto: the socket layer as
 * Linux divides it.
 *
 *   struct socket  what the file system holds (Linux: what a file points to);
 *                  its proto_ops are the socket calls, by socket type.
 *   struct sock    the protocol's end point; its proto is the protocol.
 *
 * A request that cannot be answered now (read with nothing queued, a
 * connect in progress) is not waited for here: the caller gets -EAGAIN and
 * parks it, and the stack calls sock_wake when something changed.  Wakeups
 * are delivered later by net_run_wakeups, never from inside the protocol,
 * so a protocol is never re-entered from a wakeup. */
#ifndef IMP_SOCK_H
#define IMP_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "skbuff.h"

struct net;
struct sock;
struct socket;

/* Linux's socket_state. */
typedef enum { SS_UNCONNECTED = 1, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING } socket_state;

/* sk_shutdown bits */
#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

/* poll bits, as poll(2) has them */
#define SOCK_POLLIN 0x001
#define SOCK_POLLOUT 0x004
#define SOCK_POLLERR 0x008
#define SOCK_POLLHUP 0x010

/* A socket address of either family, as the socket calls take and give
 * them (Linux passes a struct sockaddr * and its length): sa.sa_family
 * says which member is meant. */
union inet_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/* An address of either family taken from a packet or a socket, for the
 * lookups, checksums and sends both families share. */
struct inet_addr {
	sa_family_t family;		/* AF_INET or AF_INET6 */
	union {
		uint32_t v4;		/* network order */
		struct in6_addr v6;
	};
};

/* One send or receive.  On receive the protocol points iov at its own
 * buffers (no copy) and keeps them valid until recv_done. */
struct sockmsg {
	union inet_sockaddr name;	/* send: where to (if has_name); recv: from */
	bool has_name;
	uint32_t local;			/* recv: the address it was sent to (IPv4) */
	struct in6_addr local6;		/* the same for IPv6; send: a source asked for */
	int flags;			/* MSG_DONTWAIT, MSG_PEEK */
	const void *data;		/* send */
	struct iovec iov[8];		/* recv */
	int iovcnt;
	void *cookie;			/* the protocol's, between recvmsg and recv_done */
};

/* Options the ctl file sets (SPEC §2), by name rather than SOL/SO numbers. */
enum sockopt { SOCKOPT_SNDBUF, SOCKOPT_RCVBUF, SOCKOPT_TTL, SOCKOPT_TOS,
	       SOCKOPT_KEEPALIVE, SOCKOPT_NODELAY, SOCKOPT_HEADERS,
	       /* TCP's: KEEPALIVE is on (1) or off (0); times in ms */
	       SOCKOPT_KEEPIDLE, SOCKOPT_KEEPINTVL, SOCKOPT_KEEPCNT, SOCKOPT_USER_TIMEOUT,
	       SOCKOPT_MAXSEG, SOCKOPT_RCVLOWAT, SOCKOPT_CONGESTION,
	       SOCKOPT_V6ONLY };

struct proto_ops {
	int (*release)(struct socket *sock);
	/* close and hangup: start a graceful close (FIN after the data) or
	 * abort (RST), without letting go of the socket. */
	int (*close)(struct socket *sock, bool abort);
	/* True once the connection is over by itself (reset, timed out, or
	 * the peer's end of file read), so its holder may let it go. */
	bool (*finished)(struct socket *sock);
	/* An AF_INET6 bind to :: takes both families unless v6only (sk). */
	int (*bind)(struct socket *sock, const union inet_sockaddr *addr);
	/* 0 when connected, -EINPROGRESS while it goes on (wait for a wakeup
	 * and look at sock->state), or -errno. */
	int (*connect)(struct socket *sock, const union inet_sockaddr *addr);
	int (*listen)(struct socket *sock, int backlog);
	/* Takes a waiting connection as a new socket; -EAGAIN if none. */
	int (*accept)(struct socket *sock, struct socket **newsock);
	/* In the socket's family: sockaddr_in6 for an IPv6 or dual one. */
	int (*getname)(struct socket *sock, union inet_sockaddr *addr, bool peer);
	unsigned int (*poll)(struct socket *sock);
	int (*shutdown)(struct socket *sock, int how);	/* SHUT_RD/WR/RDWR */
	/* Returns bytes taken, -EAGAIN when nothing could be, or -errno. */
	long (*sendmsg)(struct socket *sock, struct sockmsg *msg, size_t len);
	/* Returns bytes pointed to by msg->iov (then call recv_done), 0 at
	 * end of file, -EAGAIN when there is nothing, or -errno. */
	long (*recvmsg)(struct socket *sock, struct sockmsg *msg, size_t len);
	void (*recv_done)(struct socket *sock, struct sockmsg *msg, size_t used);
	int (*setsockopt)(struct socket *sock, enum sockopt opt, int val);
	/* A short word for status (Plan 9's state names) and key value pairs. */
	void (*status)(struct socket *sock, char *buf, size_t len);
	/* The info file: numbers only, "key value" pairs (TCP: the fields
	 * of Linux's struct tcp_info).  NULL: the protocol has none. */
	void (*info)(struct socket *sock, char *buf, size_t len);
};

struct socket {
	socket_state state;
	short type;			/* SOCK_STREAM, SOCK_DGRAM */
	short protocol;			/* IPPROTO_* */
	const struct proto_ops *ops;
	struct sock *sk;
	struct net *net;
	/* Set by whoever holds the socket: called (deferred) on any change a
	 * waiter may care about: data, space, connection, error, close. */
	void (*wakeup)(struct socket *sock);
	void *owner;			/* the file system's */
	bool wake_pending;
	struct socket *wake_next;
};

struct proto {
	const char *name;
	size_t obj_size;
	int (*init)(struct sock *sk);
	void (*destroy)(struct sock *sk);
	/* Choose or check the local port; 0 or -EADDRINUSE. */
	int (*get_port)(struct sock *sk, uint16_t port);
	void (*unhash)(struct sock *sk);
	int (*connect)(struct sock *sk, const union inet_sockaddr *addr);
	long (*sendmsg)(struct sock *sk, struct sockmsg *msg, size_t len);
	long (*recvmsg)(struct sock *sk, struct sockmsg *msg, size_t len);
	void (*recv_done)(struct sock *sk, struct sockmsg *msg, size_t used);
	/* A waiting child connection (UDP's listen-per-peer, TCP's accept). */
	struct sock *(*accept)(struct sock *sk);
	void (*status)(struct sock *sk, char *buf, size_t len);
};

struct sock {
	struct net *net;
	struct socket *sk_socket;	/* NULL while a child waits in accept */
	const struct proto *sk_prot;
	int sk_state;			/* the protocol's own state */
	/* inet_sock's addresses, network order. */
	uint32_t inet_saddr;		/* source we send from */
	uint32_t inet_rcv_saddr;	/* local address bound (0 = any) */
	uint32_t inet_daddr;
	uint16_t inet_sport, inet_dport;
	/* Which addresses are meant: AF_INET, the inet_ ones above; AF_INET6,
	 * the sk_v6_ ones (Linux's names).  An AF_INET6 socket bound to ::
	 * takes IPv4 too (a dual listener) unless ipv6only; a connection it
	 * accepts from IPv4 is an AF_INET one. */
	sa_family_t sk_family;
	bool ipv6only;
	struct in6_addr sk_v6_saddr, sk_v6_rcv_saddr, sk_v6_daddr;
	uint8_t ttl, tos;
	bool bound;			/* a port was chosen or asked for */
	bool listening;			/* announced */
	bool headers;			/* udp: Plan 9 headers on each datagram */
	bool hashed;			/* in the protocol's table */
	bool child;			/* made for one peer of an announced socket */
	int sk_err;			/* reported once, then cleared */
	uint8_t sk_shutdown;
	unsigned int sk_rcvbuf, sk_sndbuf;
	struct sk_buff_head sk_receive_queue;
	/* Children waiting to be accepted, oldest first. */
	struct sock *accept_head, *accept_tail, *accept_next, *parent;
	int sk_ack_backlog, sk_max_ack_backlog;
	struct sock *hash_next;		/* in the protocol's table */
};

#define SOCK_DEFAULT_RCVBUF (208u << 10)	/* Linux's rmem_default */
#define SOCK_DEFAULT_SNDBUF (208u << 10)
#define SOCK_MIN_BUF 2048u
#define SOCK_MAX_BUF (64u << 20)

/* socket.c */
struct socket *sock_alloc(struct net *net);
/* sock_create makes a socket of type/protocol (inet_create chooses the
 * protocol from the inetsw table).  0 or -errno. */
int sock_create(struct net *net, int type, int protocol, struct socket **res);
void sock_release(struct socket *sock);
struct sock *sk_alloc(struct net *net, const struct proto *prot);
void sk_free(struct sock *sk);
void sock_graft(struct sock *sk, struct socket *sock);
/* The receive queue of datagrams, charged to the cap on all sockets. */
bool sk_rmem_over(struct sock *sk, unsigned int len);
void sk_rcvq_tail(struct sock *sk, struct sk_buff *skb);
void sk_rcvq_unlink(struct sock *sk, struct sk_buff *skb);
void sk_rcvq_purge(struct sock *sk);
void sk_inherit(struct sock *child, const struct sock *parent);
/* sock_wake asks for sock->wakeup to be called at the next net_run_wakeups. */
void sock_wake(struct socket *sock);
void sk_wake(struct sock *sk);
int sock_error(struct sock *sk);	/* takes sk_err: -errno or 0 */
void sk_accept_enqueue(struct sock *parent, struct sock *child);
struct sock *sk_accept_dequeue(struct sock *parent);
void net_run_wakeups(struct net *net);

/* af_inet.c */
void inet_init(struct net *net);
extern const struct proto_ops inet_dgram_ops;
/* The source for talking to daddr (unless bound to one) and the MTU of
 * the way there; 0, -ENETUNREACH or -EADDRNOTAVAIL. */
int inet_sk_pick_source(struct sock *sk, const struct inet_addr *daddr, unsigned int *mtu);
int inet_bind(struct socket *sock, const union inet_sockaddr *addr);
int inet_autobind(struct sock *sk);
void inet_sk_make_dual(struct sock *sk);
int inet_accept(struct socket *sock, struct socket **newsock);
int inet_getname(struct socket *sock, union inet_sockaddr *addr, bool peer);

/* inet_common.c: what TCP and UDP share for both families. */
bool inet_addr_equal(const struct inet_addr *a, const struct inet_addr *b);
bool inet_addr_any(const struct inet_addr *a);
/* A sockaddr as an inet_addr and port (network order); ::ffff:a.b.c.d
 * is IPv4.  -EAFNOSUPPORT for another family. */
int inet_addr_from_sa(const union inet_sockaddr *sa, struct inet_addr *a, uint16_t *port);
void inet_addr_to_sa(const struct inet_addr *a, uint16_t port, union inet_sockaddr *sa);
/* The source and destination of a received packet (network header set). */
void skb_inet_addrs(const struct sk_buff *skb, struct inet_addr *saddr, struct inet_addr *daddr);
/* A socket's addresses in its family: the source it sends from, the
 * local address it is bound to, the peer. */
void sk_saddr(const struct sock *sk, struct inet_addr *a);
void sk_rcv_saddr(const struct sock *sk, struct inet_addr *a);
void sk_daddr(const struct sock *sk, struct inet_addr *a);
void sk_set_saddr(struct sock *sk, const struct inet_addr *a);
void sk_set_rcv_saddr(struct sock *sk, const struct inet_addr *a);
void sk_set_daddr(struct sock *sk, const struct inet_addr *a);
bool sk_has_daddr(const struct sock *sk);
/* Does sk's local address take a packet to daddr?  -1 no, else a score:
 * 1 for an exact address, 0 for a wildcard. */
int sk_rcv_match(const struct sock *sk, const struct inet_addr *daddr);
/* Is sk connected to saddr:sport from daddr? */
bool sk_conn_match(const struct sock *sk, const struct inet_addr *saddr, uint16_t sport,
		   const struct inet_addr *daddr);
/* Would a and b, on one port, take some of the same packets? */
bool sk_bind_overlap(const struct sock *a, const struct sock *b);
/* The pseudo-header sum of either family, not folded. */
uint32_t inet_pseudo_sum(const struct inet_addr *saddr, const struct inet_addr *daddr,
			 uint32_t len, uint8_t proto, uint32_t sum);
/* inet_xmit sends a transport segment (data at its header) over IPv4 or
 * IPv6; ttl is the hop limit for IPv6.  Takes skb; 0 or -errno. */
int inet_xmit(struct net *net, struct sk_buff *skb, const struct inet_addr *saddr,
	      const struct inet_addr *daddr, uint8_t proto, uint8_t ttl, uint8_t tos, bool df);
/* The route's MTU towards daddr, 0 when there is none. */
unsigned int inet_route_mtu(struct net *net, const struct inet_addr *daddr);
/* Is IPv6 running on some device (then a bare "announce PORT" is dual)? */
bool inet6_enabled(struct net *net);
/* Text of an address, for logs: buf of INET6_ADDRSTRLEN bytes. */
const char *inet_addr_ntop(const struct inet_addr *a, char *buf);
void inet_status(struct socket *sock, char *buf, size_t len);
int inet_setsockopt(struct socket *sock, enum sockopt opt, int val);

#endif
