//! Allocation-free CSV writing: one reusable record buffer per file, amounts
//! and dates formatted by hand, RFC 4180 quoting only where a field needs it.
//!
//! PERF: `generate` writes ~4 rows per payment; formatting through `Display`
//! for `Decimal`/`NaiveDate` and a `String` per field cost more than the rest
//! of the generator together (measured with the 1M × 1M run in the README).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Size of each file's write buffer: large enough that the OS sees few, big writes.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

/// Appends `amount` with exactly two decimals and `.` as separator.
///
/// Panics if `amount` carries more than two decimals: the generator only ever
/// produces cents, so more would be a bug upstream, not something to round away.
pub(crate) fn push_amount(out: &mut Vec<u8>, amount: Decimal) {
    assert!(
        amount.scale() <= 2,
        "amount {amount} has more than 2 decimals"
    );
    let mut cents = amount;
    cents.rescale(2);
    let mantissa = cents.mantissa();
    if mantissa < 0 {
        out.push(b'-');
    }
    let magnitude = mantissa.unsigned_abs();
    push_u128(out, magnitude / 100);
    out.push(b'.');
    let fraction = (magnitude % 100) as u8;
    out.push(b'0' + fraction / 10);
    out.push(b'0' + fraction % 10);
}

/// Appends an unsigned integer in decimal.
pub(crate) fn push_u128(out: &mut Vec<u8>, value: u128) {
    push_padded_u128(out, value, 1);
}

/// Appends `value` zero-padded to at least `width` digits.
pub(crate) fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    push_padded_u128(out, u128::from(value), width);
}

fn push_padded_u128(out: &mut Vec<u8>, mut value: u128, width: usize) {
    // Digits are produced right to left into a stack buffer; u128::MAX has 39.
    let mut digits = [b'0'; 40];
    let mut start = digits.len();
    while value > 0 {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    let width = width.min(digits.len());
    start = start.min(digits.len() - width);
    out.extend_from_slice(&digits[start..]);
}

/// Appends an ISO 8601 date (`YYYY-MM-DD`).
pub(crate) fn push_date(out: &mut Vec<u8>, date: NaiveDate) {
    push_padded(out, date.year() as u64, 4);
    out.push(b'-');
    push_padded(out, u64::from(date.month()), 2);
    out.push(b'-');
    push_padded(out, u64::from(date.day()), 2);
}

/// A CSV file being written to `<path>.tmp`, renamed into place by [`CsvFile::commit`].
pub(crate) struct CsvFile {
    out: BufWriter<File>,
    tmp_path: PathBuf,
    final_path: PathBuf,
    /// The record under construction; reused for every row.
    record: Vec<u8>,
    /// Whether the record has a field yet (decides the `,` separator).
    record_open: bool,
    rows: u64,
}

impl CsvFile {
    /// Creates `<dir>/<name>.tmp` and writes the header line.
    pub(crate) fn create(dir: &Path, name: &str, header: &str) -> io::Result<CsvFile> {
        let final_path = dir.join(name);
        let tmp_path = dir.join(format!("{name}.tmp"));
        let file = File::create(&tmp_path)?;
        let mut out = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
        out.write_all(header.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(CsvFile {
            out,
            tmp_path,
            final_path,
            record: Vec::with_capacity(512),
            record_open: false,
            rows: 0,
        })
    }

    fn separator(&mut self) {
        if self.record_open {
            self.record.push(b',');
        }
        self.record_open = true;
    }

    /// Adds a text field, quoting it when it holds a comma, quote or line break.
    pub(crate) fn text(&mut self, value: &[u8]) -> &mut Self {
        self.separator();
        let needs_quotes = value
            .iter()
            .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
        if needs_quotes {
            self.record.push(b'"');
            for &b in value {
                if b == b'"' {
                    self.record.push(b'"');
                }
                self.record.push(b);
            }
            self.record.push(b'"');
        } else {
            self.record.extend_from_slice(value);
        }
        self
    }

    /// Adds an amount with two decimals (never quoted).
    pub(crate) fn amount(&mut self, value: Decimal) -> &mut Self {
        self.separator();
        push_amount(&mut self.record, value);
        self
    }

    /// Adds an ISO date.
    pub(crate) fn date(&mut self, value: NaiveDate) -> &mut Self {
        self.separator();
        push_date(&mut self.record, value);
        self
    }

    /// Adds an unsigned integer.
    pub(crate) fn uint(&mut self, value: u64) -> &mut Self {
        self.separator();
        push_u128(&mut self.record, u128::from(value));
        self
    }

    /// Adds an empty field.
    pub(crate) fn empty(&mut self) -> &mut Self {
        self.separator();
        self
    }

    /// Ends the record and hands it to the buffered writer.
    pub(crate) fn end_row(&mut self) -> io::Result<()> {
        self.record.push(b'\n');
        self.out.write_all(&self.record)?;
        self.record.clear();
        self.record_open = false;
        self.rows += 1;
        Ok(())
    }

    /// Data rows written so far (the header not counted).
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and fsyncs the temporary file. After this the file is durable
    /// but still under its `.tmp` name.
    pub(crate) fn finish(self) -> io::Result<PendingRename> {
        // Flush explicitly: BufWriter's Drop would swallow a write error
        // (rust-lang/rust #32677).
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(PendingRename {
            tmp_path: self.tmp_path,
            final_path: self.final_path,
        })
    }
}

/// Writes `bytes` durably to `<dir>/<name>.tmp`, to be renamed into place.
pub(crate) fn write_pending(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PendingRename> {
    let final_path = dir.join(name);
    let tmp_path = dir.join(format!("{name}.tmp"));
    let mut file = File::create(&tmp_path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(PendingRename {
        tmp_path,
        final_path,
    })
}

/// A durable `.tmp` file waiting to be renamed to its final name.
pub(crate) struct PendingRename {
    tmp_path: PathBuf,
    final_path: PathBuf,
}

impl PendingRename {
    /// Renames the file into place; a reader sees the old file or the new one,
    /// never half of one.
    pub(crate) fn commit(self) -> io::Result<()> {
        std::fs::rename(&self.tmp_path, &self.final_path)
    }
}

/// Fsyncs a directory so that renames inside it survive a crash. A no-op
/// where directories cannot be opened for syncing.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn amount(s: &str) -> String {
        let mut out = Vec::new();
        push_amount(&mut out, Decimal::from_str(s).unwrap());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn amounts_always_have_two_decimals() {
        assert_eq!(amount("0"), "0.00");
        assert_eq!(amount("1000"), "1000.00");
        assert_eq!(amount("12.5"), "12.50");
        assert_eq!(amount("0.07"), "0.07");
        assert_eq!(amount("-3.10"), "-3.10");
        assert_eq!(amount("123456789012.34"), "123456789012.34");
    }

    #[test]
    #[should_panic(expected = "more than 2 decimals")]
    fn amounts_with_sub_cent_digits_are_a_bug() {
        amount("1.005");
    }

    #[test]
    fn dates_and_padding() {
        let mut out = Vec::new();
        push_date(&mut out, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        out.push(b' ');
        push_padded(&mut out, 123, 6);
        out.push(b' ');
        push_padded(&mut out, 1234567, 6);
        assert_eq!(out, b"2026-03-01 000123 1234567");
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let dir = std::env::temp_dir().join(format!("cm-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut f = CsvFile::create(&dir, "t.csv", "a,b,c").unwrap();
        f.text(b"plain").text(b"a, b").text(b"say \"hi\"");
        f.end_row().unwrap();
        f.finish().unwrap().commit().unwrap();
        let text = std::fs::read_to_string(dir.join("t.csv")).unwrap();
        assert_eq!(text, "a,b,c\nplain,\"a, b\",\"say \"\"hi\"\"\"\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
