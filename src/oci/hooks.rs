//! The hooks of config.json that the runtime process runs (runtime-spec config.md, "POSIX-platform
//! Hooks"): `prestart` and `createRuntime` by `create` once the container's namespaces exist,
//! `poststart` by `start` once the process runs, `poststop` by `delete`.
//!
//! Each hook is executed with its `path`, `args` (`argv[0]` included; `[path]` when empty) and
//! `env` (exactly that environment), with the container's state JSON on its standard input and
//! the runtime's standard output and error. A hook that exits non-zero, is killed, cannot be
//! executed, or outlives its `timeout` (then it is SIGKILLed) fails the stage; the runtime says
//! which hook and why. The hooks run one after the other, in the document's order.

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

/// A hook's program and environment, made C strings before the fork.
struct Prepared {
    path: CString,
    args: Vec<CString>,
    env: Vec<CString>,
}

fn c(s: &str) -> Result<CString, String> {
    CString::new(s.as_bytes()).map_err(|_| String::from("holds a NUL byte"))
}

fn prepare(hook: &Hook) -> Result<Prepared, String> {
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
    Ok(Prepared { path, args, env })
}

/// Runs one hook and waits for it, at most its timeout.
fn run(hook: &Hook, state: &[u8]) -> Result<(), String> {
    let p = prepare(hook)?;
    let mut argv: Vec<*const u8> = p.args.iter().map(|a| a.as_ptr().cast()).collect();
    argv.push(core::ptr::null());
    let mut envp: Vec<*const u8> = p.env.iter().map(|e| e.as_ptr().cast()).collect();
    envp.push(core::ptr::null());
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| crate::report::line("create pipe", e, None))?;
    // A hook that leaves without reading its input must not kill the runtime with SIGPIPE.
    let mask = sys::signal::block(&sys::signal::SigSet::of(&[libc::SIGPIPE]));
    let pid = match sys::process::fork() {
        Ok(Some(pid)) => pid,
        Ok(None) => {
            sys::signal::set_mask(&mask);
            // The state on standard input (dup2 leaves the copy open across exec).
            if rustix::stdio::dup2_stdin(&r).is_err() {
                sys::exit::exit_now(127);
            }
            let _ = sys::exec::execve(&p.path, &argv, &envp);
            sys::exit::exit_now(127)
        }
        Err(e) => {
            sys::signal::set_mask(&mask);
            return Err(crate::report::line("fork", e, None));
        }
    };
    drop(r);
    let _ = write_all(w, state);
    let waited = wait(pid, hook.timeout);
    sys::signal::set_mask(&mask);
    match waited? {
        0 => Ok(()),
        127 => Err(String::from(
            "exited with status 127 (executable file not found, or no such file or directory)",
        )),
        code if code > 128 => Err(format!("killed by signal {}", code - 128)),
        code => Err(format!("exited with status {code}")),
    }
}

/// Writes `state` to the hook's input and closes it; EPIPE (the hook did not read) is no error.
fn write_all(w: OwnedFd, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match rustix::io::write(&w, buf) {
            Ok(n) => buf = &buf[n..],
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Waits for the hook `pid`: its exit status as nsrun reports one (128 + N for signal N), or
/// the timeout, after which it is SIGKILLed and reaped.
fn wait(pid: i32, timeout: Option<i64>) -> Result<i32, String> {
    let Some(child) = Pid::from_raw(pid) else {
        return Err(String::from("fork returned no pid"));
    };
    if let Some(secs) = timeout.filter(|&s| s > 0) {
        if !exits_within(child, secs, true) {
            sys::signal::send(pid, libc::SIGKILL);
            let _ = rustix::process::waitpid(Some(child), WaitOptions::empty());
            return Err(format!(
                "did not exit within its timeout of {secs} s: killed"
            ));
        }
    }
    loop {
        match rustix::process::waitpid(Some(child), WaitOptions::empty()) {
            Ok(Some((_, st))) => return Ok(crate::status::from_wait(st.as_raw())),
            Ok(None) => {}
            Err(Errno::INTR) => {}
            Err(e) => return Err(crate::report::line("wait", e, None)),
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
        use rustix::event::{PollFd, PollFlags};
        let deadline = sys::clock::now_ms().saturating_add(ms as u64);
        loop {
            let left = deadline.saturating_sub(sys::clock::now_ms());
            let t = rustix::time::Timespec {
                tv_sec: (left / 1000) as i64,
                tv_nsec: ((left % 1000) * 1_000_000) as i64,
            };
            let mut fds = [PollFd::new(&fd, PollFlags::IN)];
            match rustix::event::poll(&mut fds, Some(&t)) {
                Ok(0) => return false,
                Ok(_) => return true,
                Err(Errno::INTR) => continue,
                Err(_) => break,
            }
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
    fn a_hook_that_ignores_its_input_is_no_failure() {
        let big = alloc::vec![b'x'; 1 << 20];
        run_all("poststart", &[hook("/bin/true", &[], &[], Some(5))], &big).unwrap();
    }
}
