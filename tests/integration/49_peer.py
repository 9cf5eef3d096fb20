#!/usr/bin/python3
"""A kernel TCP server on 10.0.0.1 that does what it is told (test 49).

    49_peer.py PORT FIFO

Prints "ready" once it listens, accepts one connection ("accepted"), then
reads commands from FIFO, one a line, and prints what each did:

    send TEXT    send TEXT and a newline              "sent N"
    shut         shutdown(SHUT_WR): our FIN            "shut"
    waiteof      wait (<= 10 s) for the client's FIN   "peer eof", or
                                                       "got TEXT" for bytes first
    close        close the connection and exit         "closed"
"""

import select
import socket
import sys


def say(s):
    print(s, flush=True)


def main():
    port, fifo = int(sys.argv[1]), sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.0.0.1", port))
    s.listen(1)
    say("ready")
    s.settimeout(20)
    c, _ = s.accept()
    say("accepted")
    with open(fifo) as f:
        for line in f:
            cmd, _, arg = line.rstrip("\n").partition(" ")
            if cmd == "send":
                c.sendall(arg.encode() + b"\n")
                say("sent %d" % (len(arg) + 1))
            elif cmd == "shut":
                c.shutdown(socket.SHUT_WR)
                say("shut")
            elif cmd == "waiteof":
                r, _, _ = select.select([c], [], [], 10)
                b = c.recv(4096) if r else None
                say("peer eof" if b == b"" else "got %r" % b if b else "no eof in 10 s")
            elif cmd == "close":
                c.close()
                say("closed")
                return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
