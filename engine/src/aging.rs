//! The as-of aging snapshot: open receivables per customer, currency and
//! days-past-due bucket, after this run's applications.

use crate::model::{AgingBucket, AgingRow, Batch, ItemAfter, ItemIdx};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Aggregates items with money still open. Items without a due date age
/// from their invoice date, and without either they are `current`. Rows are
/// in (customer id, currency, bucket) order; each names its customer and
/// currency by one of its items.
pub fn build(batch: &Batch, items_after: &[ItemAfter]) -> Vec<AgingRow> {
    let mut acc: BTreeMap<(&str, &str, AgingBucket), (ItemIdx, Decimal, u64)> = BTreeMap::new();
    for after in items_after {
        if after.amount_open_after.is_zero() {
            continue;
        }
        let item = batch.open_items.get(after.item as usize);
        let days = item
            .due_date()
            .or(item.invoice_date())
            .map_or(0, |due| (batch.as_of - due).num_days());
        let bucket = AgingBucket::for_days_past_due(days);
        let e = acc
            .entry((item.customer_id(), item.currency(), bucket))
            .or_insert((after.item, Decimal::ZERO, 0));
        e.1 += after.amount_open_after;
        e.2 += 1;
    }
    acc.into_iter()
        .map(|((_, _, bucket), (item, amount, items))| AgingRow {
            as_of: batch.as_of,
            item,
            bucket,
            amount,
            items,
        })
        .collect()
}
