//! History mode: the months before a dataset's as-of date, for the
//! analytics (`cashmatch report --invoices --cleared-items`, `cashmatch
//! backtest`). From the customers of an open-item extract it generates
//! 12+ months of invoices issued and paid, each customer paying with one
//! behaviour:
//!
//! | profile | share | days paid after the due date |
//! |---|---|---|
//! | `prompt` | 40 % | −5 … +2 |
//! | `slow` | 30 % | a customer's own 10 … 25, ± 3 |
//! | `deteriorating` | 15 % | from 0 … 5 rising linearly to 30 … 45 over the months, ± 3 |
//! | `seasonal` | 15 % | 0 … 5, plus 20 … 30 when due in July, August or December, ± 3 |
//!
//! Two files (see [`HistoryFiles`]): every invoice issued (the history
//! invoices, then the open items of the extract, so DSO and CEI see the
//! credit sales of the period) and the cleared items (the history invoices,
//! with the day each was paid). Only invoices paid before `cleared_before`
//! (the first day of the bank statements) are written: the extract's open
//! items are the ones still open then, and the two files never disagree
//! with it. Two duplicate invoices are planted (same customer and amount,
//! the number typed without its first separator, dated a day later) for
//! the `DUPLICATE_INVOICE` signal.
//!
//! Draws come from their own PRNG stream ([`STAGE_HISTORY`]), so history
//! mode never changes the customers, open items or bank lines of a dataset.

use crate::prng::Xoshiro256StarStar;
use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The PRNG stream label of history mode (the other stages use 1 to 3).
pub const STAGE_HISTORY: u64 = 4;

/// Header of the cleared-items file: the open-item columns plus
/// `cleared_date`.
pub const CLEARED_ITEMS_HEADER: &str = "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date,discount_percent,discount_days,po_number,cleared_date";
/// Header of the invoices file (`--invoices`).
pub const INVOICES_HEADER: &str = "invoice_id,customer_id,currency,amount,invoice_date,due_date";

/// First sequence number of history invoices (`INV-<year>-900001`): the
/// ERP's numbering shape, far from the extract's numbers.
const FIRST_SEQUENCE: u64 = 900_001;

/// How one customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Pays around the due date.
    Prompt,
    /// Pays a steady number of days late.
    Slow,
    /// Pays later and later.
    Deteriorating,
    /// Pays late in the summer and at year end.
    Seasonal,
}

impl Profile {
    /// The profile's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Prompt => "prompt",
            Profile::Slow => "slow",
            Profile::Deteriorating => "deteriorating",
            Profile::Seasonal => "seasonal",
        }
    }
}

/// What history mode writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryFiles {
    /// `invoices.csv` ([`INVOICES_HEADER`]).
    pub invoices_csv: String,
    /// `cleared_items.csv` ([`CLEARED_ITEMS_HEADER`]).
    pub cleared_items_csv: String,
    /// Customer id → profile drawn.
    pub profiles: BTreeMap<String, Profile>,
    /// History invoices written (cleared).
    pub cleared: u64,
    /// The planted duplicates (original id, duplicate id).
    pub duplicates: Vec<(String, String)>,
}

/// Settings of history mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryConfig {
    /// Dataset seed (the stream is `(seed, STAGE_HISTORY)`).
    pub seed: u64,
    /// The dataset's as-of date.
    pub as_of: NaiveDate,
    /// Months of history before `cleared_before` (at least 12).
    pub months: u32,
    /// Items paid on or after this day are not written (the first day of
    /// the bank statements).
    pub cleared_before: NaiveDate,
}

/// One customer as the extract gives it.
#[derive(Debug, Clone)]
struct Payer {
    id: String,
    name: String,
    currency: String,
}

/// Splits one CSV record (RFC 4180 quotes, no line breaks inside fields).
fn split_record(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn money(cents: i64) -> String {
    Decimal::new(cents, 2).to_string()
}

/// Generates the history of the customers in `open_items_csv` (an extract
/// with the generator's header). Same inputs, same bytes.
pub fn generate(open_items_csv: &str, config: &HistoryConfig) -> HistoryFiles {
    let mut lines = open_items_csv.lines();
    let header = split_record(lines.next().unwrap_or_default());
    let col = |name: &str| header.iter().position(|h| h == name);
    let (
        Some(c_inv),
        Some(c_cust),
        Some(c_name),
        Some(c_cur),
        Some(c_orig),
        Some(c_date),
        Some(c_due),
    ) = (
        col("invoice_id"),
        col("customer_id"),
        col("customer_name"),
        col("currency"),
        col("amount_original"),
        col("invoice_date"),
        col("due_date"),
    )
    else {
        panic!("history mode needs the generator's open-item header");
    };
    let mut payers: BTreeMap<String, Payer> = BTreeMap::new();
    let mut open_rows = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let f = split_record(line);
        payers.entry(f[c_cust].clone()).or_insert_with(|| Payer {
            id: f[c_cust].clone(),
            name: f[c_name].clone(),
            currency: f[c_cur].clone(),
        });
        open_rows.push(format!(
            "{},{},{},{},{},{}",
            quote(&f[c_inv]),
            quote(&f[c_cust]),
            f[c_cur],
            f[c_orig],
            f[c_date],
            f[c_due]
        ));
    }

    let mut rng = Xoshiro256StarStar::for_stage(config.seed, STAGE_HISTORY);
    let months = config.months.max(12);
    let start = config
        .cleared_before
        .checked_sub_months(Months::new(months))
        .unwrap_or(config.cleared_before);
    let span_days = (config.cleared_before - start).num_days().max(1);
    let mut profiles = BTreeMap::new();
    // (invoice_id, payer, amount cents, invoice date, due date, cleared date)
    let mut issued: Vec<(String, usize, i64, NaiveDate, NaiveDate, NaiveDate)> = Vec::new();
    let payer_list: Vec<&Payer> = payers.values().collect();
    let mut sequence = FIRST_SEQUENCE;
    for (p, payer) in payer_list.iter().enumerate() {
        let profile = match rng.below(100) {
            0..=39 => Profile::Prompt,
            40..=69 => Profile::Slow,
            70..=84 => Profile::Deteriorating,
            _ => Profile::Seasonal,
        };
        profiles.insert(payer.id.clone(), profile);
        let terms = *rng.pick(&[14u64, 30, 30, 30, 45, 60]);
        let own_late = rng.range_inclusive(10, 25) as i64;
        let base = rng.range_inclusive(0, 5) as i64;
        let end_late = rng.range_inclusive(30, 45) as i64;
        let per_month = rng.range_inclusive(1, 3);
        let typical_cents = rng.range_inclusive(20_000, 800_000) as i64;
        let mut day = start + Days::new(rng.below(20));
        while day < config.cleared_before {
            for _ in 0..per_month {
                let invoice_date = day + Days::new(rng.below(28));
                if invoice_date >= config.cleared_before {
                    continue;
                }
                let due = invoice_date + Days::new(terms);
                let noise = rng.range_inclusive(0, 6) as i64 - 3;
                let elapsed = (invoice_date - start).num_days();
                let late = match profile {
                    Profile::Prompt => rng.range_inclusive(0, 7) as i64 - 5,
                    Profile::Slow => own_late + noise,
                    Profile::Deteriorating => {
                        base + (end_late - base) * elapsed / span_days + noise
                    }
                    Profile::Seasonal => {
                        base + noise
                            + if matches!(due.month(), 7 | 8 | 12) {
                                rng.range_inclusive(20, 30) as i64
                            } else {
                                0
                            }
                    }
                };
                let cleared = if late >= 0 {
                    due + Days::new(late as u64)
                } else {
                    due - Days::new(late.unsigned_abs())
                };
                // Amounts vary around the customer's typical invoice.
                let cents = (typical_cents * rng.range_inclusive(500_000, 1_500_000) as i64
                    / 1_000_000)
                    .max(1_000);
                let id = format!("INV-{}-{sequence:06}", invoice_date.year());
                sequence += 1;
                if cleared < config.cleared_before {
                    issued.push((id, p, cents, invoice_date, due, cleared.max(invoice_date)));
                }
            }
            day = day
                .checked_add_months(Months::new(1))
                .unwrap_or(config.cleared_before);
        }
    }
    issued.sort_by(|a, b| (a.3, &a.0).cmp(&(b.3, &b.0)));

    // Plant two duplicates: an invoice keyed in again a day later, its
    // number typed without the first separator (`INV2025-900123`), same
    // customer and amount.
    let mut duplicates = Vec::new();
    let mut planted = Vec::new();
    if issued.len() >= 4 {
        for k in [issued.len() / 3, 2 * issued.len() / 3] {
            let (id, p, cents, date, due, _) = issued[k].clone();
            let dup = id.replacen('-', "", 1);
            if dup == id || issued.iter().any(|x| x.0 == dup) {
                continue;
            }
            duplicates.push((id, dup.clone()));
            planted.push((dup, p, cents, date + Days::new(1), due + Days::new(1)));
        }
    }

    let mut invoices = String::new();
    let _ = writeln!(invoices, "{INVOICES_HEADER}");
    let mut cleared_csv = String::new();
    let _ = writeln!(cleared_csv, "{CLEARED_ITEMS_HEADER}");
    for (id, p, cents, date, due, cleared) in &issued {
        let payer = payer_list[*p];
        let _ = writeln!(
            invoices,
            "{id},{},{},{},{date},{due}",
            quote(&payer.id),
            payer.currency,
            money(*cents)
        );
        let _ = writeln!(
            cleared_csv,
            "{id},{},{},{},0.00,{},{date},{due},,,,{cleared}",
            quote(&payer.id),
            quote(&payer.name),
            payer.currency,
            money(*cents)
        );
    }
    for (id, p, cents, date, due) in &planted {
        let payer = payer_list[*p];
        let _ = writeln!(
            invoices,
            "{id},{},{},{},{date},{due}",
            quote(&payer.id),
            payer.currency,
            money(*cents)
        );
    }
    for row in open_rows {
        let _ = writeln!(invoices, "{row}");
    }
    HistoryFiles {
        invoices_csv: invoices,
        cleared_items_csv: cleared_csv,
        profiles,
        cleared: issued.len() as u64,
        duplicates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn config() -> HistoryConfig {
        HistoryConfig {
            seed: 42,
            as_of: day("2026-03-31"),
            months: 14,
            cleared_before: day("2026-03-02"),
        }
    }

    #[test]
    fn records_split_quotes() {
        assert_eq!(split_record("a,\"b, \"\"c\"\"\",d"), ["a", "b, \"c\"", "d"]);
    }

    #[test]
    fn history_is_deterministic_and_consistent_with_the_extract() {
        let a = generate(crate::demo::OPEN_ITEMS, &config());
        let b = generate(crate::demo::OPEN_ITEMS, &config());
        assert_eq!(a, b);
        assert!(
            a.cleared > 1_000,
            "12+ months of paid invoices: {}",
            a.cleared
        );
        // Every cleared date before the statements, on or after issue.
        for line in a.cleared_items_csv.lines().skip(1) {
            let f = split_record(line);
            let (issued, cleared) = (day(&f[6]), day(&f[11]));
            assert!(cleared < day("2026-03-02") && cleared >= issued, "{line}");
        }
        // The extract's open items are among the invoices, once.
        let ids: Vec<String> = a
            .invoices_csv
            .lines()
            .skip(1)
            .map(|l| split_record(l)[0].clone())
            .collect();
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "invoice ids are unique");
        assert!(ids.iter().any(|i| i == "INV-2026-000001"));
        assert_eq!(a.duplicates.len(), 2);
        for p in [
            Profile::Prompt,
            Profile::Slow,
            Profile::Deteriorating,
            Profile::Seasonal,
        ] {
            assert!(a.profiles.values().any(|x| *x == p), "{}", p.as_str());
        }
        // Covers 12+ months.
        let first = a
            .cleared_items_csv
            .lines()
            .nth(1)
            .map(|l| day(&split_record(l)[6]))
            .unwrap();
        assert!(first <= day("2025-03-02"), "{first}");
    }

    #[test]
    fn the_follow_up_settles_most_short_payments() {
        let f = crate::demo::follow_up();
        assert!(!f.paid.is_empty() && !f.credited.is_empty() && !f.still_open.is_empty());
        assert_eq!(f.bank_csv.lines().count() - 1, f.paid.len());
        assert_eq!(
            f.open_items_csv.lines().count() - 1,
            f.paid.len() + f.credited.len()
        );
        assert!(f.open_items_csv.contains(&format!("CN-{}", f.credited[0])));
        assert_eq!(f, crate::demo::follow_up());
    }

    #[test]
    fn a_different_seed_gives_other_behaviour() {
        let a = generate(crate::demo::OPEN_ITEMS, &config());
        let b = generate(
            crate::demo::OPEN_ITEMS,
            &HistoryConfig {
                seed: 7,
                ..config()
            },
        );
        assert_ne!(a.cleared_items_csv, b.cleared_items_csv);
    }
}

/// The month after a dataset: the disputes of its short payments resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// `open_items.csv` of the next run: the deducted residual of every
    /// other short-paid invoice (reopened by the ERP), and a credit note for
    /// the deduction of the rest.
    pub open_items_csv: String,
    /// `bank.csv` of the next run: the customers paying the residuals, each
    /// quoting its invoice.
    pub bank_csv: String,
    /// Invoices whose dispute a payment resolves.
    pub paid: Vec<String>,
    /// Invoices whose dispute a credit note resolves.
    pub credited: Vec<String>,
    /// Invoices whose dispute stays open (every fifth).
    pub still_open: Vec<String>,
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("history mode needs the generator's `{name}` column"))
}

/// The follow-up batch of a generated dataset (its `open_items.csv`,
/// `customers.csv`, `bank.csv` and `truth.csv`), dated `from`: the short
/// payments (truth scenario `short_pay`) in invoice order; every fifth stays
/// in dispute, of the rest the first, third, ... are paid (the residual
/// reopened and paid, quoting the invoice, on `from` + k days), the others
/// credited (a credit note `CN-<invoice>` of minus the deduction, dated
/// `from`). Deterministic, no randomness.
pub fn follow_up(
    open_items_csv: &str,
    customers_csv: &str,
    bank_csv: &str,
    truth_csv: &str,
    from: NaiveDate,
) -> FollowUp {
    let table = |text: &str| -> (Vec<String>, Vec<Vec<String>>) {
        let mut lines = text.lines().filter(|l| !l.is_empty());
        let header = split_record(lines.next().unwrap_or_default());
        (header, lines.map(split_record).collect())
    };
    let (ih, items) = table(open_items_csv);
    let (ch, customers) = table(customers_csv);
    let (bh, bank) = table(bank_csv);
    let (th, truth) = table(truth_csv);
    let (t_inv, t_applied, t_scenario, t_disc, t_wo) = (
        column(&th, "invoice_id"),
        column(&th, "applied_amount"),
        column(&th, "scenario"),
        column(&th, "discount_amount"),
        column(&th, "writeoff_amount"),
    );
    let dec = |s: &str| s.parse::<Decimal>().unwrap_or_default();
    let mut short: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in truth.iter().filter(|r| r[t_scenario] == "short_pay") {
        *short.entry(r[t_inv].clone()).or_default() +=
            dec(&r[t_applied]) + dec(&r[t_disc]) + dec(&r[t_wo]);
    }
    let (i_id, i_cust, i_name, i_cur, i_open, i_date, i_due) = (
        column(&ih, "invoice_id"),
        column(&ih, "customer_id"),
        column(&ih, "customer_name"),
        column(&ih, "currency"),
        column(&ih, "amount_open"),
        column(&ih, "invoice_date"),
        column(&ih, "due_date"),
    );
    let accounts: BTreeMap<&str, String> = {
        let (id, acc) = (column(&ch, "customer_id"), column(&ch, "bank_accounts"));
        customers
            .iter()
            .map(|c| {
                (
                    c[id].as_str(),
                    c[acc].split(';').next().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let ours: BTreeMap<&str, &str> = {
        let (acc, cur) = (column(&bh, "account"), column(&bh, "currency"));
        bank.iter()
            .map(|b| (b[cur].as_str(), b[acc].as_str()))
            .collect()
    };
    let mut open = String::new();
    let _ = writeln!(open, "{}", ih.join(","));
    let mut lines = String::new();
    let _ = writeln!(lines, "{}", bh.join(","));
    let (mut paid, mut credited, mut still_open) = (Vec::new(), Vec::new(), Vec::new());
    let mut k = 0u64;
    let mut seen = 0u64;
    for item in &items {
        let Some(applied) = short.get(&item[i_id]) else {
            continue;
        };
        let deduction = dec(&item[i_open]) - applied;
        if deduction <= Decimal::ZERO {
            continue;
        }
        seen += 1;
        if seen.is_multiple_of(5) {
            still_open.push(item[i_id].clone());
            continue;
        }
        let mut row: Vec<String> = vec![String::new(); ih.len()];
        row[i_cust] = quote(&item[i_cust]);
        row[i_name] = quote(&item[i_name]);
        row[i_cur] = item[i_cur].clone();
        if k.is_multiple_of(2) {
            row[i_id] = quote(&item[i_id]);
            row[i_open] = deduction.to_string();
            row[column(&ih, "amount_original")] = deduction.to_string();
            row[i_date] = item[i_date].clone();
            row[i_due] = item[i_due].clone();
            let day = from + Days::new(1 + k);
            let _ = writeln!(
                lines,
                "{},{day},{day},{deduction},{},{},{},{},BRF{:09}",
                ours.get(item[i_cur].as_str()).copied().unwrap_or_default(),
                item[i_cur],
                quote(&item[i_name]),
                accounts
                    .get(item[i_cust].as_str())
                    .map(String::as_str)
                    .unwrap_or_default(),
                quote(&item[i_id]),
                k + 1
            );
            paid.push(item[i_id].clone());
        } else {
            row[i_id] = quote(&format!("CN-{}", item[i_id]));
            row[i_open] = (-deduction).to_string();
            row[column(&ih, "amount_original")] = (-deduction).to_string();
            row[i_date] = from.to_string();
            row[i_due] = from.to_string();
            credited.push(item[i_id].clone());
        }
        let _ = writeln!(open, "{}", row.join(","));
        k += 1;
    }
    FollowUp {
        open_items_csv: open,
        bank_csv: lines,
        paid,
        credited,
        still_open,
    }
}
