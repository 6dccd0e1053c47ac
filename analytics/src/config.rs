//! The analytics configuration (`cashmatch report --config FILE`), a TOML
//! file of its own, separate from the run's rules. Every key has a default,
//! and unknown keys are refused so a typo never falls back silently.
//!
//! ```toml
//! [kpi]
//! dso_period_days = 90          # the DSO period ending on the as-of date
//!
//! [dunning]
//! grace_days = 5                # days after the due date before an item counts as overdue
//! blocked_customers = ["C0007"] # dunning block: never dunned, listed with the reason
//!
//! [[dunning.levels]]
//! level = 1
//! days_past_due = 1             # reached at this many days past due + grace
//! amount_min = "10.00"          # the customer's overdue total must reach this
//! fee = "0.00"                  # per letter, in the letter's currency
//! interest_rate_percent = "0"   # simple, actual/365, from due date + grace
//! template = "reminder.txt"     # optional: a minijinja template file, relative to this file
//! ```

use crate::kpi::{KpiSettings, DEFAULT_DSO_PERIOD_DAYS};
use rust_decimal::Decimal;
use serde::Deserialize;

/// The whole analytics configuration.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsConfig {
    /// `[kpi]`.
    pub kpi: KpiConfig,
    /// `[dunning]`.
    pub dunning: DunningConfig,
    /// `[behaviour]`.
    pub behaviour: BehaviourConfig,
    /// `[forecast]`.
    pub forecast: ForecastConfig,
    /// `[signals]`.
    pub signals: SignalsConfig,
    /// `[invoices]`: how to read `--invoices`, with the keys of the run's
    /// `[open_items]` (`delimiter`, `decimal_comma`, `thousands_separator`,
    /// `date_format`, `encoding`, `[invoices.columns]` mapping `invoice_id`,
    /// `customer_id`, `currency`, `amount`, `invoice_date`, `due_date`).
    /// Kept as TOML here and checked by the CLI, which owns the extract
    /// reader.
    pub invoices: Option<toml::Table>,
    /// `[cleared_items]`: how to read `--cleared-items`, with the keys of
    /// `[open_items]`; `[cleared_items.columns]` maps the open-item columns
    /// and `cleared_date`. Checked by the CLI.
    pub cleared_items: Option<toml::Table>,
}

/// `[behaviour]`: how payers are segmented.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BehaviourConfig {
    /// Weighted days late above this flag a late payer (default 10).
    pub late_payer_days: u32,
    /// Segments, first match wins (default: `prompt` up to 0 days late,
    /// `slow` up to 15, `chronic_late` beyond).
    pub segments: Vec<Segment>,
    /// A customer whose weighted days late of the last 90 days exceed those
    /// of the 90 days before by at least this many days is in the
    /// `deteriorating` segment, whatever the segments say (default 10).
    pub deteriorating_days: u32,
}

/// `[forecast]`: the offset model of the forecast and the backtest.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ForecastConfig {
    /// Payments older than this many days before the as-of date are not
    /// learnt from (default 365).
    pub window_days: u32,
    /// A customer's offset is learnt from their latest this many payments
    /// (default 6): recent behaviour, so a deteriorating payer is followed.
    pub recent_payments: u32,
    /// A month of the year is seasonal for a customer when at least this
    /// many of their payments in the window fell due in it (default 2)...
    pub seasonal_min_payments: u32,
    /// ... and they paid those at least this many days later, amount-
    /// weighted, than the items due in the two months either side
    /// (default 10).
    /// Items due in a seasonal month are expected at that month's offset;
    /// 0 turns seasons off.
    pub seasonal_min_days: u32,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        ForecastConfig {
            window_days: 365,
            recent_payments: 6,
            seasonal_min_payments: 2,
            seasonal_min_days: 10,
        }
    }
}

/// `[signals]`: thresholds of the discrepancy and fraud signals.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SignalsConfig {
    /// Two invoices of one customer and amount dated at most this many days
    /// apart are possible duplicates (default 3).
    pub duplicate_invoice_days: u32,
    /// A refund within this many days after an overpayment is checked
    /// (default 30).
    pub refund_days: u32,
    /// A refund smaller than the unapplied amount is a partial refund of it
    /// when it is at least this percentage of it (default 50: a refund of
    /// most of an overpayment, the usual scheme; smaller outgoing payments
    /// are too common to flag).
    pub refund_partial_min_percent: Decimal,
    /// Runs of strictly growing unapplied cash that raise the signal,
    /// this run included (default 3).
    pub unapplied_growth_runs: u32,
}

impl Default for SignalsConfig {
    fn default() -> Self {
        SignalsConfig {
            duplicate_invoice_days: 3,
            refund_days: 30,
            refund_partial_min_percent: Decimal::from(50),
            unapplied_growth_runs: 3,
        }
    }
}

/// One `[[behaviour.segments]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// The segment's name.
    pub name: String,
    /// Highest weighted days late in the segment; none: every customer.
    #[serde(default)]
    pub days_late_max: Option<i64>,
}

/// Default late-payer threshold in days.
pub const DEFAULT_LATE_PAYER_DAYS: u32 = 10;

impl Default for BehaviourConfig {
    fn default() -> Self {
        let segment = |name: &str, max| Segment {
            name: name.to_string(),
            days_late_max: max,
        };
        BehaviourConfig {
            late_payer_days: DEFAULT_LATE_PAYER_DAYS,
            deteriorating_days: 10,
            segments: vec![
                segment("prompt", Some(0)),
                segment("slow", Some(15)),
                segment("chronic_late", None),
            ],
        }
    }
}

/// `[kpi]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct KpiConfig {
    /// Length of the DSO period ending on the as-of date (default 90).
    pub dso_period_days: u32,
}

impl Default for KpiConfig {
    fn default() -> Self {
        KpiConfig {
            dso_period_days: DEFAULT_DSO_PERIOD_DAYS,
        }
    }
}

impl KpiConfig {
    /// The settings the KPI computation takes.
    pub fn settings(&self) -> KpiSettings {
        KpiSettings {
            dso_period_days: self.dso_period_days,
        }
    }
}

/// `[dunning]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DunningConfig {
    /// Days after the due date before an item counts as overdue for dunning
    /// and interest (default 5).
    pub grace_days: u32,
    /// Customers with a dunning block: their items are listed as excluded.
    pub blocked_customers: Vec<String>,
    /// Fewest days between two letters to one customer (per currency),
    /// from the AR history (default 14).
    pub min_days_between_letters: u32,
    /// The levels, ascending (default: 1 at 1 day, 2 at 15 days with a fee
    /// of 5.00, 3 at 30 days with a fee of 10.00 and 8 % interest).
    pub levels: Vec<DunningLevel>,
}

/// One `[[dunning.levels]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DunningLevel {
    /// 1, 2, 3, ...: strictly increasing.
    pub level: u32,
    /// Days past due (after grace) at which an item reaches this level.
    pub days_past_due: u32,
    /// Minimum overdue total of the customer (per currency) for a letter
    /// at this level.
    #[serde(default)]
    pub amount_min: Decimal,
    /// Fee charged once per letter at this level.
    #[serde(default)]
    pub fee: Decimal,
    /// Yearly simple interest on overdue amounts, in percent.
    #[serde(default)]
    pub interest_rate_percent: Decimal,
    /// A minijinja template file for the letter (relative to the config
    /// file); the built-in text template when absent.
    #[serde(default)]
    pub template: Option<String>,
}

/// Default grace days: a common ERP default (SAP's line-item grace period
/// is typically a few days so that payments in transit are not dunned).
pub const DEFAULT_GRACE_DAYS: u32 = 5;

/// Default minimum days between letters: two weeks, the usual interval of
/// a dunning run.
pub const DEFAULT_MIN_DAYS_BETWEEN_LETTERS: u32 = 14;

impl Default for DunningConfig {
    fn default() -> Self {
        let level = |level, days, fee: i64, rate: i64| DunningLevel {
            level,
            days_past_due: days,
            amount_min: Decimal::new(1000, 2),
            fee: Decimal::new(fee, 2),
            interest_rate_percent: Decimal::from(rate),
            template: None,
        };
        DunningConfig {
            grace_days: DEFAULT_GRACE_DAYS,
            blocked_customers: Vec::new(),
            min_days_between_letters: DEFAULT_MIN_DAYS_BETWEEN_LETTERS,
            levels: vec![
                level(1, 1, 0, 0),
                level(2, 15, 500, 0),
                level(3, 30, 1000, 8),
            ],
        }
    }
}

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("analytics config: {0}")]
pub struct ConfigError(pub String);

impl AnalyticsConfig {
    /// Parses and checks a TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: AnalyticsConfig =
            toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every key: levels strictly increasing in number and days, no
    /// negative amount or rate, a positive DSO period.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (i, seg) in self.behaviour.segments.iter().enumerate() {
            if seg.name.is_empty() {
                return Err(ConfigError(format!(
                    "`behaviour.segments[{i}]`: `name` is empty"
                )));
            }
        }
        if self.forecast.recent_payments == 0 || self.forecast.window_days == 0 {
            return Err(ConfigError(
                "`forecast.recent_payments` and `forecast.window_days` must be at least 1".into(),
            ));
        }
        if self.signals.refund_partial_min_percent <= Decimal::ZERO
            || self.signals.refund_partial_min_percent > Decimal::ONE_HUNDRED
        {
            return Err(ConfigError(
                "`signals.refund_partial_min_percent` must be above 0 and at most 100".into(),
            ));
        }
        if self.signals.unapplied_growth_runs < 2 {
            return Err(ConfigError(
                "`signals.unapplied_growth_runs` must be at least 2".into(),
            ));
        }
        if self.kpi.dso_period_days == 0 {
            return Err(ConfigError(
                "`kpi.dso_period_days` must be at least 1".into(),
            ));
        }
        let levels = &self.dunning.levels;
        for (i, l) in levels.iter().enumerate() {
            let key = format!("`dunning.levels[{i}]`");
            if l.level == 0 {
                return Err(ConfigError(format!("{key}: `level` must be at least 1")));
            }
            if l.days_past_due == 0 {
                return Err(ConfigError(format!(
                    "{key}: `days_past_due` must be at least 1"
                )));
            }
            for (name, v) in [
                ("amount_min", l.amount_min),
                ("fee", l.fee),
                ("interest_rate_percent", l.interest_rate_percent),
            ] {
                if v.is_sign_negative() && !v.is_zero() {
                    return Err(ConfigError(format!(
                        "{key}: `{name}` must not be negative, got {v}"
                    )));
                }
            }
            if l.template.as_deref().is_some_and(str::is_empty) {
                return Err(ConfigError(format!("{key}: `template` is empty")));
            }
            if let Some(prev) = i.checked_sub(1).map(|p| &levels[p]) {
                if l.level <= prev.level || l.days_past_due <= prev.days_past_due {
                    return Err(ConfigError(format!(
                        "{key}: levels must increase in `level` and `days_past_due` (level {} at {} days follows level {} at {} days)",
                        l.level, l.days_past_due, prev.level, prev.days_past_due
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_is_the_documented_defaults() {
        let c = AnalyticsConfig::from_toml("").unwrap();
        assert_eq!(c, AnalyticsConfig::default());
        assert_eq!(c.dunning.grace_days, 5);
        assert_eq!(c.dunning.levels.len(), 3);
        assert_eq!(c.kpi.dso_period_days, 90);
    }

    #[test]
    fn unknown_keys_and_bad_levels_are_refused_naming_the_key() {
        let e = AnalyticsConfig::from_toml("[dunning]\ngrace_dayz = 3\n").unwrap_err();
        assert!(e.to_string().contains("grace_dayz"), "{e}");
        let e = AnalyticsConfig::from_toml(
            "[[dunning.levels]]\nlevel = 2\ndays_past_due = 10\n[[dunning.levels]]\nlevel = 1\ndays_past_due = 20\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("dunning.levels[1]"), "{e}");
        let e = AnalyticsConfig::from_toml(
            "[[dunning.levels]]\nlevel = 1\ndays_past_due = 1\nfee = \"-1\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`fee`"), "{e}");
        let e = AnalyticsConfig::from_toml("[kpi]\ndso_period_days = 0\n").unwrap_err();
        assert!(e.to_string().contains("dso_period_days"), "{e}");
    }

    #[test]
    fn levels_read_decimal_strings() {
        let c = AnalyticsConfig::from_toml(
            "[dunning]\ngrace_days = 0\n[[dunning.levels]]\nlevel = 1\ndays_past_due = 10\namount_min = \"50.00\"\nfee = \"2.50\"\ninterest_rate_percent = \"9.12\"\ntemplate = \"a.txt\"\n",
        )
        .unwrap();
        let l = &c.dunning.levels[0];
        assert_eq!(
            (l.fee, l.interest_rate_percent),
            (Decimal::new(250, 2), Decimal::new(912, 2))
        );
        assert_eq!(l.template.as_deref(), Some("a.txt"));
    }
}
