//! The one amount grammar shared by every reader, the amount bound, and the
//! scale rule.
//!
//! Nothing here guesses: a [`NumberFormat`] accepts exactly one lexical form
//! and rejects the rest, so a malformed amount is never read as a different
//! number (RELIABILITY B1-10). The statement readers use it with fixed
//! formats (MT940 `1234,56`, camt `1234.56`, the number format of a bank CSV
//! profile); the ERP extract reader with the format its configuration
//! declares (`1.234,56`, `150,00-`, `(150.00)`).
//!
//! Every amount read from a file is also checked against
//! [`AMOUNT_ABS_BOUND`] (RELIABILITY B1-5): a value beyond it is an error
//! naming its position, and because of the bound no sum a reader computes can
//! overflow a [`Decimal`]. The readers still add with checked arithmetic, so
//! an overflow could only ever become an error, never a panic.

use rust_decimal::Decimal;
use std::fmt;

/// Largest scale any reader accepts; ISO 4217 minor units top out at 4 and
/// camt samples carry up to 5 trailing zeros.
pub const SCALE_MAX: u32 = 10;

/// Integer digits of the largest amount accepted: every amount read from a
/// file (transaction, balance, control total, open item) satisfies
/// `|amount| < 10^15` major units.
///
/// Why 10^15: it is above any real bank amount (SWIFT MT amount fields hold
/// 15 characters including the decimal comma, so at most 14 integer digits;
/// a billion US dollars in Iranian rial or pre-2005 Turkish lira is about
/// 10^14), and far below where a [`Decimal`] overflows (about 7.9 × 10^28):
/// a sum of 10^9 amounts at the bound is at most 10^24, four orders of
/// magnitude of headroom. It is also the range RELIABILITY B1-12 asks the
/// readers to round-trip.
pub const AMOUNT_INTEGER_DIGITS_MAX: u32 = 15;

/// `10^AMOUNT_INTEGER_DIGITS_MAX`: every accepted amount is strictly smaller
/// in magnitude. See [`AMOUNT_INTEGER_DIGITS_MAX`] for why.
// 10^15 = 0x0003_8D7E_A4C6_8000: low 32 bits, middle 32 bits, high 32 bits.
pub const AMOUNT_ABS_BOUND: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// Why a text is not an acceptable amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// The text does not match the grammar (a stray character, a misplaced
    /// grouping separator, no digits, more than [`SCALE_MAX`] decimals).
    Malformed,
    /// The value is at or beyond [`AMOUNT_ABS_BOUND`] in magnitude.
    TooLarge,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Malformed => f.write_str("is not an amount"),
            AmountError::TooLarge => write!(
                f,
                "is beyond the amount bound: |amount| must be below 10^{AMOUNT_INTEGER_DIGITS_MAX} major units"
            ),
        }
    }
}

/// The message for an amount `text` beyond [`AMOUNT_ABS_BOUND`], shared by
/// all readers so the rule reads the same everywhere.
pub fn too_large_message(text: &str) -> String {
    format!(
        "amount `{}` is beyond the amount bound: |amount| must be below 10^{AMOUNT_INTEGER_DIGITS_MAX} major units (no real bank amount is that large)",
        shorten(text)
    )
}

fn shorten(text: &str) -> String {
    const SHOWN_CHARS_MAX: usize = 40;
    if text.chars().count() <= SHOWN_CHARS_MAX {
        text.to_string()
    } else {
        let head: String = text.chars().take(SHOWN_CHARS_MAX).collect();
        format!("{head}…")
    }
}

/// True when `|value| < AMOUNT_ABS_BOUND`.
pub fn is_within_bound(value: Decimal) -> bool {
    value.abs() < AMOUNT_ABS_BOUND
}

/// Checks `value` against [`AMOUNT_ABS_BOUND`].
pub fn check_bound(value: Decimal) -> Result<Decimal, AmountError> {
    if is_within_bound(value) {
        Ok(value)
    } else {
        Err(AmountError::TooLarge)
    }
}

/// True when an integer count of minor units with `exponent` implied
/// decimals (BAI2) is within [`AMOUNT_ABS_BOUND`].
pub fn minor_units_within_bound(minor: i128, exponent: u32) -> bool {
    10u128
        .checked_pow(AMOUNT_INTEGER_DIGITS_MAX + exponent)
        .is_some_and(|bound| minor.unsigned_abs() < bound)
}

/// True when `value` has more decimals than `minor_units` allows, ignoring
/// trailing zeros (`18.150` EUR is `18.15`; `50.001` EUR and `1500.5` JPY
/// are excess scale). ISO 20022 `ActiveOrHistoricCurrencyAndAmount` and
/// RELIABILITY B1-11: such an amount is never rounded, it is refused.
pub fn has_excess_scale(value: Decimal, minor_units: u32) -> bool {
    value.scale() > minor_units && value.normalize().scale() > minor_units
}

/// The message for an amount with excess scale, shared by all readers.
pub fn excess_scale_message(text: &str, currency: &str) -> String {
    let minor = crate::currency::currency_exponent(currency);
    format!(
        "amount `{}` has more decimals than {currency} allows ({minor}); amounts are never rounded on input",
        shorten(text)
    )
}

/// A grouping (thousands) separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// `1.234.567,89` (German, Dutch, Italian, Spanish ERPs).
    Dot,
    /// `1,234,567.89` (English-speaking locales).
    Comma,
    /// `1'234'567.89` (Swiss); the typographic `’` is the same separator.
    Apostrophe,
    /// `1 234 567,89` (French, Nordic); a space, a no-break space (U+00A0)
    /// or a narrow no-break space (U+202F), which is what spreadsheets write.
    Space,
}

impl Grouping {
    /// The grouping named by a configuration value: `.`, `,`, `'`, `’`, a
    /// space, U+00A0 or U+202F. `None` for anything else.
    pub fn from_setting(setting: &str) -> Option<Grouping> {
        match setting {
            "." => Some(Grouping::Dot),
            "," => Some(Grouping::Comma),
            "'" | "\u{2019}" => Some(Grouping::Apostrophe),
            " " | "\u{A0}" | "\u{202F}" => Some(Grouping::Space),
            _ => None,
        }
    }

    /// The grouping written by a one-byte separator (bank CSV profiles).
    pub fn from_byte(b: u8) -> Option<Grouping> {
        match b {
            b'.' => Some(Grouping::Dot),
            b',' => Some(Grouping::Comma),
            b'\'' => Some(Grouping::Apostrophe),
            b' ' => Some(Grouping::Space),
            _ => None,
        }
    }

    /// The canonical character written for this grouping.
    pub fn as_char(self) -> char {
        match self {
            Grouping::Dot => '.',
            Grouping::Comma => ',',
            Grouping::Apostrophe => '\'',
            Grouping::Space => ' ',
        }
    }

    fn matches(self, c: char) -> bool {
        match self {
            Grouping::Dot => c == '.',
            Grouping::Comma => c == ',',
            Grouping::Apostrophe => c == '\'' || c == '\u{2019}',
            Grouping::Space => c == ' ' || c == '\u{A0}' || c == '\u{202F}',
        }
    }
}

/// The lexical form of a signed amount: decimal mark, optional grouping,
/// and where a sign may stand. The default is `-1234.56`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFormat {
    /// The decimal mark, `.` or `,`.
    pub decimal: char,
    /// The grouping separator, if grouping is allowed; groups are then 1-3
    /// digits first and exactly 3 after.
    pub grouping: Option<Grouping>,
    /// A `$` may precede or follow a leading sign (`-$7.50`, `$-7.50`;
    /// US bank CSV exports).
    pub dollar_sign: bool,
    /// A negative may be written with a trailing minus (`150,00-`, SAP).
    pub trailing_minus: bool,
    /// A negative may be written in parentheses (`(150.00)`, accounting).
    pub parentheses: bool,
}

impl Default for NumberFormat {
    fn default() -> Self {
        NumberFormat {
            decimal: '.',
            grouping: None,
            dollar_sign: false,
            trailing_minus: false,
            parentheses: false,
        }
    }
}

impl NumberFormat {
    /// Parses a signed amount in this format and checks it against
    /// [`AMOUNT_ABS_BOUND`].
    ///
    /// Accepted: surrounding whitespace; one leading `-` or `+`; with
    /// [`NumberFormat::trailing_minus`], one trailing `-` instead; with
    /// [`NumberFormat::parentheses`], a negative in parentheses (with no
    /// other sign); digits grouped as configured; a decimal part of 1 to
    /// [`SCALE_MAX`] digits.
    pub fn parse(&self, text: &str) -> Result<Decimal, AmountError> {
        let mut t = text.trim();
        let mut negative = false;
        let mut signed = false;
        if self.parentheses {
            if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
                t = inner;
                negative = true;
                signed = true;
            }
        }
        // A leading sign and a `$` in either order (`-$7`, `$-7`).
        for _ in 0..2 {
            if let Some(rest) = t.strip_prefix('-').filter(|_| !signed) {
                (t, negative, signed) = (rest, true, true);
            } else if let Some(rest) = t.strip_prefix('+').filter(|_| !signed) {
                (t, signed) = (rest, true);
            } else if let Some(rest) = t.strip_prefix('$').filter(|_| self.dollar_sign) {
                t = rest;
            } else {
                break;
            }
        }
        if self.trailing_minus && !signed {
            if let Some(rest) = t.strip_suffix('-') {
                (t, negative) = (rest, true);
            }
        }
        let value = scan(t, self.decimal, self.grouping, false)?;
        Ok(if negative { -value } else { value })
    }

    /// Writes `value` in this format, with a leading `-` for a negative (a
    /// form every format accepts) and grouping when configured, so that
    /// `parse(format(x)) == x`. Used by property tests and examples.
    pub fn format(&self, value: Decimal) -> String {
        let plain = value.abs().to_string();
        let (int, frac) = match plain.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (plain.as_str(), None),
        };
        let mut out = String::with_capacity(plain.len() + plain.len() / 3 + 2);
        if value.is_sign_negative() && !value.is_zero() {
            out.push('-');
        }
        match self.grouping {
            Some(g) => {
                for (i, c) in int.chars().enumerate() {
                    if i > 0 && (int.len() - i) % 3 == 0 {
                        out.push(g.as_char());
                    }
                    out.push(c);
                }
            }
            None => out.push_str(int),
        }
        if let Some(f) = frac {
            out.push(self.decimal);
            out.push_str(f);
        }
        out
    }
}

/// Parses an unsigned amount written as digits with an optional `sep`
/// decimal separator (`"1234.5"`, `"0,01"`, `"9,"`: MT940 allows a decimal
/// comma with no decimals after it). No sign, no grouping. Checked against
/// [`AMOUNT_ABS_BOUND`].
pub fn parse_unsigned(text: &str, sep: u8) -> Result<Decimal, AmountError> {
    scan(text, char::from(sep), None, true)
}

/// Parses a signed amount with an optional leading `-` or `+` (`"-12.30"`,
/// `"+0"`) and `sep` as decimal separator. Checked against
/// [`AMOUNT_ABS_BOUND`].
pub fn parse_signed(text: &str, sep: u8) -> Result<Decimal, AmountError> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('-') {
        parse_unsigned(rest, sep).map(|d| -d)
    } else if let Some(rest) = t.strip_prefix('+') {
        parse_unsigned(rest, sep)
    } else {
        parse_unsigned(t, sep)
    }
}

/// The digits of an amount: integer part (grouped when `grouping` is set),
/// optional `decimal` mark and decimals. The heart of the one grammar.
fn scan(
    text: &str,
    decimal: char,
    grouping: Option<Grouping>,
    empty_fraction_allowed: bool,
) -> Result<Decimal, AmountError> {
    let mut mantissa: i128 = 0;
    let mut overflow = false;
    let mut scale: u32 = 0;
    let mut int_digits = 0usize;
    let mut group_digits = 0usize;
    let mut grouped = false;
    let mut in_fraction = false;
    for c in text.chars() {
        if let Some(d) = c.to_digit(10).filter(|_| c.is_ascii_digit()) {
            // Digits past i128 still have to be scanned: an over-long amount
            // of valid digits is too large, not malformed.
            match mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(d)))
            {
                Some(m) => mantissa = m,
                None => overflow = true,
            }
            if in_fraction {
                scale += 1;
                if scale > SCALE_MAX {
                    return Err(AmountError::Malformed);
                }
            } else {
                int_digits += 1;
                group_digits += 1;
            }
        } else if c == decimal && !in_fraction {
            if grouped && group_digits != 3 {
                return Err(AmountError::Malformed);
            }
            in_fraction = true;
        } else if grouping.is_some_and(|g| g.matches(c)) && !in_fraction {
            // First group 1-3 digits, every later group exactly 3.
            let ok = if grouped {
                group_digits == 3
            } else {
                (1..=3).contains(&group_digits)
            };
            if !ok {
                return Err(AmountError::Malformed);
            }
            grouped = true;
            group_digits = 0;
        } else {
            return Err(AmountError::Malformed);
        }
    }
    if int_digits == 0 || (grouped && !in_fraction && group_digits != 3) {
        return Err(AmountError::Malformed);
    }
    if in_fraction && scale == 0 && !empty_fraction_allowed {
        return Err(AmountError::Malformed);
    }
    if overflow {
        return Err(AmountError::TooLarge);
    }
    let value =
        Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| AmountError::TooLarge)?;
    check_bound(value)
}

/// Parses an integer count of minor units (BAI2) into a decimal with
/// `exponent` implied decimals: `"000000000208500"` with 2 is `2085.00`.
/// Checked against [`AMOUNT_ABS_BOUND`].
pub fn parse_minor_units(text: &str, exponent: u32) -> Result<Decimal, AmountError> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        Some(_) => (false, t),
        None => return Err(AmountError::Malformed),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AmountError::Malformed);
    }
    let mut mantissa: i128 = 0;
    for b in digits.bytes() {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(b - b'0')))
            .ok_or(AmountError::TooLarge)?;
    }
    if !minor_units_within_bound(mantissa, exponent) {
        return Err(AmountError::TooLarge);
    }
    if neg {
        mantissa = -mantissa;
    }
    Decimal::try_from_i128_with_scale(mantissa, exponent).map_err(|_| AmountError::TooLarge)
}

pub use crate::currency::currency_exponent;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        assert!(parse_unsigned(",5", b',').is_err());
        assert!(parse_unsigned("1.000,00", b',').is_err());
        assert!(parse_unsigned("1e5", b'.').is_err());
        assert!(parse_unsigned("", b'.').is_err());
    }

    #[test]
    fn bound_constant_is_ten_to_the_fifteen() {
        assert_eq!(
            AMOUNT_ABS_BOUND,
            Decimal::from(10i64.pow(AMOUNT_INTEGER_DIGITS_MAX))
        );
    }

    /// RELIABILITY B1-5: an amount at or beyond the bound is refused as too
    /// large (not as malformed, and never by a panic), however many digits.
    #[test]
    fn amounts_beyond_the_bound_are_too_large() {
        assert!(parse_unsigned("999999999999999,99", b',').is_ok());
        assert_eq!(
            parse_unsigned("1000000000000000", b'.'),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_unsigned("9999999999999999999999999999", b','),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_unsigned("79228162514264337593543950335", b'.'),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_unsigned(&"9".repeat(200), b'.'),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_minor_units("99999999999999999999999", 2),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_minor_units(&"9".repeat(60), 2),
            Err(AmountError::TooLarge)
        );
        assert!(parse_minor_units("99999999999999999", 2).is_ok());
        assert!(parse_minor_units("100000000000000000", 2).is_err());
        let signed = NumberFormat::default();
        assert_eq!(
            signed.parse("-1000000000000000.00"),
            Err(AmountError::TooLarge)
        );
    }

    /// RELIABILITY B1-11: trailing zeros are not excess scale.
    #[test]
    fn excess_scale() {
        let d = |s: &str| parse_unsigned(s, b'.').unwrap();
        assert!(!has_excess_scale(d("18.150"), 2));
        assert!(!has_excess_scale(d("5442.09000"), 2));
        assert!(has_excess_scale(d("50.001"), 2));
        assert!(has_excess_scale(d("1500.5"), 0));
        assert!(!has_excess_scale(d("1500.0"), 0));
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
        assert!(parse_minor_units("12a", 2).is_err());
    }

    fn fmt(decimal: char, grouping: Option<Grouping>) -> NumberFormat {
        NumberFormat {
            decimal,
            grouping,
            trailing_minus: true,
            parentheses: true,
            ..NumberFormat::default()
        }
    }

    /// RELIABILITY B1-10: the forms real ERPs write, and the strictness
    /// that keeps a value from being read as another number.
    #[test]
    fn formatted_forms() {
        let de = fmt(',', Some(Grouping::Dot));
        let ok = |f: &NumberFormat, t: &str| f.parse(t).unwrap().to_string();
        assert_eq!(ok(&de, "1.234,56"), "1234.56");
        assert_eq!(ok(&de, "150,00-"), "-150.00");
        assert_eq!(ok(&de, "(150,00)"), "-150.00");
        assert_eq!(ok(&de, "1.234.567"), "1234567");
        assert_eq!(ok(&de, "-3.000"), "-3000");
        assert!(de.parse("1.23,45").is_err());
        assert!(de.parse("1.2345,00").is_err());
        assert!(de.parse("12.34").is_err());
        assert!(de.parse("1,234.56").is_err());
        assert!(de.parse("-150,00-").is_err());
        assert!(de.parse("(-150,00)").is_err());
        let ch = fmt('.', Some(Grouping::Apostrophe));
        assert_eq!(ok(&ch, "1'234.56"), "1234.56");
        assert_eq!(ok(&ch, "1\u{2019}234.56"), "1234.56");
        let fr = fmt(',', Some(Grouping::Space));
        assert_eq!(ok(&fr, "1 234,56"), "1234.56");
        assert_eq!(ok(&fr, "1\u{A0}234,56"), "1234.56");
        assert_eq!(ok(&fr, "1\u{202F}234\u{202F}567,5"), "1234567.5");
        let plain = NumberFormat::default();
        assert!(plain.parse("1,234.56").is_err());
        assert!(plain.parse("150.00-").is_err());
        assert!(plain.parse("(150.00)").is_err());
        assert!(plain.parse("1.").is_err());
    }

    fn grouping() -> impl Strategy<Value = Option<Grouping>> {
        prop_oneof![
            Just(None),
            Just(Some(Grouping::Dot)),
            Just(Some(Grouping::Comma)),
            Just(Some(Grouping::Apostrophe)),
            Just(Some(Grouping::Space)),
        ]
    }

    proptest! {
        /// RELIABILITY B1-10/B1-12: `parse(format(x)) == x` for every x in
        /// ±[0, 10^15) at every scale up to 4, under every number format.
        #[test]
        fn formatted_amounts_round_trip(
            mantissa in -(10i128.pow(19) - 1)..10i128.pow(19),
            scale in 0u32..=4,
            comma in any::<bool>(),
            grouping in grouping(),
        ) {
            let decimal = if comma { ',' } else { '.' };
            prop_assume!(grouping.map(Grouping::as_char) != Some(decimal));
            let value = Decimal::from_i128_with_scale(mantissa, 4).round_dp(scale);
            prop_assume!(is_within_bound(value));
            let format = fmt(decimal, grouping);
            let text = format.format(value);
            let back = format.parse(&text).unwrap();
            prop_assert_eq!(back, value);
            prop_assert_eq!(back.scale(), value.scale());
            if value.is_sign_negative() && !value.is_zero() {
                let trailing = format!("{}-", &text[1..]);
                prop_assert_eq!(format.parse(&trailing).unwrap(), value);
                let parens = format!("({})", &text[1..]);
                prop_assert_eq!(format.parse(&parens).unwrap(), value);
            }
        }
    }
}
