#!/usr/bin/env bash
# Unmodified programs on imp through imp-run (libimpc.so, SPEC §6), against
# kernel servers and clients on the other side of the TAP; every transfer is
# checked byte for byte:
#   curl: a 100 MiB download from nginx (sha256), 10 requests on one
#   keep-alive connection; wget -O-; nc -l and nc as client; python3 -m
#   http.server fetched by the kernel's curl; python scripts (60_client.py):
#   UDP, non-blocking connect with select, names, the rest of the socket API,
#   threads; bash's /dev/tcp; a forked child and an exec'd program writing on
#   their parent's socket.  While they run, cat $MNT/tcp/*/status shows their
#   connections; when they are over, no socket is left behind.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
imp_enter_ns "$@"

IMP_RUN=$IMP_BUILD_DIR/client/imp-run
IMP_LIB=$IMP_BUILD_DIR/client/libimpc.so
CLIENT=$IMP_REPO/tests/integration/60_client.py
K=$IMP_PEER      # the kernel: 10.0.0.1
S=$IMP_ADDR      # the stack:  10.0.0.2

# ---- what the test needs -------------------------------------------------------
missing=()
for t in curl wget nc socat nginx python3 sha256sum ss setsid; do
	command -v "$t" >/dev/null || missing+=("$t")
done
((${#missing[@]} == 0)) || die "missing programs: ${missing[*]} (Debian: curl wget netcat-openbsd socat nginx-light python3 coreutils iproute2 util-linux)"
[[ -x "$IMP_RUN" && -f "$IMP_LIB" ]] || die "$IMP_RUN or $IMP_LIB not built (ninja -C $IMP_BUILD_DIR)"
pass "imp-run and libimpc.so are built"

# At exit: tcp_bg's process groups, the files made here, then lib.sh's
# cleanup.  (As tcp_trap, but set +e first: under set -e, the "(exit $rc)"
# that hands the status on to imp__cleanup would end the trap itself when
# the status is not 0, and leave impfs running.)
W=
cleanup_w() { [[ -z $W ]] || rm -rf "$W"/* 2>/dev/null || true; }
trap 'imp__rc=$?; set +e; trap "" INT TERM HUP; tcp_kill_groups; cleanup_w; (exit $imp__rc); imp__cleanup' EXIT

imp_start
export IMP_ROOT=$MNT
mk_tmpdir W

# imprun SECONDS CMD...: CMD under imp-run, bounded.
imprun() {
	local t=$1
	shift
	timeout -k 5 "$t" "$IMP_RUN" "$@"
}

# client NAME SECONDS ARGS...: imp-run python3 60_client.py ARGS, then prog_checks.
client() {
	local desc=$1 t=$2 rc=0
	shift 2
	imprun "$t" python3 "$CLIENT" "$@" >"$W/client.out" 2>&1 || rc=$?
	prog_checks "$W/client.out" "$rc" "$desc"
}

# conns: one line per imp TCP socket: "N STATE local LADDR LPORT remote RADDR RPORT".
conns() {
	local d n
	for d in "$MNT"/tcp/[0-9]*; do
		[[ -d $d ]] || continue
		n=${d##*/}
		printf '%s %s local %s remote %s\n' "$n" \
			"$(timeout 5 cat "$d/status" 2>/dev/null | awk '{ print $1 }')" \
			"$(timeout 5 cat "$d/local" 2>/dev/null)" "$(timeout 5 cat "$d/remote" 2>/dev/null)"
	done
}
has_conn() { grep -Eq -- "$1" <<<"$(conns)"; }
no_tcp_socks() { [[ -z "$(tcp_socks)" ]]; }
no_udp_socks() { ! timeout 5 ls "$MNT/udp" | grep -Eq '^[0-9]+$'; }

# ---- the servers on the kernel's side ---------------------------------------------
mkdir -p "$W/www" "$W/tmp" "$W/logs" "$W/site"
head -c $((100 << 20)) /dev/urandom >"$W/www/big"
big_sha=$(sha256_of "$W/www/big")
head -c $((1 << 20)) /dev/urandom >"$W/www/mib"
printf 'a small page, served again and again\n' >"$W/www/small.txt"
kernel_nginx "$W" "$K" 8080 "keepalive_requests 1000" || die "nginx did not listen on $K:8080"
# echo (TCP), who-am-I (TCP: the peer address the kernel sees), echo (UDP)
tcp_bg "$W/logs/echo.out" socat TCP-LISTEN:7101,bind=$K,reuseaddr,fork EXEC:cat
tcp_bg "$W/logs/names.out" socat TCP-LISTEN:7200,bind=$K,reuseaddr,fork \
	SYSTEM:'echo $SOCAT_PEERADDR $SOCAT_PEERPORT; sleep 1'
tcp_bg "$W/logs/uecho.out" socat -b 65536 -T 3 UDP4-RECVFROM:7777,bind=$K,fork PIPE
wait_listening 7101 || die "socat did not listen on $K:7101"
wait_listening 7200 || die "socat did not listen on $K:7200"
pass "kernel servers up: nginx :8080, socat echo :7101, names :7200, udp echo :7777"

# ---- curl: keep-alive, 10 requests, one connection ----------------------------------------
url=http://$K:8080
opens0=$(tcp_stat ActiveOpens)
rc=0
imprun 60 curl -sS -w '%{stderr}%{http_code}:%{num_connects} ' \
	$(for i in $(seq 10); do echo "$url/small.txt"; done) >"$W/ka.out" 2>"$W/ka.err" || rc=$?
check_eq "imp-run curl, 10 URLs: exit 0" "$rc" 0
for i in $(seq 10); do cat "$W/www/small.txt"; done >"$W/ka.want"
check "imp-run curl, 10 URLs: the 10 bodies, byte for byte" cmp -s "$W/ka.out" "$W/ka.want"
check_eq "imp-run curl, 10 URLs: one new connection (curl's num_connects)" \
	"$(tr -d '\n' <"$W/ka.err")" "200:1 200:0 200:0 200:0 200:0 200:0 200:0 200:0 200:0 200:0 "
check_eq "imp-run curl, 10 URLs: /imp/tcp/stats ActiveOpens grew by 1" \
	$(($(tcp_stat ActiveOpens) - opens0)) 1

# ---- wget ---------------------------------------------------------------------------
rc=0
out=$(imprun 60 wget -q -O- "$url/small.txt") || rc=$?
check_eq "imp-run wget -O- small page: exit 0 and the body" "$rc:$out" "0:$(cat "$W/www/small.txt")"
rc=0
imprun 60 wget -q -O- "$url/mib" >"$W/mib.got" || rc=$?
check_eq "imp-run wget -O- 1 MiB: exit 0" "$rc" 0
check "imp-run wget -O- 1 MiB: byte for byte" cmp -s "$W/mib.got" "$W/www/mib"

# ---- at once: 100 MiB download, nc -l, bash /dev/tcp, http.server --------------------
note "100 MiB download (curl --limit-rate 40M), nc -l, bash /dev/tcp and http.server at once"
tcp_bg "$W/big.out" bash -c 'set -o pipefail; "$1" curl -sS --max-time 200 --limit-rate 40M "$2" | sha256sum | cut -d" " -f1' \
	dl "$IMP_RUN" "$url/big"
dl_pid=$BG_PID

head -c 200000 /dev/urandom >"$W/ncl.want"
tcp_bg "$W/ncl.got" "$IMP_RUN" nc -l 7000
ncl_pid=$BG_PID

mkfifo "$W/go"
tcp_bg "$W/bash.out" "$IMP_RUN" bash -c '
	exec 3<>/dev/tcp/'"$K"'/7101 || exit 1
	echo "hello from bash" >&3
	read -r line <&3
	echo "read back: $line"
	read -r go <"$1"
	echo "and goodbye" >&3
	read -r line <&3
	echo "read back: $line"
	exec 3>&-' bash "$W/go"
bash_pid=$BG_PID

printf 'index of a directory served from imp\n' >"$W/site/index.html"
head -c $((1 << 20)) /dev/urandom >"$W/site/blob"
tcp_bg "$W/hs.log" env --default-signal=INT "$IMP_RUN" python3 -m http.server -b "$S" -d "$W/site" 8000
hs_pid=$BG_PID

check "curl's download shows as Established to $K 8080" \
	wait_until 10 has_conn "Established local $S [0-9]+ remote $K 8080\$"
check "nc -l 7000 shows as Listen on port 7000" wait_until 10 has_conn "Listen local 0\.0\.0\.0 7000 "
check "bash's /dev/tcp connection shows as Established to $K 7101" \
	wait_until 10 has_conn "Established local $S [0-9]+ remote $K 7101\$"
check "http.server shows as Listen on $S 8000" wait_until 10 has_conn "Listen local $S 8000 "
status=$(timeout 5 cat "$MNT"/tcp/*/status 2>&1 || true)
note "cat \$MNT/tcp/*/status:"
sed 's/^/      | /' <<<"$status"
# curl's download may have ended by the time cat ran (a loaded machine
# takes long to get here); then only bash's connection is still open.
want_est=1
kill -0 "$dl_pid" 2>/dev/null && want_est=2
check_ge "cat \$MNT/tcp/*/status: Established lines (bash, and curl while it runs)" "$(grep -c '^Established ' <<<"$status" || true)" "$want_est"
check_ge "cat \$MNT/tcp/*/status: Listen lines (nc -l, http.server)" "$(grep -c '^Listen ' <<<"$status" || true)" 2

# nc -l receives from the kernel's nc
rc=0
timeout 30 nc -N "$S" 7000 <"$W/ncl.want" || rc=$?
check_eq "kernel nc -N $S 7000 < 200 kB: exit 0" "$rc" 0
reap "$ncl_pid" 15
check_eq "imp-run nc -l 7000: exits 0 when the kernel's nc is done" "$REAP_RC" 0
check "imp-run nc -l 7000: received the 200 kB byte for byte" cmp -s "$W/ncl.got" "$W/ncl.want"

# bash /dev/tcp
echo go >"$W/go"
reap "$bash_pid" 15
check_eq "imp-run bash -c 'exec 3<>/dev/tcp/$K/7101 ...': exit 0" "$REAP_RC" 0
check_eq "bash /dev/tcp: what the echo server sent back" "$(cat "$W/bash.out")" \
	"$(printf 'read back: hello from bash\nread back: and goodbye')"

# python3 -m http.server, fetched by the kernel's curl
wait_until 10 curl -s -o /dev/null "http://$S:8000/" || true
rc=0
out=$(curl -sS --max-time 20 "http://$S:8000/index.html") || rc=$?
check_eq "kernel curl from imp-run python3 -m http.server: index.html" "$rc:$out" \
	"0:index of a directory served from imp"
rc=0
curl -sS --max-time 30 -o "$W/blob.got" "http://$S:8000/blob" || rc=$?
check "kernel curl from http.server: 1 MiB byte for byte" cmp -s "$W/blob.got" "$W/site/blob"
pids=()
for i in 1 2 3 4 5 6; do
	curl -sS --max-time 30 -o "$W/par.$i" "http://$S:8000/blob" &
	pids+=($!)
done
ok=0
for i in 1 2 3 4 5 6; do
	wait "${pids[$((i - 1))]}" && cmp -s "$W/par.$i" "$W/site/blob" && ok=$((ok + 1))
done
check_eq "6 kernel curls at once from http.server: all byte for byte" "$ok" 6
check_eq "http.server logged the 8 GETs of index.html and blob with 200" \
	"$(grep -Ec '"GET /(index\.html|blob) HTTP/1\.1" 200' "$W/hs.log" || true)" 8

# the download
reap "$dl_pid" 200
check_eq "imp-run curl 100 MiB from nginx: sha256 equal" "$REAP_RC:$(cat "$W/big.out")" "0:$big_sha"

kill -INT "$hs_pid"
reap "$hs_pid" 10
check_eq "http.server exits 0 on SIGINT" "$REAP_RC" 0
check "its listening socket is gone" wait_until 5 eval '! has_conn " local $S 8000 "'

# ---- nc as a client, to a kernel listener ---------------------------------------------
head -c 300000 /dev/urandom >"$W/nc.want"
tcp_bg "$W/nc.got" nc -l "$K" 7300
knc=$BG_PID
wait_listening 7300 || true
rc=0
imprun 30 nc -N "$K" 7300 <"$W/nc.want" || rc=$?
check_eq "imp-run nc -N $K 7300 < 300 kB: exit 0" "$rc" 0
reap "$knc" 15
check_eq "the kernel's nc -l exits 0 (our FIN reached it)" "$REAP_RC" 0
check "the kernel's nc -l received the 300 kB byte for byte" cmp -s "$W/nc.got" "$W/nc.want"

# ---- python scripts ------------------------------------------------------------------
client "names" 30 names 7200
client "non-blocking connect" 60 nbconnect 7200 7999
client "udp" 60 udp 7777
client "socket api" 60 api 7101 7400
client "threads" 120 threads 7101

# fork, and exec: the parent, its forked child and an exec'd program write on
# one socket; the kernel's sink gets it all, then EOF when the last one closes.
tcp_bg "$W/fork.got" socat -u TCP-LISTEN:7102,bind=$K,reuseaddr STDOUT
sink=$BG_PID
wait_listening 7102 || true
client "fork+exec" 30 fork 7102
reap "$sink" 10
check_eq "fork+exec: the kernel's sink got EOF when the exec'd program closed (exit 0)" "$REAP_RC" 0
check_eq "fork+exec: the sink received every write, in order" "$(cat "$W/fork.got")" \
	"$(printf "parent before fork\nchild\nparent after the child closed its copy\nexec'd program, send\nexec'd program, write")"

# ---- the examples ---------------------------------------------------------------------
EX=$IMP_REPO/examples
rc=0
IMP_RUN=$IMP_RUN timeout 60 bash "$EX/imp-run-fetch.sh" "$url/mib" "$W/ex.mib" 2>"$W/ex.err" || rc=$?
check_eq "examples/imp-run-fetch.sh $url/mib FILE: exit 0" "$rc" 0
check "examples/imp-run-fetch.sh: the file, byte for byte" cmp -s "$W/ex.mib" "$W/www/mib"
check_match "examples/imp-run-fetch.sh: says how many bytes" "^$W/ex.mib: 1048576 bytes\$" "$(cat "$W/ex.err")"
tcp_bg "$W/ex.serve" env --default-signal=INT IMP_RUN="$IMP_RUN" bash "$EX/imp-run-serve.sh" "$W/site" 8001
ex_pid=$BG_PID
wait_until 10 curl -s -o /dev/null "http://$S:8001/" || true
rc=0
out=$(curl -sS --max-time 20 "http://$S:8001/index.html") || rc=$?
check_eq "examples/imp-run-serve.sh DIR 8001: the kernel's curl gets index.html" "$rc:$out" \
	"0:index of a directory served from imp"
kill -INT "$ex_pid"
reap "$ex_pid" 10
check_eq "examples/imp-run-serve.sh: exits 0 on SIGINT" "$REAP_RC" 0
for f in imp-run-fetch.sh imp-run-serve.sh; do
	rc=0
	out=$(IMP_RUN=$IMP_RUN timeout 10 bash "$EX/$f" 2>&1 </dev/null) || rc=$?
	check_match "examples/$f (no arguments): usage line, exit 2 ($rc)" "^usage: .*$f " "$([[ $rc == 2 ]] && echo "$out")"
	check "examples/$f: executable, bash, set -eu, IMP_ROOT" eval \
		"[[ -x '$EX/$f' ]] && head -n 1 '$EX/$f' | grep -qx '#!/usr/bin/env bash' && grep -q '^set -eu' '$EX/$f' && grep -q 'IMP_ROOT:-/imp' '$EX/$f'"
done

# ---- nothing left behind --------------------------------------------------------------------
check "every imp TCP socket is gone once the programs are over (<= 10 s)" wait_until 10 no_tcp_socks
((IMP_OK)) || conns | sed 's/^/      | /'
check "every imp UDP socket is gone" wait_until 5 no_udp_socks
check "daemon alive" imp_alive
tcp_kill_groups
imp_stop
