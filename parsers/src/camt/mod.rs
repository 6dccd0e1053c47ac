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
mod tag;

use crate::amount::AmountError;
use crate::{
    BalanceCheck, EntryStatus, ErrorKind, Format, Location, ParseError, ParseOptions, ParsedFile,
    Source, Statement,
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

    // ----- events -------------------------------------------------------

    fn start(&mut self, e: &BytesStart<'_>, pos: usize) -> Result<(), ParseError> {
        let depth = self.tags.len();
        if depth >= self.options.limits.xml_depth_max {
            return Err(self.error_at_offset(
                pos,
                ErrorKind::LimitExceeded,
                format!(
                    "XML nesting deeper than {} elements (limit `xml_depth_max`); camt nests about 12 deep",
                    self.options.limits.xml_depth_max
                ),
            ));
        }
        // The qualified name borrowed from the input itself (it follows `<`),
        // so the element stack never allocates.
        let qname_len = e.name().as_ref().len();
        let qname = self
            .text
            .get(pos + 1..pos + 1 + qname_len)
            .unwrap_or_default();
        let local = local_name(qname);
        let tag = Tag::from_local(local);
        let parent = self.tags.last().copied();
        self.tags.push(tag);
        self.frames.push((qname, pos));
        self.capture = tag.is_leaf();
        self.text_buf.clear();

        if depth == 0 {
            self.start_document(e, tag, qname, pos)?;
        } else if tag.is_message() && parent == Some(Tag::Document) && depth == 1 {
            self.check_namespace(e, qname, depth)?;
            self.start_message(tag, depth)?;
        } else if tag.is_statement() && parent.is_some_and(Tag::is_message) {
            self.start_statement(local, pos, depth)?;
        } else if self.statement.is_some() {
            let under_statement = parent.is_some_and(Tag::is_statement);
            match tag {
                Tag::Bal if under_statement && self.balance.is_none() => {
                    let line = self.line_at(pos);
                    if let Some(s) = self.statement.as_mut() {
                        s.balance_count += 1;
                        let locator = format!("{}/Bal[{}]", s.locator, s.balance_count);
                        self.balance = Some((
                            depth,
                            BalanceData {
                                locator,
                                line,
                                ..BalanceData::default()
                            },
                        ));
                    }
                }
                Tag::Ntry if under_statement && self.entry.is_none() => {
                    let line = self.line_at(pos);
                    if let Some(s) = self.statement.as_mut() {
                        s.entry_count += 1;
                        let locator = format!("{}/Ntry[{}]", s.locator, s.entry_count);
                        self.entry = Some((
                            depth,
                            EntryData {
                                locator,
                                line,
                                ..EntryData::default()
                            },
                        ));
                    }
                }
                Tag::TxDtls
                    if parent == Some(Tag::NtryDtls)
                        && self.detail.is_none()
                        && self.entry.as_ref().is_some_and(|(d, _)| *d + 2 == depth) =>
                {
                    let line = self.line_at(pos);
                    if let Some((_, entry)) = self.entry.as_ref() {
                        let locator = format!(
                            "{}/NtryDtls/TxDtls[{}]",
                            entry.locator,
                            entry.details.len() + 1
                        );
                        self.detail = Some((
                            depth,
                            TxData {
                                locator,
                                line,
                                ..TxData::default()
                            },
                        ));
                    }
                }
                Tag::Amt => self.read_currency(e, depth)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), ParseError> {
        let Some(depth) = self.tags.len().checked_sub(1) else {
            return Ok(());
        };
        if self.capture {
            self.leaf(depth)?;
        }
        self.capture = false;
        let tag = self.tags[depth];
        if self.detail.as_ref().is_some_and(|(d, _)| *d == depth) {
            if let (Some((_, detail)), Some((_, entry))) = (self.detail.take(), self.entry.as_mut())
            {
                entry.details.push(detail);
            }
        } else if self.entry.as_ref().is_some_and(|(d, _)| *d == depth) {
            if let Some((_, entry)) = self.entry.take() {
                self.finish_entry(entry)?;
            }
        } else if self.balance.as_ref().is_some_and(|(d, _)| *d == depth) {
            if let Some((_, balance)) = self.balance.take() {
                if let Some(statement) = self.statement.as_mut() {
                    statement.balances.push(balance);
                }
            }
        } else if tag.is_statement() && self.statement.as_ref().is_some_and(|s| s.depth == depth) {
            self.finish_statement()?;
        } else if depth == 0 {
            self.finish_document()?;
        }
        self.tags.pop();
        self.frames.pop();
        Ok(())
    }

    fn push_text(&mut self, text: &str, pos: usize) -> Result<(), ParseError> {
        if self.text_buf.len() + text.len() > self.options.limits.line_bytes_max {
            return Err(self.error_at_offset(
                pos,
                ErrorKind::LimitExceeded,
                format!(
                    "element text longer than {} bytes (limit `line_bytes_max`)",
                    self.options.limits.line_bytes_max
                ),
            ));
        }
        self.text_buf.push_str(text);
        Ok(())
    }

    /// Resolves `&...;`. Only the five predefined entities and character
    /// references exist without a DTD, and a DTD is refused, so anything
    /// else is an attempt to use an entity we will not expand.
    fn general_ref(&mut self, r: &BytesRef<'_>, pos: usize) -> Result<(), ParseError> {
        let c = if r.is_char_ref() {
            match r.resolve_char_ref() {
                Ok(Some(c)) => c,
                _ => {
                    return Err(self.error_at_offset(
                        pos,
                        ErrorKind::Structure,
                        format!("invalid character reference `&{};`", &**r),
                    ));
                }
            }
        } else {
            match &**r {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "apos" => '\'',
                "quot" => '"',
                name => {
                    return Err(self.error_at_offset(
                        pos,
                        ErrorKind::ForbiddenXml,
                        format!(
                            "entity reference `&{name};` is not allowed: only the five predefined XML entities and character references are accepted"
                        ),
                    ));
                }
            }
        };
        if self.capture {
            let mut utf8 = [0u8; 4];
            let s: &str = c.encode_utf8(&mut utf8);
            self.push_text(s, pos)?;
        }
        Ok(())
    }

    // ----- document and message -----------------------------------------

    fn start_document(
        &mut self,
        e: &BytesStart<'_>,
        tag: Tag,
        qname: &str,
        pos: usize,
    ) -> Result<(), ParseError> {
        if tag != Tag::Document && !tag.is_message() {
            return Err(self.error_at_offset(
                pos,
                ErrorKind::Structure,
                format!("root element `{qname}` is not a camt `Document`"),
            ));
        }
        self.documents += 1;
        self.document = Some(Document {
            index: self.documents,
            message: None,
            statements: 0,
            namespace_message: None,
            message_pos: pos,
            message_path: String::new(),
        });
        self.check_namespace(e, qname, 0)?;
        if tag.is_message() {
            self.start_message(tag, 0)?;
        }
        Ok(())
    }

    /// Requires that a declared namespace names a camt.052/053/054 version
    /// (RELIABILITY row 20); elements are still matched by local name.
    fn check_namespace(
        &mut self,
        e: &BytesStart<'_>,
        qname: &str,
        depth: usize,
    ) -> Result<(), ParseError> {
        let prefix = qname.rsplit_once(':').map(|(p, _)| p);
        let mut namespace = None;
        for attr in e.attributes() {
            let attr = attr.map_err(|err| {
                self.error_at(
                    depth,
                    ErrorKind::Structure,
                    format!("malformed attribute on `{qname}`: {err}"),
                )
            })?;
            let key = attr.key.as_ref();
            let binds = match prefix {
                None => key == "xmlns",
                Some(p) => key.strip_prefix("xmlns:") == Some(p),
            };
            if binds {
                namespace = Some(attr.value.into_owned());
            }
        }
        let Some(namespace) = namespace else {
            if depth == 0 {
                let line = self.line_of(self.frames[depth].1);
                self.out.warnings.push(format!(
                    "line {line} `{qname}`: no namespace declared; elements read by their local names"
                ));
            }
            return Ok(());
        };
        match namespace_version(&namespace) {
            Some((message, _version)) => {
                if let Some(doc) = self.document.as_mut() {
                    doc.namespace_message = Some(message);
                }
                Ok(())
            }
            None => Err(self.error_at(
                depth,
                ErrorKind::UnknownFormat,
                format!(
                    "unsupported namespace `{namespace}`: expected a camt.052, camt.053 or camt.054 namespace, version 001.01 to 001.{VERSION_MAX:02}"
                ),
            )),
        }
    }

    fn start_message(&mut self, tag: Tag, depth: usize) -> Result<(), ParseError> {
        let format = message_format(tag);
        let path = self.path(depth);
        let pos = self.frames[depth].1;
        let Some(doc) = self.document.as_mut() else {
            return Ok(());
        };
        doc.message = Some(tag);
        doc.message_pos = pos;
        doc.message_path = path;
        let expected = match format {
            Format::Camt052 => 52,
            Format::Camt053 => 53,
            _ => 54,
        };
        let mismatch = doc.namespace_message.filter(|m| *m != expected);
        let previous = self.out.format;
        if previous.is_none() {
            self.out.format = Some(format);
        }
        let line = self.line_of(self.frames[depth].1);
        let name = self.frames[depth].0;
        if let Some(m) = mismatch {
            self.out.warnings.push(format!(
                "line {line} `{name}`: namespace says camt.0{m} but the message is {}",
                format.as_str()
            ));
        }
        if previous.is_some_and(|p| p != format) {
            self.out.warnings.push(format!(
                "line {line} `{name}`: a {} message follows another message type",
                format.as_str()
            ));
        }
        Ok(())
    }

    fn finish_document(&mut self) -> Result<(), ParseError> {
        let Some(doc) = self.document.take() else {
            return Ok(());
        };
        let Some(message) = doc.message else {
            return Err(self.error_at(
                0,
                ErrorKind::Structure,
                "no camt message (`BkToCstmrStmt`, `BkToCstmrAcctRpt` or `BkToCstmrDbtCdtNtfctn`) in `Document`"
                    .to_string(),
            ));
        };
        if doc.statements == 0 {
            // A message with no statement carries no account, balance or
            // entry: it is a broken export, not an empty day (an empty day is
            // a `Stmt` without `Ntry`), so the file is rejected rather than
            // ingested as nothing (genkgo-camt053.v2.wrong.xml).
            let (message_name, child) = match message {
                Tag::MsgStmt => ("BkToCstmrStmt", "Stmt"),
                Tag::MsgRpt => ("BkToCstmrAcctRpt", "Rpt"),
                _ => ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
            };
            return Err(ParseError::new(
                self.file,
                Some(FORMAT_NAME),
                Location::Element {
                    line: self.line_of(doc.message_pos),
                    path: doc.message_path,
                },
                ErrorKind::MissingField,
                format!(
                    "`{message_name}` holds no `{child}`: a camt message carries at least one statement (document {})",
                    doc.index
                ),
            ));
        }
        Ok(())
    }

    // ----- statement ----------------------------------------------------

    fn start_statement(
        &mut self,
        local: &'a str,
        pos: usize,
        depth: usize,
    ) -> Result<(), ParseError> {
        let line = self.line_at(pos);
        let Some(doc) = self.document.as_mut() else {
            return Ok(());
        };
        doc.statements += 1;
        let locator = if doc.index == 1 {
            format!("{local}[{}]", doc.statements)
        } else {
            format!("Document[{}]/{local}[{}]", doc.index, doc.statements)
        };
        let format = message_format(doc.message.unwrap_or(Tag::MsgStmt));
        self.statement = Some(StatementState {
            depth,
            locator,
            line,
            index: self.out.statements.len(),
            format,
            id: String::new(),
            sequence_electronic: String::new(),
            sequence_legal: String::new(),
            iban: String::new(),
            account_other: String::new(),
            currency: String::new(),
            from_date: None,
            to_date: None,
            balances: Vec::new(),
            entries: Vec::new(),
            first_entry_ccy: String::new(),
            balance_count: 0,
            entry_count: 0,
            entries_without_status: 0,
            tx_start: self.out.transactions.len(),
        });
        Ok(())
    }

    fn finish_statement(&mut self) -> Result<(), ParseError> {
        let Some(s) = self.statement.take() else {
            return Ok(());
        };
        let account = if s.iban.is_empty() {
            s.account_other.clone()
        } else {
            s.iban.clone()
        };
        let currency = if !s.currency.is_empty() {
            s.currency.clone()
        } else if let Some(b) = s.balances.iter().find_map(|b| b.amount.as_ref()) {
            b.ccy.clone()
        } else {
            s.first_entry_ccy.clone()
        };
        let warn_at =
            |line: u64, locator: &str, msg: String| format!("line {line} `{locator}`: {msg}");

        // Balances: sign from CdtDbtInd, DBIT negative.
        let mut opening_booked = None;
        let mut previous_closing = None;
        let mut closing = None;
        for b in &s.balances {
            let Some(amount) = &b.amount else {
                self.out.warnings.push(warn_at(
                    b.line,
                    &b.locator,
                    format!("balance `{}` without `Amt` ignored", b.code),
                ));
                continue;
            };
            let sign = b.sign.unwrap_or_else(|| {
                // Schema-invalid but real (LT central bank): an unsigned
                // balance reads as a credit balance.
                self.out.warnings.push(warn_at(
                    b.line,
                    &b.locator,
                    "balance without `CdtDbtInd` read as CRDT".to_string(),
                ));
                Sign::Credit
            });
            let signed = SignedBalance {
                code: b.code.clone(),
                value: sign.apply(amount.value),
                ccy: amount.ccy.clone(),
            };
            let slot = match b.code.as_str() {
                "OPBD" => &mut opening_booked,
                "PRCD" => &mut previous_closing,
                "CLBD" => &mut closing,
                _ => continue,
            };
            if slot.is_none() {
                if !currency.is_empty() && signed.ccy != currency {
                    self.out.warnings.push(warn_at(
                        b.line,
                        &b.locator,
                        format!("{} in {} on a {currency} account", b.code, signed.ccy),
                    ));
                }
                *slot = Some(signed);
            }
        }
        let opening = opening_booked.or(previous_closing);

        // Booked entries in the account currency.
        let mut entries_sum = Decimal::ZERO;
        for m in s.entries.iter().filter(|m| m.booked) {
            let value = if currency.is_empty() || m.amount.ccy == currency {
                m.amount.value
            } else if let Some((alt, element)) =
                m.alternatives.iter().find(|(alt, _)| alt.ccy == currency)
            {
                self.out.warnings.push(warn_at(
                    m.line,
                    &m.locator,
                    format!(
                        "entry in {} on a {currency} account; balance check uses {element} {} {currency}",
                        m.amount.ccy, alt.value
                    ),
                ));
                alt.value
            } else {
                self.out.warnings.push(warn_at(
                    m.line,
                    &m.locator,
                    format!("entry in {} on a {currency} account and no amount in {currency}; entry amount used", m.amount.ccy),
                ));
                m.amount.value
            };
            entries_sum = entries_sum
                .checked_add(m.sign.apply(value))
                .ok_or_else(|| {
                    ParseError::new(
                        self.file,
                        Some(FORMAT_NAME),
                        Location::Element {
                            line: m.line,
                            path: m.locator.clone(),
                        },
                        ErrorKind::InvalidAmount,
                        "sum of entries overflows".to_string(),
                    )
                })?;
        }
        if s.entries_without_status > 0 {
            self.out.warnings.push(warn_at(
                s.line,
                &s.locator,
                format!(
                    "{} `Ntry` without `Sts` read as booked",
                    s.entries_without_status
                ),
            ));
        }
        let outcome = assemble::balance_check(opening.as_ref(), closing.as_ref(), entries_sum);
        for tx in &mut self.out.transactions[s.tx_start..] {
            tx.account.clone_from(&account);
        }
        let statement = Statement {
            format: Some(s.format),
            statement_id: s.id,
            sequence: if s.sequence_electronic.is_empty() {
                s.sequence_legal
            } else {
                s.sequence_electronic
            },
            account,
            currency,
            from_date: s.from_date,
            to_date: s.to_date,
            opening_balance: opening.map(|b| b.value),
            closing_balance: closing.map(|b| b.value),
            entries_sum,
            entries: (self.out.transactions.len() - s.tx_start) as u64,
            balance_check: outcome.check,
            check_detail: outcome.detail,
            source_line: s.line,
        };
        debug_assert_eq!(s.index, self.out.statements.len());
        debug_assert!(
            statement.balance_check != BalanceCheck::Pass || statement.check_detail.is_empty()
        );
        self.out.statements.push(statement);
        Ok(())
    }

    // ----- entry --------------------------------------------------------

    /// Turns a finished `Ntry` into transactions and records its money for
    /// the balance check.
    fn finish_entry(&mut self, entry: EntryData) -> Result<(), ParseError> {
        let status = match assemble::entry_status(&entry.status) {
            Some(s) => s,
            None => {
                self.out.warnings.push(format!(
                    "line {} `{}`: unknown `Sts` `{}` read as informational (does not move the balance)",
                    entry.line, entry.locator, entry.status
                ));
                EntryStatus::Info
            }
        };
        if entry.status.is_empty() {
            if let Some(s) = self.statement.as_mut() {
                s.entries_without_status += 1;
            }
        }
        let Some(sign) = entry.sign else {
            return Err(entry_error(
                self.file,
                &entry,
                ErrorKind::MissingField,
                "`Ntry` without `CdtDbtInd`: the direction of the money is unknown".to_string(),
            ));
        };
        let Some(amount) = entry.amount.clone() else {
            return self.entry_without_amount(entry, sign, status);
        };
        if let Some(s) = self.statement.as_mut() {
            if s.first_entry_ccy.is_empty() {
                s.first_entry_ccy.clone_from(&amount.ccy);
            }
            s.entries.push(EntryMoney {
                locator: entry.locator.clone(),
                line: entry.line,
                booked: status == EntryStatus::Booked,
                sign,
                amount: amount.clone(),
                alternatives: entry
                    .amount_details()
                    .into_iter()
                    .filter_map(|(m, element)| m.map(|m| (m.clone(), element)))
                    .collect(),
            });
        }
        match assemble::plan_split(&entry, &amount, sign) {
            Split::EntryOnly => {
                self.push_tx(assemble::transaction(&entry, None, sign, &amount, status))?
            }
            Split::SingleDetail => {
                self.push_tx(assemble::transaction(
                    &entry,
                    entry.details.first(),
                    sign,
                    &amount,
                    status,
                ))?;
            }
            Split::PerDetail => {
                for detail in &entry.details {
                    let money = detail
                        .stated_amount()
                        .cloned()
                        .unwrap_or_else(|| amount.clone());
                    let tx = assemble::transaction(
                        &entry,
                        Some(detail),
                        detail.sign.unwrap_or(sign),
                        &money,
                        status,
                    );
                    self.push_tx(tx)?;
                }
            }
            Split::Whole => {
                self.out.warnings.push(format!(
                    "line {} `{}/NtryDtls`: {}, entry `Amt` is {} {}; entry kept whole as one transaction",
                    entry.line,
                    entry.locator,
                    assemble::describe_details(&entry.details, sign),
                    sign.apply(amount.value),
                    amount.ccy
                ));
                let merged = assemble::merge_details(&entry);
                let mut tx = assemble::transaction(&entry, Some(&merged), sign, &amount, status);
                tx.locator.clone_from(&entry.locator);
                tx.source_line = entry.line;
                self.push_tx(tx)?;
            }
        }
        Ok(())
    }

    /// An `Ntry` without `Amt` (schema-invalid; OCA wrong-amount sample).
    /// When every `TxDtls` states an amount, those are reported as
    /// transactions but the entry stays out of the balance check: the bank
    /// did not say what it booked, so a reconstructed figure must not make
    /// the check pass. Without detail amounts there is no money to report.
    fn entry_without_amount(
        &mut self,
        entry: EntryData,
        sign: Sign,
        status: EntryStatus,
    ) -> Result<(), ParseError> {
        if entry.details.is_empty() || entry.details.iter().any(|d| d.stated_amount().is_none()) {
            return Err(entry_error(
                self.file,
                &entry,
                ErrorKind::MissingField,
                "`Ntry` without `Amt`, and no `TxDtls` amount to stand for it".to_string(),
            ));
        }
        self.out.warnings.push(format!(
            "line {} `{}`: `Ntry` without `Amt`; transactions taken from `TxDtls` amounts and the entry left out of the balance check",
            entry.line, entry.locator
        ));
        for detail in &entry.details {
            if let Some(money) = detail.stated_amount() {
                let tx = assemble::transaction(
                    &entry,
                    Some(detail),
                    detail.sign.unwrap_or(sign),
                    money,
                    status,
                );
                self.push_tx(tx)?;
            }
        }
        Ok(())
    }

    fn push_tx(&mut self, mut tx: crate::StatementTransaction) -> Result<(), ParseError> {
        if self.out.transactions.len() as u64 >= self.options.limits.records_max {
            return Err(ParseError::new(
                self.file,
                Some(FORMAT_NAME),
                Location::Element {
                    line: tx.source_line,
                    path: tx.locator,
                },
                ErrorKind::LimitExceeded,
                format!(
                    "more than {} transactions (limit `records_max`)",
                    self.options.limits.records_max
                ),
            ));
        }
        tx.statement_index = self.statement.as_ref().map_or(0, |s| s.index);
        self.out.transactions.push(tx);
        Ok(())
    }

    // ----- leaves -------------------------------------------------------

    /// Stores the text of the leaf at `depth` in whichever container it
    /// belongs to, chosen by its path below that container.
    fn leaf(&mut self, depth: usize) -> Result<(), ParseError> {
        if self.statement.is_none() {
            return Ok(());
        }
        if let Some(container) = self.detail.as_ref().map(|(d, _)| *d) {
            return self.detail_leaf(depth, container);
        }
        if let Some(container) = self.entry.as_ref().map(|(d, _)| *d) {
            return self.entry_leaf(depth, container);
        }
        if let Some(container) = self.balance.as_ref().map(|(d, _)| *d) {
            return self.balance_leaf(depth, container);
        }
        self.statement_leaf(depth)
    }

    fn statement_leaf(&mut self, depth: usize) -> Result<(), ParseError> {
        let Some(start) = self.statement.as_ref().map(|s| s.depth + 1) else {
            return Ok(());
        };
        let Some(rel) = self.tags.get(start..=depth) else {
            return Ok(());
        };
        let value = self.text_buf.trim();
        let Some(s) = self.statement.as_mut() else {
            return Ok(());
        };
        match rel {
            [Tag::Id] => s.id = value.to_string(),
            [Tag::ElctrncSeqNb] => s.sequence_electronic = value.to_string(),
            [Tag::LglSeqNb] => s.sequence_legal = value.to_string(),
            [Tag::Acct, Tag::Id, Tag::Iban] => s.iban = value.to_string(),
            [Tag::Acct, id @ ..] if is_account_id(id) => s.account_other = value.to_string(),
            [Tag::Acct, Tag::Ccy] => s.currency = value.to_string(),
            [Tag::FrToDt, Tag::FrDtTm] => {
                let date = self.date(depth, true)?;
                if let Some(s) = self.statement.as_mut() {
                    s.from_date = Some(date);
                }
            }
            [Tag::FrToDt, Tag::ToDtTm] => {
                let date = self.date(depth, true)?;
                if let Some(s) = self.statement.as_mut() {
                    s.to_date = Some(date);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn balance_leaf(&mut self, depth: usize, container: usize) -> Result<(), ParseError> {
        let rel = &self.tags[container + 1..=depth];
        match rel {
            [Tag::Tp, Tag::CdOrPrtry, Tag::Cd | Tag::Prtry] => {
                let value = self.text_buf.trim().to_string();
                if let Some((_, b)) = self.balance.as_mut() {
                    if b.code.is_empty() {
                        b.code = value;
                    }
                }
            }
            [Tag::Amt] => {
                let money = self.money(depth)?;
                if let Some((_, b)) = self.balance.as_mut() {
                    b.amount = Some(money);
                }
            }
            [Tag::CdtDbtInd] => {
                let sign = self.sign(depth)?;
                if let Some((_, b)) = self.balance.as_mut() {
                    b.sign = Some(sign);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn entry_leaf(&mut self, depth: usize, container: usize) -> Result<(), ParseError> {
        let rel = &self.tags[container + 1..=depth];
        match rel {
            [Tag::Amt] => {
                let money = self.money(depth)?;
                self.with_entry(|e| e.amount = Some(money));
            }
            [Tag::CdtDbtInd] => {
                let sign = self.sign(depth)?;
                self.with_entry(|e| e.sign = Some(sign));
            }
            [Tag::RvslInd] => {
                let reversal = self.text_buf.trim() == "true" || self.text_buf.trim() == "1";
                self.with_entry(|e| e.reversal = reversal);
            }
            // 001.02-.06 plain text, 001.08+ `Sts/Cd`; a proprietary `Sts/Prtry` is
            // kept as written and, being unknown, never moves a booked balance.
            [Tag::Sts] | [Tag::Sts, Tag::Cd | Tag::Prtry] => {
                let status = self.text_buf.trim().to_string();
                self.with_entry(|e| e.status = status);
            }
            [Tag::BookgDt, Tag::Dt | Tag::DtTm] => {
                let date = self.date(depth, rel[1] == Tag::DtTm)?;
                self.with_entry(|e| e.booking_date = Some(date));
            }
            [Tag::ValDt, Tag::Dt | Tag::DtTm] => {
                let date = self.date(depth, rel[1] == Tag::DtTm)?;
                self.with_entry(|e| e.value_date = Some(date));
            }
            [Tag::AcctSvcrRef] => {
                let value = self.text_buf.trim().to_string();
                self.with_entry(|e| e.acct_svcr_ref = value);
            }
            [Tag::AddtlNtryInf] => {
                let value = self.text_buf.trim().to_string();
                self.with_entry(|e| join_space(&mut e.additional_info, &value));
            }
            [Tag::AmtDtls, kind @ (Tag::TxAmt | Tag::InstdAmt | Tag::CntrValAmt), Tag::Amt] => {
                let kind = *kind;
                let money = self.money(depth)?;
                self.with_entry(|e| {
                    let slot = match kind {
                        Tag::TxAmt => &mut e.amount_tx,
                        Tag::InstdAmt => &mut e.amount_instructed,
                        _ => &mut e.amount_counter_value,
                    };
                    *slot = Some(money);
                });
            }
            [Tag::BkTxCd, code @ ..] => {
                if let Some((_, entry)) = self.entry.as_mut() {
                    bank_tx_code(&mut entry.code, code, self.text_buf.trim().to_string());
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn detail_leaf(&mut self, depth: usize, container: usize) -> Result<(), ParseError> {
        let rel = &self.tags[container + 1..=depth];
        match rel {
            [Tag::Amt] => {
                let money = self.money(depth)?;
                self.with_detail(|d| d.amount = Some(money));
            }
            [Tag::AmtDtls, Tag::TxAmt, Tag::Amt] => {
                let money = self.money(depth)?;
                self.with_detail(|d| d.amount_tx = Some(money));
            }
            [Tag::CdtDbtInd] => {
                let sign = self.sign(depth)?;
                self.with_detail(|d| d.sign = Some(sign));
            }
            _ => {
                if let (Some(field), Some((_, detail))) = (detail_field(rel), self.detail.as_mut())
                {
                    // Direct field borrows: `rel` lives in `self.tags`, the
                    // detail in `self.detail`, so nothing is copied.
                    store_detail_field(detail, field, rel, self.text_buf.trim().to_string());
                }
            }
        }
        Ok(())
    }

    fn with_entry(&mut self, f: impl FnOnce(&mut EntryData)) {
        if let Some((_, e)) = self.entry.as_mut() {
            f(e);
        }
    }

    fn with_detail(&mut self, f: impl FnOnce(&mut TxData)) {
        if let Some((_, d)) = self.detail.as_mut() {
            f(d);
        }
    }

    // ----- values -------------------------------------------------------

    fn read_currency(&mut self, e: &BytesStart<'_>, depth: usize) -> Result<(), ParseError> {
        self.amount_ccy.clear();
        for attr in e.attributes() {
            let attr = attr.map_err(|err| {
                self.error_at(
                    depth,
                    ErrorKind::Structure,
                    format!("malformed attribute on `Amt`: {err}"),
                )
            })?;
            if attr.key.local_name().as_ref() == "Ccy" {
                self.amount_ccy.push_str(attr.value.trim());
            }
        }
        Ok(())
    }

    fn money(&self, depth: usize) -> Result<Money, ParseError> {
        let text = self.text_buf.trim();
        let value = crate::amount::parse_unsigned(text, b'.').map_err(|e| {
            let message = match e {
                AmountError::Malformed => {
                    format!("amount `{text}` is not an unsigned decimal with `.` (e.g. `905.3`)")
                }
                AmountError::TooLarge => crate::amount::too_large_message(text),
            };
            self.error_at(depth, ErrorKind::InvalidAmount, message)
        })?;
        let ccy = &self.amount_ccy;
        if ccy.is_empty() {
            return Err(self.error_at(
                depth,
                ErrorKind::MissingField,
                "`Amt` without `Ccy` attribute".to_string(),
            ));
        }
        if ccy.len() != 3 || !ccy.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(self.error_at(
                depth,
                ErrorKind::InvalidCurrency,
                format!("currency `{ccy}` is not a three-letter ISO 4217 code"),
            ));
        }
        // ISO 20022 ActiveOrHistoricCurrencyAndAmount: no more decimals than
        // the currency's minor unit (trailing zeros aside). RELIABILITY B1-11.
        if crate::amount::has_excess_scale(value, crate::amount::currency_exponent(ccy)) {
            return Err(self.error_at(
                depth,
                ErrorKind::InvalidAmount,
                crate::amount::excess_scale_message(text, ccy),
            ));
        }
        Ok(Money {
            value,
            ccy: ccy.clone(),
        })
    }

    fn sign(&self, depth: usize) -> Result<Sign, ParseError> {
        match self.text_buf.trim() {
            "CRDT" => Ok(Sign::Credit),
            "DBIT" => Ok(Sign::Debit),
            other => Err(self.error_at(
                depth,
                ErrorKind::Structure,
                format!("`CdtDbtInd` is `{other}`, expected `CRDT` or `DBIT`"),
            )),
        }
    }

    /// The civil date as written (`2014-01-05`, or the date part of a
    /// `DtTm`). Times are not converted to UTC and not validated: banks
    /// write `11:17:11:735`, and only the date matters here.
    fn date(&self, depth: usize, datetime: bool) -> Result<NaiveDate, ParseError> {
        let text = self.text_buf.trim();
        parse_date(text, datetime).ok_or_else(|| {
            self.error_at(
                depth,
                ErrorKind::InvalidDate,
                format!(
                    "date `{text}` is not an ISO date `YYYY-MM-DD`{}",
                    if datetime { "Thh:mm:ss" } else { "" }
                ),
            )
        })
    }

    // ----- positions and errors -----------------------------------------

    /// Line of a byte offset at or after the last one asked for.
    fn line_at(&mut self, pos: usize) -> u64 {
        if pos >= self.counted_pos {
            let newlines =
                memchr::memchr_iter(b'\n', &self.text.as_bytes()[self.counted_pos..pos]).count();
            self.counted_line += newlines as u64;
            self.counted_pos = pos;
            self.counted_line
        } else {
            self.line_of(pos)
        }
    }

    /// Line of any byte offset; used for errors, so a full count is fine.
    fn line_of(&self, pos: usize) -> u64 {
        let end = pos.min(self.text.len());
        1 + memchr::memchr_iter(b'\n', &self.text.as_bytes()[..end]).count() as u64
    }

    /// Path of the element at `depth`: the innermost container's locator
    /// followed by the element names below it.
    fn path(&self, depth: usize) -> String {
        let containers = [
            self.detail.as_ref().map(|(d, t)| (*d, t.locator.as_str())),
            self.entry.as_ref().map(|(d, e)| (*d, e.locator.as_str())),
            self.balance.as_ref().map(|(d, b)| (*d, b.locator.as_str())),
            self.statement
                .as_ref()
                .map(|s| (s.depth, s.locator.as_str())),
        ];
        let (start, mut path) = match containers.into_iter().flatten().find(|(d, _)| *d <= depth) {
            Some((d, locator)) => (d + 1, locator.to_string()),
            None => (0, String::new()),
        };
        for (name, _) in self.frames.iter().take(depth + 1).skip(start) {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(local_name(name));
        }
        path
    }

    fn location(&self, depth: usize) -> Location {
        let pos = self.frames.get(depth).map_or(0, |f| f.1);
        Location::Element {
            line: self.line_of(pos),
            path: self.path(depth),
        }
    }

    fn error_at(&self, depth: usize, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(
            self.file,
            Some(FORMAT_NAME),
            self.location(depth),
            kind,
            message,
        )
    }

    /// An error at a byte offset inside the innermost open element.
    fn error_at_offset(&self, pos: usize, kind: ErrorKind, message: String) -> ParseError {
        let path = self
            .frames
            .len()
            .checked_sub(1)
            .map(|d| self.path(d))
            .unwrap_or_default();
        ParseError::new(
            self.file,
            Some(FORMAT_NAME),
            Location::Element {
                line: self.line_of(pos),
                path,
            },
            kind,
            message,
        )
    }

    fn xml_error(&self, pos: usize, e: &quick_xml::Error) -> ParseError {
        use quick_xml::errors::{IllFormedError, SyntaxError};
        let kind = match e {
            // An unclosed construct can only be noticed at the end of input.
            quick_xml::Error::Syntax(
                SyntaxError::UnclosedTag
                | SyntaxError::UnclosedComment
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedPI
                | SyntaxError::UnclosedXmlDecl
                | SyntaxError::UnclosedDoctype
                | SyntaxError::UnclosedSingleQuotedAttributeValue
                | SyntaxError::UnclosedDoubleQuotedAttributeValue,
            )
            | quick_xml::Error::IllFormed(IllFormedError::MissingEndTag(_)) => ErrorKind::Truncated,
            _ => ErrorKind::Structure,
        };
        self.error_at_offset(pos, kind, format!("malformed XML: {e}"))
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
        [RmtInf, Strd, CdtrRefInf, Ref] | [RmtInf, Strd, RfrdDocInf, Nb] => {
            DetailField::StructuredRef
        }
        [AddtlTxInf] => DetailField::AdditionalInfo,
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
                d.structured_refs.push(value);
            }
        }
        DetailField::AdditionalInfo => join_space(&mut d.additional_info, &value),
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
