use cashmatch::config::RunConfig;
use cashmatch::run::{self, CustomersSource, OpenItemsSource, RunRequest, RunStatus, StateMode};
use cashmatch::{demo, evaluate, CliError, EXIT_COMPLETED_WITH_REJECTIONS};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// cashmatch: cash application and bank reconciliation.
#[derive(Parser, Debug)]
#[command(name = "cashmatch", version, about, long_about = None)]
struct Cli {
    /// Worker threads (default: all cores). Outputs are identical at any count.
    #[arg(long, global = true)]
    threads: Option<usize>,
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Print how long each stage took (to stderr).
    #[arg(long, global = true)]
    timings: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply bank receipts to open items and write the outputs.
    Run {
        /// Bank statement files or folders (BAI2, camt.052/053/054, MT940/942, bank CSV).
        #[arg(long, required = true, num_args = 1..)]
        bank: Vec<PathBuf>,
        /// Open-item extract (CSV or Parquet).
        #[arg(long)]
        open_items: PathBuf,
        /// Customer master (CSV or Parquet).
        #[arg(long)]
        customers: Option<PathBuf>,
        /// Rules file (TOML).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Accounting date for aging (default: latest booking date in the statements).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Ingest statements whose own balances fail (recorded in the manifest).
        #[arg(long)]
        accept_unbalanced: bool,
        /// State directory remembering processed statements and transactions
        /// (default: <OUT>/state).
        #[arg(long, conflicts_with = "no_state")]
        state: Option<PathBuf>,
        /// Run without state: every input transaction is treated as new.
        #[arg(long)]
        no_state: bool,
    },
    /// Re-run a published run from its manifest and compare every output byte for byte.
    Replay {
        /// The run directory (holds manifest.json).
        run_dir: PathBuf,
        /// Find inputs by their recorded name under this folder instead of
        /// the paths in the manifest.
        #[arg(long)]
        inputs: Option<PathBuf>,
    },
    /// Re-check a run's invariants and hashes from its output files alone (reads only).
    Verify {
        /// The run directory (holds manifest.json).
        run_dir: PathBuf,
    },
    /// Finish a publish a crash interrupted (a `.commit-*` folder) and remove staging leftovers.
    Recover {
        /// The run directory.
        run_dir: PathBuf,
        /// A state directory to lock while recovering and to clear of markers
        /// of finished runs (the state a commit names is locked anyway).
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Parse bank statements without matching: transactions.parquet and statements.parquet.
    Ingest {
        #[arg(required = true, num_args = 1..)]
        inputs: Vec<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the bundled demo batch into ./out (or --out).
    Demo {
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// State directory (default: <OUT>/state).
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// Write a synthetic dataset with ground truth.
    Generate {
        #[arg(long, default_value_t = 1000)]
        customers: usize,
        #[arg(long, default_value_t = 5000)]
        invoices: usize,
        #[arg(long, default_value_t = 3000)]
        payments: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Score a run against ground truth: line-level precision and recall.
    Evaluate {
        #[arg(long)]
        truth: PathBuf,
        /// A run's output directory (reads applications.parquet).
        #[arg(long)]
        run: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; use YYYY-MM-DD"))
}

fn load_config(path: &Option<PathBuf>) -> Result<RunConfig, CliError> {
    match path {
        Some(p) => RunConfig::load(p),
        None => Ok(RunConfig::default()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
        {
            eprintln!("error: cannot start {n} threads: {e}");
            return ExitCode::from(1);
        }
    }
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e}\nhint: {}", e.hint());
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn dispatch(cli: Cli) -> Result<i32, CliError> {
    let quiet = cli.quiet;
    let timings = cli.timings;
    match cli.command {
        Command::Run {
            bank,
            open_items,
            customers,
            config,
            as_of,
            out,
            accept_unbalanced,
            state,
            no_state,
        } => {
            let config = load_config(&config)?;
            let accept_unbalanced = accept_unbalanced || config.bank.accept_unbalanced;
            let state = match (state, no_state) {
                (_, true) => StateMode::Off,
                (Some(dir), false) => StateMode::Dir(dir),
                (None, false) => StateMode::default_for(&out),
            };
            let req = RunRequest {
                bank,
                bank_inputs: None,
                open_items: OpenItemsSource::File(open_items),
                customers: customers.map(CustomersSource::File),
                config,
                as_of,
                out: out.clone(),
                accept_unbalanced,
                quiet,
                state,
                recorded_inputs: None,
            };
            let report = match run::run(&req)? {
                RunStatus::Published(report) => report,
                RunStatus::AlreadyProcessed {
                    run_id,
                    manifest_sha256,
                } => {
                    println!(
                        "{}",
                        run::already_processed_message(&run_id, &manifest_sha256)
                    );
                    return Ok(0);
                }
            };
            print!("{}", run::summary(&report, &out));
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
        Command::Ingest {
            inputs,
            config,
            out,
        } => {
            let config = load_config(&config)?;
            let (batch, written) = run::ingest(&inputs, &config, &out, quiet)?;
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
            for r in &batch.rejections {
                println!("rejected: {r}");
            }
            for f in &written {
                println!("wrote {} ({} rows)", out.join(&f.name).display(), f.rows);
            }
            let failed = batch
                .statements
                .iter()
                .any(|s| s.statement.balance_check == cashmatch_parsers::BalanceCheck::Fail)
                || batch.files.iter().any(|f| f.status == "rejected");
            Ok(if failed {
                EXIT_COMPLETED_WITH_REJECTIONS
            } else {
                0
            })
        }
        Command::Demo { out, state } => demo::run_demo(&out, state, quiet),
        Command::Replay { run_dir, inputs } => {
            let report = cashmatch::replay::replay(&run_dir, inputs.as_deref())?;
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
        Command::Verify { run_dir } => {
            let report = cashmatch::verify::verify(&run_dir)?;
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
        Command::Recover { run_dir, state } => {
            for note in cashmatch::run::recover(&run_dir, state.as_deref())? {
                println!("{note}");
            }
            Ok(0)
        }
        Command::Generate {
            customers,
            invoices,
            payments,
            seed,
            as_of,
            out,
        } => {
            evaluate::generate(customers, invoices, payments, seed, as_of, &out)?;
            Ok(0)
        }
        Command::Evaluate { truth, run, json } => {
            let report = evaluate::evaluate(&truth, &run)?;
            println!("{}", if json { report.json } else { report.table });
            Ok(0)
        }
    }
}
