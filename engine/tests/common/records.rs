//! Small records the cascade tests build batches from (`cascade.rs`,
//! `payers.rs`): EUR open items due mid-March 2026, bank receipts with a
//! remittance text, customers with one account.

#![allow(dead_code)]

use cashmatch_engine::model::*;
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

pub fn eur(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

pub fn item(id: &str, customer: &str, cents: i64) -> OpenItem {
    OpenItem {
        invoice_id: id.into(),
        customer_id: customer.into(),
        currency: "EUR".into(),
        amount_open: eur(cents),
        amount_original: eur(cents),
        invoice_date: Some(day(1)),
        due_date: Some(day(15)),
        ..Default::default()
    }
}

pub fn txn(bank_ref: &str, cents: i64, text: &str) -> BankTransaction {
    BankTransaction {
        bank_reference: bank_ref.into(),
        account: "DE00BANK".into(),
        currency: "EUR".into(),
        amount: eur(cents),
        booking_date: Some(day(20)),
        value_date: Some(day(20)),
        remittance_info: text.into(),
        ..Default::default()
    }
}

pub fn customer(id: &str, name: &str, iban: &str) -> Customer {
    Customer {
        customer_id: id.into(),
        name: name.into(),
        bank_accounts: if iban.is_empty() {
            vec![]
        } else {
            vec![iban.into()]
        },
        ..Default::default()
    }
}
