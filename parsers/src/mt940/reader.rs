//! Reader state: messages, balances, totals, and the checks run when a
//! message closes.

use super::*;

/// Facts about one `:61:` that only become final once its `:86:` is read.
pub(super) struct Pending<'t> {
    pub(super) customer_ref: &'t str,
    pub(super) supplementary: String,
    /// Whether an `:86:`/`:NS:` followed the `:61:`.
    pub(super) has_details: bool,
}

/// A balance field (`:60F:`, `:62M:`, ...).
pub(super) struct Balance {
    pub(super) tag: &'static str,
    pub(super) amount: Decimal,
    pub(super) date: NaiveDate,
    pub(super) currency: String,
}

/// An MT942 `:90D:`/`:90C:` total.
pub(super) struct Total {
    pub(super) count: u64,
    pub(super) amount: Decimal,
}

/// The message being read.
#[derive(Default)]
pub(super) struct Message<'t> {
    pub(super) line: u64,
    pub(super) statement_id: String,
    pub(super) account: Option<String>,
    pub(super) sequence: String,
    pub(super) currency: String,
    pub(super) opening: Option<Balance>,
    pub(super) closing: Option<Balance>,
    /// First transaction of this message in `ParsedFile::transactions`.
    pub(super) tx_start: usize,
    pub(super) pending: Vec<Pending<'t>>,
    /// Tag of the last field, to attach `:86:`/`:NS:` to the `:61:` before it.
    pub(super) last_tag: &'t str,
    pub(super) mt942: bool,
    pub(super) report_date: Option<NaiveDate>,
    pub(super) total_debits: Option<Total>,
    pub(super) total_credits: Option<Total>,
    /// ING `:86:/SUM/debits/credits/sum debits/sum credits/`, with its line.
    pub(super) ing_sum: Option<(u64, u64, Decimal, Decimal, u64)>,
}

pub(super) struct Reader<'o, 't> {
    pub(super) file: &'o str,
    pub(super) options: &'o ParseOptions,
    pub(super) parsed: ParsedFile,
    pub(super) message: Option<Message<'t>>,
    pub(super) field: Option<Field<'t>>,
    /// Spare line buffer, reused so that a field costs no allocation.
    pub(super) spare_lines: Vec<&'t str>,
    pub(super) any_mt942: bool,
}

impl<'o, 't> Reader<'o, 't> {
    pub(super) fn new(file: &'o str, options: &'o ParseOptions) -> Self {
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

    pub(super) fn error(&self, line: u64, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(
            self.file,
            Some(FORMAT_NAME),
            Location::Line(line),
            kind,
            message,
        )
    }

    pub(super) fn warn(&mut self, line: u64, message: String) {
        self.parsed.warnings.push(format!("line {line}: {message}"));
    }

    pub(super) fn read(&mut self, text: &'t str) -> Result<(), ParseError> {
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
    pub(super) fn outside(&mut self, line: Line<'t>) -> Result<(), ParseError> {
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

    pub(super) fn in_message(
        &mut self,
        line: Line<'t>,
        after: &Lines<'t>,
    ) -> Result<(), ParseError> {
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
    pub(super) fn is_terminator(&self, t: &str, after: &Lines<'t>) -> bool {
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

    pub(super) fn start_message(&mut self, line: u64, first: &'t str) {
        self.message = Some(Message {
            line,
            tx_start: self.parsed.transactions.len(),
            ..Message::default()
        });
        self.start_field("20", line, first);
    }

    pub(super) fn start_field(&mut self, tag: &'t str, line: u64, first: &'t str) {
        let mut lines = std::mem::take(&mut self.spare_lines);
        lines.clear();
        lines.push(first);
        self.field = Some(Field { tag, line, lines });
    }

    pub(super) fn flush_field(&mut self) -> Result<(), ParseError> {
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

    pub(super) fn apply_field(&mut self, field: &Field<'t>) -> Result<(), ParseError> {
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

    pub(super) fn msg(&mut self) -> &mut Message<'t> {
        self.message
            .as_mut()
            .expect("fields are only applied inside a message")
    }

    /// `C|D YYMMDD CCY amount`.
    pub(super) fn balance(&mut self, field: &Field<'t>) -> Result<Balance, ParseError> {
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

    pub(super) fn amount(
        &mut self,
        line: u64,
        tag: &str,
        text: &str,
    ) -> Result<Decimal, ParseError> {
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
    pub(super) fn check_scale(
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
    pub(super) fn date6(&self, line: u64, tag: &str, text: &str) -> Result<NaiveDate, ParseError> {
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
    pub(super) fn total(&mut self, field: &Field<'t>) -> Result<(), ParseError> {
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
    pub(super) fn transaction(&mut self, field: &Field<'t>) -> Result<(), ParseError> {
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
        self.parsed.details.push(TransactionDetails::default());
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
    pub(super) fn information(&mut self, field: &Field<'t>) -> Result<(), ParseError> {
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
        let details = self
            .parsed
            .details
            .last_mut()
            .expect("a :61: pushed its details");
        if field.tag == "NS" {
            // Sberbank's numbered `:NS:` lines carry the narrative; kept whole.
            tx.remittance_info = join_wrapped(&field.lines, field.tag.len() + 2);
        } else {
            apply_details(tx, details, &field.lines);
        }
        Ok(())
    }

    /// Statement-level `:86:`; only ING's `/SUM/` is checked, the rest is narrative.
    pub(super) fn statement_information(&mut self, field: &Field<'t>) {
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
    pub(super) fn end_message(&mut self, last_line: u64) -> Result<(), ParseError> {
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
        let details = &mut self.parsed.details[m.tx_start..];
        for ((tx, d), pending) in txs.iter_mut().zip(details.iter_mut()).zip(&m.pending) {
            debug_assert_eq!(tx.statement_index, index);
            tx.account.clone_from(&account);
            tx.currency.clone_from(&m.currency);
            finalise(tx, d, pending);
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

    pub(super) fn finish(mut self, text: &str) -> Result<ParsedFile, ParseError> {
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
        crate::model::complete_details(&mut self.parsed);
        Ok(self.parsed)
    }
}

/// The tag as a `'static` string for balance records and messages.
pub(super) fn static_tag(tag: &str) -> &'static str {
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
pub(super) fn num(digits: &str) -> u32 {
    digits
        .bytes()
        .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}

/// Headers and envelope debris between messages: `ABNANL2A/940/ABNANL2A`,
/// `:940:`, `940 00`, `0000 01INGBNL2AXXXX00001`, `-`, `}`, blank lines.
pub(super) fn is_envelope_noise(t: &str) -> bool {
    const HEADER_CHARS_MAX: usize = 40;
    t.len() <= HEADER_CHARS_MAX
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b" /:-{}".contains(&b))
}

/// At most 60 characters of a value for an error message.
pub(super) fn shorten(t: &str) -> &str {
    match t.char_indices().nth(60) {
        Some((i, _)) => &t[..i],
        None => t,
    }
}

/// Picks the year of an `MMDD` entry date nearest the value date.
pub(super) fn infer_entry_date(value_date: NaiveDate, mmdd: &str) -> Option<NaiveDate> {
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
