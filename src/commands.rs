//! What each command does once `main` has turned the typed arguments into a
//! validated [`Request`]: run it, print results on stdout and problems on
//! stderr, and return the process exit code. `main` never decides anything
//! beyond parsing; this module never sees clap.

use crate::config::RunConfig;
use crate::inputs::InputStatus;
use crate::run::{self, RunRequest, RunStatus};
use crate::{demo, evaluate, CliError, EXIT_COMPLETED_WITH_REJECTIONS};
use chrono::NaiveDate;
use std::path::PathBuf;

/// One validated command.
#[derive(Debug)]
pub enum Request {
    /// `cashmatch run`.
    Run {
        /// Everything the run needs, config loaded and checked.
        request: Box<RunRequest>,
        /// Print stage timings to stderr.
        timings: bool,
    },
    /// `cashmatch ingest`: parse statements without matching.
    Ingest {
        /// Statement files or folders.
        inputs: Vec<PathBuf>,
        /// The loaded configuration.
        config: Box<RunConfig>,
        /// Output directory.
        out: PathBuf,
        /// No progress bars.
        quiet: bool,
    },
    /// `cashmatch demo`.
    Demo {
        /// Output directory.
        out: PathBuf,
        /// State directory, when not `<out>/state`.
        state: Option<PathBuf>,
        /// No progress bars.
        quiet: bool,
    },
    /// `cashmatch replay`.
    Replay {
        /// The published run directory.
        run_dir: PathBuf,
        /// Where to find inputs by recorded name, instead of recorded paths.
        inputs: Option<PathBuf>,
        /// Only this partition of a partitioned run.
        partition: Option<String>,
    },
    /// `cashmatch verify`: read-only checks of a run directory.
    Verify {
        /// The published run directory.
        run_dir: PathBuf,
    },
    /// `cashmatch recover`: finish a publish a crash interrupted.
    Recover {
        /// The run directory.
        run_dir: PathBuf,
        /// A state directory to lock while recovering.
        state: Option<PathBuf>,
    },
    /// `cashmatch state show`: the facts decisions taught.
    StateShow {
        /// The state directory.
        state: PathBuf,
        /// JSON instead of a table.
        json: bool,
    },
    /// `cashmatch state forget`: removes remembered facts.
    StateForget {
        /// The state directory.
        state: PathBuf,
        /// Which facts.
        target: crate::state::ForgetTarget,
    },
    /// `cashmatch generate`: a synthetic dataset with ground truth.
    Generate {
        /// Customers to create.
        customers: usize,
        /// Open items to create.
        invoices: usize,
        /// Bank lines to create.
        payments: usize,
        /// PRNG seed: the same seed gives the same files.
        seed: u64,
        /// Accounting date of the dataset.
        as_of: Option<NaiveDate>,
        /// Generator profile (`default`, `other`, `texttags`).
        profile: String,
        /// Output directory.
        out: PathBuf,
        /// Percent of expressible payments moved into an 820 advice.
        advices_percent: u32,
        /// Legal entities to spread the dataset over (below 2: one).
        companies: usize,
        /// Percent of paying payments sent to another company's account.
        intercompany_percent: u32,
        /// Percent of fully paid referenced payments made cross-currency.
        fx_percent: u32,
        /// Advice formats (`820`, `lockbox`, `remt001`, `camt054`, `csv`);
        /// empty: the 820 alone, as before.
        advice_formats: Vec<String>,
        /// Percent of applied receipts returned (same night and next night).
        returns_percent: u32,
    },
    /// `cashmatch report`: morning-after analytics of a published run.
    Report(crate::report::ReportRequest),
    /// `cashmatch backtest`: the forecast measured on cleared items.
    Backtest(crate::backtest::BacktestRequest),
    /// `cashmatch evaluate`: score a run against ground truth.
    Evaluate {
        /// `truth.csv` of a generated dataset.
        truth: PathBuf,
        /// The run's output directory.
        run: PathBuf,
        /// JSON instead of a table.
        json: bool,
    },
}

/// Loads and checks the rules file, or the defaults when there is none.
pub fn load_config(path: Option<&std::path::Path>) -> Result<RunConfig, CliError> {
    match path {
        Some(p) => RunConfig::load(p),
        None => Ok(RunConfig::default()),
    }
}

/// Runs one request; the result is the process exit code.
pub fn execute(request: Request) -> Result<i32, CliError> {
    match request {
        Request::Run { request, timings } => run_command(&request, timings),
        Request::Ingest {
            inputs,
            config,
            out,
            quiet,
        } => ingest_command(&inputs, &config, &out, quiet),
        Request::Demo { out, state, quiet } => demo::run_demo(&out, state, quiet),
        Request::Replay {
            run_dir,
            inputs,
            partition,
        } => {
            let report =
                crate::replay::replay_partition(&run_dir, inputs.as_deref(), partition.as_deref())?;
            print!("{}", report.text);
            if report.identical {
                Ok(0)
            } else {
                Err(CliError::Mismatch(format!(
                    "replay of `{}` differs from the published run: {}",
                    run_dir.display(),
                    report.differences.join(", ")
                )))
            }
        }
        Request::Verify { run_dir } => {
            let report = crate::verify::verify(&run_dir)?;
            print!("{}", report.text());
            if report.passed() {
                Ok(0)
            } else {
                Err(CliError::Mismatch(format!(
                    "verify of `{}` failed: {}",
                    run_dir.display(),
                    report.failed_names().join(", ")
                )))
            }
        }
        Request::StateShow { state, json } => {
            print!("{}", crate::state::show(&state, json)?);
            Ok(0)
        }
        Request::StateForget { state, target } => {
            println!("{}", crate::state::forget(&state, &target)?);
            Ok(0)
        }
        Request::Recover { run_dir, state } => {
            for note in run::recover(&run_dir, state.as_deref())? {
                println!("{note}");
            }
            Ok(0)
        }
        Request::Generate {
            customers,
            invoices,
            payments,
            seed,
            as_of,
            profile,
            out,
            advices_percent,
            companies,
            intercompany_percent,
            fx_percent,
            advice_formats,
            returns_percent,
        } => {
            evaluate::generate(customers, invoices, payments, seed, as_of, &profile, &out)?;
            // Before the advices: a payment made cross-currency keeps its
            // reference in the bank text.
            if fx_percent > 0 {
                let s = cashmatch_datasets::fx::add_fx(&out, fx_percent.min(100), seed)
                    .map_err(|e| CliError::Io(format!("cannot write FX payments: {e}")))?;
                println!(
                    "foreign-currency payments: {}, {} quotes in {}",
                    s.payments,
                    s.rates,
                    out.join("rates.csv").display()
                );
            }
            if companies >= 2 {
                let s = cashmatch_datasets::companies::add_companies(
                    &out,
                    companies,
                    seed,
                    intercompany_percent.min(100),
                )
                .map_err(|e| CliError::Io(format!("cannot spread over companies: {e}")))?;
                println!(
                    "companies: {} (open items {:?}), {} intercompany payments; config {}",
                    s.companies.join(", "),
                    s.items,
                    s.intercompany_payments,
                    out.join("companies.toml").display()
                );
            }
            if advices_percent > 0 {
                use cashmatch_datasets::advices::{AdviceFormat, AdviceOptions};
                let options = if advice_formats.is_empty() {
                    AdviceOptions::x12_only(advices_percent.min(100), seed)
                } else {
                    let mut formats = Vec::new();
                    for name in &advice_formats {
                        let f = AdviceFormat::from_name(name).ok_or_else(|| {
                            CliError::Config(format!(
                                "--advice-formats: `{name}` is not one of {}",
                                AdviceFormat::ALL.map(AdviceFormat::as_str).join(", ")
                            ))
                        })?;
                        if !formats.contains(&f) {
                            formats.push(f);
                        }
                    }
                    AdviceOptions {
                        formats,
                        ..AdviceOptions::all_formats(advices_percent.min(100), seed)
                    }
                };
                let s = cashmatch_datasets::advices::add_advices_with(&out, &options)
                    .map_err(|e| CliError::Io(format!("cannot write remittance advices: {e}")))?;
                println!(
                    "remittance advices: {} payments, {} invoice lines, {} deductions, {} multi-advice deposits in {}",
                    s.advices,
                    s.lines,
                    s.deductions,
                    s.deposits,
                    s.files.join(", ")
                );
                for (format, n) in &s.per_format {
                    println!("  {format:<10} {n:>7} payments");
                }
                if !advice_formats.is_empty() {
                    println!(
                        "run them with --config {} (lockbox layout, CSV columns, deduction reasons); advices_truth.csv states every line",
                        out.join("remittance.toml").display()
                    );
                }
            }
            // Last: a return takes back a receipt as the bank finally shows
            // it (in its currency, on its company's account, after advices
            // moved its invoices out of the bank text).
            if returns_percent > 0 {
                let s =
                    cashmatch_datasets::returns::add_returns(&out, seed, returns_percent.min(100))
                        .map_err(|e| {
                            CliError::Io(format!("cannot write returned payments: {e}"))
                        })?;
                println!(
                    "returned payments: {} ({} same night in {}, {} next night in {}); truth in returns_truth.csv",
                    s.same_night + s.next_night,
                    s.same_night,
                    out.join("returns").join("same_night.csv").display(),
                    s.next_night,
                    out.join("returns").join("next_night.csv").display(),
                );
            }
            Ok(0)
        }
        Request::Report(request) => {
            let outcome = crate::report::report(&request)?;
            print!("{}", crate::report::summary(&outcome));
            Ok(0)
        }
        Request::Backtest(request) => {
            let (_, lines) = crate::backtest::backtest(&request)?;
            print!("{lines}");
            Ok(0)
        }
        Request::Evaluate { truth, run, json } => {
            let report = evaluate::evaluate(&truth, &run)?;
            println!("{}", if json { report.json } else { report.table });
            Ok(0)
        }
    }
}

/// Runs `request` and prints what a controller reads: the summary on
/// stdout, rejected files on stderr; or that the batch was already
/// processed (`None`: nothing new was published).
pub fn run_and_summarise(request: &RunRequest) -> Result<Option<Box<run::RunReport>>, CliError> {
    match run::run(request)? {
        RunStatus::Published(report) => {
            print!("{}", run::summary(&report, &request.out));
            eprint!("{}", run::rejections_text(&report.manifest.rejections));
            Ok(Some(report))
        }
        RunStatus::AlreadyProcessed {
            run_id,
            manifest_sha256,
        } => {
            println!(
                "{}",
                run::already_processed_message(&run_id, &manifest_sha256)
            );
            Ok(None)
        }
    }
}

fn run_command(request: &RunRequest, timings: bool) -> Result<i32, CliError> {
    if !request.config.partition.is_default() {
        // A partitioned run (issue 12): its own publish, no state.
        let report = crate::partition::run(request)?;
        print!(
            "{}",
            crate::partition::summary(&report.manifest, &request.out)
        );
        eprint!("{}", run::rejections_text(&report.manifest.rejections));
        return Ok(if report.manifest.rejections.is_empty() {
            0
        } else {
            EXIT_COMPLETED_WITH_REJECTIONS
        });
    }
    let Some(report) = run_and_summarise(request)? else {
        return Ok(0);
    };
    if timings {
        for (stage, secs) in &report.timings {
            eprintln!("timing {stage:<24} {secs:>8.3} s");
        }
    }
    Ok(if report.manifest.rejections.is_empty() {
        0
    } else {
        EXIT_COMPLETED_WITH_REJECTIONS
    })
}

fn ingest_command(
    inputs: &[PathBuf],
    config: &RunConfig,
    out: &std::path::Path,
    quiet: bool,
) -> Result<i32, CliError> {
    let (batch, remittances, written) = run::ingest(inputs, config, out, quiet)?;
    for s in &batch.statements {
        println!(
            "{:<50} {:<9} {:<28} {:>4} entries  {}{}",
            s.source_file,
            s.format,
            s.statement.account,
            s.statement.entries,
            s.statement.balance_check.as_str(),
            if s.statement.check_detail.is_empty() {
                String::new()
            } else {
                format!(": {}", s.statement.check_detail)
            }
        );
    }
    for line in remittances.report() {
        println!("{line}");
    }
    eprint!("{}", run::rejections_text(&batch.rejections));
    eprint!("{}", run::rejections_text(&remittances.rejections));
    for f in &written {
        println!("wrote {} ({} rows)", out.join(&f.name).display(), f.rows);
    }
    let failed = batch
        .statements
        .iter()
        .any(|s| s.statement.balance_check == cashmatch_parsers::BalanceCheck::Fail)
        || batch
            .files
            .iter()
            .any(|f| f.status == InputStatus::Rejected)
        || remittances.has_failures();
    Ok(if failed {
        EXIT_COMPLETED_WITH_REJECTIONS
    } else {
        0
    })
}
