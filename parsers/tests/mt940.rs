//! MT940/MT942 reader tests: every public sample (checked against CHECKS.md
//! and a golden rendering), the `:86:` dialects, damaged inputs, year
//! inference, and a write-then-read property test.

mod common;

use cashmatch_parsers::{
    parse_source, BalanceCheck, ErrorKind, Format, Location, ParseError, ParseOptions, ParsedFile,
    Source, StatementTransaction,
};
use chrono::{Datelike, Duration, NaiveDate};
use common::{check_golden, render, sample_files};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Per sample, from CHECKS.md: entries, then one letter per statement
/// (`P` reconciles, `F` does not).
const EXPECTED: &[(&str, u64, &str)] = &[
    ("fruitl00p-bunq-nl.mt940", 111, "P"),
    ("fruitl00p-hsbc-hk.mt940", 1, "F"),
    ("fruitl00p-komercijalna-mk.mt940", 3, "P"),
    ("fruitl00p-kontist-de.mt940", 6, "P"),
    ("fruitl00p-penta-de.mt940", 30, "P"),
    ("fruitl00p-zenithbank-ng.mt940", 8, "P"),
    ("oca-brd-ro-test-brd.940", 2, "P"),
    ("oca-ing-nl-test-ing-old.940", 8, "P"),
    ("oca-ing-nl-test-ing.940", 8, "P"),
    ("oca-mollie-nl-voorbeeld.mt940", 21, "P"),
    ("oca-rabo-nl-test-wrong-file.940", 1, "P"),
    ("oca-sns-nl-test-sns-utf8.940", 8, "PPF"),
    ("wolph-asnb-nl.mt940", 8, "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP"),
    ("wolph-betterplace-binary-char-de.mt940", 4, "PP"),
    (
        "wolph-betterplace-sepa-de.mt940",
        97,
        "PPPPPPPPPPPPPPPPPPPPPPPPPP",
    ),
    ("wolph-citi.mt940", 5, "P"),
    ("wolph-cmxl-de-dem.mt940", 16, "PPP"),
    ("wolph-jejik-abnamro-nl.mt940", 10, "FF"),
    ("wolph-jejik-knab-nl.mt940", 3, "PF"),
    ("wolph-jejik-postfinance-ch.mt940", 4, "PF"),
    ("wolph-jejik-rabobank-iban-nl.mt940", 4, "PP"),
    ("wolph-jejik-triodos-nl.mt940", 2, "F"),
    ("wolph-mbank-pl.mt940", 3, "P"),
    ("wolph-mbank-pl.mt942", 3, "P"),
    ("wolph-raiffeisen-hu-cmi.mt940", 7, "F"),
    ("wolph-sberbank-hu.mt940", 3, "P"),
    ("wolph-selfprovided.mt942", 1, "F"),
];

/// The `(diff ...)` CHECKS.md reports for each failing balance.
const EXPECTED_DIFFS: &[(&str, &[&str])] = &[
    ("fruitl00p-hsbc-hk.mt940", &["(diff 20000.00)"]),
    (
        "wolph-jejik-abnamro-nl.mt940",
        &["(diff -2038.00)", "(diff -1002.60)"],
    ),
    ("wolph-jejik-knab-nl.mt940", &["(diff 4500.00)"]),
    ("wolph-jejik-postfinance-ch.mt940", &["(diff 0.2)"]),
    ("wolph-jejik-triodos-nl.mt940", &["(diff 111.40)"]),
    ("wolph-raiffeisen-hu-cmi.mt940", &["(diff 1123264.00)"]),
];

/// Raiffeisen HU exports in DOS code page 852; the source is configured so.
const RAIFFEISEN: &str = "wolph-raiffeisen-hu-cmi.mt940";

fn options_for(name: &str) -> ParseOptions {
    let encoding = (name == RAIFFEISEN).then(|| "ibm852".to_string());
    ParseOptions {
        encoding,
        ..ParseOptions::default()
    }
}

fn sample(name: &str) -> ParsedFile {
    let bytes = std::fs::read(common::samples_dir().join("mt940").join(name)).unwrap();
    parse_source(&Source::new(name, &bytes), &options_for(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse(text: &str) -> Result<ParsedFile, ParseError> {
    parse_source(
        &Source::new("test.mt940", text.as_bytes()),
        &ParseOptions::default(),
    )
}

fn parse_ok(text: &str) -> ParsedFile {
    parse(text).unwrap_or_else(|e| panic!("expected a parse, got {e}"))
}

fn parse_err(text: &str) -> ParseError {
    match parse(text) {
        Ok(p) => panic!("expected an error, got {} statements", p.statements.len()),
        Err(e) => e,
    }
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

#[test]
fn every_sample_parses_with_the_check_result_of_checks_md() {
    let files = sample_files("mt940");
    assert_eq!(
        files.len(),
        EXPECTED.len(),
        "the corpus has 27 MT940/MT942 samples"
    );
    let (mut statements, mut reconciled) = (0, 0);
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let &(_, entries, checks) = EXPECTED
            .iter()
            .find(|e| e.0 == name)
            .unwrap_or_else(|| panic!("{name} is not in CHECKS.md"));
        let result = parse_source(&Source::new(&name, &bytes), &options_for(&name));
        let parsed = result.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        let want_format = if name.ends_with(".mt942") {
            Format::Mt942
        } else {
            Format::Mt940
        };
        assert_eq!(parsed.format, Some(want_format), "{name}");
        assert_eq!(parsed.transactions.len() as u64, entries, "{name}: entries");
        let got: String = parsed
            .statements
            .iter()
            .map(|s| match s.balance_check {
                BalanceCheck::Pass => 'P',
                BalanceCheck::Fail => 'F',
                BalanceCheck::NotCheckable => 'N',
            })
            .collect();
        let details: Vec<&str> = parsed
            .statements
            .iter()
            .map(|s| s.check_detail.as_str())
            .collect();
        assert_eq!(got, checks, "{name}: {details:?}");
        for s in &parsed.statements {
            assert_eq!(
                s.entries,
                parsed
                    .transactions
                    .iter()
                    .filter(|t| std::ptr::eq(&parsed.statements[t.statement_index], s))
                    .count() as u64
            );
            assert_eq!(
                s.check_detail.is_empty(),
                s.balance_check == BalanceCheck::Pass,
                "{name}: {}",
                s.check_detail
            );
        }
        if let Some((_, diffs)) = EXPECTED_DIFFS.iter().find(|d| d.0 == name) {
            let failing: Vec<&str> = details.iter().copied().filter(|d| !d.is_empty()).collect();
            assert_eq!(failing.len(), diffs.len(), "{name}: {failing:?}");
            for (detail, diff) in failing.iter().zip(diffs.iter()) {
                assert!(
                    detail.ends_with(diff),
                    "{name}: `{detail}` should end with `{diff}`"
                );
            }
        }
        statements += parsed.statements.len();
        reconciled += parsed
            .statements
            .iter()
            .filter(|s| s.balance_check == BalanceCheck::Pass)
            .count();
        let stem = name.replace('.', "_");
        check_golden(&format!("mt940__{stem}"), &render(&result));
    }
    assert_eq!(
        (statements, reconciled),
        (91, 82),
        "CHECKS.md: 91 statements, 82 reconcile"
    );
}

#[test]
fn detection_finds_mt940_and_mt942_without_a_hint() {
    for path in sample_files("mt940") {
        let bytes = std::fs::read(&path).unwrap();
        let detected = cashmatch_parsers::detect_format(&bytes);
        assert!(
            matches!(detected, Some(Format::Mt940 | Format::Mt942)),
            "{}: {detected:?}",
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------
// Odd samples

#[test]
fn cp852_file_is_rejected_by_default_and_reads_when_configured() {
    let bytes = std::fs::read(common::samples_dir().join("mt940").join(RAIFFEISEN)).unwrap();
    let err = parse_source(&Source::new(RAIFFEISEN, &bytes), &ParseOptions::default()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Encoding);
    assert!(
        err.message.contains("byte 0xA0 at offset 127"),
        "{}",
        err.message
    );
    assert_eq!(err.location, Location::LineColumn(7, 11));
    let parsed = sample(RAIFFEISEN);
    assert_eq!(parsed.encoding, "IBM852");
    let t = &parsed.transactions[0];
    assert_eq!(t.remittance_info, "CAB18D1700041116 109876543210000012345678 HUNGARY KFT. UV, napi összevont utánvét, 2018.04 .17, A13947109201804175000000097, X Csoportos átutalás jóváírása", "with the :61: booking text");
    assert_eq!(
        parsed.transactions[1].remittance_info,
        "BBK18D0000188142 123777040156667300100001 SPYMARKET S.R.O. 18175 Bankon belüli átutalás"
    );
}

#[test]
fn mojibake_in_the_statement_id_is_valid_utf8_and_kept_as_is() {
    let parsed = sample("wolph-betterplace-binary-char-de.mt940");
    assert_eq!(parsed.encoding, "UTF-8");
    assert_eq!(parsed.statements[0].statement_id, "STAR1ÜTßUMS");
    assert_eq!(parsed.statements[1].statement_id, "STAR1ÜTUMS");
}

#[test]
fn sns_message_without_closing_balance_fails_and_warns() {
    let parsed = sample("oca-sns-nl-test-sns-utf8.940");
    let last = &parsed.statements[2];
    assert_eq!(last.balance_check, BalanceCheck::Fail);
    assert!(
        last.check_detail
            .starts_with("closing balance :62F:/:62M: missing"),
        "{}",
        last.check_detail
    );
    assert_eq!(last.closing_balance, None);
    assert!(parsed.has_failed_checks());
    assert!(
        parsed
            .warnings
            .iter()
            .any(|w| w.contains("may be truncated")),
        "{:?}",
        parsed.warnings
    );
    // SNS puts `IBAN name` on the first :86: line and pads lines to 65 columns.
    let t = &parsed.transactions[2];
    assert_eq!(
        (
            t.counterparty_account.as_str(),
            t.counterparty_name.as_str()
        ),
        ("NL94INGB0000869000", "vitens nv")
    );
    assert!(
        t.remittance_info.contains("VNKlantnr 00000000000"),
        "{}",
        t.remittance_info
    );
    assert!(
        t.remittance_info.contains("NL84ZZZ050695810000"),
        "{}",
        t.remittance_info
    );
    assert!(
        parsed.transactions[1]
            .remittance_info
            .contains("4XZJ4Z   MCC:5411"),
        "{}",
        parsed.transactions[1].remittance_info
    );
}

#[test]
fn ing_fields_wrapped_mid_token_are_rejoined() {
    let parsed = sample("oca-ing-nl-test-ing.940");
    assert_eq!(parsed.statements[0].sequence, "00000");
    let t = &parsed.transactions;
    assert_eq!(t[0].bank_reference, "00000000001005");
    assert_eq!(t[0].end_to_end_id, "EV12341REP1231456T1234");
    assert_eq!(t[0].counterparty_account, "NL32INGB0000012345");
    assert_eq!(t[0].counterparty_name, "ING BANK NV INZAKE WEB");
    assert_eq!(t[0].remittance_info, "EV10001REP1000000T1000");
    // `/EREF/EV123R` + `EP123412T1234`, and a `-` alone on a line inside :86:.
    assert_eq!(t[3].end_to_end_id, "EV123REP123412T1234");
    assert_eq!(t[3].remittance_info, "EV123REP123412T1234");
    assert_eq!(t[5].remittance_info, "CONTRIBUTIE FEB 2014");
    assert_eq!(t[5].counterparty_name, "J.Janssen");
    assert_eq!(t[6].structured_refs, vec!["9001123412341234".to_string()]);
    assert_eq!(t[6].counterparty_name, "J.Janssen");
    assert_eq!(
        t[4].end_to_end_id, "M000000001111111",
        "a batch is known by its /PREF/"
    );
    assert_eq!(t[4].remittance_info, "TOTAAL 1 POSTEN");
    assert_eq!(t[1].booking_date, date(2014, 2, 20));
    assert_eq!(t[1].value_date, date(2014, 2, 20));
    let old = sample("oca-ing-nl-test-ing-old.940");
    assert_eq!(old.transactions[0].value_date, date(2014, 1, 20));
    assert_eq!(old.transactions[0].booking_date, date(2014, 2, 20));
}

#[test]
fn german_question_mark_subfields() {
    let parsed = sample("fruitl00p-kontist-de.mt940");
    let t = &parsed.transactions[2];
    assert_eq!(t.remittance_info, "Rechnung-Nr.: INV-00002 v. 13.02.21");
    assert_eq!(t.counterparty_account, "DE32334400000003909884");
    assert_eq!(t.counterparty_name, "DM PUTZ + STUCK UG HAFTUNGSBESCHRANKT");
    assert_eq!(parsed.transactions[1].counterparty_name, "Lucien Schünke");
    let bp = sample("wolph-betterplace-binary-char-de.mt940");
    assert_eq!(
        bp.transactions[0].remittance_info,
        "QQW53T2245ZGY46J ABBUCHUNG VOM PAYPAL-KONTO 100318P3TX1433EV"
    );
    assert_eq!(bp.transactions[0].counterparty_name, "PAYPAL");
    assert_eq!(bp.transactions[0].amount.to_string(), "27.00");
}

#[test]
fn sepa_keywords_inside_question_mark_subfields() {
    let text = ":20:X\n:25:DE1\n:28C:1\n:60F:C240101EUR0,00\n:61:2401020102CR10,00NTRFNONREF\n\
:86:166?00GUTSCHR. UEBERWEISUNG?20EREF+E2E-4711?21SVWZ+Rechnung 2024-0815 vom\n?22 01.01.2024?30GENODEF1XXX?31DE02100100100006820101?32Muster GmbH\n\
:62F:C240102EUR10,00\n-\n";
    let parsed = parse_ok(text);
    let t = &parsed.transactions[0];
    assert_eq!(t.end_to_end_id, "E2E-4711");
    assert_eq!(t.remittance_info, "Rechnung 2024-0815 vom 01.01.2024");
    assert_eq!(t.counterparty_account, "DE02100100100006820101");
    assert_eq!(t.counterparty_name, "Muster GmbH");
}

#[test]
fn triodos_and_brd_subfield_separators() {
    let tr = sample("wolph-jejik-triodos-nl.mt940");
    assert_eq!(
        tr.transactions[0].remittance_info,
        "ALGEMENE TUSSENREKENING KOSTEN VAN 01-10-2010 TOT EN MET 31-12-2010"
    );
    assert_eq!(
        tr.transactions[1].remittance_info,
        "HUUR KANTOOR - FEB 2010"
    );
    let brd = sample("oca-brd-ro-test-brd.940");
    let t = &brd.transactions[0];
    assert_eq!(t.counterparty_account, "RO89RZBR0000060003480121");
    assert_eq!(t.counterparty_name, "RUSSMEDIA PRESS SRL");
    assert_eq!(t.remittance_info, "Plata PLATA FACT 4603309");
    assert_eq!(t.end_to_end_id, "OPH478");
}

#[test]
fn slash_tag_dialects_of_rabobank_mollie_bunq_and_skopje() {
    let rabo = sample("wolph-jejik-rabobank-iban-nl.mt940");
    let t = &rabo.transactions[0];
    assert_eq!(t.counterparty_name, "CONTRA ACCOUNT HOLDER");
    assert_eq!(
        t.counterparty_account, "NL70ABNA0987654321",
        "from the :61: supplementary line"
    );
    assert_eq!(t.end_to_end_id, "01-01-2013 12:00 0030000987654321");
    assert_eq!(
        rabo.transactions[1].remittance_info, "Reference 201301234 P001234567",
        "plus the :61: supplementary line"
    );
    assert_eq!(
        t.booking_date,
        date(2013, 1, 1),
        "no entry date: booking date is the value date"
    );
    let mollie = sample("oca-mollie-nl-voorbeeld.mt940");
    let last = mollie.transactions.last().unwrap();
    assert_eq!(last.counterparty_name, "Mollie B.V.");
    assert_eq!(last.remittance_info, "Factuurnummer 2016.00000");
    assert_eq!(last.end_to_end_id, "", "NOTPROVIDED is no reference");
    assert_eq!(mollie.transactions[0].end_to_end_id, "tr_XXXXXXXXX");
    let bunq = sample("fruitl00p-bunq-nl.mt940");
    assert_eq!(bunq.transactions[2].counterparty_name, "www.thomann.de");
    assert_eq!(
        bunq.transactions[2].remittance_info,
        "www.thomann.de Burgebrach, DE"
    );
    let mk = sample("fruitl00p-komercijalna-mk.mt940");
    let t = &mk.transactions[2];
    assert_eq!(t.counterparty_account, "300000000460495");
    assert_eq!(t.counterparty_name, "IVOTEHNA DOOEL SKOPJE");
    assert_eq!(t.remittance_info, "747//747 Uplata po faktura 747");
    assert_eq!(t.amount.to_string(), "2250");
}

#[test]
fn free_text_dialects() {
    let penta = sample("fruitl00p-penta-de.mt940");
    let t = &penta.transactions[2];
    assert_eq!(t.counterparty_name, "HOPPA Inc");
    assert_eq!(t.counterparty_account, "GB29DEUT40333124517700");
    assert_eq!(
        t.remittance_info,
        "CCI : 0150577373,PURPOSE:DEVELOPER PROCEEDS,HOPPA PRODUKTVERKAUF AWAKE"
    );
    assert_eq!(t.bank_tx_code, "", "Penta writes no transaction type");
    let pf = sample("wolph-jejik-postfinance-ch.mt940");
    assert!(
        pf.transactions[2]
            .remittance_info
            .contains("XXXXXXXXSTRASSE 111 1234"),
        "{}",
        pf.transactions[2].remittance_info
    );
    assert!(pf.transactions[2]
        .remittance_info
        .ends_with("1 SONNENGLAESER 20131216007602112345678000000012"));
    assert_eq!(
        pf.transactions[2].bank_reference, "",
        "`//NONREF` is no bank reference"
    );
    let abn = sample("wolph-jejik-abnamro-nl.mt940");
    assert_eq!(abn.transactions[0].remittance_info, "GIRO   428428 KPN - DIGITENNE    BETALINGSKENM.  000000042188659 5314606715                       BETREFT FACTUUR D.D. 20-05-2011 INCL. 1,44 BTW");
    assert_eq!(abn.transactions[0].amount.to_string(), "-9");
}

#[test]
fn funds_codes_missing_types_and_odd_references() {
    let citi = sample("wolph-citi.mt940");
    let t = &citi.transactions[0];
    assert_eq!(
        (t.amount.to_string(), t.booking_date),
        ("-212.39".to_string(), date(2024, 3, 12))
    );
    assert_eq!(
        citi.transactions[2].remittance_info, "/ABC/DEF/C 37897,00 BAI CD 025",
        "no :86:: the supplementary line"
    );
    let zenith = sample("fruitl00p-zenithbank-ng.mt940");
    assert_eq!(zenith.transactions[0].bank_reference, "19239782213");
    assert_eq!(zenith.transactions[0].amount.to_string(), "220000.00");
    let sber = sample("wolph-sberbank-hu.mt940");
    let t = &sber.transactions[0];
    assert_eq!(
        (t.bank_tx_code.as_str(), t.end_to_end_id.as_str()),
        ("S", "X")
    );
    assert!(
        t.remittance_info.starts_with("01526715 02A12596785"),
        "{}",
        t.remittance_info
    );
    assert!(
        t.remittance_info
            .contains("15ERGO Versicherung AG Fiokte 16lep"),
        "{}",
        t.remittance_info
    );
    let knab = sample("wolph-jejik-knab-nl.mt940");
    assert!(
        knab.warnings
            .iter()
            .any(|w| w.starts_with("line 17: `:61:` amount without decimal comma")),
        "{:?}",
        knab.warnings
    );
    assert_eq!(knab.transactions[2].amount.to_string(), "500");
    let own = sample("wolph-selfprovided.mt942");
    assert_eq!(own.transactions[0].bank_tx_code, "MCI0");
    assert!(
        own.warnings.iter().any(|w| w.contains("`MCI0`")),
        "{:?}",
        own.warnings
    );
    assert_eq!(
        own.statements[0].check_detail,
        ":90D: 1 entries / 2.30 vs computed 1 entries / 0.42"
    );
    assert_eq!(own.statements[0].to_date, date(2016, 10, 30));
}

#[test]
fn debit_opening_balance_and_statement_dates() {
    let parsed = sample("wolph-betterplace-sepa-de.mt940");
    let s = &parsed.statements[0];
    assert_eq!(s.opening_balance.unwrap().to_string(), "-1234718.36");
    assert_eq!(s.closing_balance.unwrap().to_string(), "-1237628.23");
    let mollie = sample("oca-mollie-nl-voorbeeld.mt940");
    assert_eq!(
        mollie.statements[0].closing_balance.unwrap().to_string(),
        "-1350.26"
    );
    assert_eq!(mollie.statements[0].from_date, date(2016, 9, 1));
    let ing = sample("oca-ing-nl-test-ing.940");
    assert_eq!(ing.statements[0].statement_id, "P140220000000001");
    assert_eq!(ing.statements[0].account, "NL77INGB0574908765EUR");
}

// ---------------------------------------------------------------------------
// Damaged input

const HEAD: &str = ":20:REF1\n:25:NL01BANK0123456789\n:28C:1/1\n:60F:C240101EUR100,00\n";

#[test]
fn truncated_after_a_61_is_reported_not_accepted() {
    let parsed = parse_ok(&format!(
        "{HEAD}:61:2401020102D10,00NTRFNONREF\n:86:half a remittance"
    ));
    let s = &parsed.statements[0];
    assert_eq!(s.balance_check, BalanceCheck::Fail);
    assert!(
        s.check_detail
            .contains("closing balance :62F:/:62M: missing"),
        "{}",
        s.check_detail
    );
    assert!(
        s.check_detail.contains("ends at line 6"),
        "{}",
        s.check_detail
    );
    assert!(parsed.has_failed_checks());
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
    // Cut inside the :61: itself: no amount left.
    let err = parse_err(&format!("{HEAD}:61:2401020102D"));
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidAmount, Location::Line(5))
    );
}

#[test]
fn bad_amounts_are_errors_with_their_line() {
    let err = parse_err(&format!(
        "{HEAD}:61:2401020102D1.000,00NTRFNONREF\n:62F:C240102EUR90,00\n"
    ));
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidAmount, Location::Line(5)),
        "{err}"
    );
    let err = parse_err(":20:R\n:25:A\n:28C:1\n:60F:C240101EUR1O0,00\n:62F:C240101EUR100,00\n");
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidAmount, Location::Line(4)),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("MT940 file `test.mt940`, line 4: `:60F:` amount `1O0,00`"),
        "{err}"
    );
    let err = parse_err(":20:R\n:25:A\n:28C:1\n:60F:C240101EUR100,00\n:62F:C240101EUR,5\n");
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidAmount, Location::Line(5))
    );
    let err = parse_err(":20:R\n:25:A\n:60F:C240101E1R100,00\n");
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidCurrency, Location::Line(3))
    );
}

#[test]
fn impossible_dates_are_errors_with_their_line() {
    // RELIABILITY row 13: Feb 30 is rejected, never clamped.
    let err = parse_err(&format!(
        "{HEAD}:61:2402300230D10,00NTRFNONREF\n:62F:C240102EUR90,00\n"
    ));
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidDate, Location::Line(5)),
        "{err}"
    );
    let err = parse_err(&format!(
        "{HEAD}:61:2402280230D10,00NTRFNONREF\n:62F:C240102EUR90,00\n"
    ));
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidDate, Location::Line(5)),
        "{err}"
    );
    let err = parse_err(":20:R\n:25:A\n:60F:C230229EUR1,00\n");
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidDate, Location::Line(3)),
        "{err}"
    );
    let err = parse_err(&format!("{HEAD}:61:24O102D10,00NTRFNONREF\n"));
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidDate, Location::Line(5)),
        "{err}"
    );
}

#[test]
fn missing_20_is_an_error_not_zero_statements() {
    // RELIABILITY row 18: no :20: must not mean "zero statements, silently".
    let err = parse_err(":25:NL01\n:28C:1\n:60F:C240101EUR1,00\n:61:2401020102C1,00NTRFNONREF\n:62F:C240102EUR2,00\n");
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::MissingField, Location::Line(1)),
        "{err}"
    );
    // The same inside a file after a good message.
    let err = parse_err(&format!(
        "{HEAD}:62F:C240101EUR100,00\n-\n:25:NL01\n:61:2401020102C1,00NTRFNONREF\n"
    ));
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::MissingField, Location::Line(7)),
        "{err}"
    );
    let err = parse_err(":20:R\n:28C:1\n:60F:C240101EUR1,00\n:62F:C240101EUR1,00\n");
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::MissingField, Location::Line(1)),
        "no :25:"
    );
}

#[test]
fn unknown_tags_are_warned_about_by_line() {
    let parsed = parse_ok(&format!("{HEAD}:99X:whatever\n:62F:C240101EUR100,00\n-\n"));
    assert_eq!(
        parsed.warnings,
        vec!["line 5: unknown field `:99X:` ignored".to_string()]
    );
    assert_eq!(parsed.statements[0].balance_check, BalanceCheck::Pass);
}

#[test]
fn garbage_empty_and_non_utf8_inputs_fail_cleanly() {
    let opts = ParseOptions {
        format: Some(Format::Mt940),
        ..ParseOptions::default()
    };
    let run = |bytes: &[u8]| parse_source(&Source::new("x.mt940", bytes), &opts);
    assert_eq!(run(b"").unwrap_err().kind, ErrorKind::Empty);
    assert_eq!(run(b"\n\r\n  \x01\n").unwrap_err().kind, ErrorKind::Empty);
    assert_eq!(
        run(b"hello world, this is not a bank statement at all and it is long")
            .unwrap_err()
            .kind,
        ErrorKind::Structure
    );
    let err = run(b":20:R\n:25:A\xff\xfe\n").unwrap_err();
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::Encoding, Location::LineColumn(2, 6))
    );
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(run(&garbage).is_err());
    let ascii_garbage: Vec<u8> = garbage.iter().map(|b| b & 0x7f).collect();
    let _ = run(&ascii_garbage);
    assert!(run(b":20:\n:61:").is_err());
}

#[test]
fn line_and_record_limits_are_enforced() {
    let mut opts = ParseOptions::default();
    opts.limits.records_max = 1;
    let text =
        format!("{HEAD}:61:2401020102D10,00NTRF\n:61:2401020102D10,00NTRF\n:62F:C240102EUR80,00\n");
    let err = parse_source(&Source::new("t", text.as_bytes()), &opts).unwrap_err();
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::LimitExceeded, Location::Line(6))
    );
    opts.limits.line_bytes_max = 10;
    let err = parse_source(&Source::new("t", text.as_bytes()), &opts).unwrap_err();
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::LimitExceeded, Location::Line(2))
    );
}

#[test]
fn envelopes_headers_soh_and_crlf_are_noise() {
    let body = ":20:REF1\r\n:25:NL01\r\n:28C:1\r\n:60F:C240101EUR100,00\r\n:61:2401020102C1,50NTRFNONREF\r\n:86:text\r\n:62F:C240102EUR101,50\r\n";
    for envelope in [
        format!("\x01{{1:F01INGBNL2AXXXX0000000000}}{{2:O940INGBNL2AXXXXN}}{{3:}}{{4:\r\n{body}-}}{{5:}}"),
        format!("{{1:F01INGBNL2AXXXX0000000000}}\n{{2:I940INGBNL2AXXXN}}\n{{4:\n{body}-\n}}\n"),
        format!("0000 01INGBNL2AXXXX00001\n940 00\n{body}-XXX"),
        format!("ABNANL2A\n940\nABNANL2A\n{body}-\n\n\n"),
        format!(":940:\n{body}"),
        format!("{{1:F01X}}{{2:O940X}}{{4::20:REF1\n{}", &body[10..]),
    ] {
        let parsed = parse_ok(&envelope);
        assert_eq!(parsed.statements.len(), 1, "{envelope:?}");
        assert_eq!(parsed.statements[0].balance_check, BalanceCheck::Pass, "{envelope:?}");
        assert_eq!(parsed.transactions[0].remittance_info, "text", "{envelope:?}");
        assert!(parsed.warnings.is_empty(), "{envelope:?}: {:?}", parsed.warnings);
    }
}

// ---------------------------------------------------------------------------
// Signs and years

#[test]
fn reversal_marks_sign_and_flag() {
    let text = format!(
        "{HEAD}:61:2401020102C1,00NTRF\n:61:2401020102D2,00NTRF\n:61:2401020102RC4,00NTRF\n:61:2401020102RD8,00NTRF\n:62F:C240102EUR103,00\n"
    );
    let parsed = parse_ok(&text);
    let got: Vec<(String, bool)> = parsed
        .transactions
        .iter()
        .map(|t| (t.amount.to_string(), t.reversal))
        .collect();
    let want = [
        ("1.00", false),
        ("-2.00", false),
        ("-4.00", true),
        ("8.00", true),
    ];
    assert_eq!(got, want.map(|(a, r)| (a.to_string(), r)));
    assert_eq!(parsed.statements[0].balance_check, BalanceCheck::Pass);
}

fn one_entry(value: &str, entry: &str) -> Result<ParsedFile, ParseError> {
    parse(&format!(
        "{HEAD}:61:{value}{entry}C1,00NTRF\n:62F:C240102EUR101,00\n"
    ))
}

#[test]
fn reliability_14_entry_year_rollover() {
    let booked =
        |value: &str, entry: &str| one_entry(value, entry).unwrap().transactions[0].booking_date;
    assert_eq!(
        booked("141231", "0102"),
        date(2015, 1, 2),
        "31 Dec value, 2 Jan entry"
    );
    assert_eq!(
        booked("150101", "1228"),
        date(2014, 12, 28),
        "1 Jan value, 28 Dec entry"
    );
    assert_eq!(
        booked("231230", "0229"),
        date(2024, 2, 29),
        "leap day of the next year"
    );
    assert_eq!(booked("240229", "0301"), date(2024, 3, 1));
    assert_eq!(booked("240615", "0615"), date(2024, 6, 15));
    let err = one_entry("210601", "0229").unwrap_err();
    assert_eq!(
        (err.kind, err.location.clone()),
        (ErrorKind::InvalidDate, Location::Line(5))
    );
    let t = &one_entry("141231", "0102").unwrap().transactions[0];
    assert_eq!(t.value_date, date(2014, 12, 31));
}

// ---------------------------------------------------------------------------
// Property: what we write, we read back

#[derive(Debug, Clone)]
struct EntrySpec {
    mark: &'static str,
    mantissa: i64,
    scale: u32,
    value_date: NaiveDate,
    entry_offset_days: i64,
    customer_ref: String,
    bank_ref: String,
    /// `None`: free text `text`; `Some(e2e)`: ING slash tags with `text` in `/REMI/USTD//`.
    eref: Option<String>,
    text: String,
}

#[derive(Debug, Clone)]
struct StatementSpec {
    id: String,
    account: String,
    currency: &'static str,
    opening_mantissa: i64,
    date: NaiveDate,
    entries: Vec<EntrySpec>,
}

fn arb_date() -> impl Strategy<Value = NaiveDate> {
    // 2001..2078: the two-digit year window the reader maps to 20YY.
    (0i64..28_000).prop_map(|d| NaiveDate::from_ymd_opt(2001, 1, 1).unwrap() + Duration::days(d))
}

fn arb_text() -> impl Strategy<Value = String> {
    // Lower-case so that no `/TAG/` forms by chance; single spaces so that
    // wrapping at 65 columns cannot change the text.
    proptest::string::string_regex("[a-z0-9][a-z0-9,./-]{0,8}( [a-z0-9,./-]{1,9}){0,14}").unwrap()
}

fn arb_entry() -> impl Strategy<Value = EntrySpec> {
    (
        prop::sample::select(vec!["C", "D", "RC", "RD"]),
        0i64..10_000_000_000,
        0u32..=2,
        arb_date(),
        -20i64..=20,
        "[A-Z0-9]{1,16}",
        "[A-Z0-9]{1,16}",
        prop::option::of("[A-Z0-9-]{1,20}"),
        arb_text(),
    )
        .prop_map(
            |(
                mark,
                mantissa,
                scale,
                value_date,
                entry_offset_days,
                customer_ref,
                bank_ref,
                eref,
                text,
            )| EntrySpec {
                mark,
                mantissa,
                scale,
                value_date,
                entry_offset_days,
                customer_ref,
                bank_ref,
                eref,
                text,
            },
        )
}

fn arb_statement() -> impl Strategy<Value = StatementSpec> {
    (
        "[A-Z0-9]{1,16}",
        "NL[0-9]{2}[A-Z]{4}[0-9]{10}",
        prop::sample::select(vec!["EUR", "USD", "HUF", "JPY"]),
        -1_000_000_000i64..1_000_000_000,
        arb_date(),
        prop::collection::vec(arb_entry(), 0..6),
    )
        .prop_map(
            |(id, account, currency, mut opening_mantissa, date, mut entries)| {
                // JPY has no minor unit: decimals beyond it are rejected
                // (RELIABILITY B1-11), trailing zeros are not.
                if currency == "JPY" {
                    opening_mantissa -= opening_mantissa % 100;
                    for e in &mut entries {
                        let unit = 10i64.pow(e.scale);
                        e.mantissa -= e.mantissa % unit;
                    }
                }
                StatementSpec {
                    id,
                    account,
                    currency,
                    opening_mantissa,
                    date,
                    entries,
                }
            },
        )
}

fn yymmdd(d: NaiveDate) -> String {
    format!("{:02}{:02}{:02}", d.year() % 100, d.month(), d.day())
}

/// SWIFT amount: digits, a decimal comma, the decimals (`12,`, `0,5`, `3,07`).
fn swift_amount(value: Decimal) -> String {
    value.abs().to_string().replace('.', ",") + if value.scale() == 0 { "," } else { "" }
}

fn signed_amount(e: &EntrySpec) -> Decimal {
    let magnitude = Decimal::new(e.mantissa, e.scale);
    if matches!(e.mark, "D" | "RC") {
        -magnitude
    } else {
        magnitude
    }
}

/// The `:86:` value wrapped at 65 columns as banks do, mid-token.
fn wrap_86(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    let mut width = 61; // 65 minus `:86:`
    while at < chars.len() {
        let end = (at + width).min(chars.len());
        if at > 0 {
            out.push('\n');
        }
        out.extend(&chars[at..end]);
        at = end;
        width = 65;
    }
    out
}

fn write_mt940(statements: &[StatementSpec]) -> String {
    let mut out = String::new();
    for (n, s) in statements.iter().enumerate() {
        let opening = Decimal::new(s.opening_mantissa, 2);
        let closing = opening + s.entries.iter().map(signed_amount).sum::<Decimal>();
        let mark = |d: Decimal| if d.is_sign_negative() { "D" } else { "C" };
        out += &format!(
            "{{1:F01BANKXXXX0000000000}}{{2:O940BANKXXXXN}}{{4:\n:20:{}\n:25:{}\n:28C:{}/1\n",
            s.id,
            s.account,
            n + 1
        );
        out += &format!(
            ":60F:{}{}{}{}\n",
            mark(opening),
            yymmdd(s.date),
            s.currency,
            swift_amount(opening)
        );
        for e in &s.entries {
            let entry = e.value_date + Duration::days(e.entry_offset_days);
            let amount = swift_amount(Decimal::new(e.mantissa, e.scale));
            out += &format!(
                ":61:{}{:02}{:02}{}{}NTRF{}//{}\n",
                yymmdd(e.value_date),
                entry.month(),
                entry.day(),
                e.mark,
                amount,
                e.customer_ref,
                e.bank_ref
            );
            let info = match &e.eref {
                Some(eref) => format!("/EREF/{eref}//REMI/USTD//{}/", e.text),
                None => e.text.clone(),
            };
            out += &format!(":86:{}\n", wrap_86(&info));
        }
        out += &format!(
            ":62F:{}{}{}{}\n-}}{{5:}}\n",
            mark(closing),
            yymmdd(s.date),
            s.currency,
            swift_amount(closing)
        );
    }
    out
}

fn check_entry(t: &StatementTransaction, e: &EntrySpec, s: &StatementSpec) {
    assert_eq!(t.amount, signed_amount(e));
    assert_eq!(t.reversal, e.mark.starts_with('R'));
    assert_eq!(t.value_date, Some(e.value_date));
    assert_eq!(
        t.booking_date,
        Some(e.value_date + Duration::days(e.entry_offset_days))
    );
    assert_eq!(t.bank_reference, e.bank_ref);
    assert_eq!(t.bank_tx_code, "NTRF");
    assert_eq!(t.remittance_info, e.text);
    let e2e = e.eref.clone().unwrap_or_else(|| e.customer_ref.clone());
    let e2e = if e2e == "NONREF" || e2e == "EREF" || e2e == "PREF" {
        String::new()
    } else {
        e2e
    };
    assert_eq!(t.end_to_end_id, e2e);
    assert_eq!(
        (t.account.as_str(), t.currency.as_str()),
        (s.account.as_str(), s.currency)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn written_statements_read_back_unchanged(statements in prop::collection::vec(arb_statement(), 1..4)) {
        let text = write_mt940(&statements);
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        prop_assert_eq!(parsed.statements.len(), statements.len());
        let mut txs = parsed.transactions.iter();
        for (i, (got, spec)) in parsed.statements.iter().zip(&statements).enumerate() {
            prop_assert_eq!(got.balance_check, BalanceCheck::Pass, "{}", got.check_detail);
            prop_assert_eq!(&got.statement_id, &spec.id);
            prop_assert_eq!(&got.account, &spec.account);
            prop_assert_eq!(got.sequence.clone(), format!("{}/1", i + 1));
            prop_assert_eq!(got.opening_balance, Some(Decimal::new(spec.opening_mantissa, 2)));
            prop_assert_eq!(got.entries, spec.entries.len() as u64);
            prop_assert_eq!(got.from_date, Some(spec.date));
            for e in &spec.entries {
                let t = txs.next().unwrap();
                prop_assert_eq!(t.statement_index, i);
                check_entry(t, e, spec);
            }
        }
    }
}

/// RELIABILITY B1-5 / B5-51: amounts beyond the bound (|amount| < 10^15)
/// reject the file with their line; before the bound a `:61:` of 28 digits
/// reached `sum += tx.amount` and could panic on `Decimal` overflow.
#[test]
fn amounts_beyond_the_bound_are_rejected_not_a_panic() {
    let huge = "9999999999999999999999999999,";
    for (text, line) in [
        (
            format!(":20:R\n:25:A\n:28C:1\n:60F:C240101EUR0,\n:61:2401020102C{huge}NTRFNONREF\n:61:2401020102C{huge}NTRFNONREF\n:62F:C240102EUR1,\n-"),
            5,
        ),
        (
            format!(":20:R\n:25:A\n:28C:1\n:60F:C240101EUR{huge}\n:62F:C240102EUR1,\n-"),
            4,
        ),
        (
            ":20:R\n:25:A\n:28C:1\n:60F:C240101EUR1,\n:62F:D240102EUR79228162514264337593543950335\n-".to_string(),
            5,
        ),
        (
            format!(":20:R\n:25:A\n:28C:1\n:34F:EUR0,\n:13D:2401021200+0100\n:90D:1EUR{huge}\n-"),
            6,
        ),
    ] {
        let e = parse_err(&text);
        assert_eq!(e.location, Location::Line(line), "{e}");
        assert_eq!(e.kind, ErrorKind::InvalidAmount, "{e}");
        assert!(e.to_string().contains("amount bound"), "{e}");
    }
    // 15 digits is a SWIFT amount's maximum and below the bound.
    let ok = parse_ok(":20:R\n:25:A\n:28C:1\n:60F:C240101EUR999999999999999,\n:61:2401020102D999999999999999,NTRFNONREF\n:62F:C240102EUR0,\n-");
    assert_eq!(ok.statements[0].balance_check, BalanceCheck::Pass);
}

/// RELIABILITY B1-11: an MT940 amount with more decimals than its currency
/// allows rejects the file (it was accepted silently); trailing zeros are
/// not excess scale.
#[test]
fn amounts_with_excess_scale_are_rejected() {
    for (text, line, needle) in [
        (
            ":20:R\n:25:A\n:28C:1\n:60F:C240101EUR100,\n:61:2401020102C50,001NTRFNONREF\n:62F:C240102EUR150,\n-",
            5,
            "more decimals than EUR allows (2)",
        ),
        (
            ":20:R\n:25:A\n:28C:1\n:60F:C240101EUR100,005\n:62F:C240102EUR100,005\n-",
            4,
            "more decimals than EUR allows (2)",
        ),
        (
            ":20:R\n:25:A\n:28C:1\n:60F:C240101JPY100,\n:61:2401020102C1500,5NTRFNONREF\n:62F:C240102JPY1600,\n-",
            5,
            "more decimals than JPY allows (0)",
        ),
    ] {
        let e = parse_err(text);
        assert_eq!(
            (e.kind, e.location.clone()),
            (ErrorKind::InvalidAmount, Location::Line(line)),
            "{e}"
        );
        assert!(e.to_string().contains(needle), "{e}");
    }
    let ok = parse_ok(":20:R\n:25:A\n:28C:1\n:60F:C240101EUR100,000\n:61:2401020102C50,100NTRFNONREF\n:62F:C240102EUR150,10\n-");
    assert_eq!(ok.transactions[0].amount.to_string(), "50.100");
    let ok = parse_ok(":20:R\n:25:A\n:28C:1\n:60F:C240101KWD1,005\n:62F:C240102KWD1,005\n-");
    assert_eq!(ok.statements[0].balance_check, BalanceCheck::Pass);
}

/// RELIABILITY B1-14: one two-digit-year window (1980-2079) for every
/// format.
#[test]
fn two_digit_years_use_the_shared_window() {
    let ok = parse_ok(":20:R\n:25:A\n:28C:1\n:60F:C790101EUR1,\n:62F:C790101EUR1,\n-");
    assert_eq!(ok.statements[0].to_date.map(|d| d.year()), Some(2079));
    let ok = parse_ok(":20:R\n:25:A\n:28C:1\n:60F:C800101EUR1,\n:62F:C800101EUR1,\n-");
    assert_eq!(ok.statements[0].to_date.map(|d| d.year()), Some(1980));
}

proptest! {
    /// RELIABILITY B1-5: any over-long `:61:` amount is an `Err`, never a
    /// panic, whatever else the message holds.
    #[test]
    fn overlong_61_amounts_are_errors(digits in "[1-9][0-9]{15,40}", decimals in "[0-9]{0,2}", n in 1usize..4) {
        let mut text = String::from(":20:R\n:25:A\n:28C:1\n:60F:C240101EUR0,\n");
        for _ in 0..n {
            text.push_str(&format!(":61:2401020102C{digits},{decimals}NTRFNONREF\n"));
        }
        text.push_str(":62F:C240102EUR0,\n-");
        prop_assert!(parse(&text).is_err());
    }
}
