#!/bin/bash
# Runs the cgroup unit tests (a static musl test binary) as root in a VM booted with Debian's
# kernel (the newest /boot/vmlinuz-*, or BOOT_KERNEL), with cgroup v2 only and every controller
# at the root: the layout of most distributions today, which this machine (cgroup v1 and a
# controller-less cgroup2) lacks. Needs qemu-system-x86 and busybox-static (as
# scripts/boot-test.sh); prints the tests' output and "VM-RESULT <exit status>".
set -euo pipefail
test -x /bin/busybox && command -v qemu-system-x86_64 >/dev/null || {
    echo "vm-test: needs busybox-static and qemu-system-x86" >&2
    exit 1
}
cd "$(dirname "$0")/.."
out=$(cargo test --target x86_64-unknown-linux-musl --lib --no-run --target-dir target --message-format=json 2>/dev/null | grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4)
work=$(mktemp -d "${TMPDIR:-/tmp}/nsrun-cgroup-vm.XXXXXX")
tree=$work/tree
mkdir -p "$tree"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$tree/bin/busybox"
for a in sh mount mkdir cat echo poweroff sleep ls; do ln -s busybox "$tree/bin/$a"; done
cp "$out" "$tree/t"
cat > "$tree/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "VM-INFO controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
mkdir -p /tmp
/t --test-threads=1 --nocapture confine::cgroup 2>&1
echo "VM-RESULT $?"
ls /sys/fs/cgroup | grep nsrun && echo "VM-LEFT"
echo "VM-CONTROL $(cat /sys/fs/cgroup/cgroup.subtree_control)"
poweroff -f
INIT
chmod +x "$tree/init"
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$work/i.cpio.gz"
timeout 500 qemu-system-x86_64 -nographic -no-reboot -m 512 -smp 2 -nic none \
    -kernel "${BOOT_KERNEL:-$(ls /boot/vmlinuz-* | sort -V | tail -n 1)}" -initrd "$work/i.cpio.gz" \
    -append "console=ttyS0 panic=-1 rdinit=/init" </dev/null 2>&1 | tr -d '\r' | grep -E '^(test |VM-|skipped|thread|  left| right|failures|test result)' 
rm -rf "$work"
