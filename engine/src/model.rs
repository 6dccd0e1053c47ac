//! The typed records that flow through the engine. Every record carries its
//! lineage (source file and line, or the invoice id) so any output row can be
//! traced back to the input that caused it.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// Index of a bank transaction in [`Batch::transactions`]. Hot loops pass
/// indices, not ids, so they touch 4 bytes instead of a heap string.
pub type TxnIdx = u32;
/// Index of an open item in [`Batch::open_items`].
pub type ItemIdx = u32;
/// Index of a customer in [`Batch::customers`].
pub type CustomerIdx = u32;

/// One bank transaction (a line of a bank statement), as ingested.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BankTransaction {
    /// Stable id derived from the account and the bank reference (or a content
    /// fingerprint plus occurrence); see [`crate::identity`].
    pub transaction_id: String,
    pub bank_reference: String,
    pub source_file: String,
    pub source_line: u64,
    pub account: String,
    pub currency: String,
    /// Signed: receipts positive, debits negative.
    pub amount: Decimal,
    pub booking_date: Option<NaiveDate>,
    pub value_date: Option<NaiveDate>,
    pub counterparty_name: String,
    pub counterparty_account: String,
    pub remittance_info: String,
    /// Structured creditor references (ISO 11649 RF, QRR, structured invoice numbers).
    pub structured_refs: Vec<String>,
    pub end_to_end_id: String,
}

impl BankTransaction {
    /// The date used for ordering and discount terms: value date, else booking date.
    pub fn effective_date(&self) -> Option<NaiveDate> {
        self.value_date.or(self.booking_date)
    }
}

/// One open receivable (invoice or credit memo) from the ERP extract.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct OpenItem {
    pub invoice_id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub currency: String,
    pub amount_open: Decimal,
    pub amount_original: Decimal,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    /// Early-payment discount, e.g. `2` for 2 % within `discount_days`.
    pub discount_percent: Option<Decimal>,
    pub discount_days: Option<u32>,
    pub po_number: Option<String>,
    /// 1-based data row in the extract (lineage for errors and audit).
    pub source_line: u64,
    /// Set when the extract row is kept but must not be matched: the item
    /// stays open with its amount as delivered and is reported per invoice
    /// (RELIABILITY B1-11, B3-32). `None` for every ordinary item.
    pub hold: Option<ItemHold>,
}

/// Why an open item is held out of matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemHold {
    /// Stable code.
    pub reason: HoldReason,
    /// What is wrong, naming the column and value.
    pub detail: String,
}

/// Stable codes for open items the engine refuses to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HoldReason {
    /// An amount has more decimals than its currency allows.
    InvalidScale,
    /// The currency is not in the ISO 4217 table.
    UnknownCurrency,
    /// The extract has more than one row with this invoice id: which one the
    /// ERP means is for a person to decide, so none of them is matched.
    DuplicateInvoiceId,
}

impl HoldReason {
    /// The code written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::InvalidScale => "INVALID_SCALE",
            HoldReason::UnknownCurrency => "UNKNOWN_CURRENCY",
            HoldReason::DuplicateInvoiceId => "DUPLICATE_INVOICE_ID",
        }
    }
}

/// Customer master data used to identify who paid.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Customer {
    pub customer_id: String,
    pub name: String,
    /// IBANs or account numbers the customer pays from.
    pub bank_accounts: Vec<String>,
    /// Trading names and abbreviations.
    pub aliases: Vec<String>,
    /// Optional segment used by the pilot allow-list.
    pub segment: Option<String>,
}

/// Everything the engine needs for one run. The engine never reads files:
/// the CLI builds this from parsed inputs.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub transactions: Vec<BankTransaction>,
    pub open_items: Vec<OpenItem>,
    pub customers: Vec<Customer>,
    /// The run's accounting date: aging is computed as of this day.
    pub as_of: NaiveDate,
}

/// The matching rule that produced an application or suggestion. The string
/// form is stable and appears in outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rule {
    /// ISO 11649 / structured creditor reference equals an invoice reference.
    StructuredReference,
    /// Invoice number(s) in remittance text, amounts equal.
    ExactReference,
    /// Invoice number in remittance text after OCR/leading-zero/one-edit repair, confirmed by amount.
    FuzzyReference,
    /// Reference present, payment differs: discount, short pay or write-off.
    ReferenceWithDifference,
    /// Customer identified; one open item of exactly the paid amount.
    CustomerSingleAmount,
    /// Customer identified; a subset of open items sums to the payment.
    CustomerSubsetSum,
    /// Customer identified; payment equals the whole open balance.
    CustomerWholeBalance,
    /// Customer identified; payment equals all past-due items.
    CustomerPastDue,
    /// Several payments of one customer on one day pay several invoices.
    ManyToMany,
    /// Several payments pay one invoice in instalments.
    Instalment,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::StructuredReference => "STRUCTURED_REFERENCE",
            Rule::ExactReference => "EXACT_REFERENCE",
            Rule::FuzzyReference => "FUZZY_REFERENCE",
            Rule::ReferenceWithDifference => "REFERENCE_WITH_DIFFERENCE",
            Rule::CustomerSingleAmount => "CUSTOMER_SINGLE_AMOUNT",
            Rule::CustomerSubsetSum => "CUSTOMER_SUBSET_SUM",
            Rule::CustomerWholeBalance => "CUSTOMER_WHOLE_BALANCE",
            Rule::CustomerPastDue => "CUSTOMER_PAST_DUE",
            Rule::ManyToMany => "MANY_TO_MANY",
            Rule::Instalment => "INSTALMENT",
        }
    }
}

/// Why money was not (fully) applied. Stable codes, documented in one place;
/// downstream work queues route on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    /// No invoice reference found and no customer/amount rule applied.
    NoMatch,
    /// An invoice reference was found but the amount did not confirm it.
    AmountMismatch,
    /// A referenced invoice is not in the open items (unknown or already closed).
    UnknownReference,
    /// The invoice was already paid by an earlier payment in this run or before.
    DuplicatePayment,
    /// More than one equally good candidate: a person decides.
    AmbiguousMatch,
    /// Payment larger than what it was applied to: the remainder stays on account.
    Overpayment,
    /// Payment currency differs from the invoice currency (no FX in cash application).
    CurrencyMismatch,
    /// A debit on the bank account: not a customer receipt.
    NotAReceipt,
    /// A zero-amount entry (charge notices, pending 0.00 rows).
    ZeroAmount,
    /// A candidate exists but scored below the auto-apply threshold.
    BelowThreshold,
    /// The customer is outside the pilot allow-list: kept as a suggestion.
    PilotExcluded,
    /// Customer identified but no open item combination matches the amount.
    CustomerNoAmountMatch,
    /// The remittance names an invoice that is held out of matching (its
    /// extract row is invalid or duplicated): a person decides.
    HeldInvoice,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::NoMatch => "NO_MATCH",
            ReasonCode::AmountMismatch => "AMOUNT_MISMATCH",
            ReasonCode::UnknownReference => "UNKNOWN_REFERENCE",
            ReasonCode::DuplicatePayment => "DUPLICATE_PAYMENT",
            ReasonCode::AmbiguousMatch => "AMBIGUOUS_MATCH",
            ReasonCode::Overpayment => "OVERPAYMENT",
            ReasonCode::CurrencyMismatch => "CURRENCY_MISMATCH",
            ReasonCode::NotAReceipt => "NOT_A_RECEIPT",
            ReasonCode::ZeroAmount => "ZERO_AMOUNT",
            ReasonCode::BelowThreshold => "BELOW_THRESHOLD",
            ReasonCode::PilotExcluded => "PILOT_EXCLUDED",
            ReasonCode::CustomerNoAmountMatch => "CUSTOMER_NO_AMOUNT_MATCH",
            ReasonCode::HeldInvoice => "HELD_INVOICE",
        }
    }

    /// Every code, in a stable order (for documentation and summaries).
    pub const ALL: [ReasonCode; 13] = [
        ReasonCode::NoMatch,
        ReasonCode::AmountMismatch,
        ReasonCode::UnknownReference,
        ReasonCode::DuplicatePayment,
        ReasonCode::AmbiguousMatch,
        ReasonCode::Overpayment,
        ReasonCode::CurrencyMismatch,
        ReasonCode::NotAReceipt,
        ReasonCode::ZeroAmount,
        ReasonCode::BelowThreshold,
        ReasonCode::PilotExcluded,
        ReasonCode::CustomerNoAmountMatch,
        ReasonCode::HeldInvoice,
    ];
}

/// Why a short payment was short, from keywords in the remittance text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeductionReason {
    Damaged,
    Pricing,
    Freight,
    Promotion,
    Returns,
    Unspecified,
}

impl DeductionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DeductionReason::Damaged => "DAMAGED_GOODS",
            DeductionReason::Pricing => "PRICING_DISPUTE",
            DeductionReason::Freight => "FREIGHT",
            DeductionReason::Promotion => "PROMOTION",
            DeductionReason::Returns => "RETURNS",
            DeductionReason::Unspecified => "UNSPECIFIED",
        }
    }

    /// Journal memo of the deduction line.
    pub fn memo(self) -> &'static str {
        match self {
            DeductionReason::Damaged => "deduction: damaged goods",
            DeductionReason::Pricing => "deduction: pricing dispute",
            DeductionReason::Freight => "deduction: freight",
            DeductionReason::Promotion => "deduction: promotion",
            DeductionReason::Returns => "deduction: returns",
            DeductionReason::Unspecified => "deduction: reason not stated",
        }
    }
}

/// One (transaction, invoice) pair of money applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Application {
    pub txn: TxnIdx,
    pub item: ItemIdx,
    /// Cash taken from the payment for this invoice.
    pub applied_amount: Decimal,
    /// Early-payment discount granted (clears the invoice, costs no cash).
    pub discount_amount: Decimal,
    /// Small difference written off (clears the invoice, costs no cash).
    pub writeoff_amount: Decimal,
    /// Short-paid amount the payer deducted with a reason: it clears the
    /// invoice and is posted to the deduction account (`[gl] deduction`),
    /// where the deductions team resolves it (credit note or collection).
    pub deduction_amount: Decimal,
    pub deduction_reason: Option<DeductionReason>,
    pub rule: Rule,
    /// In [0, 1].
    pub confidence: f64,
    pub explanation: String,
}

impl Application {
    /// What this application takes off the invoice's open amount: cash,
    /// discount, write-off and deduction.
    pub fn cleared_amount(&self) -> Decimal {
        self.applied_amount + self.discount_amount + self.writeoff_amount + self.deduction_amount
    }
}

/// A ranked alternative a person can accept in the exceptions queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub customer_id: String,
    pub invoice_id: String,
    pub score: f64,
    pub rule: Rule,
}

/// The unapplied money of one transaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionRecord {
    pub txn: TxnIdx,
    /// Unapplied amount (the whole amount when nothing was applied; for a
    /// debit or zero entry, the signed amount).
    pub amount: Decimal,
    pub reason: ReasonCode,
    pub customer: Option<CustomerIdx>,
    /// Customer id even when it came from an open item rather than the master.
    pub customer_id: Option<String>,
    pub detail: String,
    pub suggestions: Vec<Suggestion>,
}

/// One line of a double-entry journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posting {
    pub journal_id: String,
    pub line: u32,
    pub posting_date: Option<NaiveDate>,
    pub gl_account: String,
    pub debit: Decimal,
    pub credit: Decimal,
    pub currency: String,
    pub transaction_id: String,
    pub invoice_id: Option<String>,
    pub customer_id: Option<String>,
    pub memo: String,
}

/// Status of an invoice after the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Open,
    PartiallyPaid,
    Paid,
    /// Cleared, part of it by a deduction now in the deduction account.
    ClearedWithDeduction,
    /// Held out of matching (see [`ItemHold`]); open as delivered.
    Held,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::PartiallyPaid => "partially_paid",
            ItemStatus::Paid => "paid",
            ItemStatus::ClearedWithDeduction => "cleared_with_deduction",
            ItemStatus::Held => "held",
        }
    }
}

/// An open item after the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemAfter {
    pub item: ItemIdx,
    /// Cash applied plus discount, write-off and deduction.
    pub amount_applied: Decimal,
    pub amount_open_after: Decimal,
    pub status: ItemStatus,
}

/// Aging buckets, in days past due as of the run date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AgingBucket {
    Current,
    Days1To30,
    Days31To60,
    Days61To90,
    Days91To120,
    Over120,
}

impl AgingBucket {
    pub const ALL: [AgingBucket; 6] = [
        AgingBucket::Current,
        AgingBucket::Days1To30,
        AgingBucket::Days31To60,
        AgingBucket::Days61To90,
        AgingBucket::Days91To120,
        AgingBucket::Over120,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgingBucket::Current => "current",
            AgingBucket::Days1To30 => "1-30",
            AgingBucket::Days31To60 => "31-60",
            AgingBucket::Days61To90 => "61-90",
            AgingBucket::Days91To120 => "91-120",
            AgingBucket::Over120 => "120+",
        }
    }

    /// The bucket for an item `days_past_due` days past its due date
    /// (negative or zero: not yet due).
    pub fn for_days_past_due(days_past_due: i64) -> AgingBucket {
        match days_past_due {
            i64::MIN..=0 => AgingBucket::Current,
            1..=30 => AgingBucket::Days1To30,
            31..=60 => AgingBucket::Days31To60,
            61..=90 => AgingBucket::Days61To90,
            91..=120 => AgingBucket::Days91To120,
            _ => AgingBucket::Over120,
        }
    }
}

/// One row of the aging snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgingRow {
    pub as_of: NaiveDate,
    pub customer_id: String,
    pub currency: String,
    pub bucket: AgingBucket,
    pub amount: Decimal,
    pub items: u64,
}

/// Money totals of a run, per currency; the manifest records them and the
/// invariant checks compare them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct ControlSums {
    pub currency: String,
    /// Σ of positive transaction amounts (receipts).
    pub received: Decimal,
    /// Σ of negative transaction amounts (debits), as a negative number.
    pub debits: Decimal,
    pub applied: Decimal,
    pub unapplied: Decimal,
    pub discounts: Decimal,
    pub writeoffs: Decimal,
    pub transactions: u64,
}

/// Everything a run decided.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub applications: Vec<Application>,
    pub exceptions: Vec<ExceptionRecord>,
    pub postings: Vec<Posting>,
    pub items_after: Vec<ItemAfter>,
    pub aging: Vec<AgingRow>,
    pub control_sums: Vec<ControlSums>,
    /// Wall-clock-free statistics per pass: proposals made, accepted.
    pub pass_stats: Vec<PassStats>,
}

/// What one matching pass did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct PassStats {
    pub pass: String,
    pub proposals: u64,
    pub accepted: u64,
    pub transactions_applied: u64,
    pub amount_applied: Decimal,
    /// Elapsed time is measured by the caller; engine logic never reads clocks.
    pub suggestions: u64,
}
