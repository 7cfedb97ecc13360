#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, test and benchmark nsrun:
# the musl target for Rust, busybox-static (test root filesystems), bubblewrap and util-linux (peers),
# iproute2 and bsdutils (ip and script, used by tests), strace (fault injection: old kernels in tests),
# hyperfine (benchmarks), musl-tools (the C floor of the benchmark), gcc and libc6-dev (the tests
# compile their C helpers, tests/helpers/nosys.c, with cc), libcap2-bin (capsh decodes capability
# sets in the confinement tests). Idempotent and quick when done.
set -euo pipefail

packages=(busybox-static bubblewrap util-linux bsdutils iproute2 strace hyperfine musl-tools file binutils gcc libc6-dev python3 libcap2-bin)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

target=$(uname -m)-unknown-linux-musl
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
