//! The command to execute, prepared before clone so the child only walks arrays.

use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ptr::null;
use rustix::io::Errno;

use crate::plan::env;
use crate::report::{Failure, Found};
use crate::setup::step::c_string;
use crate::spec::Bytes;
use crate::sys;

/// The search path when the command's environment has no PATH (that of execvp and bash).
const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The command: the paths to try in order, and its argument and environment arrays.
pub struct Exec {
    /// The command as the user named it, for messages.
    pub name: Bytes,
    candidates: Vec<CString>,
    _strings: Vec<CString>,
    argv: Vec<*const u8>,
    envp: Vec<*const u8>,
}

impl Exec {
    /// Prepares `command` (empty: $SHELL, else /bin/sh) to run with environment `envs`. A name with a
    /// slash is used as it is; any other is looked up in PATH, the way execvp does.
    pub fn new(command: &[Bytes], envs: Vec<Bytes>) -> Exec {
        let shell: Vec<Bytes>;
        let command = if command.is_empty() {
            shell = [env::get(&envs, b"SHELL")
                .filter(|s| !s.is_empty())
                .unwrap_or(b"/bin/sh")
                .to_vec()]
            .into();
            &shell
        } else {
            command
        };
        let name = command[0].clone();
        // An empty name names no file (execvp fails it with ENOENT): no candidate at all, where a
        // PATH search would try each directory itself and fail with EACCES.
        let candidates = if name.is_empty() {
            Vec::new()
        } else if name.contains(&b'/') {
            [c_string(name.clone())].into()
        } else {
            let path = env::get(&envs, b"PATH").unwrap_or(DEFAULT_PATH);
            path.split(|&b| b == b':')
                .map(|dir| {
                    let dir = if dir.is_empty() { &b"."[..] } else { dir };
                    let mut full = dir.to_vec();
                    full.push(b'/');
                    full.extend_from_slice(&name);
                    c_string(full)
                })
                .collect()
        };
        let strings: Vec<CString> = command.iter().chain(&envs).cloned().map(c_string).collect();
        let (args, vars) = strings.split_at(command.len());
        let argv = args
            .iter()
            .map(|s| s.as_ptr().cast::<u8>())
            .chain([null()])
            .collect();
        let envp = vars
            .iter()
            .map(|s| s.as_ptr().cast::<u8>())
            .chain([null()])
            .collect();
        Exec {
            name,
            candidates,
            _strings: strings,
            argv,
            envp,
        }
    }

    /// The `i`th path tried, for messages.
    pub fn candidate(&self, i: usize) -> Option<&[u8]> {
        self.candidates.get(i).map(|c| c.to_bytes())
    }

    /// Whether a candidate can be executed, without executing it (OCI `create` checks before
    /// it waits for `start`): the first regular file with execute permission; else the failure
    /// the exec would report (EACCES if one was found but not executable, else ENOENT). Runs in
    /// the child: it allocates nothing.
    pub fn check(&self) -> Result<(), Failure> {
        use rustix::fs::{Access, FileType};
        let mut denied = false;
        for path in &self.candidates {
            match rustix::fs::stat(path.as_c_str()) {
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::RegularFile => {
                    match rustix::fs::access(path.as_c_str(), Access::EXEC_OK) {
                        Ok(()) => return Ok(()),
                        Err(_) => denied = true,
                    }
                }
                Ok(_) => denied = true,
                Err(_) => {}
            }
        }
        Err(Failure::from(match denied {
            true => Errno::ACCESS,
            false => Errno::NOENT,
        }))
    }

    /// Tries each candidate path; returns only if none could be executed, with the errno to report:
    /// EACCES if any candidate was found but not executable, else the last error (execvp's rule).
    /// An ENOENT from a candidate that exists as a regular file means its interpreter (the `#!`
    /// line's, or an ELF program's loader) is missing: the failure says which candidate it was.
    /// Runs in the child: it allocates nothing.
    pub fn run(&self) -> Failure {
        let mut denied = false;
        let mut last = Errno::NOENT;
        let mut found = None;
        for (i, path) in self.candidates.iter().enumerate() {
            last = sys::exec::execve(path, &self.argv, &self.envp);
            match last {
                Errno::ACCESS => denied = true,
                Errno::NOENT if found.is_none() => {
                    found = interpreter_missing(path).map(|what| (i, what));
                }
                Errno::NOENT | Errno::NOTDIR => {}
                _ => return Failure::from(last),
            }
        }
        match (denied, found) {
            (true, _) => Failure::from(Errno::ACCESS),
            (false, Some((i, what))) if last == Errno::NOENT || last == Errno::NOTDIR => Failure {
                errno: Errno::NOENT,
                found: what,
                candidate: u16::try_from(i).unwrap_or(u16::MAX),
            },
            _ => Failure::from(last),
        }
    }
}

/// After execve of `path` failed with ENOENT: whether `path` is there all the same (a regular
/// file), and if so what kind of program it is, from its first two bytes (no allocation).
fn interpreter_missing(path: &core::ffi::CStr) -> Option<Found> {
    use rustix::fs::{FileType, Mode, OFlags};
    let st = rustix::fs::stat(path).ok()?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return None;
    }
    let mut head = [0u8; 2];
    let read = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .ok()
        .and_then(|fd| rustix::io::read(&fd, &mut head).ok());
    Some(match (read, &head) {
        (Some(2), b"#!") => Found::Script,
        (Some(2), b"\x7fE") => Found::Elf,
        _ => Found::Exists,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_search_candidates() {
        let e = Exec::new(&[b"ls".to_vec()], [b"PATH=/a::/b".to_vec()].into());
        let c: Vec<_> = e.candidates.iter().map(|c| c.to_bytes()).collect();
        assert_eq!(c, [&b"/a/ls"[..], b"./ls", b"/b/ls"]);
        assert_eq!(e.argv.len(), 2);
        assert!(e.argv[1].is_null() && e.envp[1].is_null());
    }

    #[test]
    fn slash_means_no_search_and_shell_default() {
        let e = Exec::new(&[b"./x".to_vec()], Vec::new());
        assert_eq!(e.candidates.len(), 1);
        let e = Exec::new(&[], [b"SHELL=/bin/zsh".to_vec()].into());
        assert_eq!(e.name, b"/bin/zsh");
        let e = Exec::new(&[], Vec::new());
        assert_eq!(e.name, b"/bin/sh");
    }

    #[test]
    fn an_empty_name_is_not_found() {
        let e = Exec::new(&[b"".to_vec()], [b"PATH=/bin:/usr/bin".to_vec()].into());
        assert!(e.candidates.is_empty());
        let f = e.run();
        assert_eq!((f.errno, f.found), (Errno::NOENT, Found::Nothing));
        assert_eq!(crate::report::exec_status(f.errno), 127);
    }

    #[test]
    fn a_script_whose_interpreter_is_missing() {
        let dir = std::env::temp_dir().join(format!("nsrun-exec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("s");
        std::fs::write(&script, "#!/nonexistent/interpreter\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("/nonexistent-dir:{}", dir.display());
        let e = Exec::new(
            &[b"s".to_vec()],
            [format!("PATH={path}").into_bytes()].into(),
        );
        let f = e.run();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            (f.errno, f.found, f.candidate),
            (Errno::NOENT, Found::Script, 1)
        );
        assert_eq!(e.candidate(1), Some(script.to_str().unwrap().as_bytes()));
        let f = Exec::new(&[b"/nonexistent/x".to_vec()], Vec::new()).run();
        assert_eq!((f.errno, f.found), (Errno::NOENT, Found::Nothing));
    }
}
