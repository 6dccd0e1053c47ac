//! The `run` and `ingest` commands: read, apply cash, write, summarise.

use crate::config::RunConfig;
use crate::inputs::{self, BankBatch, BankInput, InputFile};
use crate::output;
use crate::progress::Progress;
use crate::CliError;
use cashmatch_engine::model::{Batch, Customers, OpenItems, ReasonCode};
use cashmatch_engine::RunResult;
use cashmatch_store::lock::DirLock;
use cashmatch_store::manifest::{self, Counts, Manifest, WrittenFile, MANIFEST_NAME};
use cashmatch_store::publish::{self, Staging, StateIntent};
use cashmatch_store::state::{self as store_state, Processed};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The engine name and version recorded in manifests and hashed into run
/// ids (the CLI package: the workspace shares one version).
pub(crate) const ENGINE: &str = env!("CARGO_PKG_NAME");
/// See [`ENGINE`].
pub(crate) const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");
/// What an ingest hashes into its id in place of an as-of date.
const INGEST_AS_OF: &str = "ingest";

/// A validated `run` request (built from the command line by `main`).
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Bank files and folders as typed.
    pub bank: Vec<PathBuf>,
    /// Exact bank inputs with their recorded names (replay); when set,
    /// `bank` is ignored.
    pub bank_inputs: Option<Vec<BankInput>>,
    /// The open-item extract.
    pub open_items: OpenItemsSource,
    /// The customer master, if any.
    pub customers: Option<CustomersSource>,
    /// The validated configuration.
    pub config: RunConfig,
    /// Accounting date; derived from the statements when absent.
    pub as_of: Option<NaiveDate>,
    /// Output directory.
    pub out: PathBuf,
    /// Ingest statements whose own totals fail.
    pub accept_unbalanced: bool,
    /// No progress bars.
    pub quiet: bool,
    /// Which record of processed statements the run reads and extends.
    pub state: StateMode,
    /// Input paths to write into the manifest instead of the actual ones
    /// (replay keeps the original manifest's paths, so its bytes match).
    pub recorded_inputs: Option<Vec<InputFile>>,
    /// The analytics set published with the run (`<out>/analytics`), or
    /// `None` (`--no-analytics`, replay).
    pub analytics: Option<RunAnalytics>,
    /// Remittance advice files and folders as typed (`--remittance`).
    pub remittance: Vec<PathBuf>,
    /// Exact remittance inputs with their recorded names (replay); when
    /// set, `remittance` is ignored.
    pub remittance_inputs: Option<Vec<BankInput>>,
    /// People's decisions on earlier exceptions (`--decisions`), applied
    /// first with rule `MANUAL`; an input of the run like the others.
    pub decisions: Option<PathBuf>,
    /// Exchange rates for cross-currency payments (`--rates`); an input of
    /// the run like the others.
    pub rates: Option<PathBuf>,
}

/// The optional inputs of the analytics set a run publishes (as
/// `cashmatch report` takes them).
#[derive(Debug, Clone, Default)]
pub struct RunAnalytics {
    /// Analytics config (TOML).
    pub config: Option<PathBuf>,
    /// Every invoice issued in the period.
    pub invoices: Option<PathBuf>,
    /// The run directory at the start of the CEI period.
    pub opening: Option<PathBuf>,
    /// Items cleared before cashmatch.
    pub cleared_items: Option<PathBuf>,
}

/// Where a run's memory of earlier runs comes from.
#[derive(Debug, Clone)]
pub enum StateMode {
    /// No state: the run is a pure function of its inputs.
    Off,
    /// A state directory, read and extended (locked for the run).
    Dir(PathBuf),
    /// The segments a recorded run read (replay): read-only.
    Replay {
        /// What the recorded segments say was processed.
        processed: std::sync::Arc<Processed>,
        /// The segments as the manifest lists them.
        inputs: Vec<InputFile>,
        /// The state directory as the manifest records it.
        dir: Option<String>,
        /// The waiting remittance advices the recorded run read (the bytes
        /// of its `remittance-waiting/<run>.json` state input), if any.
        waiting: Option<Vec<u8>>,
    },
}

impl StateMode {
    /// The default state directory of an output directory: `<out>/state`.
    /// It lives with the outputs it describes, so copying or deleting a run
    /// directory copies or deletes its memory too, and two unrelated output
    /// directories never share state by accident. Nightly runs into dated
    /// directories pass one `--state` for all of them.
    pub fn default_for(out: &Path) -> StateMode {
        StateMode::Dir(out.join("state"))
    }
}

/// What `run` did.
pub enum RunStatus {
    /// A new run was published.
    Published(Box<RunReport>),
    /// The state says this exact batch was published already: nothing was
    /// applied or written (RELIABILITY.md B5-44).
    AlreadyProcessed {
        /// The batch's run id.
        run_id: String,
        /// SHA-256 of the manifest published for it.
        manifest_sha256: String,
    },
}

/// Where open items come from.
#[derive(Debug, Clone)]
pub enum OpenItemsSource {
    /// A CSV or Parquet file.
    File(PathBuf),
}

/// Where customers come from.
#[derive(Debug, Clone)]
pub enum CustomersSource {
    /// A CSV or Parquet file.
    File(PathBuf),
}

/// What a finished run reports.
pub struct RunReport {
    /// The published manifest.
    pub manifest: Manifest,
    /// What the engine decided.
    pub result: RunResult,
    /// Seconds per stage (for `--timings`).
    pub timings: Vec<(String, f64)>,
    /// The analytics set published with the run, if any.
    pub analytics: Option<crate::report::StagedAnalytics>,
}

/// Runs a whole batch and publishes its outputs.
pub fn run(req: &RunRequest) -> Result<RunStatus, CliError> {
    let mut progress = Progress::new(req.quiet);
    let bank_inputs = match &req.bank_inputs {
        Some(b) => b.clone(),
        None => inputs::discover_bank_inputs(&req.bank)?,
    };
    if bank_inputs.is_empty() {
        return Err(CliError::Input(
            "no bank statement files found in the --bank arguments".into(),
        ));
    }
    let started = std::time::Instant::now();
    let bank = inputs::read_bank_files(&bank_inputs, &req.config, req.accept_unbalanced, &progress);
    progress
        .timings
        .push(("read bank files".into(), started.elapsed().as_secs_f64()));
    let started = std::time::Instant::now();
    let OpenItemsSource::File(p) = &req.open_items;
    let (open_items, mut items_file) = inputs::read_open_items(p, &req.config)?;
    items_file.path = Some(p.to_string_lossy().into_owned());
    let (customers, customers_file) = match &req.customers {
        Some(CustomersSource::File(p)) => {
            let (c, mut f) = inputs::read_customers(p, &req.config)?;
            f.path = Some(p.to_string_lossy().into_owned());
            (c, Some(f))
        }
        None => (Customers::default(), None),
    };
    progress
        .timings
        .push(("read extracts".into(), started.elapsed().as_secs_f64()));
    execute(
        req,
        &mut progress,
        bank,
        open_items,
        items_file,
        customers,
        customers_file,
    )
}

/// The run's accounting date: the one given, else the latest booking (or
/// value) date of the transactions (shared with the in-memory run of
/// [`crate::memory`]).
pub fn derive_as_of(
    given: Option<NaiveDate>,
    transactions: &cashmatch_engine::model::Transactions,
) -> Result<NaiveDate, CliError> {
    given
        .or_else(|| {
            transactions
                .iter()
                .filter_map(|t| t.booking_date().or(t.value_date()))
                .max()
        })
        .ok_or_else(|| {
            CliError::Input(
                "no --as-of date given and no dated bank transaction to derive it from".into(),
            )
        })
}

/// The part of a run after inputs are read (shared with `demo`).
pub fn execute(
    req: &RunRequest,
    progress: &mut Progress,
    mut bank: BankBatch,
    open_items: OpenItems,
    items_file: InputFile,
    customers: Customers,
    customers_file: Option<InputFile>,
) -> Result<RunStatus, CliError> {
    // The analytics inputs are read first: a bad one fails the run before
    // anything is applied or written.
    let analytics_inputs = match &req.analytics {
        Some(a) => Some(crate::report::load_inputs(
            a.config.as_deref(),
            a.invoices.as_deref(),
            a.opening.as_deref(),
            a.cleared_items.as_deref(),
        )?),
        None => None,
    };
    // The as-of date comes from every parsed transaction, before duplicates
    // are removed, so a re-delivered batch ages exactly like the original.
    let as_of = derive_as_of(req.as_of, &bank.transactions)?;
    // Remittance advices (`--remittance`): read before the run id, which
    // hashes every input file.
    let remittance_inputs = match &req.remittance_inputs {
        Some(r) => r.clone(),
        None if req.remittance.is_empty() => Vec::new(),
        None => inputs::discover_bank_inputs(&req.remittance)?,
    };
    let remit =
        crate::remittance::read_for_run(&remittance_inputs, &req.config, req.accept_unbalanced);
    // Read before the run id is made: the decisions are an input.
    let mut decisions = req
        .decisions
        .as_deref()
        .map(crate::decisions::read)
        .transpose()?;
    let rates = req.rates.as_deref().map(crate::rates::read).transpose()?;
    let rules = req.config.rules();
    let config_toml = req.config.canonical_toml();
    let config_sha256 = output::sha256_hex(config_toml.as_bytes());
    let as_of_s = as_of.to_string();
    let batch_files: Vec<InputFile> = bank
        .files
        .iter()
        .cloned()
        .chain(std::iter::once(items_file.clone()))
        .chain(customers_file.clone())
        .chain(remit.files.iter().cloned())
        .chain(decisions.as_ref().map(|d| d.input.clone()))
        .chain(rates.as_ref().map(|r| r.input.clone()))
        .collect();
    let run_id = manifest::run_id(
        ENGINE,
        ENGINE_VERSION,
        &batch_files,
        &config_sha256,
        &as_of_s,
        req.accept_unbalanced,
    );

    // From here on this process owns the output (and state) directory,
    // and finishes whatever an earlier crash left there.
    let out_lock = DirLock::acquire(&req.out, &run_id)?;
    let state_lock = match &req.state {
        StateMode::Dir(dir) => Some(DirLock::acquire(dir, &run_id)?),
        _ => None,
    };
    let held: Vec<&DirLock> = std::iter::once(&out_lock).chain(&state_lock).collect();
    for note in publish::recover(&req.out, &held)? {
        eprintln!("{note}");
    }
    let (loaded, prior, state_inputs, state_dir) = match &req.state {
        StateMode::Off => (
            None,
            std::sync::Arc::new(Processed::default()),
            Vec::new(),
            None,
        ),
        StateMode::Dir(dir) => {
            let mut loaded = store_state::load(dir)?;
            if let Some(done) = loaded.log.find(&run_id) {
                return Ok(RunStatus::AlreadyProcessed {
                    run_id,
                    manifest_sha256: done.manifest_sha256.clone(),
                });
            }
            let inputs = store_state::segment_inputs(&loaded, &req.out)?;
            let rel = manifest::relative_path(&req.out, dir);
            let processed = std::sync::Arc::new(std::mem::take(&mut loaded.processed));
            (Some(loaded), processed, inputs, Some(rel))
        }
        StateMode::Replay {
            processed,
            inputs,
            dir,
            ..
        } => (None, processed.clone(), inputs.clone(), dir.clone()),
    };
    // Remittance advices still waiting for their cash after the previous
    // run with this state (written by that run, named by its log entry).
    let mut state_inputs = state_inputs;
    let carried = match (&req.state, &loaded) {
        (StateMode::Dir(_), Some(loaded)) => match loaded.log.segments.last() {
            Some(last) => {
                let name = format!("{}/{}.json", crate::remittance::WAITING_DIR, last.run_id);
                let path = loaded.dir.join(&name);
                match std::fs::read(&path) {
                    Ok(bytes) => {
                        let w = crate::remittance::WaitingAdvices::parse(&bytes, &name)?;
                        state_inputs.push(InputFile {
                            role: cashmatch_store::manifest::InputRole::State,
                            name: name.clone(),
                            sha256: output::sha256_hex(&bytes),
                            bytes: bytes.len() as u64,
                            format: "json".into(),
                            rows: w.advices.len() as u64,
                            status: cashmatch_store::manifest::InputStatus::Accepted,
                            detail: format!("waiting remittance advices of run {}", last.run_id),
                            path: Some(manifest::relative_path(&req.out, &path)),
                        });
                        w
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Default::default(),
                    Err(e) => {
                        return Err(CliError::Input(format!(
                            "state: waiting remittance advices `{}`: {e}",
                            path.display()
                        )))
                    }
                }
            }
            None => Default::default(),
        },
        (
            StateMode::Replay {
                waiting: Some(bytes),
                ..
            },
            _,
        ) => crate::remittance::WaitingAdvices::parse(bytes, "recorded state input")?,
        _ => Default::default(),
    };
    let mut remit = remit;
    crate::remittance::add_waiting(&mut remit, &carried);
    let mut filtered = crate::state::filter(&mut bank, &prior, loaded.is_some());
    let return_inputs = return_inputs(&bank, &prior, as_of, rules.returns.keep_receipts_days)?;
    let batch = Batch {
        transactions: std::mem::take(&mut bank.transactions),
        open_items,
        customers,
        as_of,
    };
    // Decisions are checked whole against what this run holds before
    // anything is applied: one conflicting row rejects the file (exit 1).
    let plan = match decisions.as_mut() {
        Some(d) => Some(d.plan(&batch)?),
        None => None,
    };
    let taught = plan
        .as_ref()
        .map(|p| cashmatch_engine::learned::taught(&batch, p))
        .unwrap_or_default();
    let mut facts = crate::state::learned_facts(&prior);
    facts.extend(taught.iter().cloned());
    let learned = cashmatch_engine::learned::LearnedIndex::build(&facts);
    let mut input_files = bank.files.clone();
    input_files.push(items_file);
    input_files.extend(customers_file);
    input_files.extend(remit.files.iter().cloned());
    if let Some(d) = decisions {
        let fact_rows = crate::state::fact_rows(&taught, &prior, &d.name);
        let mut input = d.input;
        input.detail = format!(
            "{}; {} payer fact(s) learned, {} new to the state",
            input.detail,
            taught.len(),
            fact_rows.len()
        );
        if loaded.is_some() {
            filtered.rows.extend(fact_rows);
        }
        input_files.push(input);
    }
    input_files.extend(rates.as_ref().map(|r| r.input.clone()));
    for f in &mut input_files {
        if let Some(p) = &f.path {
            f.path = Some(manifest::relative_path(&req.out, Path::new(p)));
        }
    }
    input_files.extend(state_inputs);
    if let Some(recorded) = &req.recorded_inputs {
        for f in &mut input_files {
            if let Some(r) = recorded
                .iter()
                .find(|r| r.role == f.role && r.name == f.name)
            {
                f.path = r.path.clone();
            }
        }
    }
    let (advices, advice_index) = crate::remittance::engine_advices(&remit);
    let remittance_input = cashmatch_engine::RemittanceInput {
        advices,
        rules: req.config.remittance.rules(),
        // A replay waits exactly when the recorded run had a state.
        waiting_allowed: match &req.state {
            StateMode::Off => false,
            StateMode::Dir(_) => true,
            StateMode::Replay { dir, .. } => dir.is_some(),
        },
    };
    // Cross-currency application runs with `--rates`; bank charges with a
    // charge tolerance in `[fx]` (either alone is enough).
    let fx_input = (rates.is_some() || req.config.fx.charges_enabled()).then(|| {
        cashmatch_engine::fx::FxInput {
            rates: rates.map(|r| r.table).unwrap_or_default(),
            rules: req.config.fx.clone(),
        }
    });
    let extras = cashmatch_engine::RunExtras {
        remittance: Some(&remittance_input),
        returns: Some(&return_inputs),
        decisions: plan.as_ref(),
        learned: Some(&learned),
        fx: fx_input.as_ref(),
    };
    let result = cashmatch_engine::apply_cash_with(batch, &rules, &extras, progress)
        .map_err(|v| CliError::Invariant(format!("{v}; nothing was published")))?;
    if loaded.is_some() {
        filtered
            .rows
            .extend(receipt_rows(&result, &return_inputs, &run_id)?);
    }

    let write_started = std::time::Instant::now();
    let spinner = progress.spinner("writing Parquet outputs");
    let r = &result;
    let statements = &bank.statements;
    // The tables are encoded at once, one task per file (within a table,
    // the columns of each row group in parallel), the bytes going straight
    // to each staged file, hashed on the way; they are then made durable
    // and listed in a fixed order, so the manifest and the durable steps
    // are the same on every run. No table exists whole as Arrow arrays or
    // as bytes.
    let mut staging = Staging::begin(&req.out, &run_id)?;
    output::stage_all(&mut staging, &output::run_tables(r, statements))?;
    // Only a run given remittance files (or with advices waiting in its
    // state) writes `remittances.parquet`, so every other run keeps its
    // outputs byte for byte.
    if !remittance_inputs.is_empty() || !carried.advices.is_empty() {
        let outcome = crate::remittance::RunOutcome {
            index: &advice_index,
            outcomes: &r.remittance,
            transactions: &r.batch.transactions,
            companies: &r.outcome.companies,
        };
        let bytes = crate::remittance::table(&remit, Some(&outcome))?
            .to_parquet()
            .map_err(|e| CliError::Output(format!("cannot encode `remittances.parquet`: {e}")))?;
        staging.file("remittances.parquet", remit.rows() as u64, &bytes)?;
    }
    spinner.finish_and_clear();

    let counts = Counts {
        transactions: r.batch.transactions.len() as u64,
        applications: r.outcome.applications.len() as u64,
        exceptions: r.outcome.exceptions.len() as u64,
        postings: r.outcome.postings.len() as u64,
        open_items: r.batch.open_items.len() as u64,
        aging_rows: r.outcome.aging.len() as u64,
        statements: statements.len() as u64,
        files_rejected: (bank.rejections.len() + remit.rejections.len()) as u64,
        pending_entries_skipped: bank.pending_skipped,
        files_duplicate: filtered.files_duplicate,
        transactions_already_processed: filtered.transactions_already_processed,
    };
    let manifest = Manifest {
        engine: ENGINE.into(),
        engine_version: ENGINE_VERSION.into(),
        schema_version: output::table::SCHEMA_VERSION.into(),
        run_id,
        as_of: as_of_s,
        config_sha256,
        config: config_toml,
        currency_table_sha256: inputs::currency_table_sha256(),
        accept_unbalanced: req.accept_unbalanced,
        state: state_dir,
        parquet_writer: output::table::writer_settings_summary(),
        inputs: input_files,
        outputs: staging.written.clone(),
        control_sums: r.outcome.control_sums.clone(),
        companies: r.outcome.companies.codes().to_vec(),
        counts,
        passes: r.outcome.pass_stats.clone(),
        rejections: [&bank.rejections[..], &remit.rejections[..]].concat(),
        warnings: [&bank.warnings[..], &remit.warnings[..]].concat(),
    };
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| CliError::Output(format!("manifest: {e}")))?;
    let manifest_sha256 = output::sha256_hex(json.as_bytes());
    // The analytics set goes into the same staged publish (issue 10): the
    // commit makes the run and its set visible together.
    let history_dir = match &req.state {
        StateMode::Dir(dir) => Some(dir.as_path()),
        _ => None,
    };
    let mut analytics_secs = 0.0;
    let analytics = match &analytics_inputs {
        Some(inputs) => {
            let started = std::time::Instant::now();
            let staged = crate::report::stage_in_run(
                staging.dir(),
                &req.out,
                &manifest,
                json.as_bytes(),
                inputs,
                history_dir,
            )?;
            analytics_secs = started.elapsed().as_secs_f64();
            Some(staged)
        }
        None => None,
    };
    // The state learns about this run in the same commit as its outputs:
    // the new log is staged and put in place by the roll-forward, last.
    let state_log = match &loaded {
        Some(loaded) => {
            // Advices still waiting go to the state beside the segment,
            // before the commit point: only the run the log names is read.
            let waiting = crate::remittance::still_waiting(
                &remit,
                &advice_index,
                &remittance_input.advices,
                &r.remittance,
                &carried,
                &manifest.run_id,
            );
            if !waiting.advices.is_empty() {
                let dir = loaded.dir.join(crate::remittance::WAITING_DIR);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| CliError::Io(format!("cannot create `{}`: {e}", dir.display())))?;
                cashmatch_store::durable::write_durable(
                    &dir,
                    &format!("{}.json", manifest.run_id),
                    &waiting.to_bytes(),
                )?;
            }
            let entry = store_state::write_segment(
                loaded,
                &manifest.run_id,
                &manifest_sha256,
                &filtered.rows,
            )?;
            let bytes = serde_json::to_vec_pretty(&entry)
                .map_err(|e| CliError::Output(format!("state log: {e}")))?;
            store_state::mark_pending(&loaded.dir, &manifest.run_id, &req.out)?;
            Some((loaded.dir.join(store_state::STATE_LOG), bytes))
        }
        None => None,
    };
    // The roll-forward appends the entry to the log and removes the
    // pending marker.
    staging.commit(
        json.as_bytes(),
        state_log.as_ref().map(|(log, entry)| StateIntent {
            log,
            entry_json: entry,
        }),
        &held,
    )?;
    if let (Some(staged), Some(dir)) = (&analytics, history_dir) {
        crate::report::record_staged(staged, dir)?;
    }
    // Apart, so `--timings` shows what the analytics cost.
    progress.timings.push((
        "write outputs".into(),
        write_started.elapsed().as_secs_f64() - analytics_secs,
    ));
    if analytics.is_some() {
        progress.timings.push(("analytics".into(), analytics_secs));
    }
    Ok(RunStatus::Published(Box::new(RunReport {
        manifest,
        result,
        timings: std::mem::take(&mut progress.timings),
        analytics,
    })))
}

/// What the engine needs for returned payments: the bank's return markers
/// (by index into the filtered batch) and the receipts earlier runs applied
/// and nobody returned since (from the state; none without one).
fn return_inputs(
    bank: &BankBatch,
    prior: &Processed,
    as_of: NaiveDate,
    keep_receipts_days: u32,
) -> Result<cashmatch_engine::returns::ReturnInputs, CliError> {
    use cashmatch_engine::returns::{ReturnInputs, ReturnMarker};
    let mut markers = Vec::new();
    if !bank.returns.is_empty() {
        for (i, t) in bank.transactions.iter().enumerate() {
            if let Some(reason) = bank.returns.get(t.transaction_id()) {
                markers.push(ReturnMarker {
                    txn: i as u32,
                    reason: reason.clone(),
                });
            }
        }
    }
    let prior_receipts =
        crate::state::retained_receipts(prior.open_receipts(), as_of, keep_receipts_days)?;
    Ok(ReturnInputs {
        markers,
        prior_receipts,
    })
}

/// The state rows of this run's returns: every receipt it applied (kind
/// `receipt`, the receipt as JSON) so a later run can reverse it, and every
/// earlier receipt it took back (kind `returned`) so no later run takes it
/// back twice.
fn receipt_rows(
    r: &RunResult,
    inputs: &cashmatch_engine::returns::ReturnInputs,
    run_id: &str,
) -> Result<Vec<store_state::SegmentRow>, CliError> {
    use cashmatch_engine::returns::{receipts_to_keep, Original};
    let mut rows = Vec::new();
    for (t, receipt) in receipts_to_keep(&r.batch, &r.outcome, run_id) {
        let json = serde_json::to_string(&receipt)
            .map_err(|e| CliError::Output(format!("state receipt row: {e}")))?;
        rows.push(store_state::SegmentRow {
            kind: "receipt",
            key: receipt.transaction_id,
            content_sha256: json,
            source_file: r
                .batch
                .transactions
                .get(t as usize)
                .source_file()
                .to_string(),
            fact: None,
        });
    }
    for ret in &r.outcome.returns {
        if let Some(Original::Prior(p)) = ret.original {
            rows.push(store_state::SegmentRow {
                kind: "returned",
                key: inputs.prior_receipts[p as usize].transaction_id.clone(),
                content_sha256: String::new(),
                source_file: r
                    .batch
                    .transactions
                    .get(ret.txn as usize)
                    .source_file()
                    .to_string(),
                fact: None,
            });
        }
    }
    Ok(rows)
}

/// `cashmatch recover`: under the directory's lock, rolls a committed but
/// unfinished publish forward and removes staging leftovers. With `state`,
/// that state directory is locked too and loaded, which removes the
/// markers of runs that have finished, so the next run using it proceeds.
/// Returns what it did, for the operator.
pub fn recover(out: &Path, state: Option<&Path>) -> Result<Vec<String>, CliError> {
    if !out.is_dir() {
        return Err(CliError::Input(format!(
            "`{}` is not a directory",
            out.display()
        )));
    }
    let out_lock = DirLock::acquire(out, "recover")?;
    let state_lock = state
        .map(|dir| DirLock::acquire(dir, "recover"))
        .transpose()?;
    let held: Vec<&DirLock> = std::iter::once(&out_lock).chain(&state_lock).collect();
    let mut notes = publish::recover(out, &held)?;
    if let Some(dir) = state {
        store_state::load(dir)?;
    }
    if notes.is_empty() {
        notes.push(format!("`{}`: nothing to recover", out.display()));
    }
    Ok(notes)
}

/// What a re-run of an already published batch prints.
pub fn already_processed_message(run_id: &str, manifest_sha256: &str) -> String {
    format!(
        "already processed: run {run_id} was published before (manifest sha256 {manifest_sha256}); nothing new was applied and no output was changed"
    )
}

/// The summary a controller reads after a run.
pub fn summary(report: &RunReport, out: &Path) -> String {
    let m = &report.manifest;
    let o = &report.result.outcome;
    let mut s = String::new();
    s.push_str(&format!(
        "cashmatch run {}  as of {}\n\n",
        m.run_id, m.as_of
    ));
    for c in &m.control_sums {
        let rate = if c.received.is_zero() {
            Decimal::ZERO
        } else {
            (c.applied / c.received * Decimal::ONE_HUNDRED).round_dp(1)
        };
        s.push_str(&format!(
            "  {}  received {:>16}  applied {:>16}  unapplied {:>16}  applied by value {:>5}%\n",
            c.currency,
            c.received.round_dp(2),
            c.applied.round_dp(2),
            c.unapplied.round_dp(2),
            rate
        ));
        if !c.discounts.is_zero() || !c.writeoffs.is_zero() {
            s.push_str(&format!(
                "       discounts granted {:>10}  written off {:>10}\n",
                c.discounts.round_dp(2),
                c.writeoffs.round_dp(2)
            ));
        }
    }
    let receipts = report
        .result
        .batch
        .transactions
        .iter()
        .filter(|t| t.amount() > Decimal::ZERO)
        .count();
    let mut fully = 0usize;
    let mut applied_txn = vec![false; report.result.batch.transactions.len()];
    for a in &o.applications {
        applied_txn[a.txn as usize] = true;
    }
    let mut has_exc = vec![false; report.result.batch.transactions.len()];
    for e in &o.exceptions {
        has_exc[e.txn as usize] = true;
    }
    for (i, t) in report.result.batch.transactions.iter().enumerate() {
        if t.amount() > Decimal::ZERO && applied_txn[i] && !has_exc[i] {
            fully += 1;
        }
    }
    let pct = |n: usize, d: usize| {
        if d == 0 {
            0.0
        } else {
            n as f64 * 100.0 / d as f64
        }
    };
    s.push_str(&format!(
        "\n  transactions {}  receipts {}  fully applied {} ({:.1}%)  invoices paid or reduced {}\n",
        m.counts.transactions,
        receipts,
        fully,
        pct(fully, receipts),
        o.items_after.iter().filter(|a| !a.amount_applied.is_zero()).count()
    ));
    let mut by_reason: BTreeMap<&str, (u64, Decimal)> = BTreeMap::new();
    for e in &o.exceptions {
        let entry = by_reason.entry(e.reason.as_str()).or_default();
        entry.0 += 1;
        entry.1 += e.amount;
    }
    if !by_reason.is_empty() {
        s.push_str("\n  exceptions by reason\n");
        for code in ReasonCode::ALL {
            if let Some((n, amt)) = by_reason.get(code.as_str()) {
                s.push_str(&format!(
                    "    {:<26} {:>7}  {:>16}\n",
                    code.as_str(),
                    n,
                    amt.round_dp(2)
                ));
            }
        }
    }
    let mut by_rule: BTreeMap<&str, u64> = BTreeMap::new();
    for a in &o.applications {
        *by_rule.entry(a.rule.as_str()).or_default() += 1;
    }
    if !by_rule.is_empty() {
        s.push_str("\n  applications by rule\n");
        for (rule, n) in by_rule {
            s.push_str(&format!("    {rule:<26} {n:>7}\n"));
        }
    }
    let mut held: BTreeMap<&str, u64> = BTreeMap::new();
    for item in &report.result.batch.open_items {
        if let Some(h) = item.hold() {
            *held.entry(h.reason.as_str()).or_default() += 1;
        }
    }
    if !held.is_empty() {
        s.push_str("\n  open items held out of matching (status `held` in open_items.parquet)\n");
        for (reason, n) in held {
            s.push_str(&format!("    {reason:<26} {n:>7}\n"));
        }
    }
    s.push_str(&format!("\n  outputs written to {}:\n", out.display()));
    for f in &m.outputs {
        s.push_str(&format!("    {:<22} {:>9} rows\n", f.name, f.rows));
    }
    s.push_str(&format!("    {MANIFEST_NAME}\n"));
    if let Some(a) = &report.analytics {
        s.push_str(&format!(
            "    {}/ ({} files, {} signal(s); {})\n",
            crate::report::ANALYTICS_DIR,
            a.manifest.outputs.len() + 1,
            a.signals,
            crate::report::REPORT_MANIFEST
        ));
    }
    s
}

/// The rejected input files, one line each, for stderr (stdout carries the
/// results; a scheduler's log keeps what went wrong apart).
pub fn rejections_text(rejections: &[String]) -> String {
    rejections
        .iter()
        .map(|r| format!("rejected: {r}\n"))
        .collect()
}

/// `cashmatch ingest`: parse statements without matching, and publish
/// `transactions.parquet` and `statements.parquet` with a manifest through
/// the same staged publish as `run` (lock, staging, one commit rename,
/// manifest last), so a crash leaves the previous outputs or the new ones.
pub fn ingest(
    bank: &[PathBuf],
    config: &RunConfig,
    out: &Path,
    quiet: bool,
) -> Result<
    (
        BankBatch,
        crate::remittance::RemittanceBatch,
        Vec<WrittenFile>,
    ),
    CliError,
> {
    let progress = Progress::new(quiet);
    let bank_inputs = inputs::discover_bank_inputs(bank)?;
    // Remittance files are recognised by content beside the statements.
    let (bank_inputs, remittance_inputs) = crate::remittance::split_inputs(bank_inputs, config);
    let remittances = crate::remittance::read_files(&remittance_inputs, config);
    // Ingest reports every statement, balanced or not; nothing is excluded.
    // Transaction ids were assigned per statement while merging, exactly as
    // `run` assigns them, so both commands name a line the same way.
    let batch = inputs::read_bank_files(&bank_inputs, config, true, &progress);
    let config_toml = config.canonical_toml();
    let config_sha256 = output::sha256_hex(config_toml.as_bytes());
    // An ingest has no as-of date; its id says what it is instead, so it
    // never equals a run's id.
    let mut all_inputs = batch.files.clone();
    all_inputs.extend(remittances.files.iter().cloned());
    let run_id = manifest::run_id(
        ENGINE,
        ENGINE_VERSION,
        &all_inputs,
        &config_sha256,
        INGEST_AS_OF,
        true,
    );
    let out_lock = DirLock::acquire(out, &run_id)?;
    for note in publish::recover(out, &[&out_lock])? {
        eprintln!("{note}");
    }
    let mut staging = Staging::begin(out, &run_id)?;
    let companies =
        cashmatch_engine::company::Companies::of_transactions(&batch.transactions, &config.company);
    // Both tables at once (see `output::stage_all`), listed in this order.
    output::stage_all(
        &mut staging,
        &[
            (
                "transactions.parquet",
                output::transactions(&batch.transactions, &companies),
            ),
            (
                "statements.parquet",
                output::statements(&batch.statements, &companies),
            ),
        ],
    )?;
    // Remittances are a small table: the one-batch writer is enough.
    let remittance_bytes = crate::remittance::table(&remittances, None)?
        .to_parquet()
        .map_err(|e| CliError::Output(format!("cannot encode `remittances.parquet`: {e}")))?;
    staging.file(
        "remittances.parquet",
        remittances.rows() as u64,
        &remittance_bytes,
    )?;
    let mut input_files = all_inputs;
    for f in &mut input_files {
        if let Some(p) = &f.path {
            f.path = Some(manifest::relative_path(out, Path::new(p)));
        }
    }
    let manifest = Manifest {
        engine: ENGINE.into(),
        engine_version: ENGINE_VERSION.into(),
        schema_version: output::table::SCHEMA_VERSION.into(),
        run_id,
        as_of: String::new(),
        config_sha256,
        config: config_toml,
        currency_table_sha256: inputs::currency_table_sha256(),
        accept_unbalanced: true,
        state: None,
        parquet_writer: output::table::writer_settings_summary(),
        inputs: input_files,
        outputs: staging.written.clone(),
        control_sums: Vec::new(),
        counts: Counts {
            transactions: batch.transactions.len() as u64,
            statements: batch.statements.len() as u64,
            files_rejected: (batch.rejections.len() + remittances.rejections.len()) as u64,
            pending_entries_skipped: batch.pending_skipped,
            ..Counts::default()
        },
        passes: Vec::new(),
        rejections: [&batch.rejections[..], &remittances.rejections[..]].concat(),
        warnings: [&batch.warnings[..], &remittances.warnings[..]].concat(),
        companies: Vec::new(),
    };
    let json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| CliError::Output(format!("manifest: {e}")))?;
    let written = staging.written.clone();
    staging.commit(json.as_bytes(), None, &[&out_lock])?;
    Ok((batch, remittances, written))
}
