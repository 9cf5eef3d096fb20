#!/usr/bin/env bash
# Bulk TCP both ways: 100 MiB from a kernel sender (socat) read with
# `cat data > file`, and 100 MiB written with `cat file > data` to a kernel
# receiver (nc); both arrive intact (sha256), the receiver sees the stack's
# FIN after `close`, and the sockets go away afterwards.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

SIZE=$((100 * 1048576))
imp_start --msl 500

mk_tmpfile src
mk_tmpfile got
head -c "$SIZE" /dev/urandom >"$src"
want=$(sha256_of "$src")

# ---- kernel -> stack ---------------------------------------------------------------------
mk_tmpfile sout
tcp_bg "$sout" socat -u "OPEN:$src" TCP-LISTEN:9001,bind=$IMP_PEER,reuseaddr
sender=$BG_PID
wait_listening 9001 || die "socat did not listen on 9001"
sock_new tcp || die "no socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $IMP_PEER 9001 (socat sends 100 MiB, then closes)" "$cfd" connect "$IMP_PEER" 9001
t0=$(now_ms)
rc=0
timeout 60 cat "$MNT/tcp/$n/data" >"$got" || rc=$?
dt=$(($(now_ms) - t0))
check_eq "cat data > file: exit 0 at EOF" "$rc" 0
note "100 MiB kernel -> stack in $dt ms"
check_eq "cat data > file: 100 MiB received" "$(stat -c %s "$got")" "$SIZE"
check_eq "cat data > file: sha256 equal" "$(sha256_of "$got")" "$want"
check "the kernel sender finished (<= 5 s)" wait_until 5 eval "! tcp_group_alive $sender"
sock_close_fd "$cfd"
check "the socket goes away once read to EOF and closed (<= 5 s)" wait_until 5 tcp_sock_gone "$n"

# ---- stack -> kernel ---------------------------------------------------------------------
rm -f "$got"
mk_tmpfile rout
tcp_bg "$rout" bash -c 'exec nc -l -n -s "$1" -p 9002 >"$2"' nc "$IMP_PEER" "$got"
receiver=$BG_PID
wait_listening 9002 || die "nc did not listen on 9002"
sock_new tcp || die "no socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $IMP_PEER 9002 (nc -l receives)" "$cfd" connect "$IMP_PEER" 9002
retrans0=$(tcp_stat RetransSegs)
t0=$(now_ms)
rc=0
timeout 60 cat "$src" >"$MNT/tcp/$n/data" || rc=$?
check_eq "cat file > data: 100 MiB written, exit 0" "$rc" 0
check_ctl_ok "close (FIN after the queued data)" "$cfd" close
check "nc sees EOF and exits (<= 30 s)" wait_until 30 eval "! tcp_group_alive $receiver"
dt=$(($(now_ms) - t0))
note "100 MiB stack -> kernel in $dt ms ($(($(tcp_stat RetransSegs) - retrans0)) segments retransmitted)"
check_eq "nc received 100 MiB" "$(stat -c %s "$got" 2>/dev/null)" "$SIZE"
check_eq "nc received the file: sha256 equal" "$(sha256_of "$got")" "$want"
fop_out=$(fop write "$MNT/tcp/$n/data" more)
check_eq "write to data after close: EPIPE" "$fop_out" "error EPIPE"
sock_close_fd "$cfd"
check "after close: the socket goes away when the FIN exchange is done (<= 5 s)" \
	wait_until 5 tcp_sock_gone "$n"

# The link's MTU is 1500: 100 MiB is at least 100 MiB / 1460 segments each way.
check_ge "InSegs counted every data segment (>= 100 MiB / 1460)" "$(tcp_stat InSegs)" $((SIZE / 1460))
check_ge "OutSegs counted every data segment (>= 100 MiB / 1460)" "$(tcp_stat OutSegs)" $((SIZE / 1460))
check_eq "no checksum errors on a clean link" "$(tcp_stat InCsumErrors)" 0
check "daemon alive" imp_alive
tcp_kill_groups
imp_stop
