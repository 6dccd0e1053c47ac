//! Values (amounts with their currency and scale, signs, dates) and the
//! positions every error names.

use super::*;

impl<'a, 'o> CamtReader<'a, 'o> {
    pub(super) fn read_currency(
        &mut self,
        e: &BytesStart<'_>,
        depth: usize,
    ) -> Result<(), ParseError> {
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

    pub(super) fn money(&self, depth: usize) -> Result<Money, ParseError> {
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

    pub(super) fn sign(&self, depth: usize) -> Result<Sign, ParseError> {
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
    pub(super) fn date(&self, depth: usize, datetime: bool) -> Result<NaiveDate, ParseError> {
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
    pub(super) fn line_at(&mut self, pos: usize) -> u64 {
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
    pub(super) fn line_of(&self, pos: usize) -> u64 {
        let end = pos.min(self.text.len());
        1 + memchr::memchr_iter(b'\n', &self.text.as_bytes()[..end]).count() as u64
    }

    /// Path of the element at `depth`: the innermost container's locator
    /// followed by the element names below it.
    pub(super) fn path(&self, depth: usize) -> String {
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

    pub(super) fn location(&self, depth: usize) -> Location {
        let pos = self.frames.get(depth).map_or(0, |f| f.1);
        Location::Element {
            line: self.line_of(pos),
            path: self.path(depth),
        }
    }

    pub(super) fn error_at(&self, depth: usize, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(
            self.file,
            Some(FORMAT_NAME),
            self.location(depth),
            kind,
            message,
        )
    }

    /// An error at a byte offset inside the innermost open element.
    pub(super) fn error_at_offset(
        &self,
        pos: usize,
        kind: ErrorKind,
        message: String,
    ) -> ParseError {
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

    pub(super) fn xml_error(&self, pos: usize, e: &quick_xml::Error) -> ParseError {
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
