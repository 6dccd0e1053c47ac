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
    check_journals(batch, outcome)?;
    check_companies(batch, outcome)?;
    check_aging(outcome)
}

/// Legal entities: every application clears an invoice of a company its
/// receipt's account may clear (`[intercompany]`), whichever pass made it,
/// and every journal balances per company and currency (its transaction's
/// currency, and the invoice's for a cross-currency journal's lines).
fn check_companies(batch: &Batch, outcome: &Outcome) -> Result<(), InvariantViolation> {
    let companies = &outcome.companies;
    for a in &outcome.applications {
        // A return's reversal takes back what its receipt (same account)
        // applied; it adds no new pair.
        if a.rule != crate::model::Rule::ReturnReversal && !companies.allows(a.txn, a.item) {
            return fail(
                "application_within_company",
                format!(
                    "transaction {} (company {}) applied to invoice {} of company {}",
                    batch.transactions.get(a.txn as usize).transaction_id(),
                    companies.txn_code(a.txn),
                    batch.open_items.get(a.item as usize).invoice_id(),
                    companies.item_code(a.item)
                ),
            );
        }
    }
    let mut at = 0;
    let p = &outcome.postings;
    while at < p.len() {
        let end = at + p[at..].iter().take_while(|x| x.txn == p[at].txn).count();
        // Keyed by company and currency side: a cross-currency journal's
        // invoice-currency lines balance on their own.
        let mut net: Vec<((u32, bool), Decimal)> = Vec::new();
        for line in &p[at..end] {
            let key = (line.company, line.foreign);
            match net.iter_mut().find(|(k, _)| *k == key) {
                Some((_, n)) => *n += line.debit - line.credit,
                None => net.push((key, line.debit - line.credit)),
            }
        }
        if let Some(((c, _), n)) = net.iter().find(|(_, n)| !n.is_zero()) {
            return fail(
                "journal_balances_per_company",
                format!(
                    "journal {} company {}: debit - credit = {n}",
                    p[at].journal_id(batch),
                    companies.code(*c)
                ),
            );
        }
        at = end;
    }
    Ok(())
}

/// Per transaction: applied + unapplied = amount, every term ≥ 0 for
/// receipts (a negative application only consumes a credit note, and never
/// more credit than the invoices it nets), and each transaction appears
/// (applied, unapplied or both).
fn check_transactions(batch: &Batch, outcome: &Outcome) -> Result<(), InvariantViolation> {
    let n = batch.transactions.len();
    let mut applied = vec![Decimal::ZERO; n];
    let mut seen = vec![false; n];
    // Per transaction: what its applications clear from invoices, and the
    // credit notes they consume (as a positive amount).
    let mut debited = vec![Decimal::ZERO; n];
    let mut credited = vec![Decimal::ZERO; n];
    for a in &outcome.applications {
        let t = a.txn as usize;
        if t >= n {
            return fail(
                "application_refers_to_transaction",
                format!("transaction index {t} out of range"),
            );
        }
        // A return's reversal takes back: every amount ≤ 0, on a debit.
        // Every other application gives: discount, write-off and deduction
        // ≥ 0 (a negative applied amount only consumes a credit note, below).
        let reversal = a.rule == crate::model::Rule::ReturnReversal;
        let wrong_sign = if reversal {
            [
                a.applied_amount,
                a.discount_amount,
                a.writeoff_amount,
                a.deduction_amount,
            ]
            .iter()
            .any(|x| *x > Decimal::ZERO)
                || batch.transactions.get(t).amount() >= Decimal::ZERO
        } else {
            a.discount_amount < Decimal::ZERO
                || a.writeoff_amount < Decimal::ZERO
                || a.deduction_amount < Decimal::ZERO
        };
        if wrong_sign {
            return fail(
                "non_negative_application",
                format!("transaction {}", batch.transactions.get(t).transaction_id()),
            );
        }
        if !reversal && a.applied_amount < Decimal::ZERO {
            // Only a credit note (negative open amount) is consumed by a
            // negative application, and only by the credit itself.
            let item = batch.open_items.get(a.item as usize);
            if item.amount_open() >= Decimal::ZERO
                || !a.discount_amount.is_zero()
                || !a.writeoff_amount.is_zero()
                || !a.deduction_amount.is_zero()
            {
                return fail(
                    "non_negative_application",
                    format!(
                        "transaction {}: negative application to {}, which is not a credit note",
                        batch.transactions.get(t).transaction_id(),
                        item.invoice_id()
                    ),
                );
            }
            credited[t] -= a.applied_amount;
        } else if !reversal {
            debited[t] += a.cleared_amount();
        }
        // A cross-currency application takes its payment amount from the
        // transaction (conservation in the payment's currency); its
        // applied amount is in the invoice's currency.
        let fx = outcome.fx_of(a);
        if batch.open_items.get(a.item as usize).currency() != batch.transactions.get(t).currency()
            && fx.is_none()
        {
            return fail(
                "same_currency",
                format!("transaction {}", batch.transactions.get(t).transaction_id()),
            );
        }
        if let Some(f) = fx {
            // A reversal takes both sides back: both negative.
            let wrong = if reversal {
                f.payment_amount >= Decimal::ZERO || a.applied_amount >= Decimal::ZERO
            } else {
                f.payment_amount <= Decimal::ZERO || a.applied_amount <= Decimal::ZERO
            };
            if wrong {
                return fail(
                    "non_negative_application",
                    format!(
                        "transaction {}: cross-currency application of {} for {}",
                        batch.transactions.get(t).transaction_id(),
                        f.payment_amount,
                        a.applied_amount
                    ),
                );
            }
        }
        applied[t] += fx.map_or(a.applied_amount, |f| f.payment_amount);
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
        if credited[t] > debited[t] {
            return fail(
                "credit_note_nets_an_invoice",
                format!(
                    "transaction {}: consumes {} of credit notes but clears only {}",
                    txn.transaction_id(),
                    credited[t],
                    debited[t]
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

/// Per invoice: cleared ≤ open before, open after = open before − cleared;
/// per credit note: 0 ≥ consumed ≥ open before.
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
        if item.amount_open() < Decimal::ZERO
            && (cleared[i] < item.amount_open() || cleared[i] > Decimal::ZERO)
        {
            return fail(
                "no_credit_note_over_consumed",
                format!(
                    "credit note {}: consumed {} of open {}",
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
fn check_journals(batch: &Batch, outcome: &Outcome) -> Result<(), InvariantViolation> {
    // Each run of consecutive lines of the same transaction's journal must
    // balance. If a journal were ever split into several runs, each run
    // balancing still implies the whole journal balances, so this is never
    // weaker than a global sum, and it needs no map keyed by journal. A
    // journal's lines all carry its transaction's currency (a line names
    // its transaction, not a currency), so balancing per journal is
    // balancing per journal and currency. PERF: `invariants` stage at 1M
    // in BENCHMARKS.md.
    let n = batch.transactions.len();
    let mut run: Option<(u32, Decimal, Decimal)> = None;
    // Lines in an invoice's currency (cross-currency journals), per
    // journal and currency: a journal balances in each of its currencies.
    let mut foreign: std::collections::BTreeMap<(u32, &str), Decimal> = Default::default();
    for p in &outcome.postings {
        if p.foreign {
            if p.item.is_none_or(|i| i as usize >= batch.open_items.len()) {
                return fail(
                    "posting_refers_to_invoice",
                    format!(
                        "journal {} line {}: foreign line without invoice",
                        p.journal_id(batch),
                        p.line
                    ),
                );
            }
            if p.debit < Decimal::ZERO || p.credit < Decimal::ZERO {
                return fail(
                    "non_negative_posting",
                    format!("journal {} line {}", p.journal_id(batch), p.line),
                );
            }
            *foreign.entry((p.txn, p.currency(batch))).or_default() += p.debit - p.credit;
            continue;
        }
        if p.txn as usize >= n {
            return fail(
                "posting_refers_to_transaction",
                format!("transaction index {} out of range", p.txn),
            );
        }
        if p.gl as usize >= outcome.gl_accounts.len() {
            return fail(
                "posting_refers_to_gl_account",
                format!(
                    "journal {} line {}: GL index {}",
                    p.journal_id(batch),
                    p.line,
                    p.gl
                ),
            );
        }
        if p.debit < Decimal::ZERO || p.credit < Decimal::ZERO {
            return fail(
                "non_negative_posting",
                format!("journal {} line {}", p.journal_id(batch), p.line),
            );
        }
        match &mut run {
            Some((txn, debit, credit)) if *txn == p.txn => {
                *debit += p.debit;
                *credit += p.credit;
            }
            _ => {
                check_run(batch, run)?;
                run = Some((p.txn, p.debit, p.credit));
            }
        }
    }
    check_run(batch, run)?;
    if let Some(((txn, currency), off)) = foreign.iter().find(|(_, v)| !v.is_zero()) {
        return fail(
            "journal_balances",
            format!(
                "journal J-{} {currency}: debit - credit = {off}",
                batch.transactions.get(*txn as usize).transaction_id()
            ),
        );
    }
    Ok(())
}

fn check_run(
    batch: &Batch,
    run: Option<(u32, Decimal, Decimal)>,
) -> Result<(), InvariantViolation> {
    match run {
        Some((txn, debit, credit)) if debit != credit => {
            let t = batch.transactions.get(txn as usize);
            fail(
                "journal_balances",
                format!(
                    "journal J-{} {}: debit {debit} != credit {credit}",
                    t.transaction_id(),
                    t.currency()
                ),
            )
        }
        _ => Ok(()),
    }
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
    use crate::model::{BankTransaction, Memo, Posting};

    fn batch(currencies: &[&str]) -> Batch {
        Batch {
            transactions: currencies
                .iter()
                .enumerate()
                .map(|(i, c)| BankTransaction {
                    transaction_id: format!("T{i}"),
                    currency: (*c).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn line(txn: u32, debit: i64, credit: i64) -> Posting {
        Posting {
            txn,
            line: 1,
            gl: 0,
            debit: Decimal::new(debit, 2),
            credit: Decimal::new(credit, 2),
            item: None,
            customer: None,
            memo: Memo::CashReceived,
            company: 0,
            foreign: false,
        }
    }

    fn journals(postings: Vec<Posting>) -> Result<(), InvariantViolation> {
        check_journals(
            &batch(&["EUR", "EUR", "USD"]),
            &Outcome {
                postings,
                gl_accounts: vec!["1000".into()],
                ..Outcome::default()
            },
        )
    }

    #[test]
    fn balanced_journals_pass() {
        assert!(journals(vec![
            line(1, 100, 0),
            line(1, 0, 60),
            line(1, 0, 40),
            line(2, 5, 0),
            line(2, 0, 5),
        ])
        .is_ok());
    }

    #[test]
    fn an_unbalanced_journal_is_caught_wherever_it_is() {
        for postings in [
            vec![line(1, 100, 0), line(1, 0, 99)],
            vec![
                line(0, 1, 1),
                line(1, 100, 0),
                line(1, 0, 99),
                line(2, 1, 1),
            ],
            // Balanced in total but not per journal.
            vec![line(1, 100, 0), line(2, 0, 100)],
            // The last journal.
            vec![line(0, 1, 1), line(2, 0, 1)],
        ] {
            let err = journals(postings).unwrap_err();
            assert_eq!(err.invariant, "journal_balances");
        }
    }

    #[test]
    fn negative_amounts_are_refused() {
        let err = journals(vec![line(1, -100, -100)]).unwrap_err();
        assert_eq!(err.invariant, "non_negative_posting");
    }

    #[test]
    fn lines_must_name_a_transaction_and_an_account() {
        let err = journals(vec![line(7, 1, 1)]).unwrap_err();
        assert_eq!(err.invariant, "posting_refers_to_transaction");
        let mut bad = line(1, 1, 1);
        bad.gl = 3;
        let err = journals(vec![bad]).unwrap_err();
        assert_eq!(err.invariant, "posting_refers_to_gl_account");
    }
}
