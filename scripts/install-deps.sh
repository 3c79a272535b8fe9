#!/usr/bin/env bash
# Installs every Debian package that vigil's build, tests, demo and benchmarks need.
# Used by the Makefile and by .ci/run; safe to run again (it only installs what is missing).
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ clang make pkg-config
  # the Debian package (dpkg-shlibdeps computes its dependencies)
  dpkg-dev
  # libraries
  libasio-dev libmnl-dev libnftnl-dev libnftables-dev libcurl4-openssl-dev libssl-dev
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev libpcre2-dev libsystemd-dev
  # unit tests, fuzzing
  libgtest-dev libgmock-dev googletest clang-16 libclang-rt-16-dev
  # lab tests, demo, benchmarks
  python3 python3-pytest python3-pytest-xdist python3-pyroute2 python3-scapy
  iproute2 nftables tshark curl procps psmisc keepalived haproxy
  # connection-state replication for nftables NAT (vigil_conntrackd)
  conntrackd conntrack
  # IPVS lab tests: a kernel with IPVS as a process (User-Mode Linux), its modprobe, ipvsadm
  user-mode-linux kmod ipvsadm
  # BFD interoperability (tests/lab/test_bfd_frr.py, bench/bfd_detect.py): FRR's bfdd
  frr
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (run as root to install): ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
# Packaged daemons (keepalived, haproxy, conntrackd, frr) must not start on the host: vigil's lab runs them itself.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1
fi
trap '[ $created_policy -eq 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
