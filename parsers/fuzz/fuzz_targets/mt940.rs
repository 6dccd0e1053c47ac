//! Any byte string given to the MT940/MT942 reader yields `Ok` or `Err`,
//! never a panic, and an `Ok` keeps its money consistent: each statement's
//! `entries_sum` is the sum of its booked entries, and a passing MT940
//! balance check really means opening + entries = closing.
#![no_main]

use cashmatch_parsers::{
    parse_source, BalanceCheck, EntryStatus, Format, Limits, ParseOptions, Source,
};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

fuzz_target!(|data: &[u8]| {
    let options = ParseOptions {
        format: Some(Format::Mt940),
        // Small caps so the fuzzer explores the limit paths too.
        limits: Limits { line_bytes_max: 4096, records_max: 1000, ..Limits::default() },
        ..ParseOptions::default()
    };
    let Ok(parsed) = parse_source(&Source::new("fuzz.mt940", data), &options) else {
        return;
    };
    assert!(!parsed.statements.is_empty(), "an Ok parse has at least one message");
    let mut sums = vec![Decimal::ZERO; parsed.statements.len()];
    let mut counts = vec![0u64; parsed.statements.len()];
    for t in &parsed.transactions {
        assert!(t.statement_index < parsed.statements.len());
        counts[t.statement_index] += 1;
        if t.status == EntryStatus::Booked {
            sums[t.statement_index] += t.amount;
        }
    }
    for (i, s) in parsed.statements.iter().enumerate() {
        assert_eq!(s.entries, counts[i]);
        assert_eq!(s.entries_sum, sums[i]);
        if let (BalanceCheck::Pass, Some(open), Some(close)) =
            (s.balance_check, s.opening_balance, s.closing_balance)
        {
            assert_eq!(open + s.entries_sum, close);
        }
        if s.balance_check == BalanceCheck::Fail {
            assert!(!s.check_detail.is_empty());
        }
    }
});
