//! Helpers shared by the passes: integer minor units, the bounded
//! subset-sum search, candidate filtering and explanation formatting.

use super::{Context, PassNote};
use crate::allocate::{currency_exponent, Ledger, Proposal, ProposalLine};
use crate::identify::{Evidence, IdMethod, PartyIdx};
use crate::model::{Explanation, ItemIdx, ReasonCode, Rule, Suggestion, TxnIdx};
use rust_decimal::Decimal;

/// Priorities of notes (higher wins, see [`Ledger::note`]); the most specific
/// finding explains the exception.
pub mod priority {
    /// Fallback: customer known, nothing fits.
    pub const CUSTOMER_ONLY: u8 = 12;
    /// A reference names nothing open.
    pub const UNKNOWN_REFERENCE: u8 = 33;
    /// A repaired reference whose amount does not confirm it.
    pub const NEAR_MISS: u8 = 25;
    /// Several equally good candidates.
    pub const AMBIGUOUS: u8 = 50;
    /// The invoice was already paid.
    pub const DUPLICATE: u8 = 55;
    /// A reference with a difference no rule explains.
    pub const DIFFERENCE: u8 = 38;
    /// The remittance names an invoice held out of matching: above
    /// "already paid", because a held item was never cleared.
    pub const HELD: u8 = 60;
}

/// A `HELD_INVOICE` note when any of `items` (invoices the remittance names)
/// is held out of matching, so the payment waits for a person instead of
/// being read as a duplicate or pushed onto another invoice.
pub fn held_note(ctx: &Context<'_>, t: TxnIdx, items: &[ItemIdx]) -> Option<PassNote> {
    let held = items
        .iter()
        .map(|&i| ctx.batch.open_items.get(i as usize))
        .find(|it| it.hold().is_some())?;
    let hold = held.hold()?;
    let mut n = note(
        ctx,
        t,
        ReasonCode::HeldInvoice,
        priority::HELD,
        format!(
            "invoice {} in remittance is held ({}: {})",
            held.invoice_id(),
            hold.reason.as_str(),
            hold.detail
        ),
    );
    n.customer_id
        .get_or_insert_with(|| held.customer_id().to_string());
    Some(n)
}

/// `amount` in integer minor units of `currency`, or `None` when it has
/// more decimals than the currency (such an amount matches nothing exactly).
pub fn to_minor(amount: Decimal, currency: &str) -> Option<i64> {
    let exp = currency_exponent(currency);
    let mut scaled = amount;
    scaled.rescale(exp);
    if scaled != amount {
        return None;
    }
    i64::try_from(scaled.mantissa()).ok()
}

/// `1,250.00`: thousands separated, as people read amounts in explanations.
pub fn fmt_money(amount: Decimal) -> String {
    let s = amount.abs().to_string();
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    if amount.is_sign_negative() && !amount.is_zero() {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Result of a bounded subset-sum search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subsets {
    /// The whole space was searched and nothing fits.
    None,
    /// Exactly one subset fits, and the whole space was searched.
    Unique(Vec<usize>),
    /// Two (or more) subsets fit: the first two found.
    Ambiguous(Vec<Vec<usize>>),
    /// The step budget ran out; what was found so far (maybe nothing).
    Exhausted(Vec<Vec<usize>>),
}

/// Limits of one subset-sum search.
#[derive(Debug, Clone, Copy)]
pub struct SubsetLimits {
    /// Fewest invoices in a subset.
    pub items_min: usize,
    /// Most invoices in a subset.
    pub items_max: usize,
    /// Search nodes visited at most.
    pub steps_max: u64,
}

/// Finds subsets of `values` (positive, minor units) summing to `target`,
/// with between `items_min` and `items_max` members, visiting at most
/// `steps_max` search nodes. Returns indices into `values`, ascending.
/// Deterministic: the same input always visits the same nodes.
pub fn find_subsets(values: &[i64], target: i64, limits: SubsetLimits) -> Subsets {
    // Largest first prunes best: big values exceed the target early.
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| values[i] > 0).collect();
    order.sort_by(|&a, &b| values[b].cmp(&values[a]).then(a.cmp(&b)));
    let sorted: Vec<i64> = order.iter().map(|&i| values[i]).collect();
    let mut suffix = vec![0i64; sorted.len() + 1];
    for i in (0..sorted.len()).rev() {
        suffix[i] = suffix[i + 1].saturating_add(sorted[i]);
    }
    let mut search = Search {
        sorted: &sorted,
        suffix: &suffix,
        limits,
        steps: 0,
        chosen: Vec::new(),
        found: Vec::new(),
    };
    let complete = search.dfs(0, target);
    let mut found: Vec<Vec<usize>> = search
        .found
        .into_iter()
        .map(|s| {
            let mut v: Vec<usize> = s.into_iter().map(|k| order[k]).collect();
            v.sort_unstable();
            v
        })
        .collect();
    match (complete, found.len()) {
        (false, _) => Subsets::Exhausted(found),
        (true, 0) => Subsets::None,
        (true, 1) => Subsets::Unique(found.remove(0)),
        (true, _) => Subsets::Ambiguous(found),
    }
}

/// Solutions needed to know a search is ambiguous.
const SOLUTIONS_ENOUGH: usize = 2;

struct Search<'a> {
    sorted: &'a [i64],
    suffix: &'a [i64],
    limits: SubsetLimits,
    steps: u64,
    chosen: Vec<usize>,
    found: Vec<Vec<usize>>,
}

impl Search<'_> {
    /// Returns false when the budget ran out (the answer is incomplete).
    fn dfs(&mut self, start: usize, need: i64) -> bool {
        if need == 0 && self.chosen.len() >= self.limits.items_min {
            self.found.push(self.chosen.clone());
            return true;
        }
        if need <= 0
            || self.chosen.len() >= self.limits.items_max
            || self.suffix[start] < need
            || self.found.len() >= SOLUTIONS_ENOUGH
        {
            return true;
        }
        for k in start..self.sorted.len() {
            if self.found.len() >= SOLUTIONS_ENOUGH {
                return true;
            }
            if self.suffix[k] < need {
                return true;
            }
            let v = self.sorted[k];
            if v > need {
                continue;
            }
            self.steps += 1;
            if self.steps > self.limits.steps_max {
                return false;
            }
            self.chosen.push(k);
            let complete = self.dfs(k + 1, need - v);
            self.chosen.pop();
            if !complete {
                return false;
            }
        }
        true
    }
}

/// The open items of `party` that transaction `t` may pay: in its
/// currency, of a company its receiving account may clear
/// ([`crate::company::Companies::allows`]), with money still open; oldest
/// due date first. The candidate lookup of every pass that matches by
/// customer.
pub fn open_items_of(
    ctx: &Context<'_>,
    ledger: &Ledger,
    party: PartyIdx,
    t: TxnIdx,
) -> Vec<ItemIdx> {
    let currency = ctx.batch.transactions.get(t as usize).currency();
    ctx.parties.items[party as usize]
        .iter()
        .copied()
        .filter(|&i| {
            ledger.item_open[i as usize] > Decimal::ZERO
                && ctx.batch.open_items.get(i as usize).currency() == currency
                && ctx.companies.allows(t, i)
        })
        .collect()
}

/// Runs `one` for every open transaction in parallel and gathers proposals
/// and notes in transaction order (so the thread count changes nothing).
pub fn each_open_txn<F>(
    ctx: &Context<'_>,
    ledger: &Ledger,
    notes: &mut Vec<PassNote>,
    one: F,
) -> Vec<Proposal>
where
    F: Fn(TxnIdx) -> (Option<Proposal>, Option<PassNote>) + Sync + Send,
{
    use rayon::prelude::*;
    let results: Vec<(Option<Proposal>, Option<PassNote>)> = (0..ctx.batch.transactions.len()
        as TxnIdx)
        .into_par_iter()
        .filter(|&t| ledger.is_open(t))
        .map(one)
        .collect();
    let mut proposals = Vec::new();
    for (p, n) in results {
        proposals.extend(p);
        notes.extend(n);
    }
    proposals
}

/// Invoice ids of `items`, comma separated.
pub fn invoice_ids(ctx: &Context<'_>, items: &[ItemIdx]) -> String {
    items
        .iter()
        .map(|&i| ctx.batch.open_items.get(i as usize).invoice_id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A proposal that clears each of `items` with cash from one transaction.
pub fn clear_items(
    ctx: &Context<'_>,
    ledger: &Ledger,
    t: TxnIdx,
    items: &[ItemIdx],
    rule: Rule,
    confidence: f64,
    explanation: impl Into<Explanation>,
) -> Proposal {
    let lines = items
        .iter()
        .map(|&i| ProposalLine::cash(t, i, ledger.item_open[i as usize]))
        .collect();
    proposal(ctx, vec![t], lines, rule, confidence, explanation)
}

/// A proposal with its customer filled in from the first line's invoice.
pub fn proposal(
    ctx: &Context<'_>,
    txns: Vec<TxnIdx>,
    lines: Vec<ProposalLine>,
    rule: Rule,
    confidence: f64,
    explanation: impl Into<Explanation>,
) -> Proposal {
    let (customer, customer_id) = match lines.first() {
        Some(l) => {
            let party = ctx.parties.of_item(ctx.batch, l.item);
            (
                ctx.parties.list[party as usize].master,
                Some(
                    ctx.batch
                        .open_items
                        .get(l.item as usize)
                        .customer_id()
                        .to_string(),
                ),
            )
        }
        None => (None, None),
    };
    Proposal {
        txns,
        lines,
        rule,
        confidence: confidence.clamp(0.0, 1.0),
        explanation: explanation.into(),
        customer,
        customer_id,
    }
}

/// A note for transaction `t` carrying the identified customer (if any).
pub fn note(
    ctx: &Context<'_>,
    t: TxnIdx,
    reason: ReasonCode,
    priority: u8,
    detail: String,
) -> PassNote {
    let mut n = PassNote::new(t, reason, priority, detail);
    if let Some(id) = ctx.identities.get(t as usize).id {
        let party = &ctx.parties.list[id.party as usize];
        n.customer = party.master;
        n.customer_id = Some(party.customer_id.clone());
    }
    n
}

/// A suggestion of one invoice.
pub fn suggest_item(ctx: &Context<'_>, item: ItemIdx, score: f64, rule: Rule) -> Suggestion {
    let it = ctx.batch.open_items.get(item as usize);
    Suggestion {
        customer_id: it.customer_id().to_string(),
        invoice_id: it.invoice_id().to_string(),
        score: score.clamp(0.0, 1.0),
        rule,
    }
}

/// The identified party of `t`, its identification confidence and the
/// evidence (text when displayed).
pub fn identified<'c>(
    ctx: &'c Context<'_>,
    t: TxnIdx,
) -> Option<(PartyIdx, f64, Evidence<'c>, IdMethod)> {
    ctx.identities.get(t as usize).id.map(|id| {
        (
            id.party,
            id.confidence,
            id.evidence(ctx.batch, &ctx.parties, t),
            id.method,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: SubsetLimits = SubsetLimits {
        items_min: 2,
        items_max: 8,
        steps_max: 10_000,
    };

    #[test]
    fn unique_and_ambiguous_subsets() {
        assert_eq!(
            find_subsets(&[100, 250, 400, 75], 325, LIMITS),
            Subsets::Unique(vec![1, 3])
        );
        assert!(matches!(
            find_subsets(&[100, 200, 300], 300, LIMITS),
            Subsets::Unique(_)
        ));
        assert!(matches!(
            find_subsets(&[100, 200, 300, 150, 150], 300, LIMITS),
            Subsets::Ambiguous(_)
        ));
        assert_eq!(find_subsets(&[100, 200], 50, LIMITS), Subsets::None);
    }

    #[test]
    fn budget_is_counted_in_steps() {
        // Even values never reach an odd target, but proving it takes many steps.
        let values: Vec<i64> = (1..=30).map(|i| i * 2).collect();
        let tight = SubsetLimits {
            steps_max: 10,
            ..LIMITS
        };
        assert_eq!(
            find_subsets(&values, 301, tight),
            Subsets::Exhausted(vec![])
        );
        assert_eq!(find_subsets(&values, 1, tight), Subsets::None);
    }

    #[test]
    fn money_format() {
        assert_eq!(fmt_money(Decimal::new(125000, 2)), "1,250.00");
        assert_eq!(fmt_money(Decimal::new(99, 2)), "0.99");
        assert_eq!(fmt_money(Decimal::new(-1234567, 1)), "-123,456.7");
    }
}
