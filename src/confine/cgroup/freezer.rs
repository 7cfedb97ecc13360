//! Freezing a container's cgroup (the OCI runtime's `pause` and `resume`).
//!
//! * cgroup v1: the freezer controller's `freezer.state` (cgroup-v1/freezer-subsystem.rst):
//!   writing `FROZEN` starts the freeze, and reading it gives `FREEZING` until every task is
//!   frozen, then `FROZEN`. A task in an uninterruptible sleep can hold the freeze off; the write
//!   is repeated, as runc does, and after [`TRIES`] the cgroup is thawed again and the pause
//!   fails, so a container is never left half-frozen.
//! * cgroup v2: `cgroup.freeze` (cgroup-v2.rst, "Core Interface Files"): writing `1` asks for
//!   the freeze, and `cgroup.events` says `frozen 1` once it is done.
//!
//! `dir` is the absolute path of the container's cgroup in the hierarchy that holds the freezer
//! (v1) or in the unified hierarchy (v2).

use alloc::boxed::Box;
use alloc::string::String;

use super::fs::{Fs, Real};
use super::Error;

/// How many times (10 ms apart) the freeze is checked before it is given up.
pub const TRIES: u32 = 1000;

/// Freezes (`frozen`) or thaws the cgroup at `dir`; returns once the kernel says it is done.
pub fn set(dir: &[u8], v2: bool, frozen: bool) -> Result<(), Box<Error>> {
    set_on(&Real, dir, v2, frozen)
}

/// Whether the cgroup at `dir` is frozen (v1: `FROZEN`, and `FREEZING` counts as not yet).
pub fn frozen(dir: &[u8], v2: bool) -> Result<bool, Box<Error>> {
    frozen_on(&Real, dir, v2)
}

fn file(dir: &[u8], name: &str) -> alloc::vec::Vec<u8> {
    let mut path = dir.to_vec();
    path.push(b'/');
    path.extend_from_slice(name.as_bytes());
    path
}

/// The v1 state file's word, or v2's `frozen` value.
fn read_state(fs: &dyn Fs, dir: &[u8], v2: bool) -> Result<State, Box<Error>> {
    let name = if v2 { "cgroup.events" } else { "freezer.state" };
    let path = file(dir, name);
    let mut buf = [0u8; 512];
    let n = fs
        .read(&path, &mut buf)
        .map_err(|e| Error::new(0, "read", &path, Some(e), String::new()))?;
    let text = &buf[..n];
    let state = match v2 {
        true => {
            let line = text
                .split(|&b| b == b'\n')
                .find(|l| l.starts_with(b"frozen "));
            match line.map(|l| l.trim_ascii_end()) {
                Some(b"frozen 1") => State::Frozen,
                Some(b"frozen 0") => State::Thawed,
                _ => State::Unknown,
            }
        }
        false => match text.trim_ascii_end() {
            b"FROZEN" => State::Frozen,
            b"FREEZING" => State::Freezing,
            b"THAWED" => State::Thawed,
            _ => State::Unknown,
        },
    };
    match state {
        State::Unknown => Err(Error::new(
            0,
            "read",
            &path,
            None,
            "it holds no freezer state this nsrun knows".into(),
        )),
        s => Ok(s),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Frozen,
    Freezing,
    Thawed,
    Unknown,
}

fn frozen_on(fs: &dyn Fs, dir: &[u8], v2: bool) -> Result<bool, Box<Error>> {
    Ok(read_state(fs, dir, v2)? == State::Frozen)
}

fn write(fs: &dyn Fs, dir: &[u8], v2: bool, frozen: bool) -> Result<(), Box<Error>> {
    let (name, data): (&str, &[u8]) = match (v2, frozen) {
        (true, true) => ("cgroup.freeze", b"1"),
        (true, false) => ("cgroup.freeze", b"0"),
        (false, true) => ("freezer.state", b"FROZEN"),
        (false, false) => ("freezer.state", b"THAWED"),
    };
    let path = file(dir, name);
    fs.write(&path, data).map_err(|e| {
        let hint = match e {
            rustix::io::Errno::NOENT => {
                "the container's cgroup has no freezer (v1: the freezer controller must be \
                 mounted and the container in a cgroup of it)"
            }
            _ => "",
        };
        Error::new(0, "write", &path, Some(e), hint.into())
    })
}

fn set_on(fs: &dyn Fs, dir: &[u8], v2: bool, frozen: bool) -> Result<(), Box<Error>> {
    let want = match frozen {
        true => State::Frozen,
        false => State::Thawed,
    };
    for _ in 0..TRIES {
        // v1: a freeze that stalls in FREEZING is asked for again (it retries the tasks that
        // were not frozen yet).
        write(fs, dir, v2, frozen)?;
        if read_state(fs, dir, v2)? == want {
            return Ok(());
        }
        fs.pause();
    }
    if frozen {
        // Never left half-frozen.
        let _ = write(fs, dir, v2, false);
    }
    Err(Error::new(
        0,
        match frozen {
            true => "freeze",
            false => "thaw",
        },
        dir,
        None,
        "the kernel did not finish in 10 s (a process in uninterruptible sleep?); the cgroup \
         was thawed again"
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::fs::fake::Fake;
    use super::*;

    #[test]
    fn v1_freezes_and_thaws_through_freezer_state() {
        let f = Fake::with(&[("/f/c/freezer.state", "THAWED\n")]);
        assert!(!frozen_on(&f, b"/f/c", false).unwrap());
        set_on(&f, b"/f/c", false, true).unwrap();
        assert_eq!(f.get("/f/c/freezer.state").as_deref(), Some("FROZEN"));
        assert!(frozen_on(&f, b"/f/c", false).unwrap());
        set_on(&f, b"/f/c", false, false).unwrap();
        assert_eq!(f.get("/f/c/freezer.state").as_deref(), Some("THAWED"));
    }

    #[test]
    fn v2_writes_cgroup_freeze_and_waits_for_the_event() {
        let f = Fake::with(&[
            ("/u/c/cgroup.freeze", "0\n"),
            ("/u/c/cgroup.events", "populated 1\nfrozen 1\n"),
        ]);
        set_on(&f, b"/u/c", true, true).unwrap();
        assert_eq!(f.get("/u/c/cgroup.freeze").as_deref(), Some("1"));
        assert!(frozen_on(&f, b"/u/c", true).unwrap());
        // The event never says thawed: the thaw gives up and says so.
        let e = set_on(&f, b"/u/c", true, false).unwrap_err();
        assert!(e.line().contains("thaw /u/c"), "{}", e.line());
    }

    #[test]
    fn a_freeze_that_never_finishes_is_undone() {
        // The event never comes: after TRIES checks the freeze is given up and undone.
        let f = Fake::with(&[
            ("/u/c/cgroup.freeze", "0\n"),
            ("/u/c/cgroup.events", "populated 1\nfrozen 0\n"),
        ]);
        let e = set_on(&f, b"/u/c", true, true).unwrap_err();
        assert!(e.line().contains("did not finish"), "{}", e.line());
        assert_eq!(f.get("/u/c/cgroup.freeze").as_deref(), Some("0"));
    }

    #[test]
    fn no_freezer_is_said_plainly() {
        let f = Fake::with(&[("/f/c/", "")]);
        let e = set_on(&f, b"/f/c", false, true).unwrap_err();
        assert!(e.line().contains("freezer.state"), "{}", e.line());
        let e = frozen_on(&f, b"/f/c", false).unwrap_err();
        assert!(e.line().contains("read /f/c/freezer.state"), "{}", e.line());
    }
}
