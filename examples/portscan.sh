#!/usr/bin/env bash
# examples/portscan.sh: a TCP connect scan in bash, through imp's files.
#
#     examples/portscan.sh HOST FIRST LAST      prints "PORT open" for each open port
#
# HOST is an IPv4 address.  A closed port answers with a reset (connect fails
# at once); a port behind a firewall that drops SYNs gives up after 2 s.
# IMP_ROOT is where impfs is mounted (default /imp).
set -eu

IMP=${IMP_ROOT:-/imp}
if (($# != 3)) || [[ ! $2 =~ ^[0-9]+$ || ! $3 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 HOST FIRST LAST" >&2
	exit 2
fi
host=$1 first=$2 last=$3

for ((port = first; port <= last; port++)); do
	exec 3<>"$IMP/tcp/new/ctl"  # a fresh socket for each port; fd 3 is its ctl
	# connect returns when the handshake is done, or fails; timeout's signal
	# interrupts it (the socket is then left Closed).
	if timeout 2 bash -c 'echo "connect $1 $2" >&3' connect "$host" "$port" 2>/dev/null; then
		echo "$port open"
		echo hangup >&3         # reset the connection: nothing more to say
	fi
	exec 3>&-                   # last file closed: the socket goes away
done
