//! What an auditor relies on: `replay` reproduces a run byte for byte,
//! `verify` re-checks it from its files alone and catches edits, and
//! nightly runs against their state never apply the same money twice.

mod common;
use arrow_array::{Array, Decimal128Array, RecordBatch};
use common::*;
use parquet::arrow::ArrowWriter;
use std::fs;
use std::path::Path;
use std::sync::Arc;

fn demo(out: &Path) {
    run_ok(cashmatch().arg("demo").arg("--out").arg(out));
}

fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn replay_reproduces_the_demo_byte_for_byte_at_1_2_and_8_threads() {
    let dir = tempdir();
    let out = dir.path().join("out");
    demo(&out);
    for threads in ["1", "2", "8"] {
        let o = run_ok(cashmatch().args(["--threads", threads, "replay"]).arg(&out));
        let text = stdout_of(&o);
        assert!(text.contains("every output is byte-identical"), "{text}");
        for name in ["applications.parquet", "manifest.json", "aging.parquet"] {
            assert!(text.contains(&format!("identical  {name}")), "{text}");
        }
    }
}

#[test]
fn rerunning_the_demo_against_its_own_state_applies_nothing_new() {
    let dir = tempdir();
    let out = dir.path().join("out");
    demo(&out);
    let before = outputs(&out);
    let o = run_ok(cashmatch().arg("demo").arg("--out").arg(&out));
    assert!(
        stdout_of(&o).contains("already processed"),
        "{}",
        stdout_of(&o)
    );
    assert_eq!(outputs(&out), before, "no output changed");

    // The next night: the same statement file again, the open items the
    // demo left, the demo's state. Nothing is applied twice.
    let next = dir.path().join("next");
    run_ok(
        cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(out.join("inputs/bank.csv"))
            .arg("--open-items")
            .arg(out.join("open_items.parquet"))
            .arg("--customers")
            .arg(out.join("inputs/customers.csv"))
            .arg("--state")
            .arg(out.join("state"))
            .arg("--out")
            .arg(&next),
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(next.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["transactions"], 0);
    assert_eq!(manifest["counts"]["applications"], 0);
    assert_eq!(manifest["counts"]["files_duplicate"], 1);
    let items = read_parquet(&next.join("open_items.parquet"));
    assert!(
        text(&items, "status").iter().all(|s| s != "paid"),
        "paid invoices are not open in the next run"
    );
    run_ok(cashmatch().arg("verify").arg(&next));
    run_ok(cashmatch().arg("replay").arg(&next));
}

#[test]
fn an_invoice_paid_in_one_run_is_not_open_in_the_next() {
    let dir = tempdir();
    let header = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n";
    let day1 = dir.path().join("day1.csv");
    fs::write(
        &day1,
        format!("{header}DE01,2026-03-02,2026-03-02,100.00,EUR,ACME GmbH,DE02,INV-1,B1\n"),
    )
    .unwrap();
    let items = dir.path().join("items.csv");
    fs::write(
        &items,
        "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date\n\
         INV-1,C1,ACME GmbH,EUR,100.00,100.00,2026-02-01,2026-03-01\n\
         INV-2,C1,ACME GmbH,EUR,40.00,40.00,2026-02-01,2026-03-01\n",
    )
    .unwrap();
    let state = dir.path().join("state");
    let run1 = dir.path().join("run1");
    run_ok(
        cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(&day1)
            .arg("--open-items")
            .arg(&items)
            .arg("--state")
            .arg(&state)
            .arg("--out")
            .arg(&run1),
    );
    // Day 2: the customer pays INV-1 again by mistake.
    let day2 = dir.path().join("day2.csv");
    fs::write(
        &day2,
        format!("{header}DE01,2026-03-03,2026-03-03,100.00,EUR,ACME GmbH,DE02,INV-1,B2\n"),
    )
    .unwrap();
    let run2 = dir.path().join("run2");
    run_ok(
        cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(&day2)
            .arg("--open-items")
            .arg(run1.join("open_items.parquet"))
            .arg("--state")
            .arg(&state)
            .arg("--out")
            .arg(&run2),
    );
    let apps = read_parquet(&run2.join("applications.parquet"));
    assert!(
        !text(&apps, "invoice_id").contains(&"INV-1".to_string()),
        "INV-1 was settled yesterday"
    );
    let items2 = read_parquet(&run2.join("open_items.parquet"));
    assert_eq!(text(&items2, "invoice_id"), ["INV-2"], "paid items dropped");
    let excs = read_parquet(&run2.join("exceptions.parquet"));
    assert_eq!(
        text(&excs, "bank_reference"),
        ["B2"],
        "the money stays visible"
    );
}

/// Rewrites `applications.parquet` with the first applied amount raised by
/// one unit, the way a hand edit in a notebook would.
fn tamper_first_applied_amount(path: &Path) {
    let batches = read_parquet(path);
    let batch: &RecordBatch = &batches[0];
    let idx = batch.schema().index_of("applied_amount").unwrap();
    let col = batch
        .column(idx)
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .unwrap();
    let mut values: Vec<i128> = (0..col.len()).map(|i| col.value(i)).collect();
    values[0] += 10_000; // +1.0000 at scale 4
    let changed = Decimal128Array::from(values)
        .with_precision_and_scale(38, 4)
        .unwrap();
    let mut columns = batch.columns().to_vec();
    columns[idx] = Arc::new(changed);
    let edited = RecordBatch::try_new(batch.schema(), columns).unwrap();
    let f = fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(f, edited.schema(), None).unwrap();
    w.write(&edited).unwrap();
    w.close().unwrap();
}

#[test]
fn verify_passes_on_the_demo_and_catches_a_hand_edited_output() {
    let dir = tempdir();
    let out = dir.path().join("out");
    demo(&out);
    let ok = run_ok(cashmatch().arg("verify").arg(&out));
    assert!(stdout_of(&ok).contains("all checks passed"));

    tamper_first_applied_amount(&out.join("applications.parquet"));
    let o = cashmatch().arg("verify").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(6), "verify fails");
    let text = stdout_of(&o);
    let failed = |check: &str| {
        text.lines()
            .any(|l| l.starts_with("FAIL") && l.contains(check))
    };
    assert!(failed("conservation_per_transaction"), "{text}");
    assert!(failed("manifest_hashes_match_files"), "{text}");
    assert!(
        failed("no_invoice_over_applied"),
        "per-invoice sums too: {text}"
    );
    assert!(failed("control_sums_match"), "{text}");

    // Replay sees it too, naming the file.
    let o = cashmatch().arg("replay").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(6));
    assert!(stdout_of(&o).contains("DIFFERS    applications.parquet"));
}

#[test]
fn replay_names_an_input_whose_hash_changed() {
    let dir = tempdir();
    let out = dir.path().join("out");
    demo(&out);
    let bank = out.join("inputs/bank.csv");
    let mut bytes = fs::read(&bank).unwrap();
    bytes.extend_from_slice(b"\n");
    fs::write(&bank, bytes).unwrap();
    let o = cashmatch().arg("replay").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(6));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("`bank.csv`") && err.contains("changed"),
        "{err}"
    );
}

#[test]
fn replay_finds_inputs_by_name_under_an_inputs_folder() {
    let dir = tempdir();
    let out = dir.path().join("out");
    demo(&out);
    // The run directory travels to an auditor without its inputs folder.
    let elsewhere = dir.path().join("archive");
    fs::rename(out.join("inputs"), &elsewhere).unwrap();
    let o = cashmatch().arg("replay").arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(6), "inputs missing at recorded paths");
    let o = run_ok(
        cashmatch()
            .arg("replay")
            .arg(&out)
            .arg("--inputs")
            .arg(&elsewhere),
    );
    assert!(stdout_of(&o).contains("every output is byte-identical"));
}

#[test]
fn manifest_records_what_replay_needs() {
    let dir = tempdir();
    let out = dir.path().join("out");
    demo(&out);
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["as_of"], "2026-03-31");
    assert_eq!(m["state"], "state");
    assert_eq!(m["accept_unbalanced"], false);
    assert_eq!(m["currency_table_sha256"].as_str().unwrap().len(), 64);
    let inputs = m["inputs"].as_array().unwrap();
    let bank = inputs.iter().find(|i| i["role"] == "bank").unwrap();
    assert_eq!(bank["path"], "inputs/bank.csv");
    assert_eq!(bank["sha256"].as_str().unwrap().len(), 64);
    assert!(m["config"].as_str().unwrap().contains("[limits]"));
}

/// RELIABILITY B5-44: only a missing state log means "no run yet". A log
/// that exists but cannot be read (a directory where the file should be)
/// or does not parse stops the run with exit 1 before anything is written:
/// the log stays as it is and no output changes. (A read error used to be
/// exit 5 at best, and in the roll-forward it replaced the log with the
/// new run's entry alone, so the next run would apply everything again.)
#[test]
fn a_state_log_that_cannot_be_read_stops_the_run_and_is_left_alone() {
    let dir = tempdir();
    let out = dir.path().join("out");
    demo(&out);
    let log = out.join("state/log.json");
    let good_log = fs::read(&log).unwrap();
    // The next night: one new payment, so the batch is not "already processed".
    let bank = dir.path().join("day2.csv");
    let mut day2 = fs::read_to_string(out.join("inputs/bank.csv")).unwrap();
    day2.push_str("DE99,2026-03-30,2026-03-30,12.34,EUR,Someone,DE98,late payment,DAY2-1\n");
    fs::write(&bank, day2).unwrap();
    let next = || {
        let mut c = cashmatch();
        c.arg("run")
            .arg("--bank")
            .arg(&bank)
            .arg("--open-items")
            .arg(out.join("inputs/open_items.csv"))
            .arg("--out")
            .arg(&out);
        c
    };
    let before = outputs(&out);
    // Each puts something unreadable where the log should be.
    type Damage = fn(&Path);
    let damaged: [(&str, Damage); 2] = [
        ("a directory", |p: &Path| {
            fs::create_dir(p).unwrap();
            fs::write(p.join("x"), b"x").unwrap();
        }),
        ("invalid JSON", |p: &Path| {
            fs::write(p, b"{\"format\": ").unwrap()
        }),
    ];
    for (what, damage) in damaged {
        let _ = fs::remove_file(&log);
        let _ = fs::remove_dir_all(&log);
        damage(&log);
        let snapshot = |p: &Path| {
            if p.is_dir() {
                fs::read(p.join("x")).unwrap()
            } else {
                fs::read(p).unwrap()
            }
        };
        let log_before = snapshot(&log);
        let o = next().output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(1),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("state log"),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(snapshot(&log), log_before, "{what}: log untouched");
        assert_eq!(outputs(&out), before, "{what}: nothing published");
        let hidden: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{what}: nothing left behind: {hidden:?}");
    }
    // Restored, the same run goes through.
    fs::remove_file(&log).unwrap();
    fs::write(&log, good_log).unwrap();
    run_ok(&mut next());
}
