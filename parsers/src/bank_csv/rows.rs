//! Rows to transactions and statements, and the balance checks.

use super::*;

/// A statement being built: one per (account, currency).
pub(super) struct Building {
    pub(super) statement: Statement,
    /// (line, amount, balance) of rows that carry a balance, in file order.
    pub(super) chain: Vec<(u64, Decimal, Decimal)>,
    pub(super) first_booked: Option<NaiveDate>,
    pub(super) last_booked: Option<NaiveDate>,
}

pub(super) struct RowReader<'a> {
    pub(super) file: &'a str,
    pub(super) profile: &'a CsvProfile,
    pub(super) layout: Layout,
    pub(super) warnings: Vec<String>,
    pub(super) statements: Vec<Building>,
    /// Where each transaction row goes as it is read.
    pub(super) sink: &'a mut dyn TransactionSink,
    /// Reused per row: the remittance text and the locator, so a row costs
    /// no allocation of its own.
    pub(super) text_buffer: String,
    pub(super) locator_buffer: String,
    pub(super) section_status: EntryStatus,
    pub(super) label_account: Option<String>,
    pub(super) label_opening: Option<(u64, Decimal)>,
    pub(super) label_closing: Option<(u64, Decimal)>,
}

pub(super) fn read_rows(
    file: &str,
    text: &str,
    selected: &Selected,
    options: &ParseOptions,
    sink: &mut dyn TransactionSink,
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
        sink,
        text_buffer: String::new(),
        locator_buffer: String::new(),
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

impl<'a> RowReader<'a> {
    pub(super) fn error(&self, location: Location, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(self.file, Some(FORMAT_NAME), location, kind, message)
    }

    /// Reads account and balance rows (`IBAN;DE12 ...`, `Saldo;150,00;EUR`,
    /// `Balance at start of period,,,,"+30000,77"`). Returns whether the
    /// row was one.
    pub(super) fn read_label_row<'f>(
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

    pub(super) fn cell<'r>(&self, row: &'r Row, col: Option<usize>) -> &'r str {
        col.and_then(|c| row.get(c))
            .map(trim_fast)
            .unwrap_or_default()
    }

    pub(super) fn junk(&mut self, row: &Row, what: &str) {
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

    pub(super) fn read_row(&mut self, row: &Row) -> Result<(), ParseError> {
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
        let amount = self.amount(row, currency)?;
        let account = match self.layout.account {
            Some(c) => self.cell(row, Some(c)),
            None => self
                .label_account
                .as_deref()
                .or(profile.account.as_deref())
                .unwrap_or_default(),
        };
        let balance = match self.layout.balance {
            Some(c) if !self.cell(row, Some(c)).is_empty() => {
                let text = self.cell(row, Some(c));
                let value = parse_amount(text, &self.layout.number)
                    .map_err(|e| self.bad_amount(row, Some(c), text, e))?;
                self.check_scale(row, c, text, value, currency)?;
                Some(value)
            }
            _ => None,
        };
        let mut remittance = std::mem::take(&mut self.text_buffer);
        join_non_empty_into(
            &mut remittance,
            self.layout
                .remittance_info
                .iter()
                .map(|&c| self.cell(row, Some(c)))
                .chain(extra_text.iter().copied()),
        );
        let structured_refs: Vec<&str> = self
            .layout
            .structured_refs
            .iter()
            .map(|&c| self.cell(row, Some(c)))
            .filter(|t| !t.is_empty())
            .collect();
        let statement_index = statement_for(&mut self.statements, account, currency, line);
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
        let counterparty_name = self.cell(row, self.layout.counterparty_name);
        let counterparty_account = self.cell(row, self.layout.counterparty_account);
        let end_to_end_id = self.cell(row, self.layout.end_to_end_id);
        let bank_reference = self.cell(row, self.layout.bank_reference);
        let bank_tx_code = self.cell(row, self.layout.bank_tx_code);
        write_line_locator(&mut self.locator_buffer, line);
        // The export's name and account columns are the source where they
        // are filled; free text fills the rest.
        let column_source = |value: &str| if value.is_empty() { "" } else { "column" };
        push_completed(
            &mut *self.sink,
            TransactionRef {
                statement_index,
                source_line: line,
                locator: &self.locator_buffer,
                account,
                currency,
                amount,
                booking_date,
                value_date: value_date.or(booking_date),
                counterparty_name,
                counterparty_account,
                remittance_info: &remittance,
                structured_refs: &structured_refs,
                end_to_end_id,
                bank_reference,
                bank_tx_code,
                status,
                reversal: false,
                details: DetailsRef {
                    name_source: column_source(counterparty_name),
                    account_source: column_source(counterparty_account),
                    ..DetailsRef::default()
                },
            },
        );
        self.text_buffer = remittance;
        Ok(())
    }

    /// Reserves room for the transactions of `text` (an estimate).
    pub(super) fn reserve_transactions(&mut self, text: &str, records_max: u64) {
        let estimate = estimate_records(text.as_bytes()).min(records_max);
        // PERF: one reservation instead of log2(n) regrowths that copy and
        // re-fault the sink's columns (`throughput` in tests/bank_csv.rs).
        self.sink.reserve(usize::try_from(estimate).unwrap_or(0));
    }

    /// The row's currency, borrowed from the row or the profile.
    pub(super) fn currency<'r>(&self, row: &'r Row) -> Result<&'r str, ParseError>
    where
        'a: 'r,
    {
        let text = self.cell(row, self.layout.currency);
        if text.is_empty() {
            let profile: &'a CsvProfile = self.profile;
            return match profile.currency.as_deref() {
                Some(c) => Ok(c),
                None => Err(self.missing(row, self.layout.currency, "currency")),
            };
        }
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
            return Ok(text);
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
    pub(super) fn amount(&self, row: &Row, currency: &str) -> Result<Decimal, ParseError> {
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
    pub(super) fn check_scale(
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

    pub(super) fn apply_direction(
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

    pub(super) fn location(&self, row: &Row, col: Option<usize>) -> Location {
        match col {
            Some(c) => Location::LineColumn(row.line, c as u64 + 1),
            None => Location::Line(row.line),
        }
    }

    pub(super) fn missing(&self, row: &Row, col: Option<usize>, what: &str) -> ParseError {
        let name = col.map(|c| self.layout.name(c)).unwrap_or_default();
        self.error(
            self.location(row, col),
            ErrorKind::MissingField,
            format!("{what} column `{name}` is empty"),
        )
    }

    pub(super) fn bad_date(&self, row: &Row, col: Option<usize>, text: &str) -> ParseError {
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

    pub(super) fn bad_amount(
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

    pub(super) fn finish(mut self) -> Result<ParsedFile, ParseError> {
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
            transactions: Vec::new(),
            details: Vec::new(),
            warnings: self.warnings,
        })
    }
}

/// The index of the statement for (account, currency), opened at `line`
/// when it is new. A function of the statements alone, so a row's fields
/// may stay borrowed from the reader while it runs.
pub(super) fn statement_for(
    statements: &mut Vec<Building>,
    account: &str,
    currency: &str,
    line: u64,
) -> usize {
    if let Some(i) = statements
        .iter()
        .position(|b| b.statement.account == account && b.statement.currency == currency)
    {
        return i;
    }
    statements.push(Building {
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
    statements.len() - 1
}

/// Joins the non-empty parts with single spaces into `out` (cleared
/// first).
///
/// PERF: one buffer reused for every row's remittance text, instead of a
/// `String` per row (`throughput` in tests/bank_csv.rs).
pub(super) fn join_non_empty_into<'p>(out: &mut String, parts: impl Iterator<Item = &'p str>) {
    out.clear();
    for part in parts.filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
}

/// Bytes sampled from the top of a file to estimate its number of records.
pub(super) const ESTIMATE_SAMPLE_BYTES: usize = 64 * 1024;

/// Estimates the number of records (lines) from the first
/// [`ESTIMATE_SAMPLE_BYTES`], scaled to the file size, plus one eighth of
/// slack; exact (an upper bound) for files no larger than the sample.
pub(super) fn estimate_records(bytes: &[u8]) -> u64 {
    let sample = bytes.get(..ESTIMATE_SAMPLE_BYTES).unwrap_or(bytes);
    let lines = memchr::memchr_iter(b'\n', sample).count() as u64 + 1;
    if sample.len() == bytes.len() {
        return lines;
    }
    let scaled = lines.saturating_mul(bytes.len() as u64) / sample.len().max(1) as u64;
    scaled.saturating_add(scaled / 8)
}

pub(super) struct ChainResult {
    pub(super) opening: Option<Decimal>,
    pub(super) closing: Option<Decimal>,
    pub(super) transitions: usize,
    pub(super) breaks: Vec<String>,
}

/// Checks `previous balance + amount = balance` over the rows that carry a
/// balance, in chronological order.
/// `None` when the arithmetic overflows, which amounts below the bound
/// cannot do; the caller turns it into a file error, never a panic.
pub(super) fn check_chain(
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
