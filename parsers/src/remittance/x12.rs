//! ANSI ASC X12 820 (payment order / remittance advice), versions 003010
//! (`BPS`/`RMT`) to 005010 (`BPR`/`RMR`).
//!
//! The delimiters come from the ISA segment itself: the element separator
//! is the character after `ISA`, the component separator is ISA16 and the
//! segment terminator is the character after it (a line break when the
//! file ends segments with newlines). The ISA is read by counting
//! separators, not by fixed columns, because real files do not pad it.
//!
//! Checked, each reported Pass or Fail (never hidden): SE01 against the
//! segments counted from ST to SE, SE02/GE02/IEA02 against ST02/GS06/ISA13,
//! GE01 and IEA01 against the transaction sets and groups present, and each
//! payment's BPR02 against its lines: the `RMR04` amounts plus every `ADX`
//! that stands outside an RMR loop (an entity-level adjustment such as a
//! credit memo taken changes what is paid; an `ADX` inside an RMR loop
//! explains that line's difference and is already in its `RMR04`).

use super::{
    amount_message, check_scale, compare, decimal_amount, known_currency, lines_check,
    settle_advice, Advice, AdviceLine, ControlCheck, DocumentType, LineMap, ParsedRemittance,
    RemittanceOptions,
};
use crate::{BalanceCheck, ErrorKind, Location, ParseError, Source};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const FORMAT_NAME: &str = "x12.820";

/// Reads an X12 820 file.
pub fn parse(
    source: &Source<'_>,
    options: &RemittanceOptions,
) -> Result<ParsedRemittance, ParseError> {
    let (text, encoding) = crate::encoding::decode(
        source.name,
        Some(FORMAT_NAME),
        source.bytes,
        options.encoding.as_deref(),
    )?;
    let map = LineMap::of_text(&text);
    let read = read_interchanges(source.name, FORMAT_NAME, &text, &map, options)?;
    Ok(ParsedRemittance {
        encoding: encoding.to_string(),
        advices: read.advices,
        checks: read.checks,
        warnings: read.warnings,
        ..ParsedRemittance::default()
    })
}

/// What one or more interchanges hold.
#[derive(Debug, Default)]
pub(crate) struct X12Read {
    pub advices: Vec<Advice>,
    pub checks: Vec<ControlCheck>,
    pub warnings: Vec<String>,
}

/// One segment: its id, elements (`elements[0]` is the id), 1-based index
/// in the file and line.
#[derive(Debug)]
pub(crate) struct Segment<'t> {
    pub id: &'t str,
    elements: Vec<&'t str>,
    pub index: u64,
    pub line: u64,
}

impl Segment<'_> {
    /// Element `n` (1-based, as X12 numbers them), trimmed; empty when absent.
    pub fn el(&self, n: usize) -> &str {
        self.elements.get(n).map_or("", |s| s.trim())
    }

    fn count(&self) -> usize {
        self.elements.len().saturating_sub(1)
    }

    fn at(&self) -> String {
        format!("segment {} ({})", self.index, self.id)
    }

    fn element_at(&self, n: usize) -> Location {
        Location::Element {
            line: self.line,
            path: format!("segment {} {}{:02}", self.index, self.id, n),
        }
    }
}

/// The three delimiters of an interchange.
#[derive(Debug, Clone, Copy)]
struct Delimiters {
    element: char,
    terminator: Option<char>,
}

/// Reads the delimiters from the ISA at the start of `text`.
fn delimiters(text: &str) -> Result<Delimiters, String> {
    let mut chars = text.chars();
    if chars.by_ref().take(3).collect::<String>() != "ISA" {
        return Err("an X12 interchange starts with an ISA segment".into());
    }
    let element = chars
        .next()
        .ok_or("the ISA segment ends after `ISA`: no element separator")?;
    if element.is_alphanumeric() || element.is_whitespace() {
        return Err(format!(
            "`{element}` after `ISA` cannot be an element separator (letters, digits and spaces are data)"
        ));
    }
    let mut seen = 1;
    for c in chars.by_ref() {
        if c == element {
            seen += 1;
            if seen == 16 {
                break;
            }
        }
    }
    if seen < 16 {
        return Err(format!(
            "the ISA segment has {seen} element separators, not 16: its delimiters cannot be read"
        ));
    }
    // ISA16 is the component separator, one character; the next is the
    // segment terminator.
    let _component = chars
        .next()
        .ok_or("the file ends inside ISA16 (component separator)")?;
    let terminator = match chars.next() {
        None => return Err("the file ends after the ISA segment: no segment terminator".into()),
        Some('\r' | '\n') => None,
        Some(c) if c == element || c.is_alphanumeric() || c == ' ' => {
            return Err(format!("`{c}` after ISA16 cannot be a segment terminator"))
        }
        Some(c) => Some(c),
    };
    Ok(Delimiters {
        element,
        terminator,
    })
}

/// Splits `text` into segments.
pub(crate) fn segments<'t>(
    file: &str,
    format_name: &'static str,
    text: &'t str,
    map: &LineMap,
    options: &RemittanceOptions,
) -> Result<Vec<Segment<'t>>, ParseError> {
    let start = text.len() - text.trim_start().len();
    let body = &text[start..];
    let delims = delimiters(body).map_err(|m| {
        ParseError::new(
            file,
            Some(format_name),
            Location::Line(map.line(start)),
            ErrorKind::Structure,
            m,
        )
    })?;
    let mut out = Vec::new();
    let mut pos = start;
    let pieces: Box<dyn Iterator<Item = &str>> = match delims.terminator {
        Some(t) => Box::new(body.split(t)),
        None => Box::new(body.split('\n')),
    };
    for piece in pieces {
        let piece_start = pos;
        pos += piece.len() + delims.terminator.map_or(1, char::len_utf8);
        let trimmed = piece.trim();
        if trimmed.is_empty() {
            continue;
        }
        let offset = piece_start + (piece.len() - piece.trim_start().len());
        let line = map.line(offset);
        if trimmed.len() > options.limits.line_bytes_max {
            return Err(ParseError::new(
                file,
                Some(format_name),
                Location::Line(line),
                ErrorKind::LimitExceeded,
                format!(
                    "segment longer than {} bytes (limit `line_bytes_max`)",
                    options.limits.line_bytes_max
                ),
            ));
        }
        if out.len() as u64 >= options.limits.records_max {
            return Err(ParseError::new(
                file,
                Some(format_name),
                Location::Line(line),
                ErrorKind::LimitExceeded,
                format!(
                    "more than {} segments (limit `records_max`)",
                    options.limits.records_max
                ),
            ));
        }
        let elements: Vec<&str> = trimmed.split(delims.element).collect();
        let id = elements.first().map_or("", |s| s.trim());
        let index = out.len() as u64 + 1;
        if !(2..=3).contains(&id.len())
            || !id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(ParseError::new(
                file,
                Some(format_name),
                Location::Element {
                    line,
                    path: format!("segment {index}"),
                },
                ErrorKind::Structure,
                format!(
                    "`{}` is not a segment identifier (2-3 upper-case letters or digits); is the segment terminator `{}` right?",
                    shorten(id),
                    delims.terminator.map_or("line break".to_string(), |c| c.to_string())
                ),
            ));
        }
        out.push(Segment {
            id,
            elements,
            index,
            line,
        });
    }
    Ok(out)
}

fn shorten(text: &str) -> String {
    text.chars().take(30).collect()
}

/// Reads every interchange of `text` (an 820 file, or an 820 reassembled
/// from NACHA addenda, whose `map` points at the addenda records).
pub(crate) fn read_interchanges(
    file: &str,
    format_name: &'static str,
    text: &str,
    map: &LineMap,
    options: &RemittanceOptions,
) -> Result<X12Read, ParseError> {
    let segs = segments(file, format_name, text, map, options)?;
    let mut reader = Reader {
        file,
        format_name,
        out: X12Read::default(),
        isa: None,
        gs: None,
        st: None,
    };
    for seg in &segs {
        reader.segment(seg)?;
    }
    if let Some(st) = &reader.st {
        return Err(reader.error(
            Location::Line(st.line),
            ErrorKind::Truncated,
            format!(
                "transaction set ST {} opened at segment {} has no SE: the file is truncated",
                st.control, st.index
            ),
        ));
    }
    if let Some(gs) = &reader.gs {
        return Err(reader.error(
            Location::Line(gs.line),
            ErrorKind::Truncated,
            format!(
                "functional group GS {} opened at segment {} has no GE: the file is truncated",
                gs.control, gs.index
            ),
        ));
    }
    if let Some(isa) = &reader.isa {
        return Err(reader.error(
            Location::Line(isa.line),
            ErrorKind::Truncated,
            format!(
                "interchange ISA {} opened at segment {} has no IEA: the file is truncated",
                isa.control, isa.index
            ),
        ));
    }
    if reader.out.advices.is_empty() && reader.out.checks.is_empty() {
        return Err(reader.error(
            Location::Line(1),
            ErrorKind::Structure,
            "no ISA interchange found".into(),
        ));
    }
    Ok(reader.out)
}

struct Envelope {
    control: String,
    index: u64,
    line: u64,
    children: u64,
}

/// One open transaction set and the advice it builds.
struct Open {
    control: String,
    index: u64,
    line: u64,
    segments: u64,
    advice: Advice,
    /// The `BPR`/`BPS` segment index, once seen.
    payment_at: Option<u64>,
    payment_segment: &'static str,
    /// Index in `advice.lines` of the last RMR of the current ENT: an ADX
    /// after it belongs to that line's loop.
    last_rmr: Option<usize>,
    /// Raw amount texts to check for scale once the currency is known.
    currency_set: bool,
}

struct Reader<'f> {
    file: &'f str,
    format_name: &'static str,
    out: X12Read,
    isa: Option<Envelope>,
    gs: Option<Envelope>,
    st: Option<Open>,
}

impl Reader<'_> {
    fn error(&self, location: Location, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(self.file, Some(self.format_name), location, kind, message)
    }

    fn structure(&self, seg: &Segment<'_>, message: String) -> ParseError {
        self.error(
            Location::Element {
                line: seg.line,
                path: format!("segment {} {}", seg.index, seg.id),
            },
            ErrorKind::Structure,
            message,
        )
    }

    fn amount(&self, seg: &Segment<'_>, n: usize) -> Result<Option<Decimal>, ParseError> {
        let text = seg.el(n);
        if text.is_empty() {
            return Ok(None);
        }
        decimal_amount(text).map(Some).map_err(|e| {
            self.error(
                seg.element_at(n),
                ErrorKind::InvalidAmount,
                amount_message(text, e, "an X12 decimal (e.g. `1234.56`, `-5.55`)"),
            )
        })
    }

    fn required_amount(&self, seg: &Segment<'_>, n: usize) -> Result<Decimal, ParseError> {
        self.amount(seg, n)?.ok_or_else(|| {
            self.error(
                seg.element_at(n),
                ErrorKind::MissingField,
                format!("{}{n:02} (amount) is empty", seg.id),
            )
        })
    }

    fn date(&self, seg: &Segment<'_>, n: usize) -> Result<Option<NaiveDate>, ParseError> {
        let text = seg.el(n);
        if text.is_empty() {
            return Ok(None);
        }
        parse_date(text).map(Some).ok_or_else(|| {
            self.error(
                seg.element_at(n),
                ErrorKind::InvalidDate,
                format!("date `{}` is not CCYYMMDD or YYMMDD", shorten(text)),
            )
        })
    }

    fn segment(&mut self, seg: &Segment<'_>) -> Result<(), ParseError> {
        if let Some(st) = self.st.as_mut() {
            st.segments += 1;
        }
        match seg.id {
            "ISA" => self.isa_start(seg),
            "IEA" => self.isa_end(seg),
            "GS" => self.gs_start(seg),
            "GE" => self.gs_end(seg),
            "ST" => self.st_start(seg),
            "SE" => self.st_end(seg),
            _ if self.st.is_some() => self.body(seg),
            other => Err(self.structure(
                seg,
                format!("segment {other} outside a transaction set (between SE and ST); only ISA, GS, GE and IEA may stand there"),
            )),
        }
    }

    fn isa_start(&mut self, seg: &Segment<'_>) -> Result<(), ParseError> {
        if self.isa.is_some() {
            return Err(self.structure(
                seg,
                "ISA inside an open interchange (no IEA before it)".into(),
            ));
        }
        if seg.count() < 16 {
            return Err(self.structure(seg, format!("ISA has {} elements, not 16", seg.count())));
        }
        let date = seg.el(9);
        if parse_date(date).is_none() {
            self.out.warnings.push(format!(
                "line {}, segment {} ISA09: interchange date `{}` is not a YYMMDD date",
                seg.line,
                seg.index,
                shorten(date)
            ));
        }
        self.isa = Some(Envelope {
            control: seg.el(13).to_string(),
            index: seg.index,
            line: seg.line,
            children: 0,
        });
        Ok(())
    }

    fn isa_end(&mut self, seg: &Segment<'_>) -> Result<(), ParseError> {
        if self.gs.is_some() {
            return Err(self.structure(
                seg,
                "IEA while a functional group is open (no GE before it)".into(),
            ));
        }
        let Some(isa) = self.isa.take() else {
            return Err(self.structure(seg, "IEA without an ISA".into()));
        };
        let at = format!("line {}, {}", seg.line, seg.at());
        self.out.checks.push(count_check(
            "IEA01 = functional groups in the interchange",
            &at,
            seg.el(1),
            isa.children,
        ));
        self.out.checks.push(compare(
            "IEA02 = ISA13 interchange control number",
            &at,
            seg.el(2),
            isa.control.as_str(),
        ));
        Ok(())
    }

    fn gs_start(&mut self, seg: &Segment<'_>) -> Result<(), ParseError> {
        if self.gs.is_some() {
            return Err(self.structure(
                seg,
                "GS inside an open functional group (no GE before it)".into(),
            ));
        }
        let Some(isa) = self.isa.as_mut() else {
            return Err(self.structure(seg, "GS outside an interchange (no ISA before it)".into()));
        };
        isa.children += 1;
        self.gs = Some(Envelope {
            control: seg.el(6).to_string(),
            index: seg.index,
            line: seg.line,
            children: 0,
        });
        Ok(())
    }

    fn gs_end(&mut self, seg: &Segment<'_>) -> Result<(), ParseError> {
        if self.st.is_some() {
            return Err(self.structure(
                seg,
                "GE while a transaction set is open (no SE before it)".into(),
            ));
        }
        let Some(gs) = self.gs.take() else {
            return Err(self.structure(seg, "GE without a GS".into()));
        };
        let at = format!("line {}, {}", seg.line, seg.at());
        self.out.checks.push(count_check(
            "GE01 = transaction sets in the group",
            &at,
            seg.el(1),
            gs.children,
        ));
        self.out.checks.push(compare(
            "GE02 = GS06 group control number",
            &at,
            seg.el(2),
            gs.control.as_str(),
        ));
        Ok(())
    }

    fn st_start(&mut self, seg: &Segment<'_>) -> Result<(), ParseError> {
        if self.st.is_some() {
            return Err(self.structure(
                seg,
                "ST inside an open transaction set (no SE before it)".into(),
            ));
        }
        let Some(gs) = self.gs.as_mut() else {
            return Err(self.structure(
                seg,
                "ST outside a functional group (no GS before it)".into(),
            ));
        };
        if seg.el(1) != "820" {
            return Err(self.error(
                seg.element_at(1),
                ErrorKind::UnknownRecord,
                format!(
                    "transaction set `{}` is not an 820 remittance advice",
                    shorten(seg.el(1))
                ),
            ));
        }
        gs.children += 1;
        let isa_control = self.isa.as_ref().map_or("", |i| i.control.as_str());
        let advice = Advice {
            advice_id: format!("{isa_control}/{}/{}", gs.control, seg.el(2)),
            currency: "USD".into(),
            credit: true,
            booked: true,
            source_line: seg.line,
            locator: format!("segment {} (ST {})", seg.index, seg.el(2)),
            ..Advice::default()
        };
        self.st = Some(Open {
            control: seg.el(2).to_string(),
            index: seg.index,
            line: seg.line,
            segments: 1,
            advice,
            payment_at: None,
            payment_segment: "BPR",
            last_rmr: None,
            currency_set: false,
        });
        Ok(())
    }

    fn st_end(&mut self, seg: &Segment<'_>) -> Result<(), ParseError> {
        let Some(st) = self.st.take() else {
            return Err(self.structure(seg, "SE without an ST".into()));
        };
        let Open {
            control,
            segments,
            mut advice,
            payment_at,
            payment_segment,
            ..
        } = st;
        if payment_at.is_none() {
            return Err(self.error(
                Location::Line(advice.source_line),
                ErrorKind::MissingField,
                format!(
                    "transaction set ST {control} ({}) has no BPR (or BPS) payment segment",
                    advice.locator
                ),
            ));
        }
        // Scale is checked once the currency (CUR, after BPR) is known.
        let ccy = advice.currency.clone();
        for (value, at) in advice
            .amount
            .iter()
            .map(|a| (*a, advice.locator.clone()))
            .chain(advice.lines.iter().flat_map(|l| {
                [
                    l.amount_paid,
                    l.invoice_amount,
                    l.discount_amount,
                    l.adjustment_amount,
                ]
                .into_iter()
                .flatten()
                .map(|v| (v, l.locator.clone()))
            }))
        {
            check_scale(value, &ccy).map_err(|m| {
                self.error(
                    Location::Element {
                        line: advice.source_line,
                        path: at,
                    },
                    ErrorKind::InvalidAmount,
                    m,
                )
            })?;
        }
        let at = format!("line {}, {}", seg.line, seg.at());
        let count = count_check("SE01 = segments from ST to SE", &at, seg.el(1), segments);
        let number = compare(
            "SE02 = ST02 transaction set control number",
            &at,
            seg.el(2),
            control.as_str(),
        );
        let lines_name = if payment_segment == "BPS" {
            "BPS02 = sum of RMT03"
        } else {
            "BPR02 = sum of RMR04 and entity-level ADX01"
        };
        let amount = lines_check(lines_name, &advice.locator, advice.amount, &advice.lines);
        settle_advice(&mut advice, &[&amount, &count, &number]);
        self.out.checks.extend([count, number, amount]);
        self.out.advices.push(advice);
        Ok(())
    }

    fn body(&mut self, seg: &Segment<'_>) -> Result<(), ParseError> {
        match seg.id {
            "BPR" => {
                let amount = self.required_amount(seg, 2)?;
                let date = self.date(seg, 16)?;
                let st = self.open()?;
                if st.payment_at.is_some() {
                    let first = st.payment_at.unwrap_or_default();
                    return Err(self.structure(
                        seg,
                        format!("second BPR in one transaction set (the first is segment {first})"),
                    ));
                }
                let st = self.open()?;
                st.payment_at = Some(seg.index);
                let a = &mut st.advice;
                a.amount = Some(amount);
                a.credit = seg.el(3) != "D";
                a.method = join(seg.el(4), seg.el(5), "/");
                a.payer_account = join(seg.el(7), seg.el(9), "/");
                a.payment_date = date;
            }
            "BPS" => {
                let amount = self.required_amount(seg, 2)?;
                // 003010 has the date last; its position moved between
                // releases, so the last element that is a date is taken.
                let date = (1..=seg.count())
                    .rev()
                    .map(|n| seg.el(n))
                    .find(|t| (t.len() == 6 || t.len() == 8) && parse_date(t).is_some())
                    .and_then(parse_date);
                let st = self.open()?;
                st.payment_at = Some(seg.index);
                st.payment_segment = "BPS";
                st.advice.amount = Some(amount);
                st.advice.method = seg.el(1).to_string();
                st.advice.payment_date = date;
            }
            "TRN" => {
                let st = self.open()?;
                if st.advice.payment_reference.is_empty() {
                    st.advice.payment_reference = seg.el(2).to_string();
                }
            }
            "CUR" => {
                let code = seg.el(2).to_ascii_uppercase();
                if !known_currency(&code) {
                    return Err(self.error(
                        seg.element_at(2),
                        ErrorKind::InvalidCurrency,
                        format!("currency `{}` is not an ISO 4217 code", shorten(&code)),
                    ));
                }
                let st = self.open()?;
                if st.currency_set && st.advice.currency != code {
                    let first = st.advice.currency.clone();
                    return Err(self.structure(seg, format!("second CUR with another currency ({code} after {first}): one payment has one currency")));
                }
                let st = self.open()?;
                st.advice.currency = code;
                st.currency_set = true;
            }
            "N1" => {
                let st = self.open()?;
                let name = seg.el(2).to_string();
                match seg.el(1) {
                    "PR" | "RM" | "BY" | "PY" if st.advice.payer_name.is_empty() => {
                        st.advice.payer_name = name;
                    }
                    "PE" | "SU" | "RE" if st.advice.payee_name.is_empty() => {
                        st.advice.payee_name = name;
                    }
                    _ => {}
                }
            }
            "ENT" => self.open()?.last_rmr = None,
            "RMR" | "RMT" => {
                let qualifier = seg.el(1);
                if seg.id == "RMT" && qualifier == "IX" {
                    // 003010 item detail under an invoice: not a document.
                    self.open()?.last_rmr = None;
                    return Ok(());
                }
                let (paid, invoice, discount) = if seg.id == "RMR" {
                    (
                        self.amount(seg, 4)?,
                        self.amount(seg, 5)?,
                        self.amount(seg, 6)?,
                    )
                } else {
                    (
                        self.amount(seg, 3)?,
                        self.amount(seg, 4)?,
                        self.amount(seg, 5)?,
                    )
                };
                let (adjustment, reason) = if seg.id == "RMR" {
                    (self.amount(seg, 8)?, seg.el(7).to_string())
                } else {
                    (None, String::new())
                };
                let line = AdviceLine {
                    invoice_reference: seg.el(2).to_string(),
                    document_type: document_type(qualifier),
                    document_code: qualifier.to_string(),
                    amount_paid: paid,
                    invoice_amount: invoice,
                    discount_amount: discount,
                    adjustment_amount: adjustment,
                    adjustment_reason: reason,
                    source_line: seg.line,
                    locator: seg.at(),
                    ..AdviceLine::default()
                };
                let st = self.open()?;
                st.advice.lines.push(line);
                st.last_rmr = Some(st.advice.lines.len() - 1);
            }
            // Inside an RMR loop, REF and DTM describe its document: the
            // invoice behind a PO or RGA number, the invoice date. Outside
            // one they describe the payment or a party and are not lines.
            "REF" => {
                let (qualifier, value) = (seg.el(1).to_string(), seg.el(2).trim().to_string());
                let st = self.open()?;
                if let Some(line) = st.last_rmr.and_then(|i| st.advice.lines.get_mut(i)) {
                    if !value.is_empty() {
                        line.references.push((qualifier, value));
                    }
                }
            }
            "DTM" => {
                let qualifier = seg.el(1).to_string();
                // A placeholder (`CCYYMMDD`) or malformed date is no date;
                // the amounts, not the dates, are what the file is checked by.
                let date = parse_date(seg.el(2));
                let st = self.open()?;
                if let (Some(line), Some(date)) =
                    (st.last_rmr.and_then(|i| st.advice.lines.get_mut(i)), date)
                {
                    line.dates.push((qualifier, date));
                }
            }
            "ADX" => {
                let amount = self.required_amount(seg, 1)?;
                let reason = seg.el(2).to_string();
                let st = self.open()?;
                match st.last_rmr.and_then(|i| st.advice.lines.get_mut(i)) {
                    Some(line) => {
                        // Inside an RMR loop: explains that line.
                        let total = line
                            .adjustment_amount
                            .unwrap_or_default()
                            .checked_add(amount);
                        line.adjustment_amount = total;
                        if !line.adjustment_reason.is_empty() && !reason.is_empty() {
                            line.adjustment_reason.push(';');
                        }
                        line.adjustment_reason.push_str(&reason);
                    }
                    None => {
                        // Outside an RMR loop: an adjustment of the payment.
                        let code = seg.el(3);
                        st.advice.lines.push(AdviceLine {
                            invoice_reference: seg.el(4).to_string(),
                            document_type: match code {
                                "CM" => DocumentType::CreditNote,
                                "DB" => DocumentType::DebitNote,
                                _ => DocumentType::Adjustment,
                            },
                            document_code: if code.is_empty() {
                                "ADX".into()
                            } else {
                                code.to_string()
                            },
                            amount_paid: Some(amount),
                            adjustment_amount: Some(amount),
                            adjustment_reason: reason,
                            source_line: seg.line,
                            locator: seg.at(),
                            ..AdviceLine::default()
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn open(&mut self) -> Result<&mut Open, ParseError> {
        // Only called from `body`, which runs while a set is open.
        match self.st.as_mut() {
            Some(st) => Ok(st),
            None => Err(ParseError::new(
                self.file,
                Some(self.format_name),
                Location::Line(1),
                ErrorKind::Structure,
                "segment outside a transaction set".into(),
            )),
        }
    }
}

/// A count element compared with what was counted.
fn count_check(name: &str, at: &str, stated: &str, counted: u64) -> ControlCheck {
    match stated.parse::<u64>() {
        Ok(n) => compare(name, at, n, counted),
        Err(_) => ControlCheck {
            name: name.to_string(),
            locator: at.to_string(),
            result: BalanceCheck::Fail,
            detail: format!("`{}` is not a count (counted {counted})", shorten(stated)),
        },
    }
}

fn join(a: &str, b: &str, sep: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (false, false) => format!("{a}{sep}{b}"),
        (false, true) => a.to_string(),
        (true, false) => b.to_string(),
        (true, true) => String::new(),
    }
}

/// The document an RMR01 (or RMT01) qualifier names.
fn document_type(qualifier: &str) -> DocumentType {
    match qualifier {
        "IV" | "IK" | "AP" | "OI" | "R7" => DocumentType::Invoice,
        "CM" | "CR" => DocumentType::CreditNote,
        "DB" | "DM" => DocumentType::DebitNote,
        "PO" => DocumentType::PurchaseOrder,
        _ => DocumentType::Other,
    }
}

/// CCYYMMDD or YYMMDD (two-digit years through the crate's one window).
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<u32>().ok();
    let (y, m, d) = match text.len() {
        8 => (num(0..4)?, num(4..6)?, num(6..8)?),
        6 => (
            crate::date::year_from_two_digits(num(0..2)?),
            num(2..4)?,
            num(4..6)?,
        ),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}
