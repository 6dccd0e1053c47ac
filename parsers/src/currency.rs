//! ISO 4217 facts, kept in one place for every crate: which codes are
//! currencies, and how many decimals their minor unit has. Parsers use the
//! exponent for implied decimals (BAI2) and scale checks, the engine for its
//! one rounding function, the CLI to refuse unknown codes and to hash the
//! table into the manifest.

/// Active ISO 4217 codes (2025 edition of the list), plus codes withdrawn
/// recently enough to appear in archived statements (HRK, CUC, SLL, ZWL).
/// `XXX` (no currency) and `XTS` (testing) are not money and are refused.
pub const ISO_4217_CODES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR",
    "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
    "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
    "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE",
    "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED",
    "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG",
    "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XUA", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// True for a code in [`ISO_4217_CODES`].
pub fn is_iso_4217(code: &str) -> bool {
    ISO_4217_CODES.contains(&code)
}

/// ISO 4217 minor-unit exponent for a currency code; unknown codes get 2,
/// which is what banks assume for BAI2 amounts.
pub fn currency_exponent(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
