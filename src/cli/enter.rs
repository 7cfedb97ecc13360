//! `nsrun enter NAME|PID [OPTIONS] [--] [COMMAND [ARG...]]`: the options of joining a running
//! container, with util-linux nsenter's letters and its `-t PID -a` spelling.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::table::{Args, Got, Item};
use super::Parsed;
use crate::ns::{Kind, Set};
use crate::opt;
use crate::out::Bytes as Show;
use crate::spec::Bytes;

#[derive(Clone, Copy)]
pub(super) enum Opt {
    Help,
    StateDir,
    Target,
    All,
    Ns(Kind),
    From,
}

pub(super) const OPTIONS: &[Item<Opt>] = &[
    Item::Head("Which container"),
    opt!(
        "t",
        "--target",
        "",
        One,
        "PID",
        "the process whose namespaces to join (nsenter's spelling of the PID operand)",
        Opt::Target
    ),
    opt!(
        "",
        "--from",
        "",
        One,
        "DIR",
        "join the namespace files kept under DIR by --keep DIR instead",
        Opt::From
    ),
    opt!(
        "",
        "--state-dir",
        "",
        One,
        "DIR",
        "where NAME is looked up (as for nsrun list)",
        Opt::StateDir
    ),
    Item::Note(
        "NAME: a container started with nsrun run --name NAME; one of digits only is a PID.",
    ),
    Item::Head("Namespaces (default: all those that differ from nsrun's own, as nsenter -a)"),
    opt!(
        "a",
        "--all",
        "",
        Flag,
        "",
        "all of them (the default)",
        Opt::All
    ),
    opt!(
        "m",
        "--mount",
        "",
        Flag,
        "",
        "its mount namespace, and its root and working directory",
        Opt::Ns(Kind::Mount)
    ),
    opt!(
        "u",
        "--uts",
        "",
        Flag,
        "",
        "its UTS namespace (hostname)",
        Opt::Ns(Kind::Uts)
    ),
    opt!(
        "i",
        "--ipc",
        "",
        Flag,
        "",
        "its IPC namespace",
        Opt::Ns(Kind::Ipc)
    ),
    opt!(
        "n",
        "--net",
        "",
        Flag,
        "",
        "its network namespace",
        Opt::Ns(Kind::Net)
    ),
    opt!(
        "p",
        "--pid",
        "",
        Flag,
        "",
        "its PID namespace (the command runs as a child in it)",
        Opt::Ns(Kind::Pid)
    ),
    opt!(
        "U",
        "--user",
        "",
        Flag,
        "",
        "its user namespace, as its uid and gid 0",
        Opt::Ns(Kind::User)
    ),
    opt!(
        "C",
        "--cgroup",
        "",
        Flag,
        "",
        "its cgroup namespace",
        Opt::Ns(Kind::Cgroup)
    ),
    opt!(
        "T",
        "--time",
        "",
        Flag,
        "",
        "its time namespace",
        Opt::Ns(Kind::Time)
    ),
    Item::Note(
        "A namespace nsrun is in already is not joined again. The command (default /bin/sh)",
    ),
    Item::Note("gets the caller's environment; the container's capabilities and seccomp filters"),
    Item::Note("are not applied, as nsenter does not apply them."),
    opt!("h", "--help", "", Flag, "", "this text", Opt::Help),
];

/// Which container `nsrun enter` joins.
#[derive(Debug, PartialEq, Eq)]
pub enum Which {
    /// A process by its pid.
    Pid(i32),
    /// A container by its name (the state store's).
    Name(Bytes),
    /// Namespace files kept under a directory (`--from DIR`).
    Kept(Bytes),
}

/// What `nsrun enter` was asked.
#[derive(Debug, PartialEq, Eq)]
pub struct Enter {
    /// The container.
    pub which: Which,
    /// The kinds to join; None: all that differ from nsrun's own.
    pub kinds: Option<Set>,
    /// The command; empty: /bin/sh.
    pub command: Vec<Bytes>,
    /// `--state-dir DIR`, where a name is looked up.
    pub state_dir: Option<Bytes>,
}

/// A pid as the user wrote it: decimal digits, above 0.
fn pid(word: &[u8]) -> Option<i32> {
    let digits = !word.is_empty() && word.iter().all(u8::is_ascii_digit);
    let n: i32 = core::str::from_utf8(word).ok()?.parse().ok()?;
    (digits && n > 0).then_some(n)
}

pub(super) fn parse(words: &[&[u8]]) -> Result<Parsed, String> {
    let mut args = Args::new(words, OPTIONS);
    let mut which: Option<Which> = None;
    let mut all = false;
    let mut kinds = Set::empty();
    let mut state_dir = None;
    let set = |which: &mut Option<Which>, w: Which| match which {
        Some(_) => Err(String::from(
            "enter: give one container: NAME, PID, -t PID or --from DIR",
        )),
        None => {
            *which = Some(w);
            Ok(())
        }
    };
    let command: Vec<Bytes> = loop {
        match args.take()? {
            Got::Opt {
                def, name, value, ..
            } => match def.tag {
                Opt::Help => return Ok(Parsed::Help(super::help_of("enter"))),
                Opt::Target => {
                    let v = value.unwrap_or_default();
                    let p = pid(v).ok_or_else(|| {
                        format!("{}: '{}' is not a process id", Show(name), Show(v))
                    })?;
                    set(&mut which, Which::Pid(p))?;
                }
                Opt::From => {
                    let v = value.unwrap_or_default();
                    if v.is_empty() {
                        return Err(crate::out::around("", name, ": the directory is empty"));
                    }
                    set(&mut which, Which::Kept(v.to_vec()))?;
                }
                Opt::StateDir => state_dir = Some(super::list::state_dir(name, value, &state_dir)?),
                Opt::All => all = true,
                Opt::Ns(kind) => kinds.add(kind),
            },
            Got::Operand(word) if which.is_none() => {
                let w = match pid(word) {
                    Some(p) => Which::Pid(p),
                    None if word.iter().all(u8::is_ascii_digit) => {
                        return Err(crate::out::around(
                            "enter: '",
                            word,
                            "' is not a process id",
                        ))
                    }
                    None => {
                        crate::state::check_name(word)?;
                        Which::Name(word.to_vec())
                    }
                };
                set(&mut which, w)?;
            }
            // The command starts at the first word after the container (as nsenter's).
            Got::Operand(word) => {
                let mut command = Vec::from([word.to_vec()]);
                command.extend(args.rest().iter().map(|w| w.to_vec()));
                break command;
            }
            Got::End => break args.rest().iter().map(|w| w.to_vec()).collect(),
        }
    };
    let which = which.ok_or_else(|| {
        String::from("enter: which container? give NAME, PID, -t PID or --from DIR")
    })?;
    Ok(Parsed::Enter(Enter {
        which,
        kinds: (!all && !kinds.is_empty()).then_some(kinds),
        command,
        state_dir,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enter(words: &[&str]) -> Result<Enter, String> {
        let words: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        match parse(&words)? {
            Parsed::Enter(e) => Ok(e),
            _ => Err("help".into()),
        }
    }

    #[test]
    fn nsenter_spellings() {
        let e = enter(&["-t", "42", "-a", "true"]).unwrap();
        assert_eq!((e.which, e.kinds), (Which::Pid(42), None));
        assert_eq!(e.command, [b"true".to_vec()]);
        let e = enter(&["42", "-mun", "--", "ls", "-l"]).unwrap();
        let mut s = Set::empty();
        for k in [Kind::Mount, Kind::Uts, Kind::Net] {
            s.add(k);
        }
        assert_eq!(e.kinds, Some(s));
        assert_eq!(e.command, [b"ls".to_vec(), b"-l".to_vec()]);
        // Options after the command belong to it.
        let e = enter(&["web", "sh", "-c", "x"]).unwrap();
        assert_eq!(e.which, Which::Name(b"web".to_vec()));
        assert_eq!(e.command.len(), 3);
        let e = enter(&["--from", "/k", "-p", "--user"]).unwrap();
        assert_eq!(e.which, Which::Kept(b"/k".to_vec()));
        assert!(e.command.is_empty());
        // -a with letters is still all of them.
        assert_eq!(enter(&["-a", "-n", "1"]).unwrap().kinds, None);
    }

    #[test]
    fn refusals() {
        for (words, part) in [
            (&[][..], "which container"),
            (&["-t", "x"][..], "not a process id"),
            (&["-t", "0"][..], "not a process id"),
            (&["-t", "-1"][..], "not a process id"),
            (&["0"][..], "not a process id"),
            (&["99999999999"][..], "not a process id"),
            (&["1", "-t", "2"][..], "give one container"),
            (&["-t", "1", "--from", "/x"][..], "give one container"),
            (&["--net=x", "1"][..], "--net"),
            (&["--bogus", "1"][..], "--bogus"),
            (&["a/b"][..], "container name"),
            (&[".."][..], "container name"),
            (&["--state-dir", "", "x"][..], "--state-dir"),
        ] {
            let err = enter(words).unwrap_err();
            assert!(err.contains(part), "{words:?}: {err}");
        }
    }
}
