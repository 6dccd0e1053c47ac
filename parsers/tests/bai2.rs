//! BAI2 reader tests: every public sample (checked against CHECKS.md and a
//! golden rendering), damaged inputs, and a write-then-read property test.

mod common;

use cashmatch_parsers::{
    parse_source, BalanceCheck, EntryStatus, ErrorKind, Format, Location, ParseError, ParseOptions,
    ParsedFile, Source,
};
use common::{check_golden, render, sample_files};
use proptest::prelude::*;

/// Files whose control totals CHECKS.md reports as inconsistent; every other
/// sample reconciles.
const FAILING_SAMPLES: &[&str] = &[
    "dnsbty-test_gs",
    "moovio-sample4-continuations-newline",
    "moovio-sample5-issue113",
    "venturehacks-invalid_checksum_eod",
];

fn options() -> ParseOptions {
    ParseOptions {
        format: Some(Format::Bai2),
        ..ParseOptions::default()
    }
}

fn parse(text: &str) -> Result<ParsedFile, ParseError> {
    parse_source(&Source::new("test.bai2", text.as_bytes()), &options())
}

fn parse_err(text: &str) -> ParseError {
    match parse(text) {
        Ok(p) => panic!("expected an error, got {} statements", p.statements.len()),
        Err(e) => e,
    }
}

#[test]
fn every_sample_parses_with_the_check_result_of_checks_md() {
    let files = sample_files("bai2");
    assert_eq!(files.len(), 15, "the corpus has 15 BAI2 samples");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        // Detection must find BAI2 on its own, too.
        let detected = parse_source(&Source::new(&name, &bytes), &ParseOptions::default());
        let result = parse_source(&Source::new(&name, &bytes), &options());
        let parsed = result.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            detected.as_ref().map(|p| p.format).ok(),
            Some(Some(Format::Bai2)),
            "{name}"
        );
        assert!(!parsed.statements.is_empty(), "{name}: no statements");
        if FAILING_SAMPLES.contains(&stem.as_str()) {
            assert!(parsed.has_failed_checks(), "{name}: CHECKS.md says FAIL");
        } else {
            for s in &parsed.statements {
                assert_eq!(
                    s.balance_check,
                    BalanceCheck::Pass,
                    "{name}: {} {}",
                    s.account,
                    s.check_detail
                );
            }
        }
        check_golden(&format!("bai2__{stem}"), &render(&result));
    }
}

#[test]
fn invalid_checksum_names_the_account_and_the_difference() {
    let path = common::samples_dir().join("bai2/venturehacks-invalid_checksum_eod.bai2");
    let bytes = std::fs::read(path).unwrap();
    let parsed = parse_source(&Source::new("x", &bytes), &options()).unwrap();
    assert_eq!(parsed.statements.len(), 1);
    assert_eq!(parsed.statements[0].balance_check, BalanceCheck::Fail);
    assert_eq!(
        parsed.statements[0].check_detail,
        "account 3333333333: 49 control total 83259.83 vs computed 83259.82 (diff 0.01)"
    );
}

#[test]
fn slash_inside_text_and_continuations_are_text() {
    let path = common::samples_dir().join("bai2/venturehacks-eod_with_slash_in_text.bai2");
    let bytes = std::fs::read(path).unwrap();
    let parsed = parse_source(&Source::new("x", &bytes), &options()).unwrap();
    let tx = &parsed.transactions[0];
    assert_eq!(tx.amount.to_string(), "83259.82");
    assert!(tx
        .remittance_info
        .contains("ORG ADDRESS:=2/AV MAIN 2/AVENUE DE ANGELLIST 3/MX /MEXICO ;"));
    assert!(tx.remittance_info.ends_with("OBI:=INVOICE 123456"));
    assert_eq!(tx.counterparty_name, "OPTIONS LINK WIRE CLEARING");
}

/// A small consistent file; the damaged-input tests break one thing each.
const BASE: &str = "01,121140399,3333333333,100831,1720,000001,80,1,2/
02,3333333333,121140399,1,100831,1720,USD,4/
03,3333333333,USD,010,100000,,,015,108325,,/
16,195,8325,,REF1,CUST1,WIRE IN, INV 1/2
88,EREF: E2E-1
88,ORG:=ACME CORP
49,216650,5/
98,216650,1,7/
99,216650,1,9/
";

#[test]
fn base_file_reads_every_field() {
    let parsed = parse(BASE).unwrap();
    let s = &parsed.statements[0];
    assert_eq!(s.statement_id, "000001/1/3333333333");
    assert_eq!(s.balance_check, BalanceCheck::Pass, "{}", s.check_detail);
    assert_eq!(s.opening_balance.unwrap().to_string(), "1000.00");
    assert_eq!(s.closing_balance.unwrap().to_string(), "1083.25");
    let tx = &parsed.transactions[0];
    assert_eq!(tx.amount.to_string(), "83.25");
    assert_eq!(tx.bank_reference, "REF1");
    assert_eq!(tx.structured_refs, vec!["CUST1".to_string()]);
    assert_eq!(tx.end_to_end_id, "E2E-1");
    assert_eq!(tx.counterparty_name, "ACME CORP");
    assert_eq!(
        tx.remittance_info,
        "WIRE IN, INV 1/2 EREF: E2E-1 ORG:=ACME CORP"
    );
    assert_eq!(tx.booking_date.unwrap().to_string(), "2010-08-31");
    assert_eq!(tx.bank_tx_code, "195");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn debit_type_codes_are_negative_and_unknown_codes_are_informational() {
    let text = BASE.replace("16,195,8325", "16,495,8325");
    let parsed = parse(&text).unwrap();
    assert_eq!(parsed.transactions[0].amount.to_string(), "-83.25");
    let text = BASE.replace("16,195,8325", "16,920,8325");
    let parsed = parse(&text).unwrap();
    assert_eq!(parsed.transactions[0].status, EntryStatus::Info);
    assert_eq!(parsed.transactions[0].amount.to_string(), "83.25");
    assert!(
        parsed
            .warnings
            .iter()
            .any(|w| w.starts_with("line 4: 16 type code 920")),
        "{:?}",
        parsed.warnings
    );
}

#[test]
fn truncated_file_without_99_is_rejected() {
    let text = BASE.replace("99,216650,1,9/\n", "");
    let e = parse_err(&text);
    assert_eq!(e.kind, ErrorKind::Truncated);
    assert_eq!(e.location, Location::Line(8));
}

#[test]
fn missing_49_before_98_is_truncation() {
    let text = BASE.replace("49,216650,5/\n", "");
    let e = parse_err(&text);
    assert_eq!(e.kind, ErrorKind::Truncated);
    assert_eq!(e.location, Location::LineColumn(7, 1));
}

#[test]
fn file_ending_inside_an_account_is_truncation() {
    let e = parse_err(&BASE[..BASE.find("49,").unwrap()]);
    assert_eq!(e.kind, ErrorKind::Truncated);
    assert_eq!(e.location, Location::Line(6));
}

#[test]
fn wrong_control_totals_fail_the_check_at_every_level() {
    let text = BASE.replace("49,216650,5/", "49,216651,4/");
    let parsed = parse(&text).unwrap();
    let s = &parsed.statements[0];
    assert_eq!(s.balance_check, BalanceCheck::Fail);
    assert_eq!(
        s.check_detail,
        "account 3333333333: 49 control total 2166.51 vs computed 2166.50 (diff 0.01); \
         account 3333333333: 49 record count 4 vs counted 5; \
         group 1: 98 control total 2166.50 vs sum of 49 totals 2166.51 (diff -0.01)"
    );
    let text = BASE.replace("99,216650,1,9/", "99,216650,2,9/");
    let parsed = parse(&text).unwrap();
    assert_eq!(parsed.statements[0].balance_check, BalanceCheck::Fail);
    assert_eq!(
        parsed.statements[0].check_detail,
        "file: 99 group count 2 vs counted 1"
    );
    assert_eq!(
        parsed.warnings,
        vec!["line 9: file: 99 group count 2 vs counted 1".to_string()]
    );
}

#[test]
fn bad_amount_names_line_and_field() {
    let e = parse_err(&BASE.replace("16,195,8325,", "16,195,83.25,"));
    assert_eq!(e.kind, ErrorKind::InvalidAmount);
    assert_eq!(e.location, Location::LineColumn(4, 3));
    assert!(
        e.to_string()
            .contains("line 4, column 3: amount `83.25` is not valid"),
        "{e}"
    );
    // A signed detail amount contradicts the type code's direction.
    let e = parse_err(&BASE.replace("16,195,8325,", "16,195,-8325,"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidAmount, Location::LineColumn(4, 3))
    );
    let e = parse_err(&BASE.replace("49,216650,", "49,2166x50,"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidAmount, Location::LineColumn(7, 2))
    );
}

#[test]
fn bad_date_names_line_and_field() {
    let e = parse_err(&BASE.replace("1,100831,1720,USD", "1,100231,1720,USD"));
    assert_eq!(e.kind, ErrorKind::InvalidDate);
    assert_eq!(e.location, Location::LineColumn(2, 5));
    let e = parse_err(&BASE.replace("3333333333,100831", "3333333333,10083"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidDate, Location::LineColumn(1, 4))
    );
}

#[test]
fn unknown_record_type_is_rejected() {
    let e = parse_err(&BASE.replace("88,ORG:=ACME CORP", "17,ORG:=ACME CORP"));
    assert_eq!(e.kind, ErrorKind::UnknownRecord);
    assert_eq!(e.location, Location::LineColumn(6, 1));
    // Text without a record code only continues a 16 record.
    let e = parse_err(&BASE.replace("49,216650,5/", "49,216650,5/\nHELLO"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::UnknownRecord, Location::LineColumn(8, 1))
    );
}

#[test]
fn unknown_funds_type_is_rejected() {
    let e = parse_err(&BASE.replace("16,195,8325,,", "16,195,8325,X,"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::Structure, Location::LineColumn(4, 4))
    );
}

#[test]
fn empty_and_blank_files_are_rejected() {
    assert_eq!(parse_err("").kind, ErrorKind::Empty);
    assert_eq!(parse_err("\n  \r\n").kind, ErrorKind::Empty);
    // Called directly, the reader reports an empty file too.
    let e = cashmatch_parsers::bai2::parse(&Source::new("x", b"\n\n"), &options()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Empty);
}

#[test]
fn binary_garbage_is_an_error_not_a_panic() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let e = parse_source(&Source::new("x", &garbage), &options()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encoding);
    let e = parse_err("\u{1}\u{2}PK\u{3}\u{4} not bai2");
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::UnknownRecord, Location::LineColumn(1, 1))
    );
}

#[test]
fn records_before_the_file_header_and_after_the_trailer_are_rejected() {
    let e = parse_err(&BASE.replace("01,121140399", "02,121140399"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::Structure, Location::LineColumn(1, 1))
    );
    let e = parse_err(&format!("{BASE}01,1,2,100831,1720,2,,,2/\n"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::Structure, Location::LineColumn(10, 1))
    );
}

#[test]
fn over_long_line_is_a_limit_error() {
    let mut opts = options();
    opts.limits.line_bytes_max = 60;
    let text = BASE.replace("INV 1/2", &"X".repeat(30));
    let e = parse_source(&Source::new("x", text.as_bytes()), &opts).unwrap_err();
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::LimitExceeded, Location::Line(4))
    );
}

#[test]
fn several_records_on_one_line_and_88_splitting_a_summary_group() {
    let text = "01,A,B,040621,0200,7,65,,2/   02,R,O,1,040620,2359,,2/
03,9876543210,,010,-500000,,,100,1000000,,,400,2000000,,,190/
88,500000,,,110,1000000,,,072,500000,,,074,500000,,,040/
88,-1500000,,/
16,115,500000,S,,200000,300000,,,LOCK BOX NO.68751/ 49,4000000,5/
98,4000000,1,7/  99,4000000,1,9/
";
    let parsed = parse(text).unwrap();
    assert_eq!(
        parsed.statements[0].balance_check,
        BalanceCheck::Pass,
        "{}",
        parsed.statements[0].check_detail
    );
    assert_eq!(parsed.transactions[0].remittance_info, "LOCK BOX NO.68751");
    assert_eq!(parsed.transactions[0].amount.to_string(), "5000.00");
}

// ---------------------------------------------------------------------------
// Round trip: generated statements written as BAI2 read back identically.

#[derive(Debug, Clone)]
struct GenTx {
    type_code: u16,
    amount_minor: u64,
    bank_ref: String,
    /// Text pieces: the first goes on the 16 record, the rest on 88s.
    text: Vec<String>,
}

#[derive(Debug, Clone)]
struct GenAccount {
    number: String,
    opening_minor: i64,
    txs: Vec<GenTx>,
}

fn text_piece() -> impl Strategy<Value = String> {
    // Words start with a letter so that no `/ NN,` record separator appears
    // inside text; separators include commas and slashes on purpose.
    let word = "[A-Z][A-Za-z0-9.:=-]{0,7}";
    let sep = prop::sample::select(vec![" ", ", ", ",", "/", " / ", "//", "; "]);
    (word, prop::collection::vec((sep, word), 0..5)).prop_map(|(first, rest)| {
        let mut s = first;
        for (sep, w) in rest {
            s.push_str(sep);
            s.push_str(&w);
        }
        s
    })
}

fn gen_tx() -> impl Strategy<Value = GenTx> {
    (
        prop_oneof![100u16..=399, 400u16..=699],
        0u64..1_000_000_000_000,
        "[A-Z0-9]{0,12}",
        prop::collection::vec(text_piece(), 0..4),
    )
        .prop_map(|(type_code, amount_minor, bank_ref, text)| GenTx {
            type_code,
            amount_minor,
            bank_ref,
            text,
        })
}

fn gen_accounts() -> impl Strategy<Value = Vec<GenAccount>> {
    prop::collection::vec(
        (
            "[0-9]{4,12}",
            -1_000_000_000i64..1_000_000_000,
            prop::collection::vec(gen_tx(), 0..6),
        )
            .prop_map(|(number, opening_minor, txs)| GenAccount {
                number,
                opening_minor,
                txs,
            }),
        1..4,
    )
}

/// Writes a consistent BAI2 file with correct control totals and counts.
fn write_bai2(accounts: &[GenAccount]) -> String {
    let mut out = String::from(
        "01,SENDER,RECEIVER,260302,0800,F1,,,2/\n02,RECEIVER,SENDER,1,260301,2400,USD,2/\n",
    );
    let mut group_total: i128 = 0;
    let mut group_records = 2u64; // 02 and 98
    for a in accounts {
        out.push_str(&format!("03,{},USD,010,{},,/\n", a.number, a.opening_minor));
        let mut total = i128::from(a.opening_minor);
        let mut records = 2u64; // 03 and 49
        for t in &a.txs {
            let first = t.text.first().map(String::as_str).unwrap_or("");
            out.push_str(&format!(
                "16,{:03},{},Z,{},,{}/\n",
                t.type_code, t.amount_minor, t.bank_ref, first
            ));
            records += 1;
            for more in t.text.iter().skip(1) {
                out.push_str(&format!("88,{more}/\n"));
                records += 1;
            }
            total += i128::from(t.amount_minor);
        }
        out.push_str(&format!("49,{total},{records}/\n"));
        group_total += total;
        group_records += records;
    }
    out.push_str(&format!(
        "98,{group_total},{},{group_records}/\n",
        accounts.len()
    ));
    out.push_str(&format!("99,{group_total},1,{}/\n", group_records + 2));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn written_statements_read_back_identically(accounts in gen_accounts()) {
        let text = write_bai2(&accounts);
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed.statements.len(), accounts.len());
        let mut txs = parsed.transactions.iter();
        for (i, a) in accounts.iter().enumerate() {
            let s = &parsed.statements[i];
            prop_assert_eq!(s.balance_check, BalanceCheck::Pass, "{}", s.check_detail);
            prop_assert_eq!(&s.account, &a.number);
            prop_assert_eq!(s.opening_balance.unwrap(), rust_decimal::Decimal::new(a.opening_minor, 2));
            for g in &a.txs {
                let t = txs.next().unwrap();
                let magnitude = rust_decimal::Decimal::new(g.amount_minor as i64, 2);
                let expected = if g.type_code < 400 { magnitude } else { -magnitude };
                prop_assert_eq!(t.statement_index, i);
                prop_assert_eq!(t.amount, expected);
                prop_assert_eq!(&t.bank_reference, &g.bank_ref);
                prop_assert_eq!(&t.remittance_info, &g.text.join(" "));
                prop_assert_eq!(&t.bank_tx_code, &format!("{:03}", g.type_code));
            }
        }
        prop_assert!(txs.next().is_none());
    }
}

/// Throughput on a synthetic 64 MB file; run with
/// `cargo test --release --test bai2 -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let account = GenAccount {
        number: "1234567890".into(),
        opening_minor: 100_000,
        txs: (0..1000)
            .map(|i| GenTx {
                type_code: if i % 2 == 0 { 195 } else { 495 },
                amount_minor: 123_456 + i,
                bank_ref: format!("REF{i}"),
                text: vec![
                    "PAYMENT FOR INVOICE INV-2026-001, CUSTOMER ACME/EU".into(),
                    "EREF: E2E-1".into(),
                ],
            })
            .collect(),
    };
    let one = write_bai2(&[account]);
    let body: String = one
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with("98,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let copies = (64 << 20) / body.len();
    let text = format!(
        "{}{}98,0,0,0/\n99,0,1,0/\n",
        &one[..one.find("03,").unwrap()],
        body.repeat(copies)
    );
    let start = std::time::Instant::now();
    let parsed = parse(&text).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "bai2: {} transactions, {:.0} MB/s",
        parsed.transactions.len(),
        text.len() as f64 / secs / 1e6
    );
}

/// RELIABILITY B1-5 / B5-51: an amount or control total beyond the amount
/// bound (|amount| < 10^15 major units) rejects the file with its position;
/// before the bound, a 16 amount near `Decimal::MAX` made `entries_sum +=`
/// panic and the whole run died.
#[test]
fn amounts_and_totals_beyond_the_bound_are_rejected_not_a_panic() {
    let huge_total = BASE.replace("99,216650,", "99,99999999999999999999999,");
    let e = parse_err(&huge_total);
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidAmount, Location::LineColumn(9, 2))
    );
    assert!(e.to_string().contains("amount bound"), "{e}");
    for (from, to, line, column) in [
        ("49,216650,", "49,-99999999999999999999999,", 7, 2),
        ("98,216650,", "98,100000000000000000,", 8, 2),
        (",010,100000,", ",010,7922816251426433759354395033,", 3, 5),
        ("16,195,8325,", "16,195,7922816251426433759354395033,", 4, 3),
    ] {
        let e = parse_err(&BASE.replace(from, to));
        assert_eq!(
            (e.kind, e.location.clone()),
            (ErrorKind::InvalidAmount, Location::LineColumn(line, column)),
            "{to}: {e}"
        );
    }
    // Just below the bound (10^15 - 0.01 USD) is an amount.
    let at_bound = BASE.replace("16,195,8325,", "16,195,99999999999999999,");
    let parsed = parse(&at_bound).unwrap();
    assert_eq!(
        parsed.transactions[0].amount.to_string(),
        "999999999999999.99"
    );
}

/// RELIABILITY B5-51: many amounts at the bound add up without overflow;
/// the totals disagree, so the check fails, but nothing panics.
#[test]
fn many_amounts_at_the_bound_sum_without_panic() {
    let mut file = String::from(
        "01,1,2,100831,1720,1,80,1,2/\n02,2,1,1,100831,1720,USD,4/\n03,3333333333,USD,010,99999999999999999,/\n",
    );
    let n = 2_000;
    for i in 0..n {
        file.push_str(&format!("16,195,99999999999999999,,R{i},,X/\n"));
    }
    file.push_str(&format!(
        "49,-99999999999999999,{}/\n98,-99999999999999999,1,{}/\n99,-99999999999999999,1,{}/\n",
        n + 2,
        n + 4,
        n + 6
    ));
    let parsed = parse(&file).unwrap();
    assert_eq!(parsed.transactions.len(), n);
    assert_eq!(parsed.statements[0].balance_check, BalanceCheck::Fail);
}

proptest! {
    /// RELIABILITY B1-5: any digit string too long for the bound, in any
    /// amount position, is an `Err`, never a panic.
    #[test]
    fn overlong_amounts_are_errors(digits in "[1-9][0-9]{17,60}", field in 0usize..4) {
        let (from, to) = [
            ("16,195,8325,", format!("16,195,{digits},")),
            ("49,216650,", format!("49,{digits},")),
            ("98,216650,", format!("98,-{digits},")),
            ("99,216650,", format!("99,+{digits},")),
        ][field].clone();
        let e = parse(&BASE.replace(from, &to)).unwrap_err();
        prop_assert_eq!(e.kind, ErrorKind::InvalidAmount);
    }

    /// Counts as large as digits allow are errors or mismatches, never a
    /// panic.
    #[test]
    fn huge_counts_are_not_a_panic(digits in "[1-9][0-9]{0,40}") {
        let _ = parse(&BASE.replace("99,216650,1,9/", &format!("99,216650,{digits},{digits}/")));
        let _ = parse(&BASE.replace("49,216650,5/", &format!("49,216650,{digits}/")));
    }
}
