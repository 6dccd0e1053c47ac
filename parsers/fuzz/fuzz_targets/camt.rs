//! camt reader under libFuzzer. The property: no panic, no hang, no OOM, and
//! every `Ok` is internally consistent (each statement counts its own
//! transactions, and a passed check means opening + entries = closing).
#![no_main]

use cashmatch_parsers::{camt, BalanceCheck, Limits, ParseOptions, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = ParseOptions {
        // Small caps so the fuzzer explores the limit paths too.
        limits: Limits {
            xml_depth_max: 32,
            line_bytes_max: 4096,
            records_max: 1000,
            ..Limits::default()
        },
        ..ParseOptions::default()
    };
    let Ok(parsed) = camt::parse(&Source::new("fuzz.xml", data), &options) else {
        return;
    };
    let mut counted = vec![0u64; parsed.statements.len()];
    for tx in &parsed.transactions {
        assert!(
            tx.statement_index < parsed.statements.len(),
            "transaction outside any statement"
        );
        counted[tx.statement_index] += 1;
    }
    for (statement, count) in parsed.statements.iter().zip(counted) {
        assert_eq!(statement.entries, count, "statement entry count");
        if statement.balance_check == BalanceCheck::Pass {
            let (Some(open), Some(close)) = (statement.opening_balance, statement.closing_balance)
            else {
                panic!("pass without both balances");
            };
            assert_eq!(
                open + statement.entries_sum,
                close,
                "pass that does not add up"
            );
        }
    }
});
