//! Pass 4b: a subset of the identified customer's open items that sums to
//! the payment exactly. The search is bounded by candidates (oldest due
//! first), subset size and steps, never by time, so it is deterministic.
//! Only a unique subset is applied: two fitting subsets, or a search that ran
//! out of budget, leave the payment for a person with suggestions.

use super::support::{
    clear_items, each_open_txn, find_subsets, fmt_money, identified, invoice_ids, note,
    open_items_of, priority, suggest_item, to_minor, SubsetLimits, Subsets,
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
    let mut items = open_items_of(ctx, ledger, party, t);
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
    };
    let amount = fmt_money(txn.amount());
    match find_subsets(&values, target, limits) {
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
            let detail = if sols.len() >= 2 {
                format!("{evidence}; more than one combination of open items adds up to {amount}")
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
            n.suggestions = sols
                .iter()
                .flatten()
                .map(|&k| {
                    suggest_item(
                        ctx,
                        items[k],
                        CANDIDATE_SCORE * id_confidence,
                        Rule::CustomerSubsetSum,
                    )
                })
                .collect();
            (None, Some(n))
        }
    }
}
