#!/usr/bin/env bash
# Watching the stack: ipifc/0/pcap (a pcap file header, then every frame sent
# or received from the open on, read by tcpdump from a file, from a pipe and
# from the file itself; PcapDrops when a reader does not keep up) and log
# (reads block and stream protocol events; set/clear select classes; bad
# commands are EINVAL).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

command -v tcpdump >/dev/null || die "tcpdump not installed (tests/deps.sh)"
imp_start
P=$MNT/ipifc/0/pcap
L=$MNT/log
kmac=$(kernel_mac)

sock_new udp || die "no udp socket"
ufd=$SOCK_FD u=$SOCK_N
check_ctl_ok "udp socket: connect 10.0.0.1 6030" "$ufd" connect 10.0.0.1 6030
lport=$(sock_file udp "$u" local | cut -d' ' -f2)
# Something on the kernel's port, so no port unreachable fails our writes.
mk_tmpfile ksink
kpeer_recv_bg "$ksink" 6030 --count 1000000 --timeout 250 || fail "kernel receiver on 6030 not ready"
say_udp() { fop write "$MNT/udp/$u/data" "$1" >/dev/null; }

# ---- pcap to a file ------------------------------------------------------------------
mk_tmpfile F
mk_tmpfile caterr
mk_tmpfile pipeout
mk_tmpfile directout
mk_tmpfile logf
mk_tmpfile logf2
mk_tmpfile stopout
say_udp before
sleep 0.2
bg_run "$caterr" bash -c 'exec timeout 3 cat "$1" >"$2"' x "$P" "$F"
cp=$BG_PID
sleep 0.5
for i in 1 2 3; do say_udp "pcap-$i"; done
fop write "$MNT/udp/$u/data" @4000 >/dev/null     # 3 fragments
in_peer ping -n -c 2 -i 0.2 -W 1 "$IMP_ADDR" >/dev/null 2>&1 || true
reap "$cp" 6
check "timeout 3 cat pcap > f.pcap: cat ended by the timeout" test "$REAP_RC" != timeout
check_eq "f.pcap starts with the pcap magic a1b2c3d4 (little-endian), version 2.4" \
	"$(od -An -tx1 -N8 "$F" | tr -d ' ')" "d4c3b2a102000400"
check_eq "link type 1 (Ethernet)" "$(od -An -tu4 -j20 -N4 "$F" | tr -d ' ')" 1
out=$(timeout 10 tcpdump -r "$F" -n 2>&1 || true)
sed 's/^/      | /' <<<"$out" | head -n 20
check_eq "tcpdump -r f.pcap: the 3 datagrams sent (10.0.0.2 > 10.0.0.1, UDP, length 6)" \
	"$(grep -Ec "IP 10\.0\.0\.2\.$lport > 10\.0\.0\.1\.6030: UDP, length 6\$" <<<"$out")" 3
check_eq "... and no other 6-byte datagram: not the one sent before the open" \
	"$(grep -Ec 'UDP, length 6$' <<<"$out")" 3
frags=$(timeout 10 tcpdump -r "$F" -n 'src 10.0.0.2 and ip[6:2] & 0x3fff != 0' 2>/dev/null || true)
check_eq "a 4000-byte datagram: its 3 fragments, one record each" "$(grep -c . <<<"$frags")" 3
check_match "... the first says UDP, length 4000" "UDP, length 4000\$" "$frags"
ts=$(od -An -tu4 -j24 -N4 "$F" | tr -d ' ')
now=$(date +%s)
check "the first record's time is now (ts_sec $ts, now $now)" test $((now - ts)) -ge 0 -a $((now - ts)) -lt 60
check_match "the kernel's echo requests, received" 'IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request' "$out"
check_match "the stack's echo replies, sent" 'IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo reply' "$out"
check "tcpdump reads the whole file without complaint" eval '! grep -Eqi "truncated|bogus|invalid" <<<"$out"'

# ---- pcap through a pipe, and tcpdump -r on the file itself -----------------------------
mk_tmpfile fifo
rm -f "$fifo" && mkfifo "$fifo"
# timeout 3 cat pcap | tcpdump -r -, as two processes the test can kill
bg_run "$pipeout" bash -c 'exec timeout 10 tcpdump -l -r - -n <"$1"' x "$fifo"
pp=$BG_PID
bg_run "$caterr" bash -c 'exec timeout 3 cat "$1" >"$2"' x "$P" "$fifo"
pc=$BG_PID
bg_run "$directout" timeout 3 tcpdump -l -r "$P" -n
dp=$BG_PID
sleep 0.5
for i in 1 2; do say_udp "pipe-$i"; done
reap "$pc" 6
reap "$pp" 12
reap "$dp" 6
check_eq "timeout 3 cat pcap | tcpdump -r -: both datagrams (two readers at once)" \
	"$(grep -Ec "IP 10\.0\.0\.2\.$lport > 10\.0\.0\.1\.6030: UDP, length 6\$" "$pipeout")" 2
check_eq "timeout 3 tcpdump -r pcap: both datagrams" \
	"$(grep -Ec "IP 10\.0\.0\.2\.$lport > 10\.0\.0\.1\.6030: UDP, length 6\$" "$directout")" 2

# ---- a reader that does not read ------------------------------------------------------------
stats=$(rd "$MNT/ipifc/0/stats" || true)
check_match "ipifc/0/stats has PcapDrops" '^PcapDrops: [0-9]+$' "$stats"
d0=$(stat0 PcapDrops)
exec {pfd}<"$P"
t0=$(now_ms)
for ((i = 0; i < 100; i++)); do fop write "$MNT/udp/$u/data" @60000 >/dev/null; done
dt=$(($(now_ms) - t0))
wait_until 3 eval '(( $(stat0 PcapDrops) > d0 ))' || true
check_ge "100 x 60000-byte datagrams (> 4 MiB of frames) with a pcap reader not reading: PcapDrops grew" \
	$(($(stat0 PcapDrops) - d0)) 1
check "... and the stack did not wait for the reader (${dt} ms)" test "$dt" -lt 30000
check "... the kernel still pings the stack" ping_ok 2
mk_tmpfile behind
timeout 3 cat <&"$pfd" >"$behind" || true
sock_close_fd "$pfd"
check_eq "the reader that fell behind reads from the file header on" \
	"$(od -An -tx1 -N4 "$behind" | tr -d ' ')" d4c3b2a1
rc=0
out=$(timeout 20 tcpdump -r "$behind" -n 2>&1 >/dev/null) || rc=$?
check_eq "... and what it read is whole records: tcpdump -r reads it all (status 0)" "$rc" 0
check "... without a truncated or bogus record" eval '! grep -Eqi "truncated|bogus|invalid" <<<"$out"'
nrec=$(timeout 20 tcpdump -r "$behind" -n 2>/dev/null | grep -c 'UDP, length 60000' || true)
check_ge "... and many of the 60000-byte datagrams" "$nrec" 10

# ---- log ---
TS='([0-9]+(\.[0-9]+)? )?'     # a line may start with a timestamp-------------------------------------------------------------------------------------
bg_run "$logf" timeout 60 cat "$L"
lp=$BG_PID
sleep 0.3
check_ctl_ok "echo flush > arp" "$MNT/arp" flush
say_udp log-1
wait_until 5 file_has "$logf" "^$TS"'arp 10\.0\.0\.1 is-at '"$kmac" || true
check_match "cat log: \"arp 10.0.0.1 is-at $kmac\" after flush and new traffic" \
	"^$TS"'arp 10\.0\.0\.1 is-at '"$kmac" "$(cat "$logf")"
check "cat log is still reading (the log does not end)" is_alive "$lp"

check_ctl_ok "echo clear all > log" "$L" clear all
n0=$(grep -Ec "^${TS}arp " "$logf" || true)
check_ctl_ok "echo flush > arp" "$MNT/arp" flush
say_udp log-2
sleep 1
check_eq "after clear all: no arp event for the new resolution" "$(grep -Ec "^${TS}arp " "$logf" || true)" "$n0"
check_ctl_ok "echo set arp > log" "$L" set arp
check_ctl_ok "echo flush > arp" "$MNT/arp" flush
say_udp log-3
wait_until 5 eval '(( $(grep -Ec "^${TS}arp 10\.0\.0\.1 is-at" "$logf" || true) > n0 ))' || true
check_ge "after set arp: the arp event is back" $(($(grep -Ec "^${TS}arp 10\.0\.0\.1 is-at" "$logf" || true) - n0)) 1

# an address nobody has: "unresolved" after the requests
sock_new udp || die "no udp socket"
vfd=$SOCK_FD v=$SOCK_N
check_ctl_ok "udp: connect 10.0.0.79 9" "$vfd" connect 10.0.0.79 9
fop write "$MNT/udp/$v/data" lost >/dev/null
wait_until 6 file_has "$logf" "^${TS}arp 10\.0\.0\.79 unresolved" || true
check_match "log: arp 10.0.0.79 unresolved" "^${TS}arp 10\.0\.0\.79 unresolved" "$(cat "$logf")"
sock_close_fd "$vfd"
ctl_try "$MNT/udp/$v/ctl" close

check_ctl_fails "echo frob > log: EINVAL" "Invalid argument" "$L" frob
check_ctl_fails "echo set nosuch > log: EINVAL" "Invalid argument" "$L" set nosuch
check_ctl_fails "echo set > log: EINVAL" "Invalid argument" "$L" set
for c in tcp udp ip arp icmp all; do
	check_ctl_ok "echo set $c > log" "$L" set "$c"
done
check "every line of the log is one whole line" eval '[[ -z "$(tail -c 1 "$logf")" ]]'

# a second reader gets the events from its open on, as the first
bg_run "$logf2" timeout 60 cat "$L"
lp2=$BG_PID
sleep 0.3
check_ctl_ok "echo flush > arp" "$MNT/arp" flush
say_udp log-4
wait_until 5 file_has "$logf2" "^${TS}arp 10\.0\.0\.1 is-at" || true
check_match "a second log reader sees the new event" "^$TS"'arp 10\.0\.0\.1 is-at '"$kmac" "$(cat "$logf2")"
check "... and not the old unresolved one" eval '! grep -q unresolved "$logf2"'

# poll on the log: quiet while nothing happens, readable when an event comes
check_ctl_ok "echo clear all > log" "$L" clear all
check_ctl_ok "echo set arp > log" "$L" set arp
pollout=$("$IMP_PY" - "$L" "$MNT/arp" <<'PY'
import os, select, sys, time
log, arp = sys.argv[1], sys.argv[2]
fd = os.open(log, os.O_RDONLY)
p = select.poll()
p.register(fd, select.POLLIN)
print("quiet", p.poll(300))
t = time.time()
with open(arp, "w") as f:
    f.write("add 10.0.0.9 02:00:00:00:00:09")   # logs "arp 10.0.0.9 is-at ..."
r = p.poll(5000)
print("event", bool(r and r[0][1] & select.POLLIN), "%.1f" % (time.time() - t))
print("line", os.read(fd, 4096).decode().strip())
PY
) || true
check_match "poll on log: no event, not readable" '^quiet \[\]$' "$pollout"
check_match "poll on log: readable once an event comes" '^event True' "$pollout"
check_match "... and the event is there to read" '^line .*arp 10\.0\.0\.9 is-at 02:00:00:00:00:09' "$pollout"

# readers blocked in pcap and log when impfs stops
bg_run "$stopout" timeout 20 cat "$P"
sp=$BG_PID
sleep 0.3
sock_close_fd "$ufd"
imp_stop
reap "$lp" 5
check "the blocked log reader returns when impfs stops (status $REAP_RC)" test "$REAP_RC" != timeout
reap "$lp2" 5
reap "$sp" 5
check "the blocked pcap reader returns when impfs stops (status $REAP_RC)" test "$REAP_RC" != timeout
