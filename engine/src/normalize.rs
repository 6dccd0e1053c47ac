//! Text normalisation for matching. Raw text is kept verbatim in outputs for
//! audit; these normalised forms are used only for comparison. Normalisation
//! never fails.

/// The comparison key of a reference: alphanumeric characters only,
/// upper-cased. `INV-2026-000123`, `inv 2026 000123` and `INV2026000123`
/// share the key `INV2026000123`. Zero-width and bidi control characters are
/// not alphanumeric, so they vanish here and cannot hide a reference.
pub fn reference_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    push_reference_key(text, &mut key);
    key
}

/// Appends the reference key of `text` to `out` (reuses the caller's buffer).
pub fn push_reference_key(text: &str, out: &mut String) {
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if c.is_alphanumeric() {
            out.extend(c.to_uppercase());
        }
    }
}

/// 64-bit FNV-1a state, extended byte by byte so that a key built from
/// several remittance tokens hashes the same as the invoice id it spells.
#[derive(Debug, Clone, Copy)]
pub struct KeyHasher(u64);

impl KeyHasher {
    // FNV-1a parameters from the reference specification (Fowler/Noll/Vo).
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// A hasher over no tokens yet.
    pub fn new() -> Self {
        KeyHasher(Self::OFFSET)
    }

    /// Feeds one already-normalised (upper-case alphanumeric) byte.
    #[inline]
    pub fn push(&mut self, byte: u8) {
        self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(Self::PRIME);
    }

    /// Feeds the key bytes of a raw token, normalising on the fly.
    #[inline]
    pub fn push_token(&mut self, token: &str) {
        for b in token.bytes() {
            if b.is_ascii_alphanumeric() {
                self.push(b.to_ascii_uppercase());
            } else if b >= 0x80 {
                // Non-ASCII bytes are hashed as-is; `reference_key` upper-cases
                // them, so such keys only match when written identically. Invoice
                // numbers are ASCII in every ERP we know.
                self.push(b);
            }
        }
    }

    /// The finished hash, passed through the SplitMix64 finaliser so that
    /// hash-table buckets are evenly used.
    #[inline]
    pub fn finish(self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Default for KeyHasher {
    fn default() -> Self {
        Self::new()
    }
}

/// Hash of the reference key of `text`.
pub fn reference_hash(text: &str) -> u64 {
    let mut h = KeyHasher::new();
    h.push_token(text);
    h.finish()
}

/// Unicode decimal digit blocks folded to ASCII besides the full-width
/// forms: Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali, Thai.
const DIGIT_BLOCKS: [u32; 5] = [0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50];

/// The ASCII form of `c` under compatibility folding (what NFKC does to
/// digits and Latin letters): full-width forms (`１２３`, `ＩＮＶ`, U+FF01..U+FF5E),
/// the ideographic space, and decimal digits of other scripts. `None` when
/// `c` is left as it is.
#[inline]
fn fold_char(c: char) -> Option<char> {
    let u = c as u32;
    if (0xFF01..=0xFF5E).contains(&u) {
        return char::from_u32(u - 0xFEE0);
    }
    if u == 0x3000 {
        return Some(' ');
    }
    DIGIT_BLOCKS
        .iter()
        .find(|&&zero| (zero..zero + 10).contains(&u))
        .and_then(|&zero| char::from_digit(u - zero, 10))
}

/// `text` with full-width letters and digits, and the decimal digits of
/// other scripts, read as ASCII (issue 9: `Ｒｅｃｈｎｕｎｇ １２３４５` is
/// `Rechnung 12345`). Borrowed unchanged when there is nothing to fold,
/// which is almost always (PERF: no allocation per ASCII remittance).
pub fn fold_compat(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii() || !text.chars().any(|c| fold_char(c).is_some()) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().map(|c| fold_char(c).unwrap_or(c)).collect())
}

/// Splits remittance text into alphanumeric tokens (separators are anything
/// else). Returns byte ranges so callers do not allocate.
pub fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

/// True when the reference key of `text` equals the concatenated keys of `tokens`.
pub fn key_equals_tokens(text: &str, tokens: &[&str]) -> bool {
    let mut want = text
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_uppercase());
    for t in tokens {
        for b in t
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_uppercase())
        {
            if want.next() != Some(b) {
                return false;
            }
        }
    }
    want.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_case_do_not_matter() {
        for s in [
            "INV-2026-000123",
            "inv 2026 000123",
            "INV2026000123",
            "Inv/2026/000123",
        ] {
            assert_eq!(reference_key(s), "INV2026000123");
            assert_eq!(reference_hash(s), reference_hash("INV2026000123"));
        }
        assert_ne!(
            reference_hash("INV2026000123"),
            reference_hash("INV2026000124")
        );
    }

    #[test]
    fn full_width_and_other_script_digits_fold_to_ascii() {
        assert_eq!(fold_compat("Ｒｅｃｈｎｕｎｇ １２３４５"), "Rechnung 12345");
        assert_eq!(fold_compat("INV-２０２６-０１９８４６"), "INV-2026-019846");
        assert_eq!(fold_compat("\u{0661}\u{0662}\u{0663}"), "123");
        assert!(matches!(
            fold_compat("INV-1"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert!(matches!(
            fold_compat("Müller"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn zero_width_characters_vanish() {
        assert_eq!(reference_key("INV\u{200B}-2026-000123"), "INV2026000123");
    }

    #[test]
    fn token_equality() {
        assert!(key_equals_tokens(
            "INV-2026-000123",
            &["inv", "2026", "000123"]
        ));
        assert!(!key_equals_tokens("INV-2026-000123", &["inv", "2026"]));
        assert!(!key_equals_tokens(
            "INV-2026-000123",
            &["inv", "2026", "0001234"]
        ));
    }
}
