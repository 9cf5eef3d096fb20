#!/usr/bin/python3
"""Crafted TCP segments against imp's stack from the kernel's side of its TAP.

    56_tcp_packets.py --iface imp0 --stack-mac MAC --my-mac MAC --mnt MNT
                      [--stack-ip 10.0.0.2] [--my-ip 10.0.0.1] [--port 7777]

Each check sends a segment built with scapy on an AF_PACKET socket bound to
the interface (so it reaches the stack exactly as built, from the kernel's
address and MAC) and reads the stack's answer on the same socket, every wait
bounded.  The kernel's own TCP must not answer for the connections faked
here: the caller drops the kernel's outgoing RSTs first.

A listener is announced through the files (MNT/tcp/new/ctl, "announce
PORT"), the handshake done by hand, the connection accepted through
MNT/tcp/N/listen, and data written to it through MNT/tcp/M/data.

Prints one line per check, "PASS: what" or "FAIL: what: why", and other
lines as notes.  Exit status 0 when every check passed, 1 otherwise, 2 on a
usage or setup error.
"""

import argparse
import errno
import os
import random
import select
import socket
import sys
import time

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

ETH_P_IP = 0x0800
F, S, R, P, A = 0x01, 0x02, 0x04, 0x08, 0x10

passed = 0
failed = 0


def say(s):
    print(s, flush=True)


def check(cond, what, why=""):
    global passed, failed
    if cond:
        passed += 1
        say("PASS: " + what)
    else:
        failed += 1
        say("FAIL: " + what + (": " + why if why else ""))
    return cond


def flags_str(fl):
    return "".join(n for b, n in ((S, "S"), (A, "A"), (F, "F"), (R, "R"), (P, "P")) if fl & b) or "."


def seg_str(t):
    return "flags %s seq %#010x ack %#010x win %d len %d" % (
        flags_str(int(t.flags)), t.seq, t.ack, t.window, len(bytes(t.payload)))


class Wire:
    """The kernel's side of the TAP, below the kernel's own stack."""

    def __init__(self, a):
        self.a = a
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self.s.bind((a.iface, ETH_P_IP))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)

    def send(self, ip_pkt, raw=None):
        frame = Ether(src=self.a.my_mac, dst=self.a.stack_mac, type=ETH_P_IP) / ip_pkt
        self.s.send(raw if raw is not None else bytes(frame))

    def frame(self, ip_pkt):
        return bytes(Ether(src=self.a.my_mac, dst=self.a.stack_mac, type=ETH_P_IP) / ip_pkt)

    def flush(self):
        while select.select([self.s], [], [], 0)[0]:
            self.s.recv(65536)

    def recv(self, timeout, sport=None, dport=None):
        """The next TCP segment from the stack (ports as given), as (time,
        TCP layer), or None after timeout seconds."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            if not select.select([self.s], [], [], left)[0]:
                return None
            data, addr = self.s.recvfrom(65536)
            t = time.monotonic()
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            p = Ether(data)
            if IP not in p or TCP not in p:
                continue
            if p[IP].src != self.a.stack_ip or p[IP].dst != self.a.my_ip:
                continue
            tcp = p[TCP]
            if sport is not None and tcp.sport != sport:
                continue
            if dport is not None and tcp.dport != dport:
                continue
            return t, tcp

    def ip(self):
        return IP(src=self.a.my_ip, dst=self.a.stack_ip, ttl=64, id=random.randrange(65536))


def tcp_stats(mnt):
    d = {}
    try:
        with open(os.path.join(mnt, "tcp", "stats")) as fh:
            for line in fh:
                k, _, v = line.partition(":")
                if v.strip().isdigit():
                    d[k.strip()] = int(v)
    except OSError as e:
        say("note: cannot read tcp/stats: %s" % e)
    return d


def bad_checksum(c):
    for d in (1, 2, 3):
        x = (c + d) & 0xFFFF
        if x not in (0, 0xFFFF) and x != c:
            return x
    return 0x1234


def with_bad_checksum(ip_pkt):
    """ip_pkt with its TCP checksum made wrong (the IP header stays right)."""
    good = IP(bytes(ip_pkt))
    good[TCP].chksum = bad_checksum(good[TCP].chksum)
    return good


class Files:
    """The listener and the accepted connection, through the mount."""

    def __init__(self, mnt):
        self.mnt = mnt
        self.fds = []

    def open(self, path, flags):
        fd = os.open(path, flags)
        self.fds.append(fd)
        return fd

    def new(self):
        fd = self.open(os.path.join(self.mnt, "tcp", "new", "ctl"), os.O_RDWR)
        n = os.read(fd, 64).decode().strip()
        return fd, n

    def accept(self, n, timeout):
        path = os.path.join(self.mnt, "tcp", n, "listen")
        end = time.monotonic() + timeout
        while True:
            try:
                fd = self.open(path, os.O_RDWR | os.O_NONBLOCK)
                return fd, os.read(fd, 64).decode().strip()
            except OSError as e:
                if e.errno != errno.EAGAIN or time.monotonic() > end:
                    raise
                time.sleep(0.05)

    def close(self):
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []


def closed_port(w):
    """A SYN to a port nobody listens on: RST|ACK <SEQ=0><ACK=SEG.SEQ+1>."""
    sport, seq = random.randrange(20000, 30000), random.randrange(1 << 32)
    w.flush()
    w.send(w.ip() / TCP(sport=sport, dport=9, seq=seq, flags="S", window=65535,
                        options=[("MSS", 1460)]))
    r = w.recv(3, sport=9, dport=sport)
    if not check(r is not None, "SYN to closed port 9: answered", "nothing within 3 s"):
        return
    t = r[1]
    check(int(t.flags) == R | A and t.seq == 0 and t.ack == (seq + 1) & 0xFFFFFFFF,
          "SYN to closed port 9: RST|ACK seq 0 ack %#010x" % ((seq + 1) & 0xFFFFFFFF), seg_str(t))
    # an ACK to it: RST <SEQ=SEG.ACK>
    ack = random.randrange(1 << 32)
    w.send(w.ip() / TCP(sport=sport, dport=9, seq=seq + 1, ack=ack, flags="A", window=65535))
    r = w.recv(3, sport=9, dport=sport)
    check(r is not None and int(r[1].flags) == R and r[1].seq == ack,
          "ACK to closed port 9: RST seq %#010x" % ack, seg_str(r[1]) if r else "nothing within 3 s")


class Conn:
    """One connection the test made by hand with the stack's listener."""

    def __init__(self, w, port):
        self.w = w
        self.port = port
        self.sport = random.randrange(30000, 40000)
        self.irs = random.randrange(1 << 32)     # our ISN
        self.snd = (self.irs + 1) & 0xFFFFFFFF   # our next sequence number
        self.iss = None                          # the stack's ISN
        self.ack = None

    def seg(self, flags, seq=None, ack=None, window=65535, data=b""):
        t = TCP(sport=self.sport, dport=self.port, flags=flags, window=window,
                seq=self.snd if seq is None else seq & 0xFFFFFFFF,
                ack=(self.ack if ack is None else ack) if "A" in flags else 0)
        p = self.w.ip() / t
        if data:
            p = p / data
        return p

    def send(self, *a, **kw):
        self.w.send(self.seg(*a, **kw))

    def recv(self, timeout):
        return self.w.recv(timeout, sport=self.port, dport=self.sport)

    def handshake(self, sack=False):
        self.w.flush()
        opts = [("MSS", 1460)] + ([("NOP", None), ("NOP", None), ("SAckOK", b"")] if sack else [])
        self.w.send(self.w.ip() / TCP(sport=self.sport, dport=self.port, seq=self.irs, flags="S",
                                      window=65535, options=opts))
        r = self.recv(3)
        if not check(r is not None, "SYN to the listener: answered", "nothing within 3 s"):
            return False
        t = r[1]
        if not check(int(t.flags) == S | A and t.ack == self.snd,
                     "SYN to the listener: SYN-ACK ack = ISN + 1", seg_str(t)):
            return False
        opts = dict((k, v) for k, v in t.options if isinstance(k, str))
        if sack:
            check(opts.get("MSS") == 1460 and "SAckOK" in opts and "WScale" not in opts
                  and "Timestamp" not in opts,
                  "SYN-ACK options: MSS 1460 and SACK-permitted, as offered", str(t.options))
        else:
            check(opts.get("MSS") == 1460 and "WScale" not in opts and "Timestamp" not in opts
                  and "SAckOK" not in opts,
                  "SYN-ACK options: MSS 1460 only (nothing we did not offer)", str(t.options))
        self.iss = t.seq
        self.ack = (t.seq + 1) & 0xFFFFFFFF
        self.send("A")
        r = self.recv(0.5)
        check(r is None, "the handshake's ACK: no answer", seg_str(r[1]) if r else "")
        return True

    def expect_ack(self, what, timeout=2):
        """The next segment is a bare ACK <SEQ=SND.NXT><ACK=RCV.NXT>."""
        r = self.recv(timeout)
        if r is None:
            check(False, what, "nothing within %g s" % timeout)
            return
        t = r[1]
        check(int(t.flags) == A and t.seq == self.ack and t.ack == self.snd
              and len(bytes(t.payload)) == 0,
              what + " (seq %#010x ack %#010x)" % (self.ack, self.snd), seg_str(t))

    def expect_none(self, what, timeout=1):
        r = self.recv(timeout)
        check(r is None, what, "got " + seg_str(r[1]) if r else "")


def established(w, a, c, files, data_n):
    # out-of-window data: an ACK with the current numbers, the data dropped
    w.flush()
    c.send("PA", seq=c.snd + 1000000, data=b"far away")
    c.expect_ack("out-of-window data: ACK with ack = rcv_nxt")
    c.expect_none("out-of-window data: nothing more")
    # in-window RST not at rcv_nxt: challenge ACK, the connection stays
    c.send("R", seq=c.snd + 100)
    c.expect_ack("RST in the window, not at rcv_nxt: challenge ACK")
    c.expect_none("RST in the window: nothing more")
    # SYN in ESTABLISHED: challenge ACK
    c.send("S", seq=c.snd)
    c.expect_ack("SYN in ESTABLISHED: challenge ACK")
    c.send("SA", seq=c.snd + 5000)
    c.expect_ack("SYN-ACK in ESTABLISHED: challenge ACK")
    status = ""
    try:
        with open(os.path.join(a.mnt, "tcp", data_n, "status")) as fh:
            status = fh.read()
    except OSError as e:
        status = str(e)
    check(status.startswith("Established"), "the connection is still Established", status.strip())

    # in-order data is taken (and ACKed, at most 500 ms later)
    c.send("PA", data=b"hello")
    c.snd = (c.snd + 5) & 0xFFFFFFFF
    c.expect_ack("5 bytes in order: ACKed", timeout=1.5)

    # bad checksums: no answer, InCsumErrors grows
    before = tcp_stats(a.mnt).get("InCsumErrors")
    w.send(with_bad_checksum(c.seg("PA", data=b"corrupt")))
    c.expect_none("data with a bad TCP checksum: no answer", timeout=1)
    w.send(with_bad_checksum(w.ip() / TCP(sport=c.sport + 1, dport=c.port, seq=77, flags="S",
                                           window=65535)))
    r = w.recv(1, sport=c.port, dport=c.sport + 1)
    check(r is None, "SYN to the listener with a bad TCP checksum: no SYN-ACK",
          seg_str(r[1]) if r else "")
    w.send(with_bad_checksum(w.ip() / TCP(sport=c.sport + 2, dport=9, seq=77, flags="S",
                                           window=65535)))
    r = w.recv(1, sport=9, dport=c.sport + 2)
    check(r is None, "SYN to a closed port with a bad TCP checksum: no RST",
          seg_str(r[1]) if r else "")
    after = tcp_stats(a.mnt).get("InCsumErrors")
    check(before is not None and after is not None and after - before >= 3,
          "tcp/stats InCsumErrors grew by the 3 bad segments", "%s -> %s" % (before, after))
    try:
        fd = os.open(os.path.join(a.mnt, "tcp", data_n, "data"), os.O_RDONLY | os.O_NONBLOCK)
        got = os.read(fd, 100)
        os.close(fd)
    except OSError as e:
        got = str(e).encode()
    check(got == b"hello", "the data file has the 5 good bytes only", repr(got))
    # The read freed 5 bytes of a 2 MB buffer, but without window scaling
    # the window offered is at most 65535 and was already as large as it
    # can be: nothing to tell (an ACK now would be a duplicate ACK).
    r = c.recv(0.3)
    check(r is None, "a read that cannot change the offered window: no ACK",
          "got " + seg_str(r[1]) if r else "")


def sack_blocks(t):
    """The SACK blocks of segment t, as (left, right) pairs."""
    for k, v in t.options:
        if k == "SAck":
            return [(v[i], v[i + 1]) for i in range(0, len(v) - 1, 2)]
    return []


def sack(w, c):
    """RFC 2018 and RFC 2883 on a connection that permitted SACK: a block
    for data past a hole, a D-SACK for data that came twice, none once the
    hole is filled."""
    w.flush()
    base = c.snd

    def rel(blocks):
        return [((l - base) & 0xFFFFFFFF, (r - base) & 0xFFFFFFFF) for l, r in blocks]

    def expect(what, ack, want):
        r = c.recv(2)
        if r is None:
            check(False, what, "nothing within 2 s")
            return
        t = r[1]
        got = rel(sack_blocks(t))
        ok = int(t.flags) == A and t.ack == ack & 0xFFFFFFFF and got == want
        if not ok:
            while True:
                r2 = c.recv(0.5)
                if r2 is None:
                    break
                say("      then: %s SACK %s" % (seg_str(r2[1]), rel(sack_blocks(r2[1]))))
        check(ok, what, "%s (ack base+%d), SACK %s (want %s)" % (seg_str(t), (t.ack - base) & 0xFFFFFFFF, got, want))

    c.send("PA", seq=base + 1000, data=b"b" * 500)
    expect("data past a 1000-byte hole: a duplicate ACK with SACK block 1000-1500", base,
           [(1000, 1500)])
    c.send("PA", seq=base + 2000, data=b"c" * 500)
    expect("a second run: two blocks, the newest first", base, [(2000, 2500), (1000, 1500)])
    c.send("PA", seq=base + 2000, data=b"c" * 500)
    expect("the same segment again: a D-SACK for it first (RFC 2883)", base,
           [(2000, 2500), (2000, 2500), (1000, 1500)])
    c.send("PA", seq=base, data=b"a" * 1000)
    expect("the first hole filled: ACK 1500, the block left 2000-2500", base + 1500, [(2000, 2500)])
    c.send("PA", seq=base + 1500, data=b"a" * 500)
    expect("the last hole filled: ACK 2500, no block", base + 2500, [])
    c.snd = (base + 2500) & 0xFFFFFFFF
    c.send("PA", seq=base, data=b"a" * 1000)
    expect("an old segment again: a D-SACK below the ACK", base + 2500, [(0, 1000)])
    c.expect_none("then nothing more", timeout=0.5)


def zero_window(w, a, c, files, data_n):
    """The peer's window shut: no data, probes <SEQ=SND.UNA-1> at growing
    intervals; the window opens: the data."""
    w.flush()
    c.send("A", window=0)
    c.expect_none("a window-0 ACK: no answer", timeout=0.5)
    probes0 = tcp_stats(a.mnt).get("ZeroWindowProbes", 0)
    fd = files.open(os.path.join(a.mnt, "tcp", data_n, "data"), os.O_WRONLY)
    payload = bytes((i * 7 + 3) & 0xFF for i in range(1000))
    t0 = time.monotonic()
    n = os.write(fd, payload)
    check(n == 1000, "write of 1000 bytes to the data file", "wrote %d" % n)
    probes, data_segs, others = [], [], []
    end = t0 + 8.5
    while time.monotonic() < end:
        r = c.recv(end - time.monotonic())
        if r is None:
            break
        t, seg = r
        if len(bytes(seg.payload)):
            data_segs.append(seg)
        elif int(seg.flags) == A and seg.seq == (c.ack - 1) & 0xFFFFFFFF and seg.ack == c.snd:
            probes.append(t)
            c.send("A", window=0)       # still shut
        else:
            others.append(seg)
    check(not data_segs, "zero window: no data sent", "; ".join(seg_str(s) for s in data_segs))
    check(not others, "zero window: nothing but probes", "; ".join(seg_str(s) for s in others))
    times = ["%.0f" % ((t - t0) * 1000) for t in probes]
    say("note: probes at %s ms after the write" % (", ".join(times) or "none"))
    check(len(probes) >= 3, "at least 3 zero-window probes <SEQ=SND.UNA-1> in 8.5 s",
          "%d probes" % len(probes))
    gaps = [b - a_ for a_, b in zip(probes, probes[1:])]
    if len(gaps) >= 2:
        check(all(g2 >= g1 - 0.03 for g1, g2 in zip(gaps, gaps[1:])),
              "probe intervals do not decrease",
              ", ".join("%.0f ms" % (g * 1000) for g in gaps))
        check(gaps[-1] >= 1.5 * gaps[0], "probe intervals grow (backoff)",
              ", ".join("%.0f ms" % (g * 1000) for g in gaps))
    probes1 = tcp_stats(a.mnt).get("ZeroWindowProbes", 0)
    check(probes1 - probes0 >= len(probes) and len(probes) > 0,
          "tcp/stats ZeroWindowProbes counted them", "%d -> %d" % (probes0, probes1))
    # the window opens
    c.send("A", window=65535)
    r = c.recv(2)
    ok = (r is not None and r[1].seq == c.ack and bytes(r[1].payload) == payload
          and int(r[1].flags) & A)
    check(ok, "the window opens: the 1000 bytes at once, seq = snd_una",
          seg_str(r[1]) if r else "nothing within 2 s")
    if r is not None:
        c.send("A", ack=c.ack + len(bytes(r[1].payload)))
        c.ack = (c.ack + len(bytes(r[1].payload))) & 0xFFFFFFFF


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", required=True)
    ap.add_argument("--stack-mac", required=True)
    ap.add_argument("--my-mac", required=True)
    ap.add_argument("--mnt", required=True)
    ap.add_argument("--stack-ip", default="10.0.0.2")
    ap.add_argument("--my-ip", default="10.0.0.1")
    ap.add_argument("--port", type=int, default=7777)
    a = ap.parse_args()
    random.seed()
    w = Wire(a)
    files = Files(a.mnt)

    closed_port(w)

    try:
        ctl, n = files.new()
        os.write(ctl, b"announce %d\n" % a.port)
    except OSError as e:
        check(False, "announce %d through tcp/new/ctl" % a.port, str(e))
        return 1
    check(n.isdigit(), "announce %d through tcp/new/ctl (socket %s)" % (a.port, n))

    c = Conn(w, a.port)
    if not c.handshake():
        files.close()
        return 1
    try:
        _, m = files.accept(n, 5)
    except OSError as e:
        check(False, "accept through tcp/%s/listen" % n, str(e))
        files.close()
        return 1
    check(m.isdigit(), "accept through tcp/%s/listen: socket %s" % (n, m))

    established(w, a, c, files, m)
    zero_window(w, a, c, files, m)

    # a second connection, that permits SACK
    d = Conn(w, a.port)
    if d.handshake(sack=True):
        try:
            files.accept(n, 5)
            sack(w, d)
        except OSError as e:
            check(False, "accept the SACK connection through tcp/%s/listen" % n, str(e))
        d.send("R", seq=d.snd)

    # done: reset the connection at exactly rcv_nxt (no answer), let go
    c.send("R", seq=c.snd)
    r = c.recv(0.5)
    check(r is None, "RST at rcv_nxt: no answer", seg_str(r[1]) if r else "")
    files.close()
    say("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a setup error, not a check
        say("FAIL: 56_tcp_packets.py: %s: %s" % (type(e).__name__, e))
        sys.exit(2)
