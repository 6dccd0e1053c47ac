//! The journal: one balanced entry per bank transaction.
//!
//! Receipt: debit the bank's cash account with the amount; credit the
//! receivable per invoice with what the application cleared; debit discount
//! and write-off accounts with what was granted and the deduction account with
//! what the payer deducted (short pay with a reason); credit unapplied cash (payer
//! known) or suspense (payer unknown) with the rest. A bank debit credits
//! cash and debits suspense, so every line of the statement is journalled.

use crate::config::GlAccounts;
use crate::model::{Application, Batch, ExceptionRecord, Posting, TxnIdx};
use rust_decimal::Decimal;

/// Builds the journal. `applications` must be grouped by transaction in
/// transaction order (as the engine emits them).
pub fn build(
    batch: &Batch,
    gl: &GlAccounts,
    applications: &[Application],
    exceptions: &[ExceptionRecord],
) -> Vec<Posting> {
    let mut by_txn: Vec<(usize, usize)> = vec![(0, 0); batch.transactions.len()];
    let mut i = 0;
    while i < applications.len() {
        let t = applications[i].txn as usize;
        let start = i;
        while i < applications.len() && applications[i].txn as usize == t {
            i += 1;
        }
        by_txn[t] = (start, i);
    }
    let mut exc_by_txn: Vec<Option<&ExceptionRecord>> = vec![None; batch.transactions.len()];
    for e in exceptions {
        exc_by_txn[e.txn as usize] = Some(e);
    }
    let mut out = Vec::with_capacity(applications.len() * 2 + batch.transactions.len());
    for (ti, txn) in batch.transactions.iter().enumerate() {
        if txn.amount().is_zero() {
            continue;
        }
        let journal_id = format!("J-{}", txn.transaction_id());
        let mut j = Journal {
            out: &mut out,
            journal_id,
            line: 0,
            txn: ti as TxnIdx,
            batch,
        };
        let bank_gl = gl.bank_for(txn.account());
        if txn.amount() < Decimal::ZERO {
            j.push(
                bank_gl,
                Decimal::ZERO,
                -txn.amount(),
                None,
                None,
                "bank debit: not a customer receipt",
            );
            j.push(
                &gl.suspense,
                -txn.amount(),
                Decimal::ZERO,
                None,
                None,
                "bank debit held in suspense for review",
            );
            continue;
        }
        j.push(
            bank_gl,
            txn.amount(),
            Decimal::ZERO,
            None,
            None,
            "cash received",
        );
        let (s, e) = by_txn[ti];
        for a in &applications[s..e] {
            let item = batch.open_items.get(a.item as usize);
            let inv = Some(item.invoice_id());
            let cust = Some(item.customer_id());
            if !a.discount_amount.is_zero() {
                j.push(
                    &gl.discount,
                    a.discount_amount,
                    Decimal::ZERO,
                    inv,
                    cust,
                    "early-payment discount granted",
                );
            }
            if !a.deduction_amount.is_zero() {
                j.push(
                    &gl.deduction,
                    a.deduction_amount,
                    Decimal::ZERO,
                    inv,
                    cust,
                    a.deduction_reason
                        .map_or("deduction taken by the payer", |r| r.memo()),
                );
            }
            if !a.writeoff_amount.is_zero() {
                j.push(
                    &gl.writeoff,
                    a.writeoff_amount,
                    Decimal::ZERO,
                    inv,
                    cust,
                    "small difference written off",
                );
            }
            j.push(
                &gl.receivable,
                Decimal::ZERO,
                a.cleared_amount(),
                inv,
                cust,
                a.rule.as_str(),
            );
        }
        if let Some(exc) = exc_by_txn[ti] {
            let (account, memo) = match &exc.customer_id {
                Some(_) => (&gl.unapplied_cash, "unapplied cash on account"),
                None => (&gl.suspense, "unidentified receipt held in suspense"),
            };
            j.push(
                account,
                Decimal::ZERO,
                exc.amount,
                None,
                exc.customer_id.as_deref(),
                memo,
            );
        }
    }
    out
}

struct Journal<'o, 'b> {
    out: &'o mut Vec<Posting>,
    journal_id: String,
    line: u32,
    txn: TxnIdx,
    batch: &'b Batch,
}

impl Journal<'_, '_> {
    fn push(
        &mut self,
        gl: &str,
        debit: Decimal,
        credit: Decimal,
        invoice: Option<&str>,
        customer: Option<&str>,
        memo: &str,
    ) {
        self.line += 1;
        let txn = self.batch.transactions.get(self.txn as usize);
        self.out.push(Posting {
            journal_id: self.journal_id.clone(),
            line: self.line,
            posting_date: txn.booking_date().or(txn.value_date()),
            gl_account: gl.to_string(),
            debit,
            credit,
            currency: txn.currency().to_string(),
            transaction_id: txn.transaction_id().to_string(),
            invoice_id: invoice.map(str::to_string),
            customer_id: customer.map(str::to_string),
            memo: memo.to_string(),
        });
    }
}
