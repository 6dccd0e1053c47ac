//! Remittance advices for a generated dataset (issue 11): the lump sum
//! arrives with only a key on the bank line (trace number, cheque number,
//! end-to-end id, payment reference) or nothing at all (a lockbox deposit,
//! a camt.054 detailing a statement entry), and the invoices are in an
//! advice sent apart.
//!
//! A post-processing stage over a dataset [`crate::generate`] wrote, kept
//! in its own module so the generator's own files and streams are
//! untouched: it reads `bank.csv`, `truth.csv` and `open_items.csv`,
//! chooses payments whose truth an advice can state exactly (every line an
//! invoice, cash plus discount, no write-off or overpayment, the lines
//! adding up to the bank amount; with deductions also short payments, whose
//! advice states the rest as a deduction with a reason), rewrites their
//! bank lines and writes the advices into `remittance/`:
//!
//! | format | file | bank line keeps | link |
//! |---|---|---|---|
//! | X12 820 | `advices.820` | `ACH CTX TRN*1*<trace>` | trace number |
//! | BAI lockbox | `lockbox.txt` | `LOCKBOX <box> CHECK <n>`, or one deposit line per batch of several cheques | cheque number, deposit total |
//! | remt.001 | `remt001.xml` | `SEPA CREDIT <end-to-end id>` | end-to-end id |
//! | camt.054 | `camt054.xml` | its bank reference, the camt.054 entry's `AcctSvcrRef` (enrichment, never a second copy of the money) | account servicer reference |
//! | remittance CSV | `remittance.csv` | `PAYMENT <reference>` | payment reference |
//!
//! Multi-advice deposits: a lockbox batch of several cheques is one bank
//! credit (the lines of its payments merged into one deposit line, their
//! truth moved to the deposit's bank reference), and an 820 payment of
//! several invoices may be split into two 820s sharing one trace number.
//! `remittance.toml` (beside `truth.csv`) is the run config the files need:
//! the lockbox layout, the CSV column mapping and the deduction reasons.
//! `advices_truth.csv` states every advice line and what it must become
//! ([`score_advices`] scores a run against it). `truth.csv` keeps every
//! payment's invoices; only bank references of merged deposits move, and
//! with deductions the column `deduction_amount` is added. Choice is a hash
//! of seed and bank reference: same dataset, same options, same bytes.

use crate::config::Scenario;
use crate::truth::{read_truth, split_record, TruthLine};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// A remittance format the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum AdviceFormat {
    /// ANSI X12 820.
    X12,
    /// BAI lockbox (the generator's own layout, in `remittance.toml`).
    Lockbox,
    /// ISO 20022 remt.001.
    Remt001,
    /// ISO 20022 camt.054 detailing the statement entry.
    Camt054,
    /// A remittance spreadsheet (CSV, columns mapped in `remittance.toml`).
    Csv,
}

impl AdviceFormat {
    /// Every format, in the order files are written.
    pub const ALL: [AdviceFormat; 5] = [
        AdviceFormat::X12,
        AdviceFormat::Lockbox,
        AdviceFormat::Remt001,
        AdviceFormat::Camt054,
        AdviceFormat::Csv,
    ];

    /// The name used by `--advice-formats` and in `advices_truth.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            AdviceFormat::X12 => "820",
            AdviceFormat::Lockbox => "lockbox",
            AdviceFormat::Remt001 => "remt001",
            AdviceFormat::Camt054 => "camt054",
            AdviceFormat::Csv => "csv",
        }
    }

    /// The format named `name` (`820`, `lockbox`, `remt001`, `camt054`, `csv`).
    pub fn from_name(name: &str) -> Option<AdviceFormat> {
        AdviceFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// The file under `remittance/` holding this format's advices.
    pub fn file_name(self) -> &'static str {
        match self {
            AdviceFormat::X12 => "advices.820",
            AdviceFormat::Lockbox => "lockbox.txt",
            AdviceFormat::Remt001 => "remt001.xml",
            AdviceFormat::Camt054 => "camt054.xml",
            AdviceFormat::Csv => "remittance.csv",
        }
    }

    /// The `format` column of `remittances.parquet` for this format.
    pub fn run_format(self) -> &'static str {
        match self {
            AdviceFormat::X12 => "x12.820",
            AdviceFormat::Lockbox => "bai_lockbox",
            AdviceFormat::Remt001 => "remt.001",
            AdviceFormat::Camt054 => "camt.054",
            AdviceFormat::Csv => "remittance_csv",
        }
    }
}

/// What [`add_advices_with`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceOptions {
    /// Share (0-100) of the payments an advice can state that get one.
    pub percent: u32,
    /// Seed of the choice.
    pub seed: u64,
    /// Formats to spread the advices over (by a hash of the bank reference).
    pub formats: Vec<AdviceFormat>,
    /// Short payments become advices with a deduction and its reason.
    pub deductions: bool,
    /// Lockbox batches of several cheques as one deposit, and 820 payments
    /// split into two advices sharing a trace number.
    pub deposits: bool,
}

impl AdviceOptions {
    /// The options of `generate --advices-percent N` alone: X12 820 only,
    /// no deductions or deposits (the files of issue 11's first slice).
    pub fn x12_only(percent: u32, seed: u64) -> AdviceOptions {
        AdviceOptions {
            percent,
            seed,
            formats: vec![AdviceFormat::X12],
            deductions: false,
            deposits: false,
        }
    }

    /// Every format, with deductions and multi-advice deposits.
    pub fn all_formats(percent: u32, seed: u64) -> AdviceOptions {
        AdviceOptions {
            percent,
            seed,
            formats: AdviceFormat::ALL.to_vec(),
            deductions: true,
            deposits: true,
        }
    }
}

/// What [`add_advices`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AdvicesSummary {
    /// Payments whose invoices moved into an advice.
    pub advices: u64,
    /// Advice lines (invoices) written.
    pub lines: u64,
    /// Payments per format (`820`, `lockbox`, ...).
    pub per_format: BTreeMap<String, u64>,
    /// Bank credits covered by several advices (lockbox batches, split 820s).
    pub deposits: u64,
    /// Advice lines stating a deduction with its reason.
    pub deductions: u64,
    /// Files written under `remittance/`.
    pub files: Vec<String>,
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

/// SplitMix64 of seed and text: a stable, well-mixed choice.
fn mix(seed: u64, text: &str) -> u64 {
    let mut h = seed ^ 0x9E37_79B9_7F4A_7C15;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

fn pick(seed: u64, reference: &str, percent: u32) -> bool {
    (mix(seed, reference) % 100) < u64::from(percent)
}

/// Salts of the independent choices, so one does not follow another.
const FORMAT_SALT: u64 = 0x464f_524d_4154;
const REASON_SALT: u64 = 0x5245_4153_4f4e;
const BATCH_SALT: u64 = 0x0042_4154_4348;
const SPLIT_SALT: u64 = 0x0053_504c_4954;

/// A deduction reason as each format writes it: X12 `ADX02`, ISO `Rsn`,
/// spreadsheet text, and the engine's reason it maps to (in
/// `remittance.toml`).
struct Reason {
    x12: &'static str,
    iso: &'static str,
    text: &'static str,
    ours: &'static str,
}

const REASONS: [Reason; 4] = [
    Reason {
        x12: "01",
        iso: "PRIC",
        text: "Pricing difference",
        ours: "PRICING_DISPUTE",
    },
    Reason {
        x12: "04",
        iso: "DAMG",
        text: "Damaged goods",
        ours: "DAMAGED_GOODS",
    },
    Reason {
        x12: "11",
        iso: "RTRN",
        text: "Returned goods",
        ours: "RETURNS",
    },
    Reason {
        x12: "FR",
        iso: "FRGT",
        text: "Freight",
        ours: "FREIGHT",
    },
];

/// The generated lockbox: its number, the currency of its layout.
const LOCKBOX_NUMBER: &str = "0417330";
const LOCKBOX_CURRENCY: &str = "EUR";
/// Cheque numbers start here (eight digits: never an invoice core).
const FIRST_CHEQUE: u64 = 80_000_001;
/// Batch numbers are three digits in the layout.
const LOCKBOX_BATCHES_MAX: usize = 999;

/// One invoice line of an advice.
#[derive(Debug, Clone)]
struct Line {
    invoice: String,
    paid: Decimal,
    discount: Decimal,
    deduction: Decimal,
    reason: usize,
}

impl Line {
    fn gross(&self) -> Decimal {
        self.paid + self.discount + self.deduction
    }
}

/// A chosen payment: its bank record and the advice that states it.
struct Payment {
    row: usize,
    fields: Vec<String>,
    amount: Decimal,
    format: AdviceFormat,
    lines: Vec<Line>,
    /// The advice's key as the run reports it (`payment_reference`).
    key: String,
    /// 820 only: written as two advices sharing the trace number.
    split: bool,
}

fn alnum(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// The advice lines of a payment, when an advice can state its truth.
fn advice_lines(
    truth: &[&TruthLine],
    open: &HashMap<String, Decimal>,
    deductions: bool,
    seed: u64,
    reference: &str,
) -> Option<Vec<Line>> {
    let plain = truth.iter().all(|l| {
        !l.pays_nothing()
            && l.writeoff_amount.is_zero()
            && l.deduction_amount.is_zero()
            && !l.invoice_id.contains(['*', '~', '>'])
    });
    if !plain {
        return None;
    }
    if truth.iter().all(|l| expressible(l.scenario)) {
        return Some(
            truth
                .iter()
                .map(|l| Line {
                    invoice: l.invoice_id.clone(),
                    paid: l.applied_amount,
                    discount: l.discount_amount,
                    deduction: Decimal::ZERO,
                    reason: 0,
                })
                .collect(),
        );
    }
    // A short payment whose advice states the rest as a deduction.
    match truth {
        [l] if deductions && l.scenario == Scenario::ShortPay => {
            let rest = *open.get(&l.invoice_id)? - l.applied_amount - l.discount_amount;
            (rest > Decimal::ZERO).then(|| {
                vec![Line {
                    invoice: l.invoice_id.clone(),
                    paid: l.applied_amount,
                    discount: l.discount_amount,
                    deduction: rest,
                    reason: (mix(seed ^ REASON_SALT, reference) % REASONS.len() as u64) as usize,
                }]
            })
        }
        _ => None,
    }
}

/// Whether `format` can state these lines.
fn fits(format: AdviceFormat, currency: &str, amount: Decimal, lines: &[Line]) -> bool {
    match format {
        // A lockbox overflow record has an invoice and an amount only.
        AdviceFormat::Lockbox => {
            currency == LOCKBOX_CURRENCY
                && amount < Decimal::new(100_000_000, 0)
                && lines.iter().all(|l| {
                    l.discount.is_zero()
                        && l.deduction.is_zero()
                        && l.invoice.is_ascii()
                        && l.invoice.len() <= 30
                })
        }
        _ => true,
    }
}

/// Moves the invoices of about `percent` % of the expressible payments of
/// the dataset in `dir` into an 820 (`dir/remittance/advices.820`) and
/// leaves only the trace number on their bank lines.
pub fn add_advices(dir: &Path, percent: u32, seed: u64) -> io::Result<AdvicesSummary> {
    add_advices_with(dir, &AdviceOptions::x12_only(percent, seed))
}

/// Writes advices for the dataset in `dir` as `options` says (see the
/// module documentation for the files).
pub fn add_advices_with(dir: &Path, options: &AdviceOptions) -> io::Result<AdvicesSummary> {
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    if options.formats.is_empty() {
        return Err(bad("no advice format chosen".into()));
    }
    let seed = options.seed;
    let truth = read_truth(&dir.join("truth.csv"))?;
    let mut by_ref: BTreeMap<&str, Vec<&TruthLine>> = BTreeMap::new();
    for t in &truth {
        by_ref.entry(t.bank_reference.as_str()).or_default().push(t);
    }
    let open = if options.deductions {
        read_open_amounts(&dir.join("open_items.csv"))?
    } else {
        HashMap::new()
    };
    let bank = std::fs::read_to_string(dir.join("bank.csv"))?;
    let mut records = bank.lines();
    let header = records
        .next()
        .ok_or_else(|| bad("bank.csv is empty".into()))?;
    let records: Vec<&str> = records.collect();
    let mut fields = Vec::new();
    let mut payments: Vec<Payment> = Vec::new();
    for (row, record) in records.iter().enumerate() {
        split_record(record, &mut fields);
        if fields.len() < 9 {
            return Err(bad(format!("bank.csv: short record `{record}`")));
        }
        let reference = fields[8].as_str();
        let amount: Decimal = fields[3]
            .parse()
            .map_err(|_| bad(format!("bank.csv: amount `{}`", fields[3])))?;
        let Some(truth_lines) = by_ref.get(reference) else {
            continue;
        };
        if amount <= Decimal::ZERO
            || truth_lines
                .iter()
                .map(|l| l.applied_amount)
                .sum::<Decimal>()
                != amount
            || !pick(seed, reference, options.percent)
        {
            continue;
        }
        let Some(lines) = advice_lines(truth_lines, &open, options.deductions, seed, reference)
        else {
            continue;
        };
        let candidates: Vec<AdviceFormat> = options
            .formats
            .iter()
            .copied()
            .filter(|&f| fits(f, &fields[4], amount, &lines))
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let format =
            candidates[(mix(seed ^ FORMAT_SALT, reference) % candidates.len() as u64) as usize];
        let split = options.deposits
            && format == AdviceFormat::X12
            && lines.len() >= 2
            && mix(seed ^ SPLIT_SALT, reference) % 100 < 40;
        let key = match format {
            AdviceFormat::X12 => format!("TR{}", alnum(reference)),
            AdviceFormat::Lockbox => String::new(),
            AdviceFormat::Remt001 | AdviceFormat::Camt054 => format!("E2E{}", alnum(reference)),
            AdviceFormat::Csv => format!("PR{}", alnum(reference)),
        };
        payments.push(Payment {
            row,
            fields: fields[..9].to_vec(),
            amount,
            format,
            lines,
            key,
            split,
        });
    }

    // Lockbox batches: the cheques of one account and booking day, in bank
    // order, cut into deposits of 1 to 4 cheques (1 without deposits).
    let mut batches: Vec<Vec<usize>> = Vec::new();
    {
        let mut open_batch: Option<(String, String, usize)> = None;
        let mut dropped = Vec::new();
        for (i, p) in payments.iter().enumerate() {
            if p.format != AdviceFormat::Lockbox {
                continue;
            }
            let day = (p.fields[0].clone(), p.fields[1].clone());
            let join = match (&open_batch, batches.last()) {
                (Some((a, d, size)), Some(last)) => {
                    *a == day.0 && *d == day.1 && last.len() < *size
                }
                _ => false,
            };
            if join {
                if let Some(last) = batches.last_mut() {
                    last.push(i);
                }
                continue;
            }
            if batches.len() == LOCKBOX_BATCHES_MAX {
                dropped.push(i);
                continue;
            }
            let size = if options.deposits {
                1 + (mix(seed ^ BATCH_SALT, &p.fields[8]) % 4) as usize
            } else {
                1
            };
            open_batch = Some((day.0, day.1, size));
            batches.push(vec![i]);
        }
        // Beyond the layout's batch numbers: no advice for these payments.
        for i in dropped.into_iter().rev() {
            payments.remove(i);
            for b in &mut batches {
                for x in b.iter_mut() {
                    if *x > i {
                        *x -= 1;
                    }
                }
            }
        }
    }
    let mut cheque = FIRST_CHEQUE;
    for b in &batches {
        for &i in b {
            payments[i].key = cheque.to_string();
            cheque += 1;
        }
    }

    // Bank lines: rewritten, merged into a deposit, or as they were.
    let mut by_row: HashMap<usize, usize> = HashMap::new();
    for (i, p) in payments.iter().enumerate() {
        by_row.insert(p.row, i);
    }
    let mut moved: HashMap<String, String> = HashMap::new();
    let mut deposit_rows: HashMap<usize, (usize, Vec<usize>)> = HashMap::new();
    let mut merged_rows: Vec<bool> = vec![false; records.len()];
    let mut summary = AdvicesSummary {
        advices: 0,
        lines: 0,
        per_format: BTreeMap::new(),
        deposits: 0,
        deductions: 0,
        files: Vec::new(),
    };
    for (n, b) in batches.iter().enumerate() {
        if b.len() >= 2 {
            summary.deposits += 1;
            let head = payments[b[0]].row;
            for &i in &b[1..] {
                merged_rows[payments[i].row] = true;
                moved.insert(
                    payments[i].fields[8].clone(),
                    payments[b[0]].fields[8].clone(),
                );
            }
            deposit_rows.insert(head, (n + 1, b.clone()));
        }
    }
    let mut out_bank = String::with_capacity(bank.len());
    out_bank.push_str(header);
    out_bank.push('\n');
    for (row, record) in records.iter().enumerate() {
        if merged_rows[row] {
            continue;
        }
        let Some(&i) = by_row.get(&row) else {
            out_bank.push_str(record);
            out_bank.push('\n');
            continue;
        };
        let p = &payments[i];
        let mut f = p.fields.clone();
        match p.format {
            AdviceFormat::X12 => f[7] = format!("ACH CTX TRN*1*{}", p.key),
            AdviceFormat::Lockbox => {
                if let Some((n, members)) = deposit_rows.get(&row) {
                    // One credit for the batch: the bank knows the lockbox
                    // and the batch, not the payers.
                    let total: Decimal = members.iter().map(|&m| payments[m].amount).sum();
                    f[3] = total.to_string();
                    f[5] = String::new();
                    f[6] = String::new();
                    f[7] = format!("LOCKBOX {LOCKBOX_NUMBER} BATCH {n:03} DEPOSIT");
                } else {
                    f[7] = format!("LOCKBOX {LOCKBOX_NUMBER} CHECK {}", p.key);
                }
            }
            AdviceFormat::Remt001 => f[7] = format!("SEPA CREDIT {}", p.key),
            // The statement entry carries no remittance: the camt.054
            // details it under the same AcctSvcrRef.
            AdviceFormat::Camt054 => f[7] = "SEPA CREDIT TRANSFER".to_string(),
            AdviceFormat::Csv => f[7] = format!("PAYMENT {}", p.key),
        }
        out_bank.push_str(&f.iter().map(|x| quote(x)).collect::<Vec<_>>().join(","));
        out_bank.push('\n');
    }

    for p in &payments {
        summary.advices += 1;
        summary.lines += p.lines.len() as u64;
        summary.deductions += p.lines.iter().filter(|l| !l.deduction.is_zero()).count() as u64;
        *summary
            .per_format
            .entry(p.format.as_str().to_string())
            .or_default() += 1;
        if p.split {
            summary.deposits += 1;
        }
    }

    let remit_dir = dir.join("remittance");
    std::fs::create_dir_all(&remit_dir)?;
    let of = |f: AdviceFormat| payments.iter().filter(move |p| p.format == f);
    let mut files: Vec<(AdviceFormat, String)> = Vec::new();
    let legacy = options.formats == [AdviceFormat::X12];
    let x12_sets: Vec<Transaction> = of(AdviceFormat::X12)
        .flat_map(|p| {
            let parts: Vec<Vec<Line>> = if p.split {
                let half = p.lines.len() / 2;
                vec![p.lines[..half].to_vec(), p.lines[half..].to_vec()]
            } else {
                vec![p.lines.clone()]
            };
            parts.into_iter().map(move |lines| Transaction {
                amount: lines.iter().map(|l| l.paid).sum(),
                currency: p.fields[4].clone(),
                date: p.fields[2].replace('-', ""),
                payer: p.fields[5].replace(['*', '~', '>'], " "),
                trace: p.key.clone(),
                lines,
            })
        })
        .collect();
    if legacy || !x12_sets.is_empty() {
        files.push((AdviceFormat::X12, x12(&x12_sets)));
    }
    if !batches.is_empty() {
        files.push((AdviceFormat::Lockbox, lockbox(&payments, &batches, seed)));
    }
    let remt: Vec<&Payment> = of(AdviceFormat::Remt001).collect();
    if !remt.is_empty() {
        files.push((AdviceFormat::Remt001, remt001(&remt)));
    }
    let camt: Vec<&Payment> = of(AdviceFormat::Camt054).collect();
    if !camt.is_empty() {
        files.push((AdviceFormat::Camt054, camt054(&camt)));
    }
    let csv: Vec<&Payment> = of(AdviceFormat::Csv).collect();
    if !csv.is_empty() {
        files.push((AdviceFormat::Csv, remittance_csv(&csv)));
    }
    for (format, text) in &files {
        std::fs::write(remit_dir.join(format.file_name()), text)?;
        summary
            .files
            .push(format!("remittance/{}", format.file_name()));
    }
    std::fs::write(dir.join("bank.csv"), out_bank)?;
    if !legacy {
        std::fs::write(dir.join("remittance.toml"), config_toml())?;
        std::fs::write(
            dir.join("advices_truth.csv"),
            advices_truth(&payments, &moved),
        )?;
        rewrite_truth(dir, &payments, &moved)?;
    }
    Ok(summary)
}

/// `invoice_id → amount_open` of `open_items.csv`.
fn read_open_amounts(path: &Path) -> io::Result<HashMap<String, Decimal>> {
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let mut fields = Vec::new();
    split_record(lines.next().unwrap_or_default(), &mut fields);
    let col = |name: &str| {
        fields
            .iter()
            .position(|f| f == name)
            .ok_or_else(|| bad(format!("{}: no column `{name}`", path.display())))
    };
    let (id, amount) = (col("invoice_id")?, col("amount_open")?);
    let mut out = HashMap::new();
    for line in lines {
        split_record(line, &mut fields);
        if let (Some(i), Some(a)) = (fields.get(id), fields.get(amount)) {
            if let Ok(a) = a.parse::<Decimal>() {
                out.insert(i.clone(), a);
            }
        }
    }
    Ok(out)
}

/// `truth.csv` with merged deposits' bank references moved and (when any
/// line states one) the deductions the advices make the engine clear.
fn rewrite_truth(
    dir: &Path,
    payments: &[Payment],
    moved: &HashMap<String, String>,
) -> io::Result<()> {
    let path = dir.join("truth.csv");
    let text = std::fs::read_to_string(&path)?;
    let mut deductions: HashMap<(&str, &str), Decimal> = HashMap::new();
    for p in payments {
        for l in p.lines.iter().filter(|l| !l.deduction.is_zero()) {
            deductions.insert((p.fields[8].as_str(), l.invoice.as_str()), l.deduction);
        }
    }
    if moved.is_empty() && deductions.is_empty() {
        return Ok(());
    }
    let mut lines = text.lines();
    let mut fields = Vec::new();
    split_record(lines.next().unwrap_or_default(), &mut fields);
    let mut header = fields.clone();
    let column = match header.iter().position(|h| h == "deduction_amount") {
        Some(c) => Some(c),
        None if !deductions.is_empty() => {
            header.push("deduction_amount".into());
            Some(header.len() - 1)
        }
        None => None,
    };
    let mut out = header.join(",");
    out.push('\n');
    for line in lines {
        split_record(line, &mut fields);
        if let Some(c) = column {
            let d = deductions
                .get(&(fields[0].as_str(), fields[1].as_str()))
                .copied();
            if fields.len() <= c {
                fields.resize(c + 1, "0.00".into());
            }
            if let Some(d) = d {
                fields[c] = d.to_string();
            }
        }
        if let Some(to) = moved.get(&fields[0]) {
            fields[0] = to.clone();
        }
        out.push_str(
            &fields
                .iter()
                .map(|f| quote(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    std::fs::write(path, out)
}

/// Header of `advices_truth.csv`.
pub const ADVICES_TRUTH_HEADER: &str = "format,advice_reference,bank_reference,invoice_id,amount_paid,discount_amount,deduction_amount,deduction_reason";

fn advices_truth(payments: &[Payment], moved: &HashMap<String, String>) -> String {
    let mut out = String::from(ADVICES_TRUTH_HEADER);
    out.push('\n');
    for p in payments {
        let bank = moved.get(&p.fields[8]).unwrap_or(&p.fields[8]);
        for l in &p.lines {
            let reason = if l.deduction.is_zero() {
                ""
            } else {
                REASONS[l.reason].ours
            };
            let row = [
                p.format.as_str().to_string(),
                p.key.clone(),
                bank.clone(),
                l.invoice.clone(),
                l.paid.to_string(),
                l.discount.to_string(),
                l.deduction.to_string(),
                reason.to_string(),
            ];
            out.push_str(&row.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
    }
    out
}

/// The run configuration the generated files need.
fn config_toml() -> String {
    let mut s = String::from(
        "# Written by `cashmatch generate --advice-formats`: the configuration a run\n\
         # needs to read the advices in remittance/ (pass it with --config).\n\
         [remittance]\n\
         link_window_days = 3\n\n\
         # The payers' deduction reason codes (X12 ADX02, ISO Rsn, spreadsheet text).\n\
         [remittance.deduction_reasons]\n",
    );
    for r in &REASONS {
        for code in [r.x12, r.iso, r.text] {
            let _ = writeln!(s, "\"{code}\" = \"{}\"", r.ours);
        }
    }
    s.push_str(
        "\n# The generated lockbox: 80-column records, one invoice and its amount\n\
         # per overflow record. Columns are 1-based and inclusive.\n\
         [[remittance.lockbox_profiles]]\n\
         name = \"cashmatch_generated\"\n\
         record_length = 80\n",
    );
    let _ = writeln!(s, "currency = \"{LOCKBOX_CURRENCY}\"");
    s.push_str(
        "date_format = \"%y%m%d\"\n\
         trailer_counts = \"all_records\"\n\
         [remittance.lockbox_profiles.batch_header]\n\
         batch = [2, 4]\nlockbox = [5, 11]\ndeposit_date = [12, 17]\n\
         [remittance.lockbox_profiles.check]\n\
         batch = [2, 4]\nitem = [5, 7]\namount = [8, 17]\nrouting = [18, 26]\naccount = [27, 36]\ncheck_number = [37, 46]\nremitter = [47, 76]\n\
         [remittance.lockbox_profiles.overflow]\n\
         batch = [2, 4]\nitem = [5, 7]\nsequence = [8, 9]\ninvoice = [10, 39]\namount = [40, 49]\n\
         [remittance.lockbox_profiles.batch_total]\n\
         batch = [2, 4]\ncount = [5, 7]\namount = [8, 19]\n\
         [remittance.lockbox_profiles.lockbox_total]\n\
         count = [2, 6]\namount = [7, 20]\n\
         [remittance.lockbox_profiles.trailer]\n\
         count = [2, 7]\n\n\
         # The payers' remittance spreadsheet (remittance/remittance.csv).\n\
         [[remittance.csv_layouts]]\n\
         name = \"cashmatch_generated\"\n\
         delimiter = \",\"\n\
         date_format = \"%d.%m.%Y\"\n\
         [remittance.csv_layouts.columns]\n\
         payment_reference = \"Payment Reference\"\n\
         payment_date = \"Payment Date\"\n\
         payer = \"Payer\"\n\
         currency = \"Currency\"\n\
         payment_amount = \"Payment Amount\"\n\
         invoice = \"Invoice\"\n\
         amount_paid = \"Amount Paid\"\n\
         discount = \"Discount\"\n\
         deduction = \"Deduction\"\n\
         deduction_reason = \"Reason\"\n",
    );
    s
}

/// ASCII letters, digits and spaces of a name, at most `n` characters.
fn ascii_name(s: &str, n: usize) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .take(n)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Minor units (two decimals) of an amount, as digits.
fn minor(amount: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (amount * Decimal::from(100)).trunc().to_i64().unwrap_or(0)
}

/// The lockbox file: one type 5 to 7 batch per deposit, one type 6 record
/// per cheque with a type 4 overflow record per invoice, the lockbox total
/// (8) and the trailer (9) counting every record. Records are 80 columns.
fn lockbox(payments: &[Payment], batches: &[Vec<usize>], seed: u64) -> String {
    let mut records: Vec<String> = vec!["100CASHMATCHGEN".into(), "2CASHMATCHGEN".into()];
    let (mut count, mut total) = (0u64, 0i64);
    for (n, b) in batches.iter().enumerate() {
        let batch = n + 1;
        let first = &payments[b[0]];
        let date = first.fields[1].replace('-', "");
        let yymmdd = date.get(2..).unwrap_or_default();
        records.push(format!("5{batch:03}{LOCKBOX_NUMBER}{yymmdd}"));
        let mut batch_total = 0i64;
        for (item, &i) in b.iter().enumerate() {
            let p = &payments[i];
            let account = &p.fields[6];
            let routing = mix(seed, account) % 1_000_000_000;
            let micr = mix(seed ^ 1, account) % 10_000_000_000;
            let amount = minor(p.amount);
            batch_total += amount;
            records.push(format!(
                "6{batch:03}{:03}{amount:010}{routing:09}{micr:010}{:>10}{:<30}",
                item + 1,
                p.key,
                ascii_name(&p.fields[5], 30)
            ));
            for (seq, l) in p.lines.iter().enumerate() {
                records.push(format!(
                    "4{batch:03}{:03}{:02}{:<30}{:010}",
                    item + 1,
                    seq + 1,
                    l.invoice,
                    minor(l.paid)
                ));
            }
        }
        records.push(format!("7{batch:03}{:03}{batch_total:012}", b.len()));
        count += b.len() as u64;
        total += batch_total;
    }
    records.push(format!("8{count:05}{total:014}"));
    let n = records.len() + 1;
    records.push(format!("9{n:06}"));
    let mut out = String::new();
    for r in records {
        let _ = writeln!(out, "{r:<80}");
    }
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One `Strd` block per line: the invoice, its amount, the discount, the
/// cash remitted and a deduction with its reason.
fn strd(out: &mut String, ccy: &str, l: &Line, indent: &str) {
    let _ = write!(
        out,
        "{indent}<Strd>\n{indent}  <RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>{}</Nb></RfrdDocInf>\n{indent}  <RfrdDocAmt>\n{indent}    <DuePyblAmt Ccy=\"{ccy}\">{}</DuePyblAmt>\n",
        xml(&l.invoice),
        l.gross()
    );
    if !l.discount.is_zero() {
        let _ = writeln!(
            out,
            "{indent}    <DscntApldAmt><Amt Ccy=\"{ccy}\">{}</Amt></DscntApldAmt>",
            l.discount
        );
    }
    let _ = writeln!(
        out,
        "{indent}    <RmtdAmt Ccy=\"{ccy}\">{}</RmtdAmt>",
        l.paid
    );
    if !l.deduction.is_zero() {
        let _ = writeln!(
            out,
            "{indent}    <AdjstmntAmtAndRsn><Amt Ccy=\"{ccy}\">{}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Rsn>{}</Rsn></AdjstmntAmtAndRsn>",
            l.deduction, REASONS[l.reason].iso
        );
    }
    let _ = write!(out, "{indent}  </RfrdDocAmt>\n{indent}</Strd>\n");
}

/// remt.001: one `RmtInf` per payment, its `OrgnlPmtInf` naming the
/// end-to-end id the bank line carries.
fn remt001(payments: &[&Payment]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:remt.001.001.05\">\n  <RmtAdvc>\n    <GrpHdr><MsgId>CASHMATCHGEN-REMT</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>\n",
    );
    for p in payments {
        let ccy = &p.fields[4];
        let _ = writeln!(
            s,
            "    <RmtInf>\n      <RmtId>RA{}</RmtId>",
            alnum(&p.fields[8])
        );
        for l in &p.lines {
            strd(&mut s, ccy, l, "      ");
        }
        let _ = write!(
            s,
            "      <OrgnlPmtInf>\n        <Refs><EndToEndId>{}</EndToEndId></Refs>\n        <Amt><InstdAmt Ccy=\"{ccy}\">{}</InstdAmt></Amt>\n        <ReqdExctnDt><Dt>{}</Dt></ReqdExctnDt>\n        <Dbtr><Pty><Nm>{}</Nm></Pty></Dbtr>\n",
            xml(&p.key),
            p.amount,
            xml(&p.fields[2]),
            xml(&p.fields[5])
        );
        if !p.fields[6].is_empty() {
            let _ = writeln!(
                s,
                "        <DbtrAcct><Id><IBAN>{}</IBAN></Id></DbtrAcct>",
                xml(&p.fields[6])
            );
        }
        s.push_str("      </OrgnlPmtInf>\n    </RmtInf>\n");
    }
    s.push_str("  </RmtAdvc>\n</Document>\n");
    s
}

/// camt.054: one booked credit entry per payment, `AcctSvcrRef` = the
/// statement line's bank reference (the entry it details), one `TxDtls`
/// with the structured remittance.
fn camt054(payments: &[&Payment]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">\n  <BkToCstmrDbtCdtNtfctn>\n    <GrpHdr><MsgId>CASHMATCHGEN-CAMT054</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>\n",
    );
    let mut accounts: BTreeMap<&str, Vec<&Payment>> = BTreeMap::new();
    for p in payments {
        accounts.entry(p.fields[0].as_str()).or_default().push(p);
    }
    for (n, (account, list)) in accounts.into_iter().enumerate() {
        let _ = writeln!(
            s,
            "    <Ntfctn>\n      <Id>CASHMATCHGEN-{}</Id>\n      <CreDtTm>2026-01-01T00:00:00</CreDtTm>\n      <Acct><Id><IBAN>{}</IBAN></Id></Acct>",
            n + 1,
            xml(account)
        );
        for p in list {
            let ccy = &p.fields[4];
            let r = xml(&p.fields[8]);
            let _ = write!(
                s,
                "      <Ntry>\n        <Amt Ccy=\"{ccy}\">{}</Amt>\n        <CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts><Cd>BOOK</Cd></Sts>\n        <BookgDt><Dt>{}</Dt></BookgDt>\n        <ValDt><Dt>{}</Dt></ValDt>\n        <AcctSvcrRef>{r}</AcctSvcrRef>\n        <NtryDtls>\n          <TxDtls>\n            <Refs><AcctSvcrRef>{r}</AcctSvcrRef><EndToEndId>{}</EndToEndId></Refs>\n            <Amt Ccy=\"{ccy}\">{}</Amt>\n            <CdtDbtInd>CRDT</CdtDbtInd>\n            <RltdPties>\n              <Dbtr><Pty><Nm>{}</Nm></Pty></Dbtr>\n",
                p.amount,
                xml(&p.fields[1]),
                xml(&p.fields[2]),
                xml(&p.key),
                p.amount,
                xml(&p.fields[5])
            );
            if !p.fields[6].is_empty() {
                let _ = writeln!(
                    s,
                    "              <DbtrAcct><Id><IBAN>{}</IBAN></Id></DbtrAcct>",
                    xml(&p.fields[6])
                );
            }
            s.push_str("            </RltdPties>\n            <RmtInf>\n");
            for l in &p.lines {
                strd(&mut s, ccy, l, "              ");
            }
            s.push_str(
                "            </RmtInf>\n          </TxDtls>\n        </NtryDtls>\n      </Ntry>\n",
            );
        }
        s.push_str("    </Ntfctn>\n");
    }
    s.push_str("  </BkToCstmrDbtCdtNtfctn>\n</Document>\n");
    s
}

/// The payers' spreadsheet: one row per invoice, the payment repeated.
fn remittance_csv(payments: &[&Payment]) -> String {
    let mut s = String::from("Payment Reference,Payment Date,Payer,Currency,Payment Amount,Invoice,Amount Paid,Discount,Deduction,Reason\n");
    for p in payments {
        let date = chrono::NaiveDate::parse_from_str(&p.fields[2], "%Y-%m-%d")
            .map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_default();
        for l in &p.lines {
            let row = [
                p.key.clone(),
                date.clone(),
                p.fields[5].clone(),
                p.fields[4].clone(),
                p.amount.to_string(),
                l.invoice.clone(),
                l.paid.to_string(),
                if l.discount.is_zero() {
                    String::new()
                } else {
                    l.discount.to_string()
                },
                if l.deduction.is_zero() {
                    String::new()
                } else {
                    l.deduction.to_string()
                },
                if l.deduction.is_zero() {
                    String::new()
                } else {
                    REASONS[l.reason].text.to_string()
                },
            ];
            s.push_str(&row.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
            s.push('\n');
        }
    }
    s
}

struct Transaction {
    amount: Decimal,
    currency: String,
    date: String,
    payer: String,
    trace: String,
    lines: Vec<Line>,
}

fn quote(f: &str) -> String {
    if f.contains([',', '"', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

/// One interchange, one group, one ST per advice: BPR with the amount and
/// date, TRN with the trace, CUR, the payer, and an RMR per invoice (net
/// paid, gross, discount), with an ADX inside the RMR loop for a deduction
/// (negative amount, the reason code).
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
            for l in &t.lines {
                let invoice = &l.invoice;
                let paid = l.paid;
                if l.discount.is_zero() && l.deduction.is_zero() {
                    b.push(format!("RMR*IV*{invoice}**{paid}*{paid}"));
                } else if l.discount.is_zero() {
                    b.push(format!("RMR*IV*{invoice}**{paid}*{}", l.gross()));
                } else {
                    b.push(format!(
                        "RMR*IV*{invoice}**{paid}*{}*{}",
                        l.gross(),
                        l.discount
                    ));
                }
                if !l.deduction.is_zero() {
                    b.push(format!("ADX*-{}*{}", l.deduction, REASONS[l.reason].x12));
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
                lines: lines
                    .iter()
                    .map(|l| Line {
                        invoice: l.0.clone(),
                        paid: l.1,
                        discount: l.2,
                        deduction: Decimal::ZERO,
                        reason: 0,
                    })
                    .collect(),
            }]));
        }
    }
    None
}

/// One row of `advices_truth.csv`: an advice line and what a run must make
/// of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceTruthLine {
    /// `820`, `lockbox`, `remt001`, `camt054`, `csv`.
    pub format: AdviceFormat,
    /// The advice's payment reference (trace, cheque number, end-to-end id,
    /// payment reference) as `remittances.parquet` shows it.
    pub advice_reference: String,
    /// The bank line carrying its money.
    pub bank_reference: String,
    /// The invoice it pays.
    pub invoice_id: String,
    /// Cash applied.
    pub amount_paid: Decimal,
    /// Discount granted.
    pub discount_amount: Decimal,
    /// Deduction cleared.
    pub deduction_amount: Decimal,
    /// Our deduction reason (`DAMAGED_GOODS`, ...); empty without a deduction.
    pub deduction_reason: String,
}

/// Reads an `advices_truth.csv` written by [`add_advices_with`].
pub fn read_advices_truth(path: &Path) -> io::Result<Vec<AdviceTruthLine>> {
    let bad = |m: String| io::Error::new(io::ErrorKind::InvalidData, m);
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    if lines.next() != Some(ADVICES_TRUTH_HEADER) {
        return Err(bad(format!(
            "{}: header is not `{ADVICES_TRUTH_HEADER}`",
            path.display()
        )));
    }
    let mut out = Vec::new();
    let mut fields = Vec::new();
    for (n, line) in lines.enumerate() {
        split_record(line, &mut fields);
        let at = |what: &str| bad(format!("{}, line {}: {what}", path.display(), n + 2));
        if fields.len() != 8 {
            return Err(at("expected 8 fields"));
        }
        let money = |i: usize| -> io::Result<Decimal> {
            fields[i]
                .parse()
                .map_err(|_| at(&format!("`{}` is not an amount", fields[i])))
        };
        out.push(AdviceTruthLine {
            format: AdviceFormat::from_name(&fields[0])
                .ok_or_else(|| at(&format!("unknown format `{}`", fields[0])))?,
            advice_reference: fields[1].clone(),
            bank_reference: fields[2].clone(),
            invoice_id: fields[3].clone(),
            amount_paid: money(4)?,
            discount_amount: money(5)?,
            deduction_amount: money(6)?,
            deduction_reason: fields[7].clone(),
        });
    }
    Ok(out)
}

/// One row of a run's `remittances.parquet`, with the bank reference of the
/// transaction it was linked to (empty when none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAdviceLine {
    /// `format` column (`x12.820`, `bai_lockbox`, ...).
    pub format: String,
    /// `payment_reference` column.
    pub payment_reference: String,
    /// `invoice_reference` column.
    pub invoice_reference: String,
    /// `status` column.
    pub status: String,
    /// Bank reference of the linked transaction; empty when unlinked.
    pub bank_reference: String,
}

/// One `REMITTANCE_ADVICE` application of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceApplication {
    /// The bank line.
    pub bank_reference: String,
    /// The invoice.
    pub invoice_id: String,
    /// Cash applied.
    pub applied_amount: Decimal,
    /// Discount granted.
    pub discount_amount: Decimal,
    /// Deduction cleared.
    pub deduction_amount: Decimal,
    /// Deduction reason code; empty when none.
    pub deduction_reason: String,
}

/// How a run did on the advice lines of the truth.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AdviceScore {
    /// Advice lines in the truth.
    pub lines: u64,
    /// Lines `applied` in `remittances.parquet` and linked to the right bank line.
    pub linked_right: u64,
    /// Lines applied to the right bank line and invoice with the right cash,
    /// discount and deduction.
    pub applied_right: u64,
    /// Truth lines with a deduction.
    pub deductions: u64,
    /// Of those, applied right with the right deduction reason.
    pub deduction_reason_right: u64,
    /// Advice lines the run applied (`applied`) that no truth line states
    /// for that bank line (wrong link or invoice).
    pub applied_wrong: u64,
    /// `(lines, applied_right)` per format.
    pub per_format: BTreeMap<String, (u64, u64)>,
}

impl std::fmt::Display for AdviceScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "advice lines: {} in truth, {} linked right, {} applied right (cash, discount, deduction), {} applied wrong; deductions {} with reason right {}",
            self.lines, self.linked_right, self.applied_right, self.applied_wrong, self.deductions, self.deduction_reason_right
        )?;
        for (format, (n, right)) in &self.per_format {
            writeln!(f, "  {format:<10} {n:>7} lines {right:>7} applied right")?;
        }
        Ok(())
    }
}

/// Scores a run's advice lines (`remittances.parquet` rows and the
/// `REMITTANCE_ADVICE` applications) against `advices_truth.csv`.
pub fn score_advices(
    truth: &[AdviceTruthLine],
    rows: &[RunAdviceLine],
    applications: &[AdviceApplication],
) -> AdviceScore {
    let mut score = AdviceScore::default();
    let mut linked: HashMap<(&str, &str, &str), &str> = HashMap::new();
    for r in rows.iter().filter(|r| r.status == "applied") {
        linked.insert(
            (
                r.format.as_str(),
                r.payment_reference.as_str(),
                r.invoice_reference.as_str(),
            ),
            r.bank_reference.as_str(),
        );
    }
    let mut applied: HashMap<(&str, &str), &AdviceApplication> = HashMap::new();
    for a in applications {
        applied.insert((a.bank_reference.as_str(), a.invoice_id.as_str()), a);
    }
    let mut stated: std::collections::HashSet<(&str, &str)> = std::collections::HashSet::new();
    for t in truth {
        stated.insert((t.bank_reference.as_str(), t.invoice_id.as_str()));
        score.lines += 1;
        let entry = score
            .per_format
            .entry(t.format.as_str().to_string())
            .or_default();
        entry.0 += 1;
        if !t.deduction_amount.is_zero() {
            score.deductions += 1;
        }
        let key = (
            t.format.run_format(),
            t.advice_reference.as_str(),
            t.invoice_id.as_str(),
        );
        if linked.get(&key) != Some(&t.bank_reference.as_str()) {
            continue;
        }
        score.linked_right += 1;
        let Some(a) = applied.get(&(t.bank_reference.as_str(), t.invoice_id.as_str())) else {
            continue;
        };
        if a.applied_amount == t.amount_paid
            && a.discount_amount == t.discount_amount
            && a.deduction_amount == t.deduction_amount
        {
            score.applied_right += 1;
            entry.1 += 1;
            if !t.deduction_amount.is_zero() && a.deduction_reason == t.deduction_reason {
                score.deduction_reason_right += 1;
            }
        }
    }
    score.applied_wrong = rows
        .iter()
        .filter(|r| r.status == "applied")
        .filter(|r| !stated.contains(&(r.bank_reference.as_str(), r.invoice_reference.as_str())))
        .count() as u64;
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("cm-advices-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = crate::GeneratorConfig {
            customers: 60,
            invoices: 400,
            payments: 250,
            ..Default::default()
        };
        crate::generate(&config, &dir).unwrap();
        dir
    }

    #[test]
    fn every_format_is_written_deterministically_and_the_truth_adds_up() {
        let (a, b) = (dataset("a"), dataset("b"));
        let options = AdviceOptions::all_formats(80, 5);
        let sa = add_advices_with(&a, &options).unwrap();
        let sb = add_advices_with(&b, &options).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(sa.per_format.len(), 5, "{sa:?}");
        for f in [
            "bank.csv",
            "truth.csv",
            "advices_truth.csv",
            "remittance.toml",
        ] {
            assert_eq!(
                std::fs::read(a.join(f)).unwrap(),
                std::fs::read(b.join(f)).unwrap(),
                "{f}"
            );
        }
        let truth = read_advices_truth(&a.join("advices_truth.csv")).unwrap();
        assert_eq!(truth.len() as u64, sa.lines);
        // A perfect run scores every line right and nothing wrong.
        let rows: Vec<RunAdviceLine> = truth
            .iter()
            .map(|t| RunAdviceLine {
                format: t.format.run_format().into(),
                payment_reference: t.advice_reference.clone(),
                invoice_reference: t.invoice_id.clone(),
                status: "applied".into(),
                bank_reference: t.bank_reference.clone(),
            })
            .collect();
        let apps: Vec<AdviceApplication> = truth
            .iter()
            .map(|t| AdviceApplication {
                bank_reference: t.bank_reference.clone(),
                invoice_id: t.invoice_id.clone(),
                applied_amount: t.amount_paid,
                discount_amount: t.discount_amount,
                deduction_amount: t.deduction_amount,
                deduction_reason: t.deduction_reason.clone(),
            })
            .collect();
        let s = score_advices(&truth, &rows, &apps);
        assert_eq!((s.applied_right, s.applied_wrong), (s.lines, 0));
        assert_eq!(s.deduction_reason_right, s.deductions);
        // Linked to another bank line: not right, and counted wrong.
        let mut wrong = rows.clone();
        wrong[0].bank_reference = "ELSEWHERE".into();
        let s = score_advices(&truth, &wrong, &apps);
        assert_eq!((s.applied_right, s.applied_wrong), (s.lines - 1, 1));
        for d in [a, b] {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
