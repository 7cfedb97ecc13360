//! The OCI console: a pseudo-terminal made in the container's own devpts, its master handed to
//! the engine over the console socket (SCM_RIGHTS), its slave made the process's standard
//! descriptors and controlling terminal.
//!
//! The socket is connected by the runtime before clone ([`connect`]: after pivot_root its path
//! may not be reachable); the child calls [`open_pair`], [`send_master`] and [`become_terminal`]
//! once the container's /dev/pts is mounted. None of them allocates: the child may call them.
//! See pty(7), unix(7) (SCM_RIGHTS), and runc's `--console-socket` (docs/terminals.md).

use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
use rustix::pty::OpenptFlags;

/// The most digits of a pty number (`u32`) and the `/dev/pts/` before them.
const NAME_MAX: usize = 9 + 10;

/// Connects a close-on-exec stream socket to the Unix socket at `path` (the engine listens
/// there); the child later sends the master on it.
pub fn connect(path: &[u8]) -> Result<OwnedFd, Errno> {
    let addr = SocketAddrUnix::new(path)?;
    let socket = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    rustix::net::connect(&socket, &addr)?;
    Ok(socket)
}

/// devpts' magic number (statfs(2)).
const DEVPTS_SUPER_MAGIC: u32 = 0x1cd1;

/// Whether statfs' `f_type` (its type differs by architecture) is devpts'.
#[allow(clippy::unnecessary_cast)]
fn is_devpts(f_type: rustix::fs::FsWord) -> bool {
    f_type as u64 == DEVPTS_SUPER_MAGIC as u64
}

/// The inode number of every devpts instance's `ptmx` (fs/devpts/inode.c).
const PTMX_INO: u64 = 2;

/// Opens the directory `path` (absolute) one component at a time, never through a link (a
/// container controls its /dev: `/dev/pts` or `/dev` may be links to the host's, or to
/// /proc/self/fd/N, which would name a descriptor of the runtime).
fn open_dir_nofollow(path: &core::ffi::CStr) -> Result<OwnedFd, Errno> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut dir = rustix::fs::open(c"/", flags, Mode::empty())?;
    let bytes = path.to_bytes();
    let mut name = [0u8; 64];
    for comp in bytes.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
        if comp.len() >= name.len() || comp == b".." {
            return Err(Errno::INVAL);
        }
        name[..comp.len()].copy_from_slice(comp);
        name[comp.len()] = 0;
        let c = core::ffi::CStr::from_bytes_until_nul(&name).map_err(|_| Errno::INVAL)?;
        dir = rustix::fs::openat(&dir, c, flags, Mode::empty())?;
    }
    Ok(dir)
}

/// A new pseudo-terminal pair of the devpts instance mounted at `pts` (the container's
/// `/dev/pts`, so the slave belongs to its devpts): the master and the slave, both close-on-exec,
/// the master unlocked, the slave not made a controlling terminal yet. With `size` (rows,
/// columns), the terminal gets it.
///
/// `pts` is walked without following links and must be a devpts, and its `ptmx` the devpts'
/// own (inode 2, not a link): whatever the container made of its /dev, the pair is of its
/// devpts or nothing (ENOTTY), never a host terminal nor a file reached through a link.
pub fn open_pair(
    pts: &core::ffi::CStr,
    size: Option<(u16, u16)>,
) -> Result<(OwnedFd, OwnedFd), Errno> {
    let dir = open_dir_nofollow(pts)?;
    if !is_devpts(rustix::fs::fstatfs(&dir)?.f_type) {
        return Err(Errno::NOTTY);
    }
    let master = rustix::fs::openat(
        &dir,
        c"ptmx",
        OFlags::RDWR | OFlags::NOCTTY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    // The same devpts (nothing mounted over ptmx: not another devpts' ptmx bound there, whose
    // st_dev differs) and its ptmx.
    let st = rustix::fs::fstat(&master)?;
    let pts_dev = rustix::fs::fstat(&dir)?.st_dev;
    if !is_devpts(rustix::fs::fstatfs(&master)?.f_type)
        || st.st_dev != pts_dev
        || st.st_ino != PTMX_INO
        || rustix::fs::FileType::from_raw_mode(st.st_mode) != rustix::fs::FileType::CharacterDevice
    {
        return Err(Errno::NOTTY);
    }
    rustix::pty::unlockpt(&master)?;
    let flags = OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC;
    let slave = match rustix::pty::ioctl_tiocgptpeer(&master, flags) {
        Ok(slave) => slave,
        // Before Linux 4.13: the slave by its number, in the same devpts.
        Err(Errno::INVAL) | Err(Errno::NOTTY) | Err(Errno::NOSYS) => {
            open_slave_by_name(&dir, &master)?
        }
        Err(e) => return Err(e),
    };
    if let Some((rows, cols)) = size {
        let winsize = rustix::termios::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&master, winsize)?;
    }
    Ok((master, slave))
}

/// The number of the slave of `master` (TIOCGPTN).
pub fn number(master: BorrowedFd<'_>) -> Result<u32, Errno> {
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes one unsigned int through the pointer, which points to `n`, alive
    // for the call; the descriptor is borrowed, so open.
    let rc = unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGPTN, &mut n as *mut _) };
    if rc < 0 {
        return Err(super::errno::last());
    }
    Ok(n)
}

/// `/dev/pts/N` for the slave of `master`, written into `buf`: the payload runc sends with the
/// master (conmon logs it), and the slave's path for kernels without TIOCGPTPEER.
pub fn name<'a>(master: BorrowedFd<'_>, buf: &'a mut [u8; NAME_MAX]) -> Result<&'a [u8], Errno> {
    Ok(pts_path(number(master)?, buf))
}

/// `/dev/pts/N` in `buf`.
fn pts_path(n: u32, buf: &mut [u8; NAME_MAX]) -> &[u8] {
    let prefix = b"/dev/pts/";
    buf[..prefix.len()].copy_from_slice(prefix);
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let len = prefix.len() + digits.len() - i;
    buf[prefix.len()..len].copy_from_slice(&digits[i..]);
    &buf[..len]
}

fn open_slave_by_name(pts: &OwnedFd, master: &OwnedFd) -> Result<OwnedFd, Errno> {
    let mut c = [0u8; 11];
    let mut i = 10;
    let mut v = number(master.as_fd())?;
    // The number's digits and a NUL, on the stack, opened in the same devpts directory.
    loop {
        i -= 1;
        c[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let c = core::ffi::CStr::from_bytes_until_nul(&c[i..]).map_err(|_| Errno::INVAL)?;
    rustix::fs::openat(
        pts,
        c,
        OFlags::RDWR | OFlags::NOCTTY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Sends `master` over the connected `socket` with SCM_RIGHTS and the slave's name as the
/// (non-empty) payload, as runc does; expects no reply.
pub fn send_master(socket: BorrowedFd<'_>, master: BorrowedFd<'_>) -> Result<(), Errno> {
    let mut buf = [0u8; NAME_MAX];
    let payload = name(master, &mut buf)?;
    super::passfd::send(socket, payload, master)
}

/// Makes `slave` this process's controlling terminal (in a new session) and its standard input,
/// output and error; the caller then closes `slave` itself (it is close-on-exec anyway).
pub fn become_terminal(slave: BorrowedFd<'_>) -> Result<(), Errno> {
    rustix::process::setsid()?;
    rustix::process::ioctl_tiocsctty(slave)?;
    rustix::stdio::dup2_stdin(slave)?;
    rustix::stdio::dup2_stdout(slave)?;
    rustix::stdio::dup2_stderr(slave)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::MaybeUninit;
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};

    #[test]
    fn a_pair_is_a_terminal_whose_master_crosses_a_socket() {
        if rustix::fs::access(c"/dev/pts/ptmx", rustix::fs::Access::READ_OK).is_err() {
            eprintln!("skipped: /dev/pts/ptmx cannot be opened by this user");
            return;
        }
        let (master, slave) = open_pair(c"/dev/pts", Some((24, 80))).expect("open a pty pair");
        assert!(rustix::termios::isatty(&slave));
        let size = rustix::termios::tcgetwinsize(&slave).unwrap();
        assert_eq!((size.ws_row, size.ws_col), (24, 80));
        let mut buf = [0u8; NAME_MAX];
        let shown = name(master.as_fd(), &mut buf).unwrap().to_vec();
        assert!(
            shown.starts_with(b"/dev/pts/") && shown.len() > 9,
            "{shown:?}"
        );

        let (a, b) = rustix::net::socketpair(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        send_master(a.as_fd(), master.as_fd()).unwrap();
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let mut got = [0u8; 64];
        let mut iov = [rustix::io::IoSliceMut::new(&mut got)];
        let msg =
            rustix::net::recvmsg(&b, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC).unwrap();
        let n = msg.bytes;
        let mut received = None;
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(fds) = m {
                received = fds.into_iter().next();
            }
        }
        assert_eq!(&got[..n], shown.as_slice());
        let received = received.expect("a descriptor came with the payload");
        // What is written to the slave is read from the master that crossed the socket.
        rustix::io::write(&slave, b"hi").unwrap();
        let mut out = [0u8; 2];
        let mut read = 0;
        while read < 2 {
            read += rustix::io::read(&received, &mut out[read..]).unwrap();
        }
        assert_eq!(&out, b"hi");
    }

    #[test]
    fn only_a_devpts_ptmx_is_taken() {
        // /dev is devtmpfs (its ptmx is no devpts'); /proc/self/fd is a link away.
        assert_eq!(open_pair(c"/dev", None).err(), Some(Errno::NOTTY));
        assert!(open_pair(c"/proc/self/fd", None).is_err());
        assert_eq!(open_pair(c"/dev/pts/..", None).err(), Some(Errno::INVAL));
    }

    #[test]
    fn the_name_has_every_digit() {
        let mut buf = [0u8; NAME_MAX];
        for (n, shown) in [(0, "/dev/pts/0"), (7, "/dev/pts/7"), (10, "/dev/pts/10")] {
            assert_eq!(pts_path(n, &mut buf), shown.as_bytes());
        }
        assert_eq!(pts_path(u32::MAX, &mut buf), b"/dev/pts/4294967295");
    }

    #[test]
    fn a_descriptor_that_is_no_master_has_no_number() {
        // TIOCGPTN on something that is not a master fails rather than inventing a number.
        let (r, _w) = rustix::pipe::pipe().unwrap();
        assert!(number(r.as_fd()).is_err());
    }
}
