//! The publish protocol: a run's outputs become visible all at once or not
//! at all (RELIABILITY.md B4-35..37, B5-43, invariant C13).
//!
//! 1. **Stage.** Every output is written into `<out>/.staging-<run_id>/`
//!    with `create_new`, then `flush` + `sync_all`; errors propagate (a
//!    `BufWriter` dropped on ENOSPC would swallow them). The manifest is
//!    staged too, and the state-log intent (the run's log entry plus the
//!    path of the log it is appended to), then the staging directory is
//!    fsynced.
//! 2. **Commit point.** The staging directory is renamed to
//!    `<out>/.commit-<run_id>/` and `<out>` is fsynced. Before this rename a
//!    crash leaves the previous run untouched (the staging directory is
//!    garbage, removed by the next start); after it, the run *will* be
//!    published by whoever next opens the directory.
//! 3. **Roll forward** (idempotent, also done by [`recover`]): remove the old
//!    `manifest.json` (so a reader never pairs an old manifest with new files),
//!    rename each data file into `<out>`, rename `manifest.json` in last,
//!    append the run's entry to the state log (a merge, so a log extended
//!    meanwhile is never overwritten), fsync, remove the commit directory.
//!
//! Reader rule: a run directory is complete when `manifest.json` exists and
//! no `.commit-*` directory does; `cashmatch verify` rolls an interrupted
//! commit forward first.
//!
//! Fault injection for the crash tests lives here and only here (the engine
//! reads no environment): `CASHMATCH_FAULT_AFTER=N` aborts the process after
//! the N-th write, fsync or rename; `CASHMATCH_FAULT_ENOSPC_AT=N` makes the
//! N-th file write fail with "No space left on device".

use crate::output::{sha256_hex, sync_dir, WrittenFile};
use crate::CliError;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Prefix of a staging directory (incomplete, garbage after a crash).
pub const STAGING_PREFIX: &str = ".staging-";
/// Prefix of a committed directory still being rolled forward.
pub const COMMIT_PREFIX: &str = ".commit-";
/// The staged state-log entry of the run and the file naming the log it
/// is appended to.
const STATE_LOG_STAGED: &str = "state-entry.json";
const STATE_LOG_TARGET: &str = "state-log.target";
const MANIFEST: &str = crate::manifest::MANIFEST_NAME;

static STEPS: AtomicU64 = AtomicU64::new(0);
static WRITES: AtomicU64 = AtomicU64::new(0);

fn env_number(name: &'static str, cell: &'static OnceLock<Option<u64>>) -> Option<u64> {
    *cell.get_or_init(|| std::env::var(name).ok().and_then(|v| v.parse().ok()))
}

/// Counts one durable step (write, fsync, rename) and aborts the process
/// when `CASHMATCH_FAULT_AFTER` says this is the step to die at. `abort`
/// runs no destructors, like a SIGKILL: lock files and staging stay behind.
pub fn fault_point() {
    static AFTER: OnceLock<Option<u64>> = OnceLock::new();
    let n = STEPS.fetch_add(1, Ordering::SeqCst) + 1;
    if env_number("CASHMATCH_FAULT_AFTER", &AFTER) == Some(n) {
        eprintln!("fault injection: aborting after step {n}");
        std::process::abort();
    }
}

fn injected_enospc() -> std::io::Result<()> {
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    let n = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
    if env_number("CASHMATCH_FAULT_ENOSPC_AT", &AT) == Some(n) {
        // 28 is ENOSPC on Linux; the message is what an operator would see.
        return Err(std::io::Error::from_raw_os_error(28));
    }
    Ok(())
}

/// Writes `bytes` to a new file at `path` and makes it durable; every error
/// (including a short write on a full disk) is returned, none is swallowed.
pub fn write_new_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    injected_enospc()?;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.flush()?;
    fault_point();
    f.sync_all()?;
    fault_point();
    Ok(())
}

fn rename(from: &Path, to: &Path) -> Result<(), CliError> {
    fs::rename(from, to).map_err(|e| {
        CliError::Io(format!(
            "cannot rename `{}` to `{}`: {e}",
            from.display(),
            to.display()
        ))
    })?;
    fault_point();
    Ok(())
}

fn sync(dir: &Path) -> Result<(), CliError> {
    sync_dir(dir)
        .map_err(|e| CliError::Io(format!("cannot sync directory `{}`: {e}", dir.display())))
}

/// The outputs of one run being staged. Dropped without [`Staging::commit`],
/// the staging directory is removed: nothing half-written stays behind.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    run_id: String,
    /// What has been staged, in order, for the manifest.
    pub written: Vec<WrittenFile>,
    committed: bool,
}

impl Staging {
    /// Creates `<out>/.staging-<run_id>/` (replacing a leftover of a crashed
    /// attempt at the same run).
    pub fn begin(out: &Path, run_id: &str) -> Result<Staging, CliError> {
        fs::create_dir_all(out).map_err(|e| {
            CliError::Output(format!(
                "cannot create output directory `{}`: {e}",
                out.display()
            ))
        })?;
        let dir = out.join(format!("{STAGING_PREFIX}{run_id}"));
        if dir.exists() {
            let _ = fs::remove_dir_all(&dir);
        }
        fs::create_dir(&dir).map_err(|e| {
            CliError::Output(format!(
                "cannot write to output directory `{}`: {e}",
                out.display()
            ))
        })?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
            run_id: run_id.to_string(),
            written: Vec::new(),
            committed: false,
        })
    }

    /// Stages one output file. `name` comes from code, never from input.
    pub fn file(&mut self, name: &str, rows: u64, bytes: &[u8]) -> Result<(), CliError> {
        debug_assert!(is_plain_name(name), "output names come from code");
        let path = self.dir.join(name);
        write_new_synced(&path, bytes)
            .map_err(|e| CliError::Output(format!("cannot write `{}`: {e}", path.display())))?;
        self.written.push(WrittenFile {
            name: name.to_string(),
            sha256: sha256_hex(bytes),
            rows,
            bytes: bytes.len() as u64,
        });
        Ok(())
    }

    /// Stages the manifest and the state-log intent, then commits and rolls
    /// forward (see the module documentation).
    pub fn commit(
        mut self,
        manifest: &[u8],
        state_log: Option<(&Path, &[u8])>,
    ) -> Result<(), CliError> {
        let stage = |name: &str, bytes: &[u8]| {
            let path = self.dir.join(name);
            write_new_synced(&path, bytes)
                .map_err(|e| CliError::Output(format!("cannot write `{}`: {e}", path.display())))
        };
        stage(MANIFEST, manifest)?;
        if let Some((target, bytes)) = state_log {
            stage(STATE_LOG_STAGED, bytes)?;
            stage(STATE_LOG_TARGET, target.to_string_lossy().as_bytes())?;
        }
        sync(&self.dir)?;
        let commit = self.out.join(format!("{COMMIT_PREFIX}{}", self.run_id));
        if commit.exists() {
            // A crashed attempt at this very run reached its commit point:
            // finish it first; it holds the same bytes.
            roll_forward(&self.out, &commit)?;
        }
        rename(&self.dir, &commit)?;
        self.committed = true;
        sync(&self.out)?;
        roll_forward(&self.out, &commit)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// Finishes a committed publish. Every step checks what is left to do, so
/// running it again after a crash at any point completes the same publish.
fn roll_forward(out: &Path, commit: &Path) -> Result<(), CliError> {
    let staged_manifest = commit.join(MANIFEST);
    if staged_manifest.exists() && out.join(MANIFEST).exists() {
        fs::remove_file(out.join(MANIFEST))
            .map_err(|e| CliError::Io(format!("cannot replace the old manifest: {e}")))?;
        fault_point();
        sync(out)?;
    }
    let mut names: Vec<String> = fs::read_dir(commit)
        .map_err(|e| CliError::Io(format!("cannot list `{}`: {e}", commit.display())))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != MANIFEST && n != STATE_LOG_STAGED && n != STATE_LOG_TARGET)
        .collect();
    names.sort();
    for name in &names {
        if !is_plain_name(name) {
            continue;
        }
        rename(&commit.join(name), &out.join(name))?;
    }
    sync(out)?;
    if staged_manifest.exists() {
        rename(&staged_manifest, &out.join(MANIFEST))?;
        sync(out)?;
    }
    let target_file = commit.join(STATE_LOG_TARGET);
    if target_file.exists() {
        let target = fs::read_to_string(&target_file)
            .map_err(|e| CliError::Io(format!("cannot read state intent: {e}")))?;
        let bytes = fs::read(commit.join(STATE_LOG_STAGED))
            .map_err(|e| CliError::Io(format!("cannot read staged state log: {e}")))?;
        crate::state::append_entry(Path::new(&target), &bytes)?;
        let _ = fs::remove_file(&target_file);
    }
    fs::remove_dir_all(commit)
        .map_err(|e| CliError::Io(format!("cannot remove `{}`: {e}", commit.display())))?;
    sync(out)
}

/// Replaces `dir/name` atomically (temporary file, fsync, rename, fsync of
/// the directory), counting each step for fault injection.
pub fn replace_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), CliError> {
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    if let Err(e) = write_new_synced(&tmp, bytes) {
        let _ = fs::remove_file(&tmp);
        return Err(CliError::Output(format!(
            "cannot write `{}`: {e}",
            target.display()
        )));
    }
    rename(&tmp, &target)?;
    sync(dir)
}

/// Brings `out` to a complete state after a crash: a committed publish is
/// rolled forward, staging leftovers are removed. Returns what it did, for
/// the operator. The caller holds the directory lock.
pub fn recover(out: &Path) -> Result<Vec<String>, CliError> {
    let mut notes = Vec::new();
    let Ok(entries) = fs::read_dir(out) else {
        return Ok(notes);
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let path = out.join(&name);
        if let Some(run) = name.strip_prefix(COMMIT_PREFIX) {
            roll_forward(out, &path)?;
            notes.push(format!(
                "recovered: finished publishing run {run}, which was interrupted after its commit point"
            ));
        } else if let Some(run) = name.strip_prefix(STAGING_PREFIX) {
            fs::remove_dir_all(&path)
                .map_err(|e| CliError::Io(format!("cannot remove `{}`: {e}", path.display())))?;
            notes.push(format!(
                "recovered: discarded the staging area of run {run}, which never reached its commit point"
            ));
        } else if name.starts_with('.') && name.contains(".tmp-") {
            let _ = fs::remove_file(&path);
        }
    }
    Ok(notes)
}

/// True when `out` holds a commit that was not rolled forward yet.
pub fn has_pending_commit(out: &Path) -> bool {
    fs::read_dir(out)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .any(|e| e.file_name().to_string_lossy().starts_with(COMMIT_PREFIX))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_to_a_full_device_is_an_error() {
        // /dev/full accepts the open and fails every write with ENOSPC.
        if !Path::new("/dev/full").exists() {
            return;
        }
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let r = f.write_all(&[0u8; 1 << 16]).and_then(|_| f.flush());
        assert!(r.is_err(), "ENOSPC must surface");
    }

    #[test]
    fn staging_dropped_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = Staging::begin(dir.path(), "R1").unwrap();
            s.file("a.parquet", 1, b"x").unwrap();
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn commit_publishes_and_recovery_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Staging::begin(dir.path(), "R1").unwrap();
        s.file("a.parquet", 1, b"x").unwrap();
        s.commit(b"{}", None).unwrap();
        assert_eq!(fs::read(dir.path().join("a.parquet")).unwrap(), b"x");
        assert!(dir.path().join(MANIFEST).exists());
        assert!(recover(dir.path()).unwrap().is_empty());
    }
}
