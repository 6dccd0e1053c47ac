//! Which parts of a batch are new: the bank files, statements and
//! transactions of this run checked against what earlier runs ingested
//! (RELIABILITY.md B1-7, B1-8, B1-9). What earlier runs ingested, and how
//! it is stored, is `cashmatch_store::state`; this module only decides.

use crate::inputs::{BankBatch, Disposition};
use crate::CliError;
use cashmatch_engine::ingest::{self, StatementVerdict};
use cashmatch_engine::learned::{Fact, FactKind};
use cashmatch_store::manifest::{InputRole, InputStatus};
use cashmatch_store::state::{FactColumns, Processed, SegmentRow};
use std::collections::{HashMap, HashSet};
use std::path::Path;

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
                    // A statement an earlier version recorded (its hash
                    // also covered parsed text): the same statement when
                    // every transaction of the file is already known.
                    let legacy_same = verdict == StatementVerdict::Legacy
                        && bank
                            .transactions
                            .iter()
                            .filter(|t| t.source_file() == file.name)
                            .all(|t| prior.has_transaction(t.transaction_id()));
                    if verdict == StatementVerdict::Conflict
                        || (verdict == StatementVerdict::Legacy && !legacy_same)
                    {
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
                    fact: None,
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
                            fact: None,
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
                fact: None,
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

/// The facts earlier runs learned and nobody forgot, as the engine reads
/// them (rows of an unknown kind, from a later version, are left out).
pub fn learned_facts(prior: &Processed) -> Vec<Fact> {
    prior
        .facts()
        .filter_map(|f| {
            Some(Fact {
                kind: FactKind::parse(&f.fact_kind)?,
                subject: f.subject.clone(),
                customer_id: f.customer_id.clone(),
                evidence: f.detail.clone(),
            })
        })
        .collect()
}

/// The segment rows of what this run's decisions taught: facts the state
/// does not already remember (learning a fact again adds nothing).
pub fn fact_rows(taught: &[Fact], prior: &Processed, decisions_file: &str) -> Vec<SegmentRow> {
    taught
        .iter()
        .filter(|f| !prior.has_fact(&f.id()))
        .map(|f| SegmentRow {
            kind: "fact",
            key: f.id(),
            content_sha256: String::new(),
            source_file: decisions_file.to_string(),
            fact: Some(FactColumns {
                fact_kind: f.kind.as_str().to_string(),
                subject: f.subject.clone(),
                customer_id: f.customer_id.clone(),
                detail: f.evidence.clone(),
            }),
        })
        .collect()
}

/// Which facts `cashmatch state forget` removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForgetTarget {
    /// One fact, by the id `state show` lists.
    Fact(String),
    /// Every fact about this payer account (compared normalised).
    PayerAccount(String),
    /// Every fact about this payer name (compared normalised).
    PayerName(String),
}

/// One remembered fact as `state show` lists it.
#[derive(Debug, Clone, serde::Serialize)]
struct ShownFact<'a> {
    id: &'a str,
    kind: &'a str,
    subject: &'a str,
    customer_id: &'a str,
    /// `active`, or `ambiguous` when a payer account or name was learned
    /// for several customers (then it identifies nobody).
    status: &'static str,
    learned_in: &'a str,
    evidence: &'a str,
}

/// Receipt retention (`[returns] keep_receipts_days`): the receipts of the
/// state (JSON rows, oldest run first) still offered to this run's returns,
/// those valued within `keep_days` before `as_of`. Older ones are pruned
/// from what the run reads (their rows stay in the append-only segments
/// that the manifest hashes); a receipt without a date is kept. A damaged
/// row stops the run: forgetting receipts silently would leave a returned
/// payment's invoice paid.
pub fn retained_receipts<'a>(
    rows: impl Iterator<Item = &'a str>,
    as_of: chrono::NaiveDate,
    keep_days: u32,
) -> Result<Vec<cashmatch_engine::returns::PriorReceipt>, CliError> {
    let oldest = as_of - chrono::Days::new(u64::from(keep_days));
    let mut out = Vec::new();
    for json in rows {
        let receipt: cashmatch_engine::returns::PriorReceipt = serde_json::from_str(json)
            .map_err(|e| {
                CliError::from(cashmatch_store::StoreError::State(format!(
                    "state: a receipt row is damaged ({e}); restore the state from backup (nothing was changed)"
                )))
            })?;
        if receipt.date.is_none_or(|d| d >= oldest) {
            out.push(receipt);
        }
    }
    Ok(out)
}

fn read_state(dir: &Path) -> Result<Processed, CliError> {
    Ok(cashmatch_store::state::read_processed(dir)?)
}

/// `cashmatch state show`: the facts in `dir`, ordered by kind, subject and
/// customer (stable whatever the order they were learned in).
pub fn show(dir: &Path, json: bool) -> Result<String, CliError> {
    let processed = read_state(dir)?;
    let mut facts: Vec<_> = processed.facts().collect();
    facts.sort_by(|a, b| {
        (&a.fact_kind, &a.subject, &a.customer_id, &a.id).cmp(&(
            &b.fact_kind,
            &b.subject,
            &b.customer_id,
            &b.id,
        ))
    });
    let mut customers_of: HashMap<(&str, &str), HashSet<&str>> = HashMap::new();
    for f in &facts {
        customers_of
            .entry((f.fact_kind.as_str(), f.subject.as_str()))
            .or_default()
            .insert(f.customer_id.as_str());
    }
    let shown: Vec<ShownFact> = facts
        .iter()
        .map(|f| ShownFact {
            id: &f.id,
            kind: &f.fact_kind,
            subject: &f.subject,
            customer_id: &f.customer_id,
            // A reference style is one customer's habit: the same style
            // learned for several customers is no conflict.
            status: if f.fact_kind != FactKind::ReferenceStyle.as_str()
                && customers_of[&(f.fact_kind.as_str(), f.subject.as_str())].len() > 1
            {
                "ambiguous"
            } else {
                "active"
            },
            learned_in: &f.run_id,
            evidence: &f.detail,
        })
        .collect();
    if json {
        let mut text = serde_json::to_string_pretty(&shown)
            .map_err(|e| CliError::Output(format!("state show: {e}")))?;
        text.push('\n');
        return Ok(text);
    }
    if shown.is_empty() {
        return Ok(format!(
            "state `{}` remembers no facts: feed decisions with `cashmatch run --decisions FILE`\n",
            dir.display()
        ));
    }
    let mut text = format!(
        "{:<14} {:<14} {:<34} {:<12} {:<10} learned in run\n",
        "fact", "kind", "subject", "customer", "status"
    );
    for f in &shown {
        text.push_str(&format!(
            "{:<14} {:<14} {:<34} {:<12} {:<10} {}\n    {}\n",
            f.id, f.kind, f.subject, f.customer_id, f.status, f.learned_in, f.evidence
        ));
    }
    Ok(text)
}

/// `cashmatch state forget`: under the state's lock, writes a forget
/// record for every fact the target names (an error when none does).
pub fn forget(dir: &Path, target: &ForgetTarget) -> Result<String, CliError> {
    if !dir.join(cashmatch_store::state::STATE_LOG).is_file() {
        return Err(CliError::Input(format!(
            "`{}` is not a state directory (no {})",
            dir.display(),
            cashmatch_store::state::STATE_LOG
        )));
    }
    let _lock = cashmatch_store::lock::DirLock::acquire(dir, "state-forget")?;
    let processed = read_state(dir)?;
    let (what, ids): (String, Vec<String>) = match target {
        ForgetTarget::Fact(id) => (
            format!("fact {id}"),
            processed
                .facts()
                .filter(|f| f.id == id.trim())
                .map(|f| f.id.clone())
                .collect(),
        ),
        ForgetTarget::PayerAccount(raw) | ForgetTarget::PayerName(raw) => {
            let kind = match target {
                ForgetTarget::PayerAccount(_) => FactKind::PayerAccount,
                _ => FactKind::PayerName,
            };
            let subject = kind.normalise(raw);
            (
                format!("{} `{raw}`", kind.as_str().replace('_', " ")),
                processed
                    .facts()
                    .filter(|f| f.fact_kind == kind.as_str() && f.subject == subject)
                    .map(|f| f.id.clone())
                    .collect(),
            )
        }
    };
    if ids.is_empty() {
        return Err(CliError::Input(format!(
            "state `{}` remembers nothing about {what}; `cashmatch state show --state {}` lists the facts",
            dir.display(),
            dir.display()
        )));
    }
    let entry = cashmatch_store::state::append_forget(
        dir,
        &ids,
        &format!("forgotten by `cashmatch state forget` ({what})"),
    )?;
    Ok(format!(
        "forgot {} fact(s) about {what}: {} (recorded as {entry}; later runs no longer use them)",
        ids.len(),
        ids.join(", ")
    ))
}

#[cfg(test)]
mod retention_tests {
    use super::retained_receipts;
    use cashmatch_engine::returns::PriorReceipt;
    use chrono::NaiveDate;

    fn receipt(id: &str, date: Option<NaiveDate>) -> String {
        serde_json::to_string(&PriorReceipt {
            run_id: "R1".into(),
            transaction_id: id.into(),
            bank_reference: format!("BR-{id}"),
            end_to_end_id: String::new(),
            account: "DE89370400440532013000".into(),
            currency: "EUR".into(),
            amount: rust_decimal::Decimal::new(10_000, 2),
            date,
            counterparty_name: "Acme".into(),
            counterparty_account: String::new(),
            applications: Vec::new(),
            on_account_customer: None,
        })
        .unwrap()
    }

    #[test]
    fn receipts_older_than_the_window_are_pruned_and_the_boundary_day_kept() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d);
        let rows = [
            receipt("old", day(1)),
            receipt("edge", day(11)),
            receipt("new", day(30)),
            receipt("undated", None),
        ];
        let as_of = day(31).unwrap();
        let kept: Vec<String> = retained_receipts(rows.iter().map(String::as_str), as_of, 20)
            .unwrap()
            .into_iter()
            .map(|r| r.transaction_id)
            .collect();
        assert_eq!(kept, ["edge", "new", "undated"]);
        let all = retained_receipts(rows.iter().map(String::as_str), as_of, 400).unwrap();
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn a_damaged_receipt_row_stops_the_run() {
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert!(retained_receipts(["{not json"].into_iter(), as_of, 400).is_err());
    }
}
