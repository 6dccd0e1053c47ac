//! `cashmatch`: turns what was typed into a validated [`Request`] and hands
//! it to [`commands::execute`]. Nothing else happens here.

use cashmatch::commands::{self, load_config, Request};
use cashmatch::run::{CustomersSource, OpenItemsSource, RunAnalytics, RunRequest, StateMode};
use cashmatch::CliError;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc, not glibc's malloc: a run allocates and frees many small blocks
/// on several threads (parse, extracts, passes), and glibc keeps what they
/// freed in per-thread arenas, so resident memory stayed ~0.65 GiB per million
/// payments above the live heap (BENCHMARKS.md, issue 8). mimalloc returns
/// freed pages to the OS. Only the binary chooses: the library crates (and
/// the Python package) keep whatever allocator their host uses.
#[cfg(not(feature = "heap-stats"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// With `--features heap-stats`: mimalloc behind a counter of live bytes,
/// whose peak is printed at exit (memory work only: the counter is an atomic
/// add per allocation).
#[cfg(feature = "heap-stats")]
#[global_allocator]
static ALLOCATOR: heap_stats::Counting = heap_stats::Counting;

#[cfg(feature = "heap-stats")]
mod heap_stats {
    use std::alloc::{GlobalAlloc, Layout};
    use std::sync::atomic::{AtomicUsize, Ordering};

    static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
    static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

    /// Counts live bytes (as requested, not as rounded by the allocator).
    pub struct Counting;

    fn grew(bytes: usize) {
        let live = LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
        PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
    }

    fn shrank(bytes: usize) {
        LIVE_BYTES.fetch_sub(bytes, Ordering::Relaxed);
    }

    // SAFETY: every call is forwarded unchanged to mimalloc; the counters
    // only observe sizes.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = mimalloc::MiMalloc.alloc(layout);
            if !p.is_null() {
                grew(layout.size());
            }
            p
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = mimalloc::MiMalloc.alloc_zeroed(layout);
            if !p.is_null() {
                grew(layout.size());
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            mimalloc::MiMalloc.dealloc(ptr, layout);
            shrank(layout.size());
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let p = mimalloc::MiMalloc.realloc(ptr, layout, new_size);
            if !p.is_null() {
                shrank(layout.size());
                grew(new_size);
            }
            p
        }
    }

    /// `heap peak live N MiB, live at exit M MiB` on stderr.
    pub fn report() {
        const MIB: f64 = 1024.0 * 1024.0;
        eprintln!(
            "heap peak live {:.0} MiB, live at exit {:.0} MiB",
            PEAK_BYTES.load(Ordering::Relaxed) as f64 / MIB,
            LIVE_BYTES.load(Ordering::Relaxed) as f64 / MIB
        );
    }
}

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
        /// Analytics set (<OUT>/analytics, issue 10): every invoice issued
        /// in the period (as `report --invoices`).
        #[arg(long)]
        invoices: Option<PathBuf>,
        /// Analytics: items cleared before cashmatch (as `report --cleared-items`).
        #[arg(long)]
        cleared_items: Option<PathBuf>,
        /// Analytics: the run directory at the start of the CEI period.
        #[arg(long)]
        opening: Option<PathBuf>,
        /// Analytics config (TOML with [kpi] and [dunning], as `report --config`).
        #[arg(long)]
        analytics_config: Option<PathBuf>,
        /// Split the run by these keys (`currency`, `company_code`, comma-separated,
        /// in path order): Hive-partitioned outputs, one manifest per partition
        /// and a top manifest (overrides `[partition] by` of the config).
        #[arg(long, value_parser = parse_partition_plan)]
        partition_by: Option<cashmatch::partition::PartitionPlan>,
        /// Publish the run without the analytics set (pure matching benchmarks).
        #[arg(long, conflicts_with_all = ["invoices", "cleared_items", "opening", "analytics_config"])]
        no_analytics: bool,
        /// Remittance advice files or folders (X12 820, BAI lockbox, NACHA
        /// CTX/CCD+, remt.001, camt.054, remittance CSV; detected by content).
        #[arg(long, num_args = 1..)]
        remittance: Vec<PathBuf>,
        /// Decisions on earlier exceptions (CSV: transaction_id, invoice_id,
        /// amount, action, reason, decided_by), applied first with rule
        /// MANUAL; what they teach is remembered in the state.
        #[arg(long)]
        decisions: Option<PathBuf>,
        /// Exchange rates (CSV: date, from, to, rate, source) for payments
        /// in another currency than their invoices; see `[fx]` in README.
        #[arg(long)]
        rates: Option<PathBuf>,
    },
    /// Re-run a published run from its manifest and compare every output byte for byte.
    Replay {
        /// The run directory (holds manifest.json).
        run_dir: PathBuf,
        /// Find inputs by their recorded name under this folder instead of
        /// the paths in the manifest.
        #[arg(long)]
        inputs: Option<PathBuf>,
        /// A partitioned run: replay only this partition (`currency=EUR`,
        /// as its folder is named) and compare its files and manifest.
        #[arg(long)]
        partition: Option<String>,
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
    /// Parse bank statements and remittance advices without matching:
    /// transactions.parquet, statements.parquet and remittances.parquet.
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
    /// What the state remembers from people's decisions: list or forget facts.
    State {
        #[command(subcommand)]
        action: StateAction,
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
        /// World to generate: `default` (today's, byte-identical), `other`
        /// (other numbering, languages, payer habits, credit notes) or
        /// `texttags` (BAI2 and MT940 with payer data only in text tags).
        #[arg(long, default_value = "default")]
        profile: String,
        #[arg(long)]
        out: PathBuf,
        /// Percent of the payments an advice can state whose invoices move
        /// into an X12 820 (`remittance/advices.820`), their bank lines
        /// keeping only the trace number (0: none, the files as before).
        #[arg(long, default_value_t = 0)]
        advices_percent: u32,
        /// Spread the dataset over N legal entities (N >= 2): open items
        /// get a `company_code`, bank lines the account of a company, and
        /// `companies.toml` maps the accounts (0 or 1: one company, the
        /// files as before).
        #[arg(long, default_value_t = 0)]
        companies: usize,
        /// With `--companies`: percent of the paying payments sent to the
        /// account of another company than their invoice's.
        #[arg(long, default_value_t = 5)]
        intercompany_percent: u32,
        /// Percent of the payments paying their invoices in full by
        /// reference that are rewritten in another currency, with the
        /// rates in `rates.csv` (0: none, the files as before).
        #[arg(long, default_value_t = 0)]
        fx_percent: u32,
        /// Formats the advices are spread over (comma-separated: `820`,
        /// `lockbox`, `remt001`, `camt054`, `csv`). Given, it also writes
        /// deductions with their reasons, multi-advice deposits (lockbox
        /// batches, two 820s under one trace), `remittance.toml` (the run
        /// config the files need) and `advices_truth.csv`.
        #[arg(long, value_delimiter = ',')]
        advice_formats: Vec<String>,
        /// Percent of the applied receipts that come back as returns (ACH
        /// and SEPA reason codes), half booked the same night
        /// (`returns/same_night.csv`, run with `bank.csv`), half the next
        /// night (`returns/next_night.csv`, a second run with the state),
        /// with `returns_truth.csv` (0: none, the files as before).
        #[arg(long, default_value_t = 0)]
        returns_percent: u32,
    },
    /// Morning-after analytics of a published run: KPIs, dunning, disputes, report.html.
    Report {
        /// The run directory (holds manifest.json).
        run_dir: PathBuf,
        /// Output folder (default: RUN_DIR/analytics).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Analytics config (TOML with [kpi] and [dunning]).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Every invoice issued in the period (CSV or Parquet: invoice_id,
        /// customer_id, currency, amount, invoice_date, due_date): credit
        /// sales for DSO and CEI.
        #[arg(long)]
        invoices: Option<PathBuf>,
        /// The run directory at the start of the CEI period (beginning receivables).
        #[arg(long)]
        opening: Option<PathBuf>,
        /// Items cleared before cashmatch (open-item columns plus
        /// cleared_date): payment history on day one.
        #[arg(long)]
        cleared_items: Option<PathBuf>,
        /// State directory holding the AR history (default: the run's).
        #[arg(long, conflicts_with = "no_history")]
        state: Option<PathBuf>,
        /// Neither read nor extend the AR history.
        #[arg(long)]
        no_history: bool,
    },
    /// Measure the payment-date forecast on cleared items: the latest share
    /// by invoice date is forecast from the rest; writes backtest.json.
    Backtest {
        /// Cleared items (open-item columns plus cleared_date).
        #[arg(long)]
        cleared_items: PathBuf,
        /// Share of the items held out, latest by invoice date.
        #[arg(long, default_value = "0.2")]
        holdout: rust_decimal::Decimal,
        /// Analytics config (TOML: [forecast], [cleared_items]).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Folder for backtest.json.
        #[arg(long, default_value = ".")]
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

#[derive(Subcommand, Debug)]
enum StateAction {
    /// List the remembered facts (payer account / name → customer), in a stable order.
    Show {
        /// State directory (default: out/state, the demo's).
        #[arg(long, default_value = "out/state")]
        state: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Forget facts: by id, or every fact about a payer account or name.
    /// Append-only: a forget record is written, earlier segments stay.
    Forget {
        /// The fact id `state show` lists.
        #[arg(required_unless_present_any = ["payer_account", "payer_name"], conflicts_with_all = ["payer_account", "payer_name"])]
        fact_id: Option<String>,
        /// Every fact about this payer account.
        #[arg(long, conflicts_with = "payer_name")]
        payer_account: Option<String>,
        /// Every fact about this payer name.
        #[arg(long)]
        payer_name: Option<String>,
        /// State directory (default: out/state, the demo's).
        #[arg(long, default_value = "out/state")]
        state: PathBuf,
    },
}

fn parse_partition_plan(s: &str) -> Result<cashmatch::partition::PartitionPlan, String> {
    cashmatch::partition::PartitionPlan::parse(s)
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; use YYYY-MM-DD"))
}

impl Cli {
    /// What was typed, as a validated request: paths as given, the rules
    /// file loaded and checked, defaults filled in. Nothing runs here.
    fn into_request(self) -> Result<Request, CliError> {
        let quiet = self.quiet;
        Ok(match self.command {
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
                invoices,
                cleared_items,
                opening,
                analytics_config,
                no_analytics,
                remittance,
                decisions,
                rates,
                partition_by,
            } => {
                let mut config = load_config(config.as_deref())?;
                if let Some(plan) = partition_by {
                    config.partition = plan;
                }
                let accept_unbalanced = accept_unbalanced || config.bank.accept_unbalanced;
                let state = match (state, no_state) {
                    (_, true) => StateMode::Off,
                    (Some(dir), false) => StateMode::Dir(dir),
                    (None, false) => StateMode::default_for(&out),
                };
                Request::Run {
                    request: Box::new(RunRequest {
                        bank,
                        bank_inputs: None,
                        open_items: OpenItemsSource::File(open_items),
                        customers: customers.map(CustomersSource::File),
                        config,
                        as_of,
                        out,
                        accept_unbalanced,
                        quiet,
                        state,
                        recorded_inputs: None,
                        analytics: (!no_analytics).then_some(RunAnalytics {
                            config: analytics_config,
                            invoices,
                            opening,
                            cleared_items,
                        }),
                        remittance,
                        remittance_inputs: None,
                        decisions,
                        rates,
                    }),
                    timings: self.timings,
                }
            }
            Command::Ingest {
                inputs,
                config,
                out,
            } => Request::Ingest {
                inputs,
                config: Box::new(load_config(config.as_deref())?),
                out,
                quiet,
            },
            Command::State { action } => match action {
                StateAction::Show { state, json } => Request::StateShow { state, json },
                StateAction::Forget {
                    fact_id,
                    payer_account,
                    payer_name,
                    state,
                } => Request::StateForget {
                    state,
                    target: match (fact_id, payer_account, payer_name) {
                        (Some(id), _, _) => cashmatch::state::ForgetTarget::Fact(id),
                        (_, Some(account), _) => {
                            cashmatch::state::ForgetTarget::PayerAccount(account)
                        }
                        (_, _, Some(name)) => cashmatch::state::ForgetTarget::PayerName(name),
                        (None, None, None) => {
                            return Err(CliError::Input(
                                "state forget: name a fact id, --payer-account or --payer-name"
                                    .into(),
                            ))
                        }
                    },
                },
            },
            Command::Demo { out, state } => Request::Demo { out, state, quiet },
            Command::Replay {
                run_dir,
                inputs,
                partition,
            } => Request::Replay {
                run_dir,
                inputs,
                partition,
            },
            Command::Verify { run_dir } => Request::Verify { run_dir },
            Command::Recover { run_dir, state } => Request::Recover { run_dir, state },
            Command::Generate {
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
            } => Request::Generate {
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
            },
            Command::Evaluate { truth, run, json } => Request::Evaluate { truth, run, json },
            Command::Report {
                run_dir,
                out,
                config,
                invoices,
                opening,
                cleared_items,
                state,
                no_history,
            } => Request::Report(cashmatch::report::ReportRequest {
                run_dir,
                out,
                config,
                invoices,
                opening,
                cleared_items,
                state,
                no_history,
            }),
            Command::Backtest {
                cleared_items,
                holdout,
                config,
                out,
            } => Request::Backtest(cashmatch::backtest::BacktestRequest {
                cleared_items,
                holdout,
                config,
                out,
            }),
        })
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
    let result = cli.into_request().and_then(commands::execute);
    #[cfg(feature = "heap-stats")]
    heap_stats::report();
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("error: {e}\nhint: {}", e.hint());
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
