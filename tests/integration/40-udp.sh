#!/usr/bin/env bash
# UDP through /imp/udp: connect and send to the kernel, receive from it (one
# read = one datagram, truncated to the buffer), bind and local ports, ttl
# and tos on the wire, ctl errors with their sentences, announce with one
# child socket per peer (Plan 9's listen), headers mode, and ICMP errors both
# ways (ECONNREFUSED on the socket, NoPorts and port unreachable for the
# kernel).  The kernel's end is 40_kpeer.py; file operations that need an
# exact errno go through 40_fop.py.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

imp_start
U=$MNT/udp

# rd1 FILE [BS]: one read(2) of FILE (one datagram), at most 5 s.
rd1() { timeout 5 dd if="$1" bs="${2:-65536}" count=1 status=none 2>&1 || true; }

mk_tmpfile kout
mk_tmpfile kout2

# ---- connect, send ---------------------------------------------------------------
sock_new udp || die "open $U/new/ctl: no socket number"
fd=$SOCK_FD n=$SOCK_N
note "socket $n"
check_ctl_ok "connect 10.0.0.1 6001" "$fd" connect 10.0.0.1 6001
st=$(sock_file udp "$n" status)
check_match "status after connect: Connected" '^Connected( |$)' "$st"
check_eq "remote after connect" "$(sock_file udp "$n" remote)" "10.0.0.1 6001"
local_=$(sock_file udp "$n" local)
check_match "local after connect: 10.0.0.2 and an ephemeral port" '^10\.0\.0\.2 [1-9][0-9]*$' "$local_"
lport=${local_#* }

out0=$(proto_stat0 udp OutDatagrams)
kpeer_recv_bg "$kout" 6001 --count 1 || fail "kernel receiver on 6001 not ready"
kp=$BG_PID
printf hello >"$U/$n/data" || fail "printf hello > $U/$n/data failed"
reap "$kp" 5
check_match "kernel receives \"hello\" from 10.0.0.2 $lport" \
	"^from 10\.0\.0\.2 $lport len 5 .* data hello\$" "$(cat "$kout")"
check_ge "udp/stats OutDatagrams counted it" $(($(proto_stat0 udp OutDatagrams) - out0)) 1

# One write is one datagram, whatever its size; fragmented past the MTU.
kpeer_recv_bg "$kout" 6001 --count 4 --rcvbuf 1000000 || fail "kernel receiver on 6001 not ready"
kp=$BG_PID
for sz in 1 1000 1472 65507; do
	check_eq "write of $sz bytes" "$(fop write "$U/$n/data" "@$sz")" "ok $sz"
done
reap "$kp" 10
got=$(cat "$kout")
for sz in 1 1000 1472 65507; do
	check_match "kernel receives one datagram of $sz bytes, intact" \
		"^from 10\.0\.0\.2 $lport len $sz ttl [0-9]+ tos [0-9]+ md5 $(pattern_md5 "$sz") " "$got"
done
check_eq "write of 65508 bytes: EMSGSIZE" "$(fop write "$U/$n/data" @65508)" "error EMSGSIZE"
check_match "err after EMSGSIZE names the write and the cause" '^write: message too long$' \
	"$(sock_file udp "$n" err)"

# ---- ttl, tos, buffers -----------------------------------------------------------
check_ctl_ok "ttl 7" "$fd" ttl 7
check_ctl_ok "tos 32" "$fd" tos 32
check_ctl_ok "sndbuf 50000" "$fd" sndbuf 50000
check_ctl_ok "rcvbuf 60000" "$fd" rcvbuf 60000
st=$(sock_file udp "$n" status)
check_match "status shows ttl 7 tos 32 sndbuf 50000 rcvbuf 60000" \
	'^Connected .*' "$st"
for kv in "ttl 7" "tos 32" "sndbuf 50000" "rcvbuf 60000" "headers off"; do
	check_match "status has \"$kv\"" "(^| )$kv( |\$)" "$st"
done
kpeer_recv_bg "$kout" 6001 --count 1 || fail "kernel receiver on 6001 not ready"
kp=$BG_PID
fop write "$U/$n/data" ttl >/dev/null
reap "$kp" 5
check_match "the kernel sees the datagram with TTL 7 and TOS 32" \
	"^from 10\.0\.0\.2 $lport len 3 ttl 7 tos 32 " "$(cat "$kout")"
check_ctl_ok "ttl 64" "$fd" ttl 64
check_ctl_ok "tos 0" "$fd" tos 0

# ---- receive -----------------------------------------------------------------------
in0=$(proto_stat0 udp InDatagrams)
kpeer send 6001 10.0.0.2 "$lport" one >/dev/null || true
kpeer send 6001 10.0.0.2 "$lport" two >/dev/null || true
sleep 0.2
check_match "status: rcvq 6, the bytes of the two datagrams queued" ' rcvq 6( |$)' "$(sock_file udp "$n" status)"
check_eq "first read: the first datagram" "$(rd1 "$U/$n/data")" one
check_eq "second read: the second datagram" "$(rd1 "$U/$n/data")" two
check_ge "udp/stats InDatagrams counted them" $(($(proto_stat0 udp InDatagrams) - in0)) 2

kpeer send 6001 10.0.0.2 "$lport" abcdefgh >/dev/null || true
kpeer send 6001 10.0.0.2 "$lport" next >/dev/null || true
check_eq "a 3-byte read of an 8-byte datagram: its first 3 bytes" "$(rd1 "$U/$n/data" 3)" abc
check_eq "the next read: the next datagram (the rest of the first is gone)" "$(rd1 "$U/$n/data")" next

# rcvbuf bounds the queue: past it datagrams are dropped, and counted.
check_ctl_ok "rcvbuf 4096" "$fd" rcvbuf 4096
rbe0=$(proto_stat0 udp RcvbufErrors)
for i in 1 2 3 4 5 6 7 8 9 10; do
	kpeer send 6001 10.0.0.2 "$lport" @1000 >/dev/null || true
done
sleep 0.3
queued=0
while [[ "$(fop --nonblock read "$U/$n/data")" == "ok 1000 "* ]] && ((queued < 20)); do
	queued=$((queued + 1))
done
if ((queued >= 1 && queued < 10)); then
	pass "rcvbuf 4096, ten 1000-byte datagrams unread: $queued queued, the rest dropped"
else
	fail "rcvbuf 4096, ten 1000-byte datagrams unread: $queued queued, want 1..9"
fi
check_eq "udp/stats RcvbufErrors counted the $((10 - queued)) dropped" \
	$(($(proto_stat0 udp RcvbufErrors) - rbe0)) $((10 - queued))
check_ctl_ok "rcvbuf 212992" "$fd" rcvbuf 212992

kpeer send 6001 10.0.0.2 "$lport" @65507 >/dev/null || true
check_eq "a 65507-byte datagram (45 fragments) is one read" \
	"$(fop read "$U/$n/data" | cut -d' ' -f1-4)" "ok 65507 md5 $(pattern_md5 65507)"

# An empty datagram is a read of 0 bytes, and does not end the socket.
kpeer send 6001 10.0.0.2 "$lport" '' >/dev/null || true
kpeer send 6001 10.0.0.2 "$lport" after-empty >/dev/null || true
sleep 0.2
check_eq "an empty datagram: a read of 0 bytes" "$(fop --nonblock read "$U/$n/data")" "eof"
check_eq "... and the next read has the next datagram" \
	"$(fop --nonblock read "$U/$n/data" | sed 's/ md5 [0-9a-f]*//')" "ok 11 data after-empty"

# A connected socket takes datagrams from its peer only (as in Linux).
kpeer send 6002 10.0.0.2 "$lport" stranger >/dev/null || true
sleep 0.3
check_eq "a datagram from another kernel port is not delivered to the connected socket" \
	"$(fop --nonblock read "$U/$n/data")" "error EAGAIN"

# ---- ctl errors -----------------------------------------------------------------
# bad DESC ERRTEXT ERR-ERE CMD...: the command fails with ERRTEXT, err matches ERE.
bad() {
	local desc=$1 want=$2 ere=$3
	shift 3
	check_ctl_fails "$desc: $want" "$want" "$fd" "$@"
	check_match "$desc: err says so" "$ere" "$(sock_file udp "$n" err)"
}
bad "second connect" "Transport endpoint is already connected" \
	'^connect 10\.0\.0\.1 7: transport endpoint is already connected$' connect 10.0.0.1 7
bad "unknown command" "Invalid argument" '^unknown command "frob"$' frob
bad "connect to a malformed address" "Invalid argument" \
	'^connect 1\.2\.3 7: "1\.2\.3" is not an IPv4 address$' connect 1.2.3 7
bad "connect without a port" "Invalid argument" '^connect 10\.0\.0\.1: .*(port|usage)' connect 10.0.0.1
bad "connect to port 70000" "Invalid argument" '^connect 10\.0\.0\.1 70000: .*70000' connect 10.0.0.1 70000
bad "nodelay on a udp socket" "Invalid argument" '^nodelay on: not for udp sockets$' nodelay on
bad "keepalive on a udp socket" "Invalid argument" '^keepalive: not for udp sockets$' keepalive
bad "ttl 0" "Invalid argument" '^ttl 0: .*0' ttl 0
bad "ttl 256" "Invalid argument" '^ttl 256: .*256' ttl 256
bad "tos 256" "Invalid argument" '^tos 256: .*256' tos 256
bad "ttl abc" "Invalid argument" '^ttl abc: .*abc' ttl abc
bad "shutdown sideways" "Invalid argument" '^shutdown sideways: .*(usage|rd)' shutdown sideways
bad "empty command" "Invalid argument" '.' ''
check_eq "after the failed commands the socket is still connected to 10.0.0.1 6001" \
	"$(sock_file udp "$n" remote)" "10.0.0.1 6001"
check_match "... and its status still says Connected" '^Connected ' "$(sock_file udp "$n" status)"
sock_close_fd "$fd"
check_ctl_ok "close" "$U/$n/ctl" close

# ---- garbage on ctl ----------------------------------------------------------------------
# Every one fails with EINVAL and a sentence, and leaves the daemon and the
# socket as they were.
sock_new udp || die "open $U/new/ctl: no socket number"
fd=$SOCK_FD n=$SOCK_N
for c in 'connect 10.0.0.1 -1' 'connect 10.0.0.1 0x10' 'connect 10.0.0.1 7 70000' \
	'connect 10.0.0.1 7 8 9' 'connect 10.0.0.1!' 'connect !7' 'connect 10.0.0.1.5 7' \
	'connect 0.0.0.0 7' 'connect 10.0.0.1 0' 'ttl 99999999999999999999' 'tos -1' \
	'sndbuf -5' 'sndbuf 0' 'rcvbuf 99999999999' 'announce 70000' 'bind 1.2.3.4.5 9' \
	'headers on' 'close now' "$(printf 'a%.0s' {1..300})"; do
	ctl_try "$fd" "$c"
	if [[ $CTL_RC != 0 && $CTL_ERROR == "Invalid argument" ]] && [[ -n "$(sock_file udp "$n" err)" ]]; then
		ok_ "\"${c:0:40}\": EINVAL, err: $(sock_file udp "$n" err | cut -c1-70)"
	else
		ko_ "\"${c:0:40}\": rc $CTL_RC ($CTL_ERROR), want EINVAL; err: $(sock_file udp "$n" err)"
	fi
done
out=$(timeout 5 bash -c 'printf "connect\0 10.0.0.1 7\n" >&'"$fd" 2>&1 || true)
check_match "a command with a NUL byte: EINVAL" 'Invalid argument' "$out"
out=$(timeout 5 bash -c 'head -c 1000000 /dev/urandom >&'"$fd" 2>&1 || true)
check_match "1 MB of random bytes in one write to ctl: EINVAL" 'Invalid argument' "$out"
check_match "the socket is still unconnected and Closed" '^Closed ' "$(sock_file udp "$n" status)"
check_eq "... its remote still 0.0.0.0 0" "$(sock_file udp "$n" remote)" "0.0.0.0 0"
check "the daemon is alive" imp_alive

# A trailing newline is optional.
ctl_try_raw() { CTL_RC=0; timeout 5 bash -c 'printf "%s" "$1" >&'"$1" x "$2" 2>/dev/null || CTL_RC=$?; }
ctl_try_raw "$fd" "connect 10.0.0.1 6001"
check_eq "a command without a trailing newline: connect 10.0.0.1 6001" "$CTL_RC" 0
check_eq "... remote 10.0.0.1 6001" "$(sock_file udp "$n" remote)" "10.0.0.1 6001"

# shutdown
check_ctl_ok "shutdown wr" "$fd" shutdown wr
check_eq "write after shutdown wr: EPIPE" "$(fop write "$U/$n/data" x)" "error EPIPE"
check_ctl_ok "shutdown rd" "$fd" shutdown rd
check_eq "read after shutdown rd: EOF" "$(fop --timeout 3 read "$U/$n/data")" "eof"
sock_close_fd "$fd"
check_ctl_ok "hangup (on a udp socket: as close)" "$U/$n/ctl" hangup
wait_until 2 eval '! timeout 5 stat "$U/$n" >/dev/null 2>&1' || true
check "after hangup the socket is gone" eval '! timeout 5 stat "$U/$n" >/dev/null 2>&1'

# writes with no peer
sock_new udp || die "open $U/new/ctl: no socket number"
fd=$SOCK_FD n=$SOCK_N
check_eq "write on a socket never connected: EDESTADDRREQ" "$(fop write "$U/$n/data" x)" "error EDESTADDRREQ"
check_ctl_ok "announce 7777" "$fd" announce 7777
check_eq "write on an announced socket (no headers): EDESTADDRREQ" "$(fop write "$U/$n/data" x)" "error EDESTADDRREQ"
check_match "err: write: destination address required" '^write: destination address required$' \
	"$(sock_file udp "$n" err)"
sock_close_fd "$fd"
ctl_try "$U/$n/ctl" close

# ADDR forms: optional ADDR told from PORT by its dots or *, ADDR!PORT
addr_form() {
	local cmd=$1 want=$2 state=$3 s
	sock_new udp || { fail "$cmd: no socket"; return 0; }
	s=$SOCK_N
	check_ctl_ok "$cmd" "$SOCK_FD" "$cmd"
	check_eq "$cmd: local $want" "$(sock_file udp "$s" local)" "$want"
	check_match "$cmd: $state" "^$state " "$(sock_file udp "$s" status)"
	sock_close_fd "$SOCK_FD"
	ctl_try "$U/$s/ctl" close
}
addr_form "announce 8080 16" ":: 8080" Announced	# both families: IPv6 runs
addr_form "announce * 8081" ":: 8081" Announced
addr_form "announce 0.0.0.0 8085" "0.0.0.0 8085" Announced	# IPv4 only
addr_form "announce *!8083" ":: 8083" Announced
addr_form "announce 10.0.0.2 8082" "10.0.0.2 8082" Announced
addr_form "announce 10.0.0.2!8084 5" "10.0.0.2 8084" Announced
addr_form "bind 10.0.0.2!5007" "10.0.0.2 5007" Bound
addr_form "bind 10.0.0.2 5008" "10.0.0.2 5008" Bound
sock_new udp || die "no socket"
check_ctl_ok "announce 0" "$SOCK_FD" announce 0
check_match "announce 0 picks a port" '^:: [1-9][0-9]*$' "$(sock_file udp "$SOCK_N" local)"
sock_close_fd "$SOCK_FD"
ctl_try "$U/$SOCK_N/ctl" close

# ---- connect with LPORT and ADDR!PORT, bind -----------------------------------------
sock_new udp || die "open $U/new/ctl: no socket number"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect 10.0.0.1!6003 5003" "$fd" 'connect 10.0.0.1!6003 5003'
check_eq "remote: 10.0.0.1 6003" "$(sock_file udp "$n" remote)" "10.0.0.1 6003"
check_eq "local: 10.0.0.2 5003 (the LPORT asked for)" "$(sock_file udp "$n" local)" "10.0.0.2 5003"
kpeer_recv_bg "$kout" 6003 --count 1 || fail "kernel receiver on 6003 not ready"
kp=$BG_PID
fop write "$U/$n/data" lport >/dev/null
reap "$kp" 5
check_match "the kernel sees it from port 5003" '^from 10\.0\.0\.2 5003 len 5 .* data lport$' "$(cat "$kout")"
sock_close_fd "$fd"
check_ctl_ok "close" "$U/$n/ctl" close

sock_new udp || die "open $U/new/ctl: no socket number"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "bind 5004" "$fd" bind 5004
check_match "after bind: local port 5004 (both families)" '^:: 5004$' "$(sock_file udp "$n" local)"
check_match "after bind: status Bound" '^Bound( |$)' "$(sock_file udp "$n" status)"
check_ctl_fails "bind again: EINVAL" "Invalid argument" "$fd" bind 5005
check_match "bind again: err names the command and the cause" '^bind 5005: .*bound' "$(sock_file udp "$n" err)"
sock_new udp || die "open $U/new/ctl: no socket number"
fd2=$SOCK_FD n2=$SOCK_N
check_ctl_fails "bind 5004 on another socket: EADDRINUSE" "Address already in use" "$fd2" bind 5004
check_match "its err says so" '^bind 5004: address already in use$' "$(sock_file udp "$n2" err)"
check_ctl_fails "bind 10.0.0.99 5006 (not a local address): EADDRNOTAVAIL" \
	"Cannot assign requested address" "$fd2" bind 10.0.0.99 5006
sock_close_fd "$fd2"
check_ctl_ok "then connect 10.0.0.1 6004" "$fd" connect 10.0.0.1 6004
check_eq "local after bind + connect: 10.0.0.2 5004" "$(sock_file udp "$n" local)" "10.0.0.2 5004"
kpeer_recv_bg "$kout" 6004 --count 1 || fail "kernel receiver on 6004 not ready"
kp=$BG_PID
fop write "$U/$n/data" bound >/dev/null
reap "$kp" 5
check_match "the kernel sees it from port 5004" '^from 10\.0\.0\.2 5004 len 5 .* data bound$' "$(cat "$kout")"
sock_close_fd "$fd"
check_ctl_ok "close" "$U/$n/ctl" close

# ---- announce: one child socket per peer ---------------------------------------------
sock_new udp || die "open $U/new/ctl: no socket number"
afd=$SOCK_FD a=$SOCK_N
check_ctl_ok "announce 9999" "$afd" announce 9999
check_match "status: Announced" '^Announced( |$)' "$(sock_file udp "$a" status)"
check_eq "local: :: 9999 (both families)" "$(sock_file udp "$a" local)" ":: 9999"
check_eq "open listen with O_NONBLOCK and no peer yet: EAGAIN" "$(fop --nonblock open "$U/$a/listen")" "error EAGAIN"

bg_run "$kout" kpeer send 7001 10.0.0.2 9999 hi --reply 5
kp=$BG_PID
l=$(fop --timeout 5 open "$U/$a/listen")
m=${l#ok }
if [[ "$l" =~ ^ok\ [0-9]+$ && $m != "$a" ]]; then
	pass "a datagram from 10.0.0.1:7001: open listen gives the ctl of a new socket ($m)"
else
	fail "a datagram from 10.0.0.1:7001: open listen gave '$l', want 'ok M', M a new socket"
	m=none
fi
check_match "ls $U lists the child $m" "^$m\$" "$(timeout 5 ls "$U" 2>&1)"
check_eq "child remote: the peer" "$(sock_file udp "$m" remote)" "10.0.0.1 7001"
check_eq "child local: 10.0.0.2 9999" "$(sock_file udp "$m" local)" "10.0.0.2 9999"
check_match "child status: Connected" '^Connected( |$)' "$(sock_file udp "$m" status)"
check_eq "child data: the peer's datagram" "$(rd1 "$U/$m/data")" hi
check_eq "write a reply to the child's data" "$(fop write "$U/$m/data" ho)" "ok 2"
reap "$kp" 6
check_match "the peer receives the reply from 10.0.0.2 9999" '^from 10\.0\.0\.2 9999 len 2 .* data ho$' "$(cat "$kout")"

kpeer send 7001 10.0.0.2 9999 again >/dev/null || true
check_eq "the same peer's next datagram goes to the child" "$(rd1 "$U/$m/data")" again
check_eq "... and no new socket waits in listen" "$(fop --nonblock open "$U/$a/listen")" "error EAGAIN"

kpeer send 7002 10.0.0.2 9999 other >/dev/null || true
l=$(fop --timeout 5 open "$U/$a/listen")
m2=${l#ok }
if [[ "$l" =~ ^ok\ [0-9]+$ && $m2 != "$a" && $m2 != "$m" ]]; then
	pass "another peer (7002): another child ($m2)"
	check_eq "its remote: 10.0.0.1 7002" "$(sock_file udp "$m2" remote)" "10.0.0.1 7002"
	check_eq "its data: that peer's datagram" "$(rd1 "$U/$m2/data")" other
else
	fail "another peer (7002): open listen gave '$l', want a third socket"
fi

# Datagrams from a peer not accepted yet wait in its child; BACKLOG bounds
# how many children wait.
sock_new udp || die "no socket"
bfd=$SOCK_FD b=$SOCK_N
check_ctl_ok "announce 9996 2 (backlog 2)" "$bfd" announce 9996 2
bd0=$(proto_stat0 udp BacklogDrops)
kpeer send 7005 10.0.0.2 9996 first >/dev/null || true
kpeer send 7005 10.0.0.2 9996 second >/dev/null || true
for p in 7101 7102 7103; do kpeer send "$p" 10.0.0.2 9996 "p$p" >/dev/null || true; done
sleep 0.3
check_eq "3 new peers past a backlog of 2 with one waiting: udp/stats BacklogDrops +2" \
	$(($(proto_stat0 udp BacklogDrops) - bd0)) 2
l=$(fop --nonblock open "$U/$b/listen")
c1=${l#ok }
if [[ "$l" =~ ^ok\ [0-9]+$ ]]; then
	check_eq "first child: the first peer" "$(sock_file udp "$c1" remote)" "10.0.0.1 7005"
	check_eq "it has both datagrams sent before the accept, in order (1)" "$(rd1 "$U/$c1/data")" first
	check_eq "it has both datagrams sent before the accept, in order (2)" "$(rd1 "$U/$c1/data")" second
	ctl_try "$U/$c1/ctl" close
else
	fail "backlog 2: open listen gave '$l'"
fi
l=$(fop --nonblock open "$U/$b/listen")
c2=${l#ok }
if [[ "$l" =~ ^ok\ [0-9]+$ ]]; then
	check_eq "second child: the second peer" "$(sock_file udp "$c2" remote)" "10.0.0.1 7101"
	ctl_try "$U/$c2/ctl" close
else
	fail "backlog 2: second open listen gave '$l'"
fi
check_eq "no third child" "$(fop --nonblock open "$U/$b/listen")" "error EAGAIN"
sock_close_fd "$bfd"
ctl_try "$U/$b/ctl" close

sock_close_fd "$afd"
for s in "$m" "$m2" "$a"; do
	[[ $s =~ ^[0-9]+$ ]] && ctl_try "$U/$s/ctl" close
done

# ---- headers mode ---------------------------------------------------------------------
sock_new udp || die "open $U/new/ctl: no socket number"
hfd=$SOCK_FD h=$SOCK_N
check_ctl_ok "headers" "$hfd" headers
check_ctl_ok "announce 9998" "$hfd" announce 9998
check_match "status says headers on" '(^| )headers on( |$)' "$(sock_file udp "$h" status)"
bg_run "$kout" kpeer send 7003 10.0.0.2 9998 hdr --reply 5
kp=$BG_PID
check_eq "a read carries the 52-byte header: peer, local, interface, ports" \
	"$(fop hread "$U/$h/data")" \
	"ok raddr ::ffff:10.0.0.1 rport 7003 laddr ::ffff:10.0.0.2 ifcaddr ::ffff:10.0.0.2 lport 9998 len 3 data hdr"
check_eq "a write with a header goes to the address in it" \
	"$(fop hwrite "$U/$h/data" 10.0.0.1 7003 back)" "ok 56"
reap "$kp" 6
check_match "the kernel gets it from 10.0.0.2 9998" '^from 10\.0\.0\.2 9998 len 4 .* data back$' "$(cat "$kout")"
check_eq "a write shorter than the header: EINVAL" "$(fop write "$U/$h/data" short)" "error EINVAL"
check_eq "a read into a buffer smaller than the header: EINVAL" \
	"$(fop --size 20 --nonblock read "$U/$h/data")" "error EINVAL"
sock_close_fd "$hfd"
ctl_try "$U/$h/ctl" close

# ---- ICMP errors ----------------------------------------------------------------------
# The kernel answers a datagram to a closed port with port unreachable: the
# socket's next write, or read, fails with ECONNREFUSED.
sock_new udp || die "open $U/new/ctl: no socket number"
efd=$SOCK_FD e=$SOCK_N
check_ctl_ok "connect 10.0.0.1 6999 (nothing listens there)" "$efd" connect 10.0.0.1 6999
unr0=$(proto_stat0 icmp InDestUnreachs)
check_eq "first write: accepted" "$(fop write "$U/$e/data" x)" "ok 1"
wait_until 3 eval '(( $(proto_stat0 icmp InDestUnreachs) > unr0 ))' || true
check_ge "icmp/stats InDestUnreachs counted the kernel's port unreachable" \
	$(($(proto_stat0 icmp InDestUnreachs) - unr0)) 1
check_eq "the next write: ECONNREFUSED" "$(fop write "$U/$e/data" y)" "error ECONNREFUSED"
check_match "err: connection refused" 'connection refused' "$(sock_file udp "$e" err)"
# The same through a read (after the error was reported, writes go again).
sleep 1.1   # the kernel rate-limits its ICMP errors per peer
unr0=$(proto_stat0 icmp InDestUnreachs)
fop write "$U/$e/data" z >/dev/null
wait_until 3 eval '(( $(proto_stat0 icmp InDestUnreachs) > unr0 ))' || true
check_eq "after another port unreachable, a read: ECONNREFUSED" \
	"$(fop --timeout 3 read "$U/$e/data")" "error ECONNREFUSED"
sock_close_fd "$efd"
ctl_try "$U/$e/ctl" close

# The stack answers a datagram to a closed port with port unreachable.
nop0=$(proto_stat0 udp NoPorts)
odu0=$(proto_stat0 icmp OutDestUnreachs)
out=$(kpeer send 7004 10.0.0.2 4444 nobody --connect --reply 3 || true)
check_match "kernel socket connected to 10.0.0.2:4444 (closed) gets ECONNREFUSED" '^error ECONNREFUSED$' "$out"
check_ge "udp/stats NoPorts counted it" $(($(proto_stat0 udp NoPorts) - nop0)) 1
check_ge "icmp/stats OutDestUnreachs counted the port unreachable" $(($(proto_stat0 icmp OutDestUnreachs) - odu0)) 1

# ---- stats format -----------------------------------------------------------------------
stats=$(rd "$U/stats" || true)
for c in InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors InBadLength BacklogDrops Sockets; do
	check_match "udp/stats has $c" "^$c: [0-9]+\$" "$stats"
done
check "udp/stats: every line is \"Name: value\"" eval \
	"! grep -Evq '^[A-Za-z][A-Za-z0-9]*: [0-9]+\$' <<<\"\$stats\""

check "daemon alive and serving" imp_alive
imp_stop
