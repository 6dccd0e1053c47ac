//! Helpers for the end-to-end tests: run the real binary, read its Parquet.
#![allow(dead_code)]

use arrow_array::{Array, Decimal128Array, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `cashmatch` binary under test.
pub fn cashmatch() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cashmatch"));
    c.arg("--quiet");
    c
}

/// Runs and returns the output, printing it when the test fails.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("binary runs");
    assert!(
        out.status.success(),
        "command failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Reads a whole Parquet file into one batch per row group.
pub fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

/// A text column of all batches.
pub fn texts(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in batches {
        let c = b.column(
            b.schema()
                .index_of(name)
                .unwrap_or_else(|_| panic!("column {name}")),
        );
        let a = c
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap_or_else(|| panic!("{name} is text"));
        for i in 0..a.len() {
            out.push(if a.is_null(i) {
                None
            } else {
                Some(a.value(i).to_string())
            });
        }
    }
    out
}

/// A text column without nulls.
pub fn text(batches: &[RecordBatch], name: &str) -> Vec<String> {
    texts(batches, name)
        .into_iter()
        .map(|v| v.unwrap_or_default())
        .collect()
}

/// A Decimal128 money column.
pub fn money(batches: &[RecordBatch], name: &str) -> Vec<Decimal> {
    let mut out = Vec::new();
    for b in batches {
        let c = b.column(
            b.schema()
                .index_of(name)
                .unwrap_or_else(|_| panic!("column {name}")),
        );
        let a = c
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap_or_else(|| panic!("{name} is Decimal128"));
        for i in 0..a.len() {
            out.push(Decimal::from_i128_with_scale(a.value(i), a.scale() as u32));
        }
    }
    out
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The public sample corpus vendored in `parsers/tests/samples` (see its `SOURCES.md`).
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("parsers/tests/samples")
}
