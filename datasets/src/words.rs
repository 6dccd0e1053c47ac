//! Word lists for company names, payer names and remittance texts.
//!
//! Changing any list changes every generated dataset (the PRNG picks by
//! index), so the demo set's golden test fails on purpose: regenerate the demo
//! and say so in the commit.

/// First word of a company name: family names, places and brand-like words.
/// A few carry a comma or a double quote so that CSV quoting is exercised by
/// realistic data, and a few carry non-ASCII letters that banks transliterate.
pub(crate) const NAME_FIRST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schröder",
    "Köhler",
    "Neumann",
    "Krüger",
    "Braun",
    "Zimmermann",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Walter",
    "Peters",
    "König",
    "Huber",
    "Kaiser",
    "Fuchs",
    "Vogel",
    "Jäger",
    "Roth",
    "Baker",
    "Carter",
    "Morgan",
    "Harrison",
    "Sullivan",
    "Bennett",
    "Fletcher",
    "Whitmore",
    "Ashford",
    "Pembroke",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Rossi",
    "Bianchi",
    "Ferrari",
    "Esposito",
    "García",
    "Fernández",
    "De Vries",
    "Van Dijk",
    "Jansen",
    "Bakker",
    "Nordström",
    "Lindqvist",
    "Jørgensen",
    "Virtanen",
    "Nowak",
    "Novák",
    "Alpine",
    "Atlantic",
    "Baltic",
    "Nordic",
    "Northern",
    "Southern",
    "Central",
    "Continental",
    "Pacific",
    "Rhein",
    "Elbe",
    "Danube",
    "Alster",
    "Isar",
    "Hanse",
    "Bavaria",
    "Westfalia",
    "Saxonia",
    "Helvetia",
    "Iberia",
    "Aurora",
    "Polaris",
    "Vertex",
    "Apex",
    "Summit",
    "Pioneer",
    "Crescent",
    "Meridian",
    "Keystone",
    "Blue River",
    "Red Oak",
    "Silverline",
    "Greenfield",
    "Brightwater",
    "Ironbridge",
    "Stonegate",
    "Becker, Wolf & Partner",
    "Smith, Jones & Co",
    "\"Nordlicht\"",
    "Fischer & Söhne",
];

/// Optional middle word (index 0 of a customer's middle means "none").
pub(crate) const NAME_MIDDLE: &[&str] = &[
    "Industrial",
    "Technical",
    "Digital",
    "Global",
    "International",
    "Euro",
    "Precision",
    "Advanced",
    "Integrated",
    "Applied",
    "Green",
    "Smart",
    "United",
    "Premium",
    "Modern",
    "Allied",
    "General",
    "Regional",
    "Medical",
    "Marine",
    "Agrar",
    "Bau",
    "Stahl",
    "Holz",
    "Textil",
    "Druck",
    "Elektro",
    "Kunststoff",
    "Papier",
    "Glas",
];

/// Line of business.
pub(crate) const NAME_INDUSTRY: &[&str] = &[
    "Logistik",
    "Logistics",
    "Maschinenbau",
    "Engineering",
    "Trading",
    "Handel",
    "Handels",
    "Systems",
    "Solutions",
    "Components",
    "Supplies",
    "Services",
    "Technologies",
    "Technik",
    "Metallbau",
    "Steel",
    "Chemicals",
    "Pharma",
    "Foods",
    "Lebensmittel",
    "Packaging",
    "Verpackung",
    "Textiles",
    "Electronics",
    "Elektronik",
    "Automotive",
    "Aerospace",
    "Construction",
    "Bauunternehmung",
    "Consulting",
    "Beratung",
    "Software",
    "Hardware",
    "Distribution",
    "Vertrieb",
    "Retail",
    "Wholesale",
    "Großhandel",
    "Energy",
    "Energie",
    "Plastics",
    "Papierwerke",
    "Printing",
    "Furniture",
    "Möbel",
    "Optics",
    "Instruments",
    "Tools",
    "Werkzeuge",
    "Fasteners",
    "Hydraulics",
    "Pumps",
    "Valves",
    "Bearings",
    "Transport",
    "Spedition",
    "Freight",
    "Marine",
    "Labs",
    "Holding",
];

/// A legal form as written in the master, and how payers' banks spell it.
pub(crate) struct LegalForm {
    /// As the customer master writes it.
    pub(crate) canonical: &'static str,
    /// Spellings seen on bank statements for the same form.
    pub(crate) variants: &'static [&'static str],
}

/// Legal forms of EUR customers.
pub(crate) const LEGAL_EUR: &[LegalForm] = &[
    LegalForm {
        canonical: "GmbH",
        variants: &["Gmbh", "G.m.b.H.", "Gesellschaft mbH", "GMBH"],
    },
    LegalForm {
        canonical: "AG",
        variants: &["Aktiengesellschaft", "A.G."],
    },
    LegalForm {
        canonical: "GmbH & Co. KG",
        variants: &["GmbH u. Co. KG", "GmbH+Co KG", "GmbH & Co KG"],
    },
    LegalForm {
        canonical: "KG",
        variants: &["K.G.", "Kommanditgesellschaft"],
    },
    LegalForm {
        canonical: "S.A.",
        variants: &["SA", "S A", "Societe Anonyme"],
    },
    LegalForm {
        canonical: "B.V.",
        variants: &["BV", "B V"],
    },
    LegalForm {
        canonical: "S.r.l.",
        variants: &["SRL", "Srl", "S.R.L."],
    },
    LegalForm {
        canonical: "SAS",
        variants: &["S.A.S.", "S A S"],
    },
    LegalForm {
        canonical: "Oy",
        variants: &["OY", "Oy Ab"],
    },
    LegalForm {
        canonical: "AB",
        variants: &["Aktiebolag", "A.B."],
    },
];

/// Legal forms of GBP customers.
pub(crate) const LEGAL_GBP: &[LegalForm] = &[
    LegalForm {
        canonical: "Ltd",
        variants: &["Ltd.", "Limited", "LTD"],
    },
    LegalForm {
        canonical: "Limited",
        variants: &["Ltd", "Ltd.", "Ltd"],
    },
    LegalForm {
        canonical: "PLC",
        variants: &["Plc", "P.L.C.", "public limited company"],
    },
    LegalForm {
        canonical: "LLP",
        variants: &["L.L.P.", "Llp"],
    },
];

/// Legal forms of USD customers.
pub(crate) const LEGAL_USD: &[LegalForm] = &[
    LegalForm {
        canonical: "Inc",
        variants: &["Inc.", "Incorporated", "INC"],
    },
    LegalForm {
        canonical: "Incorporated",
        variants: &["Inc", "Inc."],
    },
    LegalForm {
        canonical: "LLC",
        variants: &["L.L.C.", "Llc", "Limited Liability Company"],
    },
    LegalForm {
        canonical: "Corp.",
        variants: &["Corp", "Corporation", "CORP"],
    },
];

/// Given names for private payers who are not customers.
pub(crate) const PERSON_GIVEN: &[&str] = &[
    "Anna", "Lukas", "Sophie", "Jonas", "Marie", "Felix", "Laura", "Paul", "Emma", "Tom", "James",
    "Olivia", "Pierre", "Camille", "Marco", "Giulia", "Sven", "Ingrid", "Jan", "Eva",
];

/// Organisations that pay us but are not customers: payment providers,
/// authorities, insurers, landlords.
pub(crate) const NON_CUSTOMER_ORGS: &[&str] = &[
    "PayPal Europe S.a.r.l. et Cie S.C.A.",
    "Stripe Payments Europe Ltd",
    "Adyen N.V.",
    "Finanzamt Hamburg-Mitte",
    "Bundesagentur fuer Arbeit",
    "Allianz Versicherungs-AG",
    "Stadtwerke Muenchen GmbH",
    "Amazon EU S.a.r.l.",
    "Klarna Bank AB",
    "HMRC VAT Refund",
];

/// Remittance of payments that belong to no invoice.
pub(crate) const UNKNOWN_REMITTANCE: &[&str] = &[
    "Refund",
    "Erstattung",
    "Kaution",
    "Deposit",
    "Settlement payout",
    "Auszahlung",
    "Bonus",
    "Schadensregulierung",
    "Rueckzahlung",
    "Gutschrift",
    "",
];

/// Remittance of payments that quote no invoice number. `{}`-free on purpose:
/// variants with the customer number or PO are built in code.
pub(crate) const NO_REFERENCE_REMITTANCE: &[&str] = &[
    "Zahlung",
    "Payment",
    "Ueberweisung",
    "Payment as agreed",
    "Sammelzahlung",
    "Reglement",
    "Betaling",
    "Open items",
    "Monthly payment",
    "",
];

/// Reasons customers give for paying less.
pub(crate) const SHORT_PAY_REASONS: &[&str] = &[
    "damaged goods",
    "pricing dispute",
    "freight deduction",
    "missing items",
    "quality claim",
    "Maengelruege",
    "Preisdifferenz",
    "returned goods",
];

/// Round amounts in whole currency units: quotes, retainers and instalments
/// are often round, which makes amount-only matching ambiguous.
pub(crate) const ROUND_AMOUNTS: &[i64] = &[250, 500, 750, 1000, 1500, 2000, 2500, 5000, 10000];

/// Payment terms in days.
pub(crate) const PAYMENT_TERMS_DAYS: &[u16] = &[14, 30, 30, 30, 45, 60];

/// Early-payment discount terms: (percent in hundredths, days).
pub(crate) const DISCOUNT_TERMS: &[(u16, u16)] = &[(200, 10), (300, 14), (150, 7), (200, 14)];

/// Lines of a bundled word list: trimmed, without blank lines and `#`
/// comments.
fn data_lines(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// The word lists of profile `other`, kept as data files in
/// `datasets/data/` (issue 9: word lists live in data files, not code).
pub(crate) struct ProfileWords {
    /// Words before an invoice number (`Rechnung`, `Factuur`, `N°`, ...).
    pub(crate) invoice_words: Vec<&'static str>,
    /// Customer number forms with `{n}` (`Kd-Nr. {n}`, `N° client {n}`).
    pub(crate) customer_number_forms: Vec<&'static str>,
    /// Netting phrases with `{inv}` and `{cn}`.
    pub(crate) credit_note_phrases: Vec<&'static str>,
    /// Payment service providers paying for many customers.
    pub(crate) payment_providers: Vec<&'static str>,
    /// Credit note numbering: prefix and digits.
    pub(crate) credit_note_prefixes: Vec<(&'static str, usize)>,
}

/// The lists, parsed once.
pub(crate) fn profile_words() -> &'static ProfileWords {
    static WORDS: std::sync::OnceLock<ProfileWords> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| ProfileWords {
        invoice_words: data_lines(include_str!("../data/invoice_words.txt")),
        customer_number_forms: data_lines(include_str!("../data/customer_number_forms.txt")),
        credit_note_phrases: data_lines(include_str!("../data/credit_note_phrases.txt")),
        payment_providers: data_lines(include_str!("../data/payment_providers.txt")),
        credit_note_prefixes: data_lines(include_str!("../data/credit_note_prefixes.txt"))
            .into_iter()
            .map(|l| {
                let (prefix, digits) = l.rsplit_once(':').expect("prefix:digits");
                (prefix, digits.parse().expect("digits"))
            })
            .collect(),
    })
}

#[cfg(test)]
mod profile_word_tests {
    use super::profile_words;

    #[test]
    fn data_files_hold_the_forms_the_issue_names() {
        let w = profile_words();
        for word in [
            "Rechnung", "Factuur", "Facture", "Fattura", "Factura", "N°", "Nr.",
        ] {
            assert!(w.invoice_words.contains(&word), "{word}");
        }
        for form in ["Kd-Nr. {n}", "Customer no. {n}", "N° client {n}"] {
            assert!(w.customer_number_forms.contains(&form), "{form}");
        }
        assert!(w
            .credit_note_phrases
            .iter()
            .all(|p| p.contains("{inv}") && p.contains("{cn}")));
        assert!(w.payment_providers.len() >= 5);
        assert!(w.credit_note_prefixes.iter().any(|(p, _)| *p == "GS"));
    }
}
