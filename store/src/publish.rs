//! The publish protocol: a run's outputs become visible all at once or not
//! at all (RELIABILITY.md B4-35..37, B5-43, invariant C13).
//!
//! 1. **Stage.** Every output is written into `<out>/.staging-<run_id>/`
//!    with [`write_durable`] (errors propagate). The manifest is staged
//!    too, and the state-log intent (the run's log entry plus the path of
//!    the log it is appended to), then the staging directory is fsynced.
//! 2. **Commit point.** The staging directory is renamed to
//!    `<out>/.commit-<run_id>/` and `<out>` is fsynced. Before this rename
//!    a crash leaves the previous run untouched (the staging directory is
//!    garbage, removed by the next start); after it, the run *will* be
//!    published by whoever next recovers the directory. If the fsync of
//!    `<out>` fails, the rename is undone and the run fails: nothing is
//!    half-published.
//! 3. **Roll forward** (idempotent, also done by [`recover`]): check that
//!    the state log the run extends is readable (under that state's lock),
//!    remove the old `manifest.json` (so a reader never pairs an old
//!    manifest with new files), rename each data file into `<out>`, rename
//!    `manifest.json` in last, append the run's entry to the state log (a
//!    merge, so a log extended meanwhile is never overwritten), remove the
//!    pending marker and the commit directory, fsyncing `<out>` after each
//!    step.
//!
//! Reader rule: a run directory is complete when `manifest.json` exists and
//! no `.commit-*` directory does. Readers never recover; only a writer that
//! holds the directory's lock does (`cashmatch run`, `cashmatch recover`).

use crate::durable::{self, remove_dir_all, rename, sync_dir, write_durable};
use crate::error::{IoContext, StoreError};
use crate::lock::DirLock;
use crate::manifest::{WrittenFile, MANIFEST_NAME};
use crate::{sha256_hex, state};
use std::fs;
use std::path::{Path, PathBuf};

pub use crate::layout::{COMMIT_PREFIX, STAGING_PREFIX};
/// The staged state-log entry of the run and the file naming the log it
/// is appended to.
const STATE_LOG_STAGED: &str = "state-entry.json";
const STATE_LOG_TARGET: &str = "state-log.target";
const MANIFEST: &str = MANIFEST_NAME;

/// What a run adds to its state: the log it extends (an absolute path) and
/// its entry (a serialised [`state::SegmentEntry`]).
#[derive(Debug, Clone, Copy)]
pub struct StateIntent<'a> {
    /// The state log the entry is appended to.
    pub log: &'a Path,
    /// The entry, as JSON.
    pub entry_json: &'a [u8],
}

/// The outputs of one run being staged. Dropped without a successful
/// [`Staging::commit`], the staging directory is removed: nothing
/// half-written stays behind.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    run_id: String,
    /// What has been staged, in order, for the manifest.
    pub written: Vec<WrittenFile>,
    committed: bool,
}

fn exists(path: &Path) -> Result<bool, StoreError> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(StoreError::io("inspect", path, e)),
    }
}

impl Staging {
    /// Creates `<out>/.staging-<run_id>/` (replacing a leftover of a crashed
    /// attempt at the same run). The caller holds `out`'s lock.
    pub fn begin(out: &Path, run_id: &str) -> Result<Staging, StoreError> {
        fs::create_dir_all(out).at("create output directory", out)?;
        let dir = out.join(format!("{STAGING_PREFIX}{run_id}"));
        remove_dir_all(&dir)?;
        fs::create_dir(&dir).at("write to output directory", out)?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir,
            run_id: run_id.to_string(),
            written: Vec::new(),
            committed: false,
        })
    }

    /// The staging directory. A caller may add one folder of its own here
    /// (the analytics set, issue 10): it is not listed in `written`, and
    /// the roll-forward puts it in place of the folder of that name in
    /// `<out>`, like the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stages one output file. `name` comes from code, never from input.
    pub fn file(&mut self, name: &str, rows: u64, bytes: &[u8]) -> Result<(), StoreError> {
        debug_assert!(is_plain_name(name), "output names come from code");
        write_durable(&self.dir, name, bytes)?;
        self.written.push(WrittenFile {
            name: name.to_string(),
            sha256: sha256_hex(bytes),
            rows,
            bytes: bytes.len() as u64,
        });
        Ok(())
    }

    /// Stages one output file whose bytes are produced while they are
    /// written (`produce` writes them; see
    /// [`durable::write_durable_streamed`]): the SHA-256 the manifest
    /// records is computed on the way to the file, and the whole file is
    /// never held in memory. `name` comes from code, never from input.
    pub fn file_streamed<E>(
        &mut self,
        name: &str,
        rows: u64,
        produce: impl FnOnce(&mut durable::HashingWriter) -> Result<(), E>,
    ) -> Result<(), durable::StreamError<E>> {
        debug_assert!(is_plain_name(name), "output names come from code");
        let done = durable::write_durable_streamed(&self.dir, name, produce)?;
        self.written.push(WrittenFile {
            name: name.to_string(),
            sha256: done.sha256,
            rows,
            bytes: done.bytes,
        });
        Ok(())
    }

    /// Stages several output files at once: each `(name, rows, produce)` is
    /// produced into its own temporary file on the rayon pool (one task per
    /// file, so a small table is written while a large one is still
    /// encoding), hashed on the way as in [`Staging::file_streamed`]; then,
    /// one after another in the order given, each is fsynced and renamed
    /// into place and listed in [`Staging::written`]. The durable steps and
    /// fault-injection points therefore come in the same order as
    /// [`Staging::file_streamed`] called for each file in turn, whatever
    /// the thread count, and the bytes of each file are its producer's
    /// alone. On an error nothing of that call stays staged, and the
    /// error of the first failing file (in the order given) is returned.
    pub fn files_streamed<E, F>(
        &mut self,
        files: Vec<(&str, u64, F)>,
    ) -> Result<(), durable::StreamError<E>>
    where
        E: Send,
        F: FnOnce(&mut durable::HashingWriter) -> Result<(), E> + Send,
    {
        use rayon::prelude::*;
        for (name, _, _) in &files {
            debug_assert!(is_plain_name(name), "output names come from code");
            durable::count_write(&self.dir, name).map_err(durable::StreamError::Store)?;
        }
        let dir = &self.dir;
        let rows: Vec<(String, u64)> = files.iter().map(|(n, r, _)| (n.to_string(), *r)).collect();
        let pending: Vec<_> = files
            .into_par_iter()
            .map(|(name, _, produce)| durable::write_pending(dir, name, produce))
            .collect();
        // Collecting stops at the first error; the pending files not yet
        // finished are dropped with the iterator, which removes them.
        let pending = pending.into_iter().collect::<Result<Vec<_>, _>>()?;
        for ((name, rows), file) in rows.into_iter().zip(pending) {
            let done = file.finish().map_err(durable::StreamError::Store)?;
            self.written.push(WrittenFile {
                name,
                sha256: done.sha256,
                rows,
                bytes: done.bytes,
            });
        }
        Ok(())
    }

    /// Stages the manifest and the state-log intent, then commits and rolls
    /// forward (see the module documentation). `held` are the locks the
    /// caller holds (its output directory, its state directory).
    pub fn commit(
        mut self,
        manifest: &[u8],
        state: Option<StateIntent<'_>>,
        held: &[&DirLock],
    ) -> Result<(), StoreError> {
        write_durable(&self.dir, MANIFEST, manifest)?;
        if let Some(intent) = state {
            write_durable(&self.dir, STATE_LOG_STAGED, intent.entry_json)?;
            write_durable(
                &self.dir,
                STATE_LOG_TARGET,
                intent.log.to_string_lossy().as_bytes(),
            )?;
        }
        sync_dir(&self.dir)?;
        let commit = self.out.join(format!("{COMMIT_PREFIX}{}", self.run_id));
        if exists(&commit)? {
            // A crashed attempt at this very run reached its commit point:
            // finish it first; it holds the same bytes.
            roll_forward(&self.out, &commit, held)?;
        }
        rename(&self.dir, &commit)?;
        if let Err(e) = sync_dir(&self.out) {
            // The commit point may not be on disk: undo it, so the run fails
            // as a whole (the staging directory is removed on drop).
            if fs::rename(&commit, &self.dir).is_err() {
                // Cannot undo: the commit stays, and the next `run` or
                // `recover` finishes it.
                self.committed = true;
            }
            return Err(e);
        }
        self.committed = true;
        roll_forward(&self.out, &commit, held)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            // Garbage either way: the next start removes what is left.
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

/// The lock of `dir`, unless one of `held` already covers it.
fn lock_unless_held(dir: &Path, held: &[&DirLock]) -> Result<Option<DirLock>, StoreError> {
    let canonical = fs::canonicalize(dir).at("resolve", dir)?;
    if held.iter().any(|l| l.dir() == canonical) {
        return Ok(None);
    }
    DirLock::acquire(&canonical, "recover").map(Some)
}

/// Finishes a committed publish. Every step checks what is left to do, so
/// running it again after a crash at any point completes the same publish.
fn roll_forward(out: &Path, commit: &Path, held: &[&DirLock]) -> Result<(), StoreError> {
    let run_id = commit
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .and_then(|n| n.strip_prefix(COMMIT_PREFIX).map(str::to_string))
        .unwrap_or_default();
    let staged_manifest = commit.join(MANIFEST);
    let target_file = commit.join(STATE_LOG_TARGET);
    // Before anything moves: the state log this run extends must be
    // readable, under its state's lock. A damaged log stops here, with the
    // visible outputs and the log untouched.
    let intent = if exists(&target_file)? {
        let target = fs::read_to_string(&target_file).at("read", &target_file)?;
        let entry =
            fs::read(commit.join(STATE_LOG_STAGED)).at("read", &commit.join(STATE_LOG_STAGED))?;
        Some((PathBuf::from(target), entry))
    } else {
        None
    };
    let state_dir = intent
        .as_ref()
        .and_then(|(target, _)| target.parent().map(Path::to_path_buf));
    let _state_lock = match &state_dir {
        Some(dir) => lock_unless_held(dir, held)?,
        None => None,
    };
    if let Some((target, _)) = &intent {
        state::read_log(target)?;
    }

    if exists(&staged_manifest)? && exists(&out.join(MANIFEST))? {
        durable::remove_file(&out.join(MANIFEST))?;
        sync_dir(out)?;
    }
    let mut names = Vec::new();
    for e in fs::read_dir(commit).at("list", commit)? {
        let name = e
            .at("list", commit)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name != MANIFEST && name != STATE_LOG_STAGED && name != STATE_LOG_TARGET {
            names.push(name);
        }
    }
    names.sort();
    for name in names.iter().filter(|n| is_plain_name(n)) {
        let (from, to) = (commit.join(name), out.join(name));
        // A staged folder replaces the previous run's folder whole (a
        // rename cannot replace a non-empty directory). Idempotent: after
        // a crash between the removal and the rename, the next roll-forward
        // finds the folder still in the commit and no target.
        if from.is_dir() && fs::symlink_metadata(&to).is_ok_and(|m| m.is_dir()) {
            remove_dir_all(&to)?;
            sync_dir(out)?;
        }
        rename(&from, &to)?;
    }
    sync_dir(out)?;
    if exists(&staged_manifest)? {
        rename(&staged_manifest, &out.join(MANIFEST))?;
        sync_dir(out)?;
    }
    if let (Some((target, entry)), Some(dir)) = (&intent, &state_dir) {
        state::append_entry(target, entry)?;
        durable::remove_file(&target_file)?;
        state::clear_pending(dir, &run_id)?;
        sync_dir(dir)?;
    }
    remove_dir_all(commit)?;
    sync_dir(out)
}

/// Brings `out` to a complete state after a crash: a committed publish is
/// rolled forward, staging leftovers and temporary files are removed.
/// Returns what it did, for the operator. The caller holds `out`'s lock;
/// `held` lists the locks it holds (a state directory a commit names is
/// locked here unless it is among them).
pub fn recover(out: &Path, held: &[&DirLock]) -> Result<Vec<String>, StoreError> {
    let mut notes = Vec::new();
    let entries = match fs::read_dir(out) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(notes),
        Err(e) => return Err(StoreError::io("list", out, e)),
    };
    let mut names = Vec::new();
    for e in entries {
        names.push(
            e.at("list", out)?
                .file_name()
                .to_string_lossy()
                .into_owned(),
        );
    }
    names.sort();
    for name in names {
        let path = out.join(&name);
        if let Some(run) = name.strip_prefix(COMMIT_PREFIX) {
            roll_forward(out, &path, held)?;
            notes.push(format!(
                "recovered: finished publishing run {run}, which was interrupted after its commit point"
            ));
        } else if let Some(run) = name.strip_prefix(STAGING_PREFIX) {
            remove_dir_all(&path)?;
            notes.push(format!(
                "recovered: discarded the staging area of run {run}, which never reached its commit point"
            ));
        } else if durable::is_temp_name(&name) {
            durable::remove_file(&path)?;
        }
    }
    Ok(notes)
}

/// The run ids of commits in `out` that were not rolled forward yet
/// (read-only: this is what a reader checks before trusting `out`).
pub fn pending_commits(out: &Path) -> Result<Vec<String>, StoreError> {
    let entries = match fs::read_dir(out) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("list", out, e)),
    };
    let mut runs = Vec::new();
    for e in entries {
        let name = e
            .at("list", out)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(run) = name.strip_prefix(COMMIT_PREFIX) {
            runs.push(run.to_string());
        }
    }
    runs.sort();
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_dropped_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut s = Staging::begin(dir.path(), "R1").unwrap();
            s.file("a.parquet", 1, b"x").unwrap();
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// Files staged at once are those staged one by one, listed in the
    /// order given, at any thread count; a producer that fails leaves none
    /// of them (and no temporary file) staged, and the first failing file
    /// in the order given names the error.
    #[test]
    fn files_staged_at_once_equal_files_staged_in_turn_at_any_thread_count() {
        use std::io::Write as _;
        let body = |seed: u8, len: usize| -> Vec<u8> {
            (0..len)
                .map(|i| (i as u8).wrapping_mul(31) ^ seed)
                .collect()
        };
        let names = ["t.parquet", "a.parquet", "s.parquet", "e.parquet"];
        let lens = [3 << 20, 17, 0, 200_000];
        let dir = tempfile::tempdir().unwrap();
        let mut one_by_one = Staging::begin(&dir.path().join("seq"), "R1").unwrap();
        for (k, name) in names.iter().enumerate() {
            let bytes = body(k as u8, lens[k]);
            one_by_one
                .file_streamed::<()>(name, k as u64, |w| {
                    w.write_all(&bytes).unwrap();
                    Ok(())
                })
                .unwrap();
        }
        for threads in [1, 2, 5] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let out = dir.path().join(format!("par{threads}"));
            let mut at_once = Staging::begin(&out, "R1").unwrap();
            let files = names
                .iter()
                .enumerate()
                .map(|(k, name)| {
                    let bytes = body(k as u8, lens[k]);
                    (*name, k as u64, move |w: &mut durable::HashingWriter| {
                        // Small writes, so the tasks interleave.
                        for chunk in bytes.chunks(4096) {
                            w.write_all(chunk).unwrap();
                        }
                        Ok::<(), ()>(())
                    })
                })
                .collect();
            pool.install(|| at_once.files_streamed(files)).unwrap();
            assert_eq!(at_once.written, one_by_one.written, "{threads} threads");
            for name in names {
                assert_eq!(
                    fs::read(at_once.dir().join(name)).unwrap(),
                    fs::read(one_by_one.dir().join(name)).unwrap(),
                    "{name}"
                );
            }
            assert_eq!(fs::read_dir(at_once.dir()).unwrap().count(), names.len());
        }
        let mut failing = Staging::begin(&dir.path().join("fail"), "R1").unwrap();
        let files = names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                (*name, 0, move |w: &mut durable::HashingWriter| {
                    w.write_all(b"partial").unwrap();
                    if k == 1 || k == 3 {
                        Err(k)
                    } else {
                        Ok(())
                    }
                })
            })
            .collect();
        match failing.files_streamed(files) {
            Err(durable::StreamError::Produce(k)) => assert_eq!(k, 1),
            other => panic!("expected the producer's error, got {other:?}"),
        }
        assert!(failing.written.is_empty());
        assert_eq!(fs::read_dir(failing.dir()).unwrap().count(), 0);
    }

    #[test]
    fn commit_publishes_and_recovery_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Staging::begin(dir.path(), "R1").unwrap();
        s.file("a.parquet", 1, b"x").unwrap();
        s.commit(b"{}", None, &[]).unwrap();
        assert_eq!(fs::read(dir.path().join("a.parquet")).unwrap(), b"x");
        assert!(dir.path().join(MANIFEST).exists());
        assert!(recover(dir.path(), &[]).unwrap().is_empty());
        assert!(pending_commits(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn a_commit_is_rolled_forward_with_its_state_entry() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let state_dir = dir.path().join("state");
        fs::create_dir_all(&state_dir).unwrap();
        let state_dir = state_dir.canonicalize().unwrap();
        let log = state_dir.join(state::STATE_LOG);
        let entry = br#"{"run_id":"R1","manifest_sha256":"m","file":"segments/R1.parquet","sha256":"s","files":0,"statements":0,"transactions":0}"#;
        // Stage and commit by hand, as a crash right after the commit
        // rename would leave it.
        let mut s = Staging::begin(&out, "R1").unwrap();
        s.file("a.parquet", 1, b"x").unwrap();
        write_durable(&s.dir, MANIFEST, b"{}").unwrap();
        write_durable(&s.dir, STATE_LOG_STAGED, entry).unwrap();
        write_durable(&s.dir, STATE_LOG_TARGET, log.to_string_lossy().as_bytes()).unwrap();
        rename(&s.dir, &out.join(".commit-R1")).unwrap();
        s.committed = true;
        drop(s);
        assert_eq!(pending_commits(&out).unwrap(), ["R1"]);
        // A damaged log stops recovery before anything moves.
        fs::write(&log, b"{oops").unwrap();
        assert!(matches!(
            recover(&out, &[]).unwrap_err(),
            StoreError::State(_)
        ));
        assert!(!out.join("a.parquet").exists());
        assert_eq!(fs::read(&log).unwrap(), b"{oops");
        fs::remove_file(&log).unwrap();
        let notes = recover(&out, &[]).unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(fs::read(out.join("a.parquet")).unwrap(), b"x");
        assert!(state::read_log(&log).unwrap().find("R1").is_some());
        assert!(pending_commits(&out).unwrap().is_empty());
    }
}
