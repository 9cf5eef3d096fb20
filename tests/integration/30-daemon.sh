#!/usr/bin/env bash
# impfs as a program: refusing bad invocations with one line, stopping on
# SIGINT, SIGTERM and fusermount3 -u, background mode, --netns.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

# ---- bad invocations -------------------------------------------------------------

# reject DESC ARGS...: `impfs ARGS` exits non-zero within 10 s, with exactly one
# line on stderr, starting "impfs: ", and mounts nothing.
reject() {
	local desc=$1
	shift
	local errf outf rc=0 lines first a
	local -A mounts_before=()
	mk_tmpfile errf
	mk_tmpfile outf
	for a in "$@"; do
		[[ -d "$a" ]] && mounts_before[$a]=$(mounts_at "$a")
	done
	timeout -k 2 10 "$IMPFS" "$@" >"$outf" 2>"$errf" </dev/null || rc=$?
	lines=$(awk 'END { print NR }' "$errf")
	first=$(head -n 1 "$errf")
	if ((rc == 0)); then
		fail "$desc: impfs $*: exit status 0, want non-zero"
	elif ((rc == 124 || rc == 137)); then
		fail "$desc: impfs $*: still running after 10 s, want an error exit"
	elif [[ $lines != 1 || $first != "impfs: "* ]]; then
		fail "$desc: impfs $*: exit $rc, but stderr is not one line starting \"impfs: \" ($lines lines):"
		sed 's/^/      | /' "$errf"
	else
		pass "$desc: exit $rc, \"$first\""
	fi
	for a in "${!mounts_before[@]}"; do
		if (($(mounts_at "$a") != mounts_before[$a])); then
			fail "$desc: impfs left something mounted on $a"
		fi
	done
}

# mounts_at DIR: how many mounts sit on DIR.
mounts_at() {
	awk -v d="$1" '$5 == d { n++ } END { print n + 0 }' /proc/self/mountinfo
}

mk_tmpdir d
reject "unknown option" -f --frobnicate "$d"
reject "--addr 300.1.1.1/24" -f --tap impbad --addr 300.1.1.1/24 "$d"
reject "--addr 10.0.0.2/33" -f --tap impbad --addr 10.0.0.2/33 "$d"
reject "--addr not-an-address" -f --tap impbad --addr not-an-address/24 "$d"
reject "--mac zz:zz" -f --tap impbad --mac zz:zz "$d"
reject "--mtu abc" -f --tap impbad --mtu abc "$d"
reject "--gateway 1.2.3" -f --tap impbad --gateway 1.2.3 "$d"
reject "no mount point" -f --tap impbad
reject "two mount points" -f --tap impbad "$d" "$d"
reject "nonexistent mount point" -f --tap impbad "/tmp/imp-no-such-dir.$$"
mk_tmpfile f
reject "mount point is a regular file" -f --tap impbad "$f"
reject "--tap name longer than IFNAMSIZ-1" -f --tap imp0123456789abcdef "$d"
reject "--netns that does not exist" -f --netns imp-no-such-netns "$d"

mk_tmpdir busy
mount -t tmpfs imp-test-busy "$busy"
reject "mount point already mounted (tmpfs)" -f --tap impbad "$busy"
# Same without -f: the error must still reach the caller's terminal.
reject "mount point already mounted (tmpfs), background mode" --tap impbad "$busy"
reject "nonexistent mount point, background mode" --tap impbad "/tmp/imp-no-such-dir.$$"
umount "$busy"

# ---- SIGTERM, and a mount point held by a running impfs ---------------------------
imp_start
check "SIGTERM case: ping answered" ping_ok 2
reject "mount point already mounted by a running impfs" -f --tap imp1 --addr 10.0.1.2/24 "$MNT"
check "the running impfs still serves after the refused second one" imp_alive
check "the running impfs still answers ping" ping_ok 1
check_match "the mount is a FUSE file system" '^fuse' "$(fstype_of "$MNT")"
# /imp/stats counts the FUSE requests: three opens, reads of 100 bytes and
# releases of a file between two reads of stats (the second read's own
# open counts, its read and release come after the figure is made).
s0=$(timeout 5 cat "$MNT/stats")
for i in 1 2 3; do dd if="$MNT/ipifc/0/status" of=/dev/null bs=100 count=1 status=none; done
s1=$(timeout 5 cat "$MNT/stats")
fdelta() { echo $(($(awk -v n="$1:" '$1 == n { print $2 }' <<<"$s1") - $(awk -v n="$1:" '$1 == n { print $2 }' <<<"$s0"))); }
check_eq "stats: FuseOpens +4 (3 dd, 1 cat)" "$(fdelta FuseOpens)" 4
check_eq "stats: FuseReleases +4 (3 dd, the first cat)" "$(fdelta FuseReleases)" 4
check_ge "stats: FuseReads +5 or more (3 dd, the first cat's two)" "$(fdelta FuseReads)" 5
check_ge "stats: FuseReadBytes +300 or more" "$(fdelta FuseReadBytes)" 300
check_eq "stats: FuseWrites +0" "$(fdelta FuseWrites)" 0
imp_stop TERM

# ---- SIGINT (Ctrl-C) ----------------------------------------------------------------
imp_start
check "SIGINT case: ping answered" ping_ok 2
imp_stop INT

# ---- fusermount3 -u -----------------------------------------------------------------
imp_start
check "fusermount3 case: ping answered" ping_ok 2
if timeout 10 fusermount3 -u "$MNT"; then
	pass "fusermount3 -u $MNT succeeded"
else
	fail "fusermount3 -u $MNT failed"
fi
reap "$IMP_PID" 5
if [[ $REAP_RC == timeout ]]; then
	fail "impfs still running 5 s after fusermount3 -u"
	kill_hard "$IMP_PID"
else
	check_eq "impfs exits with status 0 after fusermount3 -u" "$REAP_RC" 0
	((IMP_OK)) || imp_show_log
fi
IMP_PID=
if is_mounted "$MNT"; then fail "$MNT still mounted after fusermount3 -u"; else pass "$MNT unmounted by fusermount3 -u"; fi
umount_hard "$MNT"
MNT=

# ---- background mode ------------------------------------------------------------------
mk_tmpdir bg
mk_tmpfile bglog
# impfs must return once the mount is ready, and the daemon must not keep the
# caller's stdout/stderr (else `$(impfs ...)` or `impfs | tee` never end): both
# go into a pipe here, and the pipe must close.
rc=0
timeout -k 2 10 bash -o pipefail -c '"$@" 2>&1 | cat >"'"$bglog"'"' _ \
	"$IMPFS" --tap "$IMP_TAP" --addr "$IMP_ADDR/$IMP_PREFIX" "$bg" </dev/null || rc=$?
ready=0
timeout 2 cat "$bg/ipifc/0/status" >/dev/null 2>&1 && ready=1
if ((rc == 0)); then
	pass "impfs without -f returns, status 0, and closes the caller's stdout/stderr"
elif ((rc == 124)); then
	fail "impfs without -f: no EOF on its stdout/stderr pipe after 10 s (did not return, or the daemon kept the pipe open)"
else
	fail "impfs without -f: exit status $rc:"
	sed 's/^/      | /' "$bglog"
fi
check_eq "background mode: the tree is ready when impfs returns" "$ready" 1
read -r -a bgpids <<<"$(impfs_pids_for "$bg" | paste -sd' ')"
check_eq "background mode: one daemon process serves $bg" "${#bgpids[@]}" 1
if ((${#bgpids[@]} >= 1)); then
	bgpid=${bgpids[0]}
	IMP_EXTRA_PIDS+=("$bgpid")
	ip addr replace "$IMP_PEER/$IMP_PREFIX" dev "$IMP_TAP"
	ip link set "$IMP_TAP" up
	check "background mode: the daemon answers ping" ping_ok 3
	check "background mode: the daemon serves ipifc/0/status" eval 'timeout 5 cat "$bg/ipifc/0/status" | grep -q "^addr $IMP_ADDR/$IMP_PREFIX\$"'
	kill -TERM "$bgpid"
	if wait_gone "$bgpid" 5; then pass "background daemon exits on SIGTERM"; else fail "background daemon still running 5 s after SIGTERM"; fi
	if is_mounted "$bg"; then fail "$bg still mounted after the daemon's SIGTERM"; else pass "$bg unmounted after the daemon's SIGTERM"; fi
fi

# ---- --netns --------------------------------------------------------------------------
imp_private_netns_dir
ip netns add imptest
ip -n imptest link set lo up
IMP_NETNS=imptest
imp_start
if ip link show "$IMP_TAP" >/dev/null 2>&1; then
	fail "--netns imptest: $IMP_TAP also exists in the caller's namespace"
else
	pass "--netns imptest: no $IMP_TAP in the caller's namespace"
fi
check "--netns imptest: $IMP_TAP is in netns imptest" eval 'ip -n imptest link show "$IMP_TAP" >/dev/null 2>&1'
check "--netns imptest: the mount is in the caller's mount namespace" is_mounted "$MNT"
check "--netns imptest: ip netns exec imptest ping $IMP_ADDR answered" ping_ok 3
arp=$(rd "$MNT/arp" || true)
check_match "--netns imptest: $MNT/arp has the peer $IMP_PEER" "^ether [a-z]+ $IMP_PEER " "$arp"
imp_stop TERM
IMP_NETNS=
ip netns del imptest
