#!/usr/bin/env bash
# Builds the static musl binary and leaves it at target/static/nsrun (under $CARGO_TARGET_DIR when
# that is set).
# NSRUN_TARGET picks another musl target: aarch64-unknown-linux-musl, armv7-unknown-linux-musleabihf,
# riscv64gc-unknown-linux-musl, ...; a foreign target links with rust-lld and is left at
# target/static/nsrun-ARCH (nsrun-aarch64, ...).
# A target whose Rust standard library rustup cannot install here is skipped with a message on
# stderr and exit status 0 (nothing is built): scripts/release.sh builds what it can.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${NSRUN_TARGET:-$(uname -m)-unknown-linux-musl}
tdir=${CARGO_TARGET_DIR:-target}
if ! rustup target list --installed | grep -qx "$target"; then
    if ! log=$(rustup target add "$target" 2>&1); then
        why=$(printf '%s\n' "$log" | grep -m1 -iE 'error|404' || true)
        echo "build-static.sh: skipping $target: rustup cannot install its rust-std here (${why:-rustup target add failed})" >&2
        exit 0
    fi
fi
args=(--release --locked --target "$target")
case "$target" in
    "$(uname -m)"-*) ;;
    # rust-lld links every foreign musl target statically against the target's self-contained
    # musl.
    *) args+=(--config "target.$target.linker=\"rust-lld\"") ;;
esac
cargo build "${args[@]}"
mkdir -p "$tdir/static"
out=$tdir/static/nsrun
[ "$target" = "$(uname -m)-unknown-linux-musl" ] || out=$tdir/static/nsrun-${target%%-*}
# Copy, then rename: a copy over a binary that is running fails ("Text file busy").
cp "$tdir/$target/release/nsrun" "$out.tmp"
mv -f "$out.tmp" "$out"
size=$(stat -c %s "$out")
echo "built $out: $((size / 1024)) KB, $(file -b "$out" | grep -o "static[-a-z]* linked")"
