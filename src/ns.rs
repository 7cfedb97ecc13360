//! The kinds of Linux namespace and sets of them.

/// One kind of namespace.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Mount points (CLONE_NEWNS).
    Mount,
    /// Hostname and NIS domain name (CLONE_NEWUTS).
    Uts,
    /// System V IPC and POSIX message queues (CLONE_NEWIPC).
    Ipc,
    /// Network devices, addresses, ports (CLONE_NEWNET).
    Net,
    /// Process ids (CLONE_NEWPID).
    Pid,
    /// User and group ids, capabilities (CLONE_NEWUSER).
    User,
    /// The cgroup root (CLONE_NEWCGROUP).
    Cgroup,
    /// Boot and monotonic clocks (CLONE_NEWTIME).
    Time,
}

impl Kind {
    /// Every kind, in the order options and messages list them.
    pub const ALL: [Kind; 8] = [
        Kind::Mount,
        Kind::Uts,
        Kind::Ipc,
        Kind::Net,
        Kind::Pid,
        Kind::User,
        Kind::Cgroup,
        Kind::Time,
    ];

    /// The name used in options (`--share-net`) and messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mount => "mount",
            Kind::Uts => "uts",
            Kind::Ipc => "ipc",
            Kind::Net => "net",
            Kind::Pid => "pid",
            Kind::User => "user",
            Kind::Cgroup => "cgroup",
            Kind::Time => "time",
        }
    }

    /// The kind named `name`, as in `--share-NAME`.
    pub fn from_name(name: &[u8]) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name().as_bytes() == name)
    }

    /// The clone(2)/unshare(2) flag that creates this kind.
    pub fn flag(self) -> i32 {
        match self {
            Kind::Mount => libc::CLONE_NEWNS,
            Kind::Uts => libc::CLONE_NEWUTS,
            Kind::Ipc => libc::CLONE_NEWIPC,
            Kind::Net => libc::CLONE_NEWNET,
            Kind::Pid => libc::CLONE_NEWPID,
            Kind::User => libc::CLONE_NEWUSER,
            Kind::Cgroup => libc::CLONE_NEWCGROUP,
            Kind::Time => libc::CLONE_NEWTIME,
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of namespace kinds.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct Set(u8);

impl Set {
    /// What nsrun creates when no namespace option is given: mount, UTS, IPC, network and PID.
    pub const DEFAULT: Set = Set(0b1_1111);

    /// The empty set.
    pub const fn empty() -> Set {
        Set(0)
    }

    /// Every kind.
    pub fn all() -> Set {
        Set(0xff)
    }

    /// Whether `kind` is in the set.
    pub fn has(self, kind: Kind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Adds `kind`.
    pub fn add(&mut self, kind: Kind) {
        self.0 |= kind.bit();
    }

    /// Removes `kind`.
    pub fn remove(&mut self, kind: Kind) {
        self.0 &= !kind.bit();
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`Kind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Kind> {
        Kind::ALL.into_iter().filter(move |k| self.has(*k))
    }

    /// The clone flags for the kinds that clone(2) can create. CLONE_NEWTIME shares its bit with
    /// the exit-signal field of clone(2), so a time namespace is made by unshare(2) in the child.
    pub fn clone_flags(self) -> i32 {
        self.iter()
            .filter(|k| *k != Kind::Time)
            .fold(0, |acc, k| acc | k.flag())
    }
}

/// The kinds named by clone `flags`, for messages: `mount, uts, pid`.
pub fn describe(flags: i32) -> alloc::string::String {
    let mut s = alloc::string::String::new();
    for k in Kind::ALL
        .iter()
        .filter(|k| **k != Kind::Time && flags & k.flag() != 0)
    {
        if !s.is_empty() {
            s.push_str(", ");
        }
        s.push_str(k.name());
    }
    if s.is_empty() {
        s.push_str("no new namespaces");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_mount_uts_ipc_net_pid() {
        let names: Vec<_> = Set::DEFAULT.iter().map(Kind::name).collect();
        assert_eq!(names, ["mount", "uts", "ipc", "net", "pid"]);
    }

    #[test]
    fn time_is_not_a_clone_flag() {
        let mut s = Set::empty();
        s.add(Kind::Time);
        s.add(Kind::Pid);
        assert_eq!(s.clone_flags(), libc::CLONE_NEWPID);
    }

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name().as_bytes()), Some(k));
        }
        assert_eq!(Kind::from_name(b"bogus"), None);
    }
}
