#!/usr/bin/env bash
# bench.sh - start-up time, size and memory of nsrun against its peers and
# against the C "floor" (scripts/floor/floor.c: clone + private / + /proc + exec,
# nothing else).
#
# Usage: scripts/bench.sh [--quick] [--nsrun PATH] [--no-mounts] [--no-locks] [--no-enter] [--no-named] [-h]
#   --quick        few runs (smoke test, ~15 s; a full run takes ~3 min); numbers are noisy
#   --nsrun PATH   nsrun binary to measure (default: $NSRUN, else target/static/nsrun)
#   --no-mounts    skip the mount-cost section
#   --no-locks     skip the lock-cost section
#   --no-named     skip the named-run section (scripts/bench-named.sh)
#   --no-enter     skip the enter section
# Environment: NSRUN, UNSHARE, BUSYBOX, BWRAP, RUNC, NSENTER (peer binaries), CC (default musl-gcc),
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
#           5. lock cost: caps preset, seccomp preset, both, a cgroup with
#              limits, each against plain `nsrun -- true` (one hyperfine run)
#           6. entering a running container: `nsrun enter PID|NAME -- true`
#              against util-linux `nsenter -t PID -a true` (one hyperfine run)
#           7. named runs: `nsrun run --name X -- true` against `nsrun -- true`
#              (scripts/bench-named.sh, its table printed at the very end)
# The Markdown tables are printed at the end, ready to paste into README.md.
# shellcheck disable=SC2016 # backquotes in single quotes are Markdown, not command substitution
set -euo pipefail

die() { echo "bench.sh: $*" >&2; exit 1; }
note() { echo "bench.sh: $*" >&2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

QUICK=0
MOUNTS=1
LOCKS=1
ENTER=1
NSRUN=${NSRUN:-target/static/nsrun}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--no-mounts) MOUNTS=0 ;;
	--no-locks) LOCKS=0 ;;
	--no-named) NAMED=0 ;;
	--no-enter) ENTER=0 ;;
	--nsrun) [ $# -ge 2 ] || die "--nsrun needs a path"; NSRUN=$2; shift ;;
	--nsrun=*) NSRUN=${1#--nsrun=} ;;
	-h|--help) sed -n '2,/^# shellcheck/{/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
case $NSRUN in /*) ;; *) NSRUN=$ROOT/$NSRUN ;; esac

if [ "$QUICK" = 1 ]; then
	ROUNDS=3 WARMUP=5 RUNS=60 MROUNDS=1 MWARMUP=3 MRUNS=20 LROUNDS=3 LWARMUP=5 LRUNS=60
	RROUNDS=1 RWARMUP=2 RRUNS=10 EROUNDS=2 EWARMUP=5 ERUNS=60
else
	ROUNDS=14 WARMUP=30 RUNS=2800 MROUNDS=3 MWARMUP=5 MRUNS=300 LROUNDS=20 LWARMUP=20 LRUNS=2000
	RROUNDS=4 RWARMUP=5 RRUNS=200 EROUNDS=10 EWARMUP=20 ERUNS=2000
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
# hf_stats JSON rounds: instead, one line per command and round: name round round-median
# round-cpu (rounds numbered in the order hyperfine ran them, which is NAME#1, NAME#2, ...;
# cpu = the round's mean user + system time, as hyperfine measures it).
# hf_stats JSON p5: one line per command: name and the 5th percentile of all its runs.
hf_stats() {
	awk -v mode="${2:-}" '
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
	/^ *"(user|system)": / { v = $2; sub(/,$/, "", v); CPU[key, R[key] + 1] += v; next }
	/^ *"times": *\[/ { intimes = 1; next }
	intimes && /\]/ {
		intimes = 0; m = median(B, nb); RM[key, ++R[key]] = m
		if (!(key in RMIN) || m < RMIN[key]) RMIN[key] = m
		if (!(key in RMAX) || m > RMAX[key]) RMAX[key] = m
		next
	}
	intimes { v = $1; sub(/,$/, "", v); v += 0; B[++nb] = v; ALL[key, N[key] + 1] = v; sum[key] += v; sq[key] += v * v; N[key]++; next }
	/^ *"exit_codes": *\[/ { inex = 1; next }
	inex && /\]/ { inex = 0; next }
	inex { v = $1; sub(/,$/, "", v); if (v != "0") F[key]++ }
	END {
		if (mode == "p5") {
			for (k = 1; k <= nkeys; k++) {
				key = order[k]; split("", A)
				for (i = 1; i <= N[key]; i++) A[i] = ALL[key, i]
				qs(A, 1, N[key]); print key, A[int(0.05 * (N[key] - 1)) + 1]
			}
			exit
		}
		if (mode == "rounds") {
			for (k = 1; k <= nkeys; k++) for (i = 1; i <= R[order[k]]; i++) print order[k], i, RM[order[k], i], CPU[order[k], i] + 0
			exit
		}
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
# sleeper_start ARGV...: start ARGV + "$SLEEPER 30" in the background (BG_PID) and wait
# until the sleeper runs somewhere below it: SL_PID is its pid, empty if it never
# started (5 s). sleeper_stop: SIGKILL the sleeper, reap the launcher (SIGKILL
# after 5 s).
SL_PID=""
sleeper_start() {
	local i p
	SL_PID=""
	( exec "$@" "$SLEEPER" 30 >/dev/null 2>&1 ) &
	BG_PID=$!
	for ((i = 0; i < 100; i++)); do # up to 5 s
		kill -0 "$BG_PID" 2>/dev/null || break
		for p in $(descendants "$BG_PID"); do
			if [ "$(stat -L -c %d:%i "/proc/$p/exe" 2>/dev/null)" = "$SLEEPER_ID" ]; then SL_PID=$p; fi
		done
		[ -n "$SL_PID" ] && break
		sleep 0.05
	done
}
sleeper_stop() {
	local i
	if [ -n "$SL_PID" ]; then kill -KILL "$SL_PID" 2>/dev/null || true; fi
	for ((i = 0; i < 100; i++)); do kill -0 "$BG_PID" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$BG_PID" 2>/dev/null || true
	wait "$BG_PID" 2>/dev/null || true
	BG_PID="" SL_PID=""
}
mem_of() {
	local key=$1; shift
	local p tree=() rss=0 pss=0 n=0 r s
	sleeper_start "$@"
	if [ -n "$SL_PID" ]; then
		sleep 0.2 # let the launcher/init settle into their wait loops
		mapfile -t tree < <(descendants "$BG_PID")
		for p in "${tree[@]}"; do
			[ "$p" = "$SL_PID" ] && continue
			read -r r s < <(awk '/^Rss:/ { r = $2 } /^Pss:/ { s = $2 } END { print r + 0, s + 0 }' \
				"/proc/$p/smaps_rollup" 2>/dev/null || echo "0 0")
			rss=$((rss + r)) pss=$((pss + s)) n=$((n + 1))
		done
		MEM_RSS[$key]=$rss MEM_PSS[$key]=$pss MEM_N[$key]=$n
	else
		MEM_WHY[$key]="the sleeper never started"
	fi
	sleeper_stop
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
# -------------------------------------------------------- 5. lock cost -----
# The start-up cost of each confinement lock: `nsrun LOCKS -- true` against plain
# `nsrun -- true`, every case in one hyperfine run (interleaved rounds). A case
# is timed only if a probe shows its lock in force in the command: an nsrun that
# parses an option and does nothing with it would time as free.
LOCK_KEYS=(plain caps seccomp caps_seccomp cgroup)
declare -A LLABEL LARGS LWHY LMED LRLO LRHI LPAIR LCPU LADD_CPU LRM LBAD LP5
LLABEL[plain]='(a) `nsrun -- true`'
LLABEL[caps]='(b) `nsrun --caps-preset container -- true`'
LLABEL[seccomp]='(c) `nsrun --seccomp-preset default -- true`'
LLABEL[caps_seccomp]='(d) `nsrun --caps-preset container --seccomp-preset default -- true`'
LLABEL[cgroup]='(e) `nsrun --memory 64m --pids-max 100 --cpus 1 -- true`'
LARGS[plain]=""
LARGS[caps]="--caps-preset container"
LARGS[seccomp]="--seccomp-preset default"
LARGS[caps_seccomp]="--caps-preset container --seccomp-preset default"
LARGS[cgroup]="--memory 64m --pids-max 100 --cpus 1"
CG_MEM=67108864 CG_PIDS=100 # what --memory 64m and --pids-max 100 must write; --cpus 1: quota = period

status_field() { awk -v f="$1:" '$1 == f { print $2; exit }' "$2"; }
# cg_file PID V2FILE V1CONTROLLER V1FILE: the path of an interface file of PID's
# cgroup: V2FILE in its cgroup v2 directory if that has it, else V1FILE in its
# directory in the v1 hierarchy of V1CONTROLLER (from /proc/PID/cgroup and the
# cgroup mounts in /proc/self/mounts). Fails if neither exists.
cg_file() {
	local pid=$1 f2=$2 c1=$3 f1=$4 id ctl path mnt type opts
	while IFS=: read -r id ctl path; do
		if [ "$id" = 0 ] && [ -z "$ctl" ]; then
			while read -r _ mnt type _ _; do
				if [ "$type" = cgroup2 ] && [ -e "$mnt$path/$f2" ]; then echo "$mnt$path/$f2"; return 0; fi
			done </proc/self/mounts
		fi
	done <"/proc/$pid/cgroup"
	while IFS=: read -r id ctl path; do
		[[ ",$ctl," == *",$c1,"* ]] || continue
		while read -r _ mnt type opts _; do
			if [ "$type" = cgroup ] && [[ ",$opts," == *",$c1,"* ]] && [ -e "$mnt$path/$f1" ]; then
				echo "$mnt$path/$f1"; return 0
			fi
		done </proc/self/mounts
	done <"/proc/$pid/cgroup"
	return 1
}
# cg_limits PID: check that PID is in a cgroup of its own (not the script's)
# with the three limits of the cgroup case; print what is wrong, if anything.
cg_limits() {
	local pid=$1 f v q p bad=""
	if [ "$(cat "/proc/$pid/cgroup")" = "$(cat /proc/self/cgroup)" ]; then
		echo "nsrun accepts the cgroup options but the command stays in nsrun's own cgroup (no cgroup is made)"
		return
	fi
	if f=$(cg_file "$pid" memory.max memory memory.limit_in_bytes); then
		v=$(cat "$f"); [ "$v" = "$CG_MEM" ] || bad+=", $f is $v"
	else bad+=", no memory limit file"; fi
	if f=$(cg_file "$pid" pids.max pids pids.max); then
		v=$(cat "$f"); [ "$v" = "$CG_PIDS" ] || bad+=", $f is $v"
	else bad+=", no pids.max"; fi
	if f=$(cg_file "$pid" cpu.max cpu cpu.cfs_quota_us); then
		case $f in
		*/cpu.max) read -r q p <"$f" ;;
		*) q=$(cat "$f"); p=$(cat "${f%/*}/cpu.cfs_period_us") ;;
		esac
		[ "$q" = "$p" ] || bad+=", cpu quota $q per period $p"
	else bad+=", no cpu quota file"; fi
	if [ -n "$bad" ]; then echo "the command's cgroup lacks the limits: ${bad#, }"; fi
}
# cg_nsrun_dirs: the nsrun-* cgroups right below the script's own cgroups (where
# nsrun makes one per run without --cgroup-path), one per line, sorted.
cg_nsrun_dirs() {
	local mnt type path d
	while read -r _ mnt type _ _; do
		case $type in cgroup|cgroup2) ;; *) continue ;; esac
		while IFS=: read -r _ _ path; do
			for d in "$mnt${path%/}"/nsrun-*; do if [ -d "$d" ]; then echo "$d"; fi; done
		done </proc/self/cgroup
	done </proc/self/mounts | sort -u
}
# lock_probe KEY: sets LWHY[KEY] unless `nsrun LOCKS -- true` runs and the
# lock is seen in force in the command.
lock_probe() {
	local k=$1 rc=0 inner outer why=""
	# shellcheck disable=SC2086 # LARGS is a word list by construction
	timeout 10 "$NSRUN" ${LARGS[$k]} -- "$TRUE" >"$SCRATCH/probe.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		LWHY[$k]="probe run failed (exit $rc)"
		if [ -s "$SCRATCH/probe.out" ]; then LWHY[$k]+=": $(first_line "$SCRATCH/probe.out")"; fi
		return
	fi
	case $k in
	caps|seccomp|caps_seccomp)
		# shellcheck disable=SC2086
		timeout 10 "$NSRUN" ${LARGS[$k]} -- /bin/cat /proc/self/status >"$SCRATCH/status.in" 2>&1 || true
		if [ "$k" != seccomp ]; then
			inner=$(status_field CapBnd "$SCRATCH/status.in") outer=$(status_field CapBnd /proc/self/status)
			[ -n "$inner" ] && [ "$inner" != "$outer" ] || why+=", the command's bounding set is nsrun's (${inner:-unread})"
		fi
		if [ "$k" != caps ]; then
			inner=$(status_field Seccomp "$SCRATCH/status.in")
			[ "$inner" = 2 ] || why+=", the command has no seccomp filter (Seccomp: ${inner:-unread})"
		fi
		if [ -n "$why" ]; then LWHY[$k]="nsrun accepts the option but${why#,}"; fi
		;;
	cgroup)
		# shellcheck disable=SC2086
		sleeper_start "$NSRUN" ${LARGS[$k]} --
		if [ -n "$SL_PID" ]; then why=$(cg_limits "$SL_PID"); else why="the sleeper never started"; fi
		sleeper_stop
		if [ -n "$why" ]; then LWHY[$k]=$why; fi
		;;
	esac
}
if [ "$LOCKS" = 1 ]; then
	echo
	echo "== 5. lock cost: hyperfine -N, $LROUNDS rounds × $((LRUNS / LROUNDS)) runs (+$LWARMUP warm-up) per case =="
	LHF=()
	if [ -n "${WHY[nsrun]:-}" ]; then
		for k in "${LOCK_KEYS[@]}"; do LWHY[$k]=${WHY[nsrun]}; done
	else
		for k in "${LOCK_KEYS[@]}"; do
			lock_probe "$k"
			if [ -z "${LWHY[$k]:-}" ]; then
				LHF+=("lock-$k" "$NSRUN${LARGS[$k]:+ ${LARGS[$k]}} -- $TRUE")
			else
				note "lock cost, $k: n/a: ${LWHY[$k]}"
			fi
		done
	fi
	if [ -z "${LWHY[plain]:-}" ]; then
		cg_nsrun_dirs >"$SCRATCH/cg.before"
		run_hyperfine "$OUT/locks.json" "$LROUNDS" "$LWARMUP" "$LRUNS" "${LHF[@]}"
		# nsrun removes its cgroup at the end of each run: any new one left is a leak
		# (or one another nsrun on this machine has now).
		sleep 0.2
		CG_LEFT=$(cg_nsrun_dirs | comm -13 "$SCRATCH/cg.before" - | wc -l)
		while read -r name med _ _ bad rlo rhi n; do
			k=${name#lock-}
			LMED[$k]=$med LRLO[$k]=$rlo LRHI[$k]=$rhi
			[ "$bad" = 0 ] || LBAD[$k]="$bad of $n runs exited non-zero"
		done < <(hf_stats "$OUT/locks.json")
		# Per-round added cost: each round times every case once, close together in time.
		while read -r name r med cpu; do LRM[${name#lock-},$r]="$med $cpu"; done < <(hf_stats "$OUT/locks.json" rounds)
		while read -r name p; do LP5[${name#lock-}]=$p; done < <(hf_stats "$OUT/locks.json" p5)
		for k in "${LOCK_KEYS[@]}"; do
			[ -n "${LMED[$k]:-}" ] || continue
			for ((r = 1; r <= LROUNDS; r++)); do echo "${LRM[$k,$r]} ${LRM[plain,$r]}"; done >"$SCRATCH/rounds"
			# round-median difference: median, min, max (µs); mean CPU time (ms); its difference (µs)
			read -r mid lo hi cpu dcpu < <(awk '
				{ d = ($1 - $3) * 1e6; D[NR] = d; if (NR == 1 || d < lo) lo = d; if (NR == 1 || d > hi) hi = d; c += $2; cp += $4 }
				END {
					for (i = 2; i <= NR; i++) { v = D[i]; for (j = i - 1; j >= 1 && D[j] > v; j--) D[j + 1] = D[j]; D[j + 1] = v }
					m = NR % 2 ? D[(NR + 1) / 2] : (D[NR / 2] + D[NR / 2 + 1]) / 2
					printf "%+.0f %+.0f %+.0f %.3f %+.0f\n", m, lo, hi, c / NR * 1000, (c - cp) / NR * 1e6
				}' "$SCRATCH/rounds")
			LPAIR[$k]="$mid ($lo – $hi)" LCPU[$k]=$cpu LADD_CPU[$k]=$dcpu
		done
	fi
fi
# 5, runc: the same locks in runc, a different process model (a Go runtime that
# re-executes itself as `runc init`, always makes a cgroup, and creates and
# deletes the container's state on every run), timed in a hyperfine run of its
# own. Its bundle: a read-only root holding the static `true` (and a static
# busybox for the probe), /proc mounted, the namespaces nsrun makes. runc
# always sets capabilities (no "capabilities" in config.json drops them all),
# so its plain case keeps every capability, as plain nsrun does.
RUNC_BIN=${RUNC:-$(command -v runc || true)}
RUNC_KEYS=(plain caps seccomp caps_seccomp)
declare -A RWHY RMED RRLO RRHI RBAD
# The unconditional names of nsrun's default preset (its personality, ioctl and
# clone rules compare arguments and are left out).
RUNC_DENY=(keyctl add_key request_key mount umount umount2 pivot_root fsopen fsconfig fsmount fspick
	move_mount open_tree mount_setattr kexec_load kexec_file_load reboot init_module finit_module
	delete_module bpf perf_event_open userfaultfd open_by_handle_at swapon swapoff acct quotactl
	quotactl_fd iopl ioperm clock_settime settimeofday adjtimex clock_adjtime)
RUNC_CONTAINER_CAPS=(CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT)
ALL_CAPS=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE
	NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT
	SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
	AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ
	PERFMON BPF CHECKPOINT_RESTORE)
json_list() { # PREFIX NAME...: ["PREFIXNAME", ...]
	local p=$1 out="" n; shift
	for n in "$@"; do out+="${out:+, }\"$p$n\""; done
	echo "[$out]"
}
# runc_config KEY ARGS_JSON: a config.json for case KEY running ARGS_JSON.
runc_config() {
	local k=$1 argv=$2 caps nnp=false seccomp="" archs bnd i held=()
	# Plain: every capability of the script's bounding set (runc fails on one outside it).
	bnd=$((16#$(status_field CapBnd /proc/self/status)))
	for ((i = 0; i < ${#ALL_CAPS[@]}; i++)); do
		if (((bnd >> i) & 1)); then held+=("${ALL_CAPS[i]}"); fi
	done
	caps=$(json_list CAP_ "${held[@]}")
	case $k in caps|caps_seccomp) caps=$(json_list CAP_ "${RUNC_CONTAINER_CAPS[@]}") nnp=true ;; esac
	case $(uname -m) in
	x86_64) archs='["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]' ;;
	aarch64) archs='["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]' ;;
	*) archs='[]' ;;
	esac
	case $k in seccomp|caps_seccomp)
		nnp=true
		seccomp=", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": $archs,
	\"syscalls\": [{\"names\": $(json_list "" "${RUNC_DENY[@]}"), \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}" ;;
	esac
	cat <<-JSON
	{"ociVersion": "1.0.2",
	 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": $argv, "env": ["PATH=/"], "cwd": "/",
	  "capabilities": {"bounding": $caps, "effective": $caps, "permitted": $caps}, "noNewPrivileges": $nnp},
	 "root": {"path": "rootfs", "readonly": true},
	 "hostname": "runc",
	 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
	 "linux": {"cgroupsPath": "nsrun-bench-runc-$$-$k",
	  "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]$seccomp}}
	JSON
}
RUNC_VERSION="" RUNC_NOTE=""
if [ "$LOCKS" = 1 ]; then
	RHF=()
	if [ -z "$RUNC_BIN" ]; then
		RUNC_NOTE="runc not installed (apt-get install runc)"
	elif [ -z "$BUSYBOX_BIN" ] || ldd "$BUSYBOX_BIN" >/dev/null 2>&1; then
		RUNC_NOTE="no static busybox for the bundle's probe (apt-get install busybox-static)"
	else
		RUNC_NOTE=""
		RUNC_VERSION=$(ver "$RUNC_BIN" --version)
		RSTATE=$SCRATCH/runc-state
		mkdir -p "$RSTATE"
		for k in "${RUNC_KEYS[@]}"; do
			b=$SCRATCH/runc-$k
			mkdir -p "$b/rootfs/proc"
			cp "$TRUE" "$b/rootfs/true"
			cp "$BUSYBOX_BIN" "$b/rootfs/busybox"
			# Probe: the locks are in force in the command (as for nsrun above).
			runc_config "$k" '["/busybox", "cat", "/proc/self/status"]' >"$b/config.json"
			rc=0
			timeout 20 "$RUNC_BIN" --root "$RSTATE" run --bundle "$b" "nsrun-bench-$$-$k" \
				</dev/null >"$SCRATCH/status.in" 2>&1 || rc=$?
			why=""
			if [ "$rc" != 0 ]; then
				why="probe run failed (exit $rc): $(first_line "$SCRATCH/status.in")"
			else
				inner=$(status_field CapBnd "$SCRATCH/status.in") outer=$(status_field CapBnd /proc/self/status)
				case $k in
				caps|caps_seccomp) [ "$inner" != "$outer" ] || why+=", the bounding set is runc's" ;;
				*) [ "$inner" = "$outer" ] || why+=", the plain bounding set ($inner) is not runc's ($outer)" ;;
				esac
				inner=$(status_field Seccomp "$SCRATCH/status.in")
				case $k in
				seccomp|caps_seccomp) [ "$inner" = 2 ] || why+=", no seccomp filter" ;;
				*) [ "$inner" = 0 ] || why+=", a seccomp filter in a case without one" ;;
				esac
				why=${why#, }
			fi
			if [ -n "$why" ]; then
				RWHY[$k]=$why
				note "runc, $k: n/a: $why"
				continue
			fi
			runc_config "$k" '["/true"]' >"$b/config.json"
			RHF+=("runc-$k" "$RUNC_BIN --root $RSTATE run --bundle $b nsrun-bench-$$-$k")
		done
		if [ ${#RHF[@]} -gt 0 ]; then
			echo
			echo "== 5, runc: hyperfine -N, $RROUNDS rounds × $((RRUNS / RROUNDS)) runs (+$RWARMUP warm-up) per case =="
			run_hyperfine "$OUT/locks-runc.json" "$RROUNDS" "$RWARMUP" "$RRUNS" "${RHF[@]}" </dev/null
			while read -r name med _ _ bad rlo rhi n; do
				k=${name#runc-}
				RMED[$k]=$med RRLO[$k]=$rlo RRHI[$k]=$rhi
				[ "$bad" = 0 ] || RBAD[$k]="$bad of $n runs exited non-zero"
			done < <(hf_stats "$OUT/locks-runc.json")
			sleep 0.2
			left=$(cg_nsrun_dirs | grep -c "/nsrun-bench-runc-$$-" || true)
			[ "$left" = 0 ] || RUNC_NOTE="warning: runc left $left cgroup(s) nsrun-bench-runc-$$-* behind"
		fi
	fi
fi
# ------------------------------------------------------------ 6. enter -----
# `nsrun enter PID -- true` and `nsrun enter NAME -- true` against util-linux
# `nsenter -t PID -a true`, all entering the same running container (`nsrun
# run --name NAME -- sleeper`: mount, UTS, IPC, net and PID namespaces; PID is
# its init) in one hyperfine run. A probe first checks that each really lands
# in the container's PID namespace.
declare -A EMED ERLO ERHI EMEAN ESD
ENTER_NOTE=""
NSENTER_BIN=${NSENTER:-$(command -v nsenter || true)}
NSENTER_VERSION=""
if [ "$ENTER" = 1 ]; then
	if [ -n "${WHY[nsrun]:-}" ]; then
		ENTER_NOTE="nsrun: ${WHY[nsrun]}"
	elif [ -z "$NSENTER_BIN" ]; then
		ENTER_NOTE="util-linux nsenter not installed"
	else
		NSENTER_VERSION=$(ver "$NSENTER_BIN" --version)
		# A named container where nsrun has the state store (run --name), so that
		# `nsrun enter NAME` is timed too; else an unnamed one, entered by PID only.
		ENAME=nsrun-bench-$$ EDIR=$SCRATCH/state
		mkdir -p "$EDIR"
		sleeper_start "$NSRUN" run --name "$ENAME" --state-dir "$EDIR" --
		if [ -z "$SL_PID" ]; then
			sleeper_stop
			ENAME=""
			ENTER_NOTE+="nsrun enter NAME: n/a (this nsrun has no run --name)"$'\n'
			sleeper_start "$NSRUN" --
		fi
		EPID=""
		# (the children file ends without a newline: read then fails, having read it)
		if [ -n "$SL_PID" ]; then read -r EPID _ <"/proc/$BG_PID/task/$BG_PID/children" || true; fi
		if [ -z "$EPID" ]; then
			ENTER_NOTE="the container did not start"
		else
			want=$(readlink "/proc/$EPID/ns/pid")
			probe_ns='readlink /proc/self/ns/pid'
			a=$(timeout 10 "$NSRUN" enter "$EPID" -- /bin/sh -c "$probe_ns" 2>&1 || true)
			b=$(timeout 10 "$NSENTER_BIN" -t "$EPID" -a /bin/sh -c "$probe_ns" 2>&1 || true)
			ENTER_HF=(nsrun_enter "$NSRUN enter $EPID -- $TRUE")
			if [ -n "$ENAME" ]; then
				c=$(timeout 10 "$NSRUN" enter --state-dir "$EDIR" "$ENAME" -- /bin/sh -c "$probe_ns" 2>&1 || true)
				if [ "$c" = "$want" ]; then
					ENTER_HF+=(nsrun_enter_name "$NSRUN enter --state-dir $EDIR $ENAME -- $TRUE")
				else
					ENTER_NOTE+="nsrun enter NAME: probe reached ${c:-nothing}, not the container's $want"$'\n'
				fi
			fi
			ENTER_HF+=(nsenter "$NSENTER_BIN -t $EPID -a $TRUE")
			if [ "$a" != "$want" ]; then
				ENTER_NOTE="probe: nsrun enter reached ${a:-nothing}, not the container's $want"
			elif [ "$b" != "$want" ]; then
				ENTER_NOTE="probe: nsenter -a reached ${b:-nothing}, not the container's $want"
			else
				echo
				echo "== 6. enter: hyperfine -N, $EROUNDS rounds × $((ERUNS / EROUNDS)) runs (+$EWARMUP warm-up) per command =="
				run_hyperfine "$OUT/enter.json" "$EROUNDS" "$EWARMUP" "$ERUNS" "${ENTER_HF[@]}" </dev/null
				while read -r name med mean sd bad rlo rhi n; do
					EMED[$name]=$med EMEAN[$name]=$mean ESD[$name]=$sd ERLO[$name]=$rlo ERHI[$name]=$rhi
					[ "$bad" = 0 ] || ENTER_NOTE+="warning: $name: $bad of $n runs exited non-zero"$'\n'
				done < <(hf_stats "$OUT/enter.json")
			fi
		fi
		sleeper_stop
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
	echo
	echo "nsrun stripped: $SIZE_B bytes = $kib KiB (target with the locks in, issue 7: ≤ 160 KiB = 163840 bytes): $(pass test "$SIZE_B" -le 163840)"
	echo
	echo "nsrun stripped: $SIZE_B bytes = $kib KiB (budget with the OCI runtime still to come: ≤ 200 KiB = 204800 bytes): $(pass test "$SIZE_B" -le 204800)"
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
if [ "$LOCKS" = 1 ]; then
	echo
	echo "### Lock cost: \`nsrun LOCKS -- true\` against \`nsrun -- true\`, hyperfine -N, $LRUNS runs per case in $LROUNDS interleaved rounds, median of round medians"
	echo
	echo "Added: the case's median minus (a)'s. Paired: the same difference within each round (the"
	echo "rounds interleave the cases, so each pair ran close together in time): median (min – max) over"
	echo "the rounds. 5th pct: the 5th percentile of all runs (the runs least disturbed). CPU: user +"
	echo "system time per run as hyperfine measures it, mean of the rounds. The last two are less"
	echo "sensitive than the median to other load on the machine."
	echo
	echo "| Case | Median (ms) | Round medians (ms) | Added vs (a) (µs) | Added, paired by round (µs) | 5th pct (ms) | Added 5th pct (µs) | CPU (ms) | Added CPU (µs) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for k in "${LOCK_KEYS[@]}"; do
		if [ -n "${LMED[$k]:-}" ]; then
			if [ "$k" = plain ]; then
				add="—" per="—" dp5="—" dcpu="—"
			else
				add=$(awk -v a="${LMED[$k]}" -v b="${LMED[plain]}" 'BEGIN { printf "%+.0f", (a - b) * 1e6 }')
				dp5=$(awk -v a="${LP5[$k]}" -v b="${LP5[plain]}" 'BEGIN { printf "%+.0f", (a - b) * 1e6 }')
				per=${LPAIR[$k]} dcpu=${LADD_CPU[$k]}
			fi
			printf '| %s | %s | %s–%s | %s | %s | %s | %s | %s | %s |\n' "${LLABEL[$k]}" "$(ms "${LMED[$k]}")" \
				"$(ms "${LRLO[$k]}")" "$(ms "${LRHI[$k]}")" "$add" "$per" "$(ms "${LP5[$k]}")" "$dp5" "${LCPU[$k]}" "$dcpu"
		else
			printf '| %s | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a |\n' "${LLABEL[$k]}"
		fi
	done
	echo
	for k in "${LOCK_KEYS[@]}"; do
		if [ -n "${LWHY[$k]:-}" ]; then echo "- ${LLABEL[$k]}: n/a: ${LWHY[$k]}"; fi
		if [ -n "${LBAD[$k]:-}" ]; then echo "- warning: ${LLABEL[$k]}: ${LBAD[$k]}"; fi
	done
	echo
	if [ "${CG_LEFT:-0}" != 0 ]; then
		echo "- warning: $CG_LEFT nsrun-* cgroup(s) below the script's cgroups that were not there before the run (left behind, or another nsrun's)"
		echo
	fi
	echo "Targets:"
	echo
	# lock_target KEY WHAT LIMIT_US
	lock_target() {
		local add
		if [ -n "${LMED[$1]:-}" ] && [ -n "${LMED[plain]:-}" ]; then
			add=$(awk -v a="${LMED[$1]}" -v b="${LMED[plain]}" 'BEGIN { printf "%.0f", (a - b) * 1e6 }')
			echo "- $2 add $add µs (target ≤ $3 µs = $(awk -v u="$3" 'BEGIN { print u / 1000 }') ms): $(pass le "$add" "$3")" \
				"(paired by round ${LPAIR[$1]%% *} µs, 5th percentile $(awk -v a="${LP5[$1]}" -v b="${LP5[plain]}" 'BEGIN { printf "%+.0f", (a - b) * 1e6 }') µs, CPU ${LADD_CPU[$1]} µs)"
		else
			echo "- $2 add: n/a (${LWHY[$1]:-${LWHY[plain]:-not measured}})"
		fi
	}
	lock_target caps_seccomp "caps + seccomp together (d)" 100
	lock_target cgroup "a cgroup with three limits (e)" 500
	echo
	echo "#### runc with the same locks (a different process model), hyperfine -N, $RRUNS runs per case in $RROUNDS interleaved round(s), median of round medians"
	echo
	echo "Not like for like: runc is a Go runtime that re-executes itself as \`runc init\`, always makes a"
	echo "cgroup and writes and deletes the container's state on every run; only the differences between its"
	echo "cases compare with nsrun's. Bundle: a read-only root with the static \`true\`, /proc, the namespaces"
	echo "nsrun makes. Plain keeps every capability (runc sets capabilities on every run), no seccomp, no"
	echo "no_new_privs; caps: the 11 of \`--caps-preset container\` and no_new_privs; seccomp: one filter"
	echo "denying (EPERM) the unconditional names of nsrun's \`--seccomp-preset default\` and no_new_privs.${RUNC_VERSION:+ $RUNC_VERSION.}"
	echo
	echo "| Case | Median (ms) | Round medians (ms) | Added vs plain (µs) |"
	echo "|---|---:|---:|---:|"
	declare -A RLABEL=([plain]='`runc run` plain' [caps]='`runc run`, container capabilities'
		[seccomp]='`runc run`, seccomp deny list' [caps_seccomp]='`runc run`, both')
	for k in "${RUNC_KEYS[@]}"; do
		if [ -n "${RMED[$k]:-}" ]; then
			add="—"
			if [ "$k" != plain ] && [ -n "${RMED[plain]:-}" ]; then
				add=$(awk -v a="${RMED[$k]}" -v b="${RMED[plain]}" 'BEGIN { printf "%+.0f", (a - b) * 1e6 }')
			fi
			printf '| %s | %s | %s–%s | %s |\n' "${RLABEL[$k]}" "$(ms "${RMED[$k]}")" \
				"$(ms "${RRLO[$k]}")" "$(ms "${RRHI[$k]}")" "$add"
		else
			printf '| %s | n/a | n/a | n/a |\n' "${RLABEL[$k]}"
		fi
	done
	notes=${RUNC_NOTE:+- $RUNC_NOTE$'\n'}
	for k in "${RUNC_KEYS[@]}"; do
		if [ -n "${RWHY[$k]:-}" ]; then notes+="- ${RLABEL[$k]}: n/a: ${RWHY[$k]}"$'\n'; fi
		if [ -n "${RBAD[$k]:-}" ]; then notes+="- warning: ${RLABEL[$k]}: ${RBAD[$k]}"$'\n'; fi
	done
	if [ -n "$notes" ]; then echo; printf '%s' "$notes"; fi
fi
if [ "$ENTER" = 1 ]; then
	echo
	echo "### Entering a running container, hyperfine -N, $ERUNS runs per command in $EROUNDS interleaved rounds, median of round medians"
	echo
	echo "All join the mount, UTS, IPC, network and PID namespaces of the same container (\`nsrun run --name"
	echo "NAME -- sleeper\`, its init as PID) and fork into its PID namespace to run the static \`true\`.${NSENTER_VERSION:+ $NSENTER_VERSION.}"
	echo
	echo "| Command | Median (ms) | Round medians (ms) | Mean ± σ (ms) |"
	echo "|---|---:|---:|---:|"
	declare -A ELABEL=([nsrun_enter]='`nsrun enter PID -- true`' [nsrun_enter_name]='`nsrun enter NAME -- true`'
		[nsenter]='`nsenter -t PID -a true`')
	for k in nsrun_enter nsrun_enter_name nsenter; do
		if [ -n "${EMED[$k]:-}" ]; then
			printf '| %s | %s | %s–%s | %s ± %s |\n' "${ELABEL[$k]}" "$(ms "${EMED[$k]}")" \
				"$(ms "${ERLO[$k]}")" "$(ms "${ERHI[$k]}")" "$(ms "${EMEAN[$k]}")" "$(ms "${ESD[$k]}")"
		else
			printf '| %s | n/a | n/a | n/a |\n' "${ELABEL[$k]}"
		fi
	done
	echo
	if [ -n "$ENTER_NOTE" ]; then printf '%s\n' "$ENTER_NOTE" | sed '/^$/d; s/^/- /'; echo; fi
	for k in nsrun_enter nsrun_enter_name; do
		if [ -n "${EMED[$k]:-}" ] && [ -n "${EMED[nsenter]:-}" ]; then
			verdict=FAIL
			awk -v a="${EMED[$k]}" -v b="${EMED[nsenter]}" 'BEGIN { exit !(a < b) }' && verdict=PASS
			echo "- ${ELABEL[$k]} faster than nsenter -a: $(ms "${EMED[$k]}") ms against $(ms "${EMED[nsenter]}") ms ($(ratio "${EMED[$k]}" "${EMED[nsenter]}")): $verdict"
		else
			echo "- ${ELABEL[$k]} faster than nsenter -a: n/a"
		fi
	done
fi
if [ "$NAMED" = 1 ]; then
	echo
	named_args=(--nsrun "$NSRUN")
	[ "$QUICK" = 1 ] && named_args+=(--quick)
	"$ROOT/scripts/bench-named.sh" "${named_args[@]}" 2>&1 | sed -n '/^####/,$p' || note "named runs: bench-named.sh failed"
fi
echo
echo "(start-up section ${T_STARTUP}s, whole run ${T_TOTAL}s; raw data: ${OUT#"$ROOT"/}/startup.json${MMED[*]:+, ${OUT#"$ROOT"/}/mounts.json}${LMED[*]:+, ${OUT#"$ROOT"/}/locks.json}${RMED[*]:+, ${OUT#"$ROOT"/}/locks-runc.json}${EMED[*]:+, ${OUT#"$ROOT"/}/enter.json})"
