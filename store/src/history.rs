//! The AR history: a compact, append-only record of what each reported run
//! saw (invoices, applications with value dates, deductions, dunning levels
//! reached, a KPI snapshot), kept next to the state log so the analytics of
//! a later run can look back (previous dunning level, disputes resolved
//! since, payment behaviour trends, DSO across runs).
//!
//! ```text
//! <state>/history/log.json            runs: run id, as-of, segment file + SHA-256, rows
//! <state>/history/<run_id>.parquet     that run's events (one generic row schema)
//! ```
//!
//! The rules are the state log's: a segment is written once (through
//! [`write_durable`]) and never modified, the log is replaced atomically
//! and only after its segment is durable, a run already in the log is never
//! recorded again (the first report of a run is its history), and a log or
//! segment that exists but cannot be read, or whose bytes changed, is an
//! error ([`StoreError::State`]), never an empty history. The caller holds
//! the state directory's lock.
//!
//! The store knows nothing of what the rows mean: `kind` and the columns
//! are filled and read by the analytics (`src/report.rs`).

use crate::durable::write_durable;
use crate::error::StoreError;
use crate::sha256_hex;
use crate::table::{read_parquet, text_column, Table};
use arrow_array::{Array, Date32Array, Decimal128Array, RecordBatch, UInt32Array};
use arrow_schema::DataType;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Folder of the history inside the state directory.
pub const HISTORY_DIR: &str = "history";
/// File name of the history log inside [`HISTORY_DIR`].
pub const HISTORY_LOG: &str = "log.json";
/// Version tag of the history log format.
const HISTORY_FORMAT: &str = "cashmatch-history/1";

/// The history log: every run recorded, in `(as_of, run_id)` order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryLog {
    /// Version tag.
    pub format: String,
    /// Recorded runs.
    pub runs: Vec<HistoryEntry>,
}

/// One recorded run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The run.
    pub run_id: String,
    /// Its as-of date (`YYYY-MM-DD`).
    pub as_of: String,
    /// Segment path relative to the history folder.
    pub file: String,
    /// SHA-256 of the segment.
    pub sha256: String,
    /// Rows in the segment.
    pub rows: u64,
}

/// One event of a run. Which columns a `kind` uses is the caller's
/// convention; unused text columns are empty, unused others null.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryRow {
    /// What the row records (`invoice`, `payment`, `deduction`, ...).
    pub kind: String,
    /// Customer.
    pub customer_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Invoice.
    pub invoice_id: String,
    /// Bank transaction.
    pub transaction_id: String,
    /// A code: reason, metric name, status, account.
    pub code: String,
    /// Money.
    pub amount: Option<Decimal>,
    /// A second decimal (a metric value, an amount after).
    pub value: Option<Decimal>,
    /// A level.
    pub level: Option<u32>,
    /// The event's date.
    pub date: Option<NaiveDate>,
    /// An invoice date.
    pub invoice_date: Option<NaiveDate>,
    /// A due date.
    pub due_date: Option<NaiveDate>,
}

/// A recorded run with its rows.
#[derive(Debug, Clone)]
pub struct HistoryRun {
    /// The log entry.
    pub entry: HistoryEntry,
    /// Its as-of date, parsed.
    pub as_of: NaiveDate,
    /// Its rows, in the order written.
    pub rows: Vec<HistoryRow>,
}

fn damaged(what: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::State(format!(
        "AR history `{}` is damaged: {e}; restore it from backup (nothing was changed)",
        what.display()
    ))
}

/// Reads the history log of `state_dir`. Only a missing log is an empty
/// history.
pub fn read_log(state_dir: &Path) -> Result<HistoryLog, StoreError> {
    let path = state_dir.join(HISTORY_DIR).join(HISTORY_LOG);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let log: HistoryLog = serde_json::from_slice(&bytes).map_err(|e| damaged(&path, e))?;
            if log.format != HISTORY_FORMAT {
                return Err(damaged(&path, format!("unknown format `{}`", log.format)));
            }
            Ok(log)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HistoryLog {
            format: HISTORY_FORMAT.into(),
            runs: Vec::new(),
        }),
        Err(e) => Err(damaged(&path, e)),
    }
}

/// Every recorded run whose as-of date is before `before` (all when
/// `None`), oldest first, each segment checked against its SHA-256.
pub fn load(state_dir: &Path, before: Option<NaiveDate>) -> Result<Vec<HistoryRun>, StoreError> {
    let log = read_log(state_dir)?;
    let dir = state_dir.join(HISTORY_DIR);
    let mut out = Vec::new();
    for entry in log.runs {
        let path = dir.join(&entry.file);
        let as_of = NaiveDate::parse_from_str(&entry.as_of, "%Y-%m-%d")
            .map_err(|e| damaged(&dir.join(HISTORY_LOG), format!("run {}: {e}", entry.run_id)))?;
        if before.is_some_and(|b| as_of >= b) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| damaged(&path, e))?;
        let sha = sha256_hex(&bytes);
        if sha != entry.sha256 {
            return Err(StoreError::State(format!(
                "AR history segment `{}` changed since run {} wrote it (sha256 {sha}, log says {}); restore it from backup",
                path.display(),
                entry.run_id,
                entry.sha256
            )));
        }
        let rows = decode(bytes).map_err(|e| damaged(&path, e))?;
        out.push(HistoryRun { entry, as_of, rows });
    }
    Ok(out)
}

/// Records `rows` as the history of `run_id` unless that run is already
/// recorded (then nothing changes and `false` is returned). The segment is
/// written durably first, then the log is replaced atomically.
pub fn record(
    state_dir: &Path,
    run_id: &str,
    as_of: NaiveDate,
    rows: &[HistoryRow],
) -> Result<bool, StoreError> {
    let mut log = read_log(state_dir)?;
    if log.runs.iter().any(|r| r.run_id == run_id) {
        return Ok(false);
    }
    let safe = run_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if run_id.is_empty() || !safe {
        return Err(StoreError::State(format!(
            "run id `{run_id}` cannot name a history segment"
        )));
    }
    let dir = state_dir.join(HISTORY_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::io("create directory", &dir, e))?;
    let bytes = encode(rows)?;
    let file = format!("{run_id}.parquet");
    write_durable(&dir, &file, &bytes)?;
    log.runs.push(HistoryEntry {
        run_id: run_id.into(),
        as_of: as_of.format("%Y-%m-%d").to_string(),
        file,
        sha256: sha256_hex(&bytes),
        rows: rows.len() as u64,
    });
    log.runs
        .sort_by(|a, b| (&a.as_of, &a.run_id).cmp(&(&b.as_of, &b.run_id)));
    let log_bytes = serde_json::to_vec_pretty(&log)
        .map_err(|e| StoreError::Corrupt(format!("AR history log: {e}")))?;
    write_durable(&dir, HISTORY_LOG, &log_bytes)?;
    Ok(true)
}

/// The segment bytes of `rows` (pinned writer, fixed column order).
pub fn encode(rows: &[HistoryRow]) -> Result<Vec<u8>, StoreError> {
    let bad = |e: String| StoreError::Corrupt(format!("cannot encode AR history: {e}"));
    let mut tb = Table::new();
    tb.text("kind", rows.iter().map(|r| r.kind.as_str()));
    tb.text("customer_id", rows.iter().map(|r| r.customer_id.as_str()));
    tb.text("currency", rows.iter().map(|r| r.currency.as_str()));
    tb.text("invoice_id", rows.iter().map(|r| r.invoice_id.as_str()));
    tb.text(
        "transaction_id",
        rows.iter().map(|r| r.transaction_id.as_str()),
    );
    tb.text("code", rows.iter().map(|r| r.code.as_str()));
    tb.money_opt("amount", rows.iter().map(|r| r.amount))
        .map_err(|e| bad(e.to_string()))?;
    tb.money_opt("value", rows.iter().map(|r| r.value))
        .map_err(|e| bad(e.to_string()))?;
    let levels: UInt32Array = rows.iter().map(|r| r.level).collect();
    tb.raw("level", DataType::UInt32, true, Arc::new(levels));
    tb.date_opt("date", rows.iter().map(|r| r.date));
    tb.date_opt("invoice_date", rows.iter().map(|r| r.invoice_date));
    tb.date_opt("due_date", rows.iter().map(|r| r.due_date));
    tb.to_parquet().map_err(|e| bad(e.to_string()))
}

fn typed<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> Result<&'a T, String> {
    let i = b
        .schema()
        .index_of(name)
        .map_err(|_| format!("column `{name}` is missing"))?;
    b.column(i)
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| format!("column `{name}` has an unexpected type"))
}

fn dates(batches: &[RecordBatch], name: &str) -> Result<Vec<Option<NaiveDate>>, String> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or("no epoch")?;
    let mut out = Vec::new();
    for b in batches {
        let a: &Date32Array = typed(b, name)?;
        for i in 0..a.len() {
            out.push(
                (!a.is_null(i))
                    .then(|| epoch.checked_add_signed(chrono::Duration::days(a.value(i).into())))
                    .flatten(),
            );
        }
    }
    Ok(out)
}

fn decimals(batches: &[RecordBatch], name: &str) -> Result<Vec<Option<Decimal>>, String> {
    let mut out = Vec::new();
    for b in batches {
        let a: &Decimal128Array = typed(b, name)?;
        let scale = u32::try_from(a.scale()).map_err(|_| format!("column `{name}`: bad scale"))?;
        for i in 0..a.len() {
            out.push(if a.is_null(i) {
                None
            } else {
                Some(
                    Decimal::try_from_i128_with_scale(a.value(i), scale)
                        .map_err(|e| format!("column `{name}` row {i}: {e}"))?,
                )
            });
        }
    }
    Ok(out)
}

/// Reads a segment back.
pub fn decode(bytes: Vec<u8>) -> Result<Vec<HistoryRow>, String> {
    let b = read_parquet(bytes)?;
    let kind = text_column(&b, "kind")?;
    let customer = text_column(&b, "customer_id")?;
    let currency = text_column(&b, "currency")?;
    let invoice = text_column(&b, "invoice_id")?;
    let txn = text_column(&b, "transaction_id")?;
    let code = text_column(&b, "code")?;
    let amount = decimals(&b, "amount")?;
    let value = decimals(&b, "value")?;
    let mut level = Vec::new();
    for batch in &b {
        let a: &UInt32Array = typed(batch, "level")?;
        level.extend((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))));
    }
    let date = dates(&b, "date")?;
    let invoice_date = dates(&b, "invoice_date")?;
    let due_date = dates(&b, "due_date")?;
    Ok((0..kind.len())
        .map(|i| HistoryRow {
            kind: kind[i].clone(),
            customer_id: customer[i].clone(),
            currency: currency[i].clone(),
            invoice_id: invoice[i].clone(),
            transaction_id: txn[i].clone(),
            code: code[i].clone(),
            amount: amount[i],
            value: value[i],
            level: level[i],
            date: date[i],
            invoice_date: invoice_date[i],
            due_date: due_date[i],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn row(kind: &str, amount: &str) -> HistoryRow {
        HistoryRow {
            kind: kind.into(),
            customer_id: "C1".into(),
            currency: "EUR".into(),
            invoice_id: "INV-1".into(),
            amount: Some(amount.parse().unwrap()),
            level: Some(2),
            date: Some(day("2026-01-31")),
            ..HistoryRow::default()
        }
    }

    #[test]
    fn rows_round_trip_and_a_run_is_recorded_once() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![row("payment", "12.34"), row("kpi", "-0.5")];
        assert!(record(dir.path(), "R2", day("2026-02-28"), &rows).unwrap());
        assert!(record(dir.path(), "R1", day("2026-01-31"), &rows[..1]).unwrap());
        // Recorded again (a second report of R2): nothing changes.
        let before = std::fs::read(dir.path().join("history/R2.parquet")).unwrap();
        assert!(!record(dir.path(), "R2", day("2026-02-28"), &[]).unwrap());
        assert_eq!(
            std::fs::read(dir.path().join("history/R2.parquet")).unwrap(),
            before
        );
        let all = load(dir.path(), None).unwrap();
        let ids: Vec<_> = all.iter().map(|r| r.entry.run_id.as_str()).collect();
        assert_eq!(ids, ["R1", "R2"], "oldest first");
        assert_eq!(all[1].rows, rows);
        // Only runs before a date.
        let early = load(dir.path(), Some(day("2026-02-28"))).unwrap();
        assert_eq!(early.len(), 1);
    }

    #[test]
    fn an_edited_segment_or_log_is_an_error_not_an_empty_history() {
        let dir = tempfile::tempdir().unwrap();
        record(dir.path(), "R1", day("2026-01-31"), &[row("kpi", "1")]).unwrap();
        std::fs::write(dir.path().join("history/R1.parquet"), b"x").unwrap();
        assert!(matches!(
            load(dir.path(), None).unwrap_err(),
            StoreError::State(_)
        ));
        std::fs::write(dir.path().join("history/log.json"), b"{").unwrap();
        assert!(matches!(
            read_log(dir.path()).unwrap_err(),
            StoreError::State(_)
        ));
        // A damaged log is never replaced by a new record.
        assert!(record(dir.path(), "R2", day("2026-02-28"), &[]).is_err());
        assert_eq!(
            std::fs::read(dir.path().join("history/log.json")).unwrap(),
            b"{"
        );
    }

    #[test]
    fn run_ids_that_are_not_file_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(record(dir.path(), "../x", day("2026-01-31"), &[]).is_err());
    }
}
