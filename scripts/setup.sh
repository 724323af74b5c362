#!/usr/bin/env bash
# Prepares a Debian 12 machine to build and test wanfwd: packages, 2 MB hugepages, cargo.
# Idempotent: a second run installs nothing and needs no network. Run as root.
set -euo pipefail

PACKAGES=(libdpdk-dev dpdk-dev dpdk clang libclang-dev pkg-config iproute2 iputils-ping
    ethtool traceroute tcpdump python3 procps
    librte-mempool-ring23 librte-net-af-packet23 librte-net-pcap23 librte-net-null23 librte-net-ring23)
HUGEPAGES=512 # of 2 MB: 1 GiB
NR_HUGEPAGES=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

[[ $EUID -eq 0 ]] || { echo "setup.sh: run as root" >&2; exit 1; }

missing=()
for pkg in "${PACKAGES[@]}"; do
    # shellcheck disable=SC2016 # ${Status} is dpkg-query's, not the shell's
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    echo "setup: packages already installed"
fi

hugepages_ok() {
    (($(cat "$NR_HUGEPAGES" 2>/dev/null || echo 0) >= HUGEPAGES)) && grep -qs ' hugetlbfs ' /proc/mounts
}
if ! hugepages_ok; then
    mkdir -p /dev/hugepages # dpdk-hugepages.py mounts there, and some kernels' /dev lacks it
    dpdk-hugepages.py -p 2M --setup 1G || true
fi
if hugepages_ok; then
    echo "setup: $(cat "$NR_HUGEPAGES") hugepages of 2 MB reserved, hugetlbfs mounted"
else
    echo "setup: WARNING: could not reserve and mount hugepages; wanfwd will fall back to --no-huge" >&2
fi

cargo_env=${CARGO_HOME:-${HOME:-/root}/.cargo}/env
# shellcheck source=/dev/null
[[ -f $cargo_env ]] && source "$cargo_env"
if ! command -v cargo >/dev/null; then
    echo "setup: cargo not found: install a Rust toolchain (rustup) first" >&2
    exit 1
fi
echo "setup: $(cargo --version)"
