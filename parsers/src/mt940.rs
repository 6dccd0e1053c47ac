//! TODO(helper): mt940 reader.
use crate::{ParseError, ParseOptions, ParsedFile, Source};

pub fn parse(source: &Source<'_>, _options: &ParseOptions) -> Result<ParsedFile, ParseError> {
    Err(ParseError::new(source.name, None, crate::Location::Line(1), crate::ErrorKind::UnknownFormat, "not implemented".into()))
}
