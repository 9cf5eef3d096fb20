#!/usr/bin/env bash
# TCP as a client of a real server: nginx on the kernel's side serves a 1 MiB
# random file; the stack fetches it with "connect", a GET written to data and
# cat data (headers and the exact body), and with examples/http-get.sh.  While
# the connection is open its status says Established; local and remote name
# its ends; once the server has closed and the reply was read to EOF, the
# socket goes away by itself.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

imp_start --msl 500

# ---- tcp/stats --------------------------------------------------------------------------
stats=$(timeout 5 cat "$MNT/tcp/stats" 2>&1 || true)
check "tcp/stats: every line is \"Name: value\"" eval \
	"[[ -n \"\$stats\" ]] && ! grep -Evq '^[A-Za-z][A-Za-z0-9]*: [0-9]+\$' <<<\"\$stats\""
missing=
for c in ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs \
	InErrs OutRsts InCsumErrors ChallengeAcks PawsDrops OutOfWindow DupAcks FastRetrans Timeouts \
	ZeroWindowProbes; do
	grep -q "^$c: " <<<"$stats" || missing+=" $c"
done
check_eq "tcp/stats: the RFC 4022 counters and imp's own are all there" "${missing:-none missing}" "none missing"

# ---- nginx on 10.0.0.1:80 --------------------------------------------------------
mk_tmpdir T
mkdir -p "$T/www" "$T/tmp" "$T/logs"
head -c 1048576 /dev/urandom >"$T/www/blob"
want=$(sha256_of "$T/www/blob")
printf 'hello from nginx\n' >"$T/www/small.txt"
kernel_nginx "$T" "$IMP_PEER" 80 || die "nginx did not listen on $IMP_PEER:80 within 5 s"
nginx_pid=$NGINX_PID
pass "nginx listens on $IMP_PEER:80"

# ---- connect, GET, cat data --------------------------------------------------------
opens0=$(tcp_stat ActiveOpens)
sock_new tcp || die "open $MNT/tcp/new/ctl: no socket number"
cfd=$SOCK_FD n=$SOCK_N
check_match "reading the new ctl gives the socket number" '^[0-9]+$' "$n"
check_ctl_ok "connect $IMP_PEER 80" "$cfd" connect "$IMP_PEER" 80

st=$(timeout 5 cat "$MNT"/tcp/*/status 2>&1 || true)
check_match "cat $MNT/tcp/*/status: Established while the connection is open" '^Established ' "$st"
check_match "status: state word, then the key value pairs of SPEC" \
	'^Established rcvq [0-9]+ sndq [0-9]+ srtt [0-9.]+ rttvar [0-9.]+ rto [0-9.]+ cwnd [0-9]+ ssthresh [0-9]+ snd_wnd [0-9]+ rcv_wnd [0-9]+ mss [0-9]+ retransmits [0-9]+ sacked [0-9]+ lost [0-9]+ retrans [0-9]+ delivery_rate [0-9]+ cc [a-z]+$' \
	"$(timeout 5 cat "$MNT/tcp/$n/status" 2>&1 || true)"
check_eq "remote: $IMP_PEER 80" "$(sock_file tcp "$n" remote)" "$IMP_PEER 80"
check_match "local: $IMP_ADDR and an ephemeral port" "^$IMP_ADDR ([1-9][0-9]{3,4})\$" "$(sock_file tcp "$n" local)"
check_eq "err is empty after a good connect" "$(sock_file tcp "$n" err)" ""
check_ge "ActiveOpens counted the connect" $(($(tcp_stat ActiveOpens) - opens0)) 1
check_ge "CurrEstab counts the open connection" "$(tcp_stat CurrEstab)" 1

mk_tmpfile reply
rc=0
printf 'GET /blob HTTP/1.0\r\nHost: 10.0.0.1\r\n\r\n' >"$MNT/tcp/$n/data" || rc=$?
check_eq "the GET written to data" "$rc" 0
rc=0
timeout 20 cat "$MNT/tcp/$n/data" >"$reply" || rc=$?
check_eq "cat data: ends with EOF when nginx closes (exit 0)" "$rc" 0
# Split the reply at the first empty line.
hdr_len=$("$IMP_PY" -c 'import sys; d = open(sys.argv[1], "rb").read(); i = d.find(b"\r\n\r\n"); print(i + 4 if i >= 0 else -1)' "$reply")
headers=$(head -c "$((hdr_len > 0 ? hdr_len : 0))" "$reply" | tr -d '\r')
check_match "reply: status line HTTP/1.1 200 OK" '^HTTP/1\.[01] 200 OK$' "$(head -n 1 <<<"$headers")"
check_match "reply: Content-Length: 1048576" '^Content-Length: 1048576$' "$headers"
check_eq "reply: headers + 1048576 bytes of body" "$(stat -c %s "$reply")" $((hdr_len + 1048576))
check_eq "reply: body sha256 is the file's" "$(tail -c +$((hdr_len + 1)) "$reply" | sha256sum | cut -d' ' -f1)" "$want"
check_eq "after EOF: read gives EOF again" "$(fop read "$MNT/tcp/$n/data")" eof
check_match "after nginx's FIN: Close_wait (our side still open)" '^Close_wait$' "$(tcp_state "$n")"
sock_close_fd "$cfd"
check "peer closed, read to EOF, no file open: $MNT/tcp/$n goes away (<= 5 s)" \
	wait_until 5 tcp_sock_gone "$n"

# ---- one-line shell commands on a socket without an open ctl ---------------------------
exec {cfd}<>"$MNT/tcp/new/ctl"
read -r -t 5 n <&"$cfd" || true
check_ctl_ok "connect $IMP_PEER!80 (Plan 9 form)" "$cfd" "connect $IMP_PEER!80"
sock_close_fd "$cfd"
check_match "a connected socket stays after its files close" '^Established$' "$(tcp_state "$n")"
printf 'GET /small.txt HTTP/1.0\r\n\r\n' >"$MNT/tcp/$n/data" || true
out=$(timeout 10 cat "$MNT/tcp/$n/data" | tr -d '\r' || true)
check_match "then: printf GET > data; cat data (headers)" '^HTTP/1\.[01] 200 OK$' "$out"
check_eq "then: cat data (body last)" "$(tail -n 1 <<<"$out")" "hello from nginx"
check "and the socket goes away by itself (<= 5 s)" wait_until 5 tcp_sock_gone "$n"

# ---- examples/http-get.sh ----------------------------------------------------------------
mk_tmpfile body
rc=0
IMP_ROOT=$MNT timeout 30 bash "$IMP_REPO/examples/http-get.sh" "$IMP_PEER" 80 /blob >"$body" 2>"$T/get.err" || rc=$?
check_eq "examples/http-get.sh $IMP_PEER 80 /blob: exit 0" "$rc" 0
((IMP_OK)) || sed 's/^/      | /' "$T/get.err"
check_eq "examples/http-get.sh: prints the body (sha256 equal)" "$(sha256_of "$body")" "$want"
rc=0
out=$(IMP_ROOT=$MNT timeout 30 bash "$IMP_REPO/examples/http-get.sh" "$IMP_PEER" 80 /small.txt 2>&1) || rc=$?
check_eq "examples/http-get.sh $IMP_PEER 80 /small.txt: the body" "$rc:$out" "0:hello from nginx"
rc=0
out=$(IMP_ROOT=$MNT timeout 30 bash "$IMP_REPO/examples/http-get.sh" "$IMP_PEER" 80 /nosuch 2>&1 >/dev/null) || rc=$?
check_eq "examples/http-get.sh ... /nosuch: exit 1" "$rc" 1
check_match "... with the 404 status on stderr" '404 Not Found' "$out"
rc=0
out=$(IMP_ROOT=$MNT timeout 10 bash "$IMP_REPO/examples/http-get.sh" "$IMP_PEER" 81 / 2>&1) || rc=$?
check "examples/http-get.sh to a closed port fails" test "$rc" -ne 0
check_match "... saying Connection refused" 'Connection refused' "$out"

check "no TCP socket left over (<= 5 s)" wait_until 5 eval '[[ -z "$(tcp_socks)" ]]'
((IMP_OK)) || note "left: $(tcp_socks | tr '\n' ' ')"
check "nginx still running" tcp_group_alive "$nginx_pid"
check "daemon alive" imp_alive
tcp_kill_groups
imp_stop
