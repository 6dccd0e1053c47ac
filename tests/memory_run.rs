//! The in-memory run behind the Python package (`cashmatch::memory`, issue
//! 12), without Python: the demo's bank file parsed from bytes, its
//! transactions table read back into the engine, every output table written
//! with the pinned writer, equals the file `cashmatch run --no-state` writes.

mod common;

use cashmatch::config::RunConfig;
use cashmatch::{inputs, memory};
use std::path::Path;

#[test]
fn in_memory_tables_equal_the_cli_files_byte_for_byte() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/demo");
    let out = common::tempdir();
    common::run_ok(
        common::cashmatch()
            .arg("run")
            .arg("--bank")
            .arg(demo.join("bank.csv"))
            .arg("--open-items")
            .arg(demo.join("open_items.csv"))
            .arg("--customers")
            .arg(demo.join("customers.csv"))
            .arg("--out")
            .arg(out.path())
            .arg("--no-state"),
    );
    let config = RunConfig::default();
    let bytes = std::fs::read(demo.join("bank.csv")).unwrap();
    let bank = inputs::read_bank_bytes("bank.csv", &bytes, &config, false).unwrap();
    assert!(bank.rejections.is_empty());
    let (txns, statements) = memory::parsed_batches(&bank).unwrap();
    // The transactions go through their Arrow table, as from Python.
    let store = memory::transactions_from_batches(std::slice::from_ref(&txns)).unwrap();
    let (items, _) = inputs::read_open_items(&demo.join("open_items.csv"), &config).unwrap();
    let (customers, _) = inputs::read_customers(&demo.join("customers.csv"), &config).unwrap();
    let r = memory::apply(store, items, customers, &config, None).unwrap();
    let tables = memory::output_batches(&r, &bank.statements).unwrap();
    assert_eq!(tables.len(), 8);
    for (name, batch) in tables {
        let written = memory::parquet_bytes(&batch.schema(), std::slice::from_ref(&batch)).unwrap();
        let cli = std::fs::read(out.path().join(format!("{name}.parquet"))).unwrap();
        assert!(written == cli, "{name}.parquet differs from the CLI's");
    }
    let written =
        memory::parquet_bytes(&statements.schema(), std::slice::from_ref(&statements)).unwrap();
    assert_eq!(
        written,
        std::fs::read(out.path().join("statements.parquet")).unwrap()
    );
}

#[test]
fn a_bad_amount_is_the_parsers_error_with_its_line() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/demo");
    let text = std::fs::read_to_string(demo.join("bank.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().take(5).map(str::to_string).collect();
    let mut fields: Vec<&str> = lines[3].split(',').collect();
    fields[3] = "12x.50";
    lines[3] = fields.join(",");
    let bad = lines.join("\n") + "\n";
    match inputs::read_bank_bytes("bad.csv", bad.as_bytes(), &RunConfig::default(), false) {
        Err(inputs::FileError::Parse(e)) => {
            assert_eq!(e.file, "bad.csv");
            let line = match e.location {
                cashmatch_parsers::Location::Line(l)
                | cashmatch_parsers::Location::LineColumn(l, _) => l,
                other => panic!("not a line: {other:?}"),
            };
            assert_eq!(line, 4, "{e}");
            assert_eq!(e.kind.code(), "INVALID_AMOUNT", "{e}");
        }
        other => panic!(
            "expected the parser's error, got {:?}",
            other.map(|b| b.files)
        ),
    }
}
