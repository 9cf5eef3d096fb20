#!/usr/bin/env bash
# TCP errors as a user of the files sees them: ECONNREFUSED at once from a
# closed port, ETIMEDOUT (or EHOSTUNREACH) from a host that does not answer
# ARP and from one that drops SYNs (--syn-retries 1), each with a sentence in
# err; a signal interrupts a blocked connect (EINTR, socket left Closed) and a
# blocked read (and loses no data); a peer's RST gives ECONNRESET on the next
# read; write after shutdown wr is EPIPE; a second connect is EISCONN; an
# unknown command is EINVAL; hangup resets the peer, rmdir closes gracefully;
# announce on a port that only TIME_WAIT connections hold succeeds, on one a
# listener holds it is EADDRINUSE.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

# TIME_WAIT lasts 2 x 3 s: long enough to look at it.
imp_start --msl 3000 --syn-retries 1
mk_tmpdir T

# A kernel address whose TCP port 80 drops SYNs.
ip addr add 10.0.0.3/24 dev "$IMP_TAP"
nft -f - <<'EOF'
table inet imp_errors {
	chain input {
		type filter hook input priority 0; policy accept;
		ip daddr 10.0.0.3 tcp dport 80 counter drop
	}
}
EOF
check_match "nft: input rule dropping tcp to 10.0.0.3:80 loaded" 'ip daddr 10\.0\.0\.3 tcp dport 80 counter packets 0 bytes 0 drop' "$(nft list ruleset)"

# connect_try N FD ADDR PORT: connect, timed; sets CTL_RC, CTL_ERROR, DT (ms), ERR (err file).
connect_try() {
	local t0
	t0=$(now_ms)
	ctl_try "$2" connect "$3" "$4"
	DT=$(($(now_ms) - t0))
	ERR=$(sock_file tcp "$1" err)
}

# ---- ECONNREFUSED ------------------------------------------------------------------------
fails0=$(tcp_stat AttemptFails)
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
connect_try "$n" "$fd" "$IMP_PEER" 81
check_eq "connect to a closed port: ECONNREFUSED" "$CTL_ERROR" "Connection refused"
check "... at once (${DT} ms < 1000)" test "$DT" -lt 1000
check_eq "... err: the sentence" "$ERR" "connect $IMP_PEER 81: connection refused"
check_eq "... status: Closed" "$(tcp_state "$n")" Closed
check_ge "AttemptFails counted it" $(($(tcp_stat AttemptFails) - fails0)) 1
# As a Linux socket: a failed connect may be tried again on the same socket.
tcp_bg "$T/l.out" tcppeer --timeout 60 listen 9500
wait_listening 9500 || die "python listener on 9500 did not start"
ctl_try "$fd" connect "$IMP_PEER" 9500
check_eq "after a refused connect, connect again on the same socket works (as on Linux)" "$CTL_RC:$CTL_ERROR" "0:"
ctl_try "$fd" hangup
sock_close_fd "$fd"

# ---- no ARP answer -----------------------------------------------------------------------
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
connect_try "$n" "$fd" 10.0.0.77 80
note "connect 10.0.0.77 80 (no such host): '$CTL_ERROR' after $DT ms, err '$ERR'"
check_match "connect to a host that does not answer ARP: ETIMEDOUT or EHOSTUNREACH" \
	'^(Connection timed out|No route to host)$' "$CTL_ERROR"
check "... within 10 s (${DT} ms)" test "$DT" -lt 10000
check_match "... err: the sentence" '^connect 10\.0\.0\.77 80: (connection timed out|no route to host)$' "$ERR"
check_eq "... status: Closed" "$(tcp_state "$n")" Closed
sock_close_fd "$fd"

# ---- SYNs dropped: ETIMEDOUT after 1 s + 2 s ----------------------------------------------
timeouts0=$(tcp_stat Timeouts)
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
connect_try "$n" "$fd" 10.0.0.3 80
check_eq "connect to a SYN-dropping port, --syn-retries 1: ETIMEDOUT" "$CTL_ERROR" "Connection timed out"
check "... after the SYN and one retry, 1 s + 2 s (${DT} ms in 2500..5000)" test "$DT" -ge 2500 -a "$DT" -le 5000
check_eq "... err: the sentence" "$ERR" "connect 10.0.0.3 80: connection timed out"
check_eq "... status: Closed" "$(tcp_state "$n")" Closed
drops=$(nft list ruleset | sed -n 's/.*10\.0\.0\.3 tcp dport 80 counter packets \([0-9]*\) .*/\1/p')
check_eq "... the kernel dropped exactly 2 SYNs" "$drops" 2
check_ge "Timeouts counted the SYN retransmission timeouts" $(($(tcp_stat Timeouts) - timeouts0)) 1
sock_close_fd "$fd"
check "a timed-out socket goes away when its file closes (<= 2 s)" wait_until 2 tcp_sock_gone "$n"

# ---- a signal interrupts a blocked connect -----------------------------------------------
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
out=$(timeout -s INT 1 "$IMP_PY" "$IMP_TCPPEER" eintr write "fd:$fd" "connect 10.0.0.3 80" 2>&1 || true)
check_match "SIGINT during a blocked connect: the write fails with EINTR" '^error EINTR ms [0-9]+$' "$out"
ms=$(sed -n 's/.* ms \([0-9]*\)$/\1/p' <<<"$out")
check "... after about 1 s: it blocked, then returned at once (${ms:-?} ms in 500..1500)" \
	test "${ms:-0}" -ge 500 -a "${ms:-99999}" -le 1500
check_eq "... status: Closed" "$(tcp_state "$n")" Closed
check_match "... err names the command" '^connect 10\.0\.0\.3 80: .+' "$(sock_file tcp "$n" err)"
sock_close_fd "$fd"

sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
t0=$(now_ms)
rc=0
timeout -s INT 1 bash -c "echo connect 10.0.0.3 80 >&$fd" 2>/dev/null || rc=$?
dt=$(($(now_ms) - t0))
check_eq "Ctrl-C on 'echo connect 10.0.0.3 80 >&fd' (timeout -s INT 1): interrupted" "$rc" 124
check "... returns within 1.5 s (${dt} ms)" test "$dt" -le 1500
check_eq "... status: Closed" "$(tcp_state "$n")" Closed
sock_close_fd "$fd"
check "an interrupted connect's socket goes away when its file closes (<= 2 s)" wait_until 2 tcp_sock_gone "$n"

# ---- a blocked read: interrupted, then data, then RST -------------------------------------
resets0=$(tcp_stat EstabResets)
tcp_bg "$T/rst.out" tcppeer --timeout 60 rst 9300 1000
rst=$BG_PID
wait_until 5 file_has "$T/rst.out" '^ready$' || die "python rst server did not start"
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $IMP_PEER 9300 (a server that sends 1000 bytes, then waits)" "$fd" connect "$IMP_PEER" 9300
D=$MNT/tcp/$n/data
exec {dfd}<>"$D"
got=$(timeout 5 head -c 1000 <&"$dfd" | md5sum | cut -d' ' -f1)
check_eq "read the server's 1000 bytes" "$got" "$(pattern_md5 1000)"

t0=$(now_ms)
rc=0
timeout -s INT 1 cat "$D" >/dev/null 2>&1 || rc=$?
dt=$(($(now_ms) - t0))
check_eq "Ctrl-C on a blocked 'cat data' (timeout -s INT 1): interrupted" "$rc" 124
check "... returns within 1.5 s (${dt} ms)" test "$dt" -le 1500
out=$(timeout -s INT 1 "$IMP_PY" "$IMP_TCPPEER" eintr read "$D" 2>&1 || true)
check_match "SIGINT during a blocked read: EINTR" '^error EINTR ms [0-9]+$' "$out"
check_eq "... the connection is still Established" "$(tcp_state "$n")" Established

check_eq "O_NONBLOCK read with nothing queued: EAGAIN" "$(fop --nonblock read "$D")" "error EAGAIN"
printf g >&"$dfd"              # the server now resets the connection
check "the kernel peer sent its RST (SO_LINGER 0)" wait_until 5 file_has "$T/rst.out" '^reset sent$'
check_eq "the read after the peer's RST: ECONNRESET" "$(fop read "$D")" "error ECONNRESET"
check_match "... err says so" 'reset' "$(sock_file tcp "$n" err)"
check_eq "... status: Closed" "$(tcp_state "$n")" Closed
check_ge "EstabResets counted the reset" $(($(tcp_stat EstabResets) - resets0)) 1
check_eq "a write after the reset: error (EPIPE or ECONNRESET)" \
	"$(fop write "$D" x | sed 's/ECONNRESET/EPIPE/')" "error EPIPE"
sock_close_fd "$dfd"
sock_close_fd "$fd"
check "a reset connection goes away when its files close (<= 2 s)" wait_until 2 tcp_sock_gone "$n"

# ---- shutdown wr, EPIPE; EISCONN; EINVAL ---------------------------------------------------
tcp_bg "$T/sink.out" socat -u "TCP-LISTEN:9400,bind=$IMP_PEER,reuseaddr" "OPEN:$T/sink,creat,trunc"
sink=$BG_PID
wait_listening 9400 || die "socat did not listen on 9400"
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $IMP_PEER 9400" "$fd" connect "$IMP_PEER" 9400
connect_try "$n" "$fd" "$IMP_PEER" 9400
check_eq "a second connect on a connected socket: EISCONN" "$CTL_ERROR" "Transport endpoint is already connected"
check_match "... err: the sentence" "^connect $IMP_PEER 9400: transport endpoint is already connected\$" "$ERR"
check_eq "... the connection is unharmed" "$(tcp_state "$n")" Established
check_ctl_fails "unknown command frob: EINVAL" "Invalid argument" "$fd" frob
check_eq "... err: unknown command \"frob\"" "$(sock_file tcp "$n" err)" 'unknown command "frob"'
check_eq "... the connection is unharmed" "$(tcp_state "$n")" Established
check_eq "write 'abc' to data" "$(fop write "$MNT/tcp/$n/data" abc)" "ok 3"
check_ctl_ok "shutdown wr" "$fd" shutdown wr
check_eq "write to data after shutdown wr: EPIPE" "$(fop write "$MNT/tcp/$n/data" more)" "error EPIPE"
out=$(timeout 5 bash -c 'echo more >"$1"' _ "$MNT/tcp/$n/data" 2>&1 || true)
check_match "... as bash reports it: Broken pipe" 'Broken pipe' "$out"
check "the kernel receiver saw our FIN (socat exits, <= 5 s)" wait_until 5 eval "! tcp_group_alive $sink"
check_eq "... after exactly the bytes written before shutdown" "$(cat "$T/sink" 2>/dev/null)" abc
check "after shutdown wr and the peer's FIN: Time_wait (<= 2 s)" \
	wait_until 2 eval "[[ \$(tcp_state $n) == Time_wait ]]"
((IMP_OK)) || note "state: $(tcp_state "$n")"
sock_close_fd "$fd"

# ---- hangup (RST) and rmdir (close) ---------------------------------------------------------
tcp_bg "$T/hup.out" socat -d -u "TCP-LISTEN:9410,bind=$IMP_PEER,reuseaddr" "OPEN:$T/hup,creat,trunc"
hup=$BG_PID
wait_listening 9410 || die "socat did not listen on 9410"
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $IMP_PEER 9410" "$fd" connect "$IMP_PEER" 9410
rsts0=$(tcp_stat OutRsts)
check_ctl_ok "hangup" "$fd" hangup
check "hangup: the kernel receiver stops (<= 5 s)" wait_until 5 eval "! tcp_group_alive $hup"
check_match "hangup: ... its read failed with Connection reset by peer (socat -d)" 'Connection reset by peer' "$(cat "$T/hup.out")"
check_ge "hangup: OutRsts counted it" $(($(tcp_stat OutRsts) - rsts0)) 1
check_eq "hangup: status Closed" "$(tcp_state "$n")" Closed
sock_close_fd "$fd"
check "hangup: the socket goes away with its last file (<= 2 s)" wait_until 2 tcp_sock_gone "$n"

tcp_bg "$T/rmd.out" socat -u "TCP-LISTEN:9411,bind=$IMP_PEER,reuseaddr" "OPEN:$T/rmd,creat,trunc"
rmd=$BG_PID
wait_listening 9411 || die "socat did not listen on 9411"
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $IMP_PEER 9411" "$fd" connect "$IMP_PEER" 9411
sock_close_fd "$fd"
check_eq "no file open: the connected socket stays" "$(tcp_state "$n")" Established
printf 'last words' >"$MNT/tcp/$n/data" || true
rc=0
out=$(timeout 5 rmdir "$MNT/tcp/$n" 2>&1) || rc=$?
check_eq "rmdir $MNT/tcp/N: succeeds" "$rc:$out" "0:"
check "rmdir: the kernel receiver sees EOF (a FIN) and exits 0 (<= 5 s)" wait_until 5 eval "! tcp_group_alive $rmd"
check_eq "rmdir: ... after the queued data" "$(cat "$T/rmd" 2>/dev/null)" "last words"
check "rmdir: the socket goes away (<= 2 s)" wait_until 2 tcp_sock_gone "$n"

# ---- announce: EADDRINUSE on a listener's port; fine on a TIME_WAIT port ---------------------
sock_new tcp || die "no socket"
lfd=$SOCK_FD ln=$SOCK_N
check_ctl_ok "announce 8200" "$lfd" announce 8200
sock_new tcp || die "no socket"
fd2=$SOCK_FD n2=$SOCK_N
check_ctl_fails "announce 8200 again while a listener holds it: EADDRINUSE" "Address already in use" "$fd2" announce 8200
check_match "... err: the sentence" '^announce 8200: address already in use$' "$(sock_file tcp "$n2" err)"
sock_close_fd "$fd2"

timeout 10 socat -u "TCP:$IMP_ADDR:8200" "OPEN:$T/tw.out,creat,trunc" >/dev/null 2>&1 &
client=$!
IMP_EXTRA_PIDS+=("$client")
# fop opens listen (bounded) and prints what a read of the opened file gives:
# the new socket's number.  An accepted socket stays after its files close.
out=$(fop open "$MNT/tcp/$ln/listen")
m=${out#ok }
check_match "open listen: a kernel client's connection, socket M" '^[0-9]+$' "$m"
# Keep a file of M open: with none open, M's directory goes once the FIN
# exchange is done, and we want to see its TIME_WAIT.
exec {mfd}<>"$MNT/tcp/$m/ctl"
check_eq "write 'bye' to M's data" "$(fop write "$MNT/tcp/$m/data" bye)" "ok 3"
check_ctl_ok "close M first (the stack will hold TIME_WAIT)" "$mfd" close
reap "$client" 5
check_eq "the kernel client got 'bye' and EOF" "$REAP_RC:$(cat "$T/tw.out" 2>/dev/null)" "0:bye"
check "M reaches Time_wait (<= 2 s)" wait_until 2 eval "[[ \$(tcp_state $m) == Time_wait ]]"
((IMP_OK)) || note "state: $(tcp_state "$m")"
check_ctl_ok "close the listener" "$lfd" close
sock_close_fd "$lfd"
check "the listener goes away (<= 2 s)" wait_until 2 tcp_sock_gone "$ln"
check_eq "M, in TIME_WAIT, holds $IMP_ADDR 8200" "$(tcp_state "$m"):$(sock_file tcp "$m" local)" "Time_wait:$IMP_ADDR 8200"
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "announce 8200 on a port held only by a TIME_WAIT connection: accepted" "$fd" announce 8200
check_eq "... status Listen (and M still Time_wait)" "$(tcp_state "$n") $(tcp_state "$m")" "Listen Time_wait"
timeout 10 socat -u "TCP:$IMP_ADDR:8200" "OPEN:$T/tw2.out,creat,trunc" >/dev/null 2>&1 &
client=$!
IMP_EXTRA_PIDS+=("$client")
out=$(fop open "$MNT/tcp/$n/listen")
m2=${out#ok }
[[ "$m2" =~ ^[0-9]+$ ]] && echo hi >"$MNT/tcp/$m2/data" && echo close >"$MNT/tcp/$m2/ctl" || true
reap "$client" 5
out=$(cat "$T/tw2.out" 2>/dev/null || true)
check_eq "... and a new connection on it works" "$out" hi
sock_close_fd "$fd"
sock_close_fd "$mfd"
check "M goes away after its last file closes (<= 10 s: at most the rest of TIME_WAIT)" wait_until 10 tcp_sock_gone "$m"

check "daemon alive" imp_alive
tcp_kill_groups
imp_stop
