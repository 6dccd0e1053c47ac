use std::fmt;

/// Where in the input a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line.
    Line(u64),
    /// 1-based line and column (field number or character).
    LineColumn(u64, u64),
    /// XML element path with the line it starts on.
    Element { line: u64, path: String },
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
    Io,
    Empty,
    UnknownFormat,
    Encoding,
    /// A record or element the format requires is missing (e.g. no `99` trailer).
    Truncated,
    /// A record is not what the format allows at that point.
    Structure,
    InvalidAmount,
    InvalidDate,
    InvalidCurrency,
    UnknownRecord,
    /// DTD, entity or other XML construct refused for safety.
    ForbiddenXml,
    LimitExceeded,
    /// A required column or field is absent.
    MissingField,
}

impl ErrorKind {
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
    pub file: String,
    pub format: Option<&'static str>,
    pub location: Location,
    pub kind: ErrorKind,
    pub message: String,
}

impl ParseError {
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
