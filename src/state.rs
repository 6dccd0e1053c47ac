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
//! atomically and only as the last step of a publish (see `publish`), so a
//! crash leaves either the old log or the new one. Each run's manifest
//! lists the segments it read as inputs of role `state` with their SHA-256,
//! which is what lets `cashmatch replay` reproduce a run that skipped
//! already-processed transactions.

use crate::inputs::{BankBatch, Disposition, InputFile};
use crate::output::sha256_hex;
use crate::output::table::Table;
use crate::CliError;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// File name of the run log inside the state directory.
pub const STATE_LOG: &str = "log.json";
/// Folder of the segments inside the state directory.
pub const SEGMENTS_DIR: &str = "segments";
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
}

/// Everything earlier runs ingested, keyed for the duplicate checks.
#[derive(Debug, Default, Clone)]
pub struct Processed {
    /// File SHA-256 → `run/file` that ingested it.
    files: HashMap<String, String>,
    /// Statement identity → (content hash, `run/file`).
    statements: HashMap<String, (String, String)>,
    transactions: HashSet<String>,
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
    /// `file`, `statement` or `transaction`.
    pub kind: &'static str,
    /// File SHA-256, statement identity or transaction id.
    pub key: String,
    /// The statement's (or file's) content hash; empty for transactions.
    pub content_sha256: String,
    /// The bank file it came from.
    pub source_file: String,
}

/// What one run adds to the state, and what it skipped.
#[derive(Debug, Default)]
pub struct Filtered {
    /// Rows of this run's segment.
    pub rows: Vec<SegmentRow>,
    /// Bank files skipped as byte-identical re-deliveries.
    pub files_duplicate: u64,
    /// Transactions skipped as already ingested.
    pub transactions_already_processed: u64,
}

impl StateLog {
    /// The published run with this id, if any.
    pub fn find(&self, run_id: &str) -> Option<&SegmentEntry> {
        self.segments.iter().find(|s| s.run_id == run_id)
    }
}

/// Prefix of the marker a run leaves in the state directory while its
/// publish is between staging and the end of its roll-forward; it holds the
/// output directory, so a run using the same state from another output
/// directory can tell that a committed run has not reached the log yet.
pub const PENDING_PREFIX: &str = "pending-";

/// Appends `entry_json` (a [`SegmentEntry`]) to the log at `log_path`
/// unless that run is already in it. Idempotent, and a merge: a log that
/// other runs extended meanwhile keeps their entries.
pub fn append_entry(log_path: &Path, entry_json: &[u8]) -> Result<(), CliError> {
    let entry: SegmentEntry = serde_json::from_slice(entry_json)
        .map_err(|e| CliError::Io(format!("staged state entry is damaged: {e}")))?;
    let mut log = match std::fs::read(log_path) {
        Ok(bytes) => serde_json::from_slice::<StateLog>(&bytes).map_err(|e| {
            CliError::Input(format!(
                "state log `{}` is damaged: {e}",
                log_path.display()
            ))
        })?,
        Err(_) => StateLog {
            format: LOG_FORMAT.into(),
            segments: Vec::new(),
        },
    };
    if log.find(&entry.run_id).is_none() {
        log.segments.push(entry);
    }
    let bytes =
        serde_json::to_vec_pretty(&log).map_err(|e| CliError::Output(format!("state log: {e}")))?;
    let (Some(dir), Some(name)) = (log_path.parent(), log_path.file_name()) else {
        return Err(CliError::Io(format!(
            "bad state log path `{}`",
            log_path.display()
        )));
    };
    crate::publish::replace_file(dir, &name.to_string_lossy(), &bytes)
}

/// Writes the pending marker of `run_id` (see [`PENDING_PREFIX`]).
pub fn mark_pending(state_dir: &Path, run_id: &str, out: &Path) -> Result<(), CliError> {
    let out = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
    crate::publish::replace_file(
        state_dir,
        &format!("{PENDING_PREFIX}{run_id}"),
        out.to_string_lossy().as_bytes(),
    )
}

/// Removes the pending marker of `run_id` once its publish is complete.
pub fn clear_pending(state_dir: &Path, run_id: &str) {
    let _ = std::fs::remove_file(state_dir.join(format!("{PENDING_PREFIX}{run_id}")));
}

/// Refuses a state whose log may still be missing a committed run: its
/// marker names an output directory that holds that run's `.commit-*`.
/// Markers of runs that never committed, or finished, are removed.
fn check_pending(dir: &Path) -> Result<(), CliError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(run_id) = name.strip_prefix(PENDING_PREFIX) else {
            continue;
        };
        let out = std::fs::read_to_string(e.path()).unwrap_or_default();
        let commit = Path::new(&out).join(format!("{}{run_id}", crate::publish::COMMIT_PREFIX));
        if commit.exists() {
            return Err(CliError::Input(format!(
                "state `{}`: run {run_id} committed its outputs to `{out}` but was interrupted before recording them; run `cashmatch verify {out}` to finish that publish, then run again",
                dir.display()
            )));
        }
        let _ = std::fs::remove_file(e.path());
    }
    Ok(())
}

/// Opens (or starts) the state in `dir`. Every segment's SHA-256 is checked
/// against the log, so an edited state is an error, never a silent change.
pub fn load(dir: &Path) -> Result<LoadedState, CliError> {
    check_pending(dir)?;
    let log_path = dir.join(STATE_LOG);
    let log = match std::fs::read(&log_path) {
        Ok(bytes) => serde_json::from_slice::<StateLog>(&bytes).map_err(|e| {
            CliError::Input(format!(
                "state log `{}` is damaged: {e}",
                log_path.display()
            ))
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateLog {
            format: LOG_FORMAT.into(),
            segments: Vec::new(),
        },
        Err(e) => {
            return Err(CliError::Io(format!(
                "cannot read state log `{}`: {e}",
                log_path.display()
            )))
        }
    };
    let mut processed = Processed::default();
    for s in &log.segments {
        let path = dir.join(&s.file);
        let bytes = std::fs::read(&path)
            .map_err(|e| CliError::Input(format!("state segment `{}`: {e}", path.display())))?;
        let sha = sha256_hex(&bytes);
        if sha != s.sha256 {
            return Err(CliError::Input(format!(
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
        dir: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
        log,
        processed,
    })
}

/// The state segments of `loaded`, as manifest inputs (role `state`), with
/// their paths relative to `out`.
pub fn segment_inputs(loaded: &LoadedState, out: &Path) -> Vec<InputFile> {
    loaded
        .log
        .segments
        .iter()
        .map(|s| InputFile {
            role: "state".into(),
            name: s.file.clone(),
            sha256: s.sha256.clone(),
            bytes: std::fs::metadata(loaded.dir.join(&s.file))
                .map(|m| m.len())
                .unwrap_or(0),
            format: "parquet".into(),
            rows: s.files + s.statements + s.transactions,
            status: "accepted".into(),
            detail: format!("run {}", s.run_id),
            path: Some(crate::manifest::relative_path(
                out,
                &loaded.dir.join(&s.file),
            )),
        })
        .collect()
}

/// Reads segments listed by a manifest (for replay): each `(input, path)`
/// must still have the recorded SHA-256.
pub fn processed_from_segments(segments: &[(InputFile, Vec<u8>)]) -> Result<Processed, CliError> {
    let mut processed = Processed::default();
    for (input, bytes) in segments {
        let run = input.detail.strip_prefix("run ").unwrap_or("?");
        add_segment(&mut processed, run, bytes.clone())?;
    }
    Ok(processed)
}

fn add_segment(p: &mut Processed, run_id: &str, bytes: Vec<u8>) -> Result<(), CliError> {
    let batches = crate::verify::read_parquet(bytes)
        .map_err(|e| CliError::Input(format!("state segment of run {run_id}: {e}")))?;
    let col = |name: &str| {
        crate::verify::text_column(&batches, name)
            .map_err(|e| CliError::Input(format!("state segment of run {run_id}: {e}")))
    };
    let (kind, key, content, source) = (
        col("kind")?,
        col("key")?,
        col("content_sha256")?,
        col("source_file")?,
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
            other => {
                return Err(CliError::Input(format!(
                    "state segment of run {run_id}: unknown row kind `{other}`"
                )))
            }
        }
    }
    Ok(())
}

enum Verdict {
    Keep,
    Duplicate(String),
    Conflict(String),
}

/// Removes from `bank` what was processed before (by an earlier run, or by
/// an earlier file of this batch) and records what is new:
///
/// - a byte-identical file is an idempotent skip (`duplicate_of=run/file`);
/// - a statement whose identity is known with a different content hash
///   rejects its whole file, naming both files (B1-8);
/// - otherwise only transactions with unseen ids are kept (B1-9: overlapping
///   statements add only their new transactions; identical payments in one
///   statement have distinct ids through the occurrence index).
pub fn filter(bank: &mut BankBatch, prior: &Processed) -> Filtered {
    let mut out = Filtered::default();
    let mut files_here: HashMap<String, String> = HashMap::new();
    let mut statements_here: HashMap<String, (String, String)> = HashMap::new();
    let mut verdicts: HashMap<String, Verdict> = HashMap::new();
    for file in bank.files.iter_mut().filter(|f| f.role == "bank") {
        if file.status != Disposition::Accepted.as_str()
            && file.status != Disposition::AcceptedUnbalanced.as_str()
        {
            continue;
        }
        let here = format!("this run/{}", file.name);
        let verdict = if let Some(origin) = prior
            .files
            .get(&file.sha256)
            .or_else(|| files_here.get(&file.sha256))
        {
            Verdict::Duplicate(origin.clone())
        } else {
            let mut conflict = None;
            for s in bank
                .statements
                .iter()
                // Bank CSV exports carry no bank-issued statement identity
                // (the parser synthesises one from account and dates), so two
                // exports of the same days are overlaps, deduplicated per
                // transaction, not re-issues.
                .filter(|s| s.source_file == file.name && s.format != "bank_csv")
            {
                let known = prior
                    .statements
                    .get(&s.identity)
                    .or_else(|| statements_here.get(&s.identity));
                if let Some((hash, origin)) = known {
                    if *hash != s.content_sha256 {
                        conflict = Some(format!(
                            "file `{}`: statement `{}` conflicts with the statement of the same identity in `{origin}` (same account, id, sequence and dates, different content); conflicting re-issue: nothing from `{}` was ingested, a person decides whether it supersedes the earlier one",
                            file.name, s.identity, file.name
                        ));
                        break;
                    }
                }
            }
            match conflict {
                Some(message) => Verdict::Conflict(message),
                None => Verdict::Keep,
            }
        };
        match &verdict {
            Verdict::Duplicate(origin) => {
                file.status = "duplicate".into();
                file.detail = format!("duplicate_of={origin}");
                file.rows = 0;
                out.files_duplicate += 1;
            }
            Verdict::Conflict(message) => {
                file.status = "rejected".into();
                file.detail = message.clone();
                file.rows = 0;
                bank.rejections.push(message.clone());
            }
            Verdict::Keep => {
                files_here.insert(file.sha256.clone(), here.clone());
                out.rows.push(SegmentRow {
                    kind: "file",
                    key: file.sha256.clone(),
                    content_sha256: file.sha256.clone(),
                    source_file: file.name.clone(),
                });
                for s in bank
                    .statements
                    .iter()
                    .filter(|s| s.source_file == file.name)
                {
                    let known = prior.statements.contains_key(&s.identity)
                        || statements_here.contains_key(&s.identity);
                    if !known {
                        statements_here
                            .insert(s.identity.clone(), (s.content_sha256.clone(), here.clone()));
                        out.rows.push(SegmentRow {
                            kind: "statement",
                            key: s.identity.clone(),
                            content_sha256: s.content_sha256.clone(),
                            source_file: file.name.clone(),
                        });
                    }
                }
            }
        }
        verdicts.insert(file.name.clone(), verdict);
    }
    for s in bank.statements.iter_mut() {
        match verdicts.get(&s.source_file) {
            Some(Verdict::Duplicate(_)) => s.disposition = Disposition::Duplicate,
            Some(Verdict::Conflict(_)) => s.disposition = Disposition::RejectedConflict,
            Some(Verdict::Keep)
                if prior.statements.get(&s.identity).map(|k| &k.0) == Some(&s.content_sha256) =>
            {
                s.disposition = Disposition::Duplicate
            }
            _ => {}
        }
    }
    // Transactions: keep those of kept files whose id is new.
    let mut seen_here: HashSet<String> = HashSet::new();
    let mut skipped_by_file: HashMap<String, u64> = HashMap::new();
    let mut kept_by_file: HashMap<String, u64> = HashMap::new();
    let transactions = std::mem::take(&mut bank.transactions);
    for t in transactions {
        if !matches!(verdicts.get(&t.source_file), Some(Verdict::Keep)) {
            continue;
        }
        if prior.transactions.contains(&t.transaction_id)
            || !seen_here.insert(t.transaction_id.clone())
        {
            *skipped_by_file.entry(t.source_file.clone()).or_default() += 1;
            out.transactions_already_processed += 1;
            continue;
        }
        *kept_by_file.entry(t.source_file.clone()).or_default() += 1;
        out.rows.push(SegmentRow {
            kind: "transaction",
            key: t.transaction_id.clone(),
            content_sha256: String::new(),
            source_file: t.source_file.clone(),
        });
        bank.transactions.push(t);
    }
    for file in bank.files.iter_mut() {
        if let Some(Verdict::Keep) = verdicts.get(&file.name) {
            file.rows = kept_by_file.get(&file.name).copied().unwrap_or(0);
            if let Some(n) = skipped_by_file.get(&file.name) {
                let note = format!("{n} transaction(s) already processed, skipped");
                file.detail = if file.detail.is_empty() {
                    note
                } else {
                    format!("{}; {note}", file.detail)
                };
            }
        }
    }
    out
}

/// The segment file of one run: rows in a fixed order, pinned writer.
pub fn segment_bytes(rows: &[SegmentRow], run_id: &str) -> Result<Vec<u8>, CliError> {
    let mut tb = Table::new();
    tb.text("kind", rows.iter().map(|r| r.kind));
    tb.text("key", rows.iter().map(|r| r.key.as_str()));
    tb.text(
        "content_sha256",
        rows.iter().map(|r| r.content_sha256.as_str()),
    );
    tb.text("source_file", rows.iter().map(|r| r.source_file.as_str()));
    tb.text("run_id", rows.iter().map(|_| run_id));
    tb.to_parquet()
        .map_err(|e| CliError::Output(format!("cannot encode state segment: {e}")))
}

/// Writes a run's segment into the state directory (before the commit
/// point: an unreferenced segment is harmless) and returns its log entry.
pub fn write_segment(
    loaded: &LoadedState,
    run_id: &str,
    manifest_sha256: &str,
    rows: &[SegmentRow],
) -> Result<SegmentEntry, CliError> {
    let bytes = segment_bytes(rows, run_id)?;
    let dir = loaded.dir.join(SEGMENTS_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| {
        CliError::Output(format!(
            "cannot create state folder `{}`: {e}",
            dir.display()
        ))
    })?;
    let name = format!("{run_id}.parquet");
    crate::publish::replace_file(&dir, &name, &bytes)?;
    let count = |k: &str| rows.iter().filter(|r| r.kind == k).count() as u64;
    Ok(SegmentEntry {
        run_id: run_id.into(),
        manifest_sha256: manifest_sha256.into(),
        file: format!("{SEGMENTS_DIR}/{name}"),
        sha256: sha256_hex(&bytes),
        files: count("file"),
        statements: count("statement"),
        transactions: count("transaction"),
    })
}
