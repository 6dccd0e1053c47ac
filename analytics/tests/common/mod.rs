//! Small builders for hand-made runs: one `check`-style helper per table so
//! the tests read like the worked examples in their comments.
#![allow(dead_code)]

use cashmatch_analytics::model::{
    Application, ExceptionRow, Invoice, OpenItem, RunData, Transaction,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn run(as_of: &str) -> RunData {
    RunData {
        as_of: day(as_of),
        open_items: Vec::new(),
        applications: Vec::new(),
        transactions: Vec::new(),
        exceptions: Vec::new(),
        aging: Vec::new(),
    }
}

/// An EUR item of `customer`, issued `invoice_date`, due `due`, with
/// `open_after` left after the run.
pub fn item(id: &str, customer: &str, invoice_date: &str, due: &str, open_after: &str) -> OpenItem {
    OpenItem {
        invoice_id: id.into(),
        customer_id: customer.into(),
        customer_name: format!("Customer {customer}"),
        currency: "EUR".into(),
        amount_open: d(open_after),
        amount_original: d(open_after),
        invoice_date: Some(day(invoice_date)),
        due_date: Some(day(due)),
        amount_open_after: d(open_after),
        status: if d(open_after).is_zero() {
            "paid".into()
        } else {
            "open".into()
        },
        hold_reason: None,
    }
}

pub fn receipt(
    id: &str,
    amount: &str,
    value_date: Option<&str>,
    booking_date: &str,
) -> Transaction {
    Transaction {
        transaction_id: id.into(),
        currency: "EUR".into(),
        amount: d(amount),
        booking_date: Some(day(booking_date)),
        value_date: value_date.map(day),
    }
}

pub fn applied(txn: &str, invoice: &str, customer: &str, amount: &str) -> Application {
    Application {
        transaction_id: txn.into(),
        invoice_id: invoice.into(),
        customer_id: customer.into(),
        currency: "EUR".into(),
        applied_amount: d(amount),
        discount_amount: Decimal::ZERO,
        writeoff_amount: Decimal::ZERO,
        deduction_amount: Decimal::ZERO,
        deduction_reason: None,
        rule: "EXACT_REFERENCE".into(),
    }
}

pub fn exception(txn: &str, amount: &str, reason: &str) -> ExceptionRow {
    ExceptionRow {
        transaction_id: txn.into(),
        amount: d(amount),
        currency: "EUR".into(),
        reason: reason.into(),
    }
}

pub fn invoice(id: &str, amount: &str, invoice_date: &str) -> Invoice {
    Invoice {
        invoice_id: id.into(),
        customer_id: "C1".into(),
        currency: "EUR".into(),
        amount: d(amount),
        invoice_date: day(invoice_date),
        due_date: None,
    }
}
