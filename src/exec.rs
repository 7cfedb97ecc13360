//! The command to execute, prepared before clone so the child only walks arrays.

use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ptr::null;
use rustix::io::Errno;

use crate::env;
use crate::spec::Bytes;
use crate::step::c_string;
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
        let candidates = if name.contains(&b'/') {
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

    /// Tries each candidate path; returns only if none could be executed, with the errno to report:
    /// EACCES if any candidate was found but not executable, else the last error (execvp's rule).
    pub fn run(&self) -> Errno {
        let mut denied = false;
        let mut last = Errno::NOENT;
        for path in &self.candidates {
            last = sys::exec::execve(path, &self.argv, &self.envp);
            match last {
                Errno::ACCESS => denied = true,
                Errno::NOENT | Errno::NOTDIR => {}
                _ => return last,
            }
        }
        if denied {
            Errno::ACCESS
        } else {
            last
        }
    }
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
}
