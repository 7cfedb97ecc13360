//! The command's environment: nsrun's own, changed by `--setenv`, `--unsetenv` and `--clearenv`.

use alloc::vec::Vec;

use crate::spec::{Bytes, EnvOp};

/// Applies `ops` in order to `inherited` (entries of the form `NAME=VALUE`).
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

/// The value of `name` in `env`, if set.
pub fn get<'a, E: AsRef<[u8]>>(env: &'a [E], name: &[u8]) -> Option<&'a [u8]> {
    env.iter()
        .map(AsRef::as_ref)
        .find(|e| name_of(e) == name)
        .map(|e| &e[name.len() + 1..])
}

fn name_of(entry: &[u8]) -> &[u8] {
    let end = entry.iter().position(|&b| b == b'=').unwrap_or(entry.len());
    &entry[..end]
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
}
