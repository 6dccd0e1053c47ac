//! What earlier runs processed, so that nightly runs are idempotent
//! (RELIABILITY.md B1-7, B1-8, B1-9, B5-44, invariant C8).
//!
//! The state directory holds an append-only log of *segments*, one per run:
//!
//! ```text
//! <state>/log.json                      runs in order: run id, manifest hash, segment file + SHA-256
//! <state>/segments/<run_id>.parquet     what that run ingested (kind, key, content_sha256, source_file, run_id)
//! ```
//!
//! A segment row is a bank file (`kind = file`, key = its SHA-256), a
//! statement (`kind = statement`, key = account|currency|statement id|
//! sequence|from|to, with the statement's content hash) or a transaction
//! (`kind = transaction`, key = the engine's stable `transaction_id`).
//! Segments are written once and never modified; `log.json` is replaced
//! atomically and only as the last step of a publish (see
//! [`crate::publish`]), so a crash leaves either the old log or the new one.
//!
//! Only a log that does not exist means "no run yet". A log (or a segment,
//! or a pending marker) that exists but cannot be read or parsed stops the
//! run with [`StoreError::State`]: treating it as empty would forget every
//! earlier run and apply the same money again.

use crate::durable::{self, write_durable};
use crate::error::StoreError;
use crate::manifest::InputFile;
use crate::sha256_hex;
use crate::table::{read_parquet, text_column, Table};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// File name of the run log inside the state directory.
pub const STATE_LOG: &str = "log.json";
/// Folder of the segments inside the state directory.
pub const SEGMENTS_DIR: &str = "segments";
/// Prefix of the marker a run leaves in the state directory while its
/// publish is between staging and the end of its roll-forward; it holds the
/// output directory, so a run using the same state from another output
/// directory can tell that a committed run has not reached the log yet.
pub const PENDING_PREFIX: &str = "pending-";
/// Version tag of the log format.
const LOG_FORMAT: &str = "cashmatch-state/1";

/// The run log: every run whose outputs were published with this state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct StateLog {
    /// Version tag of the log format.
    pub format: String,
    /// Published runs, oldest first.
    pub segments: Vec<SegmentEntry>,
}

/// One published run and the segment it added.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SegmentEntry {
    /// The run that wrote the segment.
    pub run_id: String,
    /// SHA-256 of the run's `manifest.json`.
    pub manifest_sha256: String,
    /// Path of the segment relative to the state directory.
    pub file: String,
    /// SHA-256 of the segment file.
    pub sha256: String,
    /// Bank files the run ingested.
    pub files: u64,
    /// New statements the run ingested.
    pub statements: u64,
    /// New transactions the run ingested.
    pub transactions: u64,
    /// Learned facts and forget records the segment holds (issue 9).
    /// Absent in logs of earlier versions and omitted while zero, so a
    /// log without facts reads and writes as before.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub facts: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl StateLog {
    /// The published run with this id, if any.
    pub fn find(&self, run_id: &str) -> Option<&SegmentEntry> {
        self.segments.iter().find(|s| s.run_id == run_id)
    }
}

/// Everything earlier runs ingested, keyed for the duplicate checks.
#[derive(Debug, Default, Clone)]
pub struct Processed {
    /// File SHA-256 → `run/file` that ingested it.
    files: HashMap<String, String>,
    /// Statement identity → (content hash, `run/file`).
    statements: HashMap<String, (String, String)>,
    transactions: HashSet<String>,
    /// Receipts earlier runs applied (`kind = receipt`): (transaction id,
    /// the receipt and its applications as JSON), oldest run first.
    receipts: Vec<(String, String)>,
    /// Receipts a later run took back as returned (`kind = returned`, key =
    /// the original's transaction id).
    returned: HashSet<String>,
    /// Facts learned from decisions and not forgotten, by fact id.
    facts: BTreeMap<String, StoredFact>,
}

/// A fact remembered in the state: what a person's decision taught
/// (`kind = fact` rows), until a `forget` row removes it. The store keeps
/// it as text; what it means is the engine's (`cashmatch_engine::learned`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredFact {
    /// Stable fact id (`F` + hex), the key of its rows.
    pub id: String,
    /// What the subject is (`payer_account`, `payer_name`).
    pub fact_kind: String,
    /// The normalised account or name.
    pub subject: String,
    /// The customer it identifies.
    pub customer_id: String,
    /// Where it was learned (transaction, invoice, who decided and why).
    pub detail: String,
    /// The run that learned it.
    pub run_id: String,
}

impl Processed {
    /// The `run/file` that ingested a file with this SHA-256.
    pub fn file_origin(&self, sha256: &str) -> Option<&str> {
        self.files.get(sha256).map(String::as_str)
    }

    /// The content hash and `run/file` of the statement with this identity.
    pub fn statement(&self, identity: &str) -> Option<(&str, &str)> {
        self.statements
            .get(identity)
            .map(|(hash, origin)| (hash.as_str(), origin.as_str()))
    }

    /// Whether a transaction with this id was ingested.
    pub fn has_transaction(&self, transaction_id: &str) -> bool {
        self.transactions.contains(transaction_id)
    }

    /// The receipts earlier runs applied and no run has returned since, as
    /// the JSON the run wrote (the CLI reads it into the engine's
    /// `returns::PriorReceipt`), oldest run first.
    pub fn open_receipts(&self) -> impl Iterator<Item = &str> {
        self.receipts
            .iter()
            .filter(|(id, _)| !self.returned.contains(id))
            .map(|(_, json)| json.as_str())
    }

    /// The remembered facts, by fact id (stable order).
    pub fn facts(&self) -> impl Iterator<Item = &StoredFact> {
        self.facts.values()
    }

    /// Whether a fact with this id is remembered.
    pub fn has_fact(&self, id: &str) -> bool {
        self.facts.contains_key(id)
    }
}

/// A state directory opened for a run.
#[derive(Debug)]
pub struct LoadedState {
    /// The state directory (absolute).
    pub dir: PathBuf,
    /// The run log as read.
    pub log: StateLog,
    /// Everything the logged segments say was ingested.
    pub processed: Processed,
}

/// One row of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRow {
    /// `file`, `statement`, `transaction`, `receipt` (a receipt this run
    /// applied, content = JSON), `returned` (key = the transaction id of
    /// a receipt this run took back), `fact` or `forget` (a payer fact
    /// learned from a decision, or its removal).
    pub kind: &'static str,
    /// File SHA-256, statement identity, transaction id or fact id.
    pub key: String,
    /// The statement's (or file's) content hash; empty for transactions.
    pub content_sha256: String,
    /// The bank file it came from (the decisions file for a fact).
    pub source_file: String,
    /// A fact's kind, subject, customer and detail (a forget's reason);
    /// `None` for the other kinds.
    pub fact: Option<FactColumns>,
}

/// The columns only `fact` and `forget` rows fill. A segment without such
/// rows is written without these columns, as earlier versions wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FactColumns {
    /// `payer_account` or `payer_name` (empty for a forget).
    pub fact_kind: String,
    /// The normalised subject.
    pub subject: String,
    /// The customer.
    pub customer_id: String,
    /// Evidence (fact) or who forgot it and why (forget).
    pub detail: String,
}

/// Columns of the fact rows, in segment order.
const FACT_COLUMNS: [&str; 4] = ["fact_kind", "subject", "customer_id", "detail"];

fn empty_log() -> StateLog {
    StateLog {
        format: LOG_FORMAT.into(),
        segments: Vec::new(),
    }
}

/// Reads the log at `log_path`. Only a missing log is an empty one; any
/// other error (unreadable, a directory, invalid JSON) is
/// [`StoreError::State`].
pub fn read_log(log_path: &Path) -> Result<StateLog, StoreError> {
    match std::fs::read(log_path) {
        Ok(bytes) => serde_json::from_slice::<StateLog>(&bytes).map_err(|e| {
            StoreError::State(format!(
                "state log `{}` is damaged: {e}; restore it from backup (nothing was changed)",
                log_path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(empty_log()),
        Err(e) => Err(StoreError::State(format!(
            "cannot read state log `{}`: {e}; fix it or restore it from backup (nothing was changed)",
            log_path.display()
        ))),
    }
}

/// Appends `entry_json` (a [`SegmentEntry`]) to the log at `log_path`
/// unless that run is already in it. Idempotent, and a merge: a log that
/// other runs extended meanwhile keeps their entries. A log that exists but
/// cannot be read is never replaced. The caller holds the state's lock.
pub fn append_entry(log_path: &Path, entry_json: &[u8]) -> Result<(), StoreError> {
    let entry: SegmentEntry = serde_json::from_slice(entry_json)
        .map_err(|e| StoreError::Corrupt(format!("staged state entry is damaged: {e}")))?;
    let mut log = read_log(log_path)?;
    if log.find(&entry.run_id).is_some() {
        return Ok(());
    }
    log.segments.push(entry);
    let bytes = serde_json::to_vec_pretty(&log)
        .map_err(|e| StoreError::Corrupt(format!("state log: {e}")))?;
    let (Some(dir), Some(name)) = (log_path.parent(), log_path.file_name()) else {
        return Err(StoreError::State(format!(
            "bad state log path `{}`",
            log_path.display()
        )));
    };
    write_durable(dir, &name.to_string_lossy(), &bytes)
}

/// Writes the pending marker of `run_id` (see [`PENDING_PREFIX`]).
pub fn mark_pending(state_dir: &Path, run_id: &str, out: &Path) -> Result<(), StoreError> {
    let out = std::fs::canonicalize(out).map_err(|e| StoreError::io("resolve", out, e))?;
    write_durable(
        state_dir,
        &format!("{PENDING_PREFIX}{run_id}"),
        out.to_string_lossy().as_bytes(),
    )
}

/// Removes the pending marker of `run_id` once its publish is complete.
pub fn clear_pending(state_dir: &Path, run_id: &str) -> Result<(), StoreError> {
    durable::remove_file(&state_dir.join(format!("{PENDING_PREFIX}{run_id}")))
}

/// Refuses a state whose log may still be missing a committed run: its
/// marker names an output directory that holds that run's `.commit-*`.
/// Markers of runs that never committed, or finished, are removed, and so
/// are temporary files a killed writer left.
fn check_pending(dir: &Path) -> Result<(), StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(StoreError::State(format!(
                "cannot list state `{}`: {e}",
                dir.display()
            )))
        }
    };
    for e in entries {
        let e = e.map_err(|e| {
            StoreError::State(format!("cannot list state `{}`: {e}", dir.display()))
        })?;
        let name = e.file_name().to_string_lossy().into_owned();
        if durable::is_temp_name(&name) {
            // A temporary file of a writer that died (we hold the lock).
            durable::remove_file(&e.path())?;
            continue;
        }
        let Some(run_id) = name.strip_prefix(PENDING_PREFIX) else {
            continue;
        };
        let out = std::fs::read_to_string(e.path()).map_err(|err| {
            StoreError::State(format!(
                "cannot read pending marker `{}`: {err}",
                e.path().display()
            ))
        })?;
        let commit = Path::new(&out).join(format!("{}{run_id}", crate::layout::COMMIT_PREFIX));
        if commit.exists() {
            return Err(StoreError::State(format!(
                "state `{}`: run {run_id} committed its outputs to `{out}` but was interrupted before recording them; run `cashmatch recover {out}` to finish that publish, then run again",
                dir.display()
            )));
        }
        durable::remove_file(&e.path())?;
    }
    Ok(())
}

/// Opens (or starts) the state in `dir`. Every segment's SHA-256 is checked
/// against the log, so an edited state is an error, never a silent change.
/// The caller holds the state's lock.
pub fn load(dir: &Path) -> Result<LoadedState, StoreError> {
    check_pending(dir)?;
    let log = read_log(&dir.join(STATE_LOG))?;
    let mut processed = Processed::default();
    for s in &log.segments {
        let path = dir.join(&s.file);
        let bytes = std::fs::read(&path)
            .map_err(|e| StoreError::State(format!("state segment `{}`: {e}", path.display())))?;
        let sha = sha256_hex(&bytes);
        if sha != s.sha256 {
            return Err(StoreError::State(format!(
                "state segment `{}` changed since run {} wrote it (sha256 {sha}, log says {}); restore it from backup",
                path.display(),
                s.run_id,
                s.sha256
            )));
        }
        add_segment(&mut processed, &s.run_id, bytes)?;
    }
    Ok(LoadedState {
        // Absolute, because the staged state-log intent may be rolled
        // forward by a later process started from another directory.
        dir: std::fs::canonicalize(dir).map_err(|e| StoreError::io("resolve", dir, e))?,
        log,
        processed,
    })
}

/// The state segments of `loaded`, as manifest inputs (role `state`), with
/// their paths relative to `out`.
pub fn segment_inputs(loaded: &LoadedState, out: &Path) -> Result<Vec<InputFile>, StoreError> {
    loaded
        .log
        .segments
        .iter()
        .map(|s| {
            let path = loaded.dir.join(&s.file);
            let bytes = std::fs::metadata(&path)
                .map_err(|e| StoreError::State(format!("state segment `{}`: {e}", path.display())))?
                .len();
            Ok(InputFile {
                role: crate::manifest::InputRole::State,
                name: s.file.clone(),
                sha256: s.sha256.clone(),
                bytes,
                format: "parquet".into(),
                rows: s.files + s.statements + s.transactions,
                status: crate::manifest::InputStatus::Accepted,
                detail: format!("run {}", s.run_id),
                path: Some(crate::manifest::relative_path(out, &path)),
            })
        })
        .collect()
}

/// Reads segments listed by a manifest (for replay): each `(input, bytes)`
/// was checked against its recorded SHA-256 by the caller.
pub fn processed_from_segments(segments: &[(InputFile, Vec<u8>)]) -> Result<Processed, StoreError> {
    let mut processed = Processed::default();
    for (input, bytes) in segments {
        let run = input.detail.strip_prefix("run ").unwrap_or("?");
        add_segment(&mut processed, run, bytes.clone())?;
    }
    Ok(processed)
}

fn add_segment(p: &mut Processed, run_id: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
    let damaged = |e: String| StoreError::State(format!("state segment of run {run_id}: {e}"));
    let batches = read_parquet(bytes).map_err(damaged)?;
    let col = |name: &str| text_column(&batches, name).map_err(damaged);
    let (kind, key, content, source) = (
        col("kind")?,
        col("key")?,
        col("content_sha256")?,
        col("source_file")?,
    );
    // Segments of earlier versions have no fact columns.
    let has_facts = batches
        .iter()
        .all(|b| b.schema().column_with_name(FACT_COLUMNS[0]).is_some());
    let fact_col = |name: &str| {
        if has_facts {
            text_column(&batches, name).map_err(damaged)
        } else {
            Ok(vec![String::new(); kind.len()])
        }
    };
    let (fact_kind, subject, customer, detail) = (
        fact_col(FACT_COLUMNS[0])?,
        fact_col(FACT_COLUMNS[1])?,
        fact_col(FACT_COLUMNS[2])?,
        fact_col(FACT_COLUMNS[3])?,
    );
    for i in 0..kind.len() {
        match kind[i].as_str() {
            "file" => {
                p.files
                    .insert(key[i].clone(), format!("{run_id}/{}", source[i]));
            }
            "statement" => {
                p.statements.insert(
                    key[i].clone(),
                    (content[i].clone(), format!("{run_id}/{}", source[i])),
                );
            }
            "transaction" => {
                p.transactions.insert(key[i].clone());
            }
            // A receipt this run applied: the content column holds the
            // receipt and its applications as JSON (returns of later runs
            // reverse them; see ARCHITECTURE.md "State store").
            "receipt" => {
                p.receipts.push((key[i].clone(), content[i].clone()));
            }
            "returned" => {
                p.returned.insert(key[i].clone());
            }
            // Append-only memory: a fact is learned by one row and removed
            // by a later forget row; learning it again brings it back.
            "fact" => {
                p.facts.entry(key[i].clone()).or_insert_with(|| StoredFact {
                    id: key[i].clone(),
                    fact_kind: fact_kind[i].clone(),
                    subject: subject[i].clone(),
                    customer_id: customer[i].clone(),
                    detail: detail[i].clone(),
                    run_id: run_id.to_string(),
                });
            }
            "forget" => {
                p.facts.remove(&key[i]);
            }
            other => return Err(damaged(format!("unknown row kind `{other}`"))),
        }
    }
    Ok(())
}

/// The segment file of one run: rows in a fixed order, pinned writer.
pub fn segment_bytes(rows: &[SegmentRow], run_id: &str) -> Result<Vec<u8>, StoreError> {
    let mut tb = Table::new();
    tb.text("kind", rows.iter().map(|r| r.kind));
    tb.text("key", rows.iter().map(|r| r.key.as_str()));
    tb.text(
        "content_sha256",
        rows.iter().map(|r| r.content_sha256.as_str()),
    );
    tb.text("source_file", rows.iter().map(|r| r.source_file.as_str()));
    tb.text("run_id", rows.iter().map(|_| run_id));
    if rows.iter().any(|r| r.fact.is_some()) {
        for (k, name) in FACT_COLUMNS.iter().enumerate() {
            let values: Vec<&str> = rows
                .iter()
                .map(|r| {
                    r.fact.as_ref().map_or("", |c| match k {
                        0 => c.fact_kind.as_str(),
                        1 => c.subject.as_str(),
                        2 => c.customer_id.as_str(),
                        _ => c.detail.as_str(),
                    })
                })
                .collect();
            tb.text(name, values.into_iter());
        }
    }
    tb.to_parquet()
        .map_err(|e| StoreError::Corrupt(format!("cannot encode state segment: {e}")))
}

/// Writes a run's segment into the state directory (before the commit
/// point: an unreferenced segment is harmless) and returns its log entry.
pub fn write_segment(
    loaded: &LoadedState,
    run_id: &str,
    manifest_sha256: &str,
    rows: &[SegmentRow],
) -> Result<SegmentEntry, StoreError> {
    let bytes = segment_bytes(rows, run_id)?;
    let dir = loaded.dir.join(SEGMENTS_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::io("create directory", &dir, e))?;
    let name = format!("{run_id}.parquet");
    write_durable(&dir, &name, &bytes)?;
    let count = |k: &str| rows.iter().filter(|r| r.kind == k).count() as u64;
    Ok(SegmentEntry {
        run_id: run_id.into(),
        manifest_sha256: manifest_sha256.into(),
        file: format!("{SEGMENTS_DIR}/{name}"),
        sha256: sha256_hex(&bytes),
        files: count("file"),
        statements: count("statement"),
        transactions: count("transaction"),
        facts: count("fact") + count("forget"),
    })
}

/// Reads what the state in `dir` remembers without taking its lock or
/// touching any file (`cashmatch state show`): the log and every segment,
/// each checked against its SHA-256.
pub fn read_processed(dir: &Path) -> Result<Processed, StoreError> {
    let log = read_log(&dir.join(STATE_LOG))?;
    let mut processed = Processed::default();
    for s in &log.segments {
        let path = dir.join(&s.file);
        let bytes = std::fs::read(&path)
            .map_err(|e| StoreError::State(format!("state segment `{}`: {e}", path.display())))?;
        let sha = sha256_hex(&bytes);
        if sha != s.sha256 {
            return Err(StoreError::State(format!(
                "state segment `{}` changed since run {} wrote it (sha256 {sha}, log says {}); restore it from backup",
                path.display(),
                s.run_id,
                s.sha256
            )));
        }
        add_segment(&mut processed, &s.run_id, bytes)?;
    }
    Ok(processed)
}

/// Records `forget` rows for the facts `ids` (`cashmatch state forget`):
/// a segment of its own, written durably, then the log entry appended
/// (read, merge, durable replace), the same two steps as a run's publish
/// without outputs. A crash between them leaves an unreferenced segment,
/// which is harmless. The caller holds the state's lock; `detail` says who
/// forgot and why. Returns the entry's id.
pub fn append_forget(dir: &Path, ids: &[String], detail: &str) -> Result<String, StoreError> {
    check_pending(dir)?;
    let log = read_log(&dir.join(STATE_LOG))?;
    let mut seed = format!("forget|{}|{detail}", log.segments.len());
    for id in ids {
        seed.push('|');
        seed.push_str(id);
    }
    let run_id = format!("forget-{}", &sha256_hex(seed.as_bytes())[..16]);
    let rows: Vec<SegmentRow> = ids
        .iter()
        .map(|id| SegmentRow {
            kind: "forget",
            key: id.clone(),
            content_sha256: String::new(),
            source_file: String::new(),
            fact: Some(FactColumns {
                detail: detail.to_string(),
                ..Default::default()
            }),
        })
        .collect();
    let loaded = LoadedState {
        dir: std::fs::canonicalize(dir).map_err(|e| StoreError::io("resolve", dir, e))?,
        log,
        processed: Processed::default(),
    };
    let entry = write_segment(&loaded, &run_id, "", &rows)?;
    let bytes =
        serde_json::to_vec(&entry).map_err(|e| StoreError::Corrupt(format!("state entry: {e}")))?;
    append_entry(&loaded.dir.join(STATE_LOG), &bytes)?;
    Ok(run_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(run: &str) -> Vec<u8> {
        serde_json::to_vec(&SegmentEntry {
            run_id: run.into(),
            manifest_sha256: "m".into(),
            file: "segments/x.parquet".into(),
            sha256: "s".into(),
            files: 0,
            statements: 0,
            transactions: 0,
            facts: 0,
        })
        .unwrap()
    }

    #[test]
    fn appending_merges_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join(STATE_LOG);
        append_entry(&log, &entry("R1")).unwrap();
        append_entry(&log, &entry("R2")).unwrap();
        append_entry(&log, &entry("R1")).unwrap();
        let read = read_log(&log).unwrap();
        let ids: Vec<_> = read.segments.iter().map(|s| s.run_id.as_str()).collect();
        assert_eq!(ids, ["R1", "R2"]);
    }

    /// RELIABILITY B5-44: only a missing log is "no run yet"; a log that
    /// cannot be read is never replaced by this run's entry alone.
    #[test]
    fn an_unreadable_log_is_an_error_and_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join(STATE_LOG);
        // A symlink loop: reading fails (ELOOP) but a rename over it would
        // succeed, which is how the log used to be replaced.
        std::os::unix::fs::symlink(&log, &log).unwrap();
        let err = append_entry(&log, &entry("R1")).unwrap_err();
        assert!(matches!(err, StoreError::State(_)), "{err}");
        assert!(std::fs::symlink_metadata(&log)
            .unwrap()
            .file_type()
            .is_symlink());
        // Invalid JSON: an error, the bytes untouched.
        std::fs::remove_file(&log).unwrap();
        std::fs::write(&log, b"{not json").unwrap();
        assert!(matches!(
            append_entry(&log, &entry("R1")).unwrap_err(),
            StoreError::State(_)
        ));
        assert_eq!(std::fs::read(&log).unwrap(), b"{not json");
        // A directory where the log should be.
        std::fs::remove_file(&log).unwrap();
        std::fs::create_dir(&log).unwrap();
        assert!(matches!(
            load(dir.path()).unwrap_err(),
            StoreError::State(_)
        ));
        assert!(log.is_dir());
    }

    #[test]
    fn loading_removes_temporary_files_of_killed_writers() {
        let dir = tempfile::tempdir().unwrap();
        let leftover = dir.path().join(".log.json.tmp-4999999-0");
        std::fs::write(&leftover, b"{").unwrap();
        load(dir.path()).unwrap();
        assert!(!leftover.exists());
    }

    #[test]
    fn an_unreadable_pending_marker_stops_the_load() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(format!("{PENDING_PREFIX}R1"))).unwrap();
        assert!(matches!(
            load(dir.path()).unwrap_err(),
            StoreError::State(_)
        ));
    }
}
