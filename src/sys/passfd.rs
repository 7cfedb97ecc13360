//! Passing a descriptor over a Unix socket with SCM_RIGHTS (unix(7)), with a payload: the OCI
//! console's master, and the fifo an OCI container waits on. Allocation-free: the child calls
//! these.

use core::mem::MaybeUninit;

use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::io::{Errno, IoSlice, IoSliceMut};
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};

/// Sends `payload` (not empty) and `fd` over the connected `socket`.
pub fn send(socket: BorrowedFd<'_>, payload: &[u8], fd: BorrowedFd<'_>) -> Result<(), Errno> {
    let fds = [fd];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(Errno::NOBUFS);
    }
    let iov = [IoSlice::new(payload)];
    let sent = rustix::net::sendmsg(socket, &iov, &mut control, SendFlags::NOSIGNAL)?;
    match sent == payload.len() {
        true => Ok(()),
        false => Err(Errno::MSGSIZE),
    }
}

/// Receives one byte of payload and, if one came with it, a descriptor (close-on-exec). End of
/// file is `Err(PIPE)`.
pub fn recv_byte(socket: BorrowedFd<'_>) -> Result<(u8, Option<OwnedFd>), Errno> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let msg = loop {
        match rustix::net::recvmsg(socket, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC) {
            Err(Errno::INTR) => continue,
            other => break other?,
        }
    };
    let mut fd = None;
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(mut fds) = m {
            // One is asked for; any more are closed as the iterator drops them.
            fd = fd.or(fds.next());
        }
    }
    match msg.bytes {
        0 => Err(Errno::PIPE),
        _ => Ok((byte[0], fd)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::fd::AsFd;
    use rustix::net::{AddressFamily, SocketFlags, SocketType};

    #[test]
    fn a_byte_and_a_descriptor_cross_and_a_plain_byte_comes_alone() {
        let (a, b) = rustix::net::socketpair(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        let (r, w) = rustix::pipe::pipe().unwrap();
        send(a.as_fd(), b"A", r.as_fd()).unwrap();
        let (byte, fd) = recv_byte(b.as_fd()).unwrap();
        assert_eq!(byte, b'A');
        let fd = fd.expect("the descriptor");
        rustix::io::write(&w, b"x").unwrap();
        let mut got = [0u8; 1];
        assert_eq!(rustix::io::read(&fd, &mut got).unwrap(), 1);
        assert_eq!(&got, b"x");
        rustix::io::write(&a, b"F").unwrap();
        let (byte, fd) = recv_byte(b.as_fd()).unwrap();
        assert_eq!((byte, fd.is_none()), (b'F', true));
        drop(a);
        assert_eq!(recv_byte(b.as_fd()).err(), Some(Errno::PIPE));
    }
}
