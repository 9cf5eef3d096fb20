#!/usr/bin/python3
"""ICMP echo through an imp icmp socket's data file (test 43).

    43_echo.py DATA [--count N] [--size S] [--seq0 Q] [--timeout T]
        For each of N requests: write an echo request (type 8, code 0,
        checksum 0, identifier 0, sequence Q+i, then S bytes) in one write,
        and read until the reply with that sequence (T seconds, default 3).
        One line per reply:
            reply seq Q type T code C id I len L csum ok|bad data ok|bad
        then "done R of N".  An error prints "error ENAME" and stops.

    43_echo.py DATA --raw HEX
        One write of the bytes HEX: "ok N" or "error ENAME".
"""

import argparse
import errno
import os
import select
import struct
import sys
import time

from inet_csum import csum


def errname(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--size", type=int, default=56)
    ap.add_argument("--seq0", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=3)
    ap.add_argument("--raw")
    a = ap.parse_args()

    fd = os.open(a.data, os.O_RDWR)
    if a.raw is not None:
        try:
            print("ok %d" % os.write(fd, bytes.fromhex(a.raw)))
            return 0
        except OSError as e:
            print("error %s" % errname(e))
            return 1
    got = 0
    for i in range(a.count):
        seq = (a.seq0 + i) & 0xFFFF
        payload = bytes(((seq + k) * 13) & 0xFF for k in range(a.size))
        try:
            os.write(fd, struct.pack("!BBHHH", 8, 0, 0, 0, seq) + payload)
        except OSError as e:
            print("error %s" % errname(e), flush=True)
            return 1
        end = time.monotonic() + a.timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                print("timeout seq %d" % seq, flush=True)
                break
            try:
                r = os.read(fd, 70000)
            except OSError as e:
                print("error %s" % errname(e), flush=True)
                return 1
            if len(r) < 8:
                print("short %d" % len(r), flush=True)
                continue
            t, c, _, ident, rseq = struct.unpack("!BBHHH", r[:8])
            if rseq != seq:
                continue
            print("reply seq %d type %d code %d id %d len %d csum %s data %s" %
                  (rseq, t, c, ident, len(r), "ok" if csum(r) == 0 else "bad",
                   "ok" if r[8:] == payload else "bad"), flush=True)
            got += 1
            break
    print("done %d of %d" % (got, a.count))
    return 0 if got == a.count else 1


if __name__ == "__main__":
    sys.exit(main())
