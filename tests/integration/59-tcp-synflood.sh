#!/usr/bin/env bash
# SYN flood defence: 50,000 SYNs from random sources (198.18.0.0/15, on a raw
# socket from the kernel's side of the TAP, 59_synflood.py) at a server on
# the stack (python3 -m http.server under imp-run, backlog 5) while the
# kernel's curl fetches files from it.  Every fetch succeeds, byte for byte;
# the listener's SYN queue stays at its backlog and the rest of the flood is
# answered with SYN cookies (tcp/stats SyncookiesSent), the fetches made in
# the flood came in through cookies (SyncookiesRecv), and the daemon lives.
# Then the same with --syncookies 0: the SYN queue still holds only 5, the
# rest is dropped (ListenDrops), and a fetch gets no answer; and a bad
# --syncookies value is refused.
#
# The flood's SYN-ACKs go to addresses nobody has: the stack's default
# gateway is the kernel (--gateway 10.0.0.1), so they leave as frames to
# the kernel's MAC without an ARP query per source, and the kernel, which
# does not forward, drops them.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
FLOOD=$IMP_REPO/tests/integration/59_synflood.py
SRCNET=198.18.0.0/15		# RFC 2544's benchmarking range
NSYN=50000
RATE=10000			# SYNs a second: the flood lasts about 5 s
PORT=8000
[[ -x $IMP_RUN ]] || die "$IMP_RUN not built"
command -v curl >/dev/null || die "curl missing (Debian: curl)"

imp_start --gateway "$IMP_PEER"
export IMP_ROOT=$MNT
mk_tmpdir W
mkdir "$W/www"
head -c 100000 /dev/urandom >"$W/www/small"
head -c 1048576 /dev/urandom >"$W/www/big"
small_sum=$(sha256_of "$W/www/small")
big_sum=$(sha256_of "$W/www/big")

# listener_status: the status line of the socket listening on PORT.
listener_status() {
	local n
	for n in $(tcp_socks); do
		if [[ "$(sock_file tcp "$n" local 2>/dev/null)" == "$IMP_ADDR $PORT" &&
			"$(tcp_state "$n")" == Listen ]]; then
			sock_file tcp "$n" status
			return 0
		fi
	done
	return 1
}
listening() { listener_status >/dev/null; }
# field KEY LINE: the value after KEY in a status line.
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' <<<"$2"; }

tcp_bg "$W/hs.log" env --default-signal=INT "$IMP_RUN" python3 -m http.server -b "$IMP_ADDR" \
	-d "$W/www" "$PORT"
check "http.server under imp-run listens on $IMP_ADDR $PORT" wait_until 10 listening
((IMP_OK)) || die "no server (log: $(cat "$W/hs.log"))"
ls=$(listener_status)
check_eq "its status shows the backlog it asked (5) and empty queues" \
	"$(field synq "$ls") $(field acceptq "$ls") $(field backlog "$ls")" "0 0 5"

url=http://$IMP_ADDR:$PORT
# fetch NAME OUT: one curl fetch; prints curl's error on failure.
fetch() { timeout 40 curl -sS --http1.0 --max-time 30 -o "$2" "$url/$1" 2>&1; }

rm -f "$W/pre.out"
check "before the flood: a fetch works" fetch small "$W/pre.out"
check_eq "... byte for byte" "$(sha256_of "$W/pre.out")" "$small_sum"
check_eq "... and needed no cookie (SyncookiesSent)" "$(tcp_stat SyncookiesSent)" 0

mac=$(status_field mac)
[[ $mac =~ ^[0-9a-f:]{17}$ ]] || die "no mac in ipifc/0/status"
sent0=$(tcp_stat SyncookiesSent)
recv0=$(tcp_stat SyncookiesRecv)
tcp_bg "$W/log.out" timeout 60 cat "$MNT/log"
logpid=$BG_PID
sleep 0.2
t0=$(now_ms)
tcp_bg "$W/flood.log" "$IMP_PY" "$FLOOD" "$IMP_TAP" "$mac" "$IMP_ADDR" "$PORT" "$NSYN" "$RATE" "$SRCNET"
flood=$BG_PID
check "the flood starts" wait_until 10 file_has "$W/flood.log" '^started$'
((IMP_OK)) || die "flood: $(cat "$W/flood.log")"
check "the stack answers it with cookies (SyncookiesSent > 0, <= 5 s)" \
	wait_until 5 eval '(($(tcp_stat SyncookiesSent) > sent0))'

# While it goes on: four 1 MiB fetches at once, and 100 kB ones in a row
# until the flood is over (at least 10).
pids=()
for i in 1 2 3 4; do
	(fetch big "$W/big$i.out" >"$W/big$i.err") &
	pids+=($!)
	IMP_EXTRA_PIDS+=($!)
done
nseq=0 bad=0
while ((nseq < 10)) || ! file_has "$W/flood.log" '^sent '; do
	rm -f "$W/seq.out"
	if ! err=$(fetch small "$W/seq.out") || [[ "$(sha256_of "$W/seq.out")" != "$small_sum" ]]; then
		((bad < 3)) && note "fetch $nseq: ${err:-body differs}"
		bad=$((bad + 1))
	fi
	nseq=$((nseq + 1))
	(($(now_ms) - t0 < 45000)) || break
done
bigbad=0
for i in 1 2 3 4; do
	if ! wait "${pids[$((i - 1))]}" || [[ "$(sha256_of "$W/big$i.out")" != "$big_sum" ]]; then
		note "1 MiB fetch $i: $(cat "$W/big$i.err" 2>/dev/null)"
		bigbad=$((bigbad + 1))
	fi
done
check "the flood ends (<= 30 s)" wait_until 30 eval '! is_alive $flood'
note "flood: $(grep '^sent' "$W/flood.log" || cat "$W/flood.log"); fetches in a row: $nseq"
check_eq "in the flood: $nseq fetches of 100 kB in a row, every body exact" "$bad failed" "0 failed"
check_eq "in the flood: four 1 MiB fetches at once, every body exact" "$bigbad failed" "0 failed"

sent=$(($(tcp_stat SyncookiesSent) - sent0))
recv=$(($(tcp_stat SyncookiesRecv) - recv0))
note "tcp/stats: SyncookiesSent +$sent SyncookiesRecv +$recv SyncookiesFailed $(tcp_stat SyncookiesFailed)" \
	"ListenOverflows $(tcp_stat ListenOverflows) ListenDrops $(tcp_stat ListenDrops) InSegs $(tcp_stat InSegs)"
check_ge "SyncookiesSent: the flood was answered with cookies" "$sent" 1000
# Each fetch in the flood found the SYN queue full of the flood's half-open
# connections (they wait out their SYN-ACK retries), so it came in through
# a cookie.
check_ge "SyncookiesRecv: the fetches in the flood came in through cookies" "$recv" $((nseq + 4))
check_eq "no cookie ACK failed (only the kernel's curl answered any)" "$(tcp_stat SyncookiesFailed)" 0
ls=$(listener_status || true)
note "listener: $ls"
check_ge "the SYN queue is full of the flood's half-open connections" "$(field synq "$ls")" 5
check_eq "... and holds no more than the backlog" "$(field synq "$ls")" 5
check "the daemon is alive and answers" imp_alive
tcp_kill_group "$logpid"
check_eq "/imp/log said once that the SYN queue overflowed" \
	"$(grep -c "tcp port $PORT: SYN queue full (5 half open): sending SYN cookies" "$W/log.out" || true)" 1
rm -f "$W/post.out"
check "after the flood: a fetch works" fetch big "$W/post.out"
check_eq "... byte for byte" "$(sha256_of "$W/post.out")" "$big_sum"

tcp_kill_groups
imp_stop

# ---- the same without cookies: the SYN queue still holds 5, and the flood
# locks the server out (what the cookies are for) --------------------------------
imp_start --gateway "$IMP_PEER" --syncookies 0
export IMP_ROOT=$MNT
tcp_bg "$W/hs0.log" env --default-signal=INT "$IMP_RUN" python3 -m http.server -b "$IMP_ADDR" \
	-d "$W/www" "$PORT"
check "--syncookies 0: http.server listens again" wait_until 10 listening
rm -f "$W/pre0.out"
check "--syncookies 0: before the flood, a fetch works" fetch small "$W/pre0.out"
tcp_bg "$W/log0.out" timeout 60 cat "$MNT/log"
logpid=$BG_PID
sleep 0.2
tcp_bg "$W/flood0.log" "$IMP_PY" "$FLOOD" "$IMP_TAP" "$(status_field mac)" "$IMP_ADDR" "$PORT" 2000 \
	"$RATE" "$SRCNET"
check "--syncookies 0: a flood of 2000 SYNs is sent" wait_until 20 file_has "$W/flood0.log" '^sent '
rc=0
timeout 10 curl -sS --http1.0 --max-time 3 -o /dev/null "$url/small" 2>/dev/null || rc=$?
check_eq "--syncookies 0: in the flood's wake a fetch gets no answer (curl exit 28, timeout)" "$rc" 28
ls=$(listener_status || true)
check_eq "--syncookies 0: the SYN queue holds the backlog, no more" "$(field synq "$ls")" 5
check_eq "--syncookies 0: no cookie was sent" "$(tcp_stat SyncookiesSent)" 0
check_ge "--syncookies 0: the SYNs past it were dropped (ListenDrops)" "$(tcp_stat ListenDrops)" 1000
check "--syncookies 0: the daemon is alive" imp_alive
tcp_kill_group "$logpid"
check_eq "--syncookies 0: /imp/log said once that it drops SYNs" \
	"$(grep -c "tcp port $PORT: SYN queue full (5 half open): dropping SYNs" "$W/log0.out" || true)" 1
tcp_kill_groups
imp_stop

out=$("$IMPFS" --syncookies 3 "$W" 2>&1) && rc=0 || rc=$?
check_eq "impfs --syncookies 3: exit status 2" "$rc" 2
check_match "... and one line that says why" '^impfs: --syncookies: "3" is not a number from 0 to 2$' "$out"
