//! `cashmatch run` and `ingest` on hand-made and real inputs: errors name
//! the file, row and column; one bad statement never stops the batch.

mod common;
use common::*;
use std::fs;

const BANK_HEADER: &str = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n";
const ITEMS_HEADER: &str = "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date\n";

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

#[test]
fn exact_reference_run_applies_and_reports_the_rest() {
    let dir = tempdir();
    let bank = write(
        dir.path(),
        "bank.csv",
        &format!(
            "{BANK_HEADER}DE01,2026-03-02,2026-03-02,100.00,EUR,ACME GmbH,DE02,\"Payment inv 2026 000001, thanks\",B1\n\
             DE01,2026-03-02,2026-03-02,350.50,EUR,Beta AG,DE03,INV2026000002 INV-2026-000003,B2\n\
             DE01,2026-03-03,2026-03-03,99.00,EUR,Nobody,DE04,hello,B3\n\
             DE01,2026-03-03,2026-03-03,-20.00,EUR,Bank,,fees,B4\n"
        ),
    );
    let items = write(
        dir.path(),
        "items.csv",
        &format!(
            "{ITEMS_HEADER}INV-2026-000001,C1,ACME GmbH,EUR,100.00,100.00,2026-02-01,2026-03-01\n\
             INV-2026-000002,C2,Beta AG,EUR,300.00,300.00,2026-02-01,2026-03-01\n\
             INV-2026-000003,C2,Beta AG,EUR,50.50,50.50,2026-02-01,2026-03-01\n\
             INV-2026-000004,C2,Beta AG,EUR,70.00,70.00,2025-10-01,2025-11-01\n"
        ),
    );
    let out = dir.path().join("out");
    run_ok(
        cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(&bank)
            .arg("--open-items")
            .arg(&items)
            .args(["--as-of", "2026-03-31", "--out"])
            .arg(&out),
    );
    let apps = read_parquet(&out.join("applications.parquet"));
    assert_eq!(
        text(&apps, "invoice_id"),
        ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    );
    assert!(text(&apps, "explanation")[0].contains("INV-2026-000001"));
    let excs = read_parquet(&out.join("exceptions.parquet"));
    assert_eq!(text(&excs, "bank_reference"), ["B3", "B4"]);
    assert_eq!(text(&excs, "reason"), ["NO_MATCH", "NOT_A_RECEIPT"]);
    let items = read_parquet(&out.join("open_items.parquet"));
    assert_eq!(text(&items, "status"), ["paid", "paid", "paid", "open"]);
    let aging = read_parquet(&out.join("aging.parquet"));
    assert_eq!(text(&aging, "bucket"), ["120+"]);
}

#[test]
fn bad_amount_in_open_items_names_file_row_and_column() {
    let dir = tempdir();
    let bank = write(
        dir.path(),
        "bank.csv",
        &format!("{BANK_HEADER}DE01,2026-03-02,2026-03-02,1.00,EUR,A,B,C,R1\n"),
    );
    let items = write(
        dir.path(),
        "items.csv",
        &format!("{ITEMS_HEADER}INV-1,C1,A,EUR,100.00,100.00,2026-02-01,2026-03-01\nINV-2,C1,A,EUR,1O0.00,100.00,2026-02-01,2026-03-01\n"),
    );
    let out = cashmatch()
        .arg("run")
        .arg("--bank")
        .arg(&bank)
        .arg("--open-items")
        .arg(&items)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("items.csv")
            && err.contains("data row 2")
            && err.contains("amount_open")
            && err.contains("1O0.00"),
        "{err}"
    );
    assert!(err.contains("hint:"), "says what to do: {err}");
    assert!(
        !dir.path().join("out/manifest.json").exists(),
        "nothing published"
    );
}

#[test]
fn a_statement_failing_its_totals_is_excluded_and_the_batch_still_runs() {
    let dir = tempdir();
    let bank_dir = dir.path().join("bank");
    fs::create_dir(&bank_dir).unwrap();
    write(
        &bank_dir,
        "good.csv",
        &format!("{BANK_HEADER}DE01,2026-03-02,2026-03-02,100.00,EUR,A,B,INV-1,R1\n"),
    );
    fs::copy(
        samples().join("bai2/venturehacks-invalid_checksum_eod.bai2"),
        bank_dir.join("bad.bai2"),
    )
    .unwrap();
    let items = write(
        dir.path(),
        "items.csv",
        &format!("{ITEMS_HEADER}INV-1,C1,A,EUR,100.00,100.00,2026-02-01,2026-03-01\n"),
    );
    let out_dir = dir.path().join("out");
    let out = cashmatch()
        .arg("run")
        .arg("--bank")
        .arg(&bank_dir)
        .arg("--open-items")
        .arg(&items)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "completed with rejections: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Rejections are errors: stderr, not the results on stdout (issue 13).
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bank/bad.bai2") && stderr.contains("--accept-unbalanced"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("bank/bad.bai2"));
    let apps = read_parquet(&out_dir.join("applications.parquet"));
    assert_eq!(text(&apps, "invoice_id"), ["INV-1"]);
    let statements = read_parquet(&out_dir.join("statements.parquet"));
    assert!(text(&statements, "disposition").contains(&"rejected_unbalanced".to_string()));

    // With the override, the file is ingested and the manifest says so.
    let out_dir2 = dir.path().join("out2");
    let out = cashmatch()
        .arg("run")
        .arg("--bank")
        .arg(&bank_dir)
        .arg("--open-items")
        .arg(&items)
        .arg("--accept-unbalanced")
        .arg("--out")
        .arg(&out_dir2)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = fs::read_to_string(out_dir2.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"accept_unbalanced\": true")
            && manifest.contains("accepted_unbalanced")
    );
}

/// `ingest` writes its tables at once (one task per file): the published
/// files, manifest included, are the same bytes at 1 and 4 threads.
#[test]
fn ingest_gives_identical_bytes_at_any_thread_count() {
    let dir = tempdir();
    let mut published = Vec::new();
    for threads in ["1", "4"] {
        let out_dir = dir.path().join(format!("t{threads}"));
        let out = cashmatch()
            .args(["--threads", threads, "ingest"])
            .arg(samples())
            .arg("--out")
            .arg(&out_dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "samples with failed checks");
        let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_file())
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                (name, fs::read(e.path()).unwrap())
            })
            .filter(|(name, _)| !name.starts_with('.'))
            .collect();
        files.sort();
        published.push(files);
    }
    let names: Vec<&str> = published[0].iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"transactions.parquet") && names.contains(&"manifest.json"),
        "{names:?}"
    );
    assert_eq!(published[0], published[1]);
}

#[test]
fn ingest_reads_every_public_sample_and_reports_failed_checks() {
    let dir = tempdir();
    let out_dir = dir.path().join("out");
    let out = cashmatch()
        .arg("ingest")
        .arg(samples())
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "some samples fail their own totals on purpose"
    );
    let statements = read_parquet(&out_dir.join("statements.parquet"));
    let checks = text(&statements, "balance_check");
    assert!(checks.iter().any(|c| c == "pass") && checks.iter().any(|c| c == "fail"));
    let formats: std::collections::BTreeSet<String> =
        text(&statements, "format").into_iter().collect();
    for f in [
        "bai2", "camt.052", "camt.053", "camt.054", "mt940", "mt942", "bank_csv",
    ] {
        assert!(formats.contains(f), "{f} read: {formats:?}");
    }
    let txns = read_parquet(&out_dir.join("transactions.parquet"));
    assert!(text(&txns, "transaction_id").len() > 500);
}

#[test]
fn unknown_config_key_is_a_clear_error() {
    let dir = tempdir();
    let cfg = write(
        dir.path(),
        "rules.toml",
        "[matching]\nexact_refernce = { enabled = false }\n",
    );
    let bank = write(
        dir.path(),
        "bank.csv",
        &format!("{BANK_HEADER}DE01,2026-03-02,2026-03-02,1.00,EUR,A,B,C,R1\n"),
    );
    let items = write(dir.path(), "items.csv", ITEMS_HEADER);
    let out = cashmatch()
        .arg("run")
        .arg("--bank")
        .arg(&bank)
        .arg("--open-items")
        .arg(&items)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rules.toml") && err.contains("exact_refernce"),
        "{err}"
    );
}

#[test]
fn ingest_and_run_name_every_transaction_the_same_way() {
    let dir = tempdir();
    // One bank reference in two currency sub-ledgers of one account (two
    // statements), and two identical reference-less lines in one statement:
    // four transactions, none of them a re-sent one.
    let bank = write(
        dir.path(),
        "bank.csv",
        &format!(
            "{BANK_HEADER}DE01,2026-03-02,2026-03-02,50.00,EUR,A,B,INV-1,R1\n\
             DE01,2026-03-02,2026-03-02,50.00,USD,A,B,INV-1,R1\n\
             DE02,2026-03-02,2026-03-02,50.00,EUR,A,B,INV-1,\n\
             DE02,2026-03-02,2026-03-02,50.00,EUR,A,B,INV-1,\n"
        ),
    );
    let items = write(
        dir.path(),
        "items.csv",
        &format!("{ITEMS_HEADER}INV-9,C1,A,EUR,1.00,1.00,2026-02-01,2026-03-01\n"),
    );
    let ingested = dir.path().join("ingested");
    run_ok(
        cashmatch()
            .arg("ingest")
            .arg(&bank)
            .arg("--out")
            .arg(&ingested),
    );
    let ran = dir.path().join("ran");
    run_ok(
        cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(&bank)
            .arg("--open-items")
            .arg(&items)
            .arg("--out")
            .arg(&ran),
    );
    let a = text(
        &read_parquet(&ingested.join("transactions.parquet")),
        "transaction_id",
    );
    let b = text(
        &read_parquet(&ran.join("transactions.parquet")),
        "transaction_id",
    );
    assert_eq!(a.len(), 4, "nothing dropped by ingest");
    assert_eq!(a, b, "run keeps and names the same four transactions");
    assert_ne!(
        a[0], a[1],
        "one reference in two currencies is two transactions"
    );
    assert_ne!(a[2], a[3], "identical lines in one statement stay apart");
}
