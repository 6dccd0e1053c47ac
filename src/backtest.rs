//! `cashmatch backtest --cleared-items FILE [--holdout 0.2] [--config F]`:
//! how well the forecast predicts when items are paid, measured on the
//! items the ERP already cleared (`cashmatch_analytics::backtest`). Writes
//! `backtest.json` (durably) and prints the figures.

use crate::report::{cleared_options, read_cleared_items};
use crate::CliError;
use cashmatch_analytics::backtest::{self, Backtest};
use cashmatch_analytics::config::AnalyticsConfig;
use rust_decimal::Decimal;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// File name of the result.
pub const BACKTEST_FILE: &str = "backtest.json";

/// What `cashmatch backtest` was asked to do.
#[derive(Debug, Clone)]
pub struct BacktestRequest {
    /// The cleared items (open-item columns + `cleared_date`).
    pub cleared_items: PathBuf,
    /// Share held out, latest by invoice date (default 0.2).
    pub holdout: Decimal,
    /// The analytics config (`[forecast]`, `[cleared_items]`).
    pub config: Option<PathBuf>,
    /// Folder for `backtest.json` (default: the current directory).
    pub out: PathBuf,
}

/// `backtest.json`: the figures and what they were computed from; no
/// clock, no path, so the same inputs give the same bytes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BacktestJson {
    /// Format tag.
    pub format: &'static str,
    /// SHA-256 of the cleared-items file.
    pub cleared_items_sha256: String,
    /// SHA-256 of the config text (empty: defaults).
    pub config_sha256: String,
    /// The share held out.
    pub holdout: String,
    /// The method, in words.
    pub method: String,
    /// Rows read.
    pub items: u64,
    /// Rows without an invoice or due date.
    pub skipped: u64,
    /// Items learnt from.
    pub train: u64,
    /// Items forecast.
    pub holdout_items: u64,
    /// First invoice date held out.
    pub holdout_from: String,
    /// The model's as-of date.
    pub trained_as_of: String,
    /// MAE of the method, days.
    pub method_mae_days: String,
    /// MAE of "pays on the due date", days.
    pub naive_mae_days: String,
    /// `(naive − method) / naive × 100`.
    pub improvement_percent: Option<String>,
    /// Held-out items by offset source: customer season, customer,
    /// currency, due date.
    pub forecast_from: [(String, u64); 4],
}

/// The JSON of a result.
pub fn to_json(
    b: &Backtest,
    sha: &str,
    config_sha: &str,
    holdout: Decimal,
    config: &AnalyticsConfig,
) -> BacktestJson {
    BacktestJson {
        format: "cashmatch-backtest/1",
        cleared_items_sha256: sha.to_string(),
        config_sha256: config_sha.to_string(),
        holdout: holdout.to_string(),
        method: if config.forecast.seasonal_min_days == 0 {
            format!(
                "due date + the customer's amount-weighted days late over their latest {} payments within {} days (else the currency's, else 0), learnt from the earlier items as of their last cleared date",
                config.forecast.recent_payments, config.forecast.window_days
            )
        } else {
            format!(
                "due date + the customer's amount-weighted days late in the due month when it is one of their seasons (at least {} payments due in that month within {} days, paid at least {} days later than the other months), else over their latest {} payments due in other months (else the currency's, else 0), learnt from the earlier items as of their last cleared date",
                config.forecast.seasonal_min_payments,
                config.forecast.window_days,
                config.forecast.seasonal_min_days,
                config.forecast.recent_payments
            )
        },
        items: b.items,
        skipped: b.skipped,
        train: b.train,
        holdout_items: b.holdout,
        holdout_from: b.holdout_from.to_string(),
        trained_as_of: b.trained_as_of.to_string(),
        method_mae_days: b.method_mae_days.to_string(),
        naive_mae_days: b.naive_mae_days.to_string(),
        improvement_percent: b.improvement_percent.map(|p| p.to_string()),
        forecast_from: [
            (
                cashmatch_analytics::behaviour::METHOD_SEASON.into(),
                b.by_season,
            ),
            ("customer".into(), b.by_customer),
            ("currency".into(), b.by_currency),
            ("due_date".into(), b.by_due_date),
        ],
    }
}

/// Runs the backtest, writes `backtest.json` and returns it with the lines
/// to print.
pub fn backtest(req: &BacktestRequest) -> Result<(BacktestJson, String), CliError> {
    let (config, text) = match &req.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                CliError::Config(format!("cannot read config `{}`: {e}", p.display()))
            })?;
            let c = AnalyticsConfig::from_toml(&text)
                .map_err(|e| CliError::Config(format!("`{}`: {e}", p.display())))?;
            (c, Some(text))
        }
        None => (AnalyticsConfig::default(), None),
    };
    let options = cleared_options(&config)?;
    let (items, sha) = read_cleared_items(&req.cleared_items, &options)?;
    let result = backtest::run(&items, req.holdout, &config.forecast)
        .map_err(|e| CliError::Input(format!("`{}`: {e}", req.cleared_items.display())))?;
    let config_sha = text
        .map(|t| crate::output::sha256_hex(t.as_bytes()))
        .unwrap_or_default();
    let json = to_json(&result, &sha, &config_sha, req.holdout, &config);
    let mut bytes = serde_json::to_vec_pretty(&json)
        .map_err(|e| CliError::Output(format!("cannot encode {BACKTEST_FILE}: {e}")))?;
    bytes.push(b'\n');
    std::fs::create_dir_all(&req.out)
        .map_err(|e| CliError::Io(format!("cannot create `{}`: {e}", req.out.display())))?;
    cashmatch_store::durable::write_durable(&req.out, BACKTEST_FILE, &bytes)?;
    let lines = summary(&json, &req.out.join(BACKTEST_FILE));
    Ok((json, lines))
}

fn summary(j: &BacktestJson, path: &Path) -> String {
    format!(
        "backtest of {} cleared item(s): learnt from {}, forecast {} (invoice dates from {})\n  method (due date + customer offset) MAE {} days\n  naive  (pays on the due date)       MAE {} days\n  improvement {} %\nwrote {}\n",
        j.items,
        j.train,
        j.holdout_items,
        j.holdout_from,
        j.method_mae_days,
        j.naive_mae_days,
        j.improvement_percent.as_deref().unwrap_or("n/a"),
        path.display()
    )
}
