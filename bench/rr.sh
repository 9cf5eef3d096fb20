#!/usr/bin/env bash
# bench/rr.sh: 1-byte request/response through the files, beside the kernel.
#
#   bash bench/rr.sh [COUNT]        (default 100000, as root)
#
# A kernel echo server (bench/rr.c, TCP_NODELAY) answers COUNT 1-byte
# requests, each written and read back with a 4 KiB buffer by bench/rr.c:
#   imp      on /imp/tcp/N/data (opened O_RDWR), after "nodelay on" in ctl
#   kernel   on a kernel TCP socket (TCP_NODELAY) from another namespace, over veth
# and prints round trips per second for each and imp's ratio.  Timed around
# the request loop only (not the connect).  Nothing is pinned to a CPU.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
COUNT=${1:-100000}
[[ $COUNT =~ ^[0-9]+$ && $COUNT -gt 0 ]] || bench_die "usage: bench/rr.sh [COUNT]"
bench_need cc
bench_enter_ns "$@"

bench_cc rr
bench_imp_start
bench_veth
T=$((30 + COUNT / 2000))     # seconds a run may take (>= 2000 round trips/s)
bench_bg "$W/rr" echo 7000
wait_listening 7000 || bench_die "the echo server did not listen on 7000"

exec 3<>"$MNT/tcp/new/ctl"
read -r n <&3
echo "nodelay on" >&3
echo "connect $PEER 7000" >&3
read -r _ _ r_imp < <(timeout "$T" "$W/rr" file "$MNT/tcp/$n/data" "$COUNT") || true
echo close >&3
exec 3>&-
[[ -n ${r_imp:-} ]] || bench_die "imp: the request/response loop failed"

read -r _ _ r_kern < <(in_vpeer timeout "$T" "$W/rr" tcp $VPEER 7000 "$COUNT") || true
[[ -n ${r_kern:-} ]] || bench_die "kernel: the request/response loop failed"

echo "rr: $COUNT round trips of 1 byte, round trips/s"
bench_row "1-byte request/response (/s)" "$r_imp" "$r_kern" "$(ratio "$r_imp" "$r_kern")" ">= 0.45"
