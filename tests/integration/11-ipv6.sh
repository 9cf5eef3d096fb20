#!/usr/bin/env bash
# IPv6 with the kernel as the peer: the link-local address from the MAC and
# a static --addr, both through DAD; ping -6 to each, a fragmented ping both
# ways; neighbour tables on both sides; SLAAC from a router advertisement
# scapy sends (prefix + EUI-64, DAD, a default route); then bogus NDP and
# bad extension header chains and endless fragments, each dropped and
# counted while the daemon stays up.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

PY6=$IMP_REPO/tests/integration/11_ipv6.py
G6=2001:db8::2
K6=2001:db8::1

# The kernel side skips its own DAD, so tests need not wait for it.
sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
imp_start --addr "$G6/64"
in_peer ip -6 addr add "$K6/64" dev "$IMP_TAP" nodad

stack_mac=$(status_field mac)
kmac=$(kernel_mac)
# The link-local address is fe80:: + the modified EUI-64 of the MAC.
IFS=: read -r m0 m1 m2 m3 m4 m5 <<<"$stack_mac"
ll=$(printf 'fe80::%x:%x:%x:%x' $(( (0x$m0 ^ 2) << 8 | 0x$m1 )) $(( 0x$m2 << 8 | 0xff )) $(( 0xfe << 8 | 0x$m3 )) $(( 0x$m4 << 8 | 0x$m5 )))
note "stack mac $stack_mac, link-local $ll"

addr_state() { rd "$MNT/ipifc/0/status" | awk -v a="$1" '$1 == "addr" && $2 ~ "^" a "/" { print $3 }'; }
preferred() { [[ "$(addr_state "$1")" == preferred ]]; }
check "ipifc/0/status: $ll/64 becomes preferred after DAD (<= 5 s)" wait_until 5 preferred "$ll"
check "ipifc/0/status: $G6/64 becomes preferred after DAD (<= 5 s)" wait_until 5 preferred "$G6"
status=$(rd "$MNT/ipifc/0/status" || true)
check_match "ipifc/0/status: still lists IPv4 $IMP_ADDR/$IMP_PREFIX" "^addr $IMP_ADDR/$IMP_PREFIX\$" "$status"
check_match "ipifc/0/status: $ll/64 preferred link" "^addr $ll/64 preferred link\$" "$status"
check_match "ipifc/0/status: $G6/64 preferred static" "^addr $G6/64 preferred static\$" "$status"

# ---- ping -6 ---------------------------------------------------------------------
echos0=$(stat0 Icmp6InEchos)
out=$(in_peer timeout 20 ping -6 -n -c 3 -W 1 -i 0.2 "$ll%$IMP_TAP" 2>&1 || true)
check_match "ping -6 -c 3 $ll%$IMP_TAP: 3 replies" '^3 packets transmitted, 3 received' "$out"
out=$(in_peer timeout 20 ping -6 -n -c 3 -W 1 -i 0.2 "$G6" 2>&1 || true)
check_match "ping -6 -c 3 $G6: 3 replies" '^3 packets transmitted, 3 received' "$out"
check "ping -6: no duplicate or corrupted replies" eval '! grep -Eq "DUP!|wrong data|truncated" <<<"$out"'
check_ge "Icmp6InEchos counted the 6 requests" $(($(stat0 Icmp6InEchos) - echos0)) 6

reasm0=$(stat0 Ip6ReasmOKs)
frags0=$(stat0 Ip6FragCreates)
out=$(in_peer timeout 20 ping -6 -n -c 3 -W 1 -i 0.2 -s 3000 "$G6" 2>&1 || true)
check_match "ping -6 -s 3000 (fragmented both ways): 3 replies" '^3 packets transmitted, 3 received' "$out"
check "ping -6 -s 3000: replies intact" eval '! grep -Eq "DUP!|wrong data|truncated" <<<"$out"'
check_ge "Ip6ReasmOKs counted the reassembled requests" $(($(stat0 Ip6ReasmOKs) - reasm0)) 3
check_ge "Ip6FragCreates counted the fragmented replies (3 x 3)" $(($(stat0 Ip6FragCreates) - frags0)) 9
out=$(in_peer timeout 20 ping -6 -n -c 2 -W 2 -i 0.2 -s 65000 "$G6" 2>&1 || true)
check_match "ping -6 -s 65000 (45 fragments each way): 2 replies" '^2 packets transmitted, 2 received' "$out"

# ---- neighbour tables ------------------------------------------------------------
neigh=$(in_peer ip -6 neigh show dev "$IMP_TAP" 2>&1 || true)
check_match "ip -6 neigh: $G6 at the stack's mac" "^$G6 lladdr $stack_mac( |\$)" "$neigh"
check_match "ip -6 neigh: $ll at the stack's mac" "^$ll lladdr $stack_mac( |\$)" "$neigh"
ndp=$(rd "$MNT/ndp" || true)
check_match "$MNT/ndp: $K6 at the kernel's mac $kmac" "^ether (reachable|stale|delay|probe) $K6 $kmac $IMP_TAP" "$ndp"
check "$MNT/ndp: every line is \"ether STATE ADDR MAC DEV [router]\"" eval \
	"! grep -Evq '^ether (incomplete|reachable|stale|delay|probe|failed) [0-9a-f:]+ ([0-9a-f]{2}:){5}[0-9a-f]{2} [^ ]+( router)?\$' <<<\"\$ndp\""
routes=$(rd "$MNT/iproute" || true)
check_match "iproute: 2001:db8::/64 connected" '^2001:db8::/64 :: connected 0$' "$routes"
check_match "iproute: fe80::/64 connected" '^fe80::/64 :: connected 0$' "$routes"
check_match "iproute: IPv4's 10.0.0.0/24 still there" '^10\.0\.0\.0/24 ' "$routes"
selftab=$(rd "$MNT/ipselftab" || true)
check_match "ipselftab: $G6 local" "^$G6 local 0\$" "$selftab"

# ---- SLAAC from a router advertisement -------------------------------------------
kll=$(in_peer ip -6 -o addr show dev "$IMP_TAP" scope link | awk '{ sub("/.*", "", $4); print $4; exit }')
slaac=$("$IMP_PY" -c 'import ipaddress, sys
ll = ipaddress.IPv6Address(sys.argv[1]).packed
print(ipaddress.IPv6Address(ipaddress.IPv6Address("2001:db8:1::").packed[:8] + ll[8:]))' "$ll")
note "kernel link-local $kll; SLAAC address to expect $slaac"
in_peer ip -6 addr add 2001:db8:1::1/64 dev "$IMP_TAP" nodad
# The kernel plays the router the RA says it is: forwarding on, so its
# neighbour advertisements carry the R flag too (one without it rightly
# clears imp's router mark, RFC 4861 7.2.5, and the check below raced it).
in_peer sysctl -qw net.ipv6.conf.all.forwarding=1
ns0=$(stat0 Icmp6OutNeighborSolicits)
in_peer "$IMP_PY" "$PY6" "$IMP_TAP" "$stack_mac" "$kmac" "$kll" "$G6" ra
check "ipifc/0/status: $slaac/64 (prefix + EUI-64) preferred after DAD (<= 5 s)" wait_until 5 preferred "$slaac"
status=$(rd "$MNT/ipifc/0/status" || true)
check_match "ipifc/0/status: $slaac/64 preferred slaac with its valid lifetime" \
	"^addr $slaac/64 preferred slaac valid 3[0-9]{3}\$" "$status"
check_ge "Icmp6OutNeighborSolicits: a DAD probe for it" $(($(stat0 Icmp6OutNeighborSolicits) - ns0)) 1
check_ge "Icmp6SlaacAddrs counted it" "$(stat0 Icmp6SlaacAddrs)" 1
routes=$(rd "$MNT/iproute" || true)
check_match "iproute: the default route ::/0 via the router $kll (ra)" "^::/0 $kll ra 0\$" "$routes"
check_match "iproute: the on-link prefix 2001:db8:1::/64 (ra)" '^2001:db8:1::/64 :: ra 0$' "$routes"
out=$(in_peer timeout 20 ping -6 -n -c 3 -W 1 -i 0.2 "$slaac" 2>&1 || true)
check_match "ping -6 -c 3 $slaac (the SLAAC address): 3 replies" '^3 packets transmitted, 3 received' "$out"
ndp=$(rd "$MNT/ndp" || true)
check_match "$MNT/ndp: the router $kll, marked router" "^ether (reachable|stale|delay|probe) $kll $kmac $IMP_TAP router\$" "$ndp"

# ---- addresses through ctl, and DAD against the kernel ------------------------------
dad0=$(stat0 Icmp6DadFailures)
ctl_try "$MNT/ipifc/0/ctl" add "$K6/64"
check_eq "ipifc/0/ctl: add $K6/64 (the kernel's own address) is accepted" "$CTL_RC" 0
check "DAD: the kernel defends $K6, so it becomes dadfailed (<= 5 s)" \
	wait_until 5 eval '[[ "$(addr_state "$K6")" == dadfailed ]]'
check_ge "Icmp6DadFailures counted it" $(($(stat0 Icmp6DadFailures) - dad0)) 1
out=$(in_peer timeout 10 ping -6 -n -c 2 -W 1 -i 0.2 "$K6" 2>&1 || true)
check_match "the kernel still has $K6 to itself" '^2 packets transmitted, 2 received' "$out"
ctl_try "$MNT/ipifc/0/ctl" remove "$K6/64"
check_eq "ipifc/0/ctl: remove $K6/64" "$CTL_RC" 0
in_peer ip -6 addr add 2001:db8:7::1/64 dev "$IMP_TAP" nodad
ctl_try "$MNT/ipifc/0/ctl" add 2001:db8:7::9/64
check_eq "ipifc/0/ctl: add 2001:db8:7::9/64" "$CTL_RC" 0
check "2001:db8:7::9 becomes preferred (<= 5 s)" wait_until 5 preferred 2001:db8:7::9
out=$(in_peer timeout 10 ping -6 -n -c 2 -W 1 -i 0.2 2001:db8:7::9 2>&1 || true)
check_match "ping -6 2001:db8:7::9 (added through ctl): 2 replies" '^2 packets transmitted, 2 received' "$out"
ctl_try "$MNT/ipifc/0/ctl" remove 2001:db8:7::9/64
check "after remove, 2001:db8:7::9 is gone from status and iproute" eval \
	'! rd "$MNT/ipifc/0/status" | grep -q "^addr 2001:db8:7::9/" && ! rd "$MNT/iproute" | grep -q "^2001:db8:7::/64 "'
ctl_try "$MNT/ipifc/0/ctl" add 2001:db8::zz/64
check_eq "ipifc/0/ctl: add 2001:db8::zz/64 is EINVAL" "$CTL_ERROR" "Invalid argument"

# ---- bad input: dropped and counted ----------------------------------------------
# group NAME "COUNTER[ COUNTER...]": send group NAME; the counters together
# move by at least 5, Icmp6InErrors or Ip6InHdrErrors too, and the daemon
# still answers ping -6.
group() {
	local name=$1 counters=$2 sum0=0 sum1=0 c e0
	e0=$(($(stat0 Icmp6InErrors) + $(stat0 Ip6InHdrErrors)))
	for c in $counters; do sum0=$((sum0 + $(stat0 "$c"))); done
	in_peer "$IMP_PY" "$PY6" "$IMP_TAP" "$stack_mac" "$kmac" "$kll" "$G6" "$name"
	sleep 0.3
	for c in $counters; do sum1=$((sum1 + $(stat0 "$c"))); done
	check_ge "$name: counted in $counters" $((sum1 - sum0)) "${3:-5}"
	note "$name: Icmp6InErrors + Ip6InHdrErrors moved by $(($(stat0 Icmp6InErrors) + $(stat0 Ip6InHdrErrors) - e0))"
}
err0=$(stat0 Icmp6InErrors)
group nd-hoplimit Icmp6InBadHopLimit 10
group nd-optlen0 Icmp6InBadOptions
group nd-opttrunc Icmp6InBadOptions
group nd-short Icmp6InBadLength
group nd-source Icmp6InBadSource 10
group nd-target Icmp6InBadTarget
check_ge "Icmp6InErrors counted every bogus NDP message (40)" $(($(stat0 Icmp6InErrors) - err0)) 40
check "the RA with hop limit 254 made no address" eval '! rd "$MNT/ipifc/0/status" | grep -q "^addr 2001:db8:2:"'
check "the RA from a global source made no address" eval '! rd "$MNT/ipifc/0/status" | grep -q "^addr 2001:db8:3:"'
hdr0=$(stat0 Ip6InHdrErrors)
group ext-trunc Ip6InTruncatedPkts 10
group ext-chain Ip6InTooManyExtHdrs
pp0=$(stat0 Icmp6OutParmProblems)
group ext-badopt Ip6InBadOptions 10
check_ge "ext-badopt: a parameter problem for each 0x80 option" $(($(stat0 Icmp6OutParmProblems) - pp0)) 5
group ext-notfirst Ip6InBadExtHdrs
group ext-unknown Ip6InUnknownProtos
check_ge "Ip6InHdrErrors counted the bad chains" $(($(stat0 Ip6InHdrErrors) - hdr0)) 20
group icmp6-csum Icmp6InCsumErrors
group frag-flood Ip6ReasmOverMem 100
check "frag-flood: at most 64 reassembly queues held" eval '(($(stat0 Ip6ReasmQueues) <= 64))'
group frag-flood-one Ip6ReasmTooMany 1
group frag-overlap Ip6ReasmOverlaps 1
out=$(in_peer timeout 20 ping -6 -n -c 2 -W 1 -i 0.2 -s 3000 "$G6" 2>&1 || true)
check_match "after the floods a fragmented ping -6 still gets through" '^2 packets transmitted, 2 received' "$out"
check "daemon alive and serving" imp_alive

imp_stop

# ---- --addr errors and --no-ipv6 -------------------------------------------------
mk_tmpdir badmnt
for bad in 2001:db8::zz/64 2001:db8::2/129 ff02::1/64 "2001:db8::5/64 --no-ipv6"; do
	rc=0
	# shellcheck disable=SC2086
	err=$(timeout 10 "$IMPFS" -f --tap imp9 --addr $bad "$badmnt" 2>&1) || rc=$?
	check_eq "impfs --addr $bad: exit status 2" "$rc" 2
	check_match "impfs --addr $bad: one line saying why" '^impfs: --addr' "$err"
done

imp_start --no-ipv6
sleep 1.5
status=$(rd "$MNT/ipifc/0/status" || true)
check "--no-ipv6: no IPv6 address in ipifc/0/status" eval '! grep -q "^addr [0-9a-f]*:" <<<"$status"'
check_eq "--no-ipv6: Ip6OutRequests stays 0 (no DAD, no RS, no MLD)" "$(stat0 Ip6OutRequests)" 0
out=$(in_peer timeout 10 ping -6 -n -c 1 -W 1 "$ll%$IMP_TAP" 2>&1 || true)
check_match "--no-ipv6: ping -6 gets no reply" '^1 packets transmitted, 0 received' "$out"
check_ge "--no-ipv6: the kernel's IPv6 frames count as RxUnknownType" "$(stat0 RxUnknownType)" 1
check "--no-ipv6: IPv4 still answers" ping_ok 2
sock_new tcp || die "no socket"
check_ctl_ok "--no-ipv6: announce 9300" "$SOCK_FD" announce 9300
check_eq "--no-ipv6: a bare announce is IPv4's (local 0.0.0.0 9300)" "$(sock_file tcp "$SOCK_N" local)" "0.0.0.0 9300"
sock_close_fd "$SOCK_FD"
sock_new tcp || die "no socket"
check_ctl_fails "--no-ipv6: connect 2001:db8::1 80: ENETUNREACH" "Network is unreachable" "$SOCK_FD" connect 2001:db8::1 80
sock_close_fd "$SOCK_FD"
imp_stop
