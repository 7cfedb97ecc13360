//! `--info-fd` and `--json-status-fd` write what bubblewrap writes there: the object names the
//! container's first process, alive when it is written, and the inodes of the namespaces nsrun
//! made, the same as the command sees in its own /proc/self/ns; the status descriptor gets the
//! exit code after it; neither descriptor reaches the command; one that is not open is a usage
//! error. Under nsrun's init, with --as-pid-1 and --share-pid, as root and rootless.
//!
//! Tests that start containers need root (rootless runs are made with setpriv as uid 65534) and
//! are ignored otherwise.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{poll, require_root, require_tool, run, Output, TempDir};

/// What the command prints: `ns NAME INODE` for each of its namespaces, `fd N` for each of its
/// descriptors; then it waits for the file `$1/go` (up to 10 s) and exits with `$2`.
const PROBE: &str = r#"
for n in cgroup ipc mnt net pid uts user; do echo "ns $n $(stat -L -c %i /proc/self/ns/$n)"; done
for f in /proc/self/fd/*; do [ -e "$f" ] && echo "fd ${f##*/}"; done
i=0
while [ ! -e "$1/go" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done
exit "$2"
"#;

/// The descriptors the caller hands nsrun: the info on 5, the status on 6.
const INFO: i32 = 5;
const STATUS: i32 = 6;

/// A run whose info goes to `dir/info` and status to `dir/status` (files the shell opens as
/// root, before setpriv when rootless).
struct Run {
    dir: TempDir,
}

impl Run {
    fn new() -> Run {
        let dir = TempDir::new("status-fds");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod temp dir");
        Run { dir }
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// `nsrun OPTS... -- sh -c PROBE sh DIR CODE`, with both descriptors open (on files), as
    /// uid 65534 when `rootless`.
    fn command(&self, opts: &[&str], code: &str, rootless: bool) -> Command {
        let mut cmd = Command::new("sh");
        let d = self.dir.str();
        cmd.args([
            "-c",
            &format!("exec \"$@\" {INFO}>'{d}/info' {STATUS}>'{d}/status'"),
            "sh",
        ]);
        if rootless {
            let setpriv = require_tool("setpriv");
            cmd.arg(setpriv)
                .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"]);
        }
        cmd.arg(common::nsrun_bin())
            .args(opts)
            .args(["--", "sh", "-c", PROBE, "sh", d, code]);
        cmd
    }

    /// Starts the run; once the info is written, checks its child-pid against the live process
    /// (a child of the launcher, whose /proc/PID/ns has the inodes of the object), then lets the
    /// command end. Returns the info object, parsed, and what the run did.
    fn check_live(
        &self,
        opts: &[&str],
        code: &str,
        rootless: bool,
    ) -> (BTreeMap<String, u64>, Output) {
        let mut cmd = self.command(opts, code, rootless);
        let running = common::Running::spawn(&mut cmd);
        let launcher = running.pid();
        let written = poll(Duration::from_secs(10), || {
            self.file("info").ends_with("}\n")
        });
        let info_text = self.file("info");
        assert!(written, "no info within 10 s: {info_text:?}");
        let info = parse(&info_text, false);
        let pid = info["child-pid"] as i32;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let proc = common::parse_stat(&stat);
        assert!(
            proc.as_ref().is_some_and(|p| p.ppid == launcher),
            "child-pid {pid} is not a live child of the launcher {launcher}: {stat:?}"
        );
        for (key, inode) in &info {
            if let Some(name) = key.strip_suffix("-namespace") {
                assert_eq!(
                    host_inode(&format!("/proc/{pid}/ns/{name}")),
                    *inode,
                    "{key} of child-pid {pid}"
                );
            }
        }
        std::fs::write(self.dir.path().join("go"), "").expect("write go");
        (info, running.wait())
    }
}

/// The inode of `path`, followed.
fn host_inode(path: &str) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {path}: {e}"))
        .ino()
}

/// Parses one of bwrap's objects: on several lines (`--info-fd`: `{`, then `    "KEY": N` lines
/// joined by commas, then `}`) or on one (`{ "KEY": N, ... }`); also has python3 check that it
/// is JSON, when python3 is there.
#[track_caller]
fn parse(text: &str, one_line: bool) -> BTreeMap<String, u64> {
    let (open, sep, close) = match one_line {
        true => ("{ ", ", ", " }\n"),
        false => ("{\n    ", ",\n    ", "\n}\n"),
    };
    let body = text
        .strip_prefix(open)
        .and_then(|t| t.strip_suffix(close))
        .unwrap_or_else(|| panic!("not bwrap's format: {text:?}"));
    let mut map = BTreeMap::new();
    for pair in body.split(sep) {
        let (key, value) = pair
            .split_once(": ")
            .unwrap_or_else(|| panic!("bad pair {pair:?} in {text:?}"));
        let key = key
            .strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .unwrap_or_else(|| panic!("bad key {key:?} in {text:?}"));
        let value = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value {value:?} in {text:?}"));
        assert!(
            map.insert(key.to_string(), value).is_none(),
            "{key} twice in {text:?}"
        );
    }
    if Path::new("/usr/bin/python3").exists() {
        let check = "import json, sys; json.loads(sys.stdin.read())";
        let out = common::run_with_input(
            Command::new("/usr/bin/python3").args(["-c", check]),
            text.as_bytes(),
        );
        out.assert_ok();
    }
    map
}

/// The command's own namespaces (`ns` lines) and descriptors (`fd` lines).
fn probe(out: &Output) -> (BTreeMap<String, u64>, Vec<String>) {
    let mut ns = BTreeMap::new();
    let mut fds = Vec::new();
    for line in out.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        match words[..] {
            ["ns", name, inode] => {
                ns.insert(name.to_string(), inode.parse().expect("an inode"));
            }
            ["fd", n] => fds.push(n.to_string()),
            _ => {}
        }
    }
    (ns, fds)
}

/// The keys an object must have: child-pid and `KIND-namespace` for each of `kinds`.
fn keys(kinds: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = kinds.iter().map(|k| format!("{k}-namespace")).collect();
    keys.push("child-pid".into());
    keys.sort();
    keys
}

/// One run with both descriptors, checked whole: the info while it runs, the command's view,
/// the status lines (the same object, then the exit code) and nsrun's status.
#[track_caller]
fn check(opts: &[&str], rootless: bool, kinds: &[&str]) {
    let r = Run::new();
    let mut all = vec!["--info-fd", "5", "--json-status-fd", "6"];
    all.extend_from_slice(opts);
    let (info, out) = r.check_live(&all, "3", rootless);
    out.assert_code(3);
    assert_eq!(
        info.keys().cloned().collect::<Vec<_>>(),
        keys(kinds),
        "{opts:?}"
    );
    let (own, fds) = probe(&out);
    for (key, inode) in &info {
        if let Some(name) = key.strip_suffix("-namespace") {
            assert_eq!(
                own.get(name),
                Some(inode),
                "{key}: the command's own, {opts:?}\n{out}"
            );
        }
    }
    assert_eq!(
        fds,
        ["0", "1", "2"],
        "the command's descriptors, {opts:?}\n{out}"
    );
    let status = r.file("status");
    let lines: Vec<&str> = status.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 2, "status: {status:?}");
    assert_eq!(parse(lines[0], true), info, "the status object is the info");
    assert_eq!(lines[1], "{ \"exit-code\": 3 }\n");
    parse(lines[1], true);
}

#[test]
#[ignore = "needs root"]
fn under_init_the_info_names_the_init_and_its_namespaces() {
    require_root();
    check(&[], false, &["ipc", "mnt", "net", "pid", "uts"]);
}

#[test]
#[ignore = "needs root"]
fn as_pid_1_the_info_names_the_command() {
    require_root();
    check(&["--as-pid-1"], false, &["ipc", "mnt", "net", "pid", "uts"]);
}

#[test]
#[ignore = "needs root"]
fn with_share_pid_there_is_no_pid_namespace_key() {
    require_root();
    check(&["--share-pid"], false, &["ipc", "mnt", "net", "uts"]);
}

#[test]
#[ignore = "needs root"]
fn rootless_leaves_the_user_namespace_out_as_bwrap() {
    require_root();
    if common::skip_without_unprivileged_userns() {
        return;
    }
    check(&[], true, &["ipc", "mnt", "net", "pid", "uts"]);
    check(&["--as-pid-1"], true, &["ipc", "mnt", "net", "pid", "uts"]);
}

#[test]
#[ignore = "needs root"]
fn a_cgroup_namespace_made_after_clone_is_read_once_made() {
    require_root();
    // With a cgroup to make, the child makes its cgroup namespace by unshare once inside it.
    let opts = ["--cgroup", "--mount", "--pid", "--memory", "64M"];
    check(&opts, false, &["cgroup", "mnt", "pid"]);
}

/// Runs nsrun with only `--json-status-fd 6` (to `dir/status`) and `COMMAND...`; returns the
/// status text and what nsrun did.
fn status_of(command: &[&str]) -> (String, Output) {
    let r = Run::new();
    let mut cmd = Command::new("sh");
    let script = format!("exec \"$@\" {STATUS}>'{}/status'", r.dir.str());
    cmd.args(["-c", &script, "sh"])
        .arg(common::nsrun_bin())
        .args(["--json-status-fd", "6", "--"])
        .args(command);
    let out = run(&mut cmd);
    (r.file("status"), out)
}

#[test]
#[ignore = "needs root"]
fn the_exit_code_follows_the_object() {
    require_root();
    for (command, code) in [
        (&["true"][..], 0),
        (&["sh", "-c", "exit 3"][..], 3),
        (&["sh", "-c", "kill -9 $$"][..], 137),
    ] {
        let (status, out) = status_of(command);
        out.assert_code(code);
        let lines: Vec<&str> = status.split_inclusive('\n').collect();
        assert_eq!(lines.len(), 2, "{command:?}: {status:?}");
        let object = parse(lines[0], true);
        assert!(object.contains_key("child-pid"), "{status:?}");
        assert_eq!(
            lines[1],
            format!("{{ \"exit-code\": {code} }}\n"),
            "{command:?}"
        );
    }
}

#[test]
#[ignore = "needs root"]
fn a_command_that_never_runs_gets_nothing_written() {
    require_root();
    let (status, out) = status_of(&["/nonexistent/command"]);
    out.assert_code(127);
    assert_eq!(status, "", "{out}");
}

#[test]
fn a_descriptor_that_is_not_open_is_a_usage_error() {
    for opt in ["--info-fd", "--json-status-fd"] {
        let out = common::nsrun(&[opt, "97", "true"]);
        out.assert_code(2);
        out.assert_one_error_line(&[opt, "97", "Bad file descriptor"]);
    }
    // One also given to --keep-fd would reach the command.
    let out = run(Command::new("sh").args([
        "-c",
        "exec \"$@\" 5>/dev/null",
        "sh",
        common::nsrun_bin().to_str().expect("a UTF-8 path"),
        "--keep-fd",
        "5",
        "--info-fd",
        "5",
        "true",
    ]));
    out.assert_code(2);
    out.assert_one_error_line(&["--info-fd 5", "--keep-fd"]);
}
