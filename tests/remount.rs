//! Read-only means every submount too, with mount_setattr (Linux 5.12) and without it.
//!
//! Each check runs twice: as the kernel is, and under a seccomp filter that makes mount_setattr
//! fail with ENOSYS, as on kernels before 5.12, so that nsrun takes its fallback (a remount of
//! the mount and of each mount below it, found in /proc/self/mountinfo). The filter comes from
//! tests/helpers/nosys.c, compiled by the tests with `cc`. Trees with mounts inside are set up in a scratch mount
//! namespace (`unshare --mount`), never in the machine's own.

mod common;
mod helpers;
mod rootfs;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{in_scratch_mount_ns, require_root, require_tool, Output, TempDir};
use rootfs::{mount_options, Rootfs, NOBODY};

/// strerror(EROFS), as busybox and coreutils print it.
const READ_ONLY: &str = "Read-only file system";

/// The seccomp helper (tests/helpers/nosys.c, shared with tests/oldkernel.rs).
fn nosys() -> &'static Path {
    helpers::nosys_bin()
}

/// How the kernel appears to nsrun.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kernel {
    /// As it is (this machine's has mount_setattr).
    AsIs,
    /// Without mount_setattr: nsrun runs under the `nosys` filter.
    NoMountSetattr,
    /// Without mount_setattr and statx (so without STATX_MNT_ID: mount ids come from fdinfo).
    NoStatx,
}

impl Kernel {
    /// The wrapper to put before a command ("" for none), for scripts.
    fn wrapper(self) -> String {
        match self {
            Kernel::AsIs => String::new(),
            Kernel::NoMountSetattr => format!("{} mount_setattr --", nosys().display()),
            Kernel::NoStatx => format!("{} mount_setattr,statx --", nosys().display()),
        }
    }

    /// A command that runs `program` with `args` on this kernel.
    fn command(self, program: &Path, args: &[String]) -> Command {
        match self {
            Kernel::AsIs => {
                let mut cmd = Command::new(program);
                cmd.args(args);
                cmd
            }
            Kernel::NoMountSetattr | Kernel::NoStatx => {
                let mut cmd = Command::new(nosys());
                match self {
                    Kernel::NoStatx => cmd.arg("mount_setattr,statx"),
                    _ => cmd.arg("mount_setattr"),
                };
                cmd.arg("--").arg(program).args(args);
                cmd
            }
        }
    }
}

/// Runs `script` in a scratch mount namespace with `$W` the wrapper of `kernel` (run commands as
/// `w CMD...`), `$T` the directory `dir` and `$NSRUN` the binary under test.
fn scratch(kernel: Kernel, dir: &str, script: &str) -> Output {
    let full = format!(
        "W=$1; T=$2; shift 2
         w() {{ $W \"$@\"; }}
         {script}"
    );
    in_scratch_mount_ns(&full, &[&kernel.wrapper(), dir])
}

/// Sets up `$T/tree` with mounts inside (in the scratch namespace): a tmpfs at `sub` with
/// `nosuid,nodev,noexec` (flags a user namespace locks: the fallback must keep them), another at
/// `sub/deeper`, one at `with space` (escaped as `\040` in mountinfo), a file bound on `file`
/// (remounted through procfs's magic link); and `$T/dst`.
const TREE: &str = r#"
set -e
mkdir -p "$T/tree/sub" "$T/tree/with space" "$T/dst"
mount -t tmpfs -o nosuid,nodev,noexec,mode=0777 tmpfs "$T/tree/sub"
mkdir "$T/tree/sub/deeper"
mount -t tmpfs -o mode=0777 tmpfs "$T/tree/sub/deeper"
mount -t tmpfs -o mode=0777 tmpfs "$T/tree/with space"
echo x > "$T/file.src"; touch "$T/tree/file"; chmod 0666 "$T/file.src"
mount --bind "$T/file.src" "$T/tree/file"
chmod 0777 "$T/tree" "$T/dst"
set +e
"#;

/// The probe script run inside: tries to create a file in each of `$1`, `$1/sub`,
/// `$1/sub/deeper` and `$1/with space` and to append to `$1/file` (sections `top`, `sub`, `deeper`,
/// `space`, `file`), then shows the mountinfo lines at and below `$1` (section `mounts`).
const PROBE: &str = r#"
for d in "top:$1" "sub:$1/sub" "deeper:$1/sub/deeper" "space:$1/with space"; do
    echo "@@ ${d%%:*}"; touch "${d#*:}/probe" 2>&1 && echo WRITABLE
done
echo @@ file; (echo y >> "$1/file") 2>&1 && echo WRITABLE
echo @@ mounts; grep " $1[/ ]" /proc/self/mountinfo
echo @@ end"#;

/// Checks what [`PROBE`] printed for the tree at `dst`: every write refused as read-only, five
/// mounts listed, each `ro`, the locked flags of `sub` kept.
#[track_caller]
fn assert_probe_read_only(out: &Output, dst: &str) {
    out.assert_code(0);
    let s = out.sections();
    for name in ["top", "sub", "deeper", "space", "file"] {
        let got = s.get(name).map_or("", String::as_str);
        assert!(
            got.contains(READ_ONLY) && !got.contains("WRITABLE"),
            "{name}: not read-only\n{out}"
        );
    }
    let mounts: Vec<&str> = s["mounts"].lines().collect();
    assert_eq!(mounts.len(), 5, "the tree has five mounts\n{out}");
    for line in &mounts {
        assert!(mount_options(line).contains(&"ro"), "not ro: {line}\n{out}");
    }
    let sub = format!(" {dst}/sub ");
    let sub = mounts
        .iter()
        .find(|l| l.contains(&sub))
        .expect("sub listed");
    for flag in ["nosuid", "nodev", "noexec"] {
        assert!(
            mount_options(sub).contains(&flag),
            "{flag} lost: {sub}\n{out}"
        );
    }
    assert!(s.contains_key("end"), "{out}");
}

/// `--ro-bind TREE DST` (no --root): DST and every mount below it are read-only, and the source
/// tree stays writable.
fn ro_bind_tree(kernel: Kernel, as_nobody: bool) {
    require_root();
    let dir = TempDir::new("remount-ro-bind");
    let user = match as_nobody {
        true => format!("setpriv --reuid {NOBODY} --regid {NOBODY} --clear-groups"),
        false => String::new(),
    };
    if as_nobody {
        require_tool("setpriv");
    }
    let script = format!(
        "{TREE}
         w {user} \"$NSRUN\" --ro-bind \"$T/tree\" \"$T/dst\" -- sh -c '{PROBE}' sh \"$T/dst\"
         rc=$?
         echo @@ source; touch \"$T/tree/sub/ok\" \"$T/tree/sub/deeper/ok\" && echo writable
         exit $rc"
    );
    let out = scratch(kernel, dir.str(), &script);
    assert_probe_read_only(&out, &format!("{}/dst", dir.str()));
    assert_eq!(
        out.sections()["source"],
        "writable\n",
        "the source changed\n{out}"
    );
    assert!(!dir.path().join("tree/probe").exists(), "{out}");
}

#[test]
#[ignore = "needs root"]
fn ro_bind_makes_every_submount_read_only() {
    ro_bind_tree(Kernel::AsIs, false);
}

#[test]
#[ignore = "needs root"]
fn ro_bind_makes_every_submount_read_only_without_mount_setattr() {
    ro_bind_tree(Kernel::NoMountSetattr, false);
}

#[test]
#[ignore = "needs root"]
fn ro_bind_makes_every_submount_read_only_without_statx_mount_ids() {
    ro_bind_tree(Kernel::NoStatx, false);
}

#[test]
#[ignore = "needs root"]
fn ro_bind_makes_every_submount_read_only_rootless() {
    ro_bind_tree(Kernel::AsIs, true);
}

#[test]
#[ignore = "needs root"]
fn ro_bind_makes_every_submount_read_only_rootless_without_mount_setattr() {
    ro_bind_tree(Kernel::NoMountSetattr, true);
}

/// `--bind TREE DST`: every mount of the tree is `nosuid,nodev`, and stays writable.
fn bind_tree(kernel: Kernel) {
    require_root();
    let dir = TempDir::new("remount-bind");
    let script = format!(
        r#"{TREE}
        w "$NSRUN" --bind "$T/tree" "$T/dst" -- sh -c '
            touch "$1/sub/deeper/probe" && echo writable; grep " $1[/ ]" /proc/self/mountinfo
        ' sh "$T/dst""#
    );
    let out = scratch(kernel, dir.str(), &script);
    out.assert_ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert_eq!(lines[0], "writable", "{out}");
    for line in &lines[1..] {
        let opts = mount_options(line);
        assert!(opts.contains(&"rw"), "{line}\n{out}");
        assert!(
            opts.contains(&"nosuid") && opts.contains(&"nodev"),
            "{line}\n{out}"
        );
    }
}

#[test]
#[ignore = "needs root"]
fn bind_makes_every_submount_nosuid_nodev() {
    bind_tree(Kernel::AsIs);
}

#[test]
#[ignore = "needs root"]
fn bind_makes_every_submount_nosuid_nodev_without_mount_setattr() {
    bind_tree(Kernel::NoMountSetattr);
}

/// `--root R --bind TREE /mnt --remount-ro /mnt`, and a tmpfs with a tmpfs inside made
/// read-only the same way: everything below both is read-only.
fn remount_ro(kernel: Kernel) {
    require_root();
    let r = Rootfs::new("remount-ro-sub");
    let script = format!(
        "{TREE}
         w \"$NSRUN\" --root \"$1\" --bind \"$T/tree\" /mnt --remount-ro /mnt \
             --tmpfs /tmp --mkdir /tmp/in --tmpfs /tmp/in --remount-ro /tmp \
             -- /bin/sh -c '{PROBE}
                 for d in /tmp /tmp/in; do echo \"@@ $d\"; touch $d/probe 2>&1 && echo WRITABLE; done; true' \
             sh /mnt",
    );
    let full = format!("set -- \"{}\"; {script}", r.root_str());
    let out = scratch(kernel, &r.scratch_str(""), &full);
    assert_probe_read_only(&out, "/mnt");
    let s = out.sections();
    for d in ["/tmp", "/tmp/in"] {
        assert!(
            s[d].contains(READ_ONLY) && !s[d].contains("WRITABLE"),
            "{d}\n{out}"
        );
    }
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn remount_ro_makes_every_submount_read_only() {
    remount_ro(Kernel::AsIs);
}

#[test]
#[ignore = "needs root"]
fn remount_ro_makes_every_submount_read_only_without_mount_setattr() {
    remount_ro(Kernel::NoMountSetattr);
}

#[test]
#[ignore = "needs root"]
fn remount_ro_makes_every_submount_read_only_without_statx_mount_ids() {
    remount_ro(Kernel::NoStatx);
}

/// `--root R --read-only`: the root is read-only; a tmpfs on it stays writable (--read-only is
/// the root mount alone, with or without mount_setattr). Also rootless, where the root's bind
/// carries flags locked from the host.
fn read_only(kernel: Kernel, as_nobody: bool) {
    require_root();
    let r = Rootfs::new("remount-read-only");
    let script = "touch /new 2>&1; mkdir /etc/new 2>&1; echo ok > /tmp/f && cat /tmp/f
                  awk '$5 == \"/\"' /proc/self/mountinfo";
    let args = r.args(
        &["--tmpfs", "/tmp", "--read-only"],
        &["/bin/sh", "-c", script],
    );
    let mut cmd = match as_nobody {
        false => kernel.command(&common::nsrun_bin(), &args),
        true => {
            let mut all = vec![
                "--reuid".to_string(),
                NOBODY.into(),
                "--regid".into(),
                NOBODY.into(),
                "--clear-groups".into(),
                common::nsrun_bin().to_str().expect("UTF-8 path").into(),
            ];
            all.extend(args);
            kernel.command(&require_tool("setpriv"), &all)
        }
    };
    let out = common::run(&mut cmd);
    out.assert_ok();
    let l: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(l.len(), 4, "{out}");
    assert!(l[0].contains(READ_ONLY), "{out}");
    assert!(l[1].contains(READ_ONLY), "{out}");
    assert_eq!(l[2], "ok", "{out}");
    assert!(mount_options(l[3]).contains(&"ro"), "{out}");
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn read_only_makes_the_root_read_only() {
    read_only(Kernel::AsIs, false);
}

#[test]
#[ignore = "needs root"]
fn read_only_makes_the_root_read_only_without_mount_setattr() {
    read_only(Kernel::NoMountSetattr, false);
}

#[test]
#[ignore = "needs root"]
fn read_only_makes_the_root_read_only_rootless_without_mount_setattr() {
    read_only(Kernel::NoMountSetattr, true);
}

/// A tree whose submount is covered by another mount on the same place: mount_setattr makes both
/// read-only; without it the covered one cannot be reached to remount it, so the run fails before
/// the command starts instead of leaving it writable.
fn covered_submount(kernel: Kernel) -> Output {
    require_root();
    let dir = TempDir::new("remount-covered");
    let script = r#"
        set -e
        mkdir -p "$T/tree/sub" "$T/dst"
        mount -t tmpfs tmpfs "$T/tree/sub"
        mount -t tmpfs tmpfs "$T/tree/sub"
        set +e
        w "$NSRUN" --ro-bind "$T/tree" "$T/dst" -- sh -c '
            echo RAN; touch "$1/sub/probe" 2>&1 && echo WRITABLE
            grep -c " $1/sub " /proc/self/mountinfo' sh "$T/dst"
    "#;
    scratch(kernel, dir.str(), script)
}

#[test]
#[ignore = "needs root"]
fn covered_submount_is_read_only_with_mount_setattr() {
    let out = covered_submount(Kernel::AsIs);
    out.assert_ok();
    let l: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(l.len(), 3, "{out}");
    assert_eq!(l[0], "RAN");
    assert!(l[1].contains(READ_ONLY), "{out}");
    assert_eq!(l[2], "2", "both mounts came along\n{out}");
}

#[test]
#[ignore = "needs root"]
fn covered_submount_fails_without_mount_setattr() {
    let out = covered_submount(Kernel::NoMountSetattr);
    out.assert_code(125);
    assert_eq!(out.stdout, "", "the command must not run\n{out}");
    out.assert_one_error_line(&["--ro-bind ", "Cross-device link"]);
}

// ---------------------------------------------------------------------------------------------
// The functions themselves (`sys::mount::set_attrs_fd`, `make_private_fd`), called from this test
// binary re-executed in a scratch mount namespace under the filter: what the command line cannot
// reach yet (no procfs, a file, a mount covered after it was opened).

use nsrun::sys::mount::{make_private_fd, mount_id, set_attrs_fd, NEEDS_PROC, RDONLY};
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags, StatVfsMountFlags};

/// The environment variable that makes [`api_in_scratch_namespace`] do its work: the directory
/// to work in.
const API_DIR: &str = "NSRUN_TEST_REMOUNT_API_DIR";
/// Set when the child runs without statx (mount ids only from fdinfo).
const API_NO_STATX: &str = "NSRUN_TEST_REMOUNT_API_NO_STATX";
/// Set when the child runs under the filter (the fallback must be taken).
const API_FALLBACK: &str = "NSRUN_TEST_REMOUNT_API_FALLBACK";

fn bytes(path: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes()
}

fn sh(script: &str) {
    let out = common::run(Command::new("sh").args(["-ec", script]));
    out.assert_ok();
}

fn open_path(path: &Path) -> OwnedFd {
    rustix::fs::open(bytes(path), OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

fn read_only_at(path: &Path) -> bool {
    let st = rustix::fs::statvfs(bytes(path))
        .unwrap_or_else(|e| panic!("statvfs {}: {e}", path.display()));
    st.f_flag.contains(StatVfsMountFlags::RDONLY)
}

fn read_only_fd(fd: &OwnedFd) -> bool {
    rustix::fs::fstatvfs(fd)
        .expect("fstatvfs")
        .f_flag
        .contains(StatVfsMountFlags::RDONLY)
}

/// The optional fields of the (last) mountinfo line whose mount point is `path`.
fn propagation(path: &Path) -> String {
    let info = common::host_mountinfo();
    let line = rootfs::mount_line(&info, path.to_str().expect("UTF-8 path"))
        .unwrap_or_else(|| panic!("{} is not a mount point\n{info}", path.display()));
    let fields: Vec<&str> = line.split(' ').collect();
    let end = fields.iter().position(|f| *f == "-").expect("separator");
    fields[6..end].join(" ")
}

/// The child half of [`set_attrs_fd_and_make_private_fd_with_and_without_mount_setattr`]: does nothing
/// unless [`API_DIR`] is set (then it runs as root of a scratch mount namespace, under the filter
/// when [`API_FALLBACK`] is set).
#[test]
#[ignore = "needs root; the child half of another test"]
fn api_in_scratch_namespace() {
    let Some(dir) = std::env::var_os(API_DIR) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let fallback = std::env::var_os(API_FALLBACK).is_some();
    let proc_fd = rustix::fs::open("/proc", OFlags::PATH | OFlags::DIRECTORY, Mode::empty())
        .expect("open /proc");
    let proc = Some(proc_fd.as_fd());
    let cwd = std::env::current_dir().expect("cwd");
    let d = dir.to_str().expect("UTF-8 path");
    sh(&format!(
        "cd {d}; for t in a b c d e k; do mkdir $t; mount -t tmpfs tmpfs $t; mkdir $t/sub
                 mount -t tmpfs tmpfs $t/sub; done
         mkdir c/sub/deeper; mount -t tmpfs tmpfs c/sub/deeper
         echo x > file.src; touch file; mount --bind file.src file
         mount --make-shared e; mount --make-shared e/sub
         mkdir g g/new h h2; mount -t tmpfs tmpfs g; mkdir g/new; mount --make-shared g
         mount --bind g h; mount --make-slave h; mount --bind g h2; mount --make-slave h2"
    ));
    let p = |name: &str| dir.join(name);

    // Mount ids: mountinfo's first field; without statx only through procfs.
    let info = common::host_mountinfo();
    let line = rootfs::mount_line(&info, &format!("{d}/a")).expect("a listed");
    let want: u32 = line.split(' ').next().unwrap().parse().unwrap();
    let a = open_path(&p("a"));
    assert_eq!(mount_id(a.as_fd(), proc), Ok(want));
    let without = mount_id(a.as_fd(), None);
    let no_statx = std::env::var_os(API_NO_STATX).is_some();
    assert_eq!(without, if no_statx { Err(NEEDS_PROC) } else { Ok(want) });

    // Without procfs, a directory: its own mount through `.`, not the one below; the working
    // directory comes back.
    set_attrs_fd(a.as_fd(), RDONLY, false, None).expect("a, no proc");
    assert!(read_only_at(&p("a")) && !read_only_at(&p("a/sub")));
    assert_eq!(std::env::current_dir().unwrap(), cwd, "cwd restored");

    // Without procfs, recursive: refused where the mount table would have to be read.
    let b = open_path(&p("b"));
    let got = set_attrs_fd(b.as_fd(), RDONLY, true, None);
    match fallback {
        true => assert_eq!(got, Err(NEEDS_PROC)),
        false => assert!(got.is_ok() && read_only_at(&p("b/sub")), "{got:?}"),
    }

    // With procfs, recursive: every mount below.
    let c = open_path(&p("c"));
    set_attrs_fd(c.as_fd(), RDONLY, true, proc).expect("c, recursive");
    for sub in ["c", "c/sub", "c/sub/deeper"] {
        assert!(read_only_at(&p(sub)), "{sub}");
    }
    assert_eq!(std::env::current_dir().unwrap(), cwd, "cwd restored");

    // A file: only through procfs's magic link.
    let file = open_path(&p("file"));
    if fallback {
        let got = set_attrs_fd(file.as_fd(), RDONLY, false, None);
        assert_eq!(got, Err(NEEDS_PROC));
        assert!(!read_only_at(&p("file")));
    }
    set_attrs_fd(file.as_fd(), RDONLY, true, proc).expect("file");
    assert!(read_only_at(&p("file")) && !read_only_at(&p("file.src")));

    // A mount covered after it was opened: the descriptor's mount changes, not the one on top,
    // with procfs and without.
    let d_fd = open_path(&p("d"));
    sh(&format!("mount -t tmpfs tmpfs {d}/d"));
    set_attrs_fd(d_fd.as_fd(), RDONLY, false, None).expect("d, covered, no proc");
    assert!(read_only_fd(&d_fd) && !read_only_at(&p("d")));
    let lower = open_path(&p("k/sub"));
    sh(&format!("mount -t tmpfs tmpfs {d}/k/sub"));
    let top = open_path(&p("k/sub"));
    set_attrs_fd(lower.as_fd(), RDONLY, false, proc).expect("k/sub, covered");
    assert!(read_only_fd(&lower) && !read_only_fd(&top));

    // Propagation: only the top without recursive, the whole tree with it.
    assert!(propagation(&p("e")).contains("shared:"));
    assert!(propagation(&p("e/sub")).contains("shared:"));
    let e = open_path(&p("e"));
    make_private_fd(e.as_fd(), false, None).expect("e private");
    assert_eq!(propagation(&p("e")), "");
    assert!(propagation(&p("e/sub")).contains("shared:"));
    make_private_fd(e.as_fd(), true, proc).expect("e private, recursive");
    assert_eq!(propagation(&p("e/sub")), "");
    assert_eq!(std::env::current_dir().unwrap(), cwd, "cwd restored");

    // A slave receives mounts made later on its master (writable, whatever it is itself); made
    // private, it does not: what --ro-bind needs under --propagation slave.
    let h = open_path(&p("h"));
    make_private_fd(h.as_fd(), true, proc).expect("h private");
    sh(&format!("mount -t tmpfs tmpfs {d}/g/new"));
    let info = common::host_mountinfo();
    assert!(
        rootfs::mount_line(&info, &format!("{d}/h2/new")).is_some(),
        "{info}"
    );
    assert!(
        rootfs::mount_line(&info, &format!("{d}/h/new")).is_none(),
        "{info}"
    );
    println!("API CHECKS DONE");
}

#[test]
#[ignore = "needs root"]
fn set_attrs_fd_and_make_private_fd_with_and_without_mount_setattr() {
    require_root();
    let exe = std::env::current_exe().expect("current exe");
    for kernel in [Kernel::AsIs, Kernel::NoMountSetattr, Kernel::NoStatx] {
        let dir = TempDir::new("remount-api");
        let script = r#"w "$0" --exact api_in_scratch_namespace --include-ignored --nocapture"#;
        let mut cmd = Command::new("unshare");
        cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
            .arg(format!(
                "W='{}'; w() {{ $W \"$@\"; }}; {script}",
                kernel.wrapper()
            ))
            .arg(&exe)
            .env(API_DIR, dir.path());
        if kernel != Kernel::AsIs {
            cmd.env(API_FALLBACK, "1");
        }
        if kernel == Kernel::NoStatx {
            cmd.env(API_NO_STATX, "1");
        }
        let out = common::run(&mut cmd);
        out.assert_code(0);
        assert!(out.stdout.contains("API CHECKS DONE"), "{kernel:?}\n{out}");
    }
}

/// A tree of exactly `MAX_SUBMOUNTS` mounts is remounted whole without mount_setattr; one more,
/// and the run fails (ENOBUFS) instead of leaving any of them writable.
#[test]
#[ignore = "needs root"]
fn too_many_submounts_fail_without_mount_setattr() {
    require_root();
    let max = nsrun::sys::mount::MAX_SUBMOUNTS;
    let dir = TempDir::new("remount-many");
    let script = format!(
        r#"
        set -e
        mkdir -p "$T/tree" "$T/dst"
        i=1; while [ $i -lt {max} ]; do
            mkdir "$T/tree/$i"; mount -t tmpfs tmpfs "$T/tree/$i"; i=$((i + 1)); done
        set +e
        probe='touch "$1/1/p" "$1/{last}/p" 2>&1; grep -c " $1/" /proc/self/mountinfo'
        echo @@ fits; w "$NSRUN" --ro-bind "$T/tree" "$T/dst" -- sh -c "$probe" sh "$T/dst"
        echo "rc $?"
        mkdir "$T/tree/{max}"; mount -t tmpfs tmpfs "$T/tree/{max}"
        echo @@ over; w "$NSRUN" --ro-bind "$T/tree" "$T/dst" -- sh -c "$probe" sh "$T/dst" 2>&1
        echo "rc $?"
        "#,
        last = max - 1
    );
    let out = scratch(Kernel::NoMountSetattr, dir.str(), &script);
    out.assert_code(0);
    let s = out.sections();
    let fits: Vec<&str> = s["fits"].lines().collect();
    assert_eq!(fits.len(), 4, "{out}");
    assert!(
        fits[0].contains(READ_ONLY) && fits[1].contains(READ_ONLY),
        "{out}"
    );
    assert_eq!(
        fits[2],
        (max - 1).to_string(),
        "submounts below the top\n{out}"
    );
    assert_eq!(fits[3], "rc 0", "{out}");
    let over: Vec<&str> = s["over"].lines().collect();
    assert_eq!(over.len(), 2, "{out}");
    assert!(
        over[0].starts_with("nsrun: --ro-bind ") && over[0].contains("No buffer space available"),
        "{out}"
    );
    assert_eq!(over[1], "rc 125", "{out}");
}
