#!/usr/bin/env bash
# Builds the static musl binary and leaves it at target/static/nsrun.
# NSRUN_TARGET picks another musl target (aarch64-unknown-linux-musl links with rust-lld).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${NSRUN_TARGET:-$(uname -m)-unknown-linux-musl}
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
args=(--release --locked --target "$target")
case "$target" in
    "$(uname -m)"-*) ;;
    *) args+=(--config "target.$target.linker=\"rust-lld\"") ;;
esac
cargo build "${args[@]}"
mkdir -p target/static
out=target/static/nsrun
[ "$target" = "$(uname -m)-unknown-linux-musl" ] || out=target/static/nsrun-${target%%-*}
# Copy, then rename: a copy over a binary that is running fails ("Text file busy").
cp "target/$target/release/nsrun" "$out.tmp"
mv -f "$out.tmp" "$out"
size=$(stat -c %s "$out")
echo "built $out: $((size / 1024)) KB, $(file -b "$out" | grep -o "static[-a-z]* linked")"
