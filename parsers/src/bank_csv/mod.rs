//! Bank and PSP CSV exports.
//!
//! A CSV file is read through a [`CsvProfile`]: delimiter, number and date
//! format, and which header (or position) holds each field. The profile is
//! chosen by content: the first of [`ParseOptions::csv_profiles`] whose
//! column names all appear in a header row near the top of the file, else the
//! built-in profile ([`builtin_profiles`], embedded TOML files under
//! `bank_csv/profiles/`) matching the most columns, else a
//! headerless built-in whose row width and first row parse. The canonical
//! layout (`CsvProfile::default()`) is the first built-in.
//!
//! The tokenizer is hand-written RFC 4180 (quotes, doubled quotes, embedded
//! newlines, CRLF) over the decoded text, filling one reusable row buffer:
//! one allocation per file, not per field. It is lenient where real exports
//! are sloppy (text after a closing quote is kept) and strict where money is
//! concerned: a malformed amount or date in a transaction row rejects the
//! file with its line and column, and number formats are exact per profile
//! (no guessing between `1.000,00` and `1,000.00`).
//!
//! Rows that are not transactions are never dropped silently: preamble lines
//! before the header, footers, disclaimers and section rows are reported in
//! [`ParsedFile::warnings`] with their line (only for profiles that allow
//! them; the canonical layout rejects them).
//!
//! One [`Statement`] is produced per (account, currency) in order of first
//! appearance, usually one per file. When the profile maps a running balance
//! column, the chain `previous balance + amount = balance` is checked per
//! statement in the profile's row order; opening/closing balance rows
//! (`Saldo;150,00;EUR`, `Balance at start of period`) are checked too.

use crate::amount::{self, currency_exponent, AmountError, Grouping, NumberFormat};
use crate::encoding;
use crate::model::{push_completed, trim_fast, write_line_locator};
use crate::{
    BalanceCheck, CollectTransactions, CsvColumns, CsvProfile, DetailsRef, EntryStatus, ErrorKind,
    Format, Location, ParseError, ParseOptions, ParsedFile, Source, Statement, TransactionRef,
    TransactionSink,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

mod layout;
mod profiles;
mod rows;
mod select;
mod tokenizer;

use layout::*;
pub use profiles::builtin_profiles;
use rows::*;
use select::*;
use tokenizer::*;

const FORMAT_NAME: &str = "bank_csv";

/// How many records from the top are searched for a header row. The
/// longest real preamble (ING DE) is 13 lines.
const HEADER_SEARCH_RECORDS_MAX: usize = 50;

/// Encoding tried for profile detection when a file is not UTF-8; the file is
/// decoded with it only if the matching profile declares it.
const DETECTION_FALLBACK_ENCODING: &str = "windows-1252";

/// How many balance-chain breaks are spelled out in `check_detail`.
const BREAKS_REPORTED_MAX: usize = 5;

/// Parses a bank CSV export.
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
    let decoded = match options.encoding.as_deref() {
        Some(label) => encoding::decode(source.name, Some(FORMAT_NAME), source.bytes, Some(label))?,
        None => match encoding::decode(source.name, Some(FORMAT_NAME), source.bytes, None) {
            Ok(d) => d,
            Err(utf8_error) => {
                let (view, _) = encoding::decode(
                    source.name,
                    Some(FORMAT_NAME),
                    source.bytes,
                    Some(DETECTION_FALLBACK_ENCODING),
                )?;
                // No matching profile, or one that does not declare an
                // encoding: the strict UTF-8 error is the useful one.
                let declared = select_profile(source.name, &view, options)
                    .ok()
                    .and_then(|s| s.profile.encoding);
                match declared {
                    Some(label) => encoding::decode(
                        source.name,
                        Some(FORMAT_NAME),
                        source.bytes,
                        Some(&label),
                    )?,
                    None => return Err(utf8_error),
                }
            }
        },
    };
    let (text, encoding_name) = decoded;
    let selected = select_profile(source.name, &text, options)?;
    let mut file = read_rows(source.name, &text, &selected, options, sink)?;
    file.encoding = encoding_name.to_string();
    Ok(file)
}
