//! The command's environment: nsrun's own, changed by `--setenv`, `--unsetenv` and `--clearenv`.
//!
//! The inherited entries come from envp as they are: an entry need not contain `=` (execve accepts
//! any string). Such an entry is kept and passed on unchanged; it has a name (the whole entry) but
//! no value, so [`get`] never finds it.

use alloc::vec::Vec;

use crate::spec::{Bytes, EnvOp};

/// Applies `ops` in order to `inherited` (entries normally of the form `NAME=VALUE`).
pub fn build(inherited: &[&[u8]], ops: &[EnvOp]) -> Vec<Bytes> {
    let mut env: Vec<Bytes> = inherited.iter().map(|e| e.to_vec()).collect();
    for op in ops {
        match op {
            EnvOp::Clear => env.clear(),
            EnvOp::Unset(name) => env.retain(|e| name_of(e) != name.as_slice()),
            EnvOp::Set(name, value) => {
                env.retain(|e| name_of(e) != name.as_slice());
                let mut entry = name.clone();
                entry.push(b'=');
                entry.extend_from_slice(value);
                env.push(entry);
            }
        }
    }
    env
}

/// The value of `name` in `env`, if set: the first entry `NAME=VALUE`, as musl's getenv finds it (an
/// entry without `=` has no value and is skipped; an empty name, or one with `=`, is never set).
pub fn get<'a, E: AsRef<[u8]>>(env: &'a [E], name: &[u8]) -> Option<&'a [u8]> {
    if name.is_empty() || name.contains(&b'=') {
        return None;
    }
    env.iter()
        .map(AsRef::as_ref)
        .find_map(|e| e.strip_prefix(name)?.strip_prefix(b"="))
}

fn name_of(entry: &[u8]) -> &[u8] {
    match entry.iter().position(|&b| b == b'=') {
        Some(end) => &entry[..end],
        None => entry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_apply_in_order() {
        let inherited: [&[u8]; 3] = [b"A=1", b"B=2", b"PATH=/bin"];
        let ops = [
            EnvOp::Unset(b"B".to_vec()),
            EnvOp::Set(b"A".to_vec(), b"x=y".to_vec()),
            EnvOp::Set(b"C".to_vec(), b"".to_vec()),
        ];
        let env = build(&inherited, &ops);
        assert_eq!(env, [&b"PATH=/bin"[..], b"A=x=y", b"C="]);
        assert_eq!(get(&env, b"A"), Some(&b"x=y"[..]));
        assert_eq!(get(&env, b"B"), None);
        let env = build(
            &inherited,
            &[EnvOp::Clear, EnvOp::Set(b"Z".to_vec(), b"1".to_vec())],
        );
        assert_eq!(env, [b"Z=1"]);
    }

    #[test]
    fn entries_without_equals_sign() {
        let inherited: [&[u8]; 5] = [b"PATH", b"", b"=", b"=x", b"PATH=/bin"];
        let env = build(&inherited, &[]);
        assert_eq!(get(&env, b"PATH"), Some(&b"/bin"[..]));
        assert_eq!(get(&env, b""), None);
        assert_eq!(get(&[&b"A=B=c"[..]], b"A=B"), None);
        assert_eq!(get(&[&b"SHELL"[..]], b"SHELL"), None);
        assert_eq!(get(&[&b"SHEL"[..]], b"SHELL"), None);
        let env = build(&inherited, &[EnvOp::Unset(b"PATH".to_vec())]);
        assert_eq!(env, [&b""[..], b"=", b"=x"]);
    }

    use crate::testing::Rng;

    fn entry(rng: &mut Rng) -> Vec<u8> {
        const ALPHABET: &[u8] = b"=AP_\0\xff\n";
        (0..rng.below(6))
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect()
    }

    /// Odd entries and operations never panic, and `get` agrees with a plain model.
    #[test]
    fn random_entries_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..3000 {
            let owned: Vec<Vec<u8>> = (0..rng.below(5)).map(|_| entry(&mut rng)).collect();
            let inherited: Vec<&[u8]> = owned.iter().map(|e| e.as_slice()).collect();
            let ops: Vec<EnvOp> = (0..rng.below(4))
                .map(|_| match rng.below(3) {
                    0 => EnvOp::Clear,
                    1 => EnvOp::Unset(entry(&mut rng)),
                    _ => EnvOp::Set(entry(&mut rng), entry(&mut rng)),
                })
                .collect();
            let env = build(&inherited, &ops);
            let name = entry(&mut rng);
            let model = env.iter().find_map(|e| {
                let eq = e.iter().position(|&b| b == b'=')?;
                (e[..eq] == name[..]).then(|| &e[eq + 1..])
            });
            let model = model.filter(|_| !name.is_empty() && !name.contains(&b'='));
            assert_eq!(get(&env, &name), model, "{env:?} {name:?}");
        }
    }
}
