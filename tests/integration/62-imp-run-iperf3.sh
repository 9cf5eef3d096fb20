#!/usr/bin/env bash
# iperf3 under imp-run, both roles, both directions, short runs (-t 2), on
# a link that drops 0.5% of frames each way (impfs --fault) so that there is
# something to retransmit:
#   imp-run iperf3 -c      against a kernel iperf3 -s   (imp sends)
#   imp-run iperf3 -c -R   against a kernel iperf3 -s   (the kernel sends)
#   imp-run iperf3 -s      with a kernel iperf3 -c      (the kernel sends)
#   imp-run iperf3 -s      with a kernel iperf3 -c -R   (imp sends)
# Each exits 0 and moves data.  Where imp sends, iperf3's retransmission
# column (Retr) and Cwnd come from getsockopt(TCP_INFO): they must be filled,
# agree with the stack's own counters (RetransSegs), and iperf3 must not
# complain that getsockopt failed.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
K=$IMP_PEER      # the kernel: 10.0.0.1
S=$IMP_ADDR      # the stack:  10.0.0.2

command -v iperf3 >/dev/null || die "iperf3 not installed (Debian: iperf3; tests/deps.sh)"
[[ -x "$IMP_RUN" ]] || die "$IMP_RUN not built (ninja -C $IMP_BUILD_DIR)"

W=
cleanup_w() { [[ -z $W ]] || rm -rf "$W"/* 2>/dev/null || true; }
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; cleanup_w; (exit $imp__rc); imp__cleanup' EXIT

imp_start --fault drop=0.5,seed=62
export IMP_ROOT=$MNT
mk_tmpdir W

# json KEY.PATH FILE: a value of iperf3's JSON (python's repr; "" if absent).
json() {
	"$IMP_PY" - "$1" "$2" <<'PY' 2>/dev/null || true
import json, sys
try:
    d = json.load(open(sys.argv[2]))
except Exception:
    sys.exit(0)
for k in sys.argv[1].split("."):
    if isinstance(d, list):
        d = d[int(k)] if k.isdigit() and int(k) < len(d) else None
    elif isinstance(d, dict):
        d = d.get(k)
    if d is None:
        sys.exit(0)
print(d)
PY
}

# interval_min KEY FILE: the smallest streams[0].KEY over the JSON's intervals.
interval_min() {
	"$IMP_PY" - "$1" "$2" <<'PY' 2>/dev/null || true
import json, sys
d = json.load(open(sys.argv[2]))
v = [i["streams"][0].get(sys.argv[1]) for i in d.get("intervals", [])]
print(min(v) if v and None not in v else "")
PY
}

no_getsockopt_error() { ! grep -qi 'getsockopt' "$1"; }

tcp_bg "$W/kserver.out" iperf3 -s -B "$K" -p 5201
wait_listening 5201 || die "kernel iperf3 -s did not listen on $K:5201"
pass "kernel iperf3 -s on $K:5201"

# ---- imp-run iperf3 -c: imp sends -----------------------------------------------------
r0=$(tcp_stat RetransSegs)
rc=0
timeout -k 5 40 "$IMP_RUN" iperf3 -4 -c "$K" -p 5201 -t 2 >"$W/c.out" 2>&1 || rc=$?
r1=$(tcp_stat RetransSegs)
check_eq "imp-run iperf3 -c $K -t 2: exit 0" "$rc" 0
((IMP_OK)) || sed 's/^/      | /' "$W/c.out"
check "imp-run iperf3 -c: no getsockopt error" no_getsockopt_error "$W/c.out"
check_match "imp-run iperf3 -c: the interval lines have the Retr and Cwnd columns" \
	'^\[ ID\] Interval +Transfer +Bitrate +Retr +Cwnd' "$(cat "$W/c.out")"
check_match "imp-run iperf3 -c: each interval shows a Cwnd from TCP_INFO" \
	'^\[ +5\] +1\.0[0-9]-2\.0.* sec .* [0-9]+ +[0-9.]+ [KM]Bytes' "$(cat "$W/c.out")"
retr=$(awk '/ sender$/ { print $(NF-1) }' "$W/c.out")
check_ge "imp-run iperf3 -c: the sender's Retr, from TCP_INFO, counts the retransmissions" "${retr:-0}" 1
check "imp-run iperf3 -c: Retr ($retr) is at most the stack's RetransSegs for the run ($((r1 - r0)))" \
	test "${retr:-0}" -le $((r1 - r0))
check_ge "imp-run iperf3 -c: ... and at least 90% of them (the rest: the control connection)" \
	$((${retr:-0} * 100)) $(((r1 - r0) * 90))

# ---- imp-run iperf3 -c -R: the kernel sends ------------------------------------------------
rc=0
timeout -k 5 40 "$IMP_RUN" iperf3 -4 -c "$K" -p 5201 -t 2 -R --json >"$W/cr.json" 2>"$W/cr.err" || rc=$?
check_eq "imp-run iperf3 -c $K -t 2 -R: exit 0" "$rc" 0
((IMP_OK)) || sed 's/^/      | /' "$W/cr.err"
check "imp-run iperf3 -c -R: no getsockopt error" no_getsockopt_error "$W/cr.json"
check_ge "imp-run iperf3 -c -R: bytes received" "$(json end.sum_received.bytes "$W/cr.json" | cut -d. -f1)" 1000000
check_ge "imp-run iperf3 -c -R: the kernel's Retr reached the client" \
	"$(json end.sum_sent.retransmits "$W/cr.json")" 1

# ---- imp-run iperf3 -s, a kernel client ----------------------------------------------------
# imp_listening PORT: an imp socket listens on PORT.
imp_listening() {
	local d
	for d in "$MNT"/tcp/[0-9]*; do
		[[ "$(tcp_state "${d##*/}")" == Listen ]] &&
			[[ "$(timeout 5 cat "$d/local" 2>/dev/null)" == *" $1" ]] && return 0
	done
	return 1
}
# one_server OUT: imp-run iperf3 -s -1 --json on S:5202, in the background.
one_server() {
	tcp_bg "$1" timeout -k 5 40 "$IMP_RUN" iperf3 -4 -s -B "$S" -p 5202 -1 --json
	SERVER_PID=$BG_PID
	wait_until 10 imp_listening 5202 || fail "imp-run iperf3 -s did not listen on $S:5202"
}
one_server "$W/s.json"
rc=0
timeout -k 5 40 iperf3 -c "$S" -p 5202 -t 2 --json >"$W/k.json" 2>&1 || rc=$?
check_eq "kernel iperf3 -c $S -t 2 to imp-run iperf3 -s: exit 0" "$rc" 0
reap "$SERVER_PID" 15
check_eq "imp-run iperf3 -s -1: exit 0 after the test" "$REAP_RC" 0
check "imp-run iperf3 -s: no getsockopt error" no_getsockopt_error "$W/s.json"
check_ge "imp-run iperf3 -s: bytes received" "$(json end.sum_received.bytes "$W/s.json" | cut -d. -f1)" 1000000

# ---- imp-run iperf3 -s, a kernel client with -R: imp sends ------------------------------------
one_server "$W/sr.json"
r0=$(tcp_stat RetransSegs)
rc=0
timeout -k 5 40 iperf3 -c "$S" -p 5202 -t 2 -R --json >"$W/kr.json" 2>&1 || rc=$?
check_eq "kernel iperf3 -c $S -t 2 -R to imp-run iperf3 -s: exit 0" "$rc" 0
reap "$SERVER_PID" 15
r1=$(tcp_stat RetransSegs)
check_eq "imp-run iperf3 -s -1 (sending): exit 0 after the test" "$REAP_RC" 0
check "imp-run iperf3 -s (sending): no getsockopt error" no_getsockopt_error "$W/sr.json"
retr=$(json end.sum_sent.retransmits "$W/sr.json")
check_ge "imp-run iperf3 -s (sending): retransmits, from TCP_INFO" "${retr:-0}" 1
check "imp-run iperf3 -s (sending): retransmits ($retr) at most the stack's RetransSegs ($((r1 - r0)))" \
	test "${retr:-0}" -le $((r1 - r0))
check_eq "kernel iperf3 -c -R: the Retr it shows is the imp server's" \
	"$(json end.sum_sent.retransmits "$W/kr.json")" "$retr"
check_ge "imp-run iperf3 -s (sending): snd_cwnd in every interval (bytes: cwnd x mss)" \
	"$(interval_min snd_cwnd "$W/sr.json")" 1448
check_ge "imp-run iperf3 -s (sending): rtt in every interval (us)" "$(interval_min rtt "$W/sr.json")" 1
check_eq "imp-run iperf3 -s (sending): pmtu" "$(json intervals.0.streams.0.pmtu "$W/sr.json")" 1500

check "the daemon is alive after all of it" imp_alive
tcp_kill_groups
imp_stop
