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

/// The remittance layout of `tests/fixtures/remittance_xlsx` (CSV and XLSX
/// alike), as TOML under `[[remittance.csv_layouts]]`.
const XLSX_LAYOUT: &str = r#"
name = "acme_sheet"
currency = "EUR"
[columns]
payment_reference = "Payment ref"
payer = "Payer"
payment_date = "Payment date"
payment_amount = "Payment total"
currency = "Currency"
invoice = "Invoice"
invoice_amount = "Invoice amount"
amount_paid = "Amount paid"
discount = "Discount"
deduction = "Deduction"
deduction_reason = "Reason"
"#;

fn xlsx_fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/remittance_xlsx")
        .join(name)
}

fn xlsx_options() -> cashmatch_parsers::remittance::RemittanceOptions {
    cashmatch_parsers::remittance::RemittanceOptions {
        csv_layouts: vec![toml::from_str(XLSX_LAYOUT).unwrap()],
        ..Default::default()
    }
}

fn parse_fixture(
    name: &str,
) -> Result<cashmatch_parsers::remittance::ParsedRemittance, cashmatch_parsers::ParseError> {
    let bytes = fs::read(xlsx_fixture(name)).unwrap();
    cashmatch_parsers::remittance::parse_remittance(
        &cashmatch_parsers::Source::new(name, &bytes),
        &xlsx_options(),
    )
}

/// Golden: the same advice saved as CSV and as XLSX (typed number and date
/// cells, a cover sheet before the data) gives identical advices and lines;
/// only the locator says where each came from.
#[test]
fn an_xlsx_remittance_reads_like_its_csv() {
    use cashmatch_parsers::remittance::RemittanceFormat;
    let csv = parse_fixture("advice.csv").unwrap();
    let xlsx = parse_fixture("advice.xlsx").unwrap();
    assert_eq!(csv.format, Some(RemittanceFormat::Csv));
    assert_eq!(xlsx.format, Some(RemittanceFormat::Xlsx));
    assert_eq!(xlsx.advices.len(), 2);
    assert_eq!(xlsx.advices[0].lines.len(), 2);
    assert_eq!(xlsx.advices[0].lines[0].locator, "sheet Remittance row 2");
    let strip = |p: &cashmatch_parsers::remittance::ParsedRemittance| {
        p.advices
            .iter()
            .map(|a| {
                let mut a = a.clone();
                a.format = None;
                a.locator.clear();
                for l in &mut a.lines {
                    l.locator.clear();
                }
                a
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&csv), strip(&xlsx));
    let a = &xlsx.advices[0];
    assert_eq!(a.amount, Some(Decimal::from_str("1480.50").unwrap()));
    assert_eq!(a.payment_date, chrono::NaiveDate::from_ymd_opt(2026, 3, 2));
    assert_eq!(
        a.lines[1].adjustment_amount,
        Some(Decimal::from_str("-25.00").unwrap())
    );
    // A text cell keeps its leading zeros.
    assert_eq!(xlsx.advices[1].lines[0].invoice_reference, "0000123");
    assert_eq!(xlsx.advices[1].currency, "GBP");
    let checks = |p: &cashmatch_parsers::remittance::ParsedRemittance| {
        p.checks.iter().map(|c| c.result).collect::<Vec<_>>()
    };
    assert_eq!(checks(&csv), checks(&xlsx));
}

/// Bad workbooks are refused with an error naming the file and, where
/// there is one, the sheet, row and column.
#[test]
fn a_bad_xlsx_remittance_is_refused_naming_sheet_row_and_column() {
    use cashmatch_parsers::remittance::{parse_remittance, RemittanceFormat, RemittanceOptions};
    let e = parse_fixture("bad_text_amount.xlsx")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad_text_amount.xlsx"), "{e}");
    assert!(
        e.contains("sheet `Remittance`, row 3, column H (`Amount paid`)")
            && e.contains("five hundred"),
        "{e}"
    );
    let e = parse_fixture("bad_missing_column.xlsx")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("bad_missing_column.xlsx") && e.contains("`Remittance`") && e.contains("header"),
        "{e}"
    );
    let e = parse_fixture("bad_truncated.xlsx").unwrap_err().to_string();
    assert!(
        e.contains("bad_truncated.xlsx") && e.contains("not a readable XLSX workbook"),
        "{e}"
    );
    // Not a ZIP at all: not detected as a workbook; forced, a clear error.
    let bytes = fs::read(xlsx_fixture("bad_not_a_zip.xlsx")).unwrap();
    let source = cashmatch_parsers::Source::new("bad_not_a_zip.xlsx", &bytes);
    let e = parse_remittance(
        &source,
        &RemittanceOptions {
            format: Some(RemittanceFormat::Xlsx),
            ..xlsx_options()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bad_not_a_zip.xlsx") && e.contains("not a readable XLSX workbook"),
        "{e}"
    );
}

/// `cashmatch ingest` detects the workbook by content (whatever its name)
/// and writes its lines to `remittances.parquet` as `remittance_xlsx`, with
/// an empty `company_code` (not linked to a bank line yet).
#[test]
fn ingest_reads_an_xlsx_remittance_by_content() {
    let dir = tempdir();
    let inbox = dir.path().join("inbox");
    fs::create_dir_all(&inbox).unwrap();
    fs::copy(xlsx_fixture("advice.xlsx"), inbox.join("from-acme.dat")).unwrap();
    let config = dir.path().join("config.toml");
    fs::write(
        &config,
        format!(
            "[[remittance.csv_layouts]]{}",
            XLSX_LAYOUT.replace("[columns]", "[remittance.csv_layouts.columns]")
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = cashmatch()
        .arg("ingest")
        .arg(&inbox)
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let r = read_parquet(&out_dir.join("remittances.parquet"));
    assert_eq!(text(&r, "format"), ["remittance_xlsx"; 3]);
    assert_eq!(
        text(&r, "invoice_reference"),
        ["INV-2026-000101", "INV-2026-000102", "0000123"]
    );
    assert_eq!(text(&r, "company_code"), ["", "", ""]);
    let schema = r[0].schema();
    assert_eq!(
        schema.fields().last().map(|f| f.name().as_str()),
        Some("company_code")
    );
}
