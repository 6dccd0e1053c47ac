//! SWIFT MT940 (customer statement) and MT942 (interim report) reader.
//!
//! One pass over the decoded text, line by line (found with `memchr`). A
//! message starts at `:20:` and ends at a `-` terminator, a SWIFT block or the
//! next `:20:`; everything between messages (SWIFT envelopes `{1:..}{2:..}{4:`,
//! bank header lines such as `ABNANL2A/940/ABNANL2A` or `940 00`, a SOH byte)
//! is envelope noise. Inside a message a field runs from its `:NN[A]:` tag
//! line up to the next tag line, so wrapped values are collected first and
//! interpreted once complete.
//!
//! Each message becomes one [`Statement`] whose own check is computed here:
//! `:60x: + Σ :61: = :62x:` for MT940, the `:90D:`/`:90C:` counts and sums for
//! MT942, and ING's statement-level `:86:/SUM/` when present. A message that
//! ends without a closing balance (a truncated file) fails its check and adds
//! a warning, so it is never silently accepted.
//!
//! `:86:` has no single grammar; the dialects recognised are, in order:
//! German DFÜ subfields (`?20`, Triodos `>20`, BRD `+20`), slash tags
//! (`/EREF/`, `/CNTP/`, `/REMI/`, ...), the line-per-field layout of
//! Komercijalna Banka (`/BENM/acct` + name + purpose lines), the
//! `IBAN name` first line of SNS/ASN, Penta's colon-separated records, and
//! free text. Whatever the dialect, nothing is dropped silently: text that no
//! dialect claims stays in `remittance_info`.

use crate::amount::AmountError;
use crate::{
    amount, encoding, BalanceCheck, EntryStatus, ErrorKind, Format, Location, ParseError,
    ParseOptions, ParsedFile, Source, Statement, StatementTransaction, TransactionDetails,
};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

mod details;
mod field61;
mod lines;
mod reader;

use details::*;
use field61::*;
use lines::*;
use reader::*;

/// Name used in error messages.
const FORMAT_NAME: &str = "MT940";

/// SWIFT lines hold at most 65 characters; a line that long ending in a
/// non-blank character was hard-wrapped by the bank, possibly mid-word.
const SWIFT_LINE_CHARS_MAX: usize = 65;

/// Width of the `:86:` tag that precedes the first line of its value.
const TAG_86_CHARS: usize = 4;

/// DFÜ (German) purpose and name subfields hold 27 characters; a full
/// subfield continues in the next one without a space.
const DFUE_SUBFIELD_CHARS: usize = 27;

/// The entry date (MMDD) of `:61:` is within about six months of the value
/// date; the year is the one that puts it there (31 Dec value, 2 Jan entry).
const ENTRY_DATE_WINDOW_DAYS: i64 = 184;

/// `:61:` bank reference (`//16x`) length per the SWIFT field format.
const BANK_REF_CHARS_MAX: usize = 16;

/// Customer references that only say "see :86:" or "none".
const NON_REFERENCES: [&str; 4] = ["NONREF", "EREF", "PREF", "NOTPROVIDED"];

/// Slash tags recognised inside `:86:`; other `/XX/` sequences are text.
/// `USTD`, `STRD` and `CUR` are sub-fields of `/REMI/`, so they are absent.
const SLASH_TAGS: [&str; 28] = [
    "EREF", "PREF", "IREF", "KREF", "MARF", "CSID", "CNTP", "REMI", "RTRN", "TRTP", "IBAN", "BIC",
    "NAME", "ADDR", "ORDP", "BENM", "ULTC", "ULTD", "ULTB", "ISDT", "PURP", "SUM", "OCMT", "CHGS",
    "EXCH", "OGB", "OSDR", "BUSP",
];

/// SEPA keywords inside DFÜ purpose subfields (`EREF+...SVWZ+...`).
const SEPA_KEYWORDS: [&str; 13] = [
    "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "COAM+", "OAMT+",
    "IBAN+", "BIC+", "BREF+",
];

/// Parses an MT940 or MT942 file. `source_file` is left for the caller.
pub fn parse(source: &Source<'_>, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    let (text, encoding_name) = encoding::decode(
        source.name,
        Some(FORMAT_NAME),
        source.bytes,
        options.encoding.as_deref(),
    )?;
    let mut reader = Reader::new(source.name, options);
    reader.read(&text)?;
    let mut parsed = reader.finish(&text)?;
    parsed.encoding = encoding_name.to_string();
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_of_61() {
        let e = parse_61("1003190319CR27,00NTRF100323-03-100323//32-P1-TCS49518").unwrap();
        assert_eq!(
            (e.mark, e.funds_code, e.amount, e.tx_type),
            ("C", Some('R'), "27,00", "NTRF")
        );
        assert_eq!(
            (e.customer_ref, e.bank_ref),
            ("100323-03-100323", "32-P1-TCS49518")
        );
        let e = parse_61("240312    DD212,39NMSCNONREF//").unwrap();
        assert_eq!(
            (e.entry_date, e.mark, e.funds_code, e.bank_ref),
            (None, "D", Some('D'), "")
        );
        let e = parse_61("2011301130CN220000,00//19239782213").unwrap();
        assert_eq!(
            (e.tx_type, e.customer_ref, e.bank_ref),
            ("", "", "19239782213")
        );
        let e = parse_61("2009020902D20,00NONREF").unwrap();
        assert_eq!((e.tx_type, e.customer_ref), ("", "NONREF"));
        let e = parse_61("1710111011DF2402,00S   X").unwrap();
        assert_eq!(
            (e.funds_code, e.tx_type, e.customer_ref),
            (Some('F'), "S   ", "X")
        );
        let e = parse_61("180417CF2066637,00N527").unwrap();
        assert_eq!(
            (e.entry_date, e.tx_type, e.customer_ref),
            (None, "N527", "")
        );
        let e = parse_61("1407290729C500NTRF29-07-2014 10:05//B4G29PGDCK1QFV3E").unwrap();
        assert_eq!((e.amount, e.customer_ref), ("500", "29-07-2014 10:05"));
        let e = parse_61("0211011102RDR800,NSTONONREF//55555").unwrap();
        assert_eq!((e.mark, e.funds_code, e.amount), ("RD", Some('R'), "800,"));
        assert!(parse_61("1401200220X1,00NTRF").is_err());
        assert!(parse_61("14012").is_err());
        assert!(parse_61("1401200220C,50NTRF").is_err());
    }

    #[test]
    fn entry_year_follows_value_date() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            infer_entry_date(d(2014, 12, 31), "0102"),
            Some(d(2015, 1, 2))
        );
        assert_eq!(
            infer_entry_date(d(2015, 1, 1), "1228"),
            Some(d(2014, 12, 28))
        );
        assert_eq!(
            infer_entry_date(d(2023, 12, 30), "0229"),
            Some(d(2024, 2, 29))
        );
        assert_eq!(infer_entry_date(d(2021, 6, 1), "0229"), None);
        assert_eq!(infer_entry_date(d(2021, 6, 1), "0230"), None);
    }

    #[test]
    fn wrap_rule() {
        let full = "X".repeat(65);
        assert_eq!(join_wrapped(&[&full, "YZ"], 0), format!("{full}YZ"));
        assert_eq!(
            join_wrapped(&[&full[1..], "YZ"], 0),
            format!("{} YZ", &full[1..])
        );
        assert_eq!(
            join_wrapped(&[&full[4..], "YZ"], 4),
            format!("{}YZ", &full[4..]),
            "65 with the tag"
        );
        assert_eq!(
            join_wrapped(&[&full[1..], "YZ"], 4),
            format!("{} YZ", &full[1..]),
            "ABN AMRO columns"
        );
        assert_eq!(
            join_wrapped(&["x", &full[1..], "YZ"], 4),
            format!("x {} YZ", &full[1..])
        );
        assert_eq!(
            join_wrapped(&["short", "", "   ", "next  "], 4),
            "short next"
        );
        assert_eq!(
            join_wrapped(&["EXAMPLESTRASSE", " 10"], 4),
            "EXAMPLESTRASSE 10"
        );
    }

    #[test]
    fn slash_tag_split() {
        let t = slash_tags(
            "/EREF/E1//CNTP/NL32INGB0000012345/INGBNL2A/J.Janssen///REMI/USTD//Text 1/2/",
        );
        assert_eq!(
            t,
            vec![
                ("EREF", "E1"),
                ("CNTP", "NL32INGB0000012345/INGBNL2A/J.Janssen/"),
                ("REMI", "USTD//Text 1/2")
            ]
        );
    }
}
