#!/usr/bin/env bash
# Builds the release binaries: every musl target in NSRUN_TARGETS (default below) that can be
# built here, as dist/nsrun-VERSION-TARGET, with dist/SHA256SUMS, and prints their sizes.
# A target whose rust-std rustup cannot install is skipped with a message (scripts/build-static.sh).
#
# The build is reproducible: the same commit gives the same bytes wherever it is checked out and
# built. The paths of the checkout and of the cargo home are remapped (--remap-path-prefix), so no
# build path reaches the binary; SOURCE_DATE_EPOCH is the commit's time, for any tool that would
# embed a date (nothing does today); the binaries carry no build id (rust-lld makes none, and the
# native cc link is told --build-id=none).
#
#   scripts/release.sh           build into dist/
#   scripts/release.sh --check   build HEAD twice, from two worktrees at different paths into two
#                                fresh target directories, and compare the bytes; fails naming
#                                each target whose binaries differ (dist/ is left alone)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# Its own target directory: the remapping flags would otherwise make each build-static.sh build
# and each release build undo the other's.
tdir=${CARGO_TARGET_DIR:-$root/target}/dist

# i686 is not among them: sc 0.2.7 (the crate nsrun uses for mount_setattr and close_range)
# writes its x86 system calls with llvm_asm!, which current Rust no longer has.
targets=${NSRUN_TARGETS:-x86_64-unknown-linux-musl aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf riscv64gc-unknown-linux-musl}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
cargo_home=${CARGO_HOME:-$HOME/.cargo}

# build SRC TARGET_DIR OUT: builds every target from the checkout SRC into TARGET_DIR and copies
# the binaries to OUT/nsrun-VERSION-TARGET.
build() {
    local src=$1 tdir=$2 out=$3 t bin
    mkdir -p "$out"
    for t in $targets; do
        bin=$tdir/static/nsrun
        [ "$t" = "$(uname -m)-unknown-linux-musl" ] || bin=$tdir/static/nsrun-${t%%-*}
        rm -f "$bin"
        local flags="--remap-path-prefix=$src=/build/nsrun --remap-path-prefix=$cargo_home=/cargo"
        case "$t" in "$(uname -m)"-*) flags+=" -C link-arg=-Wl,--build-id=none" ;; esac
        # shellcheck disable=SC2030 # the build's own environment, on purpose
        (
            cd "$src"
            export CARGO_TARGET_DIR=$tdir NSRUN_TARGET=$t RUSTFLAGS="$flags ${RUSTFLAGS:-}"
            SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
            export SOURCE_DATE_EPOCH
            scripts/build-static.sh
        )
        [ -f "$bin" ] || continue # skipped: build-static.sh said why
        cp "$bin" "$out/nsrun-$version-$t"
    done
}

if [ "${1:-}" = --check ]; then
    start=$(date +%s)
    [ -z "$(git status --porcelain --untracked-files=no)" ] ||
        echo "release.sh --check: checking HEAD ($(git rev-parse --short HEAD)); uncommitted changes are not in it" >&2
    tmp=$(mktemp -d /tmp/nsrun-repro.XXXXXX)
    # shellcheck disable=SC2317 # run by the trap
    cleanup() {
        git -C "$root" worktree remove --force "$tmp/one/nsrun" 2>/dev/null || true
        git -C "$root" worktree remove --force "$tmp/second-checkout/src" 2>/dev/null || true
        rm -rf "$tmp"
    }
    trap cleanup EXIT
    git worktree add --quiet --detach "$tmp/one/nsrun" HEAD
    git worktree add --quiet --detach "$tmp/second-checkout/src" HEAD
    build "$tmp/one/nsrun" "$tmp/target-a" "$tmp/out-a"
    build "$tmp/second-checkout/src" "$tmp/tgt-b" "$tmp/out-b"
    n=0 bad=()
    for f in "$tmp"/out-a/*; do
        name=${f##*/}
        n=$((n + 1))
        if ! cmp -s "$f" "$tmp/out-b/$name"; then
            bad+=("${name#"nsrun-$version-"}")
        fi
    done
    [ "$n" -gt 0 ] || { echo "release.sh --check: no target was built" >&2; exit 1; }
    if [ "${#bad[@]}" -gt 0 ]; then
        echo "release.sh --check: NOT reproducible: ${bad[*]} differ between the two builds" >&2
        exit 1
    fi
    echo "release.sh --check: $n target(s) reproducible (identical bytes from two checkouts and two target dirs), $(($(date +%s) - start)) s"
    (cd "$tmp/out-a" && sha256sum -- *)
    exit 0
fi

rm -rf dist
build "$root" "$tdir" dist
[ -n "$(ls dist)" ] || { echo "release.sh: no target was built" >&2; exit 1; }
(cd dist && sha256sum -- nsrun-* >SHA256SUMS)
echo
printf '%-32s %10s %8s\n' target bytes KiB
for f in dist/nsrun-*; do
    size=$(stat -c %s "$f")
    printf '%-32s %10d %8s\n' "${f#"dist/nsrun-$version-"}" "$size" "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1024 }')"
done
echo "(stripped; dist/SHA256SUMS has their digests)"
