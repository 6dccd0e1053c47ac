//! A profile compiled against a header: column positions, the date format
//! and the number format (the one amount grammar of [`crate::amount`]).

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DateToken {
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
pub(super) struct DateFormat {
    pub(super) tokens: Vec<DateToken>,
    pub(super) text: String,
}

impl DateFormat {
    pub(super) fn compile(format: &str) -> Option<DateFormat> {
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

    pub(super) fn parse(&self, text: &str) -> Option<NaiveDate> {
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
pub(super) struct Layout {
    pub(super) account: Option<usize>,
    pub(super) booking_date: Option<usize>,
    pub(super) value_date: Option<usize>,
    pub(super) amount: Option<usize>,
    pub(super) credit: Option<usize>,
    pub(super) debit: Option<usize>,
    pub(super) direction: Option<usize>,
    pub(super) currency: Option<usize>,
    pub(super) counterparty_name: Option<usize>,
    pub(super) counterparty_account: Option<usize>,
    pub(super) remittance_info: Vec<usize>,
    pub(super) bank_reference: Option<usize>,
    pub(super) balance: Option<usize>,
    pub(super) status: Option<usize>,
    pub(super) end_to_end_id: Option<usize>,
    pub(super) bank_tx_code: Option<usize>,
    pub(super) structured_refs: Vec<usize>,
    /// Header names by column, for messages (`#N` when headerless).
    pub(super) names: Vec<String>,
    pub(super) width: Option<usize>,
    pub(super) number: NumberFormat,
    pub(super) date: DateFormat,
}

impl Layout {
    pub(super) fn compile(
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

    pub(super) fn name(&self, col: usize) -> String {
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
pub(super) fn parse_amount(text: &str, format: &NumberFormat) -> Result<Decimal, AmountError> {
    format.parse(text)
}

pub(super) fn describe_number(format: &NumberFormat) -> String {
    let decimal = format.decimal;
    match format.grouping.map(Grouping::as_char) {
        Some(t) => format!("an amount with `{decimal}` decimals and optional `{t}` grouping, e.g. `-1{t}234{decimal}56`"),
        None => format!("an amount with `{decimal}` decimals and no grouping, e.g. `-1234{decimal}56`"),
    }
}
