//! SWIFT MT940 (customer statement) and MT942 (interim report) reader.
//!
//! One pass over the decoded text, line by line (found with `memchr`). A
//! message starts at `:20:` and ends at a `-` terminator, a SWIFT block or the
//! next `:20:`; everything between messages (SWIFT envelopes `{1:..}{2:..}{4:`,
//! bank header lines such as `ABNANL2A/940/ABNANL2A` or `940 00`, a SOH byte)
//! is envelope noise. Inside a message a field runs from its `:NN[A]:` tag
//! line up to the next tag line, so wrapped values are collected first and
//! interpreted once complete.
//!
//! Each message becomes one [`Statement`] whose own check is computed here:
//! `:60x: + Σ :61: = :62x:` for MT940, the `:90D:`/`:90C:` counts and sums for
//! MT942, and ING's statement-level `:86:/SUM/` when present. A message that
//! ends without a closing balance (a truncated file) fails its check and adds
//! a warning, so it is never silently accepted.
//!
//! `:86:` has no single grammar; the dialects recognised are, in order:
//! German DFÜ subfields (`?20`, Triodos `>20`, BRD `+20`), slash tags
//! (`/EREF/`, `/CNTP/`, `/REMI/`, ...), the line-per-field layout of
//! Komercijalna Banka (`/BENM/acct` + name + purpose lines), the
//! `IBAN name` first line of SNS/ASN, Penta's colon-separated records, and
//! free text. Whatever the dialect, nothing is dropped silently: text that no
//! dialect claims stays in `remittance_info`.

use crate::amount::AmountError;
use crate::{
    amount, encoding, BalanceCheck, EntryStatus, ErrorKind, Format, Location, ParseError,
    ParseOptions, ParsedFile, Source, Statement, StatementTransaction,
};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// Name used in error messages.
const FORMAT_NAME: &str = "MT940";

/// SWIFT lines hold at most 65 characters; a line that long ending in a
/// non-blank character was hard-wrapped by the bank, possibly mid-word.
const SWIFT_LINE_CHARS_MAX: usize = 65;

/// Width of the `:86:` tag that precedes the first line of its value.
const TAG_86_CHARS: usize = 4;

/// DFÜ (German) purpose and name subfields hold 27 characters; a full
/// subfield continues in the next one without a space.
const DFUE_SUBFIELD_CHARS: usize = 27;

/// The entry date (MMDD) of `:61:` is within about six months of the value
/// date; the year is the one that puts it there (31 Dec value, 2 Jan entry).
const ENTRY_DATE_WINDOW_DAYS: i64 = 184;

/// `:61:` bank reference (`//16x`) length per the SWIFT field format.
const BANK_REF_CHARS_MAX: usize = 16;

/// Customer references that only say "see :86:" or "none".
const NON_REFERENCES: [&str; 4] = ["NONREF", "EREF", "PREF", "NOTPROVIDED"];

/// Slash tags recognised inside `:86:`; other `/XX/` sequences are text.
/// `USTD`, `STRD` and `CUR` are sub-fields of `/REMI/`, so they are absent.
const SLASH_TAGS: [&str; 28] = [
    "EREF", "PREF", "IREF", "KREF", "MARF", "CSID", "CNTP", "REMI", "RTRN", "TRTP", "IBAN", "BIC",
    "NAME", "ADDR", "ORDP", "BENM", "ULTC", "ULTD", "ULTB", "ISDT", "PURP", "SUM", "OCMT", "CHGS",
    "EXCH", "OGB", "OSDR", "BUSP",
];

/// SEPA keywords inside DFÜ purpose subfields (`EREF+...SVWZ+...`).
const SEPA_KEYWORDS: [&str; 13] = [
    "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "COAM+", "OAMT+",
    "IBAN+", "BIC+", "BREF+",
];

/// Parses an MT940 or MT942 file. `source_file` is left for the caller.
pub fn parse(source: &Source<'_>, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    let (text, encoding_name) = encoding::decode(
        source.name,
        Some(FORMAT_NAME),
        source.bytes,
        options.encoding.as_deref(),
    )?;
    let mut reader = Reader::new(source.name, options);
    reader.read(&text)?;
    let mut parsed = reader.finish(&text)?;
    parsed.encoding = encoding_name.to_string();
    Ok(parsed)
}

// ---------------------------------------------------------------------------
// Lines

/// A physical line with control characters (SOH, ETX, CR) removed from its ends.
#[derive(Clone, Copy)]
struct Line<'t> {
    number: u64,
    text: &'t str,
}

/// Splits the text into lines with `memchr`, without allocating.
#[derive(Clone)]
struct Lines<'t> {
    text: &'t str,
    pos: usize,
    number: u64,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Lines {
            text,
            pos: 0,
            number: 0,
        }
    }
}

impl<'t> Iterator for Lines<'t> {
    type Item = Line<'t>;

    fn next(&mut self) -> Option<Line<'t>> {
        if self.pos >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.pos..];
        let end = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
        self.pos += (end + 1).min(rest.len());
        self.number += 1;
        Some(Line {
            number: self.number,
            text: clean(&rest[..end]),
        })
    }
}

/// Strips CR and the SOH/ETX framing bytes some banks add; spaces are kept
/// because the 65-column wrap rule needs the padded length.
fn clean(line: &str) -> &str {
    line.trim_matches(|c: char| c.is_ascii_control() && c != '\t')
}

/// `:NN[A]:` or `:NS:` at the start of a line: returns the tag and the rest.
fn split_tag(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if b.first() != Some(&b':') {
        return None;
    }
    let tag_len = if b.len() >= 4 && &b[1..3] == b"NS" {
        2
    } else if b.len() >= 4 && b[1].is_ascii_digit() && b[2].is_ascii_digit() {
        if b[3].is_ascii_uppercase() {
            3
        } else {
            2
        }
    } else {
        return None;
    };
    if b.get(1 + tag_len) != Some(&b':') {
        return None;
    }
    Some((&line[1..1 + tag_len], &line[2 + tag_len..]))
}

/// A field being collected: its tag, first line and continuation lines.
struct Field<'t> {
    tag: &'t str,
    line: u64,
    lines: Vec<&'t str>,
}

impl Field<'_> {
    /// All lines concatenated without separators: right for short fields
    /// that banks wrap mid-token (ING `:28C:0000` / `0`).
    fn compact(&self) -> String {
        let mut out = String::with_capacity(self.lines.iter().map(|l| l.len()).sum());
        for l in &self.lines {
            out.push_str(l);
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Reader state

/// Facts about one `:61:` that only become final once its `:86:` is read.
struct Pending<'t> {
    customer_ref: &'t str,
    supplementary: String,
    /// Whether an `:86:`/`:NS:` followed the `:61:`.
    has_details: bool,
}

/// A balance field (`:60F:`, `:62M:`, ...).
struct Balance {
    tag: &'static str,
    amount: Decimal,
    date: NaiveDate,
    currency: String,
}

/// An MT942 `:90D:`/`:90C:` total.
struct Total {
    count: u64,
    amount: Decimal,
}

/// The message being read.
#[derive(Default)]
struct Message<'t> {
    line: u64,
    statement_id: String,
    account: Option<String>,
    sequence: String,
    currency: String,
    opening: Option<Balance>,
    closing: Option<Balance>,
    /// First transaction of this message in `ParsedFile::transactions`.
    tx_start: usize,
    pending: Vec<Pending<'t>>,
    /// Tag of the last field, to attach `:86:`/`:NS:` to the `:61:` before it.
    last_tag: &'t str,
    mt942: bool,
    report_date: Option<NaiveDate>,
    total_debits: Option<Total>,
    total_credits: Option<Total>,
    /// ING `:86:/SUM/debits/credits/sum debits/sum credits/`, with its line.
    ing_sum: Option<(u64, u64, Decimal, Decimal, u64)>,
}

struct Reader<'o, 't> {
    file: &'o str,
    options: &'o ParseOptions,
    parsed: ParsedFile,
    message: Option<Message<'t>>,
    field: Option<Field<'t>>,
    /// Spare line buffer, reused so that a field costs no allocation.
    spare_lines: Vec<&'t str>,
    any_mt942: bool,
}

impl<'o, 't> Reader<'o, 't> {
    fn new(file: &'o str, options: &'o ParseOptions) -> Self {
        Reader {
            file,
            options,
            parsed: ParsedFile::default(),
            message: None,
            field: None,
            spare_lines: Vec::new(),
            any_mt942: false,
        }
    }

    fn error(&self, line: u64, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(
            self.file,
            Some(FORMAT_NAME),
            Location::Line(line),
            kind,
            message,
        )
    }

    fn warn(&mut self, line: u64, message: String) {
        self.parsed.warnings.push(format!("line {line}: {message}"));
    }

    fn read(&mut self, text: &'t str) -> Result<(), ParseError> {
        let mut lines = Lines::new(text);
        while let Some(line) = lines.next() {
            if line.text.len() > self.options.limits.line_bytes_max {
                return Err(self.error(
                    line.number,
                    ErrorKind::LimitExceeded,
                    format!(
                        "line is {} bytes, over the limit of {} (raise `limits.line_bytes_max`)",
                        line.text.len(),
                        self.options.limits.line_bytes_max
                    ),
                ));
            }
            if self.message.is_some() {
                self.in_message(line, &lines)?;
            } else {
                self.outside(line)?;
            }
        }
        let last = lines.number;
        self.end_message(last)
    }

    /// A line between messages: envelope, header or the `:20:` of the next message.
    fn outside(&mut self, line: Line<'t>) -> Result<(), ParseError> {
        let t = line.text;
        if t.starts_with('{') {
            // `{1:..}{2:..}{4:` possibly followed by the first field on the same line.
            if let Some(pos) = t.find("{4:") {
                let rest = clean(&t[pos + 3..]);
                if !rest.is_empty() {
                    return self.outside(Line {
                        number: line.number,
                        text: rest,
                    });
                }
            }
            return Ok(());
        }
        if let Some((tag, rest)) = split_tag(t) {
            if tag == "20" {
                self.start_message(line.number, rest);
                return Ok(());
            }
            return Err(self.error(
                line.number,
                ErrorKind::MissingField,
                format!("field `:{tag}:` outside a message: every message starts with `:20:` (transaction reference)"),
            ));
        }
        if !is_envelope_noise(t) {
            self.warn(
                line.number,
                format!("text outside a message ignored: `{}`", shorten(t)),
            );
        }
        Ok(())
    }

    fn in_message(&mut self, line: Line<'t>, after: &Lines<'t>) -> Result<(), ParseError> {
        let t = line.text;
        if let Some((tag, rest)) = split_tag(t) {
            self.flush_field()?;
            if tag == "20" {
                self.end_message(line.number - 1)?;
                self.start_message(line.number, rest);
            } else {
                self.start_field(tag, line.number, rest);
            }
            return Ok(());
        }
        if t.starts_with('{') || t.starts_with('}') || self.is_terminator(t, after) {
            self.flush_field()?;
            self.end_message(line.number)?;
            return self.outside(line);
        }
        // A message always has a current field (at least its `:20:`).
        if let Some(field) = self.field.as_mut() {
            field.lines.push(t);
        }
        Ok(())
    }

    /// `-` ends a message, but ING also wraps a mandate reference `MND-EV01`
    /// so that `-` stands alone on a line inside `:86:`. A bare `-` is the
    /// terminator once the closing balance is read, or when what follows is
    /// a new message (`:20:`), an envelope or the end of the file.
    fn is_terminator(&self, t: &str, after: &Lines<'t>) -> bool {
        let Some(rest) = t.strip_prefix('-') else {
            return false;
        };
        if rest.starts_with('}') {
            return true;
        }
        const CLOSING_TAGS: [&str; 6] = ["62F", "62M", "64", "65", "90D", "90C"];
        let closed = self.message.as_ref().is_some_and(|m| {
            m.closing.is_some() || m.total_debits.is_some() || m.total_credits.is_some()
        }) || self
            .field
            .as_ref()
            .is_some_and(|f| CLOSING_TAGS.contains(&f.tag));
        if closed {
            return true;
        }
        if !rest.trim().is_empty() {
            return false;
        }
        let next = after.clone().map(|l| l.text).find(|l| !l.trim().is_empty());
        match next {
            None => true,
            // Another field of this message (`:62F:`) means the `-` was text
            // wrapped onto its own line; only a new `:20:` ends the message.
            Some(n) => {
                n.starts_with('{')
                    || n.starts_with('-')
                    || split_tag(n).is_some_and(|(tag, _)| tag == "20")
            }
        }
    }

    fn start_message(&mut self, line: u64, first: &'t str) {
        self.message = Some(Message {
            line,
            tx_start: self.parsed.transactions.len(),
            ..Message::default()
        });
        self.start_field("20", line, first);
    }

    fn start_field(&mut self, tag: &'t str, line: u64, first: &'t str) {
        let mut lines = std::mem::take(&mut self.spare_lines);
        lines.clear();
        lines.push(first);
        self.field = Some(Field { tag, line, lines });
    }

    fn flush_field(&mut self) -> Result<(), ParseError> {
        let Some(field) = self.field.take() else {
            return Ok(());
        };
        let result = self.apply_field(&field);
        if let Some(m) = self.message.as_mut() {
            m.last_tag = field.tag;
        }
        self.spare_lines = field.lines;
        result
    }

    fn apply_field(&mut self, field: &Field<'t>) -> Result<(), ParseError> {
        let line = field.line;
        match field.tag {
            "20" => self.msg().statement_id = field.compact().trim().to_string(),
            "21" => {}
            "25" => self.msg().account = Some(field.compact().trim().to_string()),
            "28C" | "28" => self.msg().sequence = field.compact().trim().to_string(),
            "60F" | "60M" => {
                let b = self.balance(field)?;
                let m = self.msg();
                m.currency = b.currency.clone();
                m.opening = Some(b);
            }
            "62F" | "62M" => {
                let b = self.balance(field)?;
                let m = self.msg();
                if m.currency.is_empty() {
                    m.currency = b.currency.clone();
                }
                m.closing = Some(b);
            }
            // Available and forward balances are validated but carry nothing we book.
            "64" | "65" => {
                self.balance(field)?;
            }
            "61" => self.transaction(field)?,
            "86" | "NS" => self.information(field)?,
            "34F" => {
                let v = field.compact();
                let m = self.msg();
                m.mt942 = true;
                if m.currency.is_empty() {
                    m.currency = v.trim().chars().take(3).collect();
                }
            }
            "13D" => {
                let v = field.compact();
                let date = self.date6(line, "13D", v.trim().get(..6).unwrap_or(""))?;
                let m = self.msg();
                m.mt942 = true;
                m.report_date = Some(date);
            }
            "90D" | "90C" => self.total(field)?,
            other => self.warn(line, format!("unknown field `:{other}:` ignored")),
        }
        Ok(())
    }

    fn msg(&mut self) -> &mut Message<'t> {
        self.message
            .as_mut()
            .expect("fields are only applied inside a message")
    }

    /// `C|D YYMMDD CCY amount`.
    fn balance(&mut self, field: &Field<'t>) -> Result<Balance, ParseError> {
        let v = field.compact();
        let v = v.trim();
        let line = field.line;
        let tag = static_tag(field.tag);
        let negative = match v.as_bytes().first() {
            Some(b'C') => false,
            Some(b'D') => true,
            _ => {
                return Err(self.error(
                    line,
                    ErrorKind::Structure,
                    format!(
                        "`:{tag}:` must start with `C` or `D`, found `{}`",
                        shorten(v)
                    ),
                ))
            }
        };
        let date = self.date6(line, tag, v.get(1..7).unwrap_or(""))?;
        let currency = v.get(7..10).unwrap_or("");
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(self.error(
                line,
                ErrorKind::InvalidCurrency,
                format!("`:{tag}:` currency `{currency}` is not a 3-letter ISO 4217 code"),
            ));
        }
        let text = &v[10..];
        let amount = self.amount(line, tag, text)?;
        self.check_scale(line, tag, text, amount, currency)?;
        Ok(Balance {
            tag,
            amount: if negative { -amount } else { amount },
            date,
            currency: currency.to_string(),
        })
    }

    fn amount(&mut self, line: u64, tag: &str, text: &str) -> Result<Decimal, ParseError> {
        let value = match amount::parse_unsigned(text, b',') {
            Ok(value) => value,
            Err(AmountError::Malformed) => {
                return Err(self.error(
                    line,
                    ErrorKind::InvalidAmount,
                    format!(
                        "`:{tag}:` amount `{}` is not digits with a decimal comma",
                        shorten(text)
                    ),
                ))
            }
            Err(AmountError::TooLarge) => {
                return Err(self.error(
                    line,
                    ErrorKind::InvalidAmount,
                    format!("`:{tag}:` {}", amount::too_large_message(text)),
                ))
            }
        };
        if !text.contains(',') {
            self.warn(
                line,
                format!("`:{tag}:` amount without decimal comma (accepted): `{text}`"),
            );
        }
        Ok(value)
    }

    /// RELIABILITY B1-11: an amount with more decimals than its currency
    /// allows rejects the file; it is never rounded.
    fn check_scale(
        &self,
        line: u64,
        tag: &str,
        text: &str,
        value: Decimal,
        currency: &str,
    ) -> Result<(), ParseError> {
        if amount::has_excess_scale(value, amount::currency_exponent(currency)) {
            return Err(self.error(
                line,
                ErrorKind::InvalidAmount,
                format!("`:{tag}:` {}", amount::excess_scale_message(text, currency)),
            ));
        }
        Ok(())
    }

    /// `YYMMDD` to a date; an impossible calendar date is an error.
    fn date6(&self, line: u64, tag: &str, text: &str) -> Result<NaiveDate, ParseError> {
        let bad = || {
            self.error(
                line,
                ErrorKind::InvalidDate,
                format!("`:{tag}:` date `{text}` is not a valid YYMMDD date"),
            )
        };
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let yy = num(&text[0..2]);
        let year = crate::date::year_from_two_digits(yy);
        NaiveDate::from_ymd_opt(year as i32, num(&text[2..4]), num(&text[4..6])).ok_or_else(bad)
    }

    /// MT942 `:90D:`/`:90C:`: `count CCY amount`.
    fn total(&mut self, field: &Field<'t>) -> Result<(), ParseError> {
        let v = field.compact();
        let v = v.trim();
        let tag = static_tag(field.tag);
        let digits = v.bytes().take_while(u8::is_ascii_digit).count();
        let count: u64 = v[..digits].parse().map_err(|_| {
            self.error(
                field.line,
                ErrorKind::Structure,
                format!(
                    "`:{tag}:` must start with the number of entries, found `{}`",
                    shorten(v)
                ),
            )
        })?;
        let rest = &v[digits..];
        if rest.len() < 3 || !rest.as_bytes()[..3].iter().all(u8::is_ascii_uppercase) {
            return Err(self.error(
                field.line,
                ErrorKind::InvalidCurrency,
                format!("`:{tag}:` has no currency: `{}`", shorten(v)),
            ));
        }
        let amount = self.amount(field.line, tag, &rest[3..])?;
        let currency = &rest[..3];
        self.check_scale(field.line, tag, &rest[3..], amount, currency)?;
        let m = self.msg();
        m.mt942 = true;
        if m.currency.is_empty() {
            m.currency = currency.to_string();
        }
        let total = Some(Total { count, amount });
        if tag == "90D" {
            m.total_debits = total;
        } else {
            m.total_credits = total;
        }
        Ok(())
    }

    /// `:61:` value date, entry date, mark, funds code, amount, type, references.
    fn transaction(&mut self, field: &Field<'t>) -> Result<(), ParseError> {
        let line = field.line;
        if self.parsed.transactions.len() as u64 >= self.options.limits.records_max {
            return Err(self.error(
                line,
                ErrorKind::LimitExceeded,
                format!(
                    "more than {} transactions (raise `limits.records_max`)",
                    self.options.limits.records_max
                ),
            ));
        }
        let first = field.lines[0].trim_end();
        let entry = parse_61(first).map_err(|(kind, what)| {
            self.error(line, kind, format!("`:61:` {what}: `{}`", shorten(first)))
        })?;
        let value_date = self.date6(line, "61", entry.value_date)?;
        let booking_date = match entry.entry_date {
            Some(mmdd) => Some(infer_entry_date(value_date, mmdd).ok_or_else(|| {
                self.error(
                    line,
                    ErrorKind::InvalidDate,
                    format!("`:61:` entry date `{mmdd}` is no calendar date within six months of value date {value_date}"),
                )
            })?),
            None => Some(value_date),
        };
        let magnitude = self.amount(line, "61", entry.amount)?;
        let (negative, reversal, status) = match entry.mark {
            "C" => (false, false, EntryStatus::Booked),
            "D" => (true, false, EntryStatus::Booked),
            // RC reverses a credit (money leaves), RD reverses a debit (money returns).
            "RC" => (true, true, EntryStatus::Booked),
            "RD" => (false, true, EntryStatus::Booked),
            // Expected credits/debits (MT942 forward items) are not booked yet.
            "EC" => (false, false, EntryStatus::Pending),
            _ => (true, false, EntryStatus::Pending),
        };
        if entry.type_warning {
            self.warn(
                line,
                format!(
                    "`:61:` transaction type `{}` does not start with N, F or S (accepted)",
                    entry.tx_type
                ),
            );
        }
        // Continuation lines: ING wraps the 16-character bank reference onto
        // the next line; the rest is the supplementary detail (34x), which
        // banks that wrap it split mid-token, so structured details are
        // re-joined without spaces.
        let mut bank_ref = entry.bank_ref.trim().to_string();
        let mut supplementary = String::new();
        for (i, l) in field.lines[1..].iter().enumerate() {
            let l = l.trim_end();
            if l.trim().is_empty() {
                continue;
            }
            let extends_ref = i == 0
                && entry.has_bank_ref
                && l.bytes().all(|b| b.is_ascii_alphanumeric())
                && bank_ref.len() + l.len() <= BANK_REF_CHARS_MAX;
            if extends_ref {
                bank_ref.push_str(l);
            } else {
                if !supplementary.is_empty() && !supplementary.starts_with('/') {
                    supplementary.push(' ');
                }
                supplementary.push_str(l);
            }
        }
        let amount = if negative { -magnitude } else { magnitude };
        self.parsed.transactions.push(StatementTransaction {
            statement_index: self.parsed.statements.len(),
            source_line: line,
            locator: format!("line {line}"),
            amount,
            booking_date,
            value_date: Some(value_date),
            bank_reference: bank_ref,
            bank_tx_code: entry.tx_type.trim().to_string(),
            status,
            reversal,
            ..StatementTransaction::default()
        });
        let customer_ref = entry.customer_ref.trim();
        self.msg().pending.push(Pending {
            customer_ref,
            supplementary,
            has_details: false,
        });
        Ok(())
    }

    /// `:86:` (and Sberbank's `:NS:`): transaction details after a `:61:`,
    /// statement information anywhere else.
    fn information(&mut self, field: &Field<'t>) -> Result<(), ParseError> {
        let belongs_to_tx = self
            .message
            .as_ref()
            .is_some_and(|m| m.last_tag == "61" && !m.pending.is_empty());
        if !belongs_to_tx {
            if field.tag == "86" {
                self.statement_information(field);
            }
            return Ok(());
        }
        if let Some(p) = self.message.as_mut().and_then(|m| m.pending.last_mut()) {
            p.has_details = true;
        }
        let tx = self
            .parsed
            .transactions
            .last_mut()
            .expect("a :61: was read");
        if field.tag == "NS" {
            // Sberbank's numbered `:NS:` lines carry the narrative; kept whole.
            tx.remittance_info = join_wrapped(&field.lines, field.tag.len() + 2);
        } else {
            apply_details(tx, &field.lines);
        }
        Ok(())
    }

    /// Statement-level `:86:`; only ING's `/SUM/` is checked, the rest is narrative.
    fn statement_information(&mut self, field: &Field<'t>) {
        let text = field.compact();
        let Some(rest) = text.trim().strip_prefix("/SUM/") else {
            return;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let parsed = (|| {
            let nd: u64 = parts.first()?.trim().parse().ok()?;
            let nc: u64 = parts.get(1)?.trim().parse().ok()?;
            let sd = amount::parse_unsigned(parts.get(2)?.trim(), b',').ok()?;
            let sc = amount::parse_unsigned(parts.get(3)?.trim(), b',').ok()?;
            Some((nd, nc, sd, sc))
        })();
        match parsed {
            Some((nd, nc, sd, sc)) => self.msg().ing_sum = Some((nd, nc, sd, sc, field.line)),
            None => self.warn(
                field.line,
                format!("`:86:/SUM/` not understood: `{}`", shorten(&text)),
            ),
        }
    }

    /// Closes the message: finalises its transactions and computes its checks.
    fn end_message(&mut self, last_line: u64) -> Result<(), ParseError> {
        self.flush_field()?;
        let Some(m) = self.message.take() else {
            return Ok(());
        };
        let Some(account) = m.account.clone() else {
            return Err(self.error(
                m.line,
                ErrorKind::MissingField,
                format!(
                    "message `{}` has no `:25:` account identification",
                    m.statement_id
                ),
            ));
        };
        let index = self.parsed.statements.len();
        let mut sum = Decimal::ZERO;
        let (mut n_debit, mut n_credit) = (0u64, 0u64);
        let (mut sum_debit, mut sum_credit) = (Decimal::ZERO, Decimal::ZERO);
        let exponent = amount::currency_exponent(&m.currency);
        // The first amount problem, as (line, message): reported once the
        // loop has released the transactions.
        let mut failure: Option<(u64, String)> = None;
        let txs = &mut self.parsed.transactions[m.tx_start..];
        for (tx, pending) in txs.iter_mut().zip(&m.pending) {
            debug_assert_eq!(tx.statement_index, index);
            tx.account.clone_from(&account);
            tx.currency.clone_from(&m.currency);
            finalise(tx, pending);
            if failure.is_none() && amount::has_excess_scale(tx.amount, exponent) {
                let text = tx.amount.abs().to_string().replace('.', ",");
                failure = Some((
                    tx.source_line,
                    format!(
                        "`:61:` {}",
                        amount::excess_scale_message(&text, &m.currency)
                    ),
                ));
            }
            if tx.status == EntryStatus::Booked {
                // Cannot overflow with amounts below the bound; checked
                // anyway, so that it never panics (RELIABILITY B5-51).
                let added = if tx.amount.is_sign_negative() {
                    n_debit += 1;
                    sum_debit.checked_sub(tx.amount).map(|d| sum_debit = d)
                } else {
                    n_credit += 1;
                    sum_credit.checked_add(tx.amount).map(|c| sum_credit = c)
                }
                .and_then(|()| sum.checked_add(tx.amount).map(|s| sum = s));
                if added.is_none() && failure.is_none() {
                    failure = Some((tx.source_line, "sum of entries overflows".to_string()));
                }
            }
        }
        if let Some((line, message)) = failure {
            return Err(self.error(line, ErrorKind::InvalidAmount, message));
        }
        let entries = txs.len() as u64;
        let mt942 = m.mt942 && m.opening.is_none();
        self.any_mt942 |= m.mt942;
        let mut fails: Vec<String> = Vec::new();
        let mut passes = 0;
        match (&m.opening, &m.closing) {
            (Some(o), Some(c)) => {
                let overflow = || {
                    self.error(
                        m.line,
                        ErrorKind::InvalidAmount,
                        "opening balance + entries overflows".to_string(),
                    )
                };
                let computed = o.amount.checked_add(sum).ok_or_else(overflow)?;
                let diff = c.amount.checked_sub(computed).ok_or_else(overflow)?;
                if computed == c.amount {
                    passes += 1;
                } else {
                    fails.push(format!(
                        ":{}: {} + entries {} = {} vs :{}: {} (diff {})",
                        o.tag,
                        o.amount,
                        sum,
                        computed,
                        c.tag,
                        c.amount,
                        diff
                    ));
                }
            }
            (Some(o), None) => {
                fails.push(format!(
                    "closing balance :62F:/:62M: missing: :{}: {} + entries {} over {} entries, message ends at line {} (truncated?)",
                    o.tag, o.amount, sum, entries, last_line
                ));
            }
            (None, Some(c)) => fails.push(format!("opening balance :60F:/:60M: missing before :{}: {}", c.tag, c.amount)),
            (None, None) if !mt942 => {
                fails.push(format!("opening and closing balances missing (message ends at line {last_line}: truncated?)"))
            }
            (None, None) => {}
        }
        for (tag, total, count, total_sum) in [
            ("90D", &m.total_debits, n_debit, sum_debit),
            ("90C", &m.total_credits, n_credit, sum_credit),
        ] {
            if let Some(t) = total {
                if t.count == count && t.amount == total_sum {
                    passes += 1;
                } else {
                    fails.push(format!(
                        ":{tag}: {} entries / {} vs computed {count} entries / {total_sum}",
                        t.count, t.amount
                    ));
                }
            }
        }
        if let Some((nd, nc, sd, sc, _)) = m.ing_sum {
            if (nd, nc, sd, sc) == (n_debit, n_credit, sum_debit, sum_credit) {
                passes += 1;
            } else {
                fails.push(format!(
                    ":86:/SUM/ {nd}D {nc}C {sd}/{sc} vs computed {n_debit}D {n_credit}C {sum_debit}/{sum_credit}"
                ));
            }
        }
        let (balance_check, check_detail) = if !fails.is_empty() {
            (BalanceCheck::Fail, fails.join("; "))
        } else if passes > 0 {
            (BalanceCheck::Pass, String::new())
        } else {
            (
                BalanceCheck::NotCheckable,
                "MT942 without :90D:/:90C: totals".to_string(),
            )
        };
        if m.closing.is_none() && !mt942 {
            self.warn(
                last_line,
                format!(
                    "message `:20:{}` (line {}) ends without closing balance :62F:/:62M:; the file may be truncated",
                    m.statement_id, m.line
                ),
            );
        }
        let from_date = m.opening.as_ref().map(|b| b.date).or(m.report_date);
        let to_date = m.closing.as_ref().map(|b| b.date).or(m.report_date);
        self.parsed.statements.push(Statement {
            format: Some(if mt942 { Format::Mt942 } else { Format::Mt940 }),
            statement_id: m.statement_id,
            sequence: m.sequence,
            account,
            currency: m.currency,
            from_date,
            to_date,
            opening_balance: m.opening.map(|b| b.amount),
            closing_balance: m.closing.map(|b| b.amount),
            entries_sum: sum,
            entries,
            balance_check,
            check_detail,
            source_line: m.line,
        });
        Ok(())
    }

    fn finish(mut self, text: &str) -> Result<ParsedFile, ParseError> {
        if self.parsed.statements.is_empty() {
            let (kind, what) = if text.chars().all(|c| c.is_whitespace() || c.is_control()) {
                (ErrorKind::Empty, "file is empty")
            } else {
                (
                    ErrorKind::Structure,
                    "no message found: an MT940/MT942 message starts with `:20:`",
                )
            };
            return Err(self.error(1, kind, what.to_string()));
        }
        self.parsed.format = Some(if self.any_mt942 {
            Format::Mt942
        } else {
            Format::Mt940
        });
        Ok(self.parsed)
    }
}

/// The tag as a `'static` string for balance records and messages.
fn static_tag(tag: &str) -> &'static str {
    match tag {
        "60F" => "60F",
        "60M" => "60M",
        "62F" => "62F",
        "62M" => "62M",
        "64" => "64",
        "65" => "65",
        "90D" => "90D",
        "90C" => "90C",
        _ => "??",
    }
}

/// Value of a short all-digit slice (callers check the digits).
fn num(digits: &str) -> u32 {
    digits
        .bytes()
        .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

/// Headers and envelope debris between messages: `ABNANL2A/940/ABNANL2A`,
/// `:940:`, `940 00`, `0000 01INGBNL2AXXXX00001`, `-`, `}`, blank lines.
fn is_envelope_noise(t: &str) -> bool {
    const HEADER_CHARS_MAX: usize = 40;
    t.len() <= HEADER_CHARS_MAX
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b" /:-{}".contains(&b))
}

/// At most 60 characters of a value for an error message.
fn shorten(t: &str) -> &str {
    match t.char_indices().nth(60) {
        Some((i, _)) => &t[..i],
        None => t,
    }
}

/// Picks the year of an `MMDD` entry date nearest the value date.
fn infer_entry_date(value_date: NaiveDate, mmdd: &str) -> Option<NaiveDate> {
    let (month, day) = (num(&mmdd[..2]), num(&mmdd[2..]));
    let y = value_date.year();
    [y - 1, y, y + 1]
        .into_iter()
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .map(|d| (d, (d - value_date).num_days().abs()))
        .filter(|&(_, distance)| distance <= ENTRY_DATE_WINDOW_DAYS)
        .min_by_key(|&(_, distance)| distance)
        .map(|(d, _)| d)
}

// ---------------------------------------------------------------------------
// :61: grammar

/// The pieces of a `:61:` first line, as slices of it.
#[derive(Debug, PartialEq, Eq)]
struct Entry61<'a> {
    value_date: &'a str,
    entry_date: Option<&'a str>,
    mark: &'a str,
    funds_code: Option<char>,
    amount: &'a str,
    tx_type: &'a str,
    type_warning: bool,
    customer_ref: &'a str,
    has_bank_ref: bool,
    bank_ref: &'a str,
}

/// Hand-written form of
/// `^(\d{6})(\d{4}|\s{4})?(RC|RD|EC|ED|C|D)([A-Z])?(\d+(?:,\d*)?)` followed by
/// the transaction type, the customer reference and `//bank reference`.
fn parse_61(s: &str) -> Result<Entry61<'_>, (ErrorKind, &'static str)> {
    let b = s.as_bytes();
    if b.len() < 6 || !b[..6].iter().all(u8::is_ascii_digit) {
        return Err((
            ErrorKind::InvalidDate,
            "must start with the value date YYMMDD",
        ));
    }
    let mut i = 6;
    let mut entry_date = None;
    if b.len() >= 10 && b[6..10].iter().all(u8::is_ascii_digit) {
        entry_date = Some(&s[6..10]);
        i = 10;
    } else if b.len() >= 10 && &b[6..10] == b"    " {
        i = 10;
    }
    let mark_len = if b[i..].starts_with(b"RC")
        || b[i..].starts_with(b"RD")
        || b[i..].starts_with(b"EC")
        || b[i..].starts_with(b"ED")
    {
        2
    } else if matches!(b.get(i), Some(b'C' | b'D')) {
        1
    } else {
        return Err((
            ErrorKind::Structure,
            "has no debit/credit mark (C, D, RC, RD, EC, ED) after the dates",
        ));
    };
    let mark = &s[i..i + mark_len];
    i += mark_len;
    let mut funds_code = None;
    if let Some(&c) = b.get(i) {
        if c.is_ascii_uppercase() {
            funds_code = Some(char::from(c));
            i += 1;
        }
    }
    let start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == start {
        return Err((
            ErrorKind::InvalidAmount,
            "has no amount after the debit/credit mark",
        ));
    }
    if b.get(i) == Some(&b',') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let amount = &s[start..i];
    let rest = &s[i..];
    let rb = rest.as_bytes();
    // What follows the amount is a type letter, `//` or nothing; anything
    // else (`1.000,00`) means the amount itself is malformed.
    if !rb.is_empty() && !rb[0].is_ascii_uppercase() && rb[0] != b'/' {
        return Err((
            ErrorKind::InvalidAmount,
            "has an amount that is not digits with a decimal comma",
        ));
    }
    // Transaction type: N/F/S + 3 characters, but missing entirely in Penta
    // (`D20,00NONREF`) and Zenith (`CN220000,00//192...`) files.
    let (tx_type, type_warning, after_type) =
        if rest.starts_with("//") || rest.starts_with("NONREF") || rb.len() < 4 {
            ("", false, rest)
        } else if matches!(rb[0], b'N' | b'F' | b'S') && rest.is_char_boundary(4) {
            (&rest[..4], false, &rest[4..])
        } else if rb[0].is_ascii_uppercase()
            && rb[1..4].iter().all(u8::is_ascii_alphanumeric)
            && rb.len() > 4
        {
            (&rest[..4], true, &rest[4..])
        } else {
            ("", false, rest)
        };
    let (customer_ref, has_bank_ref, bank_ref) = match after_type.find("//") {
        Some(p) => (&after_type[..p], true, &after_type[p + 2..]),
        None => (after_type, false, ""),
    };
    Ok(Entry61 {
        value_date: &s[..6],
        entry_date,
        mark,
        funds_code,
        amount,
        tx_type,
        type_warning,
        customer_ref,
        has_bank_ref,
        bank_ref,
    })
}

// ---------------------------------------------------------------------------
// :86: dialects

/// Fills counterparty, references and remittance of `tx` from `:86:` lines.
fn apply_details(tx: &mut StatementTransaction, lines: &[&str]) {
    let compact: String = lines.concat();
    let trimmed = compact.trim_start();
    if let Some(sep) = dfue_separator(trimmed) {
        apply_dfue(tx, trimmed, sep);
    } else if let Some(done) = apply_line_fields(tx, lines) {
        done
    } else if trimmed.starts_with('/') && first_slash_tag(trimmed).is_some() {
        apply_slash_tags(tx, trimmed, lines);
    } else {
        apply_free_text(tx, lines);
    }
}

/// `NNN?NN`, `NNN>NN` or `NNN+NN`: the DFÜ layout with its separator.
fn dfue_separator(t: &str) -> Option<u8> {
    let b = t.as_bytes();
    if b.len() >= 6
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
    {
        if let sep @ (b'?' | b'>' | b'+') = b[3] {
            return Some(sep);
        }
    }
    None
}

/// Splits `GVC?00text?20purpose...` into `(code, value)` subfields.
fn dfue_subfields(t: &str, sep: u8) -> Vec<(u32, &str)> {
    let b = t.as_bytes();
    let mut marks: Vec<usize> = Vec::new();
    let mut i = 3;
    while i + 2 < b.len() {
        if b[i] == sep && b[i + 1].is_ascii_digit() && b[i + 2].is_ascii_digit() {
            marks.push(i);
            i += 3;
        } else {
            i += 1;
        }
    }
    marks
        .iter()
        .enumerate()
        .map(|(k, &at)| {
            let end = marks.get(k + 1).copied().unwrap_or(t.len());
            (num(&t[at + 1..at + 3]), &t[at + 3..end])
        })
        .collect()
}

/// Joins DFÜ subfields: a full (27-character) subfield runs on into the next
/// without a space, a shorter one ended a word.
fn join_subfields<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut glue = true;
    for p in parts {
        // Exactly full: banks that overrun 27 characters do not wrap either.
        let full = p.chars().count() == DFUE_SUBFIELD_CHARS;
        let piece = if glue { p } else { p.trim_start() };
        let piece = if full { piece } else { piece.trim_end() };
        if !out.is_empty() && !glue && !piece.is_empty() {
            out.push(' ');
        }
        out.push_str(piece);
        glue = full;
    }
    out.trim().to_string()
}

fn apply_dfue(tx: &mut StatementTransaction, t: &str, sep: u8) {
    let fields = dfue_subfields(t, sep);
    let value = |code: u32| {
        fields
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, v)| v.trim())
    };
    let purpose = join_subfields(
        fields
            .iter()
            .filter(|(c, _)| matches!(c, 20..=29 | 60..=63))
            .map(|(_, v)| *v),
    );
    let name = join_subfields(
        fields
            .iter()
            .filter(|(c, v)| matches!(c, 32 | 33) && v.bytes().any(|b| b.is_ascii_alphanumeric()))
            .map(|(_, v)| *v),
    );
    tx.counterparty_name = name;
    tx.counterparty_account = value(31).unwrap_or("").to_string();
    if tx.bank_tx_code.is_empty() {
        tx.bank_tx_code = t[..3].to_string();
    }
    let keywords = sepa_keywords(&purpose);
    if keywords.is_empty() {
        tx.remittance_info = purpose;
        return;
    }
    let mut remittance = None;
    for (kw, v) in keywords {
        match kw {
            "EREF+" if v != "NOTPROVIDED" => tx.end_to_end_id = v.to_string(),
            "SVWZ+" => remittance = Some(v.to_string()),
            _ => {}
        }
    }
    tx.remittance_info = remittance.unwrap_or(purpose);
}

/// `(keyword, value)` pairs of a SEPA purpose text, in order.
fn sepa_keywords(purpose: &str) -> Vec<(&'static str, &str)> {
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    for kw in SEPA_KEYWORDS {
        let mut from = 0;
        while let Some(p) = purpose[from..].find(kw) {
            found.push((from + p, kw));
            from += p + kw.len();
        }
    }
    found.sort_unstable();
    found
        .iter()
        .enumerate()
        .map(|(k, &(at, kw))| {
            let end = found.get(k + 1).map_or(purpose.len(), |n| n.0);
            let start = (at + kw.len()).min(end);
            (kw, purpose[start..end].trim())
        })
        .collect()
}

/// The first `/TAG/` of a slash-tag text, if it is a known tag at the start.
fn first_slash_tag(t: &str) -> Option<&'static str> {
    SLASH_TAGS
        .iter()
        .copied()
        .find(|tag| t[1..].starts_with(tag) && t.as_bytes().get(1 + tag.len()) == Some(&b'/'))
}

/// Splits a slash-tag text into `(tag, value)` pairs. A value runs to the
/// next known tag; values may themselves hold `/` (dates, `NL-DD/...`).
fn slash_tags(t: &str) -> Vec<(&'static str, &str)> {
    let b = t.as_bytes();
    let mut marks: Vec<(usize, usize, &'static str)> = Vec::new();
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'/', &b[i..]) {
        let at = i + p;
        let found = SLASH_TAGS
            .iter()
            .copied()
            .find(|tag| t[at + 1..].starts_with(tag) && b.get(at + 1 + tag.len()) == Some(&b'/'));
        match found {
            Some(tag) => {
                let end = at + tag.len() + 2;
                marks.push((at, end, tag));
                i = end;
            }
            None => i = at + 1,
        }
        if i >= b.len() {
            break;
        }
    }
    marks
        .iter()
        .enumerate()
        .map(|(k, &(_, end, tag))| {
            let stop = marks.get(k + 1).map_or(t.len(), |n| n.0).max(end);
            let v = &t[end..stop];
            // ING closes every value with `/` (`//CNTP/`); drop that one slash.
            (tag, v.strip_suffix('/').unwrap_or(v))
        })
        .collect()
}

fn apply_slash_tags(tx: &mut StatementTransaction, compact: &str, lines: &[&str]) {
    let mut remittance: Option<String> = None;
    let mut payment_ref = "";
    for (tag, v) in slash_tags(compact.trim_end()) {
        match tag {
            "EREF" if v.trim() != "NOTPROVIDED" => tx.end_to_end_id = v.trim().to_string(),
            "PREF" => payment_ref = v.trim(),
            "CNTP" => {
                let mut parts = v.split('/');
                let account = parts.next().unwrap_or("").trim();
                let _bic = parts.next();
                let name = parts.next().unwrap_or("").trim();
                set_if_empty(&mut tx.counterparty_account, account);
                set_if_empty(&mut tx.counterparty_name, name);
            }
            "IBAN" => set_if_empty(&mut tx.counterparty_account, v.trim()),
            "NAME" => set_if_empty(&mut tx.counterparty_name, v.trim()),
            // Rabobank `/BENM//NAME/..`, Komercijalna `/BENM/account`.
            "BENM" | "ORDP" => set_if_empty(
                &mut tx.counterparty_account,
                v.split('/').next().unwrap_or("").trim(),
            ),
            "REMI" => {
                if let Some(text) = v.strip_prefix("USTD//").or_else(|| v.strip_prefix("USTD/")) {
                    remittance = Some(text.trim().to_string());
                } else if let Some(r) = v
                    .strip_prefix("STRD/CUR/")
                    .or_else(|| v.strip_prefix("STRD/"))
                {
                    let r = r.trim().trim_end_matches('/');
                    if !r.is_empty() {
                        tx.structured_refs.push(r.to_string());
                    }
                    remittance.get_or_insert_with(String::new);
                } else {
                    remittance = Some(v.trim().to_string());
                }
            }
            _ => {}
        }
    }
    // A batch (ING `/PREF/`) has no end-to-end id; its payment-information
    // id is what the account owner knows it by.
    if tx.end_to_end_id.is_empty() && !payment_ref.is_empty() {
        tx.end_to_end_id = payment_ref.to_string();
    }
    tx.remittance_info = match remittance {
        Some(r) => r,
        None => join_wrapped(lines, TAG_86_CHARS),
    };
}

fn set_if_empty(target: &mut String, value: &str) {
    if target.is_empty() && !value.is_empty() {
        *target = value.to_string();
    }
}

/// Komercijalna Banka: `/BENM/account` or `/ORDP/account` on the first line,
/// then one field per line (`/name`, `/purpose//ref`, `/text`).
fn apply_line_fields(tx: &mut StatementTransaction, lines: &[&str]) -> Option<()> {
    let first = lines[0].trim();
    let account = first
        .strip_prefix("/BENM/")
        .or_else(|| first.strip_prefix("/ORDP/"))?;
    let others: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if account.is_empty()
        || account.contains('/')
        || others.is_empty()
        || !others.iter().all(|l| l.starts_with('/'))
    {
        return None;
    }
    tx.counterparty_account = account.to_string();
    tx.counterparty_name = others[0][1..].trim().to_string();
    tx.remittance_info = others[1..]
        .iter()
        .map(|l| l[1..].trim())
        .collect::<Vec<_>>()
        .join(" ");
    Some(())
}

/// Free text: SNS/ASN (`IBAN name` first line), Penta (`999TYPE:purpose:name:IBAN`)
/// or plain narrative, joined with the 65-column wrap rule.
fn apply_free_text(tx: &mut StatementTransaction, lines: &[&str]) {
    let first = lines[0].trim();
    if let Some((iban, name)) = first.split_once(' ') {
        if looks_like_iban(iban) && !name.trim().is_empty() && lines.len() > 1 {
            tx.counterparty_account = iban.to_string();
            tx.counterparty_name = name.trim().to_string();
            tx.remittance_info = join_wrapped(&lines[1..], 0);
            return;
        }
    }
    let text = join_wrapped(lines, TAG_86_CHARS);
    if let Some(done) = apply_penta(tx, &text) {
        return done;
    }
    tx.remittance_info = text;
}

/// Penta: `999SEPA_CREDIT_TRANSFER:purpose:name:IBAN[:extra]`; the purpose
/// itself may contain colons, so the record is read from the IBAN backwards.
fn apply_penta(tx: &mut StatementTransaction, text: &str) -> Option<()> {
    let body = text.strip_prefix("999")?;
    let (kind, rest) = body.split_once(':')?;
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        return None;
    }
    let parts: Vec<&str> = rest.split(':').collect();
    let iban_at = parts.iter().rposition(|p| looks_like_iban(p.trim()))?;
    if iban_at < 2 {
        return None;
    }
    tx.counterparty_account = parts[iban_at].trim().to_string();
    tx.counterparty_name = parts[iban_at - 1].trim().to_string();
    let mut remittance = parts[..iban_at - 1].join(":");
    for extra in &parts[iban_at + 1..] {
        remittance.push(' ');
        remittance.push_str(extra.trim());
    }
    tx.remittance_info = remittance.trim().to_string();
    Some(())
}

/// Two letters, two digits, then 8..=30 letters or digits (shape only).
fn looks_like_iban(t: &str) -> bool {
    let b = t.as_bytes();
    (12..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Joins narrative lines: a line of 65+ characters ending in a non-blank was
/// hard-wrapped and continues without a space; other line breaks become one
/// space; blank and padding-only lines (SNS pads to 65 columns) are skipped.
///
/// The first line also counts as wrapped when, with its tag (`tag_chars`,
/// 4 for `:86:`), it fills exactly 65 columns, as the SWIFT rule has it. A
/// first line that is longer with its tag but shorter without it is not:
/// ABN AMRO and Knab write 64-character column layouts after the tag, while
/// SNS and PostFinance wrap the value itself at 65 whatever the tag.
fn join_wrapped(lines: &[&str], tag_chars: usize) -> String {
    let mut out = String::new();
    let mut glue = false;
    for (k, raw) in lines.iter().enumerate() {
        let width = raw.chars().count();
        let full =
            width >= SWIFT_LINE_CHARS_MAX || (k == 0 && width + tag_chars == SWIFT_LINE_CHARS_MAX);
        let wrapped = full && !raw.ends_with(char::is_whitespace);
        let piece = if glue { raw.trim_end() } else { raw.trim() };
        if !piece.is_empty() {
            if !out.is_empty() && !glue {
                out.push(' ');
            }
            out.push_str(piece);
        }
        glue = wrapped;
    }
    out
}

/// Final touches once both `:61:` and its `:86:` are known.
fn finalise(tx: &mut StatementTransaction, p: &Pending<'_>) {
    let supplementary = p.supplementary.trim();
    let mut used = false;
    if tx.counterparty_account.is_empty() && looks_like_iban(supplementary) {
        tx.counterparty_account = supplementary.to_string();
        used = true;
    }
    // The account owner's reference is the end-to-end id when `:86:` has
    // none, unless it only says "see :86:" or repeats the counterparty IBAN (SNS).
    let customer_ref = p.customer_ref;
    let is_marker = NON_REFERENCES
        .iter()
        .any(|m| customer_ref.eq_ignore_ascii_case(m));
    if tx.end_to_end_id.is_empty()
        && !customer_ref.is_empty()
        && !is_marker
        && customer_ref != tx.counterparty_account
    {
        tx.end_to_end_id = customer_ref.to_string();
    }
    if NON_REFERENCES
        .iter()
        .any(|m| tx.bank_reference.eq_ignore_ascii_case(m))
    {
        tx.bank_reference.clear();
    }
    // The supplementary line is the bank's booking text or a reference
    // (PostFinance ESR number, Raiffeisen "Csoportos átutalás"). It is kept
    // in the remittance unless it repeats what :86: already says; coded
    // details (ING `/TRCD/00100/`) only stand in when there is no :86: at all.
    if used || supplementary.is_empty() {
        return;
    }
    if !p.has_details {
        tx.remittance_info = supplementary.to_string();
    } else if !supplementary.starts_with('/')
        && !tx.remittance_info.contains(supplementary)
        && !tx.counterparty_name.eq_ignore_ascii_case(supplementary)
    {
        if !tx.remittance_info.is_empty() {
            tx.remittance_info.push(' ');
        }
        tx.remittance_info.push_str(supplementary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_of_61() {
        let e = parse_61("1003190319CR27,00NTRF100323-03-100323//32-P1-TCS49518").unwrap();
        assert_eq!(
            (e.mark, e.funds_code, e.amount, e.tx_type),
            ("C", Some('R'), "27,00", "NTRF")
        );
        assert_eq!(
            (e.customer_ref, e.bank_ref),
            ("100323-03-100323", "32-P1-TCS49518")
        );
        let e = parse_61("240312    DD212,39NMSCNONREF//").unwrap();
        assert_eq!(
            (e.entry_date, e.mark, e.funds_code, e.bank_ref),
            (None, "D", Some('D'), "")
        );
        let e = parse_61("2011301130CN220000,00//19239782213").unwrap();
        assert_eq!(
            (e.tx_type, e.customer_ref, e.bank_ref),
            ("", "", "19239782213")
        );
        let e = parse_61("2009020902D20,00NONREF").unwrap();
        assert_eq!((e.tx_type, e.customer_ref), ("", "NONREF"));
        let e = parse_61("1710111011DF2402,00S   X").unwrap();
        assert_eq!(
            (e.funds_code, e.tx_type, e.customer_ref),
            (Some('F'), "S   ", "X")
        );
        let e = parse_61("180417CF2066637,00N527").unwrap();
        assert_eq!(
            (e.entry_date, e.tx_type, e.customer_ref),
            (None, "N527", "")
        );
        let e = parse_61("1407290729C500NTRF29-07-2014 10:05//B4G29PGDCK1QFV3E").unwrap();
        assert_eq!((e.amount, e.customer_ref), ("500", "29-07-2014 10:05"));
        let e = parse_61("0211011102RDR800,NSTONONREF//55555").unwrap();
        assert_eq!((e.mark, e.funds_code, e.amount), ("RD", Some('R'), "800,"));
        assert!(parse_61("1401200220X1,00NTRF").is_err());
        assert!(parse_61("14012").is_err());
        assert!(parse_61("1401200220C,50NTRF").is_err());
    }

    #[test]
    fn entry_year_follows_value_date() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            infer_entry_date(d(2014, 12, 31), "0102"),
            Some(d(2015, 1, 2))
        );
        assert_eq!(
            infer_entry_date(d(2015, 1, 1), "1228"),
            Some(d(2014, 12, 28))
        );
        assert_eq!(
            infer_entry_date(d(2023, 12, 30), "0229"),
            Some(d(2024, 2, 29))
        );
        assert_eq!(infer_entry_date(d(2021, 6, 1), "0229"), None);
        assert_eq!(infer_entry_date(d(2021, 6, 1), "0230"), None);
    }

    #[test]
    fn wrap_rule() {
        let full = "X".repeat(65);
        assert_eq!(join_wrapped(&[&full, "YZ"], 0), format!("{full}YZ"));
        assert_eq!(
            join_wrapped(&[&full[1..], "YZ"], 0),
            format!("{} YZ", &full[1..])
        );
        assert_eq!(
            join_wrapped(&[&full[4..], "YZ"], 4),
            format!("{}YZ", &full[4..]),
            "65 with the tag"
        );
        assert_eq!(
            join_wrapped(&[&full[1..], "YZ"], 4),
            format!("{} YZ", &full[1..]),
            "ABN AMRO columns"
        );
        assert_eq!(
            join_wrapped(&["x", &full[1..], "YZ"], 4),
            format!("x {} YZ", &full[1..])
        );
        assert_eq!(
            join_wrapped(&["short", "", "   ", "next  "], 4),
            "short next"
        );
        assert_eq!(
            join_wrapped(&["EXAMPLESTRASSE", " 10"], 4),
            "EXAMPLESTRASSE 10"
        );
    }

    #[test]
    fn slash_tag_split() {
        let t = slash_tags(
            "/EREF/E1//CNTP/NL32INGB0000012345/INGBNL2A/J.Janssen///REMI/USTD//Text 1/2/",
        );
        assert_eq!(
            t,
            vec![
                ("EREF", "E1"),
                ("CNTP", "NL32INGB0000012345/INGBNL2A/J.Janssen/"),
                ("REMI", "USTD//Text 1/2")
            ]
        );
    }
}
