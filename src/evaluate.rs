//! `cashmatch generate` and `cashmatch evaluate`: synthetic data with ground
//! truth, and line-level scoring of a run against it.

use crate::CliError;
use arrow_array::{Array, Decimal128Array, RecordBatch, StringArray};
use cashmatch_datasets::{
    GeneratorConfig, PredictedDeduction, PredictedException, PredictedExtras, PredictedLine,
    Profile,
};
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rust_decimal::Decimal;
use std::path::Path;

/// Writes a generated dataset.
pub fn generate(
    customers: usize,
    invoices: usize,
    payments: usize,
    seed: u64,
    as_of: Option<NaiveDate>,
    profile: &str,
    out: &Path,
) -> Result<(), CliError> {
    let profile = Profile::from_name(profile).ok_or_else(|| {
        CliError::Config(format!(
            "--profile `{profile}` is unknown (one of: {})",
            Profile::ALL.map(Profile::as_str).join(", ")
        ))
    })?;
    let count = |name: &str, v: usize| {
        u32::try_from(v).map_err(|_| CliError::Config(format!("--{name} {v} is too large")))
    };
    let mut config = GeneratorConfig {
        customers: count("customers", customers)?,
        invoices: count("invoices", invoices)?,
        payments: count("payments", payments)?,
        seed,
        profile,
        scenario_weights: profile.scenario_weights(),
        ..GeneratorConfig::default()
    };
    if let Some(d) = as_of {
        config.as_of = d;
    }
    config.validate().map_err(CliError::Config)?;
    std::fs::create_dir_all(out)
        .map_err(|e| CliError::Io(format!("cannot create `{}`: {e}", out.display())))?;
    let summary = cashmatch_datasets::generate(&config, out)
        .map_err(|e| CliError::Io(format!("cannot write dataset to `{}`: {e}", out.display())))?;
    println!(
        "generated {} customers, {} invoices, {} bank lines, {} truth lines",
        summary.customers, summary.invoices, summary.payments, summary.truth_lines
    );
    for (scenario, n) in &summary.payments_by_scenario {
        println!("  {:<24} {n:>9}", scenario.as_str());
    }
    if summary.events_downgraded > 0 {
        println!(
            "  note: {} events became unknown payments because too few unpaid invoices were left; generate more invoices per payment",
            summary.events_downgraded
        );
    }
    let bank = if profile == Profile::TextTags {
        "bank.bai2, bank.mt940"
    } else {
        "bank.csv"
    };
    println!(
        "wrote open_items.csv, customers.csv, {bank}, truth.csv to {} (profile {profile})",
        out.display()
    );
    Ok(())
}

/// An evaluation, rendered both ways.
pub struct EvaluationReport {
    pub table: String,
    pub json: String,
}

/// Scores `run_dir/applications.parquet` against `truth`: the pairs and
/// amounts, and (from the same file and `exceptions.parquet`) deductions
/// and exception reason codes.
pub fn evaluate(truth: &Path, run_dir: &Path) -> Result<EvaluationReport, CliError> {
    let truth_lines = cashmatch_datasets::read_truth(truth)
        .map_err(|e| CliError::Input(format!("truth `{}`: {e}", truth.display())))?;
    let applications = run_dir.join("applications.parquet");
    let predicted = read_applications(&applications)?;
    let extras = PredictedExtras {
        deductions: read_deductions(&applications)?,
        exceptions: read_exceptions(&run_dir.join("exceptions.parquet"))?,
    };
    let evaluation = cashmatch_datasets::evaluate_with(&truth_lines, &predicted, Some(&extras));
    let mut table = evaluation.to_string();
    let mut json = cashmatch_datasets::evaluation_json(&evaluation);
    // Advice lines, when the generator wrote their truth beside truth.csv
    // and the run read advices.
    let advices_truth = truth
        .parent()
        .unwrap_or(Path::new("."))
        .join("advices_truth.csv");
    let remittances = run_dir.join("remittances.parquet");
    if advices_truth.is_file() && remittances.is_file() {
        let score = score_advices(&advices_truth, run_dir)?;
        table.push('\n');
        table.push_str(&score.to_string());
        if let Ok(serde_json::Value::Object(mut map)) =
            serde_json::from_str::<serde_json::Value>(&json)
        {
            map.insert(
                "advices".into(),
                serde_json::to_value(&score).unwrap_or(serde_json::Value::Null),
            );
            json = serde_json::Value::Object(map).to_string();
        }
    }
    // Slices and returns (issue 11), when the generator's stages wrote
    // their files beside truth.csv.
    let dir = truth.parent().unwrap_or(Path::new("."));
    let slices = cashmatch_datasets::slices::slices_of(dir, &truth_lines)
        .map_err(|e| CliError::Input(format!("slices of `{}`: {e}", dir.display())))?;
    let mut extra = serde_json::Map::new();
    if !slices.is_empty() {
        let counts = cashmatch_datasets::slices::evaluate_slices(&truth_lines, &predicted, &slices);
        table.push_str(&format!(
            "\n{:<24} {:>8} {:>7} {:>7} {:>7} {:>9} {:>9}\n",
            "slice", "payments", "truth", "pred", "correct", "precision", "recall"
        ));
        let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2}%", v * 100.0));
        let mut map = serde_json::Map::new();
        for (name, c) in &counts {
            table.push_str(&format!(
                "{:<24} {:>8} {:>7} {:>7} {:>7} {:>9} {:>9}\n",
                name,
                c.payments,
                c.truth_lines,
                c.predicted_lines,
                c.correct,
                pct(c.precision),
                pct(c.recall)
            ));
            map.insert(
                name.clone(),
                serde_json::to_value(c).unwrap_or(serde_json::Value::Null),
            );
        }
        extra.insert("slices".into(), serde_json::Value::Object(map));
    }
    let returns_truth = dir.join("returns_truth.csv");
    if returns_truth.is_file() {
        let text = std::fs::read_to_string(&returns_truth).map_err(|e| {
            CliError::Input(format!("returns truth `{}`: {e}", returns_truth.display()))
        })?;
        let path = run_dir.join("transactions.parquet");
        let mut references = std::collections::BTreeSet::new();
        for batch in read_batches(&path)? {
            let refs = text_column(&batch, "bank_reference", &path)?;
            for i in 0..batch.num_rows() {
                references.insert(refs.value(i).to_string());
            }
        }
        let score = cashmatch_datasets::slices::score_returns(
            &text,
            &references,
            &read_reversals(&applications)?,
        );
        let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2}%", v * 100.0));
        table.push_str(&format!(
            "\nreturns: {} in this run, {} linked; {} invoices to re-open, {} reversals, {} right; precision {}, recall {}\n",
            score.returns,
            score.returns_linked,
            score.truth_lines,
            score.reversals,
            score.right,
            pct(score.precision),
            pct(score.recall)
        ));
        extra.insert(
            "returns".into(),
            serde_json::to_value(score).unwrap_or(serde_json::Value::Null),
        );
    }
    if !extra.is_empty() {
        if let Ok(serde_json::Value::Object(mut map)) =
            serde_json::from_str::<serde_json::Value>(&json)
        {
            map.extend(extra);
            json = serde_json::Value::Object(map).to_string();
        }
    }
    Ok(EvaluationReport { table, json })
}

/// The `RETURN_REVERSAL` rows of an `applications.parquet`: (bank
/// reference of the return, invoice re-opened).
fn read_reversals(path: &Path) -> Result<Vec<(String, String)>, CliError> {
    let mut out = Vec::new();
    for batch in read_batches(path)? {
        let refs = text_column(&batch, "bank_reference", path)?;
        let invoices = text_column(&batch, "invoice_id", path)?;
        let rules = text_column(&batch, "rule", path)?;
        for i in 0..batch.num_rows() {
            if rules.value(i) == "RETURN_REVERSAL" {
                out.push((refs.value(i).to_string(), invoices.value(i).to_string()));
            }
        }
    }
    Ok(out)
}

/// Scores the run's advice lines (`remittances.parquet`, linked through
/// `transactions.parquet`, and the `REMITTANCE_ADVICE` rows of
/// `applications.parquet`) against `advices_truth.csv`.
fn score_advices(
    truth: &Path,
    run_dir: &Path,
) -> Result<cashmatch_datasets::advices::AdviceScore, CliError> {
    use cashmatch_datasets::advices::{AdviceApplication, RunAdviceLine};
    let truth_lines = cashmatch_datasets::advices::read_advices_truth(truth)
        .map_err(|e| CliError::Input(format!("advices truth `{}`: {e}", truth.display())))?;
    let text = |batch: &RecordBatch, name: &str, path: &Path, i: usize| {
        text_column(batch, name, path).map(|c| {
            if c.is_null(i) {
                String::new()
            } else {
                c.value(i).to_string()
            }
        })
    };
    let path = run_dir.join("transactions.parquet");
    let mut bank_refs = std::collections::HashMap::new();
    for batch in read_batches(&path)? {
        let ids = text_column(&batch, "transaction_id", &path)?;
        let refs = text_column(&batch, "bank_reference", &path)?;
        for i in 0..batch.num_rows() {
            bank_refs.insert(ids.value(i).to_string(), refs.value(i).to_string());
        }
    }
    let path = run_dir.join("remittances.parquet");
    let mut rows = Vec::new();
    for batch in read_batches(&path)? {
        for i in 0..batch.num_rows() {
            let txn = text(&batch, "transaction_id", &path, i)?;
            rows.push(RunAdviceLine {
                format: text(&batch, "format", &path, i)?,
                payment_reference: text(&batch, "payment_reference", &path, i)?,
                invoice_reference: text(&batch, "invoice_reference", &path, i)?,
                status: text(&batch, "status", &path, i)?,
                bank_reference: bank_refs.get(&txn).cloned().unwrap_or_default(),
            });
        }
    }
    let path = run_dir.join("applications.parquet");
    let mut applications = Vec::new();
    for batch in read_batches(&path)? {
        let money = |name: &str| -> Result<Decimal128Array, CliError> {
            column(&batch, name)
                .and_then(|c| c.as_any().downcast_ref::<Decimal128Array>().cloned())
                .ok_or_else(|| {
                    CliError::Input(format!(
                        "`{}`: column `{name}` missing or not decimal",
                        path.display()
                    ))
                })
        };
        let (applied, discount, deduction) = (
            money("applied_amount")?,
            money("discount_amount")?,
            money("deduction_amount")?,
        );
        for i in 0..batch.num_rows() {
            if text(&batch, "rule", &path, i)? != "REMITTANCE_ADVICE" {
                continue;
            }
            applications.push(AdviceApplication {
                bank_reference: text(&batch, "bank_reference", &path, i)?,
                invoice_id: text(&batch, "invoice_id", &path, i)?,
                applied_amount: decimal(&applied, i),
                discount_amount: decimal(&discount, i),
                deduction_amount: decimal(&deduction, i),
                deduction_reason: text(&batch, "deduction_reason", &path, i)?,
            });
        }
    }
    Ok(cashmatch_datasets::advices::score_advices(
        &truth_lines,
        &rows,
        &applications,
    ))
}

/// Reads the predicted lines from an `applications.parquet`.
pub fn read_applications(path: &Path) -> Result<Vec<PredictedLine>, CliError> {
    let bad = |what: String| CliError::Input(format!("`{}`: {what}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| {
        bad(format!(
            "cannot open: {e}; is this a cashmatch run directory?"
        ))
    })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| bad(e.to_string()))?;
        let text = |name: &str| -> Result<StringArray, CliError> {
            column(&batch, name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
                .ok_or_else(|| bad(format!("column `{name}` missing or not text")))
        };
        let money = |name: &str| -> Result<Decimal128Array, CliError> {
            column(&batch, name)
                .and_then(|c| c.as_any().downcast_ref::<Decimal128Array>().cloned())
                .ok_or_else(|| bad(format!("column `{name}` missing or not decimal")))
        };
        let (refs, invoices) = (text("bank_reference")?, text("invoice_id")?);
        let (applied, discount, writeoff) = (
            money("applied_amount")?,
            money("discount_amount")?,
            money("writeoff_amount")?,
        );
        // A reversal takes a return's money back from an invoice: it is
        // scored by the returns' truth, not as an application of a payment.
        let rules = column(&batch, "rule").and_then(|c| c.as_any().downcast_ref::<StringArray>());
        for i in 0..batch.num_rows() {
            if rules.is_some_and(|r| r.value(i) == "RETURN_REVERSAL") {
                continue;
            }
            out.push(PredictedLine {
                bank_reference: refs.value(i).to_string(),
                invoice_id: invoices.value(i).to_string(),
                applied_amount: decimal(&applied, i),
                discount_amount: decimal(&discount, i),
                writeoff_amount: decimal(&writeoff, i),
            });
        }
    }
    Ok(out)
}

/// Record batches of a Parquet file, each error naming the file.
fn read_batches(path: &Path) -> Result<Vec<RecordBatch>, CliError> {
    let bad = |what: String| CliError::Input(format!("`{}`: {what}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| {
        bad(format!(
            "cannot open: {e}; is this a cashmatch run directory?"
        ))
    })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    reader.map(|b| b.map_err(|e| bad(e.to_string()))).collect()
}

fn text_column(batch: &RecordBatch, name: &str, path: &Path) -> Result<StringArray, CliError> {
    column(batch, name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
        .ok_or_else(|| {
            CliError::Input(format!(
                "`{}`: column `{name}` missing or not text",
                path.display()
            ))
        })
}

/// The deduction of every application in an `applications.parquet`.
pub fn read_deductions(path: &Path) -> Result<Vec<PredictedDeduction>, CliError> {
    let mut out = Vec::new();
    for batch in read_batches(path)? {
        let refs = text_column(&batch, "bank_reference", path)?;
        let invoices = text_column(&batch, "invoice_id", path)?;
        let deductions = column(&batch, "deduction_amount")
            .and_then(|c| c.as_any().downcast_ref::<Decimal128Array>().cloned())
            .ok_or_else(|| {
                CliError::Input(format!(
                    "`{}`: column `deduction_amount` missing or not decimal",
                    path.display()
                ))
            })?;
        for i in 0..batch.num_rows() {
            out.push(PredictedDeduction {
                bank_reference: refs.value(i).to_string(),
                invoice_id: invoices.value(i).to_string(),
                deduction_amount: decimal(&deductions, i),
            });
        }
    }
    Ok(out)
}

/// The reason code of every exception in an `exceptions.parquet`.
pub fn read_exceptions(path: &Path) -> Result<Vec<PredictedException>, CliError> {
    let mut out = Vec::new();
    for batch in read_batches(path)? {
        let refs = text_column(&batch, "bank_reference", path)?;
        let reasons = text_column(&batch, "reason", path)?;
        for i in 0..batch.num_rows() {
            out.push(PredictedException {
                bank_reference: refs.value(i).to_string(),
                reason: reasons.value(i).to_string(),
            });
        }
    }
    Ok(out)
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a std::sync::Arc<dyn Array>> {
    batch.schema().index_of(name).ok().map(|i| batch.column(i))
}

/// A Decimal128 cell as a `Decimal`.
pub fn decimal(array: &Decimal128Array, i: usize) -> Decimal {
    Decimal::from_i128_with_scale(array.value(i), array.scale() as u32)
}
