#!/usr/bin/python3
"""Crafted IPv6 frames for test 11, sent on the kernel's side of the TAP.

    11_ipv6.py IFACE DSTMAC SRCMAC KERNEL-LL STACK-ADDR GROUP

GROUP is one of:
    ra              a router advertisement from KERNEL-LL to all-nodes:
                    prefix 2001:db8:1::/64 with the L and A flags (valid
                    3600 s, preferred 1800 s), router lifetime 600 s, the
                    source link-layer address, an MTU option of 1500
    nd-hoplimit     NS and an RA (prefix 2001:db8:2::/64) with hop limit 254
    nd-optlen0      NS whose source link-layer option has length 0
    nd-opttrunc     NS whose option claims more bytes than are there
    nd-short        NS cut inside its target address
    nd-source       RA from a global source, DAD NS (from ::) to a unicast
    nd-target       NS for a multicast target
    ext-trunc       hop-by-hop header past the end of the packet
    ext-chain       20 destination options headers before an echo request
    ext-badopt      destination option of unknown type 0x80 (answer) and 0x40
    ext-notfirst    hop-by-hop after a destination options header
    ext-unknown     next header 253
    frag-flood      200 first fragments of different datagrams, never ended
    frag-flood-one  100 fragments of one datagram, never ended
    frag-overlap    two overlapping fragments of one datagram
    icmp6-csum      echo request with a wrong checksum
Each group sends 5 of each frame it names unless it says otherwise; the
shell side checks the counters.
"""

import socket
import sys

from scapy.layers.inet6 import (ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6ND_RA,
                                ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
                                ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrDestOpt,
                                IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                HBHOptUnknown)
from scapy.layers.l2 import Ether
from scapy.packet import Raw


def sn(a):
    """The solicited-node group of a and its MAC."""
    b = socket.inet_pton(socket.AF_INET6, a)
    g = socket.inet_ntop(socket.AF_INET6, bytes.fromhex("ff0200000000000000000001ff") + b[13:])
    return g, "33:33:ff:%02x:%02x:%02x" % (b[13], b[14], b[15])


def main():
    iface, dmac, smac, kll, addr, group = sys.argv[1:7]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    eth = Ether(dst=dmac, src=smac)
    allnodes = Ether(dst="33:33:00:00:00:01", src=smac)
    sng, snmac = sn(addr)
    ksrc = "2001:db8::1"

    def send(p, n=5):
        for _ in range(n):
            s.send(bytes(p))

    def ns(**kw):
        return eth / IPv6(src=ksrc, dst=addr, hlim=kw.pop("hlim", 255)) / ICMPv6ND_NS(tgt=addr)

    if group == "ra":
        send(allnodes / IPv6(src=kll, dst="ff02::1", hlim=255) /
             ICMPv6ND_RA(routerlifetime=600) / ICMPv6NDOptSrcLLAddr(lladdr=smac) /
             ICMPv6NDOptMTU(mtu=1500) /
             ICMPv6NDOptPrefixInfo(prefix="2001:db8:1::", prefixlen=64, L=1, A=1,
                                   validlifetime=3600, preferredlifetime=1800), 1)
    elif group == "nd-hoplimit":
        send(ns(hlim=254) / ICMPv6NDOptSrcLLAddr(lladdr=smac))
        send(allnodes / IPv6(src=kll, dst="ff02::1", hlim=254) / ICMPv6ND_RA() /
             ICMPv6NDOptPrefixInfo(prefix="2001:db8:2::", prefixlen=64, L=1, A=1))
    elif group == "nd-optlen0":
        send(ns() / Raw(b"\x01\x00" + bytes.fromhex(smac.replace(":", ""))))
    elif group == "nd-opttrunc":
        send(ns() / Raw(b"\x01\x02" + bytes.fromhex(smac.replace(":", ""))))
    elif group == "nd-short":
        p = IPv6(bytes(IPv6(src=ksrc, dst=addr, hlim=255) / ICMPv6ND_NS(tgt=addr)))
        raw = bytes(p)[:40 + 16]
        # payload length and checksum made right for the cut message
        cut = IPv6(src=ksrc, dst=addr, hlim=255, nh=58) / Raw(raw[40:])
        from scapy.layers.inet6 import in6_chksum
        body = bytearray(raw[40:])
        body[2:4] = b"\0\0"
        c = in6_chksum(58, cut, bytes(body))
        body[2:4] = c.to_bytes(2, "big")
        send(eth / IPv6(src=ksrc, dst=addr, hlim=255, nh=58) / Raw(bytes(body)))
    elif group == "nd-source":
        send(allnodes / IPv6(src=ksrc, dst="ff02::1", hlim=255) / ICMPv6ND_RA() /
             ICMPv6NDOptPrefixInfo(prefix="2001:db8:3::", prefixlen=64, L=1, A=1))
        send(eth / IPv6(src="::", dst=addr, hlim=255) / ICMPv6ND_NS(tgt=addr))
    elif group == "nd-target":
        send(Ether(dst=snmac, src=smac) / IPv6(src=ksrc, dst=sng, hlim=255) /
             ICMPv6ND_NS(tgt="ff02::1") / ICMPv6NDOptSrcLLAddr(lladdr=smac))
    elif group == "ext-trunc":
        # next header 0, and hdrlen 3 (32 bytes) in a 16-byte payload
        send(eth / IPv6(src=ksrc, dst=addr, nh=0) / Raw(b"\x3a\x03" + bytes(14)))
        send(eth / IPv6(src=ksrc, dst=addr, nh=0) / Raw(b"\x3a"))
    elif group == "ext-chain":
        p = ICMPv6EchoRequest(id=7, seq=1)
        for _ in range(20):
            p = IPv6ExtHdrDestOpt() / p
        send(eth / IPv6(src=ksrc, dst=addr) / p)
    elif group == "ext-badopt":
        send(eth / IPv6(src=ksrc, dst=addr) /
             IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x80, optdata=b"\0\0\0\0")]) /
             ICMPv6EchoRequest(id=8, seq=1))
        send(eth / IPv6(src=ksrc, dst=addr) /
             IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x40, optdata=b"\0\0\0\0")]) /
             ICMPv6EchoRequest(id=9, seq=1))
    elif group == "ext-notfirst":
        send(eth / IPv6(src=ksrc, dst=addr) / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() /
             ICMPv6EchoRequest(id=10, seq=1))
    elif group == "ext-unknown":
        send(eth / IPv6(src=ksrc, dst=addr, nh=253) / Raw(bytes(16)))
    elif group == "frag-flood":
        for i in range(200):
            s.send(bytes(eth / IPv6(src=ksrc, dst=addr) /
                         IPv6ExtHdrFragment(nh=58, offset=0, m=1, id=0x10000 + i) / Raw(bytes(64))))
    elif group == "frag-flood-one":
        for i in range(100):
            s.send(bytes(eth / IPv6(src=ksrc, dst=addr) /
                         IPv6ExtHdrFragment(nh=58, offset=1 + i, m=1, id=0x20000) / Raw(bytes(8))))
    elif group == "frag-overlap":
        send(eth / IPv6(src=ksrc, dst=addr) /
             IPv6ExtHdrFragment(nh=58, offset=0, m=1, id=0x30000) / Raw(bytes(64)), 1)
        send(eth / IPv6(src=ksrc, dst=addr) /
             IPv6ExtHdrFragment(nh=58, offset=4, m=0, id=0x30000) / Raw(bytes(64)), 1)
    elif group == "icmp6-csum":
        send(eth / IPv6(src=ksrc, dst=addr) / ICMPv6EchoRequest(id=11, seq=1, cksum=0x1234))
    else:
        sys.exit("unknown group " + group)


main()
