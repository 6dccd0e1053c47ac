//! The sink path (`parse_source_into`, each transaction handed over
//! borrowed) against the record path (`parse_source`, owned records) and the
//! golden renderings, for every vendored sample and for damaged copies of
//! them: the same statements, warnings and errors, and the same
//! transactions in the same order.

mod common;

use cashmatch_parsers::{
    parse_source, parse_source_into, Format, ParseError, ParseOptions, ParsedFile, Source,
    StatementTransaction, TransactionDetails, TransactionRef, TransactionSink,
};
use common::{check_golden, render, sample_files};

/// Keeps what it is handed, converted field by field here (not through
/// the crate's own `CollectTransactions`), so a field the sink path drops
/// or garbles shows up as a difference.
#[derive(Default)]
struct Recording {
    transactions: Vec<StatementTransaction>,
    details: Vec<TransactionDetails>,
}

impl TransactionSink for Recording {
    fn push(&mut self, t: &TransactionRef<'_>) {
        self.transactions.push(StatementTransaction {
            statement_index: t.statement_index,
            source_line: t.source_line,
            locator: t.locator.into(),
            account: t.account.into(),
            currency: t.currency.into(),
            amount: t.amount,
            booking_date: t.booking_date,
            value_date: t.value_date,
            counterparty_name: t.counterparty_name.into(),
            counterparty_account: t.counterparty_account.into(),
            remittance_info: t.remittance_info.into(),
            structured_refs: t.structured_refs.iter().map(|r| r.to_string()).collect(),
            end_to_end_id: t.end_to_end_id.into(),
            bank_reference: t.bank_reference.into(),
            bank_tx_code: t.bank_tx_code.into(),
            status: t.status,
            reversal: t.reversal,
        });
        self.details.push(TransactionDetails {
            name_source: t.details.name_source.into(),
            account_source: t.details.account_source.into(),
            ultimate_party: t.details.ultimate_party.into(),
            account_holder: t.details.account_holder.into(),
            returned: t.details.returned,
            return_reason: t.details.return_reason.into(),
            documents: t.details.documents.to_vec(),
        });
    }
}

/// The sink path, reassembled into a `ParsedFile`.
fn through_sink(source: &Source<'_>, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    let mut sink = Recording::default();
    let mut parsed = parse_source_into(source, options, &mut sink)?;
    assert!(
        parsed.transactions.is_empty() && parsed.details.is_empty(),
        "{}: the sink path keeps no records of its own",
        source.name
    );
    parsed.transactions = sink.transactions;
    parsed.details = sink.details;
    Ok(parsed)
}

/// Both paths agree on `bytes`; returns the sink path's rendering.
fn same_both_ways(name: &str, bytes: &[u8], options: &ParseOptions) -> String {
    let source = Source::new(name, bytes);
    let records = render(&parse_source(&source, options));
    let sink = render(&through_sink(&source, options));
    assert_eq!(records, sink, "{name}: sink path differs from record path");
    sink
}

fn forced(format: Format) -> ParseOptions {
    ParseOptions {
        format: Some(format),
        ..ParseOptions::default()
    }
}

#[test]
fn every_sample_gives_the_golden_transactions_through_a_sink() {
    let mut seen = 0;
    for (folder, options) in [
        ("bai2", forced(Format::Bai2)),
        ("csv", forced(Format::BankCsv)),
    ] {
        for path in sample_files(folder) {
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let rendered = same_both_ways(&name, &bytes, &options);
            // The goldens were written by the record path before readers
            // had sinks: the sink path reproduces them byte for byte.
            check_golden(&format!("{folder}__{stem}"), &rendered);
            seen += 1;
        }
    }
    for folder in ["camt052", "camt053", "camt054"] {
        for path in sample_files(folder) {
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let rendered = same_both_ways(
                &format!("{folder}/{name}"),
                &bytes,
                &ParseOptions::default(),
            );
            let stem = name.trim_end_matches(".xml");
            check_golden(&format!("{folder}__{stem}"), &rendered);
            seen += 1;
        }
    }
    for path in sample_files("mt940") {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        same_both_ways(&name, &bytes, &ParseOptions::default());
        seen += 1;
    }
    assert!(
        seen >= 100,
        "the corpus has over 100 statement samples, saw {seen}"
    );
}

/// A file broken part-way is refused the same way on both paths (the sink
/// may have received rows before the error; the caller drops them), and a
/// cut that still parses gives the same transactions.
#[test]
fn damaged_samples_fail_or_read_the_same_both_ways() {
    let mut errors = 0;
    for (folder, options) in [
        ("bai2", forced(Format::Bai2)),
        ("csv", forced(Format::BankCsv)),
        ("camt053", ParseOptions::default()),
        ("mt940", ParseOptions::default()),
    ] {
        for path in sample_files(folder) {
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() * 9 / 10] {
                let rendered = same_both_ways(&name, &bytes[..cut], &options);
                errors += usize::from(rendered.starts_with("ERROR"));
            }
            // A garbled amount in the middle of the file.
            let mut garbled = bytes.clone();
            if let Some(at) = garbled
                .iter()
                .skip(bytes.len() / 2)
                .position(u8::is_ascii_digit)
            {
                garbled[bytes.len() / 2 + at] = b'#';
                same_both_ways(&name, &garbled, &options);
            }
        }
    }
    assert!(
        errors > 50,
        "cut files must mostly be refused, {errors} were"
    );
}
