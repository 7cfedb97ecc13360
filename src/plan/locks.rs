//! The locks of [`crate::confine`] as the plan prepares them: what the capability options come
//! to, and the steps the child and the command process apply.

use alloc::format;
use alloc::vec::Vec;

use super::Refusal;
use crate::confine::caps;
use crate::setup::step::Step;
use crate::spec::{CapOp, CapsPreset, Spec};
use crate::status;

/// The preset in effect: the one asked for, else `container` with `--root`, else `all`.
pub fn caps_preset(spec: &Spec) -> CapsPreset {
    match (spec.locks.caps_preset, &spec.root) {
        (Some(p), _) => p,
        (None, Some(_)) => CapsPreset::Container,
        (None, None) => CapsPreset::All,
    }
}

/// What the command holds, or None when the capability options leave it as the kernel makes it
/// (preset `all`, nothing dropped or added).
pub fn caps(spec: &Spec) -> Result<Option<caps::Apply>, Refusal> {
    let preset = caps_preset(spec);
    if preset == CapsPreset::All && spec.locks.caps.is_empty() {
        return Ok(None);
    }
    let bounding = caps::bounding();
    let mut keep = match preset {
        CapsPreset::Container => caps::CONTAINER,
        CapsPreset::All => bounding,
    };
    let mut added = 0;
    for op in &spec.locks.caps {
        match *op {
            CapOp::Drop(m) => {
                keep &= !m;
                added &= !m;
            }
            CapOp::Add(m) => {
                keep |= m;
                // `--cap-add ALL` adds what nsrun holds.
                added |= m & if m == caps::ALL { bounding } else { m };
            }
        }
    }
    let missing = added & !bounding;
    if missing != 0 {
        return Err(Refusal {
            line: format!(
                "--cap-add {}: nsrun's bounding set lacks it, so the command cannot hold it \
                 (hint: see CapBnd in /proc/self/status; a capability once dropped from the \
                 bounding set cannot come back)",
                caps::describe(missing)
            ),
            code: status::SETUP_FAILED,
        });
    }
    keep &= bounding;
    Ok(Some(caps::Apply {
        keep,
        ambient: added & keep,
    }))
}

/// Whether no_new_privs is set: asked for, or implied by a seccomp filter or the container
/// preset.
pub fn no_new_privs(spec: &Spec) -> bool {
    spec.no_new_privs
        || !spec.locks.seccomp.is_empty()
        || caps_preset(spec) == CapsPreset::Container
}

/// The steps the command process applies just before exec, in this order: a new session, the
/// umask, the resource limits (raising one needs CAP_SYS_RESOURCE, so before the capabilities
/// go), the capabilities.
pub fn exec_steps(spec: &Spec, caps: Option<caps::Apply>, steps: &mut Vec<Step>) {
    let locks = &spec.locks;
    if locks.new_session {
        steps.push(Step::NewSession);
    }
    if let Some(mask) = locks.umask {
        steps.push(Step::Umask(mask));
    }
    for limit in &locks.rlimits {
        steps.push(Step::Rlimit(*limit));
    }
    if let Some(apply) = caps {
        steps.push(Step::Caps(apply));
    }
}
