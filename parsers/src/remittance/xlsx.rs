//! Remittance spreadsheets saved as XLSX (Office Open XML workbooks), read
//! with [`calamine`] through the same [`RemittanceCsvLayout`]s as the CSV
//! ([`super::csv`]): a worksheet is read when its first non-empty row holds
//! every column a layout maps (the first such sheet and layout). Its rows
//! then become advice lines exactly as the CSV rows do.
//!
//! A workbook stores typed cells: text cells go through the layout's number
//! and date formats like CSV cells; numbers are taken from their shortest
//! decimal form (what the customer typed: `1234.56` stays `1234.56`, never
//! rounded; a value with more decimals than its currency allows is refused
//! like a CSV amount), and date cells are dates whatever the layout's date
//! format. Errors name the file, the sheet, the row and the column (letter
//! and header).
//!
//! Detected by content: a ZIP archive (`PK\x03\x04`) that holds
//! `xl/workbook.xml`.

use super::csv::{column_letters, parse_rows, Cell, RemittanceCsvLayout, RowSource};
use super::{ParsedRemittance, RemittanceOptions};
use crate::{ErrorKind, Location, ParseError, Source};
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::io::Cursor;

const FORMAT_NAME: &str = "remittance_xlsx";

/// Rows looked at for the header row (a title or blank rows may come first).
const HEADER_ROWS_MAX: usize = 20;

/// True when `bytes` look like an XLSX workbook: a ZIP archive whose
/// directory names `xl/workbook.xml`.
pub fn looks_like_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") && memchr::memmem::find(bytes, b"xl/workbook.xml").is_some()
}

/// One cell as the layout reads it; `Err` says why it cannot be.
fn cell(data: &Data) -> Result<Cell, String> {
    Ok(match data {
        Data::Empty => Cell::Text(String::new()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        Data::Int(i) => Cell::Number(Decimal::from(*i)),
        Data::Float(f) => Cell::Number(number(*f)?),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            Cell::Date(
                NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                    .ok_or_else(|| format!("date cell {y}-{m:02}-{d:02} does not exist"))?,
            )
        }
        Data::DateTime(dt) => Cell::Number(number(dt.as_f64())?),
        Data::Error(e) => return Err(format!("the cell holds the error {e}")),
    })
}

/// A stored number as the decimal it was typed as: the shortest text that
/// reads back as the same double, parsed exactly.
fn number(f: f64) -> Result<Decimal, String> {
    if !f.is_finite() {
        return Err(format!("the number {f} is not finite"));
    }
    let text = format!("{f}");
    text.parse::<Decimal>()
        .map_err(|_| format!("the number {text} is too large for an amount"))
}

/// Reads a remittance XLSX.
pub fn parse(
    source: &Source<'_>,
    options: &RemittanceOptions,
) -> Result<ParsedRemittance, ParseError> {
    let err = |location: Location, kind: ErrorKind, message: String| {
        ParseError::new(source.name, Some(FORMAT_NAME), location, kind, message)
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(source.bytes)).map_err(|e| {
        err(
            Location::Offset(0),
            ErrorKind::Structure,
            format!("not a readable XLSX workbook: {e}"),
        )
    })?;
    let mut seen = Vec::new();
    for sheet in book.sheet_names() {
        let range = book.worksheet_range(&sheet).map_err(|e| {
            err(
                Location::Offset(0),
                ErrorKind::Structure,
                format!("sheet `{sheet}` cannot be read: {e}"),
            )
        })?;
        let Some((row0, col0)) = range.start() else {
            seen.push(format!("`{sheet}` (empty)"));
            continue;
        };
        // Cells before the used range's first column count as empty.
        let pad = col0 as usize;
        let texts = |row: &[Data]| -> Vec<String> {
            std::iter::repeat_n(String::new(), pad)
                .chain(row.iter().map(|d| match cell(d) {
                    Ok(c) => match c {
                        Cell::Text(t) => t.trim().to_string(),
                        Cell::Number(n) => n.normalize().to_string(),
                        Cell::Date(d) => d.to_string(),
                    },
                    Err(_) => String::new(),
                }))
                .collect()
        };
        let Some((header_at, header, layout)) = range
            .rows()
            .enumerate()
            .take(HEADER_ROWS_MAX)
            .find_map(|(k, row)| {
                let header = texts(row);
                matching(&header, &options.csv_layouts).map(|l| (k, header, l))
            })
        else {
            let first = range
                .rows()
                .find(|r| r.iter().any(|d| !matches!(d, Data::Empty)))
                .map(|r| {
                    texts(r)
                        .into_iter()
                        .filter(|h| !h.is_empty())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            seen.push(format!("`{sheet}` (header: {first})"));
            continue;
        };
        layout
            .validate()
            .map_err(|m| err(Location::Line(1), ErrorKind::Structure, m))?;
        let rows = range
            .rows()
            .enumerate()
            .skip(header_at + 1)
            .filter(|(_, row)| row.iter().any(|d| !matches!(d, Data::Empty)))
            .map(|(k, row)| {
                let line = u64::from(row0) + k as u64 + 1;
                let mut cells: Vec<Cell> =
                    std::iter::repeat_n(Cell::Text(String::new()), pad).collect();
                for (c, d) in row.iter().enumerate() {
                    let at = pad + c;
                    cells.push(cell(d).map_err(|m| {
                        err(
                            Location::LineColumn(line, at as u64 + 1),
                            ErrorKind::Structure,
                            format!(
                                "sheet `{sheet}`, row {line}, column {}: {m}",
                                column_letters(at)
                            ),
                        )
                    })?);
                }
                Ok((line, cells))
            });
        let from = RowSource {
            format_name: FORMAT_NAME,
            sheet: Some(&sheet),
            header,
            encoding: "UTF-8".into(),
        };
        return parse_rows(source, options, layout, &from, rows);
    }
    Err(err(
        Location::Line(1),
        ErrorKind::MissingField,
        format!(
            "no sheet has a header row (in its first {HEADER_ROWS_MAX} rows) holding every column of a remittance layout (configure `[[remittance.csv_layouts]]`); sheets: {}",
            seen.join("; ")
        ),
    ))
}

/// The first layout whose mapped columns all appear in `header`.
fn matching<'a>(
    header: &[String],
    layouts: &'a [RemittanceCsvLayout],
) -> Option<&'a RemittanceCsvLayout> {
    layouts
        .iter()
        .find(|l| l.mapped().iter().all(|m| header.iter().any(|h| h == m)))
}
