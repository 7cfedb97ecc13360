//! Signal masks and synchronous waiting for signals.
//!
//! These use musl's sigprocmask/sigwaitinfo rather than rustix's `runtime::kernel_*` variants: musl
//! reserves signals for its own use and its wrappers respect that, while rustix's raw ones are meant for
//! programs that have no libc.

use core::mem::MaybeUninit;
use rustix::io::Errno;

/// A set of signals.
#[derive(Clone, Copy)]
pub struct SigSet(libc::sigset_t);

impl SigSet {
    /// The empty set.
    pub fn empty() -> SigSet {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset fully initialises the set it is given.
        unsafe {
            libc::sigemptyset(set.as_mut_ptr());
            SigSet(set.assume_init())
        }
    }

    /// The set holding exactly `signals`.
    pub fn of(signals: &[i32]) -> SigSet {
        let mut set = SigSet::empty();
        for &sig in signals {
            // SAFETY: `set.0` is an initialised sigset_t; an invalid number is rejected, not stored.
            unsafe { libc::sigaddset(&mut set.0, sig) };
        }
        set
    }
}

/// Blocks `set` in addition to the current mask and returns the previous mask.
pub fn block(set: &SigSet) -> SigSet {
    let mut old = SigSet::empty();
    // SAFETY: both pointers refer to initialised sigset_t values owned by this frame.
    unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set.0, &mut old.0) };
    old
}

/// Replaces the signal mask with `set`.
pub fn set_mask(set: &SigSet) {
    // SAFETY: the pointer refers to an initialised sigset_t; a null old-set pointer is allowed.
    unsafe { libc::sigprocmask(libc::SIG_SETMASK, &set.0, core::ptr::null_mut()) };
}

/// A signal taken from the pending set.
pub struct Caught {
    /// The signal number.
    pub signo: i32,
    /// Whether the kernel itself sent it (a terminal's ^C, ^\, resize or hangup), rather than a process.
    pub from_kernel: bool,
    /// Whether it was queued with [`queue_for_group`]: meant for the receiver's command's whole
    /// process group, as a terminal would have sent it.
    pub for_group: bool,
}

/// The value [`queue_for_group`] attaches to a signal.
const FOR_GROUP: usize = 0x6e73_7267; // "nsrg"

/// Waits until one of `set` (which must be blocked) is pending and takes it.
pub fn wait(set: &SigSet) -> Result<Caught, Errno> {
    let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
    loop {
        // SAFETY: `set` is initialised and `info` is a writable siginfo_t.
        let signo = unsafe { libc::sigwaitinfo(&set.0, info.as_mut_ptr()) };
        if signo > 0 {
            // SAFETY: sigwaitinfo filled `info` (and it was zeroed before); si_value is the
            // union member every queued signal carries, read only for SI_QUEUE.
            let (code, value) = unsafe {
                let info = info.assume_init_ref();
                (info.si_code, info.si_value().sival_ptr as usize)
            };
            return Ok(Caught {
                signo,
                from_kernel: code == libc::SI_KERNEL,
                for_group: code == libc::SI_QUEUE && value == FOR_GROUP,
            });
        }
        let errno = super::errno::last();
        if errno != Errno::INTR {
            return Err(errno);
        }
    }
}

/// Takes `signo` (which must be blocked) if it is pending, without waiting: the SIGPIPE a write
/// to a pipe nobody reads raised while blocked, which unblocking would deliver.
pub fn discard_pending(signo: i32) {
    let set = SigSet::of(&[signo]);
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `set` and `zero` are initialised values of this frame; the siginfo pointer may be
    // null. EAGAIN (nothing pending) is the usual answer.
    unsafe { libc::sigtimedwait(&set.0, core::ptr::null_mut(), &zero) };
}

/// Sends signal `signo` to process `pid`; a process that is already gone is not an error.
pub fn send(pid: i32, signo: i32) {
    if let (Some(pid), Some(sig)) = (
        rustix::process::Pid::from_raw(pid),
        rustix::process::Signal::from_named_raw(signo),
    ) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// Sends signal `signo` to process group `pgrp`; a group that is gone is not an error.
pub fn send_group(pgrp: i32, signo: i32) {
    if let (Some(pgrp), Some(sig)) = (
        rustix::process::Pid::from_raw(pgrp),
        rustix::process::Signal::from_named_raw(signo),
    ) {
        let _ = rustix::process::kill_process_group(pgrp, sig);
    }
}

/// Queues signal `signo` for process `pid`, marked as meant for the process group of the command
/// it runs (see [`Caught::for_group`]).
pub fn queue_for_group(pid: i32, signo: i32) {
    let value = libc::sigval {
        sival_ptr: FOR_GROUP as *mut libc::c_void,
    };
    // SAFETY: sigqueue takes plain values; a process that is gone only makes it fail (ESRCH).
    unsafe { libc::sigqueue(pid, signo, value) };
}
