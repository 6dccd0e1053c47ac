//! `cashmatch report RUN_DIR`: the morning-after analytics of a published
//! run, read from its files alone. This module is the I/O around
//! `cashmatch-analytics`: it reads the run's Parquet outputs (checking each
//! against the SHA-256 the manifest recorded, so a run published meanwhile
//! is never half-read), the customer master the manifest names (when it is
//! still there with the recorded bytes), the optional `--invoices`,
//! `--opening`, `--cleared-items` and `--config` inputs and the AR history
//! of earlier runs (`cashmatch_store::history`, in the run's state
//! directory), and writes the analytics set. After the set is published,
//! the run's own events are recorded in the AR history (once per run: the
//! first report of a run is its history; a later report of the same run
//! reads only runs dated before it, so it gives the same bytes).
//!
//! Publish: every file goes to `<out parent>/.<out name>-staging-<pid>/`
//! (written, fsynced), then the old set is renamed aside, the staging
//! directory renamed into place, the parent fsynced and the old set
//! removed, all under the run directory's lock (`.cashmatch.lock`, the
//! one `run` takes). A crash leaves the old set (put back by the next `report`, see
//! [`recover`]) or the new one; never a mix.

use crate::manifest::{Manifest, MANIFEST_NAME};
use crate::output::sha256_hex;
use crate::output::table::Table;
use crate::CliError;
use arrow_array::{
    Array, Date32Array, Decimal128Array, Int64Array, RecordBatch, StringArray, UInt32Array,
    UInt64Array,
};
use arrow_schema::DataType;
use cashmatch_analytics::config::AnalyticsConfig;
use cashmatch_analytics::dunning::DunningOutcome;
use cashmatch_analytics::history::{Event, PastRun};
use cashmatch_analytics::kpi::Kpi;
use cashmatch_analytics::model::{
    AgingRow, Application, ClearedItem, ExceptionRow, Invoice, ItemTerms, MasterCustomer, OpenItem,
    Opening, RunData, RunDetails, Transaction, TransactionDetail,
};
use cashmatch_analytics::signals::Signal;
use cashmatch_analytics::{Extras, Report};
use cashmatch_parsers::extracts::ExtractOptions;
use cashmatch_store::durable::{sync_dir, write_durable};
use cashmatch_store::history::HistoryRow;
use cashmatch_store::lock::DirLock;
use cashmatch_store::table::{money_column, read_parquet, text_column};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Default output folder inside the run directory.
pub const ANALYTICS_DIR: &str = "analytics";
/// Folder of the letters inside the analytics set.
pub const LETTERS_DIR: &str = "letters";
/// The analytics set's own manifest.
pub const REPORT_MANIFEST: &str = "report-manifest.json";

/// What `cashmatch report` was asked to do.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// The published run directory.
    pub run_dir: PathBuf,
    /// Where the analytics set goes (default `RUN_DIR/analytics`).
    pub out: Option<PathBuf>,
    /// The analytics config (TOML), if any.
    pub config: Option<PathBuf>,
    /// All invoices issued in the period (credit sales), if given.
    pub invoices: Option<PathBuf>,
    /// The run at the start of the CEI period, if given.
    pub opening: Option<PathBuf>,
    /// Items cleared before cashmatch (open-item columns + `cleared_date`).
    pub cleared_items: Option<PathBuf>,
    /// The state directory holding the AR history; default: the one the
    /// run's manifest names.
    pub state: Option<PathBuf>,
    /// Neither read nor record the AR history.
    pub no_history: bool,
}

/// One file of the analytics set.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReportFile {
    /// Path inside the analytics folder.
    pub name: String,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// Rows (tables), letters (0 for other files).
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// `report-manifest.json`: what the set was computed from. No clock, no
/// host, no absolute path: identical inputs give identical bytes.
#[derive(Debug, Clone, Serialize)]
pub struct ReportManifest {
    /// Format tag.
    pub format: &'static str,
    /// The run's id.
    pub run_id: String,
    /// The run's as-of date.
    pub as_of: String,
    /// SHA-256 of the run's `manifest.json`.
    pub run_manifest_sha256: String,
    /// SHA-256 of the analytics config text (empty: defaults).
    pub config_sha256: String,
    /// SHA-256 of the `--invoices` file, when given.
    pub invoices_sha256: Option<String>,
    /// Run id and as-of of the `--opening` run, when given.
    pub opening: Option<String>,
    /// SHA-256 of the `--cleared-items` file, when given.
    pub cleared_items_sha256: Option<String>,
    /// The AR history read: `run_id as of date sha256` of each earlier run.
    pub history: Vec<String>,
    /// The customer master read (its SHA-256), or why none was.
    pub customers: String,
    /// Every file written, in order, except this one.
    pub outputs: Vec<ReportFile>,
}

/// What was written, for the terminal.
#[derive(Debug)]
pub struct ReportOutcome {
    /// The analytics folder.
    pub dir: PathBuf,
    /// The set's manifest.
    pub manifest: ReportManifest,
    /// The KPIs (for the summary).
    pub kpis: Vec<Kpi>,
    /// Signals raised (not counting `not_checked` rows).
    pub signals: usize,
    /// Whether this run was added to the AR history now.
    pub history_recorded: Option<PathBuf>,
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Io(format!("cannot {what} `{}`: {e}", path.display()))
}

fn input(path: &Path, message: impl std::fmt::Display) -> CliError {
    CliError::Input(format!("`{}`: {message}", path.display()))
}

/// The optional inputs of the analytics set, read and checked before
/// anything is computed (shared by `report` and `run`).
pub struct AnalyticsInputs {
    config: AnalyticsConfig,
    config_text: Option<String>,
    templates: Templates,
    invoices: Option<(Vec<Invoice>, String)>,
    opening: Option<(Opening, String)>,
    cleared: Option<(Vec<ClearedItem>, String)>,
}

/// Reads the analytics config, `--invoices`, `--opening` and
/// `--cleared-items`: a bad file fails here, naming it, before a run or a
/// report writes anything.
pub fn load_inputs(
    config: Option<&Path>,
    invoices: Option<&Path>,
    opening: Option<&Path>,
    cleared_items: Option<&Path>,
) -> Result<AnalyticsInputs, CliError> {
    let (config, config_text, templates) = load_config(config)?;
    let invoices = match invoices {
        Some(p) => Some(read_invoices(p, &invoice_options(&config)?)?),
        None => None,
    };
    let opening = match opening {
        Some(dir) => Some(read_opening(dir)?),
        None => None,
    };
    let cleared = match cleared_items {
        Some(p) => Some(read_cleared_items(p, &cleared_options(&config)?)?),
        None => None,
    };
    Ok(AnalyticsInputs {
        config,
        config_text,
        templates,
        invoices,
        opening,
        cleared,
    })
}

/// The analytics set of one run, computed and encoded, not yet written.
struct Computed {
    files: Vec<(String, u64, Vec<u8>)>,
    manifest: ReportManifest,
    manifest_bytes: Vec<u8>,
    history: Vec<HistoryRow>,
    kpis: Vec<Kpi>,
    signals: usize,
}

/// Computes the set from a run's data, the inputs and the AR history of
/// the runs before it. `report` and `run` both come here, so the set a run
/// publishes and the one `report RUN_DIR` writes again are the same bytes.
fn compute(
    run: &PublishedRun,
    inputs: &AnalyticsInputs,
    past: &[cashmatch_store::history::HistoryRun],
) -> Result<Computed, CliError> {
    let history: Vec<PastRun> = past.iter().map(past_run).collect();
    let extras = Extras {
        invoices: inputs.invoices.as_ref().map(|(rows, _)| rows.as_slice()),
        opening: inputs.opening.as_ref().map(|(o, _)| o),
        run_id: &run.manifest.run_id,
        templates: &inputs.templates,
        history: &history,
        cleared: inputs.cleared.as_ref().map(|(rows, _)| rows.as_slice()),
        details: Some(&run.details),
    };
    let built = cashmatch_analytics::build(&run.data, &extras, &inputs.config)
        .map_err(|e| CliError::Config(e.to_string()))?;
    let files = encode(&built, run.data.as_of)?;
    let mut outputs: Vec<ReportFile> = files
        .iter()
        .map(|(name, rows, bytes)| ReportFile {
            name: name.clone(),
            sha256: sha256_hex(bytes),
            rows: *rows,
            bytes: bytes.len() as u64,
        })
        .collect();
    outputs.sort_by(|a, b| a.name.cmp(&b.name));
    let manifest = ReportManifest {
        format: "cashmatch-report/1",
        run_id: run.manifest.run_id.clone(),
        as_of: run.manifest.as_of.clone(),
        run_manifest_sha256: run.manifest_sha256.clone(),
        config_sha256: inputs
            .config_text
            .as_ref()
            .map(|t| sha256_hex(t.as_bytes()))
            .unwrap_or_default(),
        invoices_sha256: inputs.invoices.as_ref().map(|(_, sha)| sha.clone()),
        opening: inputs
            .opening
            .as_ref()
            .map(|(o, id)| format!("{id} as of {}", o.as_of)),
        cleared_items_sha256: inputs.cleared.as_ref().map(|(_, sha)| sha.clone()),
        history: past
            .iter()
            .map(|r| {
                format!(
                    "{} as of {} sha256 {}",
                    r.entry.run_id, r.entry.as_of, r.entry.sha256
                )
            })
            .collect(),
        customers: run.customers_note.clone(),
        outputs,
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| CliError::Output(format!("cannot encode {REPORT_MANIFEST}: {e}")))?;
    Ok(Computed {
        files,
        manifest,
        manifest_bytes,
        history: built.history.iter().map(history_row).collect(),
        signals: built
            .signals
            .iter()
            .filter(|s| s.severity != cashmatch_analytics::signals::NOT_CHECKED)
            .count(),
        kpis: built.kpis,
    })
}

/// Runs `cashmatch report`.
pub fn report(req: &ReportRequest) -> Result<ReportOutcome, CliError> {
    let dir = req
        .out
        .clone()
        .unwrap_or_else(|| req.run_dir.join(ANALYTICS_DIR));
    // One writer: the run directory's lock keeps a `run` from publishing
    // into it while it is read, and a second `report` from racing this
    // one's publish; a `--out` elsewhere has its parent locked too.
    let _run_lock = DirLock::acquire(&req.run_dir, "report")?;
    let (out_parent, _) = staging_names(&dir)?;
    let _out_lock = if same_dir(&out_parent, &req.run_dir) {
        None
    } else {
        Some(DirLock::acquire(&out_parent, "report")?)
    };
    // First put any interrupted earlier publish right, so even a report
    // that fails below leaves the previous set in place.
    recover(&dir)?;
    let inputs = load_inputs(
        req.config.as_deref(),
        req.invoices.as_deref(),
        req.opening.as_deref(),
        req.cleared_items.as_deref(),
    )?;
    let run = read_run(&req.run_dir)?;
    // The AR history lives in the run's state directory; its lock keeps a
    // run or another report from changing it while it is read and extended.
    let state_dir = if req.no_history {
        None
    } else {
        history_dir(req, &run.manifest)
    };
    let _state_lock = match &state_dir {
        Some(d) if !same_dir(d, &req.run_dir) => {
            fs::create_dir_all(d).map_err(|e| io("create", d, e))?;
            Some(DirLock::acquire(d, "report")?)
        }
        _ => None,
    };
    let past = match &state_dir {
        Some(d) => cashmatch_store::history::load(d, Some(run.data.as_of))?,
        None => Vec::new(),
    };
    let computed = compute(&run, &inputs, &past)?;
    publish(&dir, &computed.files, &computed.manifest_bytes)?;
    // Recorded after the set is published: a crash in between leaves the
    // run unrecorded, and the next report of it records it.
    let history_recorded = match &state_dir {
        Some(d) => record_history(d, &run.manifest.run_id, run.data.as_of, &computed.history)?,
        None => None,
    };
    Ok(ReportOutcome {
        dir,
        manifest: computed.manifest,
        signals: computed.signals,
        kpis: computed.kpis,
        history_recorded,
    })
}

/// Adds a run's events to the AR history in `state_dir` (the caller holds
/// its lock), unless the run is there already; returns the history folder
/// when it recorded.
fn record_history(
    state_dir: &Path,
    run_id: &str,
    as_of: NaiveDate,
    rows: &[HistoryRow],
) -> Result<Option<PathBuf>, CliError> {
    Ok(
        if cashmatch_store::history::record(state_dir, run_id, as_of, rows)? {
            Some(state_dir.join(cashmatch_store::history::HISTORY_DIR))
        } else {
            None
        },
    )
}

/// The analytics set staged inside a run's publish, and what the run does
/// with it after its commit.
pub struct StagedAnalytics {
    /// The set's manifest (for the summary).
    pub manifest: ReportManifest,
    /// Signals raised (not counting `not_checked` rows).
    pub signals: usize,
    history: Vec<HistoryRow>,
    as_of: NaiveDate,
}

/// `run` without `--no-analytics`: computes the analytics set from the
/// tables just staged in `staging` (read back from the staged bytes and
/// checked against `manifest`, exactly as `report RUN_DIR` reads them from
/// the published run) and writes it into `staging/analytics/`, so the
/// run's commit publishes the tables and the set together: a crash leaves
/// the old run with its old set or the new run with its new set. The
/// set's own `report-manifest.json` lists it (the run's `manifest.json`
/// does not, so `verify` and `replay` see the run's outputs only).
/// `run_dir` resolves the input paths the manifest records; `state_dir`
/// (locked by the run) holds the AR history read.
pub fn stage_in_run(
    staging: &Path,
    run_dir: &Path,
    manifest: &Manifest,
    manifest_json: &[u8],
    inputs: &AnalyticsInputs,
    state_dir: Option<&Path>,
) -> Result<StagedAnalytics, CliError> {
    let run = read_run_from(
        staging,
        run_dir,
        manifest.clone(),
        sha256_hex(manifest_json),
    )?;
    let past = match state_dir {
        Some(d) => cashmatch_store::history::load(d, Some(run.data.as_of))?,
        None => Vec::new(),
    };
    let computed = compute(&run, inputs, &past)?;
    let dir = staging.join(ANALYTICS_DIR);
    write_set(&dir, &computed.files, &computed.manifest_bytes)?;
    Ok(StagedAnalytics {
        manifest: computed.manifest,
        signals: computed.signals,
        history: computed.history,
        as_of: run.data.as_of,
    })
}

/// After the run's commit: its events join the AR history of `state_dir`
/// (as `report` does after its publish; a crash in between leaves the run
/// unrecorded, and `cashmatch report RUN_DIR` records it).
pub fn record_staged(staged: &StagedAnalytics, state_dir: &Path) -> Result<(), CliError> {
    record_history(
        state_dir,
        &staged.manifest.run_id,
        staged.as_of,
        &staged.history,
    )
    .map(|_| ())
}

/// The state directory of the AR history: `--state`, else the one the
/// run's manifest names (relative to the run directory), else none.
fn history_dir(req: &ReportRequest, manifest: &Manifest) -> Option<PathBuf> {
    if let Some(d) = &req.state {
        return Some(d.clone());
    }
    let recorded = manifest.state.as_ref()?;
    let p = Path::new(recorded);
    Some(if p.is_absolute() {
        p.to_path_buf()
    } else {
        req.run_dir.join(p)
    })
}

fn past_run(r: &cashmatch_store::history::HistoryRun) -> PastRun {
    PastRun {
        run_id: r.entry.run_id.clone(),
        as_of: r.as_of,
        events: r
            .rows
            .iter()
            .map(|x| Event {
                kind: x.kind.clone(),
                customer_id: x.customer_id.clone(),
                currency: x.currency.clone(),
                invoice_id: x.invoice_id.clone(),
                transaction_id: x.transaction_id.clone(),
                code: x.code.clone(),
                amount: x.amount,
                value: x.value,
                level: x.level,
                date: x.date,
                invoice_date: x.invoice_date,
                due_date: x.due_date,
            })
            .collect(),
    }
}

fn history_row(x: &Event) -> HistoryRow {
    HistoryRow {
        kind: x.kind.clone(),
        customer_id: x.customer_id.clone(),
        currency: x.currency.clone(),
        invoice_id: x.invoice_id.clone(),
        transaction_id: x.transaction_id.clone(),
        code: x.code.clone(),
        amount: x.amount,
        value: x.value,
        level: x.level,
        date: x.date,
        invoice_date: x.invoice_date,
        due_date: x.due_date,
    }
}

/// The lines `cashmatch report` prints.
pub fn summary(outcome: &ReportOutcome) -> String {
    let mut s = format!(
        "analytics of run {} as of {} in {}\n",
        outcome.manifest.run_id,
        outcome.manifest.as_of,
        outcome.dir.display()
    );
    for k in &outcome.kpis {
        let value = match (&k.value, &k.note) {
            (Some(v), _) => format!("{v} {}", k.unit.as_str()),
            (None, Some(n)) => format!("null ({n})"),
            (None, None) => "null".to_string(),
        };
        s.push_str(&format!("  {} {:<24} {value}\n", k.currency, k.metric));
    }
    s.push_str(&format!(
        "  signals raised: {}; AR history: {} earlier run(s) read{}\n",
        outcome.signals,
        outcome.manifest.history.len(),
        match &outcome.history_recorded {
            Some(d) => format!(", this run recorded in {}", d.display()),
            None => String::new(),
        }
    ));
    for f in &outcome.manifest.outputs {
        if !f.name.starts_with(LETTERS_DIR) {
            let rows = if f.name.ends_with(".parquet") {
                format!(" ({} rows)", f.rows)
            } else {
                String::new()
            };
            s.push_str(&format!(
                "wrote {}{rows}\n",
                outcome.dir.join(&f.name).display()
            ));
        }
    }
    let letters = outcome
        .manifest
        .outputs
        .iter()
        .filter(|f| f.name.starts_with(LETTERS_DIR))
        .count();
    s.push_str(&format!(
        "wrote {letters} letter(s) to {}\n",
        outcome.dir.join(LETTERS_DIR).display()
    ));
    s
}

type Templates = Vec<(u32, String)>;

fn load_config(
    path: Option<&Path>,
) -> Result<(AnalyticsConfig, Option<String>, Templates), CliError> {
    let Some(path) = path else {
        return Ok((AnalyticsConfig::default(), None, Vec::new()));
    };
    let text = fs::read_to_string(path)
        .map_err(|e| CliError::Config(format!("cannot read config `{}`: {e}", path.display())))?;
    let config = AnalyticsConfig::from_toml(&text)
        .map_err(|e| CliError::Config(format!("`{}`: {e}", path.display())))?;
    // Checked now, not when `--invoices` is read: a typo fails every run.
    invoice_options(&config)?;
    cleared_options(&config)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut templates = Vec::new();
    for level in &config.dunning.levels {
        if let Some(t) = &level.template {
            let file = base.join(t);
            let source = fs::read_to_string(&file).map_err(|e| {
                CliError::Config(format!(
                    "`{}`: dunning level {} template `{}`: {e}",
                    path.display(),
                    level.level,
                    file.display()
                ))
            })?;
            templates.push((level.level, source));
        }
    }
    Ok((config, Some(text), templates))
}

struct PublishedRun {
    manifest: Manifest,
    manifest_sha256: String,
    data: RunData,
    details: RunDetails,
    customers_note: String,
}

/// Tables the report reads from a run directory.
const RUN_TABLES: [&str; 5] = [
    "open_items.parquet",
    "applications.parquet",
    "transactions.parquet",
    "exceptions.parquet",
    "aging.parquet",
];

fn read_manifest(dir: &Path) -> Result<(Manifest, String), CliError> {
    let has_commit = fs::read_dir(dir)
        .map_err(|e| io("read run directory", dir, e))?
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().starts_with(".commit-"));
    if has_commit {
        return Err(input(
            dir,
            "a publish is in progress (a `.commit-*` folder); run `cashmatch verify` on it first",
        ));
    }
    let path = dir.join(MANIFEST_NAME);
    let bytes =
        fs::read(&path).map_err(|e| input(&path, format!("not a published run directory: {e}")))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| input(&path, format!("not a cashmatch manifest: {e}")))?;
    Ok((manifest, sha256_hex(&bytes)))
}

/// Reads a table and checks its bytes against the manifest.
fn read_table(dir: &Path, manifest: &Manifest, name: &str) -> Result<Vec<RecordBatch>, CliError> {
    let path = dir.join(name);
    let bytes = fs::read(&path).map_err(|e| input(&path, format!("cannot read: {e}")))?;
    let recorded = manifest
        .outputs
        .iter()
        .find(|o| o.name == name)
        .ok_or_else(|| input(&path, "is not listed in manifest.json"))?;
    let sha = sha256_hex(&bytes);
    if sha != recorded.sha256 {
        return Err(CliError::Mismatch(format!(
            "`{}` does not match manifest.json (sha256 {sha}, recorded {}): the run directory changed or was edited; run `cashmatch verify` on it",
            path.display(),
            recorded.sha256
        )));
    }
    read_parquet(bytes).map_err(|e| input(&path, e))
}

fn read_run(dir: &Path) -> Result<PublishedRun, CliError> {
    let (manifest, manifest_sha256) = read_manifest(dir)?;
    read_run_from(dir, dir, manifest, manifest_sha256)
}

/// A run's tables from `dir` (the run directory, or a run's staging folder
/// before its commit), checked against `manifest`; input paths the
/// manifest records are relative to `run_dir`.
fn read_run_from(
    dir: &Path,
    run_dir: &Path,
    manifest: Manifest,
    manifest_sha256: String,
) -> Result<PublishedRun, CliError> {
    let as_of = parse_date(&manifest.as_of).ok_or_else(|| {
        input(
            &run_dir.join(MANIFEST_NAME),
            format!("as_of `{}` is not a date", manifest.as_of),
        )
    })?;
    let mut tables = BTreeMap::new();
    for name in RUN_TABLES {
        tables.insert(name, read_table(dir, &manifest, name)?);
    }
    let bad = |name: &str| {
        let path = dir.join(name);
        move |e: String| input(&path, e)
    };
    let t = |name: &str| tables.get(name).map(Vec::as_slice).unwrap_or_default();
    let data = RunData {
        as_of,
        open_items: open_items(t("open_items.parquet")).map_err(bad("open_items.parquet"))?,
        applications: applications(t("applications.parquet"))
            .map_err(bad("applications.parquet"))?,
        transactions: transactions(t("transactions.parquet"))
            .map_err(bad("transactions.parquet"))?,
        exceptions: exceptions(t("exceptions.parquet")).map_err(bad("exceptions.parquet"))?,
        aging: aging(t("aging.parquet")).map_err(bad("aging.parquet"))?,
    };
    let (customers, customers_note) = read_master(run_dir, &manifest);
    let details = RunDetails {
        transactions: transaction_details(t("transactions.parquet")).ok(),
        terms: item_terms(t("open_items.parquet")).ok(),
        customers,
    };
    Ok(PublishedRun {
        manifest,
        manifest_sha256,
        data,
        details,
        customers_note,
    })
}

/// The customer master the run read, when it is still at its recorded path
/// with its recorded bytes and reads with the default extract settings;
/// otherwise `None` and why (the signals that need it say `not_checked`).
fn read_master(dir: &Path, manifest: &Manifest) -> (Option<Vec<MasterCustomer>>, String) {
    let Some(input) = manifest
        .inputs
        .iter()
        .find(|i| i.role == cashmatch_store::manifest::InputRole::Customers)
    else {
        return (None, "none: the run read no customer master".into());
    };
    let Some(rel) = &input.path else {
        return (None, "none: the manifest records no path for it".into());
    };
    let path = if Path::new(rel).is_absolute() {
        PathBuf::from(rel)
    } else {
        dir.join(rel)
    };
    let options = ExtractOptions::default();
    let bytes = match cashmatch_parsers::extracts::read_extract(&path, &options) {
        Ok(b) => b,
        Err(e) => return (None, format!("none: {e}")),
    };
    let sha = sha256_hex(&bytes);
    if sha != input.sha256 {
        return (
            None,
            format!(
                "none: `{}` changed since the run read it (sha256 {sha}, recorded {})",
                path.display(),
                input.sha256
            ),
        );
    }
    match cashmatch_parsers::extracts::read_customers_from_bytes(
        &path.display().to_string(),
        &bytes,
        &options,
    ) {
        Ok(rows) => (
            Some(
                rows.into_iter()
                    .map(|r| MasterCustomer {
                        customer_id: r.customer_id,
                        bank_accounts: r.bank_accounts,
                    })
                    .collect(),
            ),
            format!("{} sha256 {sha}", input.name),
        ),
        Err(e) => (None, format!("none: {e}")),
    }
}

fn transaction_details(b: &[RecordBatch]) -> Result<Vec<TransactionDetail>, String> {
    let id = text_column(b, "transaction_id")?;
    let account = text_column(b, "counterparty_account")?;
    let name = text_column(b, "counterparty_name")?;
    let remittance = text_column(b, "remittance_info")?;
    // Optional: a run without the column still has remittance text.
    let refs = text_column(b, "structured_refs").unwrap_or_else(|_| vec![String::new(); id.len()]);
    Ok((0..id.len())
        .map(|i| TransactionDetail {
            transaction_id: id[i].clone(),
            counterparty_account: account[i].clone(),
            counterparty_name: name[i].clone(),
            remittance_info: remittance[i].clone(),
            structured_refs: refs[i]
                .split(';')
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
        })
        .collect())
}

fn item_terms(b: &[RecordBatch]) -> Result<Vec<ItemTerms>, String> {
    let id = text_column(b, "invoice_id")?;
    let mut percent = Vec::new();
    for batch in b {
        let a: &Decimal128Array = typed(batch, "discount_percent")?;
        let scale = u32::try_from(a.scale()).map_err(|_| "bad scale".to_string())?;
        for i in 0..a.len() {
            percent.push(if a.is_null(i) {
                None
            } else {
                Decimal::try_from_i128_with_scale(a.value(i), scale).ok()
            });
        }
    }
    let mut days = Vec::new();
    for batch in b {
        let a: &UInt32Array = typed(batch, "discount_days")?;
        days.extend((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i))));
    }
    Ok((0..id.len())
        .map(|i| ItemTerms {
            invoice_id: id[i].clone(),
            discount_percent: percent[i],
            discount_days: days[i],
        })
        .collect())
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn typed<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T, String> {
    let i = batch
        .schema()
        .index_of(name)
        .map_err(|_| format!("column `{name}` is missing"))?;
    batch
        .column(i)
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| format!("column `{name}` has an unexpected type"))
}

fn text_opt_column(batches: &[RecordBatch], name: &str) -> Result<Vec<Option<String>>, String> {
    let mut out = Vec::new();
    for b in batches {
        let a: &StringArray = typed(b, name)?;
        out.extend((0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i).to_string())));
    }
    Ok(out)
}

fn date_column(batches: &[RecordBatch], name: &str) -> Result<Vec<Option<NaiveDate>>, String> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or("no epoch")?;
    let mut out = Vec::new();
    for b in batches {
        let a: &Date32Array = typed(b, name)?;
        out.extend((0..a.len()).map(|i| {
            (!a.is_null(i)).then(|| epoch + chrono::Duration::days(i64::from(a.value(i))))
        }));
    }
    Ok(out)
}

fn u64_column(batches: &[RecordBatch], name: &str) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for b in batches {
        let a: &UInt64Array = typed(b, name)?;
        out.extend(a.values().iter().copied());
    }
    Ok(out)
}

/// A money column whose nulls stay nulls would need care; the run's money
/// columns read here are all non-null, which this checks.
fn money_strict(batches: &[RecordBatch], name: &str) -> Result<Vec<Decimal>, String> {
    for b in batches {
        let a: &Decimal128Array = typed(b, name)?;
        if a.null_count() > 0 {
            return Err(format!("column `{name}` has nulls"));
        }
    }
    money_column(batches, name)
}

fn open_items(b: &[RecordBatch]) -> Result<Vec<OpenItem>, String> {
    let ids = text_column(b, "invoice_id")?;
    let customers = text_column(b, "customer_id")?;
    let names = text_column(b, "customer_name")?;
    let currencies = text_column(b, "currency")?;
    let open = money_strict(b, "amount_open")?;
    let original = money_strict(b, "amount_original")?;
    let invoice_dates = date_column(b, "invoice_date")?;
    let due_dates = date_column(b, "due_date")?;
    let after = money_strict(b, "amount_open_after")?;
    let status = text_column(b, "status")?;
    let hold = text_opt_column(b, "hold_reason")?;
    Ok((0..ids.len())
        .map(|i| OpenItem {
            invoice_id: ids[i].clone(),
            customer_id: customers[i].clone(),
            customer_name: names[i].clone(),
            currency: currencies[i].clone(),
            amount_open: open[i],
            amount_original: original[i],
            invoice_date: invoice_dates[i],
            due_date: due_dates[i],
            amount_open_after: after[i],
            status: status[i].clone(),
            hold_reason: hold[i].clone(),
        })
        .collect())
}

fn applications(b: &[RecordBatch]) -> Result<Vec<Application>, String> {
    let txn = text_column(b, "transaction_id")?;
    let inv = text_column(b, "invoice_id")?;
    let cust = text_column(b, "customer_id")?;
    let cur = text_column(b, "currency")?;
    let applied = money_strict(b, "applied_amount")?;
    let discount = money_strict(b, "discount_amount")?;
    let writeoff = money_strict(b, "writeoff_amount")?;
    let deduction = money_strict(b, "deduction_amount")?;
    let reason = text_opt_column(b, "deduction_reason")?;
    let rule = text_column(b, "rule")?;
    Ok((0..txn.len())
        .map(|i| Application {
            transaction_id: txn[i].clone(),
            invoice_id: inv[i].clone(),
            customer_id: cust[i].clone(),
            currency: cur[i].clone(),
            applied_amount: applied[i],
            discount_amount: discount[i],
            writeoff_amount: writeoff[i],
            deduction_amount: deduction[i],
            deduction_reason: reason[i].clone(),
            rule: rule[i].clone(),
        })
        .collect())
}

fn transactions(b: &[RecordBatch]) -> Result<Vec<Transaction>, String> {
    let id = text_column(b, "transaction_id")?;
    let cur = text_column(b, "currency")?;
    let amount = money_strict(b, "amount")?;
    let booking = date_column(b, "booking_date")?;
    let value = date_column(b, "value_date")?;
    Ok((0..id.len())
        .map(|i| Transaction {
            transaction_id: id[i].clone(),
            currency: cur[i].clone(),
            amount: amount[i],
            booking_date: booking[i],
            value_date: value[i],
        })
        .collect())
}

fn exceptions(b: &[RecordBatch]) -> Result<Vec<ExceptionRow>, String> {
    let id = text_column(b, "transaction_id")?;
    let amount = money_strict(b, "amount")?;
    let cur = text_column(b, "currency")?;
    let reason = text_column(b, "reason")?;
    Ok((0..id.len())
        .map(|i| ExceptionRow {
            transaction_id: id[i].clone(),
            amount: amount[i],
            currency: cur[i].clone(),
            reason: reason[i].clone(),
        })
        .collect())
}

fn aging(b: &[RecordBatch]) -> Result<Vec<AgingRow>, String> {
    let cust = text_column(b, "customer_id")?;
    let cur = text_column(b, "currency")?;
    let bucket = text_column(b, "bucket")?;
    let amount = money_strict(b, "amount")?;
    let items = u64_column(b, "items")?;
    Ok((0..cust.len())
        .map(|i| AgingRow {
            customer_id: cust[i].clone(),
            currency: cur[i].clone(),
            bucket: bucket[i].clone(),
            amount: amount[i],
            items: items[i],
        })
        .collect())
}

/// The canonical `--invoices` columns.
pub const INVOICE_COLUMNS: [&str; 6] = [
    "invoice_id",
    "customer_id",
    "currency",
    "amount",
    "invoice_date",
    "due_date",
];

/// The extract reader's options for `--invoices` from `[invoices]`: the
/// open-item reader's keys, with `amount` standing for both open-item
/// amounts and `customer_id` for the name the file does not carry.
pub fn invoice_options(config: &AnalyticsConfig) -> Result<ExtractOptions, CliError> {
    let bad = |e: String| CliError::Config(format!("analytics config: `invoices`: {e}"));
    let mut options: ExtractOptions = match &config.invoices {
        Some(table) => toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| bad(e.to_string()))?,
        None => ExtractOptions::default(),
    };
    if let Some(key) = options
        .columns
        .keys()
        .find(|k| !INVOICE_COLUMNS.contains(&k.as_str()))
    {
        return Err(bad(format!(
            "unknown column `{key}` in `invoices.columns` (expected one of {})",
            INVOICE_COLUMNS.join(", ")
        )));
    }
    let source = |c: &str| {
        options
            .columns
            .get(c)
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    let (amount, customer) = (source("amount"), source("customer_id"));
    options.columns.remove("amount");
    options.columns.insert("amount_open".into(), amount.clone());
    options.columns.insert("amount_original".into(), amount);
    options.columns.insert("customer_name".into(), customer);
    Ok(options)
}

/// `--invoices`: CSV or Parquet with `invoice_id, customer_id, currency,
/// amount, invoice_date, due_date`, read by the open-item extract reader
/// (same strict amounts, dates and currency checks) with `amount` standing
/// for both amounts and `customer_id` for the name it does not carry.
fn read_invoices(
    path: &Path,
    options: &ExtractOptions,
) -> Result<(Vec<Invoice>, String), CliError> {
    // Regular files only, bounded by the extract's `file_bytes_max`.
    let bytes = cashmatch_parsers::extracts::read_extract(path, options)
        .map_err(|e| CliError::Input(format!("--invoices: {e}")))?;
    let rows = cashmatch_parsers::extracts::read_open_items_from_bytes(
        &path.display().to_string(),
        &bytes,
        options,
    )
    .map_err(|e| CliError::Input(format!("--invoices: {e}")))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        // Credit sales feed DSO and CEI: a row the reader could only keep
        // with a mark (excess scale, unknown currency) would skew them, so
        // it is an error naming the row, not a silently dropped sale.
        if let Some(issue) = &r.issue {
            let detail = match issue {
                cashmatch_parsers::RowIssue::InvalidScale { column, detail } => {
                    format!("column `{column}`: {detail}")
                }
                cashmatch_parsers::RowIssue::UnknownCurrency { detail } => detail.clone(),
            };
            return Err(input(path, format!("data row {}: {detail}", r.row)));
        }
        let invoice_date = r.invoice_date.ok_or_else(|| {
            input(
                path,
                format!(
                    "data row {}: `invoice_date` is empty; credit sales need their issue date",
                    r.row
                ),
            )
        })?;
        out.push(Invoice {
            invoice_id: r.invoice_id,
            customer_id: r.customer_id,
            currency: r.currency,
            amount: r.amount_original,
            invoice_date,
            due_date: r.due_date,
        });
    }
    Ok((out, sha256_hex(&bytes)))
}

/// The canonical `--cleared-items` columns: the open-item columns plus
/// `cleared_date`.
pub const CLEARED_DATE_COLUMN: &str = "cleared_date";

/// The extract reader's options for `--cleared-items` from
/// `[cleared_items]` (the open-item reader's keys; `[cleared_items.columns]`
/// maps the open-item columns and `cleared_date`).
pub fn cleared_options(config: &AnalyticsConfig) -> Result<ExtractOptions, CliError> {
    let bad = |e: String| CliError::Config(format!("analytics config: `cleared_items`: {e}"));
    let options: ExtractOptions = match &config.cleared_items {
        Some(table) => toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| bad(e.to_string()))?,
        None => ExtractOptions::default(),
    };
    if let Some(key) = options.columns.keys().find(|k| {
        k.as_str() != CLEARED_DATE_COLUMN
            && !cashmatch_parsers::extracts::OPEN_ITEM_COLUMNS.contains(&k.as_str())
    }) {
        return Err(bad(format!(
            "unknown column `{key}` in `cleared_items.columns` (expected an open-item column or `{CLEARED_DATE_COLUMN}`)"
        )));
    }
    Ok(options)
}

/// `--cleared-items`: read twice by the open-item extract reader (same
/// strict amounts, dates and currency checks), the second time with
/// `invoice_date` read from the `cleared_date` column, so both dates parse
/// with the same settings. Every row needs a cleared date.
pub fn read_cleared_items(
    path: &Path,
    options: &ExtractOptions,
) -> Result<(Vec<ClearedItem>, String), CliError> {
    let mut items_options = options.clone();
    let cleared_source = items_options
        .columns
        .remove(CLEARED_DATE_COLUMN)
        .unwrap_or_else(|| CLEARED_DATE_COLUMN.to_string());
    let mut dates_options = items_options.clone();
    dates_options
        .columns
        .insert("invoice_date".into(), cleared_source.clone());
    let bytes = cashmatch_parsers::extracts::read_extract(path, &items_options)
        .map_err(|e| CliError::Input(format!("--cleared-items: {e}")))?;
    let name = path.display().to_string();
    let rows =
        cashmatch_parsers::extracts::read_open_items_from_bytes(&name, &bytes, &items_options)
            .map_err(|e| CliError::Input(format!("--cleared-items: {e}")))?;
    let dates =
        cashmatch_parsers::extracts::read_open_items_from_bytes(&name, &bytes, &dates_options)
            .map_err(|e| {
                CliError::Input(format!("--cleared-items: column `{cleared_source}`: {e}"))
            })?;
    if dates.len() != rows.len() {
        return Err(input(
            path,
            "the cleared dates do not line up with the rows",
        ));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (r, d) in rows.into_iter().zip(dates) {
        if let Some(issue) = &r.issue {
            let detail = match issue {
                cashmatch_parsers::RowIssue::InvalidScale { column, detail } => {
                    format!("column `{column}`: {detail}")
                }
                cashmatch_parsers::RowIssue::UnknownCurrency { detail } => detail.clone(),
            };
            return Err(input(path, format!("data row {}: {detail}", r.row)));
        }
        let cleared_date = d.invoice_date.ok_or_else(|| {
            input(
                path,
                format!("data row {}: `{cleared_source}` is empty; a cleared item needs the day it was cleared", r.row),
            )
        })?;
        out.push(ClearedItem {
            invoice_id: r.invoice_id,
            customer_id: r.customer_id,
            currency: r.currency,
            amount: r.amount_original,
            invoice_date: r.invoice_date,
            due_date: r.due_date,
            cleared_date,
        });
    }
    Ok((out, sha256_hex(&bytes)))
}

/// `--opening RUN_DIR`: that run's receivables (Σ `amount_open_after` per
/// currency) and as-of date.
fn read_opening(dir: &Path) -> Result<(Opening, String), CliError> {
    let (manifest, _) = read_manifest(dir)?;
    let as_of = parse_date(&manifest.as_of).ok_or_else(|| {
        input(
            &dir.join(MANIFEST_NAME),
            format!("as_of `{}` is not a date", manifest.as_of),
        )
    })?;
    let batches = read_table(dir, &manifest, "open_items.parquet")?;
    let items = open_items(&batches).map_err(|e| input(&dir.join("open_items.parquet"), e))?;
    let mut by_currency: BTreeMap<String, Decimal> = BTreeMap::new();
    for i in items {
        *by_currency.entry(i.currency).or_default() += i.amount_open_after;
    }
    Ok((
        Opening {
            as_of,
            receivables: by_currency.into_iter().collect(),
        },
        manifest.run_id,
    ))
}

fn scale(e: crate::output::table::ScaleError) -> CliError {
    CliError::Output(e.to_string())
}

fn encode_table(name: &str, table: Table) -> Result<Vec<u8>, CliError> {
    table
        .to_parquet()
        .map_err(|e| CliError::Output(format!("cannot encode `{name}`: {e}")))
}

fn int64_opt(tb: &mut Table, name: &str, values: impl Iterator<Item = Option<i64>>) {
    let array: Int64Array = values.collect();
    tb.raw(name, DataType::Int64, true, Arc::new(array));
}

fn u32_opt(tb: &mut Table, name: &str, values: impl Iterator<Item = Option<u32>>) {
    let array: UInt32Array = values.collect();
    tb.raw(name, DataType::UInt32, true, Arc::new(array));
}

/// Every file of the set as (name, rows, bytes), tables first.
fn encode(r: &Report, as_of: NaiveDate) -> Result<Vec<(String, u64, Vec<u8>)>, CliError> {
    let mut files = vec![
        (
            "kpis.parquet".to_string(),
            r.kpis.len() as u64,
            encode_table("kpis.parquet", kpis(&r.kpis, as_of)?)?,
        ),
        (
            "dunning.parquet".to_string(),
            r.dunning.items.len() as u64,
            encode_table("dunning.parquet", dunning(&r.dunning, as_of)?)?,
        ),
        (
            "dunning_letters.parquet".to_string(),
            r.dunning.letters.len() as u64,
            encode_table("dunning_letters.parquet", letters(&r.dunning, as_of)?)?,
        ),
        (
            "disputes.parquet".to_string(),
            r.disputes.len() as u64,
            encode_table("disputes.parquet", disputes(r, as_of)?)?,
        ),
        (
            "customer_behaviour.parquet".to_string(),
            r.behaviour.len() as u64,
            encode_table("customer_behaviour.parquet", behaviour(r, as_of)?)?,
        ),
        (
            "forecast.parquet".to_string(),
            r.forecast.len() as u64,
            encode_table("forecast.parquet", forecast(r, as_of)?)?,
        ),
        (
            "forecast_items.parquet".to_string(),
            r.forecast_items.len() as u64,
            encode_table("forecast_items.parquet", forecast_items(r, as_of)?)?,
        ),
        (
            "signals.parquet".to_string(),
            r.signals.len() as u64,
            encode_table("signals.parquet", signals(&r.signals, as_of)?)?,
        ),
        ("report.html".to_string(), 0, r.html.clone().into_bytes()),
    ];
    for (name, text) in &r.letters {
        files.push((
            format!("{LETTERS_DIR}/{name}"),
            1,
            text.clone().into_bytes(),
        ));
    }
    Ok(files)
}

fn kpis(k: &[Kpi], as_of: NaiveDate) -> Result<Table, CliError> {
    let mut tb = Table::new();
    tb.date("as_of", k.iter().map(|_| as_of));
    tb.text("currency", k.iter().map(|x| x.currency.as_str()));
    tb.text("metric", k.iter().map(|x| x.metric));
    tb.money_opt("value", k.iter().map(|x| x.value))
        .map_err(scale)?;
    tb.text("unit", k.iter().map(|x| x.unit.as_str()));
    tb.text("formula", k.iter().map(|x| x.formula));
    tb.text("inputs", k.iter().map(|x| x.inputs.as_str()));
    tb.text_opt("note", k.iter().map(|x| x.note.as_deref()));
    Ok(tb)
}

fn dunning(d: &DunningOutcome, as_of: NaiveDate) -> Result<Table, CliError> {
    let i = &d.items;
    let mut tb = Table::new();
    tb.date("as_of", i.iter().map(|_| as_of));
    tb.text("customer_id", i.iter().map(|x| x.customer_id.as_str()));
    tb.text("customer_name", i.iter().map(|x| x.customer_name.as_str()));
    tb.text("currency", i.iter().map(|x| x.currency.as_str()));
    tb.text("invoice_id", i.iter().map(|x| x.invoice_id.as_str()));
    tb.date_opt("due_date", i.iter().map(|x| x.due_date));
    int64_opt(
        &mut tb,
        "days_past_due",
        i.iter().map(|x| Some(x.days_past_due)),
    );
    tb.money("amount_overdue", i.iter().map(|x| x.amount_overdue))
        .map_err(scale)?;
    u32_opt(&mut tb, "level_by_days", i.iter().map(|x| x.level_by_days));
    u32_opt(&mut tb, "level", i.iter().map(|x| x.level));
    tb.text("status", i.iter().map(|x| x.status));
    tb.text_opt(
        "exclusion_reason",
        i.iter().map(|x| x.exclusion_reason.as_deref()),
    );
    int64_opt(
        &mut tb,
        "interest_days",
        i.iter().map(|x| Some(x.interest_days)),
    );
    tb.money("interest_amount", i.iter().map(|x| x.interest_amount))
        .map_err(scale)?;
    tb.date_opt("next_level_on", i.iter().map(|x| x.next_level_on));
    tb.text_opt("letter", i.iter().map(|x| x.letter.as_deref()));
    u32_opt(
        &mut tb,
        "previous_level",
        i.iter().map(|x| x.previous_level),
    );
    tb.date_opt("last_letter_on", i.iter().map(|x| x.last_letter_on));
    int64_opt(
        &mut tb,
        "days_since_last_letter",
        i.iter().map(|x| x.days_since_last_letter),
    );
    Ok(tb)
}

fn letters(d: &DunningOutcome, as_of: NaiveDate) -> Result<Table, CliError> {
    let l = &d.letters;
    let mut tb = Table::new();
    tb.date("as_of", l.iter().map(|_| as_of));
    tb.text("customer_id", l.iter().map(|x| x.customer_id.as_str()));
    tb.text("customer_name", l.iter().map(|x| x.customer_name.as_str()));
    tb.text("currency", l.iter().map(|x| x.currency.as_str()));
    tb.u32("level", l.iter().map(|x| x.level));
    tb.u64("items", l.iter().map(|x| x.items));
    tb.money("amount_overdue", l.iter().map(|x| x.amount_overdue))
        .map_err(scale)?;
    tb.money("interest", l.iter().map(|x| x.interest))
        .map_err(scale)?;
    tb.money("fee", l.iter().map(|x| x.fee)).map_err(scale)?;
    tb.money("total_due", l.iter().map(|x| x.total_due))
        .map_err(scale)?;
    tb.date_opt("next_level_on", l.iter().map(|x| x.next_level_on));
    tb.text("letter", l.iter().map(|x| x.file_name.as_str()));
    u32_opt(
        &mut tb,
        "previous_level",
        l.iter().map(|x| x.previous_level),
    );
    Ok(tb)
}

fn disputes(r: &Report, as_of: NaiveDate) -> Result<Table, CliError> {
    let d = &r.disputes;
    let mut tb = Table::new();
    tb.date("as_of", d.iter().map(|_| as_of));
    tb.text("dispute_id", d.iter().map(|x| x.dispute_id.as_str()));
    tb.text("customer_id", d.iter().map(|x| x.customer_id.as_str()));
    tb.text("customer_name", d.iter().map(|x| x.customer_name.as_str()));
    tb.text("invoice_id", d.iter().map(|x| x.invoice_id.as_str()));
    tb.text(
        "transaction_id",
        d.iter().map(|x| x.transaction_id.as_str()),
    );
    tb.text("currency", d.iter().map(|x| x.currency.as_str()));
    tb.text("reason_code", d.iter().map(|x| x.reason_code.as_str()));
    tb.money("amount", d.iter().map(|x| x.amount))
        .map_err(scale)?;
    tb.date_opt("opened_on", d.iter().map(|x| x.opened_on));
    int64_opt(&mut tb, "age_days", d.iter().map(|x| x.age_days));
    tb.text("status", d.iter().map(|x| x.status));
    tb.text_opt("resolution", d.iter().map(|x| x.resolution));
    tb.date_opt("resolved_on", d.iter().map(|x| x.resolved_on));
    int64_opt(
        &mut tb,
        "days_to_resolve",
        d.iter().map(|x| x.days_to_resolve),
    );
    Ok(tb)
}

fn signals(s: &[Signal], as_of: NaiveDate) -> Result<Table, CliError> {
    let mut tb = Table::new();
    tb.date("as_of", s.iter().map(|_| as_of));
    tb.text("code", s.iter().map(|x| x.code));
    tb.text("severity", s.iter().map(|x| x.severity));
    tb.text_opt("customer_id", s.iter().map(|x| x.customer_id.as_deref()));
    tb.text_opt("currency", s.iter().map(|x| x.currency.as_deref()));
    tb.text_opt(
        "transaction_id",
        s.iter().map(|x| x.transaction_id.as_deref()),
    );
    tb.text_opt("invoice_id", s.iter().map(|x| x.invoice_id.as_deref()));
    tb.money_opt("amount", s.iter().map(|x| x.amount))
        .map_err(scale)?;
    tb.text("evidence", s.iter().map(|x| x.evidence.as_str()));
    Ok(tb)
}

fn bools(tb: &mut Table, name: &str, values: impl Iterator<Item = bool>) {
    let array: arrow_array::BooleanArray = values.map(Some).collect();
    tb.raw(name, DataType::Boolean, false, Arc::new(array));
}

fn behaviour(r: &Report, as_of: NaiveDate) -> Result<Table, CliError> {
    let b = &r.behaviour;
    let mut tb = Table::new();
    tb.date("as_of", b.iter().map(|_| as_of));
    tb.text("customer_id", b.iter().map(|x| x.customer_id.as_str()));
    tb.text("customer_name", b.iter().map(|x| x.customer_name.as_str()));
    tb.text("currency", b.iter().map(|x| x.currency.as_str()));
    tb.u64("payments", b.iter().map(|x| x.payments));
    tb.money_opt(
        "weighted_days_to_pay",
        b.iter().map(|x| x.weighted_days_to_pay),
    )
    .map_err(scale)?;
    tb.money_opt("weighted_days_late", b.iter().map(|x| x.weighted_days_late))
        .map_err(scale)?;
    tb.money_opt(
        "percent_paid_on_time",
        b.iter().map(|x| x.percent_paid_on_time),
    )
    .map_err(scale)?;
    tb.money_opt(
        "dispute_rate_percent",
        b.iter().map(|x| x.dispute_rate_percent),
    )
    .map_err(scale)?;
    tb.money("exposure_open", b.iter().map(|x| x.exposure_open))
        .map_err(scale)?;
    tb.money("exposure_overdue", b.iter().map(|x| x.exposure_overdue))
        .map_err(scale)?;
    tb.text("segment", b.iter().map(|x| x.segment.as_str()));
    bools(&mut tb, "late_payer", b.iter().map(|x| x.late_payer));
    tb.money_opt("days_late_last_90", b.iter().map(|x| x.days_late_last_90))
        .map_err(scale)?;
    tb.money_opt("days_late_prior_90", b.iter().map(|x| x.days_late_prior_90))
        .map_err(scale)?;
    tb.money_opt("trend_days", b.iter().map(|x| x.trend_days))
        .map_err(scale)?;
    Ok(tb)
}

fn forecast(r: &Report, as_of: NaiveDate) -> Result<Table, CliError> {
    let w = &r.forecast;
    let mut tb = Table::new();
    tb.date("as_of", w.iter().map(|_| as_of));
    tb.text("currency", w.iter().map(|x| x.currency.as_str()));
    tb.u32("week", w.iter().map(|x| x.week));
    tb.date("week_start", w.iter().map(|x| x.week_start));
    tb.date("week_end", w.iter().map(|x| x.week_end));
    tb.money("amount", w.iter().map(|x| x.amount))
        .map_err(scale)?;
    tb.u64("items", w.iter().map(|x| x.items));
    Ok(tb)
}

fn forecast_items(r: &Report, as_of: NaiveDate) -> Result<Table, CliError> {
    let i = &r.forecast_items;
    let mut tb = Table::new();
    tb.date("as_of", i.iter().map(|_| as_of));
    tb.text("invoice_id", i.iter().map(|x| x.invoice_id.as_str()));
    tb.text("customer_id", i.iter().map(|x| x.customer_id.as_str()));
    tb.text("currency", i.iter().map(|x| x.currency.as_str()));
    tb.money("amount", i.iter().map(|x| x.amount))
        .map_err(scale)?;
    tb.date("due_date", i.iter().map(|x| x.due_date));
    int64_opt(
        &mut tb,
        "offset_days",
        i.iter().map(|x| Some(x.offset_days)),
    );
    tb.text("method", i.iter().map(|x| x.method));
    tb.date("expected_on", i.iter().map(|x| x.expected_on));
    u32_opt(&mut tb, "week", i.iter().map(|x| x.week));
    Ok(tb)
}

/// Writes one file of the staging folder through the store's one durable
/// write (temporary file, fsync, rename, fsync of the folder).
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io("write", path, "not a file path"));
    };
    write_durable(dir, &name.to_string_lossy(), bytes).map_err(|e| io("write", path, e))
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn staging_names(out: &Path) -> Result<(PathBuf, String), CliError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| {
            CliError::Input(format!("`{}` is not a usable output folder", out.display()))
        })?;
    Ok((parent, name))
}

/// Puts an interrupted publish of `out` right: a set renamed aside
/// (`.<name>-previous-*`) goes back when `out` is missing and is deleted
/// otherwise; staging folders (`.<name>-staging-*`) never reached their
/// rename and are deleted.
pub fn recover(out: &Path) -> Result<(), CliError> {
    let (parent, name) = staging_names(out)?;
    let Ok(entries) = fs::read_dir(&parent) else {
        return Ok(());
    };
    let mut found: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    found.sort();
    for p in found {
        let file = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if file.starts_with(&format!(".{name}-previous-")) {
            if out.exists() {
                fs::remove_dir_all(&p).map_err(|e| io("remove", &p, e))?;
            } else {
                fs::rename(&p, out).map_err(|e| io("restore", &p, e))?;
            }
        } else if file.starts_with(&format!(".{name}-staging-")) {
            fs::remove_dir_all(&p).map_err(|e| io("remove", &p, e))?;
        }
    }
    sync_dir(&parent).map_err(|e| io("sync", &parent, e))
}

/// Writes the set into a new folder `dir`, every file and folder synced.
fn write_set(
    dir: &Path,
    files: &[(String, u64, Vec<u8>)],
    manifest: &[u8],
) -> Result<(), CliError> {
    fs::create_dir(dir).map_err(|e| io("create", dir, e))?;
    let letters = dir.join(LETTERS_DIR);
    fs::create_dir(&letters).map_err(|e| io("create", &letters, e))?;
    for (file, _, bytes) in files {
        write_synced(&dir.join(file), bytes)?;
    }
    write_synced(&dir.join(REPORT_MANIFEST), manifest)?;
    sync_dir(&letters).map_err(|e| io("sync", &letters, e))?;
    sync_dir(dir).map_err(|e| io("sync", dir, e))
}

fn publish(out: &Path, files: &[(String, u64, Vec<u8>)], manifest: &[u8]) -> Result<(), CliError> {
    let (parent, name) = staging_names(out)?;
    fs::create_dir_all(&parent).map_err(|e| io("create", &parent, e))?;
    recover(out)?;
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}-staging-{pid}"));
    let result = write_set(&staging, files, manifest);
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    let previous = parent.join(format!(".{name}-previous-{pid}"));
    if out.exists() {
        // Only an earlier analytics set (or an empty folder) is replaced:
        // `--out` pointing at anything else must never be deleted.
        let empty = fs::read_dir(out)
            .map(|mut e| e.next().is_none())
            .unwrap_or(false);
        if !empty && !out.join(REPORT_MANIFEST).is_file() {
            let _ = fs::remove_dir_all(&staging);
            return Err(CliError::Input(format!(
                "`{}` exists and is not an analytics set (no {REPORT_MANIFEST}); choose an empty or new --out folder",
                out.display()
            )));
        }
        fs::rename(out, &previous).map_err(|e| io("move aside", out, e))?;
    }
    fs::rename(&staging, out).map_err(|e| io("rename into place", &staging, e))?;
    sync_dir(&parent).map_err(|e| io("sync", &parent, e))?;
    if previous.exists() {
        fs::remove_dir_all(&previous).map_err(|e| io("remove", &previous, e))?;
    }
    Ok(())
}
