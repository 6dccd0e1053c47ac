//! `cashmatch ingest` on remittance files beside bank statements (issue
//! 11): detected by content, each file's control check reported like a
//! statement's balance check (exit 3 when one fails or a file is refused),
//! and `remittances.parquet` with one row per advice line.

mod common;
use arrow_array::{Array, Decimal128Array, StringArray};
use common::*;
use rust_decimal::Decimal;
use std::fs;
use std::path::Path;
use std::str::FromStr as _;

fn copy_sample(folder: &str, file: &str, to: &Path) {
    fs::copy(
        samples().join("remittance").join(folder).join(file),
        to.join(file),
    )
    .unwrap();
}

fn column<'a, T: 'static>(batches: &'a [arrow_array::RecordBatch], name: &str) -> &'a T {
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    b.column(b.schema().index_of(name).unwrap())
        .as_any()
        .downcast_ref::<T>()
        .unwrap()
}

fn money_opt(batches: &[arrow_array::RecordBatch], name: &str) -> Vec<Option<Decimal>> {
    let a: &Decimal128Array = column(batches, name);
    (0..a.len())
        .map(|i| {
            (!a.is_null(i))
                .then(|| Decimal::from_i128_with_scale(a.value(i), a.scale() as u32).normalize())
        })
        .collect()
}

#[test]
fn ingest_reads_remittance_beside_statements_and_writes_remittances_parquet() {
    let dir = tempdir();
    let inbox = dir.path().join("inbox");
    fs::create_dir_all(&inbox).unwrap();
    copy_sample("x12-820", "moov-io-x12-stp820-sample.txt", &inbox);
    copy_sample(
        "lockbox",
        "AsherBond-opentaps-TestLockbox-bad-total.mbx",
        &inbox,
    );
    copy_sample(
        "lockbox",
        "AsherBond-opentaps-TestLockboxInvalid-duplicate-check-id.mbx",
        &inbox,
    );
    copy_sample(
        "remt001",
        "CraneSoftwrights-Validate-20022-regression-remt.001-026.xml",
        &inbox,
    );
    fs::write(
        inbox.join("bank.csv"),
        "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n\
         DE01,2012-05-31,2012-05-31,7989.73,USD,YOUR COMPANY,,TRN 12053011440000192,B1\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = cashmatch()
        .arg("ingest")
        .arg(&inbox)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "a failed lockbox total and a refused file: {stdout}{stderr}"
    );
    assert!(
        stdout.contains("moov-io-x12-stp820-sample.txt") && stdout.contains("x12.820"),
        "{stdout}"
    );
    let bad_total = stdout.lines().find(|l| l.contains("bad-total")).unwrap();
    assert!(
        bad_total.contains("fail") && bad_total.contains("lockbox total"),
        "{bad_total}"
    );
    assert!(
        stderr.contains("duplicate-check-id.mbx") && stderr.contains("line 8"),
        "the refused file is named with its record: {stderr}"
    );

    let r = read_parquet(&out_dir.join("remittances.parquet"));
    let schema = r[0].schema();
    let expected = cashmatch_store::table::remittances_schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let want: Vec<&str> = expected
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, want);
    for f in expected.fields() {
        assert_eq!(
            schema.field_with_name(f.name()).unwrap().data_type(),
            f.data_type(),
            "{}",
            f.name()
        );
    }
    let files = text(&r, "source_file");
    let invoices = text(&r, "invoice_reference");
    let paid = money_opt(&r, "amount_paid");
    let status = text(&r, "status");
    let refs = text(&r, "payment_reference");
    // The 820: two invoices, tied to the bank line by the trace number.
    let x12: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].ends_with("stp820-sample.txt"))
        .collect();
    assert_eq!(x12.len(), 2);
    assert_eq!(invoices[x12[0]], "7321239");
    assert_eq!(paid[x12[0]], Some(Decimal::from_str("953.19").unwrap()));
    assert_eq!(paid[x12[1]], Some(Decimal::from_str("7036.54").unwrap()));
    assert_eq!(refs[x12[0]], "12053011440000192");
    assert!(x12.iter().all(|&i| status[i] == "unlinked"));
    // The lockbox whose total is wrong: 8 invoice lines, all marked.
    let lockbox: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].ends_with("bad-total.mbx"))
        .collect();
    assert_eq!(lockbox.len(), 8);
    assert!(lockbox.iter().all(|&i| status[i] == "check_failed"));
    assert_eq!(
        lockbox.iter().filter_map(|&i| paid[i]).sum::<Decimal>(),
        Decimal::from_str("5254.05").unwrap()
    );
    // remt.001 in its own currency; nothing is linked at ingest.
    let remt: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].ends_with(".xml"))
        .collect();
    assert_eq!(remt.len(), 2);
    assert!(text(&r, "currency")
        .iter()
        .enumerate()
        .all(|(i, c)| c == "USD" || !remt.contains(&i)));
    let tx: &StringArray = column(&r, "transaction_id");
    assert_eq!(
        tx.null_count(),
        tx.len(),
        "transaction_id is null at ingest"
    );
    assert!(
        !files.iter().any(|f| f.contains("duplicate-check-id")),
        "a refused file adds no rows"
    );

    // The statement is still a statement, and the manifest lists every file.
    let txns = read_parquet(&out_dir.join("transactions.parquet"));
    assert_eq!(text(&txns, "bank_reference"), vec!["B1"]);
    let manifest = fs::read_to_string(out_dir.join("manifest.json")).unwrap();
    assert_eq!(
        manifest.matches("\"role\": \"remittance\"").count(),
        4,
        "{manifest}"
    );
    assert!(manifest.contains("remittances.parquet"));
    assert!(manifest.contains("accepted_unbalanced") && manifest.contains("\"rejected\""));
}

#[test]
fn ingest_of_remittance_that_ties_exits_zero_and_camt054_is_read_in_both_roles() {
    let dir = tempdir();
    let inbox = dir.path().join("inbox");
    fs::create_dir_all(&inbox).unwrap();
    copy_sample("x12-820", "kputnam-stupidedi-X218-list-bill.edi", &inbox);
    copy_sample(
        "camt054",
        "moov-io-iso20022-camt054-P-QRR-1111091335.xml",
        &inbox,
    );
    let out_dir = dir.path().join("out");
    let out = run_ok(
        cashmatch()
            .arg("ingest")
            .arg(&inbox)
            .arg("--out")
            .arg(&out_dir),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("camt.054"), "{stdout}");
    let r = read_parquet(&out_dir.join("remittances.parquet"));
    let invoices = text(&r, "invoice_reference");
    assert!(
        invoices.contains(&"539115429773825311971477453".to_string()),
        "{invoices:?}"
    );
    let adjustments = money_opt(&r, "adjustment_amount");
    assert!(adjustments.contains(&Some(Decimal::from(-1000))));
    // The notification's money is in transactions.parquet once.
    let txns = read_parquet(&out_dir.join("transactions.parquet"));
    assert!(!text(&txns, "transaction_id").is_empty());
}

#[test]
fn remittance_config_is_checked_at_load() {
    let dir = tempdir();
    let cfg = dir.path().join("rules.toml");
    fs::write(&cfg, "[remittance]\nlockbox_profile = \"no_such_bank\"\n").unwrap();
    let out = cashmatch()
        .arg("ingest")
        .arg(samples().join("remittance/lockbox"))
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("lockbox_profile") && err.contains("no_such_bank"),
        "{err}"
    );
}
