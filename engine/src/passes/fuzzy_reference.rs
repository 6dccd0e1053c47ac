//! Pass 2b: repaired references. An invoice number written with leading
//! zeros dropped, OCR-confusable letters or one typo is accepted only when
//! the amount confirms it: the repaired invoices (together with any exact
//! references in the same text) must add up to the payment exactly, and
//! only one combination may do so.

use super::support::{
    each_open_txn, find_subsets, identified, invoice_ids, note, priority, proposal, suggest_item,
    to_minor, SubsetLimits, Subsets,
};
use super::{Context, Pass, PassNote};
use crate::allocate::{Ledger, Proposal, ProposalLine};
use crate::config::{PassRule, Rules};
use crate::identify::IdMethod;
use crate::model::{ItemIdx, ReasonCode, Rule, TxnIdx};
use crate::references::RefKind;
use rust_decimal::Decimal;

/// Leading zeros, separators or OCR letters repaired; amount equal.
const CANONICAL_CONFIDENCE: f64 = 0.96;
/// One edit away; amount equal. Below canonical: an edit can reach a
/// neighbouring invoice number.
const NEAR_CONFIDENCE: f64 = 0.92;
/// Each further invoice in the combination: more room for coincidence.
const EXTRA_ITEM_PENALTY: f64 = 0.01;
/// The payer's account belongs to another customer than the invoices: keep
/// it a suggestion (remittance spoofing, B3-33).
const PAYER_MISMATCH_FACTOR: f64 = 0.8;
/// Candidate invoices considered per transaction.
const CANDIDATES_MAX: usize = 12;
/// Search steps per transaction; 2^12 subsets at most anyway.
const STEPS_MAX: u64 = 10_000;
/// Score of a repaired reference the amount did not confirm.
const UNCONFIRMED_SCORE: f64 = 0.4;

/// Repaired reference matching.
pub struct FuzzyReference;

impl Pass for FuzzyReference {
    fn name(&self) -> &'static str {
        "fuzzy_reference"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        rules.matching.fuzzy_reference
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
    let refs = &ctx.refs[t as usize];
    if !refs
        .found
        .iter()
        .any(|(_, k)| matches!(k, RefKind::Canonical | RefKind::Near))
    {
        return (None, None);
    }
    let txn = &ctx.batch.transactions[t as usize];
    let usable = |i: ItemIdx| {
        ctx.batch.open_items[i as usize].currency == txn.currency
            && ledger.item_open[i as usize] > Decimal::ZERO
    };
    let fixed: Vec<ItemIdx> = refs.strict().filter(|&i| usable(i)).collect();
    let mut free: Vec<ItemIdx> = refs
        .found
        .iter()
        .filter(|(i, k)| matches!(k, RefKind::Canonical | RefKind::Near) && usable(*i))
        .map(|&(i, _)| i)
        .collect();
    free.truncate(CANDIDATES_MAX);
    let fixed_open: Decimal = fixed.iter().map(|&i| ledger.item_open[i as usize]).sum();
    let target = to_minor(txn.amount - fixed_open, &txn.currency);
    let values: Option<Vec<i64>> = free
        .iter()
        .map(|&i| to_minor(ledger.item_open[i as usize], &txn.currency))
        .collect();
    let (Some(target), Some(values)) = (target, values) else {
        return (None, None);
    };
    let limits = SubsetLimits {
        items_min: 1,
        items_max: free.len().max(1),
        steps_max: STEPS_MAX,
    };
    let found = if target > 0 {
        find_subsets(&values, target, limits)
    } else {
        Subsets::None
    };
    match found {
        Subsets::Unique(sel) => {
            let chosen_free: Vec<ItemIdx> = sel.iter().map(|&k| free[k]).collect();
            (Some(accept(ctx, ledger, t, &fixed, &chosen_free)), None)
        }
        Subsets::Ambiguous(sols) | Subsets::Exhausted(sols) if !sols.is_empty() => {
            let mut n = note(
                ctx,
                t,
                ReasonCode::AmbiguousMatch,
                priority::AMBIGUOUS,
                format!(
                    "repaired references fit the amount in more than one way: {}",
                    invoice_ids(ctx, &free)
                ),
            );
            n.suggestions = sols
                .iter()
                .flatten()
                .map(|&k| suggest_item(ctx, free[k], UNCONFIRMED_SCORE, Rule::FuzzyReference))
                .collect();
            (None, Some(n))
        }
        _ => {
            if free.is_empty() {
                return (None, None);
            }
            let mut n = note(
                ctx,
                t,
                ReasonCode::AmountMismatch,
                priority::NEAR_MISS,
                format!(
                    "remittance resembles invoice(s) {}, but the amount {} does not confirm it",
                    invoice_ids(ctx, &free),
                    txn.amount
                ),
            );
            n.suggestions = free
                .iter()
                .map(|&i| suggest_item(ctx, i, UNCONFIRMED_SCORE, Rule::FuzzyReference))
                .collect();
            (None, Some(n))
        }
    }
}

fn accept(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    fixed: &[ItemIdx],
    chosen: &[ItemIdx],
) -> Proposal {
    let refs = &ctx.refs[t as usize];
    let near = chosen
        .iter()
        .any(|&i| refs.kind_of(i) == Some(RefKind::Near));
    let all: Vec<ItemIdx> = fixed.iter().chain(chosen).copied().collect();
    let mut confidence = if near {
        NEAR_CONFIDENCE
    } else {
        CANONICAL_CONFIDENCE
    } - EXTRA_ITEM_PENALTY * (all.len() - 1) as f64;
    let repair = if near {
        "one edit from"
    } else {
        "leading zeros/OCR letters repaired to"
    };
    let mut explanation = format!(
        "remittance number {repair} invoice {}; amount equal",
        invoice_ids(ctx, chosen)
    );
    if !fixed.is_empty() {
        explanation.push_str(&format!(" with invoice(s) {}", invoice_ids(ctx, fixed)));
    }
    if let Some((party, _, evidence, IdMethod::Account)) = identified(ctx, t) {
        if all
            .iter()
            .any(|&i| ctx.parties.of_item(ctx.batch, i) != party)
        {
            confidence *= PAYER_MISMATCH_FACTOR;
            explanation.push_str(&format!("; but {evidence}"));
        }
    }
    let lines = all
        .iter()
        .map(|&i| ProposalLine::cash(t, i, ledger.item_open[i as usize]))
        .collect();
    proposal(
        ctx,
        vec![t],
        lines,
        Rule::FuzzyReference,
        confidence,
        explanation,
    )
}
