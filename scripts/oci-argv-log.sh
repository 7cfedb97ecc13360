#!/usr/bin/env bash
# Makes a logging stand-in for an OCI runtime: a script that appends its argv (one line a call,
# each argument shell-quoted, with the time, its cwd and pid) to a log file, then execs the real
# runtime with the same arguments. It is named like the runtime (basename), so podman treats it
# the same (runtime_supports_json is looked up by name). It also copies the JSON the engines hand
# over: exec's --process FILE to DIR/exec-process.PID.json, create's BUNDLE/config.json to
# DIR/create-config.PID.json (DIR = target/oci/argv).
#
#   scripts/oci-argv-log.sh [--runtime PATH] [--log FILE]    prints the stand-in's path
#
#   --runtime PATH  the real runtime (default: runc from PATH)
#   --log FILE      where calls are appended (default target/oci/argv/BASENAME.log)
#
# Example (which runtime commands and flags podman and containerd call):
#   w=$(scripts/oci-argv-log.sh --runtime /usr/sbin/runc)
#   OCI_RUNTIME=$w cargo test --test oci_engines -- --include-ignored --skip validation
#   cat target/oci/argv/runc.log
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "oci-argv-log: error: $*" >&2; exit 1; }

runtime=""
log=""
while (($#)); do
    case "$1" in
        --runtime) runtime=${2:?--runtime needs a path}; shift 2 ;;
        --log) log=${2:?--log needs a file}; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
[ -n "$runtime" ] || runtime=$(command -v runc) || die "no runc in PATH: pass --runtime"
[ -x "$runtime" ] || die "$runtime is not executable"
runtime=$(readlink -f "$runtime")
base=$(basename "$runtime")
dir=$PWD/target/oci/argv
mkdir -p "$dir"
[ -n "$log" ] || log=$dir/$base.log
case "$log" in /*) ;; *) log=$PWD/$log ;; esac
wrapper=$dir/$base
[ "$wrapper" != "$runtime" ] || die "the stand-in would replace the runtime itself"
cat >"$wrapper.tmp" <<WRAP
#!/bin/bash
# Written by scripts/oci-argv-log.sh: logs argv to $log, then runs $runtime.
{ printf '%s pid=%s cwd=%s:' "\$(date +%T.%N | cut -c1-12)" "\$\$" "\$PWD"; printf ' %q' "\$@"; echo; } >>'$log' 2>/dev/null || true
# Keep a copy of the JSON files the engines pass (exec --process FILE; create's bundle config.json).
prev=""; bundle=""
for a in "\$@"; do
    case "\$prev" in
        --process) cp "\$a" '$dir'/"exec-process.\$\$.json" 2>/dev/null || true ;;
        --bundle | -b) bundle=\$a ;;
    esac
    prev=\$a
done
[ -z "\$bundle" ] || cp "\$bundle/config.json" '$dir'/"create-config.\$\$.json" 2>/dev/null || true
exec '$runtime' "\$@"
WRAP
chmod +x "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"
echo "$wrapper"
