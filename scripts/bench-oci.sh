#!/usr/bin/env bash
# The OCI benchmark of issue 9 (section 6): nsrun against runc as an OCI runtime, in one run.
#
#   scripts/bench-oci.sh [--quick] [--runs N] [--nsrun PATH] [--runc PATH] [--no-podman]
#
#   --quick       10 runs each (smoke test); default 50 (lifecycle) and 20 (podman)
#   --runs N      runs of each lifecycle command (podman gets N/2, at least 5)
#   --nsrun PATH  the nsrun binary (default target/static/nsrun)
#   --runc PATH   runc (default: command -v runc)
#   --no-podman   skip `podman run --rm`
#
# Measures, with hyperfine:
#   1. the lifecycle of a busybox bundle running `true`:
#      `RT --root DIR create --bundle B ID && RT --root DIR start ID`, their output piped to cat
#      (cat ends when create, start and the container's `true` have all closed the pipe: the wait),
#      then `RT --root DIR delete --force ID` (--force: the container's init is reparented to this
#      machine's PID 1, which may not have reaped it yet). Target: nsrun at most 1/10 of runc.
#      Twice: through bash (as a person or a script types it), and without a shell, by
#      scripts/floor/lifecycle.c (the same four steps; what is left is the runtimes' own time),
#      with means and medians (a create now and then waits for an RCU grace period of cgroup v1,
#      about 10 ms here, for runc too: the medians show the usual run).
#   2. `podman --runtime RT run --rm --network none IMAGE true` end to end (scratch podman config
#      of scripts/oci-setup.sh).
#   3. the stripped sizes of both binaries (target: nsrun at most 200 KB).
# A runtime whose `create` fails on the bundle (nsrun until it implements the OCI commands) is left
# out with a note, its column "—". Needs root and scripts/oci-setup.sh (the busybox rootfs tarball,
# the podman image). Prints markdown tables at the end (for README); JSON in target/oci/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

die() { echo "bench-oci: error: $*" >&2; exit 1; }
note() { echo "bench-oci: $*" >&2; }

runs=50
nsrun=$repo/target/static/nsrun
runc=""
podman=1
while (($#)); do
    case "$1" in
        --quick) runs=10; shift ;;
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --nsrun) nsrun=${2:?--nsrun needs a path}; shift 2 ;;
        --runc) runc=${2:?--runc needs a path}; shift 2 ;;
        --no-podman) podman=0; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$runs" =~ ^[0-9]+$ ]] && [ "$runs" -ge 2 ] || die "--runs needs a number of at least 2"
[ "$(id -u)" -eq 0 ] || die "needs root (runtimes create namespaces and cgroups)"
command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine, or scripts/oci-setup.sh)"
command -v python3 >/dev/null || die "python3 not found (reads hyperfine's JSON)"
[ -n "$runc" ] || runc=$(command -v runc) || die "runc not found (scripts/oci-setup.sh installs it)"
runc=$(readlink -f "$runc")
case "$nsrun" in /*) ;; *) nsrun=$repo/$nsrun ;; esac

oci=$repo/target/oci
rootfs_tar=$oci/busybox-rootfs.tar
[ -s "$rootfs_tar" ] || die "no $rootfs_tar: run scripts/oci-setup.sh first"
bench=$oci/bench
state=/run/nsrun-ci/bench
bundle=$bench/bundle
rm -rf "$bundle" "$state"
mkdir -p "$bundle/rootfs" "$state"
tar -C "$bundle/rootfs" -xf "$rootfs_tar"
# runc's default spec, running `true` without a terminal (the spec's own default, not podman's).
(cd "$bundle" && "$runc" spec)
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"true"/' "$bundle/config.json"
grep -q '"true"' "$bundle/config.json" || die "could not set the bundle's args to true"

# lifecycle RT NAME: the shell command of one create/start/wait/delete.
lifecycle() {
    local rt=$1 root=$state/$2 id=bench-$2
    mkdir -p "$root"
    printf '{ %q --root %q create --bundle %q %s && %q --root %q start %s; } | cat && %q --root %q delete --force %s' \
        "$rt" "$root" "$bundle" "$id" "$rt" "$root" "$id" "$rt" "$root" "$id"
}
# cleanup RT NAME: removes a container left by a failed run.
cleanup() {
    printf '%q --root %q delete --force bench-%s >/dev/null 2>&1 || true' "$1" "$state/$2" "$2"
}

names=(runc)
rts=("$runc")
nsrun_note=""
if [ ! -x "$nsrun" ]; then
    nsrun_note="nsrun left out: no binary at $nsrun (scripts/build-static.sh)"
else
    probe=$(lifecycle "$nsrun" nsrun)
    if out=$(timeout 20 bash -c "$probe" </dev/null 2>&1); then
        names+=(nsrun)
        rts+=("$nsrun")
    else
        nsrun_note="nsrun left out: its create/start/delete of the bundle failed: $(printf '%s' "$out" | head -c 300 | tr '\n' ' ')"
        bash -c "$(cleanup "$nsrun" nsrun)"
    fi
fi
[ -z "$nsrun_note" ] || note "$nsrun_note"

# The shell-free driver.
driver=$bench/lifecycle
cc=$(command -v musl-gcc || command -v cc || true)
[ -n "$cc" ] || die "no C compiler for scripts/floor/lifecycle.c (apt-get install musl-tools)"
"$cc" -static -Os -o "$driver" "$repo/scripts/floor/lifecycle.c" || die "cannot build scripts/floor/lifecycle.c"

# One hyperfine run for the lifecycle of every runtime that works.
args=()
prep=""
for i in "${!names[@]}"; do
    args+=(-n "${names[$i]}" "$(lifecycle "${rts[$i]}" "${names[$i]}")")
    prep+="$(cleanup "${rts[$i]}" "${names[$i]}"); "
done
note "lifecycle: ${names[*]}, $runs runs each"
hyperfine --style basic --warmup 3 --runs "$runs" --prepare "$prep" --export-json "$bench/lifecycle.json" \
    "${args[@]}" >&2 || die "hyperfine (lifecycle) failed: a runtime failed during the runs"
dargs=()
for i in "${!names[@]}"; do
    mkdir -p "$state/${names[$i]}"
    dargs+=(-n "${names[$i]}" "$driver ${rts[$i]} $state/${names[$i]} $bundle bench-${names[$i]}")
done
note "lifecycle without a shell: ${names[*]}, $runs runs each"
printf '%s\n' "$prep" >"$bench/prepare.sh"
hyperfine -N --style basic --warmup 3 --runs "$runs" --prepare "bash $bench/prepare.sh" --export-json "$bench/lifecycle-direct.json" \
    "${dargs[@]}" >&2 || die "hyperfine (lifecycle, no shell) failed: a runtime failed during the runs"

if ((podman)); then
    conf=$oci/podman/containers.conf
    [ -f "$conf" ] || die "no $conf: run scripts/oci-setup.sh first (or --no-podman)"
    export CONTAINERS_CONF=$conf CONTAINERS_STORAGE_CONF=$oci/podman/storage.conf
    prun=$(( runs / 2 )); [ "$prun" -ge 5 ] || prun=5
    pargs=()
    for i in "${!names[@]}"; do
        pargs+=(-n "podman-${names[$i]}" "podman --runtime ${rts[$i]} run --rm --network none localhost/nsrun-busybox:latest true")
    done
    note "podman run --rm: ${names[*]}, $prun runs each"
    hyperfine --style basic --warmup 2 --runs "$prun" --export-json "$bench/podman.json" "${pargs[@]}" >&2 ||
        die "hyperfine (podman) failed"
fi

# Stripped sizes.
sizes=$bench/sizes
: >"$sizes"
for pair in "runc:$runc" "nsrun:$nsrun"; do
    n=${pair%%:*}; f=${pair#*:}
    if [ -x "$f" ]; then
        if strip -o "$bench/$n.stripped" "$f" 2>/dev/null; then
            echo "$n $(stat -c %s "$bench/$n.stripped") $(stat -c %s "$f")" >>"$sizes"
        else
            echo "$n $(stat -c %s "$f") $(stat -c %s "$f")" >>"$sizes"
        fi
        rm -f "$bench/$n.stripped"
    fi
done

python3 - "$bench" "$podman" "$nsrun_note" "$runc" <<'PY'
import json, os, sys
bench, podman, nsrun_note, runc = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]

def load(name):
    path = os.path.join(bench, name)
    if not os.path.exists(path):
        return {}
    return {r["command"]: r for r in json.load(open(path))["results"]}

def ms(r):
    return "%.1f ms ± %.1f (median %.1f)" % (r["mean"] * 1e3, r["stddev"] * 1e3, r["median"] * 1e3) if r else "—"

def ratio(a, b):
    return "%.2f× (median %.2f×)" % (a["mean"] / b["mean"], a["median"] / b["median"]) if a and b else "—"

life = load("lifecycle.json")
direct = load("lifecycle-direct.json")
rows = [("`create && start && wait && delete` (busybox `true`), through bash", life.get("runc"), life.get("nsrun")),
        ("the same without a shell (scripts/floor/lifecycle.c)", direct.get("runc"), direct.get("nsrun"))]
if podman:
    p = load("podman.json")
    rows.append(("`podman run --rm --network none IMAGE true`", p.get("podman-runc"), p.get("podman-nsrun")))
print()
print("| OCI runtime | runc | nsrun | nsrun / runc |")
print("|---|---|---|---|")
for what, r, n in rows:
    print("| %s | %s | %s | %s |" % (what, ms(r), ms(n), ratio(n, r)))
sizes = {}
for line in open(os.path.join(bench, "sizes")):
    n, s, full = line.split()
    sizes[n] = (int(s), int(full))
def kb(n):
    return "%d KB" % (sizes[n][0] // 1024) if n in sizes else "—"
print("| stripped binary | %s | %s | %s |" % (kb("runc"), kb("nsrun"),
      "%.3f×" % (sizes["nsrun"][0] / sizes["runc"][0]) if "runc" in sizes and "nsrun" in sizes else "—"))
print()
print("runc: %s; mean ± standard deviation of hyperfine runs; lifecycle wait = the pipe the container's stdout holds closes." % runc)
if nsrun_note:
    print("Note: " + nsrun_note)
PY
rm -rf "$state"
