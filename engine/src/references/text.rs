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

/// Tokens a customer-number phrase has at most.
const PHRASE_TOKENS_MAX: usize = 3;

/// What a remittance token is, as far as references are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenClass {
    /// Anything else: may be (part of) a reference.
    Plain,
    /// Part of a date, a time of day or an amount: never a reference.
    DateOrAmount,
    /// The number after a customer-number phrase: names the payer.
    CustomerNumber,
    /// A word that announces an invoice number.
    InvoiceWord,
}

impl TokenClass {
    /// Dates, amounts and customer numbers are not looked up as invoices.
    pub(crate) fn is_masked(self) -> bool {
        matches!(self, TokenClass::DateOrAmount | TokenClass::CustomerNumber)
    }
}

struct Words {
    invoice: Vec<String>,
    /// Phrases as token lists, longest first.
    customer: Vec<Vec<String>>,
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

fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut invoice: Vec<String> = data_lines(INVOICE_WORDS).collect();
        invoice.sort_unstable();
        invoice.dedup();
        let mut customer: Vec<Vec<String>> = data_lines(CUSTOMER_NUMBER_PHRASES)
            .map(|l| crate::normalize::tokens(&l).map(str::to_string).collect())
            .filter(|p: &Vec<String>| !p.is_empty() && p.len() <= PHRASE_TOKENS_MAX)
            .collect();
        customer.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        customer.dedup();
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
    // The number after a customer-number phrase (longest phrase first).
    let mut i = 0;
    while i < toks.len() {
        let phrase = w.customer.iter().find(|p| {
            i + p.len() < toks.len()
                && p.iter()
                    .zip(&toks[i..])
                    // An ASCII token equals a lower-cased word exactly when
                    // it does ignoring ASCII case: no allocation per
                    // comparison (PERF: index stage).
                    .all(|(word, t)| {
                        t.eq_ignore_ascii_case(word) || (!t.is_ascii() && t.to_lowercase() == *word)
                    })
        });
        match phrase {
            Some(p) if toks[i + p.len()].bytes().any(|b| b.is_ascii_digit()) => {
                for c in &mut out[i..i + p.len()] {
                    // The phrase's words announce a customer, not an invoice.
                    if *c == TokenClass::InvoiceWord {
                        *c = TokenClass::Plain;
                    }
                }
                out[i + p.len()] = TokenClass::CustomerNumber;
                i += p.len() + 1;
            }
            _ => i += 1,
        }
    }
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
