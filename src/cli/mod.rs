//! The command line → what to do ([`Parsed`]). No syscalls here: this is pure parsing and
//! checking.
//!
//! Every command has one table of options ([`table::Def`]) in its own file: [`run`] for running a
//! container (`nsrun [OPTIONS] -- CMD`, also `nsrun run ...`), and one file per command word. The
//! option walker, the arity checks and each command's `--help` are made from its table, and the
//! commands themselves are [`COMMANDS`]: the help cannot drift from the parser.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::out::Bytes as Show;
use crate::spec::{IdMap, Spec};

mod demo;
mod enter;
mod gc;
mod kill;
mod list;
mod locks;
pub mod mounts;
mod release;
mod run;
pub mod table;
mod wait;

pub use enter::{Enter, Which};
use table::Command;

/// The longest hostname or domain name the kernel accepts (HOST_NAME_MAX).
pub const NAME_MAX: usize = 64;

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run a container.
    Run(alloc::boxed::Box<Spec>),
    /// `nsrun run --oci-bundle DIR`: run the container DIR/config.json describes, in the
    /// foreground.
    OciBundle(alloc::vec::Vec<u8>),
    /// Print this help text.
    Help(String),
    /// Print the version.
    Version,
    /// `nsrun gc`: remove the cgroups killed runs left behind.
    Gc,
    /// `nsrun mounts [--json] [--state-dir DIR] [NAME|PID]`: the mount tree of a process.
    Mounts(mounts::Mounts),
    /// `nsrun release DIR`: undo what `--keep DIR` made.
    Release {
        /// The kept directory.
        dir: alloc::vec::Vec<u8>,
    },
    /// `nsrun demo propagation [--json]`: the propagation experiments.
    Demo {
        /// The observations as JSON.
        json: bool,
    },
    /// The OCI runtime's commands ([`crate::oci::cli`]).
    Oci(alloc::boxed::Box<crate::oci::cli::Request>),
    /// `nsrun enter`: join a running container.
    Enter(enter::Enter),
    /// `nsrun list`: the named containers.
    List {
        /// `--json`.
        json: bool,
        /// `--state-dir DIR`.
        state_dir: Option<Vec<u8>>,
    },
    /// `nsrun kill NAME [SIGNAL]`.
    Kill {
        /// The container's name.
        name: Vec<u8>,
        /// The signal's number.
        signal: i32,
        /// `--all`: every process of the container.
        all: bool,
        /// `--state-dir DIR`.
        state_dir: Option<Vec<u8>>,
    },
    /// `nsrun wait NAME`.
    Wait {
        /// The container's name.
        name: Vec<u8>,
        /// `--state-dir DIR`.
        state_dir: Option<Vec<u8>>,
    },
}

/// nsrun's commands: the first is running a container without a command word; the others are
/// taken when their word comes first (`nsrun gc`). A program of the same name runs as
/// `nsrun -- gc`.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "",
        usage: "[OPTIONS] [--] [COMMAND [ARG...]]",
        about: "Run COMMAND (default: $SHELL, else /bin/sh) in new namespaces.",
    },
    Command {
        name: "run",
        usage: "[OPTIONS] [--] [COMMAND [ARG...]]",
        about: "The same as nsrun without a command word.",
    },
    Command {
        name: "enter",
        usage: "NAME|PID [OPTIONS] [--] [COMMAND [ARG...]]",
        about: "Run COMMAND (default /bin/sh) in the namespaces of a running container.",
    },
    Command {
        name: "gc",
        usage: "",
        about: "Remove the cgroups of nsrun runs that were killed; say what stays.",
    },
    Command {
        name: "mounts",
        usage: "[--json] [--state-dir DIR] [NAME|PID]",
        about: "The mount tree of a container or process, with each mount's propagation.",
    },
    Command {
        name: "release",
        usage: "DIR",
        about: "Unmount and remove the namespace files run --keep DIR bound there.",
    },
    Command {
        name: "demo",
        usage: "propagation [--json]",
        about: "Run the mount propagation experiments in scratch namespaces; print what they show.",
    },
    Command {
        name: "list",
        usage: "[--json] [--state-dir DIR]",
        about: "The named containers: name, pid, status, uptime, namespaces, command.",
    },
    Command {
        name: "kill",
        usage: "[--state-dir DIR] [--all] NAME [SIGNAL]",
        about: "Signal a named container's PID 1 (default TERM), through a pidfd.",
    },
    Command {
        name: "wait",
        usage: "[--state-dir DIR] NAME",
        about: "Wait for a named container to end; exit with its status.",
    },
    Command {
        name: "help",
        usage: "[COMMAND]",
        about: "This text, or COMMAND's (also nsrun COMMAND --help).",
    },
];

/// The OCI runtime's part of `nsrun --help`.
const OCI_HELP: &str = "
As an OCI runtime (podman, containerd): nsrun [--root DIR] [--log FILE] [--log-format text|json]
  [--debug] [--systemd-cgroup] COMMAND ..., COMMAND one of create start state kill delete run list
  ps pause resume features spec exec (nsrun help COMMAND). create, start, state, delete, exec, ps,
  pause, resume, features and spec select it even without a global option: a program of such a
  name runs as nsrun -- start. kill, list and run without one are nsrun's own (above).
";

/// What follows the options in `nsrun --help`.
const EXIT_STATUS: &str = "
Exit status: the command's; 128+N if killed by signal N; 127 command not found; 126 not executable;
125 nsrun's setup failed; 2 bad usage.
";

/// Parses the arguments after `argv[0]`.
pub fn parse(args: &[&[u8]]) -> Result<Parsed, String> {
    if let Some(request) = crate::oci::cli::select(args) {
        return Ok(Parsed::Oci(alloc::boxed::Box::new(request)));
    }
    let (word, rest) = match args.split_first() {
        Some((first, rest)) => (*first, rest),
        None => (&b""[..], args),
    };
    match word {
        b"run" => run::parse("run", rest),
        b"gc" => gc::parse(rest),
        b"mounts" => mounts::parse(rest),
        b"demo" => demo::parse(rest),
        b"enter" => enter::parse(rest),
        b"list" => list::parse(rest),
        b"kill" => kill::parse(rest),
        b"wait" => wait::parse(rest),
        b"release" => release::parse(rest),
        b"help" => match rest {
            [] => Ok(Parsed::Help(help_of(""))),
            [name] => match COMMANDS
                .iter()
                .find(|c| !c.name.is_empty() && c.name.as_bytes() == *name)
            {
                Some(c) => Ok(Parsed::Help(help_of(c.name))),
                None if crate::oci::cli::OCI_ONLY
                    .iter()
                    .any(|w| w.as_bytes() == *name) =>
                {
                    let name = core::str::from_utf8(name).unwrap_or_default();
                    Ok(Parsed::Help(
                        crate::oci::cli::help_of(name).unwrap_or_default(),
                    ))
                }
                None => Err(crate::out::around(
                    "help: '",
                    name,
                    "' is not a command of nsrun",
                )),
            },
            _ => Err("help takes at most one command name".into()),
        },
        _ => run::parse("", args),
    }
}

/// The `--help` text of the command `name` ("" for nsrun's own), made from its table.
pub fn help_of(name: &str) -> String {
    let mut text = String::new();
    let command = COMMANDS
        .iter()
        .find(|c| c.name == name)
        .unwrap_or(&COMMANDS[0]);
    match command.name {
        "gc" => table::help(command, gc::OPTIONS, &mut text),
        "mounts" => table::help(command, mounts::OPTIONS, &mut text),
        "demo" => table::help(command, demo::OPTIONS, &mut text),
        "enter" => table::help(command, enter::OPTIONS, &mut text),
        "list" => table::help(command, list::OPTIONS, &mut text),
        "kill" => table::help(command, kill::OPTIONS, &mut text),
        "wait" => table::help(command, wait::OPTIONS, &mut text),
        "release" => table::help(command, release::OPTIONS, &mut text),
        "help" => table::help::<()>(command, &[], &mut text),
        _ => {
            table::help(command, run::OPTIONS, &mut text);
            if command.name.is_empty() {
                text.push_str("\nCommands (nsrun -- WORD runs a program of that name):\n");
                for c in &COMMANDS[1..] {
                    let start = text.len();
                    text.push_str("  nsrun ");
                    text.push_str(c.name);
                    let width = text.len() - start;
                    text.extend(core::iter::repeat_n(' ', 16usize.saturating_sub(width)));
                    text.push_str(c.about);
                    text.push('\n');
                }
                text.push_str(OCI_HELP);
                text.push_str(EXIT_STATUS);
            }
        }
    }
    text
}

pub(crate) fn absolute(name: &[u8], path: &[u8]) -> Result<Vec<u8>, String> {
    if path.split(|&b| b == b'/').any(|part| part == b"..") {
        return Err(format!(
            "{}: '{}' must not contain '..'",
            Show(name),
            Show(path)
        ));
    }
    if path.first() != Some(&b'/') {
        return Err(format!(
            "{}: '{}' must be an absolute path inside the container",
            Show(name),
            Show(path)
        ));
    }
    Ok(path.to_vec())
}

/// A name `--setenv` may set: letters, digits and underscores, not starting with a digit (POSIX's
/// portable names, the only ones every shell can read back).
pub(crate) fn check_portable_var(name: &[u8], var: &[u8]) -> Result<(), String> {
    let portable = var.first().is_some_and(|b| !b.is_ascii_digit())
        && var.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if !portable {
        return Err(format!(
            "{}: '{}' is not a variable name (letters, digits and '_', not starting with a digit)",
            Show(name),
            Show(var)
        ));
    }
    Ok(())
}

/// Whether `dir` is /proc written another way (`/proc/`, `//proc`).
pub(crate) fn is_proc(dir: &[u8]) -> bool {
    let mut parts = dir
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty() && *p != b".");
    parts.next() == Some(b"proc") && parts.next().is_none()
}

/// The number of a signal named as util-linux accepts it: `KILL`, `SIGTERM`, `term`, or `9`.
pub(crate) fn signal_number(s: &[u8]) -> Option<i32> {
    const NAMES: [(&str, i32); 31] = [
        ("HUP", libc::SIGHUP),
        ("INT", libc::SIGINT),
        ("QUIT", libc::SIGQUIT),
        ("ILL", libc::SIGILL),
        ("TRAP", libc::SIGTRAP),
        ("ABRT", libc::SIGABRT),
        ("IOT", libc::SIGIOT),
        ("BUS", libc::SIGBUS),
        ("FPE", libc::SIGFPE),
        ("KILL", libc::SIGKILL),
        ("USR1", libc::SIGUSR1),
        ("SEGV", libc::SIGSEGV),
        ("USR2", libc::SIGUSR2),
        ("PIPE", libc::SIGPIPE),
        ("ALRM", libc::SIGALRM),
        ("TERM", libc::SIGTERM),
        ("STKFLT", libc::SIGSTKFLT),
        ("CHLD", libc::SIGCHLD),
        ("CONT", libc::SIGCONT),
        ("STOP", libc::SIGSTOP),
        ("TSTP", libc::SIGTSTP),
        ("TTIN", libc::SIGTTIN),
        ("TTOU", libc::SIGTTOU),
        ("URG", libc::SIGURG),
        ("XCPU", libc::SIGXCPU),
        ("XFSZ", libc::SIGXFSZ),
        ("VTALRM", libc::SIGVTALRM),
        ("PROF", libc::SIGPROF),
        ("WINCH", libc::SIGWINCH),
        ("IO", libc::SIGIO),
        ("SYS", libc::SIGSYS),
    ];
    if let Some(n) = parse_u32(s, 10) {
        return (1..=64).contains(&n).then_some(n as i32);
    }
    let upper: Vec<u8> = s.to_ascii_uppercase();
    let bare = upper.strip_prefix(b"SIG").unwrap_or(&upper);
    NAMES
        .iter()
        .find(|(n, _)| n.as_bytes() == bare)
        .map(|&(_, sig)| sig)
}

/// The 1-based number of the first line of `lines` whose inside or outside range overlaps that of
/// an earlier line (the kernel rejects such a map with EINVAL).
pub(crate) fn overlapping(lines: &[IdMap]) -> Option<usize> {
    let meets = |a: u32, b: u32, count_a: u32, count_b: u32| {
        let (a, b) = (u64::from(a), u64::from(b));
        a < b + u64::from(count_b) && b < a + u64::from(count_a)
    };
    lines.iter().enumerate().find_map(|(i, m)| {
        lines[..i]
            .iter()
            .any(|e| {
                meets(m.inside, e.inside, m.count, e.count)
                    || meets(m.outside, e.outside, m.count, e.count)
            })
            .then_some(i + 1)
    })
}

pub(crate) fn check_var(name: &[u8], var: &[u8]) -> Result<(), String> {
    if var.is_empty() || var.contains(&b'=') {
        return Err(format!(
            "{}: '{}' is not a variable name",
            Show(name),
            Show(var)
        ));
    }
    Ok(())
}

/// The descriptor number of `--keep-fd`, `--info-fd`, `--json-status-fd`: 3 and up (0, 1 and 2
/// always pass).
pub(crate) fn fd_number(name: &[u8], v: &[u8]) -> Result<i32, String> {
    let fd = parse_u32(v, 10).filter(|fd| *fd >= 3 && *fd < i32::MAX as u32);
    fd.map(|fd| fd as i32).ok_or_else(|| {
        format!(
            "{}: '{}' is not a descriptor number from 3 to 2147483646",
            Show(name),
            Show(v)
        )
    })
}

/// A number in `radix` (8 or 10): digits only, no sign or space.
pub(crate) fn parse_u32(s: &[u8], radix: u32) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    core::str::from_utf8(s)
        .ok()
        .and_then(|s| u32::from_str_radix(s, radix).ok())
}

/// `1048576`, `64k`, `16M`, `1g`.
pub(crate) fn parse_size(s: &[u8]) -> Option<u64> {
    let (digits, shift) = match s.last()?.to_ascii_lowercase() {
        b'k' => (&s[..s.len() - 1], 10),
        b'm' => (&s[..s.len() - 1], 20),
        b'g' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = core::str::from_utf8(digits).ok()?.parse().ok()?;
    // 0 means "no limit" to the kernel, and it parses sizes as signed 64-bit numbers.
    n.checked_mul(1 << shift)
        .filter(|&bytes| bytes > 0 && bytes <= i64::MAX as u64)
}

pub(crate) fn parse_mode(s: &[u8]) -> Option<u32> {
    parse_u32(s, 8).filter(|m| *m <= 0o7777)
}

pub(crate) fn parse_id_map(s: &[u8]) -> Option<IdMap> {
    let mut parts = s.split(|&b| b == b':').map(|p| parse_u32(p, 10));
    let map = IdMap {
        inside: parts.next()??,
        outside: parts.next()??,
        count: parts.next()??,
    };
    // Both ranges must end below 2^32, as the kernel checks (id 2^32-1 is never valid).
    let fits = |first: u32| first.checked_add(map.count).is_some();
    (parts.next().is_none() && map.count > 0 && fits(map.inside) && fits(map.outside))
        .then_some(map)
}
