//! Helpers shared by the quality tests (`quality.rs`, `quality_profiles.rs`):
//! the generator's CSV files read into engine records, and the engine's
//! applications as the scorer's predicted lines. Test-only: the engine never
//! reads files.

// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use cashmatch_datasets::PredictedLine;
use cashmatch_engine::ingest::booked_transactions;
use cashmatch_engine::model::{BankTransaction, Batch, Customer, OpenItem};
use cashmatch_engine::RunResult;
use cashmatch_parsers::{parse_source, BalanceCheck, ParseOptions, Source};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::path::Path;
use std::str::FromStr;

/// RFC 4180 records of a small CSV file, header dropped.
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
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

pub fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

pub fn money(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn list(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn customers(dir: &Path) -> Vec<Customer> {
    read_csv(&dir.join("customers.csv"))
        .into_iter()
        .map(|r| Customer {
            customer_id: r[0].clone(),
            name: r[1].clone(),
            bank_accounts: list(&r[2]),
            aliases: list(&r[3]),
            segment: None,
            // Profile `other` writes the master's `parent_id` (issue 9).
            parent_id: r.get(4).filter(|p| !p.is_empty()).cloned(),
        })
        .collect()
}

pub fn open_items(dir: &Path) -> Vec<OpenItem> {
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
            // `generate --companies` appends the legal entity.
            company_code: r.get(11).cloned().unwrap_or_default(),
        })
        .collect()
}

/// The canonical bank CSV of the `default` and `other` profiles.
pub fn bank_csv(dir: &Path) -> Vec<BankTransaction> {
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
pub fn tagged_statements(dir: &Path) -> Vec<BankTransaction> {
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

pub fn predicted(run: &RunResult) -> Vec<PredictedLine> {
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

/// The generator's customer master, open items and bank CSV as one batch.
pub fn load(dir: &Path, as_of: NaiveDate) -> Batch {
    Batch {
        transactions: bank_csv(dir).into(),
        open_items: open_items(dir).into(),
        customers: customers(dir).into(),
        as_of,
    }
}
