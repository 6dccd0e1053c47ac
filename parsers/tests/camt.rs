//! camt.052/053/054 reader: the public sample corpus against the figures in
//! `parsers/tests/samples/CHECKS.md`, golden renderings, hostile input, and a
//! write-then-read property.

mod common;

use cashmatch_parsers::{
    camt, parse_path, parse_source, BalanceCheck, EntryStatus, ErrorKind, Format, Location,
    ParseError, ParseOptions, ParsedFile, Source,
};
use common::{check_golden, render, sample_files};
use rust_decimal::Decimal;

/// What each sample must give. `Ok` lists one entry per statement as
/// `check|opening|entries sum|closing` with the figures of CHECKS.md (the
/// sum is only compared when the check ran). `Err` gives the kind and a
/// fragment of the message of a deliberate rejection.
enum Expect {
    Ok(&'static [&'static str]),
    Err(ErrorKind, &'static str),
}

const EXPECTED: &[(&str, Expect)] = &[
    (
        "genkgo-camt053.only-Dt-with-DtTm.xml",
        Expect::Ok(&["N|5442.09000||"]),
    ),
    (
        "genkgo-camt053.v2.all-balance-types.xml",
        Expect::Ok(&["F|1.01|8.850|4.04"]),
    ),
    (
        "genkgo-camt053.v2.five.decimals.xml",
        Expect::Ok(&["F|18.150|8.850|27.050"]),
    ),
    (
        "genkgo-camt053.v2.minimal.xml",
        Expect::Ok(&["F|18.15|8.85|-27.00"]),
    ),
    (
        "genkgo-camt053.v2.multi.statement.xml",
        Expect::Ok(&["P|18.15|8.85|27.00", "P|27.00|-7.00|20.00"]),
    ),
    (
        "genkgo-camt053.v2.with-party-ids.xml",
        Expect::Ok(&["F|18.15|8.85|-27.00"]),
    ),
    // Decision: a `BkToCstmrStmt` without any `Stmt` is rejected. It names no
    // account and no balance, so it is a broken export, not an empty day (an
    // empty day is a `Stmt` without `Ntry`, which reads fine: no-ntry sample).
    (
        "genkgo-camt053.v2.wrong.xml",
        Expect::Err(ErrorKind::MissingField, "`BkToCstmrStmt` holds no `Stmt`"),
    ),
    (
        "genkgo-camt053.v3.xml",
        Expect::Ok(&["F|18.15|8.85|-27.00"]),
    ),
    (
        "genkgo-camt053.v4.xml",
        Expect::Ok(&["F|18.15|8.85|-27.00"]),
    ),
    (
        "genkgo-camt053.v8.xml",
        Expect::Ok(&["F|18.15|8.85|-27.00"]),
    ),
    (
        "kedder-iso20022-camt053_ch_001_08.xml",
        Expect::Ok(&["P|832.01|1284.30|2116.31"]),
    ),
    (
        "kedder-iso20022-davider80_raiffeisen_ch_001_04.xml",
        Expect::Ok(&["P|9433.31|-3679.85|5753.46"]),
    ),
    (
        "kedder-iso20022-gcamp6_001_02.xml",
        Expect::Ok(&["F|0.00|13010.00|10000.00"]),
    ),
    (
        "kedder-iso20022-simple_dnb_lt_001_02.xml",
        Expect::Ok(&["P|306.53|-181.01|125.52"]),
    ),
    // Decision: elements are matched by local name, but a declared namespace
    // must name camt.052/053/054 version 001.01-001.13 (RELIABILITY row 20:
    // "unsupported camt version"); `urn:weird-namespace` is rejected.
    (
        "kedder-iso20022-unsupported-namespace.xml",
        Expect::Err(
            ErrorKind::UnknownFormat,
            "unsupported namespace `urn:weird-namespace`",
        ),
    ),
    ("oca-sftp-camt053_001_02.xml", Expect::Ok(&["N|75000.00||"])),
    (
        "oca-test-camt053-bookgdt-dttm_001_02.xml",
        Expect::Ok(&["F|15568.27|-754.25|15121.12"]),
    ),
    (
        "oca-test-camt053-more-than-one-xml_001_02.xml",
        Expect::Ok(&["F|15568.27|-12.99|15121.12", "F|15568.27|-12.99|15121.12"]),
    ),
    (
        "oca-test-camt053-multi-currency_001_04.xml",
        Expect::Ok(&["P|350777.85|-445.21|350332.64"]),
    ),
    (
        "oca-test-camt053-no-ntry_001_04.xml",
        Expect::Ok(&["P|1520.76|0|1520.76"]),
    ),
    (
        "oca-test-camt053-txdtls_001_04.xml",
        Expect::Ok(&["P|75960.15|3483.00|79443.15"]),
    ),
    // The second `Ntry` has no `Amt`: its `TxDtls` amount is reported, but the
    // entry stays out of the balance check, so the check fails as in CHECKS.md.
    (
        "oca-test-camt053-wrong-amount_001_04.xml",
        Expect::Ok(&["F|253854.98|134.00|254338.57"]),
    ),
    (
        "oca-test-camt053_001_02.xml",
        Expect::Ok(&["F|15568.27|-12.99|15121.12"]),
    ),
    (
        "subite-BE68-202411_001_02.xml",
        Expect::Ok(&["P|59370.37|28168.75|87539.12"]),
    ),
    (
        "subite-BE68-202412_001_02.xml",
        Expect::Ok(&["P|87539.12|-45574.01|41965.11"]),
    ),
    (
        "subite-LT-centralbank-2024-04-11_001_08.xml",
        Expect::Ok(&[
            "P|21463830.35|-4269179.76|17194650.59",
            "P|2801.55|0|2801.55",
        ]),
    ),
    (
        "subite-account_statement_001_02.xml",
        Expect::Ok(&["P|0|0.00|0"]),
    ),
    (
        "viafintech-053_valid_example_stuzza_at.xml",
        Expect::Ok(&["P|150.00|400.00|550.00"]),
    ),
    (
        "viafintech-053_valid_example_v4_postfinance_ch.xml",
        Expect::Ok(&["P|322152.16|537.61|322689.77"]),
    ),
    (
        "viafintech-053_valid_example_v8_ubs_ch.xml",
        Expect::Ok(&["F|82721.95|543.56|84515.25"]),
    ),
    (
        "viafintech-053_valid_example_vrbank_de.xml",
        Expect::Ok(&["P|33.06|-10.00|23.06"]),
    ),
    (
        "viafintech-053_valid_example_with_batch_ing_nl.xml",
        Expect::Ok(&["F|7329.80|2934.26|23038.20"]),
    ),
    (
        "viafintech-053_valid_example_with_datetime_wise.xml",
        Expect::Ok(&["N|||606.80"]),
    ),
    (
        "viafintech-053_valid_example_with_debit_vrbank_de.xml",
        Expect::Ok(&["F|-33.06|-10.00|23.06"]),
    ),
    (
        "viafintech-053_valid_example_with_instdamt_ch.xml",
        Expect::Ok(&["F|100|4500.00|4500.00"]),
    ),
    (
        "viafintech-053_valid_example_with_other_id.xml",
        Expect::Ok(&["N|||"]),
    ),
    ("genkgo-camt052.v1.xml", Expect::Ok(&["N|||"])),
    ("genkgo-camt052.v2.xml", Expect::Ok(&["N|||"])),
    ("genkgo-camt052.v4.xml", Expect::Ok(&["N|||"])),
    ("genkgo-camt052.v6.Amt-zero.xml", Expect::Ok(&["N|||"])),
    ("genkgo-camt052.v8.xml", Expect::Ok(&["N|||"])),
    (
        "kedder-iso20022-camt052_sparkasse_de_001_02.xml",
        Expect::Ok(&["P|268.35|-251.40|16.95"]),
    ),
    ("subite-LT-2024-03-14_001_06.xml", Expect::Ok(&["N|||"])),
    (
        "viafintech-052_valid_example_vrbank_de.xml",
        Expect::Ok(&["P|8.50|5.00|13.50"]),
    ),
    (
        "viafintech-052_valid_example_with_dates.xml",
        Expect::Ok(&["N|||"]),
    ),
    ("genkgo-camt054.v2.xml", Expect::Ok(&["N|||"])),
    ("genkgo-camt054.v4.xml", Expect::Ok(&["N|||"])),
    ("genkgo-camt054.v8-with-UETR.xml", Expect::Ok(&["N|||"])),
    ("genkgo-camt054.v8.xml", Expect::Ok(&["N|||"])),
    ("oca-test-camt054_001_04.xml", Expect::Ok(&["N|||"])),
    ("subite-LT-2024-03-18_001_10.xml", Expect::Ok(&["N|||"])),
    (
        "viafintech-054_valid_example_postfinance_ch.xml",
        Expect::Ok(&["N|||"]),
    ),
];

fn figures(p: &ParsedFile) -> Vec<String> {
    let show = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
    p.statements
        .iter()
        .map(|s| {
            let (check, sum) = match s.balance_check {
                BalanceCheck::Pass => ("P", s.entries_sum.to_string()),
                BalanceCheck::Fail => ("F", s.entries_sum.to_string()),
                BalanceCheck::NotCheckable => ("N", String::new()),
            };
            format!(
                "{check}|{}|{sum}|{}",
                show(s.opening_balance),
                show(s.closing_balance)
            )
        })
        .collect()
}

#[test]
fn every_sample_reads_as_checks_md_says() {
    let mut seen = 0;
    for folder in ["camt052", "camt053", "camt054"] {
        for path in sample_files(folder) {
            let name = path.file_name().unwrap().to_str().unwrap();
            let (_, expect) = EXPECTED
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{name}: sample without an expectation"));
            // Named relative to the corpus so error messages in goldens do not
            // depend on where the repository is checked out.
            let bytes = std::fs::read(&path).unwrap();
            let result = parse_source(
                &Source::new(&format!("{folder}/{name}"), &bytes),
                &ParseOptions::default(),
            );
            match (expect, &result) {
                (Expect::Ok(want), Ok(parsed)) => {
                    assert_eq!(&figures(parsed), want, "{name}");
                    let format = parsed.format.unwrap();
                    assert_eq!(format.as_str().replace('.', ""), folder, "{name}");
                    assert!(
                        parsed.statements.iter().all(|s| s.format == Some(format)),
                        "{name}"
                    );
                    assert_conservation(name, parsed);
                }
                (Expect::Err(kind, fragment), Err(e)) => {
                    assert_eq!(e.kind, *kind, "{name}: {e}");
                    assert!(e.message.contains(fragment), "{name}: {e}");
                    assert!(
                        matches!(e.location, Location::Element { line, .. } if line > 0),
                        "{name}: {e}"
                    );
                }
                (_, other) => panic!("{name}: unexpected {other:?}"),
            }
            let stem = name.trim_end_matches(".xml");
            check_golden(&format!("{folder}__{stem}"), &render(&result));
            seen += 1;
        }
    }
    assert_eq!(seen, 52, "the corpus has 52 camt files");
}

/// Money is never created or lost between entries and transactions: every
/// statement's transactions carry each entry exactly once, so for
/// statements in one currency the booked transactions sum to `entries_sum`.
fn assert_conservation(name: &str, parsed: &ParsedFile) {
    for (i, s) in parsed.statements.iter().enumerate() {
        let txs: Vec<_> = parsed
            .transactions
            .iter()
            .filter(|t| t.statement_index == i)
            .collect();
        assert_eq!(txs.len() as u64, s.entries, "{name}: statement {i}");
        let single_currency = txs.iter().all(|t| t.currency == s.currency);
        let warned = parsed.warnings.iter().any(|w| w.contains("without `Amt`"));
        if single_currency && !warned {
            let booked: Decimal = txs
                .iter()
                .filter(|t| t.status == EntryStatus::Booked)
                .map(|t| t.amount)
                .sum();
            assert_eq!(booked, s.entries_sum, "{name}: statement {i}");
        }
        for t in &txs {
            assert_eq!(t.account, s.account, "{name}");
            assert!(
                t.locator.starts_with("Stmt[")
                    || t.locator.starts_with("Rpt[")
                    || t.locator.starts_with("Ntfctn[")
                    || t.locator.starts_with("Document["),
                "{name}: {}",
                t.locator
            );
        }
    }
}

fn sample(folder: &str, name: &str) -> ParsedFile {
    let path = common::samples_dir().join(folder).join(name);
    parse_path(&path, &ParseOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_str(xml: &str) -> Result<ParsedFile, ParseError> {
    camt::parse(
        &Source::new("test.xml", xml.as_bytes()),
        &ParseOptions::default(),
    )
}

// ----- behaviour pinned on real samples ----------------------------------

#[test]
fn batch_entry_splits_into_its_tx_details() {
    // PostFinance: Ntry 1000.00 CRDT with 10 TxDtls summing to it.
    let p = sample(
        "camt053",
        "viafintech-053_valid_example_v4_postfinance_ch.xml",
    );
    let batch: Vec<_> = p
        .transactions
        .iter()
        .filter(|t| t.locator.starts_with("Stmt[1]/Ntry[7]/"))
        .collect();
    assert_eq!(batch.len(), 10);
    assert_eq!(
        batch.iter().map(|t| t.amount).sum::<Decimal>(),
        Decimal::new(100000, 2)
    );
    assert_eq!(batch[1].locator, "Stmt[1]/Ntry[7]/NtryDtls/TxDtls[2]");
    assert_eq!(batch[1].source_line, 368);
    assert_eq!(batch[1].counterparty_name, "Rutschmann Pia");
    assert_eq!(batch[1].structured_refs, ["000000000002016030002820804"]);
    // LT camt.054: 41 TxDtls of both directions under one net DBIT entry.
    let p = sample("camt054", "subite-LT-2024-03-18_001_10.xml");
    assert_eq!(p.transactions.len(), 41);
    assert!(p.transactions.iter().any(|t| t.amount.is_sign_positive()));
    assert_eq!(
        p.transactions.iter().map(|t| t.amount).sum::<Decimal>(),
        "-194672.25".parse().unwrap()
    );
    assert!(p.transactions.iter().all(|t| t.status == EntryStatus::Info));
}

#[test]
fn batch_that_does_not_add_up_stays_whole() {
    // genkgo camt.054 v4: Ntry 200000 SEK DBIT, TxDtls 3.1 + 3.2 + 3.2 CHF CRDT.
    let p = sample("camt054", "genkgo-camt054.v4.xml");
    assert_eq!(p.transactions.len(), 1);
    let t = &p.transactions[0];
    assert_eq!(t.amount, Decimal::from(-200000));
    assert_eq!(t.currency, "SEK");
    assert_eq!(t.locator, "Ntfctn[1]/Ntry[1]");
    assert!(t
        .remittance_info
        .contains("Unstructured Remittance Information V1"));
    assert!(t.remittance_info.contains("V3 block 2"));
    assert_eq!(
        t.structured_refs,
        [
            "ISR ref number V1",
            "ISR ref number V2",
            "Ref number V3 block 1",
            "Ref number V3 block 2"
        ]
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("Ntfctn[1]/Ntry[1]/NtryDtls") && w.contains("kept whole")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn reversal_keeps_the_booked_direction() {
    // OCA: RvslInd=true with CdtDbtInd=DBIT is a debit; the flag is recorded, the sign not flipped again.
    let p = sample("camt053", "oca-test-camt053_001_02.xml");
    let reversals: Vec<_> = p.transactions.iter().filter(|t| t.reversal).collect();
    assert!(!reversals.is_empty());
    assert!(
        reversals.iter().all(|t| t.amount.is_sign_negative()),
        "{reversals:?}"
    );
}

#[test]
fn entry_in_foreign_currency_uses_account_currency_amount_for_balance() {
    let p = sample("camt053", "viafintech-053_valid_example_v8_ubs_ch.xml");
    assert_eq!(p.statements[0].entries_sum, "543.56".parse().unwrap());
    let eur = p.transactions.iter().find(|t| t.currency == "EUR").unwrap();
    assert_eq!(eur.amount, "-20.97".parse().unwrap());
    assert_eq!(eur.counterparty_name, "DHL Express (Schweiz) AG");
    assert_eq!(eur.structured_refs, ["000000270148751802165444888"]);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("AmtDtls/InstdAmt 19.69 CHF")),
        "{:?}",
        p.warnings
    );
    let scor = p
        .transactions
        .iter()
        .find(|t| t.amount == "88.85".parse().unwrap())
        .unwrap();
    assert_eq!(scor.structured_refs, ["RF38000000000000000000552"]);
    assert_eq!(scor.counterparty_name, "Finanz AG");
    assert_eq!(scor.bank_tx_code, "PMNT/RCDT/VCOM");
}

#[test]
fn datetime_dates_keep_the_civil_date() {
    // 2014-01-04T23:00:00.000Z stays 2014-01-04 (no conversion to a zone).
    let p = sample("camt053", "oca-test-camt053-bookgdt-dttm_001_02.xml");
    let t = &p.transactions[0];
    assert_eq!(
        t.booking_date.map(|d| d.to_string()).as_deref(),
        Some("2014-01-04")
    );
    assert_eq!(
        t.value_date.map(|d| d.to_string()).as_deref(),
        Some("2014-01-05")
    );
    // Invalid times like `00:00:00:000` do not reject the file; the date part is read.
    let p = sample("camt052", "viafintech-052_valid_example_with_dates.xml");
    assert_eq!(p.transactions.len(), 1);
    assert_eq!(
        p.statements[0].from_date.map(|d| d.to_string()).as_deref(),
        Some("2013-01-01")
    );
    assert_eq!(
        p.statements[0].to_date.map(|d| d.to_string()).as_deref(),
        Some("2019-08-09")
    );
}

#[test]
fn two_documents_in_one_file_are_read_in_turn() {
    let p = sample("camt053", "oca-test-camt053-more-than-one-xml_001_02.xml");
    assert_eq!(p.statements.len(), 2);
    assert!(p
        .transactions
        .iter()
        .any(|t| t.locator.starts_with("Document[2]/Stmt[1]/")));
    assert!(p.transactions.iter().all(|t| t.statement_index < 2));
    assert_eq!(p.statements[0].entries, p.statements[1].entries);
}

#[test]
fn remittance_lines_are_joined_with_one_space() {
    let p = sample("camt053", "oca-test-camt053-wrong-amount_001_04.xml");
    let t = p.transactions.iter().find(|t| t.currency == "EUR").unwrap();
    // The `Ustrd` lines come first, joined by one space; the `AddtlTxInf`
    // (the bank's own account of the payment, with the payer's address)
    // follows, since banks put references there too (issue 9).
    assert!(
        t.remittance_info.starts_with(
            "999999 TWINT 1389eba4-c512-4970-86b b-136079d90a42 Payout 20220413 Gross: 490.00 Fees: -6.41 CRÉDIT CH6609000000313087410 EXPÉDITEUR: TWINT Acquiring AG"
        ),
        "{}",
        t.remittance_info
    );
    assert_eq!(t.bank_reference, "220413CH08K40KKR");
    assert_eq!(t.end_to_end_id, "TWINT20220412-101-Merchant-B1");
    assert_eq!(t.counterparty_account, "CH6609000000313087410");
    assert!(p
        .warnings
        .iter()
        .any(|w| w.contains("Stmt[1]/Ntry[2]") && w.contains("without `Amt`")));
}

#[test]
fn pending_entries_do_not_move_the_balance() {
    let p = sample("camt052", "genkgo-camt052.v4.xml");
    assert_eq!(p.transactions[0].status, EntryStatus::Pending);
    assert_eq!(p.statements[0].entries_sum, Decimal::ZERO);
}

// ----- small documents ------------------------------------------------------

const NS: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08";

/// A camt.053 document with one statement whose body is `inner`.
fn doc(inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{NS}\">\n<BkToCstmrStmt>\n<GrpHdr><MsgId>M</MsgId></GrpHdr>\n<Stmt>\n<Id>S1</Id>\n<Acct><Id><IBAN>CH93</IBAN></Id><Ccy>CHF</Ccy></Acct>\n{inner}\n</Stmt>\n</BkToCstmrStmt>\n</Document>\n"
    )
}

fn entry(amount: &str, extra: &str) -> String {
    format!(
        "<Ntry>\n<Amt Ccy=\"CHF\">{amount}</Amt>\n<CdtDbtInd>CRDT</CdtDbtInd>\n<Sts><Cd>BOOK</Cd></Sts>\n<BookgDt><Dt>2024-01-02</Dt></BookgDt>\n{extra}\n</Ntry>"
    )
}

fn assert_error(
    result: Result<ParsedFile, ParseError>,
    kind: ErrorKind,
    line: u64,
    path: &str,
) -> ParseError {
    let e = result.expect_err("must be rejected");
    assert_eq!(e.kind, kind, "{e}");
    match &e.location {
        Location::Element { line: l, path: p } => {
            assert_eq!((*l, p.as_str()), (line, path), "{e}");
        }
        other => panic!("{e}: location {other:?}"),
    }
    e
}

#[test]
fn predefined_and_character_references_survive_in_text() {
    let xml = doc(&entry(
        "1.00",
        "<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>M&amp;S &lt;UK&gt; &#x41;&#66; &quot;x&apos;</Nm></Dbtr></RltdPties><RmtInf><Ustrd><![CDATA[a<b]]> &amp; c</Ustrd></RmtInf></TxDtls></NtryDtls>",
    ));
    let p = parse_str(&xml).unwrap();
    assert_eq!(p.transactions[0].counterparty_name, "M&S <UK> AB \"x'");
    assert_eq!(p.transactions[0].remittance_info, "a<b & c");
}

#[test]
fn declared_latin1_is_decoded() {
    let mut bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>".to_vec();
    let body = doc(&entry(
        "1.00",
        "<AddtlNtryInf>Zahlung M\u{fc}ller</AddtlNtryInf>",
    ));
    let body = body.split_once("?>").unwrap().1;
    bytes.extend(body.chars().map(|c| u8::try_from(u32::from(c)).unwrap()));
    let p = camt::parse(&Source::new("latin1.xml", &bytes), &ParseOptions::default()).unwrap();
    assert_eq!(p.transactions[0].remittance_info, "Zahlung Müller");
    assert_eq!(p.encoding, "windows-1252");
    // Without the declaration the same bytes are not UTF-8 and are refused.
    let undeclared = &bytes[bytes.iter().position(|&b| b == b'\n').unwrap()..];
    let e = camt::parse(
        &Source::new("latin1.xml", undeclared),
        &ParseOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Encoding);
}

#[test]
fn configured_encoding_wins_and_utf16_declaration_is_refused() {
    let body = doc(&entry("1.00", "<AddtlNtryInf>\u{e9}t\u{e9}</AddtlNtryInf>"));
    let latin1: Vec<u8> = body
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    let options = ParseOptions {
        encoding: Some("windows-1252".into()),
        ..ParseOptions::default()
    };
    let p = camt::parse(&Source::new("cfg.xml", &latin1), &options).unwrap();
    assert_eq!(p.transactions[0].remittance_info, "été");
    let utf16 = body.replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\"");
    let e = parse_str(&utf16).unwrap_err();
    assert_eq!(
        (e.kind, e.location),
        (ErrorKind::Encoding, Location::Line(1))
    );
}

#[test]
fn statement_without_entries_checks_opening_against_closing() {
    let bal = |code: &str, amt: &str, ind: &str| {
        format!(
            "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"CHF\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>2024-01-02</Dt></Dt></Bal>"
        )
    };
    let p = parse_str(&doc(&format!(
        "{}{}",
        bal("OPBD", "5.00", "DBIT"),
        bal("CLBD", "5", "DBIT")
    )))
    .unwrap();
    assert_eq!(p.statements[0].balance_check, BalanceCheck::Pass);
    assert_eq!(p.statements[0].opening_balance, Some(Decimal::new(-500, 2)));
    let p = parse_str(&doc(&format!(
        "{}{}",
        bal("OPBD", "5.00", "DBIT"),
        bal("CLBD", "5", "CRDT")
    )))
    .unwrap();
    assert_eq!(p.statements[0].balance_check, BalanceCheck::Fail);
    assert_eq!(
        p.statements[0].check_detail,
        "OPBD -5.00 + entries 0 = -5.00 vs CLBD 5 (diff 10.00)"
    );
}

#[test]
fn proprietary_status_does_not_move_the_balance() {
    let xml = doc(&entry("1.00", "")).replace(
        "<Sts><Cd>BOOK</Cd></Sts>",
        "<Sts><Prtry>SETTLED</Prtry></Sts>",
    );
    let p = parse_str(&xml).unwrap();
    assert_eq!(p.transactions[0].status, EntryStatus::Info);
    assert_eq!(p.statements[0].entries_sum, Decimal::ZERO);
    assert!(
        p.warnings.iter().any(|w| w.contains("`SETTLED`")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn end_to_end_not_provided_is_no_reference() {
    let xml = doc(&entry(
        "1.00",
        "<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs></TxDtls></NtryDtls>",
    ));
    assert_eq!(parse_str(&xml).unwrap().transactions[0].end_to_end_id, "");
}

#[test]
fn prefixed_elements_are_matched_by_local_name() {
    let xml = doc(&entry("2.50", ""))
        .replace("<Document xmlns=", "<c:Document xmlns:c=")
        .replace("</Document>", "</c:Document>");
    let p = parse_str(&xml).unwrap();
    assert_eq!(p.transactions[0].amount, Decimal::new(250, 2));
}

// ----- hostile and damaged input ---------------------------------------------

#[test]
fn doctype_with_entities_is_refused() {
    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n<Document><BkToCstmrStmt><Stmt><Id>&lol3;</Id></Stmt></BkToCstmrStmt></Document>";
    let e = assert_error(parse_str(laughs), ErrorKind::ForbiddenXml, 2, "");
    assert!(e.message.contains("DOCTYPE"), "{e}");
}

#[test]
fn external_entity_is_refused() {
    let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<Document><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>";
    assert_error(parse_str(xxe), ErrorKind::ForbiddenXml, 2, "");
}

#[test]
fn undeclared_entity_reference_is_refused() {
    let xml = doc("<Ntry>\n<AddtlNtryInf>a &xxe; b</AddtlNtryInf></Ntry>");
    let e = assert_error(
        parse_str(&xml),
        ErrorKind::ForbiddenXml,
        9,
        "Stmt[1]/Ntry[1]/AddtlNtryInf",
    );
    assert!(e.message.contains("`&xxe;`"), "{e}");
}

#[test]
fn deep_nesting_hits_the_depth_limit() {
    let depth = 10_000;
    let xml = format!(
        "<Document xmlns=\"{NS}\">{}{}</Document>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let e = parse_str(&xml).unwrap_err();
    assert_eq!(e.kind, ErrorKind::LimitExceeded, "{e}");
    match e.location {
        Location::Element { line, path } => {
            assert_eq!(line, 1);
            assert!(path.starts_with("Document/a/a/"), "{path}");
            assert_eq!(
                path.matches('/').count(),
                ParseOptions::default().limits.xml_depth_max - 1
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_document_is_rejected() {
    let full = doc(&entry("1.00", ""));
    let cut = &full[..full.find("</Ntry>").unwrap()];
    let e = assert_error(parse_str(cut), ErrorKind::Truncated, 8, "Stmt[1]/Ntry[1]");
    assert!(e.message.contains("truncated"), "{e}");
    // Cut inside a tag.
    let cut = &full[..full.find("<CdtDbtInd>").unwrap() + 4];
    assert_eq!(parse_str(cut).unwrap_err().kind, ErrorKind::Truncated);
    // Cut between documents' elements: closing tags missing at the very end.
    let cut = full.trim_end().trim_end_matches("</Document>");
    assert_eq!(parse_str(cut).unwrap_err().kind, ErrorKind::Truncated);
}

#[test]
fn bad_amount_names_the_element() {
    let xml = doc(&format!("{}\n{}", entry("1.00", ""), entry("1,00", "")));
    let e = assert_error(
        parse_str(&xml),
        ErrorKind::InvalidAmount,
        16,
        "Stmt[1]/Ntry[2]/Amt",
    );
    assert!(e.message.contains("`1,00`"), "{e}");
    let xml = doc(&entry("-1.00", ""));
    assert_error(
        parse_str(&xml),
        ErrorKind::InvalidAmount,
        9,
        "Stmt[1]/Ntry[1]/Amt",
    );
}

#[test]
fn bad_date_names_the_element() {
    let xml = doc(&entry(
        "1.00",
        "<ValDt><DtTm>2024-02-30T10:00:00</DtTm></ValDt>",
    ));
    let e = assert_error(
        parse_str(&xml),
        ErrorKind::InvalidDate,
        13,
        "Stmt[1]/Ntry[1]/ValDt/DtTm",
    );
    assert!(e.message.contains("2024-02-30"), "{e}");
}

#[test]
fn missing_amount_without_details_is_rejected() {
    let xml = doc("<Ntry>\n<CdtDbtInd>CRDT</CdtDbtInd>\n<Sts>BOOK</Sts>\n</Ntry>");
    let e = assert_error(
        parse_str(&xml),
        ErrorKind::MissingField,
        8,
        "Stmt[1]/Ntry[1]",
    );
    assert!(e.message.contains("`Amt`"), "{e}");
    let xml = doc("<Ntry>\n<Amt Ccy=\"CHF\">1.00</Amt>\n</Ntry>");
    assert_error(
        parse_str(&xml),
        ErrorKind::MissingField,
        8,
        "Stmt[1]/Ntry[1]",
    );
}

#[test]
fn damaged_input_never_panics() {
    let full = doc(&entry(
        "1.00",
        "<NtryDtls><TxDtls><Amt Ccy=\"CHF\">1.00</Amt><RmtInf><Ustrd>x &amp; y</Ustrd></RmtInf></TxDtls></NtryDtls>",
    ));
    for cut in 0..full.len() {
        if full.is_char_boundary(cut) {
            let _ = parse_str(&full[..cut]);
        }
    }
    for (i, _) in full.char_indices() {
        let mut damaged = full.clone();
        damaged.replace_range(i..i + 1, "<");
        let _ = parse_str(&damaged);
    }
}

// ----- round trip ------------------------------------------------------------

mod round_trip {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    struct GenEntry {
        cents: i64,
        ustrd: Vec<String>,
        scor: Option<String>,
        name: String,
        e2e: String,
        day: u32,
    }

    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }

    fn money(cents: i64) -> (String, &'static str) {
        let d = Decimal::new(cents.abs(), 2);
        (d.to_string(), if cents < 0 { "DBIT" } else { "CRDT" })
    }

    fn write(version: &str, opening: i64, entries: &[GenEntry]) -> String {
        let closing = opening + entries.iter().map(|e| e.cents).sum::<i64>();
        let mut x = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}\">\n<BkToCstmrStmt><GrpHdr><MsgId>G</MsgId></GrpHdr>\n<Stmt><Id>ST-1</Id><ElctrncSeqNb>7</ElctrncSeqNb>\n<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        );
        for (code, cents) in [("OPBD", opening), ("CLBD", closing)] {
            let (amt, ind) = money(cents);
            x.push_str(&format!(
                "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>\n"
            ));
        }
        // 001.02 writes Sts as text, 001.08 as Sts/Cd.
        let sts = if version == "08" {
            "<Sts><Cd>BOOK</Cd></Sts>"
        } else {
            "<Sts>BOOK</Sts>"
        };
        for e in entries {
            let (amt, ind) = money(e.cents);
            let party = if e.cents < 0 { "Cdtr" } else { "Dbtr" };
            let name = if version == "08" {
                format!("<{party}><Pty><Nm>{}</Nm></Pty></{party}>", escape(&e.name))
            } else {
                format!("<{party}><Nm>{}</Nm></{party}>", escape(&e.name))
            };
            let ustrd: String = e
                .ustrd
                .iter()
                .map(|u| format!("<Ustrd>{}</Ustrd>", escape(u)))
                .collect();
            let strd = e.scor.as_ref().map_or(String::new(), |r| {
                format!("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{r}</Ref></CdtrRefInf></Strd>")
            });
            x.push_str(&format!(
                "<Ntry>\n<Amt Ccy=\"EUR\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd>{sts}\n<BookgDt><Dt>2024-03-{:02}</Dt></BookgDt><ValDt><DtTm>2024-03-{:02}T23:30:00-05:00</DtTm></ValDt>\n<NtryDtls><TxDtls><Refs><EndToEndId>{}</EndToEndId></Refs><RltdPties>{name}</RltdPties><RmtInf>{ustrd}{strd}</RmtInf></TxDtls></NtryDtls>\n</Ntry>\n",
                e.day, e.day, escape(&e.e2e)
            ));
        }
        x.push_str("</Stmt></BkToCstmrStmt></Document>\n");
        x
    }

    fn text() -> impl Strategy<Value = String> {
        // Letters, digits and the characters that need escaping.
        "[A-Za-z0-9&<>'\"/.-]{1,12}( [A-Za-z0-9&<>]{1,8}){0,2}"
    }

    fn gen_entry() -> impl Strategy<Value = GenEntry> {
        (
            -99_999_999i64..99_999_999,
            prop::collection::vec(text(), 0..3),
            prop::option::of("[0-9]{2}[A-Z0-9]{1,21}".prop_map(|s| format!("RF{s}"))),
            text(),
            "[A-Za-z0-9-]{1,20}",
            1u32..=28,
        )
            .prop_map(|(cents, ustrd, scor, name, e2e, day)| GenEntry {
                cents,
                ustrd,
                scor,
                name,
                e2e,
                day,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn written_statements_read_back(
            version in prop::sample::select(vec!["02", "04", "08"]),
            opening in -99_999_999i64..99_999_999,
            entries in prop::collection::vec(gen_entry(), 0..8),
        ) {
            let xml = write(version, opening, &entries);
            let p = parse_str(&xml).map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
            prop_assert_eq!(p.statements.len(), 1);
            let s = &p.statements[0];
            prop_assert_eq!(s.balance_check, BalanceCheck::Pass, "{}", s.check_detail);
            prop_assert_eq!(s.opening_balance, Some(Decimal::new(opening, 2)));
            prop_assert_eq!(s.statement_id.as_str(), "ST-1");
            prop_assert_eq!(s.sequence.as_str(), "7");
            prop_assert_eq!(p.transactions.len(), entries.len());
            for (i, (t, e)) in p.transactions.iter().zip(&entries).enumerate() {
                prop_assert_eq!(t.amount, Decimal::new(e.cents, 2));
                prop_assert_eq!(t.currency.as_str(), "EUR");
                prop_assert_eq!(t.account.as_str(), "DE89370400440532013000");
                let ustrd: Vec<&str> = e.ustrd.iter().map(|u| u.trim()).filter(|u| !u.is_empty()).collect();
                prop_assert_eq!(&t.remittance_info, &ustrd.join(" "));
                prop_assert_eq!(&t.structured_refs, &e.scor.iter().cloned().collect::<Vec<_>>());
                prop_assert_eq!(t.counterparty_name.as_str(), e.name.trim());
                prop_assert_eq!(t.end_to_end_id.as_str(), e.e2e.as_str());
                prop_assert_eq!(t.booking_date.map(|d| d.to_string()), Some(format!("2024-03-{:02}", e.day)));
                prop_assert_eq!(t.value_date, t.booking_date);
                prop_assert_eq!(&t.locator, &format!("Stmt[1]/Ntry[{}]/NtryDtls/TxDtls[1]", i + 1));
                prop_assert_eq!(t.status, EntryStatus::Booked);
            }
            prop_assert_eq!(p.format, Some(Format::Camt053));
        }
    }
}

/// Throughput on one core (PERFORMANCE target: 200 MB/s). Run with
/// `cargo test --release --test camt -- --ignored throughput --nocapture`.
#[test]
#[ignore = "benchmark; run in release"]
fn throughput() {
    let path = common::samples_dir().join("camt053/subite-BE68-202411_001_02.xml");
    let text = std::fs::read_to_string(path).unwrap();
    let (start, end) = (
        text.find("<Ntry>").unwrap(),
        text.rfind("</Ntry>").unwrap() + "</Ntry>".len(),
    );
    let block = &text[start..end];
    let copies = (64 << 20) / block.len() + 1;
    let mut big = String::with_capacity(text.len() + copies * block.len());
    big.push_str(&text[..start]);
    for _ in 0..copies {
        big.push_str(block);
    }
    big.push_str(&text[end..]);
    let source = Source::new("big.xml", big.as_bytes());
    // CPU time as well as wall time: the build machine is shared, and wall
    // time there measures the neighbours.
    let cpu_before = cpu_seconds();
    let started = std::time::Instant::now();
    let parsed = camt::parse(&source, &ParseOptions::default()).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let mb = big.len() as f64 / 1e6;
    println!(
        "camt: {mb:.0} MB, {} transactions in {seconds:.2} s wall ({:.0} MB/s), {cpu:.2} s CPU ({:.0} MB/s)",
        parsed.transactions.len(),
        mb / seconds,
        mb / cpu.max(0.01)
    );
}

/// User + system CPU seconds of this process (Linux `/proc/self/stat`, in
/// clock ticks of 1/100 s); 0 elsewhere.
fn cpu_seconds() -> f64 {
    /// `USER_HZ` on every Linux the CI runs on.
    const TICKS_PER_SECOND: f64 = 100.0;
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the `(comm)` part; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / TICKS_PER_SECOND
}

/// RELIABILITY B1-5 / B5-51: an `Amt` beyond the bound (|amount| < 10^15)
/// rejects the file naming the element; `Decimal::MAX` itself used to be
/// accepted, and sums of such amounts overflow.
#[test]
fn amounts_beyond_the_bound_are_rejected_naming_the_element() {
    for huge in [
        "79228162514264337593543950335",
        "1000000000000000",
        "99999999999999999999999999999999999999999999",
    ] {
        let xml = doc(&format!("{}\n{}", entry(huge, ""), entry(huge, "")));
        let e = assert_error(
            parse_str(&xml),
            ErrorKind::InvalidAmount,
            9,
            "Stmt[1]/Ntry[1]/Amt",
        );
        assert!(e.message.contains("amount bound"), "{e}");
    }
    let xml = doc(&entry("999999999999999.99", ""));
    assert!(parse_str(&xml).is_ok());
}

/// RELIABILITY B1-11 (ISO 20022 ActiveOrHistoricCurrencyAndAmount): an
/// amount with more decimals than its currency allows rejects the file,
/// naming the element; it used to be accepted silently. Trailing zeros are
/// fine (`18.150` EUR is 18.15, as in genkgo-camt053.v2.five.decimals.xml).
#[test]
fn amounts_with_excess_scale_are_rejected_naming_the_element() {
    for (ccy, amount, needle) in [
        ("EUR", "50.001", "more decimals than EUR allows (2)"),
        ("JPY", "1500.5", "more decimals than JPY allows (0)"),
        ("CHF", "0.00001", "more decimals than CHF allows (2)"),
    ] {
        let xml = doc(&entry(amount, "")).replace("Ccy=\"CHF\"", &format!("Ccy=\"{ccy}\""));
        let e = assert_error(
            parse_str(&xml),
            ErrorKind::InvalidAmount,
            9,
            "Stmt[1]/Ntry[1]/Amt",
        );
        assert!(e.message.contains(needle), "{e}");
    }
    for (ccy, amount) in [("EUR", "18.150"), ("JPY", "1500.000"), ("KWD", "1.005")] {
        let xml = doc(&entry(amount, "")).replace("Ccy=\"CHF\"", &format!("Ccy=\"{ccy}\""));
        assert!(parse_str(&xml).is_ok(), "{ccy} {amount}");
    }
}
