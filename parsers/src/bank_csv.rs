//! Bank and PSP CSV exports.
//!
//! A CSV file is read through a [`CsvProfile`]: delimiter, number and date
//! format, and which header (or position) holds each field. The profile is
//! chosen by content: the first of [`ParseOptions::csv_profiles`] whose
//! column names all appear in a header row near the top of the file, else the
//! built-in profile ([`builtin_profiles`]) matching the most columns, else a
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
use crate::model::{line_locator, trim_fast};
use crate::{
    BalanceCheck, CsvColumns, CsvProfile, EntryStatus, ErrorKind, Format, Location, ParseError,
    ParseOptions, ParsedFile, Source, Statement, StatementTransaction,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

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
    let mut file = read_rows(source.name, &text, &selected, options)?;
    file.encoding = encoding_name.to_string();
    Ok(file)
}

/// The built-in profiles, canonical layout first. Each is named after the
/// export it reads; `tests/bank_csv.rs` reads a real sample with each.
pub fn builtin_profiles() -> Vec<CsvProfile> {
    vec![
        CsvProfile::default(),
        ing_nl(b',', "MutatieSoort", None),
        ing_nl(b';', "Mutatiesoort", Some("Extra")),
        knab_nl(),
        asn_nl(),
        sparkasse_de(),
        ing_de(true),
        ing_de(false),
        ingdiba_at(),
        livebank_at(),
        oberbank_at(),
        easybank_at(),
        raiffeisen_at(),
        revolut(),
        paypal_en(),
        paypal_es(),
        sheet_credit_debit(),
        sheet_statement_en(),
        dcu_us(),
        schwab_us(),
        schwab_us_sections(),
        fidelity_us(),
        adyen_settlement(),
        braintree(),
    ]
}

fn col(name: &str) -> Option<String> {
    Some(name.to_string())
}

fn cols(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Shared shape of continental exports: `;`, decimal comma, `.` grouping.
fn continental(name: &str, date_format: &str) -> CsvProfile {
    CsvProfile {
        name: name.into(),
        delimiter: b';',
        decimal_separator: ',',
        thousands_separator: Some('.'),
        date_format: date_format.into(),
        columns: CsvColumns::default(),
        ..CsvProfile::default()
    }
}

/// Shared shape of US exports: `,`, `.` decimals, `,` grouping, `$` signs.
fn us(name: &str) -> CsvProfile {
    CsvProfile {
        name: name.into(),
        thousands_separator: Some(','),
        date_format: "%m/%d/%Y".into(),
        currency: col("USD"),
        columns: CsvColumns::default(),
        ..CsvProfile::default()
    }
}

fn ing_nl(delimiter: u8, kind_column: &str, extra: Option<&str>) -> CsvProfile {
    let mut remittance = cols(&["Mededelingen"]);
    if let Some(extra) = extra {
        remittance.push(extra.to_string());
    }
    CsvProfile {
        name: if delimiter == b',' {
            "ing_nl".into()
        } else {
            "ing_nl_semicolon".into()
        },
        delimiter,
        decimal_separator: ',',
        date_format: "%Y%m%d".into(),
        currency: col("EUR"),
        columns: CsvColumns {
            account: col("Rekening"),
            booking_date: col("Datum"),
            amount: col("Bedrag (EUR)"),
            direction: col("Af Bij"),
            direction_credit_value: col("Bij"),
            direction_debit_value: col("Af"),
            counterparty_name: col("Naam / Omschrijving"),
            counterparty_account: col("Tegenrekening"),
            remittance_info: remittance,
            bank_tx_code: col(kind_column),
            ..CsvColumns::default()
        },
        ..CsvProfile::default()
    }
}

fn knab_nl() -> CsvProfile {
    CsvProfile {
        thousands_separator: None,
        columns: CsvColumns {
            account: col("Rekeningnummer"),
            booking_date: col("Boekdatum"),
            value_date: col("Valutadatum"),
            amount: col("Bedrag"),
            direction: col("CreditDebet"),
            direction_credit_value: col("C"),
            direction_debit_value: col("D"),
            currency: col("Valutacode"),
            counterparty_name: col("Tegenrekeninghouder"),
            counterparty_account: col("Tegenrekeningnummer"),
            remittance_info: cols(&["Omschrijving"]),
            bank_reference: col("Referentie"),
            bank_tx_code: col("Betaalwijze"),
            ..CsvColumns::default()
        },
        ..continental("knab_nl", "%d-%m-%Y")
    }
}

/// ASN Bank "transactie historie": no header; the column meanings follow
/// ASN's published layout (boekingsdatum, opdrachtgeversrekening, ...).
fn asn_nl() -> CsvProfile {
    CsvProfile {
        name: "asn_nl".into(),
        has_header: false,
        field_count: Some(19),
        date_format: "%d-%m-%Y".into(),
        balance_before_row: true,
        columns: CsvColumns {
            booking_date: col("#0"),
            account: col("#1"),
            counterparty_account: col("#2"),
            counterparty_name: col("#3"),
            balance: col("#8"),
            currency: col("#9"),
            amount: col("#10"),
            value_date: col("#12"),
            bank_tx_code: col("#14"),
            bank_reference: col("#15"),
            remittance_info: cols(&["#17", "#16"]),
            ..CsvColumns::default()
        },
        ..CsvProfile::default()
    }
}

/// Sparkasse "CSV-CAMT" export (also other German savings banks).
fn sparkasse_de() -> CsvProfile {
    CsvProfile {
        encoding: col("windows-1252"),
        thousands_separator: None,
        columns: CsvColumns {
            account: col("Auftragskonto"),
            booking_date: col("Buchungstag"),
            value_date: col("Valutadatum"),
            amount: col("Betrag"),
            currency: col("Waehrung"),
            counterparty_name: col("Beguenstigter/Zahlungspflichtiger"),
            counterparty_account: col("Kontonummer/IBAN"),
            remittance_info: cols(&["Verwendungszweck"]),
            end_to_end_id: col("Kundenreferenz (End-to-End)"),
            bank_tx_code: col("Buchungstext"),
            status: col("Info"),
            status_pending_values: cols(&["Umsatz vorgemerkt"]),
            ..CsvColumns::default()
        },
        ..continental("sparkasse_de", "%d.%m.%y")
    }
}

/// ING Deutschland: 13 preamble lines (IBAN, optional `Saldo`), newest first.
fn ing_de(with_balance: bool) -> CsvProfile {
    CsvProfile {
        encoding: col("windows-1252"),
        thousands_separator: Some('.'),
        newest_first: true,
        account_label: col("IBAN"),
        closing_balance_label: if with_balance { col("Saldo") } else { None },
        columns: CsvColumns {
            booking_date: col("Buchung"),
            value_date: col("Wertstellungsdatum"),
            amount: col("Betrag"),
            currency: col("Währung"),
            counterparty_name: col("Auftraggeber/Empfänger"),
            remittance_info: cols(&["Verwendungszweck"]),
            bank_tx_code: col("Buchungstext"),
            balance: if with_balance { col("Saldo") } else { None },
            ..CsvColumns::default()
        },
        ..continental(
            if with_balance {
                "ing_de_saldo"
            } else {
                "ing_de"
            },
            "%d.%m.%Y",
        )
    }
}

fn ingdiba_at() -> CsvProfile {
    CsvProfile {
        encoding: col("windows-1252"),
        columns: CsvColumns {
            account: col("Kontonummer"),
            booking_date: col("Datum"),
            credit: col("Haben"),
            debit: col("Soll"),
            currency: col("Währung"),
            remittance_info: cols(&["Text"]),
            ..CsvColumns::default()
        },
        ..continental("ingdiba_at", "%d.%m.%Y")
    }
}

/// Livebank AT: data rows are wider than the header (the text is split
/// over extra cells), hence ragged rows.
fn livebank_at() -> CsvProfile {
    CsvProfile {
        encoding: col("windows-1252"),
        ragged_rows: true,
        columns: CsvColumns {
            account: col("Kontonummer"),
            booking_date: col("Buchungsdatum"),
            value_date: col("Valutadatum"),
            amount: col("Betrag"),
            currency: col("Waehrung"),
            remittance_info: cols(&["Umsatztext"]),
            bank_reference: col("Zahlungsreferenz"),
            bank_tx_code: col("Buchungstext"),
            ..CsvColumns::default()
        },
        ..continental("livebank_at", "%Y-%m-%d")
    }
}

fn oberbank_at() -> CsvProfile {
    CsvProfile {
        encoding: col("windows-1252"),
        columns: CsvColumns {
            booking_date: col("Buchungsdatum"),
            value_date: col("Wertstellung"),
            amount: col("Betrag"),
            currency: col("Währung"),
            // Cash application cares about who paid: the ordering party.
            counterparty_name: col("Auftraggebername"),
            counterparty_account: col("Auftraggeber IBAN/Kto.Nr."),
            remittance_info: cols(&["Text", "Verwendungszweck"]),
            ..CsvColumns::default()
        },
        ..continental("oberbank_at", "%d.%m.%Y")
    }
}

/// easybank AT: no header; IBAN, text, booking date, value date, amount, currency.
fn easybank_at() -> CsvProfile {
    CsvProfile {
        encoding: col("windows-1252"),
        has_header: false,
        field_count: Some(6),
        columns: CsvColumns {
            account: col("#0"),
            remittance_info: cols(&["#1"]),
            booking_date: col("#2"),
            value_date: col("#3"),
            amount: col("#4"),
            currency: col("#5"),
            ..CsvColumns::default()
        },
        ..continental("easybank_at", "%d.%m.%Y")
    }
}

/// Raiffeisen AT (ELBA): no header, trailing `;` (7 fields).
fn raiffeisen_at() -> CsvProfile {
    CsvProfile {
        encoding: col("windows-1252"),
        has_header: false,
        field_count: Some(7),
        columns: CsvColumns {
            booking_date: col("#0"),
            remittance_info: cols(&["#1"]),
            value_date: col("#2"),
            amount: col("#3"),
            currency: col("#4"),
            ..CsvColumns::default()
        },
        ..continental("raiffeisen_at", "%d.%m.%Y")
    }
}

fn revolut() -> CsvProfile {
    CsvProfile {
        name: "revolut".into(),
        date_format: "%Y-%m-%d %H:%M:%S".into(),
        columns: CsvColumns {
            booking_date: col("Completed Date"),
            value_date: col("Started Date"),
            amount: col("Amount"),
            currency: col("Currency"),
            remittance_info: cols(&["Description"]),
            bank_tx_code: col("Type"),
            status: col("State"),
            status_pending_values: cols(&["PENDING"]),
            balance: col("Balance"),
            ..CsvColumns::default()
        },
        ..CsvProfile::default()
    }
}

/// PayPal activity download. The amount is `Net` (gross minus fee): that is
/// what moves the PayPal balance, per currency.
fn paypal_en() -> CsvProfile {
    CsvProfile {
        name: "paypal_en".into(),
        date_format: "%d/%m/%Y".into(),
        columns: CsvColumns {
            booking_date: col("Date"),
            amount: col("Net"),
            currency: col("Currency"),
            counterparty_name: col("Name"),
            counterparty_account: col("From Email Address"),
            remittance_info: cols(&["Subject", "Note"]),
            bank_reference: col("Transaction ID"),
            bank_tx_code: col("Type"),
            structured_refs: cols(&["Invoice Number"]),
            status: col("Status"),
            status_pending_values: cols(&["Pending"]),
            balance: col("Balance"),
            ..CsvColumns::default()
        },
        ..CsvProfile::default()
    }
}

fn paypal_es() -> CsvProfile {
    CsvProfile {
        name: "paypal_es".into(),
        delimiter: b',',
        columns: CsvColumns {
            booking_date: col("Fecha"),
            amount: col("Neto"),
            currency: col("Divisa"),
            counterparty_name: col("Nombre"),
            counterparty_account: col("Correo electrónico del remitente"),
            remittance_info: cols(&["Descripción"]),
            bank_reference: col("Id. de transacción"),
            structured_refs: cols(&["Id. de factura"]),
            balance: col("Saldo"),
            ..CsvColumns::default()
        },
        ..continental("paypal_es", "%d/%m/%Y")
    }
}

/// OCA spreadsheet sample of a French bank: metadata preamble, separate
/// (already signed) debit and credit columns, opening balance as last line.
fn sheet_credit_debit() -> CsvProfile {
    CsvProfile {
        name: "sheet_credit_debit".into(),
        delimiter: b',',
        thousands_separator: None,
        currency: col("EUR"),
        junk_rows: true,
        opening_balance_label: col("Balance at start of period"),
        closing_balance_label: col("Balance at end of period"),
        columns: CsvColumns {
            booking_date: col("Date"),
            credit: col("Credit"),
            debit: col("Debit"),
            remittance_info: cols(&["Label", "Detail"]),
            bank_reference: col("Operation Number"),
            ..CsvColumns::default()
        },
        ..continental("sheet_credit_debit", "%d/%m/%y")
    }
}

fn sheet_statement_en() -> CsvProfile {
    CsvProfile {
        currency: None,
        columns: CsvColumns {
            booking_date: col("Date"),
            amount: col("Amount"),
            currency: col("Currency"),
            counterparty_name: col("Partner Name"),
            counterparty_account: col("Bank Account"),
            remittance_info: cols(&["Label"]),
            ..CsvColumns::default()
        },
        ..us("sheet_statement_en")
    }
}

fn dcu_us() -> CsvProfile {
    CsvProfile {
        newest_first: true,
        columns: CsvColumns {
            booking_date: col("DATE"),
            amount: col("AMOUNT"),
            remittance_info: cols(&["DESCRIPTION", "MEMO"]),
            bank_reference: col("ID"),
            bank_tx_code: col("TRANSACTION TYPE"),
            balance: col("CURRENT BALANCE"),
            ..CsvColumns::default()
        },
        ..us("dcu_us")
    }
}

fn schwab_us() -> CsvProfile {
    CsvProfile {
        newest_first: true,
        columns: CsvColumns {
            booking_date: col("Date"),
            credit: col("Deposit"),
            debit: col("Withdrawal"),
            remittance_info: cols(&["Description"]),
            bank_reference: col("CheckNumber"),
            bank_tx_code: col("Type"),
            status: col("Status"),
            status_pending_values: cols(&["Pending"]),
            balance: col("RunningBalance"),
            ..CsvColumns::default()
        },
        ..us("schwab_us")
    }
}

/// Schwab's newer export: a title line, then pending and posted sections.
fn schwab_us_sections() -> CsvProfile {
    CsvProfile {
        newest_first: true,
        junk_rows: true,
        pending_section: col("Pending Transactions"),
        booked_section: col("Posted Transactions"),
        columns: CsvColumns {
            booking_date: col("Date"),
            credit: col("Deposit (+)"),
            debit: col("Withdrawal (-)"),
            remittance_info: cols(&["Description"]),
            bank_reference: col("Check #"),
            bank_tx_code: col("Type"),
            balance: col("RunningBalance"),
            ..CsvColumns::default()
        },
        ..us("schwab_us_sections")
    }
}

/// Fidelity cash management account history: blank lines and `Brokerage`
/// before the header, legal disclaimers after the rows.
fn fidelity_us() -> CsvProfile {
    CsvProfile {
        junk_rows: true,
        thousands_separator: None,
        columns: CsvColumns {
            booking_date: col("Run Date"),
            value_date: col("Settlement Date"),
            amount: col("Amount ($)"),
            remittance_info: cols(&["Action", "Security Description"]),
            ..CsvColumns::default()
        },
        ..us("fidelity_us")
    }
}

/// Adyen settlement detail report: net debit/credit columns in the net currency.
fn adyen_settlement() -> CsvProfile {
    CsvProfile {
        name: "adyen_settlement".into(),
        date_format: "%Y-%m-%d %H:%M:%S".into(),
        columns: CsvColumns {
            account: col("Merchant Account"),
            booking_date: col("Creation Date"),
            credit: col("Net Credit (NC)"),
            debit: col("Net Debit (NC)"),
            currency: col("Net Currency"),
            remittance_info: cols(&["Modification Reference", "Modification Merchant Reference"]),
            bank_reference: col("Psp Reference"),
            bank_tx_code: col("Type"),
            structured_refs: cols(&["Merchant Reference"]),
            ..CsvColumns::default()
        },
        ..CsvProfile::default()
    }
}

/// Braintree settlement report: unsigned amounts; a `sale` is money in, a
/// `credit` (refund) money out.
fn braintree() -> CsvProfile {
    CsvProfile {
        name: "braintree".into(),
        columns: CsvColumns {
            account: col("Merchant Account ID"),
            booking_date: col("Settlement Date"),
            value_date: col("Disbursement Date"),
            amount: col("Settlement Amount"),
            direction: col("Transaction Type"),
            direction_credit_value: col("sale"),
            direction_debit_value: col("credit"),
            currency: col("Settlement Currency"),
            bank_reference: col("Transaction ID"),
            structured_refs: cols(&["Order ID"]),
            ..CsvColumns::default()
        },
        ..CsvProfile::default()
    }
}

// ---------------------------------------------------------------------------
// Tokenizer

/// One CSV record: unescaped field text packed into one buffer.
#[derive(Debug, Default)]
struct Row {
    buf: String,
    ends: Vec<usize>,
    /// 1-based line the record starts on.
    line: u64,
}

impl Row {
    fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        self.buf.get(start..end)
    }

    fn fields(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    fn is_blank(&self) -> bool {
        self.fields().all(|f| f.trim().is_empty())
    }
}

/// RFC 4180 reader over decoded text.
struct Tokenizer<'t> {
    text: &'t str,
    pos: usize,
    line: u64,
    delimiter: u8,
    record_bytes_max: usize,
}

impl<'t> Tokenizer<'t> {
    fn new(text: &'t str, delimiter: u8, record_bytes_max: usize) -> Self {
        Tokenizer {
            text,
            pos: 0,
            line: 1,
            delimiter,
            record_bytes_max,
        }
    }

    fn slice(&self, start: usize, end: usize) -> &'t str {
        self.text.get(start..end).unwrap_or_default()
    }

    /// Reads the next record into `row`; `Ok(false)` at end of input.
    fn read_row(&mut self, file: &str, row: &mut Row) -> Result<bool, ParseError> {
        row.clear();
        row.line = self.line;
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return Ok(false);
        }
        loop {
            let at_quote = bytes.get(self.pos) == Some(&b'"');
            if at_quote {
                self.read_quoted(file, row)?;
            }
            // Unquoted field, or text after a closing quote (kept as is).
            let rest = bytes.get(self.pos..).unwrap_or_default();
            let end =
                memchr::memchr2(self.delimiter, b'\n', rest).map_or(bytes.len(), |i| self.pos + i);
            let mut field_end = end;
            if bytes.get(end) != Some(&self.delimiter)
                && field_end > self.pos
                && bytes.get(field_end - 1) == Some(&b'\r')
            {
                field_end -= 1;
            }
            row.buf.push_str(self.slice(self.pos, field_end));
            row.ends.push(row.buf.len());
            if row.buf.len() > self.record_bytes_max {
                return Err(ParseError::new(
                    file,
                    Some(FORMAT_NAME),
                    Location::Line(row.line),
                    ErrorKind::LimitExceeded,
                    format!(
                        "record is longer than {} bytes (raise `limits.line_bytes_max`)",
                        self.record_bytes_max
                    ),
                ));
            }
            match bytes.get(end) {
                Some(&b) if b == self.delimiter => self.pos = end + 1,
                Some(_) => {
                    self.pos = end + 1;
                    self.line += 1;
                    return Ok(true);
                }
                None => {
                    self.pos = bytes.len();
                    return Ok(true);
                }
            }
        }
    }

    /// Reads a quoted field starting at `self.pos` (on the opening quote)
    /// and leaves `self.pos` after the closing quote.
    fn read_quoted(&mut self, file: &str, row: &mut Row) -> Result<(), ParseError> {
        let bytes = self.text.as_bytes();
        let start_line = self.line;
        let mut pos = self.pos + 1;
        loop {
            let rest = bytes.get(pos..).unwrap_or_default();
            let Some(q) = memchr::memchr(b'"', rest).map(|i| pos + i) else {
                return Err(ParseError::new(
                    file,
                    Some(FORMAT_NAME),
                    Location::Line(start_line),
                    ErrorKind::Structure,
                    "quoted field is never closed (missing `\"`)".into(),
                ));
            };
            let chunk = self.slice(pos, q);
            self.line += memchr::memchr_iter(b'\n', chunk.as_bytes()).count() as u64;
            row.buf.push_str(chunk);
            if row.buf.len() > self.record_bytes_max {
                return Err(ParseError::new(
                    file,
                    Some(FORMAT_NAME),
                    Location::Line(start_line),
                    ErrorKind::LimitExceeded,
                    format!(
                        "record is longer than {} bytes (raise `limits.line_bytes_max`)",
                        self.record_bytes_max
                    ),
                ));
            }
            if bytes.get(q + 1) == Some(&b'"') {
                row.buf.push('"');
                pos = q + 2;
            } else {
                self.pos = q + 1;
                return Ok(());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Profile selection

struct Selected {
    profile: CsvProfile,
    /// Index of the header record (None for headerless profiles).
    header_record: Option<usize>,
}

fn header_names(columns: &CsvColumns) -> Vec<&str> {
    let singles = [
        &columns.account,
        &columns.booking_date,
        &columns.value_date,
        &columns.amount,
        &columns.credit,
        &columns.debit,
        &columns.direction,
        &columns.currency,
        &columns.counterparty_name,
        &columns.counterparty_account,
        &columns.bank_reference,
        &columns.balance,
        &columns.status,
        &columns.end_to_end_id,
        &columns.bank_tx_code,
    ];
    singles
        .into_iter()
        .flatten()
        .chain(columns.remittance_info.iter())
        .chain(columns.structured_refs.iter())
        .map(String::as_str)
        .filter(|n| !is_position(n))
        .collect()
}

fn is_position(name: &str) -> bool {
    name.strip_prefix('#')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn header_matches(row: &Row, names: &[&str]) -> bool {
    !names.is_empty()
        && names
            .iter()
            .all(|n| row.fields().any(|f| f.trim().eq_ignore_ascii_case(n)))
}

fn select_profile(file: &str, text: &str, options: &ParseOptions) -> Result<Selected, ParseError> {
    let builtins = builtin_profiles();
    let user = &options.csv_profiles;
    let mut delimiters: Vec<u8> = user
        .iter()
        .chain(builtins.iter())
        .map(|p| p.delimiter)
        .collect();
    delimiters.sort_unstable();
    delimiters.dedup();
    let mut row = Row::default();
    // (record index, from user list, score, profile)
    let mut best: Option<(usize, bool, usize, &CsvProfile)> = None;
    for &delimiter in &delimiters {
        let mut tok = Tokenizer::new(text, delimiter, options.limits.line_bytes_max);
        let mut index = 0usize;
        while index < HEADER_SEARCH_RECORDS_MAX && tok.read_row(file, &mut row).unwrap_or(false) {
            for (is_user, profile) in user
                .iter()
                .map(|p| (true, p))
                .chain(builtins.iter().map(|p| (false, p)))
            {
                if profile.delimiter != delimiter
                    || !profile.has_header
                    || index < profile.skip_lines
                {
                    continue;
                }
                let names = header_names(&profile.columns);
                if !header_matches(&row, &names) {
                    continue;
                }
                let candidate = (index, is_user, names.len(), profile);
                let better = match best {
                    None => true,
                    Some((bi, bu, bs, _)) => {
                        (index, !is_user, std::cmp::Reverse(names.len()))
                            < (bi, !bu, std::cmp::Reverse(bs))
                    }
                };
                if better {
                    best = Some(candidate);
                }
            }
            index += 1;
        }
    }
    if let Some((index, _, _, profile)) = best {
        return Ok(Selected {
            profile: profile.clone(),
            header_record: Some(index),
        });
    }
    for profile in user.iter().chain(builtins.iter()).filter(|p| !p.has_header) {
        if headerless_matches(file, text, profile, options) {
            return Ok(Selected {
                profile: profile.clone(),
                header_record: None,
            });
        }
    }
    Err(no_profile_error(file, text, options))
}

/// A headerless profile fits when its first data row has the declared width
/// and its booking date and amount parse.
fn headerless_matches(
    file: &str,
    text: &str,
    profile: &CsvProfile,
    options: &ParseOptions,
) -> bool {
    let Ok(layout) = Layout::compile(file, profile, None) else {
        return false;
    };
    let mut tok = Tokenizer::new(text, profile.delimiter, options.limits.line_bytes_max);
    let mut row = Row::default();
    let mut skipped = 0usize;
    while tok.read_row(file, &mut row).unwrap_or(false) {
        if skipped < profile.skip_lines || row.is_blank() {
            skipped += 1;
            continue;
        }
        if profile.field_count.is_some_and(|n| n != row.len()) {
            return false;
        }
        let date_ok = layout
            .booking_date
            .and_then(|c| row.get(c))
            .is_some_and(|d| layout.date.parse(d.trim()).is_some());
        let amount_ok = layout
            .amount
            .or(layout.credit)
            .and_then(|c| row.get(c))
            .is_some_and(|a| parse_amount(a, &layout.number).is_ok());
        return date_ok && amount_ok;
    }
    false
}

fn no_profile_error(file: &str, text: &str, options: &ParseOptions) -> ParseError {
    let mut tok = Tokenizer::new(text, b',', options.limits.line_bytes_max);
    let mut row = Row::default();
    let canonical = CsvProfile::default();
    let names = header_names(&canonical.columns);
    if tok.read_row(file, &mut row).unwrap_or(false) {
        let present: Vec<&&str> = names
            .iter()
            .filter(|n| row.fields().any(|f| f.trim().eq_ignore_ascii_case(n)))
            .collect();
        if present.len() * 2 >= names.len() {
            let missing: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !present.contains(&n))
                .collect();
            return ParseError::new(
                file,
                Some(FORMAT_NAME),
                Location::Line(1),
                ErrorKind::MissingField,
                format!(
                    "header lacks the canonical column(s) `{}`",
                    missing.join("`, `")
                ),
            );
        }
    }
    ParseError::new(
        file,
        Some(FORMAT_NAME),
        Location::Line(1),
        ErrorKind::UnknownFormat,
        "no CSV profile matches: no header row with the canonical columns or a built-in bank's columns \
         in the first 50 records; add a `csv_profiles` entry for this export"
            .into(),
    )
}

// ---------------------------------------------------------------------------
// Profile compiled against a header

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateToken {
    Year4,
    Year2,
    Month,
    Day,
    /// Hour, minute, second: read and ignored (booking dates are civil dates).
    TimePart,
    Fraction,
    Literal(u8),
}

/// A chrono-style date format compiled once per file (`%Y %y %m %d %H %M %S
/// %f` and literals). Day, month and time parts accept one or two digits
/// (`2/1/2020`, `6:11:59`).
#[derive(Debug, Clone)]
struct DateFormat {
    tokens: Vec<DateToken>,
    text: String,
}

impl DateFormat {
    fn compile(format: &str) -> Option<DateFormat> {
        let mut tokens = Vec::new();
        let mut bytes = format.bytes();
        while let Some(b) = bytes.next() {
            if b != b'%' {
                tokens.push(DateToken::Literal(b));
                continue;
            }
            tokens.push(match bytes.next()? {
                b'Y' => DateToken::Year4,
                b'y' => DateToken::Year2,
                b'm' => DateToken::Month,
                b'd' => DateToken::Day,
                b'H' | b'M' | b'S' => DateToken::TimePart,
                b'f' => DateToken::Fraction,
                b'%' => DateToken::Literal(b'%'),
                _ => return None,
            });
        }
        Some(DateFormat {
            tokens,
            text: format.to_string(),
        })
    }

    fn parse(&self, text: &str) -> Option<NaiveDate> {
        let b = text.as_bytes();
        let mut pos = 0usize;
        let (mut year, mut month, mut day) = (None, None, None);
        let digits = |pos: &mut usize, min: usize, max: usize| -> Option<u32> {
            let mut value = 0u32;
            let mut n = 0usize;
            while n < max {
                match b.get(*pos + n) {
                    Some(d) if d.is_ascii_digit() => value = value * 10 + u32::from(d - b'0'),
                    _ => break,
                }
                n += 1;
            }
            if n < min {
                return None;
            }
            *pos += n;
            Some(value)
        };
        for token in &self.tokens {
            match *token {
                DateToken::Year4 => year = Some(digits(&mut pos, 4, 4)?),
                DateToken::Year2 => {
                    let yy = digits(&mut pos, 2, 2)?;
                    year = Some(crate::date::year_from_two_digits(yy));
                }
                DateToken::Month => month = Some(digits(&mut pos, 1, 2)?),
                DateToken::Day => day = Some(digits(&mut pos, 1, 2)?),
                DateToken::TimePart => {
                    digits(&mut pos, 1, 2)?;
                }
                DateToken::Fraction => {
                    digits(&mut pos, 1, 9)?;
                }
                DateToken::Literal(l) => {
                    if b.get(pos) != Some(&l) {
                        return None;
                    }
                    pos += 1;
                }
            }
        }
        if pos != b.len() {
            return None;
        }
        NaiveDate::from_ymd_opt(i32::try_from(year?).ok()?, month?, day?)
    }
}

/// A profile resolved against the header: column indices and compiled formats.
struct Layout {
    account: Option<usize>,
    booking_date: Option<usize>,
    value_date: Option<usize>,
    amount: Option<usize>,
    credit: Option<usize>,
    debit: Option<usize>,
    direction: Option<usize>,
    currency: Option<usize>,
    counterparty_name: Option<usize>,
    counterparty_account: Option<usize>,
    remittance_info: Vec<usize>,
    bank_reference: Option<usize>,
    balance: Option<usize>,
    status: Option<usize>,
    end_to_end_id: Option<usize>,
    bank_tx_code: Option<usize>,
    structured_refs: Vec<usize>,
    /// Header names by column, for messages (`#N` when headerless).
    names: Vec<String>,
    width: Option<usize>,
    number: NumberFormat,
    date: DateFormat,
}

impl Layout {
    fn compile(
        file: &str,
        profile: &CsvProfile,
        header: Option<&Row>,
    ) -> Result<Layout, ParseError> {
        let config_error = |message: String| {
            ParseError::new(
                file,
                Some(FORMAT_NAME),
                Location::Line(1),
                ErrorKind::Structure,
                message,
            )
        };
        let date = DateFormat::compile(&profile.date_format).ok_or_else(|| {
            config_error(format!(
                "profile `{}`: date format `{}` uses a specifier other than %Y %y %m %d %H %M %S %f",
                profile.name, profile.date_format
            ))
        })?;
        let grouping = match profile.thousands_separator {
            None => None,
            Some(c) => Some(
                Grouping::from_setting(c.encode_utf8(&mut [0; 4])).ok_or_else(|| {
                    config_error(format!(
                    "profile `{}`: thousands separator `{c}` is not one of `.` `,` `'` or a space",
                    profile.name
                ))
                })?,
            ),
        };
        let number = NumberFormat {
            decimal: profile.decimal_separator,
            grouping,
            dollar_sign: true,
            ..NumberFormat::default()
        };
        let header_line = header.map_or(1, |h| h.line);
        let find = |name: &Option<String>| -> Result<Option<usize>, ParseError> {
            let Some(name) = name else { return Ok(None) };
            if let Some(n) = name.strip_prefix('#').filter(|_| is_position(name)) {
                return Ok(n.parse().ok());
            }
            let found =
                header.and_then(|h| h.fields().position(|f| f.trim().eq_ignore_ascii_case(name)));
            match found {
                Some(i) => Ok(Some(i)),
                None => Err(ParseError::new(
                    file,
                    Some(FORMAT_NAME),
                    Location::Line(header_line),
                    ErrorKind::MissingField,
                    format!("profile `{}`: header has no column `{name}`", profile.name),
                )),
            }
        };
        let c = &profile.columns;
        let many = |names: &[String]| -> Result<Vec<usize>, ParseError> {
            names
                .iter()
                .filter_map(|n| find(&Some(n.clone())).transpose())
                .collect()
        };
        let layout = Layout {
            account: find(&c.account)?,
            booking_date: find(&c.booking_date)?,
            value_date: find(&c.value_date)?,
            amount: find(&c.amount)?,
            credit: find(&c.credit)?,
            debit: find(&c.debit)?,
            direction: find(&c.direction)?,
            currency: find(&c.currency)?,
            counterparty_name: find(&c.counterparty_name)?,
            counterparty_account: find(&c.counterparty_account)?,
            remittance_info: many(&c.remittance_info)?,
            bank_reference: find(&c.bank_reference)?,
            balance: find(&c.balance)?,
            status: find(&c.status)?,
            end_to_end_id: find(&c.end_to_end_id)?,
            bank_tx_code: find(&c.bank_tx_code)?,
            structured_refs: many(&c.structured_refs)?,
            names: match header {
                Some(h) => h.fields().map(|f| f.trim().to_string()).collect(),
                None => Vec::new(),
            },
            width: header.map(Row::len).or(profile.field_count),
            number,
            date,
        };
        if layout.booking_date.is_none() {
            return Err(config_error(format!(
                "profile `{}` maps no booking date column",
                profile.name
            )));
        }
        if layout.amount.is_none() && layout.credit.is_none() && layout.debit.is_none() {
            return Err(config_error(format!(
                "profile `{}` maps no amount or credit/debit column",
                profile.name
            )));
        }
        Ok(layout)
    }

    fn name(&self, col: usize) -> String {
        match self.names.get(col) {
            Some(n) if !n.is_empty() => n.clone(),
            _ => format!("#{col}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Amounts

/// Parses an amount under a profile's number format (the one grammar of
/// [`crate::amount`]): optional sign, optional `$`, digits grouped by the
/// thousands separator in threes, optional decimal part. `-$7,971.39`,
/// `$-5`, `+1,23`, `4.626,81`, `-888`.
fn parse_amount(text: &str, format: &NumberFormat) -> Result<Decimal, AmountError> {
    format.parse(text)
}

fn describe_number(format: &NumberFormat) -> String {
    let decimal = format.decimal;
    match format.grouping.map(Grouping::as_char) {
        Some(t) => format!("an amount with `{decimal}` decimals and optional `{t}` grouping, e.g. `-1{t}234{decimal}56`"),
        None => format!("an amount with `{decimal}` decimals and no grouping, e.g. `-1234{decimal}56`"),
    }
}

// ---------------------------------------------------------------------------
// Rows to transactions

/// A statement being built: one per (account, currency).
struct Building {
    statement: Statement,
    /// (line, amount, balance) of rows that carry a balance, in file order.
    chain: Vec<(u64, Decimal, Decimal)>,
    first_booked: Option<NaiveDate>,
    last_booked: Option<NaiveDate>,
}

struct RowReader<'a> {
    file: &'a str,
    profile: &'a CsvProfile,
    layout: Layout,
    warnings: Vec<String>,
    statements: Vec<Building>,
    transactions: Vec<StatementTransaction>,
    section_status: EntryStatus,
    label_account: Option<String>,
    label_opening: Option<(u64, Decimal)>,
    label_closing: Option<(u64, Decimal)>,
}

fn read_rows(
    file: &str,
    text: &str,
    selected: &Selected,
    options: &ParseOptions,
) -> Result<ParsedFile, ParseError> {
    let profile = &selected.profile;
    let mut tok = Tokenizer::new(text, profile.delimiter, options.limits.line_bytes_max);
    let mut row = Row::default();
    let mut index = 0usize;
    let mut preamble_lines: Vec<u64> = Vec::new();
    let mut preamble_rows: Vec<(u64, Vec<String>)> = Vec::new();
    let layout = match selected.header_record {
        Some(header_index) => {
            loop {
                if !tok.read_row(file, &mut row)? {
                    return Err(ParseError::new(
                        file,
                        Some(FORMAT_NAME),
                        Location::Line(row.line),
                        ErrorKind::Truncated,
                        "file ends before its header row".into(),
                    ));
                }
                if index == header_index {
                    break;
                }
                if !row.is_blank() {
                    preamble_lines.push(row.line);
                    preamble_rows.push((row.line, row.fields().map(str::to_string).collect()));
                }
                index += 1;
            }
            Layout::compile(file, profile, Some(&row))?
        }
        None => Layout::compile(file, profile, None)?,
    };
    let header_line = selected.header_record.map(|_| row.line);
    let mut reader = RowReader {
        file,
        profile,
        layout,
        warnings: Vec::new(),
        statements: Vec::new(),
        transactions: Vec::new(),
        section_status: EntryStatus::Booked,
        label_account: None,
        label_opening: None,
        label_closing: None,
    };
    if let (Some(first), Some(last), Some(header)) =
        (preamble_lines.first(), preamble_lines.last(), header_line)
    {
        reader.warnings.push(format!(
            "lines {first}-{last}: {} preamble line(s) before the header at line {header} skipped",
            preamble_lines.len()
        ));
    }
    reader.reserve_transactions(text, options.limits.records_max);
    for (line, fields) in &preamble_rows {
        reader.read_label_row(*line, fields.iter().map(String::as_str))?;
    }
    let mut skipped = 0usize;
    let mut records = 0u64;
    while tok.read_row(file, &mut row)? {
        records += 1;
        if records > options.limits.records_max {
            return Err(ParseError::new(
                file,
                Some(FORMAT_NAME),
                Location::Line(row.line),
                ErrorKind::LimitExceeded,
                format!(
                    "more than {} records (raise `limits.records_max`)",
                    options.limits.records_max
                ),
            ));
        }
        if header_line.is_none() && skipped < profile.skip_lines {
            skipped += 1;
            continue;
        }
        reader.read_row(&row)?;
    }
    reader.finish()
}

impl RowReader<'_> {
    fn error(&self, location: Location, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(self.file, Some(FORMAT_NAME), location, kind, message)
    }

    /// Reads account and balance rows (`IBAN;DE12 ...`, `Saldo;150,00;EUR`,
    /// `Balance at start of period,,,,"+30000,77"`). Returns whether the
    /// row was one.
    fn read_label_row<'f>(
        &mut self,
        line: u64,
        mut fields: impl Iterator<Item = &'f str>,
    ) -> Result<bool, ParseError> {
        let Some(first) = fields.next().map(str::trim) else {
            return Ok(false);
        };
        let profile = self.profile;
        let is = |label: &Option<String>| {
            label
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(first))
        };
        if is(&profile.account_label) {
            let value: String = fields
                .next()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            self.label_account = Some(value);
            return Ok(true);
        }
        let opening = is(&profile.opening_balance_label);
        let closing = is(&profile.closing_balance_label);
        if !opening && !closing {
            return Ok(false);
        }
        let Some((col, value)) = fields.enumerate().find(|(_, f)| !f.trim().is_empty()) else {
            return Err(self.error(
                Location::Line(line),
                ErrorKind::MissingField,
                format!("balance row `{first}` has no amount"),
            ));
        };
        let amount = parse_amount(value, &self.layout.number).map_err(|e| {
            self.error(
                Location::LineColumn(line, col as u64 + 2),
                ErrorKind::InvalidAmount,
                match e {
                    AmountError::Malformed => format!(
                        "balance `{}` of row `{first}` is not valid: expected {}",
                        value.trim(),
                        describe_number(&self.layout.number)
                    ),
                    AmountError::TooLarge => amount::too_large_message(value.trim()),
                },
            )
        })?;
        if opening {
            self.label_opening = Some((line, amount));
        } else {
            self.label_closing = Some((line, amount));
        }
        Ok(true)
    }

    fn cell<'r>(&self, row: &'r Row, col: Option<usize>) -> &'r str {
        col.and_then(|c| row.get(c))
            .map(trim_fast)
            .unwrap_or_default()
    }

    fn junk(&mut self, row: &Row, what: &str) {
        let first: String = row
            .fields()
            .find(|f| !f.trim().is_empty())
            .unwrap_or_default()
            .trim()
            .chars()
            .take(60)
            .collect();
        self.warnings
            .push(format!("line {}: {what} (`{first}`); skipped", row.line));
    }

    fn read_row(&mut self, row: &Row) -> Result<(), ParseError> {
        let profile = self.profile;
        // PERF: one pass that neither allocates nor trims a field twice
        // tells blank rows and single-cell section rows apart (it was a
        // `Vec<&str>` per row; `throughput` in tests/bank_csv.rs).
        let mut non_empty = row.fields().map(trim_fast).filter(|f| !f.is_empty());
        let Some(first_non_empty) = non_empty.next() else {
            return Ok(());
        };
        if non_empty.next().is_none() {
            let only = first_non_empty;
            if profile
                .pending_section
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(only))
            {
                self.section_status = EntryStatus::Pending;
                self.warnings.push(format!(
                    "line {}: section `{only}`: the rows after it are pending",
                    row.line
                ));
                return Ok(());
            }
            if profile
                .booked_section
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(only))
            {
                self.section_status = EntryStatus::Booked;
                self.warnings.push(format!(
                    "line {}: section `{only}`: the rows after it are booked",
                    row.line
                ));
                return Ok(());
            }
        }
        if self.read_label_row(row.line, row.fields())? {
            return Ok(());
        }
        let status = match self.layout.status {
            Some(c) => {
                let value = self.cell(row, Some(c));
                if profile
                    .columns
                    .status_pending_values
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(value))
                {
                    EntryStatus::Pending
                } else {
                    self.section_status
                }
            }
            None => self.section_status,
        };
        let line = row.line;
        let booking_col = self.layout.booking_date;
        let booking_text = self.cell(row, booking_col);
        let booking_date = if booking_text.is_empty() {
            if status == EntryStatus::Pending {
                None
            } else if profile.junk_rows {
                self.junk(row, "not a transaction row");
                return Ok(());
            } else {
                return Err(self.missing(row, booking_col, "booking date"));
            }
        } else {
            match self.layout.date.parse(booking_text) {
                Some(d) => Some(d),
                None if profile.junk_rows => {
                    self.junk(row, "not a transaction row");
                    return Ok(());
                }
                None => return Err(self.bad_date(row, booking_col, booking_text)),
            }
        };
        let mut extra_text = Vec::new();
        if let Some(width) = self.layout.width {
            if row.len() != width {
                if !profile.ragged_rows {
                    return Err(self.error(
                        Location::Line(line),
                        ErrorKind::Structure,
                        format!("row has {} fields, the header has {width}", row.len()),
                    ));
                }
                extra_text.extend(
                    (width..row.len())
                        .filter_map(|i| row.get(i))
                        .map(str::trim)
                        .filter(|f| !f.is_empty()),
                );
            }
        }
        let value_text = self.cell(row, self.layout.value_date);
        let value_date = if value_text.is_empty() {
            None
        } else {
            Some(
                self.layout
                    .date
                    .parse(value_text)
                    .ok_or_else(|| self.bad_date(row, self.layout.value_date, value_text))?,
            )
        };
        let currency = self.currency(row)?;
        let amount = self.amount(row, &currency)?;
        let account = match self.layout.account {
            Some(c) => self.cell(row, Some(c)).to_string(),
            None => self
                .label_account
                .clone()
                .or_else(|| profile.account.clone())
                .unwrap_or_default(),
        };
        let balance = match self.layout.balance {
            Some(c) if !self.cell(row, Some(c)).is_empty() => {
                let text = self.cell(row, Some(c));
                let value = parse_amount(text, &self.layout.number)
                    .map_err(|e| self.bad_amount(row, Some(c), text, e))?;
                self.check_scale(row, c, text, value, &currency)?;
                Some(value)
            }
            _ => None,
        };
        let remittance = join_non_empty(
            self.layout
                .remittance_info
                .iter()
                .map(|&c| self.cell(row, Some(c)))
                .chain(extra_text.iter().copied()),
        );
        let structured_refs: Vec<String> = self
            .layout
            .structured_refs
            .iter()
            .map(|&c| self.cell(row, Some(c)))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        let statement_index = self.statement_for(&account, &currency, line);
        if status == EntryStatus::Booked {
            // Cannot overflow with amounts below the bound; checked anyway,
            // so that it never panics (RELIABILITY B5-51).
            let sum = &self.statements[statement_index].statement.entries_sum;
            let Some(sum) = sum.checked_add(amount) else {
                return Err(self.error(
                    Location::Line(line),
                    ErrorKind::InvalidAmount,
                    "sum of entries overflows".into(),
                ));
            };
            self.statements[statement_index].statement.entries_sum = sum;
        }
        let building = &mut self.statements[statement_index];
        building.statement.entries += 1;
        if let Some(d) = booking_date {
            building.first_booked = Some(building.first_booked.map_or(d, |f| f.min(d)));
            building.last_booked = Some(building.last_booked.map_or(d, |l| l.max(d)));
        }
        if let Some(b) = balance {
            building.chain.push((line, amount, b));
        }
        let transaction = StatementTransaction {
            statement_index,
            source_line: line,
            locator: line_locator(line),
            account,
            currency,
            amount,
            booking_date,
            value_date: value_date.or(booking_date),
            counterparty_name: self.cell(row, self.layout.counterparty_name).to_string(),
            counterparty_account: self.cell(row, self.layout.counterparty_account).to_string(),
            remittance_info: remittance,
            structured_refs,
            end_to_end_id: self.cell(row, self.layout.end_to_end_id).to_string(),
            bank_reference: self.cell(row, self.layout.bank_reference).to_string(),
            bank_tx_code: self.cell(row, self.layout.bank_tx_code).to_string(),
            status,
            reversal: false,
        };
        self.transactions.push(transaction);
        Ok(())
    }

    /// Reserves room for the transactions of `text` (an estimate).
    fn reserve_transactions(&mut self, text: &str, records_max: u64) {
        let estimate = estimate_records(text.as_bytes()).min(records_max);
        // PERF: one reservation instead of log2(n) regrowths that copy and
        // re-fault the transaction vector (`throughput` in
        // tests/bank_csv.rs). An estimate that cannot be reserved is not used.
        let _ = self
            .transactions
            .try_reserve_exact(usize::try_from(estimate).unwrap_or(0));
    }

    fn statement_for(&mut self, account: &str, currency: &str, line: u64) -> usize {
        if let Some(i) = self
            .statements
            .iter()
            .position(|b| b.statement.account == account && b.statement.currency == currency)
        {
            return i;
        }
        self.statements.push(Building {
            statement: Statement {
                format: Some(Format::BankCsv),
                account: account.to_string(),
                currency: currency.to_string(),
                source_line: line,
                ..Statement::default()
            },
            chain: Vec::new(),
            first_booked: None,
            last_booked: None,
        });
        self.statements.len() - 1
    }

    fn currency(&self, row: &Row) -> Result<String, ParseError> {
        let text = self.cell(row, self.layout.currency);
        if text.is_empty() {
            return match &self.profile.currency {
                Some(c) => Ok(c.clone()),
                None => Err(self.missing(row, self.layout.currency, "currency")),
            };
        }
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
            return Ok(text.to_string());
        }
        let col = self.layout.currency.unwrap_or(0);
        Err(self.error(
            Location::LineColumn(row.line, col as u64 + 1),
            ErrorKind::InvalidCurrency,
            format!("currency `{text}` in column `{}` is not valid: expected an ISO 4217 code such as `EUR`", self.layout.name(col)),
        ))
    }

    /// The signed amount of a row, from exactly one of: a signed amount
    /// column, an unsigned amount with a direction column, or separate
    /// credit and debit columns.
    fn amount(&self, row: &Row, currency: &str) -> Result<Decimal, ParseError> {
        let layout = &self.layout;
        let (amount, col) = if let Some(c) = layout.amount {
            let text = self.cell(row, Some(c));
            if text.is_empty() {
                return Err(self.missing(row, Some(c), "amount"));
            }
            let value = parse_amount(text, &layout.number)
                .map_err(|e| self.bad_amount(row, Some(c), text, e))?;
            match layout.direction {
                Some(d) => {
                    if value.is_sign_negative() && !value.is_zero() {
                        return Err(self.error(
                            Location::LineColumn(row.line, c as u64 + 1),
                            ErrorKind::InvalidAmount,
                            format!(
                                "amount `{text}` is signed, but column `{}` gives the direction",
                                layout.name(d)
                            ),
                        ));
                    }
                    (self.apply_direction(row, d, value)?, c)
                }
                None => (value, c),
            }
        } else {
            let credit_text = self.cell(row, layout.credit);
            let debit_text = self.cell(row, layout.debit);
            let credit = if credit_text.is_empty() {
                None
            } else {
                Some(
                    parse_amount(credit_text, &layout.number)
                        .map_err(|e| self.bad_amount(row, layout.credit, credit_text, e))?,
                )
            };
            let debit = if debit_text.is_empty() {
                None
            } else {
                Some(
                    parse_amount(debit_text, &layout.number)
                        .map_err(|e| self.bad_amount(row, layout.debit, debit_text, e))?,
                )
            };
            if credit.is_none() && debit.is_none() {
                return Err(self.missing(
                    row,
                    layout.credit.or(layout.debit),
                    "credit or debit amount",
                ));
            }
            // Some banks write debits already negative (`-50,00`), others
            // unsigned: the column, not the sign, says the direction.
            // Both are below the amount bound, so the difference is too.
            let value = credit
                .unwrap_or_default()
                .abs()
                .saturating_sub(debit.unwrap_or_default().abs());
            (
                value,
                if credit.is_some() {
                    layout.credit.unwrap_or(0)
                } else {
                    layout.debit.unwrap_or(0)
                },
            )
        };
        if amount::has_excess_scale(amount, currency_exponent(currency)) {
            return Err(self.error(
                Location::LineColumn(row.line, col as u64 + 1),
                ErrorKind::InvalidAmount,
                format!(
                    "amount {amount} has more decimals than {currency} allows ({})",
                    currency_exponent(currency)
                ),
            ));
        }
        Ok(amount)
    }

    /// RELIABILITY B1-11: a balance with more decimals than its currency
    /// allows rejects the file, like an amount.
    fn check_scale(
        &self,
        row: &Row,
        col: usize,
        text: &str,
        value: Decimal,
        currency: &str,
    ) -> Result<(), ParseError> {
        if amount::has_excess_scale(value, currency_exponent(currency)) {
            return Err(self.error(
                Location::LineColumn(row.line, col as u64 + 1),
                ErrorKind::InvalidAmount,
                format!(
                    "{} (column `{}`)",
                    amount::excess_scale_message(text, currency),
                    self.layout.name(col)
                ),
            ));
        }
        Ok(())
    }

    fn apply_direction(
        &self,
        row: &Row,
        col: usize,
        value: Decimal,
    ) -> Result<Decimal, ParseError> {
        let c = &self.profile.columns;
        let marker = self.cell(row, Some(col));
        let is = |v: &Option<String>| v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(marker));
        if is(&c.direction_credit_value) {
            return Ok(value);
        }
        if c.direction_debit_value.is_none() || is(&c.direction_debit_value) {
            return Ok(-value);
        }
        Err(self.error(
            Location::LineColumn(row.line, col as u64 + 1),
            ErrorKind::Structure,
            format!(
                "direction `{marker}` in column `{}` is neither `{}` nor `{}`",
                self.layout.name(col),
                c.direction_credit_value.as_deref().unwrap_or_default(),
                c.direction_debit_value.as_deref().unwrap_or_default()
            ),
        ))
    }

    fn location(&self, row: &Row, col: Option<usize>) -> Location {
        match col {
            Some(c) => Location::LineColumn(row.line, c as u64 + 1),
            None => Location::Line(row.line),
        }
    }

    fn missing(&self, row: &Row, col: Option<usize>, what: &str) -> ParseError {
        let name = col.map(|c| self.layout.name(c)).unwrap_or_default();
        self.error(
            self.location(row, col),
            ErrorKind::MissingField,
            format!("{what} column `{name}` is empty"),
        )
    }

    fn bad_date(&self, row: &Row, col: Option<usize>, text: &str) -> ParseError {
        let name = col.map(|c| self.layout.name(c)).unwrap_or_default();
        self.error(
            self.location(row, col),
            ErrorKind::InvalidDate,
            format!(
                "date `{text}` in column `{name}` is not valid: expected a date as `{}`",
                self.layout.date.text
            ),
        )
    }

    fn bad_amount(
        &self,
        row: &Row,
        col: Option<usize>,
        text: &str,
        problem: AmountError,
    ) -> ParseError {
        let name = col.map(|c| self.layout.name(c)).unwrap_or_default();
        let message = match problem {
            AmountError::Malformed => format!(
                "amount `{text}` in column `{name}` is not valid: expected {}",
                describe_number(&self.layout.number)
            ),
            AmountError::TooLarge => {
                format!("{} (column `{name}`)", amount::too_large_message(text))
            }
        };
        self.error(self.location(row, col), ErrorKind::InvalidAmount, message)
    }

    fn finish(mut self) -> Result<ParsedFile, ParseError> {
        let single = self.statements.len() == 1;
        let newest_first = self.profile.newest_first;
        let before = self.profile.balance_before_row;
        let label_opening = self.label_opening;
        let label_closing = self.label_closing;
        if self.statements.is_empty() && (label_opening.is_some() || label_closing.is_some()) {
            self.warnings
                .push("file has balance rows but no transactions".into());
        }
        let file = self.file;
        let overflow = |line: u64| {
            ParseError::new(
                file,
                Some(FORMAT_NAME),
                Location::Line(line),
                ErrorKind::InvalidAmount,
                "balance arithmetic overflows".into(),
            )
        };
        let mut statements = Vec::with_capacity(self.statements.len());
        for b in self.statements {
            let mut s = b.statement;
            s.from_date = b.first_booked;
            s.to_date = b.last_booked;
            s.statement_id = format!(
                "{}/{}/{}..{}",
                s.account,
                s.currency,
                s.from_date.map(|d| d.to_string()).unwrap_or_default(),
                s.to_date.map(|d| d.to_string()).unwrap_or_default()
            );
            let chain = check_chain(&b.chain, newest_first, before)
                .ok_or_else(|| overflow(s.source_line))?;
            s.opening_balance = chain.opening;
            s.closing_balance = chain.closing;
            let mut failures = chain.breaks;
            let mut checked = chain.transitions > 0;
            if single {
                if let Some((_, o)) = label_opening {
                    s.opening_balance = Some(o);
                }
                if let Some((line, c)) = label_closing {
                    match chain.closing {
                        Some(last) => {
                            checked = true;
                            if last != c {
                                failures.push(format!(
                                    "closing balance {c} (line {line}) vs newest row balance {last} (diff {})",
                                    c.checked_sub(last).ok_or_else(|| overflow(line))?
                                ));
                            }
                        }
                        None => s.closing_balance = Some(c),
                    }
                }
                if b.chain.is_empty() {
                    if let (Some((_, o)), Some((line, c))) = (label_opening, label_closing) {
                        checked = true;
                        let computed =
                            o.checked_add(s.entries_sum).ok_or_else(|| overflow(line))?;
                        if computed != c {
                            failures.push(format!(
                                "opening {o} + entries {} = {computed} vs closing {c} (line {line}) (diff {})",
                                s.entries_sum,
                                computed.checked_sub(c).ok_or_else(|| overflow(line))?
                            ));
                        }
                    }
                }
            }
            s.balance_check = if !failures.is_empty() {
                BalanceCheck::Fail
            } else if checked {
                BalanceCheck::Pass
            } else {
                BalanceCheck::NotCheckable
            };
            s.check_detail = failures.join("; ");
            statements.push(s);
        }
        Ok(ParsedFile {
            source_file: String::new(),
            format: Some(Format::BankCsv),
            encoding: String::new(),
            statements,
            transactions: self.transactions,
            warnings: self.warnings,
        })
    }
}

/// Joins the non-empty parts with single spaces.
///
/// PERF: measures first so the text is exactly one allocation (none when
/// every part is empty); `throughput` in tests/bank_csv.rs.
fn join_non_empty<'p>(parts: impl Iterator<Item = &'p str> + Clone) -> String {
    let (count, bytes) = parts
        .clone()
        .filter(|p| !p.is_empty())
        .fold((0usize, 0usize), |(n, b), p| (n + 1, b + p.len()));
    if count == 0 {
        return String::new();
    }
    let mut out = String::with_capacity(bytes + count - 1);
    for part in parts.filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// Bytes sampled from the top of a file to estimate its number of records.
const ESTIMATE_SAMPLE_BYTES: usize = 64 * 1024;

/// Estimates the number of records (lines) from the first
/// [`ESTIMATE_SAMPLE_BYTES`], scaled to the file size, plus one eighth of
/// slack; exact (an upper bound) for files no larger than the sample.
fn estimate_records(bytes: &[u8]) -> u64 {
    let sample = bytes.get(..ESTIMATE_SAMPLE_BYTES).unwrap_or(bytes);
    let lines = memchr::memchr_iter(b'\n', sample).count() as u64 + 1;
    if sample.len() == bytes.len() {
        return lines;
    }
    let scaled = lines.saturating_mul(bytes.len() as u64) / sample.len().max(1) as u64;
    scaled.saturating_add(scaled / 8)
}

struct ChainResult {
    opening: Option<Decimal>,
    closing: Option<Decimal>,
    transitions: usize,
    breaks: Vec<String>,
}

/// Checks `previous balance + amount = balance` over the rows that carry a
/// balance, in chronological order.
/// `None` when the arithmetic overflows, which amounts below the bound
/// cannot do; the caller turns it into a file error, never a panic.
fn check_chain(
    rows: &[(u64, Decimal, Decimal)],
    newest_first: bool,
    before: bool,
) -> Option<ChainResult> {
    let ordered: Vec<&(u64, Decimal, Decimal)> = if newest_first {
        rows.iter().rev().collect()
    } else {
        rows.iter().collect()
    };
    let mut breaks = Vec::new();
    let mut broken = 0usize;
    for pair in ordered.windows(2) {
        let (&(_, prev_amount, prev_balance), &(line, amount, balance)) = (pair[0], pair[1]);
        // Balance after a row: previous + this amount = this balance.
        // Balance before a row (ASN): previous + previous amount = this balance.
        let step = if before { prev_amount } else { amount };
        let expected = prev_balance.checked_add(step)?;
        if expected != balance {
            broken += 1;
            if breaks.len() < BREAKS_REPORTED_MAX {
                breaks.push(format!(
                    "line {line}: running balance {balance} vs {prev_balance} + {step} = {expected} (diff {})",
                    balance.checked_sub(expected)?
                ));
            }
        }
    }
    if broken > breaks.len() {
        breaks.push(format!("... {} more breaks", broken - breaks.len()));
    }
    let (opening, closing) = match (ordered.first(), ordered.last()) {
        (Some(&&(_, first_amount, first_balance)), Some(&&(_, last_amount, last_balance))) => {
            if before {
                (
                    Some(first_balance),
                    Some(last_balance.checked_add(last_amount)?),
                )
            } else {
                (
                    Some(first_balance.checked_sub(first_amount)?),
                    Some(last_balance),
                )
            }
        }
        _ => (None, None),
    };
    Some(ChainResult {
        opening,
        closing,
        transitions: ordered.len().saturating_sub(1),
        breaks,
    })
}
