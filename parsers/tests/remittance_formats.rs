//! Focused tests of the remittance readers on small hand-written inputs:
//! delimiters, control checks that must pass and must fail, errors that
//! must name file and segment or record, lockbox layouts from config, and
//! remittance CSV layouts.

use cashmatch_parsers::remittance::{
    lockbox, parse_remittance, DocumentType, LockboxProfile, ParsedRemittance, RemittanceCsvLayout,
    RemittanceFormat, RemittanceOptions,
};
use cashmatch_parsers::{
    detect_format, detect_remittance, BalanceCheck, ErrorKind, ParseError, Source,
};
use rust_decimal::Decimal;
use std::str::FromStr as _;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn read(name: &str, text: &str) -> Result<ParsedRemittance, ParseError> {
    parse_remittance(
        &Source::new(name, text.as_bytes()),
        &RemittanceOptions::default(),
    )
}

/// An 820 with `lines` (RMR04 amounts) paying `bpr`, delimiters as given.
fn x12(bpr: &str, lines: &[&str], sep: char, term: &str) -> String {
    let mut body = vec![
        format!("ST{sep}820{sep}0001"),
        format!("BPR{sep}C{sep}{bpr}{sep}C{sep}ACH{sep}CTX{sep}01{sep}011000015{sep}DA{sep}123456{sep}1234567890{sep}{sep}01{sep}021000021{sep}DA{sep}654321{sep}20260303"),
        format!("TRN{sep}1{sep}TRACE0001"),
        format!("N1{sep}PR{sep}ACME CORP"),
        format!("N1{sep}PE{sep}US INC"),
        format!("ENT{sep}1"),
    ];
    for (i, l) in lines.iter().enumerate() {
        body.push(format!("RMR{sep}IV{sep}INV-{i}{sep}{sep}{l}"));
    }
    let count = body.len() + 1;
    body.push(format!("SE{sep}{count}{sep}0001"));
    let isa = format!("ISA{sep}00{sep}          {sep}00{sep}          {sep}ZZ{sep}PAYER          {sep}ZZ{sep}PAYEE          {sep}260302{sep}1200{sep}U{sep}00401{sep}000000001{sep}0{sep}P{sep}>");
    let mut segs = vec![
        isa,
        format!("GS{sep}RA{sep}PAYER{sep}PAYEE{sep}20260302{sep}1200{sep}1{sep}X{sep}004010"),
    ];
    segs.extend(body);
    segs.push(format!("GE{sep}1{sep}1"));
    segs.push(format!("IEA{sep}1{sep}000000001"));
    segs.join(term) + term
}

#[test]
fn x12_delimiters_come_from_the_isa() {
    for (sep, term) in [
        ('*', "~"),
        ('*', "~\n"),
        ('|', "\\"),
        ('¦', "~"),
        ('*', "\n"),
        ('*', "\r\n"),
    ] {
        let text = x12("150.00", &["100.00", "50.00"], sep, term);
        let p = read("t.820", &text).unwrap_or_else(|e| panic!("{sep:?} {term:?}: {e}"));
        assert_eq!(p.format, Some(RemittanceFormat::X12_820));
        let a = &p.advices[0];
        assert_eq!(a.payment_reference, "TRACE0001");
        assert_eq!(a.payer_name, "ACME CORP");
        assert_eq!(a.payer_account, "011000015/123456");
        assert_eq!(a.amount, Some(dec("150.00")));
        assert_eq!(a.lines.len(), 2);
        assert_eq!(
            a.check,
            BalanceCheck::Pass,
            "{sep:?} {term:?}: {}",
            a.check_detail
        );
        assert_eq!(p.check(), BalanceCheck::Pass);
    }
}

#[test]
fn x12_payment_that_does_not_tie_fails_and_says_by_how_much() {
    let p = read("t.820", &x12("150.00", &["100.00", "49.99"], '*', "~")).unwrap();
    assert_eq!(p.check(), BalanceCheck::Fail);
    assert!(
        p.advices[0].check_detail.contains("difference 0.01"),
        "{}",
        p.advices[0].check_detail
    );
}

#[test]
fn x12_se_count_and_control_numbers_are_checked() {
    let text = x12("150.00", &["150.00"], '*', "~").replace("SE*8*0001", "SE*9*0002");
    let p = read("t.820", &text).unwrap();
    let failed: Vec<_> = p
        .checks
        .iter()
        .filter(|c| c.result == BalanceCheck::Fail)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed.iter().any(|n| n.starts_with("SE01"))
            && failed.iter().any(|n| n.starts_with("SE02"))
    );
    assert_eq!(p.advices[0].check, BalanceCheck::Fail);
    let text = x12("150.00", &["150.00"], '*', "~").replace("GE*1*1", "GE*2*7");
    let p = read("t.820", &text).unwrap();
    assert_eq!(
        p.checks
            .iter()
            .filter(|c| c.result == BalanceCheck::Fail)
            .count(),
        2
    );
}

#[test]
fn x12_errors_name_file_segment_and_element() {
    let text = x12("15O.00", &["150.00"], '*', "~");
    let e = read("acme.820", &text).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidAmount);
    let msg = e.to_string();
    assert!(msg.starts_with("x12.820 file `acme.820`"), "{msg}");
    assert!(
        msg.contains("segment 4 BPR02") && msg.contains("15O.00"),
        "{msg}"
    );

    let truncated = x12("150.00", &["150.00"], '*', "~");
    let cut = &truncated[..truncated.find("SE*").unwrap()];
    let e = read("acme.820", cut).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Truncated);
    assert!(e.to_string().contains("ST 0001"), "{e}");

    let other = x12("150.00", &["150.00"], '*', "~").replace("ST*820", "ST*835");
    let e = read("acme.820", &other).unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownRecord);
    assert!(e.to_string().contains("835"), "{e}");

    let e = read("acme.820", "ISA*00*short~").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Structure);
}

#[test]
fn x12_amounts_finer_than_the_currency_are_refused() {
    let text = x12("150.001", &["150.001"], '*', "~");
    let e = read("t.820", &text).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidAmount);
    let jpy = x12("150", &["150"], '*', "~")
        .replace("TRN*", "CUR*PR*JPY~TRN*")
        .replace("SE*8*", "SE*9*");
    let p = read("t.820", &jpy).unwrap();
    assert_eq!(p.advices[0].currency, "JPY");
    assert_eq!(p.check(), BalanceCheck::Pass, "{}", p.check_detail());
    let bad = jpy.replace("CUR*PR*JPY", "CUR*PR*XYZ");
    assert_eq!(
        read("t.820", &bad).unwrap_err().kind,
        ErrorKind::InvalidCurrency
    );
}

#[test]
fn x12_adjustments_inside_and_outside_rmr_loops() {
    // Entity-level credit memo (before any RMR) changes the payment; the
    // ADX inside the RMR loop explains that line and does not.
    let text = x12("90.00", &["100.00"], '*', "~")
        .replace("ENT*1~", "ENT*1~ADX*-20.00*CM*CM*CM-7~")
        .replace(
            "RMR*IV*INV-0**100.00~",
            "RMR*IV*INV-0**110.00*120.00~ADX*-10.00*01~",
        )
        .replace("SE*8*", "SE*10*");
    let p = read("t.820", &text).unwrap();
    let a = &p.advices[0];
    assert_eq!(a.lines.len(), 2);
    assert_eq!(a.lines[0].document_type, DocumentType::CreditNote);
    assert_eq!(a.lines[0].amount_paid, Some(dec("-20.00")));
    assert_eq!(a.lines[1].adjustment_amount, Some(dec("-10.00")));
    assert_eq!(a.lines[1].adjustment_reason, "01");
    assert_eq!(a.check, BalanceCheck::Pass, "{}", a.check_detail);
}

#[test]
fn x12_ref_and_dtm_in_an_rmr_loop_describe_its_document() {
    // REF and DTM inside the loop belong to the line; a placeholder date is
    // no date; REF outside any loop (payment level) is not a line's.
    let text = x12("100.00", &["100.00"], '*', "~")
        .replace("ENT*1~", "REF*ZZ*BATCH-9~ENT*1~")
        .replace(
            "RMR*IV*INV-0**100.00~",
            "RMR*PO*PO-77**100.00~REF*IV*INV-0~REF*RZ*RGA-5~DTM*003*20260215~DTM*999*CCYYMMDD~",
        )
        .replace("SE*8*", "SE*13*");
    let p = read("t.820", &text).unwrap();
    let a = &p.advices[0];
    assert_eq!(a.lines.len(), 1);
    let l = &a.lines[0];
    assert_eq!(l.invoice_reference, "PO-77");
    assert_eq!(
        l.references,
        [
            ("IV".to_string(), "INV-0".to_string()),
            ("RZ".to_string(), "RGA-5".to_string())
        ]
    );
    assert_eq!(
        l.dates,
        [(
            "003".to_string(),
            chrono::NaiveDate::from_ymd_opt(2026, 2, 15).unwrap()
        )]
    );
    assert_eq!(a.check, BalanceCheck::Pass, "{}", a.check_detail);
}

const LOCKBOX: &str = "100ABCDEFGHIJ00999999911605231800\n\
2ABCDEFGHIJ0099999991000000000040008000801\n\
50010000022222160523ABCDEFGHIJ0099999991\n\
6001001000001234505500270700123455550000000180051616BOB E SMITH                   MY BUSINESS COMPANY\n\
40010016019INV-1\n\
6001002000000500005500270700123455550000000181051616ANN LEE\n\
700100000222221605230020000017345\n\
8000000002222216052300020000017345\n\
9000009\n";

#[test]
fn lockbox_cheques_overflow_and_totals() {
    let p = read("lb.bai", LOCKBOX).unwrap();
    assert_eq!(p.format, Some(RemittanceFormat::Lockbox));
    assert_eq!(p.layout, "bai_lockbox");
    assert_eq!(p.advices.len(), 2);
    let a = &p.advices[0];
    assert_eq!(a.amount, Some(dec("123.45")));
    assert_eq!(a.payer_name, "BOB E SMITH");
    assert_eq!(a.payer_account, "055002707/0012345555");
    assert_eq!(a.payment_reference, "0000000180");
    assert_eq!(a.lines[0].invoice_reference, "INV-1");
    assert_eq!(p.check(), BalanceCheck::Pass, "{}", p.check_detail());
    // A wrong batch total, lockbox total and record count each fail.
    for (from, to, what) in [
        ("0020000017345\n8", "0020000017346\n8", "batch 001 total"),
        ("00020000017345", "00020000017344", "lockbox total"),
        ("9000009", "9000010", "record count"),
        ("0020000017345\n8", "0030000017345\n8", "batch 001 count"),
    ] {
        let p = read("lb.bai", &LOCKBOX.replace(from, to)).unwrap();
        assert_eq!(p.check(), BalanceCheck::Fail, "{what}");
        assert!(
            p.check_detail().contains(what),
            "{what}: {}",
            p.check_detail()
        );
        assert!(p.advices.iter().all(|a| a.check == BalanceCheck::Fail));
    }
}

#[test]
fn lockbox_errors_name_line_and_column() {
    let e = read(
        "lb.bai",
        &LOCKBOX.replace("6001002000000500", "6001002000000X00"),
    )
    .unwrap_err();
    assert!(e.to_string().contains("lb.bai"), "{e}");
    assert!(e.to_string().contains("line 6"), "{e}");
    let e = read("lb.bai", &LOCKBOX.replace("6001002", "6001001")).unwrap_err();
    assert!(
        e.to_string().contains("item number 001 is used twice"),
        "{e}"
    );
    let e = read("lb.bai", &LOCKBOX.replace("9000009\n", "")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Truncated);
}

#[test]
fn lockbox_layouts_are_data_and_user_layouts_come_first() {
    let builtins = lockbox::builtin_profiles();
    assert_eq!(
        builtins.len(),
        lockbox::builtin_profile_sources().len(),
        "every built-in profile parses"
    );
    for p in &builtins {
        p.validate().unwrap();
    }
    // A bank whose cheque amount sits at 8-17 but whose records carry the
    // cheque number first: a user layout read from TOML.
    let mut user: LockboxProfile = toml::from_str(lockbox::builtin_profile_sources()[1].1).unwrap();
    user.name = "my_bank".into();
    user.check.check_number = Some(lockbox::Columns(37, 40));
    let options = RemittanceOptions {
        lockbox_profiles: vec![user],
        ..RemittanceOptions::default()
    };
    let p = parse_remittance(&Source::new("lb.bai", LOCKBOX.as_bytes()), &options).unwrap();
    assert_eq!(p.layout, "my_bank");
    assert_eq!(p.advices[0].payment_reference, "0000");
    let bad: Result<LockboxProfile, _> = toml::from_str("name = \"x\"\nunknown = 1\n");
    assert!(bad.is_err());
    let mut broken = lockbox::builtin_profiles()[0].clone();
    broken.check.amount = lockbox::Columns(70, 90);
    assert!(broken.validate().unwrap_err().contains("check.amount"));
}

/// A 94-character NACHA record with `fields` at their 1-based columns.
fn rec(fields: &[(usize, &str)]) -> String {
    let mut r = vec![' '; 94];
    for (col, text) in fields {
        for (i, c) in text.chars().enumerate() {
            r[col - 1 + i] = c;
        }
    }
    r.into_iter().collect()
}

/// One CTX credit of 150.00 whose two addenda carry RMR segments.
fn nacha() -> String {
    [
        rec(&[
            (1, "101 061036000 1234567802510161300B094101"),
            (41, "BANK OF US"),
            (64, "ACME CORP"),
        ]),
        rec(&[
            (1, "5220ACME CORP"),
            (41, "1123456789CTXPAYMENT   251016251017"),
            (79, "1123456780000001"),
        ]),
        rec(&[
            (1, "622061036000234010"),
            (30, "0000015000"),
            (40, "ID0000000000001"),
            (55, "0002US INC"),
            (79, "1"),
            (80, "123456780000001"),
        ]),
        rec(&[
            (1, "705RMR*IV*INV-1**100.00\\RMR*IV*INV-2**50.00\\"),
            (84, "00010000001"),
        ]),
        rec(&[(1, "705REF*ZZ*NOTE\\"), (84, "00020000001")]),
        rec(&[
            (1, "8220000003"),
            (11, "0006103600"),
            (21, "000000000000"),
            (33, "000000015000"),
            (45, "1123456789"),
            (80, "123456780000001"),
        ]),
        rec(&[
            (1, "9000001000001"),
            (14, "00000003"),
            (22, "0006103600"),
            (32, "000000000000"),
            (44, "000000015000"),
        ]),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn nacha_addenda_rmr_and_controls() {
    let text = nacha();
    assert_eq!(
        detect_remittance(text.as_bytes()),
        Some(RemittanceFormat::Nacha)
    );
    let p = read("ach.txt", &text).unwrap();
    let a = &p.advices[0];
    assert!(a.credit);
    assert_eq!(a.payer_name, "ACME CORP");
    assert_eq!(a.payment_reference, "123456780000001");
    assert_eq!(a.lines.len(), 2);
    assert_eq!(p.check(), BalanceCheck::Pass, "{}", p.check_detail());
    // Entry hash, totals and counts are each checked.
    let bad = text.replace("000000030006103600", "000000030006103601");
    let p = read("ach.txt", &bad).unwrap();
    assert!(
        p.check_detail().contains("file entry hash"),
        "{}",
        p.check_detail()
    );
    let bad = text.replace("RMR*IV*INV-2**50.00", "RMR*IV*INV-2**50.01");
    let p = read("ach.txt", &bad).unwrap();
    assert!(
        p.check_detail().contains("entry amount"),
        "{}",
        p.check_detail()
    );
    let long = text.replace("9000001000001", "90000011000001");
    assert_eq!(
        read("ach.txt", &long).unwrap_err().kind,
        ErrorKind::Structure
    );
}

const REMT: &str = r#"<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:remt.001.001.04"><RmtAdvc>
<GrpHdr><MsgId>M1</MsgId></GrpHdr>
<RmtInf><RmtId>R1</RmtId>
<Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>INV-1</Nb></RfrdDocInf>
<RfrdDocAmt><DuePyblAmt Ccy="EUR">100.00</DuePyblAmt><DscntApldAmt Ccy="EUR">2.00</DscntApldAmt>
<AdjstmntAmtAndRsn><Amt Ccy="EUR">8.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Rsn>DMGD</Rsn></AdjstmntAmtAndRsn>
<RmtdAmt Ccy="EUR">90.00</RmtdAmt></RfrdDocAmt></Strd>
<Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CREN</Cd></CdOrPrtry></Tp><Nb>CN-1</Nb></RfrdDocInf>
<RfrdDocAmt><CdtNoteAmt Ccy="EUR">10.00</CdtNoteAmt></RfrdDocAmt></Strd>
<OrgnlPmtInf><Refs><EndToEndId>E2E-1</EndToEndId></Refs><Amt><InstdAmt Ccy="EUR">80.00</InstdAmt></Amt>
<ReqdExctnDt><Dt>2026-03-02</Dt></ReqdExctnDt><Dbtr><Nm>ACME</Nm></Dbtr><DbtrAcct><Id><IBAN>DE02100100100006820101</IBAN></Id></DbtrAcct></OrgnlPmtInf>
</RmtInf></RmtAdvc></Document>"#;

#[test]
fn remt_lines_deductions_and_credit_notes() {
    let p = read("r.xml", REMT).unwrap();
    assert_eq!(p.format, Some(RemittanceFormat::Remt001));
    let a = &p.advices[0];
    assert_eq!(a.payment_reference, "E2E-1");
    assert_eq!(a.payer_account, "DE02100100100006820101");
    assert_eq!(a.lines[0].adjustment_amount, Some(dec("-8.00")));
    assert_eq!(a.lines[0].adjustment_reason, "DMGD");
    assert_eq!(a.lines[0].discount_amount, Some(dec("2.00")));
    assert_eq!(a.lines[1].document_type, DocumentType::CreditNote);
    assert_eq!(a.lines[1].amount_paid, Some(dec("-10.00")));
    assert_eq!(a.check, BalanceCheck::Pass, "{}", a.check_detail);
    let p = read("r.xml", &REMT.replace(">80.00<", ">81.00<")).unwrap();
    assert_eq!(p.check(), BalanceCheck::Fail);
    let e = read("r.xml", &REMT.replace(">90.00<", ">90.001<")).unwrap_err();
    assert!(e.to_string().contains("RmtInf[1]/Strd[1]"), "{e}");
    let e = read(
        "r.xml",
        &REMT.replace(
            "<?xml version=\"1.0\"?>",
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>",
        ),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ForbiddenXml);
    // A remt.001 is not a bank statement.
    assert_eq!(detect_format(REMT.as_bytes()), None);
}

#[test]
fn remittance_files_are_not_read_as_bank_csv() {
    // A lockbox or 820 with a comma in a name used to fall through to the
    // bank CSV reader.
    let lockbox = LOCKBOX.replace("BOB E SMITH ", "SMITH, BOB  ");
    assert_eq!(detect_format(lockbox.as_bytes()), None);
    assert_eq!(
        detect_remittance(lockbox.as_bytes()),
        Some(RemittanceFormat::Lockbox)
    );
    let edi = x12("150.00", &["150.00"], '*', "~").replace("ACME CORP", "ACME, CORP");
    assert_eq!(detect_format(edi.as_bytes()), None);
    // A headerless bank CSV whose first cell is a number stays a bank CSV.
    let csv = "100,2026-03-02,1.00\n200,2026-03-02,2.00\n";
    assert_eq!(detect_remittance(csv.as_bytes()), None);
}

fn csv_layout() -> RemittanceCsvLayout {
    toml::from_str(
        r#"
name = "acme"
delimiter = ";"
decimal_separator = ","
thousands_separator = "."
date_format = "%d.%m.%Y"
currency = "EUR"
[columns]
payment_reference = "Zahlung"
invoice = "Rechnung"
amount_paid = "Betrag"
payer = "Kunde"
payment_date = "Datum"
payment_amount = "Summe"
discount = "Skonto"
deduction = "Abzug"
deduction_reason = "Grund"
"#,
    )
    .unwrap()
}

#[test]
fn remittance_csv_columns_come_from_config() {
    let text = "Kunde;Zahlung;Datum;Summe;Rechnung;Betrag;Skonto;Abzug;Grund\n\
                ACME;P-1;02.03.2026;1.234,50;INV-1;1.000,00;20,00;;\n\
                ACME;P-1;02.03.2026;1.234,50;INV-2;234,50;;15,50;damaged\n\
                BETA;P-2;03.03.2026;10,00;INV-9;9,00;;;\n";
    let options = RemittanceOptions {
        csv_layouts: vec![csv_layout()],
        ..RemittanceOptions::default()
    };
    let p = parse_remittance(&Source::new("acme.csv", text.as_bytes()), &options).unwrap();
    assert_eq!(p.format, Some(RemittanceFormat::Csv));
    assert_eq!(p.advices.len(), 2);
    assert_eq!(p.advices[0].amount, Some(dec("1234.50")));
    assert_eq!(p.advices[0].lines[1].adjustment_amount, Some(dec("-15.50")));
    assert_eq!(p.advices[0].lines[1].adjustment_reason, "damaged");
    assert_eq!(p.advices[0].check, BalanceCheck::Pass);
    assert_eq!(
        p.advices[1].check,
        BalanceCheck::Fail,
        "9.00 of 10.00 remitted"
    );
    // Without a layout the file is no remittance.
    let e = parse_remittance(
        &Source::new("acme.csv", text.as_bytes()),
        &RemittanceOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownFormat);
    let bad = text.replace("234,50;;15,50", "234,5x;;15,50");
    let e = parse_remittance(&Source::new("acme.csv", bad.as_bytes()), &options).unwrap_err();
    assert!(e.to_string().contains("line 3, column 6"), "{e}");
}

/// Throughput of the 820 and lockbox readers on generated files of about
/// 30 MB; run with
/// `cargo test --release --test remittance_formats -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let lines: Vec<String> = (0..1_000_000)
        .map(|i| format!("{}.{:02}", i % 5000 + 1, i % 100))
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let total: Decimal = lines.iter().map(|l| dec(l)).sum();
    let text = x12(&total.to_string(), &refs, '*', "~\n");
    let start = std::time::Instant::now();
    let parsed = read("big.820", &text).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(parsed.check(), BalanceCheck::Pass);
    println!(
        "x12.820: {} lines, {:.1} MB in {secs:.3} s, {:.0} MB/s",
        parsed.line_count(),
        text.len() as f64 / 1e6,
        text.len() as f64 / secs / 1e6
    );
    let mut lockbox = String::from(
        "100ABCDEFGHIJ00999999911605231800\n2ABCDEFGHIJ0099999991000000000040008000801\n",
    );
    let mut records = 2u64;
    let mut grand = 0u64;
    for b in 1..=300u64 {
        lockbox.push_str(&format!("5{b:03}0000022222160523ABCDEFGHIJ0099999991\n"));
        let mut sum = 0u64;
        for i in 1..=999u64 {
            let amount = 10_000 + i;
            sum += amount;
            lockbox.push_str(&format!("6{b:03}{i:03}{amount:010}0550027070012345555{i:010}051616PAYER {i}\n4{b:03}{i:03}6019INV-{b}-{i}\n"));
        }
        lockbox.push_str(&format!("7{b:03}000002222216052{}999{sum:010}\n", 3));
        grand += sum;
        records += 2 + 2 * 999;
    }
    lockbox.push_str(&format!(
        "80000000022222160523{:04}{:010}\n",
        9999,
        grand % 10_000_000_000
    ));
    lockbox.push_str(&format!("9{:06}\n", (records + 2) % 1_000_000));
    let start = std::time::Instant::now();
    let parsed = read("big.bai", &lockbox);
    let secs = start.elapsed().as_secs_f64();
    let parsed = parsed.unwrap();
    println!(
        "bai_lockbox: {} cheques, {:.1} MB in {secs:.3} s, {:.0} MB/s",
        parsed.advices.len(),
        lockbox.len() as f64 / 1e6,
        lockbox.len() as f64 / secs / 1e6
    );
}
