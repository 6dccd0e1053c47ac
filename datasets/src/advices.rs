//! Remittance advices for a generated dataset (issue 11): the lump sum
//! arrives with only its trace number on the bank line, the invoices are
//! in an X12 820 sent apart.
//!
//! A post-processing stage over a dataset [`crate::generate`] wrote, kept
//! in its own module so the generator's own files and streams are
//! untouched: it reads `bank.csv` and `truth.csv`, chooses payments whose
//! truth an advice can state exactly (every line an invoice, cash plus
//! discount, no write-off, deduction or overpayment, the lines adding up
//! to the bank amount), replaces their bank text by `TRN*1*<trace>` and
//! writes one 820 per run of chosen payments into `remittance/advices.820`.
//! `truth.csv` stays as it is: the invoices paid are the same, only where
//! they are written changed, so `evaluate` scores the advice-driven
//! applications like any other. Choice is a hash of seed and bank
//! reference: same dataset, same seed, same bytes.

use crate::config::Scenario;
use crate::truth::{read_truth, split_record, TruthLine};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// What [`add_advices`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdvicesSummary {
    /// Payments whose invoices moved into an advice.
    pub advices: u64,
    /// Advice lines (invoices) written.
    pub lines: u64,
}

/// Scenarios whose truth an advice can state line by line.
fn expressible(s: Scenario) -> bool {
    matches!(
        s,
        Scenario::ExactReference
            | Scenario::MultiReference
            | Scenario::NoisyReference
            | Scenario::NoReferenceSingle
            | Scenario::NoReferenceMulti
            | Scenario::NameOnly
            | Scenario::Discount
    )
}

/// SplitMix64 of seed and reference: a stable, well-mixed choice.
fn pick(seed: u64, reference: &str, percent: u32) -> bool {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for b in reference.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^= h >> 31;
    (h % 100) < u64::from(percent)
}

/// Moves the invoices of about `percent` % of the expressible payments of
/// the dataset in `dir` into an 820 (`dir/remittance/advices.820`) and
/// leaves only the trace number on their bank lines.
pub fn add_advices(dir: &Path, percent: u32, seed: u64) -> io::Result<AdvicesSummary> {
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    let truth = read_truth(&dir.join("truth.csv"))?;
    let mut by_ref: BTreeMap<&str, Vec<&TruthLine>> = BTreeMap::new();
    for t in &truth {
        by_ref.entry(t.bank_reference.as_str()).or_default().push(t);
    }
    let bank = std::fs::read_to_string(dir.join("bank.csv"))?;
    let mut out_bank = String::with_capacity(bank.len());
    let mut lines_iter = bank.lines();
    let header = lines_iter
        .next()
        .ok_or_else(|| bad("bank.csv is empty".into()))?;
    out_bank.push_str(header);
    out_bank.push('\n');
    let mut fields = Vec::new();
    let mut sets = Vec::new();
    let mut summary = AdvicesSummary {
        advices: 0,
        lines: 0,
    };
    for record in lines_iter {
        split_record(record, &mut fields);
        if fields.len() < 9 {
            return Err(bad(format!("bank.csv: short record `{record}`")));
        }
        let reference = fields[8].clone();
        let amount: Decimal = fields[3]
            .parse()
            .map_err(|_| bad(format!("bank.csv: amount `{}`", fields[3])))?;
        let chosen = by_ref.get(reference.as_str()).filter(|lines| {
            amount > Decimal::ZERO
                && lines.iter().all(|l| {
                    !l.pays_nothing()
                        && expressible(l.scenario)
                        && l.writeoff_amount.is_zero()
                        && l.deduction_amount.is_zero()
                        && !l.invoice_id.contains('*')
                        && !l.invoice_id.contains('~')
                })
                && lines.iter().map(|l| l.applied_amount).sum::<Decimal>() == amount
                && pick(seed, &reference, percent)
        });
        let Some(lines) = chosen else {
            out_bank.push_str(record);
            out_bank.push('\n');
            continue;
        };
        let trace = format!(
            "TR{}",
            reference.replace(|c: char| !c.is_ascii_alphanumeric(), "")
        );
        // The bank text keeps only the trace, as ACH CTX credits show it.
        let text = format!("ACH CTX TRN*1*{trace}");
        let mut row = fields[..9].to_vec();
        row[7] = text;
        out_bank.push_str(&row.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
        out_bank.push('\n');
        summary.advices += 1;
        summary.lines += lines.len() as u64;
        sets.push(Transaction {
            amount,
            currency: fields[4].clone(),
            date: fields[2].replace('-', ""),
            payer: fields[5].replace(['*', '~', '>'], " "),
            trace,
            lines: lines
                .iter()
                .map(|l| (l.invoice_id.clone(), l.applied_amount, l.discount_amount))
                .collect(),
        });
    }
    let remit_dir = dir.join("remittance");
    std::fs::create_dir_all(&remit_dir)?;
    std::fs::write(remit_dir.join("advices.820"), x12(&sets))?;
    std::fs::write(dir.join("bank.csv"), out_bank)?;
    Ok(summary)
}

struct Transaction {
    amount: Decimal,
    currency: String,
    date: String,
    payer: String,
    trace: String,
    lines: Vec<(String, Decimal, Decimal)>,
}

fn quote(f: &str) -> String {
    if f.contains([',', '"', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

/// One interchange, one group, one ST per payment: BPR with the amount and
/// date, TRN with the trace, CUR, the payer, and an RMR per invoice (net
/// paid, gross, discount).
fn x12(sets: &[Transaction]) -> String {
    let mut s = String::new();
    s.push_str("ISA*00*          *00*          *ZZ*CASHMATCHGEN   *ZZ*RECEIVER       *260301*1200*U*00401*000000001*0*P*>~\n");
    s.push_str("GS*RA*CASHMATCHGEN*RECEIVER*20260301*1200*1*X*004010~\n");
    for (i, t) in sets.iter().enumerate() {
        let st = format!("{:04}", i + 1);
        let body = {
            let mut b = vec![
                format!("ST*820*{st}"),
                format!(
                    "BPR*C*{}*C*ACH*CTX*01*111000025*DA*123456*1234567890**01*222000111*DA*987654*{}",
                    t.amount, t.date
                ),
                format!("TRN*1*{}", t.trace),
                format!("CUR*PR*{}", t.currency),
                format!("N1*PR*{}", t.payer),
                "ENT*1".to_string(),
            ];
            for (invoice, paid, discount) in &t.lines {
                if discount.is_zero() {
                    b.push(format!("RMR*IV*{invoice}**{paid}*{paid}"));
                } else {
                    b.push(format!(
                        "RMR*IV*{invoice}**{paid}*{}*{discount}",
                        paid + discount
                    ));
                }
            }
            b
        };
        for seg in &body {
            s.push_str(seg);
            s.push_str("~\n");
        }
        s.push_str(&format!("SE*{}*{st}~\n", body.len() + 1));
    }
    s.push_str(&format!("GE*{}*1~\n", sets.len()));
    s.push_str("IEA*1*000000001~\n");
    s
}

/// The demo's advice: an 820 for the first bank line of `bank_csv` that
/// pays several invoices by reference (`multi_reference` in `truth_csv`),
/// its trace the line's bank reference, so `cashmatch demo` applies those
/// invoices with `REMITTANCE_ADVICE`. The demo's bank file is unchanged;
/// `None` when no such line exists.
pub fn demo_advice(bank_csv: &str, truth_csv: &str) -> Option<String> {
    let mut fields = Vec::new();
    let mut truth_lines = truth_csv.lines();
    split_record(truth_lines.next()?, &mut fields);
    let col = |name: &str, f: &[String]| f.iter().position(|c| c == name);
    let (r, i, a, s, d) = (
        col("bank_reference", &fields)?,
        col("invoice_id", &fields)?,
        col("applied_amount", &fields)?,
        col("scenario", &fields)?,
        col("discount_amount", &fields)?,
    );
    let mut by_ref: BTreeMap<String, Vec<(String, Decimal, Decimal, String)>> = BTreeMap::new();
    for line in truth_lines {
        split_record(line, &mut fields);
        by_ref.entry(fields[r].clone()).or_default().push((
            fields[i].clone(),
            fields[a].parse().ok()?,
            fields[d].parse().unwrap_or_default(),
            fields[s].clone(),
        ));
    }
    for record in bank_csv.lines().skip(1) {
        split_record(record, &mut fields);
        let amount: Decimal = fields.get(3)?.parse().ok()?;
        let Some(lines) = by_ref.get(&fields[8]) else {
            continue;
        };
        if lines.len() >= 2
            && lines.iter().all(|l| l.3 == "multi_reference")
            && lines.iter().map(|l| l.1).sum::<Decimal>() == amount
        {
            return Some(x12(&[Transaction {
                amount,
                currency: fields[4].clone(),
                date: fields[2].replace('-', ""),
                payer: fields[5].replace(['*', '~', '>'], " "),
                trace: fields[8].clone(),
                lines: lines.iter().map(|l| (l.0.clone(), l.1, l.2)).collect(),
            }]));
        }
    }
    None
}
