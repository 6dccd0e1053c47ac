//! Pieces of physical lines, the segments and fields of logical records,
//! and the record codes that split them.

use super::*;

/// One piece of a logical record: the head (after `NN,`), an `88`
/// continuation (after `88,`), or a line without a record code that
/// continues 16 text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segment<'t> {
    pub(super) line: u64,
    pub(super) body: &'t str,
    pub(super) kind: SegmentKind,
    /// The piece ended with the `/` record terminator.
    pub(super) terminated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SegmentKind {
    Head,
    Continuation,
    Bare,
}

/// A field with the place it came from, for error locations.
#[derive(Debug, Clone, Copy)]
pub(super) struct Field<'t> {
    pub(super) text: &'t str,
    pub(super) line: u64,
    /// 1-based field number within its physical piece; the record code is 1.
    pub(super) col: u64,
}

impl<'t> Field<'t> {
    pub(super) fn trimmed(&self) -> &'t str {
        trim_fast(self.text)
    }
    pub(super) fn is_blank(&self) -> bool {
        trim_fast(self.text).is_empty()
    }
    pub(super) fn location(&self) -> Location {
        Location::LineColumn(self.line, self.col)
    }
}

/// Walks the comma-separated fields of a logical record across its head and
/// `88` segments. Bare segments (text lines without a code) hold no fields.
pub(super) struct Fields<'r, 't> {
    pub(super) segments: &'r [Segment<'t>],
    pub(super) next_segment: usize,
    pub(super) rest: Option<&'t str>,
    pub(super) line: u64,
    pub(super) col: u64,
}

impl<'r, 't> Fields<'r, 't> {
    pub(super) fn new(segments: &'r [Segment<'t>]) -> Self {
        Fields {
            segments,
            next_segment: 0,
            rest: None,
            line: 0,
            col: 0,
        }
    }

    pub(super) fn next_field(&mut self) -> Option<Field<'t>> {
        loop {
            if let Some(rest) = self.rest {
                let (text, after) = match memchr::memchr(b',', rest.as_bytes()) {
                    Some(i) => (rest.get(..i).unwrap_or_default(), rest.get(i + 1..)),
                    None => (rest, None),
                };
                self.rest = after;
                self.col += 1;
                return Some(Field {
                    text,
                    line: self.line,
                    col: self.col,
                });
            }
            let segment = self.segments.get(self.next_segment)?;
            if segment.kind == SegmentKind::Bare {
                return None;
            }
            self.next_segment += 1;
            self.rest = Some(segment.body);
            self.line = segment.line;
            self.col = 1;
        }
    }

    /// The unread remainder of the current segment (16 text with its
    /// commas), and the index of the first segment not yet touched.
    pub(super) fn take_rest(&mut self) -> (Option<&'t str>, usize) {
        (self.rest.take(), self.next_segment)
    }

    /// True when the field just read was the last one of its segment.
    pub(super) fn at_segment_end(&self) -> bool {
        self.rest.is_none()
    }

    /// Where the record ran out, for "field missing" errors.
    pub(super) fn end_location(&self) -> Location {
        Location::LineColumn(self.line, self.col + 1)
    }
}

/// The logical record being assembled.
#[derive(Debug, Default)]
pub(super) struct Record<'t> {
    pub(super) code: u8,
    pub(super) line: u64,
    pub(super) segments: Vec<Segment<'t>>,
    pub(super) bytes: usize,
}

impl Record<'_> {
    /// Records this logical record counts for in 49/98/99 record counts:
    /// itself and each `88`; lines without a record code do not count.
    pub(super) fn physical_records(&self) -> u64 {
        self.segments
            .iter()
            .filter(|s| s.kind != SegmentKind::Bare)
            .count() as u64
    }
}

pub(super) enum Code {
    Known(u8),
    Unknown(u8, u8),
}

/// Bytes sampled from the top of a file to estimate its number of 16 records.
pub(super) const ESTIMATE_SAMPLE_BYTES: usize = 64 * 1024;

/// Estimates the number of `16` detail records from the first
/// [`ESTIMATE_SAMPLE_BYTES`], scaled to the file size, plus one eighth of
/// slack; exact for files no larger than the sample.
pub(super) fn estimate_details(bytes: &[u8]) -> u64 {
    let sample = bytes.get(..ESTIMATE_SAMPLE_BYTES).unwrap_or(bytes);
    let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', sample).map(|i| i + 1));
    let details = starts
        .filter(|&i| sample.get(i..i + 3) == Some(b"16,"))
        .count() as u64;
    if sample.len() == bytes.len() || sample.is_empty() {
        return details;
    }
    let scaled = details.saturating_mul(bytes.len() as u64) / sample.len() as u64;
    scaled.saturating_add(scaled / 8)
}

/// Reads the record code at the start of a piece: two digits followed by a
/// comma, a `/` or the end of the piece.
pub(super) fn record_code(piece: &str) -> Option<Code> {
    let bytes = piece.as_bytes();
    let (a, b) = (*bytes.first()?, *bytes.get(1)?);
    if !a.is_ascii_digit() || !b.is_ascii_digit() {
        return None;
    }
    if !matches!(bytes.get(2), None | Some(b',') | Some(b'/')) {
        return None;
    }
    let code = (a - b'0') * 10 + (b - b'0');
    Some(match code {
        1 | 2 | 3 | 16 | 49 | 88 | 98 | 99 => Code::Known(code),
        _ => Code::Unknown(a, b),
    })
}

/// The text after `NN,` (or after `NN` when the record has no fields).
pub(super) fn after_code(piece: &str) -> &str {
    piece
        .get(3..)
        .or_else(|| piece.get(2..))
        .unwrap_or_default()
}

/// Finds where one record ends and the next starts on the same physical
/// line: a `/` followed by at least one space and a known record code.
/// Returns (end of the first piece including its `/`, start of the next).
pub(super) fn find_record_split(line: &str) -> Option<(usize, usize)> {
    let bytes = line.as_bytes();
    for slash in memchr::memchr_iter(b'/', bytes) {
        let after = slash + 1;
        let spaces = bytes
            .get(after..)?
            .iter()
            .take_while(|&&b| b == b' ')
            .count();
        if spaces == 0 {
            continue;
        }
        let next = after + spaces;
        let rest = line.get(next..)?;
        if rest.as_bytes().get(2) == Some(&b',')
            && matches!(record_code(rest), Some(Code::Known(_)))
        {
            return Some((after, next));
        }
    }
    None
}
