//! Pass 5: several open payments of one identified customer on one value
//! date that together pay a set of invoices: either the invoices they quote
//! (references spread over the payments), or, for payments quoting nothing,
//! a unique subset of the customer's open items equal to their total that
//! splits one way only into whole invoices per payment.
//!
//! Allocation inside the group is deterministic: each payment first pays the
//! invoices it quotes, then the rest is allocated in order (payments in
//! input order, invoices oldest due first). Σ payments = Σ invoices, so
//! every cent lands somewhere.

use super::support::{
    find_subsets, fmt_money, identified, invoice_ids, open_items_of, proposal, to_minor,
    SubsetLimits, Subsets,
};
use super::{Context, Pass, PassNote};
use crate::allocate::{Ledger, Proposal, ProposalLine};
use crate::config::{PassRule, Rules};
use crate::identify::PartyIdx;
use crate::model::{ItemIdx, Rule, TxnIdx};
use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::Decimal;

/// The payments quote exactly the invoices their total pays.
const REFERENCED_CONFIDENCE: f64 = 0.95;
/// No references; a unique subset fits the day's total.
const SUM_CONFIDENCE: f64 = 0.9;
/// Payments in one group at most: a larger "batch" is a statement, not a remittance.
const GROUP_TXNS_MAX: usize = 16;

/// Many-to-many matching.
pub struct ManyToMany;

impl Pass for ManyToMany {
    fn name(&self) -> &'static str {
        "many_to_many"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        rules.matching.many_to_many
    }

    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        _notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal> {
        // Within one receiving company: a group's payments share the
        // candidate invoices, which must be of the company all of them
        // may clear.
        let mut keyed: Vec<(PartyIdx, NaiveDate, &str, u32, TxnIdx)> =
            (0..ctx.batch.transactions.len() as TxnIdx)
                .filter(|&t| ledger.is_open(t))
                .filter_map(|t| {
                    let txn = ctx.batch.transactions.get(t as usize);
                    let (party, ..) = identified(ctx, t)?;
                    // Booking date: value dates of one batch may differ by a day.
                    let day = txn.booking_date().or(txn.value_date())?;
                    Some((
                        party,
                        day,
                        txn.currency(),
                        ctx.companies.candidate_group(t),
                        t,
                    ))
                })
                .collect();
        keyed.sort_unstable();
        let groups: Vec<Vec<TxnIdx>> = keyed
            .chunk_by(|a, b| (a.0, a.1, a.2, a.3) == (b.0, b.1, b.2, b.3))
            .filter(|g| (2..=GROUP_TXNS_MAX).contains(&g.len()))
            .map(|g| g.iter().map(|k| k.4).collect())
            .collect();
        let proposals: Vec<Vec<Proposal>> = groups
            .par_iter()
            .map(|g| {
                let mut out = Vec::new();
                out.extend(referenced(ctx, ledger, g));
                out.extend(by_sum(ctx, ledger, g));
                out
            })
            .collect();
        proposals.into_iter().flatten().collect()
    }
}

/// Payments of the group that quote references, paying exactly those invoices.
fn referenced(ctx: &Context<'_>, ledger: &Ledger, group: &[TxnIdx]) -> Option<Proposal> {
    let (party, id_confidence, ..) = identified(ctx, group[0])?;
    let currency = &ctx.batch.transactions.get(group[0] as usize).currency();
    let txns: Vec<TxnIdx> = group
        .iter()
        .copied()
        .filter(|&t| ctx.refs.get(t as usize).resolved().next().is_some())
        .collect();
    if txns.len() < 2 {
        return None;
    }
    let mut items: Vec<ItemIdx> = Vec::new();
    for &t in &txns {
        for i in ctx.refs.get(t as usize).resolved() {
            let it = ctx.batch.open_items.get(i as usize);
            if &it.currency() != currency
                || ledger.item_open[i as usize] <= Decimal::ZERO
                || ctx.parties.of_item(ctx.batch, i) != party
            {
                return None;
            }
            if !items.contains(&i) {
                items.push(i);
            }
        }
    }
    let paid: Decimal = txns
        .iter()
        .map(|&t| ctx.batch.transactions.get(t as usize).amount())
        .sum();
    let open: Decimal = items.iter().map(|&i| ledger.item_open[i as usize]).sum();
    // One invoice paid by several payments is instalments, not a batch.
    if items.len() < 2 || paid != open {
        return None;
    }
    let lines = allocate(ctx, ledger, &txns, &items, true);
    let explanation = format!(
        "{} payments of customer {} on one day quote invoices {}; together they pay exactly {}",
        txns.len(),
        ctx.parties.list[party as usize].customer_id,
        invoice_ids(ctx, &items),
        fmt_money(paid)
    );
    Some(proposal(
        ctx,
        txns,
        lines,
        Rule::ManyToMany,
        REFERENCED_CONFIDENCE * id_confidence,
        explanation,
    ))
}

/// Payments of the group that quote nothing, paying a unique subset.
fn by_sum(ctx: &Context<'_>, ledger: &Ledger, group: &[TxnIdx]) -> Option<Proposal> {
    let (party, id_confidence, evidence, _) = identified(ctx, group[0])?;
    let currency = &ctx.batch.transactions.get(group[0] as usize).currency();
    let txns: Vec<TxnIdx> = group
        .iter()
        .copied()
        .filter(|&t| !ctx.refs.get(t as usize).has_any())
        .collect();
    if txns.len() < 2 {
        return None;
    }
    let paid: Decimal = txns
        .iter()
        .map(|&t| ctx.batch.transactions.get(t as usize).amount())
        .sum();
    let m = &ctx.rules.matching;
    let mut items = open_items_of(ctx, ledger, party, group[0]);
    items.retain(|&i| ledger.item_open[i as usize] <= paid);
    items.truncate(m.subset_candidates_max);
    let values: Option<Vec<i64>> = items
        .iter()
        .map(|&i| to_minor(ledger.item_open[i as usize], currency))
        .collect();
    let limits = SubsetLimits {
        items_min: 1,
        items_max: m.subset_items_max,
        steps_max: m.subset_steps_max,
        solutions_max: super::support::SOLUTIONS_ENOUGH,
    };
    let Subsets::Unique(sel) = find_subsets(&values?, to_minor(paid, currency)?, limits) else {
        return None;
    };
    let chosen: Vec<ItemIdx> = sel.iter().map(|&k| items[k]).collect();
    // Payments quoting nothing each pay whole invoices: the day's total
    // fitting a subset says nothing about which payment paid which
    // invoice, so only a unique split into whole invoices per payment is
    // applied (a split found by allocating in order was wrong as often as
    // right on data with other payer behaviour, BENCHMARKS.md).
    let chosen_values: Vec<i64> = chosen
        .iter()
        .map(|&i| to_minor(ledger.item_open[i as usize], currency))
        .collect::<Option<_>>()?;
    let payments: Vec<i64> = txns
        .iter()
        .map(|&t| to_minor(ctx.batch.transactions.get(t as usize).amount(), currency))
        .collect::<Option<_>>()?;
    let owner = unique_partition(&chosen_values, &payments)?;
    let lines: Vec<ProposalLine> = chosen
        .iter()
        .zip(&owner)
        .map(|(&i, &p)| ProposalLine::cash(txns[p], i, ledger.item_open[i as usize]))
        .collect();
    let explanation = format!(
        "{evidence}; {} payments on one day total {}, which only open items {} add up to",
        txns.len(),
        fmt_money(paid),
        invoice_ids(ctx, &chosen)
    );
    Some(proposal(
        ctx,
        txns,
        lines,
        Rule::ManyToMany,
        SUM_CONFIDENCE * id_confidence,
        explanation,
    ))
}

/// Invoices a payment-by-payment split considers at most (2^n subsets per
/// payment): `subset_items_max` is far below it by default.
const PARTITION_ITEMS_MAX: usize = 16;

/// The one way to give every invoice (`values`) whole to a payment so that
/// each payment's invoices add up to its amount: for each invoice, the
/// index of its payment. `None` when there is no such split or more than one.
fn unique_partition(values: &[i64], payments: &[i64]) -> Option<Vec<usize>> {
    if values.len() > PARTITION_ITEMS_MAX {
        return None;
    }
    fn go(
        values: &[i64],
        payments: &[i64],
        p: usize,
        free: u32,
        owner: &mut Vec<usize>,
        found: &mut Vec<Vec<usize>>,
    ) {
        if found.len() >= 2 {
            return;
        }
        if p == payments.len() {
            if free == 0 {
                found.push(owner.clone());
            }
            return;
        }
        // Subsets of the free invoices, each tried once (submask walk).
        let mut sub = free;
        loop {
            if sub != 0 {
                let sum: i64 = (0..values.len())
                    .filter(|&k| sub & (1 << k) != 0)
                    .map(|k| values[k])
                    .sum();
                if sum == payments[p] {
                    for k in (0..values.len()).filter(|&k| sub & (1 << k) != 0) {
                        owner[k] = p;
                    }
                    go(values, payments, p + 1, free & !sub, owner, found);
                }
            }
            if sub == 0 {
                break;
            }
            sub = (sub - 1) & free;
        }
    }
    let mut owner = vec![usize::MAX; values.len()];
    let mut found = Vec::new();
    let all = if values.is_empty() {
        0
    } else {
        u32::MAX >> (32 - values.len())
    };
    go(values, payments, 0, all, &mut owner, &mut found);
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Allocates the payments to the invoices (Σ equal): quoted invoices first
/// when `own_first` (sole ones before shared ones), then in order. Lines of one (payment, invoice) pair are merged.
fn allocate(
    ctx: &Context<'_>,
    ledger: &Ledger,
    txns: &[TxnIdx],
    items: &[ItemIdx],
    own_first: bool,
) -> Vec<ProposalLine> {
    let mut pay: Vec<Decimal> = txns
        .iter()
        .map(|&t| ctx.batch.transactions.get(t as usize).amount())
        .collect();
    let mut open: Vec<Decimal> = items
        .iter()
        .map(|&i| ledger.item_open[i as usize])
        .collect();
    let mut lines: Vec<ProposalLine> = Vec::new();
    let mut give = |ti: usize, ii: usize, pay: &mut [Decimal], open: &mut [Decimal]| {
        let x = pay[ti].min(open[ii]);
        if x <= Decimal::ZERO {
            return;
        }
        pay[ti] -= x;
        open[ii] -= x;
        match lines
            .iter_mut()
            .find(|l| l.txn == txns[ti] && l.item == items[ii])
        {
            Some(l) => l.applied += x,
            None => lines.push(ProposalLine::cash(txns[ti], items[ii], x)),
        }
    };
    if own_first {
        // Invoices quoted by one payment only go to that payment first; an
        // invoice quoted by several (split across them) takes what is left.
        let quoted_by = |i: ItemIdx| {
            txns.iter()
                .filter(|&&t| ctx.refs.get(t as usize).resolved().any(|x| x == i))
                .count()
        };
        for shared in [false, true] {
            for (ti, &t) in txns.iter().enumerate() {
                for i in ctx.refs.get(t as usize).resolved() {
                    if (quoted_by(i) > 1) != shared {
                        continue;
                    }
                    if let Some(ii) = items.iter().position(|&x| x == i) {
                        give(ti, ii, &mut pay, &mut open);
                    }
                }
            }
        }
    }
    let (mut ti, mut ii) = (0, 0);
    while ti < txns.len() && ii < items.len() {
        give(ti, ii, &mut pay, &mut open);
        if pay[ti].is_zero() {
            ti += 1;
        }
        if ii < items.len() && open[ii].is_zero() {
            ii += 1;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::unique_partition;

    #[test]
    fn a_split_into_whole_invoices_must_be_unique() {
        // 300 + 700 | 450 + 750: one way only.
        assert_eq!(
            unique_partition(&[300, 700, 450, 750], &[1000, 1200]),
            Some(vec![0, 0, 1, 1])
        );
        // Two payments of 1,000 over 300, 700, 450, 550: either pays either pair.
        assert_eq!(unique_partition(&[300, 700, 450, 550], &[1000, 1000]), None);
        // The day's total fits, but no payment is a sum of whole invoices.
        assert_eq!(unique_partition(&[600, 600], &[500, 700]), None);
        // Every invoice must be given.
        assert_eq!(unique_partition(&[500, 700, 1], &[500, 700]), None);
    }
}
