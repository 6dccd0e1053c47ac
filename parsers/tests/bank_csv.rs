//! Bank CSV reader tests: every public sample (profile detection, balance
//! chain per CHECKS.md, golden rendering), the canonical layout's strict
//! errors, the tokenizer's RFC 4180 corners, and a write-then-read property
//! test of the canonical layout.

mod common;

use cashmatch_parsers::bank_csv::builtin_profiles;
use cashmatch_parsers::{
    parse_source, BalanceCheck, CsvColumns, CsvProfile, EntryStatus, ErrorKind, Format, Location,
    ParseError, ParseOptions, ParsedFile, Source,
};
use common::{check_golden, render, sample_files};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn options() -> ParseOptions {
    ParseOptions {
        format: Some(Format::BankCsv),
        ..ParseOptions::default()
    }
}

fn parse(text: &str) -> Result<ParsedFile, ParseError> {
    parse_source(&Source::new("test.csv", text.as_bytes()), &options())
}

fn parse_err(text: &str) -> ParseError {
    match parse(text) {
        Ok(p) => panic!(
            "expected an error, got {} transactions",
            p.transactions.len()
        ),
        Err(e) => e,
    }
}

const HEADER: &str =
    "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n";

/// Expected balance check per sample (CHECKS.md, csv table) and the minimum
/// number of transactions. Files without a balance column are NotCheckable.
fn expected(stem: &str) -> (BalanceCheck, usize) {
    use BalanceCheck::*;
    match stem {
        "oca-paypal-activity_en" => (Pass, 76),
        "oca-paypal-statement_es" => (Pass, 4),
        "ofxdeing-ing-de_with_saldo" => (Pass, 9),
        "ofxdutch-asn-nl_transactie-historie" => (Pass, 11),
        "redsimporters-dcu-us_checking" => (Pass, 10),
        "redsimporters-schwab-us_checking_sections" => (Pass, 7),
        "revolut-ofxstatement-2021-october" => (Pass, 7),
        "oca-sheet-meta_data_separated_credit_debit" => (Fail, 4),
        "redsimporters-schwab-us_checking_2022" => (Fail, 2),
        "revolut-ofxstatement-2022-january" => (Fail, 9),
        "oca-adyen-settlement_detail_report_batch_238" => (NotCheckable, 3),
        "oca-braintree-pull_report" => (NotCheckable, 2),
        "oca-sheet-sample_statement_en" => (NotCheckable, 2),
        "ofxaustrian-easybank-at_giro" => (NotCheckable, 10),
        "ofxaustrian-ingdiba-at" => (NotCheckable, 6),
        "ofxaustrian-livebank-at" => (NotCheckable, 6),
        "ofxaustrian-oberbank-at" => (NotCheckable, 5),
        "ofxaustrian-raiffeisen-at" => (NotCheckable, 7),
        "ofxdeing-ing-de_without_saldo" => (NotCheckable, 6),
        "ofxdutch-ing-nl_ok" => (NotCheckable, 6),
        "ofxdutch-ing-nl_semicolon_unquoted" => (NotCheckable, 6),
        "ofxdutch-knab-nl_transactieoverzicht_ok" => (NotCheckable, 28),
        "ofxsparkasse-de-csvcamt_simple1" => (NotCheckable, 2),
        "ofxsparkasse-de-csvcamt_simple2" => (NotCheckable, 18),
        // Fidelity: 25 data lines, of which 16 transactions; the rest are
        // blank lines and legal disclaimers reported as warnings.
        "redsimporters-fidelity-us_cma_history" => (NotCheckable, 16),
        other => panic!("sample {other} has no expectation: add it from CHECKS.md"),
    }
}

#[test]
fn every_sample_parses_with_the_balance_check_of_checks_md() {
    let files = sample_files("csv");
    assert_eq!(files.len(), 25, "the corpus has 25 CSV samples");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let result = parse_source(&Source::new(&name, &bytes), &options());
        let parsed = result.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        let (check, transactions) = expected(&stem);
        assert_eq!(parsed.transactions.len(), transactions, "{name}");
        for s in &parsed.statements {
            assert_eq!(s.balance_check, check, "{name}: {}", s.check_detail);
        }
        check_golden(&format!("csv__{stem}"), &render(&result));
    }
}

#[test]
fn latin1_exports_are_decoded_only_because_their_profile_declares_it() {
    let path = common::samples_dir().join("csv/ofxdeing-ing-de_with_saldo.csv");
    let bytes = std::fs::read(path).unwrap();
    let parsed = parse_source(&Source::new("x", &bytes), &options()).unwrap();
    assert_eq!(parsed.encoding, "windows-1252");
    assert_eq!(parsed.transactions[4].counterparty_name, "Peter Petersen");
    assert_eq!(parsed.transactions[4].bank_tx_code, "Überweisung");
    assert_eq!(parsed.statements[0].account, "DE12345678901234567890");
    assert_eq!(
        parsed.statements[0].closing_balance.unwrap().to_string(),
        "150.00"
    );
    // A Latin-1 file that only the canonical layout matches is not guessed at.
    let latin1 = format!("{HEADER}DE01,2026-03-02,2026-03-02,1.00,EUR,M\u{fc}ller,,x,r\n");
    let bytes: Vec<u8> = latin1.chars().map(|c| c as u32 as u8).collect();
    let e = parse_source(&Source::new("x", &bytes), &options()).unwrap_err();
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::Encoding, Location::LineColumn(2, 38))
    );
    // ... unless the source is configured for it.
    let opts = ParseOptions {
        encoding: Some("iso-8859-1".into()),
        ..options()
    };
    let parsed = parse_source(&Source::new("x", &bytes), &opts).unwrap();
    assert_eq!(parsed.transactions[0].counterparty_name, "Müller");
}

#[test]
fn footer_and_section_rows_are_warnings_with_their_line() {
    let path = common::samples_dir().join("csv/redsimporters-schwab-us_checking_sections.csv");
    let parsed =
        parse_source(&Source::new("x", &std::fs::read(path).unwrap()), &options()).unwrap();
    let pending = parsed
        .transactions
        .iter()
        .filter(|t| t.status == EntryStatus::Pending)
        .count();
    assert_eq!(pending, 3);
    assert!(parsed.warnings.contains(
        &"line 3: section `Pending Transactions`: the rows after it are pending".to_string()
    ));
    assert!(parsed
        .warnings
        .iter()
        .any(|w| w.starts_with("line 4: not a transaction row")));
}

#[test]
fn canonical_layout_reads_every_column() {
    let text = format!("{HEADER}DE01,2026-03-02,2026-03-03,-1234.50,EUR,\"ACME, Inc.\",DE02,\"INV-1, INV-2 \"\"urgent\"\"\",REF1\r\n");
    let parsed = parse(&text).unwrap();
    assert_eq!(parsed.statements.len(), 1);
    assert_eq!(
        parsed.statements[0].balance_check,
        BalanceCheck::NotCheckable
    );
    let t = &parsed.transactions[0];
    assert_eq!(t.amount.to_string(), "-1234.50");
    assert_eq!(t.counterparty_name, "ACME, Inc.");
    assert_eq!(t.remittance_info, "INV-1, INV-2 \"urgent\"");
    assert_eq!(t.bank_reference, "REF1");
    assert_eq!(t.value_date.unwrap().to_string(), "2026-03-03");
    assert_eq!((t.source_line, t.locator.as_str()), (2, "line 2"));
}

#[test]
fn quoted_newlines_keep_line_numbers_right() {
    let text = format!(
        "{HEADER}A,2026-03-02,,1.00,EUR,x,,\"two\nlines\",r\nA,2026-03-02,,oops,EUR,x,,y,r\n"
    );
    let e = parse_err(&text);
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidAmount, Location::LineColumn(4, 4))
    );
}

#[test]
fn malformed_amount_names_line_column_and_expectation() {
    let e = parse_err(&format!("{HEADER}A,2026-03-02,,\"1,000.00\",EUR,x,,y,r\n"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidAmount, Location::LineColumn(2, 4))
    );
    assert_eq!(
        e.to_string(),
        "bank_csv file `test.csv`, line 2, column 4: amount `1,000.00` in column `amount` is not valid: \
         expected an amount with `.` decimals and no grouping, e.g. `-1234.56`"
    );
    let e = parse_err(&format!("{HEADER}A,2026-03-02,,1.005,EUR,x,,y,r\n"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidAmount, Location::LineColumn(2, 4))
    );
    let e = parse_err(&format!("{HEADER}A,2026-03-02,,,EUR,x,,y,r\n"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::MissingField, Location::LineColumn(2, 4))
    );
}

#[test]
fn malformed_date_names_line_column_and_expectation() {
    let e = parse_err(&format!(
        "{HEADER}A,2026-03-02,,1.00,EUR,x,,y,r\nA,02.03.2026,,1.00,EUR,x,,y,r\n"
    ));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidDate, Location::LineColumn(3, 2))
    );
    assert!(e.to_string().ends_with("date `02.03.2026` in column `booking_date` is not valid: expected a date as `%Y-%m-%d`"), "{e}");
    let e = parse_err(&format!("{HEADER}A,2026-02-30,,1.00,EUR,x,,y,r\n"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidDate, Location::LineColumn(2, 2))
    );
    let e = parse_err(&format!(
        "{HEADER}A,2026-02-03,2026-13-01,1.00,EUR,x,,y,r\n"
    ));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidDate, Location::LineColumn(2, 3))
    );
}

#[test]
fn canonical_layout_rejects_ragged_rows_and_bad_quotes() {
    let e = parse_err(&format!("{HEADER}A,2026-03-02,,1.00,EUR,x,,y\n"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::Structure, Location::Line(2))
    );
    let e = parse_err(&format!("{HEADER}A,2026-03-02,,1.00,EUR,\"x,,y,r\n"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::Structure, Location::Line(2))
    );
    let e = parse_err(&format!("{HEADER}A,2026-03-02,,1.00,eur,x,,y,r\n"));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidCurrency, Location::LineColumn(2, 5))
    );
}

#[test]
fn unknown_layouts_are_rejected_with_a_reason() {
    let e = parse_err("a,b,c\n1,2,3\n");
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::UnknownFormat, Location::Line(1))
    );
    let e = parse_err("account,booking_date,value_date,amount,currency,counterparty_name\nA,2026-03-02,,1.00,EUR,x\n");
    assert_eq!(e.kind, ErrorKind::MissingField);
    assert!(e.message.contains("`counterparty_account`"), "{e}");
    assert_eq!(parse_err("").kind, ErrorKind::Empty);
}

#[test]
fn binary_garbage_is_an_error_not_a_panic() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 11) as u8)
        .collect();
    let e = parse_source(&Source::new("x", &garbage), &options()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encoding);
}

#[test]
fn user_profile_wins_by_header_match() {
    let profile = CsvProfile {
        name: "my_bank".into(),
        delimiter: b'|',
        decimal_separator: ',',
        thousands_separator: Some('\''),
        date_format: "%d/%m/%y".into(),
        currency: Some("CHF".into()),
        columns: CsvColumns {
            booking_date: Some("Day".into()),
            credit: Some("In".into()),
            debit: Some("Out".into()),
            remittance_info: vec!["What".into()],
            balance: Some("Bal".into()),
            ..CsvColumns::default()
        },
        ..CsvProfile::default()
    };
    let opts = ParseOptions {
        csv_profiles: vec![profile],
        ..options()
    };
    let text = "Exported by My Bank\nDay|What|In|Out|Bal\n01/02/26|salary|1'000,00||1'000,00\n02/02/26|rent||400,00|600,00\n";
    let parsed = parse_source(&Source::new("x", text.as_bytes()), &opts).unwrap();
    let amounts: Vec<String> = parsed
        .transactions
        .iter()
        .map(|t| t.amount.to_string())
        .collect();
    assert_eq!(amounts, ["1000.00", "-400.00"]);
    assert_eq!(parsed.statements[0].balance_check, BalanceCheck::Pass);
    assert_eq!(
        parsed.warnings,
        vec!["lines 1-1: 1 preamble line(s) before the header at line 2 skipped".to_string()]
    );
    let broken = text.replace("600,00", "600,01");
    let parsed = parse_source(&Source::new("x", broken.as_bytes()), &opts).unwrap();
    assert_eq!(parsed.statements[0].balance_check, BalanceCheck::Fail);
    assert_eq!(
        parsed.statements[0].check_detail,
        "line 4: running balance 600.01 vs 1000.00 + -400.00 = 600.00 (diff 0.01)"
    );
}

#[test]
fn builtin_profiles_have_unique_names_and_compile() {
    let profiles = builtin_profiles();
    assert_eq!(profiles[0], CsvProfile::default());
    let mut names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate profile names");
    assert!(before >= 20);
}

// ---------------------------------------------------------------------------
// Round trip of the canonical layout.

#[derive(Debug, Clone)]
struct GenRow {
    account: String,
    day: u32,
    amount_minor: i64,
    currency: &'static str,
    name: String,
    text: String,
    reference: String,
}

fn gen_row() -> impl Strategy<Value = GenRow> {
    (
        "[A-Z]{2}[0-9]{2}[A-Z0-9]{4,12}",
        0u32..3650,
        -10_000_000_000i64..10_000_000_000,
        prop::sample::select(vec!["EUR", "USD", "JPY", "KWD"]),
        "[A-Za-z][A-Za-z ,.'\"&-]{0,20}",
        // Remittance text with commas, quotes, slashes and line breaks.
        "[A-Za-z0-9][A-Za-z0-9 ,/\"\n-]{0,40}",
        "[A-Z0-9/-]{0,16}",
    )
        .prop_map(
            |(account, day, amount_minor, currency, name, text, reference)| GenRow {
                account,
                day,
                amount_minor,
                currency,
                name: name.trim().to_string(),
                text: text.trim().to_string(),
                reference,
            },
        )
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn decimal(row: &GenRow) -> Decimal {
    let exponent = cashmatch_parsers::amount::currency_exponent(row.currency);
    Decimal::new(row.amount_minor, exponent)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn written_rows_read_back_identically(rows in prop::collection::vec(gen_row(), 1..20)) {
        let base = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let mut text = String::from(HEADER);
        for r in &rows {
            let date = base + chrono::Days::new(u64::from(r.day));
            text.push_str(&format!(
                "{},{date},{date},{},{},{},,{},{}\n",
                r.account, decimal(r), r.currency, quote(&r.name), quote(&r.text), r.reference
            ));
        }
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed.transactions.len(), rows.len());
        for (t, r) in parsed.transactions.iter().zip(&rows) {
            let date = base + chrono::Days::new(u64::from(r.day));
            prop_assert_eq!(&t.account, &r.account);
            prop_assert_eq!(t.amount, decimal(r));
            prop_assert_eq!(t.currency.as_str(), r.currency);
            prop_assert_eq!(t.booking_date, Some(date));
            prop_assert_eq!(&t.counterparty_name, &r.name);
            prop_assert_eq!(&t.remittance_info, &r.text);
            prop_assert_eq!(&t.bank_reference, &r.reference);
            let s = &parsed.statements[t.statement_index];
            prop_assert_eq!((&s.account, &s.currency), (&t.account, &t.currency));
        }
    }
}

/// Throughput on a synthetic 64 MB canonical file; run with
/// `cargo test --release --test bank_csv -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let row = "DE89370400440532013000,2026-03-02,2026-03-03,-1234.56,EUR,\"ACME, Inc.\",DE02500105170137075030,INV-2026-001 payment,REF12345\n";
    let text = format!("{HEADER}{}", row.repeat((64 << 20) / row.len()));
    let start = std::time::Instant::now();
    let parsed = parse(&text).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "csv: {} transactions, {:.0} MB/s",
        parsed.transactions.len(),
        text.len() as f64 / secs / 1e6
    );
}

/// RELIABILITY B1-5 / B5-51: an amount beyond the bound (|amount| < 10^15)
/// rejects the file with line and column; `entries_sum += amount` on two
/// amounts near `Decimal::MAX` used to panic.
#[test]
fn amounts_beyond_the_bound_are_rejected_not_a_panic() {
    let huge = "79228162514264337593543950335";
    let e = parse_err(&format!(
        "{HEADER}A,2026-03-02,,{huge},EUR,x,,y,r1\nA,2026-03-02,,{huge},EUR,x,,y,r2\n"
    ));
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidAmount, Location::LineColumn(2, 4))
    );
    assert!(e.to_string().contains("amount bound"), "{e}");
    let e = parse_err(&format!(
        "{HEADER}A,2026-03-02,,-1000000000000000,EUR,x,,y,r\n"
    ));
    assert!(e.to_string().contains("amount bound"), "{e}");
    let parsed = parse(&format!(
        "{HEADER}A,2026-03-02,,-999999999999999.99,EUR,x,,y,r\n"
    ))
    .unwrap();
    assert_eq!(
        parsed.transactions[0].amount.to_string(),
        "-999999999999999.99"
    );
}

/// RELIABILITY B1-11: a running balance with more decimals than the
/// currency allows rejects the file, like an amount does.
#[test]
fn balance_with_excess_scale_is_rejected() {
    let profile = CsvProfile {
        name: "bal".into(),
        currency: Some("EUR".into()),
        columns: CsvColumns {
            booking_date: Some("Day".into()),
            amount: Some("Amt".into()),
            balance: Some("Bal".into()),
            ..CsvColumns::default()
        },
        ..CsvProfile::default()
    };
    let opts = ParseOptions {
        csv_profiles: vec![profile],
        ..options()
    };
    let text = "Day,Amt,Bal\n2026-02-01,10.00,10.001\n";
    let e = parse_source(&Source::new("x", text.as_bytes()), &opts).unwrap_err();
    assert_eq!(
        (e.kind, e.location.clone()),
        (ErrorKind::InvalidAmount, Location::LineColumn(2, 3))
    );
    assert!(
        e.to_string().contains("more decimals than EUR allows (2)"),
        "{e}"
    );
    let text = "Day,Amt,Bal\n2026-02-01,10.00,10.000\n";
    assert!(parse_source(&Source::new("x", text.as_bytes()), &opts).is_ok());
}

proptest! {
    /// RELIABILITY B1-5: many rows of amounts, any of them over-long, are
    /// an `Err` or a parse, never a panic.
    #[test]
    fn huge_amounts_in_many_rows_are_not_a_panic(digits in "[1-9][0-9]{0,40}", rows in 1usize..50) {
        let mut text = String::from(HEADER);
        for i in 0..rows {
            text.push_str(&format!("A,2026-03-02,,{digits}.5,EUR,x,,y,r{i}\n"));
        }
        let result = parse(&text);
        prop_assert_eq!(result.is_ok(), digits.len() <= 15);
    }
}

/// Profiles are data: a built-in profile file has the shape of a user's
/// `[[csv_profiles]]` entry, and the delimiter may be written as a
/// character (`";"`) as well as its byte (`59`, as before).
#[test]
fn profile_delimiter_is_a_character_or_a_byte() {
    let text: CsvProfile = toml::from_str("name = \"x\"\ndelimiter = \";\"\n").unwrap();
    let byte: CsvProfile = toml::from_str("name = \"x\"\ndelimiter = 59\n").unwrap();
    assert_eq!(text, byte);
    assert_eq!(text.delimiter, b';');
    let e = toml::from_str::<CsvProfile>("delimiter = \";;\"\n").unwrap_err();
    assert!(e.to_string().contains("one ASCII character"), "{e}");
}
