#!/usr/bin/python3
"""One file operation on imp's mount, with the exact errno (tests 40-44).

    40_fop.py [--timeout S] OP TARGET [ARGS...]

TARGET is a path, or fd:N for a descriptor inherited from the shell.  Every
operation prints one line: "error ENAME" when a call fails, "timeout" when
S seconds (default 5) pass first, otherwise:

    write TARGET DATA                  "ok N"          DATA: text, or @N bytes
    read TARGET [--size N] [--nonblock]
                                       "ok N md5 H data TEXT", or "eof"
    open TARGET [--nonblock]           "ok TEXT" (what a read of the opened
                                       file gives, e.g. "3" for listen)
    poll TARGET MS [--select|--epoll]  "events IN OUT ERR HUP" (those set) or
                                       "events none" after MS ms
    pollout TARGET MS                  as poll, waiting for POLLOUT
    seek TARGET OFFSET                 "ok OFFSET" (lseek SEEK_SET)
    hread TARGET                       headers mode: "raddr A rport P laddr L
                                       ifcaddr I lport Q len N data TEXT"
    hwrite TARGET RADDR RPORT DATA [LADDR LPORT]
                                       headers mode: "ok N"

Exit status 0 when the line starts with "ok" or "events", 1 otherwise.
"""

import argparse
import errno
import hashlib
import ipaddress
import os
import select
import signal
import struct
import sys


class Timeout(Exception):
    pass


def out(s):
    print(s, flush=True)
    return 0 if s.startswith(("ok", "events")) else 1


def payload(spec):
    if spec.startswith("@"):
        n = int(spec[1:])
        return bytes((i * 7 + 3) & 0xFF for i in range(n))
    return spec.encode()


def text(b):
    return "".join(chr(c) if 0x21 <= c < 0x7F and c != 0x5C else "\\x%02x" % c for c in b[:80])


def fopen(target, flags):
    if target.startswith("fd:"):
        fd = int(target[3:])
        if flags & os.O_NONBLOCK:
            fl = __import__("fcntl").fcntl(fd, 3)  # F_GETFL
            __import__("fcntl").fcntl(fd, 4, fl | os.O_NONBLOCK)  # F_SETFL
        return fd
    return os.open(target, flags)


def mapped(b):
    a = ipaddress.IPv6Address(b)
    return "::ffff:%s" % a.ipv4_mapped if a.ipv4_mapped else str(a)


def v4mapped(a):
    return b"\0" * 10 + b"\xff\xff" + ipaddress.IPv4Address(a).packed


def run(a):
    if a.op == "write":
        fd = fopen(a.target, os.O_WRONLY)
        return out("ok %d" % os.write(fd, payload(a.args[0])))
    if a.op == "read":
        fd = fopen(a.target, os.O_RDONLY | (os.O_NONBLOCK if a.nonblock else 0))
        b = os.read(fd, a.size)
        if not b:
            return out("eof")
        return out("ok %d md5 %s data %s" % (len(b), hashlib.md5(b).hexdigest(), text(b)))
    if a.op == "open":
        fd = fopen(a.target, os.O_RDWR | (os.O_NONBLOCK if a.nonblock else 0))
        return out("ok %s" % os.read(fd, 100).decode(errors="replace").strip())
    if a.op == "poll":
        fd = fopen(a.target, os.O_RDONLY)
        ms = int(a.args[0])
        names = []
        if a.epoll:
            ep = select.epoll()
            ep.register(fd, select.EPOLLIN)
            for _, ev in ep.poll(ms / 1000):
                for bit, name in ((select.EPOLLIN, "IN"), (select.EPOLLOUT, "OUT"),
                                  (select.EPOLLERR, "ERR"), (select.EPOLLHUP, "HUP")):
                    if ev & bit:
                        names.append(name)
        elif a.select:
            r, w, x = select.select([fd], [], [fd], ms / 1000)
            if r:
                names.append("IN")
            if x:
                names.append("ERR")
        else:
            p = select.poll()
            p.register(fd, select.POLLIN | select.POLLPRI)
            for _, ev in p.poll(ms):
                for bit, name in ((select.POLLIN, "IN"), (select.POLLOUT, "OUT"),
                                  (select.POLLERR, "ERR"), (select.POLLHUP, "HUP")):
                    if ev & bit:
                        names.append(name)
        return out("events " + (" ".join(names) or "none"))
    if a.op == "pollout":
        fd = fopen(a.target, os.O_WRONLY)
        p = select.poll()
        p.register(fd, select.POLLOUT)
        names = [n for _, ev in p.poll(int(a.args[0]))
                 for bit, n in ((select.POLLIN, "IN"), (select.POLLOUT, "OUT"),
                                (select.POLLERR, "ERR"), (select.POLLHUP, "HUP")) if ev & bit]
        return out("events " + (" ".join(names) or "none"))
    if a.op == "seek":
        fd = fopen(a.target, os.O_RDONLY)
        return out("ok %d" % os.lseek(fd, int(a.args[0]), os.SEEK_SET))
    if a.op == "hread":
        fd = fopen(a.target, os.O_RDONLY)
        b = os.read(fd, a.size)
        if len(b) < 52:
            return out("short %d" % len(b))
        rport, lport = struct.unpack("!HH", b[48:52])
        return out("ok raddr %s rport %d laddr %s ifcaddr %s lport %d len %d data %s" %
                   (mapped(b[0:16]), rport, mapped(b[16:32]), mapped(b[32:48]), lport,
                    len(b) - 52, text(b[52:])))
    if a.op == "hwrite":
        fd = fopen(a.target, os.O_WRONLY)
        raddr, rport, data = a.args[0], int(a.args[1]), payload(a.args[2])
        laddr = a.args[3] if len(a.args) > 3 else "0.0.0.0"
        lport = int(a.args[4]) if len(a.args) > 4 else 0
        laddr_b = b"\0" * 16 if laddr == "0.0.0.0" else v4mapped(laddr)
        h = v4mapped(raddr) + laddr_b + b"\0" * 16 + struct.pack("!HH", rport, lport)
        return out("ok %d" % os.write(fd, h + data))
    return out("usage: unknown op %s" % a.op)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=5)
    ap.add_argument("--size", type=int, default=65536)
    ap.add_argument("--nonblock", action="store_true")
    ap.add_argument("--select", action="store_true")
    ap.add_argument("--epoll", action="store_true")
    ap.add_argument("op")
    ap.add_argument("target")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()

    def on_alarm(*_):
        raise Timeout()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, a.timeout)
    try:
        return run(a)
    except Timeout:
        return out("timeout")
    except OSError as e:
        return out("error %s" % errno.errorcode.get(e.errno, e.errno))


if __name__ == "__main__":
    sys.exit(main())
