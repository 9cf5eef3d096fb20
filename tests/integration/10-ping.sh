#!/usr/bin/env bash
# The kernel pings the stack: plain, fragmented both ways, flooded; then the
# neighbour tables on both sides and the interface files agree.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

imp_start

stack_mac=$(status_field mac)
kmac=$(kernel_mac)
note "stack mac $stack_mac, kernel mac $kmac"

# ---- plain echo ----------------------------------------------------------------
echos0=$(stat0 IcmpInEchos)
reps0=$(stat0 IcmpOutEchoReps)
out=$(timeout 20 ping -n -c 5 -W 1 -i 0.2 "$IMP_ADDR" 2>&1 || true)
check_match "ping -c 5 $IMP_ADDR: 5 replies" '^5 packets transmitted, 5 received' "$out"
check "ping -c 5: no duplicate or corrupted replies" eval '! grep -Eq "DUP!|wrong data|truncated" <<<"$out"'
check_ge "IcmpInEchos counted the 5 requests" $(($(stat0 IcmpInEchos) - echos0)) 5
check_ge "IcmpOutEchoReps counted the 5 replies" $(($(stat0 IcmpOutEchoReps) - reps0)) 5

# ---- fragmented both ways ------------------------------------------------------
reasm0=$(stat0 ReasmOKs)
frags0=$(stat0 FragCreates)
out=$(timeout 20 ping -n -c 3 -W 1 -i 0.2 -s 4000 "$IMP_ADDR" 2>&1 || true)
check_match "ping -c 3 -s 4000 (4028-byte datagrams, fragmented): 3 replies" \
	'^3 packets transmitted, 3 received' "$out"
check "ping -s 4000: replies intact (no DUP!, wrong data, truncated)" \
	eval '! grep -Eq "DUP!|wrong data|truncated" <<<"$out"'
check_ge "ReasmOKs counted the reassembled requests" $(($(stat0 ReasmOKs) - reasm0)) 3
check_ge "FragCreates counted the fragmented replies (3 x 3 fragments)" $(($(stat0 FragCreates) - frags0)) 9

# Largest echo: 65507-byte payload is the most ICMP can carry in IPv4.
out=$(timeout 20 ping -n -c 2 -W 2 -i 0.2 -s 65507 "$IMP_ADDR" 2>&1 || true)
check_match "ping -s 65507 (65535-byte datagram, 45 fragments each way): replies" \
	'^2 packets transmitted, 2 received' "$out"

# ---- IP options ----------------------------------------------------------------
# RFC 1122 3.2.1.8: a host must accept IP options it does not implement.
out=$(timeout 20 ping -n -c 2 -W 1 -i 0.2 -R "$IMP_ADDR" 2>&1 || true)
check_match "ping -R (IP header with a record-route option): replies" \
	'^2 packets transmitted, 2 received' "$out"

# ---- flood ---------------------------------------------------------------------
# ping -f sends the next request when a reply comes back, at least every 10 ms,
# so 5000 requests take <= 50 s whatever the stack does; -w 90 bounds it anyway.
t0=$(now_ms)
out=$(timeout 120 ping -n -q -f -c 5000 -w 90 "$IMP_ADDR" 2>&1 || true)
dt=$(($(now_ms) - t0))
summary=$(grep 'packets transmitted' <<<"$out" || true)
tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$summary")
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$summary")
note "flood: $summary (${dt} ms)"
if [[ -z "$tx" || -z "$rx" ]]; then
	fail "ping -f -c 5000: no summary line in ping's output:"
	sed 's/^/      | /' <<<"$out"
else
	check_eq "ping -f: all 5000 requests sent" "$tx" 5000
	# loss < 0.5 %  <=>  1000 * (tx - rx) < 5 * tx
	if ((tx > 0 && 1000 * (tx - rx) < 5 * tx)); then
		pass "ping -f -c 5000: loss < 0.5% ($((tx - rx)) of $tx lost)"
	else
		fail "ping -f -c 5000: loss >= 0.5% ($((tx - rx)) of $tx lost)"
	fi
fi
check "daemon alive and serving after the flood" imp_alive

# ---- neighbour tables ----------------------------------------------------------
check_match "ipifc/0/status: mac is a unicast Ethernet address" \
	'^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$' "$stack_mac"
neigh=$(ip neigh show dev "$IMP_TAP" 2>&1 || true)
check_match "ip neigh show dev imp0: $IMP_ADDR at the stack's mac $stack_mac" \
	"^$IMP_ADDR lladdr $stack_mac( |$)" "$neigh"

arp=$(rd "$MNT/arp" || true)
check_match "$MNT/arp: $IMP_PEER at the kernel's mac $kmac, state reachable or stale" \
	"^ether (reachable|stale) $IMP_PEER $kmac( |\$)" "$arp"
# (a trailing field, e.g. the interface, is allowed)
check "$MNT/arp: every line is \"ether STATE IP MAC [...]\"" eval \
	"! grep -Evq '^ether (incomplete|reachable|stale|failed|permanent) ([0-9]{1,3}\.){3}[0-9]{1,3} ([0-9a-f]{2}:){5}[0-9a-f]{2}( [^ ]+)*\$' <<<\"\$arp\""

# ---- interface files -----------------------------------------------------------
status=$(rd "$MNT/ipifc/0/status" || true)
check_match "ipifc/0/status: device $IMP_TAP" "^device $IMP_TAP\$" "$status"
check_match "ipifc/0/status: mtu 1500" '^mtu 1500$' "$status"
check_match "ipifc/0/status: addr $IMP_ADDR/$IMP_PREFIX" "^addr $IMP_ADDR/$IMP_PREFIX\$" "$status"

selftab=$(rd "$MNT/ipselftab" || true)
check_match "ipselftab lists $IMP_ADDR" '(^|[^0-9.])10\.0\.0\.2([^0-9.]|$)' "$selftab"

routes=$(rd "$MNT/iproute" || true)
check_match "iproute lists 10.0.0.0/24" '(^|[^0-9.])10\.0\.0\.0/24([^0-9]|$)' "$routes"

stats=$(rd "$MNT/ipifc/0/stats" || true)
check_match "ipifc/0/stats: has counters" '^RxFrames: [0-9]+$' "$stats"
check "ipifc/0/stats: every line is \"Name: value\"" eval \
	"! grep -Evq '^[A-Za-z][A-Za-z0-9]*: [0-9]+\$' <<<\"\$stats\""
check_ge "RxFrames counts the frames received" "$(stat0 RxFrames)" 5000
check_ge "TxFrames counts the frames sent" "$(stat0 TxFrames)" 5000

imp_stop
