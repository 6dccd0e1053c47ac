//! Payer behaviour per customer and currency (`customer_behaviour.parquet`)
//! and the 13-week cash forecast built on it (`forecast.parquet`,
//! `forecast_items.parquet`).
//!
//! The per-customer figures of the table come from the run's applications;
//! the trend columns ([`apply_trends`]) from every payment known (the AR
//! history, this run and `--cleared-items`): weighted days late of the last
//! 90 days against the 90 before.
//!
//! The forecast method ([`OffsetModel`]) is the simplest explainable one,
//! measured by `cashmatch backtest`: an open item is expected on its due
//! date plus its customer's amount-weighted days late over their latest
//! `recent_payments` payments within `window_days` (rounded half-even to
//! whole days), else the currency's weighted days late over the same
//! window, else on the due date; an expected date on or before the as-of
//! date moves to the next day (it is overdue: expected as soon as
//! possible).

use crate::config::BehaviourConfig;
use crate::kpi::weighted_days;
use crate::model::{OpenItem, RunData, Transaction};
use crate::money::round_metric;
use chrono::{Datelike, NaiveDate};
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
    /// Weighted days late of payments in the last 90 days (value date in
    /// `(as_of − 90, as_of]`), from every payment known.
    pub days_late_last_90: Option<Decimal>,
    /// The same for the 90 days before (`(as_of − 180, as_of − 90]`).
    pub days_late_prior_90: Option<Decimal>,
    /// `days_late_last_90 − days_late_prior_90`: positive when paying later.
    pub trend_days: Option<Decimal>,
}

/// The segment of a customer whose trend reaches `deteriorating_days`.
pub const DETERIORATING_SEGMENT: &str = "deteriorating";

/// Fills the trend columns from `paid` (every payment known) and moves a
/// customer whose trend reaches `deteriorating_days` into the
/// [`DETERIORATING_SEGMENT`].
pub fn apply_trends(
    rows: &mut [CustomerBehaviour],
    paid: &[crate::history::PaidItem],
    as_of: NaiveDate,
    config: &BehaviourConfig,
) {
    let last_from = as_of - chrono::Days::new(90);
    let prior_from = as_of - chrono::Days::new(180);
    // (amount, days late) of the last 90 days and of the 90 before.
    type Windows = (Vec<(Decimal, i64)>, Vec<(Decimal, i64)>);
    let mut windows: HashMap<(&str, &str), Windows> = HashMap::new();
    for p in paid {
        let Some(late) = p.days_late() else { continue };
        let w = windows
            .entry((p.customer_id.as_str(), p.currency.as_str()))
            .or_default();
        if p.paid_on > last_from && p.paid_on <= as_of {
            w.0.push((p.amount, late));
        } else if p.paid_on > prior_from && p.paid_on <= last_from {
            w.1.push((p.amount, late));
        }
    }
    for r in rows.iter_mut() {
        let Some((last, prior)) = windows.get(&(r.customer_id.as_str(), r.currency.as_str()))
        else {
            continue;
        };
        r.days_late_last_90 = weighted_days(last.iter().copied()).map(round_metric);
        r.days_late_prior_90 = weighted_days(prior.iter().copied()).map(round_metric);
        r.trend_days = r
            .days_late_last_90
            .zip(r.days_late_prior_90)
            .map(|(a, b)| a - b);
        if r.trend_days
            .is_some_and(|t| t >= Decimal::from(config.deteriorating_days))
        {
            r.segment = DETERIORATING_SEGMENT.to_string();
        }
    }
}

/// The forecast's offset from the due date, learnt from payments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetModel {
    by_customer: HashMap<(String, String), i64>,
    by_currency: HashMap<String, i64>,
    /// Per customer and currency, the months of the year (of the due date)
    /// in which they pay markedly later, with that month's offset.
    by_season: HashMap<(String, String), BTreeMap<u32, i64>>,
}

/// Method of an item forecast from its customer's seasonal offset.
pub const METHOD_SEASON: &str = "customer_season";

impl OffsetModel {
    /// Learns from `paid` (payments with a due date, value date in
    /// `(as_of − window_days, as_of]`): per customer and currency the
    /// amount-weighted days late of their latest `recent_payments`
    /// payments, per currency the amount-weighted days late of all, both
    /// rounded half-even to whole days.
    pub fn fit(
        paid: &[crate::history::PaidItem],
        as_of: NaiveDate,
        config: &crate::config::ForecastConfig,
    ) -> Self {
        let from = as_of - chrono::Days::new(u64::from(config.window_days));
        let mut customers: BTreeMap<(&str, &str), Vec<&crate::history::PaidItem>> = BTreeMap::new();
        let mut currencies: BTreeMap<&str, Vec<(Decimal, i64)>> = BTreeMap::new();
        for p in paid
            .iter()
            .filter(|p| p.paid_on > from && p.paid_on <= as_of)
        {
            let Some(late) = p.days_late() else { continue };
            if p.amount <= Decimal::ZERO {
                continue;
            }
            customers
                .entry((p.customer_id.as_str(), p.currency.as_str()))
                .or_default()
                .push(p);
            currencies
                .entry(p.currency.as_str())
                .or_default()
                .push((p.amount, late));
        }
        let round = |d: Decimal| -> i64 { d.round().try_into().unwrap_or(0) };
        let mut by_season = HashMap::new();
        let by_customer = customers
            .into_iter()
            .filter_map(|((c, cur), mut v)| {
                v.sort_by(|a, b| (a.paid_on, &a.invoice_id).cmp(&(b.paid_on, &b.invoice_id)));
                let key = (c.to_string(), cur.to_string());
                let seasons = seasons(&v, config);
                // The rolling offset is learnt from the ordinary months, so
                // a December paid late does not push January's forecast.
                let ordinary: Vec<&crate::history::PaidItem> = v
                    .iter()
                    .copied()
                    .filter(|p| !p.due_date.is_some_and(|d| seasons.contains_key(&d.month())))
                    .collect();
                let v = if ordinary.is_empty() { v } else { ordinary };
                if !seasons.is_empty() {
                    by_season.insert(key.clone(), seasons);
                }
                let start = v.len().saturating_sub(config.recent_payments as usize);
                let pairs = v[start..]
                    .iter()
                    .filter_map(|p| p.days_late().map(|l| (p.amount, l)));
                weighted_days(pairs).map(|d| (key, round(d)))
            })
            .collect();
        let by_currency = currencies
            .into_iter()
            .filter_map(|(c, v)| weighted_days(v.into_iter()).map(|d| (c.to_string(), round(d))))
            .collect();
        OffsetModel {
            by_customer,
            by_currency,
            by_season,
        }
    }

    /// The offset in days for a customer's item due on `due` and where it
    /// came from: [`METHOD_SEASON`] (the due month is one of the
    /// customer's seasons), `customer`, `currency` or `due_date` (no
    /// payment to learn from).
    pub fn predict(
        &self,
        customer_id: &str,
        currency: &str,
        due: NaiveDate,
    ) -> (i64, &'static str) {
        let key = (customer_id.to_string(), currency.to_string());
        if let Some(d) = self.by_season.get(&key).and_then(|s| s.get(&due.month())) {
            return (*d, METHOD_SEASON);
        }
        if let Some(d) = self
            .by_customer
            .get(&(customer_id.to_string(), currency.to_string()))
        {
            return (*d, "customer");
        }
        match self.by_currency.get(currency) {
            Some(d) => (*d, "currency"),
            None => (0, "due_date"),
        }
    }
}

/// The seasonal months of one customer's payments `v` (see
/// [`crate::config::ForecastConfig::seasonal_min_days`]): months with at
/// least `seasonal_min_payments` payments whose amount-weighted days late
/// exceed those of the payments due in the two months either side by at
/// least `seasonal_min_days`, each with its own weighted days late
/// (rounded half-even). Nothing when seasons are off or no neighbouring
/// month was paid.
fn seasons(
    v: &[&crate::history::PaidItem],
    config: &crate::config::ForecastConfig,
) -> BTreeMap<u32, i64> {
    let mut out = BTreeMap::new();
    if config.seasonal_min_days == 0 {
        return out;
    }
    let mut months: BTreeMap<u32, Vec<(Decimal, i64)>> = BTreeMap::new();
    for p in v {
        if let (Some(due), Some(late)) = (p.due_date, p.days_late()) {
            months
                .entry(due.month())
                .or_default()
                .push((p.amount, late));
        }
    }
    for (month, paid) in &months {
        if paid.len() < config.seasonal_min_payments as usize {
            continue;
        }
        // Compared with the two months either side (circularly: December
        // with October, November, January and February): a season stands
        // out from its neighbours, where a trend (a deteriorating payer)
        // moves the neighbours on both sides alike and cancels out.
        let near = |m: u32| {
            let d = (i64::from(m) - i64::from(*month)).rem_euclid(12);
            (1..=2).contains(&d) || (10..=11).contains(&d)
        };
        let others = months
            .iter()
            .filter(|(m, _)| near(**m))
            .flat_map(|(_, x)| x.iter().copied());
        let (Some(here), Some(rest)) = (weighted_days(paid.iter().copied()), weighted_days(others))
        else {
            continue;
        };
        if here - rest >= Decimal::from(config.seasonal_min_days) {
            out.insert(*month, here.round().try_into().unwrap_or(0));
        }
    }
    out
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
                days_late_last_90: None,
                days_late_prior_90: None,
                trend_days: None,
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

/// The forecast of one run alone: the offset model learnt from the run's
/// own applications (no history, default window).
pub fn forecast(
    data: &RunData,
    _behaviour: &[CustomerBehaviour],
) -> (Vec<ForecastItem>, Vec<ForecastWeek>) {
    let paid = crate::history::paid_items(&[], data, None);
    let model = OffsetModel::fit(&paid, data.as_of, &crate::config::ForecastConfig::default());
    forecast_with(data, &model)
}

/// The forecast: items (open, not held, positive, with a date) expected on
/// their due date plus the model's offset, and 13 weekly totals per
/// currency (weeks without receipts included as zero).
pub fn forecast_with(
    data: &RunData,
    model: &OffsetModel,
) -> (Vec<ForecastItem>, Vec<ForecastWeek>) {
    let first_day = data.as_of.succ_opt().unwrap_or(data.as_of);
    let mut items = Vec::new();
    for i in &data.open_items {
        let Some(due) = i.aging_date() else { continue };
        if i.status == "held" || i.amount_open_after <= Decimal::ZERO {
            continue;
        }
        let (offset_days, method) = model.predict(&i.customer_id, &i.currency, due);
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
