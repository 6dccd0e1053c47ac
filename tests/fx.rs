//! Issue 11, part 2: cross-currency application (`run --rates`), bank
//! charges deducted in transit, `FX_RATE_MISSING`, and the two-currency
//! journal, end to end through the binary (its files read back, `verify`
//! and `replay` run on them).

mod common;
use common::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

const BANK: &str = "\
account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference
DE89370400440532013000,2026-03-02,2026-03-02,920.00,EUR,Acme Corp,US111,INV-2026-000101,BR1
DE89370400440532013000,2026-03-02,2026-03-02,500.00,EUR,Brit Ltd,GB222,INV-2026-000102,BR2
DE89370400440532013000,2026-03-02,2026-03-02,985.00,EUR,Deutsch GmbH,DE333,INV-2026-000103,BR3
DE89370400440532013000,2026-03-02,2026-03-02,800.00,EUR,Acme Corp,US111,INV-2026-000104,BR4
DE89370400440532013000,2026-03-03,2026-03-03,1090.00,USD,Yankee Inc,US444,INV-2026-000105,BR5
";

const ITEMS: &str = "\
invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date,discount_percent,discount_days,po_number
INV-2026-000101,C1,Acme Corp,USD,1000.00,1000.00,2026-02-01,2026-03-01,,,
INV-2026-000102,C2,Brit Ltd,GBP,430.00,430.00,2026-02-01,2026-03-01,,,
INV-2026-000103,C3,Deutsch GmbH,EUR,1000.00,1000.00,2026-02-01,2026-03-01,,,
INV-2026-000104,C1,Acme Corp,USD,1000.00,1000.00,2026-02-01,2026-03-01,,,
INV-2026-000105,C4,Yankee Inc,EUR,1000.00,1000.00,2026-02-01,2026-03-01,,,
";

const RATES: &str = "\
date,from,to,rate,source
2026-03-02,EUR,USD,1.0850,ECB
2026-03-03,EUR,USD,1.0900,ECB
";

const RULES: &str = "\
[fx]
rate_tolerance_percent = \"1.0\"
gain_account = \"7110\"
loss_account = \"7210\"
position_account = \"1090\"
bank_charges_account = \"6760\"
[fx.charge_max_amount]
EUR = \"25.00\"
";

fn write_inputs(dir: &Path) {
    std::fs::write(dir.join("bank.csv"), BANK).unwrap();
    std::fs::write(dir.join("open_items.csv"), ITEMS).unwrap();
    std::fs::write(dir.join("rates.csv"), RATES).unwrap();
    std::fs::write(dir.join("rules.toml"), RULES).unwrap();
}

fn run(dir: &Path, out: &str, rates: bool, rules: bool) -> std::process::Output {
    let mut c = cashmatch();
    c.arg("run")
        .arg("--bank")
        .arg(dir.join("bank.csv"))
        .arg("--open-items")
        .arg(dir.join("open_items.csv"))
        .arg("--no-analytics")
        .arg("--out")
        .arg(dir.join(out));
    if rates {
        c.arg("--rates").arg(dir.join("rates.csv"));
    }
    if rules {
        c.arg("--config").arg(dir.join("rules.toml"));
    }
    c.output().unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// bank reference → (rule or exception reason).
fn decisions(out: &Path) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let apps = read_parquet(&out.join("applications.parquet"));
    for (r, rule) in text(&apps, "bank_reference")
        .into_iter()
        .zip(text(&apps, "rule"))
    {
        m.insert(r, rule);
    }
    let exc = read_parquet(&out.join("exceptions.parquet"));
    for (r, reason) in text(&exc, "bank_reference")
        .into_iter()
        .zip(text(&exc, "reason"))
    {
        m.insert(r, reason);
    }
    m
}

#[test]
fn cross_currency_payments_are_applied_with_rate_and_fx_result() {
    let dir = tempdir();
    write_inputs(dir.path());
    let o = run(dir.path(), "out", true, true);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("out");
    let got = decisions(&out);
    assert_eq!(got["BR1"], "FX_REFERENCE");
    assert_eq!(got["BR2"], "FX_RATE_MISSING");
    assert_eq!(got["BR3"], "BANK_CHARGES");
    assert_eq!(got["BR4"], "AMOUNT_MISMATCH");
    assert_eq!(got["BR5"], "FX_REFERENCE");

    let apps = read_parquet(&out.join("applications.parquet"));
    // The FX columns come after every column of earlier versions, and
    // before `company_code`, which ends every output table.
    let schema = apps[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        &names[names.len() - 9..],
        [
            "explanation",
            "payment_currency",
            "payment_amount",
            "invoice_currency_amount",
            "fx_rate",
            "fx_rate_date",
            "fx_rate_source",
            "fx_gain_loss",
            "company_code"
        ]
    );
    let refs = text(&apps, "bank_reference");
    let row = |r: &str| refs.iter().position(|x| x == r).unwrap();
    let (i1, i3, i5) = (row("BR1"), row("BR3"), row("BR5"));
    let cur = text(&apps, "currency");
    let applied = money(&apps, "applied_amount");
    let paid = money(&apps, "payment_amount");
    let converted = money(&apps, "invoice_currency_amount");
    let gain = money(&apps, "fx_gain_loss");
    let pay_cur = texts(&apps, "payment_currency");
    let rate = texts(&apps, "fx_rate");
    let source = texts(&apps, "fx_rate_source");
    // EUR 920.00 at 1.0850 = USD 998.20 for an invoice of USD 1,000.00:
    // cleared in full, a realised loss of USD 1.80.
    assert_eq!(cur[i1], "USD");
    assert_eq!(applied[i1], d("1000.00"));
    assert_eq!(pay_cur[i1].as_deref(), Some("EUR"));
    assert_eq!(paid[i1], d("920.00"));
    assert_eq!(converted[i1], d("998.20"));
    assert_eq!(gain[i1], d("-1.80"));
    assert_eq!(rate[i1].as_deref(), Some("1.085"));
    assert_eq!(source[i1].as_deref(), Some("ECB"));
    // USD → EUR through the inverse of the EUR/USD quote of that day.
    assert_eq!(source[i5].as_deref(), Some("ECB (inverse)"));
    assert_eq!(converted[i5], d("1000.00"));
    // Same-currency rows have nulls in the FX columns.
    assert_eq!(pay_cur[i3], None);
    assert_eq!(rate[i3], None);
    // Bank charges: the shortfall clears the invoice.
    assert_eq!(applied[i3], d("985.00"));
    assert_eq!(money(&apps, "writeoff_amount")[i3], d("15.00"));

    // The journal balances in each of its currencies, through the position
    // account, and posts the loss and the charges to their accounts.
    let p = read_parquet(&out.join("postings.parquet"));
    let (j, gl, c, dr, cr, memo) = (
        text(&p, "journal_id"),
        text(&p, "gl_account"),
        text(&p, "currency"),
        money(&p, "debit"),
        money(&p, "credit"),
        text(&p, "memo"),
    );
    let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for k in 0..j.len() {
        *sums.entry((j[k].clone(), c[k].clone())).or_default() += dr[k] - cr[k];
    }
    assert!(sums.values().all(|v| v.is_zero()), "{sums:?}");
    let line = |account: &str, currency: &str| {
        (0..j.len())
            .find(|&k| gl[k] == account && c[k] == currency && memo[k] != "cash received")
            .map(|k| (dr[k], cr[k]))
    };
    assert_eq!(line("1090", "EUR"), Some((d("0"), d("920.00"))));
    assert_eq!(line("1090", "USD"), Some((d("998.20"), d("0"))));
    assert_eq!(line("7210", "USD"), Some((d("1.80"), d("0"))));
    assert_eq!(line("6760", "EUR"), Some((d("15.00"), d("0"))));

    // The manifest lists the rates file; verify and replay pass.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"role\": \"rates\""), "{manifest}");
    let v = cashmatch().arg("verify").arg(&out).output().unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    let r = cashmatch().arg("replay").arg(&out).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stdout));
}

#[test]
fn without_rates_a_foreign_invoice_stays_a_currency_mismatch() {
    let dir = tempdir();
    write_inputs(dir.path());
    let o = run(dir.path(), "out", false, false);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("out");
    let got = decisions(&out);
    assert_eq!(got["BR1"], "CURRENCY_MISMATCH");
    assert_eq!(got["BR2"], "CURRENCY_MISMATCH");
    // No charge tolerance: a short payment is not bank charges.
    assert_ne!(got["BR3"], "BANK_CHARGES");
    let apps = read_parquet(&out.join("applications.parquet"));
    assert!(texts(&apps, "payment_currency").iter().all(Option::is_none));
}

#[test]
fn a_bad_rates_file_stops_the_run_naming_file_line_and_column() {
    let dir = tempdir();
    write_inputs(dir.path());
    std::fs::write(
        dir.path().join("rates.csv"),
        "date,from,to,rate,source\n2026-03-02,EUR,USD,1.0850,ECB\n2026-03-03,EUR,USD,one,ECB\n",
    )
    .unwrap();
    let o = run(dir.path(), "out", true, true);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "rates file `rates.csv`, line 3, column 4 (rate): `one` is not a positive decimal rate"
        ),
        "{err}"
    );
    assert!(!dir.path().join("out/manifest.json").exists());
}

#[test]
fn a_bad_fx_config_key_is_named() {
    let dir = tempdir();
    write_inputs(dir.path());
    std::fs::write(
        dir.path().join("rules.toml"),
        "[fx]\nrate_tolerance_percent = \"-1\"\n",
    )
    .unwrap();
    let o = run(dir.path(), "out", true, true);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("[fx] rate_tolerance_percent"), "{err}");
}
