//! ISO 20022 camt.052 (account report), camt.053 (statement) and camt.054
//! (debit/credit notification) reader.
//!
//! One pass over the bytes with quick-xml's streaming [`Reader`]: no DOM, no
//! serde, a stack of interned element names, and text buffered only for the
//! leaves that are read. Elements are recognised by their *local* names, so
//! every version 001.01–001.13 and vendor namespaces such as the Austrian
//! Stuzza one read the same; the namespace is only checked to name a camt
//! message at all.
//!
//! What comes out:
//! * one [`Statement`] per `Stmt` / `Rpt` / `Ntfctn`, with its balance check
//!   (opening `OPBD`, else `PRCD`, + Σ booked entries = closing `CLBD`);
//! * one [`StatementTransaction`] per `TxDtls` when the details add up to the
//!   entry, else one per `Ntry`, kept whole with a warning, so an entry and
//!   its details are never both counted (RELIABILITY row 21).
//!
//! Safety (RELIABILITY row 24): a `DOCTYPE` is refused, entity references
//! other than the five predefined ones and character references are
//! refused, and nesting is capped at [`Limits::xml_depth_max`].
//!
//! Several XML documents concatenated in one file are read one after the
//! other; locators of the second and later ones start with `Document[n]/`.
//!
//! [`Limits::xml_depth_max`]: crate::Limits::xml_depth_max
//! [`StatementTransaction`]: crate::StatementTransaction

mod assemble;
mod document;
mod entry;
mod events;
mod tag;
mod values;

use crate::amount::AmountError;
use crate::{
    BalanceCheck, EntryStatus, ErrorKind, Format, Location, ParseError, ParseOptions, ParsedFile,
    ReferredDocument, Source, Statement,
};
use assemble::{
    join_space, BalanceData, BankTxCode, EntryData, EntryMoney, Money, Sign, SignedBalance, Split,
    TxData,
};
use chrono::NaiveDate;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;
use rust_decimal::Decimal;
use tag::Tag;

/// Name used in error messages until the message type is known.
const FORMAT_NAME: &str = "camt";

/// Highest message version published for camt.052/053/054 so far (001.13).
const VERSION_MAX: u32 = 13;

/// Parses a camt.052, camt.053 or camt.054 file.
///
/// The encoding is `options.encoding` when configured, else the one the XML
/// declaration names, else strict UTF-8. A structural problem, a bad amount
/// or date, or a refused XML construct is an `Err` naming the element path
/// and line; a statement whose balances do not add up is an `Ok` with
/// [`BalanceCheck::Fail`].
///
/// ```
/// use cashmatch_parsers::{camt, BalanceCheck, ParseOptions, Source};
/// let xml = r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
///   <Stmt><Id>S1</Id><Acct><Id><IBAN>CH9300762011623852957</IBAN></Id><Ccy>CHF</Ccy></Acct>
///     <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
///     <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></Bal>
///     <Ntry><Amt Ccy="CHF">15</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
///       <AddtlNtryInf>Rent M&amp;S</AddtlNtryInf></Ntry>
///   </Stmt></BkToCstmrStmt></Document>"#;
/// let parsed = camt::parse(&Source::new("s.xml", xml.as_bytes()), &ParseOptions::default()).unwrap();
/// assert_eq!(parsed.statements[0].balance_check, BalanceCheck::Pass);
/// assert_eq!(parsed.transactions[0].amount.to_string(), "-15");
/// assert_eq!(parsed.transactions[0].remittance_info, "Rent M&S");
/// ```
pub fn parse(source: &Source<'_>, options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    if source.bytes.len() as u64 > options.limits.file_bytes_max {
        return Err(ParseError::new(
            source.name,
            Some(FORMAT_NAME),
            Location::Offset(options.limits.file_bytes_max),
            ErrorKind::LimitExceeded,
            format!(
                "file is {} bytes, over the limit of {} bytes (raise `limits.file_bytes_max`)",
                source.bytes.len(),
                options.limits.file_bytes_max
            ),
        ));
    }
    let declared = declared_encoding(source.bytes);
    let label = match options.encoding.as_deref() {
        Some(configured) => Some(configured),
        None => declared.filter(|l| !is_utf8_label(l)),
    };
    if let Some(label) = label.filter(|l| is_utf16_label(l)) {
        // A declaration we could read as ASCII bytes is not UTF-16: decoding
        // it as such would turn the file into CJK noise.
        return Err(ParseError::new(
            source.name,
            Some(FORMAT_NAME),
            Location::Line(1),
            ErrorKind::Encoding,
            format!("declared encoding `{label}` does not match the single-byte declaration itself; UTF-16 camt is not supported"),
        ));
    }
    let (text, encoding) =
        crate::encoding::decode(source.name, Some(FORMAT_NAME), source.bytes, label)?;
    let mut reader = CamtReader::new(source.name, &text, options);
    reader.run()?;
    let mut parsed = reader.out;
    parsed.encoding = encoding.to_string();
    crate::model::complete_details(&mut parsed);
    Ok(parsed)
}

/// The `encoding` pseudo-attribute of a leading XML declaration, read from
/// the raw bytes (the declaration itself is ASCII in every 8-bit charset).
fn declared_encoding(bytes: &[u8]) -> Option<&str> {
    /// A declaration longer than this is not one a bank wrote.
    const DECL_BYTES_MAX: usize = 512;
    let bytes = crate::encoding::strip_bom(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &bytes[start..bytes.len().min(start + DECL_BYTES_MAX)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let decl = &head[..memchr::memmem::find(head, b"?>")?];
    let at = memchr::memmem::find(decl, b"encoding")? + b"encoding".len();
    let rest = decl[at..]
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let quote = *rest.first().filter(|q| **q == b'"' || **q == b'\'')?;
    let value = &rest[1..];
    let end = memchr::memchr(quote, value)?;
    std::str::from_utf8(&value[..end]).ok()
}

fn is_utf16_label(label: &str) -> bool {
    encoding_rs::Encoding::for_label(label.as_bytes())
        .is_some_and(|e| e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE)
}

fn is_utf8_label(label: &str) -> bool {
    label.eq_ignore_ascii_case("utf-8") || label.eq_ignore_ascii_case("utf8")
}

/// The camt message number and version in a namespace URI such as
/// `urn:iso:std:iso:20022:tech:xsd:camt.053.001.08` or the Stuzza
/// `ISO:camt.053.001.02:APC:STUZZA:payments:003`.
fn namespace_version(namespace: &str) -> Option<(u32, u32)> {
    let at = memchr::memmem::find(namespace.as_bytes(), b"camt.05")?;
    let rest = &namespace.as_bytes()[at + "camt.".len()..];
    // "05x.001.NN": message, separator, variant 001, separator, version.
    if rest.len() < 10 || &rest[3..8] != b".001." {
        return None;
    }
    let digits = |b: &[u8]| -> Option<u32> {
        b.iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let message = digits(&rest[..3])?;
    let version = digits(&rest[8..10])?;
    ((52..=54).contains(&message) && (1..=VERSION_MAX).contains(&version))
        .then_some((message, version))
}

/// Per-document state.
struct Document {
    /// 1-based index of the document in the file.
    index: usize,
    message: Option<Tag>,
    statements: usize,
    /// camt message number from the namespace (52, 53, 54), when declared.
    namespace_message: Option<u32>,
    /// Where the message element starts and its path, for errors raised
    /// once it has closed.
    message_pos: usize,
    message_path: String,
}

/// A statement being read.
struct StatementState {
    /// Depth of the `Stmt` element (2 below `Document`, 1 without it).
    depth: usize,
    locator: String,
    line: u64,
    /// Index it will have in [`ParsedFile::statements`].
    index: usize,
    format: Format,
    id: String,
    sequence_electronic: String,
    sequence_legal: String,
    iban: String,
    account_other: String,
    currency: String,
    from_date: Option<NaiveDate>,
    to_date: Option<NaiveDate>,
    balances: Vec<BalanceData>,
    entries: Vec<EntryMoney>,
    /// First entry currency, the last resort for the statement currency.
    first_entry_ccy: String,
    balance_count: usize,
    entry_count: usize,
    /// Entries without `Sts`, reported once per statement.
    entries_without_status: usize,
    /// First index of this statement's transactions in the output.
    tx_start: usize,
}

/// Streaming state of one file.
struct CamtReader<'a, 'o> {
    file: &'a str,
    text: &'a str,
    options: &'o ParseOptions,
    /// Interned names of the open elements, root first.
    tags: Vec<Tag>,
    /// Qualified name and byte offset of each open element.
    frames: Vec<(&'a str, usize)>,
    /// Text of the current leaf (across `Text`, `CData` and `GeneralRef`).
    text_buf: String,
    /// Whether the innermost open element is a leaf whose text is kept.
    capture: bool,
    /// `Ccy` of the innermost `Amt`.
    amount_ccy: String,
    /// Newlines are counted lazily up to `counted_pos`; container starts are
    /// monotonic, so the total cost is one pass.
    counted_pos: usize,
    counted_line: u64,
    documents: usize,
    document: Option<Document>,
    statement: Option<StatementState>,
    balance: Option<(usize, BalanceData)>,
    entry: Option<(usize, EntryData)>,
    detail: Option<(usize, TxData)>,
    out: ParsedFile,
}

impl<'a, 'o> CamtReader<'a, 'o> {
    fn new(file: &'a str, text: &'a str, options: &'o ParseOptions) -> Self {
        CamtReader {
            file,
            text,
            options,
            tags: Vec::with_capacity(32),
            frames: Vec::with_capacity(32),
            text_buf: String::with_capacity(256),
            capture: false,
            amount_ccy: String::new(),
            counted_pos: 0,
            counted_line: 1,
            documents: 0,
            document: None,
            statement: None,
            balance: None,
            entry: None,
            detail: None,
            out: ParsedFile::default(),
        }
    }

    fn run(&mut self) -> Result<(), ParseError> {
        let mut reader = Reader::from_str(self.text);
        loop {
            let pos = reader.buffer_position() as usize;
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => return Err(self.xml_error(reader.error_position() as usize, &e)),
            };
            match event {
                Event::Start(e) => self.start(&e, pos)?,
                Event::Empty(e) => {
                    self.start(&e, pos)?;
                    self.end()?;
                }
                Event::End(_) => self.end()?,
                Event::Text(t) => {
                    if self.capture {
                        let content = t.xml10_content();
                        self.push_text(&content, pos)?;
                    } else if self.tags.is_empty() && !t.trim().is_empty() {
                        return Err(self.error_at_offset(
                            pos,
                            ErrorKind::Structure,
                            "text outside the root element".to_string(),
                        ));
                    }
                }
                Event::CData(c) => {
                    if self.capture {
                        let content = c.xml10_content();
                        self.push_text(&content, pos)?;
                    }
                }
                Event::GeneralRef(r) => self.general_ref(&r, pos)?,
                Event::DocType(_) => {
                    return Err(self.error_at_offset(
                        pos,
                        ErrorKind::ForbiddenXml,
                        "a DOCTYPE is not allowed in camt: DTDs and entity declarations are refused (billion laughs, XXE)"
                            .to_string(),
                    ));
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if let Some(&(name, pos)) = self.frames.last() {
            let depth = self.frames.len() - 1;
            return Err(ParseError::new(
                self.file,
                Some(FORMAT_NAME),
                self.location(depth),
                ErrorKind::Truncated,
                format!(
                    "file ends inside `{name}` opened at line {} ({} element(s) left open): the document is truncated",
                    self.line_of(pos),
                    self.frames.len()
                ),
            ));
        }
        if self.documents == 0 {
            return Err(self.error_at_offset(
                0,
                ErrorKind::Structure,
                "no XML element found".to_string(),
            ));
        }
        Ok(())
    }
}

/// An error about a whole `Ntry`, which has already left the element stack
/// when it is assembled.
fn entry_error(file: &str, entry: &EntryData, kind: ErrorKind, message: String) -> ParseError {
    ParseError::new(
        file,
        Some(FORMAT_NAME),
        Location::Element {
            line: entry.line,
            path: entry.locator.clone(),
        },
        kind,
        message,
    )
}

/// The part of a qualified name after its namespace prefix.
fn local_name(qname: &str) -> &str {
    match memchr::memrchr(b':', qname.as_bytes()) {
        Some(colon) => &qname[colon + 1..],
        None => qname,
    }
}

fn message_format(tag: Tag) -> Format {
    match tag {
        Tag::MsgRpt => Format::Camt052,
        Tag::MsgNtfctn => Format::Camt054,
        _ => Format::Camt053,
    }
}

/// Parses `YYYY-MM-DD`, optionally followed (for a `DtTm`) by `T` and a
/// time that is not looked at, or (for a `Dt`) by a zone designator.
fn parse_date(text: &str, datetime: bool) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    match b.get(10) {
        None if !datetime => {}
        Some(b'T') if datetime => {}
        Some(b'Z' | b'+' | b'-') if !datetime => {}
        _ => return None,
    }
    let num = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let year = i32::try_from(num(&b[..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, num(&b[5..7])?, num(&b[8..10])?)
}

/// The account identifier forms below `Acct`/`DbtrAcct`/`CdtrAcct`: IBAN,
/// `Othr/Id`, and the 001.01 `BBAN`, `UPIC` and `PrtryAcct/Id`.
fn is_account_id(rel: &[Tag]) -> bool {
    matches!(
        rel,
        [Tag::Id, Tag::Iban | Tag::Bban | Tag::Upic]
            | [Tag::Id, Tag::Othr | Tag::PrtryAcct, Tag::Id]
    )
}

/// Which `TxDtls` text field a path below `TxDtls` fills.
#[derive(Debug, Clone, Copy)]
enum DetailField {
    AcctSvcrRef,
    EndToEndId,
    Code,
    DebtorName,
    DebtorAccount,
    CreditorName,
    CreditorAccount,
    Unstructured,
    StructuredRef,
    AdditionalInfo,
    UltimateDebtorName,
    UltimateCreditorName,
    DocumentType,
    DocumentNumber,
    CreditorRefType,
    ReturnReason,
}

fn detail_field(rel: &[Tag]) -> Option<DetailField> {
    use Tag::*;
    Some(match rel {
        [Refs, AcctSvcrRef] => DetailField::AcctSvcrRef,
        [Refs, EndToEndId] => DetailField::EndToEndId,
        [BkTxCd, ..] => DetailField::Code,
        // 001.02-.06 put the name under the party, 001.08+ under `Pty`.
        [RltdPties, Dbtr, Nm] | [RltdPties, Dbtr, Pty, Nm] => DetailField::DebtorName,
        [RltdPties, DbtrAcct, id @ ..] if is_account_id(id) => DetailField::DebtorAccount,
        [RltdPties, Cdtr, Nm] | [RltdPties, Cdtr, Pty, Nm] => DetailField::CreditorName,
        [RltdPties, CdtrAcct, id @ ..] if is_account_id(id) => DetailField::CreditorAccount,
        [RmtInf, Ustrd] => DetailField::Unstructured,
        [RmtInf, Strd, CdtrRefInf, Ref] => DetailField::StructuredRef,
        [RmtInf, Strd, RfrdDocInf, Nb] => DetailField::DocumentNumber,
        [RmtInf, Strd, RfrdDocInf, Tp, CdOrPrtry, Cd | Prtry] => DetailField::DocumentType,
        [RmtInf, Strd, CdtrRefInf, Tp, CdOrPrtry, Cd | Prtry] => DetailField::CreditorRefType,
        [AddtlTxInf] => DetailField::AdditionalInfo,
        [RltdPties, UltmtDbtr, Nm] | [RltdPties, UltmtDbtr, Pty, Nm] => {
            DetailField::UltimateDebtorName
        }
        [RltdPties, UltmtCdtr, Nm] | [RltdPties, UltmtCdtr, Pty, Nm] => {
            DetailField::UltimateCreditorName
        }
        [RtrInf, Rsn, Cd | Prtry] => DetailField::ReturnReason,
        _ => return None,
    })
}

fn store_detail_field(d: &mut TxData, field: DetailField, rel: &[Tag], value: String) {
    match field {
        DetailField::AcctSvcrRef => d.acct_svcr_ref = value,
        DetailField::EndToEndId => d.end_to_end_id = value,
        DetailField::Code => bank_tx_code(&mut d.code, &rel[1..], value),
        DetailField::DebtorName => d.debtor_name = value,
        DetailField::DebtorAccount => d.debtor_account = value,
        DetailField::CreditorName => d.creditor_name = value,
        DetailField::CreditorAccount => d.creditor_account = value,
        DetailField::Unstructured => join_space(&mut d.unstructured, &value),
        DetailField::StructuredRef => {
            if !value.is_empty() {
                d.structured_refs.push(value.clone());
                let kind = std::mem::take(&mut d.pending_ref_type);
                d.documents.push(ReferredDocument {
                    number: value,
                    kind: if kind.is_empty() { "SCOR".into() } else { kind },
                    amount: None,
                });
            }
        }
        DetailField::DocumentNumber => {
            if !value.is_empty() {
                d.structured_refs.push(value.clone());
                // `Tp` comes before `Nb` inside one `RfrdDocInf`.
                let kind = std::mem::take(&mut d.pending_doc_type);
                d.documents.push(ReferredDocument {
                    number: value,
                    kind,
                    amount: None,
                });
                d.open_document = Some(d.documents.len() - 1);
            }
        }
        DetailField::DocumentType => d.pending_doc_type = value,
        DetailField::CreditorRefType => d.pending_ref_type = value,
        DetailField::AdditionalInfo => join_space(&mut d.additional_info, &value),
        DetailField::UltimateDebtorName => d.ultimate_debtor = value,
        DetailField::UltimateCreditorName => d.ultimate_creditor = value,
        DetailField::ReturnReason => {
            d.returned = true;
            d.return_reason = value;
        }
    }
}

/// Stores one leaf below `BkTxCd` (path given without `BkTxCd`).
fn bank_tx_code(code: &mut BankTxCode, rel: &[Tag], value: String) {
    match rel {
        [Tag::Domn, Tag::Cd] => code.domain = value,
        [Tag::Domn, Tag::Fmly, Tag::Cd] => code.family = value,
        [Tag::Domn, Tag::Fmly, Tag::SubFmlyCd] => code.sub_family = value,
        [Tag::Prtry, Tag::Cd] => code.proprietary = value,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces() {
        assert_eq!(
            namespace_version("urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"),
            Some((53, 8))
        );
        assert_eq!(
            namespace_version("ISO:camt.053.001.02:APC:STUZZA:payments:003"),
            Some((53, 2))
        );
        assert_eq!(
            namespace_version("urn:iso:std:iso:20022:tech:xsd:camt.052.001.13"),
            Some((52, 13))
        );
        assert_eq!(
            namespace_version("urn:iso:std:iso:20022:tech:xsd:camt.053.001.14"),
            None
        );
        assert_eq!(
            namespace_version("urn:iso:std:iso:20022:tech:xsd:camt.056.001.08"),
            None
        );
        assert_eq!(namespace_version("urn:weird-namespace"), None);
    }

    #[test]
    fn declared_encodings() {
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>"),
            Some("ISO-8859-1")
        );
        assert_eq!(
            declared_encoding(b"\xEF\xBB\xBF <?xml version='1.0' encoding = 'utf-8'?>"),
            Some("utf-8")
        );
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\"?><Document/>"),
            None
        );
        assert_eq!(declared_encoding(b"<Document/>"), None);
    }

    #[test]
    fn dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("2014-01-05", false), d(2014, 1, 5));
        assert_eq!(parse_date("2014-01-04T23:00:00.000Z", true), d(2014, 1, 4));
        assert_eq!(parse_date("2019-08-09T11:17:11:735", true), d(2019, 8, 9));
        assert_eq!(parse_date("2014-02-30", false), None);
        assert_eq!(parse_date("2014-01-05T10:00:00", false), None);
        assert_eq!(parse_date("05.01.2014", false), None);
        assert_eq!(parse_date("2014-01-05", true), None);
    }
}
