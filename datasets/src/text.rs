//! Text noise as banks and payers produce it: upper-casing, transliteration,
//! truncation, typos and mangled invoice numbers.
//!
//! Every function appends to or edits a byte buffer that holds UTF-8, and
//! keeps it valid UTF-8 (edits touch ASCII bytes only).

use crate::csv_out::{push_padded, push_u128};
use crate::prng::Xoshiro256StarStar;

/// Appends `src` upper-cased (full Unicode mapping, `ß` becomes `SS`).
pub(crate) fn push_upper(out: &mut Vec<u8>, src: &[u8]) {
    let text = std::str::from_utf8(src).expect("generator text is UTF-8");
    for c in text.chars() {
        for u in c.to_uppercase() {
            let mut utf8 = [0; 4];
            out.extend_from_slice(u.encode_utf8(&mut utf8).as_bytes());
        }
    }
}

/// Appends `src` with letters outside ASCII spelled the way SEPA-era bank
/// systems do (`ü` → `ue`, `é` → `e`); other characters unchanged.
pub(crate) fn push_transliterated(out: &mut Vec<u8>, src: &[u8]) {
    let text = std::str::from_utf8(src).expect("generator text is UTF-8");
    for c in text.chars() {
        let replacement = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'Ä' => "Ae",
            'Ö' => "Oe",
            'Ü' => "Ue",
            'ß' => "ss",
            'é' | 'è' | 'ê' => "e",
            'á' | 'à' => "a",
            'í' => "i",
            'ó' => "o",
            'ø' => "o",
            'Ø' => "O",
            'å' => "a",
            'ñ' => "n",
            'č' => "c",
            'Ł' => "L",
            _ => {
                let mut utf8 = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                continue;
            }
        };
        out.extend_from_slice(replacement.as_bytes());
    }
}

/// Cuts `buf` to at most `chars_max` characters (never inside a character)
/// and drops trailing spaces, as a bank's fixed-width name field does.
pub(crate) fn truncate_chars(buf: &mut Vec<u8>, chars_max: usize) {
    let text = std::str::from_utf8(buf).expect("generator text is UTF-8");
    if let Some((cut, _)) = text.char_indices().nth(chars_max) {
        buf.truncate(cut);
    }
    while buf.last() == Some(&b' ') {
        buf.pop();
    }
}

/// Introduces one typo into an ASCII letter or digit past the first
/// character: a deletion, a doubled character, a swap with the next
/// character, or a neighbouring key. Returns false when `buf` has no
/// position to damage.
pub(crate) fn typo(buf: &mut Vec<u8>, rng: &mut Xoshiro256StarStar) -> bool {
    typo_after(buf, 0, rng)
}

/// [`typo`] restricted to positions after `from`.
fn typo_after(buf: &mut Vec<u8>, from: usize, rng: &mut Xoshiro256StarStar) -> bool {
    let candidates = buf
        .iter()
        .enumerate()
        .skip(from + 1)
        .filter(|(_, b)| b.is_ascii_alphanumeric())
        .count();
    if candidates == 0 {
        return false;
    }
    let nth = rng.index(candidates);
    let (pos, _) = buf
        .iter()
        .enumerate()
        .skip(from + 1)
        .filter(|(_, b)| b.is_ascii_alphanumeric())
        .nth(nth)
        .expect("nth < count");
    let byte = buf[pos];
    match rng.below(4) {
        0 => {
            buf.remove(pos);
        }
        1 => buf.insert(pos, byte),
        2 if pos + 1 < buf.len()
            && buf[pos + 1].is_ascii_alphanumeric()
            && buf[pos + 1] != byte =>
        {
            buf.swap(pos, pos + 1);
        }
        _ => buf[pos] = neighbour_key(byte),
    }
    true
}

/// A key next to `b` on a QWERTY/QWERTZ keyboard (same case), or a
/// neighbouring digit.
fn neighbour_key(b: u8) -> u8 {
    const ROWS: [&[u8]; 3] = [b"qwertzuiop", b"asdfghjkl", b"yxcvbnm"];
    if b.is_ascii_digit() {
        return if b == b'9' { b'8' } else { b + 1 };
    }
    let lower = b.to_ascii_lowercase();
    for row in ROWS {
        if let Some(i) = row.iter().position(|&k| k == lower) {
            let n = if i + 1 < row.len() {
                row[i + 1]
            } else {
                row[i - 1]
            };
            return if b.is_ascii_uppercase() {
                n.to_ascii_uppercase()
            } else {
                n
            };
        }
    }
    b'x'
}

/// Appends a mangled form of invoice number `INV-<year>-<sequence>` as
/// customers type or OCR reads it. Never equals the canonical form.
pub(crate) fn push_noisy_invoice_number(
    out: &mut Vec<u8>,
    rng: &mut Xoshiro256StarStar,
    year: u16,
    sequence: u64,
    width: usize,
) {
    let start = out.len();
    let mut variant = rng.below(7);
    let has_leading_zeros = sequence < 10u64.pow(width.saturating_sub(1) as u32);
    if variant == 2 && !has_leading_zeros {
        // No zeros to drop: drop the separators instead.
        variant = 0;
    }
    match variant {
        0 => {
            // Separators dropped: INV2026000123.
            out.extend_from_slice(b"INV");
            push_u128(out, u128::from(year));
            push_padded(out, sequence, width);
        }
        1 => {
            // Lower case with spaces: inv 2026 000123.
            out.extend_from_slice(b"inv ");
            push_u128(out, u128::from(year));
            out.push(b' ');
            push_padded(out, sequence, width);
        }
        2 => {
            // Leading zeros dropped: INV-2026-123.
            out.extend_from_slice(b"INV-");
            push_u128(out, u128::from(year));
            out.push(b'-');
            push_u128(out, u128::from(sequence));
        }
        3 => {
            // Other separators: INV/2026/000123, INV.2026.000123, INV_2026_000123.
            let sep = *rng.pick(b"/._");
            out.extend_from_slice(b"INV");
            out.push(sep);
            push_u128(out, u128::from(year));
            out.push(sep);
            push_padded(out, sequence, width);
        }
        4 => {
            // Prefix left out: "Re-Nr. 2026/000123".
            push_u128(out, u128::from(year));
            out.push(*rng.pick(b"/-"));
            push_padded(out, sequence, width);
        }
        5 => {
            crate::ledger::push_invoice_number(out, year, sequence, width);
            ocr_confusion(out, start, rng);
        }
        _ => {
            crate::ledger::push_invoice_number(out, year, sequence, width);
            // One typo in the digits, which may name another real invoice:
            // only the amount tells them apart.
            typo_after(out, start + 4, rng);
        }
    }
    debug_assert!(!is_canonical(&out[start..], year, sequence, width));
}

/// Replaces one character of the number part (after `INV-`) with its OCR
/// look-alike: 0↔O, 1↔I, 5↔S, 8↔B.
fn ocr_confusion(out: &mut [u8], start: usize, rng: &mut Xoshiro256StarStar) {
    let confusable = |b: u8| matches!(b, b'0' | b'1' | b'5' | b'8');
    let body = start + 4;
    let count = out[body..].iter().filter(|&&b| confusable(b)).count();
    // The year 20xx always holds a 0, so count > 0.
    let nth = rng.index(count);
    let pos = body
        + out[body..]
            .iter()
            .enumerate()
            .filter(|(_, &b)| confusable(b))
            .nth(nth)
            .expect("nth < count")
            .0;
    out[pos] = match out[pos] {
        b'0' => b'O',
        b'1' => b'I',
        b'5' => b'S',
        _ => b'B',
    };
}

fn is_canonical(text: &[u8], year: u16, sequence: u64, width: usize) -> bool {
    let mut canonical = Vec::with_capacity(32);
    crate::ledger::push_invoice_number(&mut canonical, year, sequence, width);
    text == canonical.as_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(buf: &[u8]) -> &str {
        std::str::from_utf8(buf).unwrap()
    }

    #[test]
    fn upper_and_transliterate_keep_utf8() {
        let mut out = Vec::new();
        push_upper(&mut out, "Müller Weiß".as_bytes());
        assert_eq!(s(&out), "MÜLLER WEISS");
        out.clear();
        push_transliterated(&mut out, "Schröder Lefèvre".as_bytes());
        assert_eq!(s(&out), "Schroeder Lefevre");
    }

    #[test]
    fn truncation_respects_characters() {
        let mut buf = "Müller Logistik GmbH".as_bytes().to_vec();
        truncate_chars(&mut buf, 7);
        assert_eq!(s(&buf), "Müller");
    }

    #[test]
    fn noisy_numbers_never_equal_the_canonical_one() {
        let mut rng = Xoshiro256StarStar::seed_from_u64(9);
        for seq in [1u64, 123, 500_005, 111_111] {
            for _ in 0..200 {
                let mut out = Vec::new();
                push_noisy_invoice_number(&mut out, &mut rng, 2026, seq, 6);
                assert!(!is_canonical(&out, 2026, seq, 6), "{}", s(&out));
                assert!(std::str::from_utf8(&out).is_ok());
            }
        }
    }

    #[test]
    fn typos_change_the_text() {
        let mut rng = Xoshiro256StarStar::seed_from_u64(10);
        for _ in 0..200 {
            let mut buf = b"Nordic Steel".to_vec();
            assert!(typo(&mut buf, &mut rng));
            assert_ne!(buf, b"Nordic Steel");
        }
    }
}
