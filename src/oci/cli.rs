//! The OCI runtime's command line, as runc's callers (podman's conmon, containerd's shim) write
//! it: global options (`--root DIR`, `--log FILE`, `--log-format text|json`, `--debug`,
//! `--systemd-cgroup`, `--rootless X`), then a command word and its own options and operands.
//!
//! [`select`] decides whether a command line is for this front end: a run of global options
//! followed by a runtime command word, or one of the words only a runtime has ([`OCI_ONLY`])
//! first. Anything else is nsrun's own command line, untouched (`nsrun --root DIR CMD` still
//! runs CMD in DIR; `nsrun -- start` runs a program named start). Each command has its table
//! ([`Item`]s of [`O`]) from which its options are parsed and its `--help` is made.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::cli::table::{self, Args, Command, Got, Item};
use crate::opt;

/// The words that select the OCI front end even without a global option before them.
pub const OCI_ONLY: [&str; 10] = [
    "create", "start", "state", "delete", "exec", "ps", "pause", "resume", "features", "spec",
];

/// The words that select it after global options (nsrun's own kill, list and run otherwise).
const AFTER_GLOBALS: [&str; 3] = ["kill", "list", "run"];

/// The global options, before the command word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Globals {
    /// `--root DIR`: the state directory (default: nsrun's, /run/nsrun for root).
    pub root: Option<Vec<u8>>,
    /// `--log FILE`: errors are appended there instead of stderr.
    pub log: Option<Vec<u8>>,
    /// `--log-format json`.
    pub json: bool,
    /// `--debug`.
    pub debug: bool,
    /// `--systemd-cgroup`: accepted; nsrun manages cgroupfs directly.
    pub systemd_cgroup: bool,
}

/// A command of the runtime, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// `create` (`run` with `start`: create, start, then wait unless `detach`).
    Create {
        /// `--bundle DIR` (default: the current directory).
        bundle: Option<Vec<u8>>,
        /// `--pid-file FILE`.
        pid_file: Option<Vec<u8>>,
        /// `--console-socket PATH`.
        console_socket: Option<Vec<u8>>,
        /// `--preserve-fds N`.
        preserve_fds: u32,
        /// The container's id.
        id: Vec<u8>,
        /// `run`: start it at once.
        start: bool,
        /// `run --detach`.
        detach: bool,
    },
    /// `start ID`.
    Start(Vec<u8>),
    /// `state ID`.
    State(Vec<u8>),
    /// `kill [--all] ID [SIGNAL]`.
    Kill {
        /// `--all`.
        all: bool,
        /// The id.
        id: Vec<u8>,
        /// The signal's number.
        signal: i32,
    },
    /// `delete [--force] ID`.
    Delete {
        /// `--force`.
        force: bool,
        /// The id.
        id: Vec<u8>,
    },
    /// `list [--format json] [--quiet]`.
    List {
        /// `--format json`.
        json: bool,
        /// `--quiet`: ids only.
        quiet: bool,
    },
    /// `ps [--format json] ID`.
    Ps {
        /// `--format json`.
        json: bool,
        /// The id.
        id: Vec<u8>,
    },
    /// `pause ID` (true) or `resume ID` (false).
    Freeze(bool, Vec<u8>),
    /// `features`.
    Features,
    /// `spec [--rootless] [--bundle DIR]`.
    Spec {
        /// `--rootless`.
        rootless: bool,
        /// `--bundle DIR`.
        bundle: Option<Vec<u8>>,
    },
    /// `exec [OPTIONS] ID [CMD...]`.
    Exec(Box<ExecArgs>),
    /// `--help` of a command, or `--version`.
    Print(String),
}

/// The options and operands of `exec`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecArgs {
    /// The container.
    pub id: Vec<u8>,
    /// `--process FILE`: the process's JSON (else the config's process with CMD).
    pub process: Option<Vec<u8>>,
    /// `--detach`.
    pub detach: bool,
    /// `--pid-file FILE`.
    pub pid_file: Option<Vec<u8>>,
    /// `--tty`: the process gets a terminal (as process.terminal: true).
    pub tty: bool,
    /// `--console-socket PATH`: where the terminal's master is sent.
    pub console_socket: Option<Vec<u8>>,
    /// `--cwd DIR`.
    pub cwd: Option<Vec<u8>>,
    /// `--env K=V`, in order.
    pub env: Vec<Vec<u8>>,
    /// `--user UID[:GID]`.
    pub user: Option<(u32, Option<u32>)>,
    /// `--no-new-privs`.
    pub no_new_privs: bool,
    /// The command, after ID.
    pub command: Vec<Vec<u8>>,
}

/// What the OCI front end was asked: the globals (known even when the command is bad, so its
/// error goes to the log), and the command or why it was refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// The global options.
    pub globals: Globals,
    /// The command, or its usage error.
    pub cmd: Result<Cmd, String>,
}

/// The option tags of every runtime table.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum O {
    /// `--root`.
    Root,
    /// `--log`.
    Log,
    /// `--log-format`.
    LogFormat,
    /// `--debug`.
    Debug,
    /// `--systemd-cgroup`.
    SystemdCgroup,
    /// `--rootless` (global: a value; of `spec`: a flag).
    Rootless,
    /// `--bundle`.
    Bundle,
    /// `--pid-file`.
    PidFile,
    /// `--console-socket`.
    ConsoleSocket,
    /// `--preserve-fds`.
    PreserveFds,
    /// `--no-pivot`, `--no-new-keyring` (accepted, see the README).
    Accepted,
    /// `--detach`.
    Detach,
    /// `--all`.
    All,
    /// `--force`.
    Force,
    /// `--format`.
    Format,
    /// `--quiet`.
    Quiet,
    /// `--help`.
    Help,
    /// `--process`.
    Process,
    /// `--tty`.
    Tty,
    /// `--cwd`.
    Cwd,
    /// `--env`.
    Env,
    /// `--user`.
    User,
    /// `--no-new-privs`.
    NoNewPrivs,
}

/// The global options.
pub const GLOBALS: &[Item<O>] = &[
    opt!(
        "",
        "--root",
        "",
        One,
        "DIR",
        "the state directory (default: nsrun's: /run/nsrun for root)",
        O::Root
    ),
    opt!(
        "",
        "--log",
        "",
        One,
        "FILE",
        "append error lines to FILE instead of stderr",
        O::Log
    ),
    opt!(
        "",
        "--log-format",
        "",
        One,
        "text|json",
        "json: one {\"level\",\"msg\",\"time\"} object a line",
        O::LogFormat
    ),
    opt!(
        "",
        "--debug",
        "",
        Flag,
        "",
        "accepted (nsrun logs errors and warnings only)",
        O::Debug
    ),
    opt!(
        "",
        "--systemd-cgroup",
        "",
        Flag,
        "",
        "accepted: nsrun manages cgroupfs itself",
        O::SystemdCgroup
    ),
    opt!(
        "",
        "--rootless",
        "",
        One,
        "true|false|auto",
        "accepted (nsrun tells from its uid)",
        O::Rootless
    ),
    opt!(
        "v",
        "--version",
        "",
        Flag,
        "",
        "the version block (also nsrun --version)",
        O::Help
    ),
];

const HELP: Item<O> = opt!("h", "--help", "", Flag, "", "this text", O::Help);

const CREATE: &[Item<O>] = &[
    opt!(
        "b",
        "--bundle",
        "",
        One,
        "DIR",
        "the bundle (default: the current directory)",
        O::Bundle
    ),
    opt!(
        "",
        "--pid-file",
        "",
        One,
        "FILE",
        "write the process's pid to FILE",
        O::PidFile
    ),
    opt!(
        "",
        "--console-socket",
        "",
        One,
        "PATH",
        "for process.terminal (not supported yet)",
        O::ConsoleSocket
    ),
    opt!(
        "",
        "--preserve-fds",
        "",
        One,
        "N",
        "pass descriptors 3 to 3+N-1 to the process",
        O::PreserveFds
    ),
    opt!(
        "",
        "--no-pivot",
        "",
        Flag,
        "",
        "accepted (nsrun always uses pivot_root)",
        O::Accepted
    ),
    opt!(
        "",
        "--no-new-keyring",
        "",
        Flag,
        "",
        "accepted (nsrun makes no keyring)",
        O::Accepted
    ),
    HELP,
];

const RUN: &[Item<O>] = &[
    opt!(
        "b",
        "--bundle",
        "",
        One,
        "DIR",
        "the bundle (default: the current directory)",
        O::Bundle
    ),
    opt!(
        "",
        "--pid-file",
        "",
        One,
        "FILE",
        "write the process's pid to FILE",
        O::PidFile
    ),
    opt!(
        "d",
        "--detach",
        "",
        Flag,
        "",
        "return once it runs, do not wait",
        O::Detach
    ),
    opt!(
        "",
        "--console-socket",
        "",
        One,
        "PATH",
        "for process.terminal (not supported yet)",
        O::ConsoleSocket
    ),
    opt!(
        "",
        "--preserve-fds",
        "",
        One,
        "N",
        "pass descriptors 3 to 3+N-1 to the process",
        O::PreserveFds
    ),
    opt!(
        "",
        "--no-pivot",
        "",
        Flag,
        "",
        "accepted (nsrun always uses pivot_root)",
        O::Accepted
    ),
    opt!(
        "",
        "--no-new-keyring",
        "",
        Flag,
        "",
        "accepted (nsrun makes no keyring)",
        O::Accepted
    ),
    HELP,
];

const ONLY_HELP: &[Item<O>] = &[HELP];

const KILL: &[Item<O>] = &[
    opt!(
        "a",
        "--all",
        "",
        Flag,
        "",
        "every process of its cgroup (or PID namespace)",
        O::All
    ),
    HELP,
    Item::Note("SIGNAL: a name (TERM, SIGTERM, term) or a number; default TERM."),
];

const DELETE: &[Item<O>] = &[
    opt!(
        "f",
        "--force",
        "",
        Flag,
        "",
        "kill a running container first",
        O::Force
    ),
    HELP,
];

const LIST: &[Item<O>] = &[
    opt!(
        "f",
        "--format",
        "",
        One,
        "table|json",
        "the output format",
        O::Format
    ),
    opt!("q", "--quiet", "", Flag, "", "ids only", O::Quiet),
    HELP,
];

const PS: &[Item<O>] = &[
    opt!(
        "f",
        "--format",
        "",
        One,
        "table|json",
        "json: an array of pids",
        O::Format
    ),
    HELP,
];

const SPEC: &[Item<O>] = &[
    opt!(
        "b",
        "--bundle",
        "",
        One,
        "DIR",
        "where to write config.json (default: here)",
        O::Bundle
    ),
    opt!(
        "",
        "--rootless",
        "",
        Flag,
        "",
        "a config for an ordinary user",
        O::Rootless
    ),
    HELP,
];

const EXEC: &[Item<O>] = &[
    opt!(
        "p",
        "--process",
        "",
        One,
        "FILE",
        "the process's JSON (runtime spec's process)",
        O::Process
    ),
    opt!(
        "d",
        "--detach",
        "",
        Flag,
        "",
        "return once it runs (its parent: the caller's subreaper)",
        O::Detach
    ),
    opt!(
        "",
        "--pid-file",
        "",
        One,
        "FILE",
        "write the process's pid to FILE",
        O::PidFile
    ),
    opt!(
        "t",
        "--tty",
        "",
        Flag,
        "",
        "a terminal (its master is sent to --console-socket)",
        O::Tty
    ),
    opt!(
        "",
        "--console-socket",
        "",
        One,
        "PATH",
        "the socket that receives the terminal's master",
        O::ConsoleSocket
    ),
    opt!(
        "",
        "--cwd",
        "",
        One,
        "DIR",
        "the working directory inside",
        O::Cwd
    ),
    opt!(
        "e",
        "--env",
        "",
        One,
        "K=V",
        "set an environment variable (repeatable)",
        O::Env
    ),
    opt!(
        "u",
        "--user",
        "",
        One,
        "UID[:GID]",
        "run as these ids",
        O::User
    ),
    opt!(
        "",
        "--no-new-privs",
        "",
        Flag,
        "",
        "set no_new_privs",
        O::NoNewPrivs
    ),
    HELP,
];

/// The runtime's commands, for the help.
pub const COMMANDS: &[(Command, &[Item<O>])] = &[
    (
        cmd(
            "create",
            "[OPTIONS] ID",
            "Set a container up from its bundle; its process waits for start.",
        ),
        CREATE,
    ),
    (
        cmd("start", "ID", "Let a created container's process run."),
        ONLY_HELP,
    ),
    (
        cmd("state", "ID", "The container's state as JSON."),
        ONLY_HELP,
    ),
    (
        cmd(
            "kill",
            "[--all] ID [SIGNAL]",
            "Signal the container's process (default TERM).",
        ),
        KILL,
    ),
    (
        cmd(
            "delete",
            "[--force] ID",
            "Remove a stopped container (--force: any).",
        ),
        DELETE,
    ),
    (
        cmd(
            "run",
            "[OPTIONS] ID",
            "create, start, then wait for it and exit with its status.",
        ),
        RUN,
    ),
    (
        cmd("list", "[--format json] [--quiet]", "The containers."),
        LIST,
    ),
    (
        cmd(
            "ps",
            "[--format json] ID",
            "The pids of the container's processes.",
        ),
        PS,
    ),
    (
        cmd(
            "pause",
            "ID",
            "Freeze every process of the container (its cgroup's freezer).",
        ),
        ONLY_HELP,
    ),
    (cmd("resume", "ID", "Thaw a paused container."), ONLY_HELP),
    (
        cmd("features", "", "What this runtime supports, as JSON."),
        ONLY_HELP,
    ),
    (
        cmd(
            "spec",
            "[--rootless] [--bundle DIR]",
            "Write a default config.json.",
        ),
        SPEC,
    ),
    (
        cmd(
            "exec",
            "[OPTIONS] ID [CMD...]",
            "Run a process in a running container.",
        ),
        EXEC,
    ),
];

const fn cmd(name: &'static str, usage: &'static str, about: &'static str) -> Command {
    Command { name, usage, about }
}

/// The version block (podman reads its first line).
pub fn version() -> String {
    String::from(concat!(
        "nsrun version ",
        env!("CARGO_PKG_VERSION"),
        "\nspec: 1.0.2-dev\ngo: none (Rust, no_std, static)\nlibseccomp: none (nsrun's own BPF compiler)\n"
    ))
}

/// The OCI request in `args` (the words after argv\[0\]), or None when they are for nsrun's
/// own command line.
pub fn select(args: &[&[u8]]) -> Option<Request> {
    let first = args.first()?;
    if first.first() != Some(&b'-') && !OCI_ONLY.iter().any(|w| w.as_bytes() == *first) {
        return None;
    }
    // A run of global options, then the word.
    let mut at = 0;
    // --log-format, --debug, --systemd-cgroup and --rootless are no options of nsrun's run:
    // after them any word is the runtime's (an unknown one an error in the log).
    let mut only_oci = false;
    while let Some(w) = args.get(at) {
        let takes_value = [&b"--root"[..], b"--log", b"--log-format", b"--rootless"]
            .iter()
            .any(|g| w == g);
        let is_global = takes_value
            || [&b"--debug"[..], b"--systemd-cgroup"].contains(w)
            || [&b"--root="[..], b"--log=", b"--log-format=", b"--rootless="]
                .iter()
                .any(|g| w.starts_with(g));
        if !is_global {
            break;
        }
        let nsruns_too = [&b"--root"[..], b"--log"].contains(w)
            || w.starts_with(b"--root=")
            || w.starts_with(b"--log=");
        only_oci |= !nsruns_too;
        at += if takes_value { 2 } else { 1 };
    }
    let word = args.get(at).copied().unwrap_or_default();
    let runtime = OCI_ONLY
        .iter()
        .chain(&AFTER_GLOBALS)
        .any(|w| w.as_bytes() == word);
    let selected = match at {
        0 => OCI_ONLY.iter().any(|w| w.as_bytes() == word),
        _ => runtime || only_oci,
    };
    if !selected {
        return None;
    }
    let mut globals = Globals::default();
    if let Err(e) = parse_globals(&args[..at], &mut globals) {
        return Some(Request {
            globals,
            cmd: Err(e),
        });
    }
    let cmd = match args.get(at) {
        Some(_) => parse_command(word, &args[at + 1..]),
        None => Err(String::from("no command given")),
    };
    Some(Request { globals, cmd })
}

fn parse_globals(words: &[&[u8]], g: &mut Globals) -> Result<(), String> {
    let mut args = Args::new(words, GLOBALS);
    loop {
        match args.take()? {
            Got::Opt { def, value, .. } => {
                let v = value.unwrap_or_default().to_vec();
                match def.tag {
                    O::Root => g.root = Some(non_empty("--root", v)?),
                    O::Log => g.log = Some(non_empty("--log", v)?),
                    O::LogFormat => {
                        g.json = match v.as_slice() {
                            b"json" => true,
                            b"text" => false,
                            _ => {
                                return Err(crate::out::around(
                                    "--log-format: '",
                                    &v,
                                    "' is neither text nor json",
                                ))
                            }
                        }
                    }
                    O::Debug => g.debug = true,
                    O::SystemdCgroup => g.systemd_cgroup = true,
                    O::Help => return Err(String::from("--version")),
                    _ => {}
                }
            }
            Got::Operand(w) => return Err(crate::out::around("unexpected '", w, "'")),
            Got::End => return Ok(()),
        }
    }
}

fn non_empty(name: &str, v: Vec<u8>) -> Result<Vec<u8>, String> {
    match v.is_empty() {
        true => Err(crate::out::cat(&[name, ": the value must not be empty"])),
        false => Ok(v),
    }
}

/// What one command's options were.
#[derive(Default)]
struct Opts {
    bundle: Option<Vec<u8>>,
    pid_file: Option<Vec<u8>>,
    console_socket: Option<Vec<u8>>,
    preserve_fds: u32,
    detach: bool,
    all: bool,
    force: bool,
    json: bool,
    quiet: bool,
    rootless: bool,
}

/// The `--help` text of runtime command `name`.
pub fn help_of(name: &str) -> Option<String> {
    let (command, items) = COMMANDS.iter().find(|(c, _)| c.name == name)?;
    let mut text = String::new();
    table::help(command, items, &mut text);
    Some(text)
}

fn parse_command(word: &[u8], words: &[&[u8]]) -> Result<Cmd, String> {
    let (command, items) = COMMANDS
        .iter()
        .find(|(c, _)| c.name.as_bytes() == word)
        .ok_or_else(|| crate::out::around("'", word, "' is not a runtime command"))?;
    let name = command.name;
    let in_command = |e: String| crate::out::cat(&[name, ": ", &e]);
    let mut args = Args::new(words, items);
    let mut o = Opts::default();
    let mut x = ExecArgs::default();
    let mut operands: Vec<&[u8]> = Vec::new();
    loop {
        match args.take().map_err(in_command)? {
            Got::Opt { def, value, .. } => {
                let v = || value.unwrap_or_default().to_vec();
                match def.tag {
                    O::Process => x.process = Some(non_empty("--process", v())?),
                    O::Tty => x.tty = true,
                    O::Cwd => x.cwd = Some(non_empty("--cwd", v())?),
                    O::Env if v().contains(&b'=') => x.env.push(v()),
                    O::Env => return Err(in_command("--env: K=V expected".into())),
                    O::NoNewPrivs => x.no_new_privs = true,
                    O::User => {
                        let val = v();
                        let mut parts = val.splitn(2, |&b| b == b':');
                        let uid = parts.next().and_then(|u| crate::cli::parse_u32(u, 10));
                        let gid = parts.next().map(|g| crate::cli::parse_u32(g, 10));
                        x.user = match (uid, gid) {
                            (Some(u), None) => Some((u, None)),
                            (Some(u), Some(Some(g))) => Some((u, Some(g))),
                            _ => return Err(in_command("--user: UID[:GID] in numbers".into())),
                        };
                    }
                    O::Bundle => o.bundle = Some(non_empty("--bundle", v())?),
                    O::PidFile => o.pid_file = Some(non_empty("--pid-file", v())?),
                    O::ConsoleSocket => {
                        o.console_socket = Some(non_empty("--console-socket", v())?)
                    }
                    O::PreserveFds => {
                        o.preserve_fds = crate::cli::parse_u32(&v(), 10)
                            .filter(|n| *n < 1 << 20)
                            .ok_or_else(|| in_command("--preserve-fds: not a number".into()))?
                    }
                    O::Detach => o.detach = true,
                    O::All => o.all = true,
                    O::Force => o.force = true,
                    O::Quiet => o.quiet = true,
                    O::Rootless => o.rootless = true,
                    O::Format => {
                        o.json = match v().as_slice() {
                            b"json" => true,
                            b"table" => false,
                            _ => return Err(in_command("--format: table or json".into())),
                        }
                    }
                    O::Help => return Ok(Cmd::Print(help_of(name).unwrap_or_default())),
                    _ => {}
                }
            }
            // exec: the command follows the id, its words its own.
            Got::Operand(w) if name == "exec" => {
                crate::state::check_id(w).map_err(in_command)?;
                x.id = w.to_vec();
                x.command = args.rest().iter().map(|w| w.to_vec()).collect();
                break;
            }
            Got::Operand(w) => operands.push(w),
            Got::End if name == "exec" => {
                let rest = args.rest();
                let (id, command) = rest
                    .split_first()
                    .ok_or_else(|| in_command("needs the container's ID".into()))?;
                crate::state::check_id(id).map_err(in_command)?;
                x.id = id.to_vec();
                x.command = command.iter().map(|w| w.to_vec()).collect();
                break;
            }
            Got::End => {
                operands.extend_from_slice(args.rest());
                break;
            }
        }
    }
    if name == "exec" {
        x.detach = o.detach;
        x.pid_file = o.pid_file;
        x.console_socket = o.console_socket;
        return Ok(Cmd::Exec(Box::new(x)));
    }
    command_of(name, o, &operands).map_err(in_command)
}

fn command_of(name: &str, o: Opts, operands: &[&[u8]]) -> Result<Cmd, String> {
    let id = |n: usize| -> Result<Vec<u8>, String> {
        match operands {
            [] => Err(String::from("needs the container's ID")),
            [id, ..] if operands.len() <= n => {
                crate::state::check_id(id)?;
                Ok(id.to_vec())
            }
            _ => Err(String::from("too many arguments")),
        }
    };
    Ok(match name {
        "create" | "run" => Cmd::Create {
            id: id(1)?,
            bundle: o.bundle,
            pid_file: o.pid_file,
            console_socket: o.console_socket,
            preserve_fds: o.preserve_fds,
            start: name == "run",
            detach: o.detach,
        },
        "start" => Cmd::Start(id(1)?),
        "state" => Cmd::State(id(1)?),
        "kill" => Cmd::Kill {
            all: o.all,
            id: id(2)?,
            signal: match operands.get(1) {
                None => libc::SIGTERM,
                Some(s) => crate::cli::signal_number(s).ok_or_else(|| {
                    crate::out::around("'", s, "' is not a signal name or number")
                })?,
            },
        },
        "delete" => Cmd::Delete {
            force: o.force,
            id: id(1)?,
        },
        "list" if operands.is_empty() => Cmd::List {
            json: o.json,
            quiet: o.quiet,
        },
        "list" => return Err(String::from("takes no arguments")),
        "ps" => Cmd::Ps {
            json: o.json,
            id: id(usize::MAX)?,
        },
        "pause" => Cmd::Freeze(true, id(1)?),
        "resume" => Cmd::Freeze(false, id(1)?),
        "features" if operands.is_empty() => Cmd::Features,
        "features" => return Err(String::from("takes no arguments")),
        "spec" if operands.is_empty() => Cmd::Spec {
            rootless: o.rootless,
            bundle: o.bundle,
        },
        _ => return Err(String::from("takes no arguments")),
    })
}

/// The request as nsrun's [`crate::cli::Parsed`].
pub fn boxed(r: Request) -> Box<Request> {
    Box::new(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(words: &[&str]) -> Option<Request> {
        let bytes: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        select(&bytes)
    }

    #[test]
    fn which_command_lines_are_the_runtimes() {
        // Runtime-only words, with or without globals.
        assert!(sel(&["start", "x"]).is_some());
        assert!(sel(&["--root", "/r", "create", "x"]).is_some());
        assert!(sel(&["--root=/r", "--log-format=json", "--log", "f", "state", "x"]).is_some());
        // kill, list and run only after a global option.
        assert!(sel(&["kill", "x"]).is_none());
        assert!(sel(&["list"]).is_none());
        assert!(sel(&["run", "--", "true"]).is_none());
        assert!(sel(&["--root", "/r", "kill", "x", "9"]).is_some());
        assert!(sel(&["--systemd-cgroup", "list"]).is_some());
        // nsrun's own meanings stay.
        assert!(sel(&["--", "start"]).is_none());
        assert!(sel(&["--root", "/r", "sh"]).is_none());
        assert!(sel(&["--root", "/r", "--", "start"]).is_none());
        assert!(sel(&["--version"]).is_none());
        assert!(sel(&[]).is_none());
    }

    #[test]
    fn globals_and_commands_are_parsed() {
        let r = sel(&[
            "--root",
            "/r",
            "--log",
            "/l",
            "--log-format",
            "json",
            "--debug",
            "kill",
            "--all",
            "id",
            "KILL",
        ])
        .unwrap();
        assert_eq!(r.globals.root.as_deref(), Some(&b"/r"[..]));
        assert_eq!(r.globals.log.as_deref(), Some(&b"/l"[..]));
        assert!(r.globals.json && r.globals.debug);
        assert_eq!(
            r.cmd,
            Ok(Cmd::Kill {
                all: true,
                id: b"id".to_vec(),
                signal: libc::SIGKILL
            })
        );
        let r = sel(&[
            "create",
            "-b",
            "/b",
            "--pid-file=/p",
            "--no-pivot",
            "--preserve-fds",
            "2",
            "abc",
        ])
        .unwrap();
        match r.cmd {
            Ok(Cmd::Create {
                bundle,
                pid_file,
                preserve_fds,
                id,
                start,
                ..
            }) => {
                assert_eq!(bundle.as_deref(), Some(&b"/b"[..]));
                assert_eq!(pid_file.as_deref(), Some(&b"/p"[..]));
                assert_eq!((preserve_fds, start), (2, false));
                assert_eq!(id, b"abc");
            }
            other => panic!("{other:?}"),
        }
        let r = sel(&[
            "exec",
            "-d",
            "--pid-file",
            "/p",
            "-e",
            "A=1",
            "id1",
            "sh",
            "-c",
            "x",
        ])
        .unwrap();
        match r.cmd {
            Ok(Cmd::Exec(x)) => {
                assert_eq!(x.id, b"id1");
                assert!(x.detach);
                assert_eq!(x.env, [b"A=1".to_vec()]);
                assert_eq!(x.command, [b"sh".to_vec(), b"-c".to_vec(), b"x".to_vec()]);
            }
            other => panic!("{other:?}"),
        }
        // conmon and containerd's shim: the terminal and where its master goes.
        let r = sel(&["exec", "-d", "-t", "--console-socket", "/s", "id1", "tty"]).unwrap();
        match r.cmd {
            Ok(Cmd::Exec(x)) => {
                assert!(x.tty && x.detach);
                assert_eq!(x.console_socket.as_deref(), Some(&b"/s"[..]));
                assert_eq!(x.command, [b"tty".to_vec()]);
            }
            other => panic!("{other:?}"),
        }
        match sel(&["exec", "--console-socket=/s", "id1"]).unwrap().cmd {
            Ok(Cmd::Exec(x)) => {
                assert!(!x.tty);
                assert_eq!(x.console_socket.as_deref(), Some(&b"/s"[..]));
            }
            other => panic!("{other:?}"),
        }
        let bad = |w: &[&str]| sel(w).unwrap().cmd.unwrap_err();
        assert!(bad(&["exec", "--console-socket", "", "id"]).contains("must not be empty"));
        assert!(bad(&["exec", "--user", "x", "id"]).contains("--user"));
        assert!(bad(&["create", "--nope", "x"]).contains("--nope"));
        assert!(bad(&["start"]).contains("needs the container's ID"));
        assert!(bad(&["start", "a", "b"]).contains("too many"));
        assert!(bad(&["state", "a/b"]).contains("may hold only"));
        assert!(bad(&["--log-format", "xml", "state", "x"]).contains("xml"));
        assert!(bad(&["--root", "/r", "kill", "x", "SIGNOPE"]).contains("SIGNOPE"));
        // After a global nsrun's run does not have, any word is the runtime's.
        assert!(bad(&["--log-format", "json", "frob", "x"]).contains("not a runtime command"));
        assert!(bad(&["--debug"]).contains("no command"));
    }
}
