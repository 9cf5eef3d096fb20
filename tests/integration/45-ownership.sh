#!/usr/bin/env bash
# Ownership (SPEC §3, imp(4) OWNERSHIP) on TCP sockets under -o allow_other:
# another uid gets EACCES on every file of a root-owned socket directory,
# whatever the directory holds (ctl, data, listen, local, remote, status,
# err, info, trace), for reading and for writing; it makes and uses its own
# sockets; chmod and chown of a socket directory: the owner or root changes
# the mode, only root gives a socket away, the files follow the directory,
# the new owner then has access (and the old one not), a socket accepted
# through listen takes the announced socket's mode; chmod of a file is EPERM.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"
tcp_trap

command -v setpriv >/dev/null || die "setpriv missing (Debian: util-linux)"
command -v socat >/dev/null || die "socat missing (Debian: socat)"
imp_start -o allow_other
T=$MNT/tcp
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
OTHER=(setpriv --reuid=12345 --regid=12345 --clear-groups)
as_nobody() { timeout 10 "${NOBODY[@]}" "$@"; }
as_other() { timeout 10 "${OTHER[@]}" "$@"; }
perm() { timeout 5 stat -c '%U %G %a' "$@" 2>&1; }

# A kernel echo server on 10.0.0.1:7045.
mk_tmpfile eout
tcp_bg "$eout" socat TCP-LISTEN:7045,bind="$IMP_PEER",reuseaddr,fork PIPE
wait_listening 7045 || die "socat echo server did not listen on 7045"

# ---- a root-owned socket: closed to everyone else ----------------------------------
sock_new tcp || die "root: no socket"
rfd=$SOCK_FD r=$SOCK_N
check_ctl_ok "root: connect $IMP_PEER 7045" "$rfd" connect "$IMP_PEER" 7045
files=$(timeout 5 ls "$T/$r" | tr '\n' ' ' | sed 's/ $//')
check_eq "root's socket directory holds every file" "$files" "ctl data err info listen local remote status trace"
check_eq "root's socket directory: root root 770" "$(perm "$T/$r")" "root root 770"
out=$(as_nobody ls "$T/$r" 2>&1 || true)
check_match "nobody: ls root's socket directory: Permission denied" 'Permission denied' "$out"
for f in $files; do
	out=$(as_nobody dd if="$T/$r/$f" of=/dev/null bs=1 count=1 iflag=nonblock status=none 2>&1 || true)
	check_match "nobody: open root's $f for reading: Permission denied" 'Permission denied' "$out"
	out=$(as_nobody bash -c 'exec 3>"$1"' x "$T/$r/$f" 2>&1 || true)
	check_match "nobody: open root's $f for writing: Permission denied" 'Permission denied' "$out"
	out=$(as_nobody stat -c %a "$T/$r/$f" 2>&1 || true)
	check_match "nobody: stat root's $f: Permission denied" 'Permission denied' "$out"
done
out=$(as_nobody rmdir "$T/$r" 2>&1 || true)
check_match "nobody: rmdir root's socket: refused" 'Permission denied|Operation not permitted' "$out"
out=$(as_nobody chmod 777 "$T/$r" 2>&1 || true)
check_match "nobody: chmod root's socket: refused" 'Permission denied|Operation not permitted' "$out"
check_match "root's connection is untouched" '^Established ' "$(sock_file tcp "$r" status)"
out=$(as_nobody timeout 2 cat "$MNT/ipifc/0/pcap" 2>&1 || true)
check_match "nobody: cat ipifc/0/pcap (everyone's frames): Permission denied" 'Permission denied' "$out"
check_eq "ipifc/0/pcap: root root 400" "$(perm "$MNT/ipifc/0/pcap")" "root root 400"
for f in arp iproute log ipifc/0/ctl; do
	out=$(as_nobody bash -c 'echo flush >"$1"' x "$MNT/$f" 2>&1 || true)
	check_match "nobody: write $f (the stack's, root's): Permission denied" 'Permission denied' "$out"
done

# ---- nobody's own socket -------------------------------------------------------------
mk_tmpfile nout
# shellcheck disable=SC2016
as_nobody bash -c '
	T=$1 peer=$2
	exec 3<>"$T/new/ctl" || exit 1
	read -r n <&3
	echo "n=$n"
	echo "owner=$(stat -c "%U %G %a" "$T/$n") files=$(stat -c %a "$T/$n/data" "$T/$n/status" | tr "\n" " ")"
	echo connect "$peer" 7045 >&3 && echo "connect=ok"
	exec 4<>"$T/$n/data"
	echo ping-from-nobody >&4 && echo "write=ok"
	read -r -t 5 reply <&4 && echo "echo=$reply"
	echo "status=$(cut -d" " -f1 "$T/$n/status")"
' x "$T" "$IMP_PEER" >"$nout" 2>&1 || true
nb=$(cat "$nout")
check_match "nobody makes a TCP socket" '^n=[0-9]+$' "$nb"
check_match "nobody's socket: nobody nogroup 770, data 660, status 440" '^owner=nobody nogroup 770 files=660 440 $' "$nb"
check_match "nobody connects it" '^connect=ok$' "$nb"
check_match "nobody writes its data" '^write=ok$' "$nb"
check_match "nobody reads the echo" '^echo=ping-from-nobody$' "$nb"
check_match "nobody reads its status" '^status=Established$' "$nb"
n=$(sed -n 's/^n=//p' "$nout")
[[ -n "$n" ]] || die "no socket number from nobody"
check "nobody's connected socket stays after nobody's shell" wait_until 2 eval "[[ -d $T/$n ]]"
out=$(as_other cat "$T/$n/status" 2>&1 || true)
check_match "uid 12345: cat nobody's status: Permission denied" 'Permission denied' "$out"
check_match "root reads nobody's status" '^Established ' "$(sock_file tcp "$n" status)"

# ---- chmod and chown -------------------------------------------------------------------
out=$(as_nobody chmod 755 "$T/$n" 2>&1 || true)
check_eq "nobody (the owner): chmod 755 its socket" "$out" ""
check_eq "the directory: nobody nogroup 755" "$(perm "$T/$n")" "nobody nogroup 755"
check_eq "its ctl, data, listen follow: 644" "$(timeout 5 stat -c %a "$T/$n/ctl" "$T/$n/data" "$T/$n/listen" | sort -u)" 644
check_eq "its local, remote, status, err, info, trace follow: 444" \
	"$(timeout 5 stat -c %a "$T/$n"/{local,remote,status,err,info,trace} | sort -u)" 444
check_match "uid 12345 may now read nobody's status" '^Established ' "$(as_other cat "$T/$n/status" 2>&1 || true)"
out=$(as_other bash -c 'echo x >"$1"' x "$T/$n/data" 2>&1 || true)
check_match "uid 12345 may not write nobody's data (644)" 'Permission denied' "$out"
out=$(as_other chmod 777 "$T/$n" 2>&1 || true)
check_match "uid 12345 (not the owner): chmod: Operation not permitted" 'Operation not permitted' "$out"
out=$(as_nobody chmod 777 "$T/$n" 2>&1 || true)
check_eq "nobody: chmod 777" "$out" ""
check_eq "ctl, data, listen: 666" "$(timeout 5 stat -c %a "$T/$n/ctl" "$T/$n/data" "$T/$n/listen" | sort -u)" 666
out=$(as_other bash -c 'echo from-12345 >"$1"' x "$T/$n/data" 2>&1 || true)
check_eq "uid 12345 writes nobody's data (666)" "$out" ""
out=$(as_nobody chown 12345 "$T/$n" 2>&1 || true)
check_match "nobody: chown to uid 12345: Operation not permitted (only root gives sockets away)" 'Operation not permitted' "$out"
out=$(as_nobody chgrp 12345 "$T/$n" 2>&1 || true)
check_match "nobody: chgrp to a group it is not in: Operation not permitted" 'Operation not permitted' "$out"
out=$(timeout 10 setpriv --reuid=nobody --regid=nogroup --groups=12345 chgrp 12345 "$T/$n" 2>&1 || true)
check_eq "nobody, also in group 12345: chgrp 12345 (a group it is in)" "$out" ""
check_eq "the directory's group: 12345" "$(timeout 5 stat -c %g "$T/$n" 2>&1)" 12345
check_eq "nobody: chgrp nogroup back" "$(as_nobody chgrp nogroup "$T/$n" 2>&1 || true)" ""
out=$(chmod 666 "$T/$n/data" 2>&1 || true)
check_match "root: chmod of a file (not the directory): Operation not permitted" 'Operation not permitted' "$out"
out=$(chown nobody "$T/$n/status" 2>&1 || true)
check_match "root: chown of a file (not the directory): Operation not permitted" 'Operation not permitted' "$out"
check_eq "nobody: chmod 700" "$(as_nobody chmod 700 "$T/$n" 2>&1 || true)" ""
out=$(as_other cat "$T/$n/status" 2>&1 || true)
check_match "700: uid 12345 is shut out again" 'Permission denied' "$out"

check_eq "root: chown 12345:12345 nobody's socket" "$(chown 12345:12345 "$T/$n" 2>&1 || true)" ""
check_eq "the directory: 12345 12345 700" "$(timeout 5 stat -c '%u %g %a' "$T/$n" 2>&1)" "12345 12345 700"
check_eq "its files follow: 12345 12345" "$(timeout 5 stat -c '%u %g' "$T/$n"/* | sort -u)" "12345 12345"
out=$(as_nobody cat "$T/$n/status" 2>&1 || true)
check_match "the old owner (nobody) is shut out" 'Permission denied' "$out"
mk_tmpfile oout
# shellcheck disable=SC2016
as_other bash -c '
	exec 4<>"$1/data" || exit 1
	echo ping-from-12345 >&4 && echo "write=ok"
	read -r -t 5 reply <&4 && echo "echo=$reply"
' x "$T/$n" >"$oout" 2>&1 || true
check_match "the new owner (12345) writes the data" '^write=ok$' "$(cat "$oout")"
# 12345's first write ("from-12345") came back and is queued: it is the next
# line read.
check_match "the new owner reads the echo of its writes" '^echo=from-12345$' "$(cat "$oout")"
out=$(as_other rmdir "$T/$n" 2>&1 || true)
check_eq "the new owner may rmdir (close) it" "$out" ""
check "the socket goes after the new owner's rmdir (<= 5 s)" wait_until 5 tcp_sock_gone "$n"

# root gives its own socket to nobody
check_eq "root: chown nobody:nogroup its socket" "$(chown nobody:nogroup "$T/$r" 2>&1 || true)" ""
check_match "nobody now reads the once-root socket's status" '^Established ' "$(as_nobody cat "$T/$r/status" 2>&1 || true)"
check_eq "root: chmod 0750 (root keeps every right)" "$(chmod 0750 "$T/$r" 2>&1 || true)" ""
check_eq "mode 750: nobody nogroup 750" "$(perm "$T/$r")" "nobody nogroup 750"
sock_close_fd "$rfd"
ctl_try "$T/$r/ctl" close
check_eq "close of the given-away socket" "$CTL_RC" 0

# ---- accepted sockets take the announced socket's mode --------------------------------
sock_new tcp || die "root: no socket to announce"
afd=$SOCK_FD a=$SOCK_N
check_ctl_ok "root: announce 7046" "$afd" announce 7046
check_eq "root: chmod 750 the announced socket" "$(chmod 750 "$T/$a" 2>&1 || true)" ""
mk_tmpfile kout
tcp_bg "$kout" socat -T 10 - TCP:"$IMP_ADDR":7046
child=$(fop open "$T/$a/listen" | sed -n 's/^ok //p')
check_match "open listen: a child socket" '^[0-9]+$' "$child"
check_eq "the child: root root 750, as the announced socket" "$(perm "$T/$child")" "root root 750"
ctl_try "$T/$child/ctl" hangup
sock_close_fd "$afd"
ctl_try "$T/$a/ctl" close

check "daemon alive and serving" imp_alive
imp_stop
