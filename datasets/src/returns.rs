//! Returned payments for a generated set (issue 11, part 3), with truth.
//!
//! From a set's `bank.csv` and `truth.csv`, picks receipts the truth says
//! were applied (seeded, its own PRNG stream, so the set's other files are
//! unchanged) and writes their returns as bank lines: *same night* (booked
//! on the receipt's day, in the same statement run) or *next night*
//! (booked the day after, for the following run, found through the state).
//! A return line carries what banks write: a return word, an ACH or SEPA
//! reason code and the original's reference (`RETURN R01 ORIG BR...`); a
//! third of them carry no reference, so they link by amount and payer.
//!
//! The truth (`returns_truth.csv`) names, per return, the original receipt
//! and the invoices it must re-open.

use crate::prng::Xoshiro256StarStar;
use chrono::{Days, NaiveDate};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// PRNG stream of the returns stage (apart from the generator's stages).
const STAGE_RETURNS: u64 = 0x5245_5455_524e; // "RETURN"

/// Reason codes drawn for returns: ACH and SEPA.
const REASONS: [&str; 6] = ["R01", "R02", "AC04", "MS03", "MD06", "R10"];

/// Returns of a set: bank lines for the same night and the next night, and
/// their truth.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReturnsSet {
    /// Bank CSV (canonical header) of returns booked on the receipt's day.
    pub same_night_csv: String,
    /// Bank CSV of returns booked the day after.
    pub next_night_csv: String,
    /// `returns_truth.csv`: `return_reference, original_reference, night,
    /// reason, invoice_id` (one row per invoice re-opened).
    pub truth_csv: String,
    /// Returns written.
    pub returns: u32,
}

/// The canonical bank CSV header the generator writes.
pub const BANK_HEADER: &str = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference";

/// Splits one RFC 4180 line (quotes honoured; the generator never writes
/// a line break inside a field).
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn quote(field: &str) -> String {
    if field.contains([',', '"']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Picks about `percent` % of the applied receipts of `bank_csv` and writes
/// their returns; half same night, half next night. Same inputs, same seed:
/// same bytes.
pub fn returns_for(bank_csv: &str, truth_csv: &str, seed: u64, percent: u32) -> ReturnsSet {
    let mut invoices: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut truth_lines = truth_csv.lines();
    let header: Vec<String> = truth_lines.next().map(fields).unwrap_or_default();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(reference), Some(invoice), Some(applied)) = (
        col("bank_reference"),
        col("invoice_id"),
        col("applied_amount"),
    ) else {
        return ReturnsSet::default();
    };
    for line in truth_lines {
        let f = fields(line);
        let positive = f
            .get(applied)
            .is_some_and(|a| !a.starts_with('-') && !a.trim_start_matches(['0', '.']).is_empty());
        if positive && f.get(invoice).is_some_and(|i| !i.is_empty()) {
            invoices
                .entry(f[reference].clone())
                .or_default()
                .push(f[invoice].clone());
        }
    }
    let mut rng = Xoshiro256StarStar::for_stage(seed, STAGE_RETURNS);
    let mut out = ReturnsSet {
        same_night_csv: format!("{BANK_HEADER}\n"),
        next_night_csv: format!("{BANK_HEADER}\n"),
        truth_csv: "return_reference,original_reference,night,reason,invoice_id\n".into(),
        returns: 0,
    };
    for line in bank_csv.lines().skip(1) {
        let f = fields(line);
        if f.len() != 9 || f[3].starts_with('-') {
            continue;
        }
        let Some(paid) = invoices.get(&f[8]) else {
            continue;
        };
        if rng.below(100) >= u64::from(percent) {
            continue;
        }
        let Ok(day) = NaiveDate::parse_from_str(&f[1], "%Y-%m-%d") else {
            continue;
        };
        let next = rng.below(2) == 1;
        let reason = REASONS[rng.below(REASONS.len() as u64) as usize];
        let with_reference = rng.below(3) != 0;
        let booked = if next { day + Days::new(1) } else { day };
        let text = if with_reference {
            format!("RETURN {reason} ORIG {}", f[8])
        } else {
            format!("RETURN {reason}")
        };
        let return_reference = format!("RT{}", f[8]);
        let target = if next {
            &mut out.next_night_csv
        } else {
            &mut out.same_night_csv
        };
        let _ = writeln!(
            target,
            "{},{booked},{booked},-{},{},{},{},{},{return_reference}",
            f[0],
            f[3],
            f[4],
            quote(&f[5]),
            quote(&f[6]),
            quote(&text)
        );
        for inv in paid {
            let _ = writeln!(
                out.truth_csv,
                "{return_reference},{},{},{reason},{inv}",
                f[8],
                if next { "next" } else { "same" }
            );
        }
        out.returns += 1;
    }
    out
}

/// What [`add_returns`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ReturnsSummary {
    /// Returns booked on the receipt's day (`returns/same_night.csv`).
    pub same_night: u32,
    /// Returns booked the day after (`returns/next_night.csv`).
    pub next_night: u32,
}

/// Writes the returns of the dataset in `dir` (its `bank.csv` as the other
/// stages left it, and its `truth.csv`): `returns/same_night.csv` (a bank
/// file for the same run as `bank.csv`), `returns/next_night.csv` (for the
/// next night's run, which finds the originals through the state) and
/// `returns_truth.csv`. The set's other files are untouched.
pub fn add_returns(
    dir: &std::path::Path,
    seed: u64,
    percent: u32,
) -> std::io::Result<ReturnsSummary> {
    let bank = std::fs::read_to_string(dir.join("bank.csv"))?;
    let truth = std::fs::read_to_string(dir.join("truth.csv"))?;
    let set = returns_for(&bank, &truth, seed, percent);
    let folder = dir.join("returns");
    std::fs::create_dir_all(&folder)?;
    std::fs::write(folder.join("same_night.csv"), &set.same_night_csv)?;
    std::fs::write(folder.join("next_night.csv"), &set.next_night_csv)?;
    std::fs::write(dir.join("returns_truth.csv"), &set.truth_csv)?;
    let rows = |csv: &str| csv.lines().skip(1).count() as u32;
    Ok(ReturnsSummary {
        same_night: rows(&set.same_night_csv),
        next_night: rows(&set.next_night_csv),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_of_the_demo_are_seeded_and_name_applied_receipts() {
        let a = returns_for(crate::demo::BANK_CSV, crate::demo::TRUTH, 42, 5);
        let b = returns_for(crate::demo::BANK_CSV, crate::demo::TRUTH, 42, 5);
        assert_eq!(a, b, "same seed, same bytes");
        assert!(a.returns >= 10, "{} returns", a.returns);
        assert!(a.same_night_csv.lines().count() > 1);
        assert!(a.next_night_csv.lines().count() > 1);
        // Every return is a debit naming a receipt of the set.
        for line in a
            .same_night_csv
            .lines()
            .chain(a.next_night_csv.lines().skip(1))
            .skip(1)
        {
            let f = fields(line);
            assert!(f[3].starts_with('-'), "{line}");
            let original = f[8].strip_prefix("RT").unwrap();
            assert!(crate::demo::BANK_CSV.contains(original));
        }
        assert_ne!(
            a,
            returns_for(crate::demo::BANK_CSV, crate::demo::TRUTH, 7, 5)
        );
    }

    #[test]
    fn quoted_fields_are_split_and_written_back() {
        assert_eq!(fields("a,\"b, c\",\"d\"\"e\""), ["a", "b, c", "d\"e"]);
        assert_eq!(quote("b, c"), "\"b, c\"");
    }
}
