//! Helpers shared by the passes: integer minor units, the bounded
//! subset-sum search, candidate filtering and explanation formatting.

use super::{Context, PassNote};
use crate::allocate::{currency_exponent, Ledger, Proposal, ProposalLine};
use crate::identify::{Evidence, IdMethod, PartyIdx};
use crate::model::{Explanation, ItemIdx, ReasonCode, Rule, Suggestion, TxnIdx};
use chrono::Datelike;
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
    /// Two or more subsets fit: every one of them when fewer than
    /// [`SubsetLimits::solutions_max`] were found (the whole space was
    /// searched), else the first `solutions_max` (the search stopped there).
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
    /// Fitting subsets collected at most (at least 2: two tell that the
    /// answer is ambiguous; more let the passes rank them).
    pub solutions_max: usize,
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
        solutions_max: limits.solutions_max.max(SOLUTIONS_ENOUGH),
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
pub const SOLUTIONS_ENOUGH: usize = 2;

struct Search<'a> {
    sorted: &'a [i64],
    suffix: &'a [i64],
    limits: SubsetLimits,
    steps: u64,
    chosen: Vec<usize>,
    found: Vec<Vec<usize>>,
    solutions_max: usize,
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
            || self.found.len() >= self.solutions_max
        {
            return true;
        }
        for k in start..self.sorted.len() {
            if self.found.len() >= self.solutions_max {
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

/// What payers do when they pay several open items without saying which
/// (issue 9, pattern 4): each habit a fitting combination shows adds its
/// weight to the combination's score. Clearing practice and payers agree on
/// these: the oldest items are paid first (the order an ERP's automatic
/// clearing and a dunning letter both use), a payment run picks up the
/// invoices of one billing run (consecutive numbers, one invoice date), and
/// a customer answering a monthly statement pays that month's items.
pub mod habit {
    /// Oldest due first: every item another fitting combination would pay
    /// and this one leaves open is due no earlier than this one's newest
    /// (two combinations that both qualify tie, and a tie decides nothing).
    pub const OLDEST_DUE_FIRST: f64 = 0.4;
    /// Two or more invoices with consecutive numbers (one billing run).
    pub const CONSECUTIVE_NUMBERS: f64 = 0.3;
    /// Two or more invoices of one invoice date.
    pub const SAME_INVOICE_DATE: f64 = 0.2;
    /// Every open item invoiced in one calendar month, and nothing else (a
    /// monthly statement paid).
    pub const ONE_STATEMENT: f64 = 0.2;
}

/// The habits one combination of open items shows (see [`habit`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Habits {
    /// See [`habit::OLDEST_DUE_FIRST`].
    pub oldest_due_first: bool,
    /// See [`habit::CONSECUTIVE_NUMBERS`].
    pub consecutive_numbers: bool,
    /// See [`habit::SAME_INVOICE_DATE`].
    pub same_invoice_date: bool,
    /// See [`habit::ONE_STATEMENT`].
    pub one_statement: bool,
}

impl Habits {
    /// The sum of the weights of the habits shown.
    pub fn score(&self) -> f64 {
        let w = |on: bool, weight: f64| if on { weight } else { 0.0 };
        w(self.oldest_due_first, habit::OLDEST_DUE_FIRST)
            + w(self.consecutive_numbers, habit::CONSECUTIVE_NUMBERS)
            + w(self.same_invoice_date, habit::SAME_INVOICE_DATE)
            + w(self.one_statement, habit::ONE_STATEMENT)
    }
}

impl std::fmt::Display for Habits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = [
            (self.oldest_due_first, "oldest due first"),
            (self.consecutive_numbers, "consecutive invoice numbers"),
            (self.same_invoice_date, "one invoice date"),
            (self.one_statement, "one statement month"),
        ];
        let shown: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|&(_, n)| n)
            .collect();
        if shown.is_empty() {
            f.write_str("no payer habit")
        } else {
            f.write_str(&shown.join(", "))
        }
    }
}

/// Several invoices chosen by habit need two habits at least: one alone
/// (say, the oldest) is met by chance too often among a key account's
/// hundreds of items, where many combinations add up.
pub const COMBINATION_SCORE_MIN: f64 = 0.5;

/// A fitting combination with its habits, as ranked by [`rank_combinations`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The open items, oldest due first.
    pub items: Vec<ItemIdx>,
    /// What the combination shows.
    pub habits: Habits,
    /// [`Habits::score`].
    pub score: f64,
}

/// What ranking decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Ranking {
    /// The best combination leads the next by at least the margin.
    Clear {
        /// The combination to apply.
        best: Ranked,
        /// Its lead over the next one.
        margin: f64,
    },
    /// No combination is clearly ahead: best first, for suggestions.
    Undecided(Vec<Ranked>),
}

/// Suggestions are listed by score: each place down the ranking scores a
/// little lower, so the person sees the best-ranked choice first.
pub fn rank_factor(place: usize) -> f64 {
    /// Score lost per place, and the most lost.
    const STEP: f64 = 0.02;
    const FLOOR: f64 = 0.5;
    (1.0 - STEP * place as f64).max(FLOOR)
}

/// Due date, else invoice date (the engine's aging rule), of an item.
fn due_or_invoice_date(ctx: &Context<'_>, i: ItemIdx) -> Option<chrono::NaiveDate> {
    let it = ctx.batch.open_items.get(i as usize);
    it.due_date().or(it.invoice_date())
}

/// `INV-2026-000123` → (`INV-2026-`, 123, ``): the text around the last
/// digit group and its value, for telling consecutive numbers.
fn number_parts(id: &str) -> Option<(&str, u64, &str)> {
    let end = id.bytes().rposition(|b| b.is_ascii_digit())? + 1;
    let start = id[..end]
        .bytes()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |p| p + 1);
    let value = id[start..end].parse().ok()?;
    Some((&id[..start], value, &id[end..]))
}

/// Ranks fitting combinations (each a set of open items of one customer
/// that adds up to the payment) by payer habits, best first; `open` is
/// every open item of the customer in the payment's currency (for the
/// statement habit), `paid_on` the payment's value (else booking) date. Ties keep the combinations' order, so the result is
/// deterministic. `margin_min` decides whether the best is clearly ahead;
/// a single combination is never "ranked" (the caller applies a unique one
/// by its own rule).
pub fn rank_combinations(
    ctx: &Context<'_>,
    open: &[ItemIdx],
    combinations: &[Vec<ItemIdx>],
    paid_on: Option<chrono::NaiveDate>,
    margin_min: f64,
) -> Ranking {
    // A payer cannot pay an invoice it has not received: a combination
    // with an item invoiced after the payment shows no habit, and such an
    // item does not count against the others' age.
    let issued = |i: &ItemIdx| {
        let invoiced = ctx.batch.open_items.get(*i as usize).invoice_date();
        !matches!((paid_on, invoiced), (Some(p), Some(d)) if d > p)
    };
    // Oldest due first: no item of another fitting combination that this
    // one leaves open is due before this one's newest item.
    let due = |i: ItemIdx| due_or_invoice_date(ctx, i);
    let mut union: Vec<ItemIdx> = combinations
        .iter()
        .flatten()
        .copied()
        .filter(issued)
        .collect();
    union.sort_unstable();
    union.dedup();
    let fifo = |c: &[ItemIdx]| -> bool {
        let Some(newest) = c.iter().map(|&i| due(i)).collect::<Option<Vec<_>>>() else {
            return false;
        };
        let newest = newest.into_iter().max();
        union
            .iter()
            .filter(|i| !c.contains(i))
            .all(|&i| due(i).is_some_and(|d| Some(d) >= newest))
    };
    let mut ranked: Vec<Ranked> = combinations
        .iter()
        .map(|c| {
            let mut items = c.clone();
            items.sort_by_key(|&i| {
                (
                    due_or_invoice_date(ctx, i).is_none(),
                    due_or_invoice_date(ctx, i),
                    i,
                )
            });
            let several = items.len() >= 2;
            let oldest_due_first = fifo(c);
            let ids: Vec<&str> = items
                .iter()
                .map(|&i| ctx.batch.open_items.get(i as usize).invoice_id())
                .collect();
            let consecutive_numbers = several && {
                let mut parts: Vec<(&str, u64, &str)> =
                    ids.iter().filter_map(|id| number_parts(id)).collect();
                parts.sort_by_key(|p| p.1);
                parts.len() == ids.len()
                    && parts
                        .windows(2)
                        .all(|w| w[0].0 == w[1].0 && w[0].2 == w[1].2 && w[0].1 + 1 == w[1].1)
            };
            let dates: Vec<Option<chrono::NaiveDate>> = items
                .iter()
                .map(|&i| ctx.batch.open_items.get(i as usize).invoice_date())
                .collect();
            let same_invoice_date =
                several && dates[0].is_some() && dates.iter().all(|d| *d == dates[0]);
            let month = |d: Option<chrono::NaiveDate>| d.map(|d| (d.year(), d.month()));
            let one_statement = several
                && month(dates[0]).is_some()
                && dates.iter().all(|&d| month(d) == month(dates[0]))
                && open.iter().all(|i| {
                    items.contains(i)
                        || month(ctx.batch.open_items.get(*i as usize).invoice_date())
                            != month(dates[0])
                });
            let habits = if items.iter().all(issued) {
                Habits {
                    oldest_due_first,
                    consecutive_numbers,
                    same_invoice_date,
                    one_statement,
                }
            } else {
                Habits::default()
            };
            Ranked {
                items,
                habits,
                score: habits.score(),
            }
        })
        .collect();
    // Stable: equal scores keep the search's order.
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    match ranked.as_slice() {
        [best, second, ..]
            if best.score - second.score >= margin_min - 1e-9
                && (best.items.len() < 2 || best.score >= COMBINATION_SCORE_MIN - 1e-9) =>
        {
            Ranking::Clear {
                margin: best.score - second.score,
                best: best.clone(),
            }
        }
        _ => Ranking::Undecided(ranked),
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
        solutions_max: 2,
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
    fn solutions_are_collected_up_to_the_bound() {
        // 300 = 100+200 = 150+150 = 50+250 = 100+150+50 (with either 150).
        let values = [100, 200, 150, 150, 50, 250];
        let all = SubsetLimits {
            solutions_max: 16,
            ..LIMITS
        };
        let Subsets::Ambiguous(found) = find_subsets(&values, 300, all) else {
            panic!("ambiguous")
        };
        assert_eq!(found.len(), 5, "{found:?}");
        let Subsets::Ambiguous(two) = find_subsets(&values, 300, LIMITS) else {
            panic!("ambiguous")
        };
        assert_eq!(two.len(), 2, "stops at the bound");
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
