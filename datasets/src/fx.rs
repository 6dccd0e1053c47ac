//! Foreign-currency payments for a generated dataset (issue 11, part 2): a
//! customer pays its invoice in another currency, and the set gets the
//! rates table that converts it (`rates.csv`, for `cashmatch run --rates`).
//!
//! A post-processing stage over a dataset [`crate::generate`] wrote, like
//! [`crate::advices`], so the generator's streams and files are untouched
//! when it is off: it reads `bank.csv` and `truth.csv`, chooses payments
//! paying their invoices by reference in full (cash only, no discount,
//! write-off or deduction, the lines adding up to the bank amount), and
//! rewrites each chosen bank line in another currency (USD, or EUR for a
//! USD invoice) at the day's rate, moved by up to ±0.3 % (the payer's bank
//! used its own rate). `rates.csv` quotes the pair for every value date of
//! the chosen payments. `truth.csv` stays as it is: the invoices are paid
//! in full in their own currency, so `evaluate` scores the cross-currency
//! applications like any other. Choice and rates are a hash of seed and
//! bank reference (and date): same dataset, same seed, same bytes.

use crate::config::Scenario;
use crate::truth::{read_truth, split_record, TruthLine};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// What [`add_fx`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FxSummary {
    /// Bank lines rewritten in another currency.
    pub payments: u64,
    /// Quotes written to `rates.csv`.
    pub rates: u64,
}

/// Value of one unit in EUR, the centre of each generated quote.
fn eur_value(currency: &str) -> Option<Decimal> {
    match currency {
        "EUR" => Some(Decimal::ONE),
        "USD" => Some(Decimal::new(9217, 4)),
        "GBP" => Some(Decimal::new(11705, 4)),
        _ => None,
    }
}

/// SplitMix64 of seed and text.
fn hash(seed: u64, text: &str) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// The quote of `from → to` on `date`: the EUR values' ratio moved by up
/// to ±0.5 % by the date, 6 decimals.
fn quote(seed: u64, from: &str, to: &str, date: &str) -> Option<Decimal> {
    let centre = eur_value(from)? / eur_value(to)?;
    let wiggle = Decimal::new(
        (hash(seed, &format!("{from}{to}{date}")) % 1001) as i64 - 500,
        5,
    );
    Some(
        (centre * (Decimal::ONE + wiggle))
            .round_dp_with_strategy(6, RoundingStrategy::MidpointNearestEven),
    )
}

fn paid_in_full(lines: &[&TruthLine]) -> bool {
    lines.iter().all(|l| {
        !l.pays_nothing()
            && matches!(
                l.scenario,
                Scenario::ExactReference | Scenario::MultiReference
            )
            && l.discount_amount.is_zero()
            && l.writeoff_amount.is_zero()
            && l.deduction_amount.is_zero()
    })
}

/// Rewrites about `percent` % of the fully paid referenced payments of the
/// dataset in `dir` in another currency and writes `dir/rates.csv`.
pub fn add_fx(dir: &Path, percent: u32, seed: u64) -> io::Result<FxSummary> {
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    let truth = read_truth(&dir.join("truth.csv"))?;
    let mut by_ref: BTreeMap<&str, Vec<&TruthLine>> = BTreeMap::new();
    for t in &truth {
        by_ref.entry(t.bank_reference.as_str()).or_default().push(t);
    }
    let bank = std::fs::read_to_string(dir.join("bank.csv"))?;
    let mut out = String::with_capacity(bank.len());
    let mut records = bank.lines();
    let header = records
        .next()
        .ok_or_else(|| bad("bank.csv is empty".into()))?;
    out.push_str(header);
    out.push('\n');
    let mut fields = Vec::new();
    let mut quotes: BTreeMap<(String, String, String), Decimal> = BTreeMap::new();
    let mut summary = FxSummary {
        payments: 0,
        rates: 0,
    };
    for record in records {
        split_record(record, &mut fields);
        if fields.len() < 9 {
            return Err(bad(format!("bank.csv: short record `{record}`")));
        }
        let reference = fields[8].clone();
        let amount: Decimal = fields[3]
            .parse()
            .map_err(|_| bad(format!("bank.csv: amount `{}`", fields[3])))?;
        let invoice_currency = fields[4].clone();
        let pay_currency = if invoice_currency == "USD" {
            "EUR"
        } else {
            "USD"
        };
        let date = fields[2].clone();
        let chosen = by_ref.get(reference.as_str()).is_some_and(|lines| {
            amount > Decimal::ZERO
                && eur_value(&invoice_currency).is_some()
                && paid_in_full(lines)
                && lines.iter().map(|l| l.applied_amount).sum::<Decimal>() == amount
                && hash(seed, &reference) % 100 < u64::from(percent)
        });
        let rate = quote(seed, pay_currency, &invoice_currency, &date);
        let (true, Some(rate)) = (chosen, rate) else {
            out.push_str(record);
            out.push('\n');
            continue;
        };
        // What the payer's bank sent: the invoice amount at its own rate,
        // up to 0.3 % away from the quote.
        let spread = Decimal::new((hash(seed ^ 1, &reference) % 601) as i64 - 300, 5);
        let paid = (amount / rate * (Decimal::ONE + spread))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
        if paid <= Decimal::ZERO {
            out.push_str(record);
            out.push('\n');
            continue;
        }
        quotes.insert(
            (
                date.clone(),
                pay_currency.to_string(),
                invoice_currency.clone(),
            ),
            rate,
        );
        let mut row = fields[..9].to_vec();
        row[3] = paid.to_string();
        row[4] = pay_currency.to_string();
        out.push_str(
            &row.iter()
                .map(|f| quote_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
        summary.payments += 1;
    }
    let mut rates = String::from("date,from,to,rate,source\n");
    for ((date, from, to), rate) in &quotes {
        rates.push_str(&format!("{date},{from},{to},{rate},generator\n"));
    }
    summary.rates = quotes.len() as u64;
    std::fs::write(dir.join("rates.csv"), rates)?;
    std::fs::write(dir.join("bank.csv"), out)?;
    Ok(summary)
}

/// The demo's foreign-currency payment and its rates (see
/// [`crate::demo::fx_payment`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFx {
    /// A bank CSV (the demo's columns) with one USD receipt.
    pub bank_csv: String,
    /// `rates.csv` with the USD/EUR quote of its value date.
    pub rates_csv: String,
    /// The invoice it pays.
    pub invoice_id: String,
    /// That invoice's open amount (EUR), cleared in full.
    pub invoice_open: Decimal,
}

/// One USD receipt paying the first open EUR invoice (by extract order)
/// that no payment of `truth` pays, at the demo's USD/EUR quote on the
/// last booking day of `bank_csv`, 0.1 % off the quote (the payer's bank's
/// rate), on the demo's receiving account.
pub fn demo_payment(bank_csv: &str, open_items_csv: &str, truth_csv: &str) -> DemoFx {
    let paid: std::collections::BTreeSet<&str> = truth_csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .collect();
    let mut fields = Vec::new();
    let mut account = String::new();
    let mut date = String::new();
    for record in bank_csv.lines().skip(1) {
        split_record(record, &mut fields);
        if fields.len() >= 9 && fields[2] > date {
            date = fields[2].clone();
            account = fields[0].clone();
        }
    }
    let mut invoice = None;
    for record in open_items_csv.lines().skip(1) {
        split_record(record, &mut fields);
        if fields.len() >= 5 && fields[3] == "EUR" && !paid.contains(fields[0].as_str()) {
            if let Ok(open) = fields[4].parse::<Decimal>() {
                if open > Decimal::ZERO {
                    invoice = Some((fields[0].clone(), fields[2].clone(), open));
                    break;
                }
            }
        }
    }
    let Some((invoice_id, customer, open)) = invoice else {
        return DemoFx {
            bank_csv: String::new(),
            rates_csv: String::new(),
            invoice_id: String::new(),
            invoice_open: Decimal::ZERO,
        };
    };
    let rate = quote(42, "USD", "EUR", &date).unwrap_or(Decimal::ONE);
    let paid = (open / rate * Decimal::new(1001, 3))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    let header = bank_csv.lines().next().unwrap_or_default();
    let bank_csv = format!(
        "{header}\n{account},{date},{date},{paid},USD,{},US64SVBKUS6S3300958879,Invoice {invoice_id} paid in USD,BRFX0000001\n",
        quote_field(&customer)
    );
    let rates_csv =
        format!("date,from,to,rate,source\n{date},USD,EUR,{rate},ECB reference rate (demo)\n");
    DemoFx {
        bank_csv,
        rates_csv,
        invoice_id,
        invoice_open: open,
    }
}

fn quote_field(f: &str) -> String {
    if f.contains([',', '"', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_near_the_centre_and_stable() {
        let a = quote(7, "USD", "EUR", "2026-03-02").unwrap();
        assert_eq!(a, quote(7, "USD", "EUR", "2026-03-02").unwrap());
        assert!(
            (a - Decimal::new(9217, 4)).abs() <= Decimal::new(50, 4),
            "{a}"
        );
        assert!(quote(7, "USD", "CHF", "2026-03-02").is_none());
    }

    #[test]
    fn payments_are_rewritten_with_rates_and_truth_unchanged() {
        let dir = std::env::temp_dir().join(format!("cashmatch-fx-gen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = crate::GeneratorConfig {
            customers: 20,
            invoices: 120,
            payments: 80,
            seed: 3,
            ..crate::GeneratorConfig::default()
        };
        crate::generate(&config, &dir).unwrap();
        let truth = std::fs::read(dir.join("truth.csv")).unwrap();
        let s = add_fx(&dir, 100, 3).unwrap();
        assert!(s.payments > 0 && s.rates > 0, "{s:?}");
        assert_eq!(std::fs::read(dir.join("truth.csv")).unwrap(), truth);
        let rates = std::fs::read_to_string(dir.join("rates.csv")).unwrap();
        assert_eq!(rates.lines().count() as u64, s.rates + 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
