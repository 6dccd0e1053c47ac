//! The analytics across runs, end to end: the demo's history inputs fill
//! DSO, CEI, trends and signals; the AR history in the state store is read
//! and extended by `report`; `backtest` measures the forecast.

mod common;
use arrow_array::{Array, Decimal128Array, RecordBatch};
use cashmatch_store::history::{self, HistoryRow};
use chrono::NaiveDate;
use common::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn decimals(batches: &[RecordBatch], name: &str) -> Vec<Option<Decimal>> {
    let mut out = Vec::new();
    for b in batches {
        let a = b
            .column(b.schema().index_of(name).unwrap())
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap()
            .clone();
        for i in 0..a.len() {
            out.push(
                (!a.is_null(i))
                    .then(|| Decimal::from_i128_with_scale(a.value(i), a.scale() as u32)),
            );
        }
    }
    out
}

fn kpis(dir: &Path) -> BTreeMap<(String, String), (Option<Decimal>, String)> {
    let k = read_parquet(&dir.join("kpis.parquet"));
    let cur = text(&k, "currency");
    let metric = text(&k, "metric");
    let value = decimals(&k, "value");
    let inputs = text(&k, "inputs");
    (0..cur.len())
        .map(|i| {
            (
                (cur[i].clone(), metric[i].clone()),
                (value[i], inputs[i].clone()),
            )
        })
        .collect()
}

fn demo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    run_ok(cashmatch().arg("demo").arg("--out").arg(&out));
    (tmp, out)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn the_demo_fills_dso_cei_trends_and_signals_and_records_its_history() {
    let (_tmp, run) = demo();
    let a = run.join("analytics");
    let k = kpis(&a);
    for metric in ["dso_simple", "dso_countback", "best_possible_dso", "cei"] {
        let (value, inputs) = &k[&("EUR".to_string(), metric.to_string())];
        assert!(value.is_some(), "{metric} is null: {inputs}");
    }
    assert!(k[&("EUR".to_string(), "cei".to_string())]
        .1
        .contains("--invoices dated on or before"));

    // Signals: the planted duplicate invoices are found.
    let s = read_parquet(&a.join("signals.parquet"));
    let codes = text(&s, "code");
    let severity = text(&s, "severity");
    let raised: Vec<&String> = (0..codes.len())
        .filter(|&i| severity[i] != "not_checked")
        .map(|i| &codes[i])
        .collect();
    assert!(
        raised.iter().filter(|c| **c == "DUPLICATE_INVOICE").count() >= 2,
        "{raised:?}"
    );
    assert!(text(&s, "evidence").iter().all(|e| !e.is_empty()));

    // Trends from the cleared items: some customers have both windows.
    let b = read_parquet(&a.join("customer_behaviour.parquet"));
    let trend = decimals(&b, "trend_days");
    assert!(trend.iter().filter(|t| t.is_some()).count() > 10);
    let segments = text(&b, "segment");
    assert!(
        segments.iter().any(|s| s == "deteriorating"),
        "{segments:?}"
    );

    // The forecast learnt from customers, not only the currency.
    let fi = read_parquet(&a.join("forecast_items.parquet"));
    assert!(
        text(&fi, "method")
            .iter()
            .filter(|m| *m == "customer")
            .count()
            > 100
    );

    // The run is in the AR history of its state, once.
    let state = run.join("state");
    let recorded = history::load(&state, Some(day("2026-04-01"))).unwrap();
    assert_eq!(recorded.len(), 1);
    let kinds: std::collections::BTreeSet<&str> =
        recorded[0].rows.iter().map(|r| r.kind.as_str()).collect();
    for kind in [
        "invoice",
        "payment",
        "deduction",
        "dunning",
        "letter",
        "kpi",
        "payer",
    ] {
        assert!(kinds.contains(kind), "{kind} not recorded: {kinds:?}");
    }
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(a.join("report-manifest.json")).unwrap()).unwrap();
    assert_eq!(m["cleared_items_sha256"].as_str().unwrap().len(), 64);

    // The month after (out/next, same AR history): the first run's disputes
    // resolved by payments and credit notes, a few still open.
    let next = read_parquet(&run.join("next/analytics/disputes.parquet"));
    let (status, resolution) = (text(&next, "status"), texts(&next, "resolution"));
    let count = |s: &str, r: Option<&str>| {
        (0..status.len())
            .filter(|&i| status[i] == s && resolution[i].as_deref() == r)
            .count()
    };
    assert!(
        count("resolved", Some("payment")) > 0,
        "{status:?} {resolution:?}"
    );
    assert!(count("resolved", Some("credit_note")) > 0);
    assert!(count("open", None) > 0);
    let first = read_parquet(&a.join("disputes.parquet"));
    assert_eq!(
        status.len(),
        text(&first, "dispute_id").len(),
        "the same register"
    );
    assert_eq!(history::read_log(&state).unwrap().runs.len(), 2);
    assert!(m["customers"].as_str().unwrap().contains("sha256"), "{m}");
}

fn kpi_row(metric: &str, value: &str) -> HistoryRow {
    HistoryRow {
        kind: "kpi".into(),
        currency: "EUR".into(),
        code: metric.into(),
        value: Some(value.parse().unwrap()),
        date: Some(day("2025-12-31")),
        ..HistoryRow::default()
    }
}

/// Earlier runs in the AR history: one as of 2025-12-31 gives CEI its
/// beginning receivables and a second point to the DSO chart, one as of
/// 2026-03-26 a dispute this run resolves and a letter that makes a
/// customer wait; the report
/// adds this run, and a second report of it reads the same history and
/// writes the same bytes.
#[test]
fn an_earlier_run_in_the_history_feeds_cei_and_the_charts() {
    let (tmp, run) = demo();
    let state = tmp.path().join("state");
    fs::create_dir_all(&state).unwrap();
    // R1 (2026-03-26): a dispute on an invoice this run pays, and a letter
    // to a customer this run would dun again.
    let apps = read_parquet(&run.join("applications.parquet"));
    let (paid_invoice, paid_customer) = (
        text(&apps, "invoice_id")[0].clone(),
        text(&apps, "customer_id")[0].clone(),
    );
    let letters = read_parquet(&run.join("analytics/dunning_letters.parquet"));
    let dunned = text(&letters, "customer_id")[0].clone();
    let dunned_currency = text(&letters, "currency")[0].clone();
    history::record(
        &state,
        "R1",
        day("2026-03-26"),
        &[
            HistoryRow {
                kind: "deduction".into(),
                customer_id: paid_customer,
                currency: "EUR".into(),
                invoice_id: paid_invoice.clone(),
                transaction_id: "OLD-T".into(),
                code: "PRICING".into(),
                amount: Some("12.50".parse().unwrap()),
                date: Some(day("2026-02-20")),
                ..HistoryRow::default()
            },
            HistoryRow {
                kind: "letter".into(),
                customer_id: dunned.clone(),
                currency: dunned_currency.clone(),
                level: Some(1),
                date: Some(day("2026-03-26")),
                ..HistoryRow::default()
            },
        ],
    )
    .unwrap();
    history::record(
        &state,
        "R0",
        day("2025-12-31"),
        &[
            kpi_row("receivables_total", "1000000"),
            kpi_row("dso_simple", "41.5"),
            kpi_row("auto_match_rate", "62"),
        ],
    )
    .unwrap();
    let report = |out: &str| {
        run_ok(
            cashmatch()
                .arg("report")
                .arg(&run)
                .arg("--state")
                .arg(&state)
                .arg("--invoices")
                .arg(run.join("inputs/invoices.csv"))
                .arg("--out")
                .arg(tmp.path().join(out)),
        )
    };
    let out = report("a1");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 earlier run(s) read"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let a1 = tmp.path().join("a1");
    let (cei, inputs) = &kpis(&a1)[&("EUR".to_string(), "cei".to_string())];
    assert!(cei.is_some() && inputs.contains("run R0"), "{inputs}");
    assert!(inputs.contains("beginning_receivables=1000000"), "{inputs}");
    // The earlier dispute is resolved by this run's payment.
    let disputes = read_parquet(&a1.join("disputes.parquet"));
    let i = text(&disputes, "invoice_id")
        .iter()
        .position(|x| *x == paid_invoice)
        .unwrap();
    assert_eq!(text(&disputes, "status")[i], "resolved");
    assert_eq!(
        texts(&disputes, "resolution")[i].as_deref(),
        Some("payment")
    );
    // The customer lettered 5 days ago waits (minimum 14 days).
    let dunning = read_parquet(&a1.join("dunning.parquet"));
    let (cust, status, reason) = (
        text(&dunning, "customer_id"),
        text(&dunning, "status"),
        texts(&dunning, "exclusion_reason"),
    );
    let mine: Vec<usize> = (0..cust.len())
        .filter(|&i| cust[i] == dunned && status[i] != "excluded")
        .collect();
    assert!(!mine.is_empty());
    for i in mine {
        assert_eq!(status[i], "waiting", "{:?}", reason[i]);
        assert!(reason[i].as_deref().unwrap().contains("2026-03-26"));
    }
    let html = fs::read_to_string(a1.join("report.html")).unwrap();
    assert!(html.contains("2025-12-31") && html.contains("EUR (2 run(s))"));
    let ids: Vec<String> = history::read_log(&state)
        .unwrap()
        .runs
        .iter()
        .map(|r| r.run_id.clone())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(ids[..2], ["R0", "R1"]);
    report("a2");
    assert_eq!(
        fs::read(a1.join("report.html")).unwrap(),
        fs::read(tmp.path().join("a2/report.html")).unwrap()
    );
    assert_eq!(history::read_log(&state).unwrap().runs.len(), 3);

    // --no-history neither reads nor records.
    run_ok(
        cashmatch()
            .arg("report")
            .arg(&run)
            .arg("--no-history")
            .arg("--out")
            .arg(tmp.path().join("a3")),
    );
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("a3/report-manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["history"].as_array().unwrap().len(), 0);

    // A damaged history stops the report, naming it.
    let seg = state.join("history/R0.parquet");
    fs::write(&seg, b"not parquet").unwrap();
    let out = cashmatch()
        .arg("report")
        .arg(&run)
        .arg("--state")
        .arg(&state)
        .arg("--out")
        .arg(tmp.path().join("a4"))
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("R0.parquet"));
}

#[test]
fn backtest_beats_the_due_date_on_the_demo_history() {
    let (tmp, run) = demo();
    let out = run_ok(
        cashmatch()
            .arg("backtest")
            .arg("--cleared-items")
            .arg(run.join("inputs/cleared_items.csv"))
            .arg("--out")
            .arg(tmp.path()),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("MAE"), "{stdout}");
    let j: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("backtest.json")).unwrap()).unwrap();
    let get = |k: &str| j[k].as_str().unwrap().parse::<Decimal>().unwrap();
    let (method, naive) = (get("method_mae_days"), get("naive_mae_days"));
    // "Clearly": at least a third off the naive error.
    assert!(
        method * Decimal::from(3) < naive * Decimal::from(2),
        "method {method} vs naive {naive}"
    );
    let train = j["train"].as_u64().unwrap();
    let held = j["holdout_items"].as_u64().unwrap();
    assert_eq!(held, ((train + held) as f64 * 0.2).round() as u64);
    // Same inputs, same bytes.
    let first = fs::read(tmp.path().join("backtest.json")).unwrap();
    run_ok(
        cashmatch()
            .arg("backtest")
            .arg("--cleared-items")
            .arg(run.join("inputs/cleared_items.csv"))
            .arg("--out")
            .arg(tmp.path()),
    );
    assert_eq!(fs::read(tmp.path().join("backtest.json")).unwrap(), first);
}

#[test]
fn cleared_items_need_their_cleared_date_and_honour_the_config() {
    let (tmp, run) = demo();
    let bad = tmp.path().join("cleared.csv");
    fs::write(
        &bad,
        "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date,cleared_date\nX1,C1,C,EUR,0.00,10.00,2026-01-01,2026-01-31,2026-02-03\nX2,C1,C,EUR,0.00,10.00,2026-01-01,2026-01-31,\n",
    )
    .unwrap();
    let out = cashmatch()
        .arg("report")
        .arg(&run)
        .arg("--cleared-items")
        .arg(&bad)
        .arg("--out")
        .arg(tmp.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cleared.csv") && err.contains("row 2"),
        "{err}"
    );

    // Another column name and date format through [cleared_items].
    let cfg = tmp.path().join("a.toml");
    fs::write(
        &cfg,
        "[cleared_items]\ndate_format = \"%d.%m.%Y\"\n[cleared_items.columns]\ncleared_date = \"Ausgeglichen\"\n",
    )
    .unwrap();
    let good = tmp.path().join("ok.csv");
    let mut text = String::from("invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date,Ausgeglichen\n");
    for k in 0..10 {
        text.push_str(&format!(
            "X{k},C1,C,EUR,0.00,10.00,{:02}.01.2026,{:02}.02.2026,{:02}.02.2026\n",
            k + 1,
            k + 1,
            k + 6
        ));
    }
    fs::write(&good, text).unwrap();
    run_ok(
        cashmatch()
            .arg("backtest")
            .arg("--cleared-items")
            .arg(&good)
            .arg("--config")
            .arg(&cfg)
            .arg("--out")
            .arg(tmp.path()),
    );
    let j: serde_json::Value =
        serde_json::from_slice(&fs::read(tmp.path().join("backtest.json")).unwrap()).unwrap();
    // Everyone pays 5 days late: the method is exact, naive 5 days off.
    assert_eq!(j["method_mae_days"], "0");
    assert_eq!(j["naive_mae_days"], "5");
}
