#!/usr/bin/env bash
# examples/imp-run-serve.sh: serve a directory over HTTP from the imp stack's
# address, with Python's own web server running unmodified on imp.
#
#     examples/imp-run-serve.sh DIR PORT        then, from the kernel's side:
#                                               curl http://10.0.0.2:PORT/
#
# The address is the first one in $IMP_ROOT/ipifc/0/status.  Python's server
# would listen on IPv6's "::" by default, and imp is IPv4 only: hence -b.
# Ctrl-C stops it; its listening socket goes with it.
# IMP_ROOT is where impfs is mounted (default /imp); IMP_RUN is the launcher
# (default: imp-run on PATH, e.g. IMP_RUN=build/client/imp-run).
set -eu

IMP=${IMP_ROOT:-/imp}
RUN=${IMP_RUN:-imp-run}
if (($# != 2)) || [[ ! -d $1 || ! $2 =~ ^[0-9]+$ ]]; then
	echo "usage: $0 DIR PORT" >&2
	exit 2
fi
command -v "$RUN" >/dev/null || { echo "$0: $RUN not found (set IMP_RUN)" >&2; exit 1; }
addr=$(awk '$1 == "addr" { sub(/\/.*/, "", $2); print $2; exit }' "$IMP/ipifc/0/status")
[[ -n $addr ]] || { echo "$0: no address in $IMP/ipifc/0/status" >&2; exit 1; }

echo "serving $1 at http://$addr:$2/" >&2
IMP_ROOT=$IMP exec "$RUN" python3 -m http.server -b "$addr" -d "$1" "$2"
