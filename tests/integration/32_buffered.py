#!/usr/bin/python3
"""The cap on what all sockets buffer (impfs --max-buffered), end to end
(32-limits.sh).  The kernel's end is a listener in this namespace; imp's
end is opened through ROOT's files.

    32_buffered.py send ROOT PORT CAP
        imp writes (non-blocking) to a kernel peer that does not read yet,
        until EAGAIN; then the peer reads everything.  Prints
        "wrote N buffered B pollout P took T" at the stop (P: 1 if poll
        said writable right after, T: what a write then took), then
        "received N intact" once the peer has it all.
    32_buffered.py recv ROOT PORT CAP
        the kernel sends 4 MB while imp reads nothing for a second; then imp
        reads it all.  Prints "held B peak P kernel-sent S" after the
        second (B: /imp/stats Buffered, P: its highest sample), then
        "read N intact".

    32_buffered.py park ROOT PORT WRITERS
        WRITERS connections, each's send buffer full (sndbuf 2048, a peer
        that does not read), and a process on each writes 128 KB and waits; prints "parked N
        bytes B" (the peaks of Parked and ParkedBytes), then once the peer
        reads, "writers W refused R short S delivered D of T" (W writes
        done whole, R refused with ENOBUFS, S cut short at what they had
        queued when refused, D bytes the peer got of the T written).

Exit status 0 unless something failed (then a line "error WHAT").
"""

import os
import select
import socket
import sys
import threading
import time

TOTAL = 4 << 20


def pattern(off, n):
    return bytes(((off + i) * 7 + 3) & 0xFF for i in range(n))


PAT = pattern(0, TOTAL)


def stat(root, name, f="stats"):
    with open(os.path.join(root, f)) as fh:
        for line in fh:
            k, _, v = line.partition(":")
            if k == name:
                return int(v)
    raise SystemExit("error no %s in %s" % (name, f))


def imp_connect(root, port, before=None):
    ctl = os.open(os.path.join(root, "tcp/new/ctl"), os.O_RDWR)
    n = os.read(ctl, 32).decode().strip()
    if before:
        os.write(ctl, before)
    os.write(ctl, ("connect 10.0.0.1 %d" % port).encode())
    data = os.open(os.path.join(root, "tcp", n, "data"), os.O_RDWR)
    return ctl, data


def listener(port):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # the peer holds little
    l.bind(("0.0.0.0", port))
    l.listen(1)
    return l


def send(root, port, cap):
    l = listener(port)
    ctl, data = imp_connect(root, port)
    k, _ = l.accept()
    os.set_blocking(data, False)
    wrote = 0
    # Twice: the first stop comes while the first segments are still being
    # acknowledged (the peer's small buffer filling); by the second, the
    # peer's window is shut and nothing more is freed.
    for _ in range(2):
        while wrote < TOTAL:
            try:
                wrote += os.write(data, PAT[wrote:wrote + 65536])
            except BlockingIOError:
                break
        time.sleep(0.3)
    while wrote < TOTAL:
        try:
            wrote += os.write(data, PAT[wrote:wrote + 65536])
        except BlockingIOError:
            break
    buffered = stat(root, "Buffered")
    # Right after EAGAIN poll says not writable, unless the peer's ACKs
    # freed room meanwhile: then a write must take something.
    p = select.poll()
    p.register(data, select.POLLOUT)
    pollout = 1 if p.poll(0) else 0
    took = 0
    if pollout:
        try:
            took = os.write(data, PAT[wrote:wrote + 65536])
            wrote += took
        except BlockingIOError:
            pass
    print("wrote %d buffered %d pollout %d took %d" % (wrote, buffered, pollout, took), flush=True)
    got = bytearray()

    def reader():
        while len(got) < TOTAL:
            b = k.recv(1 << 16)
            if not b:
                break
            got.extend(b)
    t = threading.Thread(target=reader)
    t.start()
    os.set_blocking(data, True)   # the rest: writes wait, and go on once freed
    while wrote < TOTAL:
        wrote += os.write(data, PAT[wrote:wrote + 65536])
    t.join(30)
    if bytes(got) != PAT:
        print("error received %d bytes, not the %d written" % (len(got), TOTAL))
        return 1
    print("received %d intact" % len(got), flush=True)
    os.write(ctl, b"close")
    os.close(data)
    os.close(ctl)
    k.close()
    return 0


def recv(root, port, cap):
    l = listener(port)
    ctl, data = imp_connect(root, port)
    k, _ = l.accept()
    sent = [0]

    def sender():
        while sent[0] < TOTAL:
            sent[0] += k.send(PAT[sent[0]:sent[0] + 65536])
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    peak = 0
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        peak = max(peak, stat(root, "Buffered"))
        time.sleep(0.02)
    held = stat(root, "Buffered")
    print("held %d peak %d kernel-sent %d" % (held, peak, sent[0]), flush=True)
    got = bytearray()
    while len(got) < TOTAL:
        b = os.read(data, 1 << 16)
        if not b:
            break
        got.extend(b)
    if bytes(got) != PAT:
        print("error read %d bytes, not the %d sent" % (len(got), TOTAL))
        return 1
    print("read %d intact" % len(got), flush=True)
    k.close()
    os.write(ctl, b"close")
    os.close(data)
    os.close(ctl)
    return 0


def park(root, port, writers):
    """Blocked writes hold their bytes in impfs: past --max-parked-bytes
    one gets ENOBUFS; the others finish once the peer reads.  One
    connection per writer: the kernel sends one write at a time per
    file."""
    l = listener(port)
    conns = []
    filled = 0
    for i in range(writers):
        ctl, data = imp_connect(root, port, b"sndbuf 2048")
        k, _ = l.accept()
        os.set_blocking(data, False)
        conns.append((ctl, data, k))
    time.sleep(0.3)
    for _ in range(2):      # as in send: until the peers' windows are shut
        for ctl, data, k in conns:
            while True:
                try:
                    filled += os.write(data, PAT[:4096])
                except BlockingIOError:
                    break
        time.sleep(0.3)
    size = 128 << 10
    kids = []
    for i, (ctl, data, k) in enumerate(conns):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.set_blocking(data, True)
            try:
                n = os.write(data, bytes([i]) * size)
                msg = ("ok %d" if n == size else "short %d") % n
            except OSError as e:
                msg = "error %s" % errno_name(e.errno)
            os.write(w, msg.encode())
            os._exit(0)
        os.close(w)
        kids.append((pid, r))
    peak = peakb = 0
    end = time.monotonic() + 3
    while time.monotonic() < end:
        peak = max(peak, stat(root, "Parked"))
        peakb = max(peakb, stat(root, "ParkedBytes"))
        time.sleep(0.02)
    print("parked %d bytes %d" % (peak, peakb), flush=True)
    got = [0]

    def reader(k):
        while True:
            b = k.recv(1 << 16)
            if not b:
                break
            got[0] += len(b)
    ts = [threading.Thread(target=reader, args=(k,), daemon=True) for _, _, k in conns]
    for t in ts:
        t.start()
    oks = refused = short = 0
    wrote = filled
    for pid, r in kids:
        msg = os.read(r, 100).decode()
        os.waitpid(pid, 0)
        if msg.startswith("ok "):
            oks += 1
            wrote += int(msg[3:])
        elif msg.startswith("short "):
            short += 1
            wrote += int(msg[6:])
        elif msg == "error ENOBUFS":
            refused += 1
        else:
            print("error a writer: %s" % msg)
    for ctl, data, k in conns:
        os.write(ctl, b"close")
    for t in ts:
        t.join(20)
    print("writers %d refused %d short %d delivered %d of %d" % (oks, refused, short, got[0], wrote),
          flush=True)
    for ctl, data, k in conns:
        os.close(data)
        os.close(ctl)
    return 0


def errno_name(n):
    import errno
    return errno.errorcode.get(n, str(n))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "park":
        return park(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    if len(sys.argv) != 5 or sys.argv[1] not in ("send", "recv"):
        print(__doc__)
        return 2
    fn = send if sys.argv[1] == "send" else recv
    return fn(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))


if __name__ == "__main__":
    sys.exit(main())
