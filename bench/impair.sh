#!/usr/bin/env bash
# bench/impair.sh: loss recovery over a bad link, imp beside the kernel.
#
#   bash bench/impair.sh [MIB] [RUNS]      (default 20 MiB, 3 runs; as root)
#
# The link: imp's fault injector (netstack/fault.c) with
#     drop=3,reorder=10,dup=1,corrupt=0.5  each way
# on imp's TAP (impfs --fault), and between two kernels the same injector
# in bench/faultbridge, which joins two TAP devices (fbA in one namespace,
# fbB in another) through it, one impairment per direction as --fault has.
# Each run moves MIB MiB of random data each way:
#   imp send     cat FILE > /imp/tcp/N/data     -> kernel socat
#   imp receive  kernel socat -> cat /imp/tcp/N/data > FILE
#   kernel       socat -> socat through the bridge, both ways
# and checks every copy with sha256.  Time runs from the connect to the
# receiver's exit.  Each run uses its own seed (the same for imp and the
# kernel); the rows give the median, and the ratio is imp's time over the
# kernel's (lower is better; issue 9 asks for at most 1.5).
#
# The kernels' path crosses user space once (the bridge), as imp's does
# (imp's stack is that user-space hop): both are one TAP away from a Linux
# TCP.
#
# IMP_BASELINE=PATH-TO-AN-OLDER-IMPFS adds two rows: that impfs's time over
# this one's, the same runs (issue 9 asks this stack to be 3 times faster
# than the NewReno one before it: build that with git worktree).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
MIB=${1:-20}
RUNS=${2:-3}
[[ $MIB =~ ^[0-9]+$ && $MIB -gt 0 && $RUNS =~ ^[0-9]+$ && $RUNS -gt 0 ]] ||
	bench_die "usage: bench/impair.sh [MIB] [RUNS]"
FAULT=${IMP_BENCH_FAULT:-drop=3,reorder=10,dup=1,corrupt=0.5}
BRIDGE=${FAULTBRIDGE:-$IMP_BUILD_DIR/faultbridge}
[[ $BRIDGE == /* ]] || BRIDGE=$IMP_REPO/$BRIDGE
[[ -x $BRIDGE ]] || bench_die "$BRIDGE not built (ninja -C build)"
bench_need socat sha256sum
bench_enter_ns "$@"

FILE=$W/data
GOT=$W/got
head -c "${MIB}M" /dev/urandom >"$FILE"
WANT=$(sha256_of "$FILE")
T=$((60 + MIB * 3))      # seconds any one transfer may take
PORT=9100
NSA=impbench-fa NSB=impbench-fb
KA=10.8.0.1 KB=10.8.0.2

# the kernels, joined through the bridge
ip netns add $NSA
ip netns add $NSB
trap 'r=$?; set +e; ip netns del $NSA 2>/dev/null; ip netns del $NSB 2>/dev/null; (exit $r); bench__cleanup' EXIT

# elapsed T0 T1: seconds between two $EPOCHREALTIME values.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
intact() { # WHAT: $GOT is $FILE
	[[ $(sha256_of "$GOT") == "$WANT" ]] || bench_die "$1: the data arrived changed (sha256), $(stat -c %s "$GOT") bytes"
}

# sink_in NS PORT: a socat in NS (or here, for "-") that writes port PORT's
# one client to $GOT; BG_PID.
sink_in() {
	local ns=$1 port=$2
	rm -f "$GOT"
	if [[ $ns == - ]]; then
		bench_bg timeout "$T" socat -u TCP4-LISTEN:$port,reuseaddr "OPEN:$GOT,creat,trunc"
		wait_listening "$port" || bench_die "socat did not listen on $port"
	else
		bench_bg ip netns exec "$ns" timeout "$T" socat -u TCP4-LISTEN:$port,reuseaddr "OPEN:$GOT,creat,trunc"
		wait_until 5 eval "[[ -n \$(ip netns exec $ns ss -Hltn 'sport = :$port') ]]" ||
			bench_die "socat did not listen on $port in $ns"
	fi
}

# imp_send PORT: seconds for imp to send $FILE to a kernel socat.
imp_send() {
	local port=$1 n t0 rc=0
	sink_in - "$port"
	exec 3<>"$MNT/tcp/new/ctl"
	read -r n <&3
	t0=$EPOCHREALTIME
	echo "connect $PEER $port" >&3
	timeout "$T" cat "$FILE" >"$MNT/tcp/$n/data" ||
		bench_die "imp send: cat into data failed ($spec): $(cat "$MNT/tcp/$n/err" "$MNT/tcp/$n/status" 2>&1)"
	echo close >&3
	wait "$BG_PID" || rc=$?
	echo "$(elapsed "$t0" "$EPOCHREALTIME")"
	exec 3>&-
	((rc == 0)) || bench_die "imp send: the kernel receiver failed ($rc)"
	intact "imp send"
}

# imp_recv PORT: seconds for imp to receive $FILE from a kernel socat.
imp_recv() {
	local port=$1 n t0
	bench_bg timeout "$T" socat -u "OPEN:$FILE" TCP4-LISTEN:$port,reuseaddr
	wait_listening "$port" || bench_die "socat did not listen on $port"
	exec 3<>"$MNT/tcp/new/ctl"
	read -r n <&3
	t0=$EPOCHREALTIME
	echo "connect $PEER $port" >&3
	rm -f "$GOT"
	timeout "$T" cat "$MNT/tcp/$n/data" >"$GOT" || bench_die "imp receive: cat data failed"
	echo "$(elapsed "$t0" "$EPOCHREALTIME")"
	exec 3>&-
	wait "$BG_PID" || bench_die "imp receive: the kernel sender failed"
	intact "imp receive"
}

# kernel_xfer FROM-NS TO-NS TO-ADDR PORT: seconds for the kernel in FROM-NS
# to send $FILE to a socat in TO-NS, through the bridge.
kernel_xfer() {
	local from=$1 to=$2 addr=$3 port=$4 t0 rc=0
	sink_in "$to" "$port"
	t0=$EPOCHREALTIME
	ip netns exec "$from" timeout "$T" socat -u "OPEN:$FILE" TCP4:$addr:$port ||
		bench_die "kernel $from -> $to: socat failed"
	wait "$BG_PID" || rc=$?
	echo "$(elapsed "$t0" "$EPOCHREALTIME")"
	((rc == 0)) || bench_die "kernel $from -> $to: the receiver failed ($rc)"
	intact "kernel $from -> $to"
}

: >"$W/imp_send" >"$W/imp_recv" >"$W/k_send" >"$W/k_recv" >"$W/b_send" >"$W/b_recv"
BASELINE=${IMP_BASELINE:-}
[[ -z $BASELINE || -x $BASELINE ]] || bench_die "IMP_BASELINE=$BASELINE is not a program"
for ((run = 1; run <= RUNS; run++)); do
	spec=$FAULT,seed=$run
	bench_imp_start --fault "$spec" --msl 500
	imp_send $((PORT += 2)) >>"$W/imp_send"
	imp_recv $((PORT += 2)) >>"$W/imp_recv"
	bench_imp_stop
	if [[ -n $BASELINE ]]; then
		IMPFS_SAVED=$IMPFS IMPFS=$BASELINE
		bench_imp_start --fault "$spec" --msl 500
		imp_send $((PORT += 2)) >>"$W/b_send"
		imp_recv $((PORT += 2)) >>"$W/b_recv"
		bench_imp_stop
		IMPFS=$IMPFS_SAVED
		echo "run $run: baseline imp send $(tail -n 1 "$W/b_send") s, receive $(tail -n 1 "$W/b_recv") s"
	fi

	"$BRIDGE" "$spec" fbA fbB >"$W/bridge.out" 2>"$W/bridge.err" &
	bpid=$!
	BG_PIDS+=("$bpid")
	wait_until 5 grep -q ready "$W/bridge.out" || bench_die "faultbridge did not start: $(cat "$W/bridge.err")"
	ip link set fbA netns $NSA
	ip link set fbB netns $NSB
	ip -n $NSA addr add $KA/24 dev fbA
	ip -n $NSB addr add $KB/24 dev fbB
	for ns in $NSA $NSB; do
		ip -n $ns link set lo up
		ip -n $ns link set dev "$([[ $ns == "$NSA" ]] && echo fbA || echo fbB)" up
	done
	ip netns exec $NSA ping -c 1 -W 2 $KB >/dev/null 2>&1 ||
		ip netns exec $NSA ping -c 1 -W 2 $KB >/dev/null 2>&1 || true
	kernel_xfer $NSA $NSB $KB $((PORT += 2)) >>"$W/k_send"
	if [[ -n ${IMP_BENCH_DEBUG:-} ]]; then	# the kernel sender's loss recovery counters
		echo "kernel sender: $(ip netns exec $NSA nstat -az 2>/dev/null | awk '$2 != 0 && $1 ~ /Retrans|Recovery|LossProbe|Undo|Timeout|Reorder|DSACK|SACK/ { printf "%s=%s ", $1, $2 }')"
	fi
	kernel_xfer $NSB $NSA $KA $((PORT += 2)) >>"$W/k_recv"
	kill -TERM "$bpid"
	wait "$bpid" || true
	echo "run $run ($spec): imp send $(tail -n 1 "$W/imp_send") s, receive $(tail -n 1 "$W/imp_recv") s;" \
		"kernel $(tail -n 1 "$W/k_send") s, $(tail -n 1 "$W/k_recv") s; $(tr '\n' ' ' <"$W/bridge.err")"
done

for dir in send recv; do
	i=$(median <"$W/imp_$dir") k=$(median <"$W/k_$dir")
	label=$([[ $dir == send ]] && echo "from imp" || echo "to imp")
	bench_row "impair ${MIB} MiB $label (time, s)" "$i" "$k" "$(ratio "$i" "$k")" "<= 1.5 (time)"
done
if [[ -n $BASELINE ]]; then
	for dir in send recv; do
		i=$(median <"$W/imp_$dir") b=$(median <"$W/b_$dir")
		label=$([[ $dir == send ]] && echo "from imp" || echo "to imp")
		# the "kernel" column holds the baseline here: ratio = baseline / now
		bench_row "impair $label: baseline/now (s)" "$i" "$b" "$(ratio "$b" "$i")" ">= 3 (speedup)"
	done
fi
