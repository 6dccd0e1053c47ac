//! ISO 4217 facts, kept in one place for every crate: which codes are
//! currencies, and how many decimals their minor unit has.
//!
//! Parsers use the minor unit for implied decimals (BAI2) and scale checks
//! (RELIABILITY B1-11), the engine for its one rounding function, the CLI to
//! refuse unknown codes and to hash the list of codes into the manifest.
//!
//! The table holds ISO 4217 "list one" (current currencies, 2025 edition) and
//! the codes of "list three" (historic denominations) that archived bank
//! statements still carry: the legacy currencies of the euro area (DEM, FRF,
//! ITL, ...), the ECU (XEU) and redenominated currencies (ROL, TRL, ...). A
//! historic code is accepted like a current one: an archived statement in
//! Deutsche Mark is money in Deutsche Mark. Only a code in neither list is
//! unknown.

/// One ISO 4217 currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    /// The three-letter alphabetic code (`EUR`).
    pub code: &'static str,
    /// Decimals of the minor unit: 2 for EUR, 0 for JPY, 3 for KWD. Codes
    /// that ISO lists without a minor unit (precious metals, special drawing
    /// rights) carry 2, which is what banks assume for them.
    pub minor_units: u32,
    /// True for a code of list three (historic denominations), withdrawn from
    /// list one; its minor unit is the one it had when it was withdrawn.
    pub historic: bool,
}

impl Currency {
    const fn new(code: &'static str, minor_units: u32, historic: bool) -> Currency {
        Currency {
            code,
            minor_units,
            historic,
        }
    }
}

/// Every currency the readers accept, sorted by code (lookups are binary
/// searches). `XXX` (no currency) and `XTS` (testing) are not money and are
/// not listed.
pub const CURRENCIES: &[Currency] = &[
    Currency::new("ADP", 0, true),
    Currency::new("AED", 2, false),
    Currency::new("AFA", 2, true),
    Currency::new("AFN", 2, false),
    Currency::new("ALL", 2, false),
    Currency::new("AMD", 2, false),
    Currency::new("ANG", 2, false),
    Currency::new("AOA", 2, false),
    Currency::new("AOR", 2, true),
    Currency::new("ARA", 2, true),
    Currency::new("ARS", 2, false),
    Currency::new("ATS", 2, true),
    Currency::new("AUD", 2, false),
    Currency::new("AWG", 2, false),
    Currency::new("AZM", 2, true),
    Currency::new("AZN", 2, false),
    Currency::new("BAD", 2, true),
    Currency::new("BAM", 2, false),
    Currency::new("BBD", 2, false),
    Currency::new("BDT", 2, false),
    Currency::new("BEF", 0, true),
    Currency::new("BGL", 2, true),
    Currency::new("BGN", 2, false),
    Currency::new("BHD", 3, false),
    Currency::new("BIF", 0, false),
    Currency::new("BMD", 2, false),
    Currency::new("BND", 2, false),
    Currency::new("BOB", 2, false),
    Currency::new("BOV", 2, false),
    Currency::new("BRL", 2, false),
    Currency::new("BSD", 2, false),
    Currency::new("BTN", 2, false),
    Currency::new("BWP", 2, false),
    Currency::new("BYB", 2, true),
    Currency::new("BYN", 2, false),
    Currency::new("BYR", 0, true),
    Currency::new("BZD", 2, false),
    Currency::new("CAD", 2, false),
    Currency::new("CDF", 2, false),
    Currency::new("CHE", 2, false),
    Currency::new("CHF", 2, false),
    Currency::new("CHW", 2, false),
    Currency::new("CLF", 4, false),
    Currency::new("CLP", 0, false),
    Currency::new("CNY", 2, false),
    Currency::new("COP", 2, false),
    Currency::new("COU", 2, false),
    Currency::new("CRC", 2, false),
    Currency::new("CSD", 2, true),
    Currency::new("CSK", 2, true),
    Currency::new("CUC", 2, true),
    Currency::new("CUP", 2, false),
    Currency::new("CVE", 2, false),
    Currency::new("CYP", 2, true),
    Currency::new("CZK", 2, false),
    Currency::new("DDM", 2, true),
    Currency::new("DEM", 2, true),
    Currency::new("DJF", 0, false),
    Currency::new("DKK", 2, false),
    Currency::new("DOP", 2, false),
    Currency::new("DZD", 2, false),
    Currency::new("ECS", 0, true),
    Currency::new("ECV", 2, true),
    Currency::new("EEK", 2, true),
    Currency::new("EGP", 2, false),
    Currency::new("ERN", 2, false),
    Currency::new("ESP", 0, true),
    Currency::new("ETB", 2, false),
    Currency::new("EUR", 2, false),
    Currency::new("FIM", 2, true),
    Currency::new("FJD", 2, false),
    Currency::new("FKP", 2, false),
    Currency::new("FRF", 2, true),
    Currency::new("GBP", 2, false),
    Currency::new("GEK", 0, true),
    Currency::new("GEL", 2, false),
    Currency::new("GHC", 2, true),
    Currency::new("GHS", 2, false),
    Currency::new("GIP", 2, false),
    Currency::new("GMD", 2, false),
    Currency::new("GNF", 0, false),
    Currency::new("GRD", 0, true),
    Currency::new("GTQ", 2, false),
    Currency::new("GWP", 2, true),
    Currency::new("GYD", 2, false),
    Currency::new("HKD", 2, false),
    Currency::new("HNL", 2, false),
    Currency::new("HRK", 2, true),
    Currency::new("HTG", 2, false),
    Currency::new("HUF", 2, false),
    Currency::new("IDR", 2, false),
    Currency::new("IEP", 2, true),
    Currency::new("ILS", 2, false),
    Currency::new("INR", 2, false),
    Currency::new("IQD", 3, false),
    Currency::new("IRR", 2, false),
    Currency::new("ISK", 0, false),
    Currency::new("ITL", 0, true),
    Currency::new("JMD", 2, false),
    Currency::new("JOD", 3, false),
    Currency::new("JPY", 0, false),
    Currency::new("KES", 2, false),
    Currency::new("KGS", 2, false),
    Currency::new("KHR", 2, false),
    Currency::new("KMF", 0, false),
    Currency::new("KPW", 2, false),
    Currency::new("KRW", 0, false),
    Currency::new("KWD", 3, false),
    Currency::new("KYD", 2, false),
    Currency::new("KZT", 2, false),
    Currency::new("LAK", 2, false),
    Currency::new("LBP", 2, false),
    Currency::new("LKR", 2, false),
    Currency::new("LRD", 2, false),
    Currency::new("LSL", 2, false),
    Currency::new("LTL", 2, true),
    Currency::new("LTT", 2, true),
    Currency::new("LUF", 0, true),
    Currency::new("LVL", 2, true),
    Currency::new("LVR", 2, true),
    Currency::new("LYD", 3, false),
    Currency::new("MAD", 2, false),
    Currency::new("MDL", 2, false),
    Currency::new("MGA", 2, false),
    Currency::new("MGF", 0, true),
    Currency::new("MKD", 2, false),
    Currency::new("MLF", 0, true),
    Currency::new("MMK", 2, false),
    Currency::new("MNT", 2, false),
    Currency::new("MOP", 2, false),
    Currency::new("MRO", 2, true),
    Currency::new("MRU", 2, false),
    Currency::new("MTL", 2, true),
    Currency::new("MUR", 2, false),
    Currency::new("MVR", 2, false),
    Currency::new("MWK", 2, false),
    Currency::new("MXN", 2, false),
    Currency::new("MXP", 2, true),
    Currency::new("MXV", 2, false),
    Currency::new("MYR", 2, false),
    Currency::new("MZM", 2, true),
    Currency::new("MZN", 2, false),
    Currency::new("NAD", 2, false),
    Currency::new("NGN", 2, false),
    Currency::new("NIO", 2, false),
    Currency::new("NLG", 2, true),
    Currency::new("NOK", 2, false),
    Currency::new("NPR", 2, false),
    Currency::new("NZD", 2, false),
    Currency::new("OMR", 3, false),
    Currency::new("PAB", 2, false),
    Currency::new("PEN", 2, false),
    Currency::new("PGK", 2, false),
    Currency::new("PHP", 2, false),
    Currency::new("PKR", 2, false),
    Currency::new("PLN", 2, false),
    Currency::new("PLZ", 2, true),
    Currency::new("PTE", 0, true),
    Currency::new("PYG", 0, false),
    Currency::new("QAR", 2, false),
    Currency::new("ROL", 2, true),
    Currency::new("RON", 2, false),
    Currency::new("RSD", 2, false),
    Currency::new("RUB", 2, false),
    Currency::new("RUR", 2, true),
    Currency::new("RWF", 0, false),
    Currency::new("SAR", 2, false),
    Currency::new("SBD", 2, false),
    Currency::new("SCR", 2, false),
    Currency::new("SDD", 2, true),
    Currency::new("SDG", 2, false),
    Currency::new("SEK", 2, false),
    Currency::new("SGD", 2, false),
    Currency::new("SHP", 2, false),
    Currency::new("SIT", 2, true),
    Currency::new("SKK", 2, true),
    Currency::new("SLE", 2, false),
    Currency::new("SLL", 2, true),
    Currency::new("SOS", 2, false),
    Currency::new("SRD", 2, false),
    Currency::new("SRG", 2, true),
    Currency::new("SSP", 2, false),
    Currency::new("STD", 2, true),
    Currency::new("STN", 2, false),
    Currency::new("SVC", 2, false),
    Currency::new("SYP", 2, false),
    Currency::new("SZL", 2, false),
    Currency::new("THB", 2, false),
    Currency::new("TJR", 0, true),
    Currency::new("TJS", 2, false),
    Currency::new("TMM", 2, true),
    Currency::new("TMT", 2, false),
    Currency::new("TND", 3, false),
    Currency::new("TOP", 2, false),
    Currency::new("TPE", 0, true),
    Currency::new("TRL", 0, true),
    Currency::new("TRY", 2, false),
    Currency::new("TTD", 2, false),
    Currency::new("TWD", 2, false),
    Currency::new("TZS", 2, false),
    Currency::new("UAH", 2, false),
    Currency::new("UAK", 2, true),
    Currency::new("UGX", 0, false),
    Currency::new("USD", 2, false),
    Currency::new("USN", 2, false),
    Currency::new("UYI", 0, false),
    Currency::new("UYU", 2, false),
    Currency::new("UYW", 4, false),
    Currency::new("UZS", 2, false),
    Currency::new("VEB", 2, true),
    Currency::new("VED", 2, false),
    Currency::new("VEF", 2, true),
    Currency::new("VES", 2, false),
    Currency::new("VND", 0, false),
    Currency::new("VUV", 0, false),
    Currency::new("WST", 2, false),
    Currency::new("XAF", 0, false),
    Currency::new("XAG", 2, false),
    Currency::new("XAU", 2, false),
    Currency::new("XBA", 2, false),
    Currency::new("XBB", 2, false),
    Currency::new("XBC", 2, false),
    Currency::new("XBD", 2, false),
    Currency::new("XCD", 2, false),
    Currency::new("XCG", 2, false),
    Currency::new("XDR", 2, false),
    Currency::new("XEU", 2, true),
    Currency::new("XOF", 0, false),
    Currency::new("XPD", 2, false),
    Currency::new("XPF", 0, false),
    Currency::new("XPT", 2, false),
    Currency::new("XSU", 2, false),
    Currency::new("XUA", 2, false),
    Currency::new("YER", 2, false),
    Currency::new("YUM", 2, true),
    Currency::new("ZAR", 2, false),
    Currency::new("ZMK", 2, true),
    Currency::new("ZMW", 2, false),
    Currency::new("ZRN", 2, true),
    Currency::new("ZWD", 2, true),
    Currency::new("ZWG", 2, false),
    Currency::new("ZWL", 2, true),
    Currency::new("ZWN", 2, true),
    Currency::new("ZWR", 2, true),
];

/// The codes of [`CURRENCIES`], current and historic, sorted: every code the
/// readers accept. The CLI hashes this list into the run manifest.
pub const ISO_4217_CODES: &[&str] = &codes();

const fn codes() -> [&'static str; CURRENCIES.len()] {
    let mut out = [""; CURRENCIES.len()];
    let mut i = 0;
    while i < CURRENCIES.len() {
        out[i] = CURRENCIES[i].code;
        i += 1;
    }
    out
}

/// The table entry for `code`, if it is a current or historic ISO 4217 code.
pub fn lookup(code: &str) -> Option<&'static Currency> {
    CURRENCIES
        .binary_search_by(|c| c.code.cmp(code))
        .ok()
        .map(|i| &CURRENCIES[i])
}

/// True for a code in [`ISO_4217_CODES`] (current or historic).
pub fn is_iso_4217(code: &str) -> bool {
    lookup(code).is_some()
}

/// Minor-unit exponent of a currency code; unknown codes get 2, which is
/// what banks assume for BAI2 amounts.
pub fn currency_exponent(code: &str) -> u32 {
    lookup(code).map_or(2, |c| c.minor_units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].code < w[1].code));
        assert!(CURRENCIES
            .iter()
            .all(|c| c.code.len() == 3 && c.code.bytes().all(|b| b.is_ascii_uppercase())));
        assert_eq!(ISO_4217_CODES.len(), CURRENCIES.len());
    }

    #[test]
    fn every_code_with_a_special_exponent_is_a_listed_currency() {
        let special = [
            "JPY", "KRW", "VND", "XAF", "BHD", "KWD", "TND", "CLF", "UYW",
        ];
        for code in special {
            assert!(is_iso_4217(code), "{code}");
            assert_ne!(currency_exponent(code), 2, "{code}");
        }
        assert_eq!(currency_exponent("EUR"), 2);
        assert!(!is_iso_4217("XXX") && !is_iso_4217("XTS") && !is_iso_4217("EURO"));
    }

    /// RELIABILITY B1-11: archived statements in pre-euro and other
    /// withdrawn currencies are money, with the minor unit they had.
    #[test]
    fn historic_codes_are_accepted_with_their_minor_units() {
        for (code, minor) in [
            ("DEM", 2),
            ("FRF", 2),
            ("NLG", 2),
            ("ATS", 2),
            ("FIM", 2),
            ("IEP", 2),
            ("XEU", 2),
            ("ITL", 0),
            ("ESP", 0),
            ("BEF", 0),
            ("GRD", 0),
            ("LUF", 0),
            ("PTE", 0),
        ] {
            let c = lookup(code).unwrap_or_else(|| panic!("{code} missing"));
            assert!(c.historic, "{code}");
            assert_eq!(currency_exponent(code), minor, "{code}");
            assert!(ISO_4217_CODES.contains(&code), "{code}");
        }
        assert!(!lookup("EUR").unwrap().historic);
        assert!(!is_iso_4217("ABC"));
    }
}
