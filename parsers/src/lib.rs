//! Streaming readers for the bank statements and receivable extracts that
//! cashmatch ingests.
//!
//! Every format has its own module with one entry point,
//! `parse(&Source, &ParseOptions) -> Result<ParsedFile, ParseError>`. The
//! caller usually goes through [`parse_source`], which detects the format by
//! content (never by file extension) and dispatches.
//!
//! The crate knows nothing about matching: it turns bytes into
//! [`StatementTransaction`] and [`Statement`] records that carry their lineage
//! (file name and line or XML element), and reports each statement's own
//! balance and control-total checks in [`Statement::balance_check`]. A file
//! whose structure is broken is an `Err`; a file that parses but whose totals
//! disagree is an `Ok` with a failed check, so the caller decides.
//!
//! ```
//! use cashmatch_parsers::{parse_source, ParseOptions, Source};
//! let csv = b"account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n\
//! DE01,2026-03-02,2026-03-02,100.00,EUR,ACME GmbH,DE02,INV-1,REF1\n";
//! let parsed = parse_source(&Source::new("bank.csv", csv), &ParseOptions::default()).unwrap();
//! assert_eq!(parsed.transactions.len(), 1);
//! assert_eq!(parsed.transactions[0].amount.to_string(), "100.00");
//! ```
#![deny(unsafe_code)]

pub mod amount;
pub mod bai2;
pub mod bank_csv;
pub mod camt;
pub mod currency;
pub mod detect;
pub mod encoding;
mod error;
#[cfg(feature = "extracts")]
pub mod extracts;
mod model;
pub mod mt940;

pub use detect::detect_format;
pub use error::{ErrorKind, Location, ParseError};
pub use model::*;

use std::path::Path;

/// Parses one input whose format is detected from its content.
pub fn parse_source(source: &Source<'_>, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    if source.bytes.len() as u64 > options.limits.file_bytes_max {
        return Err(ParseError::new(
            source.name,
            None,
            Location::Offset(options.limits.file_bytes_max),
            ErrorKind::LimitExceeded,
            format!(
                "file is {} bytes, over the limit of {} bytes (raise `limits.file_bytes_max`)",
                source.bytes.len(),
                options.limits.file_bytes_max
            ),
        ));
    }
    if source.bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::new(
            source.name,
            None,
            Location::Line(1),
            ErrorKind::Empty,
            "file is empty: a bank statement has at least a header and a trailer".into(),
        ));
    }
    let format = match options.format {
        Some(f) => f,
        None => detect_format(source.bytes).ok_or_else(|| {
            ParseError::new(
                source.name,
                None,
                Location::Line(1),
                ErrorKind::UnknownFormat,
                "content matches no supported format (BAI2, camt.052/053/054, MT940/MT942, bank CSV)"
                    .into(),
            )
        })?,
    };
    let mut parsed = match format {
        Format::Bai2 => bai2::parse(source, options),
        Format::Camt052 | Format::Camt053 | Format::Camt054 => camt::parse(source, options),
        Format::Mt940 | Format::Mt942 => mt940::parse(source, options),
        Format::BankCsv => bank_csv::parse(source, options),
    }?;
    parsed.source_file = source.name.to_string();
    Ok(parsed)
}

/// Reads and parses a file. The file is memory-mapped, so a large statement
/// is paged in by the OS as the parser walks it instead of being copied.
pub fn parse_path(path: &Path, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    let name = path.display().to_string();
    let bytes = read_input(path).map_err(|e| ParseError::io(&name, &e))?;
    parse_source(&Source::new(&name, &bytes), options)
}

/// The bytes of an input file: memory-mapped when large, read when small.
pub enum InputBytes {
    /// A small file, read into memory.
    Read(Vec<u8>),
    /// A large file, mapped read-only.
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for InputBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            InputBytes::Read(v) => v,
            InputBytes::Mapped(m) => m,
        }
    }
}

/// Files below this size are read: a map costs a few system calls and page
/// faults that a small read does not.
const MAP_BYTES_MIN: u64 = 64 * 1024;

/// Opens an input file for parsing and hashing without copying it into the
/// heap when it is large.
///
/// A memory map of a file that another process truncates underneath us is
/// the one hazard of mmap; bank drop folders are written once and renamed
/// into place, and the run hashes exactly the bytes it parsed, so a file
/// changed mid-run shows up as a hash mismatch on replay.
pub fn read_input(path: &Path) -> std::io::Result<InputBytes> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len < MAP_BYTES_MIN {
        return std::fs::read(path).map(InputBytes::Read);
    }
    map_file(&file).map(InputBytes::Mapped)
}

#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and lives only for the duration of the
    // parse; see the note in `parse_path` about concurrent truncation.
    unsafe { memmap2::Mmap::map(file) }
}
