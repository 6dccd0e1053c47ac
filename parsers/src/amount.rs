//! Strict amount grammars shared by the format readers. Nothing here guesses:
//! each function accepts exactly one lexical form and rejects the rest, so a
//! malformed amount is never read as a different number.

use rust_decimal::Decimal;

/// Largest scale any reader accepts; ISO 4217 minor units top out at 4 and
/// camt samples carry up to 5 trailing zeros.
pub const SCALE_MAX: u32 = 10;

/// Parses an unsigned amount written as digits with an optional `sep`
/// decimal separator (`"1234.5"`, `"0,01"`, `"9,"`). Returns `None` on any
/// other character, an empty integer part, or overflow.
pub fn parse_unsigned(text: &str, sep: u8) -> Option<Decimal> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let mut mantissa: i128 = 0;
    let mut scale: u32 = 0;
    let mut seen_sep = false;
    let mut int_digits = 0usize;
    for &b in bytes {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa
                    .checked_mul(10)?
                    .checked_add(i128::from(b - b'0'))?;
                if seen_sep {
                    scale += 1;
                    if scale > SCALE_MAX {
                        return None;
                    }
                } else {
                    int_digits += 1;
                }
            }
            _ if b == sep && !seen_sep => seen_sep = true,
            _ => return None,
        }
    }
    if int_digits == 0 {
        return None;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

/// Parses a signed amount with `.` as decimal separator and an optional
/// leading `-` or `+` (`"-12.30"`, `"+0"`).
pub fn parse_signed(text: &str, sep: u8) -> Option<Decimal> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('-') {
        parse_unsigned(rest, sep).map(|d| -d)
    } else if let Some(rest) = t.strip_prefix('+') {
        parse_unsigned(rest, sep)
    } else {
        parse_unsigned(t, sep)
    }
}

/// Parses an integer count of minor units (BAI2) into a decimal with
/// `exponent` implied decimals: `"000000000208500"` with 2 is `2085.00`.
pub fn parse_minor_units(text: &str, exponent: u32) -> Option<Decimal> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 30 {
        return None;
    }
    let mut mantissa: i128 = 0;
    for b in digits.bytes() {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i128::from(b - b'0'))?;
    }
    if neg {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, exponent).ok()
}

pub use crate::currency::currency_exponent;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_forms() {
        assert_eq!(parse_unsigned("9,", b',').unwrap().to_string(), "9");
        assert_eq!(parse_unsigned("0,01", b',').unwrap().to_string(), "0.01");
        assert_eq!(
            parse_unsigned("000000004433,52", b',').unwrap().to_string(),
            "4433.52"
        );
        assert_eq!(
            parse_unsigned("5442.09000", b'.').unwrap().to_string(),
            "5442.09000"
        );
        assert!(parse_unsigned(",5", b',').is_none());
        assert!(parse_unsigned("1.000,00", b',').is_none());
        assert!(parse_unsigned("1e5", b'.').is_none());
        assert!(parse_unsigned("", b'.').is_none());
    }

    #[test]
    fn minor_units() {
        assert_eq!(
            parse_minor_units("000000000208500", 2).unwrap().to_string(),
            "2085.00"
        );
        assert_eq!(parse_minor_units("-1600", 2).unwrap().to_string(), "-16.00");
        assert_eq!(
            parse_minor_units("+00000000000834000", 2)
                .unwrap()
                .to_string(),
            "8340.00"
        );
        assert!(parse_minor_units("12a", 2).is_none());
    }
}
