//! Pass 2b: repaired references. An invoice number written with leading
//! zeros dropped, OCR-confusable letters or one typo is accepted only when
//! the amount confirms it: the repaired invoices (together with any exact
//! references in the same text) must add up to the payment exactly, and
//! only one combination may do so.

use super::support::{
    each_open_txn, find_subsets, fmt_money, identified, invoice_ids, note, priority, proposal,
    suggest_item, to_minor, SubsetLimits, Subsets, SOLUTIONS_ENOUGH,
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
/// Repaired (canonical) candidates combined per transaction.
const CANONICAL_CANDIDATES_MAX: usize = 12;
/// One-edit candidates per transaction; each is only tried alone.
const NEAR_CANDIDATES_MAX: usize = 64;
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
        let instalments = instalment_items(ctx, ledger);
        each_open_txn(ctx, ledger, notes, |t| {
            propose_one(ctx, ledger, t, &instalments)
        })
    }
}

/// Invoices that two or more open payments quote, each for less than the
/// open amount, together exactly for it: instalments (issue 9, three or
/// more on one day), which the instalment pass applies. A typo guess must
/// not take one of them to a neighbouring invoice of that amount. Sorted.
fn instalment_items(ctx: &Context<'_>, ledger: &Ledger) -> Vec<ItemIdx> {
    let batch = ctx.batch;
    let mut quoted: Vec<(ItemIdx, Decimal)> = (0..batch.transactions.len() as TxnIdx)
        .filter(|&t| ledger.is_open(t))
        .filter_map(|t| {
            let mut items: Vec<ItemIdx> = ctx.refs.get(t as usize).strict().collect();
            items.sort_unstable();
            items.dedup();
            let [item] = items.as_slice() else {
                return None;
            };
            let txn = batch.transactions.get(t as usize);
            (batch.open_items.get(*item as usize).currency() == txn.currency()
                && txn.amount() < ledger.item_open[*item as usize])
                .then_some((*item, txn.amount()))
        })
        .collect();
    quoted.sort_unstable();
    quoted
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|g| {
            g.len() >= 2
                && g.iter().map(|x| x.1).sum::<Decimal>() == ledger.item_open[g[0].0 as usize]
        })
        .map(|g| g[0].0)
        .collect()
}

fn propose_one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    instalments: &[ItemIdx],
) -> (Option<Proposal>, Option<PassNote>) {
    let refs = ctx.refs.get(t as usize);
    if !refs.found.iter().any(|(_, k)| {
        matches!(
            k,
            RefKind::Canonical
                | RefKind::Short
                | RefKind::ShortOfPayer
                | RefKind::Near
                | RefKind::Alternative
        )
    }) {
        return (None, None);
    }
    let txn = ctx.batch.transactions.get(t as usize);
    let usable = |i: ItemIdx| {
        ctx.batch.open_items.get(i as usize).currency() == txn.currency()
            && ledger.item_open[i as usize] > Decimal::ZERO
    };
    // Short forms of the identified payer's invoices (with any exact
    // numbers) that add up to the payment: the exact pass never sees them.
    let of_payer: Vec<ItemIdx> = refs
        .found
        .iter()
        .filter(|&&(i, k)| k == RefKind::ShortOfPayer && usable(i))
        .map(|&(i, _)| i)
        .collect();
    if !of_payer.is_empty() {
        let exact: Vec<ItemIdx> = refs
            .strict()
            .filter(|i| !of_payer.contains(i) && usable(*i))
            .collect();
        let total: Decimal = exact
            .iter()
            .chain(&of_payer)
            .map(|&i| ledger.item_open[i as usize])
            .sum();
        if total == txn.amount() && refs.strict().all(usable) {
            return (Some(accept(ctx, ledger, t, &exact, &of_payer)), None);
        }
    }
    if refs.strict().any(|i| {
        ctx.batch.open_items.get(i as usize).amount_open() == txn.amount()
            || ledger.item_open[i as usize] == txn.amount()
    }) {
        // The quoted invoice has exactly this amount: a repeat of its
        // payment is a duplicate, never a reason to pay a neighbour.
        return (None, None);
    }
    let of_kind = |kind: RefKind, max: usize| -> Vec<ItemIdx> {
        refs.found
            .iter()
            .filter(|&&(i, k)| k == kind && usable(i))
            .map(|&(i, _)| i)
            .take(max)
            .collect()
    };
    let fixed: Vec<ItemIdx> = refs.strict().filter(|&i| usable(i)).collect();
    // Repaired numbers and unconfirmed short forms: the amount decides.
    let mut canonical = of_kind(RefKind::Canonical, CANONICAL_CANDIDATES_MAX);
    for i in of_kind(RefKind::Short, CANONICAL_CANDIDATES_MAX) {
        if canonical.len() < CANONICAL_CANDIDATES_MAX {
            canonical.push(i);
        }
    }
    let near = of_kind(RefKind::Near, NEAR_CANDIDATES_MAX);
    let alternatives = of_kind(RefKind::Alternative, NEAR_CANDIDATES_MAX);
    let open = |i: &ItemIdx| ledger.item_open[*i as usize];
    let fixed_open: Decimal = fixed.iter().map(open).sum();
    let rest = txn.amount() - fixed_open;
    // 1. Repaired numbers (with the exact ones) add up to the payment.
    let values: Option<Vec<i64>> = canonical
        .iter()
        .map(|&i| to_minor(open(&i), txn.currency()))
        .collect();
    let limits = SubsetLimits {
        items_min: 1,
        items_max: canonical.len().max(1),
        steps_max: STEPS_MAX,
        solutions_max: SOLUTIONS_ENOUGH,
    };
    let subsets = match (values, to_minor(rest, txn.currency())) {
        (Some(v), Some(target)) if target > 0 && !v.is_empty() => find_subsets(&v, target, limits),
        _ => Subsets::None,
    };
    match subsets {
        Subsets::Unique(sel) => {
            let chosen: Vec<ItemIdx> = sel.iter().map(|&k| canonical[k]).collect();
            return (Some(accept(ctx, ledger, t, &fixed, &chosen)), None);
        }
        Subsets::Ambiguous(sols) | Subsets::Exhausted(sols) if !sols.is_empty() => {
            let items: Vec<ItemIdx> = sols.iter().flatten().map(|&k| canonical[k]).collect();
            return (None, Some(ambiguous(ctx, t, &items)));
        }
        _ => {}
    }
    // 2. One number had a typo: exactly one neighbour has the rest open
    //    (with the exact numbers), or, 3., the whole amount (the typo made
    //    the "exact" number another real invoice).
    for (keep, want, pool) in [(true, rest, &near), (false, txn.amount(), &alternatives)] {
        if !keep
            && (refs.strict().next().is_none()
                || refs.strict().any(|i| instalments.binary_search(&i).is_ok()))
        {
            break;
        }
        let hits: Vec<ItemIdx> = pool.iter().copied().filter(|i| open(i) == want).collect();
        match hits.as_slice() {
            [one] => {
                let kept: &[ItemIdx] = if keep { &fixed } else { &[] };
                return (Some(accept(ctx, ledger, t, kept, &[*one])), None);
            }
            [] => {}
            several => return (None, Some(ambiguous(ctx, t, several))),
        }
    }
    let candidates: Vec<ItemIdx> = canonical.iter().chain(&near).copied().collect();
    if candidates.is_empty() || !fixed.is_empty() {
        // Exact references with a difference: the differences pass decides.
        return (None, None);
    }
    let mut n = note(
        ctx,
        t,
        ReasonCode::AmountMismatch,
        priority::NEAR_MISS,
        format!(
            "remittance resembles invoice(s) {}, but the amount {} does not confirm it",
            invoice_ids(ctx, &candidates),
            fmt_money(txn.amount())
        ),
    );
    n.suggestions = candidates
        .iter()
        .map(|&i| suggest_item(ctx, i, UNCONFIRMED_SCORE, Rule::FuzzyReference))
        .collect();
    (None, Some(n))
}

fn ambiguous(ctx: &Context<'_>, t: TxnIdx, items: &[ItemIdx]) -> PassNote {
    let mut n = note(
        ctx,
        t,
        ReasonCode::AmbiguousMatch,
        priority::AMBIGUOUS,
        format!(
            "repaired references fit the amount in more than one way: {}",
            invoice_ids(ctx, items)
        ),
    );
    n.suggestions = items
        .iter()
        .map(|&i| suggest_item(ctx, i, UNCONFIRMED_SCORE, Rule::FuzzyReference))
        .collect();
    n
}

fn accept(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    fixed: &[ItemIdx],
    chosen: &[ItemIdx],
) -> Proposal {
    let refs = ctx.refs.get(t as usize);
    let near = chosen
        .iter()
        .any(|&i| matches!(refs.kind_of(i), Some(RefKind::Near | RefKind::Alternative)));
    let all: Vec<ItemIdx> = fixed.iter().chain(chosen).copied().collect();
    let mut confidence = if near {
        NEAR_CONFIDENCE
    } else {
        CANONICAL_CONFIDENCE
    } - EXTRA_ITEM_PENALTY * (all.len() - 1) as f64;
    let short = chosen.iter().any(|&i| {
        matches!(
            refs.kind_of(i),
            Some(RefKind::Short | RefKind::ShortOfPayer)
        )
    });
    let repair = if near {
        "one edit from"
    } else if short {
        "is a short form of"
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
    if let Some((party, _, evidence, method)) = identified(ctx, t) {
        let owners = || all.iter().map(|&i| ctx.parties.of_item(ctx.batch, i));
        if method == IdMethod::Account && owners().any(|o| !ctx.parties.pays_for(party, o)) {
            confidence *= PAYER_MISMATCH_FACTOR;
            explanation.push_str(&format!("; but {evidence}"));
        } else if owners().any(|o| o != party && ctx.parties.pays_for(party, o)) {
            explanation.push_str(&format!(
                "; {evidence}, the parent of the invoices' customer (customer master parent_id)"
            ));
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
