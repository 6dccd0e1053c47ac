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

/// What [`write_durable_streamed`] wrote: SHA-256 (hex) and length of the
/// bytes, computed as they passed on their way to the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamedFile {
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Bytes written.
    pub bytes: u64,
}

/// The writer [`write_durable_streamed`] hands out: buffered writes to the
/// temporary file, each byte hashed once on its way (no second pass over
/// the bytes, no copy of the whole file in memory). The first I/O error is
/// kept, so the caller reports it as an I/O error even when the producer
/// wrapped it in its own error type.
pub struct HashingWriter {
    file: std::io::BufWriter<File>,
    sha: sha2::Sha256,
    bytes: u64,
    io_error: Option<std::io::Error>,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        match self.file.write(buf) {
            Ok(n) => {
                self.sha.update(&buf[..n]);
                self.bytes += n as u64;
                Ok(n)
            }
            Err(e) => {
                let copy = std::io::Error::new(e.kind(), e.to_string());
                if self.io_error.is_none() {
                    self.io_error = Some(e);
                }
                Err(copy)
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.file.flush();
        if let Err(e) = &result {
            if self.io_error.is_none() {
                self.io_error = Some(std::io::Error::new(e.kind(), e.to_string()));
            }
        }
        result
    }
}

/// Why a streamed write failed: the producer's own error, or an I/O error
/// (of the producer's writes or of the durable steps).
#[derive(Debug)]
pub enum StreamError<E> {
    /// The producer failed (not an I/O error).
    Produce(E),
    /// Writing, syncing or renaming failed.
    Store(StoreError),
}

/// [`write_durable`] for bytes produced while they are written: `produce`
/// writes into a [`HashingWriter`] on the temporary file (created like
/// [`write_durable`]'s, `create_new` + `O_NOFOLLOW`), and the file is then
/// flushed, fsynced, renamed and its directory fsynced, with the same
/// durable steps and fault-injection points as [`write_durable`]. Returns
/// the SHA-256 and length of what was written. On any error the temporary
/// file is removed and nothing replaces `dir/name`.
pub fn write_durable_streamed<E>(
    dir: &Path,
    name: &str,
    produce: impl FnOnce(&mut HashingWriter) -> Result<(), E>,
) -> Result<StreamedFile, StreamError<E>> {
    count_write(dir, name).map_err(StreamError::Store)?;
    write_pending(dir, name, produce)?
        .finish()
        .map_err(StreamError::Store)
}

/// Counts the file write of `dir/name` for fault injection (the first step
/// of [`write_durable_streamed`]); `Err` when `CASHMATCH_FAULT_ENOSPC_AT`
/// names it. [`write_pending`] leaves this to its caller, so that files
/// produced in parallel are counted in a fixed order.
pub fn count_write(dir: &Path, name: &str) -> Result<(), StoreError> {
    fault::write().map_err(|e| StoreError::io("write", &dir.join(name), e))
}

/// The first half of [`write_durable_streamed`], without any durable step:
/// creates the temporary file next to `dir/name` (`create_new` +
/// `O_NOFOLLOW`), lets `produce` write into it through a [`HashingWriter`]
/// and flushes it. Nothing is synced or renamed and no fault-injection
/// point is passed, so several files can be produced at once (on several
/// threads) and then made durable one after another, in a fixed order,
/// with [`PendingFile::finish`]: the durable steps come in the same order
/// whatever the thread count. Dropped unfinished, the temporary file is
/// removed.
pub fn write_pending<E>(
    dir: &Path,
    name: &str,
    produce: impl FnOnce(&mut HashingWriter) -> Result<(), E>,
) -> Result<PendingFile, StreamError<E>> {
    debug_assert!(
        !name.is_empty() && !name.contains('/'),
        "file names come from code, never from input"
    );
    let target = dir.join(name);
    let tmp = dir.join(temp_name(name));
    let io = |e: std::io::Error| StreamError::Store(StoreError::io("write", &target, e));
    let file = create_new(&tmp).map_err(io)?;
    // From here on the pending file owns the temporary name: dropping it
    // on an error below removes the file.
    let mut pending = PendingFile {
        dir: dir.to_path_buf(),
        target: target.clone(),
        tmp,
        file: None,
        sha256: String::new(),
        bytes: 0,
    };
    let mut w = HashingWriter {
        file: std::io::BufWriter::with_capacity(1 << 20, file),
        sha: sha2::Sha256::default(),
        bytes: 0,
        io_error: None,
    };
    if let Err(e) = produce(&mut w) {
        return Err(match w.io_error.take() {
            Some(io_err) => io(io_err),
            None => StreamError::Produce(e),
        });
    }
    w.flush().map_err(io)?;
    let HashingWriter {
        file, sha, bytes, ..
    } = w;
    let file = file
        .into_inner()
        .map_err(|e| io(std::io::Error::new(e.error().kind(), e.error().to_string())))?;
    use sha2::Digest;
    pending.file = Some(file);
    pending.sha256 = crate::hex(&sha.finalize());
    pending.bytes = bytes;
    Ok(pending)
}

/// A file [`write_pending`] wrote and hashed under a temporary name next to
/// its target, flushed but not yet durable. [`PendingFile::finish`] makes
/// it durable; dropped without that, the temporary file is removed.
#[derive(Debug)]
pub struct PendingFile {
    dir: std::path::PathBuf,
    target: std::path::PathBuf,
    tmp: std::path::PathBuf,
    file: Option<File>,
    sha256: String,
    bytes: u64,
}

impl PendingFile {
    /// The second half of [`write_durable_streamed`], with its durable steps
    /// and fault-injection points: fsync the file, close it, rename it over
    /// the target and fsync the directory. Returns the SHA-256 and length
    /// computed while the bytes were written.
    pub fn finish(mut self) -> Result<StreamedFile, StoreError> {
        let io = |e: std::io::Error| StoreError::io("write", &self.target, e);
        fault::step();
        fault::sync().map_err(io)?;
        let file = self.file.take();
        if let Some(f) = &file {
            f.sync_all().map_err(io)?;
        }
        fault::step();
        // Closed before the rename, like `write_durable`'s file.
        drop(file);
        if let Err(e) = fs::rename(&self.tmp, &self.target) {
            return Err(StoreError::io("rename into place", &self.target, e));
        }
        // Renamed: nothing is left for `drop` to remove.
        self.tmp = std::path::PathBuf::new();
        fault::step();
        sync_dir(&self.dir)?;
        Ok(StreamedFile {
            sha256: std::mem::take(&mut self.sha256),
            bytes: self.bytes,
        })
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            drop(self.file.take());
            // Unfinished: the temporary file is garbage (an error is being
            // reported already, or a crash leaves it to recovery).
            let _ = fs::remove_file(&self.tmp);
        }
    }
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

    /// The streamed write leaves the bytes the producer wrote, and the hash
    /// and length it reports are those of the file on disk.
    #[test]
    fn streamed_writes_hash_what_they_write() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("t.parquet"), b"old").unwrap();
        let done = write_durable_streamed::<()>(dir.path(), "t.parquet", |w| {
            for i in 0..100_000u32 {
                w.write_all(&i.to_le_bytes()).unwrap();
            }
            Ok(())
        })
        .unwrap();
        let bytes = fs::read(dir.path().join("t.parquet")).unwrap();
        assert_eq!(bytes.len(), 400_000);
        assert_eq!(done.bytes, 400_000);
        assert_eq!(done.sha256, crate::sha256_hex(&bytes));
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["t.parquet"]);
    }

    /// A producer that fails leaves the old file and no temporary file, and
    /// its own error comes back; an I/O error it met comes back as I/O.
    #[test]
    fn a_failed_streamed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("t.parquet"), b"old").unwrap();
        let err = write_durable_streamed(dir.path(), "t.parquet", |w| {
            w.write_all(b"half").unwrap();
            Err("encode failed")
        })
        .unwrap_err();
        assert!(matches!(err, StreamError::Produce("encode failed")));
        assert_eq!(fs::read(dir.path().join("t.parquet")).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        let missing = dir.path().join("missing");
        let err = write_durable_streamed::<()>(&missing, "t.parquet", |_| Ok(())).unwrap_err();
        match err {
            StreamError::Store(e) => assert!(e.to_string().contains("t.parquet"), "{e}"),
            StreamError::Produce(()) => panic!("a missing directory is an I/O error"),
        }
    }

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
