//! Pass 4b: a subset of the identified customer's open items that sums to
//! the payment exactly. The search is bounded by candidates (oldest due
//! first), subset size and steps, never by time, so it is deterministic.
//! Only a unique subset is applied: two fitting subsets, or a search that ran
//! out of budget, leave the payment for a person with suggestions.
//!
//! Payments of one night compete for one customer's items: an item another
//! open payment quotes by reference, or that another payment's combination
//! takes with higher confidence, is claimed by stronger evidence. A payment
//! whose combination (or ambiguous search) touches such an item searches
//! again without the claimed items, a bounded number of rounds
//! ([`RESEARCHES_MAX`]): what is left often has one fitting combination.

use super::support::{
    clear_items, find_subsets, fmt_money, identified, invoice_ids, note, open_items_of, priority,
    rank_combinations, rank_factor, suggest_item, to_minor, Ranking, SubsetLimits, Subsets,
};
use super::{Context, Pass, PassNote};
use crate::allocate::{Ledger, Proposal};
use crate::config::{PassRule, Rules};
use crate::model::{ItemIdx, ReasonCode, Rule, TxnIdx};
use std::collections::HashMap;

/// One open transaction's answer from the search: what it proposes, and the
/// note that explains it (or why nothing was proposed).
type ProposalAndNote = (Option<Proposal>, Option<PassNote>);

/// A unique exact subset; multiplied by the identification confidence, so
/// a name-only identification at the similarity floor stays a suggestion.
const CONFIDENCE: f64 = 0.92;
/// Score of each invoice of an ambiguous or unfinished search.
const CANDIDATE_SCORE: f64 = 0.45;
/// Several combinations add up, one clearly ahead by payer habit: below a
/// unique combination, since the payer did not say which.
const RANKED_CONFIDENCE: f64 = 0.90;
/// Invoices suggested for an ambiguous search (best-ranked combination
/// first), as many as two full combinations of the default size bound.
const SUGGESTIONS_MAX: usize = 16;

/// Rounds of searching again after the first, each without the items other
/// payments claim by stronger evidence in the round before: a payment
/// resolved in one round may free the next (claims of claims), and three
/// rounds bound the work (each round searches only payments still touching
/// a claimed item).
pub const RESEARCHES_MAX: usize = 3;
/// Confidence of a claim by a quoted reference (structured, exact or a
/// short form of the identified payer): above any combination.
const REFERENCE_CLAIM: f64 = 1.0;

/// Subset-sum matching within the identified customer.
pub struct SubsetSum;

impl Pass for SubsetSum {
    fn name(&self) -> &'static str {
        "subset_sum"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        rules.matching.subset_sum
    }

    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal> {
        use rayon::prelude::*;
        let open: Vec<TxnIdx> = (0..ctx.batch.transactions.len() as TxnIdx)
            .filter(|&t| ledger.is_open(t))
            .collect();
        let mut results: Vec<(Option<Proposal>, Option<PassNote>)> = open
            .par_iter()
            .map(|&t| propose_one(ctx, ledger, t, &[]))
            .collect();
        let auto_min = self.rule(ctx.rules).auto_apply_min;
        for _ in 0..RESEARCHES_MAX {
            let claims = claims(ctx, ledger, &open, &results, auto_min);
            if claims.is_empty() {
                break;
            }
            // Payments whose first answer touches an item another payment
            // claims more strongly: search again without those items.
            let again: Vec<(usize, Vec<ItemIdx>)> = open
                .iter()
                .enumerate()
                .filter_map(|(k, &t)| {
                    let own = match &results[k] {
                        (Some(p), _) => p.confidence,
                        (None, Some(_)) => 0.0,
                        // Nothing fits even with every item: fewer items
                        // fit no better.
                        (None, None) => return None,
                    };
                    let excluded = claimed_from(ctx, ledger, &claims, t, own)?;
                    let touches = match &results[k] {
                        (Some(p), _) => p.lines.iter().any(|l| excluded.contains(&l.item)),
                        _ => true,
                    };
                    touches.then_some((k, excluded))
                })
                .collect();
            if again.is_empty() {
                break;
            }
            let redone: Vec<(usize, ProposalAndNote)> = again
                .par_iter()
                .map(|(k, excluded)| (*k, propose_one(ctx, ledger, open[*k], excluded)))
                .collect();
            for (k, r) in redone {
                // Nothing better without the claimed items: keep the first
                // answer (its note names every combination).
                if r.0.is_some() {
                    results[k] = r;
                }
            }
        }
        let mut proposals = Vec::new();
        for (p, n) in results {
            proposals.extend(p);
            notes.extend(n);
        }
        proposals
    }
}

/// Who claims which open item, and how strongly: open payments quoting it
/// by reference, and the auto-applicable combinations of the first round.
fn claims(
    ctx: &Context<'_>,
    ledger: &Ledger,
    open: &[TxnIdx],
    results: &[(Option<Proposal>, Option<PassNote>)],
    auto_min: f64,
) -> HashMap<ItemIdx, Vec<(TxnIdx, f64)>> {
    let mut out: HashMap<ItemIdx, Vec<(TxnIdx, f64)>> = HashMap::new();
    for (k, &t) in open.iter().enumerate() {
        for i in ctx.refs.get(t as usize).strict() {
            if ledger.item_open[i as usize] > rust_decimal::Decimal::ZERO {
                out.entry(i).or_default().push((t, REFERENCE_CLAIM));
            }
        }
        if let (Some(p), _) = &results[k] {
            if p.confidence >= auto_min {
                for l in &p.lines {
                    out.entry(l.item).or_default().push((t, p.confidence));
                }
            }
        }
    }
    out
}

/// The candidate items of payment `t` that another payment claims with more
/// confidence than `own`; `None` when there are none (or `t` identifies no
/// customer).
fn claimed_from(
    ctx: &Context<'_>,
    ledger: &Ledger,
    claims: &HashMap<ItemIdx, Vec<(TxnIdx, f64)>>,
    t: TxnIdx,
    own: f64,
) -> Option<Vec<ItemIdx>> {
    let (party, _, _, _) = identified(ctx, t)?;
    let excluded: Vec<ItemIdx> = open_items_of(ctx, ledger, party, t)
        .into_iter()
        .filter(|i| {
            claims
                .get(i)
                .is_some_and(|c| c.iter().any(|&(u, conf)| u != t && conf > own))
        })
        .collect();
    (!excluded.is_empty()).then_some(excluded)
}

fn propose_one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    excluded: &[ItemIdx],
) -> (Option<Proposal>, Option<PassNote>) {
    let Some((party, id_confidence, evidence, _)) = identified(ctx, t) else {
        return (None, None);
    };
    if ctx.refs.get(t as usize).has_any() {
        return (None, None);
    }
    let m = &ctx.rules.matching;
    let txn = ctx.batch.transactions.get(t as usize);
    let open = open_items_of(ctx, ledger, party, t);
    let mut items = open.clone();
    items.retain(|i| !excluded.contains(i));
    if items
        .iter()
        .any(|&i| ledger.item_open[i as usize] == txn.amount())
    {
        // Open items of exactly the amount were left by `customer_amount`
        // as a tie (or held back by a purchase order): a payer pays one
        // invoice of that amount far more often than a combination that
        // happens to add up to it, so no combination may win over them.
        return (None, None);
    }
    items.retain(|&i| ledger.item_open[i as usize] < txn.amount());
    items.truncate(m.subset_candidates_max);
    if items.len() < 2 {
        return (None, None);
    }
    let values: Option<Vec<i64>> = items
        .iter()
        .map(|&i| to_minor(ledger.item_open[i as usize], txn.currency()))
        .collect();
    let (Some(values), Some(target)) = (values, to_minor(txn.amount(), txn.currency())) else {
        return (None, None);
    };
    let limits = SubsetLimits {
        items_min: 2,
        items_max: m.subset_items_max,
        steps_max: m.subset_steps_max,
        solutions_max: m.subset_solutions_max,
    };
    let amount = fmt_money(txn.amount());
    let result = find_subsets(&values, target, limits);
    let exhausted = matches!(result, Subsets::Exhausted(_));
    match result {
        Subsets::Unique(sel) => {
            let chosen: Vec<ItemIdx> = sel.iter().map(|&k| items[k]).collect();
            let explanation = format!(
                "{evidence}; open items {} add up to {amount}, the only combination among {} candidates{}",
                invoice_ids(ctx, &chosen),
                items.len(),
                claimed_note(ctx, excluded)
            );
            (
                Some(clear_items(
                    ctx,
                    ledger,
                    t,
                    &chosen,
                    Rule::CustomerSubsetSum,
                    CONFIDENCE * id_confidence,
                    explanation,
                )),
                None,
            )
        }
        Subsets::None => (None, None),
        Subsets::Ambiguous(sols) | Subsets::Exhausted(sols) => {
            // Ranked only when every fitting combination is known: the
            // search finished and stopped short of the solutions bound.
            let complete = !exhausted && sols.len() < m.subset_solutions_max.max(2);
            let combos: Vec<Vec<ItemIdx>> = sols
                .iter()
                .map(|s| s.iter().map(|&k| items[k]).collect())
                .collect();
            let margin_min = m.combination_margin_min;
            let ranking = rank_combinations(
                ctx,
                &open,
                &combos,
                txn.value_date().or(txn.booking_date()),
                margin_min,
            );
            if let (true, Ranking::Clear { best, margin }) = (complete, &ranking) {
                let explanation = format!(
                    "{evidence}; {} combinations of open items add up to {amount}, {} ranked first by payer habit ({}, score {:.2}, {margin:.2} ahead of the next; margin {margin_min:.2}){}",
                    combos.len(),
                    invoice_ids(ctx, &best.items),
                    best.habits,
                    best.score,
                    claimed_note(ctx, excluded)
                );
                return (
                    Some(clear_items(
                        ctx,
                        ledger,
                        t,
                        &best.items,
                        Rule::CustomerSubsetSum,
                        RANKED_CONFIDENCE * id_confidence,
                        explanation,
                    )),
                    None,
                );
            }
            let detail = if !complete && sols.len() >= 2 {
                format!(
                    "{evidence}; {} or more combinations of open items add up to {amount}",
                    sols.len()
                )
            } else if sols.len() >= 2 {
                format!("{evidence}; {} combinations of open items add up to {amount} and none is clearly ahead by payer habit", sols.len())
            } else {
                format!(
                    "{evidence}; subset search stopped after {} steps without a unique answer",
                    m.subset_steps_max
                )
            };
            let mut n = note(
                ctx,
                t,
                ReasonCode::AmbiguousMatch,
                priority::AMBIGUOUS,
                detail,
            );
            // Best-ranked combination first (each invoice once, scored
            // lower with each combination down the ranking, since
            // suggestions are listed by score).
            let ranked: Vec<Vec<ItemIdx>> = match ranking {
                Ranking::Clear { best, .. } => vec![best.items],
                Ranking::Undecided(r) => r.into_iter().map(|r| r.items).collect(),
            };
            let mut seen: Vec<ItemIdx> = Vec::new();
            let mut suggestions = Vec::new();
            for (place, combo) in ranked.iter().chain(&combos).enumerate() {
                for &i in combo {
                    if seen.contains(&i) || seen.len() >= SUGGESTIONS_MAX {
                        continue;
                    }
                    seen.push(i);
                    let score = CANDIDATE_SCORE * id_confidence * rank_factor(place);
                    suggestions.push(suggest_item(ctx, i, score, Rule::CustomerSubsetSum));
                }
            }
            n.suggestions = suggestions;
            (None, Some(n))
        }
    }
}

/// `; without INV-1, INV-2 (claimed by other payments of this run)`, or
/// nothing when the first search stood.
fn claimed_note(ctx: &Context<'_>, excluded: &[ItemIdx]) -> String {
    if excluded.is_empty() {
        String::new()
    } else {
        format!(
            "; searched again without {} (claimed by other payments of this run)",
            invoice_ids(ctx, excluded)
        )
    }
}
