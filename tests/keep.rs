//! Kept namespaces (`--keep DIR`, `nsrun release DIR`) and joined namespaces (`--netns`,
//! `--userns`, ... on run), against the static binary.
//!
//! Every test that binds or mounts runs nsrun inside a scratch mount namespace and compares that
//! namespace's mount table before and after. The scratch namespace and nsrun run on one CPU
//! (`taskset -c 0`): the kernel (seen on 6.18) numbers namespaces from per-CPU batches, and its
//! loop check refuses to bind a mount namespace file whose number looks older than the binding
//! process's own namespace (see README, "Keeping and joining namespaces").

mod common;

use common::{nsrun, require_tool, run, Output, TempDir};
use std::process::Command;

/// Runs `script` with `sh -c` in a scratch mount namespace (every mount private), pinned to CPU
/// 0, with `$NSRUN` the binary under test and `args` as `$1`...
fn scratch(script: &str, args: &[&str]) -> Output {
    require_tool("taskset");
    require_tool("unshare");
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", "0", "unshare", "--mount", "--propagation", "private"])
        .args(["--", "sh", "-c", script, "sh"])
        .args(args)
        .env("NSRUN", common::nsrun_bin());
    run(&mut cmd)
}

/// The value of the line `key=VALUE` the script printed.
fn field(out: &Output, key: &str) -> String {
    let prefix = format!("{key}=");
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {key}= line\n{out}"))
        .to_string()
}

#[test]
#[ignore = "needs root"]
fn kept_namespaces_outlive_the_container_and_release_leaves_nothing() {
    require_tool("nsenter");
    require_tool("ip");
    let dir = TempDir::new("keep");
    let out = scratch(
        r#"cd "$1" && mkdir d && cat /proc/self/mountinfo > before
        $NSRUN --keep d --hostname kept -- sh -c \
            'ip addr add 10.7.7.7/8 dev lo && mount -t tmpfs t /mnt && echo hi > /mnt/f'
        echo "run=$?"
        echo "files=$(ls -A d | tr '\n' ' ')"
        # No process is left in the container's PID namespace.
        ino=$(stat -L -c %i d/pid)
        for p in /proc/[0-9]*; do
            [ "$(stat -L -c %i $p/ns/pid 2>/dev/null)" = "$ino" ] && echo "alive=$p"
        done
        echo "uts=$(nsenter --uts=d/uts hostname)"
        echo "net=$(nsenter --net=d/net ip -o -4 addr show lo | grep -c 10.7.7.7)"
        echo "mnt=$(nsenter --mount=d/mnt cat /mnt/f)"
        echo "nsfs=$(grep -c ' nsfs ' /proc/self/mountinfo)"
        $NSRUN release d; echo "release=$?"
        cat /proc/self/mountinfo > after
        cmp -s before after && echo "mounts=same"
        echo "after=$(ls -A d | tr '\n' ' ')""#,
        &[dir.str()],
    );
    assert_eq!(field(&out, "run"), "0", "{out}");
    assert_eq!(
        field(&out, "files"),
        ".nsrun-keep ipc mnt net pid uts ",
        "{out}"
    );
    assert!(!out.stdout.contains("alive="), "{out}");
    assert_eq!(field(&out, "uts"), "kept", "{out}");
    assert_eq!(field(&out, "net"), "1", "{out}");
    assert_eq!(field(&out, "mnt"), "hi", "{out}");
    assert_eq!(field(&out, "nsfs"), "5", "{out}");
    assert_eq!(field(&out, "release"), "0", "{out}");
    assert_eq!(field(&out, "mounts"), "same", "{out}");
    assert_eq!(field(&out, "after"), "", "{out}");
}

#[test]
#[ignore = "needs root"]
fn a_private_mount_of_its_own_is_used_as_it_is() {
    let dir = TempDir::new("keep-own");
    let out = scratch(
        r#"cd "$1" && mkdir d && mount -t tmpfs own d && cat /proc/self/mountinfo > before
        $NSRUN --keep d --share-mount -- true; echo "run=$?"
        echo "record=$(grep -c self-bind d/.nsrun-keep)"
        echo "own=$(awk '$5 == "'"$1"'/d"' /proc/self/mountinfo | wc -l)"
        $NSRUN release d; echo "release=$?"
        cat /proc/self/mountinfo > after; cmp -s before after && echo "mounts=same""#,
        &[dir.str()],
    );
    assert_eq!(field(&out, "run"), "0", "{out}");
    // No self-bind: the tmpfs is a private mount of its own already.
    assert_eq!(field(&out, "record"), "0", "{out}");
    assert_eq!(field(&out, "own"), "1", "{out}");
    assert_eq!(field(&out, "mounts"), "same", "{out}");
}

#[test]
#[ignore = "needs root"]
fn a_shared_dir_gets_a_private_bind_of_itself() {
    let dir = TempDir::new("keep-shared");
    let out = scratch(
        r#"cd "$1" && mkdir d && mount -t tmpfs own d && mount --make-shared d
        cat /proc/self/mountinfo > before
        $NSRUN --keep d -- true; echo "run=$?"
        echo "record=$(grep -c self-bind d/.nsrun-keep)"
        $NSRUN release d; echo "release=$?"
        cat /proc/self/mountinfo > after; cmp -s before after && echo "mounts=same""#,
        &[dir.str()],
    );
    assert_eq!(field(&out, "run"), "0", "{out}");
    assert_eq!(field(&out, "record"), "1", "{out}");
    assert_eq!(field(&out, "release"), "0", "{out}");
    assert_eq!(field(&out, "mounts"), "same", "{out}");
}

#[test]
#[ignore = "needs root"]
fn a_failed_run_keeps_nothing() {
    let dir = TempDir::new("keep-fail");
    let out = scratch(
        r#"cd "$1" && mkdir d && cat /proc/self/mountinfo > before
        $NSRUN --keep d -- /nonexistent-nsrun-command; echo "run=$?"
        echo "files=$(ls -A d | tr '\n' ' ')"
        cat /proc/self/mountinfo > after; cmp -s before after && echo "mounts=same"
        # A directory that holds kept namespaces is refused, and left as it is.
        $NSRUN --keep d -- true; echo "again=$?"
        $NSRUN --keep d -- true 2>&1; echo "twice=$?"
        $NSRUN release d; echo "release=$?""#,
        &[dir.str()],
    );
    assert_eq!(field(&out, "run"), "127", "{out}");
    assert_eq!(field(&out, "files"), "", "{out}");
    assert_eq!(field(&out, "mounts"), "same", "{out}");
    assert_eq!(field(&out, "again"), "0", "{out}");
    assert_eq!(field(&out, "twice"), "125", "{out}");
    assert!(
        out.stdout
            .contains("holds kept namespaces already (.nsrun-keep is there; hint: nsrun release"),
        "{out}"
    );
    assert_eq!(field(&out, "release"), "0", "{out}");
}

#[test]
#[ignore = "needs root"]
fn release_refuses_what_keep_did_not_make() {
    let dir = TempDir::new("keep-refuse");
    let out = scratch(
        r#"cd "$1" && mkdir plain fake link
        $NSRUN release plain 2>&1; echo "plain=$?"
        printf 'not nsrun\n' > fake/.nsrun-keep
        $NSRUN release fake 2>&1; echo "fake=$?"
        ln -s /etc/hostname link/.nsrun-keep
        $NSRUN release link 2>&1; echo "link=$?"
        # A record naming a file that is not what nsrun made: left alone.
        mkdir odd && printf 'nsrun-keep 1\nnet 1\n' > odd/.nsrun-keep && echo data > odd/net
        $NSRUN release odd 2>&1; echo "odd=$?"
        echo "odd-left=$(cat odd/net)"
        chown 65534 fake/.nsrun-keep && printf 'nsrun-keep 1\n' > fake/.nsrun-keep
        $NSRUN release fake 2>&1; echo "owner=$?""#,
        &[dir.str()],
    );
    assert_eq!(field(&out, "plain"), "125", "{out}");
    assert!(
        out.stdout
            .contains("not a directory made by nsrun --keep (no .nsrun-keep in it"),
        "{out}"
    );
    assert_eq!(field(&out, "fake"), "125", "{out}");
    assert!(out.stdout.contains("is not nsrun's record"), "{out}");
    assert_eq!(field(&out, "link"), "125", "{out}");
    assert!(
        out.stdout.contains(".nsrun-keep is a symbolic link"),
        "{out}"
    );
    assert_eq!(field(&out, "odd"), "125", "{out}");
    assert!(
        out.stdout.contains("net is not the empty file nsrun made"),
        "{out}"
    );
    assert_eq!(field(&out, "odd-left"), "data", "{out}");
    assert_eq!(field(&out, "owner"), "125", "{out}");
    assert!(out.stdout.contains("belongs to another user"), "{out}");
}

#[test]
#[ignore = "needs root"]
fn keep_is_refused_for_an_ordinary_user() {
    let dir = TempDir::new("keep-user");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let mut cmd = Command::new(require_tool("setpriv"));
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(common::nsrun_bin())
        .args(["--keep", dir.str(), "--", "true"]);
    let out = run(&mut cmd);
    out.assert_code(125);
    out.assert_one_error_line(&["--keep", "CAP_SYS_ADMIN", "hint:"]);
    assert!(common::listing(dir.path()).is_empty(), "{out}");
}

#[test]
#[ignore = "needs root"]
fn a_dir_swapped_for_a_symlink_never_sends_a_bind_elsewhere() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = TempDir::new("keep-race");
    let root = dir.path().to_path_buf();
    std::fs::create_dir(root.join("d")).unwrap();
    std::fs::create_dir(root.join("victim")).unwrap();
    std::os::unix::fs::symlink(root.join("victim"), root.join("evil")).unwrap();
    let script = r#"cd "$1" && cat /proc/self/mountinfo > before
        $NSRUN --keep d -- true; echo "run=$?"
        echo "nsfs=$(grep -c ' nsfs ' /proc/self/mountinfo)"
        echo "parents=$(awk '$9 == "nsfs" {print $2}' /proc/self/mountinfo | sort -u | wc -l)"
        touch stop; while [ ! -e stopped ]; do sleep 0.01; done
        for x in d victim; do
            [ -e $x/.nsrun-keep ] && { $NSRUN release $x; echo "released=$x $?"; }
        done
        cat /proc/self/mountinfo > after; cmp -s before after && echo "mounts=same"
        echo "left=$(ls -A d)$(ls -A victim)""#;
    let mut into_victim = 0;
    for _ in 0..12 {
        let _ = std::fs::remove_file(root.join("stop"));
        let _ = std::fs::remove_file(root.join("stopped"));
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let (a, b) = (root.join("d"), root.join("evil"));
        let racer = std::thread::spawn(move || {
            let c = |p: &std::path::Path| std::ffi::CString::new(p.to_str().unwrap()).unwrap();
            let (ca, cb) = (c(&a), c(&b));
            while !flag.load(Ordering::Relaxed) {
                common::exchange(&ca, &cb);
            }
            // Back as they were: `d` the directory, `evil` the link.
            if std::fs::symlink_metadata(&a)
                .unwrap()
                .file_type()
                .is_symlink()
            {
                common::exchange(&ca, &cb);
            }
        });
        let mut cmd = Command::new("taskset");
        cmd.args(["-c", "0", "unshare", "--mount", "--propagation", "private"])
            .args(["--", "sh", "-c", script, "sh"])
            .arg(&root)
            .env("NSRUN", common::nsrun_bin());
        let running = common::Running::spawn(&mut cmd);
        let asked = common::poll(common::TIMEOUT, || root.join("stop").exists());
        stop.store(true, Ordering::Relaxed);
        racer.join().unwrap();
        std::fs::write(root.join("stopped"), b"").unwrap();
        assert!(asked, "the script never got to its stop");
        let out = running.wait();
        assert_eq!(field(&out, "run"), "0", "{out}");
        // Every bind in one directory: the one nsrun opened (through the link or not).
        assert_eq!(field(&out, "nsfs"), "5", "{out}");
        assert_eq!(field(&out, "parents"), "1", "{out}");
        let released = field(&out, "released");
        assert!(released.ends_with(" 0"), "{out}");
        into_victim += usize::from(released.starts_with("victim"));
        assert_eq!(field(&out, "mounts"), "same", "{out}");
        assert_eq!(field(&out, "left"), "", "{out}");
    }
    eprintln!("{into_victim} of 12 runs opened DIR through the link");
}

#[test]
#[ignore = "needs root"]
fn joins_a_netns_made_by_ip_netns_add() {
    require_tool("ip");
    let out = scratch(
        r#"mount -t tmpfs run /run && ip netns add blue && ip -n blue addr add 10.9.9.9/8 dev lo
        echo "path=$($NSRUN --netns /run/netns/blue -- ip -o -4 addr show lo | grep -c 10.9.9.9)"
        echo "fd=$($NSRUN --netns 3 -- ip -o -4 addr show lo 3</run/netns/blue | grep -c 10.9.9.9)"
        $NSRUN --netns /run/netns/blue --info-fd 5 -- true 5>/run/info
        echo "info=$(grep -o '"net-namespace": [0-9]*' /run/info | grep -o '[0-9]*$')"
        echo "file=$(stat -L -c %i /run/netns/blue)"
        echo "proc=$($NSRUN --share-net -- readlink /proc/self/ns/net)"
        echo "host=$(readlink /proc/self/ns/net)"
        ip netns del blue"#,
        &[],
    );
    assert_eq!(field(&out, "path"), "1", "{out}");
    assert_eq!(field(&out, "fd"), "1", "{out}");
    assert_eq!(field(&out, "info"), field(&out, "file"), "{out}");
    assert_eq!(field(&out, "proc"), field(&out, "host"), "{out}");
}

#[test]
fn wrong_files_are_refused_naming_the_option_and_path() {
    let out = nsrun(&["--netns", "/proc/self/ns/uts", "--", "true"]);
    out.assert_code(2);
    out.assert_one_error_line(&[
        "--netns /proc/self/ns/uts: the kernel says this is a uts namespace, not a net namespace",
    ]);
    let out = nsrun(&["--userns", "/etc/hostname", "--", "true"]);
    out.assert_code(2);
    out.assert_one_error_line(&["--userns /etc/hostname: not a namespace file", "hint:"]);
    let out = nsrun(&["--pidns", "/nonexistent-nsrun-ns", "--", "true"]);
    out.assert_code(125);
    out.assert_one_error_line(&["--pidns /nonexistent-nsrun-ns: No such file or directory"]);
    // A FIFO is opened without blocking, and refused.
    let dir = TempDir::new("keep-fifo");
    let fifo = dir.path().join("fifo");
    let made = Command::new(require_tool("mkfifo"))
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let out = nsrun(&["--netns", fifo.to_str().unwrap(), "--", "true"]);
    out.assert_code(2);
    out.assert_one_error_line(&["fifo: not a namespace file"]);
    let out = nsrun(&["--ipcns", "97", "--", "true"]);
    out.assert_code(2);
    out.assert_one_error_line(&["--ipcns 97: Bad file descriptor", "./97"]);
    // A descriptor of the wrong kind, by number.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", r#"exec "$0" --utsns 3 -- true 3</proc/self/ns/net"#])
        .arg(common::nsrun_bin());
    let out = run(&mut cmd);
    out.assert_code(2);
    out.assert_one_error_line(&["--utsns 3: the kernel says this is a net namespace"]);
}

#[test]
#[ignore = "needs root"]
fn a_user_namespace_kept_by_one_run_is_joined_first_by_another() {
    require_tool("ip");
    let dir = TempDir::new("keep-user-ns");
    let out = scratch(
        r#"cd "$1" && mkdir k && cat /proc/self/mountinfo > before
        $NSRUN --keep k -U -m -u -i -n -p --uid-map 0:100000:65536 --gid-map 0:100000:65536 \
            -- ip addr add 10.7.7.7/8 dev lo; echo "first=$?"
        echo "kept=$(ls k | tr '\n' ' ')"
        # New UTS, mount, IPC and PID namespaces made after joining the user namespace: owned by
        # it, so its root may set the hostname (a UTS namespace owned by the host's user
        # namespace would refuse it: EPERM).
        $NSRUN --userns k/user --netns k/net --hostname inner -- sh -c \
            'echo "map=$(cat /proc/self/uid_map | tr -s " ")"; echo "uid=$(id -u)"
             echo "name=$(hostname)"; echo "pid=$$"
             echo "addr=$(ip -o -4 addr show lo | grep -c 10.7.7.7)"
             echo "user=$(stat -L -c %i /proc/self/ns/user)"'
        echo "second=$?"
        echo "kept-user=$(stat -L -c %i k/user)"
        $NSRUN --userns k/user --pidns k/pid -- true 2>&1; echo "dead=$?"
        $NSRUN --userns k/user --uid-map 0:0:1 -- true 2>&1; echo "maps=$?"
        $NSRUN release k; echo "release=$?"
        cat /proc/self/mountinfo > after; cmp -s before after && echo "mounts=same""#,
        &[dir.str()],
    );
    assert_eq!(field(&out, "first"), "0", "{out}");
    assert_eq!(field(&out, "kept"), "ipc mnt net pid user uts ", "{out}");
    assert_eq!(field(&out, "second"), "0", "{out}");
    assert_eq!(field(&out, "map"), " 0 100000 65536", "{out}");
    assert_eq!(field(&out, "uid"), "0", "{out}");
    assert_eq!(field(&out, "name"), "inner", "{out}");
    // PID 2 of a new PID namespace, under nsrun's init.
    assert_eq!(field(&out, "pid"), "2", "{out}");
    assert_eq!(field(&out, "addr"), "1", "{out}");
    assert_eq!(field(&out, "user"), field(&out, "kept-user"), "{out}");
    assert_eq!(field(&out, "dead"), "125", "{out}");
    assert!(
        out.stdout
            .contains("start the container's first process in its PID namespace: Out of memory"),
        "{out}"
    );
    assert!(out.stdout.contains("its PID 1 ended"), "{out}");
    assert_eq!(field(&out, "maps"), "2", "{out}");
    assert_eq!(field(&out, "release"), "0", "{out}");
    assert_eq!(field(&out, "mounts"), "same", "{out}");
}

#[test]
#[ignore = "needs root"]
fn joined_pid_namespace_takes_the_command() {
    let dir = TempDir::new("keep-pid");
    let out = scratch(
        r#"cd "$1"
        unshare --pid --fork --kill-child --mount-proc \
            sh -c 'echo $$ > inner-pid; exec sleep 100' >/dev/null 2>&1 &
        U=$!
        while [ ! -s inner-pid ]; do sleep 0.01; done
        C=$(pgrep -P $U)
        echo "joined=$($NSRUN --pidns /proc/$C/ns/pid --share-mount -- sh -c 'echo $$')"
        echo "same=$([ "$($NSRUN --pidns /proc/$C/ns/pid --share-mount -- readlink /proc/self/ns/pid)" = "$(readlink /proc/$C/ns/pid)" ] && echo yes)"
        kill -KILL $U; wait $U"#,
        &[dir.str()],
    );
    // PID 1 is the sleep: the command is a later pid of that namespace.
    let joined: u32 = field(&out, "joined").parse().expect("a pid");
    assert!(joined > 1, "{out}");
    assert_eq!(field(&out, "same"), "yes", "{out}");
}

#[test]
#[ignore = "needs root"]
fn an_ordinary_user_joins_through_the_user_namespace_of_its_container() {
    if common::skip_without_unprivileged_userns() {
        return;
    }
    let as_nobody = |args: &[&str]| {
        let mut cmd = Command::new(require_tool("setpriv"));
        cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
            .arg(common::nsrun_bin())
            .args(args);
        cmd
    };
    let mut container = common::Running::spawn(&mut as_nobody(&[
        "--hostname",
        "c1",
        "--",
        "sh",
        "-c",
        "echo ready; exec sleep 100",
    ]));
    container.expect_line("ready");
    // "ready" comes before the shell's exec of sleep: wait for that.
    let started = std::time::Instant::now();
    let sleeper = loop {
        let found = common::descendants(container.pid())
            .into_iter()
            .find(|p| common::cmdline(p.pid).starts_with("sleep"));
        match found {
            Some(p) => break p,
            None if started.elapsed() < std::time::Duration::from_secs(5) => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            None => panic!("the container's sleep"),
        }
    };
    let ns = |kind: &str| format!("/proc/{}/ns/{kind}", sleeper.pid);
    let out = run(&mut as_nobody(&[
        "--userns",
        &ns("user"),
        "--utsns",
        &ns("uts"),
        "--",
        "hostname",
    ]));
    out.assert_ok();
    assert_eq!(out.stdout.trim(), "c1", "{out}");
    let out = run(&mut as_nobody(&["--utsns", &ns("uts"), "--", "hostname"]));
    out.assert_code(2);
    out.assert_one_error_line(&["an ordinary user can join a namespace only", "--userns"]);
    drop(container);
}

#[test]
#[ignore = "needs root"]
fn release_cleans_up_after_a_killed_nsrun_and_two_keeps_on_one_dir_exclude_each_other() {
    let dir = TempDir::new("keep-killed");
    let out = scratch(
        r#"cd "$1" && mkdir d && cat /proc/self/mountinfo > before
        $NSRUN --keep d -- sleep 100 & L=$!
        # The command runs once every file is bound.
        while [ ! -e d/pid ]; do sleep 0.01; done
        while [ "$(pgrep -P $L)" = "" ]; do sleep 0.01; done
        $NSRUN --keep d -- true 2>&1; echo "second=$?"
        kill -KILL $L; wait $L 2>/dev/null
        echo "left=$(ls -A d | tr '\n' ' ')"
        $NSRUN release d; echo "release=$?"
        cat /proc/self/mountinfo > after; cmp -s before after && echo "mounts=same"
        echo "after=$(ls -A d)""#,
        &[dir.str()],
    );
    assert_eq!(field(&out, "second"), "125", "{out}");
    assert!(
        out.stdout.contains("holds kept namespaces already"),
        "{out}"
    );
    assert_eq!(
        field(&out, "left"),
        ".nsrun-keep ipc mnt net pid uts ",
        "{out}"
    );
    assert_eq!(field(&out, "release"), "0", "{out}");
    assert_eq!(field(&out, "mounts"), "same", "{out}");
    assert_eq!(field(&out, "after"), "", "{out}");
}

#[test]
#[ignore = "needs root"]
fn late_namespaces_are_kept_as_the_command_sees_them() {
    let dir = TempDir::new("keep-late");
    let out = scratch(
        r#"cd "$1" && mkdir k k2 && cat /proc/self/mountinfo > before
        $NSRUN --keep k -U -m -p --uid-map 0:100000:65536 --gid-map 0:100000:65536 -- true
        # In the joined user namespace: the time namespace by unshare in the child, the cgroup
        # namespace after the move into the --memory cgroup, the PID namespace by a second child.
        $NSRUN --userns k/user --keep k2 -C -T -m -p --memory 64M -- sh -c \
            'for k in cgroup time user pid; do echo "in-$k=$(stat -L -c %i /proc/self/ns/$k)"; done
             echo "root=$(grep memory /proc/self/cgroup | cut -d: -f3)"'
        echo "second=$?"
        for k in cgroup time user pid; do echo "kept-$k=$(stat -L -c %i k2/$k)"; done
        echo "files=$(ls k2 | tr '\n' ' ')"
        $NSRUN release k2 && $NSRUN release k; echo "release=$?"
        cat /proc/self/mountinfo > after; cmp -s before after && echo "mounts=same""#,
        &[dir.str()],
    );
    assert_eq!(field(&out, "second"), "0", "{out}");
    for k in ["cgroup", "time", "user", "pid"] {
        assert_eq!(
            field(&out, &format!("in-{k}")),
            field(&out, &format!("kept-{k}")),
            "{k}\n{out}"
        );
    }
    assert_eq!(field(&out, "files"), "cgroup mnt pid time user ", "{out}");
    assert_eq!(field(&out, "release"), "0", "{out}");
    assert_eq!(field(&out, "mounts"), "same", "{out}");
}
