#!/usr/bin/env bash
# tests/run-all.sh: THE test command.
#
#   tests/run-all.sh                 deps, build, unit tests, every integration test
#   tests/run-all.sh 10-ping 30      deps, build, only the integration tests named
#                                    (file name with or without .sh, or a part of it)
#
# Environment: CI=true builds with -Dwerror=true; IMP_BUILD_DIR (default build)
# is the meson build directory; IMP_IMPFS_ARGS (e.g. --no-offload) is added
# to every impfs the tests start; IMP_JOBS (default 1, 2 under CI=true)
# integration tests run at once.  With no tests named, the fuzz targets run
# IMP_FUZZ_SECONDS (default 5) each after the unit tests (tests/fuzz/run.sh,
# in IMP_FUZZ_BUILD_DIR, default build-fuzz: clang, ASan+UBSan), and the
# packet-moving tests run a second time with --no-offload.  Under CI=true
# with no tests named, or with IMP_SANITIZE=1 (then for the tests named
# too), a sanitizer pass follows: the unit tests and the integration tests
# once more on build-fuzz, clean only if no sanitizer report was written;
# with no tests named, that pass runs the packet-moving tests with
# --no-offload and takes the place of their second run.  Ends with "integration: N passed, N failed"
# and exits non-zero if the build, a unit test, a fuzz target, a sanitizer
# report or an integration test failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
export IMP_BUILD_DIR=${IMP_BUILD_DIR:-build}
BUILD=$IMP_BUILD_DIR
TEST_TIMEOUT=${IMP_TEST_TIMEOUT:-300}
start=$SECONDS

say() { printf '=== %s\n' "$*"; }

# ---- dependencies ------------------------------------------------------------
say "dependencies"
if ! bash tests/deps.sh; then
	say "FAIL: dependencies"
	echo "integration: 0 passed, 1 failed"
	exit 1
fi

# ---- build -------------------------------------------------------------------
setup_opts=()
[[ "${CI:-}" == true ]] && setup_opts+=(-Dwerror=true)
say "build ($BUILD${setup_opts[*]:+, ${setup_opts[*]}})"
if [[ -f "$BUILD/build.ninja" ]]; then
	meson setup --reconfigure "${setup_opts[@]}" "$BUILD"
elif [[ -d "$BUILD/meson-private" ]]; then
	meson setup --wipe "${setup_opts[@]}" "$BUILD"
else
	meson setup "${setup_opts[@]}" "$BUILD"
fi
if (($? != 0)); then
	say "FAIL: meson setup"
	echo "integration: 0 passed, 1 failed"
	exit 1
fi
if ! ninja -C "$BUILD"; then
	say "FAIL: build"
	echo "integration: 0 passed, 1 failed"
	exit 1
fi

# ---- unit tests --------------------------------------------------------------
unit_failed=0
if (($# == 0)); then
	say "unit tests"
	if ! meson test -C "$BUILD" --print-errorlogs; then
		unit_failed=1
		say "FAIL: unit tests"
	fi
else
	say "unit tests skipped (integration tests named on the command line)"
fi

# ---- fuzz targets, briefly -----------------------------------------------------
# Each target for a few seconds from its seed corpus (the corpus alone is
# replayed by the unit tests already: meson test --suite fuzz).  A crash,
# a leak or a sanitizer report fails the suite.
fuzz_failed=0
if (($# == 0)); then
	say "fuzz targets, ${IMP_FUZZ_SECONDS:-5} s each (tests/fuzz/run.sh)"
	if ! bash tests/fuzz/run.sh "${IMP_FUZZ_SECONDS:-5}"; then
		fuzz_failed=1
		say "FAIL: fuzz targets"
	fi
fi

# ---- integration tests -------------------------------------------------------
all=(tests/integration/*.sh)
tests=()
if (($# == 0)); then
	tests=("${all[@]}")
else
	for want in "$@"; do
		want=${want%.sh}
		want=${want##*/}
		found=0
		for t in "${all[@]}"; do
			b=$(basename "$t" .sh)
			if [[ "$b" == "$want" ]]; then tests+=("$t"); found=1; break; fi
		done
		if ((!found)); then
			for t in "${all[@]}"; do
				b=$(basename "$t" .sh)
				[[ "$b" == *"$want"* ]] && { tests+=("$t"); found=1; }
			done
		fi
		if ((!found)); then
			say "no integration test matches '$want' (have: $(cd tests/integration && echo *.sh))"
			echo "integration: 0 passed, 1 failed"
			exit 1
		fi
	done
fi

passed=0
failed=0
failed_names=()
# run_one TEST LABEL: one integration test under a timeout, counted.
run_one() {
	local t=$1 name=$2 rc dt t0
	say "$name"
	t0=$SECONDS
	timeout -k 15 "$TEST_TIMEOUT" bash "$t" </dev/null
	rc=$?
	dt=$((SECONDS - t0))
	if ((rc == 0)); then
		passed=$((passed + 1))
		say "PASS $name (${dt}s)"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		if ((rc == 124 || rc == 137)); then
			say "FAIL $name (timed out after ${TEST_TIMEOUT}s)"
		else
			say "FAIL $name (exit $rc, ${dt}s)"
		fi
	fi
}
# IMP_JOBS tests at once (default 1; 2 under CI=true): each test has
# network and mount namespaces of its own, and much of a test's time is
# waiting (timers, peers), so two at a time nearly halve the suite (one
# at a time it outgrew CI's fifteen minutes).  With more than one, each
# test's output is held and printed whole when it ends.  70-bench-quick
# runs alone: it times things.
JOBS=${IMP_JOBS:-$([[ "${CI:-}" == true ]] && echo 2 || echo 1)}
if ! [[ $JOBS =~ ^[1-9][0-9]?$ ]]; then
	say "IMP_JOBS: '$JOBS' is not a number of tests at once (1 to 99)"
	echo "integration: 0 passed, 1 failed"
	exit 1
fi
declare -A job_name=() job_log=()
running=0
# pool_start TEST LABEL: run_one in the background once a slot is free
# (in the foreground when JOBS is 1); the environment passes through.
pool_start() {
	local log
	if ((JOBS <= 1)); then
		run_one "$1" "$2"
		return
	fi
	while ((running >= JOBS)); do pool_reap; done
	log=$(mktemp /tmp/imp-test-log.XXXXXX)
	(failed=0; run_one "$1" "$2"; ((failed == 0))) >"$log" 2>&1 &
	job_name[$!]=$2
	job_log[$!]=$log
	running=$((running + 1))
}
# pool_reap: wait for one background test to end, print its output, count it.
pool_reap() {
	local pid rc
	wait -n -p pid
	rc=$?
	[[ -n "${pid:-}" && -n "${job_name[$pid]:-}" ]] || return 0
	cat "${job_log[$pid]}"
	rm -f "${job_log[$pid]}"
	if ((rc == 0)); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failed_names+=("${job_name[$pid]}")
	fi
	unset "job_name[$pid]" "job_log[$pid]"
	running=$((running - 1))
}
# pool_drain: wait for every background test.
pool_drain() {
	while ((running > 0)); do pool_reap; done
}
alone=()
for t in "${tests[@]}"; do
	if [[ $(basename "$t" .sh) == 70-bench-quick ]]; then alone+=("$t"); continue; fi
	pool_start "$t" "$(basename "$t" .sh)${IMP_IMPFS_ARGS:+ ($IMP_IMPFS_ARGS)}"
done

# The whole suite runs with TAP offloads on (impfs's default); the tests
# that move packets run again with --no-offload, so the software paths
# (checksums, no super-frames, no GSO) are proven too.  IMP_IMPFS_ARGS set
# by the caller instead runs the named tests with those arguments only.
NO_OFFLOAD_TESTS="10-ping 11-ipv6 12-ipv6-tcp 40-udp 47-dhcp 43-icmp 50-tcp-http 51-tcp-bulk 52-tcp-server 53-tcp-impair
54-tcp-errors 56-tcp-packets 57-tcp-fuzz 59-tcp-synflood 60-imp-run 61-imp-run-sockopt 62-imp-run-iperf3"
# When the sanitizer pass follows (CI), that pass runs these tests with
# --no-offload instead of a pass of their own: every test still runs on
# the sanitizer build, both offload modes are still covered, and the suite
# saves a pass (it must stay under 15 minutes).
san_pass=0
if [[ -z "${IMP_IMPFS_ARGS:-}" ]] &&
	{ [[ "${CI:-}" == true ]] && (($# == 0)) || [[ -n "${IMP_SANITIZE:-}" ]]; }; then
	san_pass=1
fi
if (($# == 0)) && [[ -z "${IMP_IMPFS_ARGS:-}" ]] && ((!san_pass)); then
	for name in $NO_OFFLOAD_TESTS; do
		IMP_IMPFS_ARGS=--no-offload pool_start "tests/integration/$name.sh" "$name (--no-offload)"
	done
fi
pool_drain
for t in "${alone[@]}"; do
	run_one "$t" "$(basename "$t" .sh)${IMP_IMPFS_ARGS:+ ($IMP_IMPFS_ARGS)}"
done

# The sanitizer pass (CI, or IMP_SANITIZE=1): the same tests once more on
# (the packet-moving ones with --no-offload when the whole suite runs)
# the clang ASan+UBSan build the fuzz targets use, impfs and the stack
# sanitized (the LD_PRELOAD shim is not: client/meson.build says why).
# Every report goes to a file under $SAN/sanitizer-logs/, and any file
# there fails the pass, so a report from a process whose exit no test
# checks still counts.  70-bench-quick is left out: it times benchmarks,
# which tell nothing under ASan and would outlast its limit.
san_failed=0
SAN=${IMP_FUZZ_BUILD_DIR:-build-fuzz}
if ((san_pass)); then
	say "sanitizer pass on $SAN (ASan+UBSan)"
	san_logs=$PWD/$SAN/sanitizer-logs
	rm -rf "$san_logs"
	mkdir -p "$san_logs"
	export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:log_path=$san_logs/asan
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$san_logs/ubsan
	if ! bash tests/fuzz/run.sh --build || ! ninja -C "$SAN"; then
		san_failed=1
		say "FAIL: sanitizer build"
	else
		if ! meson test -C "$SAN" --print-errorlogs; then
			san_failed=1
			say "FAIL: unit tests (sanitizers)"
		fi
		# The two longest tests run smaller here: their full size is
		# proven on the first pass, and ASan's slowdown at full size cost
		# three of the suite's fifteen minutes.
		export IMP_CHURN_ROUNDS=4 IMP_BLOCKING_READERS=300
		for t in "${tests[@]}"; do
			name=$(basename "$t" .sh)
			[[ $name == 70-bench-quick ]] && continue
			if (($# == 0)) && [[ " ${NO_OFFLOAD_TESTS//$'\n'/ } " == *" $name "* ]]; then
				IMP_BUILD_DIR=$SAN IMP_IMPFS_ARGS=--no-offload pool_start "$t" "$name (sanitizers, --no-offload)"
			else
				IMP_BUILD_DIR=$SAN pool_start "$t" "$name (sanitizers)"
			fi
		done
		pool_drain
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS IMP_CHURN_ROUNDS IMP_BLOCKING_READERS
	reports=("$san_logs"/*)
	if [[ -e "${reports[0]}" ]]; then
		san_failed=1
		say "FAIL: ${#reports[@]} sanitizer reports in $san_logs:"
		for r in "${reports[@]}"; do
			echo "--- $r"
			head -n 30 "$r"
		done
	fi
fi

say "done in $((SECONDS - start))s"
((unit_failed)) && say "unit tests FAILED"
((fuzz_failed)) && say "fuzz targets FAILED"
((san_failed)) && say "sanitizer pass FAILED"
((failed)) && say "failed integration tests: ${failed_names[*]}"
echo "integration: $passed passed, $failed failed"
((failed == 0 && unit_failed == 0 && fuzz_failed == 0 && san_failed == 0))
