//! Legal entities end to end (issue 11, part 4): `company_code` read from
//! the open-item extract as text (leading zeros kept), every contracted
//! output carries it as its last column, the manifest lists the companies
//! and has control sums per company and currency, `verify` agrees, and a
//! generated multi-company set (`generate --companies`) runs with its
//! config.

mod common;
use common::*;
use std::fs;

const BANK_HEADER: &str = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n";
const ITEMS_HEADER: &str = "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date,company_code\n";

const TABLES: [&str; 8] = [
    "transactions.parquet",
    "applications.parquet",
    "exceptions.parquet",
    "postings.parquet",
    "open_items.parquet",
    "aging.parquet",
    "statements.parquet",
    "returns.parquet",
];

fn last_column(path: &std::path::Path) -> String {
    // The schema from the file's metadata: a table may have no rows.
    let f = fs::File::open(path).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    builder.schema().fields().last().unwrap().name().clone()
}

#[test]
fn company_codes_stay_text_and_every_output_ends_with_them() {
    let dir = tempdir();
    let bank = dir.path().join("bank.csv");
    fs::write(
        &bank,
        format!(
            "{BANK_HEADER}DE01,2026-03-02,2026-03-02,100.00,EUR,ACME GmbH,DE02,INV-2026-000001,B1\n\
             DE09,2026-03-02,2026-03-02,50.00,EUR,ACME GmbH,DE02,INV-2026-000002,B2\n\
             DE09,2026-03-03,2026-03-03,70.00,EUR,ACME GmbH,DE02,INV-2026-000003,B3\n"
        ),
    )
    .unwrap();
    let items = dir.path().join("items.csv");
    fs::write(
        &items,
        format!(
            "{ITEMS_HEADER}INV-2026-000001,C1,ACME GmbH,EUR,100.00,100.00,2026-02-01,2026-03-01,0100\n\
             INV-2026-000002,C1,ACME GmbH,EUR,50.00,50.00,2026-02-01,2026-03-01,0200\n\
             INV-2026-000003,C1,ACME GmbH,EUR,70.00,70.00,2026-02-01,2026-03-01,0100\n\
             INV-2026-000004,C1,ACME GmbH,EUR,30.00,30.00,2026-02-01,2026-03-01,\n"
        ),
    )
    .unwrap();
    let config = dir.path().join("rules.toml");
    fs::write(
        &config,
        "[company]\ndefault_code = \"0100\"\n[company.accounts]\nDE01 = \"0100\"\nDE09 = \"0200\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    run_ok(
        cashmatch()
            .args(["run", "--no-state", "--no-analytics", "--bank"])
            .arg(&bank)
            .arg("--open-items")
            .arg(&items)
            .arg("--config")
            .arg(&config)
            .args(["--as-of", "2026-03-31", "--out"])
            .arg(&out),
    );
    for t in TABLES {
        assert_eq!(last_column(&out.join(t)), "company_code", "{t}");
    }
    let oi = read_parquet(&out.join("open_items.parquet"));
    assert_eq!(text(&oi, "company_code"), ["0100", "0200", "0100", "0100"]);
    let txns = read_parquet(&out.join("transactions.parquet"));
    assert_eq!(text(&txns, "company_code"), ["0100", "0200", "0200"]);
    let apps = read_parquet(&out.join("applications.parquet"));
    assert_eq!(
        text(&apps, "invoice_id"),
        ["INV-2026-000001", "INV-2026-000002"]
    );
    let excs = read_parquet(&out.join("exceptions.parquet"));
    assert_eq!(text(&excs, "reason"), ["OTHER_COMPANY_INVOICE"]);
    assert_eq!(text(&excs, "company_code"), ["0200"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["companies"], serde_json::json!(["0100", "0200"]));
    let sums: Vec<(String, String)> = manifest["control_sums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["company_code"].as_str().unwrap().to_string(),
                c["received"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        sums,
        [
            ("0100".into(), "100.00".into()),
            ("0200".into(), "120.00".into())
        ]
    );
    let v = cashmatch().arg("verify").arg(&out).output().unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

#[test]
fn a_generated_multi_company_set_runs_with_its_config_and_verifies() {
    let dir = tempdir();
    let data = dir.path().join("data");
    run_ok(
        cashmatch()
            .args(["generate", "--customers", "60", "--invoices", "400"])
            .args(["--payments", "200", "--seed", "5", "--companies", "3"])
            .arg("--out")
            .arg(&data),
    );
    let config = fs::read_to_string(data.join("companies.toml")).unwrap();
    assert!(config.contains("default_code = \"0100\""), "{config}");
    let out = dir.path().join("out");
    run_ok(
        cashmatch()
            .args(["run", "--no-state", "--no-analytics", "--bank"])
            .arg(data.join("bank.csv"))
            .arg("--open-items")
            .arg(data.join("open_items.csv"))
            .arg("--customers")
            .arg(data.join("customers.csv"))
            .arg("--config")
            .arg(data.join("companies.toml"))
            .args(["--as-of", "2026-03-31", "--out"])
            .arg(&out),
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["companies"],
        serde_json::json!(["0100", "0200", "0300"])
    );
    let postings = read_parquet(&out.join("postings.parquet"));
    let memos = text(&postings, "memo");
    assert!(
        memos.iter().any(|m| m.starts_with("intercompany")),
        "some payments were applied across companies"
    );
    let v = cashmatch().arg("verify").arg(&out).output().unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    let e = cashmatch()
        .args(["evaluate", "--truth"])
        .arg(data.join("truth.csv"))
        .arg("--run")
        .arg(&out)
        .output()
        .unwrap();
    assert!(e.status.success());
}
