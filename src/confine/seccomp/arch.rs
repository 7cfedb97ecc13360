//! The syscall ABIs a program for this build checks: the native one, the 32-bit compatibility
//! one of a 64-bit host, and x86_64's x32 (refused).
//!
//! Each ABI is named in `seccomp_data.arch` by its `AUDIT_ARCH_*` value (`<linux/audit.h>`).

use super::table;

/// One ABI: how the kernel names it, its syscall numbers, the width of its arguments.
pub struct Abi {
    /// Its `AUDIT_ARCH_*` value.
    pub audit: u32,
    /// Its numbers, in the order of the table's names.
    pub numbers: &'static [u16; table::COUNT],
    /// Whether its arguments are 64 bits wide (else 32: the upper half of each
    /// `seccomp_data.args` word is not the syscall's).
    pub wide: bool,
}

impl Abi {
    /// The number of the syscall at `index` in the table, if this ABI has it.
    pub fn number(&self, index: usize) -> Option<u32> {
        match self.numbers.get(index).copied() {
            None | Some(table::NONE) => None,
            // ARM's private syscalls, stored as 0xF000 + n for 0xf0000 + n.
            Some(n) if n >= 0xf000 => Some(0xf_0000 + (n as u32 - 0xf000)),
            Some(n) => Some(n as u32),
        }
    }
}

/// The build's own ABI.
#[cfg(target_arch = "x86_64")]
pub const NATIVE: Option<Abi> = Some(Abi {
    audit: 0xc000_003e, // AUDIT_ARCH_X86_64: EM_X86_64 | 64-bit | little-endian
    numbers: &table::X86_64,
    wide: true,
});
/// The build's own ABI.
#[cfg(target_arch = "aarch64")]
pub const NATIVE: Option<Abi> = Some(Abi {
    audit: 0xc000_00b7, // AUDIT_ARCH_AARCH64: EM_AARCH64 | 64-bit | little-endian
    numbers: &table::AARCH64,
    wide: true,
});
/// The build's own ABI.
#[cfg(target_arch = "arm")]
pub const NATIVE: Option<Abi> = Some(ARM);
/// The build's own ABI.
#[cfg(target_arch = "riscv64")]
pub const NATIVE: Option<Abi> = Some(Abi {
    audit: 0xc000_00f3, // AUDIT_ARCH_RISCV64: EM_RISCV | 64-bit | little-endian
    numbers: &table::RISCV64,
    wide: true,
});
/// The build's own ABI: none nsrun knows.
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "riscv64"
)))]
pub const NATIVE: Option<Abi> = None;

/// 32-bit little-endian arm (EABI).
#[cfg(any(target_arch = "arm", target_arch = "aarch64"))]
const ARM: Abi = Abi {
    audit: 0x4000_0028, // AUDIT_ARCH_ARM: EM_ARM | little-endian
    numbers: &table::ARM,
    wide: false,
};

/// The 32-bit ABI a 64-bit host also runs: i386 under x86_64 (`int $0x80`, or a 32-bit
/// program), arm under aarch64.
#[cfg(target_arch = "x86_64")]
pub const COMPAT: Option<Abi> = Some(Abi {
    audit: 0x4000_0003, // AUDIT_ARCH_I386: EM_386 | little-endian
    numbers: &table::I386,
    wide: false,
});
/// The 32-bit ABI a 64-bit host also runs: i386 under x86_64 (`int $0x80`, or a 32-bit
/// program), arm under aarch64.
#[cfg(target_arch = "aarch64")]
pub const COMPAT: Option<Abi> = Some(ARM);
/// The 32-bit ABI a 64-bit host also runs: none here.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const COMPAT: Option<Abi> = None;

/// x86_64's x32 ABI shares AUDIT_ARCH_X86_64 and sets this bit in the syscall number
/// (`__X32_SYSCALL_BIT`); its numbers are not x86_64's, so a filter written for x86_64 would be
/// bypassed through it. None elsewhere.
#[cfg(target_arch = "x86_64")]
pub const X32_BIT: Option<u32> = Some(0x4000_0000);
/// x86_64's x32 ABI shares AUDIT_ARCH_X86_64 and sets this bit in the syscall number: none here.
#[cfg(not(target_arch = "x86_64"))]
pub const X32_BIT: Option<u32> = None;
