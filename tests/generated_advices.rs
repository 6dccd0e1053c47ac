//! Advices in every format the generator writes (issue 11): X12 820, BAI
//! lockbox, remt.001, camt.054 (enriching the statement entry it details)
//! and a remittance CSV, with deductions and multi-advice deposits (lockbox
//! batches credited as one deposit, two 820s under one trace number). A run
//! reads them with the generated `remittance.toml` and `evaluate` scores
//! every advice line against `advices_truth.csv`.

mod common;
use common::*;
use std::collections::BTreeSet;

#[test]
fn advices_in_every_format_are_linked_and_applied_line_by_line() {
    let dir = tempdir();
    let d = dir.path();
    let set = d.join("set");
    let out = run_ok(
        cashmatch()
            .args([
                "generate",
                "--customers",
                "150",
                "--invoices",
                "900",
                "--payments",
                "500",
                "--seed",
                "11",
                "--advices-percent",
                "70",
                "--advice-formats",
                "820,lockbox,remt001,camt054,csv",
                "--out",
            ])
            .arg(&set),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    for f in [
        "advices.820",
        "lockbox.txt",
        "remt001.xml",
        "camt054.xml",
        "remittance.csv",
    ] {
        assert!(set.join("remittance").join(f).is_file(), "{f}: {stdout}");
    }
    let truth = std::fs::read_to_string(set.join("advices_truth.csv")).unwrap();
    assert!(truth.lines().count() > 200, "{stdout}");
    let run = d.join("run");
    run_ok(
        cashmatch()
            .args(["run", "-q", "--no-state", "--bank"])
            .arg(set.join("bank.csv"))
            .arg("--open-items")
            .arg(set.join("open_items.csv"))
            .arg("--customers")
            .arg(set.join("customers.csv"))
            .arg("--config")
            .arg(set.join("remittance.toml"))
            .arg("--remittance")
            .arg(set.join("remittance"))
            .arg("--out")
            .arg(&run),
    );
    let r = read_parquet(&run.join("remittances.parquet"));
    let rules: BTreeSet<String> = texts(&r, "link_rule").into_iter().flatten().collect();
    for rule in [
        "TRACE_NUMBER",
        "CHEQUE_NUMBER",
        "DEPOSIT_TOTAL",
        "END_TO_END_ID",
        "ACCOUNT_SERVICER_REFERENCE",
        "PAYMENT_REFERENCE",
    ] {
        assert!(rules.contains(rule), "{rule} among {rules:?}");
    }
    let formats: BTreeSet<String> = text(&r, "format").into_iter().collect();
    assert_eq!(formats.len(), 5, "{formats:?}");
    // A camt.054 given as remittance is never a second copy of the money.
    let t = read_parquet(&run.join("transactions.parquet"));
    let bank_lines = std::fs::read_to_string(set.join("bank.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(text(&t, "transaction_id").len(), bank_lines);
    let eval = run_ok(
        cashmatch()
            .args(["evaluate", "--json", "--truth"])
            .arg(set.join("truth.csv"))
            .arg("--run")
            .arg(&run),
    );
    let json: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    let a = &json["advices"];
    let lines = a["lines"].as_u64().unwrap();
    let right = a["applied_right"].as_u64().unwrap();
    assert!(lines > 200, "{a}");
    assert_eq!(a["applied_wrong"].as_u64(), Some(0), "{a}");
    assert!(right as f64 >= 0.98 * lines as f64, "{a}");
    assert!(a["deductions"].as_u64().unwrap() > 0, "{a}");
    assert_eq!(a["deduction_reason_right"], a["deductions"], "{a}");
    for f in ["820", "lockbox", "remt001", "camt054", "csv"] {
        let per = &a["per_format"][f];
        assert!(per[0].as_u64().unwrap() > 0, "{f}: {a}");
    }
    run_ok(cashmatch().arg("verify").arg(&run));
}
