//! Installing a seccomp filter ([seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html),
//! else [prctl(2)](https://man7.org/linux/man-pages/man2/prctl.2.html) `PR_SET_SECCOMP`), and
//! reading one made elsewhere (bubblewrap's `--seccomp FD`).

use alloc::vec::Vec;
use rustix::fd::BorrowedFd;
use rustix::io::Errno;

/// One classic BPF instruction, `struct sock_filter` of `<linux/filter.h>`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct SockFilter {
    /// The operation.
    pub code: u16,
    /// Instructions to skip if a jump's condition holds.
    pub jt: u8,
    /// Instructions to skip if it does not.
    pub jf: u8,
    /// The operand.
    pub k: u32,
}

/// `struct sock_fprog`.
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

const SECCOMP_SET_MODE_FILTER: usize = 1;
const PR_SET_SECCOMP: usize = 22;
const SECCOMP_MODE_FILTER: usize = 2;

/// The kernel's limit on a program's length (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;

/// Installs `prog` as a seccomp filter of the calling thread, for it and every process it
/// becomes or starts (filters stack: with several, the most restrictive action wins).
///
/// Allocates nothing: the child calls it just before exec. The caller must have set
/// no_new_privs (`PR_SET_NO_NEW_PRIVS`) or hold CAP_SYS_ADMIN in its user namespace, else
/// EACCES. No `SECCOMP_FILTER_FLAG_TSYNC`: the caller is single-threaded. On a kernel without
/// seccomp(2) (before 3.17) prctl(2) does the same.
pub fn install(prog: &[SockFilter]) -> Result<(), Errno> {
    install_with_flags(prog, 0)
}

/// [`install`] with `SECCOMP_FILTER_FLAG_*` flags (no prctl fallback for flags).
pub fn install_with_flags(prog: &[SockFilter], flags: u32) -> Result<(), Errno> {
    let len = u16::try_from(prog.len()).map_err(|_| Errno::INVAL)?;
    let fprog = SockFprog {
        len,
        filter: prog.as_ptr(),
    };
    let ptr = &fprog as *const SockFprog as usize;
    // SAFETY: `fprog` points at `prog`'s `len` instructions, both alive for the call; the kernel
    // only reads (copies) them. Installing a filter changes no memory of this process.
    let rc = unsafe { sc::syscall!(SECCOMP, SECCOMP_SET_MODE_FILTER, flags as usize, ptr) };
    match super::errno::from_rc(rc) {
        Err(Errno::NOSYS) if flags == 0 => {
            // SAFETY: as above; prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) reads the same struct.
            let rc = unsafe { sc::syscall!(PRCTL, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ptr) };
            super::errno::from_rc(rc)
        }
        other => other,
    }
}

/// Why [`read_program`] refused a descriptor's content.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum ProgramError {
    /// Reading failed.
    Read(Errno),
    /// The content is empty, or its length is not a multiple of 8 (the size of an instruction).
    Length,
    /// More than [`MAX_INSNS`] instructions.
    TooLong,
}

/// Reads a whole seccomp program from `fd` (a file, pipe or memfd, read to its end as bubblewrap
/// does): the raw `struct sock_filter` array, in native byte order. Checks only its length;
/// the kernel checks the instructions when [`install`] hands them over.
pub fn read_program(fd: BorrowedFd<'_>) -> Result<Vec<SockFilter>, ProgramError> {
    const SIZE: usize = core::mem::size_of::<SockFilter>();
    let mut bytes: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = super::fd::read(fd, &mut chunk).map_err(ProgramError::Read)?;
        let Some(read) = chunk.get(..n).filter(|r| !r.is_empty()) else {
            break;
        };
        if bytes.len() + read.len() > MAX_INSNS * SIZE {
            return Err(ProgramError::TooLong);
        }
        bytes.extend_from_slice(read);
    }
    if bytes.is_empty() || !bytes.len().is_multiple_of(SIZE) {
        return Err(ProgramError::Length);
    }
    Ok(bytes
        .chunks_exact(SIZE)
        .map(|b| SockFilter {
            code: u16::from_ne_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        })
        .collect())
}

/// Calls only the unit tests make: a forked child to install filters in, raw syscalls.
#[cfg(test)]
pub mod testing {
    use super::{install, SockFilter};

    /// How a forked child ended.
    #[derive(Debug, PartialEq, Eq)]
    pub enum End {
        /// It exited with this code.
        Exit(i32),
        /// A signal killed it.
        Signal(i32),
    }

    /// Runs `f` in a forked child with no_new_privs set, no core dumps, and `prog` installed,
    /// and returns how the child ended (`f`'s value is its exit code; 100 + errno if the install
    /// failed). `f` must not allocate or panic: the test process has other threads, whose locks
    /// the child inherits held.
    pub fn in_child(prog: &[SockFilter], f: impl FnOnce() -> i32) -> End {
        // SAFETY: fork duplicates the process; the child only makes raw syscalls (prctl, the
        // install, `f`'s, which allocates nothing) and leaves by _exit, touching no lock another
        // thread might have held at the fork.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            // SAFETY: prctl with integer arguments only: no_new_privs, then not dumpable (a
            // SIGSYS would otherwise dump core).
            unsafe {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
            }
            let code = match install(prog) {
                Ok(()) => f(),
                Err(e) => 100 + e.raw_os_error(),
            };
            // SAFETY: _exit ends the child at once, running nothing of the parent's.
            unsafe { libc::_exit(code) }
        }
        let mut status = 0;
        // SAFETY: waits for the child just forked, writing its status into a local.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(rc, pid, "waitpid failed");
        if status & 0x7f == 0 {
            End::Exit((status >> 8) & 0xff)
        } else {
            End::Signal(status & 0x7f)
        }
    }

    /// A raw syscall: its result, or the negated errno.
    pub fn syscall(nr: usize, a0: usize, a1: usize) -> isize {
        // SAFETY: the tests pass only numbers and integer arguments the syscalls read as
        // integers (no pointers), or calls a filter denies before they run.
        unsafe { sc::syscall2(nr, a0, a1) as isize }
    }

    /// i386's getpid (20) through `int $0x80` from this 64-bit process: the compatibility ABI.
    #[cfg(target_arch = "x86_64")]
    pub fn int80_getpid() -> i32 {
        let rax: u64;
        // SAFETY: getpid through the 32-bit entry reads no memory. The kernel returns in eax and
        // zeroes r8-r11 on that path (clobbers declared; rbx, rbp kept).
        unsafe {
            core::arch::asm!(
                "int 0x80",
                inlateout("rax") 20u64 => rax,
                out("r8") _, out("r9") _, out("r10") _, out("r11") _,
                out("r12") _, out("r13") _, out("r14") _, out("r15") _,
                options(nostack),
            );
        }
        rax as u32 as i32
    }
}
