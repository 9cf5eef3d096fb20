#!/usr/bin/env bash
# bench/curl.sh: an unmodified program's download on imp, beside the kernel.
#
#   bash bench/curl.sh [MIB]        (default 1024, as root)
#
# nginx on the kernel's side (tests/lib.sh's kernel_nginx, sendfile on)
# serves a MIB MiB file from a tmpfs (sparse: zeros, so making it is free);
#   imp      imp-run curl -o /dev/null http://10.0.0.1:8080/file
#   kernel   curl -o /dev/null http://10.9.0.1:8080/file from another namespace, over veth
# Gbit/s from curl's own size_download and time_total (connect included,
# for both); the byte count and the status 200 are checked.  Three rounds,
# imp and kernel alternated, and the median of each: one kernel run here
# swings between 1.7 and 3 GB/s.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
MIB=${1:-1024}
[[ $MIB =~ ^[0-9]+$ && $MIB -gt 0 ]] || bench_die "usage: bench/curl.sh [MIB]"
bench_need curl nginx
[[ -x $IMP_RUN ]] || bench_die "$IMP_RUN not built (ninja -C build)"
bench_enter_ns "$@"

bench_imp_start
bench_veth
mkdir -p "$W/nginx/www"
truncate -s "${MIB}M" "$W/nginx/www/file"
kernel_nginx "$W/nginx" 0.0.0.0 8080 "sendfile on" || bench_die "nginx did not listen on 8080"
BYTES=$((MIB << 20))
T=$((60 + MIB / 8))
FMT='%{http_code} %{size_download} %{time_total}\n'

# fetch NAME CURL...: run CURL; sets RATE (Gbit/s) or dies.
fetch() {
	local name=$1 code size secs
	shift
	read -r code size secs < <(timeout "$T" "$@" -s -o /dev/null -w "$FMT" || true) || true
	[[ ${code:-} == 200 && ${size:-} == "$BYTES" ]] ||
		bench_die "$name: curl got status '${code:-}', ${size:-no} bytes (want 200, $BYTES)"
	RATE=$(gbps "$size" "$secs")
}
median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
imps=() kerns=()
for round in 1 2 3; do
	fetch "imp-run curl" env IMP_ROOT="$MNT" "$IMP_RUN" curl "http://$PEER:8080/file"
	imps+=("$RATE")
	fetch "kernel curl" ip netns exec "$PEER_NS" curl "http://$VPEER:8080/file"
	kerns+=("$RATE")
done
echo "curl rounds (Gbit/s): imp ${imps[*]}; kernel ${kerns[*]}"
g_imp=$(median "${imps[@]}")
g_kern=$(median "${kerns[@]}")
echo "curl: $MIB MiB from nginx, Gbit/s, median of 3"
bench_row "curl $MIB MiB from nginx (Gbit/s)" "$g_imp" "$g_kern" "$(ratio "$g_imp" "$g_kern")" ">= 0.5"
