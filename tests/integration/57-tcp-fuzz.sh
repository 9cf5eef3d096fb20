#!/usr/bin/env bash
# Hostile TCP: thousands of random segments with valid checksums (random
# flags, sequence numbers, header lengths, options and data) aimed at a
# listener and an established connection, with impfs running under
# valgrind.  The daemon must survive, keep serving, keep the connection
# working, and exit 0 with no memory error and no leak.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

mk_tmpfile vglog
REAL_IMPFS=$IMPFS
# A sanitizer build (-Db_sanitize=address,undefined) cannot run under
# valgrind; there ASan and LeakSanitizer check what valgrind would, and
# their report makes impfs exit non-zero, which imp_stop checks.
sanitized=0
if grep -qa __asan_init "$REAL_IMPFS"; then
	sanitized=1
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
	note "impfs is a sanitizer build: ASan and UBSan instead of valgrind"
else
	command -v valgrind >/dev/null || die "valgrind is missing (bash tests/deps.sh)"
	mk_tmpfile wrapper
	cat >"$wrapper" <<WRAP
#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 \
	--log-file=$vglog $REAL_IMPFS "\$@"
WRAP
	chmod +x "$wrapper"
	IMPFS=$wrapper
fi
imp_start --msl 500

stack_mac=$(awk '$1 == "mac" { print $2 }' "$MNT/ipifc/0/status")
peer_mac=$(in_peer ip -o link show "$IMP_TAP" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# A listener, and a connection to a kernel echo server.
sock_new tcp || die "no socket"
lfd=$SOCK_FD LNUM=$SOCK_N
check_ctl_ok "announce 8080" "$lfd" announce 8080
mk_tmpfile echolog
tcp_bg "$echolog" socat TCP-LISTEN:7000,bind=$IMP_PEER,reuseaddr,fork EXEC:cat
wait_listening 7000 || die "socat did not listen on 7000"
sock_new tcp || die "no socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $IMP_PEER 7000" "$cfd" connect "$IMP_PEER" 7000
lport=$(awk '{ print $2 }' "$MNT/tcp/$n/local")

out=$(timeout 120 "$IMP_PY" "$(dirname "$0")/57_tcp_fuzz.py" "$IMP_TAP" "$stack_mac" "$peer_mac" \
	3000 57 8080 "$lport" 2>&1) || fail "57_tcp_fuzz.py failed: $out"
note "$out"
check "daemon alive after the fuzz" imp_alive
check "ping still answered" ping -c 1 -W 2 "$IMP_ADDR"
wait_until 5 eval '(( $(proto_stat tcp InSegs) >= 3000 ))' || true
check_ge "tcp InSegs counted the segments" "$(proto_stat tcp InSegs)" 3000
check_ge "tcp InBadHeader counted the lying header lengths" "$(proto_stat tcp InBadHeader)" 1
check_ge "tcp InCsumErrors counted the bad checksums" "$(proto_stat tcp InCsumErrors)" 1

# The listener still accepts ...
mk_tmpfile nclog
tcp_bg "$nclog" bash -c "sleep 0.3; printf 'ping\n' | timeout 5 nc -q 1 $IMP_ADDR 8080"
m=$(timeout 5 bash -c "exec 5<>$MNT/tcp/$LNUM/listen && read -r m <&5 && echo \$m" || true)
check "the listener still accepts a connection" test -n "$m"
# ... and a fresh connection works end to end.
exec 6<>"$MNT/tcp/new/ctl"
read -r k <&6
check "a new connection after the fuzz" bash -c "echo connect $IMP_PEER 7000 >&6"
got=$(printf 'hello after the fuzz\n' >"$MNT/tcp/$k/data" && timeout 5 head -c 21 "$MNT/tcp/$k/data" || true)
check_eq "the echo server answers through it" "$got" "hello after the fuzz"
exec 6>&-
# The connection the fuzz aimed at either still works or was ended by a
# segment that hit its exact sequence number; the daemon must say which.
st=$(awk '{ print $1 }' "$MNT/tcp/$n/status")
if [[ $st == Established ]]; then
	got=$(printf 'still here\n' >"$MNT/tcp/$n/data" && timeout 5 head -c 11 "$MNT/tcp/$n/data" || true)
	check_eq "the fuzzed connection still echoes" "$got" "still here"
else
	note "the fuzzed connection is $st"
	check_match "the fuzzed connection ended cleanly" '^(Closed|Close_wait|Time_wait)$' "$st"
fi
sock_close_fd "$cfd"
sock_close_fd "$lfd"

imp_stop
((sanitized)) || check "valgrind: no memory error, no leak" test ! -s "$vglog"
if [[ -s $vglog ]]; then
	sed 's/^/      | /' "$vglog" | head -40
fi
