#!/usr/bin/env python3
"""A hostile DHCP server for 47-dhcp.sh, on the kernel's side of the TAP.

    47_dhcpbad.py IFACE SERVER-ADDR YIADDR

Reads frames on IFACE (an AF_PACKET socket).  To a DISCOVER it first sends
bad replies, each of which the client must drop and count, then a good
OFFER of YIADDR carrying garbage options; to the REQUEST that follows, an
ACK (60 s lease) with the same garbage.  Prints "ready", then one line per
message answered.
"""
import os
import socket
import struct
import sys
import time

from inet_csum import csum

IFACE, SERVER, YIADDR = sys.argv[1], sys.argv[2], sys.argv[3]
SMAC = bytes.fromhex("02fe00000001")
COOKIE = struct.pack("!I", 0x63825363)


def frame(dmac, payload):
    udp = struct.pack("!HHHH", 67, 68, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(SERVER), b"\xff\xff\xff\xff")
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dmac + SMAC + b"\x08\x00" + ip + udp


def bootp(xid, chaddr, op=2):
    return (struct.pack("!BBBBIHH4s4s4s4s", op, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4,
                        socket.inet_aton(YIADDR), b"\0" * 4, b"\0" * 4)
            + chaddr.ljust(16, b"\0") + b"\0" * 192)


def opt(code, val):
    return bytes([code, len(val)]) + val


GARBAGE = (opt(224, os.urandom(10)) + opt(3, b"\x0a\x00\x00") + opt(53, b"\x09\x09")
           + opt(250, b"") + b"\0\0\0")


def good(mtype, lease=False):
    o = GARBAGE + opt(53, bytes([mtype])) + opt(54, socket.inet_aton(SERVER))
    o += opt(1, socket.inet_aton("255.255.255.0")) + opt(3, socket.inet_aton(SERVER))
    o += opt(6, socket.inet_aton(SERVER))
    if lease:
        o += opt(51, struct.pack("!I", 60))
    return o + b"\xff"


s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((IFACE, 0))
print("ready", flush=True)
while True:
    f = s.recv(4096)
    if len(f) < 14 + 20 + 8 + 240 or f[12:14] != b"\x08\x00" or f[23] != 17:
        continue
    ihl = (f[14] & 15) * 4
    udp = f[14 + ihl:]
    if struct.unpack("!H", udp[2:4])[0] != 67:
        continue
    d = udp[8:]
    if d[0] != 1 or d[236:240] != COOKIE:
        continue
    xid = struct.unpack("!I", d[4:8])[0]
    chaddr = d[28:34]
    i, mtype = 240, 0
    while i + 1 < len(d) and d[i] != 255:
        if d[i] == 0:
            i += 1
            continue
        if d[i] == 53:
            mtype = d[i + 2]
        i += 2 + d[i + 1]
    b = b"\xff" * 6
    if mtype == 1:
        offer = good(2)
        bad = [
            bootp(xid ^ 1, chaddr) + COOKIE + offer,                      # wrong xid
            bootp(xid, b"\x02\x00\x00\x00\x00\x99") + COOKIE + offer,     # wrong chaddr
            bootp(xid, chaddr) + b"\x01\x02\x03\x04" + offer,             # no cookie
            (bootp(xid, chaddr) + COOKIE + offer)[:200],                  # cut short
            bootp(xid, chaddr) + COOKIE + opt(53, b"\x02") + b"\x36\x40\x0a",  # option past the end
            bootp(xid, chaddr) + COOKIE + opt(53, b"\x02"),               # no END
            bootp(xid, chaddr, op=1) + COOKIE + offer,                    # BOOTREQUEST
            bootp(xid, chaddr) + COOKIE + GARBAGE + opt(53, b"\x02") + b"\xff",  # no server id
            bootp(xid, chaddr) + COOKIE + opt(53, b"\x05") + opt(54, socket.inet_aton(SERVER)) + b"\xff",  # ACK unasked
            b"\x02" * 17,                                                 # junk
        ]
        # Paced, as a server's replies come: a loaded machine once lost
        # part of an unpaced burst before the client counted it.
        for p in bad:
            s.send(frame(b, p))
            time.sleep(0.01)
        s.send(frame(b, bootp(xid, chaddr) + COOKIE + offer))
        print("offer xid %08x: %d bad, then good" % (xid, len(bad)), flush=True)
    elif mtype == 3:
        # On CI a frame of these bursts has twice gone uncounted, cause
        # not found: 47-dhcp logs the counters on both sides of the TAP.
        s.send(frame(b, bootp(xid ^ 7, chaddr) + COOKIE + good(5, True)))  # wrong xid
        time.sleep(0.01)
        s.send(frame(b, bootp(xid, chaddr) + COOKIE + good(5, True)))
        print("ack xid %08x" % xid, flush=True)
