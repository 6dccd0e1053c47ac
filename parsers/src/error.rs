//! The one error type of the statement readers: where, what class, what.

use std::fmt;

/// Where in the input a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line.
    Line(u64),
    /// 1-based line and column (field number or character).
    LineColumn(u64, u64),
    /// XML element path with the line it starts on.
    Element {
        /// 1-based line where the element starts.
        line: u64,
        /// Element path, e.g. `Stmt[1]/Ntry[3]/Amt`.
        path: String,
    },
    /// Byte offset from the start of the file.
    Offset(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(l) => write!(f, "line {l}"),
            Location::LineColumn(l, c) => write!(f, "line {l}, column {c}"),
            Location::Element { line, path } => write!(f, "line {line}, element `{path}`"),
            Location::Offset(o) => write!(f, "byte {o}"),
        }
    }
}

/// Stable classes of parse failure; tests and callers match on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file cannot be read (missing, unreadable, not a regular file).
    Io,
    /// The file holds nothing but whitespace.
    Empty,
    /// The content matches no supported format.
    UnknownFormat,
    /// The bytes are not valid in the declared or configured encoding.
    Encoding,
    /// A record or element the format requires is missing (e.g. no `99` trailer).
    Truncated,
    /// A record is not what the format allows at that point.
    Structure,
    /// An amount does not match its grammar, is beyond the amount bound,
    /// or has more decimals than its currency allows.
    InvalidAmount,
    /// A date is malformed or not a calendar date.
    InvalidDate,
    /// A currency code is malformed.
    InvalidCurrency,
    /// A record or tag the format does not define.
    UnknownRecord,
    /// DTD, entity or other XML construct refused for safety.
    ForbiddenXml,
    /// A configured or built-in limit (size, records, depth) is exceeded.
    LimitExceeded,
    /// A required column or field is absent.
    MissingField,
}

impl ErrorKind {
    /// The stable code of this class (`INVALID_AMOUNT`), used in outputs.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Io => "IO",
            ErrorKind::Empty => "EMPTY_FILE",
            ErrorKind::UnknownFormat => "UNKNOWN_FORMAT",
            ErrorKind::Encoding => "ENCODING",
            ErrorKind::Truncated => "TRUNCATED",
            ErrorKind::Structure => "STRUCTURE",
            ErrorKind::InvalidAmount => "INVALID_AMOUNT",
            ErrorKind::InvalidDate => "INVALID_DATE",
            ErrorKind::InvalidCurrency => "INVALID_CURRENCY",
            ErrorKind::UnknownRecord => "UNKNOWN_RECORD",
            ErrorKind::ForbiddenXml => "FORBIDDEN_XML",
            ErrorKind::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorKind::MissingField => "MISSING_FIELD",
        }
    }
}

/// A file that cannot be read. The message says the format and location
/// first, then the problem, then (where useful) what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The file's name as given.
    pub file: String,
    /// The format's name (`bai2`, `camt`, `MT940`, `bank_csv`) once known.
    pub format: Option<&'static str>,
    /// Where the problem is.
    pub location: Location,
    /// Its class.
    pub kind: ErrorKind,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ParseError {
    /// An error at `location` of `file`.
    pub fn new(
        file: &str,
        format: Option<&'static str>,
        location: Location,
        kind: ErrorKind,
        message: String,
    ) -> Self {
        ParseError {
            file: file.to_string(),
            format,
            location,
            kind,
            message,
        }
    }

    /// A file that cannot be read.
    pub fn io(file: &str, err: &std::io::Error) -> Self {
        ParseError::new(
            file,
            None,
            Location::Offset(0),
            ErrorKind::Io,
            format!("cannot read file: {err}"),
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format {
            Some(fmt_name) => write!(
                f,
                "{fmt_name} file `{}`, {}: {}",
                self.file, self.location, self.message
            ),
            None => write!(
                f,
                "file `{}`, {}: {}",
                self.file, self.location, self.message
            ),
        }
    }
}

impl std::error::Error for ParseError {}
