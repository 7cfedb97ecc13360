//! A config.json's [`Config`] as the [`Spec`] the launcher carries out.
//!
//! **Stand-in, to be replaced** by the full mapping (mounts with every option, devices,
//! capabilities, seccomp, rlimits, cgroups, hooks...) another engineer writes in this file with
//! this same signature. This minimal version maps only: the root (relative to the bundle or
//! absolute, read-only), the process's args, env, cwd, uid and gid, the hostname, the
//! namespaces made new (one given with a path is refused), the process itself as PID 1, and the
//! mounts of type proc, tmpfs (size and mode read from the data), bind (`ro` honoured), sysfs and
//! a tmpfs on /dev as nsrun's minimal /dev; other mount types are skipped. The runtime commands
//! (src/oci/runtime) use nothing of it but [`to_spec`].

use alloc::string::String;
use alloc::vec::Vec;

use super::{Config, Error};
use crate::spec::{BindKind, EnvOp, MountOp, Pid1, Spec};

/// The spec of `config`, whose bundle directory is `bundle` (an absolute path).
pub fn to_spec(config: &Config, bundle: &[u8]) -> Result<Spec, Error> {
    let fail = |s: &str| Error(String::from(s));
    let process = config
        .process
        .as_ref()
        .ok_or_else(|| fail("config.json: process: missing (create needs one)"))?;
    if process.args.is_empty() {
        return Err(fail(
            "config.json: process.args: empty (create needs a command)",
        ));
    }
    let root = config
        .root
        .as_ref()
        .ok_or_else(|| fail("config.json: root: missing"))?;
    let mut spec = Spec {
        namespaces: crate::ns::Set::empty(),
        pid1: Pid1::Command,
        mount_proc: false,
        user_ns_auto: false,
        ..Spec::default()
    };
    let root_path = match root.path.starts_with('/') {
        true => root.path.as_bytes().to_vec(),
        false => [bundle, b"/", root.path.as_bytes()].concat(),
    };
    spec.root = Some(root_path);
    spec.read_only = root.readonly;
    spec.command = process.args.iter().map(|a| a.as_bytes().to_vec()).collect();
    spec.env.push(EnvOp::Clear);
    for kv in &process.env {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        spec.env
            .push(EnvOp::Set(k.as_bytes().to_vec(), v.as_bytes().to_vec()));
    }
    if !process.cwd.is_empty() {
        spec.chdir = Some(process.cwd.as_bytes().to_vec());
    }
    if process.user.uid != 0 {
        spec.setuid = Some(process.user.uid);
    }
    if process.user.gid != 0 {
        spec.setgid = Some(process.user.gid);
    }
    spec.no_new_privs = process.no_new_privileges;
    spec.hostname = config.hostname.as_ref().map(|h| h.as_bytes().to_vec());
    spec.domainname = config.domainname.as_ref().map(|h| h.as_bytes().to_vec());
    if let Some(linux) = &config.linux {
        for ns in &linux.namespaces {
            if ns.path.is_some() {
                return Err(fail(
                    "config.json: linux.namespaces[].path: joining a namespace is not mapped by this stand-in",
                ));
            }
            spec.namespaces.add(ns.kind);
        }
        spec.uid_map = linux.uid_mappings.clone();
        spec.gid_map = linux.gid_mappings.clone();
        // The cgroup's path only (no resources): enough for the runtime's cgroup commands.
        spec.locks.cgroup.path = linux.cgroups_path.as_ref().map(|p| p.as_bytes().to_vec());
    }
    spec.mounts = mounts(config);
    Ok(spec)
}

/// The mounts this stand-in maps.
fn mounts(config: &Config) -> Vec<MountOp> {
    let mut out = Vec::new();
    for m in &config.mounts {
        let dst = m.destination.as_bytes().to_vec();
        let data = |key: &str| {
            m.options
                .data
                .split(',')
                .find_map(|w| w.strip_prefix(key))
                .map(String::from)
        };
        match m.kind.as_str() {
            "proc" => out.push(MountOp::Proc(dst)),
            "sysfs" => out.push(MountOp::Sys(dst)),
            "tmpfs" if m.destination == "/dev" => out.push(MountOp::Dev(dst)),
            "tmpfs" => out.push(MountOp::Tmpfs {
                dst,
                size: data("size=").and_then(|s| crate::cli::parse_size(s.as_bytes())),
                mode: data("mode=").and_then(|s| crate::cli::parse_mode(s.as_bytes())),
            }),
            _ if m.options.flags & super::mount::MS_BIND != 0 || m.kind == "bind" => {
                let kind = match m.options.flags & super::mount::MS_RDONLY != 0 {
                    true => BindKind::ReadOnly,
                    false => BindKind::ReadWrite,
                };
                out.push(MountOp::Bind {
                    src: m.source.as_bytes().to_vec(),
                    dst,
                    kind,
                    optional: false,
                });
            }
            _ => {}
        }
    }
    out
}
