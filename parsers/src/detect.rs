//! Format detection by content. File extensions lie (`.txt`, `.dat`, `.940`);
//! the first meaningful bytes do not.

use crate::remittance::RemittanceFormat;
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
    // A remittance file (X12, NACHA, lockbox, remt.001) is not a bank
    // statement; without this a lockbox or 820 with a comma in a name
    // would be read as a bank CSV. camt.054 is both and stays a statement.
    if detect_remittance(bytes).is_some_and(|f| f != RemittanceFormat::Camt054) {
        return None;
    }
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

/// Detects a remittance format by content: `ISA` opens an X12 interchange
/// (an 820 or, if not, a clear error from the 820 reader); `101` with record
/// size `094` at columns 35-37 is a NACHA file header; a record `1` of
/// letters, digits and spaces followed by a record `2` or `5` is a BAI
/// lockbox; an XML document is remt.001 by its `RmtAdvc` root or
/// namespace, and camt.054 is read for its structured remittance too.
/// Remittance CSVs are recognised only against configured layouts
/// ([`crate::remittance::detect`]).
pub fn detect_remittance(bytes: &[u8]) -> Option<RemittanceFormat> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = crate::encoding::strip_bom(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    if head.starts_with(b"ISA") && head.len() > 3 && !head[3].is_ascii_alphanumeric() {
        return Some(RemittanceFormat::X12_820);
    }
    if head.starts_with(b"101") && head.get(34..37) == Some(b"094".as_slice()) {
        return Some(RemittanceFormat::Nacha);
    }
    if looks_like_lockbox(head) {
        return Some(RemittanceFormat::Lockbox);
    }
    if head.starts_with(b"<") {
        let xml = &bytes[start..bytes.len().min(start + 65536)];
        if contains(xml, b"RmtAdvc") || contains(xml, b"remt.001") {
            return Some(RemittanceFormat::Remt001);
        }
        // The root names the message; comments may mention other ones
        // (`... on the camt.053 message`), so the root is asked first.
        if contains(xml, b"BkToCstmrDbtCdtNtfctn") || detect_camt(xml) == Some(Format::Camt054) {
            return Some(RemittanceFormat::Camt054);
        }
    }
    None
}

/// Record 1 (immediate address header) of letters, digits and spaces,
/// 20 to 104 characters, and a next record of type 2 (service) or 5
/// (batch header) of the same alphabet: no delimiter of a CSV.
fn looks_like_lockbox(head: &[u8]) -> bool {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let (Some(first), Some(second)) = (lines.next(), lines.next()) else {
        return false;
    };
    let plain = |l: &[u8]| {
        l.iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b' ' || b".-/&".contains(b))
    };
    first.first() == Some(&b'1')
        && (20..=104).contains(&first.len())
        && first
            .get(1..3)
            .is_some_and(|p| p.iter().all(u8::is_ascii_digit))
        && matches!(second.first(), Some(b'2' | b'5'))
        && plain(first)
        && plain(second)
}
