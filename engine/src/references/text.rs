//! What the tokens of a remittance text are, before any of them is looked up
//! as an invoice number (issue 9): dates, times and amounts are never
//! references; the number after a customer-number phrase names the payer,
//! not an invoice; a word like `Rechnung`, `Factuur` or `N°` announces that
//! the next number is one, even a short one.
//!
//! The words are data (`engine/data/*.txt`, embedded), written for the
//! engine from real remittance wording and not copied from the generator's
//! lists in `datasets/data/`, so that the generated evaluation stays a test
//! of the engine and not of the generator's vocabulary.

use std::sync::OnceLock;

/// Words that announce an invoice number (`engine/data/invoice_words.txt`).
const INVOICE_WORDS: &str = include_str!("../../data/invoice_words.txt");
/// Phrases that announce the payer's customer number
/// (`engine/data/customer_number_words.txt`).
const CUSTOMER_NUMBER_PHRASES: &str = include_str!("../../data/customer_number_words.txt");
/// Month names (`engine/data/month_names.txt`).
const MONTH_NAMES: &str = include_str!("../../data/month_names.txt");
/// Phrases that announce an id of another kind: employee, member, mandate,
/// creditor or tax ids (`engine/data/other_id_words.txt`).
const OTHER_ID_PHRASES: &str = include_str!("../../data/other_id_words.txt");
/// Phrases that announce a date, also one written without separators
/// (`engine/data/descriptive_date_words.txt`).
const DATE_PHRASES: &str = include_str!("../../data/descriptive_date_words.txt");

/// Tokens a customer-number, other-id or date phrase has at most.
const PHRASE_TOKENS_MAX: usize = 3;
/// Words allowed between a date phrase and its compact date: the ACH
/// company entry description as printed `Entry Description: INVOICES;
/// 210630` (the description, then the descriptive date).
const DATE_PHRASE_GAP_MAX: usize = 1;

/// What a remittance token is, as far as references are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenClass {
    /// Anything else: may be (part of) a reference.
    Plain,
    /// Part of a date, a time of day or an amount: never a reference.
    DateOrAmount,
    /// The number after a customer-number phrase: names the payer.
    CustomerNumber,
    /// The number after a phrase naming an id of another kind (`Employee
    /// ID: 123456`, `Mandate 2024-77`): names nothing of ours.
    OtherId,
    /// A word that announces an invoice number.
    InvoiceWord,
}

impl TokenClass {
    /// Dates, amounts, customer numbers and other ids are not looked up as
    /// invoices.
    pub(crate) fn is_masked(self) -> bool {
        matches!(
            self,
            TokenClass::DateOrAmount | TokenClass::CustomerNumber | TokenClass::OtherId
        )
    }
}

struct Words {
    invoice: Vec<String>,
    /// Phrases as token lists, longest first.
    customer: Vec<Vec<String>>,
    /// Other-id phrases, longest first.
    other_id: Vec<Vec<String>>,
    /// Date phrases, longest first.
    date: Vec<Vec<String>>,
    months: Vec<String>,
    dates: regex::Regex,
}

/// Non-comment, non-empty lines of a data file, lower-cased.
fn data_lines(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
}

/// The phrases of a data file as token lists, longest first, then sorted
/// (a longer phrase wins where a shorter one is its start).
fn phrases(text: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = data_lines(text)
        .map(|l| crate::normalize::tokens(&l).map(str::to_string).collect())
        .filter(|p: &Vec<String>| !p.is_empty() && p.len() <= PHRASE_TOKENS_MAX)
        .collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    out.dedup();
    out
}

/// The longest phrase of `list` that starts at token `i` and is followed by
/// at least one token.
fn phrase_at<'w>(list: &'w [Vec<String>], toks: &[&str], i: usize) -> Option<&'w [String]> {
    list.iter()
        .find(|p| {
            i + p.len() < toks.len()
                && p.iter()
                    .zip(&toks[i..])
                    // An ASCII token equals a lower-cased word exactly when
                    // it does ignoring ASCII case: no allocation per
                    // comparison (PERF: index stage).
                    .all(|(word, t)| {
                        t.eq_ignore_ascii_case(word) || (!t.is_ascii() && t.to_lowercase() == *word)
                    })
        })
        .map(Vec::as_slice)
}

/// True when `b` follows `a` in `text` after exactly one `-`, `/` or `.`
/// (both are slices of `text`).
fn joined(text: &str, a: &str, b: &str) -> bool {
    let base = text.as_ptr() as usize;
    let end_a = a.as_ptr() as usize - base + a.len();
    let start_b = b.as_ptr() as usize - base;
    start_b == end_a + 1 && matches!(text.as_bytes()[end_a], b'-' | b'/' | b'.')
}

/// True when `token` is a date written without separators: `YYMMDD`,
/// `DDMMYY` (six digits) or `YYYYMMDD` (eight), with a real month and day.
fn is_compact_date(token: &str) -> bool {
    if !token.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let two = |at: usize| token[at..at + 2].parse::<u32>().unwrap_or(0);
    let real = |month: u32, day: u32| (1..=12).contains(&month) && (1..=31).contains(&day);
    match token.len() {
        6 => real(two(2), two(4)) || real(two(2), two(0)),
        8 => is_year(&token[..4]) && real(two(4), two(6)),
        _ => false,
    }
}

fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut invoice: Vec<String> = data_lines(INVOICE_WORDS).collect();
        invoice.sort_unstable();
        invoice.dedup();
        let customer = phrases(CUSTOMER_NUMBER_PHRASES);
        let other_id = phrases(OTHER_ID_PHRASES);
        let date = phrases(DATE_PHRASES);
        let mut months: Vec<String> = data_lines(MONTH_NAMES).collect();
        months.sort_unstable();
        months.dedup();
        // Day-month-year in either order with `.`, `/` or `-` (`7.9.2021`,
        // `01-10-2010`, `08/18/23`), ISO dates (`2021-01-31`), times
        // (`14:32:46`) and amounts with two decimals (`1.250,00`, `99.95`).
        // Components are range-checked in `classify`, not here.
        let dates = regex::Regex::new(
            r"(?x)
              \b(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})\b
            | \b(\d{4})[./-](\d{1,2})[./-](\d{1,2})\b
            | \b\d{1,2}:\d{2}(?::\d{2})?\b
            | \b\d{1,3}(?:[.,'’]\d{3})*[.,]\d{2}\b
            ",
        )
        .expect("the date pattern compiles");
        Words {
            invoice,
            customer,
            other_id,
            date,
            months,
            dates,
        }
    })
}

fn lower_eq_any(token: &str, sorted: &[String]) -> bool {
    // ASCII tokens lower-case without allocating in the common case.
    if token.is_ascii() {
        let mut buf = [0u8; 24];
        if token.len() > buf.len() {
            return false;
        }
        let lower = &mut buf[..token.len()];
        lower.copy_from_slice(token.as_bytes());
        lower.make_ascii_lowercase();
        return sorted.binary_search_by(|w| w.as_bytes().cmp(lower)).is_ok();
    }
    sorted.binary_search(&token.to_lowercase()).is_ok()
}

/// True when `token` is a word that announces an invoice number.
pub(crate) fn is_invoice_word(token: &str) -> bool {
    lower_eq_any(token, &words().invoice)
}

fn is_month(token: &str) -> bool {
    lower_eq_any(token, &words().months)
}

fn is_day(token: &str) -> bool {
    token.len() <= 2 && token.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
}

fn is_year(token: &str) -> bool {
    token.len() == 4
        && token
            .parse::<u32>()
            .is_ok_and(|y| (1900..=2099).contains(&y))
}

/// Whether a date match's components are a real day and month.
fn plausible_date(caps: &regex::Captures<'_>) -> bool {
    let num = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    if let (Some(a), Some(b)) = (num(1), num(2)) {
        // Day-month or month-day.
        return (1..=31).contains(&a) && (1..=12).contains(&b)
            || (1..=12).contains(&a) && (1..=31).contains(&b);
    }
    if let (Some(m), Some(d)) = (num(5), num(6)) {
        return (1..=12).contains(&m) && (1..=31).contains(&d);
    }
    // Times and amounts.
    true
}

/// Classifies the tokens of `text` (`toks` are slices of `text`, as
/// `normalize::tokens` returns them).
pub(crate) fn classify(text: &str, toks: &[&str], out: &mut Vec<TokenClass>) {
    out.clear();
    out.resize(toks.len(), TokenClass::Plain);
    let w = words();
    let base = text.as_ptr() as usize;
    let offset = |t: &str| t.as_ptr() as usize - base;
    // Dates, times and amounts by their written shape.
    if text.bytes().any(|b| b.is_ascii_digit()) {
        let mut k = 0;
        for caps in w.dates.captures_iter(text) {
            let Some(m) = caps.get(0) else { continue };
            if !plausible_date(&caps) {
                continue;
            }
            while k < toks.len() && offset(toks[k]) < m.start() {
                k += 1;
            }
            let mut j = k;
            while j < toks.len() && offset(toks[j]) < m.end() {
                out[j] = TokenClass::DateOrAmount;
                j += 1;
            }
        }
    }
    for i in 0..toks.len() {
        // A day or year next to a month name (`Jul 31, 2023`, `31. März 2026`).
        if is_month(toks[i]) {
            let mut mark = |j: usize, ok: fn(&str) -> bool| {
                if toks.get(j).is_some_and(|t| ok(t)) {
                    out[j] = TokenClass::DateOrAmount;
                    true
                } else {
                    false
                }
            };
            if mark(i + 1, is_day) {
                mark(i + 2, is_year);
            } else {
                mark(i + 1, is_year);
            }
            if i > 0 {
                mark(i - 1, is_day);
            }
            continue;
        }
        if out[i] == TokenClass::Plain && is_invoice_word(toks[i]) {
            out[i] = TokenClass::InvoiceWord;
        }
    }
    // The number after a customer-number phrase (longest phrase first), or
    // after a phrase naming an id of another kind.
    let mut i = 0;
    while i < toks.len() {
        let found = phrase_at(&w.customer, toks, i)
            .map(|p| (p.len(), TokenClass::CustomerNumber))
            .or_else(|| phrase_at(&w.other_id, toks, i).map(|p| (p.len(), TokenClass::OtherId)));
        match found {
            Some((len, class)) if toks[i + len].bytes().any(|b| b.is_ascii_digit()) => {
                for c in &mut out[i..i + len] {
                    // The phrase's words announce a customer or another
                    // id, not an invoice.
                    if *c == TokenClass::InvoiceWord {
                        *c = TokenClass::Plain;
                    }
                }
                out[i + len] = class;
                // Another kind of id goes on across `-`, `/` or `.` without
                // a space (`Tax ID 98-7654321`, `Mandate 2024/0077`).
                let mut k = i + len;
                while class == TokenClass::OtherId
                    && k + 1 < toks.len()
                    && toks[k + 1].bytes().any(|b| b.is_ascii_digit())
                    && joined(text, toks[k], toks[k + 1])
                {
                    k += 1;
                    out[k] = class;
                }
                i = k + 1;
            }
            _ => i += 1,
        }
    }
    // A compact date after a date phrase (`DESC DATE:210630`, `EFF DATE
    // 20210630`), also with one word in between (`Entry Description:
    // INVOICES; 210630`). Only numbers that read as a real date.
    let mut i = 0;
    while i < toks.len() {
        let Some(p) = phrase_at(&w.date, toks, i) else {
            i += 1;
            continue;
        };
        let after = i + p.len();
        let mut j = after;
        while j < toks.len() && j <= after + DATE_PHRASE_GAP_MAX {
            if is_compact_date(toks[j]) {
                out[j] = TokenClass::DateOrAmount;
                break;
            }
            if toks[j].bytes().any(|b| b.is_ascii_digit()) {
                // Another number first: the phrase dates that one.
                break;
            }
            j += 1;
        }
        i = after;
    }
}

/// Tokens of `text` (folded as extraction folds it, at most
/// `TEXT_TOKENS_MAX`) that may be a reference: dates, amounts, customer
/// numbers and other ids left out. Upper-cased; for the learned reference
/// styles (`crate::learned`), which compare whole tokens.
pub(crate) fn candidate_tokens(text: &str) -> Vec<String> {
    let folded = crate::normalize::fold_compat(text);
    let text: &str = &folded;
    let toks: Vec<&str> = crate::normalize::tokens(text)
        .take(super::TEXT_TOKENS_MAX)
        .collect();
    let mut classes = Vec::new();
    classify(text, &toks, &mut classes);
    toks.iter()
        .zip(&classes)
        .filter(|(_, c)| !c.is_masked())
        .map(|(t, _)| t.to_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(text: &str) -> Vec<(String, TokenClass)> {
        let toks: Vec<&str> = crate::normalize::tokens(text).collect();
        let mut out = Vec::new();
        classify(text, &toks, &mut out);
        toks.iter().map(|t| t.to_string()).zip(out).collect()
    }

    fn masked(text: &str) -> Vec<String> {
        classes(text)
            .into_iter()
            .filter(|(_, c)| c.is_masked())
            .map(|(t, _)| t)
            .collect()
    }

    #[test]
    fn dates_times_and_amounts_are_masked() {
        assert_eq!(masked("/INV/09.2021/01 7.9.2021"), ["7", "9", "2021"]);
        assert_eq!(
            masked("vom 2021-01-31 Rechnung 12345"),
            ["2021", "01", "31"]
        );
        assert_eq!(masked("KOSTEN VAN 01-10-2010 T/M 31-12-2010").len(), 6);
        assert_eq!(
            masked("DIVIDEND 28/01/2020 14:32:46"),
            ["28", "01", "2020", "14", "32", "46"]
        );
        assert_eq!(
            masked("Period: Jul 1, 2023 through Jul 31, 2023"),
            ["1", "2023", "31", "2023"]
        );
        assert_eq!(masked("31. März 2026"), ["31", "2026"]);
        assert_eq!(masked("Betrag 1.250,00 EUR"), ["1", "250", "00"]);
        assert_eq!(masked("Habenzinsen ab 01.04.13"), ["01", "04", "13"]);
        // Not dates: invoice numbers with dots and slashes.
        assert!(masked("Factuurnummer 2016.00000").is_empty());
        assert!(masked("/INV/09.2021/01").is_empty());
        assert!(masked("17227/248/20").is_empty());
        assert!(masked("45.77.2021").is_empty(), "no month 77");
    }

    #[test]
    fn customer_numbers_in_common_forms() {
        for text in [
            "Kd-Nr. 10023",
            "Customer no. 10023",
            "N° client 10023",
            "Kundennummer: 10023",
            "klantnr 10023",
            "CUSNO 10023",
        ] {
            assert_eq!(masked(text), ["10023"], "{text}");
        }
        // `Nr` alone announces an invoice, after `Kd` a customer.
        let c = classes("Rechnung Nr 7983");
        assert_eq!(c[1].1, TokenClass::InvoiceWord);
        assert_eq!(c[2].1, TokenClass::Plain);
    }

    #[test]
    fn ids_of_other_kinds_are_masked() {
        for (text, id) in [
            ("Employee ID: 123456", "123456"),
            ("Salary EMPLOYEE NO 4711", "4711"),
            ("Personalnummer 10023", "10023"),
            ("Member no. 889123", "889123"),
            ("Mitgliedsnummer 5521", "5521"),
            ("MREF: 2024000123 Rechnung 12345", "2024000123"),
            ("Mandatsreferenz 77811", "77811"),
        ] {
            assert_eq!(masked(text), [id], "{text}");
        }
        assert_eq!(masked("Tax ID 98-7654321"), ["98", "7654321"]);
        assert_eq!(masked("Mandate 2024/0077 INV 5"), ["2024", "0077"]);
        let c = classes("Employee ID: 123456");
        assert_eq!(c[2].1, TokenClass::OtherId);
        // The invoice after the mandate is still one.
        let c = classes("MREF: 2024000123 Rechnung 12345");
        assert_eq!(c[3].1, TokenClass::Plain);
        // Without a number the words mask nothing.
        assert!(masked("Employee benefits").is_empty());
    }

    #[test]
    fn compact_dates_after_a_date_phrase_are_masked() {
        assert_eq!(masked("Entry Description: INVOICES; 210630"), ["210630"]);
        assert_eq!(
            masked("DESC DATE:210630 CO ENTRY DESCR:PAYMENT"),
            ["210630"]
        );
        assert_eq!(masked("EFF DATE 20210630"), ["20210630"]);
        assert_eq!(masked("ENTRY DATE 300621"), ["300621"]);
        // Not a date (month 34), or no date phrase: still a reference.
        assert!(masked("DATE 123456").is_empty());
        assert!(masked("INVOICES 210630").is_empty());
        // A date phrase dates the first number after it only.
        assert!(masked("Entry Description: INV 4711 210630").is_empty());
        assert!(!is_compact_date("2106301"));
        assert!(is_compact_date("19991231"));
        assert!(!is_compact_date("18991231"));
    }

    #[test]
    fn invoice_words_of_several_languages() {
        for w in [
            "Rechnung", "Factuur", "Facture", "Fattura", "Factura", "Nr", "N", "Nº", "faktura",
            "Rg",
        ] {
            assert!(is_invoice_word(w), "{w}");
        }
        assert!(!is_invoice_word("Zahlung"));
    }
}
