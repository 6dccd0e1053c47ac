//! Format detection by content. File extensions lie (`.txt`, `.dat`, `.940`);
//! the first meaningful bytes do not.

use crate::Format;

/// Guesses the format from the first bytes of the file. Returns `None` when
/// nothing matches, so the caller can report an unknown format.
pub fn detect_format(bytes: &[u8]) -> Option<Format> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = crate::encoding::strip_bom(head);
    // Skip leading whitespace and the SOH byte some MT940 exports start with.
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace() && *b != 0x01)
        .unwrap_or(head.len());
    let head = &head[start..];
    if head.starts_with(b"<") {
        return detect_camt(&bytes[start..bytes.len().min(start + 65536)]);
    }
    if head.starts_with(b"01,") {
        return Some(Format::Bai2);
    }
    if looks_like_mt940(head) {
        return Some(
            if contains(head, b"O942") || contains(head, b":13D:") || contains(head, b":34F:") {
                Format::Mt942
            } else {
                Format::Mt940
            },
        );
    }
    if head.iter().any(|&b| b == b',' || b == b';' || b == b'\t') {
        return Some(Format::BankCsv);
    }
    None
}

fn detect_camt(head: &[u8]) -> Option<Format> {
    if contains(head, b"BkToCstmrStmt") || contains(head, b"camt.053") {
        Some(Format::Camt053)
    } else if contains(head, b"BkToCstmrAcctRpt") || contains(head, b"camt.052") {
        Some(Format::Camt052)
    } else if contains(head, b"BkToCstmrDbtCdtNtfctn") || contains(head, b"camt.054") {
        Some(Format::Camt054)
    } else {
        None
    }
}

fn looks_like_mt940(head: &[u8]) -> bool {
    head.starts_with(b"{1:")
        || contains(head, b"\n:20:")
        || head.starts_with(b":20:")
        || contains(head, b":60F:")
        || contains(head, b":25:")
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}
