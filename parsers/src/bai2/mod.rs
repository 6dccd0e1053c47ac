//! BAI2 (BAI Cash Management Balance Reporting Specification, version 2).
//!
//! A BAI2 file is a tree: `01` file header, `02` group (one as-of date and
//! originator), `03` account with its balances and summaries, `16` detail
//! records (one per transaction), closed by `49` account, `98` group and `99`
//! file trailers that carry control totals and record counts. `88` records
//! continue the record before them.
//!
//! The reader walks the bytes once. Physical lines are split with `memchr`;
//! each line yields one or more *pieces* (several records may share a line,
//! separated by `/` + spaces + a record code), and pieces are assembled into
//! logical records: a `88` piece, or a line without a record code after a
//! `16`, appends to the record before it. Fields are slices of the input: no
//! field is copied until it lands in a [`crate::StatementTransaction`].
//!
//! Every control total and record count is recomputed in integer minor units
//! and compared; disagreement makes the affected statements
//! [`BalanceCheck::Fail`] with the figures in `check_detail`, because real
//! bank test files are often inconsistent and the caller decides what to do.
//! A structurally broken file (missing trailer, unknown record, malformed
//! amount or date, a limit exceeded) is an `Err` with the line and field.
//!
//! Dialect notes (from the sample corpus, see `FORMATS.md` §1):
//! * `/` ends a record only at the end of a piece; inside 16 or 88 text it is
//!   data (`AB/GS/RPFILERP0001`, `2/AV MAIN`).
//! * 16 text runs to the end of the logical record and may contain commas.
//! * Funds types `V`, `S` and `D` insert extra fields, so no field after the
//!   funds type has a fixed position.
//! * `88` appends *fields* to a 02/03/49/98/99 record (it may split a
//!   type/amount/count/funds group) and *text* to a 16 record once the 16 has
//!   reached its text field.
//! * The value date of a transaction is the funds-type `V` date when given,
//!   otherwise the group as-of date; the booking date is the as-of date.

use crate::amount::currency_exponent;
use crate::encoding;
use crate::model::{push_completed, trim_fast, write_line_locator};
use crate::{
    BalanceCheck, CollectTransactions, DetailsRef, EntryStatus, ErrorKind, Format, Location,
    ParseError, ParseOptions, ParsedFile, Source, Statement, TransactionRef, TransactionSink,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

mod reader;
mod records;
mod text;
mod values;

use reader::*;
use records::*;
use text::*;
use values::*;

const FORMAT_NAME: &str = "bai2";

/// Currency of a group and account that name none: the BAI2 specification
/// (section 3, "Currency Code") defaults to the US dollar.
const DEFAULT_CURRENCY: &str = "USD";

/// Longest digit string accepted for an amount or total. 30 digits keep any
/// sum of `records_max` amounts inside `i128`; real totals have at most 15.
const AMOUNT_DIGITS_MAX: usize = 30;

/// Largest distribution count `n` of funds type `D`. The specification does
/// not bound it; real files use 1 to 5, and a bound keeps a hostile `n` from
/// walking the rest of the file as distribution pairs.
const DISTRIBUTIONS_MAX: u64 = 100;

/// Type codes of detail records that are credits (BAI2 type-code table).
const CREDIT_CODES: std::ops::RangeInclusive<u16> = 100..=399;
/// Type codes of detail records that are debits.
const DEBIT_CODES: std::ops::RangeInclusive<u16> = 400..=699;

/// Parses a BAI2 file into one [`Statement`] per `03` account and one
/// [`crate::StatementTransaction`] per `16` detail record.
pub fn parse(source: &Source<'_>, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    let mut collect = CollectTransactions::default();
    let parsed = parse_into(source, options, &mut collect)?;
    Ok(collect.into_parsed(parsed))
}

/// [`parse`], handing each transaction to `sink` as it is read (see
/// [`crate::parse_source_into`]); the returned file has no transactions.
pub fn parse_into(
    source: &Source<'_>,
    options: &ParseOptions,
    sink: &mut impl TransactionSink,
) -> Result<ParsedFile, ParseError> {
    let (text, encoding_name) = encoding::decode(
        source.name,
        Some(FORMAT_NAME),
        source.bytes,
        options.encoding.as_deref(),
    )?;
    let bytes = text.as_bytes();
    // PERF: one reservation instead of log2(n) regrowths that copy and
    // re-fault the sink's columns (`throughput` in tests/bai2.rs).
    let estimate = estimate_details(bytes).min(options.limits.records_max);
    sink.reserve(usize::try_from(estimate).unwrap_or(0));
    let mut reader = Reader::new(source.name, options, sink);
    let mut start = 0usize;
    let mut line_no = 0u64;
    while start < bytes.len() {
        line_no += 1;
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        // `\n` is ASCII, so both ends are char boundaries.
        let line = text.get(start..end).unwrap_or_default();
        if line.len() > options.limits.line_bytes_max {
            return Err(reader.error(
                Location::Line(line_no),
                ErrorKind::LimitExceeded,
                format!(
                    "line is {} bytes, over the limit of {} bytes (raise `limits.line_bytes_max`)",
                    line.len(),
                    options.limits.line_bytes_max
                ),
            ));
        }
        reader.push_line(line_no, line)?;
        start = end + 1;
    }
    reader.finish(line_no, encoding_name)
}
