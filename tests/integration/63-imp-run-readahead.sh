#!/usr/bin/env bash
# libimpc's bulk read-ahead (imp-run(1)), from a C program (63_readahead.c,
# compiled here) under imp-run against a kernel server over the TAP:
#   - 8 MiB through recv, read, readv and MSG_PEEK mixed, every byte in
#     order, then the end of the stream;
#   - a recv (or read) of 32 KiB on a socket whose peer sent 256 KiB takes all of it
#     from the daemon (its status shows rcvq 0), and poll, select, FIONREAD
#     still see the rest as readable, while poll waits once it is gone;
#   - on a socket in an epoll set too, whose epoll_wait sees the bytes kept
#     (66-imp-run-epoll.sh has the rest of that);
#   - not with IMP_READAHEAD=0: there the daemon keeps the rest;
#   - the end of the stream after bytes read ahead;
#   - a select before each 16 KiB read, an idle socket in the set: 1 MiB
#     a FUSE read, and the idle socket not polled through FUSE each time;
#   - bytes the library holds (read ahead, MSG_PEEK, a peeked datagram) go
#     with the program when it execs on the socket, through each of the
#     exec calls and posix_spawn: the new image reads every one, in order;
#     an exec that fails leaves them readable in the caller.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
SRC=$IMP_REPO/tests/integration/63_readahead.c
K=$IMP_PEER
PORT=7630
command -v cc >/dev/null || die "missing program: cc (Debian: gcc)"
[[ -x "$IMP_RUN" ]] || die "$IMP_RUN not built (ninja -C $IMP_BUILD_DIR)"

tcp_trap
imp_start
export IMP_ROOT=$MNT
mk_tmpdir W
P=$W/63_readahead
cc -O2 -Wall -Wextra -Werror -o "$P" "$SRC" || die "cc $SRC failed"
pass "63_readahead.c compiled"

tcp_bg "$W/serve.out" "$P" serve $PORT
wait_listening $PORT || die "63_readahead serve did not listen on $K:$PORT"

# run DESC [VAR=VALUE...] -- ARGS...: 63_readahead ARGS under imp-run; its
# "ok:" and "FAIL:" lines become checks, then its exit status must be 0.
run() {
	local desc=$1 rc=0 envs=()
	shift
	while [[ $1 != -- ]]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" timeout -k 5 60 "$IMP_RUN" "$P" "$@" >"$W/out" 2>&1 </dev/null || rc=$?
	prog_checks "$W/out" "$rc" "$desc"
}

run "imp-run" -- stream "$K" $PORT
run "imp-run" -- held "$K" $PORT 1
run "imp-run, read()" -- held "$K" $PORT 1 read
run "imp-run, epoll" -- held "$K" $PORT 1 epoll
run "imp-run, IMP_READAHEAD=0" IMP_READAHEAD=0 -- held "$K" $PORT 0
run "imp-run, IMP_READAHEAD=0" IMP_READAHEAD=0 -- stream "$K" $PORT
run "imp-run" -- eof "$K" $PORT
run "imp-run" -- select "$K" $PORT
for how in execve execv execvp execvpe execl execlp execle fexecve execveat posix_spawn posix_spawnp; do
	run "imp-run, exec read-ahead, $how" -- exec "$K" $PORT ra $how
done
run "imp-run, exec MSG_PEEK, execv" -- exec "$K" $PORT peek execv
run "imp-run, exec MSG_PEEK, execlp" -- exec "$K" $PORT peek execlp
run "imp-run, exec udp, execve" -- exec "$K" $PORT udp execve
run "imp-run, exec udp, posix_spawn" -- exec "$K" $PORT udp posix_spawn
run "imp-run" -- exec-fail "$K" $PORT

check "the daemon is alive after all of it" imp_alive
imp_stop
imp_finish
