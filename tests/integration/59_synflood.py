#!/usr/bin/env python3
"""A SYN flood from the kernel's side of the TAP, for 59-tcp-synflood.sh.

    59_synflood.py IFACE DST_MAC DST_IP DST_PORT COUNT RATE SRC_NET/PREFIX

Sends COUNT TCP SYNs to DST_IP:DST_PORT (frames to DST_MAC) from random
addresses of SRC_NET and random ports, at about RATE a second in bursts of
200, on a raw AF_PACKET socket (frames built here, checksums and all: as
fast as Python goes, which scapy's per-packet objects are not).  Each SYN
has the options a Linux client sends (MSS, SACK-permitted, timestamps,
window scale) so that the stack's cookie path carries all of them.
Prints "started" after the first burst and "sent N" at the end."""
import os
import random
import socket
import struct
import sys
import time

from inet_csum import csum


def main():
    iface, dmac, dip, dport, count, rate, srcnet = sys.argv[1:8]
    dport, count, rate = int(dport), int(count), int(rate)
    net, plen = srcnet.split("/")
    base = struct.unpack("!I", socket.inet_aton(net))[0]
    span = 1 << (32 - int(plen))
    dmac_b = bytes.fromhex(dmac.replace(":", ""))
    dip_b = socket.inet_aton(dip)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    smac_b = s.getsockname()[4][:6]
    rnd = random.Random(int.from_bytes(os.urandom(8), "little"))
    # MSS 1460, SACK-permitted, timestamps, NOP, window scale 7 (Linux's order)
    sent = 0
    started = False
    burst = 200
    t0 = time.monotonic()
    while sent < count:
        for _ in range(min(burst, count - sent)):
            src = struct.pack("!I", base + rnd.randrange(1, span - 1))
            sport = rnd.randrange(1024, 65536)
            seq = rnd.getrandbits(32)
            opts = struct.pack("!BBH", 2, 4, 1460) + bytes([4, 2, 8, 10]) + \
                struct.pack("!II", rnd.getrandbits(32), 0) + bytes([1, 3, 3, 7])
            th = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + len(opts) // 4) << 4,
                             0x02, 64240, 0, 0) + opts
            pseudo = src + dip_b + struct.pack("!BBH", 0, 6, len(th))
            th = th[:16] + struct.pack("!H", csum(pseudo + th)) + th[18:]
            ih = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(th), rnd.getrandbits(16), 0x4000,
                             64, 6, 0, src, dip_b)
            ih = ih[:10] + struct.pack("!H", csum(ih)) + ih[12:]
            frame = dmac_b + smac_b + b"\x08\x00" + ih + th
            try:
                s.send(frame)
            except OSError:
                pass    # the TAP's queue is full: that SYN is lost, as on a wire
            sent += 1
        if not started:
            print("started", flush=True)
            started = True
        # pace: where we should be at RATE
        ahead = sent / rate - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    print("sent %d in %.1f s" % (sent, time.monotonic() - t0), flush=True)


if __name__ == "__main__":
    main()
