//! The compiler from a [`Filter`] to classic BPF, the language of seccomp filters
//! ([seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html), `<linux/filter.h>`).
//!
//! The program is written backwards, from its last instruction to its first, so that every jump
//! target already exists when the jump is written: a conditional jump reaches at most 255
//! instructions ahead (its offsets are 8 bits), and one whose target is farther goes through a
//! `ja` (32-bit offset) written just after it.
//!
//! Its shape:
//! 1. load `seccomp_data.arch`; the native ABI goes to 2, the compatibility ABI (if any) to 3,
//!    any other kills the process (a filter for one ABI's numbers is meaningless for another);
//! 2. load `nr`; on x86_64 an x32 number (`nr` in `[0x4000_0000, 0x8000_0000)`) kills the process
//!    too; then a binary search over the numbers that have rules;
//! 3. the same for the compatibility ABI, its own numbers for the same names;
//!
//! and at each number, its rules in order: each compares its arguments (32-bit words, the upper
//! one first) and returns its action, or goes on to the next rule, then to the default.

use super::arch::{self, Abi};
use super::{table_index, Action, ArgCmp, Error, Filter, Op, Program, SockFilter};
use alloc::vec::Vec;
use core::cmp::Ordering;

// Instruction classes and fields (`<linux/bpf_common.h>`).
/// BPF_LD | BPF_W | BPF_ABS: A = the 32-bit word at k in `seccomp_data`.
pub const LD_W_ABS: u16 = 0x20;
/// BPF_ALU | BPF_AND | BPF_K: A &= k.
pub const ALU_AND_K: u16 = 0x54;
/// BPF_JMP | BPF_JA: skip k instructions.
pub const JA: u16 = 0x05;
/// BPF_JMP | BPF_JEQ | BPF_K: skip jt if A == k, else jf.
pub const JEQ: u16 = 0x15;
/// BPF_JMP | BPF_JGT | BPF_K: skip jt if A > k, else jf.
pub const JGT: u16 = 0x25;
/// BPF_JMP | BPF_JGE | BPF_K: skip jt if A >= k, else jf.
pub const JGE: u16 = 0x35;
/// BPF_RET | BPF_K: return k.
pub const RET_K: u16 = 0x06;

/// `BPF_MAXINSNS`: the kernel refuses longer programs.
pub const MAX_INSNS: usize = 4096;

// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
const ARGS: u32 = 16;
/// Offsets of the lower and upper 32-bit words in a 64-bit argument.
#[cfg(target_endian = "little")]
const LO_HI: (u32, u32) = (0, 4);
#[cfg(target_endian = "big")]
const LO_HI: (u32, u32) = (4, 0);

/// An instruction, by its distance from the end of the program (index in the reversed list).
type Label = usize;

/// Compiles `filter` for the ABIs of this build's architecture (see the module's text).
///
/// Errors: a name no architecture nsrun knows ([`Error::Unknown`]), an argument index above 5,
/// a program of more than 4096 instructions, a build for an architecture nsrun has no numbers for.
pub fn compile(filter: &Filter) -> Result<Program, Error> {
    for (r, rule) in filter.rules.iter().enumerate() {
        if let Some(name) = rule.names.iter().position(|n| table_index(n).is_none()) {
            return Err(Error::Unknown { rule: r, name });
        }
        if rule.args.iter().any(|a| a.index > 5) {
            return Err(Error::ArgIndex { rule: r });
        }
    }
    let native = arch::NATIVE.as_ref().ok_or(Error::Arch)?;
    let mut w = Writer {
        filter,
        code: Vec::new(),
        rets: Vec::new(),
    };
    let kill = Action::KillProcess.ret();
    let compat = match arch::COMPAT.as_ref() {
        Some(abi) => Some((abi.audit, w.abi(abi, None)?)),
        None => None,
    };
    let native_entry = w.abi(native, arch::X32_BIT)?;
    let mut other = w.ret(kill)?;
    if let Some((audit, entry)) = compat {
        other = w.jump(JEQ, audit, entry, other)?;
    }
    let check = w.jump(JEQ, native.audit, native_entry, other)?;
    w.then(LD_W_ABS, ARCH, check)?;
    w.code.reverse();
    Ok(Program(w.code))
}

/// The numbers of one ABI that have rules, each with the rules naming it, in order.
struct Calls {
    /// (number, rule index), sorted.
    pairs: Vec<(u32, usize)>,
}

impl Calls {
    fn of(filter: &Filter, abi: &Abi) -> Calls {
        let mut pairs = Vec::new();
        for (r, rule) in filter.rules.iter().enumerate() {
            for name in &rule.names {
                if let Some(nr) = table_index(name).and_then(|i| abi.number(i)) {
                    pairs.push((nr, r));
                }
            }
        }
        // Insertion sort (small lists; no sort routine to link in), then one pair per rule.
        for i in 1..pairs.len() {
            let mut j = i;
            while j > 0 && pairs.get(j - 1) > pairs.get(j) {
                pairs.swap(j - 1, j);
                j -= 1;
            }
        }
        pairs.dedup();
        Calls { pairs }
    }

    /// The distinct numbers, as ranges of `pairs` with the same number.
    fn groups(&self) -> Vec<(u32, usize, usize)> {
        let mut groups: Vec<(u32, usize, usize)> = Vec::new();
        for (i, &(nr, _)) in self.pairs.iter().enumerate() {
            match groups.last_mut() {
                Some(last) if last.0 == nr => last.2 = i + 1,
                _ => groups.push((nr, i, i + 1)),
            }
        }
        groups
    }
}

/// The program being written, backwards.
struct Writer<'f> {
    filter: &'f Filter,
    /// The instructions, last first.
    code: Vec<SockFilter>,
    /// The latest `ret` of each action value, to jump to instead of writing another.
    rets: Vec<(u32, Label)>,
}

/// Below this many numbers the search compares them one by one.
const LEAF: usize = 4;

impl Writer<'_> {
    /// Writes `ins` before everything written so far; returns its label.
    fn push(&mut self, code: u16, jt: u8, jf: u8, k: u32) -> Result<Label, Error> {
        if self.code.len() >= MAX_INSNS {
            return Err(Error::TooLong);
        }
        self.code.push(SockFilter { code, jt, jf, k });
        Ok(self.code.len() - 1)
    }

    /// The offset a jump written next needs to reach `to`.
    fn distance(&self, to: Label) -> usize {
        self.code.len() - to - 1
    }

    /// An unconditional jump to `to`.
    fn ja(&mut self, to: Label) -> Result<Label, Error> {
        let k = self.distance(to) as u32;
        self.push(JA, 0, 0, k)
    }

    /// A conditional jump (`A <op> k`) to `t` if true, else `f`, through `ja`s if either is out
    /// of reach.
    fn jump(&mut self, code: u16, k: u32, mut t: Label, mut f: Label) -> Result<Label, Error> {
        if t == f {
            return Ok(t);
        }
        loop {
            if self.distance(t) > 255 {
                t = self.ja(t)?;
            } else if self.distance(f) > 255 {
                f = self.ja(f)?;
            } else {
                break;
            }
        }
        let (jt, jf) = (self.distance(t) as u8, self.distance(f) as u8);
        self.push(code, jt, jf, k)
    }

    /// An instruction that goes on to `next`.
    fn then(&mut self, code: u16, k: u32, next: Label) -> Result<Label, Error> {
        if self.distance(next) != 0 {
            self.ja(next)?;
        }
        self.push(code, 0, 0, k)
    }

    /// A `ret` of `value`: one already written if near, else a new one.
    fn ret(&mut self, value: u32) -> Result<Label, Error> {
        if let Some(&(_, at)) = self.rets.iter().find(|r| r.0 == value) {
            if self.distance(at) < 192 {
                return Ok(at);
            }
        }
        let at = self.push(RET_K, 0, 0, value)?;
        match self.rets.iter_mut().find(|r| r.0 == value) {
            Some(r) => r.1 = at,
            None => self.rets.push((value, at)),
        }
        Ok(at)
    }

    /// The checks of one ABI, from loading `nr`; returns its entry.
    fn abi(&mut self, abi: &Abi, x32: Option<u32>) -> Result<Label, Error> {
        let calls = Calls::of(self.filter, abi);
        let groups = calls.groups();
        let mut entry = self.search(&calls, &groups, abi.wide)?;
        if let Some(bit) = x32 {
            let kill = self.ret(Action::KillProcess.ret())?;
            let x32 = self.jump(JGE, bit, kill, entry)?;
            entry = self.jump(JGE, 0x8000_0000, entry, x32)?;
        }
        self.then(LD_W_ABS, NR, entry)
    }

    /// A binary search of `nr` (in A) among `groups`, each with its rules.
    fn search(
        &mut self,
        calls: &Calls,
        groups: &[(u32, usize, usize)],
        wide: bool,
    ) -> Result<Label, Error> {
        let default = self.filter.default.ret();
        if groups.len() <= LEAF {
            let mut next = self.ret(default)?;
            for &(nr, from, to) in groups.iter().rev() {
                let rules = calls.pairs.get(from..to).unwrap_or_default();
                let body = self.rules(rules, wide)?;
                next = self.jump(JEQ, nr, body, next)?;
            }
            return Ok(next);
        }
        let (low, high) = groups.split_at(groups.len() / 2);
        let Some(&(split, _, _)) = high.first() else {
            return self.ret(default);
        };
        let high = self.search(calls, high, wide)?;
        let low = self.search(calls, low, wide)?;
        self.jump(JGE, split, high, low)
    }

    /// The rules of one syscall, tried in order, then the default.
    fn rules(&mut self, rules: &[(u32, usize)], wide: bool) -> Result<Label, Error> {
        let filter = self.filter;
        // The rules after one that compares nothing are never reached.
        let last = rules
            .iter()
            .position(|&(_, r)| filter.rules.get(r).is_some_and(|r| r.args.is_empty()))
            .map_or(rules.len(), |i| i + 1);
        let mut fail = self.ret(filter.default.ret())?;
        for &(_, r) in rules.get(..last).unwrap_or_default().iter().rev() {
            let Some(rule) = filter.rules.get(r) else {
                continue;
            };
            let mut pass = self.ret(rule.action.ret())?;
            for arg in rule.args.iter().rev() {
                pass = self.arg(arg, pass, fail, wide)?;
            }
            fail = pass;
        }
        Ok(fail)
    }

    /// One comparison: goes to `pass` if it holds, else to `fail`.
    ///
    /// The 64-bit unsigned comparison is made on the upper words, then on the lower ones if the
    /// upper are equal. On a 32-bit ABI the upper word of the argument is taken as 0 without
    /// reading it (the syscall sees only the lower one), and that comparison is made here.
    fn arg(&mut self, arg: &ArgCmp, pass: Label, fail: Label, wide: bool) -> Result<Label, Error> {
        let (p, f) = (pass, fail);
        // Targets for (word > k, word == k, word < k), upper word then lower word.
        let (upper, lower) = match arg.op {
            Op::Eq | Op::MaskedEq => ((f, (), f), (f, p, f)),
            Op::Ne => ((p, (), p), (p, f, p)),
            Op::Gt => ((p, (), f), (p, f, f)),
            Op::Ge => ((p, (), f), (p, p, f)),
            Op::Lt => ((f, (), p), (f, f, p)),
            Op::Le => ((f, (), p), (f, p, p)),
        };
        let (value, mask) = match arg.op {
            Op::MaskedEq => (arg.value_two, arg.value),
            _ => (arg.value, u64::MAX),
        };
        let offset = ARGS + 8 * arg.index as u32;
        let (lo, hi) = LO_HI;
        let low = Word {
            offset: offset + lo,
            mask: mask as u32,
            value: value as u32,
        };
        let high = Word {
            offset: offset + hi,
            mask: (mask >> 32) as u32,
            value: (value >> 32) as u32,
        };
        if !wide || high.mask == 0 {
            // The upper word is 0: decided here.
            return match 0u32.cmp(&high.value) {
                Ordering::Greater => Ok(upper.0),
                Ordering::Equal => self.word(&low, lower),
                Ordering::Less => Ok(upper.2),
            };
        }
        let lower = self.word(&low, lower)?;
        self.word(&high, (upper.0, lower, upper.2))
    }

    /// A three-way comparison of one argument word (masked) with a value: the targets are where
    /// to go if the word is greater, equal, smaller.
    fn word(
        &mut self,
        word: &Word,
        (mut gt, eq, mut lt): (Label, Label, Label),
    ) -> Result<Label, Error> {
        if word.mask == 0 {
            return Ok(match 0u32.cmp(&word.value) {
                Ordering::Greater => gt,
                Ordering::Equal => eq,
                Ordering::Less => lt,
            });
        }
        if word.value > word.mask {
            // Above any masked word.
            return Ok(lt);
        }
        // No word is below 0 or above the mask.
        if word.value == 0 {
            lt = eq;
        }
        if word.value == word.mask {
            gt = eq;
        }
        let test = if gt == eq && eq == lt {
            return Ok(eq);
        } else if gt == lt {
            self.jump(JEQ, word.value, eq, gt)?
        } else if gt == eq {
            self.jump(JGE, word.value, gt, lt)?
        } else if eq == lt {
            self.jump(JGT, word.value, gt, lt)?
        } else {
            let below = self.jump(JEQ, word.value, eq, lt)?;
            self.jump(JGT, word.value, gt, below)?
        };
        let test = if word.mask == u32::MAX {
            test
        } else {
            self.then(ALU_AND_K, word.mask, test)?
        };
        self.then(LD_W_ABS, word.offset, test)
    }
}

/// One 32-bit word of an argument, its mask (all ones but for [`Op::MaskedEq`]) and the value.
struct Word {
    offset: u32,
    mask: u32,
    value: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confine::seccomp::tests::{run, Data};

    #[test]
    fn jumps_at_the_reach_of_8_bits() {
        let filter = Filter {
            default: Action::Allow,
            rules: Vec::new(),
        };
        for far in [0, 1, 200, 253, 254, 255, 256, 257, 258, 600] {
            for near in [0, 1, 254, 255, 256, 300] {
                let mut w = Writer {
                    filter: &filter,
                    code: Vec::new(),
                    rets: Vec::new(),
                };
                let yes = w.push(RET_K, 0, 0, 111).unwrap();
                for _ in 0..far {
                    w.push(RET_K, 0, 0, 333).unwrap();
                }
                let no = w.push(RET_K, 0, 0, 222).unwrap();
                for _ in 0..near {
                    w.push(RET_K, 0, 0, 444).unwrap();
                }
                let test = w.jump(JEQ, 5, yes, no).unwrap();
                w.then(LD_W_ABS, NR, test).unwrap();
                w.code.reverse();
                let prog = Program(w.code);
                let data = |nr| Data {
                    nr,
                    arch: 0,
                    ip: 0,
                    args: [0; 6],
                };
                assert_eq!(run(&prog, &data(5)), 111, "{far} {near}");
                assert_eq!(run(&prog, &data(6)), 222, "{far} {near}");
            }
        }
    }
}
