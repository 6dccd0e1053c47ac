//! Pass 4: amounts within the identified customer, for payments that quote
//! no reference. One open item of exactly the amount; else the whole open
//! balance; else all items past due as of the run date. Two or more items
//! of exactly the amount are ambiguous: a person decides, we never guess.

use super::support::{
    clear_items, each_open_txn, fmt_money, identified, invoice_ids, note, open_items_of, priority,
    rank_combinations, rank_factor, suggest_item, Ranking,
};
use super::{Context, Pass, PassNote};
use crate::allocate::{Ledger, Proposal};
use crate::config::{PassRule, Rules};
use crate::identify::PartyIdx;
use crate::model::{ItemIdx, ReasonCode, Rule, TxnIdx};
use rust_decimal::Decimal;

/// One open item of exactly the amount; multiplied by the identification confidence.
const SINGLE_CONFIDENCE: f64 = 0.96;
/// The whole open balance: customers do this at month end.
const WHOLE_BALANCE_CONFIDENCE: f64 = 0.95;
/// Exactly the past-due items: a dunning letter answered.
const PAST_DUE_CONFIDENCE: f64 = 0.93;
/// Score of each candidate in an ambiguous tie.
const TIE_SCORE: f64 = 0.5;
/// Several open items of exactly the amount, one clearly ahead by payer
/// habit (the oldest due): below a unique item, since the payer did not say.
const RANKED_CONFIDENCE: f64 = 0.91;
/// A parent paying the one item of the amount among its subsidiaries':
/// below its own item, since a group has more items to coincide with.
const SUBSIDIARY_CONFIDENCE: f64 = 0.92;

/// Amount matching within the identified customer.
pub struct CustomerAmount;

impl Pass for CustomerAmount {
    fn name(&self) -> &'static str {
        "customer_amount"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        rules.matching.customer_amount
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
        // The payer quoted a reference: amounts alone must not move the
        // money to another invoice.
        return (None, None);
    }
    let txn = ctx.batch.transactions.get(t as usize);
    let items = open_items_of(ctx, ledger, party, t);
    let open = |i: &ItemIdx| ledger.item_open[*i as usize];
    let equal: Vec<ItemIdx> = items
        .iter()
        .copied()
        .filter(|i| open(i) == txn.amount())
        .collect();
    let amount = fmt_money(txn.amount());
    match equal.as_slice() {
        [one] => {
            let explanation = format!(
                "{evidence}; one open item of {amount}: {}",
                invoice_ids(ctx, &[*one])
            );
            return (
                Some(clear_items(
                    ctx,
                    ledger,
                    t,
                    &[*one],
                    Rule::CustomerSingleAmount,
                    SINGLE_CONFIDENCE * id_confidence,
                    explanation,
                )),
                None,
            );
        }
        [] => {}
        several
            if several
                .iter()
                .filter(|i| ctx.refs.get(t as usize).po_items.contains(i))
                .count()
                == 1 =>
        {
            let po_item = several
                .iter()
                .copied()
                .find(|i| ctx.refs.get(t as usize).po_items.contains(i))
                .unwrap_or(several[0]);
            let explanation = format!(
                "{evidence}; {} open items of {amount}, the purchase order in remittance names {}",
                several.len(),
                invoice_ids(ctx, &[po_item])
            );
            return (
                Some(clear_items(
                    ctx,
                    ledger,
                    t,
                    &[po_item],
                    Rule::CustomerSingleAmount,
                    SINGLE_CONFIDENCE * id_confidence,
                    explanation,
                )),
                None,
            );
        }
        several => {
            let singles: Vec<Vec<ItemIdx>> = several.iter().map(|&i| vec![i]).collect();
            let paid_on = txn.value_date().or(txn.booking_date());
            let margin_min = ctx.rules.matching.combination_margin_min;
            let ranked = match rank_combinations(ctx, &items, &singles, paid_on, margin_min) {
                Ranking::Clear { best, margin } => {
                    let explanation = format!(
                        "{evidence}; {} open items of exactly {amount} ({}), {} ranked first by payer habit ({}, score {:.2}, {margin:.2} ahead of the next; margin {margin_min:.2})",
                        several.len(),
                        invoice_ids(ctx, several),
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
                            Rule::CustomerSingleAmount,
                            RANKED_CONFIDENCE * id_confidence,
                            explanation,
                        )),
                        None,
                    );
                }
                Ranking::Undecided(ranked) => ranked,
            };
            let mut n = note(
                ctx,
                t,
                ReasonCode::AmbiguousMatch,
                priority::AMBIGUOUS,
                format!(
                    "{evidence}; {} open items of exactly {amount} ({}) and no reference decides",
                    several.len(),
                    invoice_ids(ctx, several)
                ),
            );
            // Best-ranked first: the person starts with what payers usually do.
            n.suggestions = ranked
                .iter()
                .enumerate()
                .flat_map(|(place, r)| r.items.iter().map(move |&i| (place, i)))
                .map(|(place, i)| {
                    suggest_item(
                        ctx,
                        i,
                        TIE_SCORE * id_confidence * rank_factor(place),
                        Rule::CustomerSingleAmount,
                    )
                })
                .collect();
            return (None, Some(n));
        }
    }
    let total: Decimal = items.iter().map(open).sum();
    if items.len() >= 2 && total == txn.amount() {
        let explanation = format!(
            "{evidence}; payment equals the whole open balance of {amount} ({} items)",
            items.len()
        );
        return (
            Some(clear_items(
                ctx,
                ledger,
                t,
                &items,
                Rule::CustomerWholeBalance,
                WHOLE_BALANCE_CONFIDENCE * id_confidence,
                explanation,
            )),
            None,
        );
    }
    let as_of = ctx.batch.as_of;
    let past_due: Vec<ItemIdx> = items
        .iter()
        .copied()
        .filter(|&i| {
            ctx.batch
                .open_items
                .get(i as usize)
                .due_date()
                .is_some_and(|d| d < as_of)
        })
        .collect();
    if past_due.len() >= 2
        && past_due.len() < items.len()
        && past_due.iter().map(open).sum::<Decimal>() == txn.amount()
    {
        let explanation = format!(
            "{evidence}; payment equals the {} items past due as of {as_of} ({amount})",
            past_due.len()
        );
        return (
            Some(clear_items(
                ctx,
                ledger,
                t,
                &past_due,
                Rule::CustomerPastDue,
                PAST_DUE_CONFIDENCE * id_confidence,
                explanation,
            )),
            None,
        );
    }
    subsidiary_item(ctx, ledger, t, party, id_confidence, &evidence.to_string())
}

/// The payer is a parent (the master's `parent_id`) and none of its own
/// items fits: one open item of exactly the amount among its subsidiaries'
/// is what it paid for them. Two or more such items are left for a person.
fn subsidiary_item(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    party: PartyIdx,
    id_confidence: f64,
    evidence: &str,
) -> (Option<Proposal>, Option<PassNote>) {
    let txn = ctx.batch.transactions.get(t as usize);
    let mut equal: Vec<ItemIdx> = Vec::new();
    for &sub in ctx.parties.subsidiaries(party) {
        equal.extend(
            open_items_of(ctx, ledger, sub, t)
                .into_iter()
                .filter(|&i| ledger.item_open[i as usize] == txn.amount()),
        );
        if equal.len() > 1 {
            return (None, None);
        }
    }
    let [one] = equal.as_slice() else {
        return (None, None);
    };
    let owner = ctx.batch.open_items.get(*one as usize).customer_id();
    let explanation = format!(
        "{evidence}, the parent of customer {owner} (customer master parent_id); one open item of {} among its subsidiaries': {}",
        fmt_money(txn.amount()),
        invoice_ids(ctx, &[*one])
    );
    (
        Some(clear_items(
            ctx,
            ledger,
            t,
            &[*one],
            Rule::CustomerSingleAmount,
            SUBSIDIARY_CONFIDENCE * id_confidence,
            explanation,
        )),
        None,
    )
}
