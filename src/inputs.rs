//! Reading the run's inputs: bank statements of any supported format
//! (detected by content, parsed in parallel, each file isolated so one bad
//! statement never affects the others) and the receivable extracts.

use crate::config::RunConfig;
use crate::output::sha256_hex;
use crate::CliError;
use cashmatch_engine::model::{BankTransaction, Customer, OpenItem};
use cashmatch_parsers::extracts::{self, CustomerRow, OpenItemRow};
use cashmatch_parsers::{EntryStatus, ParseOptions, ParsedFile, Statement};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One bank file to read: where it is, and the name outputs use for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankInput {
    pub path: PathBuf,
    /// Independent of the working directory: the file name, or
    /// `<dir name>/<path inside dir>` for files found under a directory
    /// argument, so replays from another machine give the same bytes.
    pub name: String,
}

/// Expands file and directory arguments into a sorted, de-duplicated list.
/// Hidden files (dot files) in directories are skipped.
pub fn discover_bank_inputs(args: &[PathBuf]) -> Result<Vec<BankInput>, CliError> {
    let mut out = Vec::new();
    for arg in args {
        let meta = std::fs::metadata(arg).map_err(|e| {
            CliError::Input(format!(
                "bank input `{}`: {e}; pass a statement file or a folder of them",
                arg.display()
            ))
        })?;
        let base = arg
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "bank".into());
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(arg, &mut found)
                .map_err(|e| CliError::Input(format!("cannot list `{}`: {e}", arg.display())))?;
            found.sort();
            for p in found {
                let rel = p
                    .strip_prefix(arg)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(BankInput {
                    name: format!("{base}/{rel}"),
                    path: p,
                });
            }
        } else {
            out.push(BankInput {
                path: arg.clone(),
                name: base,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.path.cmp(&b.path)));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// What happened to one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Accepted,
    /// Its own totals failed but `accept_unbalanced` let it in.
    AcceptedUnbalanced,
    /// Its own totals failed: excluded.
    RejectedUnbalanced,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Accepted => "accepted",
            Disposition::AcceptedUnbalanced => "accepted_unbalanced",
            Disposition::RejectedUnbalanced => "rejected_unbalanced",
        }
    }
}

/// A statement with the file it came from and what was done with it.
#[derive(Debug, Clone)]
pub struct StatementRecord {
    pub source_file: String,
    pub format: String,
    pub statement: Statement,
    pub disposition: Disposition,
}

/// One input file as the manifest records it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct InputFile {
    pub role: String,
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
    pub format: String,
    pub rows: u64,
    /// `accepted`, `accepted_unbalanced`, `rejected_unbalanced` or `rejected`.
    pub status: String,
    pub detail: String,
}

/// All bank files of a run, read.
#[derive(Debug, Default)]
pub struct BankBatch {
    pub transactions: Vec<BankTransaction>,
    pub statements: Vec<StatementRecord>,
    pub files: Vec<InputFile>,
    /// Files refused whole (parse error or failed totals), with the reason.
    pub rejections: Vec<String>,
    pub warnings: Vec<String>,
    pub pending_skipped: u64,
}

/// Parses every bank file in parallel and merges them in input order.
pub fn read_bank_files(
    inputs: &[BankInput],
    config: &RunConfig,
    accept_unbalanced: bool,
    progress: &crate::progress::Progress,
) -> BankBatch {
    let options = ParseOptions {
        encoding: config.bank.encoding.clone(),
        csv_profiles: config.bank.csv_profiles.clone(),
        ..ParseOptions::default()
    };
    let bar = progress.bar("reading bank statements", inputs.len() as u64);
    let parsed: Vec<(Vec<u8>, Result<ParsedFile, String>)> = inputs
        .par_iter()
        .map(|input| {
            let result = match std::fs::read(&input.path) {
                Err(e) => (
                    Vec::new(),
                    Err(format!("file `{}`: cannot read: {e}", input.name)),
                ),
                Ok(bytes) => {
                    let r = parse_isolated(&input.name, &bytes, &options);
                    (bytes, r)
                }
            };
            bar.inc(1);
            result
        })
        .collect();
    bar.finish_and_clear();
    let mut out = BankBatch::default();
    for (input, (bytes, result)) in inputs.iter().zip(parsed) {
        merge_file(&mut out, input, &bytes, result, accept_unbalanced);
    }
    out
}

/// Parses one file behind a panic boundary: a parser bug triggered by a
/// hostile file rejects that file and the batch goes on.
pub fn parse_isolated(
    name: &str,
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<ParsedFile, String> {
    let source = cashmatch_parsers::Source::new(name, bytes);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cashmatch_parsers::parse_source(&source, options))) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("file `{name}`: internal parser error (please report it with the file); the file was rejected")),
    }
}

fn merge_file(
    out: &mut BankBatch,
    input: &BankInput,
    bytes: &[u8],
    result: Result<ParsedFile, String>,
    accept_unbalanced: bool,
) {
    let mut file = InputFile {
        role: "bank".into(),
        name: input.name.clone(),
        sha256: sha256_hex(bytes),
        bytes: bytes.len() as u64,
        format: String::new(),
        rows: 0,
        status: String::new(),
        detail: String::new(),
    };
    let parsed = match result {
        Err(message) => {
            file.status = "rejected".into();
            file.detail = message.clone();
            out.rejections.push(message);
            out.files.push(file);
            return;
        }
        Ok(p) => p,
    };
    let format = parsed.format.map_or("unknown", |f| f.as_str()).to_string();
    file.format = format.clone();
    let failed = parsed.has_failed_checks();
    let disposition = match (failed, accept_unbalanced) {
        (false, _) => Disposition::Accepted,
        (true, true) => Disposition::AcceptedUnbalanced,
        (true, false) => Disposition::RejectedUnbalanced,
    };
    for w in &parsed.warnings {
        out.warnings.push(format!("{}: {w}", input.name));
    }
    for s in &parsed.statements {
        out.statements.push(StatementRecord {
            source_file: input.name.clone(),
            format: format.clone(),
            statement: s.clone(),
            disposition,
        });
    }
    file.status = disposition.as_str().into();
    if failed {
        let details: Vec<&str> = parsed
            .statements
            .iter()
            .filter(|s| s.balance_check == cashmatch_parsers::BalanceCheck::Fail)
            .map(|s| s.check_detail.as_str())
            .collect();
        file.detail = details.join("; ");
        if disposition == Disposition::RejectedUnbalanced {
            out.rejections.push(format!(
                "file `{}` ({format}) fails its own balance check: {}; excluded (use --accept-unbalanced to ingest it anyway)",
                input.name, file.detail
            ));
            out.files.push(file);
            return;
        }
    }
    for t in parsed.transactions {
        if t.status != EntryStatus::Booked {
            out.pending_skipped += 1;
            continue;
        }
        file.rows += 1;
        out.transactions.push(BankTransaction {
            transaction_id: String::new(),
            bank_reference: t.bank_reference,
            source_file: input.name.clone(),
            source_line: t.source_line,
            account: t.account,
            currency: t.currency,
            amount: t.amount,
            booking_date: t.booking_date,
            value_date: t.value_date,
            counterparty_name: t.counterparty_name,
            counterparty_account: t.counterparty_account,
            remittance_info: t.remittance_info,
            structured_refs: t.structured_refs,
            end_to_end_id: t.end_to_end_id,
        });
    }
    out.files.push(file);
}

/// Converts extract rows into engine records.
pub fn open_items_from_rows(rows: Vec<OpenItemRow>) -> Vec<OpenItem> {
    rows.into_iter()
        .map(|r| OpenItem {
            invoice_id: r.invoice_id,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            currency: r.currency,
            amount_open: r.amount_open,
            amount_original: r.amount_original,
            invoice_date: r.invoice_date,
            due_date: r.due_date,
            discount_percent: r.discount_percent,
            discount_days: r.discount_days,
            po_number: r.po_number,
            source_line: r.row + 1,
        })
        .collect()
}

/// Converts customer rows into engine records.
pub fn customers_from_rows(rows: Vec<CustomerRow>) -> Vec<Customer> {
    rows.into_iter()
        .map(|r| Customer {
            customer_id: r.customer_id,
            name: r.name,
            bank_accounts: r.bank_accounts,
            aliases: r.aliases,
            segment: r.segment,
        })
        .collect()
}

/// Reads open items from a file, recording it for the manifest.
pub fn read_open_items(
    path: &Path,
    config: &RunConfig,
) -> Result<(Vec<OpenItem>, InputFile), CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Input(format!("open items `{}`: {e}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    open_items_from_bytes(&name, &bytes, config)
}

/// Reads open items held in memory.
pub fn open_items_from_bytes(
    name: &str,
    bytes: &[u8],
    config: &RunConfig,
) -> Result<(Vec<OpenItem>, InputFile), CliError> {
    let rows = extracts::read_open_items_from_bytes(name, bytes, &config.open_items)
        .map_err(|e| CliError::Input(e.to_string()))?;
    check_unique_invoices(name, &rows)?;
    let file = input_file("open_items", name, bytes, rows.len() as u64);
    Ok((open_items_from_rows(rows), file))
}

fn check_unique_invoices(name: &str, rows: &[OpenItemRow]) -> Result<(), CliError> {
    let mut seen = std::collections::HashMap::with_capacity(rows.len());
    for r in rows {
        if let Some(first) = seen.insert(r.invoice_id.as_str(), r.row) {
            return Err(CliError::Input(format!(
                "extract `{name}`, data rows {first} and {}: invoice id `{}` appears twice; an open-item extract must have one row per invoice",
                r.row, r.invoice_id
            )));
        }
    }
    Ok(())
}

/// Reads customers from a file, recording it for the manifest.
pub fn read_customers(
    path: &Path,
    config: &RunConfig,
) -> Result<(Vec<Customer>, InputFile), CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::Input(format!("customers `{}`: {e}", path.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    customers_from_bytes(&name, &bytes, config)
}

/// Reads customers held in memory.
pub fn customers_from_bytes(
    name: &str,
    bytes: &[u8],
    config: &RunConfig,
) -> Result<(Vec<Customer>, InputFile), CliError> {
    let rows = extracts::read_customers_from_bytes(name, bytes, &config.customers)
        .map_err(|e| CliError::Input(e.to_string()))?;
    let file = input_file("customers", name, bytes, rows.len() as u64);
    Ok((customers_from_rows(rows), file))
}

fn input_file(role: &str, name: &str, bytes: &[u8], rows: u64) -> InputFile {
    InputFile {
        role: role.into(),
        name: name.into(),
        sha256: sha256_hex(bytes),
        bytes: bytes.len() as u64,
        format: if bytes.starts_with(b"PAR1") {
            "parquet".into()
        } else {
            "csv".into()
        },
        rows,
        status: "accepted".into(),
        detail: String::new(),
    }
}
