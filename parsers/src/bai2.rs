//! BAI2 (BAI Cash Management Balance Reporting Specification, version 2).
//!
//! A BAI2 file is a tree: `01` file header, `02` group (one as-of date and
//! originator), `03` account with its balances and summaries, `16` detail
//! records (one per transaction), closed by `49` account, `98` group and `99`
//! file trailers that carry control totals and record counts. `88` records
//! continue the record before them.
//!
//! The reader walks the bytes once. Physical lines are split with `memchr`;
//! each line yields one or more *pieces* (several records may share a line,
//! separated by `/` + spaces + a record code), and pieces are assembled into
//! logical records: a `88` piece, or a line without a record code after a
//! `16`, appends to the record before it. Fields are slices of the input: no
//! field is copied until it lands in a [`StatementTransaction`].
//!
//! Every control total and record count is recomputed in integer minor units
//! and compared; disagreement makes the affected statements
//! [`BalanceCheck::Fail`] with the figures in `check_detail`, because real
//! bank test files are often inconsistent and the caller decides what to do.
//! A structurally broken file (missing trailer, unknown record, malformed
//! amount or date, a limit exceeded) is an `Err` with the line and field.
//!
//! Dialect notes (from the sample corpus, see `FORMATS.md` §1):
//! * `/` ends a record only at the end of a piece; inside 16 or 88 text it is
//!   data (`AB/GS/RPFILERP0001`, `2/AV MAIN`).
//! * 16 text runs to the end of the logical record and may contain commas.
//! * Funds types `V`, `S` and `D` insert extra fields, so no field after the
//!   funds type has a fixed position.
//! * `88` appends *fields* to a 02/03/49/98/99 record (it may split a
//!   type/amount/count/funds group) and *text* to a 16 record once the 16 has
//!   reached its text field.
//! * The value date of a transaction is the funds-type `V` date when given,
//!   otherwise the group as-of date; the booking date is the as-of date.

use crate::amount::currency_exponent;
use crate::encoding;
use crate::model::{line_locator, trim_fast};
use crate::{
    BalanceCheck, EntryStatus, ErrorKind, Format, Location, ParseError, ParseOptions, ParsedFile,
    Source, Statement, StatementTransaction,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const FORMAT_NAME: &str = "bai2";

/// Currency of a group and account that name none: the BAI2 specification
/// (section 3, "Currency Code") defaults to the US dollar.
const DEFAULT_CURRENCY: &str = "USD";

/// Longest digit string accepted for an amount or total. 30 digits keep any
/// sum of `records_max` amounts inside `i128`; real totals have at most 15.
const AMOUNT_DIGITS_MAX: usize = 30;

/// Largest distribution count `n` of funds type `D`. The specification does
/// not bound it; real files use 1 to 5, and a bound keeps a hostile `n` from
/// walking the rest of the file as distribution pairs.
const DISTRIBUTIONS_MAX: u64 = 100;

/// Type codes of detail records that are credits (BAI2 type-code table).
const CREDIT_CODES: std::ops::RangeInclusive<u16> = 100..=399;
/// Type codes of detail records that are debits.
const DEBIT_CODES: std::ops::RangeInclusive<u16> = 400..=699;

/// Parses a BAI2 file into one [`Statement`] per `03` account and one
/// [`StatementTransaction`] per `16` detail record.
pub fn parse(source: &Source<'_>, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    let (text, encoding_name) = encoding::decode(
        source.name,
        Some(FORMAT_NAME),
        source.bytes,
        options.encoding.as_deref(),
    )?;
    let mut reader = Reader::new(source.name, options);
    let bytes = text.as_bytes();
    // PERF: one reservation instead of log2(n) regrowths that copy and
    // re-fault the transaction vector (`throughput` in tests/bai2.rs). An
    // estimate that cannot be reserved is simply not used.
    let estimate = estimate_details(bytes).min(options.limits.records_max);
    let _ = reader
        .transactions
        .try_reserve_exact(usize::try_from(estimate).unwrap_or(0));
    let mut start = 0usize;
    let mut line_no = 0u64;
    while start < bytes.len() {
        line_no += 1;
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        // `\n` is ASCII, so both ends are char boundaries.
        let line = text.get(start..end).unwrap_or_default();
        if line.len() > options.limits.line_bytes_max {
            return Err(reader.error(
                Location::Line(line_no),
                ErrorKind::LimitExceeded,
                format!(
                    "line is {} bytes, over the limit of {} bytes (raise `limits.line_bytes_max`)",
                    line.len(),
                    options.limits.line_bytes_max
                ),
            ));
        }
        reader.push_line(line_no, line)?;
        start = end + 1;
    }
    reader.finish(line_no, encoding_name)
}

/// One piece of a logical record: the head (after `NN,`), an `88`
/// continuation (after `88,`), or a line without a record code that
/// continues 16 text.
#[derive(Debug, Clone, Copy)]
struct Segment<'t> {
    line: u64,
    body: &'t str,
    kind: SegmentKind,
    /// The piece ended with the `/` record terminator.
    terminated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegmentKind {
    Head,
    Continuation,
    Bare,
}

/// A field with the place it came from, for error locations.
#[derive(Debug, Clone, Copy)]
struct Field<'t> {
    text: &'t str,
    line: u64,
    /// 1-based field number within its physical piece; the record code is 1.
    col: u64,
}

impl<'t> Field<'t> {
    fn trimmed(&self) -> &'t str {
        trim_fast(self.text)
    }
    fn is_blank(&self) -> bool {
        trim_fast(self.text).is_empty()
    }
    fn location(&self) -> Location {
        Location::LineColumn(self.line, self.col)
    }
}

/// Walks the comma-separated fields of a logical record across its head and
/// `88` segments. Bare segments (text lines without a code) hold no fields.
struct Fields<'r, 't> {
    segments: &'r [Segment<'t>],
    next_segment: usize,
    rest: Option<&'t str>,
    line: u64,
    col: u64,
}

impl<'r, 't> Fields<'r, 't> {
    fn new(segments: &'r [Segment<'t>]) -> Self {
        Fields {
            segments,
            next_segment: 0,
            rest: None,
            line: 0,
            col: 0,
        }
    }

    fn next_field(&mut self) -> Option<Field<'t>> {
        loop {
            if let Some(rest) = self.rest {
                let (text, after) = match memchr::memchr(b',', rest.as_bytes()) {
                    Some(i) => (rest.get(..i).unwrap_or_default(), rest.get(i + 1..)),
                    None => (rest, None),
                };
                self.rest = after;
                self.col += 1;
                return Some(Field {
                    text,
                    line: self.line,
                    col: self.col,
                });
            }
            let segment = self.segments.get(self.next_segment)?;
            if segment.kind == SegmentKind::Bare {
                return None;
            }
            self.next_segment += 1;
            self.rest = Some(segment.body);
            self.line = segment.line;
            self.col = 1;
        }
    }

    /// The unread remainder of the current segment (16 text with its
    /// commas), and the index of the first segment not yet touched.
    fn take_rest(&mut self) -> (Option<&'t str>, usize) {
        (self.rest.take(), self.next_segment)
    }

    /// True when the field just read was the last one of its segment.
    fn at_segment_end(&self) -> bool {
        self.rest.is_none()
    }

    /// Where the record ran out, for "field missing" errors.
    fn end_location(&self) -> Location {
        Location::LineColumn(self.line, self.col + 1)
    }
}

/// The logical record being assembled.
#[derive(Debug, Default)]
struct Record<'t> {
    code: u8,
    line: u64,
    segments: Vec<Segment<'t>>,
    bytes: usize,
}

impl Record<'_> {
    /// Records this logical record counts for in 49/98/99 record counts:
    /// itself and each `88`; lines without a record code do not count.
    fn physical_records(&self) -> u64 {
        self.segments
            .iter()
            .filter(|s| s.kind != SegmentKind::Bare)
            .count() as u64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Before the 01 file header.
    Start,
    /// Inside the file, outside any group.
    File,
    /// Inside a group, outside any account.
    Group,
    Account,
    /// After the 99 file trailer.
    Done,
}

#[derive(Debug, Default)]
struct GroupState {
    number: u32,
    line: u64,
    as_of: Option<NaiveDate>,
    currency: String,
    records: u64,
    accounts: u64,
    sum_of_49: i128,
    first_statement: usize,
}

#[derive(Debug, Default)]
struct AccountState {
    line: u64,
    records: u64,
    computed_total: i128,
    exponent: u32,
}

struct Reader<'t, 'o> {
    file: &'o str,
    options: &'o ParseOptions,
    level: Level,
    record: Record<'t>,
    records_seen: u64,
    file_id: String,
    file_records: u64,
    file_groups: u64,
    sum_of_98: i128,
    group: GroupState,
    account: AccountState,
    statements: Vec<Statement>,
    transactions: Vec<StatementTransaction>,
    warnings: Vec<String>,
}

impl<'t, 'o> Reader<'t, 'o> {
    fn new(file: &'o str, options: &'o ParseOptions) -> Self {
        Reader {
            file,
            options,
            level: Level::Start,
            record: Record::default(),
            records_seen: 0,
            file_id: String::new(),
            file_records: 0,
            file_groups: 0,
            sum_of_98: 0,
            group: GroupState::default(),
            account: AccountState::default(),
            statements: Vec::new(),
            transactions: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn error(&self, location: Location, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(self.file, Some(FORMAT_NAME), location, kind, message)
    }

    fn push_line(&mut self, line_no: u64, line: &'t str) -> Result<(), ParseError> {
        let line = line.trim_end();
        if line.is_empty() {
            return Ok(());
        }
        let mut rest = line;
        while let Some((piece_end, next_start)) = find_record_split(rest) {
            self.push_piece(line_no, rest.get(..piece_end).unwrap_or_default())?;
            rest = rest.get(next_start..).unwrap_or_default();
        }
        self.push_piece(line_no, rest)
    }

    fn push_piece(&mut self, line_no: u64, piece: &'t str) -> Result<(), ParseError> {
        let piece = piece.trim_end();
        let (content, terminated) = match piece.strip_suffix('/') {
            Some(c) => (c, true),
            None => (piece, false),
        };
        let code = record_code(piece.trim_start());
        match code {
            Some(Code::Known(88)) => {
                let body = after_code(content.trim_start());
                if self.record.code == 0 {
                    return Err(self.error(
                        Location::LineColumn(line_no, 1),
                        ErrorKind::Structure,
                        "88 continuation record with no record before it to continue".into(),
                    ));
                }
                self.append(Segment { line: line_no, body, kind: SegmentKind::Continuation, terminated })
            }
            Some(Code::Known(code)) => {
                self.finish_record()?;
                self.records_seen += 1;
                if self.records_seen > self.options.limits.records_max {
                    return Err(self.error(
                        Location::Line(line_no),
                        ErrorKind::LimitExceeded,
                        format!(
                            "more than {} records (raise `limits.records_max`)",
                            self.options.limits.records_max
                        ),
                    ));
                }
                self.record.code = code;
                self.record.line = line_no;
                self.record.bytes = 0;
                let body = after_code(content.trim_start());
                self.append(Segment { line: line_no, body, kind: SegmentKind::Head, terminated })
            }
            Some(Code::Unknown(a, b)) => Err(self.error(
                Location::LineColumn(line_no, 1),
                ErrorKind::UnknownRecord,
                format!(
                    "unknown record code `{}{}`: BAI2 records are 01, 02, 03, 16, 49, 88, 98 and 99",
                    char::from(a),
                    char::from(b)
                ),
            )),
            None if self.record.code == 16 => {
                self.warnings.push(format!(
                    "line {line_no}: line has no record code; read as a continuation of the 16 text of line {}",
                    self.record.line
                ));
                self.append(Segment { line: line_no, body: content, kind: SegmentKind::Bare, terminated })
            }
            None => Err(self.error(
                Location::LineColumn(line_no, 1),
                ErrorKind::UnknownRecord,
                "line does not start with a record code (two digits and a comma)".into(),
            )),
        }
    }

    fn append(&mut self, segment: Segment<'t>) -> Result<(), ParseError> {
        self.record.bytes += segment.body.len();
        if self.record.bytes > self.options.limits.line_bytes_max {
            return Err(self.error(
                Location::Line(segment.line),
                ErrorKind::LimitExceeded,
                format!(
                    "record starting at line {} is longer than {} bytes with its continuations (raise `limits.line_bytes_max`)",
                    self.record.line, self.options.limits.line_bytes_max
                ),
            ));
        }
        self.record.segments.push(segment);
        Ok(())
    }

    /// Interprets the assembled logical record, then clears it for reuse.
    fn finish_record(&mut self) -> Result<(), ParseError> {
        if self.record.code == 0 {
            return Ok(());
        }
        let record = std::mem::take(&mut self.record);
        let result = self.interpret(&record);
        // Keep the segment buffer's allocation for the next record.
        let mut segments = record.segments;
        segments.clear();
        self.record.segments = segments;
        result
    }

    fn interpret(&mut self, record: &Record<'t>) -> Result<(), ParseError> {
        let physical = record.physical_records();
        match record.code {
            1 => self.file_header(record, physical),
            2 => self.group_header(record, physical),
            3 => self.account_header(record, physical),
            16 => self.detail(record, physical),
            49 => self.account_trailer(record, physical),
            98 => self.group_trailer(record, physical),
            99 => self.file_trailer(record, physical),
            _ => Err(self.error(
                Location::LineColumn(record.line, 1),
                ErrorKind::UnknownRecord,
                format!("unknown record code `{:02}`", record.code),
            )),
        }
    }

    /// Rejects a record that cannot appear at the current level, naming the
    /// trailer that is missing when that is the cause.
    fn expect_level(&self, record: &Record<'_>, allowed: &[Level]) -> Result<(), ParseError> {
        if allowed.contains(&self.level) {
            return Ok(());
        }
        let location = Location::LineColumn(record.line, 1);
        let code = record.code;
        let (kind, message) = match self.level {
            Level::Start => (ErrorKind::Structure, format!("record {code:02} before the 01 file header")),
            Level::Done => (ErrorKind::Structure, format!("record {code:02} after the 99 file trailer")),
            Level::Account if matches!(code, 2 | 3 | 98 | 99) => (
                ErrorKind::Truncated,
                format!(
                    "record {code:02} while the account opened at line {} has no 49 account trailer",
                    self.account.line
                ),
            ),
            Level::Group if matches!(code, 2 | 99) => (
                ErrorKind::Truncated,
                format!(
                    "record {code:02} while the group opened at line {} has no 98 group trailer",
                    self.group.line
                ),
            ),
            Level::File if matches!(code, 3 | 16 | 49 | 98) => {
                (ErrorKind::Structure, format!("record {code:02} outside a group (no 02 group header before it)"))
            }
            Level::Group if code == 16 || code == 49 => {
                (ErrorKind::Structure, format!("record {code:02} outside an account (no 03 account header before it)"))
            }
            _ => (ErrorKind::Structure, format!("record {code:02} is not allowed here")),
        };
        Err(self.error(location, kind, message))
    }

    fn file_header(&mut self, record: &Record<'t>, physical: u64) -> Result<(), ParseError> {
        if self.level != Level::Start {
            return Err(self.error(
                Location::LineColumn(record.line, 1),
                ErrorKind::Structure,
                "second 01 file header: one BAI2 file per input".into(),
            ));
        }
        let mut fields = Fields::new(&record.segments);
        let _sender = fields.next_field();
        let _receiver = fields.next_field();
        let date = self.required(&mut fields, "creation date")?;
        parse_date(self, &date)?;
        let _time = fields.next_field();
        self.file_id = fields
            .next_field()
            .map(|f| f.trimmed().to_string())
            .unwrap_or_default();
        let _record_length = fields.next_field();
        let _block_size = fields.next_field();
        if let Some(version) = fields.next_field() {
            if !version.is_blank() && version.trimmed() != "2" {
                self.warnings.push(format!(
                    "line {}: version number `{}`; read as BAI version 2",
                    version.line,
                    version.trimmed()
                ));
            }
        }
        self.file_records = physical;
        self.level = Level::File;
        Ok(())
    }

    fn group_header(&mut self, record: &Record<'t>, physical: u64) -> Result<(), ParseError> {
        self.expect_level(record, &[Level::File])?;
        let mut fields = Fields::new(&record.segments);
        let _receiver = fields.next_field();
        let _originator = fields.next_field();
        let _status = fields.next_field();
        let as_of = self.required(&mut fields, "as-of date")?;
        let as_of = parse_date(self, &as_of)?;
        let _time = fields.next_field();
        let currency = match fields.next_field() {
            Some(f) if !f.is_blank() => parse_currency(self, &f)?,
            _ => DEFAULT_CURRENCY.to_string(),
        };
        self.group = GroupState {
            number: self.group.number + 1,
            line: record.line,
            as_of: Some(as_of),
            currency,
            records: physical,
            accounts: 0,
            sum_of_49: 0,
            first_statement: self.statements.len(),
        };
        self.file_records += physical;
        self.level = Level::Group;
        Ok(())
    }

    fn account_header(&mut self, record: &Record<'t>, physical: u64) -> Result<(), ParseError> {
        self.expect_level(record, &[Level::Group])?;
        let mut fields = Fields::new(&record.segments);
        let account = self.required(&mut fields, "customer account number")?;
        if account.is_blank() {
            return Err(self.error(
                account.location(),
                ErrorKind::MissingField,
                "03 account identifier record has a blank account number".into(),
            ));
        }
        let currency = match fields.next_field() {
            Some(f) if !f.is_blank() => parse_currency(self, &f)?,
            _ => self.group.currency.clone(),
        };
        let exponent = currency_exponent(&currency);
        let mut total: i128 = 0;
        let mut opening = None;
        let mut closing = None;
        while let Some(type_code) = fields.next_field() {
            // `,/` and `,,,/` endings leave one empty field before the slash
            // (SVB); it is padding only when nothing follows in its segment,
            // otherwise it opens an empty type/amount/count/funds group (GS).
            if type_code.is_blank() && fields.at_segment_end() {
                continue;
            }
            let amount = fields.next_field();
            let _item_count = fields.next_field();
            let funds = fields.next_field();
            if let Some(funds) = funds {
                skip_funds_distribution(self, &funds, &mut fields, exponent)?;
            }
            let value = match amount {
                Some(a) => parse_amount(self, &a, Sign::Allowed, exponent)?,
                None => None,
            };
            if let Some(v) = value {
                total = checked_add(self, total, v, &type_code)?;
            }
            if type_code.is_blank() {
                continue;
            }
            let code = parse_type_code(self, &type_code)?;
            match (code, value) {
                (10, Some(v)) => opening = Some(minor_to_decimal(self, v, exponent, &type_code)?),
                (15, Some(v)) => closing = Some(minor_to_decimal(self, v, exponent, &type_code)?),
                _ => {}
            }
        }
        let as_of = self.group.as_of;
        self.statements.push(Statement {
            format: Some(Format::Bai2),
            statement_id: format!(
                "{}/{}/{}",
                self.file_id,
                self.group.number,
                account.trimmed()
            ),
            sequence: String::new(),
            account: account.trimmed().to_string(),
            currency,
            from_date: as_of,
            to_date: as_of,
            opening_balance: opening,
            closing_balance: closing,
            entries_sum: Decimal::ZERO,
            entries: 0,
            balance_check: BalanceCheck::Pass,
            check_detail: String::new(),
            source_line: record.line,
        });
        self.account = AccountState {
            line: record.line,
            records: physical,
            computed_total: total,
            exponent,
        };
        self.group.records += physical;
        self.file_records += physical;
        self.level = Level::Account;
        Ok(())
    }

    fn detail(&mut self, record: &Record<'t>, physical: u64) -> Result<(), ParseError> {
        self.expect_level(record, &[Level::Account])?;
        let mut fields = Fields::new(&record.segments);
        let type_field = self.required(&mut fields, "type code")?;
        let type_code = parse_type_code(self, &type_field)?;
        let amount_field = self.required(&mut fields, "amount")?;
        let Some(minor) =
            parse_amount(self, &amount_field, Sign::Forbidden, self.account.exponent)?
        else {
            return Err(self.error(
                amount_field.location(),
                ErrorKind::InvalidAmount,
                "16 transaction detail has a blank amount".into(),
            ));
        };
        let mut value_date = None;
        if let Some(funds) = fields.next_field() {
            value_date = skip_funds_distribution(self, &funds, &mut fields, self.account.exponent)?;
        }
        let bank_reference = fields.next_field().map(|f| f.trimmed()).unwrap_or_default();
        let customer_reference = fields.next_field().map(|f| f.trimmed()).unwrap_or_default();
        let (head_text, first_text_segment) = fields.take_rest();
        let statement_index = self.statements.len().saturating_sub(1);
        let (account, currency) = match self.statements.last() {
            Some(s) => (s.account.clone(), s.currency.clone()),
            None => (String::new(), DEFAULT_CURRENCY.to_string()),
        };
        let magnitude = minor_to_decimal(self, minor, self.account.exponent, &amount_field)?;
        let (amount, status, credit) = if CREDIT_CODES.contains(&type_code) {
            (magnitude, EntryStatus::Booked, Some(true))
        } else if DEBIT_CODES.contains(&type_code) {
            (-magnitude, EntryStatus::Booked, Some(false))
        } else {
            self.warnings.push(format!(
                "line {}: 16 type code {type_code:03} is neither a credit (100-399) nor a debit (400-699); \
                 kept as informational with its unsigned amount",
                record.line
            ));
            (magnitude, EntryStatus::Info, None)
        };
        let head_segment = record.segments.first();
        // PERF: sized once for the head text and every continuation, so the
        // remittance text is one allocation (`throughput` in tests/bai2.rs).
        let text_bytes_max = head_text.map_or(0, str::len)
            + record
                .segments
                .iter()
                .skip(first_text_segment)
                .map(|s| s.body.len() + 1)
                .sum::<usize>();
        let mut text = TextBuilder {
            text: String::with_capacity(text_bytes_max),
        };
        if let Some(t) = head_text {
            text.push(t, head_segment.is_some_and(|s| s.terminated));
        }
        let mut tags = Tags::default();
        for segment in record.segments.iter().skip(first_text_segment) {
            text.push(segment.body, segment.terminated);
            tags.read(trim_fast(segment.body));
        }
        let (counterparty_name, counterparty_account) = match credit {
            Some(true) => (tags.debtor_name.or(tags.originator), tags.debtor_account),
            Some(false) => (
                tags.creditor_name.or(tags.beneficiary),
                tags.creditor_account,
            ),
            None => (None, None),
        };
        self.account.computed_total =
            checked_add(self, self.account.computed_total, minor, &amount_field)?;
        self.account.records += physical;
        self.group.records += physical;
        self.file_records += physical;
        let as_of = self.group.as_of;
        if let Some(statement) = self.statements.last_mut() {
            statement.entries += 1;
            if status == EntryStatus::Booked {
                // Cannot overflow with amounts below the bound; checked
                // anyway, so that it never panics (RELIABILITY B5-51).
                statement.entries_sum =
                    statement.entries_sum.checked_add(amount).ok_or_else(|| {
                        ParseError::new(
                            self.file,
                            Some(FORMAT_NAME),
                            amount_field.location(),
                            ErrorKind::InvalidAmount,
                            "sum of entries overflows".into(),
                        )
                    })?;
            }
        }
        self.transactions.push(StatementTransaction {
            statement_index,
            source_line: record.line,
            locator: line_locator(record.line),
            account,
            currency,
            amount,
            booking_date: as_of,
            value_date: value_date.or(as_of),
            counterparty_name: counterparty_name.unwrap_or_default().to_string(),
            counterparty_account: counterparty_account.unwrap_or_default().to_string(),
            remittance_info: text.text,
            structured_refs: if customer_reference.is_empty() {
                Vec::new()
            } else {
                vec![customer_reference.to_string()]
            },
            end_to_end_id: tags.end_to_end.unwrap_or_default().to_string(),
            bank_reference: bank_reference.to_string(),
            // `parse_type_code` accepted exactly three ASCII digits, so the
            // field text is `format!("{type_code:03}")` without the formatter.
            bank_tx_code: type_field.trimmed().to_string(),
            status,
            reversal: false,
        });
        Ok(())
    }

    fn account_trailer(&mut self, record: &Record<'t>, physical: u64) -> Result<(), ParseError> {
        self.expect_level(record, &[Level::Account])?;
        let mut fields = Fields::new(&record.segments);
        let total_field = self.required(&mut fields, "account control total")?;
        let reported_total =
            parse_amount(self, &total_field, Sign::Allowed, self.account.exponent)?;
        let count_field = fields.next_field();
        let reported_count = match count_field {
            Some(f) => parse_count(self, &f)?,
            None => None,
        };
        self.account.records += physical;
        self.group.records += physical;
        self.file_records += physical;
        let exponent = self.account.exponent;
        let computed = self.account.computed_total;
        let counted = self.account.records;
        let mut details = Vec::new();
        let account_name = self
            .statements
            .last()
            .map(|s| s.account.clone())
            .unwrap_or_default();
        match reported_total {
            Some(total) if total != computed => details.push(format!(
                "account {account_name}: 49 control total {} vs computed {} (diff {})",
                fmt_minor(total, exponent),
                fmt_minor(computed, exponent),
                fmt_minor(total.saturating_sub(computed), exponent)
            )),
            Some(_) => {}
            None => self.warnings.push(format!(
                "line {}: 49 account control total is blank; only the record count is checked",
                record.line
            )),
        }
        match reported_count {
            Some(count) if count != counted => details.push(format!(
                "account {account_name}: 49 record count {count} vs counted {counted}"
            )),
            _ => {}
        }
        if let Some(statement) = self.statements.last_mut() {
            apply_details(statement, details);
        }
        let contribution = reported_total.unwrap_or(computed);
        self.group.sum_of_49 = checked_add(self, self.group.sum_of_49, contribution, &total_field)?;
        self.group.accounts += 1;
        self.level = Level::Group;
        Ok(())
    }

    fn group_trailer(&mut self, record: &Record<'t>, physical: u64) -> Result<(), ParseError> {
        self.expect_level(record, &[Level::Group])?;
        let mut fields = Fields::new(&record.segments);
        let total_field = self.required(&mut fields, "group control total")?;
        let reported_total = parse_amount(
            self,
            &total_field,
            Sign::Allowed,
            currency_exponent(&self.group.currency),
        )?;
        let accounts = match fields.next_field() {
            Some(f) => parse_count(self, &f)?,
            None => None,
        };
        let records = match fields.next_field() {
            Some(f) => parse_count(self, &f)?,
            None => None,
        };
        self.group.records += physical;
        self.file_records += physical;
        let exponent = currency_exponent(&self.group.currency);
        let number = self.group.number;
        let mut details = Vec::new();
        if let Some(total) = reported_total {
            let sum = self.group.sum_of_49;
            if total != sum {
                details.push(format!(
                    "group {number}: 98 control total {} vs sum of 49 totals {} (diff {})",
                    fmt_minor(total, exponent),
                    fmt_minor(sum, exponent),
                    fmt_minor(total.saturating_sub(sum), exponent)
                ));
            }
        }
        if let Some(n) = accounts.filter(|&n| n != self.group.accounts) {
            details.push(format!(
                "group {number}: 98 account count {n} vs counted {}",
                self.group.accounts
            ));
        }
        if let Some(n) = records.filter(|&n| n != self.group.records) {
            details.push(format!(
                "group {number}: 98 record count {n} vs counted {}",
                self.group.records
            ));
        }
        self.report_to_statements(record.line, self.group.first_statement, details);
        let contribution = reported_total.unwrap_or(self.group.sum_of_49);
        self.sum_of_98 = checked_add(self, self.sum_of_98, contribution, &total_field)?;
        self.file_groups += 1;
        self.level = Level::File;
        Ok(())
    }

    fn file_trailer(&mut self, record: &Record<'t>, physical: u64) -> Result<(), ParseError> {
        self.expect_level(record, &[Level::File])?;
        let mut fields = Fields::new(&record.segments);
        let total_field = self.required(&mut fields, "file control total")?;
        let reported_total = parse_amount(
            self,
            &total_field,
            Sign::Allowed,
            currency_exponent(&self.group.currency),
        )?;
        let groups = match fields.next_field() {
            Some(f) => parse_count(self, &f)?,
            None => None,
        };
        let records = match fields.next_field() {
            Some(f) => parse_count(self, &f)?,
            None => None,
        };
        self.file_records += physical;
        let mut details = Vec::new();
        if let Some(total) = reported_total.filter(|&t| t != self.sum_of_98) {
            let exponent = currency_exponent(&self.group.currency);
            details.push(format!(
                "file: 99 control total {} vs sum of 98 totals {} (diff {})",
                fmt_minor(total, exponent),
                fmt_minor(self.sum_of_98, exponent),
                fmt_minor(total.saturating_sub(self.sum_of_98), exponent)
            ));
        }
        if let Some(n) = groups.filter(|&n| n != self.file_groups) {
            details.push(format!(
                "file: 99 group count {n} vs counted {}",
                self.file_groups
            ));
        }
        if let Some(n) = records.filter(|&n| n != self.file_records) {
            details.push(format!(
                "file: 99 record count {n} vs counted {}",
                self.file_records
            ));
        }
        self.report_to_statements(record.line, 0, details);
        self.level = Level::Done;
        Ok(())
    }

    /// A failed group or file total makes every account it covers fail: the
    /// totals cannot say which account is wrong, so none can be trusted.
    fn report_to_statements(&mut self, line: u64, first: usize, details: Vec<String>) {
        if details.is_empty() {
            return;
        }
        for detail in &details {
            self.warnings.push(format!("line {line}: {detail}"));
        }
        for statement in self.statements.iter_mut().skip(first) {
            apply_details(statement, details.clone());
        }
    }

    fn required(&self, fields: &mut Fields<'_, 't>, what: &str) -> Result<Field<'t>, ParseError> {
        let location = fields.end_location();
        fields.next_field().ok_or_else(|| {
            self.error(
                location,
                ErrorKind::MissingField,
                format!("record ends before the {what} field"),
            )
        })
    }

    fn finish(mut self, last_line: u64, encoding_name: &str) -> Result<ParsedFile, ParseError> {
        self.finish_record()?;
        let missing = match self.level {
            Level::Start => {
                return Err(self.error(
                    Location::Line(1),
                    ErrorKind::Empty,
                    "file holds no BAI2 records (expected a 01 file header)".into(),
                ))
            }
            Level::Done => None,
            Level::File => Some("99 file trailer"),
            Level::Group => Some("98 group trailer and 99 file trailer"),
            Level::Account => Some("49 account trailer, 98 group trailer and 99 file trailer"),
        };
        if let Some(missing) = missing {
            return Err(self.error(
                Location::Line(last_line),
                ErrorKind::Truncated,
                format!("file is truncated after line {last_line}: no {missing}"),
            ));
        }
        Ok(ParsedFile {
            source_file: String::new(),
            format: Some(Format::Bai2),
            encoding: encoding_name.to_string(),
            statements: self.statements,
            transactions: self.transactions,
            warnings: self.warnings,
        })
    }
}

fn apply_details(statement: &mut Statement, details: Vec<String>) {
    for detail in details {
        statement.balance_check = BalanceCheck::Fail;
        if !statement.check_detail.is_empty() {
            statement.check_detail.push_str("; ");
        }
        statement.check_detail.push_str(&detail);
    }
}

enum Code {
    Known(u8),
    Unknown(u8, u8),
}

/// Bytes sampled from the top of a file to estimate its number of 16 records.
const ESTIMATE_SAMPLE_BYTES: usize = 64 * 1024;

/// Estimates the number of `16` detail records from the first
/// [`ESTIMATE_SAMPLE_BYTES`], scaled to the file size, plus one eighth of
/// slack; exact for files no larger than the sample.
fn estimate_details(bytes: &[u8]) -> u64 {
    let sample = bytes.get(..ESTIMATE_SAMPLE_BYTES).unwrap_or(bytes);
    let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', sample).map(|i| i + 1));
    let details = starts
        .filter(|&i| sample.get(i..i + 3) == Some(b"16,"))
        .count() as u64;
    if sample.len() == bytes.len() || sample.is_empty() {
        return details;
    }
    let scaled = details.saturating_mul(bytes.len() as u64) / sample.len() as u64;
    scaled.saturating_add(scaled / 8)
}

/// Reads the record code at the start of a piece: two digits followed by a
/// comma, a `/` or the end of the piece.
fn record_code(piece: &str) -> Option<Code> {
    let bytes = piece.as_bytes();
    let (a, b) = (*bytes.first()?, *bytes.get(1)?);
    if !a.is_ascii_digit() || !b.is_ascii_digit() {
        return None;
    }
    if !matches!(bytes.get(2), None | Some(b',') | Some(b'/')) {
        return None;
    }
    let code = (a - b'0') * 10 + (b - b'0');
    Some(match code {
        1 | 2 | 3 | 16 | 49 | 88 | 98 | 99 => Code::Known(code),
        _ => Code::Unknown(a, b),
    })
}

/// The text after `NN,` (or after `NN` when the record has no fields).
fn after_code(piece: &str) -> &str {
    piece
        .get(3..)
        .or_else(|| piece.get(2..))
        .unwrap_or_default()
}

/// Finds where one record ends and the next starts on the same physical
/// line: a `/` followed by at least one space and a known record code.
/// Returns (end of the first piece including its `/`, start of the next).
fn find_record_split(line: &str) -> Option<(usize, usize)> {
    let bytes = line.as_bytes();
    for slash in memchr::memchr_iter(b'/', bytes) {
        let after = slash + 1;
        let spaces = bytes
            .get(after..)?
            .iter()
            .take_while(|&&b| b == b' ')
            .count();
        if spaces == 0 {
            continue;
        }
        let next = after + spaces;
        let rest = line.get(next..)?;
        if rest.as_bytes().get(2) == Some(&b',')
            && matches!(record_code(rest), Some(Code::Known(_)))
        {
            return Some((after, next));
        }
    }
    None
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sign {
    /// 03 balances and 49/98/99 totals may carry `+` or `-`.
    Allowed,
    /// 16 amounts are unsigned: direction comes from the type code.
    Forbidden,
}

/// Parses an amount in minor units with `exponent` implied decimals and
/// checks it against the amount bound ([`crate::amount::AMOUNT_ABS_BOUND`],
/// RELIABILITY B1-5), so that no control total or sum can overflow. Blank is
/// `None`.
fn parse_amount(
    reader: &Reader<'_, '_>,
    field: &Field<'_>,
    sign: Sign,
    exponent: u32,
) -> Result<Option<i128>, ParseError> {
    let text = field.trimmed();
    if text.is_empty() {
        return Ok(None);
    }
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') if sign == Sign::Allowed => (true, text.get(1..).unwrap_or_default()),
        Some(b'+') if sign == Sign::Allowed => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    let valid = !digits.is_empty()
        && digits.len() <= AMOUNT_DIGITS_MAX
        && digits.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        let expected = match sign {
            Sign::Allowed => "an optional sign and digits in minor units (no decimal point)",
            Sign::Forbidden => "unsigned digits in minor units (no sign, no decimal point; direction comes from the type code)",
        };
        return Err(reader.error(
            field.location(),
            ErrorKind::InvalidAmount,
            format!("amount `{text}` is not valid: expected {expected}"),
        ));
    }
    let mut value: i128 = 0;
    for b in digits.bytes() {
        // Cannot overflow: at most AMOUNT_DIGITS_MAX digits.
        value = value * 10 + i128::from(b - b'0');
    }
    if !crate::amount::minor_units_within_bound(value, exponent) {
        return Err(reader.error(
            field.location(),
            ErrorKind::InvalidAmount,
            crate::amount::too_large_message(text),
        ));
    }
    Ok(Some(if negative { -value } else { value }))
}

fn parse_count(reader: &Reader<'_, '_>, field: &Field<'_>) -> Result<Option<u64>, ParseError> {
    let text = field.trimmed();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u64>().map(Some).map_err(|_| {
        reader.error(
            field.location(),
            ErrorKind::Structure,
            format!("count `{text}` is not valid: expected unsigned digits"),
        )
    })
}

fn parse_type_code(reader: &Reader<'_, '_>, field: &Field<'_>) -> Result<u16, ParseError> {
    let text = field.trimmed();
    if text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(code) = text.parse::<u16>() {
            return Ok(code);
        }
    }
    Err(reader.error(
        field.location(),
        ErrorKind::Structure,
        format!("type code `{text}` is not valid: expected three digits"),
    ))
}

fn parse_currency(reader: &Reader<'_, '_>, field: &Field<'_>) -> Result<String, ParseError> {
    let text = field.trimmed();
    if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
        return Ok(text.to_string());
    }
    Err(reader.error(
        field.location(),
        ErrorKind::InvalidCurrency,
        format!("currency `{text}` is not valid: expected an ISO 4217 code such as `USD`"),
    ))
}

/// Parses a `YYMMDD` date.
fn parse_date(reader: &Reader<'_, '_>, field: &Field<'_>) -> Result<NaiveDate, ParseError> {
    let text = field.trimmed();
    let invalid = || {
        reader.error(
            field.location(),
            ErrorKind::InvalidDate,
            format!("date `{text}` is not valid: expected a calendar date as YYMMDD"),
        )
    };
    let b = text.as_bytes();
    if b.len() != 6 || !b.iter().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    let two = |i: usize| u32::from(b[i] - b'0') * 10 + u32::from(b[i + 1] - b'0');
    let (yy, month, day) = (two(0), two(2), two(4));
    let year = crate::date::year_from_two_digits(yy);
    i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .ok_or_else(invalid)
}

/// Consumes the availability fields that funds types `V`, `S` and `D` insert
/// after the funds type. Returns the value date of type `V`.
fn skip_funds_distribution<'t>(
    reader: &Reader<'_, '_>,
    funds: &Field<'t>,
    fields: &mut Fields<'_, 't>,
    exponent: u32,
) -> Result<Option<NaiveDate>, ParseError> {
    let missing = |fields: &Fields<'_, '_>, what: &str| {
        reader.error(
            fields.end_location(),
            ErrorKind::MissingField,
            format!(
                "funds type `{}` needs {what}, but the record ends",
                funds.trimmed()
            ),
        )
    };
    match funds.trimmed() {
        "" | "0" | "1" | "2" | "Z" => Ok(None),
        "V" => {
            let date = fields
                .next_field()
                .ok_or_else(|| missing(fields, "a value date"))?;
            let _time = fields.next_field();
            if date.is_blank() {
                Ok(None)
            } else {
                parse_date(reader, &date).map(Some)
            }
        }
        "S" => {
            for what in [
                "an immediate amount",
                "a one-day amount",
                "a two-or-more-day amount",
            ] {
                let f = fields.next_field().ok_or_else(|| missing(fields, what))?;
                parse_amount(reader, &f, Sign::Allowed, exponent)?;
            }
            Ok(None)
        }
        "D" => {
            let n_field = fields
                .next_field()
                .ok_or_else(|| missing(fields, "a distribution count"))?;
            let n = parse_count(reader, &n_field)?.unwrap_or(0);
            if n > DISTRIBUTIONS_MAX {
                return Err(reader.error(
                    n_field.location(),
                    ErrorKind::LimitExceeded,
                    format!("funds type D announces {n} distributions, over the limit of {DISTRIBUTIONS_MAX}"),
                ));
            }
            for _ in 0..n {
                let days = fields
                    .next_field()
                    .ok_or_else(|| missing(fields, "a days/amount pair"))?;
                parse_count(reader, &days)?;
                let amount = fields
                    .next_field()
                    .ok_or_else(|| missing(fields, "a days/amount pair"))?;
                parse_amount(reader, &amount, Sign::Allowed, exponent)?;
            }
            Ok(None)
        }
        other => Err(reader.error(
            funds.location(),
            ErrorKind::Structure,
            format!("funds type `{other}` is not valid: expected 0, 1, 2, V, S, D, Z or blank"),
        )),
    }
}

fn checked_add(
    reader: &Reader<'_, '_>,
    a: i128,
    b: i128,
    at: &Field<'_>,
) -> Result<i128, ParseError> {
    a.checked_add(b).ok_or_else(|| {
        reader.error(
            at.location(),
            ErrorKind::LimitExceeded,
            "control total overflows 128-bit arithmetic".into(),
        )
    })
}

fn minor_to_decimal(
    reader: &Reader<'_, '_>,
    minor: i128,
    exponent: u32,
    at: &Field<'_>,
) -> Result<Decimal, ParseError> {
    Decimal::try_from_i128_with_scale(minor, exponent).map_err(|_| {
        reader.error(
            at.location(),
            ErrorKind::InvalidAmount,
            format!("amount {minor} is too large for a 96-bit decimal"),
        )
    })
}

/// Formats minor units with the currency's decimals (`8325983` → `83259.83`).
fn fmt_minor(minor: i128, exponent: u32) -> String {
    match Decimal::try_from_i128_with_scale(minor, exponent) {
        Ok(d) => d.to_string(),
        Err(_) => format!("{minor} (minor units)"),
    }
}

/// Joins 16 text and its continuations with single spaces.
#[derive(Default)]
struct TextBuilder {
    text: String,
}

impl TextBuilder {
    fn push(&mut self, part: &str, terminated: bool) {
        let mut part = trim_fast(part);
        // `,/` closes a record with an empty field after the text; the comma
        // is padding, not text (venturehacks `88,SAMPLE CONTINUATION TEXT,/`).
        if terminated {
            if let Some(p) = part.strip_suffix(',') {
                part = p.trim_end();
            }
        }
        if part.is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(part);
    }
}

/// Structured tags found at the start of 88 continuation text: Goldman Sachs
/// (`EREF:`, `DBNM:`, ...) and SVB/Fedwire (`ORG:=`, `BNF NAME:=`).
#[derive(Default)]
struct Tags<'t> {
    end_to_end: Option<&'t str>,
    debtor_name: Option<&'t str>,
    creditor_name: Option<&'t str>,
    debtor_account: Option<&'t str>,
    creditor_account: Option<&'t str>,
    originator: Option<&'t str>,
    beneficiary: Option<&'t str>,
}

impl<'t> Tags<'t> {
    fn read(&mut self, text: &'t str) {
        let slots: [(&str, &mut Option<&'t str>); 7] = [
            ("EREF:", &mut self.end_to_end),
            ("DBNM:", &mut self.debtor_name),
            ("CRNM:", &mut self.creditor_name),
            ("DACT:", &mut self.debtor_account),
            ("CACT:", &mut self.creditor_account),
            ("ORG:=", &mut self.originator),
            ("BNF NAME:=", &mut self.beneficiary),
        ];
        for (tag, slot) in slots {
            if let Some(value) = text.strip_prefix(tag) {
                let value = value.trim();
                if slot.is_none() && !value.is_empty() {
                    *slot = Some(value);
                }
                return;
            }
        }
    }
}
