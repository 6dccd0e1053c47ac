//! Money invariants, checked on every run before anything is published, in
//! release builds too. A violation is an engine bug: the run aborts.
//!
//! The same checks run again, independently, over the written Parquet files
//! (`cashmatch verify`), so an auditor need not trust the process.

use crate::model::{Batch, Outcome};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A broken invariant, naming the offending record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invariant `{invariant}` broken: {detail}")]
pub struct InvariantViolation {
    pub invariant: &'static str,
    pub detail: String,
}

fn fail(invariant: &'static str, detail: String) -> Result<(), InvariantViolation> {
    Err(InvariantViolation { invariant, detail })
}

/// Checks every invariant of a run's outcome.
pub fn check(batch: &Batch, outcome: &Outcome) -> Result<(), InvariantViolation> {
    check_transactions(batch, outcome)?;
    check_items(batch, outcome)?;
    check_journals(outcome)?;
    check_aging(outcome)
}

/// Per transaction: applied + unapplied = amount, every term ≥ 0 for
/// receipts, and each transaction appears (applied, unapplied or both).
fn check_transactions(batch: &Batch, outcome: &Outcome) -> Result<(), InvariantViolation> {
    let n = batch.transactions.len();
    let mut applied = vec![Decimal::ZERO; n];
    let mut seen = vec![false; n];
    for a in &outcome.applications {
        let t = a.txn as usize;
        if t >= n {
            return fail(
                "application_refers_to_transaction",
                format!("transaction index {t} out of range"),
            );
        }
        if a.applied_amount < Decimal::ZERO
            || a.discount_amount < Decimal::ZERO
            || a.writeoff_amount < Decimal::ZERO
        {
            return fail(
                "non_negative_application",
                format!("transaction {}", batch.transactions[t].transaction_id),
            );
        }
        if batch.open_items[a.item as usize].currency != batch.transactions[t].currency {
            return fail(
                "same_currency",
                format!("transaction {}", batch.transactions[t].transaction_id),
            );
        }
        applied[t] += a.applied_amount;
        seen[t] = true;
    }
    let mut unapplied = vec![Decimal::ZERO; n];
    let mut exception_rows = vec![0u32; n];
    for e in &outcome.exceptions {
        let t = e.txn as usize;
        if t >= n {
            return fail(
                "exception_refers_to_transaction",
                format!("transaction index {t} out of range"),
            );
        }
        unapplied[t] += e.amount;
        exception_rows[t] += 1;
        seen[t] = true;
    }
    for (t, txn) in batch.transactions.iter().enumerate() {
        if !seen[t] {
            return fail(
                "every_transaction_accounted_for",
                format!("transaction {} appears in no output", txn.transaction_id),
            );
        }
        if exception_rows[t] > 1 {
            return fail(
                "one_exception_per_transaction",
                format!(
                    "transaction {} has {} exception rows",
                    txn.transaction_id, exception_rows[t]
                ),
            );
        }
        if applied[t] + unapplied[t] != txn.amount {
            return fail(
                "conservation_per_transaction",
                format!(
                    "transaction {}: applied {} + unapplied {} != amount {}",
                    txn.transaction_id, applied[t], unapplied[t], txn.amount
                ),
            );
        }
        if txn.amount > Decimal::ZERO && unapplied[t] < Decimal::ZERO {
            return fail(
                "non_negative_unapplied",
                format!("transaction {}", txn.transaction_id),
            );
        }
    }
    Ok(())
}

/// Per invoice: cleared ≤ open before, open after = open before − cleared.
fn check_items(batch: &Batch, outcome: &Outcome) -> Result<(), InvariantViolation> {
    let mut cleared = vec![Decimal::ZERO; batch.open_items.len()];
    for a in &outcome.applications {
        cleared[a.item as usize] += a.cleared_amount();
    }
    if outcome.items_after.len() != batch.open_items.len() {
        return fail(
            "every_item_reported",
            format!(
                "{} items in, {} out",
                batch.open_items.len(),
                outcome.items_after.len()
            ),
        );
    }
    for after in &outcome.items_after {
        let i = after.item as usize;
        let item = &batch.open_items[i];
        if item.amount_open >= Decimal::ZERO && cleared[i] > item.amount_open {
            return fail(
                "no_invoice_over_applied",
                format!(
                    "invoice {}: cleared {} > open {}",
                    item.invoice_id, cleared[i], item.amount_open
                ),
            );
        }
        if after.amount_open_after != item.amount_open - cleared[i]
            || after.amount_applied != cleared[i]
        {
            return fail(
                "conservation_per_invoice",
                format!("invoice {}", item.invoice_id),
            );
        }
    }
    Ok(())
}

/// Every journal balances per currency.
fn check_journals(outcome: &Outcome) -> Result<(), InvariantViolation> {
    let mut sums: BTreeMap<(&str, &str), (Decimal, Decimal)> = BTreeMap::new();
    for p in &outcome.postings {
        if p.debit < Decimal::ZERO || p.credit < Decimal::ZERO {
            return fail(
                "non_negative_posting",
                format!("journal {} line {}", p.journal_id, p.line),
            );
        }
        let e = sums
            .entry((p.journal_id.as_str(), p.currency.as_str()))
            .or_default();
        e.0 += p.debit;
        e.1 += p.credit;
    }
    for ((journal, currency), (debit, credit)) in sums {
        if debit != credit {
            return fail(
                "journal_balances",
                format!("journal {journal} {currency}: debit {debit} != credit {credit}"),
            );
        }
    }
    Ok(())
}

/// The aging snapshot adds up to the open items left.
fn check_aging(outcome: &Outcome) -> Result<(), InvariantViolation> {
    let open: Decimal = outcome
        .items_after
        .iter()
        .map(|a| a.amount_open_after)
        .sum();
    let aged: Decimal = outcome.aging.iter().map(|r| r.amount).sum();
    if open != aged {
        return fail(
            "aging_adds_up",
            format!("open after {open} != aging total {aged}"),
        );
    }
    Ok(())
}
