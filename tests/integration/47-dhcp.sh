#!/usr/bin/env bash
# DHCP (issue 11): impfs --addr dhcp against dnsmasq on the kernel's side of
# the TAP (10.0.0.1, DHCP and DNS, inside this test's namespace only):
#   the lease: the address in ipifc status and ipselftab, the dhcp status
#   line (server, lease, renew-in, rebind-in), the default route, the name
#   server learned from option 6 (no --dns); a forced renew (ctl "renew")
#   that keeps the address and a TCP connection open across it;
#   names: /imp/dns, connect NAME 80 to nginx, imp-run curl by name
#   (sha256), an unknown name's error;
#   exit: SIGTERM sends a DHCPRELEASE (dnsmasq's lease file loses the entry);
#   bad input: a hostile server (47_dhcpbad.py, no dnsmasq) sends offers with
#   a wrong xid or chaddr, no cookie, cut short, options past the end,
#   garbage options; imp counts each in dhcpstats and still binds to the good
#   offer; bad --addr combinations; no server at all: exit 1 after 10 s with
#   one line on stderr, nothing mounted.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
BADSRV=$IMP_REPO/tests/integration/47_dhcpbad.py
K=$IMP_PEER

missing=()
for t in dnsmasq nginx curl python3 sha256sum setsid; do
	command -v "$t" >/dev/null || missing+=("$t")
done
((${#missing[@]} == 0)) || die "missing programs: ${missing[*]} (Debian: dnsmasq-base nginx-light curl python3 coreutils util-linux)"
[[ -x "$IMP_RUN" ]] || die "$IMP_RUN not built"

W=
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; [[ -z $W ]] || rm -rf "$W"/*; (exit $imp__rc); imp__cleanup' EXIT
mk_tmpdir W
resolv_nowhere "$W"

# The TAP made first (persistent), so that dnsmasq is there before impfs's
# first DISCOVER; impfs attaches to it by name.
ip tuntap add dev "$IMP_TAP" mode tap
ip addr add "$K/24" dev "$IMP_TAP"
ip link set "$IMP_TAP" up

# dhcp_impfs ARGS...: impfs -f --addr dhcp ARGS on a fresh mount point,
# waited for (it mounts only once it has a lease).
dhcp_impfs() {
	MNT=$(mktemp -d /tmp/imp-mnt.XXXXXX)
	IMP_LOG=$(mktemp /tmp/imp-log.XXXXXX)
	IMP_TMPFILES+=("$IMP_LOG")
	env --default-signal=INT,QUIT "$IMPFS" -f --tap "$IMP_TAP" --addr dhcp $IMP_IMPFS_ARGS "$@" "$MNT" \
		>"$IMP_LOG" 2>&1 </dev/null &
	IMP_PID=$!
	wait_until 12 eval 'timeout 2 cat "$MNT/ipifc/0/status" >/dev/null 2>&1 || ! is_alive $IMP_PID' || true
}

kernel_dnsmasq "$W/dnsmasq.log" --interface="$IMP_TAP" --log-dhcp \
	--dhcp-range=10.0.0.50,10.0.0.60,255.255.255.0,2m --dhcp-leasefile="$W/leases" --no-ping \
	--dhcp-option=option:router,"$K" --host-record=www.example.test,"$K"
wait_until 5 eval "ss -Hlun 'sport = :67' | grep -q ." || die "dnsmasq did not listen on port 67"
pass "dnsmasq serves DHCP and example.test on $IMP_TAP"

t0=$(now_ms)
dhcp_impfs
imp__ready || { imp_show_log; sed 's/^/      | /' "$W/dnsmasq.log"; die "impfs --addr dhcp did not mount"; }
pass "impfs --addr dhcp mounted after its lease, in $(($(now_ms) - t0)) ms"
export IMP_ROOT=$MNT

st=$(rd "$MNT/ipifc/0/status")
A=$(sed -n 's|^addr \(10\.0\.0\.[0-9]*\)/24$|\1|p' <<<"$st")
check_match "ipifc status: a leased address from dnsmasq's range, /24" '^10\.0\.0\.(5[0-9]|60)$' "$A"
check_match "ipifc status: dhcp bound, server, lease 120, renew-in, rebind-in" \
	"^dhcp bound server $K lease 120 renew-in (5[0-9]|60) rebind-in (10[0-5]|9[0-9]) expires-in 1[0-2][0-9] router $K\$" "$st"
check_match "ipselftab lists the leased address" "^$A " "$(rd "$MNT/ipselftab")"
check_match "iproute: the default route via the lease's router" "^0\.0\.0\.0/0 +$K" "$(rd "$MNT/iproute")"
check_match "dnsstats: the name server from the lease (no --dns)" "^Servers: $K\$" "$(rd "$MNT/dnsstats")"
check "dnsmasq's lease file has imp's address" grep -q " $A " "$W/leases"
check_eq "dhcpstats: Bound 1" "$(stat_of Bound "$MNT/dhcpstats")" 1
check_match "dhcpstats: State bound" '^State: bound$' "$(rd "$MNT/dhcpstats")"
check "the kernel reaches the leased address (ping)" ping -q -c 1 -W 2 "$A" >/dev/null

# Names through the lease's server.
out=$(timeout 10 bash -c 'exec 3<>"$1"; echo www.example.test >&3; cat <&3' x "$MNT/dns" 2>&1) || true
check_eq "cat of www.example.test through /imp/dns: dnsmasq's address" "$out" "$K"
out=$(timeout 10 bash -c 'exec 3<>"$1"; echo nosuch.example.test >&3 && cat <&3; cat <&3' x "$MNT/dns" 2>&1) || true
check_match "an unknown name: NXDOMAIN, said clearly" 'no such name \(NXDOMAIN from 10\.0\.0\.1\)' "$out"

mkdir -p "$W/ng"
kernel_nginx "$W/ng" "$K" 80 || die "nginx did not listen on $K:80"
head -c $((1 << 20)) /dev/urandom >"$W/ng/www/file"
printf 'served by name\n' >"$W/ng/www/small.txt"
sock_new tcp || die "no tcp socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect www.example.test 80 (a name, its server from the lease)" "$cfd" connect www.example.test 80
check_match "tcp/$n/local: the leased address" "^$A " "$(sock_file tcp "$n" local)"

# A forced renewal (ctl "renew") keeps the address: the open connection
# still works after it.
ren0=$(stat_of Renewed "$MNT/dhcpstats")
echo renew >"$MNT/ipifc/0/ctl"
wait_until 5 eval '(($(stat_of Renewed "$MNT/dhcpstats") > ren0))' || true
check_eq "renew: one DHCPREQUEST answered (Renewed +1)" $(($(stat_of Renewed "$MNT/dhcpstats") - ren0)) 1
check_match "renew: dnsmasq saw it unicast from the leased address" "DHCPREQUEST\\(imp0\\) $A " "$(cat "$W/dnsmasq.log")"
check_match "after renew: same address, bound" "^dhcp bound server $K lease 120 renew-in (5[0-9]|60) " "$(rd "$MNT/ipifc/0/status")"
printf 'GET /small.txt HTTP/1.0\r\nHost: www.example.test\r\n\r\n' >"$MNT/tcp/$n/data" || true
out=$(timeout 5 cat "$MNT/tcp/$n/data" | tr -d '\r' || true)
check_match "the connection opened before the renewal still works: 200 OK" '^HTTP/1\.[01] 200 OK$' "$out"
check_match "and carries the body" '^served by name$' "$out"
sock_close_fd "$cfd"

out=$(timeout 20 "$IMP_RUN" curl -sS -o "$W/got" http://www.example.test/file 2>&1) || true
check_eq "imp-run curl http://www.example.test/file: the file (sha256)" "$(sha256_of "$W/got" 2>/dev/null || true)" "$(sha256_of "$W/ng/www/file")"
check_eq "curl said nothing" "$out" ""
out=$(timeout 10 "$IMP_RUN" curl -sS http://nosuch.example.test/ 2>&1) || true
check_match "imp-run curl of an unknown name: could not resolve" 'Could not resolve host: nosuch\.example\.test' "$out"

echo renew >"$MNT/ipifc/0/ctl" 2>/dev/null || true	# harmless: already bound
imp_stop
wait_until 5 eval '! grep -q " $A " "$W/leases"' || true
check "SIGTERM released the lease: dnsmasq's lease file no longer has $A" bash -c "! grep -q ' $A ' '$W/leases'"
check_match "dnsmasq logged the DHCPRELEASE" "DHCPRELEASE\\(imp0\\) $A " "$(cat "$W/dnsmasq.log")"
kill -TERM -- "-$DNSMASQ" 2>/dev/null || kill "$DNSMASQ" 2>/dev/null || true
wait_until 3 eval "! ss -Hlun 'sport = :67' | grep -q ." || true

# Bad command lines.
rc=0; err=$("$IMPFS" -f --tap "$IMP_TAP" --addr dhcp --addr 10.0.0.2/24 /tmp 2>&1) || rc=$?
check_eq "--addr dhcp with --addr ADDR: exit 2" "$rc" 2
check_match "and one clear line" '^impfs: --addr dhcp and --addr 10\.0\.0\.2/24: ' "$err"
rc=0; err=$("$IMPFS" -f --tap "$IMP_TAP" --addr dhcp --gateway 10.0.0.1 /tmp 2>&1) || rc=$?
check_eq "--addr dhcp with --gateway: exit 2" "$rc" 2

# ---- a hostile server ---------------------------------------------------------
tcp_bg "$W/bad.log" "$IMP_PY" "$BADSRV" "$IMP_TAP" "$K" 10.0.0.77
BAD_PID=$BG_PID
wait_until 5 grep -q ready "$W/bad.log" || die "47_dhcpbad.py did not start"
dhcp_impfs
imp__ready || { imp_show_log; sed 's/^/      | /' "$W/bad.log"; die "impfs --addr dhcp did not bind to the good offer"; }
pass "impfs --addr dhcp still bound after the bad replies"
check_match "status: the good offer's address" '^addr 10\.0\.0\.77/24$' "$(rd "$MNT/ipifc/0/status")"
for c in BadXid BadChaddr BadCookie BadShort BadTruncated BadOp BadServer Unexpected BadOptions UnknownOptions; do
	check_ge "dhcpstats $c counted" "$(stat_of $c "$MNT/dhcpstats")" 1
done
check_ge "dhcpstats BadXid: the offer's and the ACK's" "$(stat_of BadXid "$MNT/dhcpstats")" 2
# What the frames met on the way, for a failure's log: a reply the client
# never counted shows here (RcvbufErrors, InErrors) or in the ip counters.
echo "udp/stats: $(tr '\n' ' ' <"$MNT/udp/stats")"
echo "ipifc/0/stats: $(tr '\n' ' ' <"$MNT/ipifc/0/stats")"
echo "kernel side of $IMP_TAP: $(ip -s link show dev "$IMP_TAP" | tr -s ' \n' ' ')"
check_ge "dhcpstats BadTruncated: past the end and no END" "$(stat_of BadTruncated "$MNT/dhcpstats")" 2
check_match "status: lease 60 from the hostile server's ACK" "^dhcp bound server $K lease 60 " "$(rd "$MNT/ipifc/0/status")"
check "the daemon answers on its mount" imp_alive
imp_stop
tcp_kill_group "$BAD_PID"

# ---- no server at all: impfs gives up after 10 s ------------------------------
t0=$(now_ms)
NOMNT=$(mktemp -d /tmp/imp-mnt.XXXXXX)
rc=0; err=$(timeout 30 "$IMPFS" -f --tap "$IMP_TAP" --addr dhcp $IMP_IMPFS_ARGS "$NOMNT" 2>&1 </dev/null) || rc=$?
dt=$(($(now_ms) - t0))
check_eq "--addr dhcp with no server: exit 1" "$rc" 1
check "after about 10 s ($dt ms)" eval "((dt >= 9500 && dt <= 20000))"
check_match "one line on stderr, saying why" '^impfs: --addr dhcp: no lease from a DHCP server in 10 s \(DHCP is selecting, 0 offers' "$err"
check_eq "one line only" "$(wc -l <<<"$err")" 1
check "nothing was mounted there" eval "! is_mounted '$NOMNT'"
rmdir "$NOMNT"
imp_finish
