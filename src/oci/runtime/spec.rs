//! `spec [--rootless] [--bundle DIR]`: writes a default config.json (runc's), refusing to
//! replace one.

use super::Failed;

/// runc's `spec`.
const DEFAULT: &[u8] = include_bytes!("spec-default.json");
/// runc's `spec --rootless`.
const ROOTLESS: &[u8] = include_bytes!("spec-rootless.json");

/// Runs `spec`.
pub fn run(rootless: bool, bundle: Option<&[u8]>) -> Result<(), Failed> {
    use rustix::fs::{Mode, OFlags};
    let path = match bundle {
        Some(dir) => [dir, b"/config.json"].concat(),
        None => b"config.json".to_vec(),
    };
    let what = |e| crate::report::line(&crate::out::around("write ", &path, ""), e, None);
    let fd = match rustix::fs::open(
        path.as_slice(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from(0o666),
    ) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::EXIST) => {
            return Err(crate::out::around(
                "File ",
                &path,
                " exists. Remove it first (nsrun spec does not replace a config)",
            ))
        }
        Err(e) => return Err(what(e)),
    };
    let text = if rootless { ROOTLESS } else { DEFAULT };
    let mut rest = text;
    while !rest.is_empty() {
        match rustix::io::write(&fd, rest) {
            Ok(n) => rest = &rest[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(what(e)),
        }
    }
    Ok(())
}
