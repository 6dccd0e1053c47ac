//! The reader: assembles logical records (`88` continuations), checks that
//! each record comes where the file structure allows it, and interprets
//! the record types into statements, transactions and control-total checks.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
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
pub(super) struct GroupState {
    pub(super) number: u32,
    pub(super) line: u64,
    pub(super) as_of: Option<NaiveDate>,
    pub(super) currency: String,
    pub(super) records: u64,
    pub(super) accounts: u64,
    pub(super) sum_of_49: i128,
    pub(super) first_statement: usize,
}

#[derive(Debug, Default)]
pub(super) struct AccountState {
    pub(super) line: u64,
    pub(super) records: u64,
    pub(super) computed_total: i128,
    pub(super) exponent: u32,
}

pub(super) struct Reader<'t, 'o> {
    pub(super) file: &'o str,
    /// Where each 16 detail goes as it is read.
    pub(super) sink: &'o mut dyn TransactionSink,
    /// Reused per transaction: the remittance text and the locator, so a
    /// transaction costs no allocation of its own.
    pub(super) text_buffer: String,
    pub(super) locator_buffer: String,
    pub(super) options: &'o ParseOptions,
    pub(super) level: Level,
    pub(super) record: Record<'t>,
    pub(super) records_seen: u64,
    pub(super) file_id: String,
    pub(super) file_records: u64,
    pub(super) file_groups: u64,
    pub(super) sum_of_98: i128,
    pub(super) group: GroupState,
    pub(super) account: AccountState,
    pub(super) statements: Vec<Statement>,
    pub(super) warnings: Vec<String>,
}

impl<'t, 'o> Reader<'t, 'o> {
    pub(super) fn new(
        file: &'o str,
        options: &'o ParseOptions,
        sink: &'o mut dyn TransactionSink,
    ) -> Self {
        Reader {
            file,
            sink,
            text_buffer: String::new(),
            locator_buffer: String::new(),
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
            warnings: Vec::new(),
        }
    }

    pub(super) fn error(&self, location: Location, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(self.file, Some(FORMAT_NAME), location, kind, message)
    }

    pub(super) fn push_line(&mut self, line_no: u64, line: &'t str) -> Result<(), ParseError> {
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

    pub(super) fn push_piece(&mut self, line_no: u64, piece: &'t str) -> Result<(), ParseError> {
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

    pub(super) fn append(&mut self, segment: Segment<'t>) -> Result<(), ParseError> {
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
    pub(super) fn finish_record(&mut self) -> Result<(), ParseError> {
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

    pub(super) fn interpret(&mut self, record: &Record<'t>) -> Result<(), ParseError> {
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
    pub(super) fn expect_level(
        &self,
        record: &Record<'_>,
        allowed: &[Level],
    ) -> Result<(), ParseError> {
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

    pub(super) fn file_header(
        &mut self,
        record: &Record<'t>,
        physical: u64,
    ) -> Result<(), ParseError> {
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

    pub(super) fn group_header(
        &mut self,
        record: &Record<'t>,
        physical: u64,
    ) -> Result<(), ParseError> {
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

    pub(super) fn account_header(
        &mut self,
        record: &Record<'t>,
        physical: u64,
    ) -> Result<(), ParseError> {
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

    pub(super) fn detail(&mut self, record: &Record<'t>, physical: u64) -> Result<(), ParseError> {
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
        // PERF: the text buffer is reused from one transaction to the next
        // (`throughput` in tests/bai2.rs).
        let mut text = TextBuilder {
            text: std::mem::take(&mut self.text_buffer),
        };
        text.text.clear();
        if let Some(t) = head_text {
            text.push(t, head_segment.is_some_and(|s| s.terminated));
        }
        let mut tags = Tags::default();
        for segment in record.segments.iter().skip(first_text_segment) {
            text.push(segment.body, segment.terminated);
            tags.read(trim_fast(segment.body));
        }
        let mut details = DetailsRef::default();
        let (mut counterparty_name, mut counterparty_account) = ("", "");
        let joined_account: String;
        if let Some(credit) = credit {
            let party = party_from_text(&text.text, credit);
            if let Some((tag, name)) = party.name {
                counterparty_name = name;
                details.name_source = tag;
            }
            if let Some(joined) = party.joined_account {
                joined_account = joined;
                counterparty_account = &joined_account;
                details.account_source = "OB:+BO:";
            } else if let Some((tag, account)) = party.account {
                counterparty_account = account;
                details.account_source = tag;
            }
            details.return_reason = party.return_reason;
        }
        // Returns and rejects (GS `ACH Credit Reject`, `ACH Debit Payment
        // Return`, `Outgoing Wire Return`, `RETURNED CHEQUE`): money coming
        // back, not a customer's payment.
        details.returned = RETURN_TYPE_CODES.contains(&type_code)
            || text
                .text
                .split(|c: char| !c.is_ascii_alphabetic())
                .take(RETURN_WORDS_SCANNED)
                .any(|w| RETURN_WORDS.iter().any(|r| w.eq_ignore_ascii_case(r)));
        if !details.returned {
            details.return_reason = "";
        }
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
        let (account, currency) = match self.statements.last() {
            Some(s) => (s.account.as_str(), s.currency.as_str()),
            None => ("", DEFAULT_CURRENCY),
        };
        write_line_locator(&mut self.locator_buffer, record.line);
        let customer_reference = [customer_reference];
        push_completed(
            &mut *self.sink,
            TransactionRef {
                statement_index,
                source_line: record.line,
                locator: &self.locator_buffer,
                account,
                currency,
                amount,
                booking_date: as_of,
                value_date: value_date.or(as_of),
                counterparty_name,
                counterparty_account,
                remittance_info: &text.text,
                structured_refs: if customer_reference[0].is_empty() {
                    &[]
                } else {
                    &customer_reference
                },
                end_to_end_id: tags.end_to_end.unwrap_or_default(),
                bank_reference,
                // `parse_type_code` accepted exactly three ASCII digits, so the
                // field text is `format!("{type_code:03}")` without the formatter.
                bank_tx_code: type_field.trimmed(),
                status,
                reversal: false,
                details,
            },
        );
        self.text_buffer = text.text;
        Ok(())
    }

    pub(super) fn account_trailer(
        &mut self,
        record: &Record<'t>,
        physical: u64,
    ) -> Result<(), ParseError> {
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

    pub(super) fn group_trailer(
        &mut self,
        record: &Record<'t>,
        physical: u64,
    ) -> Result<(), ParseError> {
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

    pub(super) fn file_trailer(
        &mut self,
        record: &Record<'t>,
        physical: u64,
    ) -> Result<(), ParseError> {
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
    pub(super) fn report_to_statements(&mut self, line: u64, first: usize, details: Vec<String>) {
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

    pub(super) fn required(
        &self,
        fields: &mut Fields<'_, 't>,
        what: &str,
    ) -> Result<Field<'t>, ParseError> {
        let location = fields.end_location();
        fields.next_field().ok_or_else(|| {
            self.error(
                location,
                ErrorKind::MissingField,
                format!("record ends before the {what} field"),
            )
        })
    }

    pub(super) fn finish(
        mut self,
        last_line: u64,
        encoding_name: &str,
    ) -> Result<ParsedFile, ParseError> {
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
            transactions: Vec::new(),
            details: Vec::new(),
            warnings: self.warnings,
        })
    }
}

/// BAI type codes of returns and rejects (FORMATS.md section 1): 257 ACH
/// debit return, 261 ACH credit reject, 266 outgoing wire return, 557 ACH
/// credit receipt return.
const RETURN_TYPE_CODES: [u16; 4] = [257, 261, 266, 557];

/// Words of 16 text that name a return, whatever the type code.
const RETURN_WORDS: [&str; 4] = ["RETURN", "RETURNED", "REJECT", "REVERSAL"];

/// Only the description at the head of the text names the entry's kind;
/// a customer's remittance further on may say "return" about goods.
const RETURN_WORDS_SCANNED: usize = 6;

pub(super) fn apply_details(statement: &mut Statement, details: Vec<String>) {
    for detail in details {
        statement.balance_check = BalanceCheck::Fail;
        if !statement.check_detail.is_empty() {
            statement.check_detail.push_str("; ");
        }
        statement.check_detail.push_str(&detail);
    }
}
