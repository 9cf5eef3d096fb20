#!/usr/bin/env bash
# TCP over a bad link.  (1) impfs --fault drop=3,dup=1,reorder=10,corrupt=0.5:
# 20 MiB each way arrive intact, the stack retransmits, and the Fault*
# counters show the impairment happened.  (2) A clean impfs, and nftables in
# the namespace instead: a netdev table on imp0 whose ingress and egress
# chains drop 3% of frames at random and whose egress chain duplicates 1%;
# 20 MiB each way intact, both sides retransmit.  Each upload's close ends in
# TIME_WAIT.  (3) Deterministic: a retransmission timeout after the FIN was
# sent, then the peer's ACK of that FIN; the close still ends in TIME_WAIT.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

SIZE=$((20 * 1048576))
mk_tmpfile src
mk_tmpfile got
head -c "$SIZE" /dev/urandom >"$src"
want=$(sha256_of "$src")

# transfer_both LABEL PORT: 20 MiB kernel -> stack (socat sends, cat data >
# file) and 20 MiB stack -> kernel (cat file > data, socat receives), each
# checked by sha256.
transfer_both() {
	local label=$1 port=$2 rc t0 fd n sender receiver
	local sout rout
	mk_tmpfile sout
	mk_tmpfile rout

	rm -f "$got"
	tcp_bg "$sout" socat -u "OPEN:$src" "TCP-LISTEN:$port,bind=$IMP_PEER,reuseaddr"
	sender=$BG_PID
	wait_listening "$port" || { fail "$label: socat did not listen on $port"; return 0; }
	sock_new tcp || { fail "$label: no socket"; return 0; }
	fd=$SOCK_FD n=$SOCK_N
	check_ctl_ok "$label: connect $IMP_PEER $port" "$fd" connect "$IMP_PEER" "$port"
	t0=$(now_ms)
	rc=0
	timeout 90 cat "$MNT/tcp/$n/data" >"$got" || rc=$?
	note "$label: 20 MiB kernel -> stack in $(($(now_ms) - t0)) ms, $(timeout 5 cat "$MNT/tcp/$n/status" 2>&1 || true)"
	check_eq "$label: kernel -> stack: cat data > file ends at EOF (exit 0)" "$rc" 0
	check_eq "$label: kernel -> stack: 20 MiB intact (sha256)" "$(sha256_of "$got")" "$want"
	sock_close_fd "$fd"
	tcp_kill_group "$sender"

	rm -f "$got"
	tcp_bg "$rout" socat -u "TCP-LISTEN:$((port + 1)),bind=$IMP_PEER,reuseaddr" "OPEN:$got,creat,trunc"
	receiver=$BG_PID
	wait_listening $((port + 1)) || { fail "$label: socat did not listen on $((port + 1))"; return 0; }
	sock_new tcp || { fail "$label: no socket"; return 0; }
	fd=$SOCK_FD n=$SOCK_N
	check_ctl_ok "$label: connect $IMP_PEER $((port + 1))" "$fd" connect "$IMP_PEER" $((port + 1))
	t0=$(now_ms)
	rc=0
	timeout 90 cat "$src" >"$MNT/tcp/$n/data" || rc=$?
	check_eq "$label: stack -> kernel: cat file > data, exit 0" "$rc" 0
	ctl_try "$fd" close
	if ! wait_until 60 eval "! tcp_group_alive $receiver"; then
		fail "$label: stack -> kernel: socat did not see EOF within 60 s ($(timeout 5 cat "$MNT/tcp/$n/status" 2>&1 || true))"
	fi
	note "$label: 20 MiB stack -> kernel in $(($(now_ms) - t0)) ms, $(timeout 5 cat "$MNT/tcp/$n/status" 2>&1 || true)"
	check_eq "$label: stack -> kernel: 20 MiB intact (sha256)" "$(sha256_of "$got" 2>/dev/null)" "$want"
	# Our FIN went first, the peer's followed: the close ends in TIME_WAIT
	# (not Closing, not a reset).  ctl is still open, so the socket stays visible.
	check "$label: stack -> kernel: after close and the peer's FIN: Time_wait (<= 10 s)" \
		wait_until 10 eval "[[ \$(tcp_state $n) == Time_wait ]]"
	((IMP_OK)) || note "state: $(tcp_state "$n")"
	sock_close_fd "$fd"
	tcp_kill_group "$receiver"
}

# ---- (1) impfs --fault ---------------------------------------------------------------
FAULT=drop=3,dup=1,reorder=10,corrupt=0.5,seed=42
imp_start --msl 500 --fault "$FAULT"
retrans0=$(tcp_stat RetransSegs)
kretrans0=$(kernel_snmp Tcp RetransSegs)
transfer_both "--fault" 9100
check_ge "--fault: the stack retransmitted (RetransSegs)" $(($(tcp_stat RetransSegs) - retrans0)) 1
check_ge "--fault: the kernel retransmitted (its Tcp RetransSegs)" $(($(kernel_snmp Tcp RetransSegs) - kretrans0)) 1
for c in FaultDrops FaultDups FaultReorders FaultCorrupts; do
	check_ge "--fault: ipifc/0/stats $c > 0" "$(stat0 $c)" 1
done
check_ge "--fault: corrupted segments caught by the checksum (InCsumErrors)" "$(tcp_stat InCsumErrors)" 1
note "tcp stats: $(timeout 5 cat "$MNT/tcp/stats" | awk -F': *' '$2 != 0 { printf "%s=%s ", $1, $2 }')"
check "--fault: daemon alive" imp_alive
tcp_kill_groups
imp_stop

# ---- (2) nftables on imp0 --------------------------------------------------------------
imp_start --msl 500
# The egress hook sees the kernel's packets before GSO cuts them into frames:
# one segment per packet, so that 3% of packets is 3% of frames.
if ip link set dev "$IMP_TAP" gso_max_segs 1 2>/dev/null; then
	check_match "ip link set imp0 gso_max_segs 1 took" ' gso_max_segs 1 ' "$(ip -d link show dev "$IMP_TAP")"
else
	note "NOTE: ip link cannot set gso_max_segs here: nft's egress chain sees GSO packets (up to 64 KiB), not frames"
fi
# ingress on imp0: frames from the stack to the kernel; egress: the kernel's
# frames to the stack.  dup can only go toward the stack: "dup to imp0" sends
# the copy out of imp0 again.
nft_drop_in='numgen random mod 100 < 3 counter drop'
nft_drop_out='numgen random mod 100 < 3 counter drop'
nft_dup='numgen random mod 100 < 1 counter dup to "imp0"'
nft_load() { # INGRESS-RULES EGRESS-RULES (either may be "-": no such chain)
	{
		echo 'table netdev imp_impair {'
		[[ $1 != - ]] && printf '\tchain in {\n\t\ttype filter hook ingress device "imp0" priority 0; policy accept;\n%s\n\t}\n' "$1"
		[[ $2 != - ]] && printf '\tchain out {\n\t\ttype filter hook egress device "imp0" priority 0; policy accept;\n%s\n\t}\n' "$2"
		echo '}'
	} >"$T_NFT"
	nft delete table netdev imp_impair 2>/dev/null || true
	nft -f "$T_NFT" 2>&1
}
mk_tmpfile T_NFT
have_egress=1 have_dup=1
if ! err=$(nft_load "$nft_drop_in" "$(printf '%s\n%s' "$nft_drop_out" "$nft_dup")"); then
	note "nft -f with ingress drop, egress drop and egress dup failed: $err"
	if ! err_e=$(nft_load "$nft_drop_in" "$nft_drop_out"); then
		if err_i=$(nft_load "$nft_drop_in" -); then
			have_egress=0 have_dup=0
			note "NOTE: this kernel ($(uname -r)) refuses a netdev egress chain: $err_e"
		else
			fail "nft: even a netdev ingress chain on imp0 is refused: $err_i"
		fi
	elif ! nft_load "$nft_drop_in" "$nft_dup" >/dev/null; then
		fail "nft: an egress chain works but 'dup to \"imp0\"' in it is refused: $err"
		have_dup=0
		nft_load "$nft_drop_in" "$nft_drop_out" >/dev/null || true
	else
		fail "nft: each rule loads alone but not together: $err"
		have_dup=0
		nft_load "$nft_drop_in" "$nft_drop_out" >/dev/null || true
	fi
fi
rules=$(nft list ruleset 2>&1 || true)
check_match "nft list ruleset: ingress chain on imp0 drops 3%" 'numgen random mod 100 < 3 counter packets [0-9]+ bytes [0-9]+ drop' "$rules"
if ((have_egress)); then
	check_match "nft list ruleset: egress chain on imp0" 'type filter hook egress device "?imp0"? priority' "$rules"
fi
if ((have_dup)); then
	check_match "nft list ruleset: egress duplicates 1% to imp0" 'numgen random mod 100 < 1 counter packets [0-9]+ bytes [0-9]+ dup to "?imp0"?' "$rules"
fi

retrans0=$(tcp_stat RetransSegs)
kretrans0=$(kernel_snmp Tcp RetransSegs)
transfer_both "nft" 9200
rules=$(nft list ruleset 2>&1 || true)
# packets counted by each rule, in the order listed: [0] ingress drop, [1] egress drop, [2] dup
mapfile -t hits < <(sed -n 's/.*numgen random mod 100 < [0-9]* counter packets \([0-9]*\) .*/\1/p' <<<"$rules")
note "nft rule hits (ingress drop, egress drop, dup): ${hits[*]}"
check_ge "nft: the ingress rule dropped frames from the stack" "${hits[0]:-}" 1
if ((have_egress)); then
	check_ge "nft: the egress rule dropped frames to the stack" "${hits[1]:-}" 1
fi
if ((have_dup)); then
	check_ge "nft: the egress rule duplicated frames to the stack" "${hits[2]:-}" 1
fi
check_ge "nft: the stack retransmitted (RetransSegs)" $(($(tcp_stat RetransSegs) - retrans0)) 1
# No check that the kernel retransmitted: a packet its own egress chain drops
# fails dev_queue_xmit, and TCP sends it again as unsent data, not as a
# retransmission, so its RetransSegs may stay 0 (the sha256 above is the
# proof the data got through).  The --fault part checks its retransmissions.
note "nft: the kernel's Tcp RetransSegs went up by $(($(kernel_snmp Tcp RetransSegs) - kretrans0))"
note "tcp stats: $(timeout 5 cat "$MNT/tcp/stats" | awk -F': *' '$2 != 0 { printf "%s=%s ", $1, $2 }')"
check "nft: daemon alive" imp_alive
tcp_kill_groups
nft delete table netdev imp_impair
imp_stop

# ---- (3) a retransmission timeout after the FIN ------------------------------------------
# Deterministic: the kernel's packets to the stack are dropped (egress) while
# the stack sends 4000 bytes and its FIN, so the stack times out and goes
# back to retransmit from the first byte.  The kernel got everything: when
# the drop ends, its FIN comes with an ACK of the stack's FIN, beyond what the
# stack has re-sent since the timeout.  That ACK covers the FIN: the close
# must end in TIME_WAIT, with no second FIN and no reset.
imp_start --msl 500
nft -f - <<'EOF'
table netdev imp_rto {
	chain out {
		type filter hook egress device "imp0" priority 0; policy accept;
	}
}
EOF
rm -f "$got"
mk_tmpfile rout
tcp_bg "$rout" socat -u "TCP-LISTEN:9300,bind=$IMP_PEER,reuseaddr" "OPEN:$got,creat,trunc"
receiver=$BG_PID
wait_listening 9300 || die "socat did not listen on 9300"
sock_new tcp || die "no socket"
fd=$SOCK_FD n=$SOCK_N
check_ctl_ok "RTO after FIN: connect $IMP_PEER 9300" "$fd" connect "$IMP_PEER" 9300
nft add rule netdev imp_rto out tcp sport 9300 counter drop
check_match "RTO after FIN: egress drop of the kernel's segments in place" \
	'tcp sport 9300 counter packets 0 bytes 0 drop' "$(nft list ruleset)"
krst0=$(kernel_snmp Tcp OutRsts)
rto0=$(tcp_stat Timeouts)
check_eq "RTO after FIN: write 4000 bytes" "$(fop write "$MNT/tcp/$n/data" @4000)" "ok 4000"
check_ctl_ok "RTO after FIN: close (FIN after the data)" "$fd" close
check "RTO after FIN: the kernel receiver got everything and closed (<= 5 s)" \
	wait_until 5 eval "! tcp_group_alive $receiver"
sleep 1 # the stack's retransmission timer fires (rto 200 ms, then 400 ms)
check_eq "RTO after FIN: the stack still waits for the ACK of its FIN" "$(tcp_state "$n")" Finwait1
check_ge "RTO after FIN: the stack timed out" $(($(tcp_stat Timeouts) - rto0)) 1
nft flush chain netdev imp_rto out
check "RTO after FIN: once the kernel gets through: Time_wait (<= 5 s)" \
	wait_until 5 eval "[[ \$(tcp_state $n) == Time_wait ]]"
((IMP_OK)) || note "state: $(tcp_state "$n")"
check_eq "RTO after FIN: the kernel sent no reset (its OutRsts)" $(($(kernel_snmp Tcp OutRsts) - krst0)) 0
check_eq "RTO after FIN: the kernel got the 4000 bytes" "$(md5sum <"$got" | cut -d' ' -f1)" "$(pattern_md5 4000)"
sock_close_fd "$fd"
check "RTO after FIN: daemon alive" imp_alive
tcp_kill_groups
imp_stop
