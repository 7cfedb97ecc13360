#!/usr/bin/env bash
# initramfs test: builds initramfs images with Debian's own generators and the hooks of contrib/
# (contrib/initramfs-tools, contrib/dracut/90nsrun), checks that nsrun is inside and static, and
# boots the mkinitramfs image under qemu (software emulation, no KVM) with nsrun.example=poweroff
# on the kernel command line: its init-bottom script must run a container and print its result.
#
#   scripts/initramfs-test.sh
#
# initramfs-tools and dracut are not installed on this machine (installing initramfs-tools runs
# update-initramfs on the host's /boot): initramfs-tools, initramfs-tools-core, klibc-utils,
# libklibc, dracut and dracut-core of this machine's Debian release are fetched with an apt
# configuration of its own (APT_CONFIG in target/initramfs/apt: the machine's apt configuration,
# sources, lists and dpkg status are neither read nor changed), from the Debian mirror this
# machine's apt sources use (BOOT_MIRROR picks another), signed by
# /usr/share/keyrings/debian-archive-keyring.gpg, kept in target/initramfs/debs (the next run
# fetches nothing) and unpacked with dpkg -x. mkinitramfs and dracut then run from the unpacked
# trees inside a scratch mount namespace made by nsrun itself, where /usr, /etc and /boot are
# read-only binds and the unpacked /usr/share/initramfs-tools and /usr/lib/klibc are bound over
# the machine's: the machine's files and mounts stay as they were. Their other package's hooks
# (udev, kmod, busybox) stay in, as on an installed system.
#
# The kernel is BOOT_KERNEL, else the newest /boot/vmlinuz-* (its modules from /lib/modules, read
# only); the root filesystem of the boot is an empty ext4 image on a virtio disk, so the
# initramfs loads virtio_pci, virtio_blk and ext4, mounts it and runs init-bottom. nsrun is
# $NSRUN_BIN, else target/static/nsrun. INITRAMFS_TIMEOUT is the seconds the boot may take
# (180). The serial console ends up in target/initramfs/console.log.
#
# Installs what it needs (qemu-system-x86, cpio, kmod, udev, e2fsprogs, file, zstd) when missing;
# never initramfs-tools or dracut. Run it as root. Exits 0 only when both images hold a static
# /usr/sbin/nsrun identical to the binary under test and the example, and the boot printed the
# example's line and exit status 0.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS

die() {
    echo "initramfs-test: $*" >&2
    exit 1
}
say() {
    echo "initramfs-test: $*"
}

case "${1:-}" in
    "") ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument '$1' (usage: scripts/initramfs-test.sh)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run it as root (mount namespaces, mkinitramfs, dracut)"

# 1. What the test needs from this machine: the tools the generators run (cpio, kmod, udev,
# e2fsprogs: their Depends), qemu, and the mount points the unpacked trees are bound onto.
needed=(qemu-system-x86 cpio kmod udev e2fsprogs file zstd)
missing=()
for pkg in "${needed[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${missing[@]}" >/dev/null ||
        { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
        die "could not install ${missing[*]}"
fi
for dir in /usr/share/initramfs-tools /usr/lib/klibc; do
    # nsrun creates nothing on the host: the bind needs a directory to land on.
    [ -d "$dir" ] || die "no $dir on this machine to bind the unpacked one onto (a Debian machine with a kernel package has it)"
done

nsrun=${NSRUN_BIN:-target/static/nsrun}
[ -f "$nsrun" ] && [ -x "$nsrun" ] ||
    die "no nsrun binary at $nsrun (build it with scripts/build-static.sh, or set NSRUN_BIN)"
nsrun=$(realpath "$nsrun")
case "$(file -bL "$nsrun")" in
    *x86-64*static*linked*) ;;
    *) die "$nsrun is not a static x86-64 binary: $(file -bL "$nsrun")" ;;
esac

kernel=${BOOT_KERNEL:-$(find /boot -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)}
[ -n "$kernel" ] && [ -r "$kernel" ] || die "no readable kernel image (set BOOT_KERNEL)"
kver=${kernel##*/vmlinuz-}
[ -r "/lib/modules/$kver/modules.dep" ] || die "no /lib/modules/$kver/modules.dep for $kernel"

# 2. The packages, fetched once into target/initramfs/debs.
top=$PWD/target/initramfs
debs=$top/debs
packages=(initramfs-tools initramfs-tools-core klibc-utils libklibc dracut dracut-core)

# host_mirror and apt_setup DIR SUITE ARCH WHO.
# shellcheck source=scripts/lib/debian-apt.sh
. scripts/lib/debian-apt.sh

have_debs() {
    local pkg
    for pkg in "${packages[@]}"; do
        compgen -G "$debs/${pkg}_*.deb" >/dev/null || return 1
    done
}

fetch_debs() {
    local suite
    # shellcheck disable=SC1091
    suite=${INITRAMFS_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-}")}
    [ -n "$suite" ] || die "no VERSION_CODENAME in /etc/os-release (set INITRAMFS_SUITE)"
    apt_setup "$top" "$suite" amd64 initramfs-test
    (cd "$apt" && APT_CONFIG=$conf apt-get -q=2 download "${packages[@]}") ||
        die "apt-get download ${packages[*]} failed"
    rm -rf "$debs.tmp"
    mkdir -p "$debs.tmp"
    mv "$apt"/*.deb "$debs.tmp/"
    rm -rf "$debs"
    mv "$debs.tmp" "$debs"
    rm -rf "$apt"
}

mkdir -p "$top"
if have_debs; then
    say "packages from the cache ($debs)"
else
    fetch_debs
    have_debs || die "apt-get download left no .deb for some of ${packages[*]} in $debs"
fi

work=$(mktemp -d "$top/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
x=$work/unpacked
for deb in "$debs"/*.deb; do
    dpkg -x "$deb" "$x"
    say "unpacked $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
done
# Their Depends beyond each other: this machine must have them (kpartx only serves dracut's
# dm and multipath modules, which the test leaves out).
for deb in "$debs"/*.deb; do
    dpkg-deb -f "$deb" Depends Pre-Depends
done | tr ',' '\n' | sed 's/([^)]*)//g; s/:any//g' | awk 'NF' | while read -r alt; do
    ok=
    for pkg in ${alt//|/ }; do
        case " ${packages[*]} kpartx " in *" $pkg "*) ok=1 ;; esac
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' && ok=1
    done
    [ -n "$ok" ] || die "the unpacked packages need $alt, which this machine lacks"
done

# run_in_scratch CMD...: CMD in a mount namespace of its own where /usr, /etc and /boot are
# read-only and the unpacked trees lie where the packages would have installed them; the
# scratch directory stays writable (it is not under /usr, /etc or /boot).
klibc_so=()
for so in "$x"/lib/klibc-*.so "$x"/usr/lib/klibc-*.so; do
    [ -f "$so" ] || continue
    [ -f "/usr/lib/${so##*/}" ] || die "this machine's klibc is not the one unpacked (${so##*/}): cannot bind it"
    klibc_so+=(--ro-bind "$so" "/usr/lib/${so##*/}")
done
share=$work/share-initramfs-tools
cp -a /usr/share/initramfs-tools "$share" # the hooks of udev, kmod, busybox...
cp -a "$x/usr/share/initramfs-tools/." "$share/"
run_in_scratch() {
    "$nsrun" --mount --propagation private \
        --ro-bind /usr /usr --ro-bind /etc /etc --ro-bind /boot /boot \
        --ro-bind "$share" /usr/share/initramfs-tools \
        --ro-bind "$x/usr/lib/klibc" /usr/lib/klibc "${klibc_so[@]}" \
        --setenv TMPDIR "$work/tmp" \
        --setenv PATH "$x/usr/bin:$x/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        -- "$@"
}
mkdir -p "$work/tmp"

# What must not change on this machine: its mount table, and the files the generators own.
host_state() {
    cat /proc/self/mountinfo
    # (find complains of the paths this machine does not have: they must stay absent.)
    { find /boot /etc/initramfs-tools /usr/share/initramfs-tools /usr/lib/klibc /etc/dracut.conf \
        /etc/dracut.conf.d /usr/lib/dracut /usr/sbin/nsrun /usr/local/sbin/nsrun \
        -printf '%p %s %T@ %m\n' 2>/dev/null || true; } | LC_ALL=C sort
}
host_before=$(host_state)

# The example by itself, first (a fraction of a second): a command line of the test's own bound
# over /proc/cmdline in a scratch mount namespace, nsrun on the PATH. Without nsrun.example it
# prints nothing; with nsrun.example=1 it runs the container; sourced, as dracut's /init sources
# its hooks, it returns to the shell that sourced it instead of ending it.
example=contrib/initramfs-tools/scripts/init-bottom/nsrun-example
mkdir -p "$work/example/bin"
ln -s "$nsrun" "$work/example/bin/nsrun"
run_example() {
    printf '%s\n' "$1" >"$work/example/cmdline"
    shift
    "$nsrun" --mount --ro-bind "$work/example/cmdline" /proc/cmdline \
        --setenv PATH "$work/example/bin:/usr/sbin:/usr/bin:/sbin:/bin" -- "$@"
}
[ "$(sh "$example" prereqs)" = "" ] || die "$example prereqs: it names prerequisites"
out=$(run_example "quiet nsrun.example=0" sh "$example") || die "$example failed without nsrun.example"
[ -z "$out" ] || die "$example printed something without nsrun.example: $out"
# shellcheck disable=SC2016
out=$(run_example "quiet nsrun.example=1" sh -c '. "$1"; echo "sourced: back, status $?"' sh "$example") ||
    die "$example (sourced) failed"
want=$'nsrun-example: hostname nsrun-example, PID 1 nsrun, command PID 2\nnsrun-example: exit status 0\nsourced: back, status 0'
[ "$out" = "$want" ] || die "$example with nsrun.example=1, sourced, printed: $out"
say "the example alone: silent without nsrun.example; with it, the container's line; sourced, it returns"

# 3. mkinitramfs, with the hook and the example in a configuration directory of its own.
conf=$work/initramfs-tools
cp -a "$x/etc/initramfs-tools" "$conf"
sed -i 's/^MODULES=.*/MODULES=list/' "$conf/initramfs.conf"
printf '%s\n' virtio_pci virtio_blk ext4 >>"$conf/modules"
echo "NSRUN=$nsrun" >"$conf/conf.d/nsrun"
install -m 0755 contrib/initramfs-tools/hooks/nsrun "$conf/hooks/nsrun"
mkdir -p "$conf/scripts/init-bottom"
install -m 0755 contrib/initramfs-tools/scripts/init-bottom/nsrun-example "$conf/scripts/init-bottom/"
img=$work/initrd.img-$kver
t=$SECONDS
run_in_scratch mkinitramfs -d "$conf" -o "$img" "$kver" || die "mkinitramfs failed"
say "mkinitramfs: $img, $(($(stat -c %s "$img") / 1024)) KB, in $((SECONDS - t))s"

# checked_nsrun FILE WHAT: FILE, taken out of an image, is the static binary under test.
checked_nsrun() {
    [ -f "$1" ] || die "$2: no usr/sbin/nsrun in the image"
    case "$(file -b "$1")" in
        *x86-64*static*linked*) ;;
        *) die "$2: usr/sbin/nsrun is not static: $(file -b "$1")" ;;
    esac
    cmp -s "$1" "$nsrun" || die "$2: usr/sbin/nsrun differs from $nsrun"
    say "$2: usr/sbin/nsrun is $nsrun, $(file -b "$1" | grep -o 'static[-a-z]* linked')"
}
listing=$(run_in_scratch lsinitramfs "$img") || die "lsinitramfs failed"
for f in usr/sbin/nsrun scripts/init-bottom/nsrun-example; do
    grep -qx "$f" <<<"$listing" || die "lsinitramfs: no $f in $img"
done
say "lsinitramfs: $(grep -cx 'usr/sbin/nsrun\|scripts/init-bottom/nsrun-example' <<<"$listing") of 2 files found"
run_in_scratch unmkinitramfs "$img" "$work/img" || die "unmkinitramfs failed"
checked_nsrun "$work/img/usr/sbin/nsrun" mkinitramfs

# 4. dracut, from the unpacked tree (dracutbasedir), with 90nsrun and a configuration of its own;
# the modules and drivers a boot from an ext4 virtio disk needs, nothing of the host's (no
# hostonly), and no stripping: the binary must stay the one under test.
dracutbase=$x/usr/lib/dracut
cp -rL contrib/dracut/90nsrun "$dracutbase/modules.d/90nsrun"
mkdir -p "$work/dracut.conf.d" "$work/dracut-tmp"
: >"$work/dracut.conf"
dimg=$work/dracut.img-$kver
t=$SECONDS
run_in_scratch env dracutbasedir="$dracutbase" NSRUN="$nsrun" \
    dracut --quiet --conf "$work/dracut.conf" --confdir "$work/dracut.conf.d" \
    --tmpdir "$work/dracut-tmp" --no-hostonly --no-early-microcode --nostrip --nohardlink \
    --modules "base rootfs-block udev-rules kernel-modules nsrun" \
    --drivers "virtio_pci virtio_blk ext4" --force "$dimg" "$kver" || die "dracut failed"
say "dracut: $dimg, $(($(stat -c %s "$dimg") / 1024)) KB, in $((SECONDS - t))s"
lsinitrd() {
    run_in_scratch env dracutbasedir="$dracutbase" lsinitrd "$@"
}
dlisting=$(lsinitrd "$dimg") || die "lsinitrd failed"
grep -qE '(^| )usr/sbin/nsrun$' <<<"$dlisting" || die "lsinitrd: no usr/sbin/nsrun in $dimg"
grep -qE 'hooks/pre-pivot/90-nsrun-example\.sh$' <<<"$dlisting" ||
    die "lsinitrd: no pre-pivot hook 90-nsrun-example.sh in $dimg"
grep -qE '(^| )nsrun$' <<<"$(lsinitrd -m "$dimg")" || die "lsinitrd -m: the module nsrun is not in $dimg"
say "lsinitrd: usr/sbin/nsrun, the pre-pivot hook and the module nsrun are in"
lsinitrd -f usr/sbin/nsrun "$dimg" >"$work/dracut-nsrun" || die "lsinitrd -f usr/sbin/nsrun failed"
checked_nsrun "$work/dracut-nsrun" dracut

# 5. Boot both images at once (one CPU each): root on an ext4 virtio disk holding only
# proc, sys and dev (dracut's test of a root), so init-bottom and pre-pivot run once the root is
# mounted; nsrun.example=poweroff makes the example power off after its lines. INITRAMFS_BOOT
# picks the images to boot ("mkinitramfs dracut").
mkdir -p "$work/root"/{proc,sys,dev}
timeout=${INITRAMFS_TIMEOUT:-180}
read -r -a boots <<<"${INITRAMFS_BOOT-mkinitramfs dracut}"
declare -A pids=() began=()
for name in "${boots[@]}"; do
    case "$name" in
        mkinitramfs) image=$img ;;
        dracut) image=$dimg ;;
        *) die "INITRAMFS_BOOT: '$name' is neither mkinitramfs nor dracut" ;;
    esac
    disk=$work/root-$name.img
    truncate -s 16M "$disk"
    mkfs.ext4 -q -F -L nsrun-test -d "$work/root" "$disk"
    append="console=ttyS0 panic=-1 root=/dev/vda rootfstype=ext4 ro quiet rd.shell=0 nsrun.example=poweroff"
    say "boot the $name image: $kernel, -append \"$append\""
    began[$name]=$SECONDS
    timeout "$timeout" qemu-system-x86_64 -nographic -no-reboot -m 512 -nic none \
        -drive "file=$disk,format=raw,if=virtio" \
        -kernel "$kernel" -initrd "$image" -append "$append" </dev/null >"$top/console-$name.log" 2>&1 &
    pids[$name]=$!
done
failed=0
for name in "${boots[@]}"; do
    log=$top/console-$name.log
    qemu_rc=0
    wait "${pids[$name]}" || qemu_rc=$?
    case $qemu_rc in
        0) ;;
        124) say "$name: qemu did not finish within ${timeout}s" ;;
        *) say "$name: qemu exited with status $qemu_rc" ;;
    esac
    say "$name: qemu ran $((SECONDS - began[$name]))s; console in $log"
    lines=$(tr -d '\r' <"$log" | sed 's/\x1bc//g; s/\x1b\[[0-9;?]*[A-Za-z]//g')
    grep 'nsrun-example: ' <<<"$lines" | sed 's/^/    /' || true
    # A line that ends with the text: with quiet, the first one may follow SeaBIOS's last words.
    bad=0
    for want in 'nsrun-example: hostname nsrun-example, PID 1 nsrun, command PID 2' \
        'nsrun-example: exit status 0'; do
        if ! awk -v w="$want" 'substr($0, length($0) - length(w) + 1) == w { found = 1 }
            END { exit !found }' <<<"$lines"; then
            say "FAIL: $name: the console never showed: $want"
            bad=1
        fi
    done
    if [ "$bad" -ne 0 ]; then
        failed=1
        say "$name: the console's end:"
        tail -n 20 <<<"$lines" | sed 's/^/    /'
    fi
done
host_after=$(host_state)
if [ "$host_before" != "$host_after" ]; then
    say "FAIL: this machine's mounts or generator files changed:"
    diff <(echo "$host_before") <(echo "$host_after") | sed 's/^/    /' || true
    failed=1
fi
[ "$failed" -eq 0 ] || exit 1
say "PASS: both images hold nsrun${boots[*]:+; booted (${boots[*]}): the example ran its container} (the whole test took $((SECONDS - start))s)"
