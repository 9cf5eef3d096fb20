# tests/lib.sh: helpers for imp's integration tests.  Source it, then call
#
#     imp_enter_ns "$@"      # first: re-exec in a fresh network + mount namespace
#     imp_start [ARGS...]    # impfs -f --tap imp0 --addr 10.0.0.2/24 ARGS $MNT
#     ...checks...
#     imp_stop               # SIGTERM, must exit 0 and unmount
#
# At exit a trap stops whatever the test started, unmounts, prints the test's
# "NAME: N passed, N failed" line and exits 1 if any check failed.
#
# Check helpers (check, check_eq, check_ge, check_match) print one PASS or FAIL
# line and always return 0, so a test goes on after a failed check; IMP_OK is
# 1 after a check that passed, 0 after one that failed.
# Topology: the stack is 10.0.0.2/24 on TAP imp0, the kernel is 10.0.0.1/24 on
# the other side of imp0, all inside a network namespace private to the test,
# so no address is ever put on an interface of the machine's own namespace.
#
# Every wait is bounded; every read of the mount goes through `timeout`, so a
# hung daemon makes a check fail instead of hanging the suite.

IMP_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${IMP_BUILD_DIR:=build}"
case $IMP_BUILD_DIR in
/*) ;;
*) IMP_BUILD_DIR=$IMP_REPO/$IMP_BUILD_DIR ;;
esac
: "${IMPFS:=$IMP_BUILD_DIR/impfs}"
# IMP_IMPFS_ARGS: words added to every imp_start (run-all.sh --no-offload
# sets it to --no-offload, so every test also runs without TAP offloads).
: "${IMP_IMPFS_ARGS:=}"
IMP_PY=/usr/bin/python3          # Debian's python, the one with scapy
IMP_TEST=$(basename "${BASH_SOURCE[-1]}" .sh)

IMP_ADDR=10.0.0.2
IMP_PEER=10.0.0.1
IMP_PREFIX=24
IMP_TAP=imp0
IMP_NETNS=                       # set by imp_start_netns: TAP lives in that netns

MNT=
IMP_PID=
IMP_LOG=
IMP_PASSED=0
IMP_FAILED=0
IMP_SKIPPED=0
IMP_EXTRA_PIDS=()                # other impfs processes a test started
IMP_EXTRA_MNTS=()                # other mount points a test made
IMP_TMPFILES=()

# ---- reporting -------------------------------------------------------------

pass() { IMP_PASSED=$((IMP_PASSED + 1)); printf 'PASS: %s\n' "$*"; }
fail() { IMP_FAILED=$((IMP_FAILED + 1)); printf 'FAIL: %s\n' "$*"; }

# prog_checks OUTFILE RC DESC: the "ok: ..." and "FAIL: ..." lines a test
# program printed to OUTFILE become checks; then its exit status RC must be
# 0 (else the last other lines it printed are shown).
prog_checks() {
	local f=$1 rc=$2 desc=$3 line
	while IFS= read -r line; do
		case $line in
		ok:*) pass "$desc: ${line#ok: }" ;;
		FAIL:*) fail "$desc: ${line#FAIL: }" ;;
		esac
	done <"$f"
	if [[ $rc != 0 ]]; then
		fail "$desc: exit status $rc"
		grep -Ev '^(ok|FAIL):' "$f" | tail -n 15 | sed 's/^/      | /' || true
	fi
}
skip() { IMP_SKIPPED=$((IMP_SKIPPED + 1)); printf 'SKIP: %s\n' "$*"; }
note() { printf '      %s\n' "$*"; }

# Stop the test now: report, clean up (EXIT trap), exit 1.
die() {
	fail "$*"
	exit 1
}

IMP_OK=1
ok_() { IMP_OK=1; pass "$@"; }
ko_() { IMP_OK=0; fail "$@"; }

# check DESC CMD [ARGS...]: PASS if CMD succeeds, FAIL otherwise.
check() {
	local desc=$1
	shift
	if "$@"; then ok_ "$desc"; else ko_ "$desc"; fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [[ "$2" == "$3" ]]; then ok_ "$1"; else ko_ "$1: got '$2', want '$3'"; fi
}

# check_ge DESC GOT MIN   (integers)
check_ge() {
	if [[ "$2" =~ ^-?[0-9]+$ ]] && (($2 >= $3)); then
		ok_ "$1 ($2 >= $3)"
	else
		ko_ "$1: got '$2', want >= $3"
	fi
}

# check_match DESC ERE TEXT: TEXT has a line matching ERE.
check_match() {
	if grep -Eq -- "$2" <<<"$3"; then
		ok_ "$1"
	else
		ko_ "$1: no line matches /$2/ in:"
		sed 's/^/      | /' <<<"$3"
	fi
}

imp_finish() {
	printf '%s: %d passed, %d failed' "$IMP_TEST" "$IMP_PASSED" "$IMP_FAILED"
	((IMP_SKIPPED == 0)) || printf ', %d skipped' "$IMP_SKIPPED"
	printf '\n'
	((IMP_FAILED == 0 && IMP_PASSED > 0))
}

# ---- time --------------------------------------------------------------------

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_until SECONDS CMD [ARGS...]: poll CMD every 50 ms until it succeeds (0)
# or SECONDS have passed (1).
wait_until() {
	local limit=$1
	shift
	local end=$(($(now_ms) + ${limit%.*} * 1000))
	while :; do
		"$@" && return 0
		(($(now_ms) >= end)) && return 1
		sleep 0.05
	done
}

# ---- namespaces --------------------------------------------------------------

# imp_enter_ns "$@": run the calling script again inside a fresh network
# namespace and a private mount namespace (so mounts, netns names under
# /run/netns and /sys all stay private to the test); inside, bring lo up.
imp_enter_ns() {
	local self
	self=$(readlink -f "${BASH_SOURCE[-1]}")
	if [[ "${IMP_NS_GUARD:-}" != "$self" ]]; then
		if ((EUID != 0)); then
			echo "FAIL: $IMP_TEST: integration tests need root (TAP, namespaces, FUSE)"
			exit 1
		fi
		IMP_NS_GUARD=$self exec unshare --net --mount --propagation private -- bash "$self" "$@"
		echo "FAIL: $IMP_TEST: unshare failed"
		exit 1
	fi
	trap imp__cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	trap 'imp__on_err $LINENO "$BASH_COMMAND"' ERR
	ip link set lo up
	# This namespace's view of /sys/class/net (the host's otherwise).
	mount -t sysfs -o ro sysfs /sys 2>/dev/null || true
	[[ -x "$IMPFS" ]] || die "$IMPFS not found or not executable (build first: meson setup build && ninja -C build)"
	[[ -c /dev/net/tun ]] || die "/dev/net/tun missing"
	[[ -c /dev/fuse ]] || die "/dev/fuse missing"
	echo "--- $IMP_TEST ($(date +%T), impfs=$IMPFS)"
}

# An unexpected command failure (set -e) ends the test as a FAIL that says where.
imp__on_err() {
	local line=$1 cmd=$2
	fail "$IMP_TEST: line $line: command failed: $cmd"
}

# Private /run/netns for `ip netns add` (the mount namespace is private, so the
# tmpfs and the names in it vanish with the test).
# If the machine has no /run/netns, hide /run instead of creating it there.
imp_private_netns_dir() {
	if [[ -d /run/netns ]]; then
		mount -t tmpfs -o mode=0755 imp-test-netns /run/netns
	else
		mount -t tmpfs -o mode=0755 imp-test-run /run
		mkdir /run/netns
	fi
}

# ---- processes and mounts ----------------------------------------------------

# is_alive PID: the process exists and is not a zombie.
is_alive() {
	local st
	[[ -n "${1:-}" && -r /proc/$1/stat ]] || return 1
	st=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n "$st" && "$st" != Z && "$st" != X ]]
}

# is_mounted DIR: DIR is a mount point in this mount namespace.
is_mounted() {
	awk -v d="$1" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# fstype_of DIR: the file system type of the mount at DIR ("" if none).
fstype_of() {
	awk -v d="$1" '$5 == d { for (i = 7; i <= NF; i++) if ($i == "-") { t = $(i + 1); break } } END { print t }' /proc/self/mountinfo
}

# impfs_pids_for DIR: pids of impfs processes whose command line names DIR
# (to find a daemonized impfs; we then signal it by its id).
impfs_pids_for() {
	local p exe args
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		[[ "$(basename "$exe")" == impfs* ]] || continue
		args=$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null) || continue
		grep -qxF -- "$1" <<<"$args" && echo "${p#/proc/}"
	done
	return 0
}

# wait_gone PID SECONDS: wait for a (non-child) process to disappear.
wait_gone() {
	wait_until "$2" eval "! is_alive $1"
}

# reap PID SECONDS: wait for our child PID to exit; sets REAP_RC to its exit
# status, or to "timeout" (the process is then still running).  Not in $(...).
REAP_RC=
reap() {
	local pid=$1 limit=$2
	REAP_RC=0
	if ! wait_until "$limit" eval "! is_alive $pid"; then
		REAP_RC=timeout
		return 0
	fi
	wait "$pid" 2>/dev/null || REAP_RC=$?
}

# kill_hard PID: SIGTERM, 3 s, SIGKILL.  For cleanup only.
kill_hard() {
	local pid=$1
	is_alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	wait_until 3 eval "! is_alive $pid" || kill -KILL "$pid" 2>/dev/null || true
	wait_until 2 eval "! is_alive $pid" || true
	wait "$pid" 2>/dev/null || true
}

umount_hard() {
	local d=$1
	[[ -n "$d" ]] || return 0
	if is_mounted "$d"; then
		fusermount3 -u -z "$d" 2>/dev/null || umount -l "$d" 2>/dev/null || true
	fi
	[[ -d "$d" ]] && rmdir "$d" 2>/dev/null || true
}

# mk_tmpfile VAR / mk_tmpdir VAR: set VAR to a new file / directory, removed
# (unmounted first) at exit.
mk_tmpfile() {
	local imp__f
	imp__f=$(mktemp "/tmp/imp-$IMP_TEST.XXXXXX")
	IMP_TMPFILES+=("$imp__f")
	printf -v "$1" %s "$imp__f"
}
mk_tmpdir() {
	local imp__d
	imp__d=$(mktemp -d "/tmp/imp-$IMP_TEST.XXXXXX")
	IMP_EXTRA_MNTS+=("$imp__d")
	printf -v "$1" %s "$imp__d"
}

imp__cleanup() {
	local rc=$?
	trap - ERR
	set +e
	local p d
	[[ -n "$IMP_PID" ]] && kill_hard "$IMP_PID"
	for p in "${IMP_EXTRA_PIDS[@]}"; do kill_hard "$p"; done
	# Daemonized impfs processes that named one of our mount points.
	for d in "$MNT" "${IMP_EXTRA_MNTS[@]}"; do
		[[ -n "$d" ]] || continue
		for p in $(impfs_pids_for "$d"); do kill_hard "$p"; done
	done
	for d in "$MNT" "${IMP_EXTRA_MNTS[@]}"; do umount_hard "$d"; done
	[[ -n "$IMP_LOG" ]] && rm -f "$IMP_LOG"
	for p in "${IMP_TMPFILES[@]}"; do rm -f "$p"; done
	if ((rc != 0 && IMP_FAILED == 0)); then
		fail "$IMP_TEST: exited with status $rc"
	fi
	imp_finish || rc=1
	exit "$rc"
}

# ---- the daemon --------------------------------------------------------------

# ip/ping/... run where the kernel side of the TAP is.
in_peer() {
	if [[ -n "$IMP_NETNS" ]]; then ip netns exec "$IMP_NETNS" "$@"; else "$@"; fi
}

# rd FILE: cat a file of the mount, at most 5 s.
rd() { timeout 5 cat "$1"; }

imp_show_log() {
	[[ -n "$IMP_LOG" && -s "$IMP_LOG" ]] || return 0
	note "impfs output (last 20 lines):"
	tail -n 20 "$IMP_LOG" | sed 's/^/      | /'
}

# imp_start [ARGS...]: start impfs in the foreground (as a background job) on a
# fresh mount point $MNT, wait <= 5 s for the tree, then configure the kernel's
# side of the TAP (10.0.0.1/24).  Ends the test on failure.
imp_start() {
	MNT=$(mktemp -d /tmp/imp-mnt.XXXXXX)
	IMP_LOG=$(mktemp /tmp/imp-log.XXXXXX)
	IMP_TMPFILES+=("$IMP_LOG")
	local nsargs=()
	[[ -n "$IMP_NETNS" ]] && nsargs=(--netns "$IMP_NETNS")
	# A script's background jobs start with SIGINT ignored; give impfs the
	# disposition it would have when started from a terminal.
	env --default-signal=INT,QUIT "$IMPFS" -f --tap "$IMP_TAP" --addr "$IMP_ADDR/$IMP_PREFIX" \
		"${nsargs[@]}" $IMP_IMPFS_ARGS "$@" "$MNT" >"$IMP_LOG" 2>&1 </dev/null &
	IMP_PID=$!
	local end=$(($(now_ms) + 5000))
	while is_alive "$IMP_PID" && ! timeout 2 cat "$MNT/ipifc/0/status" >/dev/null 2>&1 &&
		(($(now_ms) < end)); do
		sleep 0.05
	done
	if ! imp__ready; then
		if is_alive "$IMP_PID"; then
			fail "impfs $* did not serve $MNT/ipifc/0/status within 5 s"
		else
			local rc=0
			wait "$IMP_PID" || rc=$?
			fail "impfs $* exited with status $rc before the mount was ready"
			IMP_PID=
		fi
		imp_show_log
		exit 1
	fi
	in_peer ip addr replace "$IMP_PEER/$IMP_PREFIX" dev "$IMP_TAP"
	in_peer ip link set "$IMP_TAP" up
}

imp__ready() {
	is_alive "$IMP_PID" || return 2
	timeout 2 cat "$MNT/ipifc/0/status" >/dev/null 2>&1
}

# imp_alive: the daemon still runs and still answers on its mount.
imp_alive() {
	is_alive "$IMP_PID" && timeout 5 cat "$MNT/ipifc/0/status" >/dev/null 2>&1
}

# imp_stop [SIGNAL]: signal impfs (TERM by default), which must exit 0 within
# 5 s and leave nothing mounted.  SIGKILL after 5 s.
imp_stop() {
	local sig=${1:-TERM} rc
	[[ -n "$IMP_PID" ]] || return 0
	if ! is_alive "$IMP_PID"; then
		rc=0
		wait "$IMP_PID" 2>/dev/null || rc=$?
		fail "impfs had already exited (status $rc) before SIG$sig"
		imp_show_log
		IMP_PID=
		umount_hard "$MNT"; MNT=
		return 0
	fi
	kill -s "$sig" "$IMP_PID"
	reap "$IMP_PID" 5
	if [[ $REAP_RC == timeout ]]; then
		fail "impfs still running 5 s after SIG$sig (killing it)"
		kill_hard "$IMP_PID"
	else
		check_eq "impfs exits with status 0 on SIG$sig" "$REAP_RC" 0
		((IMP_OK)) || imp_show_log
	fi
	IMP_PID=
	if is_mounted "$MNT"; then
		fail "$MNT still mounted after impfs exited"
	else
		pass "$MNT unmounted after SIG$sig"
	fi
	umount_hard "$MNT"
	MNT=
}

# ---- the tree ----------------------------------------------------------------

# stat_of NAME [FILE]: the value of counter NAME in ipifc/0/stats.  Prints
# nothing and fails if the counter is not there.
stat_of() {
	local f=${2:-$MNT/ipifc/0/stats}
	timeout 5 cat "$f" 2>/dev/null | awk -F': *' -v n="$1" '$1 == n { v = $2; found = 1 } END { if (!found) exit 1; print v + 0 }'
}

# stat0 NAME: like stat_of, 0 when missing (for sums over optional counters).
stat0() { stat_of "$1" || echo 0; }

# counter_ge NAME MIN: counter NAME is at least MIN.
counter_ge() {
	local v
	v=$(stat_of "$1") || return 1
	((v >= $2))
}

# status_field KEY: the value of "KEY value" in ipifc/0/status.
status_field() {
	rd "$MNT/ipifc/0/status" | awk -v k="$1" '$1 == k { print $2; exit }'
}

# kernel_mac: MAC of the kernel's side of the TAP.
kernel_mac() {
	in_peer ip -o link show "$IMP_TAP" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# ping_ok COUNT [PING-ARGS...]: COUNT echo requests to the stack, all answered.
ping_ok() {
	local n=$1 out
	shift
	out=$(in_peer timeout 30 ping -n -q -c "$n" -W 1 -i 0.2 "$@" "$IMP_ADDR" 2>&1) || true
	grep -q "$n packets transmitted, $n received" <<<"$out"
}

# ---- sockets as files (tests 40-44) ------------------------------------------

IMP_FOP=$IMP_REPO/tests/integration/40_fop.py       # one file operation, exact errno
IMP_KPEER=$IMP_REPO/tests/integration/40_kpeer.py   # the kernel's end of UDP

# fop ARGS...: 40_fop.py ARGS (see there): prints one line, e.g. "ok 5",
# "error EAGAIN", "timeout".  Returns 0 whatever happened: check the line.
fop() { "$IMP_PY" "$IMP_FOP" "$@" || true; }

# kpeer ARGS...: 40_kpeer.py ARGS, on the kernel's side of the TAP.
kpeer() { in_peer "$IMP_PY" "$IMP_KPEER" "$@"; }

# sock_new PROTO: open $MNT/PROTO/new/ctl read-write on a new descriptor,
# SOCK_FD, and read the socket's number into SOCK_N.  Fails if no number came.
# Close it with sock_close_fd "$SOCK_FD".
SOCK_FD=
SOCK_N=
sock_new() {
	SOCK_FD=
	SOCK_N=
	exec {SOCK_FD}<>"$MNT/$1/new/ctl" || return 1
	read -r -t 5 SOCK_N <&"$SOCK_FD" || true
	[[ "$SOCK_N" =~ ^[0-9]+$ ]]
}

# sock_close_fd FD: close descriptor FD (a number).
sock_close_fd() {
	[[ "${1:-}" =~ ^[0-9]+$ ]] && eval "exec $1>&-"
	return 0
}

# ctl_try TARGET CMD...: write "CMD\n" in one write to TARGET, a descriptor
# number (>&N) or a path (> PATH, as a user types it), within 5 s.  Sets
# CTL_RC (0 on success) and CTL_ERROR (the errno's text as bash shows it,
# e.g. "Invalid argument"; "" on success, "timeout" when the write hung).
# Always returns 0.
CTL_RC=0
CTL_ERROR=
ctl_try() {
	local target=$1 out
	shift
	CTL_RC=0
	if [[ "$target" =~ ^[0-9]+$ ]]; then
		out=$(timeout 5 bash -c 'printf "%s\n" "$1" >&'"$target" ctl_try "$*" 2>&1) || CTL_RC=$?
	else
		out=$(timeout 5 bash -c 'printf "%s\n" "$1" >"$2"' ctl_try "$*" "$target" 2>&1) || CTL_RC=$?
	fi
	CTL_ERROR=$(sed -n 's/.*write error: //p; s/.*: \([A-Z][a-z ]*\)$/\1/p' <<<"$out" | head -n 1)
	if [[ $CTL_RC == 124 ]]; then
		CTL_ERROR=timeout
	elif [[ $CTL_RC != 0 && -z "$CTL_ERROR" ]]; then
		CTL_ERROR=$out
	fi
	return 0
}

# check_ctl_ok DESC TARGET CMD...: the command is accepted.
check_ctl_ok() {
	local desc=$1
	shift
	ctl_try "$@"
	if [[ $CTL_RC == 0 ]]; then ok_ "$desc"; else ko_ "$desc: write failed ($CTL_ERROR)"; fi
}

# check_ctl_fails DESC ERRTEXT TARGET CMD...: the write of the command fails
# with the errno whose text is ERRTEXT (e.g. "Invalid argument").
check_ctl_fails() {
	local desc=$1 want=$2
	shift 2
	ctl_try "$@"
	if [[ $CTL_RC == 0 ]]; then
		ko_ "$desc: the write succeeded, want \"$want\""
	else
		check_eq "$desc" "$CTL_ERROR" "$want"
	fi
}

# bg_run FILE CMD...: run CMD in the background, stdout and stderr to FILE;
# BG_PID is its id, killed at exit if still running.  CMD may be fop or
# kpeer: they run as the python process itself, so BG_PID is the process to
# kill (a shell function would run in a subshell that a kill leaves behind).
BG_PID=
bg_run() {
	local f=$1
	shift
	case $1 in
	fop) shift; set -- "$IMP_PY" "$IMP_FOP" "$@" ;;
	kpeer)
		shift
		set -- "$IMP_PY" "$IMP_KPEER" "$@"
		[[ -n "$IMP_NETNS" ]] && set -- ip netns exec "$IMP_NETNS" "$@"
		;;
	esac
	"$@" >"$f" 2>&1 </dev/null &
	BG_PID=$!
	IMP_EXTRA_PIDS+=("$BG_PID")
}

# file_has FILE ERE: FILE has a line matching ERE.
file_has() { grep -Eq -- "$2" "$1" 2>/dev/null; }

# kpeer_recv_bg FILE PORT [ARGS...]: a kernel socket on PORT receiving in the
# background (40_kpeer.py recv), output in FILE; waits (<= 5 s) until it is
# bound.  BG_PID is its id.
kpeer_recv_bg() {
	local f=$1 port=$2
	shift 2
	bg_run "$f" kpeer recv "$port" "$@"
	wait_until 5 file_has "$f" '^ready$'
}

# proto_stat PROTO NAME: counter NAME of $MNT/PROTO/stats (udp, icmp).
proto_stat() { stat_of "$2" "$MNT/$1/stats"; }
proto_stat0() { proto_stat "$@" || echo 0; }

# sock_file PROTO N FILE: the contents of $MNT/PROTO/N/FILE, at most 5 s.
sock_file() { timeout 5 cat "$MNT/$1/$2/$3" 2>&1; }

# pattern_md5 N: md5 of the N-byte pattern 40_fop.py and 40_kpeer.py send for @N.
pattern_md5() {
	"$IMP_PY" -c 'import hashlib, sys; n = int(sys.argv[1]); print(hashlib.md5(bytes((i * 7 + 3) & 0xFF for i in range(n))).hexdigest())' "$1"
}

# ---- TCP (tests 50-55) -------------------------------------------------------

IMP_TCPPEER=$IMP_REPO/tests/integration/50_tcp.py   # kernel TCP peers, EINTR probes
IMP_GROUPS=()                    # process groups started by tcp_bg

# tcp_bg FILE CMD...: run CMD in the background in a process group of its own
# (setsid), stdout and stderr to FILE, with MNT and IMP_ROOT set to the mount
# point; BG_PID is its id, which is also the group's.  CMD may be a shell
# function: it then runs in a new bash that has every function of the test
# and lib.sh's settings (IMP_PY, IMP_ADDR, ...).
# The whole group (a server and every handler it forked) is killed by
# tcp_kill_groups; call tcp_trap once to have that done at exit.
tcp_bg() {
	local f=$1
	shift
	if declare -F "$1" >/dev/null; then
		set -- bash -c "$(declare -p IMP_REPO IMP_PY IMP_ADDR IMP_PEER IMP_PREFIX IMP_TAP \
			IMP_NETNS IMP_FOP IMP_KPEER IMP_TCPPEER)"$'\n'"$(declare -f)"$'\n''"$@"' tcp_bg "$@"
	fi
	MNT=$MNT IMP_ROOT=$MNT setsid "$@" >"$f" 2>&1 </dev/null &
	BG_PID=$!
	IMP_GROUPS+=("$BG_PID")
}

# resolv_nowhere DIR: this mount namespace's /etc/resolv.conf names
# 127.0.0.9, where nothing listens, so that a name a test resolves was
# resolved through imp (DIR holds the file).
resolv_nowhere() {
	printf 'nameserver 127.0.0.9\noptions timeout:1 attempts:1\n' >"$1/resolv.conf"
	mount --bind "$1/resolv.conf" /etc/resolv.conf
}

# kernel_dnsmasq LOG ARGS...: dnsmasq in the background (tcp_bg, output to
# LOG, its pid in DNSMASQ) with no configuration of the machine's: no
# config file, resolv.conf or hosts; bound to the interfaces ARGS name;
# every query logged; authoritative for example.test (what ARGS add).
kernel_dnsmasq() {
	local log=$1
	shift
	tcp_bg "$log" dnsmasq -k -C /dev/null --no-resolv --no-hosts --user=root \
		--bind-interfaces --pid-file= --log-facility=- --log-queries \
		--local=/example.test/ --local-ttl=60 "$@"
	DNSMASQ=$BG_PID
}

# tcp_group_alive PGID: a process of group PGID is still running (not a zombie).
tcp_group_alive() {
	ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

tcp__groups_alive() {
	local g
	for g in "${IMP_GROUPS[@]}"; do tcp_group_alive "$g" && return 0; done
	return 1
}

# tcp_kill_group PGID: SIGTERM the group, SIGKILL after 3 s, reap the leader.
tcp_kill_group() {
	local g=$1
	kill -TERM -- "-$g" 2>/dev/null || true
	wait_until 3 eval "! tcp_group_alive $g" || kill -KILL -- "-$g" 2>/dev/null || true
	wait_until 2 eval "! tcp_group_alive $g" || true
	wait "$g" 2>/dev/null || true
}

# tcp_kill_groups: end every group tcp_bg started (all signalled at once).
tcp_kill_groups() {
	local g
	((${#IMP_GROUPS[@]})) || return 0
	for g in "${IMP_GROUPS[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
	if ! wait_until 3 eval '! tcp__groups_alive'; then
		for g in "${IMP_GROUPS[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
		wait_until 2 eval '! tcp__groups_alive' || true
	fi
	for g in "${IMP_GROUPS[@]}"; do wait "$g" 2>/dev/null || true; done
	IMP_GROUPS=()
}

# tcp_trap: at exit, kill tcp_bg's groups, then lib.sh's usual cleanup.
tcp_trap() {
	# set +e: under set -e a failing status would end the trap before
	# imp__cleanup ran, leaving impfs behind and no summary line.
	trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; (exit $imp__rc); imp__cleanup' EXIT
}

# tcppeer ARGS...: 50_tcp.py ARGS (see there).
tcppeer() { "$IMP_PY" "$IMP_TCPPEER" "$@"; }

# kernel_listening PORT: a kernel TCP socket listens on PORT.
kernel_listening() { [[ -n "$(in_peer ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

# wait_listening PORT: wait <= 5 s for a kernel listener on PORT.
wait_listening() { wait_until 5 kernel_listening "$1"; }

# sha256_of FILE: the file's SHA-256 in hex.
sha256_of() { sha256sum <"$1" | cut -d' ' -f1; }

# tcp_state N: the state word of $MNT/tcp/N/status ("" if unreadable).
tcp_state() { timeout 5 cat "$MNT/tcp/$1/status" 2>/dev/null | awk '{ print $1; exit }'; }

# tcp_socks: the socket numbers listed in $MNT/tcp, one a line.
tcp_socks() { timeout 5 ls "$MNT/tcp" 2>/dev/null | grep -E '^[0-9]+$' || true; }

# tcp_sock_gone N: $MNT/tcp/N no longer exists.
tcp_sock_gone() { ! tcp_socks | grep -qx "$1"; }

# tcp_stat NAME: counter NAME of $MNT/tcp/stats (0 when missing).
tcp_stat() { proto_stat0 tcp "$1"; }

# kernel_snmp PROTO NAME: counter NAME of line PROTO ("Tcp", "Ip") in the
# kernel's /proc/net/snmp, on the kernel's side of the TAP.
kernel_snmp() {
	in_peer cat /proc/net/snmp | awk -v p="$1:" -v n="$2" '
		$1 == p && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == p && h { print $c[n]; exit }'
}

# kernel_nginx DIR ADDR PORT [HTTP-DIRECTIVE...]: nginx on the kernel's side,
# one process in the foreground of its own group (killed by tcp_kill_groups),
# serving DIR/www on ADDR:PORT with its config, logs and temp files under
# DIR.  Waits (<= 5 s) until it listens; sets NGINX_PID; 1 if it does not.
kernel_nginx() {
	local d=$1 addr=$2 port=$3 t
	shift 3
	mkdir -p "$d/www" "$d/tmp" "$d/logs"
	{
		printf 'daemon off;\nmaster_process off;\nworker_processes 1;\n'
		printf 'pid %s/nginx.pid;\nerror_log %s/logs/error.log;\n' "$d" "$d"
		printf 'events { worker_connections 64; }\nhttp {\n\taccess_log off;\n'
		printf '\tdefault_type application/octet-stream;\n'
		for t in "$@"; do printf '\t%s;\n' "$t"; done
		for t in body proxy fastcgi uwsgi scgi; do
			printf '\t%s_temp_path %s/tmp/%s;\n' "$([[ $t == body ]] && echo client_body || echo $t)" "$d" "$t"
		done
		printf '\tserver {\n\t\tlisten %s:%s;\n\t\troot %s/www;\n\t}\n}\n' "$addr" "$port" "$d"
	} >"$d/nginx.conf"
	tcp_bg "$d/logs/nginx.out" nginx -p "$d" -e "$d/logs/error.log" -c "$d/nginx.conf"
	NGINX_PID=$BG_PID
	if ! wait_listening "$port"; then
		sed 's/^/      | /' "$d/logs/nginx.out" "$d/logs/error.log" 2>/dev/null || true
		return 1
	fi
}
