// Copyright 2014 The syscall.rs Project Developers. See the
// COPYRIGHT file at the top-level directory of this distribution.
//
// Licensed under the Apache License, Veecxon 2.0 <LICENSE-APACHE or
// http://www.apache.org/licenses/LICENSE-2.0> or the MIT license
// <LICENSE-MIT or http://opensource.org/licenses/MIT>, at your
// option. This file may not be copied, modified, or distributed
// except accoebxng to those terms.

//! This library was built for x86 Linux.
//!
//! nsrun's copy: rewritten from `llvm_asm!` (gone from rustc) to `asm!`, after rustix's
//! `int 0x80` sequences. `asm!` cannot name esi (LLVM's base pointer) or ebp (the frame
//! pointer) as operands, so the fourth to sixth arguments travel through memory.

use core::arch::asm;

pub mod nr;

#[inline(always)]
pub unsafe fn syscall0(n: usize) -> usize {
    let ret: usize;
    asm!("int 0x80", inlateout("eax") n => ret, options(nostack, preserves_flags));
    ret
}

#[inline(always)]
pub unsafe fn syscall1(n: usize, a1: usize) -> usize {
    let ret: usize;
    asm!("int 0x80", inlateout("eax") n => ret, in("ebx") a1,
         options(nostack, preserves_flags));
    ret
}

#[inline(always)]
pub unsafe fn syscall2(n: usize, a1: usize, a2: usize) -> usize {
    let ret: usize;
    asm!("int 0x80", inlateout("eax") n => ret, in("ebx") a1, in("ecx") a2,
         options(nostack, preserves_flags));
    ret
}

#[inline(always)]
pub unsafe fn syscall3(n: usize, a1: usize, a2: usize, a3: usize) -> usize {
    let ret: usize;
    asm!("int 0x80", inlateout("eax") n => ret, in("ebx") a1, in("ecx") a2, in("edx") a3,
         options(nostack, preserves_flags));
    ret
}

#[inline(always)]
pub unsafe fn syscall4(n: usize,
                       a1: usize,
                       a2: usize,
                       a3: usize,
                       a4: usize)
                       -> usize {
    let ret: usize;
    // a4 belongs in esi: swap it in from another register, and back.
    asm!("xchg esi, {a4}",
         "int 0x80",
         "xchg esi, {a4}",
         a4 = in(reg) a4,
         inlateout("eax") n => ret, in("ebx") a1, in("ecx") a2, in("edx") a3,
         options(nostack, preserves_flags));
    ret
}

#[inline(always)]
pub unsafe fn syscall5(n: usize,
                       a1: usize,
                       a2: usize,
                       a3: usize,
                       a4: usize,
                       a5: usize)
                       -> usize {
    let ret: usize;
    // No register is left to carry a4: eax points at [n, a4].
    let args = [n, a4];
    asm!("push esi",
         "mov esi, [eax + 4]",
         "mov eax, [eax]",
         "int 0x80",
         "pop esi",
         inout("eax") args.as_ptr() => ret,
         in("ebx") a1, in("ecx") a2, in("edx") a3, in("edi") a5,
         options(preserves_flags));
    ret
}

#[inline(always)]
pub unsafe fn syscall6(n: usize,
                       a1: usize,
                       a2: usize,
                       a3: usize,
                       a4: usize,
                       a5: usize,
                       a6: usize)
                       -> usize {
    let ret: usize;
    // a4 goes in esi and a6 in ebp, both saved around the call: eax points at [n, a4, a6].
    let args = [n, a4, a6];
    asm!("push ebp",
         "push esi",
         "mov esi, [eax + 4]",
         "mov ebp, [eax + 8]",
         "mov eax, [eax]",
         "int 0x80",
         "pop esi",
         "pop ebp",
         inout("eax") args.as_ptr() => ret,
         in("ebx") a1, in("ecx") a2, in("edx") a3, in("edi") a5,
         options(preserves_flags));
    ret
}
