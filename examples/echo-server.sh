#!/usr/bin/env bash
# examples/echo-server.sh: a TCP echo server (RFC 862) in bash, on imp's files.
#
#     examples/echo-server.sh PORT          then, e.g.:  nc 10.0.0.2 PORT
#
# Sends every byte a client sends back to it, until the client closes; any
# number of clients at once.  Stop it with Ctrl-C.
# IMP_ROOT is where impfs is mounted (default /imp).
set -eu

IMP=${IMP_ROOT:-/imp}
if (($# != 1)) || [[ ! $1 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 PORT" >&2
	exit 2
fi
port=$1

exec 3<>"$IMP/tcp/new/ctl"      # a new socket N; fd 3 is its ctl
read -r n <&3
echo "announce $port" >&3       # listen on PORT, any local address
# An announced socket outlives its files: take it down when we stop.
trap 'echo close >&3' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "echo server on port $port (socket $n)" >&2

while :; do
	# Opening listen blocks until a client connects; the opened file is the
	# ctl of a new socket M that carries that connection.
	exec 4<>"$IMP/tcp/$n/listen"
	read -r m <&4
	(
		exec 3>&-               # the handler has no business with the listener
		trap - EXIT
		# Copy data to itself: dd writes each piece as soon as it is read.
		# It ends when the client closes (EOF).
		dd if="$IMP/tcp/$m/data" of="$IMP/tcp/$m/data" bs=64k status=none || true
		echo close >&4          # our FIN, after all the echoed bytes
	) &
	exec 4>&-                   # the handler has its own copy of fd 4
done
