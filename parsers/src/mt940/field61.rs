//! The `:61:` statement line grammar: value date, entry date, mark, amount,
//! type and references.

use super::*;

/// The pieces of a `:61:` first line, as slices of it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Entry61<'a> {
    pub(super) value_date: &'a str,
    pub(super) entry_date: Option<&'a str>,
    pub(super) mark: &'a str,
    pub(super) funds_code: Option<char>,
    pub(super) amount: &'a str,
    pub(super) tx_type: &'a str,
    pub(super) type_warning: bool,
    pub(super) customer_ref: &'a str,
    pub(super) has_bank_ref: bool,
    pub(super) bank_ref: &'a str,
}

/// Hand-written form of
/// `^(\d{6})(\d{4}|\s{4})?(RC|RD|EC|ED|C|D)([A-Z])?(\d+(?:,\d*)?)` followed by
/// the transaction type, the customer reference and `//bank reference`.
pub(super) fn parse_61(s: &str) -> Result<Entry61<'_>, (ErrorKind, &'static str)> {
    let b = s.as_bytes();
    if b.len() < 6 || !b[..6].iter().all(u8::is_ascii_digit) {
        return Err((
            ErrorKind::InvalidDate,
            "must start with the value date YYMMDD",
        ));
    }
    let mut i = 6;
    let mut entry_date = None;
    if b.len() >= 10 && b[6..10].iter().all(u8::is_ascii_digit) {
        entry_date = Some(&s[6..10]);
        i = 10;
    } else if b.len() >= 10 && &b[6..10] == b"    " {
        i = 10;
    }
    let mark_len = if b[i..].starts_with(b"RC")
        || b[i..].starts_with(b"RD")
        || b[i..].starts_with(b"EC")
        || b[i..].starts_with(b"ED")
    {
        2
    } else if matches!(b.get(i), Some(b'C' | b'D')) {
        1
    } else {
        return Err((
            ErrorKind::Structure,
            "has no debit/credit mark (C, D, RC, RD, EC, ED) after the dates",
        ));
    };
    let mark = &s[i..i + mark_len];
    i += mark_len;
    let mut funds_code = None;
    if let Some(&c) = b.get(i) {
        if c.is_ascii_uppercase() {
            funds_code = Some(char::from(c));
            i += 1;
        }
    }
    let start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == start {
        return Err((
            ErrorKind::InvalidAmount,
            "has no amount after the debit/credit mark",
        ));
    }
    if b.get(i) == Some(&b',') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let amount = &s[start..i];
    let rest = &s[i..];
    let rb = rest.as_bytes();
    // What follows the amount is a type letter, `//` or nothing; anything
    // else (`1.000,00`) means the amount itself is malformed.
    if !rb.is_empty() && !rb[0].is_ascii_uppercase() && rb[0] != b'/' {
        return Err((
            ErrorKind::InvalidAmount,
            "has an amount that is not digits with a decimal comma",
        ));
    }
    // Transaction type: N/F/S + 3 characters, but missing entirely in Penta
    // (`D20,00NONREF`) and Zenith (`CN220000,00//192...`) files.
    let (tx_type, type_warning, after_type) =
        if rest.starts_with("//") || rest.starts_with("NONREF") || rb.len() < 4 {
            ("", false, rest)
        } else if matches!(rb[0], b'N' | b'F' | b'S') && rest.is_char_boundary(4) {
            (&rest[..4], false, &rest[4..])
        } else if rb[0].is_ascii_uppercase()
            && rb[1..4].iter().all(u8::is_ascii_alphanumeric)
            && rb.len() > 4
        {
            (&rest[..4], true, &rest[4..])
        } else {
            ("", false, rest)
        };
    let (customer_ref, has_bank_ref, bank_ref) = match after_type.find("//") {
        Some(p) => (&after_type[..p], true, &after_type[p + 2..]),
        None => (after_type, false, ""),
    };
    Ok(Entry61 {
        value_date: &s[..6],
        entry_date,
        mark,
        funds_code,
        amount,
        tx_type,
        type_warning,
        customer_ref,
        has_bank_ref,
        bank_ref,
    })
}
