//! One writer per output or state directory (RELIABILITY.md B5-46).
//!
//! The lock is a file `.cashmatch.lock` that appears complete or not at
//! all: its body (pid, host, holder, a nonce unique to this acquisition) is
//! written and synced under a private name, then hard-linked into place.
//! `link` fails if the lock exists, like `O_EXCL`, so exactly one process
//! wins.
//!
//! **Stale locks.** A process killed with SIGKILL cannot remove its lock. A
//! lock is stale only when it was written on *this* host (its `host=` line
//! equals ours; a lock without one predates host names and was written by a
//! local run) and its pid is gone from `/proc`. A lock from another host is
//! never broken; without `/proc`, or without a host name, no lock is.
//!
//! **Taking over a stale lock** must not let two contenders both win, nor
//! delete a lock another process has just taken. Each stale lock instance
//! has its own takeover token, `.cashmatch.lock.takeover-<id>`, where `<id>`
//! is a hash of the stale body (which holds a nonce, so it names that one
//! instance). The token is created with `O_EXCL`: one contender holds it.
//! While it does, nobody else can remove that instance (its owner is dead,
//! and every other remover needs the same token), so the holder re-reads
//! the lock, and only if it is still the stale body it read, removes it and
//! links its own. Everybody else re-reads and finds a live lock. A token
//! whose holder died mid-takeover stops everyone with a message naming both
//! files: breaking it automatically would need the same protocol again.
//!
//! **Release** removes the lock only if it still holds our body: a process
//! never deletes another's lock. (Nobody can replace our lock while we
//! live: a takeover needs our pid to be gone.)

use crate::durable::{create_synced, Faults};
use crate::error::{IoContext, StoreError};
use sha2::{Digest, Sha256};
use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Name of the lock file inside a locked directory.
pub const LOCK_NAME: &str = ".cashmatch.lock";
/// A lock body is a few short lines; anything longer is not ours.
const LOCK_BYTES_MAX: u64 = 4096;
/// Rounds of "link, find a lock, examine it" before giving up; each round
/// ends in success, a live lock, or a lock that changed hands meanwhile.
const ACQUIRE_ROUNDS_MAX: usize = 4;

/// An acquired directory lock; dropping it releases the lock (if it is
/// still ours).
#[derive(Debug)]
pub struct DirLock {
    dir: PathBuf,
    path: PathBuf,
    body: Vec<u8>,
    released: bool,
}

/// A lock file as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Body {
    raw: Vec<u8>,
    pid: Option<u32>,
    host: Option<String>,
    holder: String,
}

impl Body {
    fn parse(raw: Vec<u8>) -> Body {
        let text = String::from_utf8_lossy(&raw).into_owned();
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
        };
        Body {
            pid: field("pid=").and_then(|p| p.parse().ok()),
            host: field("host="),
            holder: field("holder=").unwrap_or_else(|| "?".into()),
            raw,
        }
    }

    /// Names this lock instance (the body holds a nonce).
    fn instance_id(&self) -> String {
        let digest = Sha256::digest(&self.raw);
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    fn describe(&self) -> String {
        format!(
            "pid {} on host {} (run {})",
            self.pid.map_or("?".to_string(), |p| p.to_string()),
            self.host.as_deref().unwrap_or("?"),
            self.holder
        )
    }
}

/// This machine's host name, from the kernel; `None` when unknown.
pub fn host_name() -> Option<&'static str> {
    static HOST: OnceLock<Option<String>> = OnceLock::new();
    HOST.get_or_init(|| {
        ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .find_map(|p| {
                let name = fs::read_to_string(p).ok()?.trim().to_string();
                (!name.is_empty()).then_some(name)
            })
    })
    .as_deref()
}

/// A body unique to this acquisition.
fn my_body(holder: &str) -> Vec<u8> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "pid={}\nhost={}\nholder={holder}\nnonce={}-{nanos}-{}\n",
        std::process::id(),
        host_name().unwrap_or("?"),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
    .into_bytes()
}

/// Reads the lock at `path` without following a symlink; `None` when there
/// is none.
fn read_lock(path: &Path) -> std::io::Result<Option<Body>> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut raw = Vec::new();
    file.take(LOCK_BYTES_MAX).read_to_end(&mut raw)?;
    Ok(Some(Body::parse(raw)))
}

/// Stale: written on this host by a process that is provably gone.
fn is_stale(body: &Body) -> bool {
    let (Some(pid), Some(me)) = (body.pid, host_name()) else {
        return false;
    };
    let same_host = body.host.as_deref().is_none_or(|h| h == me);
    same_host && pid_is_gone(pid)
}

/// Without `/proc` we cannot prove a process gone, so it counts as live. A
/// reused pid makes a stale lock look live, which errs on the safe side.
fn pid_is_gone(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    proc_root.join("self").exists()
        && pid != std::process::id()
        && !proc_root.join(pid.to_string()).exists()
}

fn locked(dir: &Path, path: &Path, holder: &Body) -> StoreError {
    StoreError::Locked(format!(
        "`{}` is locked by {}: another cashmatch is using this directory; wait for it, or delete `{}` if that process is gone",
        dir.display(),
        holder.describe(),
        path.display()
    ))
}

impl DirLock {
    /// Takes the lock of `dir` (created if missing) for `holder` (a run id
    /// or command name, written into the lock for the loser's message). A
    /// live lock is [`StoreError::Locked`]; a stale one is taken over with
    /// a warning on stderr.
    pub fn acquire(dir: &Path, holder: &str) -> Result<DirLock, StoreError> {
        fs::create_dir_all(dir).at("create directory", dir)?;
        let dir = fs::canonicalize(dir).at("resolve directory", dir)?;
        let path = dir.join(LOCK_NAME);
        let body = my_body(holder);
        let id = Body::parse(body.clone()).instance_id();
        let mine = dir.join(format!("{LOCK_NAME}.{id}.new"));
        create_synced(&mine, &body, Faults::Ignored).at("write lock", &mine)?;
        let taken = take(&dir, &path, &mine, &body);
        let cleaned = fs::remove_file(&mine).at("remove", &mine);
        let lock = taken?;
        cleaned?;
        Ok(lock)
    }

    /// The locked directory (canonical).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Releases the lock, reporting an error; the lock is removed only if
    /// it still holds this acquisition's body.
    pub fn release(mut self) -> Result<(), StoreError> {
        self.released = true;
        release(&self.path, &self.body)
    }
}

/// Links `mine` (a complete lock body) into place at `path`, examining and
/// possibly taking over what is there.
fn take(dir: &Path, path: &Path, mine: &Path, body: &[u8]) -> Result<DirLock, StoreError> {
    let won = || DirLock {
        dir: dir.to_path_buf(),
        path: path.to_path_buf(),
        body: body.to_vec(),
        released: false,
    };
    for _ in 0..ACQUIRE_ROUNDS_MAX {
        match fs::hard_link(mine, path) {
            Ok(()) => return Ok(won()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StoreError::io("create lock", path, e)),
        }
        let current = match read_lock(path) {
            Ok(Some(b)) => b,
            Ok(None) => continue, // released meanwhile: link again
            Err(e) => {
                return Err(StoreError::Locked(format!(
                    "`{}` has a lock `{}` that cannot be read ({e}); delete it if no cashmatch is running",
                    dir.display(),
                    path.display()
                )))
            }
        };
        if !is_stale(&current) {
            return Err(locked(dir, path, &current));
        }
        if take_over(dir, path, mine, &current)? {
            return Ok(won());
        }
    }
    Err(StoreError::Locked(format!(
        "`{}`: the lock changed hands {ACQUIRE_ROUNDS_MAX} times while this run tried to take it; another cashmatch is starting here",
        dir.display()
    )))
}

/// Replaces the stale lock `stale` by ours, if it is still there and no
/// other contender is doing the same. `Ok(false)`: someone else got there
/// first (the caller looks again).
fn take_over(dir: &Path, path: &Path, mine: &Path, stale: &Body) -> Result<bool, StoreError> {
    let token = dir.join(format!("{LOCK_NAME}.takeover-{}", stale.instance_id()));
    match create_synced(&token, &fs::read(mine).at("read", mine)?, Faults::Ignored) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Another contender is taking over this very instance right now
            // (or died doing so).
            return Err(StoreError::Locked(format!(
                "`{}`: another process is taking over the stale lock of {} (`{}`); if no cashmatch is running, delete `{}` and `{}`",
                dir.display(),
                stale.describe(),
                token.display(),
                path.display(),
                token.display()
            )));
        }
        Err(e) => return Err(StoreError::io("write lock", &token, e)),
    }
    let outcome = (|| {
        // Holding the token, nobody else may remove this instance: if it is
        // still in place, it stays in place until we act.
        match read_lock(path).at("read lock", path)? {
            Some(b) if b.raw == stale.raw => {}
            _ => return Ok(false),
        }
        eprintln!(
            "warning: removing stale lock `{}` left by {}, which is no longer running",
            path.display(),
            stale.describe()
        );
        fs::remove_file(path).at("remove stale lock", path)?;
        match fs::hard_link(mine, path) {
            Ok(()) => Ok(true),
            // A contender that found no lock at all linked first: fine.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(StoreError::io("create lock", path, e)),
        }
    })();
    let cleaned = fs::remove_file(&token).at("remove", &token);
    let took = outcome?;
    cleaned?;
    Ok(took)
}

/// Removes the lock at `path` if it still holds `body`.
fn release(path: &Path, body: &[u8]) -> Result<(), StoreError> {
    match read_lock(path).at("read lock", path)? {
        Some(b) if b.raw == body => fs::remove_file(path).at("remove lock", path),
        Some(b) => Err(StoreError::Locked(format!(
            "lock `{}` now belongs to {}; left in place",
            path.display(),
            b.describe()
        ))),
        None => Err(StoreError::Locked(format!(
            "lock `{}` was removed by someone else while this run held it",
            path.display()
        ))),
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        if let Err(e) = release(&self.path, &self.body) {
            eprintln!("warning: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dead_lock(host: &str) -> String {
        // Pid numbers above the kernel's pid_max (4194304) never exist.
        format!("pid=4999999\nhost={host}\nholder=R0\nnonce=x\n")
    }

    /// RELIABILITY B5-46: one holder; the second is refused, naming it.
    #[test]
    fn second_lock_is_refused_and_drop_releases() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path(), "R1").unwrap();
        // Our own pid is live, so the file is not stale.
        let err = DirLock::acquire(dir.path(), "R2").unwrap_err();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
        assert!(err.to_string().contains("locked by pid"), "{err}");
        assert!(err.to_string().contains("R1"), "{err}");
        drop(first);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert!(names.is_empty(), "released, and no private file left");
        DirLock::acquire(dir.path(), "R3").unwrap();
    }

    #[test]
    fn the_body_names_pid_host_and_run() {
        let dir = tempfile::tempdir().unwrap();
        let _lock = DirLock::acquire(dir.path(), "R1").unwrap();
        let body = fs::read_to_string(dir.path().join(LOCK_NAME)).unwrap();
        assert!(body.contains(&format!("pid={}\n", std::process::id())));
        assert!(body.contains("holder=R1\n"));
        if let Some(host) = host_name() {
            assert!(body.contains(&format!("host={host}\n")), "{body}");
        }
    }

    #[test]
    fn lock_of_a_dead_process_on_this_host_is_taken_over() {
        let Some(host) = host_name() else { return };
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(LOCK_NAME), dead_lock(host)).unwrap();
        let lock = DirLock::acquire(dir.path(), "R1").unwrap();
        let body = fs::read_to_string(dir.path().join(LOCK_NAME)).unwrap();
        assert!(body.contains("holder=R1"), "{body}");
        drop(lock);
        // A lock written before host names were recorded is local.
        fs::write(dir.path().join(LOCK_NAME), "pid=4999999\nholder=R0\n").unwrap();
        DirLock::acquire(dir.path(), "R2").unwrap();
    }

    /// RELIABILITY B5-46: a lock from another host is never stale (its pid
    /// means nothing here).
    #[test]
    fn lock_from_another_host_is_never_broken() {
        let dir = tempfile::tempdir().unwrap();
        let other = format!("not-{}", host_name().unwrap_or("this-host"));
        fs::write(dir.path().join(LOCK_NAME), dead_lock(&other)).unwrap();
        let err = DirLock::acquire(dir.path(), "R1").unwrap_err();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
        assert!(err.to_string().contains(&other), "{err}");
        assert_eq!(
            fs::read_to_string(dir.path().join(LOCK_NAME)).unwrap(),
            dead_lock(&other)
        );
    }

    /// RELIABILITY B5-46: release removes only our own lock.
    #[test]
    fn release_leaves_a_lock_that_is_no_longer_ours() {
        let dir = tempfile::tempdir().unwrap();
        let lock = DirLock::acquire(dir.path(), "R1").unwrap();
        let theirs = "pid=1\nhost=elsewhere\nholder=R9\nnonce=y\n";
        fs::write(dir.path().join(LOCK_NAME), theirs).unwrap();
        let err = lock.release().unwrap_err();
        assert!(err.to_string().contains("R9"), "{err}");
        assert_eq!(
            fs::read_to_string(dir.path().join(LOCK_NAME)).unwrap(),
            theirs
        );
        let lock = DirLock::acquire(dir.path().join("b").as_path(), "R2").unwrap();
        fs::write(dir.path().join("b").join(LOCK_NAME), theirs).unwrap();
        drop(lock); // Drop too
        assert!(dir.path().join("b").join(LOCK_NAME).exists());
    }

    /// RELIABILITY B5-46: a contender that read the stale lock before
    /// another one replaced it must not remove the replacement.
    #[test]
    fn a_late_contender_never_removes_the_winners_lock() {
        let Some(host) = host_name() else { return };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().canonicalize().unwrap().join(LOCK_NAME);
        fs::write(&path, dead_lock(host)).unwrap();
        // The late contender read the stale lock ...
        let stale = read_lock(&path).unwrap().unwrap();
        assert!(is_stale(&stale));
        // ... then the winner took over.
        let winner = DirLock::acquire(dir.path(), "RW").unwrap();
        let winners = fs::read(&path).unwrap();
        // Now the late contender proceeds with what it read.
        let mine = dir.path().join("late.new");
        fs::write(&mine, my_body("RL")).unwrap();
        let took = take_over(&dir.path().canonicalize().unwrap(), &path, &mine, &stale).unwrap();
        assert!(!took, "the stale lock is gone; nothing to take over");
        assert_eq!(fs::read(&path).unwrap(), winners, "winner's lock intact");
        drop(winner);
        assert!(!path.exists());
    }

    /// While one contender holds the takeover token of a stale lock, the
    /// others are refused instead of racing it.
    #[test]
    fn a_takeover_in_progress_refuses_other_contenders() {
        let Some(host) = host_name() else { return };
        let dir = tempfile::tempdir().unwrap();
        let body = dead_lock(host);
        fs::write(dir.path().join(LOCK_NAME), &body).unwrap();
        let id = Body::parse(body.clone().into_bytes()).instance_id();
        let token = dir.path().join(format!("{LOCK_NAME}.takeover-{id}"));
        fs::write(&token, "pid=1\n").unwrap();
        let err = DirLock::acquire(dir.path(), "R1").unwrap_err();
        assert!(err.to_string().contains("taking over"), "{err}");
        assert_eq!(
            fs::read_to_string(dir.path().join(LOCK_NAME)).unwrap(),
            body
        );
    }

    /// RELIABILITY B4-42: a symlink planted at the lock's name is never
    /// followed: the directory counts as locked and the target is untouched.
    #[test]
    fn a_symlink_at_the_lock_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let locked_dir = dir.path().join("out");
        fs::create_dir(&locked_dir).unwrap();
        std::os::unix::fs::symlink(&victim, locked_dir.join(LOCK_NAME)).unwrap();
        let err = DirLock::acquire(&locked_dir, "R1").unwrap_err();
        assert!(matches!(err, StoreError::Locked(_)), "{err}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    }
}
