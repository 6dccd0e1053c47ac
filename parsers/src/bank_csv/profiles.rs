//! The built-in bank CSV profiles, kept as data: one TOML file per export
//! under `bank_csv/profiles/`, embedded in the binary with `include_str!` and
//! parsed once, on first use. A file has exactly the shape of a user's
//! `[[csv_profiles]]` entry ([`CsvProfile`]), so a built-in profile can be
//! copied into a configuration and adapted; keys left out take the value of
//! the canonical layout (`CsvProfile::default()`).

use super::*;
use std::sync::OnceLock;

/// The embedded profile files in priority order (after the canonical
/// layout): the first profile whose columns all appear in a header wins
/// ties, so specific exports come before generic ones.
const PROFILE_FILES: &[(&str, &str)] = &[
    ("ing_nl", include_str!("profiles/ing_nl.toml")),
    (
        "ing_nl_semicolon",
        include_str!("profiles/ing_nl_semicolon.toml"),
    ),
    ("knab_nl", include_str!("profiles/knab_nl.toml")),
    ("asn_nl", include_str!("profiles/asn_nl.toml")),
    ("sparkasse_de", include_str!("profiles/sparkasse_de.toml")),
    ("ing_de_saldo", include_str!("profiles/ing_de_saldo.toml")),
    ("ing_de", include_str!("profiles/ing_de.toml")),
    ("ingdiba_at", include_str!("profiles/ingdiba_at.toml")),
    ("livebank_at", include_str!("profiles/livebank_at.toml")),
    ("oberbank_at", include_str!("profiles/oberbank_at.toml")),
    ("easybank_at", include_str!("profiles/easybank_at.toml")),
    ("raiffeisen_at", include_str!("profiles/raiffeisen_at.toml")),
    ("revolut", include_str!("profiles/revolut.toml")),
    ("paypal_en", include_str!("profiles/paypal_en.toml")),
    ("paypal_es", include_str!("profiles/paypal_es.toml")),
    (
        "sheet_credit_debit",
        include_str!("profiles/sheet_credit_debit.toml"),
    ),
    (
        "sheet_statement_en",
        include_str!("profiles/sheet_statement_en.toml"),
    ),
    ("dcu_us", include_str!("profiles/dcu_us.toml")),
    ("schwab_us", include_str!("profiles/schwab_us.toml")),
    (
        "schwab_us_sections",
        include_str!("profiles/schwab_us_sections.toml"),
    ),
    ("fidelity_us", include_str!("profiles/fidelity_us.toml")),
    (
        "adyen_settlement",
        include_str!("profiles/adyen_settlement.toml"),
    ),
    ("braintree", include_str!("profiles/braintree.toml")),
];

/// The built-in profiles, canonical layout first. Each is named after the
/// export it reads; `tests/bank_csv.rs` reads a real sample with each.
pub fn builtin_profiles() -> Vec<CsvProfile> {
    builtins().to_vec()
}

/// The built-in profiles, parsed once.
///
/// The files are part of the source: `tests/bank_csv.rs` parses every one,
/// so a file that does not parse cannot ship, and would fail here with the
/// file named, never silently drop a profile.
pub(super) fn builtins() -> &'static [CsvProfile] {
    static BUILTINS: OnceLock<Vec<CsvProfile>> = OnceLock::new();
    BUILTINS.get_or_init(|| {
        let mut out = Vec::with_capacity(PROFILE_FILES.len() + 1);
        out.push(CsvProfile::default());
        for (name, text) in PROFILE_FILES {
            match toml::from_str::<CsvProfile>(text) {
                Ok(profile) => out.push(profile),
                // Unreachable for a tested build: the embedded files are
                // constants checked by `builtin_profiles_have_unique_names_and_compile`.
                Err(e) => panic!("built-in bank CSV profile `{name}.toml` is invalid: {e}"),
            }
        }
        out
    })
}
