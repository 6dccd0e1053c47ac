//! Slices of an evaluation (issue 11, the combined measurement): the same
//! line-level scoring as [`crate::evaluate`], restricted to the payments of
//! one kind, so a combined multi-company, multi-currency set with advices
//! and returns shows where its errors are. The slices come from the files
//! the generator's stages wrote beside `truth.csv`:
//! - `fx` / `same_currency`: payments whose bank currency differs from the
//!   currency of an invoice they pay (`bank.csv`, `open_items.csv`);
//! - `advice:<format>` / `no_advice`: payments whose bank line carries an
//!   advice of that format (`advices_truth.csv`);
//! - `company:<code>`: payments by the company of the first invoice they
//!   pay (`open_items.csv` `company_code`); payments paying nothing are in
//!   no company slice.
//!
//! Returns are scored apart ([`score_returns`]): a reversal is right when
//! it takes money back from an invoice the return's truth names.

use crate::truth::{split_record, PredictedLine, TruthLine};
use crate::{evaluate, Counts};
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

/// A CSV file read whole: its header and its records.
type CsvTable = (Vec<String>, Vec<Vec<String>>);

/// Reads a CSV file as its header and records (`None` when it is absent).
fn read_csv(path: &Path) -> io::Result<Option<CsvTable>> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let mut header = Vec::new();
    split_record(lines.next().unwrap_or(""), &mut header);
    let mut rows = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let mut f = Vec::new();
        split_record(line, &mut f);
        rows.push(f);
    }
    Ok(Some((header, rows)))
}

fn column(header: &[String], name: &str, path: &Path) -> io::Result<usize> {
    header.iter().position(|h| h == name).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("`{}` has no column `{name}`", path.display()),
        )
    })
}

/// The slices of the set in `dir` (named, each its payments' bank
/// references), in a fixed order: FX, advice formats, companies. A slice
/// whose files are absent is left out.
pub fn slices_of(dir: &Path, truth: &[TruthLine]) -> io::Result<Vec<(String, BTreeSet<String>)>> {
    let mut out = Vec::new();
    let items_path = dir.join("open_items.csv");
    let mut item_currency: BTreeMap<String, String> = BTreeMap::new();
    let mut item_company: BTreeMap<String, String> = BTreeMap::new();
    if let Some((h, rows)) = read_csv(&items_path)? {
        let id = column(&h, "invoice_id", &items_path)?;
        let cur = column(&h, "currency", &items_path)?;
        let company = h.iter().position(|c| c == "company_code");
        for r in &rows {
            let (Some(i), Some(c)) = (r.get(id), r.get(cur)) else {
                continue;
            };
            item_currency.insert(i.clone(), c.clone());
            if let Some(code) = company.and_then(|k| r.get(k)) {
                item_company.insert(i.clone(), code.clone());
            }
        }
    }
    // Every paying payment, with the invoices it pays.
    let mut paying: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for t in truth.iter().filter(|t| !t.pays_nothing()) {
        paying
            .entry(t.bank_reference.as_str())
            .or_default()
            .push(t.invoice_id.as_str());
    }
    let bank_path = dir.join("bank.csv");
    if let (Some((h, rows)), true) = (read_csv(&bank_path)?, dir.join("rates.csv").is_file()) {
        let reference = column(&h, "bank_reference", &bank_path)?;
        let cur = column(&h, "currency", &bank_path)?;
        let (mut fx, mut same) = (BTreeSet::new(), BTreeSet::new());
        for r in &rows {
            let (Some(b), Some(c)) = (r.get(reference), r.get(cur)) else {
                continue;
            };
            let Some(invoices) = paying.get(b.as_str()) else {
                continue;
            };
            if invoices
                .iter()
                .any(|i| item_currency.get(*i).is_some_and(|ic| ic != c))
            {
                fx.insert(b.clone());
            } else {
                same.insert(b.clone());
            }
        }
        out.push(("fx".to_string(), fx));
        out.push(("same_currency".to_string(), same));
    }
    let advices_path = dir.join("advices_truth.csv");
    if advices_path.is_file() {
        let mut per: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for a in crate::advices::read_advices_truth(&advices_path)? {
            per.entry(format!("advice:{}", a.format.as_str()))
                .or_default()
                .insert(a.bank_reference);
        }
        let advised: BTreeSet<&String> = per.values().flatten().collect();
        let none: BTreeSet<String> = paying
            .keys()
            .filter(|b| !advised.contains(&b.to_string()))
            .map(|b| b.to_string())
            .collect();
        out.extend(per);
        out.push(("no_advice".to_string(), none));
    }
    if !item_company.is_empty() {
        let mut per: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (b, invoices) in &paying {
            if let Some(code) = invoices.first().and_then(|i| item_company.get(*i)) {
                per.entry(format!("company:{code}"))
                    .or_default()
                    .insert(b.to_string());
            }
        }
        out.extend(per);
    }
    Ok(out)
}

/// The totals of [`evaluate`] over each slice's payments.
pub fn evaluate_slices(
    truth: &[TruthLine],
    predicted: &[PredictedLine],
    slices: &[(String, BTreeSet<String>)],
) -> Vec<(String, Counts)> {
    slices
        .iter()
        .map(|(name, refs)| {
            let t: Vec<TruthLine> = truth
                .iter()
                .filter(|l| refs.contains(&l.bank_reference))
                .cloned()
                .collect();
            let p: Vec<PredictedLine> = predicted
                .iter()
                .filter(|l| refs.contains(&l.bank_reference))
                .cloned()
                .collect();
            (name.clone(), evaluate(&t, &p).total)
        })
        .collect()
}

/// Returns of one run scored against `returns_truth.csv`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct ReturnsScore {
    /// Returns of the truth booked in this run's bank files.
    pub returns: u64,
    /// Invoices those returns must re-open (the recall denominator).
    pub truth_lines: u64,
    /// Reversal rows (`RETURN_REVERSAL`) of the run's returns.
    pub reversals: u64,
    /// Reversals of an invoice the return's truth names.
    pub right: u64,
    /// Returns with at least one right reversal.
    pub returns_linked: u64,
    /// `right / reversals`.
    pub precision: Option<f64>,
    /// `right / truth_lines`.
    pub recall: Option<f64>,
}

/// Scores the reversals of a run: `truth_csv` is `returns_truth.csv`,
/// `run_references` the bank references the run read, `reversals` its
/// `RETURN_REVERSAL` rows as (bank reference of the return, invoice).
pub fn score_returns(
    truth_csv: &str,
    run_references: &BTreeSet<String>,
    reversals: &[(String, String)],
) -> ReturnsScore {
    let mut truth: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut fields = Vec::new();
    for line in truth_csv.lines().skip(1) {
        split_record(line, &mut fields);
        if fields.len() >= 5 && run_references.contains(&fields[0]) {
            truth
                .entry(fields[0].clone())
                .or_default()
                .insert(fields[4].clone());
        }
    }
    let mut s = ReturnsScore {
        returns: truth.len() as u64,
        truth_lines: truth.values().map(|v| v.len() as u64).sum(),
        ..ReturnsScore::default()
    };
    let mut linked = BTreeSet::new();
    for (reference, invoice) in reversals {
        s.reversals += 1;
        if truth.get(reference).is_some_and(|v| v.contains(invoice)) {
            s.right += 1;
            linked.insert(reference.clone());
        }
    }
    s.returns_linked = linked.len() as u64;
    s.precision = (s.reversals > 0).then(|| s.right as f64 / s.reversals as f64);
    s.recall = (s.truth_lines > 0).then(|| s.right as f64 / s.truth_lines as f64);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_are_scored_per_run_and_invoice() {
        let truth = "return_reference,original_reference,night,reason,invoice_id\n\
                     RTB1,B1,same,R01,INV-1\nRTB1,B1,same,R01,INV-2\nRTB2,B2,next,AC04,INV-3\n";
        let run: BTreeSet<String> = ["B1", "RTB1"].map(String::from).into();
        let s = score_returns(
            truth,
            &run,
            &[
                ("RTB1".into(), "INV-1".into()),
                ("RTB1".into(), "INV-9".into()),
            ],
        );
        assert_eq!(
            (s.returns, s.truth_lines, s.reversals, s.right),
            (1, 2, 2, 1)
        );
        assert_eq!(s.returns_linked, 1);
        assert_eq!((s.precision, s.recall), (Some(0.5), Some(0.5)));
    }
}
