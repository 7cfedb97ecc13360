#!/usr/bin/env bash
# bench-named.sh - what recording a container costs: `nsrun run --name NAME -- true` against the
# unnamed `nsrun -- true` (issue 8: at most 0.1 ms more), and `--detach`.
#
# Usage: scripts/bench-named.sh [--quick] [--nsrun PATH] [--state-in DIR]
#   --quick        few runs (smoke test); numbers are noisy
#   --nsrun PATH   nsrun binary to measure (default: $NSRUN, else target/static/nsrun)
#   --state-in DIR where the state directory is made (default /dev/shm, a tmpfs as /run is on
#                  most systems; its filesystem type is printed: on ext4 a rename over an existing
#                  entry starts writeback of the new one, auto_da_alloc, which costs more)
# Environment: BENCH_DIR (output dir, default target/bench).
#
# One hyperfine -N run; the cases are interleaved in rounds, so each round times every case close
# together in time, and the added cost is the difference of the round medians, paired by round.
# Then scripts/floor/pairs.c (built with cc) alternates the two commands run by run and gives the
# median of the paired differences: two runs milliseconds apart see the same machine, so the
# drift of a VM from one minute to the next (larger here than the cost measured) falls out.
# Each named run replaces the stopped entry the previous one left (the steady state of a name
# used again and again). The state directory is a fresh one under /tmp. Must run as root (as
# bench.sh: namespaces without a user namespace). bench.sh runs it as its section 6.
set -euo pipefail

die() { echo "bench-named.sh: $*" >&2; exit 1; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QUICK=0
NSRUN=${NSRUN:-target/static/nsrun}
STATE_IN=/dev/shm
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--nsrun) [ $# -ge 2 ] || die "--nsrun needs a path"; NSRUN=$2; shift ;;
	--nsrun=*) NSRUN=${1#--nsrun=} ;;
	--state-in) [ $# -ge 2 ] || die "--state-in needs a directory"; STATE_IN=$2; shift ;;
	-h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
case $NSRUN in /*) ;; *) NSRUN=$ROOT/$NSRUN ;; esac
[ -x "$NSRUN" ] || die "$NSRUN not found (scripts/build-static.sh)"
[ "$(id -u)" = 0 ] || die "must run as root"
command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
if [ "$QUICK" = 1 ]; then ROUNDS=3 RUNS=300 WARMUP=10; else ROUNDS=10 RUNS=2000 WARMUP=20; fi
OUT=${BENCH_DIR:-$ROOT/target/bench}
mkdir -p "$OUT"
STATE=$(mktemp -d "$STATE_IN/nsrun-bench-state.XXXXXX")
FSTYPE=$(stat -f -c %T "$STATE")
trap 'rm -rf --one-file-system "$STATE"' EXIT
TRUE=$(command -v true)

declare -A CMD LABEL
KEYS=(plain named)
CMD[plain]="$NSRUN -- $TRUE"
CMD[named]="$NSRUN run --name bench --state-dir $STATE -- $TRUE"
LABEL[plain]='(a) `nsrun -- true`'
LABEL[named]='`nsrun run --name bench -- true`'
for k in "${KEYS[@]}"; do
	${CMD[$k]} || die "${LABEL[$k]} fails"
done
args=()
for ((r = 1; r <= ROUNDS; r++)); do
	for k in "${KEYS[@]}"; do args+=(-n "$k#$r" "${CMD[$k]}"); done
done
echo "== named runs: hyperfine -N, $ROUNDS rounds × $((RUNS / ROUNDS)) runs (+$WARMUP warm-up) per case =="
hyperfine -N -i --style basic --warmup "$WARMUP" --runs $((RUNS / ROUNDS)) \
	--export-json "$OUT/named.json" "${args[@]}" >/dev/null
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$OUT/named.json" "$ROUNDS" "$RUNS" "$LOAD" "${LABEL[plain]}" "${LABEL[named]}" "$FSTYPE" <<'PY'
import json, statistics as st, sys
data, rounds, runs, load, lplain, lnamed, fstype = sys.argv[1:]
res = json.load(open(data))["results"]
med, cpu, alltimes, fails = {}, {}, {}, {}
for r in res:
    k, n = r["command"].split("#")
    med.setdefault(k, {})[int(n)] = st.median(r["times"])
    cpu.setdefault(k, []).append(r["user"] + r["system"])
    alltimes.setdefault(k, []).extend(r["times"])
    fails[k] = fails.get(k, 0) + sum(1 for c in r["exit_codes"] if c != 0)
def ms(s): return "%.3f" % (s * 1e3)
pairs = sorted((med["named"][i] - med["plain"][i]) * 1e6 for i in med["plain"])
pm = st.median(pairs)
m = {k: st.median(v.values()) for k, v in med.items()}
c = {k: st.mean(v) for k, v in cpu.items()}
print()
print("#### Named runs: `nsrun run --name bench -- true` against `nsrun -- true`, state directory on %s, hyperfine -N, %s runs per case in %s interleaved rounds, median of round medians" % (fstype, runs, rounds))
print()
print("| Case | Median (ms) | Round medians (ms) | Added vs (a) (µs) | Added, paired by round (µs) | CPU (ms) | Added CPU (µs) |")
print("|---|---:|---:|---:|---:|---:|---:|")
for k, label in (("plain", lplain), ("named", lnamed)):
    lo, hi = min(med[k].values()), max(med[k].values())
    if k == "plain":
        add = paired = dcpu = "—"
    else:
        add = "%+.0f" % ((m["named"] - m["plain"]) * 1e6)
        paired = "%+.0f (%+.0f – %+.0f)" % (pm, pairs[0], pairs[-1])
        dcpu = "%+.0f" % ((c["named"] - c["plain"]) * 1e6)
    print("| %s | %s | %s–%s | %s | %s | %.3f | %s |" % (label, ms(m[k]), ms(lo), ms(hi), add, paired, c[k] * 1e3, dcpu))
print()
verdict = "PASS" if pm <= 100 else "FAIL"
print("- goal (issue 8): a named run costs at most 0.1 ms more, paired by round: %+.0f µs: %s" % (pm, verdict))
print("- load average while measuring (1, 5, 15 min): %s, on %d CPUs" % (load, __import__("os").cpu_count()))
for k, f in fails.items():
    if f:
        print("- warning: %s: %d runs exited non-zero" % (k, f))
PY

# Paired run by run: the added cost without the minute-to-minute drift.
CC=$(command -v cc || command -v gcc || true)
[ -n "$CC" ] || die "no C compiler for scripts/floor/pairs.c (apt-get install gcc)"
"$CC" -O2 -o "$OUT/pairs" "$ROOT/scripts/floor/pairs.c" || die "cannot build scripts/floor/pairs.c"
if [ "$QUICK" = 1 ]; then PAIRS=300; else PAIRS=3000; fi
# shellcheck disable=SC2086 # the commands are words on purpose
read -r A B D P25 P75 < <("$OUT/pairs" "$PAIRS" "$WARMUP" ${CMD[plain]} ::: ${CMD[named]}) ||
	die "scripts/floor/pairs.c failed"
python3 - "$A" "$B" "$D" "$P25" "$P75" "$PAIRS" <<'PY'
import sys
a, b, d, p25, p75 = (float(x) for x in sys.argv[1:6])
pairs = sys.argv[6]
print("- paired run by run (scripts/floor/pairs.c, %s pairs, the two alternating): unnamed %.0f µs, named %.0f µs (medians); added %+.0f µs (quartiles of the differences %+.0f – %+.0f): %s"
      % (pairs, a, b, d, p25, p75, "PASS" if d <= 100 else "FAIL"))
PY
