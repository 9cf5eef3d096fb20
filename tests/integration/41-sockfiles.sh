#!/usr/bin/env bash
# Sockets as files: the shape of /imp/udp and /imp/icmp, socket numbers
# (lowest free first), the text files (local, remote, status, err), shell
# redirection, lifetime (freed with its last file unless connected or
# announced; close and rmdir; EOF and EPIPE on files still open), ENFILE past
# --max-sockets, and ownership under -o allow_other (root's sockets closed to
# nobody, nobody's own sockets usable by nobody).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

MAXSOCK=8
imp_start --max-sockets "$MAXSOCK" -o allow_other
U=$MNT/udp

lsdir() { timeout 5 ls "$1" 2>&1 | tr '\n' ' ' | sed 's/ $//'; }
exists() { timeout 5 stat "$1" >/dev/null 2>&1; }
gone() { ! exists "$1"; }

# ---- the tree ------------------------------------------------------------------------
check_eq "ls udp: new stats" "$(lsdir "$U")" "new stats"
check_eq "ls icmp: new stats" "$(lsdir "$MNT/icmp")" "new stats"
check_eq "ls udp/new: ctl" "$(lsdir "$U/new")" "ctl"
check_eq "udp/stats Sockets: 0" "$(proto_stat udp Sockets)" 0

# ---- numbers ---------------------------------------------------------------------------
fds=()
for want in 0 1 2; do
	if sock_new udp; then
		check_eq "open new/ctl: reading it gives the number, lowest free first" "$SOCK_N" "$want"
	else
		fail "open new/ctl: no number read"
	fi
	fds+=("$SOCK_FD")
done
check_eq "ls udp lists the three sockets" "$(lsdir "$U")" "0 1 2 new stats"
check_eq "udp/stats Sockets: 3" "$(proto_stat udp Sockets)" 3
check_eq "ls udp/0: the socket's files" "$(lsdir "$U/0")" "ctl data err listen local remote status"
check_eq "cat udp/1/ctl (another open of a socket's ctl): \"1\"" "$(rd "$U/1/ctl")" 1
check_eq "local of a new socket: 0.0.0.0 0" "$(rd "$U/0/local")" "0.0.0.0 0"
check_eq "remote of a new socket: 0.0.0.0 0" "$(rd "$U/0/remote")" "0.0.0.0 0"
st=$(rd "$U/0/status" || true)
check_match "status of a new socket: Closed, then key value pairs" \
	'^Closed( [a-z]+ [0-9a-z]+)+$' "$st"
check_eq "status is one line" "$(wc -l <<<"$st")" 1
for k in rcvq rcvbuf sndbuf ttl tos headers; do
	check_match "status has $k" " $k [0-9a-z]+( |\$)" "$st"
done
check_match "status: ttl 64 tos 0 rcvq 0 by default" ' rcvq 0 .* ttl 64 tos 0( |$)' "$st"
check_eq "err of a new socket: empty" "$(rd "$U/0/err" | wc -c)" 0
check_eq "cat udp/1/ctl is exactly \"1\\n\"" "$(rd "$U/1/ctl" | od -An -c | tr -s ' ')" " 1 \\n"
check_eq "lseek on data: ESPIPE (not seekable)" "$(fop seek "$U/0/data" 0)" "error ESPIPE"
check_eq "lseek on status: ESPIPE (not seekable)" "$(fop seek "$U/0/status" 0)" "error ESPIPE"
check_eq "files have size 0" "$(timeout 5 stat -c %s "$U/0/ctl" "$U/0/data" "$U/0/status" | sort -u)" 0

# A socket never connected goes with its last file; its number is reused.
sock_close_fd "${fds[1]}"
wait_until 2 gone "$U/1" || true
check "closing the only file of unconnected socket 1 frees it" gone "$U/1"
check_eq "ls udp: 0 2" "$(lsdir "$U")" "0 2 new stats"
sock_new udp || true
check_eq "the next socket gets the freed number 1" "$SOCK_N" 1
fds[1]=$SOCK_FD
for f in "${fds[@]}"; do sock_close_fd "$f"; done
wait_until 2 eval '[[ "$(lsdir "$U")" == "new stats" ]]' || true
check_eq "all closed: ls udp is new stats again" "$(lsdir "$U")" "new stats"
check_eq "udp/stats Sockets: 0" "$(proto_stat udp Sockets)" 0

# ---- one-liners: redirection, lifetime -----------------------------------------------------
mk_tmpfile kout
ctl_try "$U/new/ctl" connect 10.0.0.1 6010
check_eq "echo connect 10.0.0.1 6010 > udp/new/ctl (open with O_TRUNC, one command)" "$CTL_RC" 0
check "the connected socket 0 stays after its ctl is closed" exists "$U/0"
check_eq "its remote: 10.0.0.1 6010" "$(rd "$U/0/remote")" "10.0.0.1 6010"
kpeer_recv_bg "$kout" 6010 --count 1 || fail "kernel receiver on 6010 not ready"
kp=$BG_PID
echo hi >"$U/0/data" || fail "echo hi > udp/0/data failed"
reap "$kp" 5
check_match "echo hi > udp/0/data: the kernel receives \"hi\\n\"" '^from 10\.0\.0\.2 [0-9]+ len 3 ' "$(cat "$kout")"
ctl_try "$U/0/ctl" close
check_eq "echo close > udp/0/ctl" "$CTL_RC" 0
wait_until 2 gone "$U/0" || true
check "after close with no file open the directory is gone" gone "$U/0"

ctl_try "$U/new/ctl" announce 5555
check_eq "echo announce 5555 > udp/new/ctl" "$CTL_RC" 0
check "the announced socket 0 stays after its ctl is closed" exists "$U/0"
check_match "its status: Announced" '^Announced' "$(rd "$U/0/status")"
check "rmdir udp/0" timeout 5 rmdir "$U/0"
wait_until 2 gone "$U/0" || true
check "after rmdir the directory is gone" gone "$U/0"
check "rmdir of it again: fails" eval '! timeout 5 rmdir "$U/0" 2>/dev/null'
check_eq "udp/stats Sockets: 0" "$(proto_stat udp Sockets)" 0
check "the port is free again: announce 5555 on a new socket" eval 'ctl_try "$U/new/ctl" announce 5555; [[ $CTL_RC == 0 ]]'
timeout 5 rmdir "$U/0" 2>/dev/null || true

# close while files are open: the directory stays until they close; a read
# of the open data file gives EOF, a write EPIPE.
sock_new udp || die "no socket"
cfd=$SOCK_FD c=$SOCK_N
check_ctl_ok "connect 10.0.0.1 6011" "$cfd" connect 10.0.0.1 6011
exec {dfd}<>"$U/$c/data"
check_ctl_ok "close (ctl and data still open)" "$cfd" close
check_match "status after close: Closed" '^Closed' "$(rd "$U/$c/status" || true)"
check_eq "read of the still-open data: EOF" "$(fop read "fd:$dfd")" "eof"
check_eq "write to the still-open data: EPIPE" "$(fop write "fd:$dfd" late)" "error EPIPE"
check_ctl_fails "a command on the closed socket's ctl fails" "Broken pipe" "$cfd" connect 10.0.0.1 6011
check_match "err: names the command, says the socket is closed" '^connect 10\.0\.0\.1 6011: .*closed' \
	"$(rd "$U/$c/err" || true)"
sock_close_fd "$dfd"
sock_close_fd "$cfd"
wait_until 2 gone "$U/$c" || true
check "the last file closed: the directory is gone" gone "$U/$c"

# rmdir with files open: the same as close
sock_new udp || die "no socket"
cfd=$SOCK_FD c=$SOCK_N
check_ctl_ok "connect 10.0.0.1 6011" "$cfd" connect 10.0.0.1 6011
exec {dfd}<>"$U/$c/data"
check "rmdir udp/$c with its ctl and data open" timeout 5 rmdir "$U/$c"
check_eq "read of the still-open data: EOF" "$(fop read "fd:$dfd")" "eof"
check_eq "write to the still-open data: EPIPE" "$(fop write "fd:$dfd" late)" "error EPIPE"
check_ctl_fails "a command on its still-open ctl: EPIPE" "Broken pipe" "$cfd" connect 10.0.0.1 6011
sock_close_fd "$dfd"
sock_close_fd "$cfd"
wait_until 2 gone "$U/$c" || true
check "the files closed: the directory is gone" gone "$U/$c"
wait_until 2 eval '[[ "$(lsdir "$U")" == "new stats" ]]' || true
check_eq "... and ls udp no longer lists it" "$(lsdir "$U")" "new stats"
# The kernel keeps the removed directory's inode while its files are open:
# a new socket with the same number must not be taken for it.
sock_new udp || die "no socket"
hold_fd=$SOCK_FD
check_eq "the next socket gets the number $c again" "$SOCK_N" "$c"
check_match "... and its files can be read: status" '^Closed ' "$(rd "$U/$SOCK_N/status" 2>&1 || true)"
# (kept open to the end, so the sockets below do not get this number)

# icmp has the same shape
sock_new icmp || die "no icmp socket"
ifd=$SOCK_FD i=$SOCK_N
check_eq "ls icmp/$i: the socket's files" "$(lsdir "$MNT/icmp/$i")" "ctl data err listen local remote status"
check_eq "icmp/stats Sockets: 1" "$(proto_stat icmp Sockets)" 1
sock_close_fd "$ifd"
wait_until 2 gone "$MNT/icmp/$i" || true
check "closing it frees it" gone "$MNT/icmp/$i"

# ---- ENFILE ---------------------------------------------------------------------------------
fds=()
open_now=$(($(proto_stat0 udp Sockets) + $(proto_stat0 icmp Sockets)))
for ((k = open_now; k < MAXSOCK; k++)); do
	if sock_new udp; then fds+=("$SOCK_FD"); else break; fi
done
check_eq "--max-sockets $MAXSOCK: $open_now open, $((MAXSOCK - open_now)) more can be made" \
	"${#fds[@]}" $((MAXSOCK - open_now))
out=$(timeout 5 bash -c 'exec 3<"$1"' x "$U/new/ctl" 2>&1 || true)
check_match "one more: ENFILE (Too many open files in system)" 'Too many open files in system' "$out"
out=$(timeout 5 bash -c 'exec 3<"$1"' x "$MNT/icmp/new/ctl" 2>&1 || true)
check_match "one more icmp (the limit counts all sockets): ENFILE" 'Too many open files in system' "$out"
sock_close_fd "${fds[0]}"
out=$(timeout 5 bash -c 'exec 3<"$1" && read -r n <&3 && echo "n=$n"' x "$U/new/ctl" 2>&1 || true)
check_match "after one closes, a socket can be made again" '^n=[0-9]+$' "$out"
for f in "${fds[@]:1}"; do sock_close_fd "$f"; done
wait_until 2 eval '[[ "$(proto_stat udp Sockets)" == 0 ]]' || true

# ---- ownership --------------------------------------------------------------------------------
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
OTHER=(setpriv --reuid=12345 --regid=12345 --clear-groups)
as_nobody() { timeout 10 "${NOBODY[@]}" "$@"; }

sock_new udp || die "no socket"
rfd=$SOCK_FD r=$SOCK_N
check_ctl_ok "root: announce 5600" "$rfd" announce 5600
check_eq "root's socket directory: root root 770" "$(timeout 5 stat -c '%U %G %a' "$U/$r")" "root root 770"
check_eq "its ctl, data, listen: 660" \
	"$(timeout 5 stat -c '%a' "$U/$r/ctl" "$U/$r/data" "$U/$r/listen" | sort -u)" 660
check_eq "its local, remote, status, err: 440" \
	"$(timeout 5 stat -c '%a' "$U/$r/local" "$U/$r/remote" "$U/$r/status" "$U/$r/err" | sort -u)" 440
out=$(as_nobody cat "$U/$r/status" 2>&1 || true)
check_match "nobody: cat root's status: Permission denied" 'Permission denied' "$out"
out=$(as_nobody bash -c 'echo close > "$1"' x "$U/$r/ctl" 2>&1 || true)
check_match "nobody: echo close > root's ctl: Permission denied" 'Permission denied' "$out"
out=$(as_nobody dd if="$U/$r/data" bs=1 count=1 iflag=nonblock status=none 2>&1 || true)
check_match "nobody: read root's data: Permission denied" 'Permission denied' "$out"
out=$(as_nobody dd if="$U/$r/listen" bs=1 count=1 iflag=nonblock status=none 2>&1 || true)
check_match "nobody: open root's listen: Permission denied" 'Permission denied' "$out"
out=$(as_nobody rmdir "$U/$r" 2>&1 || true)
check_match "nobody: rmdir root's socket: refused" 'Permission denied|Operation not permitted' "$out"
check_match "root's socket is still announced" '^Announced' "$(rd "$U/$r/status" || true)"

mk_tmpfile nout
kpeer_recv_bg "$kout" 6012 --count 1 || fail "kernel receiver on 6012 not ready"
kp=$BG_PID
# shellcheck disable=SC2016
as_nobody bash -c '
	U=$1
	exec 3<>"$U/new/ctl" || exit 1
	read -r n <&3
	echo "n=$n"
	echo "owner=$(stat -c "%U %G %a" "$U/$n")"
	echo connect 10.0.0.1 6012 >&3 && echo "connect=ok"
	echo "remote=$(cat "$U/$n/remote")"
	echo fromnobody >"$U/$n/data" && echo "write=ok"
	echo close >&3
' x "$U" >"$nout" 2>&1 || true
reap "$kp" 5
nb=$(cat "$nout")
check_match "nobody makes a socket in new/ctl" '^n=[0-9]+$' "$nb"
check_match "nobody's socket directory: nobody nogroup 770" '^owner=nobody nogroup 770$' "$nb"
check_match "nobody connects it" '^connect=ok$' "$nb"
check_match "nobody reads its remote" '^remote=10\.0\.0\.1 6012$' "$nb"
check_match "nobody writes its data" '^write=ok$' "$nb"
check_match "the kernel receives nobody's datagram" '^from 10\.0\.0\.2 [0-9]+ len 11 .* data fromnobody' "$(cat "$kout")"

# A socket accepted through listen belongs to whoever opened listen.
mk_tmpfile lout
timeout 10 "${NOBODY[@]}" bash -c '
	U=$1
	exec 3<>"$U/new/ctl" || exit 1
	read -r n <&3
	echo announce 5601 >&3 || exit 1
	echo "announced=$n"
	exec 4<>"$U/$n/listen" || exit 1
	read -r m <&4
	echo "child=$m"
	echo "owner=$(stat -c "%U %G %a" "$U/$m")"
	echo "data=$(dd if="$U/$m/data" bs=65536 count=1 status=none)"
	echo close >&4 && echo "closed=$m"
	echo close >&3
' x "$U" >"$lout" 2>&1 &
lp=$!
IMP_EXTRA_PIDS+=("$lp")
wait_until 5 file_has "$lout" '^announced=' || true
kpeer send 7010 10.0.0.2 5601 tonobody >/dev/null || true
reap "$lp" 10
lo=$(cat "$lout")
check_match "nobody announces 5601 and opens listen: a child" '^child=[0-9]+$' "$lo"
check_match "the child belongs to nobody (who opened listen): nobody nogroup 770" '^owner=nobody nogroup 770$' "$lo"
check_match "nobody reads the peer's datagram from the child" '^data=tonobody$' "$lo"
check_match "nobody closes the child through the ctl that listen opened" '^closed=[0-9]+$' "$lo"

# another user cannot use nobody's socket
as_nobody bash -c 'echo connect 10.0.0.1 6013 > "$1/new/ctl"' x "$U" 2>/dev/null || true
nsock=
for d in "$U"/[0-9]*; do
	[[ "$(timeout 5 stat -c %U "$d" 2>/dev/null)" == nobody &&
		"$(rd "$d/remote" 2>/dev/null)" == "10.0.0.1 6013" ]] && nsock=${d##*/}
done
if [[ -n "$nsock" ]]; then
	pass "nobody's connected socket $nsock stays after nobody's shell exits"
	out=$(timeout 10 "${OTHER[@]}" cat "$U/$nsock/remote" 2>&1 || true)
	check_match "uid 12345: cat nobody's remote: Permission denied" 'Permission denied' "$out"
	check_eq "root can read it" "$(rd "$U/$nsock/remote" || true)" "10.0.0.1 6013"
	out=$(as_nobody bash -c 'echo close > "$1"' x "$U/$nsock/ctl" 2>&1 || true)
	check_eq "nobody closes its own socket" "$out" ""
else
	fail "nobody: echo connect ... > new/ctl left no socket owned by nobody"
fi
sock_close_fd "$rfd"
ctl_try "$U/$r/ctl" close
sock_close_fd "$hold_fd"
wait_until 2 eval '[[ "$(lsdir "$U")" == "new stats" ]]' || true
check_eq "everything closed: ls udp is new stats" "$(lsdir "$U")" "new stats"

check "daemon alive and serving" imp_alive
imp_stop
