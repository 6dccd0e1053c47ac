//! The dashboard: self-contained, escaped, stable bytes, KPI values marked.

mod common;
use cashmatch_analytics::config::AnalyticsConfig;
use cashmatch_analytics::html::{data_value, display_value, dispute_age_bucket};
use cashmatch_analytics::kpi::{Kpi, Unit};
use cashmatch_analytics::model::AgingRow;
use cashmatch_analytics::Extras;
use common::*;

fn page() -> (cashmatch_analytics::Report, String) {
    let mut r = run("2026-03-31");
    let mut hostile = item("<b>I1</b>", "C1", "2026-01-01", "2026-01-31", "250.5");
    hostile.customer_name = "<script>alert(1)</script> & Co".into();
    r.open_items = vec![hostile];
    r.aging = vec![AgingRow {
        customer_id: "C1".into(),
        currency: "EUR".into(),
        bucket: "31-60".into(),
        amount: d("250.5"),
        items: 1,
    }];
    r.transactions = vec![receipt("T1", "100", Some("2026-03-30"), "2026-03-30")];
    r.exceptions = vec![exception("T1", "100", "NO_MATCH")];
    let report = cashmatch_analytics::build(
        &r,
        &Extras {
            run_id: "R\"x",
            ..Extras::default()
        },
        &AnalyticsConfig::default(),
    )
    .unwrap();
    let html = report.html.clone();
    (report, html)
}

#[test]
fn the_page_is_self_contained_and_escapes_input_text() {
    let (_, html) = page();
    assert!(
        !html.contains("<script>alert"),
        "customer name must be escaped"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
    assert!(html.contains("R&quot;x"));
    for external in ["src=", "href=", "@import", "url(", "<script", "<link"] {
        assert!(
            !html.contains(external),
            "the page must not load anything: {external}"
        );
    }
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    assert!(
        html.contains("id=\"aging\"")
            && html.contains("id=\"exceptions\"")
            && html.contains("id=\"dunning\"")
            && html.contains("id=\"disputes\"")
    );
}

#[test]
fn every_kpi_has_a_tile_with_its_exact_value() {
    let (report, html) = page();
    for k in &report.kpis {
        let marker = format!(
            "data-metric=\"{}\" data-currency=\"{}\" data-value=\"{}\"",
            k.metric,
            k.currency,
            data_value(k.value)
        );
        assert!(html.contains(&marker), "{marker}");
        assert!(
            html.contains(&cashmatch_analytics::html::esc(k.formula)),
            "{}",
            k.metric
        );
    }
    assert_eq!(
        html.matches("class=\"tile kpi\"").count(),
        report.kpis.len()
    );
}

#[test]
fn identical_inputs_give_identical_bytes() {
    assert_eq!(page().1, page().1);
}

#[test]
fn values_are_shown_in_their_unit() {
    let k = |unit, value: Option<&str>| Kpi {
        currency: "JPY".into(),
        metric: "m",
        value: value.map(d),
        unit,
        formula: "",
        inputs: String::new(),
        note: None,
    };
    assert_eq!(display_value(&k(Unit::Days, Some("64.1667"))), "64.2 days");
    assert_eq!(display_value(&k(Unit::Percent, Some("73.913"))), "73.9 %");
    assert_eq!(
        display_value(&k(Unit::Amount, Some("1234567.5"))),
        "JPY 1,234,568"
    );
    assert_eq!(display_value(&k(Unit::Ratio, Some("0.3846"))), "0.3846");
    assert_eq!(display_value(&k(Unit::Days, None)), "n/a");
    assert_eq!(data_value(Some(d("60"))), "60.0000");
    assert_eq!(data_value(None), "null");
    assert_eq!(
        (
            dispute_age_bucket(0),
            dispute_age_bucket(31),
            dispute_age_bucket(90),
            dispute_age_bucket(400)
        ),
        ("0-30", "31-60", "61-90", "90+")
    );
}
