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
#     an exec that fails leaves them readable in the caller;
#   - a forged IMP_HELD (the handover's variable) is dropped, and closes no
#     descriptor that is not the sealed memfd it says.
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
for how in execve execv execvp execvpe execl execlp execle fexecve execveat posix_spawn posix_spawnp \
	fork-execv vfork-execv; do
	run "imp-run, exec read-ahead, $how" -- exec "$K" $PORT ra $how
done
run "imp-run, exec MSG_PEEK, execv" -- exec "$K" $PORT peek execv
run "imp-run, exec MSG_PEEK, execlp" -- exec "$K" $PORT peek execlp
run "imp-run, exec udp, execve" -- exec "$K" $PORT udp execve
run "imp-run, exec udp, posix_spawn" -- exec "$K" $PORT udp posix_spawn
run "imp-run, exec MSG_PEEK, fork-execv" -- exec "$K" $PORT peek fork-execv
run "imp-run" -- exec-fail "$K" $PORT

# Forged handovers (IMP_HELD=MEMFD SIZE), each dropped: not numbers,
# numbers out of range, stdin, stdout or stderr named as the memfd (a
# device, a file without seals: left open), trailing bytes, too long.
forgeries=(
	'' 'x' '1' '0 0' '0 10' '1 10' '2 0' '-1 10' '01 10' '1 +10' '1  10' '1 10 '
	'1 99999999999999999999999' '2147483648 10' '1 10;tcp 1 10'
	"1 $(printf '%0100d' 1)"
)
for f in "${forgeries[@]}"; do
	run "imp-run, IMP_HELD='${f:0:40}'" IMP_HELD="$f" -- forged 0 "$K" $PORT
done
# A sealed memfd with records of sockets the program does not have, or
# records that do not fit (each dropped whole, the memfd closed: it shows
# it is one); a memfd of another size than stated, or unsealed: left open.
memfd_run() {
	local want=$1 size=$2 content=$3 seal=${4:-1} rc=0
	"$IMP_PY" - "$size" "$content" "$seal" "$IMP_RUN" "$P" "$want" "$K" $PORT >"$W/out" 2>&1 </dev/null <<-'EOF' || rc=$?
		import fcntl, os, sys
		size, content, seal, run, prog, want, k, port = sys.argv[1:]
		data = content.encode().decode("unicode_escape").encode("latin-1")
		fd = os.memfd_create("forged", os.MFD_ALLOW_SEALING)
		os.write(fd, data)
		seals = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
		if seal == "1": fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
		os.set_inheritable(fd, True)
		os.environ["IMP_HELD"] = "%d %s" % (fd, len(data) if size == "-" else size)
		os.execv(run, [run, prog, "forged", want, k, port])
	EOF
	prog_checks "$W/out" "$rc" "imp-run, a memfd of ${content:0:40}"
}
ten=xxxxxxxxxx
memfd_run 0 - "tcp 99999 10\n$ten"
memfd_run 0 - "udp 99999 10 ::ffff:10.0.0.1 53 0\n$ten"
memfd_run 0 - "tcp 99999 5;udp 99998 5 ::1 53 0\n$ten"
memfd_run 1 9 "tcp 99999 10\n$ten"
memfd_run 1 - "tcp 99999 10\n$ten" 0
for bad in "tcp 99999 10" "tcp 99999 9\n$ten" "tcp 99999 11\n$ten" "tcp 99999 0\n" \
	"tcp 9 5;tcp 9 5\n$ten" "tcp 99999 10;\n$ten" "tcp 99999 10 x\n$ten" "udp 9 10\n$ten" \
	"udp 9 10 ::zz 53 0\n$ten" "udp 9 10 ::1 65536 0\n$ten" "udp 9 10 ::1 53 4294967296\n$ten" \
	"udp 9 70000 ::1 53 0\n$ten" "sctp 9 10\n$ten" "tcp 9 +10\n$ten" "tcp 9 1\x00\n$ten" \
	"tcp 2147483648 10\n$ten" "tcp 99999 99999999999999999999\n$ten" "\n$ten"; do
	memfd_run 0 - "$bad"
done

check "the daemon is alive after all of it" imp_alive
imp_stop
imp_finish
