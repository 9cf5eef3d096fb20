#!/usr/bin/python3
"""Kernel TCP peers and signal probes for imp's TCP tests (50-55).

    50_tcp.py listen PORT [PORT...]   kernel listeners on 10.0.0.1: print
                                      "ready", then accept and close every
                                      connection, until killed
    50_tcp.py rst PORT N              one kernel server on 10.0.0.1:PORT: print
                                      "ready", accept one connection, send the
                                      N-byte pattern (40_fop.py's @N), wait for
                                      one byte from the client, then close with
                                      SO_LINGER {1, 0} (an RST); prints
                                      "reset sent" (or what went wrong)
    50_tcp.py eintr read|write TARGET [DATA]
                                      one read(2) (65536 bytes) or write(2) of
                                      DATA on TARGET (a path or fd:N) with a
                                      SIGINT handler installed (no SA_RESTART),
                                      called through libc so that the errno is
                                      the kernel's: prints "error ENAME ms T",
                                      "ok N ms T" or "eof ms T", T the time the
                                      call took.  Send SIGINT from outside, e.g.
                                      timeout -s INT 1 50_tcp.py eintr ...

Every mode gives up after --timeout seconds (default 20) and prints "timeout".
"""

import argparse
import ctypes
import errno
import os
import select
import signal
import socket
import struct
import sys
import time

PEER = "10.0.0.1"


def out(s):
    print(s, flush=True)
    return 0 if s.startswith(("ok", "ready", "reset sent")) else 1


def pattern(n):
    return bytes((i * 7 + 3) & 0xFF for i in range(n))


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((PEER, port))
    s.listen(64)
    return s


def do_listen(ports):
    socks = [listener(p) for p in ports]
    out("ready")
    while True:
        r, _, _ = select.select(socks, [], [])
        for s in r:
            c, _ = s.accept()
            c.close()


def do_rst(port, n):
    s = listener(port)
    out("ready")
    c, _ = s.accept()
    c.sendall(pattern(n))
    got = c.recv(1)
    if not got:
        return out("client closed before sending its byte")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    return out("reset sent")


def do_eintr(op, target, data):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.read.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
    libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
    libc.read.restype = libc.write.restype = ctypes.c_ssize_t
    # A Python-level handler: the C handler only notes the signal, so the
    # interrupted system call returns -1 EINTR to libc (no SA_RESTART).
    signal.signal(signal.SIGINT, lambda *_: None)
    if target.startswith("fd:"):
        fd = int(target[3:])
    else:
        fd = os.open(target, os.O_RDONLY if op == "read" else os.O_WRONLY)
    t0 = time.monotonic()
    if op == "read":
        buf = ctypes.create_string_buffer(65536)
        r = libc.read(fd, buf, 65536)
    else:
        b = data.encode()
        r = libc.write(fd, b, len(b))
    e = ctypes.get_errno()
    ms = int((time.monotonic() - t0) * 1000)
    if r < 0:
        return out("error %s ms %d" % (errno.errorcode.get(e, e), ms))
    if r == 0 and op == "read":
        return out("eof ms %d" % ms)
    return out("ok %d ms %d" % (r, ms))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("mode")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()

    def on_alarm(*_):
        out("timeout")
        os._exit(1)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, a.timeout)
    try:
        if a.mode == "listen":
            return do_listen([int(p) for p in a.args])
        if a.mode == "rst":
            return do_rst(int(a.args[0]), int(a.args[1]))
        if a.mode == "eintr":
            return do_eintr(a.args[0], a.args[1], a.args[2] if len(a.args) > 2 else "")
    except OSError as e:
        return out("error %s" % errno.errorcode.get(e.errno, e.errno))
    return out("usage: unknown mode %s" % a.mode)


if __name__ == "__main__":
    sys.exit(main())
