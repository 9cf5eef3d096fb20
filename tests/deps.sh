#!/usr/bin/env bash
# tests/deps.sh: install the Debian packages imp's build and tests need.
# Run it or source it.  Quiet when everything is installed already; otherwise,
# as root, `apt-get update` once and install what is missing.

imp_deps() {
	local pkgs=(
		meson ninja-build pkg-config gcc libfuse3-dev fuse3 libcmocka-dev
		iproute2 iputils-ping curl nginx-light socat netcat-openbsd iperf3 valgrind
		python3-scapy tcpdump nftables util-linux procps wget gnuplot-nox
		systemd man-db binutils strace clang
		# dnsmasq's executable alone: the dnsmasq package adds a system service
		dnsmasq-base
	)
	local missing=() p
	for p in "${pkgs[@]}"; do
		if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
			missing+=("$p")
		fi
	done
	((${#missing[@]} == 0)) && return 0

	if ((EUID != 0)); then
		echo "deps: missing Debian packages: ${missing[*]} (run tests/deps.sh as root to install them)" >&2
		return 1
	fi
	echo "deps: installing ${missing[*]}"
	local apt_opts=(-q -o DPkg::Lock::Timeout=300)
	# Install servers (nginx, iperf3) without starting them on the host.
	local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
	fi
	if ! apt-get "${apt_opts[@]}" update >/tmp/imp-apt-update.log 2>&1; then
		cat /tmp/imp-apt-update.log >&2
		echo "deps: apt-get update failed" >&2
		rc=1
	elif ! DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y "${missing[@]}"; then
		echo "deps: apt-get install failed" >&2
		rc=1
	fi
	((made_policy)) && rm -f "$policy"
	rm -f /tmp/imp-apt-update.log
	return "$rc"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	imp_deps
	exit $?
fi
imp_deps
