//! Field values: amounts in minor units (checked against the amount bound),
//! counts, type codes, currencies, dates and funds-type availability.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sign {
    /// 03 balances and 49/98/99 totals may carry `+` or `-`.
    Allowed,
    /// 16 amounts are unsigned: direction comes from the type code.
    Forbidden,
}

/// Parses an amount in minor units with `exponent` implied decimals and
/// checks it against the amount bound ([`crate::amount::AMOUNT_ABS_BOUND`],
/// RELIABILITY B1-5), so that no control total or sum can overflow. Blank is
/// `None`.
pub(super) fn parse_amount(
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

pub(super) fn parse_count(
    reader: &Reader<'_, '_>,
    field: &Field<'_>,
) -> Result<Option<u64>, ParseError> {
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

pub(super) fn parse_type_code(
    reader: &Reader<'_, '_>,
    field: &Field<'_>,
) -> Result<u16, ParseError> {
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

pub(super) fn parse_currency(
    reader: &Reader<'_, '_>,
    field: &Field<'_>,
) -> Result<String, ParseError> {
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
pub(super) fn parse_date(
    reader: &Reader<'_, '_>,
    field: &Field<'_>,
) -> Result<NaiveDate, ParseError> {
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
pub(super) fn skip_funds_distribution<'t>(
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

pub(super) fn checked_add(
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

pub(super) fn minor_to_decimal(
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
pub(super) fn fmt_minor(minor: i128, exponent: u32) -> String {
    match Decimal::try_from_i128_with_scale(minor, exponent) {
        Ok(d) => d.to_string(),
        Err(_) => format!("{minor} (minor units)"),
    }
}
