//! Physical lines and the fields (`:tag:` plus continuation lines) they
//! form.

/// A physical line with control characters (SOH, ETX, CR) removed from its ends.
#[derive(Clone, Copy)]
pub(super) struct Line<'t> {
    pub(super) number: u64,
    pub(super) text: &'t str,
}

/// Splits the text into lines with `memchr`, without allocating.
#[derive(Clone)]
pub(super) struct Lines<'t> {
    pub(super) text: &'t str,
    pub(super) pos: usize,
    pub(super) number: u64,
}

impl<'t> Lines<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Lines {
            text,
            pos: 0,
            number: 0,
        }
    }
}

impl<'t> Iterator for Lines<'t> {
    type Item = Line<'t>;

    fn next(&mut self) -> Option<Line<'t>> {
        if self.pos >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.pos..];
        let end = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
        self.pos += (end + 1).min(rest.len());
        self.number += 1;
        Some(Line {
            number: self.number,
            text: clean(&rest[..end]),
        })
    }
}

/// Strips CR and the SOH/ETX framing bytes some banks add; spaces are kept
/// because the 65-column wrap rule needs the padded length.
pub(super) fn clean(line: &str) -> &str {
    line.trim_matches(|c: char| c.is_ascii_control() && c != '\t')
}

/// `:NN[A]:` or `:NS:` at the start of a line: returns the tag and the rest.
pub(super) fn split_tag(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if b.first() != Some(&b':') {
        return None;
    }
    let tag_len = if b.len() >= 4 && &b[1..3] == b"NS" {
        2
    } else if b.len() >= 4 && b[1].is_ascii_digit() && b[2].is_ascii_digit() {
        if b[3].is_ascii_uppercase() {
            3
        } else {
            2
        }
    } else {
        return None;
    };
    if b.get(1 + tag_len) != Some(&b':') {
        return None;
    }
    Some((&line[1..1 + tag_len], &line[2 + tag_len..]))
}

/// A field being collected: its tag, first line and continuation lines.
pub(super) struct Field<'t> {
    pub(super) tag: &'t str,
    pub(super) line: u64,
    pub(super) lines: Vec<&'t str>,
}

impl Field<'_> {
    /// All lines concatenated without separators: right for short fields
    /// that banks wrap mid-token (ING `:28C:0000` / `0`).
    pub(super) fn compact(&self) -> String {
        let mut out = String::with_capacity(self.lines.iter().map(|l| l.len()).sum());
        for l in &self.lines {
            out.push_str(l);
        }
        out
    }
}
