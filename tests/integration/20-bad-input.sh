#!/usr/bin/env bash
# Malformed frames from the kernel's side of the TAP (bad_input.py, scapy):
# after each group the daemon is alive, still answers ping, and the counter
# for that kind of damage in ipifc/0/stats grew by at least the number of
# damaged frames.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

HERE=$(cd "$(dirname "$0")" && pwd)
"$IMP_PY" -c 'import scapy' 2>/dev/null || die "$IMP_PY has no scapy (apt-get install python3-scapy)"

imp_start
# A longer TAP queue, so bursts reach the stack instead of being dropped.
ip link set "$IMP_TAP" txqueuelen 10000
stack_mac=$(status_field mac)
[[ -n "$stack_mac" ]] || die "no mac in $MNT/ipifc/0/status"
peer_mac=$(kernel_mac)
check "ping before any bad input" ping_ok 1

# sum_counters A B ...: sum of the counters (missing ones count 0).
sum_counters() {
	local s=0 c
	for c in "$@"; do s=$((s + $(stat0 "$c"))); done
	echo "$s"
}

# group NAME COUNTERS [PY-ARGS...]
#   Send group NAME; the sum of COUNTERS (space-separated, any of them may do)
#   must grow by at least the number bad_input.py reports as "expect".
group() {
	local name=$1 counters=$2
	shift 2
	local before after out rc=0 sent expect
	read -r -a cs <<<"$counters"
	before=$(sum_counters "${cs[@]}")
	out=$(timeout 120 "$IMP_PY" "$HERE/bad_input.py" --iface "$IMP_TAP" --dst-mac "$stack_mac" --src-mac "$peer_mac" \
		--dst "$IMP_ADDR" --src "$IMP_PEER" "$@" "$name" 2>&1) || rc=$?
	if ((rc != 0)); then
		fail "$name: bad_input.py failed (status $rc):"
		sed 's/^/      | /' <<<"$out"
	else
		sent=$(sed -n 's/^sent \([0-9]*\) expect.*/\1/p' <<<"$out" | tail -n 1)
		expect=$(sed -n 's/^sent [0-9]* expect \([0-9]*\).*/\1/p' <<<"$out" | tail -n 1)
		# The stack reads the TAP asynchronously: wait (<= 5 s) for the count.
		wait_until 5 eval '(( $(sum_counters "${cs[@]}") - before >= expect ))' || true
		after=$(sum_counters "${cs[@]}")
		check_ge "$name: $sent frames sent, ${counters// / + } grew" $((after - before)) "${expect:-1}"
	fi
	check "$name: daemon alive and serving" imp_alive
	check "$name: ping -c 1 -W 1 $IMP_ADDR still answered" ping_ok 1
}

# Frames under 14 bytes: the kernel refuses to send them on a TAP device, so
# RxRunts is covered by the unit test test_runt_frame (tests/unit/test_ipv4.c).
group eth-only "InTruncated"
group ip-cut "InTruncated"
group ip-csum "InCsumErrors"
group ihl-small "InBadIHL"
# IHL pointing past the end of the frame: a bad IHL or a truncated header.
group ihl-big "InBadIHL InTruncated"
group totlen-long "InTruncated"
group totlen-short "InBadLength"
group version "InBadVersion"
group wrong-dst "InAddrErrors"
group unknown-proto "InUnknownProtos"
group icmp-csum "IcmpInCsumErrors"
group icmp-short "IcmpInErrors"
group arp-bad "ArpInErrors"
group ether-unknown "RxUnknownType"

group frag-overlap "ReasmOverlaps"
check "frag-overlap: a fragmented ping (-s 3000) is still reassembled and answered" ping_ok 1 -s 3000

timeouts0=$(stat0 ReasmTimeout)
group frag-flood-one "ReasmTooMany ReasmOverMem"
group frag-flood-ids "ReasmTooMany ReasmOverMem"

# The queues the floods left must be dropped by the reassembly timer, and a
# fragmented datagram must get through again (at once if the stack evicts old
# queues, at the latest once they time out).
check "after the fragment floods: a fragmented ping (-s 3000) is answered within 65 s" \
	wait_until 65 ping_ok 1 -s 3000
check "after the fragment floods: reassembly queues time out (ReasmTimeout grows within 65 s)" \
	wait_until 65 eval '(( $(stat0 ReasmTimeout) > timeouts0 ))'
note "ReasmTimeout $(stat0 ReasmTimeout), ReasmFails $(stat0 ReasmFails), ReasmTooMany $(stat0 ReasmTooMany)"

group random "RxFrames" --seed 4242 --count 3000
group random "RxFrames" --seed 777 --count 3000

note "kernel side: $(ip -s link show "$IMP_TAP" | tr -s ' ' | paste -sd' ')"
stats=$(rd "$MNT/ipifc/0/stats" || true)
note "final counters: $(tr '\n' ' ' <<<"$stats")"

imp_stop
