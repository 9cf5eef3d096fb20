#!/usr/bin/env bash
# bench/iperf3.sh: iperf3, unmodified, on imp beside the kernel.
#
#   bash bench/iperf3.sh [SECONDS]      (default 10, as root)
#
# A kernel `iperf3 -s -1` (a new one per run) and, as its client, for S seconds:
#   imp      imp-run iperf3 -c 10.0.0.1 -t S -J      (imp sends)
#            imp-run iperf3 -c 10.0.0.1 -t S -J -R   (imp receives)
#   kernel   iperf3 -c 10.9.0.1 -t S -J [-R] from another namespace, over veth
# Each figure is the receiver's bitrate (end.sum_received in the JSON).  A
# run that fails is a row "failed", its cause on stderr, and the script
# exits 1 after printing every row.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
S=${1:-10}
[[ $S =~ ^[0-9]+$ && $S -gt 0 ]] || bench_die "usage: bench/iperf3.sh [SECONDS]"
bench_need iperf3 python3
[[ -x $IMP_RUN ]] || bench_die "$IMP_RUN not built (ninja -C build)"
bench_enter_ns "$@"

bench_imp_start
bench_veth
PORT=5200
FAILED=0

# receiver_gbps FILE: end.sum_received.bits_per_second of iperf3's JSON in
# Gbit/s; else "failed" and the cause on fd 3.
receiver_gbps() {
	python3 - "$1" 3>&- <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("failed"); print("no JSON from iperf3 (%s)" % e, file=sys.stderr); sys.exit()
if d.get("error"):
    print("failed"); print(d["error"], file=sys.stderr); sys.exit()
bps = d.get("end", {}).get("sum_received", {}).get("bits_per_second")
if not bps:
    print("failed"); print("no end.sum_received.bits_per_second in the JSON", file=sys.stderr)
else:
    print("%.2f" % (bps / 1e9))
PY
}

# run NAME CLIENT...: a fresh kernel server on $PORT, then CLIENT -p $PORT
# -t S -J; sets G to Gbit/s or "failed" (the cause on stderr).
run() {
	local name=$1 rc=0
	shift
	PORT=$((PORT + 1))
	bench_bg timeout $((S + 30)) iperf3 -s -1 -p $PORT >"$W/server.out" 2>&1
	wait_listening $PORT || bench_die "iperf3 -s did not listen on $PORT"
	timeout $((S + 20)) "$@" -p $PORT -t "$S" -J >"$W/out.json" 2>"$W/err" || rc=$?
	G=$(receiver_gbps "$W/out.json" 2>"$W/why")
	if [[ $G == failed ]]; then
		echo "iperf3: $name: failed (exit $rc): $(cat "$W/why"; tail -n 2 "$W/err" | tr '\n' ' ')" >&2
		FAILED=1
		kill_hard "$BG_PID"
	else
		wait "$BG_PID" || true
	fi
}

IMPC=(env IMP_ROOT="$MNT" "$IMP_RUN" iperf3 -c "$PEER")
KC=(ip netns exec "$PEER_NS" iperf3 -c "$VPEER")
run "imp-run iperf3 -c" "${IMPC[@]}"; g_isend=$G
run "kernel iperf3 -c" "${KC[@]}"; g_ksend=$G
run "imp-run iperf3 -c -R" "${IMPC[@]}" -R; g_irecv=$G
run "kernel iperf3 -c -R" "${KC[@]}" -R; g_krecv=$G

echo "iperf3: $S s each, receiver's bitrate, Gbit/s"
bench_row "iperf3 -c, imp sends (Gbit/s)" "$g_isend" "$g_ksend" "$(ratio "$g_isend" "$g_ksend")"
bench_row "iperf3 -c -R, imp receives (Gbit/s)" "$g_irecv" "$g_krecv" "$(ratio "$g_irecv" "$g_krecv")"
exit "$FAILED"
