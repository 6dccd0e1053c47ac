//! Open items: drawing them, indexing them by customer, and picking unpaid
//! ones for payment scenarios.
//!
//! Invoices stay in memory until the payment pass has finished, because
//! scenarios shape the invoices they pay (a discount scenario gives its
//! invoice discount terms, a round-amount scenario makes amounts collide);
//! `open_items.csv` is written afterwards.

use crate::config::Profile;
use crate::csv_out::{push_padded, push_u128};
use crate::prng::Xoshiro256StarStar;
use crate::words::{DISCOUNT_TERMS, PAYMENT_TERMS_DAYS, ROUND_AMOUNTS};
use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;

/// Invoice numbers are zero-padded to at least this many digits.
const INVOICE_NUMBER_DIGITS_MIN: usize = 6;
/// Share of invoices that carry a purchase-order number.
const PO_NUMBER_PERCENT: u32 = 60;
/// SAP-style purchase orders are ten digits starting with 45.
const PO_NUMBER_PREFIX: &str = "45";
const PO_NUMBER_DIGITS: usize = 8;

/// Invoice amount bands in cents, `(low, high, weight)`: uniform inside a band,
/// bands weighted so amounts look roughly log-distributed like B2B invoices,
/// without floating point (whose `ln`/`exp` may differ between platforms).
const AMOUNT_BANDS_CENTS: &[(u64, u64, u32)] = &[
    (1_000, 9_999, 10),
    (10_000, 99_999, 45),
    (100_000, 999_999, 38),
    (1_000_000, 9_999_999, 7),
];

/// One open item, with the attributes scenarios may still reshape.
#[derive(Debug, Clone)]
pub(crate) struct Invoice {
    pub(crate) customer: u32,
    pub(crate) amount_original: Decimal,
    pub(crate) amount_open: Decimal,
    pub(crate) date: NaiveDate,
    /// Year printed in the invoice number; fixed at creation because the
    /// number may already be quoted in a remittance when the date moves.
    pub(crate) number_year: u16,
    pub(crate) terms_days: u16,
    /// (percent in hundredths, days).
    pub(crate) discount: Option<(u16, u16)>,
    /// 0 = no purchase order.
    pub(crate) po_number: u32,
    /// Paid (or claimed) by a payment of this dataset; no other scenario may use it.
    pub(crate) consumed: bool,
}

impl Invoice {
    pub(crate) fn is_partially_paid(&self) -> bool {
        self.amount_open != self.amount_original
    }

    pub(crate) fn due_date(&self) -> NaiveDate {
        self.date + Days::new(u64::from(self.terms_days))
    }
}

/// Appends a purchase-order number.
pub(crate) fn push_po_number(out: &mut Vec<u8>, po_number: u32) {
    out.extend_from_slice(PO_NUMBER_PREFIX.as_bytes());
    push_padded(out, u64::from(po_number), PO_NUMBER_DIGITS);
}

/// Digits of the sequence part of invoice numbers in a ledger of `count` invoices.
pub(crate) fn invoice_number_width(count: u32) -> usize {
    let mut digits = 1;
    let mut n = count;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits.max(INVOICE_NUMBER_DIGITS_MIN)
}

/// Appends `INV-<year>-<sequence>`, the canonical invoice number.
pub(crate) fn push_invoice_number(out: &mut Vec<u8>, year: u16, sequence: u64, width: usize) {
    out.extend_from_slice(b"INV-");
    push_u128(out, u128::from(year));
    out.push(b'-');
    push_padded(out, sequence, width);
}

/// Appends invoice `sequence`'s number as the ledger of `profile` writes it.
/// Profile `other` mixes four numbering schemes by sequence (the same
/// invoice always gets the same number): `SI0030146`, `9000012345` (an
/// SAP-style numeric billing document), `26/0012` and `INV-2026-019846`.
pub(crate) fn push_invoice_id(
    out: &mut Vec<u8>,
    profile: Profile,
    year: u16,
    sequence: u64,
    width: usize,
) {
    if profile != Profile::Other {
        return push_invoice_number(out, year, sequence, width);
    }
    match other_scheme(sequence) {
        OtherScheme::Si => {
            out.extend_from_slice(b"SI");
            push_padded(out, sequence, 7);
        }
        OtherScheme::Numeric => {
            out.extend_from_slice(b"90");
            push_padded(out, sequence, 8);
        }
        OtherScheme::YearSlash => {
            push_padded(out, u64::from(year % 100), 2);
            out.push(b'/');
            push_padded(out, sequence, 4);
        }
        OtherScheme::Inv => {
            out.extend_from_slice(b"INV-");
            push_u128(out, u128::from(year));
            out.push(b'-');
            push_padded(out, sequence, width);
        }
    }
}

/// The numbering schemes of profile `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OtherScheme {
    /// `SI0030146`.
    Si,
    /// `9000012345`.
    Numeric,
    /// `26/0012`.
    YearSlash,
    /// `INV-2026-019846`.
    Inv,
}

/// The scheme of invoice `sequence` in profile `other`.
pub(crate) fn other_scheme(sequence: u64) -> OtherScheme {
    match sequence % 4 {
        0 => OtherScheme::Si,
        1 => OtherScheme::Numeric,
        2 => OtherScheme::YearSlash,
        _ => OtherScheme::Inv,
    }
}

/// Appends the short form a payer types for invoice `sequence` of profile
/// `other`: prefixes, years and leading zeros dropped (`INV 19846` or
/// `19846` for `INV-2026-019846`, `30146` for `SI0030146`, `2026/12` for
/// `26/0012`); numeric ids stay whole.
pub(crate) fn push_short_form(
    out: &mut Vec<u8>,
    rng: &mut Xoshiro256StarStar,
    year: u16,
    sequence: u64,
    width: usize,
) {
    match other_scheme(sequence) {
        OtherScheme::Si => push_u128(out, u128::from(sequence)),
        OtherScheme::Numeric => push_invoice_id(out, Profile::Other, year, sequence, width),
        OtherScheme::YearSlash => {
            if rng.percent(50) {
                push_u128(out, u128::from(year));
            } else {
                push_padded(out, u64::from(year % 100), 2);
            }
            out.push(b'/');
            push_u128(out, u128::from(sequence));
        }
        OtherScheme::Inv => {
            if rng.percent(50) {
                out.extend_from_slice(b"INV ");
            }
            push_u128(out, u128::from(sequence));
        }
    }
}

/// A uniformly drawn amount in cents from the weighted bands.
pub(crate) fn draw_amount_cents(rng: &mut Xoshiro256StarStar) -> i64 {
    let total: u64 = AMOUNT_BANDS_CENTS.iter().map(|b| u64::from(b.2)).sum();
    let mut ticket = rng.below(total);
    for &(low, high, weight) in AMOUNT_BANDS_CENTS {
        if ticket < u64::from(weight) {
            return rng.range_inclusive(low, high) as i64;
        }
        ticket -= u64::from(weight);
    }
    unreachable!("ticket beyond the band weights")
}

/// A round amount in whole units, as cents.
pub(crate) fn draw_round_amount_cents(rng: &mut Xoshiro256StarStar) -> i64 {
    rng.pick(ROUND_AMOUNTS) * 100
}

/// Shares of invoices with special attributes.
pub(crate) struct InvoiceMix {
    pub(crate) discount_terms_percent: u32,
    pub(crate) partially_paid_percent: u32,
    pub(crate) round_amount_percent: u32,
}

/// Draws `count` invoices for `customers` customers, dated within
/// `span_days` before `as_of`.
pub(crate) fn generate_invoices(
    rng: &mut Xoshiro256StarStar,
    count: u32,
    customers: u32,
    as_of: NaiveDate,
    span_days: u32,
    mix: &InvoiceMix,
) -> Vec<Invoice> {
    let mut invoices = Vec::with_capacity(count as usize);
    for _ in 0..count {
        // Half the invoices go to a uniformly drawn customer, half to one
        // drawn by squaring a uniform draw, which favours low indices: a few
        // key accounts get many invoices and many customers get a few, as in
        // real ledgers (customer indices carry no other meaning).
        let u = rng.below(u64::from(customers));
        let customer = if rng.percent(50) {
            u as u32
        } else {
            (u * u / u64::from(customers)) as u32
        };
        let date = as_of - Days::new(rng.below(u64::from(span_days)));
        let cents = if rng.percent(mix.round_amount_percent) {
            draw_round_amount_cents(rng)
        } else {
            draw_amount_cents(rng)
        };
        let amount_original = Decimal::new(cents, 2);
        let amount_open = if rng.percent(mix.partially_paid_percent) {
            // A part payment received before this statement: 20–70 % paid.
            let paid = cents * rng.range_inclusive(20, 70) as i64 / 100;
            Decimal::new(cents - paid, 2)
        } else {
            amount_original
        };
        let discount = rng
            .percent(mix.discount_terms_percent)
            .then(|| *rng.pick(DISCOUNT_TERMS));
        let po_number = if rng.percent(PO_NUMBER_PERCENT) {
            rng.below(100_000_000) as u32
        } else {
            0
        };
        invoices.push(Invoice {
            customer,
            amount_original,
            amount_open,
            date,
            number_year: date.year() as u16,
            terms_days: *rng.pick(PAYMENT_TERMS_DAYS),
            discount,
            po_number,
            consumed: false,
        });
    }
    invoices
}

/// Invoices grouped by customer (compressed sparse rows): the invoices of
/// customer `c` are `members[offsets[c]..offsets[c + 1]]`, in number order.
pub(crate) struct CustomerIndex {
    offsets: Vec<u32>,
    members: Vec<u32>,
}

impl CustomerIndex {
    pub(crate) fn build(invoices: &[Invoice], customers: u32) -> CustomerIndex {
        let mut offsets = vec![0u32; customers as usize + 1];
        for inv in invoices {
            offsets[inv.customer as usize + 1] += 1;
        }
        for c in 0..customers as usize {
            offsets[c + 1] += offsets[c];
        }
        let mut next = offsets.clone();
        let mut members = vec![0u32; invoices.len()];
        for (i, inv) in invoices.iter().enumerate() {
            let slot = &mut next[inv.customer as usize];
            members[*slot as usize] = i as u32;
            *slot += 1;
        }
        CustomerIndex { offsets, members }
    }

    pub(crate) fn invoices_of(&self, customer: u32) -> &[u32] {
        let c = customer as usize;
        &self.members[self.offsets[c] as usize..self.offsets[c + 1] as usize]
    }
}

/// Unpaid invoices to draw from, uniformly at random.
///
/// Invoices consumed through another route (a customer-level scenario) are
/// dropped lazily when a draw meets them, so every draw is O(1) amortised.
pub(crate) struct Pool {
    live: Vec<u32>,
}

impl Pool {
    pub(crate) fn new(count: u32) -> Pool {
        Pool {
            live: (0..count).collect(),
        }
    }

    /// A random unconsumed invoice, or `None` when every invoice is consumed.
    /// The invoice is not consumed: the caller decides after inspecting it.
    pub(crate) fn draw(
        &mut self,
        rng: &mut Xoshiro256StarStar,
        invoices: &[Invoice],
    ) -> Option<u32> {
        while !self.live.is_empty() {
            let slot = rng.index(self.live.len());
            let candidate = self.live[slot];
            if !invoices[candidate as usize].consumed {
                return Some(candidate);
            }
            self.live.swap_remove(slot);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_numbers_widen_past_six_digits() {
        assert_eq!(invoice_number_width(1_000), 6);
        assert_eq!(invoice_number_width(999_999), 6);
        assert_eq!(invoice_number_width(1_000_000), 7);
        let mut out = Vec::new();
        push_invoice_number(&mut out, 2026, 123, 6);
        assert_eq!(out, b"INV-2026-000123");
    }

    #[test]
    fn customer_index_lists_every_invoice_once() {
        let mut rng = Xoshiro256StarStar::seed_from_u64(3);
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let mix = InvoiceMix {
            discount_terms_percent: 15,
            partially_paid_percent: 5,
            round_amount_percent: 4,
        };
        let invoices = generate_invoices(&mut rng, 500, 40, as_of, 120, &mix);
        let index = CustomerIndex::build(&invoices, 40);
        let mut seen = vec![false; invoices.len()];
        for c in 0..40 {
            for &i in index.invoices_of(c) {
                assert_eq!(invoices[i as usize].customer, c);
                assert!(!seen[i as usize]);
                seen[i as usize] = true;
            }
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn pool_skips_consumed_and_runs_dry() {
        let mut rng = Xoshiro256StarStar::seed_from_u64(4);
        let as_of = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        let mix = InvoiceMix {
            discount_terms_percent: 0,
            partially_paid_percent: 0,
            round_amount_percent: 0,
        };
        let mut invoices = generate_invoices(&mut rng, 10, 2, as_of, 30, &mix);
        let mut pool = Pool::new(10);
        for _ in 0..10 {
            let i = pool.draw(&mut rng, &invoices).unwrap();
            assert!(!invoices[i as usize].consumed);
            invoices[i as usize].consumed = true;
        }
        assert_eq!(pool.draw(&mut rng, &invoices), None);
    }
}
