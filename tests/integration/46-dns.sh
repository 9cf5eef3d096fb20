#!/usr/bin/env bash
# Names (issue 11): the stack's resolver asking dnsmasq on the kernel's side
# of the TAP (bound to 10.0.0.1 in this test's namespace only, serving
# example.test and nothing else):
#   /imp/dns: a name's address, a CNAME, AAAA, the cache, a reply too big
#   for UDP (TCP), an unknown name (ENOENT and a sentence), bad input, 20
#   lookups in flight at once;
#   connect NAME PORT reaching nginx by name (blocking, non-blocking, UDP,
#   examples/http-get.sh), its errors, status while it resolves;
#   imp-run: curl and wget download by name (sha256), python's getaddrinfo
#   and gethostbyname, getent; localhost still works; the kernel's own
#   resolver is pointed at nothing, so only imp could have found the names;
#   a hostile server's bad replies (wrong id, another question, compression
#   loops, records cut short...) dropped, counted and logged while the good
#   one is taken; a silent server: ETIMEDOUT after 3 tries, three lookups of
#   one name sharing one query, other lookups not held up meanwhile, a
#   signal ending a wait; an absent server: EHOSTUNREACH; two servers, the
#   first absent; a bad --dns; no --dns at all.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
BADSRV=$IMP_REPO/tests/integration/46_dnsbad.py
K=$IMP_PEER

missing=()
for t in dnsmasq nginx curl wget python3 getent sha256sum setsid; do
	command -v "$t" >/dev/null || missing+=("$t")
done
((${#missing[@]} == 0)) || die "missing programs: ${missing[*]} (Debian: dnsmasq-base nginx-light curl wget python3 libc-bin coreutils util-linux)"
[[ -x "$IMP_RUN" ]] || die "$IMP_RUN not built"

W=
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; [[ -z $W ]] || rm -rf "$W"/*; (exit $imp__rc); imp__cleanup' EXIT

# The kernel's resolver asks 127.0.0.9, where nothing listens: a name this
# test finds was found through imp.  (The mount namespace is the test's.)
mk_tmpdir W
resolv_nowhere "$W"

imp_start --dns "$K"
export IMP_ROOT=$MNT

# dnsmasq: only example.test, from the command line and one hosts file
# (big.example.test: 40 addresses, more than a 512-byte UDP reply holds).
for i in $(seq 1 40); do echo "10.0.2.$i big.example.test"; done >"$W/big.hosts"
start_dnsmasq() {
	kernel_dnsmasq "$W/dnsmasq.log" --listen-address="$K" \
		--host-record=www.example.test,"$K" --host-record=v6.example.test,"$K",fd00::17 \
		--host-record=web.example.test,"$K" --address=/par.example.test/"$K" \
		--cname=alias.example.test,www.example.test --addn-hosts="$W/big.hosts"
	wait_until 5 eval "in_peer ss -Hlun 'sport = :53' | grep -q ." || die "dnsmasq did not listen on $K:53"
}
start_dnsmasq
pass "dnsmasq serves example.test on $K:53"

# dns_ask WORDS...: open $MNT/dns, write WORDS, read the answer back on the
# same descriptor.  DNS_RC: 0, or the write's failure (124: it hung);
# DNS_ERR: the errno text bash printed; DNS_OUT: what the read gave.
dns_ask() {
	DNS_RC=0
	DNS_OUT=$(timeout 20 bash -c 'exec 3<>"$1"; shift; printf "%s\n" "$*" >&3 || { e=$?; cat <&3; exit $e; }; cat <&3' \
		dns_ask "$MNT/dns" "$@" 2>"$W/dns.err") || DNS_RC=$?
	DNS_ERR=$(sed -n 's/.*write error: //p' "$W/dns.err" | head -n 1)
}
dstat() { stat_of "$1" "$MNT/dnsstats"; }

# ---- /imp/dns ----------------------------------------------------------------
check_match "dnsstats lists the server given with --dns" "^Servers: $K\$" "$(rd "$MNT/dnsstats")"
sent0=$(dstat Sent)
dns_ask www.example.test
check_eq "www.example.test through /imp/dns: the write succeeds" "$DNS_RC" 0
check_eq "www.example.test through /imp/dns: dnsmasq's address" "$DNS_OUT" "$K"
check_ge "the query went out through imp (dnsstats Sent)" $(($(dstat Sent) - sent0)) 1
check "dnsmasq saw the query (its log)" grep -q 'query\[A\] www.example.test from 10.0.0.2' "$W/dnsmasq.log"
hits0=$(dstat CacheHits)
sent0=$(dstat Sent)
dns_ask WWW.Example.Test.
check_eq "the same name again (other case, trailing dot): same address" "$DNS_OUT" "$K"
check_eq "... from the cache (CacheHits +1)" $(($(dstat CacheHits) - hits0)) 1
check_eq "... and nothing sent" $(($(dstat Sent) - sent0)) 0
dns_ask alias.example.test
check_eq "a CNAME (alias -> www) is followed" "$DNS_OUT" "$K"
dns_ask v6.example.test aaaa
check_eq "\"v6.example.test aaaa\": the AAAA record" "$DNS_OUT" "fd00::17"
dns_ask www.example.test aaaa
check_eq "AAAA of a name that has only an A record: ENODATA" "$DNS_ERR" "No data available"
check_match "... and the read says why" '^error: www\.example\.test: no AAAA \(IPv6\) record' "$DNS_OUT"

tr0=$(dstat Truncated)
tcp0=$(dstat TcpQueries)
dns_ask big.example.test
check_eq "big.example.test (40 A records): the write succeeds" "$DNS_RC" 0
check_eq "big.example.test: 16 addresses kept, one a line" "$(wc -l <<<"$DNS_OUT")" 16
check "big.example.test: all from 10.0.2.0/24" eval '! grep -vq "^10\.0\.2\.[0-9]*$" <<<"$DNS_OUT"'
check_eq "the UDP reply was truncated (Truncated +1)" $(($(dstat Truncated) - tr0)) 1
check_eq "and asked again over TCP (TcpQueries +1)" $(($(dstat TcpQueries) - tcp0)) 1

nx0=$(dstat NXDomain)
dns_ask nosuch.example.test
check_eq "an unknown name: ENOENT" "$DNS_ERR" "No such file or directory"
check_eq "an unknown name: the read gives the sentence" "$DNS_OUT" \
	"error: nosuch.example.test: no such name (NXDOMAIN from $K)"
check_eq "NXDomain +1" $(($(dstat NXDomain) - nx0)) 1
ctl_try "$MNT/dns" nosuch.example.test
check_eq "echo nosuch.example.test > /imp/dns, as typed: ENOENT" "$CTL_ERROR" "No such file or directory"
long=$(printf 'l%.0s' $(seq 60)).$(printf 'm%.0s' $(seq 60)).example.test
dns_ask "$long"
check_eq "a 133-character unknown name: the sentence names it whole" "$DNS_OUT" \
	"error: $long: no such name (NXDOMAIN from $K)"
# Twenty lookups at once, each its own open file and its own name (in
# flight together, none cached): all answered.
pids=()
for i in $(seq 20); do
	timeout 20 bash -c 'exec 3<>"$1"; echo "$2" >&3 && cat <&3' x "$MNT/dns" \
		"q$i.par.example.test" >"$W/par.$i" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}" || true
check_eq "20 lookups at once: 20 answers of $K" "$(cat "$W"/par.* | grep -cx "$K")" 20
dns_ask 'bad_name-.test'
check_eq "a malformed name: EINVAL" "$DNS_ERR" "Invalid argument"
check_match "... with the rule in the sentence" "is not a host name" "$DNS_OUT"
dns_ask www.example.test mx
check_eq "an unknown type: EINVAL" "$DNS_ERR" "Invalid argument"
dns_ask 10.1.2.3
check_eq "a dotted address is its own answer" "$DNS_OUT" "10.1.2.3"

# ---- connect NAME PORT ------------------------------------------------------------
mkdir -p "$W/ng"
kernel_nginx "$W/ng" "$K" 8080 || die "nginx did not listen on $K:8080"
head -c $((1 << 20)) /dev/urandom >"$W/ng/www/file"
want_sha=$(sha256_of "$W/ng/www/file")
printf 'served by name\n' >"$W/ng/www/small.txt"

sock_new tcp || die "no tcp socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect www.example.test 8080 (a name)" "$cfd" connect www.example.test 8080
check_eq "tcp/$n/remote: the address the name has" "$(sock_file tcp "$n" remote)" "$K 8080"
printf 'GET /small.txt HTTP/1.0\r\nHost: www.example.test\r\n\r\n' >"$MNT/tcp/$n/data" || true
out=$(timeout 5 cat "$MNT/tcp/$n/data" | tr -d '\r' || true)
check_match "GET by name: 200 OK" '^HTTP/1\.[01] 200 OK$' "$out"
check_match "GET by name: the body" '^served by name$' "$out"
sock_close_fd "$cfd"

out=$(IMP_ROOT=$MNT timeout 10 bash "$IMP_REPO/examples/http-get.sh" www.example.test 8080 /small.txt 2>&1) || true
check_eq "examples/http-get.sh www.example.test 8080 /small.txt" "$out" "served by name"

sock_new tcp || die "no tcp socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_fails "connect nosuch.example.test 8080: ENOENT" "No such file or directory" "$cfd" connect nosuch.example.test 8080
check_eq "tcp/$n/err names the command and the cause" "$(sock_file tcp "$n" err)" \
	"connect nosuch.example.test 8080: no such name (NXDOMAIN from $K)"
check_ctl_fails "connect bad_name-.x 80: EINVAL" "Invalid argument" "$cfd" connect bad_name-.x 80
sock_close_fd "$cfd"
# Non-blocking: EINPROGRESS at once, then Established (a name not cached yet).
out=$(timeout 20 "$IMP_PY" -c '
import errno, os, select, sys, time
mnt = sys.argv[1]
ctl = os.open(mnt + "/tcp/new/ctl", os.O_RDWR | os.O_NONBLOCK)
n = os.read(ctl, 32).decode().strip()
try:
    os.write(ctl, b"connect web.example.test 8080")
    print("no EINPROGRESS")
except OSError as e:
    print(errno.errorcode[e.errno])
data = os.open("%s/tcp/%s/data" % (mnt, n), os.O_RDWR)
select.select([], [data], [], 10)
for _ in range(100):
    st = open("%s/tcp/%s/status" % (mnt, n)).read().split()[0]
    if st not in ("Closed", "Syn_sent", "Resolving"):
        break
    time.sleep(0.05)
print(st, open("%s/tcp/%s/remote" % (mnt, n)).read().strip())
' "$MNT" 2>&1) || true
check_eq "non-blocking connect web.example.test 8080: EINPROGRESS, then Established" "$out" \
	"$(printf 'EINPROGRESS\nEstablished %s 8080' "$K")"
sock_new udp || die "no udp socket"
check_ctl_ok "udp: connect alias.example.test 53" "$SOCK_FD" connect alias.example.test 53
check_eq "udp/$SOCK_N/remote" "$(sock_file udp "$SOCK_N" remote)" "$K 53"
sock_close_fd "$SOCK_FD"

# ---- imp-run: programs that resolve through glibc ----------------------------------------
rc=0
timeout 10 getent hosts www.example.test >/dev/null 2>&1 || rc=$?
check "without imp-run the kernel's resolver cannot find www.example.test (getent: $rc)" test "$rc" != 0
rc=0
timeout -k 5 60 "$IMP_RUN" curl -sS -o "$W/got" "http://www.example.test:8080/file" 2>"$W/curl.err" || rc=$?
check_eq "imp-run curl http://www.example.test:8080/file: exit 0" "$rc" 0
((IMP_OK)) || sed 's/^/      | /' "$W/curl.err"
check_eq "imp-run curl by name: sha256 matches" "$(sha256_of "$W/got" 2>/dev/null || true)" "$want_sha"
rc=0
timeout -k 5 60 "$IMP_RUN" wget -q -O "$W/got2" "http://alias.example.test:8080/file" 2>"$W/wget.err" || rc=$?
check_eq "imp-run wget http://alias.example.test:8080/file: exit 0" "$rc" 0
check_eq "imp-run wget by name: sha256 matches" "$(sha256_of "$W/got2" 2>/dev/null || true)" "$want_sha"
rc=0
timeout -k 5 60 "$IMP_RUN" curl -sS -o /dev/null "http://nosuch.example.test:8080/" 2>"$W/curl.err" || rc=$?
check_eq "imp-run curl, unknown name: curl's exit 6 (could not resolve host)" "$rc" 6
out=$(timeout 20 "$IMP_RUN" python3 -c '
import socket
print(sorted({a[4][0] for a in socket.getaddrinfo("www.example.test", 8080, socket.AF_INET, socket.SOCK_STREAM)}))
print(socket.gethostbyname("alias.example.test"))
print(socket.gethostbyname_ex("www.example.test")[2])
print(socket.getaddrinfo("localhost", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0])
try:
    socket.getaddrinfo("nosuch.example.test", 80)
    print("no error")
except socket.gaierror as e:
    print("gaierror", e.errno == socket.EAI_NONAME)
' 2>&1) || true
check_eq "imp-run python3: getaddrinfo, gethostbyname, gethostbyname_ex, localhost, EAI_NONAME" "$out" \
	"$(printf "['%s']\n%s\n['%s']\n127.0.0.1\ngaierror True" "$K" "$K" "$K")"
out=$(timeout 20 "$IMP_RUN" getent ahostsv4 big.example.test 2>&1 | awk '$2 == "STREAM" { print $1 }' | sort -u | wc -l) || true
check_eq "imp-run getent ahostsv4 big.example.test: 16 addresses" "$out" 16

# ---- a hostile server, then a dead one ----------------------------------------------------
tcp_kill_group "$DNSMASQ"
pu0=$(dstat PortUnreach)
dns_ask gone.example.test
check_eq "dnsmasq stopped: ECONNREFUSED (port unreachable), at once" "$DNS_ERR" "Connection refused"
check_ge "PortUnreach counted" $(($(dstat PortUnreach) - pu0)) 1

tcp_bg "$W/bad.log" "$IMP_PY" "$BADSRV" "$K"
wait_until 5 file_has "$W/bad.log" '^ready$' || die "46_dnsbad.py did not start"
declare -A b0
for c in BadId BadQuestion BadName BadShort BadRdata BadNotReply; do b0[$c]=$(dstat $c); done
timeout 4 cat "$MNT/log" >"$W/log.out" 2>/dev/null &
logpid=$!
sleep 0.5
dns_ask evil.example.test
check_eq "a hostile server: its one good reply is taken (through a compressed CNAME)" "$DNS_OUT" "10.9.9.9"
wait "$logpid" || true
check_match "/imp/log: each reply dropped, and why" \
	'dns evil\.example\.test: reply from 10\.0\.0\.1 dropped: bad name \(compression loop or bad label\)' "$(cat "$W/log.out")"
check_match "/imp/log: the lookup's outcome" \
	'dns evil\.example\.test: 1 address\(es\), first 10\.9\.9\.9' "$(cat "$W/log.out")"
for c in BadId:1 BadQuestion:1 BadName:2 BadShort:2 BadRdata:1 BadNotReply:1; do
	check_eq "the bad replies dropped and counted: ${c%:*} +${c#*:}" \
		$(($(dstat ${c%:*}) - ${b0[${c%:*}]})) "${c#*:}"
done
check "impfs is still serving" imp_alive
# Nothing left behind: every resolver socket closed, no request parked.
leftovers() {
	check_eq "$1: no resolver socket left (/imp/stats Sockets = SocketDirs)" \
		"$(stat_of Sockets "$MNT/stats")" "$(stat_of SocketDirs "$MNT/stats")"
	check_eq "$1: no request left parked" "$(stat_of Parked "$MNT/stats")" 0
}
leftovers "after dnsmasq and the hostile server"
tcp_kill_group "$BG_PID"

# A server that never answers: a socket on port 53 that nobody reads.
tcp_bg "$W/silent.log" "$IMP_PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
print("ready", flush=True)
time.sleep(600)' "$K"
SILENT=$BG_PID
wait_until 5 file_has "$W/silent.log" '^ready$' || die "the silent server did not start"
to0=$(dstat TimedOut)
t0=$(now_ms)
dns_ask nobody.example.test
t1=$(now_ms)
check_eq "a dead server: ETIMEDOUT" "$DNS_ERR" "Connection timed out"
check_match "... the read says so" "^error: nobody\.example\.test: no answer from $K after 3 tries\$" "$DNS_OUT"
check "... within 15 s (it took $((t1 - t0)) ms: 1 + 2 + 4 s of tries)" test $((t1 - t0)) -lt 15000
check_eq "TimedOut +1" $(($(dstat TimedOut) - to0)) 1
# Three lookups of one name at once: one query's three tries, all three told.
j0=$(dstat Joined) s0=$(dstat Sent)
pids=()
for i in 1 2 3; do
	timeout 20 bash -c 'exec 3<>"$1"; echo "$2" >&3 || cat <&3' x "$MNT/dns" same.example.test \
		>"$W/same.$i" 2>&1 &
	pids+=($!)
done
sleep 0.5
check_eq "while one query is in flight, /imp/stats shows its socket (Sockets = SocketDirs + 1)" \
	"$(stat_of Sockets "$MNT/stats")" "$(($(stat_of SocketDirs "$MNT/stats") + 1))"
t0=$(now_ms)
dns_ask 10.0.0.9
check_eq "while they wait, another process's lookup is not held up (parallel writes)" "$DNS_OUT" 10.0.0.9
check "... it took $(($(now_ms) - t0)) ms (< 2000)" test $(($(now_ms) - t0)) -lt 2000
wait "${pids[@]}" || true
check_eq "3 lookups of one name at once, a silent server: 3 timeouts" \
	"$(cat "$W"/same.* | grep -c '^error: same.example.test: no answer')" 3
check_eq "... from one query: Joined +2" $(($(dstat Joined) - j0)) 2
check_eq "... Sent +3 (its three tries)" $(($(dstat Sent) - s0)) 3
sock_new tcp || die "no tcp socket"
# While a connect waits for its name, the stack goes on: status says so,
# and other files answer at once.
tcp_bg "$W/slowconnect.out" bash -c 'echo connect slow.example.test 80 > "$1/tcp/new/ctl"' x "$MNT"
wait_until 5 eval 'timeout 2 cat "$MNT"/tcp/*/status 2>/dev/null | grep -q "^Resolving"' || true
check_eq "a connect waiting for its name: status says Resolving" \
	"$(timeout 2 cat "$MNT"/tcp/*/status 2>/dev/null | grep Resolving || true)" "Resolving cmd connect slow.example.test 80"
t0=$(now_ms)
dns_ask 10.0.0.8
check_eq "... meanwhile /imp/dns answers" "$DNS_OUT" 10.0.0.8
check_match "... and tcp/stats" '^ActiveOpens: ' "$(rd "$MNT/tcp/stats")"
check "... within 2 s" test $(($(now_ms) - t0)) -lt 2000
# (ctl_try waits 5 s; the lookup's tries take 7.)
out=$(timeout 20 bash -c 'printf "connect nobody.example.test 80\n" >&'"$SOCK_FD" 2>&1) || true
check_match "connect nobody.example.test 80 with a dead server: ETIMEDOUT" 'write error: Connection timed out$' "$out"
check_eq "... and err says why" "$(sock_file tcp "$SOCK_N" err)" \
	"connect nobody.example.test 80: no answer from $K after 3 tries"
sock_close_fd "$SOCK_FD"
rc=0
# A signal during the wait: the write is interrupted (EINTR), the lookup
# dropped, and the read says so.
s0=$(dstat Sent)
out=$(timeout 10 "$IMP_PY" -c '
import os, signal, sys
class Alarm(Exception): pass
def ring(*a): raise Alarm()
signal.signal(signal.SIGALRM, ring)
fd = os.open(sys.argv[1] + "/dns", os.O_RDWR)
signal.setitimer(signal.ITIMER_REAL, 0.5)
try:
    os.write(fd, b"slow2.example.test\n")
    print("not interrupted")
except Alarm:
    print("interrupted")
print(os.read(fd, 200).decode().strip())
' "$MNT" 2>&1) || true
check_eq "a signal ends a lookup's wait; the read says so" "$out" \
	"$(printf 'interrupted\nerror: slow2.example.test: interrupted')"
sleep 1.5
check_eq "... and the lookup is dropped: no retry after it (Sent +1)" $(($(dstat Sent) - s0)) 1
check "impfs is still serving" imp_alive
dns_ask 10.0.0.5
check_eq "and /imp/dns still answers" "$DNS_OUT" 10.0.0.5
wait_until 10 eval '[[ $(stat_of Sockets "$MNT/stats") == $(stat_of SocketDirs "$MNT/stats") ]]' || true
leftovers "after the timeouts, the joined lookups and the interrupted one"
imp_stop

# A server nobody has: 10.0.0.99 is on the link, and ARP gets no answer.
imp_start --dns 10.0.0.99
dns_ask nobody.example.test
check_eq "a server that is not there: EHOSTUNREACH" "$DNS_ERR" "No route to host"
check_match "... the read says so" '^error: nobody\.example\.test: name server 10\.0\.0\.99 unreachable$' "$DNS_OUT"
check_ge "HostUnreach counted" "$(dstat HostUnreach)" 1
imp_stop

# Two servers: the first is not there, the second answers.
tcp_kill_group "$SILENT"
imp_start --dns 10.0.0.99 --dns "$K"
start_dnsmasq	# on the new TAP device's address
check_match "dnsstats lists both, in order" "^Servers: 10\.0\.0\.99 $K\$" "$(rd "$MNT/dnsstats")"
dns_ask www.example.test
check_eq "--dns 10.0.0.99 --dns $K: the second server's answer" "$DNS_OUT" "$K"
check_ge "... after a retry" "$(dstat Retries)" 1
imp_stop
rc=0
out=$(timeout 5 "$IMPFS" --dns bogus "$W" 2>&1) || rc=$?
check_eq "impfs --dns bogus: one line on stderr" "$out" 'impfs: --dns: "bogus" is not a name server'"'"'s IPv4 address'
check_eq "... exit status 2" "$rc" 2

imp_start
dns_ask www.example.test
check_eq "no --dns: ENETUNREACH" "$DNS_ERR" "Network is unreachable"
check_match "... and why" 'no name server' "$DNS_OUT"
imp_stop
