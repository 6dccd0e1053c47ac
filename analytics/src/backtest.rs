//! The forecast measured (`cashmatch backtest`): the cleared items are
//! ordered by invoice date (then invoice id), the latest `holdout` share is
//! held out, the forecast's [`OffsetModel`] is learnt from the earlier
//! items as of the last day one of them was cleared, and each held-out
//! item's clearing date is predicted as due date + offset. The naive
//! forecast predicts the due date. Both are scored by the mean absolute
//! error in days against the actual cleared date.
//!
//! Items without a due date or an invoice date cannot be ordered or
//! forecast and are counted as skipped.

use crate::behaviour::OffsetModel;
use crate::config::ForecastConfig;
use crate::history::cleared_paid;
use crate::model::ClearedItem;
use crate::money::round_metric;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// What the backtest measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backtest {
    /// Cleared items read.
    pub items: u64,
    /// Items without an invoice or due date.
    pub skipped: u64,
    /// Items learnt from.
    pub train: u64,
    /// Items forecast.
    pub holdout: u64,
    /// Invoice date of the first held-out item.
    pub holdout_from: NaiveDate,
    /// The model's as-of: the last cleared date of the training items.
    pub trained_as_of: NaiveDate,
    /// Mean absolute error of the method, days (4 decimals).
    pub method_mae_days: Decimal,
    /// Mean absolute error of "pays on the due date", days.
    pub naive_mae_days: Decimal,
    /// `(naive − method) / naive × 100`.
    pub improvement_percent: Option<Decimal>,
    /// Held-out items forecast from their customer's seasonal offset (the
    /// due month is one of the customer's late months).
    pub by_season: u64,
    /// Held-out items forecast from their customer's offset.
    pub by_customer: u64,
    /// ... from the currency's offset.
    pub by_currency: u64,
    /// ... on the due date (nothing to learn from).
    pub by_due_date: u64,
}

/// Why a backtest cannot run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BacktestError {
    /// `holdout` is not in (0, 1).
    #[error("--holdout must be between 0 and 1 (exclusive), got {0}")]
    Holdout(Decimal),
    /// Too few usable items.
    #[error("{usable} cleared item(s) with an invoice and a due date: a backtest needs at least 2 (one to learn from, one to forecast)")]
    TooFew {
        /// Items with both dates.
        usable: u64,
    },
}

/// Runs the backtest.
pub fn run(
    cleared: &[ClearedItem],
    holdout: Decimal,
    config: &ForecastConfig,
) -> Result<Backtest, BacktestError> {
    if holdout <= Decimal::ZERO || holdout >= Decimal::ONE {
        return Err(BacktestError::Holdout(holdout));
    }
    let mut usable: Vec<&ClearedItem> = cleared
        .iter()
        .filter(|c| c.invoice_date.is_some() && c.due_date.is_some())
        .collect();
    let skipped = (cleared.len() - usable.len()) as u64;
    let n = usable.len();
    if n < 2 {
        return Err(BacktestError::TooFew { usable: n as u64 });
    }
    usable.sort_by(|a, b| (a.invoice_date, &a.invoice_id).cmp(&(b.invoice_date, &b.invoice_id)));
    // The latest share, at least one item, leaving at least one to learn from.
    let held: usize = (Decimal::from(n) * holdout)
        .round()
        .try_into()
        .unwrap_or(1usize)
        .clamp(1, n - 1);
    let (train, test) = usable.split_at(n - held);
    let trained_as_of = train
        .iter()
        .map(|c| c.cleared_date)
        .max()
        .unwrap_or(test[0].cleared_date);
    let paid: Vec<_> = train.iter().map(|c| cleared_paid(c)).collect();
    let model = OffsetModel::fit(&paid, trained_as_of, config);
    let (mut method_err, mut naive_err) = (0i64, 0i64);
    let (mut by_customer, mut by_currency, mut by_due_date) = (0u64, 0u64, 0u64);
    let mut by_season = 0u64;
    for c in test {
        let Some(due) = c.due_date else { continue };
        let (offset, how) = model.predict(&c.customer_id, &c.currency, due);
        match how {
            crate::behaviour::METHOD_SEASON => by_season += 1,
            "customer" => by_customer += 1,
            "currency" => by_currency += 1,
            _ => by_due_date += 1,
        }
        let predicted = due + chrono::Duration::days(offset);
        method_err += (c.cleared_date - predicted).num_days().abs();
        naive_err += (c.cleared_date - due).num_days().abs();
    }
    let count = Decimal::from(test.len() as u64);
    let method_mae = round_metric(Decimal::from(method_err) / count);
    let naive_mae = round_metric(Decimal::from(naive_err) / count);
    Ok(Backtest {
        items: cleared.len() as u64,
        skipped,
        train: train.len() as u64,
        holdout: test.len() as u64,
        holdout_from: test[0].invoice_date.unwrap_or(trained_as_of),
        trained_as_of,
        method_mae_days: method_mae,
        naive_mae_days: naive_mae,
        improvement_percent: (!naive_mae.is_zero())
            .then(|| round_metric((naive_mae - method_mae) * Decimal::ONE_HUNDRED / naive_mae)),
        by_season,
        by_customer,
        by_currency,
        by_due_date,
    })
}
