//! Who paid and what they netted (issue 9, patterns 3, 4, 6 and 7), through
//! the public `apply_cash` boundary: credit notes netted against invoices,
//! differences checked against the payer's identity, combinations of equal
//! amounts, and payments of one day split into whole invoices. The property
//! test adds credit notes to random batches and checks the money
//! invariants on every outcome.

use cashmatch_engine::config::Rules;
use cashmatch_engine::model::*;
use cashmatch_engine::{apply_cash, RunResult};
use proptest::prelude::*;
use rust_decimal::Decimal;

#[path = "common/records.rs"]
mod records;
use records::{customer, day, eur, item, txn};

/// A credit note: an open item with a negative amount.
fn credit(id: &str, customer: &str, cents: i64) -> OpenItem {
    item(id, customer, -cents)
}

fn from(mut t: BankTransaction, iban: &str) -> BankTransaction {
    t.counterparty_account = iban.into();
    t
}

fn run(
    transactions: Vec<BankTransaction>,
    items: Vec<OpenItem>,
    customers: Vec<Customer>,
) -> RunResult {
    let batch = Batch {
        transactions: transactions.into(),
        open_items: items.into(),
        customers: customers.into(),
        as_of: day(31),
    };
    apply_cash(batch, &Rules::default(), &mut ()).expect("invariants hold")
}

/// (invoice id, applied) of every application, in output order.
fn applied(r: &RunResult) -> Vec<(String, Decimal)> {
    r.outcome
        .applications
        .iter()
        .map(|a| {
            (
                r.batch
                    .open_items
                    .get(a.item as usize)
                    .invoice_id()
                    .to_string(),
                a.applied_amount,
            )
        })
        .collect()
}

fn status_of(r: &RunResult, invoice: &str) -> ItemStatus {
    let i = r
        .batch
        .open_items
        .iter()
        .position(|it| it.invoice_id() == invoice)
        .unwrap();
    r.outcome.items_after[i].status
}

#[test]
fn a_quoted_credit_note_is_consumed_and_the_invoice_cleared_in_full() {
    for text in [
        "INV-1001 less credit note CN-2001",
        "INV-1001 abzgl. Gutschrift CN-2001",
        "INV-1001 moins avoir CN-2001",
        "INV-1001 minus credit memo CN-2001",
    ] {
        let r = run(
            vec![txn("R1", 80_000, text)],
            vec![
                item("INV-1001", "C1", 100_000),
                credit("CN-2001", "C1", 20_000),
            ],
            vec![],
        );
        let mut got = applied(&r);
        got.sort();
        assert_eq!(
            got,
            vec![
                ("CN-2001".to_string(), eur(-20_000)),
                ("INV-1001".to_string(), eur(100_000)),
            ],
            "{text}"
        );
        assert!(r.outcome.exceptions.is_empty(), "{text}");
        assert_eq!(status_of(&r, "INV-1001"), ItemStatus::Paid);
        assert_eq!(status_of(&r, "CN-2001"), ItemStatus::Paid);
        // The journal: cash 800 + credit note 200 (receivable debit) =
        // invoice 1,000 (receivable credit).
        let p = &r.outcome.postings;
        let consumed: Vec<&Posting> = p
            .iter()
            .filter(|l| l.memo == Memo::CreditNoteConsumed)
            .collect();
        assert_eq!(consumed.len(), 1);
        assert_eq!(consumed[0].debit, eur(20_000));
        assert_eq!(consumed[0].credit, Decimal::ZERO);
        let debit: Decimal = p.iter().map(|l| l.debit).sum();
        let credit_sum: Decimal = p.iter().map(|l| l.credit).sum();
        assert_eq!(debit, credit_sum);
        assert_eq!(debit, eur(100_000));
        assert!(r
            .outcome
            .applications
            .iter()
            .all(|a| a.rule == Rule::ReferenceWithDifference));
    }
}

#[test]
fn the_customers_one_credit_note_of_the_shortfall_is_netted_unquoted() {
    let r = run(
        vec![txn("R1", 75_000, "Invoice INV-1001")],
        vec![
            item("INV-1001", "C1", 100_000),
            credit("GS0004711", "C1", 25_000),
            credit("GS0004712", "C1", 3_000),
            // Another customer's credit note of the same amount is not theirs.
            credit("GS0009999", "C2", 25_000),
        ],
        vec![],
    );
    let mut got = applied(&r);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("GS0004711".to_string(), eur(-25_000)),
            ("INV-1001".to_string(), eur(100_000)),
        ]
    );
    let text = r.outcome.applications[0]
        .explanation
        .to_text(&r.batch.open_items);
    assert!(text.contains("credit note"), "{text}");
}

#[test]
fn two_credit_notes_of_the_shortfall_decide_nothing() {
    let r = run(
        vec![txn("R1", 75_000, "Invoice INV-1001 damaged")],
        vec![
            item("INV-1001", "C1", 100_000),
            credit("GS0004711", "C1", 25_000),
            credit("GS0004712", "C1", 25_000),
        ],
        vec![],
    );
    // A short pay with a deduction, as without credit notes; no credit
    // note is touched.
    assert!(r
        .outcome
        .applications
        .iter()
        .all(|a| a.applied_amount >= Decimal::ZERO));
    assert_eq!(status_of(&r, "GS0004711"), ItemStatus::Open);
    assert_eq!(status_of(&r, "GS0004712"), ItemStatus::Open);
}

#[test]
fn a_quoted_credit_note_that_does_not_explain_the_difference_is_left_open() {
    let r = run(
        vec![txn("R1", 70_000, "INV-1001 less credit note CN-2001")],
        vec![
            item("INV-1001", "C1", 100_000),
            credit("CN-2001", "C1", 20_000),
        ],
        vec![],
    );
    assert_eq!(status_of(&r, "CN-2001"), ItemStatus::Open);
    assert!(r
        .outcome
        .applications
        .iter()
        .all(|a| a.applied_amount >= Decimal::ZERO));
}

#[test]
fn a_difference_is_not_applied_against_the_payers_identity() {
    // The payer's account is customer C2's; the quoted invoice is C1's.
    let customers = vec![
        customer("C1", "Acme Textiles B.V.", "NL01ACME"),
        customer("C2", "Borealis Energy AG", "DE02BORE"),
    ];
    let items = || {
        vec![
            item("INV-1001", "C1", 100_000),
            item("INV-2002", "C2", 5_000),
        ]
    };
    for (cents, what) in [
        (99_990, "write-off"),
        (80_000, "short pay"),
        (110_000, "overpayment"),
    ] {
        let r = run(
            vec![from(txn("R1", cents, "Invoice INV-1001"), "DE02BORE")],
            items(),
            customers.clone(),
        );
        assert!(r.outcome.applications.is_empty(), "{what}");
        let e = &r.outcome.exceptions[0];
        assert_eq!(e.reason, ReasonCode::AmountMismatch, "{what}");
        let detail = e.detail_text();
        assert!(detail.contains("payer"), "{what}: {detail}");
        // The same payment from the invoice's customer applies.
        let r = run(
            vec![from(txn("R1", cents, "Invoice INV-1001"), "NL01ACME")],
            items(),
            customers.clone(),
        );
        assert_eq!(r.outcome.applications.len(), 1, "{what}");
    }
    // Paid to the cent: the reference decides, whoever paid.
    let r = run(
        vec![from(txn("R1", 100_000, "Invoice INV-1001"), "DE02BORE")],
        items(),
        customers,
    );
    assert_eq!(r.outcome.applications.len(), 1);
}

#[test]
fn no_combination_outbids_open_items_of_exactly_the_amount() {
    // Two items of 5,000 (a tie) and two of 2,500 that add up to it.
    let r = run(
        vec![from(txn("R1", 500_000, "Payment"), "DE01")],
        vec![
            item("INV-1", "C1", 500_000),
            item("INV-2", "C1", 500_000),
            item("INV-3", "C1", 250_000),
            item("INV-4", "C1", 250_000),
            item("INV-5", "C1", 12_345),
        ],
        vec![customer("C1", "Firm One GmbH", "DE01")],
    );
    assert!(r.outcome.applications.is_empty());
    assert_eq!(r.outcome.exceptions[0].reason, ReasonCode::AmbiguousMatch);
}

#[test]
fn payments_of_one_day_are_split_into_whole_invoices_or_not_at_all() {
    let customers = vec![customer("C1", "Firm One GmbH", "DE01")];
    // 300 + 700 = 1,000 and 450 + 550 = 1,000: each payment alone is
    // ambiguous, together they pay 300 + 700 + 450 + 550 one way only
    // (the 100 and 900 fit neither payment's split).
    let items = vec![
        item("INV-1", "C1", 30_000),
        item("INV-2", "C1", 70_000),
        item("INV-3", "C1", 45_000),
        item("INV-4", "C1", 55_000),
    ];
    let r = run(
        vec![
            from(txn("R1", 100_000, "Payment"), "DE01"),
            from(txn("R2", 100_000, "Payment"), "DE01"),
        ],
        items,
        customers.clone(),
    );
    // Two payments of 1,000 and four invoices: two splits fit
    // ({1,2}/{3,4} and {3,4}/{1,2}), so nothing is applied.
    assert!(r.outcome.applications.is_empty());
    // 1,000 and 1,200 against 300, 700, 450, 750: each payment's own
    // combination is unique, and each pays whole invoices.
    let r = run(
        vec![
            from(txn("R1", 100_000, "Payment"), "DE01"),
            from(txn("R2", 120_000, "Payment"), "DE01"),
        ],
        vec![
            item("INV-1", "C1", 30_000),
            item("INV-2", "C1", 70_000),
            item("INV-3", "C1", 45_000),
            item("INV-4", "C1", 75_000),
            item("INV-5", "C1", 99_999),
        ],
        customers,
    );
    assert_eq!(r.outcome.applications.len(), 4);
    for a in &r.outcome.applications {
        let inv = r.batch.open_items.get(a.item as usize).invoice_id();
        let bank = r.batch.transactions.get(a.txn as usize).bank_reference();
        let want = if ["INV-1", "INV-2"].contains(&inv) {
            "R1"
        } else {
            "R2"
        };
        assert_eq!(bank, want, "{inv}");
        assert_eq!(
            a.applied_amount,
            r.batch.open_items.get(a.item as usize).amount_open()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random invoices and credit notes of three customers, payments that
    /// quote an invoice and maybe a credit note, pay it less a credit or
    /// something else: every outcome keeps conservation, never consumes more
    /// of a credit note than it has open nor clears more of an invoice, and
    /// every journal balances (the engine's own invariant check runs inside
    /// `apply_cash`; these are checked again here from the outcome).
    #[test]
    fn credit_notes_keep_the_invariants(
        invoices in prop::collection::vec((0u8..3, 1i64..8), 1..8),
        credits in prop::collection::vec((0u8..3, 1i64..4), 0..5),
        pays in prop::collection::vec((0usize..8, 0usize..5, 0u8..4, any::<bool>()), 1..10),
    ) {
        let mut open: Vec<OpenItem> = invoices
            .iter()
            .enumerate()
            .map(|(i, &(c, units))| item(&format!("INV-2026-{i:06}"), &format!("C{c}"), units * 10_000))
            .collect();
        open.extend(credits.iter().enumerate().map(|(k, &(c, units))| {
            credit(&format!("CN-{:04}", 2001 + k), &format!("C{c}"), units * 2_500)
        }));
        let customers: Vec<Customer> = (0..3)
            .map(|c| customer(&format!("C{c}"), &format!("Firm {c} GmbH"), &format!("DE{c}")))
            .collect();
        let bank: Vec<BankTransaction> = pays
            .iter()
            .enumerate()
            .map(|(n, &(inv, cn, style, known))| {
                let inv = inv % invoices.len();
                let inv_units = invoices[inv].1 * 10_000;
                let cn_units = credits.get(cn % credits.len().max(1)).map_or(0, |c| c.1 * 2_500);
                let (cents, text) = match style {
                    0 => (inv_units - cn_units, format!("INV-2026-{inv:06} less credit note CN-{:04}", 2001 + cn)),
                    1 => (inv_units - cn_units, format!("INV-2026-{inv:06}")),
                    2 => (inv_units, format!("INV-2026-{inv:06} CN-{:04}", 2001 + cn)),
                    _ => (inv_units - 2_500, format!("INV-2026-{inv:06} abzgl. Gutschrift")),
                };
                let t = txn(&format!("R{n}"), cents.max(1), &text);
                if known { from(t, &format!("DE{}", invoices[inv].0)) } else { t }
            })
            .collect();
        let batch = Batch {
            transactions: bank.into(),
            open_items: open.into(),
            customers: customers.into(),
            as_of: day(31),
        };
        let r = apply_cash(batch, &Rules::default(), &mut ())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let n = r.batch.transactions.len();
        let mut cleared = vec![Decimal::ZERO; r.batch.open_items.len()];
        let mut per_txn = vec![Decimal::ZERO; n];
        for a in &r.outcome.applications {
            cleared[a.item as usize] += a.cleared_amount();
            per_txn[a.txn as usize] += a.applied_amount;
            if a.applied_amount < Decimal::ZERO {
                prop_assert!(r.batch.open_items.get(a.item as usize).amount_open() < Decimal::ZERO);
            }
        }
        for (i, it) in r.batch.open_items.iter().enumerate() {
            if it.amount_open() >= Decimal::ZERO {
                prop_assert!(cleared[i] >= Decimal::ZERO && cleared[i] <= it.amount_open());
            } else {
                prop_assert!(cleared[i] <= Decimal::ZERO && cleared[i] >= it.amount_open());
            }
        }
        let mut unapplied = vec![Decimal::ZERO; n];
        for e in &r.outcome.exceptions {
            unapplied[e.txn as usize] += e.amount;
        }
        for (t, txn) in r.batch.transactions.iter().enumerate() {
            prop_assert_eq!(per_txn[t] + unapplied[t], txn.amount());
            prop_assert!(per_txn[t] >= Decimal::ZERO);
        }
        let mut balance = vec![Decimal::ZERO; n];
        for p in &r.outcome.postings {
            balance[p.txn as usize] += p.debit - p.credit;
        }
        prop_assert!(balance.iter().all(Decimal::is_zero));
    }
}
