//! The as-of aging snapshot: open receivables per company, customer,
//! currency and days-past-due bucket, after this run's applications.

use crate::company::Companies;
use crate::model::{AgingBucket, AgingRow, Batch, ItemAfter, ItemIdx};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Aggregates items with money still open. Items without a due date age
/// from their invoice date, and without either they are `current`. Rows are
/// in (customer id, currency, bucket) order; each names its customer and
/// currency by one of its items.
pub fn build(batch: &Batch, items_after: &[ItemAfter]) -> Vec<AgingRow> {
    build_by_company(batch, items_after, &Companies::default())
}

/// [`build`] per legal entity: rows in (company code, customer id,
/// currency, bucket) order; a row's company is its items' (an item is aged
/// in the books of its own company, whoever received the cash). With one
/// company the rows are those of [`build`].
pub fn build_by_company(
    batch: &Batch,
    items_after: &[ItemAfter],
    companies: &Companies,
) -> Vec<AgingRow> {
    #[allow(clippy::type_complexity)]
    let mut acc: BTreeMap<(&str, &str, &str, AgingBucket), (ItemIdx, Decimal, u64)> =
        BTreeMap::new();
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
            .entry((
                companies.item_code(after.item),
                item.customer_id(),
                item.currency(),
                bucket,
            ))
            .or_insert((after.item, Decimal::ZERO, 0));
        e.1 += after.amount_open_after;
        e.2 += 1;
    }
    acc.into_iter()
        .map(|((_, _, _, bucket), (item, amount, items))| AgingRow {
            as_of: batch.as_of,
            item,
            bucket,
            amount,
            items,
        })
        .collect()
}
