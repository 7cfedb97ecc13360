//! The values of the cgroup options, parsed and checked without touching anything (the command
//! line's parser calls these).

use alloc::string::String;

use super::Swap;

/// The CFS period nsrun uses for `--cpus`, in microseconds (the kernel's default, as docker's).
pub const PERIOD_US: u64 = 100_000;
/// The smallest quota the kernel takes (1 ms, `min_cfs_quota_period` in kernel/sched/core.c).
const MIN_QUOTA_US: u64 = 1000;
/// The most CPUs `--cpus` takes: far above any machine, far below the kernel's bound on a quota.
const MAX_CPUS: u64 = 1_000_000;
/// The highest pids.max the kernel takes (PID_MAX_LIMIT on 64-bit machines).
const PIDS_MAX: u64 = 4 * 1024 * 1024;

/// `--cpus N.N` as the CFS bandwidth it becomes: `quota_us` of CPU time per `period_us`
/// (Documentation/scheduler/sched-bwc.rst).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Cpus {
    /// CPU time per period, in microseconds.
    pub quota_us: u64,
    /// The period, in microseconds ([`PERIOD_US`]).
    pub period_us: u64,
}

impl Cpus {
    /// The value as `--cpus` takes it: `1.5`, `0.25`, `2`.
    pub fn show(self) -> String {
        // Thousandths of a CPU.
        let milli = self.quota_us * 1000 / self.period_us.max(1);
        let mut s = Dec::new(milli / 1000).string();
        let frac = Dec::new(1000 + milli % 1000).string();
        let frac = frac.get(1..).unwrap_or_default().trim_end_matches('0');
        if !frac.is_empty() {
            s.push('.');
            s.push_str(frac);
        }
        s
    }
}

/// Decimal digits only, without overflow.
pub(crate) fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// A number in decimal, on the stack (what the limit files and names take, without the
/// formatting machinery).
pub(crate) struct Dec {
    buf: [u8; 20],
    at: usize,
}

impl Dec {
    /// `n` in decimal.
    pub(crate) fn new(mut n: u64) -> Dec {
        let mut d = Dec {
            buf: [0; 20],
            at: 20,
        };
        loop {
            d.at -= 1;
            d.buf[d.at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                return d;
            }
        }
    }

    /// The digits.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.buf.get(self.at..).unwrap_or_default()
    }

    /// The digits as a String.
    pub(crate) fn string(&self) -> String {
        self.bytes().iter().map(|&b| char::from(b)).collect()
    }
}

/// `--memory` and `--memory-swap`: a number of bytes, with an optional binary suffix `k`, `m`,
/// `g` or `t` (either case; 1k = 1024). None when malformed or above u64.
pub fn parse_bytes(s: &[u8]) -> Option<u64> {
    let (digits, shift) = match s.split_last()? {
        (b'k' | b'K', rest) => (rest, 10),
        (b'm' | b'M', rest) => (rest, 20),
        (b'g' | b'G', rest) => (rest, 30),
        (b't' | b'T', rest) => (rest, 40),
        _ => (s, 0),
    };
    decimal(digits)?.checked_mul(1 << shift)
}

/// `--memory-swap`: `-1` for no limit, else [`parse_bytes`].
pub fn parse_swap(s: &[u8]) -> Option<Swap> {
    if s == b"-1" {
        return Some(Swap::Unlimited);
    }
    parse_bytes(s).map(Swap::Limit)
}

/// Bytes as the options take them, with the largest suffix that is exact: `32m`, `1536k`, `100`.
pub fn show_bytes(n: u64) -> String {
    for (shift, suffix) in [(40, 't'), (30, 'g'), (20, 'm'), (10, 'k')] {
        if n != 0 && n.trailing_zeros() >= shift {
            let mut s = Dec::new(n >> shift).string();
            s.push(suffix);
            return s;
        }
    }
    Dec::new(n).string()
}

/// `--cpus N.N`: a decimal number of CPUs with at most three digits after the point, from 0.01
/// (the kernel's smallest quota, 1 ms per 100 ms) to a million. The quota is `cpus ×`
/// [`PERIOD_US`].
pub fn parse_cpus(s: &[u8]) -> Option<Cpus> {
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let int = decimal(int)?;
    let mut milli = int.checked_mul(1000)?;
    if let Some(frac) = frac {
        if frac.is_empty() || frac.len() > 3 {
            return None;
        }
        let mut scale = 100;
        for &b in frac {
            if !b.is_ascii_digit() {
                return None;
            }
            milli += u64::from(b - b'0') * scale;
            scale /= 10;
        }
    }
    if int > MAX_CPUS || milli > MAX_CPUS * 1000 {
        return None;
    }
    let quota_us = milli * (PERIOD_US / 1000);
    (quota_us >= MIN_QUOTA_US).then_some(Cpus {
        quota_us,
        period_us: PERIOD_US,
    })
}

/// `--cpu-weight N`: 1 to 10000, as cgroup v2's cpu.weight (the default is 100).
pub fn parse_weight(s: &[u8]) -> Option<u16> {
    let n = decimal(s)?;
    (1..=10_000).contains(&n).then_some(n as u16)
}

/// cgroup v1's cpu.shares for a cpu.weight: `2 + (weight - 1) × 262142 / 9999`, the conversion of
/// crun (and runc, systemd), which maps 1..=10000 onto 2..=262144 (a weight of 100 gives 2597,
/// not v1's default of 1024: the two scales are not proportional).
pub fn cpu_shares(weight: u16) -> u64 {
    let w = u64::from(weight.clamp(1, 10_000));
    2 + (w - 1) * 262_142 / 9999
}

/// `--pids-max N`: 1 to 4194304 (the kernel's highest pid).
pub fn parse_pids(s: &[u8]) -> Option<u64> {
    decimal(s).filter(|n| (1..=PIDS_MAX).contains(n))
}

/// Checks `--cgroup-path`: not empty, not the root itself, no `.` or `..` component, no empty
/// component (`a//b`) and no NUL; each component at most 255 bytes. The reason when it is not.
pub fn check_path(path: &[u8]) -> Result<(), &'static str> {
    let rel = path.strip_prefix(b"/").unwrap_or(path);
    if rel.is_empty() {
        return Err("must name a cgroup below the root");
    }
    let rel = rel.strip_suffix(b"/").unwrap_or(rel);
    for c in rel.split(|&b| b == b'/') {
        match c {
            b"" => return Err("has an empty component"),
            b"." | b".." => return Err("must not have . or .. components"),
            _ if c.contains(&0) => return Err("must not hold a NUL byte"),
            _ if c.len() > 255 => return Err("has a component longer than 255 bytes"),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        assert_eq!(parse_bytes(b"32m"), Some(32 << 20));
        assert_eq!(parse_bytes(b"32M"), Some(32 << 20));
        assert_eq!(parse_bytes(b"1k"), Some(1024));
        assert_eq!(parse_bytes(b"2G"), Some(2 << 30));
        assert_eq!(parse_bytes(b"1t"), Some(1 << 40));
        assert_eq!(parse_bytes(b"100"), Some(100));
        assert_eq!(parse_bytes(b"0"), Some(0));
        assert_eq!(parse_bytes(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"m",
            b"-1",
            b"1.5m",
            b"32mb",
            b"32 m",
            b" 32",
            b"0x10",
            b"18446744073709551616",
            b"16777216t",
            b"99999999999999999999999",
        ] {
            assert_eq!(parse_bytes(bad), None, "{bad:?}");
        }
        assert_eq!(parse_swap(b"-1"), Some(Swap::Unlimited));
        assert_eq!(parse_swap(b"64m"), Some(Swap::Limit(64 << 20)));
        assert_eq!(parse_swap(b"-2"), None);
    }

    #[test]
    fn bytes_shown_round_trip() {
        assert_eq!(show_bytes(32 << 20), "32m");
        assert_eq!(show_bytes(1536 << 10), "1536k");
        assert_eq!(show_bytes(3 << 40), "3t");
        assert_eq!(show_bytes(100), "100");
        assert_eq!(show_bytes(0), "0");
        let mut rng = crate::testing::Rng(7);
        for _ in 0..1000 {
            let n = rng.bits() >> rng.below(64);
            assert_eq!(parse_bytes(show_bytes(n).as_bytes()), Some(n));
        }
    }

    #[test]
    fn cpus() {
        let q = |s: &str| parse_cpus(s.as_bytes()).map(|c| (c.quota_us, c.period_us));
        assert_eq!(q("1.5"), Some((150_000, 100_000)));
        assert_eq!(q("1"), Some((100_000, 100_000)));
        assert_eq!(q("0.01"), Some((1000, 100_000)));
        assert_eq!(q("0.25"), Some((25_000, 100_000)));
        assert_eq!(q("2.125"), Some((212_500, 100_000)));
        assert_eq!(q("1000000"), Some((100_000_000_000, 100_000)));
        for bad in [
            "",
            "0",
            "0.0",
            "0.009",
            "0.001",
            ".5",
            "1.",
            "1.2345",
            "-1",
            "1,5",
            "1.5x",
            "a",
            "1000000.001",
            "1000001",
            "99999999999999999999",
        ] {
            assert_eq!(q(bad), None, "{bad:?}");
        }
        for s in ["1.5", "0.25", "2", "0.01", "3.125", "1.1", "11.01", "100"] {
            assert_eq!(parse_cpus(s.as_bytes()).unwrap().show(), s);
        }
    }

    #[test]
    fn weight_and_shares() {
        assert_eq!(parse_weight(b"1"), Some(1));
        assert_eq!(parse_weight(b"10000"), Some(10_000));
        assert_eq!(parse_weight(b"0"), None);
        assert_eq!(parse_weight(b"10001"), None);
        assert_eq!(parse_weight(b"x"), None);
        // crun's conversion: the ends of the ranges meet, 100 (v2's default) gives 2597.
        assert_eq!(cpu_shares(1), 2);
        assert_eq!(cpu_shares(10_000), 262_144);
        assert_eq!(cpu_shares(100), 2597);
        assert_eq!(cpu_shares(0), 2);
    }

    #[test]
    fn pids() {
        assert_eq!(parse_pids(b"1"), Some(1));
        assert_eq!(parse_pids(b"4194304"), Some(4_194_304));
        assert_eq!(parse_pids(b"0"), None);
        assert_eq!(parse_pids(b"4194305"), None);
        assert_eq!(parse_pids(b"max"), None);
        assert_eq!(parse_pids(b""), None);
    }

    #[test]
    fn paths() {
        for ok in ["a", "a/b", "/a", "/a/b/", "a/b/", "nsrun/x.y", "a..b", ".a"] {
            assert_eq!(check_path(ok.as_bytes()), Ok(()), "{ok}");
        }
        for bad in [
            "", "/", "//", "a//b", "../a", "a/..", "a/./b", ".", "/..", "a\0b",
        ] {
            assert!(check_path(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(check_path(&[b'x'; 256]).is_err());
        assert!(check_path(&[b'x'; 255]).is_ok());
    }
}
