#!/usr/bin/env bash
# Sets up everything the OCI tests and benchmarks of issue 9 need (tests/oci_engines.rs,
# scripts/oci-validation.sh, scripts/bench-oci.sh), without changing the machine's configuration:
#
#   scripts/oci-setup.sh            install what is missing, build the suite, make the images,
#                                   start a containerd of our own (all idempotent; fast when done)
#   scripts/oci-setup.sh --stop     stop the containerd this script started (by its pid file)
#   scripts/oci-setup.sh --clean    --stop, then remove the podman/containerd scratch state
#   scripts/oci-setup.sh --env      print the environment (KEY=VALUE lines) the tools need
#
# What it does:
#  1. apt-get installs podman conmon containerd runc busybox-static hyperfine bsdutils (script)
#     when missing; golang-1.23-go from bookworm-backports when /usr/lib/go-1.23 is missing, with an
#     apt configuration of its own (sources, lists and cache under target/oci/apt; nothing is added
#     to /etc/apt).
#  2. builds the OCI runtime-tools validation suite offline from
#     ../shared/oci/runtime-tools-5e63903.tar.gz (OCI_TOOLS_TARBALL) into target/oci/runtime-tools
#     (skipped when built from the same tarball).
#  3. writes a scratch podman configuration (target/oci/podman: containers.conf, storage.conf,
#     graph root; run root and tmp dir under /run/nsrun-ci/podman) used through CONTAINERS_CONF and
#     CONTAINERS_STORAGE_CONF: the machine's podman config and storage stay untouched. The runtime
#     named "nsrun" is in runtime_supports_json (podman passes it --log-format json) and in
#     [engine.runtimes] (target/static/nsrun); default ulimits nofile=20000, nproc=4096 (podman's
#     defaults fail here: no CAP_SYS_RESOURCE); cgroupfs; file events; no default network (set
#     per container).
#  4. makes the image localhost/nsrun-busybox:latest from busybox-static with `podman import` (no
#     registry), and target/oci/busybox-rootfs.tar.
#  5. starts containerd with a config of its own (target/oci/containerd/config.toml; root under
#     target/oci/containerd, state and socket under /run/nsrun-ci/containerd; CRI plugin off) in the
#     background when it is not running, log target/oci/containerd/containerd.log, pid file
#     target/oci/containerd/containerd.pid; imports the image (`podman save --format oci-archive`,
#     `ctr image import`) into the containerd namespace nsrun-ci.
#
# Stop containerd: scripts/oci-setup.sh --stop   (kill of the pid in its pid file, nothing else)
# Environment: OCI_TOOLS_TARBALL (the suite's source), OCI_SKIP_CONTAINERD=1 (do not start it).
# Prints "oci-setup: SKIP ..." and goes on where a part cannot work here; exits 1 on a real failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

die() { echo "oci-setup: error: $*" >&2; exit 1; }
say() { echo "oci-setup: $*"; }
skip() { echo "oci-setup: SKIP $*" >&2; }

oci=$repo/target/oci
run_dir=/run/nsrun-ci
podman_dir=$oci/podman
ctrd_dir=$oci/containerd
ctrd_run=$run_dir/containerd
ctrd_sock=$ctrd_run/containerd.sock
ctrd_pidfile=$ctrd_dir/containerd.pid
ctr_ns=nsrun-ci
image=localhost/nsrun-busybox:latest
suite=$oci/runtime-tools
# The suite's source: ../shared beside the checkout (the developers' and CI's shared directory);
# a clone elsewhere (under /tmp, say) finds the machine's /work/shared.
tarball=${OCI_TOOLS_TARBALL:-}
if [ -z "$tarball" ]; then
    for candidate in "$repo/../shared" /work/shared; do
        tarball=$candidate/oci/runtime-tools-5e63903.tar.gz
        [ -f "$tarball" ] && break
    done
fi
go_bin=/usr/lib/go-1.23/bin

print_env() {
    echo "CONTAINERS_CONF=$podman_dir/containers.conf"
    echo "CONTAINERS_STORAGE_CONF=$podman_dir/storage.conf"
    echo "CONTAINERD_ADDRESS=$ctrd_sock"
    echo "CONTAINERD_NAMESPACE=$ctr_ns"
    echo "OCI_IMAGE=$image"
    echo "OCI_SUITE=$suite"
}

ctrd_pid() {
    # The pid of the containerd we started, if it still runs as containerd with our config.
    local pid
    [ -r "$ctrd_pidfile" ] || return 1
    pid=$(cat "$ctrd_pidfile")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "containerd --config $ctrd_dir/config.toml" || return 1
    echo "$pid"
}

stop_containerd() {
    local pid
    if pid=$(ctrd_pid); then
        kill "$pid"
        for _ in $(seq 50); do
            [ -d "/proc/$pid" ] || break
            sleep 0.1
        done
        [ -d "/proc/$pid" ] && kill -9 "$pid"
        say "stopped containerd (pid $pid)"
    else
        say "no containerd of ours is running"
    fi
    rm -f "$ctrd_pidfile"
}

case "${1:-}" in
    --env) print_env; exit 0 ;;
    --stop) stop_containerd; exit 0 ;;
    --clean)
        stop_containerd
        if [ -f "$podman_dir/containers.conf" ]; then
            CONTAINERS_CONF=$podman_dir/containers.conf CONTAINERS_STORAGE_CONF=$podman_dir/storage.conf \
                podman rm -af >/dev/null 2>&1 || true
            CONTAINERS_CONF=$podman_dir/containers.conf CONTAINERS_STORAGE_CONF=$podman_dir/storage.conf \
                podman system reset -f >/dev/null 2>&1 || true
        fi
        # Snapshots and podman's overlay layers may be mounted: unmount what lies under our dirs.
        for d in "$ctrd_dir" "$podman_dir" "$run_dir"; do
            awk -v d="$d/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do
                umount "$m" 2>/dev/null || umount -l "$m" || true
            done
        done
        rm -rf "$ctrd_dir" "$podman_dir" "$run_dir" "$oci/busybox-rootfs.tar" "$oci/nsrun-busybox.oci.tar"
        # The cgroup parents podman (libpod_parent) and our containerd namespace (nsrun-ci) made:
        # removed when empty (rmdir never removes a cgroup with processes).
        for d in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/*/nsrun-ci /sys/fs/cgroup/libpod_parent /sys/fs/cgroup/nsrun-ci; do
            if [ -d "$d" ]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
        done
        say "removed the podman and containerd scratch state"
        exit 0
        ;;
    "") ;;
    *) die "unknown argument '$1' (usage: scripts/oci-setup.sh [--env|--stop|--clean])" ;;
esac

[ "$(id -u)" -eq 0 ] || die "needs root (apt-get, podman and containerd as root)"
t0=$(date +%s)
mkdir -p "$oci"

# 1. Packages.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
packages=(podman conmon containerd runc busybox-static hyperfine bsdutils python3)
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        die "apt-get install ${missing[*]} failed"
fi

if [ ! -x "$go_bin/go" ]; then
    # golang-1.23-go lives in bookworm-backports. Without touching /etc/apt: an apt configuration
    # of our own for the sources list, lists and cache; the machine's dpkg status and its
    # apt.conf.d (proxies) stay in use, since the package is installed on the machine.
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -r "$keyring" ] || die "no $keyring (package debian-archive-keyring): cannot check bookworm-backports"
    # shellcheck source=scripts/lib/debian-apt.sh
    . scripts/lib/debian-apt.sh
    mirror=${BOOT_MIRROR:-$(host_mirror)}
    case "$mirror" in */snapshot.debian.org/*) mirror=http://deb.debian.org/debian ;; esac
    apt_dir=$oci/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d"
    printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" bookworm "$keyring" "$mirror" bookworm-backports \
        >"$apt_dir/sources.list"
    aptopts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
    say "installing golang-1.23-go from bookworm-backports ($mirror; apt lists and cache in $apt_dir)"
    apt-get -q=2 "${aptopts[@]}" update || die "apt-get update of bookworm-backports ($mirror) failed"
    DEBIAN_FRONTEND=noninteractive apt-get -q=2 -y "${aptopts[@]}" install --no-install-recommends golang-1.23-go >/dev/null ||
        die "apt-get install golang-1.23-go from bookworm-backports failed"
fi
say "packages ready ($(( $(date +%s) - t0 )) s)"

# 2. The validation suite, built offline from the tarball.
t1=$(date +%s)
if [ ! -r "$tarball" ]; then
    skip "validation suite: no source tarball at $tarball (set OCI_TOOLS_TARBALL)"
else
    sum=$(sha256sum "$tarball" | cut -d' ' -f1)
    if [ -f "$suite/.built" ] && [ "$(cat "$suite/.built")" = "$sum" ]; then
        say "validation suite already built in $suite"
    else
        say "building the validation suite into $suite (a few minutes on 2 cores)"
        rm -rf "$suite.tmp"
        mkdir -p "$suite.tmp"
        tar -xzf "$tarball" -C "$suite.tmp"
        # The tarball holds the tree at its top level (or in one directory).
        src=$suite.tmp
        [ -f "$src/Makefile" ] || src=$(dirname "$(find "$suite.tmp" -maxdepth 2 -name Makefile | head -1)")
        [ -f "$src/Makefile" ] || die "no Makefile in $tarball"
        (cd "$src" && PATH=$go_bin:$PATH GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local \
            GOCACHE=$oci/gocache GOPATH=$oci/gopath COMMIT=5e63903 \
            make runtimetest validation-executables >"$oci/suite-build.log" 2>&1) ||
            die "building the suite failed: see $oci/suite-build.log"
        n=$(find "$src/validation" -name '*.t' | wc -l)
        [ "$n" -gt 0 ] || die "the suite build made no validation/*/*.t (see $oci/suite-build.log)"
        rm -rf "$suite"
        mv "$src" "$suite"
        [ "$src" = "$suite.tmp" ] || rm -rf "$suite.tmp"
        echo "$sum" >"$suite/.built"
        say "built $n validation tests ($(( $(date +%s) - t1 )) s)"
    fi
fi

# 3. Scratch podman configuration.
mkdir -p "$podman_dir/storage" "$run_dir/podman/runroot" "$run_dir/podman/tmp" "$podman_dir/networks" \
    "$podman_dir/volumes"
nsrun_static=$repo/target/static/nsrun
driver=overlay
# overlay needs a file system that can be an overlay's upper dir; vfs always works (slower).
if ! grep -qw overlay /proc/filesystems; then driver=vfs; fi
[ -n "${OCI_STORAGE_DRIVER:-}" ] && driver=$OCI_STORAGE_DRIVER
cat >"$podman_dir/storage.conf.new" <<EOF
# Written by scripts/oci-setup.sh: podman storage for the nsrun OCI tests only.
[storage]
driver = "$driver"
graphroot = "$podman_dir/storage"
runroot = "$run_dir/podman/runroot"
EOF
cat >"$podman_dir/containers.conf.new" <<EOF
# Written by scripts/oci-setup.sh: podman configuration for the nsrun OCI tests only
# (CONTAINERS_CONF=$podman_dir/containers.conf; the machine's files are not read).
[containers]
# podman's default rlimits need CAP_SYS_RESOURCE, which this machine's bounding set lacks.
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
# No bridge: nothing is added to the host's network configuration (tests pick --network).
netns = "none"
log_driver = "k8s-file"

[network]
network_config_dir = "$podman_dir/networks"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$podman_dir/events.log"
tmp_dir = "$run_dir/podman/tmp"
static_dir = "$podman_dir/storage/libpod"
volume_path = "$podman_dir/volumes"
runtime = "runc"
# These runtimes get --log-format json (podman reads the runtime's error from the log file).
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "youki", "nsrun"]

[engine.runtimes]
runc = ["/usr/sbin/runc", "/usr/bin/runc"]
nsrun = ["$nsrun_static"]
EOF
for f in storage.conf containers.conf; do
    if cmp -s "$podman_dir/$f.new" "$podman_dir/$f"; then rm "$podman_dir/$f.new"; else mv "$podman_dir/$f.new" "$podman_dir/$f"; fi
done
export CONTAINERS_CONF=$podman_dir/containers.conf CONTAINERS_STORAGE_CONF=$podman_dir/storage.conf
podman info >/dev/null 2>"$oci/podman-info.err" || die "podman info fails with the scratch config: $(tail -3 "$oci/podman-info.err")"

# 4. The busybox image.
busybox=/bin/busybox
[ -x "$busybox" ] || busybox=$(command -v busybox) || die "no busybox (package busybox-static)"
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
    die "$busybox is not statically linked: the image needs busybox-static"
fi
rootfs_tar=$oci/busybox-rootfs.tar
if [ ! -s "$rootfs_tar" ] || [ "$busybox" -nt "$rootfs_tar" ]; then
    r=$oci/busybox-rootfs
    rm -rf "$r"
    mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var/tmp}
    chmod 1777 "$r/tmp" "$r/var/tmp"
    cp "$busybox" "$r/bin/busybox"
    for app in $("$busybox" --list); do
        [ "$app" = busybox ] || ln -sf busybox "$r/bin/$app"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
    tar -C "$r" --numeric-owner -cf "$rootfs_tar.tmp" .
    mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$r"
    podman rmi -f "$image" >/dev/null 2>&1 || true
fi
if ! podman image exists "$image"; then
    podman import -q --change 'CMD ["/bin/sh"]' "$rootfs_tar" "$image" >/dev/null || die "podman import of $rootfs_tar failed"
    rm -f "$oci/nsrun-busybox.oci.tar"
    say "imported $image into podman"
fi

# 5. containerd of our own, and the image in it.
if [ "${OCI_SKIP_CONTAINERD:-}" = 1 ]; then
    skip "containerd: OCI_SKIP_CONTAINERD=1"
elif ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
    skip "containerd: containerd or ctr is not installed"
else
    mkdir -p "$ctrd_dir/root" "$ctrd_run/state"
    cat >"$ctrd_dir/config.toml" <<EOF
# Written by scripts/oci-setup.sh: a containerd for the nsrun OCI tests only.
version = 2
root = "$ctrd_dir/root"
state = "$ctrd_run/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$ctrd_sock"

[ttrpc]
  address = "$ctrd_run/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""
EOF
    if ! ctrd_pid >/dev/null; then
        # A containerd of ours may have been killed and left its socket: a new one replaces it.
        rm -f "$ctrd_sock"
        setsid containerd --config "$ctrd_dir/config.toml" >>"$ctrd_dir/containerd.log" 2>&1 </dev/null &
        echo $! >"$ctrd_pidfile"
        for _ in $(seq 100); do
            [ -S "$ctrd_sock" ] && ctr --address "$ctrd_sock" version >/dev/null 2>&1 && break
            sleep 0.1
        done
        ctr --address "$ctrd_sock" version >/dev/null 2>&1 ||
            die "containerd did not come up: see $ctrd_dir/containerd.log"
        say "started containerd (pid $(cat "$ctrd_pidfile"), socket $ctrd_sock, log $ctrd_dir/containerd.log; stop: scripts/oci-setup.sh --stop)"
    else
        say "containerd of ours already runs (pid $(ctrd_pid))"
    fi
    ctr_=(ctr --address "$ctrd_sock" --namespace "$ctr_ns")
    if ! "${ctr_[@]}" image ls -q | grep -qx "$image"; then
        archive=$oci/nsrun-busybox.oci.tar
        [ -s "$archive" ] || podman save -q --format oci-archive -o "$archive" "$image" >/dev/null ||
            die "podman save --format oci-archive failed"
        # The archive's ref.name annotation is the full name. (Not --index-name: containerd 1.6.20
        # then records an index it never stored: "content digest ...: not found".)
        for try in 1 2 3; do
            "${ctr_[@]}" image import "$archive" >/dev/null 2>"$ctrd_dir/import.err" &&
                "${ctr_[@]}" image ls -q | grep -qx "$image" && break
            [ "$try" -lt 3 ] || die "ctr image import $archive failed: $(cat "$ctrd_dir/import.err")"
            say "ctr image import failed ($(head -c 200 "$ctrd_dir/import.err")); trying again"
            sleep 1
        done
        say "imported $image into containerd (namespace $ctr_ns)"
    fi
fi

say "ready in $(( $(date +%s) - t0 )) s; environment (scripts/oci-setup.sh --env):"
print_env | sed 's/^/    /'
