//! Property tests of cross-currency application and bank charges (issue 11,
//! part 2): whatever the rates, amounts, currencies and references, every
//! journal balances in each of its currencies (with the FX position, gain
//! and loss lines), each transaction is conserved in its own currency, and
//! no invoice is cleared beyond its open amount in its own currency. The
//! engine checks its invariants inside `apply_cash_with`; these are
//! recomputed here from the outcome, independently.

use cashmatch_engine::fx::{FxInput, FxRules, Rate, RateTable};
use cashmatch_engine::model::*;
use cashmatch_engine::{apply_cash_with, config::Rules, RunExtras};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

const CURRENCIES: [&str; 4] = ["EUR", "USD", "GBP", "JPY"];

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1 + n).unwrap()
}

fn minor(amount: i64, currency: &str) -> Decimal {
    if currency == "JPY" {
        Decimal::new(amount / 100, 0)
    } else {
        Decimal::new(amount, 2)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn fx_journals_balance_and_money_is_conserved(
        items in prop::collection::vec((0usize..4, 1_000i64..500_000, 0u32..5), 1..8),
        pays in prop::collection::vec((0usize..8, 0usize..4, 0u32..5, -300i64..300, 0u8..4), 1..10),
        rates in prop::collection::vec((0usize..4, 0usize..4, 0u32..5, 5_000i64..200_000), 0..12),
        tolerance in 0i64..30,
        charges in any::<bool>(),
    ) {
        let open: Vec<OpenItem> = items
            .iter()
            .enumerate()
            .map(|(i, &(c, amount, d))| {
                let cur = CURRENCIES[c];
                let a = minor(amount, cur);
                OpenItem {
                    invoice_id: format!("INV-2026-{:06}", i + 1),
                    customer_id: format!("C{}", i % 3),
                    customer_name: format!("Firm {} GmbH", i % 3),
                    currency: cur.into(),
                    amount_open: a,
                    amount_original: a,
                    invoice_date: Some(day(d)),
                    due_date: Some(day(d + 20)),
                    ..Default::default()
                }
            })
            .collect();
        let table: Vec<Rate> = rates
            .iter()
            .filter(|(f, t, _, _)| f != t)
            .map(|&(f, t, d, r)| Rate {
                date: day(d),
                from: CURRENCIES[f].into(),
                to: CURRENCIES[t].into(),
                rate: Decimal::new(r, 5),
                source: "test".into(),
            })
            .collect();
        let rate_table = RateTable::new(table.clone());
        let bank: Vec<BankTransaction> = pays
            .iter()
            .enumerate()
            .map(|(n, &(target, c, d, delta, style))| {
                let cur = CURRENCIES[c];
                let it = &open[target % open.len()];
                // Near the converted open amount when a rate exists, so the
                // tolerance decides; otherwise an arbitrary amount.
                let base = rate_table
                    .find(cur, &it.currency, day(d), 4)
                    .and_then(|h| it.amount_open.checked_div(h.rate))
                    .unwrap_or(it.amount_open);
                let scale = if cur == "JPY" { 0 } else { 2 };
                let amount = (base * (Decimal::ONE + Decimal::new(delta, 4))).round_dp(scale).max(minor(100, cur));
                let text = match style {
                    0 | 1 => it.invoice_id.clone(),
                    2 => format!("{} {}", it.invoice_id, open[(target + 1) % open.len()].invoice_id),
                    _ => "payment".into(),
                };
                BankTransaction {
                    bank_reference: format!("R{n}"),
                    account: "DE01".into(),
                    currency: cur.into(),
                    amount,
                    remittance_info: text,
                    value_date: Some(day(d)),
                    booking_date: Some(day(d)),
                    counterparty_account: format!("DE{}", target % 3),
                    ..Default::default()
                }
            })
            .collect();
        let customers: Vec<Customer> = (0..3)
            .map(|c| Customer {
                customer_id: format!("C{c}"),
                name: format!("Firm {c} GmbH"),
                bank_accounts: vec![format!("DE{c}")],
                ..Default::default()
            })
            .collect();
        let batch = Batch {
            transactions: bank.into(),
            open_items: open.into(),
            customers: customers.into(),
            as_of: day(10),
        };
        let mut rules = FxRules {
            rate_tolerance_percent: Decimal::new(tolerance, 1),
            ..FxRules::default()
        };
        if charges {
            rules.charge_max_amount.insert("EUR".into(), Decimal::new(2500, 2));
            rules.charge_max_percent = Decimal::new(5, 1);
        }
        let fx = FxInput { rates: RateTable::new(table), rules };
        let extras = RunExtras { fx: Some(&fx), ..Default::default() };
        let r = apply_cash_with(batch, &Rules::default(), &extras, &mut ()).expect("invariants hold");
        let (b, o) = (&r.batch, &r.outcome);

        // Every journal balances in each currency, FX lines included.
        let mut sums: BTreeMap<(u32, &str), Decimal> = BTreeMap::new();
        for p in &o.postings {
            prop_assert!(p.debit >= Decimal::ZERO && p.credit >= Decimal::ZERO);
            *sums.entry((p.txn, p.currency(b))).or_default() += p.debit - p.credit;
        }
        prop_assert!(sums.values().all(|v| v.is_zero()), "{:?}", sums);

        // Conservation per transaction, in the payment's currency.
        let n = b.transactions.len();
        let mut paid = vec![Decimal::ZERO; n];
        for a in &o.applications {
            let t = b.transactions.get(a.txn as usize);
            let it = b.open_items.get(a.item as usize);
            match o.fx_of(a) {
                Some(f) => {
                    prop_assert_ne!(t.currency(), it.currency());
                    prop_assert!(f.payment_amount > Decimal::ZERO);
                    // The recorded conversion is the payment at the rate,
                    // rounded half-even to the invoice's minor unit.
                    prop_assert_eq!(
                        f.invoice_amount,
                        cashmatch_engine::fx::convert(f.payment_amount, f.rate, it.currency()).unwrap()
                    );
                    prop_assert_eq!(f.gain_loss, f.invoice_amount - a.cleared_amount());
                    paid[a.txn as usize] += f.payment_amount;
                }
                None => {
                    prop_assert_eq!(t.currency(), it.currency());
                    paid[a.txn as usize] += a.applied_amount;
                }
            }
        }
        for e in &o.exceptions {
            paid[e.txn as usize] += e.amount;
        }
        for (k, t) in b.transactions.iter().enumerate() {
            prop_assert_eq!(paid[k], t.amount(), "transaction {}", t.bank_reference());
        }

        // No invoice over-applied, in its own currency.
        let mut cleared = vec![Decimal::ZERO; b.open_items.len()];
        for a in &o.applications {
            cleared[a.item as usize] += a.cleared_amount();
        }
        for (i, it) in b.open_items.iter().enumerate() {
            prop_assert!(cleared[i] <= it.amount_open(), "{} cleared {} of {}", it.invoice_id(), cleared[i], it.amount_open());
            prop_assert_eq!(o.items_after[i].amount_open_after, it.amount_open() - cleared[i]);
        }
    }
}
