#!/usr/bin/env bash
# TCP and UDP over IPv6 with the kernel as the peer (issue 10, phase 2):
# 32 MiB each way (sha256 compared), a connect to the kernel's global and
# link-local addresses (with a zone), a dual listener taking a v4 and a v6
# kernel client, "announce :: PORT" refusing IPv4 and "announce 0.0.0.0
# PORT" refusing IPv6, UDP both ways (connected and in headers mode with
# 16-byte IPv6 addresses), ECONNREFUSED from a closed kernel port, the
# stack's own port unreachable, a listen and connect on the stack's own
# global and link-local addresses, bad address strings refused with a
# sentence in err, and ping through /imp/icmpv6; the daemon alive at the
# end.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

G6=2001:db8::2
K6=2001:db8::1
SIZE=$((32 * 1048576))

sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
imp_start --msl 500 --addr "$G6/64" --dns "$IMP_PEER"
in_peer ip -6 addr add "$K6/64" dev "$IMP_TAP" nodad

addr_state() { rd "$MNT/ipifc/0/status" | awk -v a="$1" '$1 == "addr" && $2 ~ "^" a "/" { print $3 }'; }
preferred() { [[ "$(addr_state "$1")" == preferred ]]; }
check "ipifc/0/status: $G6/64 preferred after DAD (<= 5 s)" wait_until 5 preferred "$G6"
kll=$(in_peer ip -6 -o addr show dev "$IMP_TAP" scope link | awk '{ sub("/.*", "", $4); print $4; exit }')
note "kernel link-local $kll"

mk_tmpdir W
head -c "$SIZE" /dev/urandom >"$W/src"
want=$(sha256_of "$W/src")

# ---- bulk, kernel -> stack ----------------------------------------------------------
tcp_bg "$W/s1.out" timeout 60 socat -u "OPEN:$W/src" "TCP6-LISTEN:9101,bind=[$K6],reuseaddr"
sender=$BG_PID
wait_listening 9101 || die "socat did not listen on [$K6]:9101"
sock_new tcp || die "no socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $K6 9101 (socat sends 32 MiB over IPv6)" "$cfd" connect "$K6" 9101
check_eq "remote: $K6 9101 (RFC 5952 text)" "$(sock_file tcp "$n" remote)" "$K6 9101"
check_match "local: $G6 and an ephemeral port" "^$G6 [1-9][0-9]*\$" "$(sock_file tcp "$n" local)"
check_match "status: Established, mss 1428 (1500 - 40 - 20 - 12 of timestamps)" '^Established .* mss 1428( |$)' "$(sock_file tcp "$n" status)"
t0=$(now_ms)
rc=0
timeout 60 cat "$MNT/tcp/$n/data" >"$W/got" || rc=$?
note "32 MiB kernel -> stack over IPv6 in $(($(now_ms) - t0)) ms"
check_eq "cat data > file: exit 0 at EOF" "$rc" 0
check_eq "32 MiB received, sha256 equal" "$(stat -c %s "$W/got"):$(sha256_of "$W/got")" "$SIZE:$want"
check "the kernel sender finished (<= 5 s)" wait_until 5 eval "! tcp_group_alive $sender"
sock_close_fd "$cfd"

# ---- bulk, stack -> kernel ----------------------------------------------------------
rm -f "$W/got"
tcp_bg "$W/s2.out" timeout 60 socat -u "TCP6-LISTEN:9102,bind=[$K6],reuseaddr" "OPEN:$W/got,creat,trunc"
receiver=$BG_PID
wait_listening 9102 || die "socat did not listen on [$K6]:9102"
sock_new tcp || die "no socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect [$K6]:9102 (the bracket form)" "$cfd" "connect [$K6]:9102"
t0=$(now_ms)
rc=0
timeout 60 cat "$W/src" >"$MNT/tcp/$n/data" || rc=$?
check_eq "cat file > data: 32 MiB written, exit 0" "$rc" 0
check_ctl_ok "close (FIN after the data)" "$cfd" close
check "socat sees EOF and exits (<= 30 s)" wait_until 30 eval "! tcp_group_alive $receiver"
note "32 MiB stack -> kernel over IPv6 in $(($(now_ms) - t0)) ms"
check_eq "the kernel received 32 MiB, sha256 equal" "$(stat -c %s "$W/got" 2>/dev/null):$(sha256_of "$W/got")" "$SIZE:$want"
sock_close_fd "$cfd"
check_eq "no TCP checksum errors" "$(tcp_stat InCsumErrors)" 0

# ---- link-local, with a zone ----------------------------------------------------------
# One kernel server for the rest: "::" takes both families (the kernel's
# bindv6only is 0); it answers each connection with its peer's address.
tcp_bg "$W/echo.out" timeout 60 "$IMP_PY" -c 'import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 9103)); s.listen(8)
while True:
    c, a = s.accept(); c.sendall(("peer " + a[0] + "\n").encode()); c.close()'
wait_listening 9103 || die "the kernel server did not listen on 9103"
for form in "$kll%$IMP_TAP 9103" "[$kll%0]:9103" "$kll 9103"; do
	sock_new tcp || die "no socket"
	cfd=$SOCK_FD n=$SOCK_N
	check_ctl_ok "connect $form" "$cfd" "connect $form"
	check_match "... local is the stack's link-local address" '^fe80::[0-9a-f:]+ [0-9]+$' "$(sock_file tcp "$n" local)"
	check_match "... the kernel saw a link-local peer" '^peer fe80::' "$(timeout 5 cat "$MNT/tcp/$n/data")"
	sock_close_fd "$cfd"
done
# connect NAME: A first, AAAA for a name with no IPv4 address.
kernel_dnsmasq "$W/dnsmasq.log" --listen-address="$IMP_PEER" --host-record=six.example.test,"$K6" \
	--host-record=both.example.test,"$IMP_PEER","$K6"
if wait_until 5 eval "in_peer ss -Hlun 'sport = :53' | grep -q ."; then
	sock_new tcp || die "no socket"
	cfd=$SOCK_FD n=$SOCK_N
	check_ctl_ok "connect six.example.test 9103 (AAAA only)" "$cfd" connect six.example.test 9103
	check_eq "... remote $K6 9103" "$(sock_file tcp "$n" remote)" "$K6 9103"
	sock_close_fd "$cfd"
	sock_new tcp || die "no socket"
	cfd=$SOCK_FD n=$SOCK_N
	check_ctl_ok "connect both.example.test 9103 (A and AAAA: IPv4's first)" "$cfd" connect both.example.test 9103
	check_eq "... remote $IMP_PEER 9103" "$(sock_file tcp "$n" remote)" "$IMP_PEER 9103"
	sock_close_fd "$cfd"
	sock_new tcp || die "no socket"
	cfd=$SOCK_FD n=$SOCK_N
	check_ctl_fails "connect none.example.test 9103 (no such name): ENOENT" "No such file or directory" "$cfd" connect none.example.test 9103
	sock_close_fd "$cfd"
else
	fail "dnsmasq did not listen on $IMP_PEER:53"
fi

sock_new tcp || die "no socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect ::ffff:$IMP_PEER 9103 (IPv4-mapped: IPv4)" "$cfd" connect "::ffff:$IMP_PEER" 9103
check_eq "... remote in IPv4 text" "$(sock_file tcp "$n" remote)" "$IMP_PEER 9103"
sock_close_fd "$cfd"

# ---- a dual listener ----------------------------------------------------------------
# accept_one LN: open LN's listen file and print the new socket's number.
accept_one() { timeout 5 bash -c 'exec 5<>"$1/tcp/$2/listen"; read -r m <&5; echo "$m"; exec 5>&-' _ "$MNT" "$1"; }
kclient() { in_peer timeout 5 "$IMP_PY" -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 3); s.sendall(b"hi\n")
print(s.recv(100).decode().strip())' "$@" 2>&1 || true; }

sock_new tcp || die "no socket"
lfd=$SOCK_FD ln=$SOCK_N
check_ctl_ok "announce 9104 (both families)" "$lfd" announce 9104
check_eq "a dual listener's local: :: 9104" "$(sock_file tcp "$ln" local)" ":: 9104"
check_eq "its remote: :: 0" "$(sock_file tcp "$ln" remote)" ":: 0"
for peer in "$IMP_ADDR" "$G6"; do
	bg_run "$W/kc.out" kclient "$peer" 9104
	kc=$BG_PID
	m=$(accept_one "$ln" || true)
	if [[ "$m" =~ ^[0-9]+$ ]]; then
		if [[ $peer == "$IMP_ADDR" ]]; then
			check_match "an IPv4 client of the dual listener is an IPv4 socket (remote $IMP_PEER)" "^$IMP_PEER [0-9]+\$" "$(sock_file tcp "$m" remote)"
			check_eq "... local $IMP_ADDR 9104" "$(sock_file tcp "$m" local)" "$IMP_ADDR 9104"
		else
			check_match "an IPv6 client of the dual listener: remote $K6" "^$K6 [0-9]+\$" "$(sock_file tcp "$m" remote)"
			check_eq "... local $G6 9104" "$(sock_file tcp "$m" local)" "$G6 9104"
		fi
		check_eq "... its data" "$(timeout 5 head -c 3 "$MNT/tcp/$m/data")" "hi"
		printf 'yes\n' >"$MNT/tcp/$m/data"
		ctl_try "$MNT/tcp/$m/ctl" close
		reap "$kc" 5
		check_eq "... the kernel client ($peer) got the answer" "$(cat "$W/kc.out")" "yes"
	else
		fail "dual listener: no connection from $peer accepted ($m)"
	fi
done
sock_close_fd "$lfd"
ctl_try "$MNT/tcp/$ln/ctl" close

refused() { [[ "$(kclient "$1" "$2")" == *"Connection refused"* ]]; }
sock_new tcp || die "no socket"
lfd=$SOCK_FD ln=$SOCK_N
check_ctl_ok "announce :: 9105 (IPv6 only)" "$lfd" announce :: 9105
check_eq "... local :: 9105" "$(sock_file tcp "$ln" local)" ":: 9105"
check "... refuses the kernel's IPv4 client (RST: connection refused)" refused "$IMP_ADDR" 9105
sock_new tcp || die "no socket"
lfd2=$SOCK_FD ln2=$SOCK_N
check_ctl_ok "announce 0.0.0.0 9106 (IPv4 only)" "$lfd2" announce 0.0.0.0 9106
check_eq "... local 0.0.0.0 9106" "$(sock_file tcp "$ln2" local)" "0.0.0.0 9106"
check "... refuses the kernel's IPv6 client" refused "$G6" 9106
sock_new tcp || die "no socket"
lfd3=$SOCK_FD
check_ctl_ok "announce 0.0.0.0 9105 beside :: 9105 (the families do not overlap)" "$lfd3" announce 0.0.0.0 9105
sock_new tcp || die "no socket"
lfd4=$SOCK_FD
check_ctl_fails "announce 9105 (dual) over them: EADDRINUSE" "Address already in use" "$lfd4" announce 9105
for f in "$lfd" "$lfd2" "$lfd3" "$lfd4"; do ctl_try "$f" close; sock_close_fd "$f"; done

# ---- to ourselves ----------------------------------------------------------------------
# A listener and a connect both on imp, at its own global and link-local
# addresses: through the stack's backlog, as IPv4's own address is.
sll=$(rd "$MNT/ipifc/0/status" | awk '$1 == "addr" && $2 ~ /^fe80:/ { sub("/.*", "", $2); print $2; exit }')
sock_new tcp || die "no socket"
lfd=$SOCK_FD ln=$SOCK_N
check_ctl_ok "announce 9107 (for connects to ourselves)" "$lfd" announce 9107
for dst in "$G6" "$sll"; do
	sock_new tcp || die "no socket"
	cfd=$SOCK_FD n=$SOCK_N
	check_ctl_ok "connect $dst 9107 (our own address)" "$cfd" connect "$dst" 9107
	check_match "... local is $dst" "^$dst [0-9]+\$" "$(sock_file tcp "$n" local)"
	m=$(accept_one "$ln" || true)
	if [[ "$m" =~ ^[0-9]+$ ]]; then
		check_eq "... the accepted side's remote is $dst too" "$(sock_file tcp "$m" remote)" "$dst $(sock_file tcp "$n" local | cut -d' ' -f2)"
		printf 'to me\n' >"$MNT/tcp/$n/data"
		check_eq "... bytes from the connect reach the accepted side" "$(timeout 5 head -c 6 "$MNT/tcp/$m/data")" "to me"
		printf 'and back\n' >"$MNT/tcp/$m/data"
		check_eq "... and bytes come back" "$(timeout 5 head -c 9 "$MNT/tcp/$n/data")" "and back"
		ctl_try "$MNT/tcp/$m/ctl" close
	else
		fail "connect $dst 9107: no connection accepted ($m)"
	fi
	sock_close_fd "$cfd"
done
sock_close_fd "$lfd"
ctl_try "$MNT/tcp/$ln/ctl" close

# ---- errors ---------------------------------------------------------------------------
sock_new tcp || die "no socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_fails "connect $K6 9199 (closed kernel port): ECONNREFUSED" "Connection refused" "$cfd" connect "$K6" 9199
check_match "... err says so" "connect $K6 9199: connection refused" "$(sock_file tcp "$n" err)"
sock_close_fd "$cfd"
sock_new tcp || die "no socket"
check_ctl_fails "connect $G6 80 (our own address, nobody listening): ECONNREFUSED" \
	"Connection refused" "$SOCK_FD" connect "$G6" 80
sock_close_fd "$SOCK_FD"
sock_new tcp || die "no socket"
check_ctl_fails "connect ff02::1 80 (a group): ENETUNREACH" "Network is unreachable" "$SOCK_FD" connect ff02::1 80
sock_close_fd "$SOCK_FD"
bad_addr() {
	local cmd=$1 why=$2 n fd
	sock_new tcp || { fail "$cmd: no socket"; return 0; }
	fd=$SOCK_FD n=$SOCK_N
	check_ctl_fails "$cmd: EINVAL" "Invalid argument" "$fd" "$cmd"
	check_match "... err: $why" "$why" "$(sock_file tcp "$n" err)"
	sock_close_fd "$fd"
}
bad_addr "connect 2001:db8::zz 80" '"2001:db8::zz" is not an IPv6 address'
bad_addr "connect 2001:db8:::1 80" '"2001:db8:::1" is not an IPv6 address'
bad_addr "connect [2001:db8::1 80" 'is not \[ADDRESS\]:PORT'
bad_addr "connect [2001:db8::1]:99999" '"99999" is not a port'
bad_addr "connect $K6%$IMP_TAP 80" 'a zone is only for a link-local address'
bad_addr "connect fe80::1%nosuch 80" 'no interface "nosuch" runs IPv6'
bad_addr "connect :: 80" ':: cannot be connected to'
sock_new tcp || die "no socket"
check_ctl_fails "announce 2001:db8::99 80 (not ours): EADDRNOTAVAIL" "Cannot assign requested address" "$SOCK_FD" announce 2001:db8::99 80
sock_close_fd "$SOCK_FD"

# ---- UDP --------------------------------------------------------------------------------
U=$MNT/udp
bg_run "$W/ur.out" in_peer timeout 10 "$IMP_PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind((sys.argv[1], 9201)); print("ready", flush=True)
d, a = s.recvfrom(100); print("from", a[0], a[1], d.decode(), flush=True); s.sendto(b"back6", a)' "$K6"
kr=$BG_PID
wait_until 5 file_has "$W/ur.out" '^ready$' || fail "kernel UDP receiver not ready"
sock_new udp || die "no socket"
ufd=$SOCK_FD un=$SOCK_N
check_ctl_ok "udp: connect $K6 9201" "$ufd" connect "$K6" 9201
ul=$(sock_file udp "$un" local)
check_match "udp local: $G6 PORT" "^$G6 [0-9]+\$" "$ul"
printf hello6 >"$U/$un/data"
reap "$kr" 5
check_eq "the kernel got the datagram from $G6 ${ul#* }" "$(sed -n 's/^from //p' "$W/ur.out")" "$G6 ${ul#* } hello6"
check_eq "... and its answer came back (one read, one datagram)" "$(timeout 5 dd if="$U/$un/data" bs=100 count=1 status=none)" "back6"
sock_close_fd "$ufd"

# headers mode: 52 bytes, raddr[16] laddr[16] ifcaddr[16] rport lport, the
# addresses IPv6 (or IPv4-mapped).
sock_new udp || die "no socket"
ufd=$SOCK_FD un=$SOCK_N
check_ctl_ok "udp: headers" "$ufd" headers
check_ctl_ok "udp: bind 9202 (both families)" "$ufd" bind 9202
check_eq "... local :: 9202" "$(sock_file udp "$un" local)" ":: 9202"
bg_run "$W/us.out" in_peer timeout 10 "$IMP_PY" -c 'import socket, sys
for fam, addr in ((socket.AF_INET6, sys.argv[1]), (socket.AF_INET, sys.argv[2])):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(5); s.sendto(b"q", (addr, 9202))
    d, a = s.recvfrom(100); print(fam == socket.AF_INET6 and "v6" or "v4", a[0], d.decode(), flush=True)' "$G6" "$IMP_ADDR"
ks=$BG_PID
out=$(timeout 10 "$IMP_PY" - "$U/$un/data" "$K6" "$IMP_PEER" <<'PY' 2>&1 || true
import ipaddress, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for want in (sys.argv[2], sys.argv[3]):
    d = os.read(fd, 1000)
    r = ipaddress.IPv6Address(d[:16]); l = ipaddress.IPv6Address(d[16:32])
    r = r.ipv4_mapped or r; l = l.ipv4_mapped or l
    print("got", r, l, int.from_bytes(d[50:52], "big"), d[52:].decode())
    os.write(fd, d[:48] + d[48:50] + d[50:52] + b"answer")
PY
)
reap "$ks" 5
check_match "headers read: an IPv6 datagram names $K6 and $G6 in 16 bytes each" "^got $K6 $G6 9202 q\$" "$out"
check_match "headers read: an IPv4 one, mapped" "^got $IMP_PEER $IMP_ADDR 9202 q\$" "$out"
check_match "headers write: the answer to the IPv6 peer went from $G6" "^v6 $G6 answer\$" "$(cat "$W/us.out")"
check_match "headers write: the answer to the IPv4 peer went from $IMP_ADDR" "^v4 $IMP_ADDR answer\$" "$(cat "$W/us.out")"
sock_close_fd "$ufd"

# announce without headers: one child socket per peer (Plan 9's), an IPv6
# peer's child IPv6's.
sock_new udp || die "no socket"
ufd=$SOCK_FD un=$SOCK_N
check_ctl_ok "udp: announce 9203" "$ufd" announce 9203
bg_run "$W/uc.out" in_peer timeout 10 "$IMP_PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(5); s.bind((sys.argv[2], 9204))
s.sendto(b"child6", (sys.argv[1], 9203)); print(s.recvfrom(100)[0].decode(), flush=True)' "$G6" "$K6"
kc=$BG_PID
m=$(timeout 5 bash -c 'exec 5<>"$1/udp/$2/listen"; read -r m <&5; echo "$m"; exec 5>&-' _ "$MNT" "$un" || true)
if [[ "$m" =~ ^[0-9]+$ ]]; then
	check_eq "udp child of an IPv6 peer: remote $K6 9204" "$(sock_file udp "$m" remote)" "$K6 9204"
	check_eq "... local $G6 9203" "$(sock_file udp "$m" local)" "$G6 9203"
	check_eq "... its datagram" "$(timeout 5 dd if="$U/$m/data" bs=100 count=1 status=none)" "child6"
	printf 'to6' >"$U/$m/data"
	reap "$kc" 5
	check_eq "... its answer reached the kernel" "$(cat "$W/uc.out")" "to6"
	ctl_try "$U/$m/ctl" close
else
	fail "udp announce 9203: no child for the IPv6 peer ($m)"
fi
sock_close_fd "$ufd"

noports0=$(proto_stat0 udp NoPorts)
unreach0=$(stat0 Icmp6OutDestUnreachs)
out=$(in_peer timeout 5 "$IMP_PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.connect((sys.argv[1], 9299)); s.send(b"x"); time.sleep(0.3)
try:
    s.send(b"x"); s.recv(10); print("no error")
except OSError as e: print(e.strerror)' "$G6" 2>&1 || true)
check_eq "UDP to a closed stack port: the kernel hears port unreachable (ECONNREFUSED)" "$out" "Connection refused"
check_ge "... NoPorts counted it" $(($(proto_stat0 udp NoPorts) - noports0)) 1
check_ge "... Icmp6OutDestUnreachs counted it" $(($(stat0 Icmp6OutDestUnreachs) - unreach0)) 1

sock_new udp || die "no socket"
ufd=$SOCK_FD un=$SOCK_N
check_ctl_ok "udp: connect $K6 9298 (nobody there)" "$ufd" connect "$K6" 9298
printf x >"$U/$un/data" || true
sleep 0.3
out=$(fop read "$U/$un/data")
check_eq "... the kernel's port unreachable: the next read is ECONNREFUSED" "$out" "error ECONNREFUSED"
sock_close_fd "$ufd"

check_eq "no UDP checksum errors" "$(proto_stat0 udp InCsumErrors)" 0

# ---- ICMPv6 echo sockets (/imp/icmpv6) ---------------------------------------------
out=$(timeout 10 "$IMP_PY" - "$MNT" "$K6" <<'PY' 2>&1 || true
import os, sys
mnt, k = sys.argv[1], sys.argv[2]
ctl = os.open(mnt + "/icmpv6/new/ctl", os.O_RDWR)
n = os.read(ctl, 20).decode().strip()
os.write(ctl, ("connect " + k).encode())
fd = os.open(mnt + "/icmpv6/" + n + "/data", os.O_RDWR)
for seq in (1, 2):
    os.write(fd, bytes([128, 0, 0, 0, 0, 0, 0, seq]) + b"imp6")
    r = os.read(fd, 100)
    print("reply type", r[0], "seq", r[7], r[8:].decode())
print("remote", open(mnt + "/icmpv6/" + n + "/remote").read().strip())
try:
    os.write(ctl, b"announce 7")
except OSError as e: print("announce:", e.strerror)
PY
)
check_match "icmpv6: an echo request written to data, its reply read (type 129)" '^reply type 129 seq 1 imp6$' "$out"
check_match "icmpv6: and a second one" '^reply type 129 seq 2 imp6$' "$out"
check_match "icmpv6: remote $K6 0" "^remote $K6 0\$" "$out"
check_match "icmpv6: announce refused (EINVAL)" '^announce: Invalid argument$' "$out"
check "daemon alive" imp_alive
tcp_kill_groups
imp_stop
