//! `nsrun run --oci-bundle DIR`: the container DIR/config.json describes, run in the foreground
//! with the normal launcher ([`crate::oci::to_spec`]); the exit status is the process's.

use crate::{out, status};

/// The largest config.json read (podman's are about 30 KB, with the seccomp profile).
const MAX_CONFIG: usize = 4 << 20;

/// Reads, maps and runs the bundle `dir`.
pub fn run(dir: &[u8], environ: &[&[u8]]) -> i32 {
    let mut path = dir.to_vec();
    path.extend_from_slice(b"/config.json");
    let shown = crate::out::around("--oci-bundle ", &path, "");
    let text = match crate::join::keep::read_all(
        &crate::setup::step::c_string(path.clone()),
        MAX_CONFIG,
    ) {
        Ok(text) => text,
        Err(e) => {
            let hint = "DIR is a bundle: a directory holding config.json and the root filesystem";
            out::error_str(&crate::report::line(&shown, e, Some(hint)));
            return status::USAGE;
        }
    };
    let spec = crate::oci::parse(&text).and_then(|c| {
        refuse_hooks(&c.hooks)?;
        crate::oci::to_spec(&c, dir)
    });
    match spec {
        Ok(spec) => crate::run::launch::run(&spec, environ),
        Err(e) => {
            out::error_str(&e.0);
            status::USAGE
        }
    }
}

/// The foreground run has none of the runtime's steps the hooks belong to (no state for them,
/// no create and start): a config.json with any is refused, naming the first list.
fn refuse_hooks(h: &crate::oci::Hooks) -> Result<(), crate::oci::Error> {
    match crate::oci::hooks::first_given(h) {
        Some(name) => Err(crate::oci::Error(alloc::format!(
            "config.json: hooks.{name}: run --oci-bundle runs no hooks (hint: the OCI \
             runtime's create, start and delete run them, or nsrun run ID for all three)"
        ))),
        None => Ok(()),
    }
}
