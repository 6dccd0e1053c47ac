//! The ingest rules: what a parsed bank file contributes to a run, decided
//! without touching a file. The CLI reads bytes and the store remembers what
//! earlier runs saw; these functions say what the rules are (RELIABILITY.md
//! B1-3, B1-8, B1-9, B2-25):
//!
//! - a file with a structural defect is rejected whole ([`structural_problem`]);
//! - a file whose own totals fail is excluded unless the run accepts
//!   unbalanced statements ([`disposition`]);
//! - booked transactions get stable ids per statement, so the occurrence
//!   index that keeps identical lines apart counts within one statement
//!   ([`booked_transactions`]);
//! - a statement is known by its identity ([`statement_identity`]) and its
//!   content hash ([`statement_content_sha256`]): same identity and hash is a
//!   re-delivery, same identity and another hash is a conflicting re-issue
//!   ([`statement_verdict`]).

use crate::columns::{Transactions, TransactionsBuilder, TxnView};
use crate::identity::{assign_transaction_ids, identity_key_of, transaction_id};
use crate::model::BankTransaction;
use cashmatch_parsers::{
    EntryStatus, Format, ParsedFile, Statement, StatementTransaction, TransactionRef,
    TransactionSink,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// What the run does with a parsed file's statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Its own checks passed (or it has none): ingested.
    Accepted,
    /// Its own totals failed but `accept_unbalanced` let it in.
    AcceptedUnbalanced,
    /// Its own totals failed: excluded.
    RejectedUnbalanced,
    /// Already processed (byte-identical file, or the same statement with
    /// the same content): an idempotent skip, no new money.
    Duplicate,
    /// Same statement identity as an earlier one, different content: the
    /// whole file is rejected (RELIABILITY.md B1-8).
    RejectedConflict,
}

impl Disposition {
    /// The code written to `statements.parquet` and the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Accepted => "accepted",
            Disposition::AcceptedUnbalanced => "accepted_unbalanced",
            Disposition::RejectedUnbalanced => "rejected_unbalanced",
            Disposition::Duplicate => "duplicate",
            Disposition::RejectedConflict => "rejected_conflict",
        }
    }

    /// True when the statement's transactions enter the run.
    pub fn is_ingested(self) -> bool {
        matches!(
            self,
            Disposition::Accepted | Disposition::AcceptedUnbalanced
        )
    }
}

/// Accepted, accepted unbalanced or rejected, from the file's own checks.
pub fn disposition(failed_own_checks: bool, accept_unbalanced: bool) -> Disposition {
    match (failed_own_checks, accept_unbalanced) {
        (false, _) => Disposition::Accepted,
        (true, true) => Disposition::AcceptedUnbalanced,
        (true, false) => Disposition::RejectedUnbalanced,
    }
}

/// Defects that make a parsed file unusable whatever the options: they
/// could change totals, so the whole file is rejected (never ingested
/// half), even under `--accept-unbalanced`.
pub fn structural_problem(parsed: &ParsedFile) -> Option<String> {
    let currency_problem = parsed
        .transactions
        .iter()
        .find(|t| !cashmatch_parsers::currency::is_iso_4217(&t.currency))
        .map(|t| currency_problem(&t.locator, &t.currency));
    structural_problem_of(
        &parsed.statements,
        !parsed.transactions.is_empty(),
        currency_problem.as_deref(),
    )
}

/// The message of a transaction whose currency is not ISO 4217.
fn currency_problem(locator: &str, currency: &str) -> String {
    format!("{locator}: currency `{currency}` is not an ISO 4217 code")
}

/// [`structural_problem`] from a file's statements, whether it had any
/// transaction, and the first transaction currency problem (what
/// [`BookedSink`] records while the file is read).
pub fn structural_problem_of(
    statements: &[Statement],
    has_transactions: bool,
    currency_problem: Option<&str>,
) -> Option<String> {
    if statements.is_empty() && !has_transactions {
        // RELIABILITY.md B2-25: never silently import zero rows.
        return Some("holds no statement and no transaction (a header without rows?)".into());
    }
    for s in statements {
        // B1-3: an MT940 message that opens a balance but never closes it
        // was cut off; the parser reports it as a failed check, but it is
        // a truncation, which `--accept-unbalanced` must not let through.
        if s.format == Some(Format::Mt940)
            && s.opening_balance.is_some()
            && s.closing_balance.is_none()
        {
            return Some(format!(
                "statement `{}` (line {}) has an opening balance but no closing :62F:/:62M: balance: the file is truncated",
                s.statement_id, s.source_line
            ));
        }
        if !s.currency.is_empty() && !cashmatch_parsers::currency::is_iso_4217(&s.currency) {
            return Some(format!(
                "statement `{}` (line {}) is in `{}`, which is not an ISO 4217 currency",
                s.statement_id, s.source_line, s.currency
            ));
        }
    }
    currency_problem.map(str::to_string)
}

/// The booked transactions of one file, appended into a column store as
/// the parser reads them: the [`TransactionSink`] of `run` and `ingest`.
///
/// It applies [`booked_transactions`]' rules row by row: pending and
/// informational entries are counted, not kept; each booked row gets its
/// stable id with the occurrence index counted within its statement (file
/// order within a statement is the order rows arrive, so the ids equal
/// `booked_transactions`' ids). It also notes what [`structural_problem`]
/// and the return markers need, so no owned record of a row is ever built.
#[derive(Debug, Default)]
pub struct BookedSink {
    source_file: String,
    rows: TransactionsBuilder,
    statement_of_row: Vec<usize>,
    /// Per statement index: identity key → occurrences so far.
    seen: Vec<HashMap<String, u32>>,
    pending: u64,
    returns: Vec<(usize, String)>,
    currency_problem: Option<String>,
    /// The last currency found in ISO 4217: rows come in runs of one
    /// currency, and a run is checked once.
    known_currency: String,
    received: u64,
}

/// What [`BookedSink`] kept of one file.
#[derive(Debug, Default)]
pub struct BookedFile {
    /// Booked transactions with their ids, in file order.
    pub transactions: Transactions,
    /// The statement index of each booked row.
    pub statement_of_row: Vec<usize>,
    /// Pending or informational entries left out.
    pub pending: u64,
    /// (booked row, return reason) of the rows the bank marked as returned.
    pub returns: Vec<(usize, String)>,
    /// The first transaction whose currency is not ISO 4217, as
    /// [`structural_problem`] words it.
    pub currency_problem: Option<String>,
    /// Transactions received, booked or not.
    pub received: u64,
}

impl BookedSink {
    /// A sink for the file named `source_file` (as outputs name it).
    pub fn new(source_file: &str) -> Self {
        BookedSink {
            source_file: source_file.to_string(),
            ..BookedSink::default()
        }
    }

    /// The file's booked transactions and notes.
    pub fn finish(self) -> BookedFile {
        BookedFile {
            transactions: self.rows.finish(),
            statement_of_row: self.statement_of_row,
            pending: self.pending,
            returns: self.returns,
            currency_problem: self.currency_problem,
            received: self.received,
        }
    }
}

impl TransactionSink for BookedSink {
    fn push(&mut self, t: &TransactionRef<'_>) {
        self.received += 1;
        if self.currency_problem.is_none() && self.known_currency != t.currency {
            if cashmatch_parsers::currency::is_iso_4217(t.currency) {
                t.currency.clone_into(&mut self.known_currency);
            } else {
                self.currency_problem = Some(currency_problem(t.locator, t.currency));
            }
        }
        if t.status != EntryStatus::Booked {
            self.pending += 1;
            return;
        }
        let key = identity_key_of(
            t.bank_reference,
            t.account,
            t.booking_date,
            t.amount,
            t.currency,
            t.remittance_info,
        );
        if self.seen.len() <= t.statement_index {
            self.seen.resize_with(t.statement_index + 1, HashMap::new);
        }
        let seen = &mut self.seen[t.statement_index];
        // One hash per row, and the key moves into the map (no copy).
        let id = match seen.entry(key) {
            Entry::Occupied(mut seen_before) => {
                *seen_before.get_mut() += 1;
                transaction_id(seen_before.key(), *seen_before.get())
            }
            Entry::Vacant(first) => {
                let id = transaction_id(first.key(), 0);
                first.insert(0);
                id
            }
        };
        if t.details.returned {
            self.returns
                .push((self.rows.len(), t.details.return_reason.to_string()));
        }
        self.rows.push_parsed(&id, &self.source_file, t);
        self.statement_of_row.push(t.statement_index);
    }

    fn reserve(&mut self, rows: usize) {
        self.rows.reserve(rows);
        self.statement_of_row.reserve(rows);
    }
}

/// Booked transactions of one file as engine records, each with its stable
/// id and the index of its statement, in file order; plus the number of
/// pending or informational entries left out. Ids are assigned per
/// statement, so the occurrence index that keeps identical lines apart
/// counts within one statement (RELIABILITY.md B1-9): the same line in an
/// overlapping statement gets the same id and is recognised as already
/// processed.
///
/// `run` and `ingest` use [`BookedSink`], which applies these rules row by
/// row; this record-path version is kept as the independent reference the
/// sink is checked against on every vendored sample
/// (`engine/tests/booked_sink.rs`).
pub fn booked_transactions(
    source_file: &str,
    transactions: Vec<StatementTransaction>,
) -> (Vec<(usize, BankTransaction)>, u64) {
    let mut pending = 0;
    let mut by_statement: BTreeMap<usize, Vec<(usize, BankTransaction)>> = BTreeMap::new();
    let mut order = 0usize;
    for t in transactions {
        if t.status != EntryStatus::Booked {
            pending += 1;
            continue;
        }
        by_statement.entry(t.statement_index).or_default().push((
            order,
            BankTransaction {
                transaction_id: String::new(),
                bank_reference: t.bank_reference,
                source_file: source_file.to_string(),
                source_line: t.source_line,
                account: t.account,
                currency: t.currency,
                amount: t.amount,
                booking_date: t.booking_date,
                value_date: t.value_date,
                counterparty_name: t.counterparty_name,
                counterparty_account: t.counterparty_account,
                remittance_info: t.remittance_info,
                structured_refs: t.structured_refs,
                end_to_end_id: t.end_to_end_id,
            },
        ));
        order += 1;
    }
    let mut out: Vec<(usize, usize, BankTransaction)> = Vec::with_capacity(order);
    for (statement, group) in by_statement {
        let (positions, mut txns): (Vec<usize>, Vec<BankTransaction>) = group.into_iter().unzip();
        assign_transaction_ids(&mut txns);
        out.extend(
            positions
                .into_iter()
                .zip(txns)
                .map(|(pos, t)| (pos, statement, t)),
        );
    }
    // Back to file order: outputs list transactions as the bank sent them.
    out.sort_by_key(|(pos, _, _)| *pos);
    (out.into_iter().map(|(_, s, t)| (s, t)).collect(), pending)
}

/// The identity of a statement: what a re-delivery or a re-issue repeats
/// (account, currency, statement id, sequence, dates).
pub fn statement_identity(s: &Statement) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}",
        s.account.trim(),
        s.currency,
        s.statement_id.trim(),
        s.sequence.trim(),
        s.from_date.map(|d| d.to_string()).unwrap_or_default(),
        s.to_date.map(|d| d.to_string()).unwrap_or_default()
    )
}

/// Prefix of the statement content hash of this version: the hash covers
/// only what identifies the statement's money. A hash without it was
/// written by an earlier version (see [`StatementVerdict::Legacy`]).
pub const CONTENT_HASH_PREFIX: &str = "m1:";

/// The content hash of a statement (`m1:` + SHA-256 hex) over what
/// identifies its money: balances, entry count and, per booked transaction,
/// bank reference, amount, currency and dates. Not over counterparty name
/// or account, remittance text or end-to-end id, nor over the transaction
/// id (which falls back to the remittance text): parsers keep learning to
/// read those better (issue 9: tags, `AddtlTxInf`, free-text IBANs), and a
/// statement ingested by an earlier version and sent again must still be
/// the same statement.
pub fn statement_content_sha256<'a>(
    s: &Statement,
    transactions: impl Iterator<Item = &'a BankTransaction>,
) -> String {
    content_sha256(
        s,
        transactions.map(|t| {
            (
                t.bank_reference.as_str(),
                t.amount,
                t.currency.as_str(),
                t.booking_date,
                t.value_date,
            )
        }),
    )
}

/// [`statement_content_sha256`] over rows of a column store.
pub fn statement_content_sha256_rows<'a>(
    s: &Statement,
    transactions: impl Iterator<Item = TxnView<'a>>,
) -> String {
    content_sha256(
        s,
        transactions.map(|t| {
            (
                t.bank_reference(),
                t.amount(),
                t.currency(),
                t.booking_date(),
                t.value_date(),
            )
        }),
    )
}

/// Bank reference, amount, currency, booking and value date of a row.
type ContentLine<'a> = (
    &'a str,
    Decimal,
    &'a str,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

fn content_sha256<'a>(s: &Statement, lines: impl Iterator<Item = ContentLine<'a>>) -> String {
    let mut text = format!(
        "{:?}|{:?}|{}\n",
        s.opening_balance.map(|d| d.normalize()),
        s.closing_balance.map(|d| d.normalize()),
        s.entries
    );
    for (bank_reference, amount, currency, booking_date, value_date) in lines {
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "{}|{}|{}|{:?}|{:?}",
            bank_reference.trim(),
            amount.normalize(),
            currency,
            booking_date,
            value_date,
        );
    }
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(CONTENT_HASH_PREFIX.len() + 64);
    hex.push_str(CONTENT_HASH_PREFIX);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// What an earlier sighting of a statement identity means for this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementVerdict {
    /// Never seen: ingest it.
    New,
    /// Seen with the same content: an idempotent skip.
    Duplicate,
    /// Seen with other content: the file is rejected, a person decides.
    Conflict,
    /// Seen, recorded by an earlier version whose hash also covered parsed
    /// text (counterparty, remittance): the hashes cannot be compared. The
    /// caller decides by the transactions (known ids: the same statement).
    Legacy,
}

/// The re-delivery rule (RELIABILITY.md B1-8): same identity and content is a
/// duplicate, same identity and other content a conflict. Bank CSV exports are
/// exempt from conflicts: their statement ids are synthesised from account and
/// dates, so two exports of the same days are overlaps whose transactions the
/// transaction ids sort out, not re-issues.
pub fn statement_verdict(
    format: Option<Format>,
    earlier_content_sha256: Option<&str>,
    content_sha256: &str,
) -> StatementVerdict {
    match earlier_content_sha256 {
        None => StatementVerdict::New,
        Some(h) if h == content_sha256 => StatementVerdict::Duplicate,
        Some(_) if format == Some(Format::BankCsv) => StatementVerdict::New,
        Some(h) if !h.starts_with(CONTENT_HASH_PREFIX) => StatementVerdict::Legacy,
        Some(_) => StatementVerdict::Conflict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn line(
        statement_index: usize,
        reference: &str,
        cents: i64,
        status: EntryStatus,
    ) -> StatementTransaction {
        StatementTransaction {
            statement_index,
            source_line: 1,
            locator: "line 1".into(),
            account: "DE01".into(),
            currency: "EUR".into(),
            amount: Decimal::new(cents, 2),
            booking_date: None,
            value_date: None,
            counterparty_name: String::new(),
            counterparty_account: String::new(),
            remittance_info: "INV-1".into(),
            structured_refs: Vec::new(),
            end_to_end_id: String::new(),
            bank_reference: reference.into(),
            bank_tx_code: String::new(),
            status,
            reversal: false,
        }
    }

    #[test]
    fn own_checks_decide_the_disposition() {
        assert_eq!(disposition(false, false), Disposition::Accepted);
        assert_eq!(disposition(false, true), Disposition::Accepted);
        assert_eq!(disposition(true, true), Disposition::AcceptedUnbalanced);
        assert_eq!(disposition(true, false), Disposition::RejectedUnbalanced);
        assert!(!Disposition::RejectedUnbalanced.is_ingested());
        assert!(Disposition::AcceptedUnbalanced.is_ingested());
    }

    #[test]
    fn pending_entries_are_counted_not_booked() {
        let (booked, pending) = booked_transactions(
            "bank/a.xml",
            vec![
                line(0, "R1", 100, EntryStatus::Booked),
                line(0, "R2", 200, EntryStatus::Pending),
            ],
        );
        assert_eq!(booked.len(), 1);
        assert_eq!(pending, 1);
        assert_eq!(booked[0].1.source_file, "bank/a.xml");
        assert!(!booked[0].1.transaction_id.is_empty());
    }

    /// B1-9: identical lines in one statement stay apart; the same line in
    /// another (overlapping) statement gets the same id as its first
    /// occurrence there, so it is recognised as already processed.
    #[test]
    fn occurrence_index_counts_within_a_statement() {
        let (booked, _) = booked_transactions(
            "f",
            vec![
                line(0, "", 5000, EntryStatus::Booked),
                line(0, "", 5000, EntryStatus::Booked),
                line(1, "", 5000, EntryStatus::Booked),
            ],
        );
        let ids: Vec<&str> = booked
            .iter()
            .map(|(_, t)| t.transaction_id.as_str())
            .collect();
        assert_ne!(ids[0], ids[1], "two identical payments stay two");
        assert_eq!(ids[0], ids[2], "the same line in an overlapping statement");
        assert_eq!(
            booked.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            vec![0, 0, 1],
            "file order and statement index kept"
        );
    }

    #[test]
    fn identity_and_content_make_the_verdict() {
        let s = Statement {
            account: " DE01 ".into(),
            currency: "EUR".into(),
            statement_id: "42".into(),
            ..Default::default()
        };
        assert_eq!(statement_identity(&s), "DE01|EUR|42|||");
        let (booked, _) = booked_transactions("f", vec![line(0, "R1", 100, EntryStatus::Booked)]);
        let h1 = statement_content_sha256(&s, booked.iter().map(|(_, t)| t));
        let (other, _) = booked_transactions("f", vec![line(0, "R1", 101, EntryStatus::Booked)]);
        let h2 = statement_content_sha256(&s, other.iter().map(|(_, t)| t));
        assert_eq!(h1.len(), CONTENT_HASH_PREFIX.len() + 64);
        assert_ne!(h1, h2, "an amount change is a content change");
        // What parsers may read better is not the statement's money.
        let (mut richer, _) =
            booked_transactions("f", vec![line(0, "R1", 100, EntryStatus::Booked)]);
        richer[0].1.counterparty_name = "ACME GMBH".into();
        richer[0].1.counterparty_account = "DE89370400440532013000".into();
        richer[0].1.remittance_info = "INV-1 Ref.-Nr. 4711".into();
        assert_eq!(
            statement_content_sha256(&s, richer.iter().map(|(_, t)| t)),
            h1
        );
        assert_eq!(
            statement_verdict(Some(Format::Mt940), Some(&"0".repeat(64)), &h1),
            StatementVerdict::Legacy,
            "a hash of an earlier version is not compared"
        );
        let mt940 = Some(Format::Mt940);
        assert_eq!(statement_verdict(mt940, None, &h1), StatementVerdict::New);
        assert_eq!(
            statement_verdict(mt940, Some(&h1), &h1),
            StatementVerdict::Duplicate
        );
        assert_eq!(
            statement_verdict(mt940, Some(&h1), &h2),
            StatementVerdict::Conflict
        );
        assert_eq!(
            statement_verdict(Some(Format::BankCsv), Some(&h1), &h2),
            StatementVerdict::New,
            "CSV exports overlap, they are not re-issued"
        );
    }

    #[test]
    fn a_file_without_rows_or_with_a_bad_currency_is_structurally_unusable() {
        let empty = ParsedFile::default();
        assert!(structural_problem(&empty).unwrap().contains("no statement"));
        let mut bad = ParsedFile::default();
        let mut t = line(0, "R1", 100, EntryStatus::Booked);
        t.currency = "XYZ".into();
        bad.transactions.push(t);
        assert!(structural_problem(&bad).unwrap().contains("XYZ"));
    }
}
