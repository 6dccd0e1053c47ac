//! BAI lockbox transmissions: fixed-width records 1 (immediate address
//! header), 2 (service), 5 (batch header), 6 (cheque), 4 (overflow: the
//! invoices a cheque pays), 7 (batch total), 8 (lockbox total) and 9
//! (trailer).
//!
//! Record positions differ by bank, so a layout is a [`LockboxProfile`]:
//! data, not code. The built-in profiles are TOML files in
//! `remittance/lockbox_profiles/`, embedded with `include_str!`; a user's
//! profile has the same shape (`[[remittance.lockbox_profiles]]`). Unless a
//! profile is named, the profiles are tried in order (the user's first):
//! the first whose layout reads every record (lengths, digits, dates) reads
//! the file. Totals never take part in that choice, so a file whose totals
//! disagree is read with the layout that fits it and reported as Fail.
//!
//! Checked: each batch's total (record 7) against its cheques, the lockbox
//! total (record 8) against the cheques since the previous 8, the item
//! counts where the layout has them, the trailer's record count (record 9),
//! and each cheque's amount against its overflow invoice amounts where the
//! layout carries them. Duplicate batch numbers, cheque items within a
//! batch, and overflow sequences within a cheque are errors: such a file is
//! not one transmission the bank meant.

use super::{
    compare, lines_check, settle_advice, Advice, AdviceLine, ControlCheck, DocumentType,
    ParsedRemittance, RemittanceOptions,
};
use crate::{ErrorKind, Location, ParseError, Source};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const FORMAT_NAME: &str = "bai_lockbox";

/// 1-based, inclusive column range `[first, last]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct Columns(pub usize, pub usize);

/// What record 9's count covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrailerCounts {
    /// Every record of the file, the trailer included.
    #[default]
    AllRecords,
    /// The batch records only (5, 6, 4, 7).
    BatchRecords,
}

/// Where a lockbox layout keeps each field. Columns are 1-based and
/// inclusive, as bank specifications print them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LockboxProfile {
    /// The profile's name, recorded with every file it reads.
    pub name: String,
    /// Exact record length when the bank pads records (80); unset when
    /// records are not padded.
    #[serde(default)]
    pub record_length: Option<usize>,
    /// Longest record accepted when `record_length` is unset.
    #[serde(default = "default_max_record_length")]
    pub max_record_length: usize,
    /// Currency of every amount (implied decimals follow its minor unit).
    #[serde(default = "default_currency")]
    pub currency: String,
    /// chrono format of deposit dates (`%y%m%d`).
    #[serde(default = "default_date_format")]
    pub date_format: String,
    /// What record 9's count covers.
    #[serde(default)]
    pub trailer_counts: TrailerCounts,
    /// Record 5.
    pub batch_header: BatchHeaderLayout,
    /// Record 6.
    pub check: CheckLayout,
    /// Record 4.
    pub overflow: OverflowLayout,
    /// Record 7.
    pub batch_total: TotalLayout,
    /// Record 8.
    pub lockbox_total: TotalLayout,
    /// Record 9.
    #[serde(default)]
    pub trailer: TrailerLayout,
}

fn default_max_record_length() -> usize {
    104
}
fn default_currency() -> String {
    "USD".into()
}
fn default_date_format() -> String {
    "%y%m%d".into()
}

/// Record 5, the batch header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BatchHeaderLayout {
    /// Batch number.
    pub batch: Columns,
    /// Lockbox number.
    #[serde(default)]
    pub lockbox: Option<Columns>,
    /// Deposit date.
    #[serde(default)]
    pub deposit_date: Option<Columns>,
}

/// Record 6, one cheque.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckLayout {
    /// Batch number.
    pub batch: Columns,
    /// Item (cheque) number within the batch.
    pub item: Columns,
    /// Amount in minor units.
    pub amount: Columns,
    /// MICR transit routing number.
    #[serde(default)]
    pub routing: Option<Columns>,
    /// MICR account number.
    #[serde(default)]
    pub account: Option<Columns>,
    /// Cheque number.
    #[serde(default)]
    pub check_number: Option<Columns>,
    /// Cheque date.
    #[serde(default)]
    pub check_date: Option<Columns>,
    /// chrono format of the cheque date when it differs from `date_format`.
    #[serde(default)]
    pub check_date_format: Option<String>,
    /// Remitter (payer) name.
    #[serde(default)]
    pub remitter: Option<Columns>,
    /// Payee name.
    #[serde(default)]
    pub payee: Option<Columns>,
}

/// Record 4, one overflow (invoice) record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OverflowLayout {
    /// Batch number.
    pub batch: Columns,
    /// Item number of the cheque it belongs to.
    pub item: Columns,
    /// Overflow sequence number.
    #[serde(default)]
    pub sequence: Option<Columns>,
    /// Invoice number (or memo).
    pub invoice: Columns,
    /// Invoice amount in minor units.
    #[serde(default)]
    pub amount: Option<Columns>,
    /// The invoice field is zero-padded on the left (`0000LB0001`).
    #[serde(default)]
    pub strip_leading_zeros: bool,
}

/// Records 7 and 8, batch and lockbox totals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TotalLayout {
    /// Batch number (record 7).
    #[serde(default)]
    pub batch: Option<Columns>,
    /// Number of cheques, when the bank keeps it reliably.
    #[serde(default)]
    pub count: Option<Columns>,
    /// Total amount in minor units.
    pub amount: Columns,
}

/// Record 9, the trailer.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrailerLayout {
    /// Record count.
    #[serde(default)]
    pub count: Option<Columns>,
}

impl LockboxProfile {
    /// Checks that every column range is inside the record and that the
    /// currency and date formats are usable; names the first bad key.
    pub fn validate(&self) -> Result<(), String> {
        let max = self.record_length.unwrap_or(self.max_record_length);
        if max == 0 || max > 1024 {
            return Err(format!(
                "lockbox profile `{}`: record length {max} is not between 1 and 1024",
                self.name
            ));
        }
        if !crate::currency::is_iso_4217(&self.currency) {
            return Err(format!(
                "lockbox profile `{}`: currency `{}` is not an ISO 4217 code",
                self.name, self.currency
            ));
        }
        let c = &self.check;
        let o = &self.overflow;
        let fields: Vec<(&str, Option<Columns>)> = vec![
            ("batch_header.batch", Some(self.batch_header.batch)),
            ("batch_header.lockbox", self.batch_header.lockbox),
            ("batch_header.deposit_date", self.batch_header.deposit_date),
            ("check.batch", Some(c.batch)),
            ("check.item", Some(c.item)),
            ("check.amount", Some(c.amount)),
            ("check.routing", c.routing),
            ("check.account", c.account),
            ("check.check_number", c.check_number),
            ("check.check_date", c.check_date),
            ("check.remitter", c.remitter),
            ("check.payee", c.payee),
            ("overflow.batch", Some(o.batch)),
            ("overflow.item", Some(o.item)),
            ("overflow.sequence", o.sequence),
            ("overflow.invoice", Some(o.invoice)),
            ("overflow.amount", o.amount),
            ("batch_total.batch", self.batch_total.batch),
            ("batch_total.count", self.batch_total.count),
            ("batch_total.amount", Some(self.batch_total.amount)),
            ("lockbox_total.count", self.lockbox_total.count),
            ("lockbox_total.amount", Some(self.lockbox_total.amount)),
            ("trailer.count", self.trailer.count),
        ];
        for (key, cols) in fields {
            if let Some(Columns(a, b)) = cols {
                if a < 2 || a > b || b > max {
                    return Err(format!(
                        "lockbox profile `{}`: `{key}` = [{a}, {b}] must satisfy 2 <= first <= last <= {max} (column 1 is the record type)",
                        self.name
                    ));
                }
            }
        }
        for (key, format) in [
            ("date_format", Some(self.date_format.as_str())),
            ("check.check_date_format", c.check_date_format.as_deref()),
        ] {
            if let Some(f) = format {
                if chrono::format::StrftimeItems::new(f)
                    .any(|i| matches!(i, chrono::format::Item::Error))
                {
                    return Err(format!(
                        "lockbox profile `{}`: `{key}` = `{f}` is not a chrono date format",
                        self.name
                    ));
                }
            }
        }
        Ok(())
    }
}

const PROFILE_FILES: &[(&str, &str)] = &[
    // Padded 80-column records first: a fixed length is the more specific
    // layout, and an unpadded layout could read some of its records.
    (
        "opentaps_80",
        include_str!("lockbox_profiles/opentaps_80.toml"),
    ),
    (
        "bai_lockbox",
        include_str!("lockbox_profiles/bai_lockbox.toml"),
    ),
];

/// The built-in lockbox layouts, in the order they are tried.
pub fn builtin_profiles() -> Vec<LockboxProfile> {
    static BUILTIN: OnceLock<Vec<LockboxProfile>> = OnceLock::new();
    BUILTIN
        .get_or_init(|| {
            PROFILE_FILES
                .iter()
                .filter_map(|(name, text)| {
                    // `tests/remittance_lockbox.rs` parses every built-in
                    // file, so a broken one fails the build's tests.
                    let profile: Option<LockboxProfile> = toml::from_str(text).ok();
                    debug_assert!(profile.is_some(), "built-in lockbox profile {name}");
                    profile
                })
                .collect()
        })
        .clone()
}

/// The raw text of the built-in profile files, for tests and documentation.
pub fn builtin_profile_sources() -> &'static [(&'static str, &'static str)] {
    PROFILE_FILES
}

/// Reads a BAI lockbox file.
pub fn parse(
    source: &Source<'_>,
    options: &RemittanceOptions,
) -> Result<ParsedRemittance, ParseError> {
    let (text, encoding) = crate::encoding::decode(
        source.name,
        Some(FORMAT_NAME),
        source.bytes,
        options.encoding.as_deref(),
    )?;
    let mut lines = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.len() > options.limits.line_bytes_max {
            return Err(error(
                source.name,
                Location::Line(i as u64 + 1),
                ErrorKind::LimitExceeded,
                format!(
                    "line longer than {} bytes (limit `line_bytes_max`)",
                    options.limits.line_bytes_max
                ),
            ));
        }
        if line.trim().is_empty() {
            continue;
        }
        if lines.len() as u64 >= options.limits.records_max {
            return Err(error(
                source.name,
                Location::Line(i as u64 + 1),
                ErrorKind::LimitExceeded,
                format!(
                    "more than {} records (limit `records_max`)",
                    options.limits.records_max
                ),
            ));
        }
        lines.push((i as u64 + 1, line));
    }
    let mut candidates: Vec<LockboxProfile> = options.lockbox_profiles.clone();
    candidates.extend(builtin_profiles());
    if let Some(name) = &options.lockbox_profile {
        candidates.retain(|p| &p.name == name);
        if candidates.is_empty() {
            return Err(error(
                source.name,
                Location::Line(1),
                ErrorKind::UnknownFormat,
                format!("no lockbox profile is named `{name}`"),
            ));
        }
    }
    let mut furthest: Option<ParseError> = None;
    for profile in &candidates {
        match read_records(source.name, profile, &lines) {
            Ok(records) => {
                let mut parsed = assemble(source.name, profile, records)?;
                parsed.encoding = encoding.to_string();
                parsed.layout = profile.name.clone();
                return Ok(parsed);
            }
            Err(e) => {
                let line = |e: &ParseError| match e.location {
                    Location::Line(l) | Location::LineColumn(l, _) => l,
                    _ => 0,
                };
                if furthest.as_ref().is_none_or(|f| line(&e) > line(f)) {
                    furthest = Some(e);
                }
            }
        }
    }
    Err(furthest.unwrap_or_else(|| {
        error(
            source.name,
            Location::Line(1),
            ErrorKind::UnknownFormat,
            "no lockbox profile to read the file with".into(),
        )
    }))
}

fn error(file: &str, location: Location, kind: ErrorKind, message: String) -> ParseError {
    ParseError::new(file, Some(FORMAT_NAME), location, kind, message)
}

#[derive(Debug)]
enum Rec {
    Header,
    Service,
    BatchHeader {
        batch: String,
        lockbox: String,
        date: Option<NaiveDate>,
    },
    Check {
        batch: String,
        item: String,
        amount: Decimal,
        routing: String,
        account: String,
        number: String,
        date: Option<NaiveDate>,
        remitter: String,
        payee: String,
    },
    Overflow {
        batch: String,
        item: String,
        sequence: String,
        invoice: String,
        amount: Option<Decimal>,
    },
    BatchTotal {
        count: Option<u64>,
        amount: Decimal,
    },
    LockboxTotal {
        count: Option<u64>,
        amount: Decimal,
    },
    Trailer {
        count: Option<u64>,
    },
}

/// One record's text, with the layout's view of its columns.
struct Record<'l> {
    file: &'l str,
    profile: &'l str,
    line: u64,
    text: &'l str,
}

impl Record<'_> {
    fn field(&self, c: Columns) -> &str {
        // Character columns: unpadded records read as if padded with spaces.
        let start = self
            .text
            .char_indices()
            .nth(c.0 - 1)
            .map_or(self.text.len(), |(i, _)| i);
        let end = self
            .text
            .char_indices()
            .nth(c.1)
            .map_or(self.text.len(), |(i, _)| i);
        self.text.get(start..end).unwrap_or("").trim()
    }

    fn err(&self, c: Columns, kind: ErrorKind, what: &str, message: String) -> ParseError {
        error(
            self.file,
            Location::LineColumn(self.line, c.0 as u64),
            kind,
            format!(
                "{what} (columns {}-{} of layout `{}`): {message}",
                c.0, c.1, self.profile
            ),
        )
    }

    fn digits(&self, c: Columns, what: &str) -> Result<String, ParseError> {
        let t = self.field(c);
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.err(
                c,
                ErrorKind::Structure,
                what,
                format!("`{t}` is not a number"),
            ));
        }
        Ok(t.to_string())
    }

    fn count(&self, c: Option<Columns>, what: &str) -> Result<Option<u64>, ParseError> {
        let Some(c) = c else { return Ok(None) };
        let t = self.digits(c, what)?;
        t.parse::<u64>()
            .map(Some)
            .map_err(|_| self.err(c, ErrorKind::Structure, what, format!("`{t}` is too large")))
    }

    fn amount(&self, c: Columns, what: &str, currency: &str) -> Result<Decimal, ParseError> {
        let t = self.field(c);
        crate::amount::parse_minor_units(t, crate::currency::currency_exponent(currency))
            .ok()
            .filter(|_| !t.starts_with(['-', '+']))
            .ok_or_else(|| {
                self.err(
                    c,
                    ErrorKind::InvalidAmount,
                    what,
                    if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
                        crate::amount::too_large_message(t)
                    } else {
                        format!("`{t}` is not an amount in minor units (digits only)")
                    },
                )
            })
    }

    fn date(
        &self,
        c: Option<Columns>,
        format: &str,
        what: &str,
    ) -> Result<Option<NaiveDate>, ParseError> {
        let Some(c) = c else { return Ok(None) };
        let t = self.field(c);
        NaiveDate::parse_from_str(t, format)
            .map(|d| {
                // chrono's %y pivots at 1970; the crate's one window is
                // 1980-2079, so a %y date is moved into it.
                let year =
                    crate::date::year_from_two_digits(d.year().rem_euclid(100) as u32) as i32;
                if format.contains("%y") && d.year() != year {
                    d.with_year(year).unwrap_or(d)
                } else {
                    d
                }
            })
            .map(Some)
            .map_err(|_| {
                self.err(
                    c,
                    ErrorKind::InvalidDate,
                    what,
                    format!("`{t}` is not a date in format `{format}`"),
                )
            })
    }
}

use chrono::Datelike as _;

/// Phase one: every record read through `profile`'s columns.
fn read_records(
    file: &str,
    profile: &LockboxProfile,
    lines: &[(u64, &str)],
) -> Result<Vec<(u64, Rec)>, ParseError> {
    profile
        .validate()
        .map_err(|m| error(file, Location::Line(1), ErrorKind::Structure, m))?;
    let mut out = Vec::with_capacity(lines.len());
    let ccy = profile.currency.as_str();
    for &(line, text) in lines {
        let len = text.chars().count();
        match profile.record_length {
            Some(n) if len != n => {
                return Err(error(
                    file,
                    Location::Line(line),
                    ErrorKind::Structure,
                    format!(
                        "record is {len} characters; layout `{}` has {n}-character records",
                        profile.name
                    ),
                ))
            }
            None if len > profile.max_record_length => {
                return Err(error(
                    file,
                    Location::Line(line),
                    ErrorKind::Structure,
                    format!(
                        "record is {len} characters; layout `{}` allows at most {}",
                        profile.name, profile.max_record_length
                    ),
                ))
            }
            _ => {}
        }
        let r = Record {
            file,
            profile: &profile.name,
            line,
            text,
        };
        let rec = match text.as_bytes()[0] {
            b'1' => Rec::Header,
            b'2' => Rec::Service,
            b'5' => {
                let h = &profile.batch_header;
                Rec::BatchHeader {
                    batch: r.digits(h.batch, "batch number")?,
                    lockbox: h
                        .lockbox
                        .map(|c| r.field(c).to_string())
                        .unwrap_or_default(),
                    date: r.date(h.deposit_date, &profile.date_format, "deposit date")?,
                }
            }
            b'6' => {
                let c = &profile.check;
                let text_of = |cols: Option<Columns>| {
                    cols.map(|x| r.field(x).to_string()).unwrap_or_default()
                };
                Rec::Check {
                    batch: r.digits(c.batch, "batch number")?,
                    item: r.digits(c.item, "item number")?,
                    amount: r.amount(c.amount, "cheque amount", ccy)?,
                    routing: text_of(c.routing),
                    account: text_of(c.account),
                    number: text_of(c.check_number),
                    date: r.date(
                        c.check_date,
                        c.check_date_format
                            .as_deref()
                            .unwrap_or(&profile.date_format),
                        "cheque date",
                    )?,
                    remitter: text_of(c.remitter),
                    payee: text_of(c.payee),
                }
            }
            b'4' => {
                let o = &profile.overflow;
                let mut invoice = r.field(o.invoice);
                if o.strip_leading_zeros {
                    invoice = invoice.trim_start_matches('0');
                }
                let amount = match o.amount {
                    Some(c) if !r.field(c).is_empty() => {
                        Some(r.amount(c, "invoice amount", ccy)?)
                    }
                    _ => None,
                };
                Rec::Overflow {
                    batch: r.digits(o.batch, "batch number")?,
                    item: r.digits(o.item, "item number")?,
                    sequence: o
                        .sequence
                        .map(|c| r.digits(c, "overflow sequence"))
                        .transpose()?
                        .unwrap_or_default(),
                    invoice: invoice.to_string(),
                    amount,
                }
            }
            b'7' => {
                let t = &profile.batch_total;
                if let Some(c) = t.batch {
                    r.digits(c, "batch number")?;
                }
                Rec::BatchTotal {
                    count: r.count(t.count, "cheque count")?,
                    amount: r.amount(t.amount, "batch total", ccy)?,
                }
            }
            b'8' => {
                let t = &profile.lockbox_total;
                Rec::LockboxTotal {
                    count: r.count(t.count, "cheque count")?,
                    amount: r.amount(t.amount, "lockbox total", ccy)?,
                }
            }
            b'9' => Rec::Trailer {
                count: r.count(profile.trailer.count, "record count")?,
            },
            _ => {
                return Err(error(
                    file,
                    Location::LineColumn(line, 1),
                    ErrorKind::UnknownRecord,
                    format!(
                        "record type `{}` is not a lockbox record (1, 2, 5, 6, 4, 7, 8, 9)",
                        text.chars().next().unwrap_or(' ')
                    ),
                ))
            }
        };
        out.push((line, rec));
    }
    Ok(out)
}

struct OpenBatch {
    batch: String,
    lockbox: String,
    line: u64,
    date: Option<NaiveDate>,
    advices: Vec<usize>,
    items: BTreeMap<String, u64>,
}

/// Phase two: structure, identities and totals.
fn assemble(
    file: &str,
    profile: &LockboxProfile,
    records: Vec<(u64, Rec)>,
) -> Result<ParsedRemittance, ParseError> {
    let mut out = ParsedRemittance::default();
    let mut covering: Vec<Vec<usize>> = Vec::new();
    let mut batch: Option<OpenBatch> = None;
    let mut batches_seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut since_lockbox_total: Vec<usize> = Vec::new();
    let mut sequences: BTreeMap<String, u64> = BTreeMap::new();
    let mut batch_records: u64 = 0;
    let mut trailer_seen = false;
    let total_records = records.len() as u64;
    let structure = |line: u64, message: String| {
        error(file, Location::Line(line), ErrorKind::Structure, message)
    };
    for (i, (line, rec)) in records.into_iter().enumerate() {
        if trailer_seen {
            return Err(structure(line, "record after the type 9 trailer".into()));
        }
        if i == 0 && !matches!(rec, Rec::Header) {
            return Err(structure(
                line,
                "a lockbox file starts with a type 1 (immediate address header) record".into(),
            ));
        }
        if matches!(
            rec,
            Rec::BatchHeader { .. }
                | Rec::Check { .. }
                | Rec::Overflow { .. }
                | Rec::BatchTotal { .. }
        ) {
            batch_records += 1;
        }
        match rec {
            Rec::Header if i > 0 => {
                return Err(structure(
                    line,
                    "second type 1 header: one transmission per file".into(),
                ))
            }
            Rec::Header | Rec::Service => {}
            Rec::BatchHeader {
                batch: number,
                lockbox,
                date,
            } => {
                if let Some(open) = &batch {
                    return Err(structure(
                        line,
                        format!(
                            "batch header while batch {} (line {}) has no type 7 total",
                            open.batch, open.line
                        ),
                    ));
                }
                if let Some(first) = batches_seen.insert(number.clone(), line) {
                    return Err(structure(line, format!("batch number {number} was already used by the batch at line {first}: duplicate batch")));
                }
                batch = Some(OpenBatch {
                    batch: number,
                    lockbox,
                    line,
                    date,
                    advices: Vec::new(),
                    items: BTreeMap::new(),
                });
            }
            Rec::Check {
                batch: number,
                item,
                amount,
                routing,
                account,
                number: cheque,
                date,
                remitter,
                payee,
            } => {
                let Some(open) = batch.as_mut() else {
                    return Err(structure(
                        line,
                        "cheque (type 6) outside a batch (no type 5 before it)".into(),
                    ));
                };
                if number != open.batch {
                    out.warnings.push(format!("line {line}: cheque says batch {number}, its batch header (line {}) says {}", open.line, open.batch));
                }
                if let Some(first) = open.items.insert(item.clone(), line) {
                    return Err(structure(line, format!("item number {item} is used twice in batch {} (lines {first} and {line}): duplicate cheque", open.batch)));
                }
                sequences.clear();
                let micr = match (routing.is_empty(), account.is_empty()) {
                    (false, false) => format!("{routing}/{account}"),
                    _ => format!("{routing}{account}"),
                };
                open.advices.push(out.advices.len());
                since_lockbox_total.push(out.advices.len());
                covering.push(Vec::new());
                out.advices.push(Advice {
                    advice_id: format!("{}/{}/{item}", open.lockbox, open.batch),
                    payment_reference: cheque,
                    payer_name: remitter,
                    payer_account: micr,
                    payee_name: payee,
                    amount: Some(amount),
                    currency: profile.currency.clone(),
                    payment_date: date.or(open.date),
                    method: "CHK".into(),
                    credit: true,
                    booked: true,
                    source_line: line,
                    locator: format!("line {line} (cheque, batch {} item {item})", open.batch),
                    ..Advice::default()
                });
            }
            Rec::Overflow {
                batch: number,
                item,
                sequence,
                invoice,
                amount,
            } => {
                let Some(open) = batch.as_ref() else {
                    return Err(structure(line, "overflow (type 4) outside a batch".into()));
                };
                let Some(advice) = open.advices.last().and_then(|&a| out.advices.get_mut(a)) else {
                    return Err(structure(
                        line,
                        "overflow (type 4) before any cheque of its batch".into(),
                    ));
                };
                let current_item = advice
                    .advice_id
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if item != current_item {
                    return Err(structure(line, format!("overflow for item {item} follows cheque item {current_item} of batch {}", open.batch)));
                }
                if number != open.batch {
                    out.warnings.push(format!("line {line}: overflow says batch {number}, its batch header (line {}) says {}", open.line, open.batch));
                }
                if !sequence.is_empty() {
                    if let Some(first) = sequences.insert(sequence.clone(), line) {
                        return Err(structure(line, format!("overflow sequence {sequence} is used twice for cheque {item} of batch {} (lines {first} and {line})", open.batch)));
                    }
                }
                advice.lines.push(AdviceLine {
                    invoice_reference: invoice,
                    document_type: DocumentType::Invoice,
                    document_code: "4".into(),
                    amount_paid: amount,
                    source_line: line,
                    locator: format!(
                        "line {line} (overflow, batch {} item {item} sequence {sequence})",
                        open.batch
                    ),
                    ..AdviceLine::default()
                });
            }
            Rec::BatchTotal { count, amount } => {
                let Some(open) = batch.take() else {
                    return Err(structure(
                        line,
                        "batch total (type 7) without an open batch".into(),
                    ));
                };
                let at = format!("line {line}");
                let sum =
                    super::checked_sum(open.advices.iter().filter_map(|&a| out.advices[a].amount));
                let mut made = vec![amount_check(
                    &format!("batch {} total = its cheques", open.batch),
                    &at,
                    amount,
                    sum,
                )];
                if let Some(c) = count {
                    made.push(compare(
                        &format!("batch {} count = its cheques", open.batch),
                        &at,
                        c,
                        open.advices.len() as u64,
                    ));
                }
                for check in made {
                    for &a in &open.advices {
                        covering[a].push(out.checks.len());
                    }
                    out.checks.push(check);
                }
            }
            Rec::LockboxTotal { count, amount } => {
                if let Some(open) = &batch {
                    return Err(structure(
                        line,
                        format!(
                            "lockbox total (type 8) while batch {} (line {}) is open",
                            open.batch, open.line
                        ),
                    ));
                }
                let at = format!("line {line}");
                let sum = super::checked_sum(
                    since_lockbox_total
                        .iter()
                        .filter_map(|&a| out.advices[a].amount),
                );
                let mut made = vec![amount_check(
                    "lockbox total = its cheques",
                    &at,
                    amount,
                    sum,
                )];
                if let Some(c) = count {
                    made.push(compare(
                        "lockbox count = its cheques",
                        &at,
                        c,
                        since_lockbox_total.len() as u64,
                    ));
                }
                for check in made {
                    for &a in &since_lockbox_total {
                        covering[a].push(out.checks.len());
                    }
                    out.checks.push(check);
                }
                since_lockbox_total.clear();
            }
            Rec::Trailer { count } => {
                if let Some(open) = &batch {
                    return Err(structure(
                        line,
                        format!(
                            "trailer (type 9) while batch {} (line {}) is open",
                            open.batch, open.line
                        ),
                    ));
                }
                trailer_seen = true;
                if let Some(c) = count {
                    let (counted, what) = match profile.trailer_counts {
                        TrailerCounts::AllRecords => {
                            (total_records, "record count = records in the file")
                        }
                        TrailerCounts::BatchRecords => {
                            (batch_records, "record count = batch records (5, 6, 4, 7)")
                        }
                    };
                    for cover in covering.iter_mut() {
                        cover.push(out.checks.len());
                    }
                    out.checks
                        .push(compare(what, &format!("line {line}"), c, counted));
                }
            }
        }
    }
    if let Some(open) = &batch {
        return Err(error(
            file,
            Location::Line(open.line),
            ErrorKind::Truncated,
            format!(
                "batch {} has no type 7 total: the file is truncated",
                open.batch
            ),
        ));
    }
    if !trailer_seen {
        return Err(error(
            file,
            Location::Line(1),
            ErrorKind::Truncated,
            "no type 9 trailer: the file is truncated".into(),
        ));
    }
    let mut owns = Vec::with_capacity(out.advices.len());
    for (a, advice) in out.advices.iter_mut().enumerate() {
        let own = lines_check(
            "cheque amount = its overflow invoice amounts",
            &advice.locator,
            advice.amount,
            &advice.lines,
        );
        let mut cover: Vec<&ControlCheck> = covering[a].iter().map(|&c| &out.checks[c]).collect();
        cover.push(&own);
        settle_advice(advice, &cover);
        owns.push(own);
    }
    out.checks.extend(owns);
    Ok(out)
}

fn amount_check(name: &str, at: &str, stated: Decimal, sum: Option<Decimal>) -> ControlCheck {
    match sum {
        Some(sum) => compare(name, at, stated, sum),
        None => ControlCheck {
            name: name.to_string(),
            locator: at.to_string(),
            result: crate::BalanceCheck::Fail,
            detail: "the cheque amounts overflow when added".into(),
        },
    }
}
