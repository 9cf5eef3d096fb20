#!/usr/bin/env bash
# examples/ping.sh: ping(8) in bash, through imp's files.
#
#     examples/ping.sh HOST [COUNT]       (default 4 requests, one a second)
#
# IMP_ROOT is where impfs is mounted (default /imp).
#
# How: opening icmp/new/ctl makes an ICMP socket N (reading the open file
# gives "N"); "connect HOST" fixes its peer.  Each write to icmp/N/data is
# one echo request: the 8-byte ICMP header (type 8, code 0, checksum,
# identifier, sequence number) and then the data.  The stack fills in the
# identifier and the checksum, so zeros go there.  Each read of data is one
# echo reply (type 0) with the same sequence number and data, or fails with
# the error the stack learnt (e.g. "No route to host" when HOST does not
# answer ARP).
set -uo pipefail

IMP=${IMP_ROOT:-/imp}
host=${1:-}
count=${2:-4}
if [[ -z "$host" || ! "$count" =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: ping.sh HOST [COUNT]" >&2
	exit 2
fi
WAIT_MS=4000          # how long to wait for each reply (ARP gives up after 3 s)
DATALEN=56            # as ping's default: 64 bytes of ICMP in all

tmp=$(mktemp -d) || exit 2
sock=
cleanup() {
	# A connected socket stays until it is closed (see imp(4)).
	[[ -n "$sock" ]] && echo close >&3 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Make the socket, keep its ctl open on fd 3, connect it.
if ! { exec 3<>"$IMP/icmp/new/ctl"; } 2>/dev/null; then
	echo "ping.sh: cannot open $IMP/icmp/new/ctl (is impfs mounted on $IMP?)" >&2
	exit 2
fi
read -r sock <&3
if ! echo "connect $host" >&3 2>/dev/null; then
	echo "ping.sh: $(cat "$IMP/icmp/$sock/err")" >&2
	exit 2
fi
exec 4<>"$IMP/icmp/$sock/data"
read -r me _ <"$IMP/icmp/$sock/local"      # our address, "ADDR IDENT"

# The data: bytes 0x08, 0x09, ... (ping's pattern, counted from the start of
# the ICMP message), as printf escapes; and as od shows them, to check replies.
data_esc='' data_hex=''
for ((i = 8; i < 8 + DATALEN; i++)); do
	printf -v b '%02x' $((i & 0xff))
	data_esc+="\\x$b"
	data_hex+=" $b"
done

now_us() { local t=${EPOCHREALTIME//[.,]/}; echo $((10#$t)); }
ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }        # microseconds as ms
secs() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); } # microseconds as s

echo "PING $host: $DATALEN data bytes (imp socket $sock)"
sent=0 received=0 errors=0
rtt_min='' rtt_max=0 rtt_sum=0
start=$(now_us)

for ((seq = 1; seq <= count; seq++)); do
	# type 8, code 0, checksum 0, identifier 0 (the stack's), sequence, data
	printf -v hdr '\\x08\\x00\\x00\\x00\\x00\\x00\\x%02x\\x%02x' $((seq >> 8 & 0xff)) $((seq & 0xff))
	# shellcheck disable=SC2059  # the format is the request, in escapes
	printf "$hdr$data_esc" >"$tmp/request"
	# One write is one request: bash's printf may split its output at a
	# newline byte, so dd copies the request in a single write.
	t0=$(now_us)
	if ! dd if="$tmp/request" bs=65536 count=1 status=none >&4 2>"$tmp/err"; then
		echo "ping.sh: icmp_seq=$seq: $(sed 's/.*: //' "$tmp/err")"
		errors=$((errors + 1))
		continue
	fi
	sent=$((sent + 1))

	# Read replies until the one for this request comes, or WAIT_MS pass.
	deadline=$((t0 + WAIT_MS * 1000))
	while :; do
		left=$((deadline - $(now_us)))
		((left > 0)) || break
		: >"$tmp/reply"
		timeout "$(secs "$left")" dd bs=65536 count=1 status=none of="$tmp/reply" <&4 2>"$tmp/err"
		rc=$?
		t1=$(now_us)
		if ((rc == 124)); then
			break                                   # no reply in time
		elif ((rc != 0)); then
			why=$(sed -n 's/.*: //p' "$tmp/err" | head -n 1)
			case $why in
			"No route to host") echo "From $me icmp_seq=$seq Destination Host Unreachable" ;;
			*) echo "From $me icmp_seq=$seq ${why:-error}" ;;
			esac
			errors=$((errors + 1))
			break
		fi
		read -r -a b <<<"$(od -An -tx1 -v "$tmp/reply" | tr '\n' ' ')"
		((${#b[@]} >= 8)) || continue
		[[ ${b[0]} == 00 ]] || continue                 # not an echo reply
		((16#${b[6]}${b[7]} == seq)) || continue        # a late reply to an earlier request
		rtt=$((t1 - t0))
		note=
		[[ " ${b[*]:8}" == "$data_hex" ]] || note=" (wrong data)"
		echo "${#b[@]} bytes from $host: icmp_seq=$seq time=$(ms "$rtt") ms$note"
		received=$((received + 1))
		rtt_sum=$((rtt_sum + rtt))
		((rtt > rtt_max)) && rtt_max=$rtt
		[[ -z "$rtt_min" ]] || ((rtt < rtt_min)) && rtt_min=$rtt
		break
	done
	# one request a second, as ping
	if ((seq < count)); then
		left=$((t0 + 1000000 - $(now_us)))
		((left > 0)) && sleep "$(secs "$left")"
	fi
done

total_ms=$((($(now_us) - start) / 1000))
echo
echo "--- $host ping statistics ---"
loss=0
((sent > 0)) && loss=$(((sent - received) * 100 / sent))
line="$sent packets transmitted, $received received"
((errors > 0)) && line+=", +$errors errors"
echo "$line, $loss% packet loss, time ${total_ms}ms"
if ((received > 0)); then
	echo "rtt min/avg/max = $(ms "$rtt_min")/$(ms $((rtt_sum / received)))/$(ms "$rtt_max") ms"
fi
((received > 0))
