//! The one way cashmatch makes bytes durable (RELIABILITY.md B4-35..37,
//! B4-42, B5-47).
//!
//! [`write_durable`] creates a temporary file next to the target with
//! `create_new` and `O_NOFOLLOW` (a planted file or symlink is an error,
//! never followed or truncated), writes every byte, flushes, `fsync`s the
//! file, renames it over the target and `fsync`s the directory. Every
//! error is returned; none is swallowed (a `BufWriter` dropped on ENOSPC,
//! or an ignored directory fsync, would lose data with exit code 0).
//!
//! Every step passes through [`crate::fault`], so the crash tests can stop
//! or fail the process at any of them.

use crate::error::{IoContext, StoreError};
use crate::fault;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Mode of files cashmatch creates (before the umask): readable by all,
/// like `File::create`.
const FILE_MODE: u32 = 0o644;

/// Whether a write takes part in fault injection. Lock files do not: the
/// lock is not part of the publish sequence the crash tests walk through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Faults {
    Counted,
    Ignored,
}

/// Opens a new file for writing: `O_CREAT|O_EXCL|O_NOFOLLOW`. An existing
/// file, directory or symlink at `path` is an `AlreadyExists` error.
pub(crate) fn create_new(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Creates `path` (which must not exist), writes `bytes`, flushes and
/// `fsync`s it. On error the partial file is removed and the error returned.
pub(crate) fn create_synced(path: &Path, bytes: &[u8], faults: Faults) -> std::io::Result<()> {
    if faults == Faults::Counted {
        fault::write()?;
    }
    let mut f = create_new(path)?;
    let written = (|| {
        f.write_all(bytes)?;
        f.flush()?;
        if faults == Faults::Counted {
            fault::step();
            fault::sync()?;
        }
        f.sync_all()?;
        if faults == Faults::Counted {
            fault::step();
        }
        Ok(())
    })();
    if written.is_err() {
        drop(f);
        // The write already failed; that error is the one to report.
        let _ = fs::remove_file(path);
    }
    written
}

/// A name for a temporary file unique within this process.
fn temp_name(name: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::SeqCst)
    )
}

/// Whether `name` is one of [`write_durable`]'s temporary files (left over
/// only by a process that died mid-write).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Writes `bytes` to `dir/name` durably, replacing an existing file
/// atomically: temporary file (`create_new`, `O_NOFOLLOW`), `write_all`,
/// `flush`, `fsync`, rename, `fsync` of `dir`. Every error is returned; a
/// reader sees the old file or the new one, never a part.
pub fn write_durable(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
    debug_assert!(
        !name.is_empty() && !name.contains('/'),
        "file names come from code, never from input"
    );
    let target = dir.join(name);
    let tmp = dir.join(temp_name(name));
    create_synced(&tmp, bytes, Faults::Counted).at("write", &target)?;
    if let Err(e) = fs::rename(&tmp, &target) {
        let _ = fs::remove_file(&tmp);
        return Err(StoreError::io("rename into place", &target, e));
    }
    fault::step();
    sync_dir(dir)
}

/// `fsync` of a directory, so renames and removals in it survive a power
/// cut. Every error is returned (a directory that cannot be opened or
/// synced is an I/O error, never silently skipped).
pub fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    fault::sync().at("sync directory", dir)?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .at("sync directory", dir)?;
    fault::step();
    Ok(())
}

/// Renames `from` to `to` (one durable step; the caller syncs the
/// directory).
pub fn rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    fs::rename(from, to).at("rename", from)?;
    fault::step();
    Ok(())
}

/// Removes a file (one durable step; the caller syncs the directory). A
/// file that is already gone is not an error.
pub fn remove_file(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Ok(()) => {
            fault::step();
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("remove", path, e)),
    }
}

/// Removes a directory tree (one durable step). One that is already gone is
/// not an error.
pub fn remove_dir_all(path: &Path) -> Result<(), StoreError> {
    match fs::remove_dir_all(path) {
        Ok(()) => {
            fault::step();
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StoreError::io("remove", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_atomically_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        write_durable(dir.path(), "a.json", b"one").unwrap();
        write_durable(dir.path(), "a.json", b"two").unwrap();
        assert_eq!(fs::read(dir.path().join("a.json")).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.json"]);
    }

    /// RELIABILITY B4-36: a failed write is an error, not a silent truncation.
    #[test]
    fn a_failed_write_is_returned_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // A missing directory: the create fails and the error says where.
        let missing = dir.path().join("missing");
        let err = write_durable(&missing, "a.json", b"x").unwrap_err();
        assert!(err.to_string().contains("a.json"), "{err}");
        // A full device: /dev/full accepts the open and fails every write
        // with ENOSPC; create_synced must surface it.
        if Path::new("/dev/full").exists() {
            let mut f = OpenOptions::new().write(true).open("/dev/full").unwrap();
            let r = f.write_all(&[0u8; 1 << 16]).and_then(|_| f.flush());
            assert!(r.is_err(), "ENOSPC must surface");
        }
        // A directory where the target should be: the rename fails, the
        // temporary file is removed, the directory is untouched.
        fs::create_dir(dir.path().join("log.json")).unwrap();
        fs::write(dir.path().join("log.json/keep"), b"k").unwrap();
        let err = write_durable(dir.path(), "log.json", b"x").unwrap_err();
        assert!(matches!(err, StoreError::Io { .. }), "{err}");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["log.json"]);
        assert_eq!(fs::read(dir.path().join("log.json/keep")).unwrap(), b"k");
    }

    /// RELIABILITY B4-37: a directory fsync that fails is an error (it was
    /// swallowed before: a missing or unopenable directory "synced" fine).
    #[test]
    fn a_directory_that_cannot_be_synced_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(sync_dir(dir.path()).is_ok());
        let err = sync_dir(&dir.path().join("gone")).unwrap_err();
        assert!(err.to_string().contains("sync directory"), "{err}");
    }

    /// RELIABILITY B4-42: new files never follow a planted symlink.
    #[test]
    fn a_symlink_at_the_new_name_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("planted");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = create_synced(&link, b"x", Faults::Ignored).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        // A dangling symlink is refused too (O_EXCL never creates through it).
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(create_synced(&dangling, b"x", Faults::Ignored).is_err());
        assert!(!dir.path().join("nowhere").exists());
    }
}
