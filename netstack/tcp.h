/* TCP (RFC 9293), with RFC 7323 (window scale, timestamps), RFC 6298
 * (retransmission timer), RFC 5681 and RFC 6582 (congestion control,
 * NewReno), RFC 5961 (challenge ACKs), RFC 6528 (ISNs), RFC 1122.
 *
 * Files as BSD and Linux divide them:
 *   tcp.c         the user side: open, close, send, receive, status
 *   tcp_input.c   segment arrival, the state machine of RFC 9293 §3.10.7
 *   tcp_output.c  segments out: data, ACKs, SYNs, RSTs, the window we offer
 *   tcp_timer.c   retransmission, delayed ACK, persist, keepalive, TIME_WAIT
 *   tcp_subr.c    tables of connections, ports, ISNs, options, the byte rings
 *   tcp_syncookie.c  SYN cookies (RFC 4987 §3.6): the stateless SYN-ACK
 */
#ifndef IMP_TCP_H
#define IMP_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "sock.h"
#include "timer.h"

struct net;

struct tcphdr {
	uint16_t source, dest;
	uint32_t seq, ack_seq;
	uint8_t doff_res;		/* data offset << 4 */
	uint8_t flags;
	uint16_t window, check, urg_ptr;
} __attribute__((packed));

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

/* States, numbered as RFC 9293 lists them; names as Plan 9 prints them. */
enum tcp_state {
	TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECV, TCP_ESTABLISHED,
	TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
	TCP_TIME_WAIT
};

/* Sequence arithmetic modulo 2^32 (RFC 9293 §3.4). */
static inline bool before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool between(uint32_t lo, uint32_t x, uint32_t hi) /* lo <= x <= hi */
{
	return hi - lo >= x - lo;
}

/* A byte ring: the send buffer (from snd_una) or the receive buffer. */
struct byte_ring {
	unsigned char *buf;
	uint32_t cap, head, len;
	bool mapped;			/* buf is an mmap (munmap it), else malloc */
	uint64_t *charge;		/* what len is added to: net->mem.buffered */
};

#define TCP_MIN_RTO_US 200000u
#define TCP_MAX_RTO_US 60000000u
#define TCP_INIT_RTO_US 1000000u
#define TCP_SYN_LOST_RTO_US 3000000u	/* after a SYN had to be sent again */
#define TCP_DELACK_US 40000u		/* Linux's minimum; RFC 1122 allows 500 ms */
#define TCP_FIN_TIMEOUT_US 60000000ull	/* an orphan in FIN_WAIT2 */
#define TCP_KEEPALIVE_PROBES 9
#define TCP_KEEPALIVE_INTVL_US 75000000ull
#define TCP_DEFAULT_MSS 536		/* when the peer sends none */
#define TCP_INIT_CWND 10		/* segments, RFC 6928 */
#define TCP_DEFAULT_RCVBUF (2u << 20)
#define TCP_DEFAULT_SNDBUF (2u << 20)
#define TCP_MAX_WSCALE 14
#define TCP_OOO_MAX 4096		/* out-of-order segments held, at most */
#define TCP_PERSIST_MAX_US 60000000u

/* RFC 4022 names, then counters of our own. */
#define TCPSTATS(X) X(ActiveOpens) X(PassiveOpens) X(AttemptFails) \
	X(EstabResets) X(CurrEstab) X(InSegs) X(OutSegs) X(RetransSegs) \
	X(InErrs) X(OutRsts) X(InCsumErrors) X(InBadHeader) X(InNoSocket) \
	X(ChallengeAcks) X(ChallengeAcksLimited) X(PawsDrops) X(OutOfWindow) \
	X(DupAcks) X(FastRetrans) X(Timeouts) X(ZeroWindowProbes) \
	X(KeepaliveProbes) X(OfoQueued) X(OfoDrops) X(ListenOverflows) \
	X(DelayedAcks) X(BadOptions) X(LostRetransmits) X(SackBlocks) \
	X(SackBlocksBad) X(DSacks) X(RackLost) X(RackReoTimeouts) X(TlpProbes) \
	X(TlpRecoveries) X(SackRecoveries) X(HystartExits) X(SpuriousUndos) \
	X(ListenDrops) X(SyncookiesSent) X(SyncookiesRecv) X(SyncookiesFailed) \
	X(MemoryPressures) X(OfoMemDrops) X(RcvMemDrops) X(SndMemWaits) \
	X(ScoreboardFull)
struct tcpstats {
#define X(n) uint64_t n;
	TCPSTATS(X)
#undef X
};

#define TCP_MAX_SACKS 4		/* blocks an option can carry without timestamps */

/* SYN cookies (tcp_syncookie.c), as Linux's net.ipv4.tcp_syncookies:
 * mode 0 never (a SYN past a full SYN queue is dropped), 1 when a
 * listener's SYN queue is full (the default), 2 for every SYN.  The key
 * comes from getrandom at start-up, not from net_random, whose outputs
 * (ephemeral ports, a random MAC) anyone can see. */
struct tcp_syncookies {
	uint8_t mode;
	uint64_t key[2];
};
#define TCP_COOKIE_PERIOD_US 64000000ull	/* the cookie's clock ticks once a period */
#define TCP_COOKIE_MAX_AGE 1		/* periods a cookie outlives its own: 64-128 s */
#define TCP_COOKIE_TSBITS 5		/* low TSval bits that carry the SYN's options */

/* What a cookie SYN-ACK says, built from the SYN alone (no sock). */
struct tcp_cookie_req {
	struct inet_addr saddr, daddr;	/* ours, the peer's */
	uint16_t sport, dport;		/* network order */
	uint32_t iss, rcv_nxt;		/* the cookie; the peer's ISN + 1 */
	uint16_t advmss, window;
	uint8_t rcv_wscale, ttl, tos;
	bool wscale_ok, sack_ok, tstamp_ok;
	uint32_t tsval, tsecr;
};

/* CUBIC's state (RFC 9438 §4), windows in bytes. */
struct tcp_cubic {
	uint64_t epoch_start;		/* µs; 0: the next ACK in avoidance starts one */
	double w_max, w_last_max, k, w_est, cwnd_epoch;
};

/* HyStart++ (RFC 9406 §4): slow start ends on a rise in the round's RTT. */
struct tcp_hystart {
	uint32_t window_end;		/* the round ends when this is acked */
	uint32_t last_round_min, cur_round_min, css_baseline;	/* µs; UINT32_MAX none */
	uint32_t samples;
	uint8_t css_rounds;		/* rounds in conservative slow start; 0: not in it */
	bool done;			/* slow start is over for this connection */
};

/* A run of sequence space sent as one segment or GSO burst: its send
 * time, and what the peer and RACK said of it. */
struct tcp_txrec {
	uint32_t start, end;
	uint64_t sent;			/* µs, the latest transmission */
	uint8_t flags;
};
#define TXR_SACKED 1
#define TXR_LOST 2			/* marked lost, not yet sent again */
#define TXR_RETRANS 4			/* sent again (and again in flight) */
#define TXR_EVER_RETRANS 8
#define TCP_TXQ_MAX 4096		/* records (96 KiB); past it, no SACK splits one */

struct tcp_txq {
	struct tcp_txrec *rec;		/* [head, n) in sequence order */
	uint32_t head, n, cap;
	uint64_t *full;			/* counts the times the cap said no: tcpstats' */
};

struct tcp_options {
	bool saw_mss, saw_wscale, saw_tstamp, saw_sackok;
	uint16_t mss;
	uint8_t wscale;
	uint32_t tsval, tsecr;
};

/* SACK blocks of an ACK, host order (RFC 2018 §3). */
struct tcp_sack_opt {
	unsigned int n;
	struct { uint32_t start, end; } b[TCP_MAX_SACKS];
};

struct tcp_sock {
	struct sock sk;			/* first: a tcp_sock is a sock */
	/* send sequence variables (RFC 9293 §3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_window;		/* largest window the peer offered */
	uint8_t snd_wscale;
	/* receive sequence variables */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_adv;	/* rcv_adv: right edge offered */
	uint8_t rcv_wscale;
	uint32_t last_ack_sent;
	/* options */
	uint16_t mss;			/* the most data we put in a segment */
	uint16_t advmss;		/* what we said we take */
	bool wscale_ok, tstamp_ok;
	bool sack_ok;			/* both offered SACK-permitted (RFC 2018) */
	uint32_t ts_recent, ts_offset;
	uint64_t ts_recent_stamp;
	/* congestion control (tcp_cong.c) */
	uint32_t cwnd, ssthresh, recover, dupacks;
	bool in_recovery;		/* fast recovery, NewReno's or SACK's */
	bool in_loss;			/* after a timeout, until snd_una passes recover (SACK) */
	struct tcp_cubic cubic;
	struct tcp_hystart hystart;
	uint32_t prr_delivered, prr_out, recover_fs;	/* PRR (RFC 6937), bytes */
	/* Undo (RFC 3708's idea, as Linux's tcp_try_undo_dsack): the window
	 * before a reduction, given back if D-SACKs show that every
	 * retransmission of the episode was needless. */
	uint32_t undo_marker;		/* snd_una when the episode began; 0 none */
	int32_t undo_retrans;		/* its retransmissions not D-SACKed yet */
	uint32_t prior_cwnd, prior_ssthresh;
	struct tcp_cubic prior_cubic;
	/* The sender's scoreboard (tcp_recovery.c): what is out, with the
	 * peer's SACKs, RACK's clock (RFC 8985) and the tail loss probe. */
	struct tcp_txq txq;
	uint32_t sacked_out, lost_out;	/* bytes SACKed; bytes marked lost, not yet resent */
	uint32_t fack;			/* the highest SACKed sequence number (end) */
	uint64_t rack_xmit_ts;		/* when the newest delivered segment was sent */
	uint32_t rack_end_seq, rack_rtt, min_rtt;
	bool reordering_seen;
	uint8_t reo_wnd_mult, reo_wnd_persist;	/* RFC 8985 §6.2 step 4: D-SACKs widen it */
	uint32_t dsack_round;		/* snd_max at the last widening: once per round */
	uint32_t tlp_high_seq;		/* snd_max when the probe went; 0 none out */
	bool tlp_outstanding, tlp_retrans;
	uint8_t tlp_probes;		/* probes since the last ACK that delivered something */
	/* Delivery rate: bytes acked or SACKed over at least an RTT. */
	uint64_t delivered, rate_acc, rate_stamp, delivery_rate;	/* rate: bytes/s */
	uint64_t lost_total, dsacks;	/* bytes RACK marked lost; D-SACKs heard */
	uint16_t trace_readers;		/* open trace files: events formatted only then */
	uint32_t segs_out, segs_in, data_segs_out, data_segs_in;	/* TCP_INFO's, wire segments */
	struct timer_list rack_timer, tlp_timer;
	struct timer_list tlp_verdict_timer;	/* waits for a probe's D-SACK */
	/* Lost retransmission detection: duplicate ACKs since snd_una was last
	 * resent, and how many segments were out beyond it then. */
	uint32_t rexmit_dupacks, rexmit_out;
	/* round trip (µs) */
	uint32_t srtt, rttvar, rto;
	uint32_t rtt_seq;		/* timing this sequence number (no timestamps) */
	uint64_t rtt_start;
	bool rtt_timing;
	unsigned int backoff;		/* RTO doublings since the last good ACK */
	unsigned int retransmits, total_retrans;
	unsigned int syn_retries, max_retries;
	/* buffers */
	struct byte_ring sndq;		/* bytes from snd_una on */
	struct byte_ring rcvq;		/* in-order bytes not yet read */
	struct sk_buff_head ofo;	/* out of order, sorted by seq */
	/* SACK blocks we report (RFC 2018 §4): what ofo holds, as ranges, the
	 * most recently changed first; and a D-SACK (RFC 2883) for the next
	 * ACK when a segment came twice. */
	struct tcp_sack_block { uint32_t start, end; } sack[TCP_MAX_SACKS], dsack;
	uint8_t nsack;
	bool dsack_pending;
	bool fin_queued;		/* the user closed: FIN after sndq */
	bool fin_sent, fin_rcvd;	/* fin_sent: sent at least once */
	uint32_t fin_seq;		/* our FIN's sequence number, once sent */
	/* acknowledgement */
	uint32_t ack_pending;		/* bytes received and not yet ACKed */
	bool ack_now;
	/* On net's list of ACKs to send when the receive batch is over. */
	bool ack_queued;
	struct tcp_sock *ack_next;
	/* settings */
	bool nodelay;
	bool sws_override;		/* the persist timer says: fill the small window */
	bool keepalive;
	uint64_t keepalive_idle;	/* µs */
	unsigned int keepalive_sent;
	uint64_t last_rcv;		/* µs, for keepalive */
	uint64_t persist_backoff;
	/* timers */
	struct timer_list rexmit_timer, delack_timer, persist_timer, keepalive_timer,
		timewait_timer;
	bool orphan;			/* released by its socket, finishing alone */
	bool eof_seen;			/* the user read the peer's FIN as end of file */
	bool user_closed;		/* close was asked: FIN_WAIT2 does not wait forever */
	unsigned int syn_pending;	/* a listener's children still in SYN_RECV */
	/* A listener: when its SYN queue last overflowed (and, with cookies
	 * on, it answered with one).  Only for a while after that is a bare
	 * ACK to it checked as a cookie (Linux's "recent overflow"). */
	bool synq_overflowed;
	uint64_t synq_overflow_stamp;	/* µs */
	/* A child made from a cookie: its SYN-ACK's send time is unknown, so
	 * the handshake gives no RTT sample. */
	bool synack_untimed;
	uint64_t msl;			/* µs */
	/* Socket options (TCP_MAXSEG, TCP_KEEPINTVL, TCP_KEEPCNT,
	 * TCP_USER_TIMEOUT, SO_RCVLOWAT, TCP_CONGESTION) and what TCP_INFO
	 * reports; 0 is the default everywhere. */
	uint16_t user_mss;		/* the most we advertise and send; 0: the route's */
	uint8_t ca;			/* congestion control: an index of tcp_ca_names */
	uint64_t keepalive_intvl;	/* µs between probes; 0: min(idle, 75 s) */
	unsigned int keepalive_probes;	/* unanswered probes before ETIMEDOUT; 0: 9 */
	uint64_t user_timeout;		/* µs sent data may stay unacknowledged; 0: no limit */
	uint64_t ut_start;		/* when the data now being retransmitted went out */
	uint64_t probe_start;		/* when the window was found shut (persist) */
	uint32_t rcvlowat;		/* bytes a read and poll wait for; 0: 1 */
	uint64_t acked_hi, rcvd_hi;	/* bytes acked and received: the 2^32 wraps */
	uint32_t acked_lo, rcvd_lo;	/* and the low part when last seen */
};

static inline struct tcp_sock *tcp_sk(struct sock *sk) { return (struct tcp_sock *)sk; }
/* The IP and TCP headers a segment of sk carries before its options:
 * what the MTU less this is the MSS (IPv6's header is 40 bytes). */
static inline unsigned int tcp_net_hdrlen(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 ? 60u : 40u;
}

/* tcp_subr.c */
void tcp_init(struct net *net);
void tcp_cleanup(struct net *net);
int tcp_get_port(struct sock *sk, uint16_t port);
void tcp_hash(struct sock *sk);
void tcp_unhash(struct sock *sk);
struct sock *tcp_lookup(struct net *net, uint32_t saddr, uint16_t sport,
			uint32_t daddr, uint16_t dport);
struct sock *tcp_lookup_addr(struct net *net, const struct inet_addr *saddr, uint16_t sport,
			     const struct inet_addr *daddr, uint16_t dport);
uint32_t tcp_isn(struct net *net, uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport);
uint32_t tcp_ts_off(struct net *net, uint32_t saddr, uint32_t daddr);
uint32_t tcp_isn_addr(struct net *net, const struct inet_addr *saddr, uint16_t sport,
		      const struct inet_addr *daddr, uint16_t dport);
uint32_t tcp_ts_off_addr(struct net *net, const struct inet_addr *saddr, const struct inet_addr *daddr);
uint64_t tcp_siphash(const uint64_t *m, unsigned int n, const uint64_t key[2]);
int tcp_parse_options(const struct tcphdr *th, unsigned int hlen, bool syn, struct tcp_options *opt);
/* bring_init: an empty ring of cap bytes whose length is charged to
 * *charge (NULL: to nothing). */
int bring_init(struct byte_ring *r, uint32_t cap, uint64_t *charge);
void bring_free(struct byte_ring *r);
uint32_t bring_write(struct byte_ring *r, const void *data, uint32_t len);
void bring_copy_out(const struct byte_ring *r, uint32_t off, void *dst, uint32_t len);
void bring_consume(struct byte_ring *r, uint32_t len);
void bring_clear(struct byte_ring *r);
static inline uint32_t bring_space(const struct byte_ring *r) { return r->cap - r->len; }
void tcp_set_state(struct sock *sk, int state);
const char *tcp_state_name(int state);
void tcp_done(struct sock *sk);
void tcp_drop_half_open(struct sock *sk);
void tcp_destroy_sock(struct sock *sk);
struct tcp_sock *tcp_create_child(struct sock *parent);

/* tcp_mem.c: the cap on bytes buffered by all connections. */
uint32_t tcp_mem_room(struct net *net);
uint32_t tcp_mem_send_room(struct net *net);
bool tcp_mem_send_full(const struct net *net);
bool tcp_mem_ofo_ok(struct net *net, uint32_t len);
void tcp_mem_rcv_drop(struct net *net);
void tcp_mem_check(struct net *net);
void tcp_ofo_purge(struct tcp_sock *tp);

/* tcp_output.c */
int tcp_transmit(struct sock *sk, uint32_t seq, uint32_t len, uint8_t flags);
void tcp_write_xmit(struct sock *sk);
void tcp_send_ack(struct sock *sk);
void tcp_send_delayed_ack(struct sock *sk);
void tcp_flush_acks(struct net *net);
void tcp_ack_dequeue(struct tcp_sock *tp);
void tcp_send_syn(struct sock *sk);
void tcp_send_synack(struct sock *sk);
void tcp_send_active_reset(struct sock *sk);
void tcp_send_reset(struct net *net, struct sk_buff *skb);
void tcp_send_challenge_ack(struct sock *sk);
void tcp_send_probe(struct sock *sk, bool keepalive);
int tcp_retransmit_una(struct sock *sk);
uint32_t tcp_select_window(struct sock *sk);
void tcp_window_update(struct sock *sk);
uint32_t tcp_flight(const struct tcp_sock *tp);

/* tcp_input.c */
void tcp_v4_rcv(struct sk_buff *skb);
void tcp_v4_err(struct sk_buff *skb, int type, int code, uint32_t info);
/* TCP over IPv6: the NEXTHDR_TCP handler, and an ICMPv6 error about a
 * segment we sent (ip6 its header, l4 what is quoted of the rest; mtu
 * for a packet too big, else 0). */
struct ipv6hdr;
void tcp_v6_rcv(struct sk_buff *skb);
void tcp_v6_err(struct net *net, const struct ipv6hdr *ip6, const unsigned char *l4,
		unsigned int l4len, int err, uint32_t mtu);

/* tcp_syncookie.c */
void tcp_syncookie_init(struct net *net);
/* The cookie for a SYN (addresses and ports network order, as the SYN
 * has them: saddr the peer's), encoding the peer's MSS; *mss gets the
 * MSS it stands for (the table's value at or below the peer's). */
uint32_t tcp_cookie_make(struct net *net, uint32_t saddr, uint32_t daddr, uint16_t sport,
			 uint16_t dport, uint32_t peer_isn, uint16_t peer_mss, uint16_t *mss);
/* 0 and the MSS the cookie stands for, or -1: forged, or expired. */
int tcp_cookie_check(struct net *net, uint32_t saddr, uint32_t daddr, uint16_t sport,
		     uint16_t dport, uint32_t peer_isn, uint32_t cookie, uint16_t *mss);
/* The same for either family (the two above are IPv4's). */
uint32_t tcp_cookie_make_addr(struct net *net, const struct inet_addr *saddr,
			      const struct inet_addr *daddr, uint16_t sport, uint16_t dport,
			      uint32_t peer_isn, uint16_t peer_mss, uint16_t *mss);
int tcp_cookie_check_addr(struct net *net, const struct inet_addr *saddr,
			  const struct inet_addr *daddr, uint16_t sport, uint16_t dport,
			  uint32_t peer_isn, uint32_t cookie, uint16_t *mss);
/* The SYN's window scale (-1: none) and SACK-permitted in a TSval, and
 * back from the TSecr that echoes it. */
uint32_t tcp_cookie_tsval(uint32_t tsval, int wscale, bool sack_ok);
void tcp_cookie_ts_decode(uint32_t tsecr, int *wscale, bool *sack_ok);
int tcp_cookie_synack(struct net *net, const struct tcp_cookie_req *req);

/* tcp_timer.c */
void tcp_init_timers(struct tcp_sock *tp);
void tcp_clear_timers(struct tcp_sock *tp);
void tcp_reset_rexmit_timer(struct sock *sk);
void tcp_rearm_keepalive(struct sock *sk);
void tcp_enter_timewait(struct sock *sk);
void tcp_rtt_sample(struct tcp_sock *tp, uint32_t rtt_us);

/* tcp_cong.c: congestion control, chosen per socket by tp->ca. */
enum { TCP_CA_CUBIC, TCP_CA_RENO };	/* 0, CUBIC, the default */
void tcp_cong_init(struct tcp_sock *tp);
uint32_t tcp_cong_ssthresh(struct tcp_sock *tp);	/* a loss: the new ssthresh */
void tcp_cong_on_ack(struct tcp_sock *tp, uint32_t acked);	/* outside recovery */
void tcp_cong_rtt(struct tcp_sock *tp, uint32_t rtt_us);	/* HyStart++ */
void tcp_cubic_loss(struct tcp_cubic *c, uint32_t cwnd, uint32_t mss);
uint32_t tcp_cubic_avoid(struct tcp_cubic *c, uint32_t cwnd, uint32_t mss, uint32_t acked,
			 uint64_t now, uint32_t rtt_us);
void tcp_prr_init(struct tcp_sock *tp);
void tcp_prr_ack(struct tcp_sock *tp, uint32_t delivered, uint32_t pipe);

/* tcp_recovery.c: the scoreboard, SACK as a sender, RACK-TLP. */
uint32_t tcp_pipe(const struct tcp_sock *tp);
int tcp_txq_check(const struct tcp_sock *tp);
void tcp_txq_sent(struct tcp_sock *tp, uint32_t seq, uint32_t end, bool rexmit);
void tcp_txq_free(struct tcp_sock *tp);
void tcp_sack_ack(struct sock *sk, uint32_t prior_flight, const struct tcp_sack_opt *sacks,
		  uint32_t tsecr);
void tcp_sack_timeout(struct sock *sk);
int tcp_sack_retransmit(struct sock *sk, uint32_t *room);
void tcp_tlp_arm(struct sock *sk);
void tcp_recovery_init_timers(struct tcp_sock *tp);
void tcp_recovery_clear_timers(struct tcp_sock *tp);
int tcp_parse_sack(const struct tcphdr *th, unsigned int hlen, struct tcp_sack_opt *out);

/* tcp_trace: an event of the connection for its trace file readers. */
void tcp_trace(struct sock *sk, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tcp_trace_end(struct sock *sk);
void tcp_rate_delivered(struct tcp_sock *tp, uint32_t bytes);

/* tcp.c */
struct tcp_sack_counts { uint32_t sacked, lost, retrans; };
struct tcp_sack_counts tcp_sack_counts(const struct tcp_sock *tp);
extern const char *const tcp_ca_names[];	/* congestion control, by index; NULL ends */
int tcp_ca_find(const char *name);		/* its index, or -ENOENT */
extern const struct proto tcp_prot;
extern const struct proto_ops inet_stream_ops;

#endif
