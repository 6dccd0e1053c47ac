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
        Some(label) if is_ibm852(label) => Ok((Cow::Owned(decode_ibm852(bytes)), IBM852_NAME)),
        Some(label) => {
            let enc = encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                ParseError::new(
                    file,
                    format,
                    Location::Line(1),
                    ErrorKind::Encoding,
                    format!("unknown encoding `{label}`"),
                )
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

/// Canonical name recorded in lineage for DOS Central European (code page 852).
pub const IBM852_NAME: &str = "IBM852";

/// Whether `label` is an encoding this crate can decode (a WHATWG label or
/// code page 852), so a configuration can be checked before any file is read.
pub fn is_known_label(label: &str) -> bool {
    is_ibm852(label) || encoding_rs::Encoding::for_label(label.trim().as_bytes()).is_some()
}

/// Whether `label` names code page 852. The WHATWG set behind `encoding_rs`
/// has no CP852, yet Hungarian, Czech and Polish bank exports (Raiffeisen HU
/// MT940) still use it, so it is decoded here from its own table.
fn is_ibm852(label: &str) -> bool {
    ["ibm852", "cp852", "852", "csPCp852"]
        .iter()
        .any(|l| l.eq_ignore_ascii_case(label.trim()))
}

/// Decodes CP852. Every byte maps to a character, so this cannot fail; it is
/// only ever used when the source is configured for it, never as a guess.
fn decode_ibm852(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b.checked_sub(0x80) {
            Some(high) => IBM852_HIGH[usize::from(high)],
            None => char::from(b),
        })
        .collect()
}

/// Bytes 0x80..=0xFF of code page 852 (the low half is ASCII).
#[rustfmt::skip]
const IBM852_HIGH: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{016F}', '\u{0107}', '\u{00E7}',
    '\u{0142}', '\u{00EB}', '\u{0150}', '\u{0151}', '\u{00EE}', '\u{0179}', '\u{00C4}', '\u{0106}',
    '\u{00C9}', '\u{0139}', '\u{013A}', '\u{00F4}', '\u{00F6}', '\u{013D}', '\u{013E}', '\u{015A}',
    '\u{015B}', '\u{00D6}', '\u{00DC}', '\u{0164}', '\u{0165}', '\u{0141}', '\u{00D7}', '\u{010D}',
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{0104}', '\u{0105}', '\u{017D}', '\u{017E}',
    '\u{0118}', '\u{0119}', '\u{00AC}', '\u{017A}', '\u{010C}', '\u{015F}', '\u{00AB}', '\u{00BB}',
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}', '\u{011A}',
    '\u{015E}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{017B}', '\u{017C}', '\u{2510}',
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{0102}', '\u{0103}',
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{00A4}',
    '\u{0111}', '\u{0110}', '\u{010E}', '\u{00CB}', '\u{010F}', '\u{0147}', '\u{00CD}', '\u{00CE}',
    '\u{011B}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{0162}', '\u{016E}', '\u{2580}',
    '\u{00D3}', '\u{00DF}', '\u{00D4}', '\u{0143}', '\u{0144}', '\u{0148}', '\u{0160}', '\u{0161}',
    '\u{0154}', '\u{00DA}', '\u{0155}', '\u{0170}', '\u{00FD}', '\u{00DD}', '\u{0163}', '\u{00B4}',
    '\u{00AD}', '\u{02DD}', '\u{02DB}', '\u{02C7}', '\u{02D8}', '\u{00A7}', '\u{00F7}', '\u{00B8}',
    '\u{00B0}', '\u{00A8}', '\u{02D9}', '\u{0171}', '\u{0158}', '\u{0159}', '\u{25A0}', '\u{00A0}',
];
