//! The records every reader produces, and the options it reads with.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize as _;

/// One input handed to a parser: its name (used in every error and in
/// lineage) and its raw bytes.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The file name, as it appears in errors and lineage.
    pub name: &'a str,
    /// The raw bytes, undecoded.
    pub bytes: &'a [u8],
}

impl<'a> Source<'a> {
    /// A source named `name` holding `bytes`.
    pub fn new(name: &'a str, bytes: &'a [u8]) -> Self {
        Source { name, bytes }
    }
}

/// The statement formats cashmatch reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// BAI2 (BAI Cash Management Balance Reporting Specification, v2).
    Bai2,
    /// ISO 20022 camt.052, account report (intraday).
    Camt052,
    /// ISO 20022 camt.053, account statement (end of day).
    Camt053,
    /// ISO 20022 camt.054, debit/credit notification.
    Camt054,
    /// SWIFT MT940, customer statement.
    Mt940,
    /// SWIFT MT942, interim transaction report.
    Mt942,
    /// A bank's or PSP's CSV export, read through a [`CsvProfile`].
    BankCsv,
}

impl Format {
    /// The stable name written to `statements.parquet` and the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Bai2 => "bai2",
            Format::Camt052 => "camt.052",
            Format::Camt053 => "camt.053",
            Format::Camt054 => "camt.054",
            Format::Mt940 => "mt940",
            Format::Mt942 => "mt942",
            Format::BankCsv => "bank_csv",
        }
    }
}

/// Whether the bank has booked an entry. Only booked entries move balances;
/// pending and informational entries are reported but not cash-applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntryStatus {
    /// Booked: moves the balance.
    #[default]
    Booked,
    /// Not yet booked (camt `PDNG`, MT942 forward items, CSV pending rows).
    Pending,
    /// Informational only (camt `INFO`, BAI2 type codes outside credit and debit).
    Info,
}

/// One bank transaction as the bank reported it.
///
/// `amount` is signed: credits (money received) are positive, debits negative.
/// Direction is derived from the format's own indicator (BAI2 type code, camt
/// `CdtDbtInd`, MT940 mark) in exactly one place per parser.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatementTransaction {
    /// Index into [`ParsedFile::statements`] of the statement this belongs to.
    pub statement_index: usize,
    /// 1-based line where the record (BAI2 16, MT940 :61:, camt `Ntry`/`TxDtls`, CSV row) starts.
    pub source_line: u64,
    /// Human locator: `line 17` or an element path such as `Stmt[1]/Ntry[3]/NtryDtls/TxDtls[2]`.
    pub locator: String,
    /// The account the statement is for (IBAN or bank account number).
    pub account: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Signed amount: credits positive, debits negative.
    pub amount: Decimal,
    /// Booking (entry) date, a civil date.
    pub booking_date: Option<NaiveDate>,
    /// Value date, a civil date.
    pub value_date: Option<NaiveDate>,
    /// Payer of a credit, payee of a debit.
    pub counterparty_name: String,
    /// The counterparty's account (IBAN or number), as given.
    pub counterparty_account: String,
    /// Unstructured remittance text (camt `Ustrd` lines joined by a space,
    /// MT940 :86: purpose, BAI2 16 text plus 88 continuations).
    pub remittance_info: String,
    /// Structured creditor references (ISO 11649 `RF..`, QRR, invoice numbers
    /// given in structured fields), in document order.
    pub structured_refs: Vec<String>,
    /// The end-to-end id the originator gave (camt `EndToEndId`, SEPA `EREF`).
    pub end_to_end_id: String,
    /// The bank's own reference (camt `AcctSvcrRef`, BAI2 bank reference,
    /// MT940 `//` bank reference, CSV reference column).
    pub bank_reference: String,
    /// Bank transaction code as given (BAI2 type code, camt domain/family/sub-family
    /// or proprietary code, MT940 `NTRF`-style code).
    pub bank_tx_code: String,
    /// Booked, pending or informational.
    pub status: EntryStatus,
    /// True when the bank marked the entry as a reversal (camt `RvslInd`, MT940 `RC`/`RD`).
    pub reversal: bool,
}

/// One transaction as a reader hands it to a [`TransactionSink`]: the same
/// fields as [`StatementTransaction`] and [`TransactionDetails`], borrowed
/// from the reader's input or its reused row buffer.
///
/// Why borrowed: an owned record costs about eleven heap blocks per bank
/// line, which the engine then copies into its column store and frees; in
/// `cashmatch ingest` of a 1M-line CSV, that copying and freeing was a
/// quarter of the CPU (BENCHMARKS.md, issue 8 target 4). A sink that builds
/// columns appends these slices straight into them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionRef<'a> {
    /// See [`StatementTransaction::statement_index`].
    pub statement_index: usize,
    /// See [`StatementTransaction::source_line`].
    pub source_line: u64,
    /// See [`StatementTransaction::locator`].
    pub locator: &'a str,
    /// See [`StatementTransaction::account`].
    pub account: &'a str,
    /// See [`StatementTransaction::currency`].
    pub currency: &'a str,
    /// See [`StatementTransaction::amount`].
    pub amount: Decimal,
    /// See [`StatementTransaction::booking_date`].
    pub booking_date: Option<NaiveDate>,
    /// See [`StatementTransaction::value_date`].
    pub value_date: Option<NaiveDate>,
    /// See [`StatementTransaction::counterparty_name`].
    pub counterparty_name: &'a str,
    /// See [`StatementTransaction::counterparty_account`].
    pub counterparty_account: &'a str,
    /// See [`StatementTransaction::remittance_info`].
    pub remittance_info: &'a str,
    /// See [`StatementTransaction::structured_refs`].
    pub structured_refs: &'a [&'a str],
    /// See [`StatementTransaction::end_to_end_id`].
    pub end_to_end_id: &'a str,
    /// See [`StatementTransaction::bank_reference`].
    pub bank_reference: &'a str,
    /// See [`StatementTransaction::bank_tx_code`].
    pub bank_tx_code: &'a str,
    /// See [`StatementTransaction::status`].
    pub status: EntryStatus,
    /// See [`StatementTransaction::reversal`].
    pub reversal: bool,
    /// What the reader found beyond the engine's fields.
    pub details: DetailsRef<'a>,
}

/// [`TransactionDetails`], borrowed (see [`TransactionRef`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DetailsRef<'a> {
    /// See [`TransactionDetails::name_source`].
    pub name_source: &'a str,
    /// See [`TransactionDetails::account_source`].
    pub account_source: &'a str,
    /// See [`TransactionDetails::ultimate_party`].
    pub ultimate_party: &'a str,
    /// See [`TransactionDetails::account_holder`].
    pub account_holder: &'a str,
    /// See [`TransactionDetails::returned`].
    pub returned: bool,
    /// See [`TransactionDetails::return_reason`].
    pub return_reason: &'a str,
    /// See [`TransactionDetails::documents`].
    pub documents: &'a [ReferredDocument],
}

impl<'a> DetailsRef<'a> {
    /// Borrows an owned [`TransactionDetails`].
    pub fn of(d: &'a TransactionDetails) -> Self {
        DetailsRef {
            name_source: &d.name_source,
            account_source: &d.account_source,
            ultimate_party: &d.ultimate_party,
            account_holder: &d.account_holder,
            returned: d.returned,
            return_reason: &d.return_reason,
            documents: &d.documents,
        }
    }

    /// The owned [`TransactionDetails`].
    pub fn to_owned_details(&self) -> TransactionDetails {
        TransactionDetails {
            name_source: self.name_source.to_string(),
            account_source: self.account_source.to_string(),
            ultimate_party: self.ultimate_party.to_string(),
            account_holder: self.account_holder.to_string(),
            returned: self.returned,
            return_reason: self.return_reason.to_string(),
            documents: self.documents.to_vec(),
        }
    }
}

impl TransactionRef<'_> {
    /// The owned [`StatementTransaction`].
    pub fn to_transaction(&self) -> StatementTransaction {
        StatementTransaction {
            statement_index: self.statement_index,
            source_line: self.source_line,
            locator: self.locator.to_string(),
            account: self.account.to_string(),
            currency: self.currency.to_string(),
            amount: self.amount,
            booking_date: self.booking_date,
            value_date: self.value_date,
            counterparty_name: self.counterparty_name.to_string(),
            counterparty_account: self.counterparty_account.to_string(),
            remittance_info: self.remittance_info.to_string(),
            structured_refs: self.structured_refs.iter().map(|r| r.to_string()).collect(),
            end_to_end_id: self.end_to_end_id.to_string(),
            bank_reference: self.bank_reference.to_string(),
            bank_tx_code: self.bank_tx_code.to_string(),
            status: self.status,
            reversal: self.reversal,
        }
    }
}

/// Where a reader puts each transaction as it reads it, in file order.
///
/// The reader keeps statements, warnings and errors itself (they are few);
/// transactions, the many, go to the sink, which decides how to keep them:
/// [`CollectTransactions`] rebuilds today's owned records, the engine
/// appends them into its column store. A file that turns out broken after
/// some rows were pushed is still an `Err` from the reader: the caller
/// drops what its sink received (a file is ingested whole or not at all).
pub trait TransactionSink {
    /// Called once per transaction, in file order, with the counterparty
    /// already completed from free text where no field gave one.
    fn push(&mut self, transaction: &TransactionRef<'_>);

    /// A hint that about `rows` transactions will follow.
    fn reserve(&mut self, rows: usize) {
        let _ = rows;
    }
}

/// The sink that keeps owned records: [`parse_source`](crate::parse_source)
/// and each format's `parse` read through it, so their callers and the
/// golden renderings see what they always saw.
#[derive(Debug, Default)]
pub struct CollectTransactions {
    /// Every transaction pushed, in order.
    pub transactions: Vec<StatementTransaction>,
    /// One per transaction, same order.
    pub details: Vec<TransactionDetails>,
}

impl TransactionSink for CollectTransactions {
    fn push(&mut self, t: &TransactionRef<'_>) {
        self.transactions.push(t.to_transaction());
        self.details.push(t.details.to_owned_details());
    }

    fn reserve(&mut self, rows: usize) {
        // An estimate that cannot be reserved is simply not used.
        let _ = self.transactions.try_reserve_exact(rows);
        let _ = self.details.try_reserve_exact(rows);
    }
}

impl CollectTransactions {
    /// `parsed` with the collected transactions and details put in.
    pub fn into_parsed(self, mut parsed: ParsedFile) -> ParsedFile {
        parsed.transactions = self.transactions;
        parsed.details = self.details;
        parsed
    }
}

/// Pushes `t` after filling an empty counterparty name or account from
/// free text, exactly as [`complete_details`] does for owned records.
pub(crate) fn push_completed(sink: &mut dyn TransactionSink, t: TransactionRef<'_>) {
    if !t.counterparty_name.is_empty() && !t.counterparty_account.is_empty() {
        sink.push(&t);
        return;
    }
    let (name, account, source) = party_in_free_text(t.remittance_info);
    let mut t = t;
    if t.counterparty_name.is_empty() && !name.is_empty() {
        t.counterparty_name = &name;
        t.details.name_source = source;
    }
    if t.counterparty_account.is_empty() && !account.is_empty() {
        t.counterparty_account = &account;
        t.details.account_source = source;
    }
    sink.push(&t);
}

/// Pushes the owned records of `parsed` into `sink` and leaves `parsed`
/// without them: the path of the readers that still build owned records.
pub(crate) fn replay(parsed: &mut ParsedFile, sink: &mut dyn TransactionSink) {
    let transactions = std::mem::take(&mut parsed.transactions);
    let mut details = std::mem::take(&mut parsed.details).into_iter();
    sink.reserve(transactions.len());
    let mut refs: Vec<&str> = Vec::new();
    for t in &transactions {
        let d = details.next().unwrap_or_default();
        refs.clear();
        refs.extend(t.structured_refs.iter().map(String::as_str));
        sink.push(&TransactionRef {
            statement_index: t.statement_index,
            source_line: t.source_line,
            locator: &t.locator,
            account: &t.account,
            currency: &t.currency,
            amount: t.amount,
            booking_date: t.booking_date,
            value_date: t.value_date,
            counterparty_name: &t.counterparty_name,
            counterparty_account: &t.counterparty_account,
            remittance_info: &t.remittance_info,
            structured_refs: &refs,
            end_to_end_id: &t.end_to_end_id,
            bank_reference: &t.bank_reference,
            bank_tx_code: &t.bank_tx_code,
            status: t.status,
            reversal: t.reversal,
            details: DetailsRef::of(&d),
        });
    }
}

/// Where a reader found the counterparty of a transaction: the tag, field or
/// element, written as the bank wrote it (`ORIG CO NAME:`, `?32`, `/ORDP/`,
/// `UltmtDbtr`), so an analyst can tell a name the bank gave in a dedicated
/// field from one read out of free text.
pub type PartySource = String;

/// What a reader learned about one transaction beyond the fields the engine
/// reads today: where the counterparty came from, the ultimate party, a
/// return marker and structured documents with their type and amount.
///
/// One per transaction, in [`ParsedFile::details`] at the transaction's
/// index. Kept beside [`StatementTransaction`] rather than inside it so the
/// engine's record conversion is unchanged; the engine can read it from
/// there when it learns to use it (issue 9).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransactionDetails {
    /// Tag or element the counterparty name came from; empty when none.
    pub name_source: PartySource,
    /// Tag or element the counterparty account came from; empty when none.
    pub account_source: PartySource,
    /// The party the payment was made for or by when the bank names it apart
    /// from the account holder (camt `UltmtDbtr`/`UltmtCdtr`). When present
    /// it is also the transaction's `counterparty_name`: a receivable is
    /// owed by the ultimate debtor, the account holder may be a payment
    /// factory or a payment service provider.
    pub ultimate_party: String,
    /// The account holder's own name when [`TransactionDetails::ultimate_party`]
    /// replaced it as the counterparty name (camt `Dbtr`/`Cdtr`).
    pub account_holder: String,
    /// The bank marked this as a returned or rejected payment (MT940 `/RTRN/`,
    /// DFÜ `RETOURE`/GVC 159, camt `RtrInf`, BAI2 `Return`): money coming
    /// back, not a receipt from a customer.
    pub returned: bool,
    /// Return reason code as given (`MS03`, `R02`, DFÜ `?34` key); may be empty.
    pub return_reason: String,
    /// Referred documents of a structured remittance (camt `Strd`), in order.
    pub documents: Vec<ReferredDocument>,
}

impl TransactionDetails {
    /// True when nothing beyond the engine's fields was found.
    pub fn is_empty(&self) -> bool {
        *self == TransactionDetails::default()
    }
}

/// One document a structured remittance refers to (camt `Strd`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReferredDocument {
    /// `RfrdDocInf/Nb`, or the creditor reference `CdtrRefInf/Ref`.
    pub number: String,
    /// `RfrdDocInf/Tp/CdOrPrtry/Cd` or `Prtry` as given (`CINV` invoice,
    /// `CREN` credit note, `DEBN` debit note, ...); `SCOR` for a creditor
    /// reference; empty when the bank gave no type.
    pub kind: String,
    /// `RfrdDocAmt`: the amount remitted for it (`RmtdAmt`), else the amount
    /// due (`DuePyblAmt`), else a credit note amount (`CdtNoteAmt`, negative).
    pub amount: Option<Decimal>,
}

impl ReferredDocument {
    /// True for a credit note (`CREN`, `CRNO`-style codes): it reduces what
    /// is paid, it is not an invoice being paid.
    pub fn is_credit_note(&self) -> bool {
        matches!(self.kind.as_str(), "CREN" | "CRNO" | "CDNT")
            || self.amount.is_some_and(|a| a.is_sign_negative())
    }
}

/// The `line 17` locator of a record that starts on `line`, written into
/// `out` (cleared first), so a reader reuses one buffer for every
/// transaction's locator.
///
/// PERF: equal to `format!("line {line}")`, but written without
/// `core::fmt`, which was ~8% of the BAI2 and CSV readers (see the
/// `throughput` tests in `tests/bai2.rs` and `tests/bank_csv.rs`).
pub(crate) fn write_line_locator(out: &mut String, line: u64) {
    const PREFIX: &str = "line ";
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = line;
    loop {
        start -= 1;
        // `rest % 10` is below 10, so the cast cannot truncate.
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.clear();
    out.push_str(PREFIX);
    out.push_str(std::str::from_utf8(&digits[start..]).unwrap_or_default());
}

/// Exactly [`str::trim`], with a fast path for ASCII edges.
///
/// PERF: `str::trim` decodes a `char` at each end to test Unicode
/// `White_Space`; every field is trimmed, and this was ~4% of the BAI2 and
/// CSV readers (`throughput` in tests/bai2.rs and tests/bank_csv.rs). Only
/// when a non-ASCII byte is left at an edge can Unicode whitespace remain,
/// and then `str::trim` finishes the job.
pub(crate) fn trim_fast(text: &str) -> &str {
    // The ASCII members of `White_Space`: tab, line feed, vertical tab,
    // form feed, carriage return and space.
    let is_space = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
    let bytes = text.as_bytes();
    let start = bytes
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |i| i + 1);
    // Both ends sit next to ASCII bytes, so they are char boundaries.
    let inner = text.get(start..end).unwrap_or_default();
    match (inner.as_bytes().first(), inner.as_bytes().last()) {
        (Some(&first), Some(&last)) if !first.is_ascii() || !last.is_ascii() => inner.trim(),
        _ => inner,
    }
}

/// True when `t` has the shape of an IBAN (two letters, two digits, 8..=30
/// letters or digits) and its ISO 7064 mod-97 check holds: the test for an
/// IBAN met in free text, where a shape alone could be a reference.
pub(crate) fn is_valid_iban(t: &str) -> bool {
    let b = t.as_bytes();
    // PERF: the shape of the first four bytes and the length range of the
    // table (15..=32) first: almost every word of a remittance text fails
    // here, before the country table is searched (that search was ~19 % of
    // the BAI2 reader: every detail without a tagged party is scanned).
    let plausible = (15..=32).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit);
    if !plausible {
        return false;
    }
    let country_length = b.get(..2).and_then(|cc| {
        IBAN_LENGTHS
            .iter()
            .find(|(code, _)| code.as_bytes() == cc)
            .map(|&(_, n)| n)
    });
    let shaped = country_length == Some(b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !shaped {
        return false;
    }
    let mut rest: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rest = if v >= 10 {
            (rest * 100 + v) % 97
        } else {
            (rest * 10 + v) % 97
        };
    }
    rest == 1
}

/// IBAN length per country (ISO 13616 registry): a token in free text is
/// an IBAN only with its country's length and valid check digits, so a
/// bank reference such as `SC2323300002416` (15 characters, but a
/// Seychelles IBAN has 31) is not taken for one.
const IBAN_LENGTHS: [(&str, usize); 79] = [
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("LY", 25),
    ("SD", 18),
];

/// Labels in free text after which banks write the counterparty's account,
/// each with the label that gives the name, if that bank writes one
/// (ABN AMRO `REK: NL..IBAN/NAAM: name`, mBank `Z RACH.: ...; OD: name;`,
/// German `IBAN: DE..`).
const FREE_TEXT_ACCOUNT_LABELS: [(&str, Option<&str>); 4] = [
    ("REK:", Some("NAAM:")),
    ("Z RACH.:", Some("OD:")),
    ("IBAN:", None),
    ("IBAN ", None),
];

/// The counterparty written only in free text, as `(name, account, source)`
/// with empty parts where none was found: labelled accounts and names
/// ([`FREE_TEXT_ACCOUNT_LABELS`]), the easybank layout
/// (`BG/000000002 [BIC] IBAN name` at the end of the text), else a token that
/// passes the IBAN check digits.
pub(crate) fn party_in_free_text(text: &str) -> (String, String, &'static str) {
    // PERF: one searcher per label for the whole process; `str::find`
    // built a `StrSearcher` per label and text (~10 % of the BAI2 reader).
    static FINDERS: std::sync::OnceLock<Vec<memchr::memmem::Finder<'static>>> =
        std::sync::OnceLock::new();
    let finders = FINDERS.get_or_init(|| {
        FREE_TEXT_ACCOUNT_LABELS
            .iter()
            .map(|(label, _)| memchr::memmem::Finder::new(label.as_bytes()))
            .collect()
    });
    for ((label, name_label), finder) in FREE_TEXT_ACCOUNT_LABELS.into_iter().zip(finders) {
        // The same first occurrence as `text.find(label)`.
        let Some(at) = finder.find(text.as_bytes()) else {
            continue;
        };
        let after = text[at + label.len()..].trim_start();
        let account: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let iban_label = label.starts_with("IBAN");
        if account.len() < 8 || (iban_label && !is_valid_iban(&account)) {
            continue;
        }
        let name = name_label
            .and_then(|l| text.find(l).map(|i| &text[i + l.len()..]))
            .map(|n| n.split(';').next().unwrap_or("").trim().to_string())
            .unwrap_or_default();
        let source = match label {
            "REK:" => "free text REK:/NAAM:",
            "Z RACH.:" => "free text Z RACH.:/OD:",
            _ => "free text IBAN:",
        };
        return (name, account, source);
    }
    if let Some(found) = easybank_party(text) {
        return found;
    }
    let is_separator = |c: char| c.is_whitespace() || c == '/' || c == ',' || c == ';';
    let found = if text.is_ascii() {
        // PERF: the same tokens split on bytes (ASCII whitespace is tab to
        // carriage return, vertical tab included, and space).
        text.as_bytes()
            .split(|&b| matches!(b, b'\t'..=b'\r' | b' ' | b'/' | b',' | b';'))
            .map(|t| std::str::from_utf8(t).unwrap_or_default())
            .find(|t| is_valid_iban(t))
    } else {
        text.split(is_separator).find(|t| is_valid_iban(t))
    };
    if let Some(token) = found {
        return (String::new(), token.to_string(), "free text IBAN");
    }
    (String::new(), String::new(), "")
}

/// easybank (AT) descriptions end with the booking code, the counterparty's
/// BIC (optional), IBAN and name: `... FE/000000003 ABCDEF1G235
/// AT098765432109876543 Payment receiver`. Read only when the code is
/// there, so a plain IBAN-shaped word elsewhere is not taken for one.
fn easybank_party(text: &str) -> Option<(String, String, &'static str)> {
    // PERF: the booking code (`FE/000000003`) has two capitals, a slash and
    // nine digits; a text without that shape is not split into words at
    // all (the split and its `Vec` were ~10 % of the BAI2 reader).
    let bytes = text.as_bytes();
    let has_code_shape = memchr::memchr_iter(b'/', bytes).any(|p| {
        p >= 2
            && bytes[p - 2..p].iter().all(u8::is_ascii_uppercase)
            && bytes
                .get(p + 1..p + 10)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    });
    if !has_code_shape {
        return None;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let code_at = words.iter().rposition(|w| {
        let b = w.as_bytes();
        b.len() == 12
            && b[..2].iter().all(u8::is_ascii_uppercase)
            && b[2] == b'/'
            && b[3..].iter().all(u8::is_ascii_digit)
    })?;
    let mut k = code_at + 1;
    let is_bic = |w: &str| {
        (w.len() == 8 || w.len() == 11)
            && w.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && w.as_bytes()[..4].iter().all(u8::is_ascii_uppercase)
    };
    if words.get(k).is_some_and(|w| is_bic(w)) {
        k += 1;
    }
    let account = *words.get(k)?;
    let b = account.as_bytes();
    let shaped = (12..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    let name = words[k + 1..].join(" ");
    Some((name, account.to_string(), "free text easybank"))
}

/// Last step of every reader: one [`TransactionDetails`] per transaction,
/// and the counterparty read from free text where no field gave one.
pub(crate) fn complete_details(parsed: &mut ParsedFile) {
    parsed
        .details
        .resize(parsed.transactions.len(), TransactionDetails::default());
    for (tx, d) in parsed.transactions.iter_mut().zip(&mut parsed.details) {
        if !tx.counterparty_name.is_empty() && !tx.counterparty_account.is_empty() {
            continue;
        }
        let (name, account, source) = party_in_free_text(&tx.remittance_info);
        if tx.counterparty_name.is_empty() && !name.is_empty() {
            tx.counterparty_name = name;
            d.name_source = source.to_string();
        }
        if tx.counterparty_account.is_empty() && !account.is_empty() {
            tx.counterparty_account = account;
            d.account_source = source.to_string();
        }
    }
}

/// Result of a statement's own arithmetic check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BalanceCheck {
    /// The statement's own totals agree.
    Pass,
    /// They disagree; [`Statement::check_detail`] says how.
    Fail,
    /// The statement does not carry what the check needs (no opening or
    /// closing balance, a camt.054 notification, a CSV without balances).
    #[default]
    NotCheckable,
}

impl BalanceCheck {
    /// The stable name written to outputs (`pass`, `fail`, `not_checkable`).
    pub fn as_str(self) -> &'static str {
        match self {
            BalanceCheck::Pass => "pass",
            BalanceCheck::Fail => "fail",
            BalanceCheck::NotCheckable => "not_checkable",
        }
    }
}

/// One statement (camt `Stmt`/`Rpt`/`Ntfctn`, MT940 message, BAI2 account,
/// CSV file) with the result of its own balance and control-total checks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Statement {
    /// The format it was read from.
    pub format: Option<Format>,
    /// camt `Stmt/Id`, MT940 `:20:`, BAI2 `file-id/group/account`.
    pub statement_id: String,
    /// camt `ElctrncSeqNb`/`LglSeqNb`, MT940 `:28C:`; empty when absent.
    pub sequence: String,
    /// The account (IBAN or bank account number).
    pub account: String,
    /// ISO 4217 code of the account.
    pub currency: String,
    /// First day covered.
    pub from_date: Option<NaiveDate>,
    /// Last day covered.
    pub to_date: Option<NaiveDate>,
    /// Opening balance, signed.
    pub opening_balance: Option<Decimal>,
    /// Closing balance, signed.
    pub closing_balance: Option<Decimal>,
    /// Sum of the signed booked entries of this statement.
    pub entries_sum: Decimal,
    /// Number of transactions of this statement in [`ParsedFile::transactions`].
    pub entries: u64,
    /// Result of the statement's own balance and control-total checks.
    pub balance_check: BalanceCheck,
    /// Which total disagreed and by how much; empty on pass.
    pub check_detail: String,
    /// 1-based line where the statement starts.
    pub source_line: u64,
}

/// Everything read from one file.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    /// The file's name as given.
    pub source_file: String,
    /// The detected (or forced) format.
    pub format: Option<Format>,
    /// Encoding the bytes were decoded with (`UTF-8`, `windows-1252`, ...).
    pub encoding: String,
    /// Statements in file order.
    pub statements: Vec<Statement>,
    /// Transactions in file order; each names its statement.
    pub transactions: Vec<StatementTransaction>,
    /// One entry per transaction, same order: what the reader found beyond
    /// the transaction's fields (sources of the counterparty, return marker,
    /// structured documents).
    pub details: Vec<TransactionDetails>,
    /// Non-fatal findings (tolerated dialect quirks), each naming its line.
    pub warnings: Vec<String>,
}

impl ParsedFile {
    /// True when any statement failed its own balance or control-total check.
    pub fn has_failed_checks(&self) -> bool {
        self.statements
            .iter()
            .any(|s| s.balance_check == BalanceCheck::Fail)
    }
}

/// Hard caps that keep a hostile or broken file from exhausting memory or
/// time. Exceeding one rejects the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes; a larger one is refused before it is read.
    pub file_bytes_max: u64,
    /// Longest line (BAI2, MT940, CSV record), in bytes.
    pub line_bytes_max: usize,
    /// Most records (transactions) per file.
    pub records_max: u64,
    /// Deepest XML nesting (camt).
    pub xml_depth_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // 4 GiB: the largest statement file a bank portal produces is well under this.
            file_bytes_max: 4 << 30,
            // 64 KiB: BAI2 and MT940 lines are 80-ish bytes; CSV remittance columns rarely exceed 1 KiB.
            line_bytes_max: 64 * 1024,
            records_max: 50_000_000,
            // camt nests about 12 levels deep; 64 leaves room for vendor extensions.
            xml_depth_max: 64,
        }
    }
}

/// How to read the CSV export of one bank.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvProfile {
    /// The profile's name, reported in lineage and errors.
    pub name: String,
    /// Field delimiter, one ASCII byte; in TOML a one-character string
    /// (`";"`) or the byte's number (`59`).
    #[serde(deserialize_with = "deserialize_delimiter")]
    pub delimiter: u8,
    /// `.` or `,`.
    pub decimal_separator: char,
    /// Grouping character allowed inside amounts (`,` `.` `'` or none).
    pub thousands_separator: Option<char>,
    /// chrono format string, e.g. `%d.%m.%Y`.
    pub date_format: String,
    /// Lines to skip before the header (bank preambles).
    pub skip_lines: usize,
    /// Whether the file has a header row; without one, columns are by position (`#0`, `#1`, ...).
    pub has_header: bool,
    /// Which column holds which field.
    pub columns: CsvColumns,
    /// Fixed values when the export has no such column.
    /// Account of every row, when the export has no account column.
    pub account: Option<String>,
    /// Currency of every row, when the export has no currency column.
    pub currency: Option<String>,
    /// WHATWG label of the encoding the bank writes (`windows-1252` for the
    /// German and Austrian exports). Used only when the file is not valid
    /// UTF-8 and [`ParseOptions::encoding`] is unset.
    pub encoding: Option<String>,
    /// For headerless profiles: the exact number of fields per row, which
    /// (with a trial parse of the first row) identifies the export.
    pub field_count: Option<usize>,
    /// Rows are newest first (DCU, Schwab, ING DE): the running balance of a
    /// row is the next row's balance plus this row's amount.
    pub newest_first: bool,
    /// The balance column holds the balance *before* the row (ASN), not after.
    pub balance_before_row: bool,
    /// Rows whose booking date is not a date (footers, disclaimers, totals)
    /// are skipped with a warning instead of rejecting the file.
    pub junk_rows: bool,
    /// Rows may be wider or narrower than the header; extra cells are
    /// appended to the remittance text, missing cells read as empty.
    pub ragged_rows: bool,
    /// First cell of a preamble row that carries the account number in its second cell (`IBAN`).
    pub account_label: Option<String>,
    /// First cell of a preamble or footer row carrying the opening balance.
    pub opening_balance_label: Option<String>,
    /// First cell of a preamble or footer row carrying the closing balance.
    pub closing_balance_label: Option<String>,
    /// Single-cell section rows after which rows are pending / booked (Schwab).
    pub pending_section: Option<String>,
    /// Single-cell section row after which rows are booked (Schwab).
    pub booked_section: Option<String>,
}

/// A delimiter written as a one-character ASCII string or as its byte.
fn deserialize_delimiter<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Delimiter {
        Byte(u8),
        Text(String),
    }
    match Delimiter::deserialize(d)? {
        Delimiter::Byte(b) => Ok(b),
        Delimiter::Text(t) => match t.as_bytes() {
            [b] if b.is_ascii() => Ok(*b),
            _ => Err(serde::de::Error::custom(format!(
                "delimiter `{t}` must be one ASCII character"
            ))),
        },
    }
}

/// Header names (or `#N` positions) of the columns a profile reads.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvColumns {
    /// Account column.
    pub account: Option<String>,
    /// Booking date column (required).
    pub booking_date: Option<String>,
    /// Value date column.
    pub value_date: Option<String>,
    /// Signed amount column.
    pub amount: Option<String>,
    /// Separate unsigned credit / debit columns (used when `amount` is absent).
    pub credit: Option<String>,
    /// Debit column (see `credit`).
    pub debit: Option<String>,
    /// Direction column with its credit marker (e.g. `Af/Bij` with `Bij`).
    pub direction: Option<String>,
    /// The direction column's value meaning credit (`Bij`).
    pub direction_credit_value: Option<String>,
    /// Currency column.
    pub currency: Option<String>,
    /// Counterparty name column.
    pub counterparty_name: Option<String>,
    /// Counterparty account column.
    pub counterparty_account: Option<String>,
    /// One or more columns joined with a space into the remittance text.
    pub remittance_info: Vec<String>,
    /// The bank's reference column.
    pub bank_reference: Option<String>,
    /// Running balance column (after the row, or before it with
    /// [`CsvProfile::balance_before_row`]).
    pub balance: Option<String>,
    /// Debit marker of the direction column; when unset every value other
    /// than the credit marker is a debit.
    pub direction_debit_value: Option<String>,
    /// Status column and the values of it that mean "not yet booked".
    pub status: Option<String>,
    /// Values of the status column that mean "not yet booked".
    pub status_pending_values: Vec<String>,
    /// End-to-end id column.
    pub end_to_end_id: Option<String>,
    /// Bank transaction code column.
    pub bank_tx_code: Option<String>,
    /// Columns holding structured references (invoice or order numbers).
    pub structured_refs: Vec<String>,
}

impl Default for CsvProfile {
    fn default() -> Self {
        CsvProfile {
            name: "canonical".into(),
            delimiter: b',',
            decimal_separator: '.',
            thousands_separator: None,
            date_format: "%Y-%m-%d".into(),
            skip_lines: 0,
            has_header: true,
            columns: CsvColumns {
                account: Some("account".into()),
                booking_date: Some("booking_date".into()),
                value_date: Some("value_date".into()),
                amount: Some("amount".into()),
                currency: Some("currency".into()),
                counterparty_name: Some("counterparty_name".into()),
                counterparty_account: Some("counterparty_account".into()),
                remittance_info: vec!["remittance_info".into()],
                bank_reference: Some("bank_reference".into()),
                ..CsvColumns::default()
            },
            account: None,
            currency: None,
            encoding: None,
            field_count: None,
            newest_first: false,
            balance_before_row: false,
            junk_rows: false,
            ragged_rows: false,
            account_label: None,
            opening_balance_label: None,
            closing_balance_label: None,
            pending_section: None,
            booked_section: None,
        }
    }
}

/// Options for one parse.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Force a format instead of detecting it.
    pub format: Option<Format>,
    /// Decode with this encoding (`windows-1252`, `iso-8859-1`, ...) instead of
    /// what the file declares; UTF-8 is the default and is checked strictly.
    pub encoding: Option<String>,
    /// Hard caps on size, records and depth.
    pub limits: Limits,
    /// Bank CSV profiles to try (by header match) before the canonical layout.
    pub csv_profiles: Vec<CsvProfile>,
}

#[cfg(test)]
mod tests {
    use super::{is_valid_iban, party_in_free_text, trim_fast, write_line_locator};

    #[test]
    fn iban_check_digits() {
        assert!(is_valid_iban("DE14740618130000033626"));
        assert!(is_valid_iban("NL91ABNA0417164300"));
        assert!(!is_valid_iban("NL91ABNA0417164301"));
        assert!(!is_valid_iban("AB12"));
        assert!(!is_valid_iban("de14740618130000033626"));
    }

    #[test]
    fn party_in_free_text_forms() {
        // Real lines of the public samples (see tests/samples/SOURCES.md).
        assert_eq!(
            party_in_free_text("FACTUUR 201403110, 201403113 REK: NL65INGB0123456789/NAAM: PICQER"),
            (
                "PICQER".into(),
                "NL65INGB0123456789".into(),
                "free text REK:/NAAM:"
            )
        );
        assert_eq!(
            party_in_free_text("911 TRANSAKCJA COLLECT; Z RACH.: 56114010810000267002001001; OD: JAN NOWAK UL. NIJAKA 1; TYT.: PRZELEW"),
            ("JAN NOWAK UL. NIJAKA 1".into(), "56114010810000267002001001".into(), "free text Z RACH.:/OD:")
        );
        assert_eq!(
            party_in_free_text("Usage, specific reason                       FE/000000003 ABCDEF1G235 AT098765432109876543 Payment receiver"),
            ("Payment receiver".into(), "AT098765432109876543".into(), "free text easybank")
        );
        assert_eq!(
            party_in_free_text("Testüberweisung mit BIC und IBAN SEPA IBAN: DE14740618130000033626 BIC: GENODEF1PFK"),
            (String::new(), "DE14740618130000033626".into(), "free text IBAN:")
        );
        // An IBAN shape whose check digits fail is a reference, not an account.
        assert_eq!(party_in_free_text("Invoice AB12CDEF12345678").1, "");
        // Found between any of the separators, ASCII or not.
        for text in [
            "x\x0BNL91ABNA0417164300;y",
            "a/NL91ABNA0417164300,b",
            "é NL91ABNA0417164300\u{A0}z",
            "é\u{A0}NL91ABNA0417164300 z",
        ] {
            assert_eq!(party_in_free_text(text).1, "NL91ABNA0417164300", "{text:?}");
        }
    }

    #[test]
    fn line_locator_matches_format() {
        let mut buffer = String::from("stale");
        for line in [0, 1, 9, 10, 17, 99, 100, 123_456_789, u64::MAX] {
            write_line_locator(&mut buffer, line);
            assert_eq!(buffer, format!("line {line}"));
        }
    }

    #[test]
    fn trim_fast_matches_trim() {
        let cases = [
            "",
            " ",
            "a",
            " a ",
            "\t\x0B\x0Ca b\r\n",
            "\u{A0}x\u{A0}",
            " \u{3000} x \u{2003}",
            "\u{85}",
            "é",
            " é ",
            "\x1Fx\x1F",
            "a\u{A0}",
            "\u{A0}",
        ];
        for case in cases {
            assert_eq!(trim_fast(case), case.trim(), "{case:?}");
        }
    }
}
