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
    /// Where the file is read from.
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
    /// Its own checks passed (or it has none): ingested.
    Accepted,
    /// Its own totals failed but `accept_unbalanced` let it in.
    AcceptedUnbalanced,
    /// Its own totals failed: excluded.
    RejectedUnbalanced,
    /// Already processed (byte-identical file, or the same statement with
    /// the same content): an idempotent skip, no new money.
    Duplicate,
    /// Same statement identity as an earlier one, different content: the
    /// whole file is rejected (RELIABILITY.md B1-8).
    RejectedConflict,
}

impl Disposition {
    /// The stable name written to `statements.parquet`.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Accepted => "accepted",
            Disposition::AcceptedUnbalanced => "accepted_unbalanced",
            Disposition::RejectedUnbalanced => "rejected_unbalanced",
            Disposition::Duplicate => "duplicate",
            Disposition::RejectedConflict => "rejected_conflict",
        }
    }
}

/// A statement with the file it came from and what was done with it.
#[derive(Debug, Clone)]
pub struct StatementRecord {
    /// Name of the file the statement came from (as in the manifest).
    pub source_file: String,
    /// Format name (`bai2`, `camt.053`, `mt940`, `bank_csv`, ...).
    pub format: String,
    /// The statement as parsed, with its own balance check.
    pub statement: Statement,
    /// What the run did with it.
    pub disposition: Disposition,
    /// Statement identity for duplicate detection: account, currency,
    /// statement id, sequence and dates (RELIABILITY.md B1-8).
    pub identity: String,
    /// SHA-256 over the statement's balances and its transactions (ids,
    /// amounts, dates, texts): same identity with another hash is a re-issue.
    pub content_sha256: String,
}

/// One input file as the manifest records it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct InputFile {
    /// `bank`, `open_items`, `customers` or `state`.
    pub role: String,
    /// Stable name, independent of the working directory.
    pub name: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Format name (`bai2`, `camt.053`, `mt940`, `bank_csv`, ...).
    pub format: String,
    /// Records ingested from it (transactions, items, customers, segment rows).
    pub rows: u64,
    /// `accepted`, `accepted_unbalanced`, `rejected_unbalanced`, `rejected`
    /// or `duplicate`.
    pub status: String,
    /// Why it was rejected or skipped, or what was noted; empty otherwise.
    pub detail: String,
    /// Where the file was read from, relative to the run directory when
    /// possible (what `cashmatch replay` opens by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// All bank files of a run, read.
#[derive(Debug, Default)]
pub struct BankBatch {
    /// Booked transactions with their stable ids, in input order.
    pub transactions: Vec<BankTransaction>,
    /// Every statement of every parsed file.
    pub statements: Vec<StatementRecord>,
    /// One entry per bank file, in input order.
    pub files: Vec<InputFile>,
    /// Files refused whole (parse error or failed totals), with the reason.
    pub rejections: Vec<String>,
    /// Tolerated quirks, each naming its file and line.
    pub warnings: Vec<String>,
    /// Pending or informational entries left out (not booked).
    pub pending_skipped: u64,
}

/// Parse options for bank files from the run configuration (encoding, CSV
/// profiles and the `[limits]` caps).
pub fn parse_options(config: &RunConfig) -> ParseOptions {
    ParseOptions {
        encoding: config.bank.encoding.clone(),
        csv_profiles: config.bank.csv_profiles.clone(),
        limits: config.limits.to_parser_limits(),
        ..ParseOptions::default()
    }
}

/// Parses every bank file in parallel and merges them in input order.
pub fn read_bank_files(
    inputs: &[BankInput],
    config: &RunConfig,
    accept_unbalanced: bool,
    progress: &crate::progress::Progress,
) -> BankBatch {
    let options = parse_options(config);
    let bar = progress.bar("reading bank statements", inputs.len() as u64);
    // Files are parsed in parallel and merged in input order as they
    // arrive: a bounded channel lets the merge start with the first file and
    // drop each file's raw bytes and parse tree once merged, so peak memory
    // is a few files in flight rather than the whole batch twice.
    let in_flight_max = 2 * rayon::current_num_threads();
    let (tx, rx) = crossbeam::channel::bounded::<(usize, ReadFile)>(in_flight_max);
    let mut out = BankBatch::default();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            inputs
                .par_iter()
                .enumerate()
                .for_each_with(tx, |tx, (i, input)| {
                    let read = read_one(input, &options);
                    // The receiver lives until every file is merged; a send can
                    // only fail if the merge panicked, which aborts the run anyway.
                    let _ = tx.send((i, read));
                });
        });
        let mut pending: std::collections::BTreeMap<usize, ReadFile> =
            std::collections::BTreeMap::new();
        let mut next = 0;
        for (i, read) in rx.iter() {
            pending.insert(i, read);
            while let Some(read) = pending.remove(&next) {
                merge_file(&mut out, &inputs[next], read, accept_unbalanced);
                bar.inc(1);
                next += 1;
            }
        }
    });
    bar.finish_and_clear();
    out
}

/// One bank file, read and parsed; the raw bytes are kept only as their
/// hash and length.
struct ReadFile {
    sha256: String,
    bytes: u64,
    result: Result<ParsedFile, String>,
}

fn read_one(input: &BankInput, options: &ParseOptions) -> ReadFile {
    match cashmatch_parsers::read_input(&input.path) {
        Err(e) => ReadFile {
            sha256: sha256_hex(&[]),
            bytes: 0,
            result: Err(format!("file `{}`: cannot read: {e}", input.name)),
        },
        Ok(bytes) => ReadFile {
            sha256: sha256_hex(&bytes),
            bytes: bytes.len() as u64,
            result: parse_isolated(&input.name, &bytes, options),
        },
    }
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

fn merge_file(out: &mut BankBatch, input: &BankInput, read: ReadFile, accept_unbalanced: bool) {
    let result = read.result;
    let mut file = InputFile {
        role: "bank".into(),
        name: input.name.clone(),
        sha256: read.sha256,
        bytes: read.bytes,
        format: String::new(),
        rows: 0,
        status: String::new(),
        detail: String::new(),
        path: Some(input.path.to_string_lossy().into_owned()),
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
    if let Some(problem) = structural_problem(&parsed) {
        let message = format!(
            "{format} file `{}`: {problem}; the file was rejected",
            input.name
        );
        file.status = "rejected".into();
        file.detail = message.clone();
        out.rejections.push(message);
        out.files.push(file);
        return;
    }
    let failed = parsed.has_failed_checks();
    let disposition = match (failed, accept_unbalanced) {
        (false, _) => Disposition::Accepted,
        (true, true) => Disposition::AcceptedUnbalanced,
        (true, false) => Disposition::RejectedUnbalanced,
    };
    for w in &parsed.warnings {
        out.warnings.push(format!("{}: {w}", input.name));
    }
    let ParsedFile {
        statements,
        transactions,
        ..
    } = parsed;
    let (transactions, pending_count) = identified_transactions(input, transactions);
    let first_statement = out.statements.len();
    for (i, s) in statements.iter().enumerate() {
        out.statements.push(StatementRecord {
            source_file: input.name.clone(),
            format: format.clone(),
            identity: statement_identity(s),
            content_sha256: statement_content_sha256(
                s,
                transactions
                    .iter()
                    .filter(|(si, _)| *si == i)
                    .map(|(_, t)| t),
            ),
            statement: s.clone(),
            disposition,
        });
    }
    file.status = disposition.as_str().into();
    if failed {
        let details: Vec<&str> = out.statements[first_statement..]
            .iter()
            .map(|r| &r.statement)
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
    out.pending_skipped += pending_count;
    for (_, t) in transactions {
        file.rows += 1;
        out.transactions.push(t);
    }
    out.files.push(file);
}

/// Defects that make a parsed file unusable whatever the options: they
/// could change totals, so the whole file is rejected (never ingested
/// half), even under `--accept-unbalanced`.
fn structural_problem(parsed: &ParsedFile) -> Option<String> {
    if parsed.statements.is_empty() && parsed.transactions.is_empty() {
        // RELIABILITY.md B2-25: never silently import zero rows.
        return Some("holds no statement and no transaction (a header without rows?)".into());
    }
    for s in &parsed.statements {
        // B1-3: an MT940 message that opens a balance but never closes it
        // was cut off; the parser reports it as a failed check, but it is
        // a truncation, which `--accept-unbalanced` must not let through.
        if s.format == Some(cashmatch_parsers::Format::Mt940)
            && s.opening_balance.is_some()
            && s.closing_balance.is_none()
        {
            return Some(format!(
                "statement `{}` (line {}) has an opening balance but no closing :62F:/:62M: balance: the file is truncated",
                s.statement_id, s.source_line
            ));
        }
        if !s.currency.is_empty() && !cashmatch_parsers::currency::is_iso_4217(&s.currency) {
            return Some(format!(
                "statement `{}` (line {}) is in `{}`, which is not an ISO 4217 currency",
                s.statement_id, s.source_line, s.currency
            ));
        }
    }
    for t in &parsed.transactions {
        if !cashmatch_parsers::currency::is_iso_4217(&t.currency) {
            return Some(format!(
                "{}: currency `{}` is not an ISO 4217 code",
                t.locator, t.currency
            ));
        }
    }
    None
}

/// Booked transactions of one file as engine records, each with its stable
/// id and the index of its statement; plus the number of pending entries
/// left out. Ids are assigned per statement, so the occurrence index that
/// keeps identical lines apart counts within one statement (RELIABILITY.md
/// B1-9): the same line in an overlapping statement gets the same id and is
/// recognised as already processed.
fn identified_transactions(
    input: &BankInput,
    transactions: Vec<cashmatch_parsers::StatementTransaction>,
) -> (Vec<(usize, BankTransaction)>, u64) {
    let mut pending = 0;
    let mut by_statement: std::collections::BTreeMap<usize, Vec<(usize, BankTransaction)>> =
        std::collections::BTreeMap::new();
    let mut order = 0usize;
    for t in transactions {
        if t.status != EntryStatus::Booked {
            pending += 1;
            continue;
        }
        by_statement.entry(t.statement_index).or_default().push((
            order,
            BankTransaction {
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
            },
        ));
        order += 1;
    }
    let mut out: Vec<(usize, usize, BankTransaction)> = Vec::with_capacity(order);
    for (statement, group) in by_statement {
        let (positions, mut txns): (Vec<usize>, Vec<BankTransaction>) = group.into_iter().unzip();
        cashmatch_engine::identity::assign_transaction_ids(&mut txns);
        out.extend(
            positions
                .into_iter()
                .zip(txns)
                .map(|(pos, t)| (pos, statement, t)),
        );
    }
    // Back to file order: outputs list transactions as the bank sent them.
    out.sort_by_key(|(pos, _, _)| *pos);
    (out.into_iter().map(|(_, s, t)| (s, t)).collect(), pending)
}

/// The identity of a statement: what a re-delivery or a re-issue repeats.
fn statement_identity(s: &Statement) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}",
        s.account.trim(),
        s.currency,
        s.statement_id.trim(),
        s.sequence.trim(),
        s.from_date.map(|d| d.to_string()).unwrap_or_default(),
        s.to_date.map(|d| d.to_string()).unwrap_or_default()
    )
}

/// SHA-256 over what a statement says about money: balances and every
/// booked transaction (id, amount, dates, counterparty, text).
fn statement_content_sha256<'a>(
    s: &Statement,
    transactions: impl Iterator<Item = &'a BankTransaction>,
) -> String {
    let mut text = format!(
        "{:?}|{:?}|{}\n",
        s.opening_balance.map(|d| d.normalize()),
        s.closing_balance.map(|d| d.normalize()),
        s.entries
    );
    for t in transactions {
        text.push_str(&format!(
            "{}|{}|{}|{:?}|{:?}|{}|{}|{}|{}\n",
            t.transaction_id,
            t.amount.normalize(),
            t.currency,
            t.booking_date,
            t.value_date,
            t.counterparty_name,
            t.counterparty_account,
            t.remittance_info,
            t.end_to_end_id
        ));
    }
    sha256_hex(text.as_bytes())
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
    let previous_run = is_cashmatch_open_items(bytes);
    let mut options = config.open_items.clone();
    if previous_run {
        // A previous run's `open_items.parquet`: what is open now is what
        // that run left open, in the canonical column names it wrote.
        options.columns.clear();
        options
            .columns
            .insert("amount_open".into(), "amount_open_after".into());
    }
    let mut rows = extracts::read_open_items_from_bytes(name, bytes, &options)
        .map_err(|e| CliError::Input(e.to_string()))?;
    // Until per-invoice INVALID_SCALE exceptions are wired up, a row with
    // excess scale stops the run as before; `issue` is otherwise ignored.
    if let Some((row, detail)) = rows.iter().find_map(|r| match &r.issue {
        Some(extracts::RowIssue::InvalidScale { detail, .. }) => Some((r.row, detail)),
        _ => None,
    }) {
        return Err(CliError::Input(format!(
            "extract `{name}`, data row {row}: {detail}"
        )));
    }
    check_unique_invoices(name, &rows)?;
    let read = rows.len();
    if previous_run {
        // Paid items are not open any more; they must not be matched again.
        rows.retain(|r| !r.amount_open.is_zero());
    }
    let mut file = input_file("open_items", name, bytes, rows.len() as u64);
    if previous_run {
        file.detail = format!(
            "open_items.parquet of a previous cashmatch run: amount_open_after read as amount_open; {} settled item(s) dropped",
            read - rows.len()
        );
    }
    Ok((open_items_from_rows(rows), file))
}

/// True for an `open_items.parquet` written by cashmatch (its key-value
/// metadata carries our schema version and it has `amount_open_after`).
pub fn is_cashmatch_open_items(bytes: &[u8]) -> bool {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    if !bytes.starts_with(b"PAR1") {
        return false;
    }
    let Ok(reader) = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes)) else {
        return false;
    };
    let meta = reader.metadata().file_metadata();
    let ours = meta
        .key_value_metadata()
        .is_some_and(|kv| kv.iter().any(|k| k.key == "cashmatch.schema_version"));
    ours && meta
        .schema_descr()
        .columns()
        .iter()
        .any(|c| c.name() == "amount_open_after")
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
        path: None,
    }
}

/// SHA-256 of the currency table, recorded in every manifest (the table is
/// versioned with the engine, RELIABILITY.md B1-11).
pub fn currency_table_sha256() -> String {
    sha256_hex(
        cashmatch_parsers::currency::ISO_4217_CODES
            .join(",")
            .as_bytes(),
    )
}
