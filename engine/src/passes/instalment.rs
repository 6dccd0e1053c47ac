//! Pass 5b: instalments. Several payments quoting the same single invoice,
//! each for less than its open amount, are applied partially in value-date
//! order while the invoice has money open. (A single partial payment is a
//! short payment, handled by the differences pass.)

use super::support::{fmt_money, invoice_ids, proposal};
use super::{Context, Pass, PassNote};
use crate::allocate::{Ledger, Proposal, ProposalLine};
use crate::config::{PassRule, Rules};
use crate::model::{ItemIdx, Rule, TxnIdx};

/// Each payment quotes the invoice and together they stay within its open amount.
const CONFIDENCE: f64 = 0.93;

/// Instalment matching.
pub struct Instalment;

impl Pass for Instalment {
    fn name(&self) -> &'static str {
        "instalment"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        rules.matching.instalment
    }

    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        _notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal> {
        let batch = ctx.batch;
        let mut by_item: Vec<(ItemIdx, TxnIdx)> = (0..batch.transactions.len() as TxnIdx)
            .filter(|&t| ledger.is_open(t))
            .filter_map(|t| {
                let mut items: Vec<ItemIdx> = ctx.refs.get(t as usize).strict().collect();
                items.dedup();
                let [item] = items.as_slice() else {
                    return None;
                };
                let txn = batch.transactions.get(t as usize);
                let open = ledger.item_open[*item as usize];
                (batch.open_items.get(*item as usize).currency() == txn.currency()
                    && txn.amount() < open)
                    .then_some((*item, t))
            })
            .collect();
        by_item.sort_unstable();
        let mut proposals = Vec::new();
        for group in by_item.chunk_by(|a, b| a.0 == b.0) {
            if group.len() < 2 {
                continue;
            }
            let item = group[0].0;
            let mut txns: Vec<TxnIdx> = group.iter().map(|g| g.1).collect();
            txns.sort_by(|&a, &b| {
                let (x, y) = (
                    batch.transactions.get(a as usize),
                    batch.transactions.get(b as usize),
                );
                x.effective_date()
                    .cmp(&y.effective_date())
                    .then_with(|| x.bank_reference().cmp(y.bank_reference()))
                    .then(a.cmp(&b))
            });
            let mut left = ledger.item_open[item as usize];
            let mut taken = Vec::new();
            for t in txns {
                let amount = batch.transactions.get(t as usize).amount();
                if amount > left {
                    break;
                }
                left -= amount;
                taken.push(t);
            }
            if taken.len() < 2 {
                continue;
            }
            let lines: Vec<ProposalLine> = taken
                .iter()
                .map(|&t| ProposalLine::cash(t, item, batch.transactions.get(t as usize).amount()))
                .collect();
            let explanation = format!(
                "{} payments quote invoice {}; applied as instalments in value-date order, {} left open",
                taken.len(),
                invoice_ids(ctx, &[item]),
                fmt_money(left)
            );
            proposals.push(proposal(
                ctx,
                taken,
                lines,
                Rule::Instalment,
                CONFIDENCE,
                explanation,
            ));
        }
        proposals
    }
}
