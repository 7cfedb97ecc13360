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
use super::{Action, ArgCmp, Error, Filter, Names, Op, Program, SockFilter, MAX_INSNS};
use alloc::vec::Vec;

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
    // (table index, rule) of every name, looked up once.
    let table = Names::decode();
    let mut named = Vec::new();
    for (r, rule) in filter.rules.iter().enumerate() {
        for (n, name) in rule.names.iter().enumerate() {
            let index = table
                .index(name)
                .ok_or(Error::Unknown { rule: r, name: n })?;
            named.push((index, r));
        }
        if rule.args.iter().any(|a| a.index > 5) {
            return Err(Error::ArgIndex { rule: r });
        }
    }
    compile_named(filter, &named)
}

/// [`compile`] with the names already looked up: `named` holds the (table index, rule) of each
/// name of `filter` (whose rules' own names are then not read).
pub fn compile_named(filter: &Filter, named: &[(usize, usize)]) -> Result<Program, Error> {
    if let Some(r) = filter
        .rules
        .iter()
        .position(|r| r.args.iter().any(|a| a.index > 5))
    {
        return Err(Error::ArgIndex { rule: r });
    }
    let native = arch::NATIVE.as_ref().ok_or(Error::Arch)?;
    let mut w = Writer {
        filter,
        named,
        code: Vec::new(),
        rets: Vec::new(),
    };
    let compat = arch::COMPAT
        .as_ref()
        .map(|abi| (abi.audit, w.abi(abi, None)));
    let native_entry = w.abi(native, arch::X32_BIT);
    let mut other = w.ret(Action::KillProcess.ret());
    if let Some((audit, entry)) = compat {
        other = w.jump(JEQ, audit, entry, other);
    }
    let check = w.jump(JEQ, native.audit, native_entry, other);
    w.then(LD_W_ABS, ARCH, check);
    if w.code.len() > MAX_INSNS {
        return Err(Error::TooLong);
    }
    w.code.reverse();
    Ok(Program(w.code))
}

/// The program being written, backwards.
///
/// Writing cannot fail: the length is checked once at the end (the program grows at most a few
/// instructions per comparison of the filter, so an oversized one is as large as its filter).
struct Writer<'f> {
    filter: &'f Filter,
    /// (table index, rule) of every name of the filter.
    named: &'f [(usize, usize)],
    /// The instructions, last first.
    code: Vec<SockFilter>,
    /// The latest `ret` of each action value, to jump to instead of writing another.
    rets: Vec<(u32, Label)>,
}

/// At most this many (number, rule) pairs are compared one by one, not split in two.
const LEAF: usize = 4;

impl Writer<'_> {
    /// Writes an instruction before everything written so far; returns its label.
    fn push(&mut self, code: u16, jt: u8, jf: u8, k: u32) -> Label {
        self.code.push(SockFilter { code, jt, jf, k });
        self.code.len() - 1
    }

    /// The offset a jump written next needs to reach `to`.
    fn distance(&self, to: Label) -> usize {
        self.code.len() - to - 1
    }

    /// An unconditional jump to `to`.
    fn ja(&mut self, to: Label) -> Label {
        let k = self.distance(to) as u32;
        self.push(JA, 0, 0, k)
    }

    /// A conditional jump (`A <op> k`) to `t` if true, else `f`, through `ja`s if either is out
    /// of reach.
    fn jump(&mut self, code: u16, k: u32, mut t: Label, mut f: Label) -> Label {
        if t == f {
            return t;
        }
        loop {
            if self.distance(t) > 255 {
                t = self.ja(t);
            } else if self.distance(f) > 255 {
                f = self.ja(f);
            } else {
                break;
            }
        }
        let (jt, jf) = (self.distance(t) as u8, self.distance(f) as u8);
        self.push(code, jt, jf, k)
    }

    /// An instruction that goes on to `next`.
    fn then(&mut self, code: u16, k: u32, next: Label) -> Label {
        if self.distance(next) != 0 {
            self.ja(next);
        }
        self.push(code, 0, 0, k)
    }

    /// A `ret` of `value`: one already written if near, else a new one.
    fn ret(&mut self, value: u32) -> Label {
        let near = self.code.len().saturating_sub(192);
        if let Some(&(_, at)) = self.rets.iter().find(|r| r.0 == value && r.1 >= near) {
            return at;
        }
        let at = self.push(RET_K, 0, 0, value);
        self.rets.retain(|r| r.0 != value);
        self.rets.push((value, at));
        at
    }

    /// The checks of one ABI, from loading `nr`; returns its entry.
    fn abi(&mut self, abi: &Abi, x32: Option<u32>) -> Label {
        // (number, rule) for every name this ABI has, sorted (insertion sort: small lists, and
        // no sort routine to link in), one pair per rule. Each new pair is swapped down into
        // place rather than inserted: `Vec::insert` shifts with a backward memmove, which musl
        // makes byte by byte (`std; rep movsb`), the most of a compile's time.
        let mut pairs: Vec<(u32, usize)> = Vec::with_capacity(self.named.len());
        for &(index, r) in self.named {
            if let Some(nr) = abi.number(index) {
                let pair = (nr, r);
                let mut at = pairs.len();
                while at > 0 && pairs.get(at - 1).is_some_and(|&p| p > pair) {
                    at -= 1;
                }
                if at > 0 && pairs.get(at - 1) == Some(&pair) {
                    continue;
                }
                pairs.push(pair);
                for i in (at + 1..pairs.len()).rev() {
                    if let Some(two) = pairs.get_mut(i - 1..=i) {
                        two.swap(0, 1);
                    }
                }
            }
        }
        let mut entry = self.search(&pairs, abi.wide);
        if let Some(bit) = x32 {
            let kill = self.ret(Action::KillProcess.ret());
            let x32 = self.jump(JGE, bit, kill, entry);
            entry = self.jump(JGE, 0x8000_0000, entry, x32);
        }
        self.then(LD_W_ABS, NR, entry)
    }

    /// A binary search of `nr` (in A) among the numbers of `pairs`, each with its rules.
    fn search(&mut self, pairs: &[(u32, usize)], wide: bool) -> Label {
        // Split before the run of the middle number, else after the first run.
        let first = pairs.first().map_or(0, |p| p.0);
        let mut mid = pairs.len() / 2;
        while mid > 0 && pairs.get(mid - 1).map(|p| p.0) == pairs.get(mid).map(|p| p.0) {
            mid -= 1;
        }
        if mid == 0 {
            mid = pairs
                .iter()
                .position(|p| p.0 != first)
                .unwrap_or(pairs.len());
        }
        if pairs.len() > LEAF && mid < pairs.len() {
            let (low, high) = pairs.split_at(mid);
            let split = high.first().map_or(0, |p| p.0);
            let high = self.search(high, wide);
            let low = self.search(low, wide);
            return self.jump(JGE, split, high, low);
        }
        // A chain of comparisons, the last number first.
        let mut next = self.ret(self.filter.default.ret());
        let mut end = pairs.len();
        while end > 0 {
            let nr = pairs.get(end - 1).map_or(0, |p| p.0);
            let start = pairs.iter().position(|p| p.0 == nr).unwrap_or(0);
            let body = self.rules(pairs.get(start..end).unwrap_or_default(), wide);
            next = self.jump(JEQ, nr, body, next);
            end = start;
        }
        next
    }

    /// The rules of one syscall, tried in order, then the default.
    fn rules(&mut self, rules: &[(u32, usize)], wide: bool) -> Label {
        let filter = self.filter;
        let mut fail = self.ret(filter.default.ret());
        // Backwards from the first rule that compares nothing (those after it are never tried).
        let last = rules
            .iter()
            .position(|&(_, r)| filter.rules.get(r).is_some_and(|r| r.args.is_empty()))
            .map_or(rules.len(), |i| i + 1);
        for &(_, r) in rules.get(..last).unwrap_or_default().iter().rev() {
            if let Some(rule) = filter.rules.get(r) {
                let mut pass = self.ret(rule.action.ret());
                for arg in rule.args.iter().rev() {
                    pass = self.arg(arg, pass, fail, wide);
                }
                fail = pass;
            }
        }
        fail
    }

    /// One comparison: goes to `pass` if it holds, else to `fail`.
    ///
    /// The 64-bit unsigned comparison is made on the upper words, then on the lower ones if the
    /// upper are equal. On a 32-bit ABI the upper word of the argument is taken as 0 without
    /// reading it (the syscall sees only the lower one), and that comparison is made here.
    fn arg(&mut self, arg: &ArgCmp, pass: Label, fail: Label, wide: bool) -> Label {
        let (p, f) = (pass, fail);
        // Targets for (word > k, word < k) on the upper words, and for (word > k, word == k,
        // word < k) on the lower ones.
        let (upper, lower) = match arg.op {
            Op::Eq | Op::MaskedEq => ((f, f), (f, p, f)),
            Op::Ne => ((p, p), (p, f, p)),
            Op::Gt => ((p, f), (p, f, f)),
            Op::Ge => ((p, f), (p, p, f)),
            Op::Lt => ((f, p), (f, f, p)),
            Op::Le => ((f, p), (f, p, p)),
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
            mask: if wide { (mask >> 32) as u32 } else { 0 },
            value: (value >> 32) as u32,
        };
        // The upper word first: if known (0: masked off, or a 32-bit ABI's), decided here.
        if high.mask == 0 {
            return match high.value {
                0 => self.word(&low, lower),
                _ => upper.1,
            };
        }
        let lower = self.word(&low, lower);
        self.word(&high, (upper.0, lower, upper.1))
    }

    /// A three-way comparison of one argument word (masked) with a value: the targets are where
    /// to go if the word is greater, equal, smaller.
    fn word(&mut self, word: &Word, (mut gt, eq, mut lt): (Label, Label, Label)) -> Label {
        if word.mask == 0 || word.value > word.mask {
            // The masked word is 0, or below the value.
            return match word.value {
                0 => eq,
                _ => lt,
            };
        }
        // No word is below 0 or above the mask.
        if word.value == 0 {
            lt = eq;
        }
        if word.value == word.mask {
            gt = eq;
        }
        let k = word.value;
        let test = if gt == eq && eq == lt {
            return eq;
        } else if gt == lt {
            self.jump(JEQ, k, eq, gt)
        } else if gt == eq {
            self.jump(JGE, k, gt, lt)
        } else if eq == lt {
            self.jump(JGT, k, gt, lt)
        } else {
            let below = self.jump(JEQ, k, eq, lt);
            self.jump(JGT, k, gt, below)
        };
        let test = match word.mask {
            u32::MAX => test,
            mask => self.then(ALU_AND_K, mask, test),
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
                    named: &[],
                    code: Vec::new(),
                    rets: Vec::new(),
                };
                let yes = w.push(RET_K, 0, 0, 111);
                for _ in 0..far {
                    w.push(RET_K, 0, 0, 333);
                }
                let no = w.push(RET_K, 0, 0, 222);
                for _ in 0..near {
                    w.push(RET_K, 0, 0, 444);
                }
                let test = w.jump(JEQ, 5, yes, no);
                w.then(LD_W_ABS, NR, test);
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
