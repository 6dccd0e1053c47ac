//! Receivable extracts from the ERP: open items and customer master data, as
//! CSV (any delimiter, decimal comma, Latin-1 when configured) or Parquet.
//!
//! polars does the tabular heavy lifting (quoting, dialects, Parquet
//! decoding, column projection); every value is then converted here with a
//! strict grammar, so a malformed amount is an error naming the file, the
//! data row, the column and the setting to change, never a silently
//! different number.
//!
//! Amounts are read with the one amount grammar of [`crate::amount`], in the
//! number format the extract's [`ExtractOptions`] declare: decimal mark,
//! grouping separator, SAP's trailing minus, accounting parentheses
//! (RELIABILITY B1-10). A row whose amount has more decimals than its
//! currency allows, or whose currency is not in the ISO 4217 table, is kept
//! and marked with a [`RowIssue`] so the caller can report it and leave the
//! invoice unmatched (RELIABILITY B1-11).

use crate::amount::{self, AmountError, Grouping, NumberFormat};
use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

/// Canonical open-item columns; the first eight are required.
/// `company_code` (legal entity) is read as text, so `0100` stays `0100`
/// in a CSV (a Parquet extract that stores it as a number has already
/// lost its leading zeros: store it as text there).
pub const OPEN_ITEM_COLUMNS: [&str; 12] = [
    "invoice_id",
    "customer_id",
    "customer_name",
    "currency",
    "amount_open",
    "amount_original",
    "invoice_date",
    "due_date",
    "discount_percent",
    "discount_days",
    "po_number",
    "company_code",
];
const OPEN_ITEM_REQUIRED: usize = 8;

/// Canonical customer columns; the first three are required.
pub const CUSTOMER_COLUMNS: [&str; 6] = [
    "customer_id",
    "name",
    "bank_accounts",
    "aliases",
    "segment",
    "parent_id",
];
const CUSTOMER_REQUIRED: usize = 3;

/// Default of [`ExtractOptions::file_bytes_max`]: 2 GiB. A full SAP open-item
/// extract of ten million invoices is about 1.5 GB of CSV; anything larger
/// is not an extract of receivables but a mistake (a wrong file, a device).
pub const EXTRACT_BYTES_MAX_DEFAULT: u64 = 2 << 30;

/// How to read one extract; the CLI's `[open_items]` and `[customers]`
/// configuration sections deserialize into it.
///
/// The number format is strict and opt-in: by default an amount is
/// `-1234.56`, and every other form (`1.234,56`, `150,00-`, `(150.00)`) is
/// an error that names the setting to change. Nothing is guessed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractOptions {
    /// Canonical column name → the extract's column name.
    pub columns: BTreeMap<String, String>,
    /// CSV delimiter as a one-character string.
    pub delimiter: String,
    /// Amounts written `1234,56`.
    pub decimal_comma: bool,
    /// Grouping separator allowed in amounts: `.`, `,`, `'` or a space
    /// (`" "`, which also accepts the no-break space U+00A0 and the narrow
    /// no-break space U+202F that spreadsheets write). Groups must be of
    /// three digits: `1.23,45` is an error, never `123.45`.
    pub thousands_separator: Option<String>,
    /// A negative may be written with a trailing minus, as SAP does
    /// (`150,00-`).
    pub trailing_minus: bool,
    /// A negative may be written in parentheses, as accounting exports do
    /// (`(150.00)`).
    pub negative_parentheses: bool,
    /// chrono format of the date columns.
    pub date_format: String,
    /// WHATWG encoding label for CSV (`windows-1252`); UTF-8 when absent.
    pub encoding: Option<String>,
    /// Largest extract file read, in bytes (default
    /// [`EXTRACT_BYTES_MAX_DEFAULT`], 2 GiB). A larger file, or anything
    /// that is not a regular file, is refused before it is read.
    pub file_bytes_max: u64,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            columns: BTreeMap::new(),
            delimiter: ",".into(),
            decimal_comma: false,
            thousands_separator: None,
            trailing_minus: false,
            negative_parentheses: false,
            date_format: "%Y-%m-%d".into(),
            encoding: None,
            file_bytes_max: EXTRACT_BYTES_MAX_DEFAULT,
        }
    }
}

impl ExtractOptions {
    /// The number format these options declare, or an error naming the
    /// setting when `thousands_separator` is not a grouping separator or
    /// equals the decimal mark.
    pub fn number_format(&self) -> Result<NumberFormat, String> {
        let decimal = if self.decimal_comma { ',' } else { '.' };
        let grouping = match self.thousands_separator.as_deref() {
            None | Some("") => None,
            Some(g) => Some(Grouping::from_setting(g).ok_or_else(|| {
                format!("thousands_separator = {g:?} is not one of \".\", \",\", \"'\" or \" \"")
            })?),
        };
        if grouping.map(Grouping::as_char) == Some(decimal) {
            return Err(format!(
                "thousands_separator = \"{decimal}\" is also the decimal mark (decimal_comma = {})",
                self.decimal_comma
            ));
        }
        Ok(NumberFormat {
            decimal,
            grouping,
            dollar_sign: false,
            trailing_minus: self.trailing_minus,
            parentheses: self.negative_parentheses,
        })
    }
}

/// A problem with an extract: names the file, the data row (1-based, header
/// excluded) and the column, and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("extract `{file}`{}: {message}", location(.row, .column))]
pub struct ExtractError {
    /// The extract's name as given.
    pub file: String,
    /// 1-based data row (header excluded), when the problem is in a row.
    pub row: Option<u64>,
    /// The extract's column name, when the problem is in a column.
    pub column: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Why an extract row is kept but must not be matched (RELIABILITY B1-11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowIssue {
    /// An amount has more decimals than the currency allows.
    InvalidScale {
        /// Canonical column (`amount_open`, `amount_original`).
        column: &'static str,
        /// What is wrong, naming the value, the currency and its minor unit.
        detail: String,
    },
    /// The currency is not in the ISO 4217 table.
    UnknownCurrency {
        /// What is wrong, naming the code.
        detail: String,
    },
}

fn location(row: &Option<u64>, column: &Option<String>) -> String {
    match (row, column) {
        (Some(r), Some(c)) => format!(", data row {r} (line {}), column `{c}`", r + 1),
        (None, Some(c)) => format!(", column `{c}`"),
        (Some(r), None) => format!(", data row {r}"),
        (None, None) => String::new(),
    }
}

/// One open item as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItemRow {
    /// The ERP's invoice (document) number.
    pub invoice_id: String,
    /// The ERP's customer (debtor) number.
    pub customer_id: String,
    /// Customer name as the extract gives it; empty when absent.
    pub customer_name: String,
    /// Three capital letters; see [`OpenItemRow::issue`] for codes not in
    /// the ISO 4217 table.
    pub currency: String,
    /// Amount still open, signed (a credit note is negative).
    pub amount_open: Decimal,
    /// Amount originally invoiced.
    pub amount_original: Decimal,
    /// Invoice (document) date.
    pub invoice_date: Option<NaiveDate>,
    /// Due date (net).
    pub due_date: Option<NaiveDate>,
    /// Cash discount in percent, when the terms give one.
    pub discount_percent: Option<Decimal>,
    /// Days after the invoice date within which the discount applies.
    pub discount_days: Option<u32>,
    /// The customer's purchase order number.
    pub po_number: Option<String>,
    /// Legal entity (company code) as text, when the extract has it.
    pub company_code: Option<String>,
    /// 1-based data row.
    pub row: u64,
    /// Set when the row is kept but must not be matched.
    pub issue: Option<RowIssue>,
}

/// One customer as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    /// The ERP's customer (debtor) number.
    pub customer_id: String,
    /// Customer name; empty when absent.
    pub name: String,
    /// Bank accounts (IBANs or local numbers), `;`-separated in the extract.
    pub bank_accounts: Vec<String>,
    /// Other names the customer pays under, `;`-separated in the extract.
    pub aliases: Vec<String>,
    /// Free-form customer segment.
    pub segment: Option<String>,
    /// The parent company's customer id, for a subsidiary (optional column).
    pub parent_id: Option<String>,
    /// 1-based data row.
    pub row: u64,
}

/// Reads an open-item extract (CSV or Parquet, by content).
pub fn read_open_items(
    path: &Path,
    options: &ExtractOptions,
) -> Result<Vec<OpenItemRow>, ExtractError> {
    let name = path.display().to_string();
    let bytes = read_extract(path, options)?;
    read_open_items_from_bytes(&name, &bytes, options)
}

/// Reads the bytes of an extract file: only a regular file, and never more
/// than [`ExtractOptions::file_bytes_max`] bytes (RELIABILITY B1-5). A
/// FIFO, a device or an oversized file is an error naming the setting.
pub fn read_extract(path: &Path, options: &ExtractOptions) -> Result<Vec<u8>, ExtractError> {
    let name = path.display().to_string();
    let setting = "file_bytes_max` in the extract's section, `[open_items]` or `[customers]";
    match crate::read_regular_file(path, options.file_bytes_max, setting) {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(e) => Err(err(&name, None, None, format!("cannot read file: {e}"))),
    }
}

fn check_size(name: &str, bytes: &[u8], options: &ExtractOptions) -> Result<(), ExtractError> {
    if bytes.len() as u64 > options.file_bytes_max {
        return Err(err(
            name,
            None,
            None,
            format!(
                "file is {} bytes, over the limit of {} bytes (raise `file_bytes_max` in this extract's section, `[open_items]` or `[customers]`)",
                bytes.len(),
                options.file_bytes_max
            ),
        ));
    }
    Ok(())
}

/// Reads an open-item extract held in memory (the bundled demo set).
pub fn read_open_items_from_bytes(
    name: &str,
    bytes: &[u8],
    options: &ExtractOptions,
) -> Result<Vec<OpenItemRow>, ExtractError> {
    let parts = read_open_items_parts_from_bytes(name, bytes, options)?;
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        out.extend(part);
    }
    Ok(out)
}

/// Rows converted per task: large enough that a task's overhead is lost in
/// it, small enough that a part's rows are freed soon after they are read.
const ROWS_PER_PART: usize = 64 * 1024;

/// [`read_open_items_from_bytes`] in parts of consecutive rows, in file
/// order, converted in parallel: a caller that moves the rows on (into a
/// column store) frees each part as it goes instead of holding every row
/// twice. The error is that of the first bad row in file order, as when the
/// rows are read one after another (each part stops at its first bad row,
/// and the parts are looked at in order).
pub fn read_open_items_parts_from_bytes(
    name: &str,
    bytes: &[u8],
    options: &ExtractOptions,
) -> Result<Vec<Vec<OpenItemRow>>, ExtractError> {
    check_size(name, bytes, options)?;
    let table = Table::load(name, bytes, options, &OPEN_ITEM_COLUMNS, OPEN_ITEM_REQUIRED)?;
    let cols = OpenItemColumns::of(&table);
    let starts: Vec<usize> = (0..table.rows).step_by(ROWS_PER_PART).collect();
    let parts: Vec<Result<Vec<OpenItemRow>, ExtractError>> = starts
        .into_par_iter()
        .map(|start| {
            let end = (start + ROWS_PER_PART).min(table.rows);
            (start..end)
                .map(|r| open_item_row(&table, &cols, r))
                .collect()
        })
        .collect();
    parts.into_iter().collect()
}

/// The open-item extract's columns, looked up once instead of per field
/// and row.
struct OpenItemColumns<'t> {
    invoice_id: Option<&'t StringChunked>,
    customer_id: Option<&'t StringChunked>,
    customer_name: Option<&'t StringChunked>,
    currency: Option<&'t StringChunked>,
    amount_open: Option<&'t StringChunked>,
    amount_original: Option<&'t StringChunked>,
    invoice_date: Option<&'t StringChunked>,
    due_date: Option<&'t StringChunked>,
    discount_percent: Option<&'t StringChunked>,
    discount_days: Option<&'t StringChunked>,
    po_number: Option<&'t StringChunked>,
    company_code: Option<&'t StringChunked>,
}

impl<'t> OpenItemColumns<'t> {
    fn of(table: &'t Table<'_>) -> Self {
        let c = |canon: &str| table.columns.get(canon).map(|(_, col)| col);
        OpenItemColumns {
            invoice_id: c("invoice_id"),
            customer_id: c("customer_id"),
            customer_name: c("customer_name"),
            currency: c("currency"),
            amount_open: c("amount_open"),
            amount_original: c("amount_original"),
            invoice_date: c("invoice_date"),
            due_date: c("due_date"),
            discount_percent: c("discount_percent"),
            discount_days: c("discount_days"),
            po_number: c("po_number"),
            company_code: c("company_code"),
        }
    }
}

fn open_item_row(
    table: &Table<'_>,
    c: &OpenItemColumns<'_>,
    r: usize,
) -> Result<OpenItemRow, ExtractError> {
    let row = r as u64 + 1;
    let amount_open = table
        .amount_in(c.amount_open, r, "amount_open")?
        .ok_or_else(|| table.missing(r, "amount_open"))?;
    let amount_original = table
        .amount_in(c.amount_original, r, "amount_original")?
        .ok_or_else(|| table.missing(r, "amount_original"))?;
    let currency = table.required_in(c.currency, r, "currency")?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(table.bad(
            r,
            "currency",
            format!("`{currency}` is not an ISO 4217 code (three capital letters)"),
        ));
    }
    let issue = row_issue(table, &currency, amount_open, amount_original);
    let discount_days = match cell(c.discount_days, r) {
        Some(t) => Some(t.parse::<u32>().map_err(|_| {
            table.bad(
                r,
                "discount_days",
                format!("`{t}` is not a whole number of days"),
            )
        })?),
        None => None,
    };
    Ok(OpenItemRow {
        invoice_id: table.required_in(c.invoice_id, r, "invoice_id")?,
        customer_id: table.required_in(c.customer_id, r, "customer_id")?,
        customer_name: cell(c.customer_name, r).unwrap_or_default().to_string(),
        currency,
        amount_open,
        amount_original,
        invoice_date: table.date_in(c.invoice_date, r, "invoice_date")?,
        due_date: table.date_in(c.due_date, r, "due_date")?,
        discount_percent: table.amount_in(c.discount_percent, r, "discount_percent")?,
        discount_days,
        po_number: cell(c.po_number, r).map(str::to_string),
        company_code: cell(c.company_code, r).map(str::to_string),
        row,
        issue,
    })
}

/// A cell's text, trimmed; `None` when the column is absent or the cell is
/// empty or null.
fn cell(col: Option<&StringChunked>, r: usize) -> Option<&str> {
    col?.get(r).map(str::trim).filter(|s| !s.is_empty())
}

/// RELIABILITY B1-11: an unknown currency, or an amount with more decimals
/// than the currency allows, keeps the row but marks it (EXCEPTION-RECORD
/// `INVALID_SCALE`), so one bad invoice does not abort the run and is never
/// matched with a rounded amount. An unknown currency comes first: its
/// minor unit, and so the scale rule, is unknown.
fn row_issue(
    table: &Table<'_>,
    currency: &str,
    amount_open: Decimal,
    amount_original: Decimal,
) -> Option<RowIssue> {
    let Some(known) = crate::currency::lookup(currency) else {
        return Some(RowIssue::UnknownCurrency {
            detail: format!("`{currency}` is not an ISO 4217 currency code (current or historic)"),
        });
    };
    let exponent = known.minor_units;
    [
        ("amount_open", amount_open),
        ("amount_original", amount_original),
    ]
    .into_iter()
    .find(|&(_, value)| amount::has_excess_scale(value, exponent))
    .map(|(column, value)| RowIssue::InvalidScale {
        column,
        detail: format!(
            "column `{}`: {value} has more decimals than {currency} allows ({exponent})",
            table.source_name(column)
        ),
    })
}

/// Reads a customer master extract (CSV or Parquet).
pub fn read_customers(
    path: &Path,
    options: &ExtractOptions,
) -> Result<Vec<CustomerRow>, ExtractError> {
    let name = path.display().to_string();
    let bytes = read_extract(path, options)?;
    read_customers_from_bytes(&name, &bytes, options)
}

/// Reads a customer master extract held in memory.
pub fn read_customers_from_bytes(
    name: &str,
    bytes: &[u8],
    options: &ExtractOptions,
) -> Result<Vec<CustomerRow>, ExtractError> {
    check_size(name, bytes, options)?;
    let table = Table::load(name, bytes, options, &CUSTOMER_COLUMNS, CUSTOMER_REQUIRED)?;
    let split = |s: Option<&str>| -> Vec<String> {
        s.map(|s| {
            s.split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
    };
    (0..table.rows)
        .map(|r| {
            Ok(CustomerRow {
                customer_id: table.required(r, "customer_id")?,
                name: table.text(r, "name").unwrap_or_default().to_string(),
                bank_accounts: split(table.text(r, "bank_accounts")),
                aliases: split(table.text(r, "aliases")),
                segment: table.text(r, "segment").map(str::to_string),
                parent_id: table.text(r, "parent_id").map(str::to_string),
                row: r as u64 + 1,
            })
        })
        .collect::<Result<Vec<_>, ExtractError>>()
}

fn err(file: &str, row: Option<u64>, column: Option<&str>, message: String) -> ExtractError {
    ExtractError {
        file: file.to_string(),
        row,
        column: column.map(str::to_string),
        message,
    }
}

/// The extract's columns of interest, as strings, by canonical name.
struct Table<'o> {
    file: String,
    options: &'o ExtractOptions,
    number: NumberFormat,
    rows: usize,
    columns: BTreeMap<&'static str, (String, StringChunked)>,
    /// The date format is `%Y-%m-%d`: `YYYY-MM-DD` cells are read without
    /// chrono's format interpreter (anything else still goes through it).
    iso_dates: bool,
}

impl<'o> Table<'o> {
    fn load(
        name: &str,
        bytes: &[u8],
        options: &'o ExtractOptions,
        canonical: &[&'static str],
        required: usize,
    ) -> Result<Self, ExtractError> {
        let number = options.number_format().map_err(|m| {
            err(
                name,
                None,
                None,
                format!("{m}; see the extract settings in the README"),
            )
        })?;
        let polars_err =
            |e: PolarsError| err(name, None, None, format!("cannot read as a table: {e}"));
        let df = if bytes.starts_with(b"PAR1") {
            ParquetReader::new(Cursor::new(bytes))
                .finish()
                .map_err(polars_err)?
        } else {
            let decoded;
            let text: &[u8] = match &options.encoding {
                Some(label)
                    if !label.eq_ignore_ascii_case("utf-8")
                        && !label.eq_ignore_ascii_case("utf8") =>
                {
                    let (t, _) = crate::encoding::decode(name, None, bytes, Some(label))
                        .map_err(|e| err(name, None, None, e.message))?;
                    decoded = t.into_owned();
                    decoded.as_bytes()
                }
                _ => {
                    let stripped = crate::encoding::strip_bom(bytes);
                    std::str::from_utf8(stripped).map_err(|e| {
                        err(name, None, None, format!("not valid UTF-8 at byte {}; set `encoding` (e.g. \"windows-1252\") for this extract", e.valid_up_to()))
                    })?;
                    stripped
                }
            };
            let delimiter = match options.delimiter.as_bytes() {
                [d] => *d,
                _ => {
                    return Err(err(
                        name,
                        None,
                        None,
                        format!(
                            "delimiter `{}` must be one ASCII character",
                            options.delimiter
                        ),
                    ))
                }
            };
            CsvReadOptions::default()
                .with_has_header(true)
                // Every column as text: conversion (and its error messages) is ours.
                .with_infer_schema_length(Some(0))
                .with_raise_if_empty(false)
                .map_parse_options(|p| p.with_separator(delimiter))
                .into_reader_with_file_handle(Cursor::new(text))
                .finish()
                .map_err(polars_err)?
        };
        let mut columns = BTreeMap::new();
        for (i, &canon) in canonical.iter().enumerate() {
            let source = options
                .columns
                .get(canon)
                .cloned()
                .unwrap_or_else(|| canon.to_string());
            match df.column(&source) {
                Ok(col) => {
                    let as_text = col
                        .as_materialized_series()
                        .cast(&DataType::String)
                        .map_err(|e| {
                            err(
                                name,
                                None,
                                Some(&source),
                                format!("cannot read column as text: {e}"),
                            )
                        })?;
                    // One chunk: a cell is then found by its index, not by a
                    // walk over the chunks the CSV reader produced.
                    let chunked = as_text.str().map_err(polars_err)?.rechunk().into_owned();
                    columns.insert(canon, (source, chunked));
                }
                Err(_) if i >= required => {}
                Err(_) => {
                    let have: Vec<String> = df
                        .get_column_names()
                        .iter()
                        .map(|c| c.to_string())
                        .collect();
                    return Err(err(
                        name,
                        None,
                        Some(&source),
                        format!(
                            "required column is missing (have: {}); map it in the config under [{}.columns], e.g. {canon} = \"...\"",
                            have.join(", "),
                            if canonical.len() == OPEN_ITEM_COLUMNS.len() { "open_items" } else { "customers" }
                        ),
                    ));
                }
            }
        }
        Ok(Table {
            file: name.to_string(),
            options,
            number,
            rows: df.height(),
            columns,
            iso_dates: options.date_format == "%Y-%m-%d",
        })
    }

    fn text(&self, r: usize, canon: &str) -> Option<&str> {
        cell(self.columns.get(canon).map(|(_, col)| col), r)
    }

    fn source_name(&self, canon: &str) -> String {
        self.columns
            .get(canon)
            .map_or_else(|| canon.to_string(), |(s, _)| s.clone())
    }

    fn bad(&self, r: usize, canon: &str, message: String) -> ExtractError {
        err(
            &self.file,
            Some(r as u64 + 1),
            Some(&self.source_name(canon)),
            message,
        )
    }

    fn missing(&self, r: usize, canon: &str) -> ExtractError {
        self.bad(r, canon, "value is empty; every open item needs it".into())
    }

    fn required(&self, r: usize, canon: &str) -> Result<String, ExtractError> {
        self.required_in(self.columns.get(canon).map(|(_, col)| col), r, canon)
    }

    /// [`Table::required`] for a column already looked up.
    fn required_in(
        &self,
        col: Option<&StringChunked>,
        r: usize,
        canon: &str,
    ) -> Result<String, ExtractError> {
        cell(col, r)
            .map(str::to_string)
            .ok_or_else(|| self.missing(r, canon))
    }

    /// An amount cell read with the configured number format, for a column
    /// already looked up.
    fn amount_in(
        &self,
        col: Option<&StringChunked>,
        r: usize,
        canon: &str,
    ) -> Result<Option<Decimal>, ExtractError> {
        let Some(t) = cell(col, r) else {
            return Ok(None);
        };
        match self.number.parse(t) {
            Ok(value) => Ok(Some(value)),
            Err(AmountError::TooLarge) => Err(self.bad(r, canon, amount::too_large_message(t))),
            Err(AmountError::Malformed) => {
                Err(self.bad(r, canon, amount_mismatch(t, self.options)))
            }
        }
    }

    /// A date cell read with the configured format, for a column already
    /// looked up.
    fn date_in(
        &self,
        col: Option<&StringChunked>,
        r: usize,
        canon: &str,
    ) -> Result<Option<NaiveDate>, ExtractError> {
        let Some(t) = cell(col, r) else {
            return Ok(None);
        };
        if self.iso_dates {
            if let Some(d) = iso_date(t) {
                return Ok(Some(d));
            }
        }
        NaiveDate::parse_from_str(t, &self.options.date_format)
            .map(Some)
            .map_err(|_| {
                self.bad(
                    r,
                    canon,
                    format!(
                        "`{t}` is not a date in format `{}`",
                        self.options.date_format
                    ),
                )
            })
    }
}

/// `YYYY-MM-DD` as a date when it is one; `None` for any other text (the
/// caller then asks chrono, which gives the same date or the error).
fn iso_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// The message for an amount that does not fit the configured number
/// format: says the configuration it was read with and, when another
/// configuration would read it, which settings to change. The suggestion is
/// only a hint; the value is not read.
fn amount_mismatch(text: &str, options: &ExtractOptions) -> String {
    let mut message = format!("`{text}` is not an amount with {}", describe(options));
    let fitting = candidate_options(options)
        .into_iter()
        .find(|c| c.number_format().is_ok_and(|f| f.parse(text).is_ok()));
    match fitting {
        Some(c) => {
            let changes = changed_settings(options, &c);
            let mut changes = changes.iter();
            if let Some(first) = changes.next() {
                message.push_str(&format!("; set `[open_items] {first}`"));
            }
            for change in changes {
                message.push_str(&format!(" and `{change}`"));
            }
        }
        None => message.push_str(
            "; expected digits with an optional decimal part, e.g. `-1234.56` (see the extract settings in the README)",
        ),
    }
    message
}

fn describe(o: &ExtractOptions) -> String {
    let mut parts = vec![format!("decimal_comma = {}", o.decimal_comma)];
    if let Some(t) = o.thousands_separator.as_deref().filter(|t| !t.is_empty()) {
        parts.push(format!("thousands_separator = {t:?}"));
    }
    if o.trailing_minus {
        parts.push("trailing_minus = true".into());
    }
    if o.negative_parentheses {
        parts.push("negative_parentheses = true".into());
    }
    parts.join(", ")
}

/// Every number-format configuration, those closest to `current` (fewest
/// changed settings) first.
fn candidate_options(current: &ExtractOptions) -> Vec<ExtractOptions> {
    let mut out = Vec::new();
    for decimal_comma in [current.decimal_comma, !current.decimal_comma] {
        for thousands in [
            current.thousands_separator.clone(),
            None,
            Some(".".to_string()),
            Some(",".to_string()),
            Some("'".to_string()),
            Some(" ".to_string()),
        ] {
            for trailing_minus in [current.trailing_minus, true] {
                for negative_parentheses in [current.negative_parentheses, true] {
                    out.push(ExtractOptions {
                        decimal_comma,
                        thousands_separator: thousands.clone(),
                        trailing_minus,
                        negative_parentheses,
                        ..current.clone()
                    });
                }
            }
        }
    }
    out.sort_by_key(|c| changed_settings(current, c).len());
    out
}

fn changed_settings(from: &ExtractOptions, to: &ExtractOptions) -> Vec<String> {
    let mut out = Vec::new();
    if from.decimal_comma != to.decimal_comma {
        out.push(format!("decimal_comma = {}", to.decimal_comma));
    }
    if from.thousands_separator != to.thousands_separator {
        match &to.thousands_separator {
            Some(t) => out.push(format!("thousands_separator = {t:?}")),
            None => out.push("thousands_separator = \"\"".to_string()),
        }
    }
    if from.trailing_minus != to.trailing_minus {
        out.push(format!("trailing_minus = {}", to.trailing_minus));
    }
    if from.negative_parentheses != to.negative_parentheses {
        out.push(format!(
            "negative_parentheses = {}",
            to.negative_parentheses
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast `YYYY-MM-DD` path reads exactly what chrono reads with
    /// `%Y-%m-%d`, over valid and invalid days, months and years (an
    /// invalid one falls through to chrono, which gives the error).
    #[test]
    fn iso_dates_read_as_chrono_reads_them() {
        let mut checked = 0;
        for y in [0, 1, 999, 1900, 2000, 2024, 2026, 2100, 9999] {
            for m in 0..=13 {
                for d in 0..=32 {
                    let t = format!("{y:04}-{m:02}-{d:02}");
                    let chrono = NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok();
                    assert_eq!(iso_date(&t), chrono, "{t}");
                    checked += usize::from(chrono.is_some());
                }
            }
        }
        assert!(checked > 3000);
        for t in [
            "2026-1-01",
            "2026-01-1 ",
            "2026/01/01",
            "+2026-01-01",
            "2026-0a-01",
            "",
        ] {
            assert_eq!(iso_date(t), None, "{t}");
        }
    }
}
