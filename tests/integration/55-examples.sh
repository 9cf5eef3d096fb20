#!/usr/bin/env bash
# The TCP example scripts: examples/portscan.sh lists exactly the kernel's open
# ports in a range (closed ports answer with a reset, a filtered one times
# out) and leaves no socket behind; every example prints a usage line and
# fails on wrong arguments.  (http-get.sh and echo-server.sh do their work in
# 50-tcp-http and 52-tcp-server.)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

imp_start --msl 500
mk_tmpdir T
EX=$IMP_REPO/examples

# ---- portscan.sh -----------------------------------------------------------------------
OPEN=(7003 7017 7030)
tcp_bg "$T/listen.out" tcppeer --timeout 120 listen "${OPEN[@]}"
wait_until 5 file_has "$T/listen.out" '^ready$' || die "python listeners did not start ($(cat "$T/listen.out"))"
for p in "${OPEN[@]}"; do
	check "kernel listens on $p" kernel_listening "$p"
done
# 7010 is filtered: the kernel drops SYNs to it, so connect times out.
nft -f - <<'EOF'
table inet imp_scan {
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport 7010 counter drop
	}
}
EOF
check_match "nft: SYNs to port 7010 dropped" 'tcp dport 7010 counter packets 0 bytes 0 drop' "$(nft list ruleset)"

refused0=$(kernel_snmp Tcp OutRsts)
t0=$(now_ms)
rc=0
out=$(IMP_ROOT=$MNT timeout 60 bash "$EX/portscan.sh" "$IMP_PEER" 7000 7030 2>"$T/scan.err") || rc=$?
dt=$(($(now_ms) - t0))
note "portscan.sh $IMP_PEER 7000 7030: ${dt} ms"
check_eq "portscan.sh $IMP_PEER 7000 7030: exit 0" "$rc" 0
((IMP_OK)) || sed 's/^/      | /' "$T/scan.err"
check_eq "portscan.sh lists exactly the open ports" "$out" "$(printf '%s open\n' "${OPEN[@]}")"
check_eq "portscan.sh: nothing on stderr" "$(cat "$T/scan.err")" ""
check "portscan.sh: the filtered port costs its 2 s timeout, no more (${dt} ms in 2000..10000)" \
	test "$dt" -ge 2000 -a "$dt" -le 10000
check_ge "the kernel reset the closed ports' SYNs (OutRsts)" $(($(kernel_snmp Tcp OutRsts) - refused0)) 27
drops=$(nft list ruleset | sed -n 's/.*tcp dport 7010 counter packets \([0-9]*\) .*/\1/p')
check_ge "the filtered port saw the stack's SYN" "${drops:-0}" 1
check "portscan.sh leaves no socket behind (<= 3 s)" wait_until 3 eval '[[ -z "$(tcp_socks)" ]]'
((IMP_OK)) || note "left: $(tcp_socks | tr '\n' ' ')"

out=$(IMP_ROOT=$MNT timeout 30 bash "$EX/portscan.sh" "$IMP_PEER" 7017 7017 2>&1 || true)
check_eq "portscan.sh $IMP_PEER 7017 7017: one open port" "$out" "7017 open"
out=$(IMP_ROOT=$MNT timeout 30 bash "$EX/portscan.sh" "$IMP_PEER" 7018 7029 2>&1 || true)
check_eq "portscan.sh $IMP_PEER 7018 7029: none open, nothing printed" "$out" ""

# ---- usage lines ---------------------------------------------------------------------------
usage() { # DESC WANT-REGEX SCRIPT ARGS...
	local desc=$1 want=$2 rc=0 out
	shift 2
	out=$(IMP_ROOT=$MNT timeout 10 bash "$@" 2>&1 </dev/null) || rc=$?
	if ((rc != 0)) && grep -Eq -- "$want" <<<"$out"; then
		ok_ "$desc: usage line, exit $rc"
	else
		ko_ "$desc: exit $rc, output '$out', want a failure and /$want/"
	fi
}
usage "http-get.sh (no arguments)" '^usage: .*http-get\.sh HOST PORT PATH$' "$EX/http-get.sh"
usage "http-get.sh 10.0.0.1 80" '^usage: .*http-get\.sh HOST PORT PATH$' "$EX/http-get.sh" 10.0.0.1 80
usage "echo-server.sh (no arguments)" '^usage: .*echo-server\.sh PORT$' "$EX/echo-server.sh"
usage "echo-server.sh abc" '^usage: .*echo-server\.sh PORT$' "$EX/echo-server.sh" abc
usage "portscan.sh (no arguments)" '^usage: .*portscan\.sh HOST FIRST LAST$' "$EX/portscan.sh"
usage "portscan.sh 10.0.0.1 1" '^usage: .*portscan\.sh HOST FIRST LAST$' "$EX/portscan.sh" 10.0.0.1 1
check "the usage errors left no socket" eval '[[ -z "$(tcp_socks)" ]]'

# ---- style: what a user copies ------------------------------------------------------------
for f in http-get.sh echo-server.sh portscan.sh; do
	check "examples/$f: executable, bash, set -eu, IMP_ROOT" eval \
		"[[ -x '$EX/$f' ]] && head -n 1 '$EX/$f' | grep -qx '#!/usr/bin/env bash' && grep -q '^set -eu' '$EX/$f' && grep -q 'IMP_ROOT:-/imp' '$EX/$f'"
	check "examples/$f: bash -n" bash -n "$EX/$f"
done

check "daemon alive" imp_alive
tcp_kill_groups
imp_stop
