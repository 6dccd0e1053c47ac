//! Profile `texttags`: the bank lines written as a BAI2 file and an MT940
//! file whose payer name and account exist only in text tags, the way US
//! and German banks report them (BAI2 16/88 `ORIG CO NAME:`/`ORIG ID:` of
//! an ACH CCD credit and `B/O:`/`ACCT:`/`OBI:` of a wire; MT940 DFÜ `?32`/
//! `?33` name and `?31` IBAN, and ING `/CNTP/`). Payment events alternate
//! between the two files; within a file each currency is one account.

use crate::csv_out::{push_amount, push_padded, push_u128};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// One bank line as the statements need it.
#[derive(Debug, Clone)]
pub(crate) struct TaggedLine {
    /// 0: the BAI2 file, 1: the MT940 file.
    pub(crate) file: u8,
    pub(crate) reference: Vec<u8>,
    pub(crate) our_account: Vec<u8>,
    pub(crate) currency: &'static str,
    pub(crate) date: NaiveDate,
    pub(crate) value_date: NaiveDate,
    pub(crate) amount: Decimal,
    pub(crate) name: Vec<u8>,
    pub(crate) account: Vec<u8>,
    pub(crate) remittance: Vec<u8>,
}

/// Characters of one BAI2 continuation's text; banks keep records near 80.
const BAI2_TEXT_CHARS: usize = 70;
/// A DFÜ subfield holds 27 characters.
const DFUE_SUBFIELD_CHARS: usize = 27;
/// Purpose subfields `?20`..`?29`.
const DFUE_PURPOSE_SUBFIELDS: usize = 10;
/// An MT940 line holds 65 characters.
const MT940_LINE_CHARS: usize = 65;

fn yymmdd(out: &mut Vec<u8>, d: NaiveDate) {
    push_padded(out, (d.year() % 100) as u64, 2);
    push_padded(out, u64::from(d.month()), 2);
    push_padded(out, u64::from(d.day()), 2);
}

/// Amount in cents (every generated currency has two decimals).
fn cents(amount: Decimal) -> i128 {
    let mut a = amount;
    a.rescale(2);
    a.mantissa()
}

/// Splits `text` into pieces of at most `n` characters (on char boundaries).
fn chunks(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

/// Splits `text` into pieces of at most `n` characters at spaces, as banks
/// wrap continuation records (a word longer than `n` is cut).
fn wrap_words(text: &str, n: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let len = current.chars().count();
        if len > 0 && len + 1 + word.chars().count() > n {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        while current.chars().count() > n {
            let head: String = current.chars().take(n).collect();
            let tail: String = current.chars().skip(n).collect();
            out.push(head);
            current = tail;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Text safe inside a record: no line breaks, and (BAI2) no `/` at a line
/// end, which would read as the record terminator's neighbour.
fn clean(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace(['\n', '\r'], " ")
        .trim()
        .to_string()
}

/// Writes the BAI2 file of `lines` (all credits): one group per booking
/// day (its as-of date is the day, as in a bank's daily previous-day
/// file), one account per currency within it.
pub(crate) fn bai2(lines: &[&TaggedLine], as_of: NaiveDate) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"01,CASHMATCHBANK,CASHMATCH,");
    yymmdd(&mut out, as_of);
    out.extend_from_slice(b",0800,1,,,2/\n");
    let mut days: Vec<NaiveDate> = lines.iter().map(|l| l.date).collect();
    days.sort_unstable();
    days.dedup();
    let mut file_total: i128 = 0;
    let mut file_records: u64 = 1;
    for day in &days {
        let (total, records) = bai2_group(&mut out, lines, *day);
        file_total += total;
        file_records += records;
    }
    file_records += 1;
    out.extend_from_slice(b"99,");
    push_i128(&mut out, file_total);
    out.push(b',');
    push_u128(&mut out, days.len() as u128);
    out.push(b',');
    push_u128(&mut out, u128::from(file_records));
    out.extend_from_slice(b"/\n");
    out
}

fn push_i128(out: &mut Vec<u8>, v: i128) {
    if v < 0 {
        out.push(b'-');
    }
    push_u128(out, v.unsigned_abs());
}

/// One 02..98 group of the lines booked on `day`: its control total and
/// record count (02 through 98).
fn bai2_group(out: &mut Vec<u8>, lines: &[&TaggedLine], day: NaiveDate) -> (i128, u64) {
    let mut records: u64 = 1;
    out.extend_from_slice(b"02,CASHMATCH,CASHMATCHBANK,1,");
    yymmdd(out, day);
    out.extend_from_slice(b",0800,,2/\n");
    let mut group_total: i128 = 0;
    let mut accounts: u64 = 0;
    for currency in ["EUR", "USD", "GBP"] {
        let of: Vec<&&TaggedLine> = lines
            .iter()
            .filter(|l| l.currency == currency && l.date == day)
            .collect();
        if of.is_empty() {
            continue;
        }
        accounts += 1;
        let sum: i128 = of.iter().map(|l| cents(l.amount)).sum();
        let mut account_records: u64 = 1;
        out.extend_from_slice(b"03,");
        out.extend_from_slice(&of[0].our_account);
        out.push(b',');
        out.extend_from_slice(currency.as_bytes());
        out.extend_from_slice(b",010,0,,,015,");
        push_i128(out, sum);
        out.extend_from_slice(b",,/\n");
        let mut account_total = sum;
        for (n, l) in of.iter().enumerate() {
            let name = clean(&l.name);
            let account = clean(&l.account);
            let remittance = clean(&l.remittance);
            let amount = cents(l.amount);
            account_total += amount;
            // Alternate an ACH CCD credit (addenda text) and a wire.
            let (type_code, head, body) = if n % 2 == 0 {
                let mut date = Vec::new();
                yymmdd(&mut date, l.date);
                (
                    "142",
                    format!(
                        "ORIG CO NAME:{name} ORIG ID:{account} DESC DATE:{} CO ENTRY DESCR:PAYMENT SEC:CCD",
                        String::from_utf8_lossy(&date)
                    ),
                    format!("ADDENDA:{remittance}"),
                )
            } else {
                (
                    "195",
                    format!("WIRE IN B/O: {name} ACCT: {account}"),
                    format!("OBI: {remittance}"),
                )
            };
            out.extend_from_slice(b"16,");
            out.extend_from_slice(type_code.as_bytes());
            out.push(b',');
            push_i128(out, amount);
            out.extend_from_slice(b",0,");
            out.extend_from_slice(&l.reference);
            out.extend_from_slice(b",,");
            out.extend_from_slice(head.as_bytes());
            out.extend_from_slice(b"/\n");
            account_records += 1;
            for piece in wrap_words(&body, BAI2_TEXT_CHARS) {
                out.extend_from_slice(b"88,");
                // A piece ending in `/` would end the record early.
                out.extend_from_slice(piece.trim_end_matches('/').as_bytes());
                out.extend_from_slice(b"/\n");
                account_records += 1;
            }
        }
        account_records += 1;
        out.extend_from_slice(b"49,");
        push_i128(out, account_total);
        out.push(b',');
        push_u128(out, u128::from(account_records));
        out.extend_from_slice(b"/\n");
        records += account_records;
        group_total += account_total;
    }
    records += 1;
    out.extend_from_slice(b"98,");
    push_i128(out, group_total);
    out.push(b',');
    push_u128(out, u128::from(accounts));
    out.push(b',');
    push_u128(out, u128::from(records));
    out.extend_from_slice(b"/\n");
    (group_total, records)
}

fn mt940_amount(out: &mut Vec<u8>, amount: Decimal) {
    let mut text = Vec::new();
    push_amount(&mut text, amount);
    for b in text {
        out.push(if b == b'.' { b',' } else { b });
    }
}

/// Appends `:86:` with its value wrapped at 65 characters per line.
fn field_86(out: &mut Vec<u8>, value: &str) {
    let mut first = true;
    for piece in chunks(value, MT940_LINE_CHARS) {
        if first {
            out.extend_from_slice(b":86:");
            first = false;
        }
        out.extend_from_slice(piece.as_bytes());
        out.push(b'\n');
    }
}

/// Writes the MT940 file of `lines` (all credits): one message per currency.
pub(crate) fn mt940(lines: &[&TaggedLine]) -> Vec<u8> {
    let mut out = Vec::new();
    for currency in ["EUR", "USD", "GBP"] {
        let of: Vec<&&TaggedLine> = lines.iter().filter(|l| l.currency == currency).collect();
        if of.is_empty() {
            continue;
        }
        out.extend_from_slice(b":20:CASHMATCH");
        out.extend_from_slice(currency.as_bytes());
        out.extend_from_slice(b"\n:25:");
        out.extend_from_slice(&of[0].our_account);
        out.extend_from_slice(b"\n:28C:1/1\n:60F:C");
        let first = of.iter().map(|l| l.date).min().unwrap_or(of[0].date);
        let last = of.iter().map(|l| l.date).max().unwrap_or(of[0].date);
        yymmdd(&mut out, first);
        out.extend_from_slice(currency.as_bytes());
        out.extend_from_slice(b"0,00\n");
        let mut sum = Decimal::ZERO;
        for (n, l) in of.iter().enumerate() {
            sum += l.amount;
            out.extend_from_slice(b":61:");
            yymmdd(&mut out, l.value_date);
            push_padded(&mut out, u64::from(l.date.month()), 2);
            push_padded(&mut out, u64::from(l.date.day()), 2);
            out.push(b'C');
            mt940_amount(&mut out, l.amount);
            out.extend_from_slice(b"NTRFNONREF//");
            out.extend_from_slice(&l.reference);
            out.push(b'\n');
            let name = clean(&l.name).replace('?', " ");
            let account = clean(&l.account);
            let remittance = clean(&l.remittance).replace('?', " ");
            if n % 2 == 0 {
                // German DFÜ: GVC 166 (SEPA credit), purpose in ?20..?29,
                // IBAN in ?31, name in ?32/?33.
                let mut v = String::from("166?00SEPA-GUTSCHRIFT");
                for (k, p) in chunks(&remittance, DFUE_SUBFIELD_CHARS)
                    .into_iter()
                    .take(DFUE_PURPOSE_SUBFIELDS)
                    .enumerate()
                {
                    v.push_str(&format!("?{}{p}", 20 + k));
                }
                v.push_str(&format!("?31{account}"));
                let name_parts = chunks(&name, DFUE_SUBFIELD_CHARS);
                for (k, p) in name_parts.into_iter().take(2).enumerate() {
                    v.push_str(&format!("?{}{p}", 32 + k));
                }
                field_86(&mut out, &v);
            } else {
                // ING slash tags: counterparty IBAN, BIC, name, city.
                let v = format!(
                    "/CNTP/{account}/INGBNL2A/{}/AMSTERDAM//REMI/USTD//{}/",
                    name.replace('/', " "),
                    remittance.replace("//", "/")
                );
                field_86(&mut out, &v);
            }
        }
        out.extend_from_slice(b":62F:C");
        yymmdd(&mut out, last);
        out.extend_from_slice(currency.as_bytes());
        mt940_amount(&mut out, sum);
        out.extend_from_slice(b"\n-\n");
    }
    out
}
