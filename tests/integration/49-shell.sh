#!/usr/bin/env bash
# Shell fidelity: a socket's files behave as a socket does.  lseek is ESPIPE
# on data and the other files (they are opened non-seekable); stat of a data
# file's path shows the regular, empty file FUSE can open, and fstat of a
# socket under imp-run shows S_IFSOCK, so head -1 and head -c on a socket
# print what they should and no "cannot seek" error; a read returns 0 (EOF)
# only at the peer's FIN: not while nothing is queued (it blocks, or EAGAIN
# with O_NONBLOCK), not after our own shutdown wr, and from then on always.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
W=
cleanup_w() { [[ "$W" == /tmp/imp-* ]] && rm -rf -- "$W"; return 0; }
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; cleanup_w; (exit $imp__rc); imp__cleanup' EXIT

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
PEER=$IMP_REPO/tests/integration/49_peer.py
[[ -x "$IMP_RUN" ]] || die "$IMP_RUN not built"
command -v socat >/dev/null || die "socat missing (Debian: socat)"
imp_start
T=$MNT/tcp
mk_tmpdir W

# ---- a peer we drive: one command a line through a FIFO ----------------------------
mkfifo "$W/cmd"
tcp_bg "$W/peer.out" "$IMP_PY" "$PEER" 7050 "$W/cmd"
wait_until 5 file_has "$W/peer.out" '^ready$' || die "49_peer.py did not listen"
exec {cmdfd}<>"$W/cmd"
peer() { printf '%s\n' "$*" >&"$cmdfd"; }
peer_said() { wait_until 5 file_has "$W/peer.out" "$1"; }

sock_new tcp || die "no socket"
cfd=$SOCK_FD n=$SOCK_N
check_ctl_ok "connect $IMP_PEER 7050" "$cfd" connect "$IMP_PEER" 7050
peer_said '^accepted$' || fail "the peer did not accept"
exec {dfd}<>"$T/$n/data"

# ---- lseek, stat -------------------------------------------------------------------
check_eq "lseek on an open data: ESPIPE" "$(fop seek "fd:$dfd" 0)" "error ESPIPE"
check_eq "lseek on an open ctl: ESPIPE" "$(fop seek "fd:$cfd" 0)" "error ESPIPE"
for f in data ctl status local remote err info trace; do
	check_eq "lseek on $f (opened by path): ESPIPE" "$(fop seek "$T/$n/$f" 0)" "error ESPIPE"
done
# The ctl an open of listen gives (a new socket's, made at that open).
sock_new tcp || die "no socket to announce"
afd=$SOCK_FD a=$SOCK_N
check_ctl_ok "announce 7056" "$afd" announce 7056
tcp_bg "$W/conn.out" socat -T 5 - TCP:"$IMP_ADDR":7056
check_eq "lseek on the ctl that listen opened: ESPIPE" "$(fop seek "$T/$a/listen" 0)" "error ESPIPE"
sock_close_fd "$afd"
ctl_try "$T/$a/ctl" close
check_eq "stat of the data file's path: a regular empty file (what FUSE can open)" \
	"$(timeout 5 stat -c '%F %s' "$T/$n/data")" "regular empty file 0"

# ---- reads of 0 only at the peer's FIN -----------------------------------------------------
peer send one
peer_said '^sent 4$' || fail "the peer did not send"
check_eq "read: the peer's line" "$(fop read "fd:$dfd")" 'ok 4 md5 '"$(printf 'one\n' | md5sum | cut -d' ' -f1)"' data one\x0a'
check_eq "read with nothing queued blocks (no 0 before the FIN)" "$(fop --timeout 1 read "fd:$dfd")" timeout
# (By path: a second open, since O_NONBLOCK set on fd:N would stay set.)
check_eq "O_NONBLOCK read with nothing queued: EAGAIN, not 0" "$(fop read --nonblock "$T/$n/data")" "error EAGAIN"
check_ctl_ok "shutdown wr (our FIN)" "$cfd" shutdown wr
peer waiteof
check "the peer sees our FIN" peer_said '^peer eof$'
check_eq "after our own shutdown wr, a read still blocks (the peer has not closed)" \
	"$(fop --timeout 1 read "fd:$dfd")" timeout
peer send two
peer_said '^sent 4$' || true
check_match "the peer's data still arrives after our FIN" ' data two\\x0a$' "$(fop read "fd:$dfd")"
peer shut
peer_said '^shut$' || fail "the peer did not shut down"
check_eq "at the peer's FIN: read gives 0 (EOF)" "$(fop read "fd:$dfd")" eof
check_eq "and again EOF" "$(fop read "fd:$dfd")" eof
check_eq "O_NONBLOCK read at EOF: 0, not EAGAIN" "$(fop read --nonblock "$T/$n/data")" eof
peer close
sock_close_fd "$dfd"
sock_close_fd "$cfd"

# cat through imp-run against a peer that pauses between lines: all of it,
# then exit 0 at the FIN.
tcp_bg "$W/slow.out" socat TCP-LISTEN:7051,bind="$IMP_PEER",reuseaddr \
	SYSTEM:'echo a; sleep 1; echo b; sleep 1; echo c'
wait_listening 7051 || fail "socat did not listen on 7051"
rc=0
out=$(timeout 20 "$IMP_RUN" -r "$MNT" bash -c 'exec 3<>/dev/tcp/10.0.0.1/7051 && cat <&3' 2>&1) || rc=$?
check_eq "imp-run cat of a socket whose peer pauses: every line, then exit 0 at the FIN" \
	"$rc:$(tr '\n' ' ' <<<"$out")" "0:a b c "

# ---- head on a socket under imp-run ----------------------------------------------------
# The peer sends three lines in one write, so head's first read takes more
# than the line it prints and head tries to seek back.
# (A script, since socat's address syntax has quoting of its own.)
printf '%s\n' "printf 'line1\\nline2\\nline3\\n'" 'sleep 3' >"$W/lines.sh"
serve3() {
	tcp_bg "$W/$1.out" socat TCP-LISTEN:"$1",bind="$IMP_PEER",reuseaddr SYSTEM:"sh $W/lines.sh"
	wait_listening "$1" || fail "socat did not listen on $1"
}
# shellcheck disable=SC2016
headrun() {
	local port=$1
	shift
	timeout 20 "$IMP_RUN" -r "$MNT" bash -c 'exec 3<>/dev/tcp/10.0.0.1/'"$port"' || exit 9
		sleep 0.5; "$@" <&3; echo "rc=$?"' x "$@" 2>"$W/head.err"
}
serve3 7052
out=$(headrun 7052 head -1 || true)
check_eq "imp-run: head -1 on a socket prints the first line, exit 0" "$(tr '\n' ' ' <<<"$out")" "line1 rc=0 "
check_eq "imp-run: head -1 on a socket says nothing on stderr (no \"cannot seek\")" "$(cat "$W/head.err")" ""
serve3 7053
out=$(headrun 7053 head -c 3 || true)
check_eq "imp-run: head -c 3 on a socket" "$(tr '\n' ' ' <<<"$out")" "linrc=0 "
check_eq "imp-run: head -c 3 says nothing on stderr" "$(cat "$W/head.err")" ""
serve3 7054
out=$(headrun 7054 head -n 2 || true)
check_eq "imp-run: head -n 2 on a socket" "$(tr '\n' ' ' <<<"$out")" "line1 line2 rc=0 "
check_eq "imp-run: head -n 2 says nothing on stderr" "$(cat "$W/head.err")" ""

# What a program sees of the descriptor under imp-run: a socket.
tcp_bg "$W/any.out" socat TCP-LISTEN:7055,bind="$IMP_PEER",reuseaddr,fork SYSTEM:'sleep 2'
wait_listening 7055 || fail "socat did not listen on 7055"
# shellcheck disable=SC2016
out=$(timeout 20 "$IMP_RUN" -r "$MNT" "$IMP_PY" -c '
import errno, os, socket, stat
s = socket.create_connection(("10.0.0.1", 7055), timeout=5)
fd = s.fileno()
print("fstat", "socket" if stat.S_ISSOCK(os.fstat(fd).st_mode) else "not a socket")
print("stat-fd", "socket" if stat.S_ISSOCK(os.stat(fd).st_mode) else "not a socket")
try:
    os.lseek(fd, 0, os.SEEK_CUR)
    print("lseek ok")
except OSError as e:
    print("lseek", errno.errorcode[e.errno])
f = os.open(os.devnull, os.O_RDONLY)
print("devnull", "socket" if stat.S_ISSOCK(os.fstat(f).st_mode) else "char" if stat.S_ISCHR(os.fstat(f).st_mode) else "?")
' 2>&1 || true)
check_match "imp-run: fstat of a socket: S_IFSOCK" '^fstat socket$' "$out"
check_match "imp-run: os.stat(fd) of a socket: S_IFSOCK" '^stat-fd socket$' "$out"
check_match "imp-run: lseek on a socket: ESPIPE" '^lseek ESPIPE$' "$out"
check_match "imp-run: fstat of /dev/null is left alone" '^devnull char$' "$out"
# shellcheck disable=SC2016
out=$(timeout 20 "$IMP_RUN" -r "$MNT" bash -c 'exec 3<>/dev/tcp/10.0.0.1/7055 && stat -L -c %F /dev/fd/3; stat -c %F - <&3' 2>&1 || true)
note "imp-run: stat of /dev/fd/3 (a path), then of stdin (fstat): $(tr '\n' ' ' <<<"$out")"
check_match "imp-run: stat - on a socket's descriptor (fstat): socket" '^socket$' "$out"

check "daemon alive and serving" imp_alive
imp_stop
