#!/usr/bin/env bash
# bench/tcp-throughput.sh: TCP bulk throughput of imp beside the kernel's own.
#
#   bash bench/tcp-throughput.sh [SIZE_MIB]      (default 1024, as root)
#
# In a network and mount namespace of its own, it moves SIZE MiB:
#   receive  kernel sender -> imp, read with `cat data > /dev/null`
#   send     imp, written with `cat file > data` -> kernel receiver
#   kernel   kernel -> kernel over a veth pair, same sender and receiver
# and prints each in Gbit/s and imp's ratio to the kernel.  The sender is
# the same socat for all three, and every reader and writer moves 128 KiB
# at a time (cat's size), so the ratio is of the stacks.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMPFS=${IMPFS:-$REPO/${IMP_BUILD_DIR:-build}/impfs}
SIZE_MIB=${1:-1024}
SELF=$(readlink -f "${BASH_SOURCE[0]}")

if [[ "${IMP_BENCH_NS:-}" != 1 ]]; then
	((EUID == 0)) || { echo "bench: run as root" >&2; exit 1; }
	[[ -x $IMPFS ]] || { echo "bench: build first (meson setup build && ninja -C build)" >&2; exit 1; }
	command -v socat >/dev/null || { echo "bench: needs socat (bash tests/deps.sh)" >&2; exit 1; }
	IMP_BENCH_NS=1 exec unshare --net --mount --propagation private -- bash "$SELF" "$@"
fi

MNT=$(mktemp -d)
FILE=$(mktemp)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del impbench-peer 2>/dev/null || true
	rm -f "$FILE"
}
trap cleanup EXIT
ip link set lo up
mount -t tmpfs tmpfs /run/netns 2>/dev/null || { mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns; }

"$IMPFS" -f --tap imp0 --addr 10.0.0.2/24 --msl 500 "$MNT" &
PIDS+=($!)
for _ in $(seq 100); do [[ -r $MNT/ipifc/0/status ]] && break; sleep 0.05; done
ip addr add 10.0.0.1/24 dev imp0
ip link set imp0 up
head -c "${SIZE_MIB}M" /dev/zero > "$FILE"
BYTES=$((SIZE_MIB * 1024 * 1024))

# secs CMD...: wall time of CMD in seconds (3 decimals)
secs() {
	local t0 t1
	t0=$(date +%s%N)
	"$@"
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}
gbps() { awk -v b="$BYTES" -v t="$1" 'BEGIN { printf "%.2f", b * 8 / t / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# receive: the kernel sends, imp reads.
socat -b 131072 -u OPEN:"$FILE" TCP4-LISTEN:9001,reuseaddr &
PIDS+=($!)
sleep 0.3
recv_imp() {
	exec 3<>"$MNT/tcp/new/ctl"
	local n
	read -r n <&3
	echo connect 10.0.0.1 9001 >&3
	cat "$MNT/tcp/$n/data" > /dev/null
	exec 3>&-
}
t_recv=$(secs recv_imp)

# send: imp writes, the kernel reads.
socat -b 131072 -u TCP4-LISTEN:9002,reuseaddr OPEN:/dev/null &
sink=$!
sleep 0.3
send_imp() {
	exec 3<>"$MNT/tcp/new/ctl"
	local n
	read -r n <&3
	echo connect 10.0.0.1 9002 >&3
	cat "$FILE" > "$MNT/tcp/$n/data"
	echo close >&3
	exec 3>&-
	wait "$sink"	# the receiver has everything
}
t_send=$(secs send_imp)

# kernel: the same sender and receiver over a veth pair.
ip netns add impbench-peer
ip link add veth0 type veth peer name veth1
ip link set veth1 netns impbench-peer
ip addr add 10.9.0.1/24 dev veth0
ip link set veth0 up
ip -n impbench-peer addr add 10.9.0.2/24 dev veth1
ip -n impbench-peer link set veth1 up
ip -n impbench-peer link set lo up
socat -b 131072 -u OPEN:"$FILE" TCP4-LISTEN:9003,reuseaddr &
PIDS+=($!)
sleep 0.3
recv_kernel() { ip netns exec impbench-peer socat -b 131072 -u TCP4:10.9.0.1:9003 - > /dev/null; }
t_kern=$(secs recv_kernel)

g_recv=$(gbps "$t_recv")
g_send=$(gbps "$t_send")
g_kern=$(gbps "$t_kern")
printf 'size %d MiB\n' "$SIZE_MIB"
printf 'kernel -> kernel (veth)     %6.2f Gbit/s\n' "$g_kern"
printf 'kernel -> imp (cat data)    %6.2f Gbit/s   ratio %s of the kernel\n' "$g_recv" "$(ratio "$g_recv" "$g_kern")"
printf 'imp -> kernel (cat > data)  %6.2f Gbit/s   ratio %s of the kernel\n' "$g_send" "$(ratio "$g_send" "$g_kern")"
grep -E '^(RetransSegs|InErrs):' "$MNT/tcp/stats" | tr '\n' ' '; echo
