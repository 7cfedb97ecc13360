#!/usr/bin/env bash
# Runs each built foreign binary (target/static/nsrun-ARCH, or the files given as arguments, e.g.
# dist/nsrun-*): --version (names its target and Linux 3.15), --help, and a usage error (exit 2).
# A binary this machine runs natively (a 32-bit x86 one on x86-64, say) runs directly, and,
# as root, also runs a container (a new UTS namespace with busybox's hostname); any other runs
# under qemu-user (apt-get install qemu-user-static), which does not emulate namespaces, so only
# the binary-level checks run there. A binary with no way to run it is skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

tdir=${CARGO_TARGET_DIR:-target}
if [ $# -gt 0 ]; then bins=("$@"); else bins=("$tdir"/static/nsrun-*); fi
[ -e "${bins[0]}" ] || { echo "check-targets.sh: no binary to check (build one with NSRUN_TARGET=... scripts/build-static.sh)" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
fails=0 ran=0

fail() {
    echo "FAIL $1: $2" >&2
    fails=$((fails + 1))
}

for bin in "${bins[@]}"; do
    case "$bin" in *.tmp | *.sha256 | */SHA256SUMS) continue ;; esac
    # The ELF machine (offset 18) says what the binary is, whatever its name.
    machine=$(od -An -tu2 -j18 -N2 "$bin" | tr -d ' ')
    case "$machine" in
        3) arch=i686 qemu=qemu-i386-static ;;
        40) arch=armv7 qemu=qemu-arm-static ;;
        62) arch=x86_64 qemu=qemu-x86_64-static ;;
        183) arch=aarch64 qemu=qemu-aarch64-static ;;
        243) arch=riscv64gc qemu=qemu-riscv64-static ;;
        *) fail "$bin" "unknown ELF machine $machine"; continue ;;
    esac
    run=("$bin")
    native=yes
    if ! "$bin" --version >/dev/null 2>&1; then
        native=no
        if ! command -v "$qemu" >/dev/null; then
            echo "check-targets.sh: skipping $bin ($arch): it does not run here and $qemu is missing (apt-get install qemu-user-static)" >&2
            continue
        fi
        run=("$qemu" "$bin")
    fi
    how=$([ "$native" = yes ] && echo natively || echo "under $qemu")
    ran=$((ran + 1))

    out=$("${run[@]}" --version) || fail "$bin" "--version exited $?"
    case "$out" in
        "nsrun version $version"$'\n'*$'\n'"build: $arch-"*"-linux-musl"*"; Linux 3.15 or later") ;;
        *) fail "$bin" "--version printed '$out'" ;;
    esac
    help=$("${run[@]}" --help) || fail "$bin" "--help exited $?"
    case "$help" in "Usage: nsrun "*) ;; *) fail "$bin" "--help printed '${help%%$'\n'*}'" ;; esac
    rc=0
    err=$("${run[@]}" --no-such-option 2>&1 >/dev/null) || rc=$?
    [ "$rc" = 2 ] || fail "$bin" "a usage error exited $rc, not 2"
    case "$err" in *"unknown option"*) ;; *) fail "$bin" "a usage error said '$err'" ;; esac
    extra=""
    if [ "$native" = yes ] && [ "$(id -u)" = 0 ] && bb=$(command -v busybox); then
        got=$("$bin" --hostname nsrun-check -- "$bb" hostname 2>&1) || fail "$bin" "a container exited $?: $got"
        [ "$got" = nsrun-check ] || fail "$bin" "the container's hostname was '$got'"
        extra=", a container"
    fi
    echo "ok $bin: $out, $how: --version, --help, usage error (exit 2)$extra"
done

[ "$ran" -gt 0 ] || { echo "check-targets.sh: no binary could be run" >&2; exit 1; }
[ "$fails" -eq 0 ] || { echo "check-targets.sh: $fails failure(s)" >&2; exit 1; }
