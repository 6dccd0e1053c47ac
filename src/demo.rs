//! `cashmatch demo`: the whole nightly batch on the bundled dataset.
//!
//! The demo inputs are embedded in the binary, so the command works from any
//! directory. They are first written to `<out>/inputs/` so the run is an
//! ordinary run over files a person can open (and an auditor can replay).

use crate::config::RunConfig;
use crate::run::{CustomersSource, OpenItemsSource, RunRequest, StateMode};
use crate::{CliError, EXIT_COMPLETED_WITH_REJECTIONS};
use cashmatch_datasets::demo;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// Writes the demo inputs, runs them and prints the summary. The demo keeps
/// state like a nightly run (default `<out>/state`), so running it twice
/// shows the idempotent re-run: nothing new is applied the second time.
pub fn run_demo(out: &Path, state: Option<PathBuf>, quiet: bool) -> Result<i32, CliError> {
    let inputs = out.join("inputs");
    std::fs::create_dir_all(&inputs)
        .map_err(|e| CliError::Io(format!("cannot create `{}`: {e}", inputs.display())))?;
    // Issue 11: a customer pays an EUR invoice in USD; its own bank file,
    // the rates that convert it (FX_REFERENCE) and its line of truth.
    let fx = demo::fx_payment();
    let truth = format!(
        "{}BRFX0000001,{},{},exact_reference,0.00,0.00\n",
        demo::TRUTH,
        fx.invoice_id,
        fx.invoice_open
    );
    for (name, text) in [
        ("bank.csv", demo::BANK_CSV),
        ("open_items.csv", demo::OPEN_ITEMS),
        ("customers.csv", demo::CUSTOMERS),
        ("truth.csv", truth.as_str()),
        ("bank_fx.csv", fx.bank_csv.as_str()),
        ("rates.csv", fx.rates_csv.as_str()),
    ] {
        cashmatch_store::durable::write_durable(&inputs, name, text.as_bytes())?;
    }
    // The months before the run (issue 10): every invoice issued and the
    // items cleared before the statements, for DSO, CEI, trends and the
    // forecast. Extra inputs only: the files above are unchanged.
    let history = demo::history();
    for (name, text) in [
        ("invoices.csv", history.invoices_csv.as_str()),
        ("cleared_items.csv", history.cleared_items_csv.as_str()),
    ] {
        cashmatch_store::durable::write_durable(&inputs, name, text.as_bytes())?;
    }
    // Issue 11: one payment's invoices arrive as an X12 820 apart from the
    // cash, and are applied with REMITTANCE_ADVICE.
    cashmatch_store::durable::write_durable(
        &inputs,
        "remittance.820",
        demo::remittance_820().as_bytes(),
    )?;
    // A receipt of the night returned the same night (R01): reversed.
    cashmatch_store::durable::write_durable(
        &inputs,
        "returns.csv",
        demo::returned_payment().as_bytes(),
    )?;
    let as_of = NaiveDate::parse_from_str(demo::AS_OF, "%Y-%m-%d").ok();
    let state = state.map_or_else(|| StateMode::default_for(out), StateMode::Dir);
    let req = RunRequest {
        bank: vec![
            inputs.join("bank.csv"),
            inputs.join("bank_fx.csv"),
            inputs.join("returns.csv"),
        ],
        open_items: OpenItemsSource::File(inputs.join("open_items.csv")),
        customers: Some(CustomersSource::File(inputs.join("customers.csv"))),
        config: RunConfig::default(),
        as_of,
        out: out.to_path_buf(),
        accept_unbalanced: false,
        quiet,
        bank_inputs: None,
        state: state.clone(),
        recorded_inputs: None,
        // The morning after: the run publishes the analytics too (issue 10).
        analytics: Some(crate::run::RunAnalytics {
            invoices: Some(inputs.join("invoices.csv")),
            cleared_items: Some(inputs.join("cleared_items.csv")),
            ..Default::default()
        }),
        remittance: vec![inputs.join("remittance.820")],
        remittance_inputs: None,
        decisions: None,
        rates: Some(inputs.join("rates.csv")),
    };
    let Some(report) = crate::commands::run_and_summarise(&req)? else {
        return Ok(0);
    };
    if let Some(analytics) = &report.analytics {
        let dir = out.join(crate::report::ANALYTICS_DIR);
        println!(
            "\n  analytics (KPIs, dunning, disputes, behaviour, forecast, {} signal(s)) in {}; open {} in a browser",
            analytics.signals,
            dir.display(),
            dir.join("report.html").display()
        );
    }
    println!(
        "  forecast accuracy: cashmatch backtest --cleared-items {}",
        inputs.join("cleared_items.csv").display()
    );
    follow_up(out, &inputs, state, quiet)?;
    let eval = crate::evaluate::evaluate(&inputs.join("truth.csv"), out)?;
    println!(
        "\n  against the demo's ground truth ({}):\n{}",
        inputs.join("truth.csv").display(),
        indent(&eval.table)
    );
    println!(
        "\n  next: open {} with DuckDB, polars or pyarrow; rerun with `cashmatch run --bank {} {} {} --open-items {} --customers {} --remittance {} --rates {} --out <dir>`",
        out.join("applications.parquet").display(),
        inputs.join("bank.csv").display(),
        inputs.join("bank_fx.csv").display(),
        inputs.join("returns.csv").display(),
        inputs.join("open_items.csv").display(),
        inputs.join("customers.csv").display(),
        inputs.join("remittance.820").display(),
        inputs.join("rates.csv").display()
    );
    Ok(if report.manifest.rejections.is_empty() {
        0
    } else {
        EXIT_COMPLETED_WITH_REJECTIONS
    })
}

/// The month after, into `<out>/next`: the deducted residuals of half the
/// short payments are paid, the other half credited, so the next report's
/// dispute register shows them resolved (issue 10). The run keeps its own
/// state (`<out>/next/state`: the first run's state log stays as that run
/// left it); its report reads and extends the AR history of the first
/// run's state.
fn follow_up(out: &Path, inputs: &Path, state: StateMode, quiet: bool) -> Result<(), CliError> {
    let next_inputs = inputs.join("next");
    std::fs::create_dir_all(&next_inputs)
        .map_err(|e| CliError::Io(format!("cannot create `{}`: {e}", next_inputs.display())))?;
    let f = demo::follow_up();
    for (name, text) in [
        ("bank.csv", f.bank_csv.as_str()),
        ("open_items.csv", f.open_items_csv.as_str()),
    ] {
        cashmatch_store::durable::write_durable(&next_inputs, name, text.as_bytes())?;
    }
    let next = out.join("next");
    let req = RunRequest {
        bank: vec![next_inputs.join("bank.csv")],
        open_items: OpenItemsSource::File(next_inputs.join("open_items.csv")),
        customers: Some(CustomersSource::File(inputs.join("customers.csv"))),
        config: RunConfig::default(),
        as_of: NaiveDate::parse_from_str(demo::FOLLOW_UP_AS_OF, "%Y-%m-%d").ok(),
        out: next.clone(),
        accept_unbalanced: false,
        quiet,
        bank_inputs: None,
        state: StateMode::default_for(&next),
        recorded_inputs: None,
        // Its report below reads the first run's AR history instead.
        analytics: None,
        remittance: Vec::new(),
        remittance_inputs: None,
        decisions: None,
        rates: None,
    };
    let history = match state {
        StateMode::Dir(dir) => Some(dir),
        _ => None,
    };
    if let crate::run::RunStatus::AlreadyProcessed { .. } = crate::run::run(&req)? {
        return Ok(());
    }
    let analytics = crate::report::report(&crate::report::ReportRequest {
        run_dir: next.clone(),
        out: None,
        config: None,
        invoices: None,
        opening: None,
        cleared_items: None,
        no_history: history.is_none(),
        state: history,
    })?;
    println!(
        "  next month ({}): {} short payment(s) settled by the customer, {} credited, {} still in dispute; the dispute register across runs is in {}",
        next.display(),
        f.paid.len(),
        f.credited.len(),
        f.still_open.len(),
        analytics.dir.join("disputes.parquet").display()
    );
    Ok(())
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}
