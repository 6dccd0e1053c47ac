//! Payer behaviour and the forecast on a hand-made run (as of 2026-03-31).
//!
//! C1 paid two invoices: 1,000 due 2026-03-01 on 2026-03-21 (20 days late)
//! and 3,000 due 2026-03-25 on 2026-03-21 (4 days early):
//! weighted days late = (1,000 × 20 − 3,000 × 4) / 4,000 = 2;
//! paid on time 3,000 / 4,000 = 75 %.
//! C2 paid 500 due 2026-02-01 on 2026-03-21 (48 days late), with a deduction.
//! Currency-wide: (20,000 − 12,000 + 24,000) / 4,500 = 7.111… days late.

mod common;
use cashmatch_analytics::behaviour::{compute, forecast, FORECAST_WEEKS};
use cashmatch_analytics::config::BehaviourConfig;
use cashmatch_analytics::model::RunData;
use common::*;

fn fixture() -> RunData {
    let mut r = run("2026-03-31");
    r.open_items = vec![
        item("P1", "C1", "2026-01-30", "2026-03-01", "0"),
        item("P2", "C1", "2026-02-23", "2026-03-25", "0"),
        item("P3", "C2", "2026-01-02", "2026-02-01", "0"),
        // Open: C1 due 2026-04-10 (+2 → 04-12, week 2: 04-08..04-14).
        item("O1", "C1", "2026-03-11", "2026-04-10", "700"),
        // Open: C2 overdue since 2026-03-01: +48 → 04-18 (week 3).
        item("O2", "C2", "2026-01-30", "2026-03-01", "300"),
        // Open: C3 without payments: currency offset 7 → 2026-04-08 (week 2).
        item("O3", "C3", "2026-03-02", "2026-04-01", "100"),
        // Open, C3, overdue: 2026-01-01 + 7 is before as-of → next day (week 1).
        item("O4", "C3", "2025-12-02", "2026-01-01", "50"),
        // Beyond 13 weeks.
        item("O5", "C1", "2026-08-01", "2026-09-30", "10"),
    ];
    r.transactions = vec![
        receipt("T1", "4000", Some("2026-03-21"), "2026-03-21"),
        receipt("T2", "500", Some("2026-03-21"), "2026-03-21"),
    ];
    let mut ded = applied("T2", "P3", "C2", "500");
    ded.deduction_amount = d("20");
    r.applications = vec![
        applied("T1", "P1", "C1", "1000"),
        applied("T1", "P2", "C1", "3000"),
        ded,
    ];
    r
}

#[test]
fn behaviour_per_customer() {
    let b = compute(&fixture(), &BehaviourConfig::default());
    let get = |c: &str| b.iter().find(|x| x.customer_id == c).unwrap();
    let c1 = get("C1");
    assert_eq!(c1.weighted_days_late, Some(d("2")));
    assert_eq!(c1.percent_paid_on_time, Some(d("75")));
    assert_eq!((c1.segment.as_str(), c1.late_payer), ("slow", false));
    assert_eq!(c1.dispute_rate_percent, Some(d("0")));
    assert_eq!((c1.exposure_open, c1.exposure_overdue), (d("710"), d("0")));
    let c2 = get("C2");
    assert_eq!(c2.weighted_days_late, Some(d("48")));
    assert_eq!((c2.segment.as_str(), c2.late_payer), ("chronic_late", true));
    assert_eq!(c2.dispute_rate_percent, Some(d("100")));
    assert_eq!(c2.exposure_overdue, d("300"));
    let c3 = get("C3");
    assert_eq!(
        (c3.weighted_days_late, c3.segment.as_str()),
        (None, "no_payments")
    );
}

#[test]
fn forecast_uses_the_customer_then_the_currency_offset() {
    let data = fixture();
    let b = compute(&data, &BehaviourConfig::default());
    let (items, weeks) = forecast(&data, &b);
    let get = |id: &str| items.iter().find(|x| x.invoice_id == id).unwrap();
    assert_eq!(
        (get("O1").expected_on, get("O1").method, get("O1").week),
        (day("2026-04-12"), "customer", Some(2))
    );
    assert_eq!(
        (get("O2").expected_on, get("O2").week),
        (day("2026-04-18"), Some(3))
    );
    assert_eq!(
        (
            get("O3").offset_days,
            get("O3").method,
            get("O3").expected_on
        ),
        (7, "currency", day("2026-04-08"))
    );
    assert_eq!(
        (get("O4").expected_on, get("O4").week),
        (day("2026-04-01"), Some(1))
    );
    assert_eq!(get("O5").week, None);
    assert!(
        items.iter().all(|i| !i.invoice_id.starts_with('P')),
        "paid items are not forecast"
    );
    assert_eq!(weeks.len(), FORECAST_WEEKS as usize);
    assert_eq!(
        (weeks[0].week_start, weeks[0].week_end),
        (day("2026-04-01"), day("2026-04-07"))
    );
    assert_eq!(
        (weeks[0].amount, weeks[1].amount, weeks[2].amount),
        (d("50"), d("800"), d("300"))
    );
    // Conservation: the weeks hold every forecast item inside the horizon.
    let inside: rust_decimal::Decimal = items
        .iter()
        .filter(|i| i.week.is_some())
        .map(|i| i.amount)
        .sum();
    assert_eq!(
        weeks
            .iter()
            .map(|w| w.amount)
            .sum::<rust_decimal::Decimal>(),
        inside
    );
}
