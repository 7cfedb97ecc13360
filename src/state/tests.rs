//! The store against a real directory: names, exclusive creation, stale entries.

use super::*;
use alloc::vec;
use std::os::unix::fs::PermissionsExt;

fn scratch() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "nsrun-state-unit-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    dir
}

fn open(dir: &std::path::Path) -> Result<Store, Error> {
    Store::open(Some(dir.as_os_str().as_encoded_bytes()), &[])
}

fn me() -> (i32, u64) {
    let pid = std::process::id() as i32;
    (pid, proc::start_time(pid).unwrap())
}

fn live(name: &str) -> Entry {
    let (pid, start) = me();
    Entry {
        name: name.as_bytes().to_vec(),
        status: Some(Status::Running),
        pid,
        pid_start: start,
        pid_ns: proc::pid_ns().unwrap(),
        launcher: pid,
        launcher_start: start,
        command: vec![b"true".to_vec()],
        ..Entry::default()
    }
}

#[test]
fn names() {
    for good in ["a", "web-1", "A.b_c", "0a", "1.0", &"x".repeat(64)] {
        assert!(check_name(good.as_bytes()).is_ok(), "{good}");
    }
    for bad in [
        "",
        ".",
        "..",
        "-x",
        ".hidden",
        "a/b",
        "a b",
        "tab\t",
        "é",
        &"x".repeat(65),
        "_x",
        "0",
        "123",
    ] {
        assert!(check_name(bad.as_bytes()).is_err(), "{bad:?}");
    }
    assert!(check_name(b"a\nb").unwrap_err().contains("a\\nb"));
}

#[test]
fn dir_resolution() {
    let env: [&[u8]; 2] = [b"XDG_RUNTIME_DIR=/run/user/1000", b"NSRUN_STATE_DIRX=/no"];
    assert_eq!(dir_path(None, &env, 1000).unwrap(), b"/run/user/1000/nsrun");
    assert_eq!(dir_path(None, &env, 0).unwrap(), b"/run/nsrun");
    assert_eq!(dir_path(Some(b"/d"), &env, 0).unwrap(), b"/d");
    let env2: [&[u8]; 2] = [b"NSRUN_STATE_DIR=/s", b"XDG_RUNTIME_DIR=/x"];
    assert_eq!(dir_path(None, &env2, 1000).unwrap(), b"/s");
    let err = dir_path(None, &[b"XDG_RUNTIME_DIR="], 1000).unwrap_err();
    assert!(
        err.line.contains("XDG_RUNTIME_DIR is not set"),
        "{}",
        err.line
    );
    assert_eq!(err.code, status::SETUP_FAILED);
}

#[test]
fn unsafe_directories_are_refused() {
    let dir = scratch();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = open(&dir).err().unwrap();
    assert!(
        err.line.contains("may be written by others"),
        "{}",
        err.line
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o720)).unwrap();
    assert!(open(&dir).is_err());
    // Readable by others: they could flock it and hang every run --name; the store is then a
    // private subdirectory of it.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = open(&dir).unwrap();
    assert!(store.path.ends_with(b"/nsrun"));
    let inner = std::fs::metadata(dir.join("nsrun")).unwrap();
    assert_eq!(inner.permissions().mode() & 0o777, 0o700);
    std::fs::remove_dir(dir.join("nsrun")).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).unwrap();
    assert!(open(&dir).is_ok());
    // A missing last component is made, mode 0700.
    let sub = dir.join("made");
    open(&sub).unwrap();
    assert_eq!(
        std::fs::metadata(&sub).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let err = open(&dir.join("no/such")).err().unwrap();
    assert!(
        err.line.contains("parent directory must exist"),
        "{}",
        err.line
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn create_find_and_replace() {
    let dir = scratch();
    let store = open(&dir).unwrap();
    assert_eq!(store.find(b"web").unwrap(), None);
    let e = live("web");
    store.create(&e).unwrap();
    assert_eq!(store.find(b"web").unwrap(), Some(e.clone()));
    // Alive: a second create with the name is refused.
    let err = store.create(&live("web")).unwrap_err();
    assert!(err.line.contains("exists"), "{}", err.line);
    // Stopped: replaced.
    let mut stopped = e.clone();
    stopped.status = Some(Status::Stopped);
    stopped.exit = Some(3);
    store.write(&stopped).unwrap();
    assert_eq!(
        life(&store.find(b"web").unwrap().unwrap()),
        Life::Stopped(3)
    );
    store.create(&e).unwrap();
    assert_eq!(life(&store.find(b"web").unwrap().unwrap()), Life::Alive);
    // No temporary file is left behind.
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|d| d.unwrap().file_name())
        .collect();
    assert_eq!(files, ["web"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stale_entries_are_removed_by_whoever_meets_them() {
    let dir = scratch();
    let store = open(&dir).unwrap();
    let mut stale = live("old");
    // Our own pid, but another start time: a reused pid; and a launcher pid now held by a
    // process that started after the tick the entry names (its PID 1's start).
    stale.pid_start += 1;
    stale.launcher_start -= 1;
    store.write(&stale).unwrap();
    assert_eq!(life(&stale), Life::Stale);
    assert_eq!(store.find(b"old").unwrap(), None);
    assert!(!dir.join("old").exists());
    // list removes them too, and keeps the others.
    store.write(&stale).unwrap();
    store.write(&live("new")).unwrap();
    let (entries, bad) = store.list().unwrap();
    assert!(bad.is_empty());
    assert_eq!(
        entries.iter().map(|e| &e.name[..]).collect::<Vec<_>>(),
        [b"new"]
    );
    assert!(!dir.join("old").exists());
    // Launcher alive, PID 1 gone: ending, not stale.
    let mut ending = live("ending");
    ending.pid_start += 1;
    assert_eq!(life(&ending), Life::Ending);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn foreign_files_are_reported_not_removed() {
    let dir = scratch();
    let store = open(&dir).unwrap();
    std::fs::write(dir.join("junk"), "not an entry\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("link")).unwrap();
    std::fs::write(dir.join(".tmp.x.1"), "ignored").unwrap();
    let (entries, bad) = store.list().unwrap();
    assert!(entries.is_empty());
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(store.read(b"link").is_err(), "a symlink is not followed");
    let err = store.create(&live("junk")).unwrap_err();
    assert!(err.line.contains("not a state entry"), "{}", err.line);
    assert!(dir.join("junk").exists() && dir.join("link").exists());
    // An entry whose name line differs from its file name is not taken for it.
    std::fs::write(dir.join("other"), live("web").encode()).unwrap();
    assert!(store.read(b"other").is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The launcher records the end and exits between a reader's read of the entry (still running)
/// and its checks of the processes (both gone): the entry looked stale, but under the lock it is
/// stopped, and the reader gets it as it is now, never "no such container".
#[test]
fn an_entry_stopped_after_it_looked_stale_is_kept_and_returned() {
    let dir = scratch();
    let store = open(&dir).unwrap();
    let mut seen = live("web");
    seen.pid_start += 1;
    seen.launcher_start -= 1;
    assert_eq!(life(&seen), Life::Stale, "as the reader saw it");
    let mut now = seen.clone();
    now.status = Some(Status::Stopped);
    now.exit = Some(137);
    store.write(&now).unwrap();
    let got = store
        .unless_stale(b"web")
        .unwrap()
        .expect("the stopped entry");
    assert_eq!(life(&got), Life::Stopped(137));
    assert!(dir.join("web").exists());
    // Still stale under the lock: removed.
    store.write(&seen).unwrap();
    assert_eq!(store.unless_stale(b"web").unwrap(), None);
    assert!(!dir.join("web").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `update` writes only over the same container's entry; `delete` removes the fifo and the kept
/// config only with its own entry (a container of the same id made since keeps them).
#[test]
fn update_and_delete_touch_only_the_same_container() {
    let dir = scratch();
    let store = open(&dir).unwrap();
    let mut old = live("c");
    old.oci = true;
    store.create(&old).unwrap();
    // Another container took the id since (the old one was deleted, a new one created).
    let mut new = old.clone();
    new.pid_start += 1;
    new.command = vec![b"new".to_vec()];
    store.write(&new).unwrap();
    store.save_config(b"c", b"{}").unwrap();
    store.make_fifo(b"c").unwrap();
    let mut late = old.clone();
    late.status = Some(Status::Stopped);
    assert!(!store.update(&late).unwrap(), "not over another's entry");
    assert_eq!(store.read(b"c").unwrap().unwrap().command, new.command);
    assert!(!store.delete(&old).unwrap());
    let d = store.dir.as_fd();
    for name in ["c", ".fifo.c", ".config.c"] {
        assert!(
            rustix::fs::statat(d, name, AtFlags::SYMLINK_NOFOLLOW).is_ok(),
            "{name} stays"
        );
    }
    assert_eq!(store.saved_config(b"c").unwrap(), b"{}");
    // Its own: updated, then deleted with its fifo and config.
    let mut mine = new.clone();
    mine.status = Some(Status::Stopped);
    assert!(store.update(&mine).unwrap());
    assert!(store.delete(&mine).unwrap());
    for name in ["c", ".fifo.c", ".config.c"] {
        assert!(
            rustix::fs::statat(d, name, AtFlags::SYMLINK_NOFOLLOW).is_err(),
            "{name} is gone"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
