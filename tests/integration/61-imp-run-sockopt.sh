#!/usr/bin/env bash
# The socket options measuring and test tools use, and the non-blocking
# connect, from a C program (61_sockopt.c, compiled here) under imp-run,
# against kernel peers on the other side of the TAP:
#   - each option set, read back and refused out of range as Linux does
#     (TCP_MAXSEG, TCP_INFO, TCP_CONGESTION, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT,
#     TCP_USER_TIMEOUT, SO_LINGER, SO_RCVLOWAT, SO_RCVTIMEO/SNDTIMEO); the
#     same program passes on the kernel's own stack, so the expectations are
#     Linux's;
#   - each one's effect: the SYN's MSS and the segment sizes in the pcap
#     file, SO_RCVLOWAT on poll and recv, SO_RCVTIMEO, SO_LINGER's close
#     (waits for the peer; {1, 0} resets), TCP_USER_TIMEOUT on a SYN and on
#     data to a peer gone silent, keepalive probes and their count;
#   - 200 non-blocking connects in a row with poll(POLLOUT), each writable
#     within 1 s; the same with epoll and select; and from Python.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
IMP_LIB=$IMP_BUILD_DIR/client/libimpc.so
SRC=$IMP_REPO/tests/integration/61_sockopt.c
K=$IMP_PEER      # the kernel: 10.0.0.1
S=$IMP_ADDR      # the stack:  10.0.0.2

missing=()
for t in cc tcpdump nft python3 setsid; do
	command -v "$t" >/dev/null || missing+=("$t")
done
((${#missing[@]} == 0)) || die "missing programs: ${missing[*]} (Debian: gcc tcpdump nftables python3 util-linux)"
[[ -x "$IMP_RUN" && -f "$IMP_LIB" ]] || die "$IMP_RUN or $IMP_LIB not built (ninja -C $IMP_BUILD_DIR)"

W=
cleanup_w() { [[ -z $W ]] || rm -rf "$W"/* 2>/dev/null || true; }
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; nft delete table inet imp61 2>/dev/null; tcp_kill_groups; cleanup_w; (exit $imp__rc); imp__cleanup' EXIT

imp_start
export IMP_ROOT=$MNT
mk_tmpdir W
P=$W/61_sockopt
cc -O2 -Wall -Wextra -Werror -o "$P" "$SRC" || die "cc $SRC failed"
pass "61_sockopt.c compiled"

# imp SECONDS OUT ARGS...: 61_sockopt ARGS under imp-run, bounded; RC is its status.
RC=0
imp() {
	local t=$1 out=$2
	shift 2
	RC=0
	timeout -k 5 "$t" "$IMP_RUN" "$P" "$@" >"$out" 2>&1 </dev/null || RC=$?
}

# blackhole PORT / unblackhole: the kernel drops what the stack sends to PORT.
nft add table inet imp61
nft add chain inet imp61 in '{ type filter hook input priority 0; policy accept; }'
blackhole() { nft add rule inet imp61 in ip saddr "$S" tcp dport "$1" counter drop; }
unblackhole() { nft flush chain inet imp61 in; }

# ---- the kernel's peers, and a capture of the link ------------------------------------
tcp_bg "$W/sink.out" "$P" serve-sink 7400 1500        # holds a connection 1.5 s, reads it
tcp_bg "$W/accept.out" "$P" serve-accept 7401         # accepts and closes
tcp_bg "$W/chunks.out" "$P" serve-chunks 7402         # 100 bytes, 300 ms, 900 bytes
tcp_bg "$W/linger.out" "$P" serve-sink 7403 1000      # reads only after 1 s
tcp_bg "$W/silent.out" "$P" serve-sink 7404 60000     # says nothing for a minute
for port in 7400 7401 7402 7403 7404; do
	wait_listening "$port" || die "61_sockopt serve did not listen on $K:$port"
done
tcp_bg "$W/pcap.err" bash -c 'exec timeout 200 cat "$1" >"$2"' cap "$MNT/ipifc/0/pcap" "$W/cap.pcap"
wait_until 5 test -s "$W/cap.pcap" || die "no pcap header from $MNT/ipifc/0/pcap"
pass "kernel peers on $K:7400-7404, the link captured from ipifc/0/pcap"

# pcap_lines FILTER: tcpdump's lines for FILTER in the capture so far.
pcap_lines() { timeout 20 tcpdump -n -r "$W/cap.pcap" "$@" 2>/dev/null || true; }

# ---- each option: set, get, Linux's bounds ----------------------------------------------
rc=0
timeout -k 5 30 "$P" opts "$K" 7400 >"$W/kopts.out" 2>&1 </dev/null || rc=$?
prog_checks "$W/kopts.out" "$rc" "the kernel's own stack (the reference)"
SOCKOPT_DEFAULT_CC=cubic imp 30 "$W/opts.out" opts "$K" 7400
prog_checks "$W/opts.out" "$RC" "imp-run"
port=$(awk '$1 == "port" { print $2 }' "$W/opts.out")
check_match "imp-run: the SYN of the connection (port $port) offers TCP_MAXSEG's 1100" \
	"$S\.$port > $K\.7400: Flags \[S\],.*mss 1100," "$(pcap_lines "src host $S and src port ${port:-0}")"

# ---- TCP_MAXSEG on the wire --------------------------------------------------------------
imp 30 "$W/mss.out" maxseg "$K" 7400 1100 20000
prog_checks "$W/mss.out" "$RC" "imp-run maxseg 1100, 20000 bytes"
mport=$(pcap_lines "src host $S and dst port 7400 and tcp[tcpflags] == tcp-syn" | tail -n 1 |
	sed -n 's/.* '"$S"'\.\([0-9]*\) > .*/\1/p')
syn=$(pcap_lines "src host $S and src port ${mport:-0} and tcp[tcpflags] & tcp-syn != 0")
check_match "TCP_MAXSEG 1100: the SYN's MSS option is 1100" 'mss 1100,' "$syn"
# With TAP offloads on, the capture holds what imp hands the device: GSO
# frames of whole 1088-byte segments that the kernel cuts (as tcpdump on a
# Linux host with TSO shows); with --no-offload, the segments themselves.
lens=$(pcap_lines "src host $S and src port ${mport:-0} and tcp[tcpflags] & tcp-syn == 0" |
	sed -n 's/.*, length \([0-9]*\)$/\1/p' | sort -n)
big=$(tail -n 1 <<<"$lens")
if [[ " $IMP_IMPFS_ARGS " == *" --no-offload "* ]]; then
	check_eq "TCP_MAXSEG 1100: the largest data segment is 1088 bytes (1100 less the timestamps)" \
		"$big" 1088
else
	check_eq "TCP_MAXSEG 1100: the largest frame ($big) is whole 1088-byte segments (1100 less the timestamps)" \
		"$((${big:-1} % 1088))" 0
fi
check_ge "TCP_MAXSEG 1100: the 20000 bytes went as 19 or more segments of <= 1088" \
	"$(awk '$1 > 0 { n += int(($1 + 1087) / 1088) } END { print n + 0 }' <<<"$lens")" 19

# ---- SO_RCVLOWAT, SO_RCVTIMEO ---------------------------------------------------------------
imp 30 "$W/lowat.out" lowat "$K" 7402
prog_checks "$W/lowat.out" "$RC" "imp-run SO_RCVLOWAT"
imp 30 "$W/rcvtimeo.out" rcvtimeo "$K" 7404
prog_checks "$W/rcvtimeo.out" "$RC" "imp-run SO_RCVTIMEO"

# ---- SO_LINGER -----------------------------------------------------------------------------
# close_time OUT: the seconds the close took, as 61_sockopt printed them (ms).
close_ms() { awk '$1 == "close" && $2 == "0" { printf "%d\n", $3 * 1000 }' "$1"; }
sink_lines() { grep -c '^sink ' "$W/linger.out" 2>/dev/null || true; }
n0=$(sink_lines)
imp 30 "$W/nolinger.out" linger "$K" 7403 -1 1000000
prog_checks "$W/nolinger.out" "$RC" "imp-run without SO_LINGER"
t=$(close_ms "$W/nolinger.out")
check "without SO_LINGER: close returns at once (${t:-?} ms)" test "${t:-9999}" -lt 300
wait_until 10 eval '(( $(sink_lines) > n0 ))' || true
check_eq "without SO_LINGER: the peer still gets the 1000000 bytes" "$(grep '^sink ' "$W/linger.out" | tail -n 1)" "sink 1000000 eof"
n0=$(sink_lines)
imp 30 "$W/linger5.out" linger "$K" 7403 5 1000000
prog_checks "$W/linger5.out" "$RC" "imp-run SO_LINGER {1, 5}"
t=$(close_ms "$W/linger5.out")
check "SO_LINGER {1, 5}: close waits until the peer has it all (it reads after 1 s): ${t:-?} ms" \
	eval '[[ -n "$t" ]] && ((t >= 700 && t < 4000))'
wait_until 10 eval '(( $(sink_lines) > n0 ))' || true
check_eq "SO_LINGER {1, 5}: the peer got the 1000000 bytes" "$(grep '^sink ' "$W/linger.out" | tail -n 1)" "sink 1000000 eof"
n0=$(sink_lines)
resets0=$(tcp_stat OutRsts)
imp 30 "$W/linger0.out" linger "$K" 7403 0 1000000
prog_checks "$W/linger0.out" "$RC" "imp-run SO_LINGER {1, 0}"
t=$(close_ms "$W/linger0.out")
check "SO_LINGER {1, 0}: close returns at once (${t:-?} ms)" test "${t:-9999}" -lt 300
check_ge "SO_LINGER {1, 0}: the stack sent a RST (OutRsts)" $(($(tcp_stat OutRsts) - resets0)) 1
wait_until 10 eval '(( $(sink_lines) > n0 ))' || true
check_match "SO_LINGER {1, 0}: the peer's read fails with ECONNRESET" '^sink [0-9]+ ECONNRESET$' \
	"$(grep '^sink ' "$W/linger.out" | tail -n 1)"

# ---- TCP_USER_TIMEOUT, keepalive --------------------------------------------------------------
blackhole 7405
imp 30 "$W/utsyn.out" usertimeout-syn "$K" 7405 1500
prog_checks "$W/utsyn.out" "$RC" "imp-run TCP_USER_TIMEOUT 1500 on a connect"
unblackhole

# with_blackhole OUT ARGS...: run 61_sockopt ARGS under imp-run; when it says
# "blackhole now", drop what the stack sends to port 7404, then tell it to go on.
with_blackhole() {
	local out=$1 go=$W/go pid gofd
	shift
	rm -f "$go"
	mkfifo "$go"
	exec {gofd}<>"$go"
	timeout -k 5 30 "$IMP_RUN" "$P" "$@" <"$go" >"$out" 2>&1 &
	pid=$!
	IMP_EXTRA_PIDS+=("$pid")
	if wait_until 10 file_has "$out" '^blackhole now$'; then
		blackhole 7404
		echo go >&"$gofd"
	else
		fail "61_sockopt $1: did not get to \"blackhole now\""
	fi
	reap "$pid" 25
	RC=$REAP_RC
	exec {gofd}>&-
	unblackhole
}
with_blackhole "$W/utdata.out" usertimeout-data "$K" 7404 1500
prog_checks "$W/utdata.out" "$RC" "imp-run TCP_USER_TIMEOUT 1500 on data"
probes0=$(tcp_stat KeepaliveProbes)
with_blackhole "$W/keep.out" keepalive "$K" 7404
prog_checks "$W/keep.out" "$RC" "imp-run keepalive 1 s, 1 s, 2 probes"
check_eq "keepalive: TCP_KEEPCNT's 2 probes went out (KeepaliveProbes)" $(($(tcp_stat KeepaliveProbes) - probes0)) 2

# ---- 200 non-blocking connects, each within a second ---------------------------------------------
# 7499: nothing listens, the kernel refuses
for how in poll epoll select; do
	imp 120 "$W/nb-$how.out" nbconnect "$how" "$K" 7401 200 7499
	prog_checks "$W/nb-$how.out" "$RC" "imp-run nbconnect $how"
done
rc=0
timeout -k 5 120 "$IMP_RUN" python3 - "$K" 7401 7499 >"$W/nb-py.out" 2>&1 <<'PY' || rc=$?
import errno, select, selectors, socket, sys, time
peer, port, closed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for how in ("selectors", "poll"):
    ok, worst = 0, 0.0
    for i in range(100):
        s = socket.socket()
        s.setblocking(False)
        t0 = time.monotonic()
        r = s.connect_ex((peer, port))
        if how == "selectors":
            sel = selectors.DefaultSelector()
            sel.register(s, selectors.EVENT_WRITE)
            ready = bool(sel.select(1.0))
            sel.close()
        else:
            p = select.poll()
            p.register(s, select.POLLOUT)
            ready = any(ev & select.POLLOUT for _, ev in p.poll(1000))
        dt = time.monotonic() - t0
        worst = max(worst, dt)
        if r == errno.EINPROGRESS and ready and dt < 1.0 and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            ok += 1
        s.close()
    print(("ok" if ok == 100 else "FAIL") + f": python {how}: {ok} of 100 non-blocking connects writable within 1 s (slowest {worst:.3f} s)")
s = socket.socket()
s.setblocking(False)
s.connect_ex((peer, closed))
p = select.poll()
p.register(s, select.POLLOUT)
ev = p.poll(1000)
e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
print(("ok" if ev and ev[0][1] & select.POLLOUT and e == errno.ECONNREFUSED else "FAIL") +
      f": python poll: a refused connect is writable, SO_ERROR {errno.errorcode.get(e, e)}")
PY
prog_checks "$W/nb-py.out" "$rc" "imp-run python3"
check "the daemon is alive after all of it" imp_alive
tcp_kill_groups
imp_stop
