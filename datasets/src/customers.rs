//! The customer master: names, bank accounts, aliases and currency.
//!
//! Customers are stored as small index tuples and rendered into a caller's
//! buffer on demand, so a million-invoice ledger needs no `String` per row.

use crate::csv_out::{push_padded, push_u128};
use crate::prng::Xoshiro256StarStar;
use crate::words::{
    LegalForm, LEGAL_EUR, LEGAL_GBP, LEGAL_USD, NAME_FIRST, NAME_INDUSTRY, NAME_MIDDLE,
};
use std::collections::HashSet;

/// Currency of a customer, its invoices and (normally) its payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Currency {
    Eur,
    Usd,
    Gbp,
}

impl Currency {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Usd => "USD",
            Currency::Gbp => "GBP",
        }
    }

    fn legal_forms(self) -> &'static [LegalForm] {
        match self {
            Currency::Eur => LEGAL_EUR,
            Currency::Usd => LEGAL_USD,
            Currency::Gbp => LEGAL_GBP,
        }
    }
}

/// First customer number; `Kd 10023` style numbers appear in remittances.
pub(crate) const CUSTOMER_NUMBER_BASE: u64 = 10_001;

/// Most bank accounts a customer has in the master.
const ACCOUNTS_PER_CUSTOMER_MAX: u64 = 2;

/// Account-number slots reserved per customer in the unique-number space
/// (more than [`ACCOUNTS_PER_CUSTOMER_MAX`], for growth).
const ACCOUNT_SLOTS_PER_CUSTOMER: u64 = 4;

/// Account numbers of payers who are not in the master are drawn from this
/// offset upwards, disjoint from every customer's slots, so an "unknown"
/// account can never equal a master account.
const UNKNOWN_ACCOUNT_BASE: u64 = 5_000_000_000;

/// The unique part of every account is a 10-digit number.
const ACCOUNT_NUMBER_SPACE: u128 = 10_000_000_000;

/// Multiplier of the bijection on `0..10^10` that scatters sequential slot
/// numbers; it ends in 3, so it is coprime with 10^10 and the map is one-to-one.
const ACCOUNT_SCATTER_MULTIPLIER: u128 = 7_340_019_233;
const ACCOUNT_SCATTER_OFFSET: u128 = 3_917_205_448;

/// Share of customers without any account in the master (identified by name only).
const NO_ACCOUNT_PERCENT: u32 = 10;
/// Share of customers with a second account.
const SECOND_ACCOUNT_PERCENT: u32 = 25;
/// Share of customers whose name deliberately resembles an earlier customer's.
const SIMILAR_NAME_PERCENT: u32 = 4;
/// Share of names with a middle word.
const MIDDLE_WORD_PERCENT: u32 = 40;
/// Attempts to find an unused name tuple before falling back to a numbered one.
const NAME_ATTEMPTS_MAX: u32 = 16;

/// An IBAN country layout: BBAN = bank code + the unique number zero-padded to `width`.
struct AccountCountry {
    country: &'static str,
    bank_codes: &'static [&'static str],
    width: usize,
}

/// Layouts chosen so that each IBAN has its country's real length.
const ACCOUNT_COUNTRIES: &[AccountCountry] = &[
    AccountCountry {
        country: "DE",
        bank_codes: &[
            "37040044", "50010517", "10070000", "20041133", "70020270", "60050101",
        ],
        width: 10,
    },
    AccountCountry {
        country: "NL",
        bank_codes: &["ABNA", "INGB", "RABO", "TRIO"],
        width: 10,
    },
    AccountCountry {
        country: "FR",
        bank_codes: &["3000600001", "2004101005", "1027807521"],
        width: 13,
    },
    AccountCountry {
        country: "AT",
        bank_codes: &["19043", "20111", "32000"],
        width: 11,
    },
    AccountCountry {
        country: "IT",
        bank_codes: &["X0542811101", "A0306909606"],
        width: 12,
    },
    AccountCountry {
        country: "ES",
        bank_codes: &["2100041845", "0049150020"],
        width: 10,
    },
    AccountCountry {
        country: "GB",
        bank_codes: &["NWBK6016", "BARC2000", "HBUK4005"],
        width: 10,
    },
    AccountCountry {
        country: "CH",
        bank_codes: &["00762", "00230"],
        width: 12,
    },
];

/// Where EUR customers bank, as indices into [`ACCOUNT_COUNTRIES`]; repeats weight the pick.
const EUR_ACCOUNT_COUNTRIES: &[u8] = &[0, 0, 0, 0, 1, 1, 2, 2, 3, 4, 5];
/// Where USD and GBP customers bank.
const NON_EUR_ACCOUNT_COUNTRIES: &[u8] = &[6, 6, 6, 7, 0, 1];

/// ISO 13616 check digits of `country` + `bban`: move the country code and
/// "00" behind the BBAN, read letters as 10..35, take 98 minus the remainder mod 97.
fn iban_check_digits(country: &str, bban: &[u8]) -> u64 {
    let mut remainder: u32 = 0;
    for b in bban.iter().chain(country.as_bytes()).chain(b"00") {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b.to_ascii_uppercase() - b'A') + 10
        };
        let scale = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * scale + value) % 97;
    }
    u64::from(98 - remainder)
}

/// Appends an IBAN whose BBAN is whatever `push_bban` appends, with real check digits.
fn push_iban_with(out: &mut Vec<u8>, country: &str, push_bban: impl FnOnce(&mut Vec<u8>)) {
    // Write the BBAN in place behind a 4-byte placeholder, then fill in the
    // country and check digits: no temporary buffer.
    let start = out.len();
    out.extend_from_slice(b"XX00");
    push_bban(out);
    let check = iban_check_digits(country, &out[start + 4..]);
    out[start..start + 2].copy_from_slice(country.as_bytes());
    out[start + 2] = b'0' + (check / 10) as u8;
    out[start + 3] = b'0' + (check % 10) as u8;
}

/// Appends an IBAN built from `country` and `bban`.
#[cfg(test)]
fn push_iban(out: &mut Vec<u8>, country: &str, bban: &[u8]) {
    push_iban_with(out, country, |o| o.extend_from_slice(bban));
}

/// Appends our own receiving account for `currency` (the `account` column of
/// `bank.csv`). The EUR and GBP ones are the published IBAN examples.
pub(crate) fn push_our_account(out: &mut Vec<u8>, currency: Currency) {
    let (country, bban) = match currency {
        Currency::Eur => ("DE", "370400440532013000"),
        Currency::Usd => ("DE", "500105175407324931"),
        Currency::Gbp => ("GB", "NWBK60161331926819"),
    };
    push_iban_with(out, country, |o| o.extend_from_slice(bban.as_bytes()));
}

/// One bank account, stored as indices and a slot number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Account {
    country: u8,
    bank: u8,
    slot: u64,
}

impl Account {
    /// An account of a payer who is not in the master; `serial` must be unique per dataset.
    pub(crate) fn unknown(rng: &mut Xoshiro256StarStar, serial: u64) -> Account {
        let country = *rng.pick(EUR_ACCOUNT_COUNTRIES);
        let bank = rng.index(ACCOUNT_COUNTRIES[usize::from(country)].bank_codes.len()) as u8;
        Account {
            country,
            bank,
            slot: UNKNOWN_ACCOUNT_BASE + serial,
        }
    }

    /// Appends the IBAN.
    pub(crate) fn push(&self, out: &mut Vec<u8>) {
        let layout = &ACCOUNT_COUNTRIES[usize::from(self.country)];
        let scattered = (u128::from(self.slot) * ACCOUNT_SCATTER_MULTIPLIER
            + ACCOUNT_SCATTER_OFFSET)
            % ACCOUNT_NUMBER_SPACE;
        push_iban_with(out, layout.country, |o| {
            o.extend_from_slice(layout.bank_codes[usize::from(self.bank)].as_bytes());
            push_padded(o, scattered as u64, layout.width);
        });
    }
}

/// How to write a customer's legal form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegalSpelling {
    /// As in the master.
    Canonical,
    /// The n-th bank-side variant (taken modulo the number of variants).
    Variant(usize),
    /// Left out.
    Dropped,
}

/// Customers per group in profile `other`: customer `10k` is the parent of
/// `10k + 1 ..= 10k + 9` (those of its currency), as groups with a
/// treasury that pays for its subsidiaries are listed in a customer master.
pub(crate) const GROUP_SIZE: u32 = 10;

/// The parent of customer `c` in profile `other` (the master's `parent_id`):
/// the first customer of its group of [`GROUP_SIZE`], when that is another
/// customer with the same currency.
pub(crate) fn parent_of(customers: &[Customer], c: u32) -> Option<u32> {
    let parent = c - c % GROUP_SIZE;
    (parent != c && customers[parent as usize].currency == customers[c as usize].currency)
        .then_some(parent)
}

/// One customer of the master.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    first: u16,
    /// 0 = no middle word, otherwise index + 1 into [`NAME_MIDDLE`].
    middle: u16,
    industry: u16,
    legal: u8,
    /// 0, or a number that makes the name unique when the word lists run out.
    disambiguator: u32,
    pub(crate) currency: Currency,
    accounts: [Option<Account>; ACCOUNTS_PER_CUSTOMER_MAX as usize],
    /// Bit 0: initials alias, bit 1: short-name alias.
    alias_kinds: u8,
}

impl Customer {
    fn name_key(&self) -> u64 {
        (u64::from(self.first) << 48)
            | (u64::from(self.middle) << 32)
            | (u64::from(self.industry) << 16)
            | (u64::from(self.legal) << 8)
            | u64::from(self.currency as u8)
    }

    fn legal_form(&self) -> &'static LegalForm {
        &self.currency.legal_forms()[usize::from(self.legal)]
    }

    /// Appends the master name, with the legal form spelled as asked.
    pub(crate) fn push_name(&self, out: &mut Vec<u8>, legal: LegalSpelling) {
        self.push_trading_name(out);
        if self.disambiguator != 0 {
            out.push(b' ');
            push_u128(out, u128::from(self.disambiguator));
        }
        let form = self.legal_form();
        let text = match legal {
            LegalSpelling::Canonical => form.canonical,
            LegalSpelling::Variant(n) => form.variants[n % form.variants.len()],
            LegalSpelling::Dropped => return,
        };
        out.push(b' ');
        out.extend_from_slice(text.as_bytes());
    }

    /// Appends the name as a person types it into a bank form (profile
    /// `other`): `style` 0 abbreviates every word to four letters, upper
    /// case, with a short legal form (`ACME TEXT BV` for Acme Textiles
    /// B.V.); 1 drops the middle word; 2 puts the industry word first; 3
    /// writes the trading name alone in upper case; 4 cuts the name at 18
    /// characters.
    pub(crate) fn push_typed_name(&self, out: &mut Vec<u8>, style: u64) {
        let words: Vec<&str> = self.trading_words().collect();
        let form = self.legal_form();
        let short_form = form.variants.first().copied().unwrap_or(form.canonical);
        match style % 5 {
            0 => {
                for (i, w) in words.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    let cut: String = w.chars().take(4).collect();
                    out.extend_from_slice(cut.to_uppercase().as_bytes());
                }
                out.push(b' ');
                out.extend_from_slice(short_form.to_uppercase().replace('.', "").as_bytes());
            }
            1 => {
                let kept = [words[0], words[words.len() - 1]];
                out.extend_from_slice(kept.join(" ").as_bytes());
                out.push(b' ');
                out.extend_from_slice(form.canonical.as_bytes());
            }
            2 => {
                let mut reordered = words.clone();
                reordered.rotate_right(1);
                out.extend_from_slice(reordered.join(" ").as_bytes());
                out.push(b' ');
                out.extend_from_slice(short_form.as_bytes());
            }
            3 => out.extend_from_slice(words.join(" ").to_uppercase().as_bytes()),
            _ => {
                let mut full = Vec::new();
                self.push_name(&mut full, LegalSpelling::Canonical);
                let text = String::from_utf8_lossy(&full);
                let cut: String = text.chars().take(18).collect();
                out.extend_from_slice(cut.trim_end().as_bytes());
            }
        }
    }

    /// The name without legal form.
    fn push_trading_name(&self, out: &mut Vec<u8>) {
        for (i, word) in self.trading_words().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.extend_from_slice(word.as_bytes());
        }
    }

    /// The words of the name without legal form.
    fn trading_words(&self) -> impl Iterator<Item = &'static str> {
        let middle = (self.middle != 0).then(|| NAME_MIDDLE[usize::from(self.middle - 1)]);
        std::iter::once(NAME_FIRST[usize::from(self.first)])
            .chain(middle)
            .chain(std::iter::once(NAME_INDUSTRY[usize::from(self.industry)]))
    }

    /// Appends the `;`-separated aliases: the trading name (no legal form)
    /// and/or the initials ("Nordic Steel Components" → "NSC").
    pub(crate) fn push_aliases(&self, out: &mut Vec<u8>) {
        let start = out.len();
        if self.alias_kinds & 2 != 0 {
            self.push_trading_name(out);
        }
        if self.alias_kinds & 1 != 0 {
            if out.len() > start {
                out.push(b';');
            }
            let words = self.trading_words().flat_map(|part| part.split([' ', '-']));
            for initial in words.filter_map(|w| w.chars().find(|c| c.is_alphabetic())) {
                for upper in initial.to_uppercase() {
                    let mut utf8 = [0; 4];
                    out.extend_from_slice(upper.encode_utf8(&mut utf8).as_bytes());
                }
            }
        }
    }

    /// The customer's accounts in the master.
    pub(crate) fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.iter().flatten()
    }

    /// Appends the `;`-separated IBANs.
    pub(crate) fn push_accounts(&self, out: &mut Vec<u8>) {
        for (i, account) in self.accounts().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            account.push(out);
        }
    }
}

/// Appends the customer number of customer `index`.
pub(crate) fn push_customer_number(out: &mut Vec<u8>, index: u32) {
    push_u128(out, u128::from(CUSTOMER_NUMBER_BASE + u64::from(index)));
}

/// Draws `count` customers with unique names and unique accounts.
pub(crate) fn generate_customers(
    rng: &mut Xoshiro256StarStar,
    count: u32,
    foreign_currency_percent: u32,
) -> Vec<Customer> {
    let mut customers: Vec<Customer> = Vec::with_capacity(count as usize);
    let mut names_taken: HashSet<u64> = HashSet::with_capacity(count as usize);
    let mut numbered = 0u32;
    for index in 0..count {
        let currency = if rng.percent(foreign_currency_percent) {
            if rng.percent(60) {
                Currency::Usd
            } else {
                Currency::Gbp
            }
        } else {
            Currency::Eur
        };
        let mut customer = Customer {
            first: 0,
            middle: 0,
            industry: 0,
            legal: 0,
            disambiguator: 0,
            currency,
            accounts: [None; ACCOUNTS_PER_CUSTOMER_MAX as usize],
            alias_kinds: 0,
        };
        let mut unique = false;
        for _ in 0..NAME_ATTEMPTS_MAX {
            draw_name(rng, &mut customer, &customers);
            if names_taken.insert(customer.name_key()) {
                unique = true;
                break;
            }
        }
        if !unique {
            // The word lists are exhausted for this tuple: number it, as
            // registries do ("Müller Logistik 2 GmbH").
            numbered += 1;
            customer.disambiguator = numbered + 1;
        }
        let choices = if currency == Currency::Eur {
            EUR_ACCOUNT_COUNTRIES
        } else {
            NON_EUR_ACCOUNT_COUNTRIES
        };
        let account_count = if rng.percent(NO_ACCOUNT_PERCENT) {
            0
        } else if rng.percent(SECOND_ACCOUNT_PERCENT) {
            2
        } else {
            1
        };
        for k in 0..account_count {
            let country = *rng.pick(choices);
            let bank = rng.index(ACCOUNT_COUNTRIES[usize::from(country)].bank_codes.len()) as u8;
            customer.accounts[k as usize] = Some(Account {
                country,
                bank,
                slot: u64::from(index) * ACCOUNT_SLOTS_PER_CUSTOMER + k,
            });
        }
        customer.alias_kinds = rng.below(4) as u8;
        customers.push(customer);
    }
    customers
}

fn draw_name(rng: &mut Xoshiro256StarStar, customer: &mut Customer, earlier: &[Customer]) {
    let legal_count = customer.currency.legal_forms().len() as u64;
    if !earlier.is_empty() && rng.percent(SIMILAR_NAME_PERCENT) {
        // A sister company or a near-namesake: same words, other legal form
        // or middle word. Engines must not merge them.
        let model = &earlier[rng.index(earlier.len())];
        customer.first = model.first;
        customer.industry = model.industry;
        customer.middle = if rng.percent(50) {
            model.middle
        } else {
            rng.below(NAME_MIDDLE.len() as u64 + 1) as u16
        };
        customer.legal = rng.below(legal_count) as u8;
        return;
    }
    customer.first = rng.index(NAME_FIRST.len()) as u16;
    customer.middle = if rng.percent(MIDDLE_WORD_PERCENT) {
        rng.below(NAME_MIDDLE.len() as u64) as u16 + 1
    } else {
        0
    };
    customer.industry = rng.index(NAME_INDUSTRY.len()) as u16;
    customer.legal = rng.below(legal_count) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iban(country: &str, bban: &str) -> String {
        let mut out = Vec::new();
        push_iban(&mut out, country, bban.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn iban_check_digits_match_published_examples() {
        assert_eq!(iban("DE", "370400440532013000"), "DE89370400440532013000");
        assert_eq!(iban("GB", "NWBK60161331926819"), "GB29NWBK60161331926819");
        assert_eq!(iban("NL", "ABNA0417164300"), "NL91ABNA0417164300");
    }

    #[test]
    fn names_and_accounts_are_unique() {
        let mut rng = Xoshiro256StarStar::seed_from_u64(1);
        let customers = generate_customers(&mut rng, 5_000, 10);
        let mut names = HashSet::new();
        let mut accounts = HashSet::new();
        for c in &customers {
            let mut name = Vec::new();
            c.push_name(&mut name, LegalSpelling::Canonical);
            assert!(
                names.insert(name.clone()),
                "duplicate name {}",
                String::from_utf8_lossy(&name)
            );
            for a in c.accounts() {
                let mut iban = Vec::new();
                a.push(&mut iban);
                assert!(accounts.insert(iban));
            }
        }
    }
}
