//! Remittance files given to `ingest` beside the bank statements: which
//! inputs are remittance (by content, like bank files), reading them each
//! behind a panic boundary, and `remittances.parquet`.
//!
//! A file whose structure is broken is rejected whole with the parser's
//! error (file, line, segment or record); a file whose own control totals
//! fail is ingested and reported like a statement whose balance check fails
//! (exit code 3), its lines marked `check_failed`. A camt.054 is both a bank
//! file (its entries) and a remittance file (its structured remittance):
//! it is read in both roles, and its remittance rows are advice lines, never
//! a second copy of the money.

use crate::config::RunConfig;
use crate::inputs::{BankInput, InputFile, InputRole, InputStatus};
use crate::output::{sha256_hex, table::Table};
use crate::CliError;
use cashmatch_parsers::remittance::{
    self, LockboxProfile, ParsedRemittance, RemittanceCsvLayout, RemittanceFormat,
    RemittanceOptions,
};
use cashmatch_parsers::BalanceCheck;
use serde::{Deserialize, Serialize};

/// `[remittance]` in the config: how remittance files are read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RemittanceConfig {
    /// WHATWG encoding of X12, NACHA and lockbox files that are not UTF-8
    /// (these formats declare none), e.g. `windows-1252`.
    pub encoding: Option<String>,
    /// Read every lockbox file with this layout (a built-in or one of
    /// `lockbox_profiles`) instead of choosing by trial.
    pub lockbox_profile: Option<String>,
    /// The bank's lockbox layouts, tried before the built-in ones.
    pub lockbox_profiles: Vec<LockboxProfile>,
    /// Customers' remittance spreadsheet layouts (CSV).
    pub csv_layouts: Vec<RemittanceCsvLayout>,
    /// The named window of the amount + date + payer link: at most this
    /// many days between the advice's payment date and the bank line's
    /// value date (default 3).
    pub link_window_days: Option<u32>,
    /// Thresholds of the `REMITTANCE_ADVICE` pass (default: auto-apply at
    /// 0.95, suggest at 0.50).
    pub pass: Option<cashmatch_engine::config::PassRule>,
    /// The advice's adjustment reason code → our deduction reason, e.g.
    /// `"01" = "PRICING_DISPUTE"` (X12 ADX02), `"DAMAGED" = "DAMAGED_GOODS"`.
    pub deduction_reasons: std::collections::BTreeMap<String, String>,
}

impl RemittanceConfig {
    /// True when nothing is configured (the section is then left out of
    /// the canonical config, so earlier runs keep their config hash).
    pub fn is_default(&self) -> bool {
        *self == RemittanceConfig::default()
    }

    /// Checks every key; names the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(label) = &self.encoding {
            if !cashmatch_parsers::encoding::is_known_label(label) {
                return Err(format!(
                    "[remittance] encoding `{label}` is not a WHATWG encoding label (e.g. `windows-1252`)"
                ));
            }
        }
        for p in &self.lockbox_profiles {
            p.validate().map_err(|e| format!("[remittance] {e}"))?;
        }
        if let Some(name) = &self.lockbox_profile {
            let known = self.lockbox_profiles.iter().any(|p| &p.name == name)
                || remittance::lockbox::builtin_profiles()
                    .iter()
                    .any(|p| &p.name == name);
            if !known {
                return Err(format!(
                    "[remittance] lockbox_profile `{name}` is neither a built-in layout nor one of `lockbox_profiles`"
                ));
            }
        }
        for l in &self.csv_layouts {
            l.validate().map_err(|e| format!("[remittance] {e}"))?;
        }
        self.rules().validate()
    }

    /// The engine's part: linking window, thresholds, reason map.
    pub fn rules(&self) -> cashmatch_engine::config::RemittanceRules {
        let d = cashmatch_engine::config::RemittanceRules::default();
        cashmatch_engine::config::RemittanceRules {
            link_window_days: self.link_window_days.unwrap_or(d.link_window_days),
            pass: self.pass.unwrap_or(d.pass),
            deduction_reasons: self.deduction_reasons.clone(),
        }
    }

    /// The parser options for remittance files.
    pub fn options(&self, config: &RunConfig) -> RemittanceOptions {
        RemittanceOptions {
            format: None,
            encoding: self.encoding.clone(),
            limits: config.limits.to_parser_limits(),
            lockbox_profiles: self.lockbox_profiles.clone(),
            lockbox_profile: self.lockbox_profile.clone(),
            csv_layouts: self.csv_layouts.clone(),
        }
    }
}

/// Bytes read to recognise a remittance file.
const HEAD_BYTES: usize = 64 * 1024;

/// The remittance format of one input, from the head of its bytes read
/// through the parsers' guarded read (regular files only, opened
/// non-blocking, capped; large files are mapped, not copied), so a FIFO
/// swapped in cannot hang the batch; `None` when it is no advice or cannot
/// be read (the bank reader then reports it).
fn detect_format(input: &BankInput, options: &RemittanceOptions) -> Option<RemittanceFormat> {
    cashmatch_parsers::read_input_limited(&input.path, options.limits.file_bytes_max)
        .ok()
        .and_then(|bytes| {
            // A workbook names `xl/workbook.xml` in its ZIP directory, at
            // the end of the file: asked of the whole file.
            if remittance::xlsx::looks_like_xlsx(&bytes) {
                return Some(RemittanceFormat::Xlsx);
            }
            remittance::detect(&bytes[..bytes.len().min(HEAD_BYTES)], options)
        })
}

/// Splits the inputs into bank files and remittance files by content. A
/// camt.054 is in both lists. A file that cannot be read stays a bank
/// input, where the read error is reported.
pub fn split_inputs(
    inputs: Vec<BankInput>,
    config: &RunConfig,
) -> (Vec<BankInput>, Vec<(BankInput, RemittanceFormat)>) {
    let options = config.remittance.options(config);
    let mut bank = Vec::new();
    let mut remit = Vec::new();
    for input in inputs {
        let format = detect_format(&input, &options);
        match format {
            Some(RemittanceFormat::Camt054) => {
                remit.push((input.clone(), RemittanceFormat::Camt054));
                bank.push(input);
            }
            Some(f) => remit.push((input, f)),
            None => bank.push(input),
        }
    }
    (bank, remit)
}

/// Every remittance file of an ingest, read.
#[derive(Debug, Default)]
pub struct RemittanceBatch {
    /// Files parsed (their own checks passed or not), in input order.
    pub parsed: Vec<ParsedRemittance>,
    /// One manifest entry per remittance file, in input order.
    pub files: Vec<InputFile>,
    /// Files refused whole, with the reason.
    pub rejections: Vec<String>,
    /// Tolerated quirks, each naming its file.
    pub warnings: Vec<String>,
}

impl RemittanceBatch {
    /// Rows of `remittances.parquet`.
    pub fn rows(&self) -> usize {
        self.parsed
            .iter()
            .flat_map(|p| &p.advices)
            .map(|a| a.lines.len().max(1))
            .sum()
    }

    /// True when a file was rejected or failed its own checks.
    pub fn has_failures(&self) -> bool {
        !self.rejections.is_empty() || self.parsed.iter().any(|p| p.check() == BalanceCheck::Fail)
    }

    /// One report line per parsed file: advices, lines, control check.
    pub fn report(&self) -> Vec<String> {
        self.parsed
            .iter()
            .map(|p| {
                let detail = p.check_detail();
                format!(
                    "{:<50} {:<14} {:>4} advices {:>5} lines  {}{}",
                    p.source_file,
                    p.format.map_or("-", RemittanceFormat::as_str),
                    p.advices.len(),
                    p.line_count(),
                    p.check().as_str(),
                    if detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {detail}")
                    }
                )
            })
            .collect()
    }
}

/// Reads the remittance files, each behind a panic boundary.
pub fn read_files(inputs: &[(BankInput, RemittanceFormat)], config: &RunConfig) -> RemittanceBatch {
    use rayon::prelude::*;
    let options = config.remittance.options(config);
    let read: Vec<(InputFile, Result<ParsedRemittance, String>)> = inputs
        .par_iter()
        .map(|(input, format)| read_one(input, *format, &options))
        .collect();
    let mut out = RemittanceBatch::default();
    for (mut file, result) in read {
        match result {
            Err(message) => {
                file.status = InputStatus::Rejected;
                file.detail = message.clone();
                out.rejections.push(message);
            }
            Ok(parsed) => {
                for w in &parsed.warnings {
                    out.warnings.push(format!("{}: {w}", file.name));
                }
                file.rows = parsed.line_count() as u64;
                if parsed.check() == BalanceCheck::Fail {
                    file.status = InputStatus::AcceptedUnbalanced;
                    file.detail = parsed.check_detail();
                }
                out.parsed.push(parsed);
            }
        }
        out.files.push(file);
    }
    out
}

fn read_one(
    input: &BankInput,
    format: RemittanceFormat,
    options: &RemittanceOptions,
) -> (InputFile, Result<ParsedRemittance, String>) {
    let mut file = InputFile {
        role: InputRole::Remittance,
        name: input.name.clone(),
        sha256: sha256_hex(&[]),
        bytes: 0,
        format: format.as_str().to_string(),
        rows: 0,
        status: InputStatus::Accepted,
        detail: String::new(),
        path: Some(input.path.to_string_lossy().into_owned()),
    };
    let bytes =
        match cashmatch_parsers::read_input_limited(&input.path, options.limits.file_bytes_max) {
            Ok(b) => b,
            Err(e) => {
                return (
                    file,
                    Err(format!("file `{}`: cannot read: {e}", input.name)),
                )
            }
        };
    file.sha256 = sha256_hex(&bytes);
    file.bytes = bytes.len() as u64;
    let options = RemittanceOptions {
        format: Some(format),
        ..options.clone()
    };
    let source = cashmatch_parsers::Source::new(&input.name, &bytes);
    let result = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        remittance::parse_remittance(&source, &options)
    })) {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(format!("{e}; the file was rejected")),
        Err(_) => Err(format!(
            "file `{}`: internal parser error (please report it with the file); the file was rejected",
            input.name
        )),
    };
    (file, result)
}

/// `remittances.parquet`: one row per advice line, in file and line order
/// (schema: `cashmatch_store::table::remittances_schema`).
pub fn table(batch: &RemittanceBatch, run: Option<&RunOutcome<'_>>) -> Result<Table, CliError> {
    struct Row<'a> {
        file: &'a ParsedRemittance,
        advice: &'a remittance::Advice,
        line: Option<&'a remittance::AdviceLine>,
        /// The advice's index in file order (for the run's outcome).
        flat: usize,
        /// What a run made of it: (status, transaction id, link rule).
        run: Option<(&'static str, Option<&'a str>, &'static str)>,
    }
    let mut rows = Vec::with_capacity(batch.rows());
    let mut flat = 0usize;
    for file in &batch.parsed {
        for advice in &file.advices {
            let decided = run.map(|r| r.of(flat));
            let at_advice = flat;
            flat += 1;
            let at = |k: usize| {
                decided.map(|(outcome, txn_id)| match outcome {
                    None => ("not_a_receipt", None, ""),
                    Some(o) => (
                        o.lines.get(k).map_or("unlinked", |s| s.as_str()),
                        txn_id,
                        o.link.map_or("", |l| l.rule.as_str()),
                    ),
                })
            };
            if advice.lines.is_empty() {
                rows.push(Row {
                    file,
                    advice,
                    line: None,
                    flat: at_advice,
                    run: at(0),
                });
            }
            for (k, line) in advice.lines.iter().enumerate() {
                rows.push(Row {
                    file,
                    advice,
                    line: Some(line),
                    flat: at_advice,
                    run: at(k),
                });
            }
        }
    }
    let scale = |e: cashmatch_store::table::ScaleError| {
        CliError::Output(format!("remittances.parquet: {e}"))
    };
    let mut tb = Table::new();
    tb.text(
        "source_file",
        rows.iter().map(|r| r.file.source_file.as_str()),
    );
    tb.text(
        "format",
        rows.iter()
            .map(|r| r.file.format.map_or("", RemittanceFormat::as_str)),
    );
    tb.text(
        "advice_id",
        rows.iter().map(|r| r.advice.advice_id.as_str()),
    );
    tb.text(
        "payment_reference",
        rows.iter().map(|r| r.advice.payment_reference.as_str()),
    );
    tb.text(
        "payer_name",
        rows.iter().map(|r| r.advice.payer_name.as_str()),
    );
    tb.text(
        "payer_account",
        rows.iter().map(|r| r.advice.payer_account.as_str()),
    );
    tb.text(
        "invoice_reference",
        rows.iter()
            .map(|r| r.line.map_or("", |l| l.invoice_reference.as_str())),
    );
    for (name, get) in [
        (
            "amount_paid",
            (|l: &remittance::AdviceLine| l.amount_paid) as fn(&remittance::AdviceLine) -> _,
        ),
        ("invoice_amount", |l| l.invoice_amount),
        ("discount_amount", |l| l.discount_amount),
        ("adjustment_amount", |l| l.adjustment_amount),
    ] {
        tb.money_opt(name, rows.iter().map(|r| r.line.and_then(get)))
            .map_err(scale)?;
    }
    tb.text(
        "adjustment_reason",
        rows.iter()
            .map(|r| r.line.map_or("", |l| l.adjustment_reason.as_str())),
    );
    tb.text("currency", rows.iter().map(|r| r.advice.currency.as_str()));
    tb.text_opt(
        "transaction_id",
        rows.iter().map(|r| r.run.and_then(|(_, t, _)| t)),
    );
    tb.text(
        "status",
        rows.iter().map(|r| match r.run {
            Some((status, _, _)) => status,
            None if r.advice.check == BalanceCheck::Fail => "check_failed",
            None => "unlinked",
        }),
    );
    tb.text(
        "document_type",
        rows.iter()
            .map(|r| r.line.map_or("", |l| l.document_type.as_str())),
    );
    tb.money_opt("payment_amount", rows.iter().map(|r| r.advice.amount))
        .map_err(scale)?;
    tb.date_opt("payment_date", rows.iter().map(|r| r.advice.payment_date));
    tb.text(
        "payment_method",
        rows.iter().map(|r| r.advice.method.as_str()),
    );
    tb.u64(
        "source_line",
        rows.iter()
            .map(|r| r.line.map_or(r.advice.source_line, |l| l.source_line)),
    );
    tb.text(
        "locator",
        rows.iter().map(|r| {
            r.line
                .map_or(r.advice.locator.as_str(), |l| l.locator.as_str())
        }),
    );
    tb.text(
        "link_rule",
        rows.iter().map(|r| r.run.map_or("", |(_, _, rule)| rule)),
    );
    // The company of the receiving account of the linked bank line: an
    // advice belongs to the legal entity whose account got its cash.
    tb.text(
        "company_code",
        rows.iter().map(|r| match (r.run, run) {
            (Some((_, Some(_), _)), Some(outcome)) => outcome.company_of(r.flat),
            _ => "",
        }),
    );
    Ok(tb)
}

/// What a run made of the advices, for `remittances.parquet`.
pub struct RunOutcome<'a> {
    /// Per advice in file order: its index among the engine's advices
    /// (`None`: not a receipt, never given to the engine).
    pub index: &'a [Option<usize>],
    /// The engine's outcome per engine advice.
    pub outcomes: &'a [cashmatch_engine::remittance::AdviceOutcome],
    /// The run's transactions (for the linked transaction id).
    pub transactions: &'a cashmatch_engine::model::Transactions,
    /// The run's legal entities (the company of the linked transaction).
    pub companies: &'a cashmatch_engine::company::Companies,
}

impl<'a> RunOutcome<'a> {
    #[allow(clippy::type_complexity)]
    fn of(
        &self,
        flat: usize,
    ) -> (
        Option<&'a cashmatch_engine::remittance::AdviceOutcome>,
        Option<&'a str>,
    ) {
        let outcome = self
            .index
            .get(flat)
            .copied()
            .flatten()
            .and_then(|i| self.outcomes.get(i));
        let txn = outcome
            .and_then(|o| o.link)
            .map(|l| self.transactions.get(l.txn as usize).transaction_id());
        (outcome, txn)
    }

    /// The company code of the bank line advice `flat` was linked to
    /// (empty when it was not linked).
    fn company_of(&self, flat: usize) -> &'a str {
        self.index
            .get(flat)
            .copied()
            .flatten()
            .and_then(|i| self.outcomes.get(i))
            .and_then(|o| o.link)
            .map_or("", |l| self.companies.txn_code(l.txn))
    }
}

/// The remittance inputs of a `run`: each file detected by content (a file
/// that is no remittance format is rejected, naming it), read behind the
/// panic boundary, and a file failing its own control totals excluded like
/// an unbalanced statement unless `accept_unbalanced`.
pub fn read_for_run(
    inputs: &[BankInput],
    config: &RunConfig,
    accept_unbalanced: bool,
) -> RemittanceBatch {
    let options = config.remittance.options(config);
    let mut detected = Vec::new();
    let mut refused = Vec::new();
    for input in inputs {
        let format = detect_format(input, &options);
        match format {
            Some(f) => detected.push((input.clone(), f)),
            None => refused.push(input.clone()),
        }
    }
    let mut batch = read_files(&detected, config);
    for input in refused {
        let bytes = std::fs::read(&input.path).unwrap_or_default();
        let message = format!(
            "file `{}`: not a remittance advice this run can read (X12 820, BAI lockbox, NACHA CTX/CCD+, remt.001, camt.054, or a CSV or XLSX sheet matching a layout of `[remittance] csv_layouts`); the file was rejected",
            input.name
        );
        batch.files.push(InputFile {
            role: InputRole::Remittance,
            name: input.name.clone(),
            sha256: sha256_hex(&bytes),
            bytes: bytes.len() as u64,
            format: String::new(),
            rows: 0,
            status: InputStatus::Rejected,
            detail: message.clone(),
            path: Some(input.path.to_string_lossy().into_owned()),
        });
        batch.rejections.push(message);
    }
    if !accept_unbalanced {
        let mut kept = Vec::new();
        for p in std::mem::take(&mut batch.parsed) {
            if p.check() == BalanceCheck::Fail {
                let message = format!(
                    "file `{}` ({}) fails its own control totals: {}; excluded, none of its advices was used (use --accept-unbalanced to use it anyway; its lines are then suggestions only)",
                    p.source_file,
                    p.format.map_or("-", RemittanceFormat::as_str),
                    p.check_detail()
                );
                if let Some(f) = batch.files.iter_mut().find(|f| {
                    f.name == p.source_file && f.status == InputStatus::AcceptedUnbalanced
                }) {
                    f.status = InputStatus::RejectedUnbalanced;
                    f.detail = message.clone();
                }
                batch.rejections.push(message);
            } else {
                kept.push(p);
            }
        }
        batch.parsed = kept;
    }
    // Input order is by name (discovery sorts), so the manifest lists the
    // files in the same order whatever the parallel read did.
    batch.files.sort_by(|a, b| a.name.cmp(&b.name));
    batch
}

/// X12 `REF01` qualifiers that name an invoice (invoice number, internal
/// vendor invoice number, original invoice, accounts-payable voucher).
const INVOICE_QUALIFIERS: [&str; 4] = ["IV", "IK", "OI", "AP"];

/// The engine's advices of a batch: every credit advice (money received),
/// in file order, and per advice of the batch its engine index.
pub fn engine_advices(
    batch: &RemittanceBatch,
) -> (
    Vec<cashmatch_engine::remittance::Advice>,
    Vec<Option<usize>>,
) {
    use cashmatch_engine::remittance::{Advice, AdviceLine};
    use cashmatch_parsers::remittance::DocumentType;
    let mut advices = Vec::new();
    let mut index = Vec::new();
    for file in &batch.parsed {
        let format = file.format.map_or("", RemittanceFormat::as_str);
        for a in &file.advices {
            if !a.credit || !a.booked {
                index.push(None);
                continue;
            }
            index.push(Some(advices.len()));
            let iso = matches!(
                file.format,
                Some(
                    RemittanceFormat::Remt001
                        | RemittanceFormat::Camt052
                        | RemittanceFormat::Camt053
                        | RemittanceFormat::Camt054
                )
            );
            advices.push(Advice {
                key: format!("{format}|{}|{}", a.advice_id, a.payment_reference),
                format: format.to_string(),
                advice_id: a.advice_id.clone(),
                payment_reference: a.payment_reference.clone(),
                alt_reference: if iso && a.advice_id != a.payment_reference {
                    a.advice_id.clone()
                } else {
                    String::new()
                },
                payer_name: a.payer_name.clone(),
                payer_account: a.payer_account.clone(),
                currency: a.currency.clone(),
                amount: a.amount,
                payment_date: a.payment_date,
                check_failed: a.check == BalanceCheck::Fail,
                lines: a
                    .lines
                    .iter()
                    .map(|l| AdviceLine {
                        invoice_reference: l.invoice_reference.clone(),
                        credit: l.document_type == DocumentType::CreditNote,
                        amount_paid: l.amount_paid,
                        invoice_amount: l.invoice_amount,
                        discount: l.discount_amount,
                        adjustment: l.adjustment_amount,
                        adjustment_reason: l.adjustment_reason.clone(),
                        other_invoice_references: l
                            .references
                            .iter()
                            .filter(|(q, v)| {
                                INVOICE_QUALIFIERS.contains(&q.as_str()) && !v.is_empty()
                            })
                            .map(|(_, v)| v.clone())
                            .collect(),
                    })
                    .collect(),
                // A lockbox cheque belongs to its batch (`lockbox/batch/item`):
                // the bank credits the batch as one deposit.
                deposit_reference: if file.format == Some(RemittanceFormat::Lockbox) {
                    a.advice_id
                        .rsplit_once('/')
                        .map(|(batch, _)| batch.to_string())
                        .unwrap_or_default()
                } else {
                    String::new()
                },
            });
        }
    }
    (advices, index)
}

/// Folder of the waiting advices inside the state directory.
pub const WAITING_DIR: &str = "remittance-waiting";
/// Version tag of a waiting-advices file.
const WAITING_FORMAT: &str = "cashmatch-waiting-advices/1";

/// The advices whose cash had not arrived when a run ended: written into
/// the state directory as `remittance-waiting/<run_id>.json` before the
/// commit point (like a segment: a file no logged run names is ignored),
/// read by the next run with that state, and listed in its manifest as a
/// state input so a replay reads the same advices.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WaitingAdvices {
    /// [`WAITING_FORMAT`].
    pub format: String,
    /// The run that wrote the file.
    pub run_id: String,
    /// Still waiting, in the order the runs read them.
    pub advices: Vec<WaitingAdvice>,
}

/// One waiting advice and where it came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WaitingAdvice {
    /// The remittance file it was read from (its name as given).
    pub source_file: String,
    /// The run that read the file.
    pub since_run: String,
    /// Payment method as the advice states it.
    pub method: String,
    /// The advice, as the engine links it.
    pub advice: cashmatch_engine::remittance::Advice,
}

impl WaitingAdvices {
    /// Parses a waiting-advices file; an unreadable one is a state error
    /// (forgetting it would drop advices silently).
    pub fn parse(bytes: &[u8], what: &str) -> Result<Self, CliError> {
        // A damaged state stops the run like a bad input (exit 1).
        let w: WaitingAdvices = serde_json::from_slice(bytes).map_err(|e| {
            CliError::Input(format!(
                "state: waiting remittance advices `{what}`: {e}; restore it from backup"
            ))
        })?;
        if w.format != WAITING_FORMAT {
            return Err(CliError::Input(format!(
                "state: waiting remittance advices `{what}`: format `{}` is not `{WAITING_FORMAT}`",
                w.format
            )));
        }
        Ok(w)
    }

    /// The file's bytes (pretty JSON, fields in a fixed order).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

/// Adds the advices waiting from earlier runs to `batch` (one parsed entry
/// per advice, read from the state, not from a file of this run); an
/// advice whose file this run reads again is not carried twice.
pub fn add_waiting(batch: &mut RemittanceBatch, waiting: &WaitingAdvices) {
    let (here, _) = engine_advices(batch);
    let known: std::collections::HashSet<&str> = here.iter().map(|a| a.key.as_str()).collect();
    let mut carried = Vec::new();
    for w in &waiting.advices {
        if known.contains(w.advice.key.as_str()) {
            continue;
        }
        let a = &w.advice;
        let format = ALL_FORMATS.into_iter().find(|f| f.as_str() == a.format);
        carried.push(ParsedRemittance {
            source_file: w.source_file.clone(),
            format,
            advices: vec![remittance::Advice {
                format,
                advice_id: a.advice_id.clone(),
                payment_reference: a.payment_reference.clone(),
                payer_name: a.payer_name.clone(),
                payer_account: a.payer_account.clone(),
                amount: a.amount,
                currency: a.currency.clone(),
                payment_date: a.payment_date,
                method: w.method.clone(),
                credit: true,
                booked: true,
                lines: a
                    .lines
                    .iter()
                    .map(|l| remittance::AdviceLine {
                        invoice_reference: l.invoice_reference.clone(),
                        document_type: if l.credit {
                            remittance::DocumentType::CreditNote
                        } else {
                            remittance::DocumentType::Invoice
                        },
                        amount_paid: l.amount_paid,
                        invoice_amount: l.invoice_amount,
                        discount_amount: l.discount,
                        adjustment_amount: l.adjustment,
                        adjustment_reason: l.adjustment_reason.clone(),
                        references: l
                            .other_invoice_references
                            .iter()
                            .map(|v| ("IV".to_string(), v.clone()))
                            .collect(),
                        locator: format!("waiting since run {}", w.since_run),
                        ..Default::default()
                    })
                    .collect(),
                check: if a.check_failed {
                    BalanceCheck::Fail
                } else {
                    BalanceCheck::Pass
                },
                locator: format!("waiting since run {}", w.since_run),
                ..Default::default()
            }],
            ..Default::default()
        });
    }
    batch.parsed.extend(carried);
}

const ALL_FORMATS: [RemittanceFormat; 9] = [
    RemittanceFormat::X12_820,
    RemittanceFormat::Lockbox,
    RemittanceFormat::Nacha,
    RemittanceFormat::Remt001,
    RemittanceFormat::Camt052,
    RemittanceFormat::Camt053,
    RemittanceFormat::Camt054,
    RemittanceFormat::Csv,
    RemittanceFormat::Xlsx,
];

/// The advices of this run still waiting for their cash after it (this
/// run's and those carried from earlier runs), for the next run.
pub fn still_waiting(
    batch: &RemittanceBatch,
    index: &[Option<usize>],
    advices: &[cashmatch_engine::remittance::Advice],
    outcomes: &[cashmatch_engine::remittance::AdviceOutcome],
    carried: &WaitingAdvices,
    run_id: &str,
) -> WaitingAdvices {
    let mut out = WaitingAdvices {
        format: WAITING_FORMAT.into(),
        run_id: run_id.into(),
        advices: Vec::new(),
    };
    let mut flat = 0usize;
    for file in &batch.parsed {
        for a in &file.advices {
            let i = index.get(flat).copied().flatten();
            flat += 1;
            let Some(i) = i else { continue };
            if !outcomes.get(i).is_some_and(|o| o.is_waiting()) {
                continue;
            }
            let since = carried
                .advices
                .iter()
                .find(|w| w.advice.key == advices[i].key)
                .map_or(run_id.to_string(), |w| w.since_run.clone());
            out.advices.push(WaitingAdvice {
                source_file: file.source_file.clone(),
                since_run: since,
                method: a.method.clone(),
                advice: advices[i].clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::RunConfig;

    #[test]
    fn the_readme_remittance_example_is_a_valid_config() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("```toml\n[remittance]")
            .expect("README has a remittance example")
            + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("closed block");
        let cfg = RunConfig::parse(&readme[start..end]).expect("README example parses");
        assert_eq!(cfg.remittance.lockbox_profiles[0].name, "my_bank");
        assert_eq!(
            cfg.remittance.csv_layouts[0].columns.deduction.as_deref(),
            Some("Abzug")
        );
        assert_eq!(RunConfig::parse(&cfg.canonical_toml()).unwrap(), cfg);
    }

    #[test]
    fn the_readme_linking_example_is_a_valid_config() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("```toml\n[remittance]\nlink_window_days")
            .expect("README has a linking example")
            + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("closed block");
        let cfg = RunConfig::parse(&readme[start..end]).expect("README example parses");
        let rules = cfg.remittance.rules();
        assert_eq!(rules.link_window_days, 3);
        assert_eq!(
            rules.deduction_reason("01"),
            cashmatch_engine::model::DeductionReason::Pricing
        );
        assert!(
            RunConfig::parse("[remittance.deduction_reasons]\n\"01\" = \"NOT_A_REASON\"\n")
                .unwrap_err()
                .contains("deduction_reasons")
        );
    }

    #[test]
    fn an_unconfigured_remittance_section_leaves_the_config_hash_as_it_was() {
        assert!(!RunConfig::default().canonical_toml().contains("remittance"));
    }

    #[test]
    fn bad_remittance_keys_are_named() {
        for (toml, key) in [
            ("[remittance]\nencoding = \"klingon\"\n", "[remittance] encoding"),
            ("[remittance]\nlockbox_profile = \"nope\"\n", "lockbox_profile `nope`"),
            (
                "[[remittance.csv_layouts]]\nname = \"x\"\n[remittance.csv_layouts.columns]\npayment_reference = \"a\"\ninvoice = \"b\"\namount_paid = \"c\"\n",
                "give `currency`",
            ),
        ] {
            let err = RunConfig::parse(toml).unwrap_err();
            assert!(err.contains(key), "{toml}: {err}");
        }
    }
}
