//! Pass 7: everything left. Proposes nothing; explains each open payment
//! and ranks suggestions for the exceptions queue: the identified customer's
//! open items closest in amount, or, with the payer unknown, the customers
//! whose names come closest.

use super::support::{each_open_txn, fmt_money, note, open_items_of, priority, suggest_item};
use super::{Context, Pass, PassNote};
use crate::allocate::{Ledger, Proposal};
use crate::config::{PassRule, Rules};
use crate::model::{ItemIdx, ReasonCode, Rule, Suggestion, TxnIdx};
use rust_decimal::Decimal;

/// Invoices suggested per payment of a known customer.
const ITEM_SUGGESTIONS_MAX: usize = 3;
/// An item suggested on amount closeness alone is at best this likely.
const CLOSEST_AMOUNT_SCORE_MAX: f64 = 0.35;
/// Name candidates below this similarity are noise, not suggestions.
const NAME_SUGGESTION_SIMILARITY_MIN: f64 = 0.75;
/// A similar name alone is at best this likely.
const NAME_SCORE_MAX: f64 = 0.5;
/// Note priority when only the customer is known.
const NO_MATCH_PRIORITY: u8 = 10;

/// Suggestions for unmatched payments.
pub struct Unmatched;

impl Pass for Unmatched {
    fn name(&self) -> &'static str {
        "unmatched"
    }

    fn rule(&self, _rules: &Rules) -> PassRule {
        // Always on; it proposes nothing, so thresholds do not matter.
        PassRule::default()
    }

    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal> {
        each_open_txn(ctx, ledger, notes, |t| {
            (None, Some(explain(ctx, ledger, t)))
        })
    }
}

fn explain(ctx: &Context<'_>, ledger: &Ledger, t: TxnIdx) -> PassNote {
    let txn = ctx.batch.transactions.get(t as usize);
    let refs = ctx.refs.get(t as usize);
    let identity = ctx.identities.get(t as usize);
    let mut n =
        if let (false, Some(first)) = (refs.resolved().next().is_some(), refs.unresolved.first()) {
            note(
                ctx,
                t,
                ReasonCode::UnknownReference,
                priority::UNKNOWN_REFERENCE,
                format!("reference {first} names no open invoice (paid, cancelled or unknown)"),
            )
        } else if let Some(id) = identity.id {
            note(
                ctx,
                t,
                ReasonCode::CustomerNoAmountMatch,
                priority::CUSTOMER_ONLY,
                format!(
                    "{}; no open item or combination equals {}",
                    id.evidence(ctx.batch, &ctx.parties, t),
                    fmt_money(txn.amount())
                ),
            )
        } else {
            note(
                ctx,
                t,
                ReasonCode::NoMatch,
                NO_MATCH_PRIORITY,
                "no invoice reference and the payer is not identified".to_string(),
            )
        };
    if let Some(id) = identity.id {
        let mut items: Vec<(Decimal, ItemIdx)> = open_items_of(ctx, ledger, id.party, t)
            .into_iter()
            .map(|i| ((ledger.item_open[i as usize] - txn.amount()).abs(), i))
            .collect();
        items.sort_unstable();
        n.suggestions = items
            .iter()
            .take(ITEM_SUGGESTIONS_MAX)
            .map(|&(diff, i)| {
                let open = ledger.item_open[i as usize];
                let closeness = 1.0 - ratio(diff, open.max(txn.amount()));
                suggest_item(
                    ctx,
                    i,
                    CLOSEST_AMOUNT_SCORE_MAX * closeness * id.confidence,
                    Rule::CustomerSingleAmount,
                )
            })
            .collect();
    } else {
        n.suggestions = identity
            .name_candidates
            .iter()
            .filter(|&&(_, sim)| sim >= NAME_SUGGESTION_SIMILARITY_MIN)
            .map(|&(party, sim)| Suggestion {
                customer_id: ctx.parties.list[party as usize].customer_id.clone(),
                invoice_id: String::new(),
                score: NAME_SCORE_MAX * sim,
                rule: Rule::CustomerSingleAmount,
            })
            .collect();
    }
    n
}

/// `part / whole` in [0, 1] as a score (not money: the float never flows back).
fn ratio(part: Decimal, whole: Decimal) -> f64 {
    if whole <= Decimal::ZERO {
        return 1.0;
    }
    let r = (part / whole).min(Decimal::ONE);
    r.to_string().parse::<f64>().unwrap_or(1.0)
}
