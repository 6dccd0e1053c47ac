//! Everything not applied becomes an exception row with a stable reason code:
//! the unapplied money of each transaction, exactly once.

use crate::allocate::Ledger;
use crate::model::{Batch, CustomerId, ExceptionDetail, ExceptionRecord, ReasonCode, TxnIdx};
use rust_decimal::Decimal;

/// Suggestions kept per exception, best first.
pub const SUGGESTIONS_MAX: usize = 5;

/// Builds the exception rows from the final ledger, in transaction order.
/// The notes' texts, customer ids and suggestions are moved out of the
/// ledger, not copied: the ledger is spent after this (only its
/// applications and balances are read).
pub fn build(batch: &Batch, ledger: &mut Ledger) -> Vec<ExceptionRecord> {
    let mut out = Vec::new();
    // The first application of each transaction names its customer (the
    // applications are in acceptance order here).
    let mut applied_item: Vec<Option<u32>> = vec![None; batch.transactions.len()];
    for a in &ledger.applications {
        let first = &mut applied_item[a.txn as usize];
        if first.is_none() {
            *first = Some(a.item);
        }
    }
    for (i, txn) in batch.transactions.iter().enumerate() {
        let t = i as TxnIdx;
        let (amount, reason, detail) = if txn.amount().is_zero() {
            (
                txn.amount(),
                ReasonCode::ZeroAmount,
                ExceptionDetail::ZeroAmount,
            )
        } else if txn.amount() < Decimal::ZERO {
            (
                txn.amount(),
                ReasonCode::NotAReceipt,
                ExceptionDetail::NotAReceipt,
            )
        } else {
            let remaining = ledger.txn_remaining[i];
            if remaining.is_zero() {
                continue;
            }
            let decided = ledger.notes[i].reason.is_some_and(ReasonCode::is_decided);
            if applied_item[i].is_some() && !decided {
                (
                    remaining,
                    ReasonCode::Overpayment,
                    ExceptionDetail::Overpayment,
                )
            } else {
                let note = &mut ledger.notes[i];
                let reason = note.reason.unwrap_or(ReasonCode::NoMatch);
                let detail = if note.detail.is_empty() {
                    ExceptionDetail::NoMatch
                } else {
                    ExceptionDetail::Note(std::mem::take(&mut note.detail))
                };
                (remaining, reason, detail)
            }
        };
        let note = &mut ledger.notes[i];
        let mut suggestions = std::mem::take(&mut note.suggestions);
        suggestions.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.invoice_id.cmp(&b.invoice_id))
        });
        suggestions.truncate(SUGGESTIONS_MAX);
        let customer_id = match (applied_item[i], note.customer_id.take()) {
            // A decision names the customer whose account the rest is on.
            (_, Some(id)) if note.reason.is_some_and(ReasonCode::is_decided) => {
                Some(CustomerId::Found(id))
            }
            (Some(item), _) => Some(CustomerId::OfItem(item)),
            (None, found) => found.map(CustomerId::Found),
        };
        out.push(ExceptionRecord {
            txn: t,
            amount,
            reason,
            customer: note.customer,
            customer_id,
            detail,
            suggestions,
        });
    }
    out
}
