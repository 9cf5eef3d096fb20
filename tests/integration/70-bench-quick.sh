#!/usr/bin/env bash
# bench/run-all.sh --quick runs every benchmark end to end at tiny sizes and
# prints the full table: every row there, every cell filled, no "failed".
# No figure is checked against anything: a benchmark is not a test.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

mk_tmpfile OUT
mk_tmpfile COST
rc=0
IMP_BUILD_DIR=$IMP_BUILD_DIR IMPFS=$IMPFS BENCH_COST_OUT=$COST \
	timeout -k 10 240 bash "$IMP_REPO/bench/run-all.sh" --quick >"$OUT" 2>&1 || rc=$?
check_eq "bench/run-all.sh --quick exits 0" "$rc" 0
((IMP_OK)) || tail -n 30 "$OUT" | sed 's/^/      | /'

# The table: from its header to the end, cells split on " | ".
table=$(sed -n '/^benchmark *|/,$p' "$OUT")
check_match "the table's header" '^benchmark +\| +imp \| +kernel \| +ratio \| +target$' "$table"

NUM='[0-9]+(\.[0-9]+)?'
# row DESC NAME-ERE KERNEL-ERE RATIO-ERE: one row whose name matches, imp a
# number, kernel and ratio as given.
row() {
	local line
	line=$(grep -E "^$2" <<<"$table" | head -n 1 | sed 's/ *| */|/g') || true
	if [[ -z $line ]]; then
		ko_ "$1: no row /^$2/"
		return 0
	fi
	IFS='|' read -r _ imp kern ratio _ <<<"$line"
	if [[ $imp =~ ^$NUM$ && $kern =~ ^($3)$ && $ratio =~ ^($4)$ ]]; then
		ok_ "$1: imp $imp, kernel $kern, ratio $ratio"
	else
		ko_ "$1: cells '$imp' '$kern' '$ratio'"
	fi
}
row "rr" "1-byte request/response" "$NUM" "$NUM"
row "bulk receive" "bulk receive" "$NUM" "$NUM"
row "bulk send" "bulk send" "$NUM" "$NUM"
row "curl" "curl [0-9]+ MiB" "$NUM" "$NUM"
row "iperf3 -c" "iperf3 -c, imp sends" "$NUM" "$NUM"
row "iperf3 -c -R" "iperf3 -c -R, imp receives" "$NUM" "$NUM"
# The kernel's memory cell is the machine's Slab growth: for 100
# connections a fraction of a MB, so anything else freeing slab at the
# time (another test) can make it negative; a number is what is checked.
row "conns: memory" "100 conns: memory" "-?$NUM" "-"
row "conns: ls" "100 conns: ls" "$NUM" "-"
row "cost" "instructions/byte" "n/a" "-"
row "impair from imp" "impair [0-9]+ MiB from imp" "$NUM" "$NUM"
row "impair to imp" "impair [0-9]+ MiB to imp" "$NUM" "$NUM"
check_eq "the table has 11 rows and nothing else" "$(($(wc -l <<<"$table") - 2))" 11
check "cost.sh wrote the top functions" grep -q 'csum\|tcp_\|memcpy\|malloc' "$COST"
