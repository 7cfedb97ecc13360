//! Exit statuses, the conventions of env(1), docker and podman.

/// Bad usage: unknown option, missing or malformed value.
pub const USAGE: i32 = 2;
/// nsrun's own setup failed (clone, propagation, mounts, hostname, ...).
pub const SETUP_FAILED: i32 = 125;
/// The command was found but could not be executed.
pub const CANNOT_EXECUTE: i32 = 126;
/// The command was not found.
pub const NOT_FOUND: i32 = 127;
/// Added to a signal number when the command was killed by that signal.
pub const SIGNAL_BASE: i32 = 128;

/// The exit status for a child's wait status: its code, or 128+N when signal N killed it.
pub fn from_wait(status: i32) -> i32 {
    let sig = status & 0x7f;
    if sig == 0 {
        (status >> 8) & 0xff
    } else {
        SIGNAL_BASE + sig
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_and_signal() {
        assert_eq!(from_wait(3 << 8), 3);
        assert_eq!(from_wait(0), 0);
        assert_eq!(from_wait(15), 143);
        assert_eq!(from_wait(9 | 0x80), 137);
    }
}
