//! Receivable extracts from the ERP: open items and customer master data, as
//! CSV (any delimiter, decimal comma, Latin-1 when configured) or Parquet.
//!
//! polars does the tabular heavy lifting (quoting, dialects, Parquet
//! decoding, column projection); every value is then converted here with a
//! strict grammar, so a malformed amount is an error naming the file, the
//! data row and the column, never a silently different number.

use crate::amount;
use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

/// Canonical open-item columns; the first eight are required.
pub const OPEN_ITEM_COLUMNS: [&str; 11] = [
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
];
const OPEN_ITEM_REQUIRED: usize = 8;

/// Canonical customer columns; the first three are required.
pub const CUSTOMER_COLUMNS: [&str; 5] =
    ["customer_id", "name", "bank_accounts", "aliases", "segment"];
const CUSTOMER_REQUIRED: usize = 3;

/// How to read one extract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExtractOptions {
    /// Canonical column name → the extract's column name.
    pub columns: BTreeMap<String, String>,
    /// CSV delimiter as a one-character string.
    pub delimiter: String,
    /// Amounts written `1234,56`.
    pub decimal_comma: bool,
    /// Grouping separator allowed in amounts (`.` `,` `'` or space).
    pub thousands_separator: Option<String>,
    /// chrono format of the date columns.
    pub date_format: String,
    /// WHATWG encoding label for CSV (`windows-1252`); UTF-8 when absent.
    pub encoding: Option<String>,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            columns: BTreeMap::new(),
            delimiter: ",".into(),
            decimal_comma: false,
            thousands_separator: None,
            date_format: "%Y-%m-%d".into(),
            encoding: None,
        }
    }
}

/// A problem with an extract: names the file, the data row (1-based, header
/// excluded) and the column, and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("extract `{file}`{}: {message}", location(.row, .column))]
pub struct ExtractError {
    pub file: String,
    pub row: Option<u64>,
    pub column: Option<String>,
    pub message: String,
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
    pub invoice_id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub currency: String,
    pub amount_open: Decimal,
    pub amount_original: Decimal,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub discount_percent: Option<Decimal>,
    pub discount_days: Option<u32>,
    pub po_number: Option<String>,
    /// 1-based data row.
    pub row: u64,
}

/// One customer as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    pub customer_id: String,
    pub name: String,
    pub bank_accounts: Vec<String>,
    pub aliases: Vec<String>,
    pub segment: Option<String>,
    pub row: u64,
}

/// Reads an open-item extract (CSV or Parquet, by content).
pub fn read_open_items(
    path: &Path,
    options: &ExtractOptions,
) -> Result<Vec<OpenItemRow>, ExtractError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| err(&name, None, None, format!("cannot read file: {e}")))?;
    read_open_items_from_bytes(&name, &bytes, options)
}

/// Reads an open-item extract held in memory (the bundled demo set).
pub fn read_open_items_from_bytes(
    name: &str,
    bytes: &[u8],
    options: &ExtractOptions,
) -> Result<Vec<OpenItemRow>, ExtractError> {
    let table = Table::load(name, bytes, options, &OPEN_ITEM_COLUMNS, OPEN_ITEM_REQUIRED)?;
    let mut out = Vec::with_capacity(table.rows);
    for r in 0..table.rows {
        let row = r as u64 + 1;
        let amount_open = table
            .amount(r, "amount_open")?
            .ok_or_else(|| table.missing(r, "amount_open"))?;
        let amount_original = table
            .amount(r, "amount_original")?
            .ok_or_else(|| table.missing(r, "amount_original"))?;
        let currency = table.required(r, "currency")?;
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(table.bad(
                r,
                "currency",
                format!("`{currency}` is not an ISO 4217 code (three capital letters)"),
            ));
        }
        let exponent = amount::currency_exponent(&currency);
        for (col, value) in [
            ("amount_open", amount_open),
            ("amount_original", amount_original),
        ] {
            if value.scale() > exponent && value.normalize().scale() > exponent {
                return Err(table.bad(
                    r,
                    col,
                    format!("{value} has more decimals than {currency} allows ({exponent})"),
                ));
            }
        }
        let discount_days = match table.text(r, "discount_days") {
            Some(t) => Some(t.parse::<u32>().map_err(|_| {
                table.bad(
                    r,
                    "discount_days",
                    format!("`{t}` is not a whole number of days"),
                )
            })?),
            None => None,
        };
        out.push(OpenItemRow {
            invoice_id: table.required(r, "invoice_id")?,
            customer_id: table.required(r, "customer_id")?,
            customer_name: table
                .text(r, "customer_name")
                .unwrap_or_default()
                .to_string(),
            currency,
            amount_open,
            amount_original,
            invoice_date: table.date(r, "invoice_date")?,
            due_date: table.date(r, "due_date")?,
            discount_percent: table.amount(r, "discount_percent")?,
            discount_days,
            po_number: table.text(r, "po_number").map(str::to_string),
            row,
        });
    }
    Ok(out)
}

/// Reads a customer master extract (CSV or Parquet).
pub fn read_customers(
    path: &Path,
    options: &ExtractOptions,
) -> Result<Vec<CustomerRow>, ExtractError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| err(&name, None, None, format!("cannot read file: {e}")))?;
    read_customers_from_bytes(&name, &bytes, options)
}

/// Reads a customer master extract held in memory.
pub fn read_customers_from_bytes(
    name: &str,
    bytes: &[u8],
    options: &ExtractOptions,
) -> Result<Vec<CustomerRow>, ExtractError> {
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
    rows: usize,
    columns: BTreeMap<&'static str, (String, StringChunked)>,
}

impl<'o> Table<'o> {
    fn load(
        name: &str,
        bytes: &[u8],
        options: &'o ExtractOptions,
        canonical: &[&'static str],
        required: usize,
    ) -> Result<Self, ExtractError> {
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
                    let chunked = as_text.str().map_err(polars_err)?.clone();
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
            rows: df.height(),
            columns,
        })
    }

    fn text(&self, r: usize, canon: &str) -> Option<&str> {
        let (_, col) = self.columns.get(canon)?;
        col.get(r).map(str::trim).filter(|s| !s.is_empty())
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
        self.text(r, canon)
            .map(str::to_string)
            .ok_or_else(|| self.missing(r, canon))
    }

    fn amount(&self, r: usize, canon: &str) -> Result<Option<Decimal>, ExtractError> {
        let Some(t) = self.text(r, canon) else {
            return Ok(None);
        };
        let mut cleaned = String::with_capacity(t.len());
        let group = self
            .options
            .thousands_separator
            .as_deref()
            .and_then(|g| g.chars().next());
        for c in t.chars() {
            if Some(c) != group {
                cleaned.push(c);
            }
        }
        let sep = if self.options.decimal_comma {
            b','
        } else {
            b'.'
        };
        amount::parse_signed(&cleaned, sep).map(Some).ok_or_else(|| {
            self.bad(
                r,
                canon,
                format!(
                    "`{t}` is not an amount (expected digits with `{}` as decimal separator, optional leading `-`)",
                    sep as char
                ),
            )
        })
    }

    fn date(&self, r: usize, canon: &str) -> Result<Option<NaiveDate>, ExtractError> {
        let Some(t) = self.text(r, canon) else {
            return Ok(None);
        };
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
