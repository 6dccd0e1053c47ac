//! Several legal entities for a generated dataset (issue 11, part 4).
//!
//! A post-processing stage over a dataset [`crate::generate`] wrote, in its
//! own module like [`crate::advices`], so the generator's streams and files
//! are untouched when it is not asked for (`generate --companies N`, N ≥ 2):
//! - every open item gets a `company_code` (`0100`, `0200`, ...: text with a
//!   leading zero, as ERPs write them), the company of its customer, except
//!   for about one customer in ten, whose invoices are spread over two
//!   companies (a customer buying from several group companies);
//! - every bank line is moved to the bank account of one company: the
//!   company of the first invoice it pays (truth), or of a hash of its
//!   reference when it pays none;
//! - about `intercompany_percent` % of the payments that pay invoices go to
//!   the account of *another* company (the payer used the wrong bank
//!   details): with `[intercompany] allow = true` they are applied across
//!   companies, as the truth says; without it they are
//!   `OTHER_COMPANY_INVOICE` exceptions;
//! - `companies.toml` is the run's configuration for it: `[company]` with
//!   the default code and every account's company, `[intercompany] allow`.
//!
//! `truth.csv` is unchanged (the invoices paid are the same), so
//! `evaluate` scores a multi-company run like any other. Every choice is a
//! hash of seed and key: same dataset, same seed, same bytes.

use crate::truth::read_truth;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

/// What [`add_companies`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CompaniesSummary {
    /// The company codes.
    pub companies: Vec<String>,
    /// Open items per company, in code order.
    pub items: Vec<u64>,
    /// Payments that pay an invoice of another company than the one that
    /// owns the receiving account (misrouted or spanning companies).
    pub intercompany_payments: u64,
}

/// SplitMix64 of seed, salt and key: a stable, well-mixed number.
fn hash(seed: u64, salt: u64, key: &str) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15 ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// The code of company `k` (0-based): `0100`, `0200`, ...
pub fn company_code(k: usize) -> String {
    format!("{:04}", (k + 1) * 100)
}

/// The bank account of company `k` for a generated account: company 0
/// keeps it, company k changes its last three digits to `k`, same length.
fn account_of(account: &str, k: usize) -> String {
    if k == 0 || account.len() < 4 {
        return account.to_string();
    }
    let keep = &account[..account.len() - 3];
    format!("{keep}{k:03}")
}

/// The first field of a CSV line (never quoted in generated files).
fn first_field(line: &str) -> &str {
    line.split(',').next().unwrap_or("")
}

/// Spreads the dataset in `dir` over `n` companies (see the module
/// documentation); `intercompany_percent` of the paying payments go to
/// another company's account.
pub fn add_companies(
    dir: &Path,
    n: usize,
    seed: u64,
    intercompany_percent: u32,
) -> io::Result<CompaniesSummary> {
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    if n < 2 {
        return Err(bad("--companies needs at least 2 companies".into()));
    }
    let codes: Vec<String> = (0..n).map(company_code).collect();
    // Open items: customer's company, a tenth of customers spread over two.
    let items_text = std::fs::read_to_string(dir.join("open_items.csv"))?;
    let mut lines = items_text.lines();
    let header = lines
        .next()
        .ok_or_else(|| bad("open_items.csv is empty".into()))?;
    let mut out = format!("{header},company_code\n");
    let mut item_company: BTreeMap<String, usize> = BTreeMap::new();
    let mut items = vec![0u64; n];
    for line in lines {
        let mut f = line.split(',');
        let (invoice, customer) = (f.next().unwrap_or(""), f.next().unwrap_or(""));
        let home = (hash(seed, 1, customer) % n as u64) as usize;
        let spread = hash(seed, 2, customer).is_multiple_of(10);
        let k = if spread && hash(seed, 3, invoice) % 2 == 1 {
            (home + 1) % n
        } else {
            home
        };
        item_company.insert(invoice.to_string(), k);
        items[k] += 1;
        out.push_str(line);
        out.push(',');
        out.push_str(&codes[k]);
        out.push('\n');
    }
    std::fs::write(dir.join("open_items.csv"), out)?;
    // Bank lines: the company of the first invoice paid, or misrouted.
    let truth = read_truth(&dir.join("truth.csv"))?;
    let mut first_invoice: BTreeMap<&str, &str> = BTreeMap::new();
    let mut paid_companies: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for t in &truth {
        if t.invoice_id.is_empty() {
            continue;
        }
        first_invoice
            .entry(t.bank_reference.as_str())
            .or_insert(t.invoice_id.as_str());
        if let Some(&k) = item_company.get(&t.invoice_id) {
            paid_companies
                .entry(t.bank_reference.as_str())
                .or_default()
                .insert(k);
        }
    }
    let bank = std::fs::read_to_string(dir.join("bank.csv"))?;
    let mut lines = bank.lines();
    let header = lines
        .next()
        .ok_or_else(|| bad("bank.csv is empty".into()))?;
    if first_field(header) != "account" {
        return Err(bad(format!(
            "bank.csv: first column is `{}`, expected `account`",
            first_field(header)
        )));
    }
    let mut out = format!("{header}\n");
    let mut accounts: BTreeMap<String, String> = BTreeMap::new();
    let mut intercompany_payments = 0;
    for line in lines {
        let account = first_field(line);
        let reference = line.rsplit(',').next().unwrap_or("");
        let k = match first_invoice.get(reference) {
            Some(inv) => {
                let own = item_company.get(*inv).copied().unwrap_or(0);
                if hash(seed, 4, reference) % 100 < u64::from(intercompany_percent) {
                    (own + 1 + (hash(seed, 5, reference) % (n as u64 - 1)) as usize) % n
                } else {
                    own
                }
            }
            None => (hash(seed, 6, reference) % n as u64) as usize,
        };
        if paid_companies
            .get(reference)
            .is_some_and(|ks| ks.iter().any(|&c| c != k))
        {
            intercompany_payments += 1;
        }
        let moved = account_of(account, k);
        accounts.insert(moved.clone(), codes[k].clone());
        out.push_str(&moved);
        out.push_str(&line[account.len()..]);
        out.push('\n');
    }
    std::fs::write(dir.join("bank.csv"), out)?;
    let mut toml = String::from(
        "# Legal entities of this generated dataset (cashmatch generate --companies).\n[company]\n",
    );
    toml.push_str(&format!(
        "default_code = \"{}\"\n\n[company.accounts]\n",
        codes[0]
    ));
    for (account, code) in &accounts {
        toml.push_str(&format!("\"{account}\" = \"{code}\"\n"));
    }
    toml.push_str("\n[intercompany]\nallow = true\n");
    std::fs::write(dir.join("companies.toml"), toml)?;
    Ok(CompaniesSummary {
        companies: codes,
        items,
        intercompany_payments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_their_leading_zero_and_accounts_their_length() {
        assert_eq!(company_code(0), "0100");
        assert_eq!(company_code(2), "0300");
        let a = "DE89370400440532013000";
        assert_eq!(account_of(a, 0), a);
        assert_eq!(account_of(a, 2).len(), a.len());
        assert_ne!(account_of(a, 2), account_of(a, 1));
    }
}
