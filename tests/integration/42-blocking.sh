#!/usr/bin/env bash
# Waiting on sockets: a read of data blocks until a datagram comes, O_NONBLOCK
# gives EAGAIN, a signal ends a blocked read with EINTR (and loses no
# datagram), close wakes a blocked reader with EOF; poll, select and epoll on
# data and on the ctl of an announced socket; an open of listen blocks until a
# peer comes.  Then 2000 readers blocked at once on one socket: the daemon
# still answers at once, each datagram wakes exactly one reader, and they all
# go away on a signal.  Last, impfs stops with a reader still blocked.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

READERS=()
kill_readers() {
	local p
	for p in "${READERS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
}
# 2000 readers are too many for lib.sh's one-by-one kill_hard: end them first.
# A second SIGTERM (timeout signals the test and then its process group) must
# not cut the cleanup short.
trap 'imp__rc=$?; trap "" INT TERM HUP; kill_readers; (exit $imp__rc); imp__cleanup' EXIT

imp_start
U=$MNT/udp

sock_new udp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect 10.0.0.1 6020 5020" "$fd" connect 10.0.0.1 6020 5020
D=$U/$n/data
send() { kpeer send 6020 10.0.0.2 5020 "$1" >/dev/null || true; }

mk_tmpfile rout

# ---- blocking read -------------------------------------------------------------------
bg_run "$rout" fop --timeout 10 read "$D"
rp=$BG_PID
sleep 0.5
check "a read with nothing queued blocks (still waiting after 0.5 s)" is_alive "$rp"
t0=$(now_ms)
send wake
reap "$rp" 3
dt=$(($(now_ms) - t0))
check_eq "a datagram arrives: the blocked read returns it" "$(cat "$rout")" "ok 4 md5 $(printf wake | md5sum | cut -d' ' -f1) data wake"
check "... within 1 s (${dt} ms)" test "$dt" -lt 1000

bg_run "$rout" timeout 10 dd if="$D" bs=65536 count=1 status=none
rp=$BG_PID
sleep 0.3
send shell
reap "$rp" 3
check_eq "dd bs=65536 count=1 < data: blocks, then one datagram" "$(cat "$rout")" shell

# ---- O_NONBLOCK --------------------------------------------------------------------------
check_eq "O_NONBLOCK read with nothing queued: EAGAIN" "$(fop --nonblock read "$D")" "error EAGAIN"
out=$(timeout 5 dd if="$D" bs=65536 count=1 iflag=nonblock status=none 2>&1 || true)
check_match "dd iflag=nonblock: Resource temporarily unavailable" 'Resource temporarily unavailable' "$out"
exec {dfd}<"$D"
check_eq "O_NONBLOCK set later with fcntl on an open data: EAGAIN" "$(fop --nonblock read "fd:$dfd")" "error EAGAIN"
sock_close_fd "$dfd"
send queued
sleep 0.2
check_eq "O_NONBLOCK read with a datagram queued: the datagram" \
	"$(fop --nonblock read "$D" | sed 's/ md5 [0-9a-f]*//')" "ok 6 data queued"

# ---- signals ---------------------------------------------------------------------------------
t0=$(now_ms)
rc=0
timeout -s INT 1 cat "$D" >/dev/null 2>&1 || rc=$?
dt=$(($(now_ms) - t0))
check "timeout -s INT 1 cat data: the blocked read ends on SIGINT within ~1 s (${dt} ms)" test "$dt" -lt 2500
check "... and cat did not end normally (status $rc)" test "$rc" -ne 0
t0=$(now_ms)
out=$(fop --timeout 0.5 read "$D")
dt=$(($(now_ms) - t0))
check_eq "a SIGALRM handler interrupts a blocked read (EINTR, then the handler)" "$out" timeout
check "... within 1.5 s (${dt} ms)" test "$dt" -lt 1500
send after
check_eq "the interrupted reads consumed nothing: the next datagram goes to the next read" \
	"$(timeout 5 dd if="$D" bs=65536 count=1 status=none 2>&1 || true)" after

# close wakes a blocked reader with EOF
sock_new udp || die "no socket"
cfd=$SOCK_FD c=$SOCK_N
check_ctl_ok "connect 10.0.0.1 6021" "$cfd" connect 10.0.0.1 6021
bg_run "$rout" fop --timeout 10 read "$U/$c/data"
rp=$BG_PID
sleep 0.3
check_ctl_ok "close, with a reader blocked on data" "$cfd" close
reap "$rp" 3
check_eq "the blocked reader gets EOF" "$(cat "$rout")" eof
sock_close_fd "$cfd"

# ---- poll, select, epoll ---------------------------------------------------------------------
for how in "" --select --epoll; do
	name=${how#--}
	name=${name:-poll}
	check_eq "$name on data, nothing queued: not readable after 300 ms" \
		"$(fop $how poll "$D" 300)" "events none"
	bg_run "$rout" fop --timeout 10 $how poll "$D" 5000
	rp=$BG_PID
	sleep 0.3
	t0=$(now_ms)
	send "$name"
	reap "$rp" 6
	dt=$(($(now_ms) - t0))
	check_eq "$name on data: readable when a datagram arrives" "$(cat "$rout")" "events IN"
	check "... within 1 s (${dt} ms)" test "$dt" -lt 1000
	check_eq "$name on data with a datagram queued: readable at once" \
		"$(fop $how poll "$D" 0)" "events IN"
	timeout 5 dd if="$D" bs=65536 count=1 status=none >/dev/null 2>&1 || true
done

# readable on error and on EOF, writable
sock_new udp || die "no socket"
efd=$SOCK_FD e=$SOCK_N
check_ctl_ok "connect 10.0.0.1 6999 (closed port)" "$efd" connect 10.0.0.1 6999
unr0=$(proto_stat0 icmp InDestUnreachs)
fop write "$U/$e/data" x >/dev/null
wait_until 3 eval '(( $(proto_stat0 icmp InDestUnreachs) > unr0 ))' || true
check_match "poll on data after a port unreachable: an error is pending (POLLERR)" \
	'^events .*(IN|ERR)' "$(fop poll "$U/$e/data" 300)"
check_eq "select on data after a port unreachable: readable" "$(fop --select poll "$U/$e/data" 300)" "events IN"
check_eq "the read then: ECONNREFUSED" "$(fop --timeout 3 read "$U/$e/data")" "error ECONNREFUSED"
check_eq "pollout on a udp data: writable" "$(fop pollout "$U/$e/data" 300)" "events OUT"
exec {dfd}<"$U/$e/data"
check_ctl_ok "close" "$efd" close
check_match "poll on the data of a closed socket: readable (EOF)" '^events IN' "$(fop poll "fd:$dfd" 300)"
sock_close_fd "$dfd"
sock_close_fd "$efd"

# ---- listen ---------------------------------------------------------------------------------
sock_new udp || die "no socket"
afd=$SOCK_FD a=$SOCK_N
check_ctl_ok "announce 9900" "$afd" announce 9900
check_eq "poll on the announced ctl, no peer: not readable" "$(fop poll "fd:$afd" 300)" "events none"
check_eq "open listen O_NONBLOCK, no peer: EAGAIN" "$(fop --nonblock open "$U/$a/listen")" "error EAGAIN"
t0=$(now_ms)
rc=0
timeout -s INT 1 cat "$U/$a/listen" >/dev/null 2>&1 || rc=$?
dt=$(($(now_ms) - t0))
check "a blocked open of listen ends on SIGINT within ~1 s (${dt} ms)" test "$dt" -lt 2500

bg_run "$rout" fop --timeout 10 poll "fd:$afd" 5000
pp=$BG_PID
sleep 0.3
kpeer send 7020 10.0.0.2 9900 knock >/dev/null || true
reap "$pp" 6
check_eq "poll on the announced ctl: readable when a peer comes" "$(cat "$rout")" "events IN"
lo=$(fop --nonblock open "$U/$a/listen")
check_match "then open listen O_NONBLOCK: the new socket's ctl" '^ok [0-9]+$' "$lo"
m=${lo#ok }
if [[ $m =~ ^[0-9]+$ ]]; then
	check_eq "the new socket has the peer's datagram" \
		"$(timeout 5 dd if="$U/$m/data" bs=65536 count=1 status=none 2>&1 || true)" knock
	ctl_try "$U/$m/ctl" close
fi
check_eq "poll on the announced ctl once the peer was taken: not readable" "$(fop poll "fd:$afd" 300)" "events none"

mk_tmpfile lout
bg_run "$lout" fop --timeout 10 open "$U/$a/listen"
lp=$BG_PID
sleep 0.5
check "open of listen blocks while no peer has come" is_alive "$lp"
kpeer send 7021 10.0.0.2 9900 knock2 >/dev/null || true
reap "$lp" 6
lo=$(cat "$lout")
check_match "a peer comes: the blocked open of listen returns the new socket's ctl" '^ok [0-9]+$' "$lo"
m=${lo#ok }
if [[ $m =~ ^[0-9]+$ ]]; then
	check_eq "the new socket has that peer's datagram" \
		"$(timeout 5 dd if="$U/$m/data" bs=65536 count=1 status=none 2>&1 || true)" knock2
	ctl_try "$U/$m/ctl" close
fi
sock_close_fd "$afd"
ctl_try "$U/$a/ctl" close

sock_new udp || die "no socket"
check_eq "open listen on a socket never announced: fails at once (EINVAL)" \
	"$(fop --timeout 3 open "$U/$SOCK_N/listen")" "error EINVAL"
sock_close_fd "$SOCK_FD"

# ---- 2000 blocked readers ------------------------------------------------------------------
NREAD=${IMP_BLOCKING_READERS:-2000}   # the sanitizer pass runs fewer (run-all.sh)
case $(uname -m) in
x86_64) SYS_READ=0 ;;
aarch64) SYS_READ=63 ;;
*) SYS_READ= ;;
esac
# blocked_readers: how many of READERS sleep in read(2) (or just sleep, when
# this machine's syscall number for read is unknown).
blocked_readers() {
	local p sc st k=0 rest
	for p in "${READERS[@]}"; do
		if [[ -n "$SYS_READ" ]]; then
			read -r sc rest <"/proc/$p/syscall" 2>/dev/null || continue
			[[ "$sc" == "$SYS_READ" ]] && k=$((k + 1))
		else
			read -r _ _ st rest <"/proc/$p/stat" 2>/dev/null || continue
			[[ "$st" == S ]] && k=$((k + 1))
		fi
	done
	echo "$k"
}
alive_readers() {
	local p k=0
	for p in "${READERS[@]}"; do [[ -d /proc/$p ]] && is_alive "$p" && k=$((k + 1)); done
	echo "$k"
}

t0=$(now_ms)
for ((k = 0; k < NREAD; k++)); do
	dd if="$D" of=/dev/null bs=65536 count=1 status=none 2>/dev/null &
	READERS+=($!)
done
note "started $NREAD readers in $(($(now_ms) - t0)) ms"
wait_until 60 eval '(( $(blocked_readers) >= NREAD ))' || true
nb=$(blocked_readers)
note "$nb blocked after $(($(now_ms) - t0)) ms"
check_eq "$NREAD readers (dd count=1) blocked in read on one socket" "$nb" "$NREAD"

t0=$(now_ms)
out=$(timeout 2 ls "$U" 2>&1 || true)
dt=$(($(now_ms) - t0))
check_match "timeout 2 ls udp answers with $NREAD readers blocked" "^$n\$" "$out"
check "... at once (${dt} ms < 1000)" test "$dt" -lt 1000
t0=$(now_ms)
out=$(timeout 2 cat "$U/$n/status" 2>&1 || true)
dt=$(($(now_ms) - t0))
check_match "timeout 2 cat udp/$n/status answers at once (${dt} ms)" '^Connected ' "$out"
check "timeout 2 cat ipifc/0/status answers" eval 'timeout 2 cat "$MNT/ipifc/0/status" >/dev/null'
check "the kernel still pings the stack" ping_ok 3

for w in one two three; do send "$w"; done
wait_until 5 eval '(( $(alive_readers) <= NREAD - 3 ))' || true
sleep 0.5
check_eq "three datagrams: exactly three readers got one and exited" "$(alive_readers)" $((NREAD - 3))

t0=$(now_ms)
kill_readers
wait_until 30 eval '(( $(alive_readers) == 0 ))' || true
left=$(alive_readers)
check_eq "SIGTERM to every reader: all $NREAD gone (in $(($(now_ms) - t0)) ms)" "$left" 0
for p in "${READERS[@]}"; do wait "$p" 2>/dev/null || true; done
READERS=()
check "daemon alive and serving after the readers went" imp_alive
send fine
check_eq "the socket still delivers datagrams" \
	"$(timeout 5 dd if="$D" bs=65536 count=1 status=none 2>&1 || true)" fine
check_match "and nothing is left queued or parked: status rcvq 0" ' rcvq 0( |$)' "$(rd "$U/$n/status" || true)"

# ---- stop with a reader blocked -----------------------------------------------------------
bg_run "$rout" timeout 20 dd if="$D" bs=65536 count=1 status=none
rp=$BG_PID
sleep 0.3
imp_stop
reap "$rp" 5
check "a reader blocked when impfs stops returns (status $REAP_RC)" test "$REAP_RC" != timeout
