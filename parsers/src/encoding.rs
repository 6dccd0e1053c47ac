//! Decoding bank bytes to text. UTF-8 is checked strictly; other encodings are
//! used only when declared (XML prolog) or configured. Nothing guesses.

use crate::{ErrorKind, Location, ParseError};
use std::borrow::Cow;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Strips exactly one UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}

/// Decodes `bytes` with `label` (a WHATWG encoding label such as
/// `windows-1252`), or strictly as UTF-8 when `label` is `None`. Returns the
/// text and the canonical encoding name. An invalid byte is an error naming
/// its line and byte offset.
pub fn decode<'a>(
    file: &str,
    format: Option<&'static str>,
    bytes: &'a [u8],
    label: Option<&str>,
) -> Result<(Cow<'a, str>, &'static str), ParseError> {
    let bytes = strip_bom(bytes);
    match label {
        None => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((Cow::Borrowed(s), "UTF-8")),
            Err(e) => {
                let offset = e.valid_up_to();
                let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64;
                Err(ParseError::new(
                    file,
                    format,
                    Location::LineColumn(line, (offset - bytes[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1)) as u64 + 1),
                    ErrorKind::Encoding,
                    format!(
                        "byte 0x{:02X} at offset {offset} is not valid UTF-8; if the bank sends Latin-1 or Windows-1252, set `encoding` for this source",
                        bytes[offset]
                    ),
                ))
            }
        },
        Some(label) => {
            let enc = encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                ParseError::new(file, format, Location::Line(1), ErrorKind::Encoding, format!("unknown encoding `{label}`"))
            })?;
            let (text, had_errors) = enc.decode_without_bom_handling(bytes);
            if had_errors {
                return Err(ParseError::new(
                    file,
                    format,
                    Location::Line(1),
                    ErrorKind::Encoding,
                    format!("bytes that are not valid `{}`", enc.name()),
                ));
            }
            Ok((text, enc.name()))
        }
    }
}
