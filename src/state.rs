//! Which parts of a batch are new: the bank files, statements and
//! transactions of this run checked against what earlier runs ingested
//! (RELIABILITY.md B1-7, B1-8, B1-9). What earlier runs ingested, and how
//! it is stored, is `cashmatch_store::state`; this module only decides.

use crate::inputs::{BankBatch, Disposition};
use cashmatch_engine::ingest::{self, StatementVerdict};
use cashmatch_store::manifest::{InputRole, InputStatus};
use cashmatch_store::state::{Processed, SegmentRow};
use std::collections::{HashMap, HashSet};

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
///
/// `record`: whether the segment rows are wanted (a run with a state
/// directory writes them; without one they would be a string per
/// transaction for nothing).
pub fn filter(bank: &mut BankBatch, prior: &Processed, record: bool) -> Filtered {
    let mut out = Filtered::default();
    let mut files_here: HashMap<String, String> = HashMap::new();
    let mut statements_here: HashMap<String, (String, String)> = HashMap::new();
    let mut verdicts: HashMap<String, Verdict> = HashMap::new();
    for file in bank.files.iter_mut().filter(|f| f.role == InputRole::Bank) {
        if file.status != InputStatus::Accepted && file.status != InputStatus::AcceptedUnbalanced {
            continue;
        }
        let here = format!("this run/{}", file.name);
        let verdict = if let Some(origin) = prior
            .file_origin(&file.sha256)
            .or_else(|| files_here.get(&file.sha256).map(String::as_str))
        {
            Verdict::Duplicate(origin.to_string())
        } else {
            let mut conflict = None;
            for s in bank
                .statements
                .iter()
                .filter(|s| s.source_file == file.name)
            {
                let known = prior.statement(&s.identity).or_else(|| {
                    statements_here
                        .get(&s.identity)
                        .map(|(hash, origin)| (hash.as_str(), origin.as_str()))
                });
                if let Some((hash, origin)) = known {
                    // The rule itself (bank CSV exports overlap, they are
                    // never re-issues) is the engine's.
                    let verdict = ingest::statement_verdict(
                        s.statement.format,
                        Some(hash),
                        &s.content_sha256,
                    );
                    if verdict == StatementVerdict::Conflict {
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
                file.status = InputStatus::Duplicate;
                file.detail = format!("duplicate_of={origin}");
                file.rows = 0;
                out.files_duplicate += 1;
            }
            Verdict::Conflict(message) => {
                file.status = InputStatus::Rejected;
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
                    let known = prior.statement(&s.identity).is_some()
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
                if prior.statement(&s.identity).map(|k| k.0) == Some(s.content_sha256.as_str()) =>
            {
                s.disposition = Disposition::Duplicate
            }
            _ => {}
        }
    }
    // Transactions: keep those of kept files whose id is new.
    let mut seen_here: HashSet<&str> = HashSet::with_capacity(bank.transactions.len());
    let mut skipped_by_file: HashMap<String, u64> = HashMap::new();
    let mut kept_by_file: HashMap<String, u64> = HashMap::new();
    let mut keep = Vec::with_capacity(bank.transactions.len());
    for t in bank.transactions.iter() {
        if !matches!(verdicts.get(t.source_file()), Some(Verdict::Keep)) {
            keep.push(false);
            continue;
        }
        if prior.has_transaction(t.transaction_id()) || !seen_here.insert(t.transaction_id()) {
            *skipped_by_file
                .entry(t.source_file().to_string())
                .or_default() += 1;
            out.transactions_already_processed += 1;
            keep.push(false);
            continue;
        }
        *kept_by_file.entry(t.source_file().to_string()).or_default() += 1;
        if record {
            out.rows.push(SegmentRow {
                kind: "transaction",
                key: t.transaction_id().to_string(),
                content_sha256: String::new(),
                source_file: t.source_file().to_string(),
            });
        }
        keep.push(true);
    }
    drop(seen_here);
    // The store is rebuilt only when something was left out (the common
    // nightly run keeps everything).
    if keep.contains(&false) {
        let mut k = keep.iter();
        bank.transactions = bank.transactions.filter(|_| *k.next().unwrap_or(&false));
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
