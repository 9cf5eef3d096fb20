#!/usr/bin/env bash
# Installing: impfs --version and imp-run --version print meson's project()
# version; meson install --destdir lays out impfs, imp-run, libimpc.so, the
# man pages and impfs@.service where the build's options say; the unit
# passes systemd-analyze verify; and, with the installed tree bound over the
# prefix in this test's private mount namespace, the installed programs
# work as the unit runs them: the unit's ExecStart (instance imp0, mount
# point /run/imp/imp0) under the unit's capability bounding set and
# no_new_privs serves the tree, the installed imp-run finds the installed
# libimpc.so, READY=1 reaches $NOTIFY_SOCKET once the tree is mounted, and
# SIGTERM (systemctl stop) unmounts and exits 0; the system calls it makes
# (strace) are none the unit's SystemCallFilter, RestrictAddressFamilies,
# RestrictNamespaces or MemoryDenyWriteExecute forbid.  Without
# CAP_SYS_ADMIN in the bounding set the same command fails, so the set is
# what is tested, not the root the test runs as.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

for t in meson systemd-analyze setpriv socat readelf strace; do
	command -v "$t" >/dev/null || die "$t missing (Debian: meson systemd util-linux socat binutils strace)"
done
B=$IMP_BUILD_DIR
# The installed tree and the notify socket's directory go at exit (after
# the bind mounts of them, in the EXIT trap below).
D= N=
rm_dirs() {
	local d
	for d in "$D" "$N"; do [[ "$d" == /tmp/imp-* ]] && rm -rf -- "$d"; done
	return 0
}
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; rm_dirs; (exit $imp__rc); imp__cleanup' EXIT

# opt NAME: the value of the build's option NAME (meson introspect).
opt() {
	meson introspect "$B" --buildoptions |
		"$IMP_PY" -c 'import json, sys
for o in json.load(sys.stdin):
    if o["name"] == sys.argv[1]:
        print(o["value"])' "$1"
}

# ---- --version -------------------------------------------------------------------
want=$(meson introspect "$B" --projectinfo | "$IMP_PY" -c 'import json, sys; print(json.load(sys.stdin)["version"])')
check_match "meson's project() has a version" '^[0-9]+\.[0-9]+' "$want"
rc=0
out=$("$IMPFS" --version 2>&1) || rc=$?
check_eq "impfs --version: \"impfs $want\", exit 0" "$rc:$out" "0:impfs $want"
rc=0
out=$("$B/client/imp-run" --version 2>&1) || rc=$?
check_eq "imp-run --version: \"imp-run $want\", exit 0" "$rc:$out" "0:imp-run $want"
check_match "impfs --help names --version" '--version' "$("$IMPFS" --help 2>&1 || true)"

# ---- meson install --destdir -------------------------------------------------------------
prefix=$(opt prefix) bindir=$(opt bindir) libdir=$(opt libdir) mandir=$(opt mandir)
unitdir=$(opt systemdunitdir)
[[ -n "$unitdir" ]] || unitdir=$prefix/lib/systemd/system
[[ "$bindir" == /* ]] || bindir=$prefix/$bindir
[[ "$libdir" == /* ]] || libdir=$prefix/$libdir
[[ "$mandir" == /* ]] || mandir=$prefix/$mandir
note "prefix $prefix, bindir $bindir, libdir $libdir, mandir $mandir, unit dir $unitdir"
mk_tmpdir D
rc=0
meson install -C "$B" --destdir "$D" --no-rebuild >"$D.log" 2>&1 || rc=$?
IMP_TMPFILES+=("$D.log")
check_eq "meson install --destdir: exit 0" "$rc" 0
((rc == 0)) || sed 's/^/      | /' "$D.log"
check "impfs is installed in $bindir, executable" test -x "$D$bindir/impfs"
check "imp-run is installed in $bindir, executable" test -x "$D$bindir/imp-run"
check "libimpc.so is installed in $libdir" test -f "$D$libdir/libimpc.so"
check_match "the installed libimpc.so exports socket()" ' T socket$' "$(nm -D --defined-only "$D$libdir/libimpc.so" 2>&1)"
for m in man8/impfs.8 man4/imp.4 man1/imp-run.1; do
	check "man page $m is installed in $mandir" test -s "$D$mandir/$m"
	check_eq "man page $m renders without warnings" \
		"$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$D$mandir/$m" 2>&1 >/dev/null)" ""
done
U=$D$unitdir/impfs@.service
check "impfs@.service is installed in $unitdir" test -s "$U"
bpath=$(readelf -d "$D$bindir/impfs" "$D$bindir/imp-run" "$D$libdir/libimpc.so" 2>/dev/null | grep -E 'RPATH|RUNPATH' || true)
check_eq "no installed file keeps a RUNPATH into the build directory" "$(grep -F "$B" <<<"$bpath" || true)" ""
exec_start=$(sed -n 's/^ExecStart=//p' "$U")
check_eq "the unit runs the installed impfs in the foreground on TAP %i, mounted at /run/imp/%i" \
	"$exec_start" "$bindir/impfs -f --tap %i -o allow_other \$IMPFS_ARGS /run/imp/%i"
check_eq "CapabilityBoundingSet: CAP_NET_ADMIN and CAP_SYS_ADMIN only" \
	"$(sed -n 's/^CapabilityBoundingSet=//p' "$U")" "CAP_NET_ADMIN CAP_SYS_ADMIN"
check "the unit is Type=notify" grep -qx 'Type=notify' "$U"
check_eq "the unit makes /run/imp/%i (RuntimeDirectory)" "$(sed -n 's/^RuntimeDirectory=//p' "$U")" "imp/%i"
for d in NoNewPrivileges=yes DevicePolicy=closed 'DeviceAllow=/dev/fuse rw' 'DeviceAllow=/dev/net/tun rw'; do
	check "the unit has $d" grep -qxF "$d" "$U"
done
# A mount namespace of the unit's own would hide the FUSE mount from
# everyone else (systemd.exec(5), MountFlags=).
ns=$(grep -E '^(ProtectSystem|ProtectHome|PrivateTmp|PrivateDevices|PrivateMounts|ReadOnlyPaths|ReadWritePaths|InaccessiblePaths|ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups|ProtectProc|ProtectHostname|ProtectClock|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|MountFlags)=' "$U" || true)
check_eq "no setting that gives the unit a mount namespace (the mount must be seen outside)" "$ns" ""

# ---- the installed tree in place ----------------------------------------------------------
if [[ "$prefix" == / || "$prefix" == /usr || ! -d "$prefix" ]]; then
	skip "prefix $prefix: the installed tree is not bound over the system's own (configure with the default prefix to run the rest)"
	imp_finish
	exit 0
fi
# This test's mount namespace is private: the bind hides the machine's
# $prefix from this test only.
mount --bind "$D$prefix" "$prefix"
mount -t tmpfs -o mode=0755 imp-test-run /run
IMP_EXTRA_MNTS+=(/run/imp/imp0)
umount_later=("$prefix")
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; umount -l "${umount_later[@]}" 2>/dev/null; rm_dirs; (exit $imp__rc); imp__cleanup' EXIT

# verify checks the unit's keys, that ExecStart's program is there, and
# that the Documentation= man pages are found.
rc=0
out=$(cd /tmp && systemd-analyze verify "$D$unitdir/impfs@.service" 2>&1) || rc=$?
check_eq "systemd-analyze verify impfs@.service: exit 0, nothing said" "$rc:$out" "0:"
if [[ "$unitdir" == "$prefix"/* ]]; then
	rc=0
	out=$(cd /tmp && systemd-analyze verify impfs@imp0.service 2>&1) || rc=$?
	check_eq "systemd-analyze verify impfs@imp0.service (found on systemd's own path): exit 0, nothing said" "$rc:$out" "0:"
fi

# The unit's command for instance imp0, as systemd would run it: %i is the
# instance, $IMPFS_ARGS what /etc/imp/imp0.conf would say.
IMPFS_ARGS="--addr $IMP_ADDR/$IMP_PREFIX"
cmd=${exec_start//%i/imp0}
cmd=${cmd//\$IMPFS_ARGS/$IMPFS_ARGS}
read -r -a argv <<<"$cmd"
note "ExecStart for imp0: ${argv[*]}"
mkdir -p /run/imp/imp0		# RuntimeDirectory=

# Without CAP_SYS_ADMIN in the bounding set there is no mount.
rc=0
out=$(timeout 10 setpriv --bounding-set=-all,+net_admin --no-new-privs -- "${argv[@]}" 2>&1) || rc=$?
check "bounding set without CAP_SYS_ADMIN: impfs exits non-zero" test "$rc" != 0
check_match "and says it cannot mount" "^impfs: cannot mount on /run/imp/imp0" "$out"
check "and leaves nothing mounted" eval "! is_mounted /run/imp/imp0"
in_peer ip link del imp0 2>/dev/null || true

# The service manager's end of sd_notify: each datagram, and whether the
# tree was there when it came.
mk_tmpdir N
bg_run "$N/notify.out" "$IMP_PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
s.settimeout(20)
while True:
    m = s.recv(4096).decode()
    print(m, "mounted" if os.path.exists("/run/imp/imp0/ipifc/0/status") else "not mounted", flush=True)
    if m == "STOPPING=1":
        break
' "$N/notify"
npid=$BG_PID
wait_until 5 file_has "$N/notify.out" '^listening$' || fail "the notify receiver did not start"
mk_tmpfile ilog
# A sanitizer build's LeakSanitizer cannot work under ptrace: at exit it
# fails, and impfs with it; its leak check is left to the other tests.
san_env=()
grep -qa __asan_init "$B/impfs" &&
	san_env=(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
# Under strace, to hold the system calls it makes against the unit's
# SystemCallFilter, RestrictAddressFamilies and RestrictNamespaces below.
env "${san_env[@]}" NOTIFY_SOCKET=$N/notify strace -f -qq -o "$N/strace" \
	setpriv --bounding-set=-all,+net_admin,+sys_admin --no-new-privs -- \
	"${argv[@]}" >"$ilog" 2>&1 &
ipid=$!
IMP_EXTRA_PIDS+=("$ipid")
check "the unit's ExecStart under CapabilityBoundingSet and NoNewPrivileges serves /run/imp/imp0 (<= 5 s)" \
	wait_until 5 eval 'timeout 2 cat /run/imp/imp0/ipifc/0/status >/dev/null 2>&1'
((IMP_OK)) || sed 's/^/      | /' "$ilog"
check_eq "mounted as fuse.imp" "$(fstype_of /run/imp/imp0)" fuse.imp
check "Type=notify: impfs says READY=1 to \$NOTIFY_SOCKET once the tree is mounted" \
	wait_until 5 file_has "$N/notify.out" '^READY=1 mounted$'
check_match "the mount has allow_other" 'allow_other' "$(awk '$5 == "/run/imp/imp0"' /proc/self/mountinfo)"
in_peer ip addr replace "$IMP_PEER/$IMP_PREFIX" dev imp0
in_peer ip link set imp0 up
check "the kernel pings the installed impfs's stack" ping_ok 3

mk_tmpfile sout
tcp_bg "$sout" socat TCP-LISTEN:7064,bind="$IMP_PEER",reuseaddr SYSTEM:'echo hello-installed; sleep 2'
wait_listening 7064 || fail "socat did not listen on 7064"
out=$(IMP_ROOT=/run/imp/imp0 timeout 20 "$prefix/bin/imp-run" sh -c 'echo "preload=$LD_PRELOAD"' 2>&1 || true)
check_eq "the installed imp-run preloads the installed libimpc.so" "$out" "preload=$libdir/libimpc.so"
# shellcheck disable=SC2016
out=$(IMP_ROOT=/run/imp/imp0 timeout 20 "$bindir/imp-run" bash -c \
	'exec 3<>/dev/tcp/10.0.0.1/7064 && read -r l <&3 && echo "$l"' 2>&1 || true)
check_eq "bash's /dev/tcp under the installed imp-run talks through the installed impfs" "$out" hello-installed

# The traced impfs is the process setpriv became; strace ends with it.
dpid=$(impfs_pids_for /run/imp/imp0 | head -n 1)
[[ -n "$dpid" ]] && kill -TERM "$dpid"
reap "$ipid" 10
check_eq "SIGTERM (systemctl stop): the installed impfs exits 0" "$REAP_RC" 0
check "and /run/imp/imp0 is unmounted" eval "! is_mounted /run/imp/imp0"
reap "$npid" 5
check "and says STOPPING=1 first" file_has "$N/notify.out" '^STOPPING=1 '

# Restart=on-failure after a crash: the dead mount stops a new impfs until
# the unit's ExecStopPost takes it away.
caps=(setpriv --bounding-set=-all,+net_admin,+sys_admin --no-new-privs --)
"${caps[@]}" "${argv[@]}" >"$ilog" 2>&1 &
ipid=$!
IMP_EXTRA_PIDS+=("$ipid")
wait_until 5 eval 'timeout 2 cat /run/imp/imp0/ipifc/0/status >/dev/null 2>&1' ||
	fail "impfs did not serve /run/imp/imp0 again"
kill -KILL "$ipid"
reap "$ipid" 5
check "SIGKILL leaves a dead mount on /run/imp/imp0" is_mounted /run/imp/imp0
rc=0
out=$(timeout 10 "${caps[@]}" "${argv[@]}" 2>&1) || rc=$?
# (Busy while the kernel still trusts the root's cached attributes, dead after.)
check "a restart on the dead mount is refused" test "$rc" != 0
check_match "with the reason" "^impfs: .*(dead FUSE mount|already mounted)" "$out"
stop_post=$(sed -n 's/^ExecStopPost=-//p' "$U")
check_eq "the unit's ExecStopPost: fusermount3 -u -z -q on the mount point" "$stop_post" "/bin/fusermount3 -u -z -q /run/imp/%i"
read -r -a post <<<"${stop_post//%i/imp0}"
rc=0
out=$(timeout 10 "${caps[@]}" "${post[@]}" 2>&1) || rc=$?
check_eq "ExecStopPost under the unit's limits: exit 0, nothing said" "$rc:$out" "0:"
check "and the dead mount is gone" eval "! is_mounted /run/imp/imp0"
"${caps[@]}" "${argv[@]}" >"$ilog" 2>&1 &
ipid=$!
IMP_EXTRA_PIDS+=("$ipid")
check "the restarted impfs serves /run/imp/imp0" \
	wait_until 5 eval 'timeout 2 cat /run/imp/imp0/ipifc/0/status >/dev/null 2>&1'
kill -TERM "$ipid"
reap "$ipid" 5
check_eq "and stops cleanly (exit 0)" "$REAP_RC" 0
rc=0
out=$(timeout 10 "${caps[@]}" "${post[@]}" 2>&1) || rc=$?
check_eq "ExecStopPost after a clean stop: nothing mounted, nothing said" "$out" ""

# What the unit forbids, against what impfs did from its execve on: every
# system call of the groups SystemCallFilter=~ denies, socket families
# beyond RestrictAddressFamilies, namespaces beyond RestrictNamespaces.
calls=$(awk '/execve\("[^"]*\/impfs"/ { on = 1 } on' "$N/strace" 2>/dev/null)
check "strace saw the installed impfs run" test -n "$calls"
# strace -f: "PID  name(args) = result", the PID padded to 5 columns.
used=$(sed -En 's/^[0-9]+ +([a-z_0-9]+)\(.*/\1/p' <<<"$calls" | sort -u)
check_ge "system calls seen" "$(wc -l <<<"$used")" 10
check_match "among them mount(2), the FUSE mount (so a filter that denied @mount would show)" '^mount$' "$used"
denied=
for g in $(sed -n 's/^SystemCallFilter=~//p' "$U"); do
	denied+=$(systemd-analyze syscall-filter "$g" | awk '$1 !~ /^[@#]/ && NF == 1 { print $1 }')$'\n'
done
check_ge "system calls SystemCallFilter denies (systemd-analyze syscall-filter)" "$(grep -c . <<<"$denied")" 10
check_eq "impfs makes none of the system calls the unit denies" \
	"$(comm -12 <(sort -u <<<"$used") <(grep . <<<"$denied" | sort -u) | tr '\n' ' ')" ""
families=$(grep -o 'socket(AF_[A-Z0-9]*' <<<"$calls" | sed 's/socket(//' | sort -u | tr '\n' ' ')
allowed=$(sed -n 's/^RestrictAddressFamilies=//p' "$U")
bad=
for f in $families; do [[ " $allowed " == *" $f "* ]] || bad+="$f "; done
check_eq "its sockets ($families) are of RestrictAddressFamilies=$allowed" "$bad" ""
check_eq "it makes no namespace (RestrictNamespaces=net allows only setns into a network one)" \
	"$(grep -E '^[0-9]+ +(unshare|clone3?)\(.*CLONE_NEW' <<<"$calls" || true)" ""
check_eq "no memory both writable and executable (MemoryDenyWriteExecute)" \
	"$(grep -E '^[0-9]+ +(mmap|mprotect)\(.*PROT_WRITE\|PROT_EXEC|PROT_EXEC\|PROT_WRITE' <<<"$calls" || true)" ""
