#!/usr/bin/env bash
# AF_INET6 under imp-run (issue 10): an AF_INET6 socket connecting to
# ::ffff:10.0.0.1 talks IPv4, names come back as mapped sockaddr_in6;
# IPV6_V6ONLY's default (0), its refusals (mapped connect ENETUNREACH, set
# after bind EINVAL); an AF_INET6 dual listener accepting the kernel's
# IPv4 client (peer ::ffff:10.0.0.1); SO_DOMAIN.  Then over IPv6 itself:
# curl -6 from a kernel web server, Python's http.server --bind :: fetched
# by the kernel's curl -6, and real AF_INET6 names from getpeername,
# getsockname, accept and recvfrom, with a link-local peer's scope id the
# kernel's index of imp's interface; connects to imp's own global and
# link-local addresses from a program on imp.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
K=$IMP_PEER
[[ -x "$IMP_RUN" ]] || die "$IMP_RUN not built"
W=
cleanup_w() { [[ -z $W ]] || rm -rf "$W"/* 2>/dev/null || true; }
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; cleanup_w; (exit $imp__rc); imp__cleanup' EXIT
G6=2001:db8::2
K6=2001:db8::1
sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
imp_start --addr "$G6/64"
in_peer ip -6 addr add "$K6/64" dev "$IMP_TAP" nodad
export IMP_ROOT=$MNT
mk_tmpdir W

tcp_bg "$W/srv.out" python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.1", 7650)); s.listen(5)
while True:
    c, _ = s.accept(); c.sendall(c.recv(100)); c.close()'
wait_listening 7650 || die "kernel echo server did not listen"

rc=0
timeout -k 5 30 "$IMP_RUN" python3 - "$K" >"$W/c.out" 2>&1 <<'PY' || rc=$?
import errno, socket, sys, threading
k = sys.argv[1]
def ok(c, what): print(("ok: " if c else "FAIL: ") + what)
s = socket.socket(socket.AF_INET6)
ok(s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0, "IPV6_V6ONLY is 0 at first")
ok(s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET6, "SO_DOMAIN AF_INET6")
s.connect(("::ffff:" + k, 7650))
p = s.getpeername(); n = s.getsockname()
ok(p[0] == "::ffff:" + k and p[1] == 7650, f"getpeername {p}")
ok(n[0] == "::ffff:10.0.0.2", f"getsockname {n}")
s.sendall(b"hello6"); ok(s.recv(100) == b"hello6", "echo over a mapped connection")
try:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); ok(False, "V6ONLY after connect")
except OSError as e: ok(e.errno == errno.EINVAL, f"IPV6_V6ONLY after connect: {e}")
s.close()
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
ok(s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1, "IPV6_V6ONLY set reads 1")
try:
    s.connect(("::ffff:" + k, 7650)); ok(False, "v6only mapped connect")
except OSError as e: ok(e.errno == errno.ENETUNREACH, f"v6only connect to mapped: {e}")
s.close()
s = socket.socket(); ok(s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET, "AF_INET still AF_INET")
try:
    s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY); ok(False, "V6ONLY on AF_INET")
except OSError as e: ok(e.errno == errno.ENOPROTOOPT, f"IPV6_V6ONLY on AF_INET: {e}")
s.close()
l = socket.socket(socket.AF_INET6); l.bind(("::", 7651)); l.listen(4)
ok(l.getsockname()[:2] == ("::", 7651), f"dual listener getsockname {l.getsockname()}")
import os, subprocess
env = {x: v for x, v in os.environ.items() if x != "LD_PRELOAD"}
kc = subprocess.Popen(["python3", "-c", "import socket; s = socket.create_connection(('10.0.0.2', 7651), 5); print(s.recv(10).decode())"],
                      env=env, stdout=subprocess.PIPE, text=True)
c, a = l.accept()
ok(a[0] == "::ffff:" + k, f"accept of an IPv4 client gives {a}")
ok(c.getsockname()[0] == "::ffff:10.0.0.2", f"accepted getsockname {c.getsockname()}")
c.sendall(b"dual"); c.close()
ok(kc.communicate(timeout=10)[0].strip() == "dual", "the kernel's IPv4 client got the bytes")
PY
while IFS= read -r line; do
	case $line in ok:*) pass "${line#ok: }" ;; FAIL:*) fail "${line#FAIL: }" ;; esac
done <"$W/c.out"
[[ $rc == 0 ]] || { fail "client exit $rc"; tail -n 15 "$W/c.out" | sed 's/^/      | /'; }
# ---- over IPv6 --------------------------------------------------------------------
preferred6() { rd "$MNT/ipifc/0/status" | grep -q "^addr $G6/64 preferred"; }
check "$G6 preferred (<= 5 s)" wait_until 5 preferred6
mkdir -p "$W/www"
head -c 300000 /dev/urandom >"$W/www/blob"
want=$(sha256_of "$W/www/blob")
tcp_bg "$W/khttp.out" in_peer timeout 60 python3 -m http.server --bind "$K6" -d "$W/www" 7660
wait_listening 7660 || fail "the kernel's http.server did not listen on [$K6]:7660"
rm -f "$W/got"
rc=0
timeout -k 5 20 "$IMP_RUN" curl -6 -g -sS --max-time 10 -o "$W/got" "http://[$K6]:7660/blob" >"$W/curl.out" 2>&1 || rc=$?
check_eq "imp-run curl -6 -g http://[$K6]:7660/blob: exit 0, the body exact" "$rc:$(sha256_of "$W/got" 2>/dev/null)" "0:$want"
[[ $rc == 0 ]] || sed 's/^/      | /' "$W/curl.out"

tcp_bg "$W/ihttp.out" env --default-signal=INT "$IMP_RUN" python3 -m http.server --bind :: -d "$W/www" 7661
listening6() { rd "$MNT/tcp/"*/status 2>/dev/null | grep -q '^Listen' && grep -qs ':: 7661' "$MNT"/tcp/*/local; }
check "imp-run python3 -m http.server --bind :: listens (:: 7661, <= 10 s)" wait_until 10 listening6
rm -f "$W/got"
rc=0
in_peer timeout 20 curl -6 -g -sS --max-time 10 -o "$W/got" "http://[$G6]:7661/blob" >"$W/curl.out" 2>&1 || rc=$?
check_eq "kernel curl -6 http://[$G6]:7661/blob from it: exit 0, the body exact" "$rc:$(sha256_of "$W/got" 2>/dev/null)" "0:$want"
[[ $rc == 0 ]] || sed 's/^/      | /' "$W/curl.out"
rc=0
in_peer timeout 20 curl -4 -sS --max-time 10 -o "$W/got" "http://$IMP_ADDR:7661/blob" >"$W/curl.out" 2>&1 || rc=$?
check_eq "... and over IPv4 (a dual listener): the body exact" "$rc:$(sha256_of "$W/got" 2>/dev/null)" "0:$want"

rc=0
timeout -k 5 30 "$IMP_RUN" python3 - "$K6" "$G6" >"$W/c6.out" 2>&1 <<'PY' || rc=$?
import os, socket, subprocess, sys
k, g = sys.argv[1], sys.argv[2]
def ok(c, what): print(("ok: " if c else "FAIL: ") + what)
s = socket.socket(socket.AF_INET6)
s.connect((k, 7660))
p = s.getpeername(); n = s.getsockname()
ok(p[:2] == (k, 7660), f"getpeername of an IPv6 connection {p}")
ok(n[0] == g and n[1] > 0, f"getsockname {n}")
s.close()
l = socket.socket(socket.AF_INET6); l.bind(("::", 7662)); l.listen(4)
env = {x: v for x, v in os.environ.items() if x != "LD_PRELOAD"}
kc = subprocess.Popen(["python3", "-c", "import socket, sys; s = socket.create_connection((sys.argv[1], 7662), 5); print(s.recv(10).decode())", g],
                      env=env, stdout=subprocess.PIPE, text=True)
c, a = l.accept()
ok(a[0] == k, f"accept of an IPv6 client gives {a}")
ok(c.getsockname()[:2] == (g, 7662), f"accepted getsockname {c.getsockname()}")
c.sendall(b"six"); c.close()
ok(kc.communicate(timeout=10)[0].strip() == "six", "the kernel's IPv6 client got the bytes")
s = socket.socket(socket.AF_INET6); s.connect((g, 7662))
c, a = l.accept()
ok(a[0] == g, f"a connect to our own address {g}, accepted from it: {a}")
s.sendall(b"self"); ok(c.recv(10) == b"self", "bytes to ourselves over IPv6")
c.sendall(b"back"); ok(s.recv(10) == b"back", "and back")
s.close(); c.close()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::", 7663))
ku = subprocess.Popen(["python3", "-c", "import socket, sys; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(5); s.sendto(b'q6', (sys.argv[1], 7663)); print(s.recvfrom(10)[0].decode())", g],
                      env=env, stdout=subprocess.PIPE, text=True)
u.settimeout(5)
d, a = u.recvfrom(100)
ok(d == b"q6" and a[0] == k, f"recvfrom an IPv6 peer: {d} {a}")
u.sendto(b"a6", a)
ok(ku.communicate(timeout=10)[0].strip() == "a6", "sendto an IPv6 peer: the kernel got it")
PY
while IFS= read -r line; do
	case $line in ok:*) pass "${line#ok: }" ;; FAIL:*) fail "${line#FAIL: }" ;; esac
done <"$W/c6.out"
[[ $rc == 0 ]] || { fail "IPv6 client exit $rc"; tail -n 15 "$W/c6.out" | sed 's/^/      | /'; }

# ---- link-local: the scope id is the kernel's index of imp's interface ----------------
kll=$(in_peer ip -6 -o addr show dev "$IMP_TAP" scope link | awk '{ sub("/.*", "", $4); print $4; exit }')
sll=$(rd "$MNT/ipifc/0/status" | awk '$1 == "addr" && $2 ~ /^fe80:/ && $3 == "preferred" { sub("/.*", "", $2); print $2; exit }')
[[ -n $kll && -n $sll ]] || fail "link-local addresses: kernel '$kll', imp '$sll'"
rc=0
timeout -k 5 30 "$IMP_RUN" python3 - "$kll" "$sll" "$IMP_TAP" >"$W/ll.out" 2>&1 <<'PY' || rc=$?
import os, socket, subprocess, sys
k, g, tap = sys.argv[1], sys.argv[2], sys.argv[3]
idx = socket.if_nametoindex(tap)
def ok(c, what): print(("ok: " if c else "FAIL: ") + what)
def same(a, addr): return a[0].split("%")[0] == addr and a[3] == idx
env = {x: v for x, v in os.environ.items() if x != "LD_PRELOAD"}
ks = subprocess.Popen(["python3", "-c", """import socket, sys
l = socket.socket(socket.AF_INET6); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 7664, 0, socket.if_nametoindex(sys.argv[2]))); l.listen(1); print("ready", flush=True)
c, _ = l.accept(); c.sendall(b"ll"); c.close()""", k, tap], env=env, stdout=subprocess.PIPE, text=True)
ok(ks.stdout.readline().strip() == "ready", "the kernel listens on its link-local address")
s = socket.socket(socket.AF_INET6)
s.connect((k, 7664, 0, idx))
p = s.getpeername(); n = s.getsockname()
ok(same(p, k), f"getpeername of a link-local peer: scope id {idx} ({tap}): {p}")
ok(same(n, g), f"getsockname: our link-local address, scope id {idx}: {n}")
ok(s.recv(10) == b"ll", "bytes from the link-local peer")
s.close()
ks.wait(timeout=10)
l = socket.socket(socket.AF_INET6); l.bind(("::", 7665)); l.listen(4)
kc = subprocess.Popen(["python3", "-c", "import socket, sys; s = socket.create_connection((sys.argv[1], 7665), 5); print(s.recv(10).decode())", g + "%" + tap],
                      env=env, stdout=subprocess.PIPE, text=True)
c, a = l.accept()
ok(same(a, k), f"accept of a link-local client: scope id {idx}: {a}")
ok(same(c.getsockname(), g), f"accepted getsockname {c.getsockname()}")
c.sendall(b"ll6"); c.close()
ok(kc.communicate(timeout=10)[0].strip() == "ll6", "the kernel's link-local client got the bytes")
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::", 7666))
ku = subprocess.Popen(["python3", "-c", "import socket, sys; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(5); s.sendto(b'l6', (sys.argv[1], 7666)); print(s.recvfrom(10)[0].decode())", g + "%" + tap],
                      env=env, stdout=subprocess.PIPE, text=True)
u.settimeout(5)
d, a = u.recvfrom(100)
ok(d == b"l6" and same(a, k), f"recvfrom a link-local peer: scope id {idx}: {d} {a}")
u.sendto(b"b6", a)
ok(ku.communicate(timeout=10)[0].strip() == "b6", "sendto it with that scope id: the kernel got it")
# To ourselves, both ends on imp: its own link-local address.
l = socket.socket(socket.AF_INET6); l.bind(("::", 7667)); l.listen(4)
s = socket.socket(socket.AF_INET6); s.connect((g, 7667, 0, idx))
c, a = l.accept()
ok(same(a, g), f"a connect to our own link-local address, accepted from it: {a}")
s.sendall(b"me"); ok(c.recv(10) == b"me", "bytes to ourselves over link-local")
PY
while IFS= read -r line; do
	case $line in ok:*) pass "${line#ok: }" ;; FAIL:*) fail "${line#FAIL: }" ;; esac
done <"$W/ll.out"
[[ $rc == 0 ]] || { fail "link-local client exit $rc"; tail -n 15 "$W/ll.out" | sed 's/^/      | /'; }
check "the daemon is alive" imp_alive
tcp_kill_groups
imp_stop
