#!/usr/bin/env bash
# Sets up a fresh machine, builds the static binary and runs every test against it.
# Tests that need root are marked ignored ("needs root") and run only when this is root, so an
# unprivileged run reports them as ignored, never as passed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build-static.sh
export NSRUN_BIN=${NSRUN_BIN:-$PWD/target/static/nsrun}
extra=()
[ "$(id -u)" -eq 0 ] && extra=(--include-ignored)
cargo test --locked --no-fail-fast -- "${extra[@]}"
