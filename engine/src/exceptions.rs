//! Everything not applied becomes an exception row with a stable reason code:
//! the unapplied money of each transaction, exactly once.

use crate::allocate::Ledger;
use crate::model::{Batch, ExceptionRecord, ReasonCode, TxnIdx};
use rust_decimal::Decimal;

/// Suggestions kept per exception, best first.
pub const SUGGESTIONS_MAX: usize = 5;

/// Builds the exception rows from the final ledger, in transaction order.
pub fn build(batch: &Batch, ledger: &Ledger) -> Vec<ExceptionRecord> {
    let mut out = Vec::new();
    let mut applied_any = vec![false; batch.transactions.len()];
    let mut applied_customer: Vec<Option<String>> = vec![None; batch.transactions.len()];
    for a in &ledger.applications {
        applied_any[a.txn as usize] = true;
        applied_customer[a.txn as usize].get_or_insert_with(|| {
            batch
                .open_items
                .get(a.item as usize)
                .customer_id()
                .to_string()
        });
    }
    for (i, txn) in batch.transactions.iter().enumerate() {
        let t = i as TxnIdx;
        let note = &ledger.notes[i];
        let (amount, reason, detail) = if txn.amount().is_zero() {
            (
                txn.amount(),
                ReasonCode::ZeroAmount,
                "zero-amount entry: counted, nothing to apply".to_string(),
            )
        } else if txn.amount() < Decimal::ZERO {
            (
                txn.amount(),
                ReasonCode::NotAReceipt,
                "debit on the bank account: not a customer receipt".to_string(),
            )
        } else {
            let remaining = ledger.txn_remaining[i];
            if remaining.is_zero() {
                continue;
            }
            if applied_any[i] {
                (
                    remaining,
                    ReasonCode::Overpayment,
                    format!(
                        "{remaining} left on account after applying to the referenced invoices"
                    ),
                )
            } else {
                let reason = note.reason.unwrap_or(ReasonCode::NoMatch);
                let detail = if note.detail.is_empty() {
                    "no invoice reference and no customer/amount rule matched".to_string()
                } else {
                    note.detail.clone()
                };
                (remaining, reason, detail)
            }
        };
        let mut suggestions = note.suggestions.clone();
        suggestions.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.invoice_id.cmp(&b.invoice_id))
        });
        suggestions.truncate(SUGGESTIONS_MAX);
        out.push(ExceptionRecord {
            txn: t,
            amount,
            reason,
            customer: note.customer,
            customer_id: applied_customer[i]
                .clone()
                .or_else(|| note.customer_id.clone()),
            detail,
            suggestions,
        });
    }
    out
}
