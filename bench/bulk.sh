#!/usr/bin/env bash
# bench/bulk.sh: bulk TCP throughput through the files, beside the kernel.
#
#   bash bench/bulk.sh [MIB]        (default 1024, as root)
#
# Moves MIB MiB of random data (from a tmpfs) each way:
#   receive  kernel socat -> imp, read by  dd if=/imp/tcp/N/data of=/dev/null bs=1M
#   send     imp, written by  dd if=FILE of=/imp/tcp/N/data bs=1M  -> kernel socat
# and the same with the kernel's TCP over a veth pair, the client in another
# namespace: dd of=/dev/null bs=1M </dev/tcp/...  and  dd if=FILE bs=1M >/dev/tcp/...
# The kernel's end is the same socat (1 MiB buffer) for both stacks, the
# client the same dd.  Time runs from after the connect to the end of dd
# (receive) or to the receiver's exit (send).  The timed runs go to
# /dev/null; then each of imp's directions runs again into sha256sum
# (untimed), and a wrong digest or byte count fails the script.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
MIB=${1:-1024}
[[ $MIB =~ ^[0-9]+$ && $MIB -gt 0 ]] || bench_die "usage: bench/bulk.sh [MIB]"
bench_need socat dd sha256sum
bench_enter_ns "$@"

bench_imp_start
bench_veth
FILE=$W/data
head -c "${MIB}M" /dev/urandom >"$FILE"
BYTES=$((MIB << 20))
WANT=$(sha256_of "$FILE")
T=$((60 + MIB / 8))      # seconds any one transfer may take
PORT=9000
export LC_ALL=C

# serve_file: a kernel socat that sends $FILE to the one client of port $PORT.
serve_file() {
	PORT=$((PORT + 1))
	bench_bg timeout "$T" socat -b 1048576 -u OPEN:"$FILE" TCP4-LISTEN:$PORT,reuseaddr
	wait_listening $PORT || bench_die "socat did not listen on $PORT"
}
# sink [CMD]: a kernel socat that reads port $PORT's one client into
# /dev/null, or into CMD's stdin.
sink() {
	PORT=$((PORT + 1))
	if (($#)); then
		bench_bg bash -c "timeout $T socat -b 1048576 -u TCP4-LISTEN:$PORT,reuseaddr STDOUT | $1"
	else
		bench_bg timeout "$T" socat -b 1048576 -u TCP4-LISTEN:$PORT,reuseaddr OPEN:/dev/null
	fi
	wait_listening $PORT || bench_die "socat did not listen on $PORT"
}
# imp_socket: a new imp socket connected to the kernel's $PORT; its ctl is
# fd 3, its data file $DATA.
imp_socket() {
	exec 3<>"$MNT/tcp/new/ctl"
	local n
	read -r n <&3
	echo "connect $PEER $PORT" >&3
	DATA=$MNT/tcp/$n/data
}
# dd_bytes FILE: the byte count in dd's report on FILE.
dd_bytes() { awk '/ bytes / { print $1 }' "$1"; }
# elapsed T0 T1: seconds between two $EPOCHREALTIME values.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }

# ---- receive ---------------------------------------------------------------
serve_file
imp_socket
t0=$EPOCHREALTIME
timeout "$T" dd if="$DATA" of=/dev/null bs=1M 2>"$W/dd.err" || bench_die "imp receive: dd failed: $(tail -n 1 "$W/dd.err")"
t_recv=$(elapsed "$t0" "$EPOCHREALTIME")
exec 3>&-
[[ $(dd_bytes "$W/dd.err") == "$BYTES" ]] || bench_die "imp receive: dd read $(dd_bytes "$W/dd.err") bytes, want $BYTES"
wait "$BG_PID" || bench_die "imp receive: the kernel sender failed"

serve_file
read -r t0 t1 < <(in_vpeer timeout "$T" bash -c 'exec 3</dev/tcp/$0/$1; t0=$EPOCHREALTIME
	dd of=/dev/null bs=1M <&3 2>"$2" && echo "$t0 $EPOCHREALTIME"' $VPEER $PORT "$W/dd.err") ||
	bench_die "kernel receive: dd failed"
t_krecv=$(elapsed "$t0" "$t1")
[[ $(dd_bytes "$W/dd.err") == "$BYTES" ]] || bench_die "kernel receive: dd read $(dd_bytes "$W/dd.err") bytes"
wait "$BG_PID" || bench_die "kernel receive: the sender failed"

# ---- send ------------------------------------------------------------------
sink
imp_socket
t0=$EPOCHREALTIME
timeout "$T" dd if="$FILE" of="$DATA" bs=1M 2>"$W/dd.err" || bench_die "imp send: dd failed: $(tail -n 1 "$W/dd.err")"
echo close >&3
exec 3>&-
wait "$BG_PID" || bench_die "imp send: the kernel receiver failed"
t_send=$(elapsed "$t0" "$EPOCHREALTIME")

sink
t0=$(in_vpeer timeout "$T" bash -c 'exec 3>/dev/tcp/$0/$1; t0=$EPOCHREALTIME
	dd if="$2" bs=1M status=none >&3 && echo "$t0"' $VPEER $PORT "$FILE") || bench_die "kernel send: dd failed"
wait "$BG_PID" || bench_die "kernel send: the receiver failed"
t_ksend=$(elapsed "$t0" "$EPOCHREALTIME")

# ---- the same through imp into sha256sum, untimed ---------------------------
serve_file
imp_socket
got=$(timeout "$T" dd if="$DATA" bs=1M status=none | sha256sum | cut -d' ' -f1)
exec 3>&-
wait "$BG_PID" || true
[[ $got == "$WANT" ]] || bench_die "imp receive: sha256 $got, want $WANT"

sink "sha256sum | cut -d' ' -f1 >$W/sent.sha"
imp_socket
timeout "$T" dd if="$FILE" of="$DATA" bs=1M status=none || bench_die "imp send (sha256 pass): dd failed"
echo close >&3
exec 3>&-
wait "$BG_PID" || bench_die "imp send (sha256 pass): the receiver failed"
got=$(cat "$W/sent.sha")
[[ $got == "$WANT" ]] || bench_die "imp send: sha256 $got, want $WANT"

# ---- report -----------------------------------------------------------------
g_recv=$(gbps $BYTES "$t_recv")
g_krecv=$(gbps $BYTES "$t_krecv")
g_send=$(gbps $BYTES "$t_send")
g_ksend=$(gbps $BYTES "$t_ksend")
echo "bulk: $MIB MiB each way, dd bs=1M, Gbit/s; sha256 checked both ways"
bench_row "bulk receive (dd, Gbit/s)" "$g_recv" "$g_krecv" "$(ratio "$g_recv" "$g_krecv")" ">= 0.40"
bench_row "bulk send (dd, Gbit/s)" "$g_send" "$g_ksend" "$(ratio "$g_send" "$g_ksend")" ">= 0.40"
echo "imp: $(grep -E '^(RetransSegs|InErrs):' "$MNT/tcp/stats" | tr '\n' ' ')"
