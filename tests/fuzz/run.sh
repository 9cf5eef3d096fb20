#!/usr/bin/env bash
# tests/fuzz/run.sh: run imp's libFuzzer targets.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     each target for SECONDS
#   tests/fuzz/run.sh --runs N [TARGET...]    each target for N executions
#                                             (the long mode: --runs 1000000)
#   tests/fuzz/run.sh --build                 only build (run-all.sh's
#                                             sanitizer pass uses the build)
#
# Targets (tests/fuzz/fuzz_TARGET.c; each file's header says what its input
# is): frame (Ethernet, ARP, IPv4, ICMP, UDP, TCP and vnet headers), frag
# (IPv4 reassembly), tcp (a listener and two established connections fed
# segments, the clock moving: state machine, SACK scoreboard, reassembly,
# timers), ctl (the ctl command and --fault parsers), dhcp (the DHCP message
# parser), dns (the DNS reply parser, netstack/dns_msg.c: compression,
# truncation, CNAMEs), ipv6 (IPv6 packets: the extension header walk,
# reassembly, ICMPv6, NDP and SLAAC, MLD, and TCP and UDP above).
# Default: all.
#
# Builds $IMP_FUZZ_BUILD_DIR (default build-fuzz) first if needed:
#   CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined
# (libFuzzer comes with Debian's clang package).  Each target starts from
# its seed corpus tests/fuzz/corpus/TARGET/ (made by gen_corpus.py) copied
# to $BUILD/fuzz-work/TARGET/, which keeps what the fuzzer adds across runs;
# the committed corpus is never written.  A crash, leak, sanitizer report or
# timeout stops that target and its input is kept in
# $BUILD/fuzz-crashes/TARGET/ (the script names it); once fixed, copy it to
# tests/fuzz/corpus/TARGET/crash-NAME so every build replays it
# (meson test --suite fuzz).  Exits non-zero if any target failed.
#
# How long --runs 1000000 takes on the 2-CPU development machine (ASan and
# UBSan on, one target at a time, nice -n 10 beside other work; 0 crashes
# each, 2026-12-07): dhcp 7 s, ctl 42 s, dns 66 s, ipv6 340 s, frag 433 s,
# frame 711 s, tcp 1958 s (each tcp input sets up four connections first,
# and libFuzzer's bookkeeping grows with its 30,000 features: about 500
# executions a second by the end).
#
# Environment: IMP_FUZZ_BUILD_DIR; IMP_FUZZ_ARGS (more libFuzzer options,
# e.g. -jobs=2).  A target's log is $BUILD/fuzz-logs/TARGET.log.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
BUILD=${IMP_FUZZ_BUILD_DIR:-build-fuzz}
ALL=(frame frag tcp ctl dhcp dns ipv6)

usage() {
	echo "usage: tests/fuzz/run.sh SECONDS|--runs N [TARGET...]|--build  (targets: ${ALL[*]})" >&2
	exit 2
}

mode=time
if [[ "${1:-}" == --build ]]; then
	mode=build
	n=1
	shift
elif [[ "${1:-}" == --runs ]]; then
	mode=runs
	n=${2:-}
	shift 2 || usage
else
	n=${1:-}
	shift || usage
fi
[[ "$n" =~ ^[0-9]+$ ]] && ((n > 0)) || usage
targets=("$@")
((${#targets[@]})) || targets=("${ALL[@]}")
for t in "${targets[@]}"; do
	[[ " ${ALL[*]} " == *" $t "* ]] || { echo "run.sh: no target '$t'" >&2; usage; }
done

# ---- build ---------------------------------------------------------------
if [[ ! -f "$BUILD/build.ninja" ]]; then
	if ! command -v clang >/dev/null; then
		echo "run.sh: clang is needed (apt-get install clang; tests/deps.sh)" >&2
		exit 1
	fi
	setup=(-Dfuzz=true -Db_sanitize=address,undefined)
	[[ "${CI:-}" == true ]] && setup+=(-Dwerror=true)
	CC=clang meson setup "$BUILD" "${setup[@]}" || exit 1
fi
ninja -C "$BUILD" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}") >/dev/null ||
	{ ninja -C "$BUILD" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}"); exit 1; }

[[ $mode == build ]] && exit 0

# Sanitizer reports are fatal (UBSan's only print by default), and a leak
# of one input is a failure (ASan's LeakSanitizer, checked by libFuzzer).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}

failed=()
for t in "${targets[@]}"; do
	work=$BUILD/fuzz-work/$t
	crashes=$BUILD/fuzz-crashes/$t
	logs=$BUILD/fuzz-logs
	mkdir -p "$work" "$crashes" "$logs"
	cp -n tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
	opts=(-timeout=10 -rss_limit_mb=2048 -max_len=70000 -print_final_stats=1
		-artifact_prefix="$crashes/")
	if [[ $mode == time ]]; then
		opts+=(-max_total_time="$n")
	else
		opts+=(-runs="$n")
	fi
	before=$(ls "$crashes" | wc -l)
	t0=$SECONDS
	# shellcheck disable=SC2086
	"$BUILD/tests/fuzz/fuzz_$t" "${opts[@]}" ${IMP_FUZZ_ARGS:-} "$work" >"$logs/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$logs/$t.log" | tail -1)
	after=$(ls "$crashes" | wc -l)
	if ((rc != 0 || after > before)); then
		failed+=("$t")
		echo "fuzz $t: FAIL (exit $rc after ${execs:-?} executions, $((SECONDS - t0))s)"
		grep -m 5 -E 'ERROR|SUMMARY|runtime error|deadly signal|Test unit written' "$logs/$t.log" | sed 's/^/    /'
		echo "    log: $logs/$t.log; inputs: $(ls -t "$crashes" | head -3 | sed "s|^|$crashes/|" | tr '\n' ' ')"
	else
		echo "fuzz $t: ok, ${execs:-?} executions in $((SECONDS - t0))s, ${cov:-cov ?}, 0 crashes"
	fi
done
if ((${#failed[@]})); then
	echo "fuzz: failed: ${failed[*]}"
	exit 1
fi
echo "fuzz: ${#targets[@]} targets, 0 crashes"
