#!/usr/bin/env bash
# bench/cost.sh: instructions impfs executes per byte it receives.
#
#   bash bench/cost.sh [MIB]        (default 64, as root)
#
# impfs runs under `valgrind --tool=callgrind`; a kernel socat sends MIB MiB
# (zeros, from a tmpfs) that `dd if=/imp/tcp/N/data of=/dev/null bs=1M`
# reads.  The counters are zeroed after the connect (callgrind_control -z)
# and dumped when dd is done (-d), so the figure is the receive alone:
# instructions (Ir) / bytes.  The top 15 functions (callgrind_annotate) go
# to $BENCH_COST_OUT (default /tmp/imp-bench-cost.txt), whose path it prints.
#
# User space only: callgrind does not see the kernel's share (TAP, FUSE
# system calls), and `perf stat -e instructions` says "not supported" in the
# 2-vCPU VM this was written on, so the kernel's own TCP is not measured.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
MIB=${1:-64}
[[ $MIB =~ ^[0-9]+$ && $MIB -gt 0 ]] || bench_die "usage: bench/cost.sh [MIB]"
OUT=${BENCH_COST_OUT:-/tmp/imp-bench-cost.txt}
bench_need valgrind callgrind_control callgrind_annotate socat
bench_enter_ns "$@"

CG=$W/callgrind.out
IMP_WRAP=(valgrind --tool=callgrind --callgrind-out-file="$CG")
IMP_WAIT=60
bench_imp_start
BYTES=$((MIB << 20))
T=$((60 + MIB * 2))       # impfs under callgrind moves a few MB/s at worst
export LC_ALL=C
truncate -s "${MIB}M" "$W/zeros"
bench_bg timeout "$T" socat -b 1048576 -u OPEN:"$W/zeros" TCP4-LISTEN:9001,reuseaddr
wait_listening 9001 || bench_die "socat did not listen on 9001"

# Zeroed before the connect: the sender starts at once, and a receive
# buffer's worth arrives before dd reads.
timeout 30 callgrind_control -z "$IMP_PID" >"$W/cgc.log" 2>&1 || bench_die "callgrind_control -z failed"
exec 3<>"$MNT/tcp/new/ctl"
read -r n <&3
echo "connect $PEER 9001" >&3
timeout "$T" dd if="$MNT/tcp/$n/data" of=/dev/null bs=1M 2>"$W/dd.err" || bench_die "dd failed: $(tail -n 1 "$W/dd.err")"
got=$(awk '/ bytes / { print $1 }' "$W/dd.err")
[[ $got == "$BYTES" ]] || bench_die "dd read $got bytes, want $BYTES"
timeout 30 callgrind_control -d "$IMP_PID" >>"$W/cgc.log" 2>&1 || bench_die "callgrind_control -d failed"
exec 3>&-

dump=$(ls -t "$CG".* 2>/dev/null | head -n 1)
[[ -n $dump ]] || bench_die "callgrind wrote no dump"
ir=$(awk '$1 == "summary:" { print $2 }' "$dump")
[[ $ir =~ ^[0-9]+$ ]] || bench_die "no summary line in $dump"
ipb=$(awk -v i="$ir" -v b="$BYTES" 'BEGIN { printf "%.2f", i / b }')
{
	echo "# impfs receiving $MIB MiB (dd bs=1M from /imp/tcp/N/data): $ir instructions, $ipb per byte"
	echo "# callgrind_annotate, top 15 functions by instructions (self)"
	# (without the frames that were active when the counters were zeroed:
	# main and its callers, shown at 100%)
	callgrind_annotate --threshold=100 --auto=no --inclusive=no "$dump" 2>/dev/null |
		awk '/^-+$/ { d++; next } d == 5 && NF { print }
			d == 6 && NF && !/\(100\.0%\)/ && k++ < 15 { print }'
} >"$OUT"
[[ -n $(sed -n 3p "$OUT") ]] || bench_die "callgrind_annotate gave no functions"

echo "cost: impfs (user space) receiving $MIB MiB under callgrind: $ir instructions"
echo "cost: top functions in $OUT"
echo "cost: the kernel's TCP is not measured (callgrind sees user space only)"
bench_row "instructions/byte received" "$ipb" n/a -
