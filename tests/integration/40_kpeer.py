#!/usr/bin/python3
"""The kernel's end of a UDP exchange with imp's stack (tests 40-44).

    40_kpeer.py recv PORT [--count N] [--timeout S] [--rcvbuf B]
        Bind 0.0.0.0:PORT, print "ready", then one line per datagram:
            from ADDR PORT len N ttl T tos X md5 H data TEXT
        (TEXT: the first 80 bytes, non-printing bytes as \\xNN).  Exit 0 after
        N datagrams (default 1), 1 with "timeout after K" when S seconds
        (default 5) pass first.

    40_kpeer.py send SPORT DST DPORT DATA [--connect] [--reply S] [--count N]
        Bind 0.0.0.0:SPORT (0: any), send DATA (@N: N bytes of a pattern)
        to DST:DPORT, print "sent N".  With --reply, wait S seconds for N
        (default 1) datagrams back and print them as recv does, or
        "timeout", or "error ENAME" (e.g. ECONNREFUSED on a --connect-ed
        socket after an ICMP port unreachable).

Exit 2 on a usage error.
"""

import argparse
import errno
import hashlib
import socket
import struct
import sys
import time

IP_RECVTOS = getattr(socket, "IP_RECVTOS", 13)
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IP_TOS = getattr(socket, "IP_TOS", 1)
IP_TTL = getattr(socket, "IP_TTL", 2)


def out(*a):
    print(*a, flush=True)


def payload(spec):
    if spec.startswith("@"):
        n = int(spec[1:])
        return bytes((i * 7 + 3) & 0xFF for i in range(n))
    return spec.encode()


def text(b):
    s = []
    for c in b[:80]:
        s.append(chr(c) if 0x21 <= c < 0x7F and c != 0x5C else "\\x%02x" % c)
    return "".join(s)


def show(data, anc, addr):
    ttl = tos = "?"
    for level, typ, val in anc:
        if level == socket.IPPROTO_IP and typ == IP_TTL:
            ttl = struct.unpack("i", val[:4])[0]
        elif level == socket.IPPROTO_IP and typ == IP_TOS:
            tos = val[0]
    out("from %s %d len %d ttl %s tos %s md5 %s data %s" %
        (addr[0], addr[1], len(data), ttl, tos, hashlib.md5(data).hexdigest(), text(data)))


def receive(s, count, timeout):
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTOS, 1)
    end = time.monotonic() + timeout
    got = 0
    while got < count:
        left = end - time.monotonic()
        if left <= 0:
            out("timeout after %d" % got)
            return 1
        s.settimeout(left)
        try:
            data, anc, _, addr = s.recvmsg(70000, 256)
        except socket.timeout:
            continue
        except OSError as e:
            out("error %s" % errno.errorcode.get(e.errno, e.errno))
            return 1
        show(data, anc, addr)
        got += 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recv")
    r.add_argument("port", type=int)
    r.add_argument("--count", type=int, default=1)
    r.add_argument("--timeout", type=float, default=5)
    r.add_argument("--rcvbuf", type=int, default=0)
    s = sub.add_parser("send")
    s.add_argument("sport", type=int)
    s.add_argument("dst")
    s.add_argument("dport", type=int)
    s.add_argument("data")
    s.add_argument("--connect", action="store_true")
    s.add_argument("--reply", type=float, default=0)
    s.add_argument("--count", type=int, default=1)
    a = ap.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.cmd == "recv":
        if a.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
        sock.bind(("0.0.0.0", a.port))
        out("ready")
        return receive(sock, a.count, a.timeout)

    sock.bind(("0.0.0.0", a.sport))
    data = payload(a.data)
    try:
        if a.connect:
            sock.connect((a.dst, a.dport))
            n = sock.send(data)
        else:
            n = sock.sendto(data, (a.dst, a.dport))
    except OSError as e:
        out("error %s" % errno.errorcode.get(e.errno, e.errno))
        return 1
    out("sent %d" % n)
    if a.reply > 0:
        return receive(sock, a.count, a.reply)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
