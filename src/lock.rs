//! One writer per output or state directory: an `O_EXCL` lock file.
//!
//! Two nightly runs pointed at the same directory (a cron overlap, a manual
//! re-run) would interleave their publishes. The lock is a file
//! `.cashmatch.lock` created with `create_new` (`O_CREAT|O_EXCL`), so exactly
//! one process wins; it holds the winner's pid and run id so the loser's
//! message says who holds it (RELIABILITY.md B5-46).
//!
//! Stale locks: a process killed with SIGKILL cannot remove its lock. A lock
//! whose pid no longer exists (`/proc/<pid>` is gone) is stale; it is removed
//! *with a warning on stderr* and the lock is taken again. Where `/proc` does
//! not exist the lock is never broken automatically: the message tells the
//! operator which file to delete. A reused pid makes a stale lock look live,
//! which errs on the safe side (the run refuses instead of racing).

use crate::CliError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Name of the lock file inside a locked directory.
pub const LOCK_NAME: &str = ".cashmatch.lock";

/// An acquired directory lock; dropping it removes the lock file.
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
}

impl DirLock {
    /// Takes the lock of `dir` (created if missing) for `holder` (a run id
    /// or command name, written into the file for the loser's message).
    pub fn acquire(dir: &Path, holder: &str) -> Result<DirLock, CliError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            CliError::Io(format!("cannot create directory `{}`: {e}", dir.display()))
        })?;
        let path = dir.join(LOCK_NAME);
        // Two attempts: the second only after removing a lock proven stale.
        for _ in 0..2 {
            // The lock appears complete or not at all: its body is written
            // and synced under a private name, then hard-linked into place
            // (`link` fails if the lock exists, like `O_EXCL`). A process
            // killed between create and write can therefore never leave an
            // empty lock that names no holder (found by tests/crash.rs).
            let body = format!("pid={}\nholder={holder}\n", std::process::id());
            let tmp = dir.join(format!("{LOCK_NAME}.{}.tmp", std::process::id()));
            let staged = (|| -> std::io::Result<()> {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&tmp)?;
                f.write_all(body.as_bytes())?;
                f.sync_all()
            })();
            if let Err(e) = staged {
                let _ = std::fs::remove_file(&tmp);
                return Err(CliError::Io(format!(
                    "cannot write lock `{}`: {e}",
                    tmp.display()
                )));
            }
            let linked = std::fs::hard_link(&tmp, &path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => {
                    return Ok(DirLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let body = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = lock_pid(&body);
                    let holder = body
                        .lines()
                        .find_map(|l| l.strip_prefix("holder="))
                        .unwrap_or("?")
                        .to_string();
                    match pid {
                        Some(pid) if is_stale(pid) => {
                            eprintln!(
                                "warning: removing stale lock `{}` left by pid {pid} ({holder}), which is no longer running",
                                path.display()
                            );
                            let _ = std::fs::remove_file(&path);
                        }
                        _ => {
                            return Err(CliError::Locked(format!(
                                "`{}` is locked by pid {} (run {holder}): another cashmatch is using this directory; wait for it, or delete `{}` if that process is gone",
                                dir.display(),
                                pid.map_or("?".to_string(), |p| p.to_string()),
                                path.display()
                            )));
                        }
                    }
                }
                Err(e) => {
                    return Err(CliError::Io(format!(
                        "cannot create lock `{}`: {e}",
                        path.display()
                    )))
                }
            }
        }
        Err(CliError::Locked(format!(
            "`{}` is locked (lock file reappeared while removing a stale one)",
            dir.display()
        )))
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn lock_pid(body: &str) -> Option<u32> {
    body.lines()
        .find_map(|l| l.strip_prefix("pid="))
        .and_then(|p| p.trim().parse().ok())
}

/// A lock is stale when its process is provably gone. Without `/proc` we
/// cannot prove it, so the lock is treated as live.
fn is_stale(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    if !proc_root.join("self").exists() {
        return false;
    }
    if pid == std::process::id() {
        return false;
    }
    !proc_root.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_and_drop_releases() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path(), "R1").unwrap();
        // Our own pid is live, so the file is not stale.
        let err = DirLock::acquire(dir.path(), "R2").unwrap_err();
        assert!(err.to_string().contains("locked by pid"), "{err}");
        drop(first);
        DirLock::acquire(dir.path(), "R3").unwrap();
    }

    #[test]
    fn lock_of_a_dead_process_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        // Pid numbers above the kernel's pid_max (4194304) never exist.
        std::fs::write(dir.path().join(LOCK_NAME), "pid=4999999\nholder=R0\n").unwrap();
        DirLock::acquire(dir.path(), "R1").unwrap();
    }
}
