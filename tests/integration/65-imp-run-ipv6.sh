#!/usr/bin/env bash
# AF_INET6 under imp-run (issue 10, the shim's part), on the IPv4 stack:
# an AF_INET6 socket connecting to ::ffff:10.0.0.1 talks IPv4, names come
# back as mapped sockaddr_in6; IPV6_V6ONLY's default (0), its refusals
# (mapped connect ENETUNREACH, set after bind EINVAL); an AF_INET6 dual
# listener accepting the kernel's IPv4 client (peer ::ffff:10.0.0.1);
# SO_DOMAIN.  Traffic over IPv6 itself needs the stack's TCP over IPv6.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
K=$IMP_PEER
[[ -x "$IMP_RUN" ]] || die "$IMP_RUN not built"
W=
cleanup_w() { [[ -z $W ]] || rm -rf "$W"/* 2>/dev/null || true; }
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; cleanup_w; (exit $imp__rc); imp__cleanup' EXIT
imp_start
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
check "the daemon is alive" imp_alive
tcp_kill_groups
imp_stop
