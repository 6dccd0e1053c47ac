//! Reading the run's inputs: bank statements of any supported format
//! (detected by content, parsed in parallel, each file isolated so one bad
//! statement never affects the others) and the receivable extracts.

use crate::config::RunConfig;
use crate::output::sha256_hex;
use crate::CliError;
use cashmatch_engine::columns::{CustomersBuilder, OpenItemsBuilder, TransactionsBuilder};
use cashmatch_engine::ingest::{self, BookedFile};
use cashmatch_engine::model::{
    Customer, Customers, HoldReason, ItemHold, OpenItem, OpenItems, Transactions,
};
use cashmatch_parsers::extracts::{self, CustomerRow, OpenItemRow, RowIssue};
use cashmatch_parsers::{ParseOptions, ParsedFile, Statement};
use rayon::prelude::*;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
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
/// Hidden files (dot files) in directories are skipped. Only regular files
/// are bank inputs: a FIFO, socket or device (which would hang or never end)
/// is refused, and so is a symbolic link inside a folder that leads outside
/// that folder; links to files inside it are read once, under the real path.
/// Links to folders are not followed (no cycles).
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
            let root = std::fs::canonicalize(arg)
                .map_err(|e| CliError::Input(format!("cannot resolve `{}`: {e}", arg.display())))?;
            let mut found = Vec::new();
            walk(&root, arg, &mut found)?;
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
        } else if meta.is_file() {
            out.push(BankInput {
                path: arg.clone(),
                name: base,
            });
        } else {
            return Err(not_a_regular_file(arg));
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.path.cmp(&b.path)));
    out.dedup_by(|a, b| a.path == b.path);
    // The same file reached twice (a link beside its target) is read once.
    let mut real = std::collections::BTreeSet::new();
    out.retain(|input| std::fs::canonicalize(&input.path).map_or(true, |p| real.insert(p)));
    Ok(out)
}

fn not_a_regular_file(path: &Path) -> CliError {
    CliError::Input(format!(
        "bank input `{}` is not a regular file (a pipe, socket or device would hang or never end); pass statement files or folders of them",
        path.display()
    ))
}

/// Lists the regular files under `dir` (whose canonical form is `root`).
fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let list_error =
        |e: std::io::Error| CliError::Input(format!("cannot list `{}`: {e}", dir.display()));
    for entry in std::fs::read_dir(dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        let p = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(list_error)?;
        if kind.is_dir() {
            walk(root, &p, out)?;
        } else if kind.is_file() {
            out.push(p);
        } else if kind.is_symlink() {
            let target = std::fs::canonicalize(&p).map_err(|e| {
                CliError::Input(format!(
                    "bank input `{}` is a broken link: {e}",
                    p.display()
                ))
            })?;
            if !target.starts_with(root) {
                return Err(CliError::Input(format!(
                    "bank input `{}` is a link to `{}`, outside the folder `{}`; pass that file directly if it is meant",
                    p.display(),
                    target.display(),
                    dir.display()
                )));
            }
            if target.is_file() {
                out.push(p);
            }
        } else {
            return Err(not_a_regular_file(&p));
        }
    }
    Ok(())
}

pub use cashmatch_engine::ingest::Disposition;

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

pub use cashmatch_store::manifest::{InputFile, InputRole, InputStatus};

/// All bank files of a run, read.
#[derive(Debug, Default)]
pub struct BankBatch {
    /// Booked transactions with their stable ids, in input order (a
    /// column store, appended to file by file as files are merged).
    pub transactions: Transactions,
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
    /// Transaction id → return reason of every transaction the bank marked
    /// as returned (`TransactionDetails::returned`): the engine's return
    /// markers once the batch's indices are known.
    pub returns: std::collections::BTreeMap<String, String>,
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
    let mut transactions = Vec::new();
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
                merge_file(
                    &mut out,
                    &mut transactions,
                    &inputs[next],
                    read,
                    accept_unbalanced,
                );
                bar.inc(1);
                next += 1;
            }
        }
    });
    bar.finish_and_clear();
    out.transactions = concat(transactions);
    out
}

/// The files' stores as one, in order. One file's store is taken as it is
/// (the common case of one large statement file costs no copy).
fn concat(mut parts: Vec<Transactions>) -> Transactions {
    if parts.len() <= 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut all = TransactionsBuilder::default();
    all.reserve(parts.iter().map(Transactions::len).sum());
    for part in &parts {
        all.append(part);
    }
    all.finish()
}

/// One bank file, read and parsed; the raw bytes are kept only as their
/// hash and length.
struct ReadFile {
    sha256: String,
    bytes: u64,
    result: Result<(ParsedFile, BookedFile), String>,
}

fn read_one(input: &BankInput, options: &ParseOptions) -> ReadFile {
    // The read itself is bounded by the configured cap, not only the parse.
    match cashmatch_parsers::read_input_limited(&input.path, options.limits.file_bytes_max) {
        Err(e) => ReadFile {
            sha256: sha256_hex(&[]),
            bytes: 0,
            result: Err(format!("file `{}`: cannot read: {e}", input.name)),
        },
        Ok(bytes) => {
            // The manifest's hash is taken alongside the parse, not as a
            // pass of its own before it.
            let (sha256, result) = rayon::join(
                || sha256_hex(&bytes),
                || parse_booked_isolated(&input.name, &bytes, options).map_err(|e| e.to_string()),
            );
            ReadFile {
                sha256,
                bytes: bytes.len() as u64,
                result,
            }
        }
    }
}

/// Why one bank file could not be parsed.
#[derive(Debug)]
pub enum FileError {
    /// The parser's own error: file, format, position and class.
    Parse(cashmatch_parsers::ParseError),
    /// The parser panicked (a parser bug triggered by the file).
    Internal(String),
}

impl std::fmt::Display for FileError {
    /// The text the CLI prints after `rejected: `.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::Parse(e) => write!(f, "{e}"),
            FileError::Internal(m) => f.write_str(m),
        }
    }
}

/// Parses one file straight into a column store of its booked
/// transactions (no owned record per transaction), behind a panic boundary:
/// a parser bug triggered by a hostile file rejects that file and the batch
/// goes on. The parser's error is kept whole (the Python package raises it
/// with its code and position).
fn parse_booked_isolated(
    name: &str,
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<(ParsedFile, BookedFile), FileError> {
    let source = cashmatch_parsers::Source::new(name, bytes);
    let parse = || {
        let mut sink = ingest::BookedSink::new(name);
        cashmatch_parsers::parse_source_into(&source, options, &mut sink)
            .map(|parsed| (parsed, sink.finish()))
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(FileError::Parse(e)),
        Err(_) => Err(FileError::Internal(format!("file `{name}`: internal parser error (please report it with the file); the file was rejected"))),
    }
}

/// One bank file held in memory, read under the rules `run` applies to each
/// of its files (ids per statement, booked lines only, structural defects
/// and failed own totals reject the file: see the batch's `rejections`).
/// A file the parser refuses is the parser's error.
pub fn read_bank_bytes(
    name: &str,
    bytes: &[u8],
    config: &RunConfig,
    accept_unbalanced: bool,
) -> Result<BankBatch, FileError> {
    let parsed = parse_booked_isolated(name, bytes, &parse_options(config))?;
    let read = ReadFile {
        sha256: sha256_hex(bytes),
        bytes: bytes.len() as u64,
        result: Ok(parsed),
    };
    let input = BankInput {
        path: PathBuf::from(name),
        name: name.to_string(),
    };
    let mut out = BankBatch::default();
    let mut transactions = Vec::new();
    merge_file(&mut out, &mut transactions, &input, read, accept_unbalanced);
    out.transactions = concat(transactions);
    Ok(out)
}

fn merge_file(
    out: &mut BankBatch,
    transactions_out: &mut Vec<Transactions>,
    input: &BankInput,
    read: ReadFile,
    accept_unbalanced: bool,
) {
    let result = read.result;
    let mut file = InputFile {
        role: InputRole::Bank,
        name: input.name.clone(),
        sha256: read.sha256,
        bytes: read.bytes,
        format: String::new(),
        rows: 0,
        status: InputStatus::Accepted,
        detail: String::new(),
        path: Some(input.path.to_string_lossy().into_owned()),
    };
    let (parsed, booked) = match result {
        Err(message) => {
            file.status = InputStatus::Rejected;
            file.detail = message.clone();
            out.rejections.push(message);
            out.files.push(file);
            return;
        }
        Ok(p) => p,
    };
    let format = parsed.format.map_or("unknown", |f| f.as_str()).to_string();
    file.format = format.clone();
    if let Some(problem) = ingest::structural_problem_of(
        &parsed.statements,
        booked.received > 0,
        booked.currency_problem.as_deref(),
    ) {
        let message = format!(
            "{format} file `{}`: {problem}; the file was rejected",
            input.name
        );
        file.status = InputStatus::Rejected;
        file.detail = message.clone();
        out.rejections.push(message);
        out.files.push(file);
        return;
    }
    let failed = parsed.has_failed_checks();
    let disposition = ingest::disposition(failed, accept_unbalanced);
    for w in &parsed.warnings {
        out.warnings.push(format!("{}: {w}", input.name));
    }
    let statements = parsed.statements;
    let BookedFile {
        transactions,
        statement_of_row,
        pending: pending_count,
        returns: booked_returns,
        ..
    } = booked;
    let first_statement = out.statements.len();
    // PERF: each statement's transactions in file order, grouped once (a
    // counting sort by statement) instead of a scan of the whole file per
    // statement: that scan was quadratic, 55 % of `ingest`'s CPU on a BAI2
    // file of 864 accounts (BENCHMARKS.md, "Ingest end to end").
    let mut starts = vec![0usize; statements.len() + 1];
    for &si in &statement_of_row {
        if si < statements.len() {
            starts[si + 1] += 1;
        }
    }
    let mut running = 0;
    for start in &mut starts {
        running += *start;
        *start = running;
    }
    let mut by_statement = vec![0usize; running];
    let mut next = starts.clone();
    for (k, &si) in statement_of_row.iter().enumerate() {
        if si < statements.len() {
            by_statement[next[si]] = k;
            next[si] += 1;
        }
    }
    for (i, s) in statements.iter().enumerate() {
        out.statements.push(StatementRecord {
            source_file: input.name.clone(),
            format: format.clone(),
            identity: ingest::statement_identity(s),
            content_sha256: ingest::statement_content_sha256_rows(
                s,
                by_statement[starts[i]..starts[i + 1]]
                    .iter()
                    .map(|&k| transactions.get(k)),
            ),
            statement: s.clone(),
            disposition,
        });
    }
    file.status = disposition.into();
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
    file.rows += transactions.len() as u64;
    for (k, reason) in booked_returns {
        out.returns
            .entry(transactions.get(k).transaction_id().to_string())
            .or_insert(reason);
    }
    transactions_out.push(transactions);
    out.files.push(file);
}

/// Converts extract rows into engine records. A row the extract reader
/// kept but marked (an amount finer than its currency, an unknown currency:
/// RELIABILITY B1-11) is held with that reason; rows that share an invoice id
/// are all held (`DUPLICATE_INVOICE_ID`): which of them the ERP means is for
/// a person to decide. The rest of the extract still runs.
pub fn open_items_from_rows(rows: Vec<OpenItemRow>) -> OpenItems {
    open_items_from_parts(vec![rows])
}

/// [`open_items_from_rows`] over the extract's rows in parts (file order):
/// each part is freed once its rows are in the store.
pub fn open_items_from_parts(parts: Vec<Vec<OpenItemRow>>) -> OpenItems {
    let duplicated = duplicated_invoice_rows(&parts);
    let mut out = OpenItemsBuilder::default();
    for r in parts.into_iter().flatten() {
        out.push({
            let marked = r.issue.as_ref().map(|issue| match issue {
                RowIssue::InvalidScale { column, detail } => ItemHold {
                    reason: HoldReason::InvalidScale,
                    detail: format!("data row {}, column `{column}`: {detail}", r.row),
                },
                RowIssue::UnknownCurrency { detail } => ItemHold {
                    reason: HoldReason::UnknownCurrency,
                    detail: format!("data row {}: {detail}", r.row),
                },
            });
            let duplicate = duplicated.get(r.invoice_id.as_str()).map(|data_rows| ItemHold {
                reason: HoldReason::DuplicateInvoiceId,
                detail: format!(
                    "invoice id `{}` appears in data rows {}; an open-item extract must have one row per invoice",
                    r.invoice_id,
                    data_rows
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            OpenItem {
                // A duplicated id outranks a row defect: neither row may be
                // matched, and the id is what a person fixes first.
                hold: duplicate.or(marked),
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
                // Empty when the extract has none: the configured default
                // (`cashmatch_engine::company::company_of`).
                company_code: r.company_code.unwrap_or_default(),
            }
        });
    }
    out.finish()
}

/// Invoice id → the data rows it appears in, for ids that appear more than once.
fn duplicated_invoice_rows(parts: &[Vec<OpenItemRow>]) -> HashMap<String, Vec<u64>> {
    // The first row of each id; a list only for the (rare) repeated ids, not
    // a `Vec` per row.
    let mut first: HashMap<&str, u64> = HashMap::with_capacity(parts.iter().map(Vec::len).sum());
    let mut duplicated: HashMap<String, Vec<u64>> = HashMap::new();
    for r in parts.iter().flatten() {
        match first.entry(r.invoice_id.as_str()) {
            Entry::Vacant(v) => {
                v.insert(r.row);
            }
            Entry::Occupied(o) => duplicated
                .entry(r.invoice_id.clone())
                .or_insert_with(|| vec![*o.get()])
                .push(r.row),
        }
    }
    duplicated
}

/// Converts customer rows into engine records.
pub fn customers_from_rows(rows: Vec<CustomerRow>) -> Customers {
    let mut out = CustomersBuilder::default();
    for r in rows {
        out.push(&Customer {
            customer_id: r.customer_id,
            name: r.name,
            bank_accounts: r.bank_accounts,
            aliases: r.aliases,
            segment: r.segment,
            parent_id: r.parent_id,
        });
    }
    out.finish()
}

/// Reads open items from a file, recording it for the manifest.
pub fn read_open_items(
    path: &Path,
    config: &RunConfig,
) -> Result<(OpenItems, InputFile), CliError> {
    // Regular files only, never more than `[open_items] file_bytes_max`
    // (a FIFO or /dev/zero would hang or exhaust memory).
    let bytes = extracts::read_extract(path, &config.open_items)
        .map_err(|e| CliError::Input(format!("open items: {e}")))?;
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
) -> Result<(OpenItems, InputFile), CliError> {
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
    // The manifest's hash is taken alongside the parse.
    let (sha256, rows) = rayon::join(
        || sha256_hex(bytes),
        || {
            isolated(name, || {
                extracts::read_open_items_parts_from_bytes(name, bytes, &options)
            })
        },
    );
    let mut parts = rows?;
    let count = |parts: &[Vec<OpenItemRow>]| parts.iter().map(Vec::len).sum::<usize>();
    let read = count(&parts);
    if previous_run {
        // Paid items are not open any more; they must not be matched again.
        for part in &mut parts {
            part.retain(|r| !r.amount_open.is_zero());
        }
    }
    let kept = count(&parts);
    let mut file = input_file(InputRole::OpenItems, name, bytes, sha256, kept as u64);
    if previous_run {
        file.detail = format!(
            "open_items.parquet of a previous cashmatch run: amount_open_after read as amount_open; {} settled item(s) dropped",
            read - kept
        );
    }
    Ok((open_items_from_parts(parts), file))
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

/// Reads an extract behind a panic boundary (RELIABILITY B5-51): a bug in
/// polars or in our conversion, triggered by a hostile extract, stops the run
/// with an error naming the file instead of a crash (exit 101) with a
/// half-written report.
fn isolated<T>(
    name: &str,
    read: impl FnOnce() -> Result<T, extracts::ExtractError>,
) -> Result<T, CliError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(Ok(rows)) => Ok(rows),
        Ok(Err(e)) => Err(CliError::Input(e.to_string())),
        Err(_) => Err(CliError::Input(format!(
            "extract `{name}`: internal error while reading it (please report it with the file); nothing was published"
        ))),
    }
}

/// Reads customers from a file, recording it for the manifest.
pub fn read_customers(path: &Path, config: &RunConfig) -> Result<(Customers, InputFile), CliError> {
    let bytes = extracts::read_extract(path, &config.customers)
        .map_err(|e| CliError::Input(format!("customers: {e}")))?;
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
) -> Result<(Customers, InputFile), CliError> {
    let (sha256, rows) = rayon::join(
        || sha256_hex(bytes),
        || {
            isolated(name, || {
                extracts::read_customers_from_bytes(name, bytes, &config.customers)
            })
        },
    );
    let rows = rows?;
    let file = input_file(InputRole::Customers, name, bytes, sha256, rows.len() as u64);
    Ok((customers_from_rows(rows), file))
}

fn input_file(role: InputRole, name: &str, bytes: &[u8], sha256: String, rows: u64) -> InputFile {
    InputFile {
        role,
        name: name.into(),
        sha256,
        bytes: bytes.len() as u64,
        format: if bytes.starts_with(b"PAR1") {
            "parquet".into()
        } else {
            "csv".into()
        },
        rows,
        status: InputStatus::Accepted,
        detail: String::new(),
        path: None,
    }
}

/// SHA-256 of the currency table, recorded in every manifest (the table is
/// versioned with the engine, RELIABILITY.md B1-11).
pub fn currency_table_sha256() -> String {
    // Code and minor units: a changed exponent changes how amounts are
    // checked, so it must change the recorded hash too.
    let table: Vec<String> = cashmatch_parsers::currency::CURRENCIES
        .iter()
        .map(|c| format!("{}:{}", c.code, c.minor_units))
        .collect();
    sha256_hex(table.join(",").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RELIABILITY B5-51: a panic while reading an extract is an input error
    /// naming the file, not a crash of the whole run.
    #[test]
    fn a_panic_inside_an_extract_reader_is_an_error_naming_the_file() {
        let result: Result<(), CliError> = isolated("items.csv", || panic!("polars bug"));
        match result {
            Err(CliError::Input(message)) => assert!(message.contains("items.csv"), "{message}"),
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    /// RELIABILITY B1-11: an extract row the reader marked (excess scale,
    /// unknown currency) used to abort the run; it is now a held item that
    /// names the row and column.
    #[test]
    fn a_marked_extract_row_becomes_a_held_item() {
        let mut r = OpenItemRow {
            invoice_id: "A".into(),
            customer_id: "C1".into(),
            customer_name: String::new(),
            currency: "EUR".into(),
            amount_open: rust_decimal::Decimal::new(10_005, 3),
            amount_original: rust_decimal::Decimal::new(10_005, 3),
            invoice_date: None,
            due_date: None,
            discount_percent: None,
            discount_days: None,
            po_number: None,
            company_code: None,
            row: 7,
            issue: Some(RowIssue::InvalidScale {
                column: "amount_open",
                detail: "10.005 has more decimals than EUR allows (2)".into(),
            }),
        };
        let items = open_items_from_rows(vec![r.clone()]);
        let hold = items.get(0).hold().unwrap();
        assert_eq!(hold.reason, HoldReason::InvalidScale);
        assert!(hold.detail.contains("data row 7") && hold.detail.contains("amount_open"));
        assert_eq!(
            items.get(0).amount_open(),
            r.amount_open,
            "kept as delivered"
        );
        r.issue = Some(RowIssue::UnknownCurrency {
            detail: "`XYZ` is not an ISO 4217 code".into(),
        });
        let items = open_items_from_rows(vec![r]);
        assert_eq!(
            items.get(0).hold().unwrap().reason,
            HoldReason::UnknownCurrency
        );
    }

    /// Issue 13: duplicate invoice ids used to abort the run; every row of a
    /// duplicated id is now held, naming all its rows, and the others are not.
    #[test]
    fn every_row_of_a_duplicated_invoice_id_is_held() {
        let row = |id: &str, n: u64| OpenItemRow {
            invoice_id: id.into(),
            customer_id: "C1".into(),
            customer_name: String::new(),
            currency: "EUR".into(),
            amount_open: rust_decimal::Decimal::ONE,
            amount_original: rust_decimal::Decimal::ONE,
            invoice_date: None,
            due_date: None,
            discount_percent: None,
            discount_days: None,
            po_number: None,
            company_code: None,
            row: n,
            issue: None,
        };
        let items = open_items_from_rows(vec![row("A", 1), row("B", 2), row("A", 3)]);
        let held: Vec<Option<HoldReason>> =
            items.iter().map(|i| i.hold().map(|h| h.reason)).collect();
        assert_eq!(
            held,
            [
                Some(HoldReason::DuplicateInvoiceId),
                None,
                Some(HoldReason::DuplicateInvoiceId)
            ]
        );
        assert!(items.get(0).hold().unwrap().detail.contains("1, 3"));
    }
}
