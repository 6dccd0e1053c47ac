//! Looking back across runs: disputes resolved later, the previous dunning
//! level and the minimum days between letters, behaviour trends, CEI's
//! beginning receivables, KPI series, and the backtest of the forecast.

mod common;
use cashmatch_analytics::backtest::{self, BacktestError};
use cashmatch_analytics::behaviour::{apply_trends, compute as behaviour, OffsetModel};
use cashmatch_analytics::config::{
    AnalyticsConfig, BehaviourConfig, DunningConfig, ForecastConfig,
};
use cashmatch_analytics::disputes::track;
use cashmatch_analytics::dunning::compute_with_prior;
use cashmatch_analytics::history::{
    kpi_series, paid_items, snapshot, DunningPrior, Event, PastRun,
};
use cashmatch_analytics::kpi::{opening_from_history, opening_from_invoices, KpiSettings};
use cashmatch_analytics::model::ClearedItem;
use cashmatch_analytics::Extras;
use common::*;

fn past(id: &str, as_of: &str, events: Vec<Event>) -> PastRun {
    PastRun {
        run_id: id.into(),
        as_of: day(as_of),
        events,
    }
}

/// The events a report of `data` records (no details, default config).
fn recorded(data: &cashmatch_analytics::model::RunData, history: &[PastRun]) -> Vec<Event> {
    cashmatch_analytics::build(
        data,
        &Extras {
            run_id: "R",
            history,
            ..Extras::default()
        },
        &AnalyticsConfig::default(),
    )
    .unwrap()
    .history
}

/// Run 1 (Feb): T1 short-pays I1 by 40 (deduction), T2 short-pays I2 by
/// 25, T3 short-pays I3 by 10, T4 short-pays I4 by 5. Run 2 (March): T9
/// pays the 40 on I1 (payment), a credit note of −25 for C1 appears
/// (credit note), T8 clears I4 with a write-off; I3 stays open.
#[test]
fn disputes_opened_in_one_run_are_resolved_by_a_later_one() {
    let mut r1 = run("2026-02-28");
    r1.open_items = vec![
        item("I1", "C1", "2026-01-01", "2026-01-31", "0"),
        item("I2", "C1", "2026-01-01", "2026-01-31", "0"),
        item("I3", "C1", "2026-01-01", "2026-01-31", "0"),
        item("I4", "C1", "2026-01-01", "2026-01-31", "0"),
    ];
    r1.transactions = ["T1", "T2", "T3", "T4"]
        .iter()
        .map(|t| receipt(t, "100", None, "2026-02-10"))
        .collect();
    let ded = |t: &str, i: &str, amount: &str| {
        let mut a = applied(t, i, "C1", "60");
        a.deduction_amount = d(amount);
        a.deduction_reason = Some("DAMAGED".into());
        a
    };
    r1.applications = vec![
        ded("T1", "I1", "40"),
        ded("T2", "I2", "25"),
        ded("T3", "I3", "10"),
        ded("T4", "I4", "5"),
    ];
    let events = recorded(&r1, &[]);
    assert_eq!(events.iter().filter(|e| e.kind == "deduction").count(), 4);
    let history = vec![past("R1", "2026-02-28", events)];

    let mut r2 = run("2026-03-31");
    let mut note = item("CN1", "C1", "2026-03-05", "2026-03-05", "-25");
    note.amount_original = d("-25");
    r2.open_items = vec![item("I1", "C1", "2026-01-01", "2026-01-31", "0"), note];
    r2.transactions = vec![
        receipt("T9", "40", Some("2026-03-12"), "2026-03-12"),
        receipt("T8", "1", Some("2026-03-20"), "2026-03-20"),
    ];
    let mut wo = applied("T8", "I4", "C1", "1");
    wo.writeoff_amount = d("4");
    r2.applications = vec![applied("T9", "I1", "C1", "40"), wo];
    let d2 = track(&r2, &history, None);
    let get = |i: &str| d2.iter().find(|x| x.invoice_id == i).unwrap();
    assert_eq!(
        (
            get("I1").status,
            get("I1").resolution,
            get("I1").days_to_resolve
        ),
        ("resolved", Some("payment"), Some(30)),
        "opened 2026-02-10, paid 2026-03-12"
    );
    assert_eq!(
        (
            get("I2").status,
            get("I2").resolution,
            get("I2").resolved_on
        ),
        ("resolved", Some("credit_note"), Some(day("2026-03-05")))
    );
    assert_eq!(
        (get("I4").status, get("I4").resolution),
        ("written_off", Some("write_off"))
    );
    assert_eq!((get("I3").status, get("I3").age_days), ("open", Some(49)));
    // A cleared item resolves I3.
    let cleared = [ClearedItem {
        invoice_id: "I3".into(),
        customer_id: "C1".into(),
        currency: "EUR".into(),
        amount: d("100"),
        invoice_date: Some(day("2026-01-01")),
        due_date: Some(day("2026-01-31")),
        cleared_date: day("2026-03-01"),
    }];
    let d3 = track(&r2, &history, Some(&cleared));
    let i3 = d3.iter().find(|x| x.invoice_id == "I3").unwrap();
    assert_eq!(
        (i3.status, i3.resolution, i3.days_to_resolve),
        ("resolved", Some("cleared"), Some(19))
    );
}

/// C1 got a level-1 letter 10 days ago: with 14 days between letters it
/// waits; after 20 days it is dunned again and the previous level shows.
#[test]
fn the_previous_level_and_the_minimum_days_between_letters() {
    let mut r = run("2026-03-31");
    r.open_items = vec![item("I1", "C1", "2026-01-01", "2026-02-01", "500")];
    let events = |letter_day: &str| {
        vec![
            Event {
                kind: "dunning".into(),
                customer_id: "C1".into(),
                currency: "EUR".into(),
                invoice_id: "I1".into(),
                level: Some(1),
                date: Some(day(letter_day)),
                ..Event::default()
            },
            Event {
                kind: "letter".into(),
                customer_id: "C1".into(),
                currency: "EUR".into(),
                level: Some(1),
                date: Some(day(letter_day)),
                ..Event::default()
            },
        ]
    };
    let config = DunningConfig::default();
    let recent = [past("R1", "2026-03-21", events("2026-03-21"))];
    let o = compute_with_prior(&r, &[], &config, &DunningPrior::from_history(&recent));
    let i = &o.items[0];
    assert_eq!(
        (i.status, i.previous_level, i.days_since_last_letter),
        ("waiting", Some(1), Some(10))
    );
    assert!(i
        .exclusion_reason
        .as_deref()
        .unwrap()
        .starts_with("MIN_DAYS_BETWEEN_LETTERS"));
    assert!(o.letters.is_empty());
    let older = [past("R1", "2026-03-11", events("2026-03-11"))];
    let o = compute_with_prior(&r, &[], &config, &DunningPrior::from_history(&older));
    assert_eq!(o.items[0].status, "dunned");
    assert_eq!(o.letters[0].previous_level, Some(1));
    assert_eq!(o.letters[0].level, 3, "58 days past due, 5 grace: level 3");
}

fn paid_event(invoice: &str, customer: &str, due: &str, paid: &str, amount: &str) -> Event {
    Event {
        kind: "payment".into(),
        customer_id: customer.into(),
        currency: "EUR".into(),
        invoice_id: invoice.into(),
        transaction_id: format!("T{invoice}"),
        amount: Some(d(amount)),
        date: Some(day(paid)),
        due_date: Some(day(due)),
        ..Event::default()
    }
}

/// C1 paid 2 days late in the 90 days before (Oct–Dec) and 20 days late in
/// the last 90: trend +18, deteriorating.
#[test]
fn behaviour_trends_compare_the_last_90_days_with_the_90_before() {
    let history = [past(
        "R1",
        "2026-01-31",
        vec![
            paid_event("A", "C1", "2025-11-01", "2025-11-03", "100"),
            paid_event("B", "C1", "2026-02-01", "2026-02-21", "300"),
        ],
    )];
    let mut r = run("2026-03-31");
    r.open_items = vec![item("O1", "C1", "2026-03-01", "2026-04-01", "50")];
    let paid = paid_items(&history, &r, None);
    assert_eq!(paid.len(), 2);
    let mut rows = behaviour(&r, &BehaviourConfig::default());
    apply_trends(&mut rows, &paid, r.as_of, &BehaviourConfig::default());
    let c1 = &rows[0];
    assert_eq!(
        (c1.days_late_last_90, c1.days_late_prior_90, c1.trend_days),
        (Some(d("20")), Some(d("2")), Some(d("18")))
    );
    assert_eq!(c1.segment, "deteriorating");
}

#[test]
fn the_offset_model_follows_the_latest_payments() {
    // Six old payments on time, then two 30 days late: with the latest 2
    // the offset is 30; with all 8 it is (2 × 30) / 8 ≈ 8.
    let mut events = Vec::new();
    for k in 0..6 {
        events.push(paid_event(
            &format!("E{k}"),
            "C1",
            "2025-06-01",
            "2025-06-01",
            "100",
        ));
    }
    events.push(paid_event("L1", "C1", "2026-01-01", "2026-01-31", "100"));
    events.push(paid_event("L2", "C1", "2026-02-01", "2026-03-03", "100"));
    let history = [past("R1", "2026-03-10", events)];
    let paid = paid_items(&history, &run("2026-03-31"), None);
    let recent = OffsetModel::fit(
        &paid,
        day("2026-03-31"),
        &ForecastConfig {
            window_days: 365,
            recent_payments: 2,
            ..ForecastConfig::default()
        },
    );
    let due = day("2026-04-15");
    assert_eq!(recent.predict("C1", "EUR", due), (30, "customer"));
    let all = OffsetModel::fit(
        &paid,
        day("2026-03-31"),
        &ForecastConfig {
            window_days: 365,
            recent_payments: 8,
            ..ForecastConfig::default()
        },
    );
    assert_eq!(all.predict("C1", "EUR", due), (8, "customer"));
    assert_eq!(all.predict("C9", "EUR", due), (8, "currency"));
    assert_eq!(all.predict("C9", "USD", due), (0, "due_date"));
}

/// A seasonal payer: C1 pays 2 days late all year except items due in
/// December (two of them, 25 and 27 days late). December is a season
/// (26 days, far above its neighbours' 2); the ordinary offset ignores
/// it (2, where the latest 6 payments including both Decembers would give
/// 10). A deteriorating payer (C2: two payments a month, 1 day later each
/// month, 0 to 11) has no season: every month is close to its
/// neighbours' average. With one
/// December payment, or seasons off, C1 falls back to the rolling offset.
#[test]
fn a_seasonal_payer_is_forecast_by_month() {
    let mut events = Vec::new();
    for m in 1..=11u32 {
        let due = format!("2025-{m:02}-10");
        let paid = format!("2025-{m:02}-12");
        events.push(paid_event(&format!("A{m}"), "C1", &due, &paid, "100"));
        let late = day(&due) + chrono::Days::new(u64::from(m - 1));
        for k in ["a", "b"] {
            events.push(paid_event(
                &format!("B{m}{k}"),
                "C2",
                &due,
                &late.to_string(),
                "100",
            ));
        }
    }
    events.push(paid_event("D1", "C1", "2025-12-05", "2025-12-30", "100"));
    events.push(paid_event("D2", "C1", "2025-12-15", "2026-01-11", "100"));
    for k in ["a", "b"] {
        events.push(paid_event(
            &format!("B12{k}"),
            "C2",
            "2025-12-10",
            "2025-12-21",
            "100",
        ));
    }
    let history = [past("R1", "2026-01-31", events)];
    let paid = paid_items(&history, &run("2026-01-31"), None);
    let config = ForecastConfig::default();
    let model = OffsetModel::fit(&paid, day("2026-01-31"), &config);
    assert_eq!(
        model.predict("C1", "EUR", day("2026-12-10")),
        (26, cashmatch_analytics::behaviour::METHOD_SEASON)
    );
    assert_eq!(
        model.predict("C1", "EUR", day("2026-02-10")),
        (2, "customer")
    );
    // C2's latest 6 payments: October to December, 9, 10, 11 days late.
    for due in ["2026-12-10", "2026-02-10", "2026-07-10"] {
        assert_eq!(model.predict("C2", "EUR", day(due)), (10, "customer"));
    }
    // Not enough Decembers: no season, and December counts in the rolling
    // offset again: latest 6 of C1 are Jul–Dec: (5 × 2 + 25) / 6 ≈ 6.
    let one = OffsetModel::fit(
        &paid
            .iter()
            .filter(|p| p.invoice_id != "D2")
            .cloned()
            .collect::<Vec<_>>(),
        day("2026-01-31"),
        &config,
    );
    assert_eq!(one.predict("C1", "EUR", day("2026-12-10")), (6, "customer"));
    let off = OffsetModel::fit(
        &paid,
        day("2026-01-31"),
        &ForecastConfig {
            seasonal_min_days: 0,
            ..config
        },
    );
    assert_eq!(off.predict("C1", "EUR", day("2026-12-10")).1, "customer");
}

#[test]
fn cei_beginning_receivables_come_from_the_history_or_the_invoices() {
    let kpi = |currency: &str, value: &str| Event {
        kind: "kpi".into(),
        currency: currency.into(),
        code: "receivables_total".into(),
        value: Some(d(value)),
        ..Event::default()
    };
    let history = [
        past("R0", "2025-12-31", vec![kpi("EUR", "1000")]),
        past("R1", "2026-02-28", vec![kpi("EUR", "9999")]),
    ];
    // Period start 2026-03-31 − 90 = 2025-12-31: R0, not the later R1.
    let (o, source) =
        opening_from_history(&history, day("2026-03-31"), &KpiSettings::default()).unwrap();
    assert_eq!(
        (o.as_of, o.receivables.clone()),
        (day("2025-12-31"), vec![("EUR".into(), d("1000"))])
    );
    assert!(source.contains("R0"));
    // From invoices: 300 + 200 issued by 2025-12-31, 200 paid on 12-20.
    let inv = [
        invoice("A", "300", "2025-11-01"),
        invoice("B", "200", "2025-12-01"),
        invoice("C", "700", "2026-02-01"),
    ];
    let paid = paid_items(
        &[past(
            "R",
            "2025-12-31",
            vec![paid_event("B", "C1", "2025-12-15", "2025-12-20", "200")],
        )],
        &run("2026-03-31"),
        None,
    );
    let (o, _) =
        opening_from_invoices(&inv, &paid, day("2026-03-31"), &KpiSettings::default()).unwrap();
    assert_eq!(o.receivables, vec![("EUR".into(), d("300"))]);
}

#[test]
fn the_run_records_its_kpis_and_the_series_reads_them_back() {
    let mut r = run("2026-03-31");
    r.open_items = vec![item("O1", "C1", "2026-03-01", "2026-04-01", "50")];
    r.transactions = vec![receipt("T1", "100", None, "2026-03-30")];
    r.exceptions = vec![exception("T1", "100", "NO_MATCH")];
    let events = recorded(&r, &[]);
    assert!(events
        .iter()
        .any(|e| e.kind == "kpi" && e.code == "auto_match_rate"));
    assert!(events
        .iter()
        .any(|e| e.kind == "unapplied" && e.amount == Some(d("100"))));
    assert!(events
        .iter()
        .any(|e| e.kind == "invoice" && e.invoice_id == "O1"));
    let history = [past("R1", "2026-02-28", events)];
    let mut r2 = run("2026-03-31");
    r2.transactions = vec![receipt("T2", "100", None, "2026-03-30")];
    let k = cashmatch_analytics::kpi::compute(&r2, None, None, &KpiSettings::default());
    let series = kpi_series(&history, &k, r2.as_of, "auto_match_rate");
    let values: Vec<_> = series.iter().map(|p| (p.as_of, p.value)).collect();
    assert_eq!(
        values,
        [(day("2026-02-28"), d("0")), (day("2026-03-31"), d("100"))]
    );
    // snapshot is what build records.
    let direct = snapshot(
        &r,
        None,
        &cashmatch_analytics::kpi::compute(&r, None, None, &KpiSettings::default()),
        &[],
        &Default::default(),
    );
    assert_eq!(
        direct.iter().filter(|e| e.kind == "kpi").count(),
        history[0].of("kpi").count()
    );
}

fn cleared(id: &str, customer: &str, invoice: &str, due: &str, paid: &str) -> ClearedItem {
    ClearedItem {
        invoice_id: id.into(),
        customer_id: customer.into(),
        currency: "EUR".into(),
        amount: d("100"),
        invoice_date: Some(day(invoice)),
        due_date: Some(day(due)),
        cleared_date: day(paid),
    }
}

/// Five items, the latest one (20 %) held out. C1 always pays 10 days
/// late: the method predicts due + 10 (error 0), naive the due date (10).
#[test]
fn the_backtest_scores_the_method_against_the_due_date() {
    let items = [
        cleared("A", "C1", "2026-01-01", "2026-01-31", "2026-02-10"),
        cleared("B", "C1", "2026-01-05", "2026-02-04", "2026-02-14"),
        cleared("C", "C1", "2026-01-10", "2026-02-09", "2026-02-19"),
        cleared("D", "C1", "2026-01-15", "2026-02-14", "2026-02-24"),
        cleared("E", "C1", "2026-01-20", "2026-02-19", "2026-03-01"),
    ];
    let b = backtest::run(&items, d("0.2"), &ForecastConfig::default()).unwrap();
    assert_eq!((b.train, b.holdout), (4, 1));
    assert_eq!(b.holdout_from, day("2026-01-20"));
    assert_eq!((b.method_mae_days, b.naive_mae_days), (d("0"), d("10")));
    assert_eq!(b.improvement_percent, Some(d("100")));
    assert_eq!(b.by_customer, 1);
    // A new customer in the holdout falls back to the currency's offset.
    let mut other = items.clone();
    other[4].customer_id = "C2".into();
    let b = backtest::run(&other, d("0.2"), &ForecastConfig::default()).unwrap();
    assert_eq!(b.by_currency, 1);
    assert_eq!(
        backtest::run(&items, d("1"), &ForecastConfig::default()),
        Err(BacktestError::Holdout(d("1")))
    );
    assert_eq!(
        backtest::run(&items[..1], d("0.2"), &ForecastConfig::default()),
        Err(BacktestError::TooFew { usable: 1 })
    );
}
