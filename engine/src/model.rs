//! The typed records that flow through the engine. Every record carries its
//! lineage (source file and line, or the invoice id) so any output row can be
//! traced back to the input that caused it.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::sync::Arc;

pub use crate::columns::{CustomerView, Customers, ItemView, OpenItems, Transactions, TxnView};

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
    /// The bank's own reference (camt `AcctSvcrRef`, BAI2 bank reference, MT940 `//` reference).
    pub bank_reference: String,
    /// Input file name as recorded in the manifest (lineage).
    pub source_file: String,
    /// 1-based line where the record starts in that file (lineage).
    pub source_line: u64,
    /// The statement's account (IBAN or bank account number).
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Signed: receipts positive, debits negative.
    pub amount: Decimal,
    /// Day the bank booked it.
    pub booking_date: Option<NaiveDate>,
    /// Day the money is value-dated (discount terms use it).
    pub value_date: Option<NaiveDate>,
    /// The payer's name as the bank gives it.
    pub counterparty_name: String,
    /// The payer's IBAN or account, as the bank gives it.
    pub counterparty_account: String,
    /// Unstructured remittance text.
    pub remittance_info: String,
    /// Structured creditor references (ISO 11649 RF, QRR, structured invoice numbers).
    pub structured_refs: Vec<String>,
    /// The payer's end-to-end id (SEPA `EndToEndId`), when given.
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
    /// Document number as the ERP knows it.
    pub invoice_id: String,
    /// The customer who owes it.
    pub customer_id: String,
    /// The customer's name in the extract (used when the master lacks it).
    pub customer_name: String,
    /// ISO 4217 code of the invoice.
    pub currency: String,
    /// Amount still open before this run (negative for credit memos).
    pub amount_open: Decimal,
    /// Amount when issued.
    pub amount_original: Decimal,
    /// Issue date (discount terms count from it).
    pub invoice_date: Option<NaiveDate>,
    /// Due date (aging counts from it).
    pub due_date: Option<NaiveDate>,
    /// Early-payment discount, e.g. `2` for 2 % within `discount_days`.
    pub discount_percent: Option<Decimal>,
    /// Days after `invoice_date` within which the discount applies.
    pub discount_days: Option<u32>,
    /// The buyer's purchase-order number, when the extract has one.
    pub po_number: Option<String>,
    /// 1-based data row in the extract (lineage for errors and audit).
    pub source_line: u64,
    /// Set when the extract row is kept but must not be matched: the item
    /// stays open with its amount as delivered and is reported per invoice
    /// (RELIABILITY B1-11, B3-32). `None` for every ordinary item.
    pub hold: Option<ItemHold>,
    /// Legal entity (company code) as the extract gives it, kept as text
    /// (`0100` stays `0100`); empty when not given, which means the
    /// configured `[company] default_code` (`crate::company::company_of`).
    pub company_code: String,
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
    /// Customer number in the ERP.
    pub customer_id: String,
    /// Legal or master-data name.
    pub name: String,
    /// IBANs or account numbers the customer pays from.
    pub bank_accounts: Vec<String>,
    /// Trading names and abbreviations.
    pub aliases: Vec<String>,
    /// Optional segment used by the pilot allow-list.
    pub segment: Option<String>,
    /// The customer id of the parent company when this customer is a
    /// subsidiary: a parent paying its subsidiaries' invoices is their payer.
    pub parent_id: Option<String>,
}

/// Everything the engine needs for one run. The engine never reads files:
/// the CLI builds this from parsed inputs. Each concept is a column store
/// ([`crate::columns`]); build one from rows with `vec![..].into()`.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Bank transactions, in input order.
    pub transactions: Transactions,
    /// Open receivables, in extract order.
    pub open_items: OpenItems,
    /// The customer master (may be empty).
    pub customers: Customers,
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
    /// A remittance advice linked to the payment names the invoice, the
    /// amount paid, the discount and the deduction, line by line.
    RemittanceAdvice,
    /// A returned payment (ACH return, SEPA R-transaction, bounced cheque,
    /// reversal, chargeback) takes back what its original receipt applied:
    /// the application row carries negative amounts (see [`crate::returns`]).
    ReturnReversal,
    /// A person decided it (`--decisions`): applied first, confidence 1.
    Manual,
    /// The payer identified by what earlier decisions taught (a payer
    /// account or name a person attributed to the customer); one open item
    /// of the amount or the whole open balance.
    LearnedPayer,
    /// The payment quotes an open item in the reference style a decision
    /// taught for the payer's customer (its own prefix, the digits only,
    /// the last digits); the amount confirms it.
    LearnedReference,
    /// A payment in another currency than the invoices its reference names:
    /// the payment converted at the `--rates` rate matches their open amount
    /// within `[fx] rate_tolerance_percent` (see [`crate::fx`]).
    FxReference,
    /// Customer identified, no reference: one open item in another currency
    /// whose open amount the converted payment matches within the tolerance.
    FxCustomerAmount,
    /// A referenced payment short by no more than the bank-charge tolerance
    /// (charges deducted in transit, SHA/OUR/BEN): the shortfall clears the
    /// invoice into `[fx] bank_charges_account` (held in `writeoff_amount`).
    BankCharges,
}

impl Rule {
    /// The stable code written to outputs.
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
            Rule::RemittanceAdvice => "REMITTANCE_ADVICE",
            Rule::ReturnReversal => "RETURN_REVERSAL",
            Rule::Manual => "MANUAL",
            Rule::LearnedPayer => "LEARNED_PAYER",
            Rule::LearnedReference => "LEARNED_REFERENCE",
            Rule::FxReference => "FX_REFERENCE",
            Rule::FxCustomerAmount => "FX_CUSTOMER_AMOUNT",
            Rule::BankCharges => "BANK_CHARGES",
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
    /// A debit the bank marks as a return (or whose text says so) whose
    /// original receipt could not be found uniquely, in this run or in the
    /// state: nothing was reversed, a person links it.
    UnlinkedReturn,
    /// A linked return took back money its original receipt had left on
    /// account or in suspense (the part that was not applied to invoices).
    ReturnedPayment,
    /// A person decided the money stays on the customer's account
    /// (`on_account` decision).
    DecidedOnAccount,
    /// A person decided the money goes back to the payer (`refund`
    /// decision): posted to `[gl] refund` until treasury pays it.
    DecidedRefund,
    /// A person decided the receipt is not for cash application (`ignore`
    /// decision: interest, internal transfer): held in suspense, never
    /// offered again.
    DecidedIgnore,
    /// The only evidence names an invoice of another company than the one
    /// that owns the receiving bank account, and `[intercompany]` does not
    /// allow applying across them: a person transfers the cash or the
    /// invoice.
    OtherCompanyInvoice,
    /// The payment's currency differs from the invoice's and `--rates` has
    /// no rate for the pair and date: nothing is guessed, a person decides.
    FxRateMissing,
}

impl ReasonCode {
    /// The stable code written to outputs.
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
            ReasonCode::UnlinkedReturn => "UNLINKED_RETURN",
            ReasonCode::ReturnedPayment => "RETURNED_PAYMENT",
            ReasonCode::DecidedOnAccount => "DECIDED_ON_ACCOUNT",
            ReasonCode::DecidedRefund => "DECIDED_REFUND",
            ReasonCode::DecidedIgnore => "DECIDED_IGNORE",
            ReasonCode::OtherCompanyInvoice => "OTHER_COMPANY_INVOICE",
            ReasonCode::FxRateMissing => "FX_RATE_MISSING",
        }
    }

    /// Every code, in a stable order (for documentation and summaries).
    pub const ALL: [ReasonCode; 20] = [
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
        ReasonCode::UnlinkedReturn,
        ReasonCode::ReturnedPayment,
        ReasonCode::DecidedOnAccount,
        ReasonCode::DecidedRefund,
        ReasonCode::DecidedIgnore,
        ReasonCode::OtherCompanyInvoice,
        ReasonCode::FxRateMissing,
    ];

    /// True for the codes of a person's decision (`--decisions`): the
    /// exception row records what was decided, it is not a question.
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            ReasonCode::DecidedOnAccount | ReasonCode::DecidedRefund | ReasonCode::DecidedIgnore
        )
    }
}

/// Why a short payment was short, from keywords in the remittance text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeductionReason {
    /// Goods arrived damaged.
    Damaged,
    /// The payer disputes the price.
    Pricing,
    /// Freight charged back.
    Freight,
    /// Promotion or trade allowance taken.
    Promotion,
    /// Goods returned.
    Returns,
    /// Short paid without a stated reason.
    Unspecified,
}

impl DeductionReason {
    /// The stable code written to outputs.
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

    /// The reason whose stable code ([`DeductionReason::as_str`]) is `code`.
    pub fn from_code(code: &str) -> Option<DeductionReason> {
        [
            DeductionReason::Damaged,
            DeductionReason::Pricing,
            DeductionReason::Freight,
            DeductionReason::Promotion,
            DeductionReason::Returns,
            DeductionReason::Unspecified,
        ]
        .into_iter()
        .find(|r| r.as_str() == code)
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
    /// The paying transaction.
    pub txn: TxnIdx,
    /// The invoice paid.
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
    /// Why the payer deducted, when `deduction_amount` is not zero.
    pub deduction_reason: Option<DeductionReason>,
    /// The rule that decided it.
    pub rule: Rule,
    /// In [0, 1].
    pub confidence: f64,
    /// Why, in words a collector reads (as data; see [`Explanation`]).
    pub explanation: Explanation,
}

/// Why an application was made, kept as data and worded only when the
/// `explanation` column is written ([`explanation_column`]): the common
/// rules need no text per application, and the lines of one proposal share
/// one value. The words are the engine's, byte for byte as before.
#[derive(Debug, Clone, PartialEq)]
pub enum Explanation {
    /// `invoice number {id} in remittance; amount equal`
    ExactOne(ItemIdx),
    /// `invoice numbers {id, id, ...} in remittance; open amounts add up to
    /// the payment`, in the order the remittance names them.
    ExactMany(Arc<[ItemIdx]>),
    /// Any other explanation, already worded (shared by the proposal's lines).
    Text(Arc<str>),
}

impl From<String> for Explanation {
    fn from(text: String) -> Self {
        Explanation::Text(text.into())
    }
}

impl Explanation {
    /// Appends the words to `out`; invoice ids come from `items`.
    pub fn render_into(&self, items: &OpenItems, out: &mut String) {
        let ids = |list: &[ItemIdx], out: &mut String| {
            for (k, &i) in list.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                out.push_str(items.get(i as usize).invoice_id());
            }
        };
        match self {
            Explanation::ExactOne(item) => {
                out.push_str("invoice number ");
                ids(std::slice::from_ref(item), out);
                out.push_str(" in remittance; amount equal");
            }
            Explanation::ExactMany(list) => {
                out.push_str("invoice numbers ");
                ids(list, out);
                out.push_str(" in remittance; open amounts add up to the payment");
            }
            Explanation::Text(text) => out.push_str(text),
        }
    }

    /// The words, owned (tests and one-off use; outputs use
    /// [`explanation_column`]).
    pub fn to_text(&self, items: &OpenItems) -> String {
        let mut out = String::new();
        self.render_into(items, &mut out);
        out
    }
}

impl Serialize for Explanation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Explanation::ExactOne(item) => {
                s.serialize_newtype_variant("Explanation", 0, "ExactOne", item)
            }
            Explanation::ExactMany(list) => {
                s.serialize_newtype_variant("Explanation", 1, "ExactMany", &list[..])
            }
            Explanation::Text(text) => s.serialize_str(text),
        }
    }
}

/// The `explanation` column of `applications`, worded into one Arrow
/// string buffer (no `String` per row).
pub fn explanation_column(
    applications: &[Application],
    items: &OpenItems,
) -> arrow_array::StringArray {
    let mut b = arrow_array::builder::StringBuilder::with_capacity(
        applications.len(),
        applications.len() * 64,
    );
    let mut text = String::new();
    for a in applications {
        text.clear();
        a.explanation.render_into(items, &mut text);
        b.append_value(&text);
    }
    b.finish()
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
    /// The customer of the suggested invoice.
    pub customer_id: String,
    /// The suggested invoice.
    pub invoice_id: String,
    /// In [0, 1]; higher is likelier.
    pub score: f64,
    /// The rule that found it.
    pub rule: Rule,
}

/// The unapplied money of one transaction.
///
/// Output records are data: the transaction and the customer are named by
/// index into the batch (or the id moved out of the pass that found it),
/// and the detail text is rendered only when the column is written.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceptionRecord {
    /// The transaction with unapplied money.
    pub txn: TxnIdx,
    /// Unapplied amount (the whole amount when nothing was applied; for a
    /// debit or zero entry, the signed amount).
    pub amount: Decimal,
    /// Stable reason code for work queues.
    pub reason: ReasonCode,
    /// The payer, when identified from the master.
    pub customer: Option<CustomerIdx>,
    /// Customer id even when it came from an open item rather than the master.
    pub customer_id: Option<CustomerId>,
    /// What was found, for the person who clears it.
    pub detail: ExceptionDetail,
    /// Ranked alternatives a person can accept.
    pub suggestions: Vec<Suggestion>,
}

impl ExceptionRecord {
    /// The customer id as written to `exceptions.parquet`.
    pub fn customer_id<'a>(&'a self, batch: &'a Batch) -> Option<&'a str> {
        self.customer_id.as_ref().map(|c| c.as_str(batch))
    }

    /// The detail as written to `exceptions.parquet`.
    pub fn detail_text(&self) -> std::borrow::Cow<'_, str> {
        self.detail.text(self.amount)
    }
}

/// A customer id, named without copying it where the batch already holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerId {
    /// The customer of this open item.
    OfItem(ItemIdx),
    /// An id a pass found (customer master or extract), moved, not copied.
    Found(String),
}

impl CustomerId {
    /// The id's text.
    pub fn as_str<'a>(&'a self, batch: &'a Batch) -> &'a str {
        match self {
            CustomerId::OfItem(i) => batch.open_items.get(*i as usize).customer_id(),
            CustomerId::Found(s) => s.as_str(),
        }
    }
}

/// Why an exception row exists, as data; the text is rendered when the
/// column is written ([`ExceptionDetail::text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionDetail {
    /// A zero-amount entry.
    ZeroAmount,
    /// A debit on the bank account.
    NotAReceipt,
    /// Money left after applying to the referenced invoices (the exception's
    /// amount is the remainder).
    Overpayment,
    /// Nothing matched and no pass left a note.
    NoMatch,
    /// What a pass found (its note, moved, not copied).
    Note(String),
}

impl ExceptionDetail {
    /// The text written to `exceptions.parquet`; `amount` is the
    /// exception's amount (named by the overpayment text).
    pub fn text(&self, amount: Decimal) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            ExceptionDetail::ZeroAmount => {
                Cow::Borrowed("zero-amount entry: counted, nothing to apply")
            }
            ExceptionDetail::NotAReceipt => {
                Cow::Borrowed("debit on the bank account: not a customer receipt")
            }
            ExceptionDetail::Overpayment => Cow::Owned(format!(
                "{amount} left on account after applying to the referenced invoices"
            )),
            ExceptionDetail::NoMatch => {
                Cow::Borrowed("no invoice reference and no customer/amount rule matched")
            }
            ExceptionDetail::Note(s) => Cow::Borrowed(s.as_str()),
        }
    }
}

/// Index of a general-ledger account in [`Outcome::gl_accounts`] (the
/// run's GL accounts, interned: a journal line holds 4 bytes, not a string).
pub type GlIdx = u32;

/// Why a journal line exists: the memo, as data. [`Memo::as_str`] is the
/// text written to `postings.parquet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Memo {
    /// Receipt: the bank's cash account debited.
    CashReceived,
    /// Bank debit: the cash account credited.
    BankDebit,
    /// Bank debit: suspense debited.
    BankDebitSuspense,
    /// Early-payment discount granted.
    Discount,
    /// Deduction taken by the payer, with its reason when stated.
    Deduction(Option<DeductionReason>),
    /// Small difference written off.
    Writeoff,
    /// The receivable credited by an application of this rule.
    Receivable(Rule),
    /// The receivable debited with a credit note the payer netted against
    /// an invoice of the same payment (the credit note consumed).
    CreditNoteConsumed,
    /// Unapplied cash on account (payer known).
    OnAccount,
    /// Unidentified receipt held in suspense.
    Suspense,
    /// Returned payment: the bank's cash account credited.
    ReturnDebit,
    /// Returned payment: the receivable debited again (invoice re-opened).
    ReceivableReopened,
    /// Returned payment: the early-payment discount granted is taken back.
    DiscountTakenBack,
    /// Returned payment: the deduction booked with the receipt is taken back.
    DeductionTakenBack,
    /// Returned payment: the write-off booked with the receipt is taken back.
    WriteoffTakenBack,
    /// Returned payment: what the receipt left on account is taken back.
    OnAccountReturned,
    /// Returned payment: what the receipt left in suspense is taken back.
    SuspenseReturned,
    /// A receipt a person decided to pay back (`[gl] refund`).
    Refund,
    /// A receipt a person excluded from cash application, in suspense.
    Ignored,
    /// Intercompany: in the invoice's company, what the receiving company
    /// owes it for the cash it received ("due from").
    IntercompanyDueFrom,
    /// Intercompany: in the receiving company, the cash it holds for the
    /// invoice's company ("due to").
    IntercompanyDueTo,
    /// Cross-currency receipt: the FX position account, credited in the
    /// payment currency and debited in the invoice currency.
    FxPosition,
    /// Realised FX gain (invoice currency).
    FxGain,
    /// Realised FX loss (invoice currency).
    FxLoss,
    /// Bank charges deducted in transit (SHA/OUR/BEN).
    BankCharges,
}

impl Memo {
    /// The memo text.
    pub fn as_str(self) -> &'static str {
        match self {
            Memo::CashReceived => "cash received",
            Memo::BankDebit => "bank debit: not a customer receipt",
            Memo::BankDebitSuspense => "bank debit held in suspense for review",
            Memo::Discount => "early-payment discount granted",
            Memo::Deduction(r) => r.map_or("deduction taken by the payer", |r| r.memo()),
            Memo::Writeoff => "small difference written off",
            Memo::Receivable(rule) => rule.as_str(),
            Memo::CreditNoteConsumed => "credit note netted by the payer: consumed",
            Memo::OnAccount => "unapplied cash on account",
            Memo::Suspense => "unidentified receipt held in suspense",
            Memo::ReturnDebit => "returned payment: cash taken back by the bank",
            Memo::ReceivableReopened => "returned payment: invoice re-opened",
            Memo::DiscountTakenBack => "returned payment: discount taken back",
            Memo::DeductionTakenBack => "returned payment: deduction taken back",
            Memo::WriteoffTakenBack => "returned payment: write-off taken back",
            Memo::OnAccountReturned => "returned payment: unapplied cash taken back",
            Memo::SuspenseReturned => "returned payment: suspense taken back",
            Memo::Refund => "receipt to be refunded to the payer (decision)",
            Memo::Ignored => "receipt excluded from cash application (decision), held in suspense",
            Memo::IntercompanyDueFrom => "intercompany: due from the receiving company",
            Memo::IntercompanyDueTo => "intercompany: due to the invoice's company",
            Memo::FxPosition => "cross-currency receipt: FX position",
            Memo::FxGain => "realised FX gain",
            Memo::FxLoss => "realised FX loss",
            Memo::BankCharges => "bank charges deducted in transit",
        }
    }
}

/// Whose customer id a journal line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostingCustomer {
    /// The customer of this open item.
    OfItem(ItemIdx),
    /// The customer of this exception row (index into
    /// [`Outcome::exceptions`]).
    OfException(u32),
}

/// One line of a double-entry journal, as data: the journal, posting date,
/// currency and transaction id are those of the bank transaction
/// `txn`; the invoice and customer are named by index. The accessors render
/// what `postings.parquet` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    /// The bank transaction journalled: one journal per transaction
    /// (`J-<transaction_id>`).
    pub txn: TxnIdx,
    /// 1-based line within the journal.
    pub line: u32,
    /// General-ledger account from `[gl]`, interned in [`Outcome::gl_accounts`].
    pub gl: GlIdx,
    /// Debit amount (zero on credit lines).
    pub debit: Decimal,
    /// Credit amount (zero on debit lines).
    pub credit: Decimal,
    /// The invoice a receivable, discount, write-off or deduction line is for.
    pub item: Option<ItemIdx>,
    /// The customer, when known.
    pub customer: Option<PostingCustomer>,
    /// Why the line exists.
    pub memo: Memo,
    /// The company the line is booked in (index into
    /// [`Outcome::companies`]): the receiving account's company, except
    /// the lines of an invoice of another company (intercompany).
    pub company: u32,
    /// True on a cross-currency journal's lines in the invoice's currency
    /// (the currency of `item`); false: the transaction's currency.
    pub foreign: bool,
}

impl Posting {
    /// The journal id, `J-<transaction_id>`, written into `out` (cleared first).
    pub fn journal_id_into(&self, batch: &Batch, out: &mut String) {
        out.clear();
        out.push_str("J-");
        out.push_str(batch.transactions.get(self.txn as usize).transaction_id());
    }

    /// The journal id, `J-<transaction_id>`.
    pub fn journal_id(&self, batch: &Batch) -> String {
        let mut s = String::new();
        self.journal_id_into(batch, &mut s);
        s
    }

    /// Booking date of the transaction (value date when absent).
    pub fn posting_date(&self, batch: &Batch) -> Option<NaiveDate> {
        let t = batch.transactions.get(self.txn as usize);
        t.booking_date().or(t.value_date())
    }

    /// ISO 4217 code of the line: the transaction's, or on a
    /// cross-currency journal's invoice-side lines the invoice's.
    pub fn currency<'a>(&self, batch: &'a Batch) -> &'a str {
        match self.item {
            Some(i) if self.foreign => batch.open_items.get(i as usize).currency(),
            _ => batch.transactions.get(self.txn as usize).currency(),
        }
    }

    /// The bank transaction's id.
    pub fn transaction_id<'a>(&self, batch: &'a Batch) -> &'a str {
        batch.transactions.get(self.txn as usize).transaction_id()
    }

    /// The invoice id, when the line is for an invoice.
    pub fn invoice_id<'a>(&self, batch: &'a Batch) -> Option<&'a str> {
        self.item
            .map(|i| batch.open_items.get(i as usize).invoice_id())
    }

    /// The customer id, when known.
    pub fn customer_id<'a>(&self, batch: &'a Batch, outcome: &'a Outcome) -> Option<&'a str> {
        match self.customer? {
            PostingCustomer::OfItem(i) => Some(batch.open_items.get(i as usize).customer_id()),
            PostingCustomer::OfException(e) => outcome.exceptions[e as usize].customer_id(batch),
        }
    }

    /// The GL account's text.
    pub fn gl_account<'a>(&self, outcome: &'a Outcome) -> &'a str {
        outcome.gl_accounts[self.gl as usize].as_str()
    }

    /// The company code the line is booked in.
    pub fn company_code<'a>(&self, outcome: &'a Outcome) -> &'a str {
        outcome.companies.code(self.company)
    }
}

/// Status of an invoice after the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Nothing applied in this run and nothing before.
    Open,
    /// Some of it is paid; the rest is open.
    PartiallyPaid,
    /// Cleared by cash, discount or write-off.
    Paid,
    /// Cleared, part of it by a deduction now in the deduction account.
    ClearedWithDeduction,
    /// Held out of matching (see [`ItemHold`]); open as delivered.
    Held,
}

impl ItemStatus {
    /// The code written to `open_items.parquet`.
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
    /// The open item.
    pub item: ItemIdx,
    /// Cash applied plus discount, write-off and deduction.
    pub amount_applied: Decimal,
    /// What stays open after this run.
    pub amount_open_after: Decimal,
    /// Where the item stands.
    pub status: ItemStatus,
}

/// Aging buckets, in days past due as of the run date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AgingBucket {
    /// Not yet due.
    Current,
    /// 1 to 30 days past due.
    Days1To30,
    /// 31 to 60 days past due.
    Days31To60,
    /// 61 to 90 days past due.
    Days61To90,
    /// 91 to 120 days past due.
    Days91To120,
    /// More than 120 days past due.
    Over120,
}

impl AgingBucket {
    /// Every bucket, youngest first.
    pub const ALL: [AgingBucket; 6] = [
        AgingBucket::Current,
        AgingBucket::Days1To30,
        AgingBucket::Days31To60,
        AgingBucket::Days61To90,
        AgingBucket::Days91To120,
        AgingBucket::Over120,
    ];

    /// The label written to `aging.parquet`.
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
    /// The run's as-of date.
    pub as_of: NaiveDate,
    /// An open item of the row's customer and currency: the row's customer
    /// id and currency are that item's (named by index, not copied).
    pub item: ItemIdx,
    /// Days past due as of `as_of`.
    pub bucket: AgingBucket,
    /// Σ open after of the customer's items in this bucket and currency.
    pub amount: Decimal,
    /// How many items.
    pub items: u64,
}

impl AgingRow {
    /// The customer.
    pub fn customer_id<'a>(&self, batch: &'a Batch) -> &'a str {
        batch.open_items.get(self.item as usize).customer_id()
    }

    /// ISO 4217 code.
    pub fn currency<'a>(&self, batch: &'a Batch) -> &'a str {
        batch.open_items.get(self.item as usize).currency()
    }
}

/// Money totals of a run, per currency; the manifest records them and the
/// invariant checks compare them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct ControlSums {
    /// ISO 4217 code.
    pub currency: String,
    /// Σ of positive transaction amounts (receipts).
    pub received: Decimal,
    /// Σ of negative transaction amounts (debits), as a negative number.
    pub debits: Decimal,
    /// Σ cash applied to invoices.
    pub applied: Decimal,
    /// Σ receipts not applied (on account, suspense, exceptions).
    pub unapplied: Decimal,
    /// Σ discounts granted.
    pub discounts: Decimal,
    /// Σ differences written off.
    pub writeoffs: Decimal,
    /// Transactions in this currency.
    pub transactions: u64,
    /// The company (of the receiving bank account) these totals are for;
    /// totals are per company and currency. Empty in manifests written
    /// before legal entities.
    #[serde(default)]
    pub company_code: String,
}

/// Everything a run decided.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// One row per (transaction, invoice), grouped by transaction.
    pub applications: Vec<Application>,
    /// One row per transaction with unapplied money.
    pub exceptions: Vec<ExceptionRecord>,
    /// The balanced journal.
    pub postings: Vec<Posting>,
    /// The GL accounts journal lines name ([`Posting::gl`] indexes it).
    pub gl_accounts: Vec<String>,
    /// Every open item after the run, in input order.
    pub items_after: Vec<ItemAfter>,
    /// The as-of aging snapshot.
    pub aging: Vec<AgingRow>,
    /// Money totals per currency.
    pub control_sums: Vec<ControlSums>,
    /// Wall-clock-free statistics per pass: proposals made, accepted.
    pub pass_stats: Vec<PassStats>,
    /// Every returned payment and what became of it, in transaction order
    /// (`returns.parquet`; see [`crate::returns`]).
    pub returns: Vec<crate::returns::ReturnRecord>,
    /// The run's legal entities: the company of every transaction and open
    /// item, and the codes [`Posting::company`] indexes.
    pub companies: std::sync::Arc<crate::company::Companies>,
    /// What each cross-currency application gave in the payment's currency,
    /// sorted by (transaction, invoice) like the applications (see
    /// [`Outcome::fx_of`]).
    pub fx: Vec<crate::fx::FxApplication>,
}

impl Outcome {
    /// The cross-currency record of an application, if it is one.
    pub fn fx_of(&self, a: &Application) -> Option<&crate::fx::FxApplication> {
        if self.fx.is_empty() {
            return None;
        }
        self.fx
            .binary_search_by(|f| (f.txn, f.item).cmp(&(a.txn, a.item)))
            .ok()
            .map(|k| &self.fx[k])
    }
}

/// What one matching pass did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct PassStats {
    /// Pass name.
    pub pass: String,
    /// Proposals made.
    pub proposals: u64,
    /// Proposals the ledger accepted.
    pub accepted: u64,
    /// Transactions the accepted proposals consumed.
    pub transactions_applied: u64,
    /// Cash applied by them.
    pub amount_applied: Decimal,
    /// Elapsed time is measured by the caller; engine logic never reads clocks.
    pub suggestions: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worded forms are the ones the exact pass wrote as text before
    /// explanations became data (outputs stay byte-identical).
    #[test]
    fn exact_explanations_read_as_before() {
        let items: OpenItems = ["INV-1", "INV-2"]
            .iter()
            .map(|id| OpenItem {
                invoice_id: (*id).into(),
                ..Default::default()
            })
            .collect();
        assert_eq!(
            Explanation::ExactOne(1).to_text(&items),
            "invoice number INV-2 in remittance; amount equal"
        );
        assert_eq!(
            Explanation::ExactMany(vec![1, 0].into()).to_text(&items),
            "invoice numbers INV-2, INV-1 in remittance; open amounts add up to the payment"
        );
        let text = Explanation::from("anything else".to_string());
        assert_eq!(text.to_text(&items), "anything else");
        let apps: Vec<Application> = [Explanation::ExactOne(0), text]
            .into_iter()
            .map(|explanation| Application {
                txn: 0,
                item: 0,
                applied_amount: Decimal::ZERO,
                discount_amount: Decimal::ZERO,
                writeoff_amount: Decimal::ZERO,
                deduction_amount: Decimal::ZERO,
                deduction_reason: None,
                rule: Rule::ExactReference,
                confidence: 1.0,
                explanation,
            })
            .collect();
        let column = explanation_column(&apps, &items);
        assert_eq!(
            column.value(0),
            "invoice number INV-1 in remittance; amount equal"
        );
        assert_eq!(column.value(1), "anything else");
    }
}
