//! Readers for remittance advices: the invoice lists that arrive apart from
//! the cash (or inside it), so that a lump-sum payment can be applied line
//! by line.
//!
//! One module per format, all filling the one model in [`model`]:
//! * [`x12`]: ANSI X12 820 (003010 `BPS`/`RMT` to 005010 `BPR`/`RMR`), with
//!   the ISA/GS/ST envelopes, their control numbers and counts.
//! * [`lockbox`]: BAI lockbox transmissions, read through layout
//!   [`LockboxProfile`]s (built-in TOML data files or the user's).
//! * [`nacha`]: NACHA ACH files whose CTX/CCD+ addenda carry `RMR`/`TXP`
//!   segments or a whole 820 split across addenda records (reassembled and
//!   read by [`x12`]).
//! * [`iso`]: ISO 20022 remt.001 and the structured remittance
//!   (`RmtInf/Strd`) of camt.054 (and camt.052/053 when forced).
//! * [`csv`]: remittance spreadsheets exported as CSV, columns mapped in
//!   config ([`RemittanceCsvLayout`]).
//! * [`xlsx`]: the same spreadsheets saved as XLSX workbooks, through the
//!   same layouts.
//!
//! The rules are the statement readers' rules: amounts through
//! [`crate::amount`] (bounded, never rounded), currencies through
//! [`crate::currency`], strict decoding through [`crate::encoding`]. A file
//! whose structure is broken is an `Err` naming file, line and segment or
//! record; a file whose own totals disagree is an `Ok` whose
//! [`ParsedRemittance::checks`] say Fail, so the caller decides. Nothing is
//! guessed and nothing that does not add up is hidden.
//!
//! ```
//! use cashmatch_parsers::remittance::{parse_remittance, RemittanceOptions};
//! use cashmatch_parsers::{BalanceCheck, Source};
//!
//! let edi = b"ISA*00*          *00*          *ZZ*PAYER          *ZZ*PAYEE          *260302*1200*U*00401*000000001*0*P*>~\
//! GS*RA*PAYER*PAYEE*20260302*1200*1*X*004010~ST*820*0001~\
//! BPR*C*150.00*C*ACH*CTX*01*011000015*DA*123456*1234567890**01*021000021*DA*654321*20260303~\
//! TRN*1*TRACE0001~N1*PR*ACME CORP~ENT*1~RMR*IV*INV-1**100.00~RMR*IV*INV-2**50.00~\
//! SE*8*0001~GE*1*1~IEA*1*000000001~";
//! let parsed = parse_remittance(&Source::new("acme.820", edi), &RemittanceOptions::default()).unwrap();
//! let advice = &parsed.advices[0];
//! assert_eq!(advice.payment_reference, "TRACE0001");
//! assert_eq!(advice.lines.len(), 2);
//! assert_eq!(advice.check, BalanceCheck::Pass);
//! ```

pub mod csv;
pub mod iso;
pub mod lockbox;
pub mod model;
pub mod nacha;
pub mod x12;
pub mod xlsx;

pub use csv::RemittanceCsvLayout;
pub use lockbox::LockboxProfile;
pub use model::*;

use crate::amount::{self, AmountError};
use crate::{BalanceCheck, ErrorKind, Limits, Location, ParseError, Source};
use rust_decimal::Decimal;

/// Options for reading one remittance file.
#[derive(Debug, Clone, Default)]
pub struct RemittanceOptions {
    /// Force a format instead of detecting it.
    pub format: Option<RemittanceFormat>,
    /// Decode with this encoding (`windows-1252`, ...) instead of strict
    /// UTF-8; X12 and NACHA files declare none, so a customer whose files
    /// carry Windows-1252 bytes says so here.
    pub encoding: Option<String>,
    /// Hard caps on size, records and depth.
    pub limits: Limits,
    /// User lockbox layouts, tried before the built-in ones.
    pub lockbox_profiles: Vec<LockboxProfile>,
    /// Read every lockbox file with this profile (by name) instead of
    /// selecting one by trial.
    pub lockbox_profile: Option<String>,
    /// Remittance CSV layouts; a CSV whose header has every mapped column of
    /// a layout is a remittance CSV.
    pub csv_layouts: Vec<RemittanceCsvLayout>,
}

/// Detects the remittance format of `bytes` by content, including the
/// configured CSV layouts (see [`crate::detect::detect_remittance`] for the
/// rest).
pub fn detect(bytes: &[u8], options: &RemittanceOptions) -> Option<RemittanceFormat> {
    if xlsx::looks_like_xlsx(bytes) {
        return Some(RemittanceFormat::Xlsx);
    }
    crate::detect::detect_remittance(bytes).or_else(|| {
        csv::matching_layout(bytes, &options.csv_layouts).map(|_| RemittanceFormat::Csv)
    })
}

/// Parses one remittance file whose format is detected from its content.
pub fn parse_remittance(
    source: &Source<'_>,
    options: &RemittanceOptions,
) -> Result<ParsedRemittance, ParseError> {
    if source.bytes.len() as u64 > options.limits.file_bytes_max {
        return Err(ParseError::new(
            source.name,
            None,
            Location::Offset(options.limits.file_bytes_max),
            ErrorKind::LimitExceeded,
            format!(
                "file is {} bytes, over the limit of {} bytes (raise `limits.file_bytes_max`)",
                source.bytes.len(),
                options.limits.file_bytes_max
            ),
        ));
    }
    if source.bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::new(
            source.name,
            None,
            Location::Line(1),
            ErrorKind::Empty,
            "file is empty: a remittance advice has at least a header".into(),
        ));
    }
    let format = match options.format {
        Some(f) => f,
        None => detect(source.bytes, options).ok_or_else(|| {
            ParseError::new(
                source.name,
                None,
                Location::Line(1),
                ErrorKind::UnknownFormat,
                "content matches no supported remittance format (X12 820, BAI lockbox, NACHA, remt.001, camt.054, configured remittance CSV or XLSX)".into(),
            )
        })?,
    };
    let mut parsed = match format {
        RemittanceFormat::X12_820 => x12::parse(source, options),
        RemittanceFormat::Lockbox => lockbox::parse(source, options),
        RemittanceFormat::Nacha => nacha::parse(source, options),
        RemittanceFormat::Remt001
        | RemittanceFormat::Camt052
        | RemittanceFormat::Camt053
        | RemittanceFormat::Camt054 => iso::parse(source, options, format),
        RemittanceFormat::Csv => csv::parse(source, options),
        RemittanceFormat::Xlsx => xlsx::parse(source, options),
    }?;
    parsed.source_file = source.name.to_string();
    parsed.format = Some(format);
    for advice in &mut parsed.advices {
        advice.format = Some(format);
    }
    Ok(parsed)
}

/// Maps byte offsets of a decoded text to 1-based lines. For a plain file
/// the starts are its line starts; for an 820 reassembled from NACHA
/// addenda they are where each addenda record's text begins, so a segment
/// is located on the addenda record that carries it.
#[derive(Debug, Clone)]
pub(crate) struct LineMap {
    starts: Vec<(usize, u64)>,
}

impl LineMap {
    /// Line starts of `text`: after `\n`, `\r\n`, or a lone `\r` (old Mac
    /// line ends, which one public camt.054 sample has).
    pub(crate) fn of_text(text: &str) -> LineMap {
        let bytes = text.as_bytes();
        let mut starts = vec![(0usize, 1u64)];
        let mut line = 1u64;
        for pos in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[pos] == b'\r' && bytes.get(pos + 1) == Some(&b'\n') {
                continue;
            }
            line += 1;
            starts.push((pos + 1, line));
        }
        LineMap { starts }
    }

    /// Explicit `(offset, line)` pairs, sorted by offset.
    pub(crate) fn from_starts(starts: Vec<(usize, u64)>) -> LineMap {
        LineMap { starts }
    }

    /// The line holding byte `offset`.
    pub(crate) fn line(&self, offset: usize) -> u64 {
        let i = self.starts.partition_point(|&(s, _)| s <= offset);
        self.starts
            .get(i.saturating_sub(1))
            .map_or(1, |&(_, line)| line)
    }
}

/// A signed decimal amount with `.` as decimal mark (X12 `R`, CSV), a
/// leading `.` allowed as X12 allows it. Bounded by the amount bound.
pub(crate) fn decimal_amount(text: &str) -> Result<Decimal, AmountError> {
    let t = text.trim();
    let (neg, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let value = if rest.starts_with('.') {
        amount::parse_unsigned(&format!("0{rest}"), b'.')?
    } else {
        amount::parse_unsigned(rest, b'.')?
    };
    Ok(if neg { -value } else { value })
}

/// The error message for an amount `text` that failed with `e`.
pub(crate) fn amount_message(text: &str, e: AmountError, grammar: &str) -> String {
    match e {
        AmountError::Malformed => format!("amount `{text}` is not {grammar}"),
        AmountError::TooLarge => amount::too_large_message(text),
    }
}

/// Checked sum of amounts: `None` on overflow, which the amount bound makes
/// unreachable for any real file but which is never a panic.
pub(crate) fn checked_sum(mut values: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    values.try_fold(Decimal::ZERO, |acc, v| acc.checked_add(v))
}

/// Compares an advice's stated amount with the sum of its lines' amounts
/// paid (plus `extra`, e.g. entity-level adjustments already among the
/// lines). Not checkable when the advice gives no amount, has no lines, or
/// a line carries no amount.
pub(crate) fn lines_check(
    name: &str,
    locator: &str,
    stated: Option<Decimal>,
    lines: &[AdviceLine],
) -> ControlCheck {
    let (result, detail) = match stated {
        None => (
            BalanceCheck::NotCheckable,
            "the advice states no payment amount".to_string(),
        ),
        Some(_) if lines.is_empty() => (
            BalanceCheck::NotCheckable,
            "the advice has no remittance lines".to_string(),
        ),
        Some(stated) => {
            let missing = lines.iter().filter(|l| l.amount_paid.is_none()).count();
            if missing > 0 {
                (
                    BalanceCheck::NotCheckable,
                    format!("{missing} of {} line(s) carry no amount paid", lines.len()),
                )
            } else {
                match checked_sum(lines.iter().filter_map(|l| l.amount_paid)) {
                    None => (
                        BalanceCheck::Fail,
                        "the line amounts overflow when added".to_string(),
                    ),
                    Some(sum) if sum == stated => (
                        BalanceCheck::Pass,
                        format!("{stated} = {sum} over {} line(s)", lines.len()),
                    ),
                    Some(sum) => (
                        BalanceCheck::Fail,
                        format!(
                            "payment amount {stated} but the {} line(s) add up to {sum} (difference {})",
                            lines.len(),
                            stated - sum
                        ),
                    ),
                }
            }
        }
    };
    ControlCheck {
        name: name.to_string(),
        locator: locator.to_string(),
        result,
        detail,
    }
}

/// A check comparing a stated control value with the computed one.
pub(crate) fn compare<T: PartialEq + std::fmt::Display>(
    name: &str,
    locator: &str,
    stated: T,
    computed: T,
) -> ControlCheck {
    let pass = stated == computed;
    ControlCheck {
        name: name.to_string(),
        locator: locator.to_string(),
        result: if pass {
            BalanceCheck::Pass
        } else {
            BalanceCheck::Fail
        },
        detail: if pass {
            format!("{stated}")
        } else {
            format!("stated {stated}, computed {computed}")
        },
    }
}

/// Sets an advice's check from the checks that cover it.
pub(crate) fn settle_advice(advice: &mut Advice, covering: &[&ControlCheck]) {
    advice.check = worst(covering.iter().map(|c| c.result));
    advice.check_detail = covering
        .iter()
        .filter(|c| c.result != BalanceCheck::Pass)
        .filter(|c| advice.check == BalanceCheck::NotCheckable || c.result == BalanceCheck::Fail)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect::<Vec<_>>()
        .join("; ");
}

/// Checks that `value` has no more decimals than `currency` allows.
pub(crate) fn check_scale(value: Decimal, currency: &str) -> Result<(), String> {
    let minor = crate::currency::currency_exponent(currency);
    if amount::has_excess_scale(value, minor) {
        Err(amount::excess_scale_message(&value.to_string(), currency))
    } else {
        Ok(())
    }
}

/// Validates a currency code against the ISO 4217 table.
pub(crate) fn known_currency(code: &str) -> bool {
    crate::currency::is_iso_4217(code)
}
