#!/usr/bin/env bash
# examples/demo.sh: imp in one command (run as root).
#
# Installs what imp needs (Debian packages), builds it, and starts impfs on
# /imp with its TAP device imp0 inside a network namespace of its own,
# "impdemo", where the kernel gets 10.0.0.1/24 and the stack 10.0.0.2/24.
# Then the kernel pings the stack and the demo shows a few files of /imp.
# impfs keeps running afterwards; the demo says how to stop it.
#
# Nothing is configured in the machine's own network namespace: the stack and
# its peer only see each other.
#
# Environment: IMP_ROOT (mount point, default /imp), IMP_BUILD_DIR (default build).
set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
MNT=${IMP_ROOT:-/imp}
NS=impdemo
BUILD=${IMP_BUILD_DIR:-build}
IMPFS=$BUILD/impfs

say() { printf '\n# %s\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@"
}

if ((EUID != 0)); then
	echo "demo: run me as root (impfs needs /dev/net/tun, network namespaces and FUSE mounts)" >&2
	exit 1
fi
if awk -v d="$(realpath -m "$MNT")" '$5 == d { f = 1 } END { exit !f }' /proc/self/mountinfo; then
	echo "demo: $MNT is already mounted (an impfs from an earlier demo?)." >&2
	echo "demo: stop it first:  fusermount3 -u $MNT; ip netns del $NS" >&2
	exit 1
fi

cleanup_hint=
trap 'echo "demo: that step failed.${cleanup_hint}" >&2' ERR

say "Debian packages"
bash tests/deps.sh

say "build"
if [[ ! -f $BUILD/build.ninja ]]; then
	run meson setup "$BUILD" >/dev/null
fi
run ninja -C "$BUILD" >/dev/null
echo "built $IMPFS"

say "a network namespace for the stack's link"
if ip netns list | awk '{ print $1 }' | grep -qx "$NS"; then
	run ip netns del "$NS"
fi
run ip netns add "$NS"
cleanup_hint=" To clean up: ip netns del $NS"
run ip -n "$NS" link set lo up

say "start impfs: TAP imp0 in $NS, the stack at 10.0.0.2/24, the files on $MNT"
mkdir -p "$MNT"
run "$IMPFS" --netns "$NS" --tap imp0 --addr 10.0.0.2/24 "$MNT"
cleanup_hint=" To clean up: fusermount3 -u $MNT; ip netns del $NS"

say "the kernel's end of the link, inside $NS"
run ip -n "$NS" addr add 10.0.0.1/24 dev imp0
run ip -n "$NS" link set imp0 up

say "ping the stack from the namespace"
run ip netns exec "$NS" ping -c 3 -W 1 10.0.0.2

say "the interface and the neighbour table, as files"
run timeout 5 cat "$MNT/ipifc/0/status"
run timeout 5 cat "$MNT/arp"

say "a TCP connection through the files: a web page from a kernel server in $NS"
WWW=$(mktemp -d)
echo "hello from the kernel, fetched through /imp" > "$WWW/index.html"
ip netns exec "$NS" /usr/bin/python3 -m http.server 8080 --bind 10.0.0.1 --directory "$WWW" \
	>/dev/null 2>&1 &
web=$!
trap 'kill $web 2>/dev/null; rm -rf "$WWW"' EXIT
for _ in $(seq 50); do
	ip netns exec "$NS" ss -ltn 2>/dev/null | grep -q ':8080 ' && break
	sleep 0.1
done
printf '$ exec 3<>%s/tcp/new/ctl; read -r n <&3\n' "$MNT"
exec 3<>"$MNT/tcp/new/ctl"
read -r n <&3
printf '$ echo connect 10.0.0.1 8080 >&3          # socket %s; returns after the handshake\n' "$n"
echo connect 10.0.0.1 8080 >&3
run timeout 5 cat "$MNT/tcp/$n/status"
printf "\$ printf 'GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n' > %s/tcp/%s/data\\n" "$MNT" "$n"
printf 'GET / HTTP/1.0\r\n\r\n' > "$MNT/tcp/$n/data"
run timeout 5 cat "$MNT/tcp/$n/data"
exec 3>&-
run timeout 5 grep -E '^(ActiveOpens|InSegs|OutSegs|RetransSegs):' "$MNT/tcp/stats"

cat <<EOF

impfs keeps running with its files on $MNT. Look around: ls $MNT; cat $MNT/ipifc/0/stats
Ping it again:  ip netns exec $NS ping 10.0.0.2
Stop it:        fusermount3 -u $MNT; ip netns del $NS
EOF
