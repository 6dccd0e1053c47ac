//! The sink path of `run` and `ingest` checked against the record path on
//! every vendored statement sample. It lives here, not beside the code, because
//! it reads files and the engine's own sources must do no I/O (tests/tidy.rs).

use cashmatch_engine::ingest::{
    booked_transactions, statement_content_sha256, statement_content_sha256_rows,
    structural_problem, structural_problem_of, BookedSink,
};
use cashmatch_parsers::EntryStatus;

/// The sink path of `run` and `ingest` (rows appended into columns as
/// the parser reads them) against the record path
/// ([`booked_transactions`] over owned records), on every vendored
/// statement sample: the same rows and ids in the same order, the same
/// statements, pending count, return markers, structural verdict and
/// statement content hashes.
#[test]
fn booked_sink_equals_booked_transactions_on_every_sample() {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../parsers/tests/samples");
    let (mut files, mut rows_seen, mut returns_seen) = (0, 0, 0);
    for folder in ["bai2", "csv", "camt052", "camt053", "camt054", "mt940"] {
        let mut paths: Vec<_> = std::fs::read_dir(samples.join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).unwrap();
            let name = format!("{folder}/{}", path.file_name().unwrap().to_string_lossy());
            let source = cashmatch_parsers::Source::new(&name, &bytes);
            let options = cashmatch_parsers::ParseOptions::default();
            let Ok(parsed) = cashmatch_parsers::parse_source(&source, &options) else {
                continue;
            };
            let mut sink = BookedSink::new(&name);
            let streamed =
                cashmatch_parsers::parse_source_into(&source, &options, &mut sink).unwrap();
            let booked = sink.finish();
            assert_eq!(streamed.statements, parsed.statements, "{name}");
            assert_eq!(
                structural_problem(&parsed),
                structural_problem_of(
                    &streamed.statements,
                    booked.received > 0,
                    booked.currency_problem.as_deref()
                ),
                "{name}"
            );
            let expected_returns: Vec<(usize, String)> = parsed
                .transactions
                .iter()
                .zip(&parsed.details)
                .filter(|(t, _)| t.status == EntryStatus::Booked)
                .enumerate()
                .filter(|(_, (_, d))| d.returned)
                .map(|(k, (_, d))| (k, d.return_reason.clone()))
                .collect();
            let (rows, pending) = booked_transactions(&name, parsed.transactions);
            assert_eq!(booked.pending, pending, "{name}");
            assert_eq!(booked.returns, expected_returns, "{name}");
            assert_eq!(booked.transactions.len(), rows.len(), "{name}");
            for (k, (statement, row)) in rows.iter().enumerate() {
                assert_eq!(booked.statement_of_row[k], *statement, "{name} row {k}");
                assert_eq!(&booked.transactions.row(k), row, "{name} row {k}");
            }
            for (i, s) in streamed.statements.iter().enumerate() {
                let of_statement = |k: &usize| booked.statement_of_row[*k] == i;
                assert_eq!(
                    statement_content_sha256_rows(
                        s,
                        (0..rows.len())
                            .filter(of_statement)
                            .map(|k| booked.transactions.get(k))
                    ),
                    statement_content_sha256(
                        s,
                        rows.iter().filter(|(si, _)| *si == i).map(|(_, t)| t)
                    ),
                    "{name} statement {i}"
                );
            }
            files += 1;
            rows_seen += rows.len();
            returns_seen += expected_returns.len();
        }
    }
    assert!(
        files > 90 && rows_seen > 500 && returns_seen > 0,
        "{files} files, {rows_seen} rows, {returns_seen} returns"
    );
}
