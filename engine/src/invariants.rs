//! Money invariants, checked on every run before anything is published, in
//! release builds too. A violation is an engine bug: the run aborts.
//!
//! The same checks run again, independently, over the written Parquet files
//! (`cashmatch verify`), so an auditor need not trust the process.

use crate::model::{Batch, Outcome};
use rust_decimal::Decimal;

/// A broken invariant, naming the offending record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invariant `{invariant}` broken: {detail}")]
pub struct InvariantViolation {
    /// Stable name of the broken invariant (`no_invoice_over_applied`, ...).
    pub invariant: &'static str,
    /// The offending record and the numbers that disagree.
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
                format!("transaction {}", batch.transactions.get(t).transaction_id()),
            );
        }
        if batch.open_items.get(a.item as usize).currency() != batch.transactions.get(t).currency()
        {
            return fail(
                "same_currency",
                format!("transaction {}", batch.transactions.get(t).transaction_id()),
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
                format!("transaction {} appears in no output", txn.transaction_id()),
            );
        }
        if exception_rows[t] > 1 {
            return fail(
                "one_exception_per_transaction",
                format!(
                    "transaction {} has {} exception rows",
                    txn.transaction_id(),
                    exception_rows[t]
                ),
            );
        }
        if applied[t] + unapplied[t] != txn.amount() {
            return fail(
                "conservation_per_transaction",
                format!(
                    "transaction {}: applied {} + unapplied {} != amount {}",
                    txn.transaction_id(),
                    applied[t],
                    unapplied[t],
                    txn.amount()
                ),
            );
        }
        if txn.amount() > Decimal::ZERO && unapplied[t] < Decimal::ZERO {
            return fail(
                "non_negative_unapplied",
                format!("transaction {}", txn.transaction_id()),
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
        let item = batch.open_items.get(i);
        if item.hold().is_some() && !cleared[i].is_zero() {
            return fail(
                "held_item_untouched",
                format!(
                    "invoice {} is held but {} was applied to it",
                    item.invoice_id(),
                    cleared[i]
                ),
            );
        }
        if item.amount_open() >= Decimal::ZERO && cleared[i] > item.amount_open() {
            return fail(
                "no_invoice_over_applied",
                format!(
                    "invoice {}: cleared {} > open {}",
                    item.invoice_id(),
                    cleared[i],
                    item.amount_open()
                ),
            );
        }
        if after.amount_open_after != item.amount_open() - cleared[i]
            || after.amount_applied != cleared[i]
        {
            return fail(
                "conservation_per_invoice",
                format!("invoice {}", item.invoice_id()),
            );
        }
    }
    Ok(())
}

/// Every journal balances per currency.
fn check_journals(outcome: &Outcome) -> Result<(), InvariantViolation> {
    // Each run of consecutive lines with the same journal id must balance
    // per currency. If a journal were ever split into several runs, each
    // run balancing still implies the whole journal balances, so this is
    // never weaker than a global sum, and it needs no map of 10^6 string
    // keys. PERF: `invariants` stage at 1M in BENCHMARKS.md.
    let mut run: Vec<(&str, Decimal, Decimal)> = Vec::new();
    let mut run_journal: Option<&str> = None;
    for p in &outcome.postings {
        if p.debit < Decimal::ZERO || p.credit < Decimal::ZERO {
            return fail(
                "non_negative_posting",
                format!("journal {} line {}", p.journal_id, p.line),
            );
        }
        if run_journal != Some(p.journal_id.as_str()) {
            check_run(run_journal, &run)?;
            run.clear();
            run_journal = Some(p.journal_id.as_str());
        }
        match run.iter_mut().find(|(c, _, _)| *c == p.currency) {
            Some(e) => {
                e.1 += p.debit;
                e.2 += p.credit;
            }
            None => run.push((p.currency.as_str(), p.debit, p.credit)),
        }
    }
    check_run(run_journal, &run)
}

fn check_run(
    journal: Option<&str>,
    run: &[(&str, Decimal, Decimal)],
) -> Result<(), InvariantViolation> {
    for (currency, debit, credit) in run {
        if debit != credit {
            return fail(
                "journal_balances",
                format!(
                    "journal {} {currency}: debit {debit} != credit {credit}",
                    journal.unwrap_or("?")
                ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Posting;

    fn line(journal: &str, currency: &str, debit: i64, credit: i64) -> Posting {
        Posting {
            journal_id: journal.into(),
            line: 1,
            posting_date: None,
            gl_account: "1000".into(),
            debit: Decimal::new(debit, 2),
            credit: Decimal::new(credit, 2),
            currency: currency.into(),
            transaction_id: "T".into(),
            invoice_id: None,
            customer_id: None,
            memo: String::new(),
        }
    }

    fn journals(postings: Vec<Posting>) -> Result<(), InvariantViolation> {
        check_journals(&Outcome {
            postings,
            ..Outcome::default()
        })
    }

    #[test]
    fn balanced_journals_pass() {
        assert!(journals(vec![
            line("J1", "EUR", 100, 0),
            line("J1", "EUR", 0, 60),
            line("J1", "EUR", 0, 40),
            line("J2", "USD", 5, 0),
            line("J2", "USD", 0, 5),
        ])
        .is_ok());
    }

    #[test]
    fn an_unbalanced_journal_is_caught_wherever_it_is() {
        for postings in [
            vec![line("J1", "EUR", 100, 0), line("J1", "EUR", 0, 99)],
            vec![
                line("J0", "EUR", 1, 1),
                line("J1", "EUR", 100, 0),
                line("J1", "EUR", 0, 99),
                line("J2", "EUR", 1, 1),
            ],
            // Balanced in total but not per currency.
            vec![line("J1", "EUR", 100, 0), line("J1", "USD", 0, 100)],
        ] {
            let err = journals(postings).unwrap_err();
            assert_eq!(err.invariant, "journal_balances");
        }
    }

    #[test]
    fn negative_amounts_are_refused() {
        let err = journals(vec![line("J1", "EUR", -100, -100)]).unwrap_err();
        assert_eq!(err.invariant, "non_negative_posting");
    }
}
