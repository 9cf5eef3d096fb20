#!/usr/bin/env bash
# The per-connection trace, /imp/tcp/N/trace (imp(4)).  Over a lossy link
# (--fault drop=2,reorder=5): (1) a reader opened before connect sees the
# whole life of a 4 MiB upload, in order: start, SYN_SENT -> Established,
# RTT samples with rttvar and rto, cwnd changes with their cause, SACK
# updates, retransmissions, a recovery, and the end; every line has the
# common fields; the read ends (EOF) once the connection is gone.  (2)
# examples/tcp-plot.sh draws it to a PNG (gnuplot exits 0, the file is a
# PNG).  (3) A reader that never reads during a 20 MiB upload loses lines,
# is told how many ("lost lines N"), and the upload is not slowed to its
# pace: it completes intact.  (4) status gains what ss -ti shows (sacked,
# lost, retrans, delivery_rate, cc); the ctl command cc and impfs --cc
# choose the congestion control.  (5) trace is TCP's alone, and read-only.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

command -v gnuplot >/dev/null || die "gnuplot is missing (tests/deps.sh installs gnuplot-nox)"
imp_start --msl 300 --fault drop=2,reorder=5,seed=7

mk_tmpfile src
mk_tmpfile got
mk_tmpfile trace
mk_tmpfile rout
mk_tmpdir W

# upload PORT BYTES: BYTES of $src from a new socket to a kernel sink on
# PORT; TRACE_PID reads its trace into $trace from before the connect
# (when TRACE_READ=1), or TRACE_FD holds it open unread (TRACE_READ=0).
upload() {
	local port=$1 bytes=$2 fd n receiver rc
	head -c "$bytes" /dev/urandom >"$src"
	rm -f "$got"
	tcp_bg "$rout" socat -u "TCP-LISTEN:$port,bind=$IMP_PEER,reuseaddr" "OPEN:$got,creat,trunc"
	receiver=$BG_PID
	wait_listening "$port" || { fail "socat did not listen on $port"; return 1; }
	sock_new tcp || { fail "no socket"; return 1; }
	fd=$SOCK_FD n=$SOCK_N
	UP_N=$n
	if ((TRACE_READ)); then
		timeout 60 cat "$MNT/tcp/$n/trace" >"$trace" &
		TRACE_PID=$!
		wait_until 5 test -s "$trace" || fail "the trace's first line did not come in 5 s"
	else
		exec {TRACE_FD}<"$MNT/tcp/$n/trace"
	fi
	check_ctl_ok "connect $IMP_PEER $port" "$fd" connect "$IMP_PEER" "$port"
	rc=0
	timeout 60 cat "$src" >"$MNT/tcp/$n/data" || rc=$?
	check_eq "$bytes bytes written to data (exit 0)" "$rc" 0
	ctl_try "$fd" close
	wait_until 30 eval "! tcp_group_alive $receiver" || fail "the sink did not see EOF in 30 s"
	check_eq "$bytes bytes arrived intact (sha256)" "$(sha256_of "$got" 2>/dev/null)" "$(sha256_of "$src")"
	sock_close_fd "$fd"
	tcp_kill_group "$receiver"
}

# ---- (1) the whole life of a connection ----------------------------------------------
TRACE_READ=1
upload 9300 $((4 * 1048576))
if wait_until 10 eval "! kill -0 $TRACE_PID 2>/dev/null"; then
	pass "the trace read ended (EOF) once the connection was gone"
	rc=0
	wait "$TRACE_PID" || rc=$?
	check_eq "cat trace exit status" "$rc" 0
else
	fail "the trace read did not end within 10 s of the close"
	kill "$TRACE_PID" 2>/dev/null || true
fi
note "trace: $(wc -l <"$trace") lines; events: $(awk '{ print $2 }' "$trace" | sort | uniq -c | tr -s ' \n' ' ')"
check_match "first line: start, state Closed (opened before connect)" \
	'^[0-9]+\.[0-9]{6} start cwnd [0-9]+ ssthresh [0-9]+ inflight [0-9]+ srtt [0-9]+ state Closed$' "$(head -n 1 "$trace")"
check "state: Closed to Syn_sent, then Syn_sent to Established" \
	awk '$2 == "state" && / from Closed to Syn_sent$/ { a = NR }
	     $2 == "state" && / from Syn_sent to Established$/ { b = NR } END { exit !(a && b > a) }' "$trace"
check "rtt lines: sample, rttvar and rto" grep -Eq ' rtt cwnd .* sample [0-9]+ rttvar [0-9]+ rto [0-9]+$' "$trace"
check "cwnd lines with a cause (slow-start or avoidance)" grep -Eq ' cwnd cwnd .* cause (slow-start|avoidance)$' "$trace"
check "sack lines (the peer SACKed what the fault kept back)" grep -Eq ' sack cwnd .* sacked [0-9]+ lost [0-9]+ fack [0-9]+$' "$trace"
check "retransmit lines: seq and len" grep -Eq ' retransmit cwnd .* seq [0-9]+ len [0-9]+( fin)?$' "$trace"
check "a recovery, and its end" \
	awk '$2 == "recovery" { a = 1 } $2 == "recovered" && a { b = 1 } END { exit !b }' "$trace"
check "the last line: end" grep -Eq ' end cwnd .* state [A-Za-z_]+$' <(tail -n 1 "$trace")
check "every line: TIME EVENT cwnd C ssthresh S inflight F srtt R" \
	eval "! grep -Evq '^[0-9]+\.[0-9]{6} [a-z-]+ cwnd [0-9]+ ssthresh [0-9]+ inflight [0-9]+ srtt [0-9]+( |\$)' $trace"
check "times never go back" awk 'BEGIN { p = 0 } $1 < p { bad = 1 } { p = $1 } END { exit bad || NR < 10 }' "$trace"
retr=$(grep -c ' retransmit ' "$trace" || true)
check_ge "retransmit lines: as many as the stack counted for it (>= 1)" "$retr" 1

# ---- (2) the picture -------------------------------------------------------------------
rc=0
out=$(timeout 60 bash "$IMP_REPO/examples/tcp-plot.sh" -o "$W/upload.png" "$trace" 2>&1) || rc=$?
check_eq "tcp-plot.sh exit status ($out)" "$rc" 0
check "tcp-plot.sh made a PNG" eval "[[ -s $W/upload.png && \$(head -c 4 $W/upload.png | od -An -tx1 | tr -d ' ') == 89504e47 ]]"
rc=0
timeout 10 bash "$IMP_REPO/examples/tcp-plot.sh" -o "$W/none.png" /dev/null >/dev/null 2>&1 || rc=$?
check_eq "tcp-plot.sh on an empty input: exit 1, no picture" "$rc:$([[ -e $W/none.png ]] && echo png || echo none)" "1:none"

# ---- (3) a reader that does not read -----------------------------------------------------
TRACE_READ=0
t0=$(now_ms)
upload 9302 $((20 * 1048576))
note "20 MiB with a trace reader that never read: $(($(now_ms) - t0)) ms"
rest=$(timeout 10 cat <&"$TRACE_FD" || true)
exec {TRACE_FD}<&-
check_match "the unread trace says how many lines it lost" ' lost lines [1-9][0-9]*' "$rest"
check_match "and goes on to the end of the connection" ' end cwnd .* state ' "$(tail -n 1 <<<"$rest")"

# ---- (4) status: what ss -ti shows ------------------------------------------------------
# upload's socket is gone; a fresh one, connected, with a lossy 4 MiB upload
# still in flight when status is read.
TRACE_READ=0
head -c $((4 * 1048576)) /dev/urandom >"$src"
tcp_bg "$rout" socat -u "TCP-LISTEN:9304,bind=$IMP_PEER,reuseaddr" OPEN:/dev/null
wait_listening 9304 || fail "socat did not listen on 9304"
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $IMP_PEER 9304" "$fd" connect "$IMP_PEER" 9304
timeout 30 cat "$src" >"$MNT/tcp/$n/data" || fail "4 MiB into data"
st=$(sock_file tcp "$n" status)
note "status: $st"
check_match "status: sacked, lost, retrans (segments), delivery_rate (bit/s), cc" \
	' retransmits [0-9]+ sacked [0-9]+ lost [0-9]+ retrans [0-9]+ delivery_rate [1-9][0-9]* cc cubic$' "$st"
info=$(sock_file tcp "$n" info)
check_match "info: delivery_rate and min_rtt from the stack" ' min_rtt [1-9][0-9]* .*delivery_rate [1-9][0-9]*$' "$info"
# cc: per socket, by name; Linux's "reno" and the RFC's "newreno" are one
check_ctl_ok "ctl: cc newreno" "$fd" cc newreno
check_match "status: cc reno after cc newreno" ' cc reno$' "$(sock_file tcp "$n" status)"
check_ctl_ok "ctl: cc cubic" "$fd" cc cubic
check_match "status: cc cubic again" ' cc cubic$' "$(sock_file tcp "$n" status)"
check_ctl_fails "ctl: cc vegas: ENOENT" "No such file or directory" "$fd" cc vegas
check_match "err says which there are" 'no such algorithm \(imp has: cubic reno\)' "$(sock_file tcp "$n" err)"
ctl_try "$fd" close
sock_close_fd "$fd"
tcp_kill_groups
imp_stop
imp_start --cc newreno
sock_new tcp || die "no socket"
check_match "impfs --cc newreno: a new socket's cc is reno" ' cc reno$' "$(sock_file tcp "$SOCK_N" status)"
sock_close_fd "$SOCK_FD"
imp_stop
rc=0
out=$(timeout 10 "$IMPFS" --cc vegas "$W/x" 2>&1) || rc=$?
check_eq "impfs --cc vegas: exit status 2 ($out)" "$rc" 2
check_match "impfs --cc vegas: one line saying why" '^impfs: --cc: no congestion control "vegas" \(cubic, newreno\)$' "$out"
imp_start

# ---- (5) TCP's alone, read-only ------------------------------------------------------------
sock_new udp || die "no udp socket"
check "udp/N has no trace file" eval "[[ ! -e $MNT/udp/$SOCK_N/trace ]]"
sock_close_fd "$SOCK_FD"
sock_new tcp || die "no tcp socket"
rc=0
(echo x >"$MNT/tcp/$SOCK_N/trace") 2>/dev/null || rc=$?
check "trace cannot be written" test "$rc" -ne 0
sock_close_fd "$SOCK_FD"
check "daemon alive" imp_alive
imp_finish
