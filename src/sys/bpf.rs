//! eBPF programs of type `BPF_PROG_TYPE_CGROUP_DEVICE`: the device filter of a cgroup v2 cgroup
//! ([bpf(2)](https://man7.org/linux/man-pages/man2/bpf.2.html), the kernel's
//! Documentation/admin-guide/cgroup-v2.rst, "Device controller").

use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::io::Errno;

/// One eBPF instruction (`struct bpf_insn`): the opcode, the destination register in the low
/// four bits of `regs` and the source register in the high four (little-endian layout), an
/// offset and an immediate.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Insn {
    /// The opcode.
    pub code: u8,
    /// `dst | src << 4`.
    pub regs: u8,
    /// The offset (jumps: instructions to skip; loads: bytes).
    pub off: i16,
    /// The immediate.
    pub imm: i32,
}

const BPF_PROG_LOAD: usize = 5;
const BPF_PROG_ATTACH: usize = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
const BPF_CGROUP_DEVICE: u32 = 6;
/// Several programs on one cgroup and its ancestors, all of which must allow (as runc and
/// systemd attach theirs).
const BPF_F_ALLOW_MULTI: u32 = 2;

/// `union bpf_attr`, as big as any kernel reads for the two commands used here.
#[repr(C, align(8))]
struct Attr([u8; 128]);

impl Attr {
    fn put_u32(&mut self, at: usize, v: u32) {
        self.0[at..at + 4].copy_from_slice(&v.to_ne_bytes());
    }

    fn put_u64(&mut self, at: usize, v: u64) {
        self.0[at..at + 8].copy_from_slice(&v.to_ne_bytes());
    }
}

/// Loads `prog` as a device filter; its descriptor. EPERM without CAP_BPF (CAP_SYS_ADMIN before
/// 5.8); EINVAL where the kernel has no cgroup BPF (CONFIG_CGROUP_BPF) or refuses the program.
pub fn load_device_filter(prog: &[Insn]) -> Result<OwnedFd, Errno> {
    let count = u32::try_from(prog.len()).map_err(|_| Errno::INVAL)?;
    let license = b"Apache-2.0\0";
    let mut attr = Attr([0; 128]);
    attr.put_u32(0, BPF_PROG_TYPE_CGROUP_DEVICE);
    attr.put_u32(4, count);
    attr.put_u64(8, prog.as_ptr() as u64);
    attr.put_u64(16, license.as_ptr() as u64);
    let ptr = &attr as *const Attr as usize;
    // SAFETY: `attr` holds a BPF_PROG_LOAD request whose pointers (the instructions, the
    // license) point at memory alive for the call, which the kernel only reads; the rest is
    // zero (no log buffer). The size given is that of `attr`.
    let rc = unsafe { sc::syscall!(BPF, BPF_PROG_LOAD, ptr, core::mem::size_of::<Attr>()) };
    let fd = super::errno::from_rc_value(rc)?;
    // SAFETY: on success bpf(2) returns a new descriptor (close-on-exec) that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Attaches the device filter `prog` to the cgroup v2 directory `cgroup`, beside any program
/// already there or on its ancestors (all must allow an access). The kernel keeps the program
/// while it is attached; the cgroup's removal detaches it.
pub fn attach_device_filter(cgroup: BorrowedFd<'_>, prog: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut attr = Attr([0; 128]);
    attr.put_u32(0, cgroup.as_raw_fd() as u32);
    attr.put_u32(4, prog.as_raw_fd() as u32);
    attr.put_u32(8, BPF_CGROUP_DEVICE);
    attr.put_u32(12, BPF_F_ALLOW_MULTI);
    let ptr = &attr as *const Attr as usize;
    // SAFETY: `attr` holds a BPF_PROG_ATTACH request naming two descriptors this process holds
    // for the call; the kernel only reads it.
    let rc = unsafe { sc::syscall!(BPF, BPF_PROG_ATTACH, ptr, core::mem::size_of::<Attr>()) };
    super::errno::from_rc(rc)
}
