#!/usr/bin/python3
"""Send malformed frames to imp's stack through the kernel's side of its TAP.

    bad_input.py --iface imp0 --dst-mac MAC [--src-mac MAC] [--dst IP] [--src IP] GROUP

Frames are built with scapy and written on an AF_PACKET socket bound to the
interface, so they reach the stack exactly as built.  Prints one line

    sent N expect M

N frames written; M of them are each malformed in the way the group is about,
so the counter that group checks must grow by at least M.  Exit 3 when the
kernel refuses every frame of the group (it does for frames shorter than an
Ethernet header), 2 on a usage error.

Groups: runt eth-only ip-cut ip-csum ihl-small ihl-big totlen-long totlen-short
version wrong-dst unknown-proto frag-overlap frag-flood-one frag-flood-ids
random icmp-csum icmp-short arp-bad ether-unknown
"""

import argparse
import os
import random
import socket
import struct
import sys
import time

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.utils import checksum

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806


def csum(b):
    return checksum(bytes(b))


def ip_header(src, dst, *, ihl=5, ver=4, tot_len=None, ident=1, flags_off=0,
              ttl=64, proto=1, options=b"", payload_len=0, cks=None):
    """An IPv4 header as bytes; checksum correct over the header unless cks."""
    if tot_len is None:
        tot_len = ihl * 4 + payload_len
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | (ihl & 15), 0, tot_len & 0xFFFF,
                    ident & 0xFFFF, flags_off, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + options
    c = csum(h) if cks is None else cks
    return h[:10] + struct.pack("!H", c) + h[12:]


def bad(c):
    """A checksum value that is wrong for a header whose right one is c.
    (0x0000 and 0xffff are the same in one's complement.)"""
    for d in (1, 2, 3):
        x = (c + d) & 0xFFFF
        if x not in (0, 0xFFFF) and x != c:
            return x
    return 0x1234


class Sender:
    def __init__(self, iface):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.bind((iface, 0))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.sent = 0
        self.refused = 0

    def send(self, frame, pace=True):
        frame = bytes(frame)
        for attempt in range(100):
            try:
                self.s.send(frame)
                self.sent += 1
                break
            except OSError as e:
                if e.errno == 22:             # EINVAL: the kernel won't send it
                    self.refused += 1
                    return False
                if e.errno in (105, 11):      # ENOBUFS/EAGAIN: the TAP queue is full
                    time.sleep(0.005)
                    continue
                raise
        else:
            raise OSError("TAP queue stayed full for 0.5 s: is the stack reading?")
        # The TAP's queue holds a few hundred frames: let the stack keep up so
        # frames are counted, not dropped by the kernel before they reach it.
        if pace and self.sent % 64 == 0:
            time.sleep(0.002)
        return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", default="imp0")
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--src-mac", default=None)
    ap.add_argument("--dst", default="10.0.0.2")
    ap.add_argument("--src", default="10.0.0.1")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--count", type=int, default=0, help="frames for random/flood groups")
    ap.add_argument("group")
    a = ap.parse_args()

    if a.src_mac is None:
        with open(f"/sys/class/net/{a.iface}/address") as f:
            a.src_mac = f.read().strip()
    tx = Sender(a.iface)
    eth = bytes(Ether(dst=a.dst_mac, src=a.src_mac, type=ETH_P_IP))
    eth_arp = bytes(Ether(dst=a.dst_mac, src=a.src_mac, type=ETH_P_ARP))
    src, dst = a.src, a.dst

    def echo(ident=0x4242, seq=1, data=b"imp-bad-input!!!"):
        return bytes(ICMP(type=8, id=ident, seq=seq) / data)

    expect = 0
    g = a.group

    if g == "runt":
        # Shorter than an Ethernet header.  Linux's packet sockets refuse
        # these (EINVAL), so they can't reach the stack through a TAP.
        for n in (1, 6, 12, 13):
            tx.send(eth[:n])
        expect = tx.sent

    elif g == "eth-only":
        # An Ethernet header saying IPv4, and nothing after it.
        for _ in range(20):
            tx.send(eth)
        expect = 20

    elif g == "ip-cut":
        # The IPv4 header cut short: 1..19 bytes of it.
        h = ip_header(src, dst, payload_len=24)
        for n in range(1, 20):
            tx.send(eth + h[:n])
        expect = 19

    elif g == "ip-csum":
        # Good echo requests whose IP header checksum is wrong.
        for i in range(20):
            p = echo(seq=i)
            h = ip_header(src, dst, ident=100 + i, payload_len=len(p))
            c = struct.unpack("!H", h[10:12])[0]
            h = ip_header(src, dst, ident=100 + i, payload_len=len(p), cks=bad(c))
            tx.send(eth + h + p)
        expect = 20

    elif g == "ihl-small":
        # IHL 0..4: a header shorter than the 20 bytes every header has.
        for ihl in range(0, 5):
            for i in range(4):
                p = echo(seq=i)
                h = ip_header(src, dst, ihl=ihl, tot_len=20 + len(p), ident=200 + i)
                # checksum over the 20 bytes that are there
                h = h[:10] + b"\0\0" + h[12:]
                h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
                tx.send(eth + h + p)
        expect = 20

    elif g == "ihl-big":
        # IHL claims more header than the datagram's total length.
        n = 0
        for ihl in (6, 8, 15):
            for i in range(4):
                opts = b"\x01" * (ihl * 4 - 20)          # NOPs
                tot = ihl * 4 - 4                         # 4 bytes short of the header
                h = ip_header(src, dst, ihl=ihl, tot_len=tot, ident=300 + n, options=opts)
                tx.send(eth + h[:tot])
                n += 1
        expect = n

    elif g == "totlen-long":
        # Total length beyond the end of the frame.
        n = 0
        for tot in (100, 1500, 9000, 65535):
            for i in range(5):
                p = echo(seq=i)
                h = ip_header(src, dst, tot_len=tot, ident=400 + n)
                tx.send(eth + h + p)
                n += 1
        expect = n

    elif g == "totlen-short":
        # Total length shorter than the header itself.
        n = 0
        for tot in (0, 1, 10, 19):
            for i in range(5):
                p = echo(seq=i)
                h = ip_header(src, dst, tot_len=tot, ident=500 + n)
                tx.send(eth + h + p)
                n += 1
        expect = n

    elif g == "version":
        # IP version other than 4 in an IPv4 frame, header otherwise good.
        n = 0
        for ver in (0, 5, 6, 15):
            for i in range(5):
                p = echo(seq=i)
                h = ip_header(src, dst, ver=ver, ident=600 + n, payload_len=len(p))
                tx.send(eth + h + p)
                n += 1
        expect = n

    elif g == "wrong-dst":
        # Good datagrams to our MAC but another IP address (we don't forward).
        for i in range(10):
            p = echo(seq=i)
            h = ip_header(src, "10.0.0.77", ident=700 + i, payload_len=len(p))
            tx.send(eth + h + p)
        expect = 10

    elif g == "unknown-proto":
        # Good datagrams of transport protocols nobody implements.
        n = 0
        for proto in (2, 50, 132, 253):
            for i in range(3):
                h = ip_header(src, dst, proto=proto, ident=800 + n, payload_len=16)
                tx.send(eth + h + bytes(16))
                n += 1
        expect = n

    elif g == "frag-overlap":
        # Datagrams whose fragments overlap (RFC 5722 says: drop them whole).
        # UDP, so the (src, dst, id, proto) keys never meet the kernel's pings.
        n = 0
        patterns = [
            # (offset in 8-byte units, length in bytes, more-fragments)
            [(0, 24, 1), (2, 24, 1), (5, 8, 0)],      # 2nd starts inside the 1st
            [(2, 16, 1), (0, 40, 1), (5, 8, 0)],      # 2nd contains the 1st
            [(3, 16, 0), (0, 32, 1)],                 # 2nd runs into the last
            [(0, 16, 1), (4, 16, 1), (1, 8, 1), (6, 8, 0)],  # 3rd falls inside the 1st
        ]
        for rep in range(3):
            for pat in patterns:
                ident = 0x7000 + n
                body = bytes(range(256)) * 2
                for off, ln, mf in pat:
                    fo = (0x2000 if mf else 0) | off
                    h = ip_header(src, dst, proto=17, ident=ident, flags_off=fo,
                                  payload_len=ln)
                    tx.send(eth + h + body[off * 8: off * 8 + ln])
                n += 1
        expect = n

    elif g == "frag-flood-one":
        # One datagram that never completes: 2000 fragments, MF always set.
        count = a.count or 2000
        ident = 0x7A00
        for i in range(count):
            h = ip_header(src, dst, proto=17, ident=ident, flags_off=0x2000 | (i % 8000),
                          payload_len=8)
            tx.send(eth + h + bytes(8))
        expect = 1

    elif g == "frag-flood-ids":
        # Many datagrams, each only a first fragment that never gets its rest:
        # 6000 x 1400 bytes is 8 MB, more than a reassembly queue should keep.
        count = a.count or 6000
        for i in range(count):
            ident = (0x8000 + i) & 0xFFFF
            h = ip_header(src, dst, proto=17, ident=ident, flags_off=0x2000,
                          payload_len=1400)
            tx.send(eth + h + bytes(1400))
        expect = 1

    elif g == "random":
        # Seeded random junk, and random junk behind plausible headers.
        rnd = random.Random(a.seed)
        count = a.count or 3000
        mine = {socket.inet_aton(src), socket.inet_aton(dst)}
        macb = bytes.fromhex(a.dst_mac.replace(":", ""))
        srcb = bytes.fromhex(a.src_mac.replace(":", ""))

        def rb(n):
            return bytes(rnd.getrandbits(8) for _ in range(n))

        for i in range(count):
            kind = i % 6
            ln = rnd.choice([rnd.randint(14, 64), rnd.randint(14, 1514)])
            if kind == 0:                      # all random, random MACs
                f = rb(ln)
            elif kind == 1:                    # to us, random type and body
                f = macb + srcb + rb(ln - 12)
            elif kind == 2:                    # to us, IPv4, random "header"
                f = macb + srcb + b"\x08\x00" + rb(max(0, ln - 14))
            elif kind == 3:                    # to us, ARP, random body
                f = macb + srcb + b"\x08\x06" + rb(max(0, ln - 14))
                body = f[14:]
                # never let junk claim the peer's or our own address
                if len(body) >= 18 and body[14:18] in mine:
                    f = f[:28] + b"\x0a\x63\x63\x63" + f[32:]
            else:                              # good IPv4 header, random rest
                proto = rnd.choice([1, 6, 17, rnd.randint(0, 255)])
                plen = rnd.randint(0, 1480)
                h = ip_header("192.0.2.%d" % rnd.randint(1, 254), dst, proto=proto,
                              ident=rnd.getrandbits(16),
                              flags_off=rnd.choice([0, 0, 0x4000, 0x2000 | rnd.randint(0, 200),
                                                    rnd.randint(0, 300)]),
                              tot_len=rnd.choice([20 + plen, 20 + plen, rnd.getrandbits(16)]),
                              payload_len=plen)
                if kind == 5:
                    # ICMP with random type/code and a right checksum
                    body = bytes([rnd.randint(0, 255), rnd.randint(0, 255), 0, 0]) + rb(max(0, plen - 4))
                    if len(body) >= 4:
                        c = csum(body)
                        body = body[:2] + struct.pack("!H", c) + body[4:]
                    h = ip_header("192.0.2.%d" % rnd.randint(1, 254), dst, proto=1,
                                  ident=rnd.getrandbits(16), payload_len=len(body))
                    f = eth + h + body
                else:
                    f = eth + h + rb(plen)
            if len(f) < 14:
                f = f + bytes(14 - len(f))
            tx.send(f[:1514])
        expect = count

    elif g == "icmp-csum":
        # Echo requests (and other ICMP) with a wrong ICMP checksum.
        n = 0
        for i in range(20):
            p = bytearray(echo(seq=i))
            c = struct.unpack("!H", p[2:4])[0]
            p[2:4] = struct.pack("!H", bad(c))
            h = ip_header(src, dst, ident=900 + n, payload_len=len(p))
            tx.send(eth + h + bytes(p))
            n += 1
        expect = n

    elif g == "icmp-short":
        # ICMP messages shorter than an ICMP header (4 or 8 bytes).
        n = 0
        for ln in (0, 1, 2, 3):
            for i in range(5):
                p = echo(seq=i)[:ln]
                h = ip_header(src, dst, ident=1000 + n, payload_len=ln)
                tx.send(eth + h + p)
                n += 1
        expect = n

    elif g == "arp-bad":
        # Malformed ARP: wrong hardware/protocol address lengths, truncated.
        good = bytes(ARP(op=1, hwsrc=a.src_mac, psrc=src, hwdst="00:00:00:00:00:00", pdst=dst))
        n = 0
        for hlen, plen in ((5, 4), (0, 4), (6, 3), (6, 16), (255, 255)):
            for i in range(4):
                f = bytearray(good)
                f[4], f[5] = hlen, plen
                tx.send(eth_arp + bytes(f))
                n += 1
        for cut in (0, 4, 8, 14, 20, 27):          # truncated (a whole one is 28)
            for i in range(2):
                tx.send(eth_arp + good[:cut])
                n += 1
        expect = n
        # Not counted in expect (a stack may just ignore them): unknown
        # hardware type, protocol type, opcode.
        for off, val in ((0, b"\x00\x06"), (2, b"\x86\xdd"), (6, b"\x00\x63")):
            f = bytearray(good)
            f[off:off + 2] = val
            tx.send(eth_arp + bytes(f))

    elif g == "ether-unknown":
        # Ethernet types the stack doesn't speak.
        n = 0
        for t in (0x88B5, 0x9000, 0x1234, 0x0600):
            for i in range(5):
                tx.send(bytes(Ether(dst=a.dst_mac, src=a.src_mac, type=t)) + bytes(46))
                n += 1
        expect = n

    else:
        print(f"unknown group {g}", file=sys.stderr)
        return 2

    if tx.sent == 0 and tx.refused:
        print(f"sent 0 expect 0 refused {tx.refused}")
        return 3
    if not g.startswith("frag-flood"):
        expect = min(expect, tx.sent)
    print(f"sent {tx.sent} expect {expect}" + (f" refused {tx.refused}" if tx.refused else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
