//! Any byte string given to the remittance readers (format detected, or
//! forced by the first byte) yields `Ok` or `Err`, never a panic, and an
//! advice that passes its check really ties: its lines add up to its amount.
#![no_main]

use cashmatch_parsers::remittance::{parse_remittance, RemittanceFormat, RemittanceOptions};
use cashmatch_parsers::{BalanceCheck, Limits, Source};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

const FORMATS: [Option<RemittanceFormat>; 6] = [
    None,
    Some(RemittanceFormat::X12_820),
    Some(RemittanceFormat::Lockbox),
    Some(RemittanceFormat::Nacha),
    Some(RemittanceFormat::Remt001),
    Some(RemittanceFormat::Camt054),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let options = RemittanceOptions {
        format: FORMATS[usize::from(pick) % FORMATS.len()],
        limits: Limits { line_bytes_max: 4096, records_max: 1000, xml_depth_max: 32, ..Limits::default() },
        ..RemittanceOptions::default()
    };
    let Ok(parsed) = parse_remittance(&Source::new("fuzz", rest), &options) else {
        return;
    };
    for a in &parsed.advices {
        let checkable = a.amount.is_some()
            && !a.lines.is_empty()
            && a.lines.iter().all(|l| l.amount_paid.is_some());
        if a.check == BalanceCheck::Pass && checkable {
            let sum: Decimal = a.lines.iter().filter_map(|l| l.amount_paid).sum();
            assert_eq!(Some(sum), a.amount);
        }
    }
});
