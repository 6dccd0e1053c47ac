//! The typed rows analytics reads: one struct per published table, holding
//! only the columns the metrics use. Reading them from Parquet is the
//! caller's job (`src/report.rs`); everything here is plain data.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One row of `open_items.parquet`: an invoice after the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    /// The ERP's invoice number.
    pub invoice_id: String,
    /// The customer who owes it.
    pub customer_id: String,
    /// The customer's name as the extract gave it.
    pub customer_name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Open amount before the run.
    pub amount_open: Decimal,
    /// Amount the invoice was issued for.
    pub amount_original: Decimal,
    /// Issue date, when known.
    pub invoice_date: Option<NaiveDate>,
    /// Due date, when known.
    pub due_date: Option<NaiveDate>,
    /// Open amount after the run's applications.
    pub amount_open_after: Decimal,
    /// `open`, `partially_paid`, `paid`, `cleared_with_deduction` or `held`.
    pub status: String,
    /// Why the item is held (`INVALID_SCALE`, ...), when it is.
    pub hold_reason: Option<String>,
}

impl OpenItem {
    /// The date the item ages from: the due date, else the invoice date (the
    /// engine's aging rule, so analytics and `aging.parquet` agree).
    pub fn aging_date(&self) -> Option<NaiveDate> {
        self.due_date.or(self.invoice_date)
    }

    /// Days past due as of `as_of` (negative when not yet due; 0 when the
    /// item has no date at all, which the engine ages as current).
    pub fn days_past_due(&self, as_of: NaiveDate) -> i64 {
        self.aging_date().map_or(0, |d| (as_of - d).num_days())
    }
}

/// One row of `applications.parquet`: money of one transaction applied to
/// one invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The paying transaction.
    pub transaction_id: String,
    /// The invoice paid.
    pub invoice_id: String,
    /// The invoice's customer.
    pub customer_id: String,
    /// The invoice's currency.
    pub currency: String,
    /// Cash applied.
    pub applied_amount: Decimal,
    /// Cash discount granted.
    pub discount_amount: Decimal,
    /// Small difference written off.
    pub writeoff_amount: Decimal,
    /// Short payment cleared into the deduction account (a dispute).
    pub deduction_amount: Decimal,
    /// The deduction's reason code, when there is a deduction.
    pub deduction_reason: Option<String>,
    /// The matching rule that applied it.
    pub rule: String,
}

/// One row of `transactions.parquet`: a bank transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// Stable transaction id.
    pub transaction_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Signed amount: receipts are positive.
    pub amount: Decimal,
    /// Booking date, when the bank gave one.
    pub booking_date: Option<NaiveDate>,
    /// Value date, when the bank gave one.
    pub value_date: Option<NaiveDate>,
}

impl Transaction {
    /// The day the money counts as received: the value date, else the
    /// booking date.
    pub fn received_on(&self) -> Option<NaiveDate> {
        self.value_date.or(self.booking_date)
    }

    /// True for money coming in.
    pub fn is_receipt(&self) -> bool {
        self.amount > Decimal::ZERO
    }
}

/// One row of `exceptions.parquet`: a transaction's unapplied money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionRow {
    /// The transaction.
    pub transaction_id: String,
    /// Unapplied amount.
    pub amount: Decimal,
    /// ISO 4217 code.
    pub currency: String,
    /// Stable reason code (`NO_MATCH`, ...).
    pub reason: String,
}

/// One row of `aging.parquet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingRow {
    /// Customer.
    pub customer_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// `current`, `1-30`, `31-60`, `61-90`, `91-120` or `120+`.
    pub bucket: String,
    /// Open amount in the bucket.
    pub amount: Decimal,
    /// Items in the bucket.
    pub items: u64,
}

/// One invoice issued in a period (the optional `--invoices` file): the
/// credit sales behind DSO and CEI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Invoice number.
    pub invoice_id: String,
    /// Customer.
    pub customer_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Amount invoiced.
    pub amount: Decimal,
    /// Issue date.
    pub invoice_date: NaiveDate,
    /// Due date.
    pub due_date: Option<NaiveDate>,
}

/// Receivables at the start of a period, per currency: what CEI starts
/// from (another run's `open_items.parquet`, summed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// The date the opening balance is taken at (that run's as-of date).
    pub as_of: NaiveDate,
    /// Total open receivables per currency at that date, sorted by currency.
    pub receivables: Vec<(String, Decimal)>,
}

/// Everything one published run offers analytics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunData {
    /// The run's accounting date (`manifest.json`).
    pub as_of: NaiveDate,
    /// `open_items.parquet`.
    pub open_items: Vec<OpenItem>,
    /// `applications.parquet`.
    pub applications: Vec<Application>,
    /// `transactions.parquet`.
    pub transactions: Vec<Transaction>,
    /// `exceptions.parquet`.
    pub exceptions: Vec<ExceptionRow>,
    /// `aging.parquet`.
    pub aging: Vec<AgingRow>,
}

/// The columns of a bank transaction the fraud and discrepancy signals
/// read (`transactions.parquet`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionDetail {
    /// Stable transaction id.
    pub transaction_id: String,
    /// The payer's (or payee's) account as the bank gave it; may be empty.
    pub counterparty_account: String,
    /// The payer's name as the bank gave it.
    pub counterparty_name: String,
    /// Free-text remittance information.
    pub remittance_info: String,
    /// Structured references the parser found.
    pub structured_refs: Vec<String>,
}

/// Cash-discount terms of an open item (`open_items.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTerms {
    /// Invoice.
    pub invoice_id: String,
    /// Discount percent, when the item has terms.
    pub discount_percent: Option<Decimal>,
    /// Days after the invoice date the discount may be taken.
    pub discount_days: Option<u32>,
}

/// One customer of the customer master the run read (its bank accounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterCustomer {
    /// Customer.
    pub customer_id: String,
    /// Bank accounts the master lists for the customer.
    pub bank_accounts: Vec<String>,
}

/// What the signals need beyond [`RunData`]; every part optional, so a run
/// read without a column (or without a customer master) gives the signals
/// that need it as `not_checked` with the reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunDetails {
    /// Counterparty and remittance of each transaction.
    pub transactions: Option<Vec<TransactionDetail>>,
    /// Discount terms of each open item.
    pub terms: Option<Vec<ItemTerms>>,
    /// The customer master the run read (from its manifest), when readable.
    pub customers: Option<Vec<MasterCustomer>>,
}

/// An item cleared before (or outside) cashmatch (`--cleared-items`): the
/// open-item columns plus the day it was cleared. Payment history on day
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearedItem {
    /// Invoice.
    pub invoice_id: String,
    /// Customer.
    pub customer_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Amount of the invoice (`amount_original`).
    pub amount: Decimal,
    /// Issue date.
    pub invoice_date: Option<NaiveDate>,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// The day the item was cleared (paid).
    pub cleared_date: NaiveDate,
}
