#!/usr/bin/env bash
# Boot test: boots the Debian kernel under qemu (software emulation, no KVM) with an initramfs
# whose /init (scripts/boot/init) runs nsrun from rootfs with no /proc, as an initramfs hook
# would, and checks what it prints on the serial console.
#
#   scripts/boot-test.sh            uses $NSRUN_BIN, else target/static/nsrun
#
# Installs what it needs (qemu-system-x86, linux-image-amd64, busybox-static, cpio) when missing;
# run it as root. BOOT_KERNEL picks a kernel image (default: the newest /boot/vmlinuz-*),
# BOOT_TIMEOUT the seconds each boot may take (120), BOOT_SMP the number of CPUs (1),
# BOOT_ROOTFS the kinds of rootfs to boot with ("ramfs tmpfs", one boot each).
# The serial console ends up in target/boot/console.log. Exits 0 only when every BOOT-CHECK
# passed and /init got to the end (BOOT-DONE).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

die() {
    echo "boot-test: $*" >&2
    exit 1
}

# 1. What the test needs.
missing=()
for pkg in qemu-system-x86 linux-image-amd64 busybox-static cpio; do
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

# 2. The binary under test.
nsrun=${NSRUN_BIN:-target/static/nsrun}
if [ ! -f "$nsrun" ] || [ ! -x "$nsrun" ]; then
    die "no nsrun binary at $nsrun (build it with scripts/build-static.sh, or set NSRUN_BIN)"
fi
if command -v file >/dev/null; then
    what=$(file -bL "$nsrun")
    case "$what" in
        *x86-64*static*linked*) ;;
        *) die "$nsrun is not a static x86-64 binary, it cannot run in the initramfs: $what" ;;
    esac
fi

kernel=${BOOT_KERNEL:-$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)}
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
    die "no readable kernel image in /boot (set BOOT_KERNEL)"
fi
read -r -a kinds <<<"${BOOT_ROOTFS:-ramfs tmpfs}"
for kind in "${kinds[@]}"; do
    case "$kind" in
        ramfs | tmpfs) ;;
        *) die "BOOT_ROOTFS: '$kind' is neither ramfs nor tmpfs" ;;
    esac
done
[ ${#kinds[@]} -gt 0 ] || die "BOOT_ROOTFS names no kind of rootfs (ramfs, tmpfs)"
busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox (package busybox-static)"

# 3. The initramfs: busybox, nsrun and /init at the top, a small container tree in /ctr.
mkdir -p target/boot
work=$(mktemp -d "$PWD/target/boot/initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree"/{bin,dev,proc,sys,tmp,mnt} "$tree"/ctr/{bin,dev,etc,mnt,proc,tmp}
chmod 1777 "$tree/tmp" "$tree/ctr/tmp"
cp "$busybox" "$tree/bin/busybox"
ln "$tree/bin/busybox" "$tree/ctr/bin/busybox"
mapfile -t applets < <("$busybox" --list)
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
# 5. The verdict, from each boot's console.
log=target/boot/console.log
: >"$log"
timeout=${BOOT_TIMEOUT:-120}
passed=0
failed=0
for kind in "${kinds[@]}"; do
    append=
    [ "$kind" = tmpfs ] || append="root=/dev/vda"
    append="console=ttyS0 panic=-1 quiet rdinit=/init${append:+ $append}"
    echo "boot-test: boot with rootfs as $kind: -append \"$append\""
    one=$work/console-$kind.log
    qemu_start=$SECONDS
    qemu_rc=0
    timeout "$timeout" qemu-system-x86_64 -nographic -no-reboot -m 512 -smp "${BOOT_SMP:-1}" \
        -nic none -kernel "$kernel" -initrd "$cpio" -append "$append" \
        </dev/null >"$one" 2>&1 || qemu_rc=$?
    { echo "=== boot-test: rootfs as $kind, -append \"$append\""; cat "$one"; } >>"$log"

    # Without the CRs and the terminal escapes SeaBIOS and the kernel send.
    lines=$(tr -d '\r' <"$one" | sed 's/\x1bc//g; s/\x1b\[[0-9;?]*[A-Za-z]//g')
    grep -E '^BOOT-(CHECK|INFO) ' <<<"$lines" || true
    passed=$((passed + $(grep -cE '^BOOT-CHECK [^ ]+ PASS$' <<<"$lines" || true)))
    failed=$((failed + $(grep -cE '^BOOT-CHECK [^ ]+ FAIL' <<<"$lines" || true)))
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
