//! The payer inside bank text (issue 9): every tag the readers take a
//! counterparty, a return marker or a structured document from, each on a
//! line of the public samples where the corpus has one, else on a line in
//! the form the bank's documentation gives (said so at each test).

mod common;

use cashmatch_parsers::{
    parse_source, Format, ParseOptions, ParsedFile, Source, StatementTransaction,
    TransactionDetails,
};
use rust_decimal::Decimal;

fn sample(folder: &str, name: &str) -> ParsedFile {
    let bytes = std::fs::read(common::samples_dir().join(folder).join(name)).unwrap();
    parse_source(&Source::new(name, &bytes), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The transaction starting on `line` and its details.
fn at_line(p: &ParsedFile, line: u64) -> (&StatementTransaction, &TransactionDetails) {
    let i = p
        .transactions
        .iter()
        .position(|t| t.source_line == line)
        .unwrap_or_else(|| panic!("no transaction on line {line}"));
    (&p.transactions[i], &p.details[i])
}

/// A one-transaction BAI2 file whose 16 record has type `type_code` and the
/// given text (first element) and 88 continuations (the rest).
fn bai2(type_code: &str, text: &[&str]) -> ParsedFile {
    let mut body = format!("16,{type_code},12345,0,BANKREF1,CUSTREF1,{}\n", text[0]);
    for t in &text[1..] {
        body.push_str(&format!("88,{t}\n"));
    }
    let file = format!(
        "01,BANK,RECEIVER,260301,0800,1,80,,2/\n02,RECEIVER,BANK,1,260301,0800,USD,2/\n\
         03,123456789,USD,010,100000,,/\n{body}49,112345,{}/\n98,112345,1,{}/\n99,112345,1,{}/\n",
        2 + text.len(),
        4 + text.len(),
        6 + text.len()
    );
    parse_source(
        &Source::new("t.bai2", file.as_bytes()),
        &ParseOptions {
            format: Some(Format::Bai2),
            ..ParseOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn party(p: &ParsedFile) -> (&str, &str, &str, &str) {
    let (t, d) = (&p.transactions[0], &p.details[0]);
    (
        t.counterparty_name.as_str(),
        d.name_source.as_str(),
        t.counterparty_account.as_str(),
        d.account_source.as_str(),
    )
}

// ----- BAI2 16/88 text ---------------------------------------------------

#[test]
fn bai2_svb_wire_org_is_the_payer() {
    // venturehacks-eod.bai2, the 16 of line 4 with its 88s: `88,ORG:=OPTIONS LINK WIRE CLEARING`
    // (the `ORG ADDRESS:=` that follows ends the name).
    let p = sample("bai2", "venturehacks-eod.bai2");
    let (t, d) = (&p.transactions[0], &p.details[0]);
    assert_eq!(t.counterparty_name, "OPTIONS LINK WIRE CLEARING");
    assert_eq!(d.name_source, "ORG:=");
    assert!(!d.returned);
}

#[test]
fn bai2_faster_payments_bo_and_sort_code() {
    // moj-citi_example.bai2: `OB:111111 BUCKINGHAM PALACE OB3:BARCLAYS BANK
    // PLC` and `BO:11111111 BO1:DOE JO`: account = sort code + account.
    let p = sample("bai2", "moj-citi_example.bai2");
    let (t, d) = at_line(&p, 4);
    assert_eq!(t.counterparty_name, "DOE JO");
    assert_eq!(d.name_source, "BO1:");
    assert_eq!(t.counterparty_account, "11111111111111");
    assert_eq!(d.account_source, "OB:+BO:");
    // `PY:` (the payer's reference) stays in the remittance for matching.
    assert!(t.remittance_info.contains("PY:RP1231231231231200"));
}

#[test]
fn bai2_goldman_dbnm_dact_and_ach_reject() {
    // moovio-sample4 line 10: `16,261,...,ACH Credit Reject,From: TEST INC,
    // ...` with `DBNM:`/`DACT:` continuations: a reject is money coming back.
    let p = sample("bai2", "moovio-sample4-continuations-newline.bai2");
    let (t, d) = at_line(&p, 10);
    assert_eq!(d.name_source, "DBNM:");
    assert_eq!(t.counterparty_account, "101152046");
    assert_eq!(d.account_source, "DACT:");
    assert!(d.returned, "ACH Credit Reject is a return");
    // line 24: `ACH Credit Receipt Return ... Reason: "R02"`.
    let (_, d) = at_line(&p, 24);
    assert!(d.returned);
    assert_eq!(d.return_reason, "R02");
    // line 6: an ordinary ACH credit payment is not a return.
    let (_, d) = at_line(&p, 6);
    assert!(!d.returned);
}

#[test]
fn bai2_goldman_labels_end_at_the_comma() {
    // dnsbty-test_gs.bai2: `To: Payee account, Account: XXXXX-4454, ...` on
    // a debit: the payee, up to the comma.
    let p = sample("bai2", "dnsbty-test_gs.bai2");
    let (t, d) = (&p.transactions[0], &p.details[0]);
    assert_eq!(t.counterparty_name, "Payee account");
    assert_eq!(d.name_source, "To:");
}

#[test]
fn bai2_ach_ccd_addenda_orig_co_name_and_orig_id() {
    // The NACHA fields US banks copy into 16 text of an ACH credit (form of
    // the BAI2 guides; not in the public corpus).
    let p = bai2(
        "142",
        &["ORIG CO NAME:ACME TEXTILES ORIG ID:1234567890 DESC DATE:260301 CO ENTRY DESCR:PAYMENT",
          "SEC:CCD TRACE#:021000021234567 EED:260302 IND ID:INV-2026-019846 IND NAME:OUR COMPANY INC"],
    );
    assert_eq!(
        party(&p),
        ("ACME TEXTILES", "ORIG CO NAME:", "1234567890", "ORIG ID:")
    );
    assert!(p.transactions[0]
        .remittance_info
        .contains("INV-2026-019846"));
}

#[test]
fn bai2_ind_name_only_when_no_originator() {
    // An ACH entry we originated names the customer as the receiver.
    let p = bai2(
        "165",
        &["ACH DEBIT COLLECTION IND ID:10023 IND NAME:ACME TEXTILES BV"],
    );
    assert_eq!(party(&p).0, "ACME TEXTILES BV");
    assert_eq!(party(&p).1, "IND NAME:");
}

#[test]
fn bai2_wire_b_o_and_acct() {
    // Fedwire text as US banks render it: `B/O:` (by order of) and `ACCT:`.
    let p = bai2(
        "195",
        &["WIRE IN B/O: ACME ENERGY LLC ACCT: 987654321 OBI: INV 19846"],
    );
    assert_eq!(party(&p), ("ACME ENERGY LLC", "B/O:", "987654321", "ACCT:"));
}

#[test]
fn bai2_org_and_bnf_with_equals() {
    // `ORG=`/`BNF=`/`OBI=` (Fedwire tag style of some US banks).
    let p = bai2(
        "195",
        &["FEDWIRE ORG=ACME TEXTILES B.V. BNF=OUR COMPANY OBI=RE 4711"],
    );
    assert_eq!(party(&p).0, "ACME TEXTILES B.V.");
    assert_eq!(party(&p).1, "ORG=");
    let p = bai2(
        "495",
        &["FEDWIRE OUT ORG=OUR COMPANY BNF=SUPPLIER GMBH OBI=PO 88"],
    );
    assert_eq!(party(&p).0, "SUPPLIER GMBH");
    assert_eq!(party(&p).1, "BNF=");
}

#[test]
fn bai2_orig_short_tag() {
    let p = bai2("142", &["ORIG:ACME TEXTS LTD ORIG ID:9988776655"]);
    assert_eq!(
        party(&p),
        ("ACME TEXTS LTD", "ORIG:", "9988776655", "ORIG ID:")
    );
}

// ----- MT940 :86: -----------------------------------------------------------

#[test]
fn mt940_dfue_32_33_and_31() {
    // wolph-cmxl-de-dem / kontist: `?31` IBAN, `?32`/`?33` name.
    let p = sample("mt940", "fruitl00p-kontist-de.mt940");
    let i = p
        .details
        .iter()
        .position(|d| d.name_source == "?32")
        .expect("a ?32 name");
    assert!(!p.transactions[i].counterparty_name.is_empty());
    assert_eq!(p.details[i].account_source, "?31");
}

#[test]
fn mt940_dfue_retoure_is_a_return_with_its_key() {
    // wolph-betterplace-sepa-de.mt940 line 5/6: `:86:159?00RETOURE?...?34903`.
    let p = sample("mt940", "wolph-betterplace-sepa-de.mt940");
    let returned: Vec<&TransactionDetails> = p.details.iter().filter(|d| d.returned).collect();
    assert!(returned.len() >= 10, "{}", returned.len());
    assert!(returned.iter().any(|d| d.return_reason == "903"));
    // Ordinary SEPA credits of the same file are not returns.
    assert!(p.details.iter().any(|d| !d.returned));
}

#[test]
fn mt940_ing_rtrn_and_cntp() {
    // oca-ing-nl-test-ing.940 line 19: `/RTRN/MS03//EREF/...//CNTP/NL32INGB...`.
    let p = sample("mt940", "oca-ing-nl-test-ing.940");
    let i = p
        .details
        .iter()
        .position(|d| d.returned)
        .expect("the /RTRN/ line");
    assert_eq!(p.details[i].return_reason, "MS03");
    assert_eq!(p.transactions[i].counterparty_account, "NL32INGB0000012345");
    assert_eq!(p.details[i].account_source, "/CNTP/");
}

#[test]
fn mt940_ordp_and_name_tags() {
    // Komercijalna `/ORDP/account` first line, name on the next.
    let p = sample("mt940", "fruitl00p-komercijalna-mk.mt940");
    assert!(p.details.iter().any(|d| d.account_source == "/ORDP/"));
    // bunq `/IBAN/../NAME/..`.
    let p = sample("mt940", "fruitl00p-bunq-nl.mt940");
    let i = p
        .details
        .iter()
        .position(|d| d.name_source == "/NAME/" && d.account_source == "/IBAN/")
        .expect("/IBAN/ and /NAME/");
    assert!(!p.transactions[i].counterparty_name.is_empty());
}

#[test]
fn mt940_rabobank_ordp_with_name_and_ultd() {
    // Rabobank's `/ORDP//NAME/.../ULTD/...` form (its MT940 guide).
    let text = ":20:STMT\n:25:NL91RABO0123456789\n:28C:1\n:60F:C260301EUR1000,00\n\
:61:2603010301C100,00NTRFNONREF//B1\n\
:86:/EREF/NOTPROVIDED/ORDP//NAME/PAYMENT FACTORY BV/ADDR/AMSTERDAM/ULTD//NAME/ACME\n TEXTILES BV/REMI/Factuur 4711\n\
:62F:C260301EUR1100,00\n-\n";
    let p = parse_source(
        &Source::new("rabo.mt940", text.as_bytes()),
        &ParseOptions::default(),
    )
    .unwrap();
    let (t, d) = (&p.transactions[0], &p.details[0]);
    assert_eq!(t.counterparty_name, "ACME TEXTILES BV");
    assert_eq!(d.name_source, "/ULTD/");
    assert_eq!(d.account_holder, "PAYMENT FACTORY BV");
}

#[test]
fn mt940_free_text_rek_naam() {
    // wolph-jejik-knab-nl.mt940: `... REK: NL65INGB0123456789/NAAM: PICQER`.
    let p = sample("mt940", "wolph-jejik-knab-nl.mt940");
    let i = p
        .transactions
        .iter()
        .position(|t| t.remittance_info.contains("NAAM: PICQER"))
        .unwrap();
    assert_eq!(p.transactions[i].counterparty_name, "PICQER");
    assert_eq!(p.transactions[i].counterparty_account, "NL65INGB0123456789");
    assert_eq!(p.details[i].name_source, "free text REK:/NAAM:");
}

#[test]
fn mt940_statement_in_a_historic_currency_is_read_with_the_rest() {
    // wolph-cmxl-de-dem.mt940: a DEM statement beside EUR and PLN ones;
    // issue 9 reported the whole file rejected. It parses, every statement.
    let p = sample("mt940", "wolph-cmxl-de-dem.mt940");
    let currencies: Vec<&str> = p.statements.iter().map(|s| s.currency.as_str()).collect();
    assert!(currencies.contains(&"DEM"), "{currencies:?}");
    assert!(currencies.contains(&"EUR"), "{currencies:?}");
}

// ----- camt ------------------------------------------------------------------

fn camt_credit(rltd_pties: &str, rmt_inf: &str, extra: &str) -> ParsedFile {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-02T08:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2026-03-02T08:00:00</CreDtTm><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<RltdPties>{rltd_pties}</RltdPties><RmtInf>{rmt_inf}</RmtInf>{extra}</TxDtls></NtryDtls>
<AddtlNtryInf>SEPA-GUTSCHRIFT</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>"#
    );
    parse_source(
        &Source::new("t.xml", xml.as_bytes()),
        &ParseOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn camt_ultimate_debtor_is_the_payer() {
    let p = camt_credit(
        "<Dbtr><Pty><Nm>PAYMENT FACTORY SE</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct>\
         <UltmtDbtr><Pty><Nm>Acme Textiles B.V.</Nm></Pty></UltmtDbtr>",
        "<Ustrd>INV-1001</Ustrd>",
        "",
    );
    let (t, d) = (&p.transactions[0], &p.details[0]);
    assert_eq!(t.counterparty_name, "Acme Textiles B.V.");
    assert_eq!(d.name_source, "UltmtDbtr");
    assert_eq!(d.account_holder, "PAYMENT FACTORY SE");
    assert_eq!(t.counterparty_account, "NL91ABNA0417164300");
    assert_eq!(d.account_source, "DbtrAcct");
}

#[test]
fn camt_ultimate_debtor_placeholder_is_no_name() {
    // viafintech-053_valid_example_vrbank_de.xml writes
    // `<UltmtDbtr><Nm>keine Information vorhanden</Nm>`: no party.
    let p = sample("camt053", "viafintech-053_valid_example_vrbank_de.xml");
    assert!(p
        .transactions
        .iter()
        .all(|t| t.counterparty_name != "keine Information vorhanden"));
}

#[test]
fn camt_structured_documents_keep_type_and_amount() {
    let p = camt_credit(
        "<Dbtr><Nm>Acme</Nm></Dbtr>",
        "<Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>INV-1001</Nb></RfrdDocInf>\
         <RfrdDocAmt><DuePyblAmt Ccy=\"EUR\">100.00</DuePyblAmt><RmtdAmt Ccy=\"EUR\">100.00</RmtdAmt></RfrdDocAmt></Strd>\
         <Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CREN</Cd></CdOrPrtry></Tp><Nb>CN-2001</Nb></RfrdDocInf>\
         <RfrdDocAmt><CdtNoteAmt Ccy=\"EUR\">20.00</CdtNoteAmt></RfrdDocAmt></Strd>",
        "",
    );
    let docs = &p.details[0].documents;
    assert_eq!(docs.len(), 2, "{docs:?}");
    assert_eq!(docs[0].number, "INV-1001");
    assert_eq!(docs[0].kind, "CINV");
    assert_eq!(docs[0].amount, Some(Decimal::new(10000, 2)));
    assert!(!docs[0].is_credit_note());
    assert_eq!(docs[1].number, "CN-2001");
    assert_eq!(docs[1].kind, "CREN");
    assert_eq!(docs[1].amount, Some(Decimal::new(-2000, 2)));
    assert!(
        docs[1].is_credit_note(),
        "a credit note is told from an invoice"
    );
    // Both numbers still reach matching as structured references.
    assert_eq!(p.transactions[0].structured_refs, ["INV-1001", "CN-2001"]);
}

#[test]
fn camt_creditor_reference_type_is_kept() {
    // genkgo-camt053.v8.xml: `CdtrRefInf/Tp/CdOrPrtry/Cd=SCOR`.
    let p = sample("camt053", "genkgo-camt053.v8.xml");
    assert!(p
        .details
        .iter()
        .flat_map(|d| &d.documents)
        .any(|doc| doc.kind == "SCOR" && doc.number == "4654654654654654"));
}

#[test]
fn camt_additional_info_is_kept_beside_ustrd() {
    // viafintech-053_valid_example_with_instdamt_ch.xml: the `Ref.-Nr.` is
    // only in `AddtlTxInf`/`AddtlNtryInf`.
    let p = sample(
        "camt053",
        "viafintech-053_valid_example_with_instdamt_ch.xml",
    );
    assert!(
        p.transactions
            .iter()
            .any(|t| t.remittance_info.contains("Ref.-Nr.  99999")),
        "{:?}",
        p.transactions
            .iter()
            .map(|t| &t.remittance_info)
            .collect::<Vec<_>>()
    );
    let p = camt_credit(
        "",
        "<Ustrd>Rechnung 4711</Ustrd>",
        "<AddtlTxInf>Ref.-Nr. 99999</AddtlTxInf>",
    );
    assert_eq!(
        p.transactions[0].remittance_info,
        "Rechnung 4711 Ref.-Nr. 99999 SEPA-GUTSCHRIFT"
    );
}

#[test]
fn camt_return_information_marks_a_return() {
    // oca-test-camt053_001_02.xml: `<RtrInf><Rsn><Cd>AC06</Cd></Rsn></RtrInf>`.
    let p = sample("camt053", "oca-test-camt053_001_02.xml");
    let d = p.details.iter().find(|d| d.returned).expect("a return");
    assert_eq!(d.return_reason, "AC06");
}

// ----- bank CSV ------------------------------------------------------------

#[test]
fn csv_easybank_description_names_the_party() {
    // ofxaustrian-easybank-at_giro.csv: `... FE/000000003 ABCDEF1G235
    // AT098765432109876543 Payment receiver`.
    let p = sample("csv", "ofxaustrian-easybank-at_giro.csv");
    let i = p
        .transactions
        .iter()
        .position(|t| t.remittance_info.contains("FE/000000003"))
        .unwrap();
    let (t, d) = (&p.transactions[i], &p.details[i]);
    assert_eq!(t.counterparty_name, "Payment receiver");
    assert_eq!(t.counterparty_account, "AT098765432109876543");
    assert_eq!(d.name_source, "free text easybank");
}

#[test]
fn every_sample_has_one_details_entry_per_transaction() {
    for folder in ["bai2", "camt052", "camt053", "camt054", "mt940", "csv"] {
        for path in common::sample_files(folder) {
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if let Ok(p) = parse_source(&Source::new(&name, &bytes), &ParseOptions::default()) {
                assert_eq!(p.details.len(), p.transactions.len(), "{name}");
            }
        }
    }
}
