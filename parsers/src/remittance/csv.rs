//! Remittance spreadsheets: the CSV a customer exports from its payables
//! system or types by hand and e-mails with the payment. No two look
//! alike, so each is read through a [`RemittanceCsvLayout`] from config
//! that names the columns; a file is a remittance CSV when its header holds
//! every column a layout maps (the first such layout reads it).
//!
//! One row per invoice line. Rows with the same payment reference (and
//! payer) form one advice, in order of first appearance; the payment amount
//! is taken from the rows (they must agree, or the advice fails its check)
//! and checked against the rows' amounts paid. A deduction is written as a
//! positive number in these sheets and is stored as a negative adjustment.

use super::{
    check_scale, lines_check, settle_advice, Advice, AdviceLine, DocumentType, ParsedRemittance,
    RemittanceOptions,
};
use crate::amount::{Grouping, NumberFormat};
use crate::{BalanceCheck, ErrorKind, Location, ParseError, Source};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const FORMAT_NAME: &str = "remittance_csv";

/// How one customer's remittance spreadsheet is laid out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemittanceCsvLayout {
    /// The layout's name (usually the customer's).
    pub name: String,
    /// Field delimiter, one ASCII character.
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// `.` or `,`.
    #[serde(default = "default_decimal")]
    pub decimal_separator: char,
    /// Grouping character allowed in amounts (`,` `.` `'` or none).
    #[serde(default)]
    pub thousands_separator: Option<char>,
    /// chrono format of the payment date.
    #[serde(default = "default_date_format")]
    pub date_format: String,
    /// Currency of every row when there is no currency column.
    #[serde(default)]
    pub currency: Option<String>,
    /// Which header names hold which field.
    pub columns: RemittanceCsvColumns,
}

fn default_delimiter() -> String {
    ",".into()
}
fn default_decimal() -> char {
    '.'
}
fn default_date_format() -> String {
    "%Y-%m-%d".into()
}

/// Header names of the mapped columns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemittanceCsvColumns {
    /// The payment's reference (cheque number, trace, end-to-end id).
    pub payment_reference: String,
    /// The invoice (or credit note) number.
    pub invoice: String,
    /// Amount paid against the invoice.
    pub amount_paid: String,
    /// Payer name.
    #[serde(default)]
    pub payer: Option<String>,
    /// Payer account.
    #[serde(default)]
    pub payer_account: Option<String>,
    /// Payment date.
    #[serde(default)]
    pub payment_date: Option<String>,
    /// The whole payment's amount (repeated on each row).
    #[serde(default)]
    pub payment_amount: Option<String>,
    /// Currency code.
    #[serde(default)]
    pub currency: Option<String>,
    /// The invoice's amount.
    #[serde(default)]
    pub invoice_amount: Option<String>,
    /// Discount taken.
    #[serde(default)]
    pub discount: Option<String>,
    /// Deduction (a positive number: what was withheld).
    #[serde(default)]
    pub deduction: Option<String>,
    /// The customer's reason for the deduction.
    #[serde(default)]
    pub deduction_reason: Option<String>,
}

impl RemittanceCsvLayout {
    /// Checks the delimiter, decimal and grouping characters, date format
    /// and currency; names the first bad key.
    pub fn validate(&self) -> Result<(), String> {
        let d = self.delimiter.as_bytes();
        if d.len() != 1 || !d[0].is_ascii() || d[0] == b'"' {
            return Err(format!("remittance CSV layout `{}`: delimiter `{}` must be one ASCII character other than `\"`", self.name, self.delimiter));
        }
        if !matches!(self.decimal_separator, '.' | ',') {
            return Err(format!(
                "remittance CSV layout `{}`: decimal_separator must be `.` or `,`",
                self.name
            ));
        }
        if let Some(t) = self.thousands_separator {
            if Grouping::from_byte(u8::try_from(t).unwrap_or(0)).is_none()
                || t == self.decimal_separator
            {
                return Err(format!("remittance CSV layout `{}`: thousands_separator `{t}` is not a grouping character other than the decimal separator", self.name));
            }
        }
        if let Some(c) = &self.currency {
            if !crate::currency::is_iso_4217(c) {
                return Err(format!(
                    "remittance CSV layout `{}`: currency `{c}` is not an ISO 4217 code",
                    self.name
                ));
            }
        } else if self.columns.currency.is_none() {
            return Err(format!(
                "remittance CSV layout `{}`: give `currency` or a `columns.currency` column",
                self.name
            ));
        }
        Ok(())
    }

    pub(crate) fn mapped(&self) -> Vec<&str> {
        let c = &self.columns;
        let mut out = vec![
            c.payment_reference.as_str(),
            c.invoice.as_str(),
            c.amount_paid.as_str(),
        ];
        for name in [
            &c.payer,
            &c.payer_account,
            &c.payment_date,
            &c.payment_amount,
            &c.currency,
            &c.invoice_amount,
            &c.discount,
            &c.deduction,
            &c.deduction_reason,
        ]
        .into_iter()
        .flatten()
        {
            out.push(name.as_str());
        }
        out
    }

    fn number_format(&self) -> NumberFormat {
        NumberFormat {
            decimal: self.decimal_separator,
            grouping: self
                .thousands_separator
                .and_then(|t| Grouping::from_byte(u8::try_from(t).ok()?)),
            ..NumberFormat::default()
        }
    }
}

/// Splits one CSV record (RFC 4180 quoting) into fields.
fn split_record(line: &str, delimiter: char) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == delimiter {
            out.push(std::mem::take(&mut field));
            at_start = true;
        } else {
            field.push(c);
            at_start = false;
        }
    }
    if quoted {
        return None;
    }
    out.push(field);
    Some(out)
}

/// The first layout whose mapped columns all appear in the header.
pub(crate) fn matching_layout<'a>(
    bytes: &[u8],
    layouts: &'a [RemittanceCsvLayout],
) -> Option<&'a RemittanceCsvLayout> {
    let head = crate::encoding::strip_bom(&bytes[..bytes.len().min(8192)]);
    let text = String::from_utf8_lossy(head);
    let first = text.lines().next()?;
    layouts.iter().find(|l| {
        let Some(delim) = l.delimiter.chars().next() else {
            return false;
        };
        let Some(header) = split_record(first, delim) else {
            return false;
        };
        l.mapped()
            .iter()
            .all(|m| header.iter().any(|h| h.trim() == *m))
    })
}

/// One cell of a remittance sheet: text as written (every CSV cell), or a
/// value a workbook stored typed (numbers and dates of an XLSX).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text, read through the layout's number and date formats.
    Text(String),
    /// A number the workbook stored (exact, from its shortest decimal form).
    Number(Decimal),
    /// A date the workbook stored.
    Date(NaiveDate),
}

impl Cell {
    /// The cell as text (a number in its plain decimal form, a date as
    /// `YYYY-MM-DD`): what a reference or name column reads.
    fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Text(t) => std::borrow::Cow::Borrowed(t.trim()),
            Cell::Number(d) => std::borrow::Cow::Owned(d.normalize().to_string()),
            Cell::Date(d) => std::borrow::Cow::Owned(d.format("%Y-%m-%d").to_string()),
        }
    }
}

/// Where the rows of a sheet come from: CSV lines, or the rows of one
/// worksheet of a workbook (errors then name the sheet, row and column).
pub(crate) struct RowSource<'a> {
    /// `remittance_csv` or `remittance_xlsx`.
    pub format_name: &'static str,
    /// The worksheet, for a workbook.
    pub sheet: Option<&'a str>,
    /// The header's cells (trimmed column names).
    pub header: Vec<String>,
    /// The text encoding read (CSV) or `UTF-8` (XLSX, by definition).
    pub encoding: String,
}

impl RowSource<'_> {
    /// Where a cell is, in words: nothing more for a CSV (the location says
    /// line and column), `sheet `S`, row R, column C (`name`): ` for a workbook.
    fn at(&self, row: u64, col: Option<usize>) -> String {
        match (self.sheet, col) {
            (Some(sheet), Some(c)) => format!(
                "sheet `{sheet}`, row {row}, column {} (`{}`): ",
                column_letters(c),
                self.header.get(c).map_or("", String::as_str)
            ),
            (Some(sheet), None) => format!("sheet `{sheet}`, row {row}: "),
            (None, _) => String::new(),
        }
    }
}

/// Spreadsheet column letters of 0-based column `c` (`A`, ..., `Z`, `AA`).
pub(crate) fn column_letters(c: usize) -> String {
    let mut n = c + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Reads a remittance CSV.
pub fn parse(
    source: &Source<'_>,
    options: &RemittanceOptions,
) -> Result<ParsedRemittance, ParseError> {
    let err = |location: Location, kind: ErrorKind, message: String| {
        ParseError::new(source.name, Some(FORMAT_NAME), location, kind, message)
    };
    let layout = matching_layout(source.bytes, &options.csv_layouts).ok_or_else(|| {
        err(Location::Line(1), ErrorKind::MissingField, "no remittance CSV layout's columns all appear in the header (configure `[[remittance.csv_layouts]]`)".into())
    })?;
    layout
        .validate()
        .map_err(|m| err(Location::Line(1), ErrorKind::Structure, m))?;
    let (text, encoding) = crate::encoding::decode(
        source.name,
        Some(FORMAT_NAME),
        source.bytes,
        options.encoding.as_deref(),
    )?;
    let delim = layout.delimiter.chars().next().unwrap_or(',');
    let mut lines = text.lines().enumerate();
    let Some((_, header_line)) = lines.next() else {
        return Err(err(Location::Line(1), ErrorKind::Empty, "no header".into()));
    };
    let header: Vec<String> = split_record(header_line, delim)
        .unwrap_or_default()
        .into_iter()
        .map(|h| h.trim().to_string())
        .collect();
    let line_bytes_max = options.limits.line_bytes_max;
    let rows = lines
        .filter(|(_, raw)| !raw.trim().is_empty())
        .map(|(i, raw)| {
            let line = i as u64 + 1;
            if raw.len() > line_bytes_max {
                return Err(err(
                    Location::Line(line),
                    ErrorKind::LimitExceeded,
                    "row over the line or record limit".into(),
                ));
            }
            let row = split_record(raw, delim).ok_or_else(|| {
                err(
                    Location::Line(line),
                    ErrorKind::Structure,
                    "unterminated quoted field".into(),
                )
            })?;
            Ok((line, row.into_iter().map(Cell::Text).collect()))
        });
    let from = RowSource {
        format_name: FORMAT_NAME,
        sheet: None,
        header,
        encoding: encoding.to_string(),
    };
    parse_rows(source, options, layout, &from, rows)
}

/// Reads the rows of a remittance sheet (CSV or one worksheet of a
/// workbook) through `layout`: one row per invoice line, rows of one
/// payment reference and payer forming one advice.
pub(crate) fn parse_rows(
    source: &Source<'_>,
    options: &RemittanceOptions,
    layout: &RemittanceCsvLayout,
    from: &RowSource<'_>,
    rows: impl Iterator<Item = Result<(u64, Vec<Cell>), ParseError>>,
) -> Result<ParsedRemittance, ParseError> {
    let err = |location: Location, kind: ErrorKind, message: String| {
        ParseError::new(source.name, Some(from.format_name), location, kind, message)
    };
    let number = layout.number_format();
    let header = &from.header;
    let col = |name: &Option<String>| {
        name.as_ref()
            .and_then(|n| header.iter().position(|h| h == n))
    };
    let c = &layout.columns;
    let required = |n: &String| header.iter().position(|h| h == n);
    let (Some(reference_col), Some(invoice_col), Some(paid_col)) = (
        required(&c.payment_reference),
        required(&c.invoice),
        required(&c.amount_paid),
    ) else {
        return Err(err(
            Location::Line(1),
            ErrorKind::MissingField,
            format!(
                "{}a mapped column is missing from the header",
                from.at(1, None)
            ),
        ));
    };
    let cols = [
        col(&c.payer),
        col(&c.payer_account),
        col(&c.payment_date),
        col(&c.payment_amount),
        col(&c.currency),
        col(&c.invoice_amount),
        col(&c.discount),
        col(&c.deduction),
        col(&c.deduction_reason),
    ];
    let [payer_col, account_col, date_col, amount_col, ccy_col, inv_amt_col, disc_col, ded_col, reason_col] =
        cols;
    let mut out = ParsedRemittance {
        encoding: from.encoding.clone(),
        layout: layout.name.clone(),
        ..ParsedRemittance::default()
    };
    let mut index: Vec<(String, String, usize)> = Vec::new();
    let mut stated: Vec<Vec<Decimal>> = Vec::new();
    let empty = Cell::Text(String::new());
    for row in rows {
        let (line, row) = row?;
        if out.line_count() as u64 >= options.limits.records_max {
            return Err(err(
                Location::Line(line),
                ErrorKind::LimitExceeded,
                format!("{}row over the line or record limit", from.at(line, None)),
            ));
        }
        let get = |k: Option<usize>| k.and_then(|k| row.get(k)).unwrap_or(&empty);
        let cell = |k: Option<usize>| get(k).text();
        let money = |k: Option<usize>| -> Result<Option<Decimal>, ParseError> {
            let at = Location::LineColumn(line, k.unwrap_or(0) as u64 + 1);
            match get(k) {
                Cell::Number(d) => Ok(Some(*d)),
                Cell::Date(d) => Err(err(
                    at,
                    ErrorKind::InvalidAmount,
                    format!("{}a date ({d}) where an amount belongs", from.at(line, k)),
                )),
                Cell::Text(t) => {
                    let t = t.trim();
                    if t.is_empty() {
                        return Ok(None);
                    }
                    number.parse(t).map(Some).map_err(|e| {
                        err(
                            at,
                            ErrorKind::InvalidAmount,
                            format!(
                                "{}{}",
                                from.at(line, k),
                                super::amount_message(
                                    t,
                                    e,
                                    "an amount in this layout's number format"
                                )
                            ),
                        )
                    })
                }
            }
        };
        let currency = match (ccy_col, &layout.currency) {
            (Some(_), _) if !cell(ccy_col).is_empty() => cell(ccy_col).to_ascii_uppercase(),
            (_, Some(fixed)) => fixed.clone(),
            _ => String::new(),
        };
        if !super::known_currency(&currency) {
            return Err(err(
                Location::LineColumn(line, ccy_col.unwrap_or(0) as u64 + 1),
                ErrorKind::InvalidCurrency,
                format!(
                    "{}currency `{currency}` is not an ISO 4217 code",
                    from.at(line, ccy_col)
                ),
            ));
        }
        let reference = cell(Some(reference_col)).to_string();
        let payer = cell(payer_col).to_string();
        let paid = money(Some(paid_col))?;
        let payment_amount = money(amount_col)?;
        let deduction = money(ded_col)?;
        let locator = match from.sheet {
            Some(sheet) => format!("sheet {sheet} row {line}"),
            None => format!("line {line}"),
        };
        let line_rec = AdviceLine {
            invoice_reference: cell(Some(invoice_col)).to_string(),
            document_type: match paid {
                Some(p) if p.is_sign_negative() => DocumentType::CreditNote,
                _ => DocumentType::Invoice,
            },
            document_code: String::new(),
            amount_paid: paid,
            invoice_amount: money(inv_amt_col)?,
            discount_amount: money(disc_col)?,
            adjustment_amount: deduction.map(|d| -d.abs()),
            adjustment_reason: cell(reason_col).to_string(),
            source_line: line,
            locator: locator.clone(),
            ..AdviceLine::default()
        };
        for v in [
            line_rec.amount_paid,
            line_rec.invoice_amount,
            line_rec.discount_amount,
            line_rec.adjustment_amount,
            payment_amount,
        ]
        .into_iter()
        .flatten()
        {
            check_scale(v, &currency).map_err(|m| {
                err(
                    Location::Line(line),
                    ErrorKind::InvalidAmount,
                    format!("{}{m}", from.at(line, None)),
                )
            })?;
        }
        let date = match get(date_col) {
            Cell::Date(d) => Some(*d),
            Cell::Number(n) => {
                return Err(err(
                    Location::LineColumn(line, date_col.unwrap_or(0) as u64 + 1),
                    ErrorKind::InvalidDate,
                    format!(
                        "{}the number {n} where a date belongs (format the cell as a date)",
                        from.at(line, date_col)
                    ),
                ))
            }
            Cell::Text(t) if t.trim().is_empty() => None,
            Cell::Text(t) => {
                let date_text = t.trim();
                Some(
                    NaiveDate::parse_from_str(date_text, &layout.date_format).map_err(|_| {
                        err(
                            Location::LineColumn(line, date_col.unwrap_or(0) as u64 + 1),
                            ErrorKind::InvalidDate,
                            format!(
                                "{}`{date_text}` is not a date in format `{}`",
                                from.at(line, date_col),
                                layout.date_format
                            ),
                        )
                    })?,
                )
            }
        };
        let a = match index
            .iter()
            .find(|(r, p, _)| *r == reference && *p == payer)
        {
            Some(&(_, _, a)) => a,
            None => {
                index.push((reference.clone(), payer.clone(), out.advices.len()));
                stated.push(Vec::new());
                out.advices.push(Advice {
                    advice_id: reference.clone(),
                    payment_reference: reference,
                    payer_name: payer,
                    payer_account: cell(account_col).to_string(),
                    currency: currency.clone(),
                    payment_date: date,
                    credit: true,
                    booked: true,
                    source_line: line,
                    locator,
                    ..Advice::default()
                });
                out.advices.len() - 1
            }
        };
        if out.advices[a].currency != currency {
            return Err(err(
                Location::Line(line),
                ErrorKind::Structure,
                format!(
                    "{}payment `{}` has rows in {} and {currency}: one payment has one currency",
                    from.at(line, None),
                    out.advices[a].payment_reference,
                    out.advices[a].currency
                ),
            ));
        }
        if let Some(p) = payment_amount {
            stated[a].push(p);
        }
        out.advices[a].lines.push(line_rec);
    }
    for (a, advice) in out.advices.iter_mut().enumerate() {
        let amounts = &stated[a];
        advice.amount = amounts.first().copied();
        let mut check = lines_check(
            "payment amount = sum of amounts paid",
            &advice.locator,
            advice.amount,
            &advice.lines,
        );
        if amounts.iter().any(|v| Some(*v) != advice.amount) {
            check.result = BalanceCheck::Fail;
            check.detail = format!(
                "the rows of this payment state different payment amounts ({})",
                amounts
                    .iter()
                    .map(Decimal::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        settle_advice(advice, &[&check]);
        out.checks.push(check);
    }
    Ok(out)
}
