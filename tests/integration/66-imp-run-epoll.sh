#!/usr/bin/env bash
# epoll sees the bytes libimpc holds (imp-run(1), Read-ahead), from a C
# program (66_epoll.c, compiled here) under imp-run against a kernel server
# over the TAP:
#   - bytes kept by MSG_PEEK, then the socket added: epoll_wait, epoll_pwait,
#     epoll_pwait2 and a poll of the epoll fd answer at once, one event per
#     descriptor; nothing once they are read, nor after DEL;
#   - bytes read ahead before the socket was added, and read ahead while it
#     is in the set; no read-ahead once an epoll fd is inside another set;
#   - EPOLLONESHOT (once until MOD, whether we or the kernel saw the bytes
#     first) and EPOLLET (once per arrival);
#   - maxevents, each socket in turn, a dup'd epoll fd, closing sockets.
# Without the library's help each "at once" wait sleeps its 2 s and fails.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
SRC=$IMP_REPO/tests/integration/66_epoll.c
K=$IMP_PEER
PORT=7660
command -v cc >/dev/null || die "missing program: cc (Debian: gcc)"
[[ -x "$IMP_RUN" ]] || die "$IMP_RUN not built (ninja -C $IMP_BUILD_DIR)"

tcp_trap
imp_start
export IMP_ROOT=$MNT
mk_tmpdir W
P=$W/66_epoll
cc -O2 -Wall -Wextra -Werror -o "$P" "$SRC" || die "cc $SRC failed"
pass "66_epoll.c compiled"

tcp_bg "$W/serve.out" "$P" serve $PORT
wait_listening $PORT || die "66_epoll serve did not listen on $K:$PORT"

# run DESC [VAR=VALUE...] -- ARGS...: 66_epoll ARGS under imp-run; its
# "ok:" and "FAIL:" lines become checks, then its exit status must be 0.
run() {
	local desc=$1 rc=0 line envs=()
	shift
	while [[ $1 != -- ]]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" timeout -k 5 90 "$IMP_RUN" "$P" "$@" >"$W/out" 2>&1 </dev/null || rc=$?
	while IFS= read -r line; do
		case $line in
		ok:*) pass "$desc: ${line#ok: }" ;;
		FAIL:*) fail "$desc: ${line#FAIL: }" ;;
		esac
	done <"$W/out"
	if [[ $rc != 0 ]]; then
		fail "$desc: exit status $rc"
		grep -Ev '^(ok|FAIL):' "$W/out" | tail -n 15 | sed 's/^/      | /' || true
	fi
}

for t in peek readahead oneshot et many; do
	run "imp-run $t" -- $t "$K" $PORT
done

check "the daemon is alive after all of it" imp_alive
imp_stop
imp_finish
