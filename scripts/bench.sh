#!/usr/bin/env bash
# bench.sh - start-up time, size and memory of nsrun against its peers and
# against the C "floor" (scripts/floor/floor.c: clone + private / + /proc + exec,
# nothing else).
#
# Usage: scripts/bench.sh [--quick] [--nsrun PATH] [--no-mounts] [-h]
#   --quick        few runs (smoke test, ~10 s; a full run takes ~1.6 min); numbers are noisy
#   --nsrun PATH   nsrun binary to measure (default: $NSRUN, else target/static/nsrun)
#   --no-mounts    skip the mount-cost section
# Environment: NSRUN, UNSHARE, BUSYBOX, BWRAP (peer binaries), CC (default musl-gcc),
#              BENCH_DIR (build/output dir, default target/bench).
#
# Must run as root: the launchers create mount/UTS/IPC/net/PID namespaces
# without a user namespace. Every measured command runs in namespaces of its
# own; the host's mounts and their propagation are never touched.
#
# Sections: 1. start-up time (one hyperfine run, all launchers)
#           2. stripped size of nsrun
#           3. resident memory of the launchers' own processes
#           4. mount cost: 0/50/200 --ro-bind with nsrun and bwrap
# The Markdown tables are printed at the end, ready to paste into README.md.
# shellcheck disable=SC2016 # backquotes in single quotes are Markdown, not command substitution
set -euo pipefail

die() { echo "bench.sh: $*" >&2; exit 1; }
note() { echo "bench.sh: $*" >&2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

QUICK=0
MOUNTS=1
NSRUN=${NSRUN:-target/static/nsrun}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--no-mounts) MOUNTS=0 ;;
	--nsrun) [ $# -ge 2 ] || die "--nsrun needs a path"; NSRUN=$2; shift ;;
	--nsrun=*) NSRUN=${1#--nsrun=} ;;
	-h|--help) sed -n '2,/^# shellcheck/{/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
case $NSRUN in /*) ;; *) NSRUN=$ROOT/$NSRUN ;; esac

if [ "$QUICK" = 1 ]; then
	ROUNDS=3 WARMUP=5 RUNS=60 MROUNDS=1 MWARMUP=3 MRUNS=20
else
	ROUNDS=14 WARMUP=30 RUNS=2800 MROUNDS=3 MWARMUP=5 MRUNS=300
fi

[ "$(id -u)" = 0 ] || die "must run as root (namespaces are created without a user namespace)"
command -v hyperfine >/dev/null || die "hyperfine not found (apt-get install hyperfine)"
CC=${CC:-musl-gcc}
command -v "$CC" >/dev/null || die "$CC not found (apt-get install musl-tools)"

OUT=${BENCH_DIR:-$ROOT/target/bench}
mkdir -p "$OUT"
SCRATCH=$(mktemp -d /tmp/nsrun-bench.XXXXXX)
BG_PID="" # the launcher mem_of started and has not reaped yet
cleanup() {
	if [ -n "$BG_PID" ]; then kill -KILL "$BG_PID" 2>/dev/null || true; fi
	rm -rf --one-file-system "$SCRATCH"
}
trap cleanup EXIT

# ---------------------------------------------------------------- build ----
FLOOR_SRC=$ROOT/scripts/floor
build() { # OUTPUT SOURCE [CFLAGS...]
	local o=$1 s=$2; shift 2
	"$CC" -static -Os -s -Wall "$@" -o "$o.tmp" "$s" || die "cannot build $o"
	mv -f "$o.tmp" "$o"
}
build "$OUT/floor-plain" "$FLOOR_SRC/floor.c"
build "$OUT/floor-init" "$FLOOR_SRC/floor.c" -DINIT_FLOOR
build "$OUT/floor-plain-lo" "$FLOOR_SRC/floor.c" -DLO_UP
build "$OUT/floor-init-lo" "$FLOOR_SRC/floor.c" -DINIT_FLOOR -DLO_UP
build "$OUT/true" "$FLOOR_SRC/true.c"
build "$OUT/sleeper" "$FLOOR_SRC/sleeper.c"
TRUE=$OUT/true
SLEEPER=$OUT/sleeper
"$TRUE" || die "$TRUE does not run"

# ------------------------------------------------------------ launchers ----
# Each launcher: a key, a Markdown label, and its argv prefix (the command to
# run is appended). A launcher that is missing or fails a probe run is "n/a".
UNSHARE_BIN=${UNSHARE:-$(command -v unshare || true)}
BWRAP_BIN=${BWRAP:-$(command -v bwrap || true)}
BUSYBOX_BIN=${BUSYBOX:-}
if [ -z "$BUSYBOX_BIN" ]; then
	# Prefer a busybox with the unshare applet (busybox-static has it).
	for b in "$(command -v busybox || true)" /bin/busybox /usr/bin/busybox; do
		if [ -z "$b" ] || [ ! -x "$b" ]; then continue; fi
		if "$b" --list 2>/dev/null | grep -qx unshare; then BUSYBOX_BIN=$b; break; fi
	done
fi

KEYS=(floor_init nsrun floor_plain nsrun_pid1 unshare busybox bwrap floor_init_lo floor_plain_lo)
declare -A LABEL CMD WHY
LABEL[nsrun]='`nsrun -- true` (init mode)'
LABEL[nsrun_pid1]='`nsrun --as-pid-1 -- true`'
LABEL[unshare]='`unshare -m -u -i -n -p -f --mount-proc true`'
LABEL[busybox]='`busybox unshare -m -u -i -n -p -f --mount-proc true`'
LABEL[bwrap]='`bwrap --dev-bind / / --unshare-{ipc,net,pid,uts} --proc /proc true`'
LABEL[floor_init]='floor-init `true` (C: clone, PID 1 vforks)'
LABEL[floor_plain]='floor-plain `true` (C: clone, exec as PID 1)'
LABEL[floor_init_lo]='floor-init + lo up `true` (like for like)'
LABEL[floor_plain_lo]='floor-plain + lo up `true` (like for like)'
CMD[floor_init_lo]="$OUT/floor-init-lo"
CMD[floor_plain_lo]="$OUT/floor-plain-lo"
CMD[floor_init]="$OUT/floor-init"
CMD[floor_plain]="$OUT/floor-plain"
CMD[nsrun]="$NSRUN --"
CMD[nsrun_pid1]="$NSRUN --as-pid-1 --"
CMD[unshare]="$UNSHARE_BIN -m -u -i -n -p -f --mount-proc"
CMD[busybox]="$BUSYBOX_BIN unshare -m -u -i -n -p -f --mount-proc"
CMD[bwrap]="$BWRAP_BIN --dev-bind / / --unshare-ipc --unshare-net --unshare-pid --unshare-uts --proc /proc"

[ -x "$NSRUN" ] || { WHY[nsrun]="not built ($NSRUN missing)"; WHY[nsrun_pid1]=${WHY[nsrun]}; }
[ -n "$UNSHARE_BIN" ] || WHY[unshare]="util-linux unshare not installed"
[ -n "$BUSYBOX_BIN" ] || WHY[busybox]="no busybox with the unshare applet (apt-get install busybox-static)"
[ -n "$BWRAP_BIN" ] || WHY[bwrap]="bwrap not installed"

first_line() { head -n 1 "$1" | cut -c 1-150; }

# probe KEY: run the launcher once with a timeout; set WHY[KEY] if it fails.
probe() {
	local k=$1 rc=0
	[ -z "${WHY[$k]:-}" ] || return 0
	# shellcheck disable=SC2086 # CMD is a word list by construction (paths without blanks)
	timeout 10 ${CMD[$k]} "$TRUE" >"$SCRATCH/probe.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		WHY[$k]="probe run failed (exit $rc)"
		if [ -s "$SCRATCH/probe.out" ]; then WHY[$k]+=": $(first_line "$SCRATCH/probe.out")"; fi
	fi
}
for k in "${KEYS[@]}"; do probe "$k"; done
for k in floor_init floor_plain; do
	[ -z "${WHY[$k]:-}" ] || die "the C floor does not run: ${WHY[$k]}"
done

ver() { "$@" 2>&1 | head -n 1 | tr -d '\r' | cut -c 1-60 || true; }
VERSIONS="" # versions of the launchers that run, for the report
if [ -z "${WHY[nsrun]:-}" ]; then
	v=$(ver "$NSRUN" --version)
	case $v in "nsrun "[0-9]*) VERSIONS+="$v" ;; *) VERSIONS+="nsrun (version unknown)" ;; esac
fi
if [ -z "${WHY[unshare]:-}" ]; then VERSIONS+="${VERSIONS:+, }$(ver "$UNSHARE_BIN" --version)"; fi
if [ -z "${WHY[busybox]:-}" ]; then VERSIONS+="${VERSIONS:+, }$(ver "$BUSYBOX_BIN" | sed 's/ multi-call.*//')"; fi
if [ -z "${WHY[bwrap]:-}" ]; then VERSIONS+="${VERSIONS:+, }$(ver "$BWRAP_BIN" --version)"; fi

# ---------------------------------------------------- hyperfine helpers ----
# hf_stats JSON: one line per command, its rounds ("NAME#ROUND" entries) combined:
#   name median mean stddev failures round-median-min round-median-max runs
# median is the median of the per-round medians, so that one round disturbed by
# something else on the machine barely moves it; mean and stddev pool all runs.
# Times in seconds; failures = runs that exited non-zero. hyperfine
# pretty-prints its JSON one value per line: "command", the statistics, then
# the "times" and "exit_codes" arrays. mawk has no asort(), hence qs().
hf_stats() {
	awk '
	function qs(A, lo, hi,   i, last, t, m) {
		if (lo >= hi) return
		m = int((lo + hi) / 2); t = A[lo]; A[lo] = A[m]; A[m] = t; last = lo
		for (i = lo + 1; i <= hi; i++)
			if (A[i] < A[lo]) { last++; t = A[last]; A[last] = A[i]; A[i] = t }
		t = A[lo]; A[lo] = A[last]; A[last] = t
		qs(A, lo, last - 1); qs(A, last + 1, hi)
	}
	function median(A, n) { qs(A, 1, n); return n % 2 ? A[(n + 1) / 2] : (A[n / 2] + A[n / 2 + 1]) / 2 }
	/^ *"command": / {
		s = $0; sub(/^ *"command": *"/, "", s); sub(/",? *$/, "", s); sub(/#[0-9]+$/, "", s); key = s
		if (!(key in N)) { order[++nkeys] = key; N[key] = 0; F[key] = 0; R[key] = 0 }
		nb = 0; next
	}
	/^ *"times": *\[/ { intimes = 1; next }
	intimes && /\]/ {
		intimes = 0; m = median(B, nb); RM[key, ++R[key]] = m
		if (!(key in RMIN) || m < RMIN[key]) RMIN[key] = m
		if (!(key in RMAX) || m > RMAX[key]) RMAX[key] = m
		next
	}
	intimes { v = $1; sub(/,$/, "", v); v += 0; B[++nb] = v; sum[key] += v; sq[key] += v * v; N[key]++; next }
	/^ *"exit_codes": *\[/ { inex = 1; next }
	inex && /\]/ { inex = 0; next }
	inex { v = $1; sub(/,$/, "", v); if (v != "0") F[key]++ }
	END {
		for (k = 1; k <= nkeys; k++) {
			key = order[k]; n = N[key]; mean = sum[key] / n
			v = n > 1 ? (sq[key] - n * mean * mean) / (n - 1) : 0; sd = v > 0 ? sqrt(v) : 0
			split("", A)
			for (i = 1; i <= R[key]; i++) A[i] = RM[key, i]
			print key, median(A, R[key]), mean, sd, F[key], RMIN[key], RMAX[key], n
		}
	}' "$1"
}
ms() { awk -v s="$1" 'BEGIN { printf "%.3f", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
pass() { if "$@"; then echo PASS; else echo FAIL; fi; }

HF_STYLE=basic
[ -t 1 ] && HF_STYLE=full
# run_hyperfine JSON ROUNDS WARMUP RUNS NAME CMD [NAME CMD...]
# One hyperfine invocation. hyperfine runs all runs of one command before the
# next, so to spread drift (CPU clocks, background work, namespace teardown)
# evenly over the commands, the list is repeated ROUNDS times as NAME#1,
# NAME#2, ... with RUNS/ROUNDS runs each; hf_stats pools the rounds again.
run_hyperfine() {
	local json=$1 rounds=$2 warm=$3 runs=$4; shift 4
	local args=() r i cmds=("$@")
	for ((r = 1; r <= rounds; r++)); do
		for ((i = 0; i < ${#cmds[@]}; i += 2)); do args+=(-n "${cmds[i]}#$r" "${cmds[i + 1]}"); done
	done
	# -i: a launcher that fails now and then must not abort the whole run;
	# failed runs are counted from the JSON and reported.
	hyperfine -N -i --style "$HF_STYLE" --warmup "$warm" --runs $((runs / rounds)) \
		--export-json "$json" "${args[@]}"
}

# ------------------------------------------------------ 1. start-up time ----
echo "== 1. start-up time: hyperfine -N, $ROUNDS rounds × $((RUNS / ROUNDS)) runs (+$WARMUP warm-up) per command =="
T_START=$EPOCHREALTIME
HF=()
for k in "${KEYS[@]}"; do
	if [ -z "${WHY[$k]:-}" ]; then HF+=("$k" "${CMD[$k]} $TRUE"); else note "$k: n/a: ${WHY[$k]}"; fi
done
run_hyperfine "$OUT/startup.json" "$ROUNDS" "$WARMUP" "$RUNS" "${HF[@]}"
declare -A MED MEAN SD RLO RHI
FAILS=""
while read -r name med mean sd bad rlo rhi n; do
	MED[$name]=$med MEAN[$name]=$mean SD[$name]=$sd RLO[$name]=$rlo RHI[$name]=$rhi
	[ "$bad" = 0 ] || FAILS+="- warning: ${LABEL[$name]}: $bad of $n runs exited non-zero"$'\n'
done < <(hf_stats "$OUT/startup.json")
T_STARTUP=$(awk -v a="$T_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

# ------------------------------------------------------------ 2. size ------
SIZE_B=""
if [ -x "$NSRUN" ]; then
	cp "$NSRUN" "$SCRATCH/nsrun.strip"
	if strip "$SCRATCH/nsrun.strip" 2>/dev/null; then
		SIZE_B=$(stat -c %s "$SCRATCH/nsrun.strip")
	else
		note "strip failed on $NSRUN; reporting its size as is"
		SIZE_B=$(stat -c %s "$NSRUN")
	fi
fi

# ----------------------------------------------------------- 3. memory -----
# mem_of KEY ARGV...: start ARGV + "$SLEEPER 30" in the background, wait until
# the sleeper runs somewhere below it, then sum Rss and Pss (smaps_rollup) of
# every process of the tree except the sleeper; SIGKILL the sleeper (by pid,
# found in the tree of the launcher started here) and reap the launcher.
# Sets MEM_RSS[KEY], MEM_PSS[KEY], MEM_N[KEY] or MEM_WHY[KEY].
declare -A MEM_RSS MEM_PSS MEM_N MEM_WHY
SLEEPER_ID=$(stat -L -c %d:%i "$SLEEPER")
descendants() { # PID: PID and all its descendants, one per line
	local p=$1 c t kids=()
	echo "$p"
	for t in /proc/"$p"/task/*/children; do
		[ -r "$t" ] || continue
		read -r -a kids <"$t" 2>/dev/null || true
		for c in "${kids[@]}"; do descendants "$c"; done
	done
}
mem_of() {
	local key=$1; shift
	local pid i p sl="" tree=() rss=0 pss=0 n=0 r s
	( exec "$@" "$SLEEPER" 30 >/dev/null 2>&1 ) &
	pid=$!
	BG_PID=$pid
	for ((i = 0; i < 100; i++)); do # up to 5 s
		kill -0 "$pid" 2>/dev/null || break
		for p in $(descendants "$pid"); do
			if [ "$(stat -L -c %d:%i "/proc/$p/exe" 2>/dev/null)" = "$SLEEPER_ID" ]; then sl=$p; fi
		done
		[ -n "$sl" ] && break
		sleep 0.05
	done
	if [ -n "$sl" ]; then
		sleep 0.2 # let the launcher/init settle into their wait loops
		mapfile -t tree < <(descendants "$pid")
		for p in "${tree[@]}"; do
			[ "$p" = "$sl" ] && continue
			read -r r s < <(awk '/^Rss:/ { r = $2 } /^Pss:/ { s = $2 } END { print r + 0, s + 0 }' \
				"/proc/$p/smaps_rollup" 2>/dev/null || echo "0 0")
			rss=$((rss + r)) pss=$((pss + s)) n=$((n + 1))
		done
		MEM_RSS[$key]=$rss MEM_PSS[$key]=$pss MEM_N[$key]=$n
		kill -KILL "$sl" 2>/dev/null || true
	else
		MEM_WHY[$key]="the sleeper never started"
	fi
	for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	BG_PID=""
}
echo
echo "== 3. resident memory while a container runs =="
for k in "${KEYS[@]}"; do
	if [ -n "${WHY[$k]:-}" ]; then MEM_WHY[$k]=${WHY[$k]}; continue; fi
	# shellcheck disable=SC2086
	mem_of "$k" ${CMD[$k]}
done

# ------------------------------------------------------- 4. mount cost -----
declare -A MMED
MOUNT_NOTE=""
BIND_COUNTS=(0 50 200)
if [ "$MOUNTS" = 1 ]; then
	echo
	echo "== 4. mount cost: 0/50/200 --ro-bind, hyperfine -N, $MROUNDS rounds × $((MRUNS / MROUNDS)) runs (+$MWARMUP) each =="
	mkdir -p "$SCRATCH/src" "$SCRATCH/dst"
	for ((i = 0; i < 200; i++)); do mkdir "$SCRATCH/src/$i" "$SCRATCH/dst/$i"; done
	binds() { local i; for ((i = 0; i < $1; i++)); do printf ' --ro-bind %s %s' "$SCRATCH/src/$i" "$SCRATCH/dst/$i"; done; }
	BW_BASE="$BWRAP_BIN --bind / / --unshare-ipc --unshare-net --unshare-pid --unshare-uts --proc /proc"
	# A shell that checks the 200 binds are there and read-only (run once per launcher).
	check_sh="n=\$(grep -c ' $SCRATCH/dst/' /proc/self/mountinfo); [ \"\$n\" -ge 200 ] && ! touch $SCRATCH/dst/199/x 2>/dev/null"
	MHF=()
	NS_MOUNTS=0
	# shellcheck disable=SC2046 # $(binds N) is a word list of paths without blanks
	if [ -n "${WHY[nsrun]:-}" ]; then
		MOUNT_NOTE+="nsrun: skipped: ${WHY[nsrun]}"$'\n'
	else
		rc=0
		timeout 10 "$NSRUN" --ro-bind "$SCRATCH/src/0" "$SCRATCH/dst/0" -- "$TRUE" >"$SCRATCH/probe.out" 2>&1 || rc=$?
		if [ "$rc" != 0 ]; then
			msg=$(first_line "$SCRATCH/probe.out")
			MOUNT_NOTE+="skipped: nsrun lacks --ro-bind (probe exit $rc${msg:+: $msg})"$'\n'
		elif ! timeout 10 "$NSRUN" $(binds 200) -- /bin/sh -c "$check_sh" >/dev/null 2>&1; then
			# Timing an nsrun that parses --ro-bind but mounts nothing would mislead.
			MOUNT_NOTE+="skipped: nsrun accepts --ro-bind but 200 of them did not give 200 read-only mounts"$'\n'
		else
			NS_MOUNTS=1
			for n in "${BIND_COUNTS[@]}"; do MHF+=("nsrun-$n" "$NSRUN$(binds "$n") -- $TRUE"); done
		fi
	fi
	BW_MOUNTS=0
	if [ -n "${WHY[bwrap]:-}" ]; then
		MOUNT_NOTE+="bwrap: n/a: ${WHY[bwrap]}"$'\n'
	else
		BW_MOUNTS=1
		# shellcheck disable=SC2046,SC2086
		timeout 10 $BW_BASE $(binds 200) /bin/sh -c "$check_sh" >/dev/null 2>&1 ||
			MOUNT_NOTE+="warning: with bwrap, 200 --ro-bind did not give 200 read-only mounts"$'\n'
		for n in "${BIND_COUNTS[@]}"; do MHF+=("bwrap-$n" "$BW_BASE$(binds "$n") $TRUE"); done
	fi
	if [ ${#MHF[@]} -gt 0 ]; then
		run_hyperfine "$OUT/mounts.json" "$MROUNDS" "$MWARMUP" "$MRUNS" "${MHF[@]}"
		while read -r name med _ _ bad _ _ n; do
			MMED[$name]=$med
			[ "$bad" = 0 ] || MOUNT_NOTE+="warning: $name: $bad of $n runs exited non-zero"$'\n'
		done < <(hf_stats "$OUT/mounts.json")
	fi
	if [ "$NS_MOUNTS" = 1 ]; then
		# shellcheck disable=SC2046
		mem_of nsrun_b0 "$NSRUN" --
		# shellcheck disable=SC2046
		mem_of nsrun_b200 "$NSRUN" $(binds 200) --
	fi
	if [ "$BW_MOUNTS" = 1 ]; then
		# shellcheck disable=SC2086
		mem_of bwrap_b0 $BW_BASE
		# shellcheck disable=SC2046,SC2086
		mem_of bwrap_b200 $BW_BASE $(binds 200)
	fi
fi
T_TOTAL=$SECONDS

# ------------------------------------------------------------- report ------
na_reason() { if [ -n "${WHY[$1]:-}" ]; then echo " (${WHY[$1]})"; fi; }
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "================================ results (Markdown) ================================"
echo
echo "Measured $(date -u +%Y-%m-%d) on Linux $(uname -r), $(nproc) CPU(s) ${cpu:+($cpu)}, hyperfine $(hyperfine --version | awk '{print $2}'),"
echo "${VERSIONS:-no launcher besides the floors ran}."
echo "Command: a static musl \`true\`. Floors: scripts/floor/floor.c."
echo
echo "### Start-up time (hyperfine -N; $RUNS runs per command in $ROUNDS interleaved rounds; median = median of the round medians)"
echo
echo "| Command | Median (ms) | Round medians (ms) | Mean ± σ (ms) | vs floor-init | vs floor-plain |"
echo "|---|---:|---:|---:|---:|---:|"
fi_med=${MED[floor_init]} fp_med=${MED[floor_plain]}
for k in nsrun nsrun_pid1 unshare busybox bwrap floor_init floor_plain floor_init_lo floor_plain_lo; do
	if [ -n "${MED[$k]:-}" ]; then
		printf '| %s | %s | %s–%s | %s ± %s | %s | %s |\n' "${LABEL[$k]}" "$(ms "${MED[$k]}")" \
			"$(ms "${RLO[$k]}")" "$(ms "${RHI[$k]}")" "$(ms "${MEAN[$k]}")" "$(ms "${SD[$k]}")" \
			"$(ratio "${MED[$k]}" "$fi_med")" "$(ratio "${MED[$k]}" "$fp_med")"
	else
		printf '| %s | n/a | n/a | n/a | n/a | n/a |\n' "${LABEL[$k]}"
	fi
done
echo
for k in nsrun nsrun_pid1 unshare busybox bwrap; do
	if [ -n "${WHY[$k]:-}" ]; then echo "- ${LABEL[$k]}: n/a: ${WHY[$k]}"; fi
done
printf '%s' "$FAILS"
echo
echo "Targets:"
echo
if [ -n "${MED[nsrun]:-}" ]; then
	r=$(awk -v a="${MED[nsrun]}" -v b="$fi_med" 'BEGIN { print a / b }')
	echo "- nsrun (init mode) vs floor-init: $(ratio "${MED[nsrun]}" "$fi_med") (target ≤ 1.10x): $(pass le "$r" 1.10)"
else
	echo "- nsrun (init mode) vs floor-init: n/a$(na_reason nsrun)"
fi
if [ -n "${MED[nsrun_pid1]:-}" ]; then
	r=$(awk -v a="${MED[nsrun_pid1]}" -v b="$fp_med" 'BEGIN { print a / b }')
	echo "- nsrun --as-pid-1 vs floor-plain: $(ratio "${MED[nsrun_pid1]}" "$fp_med") (target ≤ 1.10x): $(pass le "$r" 1.10)"
else
	echo "- nsrun --as-pid-1 vs floor-plain: n/a$(na_reason nsrun_pid1)"
fi
for pair in "nsrun floor_init_lo" "nsrun_pid1 floor_plain_lo"; do
	read -r m f <<<"$pair"
	if [ -n "${MED[$m]:-}" ] && [ -n "${MED[$f]:-}" ]; then
		echo "- like for like, ${LABEL[$m]} vs ${LABEL[$f]}: $(ratio "${MED[$m]}" "${MED[$f]}") (the floors above do not bring up lo; nsrun must)"
	fi
done
for m in nsrun nsrun_pid1; do
	[ -n "${MED[$m]:-}" ] || continue
	fastest="" fmed=""
	for k in unshare busybox bwrap; do
		[ -n "${MED[$k]:-}" ] || continue
		if [ -z "$fmed" ] || ! le "$fmed" "${MED[$k]}"; then fastest=$k fmed=${MED[$k]}; fi
	done
	if [ -n "$fmed" ]; then
		verdict=FAIL
		awk -v a="${MED[$m]}" -v b="$fmed" 'BEGIN { exit !(a < b) }' && verdict=PASS
		echo "- ${LABEL[$m]} faster than every peer: fastest peer is ${LABEL[$fastest]} at $(ms "$fmed") ms, nsrun $(ms "${MED[$m]}") ms ($(ratio "${MED[$m]}" "$fmed")): $verdict"
	else
		echo "- ${LABEL[$m]} faster than every peer: n/a (no peer ran)"
	fi
done

echo
echo "### Size"
echo
if [ -n "$SIZE_B" ]; then
	kib=$(awk -v b="$SIZE_B" 'BEGIN { printf "%.1f", b / 1024 }')
	echo "nsrun stripped: $SIZE_B bytes = $kib KiB (target ≤ 120 KiB = 122880 bytes): $(pass test "$SIZE_B" -le 122880)"
else
	echo "nsrun stripped: n/a$(na_reason nsrun)"
fi

echo
echo "### Resident memory while the command runs (launcher processes, sleeper excluded)"
echo
echo "Sum over the launcher's own processes (e.g. launcher + container init) of Rss / Pss from"
echo "/proc/PID/smaps_rollup, in KiB, while a static sleeper runs inside."
echo
echo "| Launcher | Processes | Rss (KiB) | Pss (KiB) |"
echo "|---|---:|---:|---:|"
mem_row() { # KEY LABEL
	if [ -n "${MEM_RSS[$1]:-}" ]; then
		printf '| %s | %s | %s | %s |\n' "$2" "${MEM_N[$1]}" "${MEM_RSS[$1]}" "${MEM_PSS[$1]}"
	else
		printf '| %s | n/a | n/a | n/a |\n' "$2"
	fi
}
for k in nsrun nsrun_pid1 unshare busybox bwrap floor_init floor_plain floor_init_lo floor_plain_lo; do mem_row "$k" "${LABEL[$k]//true/sleeper}"; done
echo
for k in "${KEYS[@]}"; do
	if [ -n "${MEM_WHY[$k]:-}" ]; then echo "- ${LABEL[$k]//true/sleeper}: n/a: ${MEM_WHY[$k]}"; fi
done
if [ -n "${MEM_RSS[nsrun]:-}" ]; then
	# Launcher and init map the same binary and share their copy-on-write pages, so the sum of
	# their Rss counts those pages twice. The sum of their Pss counts every page they hold once
	# (nothing else maps a page of this static binary while the sleeper runs): that is the memory
	# the two hold, and what the target is checked against.
	echo "- nsrun (init mode) memory held, Pss of launcher + init: ${MEM_PSS[nsrun]} KiB (target ≤ 150 KiB): $(pass test "${MEM_PSS[nsrun]}" -le 150)" \
		"(the plain sum of their Rss, which counts each page they share twice: ${MEM_RSS[nsrun]} KiB)"
else
	echo "- nsrun (init mode) memory: n/a$(na_reason nsrun)"
fi

if [ "$MOUNTS" = 1 ]; then
	echo
	echo "### Mount cost: N × --ro-bind SRC DST (no --root), hyperfine -N, $MRUNS runs in $MROUNDS interleaved round(s), median of round medians"
	echo
	echo "nsrun: \`nsrun [--ro-bind SRC DST]×N -- true\`; bwrap: \`bwrap --bind / / --unshare-{ipc,net,pid,uts} --proc /proc [--ro-bind SRC DST]×N true\`."
	echo
	printf '| Launcher |'; for n in "${BIND_COUNTS[@]}"; do printf ' %s binds (ms) |' "$n"; done
	printf ' per bind 0→50 (µs) | per bind 0→200 (µs) | Pss 0 → 200 binds (KiB) | Rss 0 → 200 binds (KiB) |\n'
	printf '|---|'; for n in "${BIND_COUNTS[@]}"; do printf -- '---:|'; done; printf -- '---:|---:|---:|---:|\n'
	slope() { # LAUNCHER N: (t(N) - t(0)) / N in µs
		if [ -n "${MMED[$1-0]:-}" ] && [ -n "${MMED[$1-$2]:-}" ]; then
			awk -v a="${MMED[$1-$2]}" -v b="${MMED[$1-0]}" -v n="$2" 'BEGIN { printf "%.1f", (a - b) / n * 1e6 }'
		else
			printf 'n/a'
		fi
	}
	for t in nsrun bwrap; do
		printf '| %s |' "$t"
		for n in "${BIND_COUNTS[@]}"; do
			if [ -n "${MMED[$t-$n]:-}" ]; then printf ' %s |' "$(ms "${MMED[$t-$n]}")"; else printf ' n/a |'; fi
		done
		printf ' %s | %s |' "$(slope "$t" 50)" "$(slope "$t" 200)"
		if [ -n "${MEM_RSS[${t}_b0]:-}" ] && [ -n "${MEM_RSS[${t}_b200]:-}" ]; then
			printf ' %s → %s | %s → %s |\n' "${MEM_PSS[${t}_b0]}" "${MEM_PSS[${t}_b200]}" \
				"${MEM_RSS[${t}_b0]}" "${MEM_RSS[${t}_b200]}"
		else
			printf ' n/a | n/a |\n'
		fi
	done
	if [ -n "$MOUNT_NOTE" ]; then echo; printf '%s' "$MOUNT_NOTE" | sed 's/^/- /'; fi
fi
echo
echo "(start-up section ${T_STARTUP}s, whole run ${T_TOTAL}s; raw data: ${OUT#"$ROOT"/}/startup.json${MMED[*]:+, ${OUT#"$ROOT"/}/mounts.json})"
