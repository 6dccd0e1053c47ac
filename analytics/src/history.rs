//! The AR history as analytics sees it: what earlier reported runs
//! recorded (read from the state store by the CLI), and what this run adds
//! ([`snapshot`]). Everything that looks back across runs starts here:
//! payment records for trends and the forecast ([`paid_items`]), the
//! previous dunning level and last letter ([`DunningPrior`]), KPI series
//! for the dashboard ([`kpi_series`]).
//!
//! One event per row, in the store's generic columns; which columns a kind
//! uses:
//!
//! | kind | customer, currency, invoice, transaction | code | amount | value | level | date | invoice/due date |
//! |---|---|---|---|---|---|---|---|
//! | `invoice` | ✓ ✓ ✓ – | status after the run | original amount | open after | – | as-of | ✓ |
//! | `payment` | ✓ ✓ ✓ ✓ | rule | applied | write-off | – | value date | ✓ |
//! | `deduction` | ✓ ✓ ✓ ✓ | reason code | deducted | – | – | opened on | – |
//! | `dunning` | ✓ ✓ ✓ – | letter file | overdue | – | level | as-of | – |
//! | `letter` | ✓ ✓ – – | letter file | total due | – | level | as-of | – |
//! | `kpi` | – ✓ – – | metric | – | value | – | as-of | – |
//! | `payer` | ✓ ✓ – ✓ | counterparty account | receipt | – | – | value date | – |
//! | `unapplied` | (customer) ✓ – ✓ | counterparty account | unapplied | – | – | value date | – |

use crate::disputes::Dispute;
use crate::dunning::DunningOutcome;
use crate::kpi::Kpi;
use crate::model::{ClearedItem, RunData, RunDetails};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One recorded event (the store's `HistoryRow`, field for field).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// `invoice`, `payment`, `deduction`, `dunning`, `letter`, `kpi`, `payer`, `unapplied`.
    pub kind: String,
    /// Customer.
    pub customer_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Invoice.
    pub invoice_id: String,
    /// Bank transaction.
    pub transaction_id: String,
    /// Kind-specific code (see the module table).
    pub code: String,
    /// Money.
    pub amount: Option<Decimal>,
    /// A second decimal.
    pub value: Option<Decimal>,
    /// Dunning level.
    pub level: Option<u32>,
    /// Event date.
    pub date: Option<NaiveDate>,
    /// Invoice date.
    pub invoice_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
}

/// An earlier run's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastRun {
    /// The run.
    pub run_id: String,
    /// Its as-of date.
    pub as_of: NaiveDate,
    /// Its events.
    pub events: Vec<Event>,
}

impl PastRun {
    /// Events of one kind.
    pub fn of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| e.kind == kind)
    }
}

/// What this run adds to the history.
pub fn snapshot(
    data: &RunData,
    details: Option<&RunDetails>,
    kpis: &[Kpi],
    disputes: &[Dispute],
    dunning: &DunningOutcome,
) -> Vec<Event> {
    let as_of = Some(data.as_of);
    let mut out = Vec::new();
    let items: HashMap<&str, &crate::model::OpenItem> = data
        .open_items
        .iter()
        .map(|i| (i.invoice_id.as_str(), i))
        .collect();
    let received: HashMap<&str, Option<NaiveDate>> = data
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t.received_on()))
        .collect();
    for i in &data.open_items {
        out.push(Event {
            kind: "invoice".into(),
            customer_id: i.customer_id.clone(),
            currency: i.currency.clone(),
            invoice_id: i.invoice_id.clone(),
            code: i.status.clone(),
            amount: Some(i.amount_original),
            value: Some(i.amount_open_after),
            date: as_of,
            invoice_date: i.invoice_date,
            due_date: i.due_date,
            ..Event::default()
        });
    }
    for a in data
        .applications
        .iter()
        .filter(|a| a.applied_amount > Decimal::ZERO || a.writeoff_amount > Decimal::ZERO)
    {
        let item = items.get(a.invoice_id.as_str());
        out.push(Event {
            kind: "payment".into(),
            customer_id: a.customer_id.clone(),
            currency: a.currency.clone(),
            invoice_id: a.invoice_id.clone(),
            transaction_id: a.transaction_id.clone(),
            code: a.rule.clone(),
            amount: Some(a.applied_amount),
            value: Some(a.writeoff_amount),
            date: received.get(a.transaction_id.as_str()).copied().flatten(),
            invoice_date: item.and_then(|i| i.invoice_date),
            due_date: item.and_then(|i| i.due_date),
            ..Event::default()
        });
    }
    // Only the disputes this run opened: earlier ones are in their runs.
    let here: HashSet<&str> = data
        .transactions
        .iter()
        .map(|t| t.transaction_id.as_str())
        .collect();
    for d in disputes
        .iter()
        .filter(|d| here.contains(d.transaction_id.as_str()))
    {
        out.push(Event {
            kind: "deduction".into(),
            customer_id: d.customer_id.clone(),
            currency: d.currency.clone(),
            invoice_id: d.invoice_id.clone(),
            transaction_id: d.transaction_id.clone(),
            code: d.reason_code.clone(),
            amount: Some(d.amount),
            date: d.opened_on,
            ..Event::default()
        });
    }
    for i in dunning.items.iter().filter(|i| i.status == "dunned") {
        out.push(Event {
            kind: "dunning".into(),
            customer_id: i.customer_id.clone(),
            currency: i.currency.clone(),
            invoice_id: i.invoice_id.clone(),
            code: i.letter.clone().unwrap_or_default(),
            amount: Some(i.amount_overdue),
            level: i.level,
            date: as_of,
            ..Event::default()
        });
    }
    for l in &dunning.letters {
        out.push(Event {
            kind: "letter".into(),
            customer_id: l.customer_id.clone(),
            currency: l.currency.clone(),
            code: l.file_name.clone(),
            amount: Some(l.total_due),
            level: Some(l.level),
            date: as_of,
            ..Event::default()
        });
    }
    for k in kpis.iter().filter(|k| k.value.is_some()) {
        out.push(Event {
            kind: "kpi".into(),
            currency: k.currency.clone(),
            code: k.metric.to_string(),
            value: k.value,
            date: as_of,
            ..Event::default()
        });
    }
    let accounts: HashMap<&str, &str> = details
        .and_then(|d| d.transactions.as_ref())
        .map(|t| {
            t.iter()
                .map(|t| (t.transaction_id.as_str(), t.counterparty_account.as_str()))
                .collect()
        })
        .unwrap_or_default();
    // Payer accounts: one row per (transaction, customer) the cash went to.
    let mut payers: BTreeMap<(&str, &str), (&str, Decimal)> = BTreeMap::new();
    for a in data
        .applications
        .iter()
        .filter(|a| a.applied_amount > Decimal::ZERO)
    {
        let e = payers
            .entry((a.transaction_id.as_str(), a.customer_id.as_str()))
            .or_insert((a.currency.as_str(), Decimal::ZERO));
        e.1 += a.applied_amount;
    }
    for ((txn, customer), (currency, amount)) in payers {
        let account = accounts.get(txn).copied().unwrap_or_default();
        if account.is_empty() {
            continue;
        }
        out.push(Event {
            kind: "payer".into(),
            customer_id: customer.into(),
            currency: currency.into(),
            transaction_id: txn.into(),
            code: account.into(),
            amount: Some(amount),
            date: received.get(txn).copied().flatten(),
            ..Event::default()
        });
    }
    for e in data.exceptions.iter().filter(|e| e.amount > Decimal::ZERO) {
        out.push(Event {
            kind: "unapplied".into(),
            currency: e.currency.clone(),
            transaction_id: e.transaction_id.clone(),
            code: accounts
                .get(e.transaction_id.as_str())
                .copied()
                .unwrap_or_default()
                .into(),
            amount: Some(e.amount),
            date: received.get(e.transaction_id.as_str()).copied().flatten(),
            ..Event::default()
        });
    }
    out
}

/// One paid invoice (or part of one): what behaviour trends, the forecast
/// and the backtest learn from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidItem {
    /// Customer.
    pub customer_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Invoice.
    pub invoice_id: String,
    /// Amount paid.
    pub amount: Decimal,
    /// Issue date.
    pub invoice_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Value date of the payment (cleared date for cleared items).
    pub paid_on: NaiveDate,
}

impl PaidItem {
    /// `paid_on − due_date` (negative when early).
    pub fn days_late(&self) -> Option<i64> {
        self.due_date.map(|d| (self.paid_on - d).num_days())
    }
}

/// Every payment known: the earlier runs' `payment` events, this run's
/// applications, and the cleared items (an invoice already paid through
/// cashmatch is not counted again from the cleared items). Sorted by paid
/// date, customer, invoice.
pub fn paid_items(
    history: &[PastRun],
    data: &RunData,
    cleared: Option<&[ClearedItem]>,
) -> Vec<PaidItem> {
    let mut out = Vec::new();
    for run in history {
        for e in run.of("payment") {
            let (Some(paid_on), Some(amount)) = (e.date, e.amount) else {
                continue;
            };
            if amount <= Decimal::ZERO {
                continue;
            }
            out.push(PaidItem {
                customer_id: e.customer_id.clone(),
                currency: e.currency.clone(),
                invoice_id: e.invoice_id.clone(),
                amount,
                invoice_date: e.invoice_date,
                due_date: e.due_date,
                paid_on,
            });
        }
    }
    let items: HashMap<&str, &crate::model::OpenItem> = data
        .open_items
        .iter()
        .map(|i| (i.invoice_id.as_str(), i))
        .collect();
    let received: HashMap<&str, Option<NaiveDate>> = data
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t.received_on()))
        .collect();
    for a in data
        .applications
        .iter()
        .filter(|a| a.applied_amount > Decimal::ZERO)
    {
        let Some(paid_on) = received.get(a.transaction_id.as_str()).copied().flatten() else {
            continue;
        };
        let item = items.get(a.invoice_id.as_str());
        out.push(PaidItem {
            customer_id: a.customer_id.clone(),
            currency: a.currency.clone(),
            invoice_id: a.invoice_id.clone(),
            amount: a.applied_amount,
            invoice_date: item.and_then(|i| i.invoice_date),
            due_date: item.and_then(|i| i.due_date),
            paid_on,
        });
    }
    let seen: HashSet<String> = out.iter().map(|p| p.invoice_id.clone()).collect();
    for c in cleared.unwrap_or_default() {
        if seen.contains(&c.invoice_id) || c.amount <= Decimal::ZERO {
            continue;
        }
        out.push(cleared_paid(c));
    }
    out.sort_by(|a, b| {
        (a.paid_on, &a.customer_id, &a.invoice_id).cmp(&(b.paid_on, &b.customer_id, &b.invoice_id))
    });
    out
}

/// A cleared item as a payment on its cleared date.
pub fn cleared_paid(c: &ClearedItem) -> PaidItem {
    PaidItem {
        customer_id: c.customer_id.clone(),
        currency: c.currency.clone(),
        invoice_id: c.invoice_id.clone(),
        amount: c.amount,
        invoice_date: c.invoice_date,
        due_date: c.due_date,
        paid_on: c.cleared_date,
    }
}

/// What earlier runs dunned: the previous level of each item and the last
/// letter of each customer and currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DunningPrior {
    /// Invoice → (level, as-of of the run that dunned it), the latest.
    pub item_level: HashMap<String, (u32, NaiveDate)>,
    /// (customer, currency) → (date, level) of the latest letter.
    pub last_letter: HashMap<(String, String), (NaiveDate, u32)>,
}

impl DunningPrior {
    /// Reads the `dunning` and `letter` events (runs oldest first, so a
    /// later run overwrites an earlier one).
    pub fn from_history(history: &[PastRun]) -> Self {
        let mut p = DunningPrior::default();
        for run in history {
            for e in run.of("dunning") {
                if let (Some(level), Some(date)) = (e.level, e.date) {
                    p.item_level.insert(e.invoice_id.clone(), (level, date));
                }
            }
            for e in run.of("letter") {
                if let (Some(level), Some(date)) = (e.level, e.date) {
                    p.last_letter
                        .insert((e.customer_id.clone(), e.currency.clone()), (date, level));
                }
            }
        }
        p
    }
}

/// One point of a KPI across runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiPoint {
    /// The run's as-of date.
    pub as_of: NaiveDate,
    /// ISO 4217 code.
    pub currency: String,
    /// The value.
    pub value: Decimal,
}

/// `metric` in every earlier run and this one, by currency then date.
pub fn kpi_series(
    history: &[PastRun],
    current: &[Kpi],
    as_of: NaiveDate,
    metric: &str,
) -> Vec<KpiPoint> {
    let mut points: BTreeMap<(String, NaiveDate), Decimal> = BTreeMap::new();
    for run in history {
        for e in run.of("kpi").filter(|e| e.code == metric) {
            if let Some(v) = e.value {
                points.insert((e.currency.clone(), run.as_of), v);
            }
        }
    }
    for k in current.iter().filter(|k| k.metric == metric) {
        if let Some(v) = k.value {
            points.insert((k.currency.clone(), as_of), v);
        }
    }
    points
        .into_iter()
        .map(|((currency, as_of), value)| KpiPoint {
            as_of,
            currency,
            value,
        })
        .collect()
}

/// Unapplied cash per run and currency: Σ of the `unapplied` events of each
/// earlier run, then this run's exceptions; by currency, then date.
pub fn unapplied_series(
    history: &[PastRun],
    data: &RunData,
) -> BTreeMap<String, Vec<(NaiveDate, Decimal)>> {
    let mut out: BTreeMap<String, BTreeMap<NaiveDate, Decimal>> = BTreeMap::new();
    for run in history {
        // Every currency the run saw counts, with zero when nothing was
        // unapplied (a run without exceptions resets the growth).
        for e in run.of("kpi").filter(|e| e.code == "receipts_total") {
            out.entry(e.currency.clone())
                .or_default()
                .entry(run.as_of)
                .or_default();
        }
        for e in run.of("unapplied") {
            *out.entry(e.currency.clone())
                .or_default()
                .entry(run.as_of)
                .or_default() += e.amount.unwrap_or_default();
        }
    }
    for t in data.transactions.iter().filter(|t| t.is_receipt()) {
        out.entry(t.currency.clone())
            .or_default()
            .entry(data.as_of)
            .or_default();
    }
    for e in data.exceptions.iter().filter(|e| e.amount > Decimal::ZERO) {
        *out.entry(e.currency.clone())
            .or_default()
            .entry(data.as_of)
            .or_default() += e.amount;
    }
    out.into_iter()
        .map(|(c, m)| (c, m.into_iter().collect()))
        .collect()
}
