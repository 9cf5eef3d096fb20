#!/usr/bin/env bash
# tests/run-all.sh: THE test command.
#
#   tests/run-all.sh                 deps, build, unit tests, every integration test
#   tests/run-all.sh 10-ping 30      deps, build, only the integration tests named
#                                    (file name with or without .sh, or a part of it)
#
# Environment: CI=true builds with -Dwerror=true; IMP_BUILD_DIR (default build)
# is the meson build directory; IMP_IMPFS_ARGS (e.g. --no-offload) is added
# to every impfs the tests start.  With no tests named, the packet-moving
# tests run a second time with --no-offload.  Ends with "integration: N passed, N failed"
# and exits non-zero if the build, a unit test or an integration test failed.
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
for t in "${tests[@]}"; do
	run_one "$t" "$(basename "$t" .sh)${IMP_IMPFS_ARGS:+ ($IMP_IMPFS_ARGS)}"
done

# The whole suite runs with TAP offloads on (impfs's default); the tests
# that move packets run again with --no-offload, so the software paths
# (checksums, no super-frames, no GSO) are proven too.  IMP_IMPFS_ARGS set
# by the caller instead runs the named tests with those arguments only.
NO_OFFLOAD_TESTS="10-ping 11-ipv6 40-udp 43-icmp 50-tcp-http 51-tcp-bulk 52-tcp-server 53-tcp-impair
54-tcp-errors 56-tcp-packets 57-tcp-fuzz 59-tcp-synflood 60-imp-run 61-imp-run-sockopt 62-imp-run-iperf3"
if (($# == 0)) && [[ -z "${IMP_IMPFS_ARGS:-}" ]]; then
	for name in $NO_OFFLOAD_TESTS; do
		IMP_IMPFS_ARGS=--no-offload run_one "tests/integration/$name.sh" "$name (--no-offload)"
	done
fi

say "done in $((SECONDS - start))s"
((unit_failed)) && say "unit tests FAILED"
((failed)) && say "failed integration tests: ${failed_names[*]}"
echo "integration: $passed passed, $failed failed"
((failed == 0 && unit_failed == 0))
