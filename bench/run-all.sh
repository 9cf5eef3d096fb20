#!/usr/bin/env bash
# bench/run-all.sh: every benchmark in bench/, one after the other, then one
# table: benchmark | imp | kernel | ratio | target.
#
#   bash bench/run-all.sh            full sizes (about 3 minutes, as root)
#   bash bench/run-all.sh --quick    tiny sizes, every script end to end (seconds)
#
# Each script runs in namespaces of its own and measures imp and the
# kernel's TCP (over veth) in the same run; ratio is imp / kernel.  Targets
# are issue 8's, but for impair.sh's rows (issue 9): there the kernels talk
# through the same link impairment as imp, and the ratio is imp's time over
# theirs (lower is better).  A script that fails leaves a row "failed" and
# the exit status is 1; its output says why.  Never run two benchmarks at once.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case ${1:-} in
--quick) quick=1 ;;
"") quick=0 ;;
*) echo "usage: bench/run-all.sh [--quick]" >&2; exit 2 ;;
esac
((EUID == 0)) || { echo "run-all: run as root (TAP, namespaces, FUSE)" >&2; exit 1; }

if ((quick)); then
	RUNS=("rr 2000" "bulk 16" "curl 16" "iperf3 1" "conns 100" "cost 2" "impair 2 1")
else
	RUNS=("rr 100000" "bulk 1024" "curl 1024" "iperf3 10" "conns 1000 10000" "cost 64" "impair 20 5")
fi

ROWS=$(mktemp /tmp/imp-bench-rows.XXXXXX)
trap 'rm -f "$ROWS"' EXIT
failed=()
for run in "${RUNS[@]}"; do
	read -r name args <<<"$run"
	echo "=== bench/$name.sh $args"
	before=$(wc -l <"$ROWS")
	rc=0
	# shellcheck disable=SC2086  # args are words
	BENCH_ROWS=$ROWS bash "$BENCH/$name.sh" $args || rc=$?
	if ((rc != 0)); then
		failed+=("$name")
		echo "=== bench/$name.sh: FAILED (exit $rc)"
		(($(wc -l <"$ROWS") > before)) || echo "$name (exit $rc)|failed|failed|-|-" >>"$ROWS"
	fi
done

echo
echo "=== imp against the kernel's TCP over veth ($( ((quick)) && echo "--quick sizes" || echo "full sizes"))"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
	"Linux $(uname -r), $(date -u +%Y-%m-%d)"
build=${IMP_BUILD_DIR:-build}
[[ $build == /* ]] || build=$BENCH/../$build
impfs=$(readlink -f "${IMPFS:-$build/impfs}")
echo "impfs: $impfs ($(git -C "$(dirname "$impfs")" describe --always --dirty 2>/dev/null || echo 'not in git'))"
echo
{
	echo "benchmark|imp|kernel|ratio|target"
	cat "$ROWS"
} | awk -F'|' '
	{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR }
	END {
		for (r = 1; r <= n; r++) {
			line = sprintf("%-*s", w[1], c[r, 1])
			for (i = 2; i <= 5; i++) line = line sprintf(" | %*s", w[i], c[r, i])
			print line
			if (r == 1) {
				line = ""
				for (i = 1; i <= 5; i++) line = line (i > 1 ? "-|-" : "") sprintf("%*s", w[i], "")
				gsub(/ /, "-", line)
				print line
			}
		}
	}'
if ((${#failed[@]})); then
	echo "failed: ${failed[*]}" >&2
	exit 1
fi
