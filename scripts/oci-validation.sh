#!/usr/bin/env bash
# Runs the OCI runtime-tools validation suite (built by scripts/oci-setup.sh) against a runtime:
#
#   scripts/oci-validation.sh [--runtime PATH] [--out FILE] [--compare FILE] [--markdown FILE]
#                             [--timeout SECONDS] [NAME...]
#
#   --runtime PATH   the runtime under test (default: target/static/nsrun; `runc` = command -v runc)
#   --out FILE       the per-test table (default target/oci/validation-BASENAME.txt), one line a test:
#                    `NAME rc=N ok=N notok=N skip=N t=SECONDS`, then `DONE` (the format of
#                    ../shared/oci/runc-1.1.5-results.txt). ok counts every "ok" line (skips too),
#                    skip the "ok ... # SKIP" ones; rc 124 is a timeout.
#   --compare FILE   a second results file (e.g. tests/oci/validation-runc.txt): prints a markdown
#                    table of both (for README) and lists the tests that fully pass in FILE but not
#                    here; exits 1 when there are such regressions.
#   --markdown FILE  write the markdown table to FILE as well as to stdout.
#   --timeout S      per-test timeout (default 60; runc's slowest test takes 13 s).
#   --retries N      with --compare: a test that fully passes in FILE but fails here is run up to
#                    N more times (default 0); one that then passes is reported as FLAKY on stderr
#                    and its last result is the one in the table (the failed tries' TAP is kept
#                    as NAME.tryK.tap).
#   NAME...          run only these tests (default: every validation/NAME/NAME.t).
#
# A test "fully passes" when it exits 0 with at least one ok and no not ok. Each test's TAP
# output is kept in target/oci/validation-logs/BASENAME/NAME.tap. The suite runs the tests one by
# one from its own directory (they use ./runtimetest and rootfs-*.tar.gz from there); it takes
# about 1.5 minutes with runc here.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

die() { echo "oci-validation: error: $*" >&2; exit 1; }

runtime=$repo/target/static/nsrun
out=""
compare=""
markdown=""
timeout_s=60
retries=0
names=()
subset=0
while (($#)); do
    case "$1" in
        --runtime) runtime=${2:?--runtime needs a path}; shift 2 ;;
        --out) out=${2:?--out needs a file}; shift 2 ;;
        --compare) compare=${2:?--compare needs a file}; shift 2 ;;
        --markdown) markdown=${2:?--markdown needs a file}; shift 2 ;;
        --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
        --retries) retries=${2:?--retries needs a number}; shift 2 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) names+=("$1"); subset=1; shift ;;
    esac
done

suite=${OCI_SUITE:-$repo/target/oci/runtime-tools}
[ -x "$suite/runtimetest" ] && [ -d "$suite/validation" ] ||
    die "no validation suite in $suite: run scripts/oci-setup.sh first"
case "$runtime" in
    */*) ;;
    *) runtime=$(command -v "$runtime") || die "runtime '$runtime' not found in PATH" ;;
esac
[ -x "$runtime" ] || die "runtime $runtime is not an executable file"
runtime=$(readlink -f "$runtime")
[ "$(id -u)" -eq 0 ] || die "the validation suite needs root"
[ -z "$compare" ] || [ -r "$compare" ] || die "cannot read the comparison file $compare"

base=$(basename "$runtime")
[ -n "$out" ] || out=$repo/target/oci/validation-$base.txt
logs=$repo/target/oci/validation-logs/$base
rm -rf "$logs"
mkdir -p "$logs" "$(dirname "$out")"

if [ ${#names[@]} -eq 0 ]; then
    for t in "$suite"/validation/*/*.t; do
        n=$(basename "$t" .t)
        [ "$t" = "$suite/validation/$n/$n.t" ] && names+=("$n")
    done
fi
[ ${#names[@]} -gt 0 ] || die "no validation/NAME/NAME.t in $suite"

echo "oci-validation: ${#names[@]} tests with RUNTIME=$runtime (timeout ${timeout_s}s each)" >&2
tmp=$out.tmp
: >"$tmp"
start=$(date +%s.%N)
# run_one NAME: runs one test, its TAP into $logs/NAME.tap; prints its results line.
run_one() {
    local n=$1 exe=validation/$1/$1.t t0 t1 rc=0 ok skip notok
    t0=$(date +%s.%N)
    # In a scratch mount namespace: some tests (linux_ns_itype) have the runtime mount in the
    # caller's own mount namespace (runc does), which must not be the host's.
    (cd "$suite" && RUNTIME=$runtime timeout -k 5 "$timeout_s" \
        unshare -m --propagation private "./$exe") >"$logs/$n.tap" 2>&1 </dev/null || rc=$?
    t1=$(date +%s.%N)
    # Only TAP lines at the start of a line: a test's YAML blocks quote runtimetest's own TAP.
    ok=$(grep -c '^ok ' "$logs/$n.tap" || true)
    skip=$(grep -c '^ok [0-9]* # SKIP' "$logs/$n.tap" || true)
    notok=$(grep -c '^not ok ' "$logs/$n.tap" || true)
    printf '%s rc=%d ok=%d notok=%d skip=%d t=%.1f\n' "$n" "$rc" "$ok" "$notok" "$skip" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}
# passes LINE: whether a results line fully passes.
passes() { awk '{ split($2, a, "="); split($3, b, "="); split($4, c, "="); exit !(a[2] == 0 && c[2] == 0 && b[2] > 0) }' <<<"$1"; }

for n in "${names[@]}"; do
    [ -x "$suite/validation/$n/$n.t" ] || die "no test $suite/validation/$n/$n.t"
done
flaky=()
for n in "${names[@]}"; do
    line=$(run_one "$n")
    # A test that fully passes in the comparison file but not here gets --retries more tries (the
    # suite's kill tests race with the container's shell setting its trap, under load).
    try=0
    while [ "$try" -lt "$retries" ] && ! passes "$line" && [ -n "$compare" ] &&
        passes "$(grep -m1 "^$n " "$compare" || echo "$n rc=1")"; do
        try=$((try + 1))
        echo "  $line  -- retry $try" >&2
        cp "$logs/$n.tap" "$logs/$n.try$try.tap"
        line=$(run_one "$n")
        passes "$line" && flaky+=("$n")
    done
    echo "$line" >>"$tmp"
    echo "  $line" >&2
done
echo DONE >>"$tmp"
mv "$tmp" "$out"
total=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')

# summary FILE: "P of N fully pass, OK ok, NOTOK not ok"
summary() {
    awk '/ rc=/ { n++; split($2, a, "="); split($3, b, "="); split($4, c, "=");
                  ok += b[2]; no += c[2]; if (a[2] == 0 && c[2] == 0 && b[2] > 0) p++ }
         END { printf "%d of %d fully pass (%d checks ok, %d not ok)\n", p, n, ok, no }' "$1"
}
echo "oci-validation: $base: $(summary "$out") in ${total}s; table in $out, TAP in $logs" >&2
[ ${#flaky[@]} -eq 0 ] || echo "oci-validation: FLAKY (failed, then passed on a retry): ${flaky[*]}" >&2

[ -n "$compare" ] || exit 0

# The markdown table: one row a test, both results; "pass" = fully passes.
cbase=$(basename "$compare")
md=$(awk -v cname="$cbase" -v rname="$base" '
    function verdict(rc, ok, no) { return (rc == 0 && no == 0 && ok > 0) ? "pass" : "FAIL" }
    function cell(l,   f, rc, ok, no, sk) {
        if (l == "") return "—"
        split(l, f, " "); split(f[2], rc, "="); split(f[3], ok, "="); split(f[4], no, "="); split(f[5], sk, "=")
        return sprintf("%s %s/%s/%s%s", verdict(rc[2], ok[2], no[2]), ok[2], no[2], sk[2], rc[2] == 0 ? "" : " (rc " rc[2] ")")
    }
    FNR == NR { if ($2 ~ /^rc=/) { c[$1] = $0; order[++n] = $1; seen[$1] = 1 } next }
    $2 ~ /^rc=/ { r[$1] = $0; if (!seen[$1]) { order[++n] = $1; seen[$1] = 1 } }
    END {
        printf "| test (ok/not ok/skip) | %s | %s |\n|---|---|---|\n", cname, rname
        for (i = 1; i <= n; i++) { t = order[i]; printf "| %s | %s | %s |\n", t, cell(c[t]), cell(r[t]) }
    }' "$compare" "$out")
printf '%s\n\n%s: %s\n%s: %s\n' "$md" "$cbase" "$(summary "$compare")" "$base" "$(summary "$out")" |
    if [ -n "$markdown" ]; then tee "$markdown"; else cat; fi

# Regressions: fully passing in the comparison file, not here.
regressions=$(awk -v subset=$subset '
    function pass(l,   f, rc, ok, no) { split(l, f, " "); split(f[2], rc, "="); split(f[3], ok, "="); split(f[4], no, "=");
                                        return rc[2] == 0 && no[2] == 0 && ok[2] > 0 }
    FNR == NR { if ($2 ~ /^rc=/ && pass($0)) want[$1] = 1; next }
    $2 ~ /^rc=/ { got[$1] = pass($0) }
    END { for (t in want) if ((t in got || !subset) && !got[t]) print t }' "$compare" "$out" | sort)
if [ -n "$regressions" ]; then
    echo "oci-validation: fully pass in $cbase but not with $base: $(echo "$regressions" | tr '\n' ' ')" >&2
    exit 1
fi
echo "oci-validation: every test that fully passes in $cbase fully passes with $base" >&2
