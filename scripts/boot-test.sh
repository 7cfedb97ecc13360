#!/usr/bin/env bash
# Boot test: boots a Debian kernel under qemu (software emulation, no KVM) with an initramfs
# whose /init (scripts/boot/init) runs nsrun from rootfs with no /proc, as an initramfs hook
# would, and checks what it prints on the serial console.
#
#   scripts/boot-test.sh                    this machine's Debian kernel (linux-image-amd64)
#   scripts/boot-test.sh --kernel bullseye  Debian 11's kernel (Linux 5.10), fetched and cached
#   scripts/boot-test.sh --kernel PATH      any x86-64 kernel image file
#   scripts/boot-test.sh --arch aarch64     Debian 12's arm64 kernel (linux-image-arm64) and
#                                           busybox-static:arm64, fetched and cached, under
#                                           qemu-system-aarch64 -M virt -cpu max (20-50 s)
#   scripts/boot-test.sh --arch aarch64 --kernel SUITE|PATH   another suite's, or any arm64 Image
#
# nsrun is $NSRUN_BIN, else target/static/nsrun (target/static/nsrun-aarch64 with --arch aarch64:
# NSRUN_TARGET=aarch64-unknown-linux-musl scripts/build-static.sh builds it), under
# $CARGO_TARGET_DIR instead of target when that is set, as build-static.sh does. --arch armv7 is
# refused: this machine's rustup has no rust-std for armv7-unknown-linux-musleabihf (HTTP 404), so
# there is no armv7 nsrun to boot.
#
# --kernel SUITE fetches SUITE's linux-image-amd64 with an apt configuration of its own
# (APT_CONFIG in target/boot/kernel-SUITE/apt: the machine's apt configuration, sources, lists
# and dpkg status are neither read nor changed) from the Debian mirror this machine's apt sources
# use (BOOT_MIRROR picks another), signed by /usr/share/keyrings/debian-archive-keyring.gpg;
# unpacks it with dpkg -x and keeps its vmlinuz in target/boot/kernel-SUITE, so the next run
# boots at once. --arch aarch64 does the same for linux-image-arm64 (target/boot/kernel-SUITE-arm64,
# SUITE bookworm without --kernel) and for busybox-static:arm64 (target/boot/busybox-bookworm-arm64);
# the names of its applets come from this machine's busybox (the same Debian 12 package, amd64).
#
# Installs what it needs (qemu-system-x86 or, with --arch aarch64, qemu-system-arm;
# busybox-static, cpio, and linux-image-amd64 for x86_64 without --kernel) when missing; run it
# as root. BOOT_KERNEL picks a kernel image without --kernel (x86_64 only; default: the newest
# /boot/vmlinuz-*), BOOT_TIMEOUT the seconds each boot may take (180; 900 with --arch aarch64),
# BOOT_SMP the number of CPUs (1), BOOT_ROOTFS the kinds of rootfs to boot with ("ramfs tmpfs",
# one boot each). The serial console ends up in target/boot/console.log (console-SUITE.log with
# --kernel SUITE; console-aarch64.log, console-SUITE-aarch64.log with --arch aarch64). Exits 0 only
# when, on every boot, each check /init must run (the list in step 5) printed its PASS line, none
# printed FAIL, and /init got to the end (BOOT-DONE).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

die() {
    echo "boot-test: $*" >&2
    exit 1
}

choice=
default_kernel=
arch=x86_64
usage="usage: scripts/boot-test.sh [--arch x86_64|aarch64] [--kernel SUITE|FILE]"
while [ $# -gt 0 ]; do
    case "$1" in
        --arch)
            [ $# -ge 2 ] && [ -n "$2" ] || die "--arch needs x86_64 or aarch64 ($usage)"
            arch=$2
            shift 2
            ;;
        --arch=?*)
            arch=${1#--arch=}
            shift
            ;;
        --kernel)
            [ $# -ge 2 ] && [ -n "$2" ] || die "--kernel needs a Debian suite (bullseye) or a kernel image file"
            choice=$2
            shift 2
            ;;
        --kernel=?*)
            choice=${1#--kernel=}
            shift
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument '$1' ($usage)" ;;
    esac
done

# What differs between the architectures: the Debian architecture, qemu (its package, binary and
# machine), the serial console, and how file(1) names a static binary of the architecture.
case "$arch" in
    x86_64 | amd64)
        arch=x86_64
        debarch=amd64
        qemu_pkg="qemu-system-x86"
        qemu=(qemu-system-x86_64)
        console=ttyS0
        static_pattern='*x86-64*static*linked*'
        nsrun_default=${CARGO_TARGET_DIR:-target}/static/nsrun
        timeout_default=180
        ;;
    aarch64 | arm64)
        arch=aarch64
        debarch=arm64
        qemu_pkg="qemu-system-arm"
        # Software emulation (TCG) of the most capable CPU qemu has; never KVM. pauth-impdef=on
        # keeps pointer authentication (Debian's kernel signs its return addresses) but with
        # qemu's own algorithm instead of QARMA5, whose emulation made the boots 4-5 times slower
        # (2-5 minutes instead of 20-50 s on this 2-CPU machine).
        qemu=(qemu-system-aarch64 -M virt -cpu "max,pauth-impdef=on")
        console=ttyAMA0
        static_pattern='*ARM aarch64*static*linked*'
        nsrun_default=${CARGO_TARGET_DIR:-target}/static/nsrun-aarch64
        timeout_default=900
        # Debian 12's kernel unless --kernel names another suite or an image file.
        if [ -z "$choice" ]; then
            choice=bookworm
            default_kernel=yes
        fi
        ;;
    armv7 | armhf | arm)
        die "--arch $arch: not supported: this machine's rustup cannot download rust-std for armv7-unknown-linux-musleabihf (HTTP 404), so there is no armv7 nsrun to boot"
        ;;
    *) die "--arch: '$arch' is neither x86_64 nor aarch64 ($usage)" ;;
esac

# 1. What the test needs.
needed=("$qemu_pkg" busybox-static cpio)
[ -n "$choice" ] || needed+=(linux-image-amd64)
command -v file >/dev/null || needed+=(file)
missing=()
for pkg in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); install them or run as root"
    echo "boot-test: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${missing[@]}" >/dev/null ||
        { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
        die "could not install ${missing[*]}"
fi

# 2. The binary under test, and the kernel.
nsrun=${NSRUN_BIN:-$nsrun_default}
build=scripts/build-static.sh
[ "$arch" = "$(uname -m)" ] || build="NSRUN_TARGET=$arch-unknown-linux-musl $build"
if [ ! -f "$nsrun" ] || [ ! -x "$nsrun" ]; then
    die "no nsrun binary at $nsrun (build it with $build, or set NSRUN_BIN)"
fi
# static_binary FILE WHAT: dies unless FILE is a static binary for $arch.
static_binary() {
    local what
    what=$(file -bL "$1")
    # shellcheck disable=SC2254 # the pattern is meant to match
    case "$what" in
        $static_pattern) ;;
        *) die "$2 $1 is not a static $arch binary, it cannot run in the initramfs: $what" ;;
    esac
}
static_binary "$nsrun" nsrun

# host_mirror and apt_setup DIR SUITE ARCH WHO.
# shellcheck source=scripts/lib/debian-apt.sh
. scripts/lib/debian-apt.sh

# apt_unpack PKG: downloads PKG (of $debarch) with the configuration apt_setup made and unpacks
# it into $apt/unpacked with dpkg -x; sets deb to the package file.
apt_unpack() {
    local pkg=$1
    (cd "$apt" && APT_CONFIG=$conf apt-get -q=2 download "$pkg") || die "apt-get download $pkg failed"
    deb=$(find "$apt" -maxdepth 1 -name "${pkg}_*_$debarch.deb" | head -n 1)
    [ -n "$deb" ] || die "apt-get download $pkg left no .deb in $apt"
    dpkg -x "$deb" "$apt/unpacked"
}

# fetch_kernel SUITE: sets kernel to the vmlinuz of SUITE's linux-image-$debarch, fetched once
# into target/boot/kernel-SUITE (kernel-SUITE-$debarch but for amd64) with an apt configuration
# of its own and unpacked with dpkg -x.
fetch_kernel() {
    local suite=$1 dir pkg image meta=linux-image-$debarch
    case "$suite" in
        "" | *[!a-z0-9-]*) die "--kernel: '$suite' is neither a kernel image file nor a Debian suite name" ;;
    esac
    dir=$PWD/target/boot/kernel-$suite
    [ "$debarch" = amd64 ] || dir=$dir-$debarch
    kernel=$dir/vmlinuz
    if [ -r "$kernel" ] && [ -r "$dir/package" ]; then
        read -r pkg _ <"$dir/package"
        release=${pkg#linux-image-}
        echo "boot-test: $suite kernel from the cache: $(cat "$dir/package") ($kernel)"
        return
    fi
    apt_setup "$dir" "$suite" "$debarch" boot-test
    # linux-image-$debarch is a metapackage: the kernel is in the package it depends on.
    pkg=$(APT_CONFIG=$conf apt-cache depends "$meta" |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    [ -n "$pkg" ] || die "$suite's $meta depends on no linux-image-VERSION package"
    apt_unpack "$pkg"
    image=$(find "$apt/unpacked/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
    [ -n "$image" ] || die "$deb holds no boot/vmlinuz-*"
    cp "$image" "$kernel.tmp"
    mv -f "$kernel.tmp" "$kernel"
    echo "$pkg $(dpkg-deb -f "$deb" Version)" >"$dir/package"
    release=${pkg#linux-image-}
    # The image is all the test boots; the package, its modules and the lists go.
    rm -rf "$apt"
    echo "boot-test: $suite kernel: $(cat "$dir/package") ($kernel)"
}

# fetch_busybox SUITE: sets busybox to SUITE's busybox-static for $debarch, fetched once into
# target/boot/busybox-SUITE-$debarch as fetch_kernel fetches a kernel.
fetch_busybox() {
    local suite=$1 dir
    dir=$PWD/target/boot/busybox-$suite-$debarch
    busybox=$dir/busybox
    if [ -x "$busybox" ] && [ -r "$dir/package" ]; then
        echo "boot-test: $suite busybox from the cache: $(cat "$dir/package") ($busybox)"
        return
    fi
    apt_setup "$dir" "$suite" "$debarch" boot-test
    apt_unpack busybox-static
    [ -x "$apt/unpacked/bin/busybox" ] || die "$deb holds no bin/busybox"
    cp "$apt/unpacked/bin/busybox" "$busybox.tmp"
    mv -f "$busybox.tmp" "$busybox"
    echo "busybox-static:$debarch $(dpkg-deb -f "$deb" Version)" >"$dir/package"
    rm -rf "$apt"
    echo "boot-test: $suite busybox: $(cat "$dir/package") ($busybox)"
}

# release: the `uname -r` the booted kernel must show (empty: not known, for --kernel FILE).
log=target/boot/console.log
[ "$arch" = x86_64 ] || log=target/boot/console-$arch.log
release=
mkdir -p target/boot
if [ -n "$choice" ] && [ -f "$choice" ]; then
    kernel=$choice
elif [ -n "$choice" ]; then
    fetch_kernel "$choice"
    if [ -z "$default_kernel" ]; then
        log=target/boot/console-$choice.log
        [ "$arch" = x86_64 ] || log=target/boot/console-$choice-$arch.log
    fi
else
    kernel=${BOOT_KERNEL:-$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)}
    case "$kernel" in
        /boot/vmlinuz-*) release=${kernel#/boot/vmlinuz-} ;;
    esac
fi
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
    die "no readable kernel image (set BOOT_KERNEL, or use --kernel)"
fi
read -r -a kinds <<<"${BOOT_ROOTFS:-ramfs tmpfs}"
for kind in "${kinds[@]}"; do
    case "$kind" in
        ramfs | tmpfs) ;;
        *) die "BOOT_ROOTFS: '$kind' is neither ramfs nor tmpfs" ;;
    esac
done
[ ${#kinds[@]} -gt 0 ] || die "BOOT_ROOTFS names no kind of rootfs (ramfs, tmpfs)"
# This machine's busybox: the initramfs's on x86_64, and the list of applets for every arch.
host_busybox=/bin/busybox
[ -x "$host_busybox" ] || die "no $host_busybox (package busybox-static)"
busybox=$host_busybox
if [ "$arch" != "$(uname -m)" ]; then
    fetch_busybox bookworm
    static_binary "$busybox" busybox
fi

# 3. The initramfs: busybox, nsrun and /init at the top, a small container tree in /ctr.
work=$(mktemp -d "$PWD/target/boot/initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree"/{bin,dev,proc,sys,tmp,mnt} "$tree"/ctr/{bin,dev,etc,mnt,proc,tmp}
chmod 1777 "$tree/tmp" "$tree/ctr/tmp"
cp "$busybox" "$tree/bin/busybox"
ln "$tree/bin/busybox" "$tree/ctr/bin/busybox"
# A foreign busybox cannot run here to list its applets: Debian builds busybox-static with one
# configuration for every architecture, so this machine's list is its list.
mapfile -t applets < <("$host_busybox" --list)
for applet in "${applets[@]}"; do
    case "$applet" in
        busybox | */*) continue ;;
    esac
    ln -s busybox "$tree/bin/$applet"
    ln -s busybox "$tree/ctr/bin/$applet"
done
cp "$nsrun" "$tree/bin/nsrun"
install -m 0755 scripts/boot/init "$tree/init"
echo nsrun-boot-test-ctr >"$tree/ctr/etc/issue"
# The nodes the console and --dev need; the kernel's devtmpfs automount does not cover an
# initramfs. Without the right to make them, /init mounts devtmpfs instead.
while read -r name major minor mode; do
    mknod -m "$mode" "$tree/dev/$name" c "$major" "$minor" 2>/dev/null || break
done <<'EOF'
console 5 1 0600
tty 5 0 0666
null 1 3 0666
zero 1 5 0666
full 1 7 0666
random 1 8 0666
urandom 1 9 0666
EOF
cpio=$work/initramfs.cpio.gz
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    gzip -1 >"$cpio"
echo "boot-test: kernel $kernel, initramfs $(($(stat -c %s "$cpio") / 1024)) KB with $nsrun"

# 4. Boot, once per kind of rootfs: the kernel makes rootfs a ramfs when root= is given (every
# real initramfs boot), a tmpfs when it is not (some rescue and live systems). /init powers off
# at the end; a panic (/init died) reboots, which -no-reboot turns into an exit too.
# 5. The verdict, from each boot's console: every check of this list must print exactly one
# line, and that line must be a PASS; any other FAIL line fails the test too.
expected=(
    version hostname-pid container-proc as-pid-1 net-lo exit-status exit-signal missing-command
    root root-tree root-escape no-proc-binds
    ro-bind remount-ro read-only
    descriptors-control descriptors-init descriptors-as-pid-1 descriptors-root
    no-leak-mounts no-leak-files no-leak-shared propagation-slave propagation-private
    no-leak-after-propagation
    cgroup2-memory-oom cgroup2-pids cgroup2-limits cgroup2-cleanup-after-kill
    cgroup2-kill-leftovers cgroupns oci-v2-devices
    redteam-bpf-nested redteam-bpf-escape redteam-bpf-refused redteam-bpf-v1-default
    caps-container seccomp-preset disable-userns locks-small
)
: >"$log"
timeout=${BOOT_TIMEOUT:-$timeout_default}
passed=0
failed=0
for kind in "${kinds[@]}"; do
    append=
    [ "$kind" = tmpfs ] || append="root=/dev/vda"
    append="console=$console panic=-1 quiet rdinit=/init${append:+ $append}"
    echo "boot-test: boot with rootfs as $kind: -append \"$append\""
    one=$work/console-$kind.log
    qemu_start=$SECONDS
    qemu_rc=0
    timeout "$timeout" "${qemu[@]}" -nographic -no-reboot -m 512 -smp "${BOOT_SMP:-1}" \
        -nic none -kernel "$kernel" -initrd "$cpio" -append "$append" \
        </dev/null >"$one" 2>&1 || qemu_rc=$?
    { echo "=== boot-test: rootfs as $kind, -append \"$append\""; cat "$one"; } >>"$log"

    # Without the CRs and the terminal escapes SeaBIOS and the kernel send.
    lines=$(tr -d '\r' <"$one" | sed 's/\x1bc//g; s/\x1b\[[0-9;?]*[A-Za-z]//g')
    grep -E '^BOOT-(CHECK|INFO) ' <<<"$lines" || true
    passed=$((passed + $(grep -cE '^BOOT-CHECK [^ ]+ PASS$' <<<"$lines" || true)))
    failed=$((failed + $(grep -cE '^BOOT-CHECK [^ ]+ FAIL' <<<"$lines" || true)))
    if [ -n "$release" ] && ! grep -qE "^BOOT-INFO .*; kernel $release," <<<"$lines"; then
        failed=$((failed + 1))
        echo "boot-test: FAIL: /init did not report kernel $release (rootfs as $kind)"
    fi
    for check in "${expected[@]}"; do
        n=$(grep -cE "^BOOT-CHECK $check (PASS|FAIL)" <<<"$lines" || true)
        if [ "$n" = 0 ]; then
            failed=$((failed + 1))
            echo "boot-test: FAIL: no line for the check $check (rootfs as $kind)"
        elif [ "$n" != 1 ]; then
            failed=$((failed + 1))
            echo "boot-test: FAIL: $n lines for the check $check (rootfs as $kind)"
        fi
    done
    case $qemu_rc in
        0) ;;
        124) echo "boot-test: qemu did not finish within ${timeout}s" ;;
        *) echo "boot-test: qemu exited with status $qemu_rc" ;;
    esac
    if ! grep -qE '^BOOT-DONE' <<<"$lines"; then
        failed=$((failed + 1))
        echo "boot-test: FAIL: BOOT-DONE never appeared (/init died or hung)"
        grep -m 1 'Kernel panic' <<<"$lines" | sed 's/^/    /' || true
        echo "boot-test: the console's end:"
        tail -n 15 <<<"$lines" | sed 's/^/    /'
    fi
    echo "boot-test: qemu ran $((SECONDS - qemu_start))s"
done
echo "boot-test: the whole test took $((SECONDS - start))s; console in $log"
echo "boot-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
