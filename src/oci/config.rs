//! The structs of the model and the functions that read each from its JSON object.

use alloc::string::String;
use alloc::vec::Vec;

use super::mount::{self, Options};
use super::read::{self, At, Obj};
use super::seccomp::{self, Seccomp};
use super::Error;
use crate::json::Value;
use crate::ns::Kind;
use crate::spec::IdMap;

/// A whole config.json.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct Config {
    /// `ociVersion`: a 1.x version of the runtime spec.
    pub oci_version: String,
    /// `process`: what runs (needed by `create`, not by `features` or `delete`).
    pub process: Option<Process>,
    /// `root`.
    pub root: Option<Root>,
    /// `hostname` (not empty).
    pub hostname: Option<String>,
    /// `domainname` (not empty).
    pub domainname: Option<String>,
    /// `mounts`, in order.
    pub mounts: Vec<Mount>,
    /// `hooks`.
    pub hooks: Hooks,
    /// `annotations`, in the document's order.
    pub annotations: Vec<(String, String)>,
    /// `linux`.
    pub linux: Option<Linux>,
}

/// `process`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Process {
    /// `terminal`: the process gets a pseudo-terminal (through the console socket).
    pub terminal: bool,
    /// `consoleSize`: `(height, width)` of that terminal.
    pub console_size: Option<(u16, u16)>,
    /// `user`.
    pub user: User,
    /// `args`: the command and its arguments (`create` needs one; a template such as
    /// `ctr oci spec` prints has none).
    pub args: Vec<String>,
    /// `env`: `NAME=VALUE` entries, the whole environment.
    pub env: Vec<String>,
    /// `cwd`: an absolute path inside the container.
    pub cwd: String,
    /// `capabilities`; `None`: the runtime's default.
    pub capabilities: Option<Capabilities>,
    /// `rlimits`, each resource at most once.
    pub rlimits: Vec<Rlimit>,
    /// `noNewPrivileges`.
    pub no_new_privileges: bool,
    /// `oomScoreAdj` (-1000 to 1000).
    pub oom_score_adj: Option<i32>,
}

/// `process.user`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct User {
    /// `uid`.
    pub uid: u32,
    /// `gid`.
    pub gid: u32,
    /// `umask` (at most 0o777).
    pub umask: Option<u32>,
    /// `additionalGids`.
    pub additional_gids: Vec<u32>,
}

/// `process.capabilities`: each set as a mask, bit `n` for capability `n`
/// ([`crate::confine::caps::NAMES`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Capabilities {
    /// `bounding`.
    pub bounding: u64,
    /// `effective`.
    pub effective: u64,
    /// `inheritable`.
    pub inheritable: u64,
    /// `permitted`.
    pub permitted: u64,
    /// `ambient`.
    pub ambient: u64,
}

/// One of `process.rlimits`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rlimit {
    /// `type`, as its `RLIMIT_*` number.
    pub resource: u8,
    /// `soft` (`u64::MAX`: unlimited), at most `hard`.
    pub soft: u64,
    /// `hard`.
    pub hard: u64,
}

/// `root`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Root {
    /// `path`: absolute, or relative to the bundle.
    pub path: String,
    /// `readonly`.
    pub readonly: bool,
}

/// One of `mounts`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Mount {
    /// `destination`: an absolute path inside the container.
    pub destination: String,
    /// `type` (`""` for a bind mount that says so only in its options).
    pub kind: String,
    /// `source`.
    pub source: String,
    /// `options`, decoded.
    pub options: Options,
}

/// One hook.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Hook {
    /// `path`: the absolute path of the program.
    pub path: String,
    /// `args`, `argv[0]` included.
    pub args: Vec<String>,
    /// `env`.
    pub env: Vec<String>,
    /// `timeout` in seconds (above 0).
    pub timeout: Option<i64>,
}

/// `hooks`, each list in order.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Hooks {
    /// `prestart` (deprecated by the spec, still sent).
    pub prestart: Vec<Hook>,
    /// `createRuntime`.
    pub create_runtime: Vec<Hook>,
    /// `createContainer`.
    pub create_container: Vec<Hook>,
    /// `startContainer`.
    pub start_container: Vec<Hook>,
    /// `poststart`.
    pub poststart: Vec<Hook>,
    /// `poststop`.
    pub poststop: Vec<Hook>,
}

/// One of `linux.namespaces`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Namespace {
    /// `type`.
    pub kind: Kind,
    /// `path`: join this namespace instead of making one.
    pub path: Option<String>,
}

/// The type of a device node.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DeviceKind {
    /// `c` (or `u`, unbuffered): a character device.
    Char,
    /// `b`: a block device.
    Block,
    /// `p`: a FIFO.
    Fifo,
}

/// One of `linux.devices`: a node to make in the container's /dev.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Device {
    /// `path`: absolute, inside the container.
    pub path: String,
    /// `type`.
    pub kind: DeviceKind,
    /// `major` (0 to 4095).
    pub major: u32,
    /// `minor` (0 to 1048575).
    pub minor: u32,
    /// `fileMode`: the permission bits.
    pub file_mode: Option<u32>,
    /// `uid`.
    pub uid: Option<u32>,
    /// `gid`.
    pub gid: Option<u32>,
}

/// One of `linux.resources.devices`: a line of the device cgroup's allow list.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DeviceRule {
    /// `allow`: allow, else deny.
    pub allow: bool,
    /// `type`: `b'a'` (all, also for `""`), `b'c'` or `b'b'`.
    pub kind: u8,
    /// `major`; `None` (also for -1): any.
    pub major: Option<u32>,
    /// `minor`; `None` (also for -1): any.
    pub minor: Option<u32>,
    /// `access`: some of `r`, `w`, `m` (empty: as the kernel takes an empty access, all).
    pub access: String,
}

/// `linux.resources.memory`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Memory {
    /// `limit` in bytes (-1: none).
    pub limit: Option<i64>,
    /// `reservation` (the soft limit) in bytes.
    pub reservation: Option<i64>,
    /// `swap`: memory and swap together, in bytes (-1: no limit on swap).
    pub swap: Option<i64>,
    /// `swappiness` (0 to 100).
    pub swappiness: Option<u64>,
    /// `disableOOMKiller`.
    pub disable_oom_killer: Option<bool>,
}

/// `linux.resources.cpu`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Cpu {
    /// `shares` (cgroup v1 cpu.shares).
    pub shares: Option<u64>,
    /// `quota` in microseconds per period (-1: none).
    pub quota: Option<i64>,
    /// `period` in microseconds.
    pub period: Option<u64>,
    /// `cpus`: the CPUs the container may run on (cpuset.cpus: `0-3,5`).
    pub cpus: Option<String>,
    /// `mems`: the memory nodes it may use (cpuset.mems).
    pub mems: Option<String>,
}

/// `linux.resources`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Resources {
    /// `devices`: the device cgroup rules, in order.
    pub devices: Vec<DeviceRule>,
    /// `memory`.
    pub memory: Option<Memory>,
    /// `cpu`.
    pub cpu: Option<Cpu>,
    /// `pids.limit` (0 or less: no limit).
    pub pids_limit: Option<i64>,
}

/// `linux`.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct Linux {
    /// `namespaces`, each kind at most once.
    pub namespaces: Vec<Namespace>,
    /// `uidMappings`.
    pub uid_mappings: Vec<IdMap>,
    /// `gidMappings`.
    pub gid_mappings: Vec<IdMap>,
    /// `devices`.
    pub devices: Vec<Device>,
    /// `cgroupsPath`.
    pub cgroups_path: Option<String>,
    /// `resources`.
    pub resources: Option<Resources>,
    /// `rootfsPropagation` as mount flags (MS_PRIVATE ... with MS_REC for the `r` forms).
    pub rootfs_propagation: Option<u64>,
    /// `maskedPaths`.
    pub masked_paths: Vec<String>,
    /// `readonlyPaths`.
    pub readonly_paths: Vec<String>,
    /// `sysctl`, in order.
    pub sysctl: Vec<(String, String)>,
    /// `seccomp`.
    pub seccomp: Option<Seccomp>,
}

/// The error `expected WHAT, found VALUE` for the member `key` of `o`.
fn bad(o: &Obj, key: &str, what: &str) -> Error {
    match o.get(key).ok().flatten() {
        Some(value) => o.at.key(key).expected(what, value),
        None => {
            let mut text = String::from("missing: expected ");
            text.push_str(what);
            o.at.key(key).fail(&text)
        }
    }
}

/// The error `"TYPE" given twice` for the member `type` of `o`.
fn twice(o: &Obj) -> Error {
    let mut what = String::new();
    if let Ok(Some(value)) = o.get("type") {
        read::describe(&mut what, value);
    }
    what.push_str(" given twice");
    o.at.key("type").fail(&what)
}

/// The member `key` of `o` as an absolute path; `""` when missing and `missing_ok`.
fn absolute(o: &Obj, key: &str, missing_ok: bool) -> Result<String, Error> {
    let path = o.str(key)?;
    match path.starts_with('/') || (path.is_empty() && missing_ok) {
        true => Ok(String::from(path)),
        false => Err(bad(o, key, "an absolute path")),
    }
}

/// Reads the whole document.
pub(super) fn config(value: &Value, at: At) -> Result<Config, Error> {
    let o = Obj::new(value, at)?;
    o.refuse("")?;
    let version = o.str("ociVersion")?;
    if !version.starts_with("1.") {
        return Err(bad(&o, "ociVersion", "a 1.x version of the runtime spec"));
    }
    let process = match o.obj("process")? {
        Some(p) => Some(process(&p)?),
        None => None,
    };
    let root = match o.obj("root")? {
        Some(r) => {
            if r.str("path")?.is_empty() {
                return Err(bad(&r, "path", "the root filesystem's path"));
            }
            Some(Root {
                path: String::from(r.str("path")?),
                readonly: r.bool("readonly")?,
            })
        }
        None => None,
    };
    let mut mounts = Vec::new();
    let list_at = o.at.key("mounts");
    for (i, item) in o.array("mounts")?.iter().enumerate() {
        let m = Obj::new(item, list_at.index(i))?;
        m.refuse("mounts[]")?;
        let destination = absolute(&m, "destination", false)?;
        let words = m.array("options")?;
        mounts.push(Mount {
            destination,
            kind: String::from(m.str("type")?),
            source: String::from(m.str("source")?),
            options: mount::options(words, &m.at.key("options"))?,
        });
    }
    let hooks = match o.obj("hooks")? {
        Some(h) => hooks(&h)?,
        None => Hooks::default(),
    };
    let linux = match o.obj("linux")? {
        Some(l) => Some(linux(&l)?),
        None => None,
    };
    Ok(Config {
        oci_version: String::from(version),
        process,
        root,
        hostname: name(&o, "hostname")?,
        domainname: name(&o, "domainname")?,
        mounts,
        hooks,
        annotations: o.string_map("annotations")?,
        linux,
    })
}

/// A host or domain name: at most 64 bytes (sethostname(2)).
fn name(o: &Obj, key: &str) -> Result<Option<String>, Error> {
    let text = o.opt_str(key)?;
    match text {
        Some(t) if t.len() > 64 => Err(bad(o, key, "a name of at most 64 bytes")),
        t => Ok(t),
    }
}

/// Reads `process` (or a process.json).
pub(super) fn process(o: &Obj) -> Result<Process, Error> {
    o.refuse("process")?;
    let console_size = match o.obj("consoleSize")? {
        Some(c) => {
            let side = |key| c.uint(key, u16::MAX.into()).map(|n| n.unwrap_or(0) as u16);
            Some((side("height")?, side("width")?))
        }
        None => None,
    };
    let user = match o.obj("user")? {
        Some(u) => user(&u)?,
        None => User::default(),
    };
    let args = o.strings("args")?;
    let env = env(o)?;
    let capabilities = match o.obj("capabilities")? {
        Some(c) => Some(Capabilities {
            bounding: caps(&c, "bounding")?,
            effective: caps(&c, "effective")?,
            inheritable: caps(&c, "inheritable")?,
            permitted: caps(&c, "permitted")?,
            ambient: caps(&c, "ambient")?,
        }),
        None => None,
    };
    let mut rlimits: Vec<Rlimit> = Vec::new();
    let list_at = o.at.key("rlimits");
    for (i, item) in o.array("rlimits")?.iter().enumerate() {
        let r = Obj::new(item, list_at.index(i))?;
        let limit = rlimit(&r)?;
        if rlimits.iter().any(|l| l.resource == limit.resource) {
            return Err(twice(&r));
        }
        rlimits.push(limit);
    }
    let oom = o.get("oomScoreAdj")?;
    let oom_at = o.at.key("oomScoreAdj");
    Ok(Process {
        terminal: o.bool("terminal")?,
        console_size,
        user,
        args,
        env,
        cwd: absolute(o, "cwd", false)?,
        capabilities,
        rlimits,
        no_new_privileges: o.bool("noNewPrivileges")?,
        oom_score_adj: match oom {
            Some(v) => Some(read::int(v, &oom_at, -1000, 1000)? as i32),
            None => None,
        },
    })
}

/// `env`: `NAME=VALUE` entries, NAME not empty.
fn env(o: &Obj) -> Result<Vec<String>, Error> {
    let env = o.strings("env")?;
    match env.iter().position(|e| e.find('=').is_none_or(|n| n == 0)) {
        Some(i) => {
            let value = Value::Str(env[i].clone());
            Err(o.at.key("env").index(i).expected("NAME=VALUE", &value))
        }
        None => Ok(env),
    }
}

fn user(u: &Obj) -> Result<User, Error> {
    u.refuse("process.user")?;
    let mut gids = Vec::new();
    let list_at = u.at.key("additionalGids");
    for (i, item) in u.array("additionalGids")?.iter().enumerate() {
        gids.push(read::u32_of(item, &list_at.index(i))?);
    }
    Ok(User {
        uid: u.u32("uid")?.unwrap_or(0),
        gid: u.u32("gid")?.unwrap_or(0),
        umask: u.uint("umask", 0o777)?.map(|n| n as u32),
        additional_gids: gids,
    })
}

/// One capability set: `CAP_` names as the kernel's headers spell them.
fn caps(c: &Obj, key: &str) -> Result<u64, Error> {
    let mut mask = 0;
    let list_at = c.at.key(key);
    for (i, item) in c.array(key)?.iter().enumerate() {
        let at = list_at.index(i);
        let name = read::string(item, &at)?;
        let bare = name.strip_prefix("CAP_").unwrap_or("");
        let n = crate::confine::caps::NAMES.iter().position(|n| {
            n.len() == bare.len() && n.bytes().map(|b| b.to_ascii_uppercase()).eq(bare.bytes())
        });
        match n {
            Some(n) => mask |= 1 << n,
            None => return Err(read::unknown(&at, "capability", item)),
        }
    }
    Ok(mask)
}

fn rlimit(r: &Obj) -> Result<Rlimit, Error> {
    let type_at = r.at.key("type");
    let kind = r.required("type")?;
    let name = read::string(kind, &type_at)?;
    let bare = name.strip_prefix("RLIMIT_").unwrap_or("");
    let resource = crate::confine::rlimit::NAMES.iter().find(|(n, _)| {
        n.len() == bare.len() && n.bytes().map(|b| b.to_ascii_uppercase()).eq(bare.bytes())
    });
    let Some(&(_, resource)) = resource else {
        return Err(read::unknown(&type_at, "resource limit", kind));
    };
    let soft = r.uint("soft", u64::MAX)?.unwrap_or(0);
    let hard = r.uint("hard", u64::MAX)?.unwrap_or(0);
    if soft > hard {
        return Err(r.at.key("soft").fail("above the hard limit"));
    }
    Ok(Rlimit {
        resource,
        soft,
        hard,
    })
}

fn hooks(h: &Obj) -> Result<Hooks, Error> {
    let list = |key: &str| -> Result<Vec<Hook>, Error> {
        let list_at = h.at.key(key);
        let mut out = Vec::new();
        for (i, item) in h.array(key)?.iter().enumerate() {
            let o = Obj::new(item, list_at.index(i))?;
            let timeout = o.i64("timeout")?;
            if timeout.is_some_and(|t| t <= 0) {
                return Err(bad(&o, "timeout", "a number of seconds above 0"));
            }
            out.push(Hook {
                path: absolute(&o, "path", false)?,
                args: o.strings("args")?,
                env: env(&o)?,
                timeout,
            });
        }
        Ok(out)
    };
    Ok(Hooks {
        prestart: list("prestart")?,
        create_runtime: list("createRuntime")?,
        create_container: list("createContainer")?,
        start_container: list("startContainer")?,
        poststart: list("poststart")?,
        poststop: list("poststop")?,
    })
}

/// The namespace type names of the spec (for `features`), with their kinds in `KINDS`.
pub const NAMESPACES: [&str; 8] = [
    "mount", "uts", "ipc", "network", "pid", "user", "cgroup", "time",
];
const KINDS: [Kind; 8] = [
    Kind::Mount,
    Kind::Uts,
    Kind::Ipc,
    Kind::Net,
    Kind::Pid,
    Kind::User,
    Kind::Cgroup,
    Kind::Time,
];

/// The propagation names of `rootfsPropagation`, with their flags.
const PROPAGATIONS: [&str; 8] = [
    "private",
    "rprivate",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "unbindable",
    "runbindable",
];
const PROPAGATION_FLAGS: [u64; 8] = [
    mount::MS_PRIVATE,
    mount::MS_PRIVATE | mount::MS_REC,
    mount::MS_SHARED,
    mount::MS_SHARED | mount::MS_REC,
    mount::MS_SLAVE,
    mount::MS_SLAVE | mount::MS_REC,
    mount::MS_UNBINDABLE,
    mount::MS_UNBINDABLE | mount::MS_REC,
];

fn id_maps(l: &Obj, key: &str) -> Result<Vec<IdMap>, Error> {
    let list_at = l.at.key(key);
    let mut out = Vec::new();
    for (i, item) in l.array(key)?.iter().enumerate() {
        let m = Obj::new(item, list_at.index(i))?;
        out.push(IdMap {
            inside: m.u32("containerID")?.unwrap_or(0),
            outside: m.u32("hostID")?.unwrap_or(0),
            count: m.u32("size")?.unwrap_or(0),
        });
    }
    Ok(out)
}

fn linux(l: &Obj) -> Result<Linux, Error> {
    l.refuse("linux")?;
    let mut namespaces: Vec<Namespace> = Vec::new();
    let list_at = l.at.key("namespaces");
    for (i, item) in l.array("namespaces")?.iter().enumerate() {
        let n = Obj::new(item, list_at.index(i))?;
        let type_at = n.at.key("type");
        let kind = n.required("type")?;
        let kind = KINDS[read::word(kind, &type_at, "namespace type", &NAMESPACES)?];
        if namespaces.iter().any(|m| m.kind == kind) {
            return Err(twice(&n));
        }
        let path = absolute(&n, "path", true)?;
        namespaces.push(Namespace {
            kind,
            path: (!path.is_empty()).then_some(path),
        });
    }
    let mut devices = Vec::new();
    let list_at = l.at.key("devices");
    for (i, item) in l.array("devices")?.iter().enumerate() {
        devices.push(device(&Obj::new(item, list_at.index(i))?)?);
    }
    let propagation = match l.get("rootfsPropagation")? {
        Some(Value::Str(s)) if s.is_empty() => None,
        Some(value) => {
            let at = l.at.key("rootfsPropagation");
            let n = read::word(value, &at, "propagation", &PROPAGATIONS)?;
            Some(PROPAGATION_FLAGS[n])
        }
        None => None,
    };
    let resources = match l.obj("resources")? {
        Some(r) => Some(resources(&r)?),
        None => None,
    };
    let seccomp = match l.obj("seccomp")? {
        Some(s) => Some(seccomp::seccomp(&s)?),
        None => None,
    };
    Ok(Linux {
        namespaces,
        uid_mappings: id_maps(l, "uidMappings")?,
        gid_mappings: id_maps(l, "gidMappings")?,
        devices,
        cgroups_path: cgroups_path(l)?,
        resources,
        rootfs_propagation: propagation,
        masked_paths: paths(l, "maskedPaths")?,
        readonly_paths: paths(l, "readonlyPaths")?,
        sysctl: sysctl(l)?,
        seccomp,
    })
}

/// `cgroupsPath`, checked as `--cgroup-path` is: no `.`, `..` or empty component, so it stays
/// below the cgroup root.
fn cgroups_path(l: &Obj) -> Result<Option<String>, Error> {
    let path = l.opt_str("cgroupsPath")?;
    if let Some(p) = &path {
        crate::confine::cgroup::check_path(p.as_bytes())
            .map_err(|why| l.at.key("cgroupsPath").fail(why))?;
    }
    Ok(path)
}

/// `sysctl`: each name dotted (`net.ipv4.ip_forward`), without `/` or empty components, since
/// it becomes a path below /proc/sys.
fn sysctl(l: &Obj) -> Result<Vec<(String, String)>, Error> {
    let map = l.string_map("sysctl")?;
    for (name, _) in &map {
        if name.contains('/') || name.split('.').any(str::is_empty) {
            let at = l.at.key("sysctl");
            return Err(at
                .entry(name)
                .fail("not a sysctl name (dotted, as net.ipv4.ip_forward)"));
        }
    }
    Ok(map)
}

/// A list of absolute paths.
fn paths(l: &Obj, key: &str) -> Result<Vec<String>, Error> {
    let list = l.strings(key)?;
    match list.iter().position(|p| !p.starts_with('/')) {
        Some(i) => {
            let value = Value::Str(list[i].clone());
            Err(l.at.key(key).index(i).expected("an absolute path", &value))
        }
        None => Ok(list),
    }
}

/// The device type letters, with their kinds.
const DEVICE_TYPES: [&str; 4] = ["c", "u", "b", "p"];
const DEVICE_KINDS: [DeviceKind; 4] = [
    DeviceKind::Char,
    DeviceKind::Char,
    DeviceKind::Block,
    DeviceKind::Fifo,
];

fn device(d: &Obj) -> Result<Device, Error> {
    let type_at = d.at.key("type");
    let kind = d.required("type")?;
    let kind = DEVICE_KINDS[read::word(kind, &type_at, "device type", &DEVICE_TYPES)?];
    // dev_t has 12 bits of major and 20 of minor: a bigger number would be cut silently.
    let number = |key: &str, max: i64| -> Result<u32, Error> {
        match d.get(key)? {
            Some(v) => read::int(v, &d.at.key(key), 0, max).map(|n| n as u32),
            None => Ok(0),
        }
    };
    Ok(Device {
        path: absolute(d, "path", false)?,
        kind,
        major: number("major", 4095)?,
        minor: number("minor", 1_048_575)?,
        file_mode: d.uint("fileMode", 0o7777)?.map(|n| n as u32),
        uid: d.u32("uid")?,
        gid: d.u32("gid")?,
    })
}

fn resources(r: &Obj) -> Result<Resources, Error> {
    r.refuse("linux.resources")?;
    let mut devices = Vec::new();
    let list_at = r.at.key("devices");
    for (i, item) in r.array("devices")?.iter().enumerate() {
        let d = Obj::new(item, list_at.index(i))?;
        let kind = match d.str("type")? {
            "" | "a" => b'a',
            "c" => b'c',
            "b" => b'b',
            _ => return Err(bad(&d, "type", "\"a\", \"c\" or \"b\"")),
        };
        // -1 is runc's wildcard, as a missing number is. dev_t has 12 bits of major and 20 of
        // minor; a bigger number is refused (the v1 controller reads 4294967295 as its own `*`).
        let number = |key: &str, max: i64| -> Result<Option<u32>, Error> {
            match d.get(key)? {
                Some(v) => {
                    let n = read::int(v, &d.at.key(key), -1, max)?;
                    Ok((n >= 0).then_some(n as u32))
                }
                None => Ok(None),
            }
        };
        let access = d.str("access")?;
        let mut seen = [false; 3];
        for b in access.bytes() {
            match b"rwm".iter().position(|&c| c == b) {
                Some(n) if !seen[n] => seen[n] = true,
                _ => {
                    return Err(bad(
                        &d,
                        "access",
                        "some of the letters r, w and m, once each",
                    ))
                }
            }
        }
        devices.push(DeviceRule {
            allow: d.bool("allow")?,
            kind,
            major: number("major", 4095)?,
            minor: number("minor", (1 << 20) - 1)?,
            access: String::from(access),
        });
    }
    let memory = match r.obj("memory")? {
        Some(m) => {
            m.refuse("linux.resources.memory")?;
            Some(Memory {
                limit: m.i64("limit")?,
                reservation: m.i64("reservation")?,
                swap: m.i64("swap")?,
                swappiness: m.uint("swappiness", 100)?,
                disable_oom_killer: m.opt_bool("disableOOMKiller")?,
            })
        }
        None => None,
    };
    let cpu = match r.obj("cpu")? {
        Some(c) => {
            c.refuse("linux.resources.cpu")?;
            Some(Cpu {
                shares: c.uint("shares", u64::MAX)?,
                quota: c.i64("quota")?,
                period: c.uint("period", u64::MAX)?,
                cpus: c.opt_str("cpus")?,
                mems: c.opt_str("mems")?,
            })
        }
        None => None,
    };
    let pids_limit = match r.obj("pids")? {
        Some(p) => p.i64("limit")?,
        None => None,
    };
    Ok(Resources {
        devices,
        memory,
        cpu,
        pids_limit,
    })
}
