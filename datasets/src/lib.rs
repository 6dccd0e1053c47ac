//! Synthetic cash-application datasets with ground truth, the scoring
//! function every matching change is measured with, and a small bundled
//! demo set.
//!
//! [`generate`] writes four files from a [`GeneratorConfig`]:
//!
//! | file | what it holds |
//! |---|---|
//! | `customers.csv` | `customer_id,name,bank_accounts,aliases` (`;`-separated lists); profile `other` adds `parent_id` |
//! | `open_items.csv` | `invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date,discount_percent,discount_days,po_number` |
//! | `bank.csv` | the canonical bank CSV: `account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference` |
//! | `truth.csv` | `bank_reference,invoice_id,applied_amount,scenario,discount_amount,writeoff_amount` |
//!
//! History mode ([`history`]) adds the months before the as-of date for
//! the analytics: every invoice issued (`--invoices`) and the items cleared
//! before the statements (`--cleared-items`), from a separate PRNG stream.
//!
//! Every bank line belongs to one [`Scenario`] (exact reference, noisy
//! reference, short pay, duplicate, ...). [`evaluate`] compares an engine's
//! applications with the truth, line by line and per scenario.
//!
//! The same config always gives byte-identical files: the generator draws
//! from its own documented PRNG ([`prng`]), never from a crate whose
//! algorithms may change.
//!
//! ```
//! use cashmatch_datasets::{evaluate, generate, read_truth, GeneratorConfig, PredictedLine};
//!
//! let dir = std::env::temp_dir().join(format!("cashmatch-doc-{}", std::process::id()));
//! let config = GeneratorConfig { customers: 20, invoices: 100, payments: 60, ..Default::default() };
//! let summary = generate(&config, &dir)?;
//! assert_eq!(summary.payments, 60);
//!
//! // A perfect engine: predict exactly the truth.
//! let truth = read_truth(&dir.join("truth.csv"))?;
//! let predicted: Vec<PredictedLine> = truth
//!     .iter()
//!     .filter(|t| !t.pays_nothing())
//!     .map(|t| PredictedLine {
//!         bank_reference: t.bank_reference.clone(),
//!         invoice_id: t.invoice_id.clone(),
//!         applied_amount: t.applied_amount,
//!         discount_amount: t.discount_amount,
//!         writeoff_amount: t.writeoff_amount,
//!     })
//!     .collect();
//! let evaluation = evaluate(&truth, &predicted);
//! assert_eq!(evaluation.total.precision, Some(1.0));
//! assert_eq!(evaluation.total.recall, Some(1.0));
//! println!("{evaluation}");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Remittance advices (X12 820) for a generated dataset (issue 11).
pub mod advices;
pub mod companies;
mod config;
mod csv_out;
mod customers;
pub mod demo;
mod evaluate;
/// Foreign-currency payments and their rates table (issue 11, part 2).
pub mod fx;
mod generate;
pub mod history;
mod ledger;
mod payments;
pub mod prng;
pub mod returns;
/// Slices of an evaluation: FX, advice formats, companies; returns scored (issue 11).
pub mod slices;
mod statements;
mod text;
mod truth;
mod words;

pub use config::{GeneratorConfig, Profile, Scenario, ScenarioWeights};
pub use evaluate::{evaluate, evaluate_with, evaluation_json, Counts, Evaluation};
pub use generate::{
    generate, GenerateSummary, BANK_HEADER, CUSTOMERS_HEADER, CUSTOMERS_HEADER_WITH_PARENT,
    OPEN_ITEMS_HEADER, TRUTH_HEADER,
};
pub use truth::{
    read_predicted, read_truth, PredictedDeduction, PredictedException, PredictedExtras,
    PredictedLine, TruthLine,
};
