#!/usr/bin/env bash
# ICMP echo through /imp/icmp: examples/ping.sh against the kernel (and what
# it prints), echo requests and replies byte for byte (43_echo.py), the
# errors of icmp sockets, and EHOSTUNREACH on icmp and udp sockets connected
# to an address on the subnet that nobody has (ARP gives up after 3 tries).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

HERE=$(cd "$(dirname "$0")" && pwd)
PING_SH=$IMP_REPO/examples/ping.sh
echo_py() { "$IMP_PY" "$HERE/43_echo.py" "$@" || true; }

imp_start
I=$MNT/icmp
lsdir() { timeout 5 ls "$1" 2>&1 | tr '\n' ' ' | sed 's/ $//'; }

# ---- examples/ping.sh ----------------------------------------------------------------
oe0=$(proto_stat0 icmp OutEchos)
ier0=$(proto_stat0 icmp InEchoReps)
rc=0
out=$(IMP_ROOT=$MNT timeout 30 bash "$PING_SH" 10.0.0.1 3 2>&1) || rc=$?
sed 's/^/      | /' <<<"$out"
check_eq "examples/ping.sh 10.0.0.1 3: exit status 0" "$rc" 0
check_match "first line: PING 10.0.0.1" '^PING 10\.0\.0\.1' "$out"
for s in 1 2 3; do
	check_match "a reply line for icmp_seq=$s" \
		"^64 bytes from 10\.0\.0\.1: icmp_seq=$s time=[0-9]+(\.[0-9]+)? ms\$" "$out"
done
check_eq "three reply lines, none with wrong data" "$(grep -c '^64 bytes from' <<<"$out")" 3
check "no \"wrong data\"" eval '! grep -q "wrong data" <<<"$out"'
check_match "summary: 3 transmitted, 3 received, 0% loss" \
	'^3 packets transmitted, 3 received, 0% packet loss' "$out"
check_match "rtt line" '^rtt min/avg/max = [0-9.]+/[0-9.]+/[0-9.]+ ms$' "$out"
check_ge "icmp/stats OutEchos counted the 3 requests" $(($(proto_stat0 icmp OutEchos) - oe0)) 3
check_ge "icmp/stats InEchoReps counted the 3 replies" $(($(proto_stat0 icmp InEchoReps) - ier0)) 3
wait_until 2 eval '[[ "$(lsdir "$I")" == "new stats" ]]' || true
check_eq "ping.sh closed its socket: ls icmp is new stats" "$(lsdir "$I")" "new stats"

rc=0
out=$(IMP_ROOT=$MNT timeout 30 bash "$PING_SH" 1.2.3 1 2>&1) || rc=$?
check_eq "ping.sh 1.2.3: exit status 2" "$rc" 2
check_match "... saying why" '1\.2\.3.*not an IPv4 address' "$out"
rc=0
out=$(IMP_ROOT=/nonexistent timeout 30 bash "$PING_SH" 10.0.0.1 1 2>&1) || rc=$?
check_eq "ping.sh with IMP_ROOT=/nonexistent: exit status 2" "$rc" 2

rc=0
t0=$(now_ms)
out=$(IMP_ROOT=$MNT timeout 30 bash "$PING_SH" 10.0.0.77 1 2>&1) || rc=$?
dt=$(($(now_ms) - t0))
sed 's/^/      | /' <<<"$out"
check_eq "ping.sh 10.0.0.77 (nobody there) 1: exit status 1" "$rc" 1
check_match "... Destination Host Unreachable" '^From 10\.0\.0\.2 icmp_seq=1 Destination Host Unreachable$' "$out"
check_match "... 1 transmitted, 0 received" '^1 packets transmitted, 0 received, \+1 errors, 100% packet loss' "$out"
check "... within 6 s (${dt} ms)" test "$dt" -lt 6000

# ---- echo, byte for byte -----------------------------------------------------------
sock_new icmp || die "no icmp socket"
fd=$SOCK_FD n=$SOCK_N
check_match "status of a new icmp socket: Closed" '^Closed( |$)' "$(sock_file icmp "$n" status)"
check_ctl_ok "connect 10.0.0.1 (no port)" "$fd" connect 10.0.0.1
check_match "status: Connected, with an ident" '^Connected( .*)? ident [0-9]+( |$)' "$(sock_file icmp "$n" status)"
check_eq "remote: 10.0.0.1 0" "$(sock_file icmp "$n" remote)" "10.0.0.1 0"
ident=$(sock_file icmp "$n" status | sed -n 's/.* ident \([0-9]*\).*/\1/p')
check_eq "local: 10.0.0.2 and the ident" "$(sock_file icmp "$n" local)" "10.0.0.2 $ident"
D=$I/$n/data

out=$(echo_py "$D" --seq0 4660 --size 8)
check_eq "an echo request: the reply has type 0, the same seq and data, the socket's id, a good checksum" \
	"$(head -n 1 <<<"$out")" "reply seq 4660 type 0 code 0 id $ident len 16 csum ok data ok"
out=$(echo_py "$D" --count 100 --seq0 1 --size 56 --timeout 2)
check_eq "100 echo requests in a row: 100 replies" "$(tail -n 1 <<<"$out")" "done 100 of 100"
check_eq "... all intact" "$(grep -c "^reply seq [0-9]* type 0 code 0 id $ident len 64 csum ok data ok\$" <<<"$out")" 100
out=$(echo_py "$D" --size 0)
check_eq "an echo request with no data" "$(head -n 1 <<<"$out")" "reply seq 1 type 0 code 0 id $ident len 8 csum ok data ok"
out=$(echo_py "$D" --size 1472)
check_eq "1472 bytes of data (one full frame)" "$(head -n 1 <<<"$out")" "reply seq 1 type 0 code 0 id $ident len 1480 csum ok data ok"
out=$(echo_py "$D" --size 8000)
check_eq "8000 bytes of data (fragmented both ways)" "$(head -n 1 <<<"$out")" "reply seq 1 type 0 code 0 id $ident len 8008 csum ok data ok"
out=$(echo_py "$D" --size 65499)
check_eq "65499 bytes of data (the largest: 65507 of ICMP)" "$(head -n 1 <<<"$out")" "reply seq 1 type 0 code 0 id $ident len 65507 csum ok data ok"

# a second socket gets its own replies only
sock_new icmp || die "no icmp socket"
fd2=$SOCK_FD n2=$SOCK_N
check_ctl_ok "a second icmp socket: connect 10.0.0.1" "$fd2" connect 10.0.0.1
out=$(echo_py "$I/$n2/data" --seq0 77 --size 10)
check_match "its echo is answered" '^reply seq 77 type 0 ' "$out"
check_eq "the first socket did not get the second's reply" "$(fop --nonblock read "$D")" "error EAGAIN"
sock_close_fd "$fd2"
ctl_try "$I/$n2/ctl" close

# ---- errors ---------------------------------------------------------------------------------
check_eq "a write shorter than an ICMP header: EINVAL" "$(echo_py "$D" --raw 0800)" "error EINVAL"
check_eq "a write that is not an echo request (type 13): EINVAL" \
	"$(echo_py "$D" --raw 0d000000000000010000000000000000)" "error EINVAL"
check_eq "65508 bytes of ICMP: EMSGSIZE" "$(fop write "$D" @65508)" "error EMSGSIZE"
check_ctl_fails "announce on an icmp socket: EINVAL" "Invalid argument" "$fd" announce 5
check_match "... err says why" '^announce 5: .*icmp' "$(sock_file icmp "$n" err)"
check_ctl_fails "headers on an icmp socket: EINVAL" "Invalid argument" "$fd" headers
check_match "... err: not for icmp sockets" '^headers: not for icmp sockets$' "$(sock_file icmp "$n" err)"
check_ctl_fails "nodelay on an icmp socket: EINVAL" "Invalid argument" "$fd" nodelay on
check_ctl_fails "a second connect: EISCONN" "Transport endpoint is already connected" "$fd" connect 10.0.0.1
sock_close_fd "$fd"
ctl_try "$I/$n/ctl" close

sock_new icmp || die "no icmp socket"
check_eq "an echo request on a socket not connected: EDESTADDRREQ" \
	"$(echo_py "$I/$SOCK_N/data" --raw 0800000000000001)" "error EDESTADDRREQ"
sock_close_fd "$SOCK_FD"

# ---- EHOSTUNREACH ---------------------------------------------------------------------------
sock_new icmp || die "no icmp socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect 10.0.0.77 (on the subnet, nobody there)" "$fd" connect 10.0.0.77
check_eq "an echo request to it is accepted" "$(echo_py "$I/$n/data" --raw 0800000000000001)" "ok 8"
t0=$(now_ms)
out=$(fop --timeout 8 read "$I/$n/data")
dt=$(($(now_ms) - t0))
check_eq "the read: EHOSTUNREACH when ARP gives up" "$out" "error EHOSTUNREACH"
check "... within 5 s (${dt} ms)" test "$dt" -lt 5000
check_match "err: no route to host" 'no route to host' "$(sock_file icmp "$n" err)"
sock_close_fd "$fd"
ctl_try "$I/$n/ctl" close

sock_new udp || die "no udp socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "udp: connect 10.0.0.78 9 (nobody there)" "$fd" connect 10.0.0.78 9
check_eq "udp: a datagram to it is accepted" "$(fop write "$MNT/udp/$n/data" lost)" "ok 4"
t0=$(now_ms)
out=$(fop --timeout 8 read "$MNT/udp/$n/data")
dt=$(($(now_ms) - t0))
check_eq "udp: the read: EHOSTUNREACH when ARP gives up" "$out" "error EHOSTUNREACH"
check "... within 5 s (${dt} ms)" test "$dt" -lt 5000
sock_close_fd "$fd"
ctl_try "$MNT/udp/$n/ctl" close

# ---- stats ------------------------------------------------------------------------------------
stats=$(rd "$I/stats" || true)
for c in InMsgs InErrors InCsumErrors InDestUnreachs InEchos InEchoReps OutMsgs OutDestUnreachs OutEchos OutEchoReps Sockets; do
	check_match "icmp/stats has $c" "^$c: [0-9]+\$" "$stats"
done
check "icmp/stats: every line is \"Name: value\"" eval \
	"! grep -Evq '^[A-Za-z][A-Za-z0-9]*: [0-9]+\$' <<<\"\$stats\""
check_ge "icmp/stats InEchoReps counted every reply (3 + 1 + 100 + 5)" \
	$(($(proto_stat0 icmp InEchoReps) - ier0)) 109

check "daemon alive and serving" imp_alive
check "the kernel still pings the stack" ping_ok 3
imp_stop
