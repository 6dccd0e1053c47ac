//! `cashmatch report` end to end: demo → report, read the analytics set
//! back and check it against the run's own files.

mod common;
use arrow_array::{Array, Decimal128Array, RecordBatch};
use common::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// A nullable Decimal128 column.
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

/// The demo run in a fresh directory.
fn demo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    run_ok(cashmatch().arg("demo").arg("--out").arg(&out));
    (tmp, out)
}

/// Every file under `dir` (relative name → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The KPI table as (currency, metric) → value.
fn kpi_values(dir: &Path) -> BTreeMap<(String, String), Option<Decimal>> {
    let k = read_parquet(&dir.join("kpis.parquet"));
    let cur = text(&k, "currency");
    let metric = text(&k, "metric");
    let value = decimals(&k, "value");
    (0..cur.len())
        .map(|i| ((cur[i].clone(), metric[i].clone()), value[i]))
        .collect()
}

#[test]
fn report_writes_every_table_and_agrees_with_the_run() {
    let (_tmp, run) = demo();
    let out = run_ok(cashmatch().arg("report").arg(&run));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("dso_simple"), "{stdout}");
    let a = run.join("analytics");
    for f in [
        "kpis.parquet",
        "dunning.parquet",
        "dunning_letters.parquet",
        "disputes.parquet",
        "report.html",
        "report-manifest.json",
    ] {
        assert!(a.join(f).is_file(), "{f} missing");
    }
    // No staging or previous folder is left behind.
    let leftovers: Vec<String> = fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".analytics"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Receivables and percent current recomputed from the run's own files.
    let items = read_parquet(&run.join("open_items.parquet"));
    let currencies = text(&items, "currency");
    let open_after = money(&items, "amount_open_after");
    let aging = read_parquet(&run.join("aging.parquet"));
    let kpis = kpi_values(&a);
    for currency in currencies.iter().collect::<std::collections::BTreeSet<_>>() {
        let total: Decimal = (0..currencies.len())
            .filter(|&i| &currencies[i] == currency)
            .map(|i| open_after[i])
            .sum();
        let key = |m: &str| (currency.clone(), m.to_string());
        assert_eq!(kpis[&key("receivables_total")], Some(total), "{currency}");
        let ac = text(&aging, "currency");
        let bucket = text(&aging, "bucket");
        let amount = money(&aging, "amount");
        let current: Decimal = (0..ac.len())
            .filter(|&i| &ac[i] == currency && bucket[i] == "current")
            .map(|i| amount[i])
            .sum();
        let over90: Decimal = (0..ac.len())
            .filter(|&i| &ac[i] == currency && (bucket[i] == "91-120" || bucket[i] == "120+"))
            .map(|i| amount[i])
            .sum();
        let pct =
            |x: Decimal| cashmatch_analytics::money::round_metric(x * Decimal::ONE_HUNDRED / total);
        assert_eq!(
            kpis[&key("percent_current")],
            Some(pct(current)),
            "{currency}"
        );
        assert_eq!(
            kpis[&key("percent_over_90")],
            Some(pct(over90)),
            "{currency}"
        );
        // Without --invoices the DSO family is null, with the reason.
        assert_eq!(kpis[&key("dso_simple")], None);
    }
    let k = read_parquet(&a.join("kpis.parquet"));
    let notes = texts(&k, "note");
    let metric = text(&k, "metric");
    let i = metric.iter().position(|m| m == "dso_simple").unwrap();
    assert!(notes[i]
        .as_deref()
        .unwrap_or_default()
        .contains("--invoices"));
    assert!(text(&k, "formula").iter().all(|f| !f.is_empty()));

    // The forecast holds every open, unheld item once; the weeks add up to
    // the items inside the horizon.
    let status = text(&items, "status");
    let expected: Decimal = (0..status.len())
        .filter(|&i| status[i] != "held" && open_after[i] > Decimal::ZERO)
        .map(|i| open_after[i])
        .sum();
    let fi = read_parquet(&a.join("forecast_items.parquet"));
    assert_eq!(money(&fi, "amount").into_iter().sum::<Decimal>(), expected);
    let weeks = read_parquet(&a.join("forecast.parquet"));
    let fi_amount = money(&fi, "amount");
    let (mut in_horizon, mut row) = (Decimal::ZERO, 0);
    for b in &fi {
        let w = b.column(b.schema().index_of("week").unwrap());
        for i in 0..w.len() {
            if !w.is_null(i) {
                in_horizon += fi_amount[row];
            }
            row += 1;
        }
    }
    assert_eq!(
        money(&weeks, "amount").into_iter().sum::<Decimal>(),
        in_horizon
    );

    // Disputes are exactly the run's deductions.
    let apps = read_parquet(&run.join("applications.parquet"));
    let deductions: Decimal = money(&apps, "deduction_amount").into_iter().sum();
    let disputes = read_parquet(&a.join("disputes.parquet"));
    assert_eq!(
        money(&disputes, "amount").into_iter().sum::<Decimal>(),
        deductions
    );
    assert!(deductions > Decimal::ZERO, "the demo has deductions");

    // One letter file per letter row, each naming its customer.
    let letters = read_parquet(&a.join("dunning_letters.parquet"));
    let files = text(&letters, "letter");
    let customers = text(&letters, "customer_id");
    assert!(!files.is_empty(), "the demo has overdue customers");
    for (f, c) in files.iter().zip(&customers) {
        let body = fs::read_to_string(a.join("letters").join(f)).unwrap();
        assert!(body.contains(c.as_str()), "{f}");
    }
    assert_eq!(
        fs::read_dir(a.join("letters")).unwrap().count(),
        files.len()
    );
}

#[test]
fn identical_inputs_give_identical_bytes_and_a_rerun_replaces_the_set() {
    let (_tmp, run) = demo();
    run_ok(cashmatch().arg("report").arg(&run));
    let first = tree(&run.join("analytics"));
    run_ok(cashmatch().arg("report").arg(&run));
    assert_eq!(tree(&run.join("analytics")), first);
    // Another folder, same bytes.
    let other = run.join("elsewhere");
    run_ok(cashmatch().arg("report").arg(&run).arg("--out").arg(&other));
    assert_eq!(tree(&other), first);
}

#[test]
fn credit_sales_and_an_opening_run_fill_dso_and_cei() {
    let (tmp, run) = demo();
    let as_of = {
        let m: serde_json::Value =
            serde_json::from_slice(&fs::read(run.join("manifest.json")).unwrap()).unwrap();
        m["as_of"].as_str().unwrap().to_string()
    };
    // Sales: two invoices dated on the as-of date, EUR.
    let inv = tmp.path().join("invoices.csv");
    fs::write(
        &inv,
        format!("invoice_id,customer_id,currency,amount,invoice_date,due_date\nS1,C1,EUR,1000000.00,{as_of},{as_of}\nS2,C2,EUR,500000.00,{as_of},\n"),
    )
    .unwrap();
    run_ok(
        cashmatch()
            .arg("report")
            .arg(&run)
            .arg("--invoices")
            .arg(&inv)
            .arg("--opening")
            .arg(&run),
    );
    let k = kpi_values(&run.join("analytics"));
    let get = |m: &str| k[&("EUR".to_string(), m.to_string())];
    let total = get("receivables_total").unwrap();
    // CRF DSO = receivables / 1,500,000 × 90.
    let expected = cashmatch_analytics::money::round_metric(
        total * Decimal::from(90) / Decimal::from(1_500_000),
    );
    assert_eq!(get("dso_simple"), Some(expected));
    assert!(get("best_possible_dso").is_some() && get("average_days_delinquent").is_some());
    // The opening run is the run itself: nothing sold between, so CEI is
    // (R + 0 − R) / (R − current) = 0 when anything is overdue.
    assert_eq!(get("cei"), Some(Decimal::ZERO));

    // A bad invoices file is an input error naming the file and row.
    fs::write(&inv, "invoice_id,customer_id,currency,amount,invoice_date,due_date\nS1,C1,EUR,12.345,2026-01-01,\n").unwrap();
    let out = cashmatch()
        .arg("report")
        .arg(&run)
        .arg("--invoices")
        .arg(&inv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invoices.csv"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_run_edited_after_publishing_is_refused() {
    let (_tmp, run) = demo();
    // The demo wrote its analytics set; a refused report leaves it as it was.
    let before = tree(&run.join("analytics"));
    let path = run.join("aging.parquet");
    let mut bytes = fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    fs::write(&path, bytes).unwrap();
    let out = cashmatch().arg("report").arg(&run).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("aging.parquet"));
    assert_eq!(tree(&run.join("analytics")), before, "nothing replaced");
}

#[test]
fn config_errors_name_the_key_and_a_foreign_out_folder_is_never_replaced() {
    let (tmp, run) = demo();
    let cfg = tmp.path().join("analytics.toml");
    fs::write(&cfg, "[dunning]\ngrace_dayz = 1\n").unwrap();
    let out = cashmatch()
        .arg("report")
        .arg(&run)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("grace_dayz"));

    let foreign = tmp.path().join("mine");
    fs::create_dir(&foreign).unwrap();
    fs::write(foreign.join("keep.txt"), "precious").unwrap();
    let out = cashmatch()
        .arg("report")
        .arg(&run)
        .arg("--out")
        .arg(&foreign)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        fs::read_to_string(foreign.join("keep.txt")).unwrap(),
        "precious"
    );
}

#[test]
fn a_template_file_from_the_config_writes_the_letters() {
    let (tmp, run) = demo();
    fs::write(
        tmp.path().join("final.txt"),
        "FINAL {{ customer_id }} {{ currency }} {{ total_due }}",
    )
    .unwrap();
    let cfg = tmp.path().join("analytics.toml");
    fs::write(
        &cfg,
        "[dunning]\ngrace_days = 0\n[[dunning.levels]]\nlevel = 1\ndays_past_due = 1\ntemplate = \"final.txt\"\n",
    )
    .unwrap();
    run_ok(
        cashmatch()
            .arg("report")
            .arg(&run)
            .arg("--config")
            .arg(&cfg),
    );
    let a = run.join("analytics");
    let letters = read_parquet(&a.join("dunning_letters.parquet"));
    let files = text(&letters, "letter");
    assert!(!files.is_empty());
    for f in &files {
        assert!(
            fs::read_to_string(a.join("letters").join(f))
                .unwrap()
                .starts_with("FINAL "),
            "{f}"
        );
    }
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(a.join("report-manifest.json")).unwrap()).unwrap();
    assert_eq!(m["config_sha256"].as_str().unwrap().len(), 64);
}

/// A crash between moving the old set aside and renaming the new one in
/// leaves `.analytics-previous-*`; the next report (even a failing one)
/// puts it back, and a staging folder that never committed is removed.
#[test]
fn an_interrupted_publish_leaves_the_old_set() {
    let (_tmp, run) = demo();
    run_ok(cashmatch().arg("report").arg(&run));
    let before = tree(&run.join("analytics"));
    fs::rename(run.join("analytics"), run.join(".analytics-previous-999")).unwrap();
    fs::create_dir(run.join(".analytics-staging-998")).unwrap();
    fs::write(run.join(".analytics-staging-998/kpis.parquet"), "half").unwrap();
    let out = cashmatch()
        .arg("report")
        .arg(&run)
        .arg("--invoices")
        .arg(run.join("missing.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(tree(&run.join("analytics")), before);
    assert!(
        !run.join(".analytics-previous-999").exists()
            && !run.join(".analytics-staging-998").exists()
    );
}

#[test]
fn a_locked_run_directory_is_not_read() {
    let (_tmp, run) = demo();
    let before = tree(&run.join("analytics"));
    // pid 1 is always alive: the lock is held, not stale.
    fs::write(run.join(".cashmatch.lock"), "pid=1\nholder=Rsomething\n").unwrap();
    let out = cashmatch().arg("report").arg(&run).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tree(&run.join("analytics")), before, "nothing replaced");
    fs::remove_file(run.join(".cashmatch.lock")).unwrap();
    run_ok(cashmatch().arg("report").arg(&run));
    assert!(
        !run.join(".cashmatch.lock").exists(),
        "the lock is released"
    );
}

#[test]
fn invoices_are_read_with_the_configured_dialect_and_columns() {
    let (tmp, run) = demo();
    let cfg = tmp.path().join("analytics.toml");
    fs::write(
        &cfg,
        "[invoices]\ndelimiter = \";\"\ndecimal_comma = true\ndate_format = \"%d.%m.%Y\"\n[invoices.columns]\ninvoice_id = \"Beleg\"\namount = \"Betrag\"\ninvoice_date = \"Datum\"\ndue_date = \"Faellig\"\ncustomer_id = \"Kunde\"\ncurrency = \"Waehrung\"\n",
    )
    .unwrap();
    let inv = tmp.path().join("rechnungen.csv");
    fs::write(
        &inv,
        "Beleg;Kunde;Waehrung;Betrag;Datum;Faellig\nS1;C1;EUR;1500000,00;15.03.2026;14.04.2026\n",
    )
    .unwrap();
    run_ok(
        cashmatch()
            .arg("report")
            .arg(&run)
            .arg("--config")
            .arg(&cfg)
            .arg("--invoices")
            .arg(&inv),
    );
    let k = kpi_values(&run.join("analytics"));
    let total = k[&("EUR".to_string(), "receivables_total".to_string())].unwrap();
    let expected = cashmatch_analytics::money::round_metric(
        total * Decimal::from(90) / Decimal::from(1_500_000),
    );
    assert_eq!(
        k[&("EUR".to_string(), "dso_simple".to_string())],
        Some(expected)
    );

    fs::write(&cfg, "[invoices.columns]\nbetrag = \"Betrag\"\n").unwrap();
    let out = cashmatch()
        .arg("report")
        .arg(&run)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`betrag`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
