//! Streaming readers for the bank statements and receivable extracts that
//! cashmatch ingests.
//!
//! Every format has its own module with one entry point,
//! `parse(&Source, &ParseOptions) -> Result<ParsedFile, ParseError>`:
//! [`bai2`], [`camt`] (camt.052/053/054), [`mt940`] (MT940/MT942) and
//! [`bank_csv`] (bank and PSP exports, read through built-in or configured
//! [`CsvProfile`]s). The caller usually goes through [`parse_source`] (bytes
//! in memory) or [`parse_path`] (a file), which detect the format by content
//! (never by file extension) and dispatch. [`extracts`] reads the ERP's
//! open-item and customer extracts (feature `extracts`, on by default).
//! [`remittance`] reads remittance advices (X12 820, BAI lockbox, NACHA
//! CTX/CCD+, ISO 20022 remt.001 and camt.054 structured remittance,
//! remittance CSV) into their own model through
//! [`remittance::parse_remittance`], detected by [`detect_remittance`].
//!
//! The crate knows nothing about matching: it turns bytes into
//! [`StatementTransaction`] and [`Statement`] records that carry their lineage
//! (file name and line or XML element), and reports each statement's own
//! balance and control-total checks in [`Statement::balance_check`]. A file
//! whose structure is broken is an `Err` whose [`Location`] names the line,
//! field or element; a file that parses but whose totals disagree is an `Ok`
//! with a failed check, so the caller decides.
//!
//! What every reader shares, so that the rules read the same everywhere:
//! * [`amount`]: the one amount grammar, the amount bound (`|amount| <
//!   10^15` major units, [`amount::AMOUNT_ABS_BOUND`]) and the scale rule
//!   (no more decimals than the currency allows). With the bound, no sum a
//!   reader computes can overflow, and every sum is checked anyway: a
//!   hostile amount is an error, never a panic.
//! * [`currency`]: the ISO 4217 table, current and historic codes with
//!   their minor units.
//! * [`date`]: the one two-digit-year window (1980-2079).
//! * [`encoding`]: strict decoding, UTF-8 unless declared or configured.
//! * [`read_input_limited`]: only regular files, never more than the cap.
//!
//! ```
//! use cashmatch_parsers::{parse_source, BalanceCheck, ErrorKind, ParseOptions, Source};
//!
//! let csv = b"account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n\
//! DE01,2026-03-02,2026-03-02,100.00,EUR,ACME GmbH,DE02,INV-1,REF1\n";
//! let parsed = parse_source(&Source::new("bank.csv", csv), &ParseOptions::default()).unwrap();
//! assert_eq!(parsed.transactions.len(), 1);
//! assert_eq!(parsed.transactions[0].amount.to_string(), "100.00");
//! assert_eq!(parsed.statements[0].balance_check, BalanceCheck::NotCheckable);
//!
//! // An amount with more decimals than its currency allows is never
//! // rounded: the file is refused, naming line and column.
//! let csv = b"account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n\
//! DE01,2026-03-02,2026-03-02,100.005,EUR,ACME GmbH,DE02,INV-1,REF1\n";
//! let err = parse_source(&Source::new("bank.csv", csv), &ParseOptions::default()).unwrap_err();
//! assert_eq!(err.kind, ErrorKind::InvalidAmount);
//! assert!(err.to_string().starts_with("bank_csv file `bank.csv`, line 2, column 4:"));
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod amount;
pub mod bai2;
pub mod bank_csv;
pub mod camt;
pub mod currency;
pub mod date;
pub mod detect;
pub mod encoding;
mod error;
#[cfg(feature = "extracts")]
pub mod extracts;
mod model;
pub mod mt940;
pub mod remittance;

pub use detect::{detect_format, detect_remittance};
pub use error::{ErrorKind, Location, ParseError};
#[cfg(feature = "extracts")]
pub use extracts::{CustomerRow, ExtractError, ExtractOptions, OpenItemRow, RowIssue};
pub use model::*;

use std::path::Path;

/// Parses one input whose format is detected from its content.
pub fn parse_source(source: &Source<'_>, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    let mut collect = CollectTransactions::default();
    let parsed = parse_source_into(source, options, &mut collect)?;
    Ok(collect.into_parsed(parsed))
}

/// [`parse_source`], handing each transaction to `sink` as it is read
/// instead of keeping owned records: the returned [`ParsedFile`] has the
/// statements, warnings, format and encoding, and no transactions or
/// details (the sink has them). On `Err`, whatever the sink received is
/// part of a refused file and must be dropped.
pub fn parse_source_into(
    source: &Source<'_>,
    options: &ParseOptions,
    sink: &mut impl TransactionSink,
) -> Result<ParsedFile, ParseError> {
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
        Format::Bai2 => bai2::parse_into(source, options, sink),
        Format::Camt052 | Format::Camt053 | Format::Camt054 => {
            camt::parse(source, options).map(|mut p| {
                model::replay(&mut p, sink);
                p
            })
        }
        Format::Mt940 | Format::Mt942 => mt940::parse(source, options).map(|mut p| {
            model::replay(&mut p, sink);
            p
        }),
        Format::BankCsv => bank_csv::parse_into(source, options, sink),
    }?;
    parsed.source_file = source.name.to_string();
    Ok(parsed)
}

/// Reads and parses a file. A large file is memory-mapped, so it is paged
/// in by the OS as the parser walks it instead of being copied; only a
/// regular file is read, and never more than `options.limits.file_bytes_max`
/// bytes (see [`read_input_limited`]).
pub fn parse_path(path: &Path, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    let name = path.display().to_string();
    let bytes = read_input_limited(path, options.limits.file_bytes_max)
        .map_err(|e| ParseError::io(&name, &e))?;
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

/// [`read_input_limited`] with the default cap,
/// [`Limits::default`]`.file_bytes_max`.
pub fn read_input(path: &Path) -> std::io::Result<InputBytes> {
    read_input_limited(path, Limits::default().file_bytes_max)
}

/// Opens an input file for parsing and hashing without copying it into the
/// heap when it is large, and without ever reading more than `bytes_max`.
///
/// Only a regular file is read (RELIABILITY B1-5): a FIFO, a socket or a
/// device such as `/dev/zero` is refused with
/// [`std::io::ErrorKind::InvalidInput`] before any byte is read, because it
/// could block the run forever or feed it endless bytes. The path is checked
/// before it is opened (opening a FIFO for reading blocks until a writer
/// comes), it is opened non-blocking, and the opened handle is checked again,
/// so a file swapped in between is caught too. A file over `bytes_max` is
/// refused the same way; a small file is read with a bound of one byte
/// over `bytes_max`, so a file that grows while it is read is refused rather
/// than read without end.
///
/// A memory map of a file that another process truncates underneath us is
/// the one hazard of mmap; bank drop folders are written once and renamed
/// into place, and the run hashes exactly the bytes it parsed, so a file
/// changed mid-run shows up as a hash mismatch on replay.
pub fn read_input_limited(path: &Path, bytes_max: u64) -> std::io::Result<InputBytes> {
    read_regular_file(path, bytes_max, "limits.file_bytes_max")
}

/// [`read_input_limited`], naming `setting` as the cap to raise.
pub(crate) fn read_regular_file(
    path: &Path,
    bytes_max: u64,
    setting: &str,
) -> std::io::Result<InputBytes> {
    use std::io::Read as _;
    refuse_special(&std::fs::metadata(path)?)?;
    let file = open_nonblocking(path)?;
    let metadata = file.metadata()?;
    refuse_special(&metadata)?;
    let len = metadata.len();
    if len > bytes_max {
        return Err(over_limit(len, bytes_max, setting));
    }
    if len < MAP_BYTES_MIN {
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        // The bound holds even if the file grows after the size check.
        file.take(bytes_max.saturating_add(1))
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > bytes_max {
            return Err(over_limit(bytes.len() as u64, bytes_max, setting));
        }
        return Ok(InputBytes::Read(bytes));
    }
    map_file(&file).map(InputBytes::Mapped)
}

fn refuse_special(metadata: &std::fs::Metadata) -> std::io::Result<()> {
    if metadata.is_file() {
        return Ok(());
    }
    let what = if metadata.is_dir() {
        "a directory"
    } else {
        special_kind(metadata)
    };
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("not a regular file ({what}); only regular files are read"),
    ))
}

#[cfg(unix)]
fn special_kind(metadata: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    let t = metadata.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_metadata: &std::fs::Metadata) -> &'static str {
    "a special file"
}

/// Opens for reading without blocking: a FIFO swapped in after the path was
/// checked must not hang the open (the handle is then checked and refused).
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

fn over_limit(len: u64, bytes_max: u64, setting: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "file is {len} bytes or more, over the limit of {bytes_max} bytes (raise `{setting}`)"
        ),
    )
}

#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the map is read-only and lives only for the duration of the
    // parse; see the note in `read_input_limited` about concurrent
    // truncation.
    unsafe { memmap2::Mmap::map(file) }
}
