//! Shared helpers for the parser tests: locating the public sample corpus
//! and comparing a readable rendering of a parse with a golden file.
#![allow(dead_code)]

use cashmatch_parsers::{ParseError, ParsedFile, TransactionDetails};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The public sample corpus vendored byte-exact in `parsers/tests/samples`
/// (origin and licence of every file in its `SOURCES.md`), so a fresh clone
/// tests against the same bytes as CI.
pub fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/samples")
}

/// Every sample file of one format folder (`bai2`, `camt053`, ...), sorted.
pub fn sample_files(folder: &str) -> Vec<PathBuf> {
    let dir = samples_dir().join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("sample folder {} must exist: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// A stable, human-readable rendering of everything a parse produced.
pub fn render(result: &Result<ParsedFile, ParseError>) -> String {
    let mut out = String::new();
    match result {
        Err(e) => {
            writeln!(out, "ERROR {}: {}", e.kind.code(), e).unwrap();
        }
        Ok(p) => {
            writeln!(out, "format: {:?}  encoding: {}", p.format, p.encoding).unwrap();
            for (i, s) in p.statements.iter().enumerate() {
                writeln!(
                    out,
                    "statement {i}: id={:?} seq={:?} account={:?} ccy={} open={:?} close={:?} sum={} entries={} check={} {:?} line={}",
                    s.statement_id,
                    s.sequence,
                    s.account,
                    s.currency,
                    s.opening_balance.map(|d| d.to_string()),
                    s.closing_balance.map(|d| d.to_string()),
                    s.entries_sum,
                    s.entries,
                    s.balance_check.as_str(),
                    s.check_detail,
                    s.source_line
                )
                .unwrap();
            }
            assert_eq!(
                p.details.len(),
                p.transactions.len(),
                "one TransactionDetails per transaction"
            );
            for (t, d) in p.transactions.iter().zip(&p.details) {
                writeln!(
                    out,
                    "  tx st={} line={} at={:?} acct={:?} {} {} book={:?} val={:?} ref={:?} e2e={:?} code={:?} {:?}{} name={:?} cpacct={:?} refs={:?} text={:?}",
                    t.statement_index,
                    t.source_line,
                    t.locator,
                    t.account,
                    t.currency,
                    t.amount,
                    t.booking_date.map(|d| d.to_string()),
                    t.value_date.map(|d| d.to_string()),
                    t.bank_reference,
                    t.end_to_end_id,
                    t.bank_tx_code,
                    t.status,
                    if t.reversal { " REVERSAL" } else { "" },
                    t.counterparty_name,
                    t.counterparty_account,
                    t.structured_refs,
                    t.remittance_info
                )
                .unwrap();
                if !d.is_empty() {
                    writeln!(out, "    details {}", render_details(d)).unwrap();
                }
            }
            for w in &p.warnings {
                writeln!(out, "  warning: {w}").unwrap();
            }
        }
    }
    out
}

/// The non-empty parts of a transaction's details, one line.
pub fn render_details(d: &TransactionDetails) -> String {
    let mut parts = Vec::new();
    if !d.name_source.is_empty() {
        parts.push(format!("name_source={:?}", d.name_source));
    }
    if !d.account_source.is_empty() {
        parts.push(format!("account_source={:?}", d.account_source));
    }
    if !d.ultimate_party.is_empty() {
        parts.push(format!("ultimate={:?}", d.ultimate_party));
    }
    if !d.account_holder.is_empty() {
        parts.push(format!("holder={:?}", d.account_holder));
    }
    if d.returned {
        parts.push(format!("RETURNED reason={:?}", d.return_reason));
    }
    for doc in &d.documents {
        parts.push(format!(
            "doc={:?} kind={:?} amount={:?}{}",
            doc.number,
            doc.kind,
            doc.amount.map(|a| a.to_string()),
            if doc.is_credit_note() {
                " CREDIT_NOTE"
            } else {
                ""
            }
        ));
    }
    parts.join(" ")
}

/// Compares `actual` with `tests/golden/<name>.txt`; with `UPDATE_GOLDEN=1`
/// writes it instead. A missing golden file is a failure, not a silent
/// write, so a renamed sample or a lost golden cannot make the test pass.
pub fn check_golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} cannot be read ({e}); create it with UPDATE_GOLDEN=1 and review it",
            path.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "golden file {} differs; rerun with UPDATE_GOLDEN=1 if the change is intended",
        path.display()
    );
}
