//! Resource limits ([setrlimit(2)](https://man7.org/linux/man-pages/man2/setrlimit.2.html)),
//! `--rlimit NAME=SOFT[:HARD]` with the names and value forms of util-linux prlimit: `N` sets
//! both, `S:H` each, `S:` only the soft one, `:H` only the hard one; `unlimited` (or `infinity`,
//! `-1`) is no limit. Applied in the command process just before exec.

use rustix::io::Errno;

use crate::spec::Rlimit;

/// The names prlimit takes, with their `RLIMIT_*` numbers.
pub(crate) const NAMES: [(&str, u8); 16] = [
    ("as", libc::RLIMIT_AS as u8),
    ("core", libc::RLIMIT_CORE as u8),
    ("cpu", libc::RLIMIT_CPU as u8),
    ("data", libc::RLIMIT_DATA as u8),
    ("fsize", libc::RLIMIT_FSIZE as u8),
    ("locks", libc::RLIMIT_LOCKS as u8),
    ("memlock", libc::RLIMIT_MEMLOCK as u8),
    ("msgqueue", libc::RLIMIT_MSGQUEUE as u8),
    ("nice", libc::RLIMIT_NICE as u8),
    ("nofile", libc::RLIMIT_NOFILE as u8),
    ("nproc", libc::RLIMIT_NPROC as u8),
    ("rss", libc::RLIMIT_RSS as u8),
    ("rtprio", libc::RLIMIT_RTPRIO as u8),
    ("rttime", libc::RLIMIT_RTTIME as u8),
    ("sigpending", libc::RLIMIT_SIGPENDING as u8),
    ("stack", libc::RLIMIT_STACK as u8),
];

/// The prlimit name of resource `resource`.
pub fn name(resource: u8) -> &'static str {
    NAMES
        .iter()
        .find(|(_, r)| *r == resource)
        .map_or("?", |(n, _)| n)
}

/// Parses `NAME=SOFT[:HARD]` (the value of `--rlimit`); the error is the message's tail.
pub fn parse(text: &[u8]) -> Result<Rlimit, &'static str> {
    let eq = text
        .iter()
        .position(|&b| b == b'=')
        .ok_or("is not NAME=SOFT[:HARD]")?;
    let (key, value) = (&text[..eq], &text[eq + 1..]);
    let key = key.to_ascii_lowercase();
    let key = key.strip_prefix(b"rlimit_").unwrap_or(&key);
    let resource = NAMES
        .iter()
        .find(|(n, _)| n.as_bytes() == key)
        .map(|(_, r)| *r)
        .ok_or("names no limit (as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)")?;
    let bad = "has a limit that is not a number or 'unlimited'";
    let one = |v: &[u8]| -> Result<u64, &'static str> {
        match v {
            b"unlimited" | b"infinity" | b"-1" => Ok(u64::MAX),
            _ if !v.is_empty() && v.iter().all(u8::is_ascii_digit) => core::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(bad),
            _ => Err(bad),
        }
    };
    let (soft, hard) = match value.iter().position(|&b| b == b':') {
        None => {
            let v = one(value)?;
            (Some(v), Some(v))
        }
        Some(colon) => {
            let (s, h) = (&value[..colon], &value[colon + 1..]);
            let soft = (!s.is_empty()).then(|| one(s)).transpose()?;
            let hard = (!h.is_empty()).then(|| one(h)).transpose()?;
            if soft.is_none() && hard.is_none() {
                return Err(bad);
            }
            (soft, hard)
        }
    };
    if let (Some(s), Some(h)) = (soft, hard) {
        if s > h {
            return Err("has its soft limit above the hard one");
        }
    }
    Ok(Rlimit {
        resource,
        soft,
        hard,
    })
}

/// Sets the limit in this process; a value left out stays as it is. Allocates nothing.
pub fn apply(limit: &Rlimit) -> Result<(), Errno> {
    let (soft, hard) = crate::sys::rlimit::get(limit.resource)?;
    let hard = limit.hard.unwrap_or(hard);
    // `:HARD` below the current soft limit lowers the soft one with it, as prlimit must.
    let soft = limit.soft.unwrap_or(soft).min(hard);
    crate::sys::rlimit::set(limit.resource, soft, hard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_prlimit() {
        let r = |t: &str| parse(t.as_bytes());
        let nofile = libc::RLIMIT_NOFILE as u8;
        assert_eq!(
            r("nofile=100"),
            Ok(Rlimit {
                resource: nofile,
                soft: Some(100),
                hard: Some(100)
            })
        );
        assert_eq!(
            r("NOFILE=10:20").map(|l| (l.soft, l.hard)),
            Ok((Some(10), Some(20)))
        );
        assert_eq!(
            r("nofile=10:").map(|l| (l.soft, l.hard)),
            Ok((Some(10), None))
        );
        assert_eq!(
            r("core=:unlimited").map(|l| (l.soft, l.hard)),
            Ok((None, Some(u64::MAX)))
        );
        assert_eq!(
            r("rlimit_stack=unlimited").map(|l| l.hard),
            Ok(Some(u64::MAX))
        );
        assert!(r("nofile=20:10").is_err());
        assert!(r("nofile=:").is_err());
        assert!(r("nofile").is_err());
        assert!(r("nofiles=1").is_err());
        assert!(r("nofile=1x").is_err());
        assert!(r("nofile=-2").is_err());
        assert!(r("nofile=99999999999999999999999").is_err());
        assert_eq!(name(nofile), "nofile");
    }
}
