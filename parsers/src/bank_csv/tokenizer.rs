//! The CSV tokenizer: RFC 4180 records over the decoded text, filling one
//! reusable row buffer.

use super::*;

/// One CSV record: unescaped field text packed into one buffer.
#[derive(Debug, Default)]
pub(super) struct Row {
    pub(super) buf: String,
    pub(super) ends: Vec<usize>,
    /// 1-based line the record starts on.
    pub(super) line: u64,
}

impl Row {
    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        self.buf.get(start..end)
    }

    pub(super) fn fields(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    pub(super) fn is_blank(&self) -> bool {
        self.fields().all(|f| f.trim().is_empty())
    }
}

/// RFC 4180 reader over decoded text.
pub(super) struct Tokenizer<'t> {
    pub(super) text: &'t str,
    pub(super) pos: usize,
    pub(super) line: u64,
    pub(super) delimiter: u8,
    pub(super) record_bytes_max: usize,
}

impl<'t> Tokenizer<'t> {
    pub(super) fn new(text: &'t str, delimiter: u8, record_bytes_max: usize) -> Self {
        Tokenizer {
            text,
            pos: 0,
            line: 1,
            delimiter,
            record_bytes_max,
        }
    }

    pub(super) fn slice(&self, start: usize, end: usize) -> &'t str {
        self.text.get(start..end).unwrap_or_default()
    }

    /// Reads the next record into `row`; `Ok(false)` at end of input.
    pub(super) fn read_row(&mut self, file: &str, row: &mut Row) -> Result<bool, ParseError> {
        row.clear();
        row.line = self.line;
        let bytes = self.text.as_bytes();
        if self.pos >= bytes.len() {
            return Ok(false);
        }
        loop {
            let at_quote = bytes.get(self.pos) == Some(&b'"');
            if at_quote {
                self.read_quoted(file, row)?;
            }
            // Unquoted field, or text after a closing quote (kept as is).
            let rest = bytes.get(self.pos..).unwrap_or_default();
            let end =
                memchr::memchr2(self.delimiter, b'\n', rest).map_or(bytes.len(), |i| self.pos + i);
            let mut field_end = end;
            if bytes.get(end) != Some(&self.delimiter)
                && field_end > self.pos
                && bytes.get(field_end - 1) == Some(&b'\r')
            {
                field_end -= 1;
            }
            row.buf.push_str(self.slice(self.pos, field_end));
            row.ends.push(row.buf.len());
            if row.buf.len() > self.record_bytes_max {
                return Err(ParseError::new(
                    file,
                    Some(FORMAT_NAME),
                    Location::Line(row.line),
                    ErrorKind::LimitExceeded,
                    format!(
                        "record is longer than {} bytes (raise `limits.line_bytes_max`)",
                        self.record_bytes_max
                    ),
                ));
            }
            match bytes.get(end) {
                Some(&b) if b == self.delimiter => self.pos = end + 1,
                Some(_) => {
                    self.pos = end + 1;
                    self.line += 1;
                    return Ok(true);
                }
                None => {
                    self.pos = bytes.len();
                    return Ok(true);
                }
            }
        }
    }

    /// Reads a quoted field starting at `self.pos` (on the opening quote)
    /// and leaves `self.pos` after the closing quote.
    pub(super) fn read_quoted(&mut self, file: &str, row: &mut Row) -> Result<(), ParseError> {
        let bytes = self.text.as_bytes();
        let start_line = self.line;
        let mut pos = self.pos + 1;
        loop {
            let rest = bytes.get(pos..).unwrap_or_default();
            let Some(q) = memchr::memchr(b'"', rest).map(|i| pos + i) else {
                return Err(ParseError::new(
                    file,
                    Some(FORMAT_NAME),
                    Location::Line(start_line),
                    ErrorKind::Structure,
                    "quoted field is never closed (missing `\"`)".into(),
                ));
            };
            let chunk = self.slice(pos, q);
            self.line += memchr::memchr_iter(b'\n', chunk.as_bytes()).count() as u64;
            row.buf.push_str(chunk);
            if row.buf.len() > self.record_bytes_max {
                return Err(ParseError::new(
                    file,
                    Some(FORMAT_NAME),
                    Location::Line(start_line),
                    ErrorKind::LimitExceeded,
                    format!(
                        "record is longer than {} bytes (raise `limits.line_bytes_max`)",
                        self.record_bytes_max
                    ),
                ));
            }
            if bytes.get(q + 1) == Some(&b'"') {
                row.buf.push('"');
                pos = q + 2;
            } else {
                self.pos = q + 1;
                return Ok(());
            }
        }
    }
}
