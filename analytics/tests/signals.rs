//! One small fixture per signal: each test fails if its signal breaks
//! (and checks that the innocent twin next to it raises nothing).

mod common;
use cashmatch_analytics::config::SignalsConfig;
use cashmatch_analytics::history::{Event, PastRun};
use cashmatch_analytics::model::{
    ItemTerms, MasterCustomer, RunData, RunDetails, TransactionDetail,
};
use cashmatch_analytics::signals::{compute, near_identical, shape, Inputs, Signal, NOT_CHECKED};
use common::*;

fn detail(txn: &str, account: &str, remittance: &str) -> TransactionDetail {
    TransactionDetail {
        transaction_id: txn.into(),
        counterparty_account: account.into(),
        counterparty_name: String::new(),
        remittance_info: remittance.into(),
        structured_refs: Vec::new(),
    }
}

fn master(pairs: &[(&str, &[&str])]) -> Vec<MasterCustomer> {
    pairs
        .iter()
        .map(|(c, a)| MasterCustomer {
            customer_id: (*c).into(),
            bank_accounts: a.iter().map(|x| (*x).to_string()).collect(),
        })
        .collect()
}

fn signals(data: &RunData, details: &RunDetails, history: &[PastRun]) -> Vec<Signal> {
    compute(&Inputs {
        data,
        details: Some(details),
        history,
        invoices: None,
        cleared: None,
        config: &SignalsConfig::default(),
    })
}

fn of<'a>(s: &'a [Signal], code: &str) -> Vec<&'a Signal> {
    s.iter()
        .filter(|x| x.code == code && x.severity != NOT_CHECKED)
        .collect()
}

fn payer_run(as_of: &str, events: Vec<Event>) -> PastRun {
    PastRun {
        run_id: format!("R{as_of}"),
        as_of: day(as_of),
        events,
    }
}

fn payer(customer: &str, account: &str) -> Event {
    Event {
        kind: "payer".into(),
        customer_id: customer.into(),
        currency: "EUR".into(),
        transaction_id: "OLD".into(),
        code: account.into(),
        amount: Some(d("1")),
        date: Some(day("2026-02-01")),
        ..Event::default()
    }
}

/// Account A1 pays C1 and C2, which the master does not link; A2 pays C3
/// and C4, which the master lists as sharing it (a group): only A1.
#[test]
fn one_payer_account_paying_for_unrelated_customers() {
    let mut r = run("2026-03-31");
    r.open_items = vec![
        item("I1", "C1", "2026-02-01", "2026-03-01", "0"),
        item("I2", "C2", "2026-02-01", "2026-03-01", "0"),
        item("I3", "C3", "2026-02-01", "2026-03-01", "0"),
        item("I4", "C4", "2026-02-01", "2026-03-01", "0"),
    ];
    r.transactions = vec![
        receipt("T1", "100", None, "2026-03-10"),
        receipt("T2", "100", None, "2026-03-11"),
        receipt("T3", "200", None, "2026-03-12"),
    ];
    r.applications = vec![
        applied("T1", "I1", "C1", "100"),
        applied("T2", "I2", "C2", "100"),
        applied("T3", "I3", "C3", "100"),
        applied("T3", "I4", "C4", "100"),
    ];
    let details = RunDetails {
        transactions: Some(vec![
            detail("T1", "A1", ""),
            detail("T2", "a1 ", ""),
            detail("T3", "A2", ""),
        ]),
        terms: Some(Vec::new()),
        customers: Some(master(&[
            ("C1", &["A1"]),
            ("C2", &[]),
            ("C3", &["A2"]),
            ("C4", &["A2"]),
        ])),
    };
    let s = signals(&r, &details, &[]);
    let hits = of(&s, "PAYER_MULTIPLE_CUSTOMERS");
    assert_eq!(hits.len(), 1, "{s:#?}");
    assert_eq!(hits[0].customer_id.as_deref(), Some("C1;C2"));
    assert_eq!(hits[0].transaction_id.as_deref(), Some("T1;T2"));
    assert!(hits[0].evidence.contains("A1"));
}

/// C1 paid from A1 before (history); now from A9: changed. C2 pays from its
/// master account: nothing.
#[test]
fn a_new_or_changed_payer_account_for_a_customer() {
    let mut r = run("2026-03-31");
    r.open_items = vec![
        item("I1", "C1", "2026-02-01", "2026-03-01", "0"),
        item("I2", "C2", "2026-02-01", "2026-03-01", "0"),
    ];
    r.transactions = vec![
        receipt("T1", "100", None, "2026-03-10"),
        receipt("T2", "50", None, "2026-03-10"),
    ];
    r.applications = vec![
        applied("T1", "I1", "C1", "100"),
        applied("T2", "I2", "C2", "50"),
    ];
    let details = RunDetails {
        transactions: Some(vec![detail("T1", "A9", ""), detail("T2", "B1", "")]),
        terms: None,
        customers: Some(master(&[("C1", &[]), ("C2", &["B1"])])),
    };
    let history = [payer_run("2026-02-28", vec![payer("C1", "A1")])];
    let s = signals(&r, &details, &history);
    let hits = of(&s, "PAYER_ACCOUNT_CHANGED");
    assert_eq!(hits.len(), 1, "{s:#?}");
    assert_eq!(
        (hits[0].customer_id.as_deref(), hits[0].severity),
        (Some("C1"), "high")
    );
    assert!(hits[0].evidence.contains("A9") && hits[0].evidence.contains("A1"));
    // Known only from the master (no earlier payment): new, low.
    let history_c2 = [payer_run("2026-02-28", vec![payer("C1", "A1")])];
    let details_new = RunDetails {
        transactions: Some(vec![detail("T1", "A1", ""), detail("T2", "B9", "")]),
        ..details.clone()
    };
    let s = signals(&r, &details_new, &history_c2);
    let hits = of(&s, "PAYER_ACCOUNT_CHANGED");
    assert_eq!(hits.len(), 1, "{s:#?}");
    assert_eq!(
        (hits[0].customer_id.as_deref(), hits[0].severity),
        (Some("C2"), "low")
    );
    // Without master and history there is nothing to compare with.
    let bare = RunDetails {
        customers: None,
        ..details.clone()
    };
    let s = signals(&r, &bare, &[]);
    assert!(s
        .iter()
        .any(|x| x.code == "PAYER_ACCOUNT_CHANGED" && x.severity == NOT_CHECKED));
}

/// T1's money is unapplied and comes from an account nobody is known by;
/// T2 is unapplied too, but from C1's master account.
#[test]
fn payments_from_unknown_accounts() {
    let mut r = run("2026-03-31");
    r.transactions = vec![
        receipt("T1", "700", None, "2026-03-10"),
        receipt("T2", "80", None, "2026-03-10"),
    ];
    r.exceptions = vec![
        exception("T1", "700", "NO_MATCH"),
        exception("T2", "80", "NO_MATCH"),
    ];
    let details = RunDetails {
        transactions: Some(vec![detail("T1", "XX00", ""), detail("T2", "A1", "")]),
        terms: None,
        customers: Some(master(&[("C1", &["A1"])])),
    };
    let s = signals(&r, &details, &[]);
    let hits = of(&s, "UNKNOWN_ACCOUNT_PAYMENT");
    assert_eq!(hits.len(), 1, "{s:#?}");
    assert_eq!(hits[0].transaction_id.as_deref(), Some("T1"));
    assert_eq!(hits[0].amount, Some(d("700")));
}

/// The remittance names INV-2026-000777, shaped like the ERP's numbers but
/// unknown; INV-2026-000001 is known and "PO 12345" has another shape.
#[test]
fn remittance_naming_invoices_the_erp_does_not_know() {
    assert_eq!(shape("INV-2026-000123"), "AAA-9999-999999");
    let mut r = run("2026-03-31");
    r.open_items = vec![item(
        "INV-2026-000001",
        "C1",
        "2026-02-01",
        "2026-03-01",
        "10",
    )];
    r.transactions = vec![
        receipt("T1", "100", None, "2026-03-10"),
        receipt("T2", "100", None, "2026-03-10"),
    ];
    let details = RunDetails {
        transactions: Some(vec![
            detail(
                "T1",
                "",
                "Payment inv-2026-000777, INV-2026-000001 PO 12345",
            ),
            detail("T2", "", "INV-2026-000001"),
        ]),
        terms: None,
        customers: None,
    };
    let s = signals(&r, &details, &[]);
    let hits = of(&s, "REMITTANCE_UNKNOWN_INVOICE");
    assert_eq!(hits.len(), 1, "{s:#?}");
    assert_eq!(
        (
            hits[0].transaction_id.as_deref(),
            hits[0].invoice_id.as_deref()
        ),
        (Some("T1"), Some("INV-2026-000777"))
    );
}

/// I-1001 and I-1010 (two digits swapped) of one customer and amount are
/// duplicates by number; D-2000 and E-3917 by dates one day apart; G-4000
/// has the same amount but another customer; F-8642 is a month later.
#[test]
fn duplicate_invoices_same_customer_and_amount() {
    assert!(near_identical("I-1001", "i-1010"));
    assert!(near_identical("INV-0012", "inv 12"));
    assert!(
        !near_identical("INV-1001", "INV-1002"),
        "sequential numbers"
    );
    assert!(!near_identical("INV-1001", "INV-10012"));
    let mut r = run("2026-03-31");
    r.open_items = vec![
        item("I-1001", "C1", "2026-01-05", "2026-02-05", "500"),
        item("I-1010", "C1", "2026-02-20", "2026-03-20", "500"),
        item("D-2000", "C2", "2026-03-01", "2026-03-31", "80"),
        item("E-3917", "C2", "2026-03-02", "2026-04-01", "80"),
        item("G-4000", "C3", "2026-03-02", "2026-04-01", "80"),
        item("F-8642", "C2", "2026-04-02", "2026-05-01", "80"),
    ];
    let s = signals(&r, &RunDetails::default(), &[]);
    let hits = of(&s, "DUPLICATE_INVOICE");
    let pairs: Vec<&str> = hits
        .iter()
        .filter_map(|h| h.invoice_id.as_deref())
        .collect();
    assert_eq!(pairs, ["I-1001;I-1010", "D-2000;E-3917"], "{s:#?}");
    assert!(hits[0].evidence.contains("near-identical numbers"));
}

/// I1 allows a discount for 10 days from 2026-03-01; paid (value date)
/// 2026-03-15 with a discount: late. I2 paid on day 10: fine.
#[test]
fn discount_taken_after_the_discount_date() {
    let mut r = run("2026-03-31");
    r.open_items = vec![
        item("I1", "C1", "2026-03-01", "2026-03-31", "0"),
        item("I2", "C1", "2026-03-01", "2026-03-31", "0"),
    ];
    r.transactions = vec![
        receipt("T1", "98", Some("2026-03-15"), "2026-03-16"),
        receipt("T2", "98", Some("2026-03-11"), "2026-03-11"),
    ];
    let mut a1 = applied("T1", "I1", "C1", "98");
    a1.discount_amount = d("2");
    let mut a2 = applied("T2", "I2", "C1", "98");
    a2.discount_amount = d("2");
    r.applications = vec![a1, a2];
    let terms = |id: &str| ItemTerms {
        invoice_id: id.into(),
        discount_percent: Some(d("2")),
        discount_days: Some(10),
    };
    let details = RunDetails {
        transactions: None,
        terms: Some(vec![terms("I1"), terms("I2")]),
        customers: None,
    };
    let s = signals(&r, &details, &[]);
    let hits = of(&s, "DISCOUNT_AFTER_DISCOUNT_DATE");
    assert_eq!(hits.len(), 1, "{s:#?}");
    assert_eq!(hits[0].invoice_id.as_deref(), Some("I1"));
    assert!(
        hits[0].evidence.contains("2026-03-11"),
        "{}",
        hits[0].evidence
    );
    // Without the terms the check says so.
    let s = signals(&r, &RunDetails::default(), &[]);
    assert!(s
        .iter()
        .any(|x| x.code == "DISCOUNT_AFTER_DISCOUNT_DATE" && x.severity == NOT_CHECKED));
}

/// 250 received from A1 is left unapplied and 250 goes out to B7 a week
/// later: refund to another account. 90 unapplied and refunded to the
/// same account is fine.
#[test]
fn overpayment_followed_by_a_refund_to_another_account() {
    let mut r = run("2026-03-31");
    r.transactions = vec![
        receipt("T1", "250", None, "2026-03-02"),
        receipt("T2", "90", None, "2026-03-02"),
        receipt("O1", "-250", None, "2026-03-09"),
        receipt("O2", "-90", None, "2026-03-09"),
    ];
    r.exceptions = vec![
        exception("T1", "250", "OVERPAYMENT"),
        exception("T2", "90", "OVERPAYMENT"),
    ];
    let details = RunDetails {
        transactions: Some(vec![
            detail("T1", "A1", ""),
            detail("T2", "A2", ""),
            detail("O1", "B7", ""),
            detail("O2", "A2", ""),
        ]),
        terms: None,
        customers: None,
    };
    let s = signals(&r, &details, &[]);
    let hits = of(&s, "OVERPAYMENT_REFUND_OTHER_ACCOUNT");
    assert_eq!(hits.len(), 1, "{s:#?}");
    assert_eq!(hits[0].transaction_id.as_deref(), Some("T1;O1"));
    assert_eq!(hits[0].severity, "high");
}

/// Partial refunds: 1000 from A1 left unapplied and 950 of it sent to B7
/// (the classic scheme: overpay, ask for most of it back elsewhere) is
/// raised, matched to that receipt only; 100 of 400 (25 %, below
/// `refund_partial_min_percent`) is not; a refund with an exact match (300
/// of the receipts 300 and 500) is matched to the exact one alone.
#[test]
fn a_partial_refund_of_an_overpayment_to_another_account() {
    let mut r = run("2026-03-31");
    r.transactions = vec![
        receipt("T1", "1000", None, "2026-03-02"),
        receipt("T3", "400", None, "2026-03-02"),
        receipt("T4", "300", None, "2026-03-03"),
        receipt("T5", "500", None, "2026-03-03"),
        receipt("O1", "-950", None, "2026-03-10"),
        receipt("O3", "-100", None, "2026-03-10"),
        receipt("O4", "-300", None, "2026-03-10"),
    ];
    r.exceptions = vec![
        exception("T1", "1000", "OVERPAYMENT"),
        exception("T3", "400", "OVERPAYMENT"),
        exception("T4", "300", "OVERPAYMENT"),
        exception("T5", "500", "OVERPAYMENT"),
    ];
    let details = RunDetails {
        transactions: Some(vec![
            detail("T1", "A1", ""),
            detail("T3", "A3", ""),
            detail("T4", "A4", ""),
            detail("T5", "A5", ""),
            detail("O1", "B7", ""),
            detail("O3", "B8", ""),
            detail("O4", "B9", ""),
        ]),
        terms: None,
        customers: None,
    };
    let s = signals(&r, &details, &[]);
    let hits = of(&s, "OVERPAYMENT_REFUND_OTHER_ACCOUNT");
    let ids: Vec<&str> = hits
        .iter()
        .filter_map(|h| h.transaction_id.as_deref())
        .collect();
    // O1 alone would also cover the 500 receipt (950 > 500 is not a part of
    // it) and the 400 one: only receipts larger than the refund qualify.
    assert_eq!(ids, ["T1;O1", "T4;O4"], "{s:#?}");
    let partial = hits
        .iter()
        .find(|h| h.transaction_id.as_deref() == Some("T1;O1"))
        .unwrap();
    assert_eq!(partial.amount, Some(d("950")));
    assert_eq!(partial.severity, "high");
    assert!(
        partial.evidence.contains("partial refund"),
        "{}",
        partial.evidence
    );
    assert!(partial.evidence.contains("1000"), "{}", partial.evidence);
    // Raised threshold: 950 of 1000 is 95 %, below a 96 % minimum.
    let config = SignalsConfig {
        refund_partial_min_percent: d("96"),
        ..SignalsConfig::default()
    };
    let s = compute(&Inputs {
        data: &r,
        details: Some(&details),
        history: &[],
        invoices: None,
        cleared: None,
        config: &config,
    });
    let ids: Vec<String> = of(&s, "OVERPAYMENT_REFUND_OTHER_ACCOUNT")
        .iter()
        .filter_map(|h| h.transaction_id.clone())
        .collect();
    assert_eq!(ids, ["T4;O4"]);
}

/// Unapplied EUR: 100 (run 1), 150 (run 2), 300 now: growing. With only
/// one earlier run it is not checked.
#[test]
fn growing_unapplied_cash_across_runs() {
    let unapplied = |amount: &str, date: &str| Event {
        kind: "unapplied".into(),
        currency: "EUR".into(),
        transaction_id: format!("U{date}"),
        amount: Some(d(amount)),
        date: Some(day(date)),
        ..Event::default()
    };
    let history = [
        payer_run("2026-01-31", vec![unapplied("100", "2026-01-30")]),
        payer_run("2026-02-28", vec![unapplied("150", "2026-02-27")]),
    ];
    let mut r = run("2026-03-31");
    r.transactions = vec![receipt("T1", "300", None, "2026-03-30")];
    r.exceptions = vec![exception("T1", "300", "NO_MATCH")];
    let s = signals(&r, &RunDetails::default(), &history);
    let hits = of(&s, "UNAPPLIED_CASH_GROWING");
    assert_eq!(hits.len(), 1, "{s:#?}");
    assert_eq!(hits[0].amount, Some(d("300")));
    // Shrinking: nothing.
    r.exceptions = vec![exception("T1", "120", "NO_MATCH")];
    assert!(of(
        &signals(&r, &RunDetails::default(), &history),
        "UNAPPLIED_CASH_GROWING"
    )
    .is_empty());
    // Too short a history: said so, per currency.
    let s = signals(&r, &RunDetails::default(), &history[1..]);
    assert!(s
        .iter()
        .any(|x| x.code == "UNAPPLIED_CASH_GROWING" && x.severity == NOT_CHECKED));
}

#[test]
fn without_counterparty_columns_the_account_checks_say_why() {
    let r = run("2026-03-31");
    let s = compute(&Inputs {
        data: &r,
        details: None,
        history: &[],
        invoices: None,
        cleared: None,
        config: &SignalsConfig::default(),
    });
    for code in [
        "PAYER_MULTIPLE_CUSTOMERS",
        "PAYER_ACCOUNT_CHANGED",
        "UNKNOWN_ACCOUNT_PAYMENT",
        "REMITTANCE_UNKNOWN_INVOICE",
        "DISCOUNT_AFTER_DISCOUNT_DATE",
        "OVERPAYMENT_REFUND_OTHER_ACCOUNT",
    ] {
        let row = s.iter().find(|x| x.code == code).unwrap();
        assert_eq!(row.severity, NOT_CHECKED, "{code}");
        assert!(row.evidence.starts_with("needs"), "{code}");
    }
}
