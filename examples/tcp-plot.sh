#!/usr/bin/env bash
# tcp-plot.sh: draw a TCP connection's life from its trace (imp(4), "trace").
#
#   examples/tcp-plot.sh [-m MNT] [-o OUT.png] N      read /imp/tcp/N/trace until
#                                                     the connection ends (or ^C)
#   examples/tcp-plot.sh [-o OUT.png] FILE            a trace saved before
#
# The picture (gnuplot, Debian's gnuplot-nox): cwnd, ssthresh and bytes in
# flight over time, in KB, with each retransmission marked; below, the
# smoothed RTT in ms.  Writes OUT.png (default tcp-N.png or FILE.png) and
# says where.
set -euo pipefail

mnt=/imp out=
usage() { echo "usage: $0 [-m MNT] [-o OUT.png] N|TRACE-FILE" >&2; exit 2; }
while getopts m:o:h o; do
	case $o in
	m) mnt=$OPTARG ;;
	o) out=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
(($# == 1)) || usage
command -v gnuplot >/dev/null || { echo "$0: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ $1 =~ ^[0-9]+$ && ! -f $1 ]]; then
	src=$mnt/tcp/$1/trace
	[[ -e $src ]] || { echo "$0: no $src" >&2; exit 1; }
	out=${out:-tcp-$1.png}
	echo "reading $src until the connection ends (^C to stop)" >&2
	# A ^C ends the reading, not the picture.
	trap ':' INT
	cat "$src" >"$work/trace" || true
	trap - INT
else
	[[ -r $1 ]] || { echo "$0: cannot read $1" >&2; exit 1; }
	cp "$1" "$work/trace"
	out=${out:-$1.png}
fi

# Every trace line is "TIME EVENT cwnd C ssthresh S inflight F srtt R ...":
# one row per line for the curves, one per retransmission for the marks.
awk '$3 == "cwnd" && $5 == "ssthresh" && $7 == "inflight" && $9 == "srtt" {
	if (t0 == "") t0 = $1
	t = $1 - t0
	print t, $4 / 1024, ($6 ? $6 / 1024 : "NaN"), $8 / 1024, $10 / 1000 > "'"$work"'/curves"
	if ($2 == "retransmit") print t, $8 / 1024 > "'"$work"'/rexmit"
	n++
}
END { if (!n) exit 1 }' "$work/trace" || { echo "$0: no trace lines in the input" >&2; exit 1; }
[[ -s $work/rexmit ]] || echo "0 NaN" >"$work/rexmit"

gnuplot <<EOF
set terminal png size 1000,700
set output "$out"
set multiplot layout 2,1 title "TCP connection: $(basename "$1")"
set xlabel "time (s)"
set ylabel "KB"
set key outside right
plot "$work/curves" using 1:2 with steps title "cwnd", \
     "$work/curves" using 1:3 with steps title "ssthresh", \
     "$work/curves" using 1:4 with dots title "in flight", \
     "$work/rexmit" using 1:2 with points pt 2 title "retransmission"
set ylabel "ms"
plot "$work/curves" using 1:5 with lines title "srtt"
unset multiplot
EOF
echo "$out"
