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
#   - maxevents, each socket in turn, a dup'd epoll fd, closing sockets;
#   - Python's asyncio (epoll) reading 8 MiB with read-ahead under it, and
#     bytes peeked while it was not watching.
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

# run DESC [VAR=VALUE...] -- ARGS...: 66_epoll (or $RUN_PROG) ARGS under imp-run; its
# "ok:" and "FAIL:" lines become checks, then its exit status must be 0.
run() {
	local desc=$1 rc=0 envs=()
	shift
	while [[ $1 != -- ]]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" timeout -k 5 90 "$IMP_RUN" "${RUN_PROG:-$P}" "$@" >"$W/out" 2>&1 </dev/null || rc=$?
	prog_checks "$W/out" "$rc" "$desc"
}

for t in peek readahead oneshot et many; do
	run "imp-run $t" -- $t "$K" $PORT
done

# A real event loop: Python's asyncio waits in epoll_wait and reads 256 KiB
# at a time, so read-ahead runs under it; 8 MiB, every byte counted, then a
# MSG_PEEK of the next bytes before the loop waits for them.
cat >"$W/aio.py" <<'PY'
import asyncio, socket, sys

async def main(host, port):
    r, w = await asyncio.open_connection(host, port)
    total = 8 << 20
    w.write(b"SEND %d\n" % total)
    got = 0
    while got < total:
        b = await asyncio.wait_for(r.read(1 << 18), 10)
        if not b:
            break
        got += len(b)
    print("ok: asyncio read %d of %d bytes" % (got, total) if got == total
          else "FAIL: asyncio read %d of %d bytes" % (got, total))
    # Peeked while the loop does not watch the socket (pause_reading takes
    # it out of the epoll set), then watched again: the wait must see them.
    w.transport.pause_reading()
    w.write(b"SEND 1000\n")
    s = w.get_extra_info("socket")
    raw = socket.socket(fileno=s.fileno())
    n = 0
    for _ in range(200):
        try:
            n = len(raw.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except BlockingIOError:
            n = 0
        if n == 1000:
            break
        await asyncio.sleep(0.01)
    raw.detach()
    w.transport.resume_reading()
    b = await asyncio.wait_for(r.read(4096), 2) if n else b""
    print("ok: asyncio reads the 1000 bytes peeked" if len(b) == 1000
          else "FAIL: asyncio read %d of the 1000 bytes peeked (peek %d)" % (len(b), n))
    w.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
PY
if command -v python3 >/dev/null; then
	RUN_PROG=python3 run "imp-run python3 asyncio" -- "$W/aio.py" "$K" $PORT
else
	skip "python3 asyncio: no python3"
fi

check "the daemon is alive after all of it" imp_alive
imp_stop
imp_finish
