//! The one remittance model every remittance reader fills: an advice (one
//! payment and who made it) with its lines (which documents it pays), each
//! with an exact locator, and the file's own control checks.

use crate::BalanceCheck;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The remittance formats cashmatch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RemittanceFormat {
    /// ANSI ASC X12 820, payment order / remittance advice (003010 to 005010).
    X12_820,
    /// BAI lockbox transmission (fixed-width records 1, 2, 5, 6, 4, 7, 8, 9).
    Lockbox,
    /// NACHA ACH file whose addenda carry remittance (CTX, CCD+).
    Nacha,
    /// ISO 20022 remt.001, remittance advice.
    Remt001,
    /// ISO 20022 camt.052 read for its structured remittance only.
    Camt052,
    /// ISO 20022 camt.053 read for its structured remittance only.
    Camt053,
    /// ISO 20022 camt.054, debit/credit notification with structured remittance.
    Camt054,
    /// A remittance spreadsheet exported as CSV, columns mapped in config.
    Csv,
    /// A remittance spreadsheet saved as XLSX, columns mapped as for CSV.
    Xlsx,
}

impl RemittanceFormat {
    /// The stable name written to `remittances.parquet` and the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            RemittanceFormat::X12_820 => "x12.820",
            RemittanceFormat::Lockbox => "bai_lockbox",
            RemittanceFormat::Nacha => "nacha",
            RemittanceFormat::Remt001 => "remt.001",
            RemittanceFormat::Camt052 => "camt.052",
            RemittanceFormat::Camt053 => "camt.053",
            RemittanceFormat::Camt054 => "camt.054",
            RemittanceFormat::Csv => "remittance_csv",
            RemittanceFormat::Xlsx => "remittance_xlsx",
        }
    }
}

/// What kind of document a remittance line refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DocumentType {
    /// An invoice (X12 `IV`, `IK`, `AP`; ISO `CINV`; lockbox overflow).
    #[default]
    Invoice,
    /// A credit note or credit memo: reduces what is paid (X12 `CM`, ISO `CREN`).
    CreditNote,
    /// A debit note or debit memo (X12 `DB`, ISO `DEBN`).
    DebitNote,
    /// A purchase order number given instead of an invoice (X12 `PO`, ISO `PUOR`).
    PurchaseOrder,
    /// A creditor reference (ISO 11649 `RF`, Swiss QRR/ISR, Finnish reference).
    CreditorReference,
    /// A tax payment (NACHA `TXP`).
    TaxPayment,
    /// An adjustment not tied to one document (X12 `ADX` at entity level).
    Adjustment,
    /// Any other qualifier; [`AdviceLine::document_code`] has the code.
    Other,
}

impl DocumentType {
    /// The stable name written to outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::Invoice => "invoice",
            DocumentType::CreditNote => "credit_note",
            DocumentType::DebitNote => "debit_note",
            DocumentType::PurchaseOrder => "purchase_order",
            DocumentType::CreditorReference => "creditor_reference",
            DocumentType::TaxPayment => "tax_payment",
            DocumentType::Adjustment => "adjustment",
            DocumentType::Other => "other",
        }
    }
}

/// One payment as the remitter announced it, with the documents it pays.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Advice {
    /// The format it was read from.
    pub format: Option<RemittanceFormat>,
    /// Identity of the advice within its file: X12 `ISA13/GS06/ST02`,
    /// lockbox `lockbox/batch/item`, NACHA trace number, remt.001 `RmtId`,
    /// camt `AcctSvcrRef`/`EndToEndId`, CSV row.
    pub advice_id: String,
    /// What ties the advice to the bank line: X12 `TRN02` (trace number),
    /// NACHA trace number, cheque number, ISO `EndToEndId`.
    pub payment_reference: String,
    /// Who paid, as the advice names them.
    pub payer_name: String,
    /// The payer's account: MICR `routing/account`, IBAN, or as given.
    pub payer_account: String,
    /// Who was paid (the payee, normally us).
    pub payee_name: String,
    /// The payment's amount, when the advice states it.
    pub amount: Option<Decimal>,
    /// ISO 4217 code (X12 and NACHA default to USD, as the formats do).
    pub currency: String,
    /// Effective, deposit or execution date of the payment.
    pub payment_date: Option<NaiveDate>,
    /// How it was paid: `ACH/CTX`, `CHK`, `FWT`, `ACH CTX`, ...
    pub method: String,
    /// True for money received (X12 `BPR03=C`, NACHA credit codes, camt
    /// `CRDT`); false for a debit the advice announces.
    pub credit: bool,
    /// False only for a camt entry that is not booked (`PDNG`, `INFO`).
    pub booked: bool,
    /// Free remittance text that is not a structured line (camt `Ustrd`,
    /// NACHA free-text addenda).
    pub remittance_text: String,
    /// The documents it pays, in file order.
    pub lines: Vec<AdviceLine>,
    /// The worst of the control checks that cover this advice.
    pub check: BalanceCheck,
    /// Why the check failed or could not be made; empty on pass.
    pub check_detail: String,
    /// 1-based line where the advice starts.
    pub source_line: u64,
    /// Exact place: `segment 4 (BPR)`, `line 4`, `Ntfctn[1]/Ntry[2]/NtryDtls/TxDtls[1]`.
    pub locator: String,
}

/// One document an advice pays (or deducts).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdviceLine {
    /// The invoice, credit note or reference number as the remitter wrote it.
    pub invoice_reference: String,
    /// What kind of document it is.
    pub document_type: DocumentType,
    /// The format's own qualifier (`IV`, `CM`, `CINV`, `SCOR`, `TXP`, ...).
    pub document_code: String,
    /// Amount paid against the document, signed (negative for a credit note
    /// taken); `None` when the advice does not say.
    pub amount_paid: Option<Decimal>,
    /// The document's amount (X12 `RMR05`, ISO `DuePyblAmt`).
    pub invoice_amount: Option<Decimal>,
    /// Discount taken (X12 `RMR06`, ISO `DscntApldAmt`).
    pub discount_amount: Option<Decimal>,
    /// Adjustment (deduction negative), X12 `ADX01`/`RMR08`, ISO
    /// `AdjstmntAmtAndRsn` and `CdtNoteAmt`.
    pub adjustment_amount: Option<Decimal>,
    /// The remitter's reason code for the adjustment (X12 `ADX02`, ISO `Rsn`).
    pub adjustment_reason: String,
    /// Other references the remitter gave for this document, qualifier and
    /// value (X12 `REF` inside the RMR loop: `IV` invoice, `PO` purchase
    /// order, `RZ` returned goods authorisation, ...).
    pub references: Vec<(String, String)>,
    /// Dates the remitter gave for this document, qualifier and date (X12
    /// `DTM` inside the RMR loop: `003` invoice date, `004` purchase order).
    pub dates: Vec<(String, NaiveDate)>,
    /// 1-based line where the line starts.
    pub source_line: u64,
    /// Exact place of the line in the file.
    pub locator: String,
}

/// One control check the file's own totals allow: a control total, a
/// count, a hash, a control number, or an advice's amount against its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlCheck {
    /// What was compared, e.g. `BPR02 = sum of RMR04 and entity ADX01`.
    pub name: String,
    /// Where the controlling record is.
    pub locator: String,
    /// Pass, Fail, or NotCheckable when the file does not carry what the
    /// check needs.
    pub result: BalanceCheck,
    /// Both sides and the difference on failure; why on not checkable.
    pub detail: String,
}

/// Everything read from one remittance file.
#[derive(Debug, Clone, Default)]
pub struct ParsedRemittance {
    /// The file's name as given.
    pub source_file: String,
    /// The detected (or forced) format.
    pub format: Option<RemittanceFormat>,
    /// Encoding the bytes were decoded with.
    pub encoding: String,
    /// The layout a lockbox file was read with (profile name); empty otherwise.
    pub layout: String,
    /// Advices in file order.
    pub advices: Vec<Advice>,
    /// Every control check made, in file order, passed or not.
    pub checks: Vec<ControlCheck>,
    /// Non-fatal findings, each naming its place.
    pub warnings: Vec<String>,
}

impl ParsedRemittance {
    /// The file's overall check: Fail if any check failed, Pass if at least
    /// one passed and none failed, NotCheckable otherwise.
    pub fn check(&self) -> BalanceCheck {
        worst(self.checks.iter().map(|c| c.result))
    }

    /// The failed checks, joined for a report line; empty when none failed.
    pub fn check_detail(&self) -> String {
        self.checks
            .iter()
            .filter(|c| c.result == BalanceCheck::Fail)
            .map(|c| format!("{} ({}): {}", c.name, c.locator, c.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Number of remittance lines over all advices.
    pub fn line_count(&self) -> usize {
        self.advices.iter().map(|a| a.lines.len()).sum()
    }
}

/// Fail beats Pass beats NotCheckable.
pub fn worst(results: impl Iterator<Item = BalanceCheck>) -> BalanceCheck {
    let mut out = BalanceCheck::NotCheckable;
    for r in results {
        match r {
            BalanceCheck::Fail => return BalanceCheck::Fail,
            BalanceCheck::Pass => out = BalanceCheck::Pass,
            BalanceCheck::NotCheckable => {}
        }
    }
    out
}
