//! Everything not applied becomes an exception row with a stable reason code:
//! the unapplied money of each transaction, exactly once.

use crate::allocate::Ledger;
use crate::identify::IdMethod;
use crate::model::{Batch, CustomerId, ExceptionDetail, ExceptionRecord, ReasonCode, TxnIdx};
use crate::passes::Context;
use crate::references::RefKind;
use rust_decimal::Decimal;

/// Suggestions kept per exception, best first.
pub const SUGGESTIONS_MAX: usize = 5;

/// Clears the customer the passes' notes left on a transaction when no
/// evidence that identifies the payer names that customer (issue 9). A
/// customer on an exception is a claim a clerk acts on, so only these may
/// set it: the identification by account, name, customer number or
/// purchase order; an invoice the payer quoted (structured, exact, or a
/// short form resolved among the identified payer's items); a repaired
/// number (leading zeros, OCR letters) of an invoice in the payment's own
/// currency. A one-edit likeness, an unconfirmed short form or an invoice
/// in another currency reached only by repair never does. Run after the
/// cascade, before [`build`].
pub fn drop_unevidenced_customers(ctx: &Context<'_>, ledger: &mut Ledger) {
    let batch = ctx.batch;
    for (t, note) in ledger.notes.iter_mut() {
        let t = t as usize;
        let Some(customer) = note.customer_id.as_deref() else {
            continue;
        };
        let identity = ctx.identities.get(t).id;
        let by_identity = identity.is_some_and(|id| {
            id.method != IdMethod::InvoiceReference
                && ctx.parties.list[id.party as usize].customer_id == customer
        });
        let currency = batch.transactions.get(t).currency();
        let by_reference = ctx.refs.get(t).found.iter().any(|&(i, kind)| {
            let item = batch.open_items.get(i as usize);
            item.customer_id() == customer
                && match kind {
                    RefKind::Structured | RefKind::Exact | RefKind::ShortOfPayer => true,
                    RefKind::Canonical => item.currency() == currency,
                    _ => false,
                }
        });
        if !by_identity && !by_reference {
            note.customer_id = None;
            note.customer = None;
        }
    }
}

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
            // A remittance advice's note (an advice line that could not be
            // applied) explains the rest better than "overpayment".
            let advice_note =
                ledger.notes[i].priority >= crate::passes::remittance_advice::NOTE_PRIORITY;
            // A person's decision records what was decided instead.
            let decided = ledger.notes[i].reason.is_some_and(ReasonCode::is_decided);
            if applied_item[i].is_some() && !advice_note && !decided {
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
