#!/usr/bin/env bash
# bench/conns.sh: what N established connections cost imp, beside the kernel.
#
#   bash bench/conns.sh [N...]      (default 1000 10000, as root)
#
# For each N, a fresh impfs (--max-sockets N+64) opens N connections to a
# kernel accept-and-hold listener (bench/conns.c), through the files: open
# new/ctl, read, write "connect 10.0.0.1 7000", close, 8 in flight; the
# sockets stay (SPEC §3).  The kernel listener must then hold N established
# connections (ss), and then:
#   imp      the daemon's VmRSS (/proc/PID/status), and the wall time of
#            `ls /imp/tcp` (its line count must be N + 2: new, stats)
#   kernel   the same N connections from another namespace over veth:
#            the growth of Slab in /proc/meminfo with them open, halved (the
#            kernel holds both ends; machine-wide, so approximate), and the
#            wall time of `ss -tn | wc -l` where the clients are
# Targets (issue 8, for 10,000): RSS <= 100 MB, ls under 1 s.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
(($#)) || set -- 1000 10000
for n in "$@"; do
	[[ $n =~ ^[0-9]+$ && $n -gt 0 && $n -le 60000 ]] || bench_die "usage: bench/conns.sh [N...] (1..60000)"
done
bench_need cc ss
bench_enter_ns "$@"

bench_cc conns
bench_veth
PORT=7000
T=180      # seconds to open one set of connections
export LC_ALL=C

# server: a fresh accept-and-hold listener on $PORT.
server() {
	[[ -z ${SRV:-} ]] || kill_hard "$SRV"
	bench_bg "$W/conns" serve $PORT
	SRV=$BG_PID
	wait_listening $PORT || bench_die "the listener did not listen on $PORT"
}
# established: connections the kernel listener holds.
established() { ss -Htn state established "( sport = :$PORT )" | wc -l; }
# wait_ready FILE PID: conns printed "ready" into FILE; die if it exited first.
wait_ready() {
	wait_until $T eval "grep -q ^ready $1 || ! is_alive $2" || bench_die "$3: not all open within $T s"
	grep -q ^ready "$1" || bench_die "$3: failed: $(tail -n 1 "$1")"
}
slab_kb() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

for n in "$@"; do
	# ---- imp ----
	server
	bench_imp_start --max-sockets $((n + 64))
	rss0=$(bench_imp_rss_kb)
	bench_bg timeout $T "$W/conns" imp "$MNT" "$PEER" $PORT "$n" 8 >"$W/imp.out" 2>&1
	wait_ready "$W/imp.out" "$BG_PID" "imp, $n connections"
	wait_until 10 eval '(($(established) >= n))' ||
		bench_die "imp: the kernel holds $(established) established connections, want $n"
	t0=$EPOCHREALTIME
	timeout 60 ls "$MNT/tcp" >/dev/null
	t_ls=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')
	lines=$(timeout 60 ls "$MNT/tcp" | wc -l)
	((lines == n + 2)) || bench_die "imp: ls $MNT/tcp lists $lines lines, want $((n + 2))"
	rss1=$(bench_imp_rss_kb)
	echo "imp, $n connections: opened in $(awk '{ print $2 }' "$W/imp.out") s;" \
		"VmRSS $(mb "$rss0") MB idle, $(mb "$rss1") MB with them; ls $t_ls s ($lines lines)"
	bench_imp_stop

	# ---- kernel ----
	server
	sleep 0.5
	slab0=$(slab_kb)
	bench_bg ip netns exec "$PEER_NS" timeout $T "$W/conns" kernel $VPEER $PORT "$n" >"$W/k.out" 2>&1
	kc=$BG_PID
	wait_ready "$W/k.out" "$kc" "kernel, $n connections"
	wait_until 10 eval '(($(established) >= n))' ||
		bench_die "kernel: the listener holds $(established) established connections, want $n"
	sleep 0.5
	slab1=$(slab_kb)
	# timed inside the namespace, so ip netns exec is not counted
	{ read -r klines; read -r t_ss; } < <(ip netns exec "$PEER_NS" bash -c \
		't0=$EPOCHREALTIME; ss -tn | wc -l; awk -v a="$t0" -v b="$EPOCHREALTIME" "BEGIN { printf \"%.4f\n\", b - a }"')
	((klines >= n)) || bench_die "kernel: ss -tn lists $klines lines, want >= $n"
	kmem=$(mb $(((slab1 - slab0) / 2)))
	echo "kernel, $n connections: opened in $(awk '{ print $2 }' "$W/k.out") s;" \
		"Slab +$(mb $((slab1 - slab0))) MB for both ends; ss -tn $t_ss s ($klines lines)"
	kill_hard "$kc"

	rss_t=- ls_t=-
	((n == 10000)) && rss_t="<= 100" ls_t="< 1"
	bench_row "$n conns: memory (MB)" "$(mb "$rss1")" "$kmem" - "$rss_t"
	bench_row "$n conns: ls /imp/tcp, ss -tn (s)" "$t_ls" "$t_ss" - "$ls_t"
done
