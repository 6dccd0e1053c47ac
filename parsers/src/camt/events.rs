//! The event loop: start and end tags, text, references; the element stack
//! and its depth cap.

use super::*;

impl<'a, 'o> CamtReader<'a, 'o> {
    pub(super) fn start(&mut self, e: &BytesStart<'_>, pos: usize) -> Result<(), ParseError> {
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

    pub(super) fn end(&mut self) -> Result<(), ParseError> {
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

    pub(super) fn push_text(&mut self, text: &str, pos: usize) -> Result<(), ParseError> {
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
    pub(super) fn general_ref(&mut self, r: &BytesRef<'_>, pos: usize) -> Result<(), ParseError> {
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
}
