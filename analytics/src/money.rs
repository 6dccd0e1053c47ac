//! Rounding and display of money and metric values. The only rounding in
//! this crate happens here, always half-even (banker's rounding, the
//! convention of the engine's allocation).

use cashmatch_parsers::currency::currency_exponent;
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimals kept for metric values (days, percents, ratios): the scale of
/// the `value` column, `Decimal128(38, 4)`.
pub const METRIC_SCALE: u32 = 4;

/// `amount` rounded half-even to the minor unit of `currency` (ISO 4217).
pub fn round_to_minor_unit(amount: Decimal, currency: &str) -> Decimal {
    amount.round_dp_with_strategy(
        currency_exponent(currency),
        RoundingStrategy::MidpointNearestEven,
    )
}

/// A metric value rounded half-even to [`METRIC_SCALE`] decimals.
pub fn round_metric(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(METRIC_SCALE, RoundingStrategy::MidpointNearestEven)
}

/// `amount` with the minor unit of `currency` and thousands separators:
/// `1,234,567.80` for EUR, `1,235` for JPY. The value is rounded half-even
/// for display only.
pub fn format_amount(amount: Decimal, currency: &str) -> String {
    format_grouped(
        round_to_minor_unit(amount, currency),
        currency_exponent(currency),
    )
}

/// `value` with exactly `decimals` decimals and thousands separators.
pub fn format_grouped(value: Decimal, decimals: u32) -> String {
    let rounded = value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointNearestEven);
    let text = format!("{:.*}", decimals as usize, rounded.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::with_capacity(text.len() + text.len() / 3 + 1);
    if rounded.is_sign_negative() && !rounded.is_zero() {
        grouped.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if let Some(f) = frac {
        grouped.push('.');
        grouped.push_str(f);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn rounding_is_half_even_at_the_minor_unit() {
        assert_eq!(round_to_minor_unit(d("0.125"), "EUR"), d("0.12"));
        assert_eq!(round_to_minor_unit(d("0.135"), "EUR"), d("0.14"));
        assert_eq!(round_to_minor_unit(d("12.5"), "JPY"), d("12"));
        assert_eq!(round_to_minor_unit(d("1.0005"), "KWD"), d("1.000"));
    }

    #[test]
    fn amounts_are_grouped_with_the_currency_decimals() {
        assert_eq!(format_amount(d("1234567.8"), "EUR"), "1,234,567.80");
        assert_eq!(format_amount(d("-1234.5"), "JPY"), "-1,234");
        assert_eq!(format_amount(d("999.999"), "EUR"), "1,000.00");
        assert_eq!(format_amount(d("0"), "EUR"), "0.00");
        assert_eq!(format_amount(d("-0.001"), "EUR"), "0.00");
        assert_eq!(format_grouped(d("12.34567"), 1), "12.3");
    }
}
