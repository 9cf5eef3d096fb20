#!/usr/bin/env bash
# The stack as a TCP server.  A bash HTTP/1.0 server on imp's files (announce,
# a loop that opens listen and spawns a handler per connection) serves files
# to the kernel's curl: 50 connections in a row and 20 at once, every body
# exact.  Then examples/echo-server.sh echoes what nc sends (lines, 1 MiB of
# random bytes, two clients at once) and takes its listener down when stopped.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

imp_start --msl 500

# http_serve PORT DOCROOT: announce PORT on the stack, print "ready N", then
# for each connection run http_handle in the background.
http_serve() {
	local port=$1 root=$2 n m
	exec 3<>"$MNT/tcp/new/ctl"
	read -r n <&3
	echo "announce $port 32" >&3
	echo "ready $n"
	while :; do
		exec 5<>"$MNT/tcp/$n/listen" # blocks; then fd 5 is the new socket M's ctl
		read -r m <&5
		http_handle "$m" "$root" &
		exec 5>&-
	done
}

# http_handle M DOCROOT: read the request from M/data (bounded: line by line,
# read -t), write the file, then close (FIN).
http_handle() {
	local m=$1 root=$2 line method path f
	exec 3>&-
	exec 6<>"$MNT/tcp/$m/data"
	if ! IFS= read -r -t 5 line <&6; then
		echo "socket $m: no request line"
		echo hangup >&5
		exit 1
	fi
	read -r method path _ <<<"${line%$'\r'}"
	while IFS= read -r -t 5 line <&6 && [[ -n ${line%$'\r'} ]]; do :; done
	f=$root/${path#/}
	if [[ $method == GET && -f $f ]]; then
		printf 'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n' "$(stat -c %s "$f")" >&6
		cat "$f" >&6
	else
		printf 'HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n' >&6
	fi
	echo close >&5
}

mk_tmpdir T
mkdir "$T/www"
sizes=(1 1000 65536 300000 1048576)
for i in "${!sizes[@]}"; do
	head -c "${sizes[$i]}" /dev/urandom >"$T/www/f$i"
	sums[$i]=$(sha256_of "$T/www/f$i")
done

mk_tmpfile slog
tcp_bg "$slog" http_serve 8080 "$T/www"
server=$BG_PID
wait_until 5 file_has "$slog" '^ready [0-9]+$' || die "the bash server did not announce (log: $(cat "$slog"))"
ln=$(sed -n 's/^ready //p' "$slog")
check_match "announce 8080 32: status Listen" '^Listen$' "$(tcp_state "$ln")"
check_match "announce: local is :: 8080 (both families)" '^:: 8080$' "$(sock_file tcp "$ln" local)"

# The other forms of announce.
sock_new tcp || die "no socket"
afd=$SOCK_FD an=$SOCK_N
check_ctl_ok "announce * 8081" "$afd" announce '*' 8081
check_eq "announce * 8081: Listen on :: 8081" "$(tcp_state "$an"):$(sock_file tcp "$an" local)" "Listen::: 8081"
sock_close_fd "$afd"
check_eq "an announced socket stays after its file closes" "$(tcp_state "$an")" Listen
check_ctl_ok "close it by path: echo close > $MNT/tcp/$an/ctl" "$MNT/tcp/$an/ctl" close
check "... and it goes away (<= 2 s)" wait_until 2 tcp_sock_gone "$an"
sock_new tcp || die "no socket"
afd=$SOCK_FD an=$SOCK_N
check_ctl_ok "announce $IMP_ADDR!8082 16" "$afd" "announce $IMP_ADDR!8082 16"
check_eq "announce $IMP_ADDR!8082 16: Listen on $IMP_ADDR 8082" "$(tcp_state "$an"):$(sock_file tcp "$an" local)" "Listen:$IMP_ADDR 8082"
timeout 20 curl -s --max-time 10 -o /dev/null "http://$IMP_ADDR:8082/" >/dev/null 2>&1 &
cpid=$!
IMP_EXTRA_PIDS+=("$cpid")
check "a connection to it completes its handshake while nobody accepts (kernel: ESTABLISHED, <= 3 s)" \
	wait_until 3 eval '[[ -n "$(ss -Htn state established "dport = :8082")" ]]'
sleep 0.2
check "... and waits (curl still waiting for a reply)" is_alive "$cpid"
t0=$(now_ms)
check_ctl_ok "close" "$afd" close
sock_close_fd "$afd"
reap "$cpid" 5
dt=$(($(now_ms) - t0))
# curl: 52 = the server closed without a reply, 56 = reset (what Linux does).
check_match "closing the listener ends the connection it queued (curl exit 52 or 56: $REAP_RC)" '^(52|56)$' "$REAP_RC"
check "... at once (${dt} ms < 2000)" test "$dt" -lt 2000
check "... and the listener goes away with it (<= 3 s)" wait_until 3 eval '[[ "$(tcp_socks)" == "$ln" ]]'
((IMP_OK)) || note "sockets: $(tcp_socks | tr '\n' ' ')"

url=http://$IMP_ADDR:8080
curl_get() { timeout 30 curl -sS --http1.0 --max-time 20 -o "$2" "$url/$1" 2>&1; }

# ---- 50 in a row -----------------------------------------------------------------------
passive0=$(tcp_stat PassiveOpens)
bad=0
t0=$(now_ms)
for i in $(seq 0 49); do
	k=$((i % ${#sizes[@]}))
	rm -f "$T/seq.out"
	if ! err=$(curl_get "f$k" "$T/seq.out") || [[ "$(sha256_of "$T/seq.out")" != "${sums[$k]}" ]]; then
		((bad < 3)) && note "connection $i (f$k, ${sizes[$k]} bytes): ${err:-body differs}"
		bad=$((bad + 1))
	fi
done
note "50 sequential fetches in $(($(now_ms) - t0)) ms"
check_eq "curl: 50 connections in a row, every body exact" "$bad failed" "0 failed"
check_ge "PassiveOpens counted the 50 connections" $(($(tcp_stat PassiveOpens) - passive0)) 50

# ---- 20 at once --------------------------------------------------------------------------
pids=()
t0=$(now_ms)
for i in $(seq 0 19); do
	k=$((i % ${#sizes[@]}))
	curl_get "f$k" "$T/par.$i" >"$T/par.$i.err" &
	pids+=($!)
done
bad=0
for i in $(seq 0 19); do
	k=$((i % ${#sizes[@]}))
	rc=0
	wait "${pids[$i]}" || rc=$?
	if ((rc != 0)) || [[ "$(sha256_of "$T/par.$i" 2>/dev/null)" != "${sums[$k]}" ]]; then
		((bad < 3)) && note "parallel $i (f$k): exit $rc $(cat "$T/par.$i.err")"
		bad=$((bad + 1))
	fi
done
note "20 parallel fetches in $(($(now_ms) - t0)) ms"
check_eq "curl: 20 connections at once, every body exact" "$bad failed" "0 failed"

out=$(timeout 10 curl -s --http1.0 --max-time 5 -o /dev/null -w '%{http_code}' "$url/nosuch" || true)
check_eq "a missing file: 404" "$out" 404
check "the server loop is still running" tcp_group_alive "$server"
if grep -q . "$slog" && grep -v '^ready ' "$slog" | grep -q .; then
	note "server log:"
	grep -v '^ready ' "$slog" | head -n 5 | sed 's/^/      | /'
fi

# Server-side close: each accepted socket goes through TIME_WAIT (2 x 500 ms).
check "every accepted socket goes away, the listener stays (<= 5 s)" \
	wait_until 5 eval '[[ "$(tcp_socks)" == "$ln" ]]'
((IMP_OK)) || note "sockets: $(tcp_socks | tr '\n' ' ')"
tcp_kill_group "$server"
check "the bash server killed" eval "! tcp_group_alive $server"

# ---- examples/echo-server.sh ------------------------------------------------------------
mk_tmpfile elog
tcp_bg "$elog" bash "$IMP_REPO/examples/echo-server.sh" 7007
echo_pid=$BG_PID
wait_until 5 file_has "$elog" '^echo server on port 7007' || die "echo-server.sh did not start (log: $(cat "$elog"))"
en=$(sed -n 's/^echo server on port 7007 (socket \([0-9]*\)).*/\1/p' "$elog")
pass "examples/echo-server.sh 7007 started (socket $en)"
out=$(printf 'hello\nworld\n' | timeout 10 nc -N "$IMP_ADDR" 7007 2>&1 || true)
check_eq "echo-server.sh: nc's lines come back" "$out" $'hello\nworld'

head -c 1048576 /dev/urandom >"$T/echo.in"
rc=0
timeout 30 nc -N "$IMP_ADDR" 7007 <"$T/echo.in" >"$T/echo.out" || rc=$?
check_eq "echo-server.sh: 1 MiB of random bytes through nc: exit 0" "$rc" 0
check_eq "echo-server.sh: 1 MiB comes back intact (sha256)" "$(sha256_of "$T/echo.out")" "$(sha256_of "$T/echo.in")"

# One client holds its connection open while another is served.
(printf 'first\n'; sleep 2; printf 'later\n') | timeout 10 nc -N "$IMP_ADDR" 7007 >"$T/slow.out" 2>&1 &
slow=$!
sleep 0.3
t0=$(now_ms)
out=$(printf 'second\n' | timeout 10 nc -N "$IMP_ADDR" 7007 2>&1 || true)
dt=$(($(now_ms) - t0))
check_eq "echo-server.sh: a second client is served while the first is connected" "$out" second
check "... at once (${dt} ms < 1000)" test "$dt" -lt 1000
rc=0
wait "$slow" || rc=$?
check_eq "... and the first client gets all its lines back" "$rc:$(cat "$T/slow.out")" $'0:first\nlater'

# Stopping the server (SIGTERM to the script) closes its announced socket.
kill -TERM "$echo_pid"
reap "$echo_pid" 5
check_eq "echo-server.sh exits on SIGTERM (status 143)" "$REAP_RC" 143
check "... and its listener goes away (<= 5 s)" wait_until 5 tcp_sock_gone "$en"
out=$(timeout 5 nc -z -w 2 "$IMP_ADDR" 7007 2>&1 && echo connected || echo refused)
check_eq "port 7007 refused afterwards" "$out" refused

check "daemon alive" imp_alive
tcp_kill_groups
imp_stop
