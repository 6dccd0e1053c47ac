//! Every KPI pinned against values computed by hand on one small run.
//!
//! The fixture (as of 2026-03-31, EUR):
//!
//! | item | invoice date | due        | days past due | open after |
//! |------|--------------|------------|---------------|------------|
//! | I1   | 2026-03-16   | 2026-04-15 | −15 (current) |     40,000 |
//! | I2   | 2026-02-19   | 2026-03-21 |  10           |     30,000 |
//! | I3   | 2025-12-31   | 2026-01-30 |  60           |     20,000 |
//! | I4   | 2025-11-01   | 2025-12-01 | 120           |     10,000 |
//! | I5   | 2026-01-02   | 2026-02-01 |  58           |          0 (paid) |
//!
//! Total receivables 100,000; current 40,000; over 90 days 10,000.
//!
//! Credit sales (`--invoices`): 2025-12: 50,000; 2026-01: 60,000;
//! 2026-02: 30,000; 2026-03: 60,000. The 90-day DSO period is
//! 2026-01-01..2026-03-31 (31 + 28 + 31 days) with sales of 150,000.
//!
//! Receipts: T1 1,000 (value 2026-03-30) pays I5 in full; T2 5,000 (no
//! value date, booked 2026-03-31) pays 3,000 of I2, 2,000 on account
//! (OVERPAYMENT); T3 500 unmatched (NO_MATCH); T4 −200 is a debit.

mod common;
use cashmatch_analytics::kpi::{self, compute, dso_countback, Kpi, KpiSettings, MonthSales, Unit};
use cashmatch_analytics::model::{Opening, RunData};
use common::*;
use rust_decimal::Decimal;

fn fixture() -> RunData {
    let mut r = run("2026-03-31");
    r.open_items = vec![
        item("I1", "C1", "2026-03-16", "2026-04-15", "40000"),
        item("I2", "C1", "2026-02-19", "2026-03-21", "30000"),
        item("I3", "C2", "2025-12-31", "2026-01-30", "20000"),
        item("I4", "C2", "2025-11-01", "2025-12-01", "10000"),
        item("I5", "C3", "2026-01-02", "2026-02-01", "0"),
    ];
    r.transactions = vec![
        receipt("T1", "1000", Some("2026-03-30"), "2026-03-31"),
        receipt("T2", "5000", None, "2026-03-31"),
        receipt("T3", "500", Some("2026-03-31"), "2026-03-31"),
        receipt("T4", "-200", Some("2026-03-31"), "2026-03-31"),
    ];
    r.applications = vec![
        applied("T1", "I5", "C3", "1000"),
        applied("T2", "I2", "C1", "3000"),
    ];
    r.exceptions = vec![
        exception("T2", "2000", "OVERPAYMENT"),
        exception("T3", "500", "NO_MATCH"),
        exception("T4", "-200", "NOT_A_RECEIPT"),
    ];
    r
}

fn sales() -> Vec<cashmatch_analytics::model::Invoice> {
    vec![
        invoice("S1", "50000", "2025-12-10"),
        invoice("S2", "60000", "2026-01-15"),
        invoice("S3", "30000", "2026-02-15"),
        invoice("S4", "40000", "2026-03-05"),
        invoice("S5", "20000", "2026-03-31"),
        // Issued after the as-of date: in no period.
        invoice("S6", "99999", "2026-04-01"),
    ]
}

fn opening() -> Opening {
    Opening {
        as_of: day("2025-12-31"),
        receivables: vec![("EUR".into(), d("120000")), ("USD".into(), d("1"))],
    }
}

/// The one place tests read a metric: its value, or its note when null.
fn check(kpis: &[Kpi], metric: &str) -> Result<Decimal, String> {
    let k = kpis
        .iter()
        .find(|k| k.metric == metric && k.currency == "EUR")
        .unwrap_or_else(|| panic!("no row for {metric}"));
    assert!(!k.formula.is_empty(), "{metric} has no formula");
    match (k.value, &k.note) {
        (Some(v), None) => Ok(v),
        (None, Some(n)) => Err(n.clone()),
        other => panic!("{metric}: value and note must exclude each other: {other:?}"),
    }
}

fn all() -> Vec<Kpi> {
    let inv = sales();
    let open = opening();
    compute(&fixture(), Some(&inv), Some(&open), &KpiSettings::default())
}

#[test]
fn receivables_shape_metrics_need_no_sales() {
    let k = compute(&fixture(), None, None, &KpiSettings::default());
    assert_eq!(check(&k, "receivables_total"), Ok(d("100000")));
    // (30,000 × 10 + 20,000 × 60 + 10,000 × 120) / 100,000 = 2,700,000 / 100,000
    assert_eq!(check(&k, "weighted_days_past_due"), Ok(d("27")));
    assert_eq!(check(&k, "percent_current"), Ok(d("40")));
    assert_eq!(check(&k, "percent_over_90"), Ok(d("10")));
}

#[test]
fn dso_family_follows_crf() {
    let k = all();
    // CRF standard DSO: 100,000 / 150,000 × 90 = 60 days.
    assert_eq!(check(&k, "dso_simple"), Ok(d("60")));
    // Best possible DSO: current 40,000 / 150,000 × 90 = 24 days.
    assert_eq!(check(&k, "best_possible_dso"), Ok(d("24")));
    // Average days delinquent = DSO − BPDSO = 36 days.
    assert_eq!(check(&k, "average_days_delinquent"), Ok(d("36")));
}

/// Worked countback example: receivables 100,000.
/// March (31 days, as-of is the 31st) sold 60,000: 40,000 left, 31 days.
/// February (28 days) sold 30,000: 10,000 left, 59 days.
/// January (31 days) sold 60,000: 10,000 / 60,000 × 31 = 5.1667 days.
/// Countback DSO = 31 + 28 + 5.16666… = 64.1667 days (4 decimals, half-even).
#[test]
fn countback_dso_worked_example() {
    let k = all();
    assert_eq!(check(&k, "dso_countback"), Ok(d("64.1667")));
}

#[test]
fn countback_counts_the_as_of_month_to_as_of_and_refuses_a_short_history() {
    let inv = sales();
    let refs: Vec<_> = inv.iter().collect();
    let months = kpi::monthly_sales(&refs, day("2026-03-15"));
    // March up to the 15th holds S4 (5 March) only; back to December.
    assert_eq!(
        months,
        vec![
            MonthSales {
                days: 15,
                sales: d("40000")
            },
            MonthSales {
                days: 28,
                sales: d("30000")
            },
            MonthSales {
                days: 31,
                sales: d("60000")
            },
            MonthSales {
                days: 31,
                sales: d("50000")
            },
        ]
    );
    // All 180,000 of sales consumed exactly: 15 + 28 + 31 + 31 days.
    assert_eq!(dso_countback(d("180000"), &months), Ok(d("105")));
    // One cent more than all the sales: undefined, not a guess.
    let e = dso_countback(d("180000.01"), &months).unwrap_err();
    assert!(e.contains("too short"), "{e}");
    // A month without sales counts whole while receivables remain.
    let gap = [
        MonthSales {
            days: 30,
            sales: d("0"),
        },
        MonthSales {
            days: 31,
            sales: d("100"),
        },
    ];
    assert_eq!(dso_countback(d("50"), &gap), Ok(d("45.5")));
    assert_eq!(dso_countback(d("0"), &gap), Ok(d("0")));
}

/// Worked CEI example (CRF): beginning receivables 120,000 (the run of
/// 2025-12-31), credit sales 2026-01-01..2026-03-31 of 150,000, ending
/// total receivables 100,000, ending current 40,000:
/// (120,000 + 150,000 − 100,000) / (120,000 + 150,000 − 40,000) × 100
/// = 170,000 / 230,000 × 100 = 73.913043… = 73.9130 %.
#[test]
fn cei_worked_example() {
    let k = all();
    assert_eq!(check(&k, "cei"), Ok(d("73.9130")));
    assert_eq!(
        kpi::cei(d("120000"), d("150000"), d("100000"), d("40000"))
            .map(cashmatch_analytics::money::round_metric),
        Ok(d("73.9130"))
    );
    // Collected everything collectible: 100 %.
    assert_eq!(kpi::cei(d("100"), d("50"), d("0"), d("0")), Ok(d("100")));
}

/// T1: 1,000 × (2026-03-30 − 2026-01-02 = 87 days to pay; − 2026-02-01 = 57 late)
/// T2: 3,000 × (2026-03-31 booking, no value date − 2026-02-19 = 40; − 2026-03-21 = 10)
/// to pay = (87,000 + 120,000) / 4,000 = 51.75; late = (57,000 + 30,000) / 4,000 = 21.75
#[test]
fn weighted_days_to_pay_and_late_come_from_applications() {
    let k = all();
    assert_eq!(check(&k, "weighted_days_to_pay"), Ok(d("51.75")));
    assert_eq!(check(&k, "weighted_days_late"), Ok(d("21.75")));
}

/// Receipts 1,000 + 5,000 + 500 = 6,500 (T4 is a debit); unapplied
/// 2,000 + 500 = 2,500; applied 4,000; applied in full: T1 only.
#[test]
fn cash_application_metrics() {
    let k = all();
    assert_eq!(check(&k, "receipts_total"), Ok(d("6500")));
    // 2,500 / 6,500 = 0.384615… → 0.3846
    assert_eq!(check(&k, "unapplied_cash_ratio"), Ok(d("0.3846")));
    // 1 of 3 receipts → 33.3333 %
    assert_eq!(check(&k, "auto_match_rate"), Ok(d("33.3333")));
    // 4,000 / 6,500 × 100 = 61.538461… → 61.5385 %
    assert_eq!(check(&k, "auto_match_rate_amount"), Ok(d("61.5385")));
}

#[test]
fn missing_inputs_give_null_with_the_reason_never_a_number() {
    let k = compute(&fixture(), None, None, &KpiSettings::default());
    for metric in [
        "dso_simple",
        "dso_countback",
        "best_possible_dso",
        "average_days_delinquent",
    ] {
        let note = check(&k, metric).unwrap_err();
        assert!(note.contains("--invoices"), "{metric}: {note}");
    }
    assert!(check(&k, "cei").unwrap_err().contains("--opening"));
    // An empty run: nothing to divide by.
    let empty = compute(&run("2026-03-31"), None, None, &KpiSettings::default());
    assert!(empty.is_empty(), "no currency, no rows");
    let mut only_receivables = run("2026-03-31");
    only_receivables.open_items = vec![item("I9", "C9", "2026-03-01", "2026-03-31", "10")];
    let k = compute(&only_receivables, None, None, &KpiSettings::default());
    assert!(check(&k, "auto_match_rate")
        .unwrap_err()
        .contains("no receipts"));
    assert!(check(&k, "weighted_days_to_pay").is_err());
}

#[test]
fn every_issue_metric_exists_with_unit_and_formula_per_currency() {
    let k = all();
    let issue = [
        "dso_simple",
        "dso_countback",
        "best_possible_dso",
        "average_days_delinquent",
        "weighted_days_past_due",
        "percent_current",
        "percent_over_90",
        "cei",
        "weighted_days_to_pay",
        "weighted_days_late",
        "unapplied_cash_ratio",
        "auto_match_rate",
    ];
    for m in issue {
        let row = k
            .iter()
            .find(|x| x.metric == m)
            .unwrap_or_else(|| panic!("{m} missing"));
        assert!(row.formula.len() > 20, "{m}");
        assert!(!row.inputs.is_empty(), "{m}");
    }
    let unit = |m: &str| k.iter().find(|x| x.metric == m).unwrap().unit;
    assert_eq!(unit("dso_simple"), Unit::Days);
    assert_eq!(unit("cei"), Unit::Percent);
    assert_eq!(unit("unapplied_cash_ratio"), Unit::Ratio);
    assert_eq!(unit("receivables_total"), Unit::Amount);
    // USD appears only in the opening balance: no row invents it.
    assert!(k.iter().all(|x| x.currency == "EUR"));
}

#[test]
fn dso_period_comes_from_settings() {
    let inv = sales();
    // 31 days: 2026-03-01..2026-03-31 sold 60,000 → 100,000 × 31 / 60,000.
    let k = compute(
        &fixture(),
        Some(&inv),
        None,
        &KpiSettings {
            dso_period_days: 31,
        },
    );
    assert_eq!(check(&k, "dso_simple"), Ok(d("51.6667")));
    let row = k.iter().find(|x| x.metric == "dso_simple").unwrap();
    assert!(
        row.inputs.contains("period=2026-03-01..2026-03-31"),
        "{}",
        row.inputs
    );
}
