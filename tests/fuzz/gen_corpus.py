#!/usr/bin/python3
"""Writes the fuzz targets' seed corpus: tests/fuzz/corpus/TARGET/seed-*.

Run it again after changing a target's input format (see the comment at
the top of each fuzz_TARGET.c); the files are committed.  Frames are built
with scapy (Debian's python3-scapy), the records around them by hand.
Crash inputs found later go beside the seeds as crash-* (run.sh copies
them), so that every build replays them (meson test --suite fuzz)."""
import os
import struct
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, fragment  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUR_MAC, PEER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
OUR_IP, PEER_IP = "10.0.0.1", "10.0.0.2"


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def rec(a, b, payload):
    """Two bytes, a big-endian length and the payload: the records of the
    frame and tcp targets."""
    return struct.pack(">BBH", a, b, len(payload)) + payload


def eth(p):
    return bytes(Ether(dst=OUR_MAC, src=PEER_MAC) / p)


# --- frame: flags dt len frame ---------------------------------------------
def frame_corpus():
    F_IPCS, F_L4CS, F_VNET, F_BATCH, F_ADDR, F_READ, F_SEND, F_UNKNOWN = (1 << i for i in range(8))
    arp_req = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=PEER_MAC) /
                    ARP(op=1, hwsrc=PEER_MAC, psrc=PEER_IP, pdst=OUR_IP))
    arp_rep = bytes(Ether(dst=OUR_MAC, src="02:00:00:00:00:09") /
                    ARP(op=2, hwsrc="02:00:00:00:00:09", psrc="10.0.0.9",
                        hwdst=OUR_MAC, pdst=OUR_IP))
    ping = eth(IP(src=PEER_IP, dst=OUR_IP) / ICMP(type=8, id=7, seq=1) / Raw(b"x" * 56))
    udp = eth(IP(src=PEER_IP, dst=OUR_IP) / UDP(sport=9, dport=7) / Raw(b"hello"))
    udp_noport = eth(IP(src=PEER_IP, dst=OUR_IP) / UDP(sport=9, dport=99) / Raw(b"x"))
    syn = eth(IP(src=PEER_IP, dst=OUR_IP) /
              TCP(sport=40000, dport=80, flags="S", seq=1000,
                  options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("WScale", 7)]))
    syn_closed = eth(IP(src=PEER_IP, dst=OUR_IP) / TCP(sport=40001, dport=81, flags="S"))
    big = IP(src=PEER_IP, dst=OUR_IP, id=77) / ICMP(type=8) / Raw(b"y" * 3000)
    frags = [eth(f) for f in fragment(big, fragsize=1480)]
    err = eth(IP(src=PEER_IP, dst=OUR_IP) / ICMP(type=3, code=3) /
              bytes(IP(src=OUR_IP, dst=PEER_IP) / UDP(sport=7, dport=9) / Raw(b"q")))
    opts = eth(IP(src=PEER_IP, dst=OUR_IP, options=b"\x01\x01\x01\x00") / UDP(sport=9, dport=7))
    write("frame", "arp-request", rec(0, 0, arp_req))
    write("frame", "arp-reply-send", rec(F_SEND | F_UNKNOWN, 150, b"") + rec(0, 10, arp_rep))
    write("frame", "ping", rec(0, 0, ping))
    write("frame", "udp-read", rec(F_READ, 0, udp) + rec(F_READ | F_SEND, 0, udp))
    write("frame", "udp-noport", rec(0, 0, udp_noport))
    write("frame", "tcp-syn", rec(0, 0, syn) + rec(0, 200, syn_closed))
    write("frame", "frags", b"".join(rec(0, 0, f) for f in frags))
    write("frame", "icmp-error", rec(0, 0, err))
    write("frame", "ip-options", rec(F_IPCS | F_L4CS, 0, opts))
    # fixed-up checksums: a frame with zeroed checksums the harness fills
    z = bytearray(udp)
    z[14 + 10:14 + 12] = b"\0\0"
    z[14 + 20 + 6:14 + 20 + 8] = b"\0\0"
    write("frame", "udp-fixup", rec(F_IPCS | F_L4CS | F_ADDR, 0, bytes(z)))
    write("frame", "batch", rec(F_BATCH, 0, ping) + rec(0, 0, udp) + rec(F_BATCH, 0, syn))
    # vnet headers: none, one asking for a checksum, a GSO TCPv4 super-frame
    vnone = struct.pack("<BBHHHH", 0, 0, 0, 0, 0, 0)
    vcsum = struct.pack("<BBHHHH", 1, 0, 0, 0, 34, 6)
    vdata = struct.pack("<BBHHHH", 2, 0, 0, 0, 0, 0)
    seg = eth(IP(src=PEER_IP, dst=OUR_IP) / TCP(sport=40000, dport=80, flags="A") / Raw(b"z" * 3000))
    vgso = struct.pack("<BBHHHH", 1, 1, 54, 1448, 34, 16)
    write("frame", "vnet", rec(F_VNET, 0, vnone + ping) + rec(F_VNET, 0, vcsum + udp) +
          rec(F_VNET, 0, vdata + udp) + rec(F_VNET, 0, vgso + seg))


# --- frag ----------------------------------------------------------------
def frag_one(sel, frag_off, dt, payload):
    return struct.pack(">BHBH", sel, frag_off, dt, len(payload)) + payload


def frag_cut(sel, unit, order, dt, payload):
    return struct.pack(">BBBBH", sel, unit, order, dt, len(payload)) + payload


def frag_corpus():
    MF = 0x2000
    udp_hdr = struct.pack(">HHHH", 9, 7, 8 + 24, 0)
    write("frag", "two", frag_one(0, MF, 0, udp_hdr + b"a" * 8) + frag_one(0, 2, 0, b"b" * 16))
    write("frag", "reversed", frag_one(1, 2, 0, b"b" * 16) + frag_one(1, MF, 0, udp_hdr + b"a" * 8))
    write("frag", "overlap", frag_one(2, MF, 0, b"a" * 16) + frag_one(2, MF | 1, 0, b"b" * 16) +
          frag_one(2, 3, 0, b"c" * 8))
    write("frag", "duplicate", frag_one(3, MF, 0, b"a" * 16) + frag_one(3, MF, 0, b"a" * 16) +
          frag_one(3, 2, 0, b"c" * 8))
    write("frag", "timeout", frag_one(0, MF, 250, b"a" * 16) + frag_one(0, 2, 0, b"c" * 8))
    write("frag", "icmp", frag_one(4, MF, 0, b"\x08\0\0\0\0\1\0\1" + b"p" * 8) + frag_one(4, 2, 0, b"q" * 8))
    write("frag", "too-long", frag_one(16, MF, 0, b"a" * 16) + frag_one(0, 0x1fff, 0, b"z" * 16))
    write("frag", "many-queues", frag_one(64, MF, 0, b"a" * 1400) + frag_one(64 | 32, MF | 200, 0, b"b" * 1400) +
          frag_one(0, MF, 0, b"c" * 8))
    write("frag", "cut", frag_cut(128, 0, 0, 0, b"hello " * 40))
    write("frag", "cut-reverse", frag_cut(129, 5, 1, 0, b"x" * 1000))
    write("frag", "cut-dup", frag_cut(130, 63, 2, 0, b"y" * 3000) + frag_cut(131, 1, 3, 0, b"w" * 200))
    write("frag", "max", frag_cut(128, 63, 0, 0, b"m" * 65400))


# --- tcp: op act dt len segment -------------------------------------------
A, B, C, D, L, RAW = 0, 1, 2, 3, 4, 5
REL, RELOPT, NOCSUM, BATCH = 8, 16, 32, 64
WRITE, READ, SHUT, CLOSE, ABORT, OPT, ACCEPT = range(1, 8)
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def r(op, dt, seg, act=0, on=None):
    """A record of the tcp target: act is done on connection `on` (A-D)
    rather than on the target when given."""
    if on is not None:
        act |= (on + 1) << 3
    return struct.pack(">BBBH", op, act, dt, len(seg)) + seg


def th(seq=0, ack=0, flags=ACK, win=65535, opts=b"", sport=0, dport=0):
    """A TCP header; the harness writes the ports (but for RAW) and the
    checksum, and with REL adds rcv_nxt to seq and snd_una to ack."""
    while len(opts) % 4:
        opts += b"\x01"
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, (5 + len(opts) // 4) << 4,
                       flags, win, 0, 0) + opts


def sack(*blocks):
    return b"\x01\x01" + bytes([5, 2 + 8 * len(blocks)]) + b"".join(
        struct.pack(">II", s, e) for s, e in blocks)


def ts(tsval=1, tsecr=0):
    return b"\x01\x01\x08\x0a" + struct.pack(">II", tsval, tsecr)


def tcp_corpus():
    T = REL | RELOPT
    Q = 60000                   # queued on A, B and C
    ma, mb, mc = 1448, 524, 1200  # their MSS (A and B with timestamps)
    write("tcp", "ack-all", r(A | T, 0, th(0, Q, opts=ts())) + r(B | T, 0, th(0, Q, opts=ts())) +
          r(C | REL, 0, th(0, Q)))
    write("tcp", "ack-flights", b"".join(r(A | T, 10, th(0, ma * k, opts=ts(k))) for k in (2, 4, 8, 16)))
    write("tcp", "data-read", r(A | T, 0, th(0, 0, ACK | PSH, opts=ts()) + b"d" * 1000, READ) +
          r(B | T, 0, th(0, 0, ACK | PSH, opts=ts()) + b"e" * 500, READ) +
          r(C | REL, 0, th(0, 0, ACK | PSH) + b"f" * 700, READ))
    write("tcp", "ofo", r(A | T, 0, th(1000, 0, opts=ts()) + b"x" * 1000) +
          r(A | T, 0, th(3000, 0, opts=ts()) + b"y" * 1000) +
          r(A | T, 0, th(0, 0, opts=ts()) + b"z" * 1000, READ))
    write("tcp", "ofo-nosack", r(C | REL, 0, th(1000, 0) + b"x" * 1000) +
          r(C | REL, 0, th(0, 0) + b"z" * 1000, READ))
    # SACKs: the first segment lost, then fast recovery, RACK, the timeout
    write("tcp", "sack-loss", b"".join(
        r(B | T, 1, th(0, 0, opts=ts(k) + sack((mb, mb * (k + 1))))) for k in range(1, 6)) +
        r(B | T, 120, th(0, mb * 6, opts=ts(7))))
    write("tcp", "sack-many", r(A | T, 0, th(0, 0, opts=sack((1448, 2896), (4344, 5792), (7240, 8688)))) +
          r(A | T, 0, th(0, 0, opts=sack((10136, 11584), (1448, 2896), (4344, 5792)))) +
          r(A | T, 250, th(0, 0, opts=sack((1448, 14480)))))
    write("tcp", "dsack", r(A | T, 150, th(0, 0, opts=ts())) +
          r(A | T, 0, th(0, ma, opts=sack((0, ma)))))
    write("tcp", "dupacks", b"".join(r(A | T, 0, th(0, 0, opts=ts())) for _ in range(4)))
    write("tcp", "newreno", b"".join(r(C | REL, 0, th(0, 0)) for _ in range(4)) +
          r(C | REL, 0, th(0, mc)) + r(C | REL, 0, th(0, 3 * mc)) + r(C | REL, 200, th(0, 12 * mc)))
    write("tcp", "rto", r(A, 205, b"") + r(B, 230, b"") + r(A | T, 0, th(0, 1448, opts=ts())))
    write("tcp", "zero-window", r(A | T, 0, th(0, 14480, win=0, opts=ts())) +
          r(A, 210, b"") + r(A | T, 0, th(0, 0, win=100, opts=ts())))
    write("tcp", "fin-peer", r(A | T, 0, th(0, 0, ACK | FIN, opts=ts()), READ) +
          r(A | T, 0, th(1, 0, opts=ts()), CLOSE) + r(A | T, 0, th(1, Q + 1, opts=ts())))
    write("tcp", "close-first", r(B | T, 0, th(0, Q, opts=ts()), CLOSE) +
          r(B | T, 0, th(0, Q + 1, ACK | FIN, opts=ts())) + r(B, 255, b""))
    write("tcp", "shutdown", r(A | T, 0, th(0, 0, opts=ts()), SHUT) +
          r(A | T, 0, th(0, Q + 1, opts=ts())))
    write("tcp", "rst", r(A | T, 0, th(0, 0, RST)) + r(B | T, 0, th(5, 0, RST)) + r(B | T, 0, th(0, 0, RST)))
    write("tcp", "syn-in-window", r(A | T, 0, th(0, 0, SYN)))
    write("tcp", "abort", r(A | T, 0, b"", ABORT) + r(A | T, 0, th(0, 0)))
    write("tcp", "syn-sent", r(D | REL, 0, th(0x30000000, 1, SYN | ACK, opts=b"\x02\x04\x02\x18")) +
          r(D, 0, b"", WRITE))
    write("tcp", "syn-sent-rst", r(D | REL, 0, th(0, 1, RST | ACK)))
    write("tcp", "simultaneous", r(D, 0, th(0x30000000, 0, SYN)) + r(D, 250, b""))
    write("tcp", "syn-retries", r(D, 255, b"") + r(D, 255, b"") + r(D, 255, b""))
    write("tcp", "listener", r(L | REL, 0, th(77, 0, SYN, opts=b"\x02\x04\x05\xb4" + ts(9), sport=41000)) +
          r(L | REL, 0, th(78, 1, ACK, sport=41000), ACCEPT) +
          r(L | REL, 0, th(78, 1, ACK | PSH, sport=41000) + b"hi"))
    write("tcp", "listener-flood", b"".join(r(L, 0, th(k, 0, SYN, sport=42000 + k)) for k in range(12)) +
          r(L, 255, b""))
    # past the SYN queue, SYN cookies: the ACK of the last cookie SYN-ACK
    write("tcp", "cookie-ack", b"".join(r(L, 0, th(k, 0, SYN, opts=b"\x02\x04\x05\xb4", sport=42000 + k))
                                        for k in range(12)) +
          r(L | REL, 0, th(0, 1, ACK, sport=42011), ACCEPT) +
          r(L | REL, 0, th(0, 1, ACK | PSH, sport=42011) + b"cookie"))
    write("tcp", "raw", r(RAW, 0, th(1, 0, SYN, sport=40000, dport=6000)) +
          r(RAW | NOCSUM, 0, th(1, 0, ACK, sport=40000, dport=5000)))
    write("tcp", "options-hostile", r(A | T, 0, th(0, 0, opts=b"\x02\x04\x00\x00\x03\x03\x0e\x05\x00")) +
          r(A | T, 0, th(0, 0, opts=b"\x05\x0a\x00\x00\x00\x00\x00\x00\x00")) +
          r(A | T, 0, th(0, 0, opts=b"\x08\x0a" + b"\xff" * 8)))
    write("tcp", "writes", r(A | T, 0, th(0, Q, opts=ts()), WRITE) +
          r(A | T, 5, th(0, Q, opts=ts()) + b"\0" * 200, WRITE) +
          r(B | T, 0, b"\x05\x00\x00\x01" + b"\0" * 16, OPT) +
          r(B | T, 0, b"\x0a\x00\x00\x58" + b"\0" * 16, OPT) +
          r(B | T, 0, th(0, Q, opts=ts()) + b"\0" * 100, WRITE))
    write("tcp", "keepalive", r(A, 0, b"\x04\x00\x00\x01" + b"\0" * 16, OPT) +
          r(A, 0, b"\x06\x00\x03\xe8" + b"\0" * 16, OPT) + r(A, 210, b"") + r(A, 255, b""))
    write("tcp", "time-wait", r(B | T, 0, th(0, Q, opts=ts()), CLOSE) +
          r(B | T, 0, th(0, Q + 1, ACK | FIN, opts=ts())) + r(B | T, 0, th(0, Q + 1, ACK | FIN, opts=ts())) +
          r(B, 255, b"") + r(B, 255, b""))
    write("tcp", "batch", r(A | T | BATCH, 0, th(0, 0, ACK | PSH, opts=ts()) + b"a" * 1000) +
          r(A | T | BATCH, 0, th(1000, 0, ACK | PSH, opts=ts()) + b"b" * 1000) +
          r(A | T, 0, th(2000, ma, ACK | PSH, opts=ts()) + b"c" * 1000, READ))
    write("tcp", "close-all", r(A, 0, b"", CLOSE, on=A) + r(A, 0, b"", CLOSE, on=B) +
          r(A, 0, b"", CLOSE, on=C) + r(A, 0, b"", CLOSE, on=D) + r(A, 255, b""))


# --- ctl: which len text ---------------------------------------------------
def dhcp_corpus():
    """DHCP replies: an OFFER and an ACK with the usual options, one with
    garbage options, one cut inside its options."""
    def msg(t, opts):
        fixed = bytes([2, 1, 6, 0]) + struct.pack("!I", 0x1234) + bytes(8) + bytes([10, 0, 0, 77]) + bytes(8)
        fixed += bytes.fromhex("021a00000001") + bytes(10) + bytes(192)
        return fixed + struct.pack("!I", 0x63825363) + bytes([53, 1, t, 54, 4, 10, 0, 0, 1]) + opts + b"\xff"
    std = bytes([1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 0, 1, 6, 4, 10, 0, 0, 1, 51, 4, 0, 0, 0, 120])
    write("dhcp", "offer", msg(2, std))
    write("dhcp", "ack", msg(5, std + bytes([58, 4, 0, 0, 0, 60, 59, 4, 0, 0, 0, 105, 52, 1, 3])))
    write("dhcp", "garbage", msg(2, bytes([224, 3, 1, 2, 3, 3, 3, 1, 2, 3, 53, 2, 9, 9, 0, 0])))
    write("dhcp", "cut", msg(5, std)[:260])


def ctl_corpus():
    def c(which, text):
        t = text.encode()
        return bytes([which, len(t)]) + t
    write("ctl", "sock-tcp", c(0, "connect 10.0.0.2 80 5001") + c(0, "connect 10.0.0.2!80") + c(0, "announce 5000 8") + c(0, "keepalive 1000") +
          c(0, "congestion reno") + c(0, "cc newreno") + c(0, "nodelay on") + c(0, "rcvbuf 65536") + c(0, "maxseg 536") + c(0, "shutdown wr"))
    write("ctl", "sock-udp", c(1, "connect 10.0.0.2 53") + c(1, "bind 7") + c(1, "headers") + c(1, "ttl 3"))
    write("ctl", "sock-icmp", c(2, "connect 10.0.0.2") + c(2, "tos 16"))
    write("ctl", "sock-bad", c(0, "frob") + c(0, "connect 1.2.3") + c(0, "connect 10.0.0.2!99999") +
          c(0, "a b c d e f g h i j") + c(0, "connect 10.0.0.2!80\nclose"))
    write("ctl", "arp", c(3, "add 10.0.0.9 02:00:00:00:00:09") + c(3, "del 10.0.0.9") + c(3, "flush") +
          c(3, "add 10.0.0.9 zz:00") + c(3, "add 255.255.255.255 ff:ff:ff:ff:ff:ff"))
    write("ctl", "route", c(4, "add 192.168.0.0/16 10.0.0.2") + c(4, "remove 192.168.0.0/16") +
          c(4, "add 0.0.0.0/0 10.0.0.2") + c(4, "flush") + c(4, "add 1.2.3.4/33 10.0.0.2"))
    write("ctl", "ifc", c(5, "add 10.0.1.1/24") + c(5, "mtu 576") + c(5, "remove 10.0.0.1/24") +
          c(5, "mtu 99999") + c(5, "add 10.0.0.1/24"))
    write("ctl", "fault", c(6, "drop=3,dup=1,reorder=10,corrupt=0.5,seed=42") + c(6, "drop=101") +
          c(6, "seed=-1") + c(6, "x"))
    write("ctl", "split", c(7, "  a\tb  c \n") + c(7, "a\n\nb") + c(7, "1 2 3 4 5 6 7 8 9"))


# --- dns: which(1) reply ------------------------------------------------------
def dns_corpus():
    def name(n):
        return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"
    Q = name("www.example.test")

    def msg(qt, an, flags=0x8180, ancount=None, nscount=0, rest=b""):
        n = len(an) if ancount is None else ancount
        h = struct.pack(">HHHHHH", 0x1234, flags, 1, n, nscount, 0)
        return h + Q + struct.pack(">HH", qt, 1) + b"".join(an) + rest

    def rr(nm, t, data, ttl=300):
        return nm + struct.pack(">HHIH", t, 1, ttl, len(data)) + data
    PTR = b"\xc0\x0c"
    a = rr(PTR, 1, bytes([10, 0, 0, 9]))
    aaaa = rr(PTR, 28, bytes(15) + b"\x01")
    write("dns", "a", b"\0" + msg(1, [a, rr(PTR, 1, bytes([10, 0, 0, 8]))]))
    write("dns", "aaaa", b"\1" + msg(28, [aaaa]))
    cn = rr(PTR, 5, name("real.example.test"))
    write("dns", "cname", b"\0" + msg(1, [cn, rr(b"\xc0\x2e", 1, bytes([10, 0, 0, 7]))]))
    soa = rr(name("example.test"), 6, name("ns.example.test") + PTR + struct.pack(">IIIII", 1, 2, 3, 4, 60))
    write("dns", "nxdomain", b"\0" + msg(1, [], flags=0x8183, nscount=1, rest=soa))
    write("dns", "loop", b"\0" + msg(1, [rr(b"\xc0\x22", 1, bytes(4))]))
    write("dns", "self-ptr", b"\0" + msg(1, [], ancount=1, rest=b"\xc0\x22"))
    write("dns", "truncated", b"\0" + msg(1, [a])[:-3])
    write("dns", "tc", b"\0" + msg(1, [], flags=0x8380))
    write("dns", "bad-rdata", b"\0" + msg(1, [rr(PTR, 1, bytes(5))]))


# --- ipv6: flags dt len packet (from the IPv6 header) ----------------------
def ipv6_corpus():
    from scapy.all import (IPv6, ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RS,
                           ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
                           ICMPv6NDOptPrefixInfo, ICMPv6NDOptMTU, ICMPv6MLQuery, ICMPv6PacketTooBig,
                           ICMPv6DestUnreach, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting,
                           IPv6ExtHdrFragment, RouterAlert, fragment6)
    LL, PLL = "fe80::ff:fe00:1", "fe80::ff:fe00:2"
    G, PG = "2001:db8::1", "2001:db8::2"
    SN = "ff02::1:ff00:1"
    FIXLEN, FIXCS, HOP255, SRCLL, DSTLL, DSTG, PING, READ = 1, 2, 4, 8, 16, 32, 64, 128

    def b(p):
        return bytes(p)
    echo = b(IPv6(src=PG, dst=G) / ICMPv6EchoRequest(id=1, seq=1, data=b"ping"))
    write("ipv6", "echo", rec(0, 0, echo))
    write("ipv6", "echo-ll", rec(0, 0, b(IPv6(src=PLL, dst=LL) / ICMPv6EchoRequest(data=b"x" * 56))))
    write("ipv6", "echo-fixups", rec(FIXLEN | FIXCS | SRCLL | DSTLL, 0, b(IPv6() / ICMPv6EchoRequest(data=b"y" * 8))))
    ns = b(IPv6(src=PLL, dst=SN, hlim=255) / ICMPv6ND_NS(tgt=LL) / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC))
    write("ipv6", "ns", rec(DSTLL | DSTG, 0, ns))
    write("ipv6", "ns-dad", rec(DSTLL | DSTG | FIXCS, 0, b(IPv6(src="::", dst=SN, hlim=255) / ICMPv6ND_NS(tgt=LL))))
    write("ipv6", "ns-hop64", rec(0, 0, b(IPv6(src=PLL, dst=SN, hlim=64) / ICMPv6ND_NS(tgt=LL))))
    na = b(IPv6(src=PG, dst=G, hlim=255) / ICMPv6ND_NA(tgt=PG, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=PEER_MAC))
    write("ipv6", "ping-out-na", rec(PING, 10, b"") + rec(0, 0, na) + rec(0, 150, echo))
    write("ipv6", "rs", rec(0, 0, b(IPv6(src=PLL, dst="ff02::2", hlim=255) / ICMPv6ND_RS())))
    ra = b(IPv6(src=PLL, dst="ff02::1", hlim=255) / ICMPv6ND_RA(routerlifetime=1800) /
           ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC) / ICMPv6NDOptMTU(mtu=1400) /
           ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, L=1, A=1, validlifetime=600,
                                 preferredlifetime=300))
    write("ipv6", "ra-slaac", rec(0, 200, ra) + rec(0, 255, b""))
    write("ipv6", "ra-hop64", rec(0, 0, b(IPv6(src=PLL, dst="ff02::1", hlim=64) / ICMPv6ND_RA())))
    write("ipv6", "ra-global-src", rec(0, 0, b(IPv6(src=PG, dst="ff02::1", hlim=255) / ICMPv6ND_RA())))
    write("ipv6", "redirect", rec(0, 0, b(IPv6(src=PLL, dst=LL, hlim=255) /
                                       ICMPv6ND_Redirect(tgt=PLL, dst="2001:db8:9::1"))))
    write("ipv6", "mld-query", rec(0, 0, b(IPv6(src=PLL, dst="ff02::1", hlim=1) /
                                        IPv6ExtHdrHopByHop(options=[RouterAlert()]) / ICMPv6MLQuery())))
    inner = b(IPv6(src=G, dst=PG) / ICMPv6EchoRequest(data=b"z" * 1400))
    write("ipv6", "too-big", rec(0, 0, b(IPv6(src=PG, dst=G) / ICMPv6PacketTooBig(mtu=1280) / inner[:1180])))
    write("ipv6", "unreach", rec(0, 0, b(IPv6(src=PG, dst=G) / ICMPv6DestUnreach(code=4) / inner[:100])))
    # An error about a UDP datagram of ours behind destination options and
    # a first fragment: the quote's own extension headers are walked.
    quoted = b(IPv6(src=G, dst=PG) / IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(id=5, m=1) /
               UDP(sport=7, dport=5000) / (b"q" * 16))
    write("ipv6", "unreach-ext", rec(0, 0, b(IPv6(src=PG, dst=G) / ICMPv6DestUnreach(code=4) / quoted)))
    chain = b(IPv6(src=PG, dst=G) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
              IPv6ExtHdrRouting(type=4, segleft=0, addresses=[]) / ICMPv6EchoRequest())
    write("ipv6", "ext-chain", rec(0, 0, chain))
    write("ipv6", "ext-truncated", rec(FIXLEN, 0, chain[:44]) + rec(0, 0, chain[:40] + b"\x3c\x20"))
    write("ipv6", "ext-unknown", rec(0, 0, b(IPv6(src=PG, dst=G, nh=253) / (b"\0" * 16))))
    write("ipv6", "hbh-not-first", rec(0, 0, b(IPv6(src=PG, dst=G) / IPv6ExtHdrDestOpt(nh=0) /
                                            IPv6ExtHdrHopByHop() / ICMPv6EchoRequest())))
    big = IPv6(src=PG, dst=G) / IPv6ExtHdrFragment(id=7) / ICMPv6EchoRequest(data=b"f" * 3000)
    write("ipv6", "frags", b"".join(rec(0, 0, b(f)) for f in fragment6(big, 1280)))
    write("ipv6", "frags-reversed", b"".join(rec(0, 0, b(f)) for f in reversed(fragment6(big, 1280))))
    write("ipv6", "frags-endless", b"".join(
        rec(0, 0, b(IPv6(src=PG, dst=G) / IPv6ExtHdrFragment(id=9, offset=k * 16, m=1, nh=58) / (b"e" * 128)))
        for k in range(40)) + rec(0, 250, b""))
    write("ipv6", "frag-atomic", rec(0, 0, b(IPv6(src=PG, dst=G) / IPv6ExtHdrFragment(id=3, m=0) /
                                          ICMPv6EchoRequest())))
    write("ipv6", "udp", rec(READ, 0, b(IPv6(src=PG, dst=G) / UDP(sport=5000, dport=7) / b"hello")) +
          rec(0, 0, b(IPv6(src=PG, dst=G) / UDP(sport=5000, dport=9) / b"noport")))
    write("ipv6", "tcp-syn", rec(0, 0, b(IPv6(src=PG, dst=G) / TCP(sport=40000, dport=80, flags="S", seq=1,
                                                                  options=[("MSS", 1440)]))) +
          rec(0, 0, b(IPv6(src=PG, dst=G) / TCP(sport=40001, dport=81, flags="S"))))


if __name__ == "__main__":
    which = sys.argv[1:] or ["frame", "frag", "tcp", "ctl", "dhcp", "dns", "ipv6"]
    for t in which:
        globals()[t + "_corpus"]()
