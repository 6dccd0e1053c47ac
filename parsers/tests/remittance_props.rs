//! Property tests of the remittance readers: no input panics; every amount
//! an `Ok` holds is within the amount bound; an advice that passes its
//! check really ties (its lines add up to its amount); and generated
//! advices pass exactly when they add up.

mod common;

use cashmatch_parsers::amount::AMOUNT_ABS_BOUND;
use cashmatch_parsers::remittance::{
    parse_remittance, ParsedRemittance, RemittanceFormat, RemittanceOptions,
};
use cashmatch_parsers::{BalanceCheck, Limits, Source};
use proptest::prelude::*;
use rust_decimal::Decimal;

const FORMATS: [RemittanceFormat; 7] = [
    RemittanceFormat::X12_820,
    RemittanceFormat::Lockbox,
    RemittanceFormat::Nacha,
    RemittanceFormat::Remt001,
    RemittanceFormat::Camt054,
    RemittanceFormat::Csv,
    RemittanceFormat::Xlsx,
];

fn small_limits() -> Limits {
    Limits {
        line_bytes_max: 4096,
        records_max: 2000,
        xml_depth_max: 32,
        ..Limits::default()
    }
}

/// The invariants every successful parse keeps.
fn assert_invariants(p: &ParsedRemittance) {
    for a in &p.advices {
        let amounts = a.amount.into_iter().chain(a.lines.iter().flat_map(|l| {
            [
                l.amount_paid,
                l.invoice_amount,
                l.discount_amount,
                l.adjustment_amount,
            ]
            .into_iter()
            .flatten()
        }));
        for v in amounts {
            // Sums of bounded amounts (a TXP line, an adjustment total) stay
            // far below overflow; single amounts are below the bound.
            assert!(v.abs() < AMOUNT_ABS_BOUND * Decimal::from(1000), "{v}");
        }
        let checkable = a.amount.is_some()
            && !a.lines.is_empty()
            && a.lines.iter().all(|l| l.amount_paid.is_some());
        if a.check == BalanceCheck::Pass && checkable {
            let sum: Decimal = a.lines.iter().filter_map(|l| l.amount_paid).sum();
            assert_eq!(Some(sum), a.amount, "{} passes but does not tie", a.locator);
        }
        if a.check == BalanceCheck::Fail {
            assert!(!a.check_detail.is_empty(), "{}", a.locator);
        }
    }
    if p.check() == BalanceCheck::Fail {
        assert!(!p.check_detail().is_empty());
    }
}

fn parse(bytes: &[u8], format: Option<RemittanceFormat>, encoding: Option<&str>) {
    let options = RemittanceOptions {
        format,
        encoding: encoding.map(str::to_string),
        limits: small_limits(),
        ..RemittanceOptions::default()
    };
    if let Ok(p) = parse_remittance(&Source::new("fuzz", bytes), &options) {
        assert_invariants(&p);
    }
}

fn samples() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for folder in ["x12-820", "lockbox", "ach-ctx", "remt001", "camt054"] {
        for f in common::sample_files(&format!("remittance/{folder}")) {
            out.push(std::fs::read(f).unwrap());
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), f in 0usize..8) {
        parse(&bytes, FORMATS.get(f).copied(), None);
    }

    #[test]
    fn arbitrary_text_in_each_grammar_never_panics(
        head in prop_oneof![Just("ISA*"), Just("101 "), Just("1"), Just("<Document><RmtAdvc>"), Just("ISA¦")],
        body in "[0-9A-Z*~\\\\:>|¦ \n.\\-]{0,400}",
    ) {
        parse(format!("{head}{body}").as_bytes(), None, None);
    }

    /// A workbook with bytes changed (inside its compressed parts, its
    /// ZIP headers or its directory) is an error, never a panic.
    #[test]
    fn mutated_xlsx_never_panics(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<proptest::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = include_bytes!("../../tests/fixtures/remittance_xlsx/advice.xlsx").to_vec();
        for (at, b) in &edits {
            let k = at.index(bytes.len());
            bytes[k] = *b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        parse(&bytes, Some(RemittanceFormat::Xlsx), None);
    }

    #[test]
    fn mutated_samples_never_panic(
        pick in any::<proptest::sample::Index>(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let all = samples();
        let mut bytes = pick.get(&all).clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => {
                    bytes.remove(i);
                }
            }
        }
        parse(&bytes, None, None);
        parse(&bytes, None, Some("windows-1252"));
    }

    /// A generated 820 passes exactly when its lines add up to BPR02.
    #[test]
    fn generated_820_passes_iff_it_ties(
        cents in proptest::collection::vec(-1_000_000i64..100_000_000, 1..12),
        delta in prop_oneof![Just(0i64), -500i64..500],
    ) {
        let amount = |c: i64| Decimal::new(c, 2).to_string();
        let total: i64 = cents.iter().sum::<i64>() + delta;
        let mut segs = vec![
            "ST*820*0001".to_string(),
            format!("BPR*C*{}*C*ACH*CTX*01*011000015*DA*1*2**01*021000021*DA*3*20260303", amount(total)),
            "TRN*1*T1".to_string(),
            "ENT*1".to_string(),
        ];
        for (i, c) in cents.iter().enumerate() {
            segs.push(format!("RMR*IV*I{i}**{}", amount(*c)));
        }
        segs.push(format!("SE*{}*0001", segs.len() + 1));
        let text = format!(
            "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260302*1200*U*00401*000000001*0*P*>~GS*RA*A*B*20260302*1200*1*X*004010~{}~GE*1*1~IEA*1*000000001~",
            segs.join("~")
        );
        let p = parse_remittance(&Source::new("g.820", text.as_bytes()), &RemittanceOptions::default()).unwrap();
        assert_invariants(&p);
        let a = &p.advices[0];
        prop_assert_eq!(a.lines.len(), cents.len());
        prop_assert_eq!(a.check == BalanceCheck::Pass, delta == 0, "{}", a.check_detail);
        prop_assert_eq!(p.check() == BalanceCheck::Fail, delta != 0);
    }

    /// A generated lockbox passes exactly when every total is right.
    #[test]
    fn generated_lockbox_passes_iff_totals_tie(
        batches in proptest::collection::vec(proptest::collection::vec(1u64..10_000_000, 1..5), 1..4),
        wrong in prop_oneof![Just(None), (0usize..4).prop_map(Some)],
    ) {
        let mut lines = vec![
            "100ABCDEFGHIJ00999999911605231800".to_string(),
            "2ABCDEFGHIJ0099999991000000000040008000801".to_string(),
        ];
        let mut grand = 0u64;
        let mut cheques = 0u64;
        for (b, amounts) in batches.iter().enumerate() {
            let batch = format!("{:03}", b + 1);
            lines.push(format!("5{batch}0000022222160523ABCDEFGHIJ0099999991"));
            for (i, a) in amounts.iter().enumerate() {
                lines.push(format!("6{batch}{:03}{:010}0550027070012345555{:010}051616PAYER {i}", i + 1, a, i));
            }
            let sum: u64 = amounts.iter().sum();
            let sum = if wrong == Some(b) { sum + 1 } else { sum };
            lines.push(format!("7{batch}000002222216052{}{:03}{:010}", "3", amounts.len(), sum));
            grand += amounts.iter().sum::<u64>();
            cheques += amounts.len() as u64;
        }
        let grand = if wrong == Some(3) { grand + 100 } else { grand };
        lines.push(format!("800000000222221605230{:03}{:010}", cheques, grand));
        lines.push(format!("9{:06}", lines.len() + 1));
        let text = lines.join("\n") + "\n";
        let p = parse_remittance(&Source::new("g.bai", text.as_bytes()), &RemittanceOptions::default()).unwrap();
        assert_invariants(&p);
        prop_assert_eq!(p.advices.len() as u64, cheques);
        let broken = matches!(wrong, Some(b) if b < batches.len()) || wrong == Some(3);
        prop_assert_eq!(p.check() == BalanceCheck::Fail, broken, "{}", p.check_detail());
    }
}
