/* The TCP tests' fixtures (test_tcp_open, test_tcp_data, test_tcp_loss,
 * test_tcp_close): the test plays the peer of one connection, sends crafted
 * segments and checks the exact segment the stack answers with (or that it
 * answers nothing).  Time is the test's: every timer is checked to the
 * microsecond.
 *
 * The stack is OUR_IP (MTU 1500, so it offers MSS 1460), the peer PEER_IP. */
#ifndef IMP_TCPTEST_H
#define IMP_TCPTEST_H

#include <errno.h>
#include <string.h>

#include "testlib.h"
#include "sock.h"

#define PPORT 40000		/* the peer's port */
#define LPORT 5000		/* ours, when the test chooses it */
#define MS 1000ull

extern uint8_t frame[ETH_HLEN + 65536];	/* the peer's segments are built here */
extern uint8_t pat[1 << 16];		/* what the stack sends */
extern uint8_t ppat[1 << 16];		/* what the peer sends */
extern uint8_t buf[1 << 16];		/* what the test reads */

/* One connection, as the peer sees it. */
struct conn {
	struct env *e;
	struct socket *s;
	uint16_t lport, pport;	/* host order */
	uint32_t iss;		/* the stack's ISN */
	uint32_t irs;		/* the peer's ISN */
	uint32_t snd;		/* the peer's next sequence number (the stack's rcv_nxt) */
	uint32_t ack;		/* what the peer acknowledges */
	uint16_t win;		/* the window field the peer sends */
	bool ts;		/* timestamps on */
	uint32_t tsval;		/* the peer's timestamp clock */
	uint32_t tsecr;		/* the stack's newest TSval */
	unsigned int wakes;
};

struct open_opts {
	int mss;		/* the peer's MSS option; 0: none */
	int wscale;		/* the peer's window scale; -1: none */
	bool ts;		/* the peer offers timestamps */
	bool sackok;
	uint32_t irs;		/* the peer's ISN */
	uint16_t lport;		/* bind to this first; 0: ephemeral */
	uint64_t rtt;		/* time between our SYN and the SYN-ACK */
	uint16_t win;		/* the SYN-ACK's window */
	int rcvbuf;		/* SOCKOPT_RCVBUF before connect; 0: default */
};

/* The peer offers window scale 0, so that the stack may offer its whole
 * 2 MB buffer (scaled by 6) and small reads need no window update. */
extern const struct open_opts PLAIN;	/* MSS 1460, WS 0 */
extern const struct open_opts WITH_TS;	/* and timestamps */
extern const struct open_opts NOWS;	/* MSS 1460 only */

static inline struct tcp_sock *tpof(struct conn *c) { return tcp_sk(c->s->sk); }
/* The stack's next sequence number as the peer has seen it. */
static inline uint32_t snd_nxt(struct conn *c) { return tpof(c)->snd_nxt; }

/* Every test runs between env_setup and tcp_teardown; the teardown lets go
 * of every socket still held (tcp_socket, track), so that a failed check
 * that ended a test early leaks nothing valgrind would see. */
#define TCP_TEST(f) cmocka_unit_test_setup_teardown(f, env_setup, tcp_teardown)
int tcp_teardown(void **state);
struct socket *track(struct socket *s);
/* rel: sock_release, and no longer held. */
void rel(struct socket *s);

/* A new TCP socket, held. */
struct socket *tcp_socket(struct env *e);
/* A held TCP socket bound to port and listening. */
struct socket *tcp_listener(struct env *e, uint16_t port, int backlog);
long send_bytes(struct socket *s, const void *data, size_t len);
/* status_is: the status line starts with the state word. */
void status_is(struct socket *s, const char *word);

/* The peer's segments.  inject_opt: a segment of the connection with
 * exactly these options (optlen a multiple of 4). */
void inject_opt(struct conn *c, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
		const void *opt, size_t optlen, const void *data, size_t dlen);
/* inject_ts: one with the given window and timestamp value (the TS option
 * only when c->ts, echoing c->tsecr). */
void inject_ts(struct conn *c, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
	       uint32_t tsval, const void *data, size_t dlen);
/* inject: the same with the peer's window and clock. */
void inject(struct conn *c, uint32_t seq, uint32_t ack, uint8_t flags,
	    const void *data, size_t dlen);
/* peer_send: the peer's next segment, acknowledging c->ack. */
void peer_send(struct conn *c, uint8_t flags, const void *data, size_t dlen);
/* peer_ack: a bare ACK of everything up to ack. */
void peer_ack(struct conn *c, uint32_t ack);
/* syn_opts builds the peer's handshake options from o into b. */
size_t syn_opts(uint8_t *b, const struct open_opts *o, uint32_t tsval, uint32_t tsecr);

/* What the stack sends.  expect_keep: the next frame is a segment of this
 * connection with exactly these flags, seq, ack (0 when no ACK) and dlen
 * bytes of data (equal to data unless NULL); *out gets it when not NULL. */
void expect_keep(struct conn *c, uint8_t flags, uint32_t seq, uint32_t ack,
		 const void *data, size_t dlen, struct tcp_seen *out);
void expect(struct conn *c, uint8_t flags, uint32_t seq, uint32_t ack,
	    const void *data, size_t dlen);
/* expect_ack: a bare ACK at seq of everything the peer sent (c->snd). */
void expect_ack(struct conn *c, uint32_t seq);
/* expect_ack_win: the same, offering window win. */
void expect_ack_win(struct conn *c, uint32_t seq, uint16_t win);
/* A retransmission: PSH may or may not be set on it. */
void expect_rexmit(struct conn *c, uint32_t seq, uint32_t ack, const void *data, size_t dlen);
void expect_none(struct conn *c);
/* quiet_until: nothing is sent until just before t; the clock is then t. */
void quiet_until(struct conn *c, uint64_t t);
/* expect_at: nothing until t, then at t this segment, acknowledging c->snd. */
void expect_at(struct conn *c, uint64_t t, uint8_t flags, uint32_t seq,
	       const void *data, size_t dlen);
/* send_push: a write of len bytes goes at once as one segment at seq with
 * PSH, acknowledging c->snd. */
void send_push(struct conn *c, uint32_t seq, const void *data, size_t len);
/* close_fin: a graceful close sends the FIN at seq at once. */
void close_fin(struct conn *c, uint32_t seq);

/* Wakeups: wakes_reset runs the pending ones and forgets them; wakes_seen
 * runs them and checks that the socket had at least one. */
void wakes_reset(struct conn *c);
void wakes_seen(struct conn *c);

/* conn_init: the peer's side of a connection to our lport, no socket yet. */
void conn_init(struct env *e, struct conn *c, uint16_t lport);
/* conn_new: the same with a new socket counting its wakeups (lport 0 until
 * the SYN tells it). */
void conn_new(struct env *e, struct conn *c);
/* conn_syn_sent: conn_new, bound to o->lport (if any), with o->rcvbuf (if
 * any), connecting to PEER_IP:PPORT; its SYN popped and checked. */
void conn_syn_sent(struct env *e, struct conn *c, const struct open_opts *o);
/* conn_synack: in SYN_SENT, o->rtt later, the peer's SYN-ACK as o says, up
 * to ESTABLISHED and the stack's ACK of it. */
void conn_synack(struct conn *c, const struct open_opts *o);
/* conn_connect: an active open answered by the peer as o says, up to
 * ESTABLISHED and the stack's ACK of the SYN-ACK. */
void conn_connect(struct env *e, struct conn *c, const struct open_opts *o);
/* pop_synack: the next frame is a SYN-ACK (*sa gets it). */
void pop_synack(struct env *e, struct tcp_seen *sa);
/* conn_accept: a passive open: a listener on LPORT, the peer's SYN with
 * the options of o, the SYN-ACK, the ACK, accept.  The listener is let go
 * once the connection is accepted. */
void conn_accept(struct env *e, struct conn *c, const struct open_opts *o);
/* conn_free aborts what is left of the connection (so that no orphan goes
 * on sending into the next part of a test) and lets the socket go. */
void conn_free(struct conn *c);
/* read_expect: exactly len bytes are readable now, and they are want. */
void read_expect(struct conn *c, const void *want, size_t len);

#endif
