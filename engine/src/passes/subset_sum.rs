//! Pass 4b: a subset of the identified customer's open items that sums to
//! the payment exactly. The search is bounded by candidates (oldest due
//! first), subset size and steps, never by time, so it is deterministic.
//! Only a unique subset is applied: two fitting subsets, or a search that ran
//! out of budget, leave the payment for a person with suggestions.

use super::support::{
    clear_items, each_open_txn, find_subsets, fmt_money, identified, invoice_ids, note,
    open_items_of, priority, rank_combinations, rank_factor, suggest_item, to_minor, Ranking,
    SubsetLimits, Subsets,
};
use super::{Context, Pass, PassNote};
use crate::allocate::{Ledger, Proposal};
use crate::config::{PassRule, Rules};
use crate::model::{ItemIdx, ReasonCode, Rule, TxnIdx};

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
        each_open_txn(ctx, ledger, notes, |t| propose_one(ctx, ledger, t))
    }
}

fn propose_one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
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
                "{evidence}; open items {} add up to {amount}, the only combination among {} candidates",
                invoice_ids(ctx, &chosen),
                items.len()
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
                    "{evidence}; {} combinations of open items add up to {amount}, {} ranked first by payer habit ({}, score {:.2}, {margin:.2} ahead of the next; margin {margin_min:.2})",
                    combos.len(),
                    invoice_ids(ctx, &best.items),
                    best.habits,
                    best.score,
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
