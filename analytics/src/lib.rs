//! Receivables analytics read the morning after a run: what the controller
//! and the collectors look at once cash application is done.
//!
//! The crate works on the typed rows of one published run ([`model`]) and
//! does no I/O: the CLI (`cashmatch report`, `src/report.rs`) reads the
//! Parquet files and writes what this crate returns.
//!
//! - [`kpi`]: KPIs with named formulas (`kpis.parquet`): DSO (simple,
//!   countback, best possible), average days delinquent, weighted days past
//!   due, percent current and over 90, CEI, weighted days to pay and late,
//!   unapplied cash ratio, auto-match rate.
//! - [`dunning`] and [`letters`]: levels from config, interest and fees,
//!   one letter per customer and level (`dunning.parquet`,
//!   `dunning_letters.parquet`, `letters/`).
//! - [`disputes`]: the deductions of the run (`disputes.parquet`).
//! - [`html`]: the self-contained dashboard (`report.html`).
//! - [`behaviour`]: payer behaviour per customer
//!   (`customer_behaviour.parquet`) and the 13-week forecast
//!   (`forecast.parquet`, `forecast_items.parquet`).
//! - [`history`]: the AR history of earlier runs (read by the CLI from the
//!   state store) and what this run adds to it.
//! - [`signals`]: discrepancy and fraud signals (`signals.parquet`).
//! - [`backtest`]: the forecast measured on held-out cleared items.
//! - [`config`]: the analytics TOML (`[kpi]`, `[dunning]`, `[behaviour]`,
//!   `[forecast]`, `[signals]`).
//!
//! ```
//! use cashmatch_analytics::kpi::{dso_simple, cei};
//! use rust_decimal::Decimal;
//! // 300,000 open after 90 days that sold 900,000: 30 days of sales.
//! let dso = dso_simple(Decimal::from(300_000), Decimal::from(900_000), 90).unwrap();
//! assert_eq!(dso, Decimal::from(30));
//! // Nothing was collectible: CEI is undefined, not invented.
//! assert!(cei(Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO).is_err());
//! ```
//!
//! Money is `rust_decimal::Decimal` throughout; the only rounding is in
//! [`money`] (half-even).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod backtest;
pub mod behaviour;
pub mod config;
pub mod disputes;
pub mod dunning;
pub mod history;
pub mod html;
pub mod kpi;
pub mod letters;
pub mod model;
pub mod money;
pub mod signals;

use config::AnalyticsConfig;
use model::{ClearedItem, Invoice, Opening, RunData, RunDetails};

/// Everything the report writes, computed from one run.
#[derive(Debug, Clone)]
pub struct Report {
    /// `kpis.parquet`.
    pub kpis: Vec<kpi::Kpi>,
    /// `dunning.parquet` and `dunning_letters.parquet`.
    pub dunning: dunning::DunningOutcome,
    /// `letters/`: (file name, text), in letter order.
    pub letters: Vec<(String, String)>,
    /// `disputes.parquet`.
    pub disputes: Vec<disputes::Dispute>,
    /// `customer_behaviour.parquet`.
    pub behaviour: Vec<behaviour::CustomerBehaviour>,
    /// `forecast_items.parquet`.
    pub forecast_items: Vec<behaviour::ForecastItem>,
    /// `forecast.parquet`.
    pub forecast: Vec<behaviour::ForecastWeek>,
    /// `signals.parquet`.
    pub signals: Vec<signals::Signal>,
    /// What this run adds to the AR history.
    pub history: Vec<history::Event>,
    /// `report.html`.
    pub html: String,
}

/// Inputs besides the run itself.
#[derive(Debug, Clone, Default)]
pub struct Extras<'a> {
    /// The `--invoices` file (credit sales), when given.
    pub invoices: Option<&'a [Invoice]>,
    /// Receivables at the start of the CEI period (`--opening`), when given.
    pub opening: Option<&'a Opening>,
    /// The run id shown on the dashboard.
    pub run_id: &'a str,
    /// Letter templates by level, read from the files the config names;
    /// levels without one use [`letters::DEFAULT_TEMPLATE`].
    pub templates: &'a [(u32, String)],
    /// Earlier runs from the AR history, oldest first (empty: none).
    pub history: &'a [history::PastRun],
    /// `--cleared-items`, when given.
    pub cleared: Option<&'a [ClearedItem]>,
    /// Counterparty, remittance, discount terms and customer master.
    pub details: Option<&'a RunDetails>,
}

/// Computes every table, the letters and the page.
pub fn build(
    data: &RunData,
    extras: &Extras<'_>,
    config: &AnalyticsConfig,
) -> Result<Report, letters::LetterError> {
    let settings = config.kpi.settings();
    let paid = history::paid_items(extras.history, data, extras.cleared);
    // CEI's beginning receivables: --opening, else the history, else the
    // invoices with the payments known.
    let derived = match extras.opening {
        Some(_) => None,
        None => kpi::opening_from_history(extras.history, data.as_of, &settings).or_else(|| {
            extras
                .invoices
                .and_then(|inv| kpi::opening_from_invoices(inv, &paid, data.as_of, &settings))
        }),
    };
    let opening: Option<&Opening> = extras.opening.or(derived.as_ref().map(|(o, _)| o));
    let mut kpis = kpi::compute(data, extras.invoices, opening, &settings);
    if let Some((_, source)) = &derived {
        for k in kpis.iter_mut().filter(|k| k.metric == "cei") {
            k.inputs = format!("{}; {source}", k.inputs);
        }
    }
    let disputes = disputes::track(data, extras.history, extras.cleared);
    let prior = history::DunningPrior::from_history(extras.history);
    let dunning = dunning::compute_with_prior(data, &disputes, &config.dunning, &prior);
    let mut behaviour = behaviour::compute(data, &config.behaviour);
    behaviour::apply_trends(&mut behaviour, &paid, data.as_of, &config.behaviour);
    let model = behaviour::OffsetModel::fit(&paid, data.as_of, &config.forecast);
    let (forecast_items, forecast) = behaviour::forecast_with(data, &model);
    let signals = signals::compute(&signals::Inputs {
        data,
        details: extras.details,
        history: extras.history,
        invoices: extras.invoices,
        cleared: extras.cleared,
        config: &config.signals,
    });
    let mut rendered = Vec::with_capacity(dunning.letters.len());
    for letter in &dunning.letters {
        let template = extras
            .templates
            .iter()
            .find(|(level, _)| *level == letter.level)
            .map_or(letters::DEFAULT_TEMPLATE, |(_, t)| t.as_str());
        let text = letters::render(letter, &dunning.items, data.as_of, template)?;
        rendered.push((letter.file_name.clone(), text));
    }
    let dso_series = history::kpi_series(extras.history, &kpis, data.as_of, "dso_simple");
    let match_series = history::kpi_series(extras.history, &kpis, data.as_of, "auto_match_rate");
    let html = html::render(&html::Dashboard {
        as_of: data.as_of,
        run_id: extras.run_id,
        kpis: &kpis,
        aging: &data.aging,
        exceptions: &data.exceptions,
        dunning: &dunning,
        disputes: &disputes,
        behaviour: &behaviour,
        forecast: &forecast,
        dso_series: &dso_series,
        match_series: &match_series,
        signals: &signals,
    });
    let history = history::snapshot(data, extras.details, &kpis, &disputes, &dunning);
    Ok(Report {
        kpis,
        dunning,
        letters: rendered,
        disputes,
        behaviour,
        forecast_items,
        forecast,
        signals,
        history,
        html,
    })
}
