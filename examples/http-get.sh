#!/usr/bin/env bash
# examples/http-get.sh: fetch a document over HTTP/1.0 with bash and imp's files.
#
#     examples/http-get.sh HOST PORT PATH > body      e.g. 10.0.0.1 80 /index.html
#
# HOST is an IPv4 address, or a name when impfs has a name server (--dns):
# connect looks it up, as /imp/dns would.  The body goes to stdout;
# a status other than 2xx is reported on stderr and the exit status is 1.
# IMP_ROOT is where impfs is mounted (default /imp).
set -eu

IMP=${IMP_ROOT:-/imp}
if (($# != 3)); then
	echo "usage: $0 HOST PORT PATH" >&2
	exit 2
fi
host=$1 port=$2 path=$3

exec 3<>"$IMP/tcp/new/ctl"      # a new socket N; fd 3 is its ctl
read -r n <&3                   # reading ctl gives N
echo "connect $host $port" >&3  # returns once connected, or fails (refused, timed out...)

exec 4<>"$IMP/tcp/$n/data"      # the byte stream, both ways
printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$host" >&4

# The status line, then header lines up to the empty one.  data is not
# seekable, so bash's read takes one byte at a time and leaves the body.
IFS= read -r status <&4
status=${status%$'\r'}
while IFS= read -r line <&4 && [[ -n ${line%$'\r'} ]]; do :; done

cat <&4                         # the body: everything until the server closes

# Closing our files is enough: the server closed, we read to the end, so the
# socket goes away by itself.
exec 3>&- 4>&-
case $status in
HTTP/1.[01]\ 2*) ;;
*) echo "$0: $host:$port$path: $status" >&2; exit 1 ;;
esac
