#!/usr/bin/env bash
# TCP, segment by segment, from the kernel's side of the TAP (56_tcp_packets.py,
# scapy): a SYN to a closed port gets a RST; a handshake by hand with a
# listener announced through the files, then out-of-window data, a RST in the
# window but not at rcv_nxt and a SYN each get the exact (challenge) ACK; bad
# checksums get nothing and count in tcp/stats InCsumErrors; a zero window gets
# probes at growing intervals while data written to the data file waits, and
# the data once the window opens.  The stack as a SACK receiver: blocks and
# D-SACKs.  The stack as a SACK sender (MSS 1000, SRTT set by when the
# handshake's ACK comes): 6 segments out, an ACK of the 1st with a SACK of
# the 3rd-6th gets exactly the 2nd again at once (RACK, RFC 8985) and
# nothing else before a probe could be due (tcp/stats RetransSegs,
# SackRecoveries, RackLost +1); SACK blocks past snd_max or reversed count in
# SackBlocksBad and change nothing; 4 segments out and an ACK of 2 get a tail
# loss probe, the last segment again, 2 SRTT + 2 ms later, long before the
# 200 ms RTO (TlpProbes +1; TlpRecoveries +1 once all is ACKed).
#
# The kernel's own TCP would answer the stack's SYN-ACK for a connection it
# never made with a RST: an nftables rule (iptables if nft is missing) in the
# test's namespace drops the kernel's outgoing RSTs.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
HERE=$(cd "$(dirname "$0")" && pwd)

"$IMP_PY" -c 'import scapy' 2>/dev/null || die "$IMP_PY has no scapy (apt-get install python3-scapy)"

imp_start
stack_mac=$(status_field mac)
kmac=$(kernel_mac)
note "stack mac $stack_mac, kernel mac $kmac"
[[ -n "$stack_mac" && -n "$kmac" ]] || die "no MAC address for the stack ($stack_mac) or the kernel ($kmac)"

# ---- the kernel keeps out of it ------------------------------------------------------
if command -v nft >/dev/null 2>&1 &&
	nft add table inet imp56 2>/dev/null &&
	nft add chain inet imp56 out '{ type filter hook output priority 0; }' &&
	nft add rule inet imp56 out tcp flags rst drop; then
	pass "nft: the kernel's outgoing RSTs are dropped in the test's namespace"
elif command -v iptables >/dev/null 2>&1 &&
	iptables -A OUTPUT -p tcp --tcp-flags RST RST -j DROP 2>/dev/null; then
	pass "iptables: the kernel's outgoing RSTs are dropped in the test's namespace"
else
	die "neither nft nor iptables could drop the kernel's RSTs"
fi

# The stack learns the kernel's MAC first, so no answer waits on ARP.
check "ping: the stack answers (and knows the kernel's MAC)" ping_ok 2

# ---- the segments --------------------------------------------------------------------
mk_tmpfile pyout
rc=0
timeout 90 "$IMP_PY" "$HERE/56_tcp_packets.py" --iface "$IMP_TAP" --stack-mac "$stack_mac" \
	--my-mac "$kmac" --mnt "$MNT" --stack-ip "$IMP_ADDR" --my-ip "$IMP_PEER" --port 7777 \
	>"$pyout" 2>&1 || rc=$?
npy=0
while IFS= read -r line; do
	case $line in
	PASS:*) pass "${line#PASS: }"; npy=$((npy + 1)) ;;
	FAIL:*) fail "${line#FAIL: }"; npy=$((npy + 1)) ;;
	*) note "$line" ;;
	esac
done <"$pyout"
((rc != 124)) || fail "56_tcp_packets.py did not finish within 90 s"
((rc == 0 || rc == 1)) || fail "56_tcp_packets.py exited with status $rc"
check_ge "56_tcp_packets.py made its checks" "$npy" 60

check "daemon alive and serving after the crafted segments" imp_alive
imp_stop
