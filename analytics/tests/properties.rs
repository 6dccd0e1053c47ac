//! Properties over random runs: the KPI, dunning and forecast totals agree
//! with the open items they come from, whatever the items are.

mod common;
use cashmatch_analytics::behaviour;
use cashmatch_analytics::config::AnalyticsConfig;
use cashmatch_analytics::model::{OpenItem, RunData};
use cashmatch_analytics::{build, Extras};
use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

/// (open amount in cents, days past due, held)
fn items() -> impl Strategy<Value = Vec<(i64, i64, bool)>> {
    prop::collection::vec(
        (0i64..100_000_000, -60i64..400, prop::bool::weighted(0.1)),
        1..60,
    )
}

fn run_of(spec: &[(i64, i64, bool)]) -> RunData {
    let mut r = run("2026-03-31");
    r.open_items = spec
        .iter()
        .enumerate()
        .map(|(i, &(cents, dpd, held))| {
            let due = r.as_of - chrono::Duration::days(dpd);
            let mut it: OpenItem = item(
                &format!("I{i}"),
                &format!("C{}", i % 7),
                "2025-01-01",
                "2025-01-01",
                "0",
            );
            it.due_date = Some(due);
            it.invoice_date = Some(due - chrono::Duration::days(30));
            it.amount_open_after = Decimal::new(cents, 2);
            it.amount_open = it.amount_open_after;
            it.status = if held { "held".into() } else { "open".into() };
            it
        })
        .collect();
    r
}

fn kpi(report: &cashmatch_analytics::Report, metric: &str) -> Option<Decimal> {
    report
        .kpis
        .iter()
        .find(|k| k.metric == metric)
        .and_then(|k| k.value)
}

proptest! {
    #[test]
    fn totals_agree_with_the_open_items(spec in items()) {
        let data = run_of(&spec);
        let report = build(&data, &Extras::default(), &AnalyticsConfig::default()).unwrap();
        let total: Decimal = data.open_items.iter().map(|i| i.amount_open_after).sum();
        prop_assert_eq!(kpi(&report, "receivables_total"), Some(total));
        if total > Decimal::ZERO {
            let current = kpi(&report, "percent_current").unwrap();
            let over_90 = kpi(&report, "percent_over_90").unwrap();
            let tolerance = Decimal::new(2, 4);
            prop_assert!(current >= Decimal::ZERO && over_90 >= Decimal::ZERO);
            prop_assert!(current + over_90 <= Decimal::ONE_HUNDRED + tolerance);
            let exact_current: Decimal = data.open_items.iter().filter(|i| i.days_past_due(data.as_of) <= 0).map(|i| i.amount_open_after).sum();
            prop_assert!((current - exact_current * Decimal::ONE_HUNDRED / total).abs() <= tolerance);
            let wdpd = kpi(&report, "weighted_days_past_due").unwrap();
            prop_assert!(wdpd >= Decimal::ZERO && wdpd <= Decimal::from(400));
        }

        // Dunning: every dunned item is on exactly its letter, and letters
        // add up to their items.
        for letter in &report.dunning.letters {
            let on: Vec<_> = report.dunning.items.iter().filter(|i| i.letter.as_deref() == Some(letter.file_name.as_str())).collect();
            prop_assert_eq!(on.len() as u64, letter.items);
            prop_assert_eq!(on.iter().map(|i| i.amount_overdue).sum::<Decimal>(), letter.amount_overdue);
            prop_assert_eq!(on.iter().map(|i| i.interest_amount).sum::<Decimal>(), letter.interest);
            prop_assert_eq!(letter.total_due, letter.amount_overdue + letter.interest + letter.fee);
        }
        for i in &report.dunning.items {
            prop_assert_eq!(i.status == "dunned", i.letter.is_some());
            prop_assert!(i.interest_amount >= Decimal::ZERO);
            prop_assert!(i.status != "dunned" || data.open_items.iter().any(|o| o.invoice_id == i.invoice_id && o.status != "held"));
        }

        // Forecast: every open, unheld, positive item once; weeks hold those inside the horizon.
        let expected: Decimal = data.open_items.iter().filter(|i| i.status != "held" && i.amount_open_after > Decimal::ZERO).map(|i| i.amount_open_after).sum();
        prop_assert_eq!(report.forecast_items.iter().map(|i| i.amount).sum::<Decimal>(), expected);
        let inside: Decimal = report.forecast_items.iter().filter(|i| i.week.is_some()).map(|i| i.amount).sum();
        prop_assert_eq!(report.forecast.iter().map(|w| w.amount).sum::<Decimal>(), inside);
        prop_assert!(report.forecast_items.iter().all(|i| i.expected_on > data.as_of));
        prop_assert_eq!(report.forecast.len(), if expected.is_zero() { 0 } else { behaviour::FORECAST_WEEKS as usize });
    }
}
