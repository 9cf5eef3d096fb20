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

    def seg(self, flags, seq=None, ack=None, window=65535, data=b"", sack=None):
        t = TCP(sport=self.sport, dport=self.port, flags=flags, window=window,
                seq=self.snd if seq is None else seq & 0xFFFFFFFF,
                ack=((self.ack if ack is None else ack) & 0xFFFFFFFF) if "A" in flags else 0)
        if sack:
            # SACK blocks (RFC 2018 §3), as (left, right) pairs
            t.options = [("NOP", None), ("NOP", None),
                         ("SAck", tuple(x & 0xFFFFFFFF for b in sack for x in b))]
        p = self.w.ip() / t
        if data:
            p = p / data
        return p

    def send(self, *a, **kw):
        self.w.send(self.seg(*a, **kw))

    def recv(self, timeout):
        return self.w.recv(timeout, sport=self.port, dport=self.sport)

    def handshake(self, sack=False, mss=1460, ack_delay=0):
        """The three-way handshake, our side offering mss (and SACK); the
        third segment ack_delay seconds after the SYN-ACK, which sets the
        stack's first RTT sample (and so its SRTT) to about that."""
        self.w.flush()
        opts = [("MSS", mss)] + ([("NOP", None), ("NOP", None), ("SAckOK", b"")] if sack else [])
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
        if ack_delay:
            time.sleep(ack_delay)
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


# ---- the stack as a SACK sender ------------------------------------------------------

def conn_status(a, m):
    """MNT/tcp/M/status as a dict of its numeric fields (the state word
    under "state")."""
    d = {}
    try:
        with open(os.path.join(a.mnt, "tcp", m, "status")) as fh:
            f = fh.read().split()
    except OSError as e:
        say("note: cannot read tcp/%s/status: %s" % (m, e))
        return d
    if f:
        d["state"] = f[0]
    for k, v in zip(f[1::2], f[2::2]):
        try:
            d[k] = float(v)
        except ValueError:
            d[k] = v
    return d


def stats_delta(s0, s1, *keys):
    return dict((k, s1.get(k, 0) - s0.get(k, 0)) for k in keys)


def collect(c, base, data, timeout, what):
    """Receive the stack's segments until all of data, sent from sequence
    number base, has come (GSO super-frames, if the TAP passes them whole,
    count for the segments they carry); checks that it came as written,
    once, no segment larger than the MSS.  Returns the segments as
    (time, offset, length) or None."""
    have = bytearray(len(data))
    seen = [False] * len(data)
    segs, bad = [], []
    end = time.monotonic() + timeout
    while not all(seen):
        r = c.recv(end - time.monotonic())
        if r is None:
            break
        t, seg = r
        pl = bytes(seg.payload)
        off = (seg.seq - base) & 0xFFFFFFFF
        if not pl:
            bad.append("no data: " + seg_str(seg))
            continue
        if off + len(pl) > len(data) or any(seen[off:off + len(pl)]) or \
                data[off:off + len(pl)] != pl or seg.ack != c.snd:
            bad.append("offset %d: %s" % (off, seg_str(seg)))
            continue
        seen[off:off + len(pl)] = [True] * len(pl)
        have[off:off + len(pl)] = pl
        segs.append((t, off, len(pl)))
    say("note: %s: %d bytes came in %d wire segments (%s)" % (
        what, sum(seen), len(segs), ", ".join("%d+%d" % (o, n) for _, o, n in segs)))
    ok = all(seen) and not bad
    check(ok, "%s: the %d bytes written came, as written and once" % (what, len(data)),
          "%d of %d bytes; %s" % (sum(seen), len(data), "; ".join(bad)))
    return segs if ok else None


def sack_retransmit(w, a, c, files, m):
    """On a SACK connection with 6 segments out, an ACK of the first and a
    SACK of the 3rd to 6th (one hole): RACK (RFC 8985) finds the 2nd lost
    at once (3 segments SACKed, no reordering seen: no reordering window),
    and the stack sends exactly it again, nothing else.  Without SACK a
    single ACK that moves snd_una is no duplicate ACK: NewReno would wait
    for the timeout (>= 200 ms, here about 500) and then go back to the
    2nd and send everything after it too."""
    w.flush()
    mss = 1000
    st = conn_status(a, m)
    check(st.get("mss") == mss and st.get("state") == "Established",
          "SACK sender: the connection by hand is Established with MSS %d" % mss,
          "status %s" % st)
    say("note: SACK sender: srtt %s ms rto %s ms cwnd %s" % (st.get("srtt"), st.get("rto"),
                                                            st.get("cwnd")))
    fd = files.open(os.path.join(a.mnt, "tcp", m, "data"), os.O_WRONLY)
    base = c.ack
    data = bytes(random.randrange(256) for _ in range(6 * mss))
    s0 = tcp_stats(a.mnt)
    n = os.write(fd, data)
    check(n == len(data), "SACK sender: write of %d bytes to the data file" % len(data),
          "wrote %d" % n)
    if collect(c, base, data, 2, "SACK sender, 6 segments") is None:
        return False
    # ACK the 1st, SACK the 3rd to the 6th
    t_ack = time.monotonic()
    c.send("A", ack=base + mss, sack=[(base + 2 * mss, base + 6 * mss)])
    r = c.recv(0.15)
    if r is None:
        check(False, "SACK sender: ACK of segment 1 and SACK of 3-6: segment 2 sent again",
              "nothing within 150 ms")
    else:
        t, seg = r
        pl = bytes(seg.payload)
        say("note: SACK sender: the retransmission %.1f ms after the ACK" % ((t - t_ack) * 1000))
        check(seg.seq == (base + mss) & 0xFFFFFFFF and pl == data[mss:2 * mss]
              and int(seg.flags) & A and seg.ack == c.snd,
              "SACK sender: ACK of segment 1 and SACK of 3-6: exactly segment 2 sent again "
              "(seq base+%d, %d bytes, the same data) within 150 ms" % (mss, mss),
              "%s at base+%d" % (seg_str(seg), (seg.seq - base) & 0xFFFFFFFF))
    # Nothing else until a tail loss probe could be due: the stack arms
    # one in recovery too (2 SRTT + 2 ms after the ACK, the last segment
    # not SACKed: the 2nd again), and its RTO is later still.
    st = conn_status(a, m)
    srtt = st.get("srtt") if isinstance(st.get("srtt"), float) else 100.0
    quiet = min(2 * srtt - 20, 300) / 1000
    extra = []
    end = t_ack + quiet
    while True:
        r2 = c.recv(end - time.monotonic())
        if r2 is None:
            break
        extra.append("%s at base+%d, %.0f ms" % (seg_str(r2[1]), (r2[1].seq - base) & 0xFFFFFFFF,
                                                 (r2[0] - t_ack) * 1000))
    check(not extra, "SACK sender: nothing else for %.0f ms after the ACK (2 SRTT - 20 ms: "
          "no SACKed segment, no go-back)" % (quiet * 1000), "; ".join(extra))
    s1 = tcp_stats(a.mnt)
    d = stats_delta(s0, s1, "RetransSegs", "SackRecoveries", "RackLost", "SackBlocks")
    check(d == {"RetransSegs": 1, "SackRecoveries": 1, "RackLost": 1, "SackBlocks": 1},
          "SACK sender: tcp/stats RetransSegs, SackRecoveries, RackLost, SackBlocks +1 each",
          str(d))
    # everything ACKed
    c.send("A", ack=base + 6 * mss)
    c.ack = (base + 6 * mss) & 0xFFFFFFFF
    c.expect_none("SACK sender: all ACKed: nothing more", timeout=0.3)
    st = conn_status(a, m)
    check(st.get("sacked") == 0 and st.get("lost") == 0 and st.get("sndq") == 0,
          "SACK sender: all ACKed: sndq, sacked and lost 0 in the status",
          "status %s" % st)

    # SACK blocks for nothing it sent, or lies: counted, ignored
    w.flush()
    base = c.ack
    data = bytes(random.randrange(256) for _ in range(4 * mss))
    os.write(fd, data)
    if collect(c, base, data, 2, "bad SACK blocks, 4 segments") is None:
        return False
    top = base + 4 * mss
    s0 = tcp_stats(a.mnt)
    # a duplicate ACK with a block from segment 2 to past snd_max (taken,
    # it would SACK 3 segments and make the 1st lost at once), one wholly
    # past snd_max, one with its edges the wrong way round
    c.send("A", ack=base, sack=[(base + mss, top + mss), (top + mss, top + 3 * mss),
                                (base + 3 * mss, base + 2 * mss)])
    c.expect_none("bad SACK blocks (past snd_max, reversed): nothing sent in 150 ms",
                  timeout=0.15)
    s1 = tcp_stats(a.mnt)
    d = stats_delta(s0, s1, "SackBlocks", "SackBlocksBad", "DSacks", "RetransSegs")
    check(d == {"SackBlocks": 3, "SackBlocksBad": 3, "DSacks": 0, "RetransSegs": 0},
          "bad SACK blocks: tcp/stats SackBlocks +3, SackBlocksBad +3, DSacks and RetransSegs +0",
          str(d))
    st = conn_status(a, m)
    check(st.get("sacked") == 0 and st.get("lost") == 0,
          "bad SACK blocks: the scoreboard has nothing SACKed or lost", "status %s" % st)
    c.send("A", ack=top)
    c.ack = top & 0xFFFFFFFF
    c.expect_none("bad SACK blocks: all ACKed: nothing more", timeout=0.3)
    return True


def tail_loss_probe(w, a, c, files, m):
    """4 segments out, an ACK of the first 2 (no SACK), then silence: a tail
    loss probe (RFC 8985 §7), the last segment again, 2 SRTT + 2 ms after
    the ACK, long before the retransmission timeout (>= 200 ms, which
    would send the 3rd first)."""
    w.flush()
    mss = 1000
    fd = files.open(os.path.join(a.mnt, "tcp", m, "data"), os.O_WRONLY)
    base = c.ack
    data = bytes(random.randrange(256) for _ in range(4 * mss))
    os.write(fd, data)
    if collect(c, base, data, 2, "TLP, 4 segments") is None:
        return False
    s0 = tcp_stats(a.mnt)
    t_ack = time.monotonic()
    c.send("A", ack=base + 2 * mss)
    r = c.recv(0.5)
    st = conn_status(a, m)
    srtt = st.get("srtt")
    pto = 2 * srtt + 2 if isinstance(srtt, float) else None
    say("note: TLP: srtt %s ms rto %s ms: the probe due %s ms after the ACK" % (
        srtt, st.get("rto"), "%.1f" % pto if pto is not None else "?"))
    if r is None:
        check(False, "TLP: the last segment again after 2 SRTT + 2 ms", "nothing within 500 ms")
    else:
        t, seg = r
        dt = (t - t_ack) * 1000
        say("note: TLP: a segment %.1f ms after the ACK: %s at base+%d" % (
            dt, seg_str(seg), (seg.seq - base) & 0xFFFFFFFF))
        check(seg.seq == (base + 3 * mss) & 0xFFFFFFFF and bytes(seg.payload) == data[3 * mss:],
              "TLP: the probe is the last segment again (seq base+%d, %d bytes, the same data)"
              % (3 * mss, mss), "%s at base+%d" % (seg_str(seg), (seg.seq - base) & 0xFFFFFFFF))
        check(pto is not None and pto - 2 <= dt <= min(pto + 40, 150),
              "TLP: the probe %.0f ms after the ACK: 2 SRTT + 2 ms (%s ms) and well before "
              "the 200 ms minimum RTO" % (dt, "%.0f" % pto if pto is not None else "?"),
              "srtt %s" % srtt)
    # a second probe would wait twice as long (from the first)
    quiet = min(100, 1.5 * pto if pto is not None else 50)
    c.expect_none("TLP: one probe, then nothing for %.0f ms (1.5 PTO)" % quiet,
                  timeout=quiet / 1000)
    s1 = tcp_stats(a.mnt)
    d = stats_delta(s0, s1, "TlpProbes", "RetransSegs")
    check(d == {"TlpProbes": 1, "RetransSegs": 1}, "TLP: tcp/stats TlpProbes +1, RetransSegs +1",
          str(d))
    # All ACKed, without a D-SACK: the probe repaired a loss.
    c.send("A", ack=base + 4 * mss)
    c.ack = (base + 4 * mss) & 0xFFFFFFFF
    c.expect_none("TLP: all ACKed: nothing more", timeout=0.3)
    s2 = tcp_stats(a.mnt)
    d = stats_delta(s1, s2, "TlpRecoveries")
    check(d == {"TlpRecoveries": 1},
          "TLP: all ACKed with no D-SACK: tcp/stats TlpRecoveries +1 (it repaired a loss)", str(d))
    return True


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

    # the stack as a SACK sender: SRTT about 150 ms (the handshake's ACK
    # that late), so that neither a tail loss probe nor the RTO comes
    # while the test reads the segments and answers
    e = Conn(w, a.port)
    if e.handshake(sack=True, mss=1000, ack_delay=0.15):
        try:
            _, em = files.accept(n, 5)
            sack_retransmit(w, a, e, files, em)
        except OSError as ex:
            check(False, "SACK sender: accept or data file", str(ex))
        e.send("R", seq=e.snd)
    # a tail loss probe: SRTT about 30 ms, so that the probe (2 SRTT +
    # 2 ms) comes long before the 200 ms minimum RTO
    g = Conn(w, a.port)
    if g.handshake(sack=True, mss=1000, ack_delay=0.03):
        try:
            _, gm = files.accept(n, 5)
            tail_loss_probe(w, a, g, files, gm)
        except OSError as ex:
            check(False, "TLP: accept or data file", str(ex))
        g.send("R", seq=g.snd)

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
