//! The dispute register: every short payment the engine cleared into the
//! deduction account is a claim the deductions team has to work, tracked
//! across runs through the AR history ([`track`]).
//!
//! A dispute opened by an earlier run (a `deduction` event) or by this one
//! is resolved by the first of, after it was opened:
//! - a payment: an application of another transaction to the same invoice
//!   (a later run's `payment` event, or this run's applications), with a
//!   value date on or after the opening: `resolved` (`payment`); one whose
//!   write-off amount is positive (the rest cleared as a small difference)
//!   is `written_off` (`write_off`);
//! - a credit note: an item of the same customer and currency with a
//!   negative original amount of exactly minus the dispute amount, dated on
//!   or after the opening (a later run's `invoice` event or this run's open
//!   items), each credit note resolving one dispute: `resolved`
//!   (`credit_note`);
//! - the invoice in `--cleared-items` with a cleared date on or after the
//!   opening: `resolved` (`cleared`).
//!
//! Write-offs the ERP books without a payment are seen only as a cleared
//! item (the cleared-items file has no reason column): `resolved`.

use crate::history::PastRun;
use crate::model::{ClearedItem, RunData};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Reason code written when the remittance stated none.
pub const UNSPECIFIED_REASON: &str = "UNSPECIFIED";

/// One row of `disputes.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// `transaction_id/invoice_id`: stable across re-reports of the run.
    pub dispute_id: String,
    /// The customer who short-paid.
    pub customer_id: String,
    /// Their name from the open items.
    pub customer_name: String,
    /// The invoice short-paid.
    pub invoice_id: String,
    /// The short payment.
    pub transaction_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Reason code from the remittance (`DAMAGED_GOODS`, ...).
    pub reason_code: String,
    /// Amount deducted (cleared into the deduction account).
    pub amount: Decimal,
    /// The payment's value date (else booking date).
    pub opened_on: Option<NaiveDate>,
    /// Days from `opened_on` to the as-of date.
    pub age_days: Option<i64>,
    /// `open`, `resolved` or `written_off`.
    pub status: &'static str,
    /// `payment`, `credit_note`, `write_off` or `cleared`, when resolved.
    pub resolution: Option<&'static str>,
    /// The day it was resolved.
    pub resolved_on: Option<NaiveDate>,
    /// `resolved_on − opened_on`.
    pub days_to_resolve: Option<i64>,
}

/// The disputes of one run, in application order (by transaction, then
/// invoice, as `applications.parquet` is sorted).
pub fn compute(data: &RunData) -> Vec<Dispute> {
    let names: HashMap<&str, &str> = data
        .open_items
        .iter()
        .map(|i| (i.invoice_id.as_str(), i.customer_name.as_str()))
        .collect();
    let received: HashMap<&str, Option<NaiveDate>> = data
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t.received_on()))
        .collect();
    let mut out: Vec<Dispute> = data
        .applications
        .iter()
        .filter(|a| a.deduction_amount > Decimal::ZERO)
        .map(|a| {
            let opened_on = received.get(a.transaction_id.as_str()).copied().flatten();
            Dispute {
                dispute_id: format!("{}/{}", a.transaction_id, a.invoice_id),
                customer_id: a.customer_id.clone(),
                customer_name: names
                    .get(a.invoice_id.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                invoice_id: a.invoice_id.clone(),
                transaction_id: a.transaction_id.clone(),
                currency: a.currency.clone(),
                reason_code: a
                    .deduction_reason
                    .clone()
                    .unwrap_or_else(|| UNSPECIFIED_REASON.to_string()),
                amount: a.deduction_amount,
                opened_on,
                age_days: opened_on.map(|d| (data.as_of - d).num_days()),
                status: "open",
                resolution: None,
                resolved_on: None,
                days_to_resolve: None,
            }
        })
        .collect();
    out.sort_by(|a, b| a.dispute_id.cmp(&b.dispute_id));
    out
}

/// A resolution found for a dispute: (status, resolution, date).
type Found = (&'static str, &'static str, NaiveDate);

/// The register across runs: the disputes earlier runs opened (from the
/// history, oldest first) and this run's, each with its status as of this
/// run (rules in the module documentation). Sorted by opening date, then id.
pub fn track(data: &RunData, history: &[PastRun], cleared: Option<&[ClearedItem]>) -> Vec<Dispute> {
    let names: HashMap<&str, &str> = data
        .open_items
        .iter()
        .map(|i| (i.invoice_id.as_str(), i.customer_name.as_str()))
        .collect();
    // (dispute, index of the run that opened it: history.len() for this run)
    let mut all: Vec<(Dispute, usize)> = Vec::new();
    for (r, run) in history.iter().enumerate() {
        for e in run.of("deduction") {
            all.push((
                Dispute {
                    dispute_id: format!("{}/{}", e.transaction_id, e.invoice_id),
                    customer_id: e.customer_id.clone(),
                    customer_name: names
                        .get(e.invoice_id.as_str())
                        .copied()
                        .unwrap_or_default()
                        .to_string(),
                    invoice_id: e.invoice_id.clone(),
                    transaction_id: e.transaction_id.clone(),
                    currency: e.currency.clone(),
                    reason_code: e.code.clone(),
                    amount: e.amount.unwrap_or_default(),
                    opened_on: e.date,
                    age_days: e.date.map(|d| (data.as_of - d).num_days()),
                    status: "open",
                    resolution: None,
                    resolved_on: None,
                    days_to_resolve: None,
                },
                r,
            ));
        }
    }
    let known: std::collections::HashSet<String> =
        all.iter().map(|(d, _)| d.dispute_id.clone()).collect();
    for d in compute(data) {
        if !known.contains(&d.dispute_id) {
            all.push((d, history.len()));
        }
    }
    all.sort_by(|a, b| (a.0.opened_on, &a.0.dispute_id).cmp(&(b.0.opened_on, &b.0.dispute_id)));

    // Payments per invoice: (run index, transaction, date, write-off > 0).
    type Paid<'a> = (usize, &'a str, Option<NaiveDate>, bool);
    let mut payments: HashMap<&str, Vec<Paid<'_>>> = HashMap::new();
    for (r, run) in history.iter().enumerate() {
        for e in run.of("payment") {
            payments.entry(e.invoice_id.as_str()).or_default().push((
                r,
                e.transaction_id.as_str(),
                e.date,
                e.value.is_some_and(|w| w > Decimal::ZERO),
            ));
        }
    }
    let received: HashMap<&str, Option<NaiveDate>> = data
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t.received_on()))
        .collect();
    for a in data
        .applications
        .iter()
        .filter(|a| a.applied_amount > Decimal::ZERO || a.writeoff_amount > Decimal::ZERO)
    {
        payments.entry(a.invoice_id.as_str()).or_default().push((
            history.len(),
            a.transaction_id.as_str(),
            received.get(a.transaction_id.as_str()).copied().flatten(),
            a.writeoff_amount > Decimal::ZERO,
        ));
    }
    // Credit notes: (run index, id, customer, currency, amount, date).
    let mut credit_notes: Vec<(usize, String, &str, &str, Decimal, NaiveDate)> = Vec::new();
    let mut seen_notes = std::collections::HashSet::new();
    for (r, run) in history.iter().enumerate() {
        for e in run.of("invoice") {
            if let (Some(a), Some(day)) = (e.amount, e.invoice_date.or(e.date)) {
                if a < Decimal::ZERO && seen_notes.insert(e.invoice_id.clone()) {
                    credit_notes.push((
                        r,
                        e.invoice_id.clone(),
                        e.customer_id.as_str(),
                        e.currency.as_str(),
                        -a,
                        day,
                    ));
                }
            }
        }
    }
    for i in &data.open_items {
        if i.amount_original < Decimal::ZERO && seen_notes.insert(i.invoice_id.clone()) {
            credit_notes.push((
                history.len(),
                i.invoice_id.clone(),
                i.customer_id.as_str(),
                i.currency.as_str(),
                -i.amount_original,
                i.invoice_date.unwrap_or(data.as_of),
            ));
        }
    }
    let mut used_notes = vec![false; credit_notes.len()];
    let cleared_on: HashMap<&str, NaiveDate> = cleared
        .unwrap_or_default()
        .iter()
        .map(|c| (c.invoice_id.as_str(), c.cleared_date))
        .collect();

    let mut out = Vec::with_capacity(all.len());
    for (mut d, opened_run) in all {
        let opened = d.opened_on;
        let after = |day: Option<NaiveDate>| match (day, opened) {
            (Some(x), Some(o)) => x >= o,
            _ => false,
        };
        let mut found: Option<Found> = None;
        let mut consider = |f: Found| {
            if found.is_none_or(|g| f.2 < g.2) {
                found = Some(f);
            }
        };
        for (r, txn, day, writeoff) in payments.get(d.invoice_id.as_str()).into_iter().flatten() {
            if *r >= opened_run && *txn != d.transaction_id && after(*day) {
                if let Some(day) = day {
                    consider(if *writeoff {
                        ("written_off", "write_off", *day)
                    } else {
                        ("resolved", "payment", *day)
                    });
                }
            }
        }
        if let Some(day) = cleared_on.get(d.invoice_id.as_str()) {
            if after(Some(*day)) {
                consider(("resolved", "cleared", *day));
            }
        }
        if let Some(n) = credit_notes.iter().enumerate().position(|(k, n)| {
            !used_notes[k]
                && n.0 >= opened_run
                && n.2 == d.customer_id
                && n.3 == d.currency
                && n.4 == d.amount
                && after(Some(n.5))
        }) {
            let day = credit_notes[n].5;
            if found.is_none_or(|g| day < g.2) {
                used_notes[n] = true;
                found = Some(("resolved", "credit_note", day));
            }
        }
        if let Some((status, how, day)) = found {
            d.status = status;
            d.resolution = Some(how);
            d.resolved_on = Some(day);
            d.days_to_resolve = opened.map(|o| (day - o).num_days());
        }
        out.push(d);
    }
    out
}
