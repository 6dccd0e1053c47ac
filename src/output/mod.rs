//! The contracted outputs: Parquet tables and `manifest.json`, written
//! atomically (temporary name, fsync, rename, fsync of the directory; the
//! manifest last, so a directory with a manifest is complete).

pub mod table;

use crate::inputs::StatementRecord;
use cashmatch_engine::model::BankTransaction;
use cashmatch_engine::RunResult;
use io_context::IoContext as _;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use table::Table;

/// I/O errors that name the file they concern.
pub mod io_context {
    /// Adds the path to an I/O error.
    pub trait IoContext<T> {
        /// Maps the error to [`crate::CliError::Io`] naming `what` and `path`.
        fn context_path(self, what: &str, path: &std::path::Path) -> Result<T, crate::CliError>;
    }
    impl<T> IoContext<T> for std::io::Result<T> {
        fn context_path(self, what: &str, path: &std::path::Path) -> Result<T, crate::CliError> {
            self.map_err(|e| {
                crate::CliError::Io(format!("cannot {what} `{}`: {e}", path.display()))
            })
        }
    }
}

/// One written output, for the manifest.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct WrittenFile {
    /// File name inside the run directory.
    pub name: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Writes `bytes` to `dir/name` atomically: a temporary file in the same
/// directory, flushed and synced, then renamed over the target, then the
/// directory synced so the rename itself survives a power cut.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), crate::CliError> {
    debug_assert!(
        !name.contains('/') && !name.starts_with('.'),
        "output names come from code, never from input"
    );
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.flush()?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, &target)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.context_path("write", &target)
}

/// fsync of a directory (a no-op where the platform cannot open directories).
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    match File::open(dir) {
        Ok(d) => d.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}

/// Collects the outputs of one run and publishes them.
pub struct Publisher {
    /// The directory written to.
    pub dir: PathBuf,
    /// What was written, in order.
    pub written: Vec<WrittenFile>,
}

impl Publisher {
    /// Creates (if needed) and checks the output directory.
    pub fn new(dir: &Path) -> Result<Self, crate::CliError> {
        fs::create_dir_all(dir).context_path("create output directory", dir)?;
        Ok(Publisher {
            dir: dir.to_path_buf(),
            written: Vec::new(),
        })
    }

    /// Encodes and writes one table.
    pub fn table(&mut self, name: &str, rows: usize, table: Table) -> Result<(), crate::CliError> {
        let bytes = table
            .to_parquet()
            .map_err(|e| crate::CliError::Output(format!("cannot encode `{name}`: {e}")))?;
        self.file(name, rows as u64, &bytes)
    }

    /// Writes raw bytes as an output file.
    pub fn file(&mut self, name: &str, rows: u64, bytes: &[u8]) -> Result<(), crate::CliError> {
        write_atomic(&self.dir, name, bytes)?;
        self.written.push(WrittenFile {
            name: name.to_string(),
            sha256: sha256_hex(bytes),
            rows,
            bytes: bytes.len() as u64,
        });
        Ok(())
    }
}

fn scale(e: table::ScaleError) -> crate::CliError {
    crate::CliError::Output(e.to_string())
}

/// `transactions.parquet`: every ingested bank transaction.
pub fn transactions(t: &[BankTransaction]) -> Result<Table, crate::CliError> {
    let mut tb = Table::new();
    tb.text(
        "transaction_id",
        t.iter().map(|x| x.transaction_id.as_str()),
    );
    tb.text(
        "bank_reference",
        t.iter().map(|x| x.bank_reference.as_str()),
    );
    tb.text("source_file", t.iter().map(|x| x.source_file.as_str()));
    tb.u64("source_line", t.iter().map(|x| x.source_line));
    tb.text("account", t.iter().map(|x| x.account.as_str()));
    tb.text("currency", t.iter().map(|x| x.currency.as_str()));
    tb.money("amount", t.iter().map(|x| x.amount))
        .map_err(scale)?;
    tb.date_opt("booking_date", t.iter().map(|x| x.booking_date));
    tb.date_opt("value_date", t.iter().map(|x| x.value_date));
    tb.text(
        "counterparty_name",
        t.iter().map(|x| x.counterparty_name.as_str()),
    );
    tb.text(
        "counterparty_account",
        t.iter().map(|x| x.counterparty_account.as_str()),
    );
    tb.text(
        "remittance_info",
        t.iter().map(|x| x.remittance_info.as_str()),
    );
    let refs: Vec<String> = t.iter().map(|x| x.structured_refs.join(";")).collect();
    tb.text("structured_refs", refs.iter().map(String::as_str));
    tb.text("end_to_end_id", t.iter().map(|x| x.end_to_end_id.as_str()));
    Ok(tb)
}

/// `applications.parquet`: one row per (transaction, invoice).
pub fn applications(r: &RunResult) -> Result<Table, crate::CliError> {
    let a = &r.outcome.applications;
    let txn = |i: u32| &r.batch.transactions[i as usize];
    let item = |i: u32| &r.batch.open_items[i as usize];
    let mut tb = Table::new();
    tb.text(
        "transaction_id",
        a.iter().map(|x| txn(x.txn).transaction_id.as_str()),
    );
    tb.text(
        "bank_reference",
        a.iter().map(|x| txn(x.txn).bank_reference.as_str()),
    );
    tb.text(
        "invoice_id",
        a.iter().map(|x| item(x.item).invoice_id.as_str()),
    );
    tb.text(
        "customer_id",
        a.iter().map(|x| item(x.item).customer_id.as_str()),
    );
    tb.text("currency", a.iter().map(|x| item(x.item).currency.as_str()));
    tb.money("applied_amount", a.iter().map(|x| x.applied_amount))
        .map_err(scale)?;
    tb.money("discount_amount", a.iter().map(|x| x.discount_amount))
        .map_err(scale)?;
    tb.money("writeoff_amount", a.iter().map(|x| x.writeoff_amount))
        .map_err(scale)?;
    tb.money("deduction_amount", a.iter().map(|x| x.deduction_amount))
        .map_err(scale)?;
    tb.text_opt(
        "deduction_reason",
        a.iter().map(|x| x.deduction_reason.map(|d| d.as_str())),
    );
    tb.text("rule", a.iter().map(|x| x.rule.as_str()));
    tb.f64("confidence", a.iter().map(|x| x.confidence));
    tb.text("explanation", a.iter().map(|x| x.explanation.as_str()));
    Ok(tb)
}

/// `exceptions.parquet`: the unapplied money of each transaction.
pub fn exceptions(r: &RunResult) -> Result<Table, crate::CliError> {
    let e = &r.outcome.exceptions;
    let txn = |i: u32| &r.batch.transactions[i as usize];
    let suggestions: Vec<String> = e
        .iter()
        .map(|x| serde_json::to_string(&x.suggestions).unwrap_or_else(|_| "[]".into()))
        .collect();
    let mut tb = Table::new();
    tb.text(
        "transaction_id",
        e.iter().map(|x| txn(x.txn).transaction_id.as_str()),
    );
    tb.text(
        "bank_reference",
        e.iter().map(|x| txn(x.txn).bank_reference.as_str()),
    );
    tb.money("amount", e.iter().map(|x| x.amount))
        .map_err(scale)?;
    tb.text("currency", e.iter().map(|x| txn(x.txn).currency.as_str()));
    tb.text("reason", e.iter().map(|x| x.reason.as_str()));
    tb.text_opt("customer_id", e.iter().map(|x| x.customer_id.as_deref()));
    tb.text("detail", e.iter().map(|x| x.detail.as_str()));
    tb.text("suggestions", suggestions.iter().map(String::as_str));
    Ok(tb)
}

/// `postings.parquet`: the balanced journal.
pub fn postings(r: &RunResult) -> Result<Table, crate::CliError> {
    let p = &r.outcome.postings;
    let mut tb = Table::new();
    tb.text("journal_id", p.iter().map(|x| x.journal_id.as_str()));
    tb.u32("line", p.iter().map(|x| x.line));
    tb.date_opt("posting_date", p.iter().map(|x| x.posting_date));
    tb.text("gl_account", p.iter().map(|x| x.gl_account.as_str()));
    tb.money("debit", p.iter().map(|x| x.debit))
        .map_err(scale)?;
    tb.money("credit", p.iter().map(|x| x.credit))
        .map_err(scale)?;
    tb.text("currency", p.iter().map(|x| x.currency.as_str()));
    tb.text(
        "transaction_id",
        p.iter().map(|x| x.transaction_id.as_str()),
    );
    tb.text_opt("invoice_id", p.iter().map(|x| x.invoice_id.as_deref()));
    tb.text_opt("customer_id", p.iter().map(|x| x.customer_id.as_deref()));
    tb.text("memo", p.iter().map(|x| x.memo.as_str()));
    Ok(tb)
}

/// `open_items.parquet`: each invoice after the run.
pub fn open_items(r: &RunResult) -> Result<Table, crate::CliError> {
    let items = &r.batch.open_items;
    let after = &r.outcome.items_after;
    let mut tb = Table::new();
    tb.text("invoice_id", items.iter().map(|x| x.invoice_id.as_str()));
    tb.text("customer_id", items.iter().map(|x| x.customer_id.as_str()));
    tb.text(
        "customer_name",
        items.iter().map(|x| x.customer_name.as_str()),
    );
    tb.text("currency", items.iter().map(|x| x.currency.as_str()));
    tb.money("amount_open", items.iter().map(|x| x.amount_open))
        .map_err(scale)?;
    tb.money("amount_original", items.iter().map(|x| x.amount_original))
        .map_err(scale)?;
    tb.date_opt("invoice_date", items.iter().map(|x| x.invoice_date));
    tb.date_opt("due_date", items.iter().map(|x| x.due_date));
    tb.money_opt("discount_percent", items.iter().map(|x| x.discount_percent))
        .map_err(scale)?;
    let days: arrow_array::UInt32Array = items.iter().map(|x| x.discount_days).collect();
    tb.raw(
        "discount_days",
        arrow_schema::DataType::UInt32,
        true,
        std::sync::Arc::new(days),
    );
    tb.text_opt("po_number", items.iter().map(|x| x.po_number.as_deref()));
    tb.money("amount_applied", after.iter().map(|x| x.amount_applied))
        .map_err(scale)?;
    tb.money(
        "amount_open_after",
        after.iter().map(|x| x.amount_open_after),
    )
    .map_err(scale)?;
    tb.text("status", after.iter().map(|x| x.status.as_str()));
    // Per-invoice exceptions (RELIABILITY B1-11): why a held item was not
    // matched, for the person who fixes the extract.
    tb.text_opt(
        "hold_reason",
        items
            .iter()
            .map(|x| x.hold.as_ref().map(|h| h.reason.as_str())),
    );
    tb.text_opt(
        "hold_detail",
        items
            .iter()
            .map(|x| x.hold.as_ref().map(|h| h.detail.as_str())),
    );
    Ok(tb)
}

/// `aging.parquet`: the as-of snapshot per customer, currency and bucket.
pub fn aging(r: &RunResult) -> Result<Table, crate::CliError> {
    let a = &r.outcome.aging;
    let mut tb = Table::new();
    tb.date("as_of", a.iter().map(|x| x.as_of));
    tb.text("customer_id", a.iter().map(|x| x.customer_id.as_str()));
    tb.text("currency", a.iter().map(|x| x.currency.as_str()));
    tb.text("bucket", a.iter().map(|x| x.bucket.as_str()));
    tb.money("amount", a.iter().map(|x| x.amount))
        .map_err(scale)?;
    tb.u64("items", a.iter().map(|x| x.items));
    Ok(tb)
}

/// `statements.parquet`: one row per statement with its own checks.
pub fn statements(s: &[StatementRecord]) -> Result<Table, crate::CliError> {
    let mut tb = Table::new();
    tb.text("source_file", s.iter().map(|x| x.source_file.as_str()));
    tb.text("format", s.iter().map(|x| x.format.as_str()));
    tb.text(
        "statement_id",
        s.iter().map(|x| x.statement.statement_id.as_str()),
    );
    tb.text("sequence", s.iter().map(|x| x.statement.sequence.as_str()));
    tb.text("account", s.iter().map(|x| x.statement.account.as_str()));
    tb.text("currency", s.iter().map(|x| x.statement.currency.as_str()));
    tb.money_opt(
        "opening_balance",
        s.iter().map(|x| x.statement.opening_balance),
    )
    .map_err(scale)?;
    tb.money_opt(
        "closing_balance",
        s.iter().map(|x| x.statement.closing_balance),
    )
    .map_err(scale)?;
    tb.money("entries_sum", s.iter().map(|x| x.statement.entries_sum))
        .map_err(scale)?;
    tb.u64("entries", s.iter().map(|x| x.statement.entries));
    tb.text(
        "balance_check",
        s.iter().map(|x| x.statement.balance_check.as_str()),
    );
    tb.text(
        "check_detail",
        s.iter().map(|x| x.statement.check_detail.as_str()),
    );
    tb.u64("source_line", s.iter().map(|x| x.statement.source_line));
    tb.text("disposition", s.iter().map(|x| x.disposition.as_str()));
    Ok(tb)
}
