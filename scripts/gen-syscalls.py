#!/usr/bin/env python3
"""Generates src/confine/seccomp/table.rs: the syscall numbers of every architecture nsrun knows,
by name, from linux-raw-sys's per-architecture `general.rs` (the kernel's own `__NR_*` headers).

Usage: scripts/gen-syscalls.py [LINUX_RAW_SYS_SRC_DIR] > src/confine/seccomp/table.rs
The default directory is the linux-raw-sys version in ~/.cargo/registry that rustix depends on.

The table is compact on purpose: one string of all names, sorted and front-coded (each entry is a
byte giving how many leading bytes it shares with the previous name, then the rest of its bytes;
names use only [a-z0-9_], so a byte below 32 starts the next entry), the rest further compressed
by byte-pair encoding (a byte 0x80 + i stands for the two bytes PAIRS[i], each a character or
another such byte), and one column of u16 numbers per architecture, in the same order, 0xFFFF
where the architecture lacks the syscall. Only the columns of the architectures a build needs are
compiled in (`#[cfg]`).

ARM's private syscalls (`__ARM_NR_*`, 0xf0000 + n: breakpoint, cacheflush, set_tls, ...) are kept
under their bare names and stored as 0xF000 + n; the Rust side maps them back.
"""

import glob
import os
import re
import sys

VERSION = "0.12.1"
# (directory in linux-raw-sys, column name in Rust, cfg of the builds that need the column)
ARCHES = [
    ("x86_64", "X86_64", 'target_arch = "x86_64"'),
    ("x86", "I386", 'target_arch = "x86_64"'),
    ("aarch64", "AARCH64", 'target_arch = "aarch64"'),
    ("arm", "ARM", 'any(target_arch = "arm", target_arch = "aarch64")'),
    ("riscv64", "RISCV64", 'target_arch = "riscv64"'),
]
# Constants named __NR_* that are not syscalls.
NOT_SYSCALLS = {"syscalls", "arch_specific_syscall"}
ARM_BASE = 0xF0000
ARM_PRIVATE = 0xF000
NONE = 0xFFFF


def source_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    hits = glob.glob(
        os.path.expanduser(f"~/.cargo/registry/src/*/linux-raw-sys-{VERSION}/src")
    )
    if not hits:
        sys.exit(f"linux-raw-sys-{VERSION} not found in ~/.cargo/registry; give its src directory")
    return sorted(hits)[0]


def read_arch(path):
    nums = {}
    pat = re.compile(r"pub const __(ARM_)?NR_(\w+): u32 = (\d+);")
    with open(path) as f:
        for line in f:
            m = pat.match(line.strip())
            if not m:
                continue
            private, name, num = m.group(1), m.group(2), int(m.group(3))
            # Upper-case names are constants (SYSCALL_BASE, SYSCALL_MASK, ...), not syscalls.
            if name in NOT_SYSCALLS or name != name.lower():
                continue
            if private:
                if not ARM_BASE < num < ARM_BASE + 0x1000:
                    sys.exit(f"unexpected ARM private syscall {name} = {num:#x}")
                num = ARM_PRIVATE + (num - ARM_BASE)
            elif num >= ARM_PRIVATE:
                sys.exit(f"{path}: {name} = {num} does not fit the table")
            if not re.fullmatch(r"[a-z0-9_]{1,31}", name):
                sys.exit(f"{path}: unexpected name {name!r}")
            if name in nums and nums[name] != num:
                sys.exit(f"{path}: {name} defined twice")
            nums[name] = num
    return nums


def front_code(names):
    """(shared prefix length, rest) of each name."""
    out = []
    prev = b""
    for name in names:
        b = name.encode()
        keep = 0
        while keep < min(len(prev), len(b), 31) and prev[keep] == b[keep]:
            keep += 1
        out.append((keep, list(b[keep:])))
        prev = b
    return out


def pair_code(entries):
    """Byte-pair encoding of the rests: up to 128 pairs, the most frequent first (ties by value,
    so the output is stable), each replacing its occurrences left to right."""
    pairs = []
    while len(pairs) < 128:
        counts = {}
        for _, rest in entries:
            for pair in zip(rest, rest[1:]):
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        pair, count = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if count < 3:
            break
        token = 0x80 + len(pairs)
        pairs.append(pair)
        for _, rest in entries:
            i = 0
            while i < len(rest) - 1:
                if (rest[i], rest[i + 1]) == pair:
                    rest[i : i + 2] = [token]
                i += 1
    out = bytearray()
    for keep, rest in entries:
        out.append(keep)
        out += bytes(rest)
    return bytes(out), pairs


def expand(symbol, pairs):
    if symbol < 0x80:
        return bytes([symbol])
    a, b = pairs[symbol - 0x80]
    return expand(a, pairs) + expand(b, pairs)


def decode(coded, pairs):
    names = []
    current = b""
    for byte in coded:
        if byte < 32:
            if names or current:
                names.append(current)
            current = current[:byte]
        else:
            current += expand(byte, pairs)
    names.append(current)
    return [n.decode() for n in names]


def rust_bytes(data, width=96):
    lines = []
    line = ""
    for byte in data:
        c = chr(byte)
        piece = c if 32 <= byte < 0x7F and c not in "\\\"" else f"\\x{byte:02x}"
        if len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return "\\\n      ".join(lines)


def main():
    src = source_dir()
    tables = [(col, cfg, read_arch(os.path.join(src, d, "general.rs"))) for d, col, cfg in ARCHES]
    names = sorted(set().union(*(t for _, _, t in tables)))
    coded, pairs = pair_code(front_code(names))
    if decode(coded, pairs) != names:
        sys.exit("the coding does not decode to the names")
    depth = max(len(expand(0x80 + i, pairs)) for i in range(len(pairs)))
    if depth > 31 or max(map(len, names)) > 31:
        sys.exit("a name or a pair is too long for the decoder")
    out = []
    out.append("//! Syscall numbers by name for every architecture nsrun knows: generated by")
    out.append(f"//! `scripts/gen-syscalls.py` from linux-raw-sys {VERSION}; do not edit.")
    out.append("//!")
    out.append("//! [`NAMES`] holds the sorted names front-coded: each entry is a byte giving how many")
    out.append("//! leading bytes it shares with the previous name, then the rest of its bytes (all in")
    out.append("//! `[a-z0-9_]`), where a byte 0x80 + i stands for the two of `PAIRS[i]` (each a")
    out.append("//! character or another such byte). Each column gives the numbers in the same order,")
    out.append("//! [`NONE`] where the architecture lacks the syscall; ARM's private syscalls")
    out.append("//! (0xf0000 + n) are 0xF000 + n.")
    out.append("")
    out.append(f"/// How many names [`NAMES`] holds ({len(names)}; {len(coded)} bytes).")
    out.append(f"pub const COUNT: usize = {len(names)};")
    out.append("")
    out.append("/// The entry of an architecture that lacks the syscall.")
    out.append(f"pub const NONE: u16 = {NONE:#x};")
    out.append("")
    out.append("/// What the bytes 0x80 + i of [`NAMES`] stand for.")
    out.append("#[rustfmt::skip]")
    out.append(f"pub static PAIRS: [[u8; 2]; {len(pairs)}] = [")
    flat = ["*b\"" + rust_bytes(p) + "\"" for p in pairs]
    for i in range(0, len(flat), 10):
        out.append("    " + ", ".join(flat[i : i + 10]) + ",")
    out.append("];")
    out.append("")
    out.append("/// The names, sorted, front-coded and pair-coded.")
    out.append(f'pub static NAMES: &[u8; {len(coded)}] = b"\\')
    out.append("      " + rust_bytes(coded) + '";')
    for col, cfg, nums in tables:
        out.append("")
        out.append(f"/// {col.lower()}'s numbers, in the order of [`NAMES`].")
        out.append(f"#[cfg({cfg})]")
        out.append("#[rustfmt::skip]")
        out.append(f"pub static {col}: [u16; COUNT] = [")
        vals = [nums.get(n, NONE) for n in names]
        row = []
        for v in vals:
            row.append("NONE" if v == NONE else (f"{v:#x}" if v >= ARM_PRIVATE else str(v)))
        for i in range(0, len(row), 16):
            out.append("    " + ", ".join(row[i : i + 16]) + ",")
        out.append("];")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
