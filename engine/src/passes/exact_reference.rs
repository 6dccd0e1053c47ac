//! Pass: invoice numbers in the remittance text whose open amounts add up to
//! exactly the payment.

use super::support::held_note;
use super::{Context, Pass, PassNote};
use crate::allocate::{Ledger, Proposal, ProposalLine};
use crate::config::{PassRule, Rules};
use crate::model::{Explanation, ItemIdx, ReasonCode, Rule, TxnIdx};
use crate::references::RefKind;
use rayon::prelude::*;
use rust_decimal::Decimal;

/// Confidence of a single referenced invoice paid to the cent.
const SINGLE_CONFIDENCE: f64 = 1.0;
/// Several references summing exactly are slightly less certain: one of them
/// could be a typo that happens to sum.
const MULTI_CONFIDENCE: f64 = 0.98;

/// Exact reference matching.
pub struct ExactReference;

impl Pass for ExactReference {
    fn name(&self) -> &'static str {
        "exact_reference"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        rules.matching.exact_reference
    }

    fn reads_exact_refs_only(&self) -> bool {
        true
    }

    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal> {
        // Only transactions with a proposal or a note are kept: a slot of
        // two `None`s per open transaction was ~250 bytes each, the exact
        // pass's largest transient at 1M payments (issue 8).
        let results: Vec<(Option<Proposal>, Option<PassNote>)> = (0..ctx.batch.transactions.len()
            as TxnIdx)
            .into_par_iter()
            .filter(|&t| ledger.is_open(t))
            .map_init(Vec::new, |found, t| propose_one(ctx, ledger, t, found))
            .filter(|(p, n)| p.is_some() || n.is_some())
            .collect();
        let mut proposals = Vec::new();
        for (p, n) in results {
            proposals.extend(p);
            notes.extend(n);
        }
        proposals
    }
}

fn propose_one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    found: &mut Vec<ItemIdx>,
) -> (Option<Proposal>, Option<PassNote>) {
    let txn = ctx.batch.transactions.get(t as usize);
    let window = ctx.rules.matching.reference_window_tokens_max.max(1);
    ctx.references
        .find_in_text(ctx.batch, txn.remittance_info(), window, found);
    // The extraction rules decide what in the text is a reference (issue 9:
    // dates, amounts, customer numbers and unannounced short numbers are
    // not; full-width digits are folded): keep what they kept, add what
    // only folding found.
    let refs = ctx.refs.get(t as usize);
    found.retain(|&i| matches!(refs.kind_of(i), Some(RefKind::Exact | RefKind::Structured)));
    for &(i, k) in refs.found {
        if k == RefKind::Exact && !found.contains(&i) {
            found.push(i);
        }
    }
    for r in txn.structured_refs() {
        let mut more = Vec::new();
        ctx.references.find_in_text(ctx.batch, r, window, &mut more);
        for m in more {
            if !found.contains(&m) {
                found.push(m);
            }
        }
    }
    // Another company's invoice is not a candidate (the reference filter
    // dropped it from `refs`; the structured references above are read
    // again from the index).
    found.retain(|&i| ctx.companies.allows(t, i));
    if found.is_empty() {
        return (None, None);
    }
    if let Some(n) = held_note(ctx, t, found) {
        return (None, Some(n));
    }
    let items = &ctx.batch.open_items;
    if let Some(&other) = found
        .iter()
        .find(|&&i| items.get(i as usize).currency() != txn.currency())
    {
        let note = PassNote {
            txn: t,
            reason: ReasonCode::CurrencyMismatch,
            priority: 40,
            detail: format!(
                "invoice {} is in {}, payment in {}",
                items.get(other as usize).invoice_id(),
                items.get(other as usize).currency(),
                txn.currency()
            ),
            customer_id: Some(items.get(other as usize).customer_id().to_string()),
            customer: None,
            suggestions: Vec::new(),
        };
        return (None, Some(note));
    }
    let open_sum: Decimal = found.iter().map(|&i| ledger.item_open[i as usize]).sum();
    let ids = || {
        found
            .iter()
            .map(|&i| items.get(i as usize).invoice_id())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if open_sum != txn.amount()
        || found
            .iter()
            .any(|&i| ledger.item_open[i as usize] <= Decimal::ZERO)
    {
        let (reason, detail) = if found
            .iter()
            .any(|&i| ledger.item_open[i as usize] <= Decimal::ZERO)
        {
            (
                ReasonCode::DuplicatePayment,
                format!(
                    "invoice number(s) {} in remittance, but already paid",
                    ids()
                ),
            )
        } else {
            (
                ReasonCode::AmountMismatch,
                format!(
                    "invoice number(s) {} in remittance; open {} vs paid {}",
                    ids(),
                    open_sum,
                    txn.amount()
                ),
            )
        };
        let customer_id = Some(items.get(found[0] as usize).customer_id().to_string());
        return (
            None,
            Some(PassNote {
                txn: t,
                reason,
                priority: 35,
                detail,
                customer_id,
                customer: None,
                suggestions: Vec::new(),
            }),
        );
    }
    let lines = found
        .iter()
        .map(|&i| ProposalLine::cash(t, i, ledger.item_open[i as usize]))
        .collect();
    // The words are written with the outputs (`Explanation::render_into`).
    let (confidence, explanation) = if let [one] = found.as_slice() {
        (SINGLE_CONFIDENCE, Explanation::ExactOne(*one))
    } else {
        (
            MULTI_CONFIDENCE,
            Explanation::ExactMany(found.as_slice().into()),
        )
    };
    let customer_id = Some(items.get(found[0] as usize).customer_id().to_string());
    (
        Some(Proposal {
            txns: vec![t],
            lines,
            rule: Rule::ExactReference,
            confidence,
            explanation,
            customer: None,
            customer_id,
        }),
        None,
    )
}
