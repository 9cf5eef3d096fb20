# bench/lib.sh: what the bench/*.sh scripts share.  Source it, then call
#
#     bench_enter_ns "$@"      # first: re-exec in a fresh network + mount namespace
#     bench_imp_start [ARGS]   # impfs -f --tap imp0 --addr 10.0.0.2/24 ARGS $MNT
#     bench_imp_stop           # SIGTERM, wait, unmount
#     bench_veth               # netns $PEER_NS: 10.9.0.2 on a veth, our end 10.9.0.1
#     bench_bg CMD...          # a background job, killed at exit (BG_PID)
#     bench_row NAME IMP KERNEL RATIO [TARGET]
#
# Topology, all inside namespaces the script made (nothing is configured on
# the machine's own interfaces, nothing is routed out):
#
#     imp (10.0.0.2) --TAP imp0-- kernel (10.0.0.1)  <- servers listen here,
#                                 kernel (10.9.0.1)  <- on 0.0.0.0: both
#     $PEER_NS (10.9.0.2) --veth--^
#
# so one kernel server serves imp over the TAP and a kernel client in
# $PEER_NS over veth, and the ratio compares the two client stacks.
#
# Reuses tests/lib.sh's helpers (kernel_nginx, tcp_bg, wait_listening,
# wait_until, kill_hard); it does not use its test reporting.

. "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"

BENCH_NAME=$(basename "${BASH_SOURCE[-1]}" .sh)
IMP_RUN=${IMP_RUN:-$IMP_BUILD_DIR/client/imp-run}
PEER_NS=impbench-peer
PEER=10.0.0.1          # the kernel, seen from imp
VPEER=10.9.0.1         # the kernel, seen from $PEER_NS
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}    # the whole script, a last resort
BG_PIDS=()
W=                     # a tmpfs work directory, private to the script

bench_die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

# bench_need CMD...: each command is installed.
bench_need() {
	local c missing=()
	for c in "$@"; do command -v "$c" >/dev/null || missing+=("$c"); done
	((${#missing[@]} == 0)) || bench_die "missing programs: ${missing[*]} (bash tests/deps.sh)"
}

# bench_enter_ns "$@": as root, run the calling script again in its own
# network and mount namespaces, bounded by $BENCH_TIMEOUT; inside, lo up, a
# private /run/netns, a tmpfs at $W, and a cleanup trap.
bench_enter_ns() {
	local self
	self=$(readlink -f "${BASH_SOURCE[-1]}")
	if [[ "${IMP_BENCH_NS:-}" != "$self" ]]; then
		((EUID == 0)) || bench_die "run as root (TAP, namespaces, FUSE)"
		[[ -x $IMPFS ]] || bench_die "$IMPFS not built (meson setup build && ninja -C build)"
		IMP_BENCH_NS=$self exec timeout -k 20 "$BENCH_TIMEOUT" \
			unshare --net --mount --propagation private -- bash "$self" "$@"
	fi
	trap bench__cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	ip link set lo up
	mount -t sysfs -o ro sysfs /sys 2>/dev/null || true
	imp_private_netns_dir
	W=$(mktemp -d /tmp/imp-bench.XXXXXX)
	mount -t tmpfs -o mode=0700 imp-bench "$W"
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
}

bench__cleanup() {
	local rc=$? p
	set +e
	trap '' INT TERM HUP
	for p in "${BG_PIDS[@]}"; do kill_hard "$p"; done
	tcp_kill_groups
	if [[ -n $IMP_PID ]]; then
		kill_hard "$IMP_PID"
		umount_hard "$MNT"
	fi
	ip netns del "$PEER_NS" 2>/dev/null
	if [[ -n $W ]]; then
		umount "$W" 2>/dev/null
		rmdir "$W" 2>/dev/null
	fi
	exit "$rc"
}

# bench_imp_start [ARGS...]: impfs in the foreground (a background job) on a
# new $MNT, with ${IMP_WRAP[@]} before it (valgrind, for cost.sh); waits
# ${IMP_WAIT:-5} s for the tree, then puts the kernel's 10.0.0.1 on imp0.
IMP_WRAP=()
bench_imp_start() {
	MNT=$(mktemp -d /tmp/imp-bench-mnt.XXXXXX)
	IMP_LOG=$W/impfs.log
	env --default-signal=INT,QUIT "${IMP_WRAP[@]}" "$IMPFS" -f --tap imp0 --addr 10.0.0.2/24 \
		"$@" "$MNT" >"$IMP_LOG" 2>&1 </dev/null &
	IMP_PID=$!
	wait_until "${IMP_WAIT:-5}" bench__ready || true
	if ! is_alive "$IMP_PID" || ! bench__ready; then
		tail -n 5 "$IMP_LOG" >&2
		bench_die "impfs did not serve $MNT within ${IMP_WAIT:-5} s"
	fi
	ip addr add "$PEER/24" dev imp0
	ip link set imp0 up
}

# bench_imp_stop: SIGTERM the daemon (it resets its connections and
# unmounts), at most 10 s, then SIGKILL; $MNT is removed.
bench_imp_stop() {
	[[ -n $IMP_PID ]] || return 0
	kill -TERM "$IMP_PID" 2>/dev/null || true
	wait_until 10 eval "! is_alive $IMP_PID" || kill -KILL "$IMP_PID" 2>/dev/null || true
	wait "$IMP_PID" 2>/dev/null || true
	umount_hard "$MNT"
	IMP_PID=
}

bench__ready() { ! is_alive "$IMP_PID" || timeout 2 cat "$MNT/ipifc/0/status" >/dev/null 2>&1; }

# bench_imp_rss_kb: the daemon's resident set (VmRSS) in KiB.
bench_imp_rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$IMP_PID/status"; }

# bench_veth: network namespace $PEER_NS joined to ours by a veth pair.
bench_veth() {
	ip netns add "$PEER_NS"
	ip link add veth0 type veth peer name veth1
	ip link set veth1 netns "$PEER_NS"
	ip addr add "$VPEER/24" dev veth0
	ip link set veth0 up
	ip -n "$PEER_NS" addr add 10.9.0.2/24 dev veth1
	ip -n "$PEER_NS" link set veth1 up
	ip -n "$PEER_NS" link set lo up
}

# in_vpeer CMD...: run CMD in $PEER_NS (the kernel client over veth).
in_vpeer() { ip netns exec "$PEER_NS" "$@"; }

# bench_bg CMD...: CMD in the background, killed at exit; BG_PID is its id.
bench_bg() {
	"$@" </dev/null &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# bench_cc NAME: compile bench/NAME.c into $W/NAME (once).
bench_cc() {
	[[ -x $W/$1 ]] && return 0
	cc -O2 -Wall -o "$W/$1" "$IMP_REPO/bench/$1.c" || bench_die "cc bench/$1.c failed"
}

# now_ns / secs_since T0: wall time.
now_ns() { date +%s%N; }
secs_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# gbps BYTES SECS, ratio A B (either may be "failed": then "-").
gbps() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.2f", b * 8 / t / 1e9 }'; }
ratio() {
	[[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] || { echo -; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'
}

# bench_row NAME IMP KERNEL RATIO [TARGET]: one result; printed, and added
# to $BENCH_ROWS (a file run-all.sh reads) as NAME|IMP|KERNEL|RATIO|TARGET.
bench_row() {
	local target=${5:--}
	printf '%-34s imp %-12s kernel %-12s ratio %-6s target %s\n' "$1" "$2" "$3" "$4" "$target"
	if [[ -n ${BENCH_ROWS:-} ]]; then
		printf '%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$target" >>"$BENCH_ROWS"
	fi
}
