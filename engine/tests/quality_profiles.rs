//! Matching quality per generator profile and seed (issue 9, "Evidence that
//! is not circular"): the bar of `tests/quality.rs` (precision ≥ 0.998,
//! recall ≥ 0.98) on three seeds of each profile that meets it today. The
//! `texttags` profile writes BAI2 and MT940 statements whose payer name and
//! account exist only in text tags, read here through the real parsers, so
//! the bar also holds the parsers' tag extraction to account.
//!
//! Profile `other` (other numbering, languages, payer habits, credit notes)
//! does not meet the bar with today's engine; its figures are in
//! BENCHMARKS.md ("Match quality per generator profile") and it is not
//! asserted here until the engine work of issue 9 lands. Run with
//! `--nocapture` for the per-scenario tables.

use cashmatch_datasets::{
    evaluate, generate, read_truth, Evaluation, GeneratorConfig, PredictedLine, Profile,
};
use cashmatch_engine::config::Rules;
use cashmatch_engine::ingest::booked_transactions;
use cashmatch_engine::model::{BankTransaction, Batch, Customer, OpenItem};
use cashmatch_engine::{apply_cash, RunResult};
use cashmatch_parsers::{parse_source, BalanceCheck, ParseOptions, Source};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::str::FromStr;

const PRECISION_MIN: f64 = 0.998;
const RECALL_MIN: f64 = 0.98;
/// Bank lines per dataset, as in `tests/quality.rs`.
const PAYMENTS: u32 = 3_000;
/// The seeds every profile is judged on (BENCHMARKS.md uses the same).
const SEEDS: [u64; 3] = [7, 11, 23];

/// RFC 4180 records of a small CSV file, header dropped.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows.remove(0);
    rows
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn money(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn list(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn customers(dir: &Path) -> Vec<Customer> {
    read_csv(&dir.join("customers.csv"))
        .into_iter()
        .map(|r| Customer {
            customer_id: r[0].clone(),
            name: r[1].clone(),
            bank_accounts: list(&r[2]),
            aliases: list(&r[3]),
            segment: None,
        })
        .collect()
}

fn open_items(dir: &Path) -> Vec<OpenItem> {
    read_csv(&dir.join("open_items.csv"))
        .into_iter()
        .enumerate()
        .map(|(n, r)| OpenItem {
            invoice_id: r[0].clone(),
            customer_id: r[1].clone(),
            customer_name: r[2].clone(),
            currency: r[3].clone(),
            amount_open: money(&r[4]),
            amount_original: money(&r[5]),
            invoice_date: date(&r[6]),
            due_date: date(&r[7]),
            discount_percent: (!r[8].is_empty()).then(|| money(&r[8])),
            discount_days: r[9].parse().ok(),
            po_number: (!r[10].is_empty()).then(|| r[10].clone()),
            source_line: n as u64 + 2,
            hold: None,
        })
        .collect()
}

/// The canonical bank CSV of the `default` and `other` profiles.
fn bank_csv(dir: &Path) -> Vec<BankTransaction> {
    read_csv(&dir.join("bank.csv"))
        .into_iter()
        .enumerate()
        .map(|(n, r)| BankTransaction {
            account: r[0].clone(),
            booking_date: date(&r[1]),
            value_date: date(&r[2]),
            amount: money(&r[3]),
            currency: r[4].clone(),
            counterparty_name: r[5].clone(),
            counterparty_account: r[6].clone(),
            remittance_info: r[7].clone(),
            bank_reference: r[8].clone(),
            source_file: "bank.csv".into(),
            source_line: n as u64 + 2,
            ..Default::default()
        })
        .collect()
}

/// The statements of the `texttags` profile, through the parsers: every
/// statement reconciles and every payer is read from a text tag.
fn tagged_statements(dir: &Path) -> Vec<BankTransaction> {
    let mut out = Vec::new();
    for name in ["bank.bai2", "bank.mt940"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let parsed = parse_source(&Source::new(name, &bytes), &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for s in &parsed.statements {
            assert_eq!(
                s.balance_check,
                BalanceCheck::Pass,
                "{name}: {}",
                s.check_detail
            );
        }
        for (t, d) in parsed.transactions.iter().zip(&parsed.details) {
            assert!(
                !d.name_source.is_empty() && !t.counterparty_name.is_empty(),
                "{name} {}: payer name not read from a tag: {}",
                t.locator,
                t.remittance_info
            );
            // Some payers give no account at all; a given one comes from a tag.
            assert_eq!(
                t.counterparty_account.is_empty(),
                d.account_source.is_empty(),
                "{name} {}",
                t.locator
            );
        }
        let (booked, pending) = booked_transactions(name, parsed.transactions);
        assert_eq!(pending, 0);
        out.extend(booked.into_iter().map(|(_, t)| t));
    }
    out
}

fn predicted(run: &RunResult) -> Vec<PredictedLine> {
    run.outcome
        .applications
        .iter()
        .map(|a| PredictedLine {
            bank_reference: run
                .batch
                .transactions
                .get(a.txn as usize)
                .bank_reference()
                .to_string(),
            invoice_id: run
                .batch
                .open_items
                .get(a.item as usize)
                .invoice_id()
                .to_string(),
            applied_amount: a.applied_amount,
            discount_amount: a.discount_amount,
            writeoff_amount: a.writeoff_amount,
        })
        .collect()
}

/// Generates `profile` with `seed`, runs the engine and scores it.
fn evaluate_profile(profile: Profile, seed: u64) -> Evaluation {
    let config = GeneratorConfig {
        customers: 400,
        invoices: 4_000,
        payments: PAYMENTS,
        seed,
        profile,
        scenario_weights: profile.scenario_weights(),
        ..Default::default()
    };
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "cashmatch-quality-{}-{seed}-{}",
        profile.as_str(),
        std::process::id()
    ));
    generate(&config, &dir).unwrap();
    let transactions = if profile == Profile::TextTags {
        tagged_statements(&dir)
    } else {
        bank_csv(&dir)
    };
    let batch = Batch {
        transactions: transactions.into(),
        open_items: open_items(&dir).into(),
        customers: customers(&dir).into(),
        as_of: config.as_of,
    };
    let truth = read_truth(&dir.join("truth.csv")).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let run = apply_cash(batch, &Rules::default(), &mut ()).unwrap();
    evaluate(&truth, &predicted(&run))
}

fn assert_bar(profile: Profile) {
    for seed in SEEDS {
        let e = evaluate_profile(profile, seed);
        println!("profile {profile} seed {seed}\n{e}");
        let (p, r) = (
            e.total.precision.unwrap_or(0.0),
            e.total.recall.unwrap_or(0.0),
        );
        assert!(p >= PRECISION_MIN, "{profile} seed {seed}: precision {p}");
        assert!(r >= RECALL_MIN, "{profile} seed {seed}: recall {r}");
    }
}

#[test]
fn default_profile_meets_the_bar_on_three_seeds() {
    assert_bar(Profile::Default);
}

#[test]
fn texttags_profile_meets_the_bar_on_three_seeds() {
    assert_bar(Profile::TextTags);
}
