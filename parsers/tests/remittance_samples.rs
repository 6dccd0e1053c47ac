//! The 40 public remittance samples (`tests/samples/remittance`, origin and
//! licence of each in its `SOURCES.md`): a golden rendering of every file,
//! and the hand counts of `EXPECT.csv` (payments, lines, totals) asserted
//! against what the readers produce. Samples that do not add up must
//! report Fail, never Pass; the deliberately broken ones must be errors
//! naming file and record or segment.

mod common;

use cashmatch_parsers::remittance::{
    parse_remittance, DocumentType, ParsedRemittance, RemittanceFormat, RemittanceOptions,
};
use cashmatch_parsers::{BalanceCheck, ParseError, Source};
use common::{check_golden, samples_dir};
use rust_decimal::Decimal;
use std::fmt::Write as _;
use std::str::FromStr as _;

/// A stable text rendering of everything a remittance parse produced.
fn render(result: &Result<ParsedRemittance, ParseError>) -> String {
    let mut out = String::new();
    let opt = |d: Option<Decimal>| d.map_or("-".to_string(), |d| d.to_string());
    match result {
        Err(e) => writeln!(out, "ERROR {}: {}", e.kind.code(), e).unwrap(),
        Ok(p) => {
            writeln!(
                out,
                "format: {}  encoding: {}  layout: {:?}  check: {}",
                p.format.map_or("-", RemittanceFormat::as_str),
                p.encoding,
                p.layout,
                p.check().as_str()
            )
            .unwrap();
            for (i, a) in p.advices.iter().enumerate() {
                writeln!(
                    out,
                    "advice {i}: id={:?} ref={:?} payer={:?} acct={:?} payee={:?} amount={} {} date={} method={:?} {}{} check={} {:?} at={:?} line={}",
                    a.advice_id,
                    a.payment_reference,
                    a.payer_name,
                    a.payer_account,
                    a.payee_name,
                    opt(a.amount),
                    a.currency,
                    a.payment_date.map_or("-".to_string(), |d| d.to_string()),
                    a.method,
                    if a.credit { "credit" } else { "debit" },
                    if a.booked { "" } else { " NOT-BOOKED" },
                    a.check.as_str(),
                    a.check_detail,
                    a.locator,
                    a.source_line
                )
                .unwrap();
                if !a.remittance_text.is_empty() {
                    writeln!(out, "  text={:?}", a.remittance_text).unwrap();
                }
                for l in &a.lines {
                    writeln!(
                        out,
                        "  line {} {:?} ref={:?} paid={} invoice={} discount={} adjustment={} reason={:?} at={:?} line={}",
                        l.document_type.as_str(),
                        l.document_code,
                        l.invoice_reference,
                        opt(l.amount_paid),
                        opt(l.invoice_amount),
                        opt(l.discount_amount),
                        opt(l.adjustment_amount),
                        l.adjustment_reason,
                        l.locator,
                        l.source_line
                    )
                    .unwrap();
                    if !l.references.is_empty() || !l.dates.is_empty() {
                        writeln!(out, "    refs={:?} dates={:?}", l.references, l.dates).unwrap();
                    }
                }
            }
            for c in &p.checks {
                writeln!(
                    out,
                    "check {}: {} at {:?}: {}",
                    c.result.as_str(),
                    c.name,
                    c.locator,
                    c.detail
                )
                .unwrap();
            }
            for w in &p.warnings {
                writeln!(out, "warning: {w}").unwrap();
            }
        }
    }
    out
}

/// One row of `EXPECT.csv`.
#[derive(Debug)]
struct Expect {
    format: String,
    file: String,
    payments: usize,
    lines: usize,
    total: Option<Decimal>,
    currency: String,
    lines_sum: Option<Decimal>,
    adjustments: usize,
    certainty: String,
}

/// Minimal RFC 4180 split (the notes column is quoted).
fn split(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                out.last_mut().unwrap().push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

fn expectations() -> Vec<Expect> {
    let text = std::fs::read_to_string(samples_dir().join("remittance/EXPECT.csv")).unwrap();
    let dec = |s: &str| (!s.is_empty()).then(|| Decimal::from_str(s).unwrap());
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f = split(l);
            Expect {
                format: f[0].clone(),
                file: f[1].clone(),
                payments: f[2].parse().unwrap(),
                lines: f[3].parse().unwrap(),
                total: dec(&f[4]),
                currency: f[5].clone(),
                lines_sum: dec(&f[6]),
                adjustments: f[7].parse().unwrap(),
                certainty: f[8].clone(),
            }
        })
        .collect()
}

fn folder(format: &str) -> &str {
    match format {
        "x12-820" => "x12-820",
        "lockbox" => "lockbox",
        "remt001" => "remt001",
        "camt054" => "camt054",
        "ach-ctx" => "ach-ctx",
        other => panic!("unknown EXPECT format {other}"),
    }
}

/// How a file is read: what a customer would configure for it.
fn options_for(e: &Expect) -> RemittanceOptions {
    let mut o = RemittanceOptions::default();
    if e.file == "moov-io-ach-nonascii.ach" {
        // Windows-1252 bytes (0xA6 as the X12 element separator): without
        // this setting the file is refused, as `not_utf8_without_encoding`
        // checks below.
        o.encoding = Some("windows-1252".into());
    }
    if e.format == "camt054" && e.file.contains("053") {
        // camt.053 statements carry structured remittance too; detection
        // leaves them to the statement reader, so the test forces it.
        o.format = Some(RemittanceFormat::Camt053);
    }
    o
}

fn parse(e: &Expect) -> Result<ParsedRemittance, ParseError> {
    let path = samples_dir()
        .join("remittance")
        .join(folder(&e.format))
        .join(&e.file);
    let bytes = std::fs::read(&path).unwrap();
    let name = format!("{}/{}", folder(&e.format), e.file);
    parse_remittance(&Source::new(&name, &bytes), &options_for(e))
}

/// Files that are errors by design, with what the error must name.
const ERRORS: &[(&str, &str)] = &[
    // Spec template: the amounts are placeholder text.
    (
        "Inteligenz-X12Parser-820-Example3_HomeDepot.txt",
        "segment 4 BPR02",
    ),
    // Negative tests: identities used twice.
    (
        "AsherBond-opentaps-TestLockboxInvalid-duplicate-application-id.mbx",
        "line 10",
    ),
    (
        "AsherBond-opentaps-TestLockboxInvalid-duplicate-batch-id.mbx",
        "line 14",
    ),
    (
        "AsherBond-opentaps-TestLockboxInvalid-duplicate-check-id.mbx",
        "line 8",
    ),
];

/// Files whose own arithmetic or control totals disagree: the overall
/// check must be Fail. Each reason is in EXPECT.csv's notes.
const FAILS: &[&str] = &[
    // SE01 says 17 and 14 segments; the sets have 19 and 17 (the samples
    // were cut down when anonymised, the counts were not).
    "Project-Herophilus-820-child-health-plus-eft.txt",
    "Project-Herophilus-820-essential-health-plan.txt",
    "Inteligenz-X12Parser-820-Example1_MortgageBankers.txt",
    "Inteligenz-X12Parser-820-Example2_ScanaEnergy.txt",
    "Inteligenz-X12Parser-820-Example4_Safeway.txt",
    "Inteligenz-X12Parser-820-Example6.txt",
    "Inteligenz-X12Parser-820-Example7_FromScott.txt",
    "kputnam-stupidedi-X218-summary-bill-payment.edi",
    "AsherBond-opentaps-TestLockbox-bad-total.mbx",
    "AsherBond-opentaps-TestLockboxInvalid-bad-batch-amount.mbx",
    "genkgo-camt-camt054.v8.xml",
    "moov-io-ach-nonascii.ach",
    "moov-io-ach-nonascii-utf8.ach",
    "moov-io-ach-txp-debit.ach",
];

#[test]
fn every_sample_matches_its_golden_rendering() {
    let expect = expectations();
    assert_eq!(expect.len(), 40, "EXPECT.csv lists the 40 public samples");
    for e in &expect {
        let stem = e.file.rsplit_once('.').map_or(e.file.as_str(), |(s, _)| s);
        check_golden(
            &format!("remittance/{}__{stem}", e.format),
            &render(&parse(e)),
        );
    }
}

#[test]
fn counts_and_totals_match_expect_csv() {
    let mut report = Vec::new();
    for e in expectations() {
        let result = parse(&e);
        if let Some((_, needle)) = ERRORS.iter().find(|(f, _)| *f == e.file) {
            let err = result.expect_err(&e.file);
            let text = err.to_string();
            assert!(text.contains(&e.file), "{text}");
            assert!(
                text.contains(needle),
                "{}: `{text}` must name {needle}",
                e.file
            );
            report.push(format!("{}: error", e.file));
            continue;
        }
        let p = result.unwrap_or_else(|err| panic!("{}: {err}", e.file));
        let all_lines: Vec<_> = p.advices.iter().flat_map(|a| &a.lines).collect();
        let (payments, lines, total, lines_sum, adjustments) = match e.format.as_str() {
            "x12-820" => {
                let rmr: Vec<_> = all_lines
                    .iter()
                    .filter(|l| !l.locator.ends_with("(ADX)"))
                    .collect();
                let adx = all_lines
                    .iter()
                    .filter(|l| l.locator.ends_with("(ADX)"))
                    .count()
                    + rmr.iter().filter(|l| l.adjustment_amount.is_some()).count();
                (
                    p.advices.len(),
                    rmr.len(),
                    p.advices.iter().filter_map(|a| a.amount).sum::<Decimal>(),
                    rmr.iter().filter_map(|l| l.amount_paid).sum::<Decimal>(),
                    adx,
                )
            }
            "camt054" => (
                p.advices.len(),
                all_lines.len(),
                {
                    // EXPECT counts booked credits; a debit notification
                    // (our outgoing payments, epo) counts its debits.
                    let any_credit = p.advices.iter().any(|a| a.credit);
                    p.advices
                        .iter()
                        .filter(|a| a.credit == any_credit && a.booked)
                        .filter_map(|a| a.amount)
                        .sum::<Decimal>()
                },
                all_lines
                    .iter()
                    .filter_map(|l| l.amount_paid)
                    .sum::<Decimal>(),
                0,
            ),
            _ => (
                p.advices.len(),
                all_lines.len(),
                p.advices.iter().filter_map(|a| a.amount).sum::<Decimal>(),
                all_lines
                    .iter()
                    .filter_map(|l| l.amount_paid)
                    .sum::<Decimal>(),
                all_lines
                    .iter()
                    .filter(|l| l.adjustment_amount.is_some())
                    .count(),
            ),
        };
        assert_eq!(payments, e.payments, "{}: payments", e.file);
        assert_eq!(lines, e.lines, "{}: remittance lines", e.file);
        if let Some(t) = e.total {
            assert_eq!(total, t, "{}: total remitted", e.file);
        }
        if let Some(s) = e.lines_sum {
            assert_eq!(lines_sum, s, "{}: sum of line amounts", e.file);
        }
        assert_eq!(adjustments, e.adjustments, "{}: adjustment lines", e.file);
        if !e.currency.is_empty() && !p.advices.is_empty() {
            assert!(
                p.advices.iter().any(|a| a.currency == e.currency),
                "{}: currency {}",
                e.file,
                e.currency
            );
        }
        // What does not add up is reported, never hidden.
        if let (Some(t), Some(s)) = (e.total, e.lines_sum) {
            if t != s {
                assert_eq!(
                    p.check(),
                    BalanceCheck::Fail,
                    "{}: total {t} vs lines {s}",
                    e.file
                );
            }
        }
        let must_fail = FAILS.contains(&e.file.as_str());
        assert_eq!(
            p.check() == BalanceCheck::Fail,
            must_fail,
            "{} ({}): check {} {}",
            e.file,
            e.certainty,
            p.check().as_str(),
            p.check_detail()
        );
        if must_fail {
            assert!(!p.check_detail().is_empty());
            assert!(
                p.advices.iter().any(|a| a.check == BalanceCheck::Fail) || p.advices.is_empty()
            );
        }
        report.push(format!("{}: {}", e.file, p.check().as_str()));
    }
    assert_eq!(report.len(), 40);
}

#[test]
fn not_utf8_without_encoding_is_an_error_naming_the_line() {
    let bytes =
        std::fs::read(samples_dir().join("remittance/ach-ctx/moov-io-ach-nonascii.ach")).unwrap();
    let err = parse_remittance(
        &Source::new("nonascii.ach", &bytes),
        &RemittanceOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind.code(), "ENCODING");
    assert!(err.to_string().contains("line 3, column 67"), "{err}");
}

#[test]
fn the_utf8_and_windows_1252_nacha_files_read_the_same() {
    let read = |file: &str, encoding: Option<&str>| {
        let bytes = std::fs::read(samples_dir().join("remittance/ach-ctx").join(file)).unwrap();
        let o = RemittanceOptions {
            encoding: encoding.map(str::to_string),
            ..RemittanceOptions::default()
        };
        parse_remittance(&Source::new("x", &bytes), &o).unwrap()
    };
    let a = read("moov-io-ach-nonascii.ach", Some("windows-1252"));
    let b = read("moov-io-ach-nonascii-utf8.ach", None);
    assert_eq!(a.advices, b.advices);
    assert_eq!(a.advices[0].lines.len(), 2);
    assert!(a.advices[0].lines.iter().all(|l| l.document_code == "IK"));
}

#[test]
fn credit_memos_and_entity_adjustments_become_lines_in_safeway() {
    let e = expectations()
        .into_iter()
        .find(|e| e.file == "Inteligenz-X12Parser-820-Example4_Safeway.txt")
        .unwrap();
    let p = parse(&e).unwrap();
    let a = &p.advices[0];
    let credit_notes: Vec<_> = a
        .lines
        .iter()
        .filter(|l| l.document_type == DocumentType::CreditNote)
        .collect();
    assert_eq!(credit_notes.len(), 3);
    assert_eq!(
        credit_notes
            .iter()
            .filter_map(|l| l.amount_paid)
            .sum::<Decimal>(),
        Decimal::from_str("-32769.61").unwrap()
    );
    // The +210 debit memo is not in BPR02: the check says by how much.
    assert!(
        a.check_detail.contains("difference -210"),
        "{}",
        a.check_detail
    );
}
