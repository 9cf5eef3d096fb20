#!/usr/bin/env bash
# Churn: 1,000 connections opened and closed, 20 times over, leave nothing
# behind (issue 12).  A C program (31_churn.c, compiled here) opens 1,000
# connections through the files to an echoing kernel listener (4 processes,
# each holding its share open until all are open, CurrEstab then 1,000),
# checks a 64-byte echo on each, and closes them all ("close", then the
# files).  Then 5 rounds the other way: imp announces a port, a kernel
# process connects 1,000 times, imp accepts each through listen, echoes,
# and once all are open closes them.  impfs runs with --msl 20, so
# TIME_WAIT (40 ms) ends quickly.
# After every round, once the closes are over:
#   - /imp/stats's live counts are back where they were before the first
#     round: Skbs, SkbBytes, Socks, Sockets, SocketDirs, Files, Parked,
#     ParkedBytes, Buffered (no skb, sock, socket, directory, handle,
#     request or buffered byte leaked); tcp/stats CurrEstab is 0;
#   - the kernel holds no connection on the port.
# And impfs's VmRSS after the last round is at most 10% above what it was after
# the first, for each way.  The whole takes 20 to 30 s.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

SRC=$IMP_REPO/tests/integration/31_churn.c
PORT=7059
LPORT=7060       # imp's listener, for the passive rounds
N=1000
ROUNDS=${IMP_CHURN_ROUNDS:-20}     # the sanitizer pass runs fewer (run-all.sh)
PROUNDS=5
command -v cc >/dev/null || die "missing program: cc (Debian: gcc)"
tcp_trap
ulimit -n 8192

imp_start --msl 20 --max-sockets 4096
mk_tmpdir W
P=$W/31_churn
cc -O2 -Wall -Wextra -Werror -o "$P" "$SRC" || die "cc $SRC failed"
pass "31_churn.c compiled"
tcp_bg "$W/serve.out" "$P" serve $PORT
wait_listening $PORT || die "the echo listener did not listen on $PORT"

# live: the live counts of /imp/stats and CurrEstab, one "Name=value" line.
LIVE="Skbs SkbBytes Socks Sockets SocketDirs Files Parked ParkedBytes Buffered"
live() {
	local s t
	s=$(rd "$MNT/stats") || return 1
	t=$(rd "$MNT/tcp/stats") || return 1
	awk -v want="$LIVE" 'BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) k[w[i]] = 1 }
		FNR == 1 { f++ }
		f == 1 { name = $1; sub(/:$/, "", name); if (name in k) v[name] = $2 }
		f == 2 && $1 == "CurrEstab:" { ce = $2 }
		END { for (i = 1; i <= n; i++) printf "%s=%s ", w[i], v[w[i]]; printf "CurrEstab=%s\n", ce }' \
		<(echo "$s") <(echo "$t")
}
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$IMP_PID/status"; }
kernel_conns() { ss -Htn "( sport = :$PORT )" | grep -vc LISTEN || true; }
settled() { [[ "$(live)" == "$BASE" && "$(kernel_conns)" == 0 ]]; }

BASE=$(live)
check_match "/imp/stats has every live count" '^Skbs=[0-9]+ SkbBytes=[0-9]+ Socks=0 Sockets=0 SocketDirs=0 Files=1 Parked=0 ParkedBytes=0 Buffered=0 CurrEstab=0$' "$BASE"
note "before: $BASE, VmRSS $(rss_kb) kB"
opens0=$(proto_stat0 tcp ActiveOpens)

t0=$(now_ms)
rss_first=
bad_rounds=0
peaks=()
for r in $(seq 1 $ROUNDS); do
	out=$(timeout 60 "$P" imp "$MNT" "$IMP_PEER" $PORT $N 4 2>&1) || true
	peak=$(sed -n 's/^peak //p' <<<"$out")
	peaks+=("$peak")
	if ! grep -qx "ok $N" <<<"$out"; then
		fail "round $r: $N connections opened, echoed and closed"
		sed 's/^/      | /' <<<"$out" | tail -n 10
		bad_rounds=$((bad_rounds + 1))
		((bad_rounds < 3)) || break
		continue
	fi
	if ! wait_until 20 settled; then
		fail "round $r: the live counts return to $BASE (now $(live)), the kernel holds $(kernel_conns) connections"
		bad_rounds=$((bad_rounds + 1))
		((bad_rounds < 3)) || break
		continue
	fi
	if ((r == 1)); then
		rss_first=$(rss_kb)
		note "after round 1 ($(($(now_ms) - t0)) ms): VmRSS $rss_first kB"
	fi
	[[ -z ${IMP_CHURN_DEBUG:-} ]] || note "round $r: VmRSS $(rss_kb) kB, $(live)"
done
t1=$(now_ms)
rss_last=$(rss_kb)
popens0=$(proto_stat0 tcp PassiveOpens)
prss_first=
ppeaks=()
pbad=0
for r in $(seq 1 $PROUNDS); do
	out=$(timeout 60 "$P" passive "$MNT" "$IMP_ADDR" $LPORT $N 2>&1) || true
	ppeaks+=("$(sed -n 's/^peak //p' <<<"$out")")
	if ! grep -qx "ok $N" <<<"$out"; then
		fail "passive round $r: $N connections accepted, echoed and closed"
		sed 's/^/      | /' <<<"$out" | tail -n 10
		pbad=$((pbad + 1))
		((pbad < 2)) || break
		continue
	fi
	if ! wait_until 20 settled; then
		fail "passive round $r: the live counts return to $BASE (now $(live))"
		pbad=$((pbad + 1))
		((pbad < 2)) || break
	fi
	((r == 1)) && prss_first=$(rss_kb)
	[[ -z ${IMP_CHURN_DEBUG:-} ]] || note "passive round $r: VmRSS $(rss_kb) kB, $(live)"
done
t2=$(now_ms)
prss_last=$(rss_kb)
check_eq "all $PROUNDS passive rounds of $N: accepted through listen, echoed, closed, settled" "$pbad" 0
check_eq "each passive round held all $N at once" "$(printf '%s\n' "${ppeaks[@]}" | sort -u | tr '\n' ' ')" "$N "
check_eq "tcp/stats PassiveOpens grew by $((N * PROUNDS))" $(($(proto_stat0 tcp PassiveOpens) - popens0)) $((N * PROUNDS))
check_eq "all $ROUNDS rounds of $N connections opened, echoed, closed, and settled back to the counts before" "$bad_rounds" 0
check_eq "each round held all $N open at once (tcp/stats CurrEstab at its peak)" \
	"$(printf '%s\n' "${peaks[@]}" | sort -u | tr '\n' ' ')" "$N "
check_eq "tcp/stats ActiveOpens grew by $((N * ROUNDS))" $(($(proto_stat0 tcp ActiveOpens) - opens0)) $((N * ROUNDS))
check_eq "tcp/stats EstabResets: no connection was reset" "$(proto_stat0 tcp EstabResets)" 0
check_eq "tcp/stats AttemptFails: no connect failed" "$(proto_stat0 tcp AttemptFails)" 0
note "after round $ROUNDS ($((t1 - t0)) ms): VmRSS $rss_last kB; after $PROUNDS passive ($((t2 - t1)) ms): VmRSS $prss_first kB after the first, $prss_last kB after the last; $(live)"
# Only growth is a leak, so the bound is one-sided.  Under ASan RSS says
# nothing about leaks: its quarantine holds freed memory for a while (RSS
# grew 15% over four rounds in CI) and hands it back later; there
# LeakSanitizer and the counters above are the leak checks, and the RSS
# bound is checked on the first pass's plain build only.
if grep -qa __asan_init "$IMPFS"; then
	note "VmRSS bound not checked: $IMPFS is built with ASan (its quarantine, not a leak, moves RSS)"
else
	check "VmRSS after the last round ($rss_last kB) at most 10% above after the first (${rss_first:-?} kB)" \
		eval "[[ -n '$rss_first' ]] && (( rss_last * 10 <= rss_first * 11 ))"
	check "passive: VmRSS after the last round ($prss_last kB) at most 10% above after the first (${prss_first:-?} kB)" \
		eval "[[ -n '$prss_first' ]] && (( prss_last * 10 <= prss_first * 11 ))"
fi
check_eq "/imp/stats live counts back where they started" "$(live)" "$BASE"
check_eq "refused nothing: SocketsRefused" "$(stat_of SocketsRefused "$MNT/stats")" 0
check_eq "refused nothing: RequestsRefused" "$(stat_of RequestsRefused "$MNT/stats")" 0

check "daemon alive and serving" imp_alive
imp_stop
