"""57_tcp_fuzz.py: hostile TCP segments for the stack, with valid checksums
(most of them) so they get past the checksum and into the state machine.

usage: 57_tcp_fuzz.py IFACE DST_MAC SRC_MAC COUNT SEED PORT...
Each segment has random flags, sequence and acknowledgement numbers,
window, header length (3..15 words, so some lie), option bytes and data;
its ports are mostly the given ones (a listener, a connection), so the
listener and the connection see them.  Prints "sent N"."""
import random
import struct
import sys

from inet_csum import csum

from scapy.all import IP, Ether, Raw, conf, sendp

conf.verb = 0


def segment(rng, ports, peer_ports):
    dport = rng.choice(ports + [rng.randint(1, 65535)])
    sport = rng.choice(peer_ports + [rng.randint(1, 65535)])
    doff = rng.choice([5, 5, 5, 6, 8, 10, 15, 3, 4, 0])
    opts = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 4, 8, 12, 20, 40])))
    data = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 1, 100, 1400])))
    hdr = struct.pack("!HHIIBBHHH", sport, dport, rng.getrandbits(32), rng.getrandbits(32),
                      doff << 4, rng.getrandbits(8), rng.getrandbits(16), 0, rng.getrandbits(16))
    seg = hdr + opts + data
    pseudo = bytes([10, 0, 0, 1, 10, 0, 0, 2, 0, 6]) + struct.pack("!H", len(seg))
    ck = csum(pseudo + seg)
    if rng.random() < 0.05:
        ck ^= 1  # and a few with a bad checksum
    return seg[:16] + struct.pack("!H", ck) + seg[18:]


def main():
    iface, dst_mac, src_mac, count, seed = sys.argv[1:6]
    ports = [int(p) for p in sys.argv[6:]]
    rng = random.Random(int(seed))
    frames = [Ether(dst=dst_mac, src=src_mac) / IP(src="10.0.0.1", dst="10.0.0.2", proto=6) /
              Raw(segment(rng, ports, [7000])) for _ in range(int(count))]
    sendp(frames, iface=iface)
    print("sent", len(frames))


main()
