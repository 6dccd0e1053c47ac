//! `cashmatch run` publishes the analytics set with the run (issue 10): in
//! the same staged commit, listed in its own `report-manifest.json` (the
//! run's `manifest.json` is unchanged by it), byte-identical to what
//! `cashmatch report RUN_DIR` writes again from the files; `--no-analytics`
//! leaves it out, and a bad analytics input fails the run before anything
//! is published.

mod common;
use cashmatch::output::sha256_hex;
use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// The demo's inputs (bank, open items, customers, invoices, cleared items).
fn demo_inputs() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempdir();
    let demo = tmp.path().join("demo");
    run_ok(cashmatch().arg("demo").arg("--out").arg(&demo));
    (tmp, demo.join("inputs"))
}

fn run_cmd(inputs: &Path, out: &Path) -> Command {
    let mut c = cashmatch();
    c.arg("run")
        .arg("--bank")
        .arg(inputs.join("bank.csv"))
        .arg("--open-items")
        .arg(inputs.join("open_items.csv"))
        .arg("--customers")
        .arg(inputs.join("customers.csv"))
        .arg("--out")
        .arg(out);
    c
}

fn with_history(c: &mut Command, inputs: &Path) {
    c.arg("--invoices")
        .arg(inputs.join("invoices.csv"))
        .arg("--cleared-items")
        .arg(inputs.join("cleared_items.csv"));
}

fn report_manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("analytics/report-manifest.json")).unwrap()).unwrap()
}

#[test]
fn run_publishes_the_analytics_set_and_report_redoes_it_byte_for_byte() {
    let (tmp, inputs) = demo_inputs();
    let out = tmp.path().join("run");
    let mut c = run_cmd(&inputs, &out);
    with_history(&mut c, &inputs);
    let o = run_ok(&mut c);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("analytics/"), "{stdout}");
    let published = tree(&out.join("analytics"));
    for f in [
        "kpis.parquet",
        "dunning.parquet",
        "dunning_letters.parquet",
        "disputes.parquet",
        "customer_behaviour.parquet",
        "forecast.parquet",
        "forecast_items.parquet",
        "signals.parquet",
        "report.html",
        "report-manifest.json",
    ] {
        assert!(published.contains_key(f), "{f} missing");
    }
    assert!(published.keys().any(|k| k.starts_with("letters/")));
    // The set names the run it belongs to, and what it was computed from.
    let m = report_manifest(&out);
    let run_manifest = fs::read(out.join("manifest.json")).unwrap();
    assert_eq!(m["run_manifest_sha256"], sha256_hex(&run_manifest));
    assert_eq!(
        m["invoices_sha256"],
        sha256_hex(&fs::read(inputs.join("invoices.csv")).unwrap())
    );
    assert_eq!(
        m["cleared_items_sha256"],
        sha256_hex(&fs::read(inputs.join("cleared_items.csv")).unwrap())
    );
    // The run's own checks are untouched by the set.
    run_ok(cashmatch().arg("verify").arg(&out));
    let replay = run_ok(cashmatch().arg("replay").arg(&out));
    assert!(String::from_utf8_lossy(&replay.stdout).contains("byte-identical"));
    // `report RUN_DIR` with the same inputs writes the same bytes again
    // (the run recorded itself in the AR history; a report of it reads
    // only the runs before it).
    let mut r = cashmatch();
    r.arg("report").arg(&out);
    with_history(&mut r, &inputs);
    run_ok(&mut r);
    let again = tree(&out.join("analytics"));
    assert_eq!(
        published.keys().collect::<Vec<_>>(),
        again.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &published {
        assert!(again[name] == *bytes, "{name} differs after report RUN_DIR");
    }
    // Without the inputs the report differs (DSO needs credit sales): the
    // comparison above can fail.
    run_ok(cashmatch().arg("report").arg(&out));
    assert_ne!(
        fs::read(out.join("analytics/kpis.parquet")).unwrap(),
        published["kpis.parquet"]
    );
}

#[test]
fn no_analytics_leaves_the_set_out_and_the_run_manifest_is_the_same() {
    let (tmp, inputs) = demo_inputs();
    let with = tmp.path().join("with");
    let without = tmp.path().join("without");
    run_ok(&mut run_cmd(&inputs, &with));
    let o = run_ok(run_cmd(&inputs, &without).arg("--no-analytics"));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("analytics/"));
    assert!(with.join("analytics/report-manifest.json").is_file());
    assert!(!without.join("analytics").exists());
    assert_eq!(
        fs::read(with.join("manifest.json")).unwrap(),
        fs::read(without.join("manifest.json")).unwrap(),
        "the analytics set is not part of the run's manifest"
    );
    // The flag excludes the analytics inputs.
    let o = run_cmd(&inputs, &tmp.path().join("x"))
        .arg("--no-analytics")
        .arg("--invoices")
        .arg(inputs.join("invoices.csv"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--no-analytics"));
}

#[test]
fn a_bad_analytics_input_fails_the_run_before_anything_is_published() {
    let (tmp, inputs) = demo_inputs();
    let bad = tmp.path().join("invoices.csv");
    fs::write(&bad, "invoice_id,customer_id\nX1,C1\n").unwrap();
    let out = tmp.path().join("run");
    let o = run_cmd(&inputs, &out)
        .arg("--invoices")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("invoices.csv"), "{stderr}");
    assert!(!out.join("manifest.json").exists());
    assert!(!out.join("analytics").exists());
}

/// The next run into the same directory replaces the set whole (the
/// roll-forward puts the staged folder in place of the old one).
#[test]
fn the_next_run_replaces_the_set_with_its_own() {
    let (tmp, inputs) = demo_inputs();
    let out = tmp.path().join("run");
    run_ok(run_cmd(&inputs, &out).args(["--as-of", "2026-03-31"]));
    let first = report_manifest(&out);
    // An earlier report's extra file goes with the old set.
    fs::write(out.join("analytics/letters/stray.txt"), "old").unwrap();
    run_ok(run_cmd(&inputs, &out).args(["--as-of", "2026-04-15"]));
    let second = report_manifest(&out);
    assert_ne!(first["run_id"], second["run_id"]);
    assert_eq!(second["as_of"], "2026-04-15");
    assert_eq!(
        second["run_manifest_sha256"],
        sha256_hex(&fs::read(out.join("manifest.json")).unwrap())
    );
    assert!(!out.join("analytics/letters/stray.txt").exists());
    // The second run read the first from the AR history.
    assert_eq!(second["history"].as_array().unwrap().len(), 1, "{second}");
    let leftovers: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && !n.starts_with(".cashmatch.lock"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    run_ok(cashmatch().arg("verify").arg(&out));
}

/// The issue's "done": `cashmatch demo` (whose run publishes the set)
/// writes every table and `analytics/report.html`, and every metric name
/// the issue lists is in `kpis.parquet` for every currency, with its unit
/// and its formula text.
#[test]
fn the_demo_writes_every_issue_metric_with_its_formula() {
    let (_tmp, inputs) = demo_inputs();
    let a = inputs.parent().unwrap().join("analytics");
    assert!(a.join("report.html").is_file());
    let k = read_parquet(&a.join("kpis.parquet"));
    let currency = text(&k, "currency");
    let metric = text(&k, "metric");
    let unit = text(&k, "unit");
    let formula = text(&k, "formula");
    let inputs_col = text(&k, "inputs");
    let currencies: std::collections::BTreeSet<&String> = currency.iter().collect();
    assert!(currencies.len() >= 2, "{currencies:?}");
    let issue = [
        ("dso_simple", "days", "credit sales"),
        ("dso_countback", "days", "months"),
        ("best_possible_dso", "days", "current receivables"),
        (
            "average_days_delinquent",
            "days",
            "dso_simple − best_possible_dso",
        ),
        ("weighted_days_past_due", "days", "due_date"),
        ("percent_current", "percent", "not yet due"),
        ("percent_over_90", "percent", "90 days"),
        ("cei", "percent", "beginning receivables"),
        ("weighted_days_to_pay", "days", "invoice_date"),
        ("weighted_days_late", "days", "due_date"),
        ("unapplied_cash_ratio", "ratio", "unapplied"),
        ("auto_match_rate", "percent", "receipts"),
        ("auto_match_rate_amount", "percent", "cash applied"),
    ];
    for c in &currencies {
        for (name, want_unit, in_formula) in issue {
            let i = (0..metric.len())
                .find(|&i| currency[i] == **c && metric[i] == name)
                .unwrap_or_else(|| panic!("{c} {name} missing from kpis.parquet"));
            assert_eq!(unit[i], want_unit, "{c} {name}");
            assert!(
                formula[i].contains(in_formula),
                "{c} {name}: formula `{}`",
                formula[i]
            );
            assert!(!inputs_col[i].is_empty(), "{c} {name}: inputs");
        }
    }
}
