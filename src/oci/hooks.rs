//! The hooks of config.json (runtime-spec config.md, "POSIX-platform Hooks"): `prestart` and
//! `createRuntime` run by `create`'s launcher once the container's namespaces and mounts exist
//! (the child waits at [`Step::HookPoint`](crate::setup::step::Step), before pivot_root);
//! `createContainer` right after, by the container's process itself, and `startContainer` by it
//! after `start`, before its program ([`InContainer`]: prepared before clone, so that process
//! allocates nothing); `poststart` by `start` once the program is executed, `poststop` by
//! `delete` (both kept in the state entry at create: [`encode`]).
//!
//! Each hook is executed with its `path`, `args` (`argv[0]` included; `[path]` when empty) and
//! `env` (exactly that environment), with the container's state JSON on its standard input and
//! the runtime's standard output and error. A hook that exits non-zero, is killed, cannot be
//! executed, or outlives its `timeout` (then it is SIGKILLed) fails the stage; the runtime says
//! which hook and why. The hooks run one after the other, in the document's order.

use crate::out::Line;
use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::process::{Pid, WaitOptions};

use super::Hook;
use crate::out::Bytes as Show;
use crate::sys;

/// The name of the first hook list `h` gives (config.json's spelling), if any.
pub fn first_given(h: &super::Hooks) -> Option<&'static str> {
    let lists = [
        ("prestart", &h.prestart),
        ("createRuntime", &h.create_runtime),
        ("createContainer", &h.create_container),
        ("startContainer", &h.start_container),
        ("poststart", &h.poststart),
        ("poststop", &h.poststop),
    ];
    lists
        .iter()
        .find(|(_, l)| !l.is_empty())
        .map(|(name, _)| *name)
}

/// Runs every hook of `hooks` for the stage `stage` (its name in config.json, for messages),
/// giving each `state` on its standard input; stops at the first that fails.
pub fn run_all(stage: &str, hooks: &[Hook], state: &[u8]) -> Result<(), String> {
    for (i, hook) in hooks.iter().enumerate() {
        run(hook, state)
            .map_err(|why| format!("hooks.{stage}[{i}] {}: {why}", Show(hook.path.as_bytes())))?;
    }
    Ok(())
}

/// [`run_all`] for the stage whose failures are warnings (`poststop`): every hook runs; each
/// failure is one `warning: ...` line on the error output (or the `--log`).
pub fn run_all_warning(stage: &str, hooks: &[Hook], state: &[u8]) {
    for (i, hook) in hooks.iter().enumerate() {
        if let Err(why) = run(hook, state) {
            crate::out::error_str(&format!(
                "warning: hooks.{stage}[{i}] {}: {why} (the {stage} hooks' failures do not fail \
                 the operation)",
                Show(hook.path.as_bytes())
            ));
        }
    }
}

/// A hook's program and environment, made C strings (and the NULL-terminated arrays execve
/// takes) before any fork: the process that runs it allocates nothing.
pub struct Prepared {
    path: CString,
    /// Kept for `argv`, which points into them.
    _args: Vec<CString>,
    /// Kept for `envp`, which points into them.
    _env: Vec<CString>,
    argv: Vec<*const u8>,
    envp: Vec<*const u8>,
    /// `timeout` in seconds, if any.
    pub timeout: Option<i64>,
}

impl Prepared {
    /// The hook's path, for messages.
    pub fn path(&self) -> &[u8] {
        self.path.as_bytes()
    }
}

fn c(s: &str) -> Result<CString, String> {
    CString::new(s.as_bytes()).map_err(|_| String::from("holds a NUL byte"))
}

/// `hook` made ready to run: its path, `args` (`[path]` when empty) and `env` as C arrays.
pub fn prepare(hook: &Hook) -> Result<Prepared, String> {
    let path = c(&hook.path)?;
    let mut args = hook
        .args
        .iter()
        .map(|a| c(a))
        .collect::<Result<Vec<_>, _>>()?;
    if args.is_empty() {
        args.push(path.clone());
    }
    let env = hook
        .env
        .iter()
        .map(|e| c(e))
        .collect::<Result<Vec<_>, _>>()?;
    let mut argv: Vec<*const u8> = args.iter().map(|a| a.as_ptr().cast()).collect();
    argv.push(core::ptr::null());
    let mut envp: Vec<*const u8> = env.iter().map(|e| e.as_ptr().cast()).collect();
    envp.push(core::ptr::null());
    Ok(Prepared {
        path,
        _args: args,
        _env: env,
        argv,
        envp,
        timeout: hook.timeout,
    })
}

/// The hooks that run inside the container, prepared before clone, and the files holding the
/// state they read: `createContainer` (at [`Step::HookPoint`](crate::setup::step::Step), after
/// the launcher has run `prestart` and `createRuntime`) and `startContainer` (after `start`,
/// before the program).
pub struct InContainer {
    /// `createContainer`.
    pub create: Vec<Prepared>,
    /// `startContainer`.
    pub start: Vec<Prepared>,
    /// Whether the child stops at the hook point: there are `prestart`, `createRuntime` or
    /// `createContainer` hooks.
    pub point: bool,
    /// The state `createContainer` reads: a sealed memfd the launcher fills at the hook point.
    pub create_state: OwnedFd,
    /// The state `startContainer` reads, filled once the container is created.
    pub start_state: OwnedFd,
}

impl InContainer {
    /// What `h` needs inside the container; None when there is nothing to run before `start`
    /// returns.
    pub fn of(h: &super::Hooks) -> Result<Option<InContainer>, String> {
        let point = !(h.prestart.is_empty()
            && h.create_runtime.is_empty()
            && h.create_container.is_empty());
        if !point && h.start_container.is_empty() {
            return Ok(None);
        }
        let list = |stage: &str, hooks: &[Hook]| {
            hooks
                .iter()
                .enumerate()
                .map(|(i, hook)| {
                    prepare(hook).map_err(|why| format!("config.json: hooks.{stage}[{i}]: {why}"))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Some(InContainer {
            create: list("createContainer", &h.create_container)?,
            start: list("startContainer", &h.start_container)?,
            point,
            create_state: state_file()?,
            start_state: state_file()?,
        }))
    }

    /// The descriptors the launcher keeps past its sweep after clone.
    pub fn fds(&self) -> [i32; 2] {
        use rustix::fd::AsRawFd;
        [self.create_state.as_raw_fd(), self.start_state.as_raw_fd()]
    }
}

/// An empty memfd for a state, sealable.
fn state_file() -> Result<OwnedFd, String> {
    use rustix::fs::MemfdFlags;
    rustix::fs::memfd_create(
        c"nsrun-hook-state",
        MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
    )
    .map_err(|e| {
        crate::report::line(
            "config.json: hooks: memfd_create (the state the container's hooks read)",
            e,
            Some("Linux 3.17 or later"),
        )
    })
}

/// Writes `state` into the state file `fd` (the launcher, once the pid is known) and seals it:
/// no hook can change what the next one reads.
pub fn fill(fd: rustix::fd::BorrowedFd<'_>, state: &[u8]) -> Result<(), String> {
    use rustix::fs::SealFlags;
    let mut at = 0;
    while at < state.len() {
        match rustix::io::pwrite(fd, &state[at..], at as u64) {
            Ok(0) => return Err(String::from("write the hooks' state: no room")),
            Ok(n) => at += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(crate::report::line("write the hooks' state", e, None)),
        }
    }
    let seals = SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK | SealFlags::SEAL;
    rustix::fs::fcntl_add_seals(fd, seals)
        .map_err(|e| crate::report::line("seal the hooks' state", e, None))
}

/// A hook as one value of the state entry (`poststart`, `poststop`, kept from `create` so a
/// bundle changed later changes nothing): timeout (empty: none), path, the number of args, the
/// args, then the env, separated by NUL bytes.
pub fn encode(h: &Hook) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(t) = h.timeout {
        crate::state::entry::decimal(&mut out, t.max(0) as u64);
    }
    out.push(0);
    out.extend_from_slice(h.path.as_bytes());
    out.push(0);
    crate::state::entry::decimal(&mut out, h.args.len() as u64);
    for s in h.args.iter().chain(&h.env) {
        out.push(0);
        out.extend_from_slice(s.as_bytes());
    }
    out
}

/// The hook [`encode`] wrote; None when `v` is not one.
pub fn decode(v: &[u8]) -> Option<Hook> {
    let mut parts = v.split(|&b| b == 0);
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
    let timeout = match parts.next()? {
        b"" => None,
        t => Some(i64::try_from(crate::state::entry::number(t)?).ok()?),
    };
    let path = text(parts.next()?)?;
    let nargs = usize::try_from(crate::state::entry::number(parts.next()?)?).ok()?;
    let mut args = Vec::new();
    let mut env = Vec::new();
    for (i, p) in parts.enumerate() {
        match i < nargs {
            true => args.push(text(p)?),
            false => env.push(text(p)?),
        }
    }
    (args.len() == nargs).then_some(Hook {
        path,
        args,
        env,
        timeout,
    })
}

/// How a hook ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// It exited 0.
    Done,
    /// It exited with this status, as nsrun reports one (128 + N: killed by signal N).
    Status(i32),
    /// It outlived its timeout (these seconds) and was SIGKILLed.
    TimedOut(i64),
    /// It could not be started or waited for.
    Failed(Errno),
}

/// Forks and executes `p` with `stdin` as its standard input, an empty signal mask and
/// exactly its environment; its pid. Allocates nothing (the container's process calls it).
pub fn spawn(p: &Prepared, stdin: rustix::fd::BorrowedFd<'_>) -> Result<i32, Errno> {
    let clean = sys::signal::SigSet::empty();
    match sys::process::fork()? {
        Some(pid) => Ok(pid),
        None => {
            sys::signal::set_mask(&clean);
            // The state on standard input (dup2 leaves the copy open across exec).
            if rustix::stdio::dup2_stdin(stdin).is_err() {
                sys::exit::exit_now(127);
            }
            // The hook gets 0, 1 and 2 only, as runc gives them: whatever else this process
            // holds (a caller's descriptors before the container's sweep) is closed at exec.
            if sys::fd::cloexec_all_but(&[]).is_err() {
                sys::exit::exit_now(127);
            }
            let _ = sys::exec::execve(&p.path, &p.argv, &p.envp);
            sys::exit::exit_now(127)
        }
    }
}

/// Runs `p` with `stdin` (a sealed file holding the state, read from its start) and waits for
/// it, at most its timeout. Allocates nothing.
pub fn run_prepared(p: &Prepared, stdin: rustix::fd::BorrowedFd<'_>) -> Outcome {
    if let Err(e) = rustix::fs::seek(stdin, rustix::fs::SeekFrom::Start(0)) {
        return Outcome::Failed(e);
    }
    match spawn(p, stdin) {
        Ok(pid) => wait(pid, p.timeout),
        Err(e) => Outcome::Failed(e),
    }
}

/// What went wrong, in words.
fn why(outcome: Outcome) -> Option<String> {
    match outcome {
        Outcome::Done => None,
        Outcome::Status(127) => Some(String::from(
            "exited with status 127 (executable file not found, or no such file or directory)",
        )),
        Outcome::Status(code) if code > 128 => Some(format!("killed by signal {}", code - 128)),
        Outcome::Status(code) => Some(format!("exited with status {code}")),
        Outcome::TimedOut(secs) => Some(format!(
            "did not exit within its timeout of {secs} s: killed"
        )),
        Outcome::Failed(e) => Some(crate::report::line("start or wait for it", e, None)),
    }
}

/// Runs one hook and waits for it, at most its timeout. The state is on its standard input as a
/// sealed memfd, not a pipe: nothing blocks on a hook that does not read (a state of any size,
/// annotations and all), and the timeout counts from its start.
fn run(hook: &Hook, state: &[u8]) -> Result<(), String> {
    let p = prepare(hook)?;
    let file = state_file()?;
    fill(rustix::fd::AsFd::as_fd(&file), state)?;
    match why(run_prepared(&p, rustix::fd::AsFd::as_fd(&file))) {
        None => Ok(()),
        Some(line) => Err(line),
    }
}

/// The report the container's process sends when hook `index` of the hooks at step `step`
/// failed with `outcome` (no allocation): the errno says how (ECHILD: it exited or was killed,
/// its status in `code`; ETIMEDOUT: its timeout passed), the index is in `candidate`.
pub fn report(step: u32, index: usize, outcome: Outcome) -> crate::report::Report {
    let (errno, code) = match outcome {
        Outcome::Status(code) => (Errno::CHILD, code),
        Outcome::TimedOut(_) => (Errno::TIMEDOUT, crate::status::SETUP_FAILED),
        Outcome::Failed(e) => (e, crate::status::SETUP_FAILED),
        Outcome::Done => (Errno::IO, crate::status::SETUP_FAILED),
    };
    crate::report::Report {
        step,
        errno: errno.raw_os_error(),
        code: code.clamp(0, 255) as u8,
        found: crate::report::Found::Nothing,
        candidate: index.min(u16::MAX as usize) as u16,
    }
}

/// The line for a [`report`] about the `createContainer` hooks of `hooks`.
pub fn describe(r: &crate::report::Report, hooks: &InContainer) -> String {
    let i = r.candidate as usize;
    let path = hooks.create.get(i).map(|p| p.path()).unwrap_or(b"?");
    let outcome = match Errno::from_raw_os_error(r.errno) {
        Errno::CHILD => Outcome::Status(i32::from(r.code)),
        Errno::TIMEDOUT => {
            Outcome::TimedOut(hooks.create.get(i).and_then(|p| p.timeout).unwrap_or(0))
        }
        e => Outcome::Failed(e),
    };
    let why = why(outcome).unwrap_or_default();
    format!("hooks.createContainer[{i}] {}: {why}", Show(path))
}

/// Says, from the container's process (no allocation), that hook `index` at `stage` failed:
/// `nsrun: hooks.STAGE[I] PATH: WHY` on its standard error, with one write(2).
pub fn say(stage: &str, index: usize, p: &Prepared, outcome: Outcome) {
    sys::fd::write_all(sys::fd::stderr(), said(stage, index, p, outcome).bytes());
}

/// The line [`say`] writes (ending in a newline), put together without allocating.
pub fn said(stage: &str, index: usize, p: &Prepared, outcome: Outcome) -> Line {
    let mut line = Line::default();
    line.push(b"nsrun: hooks.");
    line.push(stage.as_bytes());
    line.push(b"[");
    line.number(index as u64);
    line.push(b"] ");
    line.push(p.path());
    line.push(b": ");
    match outcome {
        Outcome::Done => line.push(b"done"),
        Outcome::Status(code) if code > 128 => {
            line.push(b"killed by signal ");
            line.number((code - 128) as u64);
        }
        Outcome::Status(code) => {
            line.push(b"exited with status ");
            line.number(code.max(0) as u64);
        }
        Outcome::TimedOut(secs) => {
            line.push(b"did not exit within its timeout of ");
            line.number(secs.max(0) as u64);
            line.push(b" s: killed");
        }
        Outcome::Failed(e) => {
            line.push(b"start or wait for it: ");
            line.push(sys::errno::text(e.raw_os_error()).as_bytes());
        }
    }
    line.push(b"\n");
    line
}

/// Waits for the hook `pid`, SIGKILLing (and reaping) it once its timeout has passed.
/// Allocates nothing.
fn wait(pid: i32, timeout: Option<i64>) -> Outcome {
    let Some(child) = Pid::from_raw(pid) else {
        return Outcome::Failed(Errno::CHILD);
    };
    if let Some(secs) = timeout.filter(|&s| s > 0) {
        if !exits_within(child, secs, true) {
            sys::signal::send(pid, libc::SIGKILL);
            let _ = rustix::process::waitpid(Some(child), WaitOptions::empty());
            return Outcome::TimedOut(secs);
        }
    }
    loop {
        match rustix::process::waitpid(Some(child), WaitOptions::empty()) {
            Ok(Some((_, st))) => {
                return match crate::status::from_wait(st.as_raw()) {
                    0 => Outcome::Done,
                    code => Outcome::Status(code),
                }
            }
            Ok(None) => {}
            Err(Errno::INTR) => {}
            Err(e) => return Outcome::Failed(e),
        }
    }
}

/// Whether `child` ends within `secs` seconds (it is left unreaped): a pidfd polled with the
/// timeout (Linux 5.3; `pidfd` false: as without), else checked every 10 ms.
fn exits_within(child: Pid, secs: i64, pidfd: bool) -> bool {
    let ms = secs.saturating_mul(1000);
    let fd = match pidfd {
        true => rustix::process::pidfd_open(child, rustix::process::PidfdFlags::empty()).ok(),
        false => None,
    };
    if let Some(fd) = fd {
        use rustix::fd::AsFd;
        // A poll that fails goes on without the pidfd.
        if let Ok(ended) = sys::fd::readable_within(fd.as_fd(), ms as u64) {
            return ended;
        }
    }
    use rustix::process::WaitIdOptions;
    let options = WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT | WaitIdOptions::EXITED;
    let mut waited = 0;
    loop {
        let id = rustix::process::WaitId::Pid(child);
        if let Ok(Some(_)) = rustix::process::waitid(id, options) {
            return true;
        }
        if waited >= ms {
            return false;
        }
        let _ = rustix::thread::nanosleep(&rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 10_000_000,
        });
        waited += 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(path: &str, args: &[&str], env: &[&str], timeout: Option<i64>) -> Hook {
        Hook {
            path: path.into(),
            args: args.iter().map(|s| String::from(*s)).collect(),
            env: env.iter().map(|s| String::from(*s)).collect(),
            timeout,
        }
    }

    #[test]
    fn a_hook_reads_the_state_and_sees_only_its_env() {
        let dir = std::env::temp_dir().join(format!("nsrun-hook-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        let script = format!("cat > {0}.state; env > {0}.env", out.display());
        let h = hook("/bin/sh", &["sh", "-c", &script], &["A=1"], Some(5));
        run_all("poststart", &[h], br#"{"id":"x"}"#).unwrap();
        let state = std::fs::read_to_string(format!("{}.state", out.display())).unwrap();
        assert_eq!(state, r#"{"id":"x"}"#);
        let env = std::fs::read_to_string(format!("{}.env", out.display())).unwrap();
        assert!(env.lines().any(|l| l == "A=1"), "{env}");
        assert!(!env.lines().any(|l| l.starts_with("HOME=")), "{env}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failures_name_the_hook_and_why() {
        let e = run_all(
            "prestart",
            &[hook("/bin/sh", &["sh", "-c", "exit 3"], &[], None)],
            b"",
        )
        .unwrap_err();
        assert_eq!(e, "hooks.prestart[0] /bin/sh: exited with status 3");
        let e = run_all(
            "poststop",
            &[hook("/nonexistent/hook", &[], &[], None)],
            b"",
        )
        .unwrap_err();
        assert!(
            e.starts_with("hooks.poststop[0] /nonexistent/hook: exited with status 127"),
            "{e}"
        );
        let e = run_all(
            "createRuntime",
            &[hook("/bin/sh", &["sh", "-c", "kill -9 $$"], &[], None)],
            b"",
        )
        .unwrap_err();
        assert!(e.ends_with("killed by signal 9"), "{e}");
    }

    #[test]
    fn a_hook_past_its_timeout_is_killed_and_the_rest_do_not_run() {
        let dir = std::env::temp_dir().join(format!("nsrun-hook-t-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let marker = dir.join("second");
        let second = format!("touch {}", marker.display());
        let start = std::time::Instant::now();
        let e = run_all(
            "createRuntime",
            &[
                hook("/bin/sh", &["sh", "-c", "exec sleep 30"], &[], Some(1)),
                hook("/bin/sh", &["sh", "-c", &second], &[], None),
            ],
            b"",
        )
        .unwrap_err();
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
        assert!(e.contains("did not exit within its timeout of 1 s"), "{e}");
        assert!(!marker.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The wait without pidfds (before Linux 5.3) sees an exit and a timeout alike.
    #[test]
    fn the_wait_without_a_pidfd_sees_the_end_and_the_timeout() {
        for (script, ends) in [("exit 0", true), ("exec sleep 5", false)] {
            let mut child = std::process::Command::new("/bin/sh")
                .args(["-c", script])
                .spawn()
                .unwrap();
            let pid = Pid::from_raw(child.id() as i32).unwrap();
            assert_eq!(exits_within(pid, 1, false), ends, "{script}");
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    #[test]
    fn hooks_round_trip_through_the_entry() {
        for h in [
            hook("/bin/sh", &["sh", "-c", "a b"], &["A=1", "B="], Some(5)),
            hook("/x", &[], &[], None),
            hook("/x", &["", ""], &[""], None),
        ] {
            assert_eq!(decode(&encode(&h)), Some(h.clone()));
        }
        assert_eq!(decode(b""), None);
        assert_eq!(decode(b"x\x00/p\x000"), None);
        assert_eq!(decode(b"\x00/p\x002\x00a"), None);
    }

    /// (The test harness ignores SIGPIPE: tests/oci_hooks.rs checks the runtime, where its
    /// action is the default, is not ended by it.)
    #[test]
    fn a_hook_that_ignores_its_input_is_no_failure() {
        let big = alloc::vec![b'x'; 1 << 20];
        run_all("poststart", &[hook("/bin/true", &[], &[], Some(5))], &big).unwrap();
    }
}
