#!/usr/bin/env python3
"""A hostile name server for 46-dns.sh, on the kernel's side of the TAP.

    46_dnsbad.py ADDR

Listens on ADDR port 53 (UDP).  To every query it first sends the bad
replies below, each of which the stack must drop and count, and then a good
one: the name's address is 10.9.9.9 (an A record after a CNAME whose name is
compressed).  Prints "ready" once bound and one line per query it answered.
"""
import socket
import struct
import sys


def name(n):
    out = b""
    for label in n.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_query(q):
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    off, labels = 12, []
    while q[off]:
        labels.append(q[off + 1:off + 1 + q[off]].decode())
        off += 1 + q[off]
    qtype, qclass = struct.unpack("!HH", q[off + 1:off + 5])
    return qid, ".".join(labels), q[12:off + 5], qtype


def header(qid, an=0, ns=0, flags=0x8180, qd=1):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, 0)


def a_rr(owner, addr, ttl=30):
    return owner + struct.pack("!HHIH", 1, 1, ttl, 4) + socket.inet_aton(addr)


def replies(qid, qname, question):
    # 1. wrong id
    yield header(qid ^ 0x5555, an=1) + question + a_rr(b"\xc0\x0c", "6.6.6.1")
    # 2. the answer to another question
    other = name("other.example.test") + struct.pack("!HH", 1, 1)
    yield header(qid, an=1) + other + a_rr(b"\xc0\x0c", "6.6.6.2")
    # 3. a compression loop: the answer's owner points at itself
    loop_at = 12 + len(question)
    yield header(qid, an=1) + question + struct.pack("!H", 0xC000 | loop_at) + \
        struct.pack("!HHIH", 1, 1, 30, 4) + socket.inet_aton("6.6.6.3")
    # 4. a forward pointer (past the end of the name it is in)
    yield header(qid, an=1) + question + struct.pack("!H", 0xC000 | (loop_at + 2)) + \
        struct.pack("!HHIH", 1, 1, 30, 4) + socket.inet_aton("6.6.6.4")
    # 5. a record cut short: rdlength 4 with 2 bytes there
    yield header(qid, an=1) + question + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 30, 4) + b"\x06\x06"
    # 6. an A record of 5 bytes
    yield header(qid, an=1) + question + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 30, 5) + b"\x06\x06\x06\x05\x00"
    # 7. not a reply (QR clear)
    yield header(qid, an=1, flags=0x0100) + question + a_rr(b"\xc0\x0c", "6.6.6.7")
    # 8. shorter than a header
    yield struct.pack("!HH", qid, 0x8180)
    # The good reply: qname CNAME real.example.test (compressed), real A 10.9.9.9.
    target = b"\x04real" + b"\xc0" + bytes([12 + 1 + len(qname.split(".")[0])])
    cname = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 30, len(target)) + target
    real_at = 12 + len(question) + 12
    yield header(qid, an=2) + question + cname + a_rr(struct.pack("!H", 0xC000 | real_at), "10.9.9.9")


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], 53))
    print("ready", flush=True)
    while True:
        q, peer = s.recvfrom(2048)
        try:
            qid, qname, question, qtype = parse_query(q)
        except (IndexError, struct.error, UnicodeDecodeError):
            continue
        for r in replies(qid, qname, question):
            s.sendto(r, peer)
        print("answered %s from %s:%d" % (qname, peer[0], peer[1]), flush=True)


main()
