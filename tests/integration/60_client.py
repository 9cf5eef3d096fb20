"""Programs 60-imp-run.sh runs under imp-run: ordinary socket code, checked.

    python3 60_client.py names PORT        getsockname/getpeername vs the kernel's view
    python3 60_client.py nbconnect PORT CLOSED   non-blocking connect + select, SO_ERROR
    python3 60_client.py udp PORT          sendto/recvfrom with a kernel echo server
    python3 60_client.py api ECHOPORT LPORT   the rest of the socket API (see below)
    python3 60_client.py fork PORT         a forked child writes on the parent's socket
    python3 60_client.py threads ECHOPORT  threads making sockets at once

Every check prints "ok: WHAT" or "FAIL: WHAT: why"; the exit status is 1 if
any failed.  Addresses: the stack is 10.0.0.2, the kernel 10.0.0.1.
"""
import errno
import fcntl
import os
import select
import selectors
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

PEER = "10.0.0.1"
US = "10.0.0.2"
ROOT = os.environ.get("IMP_ROOT", "/imp")
failed = 0


def check(what, cond, why=""):
    global failed
    if cond:
        print(f"ok: {what}", flush=True)
    else:
        failed += 1
        print(f"FAIL: {what}: {why}", flush=True)


def short(v):
    r = repr(v)
    return r if len(r) <= 120 else r[:100] + f"... ({len(v) if hasattr(v, '__len__') else '?'} long)"


def eq(what, got, want):
    check(what, got == want, f"got {short(got)}, want {short(want)}")


def err_of(fn):
    """The errno name fn() fails with, or 'ok'."""
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def sockdir(s):
    """The socket's directory in the imp tree (where its data file is)."""
    return os.path.dirname(os.readlink(f"/proc/self/fd/{s.fileno()}"))


def imp_file(s, name):
    with open(os.path.join(sockdir(s), name)) as f:
        return f.read()


def fds():
    return sorted(int(x) for x in os.listdir("/proc/self/fd"))


def kernel_env():
    """Environment for a child that must use the kernel's stack."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            break
        buf += d
    return buf


def pattern(n, seed=0):
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


# ---------------------------------------------------------------------------

def t_names(port):
    """The kernel server answers with the address it sees us at."""
    s = socket.create_connection((PEER, port), timeout=10)
    check("socket is a file of the imp tree", sockdir(s).startswith(ROOT + "/tcp/"),
          os.readlink(f"/proc/self/fd/{s.fileno()}"))
    local, peer = s.getsockname(), s.getpeername()
    eq("getpeername", peer, (PEER, port))
    eq("getsockname address", local[0], US)
    check("getsockname port is an ephemeral one", 1024 <= local[1] <= 65535, str(local))
    seen = s.makefile("rb").readline().decode().split()
    eq("the kernel sees us at getsockname's address and port", seen, [US, str(local[1])])
    eq("local file agrees", imp_file(s, "local").split(), [US, str(local[1])])
    eq("remote file agrees", imp_file(s, "remote").split(), [PEER, str(port)])
    eq("SO_TYPE", s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE), socket.SOCK_STREAM)
    eq("family", s.family, socket.AF_INET)
    s.close()
    u = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    eq("getsockname of a new socket", u.getsockname(), ("0.0.0.0", 0))
    eq("getpeername of an unconnected socket", err_of(u.getpeername), "ENOTCONN")
    u.bind((US, 0))
    name = u.getsockname()
    check("bind port 0 picks a port", name[0] == US and name[1] > 0, str(name))
    u.close()


def t_nbconnect(port, closed):
    s = socket.socket()
    s.setblocking(False)
    r = s.connect_ex((PEER, port))
    eq("non-blocking connect: EINPROGRESS", errno.errorcode.get(r, r), "EINPROGRESS")
    _, w, _ = select.select([], [s], [], 10)
    check("select: writable once connected", w == [s], f"select gave {w}")
    eq("SO_ERROR after connect", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0)
    eq("getpeername", s.getpeername(), (PEER, port))
    eq("status: Established", imp_file(s, "status").split()[0], "Established")
    eq("connect again: EISCONN", err_of(lambda: s.connect((PEER, port))), "EISCONN")
    r, _, _ = select.select([s], [], [], 10)
    check("select: readable when the server talks", r == [s], f"select gave {r}")
    line = s.recv(100)
    check("data read after a non-blocking connect", line.startswith(US.encode()), repr(line))
    s.close()

    s = socket.socket()
    s.setblocking(False)
    r = s.connect_ex((PEER, closed))
    eq("non-blocking connect to a closed port: EINPROGRESS", errno.errorcode.get(r, r), "EINPROGRESS")
    _, w, x = select.select([], [s], [s], 10)
    check("select: writable once refused", w == [s], f"select gave {w} {x}")
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    eq("SO_ERROR: ECONNREFUSED", errno.errorcode.get(e, e), "ECONNREFUSED")
    eq("SO_ERROR is cleared once read", s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), 0)
    s.close()

    # Python's own timeout connect is the same dance (poll, SO_ERROR).
    s = socket.socket()
    s.settimeout(5)
    eq("connect with a timeout to a closed port: ECONNREFUSED",
       err_of(lambda: s.connect((PEER, closed))), "ECONNREFUSED")
    s.close()
    s = socket.create_connection((PEER, port), timeout=5)
    eq("connect with a timeout: connected", s.getpeername(), (PEER, port))
    s.close()
    eq("blocking connect to a closed port: ECONNREFUSED",
       err_of(lambda: socket.create_connection((PEER, closed))), "ECONNREFUSED")


def t_udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    for n in (1, 300, 1472, 1473, 20000, 65507):
        m = pattern(n, n)
        s.sendto(m, (PEER, port))
        d, a = s.recvfrom(65535)
        eq(f"udp echo of {n} bytes: same bytes", d == m, True)
        eq(f"udp echo of {n} bytes: from the server", a, (PEER, port))
    name = s.getsockname()
    check("getsockname after sendto: a port", name[1] > 0, str(name))
    eq("getpeername of an unconnected udp socket", err_of(s.getpeername), "ENOTCONN")
    eq("sendto past 65507 bytes: EMSGSIZE",
       err_of(lambda: s.sendto(b"x" * 65508, (PEER, port))), "EMSGSIZE")
    # recvmsg/sendmsg, and a datagram cut to the buffer
    s.sendmsg([b"abc", b"defgh"], [], 0, (PEER, port))
    d, anc, flags, a = s.recvmsg(4)
    eq("sendmsg (2 pieces) then recvmsg into 4 bytes: cut", d, b"abcd")
    check("recvmsg: MSG_TRUNC set", flags & socket.MSG_TRUNC, f"flags {flags:#x}")
    eq("recvmsg: from the server", a, (PEER, port))
    # MSG_PEEK leaves the datagram for the next read
    s.sendto(b"peekaboo", (PEER, port))
    p, a1 = s.recvfrom(100, socket.MSG_PEEK)
    d, a2 = s.recvfrom(100)
    eq("udp MSG_PEEK then recv: the same datagram", (p, d), (b"peekaboo", b"peekaboo"))
    eq("udp MSG_PEEK: the sender", a1, (PEER, port))
    s.setblocking(False)
    eq("udp recv with nothing queued, non-blocking: EAGAIN", err_of(lambda: s.recvfrom(10)), "EAGAIN")
    s.close()

    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(10)
    c.connect((PEER, port))
    eq("connected udp: getpeername", c.getpeername(), (PEER, port))
    c.send(b"connected")
    eq("connected udp: send/recv", c.recv(100), b"connected")
    c.setblocking(True)
    os.write(c.fileno(), b"plain write")
    eq("connected udp: plain write/read", os.read(c.fileno(), 100), b"plain write")
    c.close()

    # a udp server on imp: bind, recvfrom, sendto back to a kernel client
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("0.0.0.0", 0))
    sport = srv.getsockname()[1]
    srv.settimeout(10)
    k = subprocess.Popen(["socat", "-T", "5", "-", f"UDP4:{US}:{sport}"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=kernel_env())
    k.stdin.write(b"to the imp server\n")
    k.stdin.flush()
    d, a = srv.recvfrom(100)
    eq("udp server on imp: datagram from a kernel client", d, b"to the imp server\n")
    eq("udp server on imp: sender is the kernel", a[0], PEER)
    srv.sendto(b"reply\n", a)
    out = k.stdout.readline()
    eq("udp server on imp: reply reaches the kernel client", out, b"reply\n")
    k.kill()
    k.wait()
    srv.close()


def t_api(echo, lport):
    base = fds()
    s6 = socket.socket(socket.AF_INET6)  # imp's since issue 10 (65-imp-run-ipv6 has the rest)
    eq("AF_INET6: an imp socket (SO_DOMAIN)", s6.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN), socket.AF_INET6)
    s6.close()
    a, b = socket.socketpair()
    a.send(b"unix")
    eq("AF_UNIX socketpair passes through", b.recv(10), b"unix")
    a.close()
    b.close()
    eq("SOCK_RAW: EPROTONOSUPPORT", err_of(lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, 6)),
       "EPROTONOSUPPORT")

    s = socket.create_connection((PEER, echo), timeout=10)
    s.settimeout(None)      # blocking: recv flags act alone, as in C
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 33)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    eq("TCP_NODELAY reads back", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), 1)
    eq("SO_KEEPALIVE reads back", s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), 1)
    eq("IP_TTL reads back", s.getsockopt(socket.IPPROTO_IP, socket.IP_TTL), 33)
    eq("unknown option: ENOPROTOOPT", err_of(lambda: s.setsockopt(socket.SOL_SOCKET, 9999, 1)),
       "ENOPROTOOPT")
    # MSG_PEEK, then the same bytes by recv and by read
    s.sendall(b"hello world")
    time.sleep(0.2)
    n = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
    eq("FIONREAD: bytes queued", n, 11)
    eq("MSG_PEEK", s.recv(5, socket.MSG_PEEK), b"hello")
    eq("MSG_PEEK again: the same", s.recv(5, socket.MSG_PEEK), b"hello")
    eq("recv after peek", s.recv(6), b"hello ")
    eq("read() after peek", os.read(s.fileno(), 100), b"world")
    eq("MSG_DONTWAIT with nothing queued: EAGAIN",
       err_of(lambda: s.recv(10, socket.MSG_DONTWAIT)), "EAGAIN")
    check("MSG_DONTWAIT left the socket blocking",
          not (fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK), "O_NONBLOCK set")
    s.sendall(pattern(100000))
    eq("MSG_WAITALL: 100000 bytes in one recv", s.recv(100000, socket.MSG_WAITALL), pattern(100000))
    s.sendmsg([b"one ", b"two ", b"three"])
    eq("sendmsg of 3 pieces, recv_into", recv_exact(s, 13), b"one two three")
    # epoll on the data file
    ep = select.epoll()
    ep.register(s.fileno(), select.EPOLLIN)
    eq("epoll: nothing to read yet", ep.poll(0.2), [])
    s.send(b"e")
    ev = ep.poll(5)
    check("epoll: readable when data comes", ev and ev[0][1] & select.EPOLLIN, str(ev))
    eq("epoll: the byte", s.recv(1), b"e")
    ep.close()
    # shutdown: the echo server sees end of file and closes
    s.shutdown(socket.SHUT_WR)
    eq("after shutdown wr: send fails with EPIPE", err_of(lambda: s.send(b"x", socket.MSG_NOSIGNAL)), "EPIPE")
    eq("after shutdown wr: the server closes, recv gives end of file", s.recv(10), b"")
    s.close()

    # a server on imp: non-blocking accept, then a kernel client
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", lport))
    ls.listen(8)
    eq("listening socket: getsockname", ls.getsockname(), ("0.0.0.0", lport))
    eq("status: Listen", imp_file(ls, "status").split()[0], "Listen")
    eq("SO_ACCEPTCONN", ls.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN), 1)
    ls.setblocking(False)
    eq("non-blocking accept with no caller: EAGAIN", err_of(ls.accept), "EAGAIN")
    k = subprocess.Popen(["nc", "-N", US, str(lport)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=kernel_env())
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    ev = sel.select(10)
    check("selector: the listening socket is readable when a caller waits", len(ev) == 1, str(ev))
    c, addr = ls.accept()
    eq("accept: peer is the kernel", addr[0], PEER)
    eq("accept: getpeername agrees", c.getpeername(), addr)
    eq("accept: getsockname", c.getsockname(), (US, lport))
    eq("accepted socket inherits no O_NONBLOCK (as Linux)", c.gettimeout(), None)
    k.stdin.write(b"from the kernel client\n")
    k.stdin.close()
    eq("accepted socket: data", c.makefile("rb").readline(), b"from the kernel client\n")
    c.sendall(b"from the imp server\n")
    c.close()
    eq("the kernel client gets our reply", k.stdout.read(), b"from the imp server\n")
    k.stdout.close()
    k.wait(timeout=10)
    sel.close()
    ls.close()

    # fds: nothing left behind, and our ctl descriptors are close-on-exec
    time.sleep(0.1)
    eq("no descriptor leaked", fds(), base)
    s = socket.create_connection((PEER, echo), timeout=10)
    os.set_inheritable(s.fileno(), True)
    out = subprocess.run([sys.executable, "-c", "import os; print(sorted(os.listdir('/proc/self/fd')))"],
                         pass_fds=[s.fileno()], capture_output=True, text=True).stdout.strip()
    want = sorted(["0", "1", "2", str(s.fileno()), "3" if s.fileno() != 3 else "4"])
    eq("an exec'd program gets the socket and nothing else of ours", sorted(eval(out)), want)
    s.close()


def t_fork(port):
    """Parent, forked child and exec'd program all write on one socket."""
    s = socket.create_connection((PEER, port), timeout=10)
    s.sendall(b"parent before fork\n")
    pid = os.fork()
    if pid == 0:
        try:
            s.sendall(b"child\n")
            s.close()       # the parent still has it: the connection stays
        finally:
            os._exit(0)
    _, st = os.waitpid(pid, 0)
    eq("forked child exited 0", st, 0)
    s.sendall(b"parent after the child closed its copy\n")
    fd = s.fileno()
    os.set_inheritable(fd, True)
    code = f"""
import os, socket, sys
s = socket.socket(fileno={fd})
print("ok: exec'd program: getpeername", s.getpeername(), flush=True) if s.getpeername() == ("{PEER}", {port}) else print("FAIL: exec'd program: getpeername", s.getpeername(), flush=True)
s.sendall(b"exec'd program, send\\n")
os.write({fd}, b"exec'd program, write\\n")
s.close()
"""
    sys.stdout.flush()
    os.execvp(sys.executable, [sys.executable, "-c", code])


def t_threads(echo):
    base = fds()
    errors = []

    def worker(k):
        try:
            for i in range(10):
                with socket.create_connection((PEER, echo), timeout=20) as s:
                    m = pattern(2000 + k * 100 + i, k)
                    s.sendall(m)
                    got = recv_exact(s, len(m))
                    if got != m:
                        errors.append(f"thread {k} round {i}: echo differs")
        except OSError as e:
            errors.append(f"thread {k}: {e}")

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    eq("6 threads x 10 connections, echoed byte for byte", errors, [])
    time.sleep(0.1)
    eq("no descriptor leaked", fds(), base)


def main():
    cmd, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    {"names": t_names, "nbconnect": t_nbconnect, "udp": t_udp, "api": t_api,
     "fork": t_fork, "threads": t_threads}[cmd](*args)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
