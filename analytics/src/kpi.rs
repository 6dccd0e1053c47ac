//! Receivables KPIs with named formulas: each row of `kpis.parquet` says
//! what was computed (`formula`), from which numbers (`inputs`), and, when a
//! needed input is missing, why the value is null (`note`). Credit Research
//! Foundation (CRF) definitions are used where they exist.
//!
//! The arithmetic lives in small pure functions ([`dso_simple`],
//! [`dso_countback`], [`cei`], ...) so tests can pin them against worked
//! examples; [`compute`] gathers their inputs per currency.

use crate::model::{Invoice, Opening, RunData};
use crate::money::round_metric;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Days past due above which receivables count as "over 90" (the engine's
/// `91-120` and `120+` aging buckets).
pub const OVER_90_DAYS: i64 = 90;

/// How a metric's value is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Calendar days.
    Days,
    /// Percent, 0 to 100.
    Percent,
    /// A plain ratio (0.25 is a quarter).
    Ratio,
    /// Money in the row's currency.
    Amount,
}

impl Unit {
    /// The stable name written to `kpis.parquet`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Days => "days",
            Unit::Percent => "percent",
            Unit::Ratio => "ratio",
            Unit::Amount => "amount",
        }
    }
}

/// One row of `kpis.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kpi {
    /// ISO 4217 code the metric is computed in.
    pub currency: String,
    /// Stable metric name (`dso_simple`, ...).
    pub metric: &'static str,
    /// The value rounded half-even to 4 decimals, or `None` when an input
    /// is missing or the formula is undefined (see `note`).
    pub value: Option<Decimal>,
    /// How to read `value`.
    pub unit: Unit,
    /// The formula, in words.
    pub formula: &'static str,
    /// The numbers that went in, `name=value; ...`.
    pub inputs: String,
    /// Why `value` is null; `None` when it is not.
    pub note: Option<String>,
}

/// KPI settings (`[kpi]` in the analytics config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiSettings {
    /// Length of the DSO period ending on the as-of date, in days.
    pub dso_period_days: u32,
}

impl Default for KpiSettings {
    fn default() -> Self {
        KpiSettings {
            dso_period_days: DEFAULT_DSO_PERIOD_DAYS,
        }
    }
}

/// A quarter: the period CRF's DSO examples use.
pub const DEFAULT_DSO_PERIOD_DAYS: u32 = 90;

/// Every metric name, in the order rows are written.
pub const METRICS: [&str; 15] = [
    "receivables_total",
    "dso_simple",
    "dso_countback",
    "best_possible_dso",
    "average_days_delinquent",
    "weighted_days_past_due",
    "percent_current",
    "percent_over_90",
    "cei",
    "weighted_days_to_pay",
    "weighted_days_late",
    "unapplied_cash_ratio",
    "auto_match_rate",
    "auto_match_rate_amount",
    "receipts_total",
];

/// The formula text of each metric (the `formula` column).
pub fn formula(metric: &str) -> &'static str {
    match metric {
        "receivables_total" => "Σ amount_open_after over open_items (held items included, as in aging)",
        "dso_simple" => "ending total receivables / credit sales of the period × days in the period (CRF standard DSO)",
        "dso_countback" => "days of the latest calendar months whose credit sales, newest first, add up to the ending total receivables; the month that exhausts them counts pro rata (countback DSO)",
        "best_possible_dso" => "ending current receivables / credit sales of the period × days in the period (CRF best possible DSO)",
        "average_days_delinquent" => "dso_simple − best_possible_dso (CRF average days delinquent)",
        "weighted_days_past_due" => "Σ(amount_open_after × max(0, as_of − due_date)) / Σ amount_open_after over open items (due date, else invoice date)",
        "percent_current" => "receivables not yet due (as_of ≤ due_date) / total receivables × 100",
        "percent_over_90" => "receivables more than 90 days past due / total receivables × 100",
        "cei" => "(beginning receivables + credit sales − ending total receivables) / (beginning receivables + credit sales − ending current receivables) × 100 (CRF collection effectiveness index)",
        "weighted_days_to_pay" => "Σ(applied_amount × (value_date − invoice_date)) / Σ applied_amount over the run's applications",
        "weighted_days_late" => "Σ(applied_amount × (value_date − due_date)) / Σ applied_amount over the run's applications; negative when paid early",
        "unapplied_cash_ratio" => "unapplied amount of receipts (exceptions) / total receipts of the run",
        "auto_match_rate" => "receipts applied in full by a matching rule, no exception left / receipts × 100",
        "auto_match_rate_amount" => "cash applied by matching rules / total receipts × 100",
        "receipts_total" => "Σ amount of the run's incoming bank transactions",
        _ => "",
    }
}

fn unit(metric: &str) -> Unit {
    match metric {
        "receivables_total" | "receipts_total" => Unit::Amount,
        "percent_current"
        | "percent_over_90"
        | "cei"
        | "auto_match_rate"
        | "auto_match_rate_amount" => Unit::Percent,
        "unapplied_cash_ratio" => Unit::Ratio,
        _ => Unit::Days,
    }
}

/// A metric's value before rounding, or why there is none. Every formula
/// multiplies before it divides, so exact inputs give exact results where
/// the quotient terminates (30, not 29.999...).
type Outcome = Result<Decimal, String>;

/// CRF standard DSO: `ending_receivables / credit_sales × period_days`.
pub fn dso_simple(ending_receivables: Decimal, credit_sales: Decimal, period_days: u32) -> Outcome {
    if credit_sales <= Decimal::ZERO {
        return Err("no credit sales in the period: DSO is undefined".into());
    }
    Ok(ending_receivables * Decimal::from(period_days) / credit_sales)
}

/// CRF best possible DSO: `current_receivables / credit_sales × period_days`.
pub fn best_possible_dso(
    current_receivables: Decimal,
    credit_sales: Decimal,
    period_days: u32,
) -> Outcome {
    if credit_sales <= Decimal::ZERO {
        return Err("no credit sales in the period: best possible DSO is undefined".into());
    }
    Ok(current_receivables * Decimal::from(period_days) / credit_sales)
}

/// Credit sales of one calendar month (or of the part of it up to the
/// as-of date) for the countback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSales {
    /// Days of the month counted (the as-of month counts up to as-of).
    pub days: u32,
    /// Credit sales invoiced in those days.
    pub sales: Decimal,
}

/// Countback DSO: walk back month by month (`months` newest first),
/// subtracting each month's sales from the receivables; a month fully
/// consumed adds all its days, the month that exhausts the receivables adds
/// `remaining / sales × days`. Receivables left when the months run out
/// make the value undefined (the sales history is too short).
pub fn dso_countback(ending_receivables: Decimal, months: &[MonthSales]) -> Outcome {
    let mut remaining = ending_receivables;
    let mut days = Decimal::ZERO;
    if remaining <= Decimal::ZERO {
        return Ok(Decimal::ZERO);
    }
    for m in months {
        let month_days = Decimal::from(m.days);
        if m.sales > Decimal::ZERO && remaining <= m.sales {
            return Ok(days + remaining * month_days / m.sales);
        }
        remaining -= m.sales.max(Decimal::ZERO);
        days += month_days;
    }
    Err(format!(
        "receivables exceed the credit sales of the {} month(s) in --invoices by {remaining}: the sales history is too short for a countback",
        months.len()
    ))
}

/// CRF collection effectiveness index, in percent:
/// `(beginning + sales − ending_total) / (beginning + sales − ending_current) × 100`.
pub fn cei(
    beginning: Decimal,
    credit_sales: Decimal,
    ending_total: Decimal,
    ending_current: Decimal,
) -> Outcome {
    let collectible = beginning + credit_sales - ending_current;
    if collectible <= Decimal::ZERO {
        return Err("nothing was collectible in the period (beginning + sales − ending current ≤ 0): CEI is undefined".into());
    }
    Ok((beginning + credit_sales - ending_total) * Decimal::ONE_HUNDRED / collectible)
}

/// `Σ(weight × days) / Σ weight`, or `None` when the weights sum to zero.
pub fn weighted_days(pairs: impl Iterator<Item = (Decimal, i64)>) -> Option<Decimal> {
    let (mut num, mut den) = (Decimal::ZERO, Decimal::ZERO);
    for (w, d) in pairs {
        num += w * Decimal::from(d);
        den += w;
    }
    (!den.is_zero()).then(|| num / den)
}

/// The calendar months ending at `as_of`, newest first, with the credit
/// sales of each, back to the month of the oldest invoice dated on or
/// before `as_of`. The as-of month counts its days up to `as_of`.
pub fn monthly_sales(invoices: &[&Invoice], as_of: NaiveDate) -> Vec<MonthSales> {
    let Some(oldest) = invoices
        .iter()
        .map(|i| i.invoice_date)
        .filter(|d| *d <= as_of)
        .min()
    else {
        return Vec::new();
    };
    let mut by_month: BTreeMap<(i32, u32), Decimal> = BTreeMap::new();
    for i in invoices.iter().filter(|i| i.invoice_date <= as_of) {
        *by_month
            .entry((i.invoice_date.year(), i.invoice_date.month()))
            .or_default() += i.amount;
    }
    let mut out = Vec::new();
    let (mut y, mut m) = (as_of.year(), as_of.month());
    loop {
        let days = if (y, m) == (as_of.year(), as_of.month()) {
            as_of.day()
        } else {
            days_in_month(y, m)
        };
        out.push(MonthSales {
            days,
            sales: by_month.get(&(y, m)).copied().unwrap_or_default(),
        });
        if (y, m) <= (oldest.year(), oldest.month()) {
            return out;
        }
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let first = NaiveDate::from_ymd_opt(year, month, 1);
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    match (first, next) {
        (Some(a), Some(b)) => (b - a).num_days() as u32,
        _ => 30,
    }
}

/// Receivables of one currency as of the run date.
#[derive(Debug, Default, Clone, Copy)]
struct Receivables {
    total: Decimal,
    current: Decimal,
    over_90: Decimal,
    /// Σ amount × max(0, days past due).
    weighted_dpd_numerator: Decimal,
}

/// The KPIs of one run, per currency (sorted), metrics in [`METRICS`]
/// order. `sales` is the optional `--invoices` file, `opening` the
/// receivables at the start of the CEI period.
pub fn compute(
    data: &RunData,
    sales: Option<&[Invoice]>,
    opening: Option<&Opening>,
    settings: &KpiSettings,
) -> Vec<Kpi> {
    let as_of = data.as_of;
    let mut receivables: BTreeMap<&str, Receivables> = BTreeMap::new();
    for item in &data.open_items {
        let r = receivables.entry(item.currency.as_str()).or_default();
        let amount = item.amount_open_after;
        let dpd = item.days_past_due(as_of);
        r.total += amount;
        if dpd <= 0 {
            r.current += amount;
        } else {
            r.weighted_dpd_numerator += amount * Decimal::from(dpd);
        }
        if dpd > OVER_90_DAYS {
            r.over_90 += amount;
        }
    }
    let mut currencies: BTreeSet<&str> = receivables.keys().copied().collect();
    currencies.extend(data.transactions.iter().map(|t| t.currency.as_str()));
    currencies.extend(data.applications.iter().map(|a| a.currency.as_str()));
    if let Some(s) = sales {
        currencies.extend(s.iter().map(|i| i.currency.as_str()));
    }

    let mut out = Vec::new();
    for currency in currencies {
        let r = receivables.get(currency).copied().unwrap_or_default();
        let ctx = CurrencyContext {
            data,
            currency,
            r,
            sales,
            opening,
            settings,
        };
        for metric in METRICS {
            let (outcome, inputs) = ctx.metric(metric);
            let (value, note) = match outcome {
                Ok(v) => (Some(round_metric(v)), None),
                Err(reason) => (None, Some(reason)),
            };
            out.push(Kpi {
                currency: currency.to_string(),
                metric,
                value,
                unit: unit(metric),
                formula: formula(metric),
                inputs,
                note,
            });
        }
    }
    out
}

struct CurrencyContext<'a> {
    data: &'a RunData,
    currency: &'a str,
    r: Receivables,
    sales: Option<&'a [Invoice]>,
    opening: Option<&'a Opening>,
    settings: &'a KpiSettings,
}

const NO_INVOICES: &str =
    "needs credit sales: pass --invoices FILE (every invoice issued in the period)";
const NO_OPENING: &str =
    "needs beginning receivables: pass --opening RUN_DIR (the run at the start of the period)";

impl CurrencyContext<'_> {
    fn invoices(&self) -> Option<Vec<&Invoice>> {
        self.sales
            .map(|s| s.iter().filter(|i| i.currency == self.currency).collect())
    }

    /// Credit sales dated in `(from, to]`.
    fn sales_between(&self, from: NaiveDate, to: NaiveDate) -> Option<Decimal> {
        self.invoices().map(|v| {
            v.iter()
                .filter(|i| i.invoice_date > from && i.invoice_date <= to)
                .map(|i| i.amount)
                .sum()
        })
    }

    fn dso_period(&self) -> (NaiveDate, u32) {
        let days = self.settings.dso_period_days;
        (self.data.as_of - chrono::Days::new(u64::from(days)), days)
    }

    fn metric(&self, metric: &str) -> (Outcome, String) {
        let r = self.r;
        let as_of = self.data.as_of;
        match metric {
            "receivables_total" => (Ok(r.total), format!("open_items={}", self.items())),
            "dso_simple" | "best_possible_dso" | "average_days_delinquent" => {
                self.dso_family(metric)
            }
            "dso_countback" => match self.invoices() {
                None => (
                    Err(NO_INVOICES.into()),
                    format!("ending_receivables={}", r.total),
                ),
                Some(inv) => {
                    let months = monthly_sales(&inv, as_of);
                    let list: Vec<String> = months
                        .iter()
                        .map(|m| format!("{}d:{}", m.days, m.sales))
                        .collect();
                    (
                        dso_countback(r.total, &months),
                        format!(
                            "ending_receivables={}; months_newest_first=[{}]",
                            r.total,
                            list.join(", ")
                        ),
                    )
                }
            },
            "weighted_days_past_due" => (
                if r.total.is_zero() {
                    Err("no open receivables".into())
                } else {
                    Ok(r.weighted_dpd_numerator / r.total)
                },
                format!(
                    "amount_times_days_past_due={}; receivables={}",
                    r.weighted_dpd_numerator, r.total
                ),
            ),
            "percent_current" => (
                percent(r.current, r.total),
                format!("current={}; receivables={}", r.current, r.total),
            ),
            "percent_over_90" => (
                percent(r.over_90, r.total),
                format!("over_90={}; receivables={}", r.over_90, r.total),
            ),
            "cei" => self.cei(),
            "weighted_days_to_pay" | "weighted_days_late" => self.days_to_pay(metric),
            "unapplied_cash_ratio"
            | "auto_match_rate"
            | "auto_match_rate_amount"
            | "receipts_total" => self.receipts(metric),
            _ => (Err(format!("unknown metric `{metric}`")), String::new()),
        }
    }

    fn items(&self) -> usize {
        self.data
            .open_items
            .iter()
            .filter(|i| i.currency == self.currency)
            .count()
    }

    fn dso_family(&self, metric: &str) -> (Outcome, String) {
        let r = self.r;
        let (from, days) = self.dso_period();
        let Some(sales) = self.sales_between(from, self.data.as_of) else {
            return (
                Err(NO_INVOICES.into()),
                format!("ending_receivables={}; current={}", r.total, r.current),
            );
        };
        let inputs = format!(
            "ending_receivables={}; current={}; credit_sales={sales}; period={}..{}; period_days={days}",
            r.total,
            r.current,
            from.succ_opt().unwrap_or(from),
            self.data.as_of
        );
        let outcome = match metric {
            "dso_simple" => dso_simple(r.total, sales, days),
            "best_possible_dso" => best_possible_dso(r.current, sales, days),
            _ => dso_simple(r.total, sales, days).and_then(|dso| {
                Ok(round_metric(dso) - round_metric(best_possible_dso(r.current, sales, days)?))
            }),
        };
        (outcome, inputs)
    }

    fn cei(&self) -> (Outcome, String) {
        let r = self.r;
        let Some(opening) = self.opening else {
            return (
                Err(NO_OPENING.into()),
                format!("ending_receivables={}; current={}", r.total, r.current),
            );
        };
        let beginning: Decimal = opening
            .receivables
            .iter()
            .filter(|(c, _)| c == self.currency)
            .map(|(_, a)| *a)
            .sum();
        let Some(sales) = self.sales_between(opening.as_of, self.data.as_of) else {
            return (
                Err(NO_INVOICES.into()),
                format!(
                    "beginning_receivables={beginning}; ending_receivables={}; current={}",
                    r.total, r.current
                ),
            );
        };
        (
            cei(beginning, sales, r.total, r.current),
            format!(
                "beginning_receivables={beginning} (as of {}); credit_sales={sales}; ending_receivables={}; ending_current={}",
                opening.as_of, r.total, r.current
            ),
        )
    }

    fn days_to_pay(&self, metric: &str) -> (Outcome, String) {
        let items: HashMap<&str, &crate::model::OpenItem> = self
            .data
            .open_items
            .iter()
            .map(|i| (i.invoice_id.as_str(), i))
            .collect();
        let txns: HashMap<&str, &crate::model::Transaction> = self
            .data
            .transactions
            .iter()
            .map(|t| (t.transaction_id.as_str(), t))
            .collect();
        let mut pairs = Vec::new();
        let mut skipped = 0usize;
        for a in self
            .data
            .applications
            .iter()
            .filter(|a| a.currency == self.currency && a.applied_amount > Decimal::ZERO)
        {
            let paid_on = txns
                .get(a.transaction_id.as_str())
                .and_then(|t| t.received_on());
            let item = items.get(a.invoice_id.as_str());
            let from = if metric == "weighted_days_to_pay" {
                item.and_then(|i| i.invoice_date)
            } else {
                item.and_then(|i| i.due_date)
            };
            match (paid_on, from) {
                (Some(p), Some(f)) => pairs.push((a.applied_amount, (p - f).num_days())),
                _ => skipped += 1,
            }
        }
        let applied: Decimal = pairs.iter().map(|(w, _)| *w).sum();
        let inputs = format!(
            "applications={}; applied_amount={applied}; skipped_without_dates={skipped}",
            pairs.len()
        );
        let outcome = weighted_days(pairs.into_iter()).ok_or_else(|| {
            "no applications with a value date and an invoice/due date in this run".to_string()
        });
        (outcome, inputs)
    }

    fn receipts(&self, metric: &str) -> (Outcome, String) {
        let receipts: Vec<&crate::model::Transaction> = self
            .data
            .transactions
            .iter()
            .filter(|t| t.currency == self.currency && t.is_receipt())
            .collect();
        let ids: HashMap<&str, ()> = receipts
            .iter()
            .map(|t| (t.transaction_id.as_str(), ()))
            .collect();
        let total: Decimal = receipts.iter().map(|t| t.amount).sum();
        let unapplied: Decimal = self
            .data
            .exceptions
            .iter()
            .filter(|e| ids.contains_key(e.transaction_id.as_str()))
            .map(|e| e.amount)
            .sum();
        let with_exception: BTreeSet<&str> = self
            .data
            .exceptions
            .iter()
            .filter(|e| ids.contains_key(e.transaction_id.as_str()) && !e.amount.is_zero())
            .map(|e| e.transaction_id.as_str())
            .collect();
        let applied: Decimal = self
            .data
            .applications
            .iter()
            .filter(|a| ids.contains_key(a.transaction_id.as_str()))
            .map(|a| a.applied_amount)
            .sum();
        let count = receipts.len();
        let in_full = receipts
            .iter()
            .filter(|t| !with_exception.contains(t.transaction_id.as_str()))
            .count();
        let none = || Err("no receipts in this currency in the run".to_string());
        match metric {
            "receipts_total" => (Ok(total), format!("receipts={count}")),
            "unapplied_cash_ratio" => (
                if total.is_zero() {
                    none()
                } else {
                    Ok(unapplied / total)
                },
                format!("unapplied={unapplied}; receipts_amount={total}; receipts={count}"),
            ),
            "auto_match_rate" => (
                if count == 0 {
                    none()
                } else {
                    Ok(Decimal::from(in_full) * Decimal::ONE_HUNDRED / Decimal::from(count))
                },
                format!("applied_in_full={in_full}; receipts={count}"),
            ),
            _ => (
                if total.is_zero() {
                    none()
                } else {
                    Ok(applied * Decimal::ONE_HUNDRED / total)
                },
                format!("applied={applied}; receipts_amount={total}"),
            ),
        }
    }
}

fn percent(part: Decimal, total: Decimal) -> Outcome {
    if total.is_zero() {
        return Err("no open receivables".into());
    }
    Ok(part * Decimal::ONE_HUNDRED / total)
}

/// Beginning receivables for CEI when `--opening` is not given, from the
/// AR history: the `receivables_total` KPIs of the latest earlier run dated
/// on or before the start of the DSO period (`as_of − dso_period_days`),
/// so CEI covers at least that period. With the source, for `inputs`.
pub fn opening_from_history(
    history: &[crate::history::PastRun],
    as_of: NaiveDate,
    settings: &KpiSettings,
) -> Option<(Opening, String)> {
    let start = as_of - chrono::Days::new(u64::from(settings.dso_period_days));
    let run = history.iter().rev().find(|r| r.as_of <= start)?;
    let receivables: Vec<(String, Decimal)> = run
        .of("kpi")
        .filter(|e| e.code == "receivables_total")
        .filter_map(|e| e.value.map(|v| (e.currency.clone(), v)))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .collect();
    (!receivables.is_empty()).then(|| {
        (
            Opening {
                as_of: run.as_of,
                receivables,
            },
            format!(
                "beginning receivables: receivables_total of run {} in the AR history",
                run.run_id
            ),
        )
    })
}

/// Beginning receivables for CEI from `--invoices` alone (with what is
/// known to be paid): at `start = as_of − dso_period_days`, Σ amount of the
/// invoices dated on or before `start`, less what the known payments (AR
/// history, this run, `--cleared-items`) paid on them on or before `start`
/// (capped at each invoice's amount). Invoices outside the file count as
/// not open: the file must hold every invoice issued, as `--invoices` says.
pub fn opening_from_invoices(
    invoices: &[Invoice],
    paid: &[crate::history::PaidItem],
    as_of: NaiveDate,
    settings: &KpiSettings,
) -> Option<(Opening, String)> {
    let start = as_of - chrono::Days::new(u64::from(settings.dso_period_days));
    let issued: Vec<&Invoice> = invoices
        .iter()
        .filter(|i| i.invoice_date <= start)
        .collect();
    if issued.is_empty() {
        return None;
    }
    let mut paid_by: HashMap<&str, Decimal> = HashMap::new();
    for p in paid.iter().filter(|p| p.paid_on <= start) {
        *paid_by.entry(p.invoice_id.as_str()).or_default() += p.amount;
    }
    let mut by_currency: BTreeMap<String, Decimal> = BTreeMap::new();
    for i in issued {
        let paid = paid_by
            .get(i.invoice_id.as_str())
            .copied()
            .unwrap_or_default()
            .min(i.amount.max(Decimal::ZERO));
        *by_currency.entry(i.currency.clone()).or_default() += i.amount - paid;
    }
    Some((
        Opening {
            as_of: start,
            receivables: by_currency.into_iter().collect(),
        },
        format!("beginning receivables: --invoices dated on or before {start} less payments known on or before it (history, run, --cleared-items)"),
    ))
}
