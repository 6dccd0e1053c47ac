//! The scoring function on hand-built cases, each through one `score` helper.

use cashmatch_datasets::{
    evaluate, evaluate_with, evaluation_json, Counts, Evaluation, PredictedDeduction,
    PredictedException, PredictedExtras, PredictedLine, Scenario, TruthLine,
};
use rust_decimal::Decimal;
use std::str::FromStr;

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn truth(reference: &str, invoice: &str, applied: &str, scenario: Scenario) -> TruthLine {
    TruthLine {
        bank_reference: reference.into(),
        invoice_id: invoice.into(),
        applied_amount: d(applied),
        discount_amount: Decimal::ZERO,
        writeoff_amount: Decimal::ZERO,
        deduction_amount: Decimal::ZERO,
        scenario,
    }
}

fn predicted(reference: &str, invoice: &str, applied: &str) -> PredictedLine {
    PredictedLine {
        bank_reference: reference.into(),
        invoice_id: invoice.into(),
        applied_amount: d(applied),
        discount_amount: Decimal::ZERO,
        writeoff_amount: Decimal::ZERO,
    }
}

/// A small truth covering single, multi-invoice and pays-nothing payments.
fn sample_truth() -> Vec<TruthLine> {
    vec![
        truth("BR1", "INV-2026-000001", "100.00", Scenario::ExactReference),
        truth("BR2", "INV-2026-000002", "50.00", Scenario::MultiReference),
        truth("BR2", "INV-2026-000003", "25.00", Scenario::MultiReference),
        truth("BR3", "", "0.00", Scenario::UnknownPayment),
        truth("BR4", "INV-2026-000004", "80.00", Scenario::ShortPay),
    ]
}

fn perfect() -> Vec<PredictedLine> {
    vec![
        predicted("BR1", "INV-2026-000001", "100.00"),
        predicted("BR2", "INV-2026-000002", "50.00"),
        predicted("BR2", "INV-2026-000003", "25.00"),
        predicted("BR4", "INV-2026-000004", "80.00"),
    ]
}

/// Scores and checks the identities every evaluation must satisfy.
fn score(predicted: &[PredictedLine]) -> Evaluation {
    let e = evaluate(&sample_truth(), predicted);
    let mut all: Vec<&Counts> = e.per_scenario.values().collect();
    all.push(&e.total);
    for c in all {
        assert_eq!(
            c.predicted_lines,
            c.correct + c.wrong_invoice + c.wrong_amount + c.applied_unmatchable,
            "{c:?}"
        );
        assert_eq!(
            c.truth_lines,
            c.correct + c.wrong_amount + c.missed,
            "{c:?}"
        );
    }
    e
}

#[test]
fn perfect_prediction() {
    let e = score(&perfect());
    assert_eq!(e.total.correct, 4);
    assert_eq!(e.total.truth_lines, 4);
    assert_eq!(e.total.precision, Some(1.0));
    assert_eq!(e.total.recall, Some(1.0));
    assert_eq!(e.total.payments, 4);
    assert_eq!(
        e.total.payments_exact, 4,
        "unknown payment left alone counts as exact"
    );
}

#[test]
fn one_wrong_invoice() {
    let mut p = perfect();
    p[0].invoice_id = "INV-2026-000009".into();
    let e = score(&p);
    let exact = &e.per_scenario[&Scenario::ExactReference];
    assert_eq!(
        (exact.wrong_invoice, exact.missed, exact.correct),
        (1, 1, 0)
    );
    assert_eq!(e.total.precision, Some(0.75));
    assert_eq!(e.total.recall, Some(0.75));
    assert_eq!(e.total.payments_exact, 3);
}

#[test]
fn one_wrong_amount() {
    let mut p = perfect();
    p[3].applied_amount = d("100.00");
    let e = score(&p);
    let short = &e.per_scenario[&Scenario::ShortPay];
    assert_eq!((short.wrong_amount, short.missed, short.correct), (1, 0, 0));
    assert_eq!(e.total.recall, Some(0.75));
}

#[test]
fn one_missed() {
    let mut p = perfect();
    p.remove(2);
    let e = score(&p);
    let multi = &e.per_scenario[&Scenario::MultiReference];
    assert_eq!(
        (multi.missed, multi.correct, multi.payments_exact),
        (1, 1, 0)
    );
    assert_eq!(e.total.precision, Some(1.0));
    assert_eq!(e.total.recall, Some(0.75));
}

#[test]
fn one_spurious_application_of_an_unmatchable_payment() {
    let mut p = perfect();
    p.push(predicted("BR3", "INV-2026-000001", "10.00"));
    let e = score(&p);
    let unknown = &e.per_scenario[&Scenario::UnknownPayment];
    assert_eq!(unknown.applied_unmatchable, 1);
    assert_eq!(unknown.payments_exact, 0);
    assert_eq!(e.total.precision, Some(0.8));
    assert_eq!(e.total.recall, Some(1.0));
}

#[test]
fn unknown_references_unapplied_rows_and_split_rows() {
    let mut p = perfect();
    p.push(predicted("BR99", "INV-2026-000001", "1.00"));
    p.push(predicted("BR1", "", "5.00"));
    // One application written as two rows adds up to the truth.
    p[1].applied_amount = d("20.00");
    p.push(predicted("BR2", "INV-2026-000002", "30.00"));
    let e = score(&p);
    assert_eq!(e.unknown_bank_references, 1);
    assert_eq!(e.total.wrong_invoice, 1);
    assert_eq!(e.total.correct, 4);
    assert_eq!(e.total.predicted_lines, 5);
}

#[test]
fn nothing_predicted_has_no_precision() {
    let e = score(&[]);
    assert_eq!(e.total.precision, None);
    assert_eq!(e.total.recall, Some(0.0));
    assert_eq!(e.total.missed, 4);
}

#[test]
fn adjustments_are_reported_but_do_not_change_correctness() {
    let mut p = perfect();
    p[0].discount_amount = d("2.00");
    let e = score(&p);
    assert_eq!(e.total.correct, 4);
    assert_eq!(e.total.adjustment_mismatch, 1);
}

#[test]
fn table_and_json_show_every_scenario_and_the_total() {
    let mut p = perfect();
    p.remove(0);
    let e = score(&p);
    let table = e.to_string();
    for needle in [
        "exact_reference",
        "multi_reference",
        "unknown_payment",
        "short_pay",
        "TOTAL",
        "75.0%",
    ] {
        assert!(table.contains(needle), "{needle} missing from\n{table}");
    }
    let json = evaluation_json(&e);
    assert!(json.starts_with("{\"total\":{\"payments\":4,"), "{json}");
    assert!(json.contains("\"exact_reference\":{\"payments\":1,\"truth_lines\":1,\"predicted_lines\":0,\"correct\":0,"));
    assert!(json.contains("\"precision\":null"), "{json}");
    assert!(
        json.ends_with("\"unknown_bank_references\":0,\"extras_scored\":false}"),
        "{json}"
    );
}

#[test]
fn demo_truth_scores_itself_perfectly() {
    let dir = std::env::temp_dir().join(format!("cashmatch-eval-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("truth.csv");
    std::fs::write(&path, cashmatch_datasets::demo::TRUTH).unwrap();
    let truth = cashmatch_datasets::read_truth(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let as_predicted: Vec<PredictedLine> = truth
        .iter()
        .map(|t| PredictedLine {
            bank_reference: t.bank_reference.clone(),
            invoice_id: t.invoice_id.clone(),
            applied_amount: t.applied_amount,
            discount_amount: t.discount_amount,
            writeoff_amount: t.writeoff_amount,
        })
        .collect();
    let e = evaluate(&truth, &as_predicted);
    assert_eq!(e.total.payments, 600);
    assert_eq!(e.total.payments_exact, 600);
    assert_eq!(e.total.precision, Some(1.0));
    assert_eq!(e.total.recall, Some(1.0));
}

#[test]
fn adjustments_and_exception_reasons_are_scored() {
    let mut discounted = truth("BR1", "INV-1", "98.00", Scenario::Discount);
    discounted.discount_amount = d("2.00");
    let mut written_off = truth("BR2", "INV-2", "49.90", Scenario::WriteoffSmall);
    written_off.writeoff_amount = d("0.10");
    let short = truth("BR3", "INV-3", "80.00", Scenario::ShortPay);
    let truth = vec![
        discounted,
        written_off,
        short,
        truth("BR4", "", "0.00", Scenario::UnknownPayment),
        truth("BR5", "INV-5", "10.00", Scenario::DuplicatePayment),
        truth("BR6", "", "0.00", Scenario::DuplicatePayment),
        truth("BR7", "", "0.00", Scenario::WrongCurrency),
    ];
    let mut p1 = predicted("BR1", "INV-1", "98.00");
    p1.discount_amount = d("2.00");
    // Right cash, but the write-off was not taken.
    let p2 = predicted("BR2", "INV-2", "49.90");
    let p3 = predicted("BR3", "INV-3", "80.00");
    let p5 = predicted("BR5", "INV-5", "10.00");
    let predicted = vec![p1, p2, p3, p5];
    let extras = PredictedExtras {
        // The short pay was cleared with a deduction the truth does not grant.
        deductions: vec![PredictedDeduction {
            bank_reference: "BR3".into(),
            invoice_id: "INV-3".into(),
            deduction_amount: d("20.00"),
        }],
        exceptions: vec![
            PredictedException {
                bank_reference: "BR4".into(),
                reason: "NO_MATCH".into(),
            },
            PredictedException {
                bank_reference: "BR6".into(),
                reason: "NO_MATCH".into(),
            },
        ],
    };
    let e = evaluate_with(&truth, &predicted, Some(&extras));
    assert!(e.extras_scored);
    let t = &e.total;
    assert_eq!((t.adjusted_truth, t.adjusted_right), (2, 1));
    assert_eq!(
        (
            t.discount_mismatch,
            t.writeoff_mismatch,
            t.deduction_mismatch
        ),
        (0, 1, 1)
    );
    // BR4 right, BR6 wrong code (a duplicate), BR7 no exception at all; the
    // paying first line of the duplicate expects none.
    assert_eq!(t.exceptions_expected, 3);
    assert_eq!(
        (
            t.exception_reason_right,
            t.exception_reason_wrong,
            t.exception_missing
        ),
        (1, 1, 1)
    );
    let dup = &e.per_scenario[&Scenario::DuplicatePayment];
    assert_eq!(
        (dup.exceptions_expected, dup.exception_reason_wrong),
        (1, 1)
    );
    assert!(e.to_string().contains("adjustments/exceptions"));
    assert!(evaluation_json(&e).contains("\"exception_reason_right\":1"));
    // Without extras, deductions and reasons are not scored at all.
    let plain = evaluate(&truth, &predicted);
    assert!(!plain.extras_scored);
    assert_eq!(
        (
            plain.total.deduction_mismatch,
            plain.total.exceptions_expected
        ),
        (0, 0)
    );
    assert_eq!(plain.total.writeoff_mismatch, 1);
}
