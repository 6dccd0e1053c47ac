//! Pass 1: structured references (ISO 11649 `RF` with valid check digits,
//! Swiss QR references, invoice numbers the bank carried in a structured
//! field) whose invoices' open amounts equal the payment.

use super::support::{clear_items, each_open_txn, held_note, invoice_ids, note};
use super::{Context, Pass, PassNote};
use crate::allocate::{Ledger, Proposal};
use crate::config::{PassRule, Rules};
use crate::model::{ItemIdx, ReasonCode, Rule, TxnIdx};
use crate::references::RefKind;
use rust_decimal::Decimal;

/// The payer's bank carried the reference in a field made for it, and the
/// check digits hold: as certain as matching gets.
const CONFIDENCE: f64 = 1.0;
/// Note priority of a reference that fails its check digits: weak, a later
/// pass may still match the payment.
const INVALID_REFERENCE_PRIORITY: u8 = 20;
/// Note priority of a currency mismatch (same as the exact pass).
const CURRENCY_PRIORITY: u8 = 40;

/// Structured reference matching.
pub struct StructuredReference;

impl Pass for StructuredReference {
    fn name(&self) -> &'static str {
        "structured_reference"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        rules.matching.structured_reference
    }

    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal> {
        each_open_txn(ctx, ledger, notes, |t| propose_one(ctx, ledger, t))
    }
}

fn propose_one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
) -> (Option<Proposal>, Option<PassNote>) {
    let txn = ctx.batch.transactions.get(t as usize);
    let refs = ctx.refs.get(t as usize);
    let items: Vec<ItemIdx> = refs
        .found
        .iter()
        .filter(|(_, k)| *k == RefKind::Structured)
        .map(|&(i, _)| i)
        .collect();
    if items.is_empty() {
        let n = refs.problems.first().map(|p| {
            note(
                ctx,
                t,
                ReasonCode::UnknownReference,
                INVALID_REFERENCE_PRIORITY,
                p.to_string(),
            )
        });
        return (None, n);
    }
    let open_items = &ctx.batch.open_items;
    if let Some(&other) = items
        .iter()
        .find(|&&i| open_items.get(i as usize).currency() != txn.currency())
    {
        let it = open_items.get(other as usize);
        let mut n = note(
            ctx,
            t,
            ReasonCode::CurrencyMismatch,
            CURRENCY_PRIORITY,
            format!(
                "structured reference names invoice {} in {}, payment in {}",
                it.invoice_id(),
                it.currency(),
                txn.currency()
            ),
        );
        n.customer_id
            .get_or_insert_with(|| it.customer_id().to_string());
        return (None, Some(n));
    }
    if let Some(n) = held_note(ctx, t, &items) {
        return (None, Some(n));
    }
    let open: Decimal = items.iter().map(|&i| ledger.item_open[i as usize]).sum();
    if open != txn.amount()
        || items
            .iter()
            .any(|&i| ledger.item_open[i as usize] <= Decimal::ZERO)
    {
        // A difference: the differences pass explains it.
        return (None, None);
    }
    let what = if items.len() == 1 {
        "invoice"
    } else {
        "invoices"
    };
    let explanation = format!(
        "structured reference names {what} {}; amount equal",
        invoice_ids(ctx, &items)
    );
    (
        Some(clear_items(
            ctx,
            ledger,
            t,
            &items,
            Rule::StructuredReference,
            CONFIDENCE,
            explanation,
        )),
        None,
    )
}
