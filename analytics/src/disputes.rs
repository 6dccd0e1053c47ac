//! The dispute register of one run: every short payment the engine cleared
//! into the deduction account is a claim the deductions team has to work.
//! This slice sees one run only, so every dispute is `open`; resolving
//! them across runs needs the AR history (not built yet).

use crate::model::RunData;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Reason code written when the remittance stated none.
pub const UNSPECIFIED_REASON: &str = "UNSPECIFIED";

/// One row of `disputes.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// `transaction_id/invoice_id`: stable across re-reports of the run.
    pub dispute_id: String,
    /// The customer who short-paid.
    pub customer_id: String,
    /// Their name from the open items.
    pub customer_name: String,
    /// The invoice short-paid.
    pub invoice_id: String,
    /// The short payment.
    pub transaction_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Reason code from the remittance (`DAMAGED_GOODS`, ...).
    pub reason_code: String,
    /// Amount deducted (cleared into the deduction account).
    pub amount: Decimal,
    /// The payment's value date (else booking date).
    pub opened_on: Option<NaiveDate>,
    /// Days from `opened_on` to the as-of date.
    pub age_days: Option<i64>,
    /// `open` (this slice does not track resolution across runs).
    pub status: &'static str,
}

/// The disputes of one run, in application order (by transaction, then
/// invoice, as `applications.parquet` is sorted).
pub fn compute(data: &RunData) -> Vec<Dispute> {
    let names: HashMap<&str, &str> = data
        .open_items
        .iter()
        .map(|i| (i.invoice_id.as_str(), i.customer_name.as_str()))
        .collect();
    let received: HashMap<&str, Option<NaiveDate>> = data
        .transactions
        .iter()
        .map(|t| (t.transaction_id.as_str(), t.received_on()))
        .collect();
    let mut out: Vec<Dispute> = data
        .applications
        .iter()
        .filter(|a| a.deduction_amount > Decimal::ZERO)
        .map(|a| {
            let opened_on = received.get(a.transaction_id.as_str()).copied().flatten();
            Dispute {
                dispute_id: format!("{}/{}", a.transaction_id, a.invoice_id),
                customer_id: a.customer_id.clone(),
                customer_name: names
                    .get(a.invoice_id.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_string(),
                invoice_id: a.invoice_id.clone(),
                transaction_id: a.transaction_id.clone(),
                currency: a.currency.clone(),
                reason_code: a
                    .deduction_reason
                    .clone()
                    .unwrap_or_else(|| UNSPECIFIED_REASON.to_string()),
                amount: a.deduction_amount,
                opened_on,
                age_days: opened_on.map(|d| (data.as_of - d).num_days()),
                status: "open",
            }
        })
        .collect();
    out.sort_by(|a, b| a.dispute_id.cmp(&b.dispute_id));
    out
}
