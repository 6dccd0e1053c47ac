//! Cross-currency application (issue 11, part 2): exchange rates, the
//! `[fx]` rules, and what an application in another currency records.
//!
//! A customer pays a USD invoice in EUR, or its bank converts on the way.
//! With a rates table (`cashmatch run --rates FILE`) such a payment is
//! applied when the payment converted at the table's rate matches the
//! invoice's open amount within `[fx] rate_tolerance_percent`; the
//! difference is the realised FX gain or loss, posted in the invoice's
//! currency. Without a rate nothing is guessed: `FX_RATE_MISSING`.
//!
//! Money stays [`Decimal`]. A rate is a decimal as quoted (1 unit of `from`
//! = `rate` units of `to`); a converted amount is rounded **half-even**
//! (banker's rounding) to the target currency's minor unit, with
//! [`crate::allocate::round_to_minor_unit`], the engine's one rounding
//! function. An inverse rate (only `to → from` quoted) is `1 / rate`,
//! computed to 28 significant digits before the conversion is rounded.
//!
//! Bank charges deducted in transit (SHA/OUR/BEN) are configured here too:
//! a referenced payment short by no more than the charge tolerance clears
//! the invoice with the shortfall posted to `[fx] bank_charges_account`.

use crate::allocate::round_to_minor_unit;
use crate::model::{ItemIdx, TxnIdx};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Which date picks the rate of a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RateDate {
    /// The payment's value date (else booking date): the rate of the day
    /// the money arrived.
    #[default]
    ValueDate,
    /// The invoice date: the rate the receivable was booked at, so the
    /// difference is the realised gain or loss against the booking.
    InvoiceDate,
}

impl RateDate {
    /// The key's value as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            RateDate::ValueDate => "value_date",
            RateDate::InvoiceDate => "invoice_date",
        }
    }
}

/// `[fx]`: cross-currency application and bank charges. Kept out of
/// [`crate::config::Rules`] (and out of the canonical config while it holds
/// its defaults), so runs without it keep their configuration hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FxRules {
    /// Which date's rate converts a payment.
    pub rate_date: RateDate,
    /// A rate dated up to this many days before the rate date is used
    /// (weekends and bank holidays have no fixing); older is missing.
    pub rate_max_age_days: u32,
    /// Converted payment vs open amount: at most this percent of the open
    /// amount apart (the payer's bank used its own rate).
    pub rate_tolerance_percent: Decimal,
    /// Realised FX gains (the converted payment exceeds the invoice).
    pub gain_account: String,
    /// Realised FX losses (the converted payment falls short).
    pub loss_account: String,
    /// FX position (clearing) account: a cross-currency journal credits it
    /// in the payment currency and debits it in the invoice currency, so
    /// each currency of the journal balances on its own. Per currency pair
    /// when listed in `position_by_pair` (`"EUR/USD"`, payment/invoice).
    pub position_account: String,
    /// Position account per currency pair (`"EUR/USD" = "1091"`).
    pub position_by_pair: BTreeMap<String, String>,
    /// Bank charges deducted in transit (SHA/OUR/BEN).
    pub bank_charges_account: String,
    /// Largest shortfall taken as bank charges, per currency
    /// (`EUR = "25.00"`). A currency not listed has no absolute allowance.
    pub charge_max_amount: BTreeMap<String, Decimal>,
    /// Largest shortfall taken as bank charges, as a percent of the open
    /// amount; zero: no percent allowance. A shortfall is a charge when it
    /// is within either allowance.
    pub charge_max_percent: Decimal,
    /// Thresholds of the `FX_REFERENCE`, `FX_CUSTOMER_AMOUNT` and
    /// `BANK_CHARGES` proposals.
    pub pass: crate::config::PassRule,
}

impl Default for FxRules {
    fn default() -> Self {
        FxRules {
            rate_date: RateDate::ValueDate,
            rate_max_age_days: 4,
            rate_tolerance_percent: Decimal::new(10, 1),
            gain_account: "7110".into(),
            loss_account: "7210".into(),
            position_account: "1090".into(),
            position_by_pair: BTreeMap::new(),
            bank_charges_account: "6760".into(),
            charge_max_amount: BTreeMap::new(),
            charge_max_percent: Decimal::ZERO,
            pass: crate::config::PassRule {
                enabled: true,
                auto_apply_min: 0.90,
                suggest_min: 0.50,
            },
        }
    }
}

impl FxRules {
    /// True when every key holds its default.
    pub fn is_default(&self) -> bool {
        *self == FxRules::default()
    }

    /// True when a bank-charge allowance is configured.
    pub fn charges_enabled(&self) -> bool {
        self.charge_max_percent > Decimal::ZERO
            || self.charge_max_amount.values().any(|a| *a > Decimal::ZERO)
    }

    /// The position account of a payment/invoice currency pair.
    pub fn position_for(&self, payment: &str, invoice: &str) -> &str {
        self.position_by_pair
            .get(&format!("{payment}/{invoice}"))
            .map_or(self.position_account.as_str(), String::as_str)
    }

    /// Is `shortfall` (> 0) on `open` in `currency` within the charge
    /// tolerance?
    pub fn is_charge(&self, shortfall: Decimal, open: Decimal, currency: &str) -> bool {
        if shortfall <= Decimal::ZERO || shortfall >= open {
            return false;
        }
        let abs = self
            .charge_max_amount
            .get(currency)
            .is_some_and(|m| shortfall <= *m);
        let pct = self.charge_max_percent > Decimal::ZERO
            && shortfall * Decimal::ONE_HUNDRED <= open * self.charge_max_percent;
        abs || pct
    }

    /// Checks every key; names the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if self.rate_tolerance_percent < Decimal::ZERO
            || self.rate_tolerance_percent > Decimal::new(20, 0)
        {
            return Err(format!(
                "[fx] rate_tolerance_percent must be between 0 and 20 (got {})",
                self.rate_tolerance_percent
            ));
        }
        if self.rate_max_age_days > 31 {
            return Err(format!(
                "[fx] rate_max_age_days must be at most 31 (got {})",
                self.rate_max_age_days
            ));
        }
        if self.charge_max_percent < Decimal::ZERO || self.charge_max_percent > Decimal::new(10, 0)
        {
            return Err(format!(
                "[fx] charge_max_percent must be between 0 and 10 (got {})",
                self.charge_max_percent
            ));
        }
        for (c, a) in &self.charge_max_amount {
            if cashmatch_parsers::currency::lookup(c).is_none() {
                return Err(format!(
                    "[fx.charge_max_amount] `{c}` is not an ISO 4217 currency code"
                ));
            }
            if *a < Decimal::ZERO {
                return Err(format!(
                    "[fx.charge_max_amount] {c} must not be negative (got {a})"
                ));
            }
        }
        for (key, v) in [
            ("gain_account", &self.gain_account),
            ("loss_account", &self.loss_account),
            ("position_account", &self.position_account),
            ("bank_charges_account", &self.bank_charges_account),
        ] {
            if v.trim().is_empty() {
                return Err(format!("[fx] {key} must not be empty"));
            }
        }
        for (pair, account) in &self.position_by_pair {
            let ok = pair.split_once('/').is_some_and(|(a, b)| {
                cashmatch_parsers::currency::lookup(a).is_some()
                    && cashmatch_parsers::currency::lookup(b).is_some()
            });
            if !ok || account.trim().is_empty() {
                return Err(format!(
                    "[fx.position_by_pair] `{pair}` must be `PAYMENT/INVOICE` currency codes with a non-empty account"
                ));
            }
        }
        let p = &self.pass;
        if !(0.0..=1.0).contains(&p.auto_apply_min)
            || !(0.0..=1.0).contains(&p.suggest_min)
            || p.suggest_min > p.auto_apply_min
        {
            return Err(
                "[fx.pass] thresholds must lie in [0, 1] with suggest_min <= auto_apply_min".into(),
            );
        }
        Ok(())
    }
}

/// One quoted rate: 1 `from` = `rate` `to` on `date`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    /// Fixing date.
    pub date: NaiveDate,
    /// ISO 4217 code converted from.
    pub from: String,
    /// ISO 4217 code converted to.
    pub to: String,
    /// Units of `to` per unit of `from` (> 0).
    pub rate: Decimal,
    /// Who quoted it (`ECB`, `bank`, ...), recorded with each application.
    pub source: String,
}

/// A rate found for a conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct RateHit {
    /// Units of the invoice currency per unit of the payment currency.
    pub rate: Decimal,
    /// The quote's date.
    pub date: NaiveDate,
    /// The quote's source; `(inverse)` appended when the table quoted the
    /// other direction.
    pub source: Arc<str>,
}

/// One pair's quotes: (date, rate, source), by date.
type Quotes = Vec<(NaiveDate, Decimal, Arc<str>)>;

/// The rates of a run, by currency pair, each pair's quotes by date.
#[derive(Debug, Clone, Default)]
pub struct RateTable {
    pairs: BTreeMap<(String, String), Quotes>,
}

impl RateTable {
    /// Builds the table. The caller has rejected duplicate (date, from, to)
    /// rows; if any remain, the later row wins.
    pub fn new(rates: impl IntoIterator<Item = Rate>) -> Self {
        let mut pairs: BTreeMap<(String, String), Quotes> = BTreeMap::new();
        for r in rates {
            pairs
                .entry((r.from, r.to))
                .or_default()
                .push((r.date, r.rate, Arc::from(r.source)));
        }
        for v in pairs.values_mut() {
            v.sort_by_key(|q| q.0);
            // Later rows of the same date win (stable sort keeps file order).
            let mut out: Quotes = Vec::with_capacity(v.len());
            for q in v.drain(..) {
                match out.last_mut() {
                    Some(last) if last.0 == q.0 => *last = q,
                    _ => out.push(q),
                }
            }
            *v = out;
        }
        RateTable { pairs }
    }

    /// Number of quotes.
    pub fn len(&self) -> usize {
        self.pairs.values().map(Vec::len).sum()
    }

    /// True when the table has no quote.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The rate converting `from` into `to` for `date`: the latest quote
    /// dated on or before `date` and at most `max_age_days` older, the
    /// direct pair first, else the inverse of the reverse pair.
    pub fn find(
        &self,
        from: &str,
        to: &str,
        date: NaiveDate,
        max_age_days: u32,
    ) -> Option<RateHit> {
        let pick = |v: &Quotes| {
            let at = v.partition_point(|q| q.0 <= date);
            let q = v.get(at.checked_sub(1)?)?;
            ((date - q.0).num_days() <= i64::from(max_age_days)).then(|| q.clone())
        };
        if let Some((d, r, s)) = self
            .pairs
            .get(&(from.to_string(), to.to_string()))
            .and_then(pick)
        {
            return Some(RateHit {
                rate: r,
                date: d,
                source: s,
            });
        }
        let (d, r, s) = self
            .pairs
            .get(&(to.to_string(), from.to_string()))
            .and_then(pick)?;
        let inverse = Decimal::ONE.checked_div(r)?;
        Some(RateHit {
            rate: inverse,
            date: d,
            source: Arc::from(format!("{s} (inverse)")),
        })
    }
}

/// `amount` in another currency at `rate`, rounded half-even to the target
/// currency's minor unit; `None` on overflow.
pub fn convert(amount: Decimal, rate: Decimal, to_currency: &str) -> Option<Decimal> {
    amount
        .checked_mul(rate)
        .map(|x| round_to_minor_unit(x, to_currency))
}

/// What a cross-currency application records beside the
/// [`crate::model::Application`] of the same (transaction, invoice). The
/// application's amounts are in the invoice's currency (what it clears);
/// these say what the payment gave for it.
#[derive(Debug, Clone, PartialEq)]
pub struct FxApplication {
    /// The paying transaction.
    pub txn: TxnIdx,
    /// The invoice paid.
    pub item: ItemIdx,
    /// Cash taken from the payment, in the payment's currency.
    pub payment_amount: Decimal,
    /// `payment_amount` converted at `rate`, in the invoice's currency
    /// (rounded half-even to its minor unit).
    pub invoice_amount: Decimal,
    /// Units of the invoice currency per unit of the payment currency.
    pub rate: Decimal,
    /// The rate's date.
    pub rate_date: NaiveDate,
    /// Who quoted the rate.
    pub rate_source: Arc<str>,
    /// Realised FX result in the invoice currency: `invoice_amount` minus
    /// what the application cleared; positive is a gain, negative a loss.
    pub gain_loss: Decimal,
}

/// The rates and rules a run applies cross-currency payments with
/// ([`crate::RunExtras::fx`]).
#[derive(Debug, Clone, Default)]
pub struct FxInput {
    /// The run's rates (`--rates`).
    pub rates: RateTable,
    /// `[fx]`.
    pub rules: FxRules,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn table() -> RateTable {
        RateTable::new([
            Rate {
                date: d("2026-03-02"),
                from: "EUR".into(),
                to: "USD".into(),
                rate: "1.0850".parse().unwrap(),
                source: "ECB".into(),
            },
            Rate {
                date: d("2026-03-05"),
                from: "EUR".into(),
                to: "USD".into(),
                rate: "1.0900".parse().unwrap(),
                source: "ECB".into(),
            },
        ])
    }

    #[test]
    fn latest_quote_on_or_before_the_date_within_the_age() {
        let t = table();
        assert_eq!(
            t.find("EUR", "USD", d("2026-03-04"), 4)
                .unwrap()
                .rate
                .to_string(),
            "1.0850"
        );
        assert_eq!(
            t.find("EUR", "USD", d("2026-03-05"), 4)
                .unwrap()
                .rate
                .to_string(),
            "1.0900"
        );
        assert!(t.find("EUR", "USD", d("2026-03-01"), 4).is_none());
        assert!(t.find("EUR", "USD", d("2026-03-20"), 4).is_none());
        assert!(t.find("EUR", "GBP", d("2026-03-05"), 4).is_none());
    }

    #[test]
    fn inverse_quotes_are_used_and_named() {
        let hit = table().find("USD", "EUR", d("2026-03-05"), 0).unwrap();
        assert_eq!(&*hit.source, "ECB (inverse)");
        assert_eq!(
            convert(Decimal::new(109000, 2), hit.rate, "EUR").unwrap(),
            Decimal::new(100000, 2)
        );
    }

    #[test]
    fn conversion_rounds_half_even_to_the_minor_unit() {
        // 10.05 × 0.5 = 5.025 → 5.02 (half-even), not 5.03 (half-up).
        assert_eq!(
            convert(Decimal::new(1005, 2), Decimal::new(5, 1), "USD").unwrap(),
            Decimal::new(502, 2)
        );
        // JPY has no minor unit.
        assert_eq!(
            convert(Decimal::new(10000, 2), "161.5".parse().unwrap(), "JPY").unwrap(),
            Decimal::new(16150, 0)
        );
    }

    #[test]
    fn charge_tolerance_absolute_or_percent() {
        let mut r = FxRules::default();
        assert!(!r.charges_enabled());
        r.charge_max_amount
            .insert("EUR".into(), Decimal::new(2500, 2));
        assert!(r.is_charge(Decimal::new(1500, 2), Decimal::new(100000, 2), "EUR"));
        assert!(!r.is_charge(Decimal::new(3000, 2), Decimal::new(100000, 2), "EUR"));
        assert!(!r.is_charge(Decimal::new(1500, 2), Decimal::new(100000, 2), "USD"));
        r.charge_max_percent = Decimal::new(5, 1);
        assert!(r.is_charge(Decimal::new(400, 2), Decimal::new(100000, 2), "USD"));
        assert!(!r.is_charge(Decimal::new(600, 2), Decimal::new(100000, 2), "USD"));
    }
}
