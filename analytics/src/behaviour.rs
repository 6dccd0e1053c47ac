//! Payer behaviour per customer and currency (`customer_behaviour.parquet`)
//! and the 13-week cash forecast built on it (`forecast.parquet`,
//! `forecast_items.parquet`).
//!
//! This slice sees one run: behaviour comes from the run's applications
//! (the trend against the previous 90 days needs the AR history of earlier
//! runs and is not computed). The forecast method is the simplest
//! explainable one: an open item is expected on its due date plus its
//! customer's weighted days late (rounded half-even to whole days), else the
//! currency's weighted days late of the run, else on the due date; an
//! expected date on or before the as-of date moves to the next day (it is
//! overdue: expected as soon as possible).

use crate::config::BehaviourConfig;
use crate::kpi::weighted_days;
use crate::model::{OpenItem, RunData, Transaction};
use crate::money::round_metric;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// Weeks forecast.
pub const FORECAST_WEEKS: u32 = 13;

/// One row of `customer_behaviour.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerBehaviour {
    /// Customer.
    pub customer_id: String,
    /// Name from the open items.
    pub customer_name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Applications of the run with both dates known.
    pub payments: u64,
    /// Σ(applied × (value date − invoice date)) / Σ applied.
    pub weighted_days_to_pay: Option<Decimal>,
    /// Σ(applied × (value date − due date)) / Σ applied.
    pub weighted_days_late: Option<Decimal>,
    /// Applied cash paid on or before the due date / applied cash × 100.
    pub percent_paid_on_time: Option<Decimal>,
    /// Applications with a deduction / applications × 100.
    pub dispute_rate_percent: Option<Decimal>,
    /// Σ amount_open_after.
    pub exposure_open: Decimal,
    /// Σ amount_open_after of items past due.
    pub exposure_overdue: Decimal,
    /// The first `[[behaviour.segments]]` whose bound the days late meet,
    /// or `no_payments`.
    pub segment: String,
    /// Weighted days late above `late_payer_days`.
    pub late_payer: bool,
}

/// Segment of a customer with no usable payment in the run.
pub const NO_PAYMENTS_SEGMENT: &str = "no_payments";

#[derive(Default)]
struct Acc {
    to_pay: Vec<(Decimal, i64)>,
    late: Vec<(Decimal, i64)>,
    on_time: Decimal,
    applied: Decimal,
    applications: u64,
    with_deduction: u64,
    open: Decimal,
    overdue: Decimal,
    name: String,
}

/// Behaviour of every customer that has open items or payments in the run,
/// sorted by customer and currency.
pub fn compute(data: &RunData, config: &BehaviourConfig) -> Vec<CustomerBehaviour> {
    let items: HashMap<&str, &OpenItem> = data
        .open_items
        .iter()
        .map(|i| (i.invoice_id.as_str(), i))
        .collect();
    let txns: HashMap<&str, &Transaction> = data
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t))
        .collect();
    let mut acc: BTreeMap<(&str, &str), Acc> = BTreeMap::new();
    for i in &data.open_items {
        let a = acc
            .entry((i.customer_id.as_str(), i.currency.as_str()))
            .or_default();
        a.name.clone_from(&i.customer_name);
        a.open += i.amount_open_after;
        if i.days_past_due(data.as_of) > 0 {
            a.overdue += i.amount_open_after;
        }
    }
    for app in &data.applications {
        let a = acc
            .entry((app.customer_id.as_str(), app.currency.as_str()))
            .or_default();
        a.applications += 1;
        if app.deduction_amount > Decimal::ZERO {
            a.with_deduction += 1;
        }
        let paid_on = txns
            .get(app.transaction_id.as_str())
            .and_then(|t| t.received_on());
        let item = items.get(app.invoice_id.as_str());
        let (Some(paid_on), Some(item)) = (paid_on, item) else {
            continue;
        };
        if app.applied_amount <= Decimal::ZERO {
            continue;
        }
        if let Some(d) = item.invoice_date {
            a.to_pay
                .push((app.applied_amount, (paid_on - d).num_days()));
        }
        if let Some(due) = item.due_date {
            a.late
                .push((app.applied_amount, (paid_on - due).num_days()));
            a.applied += app.applied_amount;
            if paid_on <= due {
                a.on_time += app.applied_amount;
            }
        }
    }
    acc.into_iter()
        .map(|((customer, currency), a)| {
            let late = weighted_days(a.late.iter().copied()).map(round_metric);
            let segment = match late {
                None => NO_PAYMENTS_SEGMENT.to_string(),
                Some(days) => config
                    .segments
                    .iter()
                    .find(|s| s.days_late_max.is_none_or(|max| days <= Decimal::from(max)))
                    .map_or_else(|| NO_PAYMENTS_SEGMENT.to_string(), |s| s.name.clone()),
            };
            CustomerBehaviour {
                customer_id: customer.to_string(),
                customer_name: a.name,
                currency: currency.to_string(),
                payments: a.late.len() as u64,
                weighted_days_to_pay: weighted_days(a.to_pay.iter().copied()).map(round_metric),
                weighted_days_late: late,
                percent_paid_on_time: (!a.applied.is_zero())
                    .then(|| round_metric(a.on_time * Decimal::ONE_HUNDRED / a.applied)),
                dispute_rate_percent: (a.applications > 0).then(|| {
                    round_metric(
                        Decimal::from(a.with_deduction) * Decimal::ONE_HUNDRED
                            / Decimal::from(a.applications),
                    )
                }),
                exposure_open: a.open,
                exposure_overdue: a.overdue,
                segment,
                late_payer: late.is_some_and(|d| d > Decimal::from(config.late_payer_days)),
            }
        })
        .collect()
}

/// One open item's expected receipt (`forecast_items.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastItem {
    /// Invoice.
    pub invoice_id: String,
    /// Customer.
    pub customer_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Open amount expected.
    pub amount: Decimal,
    /// The date it ages from (due date, else invoice date).
    pub due_date: NaiveDate,
    /// Days added to the due date.
    pub offset_days: i64,
    /// `customer`, `currency` or `due_date`: where the offset came from.
    pub method: &'static str,
    /// Expected receipt date.
    pub expected_on: NaiveDate,
    /// 1..=13, or `None` beyond the horizon.
    pub week: Option<u32>,
}

/// One week of `forecast.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastWeek {
    /// ISO 4217 code.
    pub currency: String,
    /// 1..=13.
    pub week: u32,
    /// First day (as-of + 1 + 7 × (week − 1)).
    pub week_start: NaiveDate,
    /// Last day.
    pub week_end: NaiveDate,
    /// Σ expected amounts.
    pub amount: Decimal,
    /// Items expected.
    pub items: u64,
}

/// The run's weighted days late per currency (the `weighted_days_late`
/// KPI): the fallback offset for customers without payments.
fn currency_days_late(data: &RunData) -> HashMap<&str, Decimal> {
    let items: HashMap<&str, &OpenItem> = data
        .open_items
        .iter()
        .map(|i| (i.invoice_id.as_str(), i))
        .collect();
    let txns: HashMap<&str, &Transaction> = data
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t))
        .collect();
    let mut pairs: BTreeMap<&str, Vec<(Decimal, i64)>> = BTreeMap::new();
    for app in data
        .applications
        .iter()
        .filter(|a| a.applied_amount > Decimal::ZERO)
    {
        let paid_on = txns
            .get(app.transaction_id.as_str())
            .and_then(|t| t.received_on());
        let due = items.get(app.invoice_id.as_str()).and_then(|i| i.due_date);
        if let (Some(p), Some(d)) = (paid_on, due) {
            pairs
                .entry(app.currency.as_str())
                .or_default()
                .push((app.applied_amount, (p - d).num_days()));
        }
    }
    pairs
        .into_iter()
        .filter_map(|(c, v)| weighted_days(v.into_iter()).map(|d| (c, d)))
        .collect()
}

/// The forecast: items (open, not held, positive, with a date) and 13
/// weekly totals per currency (weeks without receipts included as zero).
pub fn forecast(
    data: &RunData,
    behaviour: &[CustomerBehaviour],
) -> (Vec<ForecastItem>, Vec<ForecastWeek>) {
    let by_customer: HashMap<(&str, &str), Decimal> = behaviour
        .iter()
        .filter_map(|b| {
            b.weighted_days_late
                .map(|d| ((b.customer_id.as_str(), b.currency.as_str()), d))
        })
        .collect();
    let currency_offset = currency_days_late(data);
    let first_day = data.as_of.succ_opt().unwrap_or(data.as_of);
    let mut items = Vec::new();
    for i in &data.open_items {
        let Some(due) = i.aging_date() else { continue };
        if i.status == "held" || i.amount_open_after <= Decimal::ZERO {
            continue;
        }
        let (offset, method) = match (
            by_customer.get(&(i.customer_id.as_str(), i.currency.as_str())),
            currency_offset.get(i.currency.as_str()),
        ) {
            (Some(d), _) => (*d, "customer"),
            (None, Some(d)) => (*d, "currency"),
            (None, None) => (Decimal::ZERO, "due_date"),
        };
        let offset_days: i64 = offset.round().try_into().unwrap_or(0);
        let expected = (due + chrono::Duration::days(offset_days)).max(first_day);
        let week = u32::try_from((expected - first_day).num_days() / 7 + 1)
            .ok()
            .filter(|w| *w <= FORECAST_WEEKS);
        items.push(ForecastItem {
            invoice_id: i.invoice_id.clone(),
            customer_id: i.customer_id.clone(),
            currency: i.currency.clone(),
            amount: i.amount_open_after,
            due_date: due,
            offset_days,
            method,
            expected_on: expected,
            week,
        });
    }
    items.sort_by(|a, b| {
        (&a.currency, a.expected_on, &a.invoice_id).cmp(&(
            &b.currency,
            b.expected_on,
            &b.invoice_id,
        ))
    });
    let mut weeks = Vec::new();
    let currencies: std::collections::BTreeSet<&str> =
        items.iter().map(|i| i.currency.as_str()).collect();
    for c in currencies {
        for w in 1..=FORECAST_WEEKS {
            let start = first_day + chrono::Duration::days(i64::from(w - 1) * 7);
            let in_week = items
                .iter()
                .filter(|i| i.currency == c && i.week == Some(w));
            let (amount, n) =
                in_week.fold((Decimal::ZERO, 0u64), |(a, n), i| (a + i.amount, n + 1));
            weeks.push(ForecastWeek {
                currency: c.to_string(),
                week: w,
                week_start: start,
                week_end: start + chrono::Duration::days(6),
                amount,
                items: n,
            });
        }
    }
    (items, weeks)
}
