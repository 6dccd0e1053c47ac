//! Returned payments and reversals: money that came in and goes back out.
//!
//! An ACH return (`R01` insufficient funds, `R02` account closed), a SEPA
//! R-transaction (`AC04`, `MS03`, `MD06`), a bounced cheque, a camt entry
//! with `RvslInd`, an MT940 `/RTRN/` marker or a card chargeback is a debit
//! on the bank account that takes back a receipt applied earlier, in this
//! run or in an earlier one. Left alone it would sit in suspense as
//! `NOT_A_RECEIPT` while the invoice stays paid: the ledger would say the
//! customer paid when they did not.
//!
//! The engine is told which debits are returns ([`ReturnMarker`]: the
//! parsers' markers, carried by the CLI, and [`marker_from_text`] for banks
//! that only say so in the text) and what earlier runs applied
//! ([`PriorReceipt`], kept in the state by the CLI). It links each return to
//! its original receipt (`passes::returns`), with the rule recorded
//! ([`LinkRule`]), and reverses what the receipt did: one
//! [`Rule::ReturnReversal`](crate::model::Rule::ReturnReversal) application
//! per invoice with negative amounts (cash, discount, write-off and
//! deduction taken back), so the invoice is open again in the items after;
//! the journal credits the bank and debits the receivable. A return that
//! cannot be linked uniquely is `UNLINKED_RETURN`: nothing is guessed.
//!
//! Every return becomes one [`ReturnRecord`] (`returns.parquet`): the signal
//! on the customer that analytics reads.

use crate::model::{Application, Batch, ItemIdx, Outcome, TxnIdx};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A debit the bank (or its text) marks as a returned or reversed payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnMarker {
    /// The debit.
    pub txn: TxnIdx,
    /// Return reason code as the bank gave it (`R01`, `MS03`, ...); may be empty.
    pub reason: String,
}

/// What the engine knows about returns besides the batch.
#[derive(Debug, Clone, Default)]
pub struct ReturnInputs {
    /// Marked debits, any order (the engine sorts them). Debits with a
    /// return word in their text are found by the engine itself
    /// ([`marker_from_text`]).
    pub markers: Vec<ReturnMarker>,
    /// Receipts earlier runs applied and that were not returned since.
    pub prior_receipts: Vec<PriorReceipt>,
}

/// A receipt an earlier run applied, as the state keeps it: enough to find
/// it again and to reverse its applications when the invoice is no longer
/// in the open-item extract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorReceipt {
    /// The run that applied it.
    pub run_id: String,
    /// Its stable transaction id.
    pub transaction_id: String,
    /// The bank's reference.
    pub bank_reference: String,
    /// The payer's end-to-end id.
    pub end_to_end_id: String,
    /// The receiving bank account.
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The amount received.
    pub amount: Decimal,
    /// Value date, else booking date.
    pub date: Option<NaiveDate>,
    /// The payer's name as the bank gave it.
    pub counterparty_name: String,
    /// The payer's account as the bank gave it.
    pub counterparty_account: String,
    /// What the receipt applied, per invoice.
    pub applications: Vec<PriorApplication>,
    /// The customer its unapplied rest was left on account for, if any.
    pub on_account_customer: Option<String>,
}

/// One application of a [`PriorReceipt`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorApplication {
    /// The invoice.
    pub invoice_id: String,
    /// Its customer.
    pub customer_id: String,
    /// The customer's name in the extract.
    pub customer_name: String,
    /// Invoice currency.
    pub currency: String,
    /// Cash applied.
    pub applied: Decimal,
    /// Discount granted.
    pub discount: Decimal,
    /// Write-off booked.
    pub writeoff: Decimal,
    /// Deduction booked.
    pub deduction: Decimal,
    /// The invoice's original amount (for the re-opened item).
    pub amount_original: Decimal,
    /// Issue date.
    pub invoice_date: Option<NaiveDate>,
    /// Due date (the re-opened item ages from it).
    pub due_date: Option<NaiveDate>,
    /// A cross-currency application: what the payment gave for it (absent
    /// for same-currency ones, so their state rows stay as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fx: Option<PriorFx>,
}

/// The payment side of a cross-currency [`PriorApplication`], so a return
/// in a later run takes back the payment-currency cash and the realised FX
/// result too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorFx {
    /// Cash taken from the payment, in the payment's currency.
    pub payment_amount: Decimal,
    /// `payment_amount` converted, in the invoice's currency.
    pub invoice_amount: Decimal,
    /// Units of the invoice currency per unit of the payment currency.
    pub rate: Decimal,
    /// The rate's date.
    pub rate_date: NaiveDate,
    /// Who quoted the rate.
    pub rate_source: String,
    /// Realised FX result booked (invoice currency; positive a gain).
    pub gain_loss: Decimal,
}

impl PriorApplication {
    /// What the application took off the invoice.
    pub fn cleared(&self) -> Decimal {
        self.applied + self.discount + self.writeoff + self.deduction
    }
}

/// How a return was linked to its original receipt. Stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum LinkRule {
    /// The return carries the original's end-to-end id (SEPA R-transactions).
    EndToEndId,
    /// The return's text names the original's bank reference, end-to-end id
    /// or transaction id (ACH trace number, cheque number, `ORIG REF`).
    OriginalReference,
    /// Same amount, same payer (account, else name), same bank account, the
    /// original within `[returns] window_days` before the return.
    AmountPayerDate,
}

impl LinkRule {
    /// The stable code written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkRule::EndToEndId => "END_TO_END_ID",
            LinkRule::OriginalReference => "ORIGINAL_REFERENCE",
            LinkRule::AmountPayerDate => "AMOUNT_PAYER_DATE",
        }
    }
}

/// Where the original receipt of a linked return is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Original {
    /// A receipt of this batch.
    ThisRun(TxnIdx),
    /// A receipt of an earlier run ([`ReturnInputs::prior_receipts`] index).
    Prior(u32),
}

/// What became of one return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReturnStatus {
    /// Linked and reversed.
    Reversed,
    /// No unique original: `UNLINKED_RETURN` in exceptions.
    Unlinked,
}

impl ReturnStatus {
    /// The stable code written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnStatus::Reversed => "reversed",
            ReturnStatus::Unlinked => "unlinked",
        }
    }
}

/// One returned payment and what the engine did with it (`returns.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRecord {
    /// The return (a debit).
    pub txn: TxnIdx,
    /// Reason code as given; empty when the bank gave none.
    pub reason: String,
    /// Reversed or unlinked.
    pub status: ReturnStatus,
    /// How it was linked.
    pub link: Option<LinkRule>,
    /// The original receipt, when linked.
    pub original: Option<Original>,
    /// The original receipt's transaction id (empty when unlinked).
    pub original_transaction_id: String,
    /// The run that applied the original: empty for this run.
    pub original_run_id: String,
    /// The customer the signal is raised on (the original's), if known.
    pub customer_id: Option<String>,
    /// Invoices re-opened.
    pub invoices_reopened: u32,
    /// Σ cash applications reversed (positive), in the return's currency
    /// (a cross-currency application's payment amount).
    pub applied_reversed: Decimal,
    /// Σ discounts, write-offs and deductions taken back (positive).
    pub allowances_reversed: Decimal,
    /// What the original left on account or in suspense, taken back (positive).
    pub unapplied_reversed: Decimal,
    /// Why, in words.
    pub detail: String,
}

/// Reason codes that mark a return on their own (ACH `R01`..`R99` are
/// recognised by shape): the ISO 20022 / EPC return reasons banks write.
const SEPA_REASONS: [&str; 22] = [
    "AC01", "AC04", "AC06", "AC13", "AG01", "AG02", "AM04", "AM05", "BE04", "BE05", "CNOR", "DNOR",
    "FF01", "MD01", "MD02", "MD06", "MD07", "MS02", "MS03", "RC01", "RR04", "SL01",
];

/// Words a bank writes on a returned or reversed payment.
const RETURN_WORDS: [&str; 12] = [
    "RETURN",
    "RETURNED",
    "RTRN",
    "RETOURE",
    "RUECKLASTSCHRIFT",
    "RÜCKLASTSCHRIFT",
    "RUCKLASTSCHRIFT",
    "CHARGEBACK",
    "REVERSAL",
    "BOUNCED",
    "UNPAID",
    "STORNO",
];

/// Whether a debit's text says it is a return, and its reason code.
///
/// A return word (`RETURN`, `RTRN`, `RETOURE`, `RÜCKLASTSCHRIFT`,
/// `CHARGEBACK`, `REVERSAL`, `BOUNCED`, `UNPAID`, `STORNO`) must be present
/// as a whole word; the reason is the first ACH (`R01`) or SEPA (`MS03`)
/// code among the words, else empty. Only debits are ever asked.
pub fn marker_from_text(text: &str) -> Option<String> {
    let upper = text.to_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if !words.iter().any(|w| RETURN_WORDS.contains(w)) {
        return None;
    }
    let reason = words
        .iter()
        .find(|w| is_reason_code(w))
        .map_or_else(String::new, |w| (*w).to_string());
    Some(reason)
}

fn is_reason_code(w: &str) -> bool {
    let b = w.as_bytes();
    (b.len() == 3 && b[0] == b'R' && b[1].is_ascii_digit() && b[2].is_ascii_digit())
        || SEPA_REASONS.contains(&w)
}

/// The receipts of a finished run that applied something (with their
/// index), as the state keeps them so a later run can reverse them ([`PriorReceipt`]).
/// Receipts that applied nothing are not kept: a later return of one finds
/// no original and goes to `UNLINKED_RETURN` (nothing in the receivable
/// to correct, the suspense line is a person's to clear).
pub fn receipts_to_keep(
    batch: &Batch,
    outcome: &Outcome,
    run_id: &str,
) -> Vec<(TxnIdx, PriorReceipt)> {
    let mut out: Vec<(TxnIdx, PriorReceipt)> = Vec::new();
    let mut current: Option<TxnIdx> = None;
    let returned: std::collections::HashSet<TxnIdx> = outcome
        .returns
        .iter()
        .filter_map(|r| match &r.original {
            Some(Original::ThisRun(t)) => Some(*t),
            _ => None,
        })
        .collect();
    for a in &outcome.applications {
        let txn = batch.transactions.get(a.txn as usize);
        if txn.amount() <= Decimal::ZERO || returned.contains(&a.txn) {
            continue;
        }
        if current != Some(a.txn) {
            current = Some(a.txn);
            let on_account = outcome
                .exceptions
                .binary_search_by_key(&a.txn, |e| e.txn)
                .ok()
                .and_then(|e| outcome.exceptions[e].customer_id(batch))
                .map(str::to_string);
            out.push((
                a.txn,
                PriorReceipt {
                    run_id: run_id.to_string(),
                    transaction_id: txn.transaction_id().to_string(),
                    bank_reference: txn.bank_reference().to_string(),
                    end_to_end_id: txn.end_to_end_id().to_string(),
                    account: txn.account().to_string(),
                    currency: txn.currency().to_string(),
                    amount: txn.amount(),
                    date: txn.value_date().or(txn.booking_date()),
                    counterparty_name: txn.counterparty_name().to_string(),
                    counterparty_account: txn.counterparty_account().to_string(),
                    applications: Vec::new(),
                    on_account_customer: on_account,
                },
            ));
        }
        let item = batch.open_items.get(a.item as usize);
        if let Some((_, r)) = out.last_mut() {
            r.applications.push(PriorApplication {
                invoice_id: item.invoice_id().to_string(),
                customer_id: item.customer_id().to_string(),
                customer_name: item.customer_name().to_string(),
                currency: item.currency().to_string(),
                applied: a.applied_amount,
                discount: a.discount_amount,
                writeoff: a.writeoff_amount,
                deduction: a.deduction_amount,
                amount_original: item.amount_original(),
                invoice_date: item.invoice_date(),
                due_date: item.due_date(),
                fx: outcome.fx_of(a).map(|f| PriorFx {
                    payment_amount: f.payment_amount,
                    invoice_amount: f.invoice_amount,
                    rate: f.rate,
                    rate_date: f.rate_date,
                    rate_source: f.rate_source.to_string(),
                    gain_loss: f.gain_loss,
                }),
            });
        }
    }
    out
}

/// The reversal of a cross-currency application for return `txn`: every
/// amount negated (the payment-currency cash goes back, the realised FX
/// result is taken back at the rate it was booked at).
pub fn fx_reversal_of(txn: TxnIdx, f: &crate::fx::FxApplication) -> crate::fx::FxApplication {
    crate::fx::FxApplication {
        txn,
        item: f.item,
        payment_amount: -f.payment_amount,
        invoice_amount: -f.invoice_amount,
        rate: f.rate,
        rate_date: f.rate_date,
        rate_source: f.rate_source.clone(),
        gain_loss: -f.gain_loss,
    }
}

/// The reversal of one application: every amount negated, rule
/// [`Rule::ReturnReversal`](crate::model::Rule::ReturnReversal).
pub fn reversal_of(
    txn: TxnIdx,
    item: ItemIdx,
    applied: Decimal,
    discount: Decimal,
    writeoff: Decimal,
    deduction: Decimal,
    explanation: std::sync::Arc<str>,
) -> Application {
    Application {
        txn,
        item,
        applied_amount: -applied,
        discount_amount: -discount,
        writeoff_amount: -writeoff,
        deduction_amount: -deduction,
        deduction_reason: None,
        rule: crate::model::Rule::ReturnReversal,
        confidence: 1.0,
        explanation: crate::model::Explanation::Text(explanation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_words_and_reason_codes_are_read_from_text() {
        assert_eq!(
            marker_from_text("ACH RETURN R01 ORIG TRACE 123").as_deref(),
            Some("R01")
        );
        assert_eq!(
            marker_from_text("Rücklastschrift MS03 EREF E2E-1").as_deref(),
            Some("MS03")
        );
        assert_eq!(marker_from_text("CHEQUE BOUNCED").as_deref(), Some(""));
        // A word inside another word is not a return marker.
        assert_eq!(marker_from_text("RETURNS DEPARTMENT FEE"), None);
        assert_eq!(marker_from_text("Card fee R01"), None);
    }
}
