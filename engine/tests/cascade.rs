//! The matching cascade, pass by pass, through the public `apply_cash`
//! boundary: every test builds a small batch, runs it and checks what was
//! applied and what became an exception.

use cashmatch_engine::config::Rules;
use cashmatch_engine::model::*;
use cashmatch_engine::{apply_cash, RunResult};
use proptest::prelude::*;
use rust_decimal::Decimal;

#[path = "common/records.rs"]
mod records;
use records::{customer, day, eur, item, txn};

fn from(mut t: BankTransaction, iban: &str, name: &str) -> BankTransaction {
    t.counterparty_account = iban.into();
    t.counterparty_name = name.into();
    t
}

fn batch(
    transactions: Vec<BankTransaction>,
    open_items: Vec<OpenItem>,
    customers: Vec<Customer>,
) -> Batch {
    Batch {
        transactions: transactions.into(),
        open_items: open_items.into(),
        customers: customers.into(),
        as_of: day(31),
    }
}

fn check(b: Batch) -> RunResult {
    check_with(b, &Rules::default())
}

fn check_with(b: Batch, rules: &Rules) -> RunResult {
    apply_cash(b, rules, &mut ()).expect("invariants hold")
}

/// (bank reference, invoice id, applied, rule) of every application.
fn applied(run: &RunResult) -> Vec<(String, String, Decimal, Rule)> {
    run.outcome
        .applications
        .iter()
        .map(|a| {
            (
                run.batch
                    .transactions
                    .get(a.txn as usize)
                    .bank_reference()
                    .to_string(),
                run.batch
                    .open_items
                    .get(a.item as usize)
                    .invoice_id()
                    .to_string(),
                a.applied_amount,
                a.rule,
            )
        })
        .collect()
}

fn exception<'r>(run: &'r RunResult, bank_ref: &str) -> &'r ExceptionRecord {
    run.outcome
        .exceptions
        .iter()
        .find(|e| run.batch.transactions.get(e.txn as usize).bank_reference() == bank_ref)
        .unwrap_or_else(|| panic!("no exception for {bank_ref}"))
}

fn open_after(run: &RunResult, invoice: &str) -> Decimal {
    let i = run
        .batch
        .open_items
        .iter()
        .position(|x| x.invoice_id() == invoice)
        .unwrap();
    run.outcome.items_after[i].amount_open_after
}

/// An ISO 11649 creditor reference for `payload`.
fn rf(payload: &str) -> String {
    let digits: String = payload
        .chars()
        .chain("RF00".chars())
        .map(|c| c.to_digit(36).unwrap().to_string())
        .collect();
    let rem = digits
        .bytes()
        .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
    format!("RF{:02}{payload}", 98 - rem)
}

#[test]
fn structured_rf_reference_with_valid_check_digits_applies() {
    let mut t = txn("R1", 125_000, "");
    t.structured_refs = vec![rf("INV2026000123")];
    let run = check(batch(
        vec![t],
        vec![item("INV-2026-000123", "C1", 125_000)],
        vec![],
    ));
    assert_eq!(
        applied(&run),
        vec![(
            "R1".into(),
            "INV-2026-000123".into(),
            eur(125_000),
            Rule::StructuredReference
        )]
    );
    assert!(run.outcome.applications[0]
        .explanation
        .to_text(&run.batch.open_items)
        .contains("structured reference"));
}

#[test]
fn structured_rf_reference_with_bad_check_digits_is_not_trusted() {
    let good = rf("INV2026000123");
    let bad = format!(
        "RF{:02}{}",
        (good[2..4].parse::<u32>().unwrap() + 1) % 100,
        &good[4..]
    );
    let mut t = txn("R1", 125_000, "");
    t.structured_refs = vec![bad];
    let run = check(batch(
        vec![t],
        vec![item("INV-2026-000123", "C1", 125_000)],
        vec![],
    ));
    assert!(run.outcome.applications.is_empty());
    assert_eq!(exception(&run, "R1").reason, ReasonCode::UnknownReference);
}

#[test]
fn discount_within_terms_is_granted() {
    let mut inv = item("INV-1001", "C1", 100_000);
    inv.discount_percent = Some(Decimal::new(2, 0));
    inv.discount_days = Some(10);
    inv.invoice_date = Some(day(8));
    let t = txn("R1", 98_000, "INV-1001 abzgl. Skonto");
    let run = check(batch(vec![t], vec![inv], vec![]));
    let a = &run.outcome.applications[0];
    assert_eq!(
        (a.applied_amount, a.discount_amount),
        (eur(98_000), eur(2_000))
    );
    assert_eq!(a.rule, Rule::ReferenceWithDifference);
    assert_eq!(open_after(&run, "INV-1001"), Decimal::ZERO);
}

#[test]
fn discount_after_terms_is_a_short_payment() {
    let mut inv = item("INV-1001", "C1", 100_000);
    inv.discount_percent = Some(Decimal::new(2, 0));
    inv.discount_days = Some(10);
    inv.invoice_date = Some(day(1)); // terms end day 11, grace day 14; paid day 20
    let run = check(batch(
        vec![txn("R1", 98_000, "INV-1001")],
        vec![inv],
        vec![],
    ));
    let a = &run.outcome.applications[0];
    assert_eq!(a.discount_amount, Decimal::ZERO);
    assert_eq!(a.deduction_amount, eur(2_000));
    // The late discount is a deduction: cleared into the deduction account.
    assert_eq!(open_after(&run, "INV-1001"), Decimal::ZERO);
}

#[test]
fn discount_rounds_half_even_to_the_cent() {
    // 1,000.25 × 0.98 = 980.245 → 980.24 (half-even), discount 20.01.
    let mut inv = item("INV-1001", "C1", 100_025);
    inv.discount_percent = Some(Decimal::new(2, 0));
    inv.discount_days = Some(30);
    let run = check(batch(
        vec![txn("R1", 98_024, "INV-1001")],
        vec![inv],
        vec![],
    ));
    assert_eq!(run.outcome.applications[0].discount_amount, eur(2_001));
}

#[test]
fn short_payment_records_deduction_and_reason() {
    let run = check(batch(
        vec![txn("R1", 90_000, "INV-1001 less 100.00 damaged goods")],
        vec![item("INV-1001", "C1", 100_000)],
        vec![],
    ));
    let a = &run.outcome.applications[0];
    assert_eq!(a.applied_amount, eur(90_000));
    assert_eq!(a.deduction_amount, eur(10_000));
    assert_eq!(a.deduction_reason, Some(DeductionReason::Damaged));
    assert_eq!(open_after(&run, "INV-1001"), Decimal::ZERO);
    let i = 0;
    assert_eq!(
        run.outcome.items_after[i].status,
        ItemStatus::ClearedWithDeduction
    );
}

/// Issue 13: `[gl] deduction` was accepted but unused. A deduction is
/// debited to it (with the invoice and the reason) and the receivable is
/// credited with the whole invoice, so the journal still balances.
#[test]
fn deduction_is_posted_to_the_deduction_account() {
    let mut rules = Rules::default();
    rules.gl.deduction = "1265-DED".into();
    let run = check_with(
        batch(
            vec![txn("R1", 90_000, "INV-1001 less 100.00 damaged goods")],
            vec![item("INV-1001", "C1", 100_000)],
            vec![],
        ),
        &rules,
    );
    let p = &run.outcome.postings;
    let o = &run.outcome;
    let ded: Vec<_> = p.iter().filter(|x| x.gl_account(o) == "1265-DED").collect();
    assert_eq!(ded.len(), 1, "one deduction line: {p:#?}");
    assert_eq!(ded[0].debit, eur(10_000));
    assert_eq!(ded[0].invoice_id(&run.batch), Some("INV-1001"));
    assert_eq!(ded[0].customer_id(&run.batch, o), Some("C1"));
    assert!(
        ded[0].memo.as_str().contains("damaged"),
        "{}",
        ded[0].memo.as_str()
    );
    let receivable: Decimal = p
        .iter()
        .filter(|x| x.gl_account(o) == rules.gl.receivable)
        .map(|x| x.credit)
        .sum();
    assert_eq!(receivable, eur(100_000));
    let debits: Decimal = p.iter().map(|x| x.debit).sum();
    let credits: Decimal = p.iter().map(|x| x.credit).sum();
    assert_eq!(debits, credits);
}

fn held(mut it: OpenItem, reason: HoldReason) -> OpenItem {
    it.hold = Some(ItemHold {
        reason,
        detail: "test".into(),
    });
    it
}

/// RELIABILITY B1-11 / issue 13: an invoice row the extract could not carry
/// faithfully (excess scale, unknown currency, duplicated id) is held: no
/// payment is applied to it, the payment that names it waits with
/// `HELD_INVOICE`, and the item stays open as delivered.
#[test]
fn held_invoice_is_never_matched_and_stays_open() {
    for reason in [
        HoldReason::InvalidScale,
        HoldReason::UnknownCurrency,
        HoldReason::DuplicateInvoiceId,
    ] {
        let run = check(batch(
            vec![
                txn("R1", 100_000, "INV-1001"),
                from(txn("R2", 100_000, "payment"), "DE11", "Acme GmbH"),
            ],
            vec![held(item("INV-1001", "C1", 100_000), reason)],
            vec![customer("C1", "Acme GmbH", "DE11")],
        ));
        assert!(run.outcome.applications.is_empty(), "{reason:?}");
        assert_eq!(exception(&run, "R1").reason, ReasonCode::HeldInvoice);
        assert!(exception(&run, "R1")
            .detail_text()
            .contains(reason.as_str()));
        assert_eq!(open_after(&run, "INV-1001"), eur(100_000));
        assert_eq!(run.outcome.items_after[0].status, ItemStatus::Held);
        let aged: Decimal = run.outcome.aging.iter().map(|a| a.amount).sum();
        assert_eq!(aged, eur(100_000), "a held item is still receivable");
    }
}

#[test]
fn writeoff_thresholds_are_inclusive_and_both_must_hold() {
    let case = |open: i64, paid: i64| {
        let run = check(batch(
            vec![txn("R1", paid, "INV-1001")],
            vec![item("INV-1001", "C1", open)],
            vec![],
        ));
        let a = run.outcome.applications[0].clone();
        (a.writeoff_amount, a.deduction_amount)
    };
    // Amount limit 5.00 (0.5 % of 10,000.00 would allow 50.00).
    assert_eq!(case(1_000_000, 999_500), (eur(500), Decimal::ZERO));
    assert_eq!(case(1_000_000, 999_499), (Decimal::ZERO, eur(501)));
    // Percent limit 0.5 % of 100.00 = 0.50.
    assert_eq!(case(10_000, 9_950), (eur(50), Decimal::ZERO));
    assert_eq!(case(10_000, 9_949), (Decimal::ZERO, eur(51)));
}

#[test]
fn overpayment_stays_on_account() {
    let customers = vec![customer("C1", "Acme GmbH", "DE11")];
    let run = check(batch(
        vec![from(txn("R1", 105_000, "INV-1001"), "DE11", "Acme")],
        vec![
            item("INV-1001", "C1", 100_000),
            item("INV-1002", "C1", 5_000),
        ],
        customers,
    ));
    assert_eq!(applied(&run).len(), 1);
    assert_eq!(open_after(&run, "INV-1002"), eur(5_000));
    let e = exception(&run, "R1");
    assert_eq!((e.reason, e.amount), (ReasonCode::Overpayment, eur(5_000)));
    assert_eq!(e.customer_id(&run.batch), Some("C1"));
    assert_eq!(
        e.detail_text(),
        "50.00 left on account after applying to the referenced invoices"
    );
}

#[test]
fn duplicate_payment_is_not_pushed_onto_another_invoice() {
    let customers = vec![customer("C1", "Acme GmbH", "DE11")];
    let run = check(batch(
        vec![
            from(txn("R1", 50_000, "INV-1001"), "DE11", "Acme"),
            from(txn("R2", 50_000, "INV-1001"), "DE11", "Acme"),
        ],
        vec![
            item("INV-1001", "C1", 50_000),
            item("INV-1002", "C1", 50_000),
        ],
        customers,
    ));
    assert_eq!(
        applied(&run),
        vec![(
            "R1".into(),
            "INV-1001".into(),
            eur(50_000),
            Rule::ExactReference
        )]
    );
    assert_eq!(exception(&run, "R2").reason, ReasonCode::DuplicatePayment);
    assert_eq!(open_after(&run, "INV-1002"), eur(50_000));
}

#[test]
fn equal_amounts_without_reference_are_ambiguous_suggestions() {
    let customers = vec![customer("C1", "Acme GmbH", "DE11")];
    let run = check(batch(
        vec![from(txn("R1", 50_000, "Payment"), "DE11", "Acme")],
        vec![
            item("INV-1001", "C1", 50_000),
            item("INV-1002", "C1", 50_000),
        ],
        customers,
    ));
    assert!(run.outcome.applications.is_empty());
    let e = exception(&run, "R1");
    assert_eq!(e.reason, ReasonCode::AmbiguousMatch);
    let mut ids: Vec<&str> = e
        .suggestions
        .iter()
        .map(|s| s.invoice_id.as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["INV-1001", "INV-1002"]);
}

#[test]
fn single_amount_whole_balance_and_past_due() {
    let customers = vec![
        customer("C1", "Acme GmbH", "DE11"),
        customer("C2", "Beta AG", "DE22"),
        customer("C3", "Gamma Ltd", "DE33"),
    ];
    let mut not_due = item("INV-3003", "C3", 40_000);
    not_due.due_date = Some(day(31));
    let run = check(batch(
        vec![
            from(txn("R1", 12_345, "Payment"), "DE11", ""),
            from(txn("R2", 30_000, "Payment"), "DE22", ""),
            from(txn("R3", 30_000, "Payment"), "DE33", ""),
        ],
        vec![
            item("INV-1001", "C1", 12_345),
            item("INV-1002", "C1", 99_999),
            item("INV-2001", "C2", 10_000),
            item("INV-2002", "C2", 20_000),
            item("INV-3001", "C3", 10_000),
            item("INV-3002", "C3", 20_000),
            not_due,
        ],
        customers,
    ));
    let got = applied(&run);
    assert!(got.contains(&(
        "R1".into(),
        "INV-1001".into(),
        eur(12_345),
        Rule::CustomerSingleAmount
    )));
    assert!(got.contains(&(
        "R2".into(),
        "INV-2002".into(),
        eur(20_000),
        Rule::CustomerWholeBalance
    )));
    assert!(got.contains(&(
        "R3".into(),
        "INV-3001".into(),
        eur(10_000),
        Rule::CustomerPastDue
    )));
    let a = &run.outcome.applications[0];
    let text = a.explanation.to_text(&run.batch.open_items);
    assert!(text.contains("payer account DE11"), "{text}");
}

#[test]
fn subset_sum_unique_ambiguous_and_over_budget() {
    let customers = vec![
        customer("C1", "Acme GmbH", "DE11"),
        customer("C2", "Beta AG", "DE22"),
    ];
    let items = vec![
        item("A1", "C1", 10_000),
        item("A2", "C1", 25_000),
        item("A3", "C1", 40_000),
        item("A4", "C1", 7_500),
        item("B1", "C2", 10_000),
        item("B2", "C2", 20_000),
        item("B3", "C2", 12_000),
        item("B4", "C2", 18_000),
        item("B5", "C2", 99_000),
    ];
    let txns = vec![
        from(txn("R1", 32_500, "Payment"), "DE11", ""),
        from(txn("R2", 30_000, "Payment"), "DE22", ""),
    ];
    let run = check(batch(txns.clone(), items.clone(), customers.clone()));
    let mut got = applied(&run);
    got.sort();
    assert_eq!(
        got,
        vec![
            (
                "R1".into(),
                "A2".into(),
                eur(25_000),
                Rule::CustomerSubsetSum
            ),
            (
                "R1".into(),
                "A4".into(),
                eur(7_500),
                Rule::CustomerSubsetSum
            ),
        ]
    );
    assert_eq!(exception(&run, "R2").reason, ReasonCode::AmbiguousMatch);
    assert!(!exception(&run, "R2").suggestions.is_empty());

    let mut tight = Rules::default();
    tight.matching.subset_steps_max = 1;
    let run = check_with(batch(txns, items, customers), &tight);
    assert!(run.outcome.applications.is_empty());
    assert_eq!(exception(&run, "R1").reason, ReasonCode::AmbiguousMatch);
}

#[test]
fn payer_identified_by_normalised_iban() {
    let customers = vec![customer("C1", "Acme GmbH", "DE89 3704 0044 0532 0130 00")];
    let run = check(batch(
        vec![from(
            txn("R1", 4_200, "Zahlung"),
            "de89370400440532013000",
            "SOMEONE",
        )],
        vec![item("INV-1", "C1", 4_200)],
        customers,
    ));
    assert_eq!(applied(&run).len(), 1);
}

#[test]
fn payer_identified_by_upper_cased_abbreviated_and_truncated_names() {
    let customers = vec![
        customer("C1", "Müller International Logistik GmbH & Co. KG", ""),
        customer("C2", "Northern Precision Components Distribution Ltd", ""),
        customer("C3", "Schmidt Bau AG", ""),
    ];
    let cases = [
        ("MUELLER INTL LOGISTIK GMBH U. CO. KG", "C1"),
        ("Mueller International Logistik", "C1"),
        // Cut at 35 characters by the bank.
        ("NORTHERN PRECISION COMPONENTS DISTR", "C2"),
    ];
    for (n, (payer, want)) in cases.iter().enumerate() {
        let items = vec![
            item("X1", "C1", 11_111),
            item("X2", "C2", 11_111),
            item("X3", "C3", 11_111),
        ];
        let run = check(batch(
            vec![from(txn(&format!("R{n}"), 11_111, "Payment"), "", payer)],
            items,
            customers.clone(),
        ));
        let got = applied(&run);
        assert_eq!(got.len(), 1, "{payer}");
        let inv = &got[0].1;
        let c = run
            .batch
            .open_items
            .iter()
            .find(|i| i.invoice_id() == inv)
            .unwrap()
            .customer_id();
        assert_eq!(c, *want, "{payer}");
    }
}

#[test]
fn unrelated_payer_name_identifies_nobody() {
    let run = check(batch(
        vec![from(
            txn("R1", 11_111, "Refund"),
            "",
            "Finanzamt Hamburg-Mitte",
        )],
        vec![item("X1", "C1", 11_111)],
        vec![customer("C1", "Schmidt Bau AG", "")],
    ));
    assert!(run.outcome.applications.is_empty());
    assert_eq!(exception(&run, "R1").customer_id(&run.batch), None);
}

#[test]
fn ocr_and_leading_zero_repair_needs_the_amount() {
    let items = || {
        vec![
            item("INV-2026-000123", "C1", 50_000),
            item("INV-2026-000456", "C1", 70_000),
        ]
    };
    for text in ["INV-2O26-OOO123", "INV-2026-123", "Re-Nr. 2026/000123"] {
        let run = check(batch(vec![txn("R1", 50_000, text)], items(), vec![]));
        assert_eq!(
            applied(&run),
            vec![(
                "R1".into(),
                "INV-2026-000123".into(),
                eur(50_000),
                Rule::FuzzyReference
            )],
            "{text}"
        );
        let run = check(batch(vec![txn("R1", 49_000, text)], items(), vec![]));
        assert!(run.outcome.applications.is_empty(), "{text}");
        let e = exception(&run, "R1");
        assert_eq!(e.reason, ReasonCode::AmountMismatch, "{text}");
        assert_eq!(e.suggestions[0].invoice_id, "INV-2026-000123");
    }
}

#[test]
fn one_edit_typo_is_accepted_only_when_the_amount_confirms() {
    let items = || {
        vec![
            item("INV-2026-000123", "C1", 50_000),
            item("INV-2026-000124", "C2", 80_000),
        ]
    };
    // Swapped digits; the amount says 000123.
    let run = check(batch(
        vec![txn("R1", 50_000, "INV-2026-000132")],
        items(),
        vec![],
    ));
    assert_eq!(applied(&run)[0].1, "INV-2026-000123");
    // A typo that names another real invoice: the amount picks the neighbour.
    let run = check(batch(
        vec![txn("R1", 50_000, "INV-2026-000124")],
        items(),
        vec![],
    ));
    assert_eq!(applied(&run)[0].1, "INV-2026-000123");
    // Neither fits: nothing applied.
    let run = check(batch(
        vec![txn("R1", 12_300, "INV-2026-000132")],
        items(),
        vec![],
    ));
    assert!(run.outcome.applications.is_empty());
}

#[test]
fn shorthand_reference_lists_are_expanded() {
    let items = vec![
        item("INV-2026-000324", "C1", 10_000),
        item("INV-2025-000827", "C1", 20_000),
        item("INV-2026-000940", "C1", 30_000),
    ];
    let run = check(batch(
        vec![txn("R1", 60_000, "inv 2026 000324, 000827 and 000940 thx")],
        items,
        vec![],
    ));
    assert_eq!(applied(&run).len(), 3);
}

#[test]
fn many_to_many_follows_the_references() {
    let customers = vec![customer("C1", "Acme GmbH", "DE11")];
    let items = vec![
        item("INV-A", "C1", 10_000),
        item("INV-B", "C1", 20_000),
        item("INV-C", "C1", 30_000),
    ];
    // p2 comes first in the file: allocation must not depend on it.
    let txns = vec![
        from(txn("R2", 45_000, "Sammelzahlung INV-B, INV-C"), "DE11", ""),
        from(txn("R1", 15_000, "Sammelzahlung INV-A, INV-B"), "DE11", ""),
    ];
    let run = check(batch(txns, items, customers));
    let mut got = applied(&run);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("R1".into(), "INV-A".into(), eur(10_000), Rule::ManyToMany),
            ("R1".into(), "INV-B".into(), eur(5_000), Rule::ManyToMany),
            ("R2".into(), "INV-B".into(), eur(15_000), Rule::ManyToMany),
            ("R2".into(), "INV-C".into(), eur(30_000), Rule::ManyToMany),
        ]
    );
}

#[test]
fn instalments_apply_in_value_date_order() {
    let mut a = txn("R1", 30_000, "Teilzahlung 1/3 INV-9");
    let mut b = txn("R2", 30_000, "Instalment 2/3 INV-9");
    let mut c = txn("R3", 40_000, "Teilzahlung 3/3 INV-9");
    a.value_date = Some(day(3));
    b.value_date = Some(day(10));
    c.value_date = Some(day(17));
    let run = check(batch(
        vec![c, b, a],
        vec![item("INV-9", "C1", 100_000)],
        vec![],
    ));
    assert_eq!(run.outcome.applications.len(), 3);
    assert!(run
        .outcome
        .applications
        .iter()
        .all(|a| a.rule == Rule::Instalment));
    assert!(run
        .outcome
        .applications
        .iter()
        .all(|a| a.deduction_amount.is_zero()));
    assert_eq!(open_after(&run, "INV-9"), Decimal::ZERO);
}

#[test]
fn pilot_limits_auto_application_in_every_pass() {
    let customers = vec![
        customer("C1", "Acme GmbH", "DE11"),
        {
            let mut c = customer("C2", "Beta AG", "DE22");
            c.segment = Some("retail".into());
            c
        },
        customer("C3", "Gamma Ltd", "DE33"),
    ];
    let items = vec![
        item("INV-1", "C1", 10_000),
        item("INV-2", "C2", 20_000),
        item("INV-3", "C3", 30_000),
        item("INV-4", "C3", 44_400),
    ];
    let txns = vec![
        txn("R1", 10_000, "INV-1"),
        txn("R2", 20_000, "INV-2"),
        txn("R3", 30_000, "INV-3"),
        from(txn("R4", 44_400, "Payment"), "DE33", ""),
    ];
    let mut rules = Rules::default();
    rules.pilot.enabled = true;
    rules.pilot.customers = vec!["C1".into()];
    rules.pilot.segments = vec!["retail".into()];
    let run = check_with(batch(txns, items, customers), &rules);
    let got: Vec<String> = applied(&run).into_iter().map(|a| a.0).collect();
    assert_eq!(got, ["R1", "R2"]);
    for r in ["R3", "R4"] {
        let e = exception(&run, r);
        assert_eq!(e.reason, ReasonCode::PilotExcluded, "{r}");
        assert!(!e.suggestions.is_empty(), "{r}");
    }
}

#[test]
fn every_application_is_explained() {
    let run = check(batch(
        vec![
            txn("R1", 10_000, "INV-1"),
            txn("R2", 9_000, "INV-2 price difference"),
        ],
        vec![item("INV-1", "C1", 10_000), item("INV-2", "C1", 10_000)],
        vec![],
    ));
    for a in &run.outcome.applications {
        assert!(!a.explanation.to_text(&run.batch.open_items).is_empty());
        assert!((0.0..=1.0).contains(&a.confidence));
    }
    assert_eq!(
        run.outcome.applications[1].deduction_reason,
        Some(DeductionReason::Pricing)
    );
}

/// A batch with every kind of story, for determinism.
fn mixed_batch(n: usize) -> Batch {
    let mut customers = Vec::new();
    let mut items = Vec::new();
    let mut txns = Vec::new();
    for c in 0..n {
        let id = format!("C{c:04}");
        customers.push(customer(
            &id,
            &format!("Customer {c} Trading GmbH"),
            &format!("DE{c:08}"),
        ));
        for k in 0..4 {
            let cents = 10_000 + ((c * 7 + k * 13) % 50) as i64 * 500;
            items.push(item(&format!("INV-{c:04}-{k}"), &id, cents));
        }
        let base = items.len() - 4;
        let pay = |k: usize| items[base + k].amount_open.mantissa() as i64;
        txns.push(txn(&format!("A{c}"), pay(0), &format!("INV-{c:04}-0")));
        txns.push(from(
            txn(&format!("B{c}"), pay(1), "Payment"),
            &format!("DE{c:08}"),
            "",
        ));
        txns.push(from(
            txn(&format!("C{c}"), pay(2) + pay(3), "x"),
            "",
            &format!("CUSTOMER {c} TRADING"),
        ));
        txns.push(txn(&format!("D{c}"), pay(0), &format!("INV-{c:04}-0")));
    }
    batch(txns, items, customers)
}

#[test]
fn identical_results_at_any_thread_count() {
    let run_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| check(mixed_batch(60)))
    };
    let one = run_with(1);
    let four = run_with(4);
    assert!(!one.outcome.applications.is_empty());
    assert_eq!(one.outcome.applications, four.outcome.applications);
    assert_eq!(one.outcome.exceptions, four.outcome.exceptions);
    assert_eq!(one.outcome.postings, four.outcome.postings);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random batches with colliding amounts and mangled references: the
    /// run always passes its invariants and never over-applies an invoice.
    #[test]
    fn random_batches_keep_the_invariants(
        items in prop::collection::vec((0u8..3, 1i64..6), 1..10),
        txns in prop::collection::vec((0usize..12, 0u8..5, 1i64..12, any::<bool>()), 1..12),
    ) {
        let open: Vec<OpenItem> = items
            .iter()
            .enumerate()
            .map(|(i, &(c, units))| item(&format!("INV-2026-{i:06}"), &format!("C{c}"), units * 5_000))
            .collect();
        let customers: Vec<Customer> = (0..3)
            .map(|c| customer(&format!("C{c}"), &format!("Firm {c} GmbH"), &format!("DE{c}")))
            .collect();
        let bank: Vec<BankTransaction> = txns
            .iter()
            .enumerate()
            .map(|(n, &(target, style, units, known))| {
                let text = match style {
                    0 => format!("INV-2026-{target:06}"),
                    1 => format!("INV-2026-{target}"),
                    2 => format!("INV-2026-{target:06} and 00000{}", target + 1),
                    3 => format!("INV-2026-{target:06} damaged"),
                    _ => "Payment".to_string(),
                };
                let t = txn(&format!("R{n}"), units * 2_500, &text);
                if known { from(t, &format!("DE{}", target % 3), "") } else { t }
            })
            .collect();
        let run = apply_cash(batch(bank, open, customers), &Rules::default(), &mut ());
        let run = run.map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut cleared = vec![Decimal::ZERO; run.batch.open_items.len()];
        for a in &run.outcome.applications {
            cleared[a.item as usize] += a.cleared_amount();
        }
        for (i, it) in run.batch.open_items.iter().enumerate() {
            prop_assert!(cleared[i] <= it.amount_open());
        }
    }
}

// ----- issue 9: how references are read from remittance text -------------

/// Applications as (bank reference, invoice id) pairs.
fn pairs(run: &RunResult) -> Vec<(String, String)> {
    applied(run)
        .into_iter()
        .map(|(t, i, _, _)| (t, i))
        .collect()
}

#[test]
fn a_date_after_the_reference_names_no_second_invoice() {
    // Real camt line: `7.9.2021` was read as invoice `79` (and `2021`), so
    // the quoted invoice no longer added up and nothing was applied.
    let run = check(batch(
        vec![txn("R1", 10_000, "/INV/09.2021/01 7.9.2021")],
        vec![
            item("09.2021/01", "C1", 10_000),
            item("79", "C2", 5_000),
            item("2021", "C3", 5_000),
        ],
        vec![],
    ));
    assert_eq!(
        applied(&run),
        vec![(
            "R1".into(),
            "09.2021/01".into(),
            eur(10_000),
            Rule::ExactReference
        )]
    );
}

#[test]
fn dates_times_and_amounts_in_any_form_are_not_references() {
    for (k, text) in [
        "Zahlung vom 2021-01-31",
        "KOSTEN 01-10-2010 T/M 31-12-2010",
        "DIVIDEND 28/01/2020 14:32:46",
        "Period: Jul 1, 2023 through Jul 31, 2023",
        "Betrag 1.250,00",
    ]
    .iter()
    .enumerate()
    {
        let items = ["2021", "31", "10", "2010", "32", "2023", "250", "1250"]
            .iter()
            .map(|id| item(id, "C1", 5_000))
            .collect();
        let run = check(batch(vec![txn("R1", 5_000, text)], items, vec![]));
        assert!(
            run.outcome.applications.is_empty(),
            "{k}: {text}: {:?}",
            pairs(&run)
        );
        assert_eq!(exception(&run, "R1").customer_id, None, "{text}");
    }
}

#[test]
fn a_short_number_is_a_reference_only_when_announced() {
    let items = || vec![item("4711", "C1", 5_000), item("747", "C2", 7_000)];
    // Alone, `4711` reads as an amount, a counter or a year.
    let run = check(batch(
        vec![txn("R1", 5_000, "Zahlung 4711")],
        items(),
        vec![],
    ));
    assert!(run.outcome.applications.is_empty(), "{:?}", pairs(&run));
    for text in [
        "Rg. 4711",
        "Rechnung Nr 4711",
        "Factuur 4711",
        "N° 4711",
        "Fattura n. 4711",
    ] {
        let run = check(batch(vec![txn("R1", 5_000, text)], items(), vec![]));
        assert_eq!(pairs(&run), vec![("R1".into(), "4711".into())], "{text}");
    }
}

#[test]
fn a_bank_booking_code_with_leading_zeros_is_no_invoice() {
    // easybank's `BG/000000002` on an interest credit once cleared INV-00002.
    let run = check(batch(
        vec![txn("R1", 1_234, "Zinsen HABEN BG/000000002")],
        vec![item("INV-00002", "C1", 1_234)],
        vec![],
    ));
    assert!(run.outcome.applications.is_empty(), "{:?}", pairs(&run));
    let e = exception(&run, "R1");
    assert_eq!(e.customer_id, None, "no evidence names C1");
}

#[test]
fn a_long_reference_of_zeros_does_not_shrink_to_one_digit() {
    // A Swiss ESR reference on file; a lone `3` of an address must not match.
    let run = check(batch(
        vec![
            txn("R1", 2_000, "ACME 3/MX CORP"),
            txn("R2", 2_000, "KUNDENNUMMER 01-000000-3"),
        ],
        vec![item("000000000000000000000000003", "C1", 2_000)],
        vec![],
    ));
    assert!(run.outcome.applications.is_empty(), "{:?}", pairs(&run));
    assert_eq!(exception(&run, "R1").customer_id, None);
    assert_eq!(exception(&run, "R2").customer_id, None);
}

#[test]
fn a_reference_on_file_whole_as_rf_or_qr_is_found() {
    let mut t1 = txn("R1", 5_000, "");
    t1.structured_refs = vec!["RF38000000000000000000552".into()];
    let mut t2 = txn("R2", 6_000, "");
    t2.structured_refs = vec!["000000270148751802165444888".into()];
    let run = check(batch(
        vec![t1, t2],
        vec![
            item("RF38000000000000000000552", "C1", 5_000),
            item("000000270148751802165444888", "C2", 6_000),
        ],
        vec![],
    ));
    assert_eq!(
        pairs(&run),
        vec![
            ("R1".into(), "RF38000000000000000000552".into()),
            ("R2".into(), "000000270148751802165444888".into())
        ]
    );
}

#[test]
fn full_width_digits_and_letters_read_as_ascii() {
    let run = check(batch(
        vec![txn(
            "R1",
            5_000,
            "Ｒｅｃｈｎｕｎｇ ＩＮＶ-２０２６-０１９８４６",
        )],
        vec![item("INV-2026-019846", "C1", 5_000)],
        vec![],
    ));
    assert_eq!(pairs(&run), vec![("R1".into(), "INV-2026-019846".into())]);
}

#[test]
fn short_forms_resolve_when_the_amount_confirms() {
    // Prefixes, years and leading zeros dropped, as payers type them.
    let items = || {
        vec![
            item("INV-2026-019846", "C1", 10_000),
            item("SI0030146", "C2", 20_000),
            item("26/0012", "C3", 30_000),
            item("RE-2026-000123", "C4", 40_000),
            item("INV-2026-004711", "C5", 50_000),
        ]
    };
    for (cents, text, want) in [
        (10_000, "INV 19846", "INV-2026-019846"),
        (10_000, "Zahlung 19846", "INV-2026-019846"),
        (20_000, "Factuur 30146", "SI0030146"),
        (30_000, "Fattura 2026/12", "26/0012"),
        (40_000, "Re-Nr 2026/123", "RE-2026-000123"),
        (50_000, "Rg. 4711", "INV-2026-004711"),
    ] {
        let run = check(batch(vec![txn("R1", cents, text)], items(), vec![]));
        assert_eq!(applied(&run).len(), 1, "{text}: {:?}", pairs(&run));
        let (_, id, amount, rule) = &applied(&run)[0];
        assert_eq!(
            (id.as_str(), *amount, *rule),
            (want, eur(cents), Rule::FuzzyReference),
            "{text}"
        );
    }
    // The amount does not confirm it and nobody is identified: nothing.
    let run = check(batch(vec![txn("R1", 9_000, "INV 19846")], items(), vec![]));
    assert!(run.outcome.applications.is_empty(), "{:?}", pairs(&run));
}

#[test]
fn a_short_form_of_the_identified_payers_invoice_explains_a_short_pay() {
    // `19846` is unique among the open items of the payer the account
    // identifies: it is as good as the full number, so the difference is
    // a short pay on it, not an unexplained payment.
    let mut inv = item("INV-2026-019846", "C1", 100_000);
    inv.discount_percent = Some(Decimal::new(2, 0));
    inv.discount_days = Some(30);
    let other = item("INV-2025-019846", "C2", 100_000);
    let t = from(txn("R1", 98_000, "19846 Skonto"), "DE11ACME", "Acme GmbH");
    let run = check(batch(
        vec![t],
        vec![inv, other],
        vec![
            customer("C1", "Acme GmbH", "DE11ACME"),
            customer("C2", "Beta AG", "DE22BETA"),
        ],
    ));
    let a = &run.outcome.applications[0];
    assert_eq!(
        run.batch.open_items.get(a.item as usize).invoice_id(),
        "INV-2026-019846"
    );
    assert_eq!(
        (a.applied_amount, a.discount_amount),
        (eur(98_000), eur(2_000))
    );
    assert_eq!(open_after(&run, "INV-2026-019846"), Decimal::ZERO);
    assert_eq!(open_after(&run, "INV-2025-019846"), eur(100_000));
}

#[test]
fn a_short_form_of_another_customers_invoice_is_not_applied_on_its_own() {
    // The payer is identified as C1; `19846` belongs to C2 only and the
    // amount differs: no short pay on someone else's invoice.
    let t = from(txn("R1", 95_000, "19846"), "DE11ACME", "Acme GmbH");
    let run = check(batch(
        vec![t],
        vec![
            item("INV-2026-019846", "C2", 100_000),
            item("INV-2026-000001", "C1", 1_000),
        ],
        vec![
            customer("C1", "Acme GmbH", "DE11ACME"),
            customer("C2", "Beta AG", ""),
        ],
    ));
    assert!(run.outcome.applications.is_empty(), "{:?}", pairs(&run));
}

#[test]
fn three_or_more_instalments_on_one_day_clear_the_invoice() {
    for parts in [
        vec![30_000, 30_000, 40_000],
        vec![25_000, 25_000, 25_000, 25_000],
        vec![10_000, 20_000, 30_000, 15_000, 25_000],
    ] {
        let txns: Vec<BankTransaction> = parts
            .iter()
            .enumerate()
            .map(|(k, &c)| txn(&format!("R{k}"), c, "INV-2026-000009"))
            .collect();
        // A neighbouring number open for one instalment's amount: a typo
        // guess must not take an instalment away.
        let neighbour = item("INV-2026-000008", "C2", parts[0]);
        let run = check(batch(
            txns,
            vec![item("INV-2026-000009", "C1", 100_000), neighbour],
            vec![],
        ));
        assert_eq!(
            run.outcome.applications.len(),
            parts.len(),
            "{parts:?}: {:?}",
            pairs(&run)
        );
        assert!(run
            .outcome
            .applications
            .iter()
            .all(|a| a.rule == Rule::Instalment && a.deduction_amount.is_zero()));
        assert_eq!(open_after(&run, "INV-2026-000009"), Decimal::ZERO);
        assert!(run.outcome.exceptions.is_empty(), "{parts:?}");
    }
}

#[test]
fn an_unannounced_short_number_counts_only_for_the_identified_payer() {
    let items = || {
        vec![
            item("INV-2025-002647", "C1", 100_000),
            item("INV-2025-000371", "C1", 20_000),
            item("INV-2026-002647", "C2", 100_000),
        ]
    };
    let customers = || {
        vec![
            customer("C1", "Acme GmbH", "DE11ACME"),
            customer("C2", "Beta AG", "DE22BETA"),
        ]
    };
    // Payer unknown: `2647` alone is no reference, even where the amount fits.
    let run = check(batch(
        vec![txn("R1", 100_000, "2647")],
        items(),
        customers(),
    ));
    assert!(run.outcome.applications.is_empty(), "{:?}", pairs(&run));
    // The account names C1, whose only open item with core 2647 it is.
    let t = from(
        txn("R1", 98_000, "2647 abzgl. Skonto 20.00"),
        "DE11ACME",
        "Acme",
    );
    let run = check(batch(vec![t], items(), customers()));
    assert_eq!(pairs(&run), vec![("R1".into(), "INV-2025-002647".into())]);
    // Several short numbers of the payer's invoices, paid together.
    let t = from(txn("R1", 120_000, "2647, 371 thx"), "DE11ACME", "Acme");
    let run = check(batch(vec![t], items(), customers()));
    assert_eq!(
        pairs(&run),
        vec![
            ("R1".into(), "INV-2025-002647".into()),
            ("R1".into(), "INV-2025-000371".into())
        ]
    );
}

#[test]
fn an_exception_names_a_customer_only_on_evidence_of_the_payer() {
    let mut usd = item("INV-2026-000123", "C1", 5_000);
    usd.currency = "USD".into();
    let run = check(batch(
        vec![
            // A repaired likeness of a USD invoice on an EUR payment.
            txn("R1", 7_000, "RETURN INV 2026 123"),
            // One edit from an invoice number, amount not confirming it.
            txn("R2", 7_000, "INV-2026-000124"),
            // The payer's account: that is evidence.
            from(txn("R3", 7_000, "Zahlung"), "DE22BETA", "Beta"),
        ],
        vec![usd, item("INV-2026-000125", "C2", 5_000)],
        vec![
            customer("C1", "Acme GmbH", ""),
            customer("C2", "Beta AG", "DE22BETA"),
        ],
    ));
    assert!(run.outcome.applications.is_empty(), "{:?}", pairs(&run));
    assert_eq!(exception(&run, "R1").customer_id, None);
    assert_eq!(exception(&run, "R2").customer_id, None);
    assert_eq!(
        exception(&run, "R3").customer_id,
        Some(CustomerId::Found("C2".into()))
    );
}

/// The exact-only configuration (`benches/compare.sh`): every pass but
/// `exact_reference` off, so references are extracted lazily. The exact
/// pass reads the extracted references (which tokens are invoice numbers),
/// so they must exist before it runs; an exact-only run once indexed an
/// empty reference store and panicked.
#[test]
fn an_exact_only_configuration_applies_quoted_invoices() {
    let mut rules = Rules::default();
    let m = &mut rules.matching;
    for pass in [
        &mut m.structured_reference,
        &mut m.fuzzy_reference,
        &mut m.reference_with_difference,
        &mut m.customer_amount,
        &mut m.subset_sum,
        &mut m.many_to_many,
        &mut m.instalment,
    ] {
        pass.enabled = false;
    }
    let b = batch(
        vec![
            txn("R1", 10000, "Invoice INV-2026-000001"),
            txn("R2", 5000, "no reference at all"),
        ],
        vec![
            item("INV-2026-000001", "C1", 10000),
            item("INV-2026-000002", "C2", 5000),
        ],
        vec![],
    );
    let run = check_with(b, &rules);
    let applied = applied(&run);
    assert_eq!(applied.len(), 1, "{applied:?}");
    assert_eq!(applied[0].1, "INV-2026-000001");
    assert_eq!(applied[0].3, Rule::ExactReference);
    assert_eq!(exception(&run, "R2").reason, ReasonCode::NoMatch);
}
