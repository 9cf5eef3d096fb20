#!/usr/bin/env bash
# examples/imp-run-fetch.sh: download a URL with an unmodified curl whose
# sockets are imp's, and watch the connection in the file tree meanwhile.
#
#     examples/imp-run-fetch.sh URL FILE        e.g. http://10.0.0.1/big.iso big.iso
#
# Once a second, the state line of every imp TCP socket goes to stderr
# (state, bytes queued, congestion window...: see imp(4), "status").
# IMP_ROOT is where impfs is mounted (default /imp); IMP_RUN is the launcher
# (default: imp-run on PATH, e.g. IMP_RUN=build/client/imp-run).
set -eu

IMP=${IMP_ROOT:-/imp}
RUN=${IMP_RUN:-imp-run}
if (($# != 2)); then
	echo "usage: $0 URL FILE" >&2
	exit 2
fi
url=$1 file=$2
command -v "$RUN" >/dev/null || { echo "$0: $RUN not found (set IMP_RUN)" >&2; exit 1; }

IMP_ROOT=$IMP "$RUN" curl -sS --fail -o "$file" "$url" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	for d in "$IMP"/tcp/[0-9]*; do
		[[ -d $d ]] || continue
		# one line per socket: its number, local and remote ends, and status
		printf '%s  %s -> %s  %s\n' "${d##*/}" "$(tr -d '\n' <"$d/local" 2>/dev/null)" \
			"$(tr -d '\n' <"$d/remote" 2>/dev/null)" "$(cut -d' ' -f1-5 "$d/status" 2>/dev/null)" >&2 || true
	done
	sleep 1
done
rc=0
wait "$pid" || rc=$?
((rc == 0)) && echo "$file: $(wc -c <"$file") bytes" >&2
exit "$rc"
