//! Any byte string given to the BAI2 reader yields `Ok` or `Err`, never a
//! panic, and an `Ok` keeps its own bookkeeping consistent.
#![no_main]

use cashmatch_parsers::{parse_source, Format, Limits, ParseOptions, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = ParseOptions {
        format: Some(Format::Bai2),
        // Small caps so the fuzzer explores the limit paths too.
        limits: Limits {
            line_bytes_max: 4096,
            records_max: 1000,
            ..Limits::default()
        },
        ..ParseOptions::default()
    };
    if let Ok(parsed) = parse_source(&Source::new("fuzz.bai2", data), &options) {
        for t in &parsed.transactions {
            assert!(t.statement_index < parsed.statements.len());
        }
        let counted: u64 = parsed.statements.iter().map(|s| s.entries).sum();
        assert_eq!(counted, parsed.transactions.len() as u64);
    }
});
