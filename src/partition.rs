//! Partitioned runs (issue 12): one run split by a partition plan
//! (`--partition-by currency[,company_code]`, or `[partition] by` in the
//! rules file) into independent kernel runs, one per partition, with
//! Hive-partitioned outputs:
//!
//! ```text
//! <out>/applications/currency=EUR/part-<content hash>.parquet   (and the other run tables)
//! <out>/statements/part-<content hash>.parquet                  (all statements, not partitioned)
//! <out>/_partitions/currency=EUR/manifest.json                  (one manifest per partition)
//! <out>/manifest.json                                           (the top manifest, written last)
//! ```
//!
//! The same functions run a partition on one machine (`cashmatch run
//! --partition-by`) and inside a Spark task (`python/cashmatch/spark.py`
//! through the Python package): a partition's rows reach the kernel through
//! one interchange table per input ([`transactions_interchange`],
//! [`items_interchange`]: exact decimal text, the partition path and the
//! kernel's total order `_seq`), so both paths hand the engine the same
//! records in the same order and write the same bytes.
//!
//! What a partition sees: its own transactions and open items (rows whose
//! keys are equal), the whole customer master (broadcast), the run's as-of
//! date (derived once from every transaction) and the run's configuration.
//! A payment naming an invoice of another partition is not matched across:
//! it stays in the exceptions of its own partition (SCALING.md, "What stays
//! global"). A partitioned run keeps no state of earlier runs (like the
//! Python run), and takes no remittance advices or decisions yet.

use crate::config::RunConfig;
use crate::inputs::{BankBatch, InputFile, StatementRecord};
use crate::output;
use crate::CliError;
use arrow_array::builder::{Date32Builder, Int64Builder, StringBuilder};
use arrow_array::{Array, ArrayRef, Date32Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use cashmatch_engine::columns::{ItemView, OpenItemsBuilder, TransactionsBuilder, TxnView};
use cashmatch_engine::company::{company_of, Companies};
use cashmatch_engine::config::CompanyConfig;
use cashmatch_engine::model::{
    BankTransaction, Batch, Customers, HoldReason, ItemHold, OpenItem, OpenItems, Transactions,
};
use cashmatch_store::manifest::{self, Counts, Manifest, WrittenFile, MANIFEST_NAME};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// `format` of a partitioned run's top manifest (an unpartitioned run's
/// manifest has no such key).
pub const FORMAT: &str = "cashmatch-partitioned/1";
/// Folder of the partition manifests; the leading `_` keeps Hive-style
/// readers (Spark, DuckDB, Polars) from taking it for data.
pub const PARTITIONS_DIR: &str = "_partitions";
/// The statements table of a partitioned run (one file, not partitioned:
/// a statement belongs to a bank file, not to a company or currency).
pub const STATEMENTS_DIR: &str = "statements";
/// Interchange column: the partition path of the row (`currency=EUR`).
pub const PARTITION_COLUMN: &str = "_partition";
/// Interchange column: the row's place in the kernel's total order (input
/// order: bank files by name, then line; extract rows in file order).
pub const SEQ_COLUMN: &str = "_seq";
/// The plan of a Spark run when neither the call nor the rules name one
/// (`cashmatch.spark.run`): a group's natural unit of work is one legal
/// entity's receipts in one currency.
pub const SPARK_DEFAULT_PLAN: &str = "company_code,currency";
/// One partition key. Values are strings, always: a company code `0100`
/// stays `0100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionKey {
    /// The legal entity (company code) of the item or transaction.
    CompanyCode,
    /// ISO 4217 currency of the item or transaction.
    Currency,
}

impl PartitionKey {
    /// The key's name (the Hive column name).
    pub fn name(self) -> &'static str {
        match self {
            PartitionKey::CompanyCode => "company_code",
            PartitionKey::Currency => "currency",
        }
    }

    /// The key's value for a bank transaction (its company: the one owning
    /// the receiving account, [`company_of`]).
    pub fn of_transaction<'a>(self, t: TxnView<'a>, company: &'a CompanyConfig) -> &'a str {
        match self {
            PartitionKey::Currency => t.currency(),
            PartitionKey::CompanyCode => company_of(company, t),
        }
    }

    /// The key's value for an open item (its company: its `company_code`,
    /// else the default, [`company_of`]).
    pub fn of_item<'a>(self, i: ItemView<'a>, company: &'a CompanyConfig) -> &'a str {
        match self {
            PartitionKey::Currency => i.currency(),
            PartitionKey::CompanyCode => company_of(company, i),
        }
    }
}

impl FromStr for PartitionKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "currency" => Ok(PartitionKey::Currency),
            "company_code" => Ok(PartitionKey::CompanyCode),
            other => Err(format!(
                "unknown partition key `{other}` (expected `currency` or `company_code`)"
            )),
        }
    }
}

/// How a run is split: the keys, in the order of the Hive path. Empty: the
/// run is not partitioned. Part of the configuration, so of the config
/// hash and the run id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PartitionPlan {
    /// The partition keys (`["currency"]`, `["company_code", "currency"]`).
    pub by: Vec<PartitionKey>,
}

impl PartitionPlan {
    /// True when the run is not partitioned (the key is then left out of
    /// the canonical config, so unpartitioned manifests are unchanged).
    pub fn is_default(&self) -> bool {
        self.by.is_empty()
    }

    /// A plan from `currency,company_code`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let by = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(PartitionKey::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        let plan = PartitionPlan { by };
        plan.validate()?;
        if plan.by.is_empty() {
            return Err("--partition-by needs at least one key".into());
        }
        Ok(plan)
    }

    /// Each key at most once.
    pub fn validate(&self) -> Result<(), String> {
        for (i, k) in self.by.iter().enumerate() {
            if self.by[..i].contains(k) {
                return Err(format!("[partition] by names `{}` twice", k.name()));
            }
        }
        Ok(())
    }

    /// The Hive path of a transaction's partition (`currency=EUR`).
    pub fn path_of_transaction(&self, t: TxnView<'_>, company: &CompanyConfig) -> String {
        self.path(|k| k.of_transaction(t, company))
    }

    /// The Hive path of an open item's partition.
    pub fn path_of_item(&self, i: ItemView<'_>, company: &CompanyConfig) -> String {
        self.path(|k| k.of_item(i, company))
    }

    fn path<'v>(&self, value: impl Fn(PartitionKey) -> &'v str) -> String {
        let mut s = String::new();
        for k in &self.by {
            if !s.is_empty() {
                s.push('/');
            }
            s.push_str(k.name());
            s.push('=');
            s.push_str(&hive_escape(value(*k)));
        }
        s
    }
}

/// Refuses a configuration a partitioned run cannot honour, naming the
/// setting and what to do instead. One check for every partitioned path:
/// `run --partition-by`, `replay` of a partitioned run ([`compute`]) and the
/// Spark job (`cashmatch.spark.run`, through the Python package).
///
/// `[intercompany] allow = true` lets a receipt of one company clear
/// another company's invoice; a plan by `company_code` puts the receipt and
/// the invoice in different partitions, which never meet, so the setting
/// would silently do nothing and the run would differ from an unpartitioned
/// one. Partitioned by `currency` alone, every company of a currency is in
/// one partition and intercompany applications work as in a plain run.
pub fn check_config(config: &RunConfig) -> Result<(), CliError> {
    config.partition.validate().map_err(CliError::Config)?;
    if config.intercompany.allow && config.partition.by.contains(&PartitionKey::CompanyCode) {
        return Err(CliError::Config(format!(
            "`[intercompany] allow = true` cannot be used with a partition plan by `company_code` \
             (`{}`): a receipt of one company and the other company's invoice are in different \
             partitions and never meet. Partition by `currency` only (`--partition-by currency`), \
             or set `[intercompany] allow = false` (cross-company receipts then stay exceptions \
             of their own partition)",
            config
                .partition
                .by
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(",")
        )));
    }
    Ok(())
}

/// A partition value as a path segment, escaped as Hive escapes it (`%XX`
/// for anything but letters, digits, `_`, `-` and a `.` not in front); an
/// empty value is Hive's default partition. Values come from input, so
/// this is also what keeps a value from naming another directory.
pub fn hive_escape(value: &str) -> String {
    if value.is_empty() {
        return "__HIVE_DEFAULT_PARTITION__".into();
    }
    let mut s = String::with_capacity(value.len());
    for (i, b) in value.bytes().enumerate() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && i > 0) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The name of a partition file: content-addressed, so a retried task
/// writes the same name with the same bytes.
pub fn part_name(sha256: &str) -> String {
    format!("part-{}.parquet", &sha256[..16.min(sha256.len())])
}

/// What every partition of a run shares.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The run id (inputs, config with the plan, engine version, as-of).
    pub run_id: String,
    /// The run's accounting date.
    pub as_of: NaiveDate,
    /// The validated configuration (with the plan).
    pub config: RunConfig,
    /// Ingest statements whose own totals fail.
    pub accept_unbalanced: bool,
}

impl RunSpec {
    /// The spec of a run over `inputs` (every input file, in the order the
    /// manifest lists them: bank files by name, open items, customers).
    pub fn new(
        inputs: &[InputFile],
        config: RunConfig,
        as_of: NaiveDate,
        accept_unbalanced: bool,
    ) -> RunSpec {
        let config_sha256 = output::sha256_hex(config.canonical_toml().as_bytes());
        let run_id = manifest::run_id(
            crate::run::ENGINE,
            crate::run::ENGINE_VERSION,
            inputs,
            &config_sha256,
            &as_of.to_string(),
            accept_unbalanced,
        );
        RunSpec {
            run_id,
            as_of,
            config,
            accept_unbalanced,
        }
    }
}

/// One file a partition (or the run) writes, relative to the run directory.
#[derive(Debug, Clone)]
pub struct PartFile {
    /// Relative path (`applications/currency=EUR/part-….parquet`).
    pub path: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Rows of the table.
    pub rows: u64,
}

impl PartFile {
    /// How a manifest lists it.
    pub fn written(&self) -> WrittenFile {
        WrittenFile {
            name: self.path.clone(),
            sha256: output::sha256_hex(&self.bytes),
            rows: self.rows,
            bytes: self.bytes.len() as u64,
        }
    }
}

/// What one partition's kernel run produced.
#[derive(Debug, Clone)]
pub struct PartitionOutput {
    /// The partition path (`currency=EUR`).
    pub partition: String,
    /// Its data files, in the order of the run's tables.
    pub files: Vec<PartFile>,
    /// Its manifest (`_partitions/<partition>/manifest.json`).
    pub manifest: PartFile,
    /// Its counts, for the top manifest.
    pub counts: Counts,
}

/// Where a partition's manifest lives.
pub fn partition_manifest_path(partition: &str) -> String {
    format!("{PARTITIONS_DIR}/{partition}/{MANIFEST_NAME}")
}

/// Runs one partition: rebuilds its inputs from the interchange tables (in
/// the kernel's total order), applies cash, and encodes every run table
/// but `statements` with the pinned writer, plus the partition manifest.
/// `customers` is the whole master; it is handed back for the next
/// partition.
pub fn run_partition(
    spec: &RunSpec,
    partition: &str,
    transactions: &[RecordBatch],
    items: &[RecordBatch],
    customers: Customers,
) -> Result<(PartitionOutput, Customers), CliError> {
    let transactions = transactions_from_interchange(transactions)?;
    let open_items = items_from_interchange(items)?;
    let batch = Batch {
        transactions,
        open_items,
        customers,
        as_of: spec.as_of,
    };
    // Bank charges (`[fx]` charge tolerance) are a same-currency rule and
    // apply inside a partition exactly as in a plain run; rates are refused
    // with a plan (`compute`), so the table stays empty.
    let fx = spec
        .config
        .fx
        .charges_enabled()
        .then(|| cashmatch_engine::fx::FxInput {
            rates: Default::default(),
            rules: spec.config.fx.clone(),
        });
    let extras = cashmatch_engine::RunExtras {
        fx: fx.as_ref(),
        ..Default::default()
    };
    let mut result =
        cashmatch_engine::apply_cash_with(batch, &spec.config.rules(), &extras, &mut ()).map_err(
            |v| CliError::Invariant(format!("partition {partition}: {v}; nothing was published")),
        )?;
    let mut files = Vec::new();
    for (name, table) in output::run_tables(&result, &[]) {
        if name == "statements.parquet" {
            continue;
        }
        let bytes = table
            .to_parquet()
            .map_err(|e| CliError::Output(format!("cannot encode `{name}` of {partition}: {e}")))?;
        let stem = name.trim_end_matches(".parquet");
        let sha = output::sha256_hex(&bytes);
        files.push(PartFile {
            path: format!("{stem}/{partition}/{}", part_name(&sha)),
            rows: table.rows() as u64,
            bytes,
        });
    }
    let o = &result.outcome;
    let counts = Counts {
        transactions: result.batch.transactions.len() as u64,
        applications: o.applications.len() as u64,
        exceptions: o.exceptions.len() as u64,
        postings: o.postings.len() as u64,
        open_items: result.batch.open_items.len() as u64,
        aging_rows: o.aging.len() as u64,
        ..Counts::default()
    };
    let config_toml = spec.config.canonical_toml();
    let m = Manifest {
        engine: crate::run::ENGINE.into(),
        engine_version: crate::run::ENGINE_VERSION.into(),
        schema_version: output::table::SCHEMA_VERSION.into(),
        run_id: spec.run_id.clone(),
        as_of: spec.as_of.to_string(),
        config_sha256: output::sha256_hex(config_toml.as_bytes()),
        config: config_toml,
        currency_table_sha256: crate::inputs::currency_table_sha256(),
        accept_unbalanced: spec.accept_unbalanced,
        state: None,
        parquet_writer: output::table::writer_settings_summary(),
        inputs: Vec::new(),
        outputs: files.iter().map(PartFile::written).collect(),
        control_sums: o.control_sums.clone(),
        counts: counts.clone(),
        passes: o.pass_stats.clone(),
        rejections: Vec::new(),
        warnings: Vec::new(),
        companies: o.companies.codes().to_vec(),
    };
    let json = serde_json::to_string_pretty(&m)
        .map_err(|e| CliError::Output(format!("partition manifest: {e}")))?;
    let manifest = PartFile {
        path: partition_manifest_path(partition),
        bytes: json.into_bytes(),
        rows: 0,
    };
    let customers = std::mem::take(&mut result.batch.customers);
    Ok((
        PartitionOutput {
            partition: partition.to_string(),
            files,
            manifest,
            counts,
        },
        customers,
    ))
}

/// The statements table of the run (every statement, in input order), as
/// `statements/part-….parquet`. `batches` are the contracted statements
/// tables of the bank files in input order (one per file is fine).
pub fn statements_file(batches: &[RecordBatch]) -> Result<PartFile, CliError> {
    let schema = Arc::new(
        output::statements(&[], &Companies::default())
            .to_record_batch()
            .map_err(enc)?
            .schema()
            .as_ref()
            .clone(),
    );
    let whole = arrow_select::concat::concat_batches(&schema, batches)
        .map_err(|e| CliError::Output(format!("statements: {e}")))?;
    let rows = whole.num_rows() as u64;
    let bytes = crate::memory::parquet_bytes(&schema, &[whole])?;
    let sha = output::sha256_hex(&bytes);
    Ok(PartFile {
        path: format!("{STATEMENTS_DIR}/{}", part_name(&sha)),
        bytes,
        rows,
    })
}

/// The contracted statements table of parsed statements (each with the
/// company owning its account, `[company]`).
pub fn statements_batch(
    statements: &[StatementRecord],
    company: &CompanyConfig,
) -> Result<RecordBatch, CliError> {
    let companies = Companies::of_transactions(&Default::default(), company);
    let table = output::statements(statements, &companies);
    table.to_record_batch().map_err(enc)
}

fn enc(e: impl std::fmt::Display) -> CliError {
    CliError::Output(format!("cannot build a table: {e}"))
}

/// One partition as the top manifest lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionEntry {
    /// The partition path (`currency=EUR`).
    pub partition: String,
    /// Its manifest, relative to the run directory.
    pub manifest: String,
    /// SHA-256 of its manifest.
    pub sha256: String,
    /// Size of its manifest.
    pub bytes: u64,
    /// Its counts.
    pub counts: Counts,
}

impl PartitionEntry {
    /// The entry of a partition's output.
    pub fn of(p: &PartitionOutput) -> PartitionEntry {
        PartitionEntry {
            partition: p.partition.clone(),
            manifest: p.manifest.path.clone(),
            sha256: output::sha256_hex(&p.manifest.bytes),
            bytes: p.manifest.bytes.len() as u64,
            counts: p.counts.clone(),
        }
    }
}

/// The top manifest of a partitioned run, `manifest.json`: written last,
/// it is the commit point of the run and names every partition manifest by
/// its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionedManifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Engine name.
    pub engine: String,
    /// Engine version.
    pub engine_version: String,
    /// Output schema version.
    pub schema_version: String,
    /// The run id.
    pub run_id: String,
    /// Accounting date.
    pub as_of: String,
    /// SHA-256 of `config`.
    pub config_sha256: String,
    /// The effective configuration, with `[partition] by`.
    pub config: String,
    /// SHA-256 of the ISO 4217 table.
    pub currency_table_sha256: String,
    /// Statements with failing totals were ingested.
    pub accept_unbalanced: bool,
    /// The partition keys, in path order.
    pub partition_by: Vec<String>,
    /// The pinned Parquet writer settings.
    pub parquet_writer: String,
    /// Every input, as an unpartitioned run lists them.
    pub inputs: Vec<InputFile>,
    /// The statements table.
    pub statements: WrittenFile,
    /// Every partition, by path.
    pub partitions: Vec<PartitionEntry>,
    /// Sums over the partitions, plus statements and rejected files.
    pub counts: Counts,
    /// Files refused whole.
    pub rejections: Vec<String>,
    /// Tolerated quirks.
    pub warnings: Vec<String>,
}

/// What the top manifest says beside the partitions (gathered by the CLI
/// from its batch, by the Spark driver from its parse tasks).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunInputs {
    /// Every input, manifest order, paths relative to the run directory.
    pub inputs: Vec<InputFile>,
    /// Files refused whole.
    pub rejections: Vec<String>,
    /// Tolerated quirks.
    pub warnings: Vec<String>,
    /// Pending entries left out.
    pub pending_skipped: u64,
}

/// The top manifest's bytes. `partitions` in any order (sorted here).
pub fn top_manifest(
    spec: &RunSpec,
    run: &RunInputs,
    statements: &PartFile,
    partitions: &[PartitionEntry],
) -> Result<Vec<u8>, CliError> {
    let mut partitions = partitions.to_vec();
    partitions.sort_by(|a, b| a.partition.cmp(&b.partition));
    let mut counts = Counts::default();
    for p in &partitions {
        let c = &p.counts;
        counts.transactions += c.transactions;
        counts.applications += c.applications;
        counts.exceptions += c.exceptions;
        counts.postings += c.postings;
        counts.open_items += c.open_items;
        counts.aging_rows += c.aging_rows;
    }
    counts.statements = statements.rows;
    counts.files_rejected = run.inputs.iter().filter(|f| f.status.is_rejected()).count() as u64;
    counts.pending_entries_skipped = run.pending_skipped;
    let config = spec.config.canonical_toml();
    let m = PartitionedManifest {
        format: FORMAT.into(),
        engine: crate::run::ENGINE.into(),
        engine_version: crate::run::ENGINE_VERSION.into(),
        schema_version: output::table::SCHEMA_VERSION.into(),
        run_id: spec.run_id.clone(),
        as_of: spec.as_of.to_string(),
        config_sha256: output::sha256_hex(config.as_bytes()),
        config,
        currency_table_sha256: crate::inputs::currency_table_sha256(),
        accept_unbalanced: spec.accept_unbalanced,
        partition_by: spec
            .config
            .partition
            .by
            .iter()
            .map(|k| k.name().to_string())
            .collect(),
        parquet_writer: output::table::writer_settings_summary(),
        inputs: run.inputs.clone(),
        statements: statements.written(),
        partitions,
        counts,
        rejections: run.rejections.clone(),
        warnings: run.warnings.clone(),
    };
    serde_json::to_string_pretty(&m)
        .map(String::into_bytes)
        .map_err(|e| CliError::Output(format!("manifest: {e}")))
}

/// Reads a run directory's `manifest.json` as a partitioned run's top
/// manifest: `Ok(None)` when it is an unpartitioned run's manifest.
pub fn read_top_manifest(bytes: &[u8]) -> Result<Option<PartitionedManifest>, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Ok(None);
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------
// Interchange tables: how a partition's rows travel (Spark shuffle, the
// CLI's split) without losing a digit or changing order.

fn text_field(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

/// Schema of the transactions interchange table.
pub fn transactions_interchange_schema() -> Schema {
    Schema::new(vec![
        text_field("transaction_id", false),
        text_field("bank_reference", false),
        text_field("source_file", false),
        Field::new("source_line", DataType::Int64, false),
        text_field("account", false),
        text_field("currency", false),
        // Exact decimal text: the file's own scale survives the trip.
        text_field("amount", false),
        Field::new("booking_date", DataType::Date32, true),
        Field::new("value_date", DataType::Date32, true),
        text_field("counterparty_name", false),
        text_field("counterparty_account", false),
        text_field("remittance_info", false),
        // Joined with U+001F (unit separator), which no reference holds.
        text_field("structured_refs", false),
        text_field("end_to_end_id", false),
        text_field(PARTITION_COLUMN, false),
        Field::new(SEQ_COLUMN, DataType::Int64, false),
    ])
}

/// Schema of the open-items interchange table.
pub fn items_interchange_schema() -> Schema {
    Schema::new(vec![
        text_field("invoice_id", false),
        text_field("customer_id", false),
        text_field("customer_name", false),
        text_field("currency", false),
        text_field("amount_open", false),
        text_field("amount_original", false),
        Field::new("invoice_date", DataType::Date32, true),
        Field::new("due_date", DataType::Date32, true),
        text_field("discount_percent", true),
        Field::new("discount_days", DataType::Int64, true),
        text_field("po_number", true),
        Field::new("source_line", DataType::Int64, false),
        text_field("hold_reason", true),
        text_field("hold_detail", true),
        text_field("company_code", false),
        text_field(PARTITION_COLUMN, false),
        Field::new(SEQ_COLUMN, DataType::Int64, false),
    ])
}

const REF_SEP: char = '\u{1f}';

fn date32(d: Option<NaiveDate>) -> Option<i32> {
    d.map(output::table::date32)
}

fn from_date32(v: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(v as i64))
}

/// The transactions of `t` at `rows` as an interchange table, each with
/// its partition path and `seq(row)` as its place in the total order.
pub fn transactions_interchange(
    t: &Transactions,
    plan: &PartitionPlan,
    company: &CompanyConfig,
    rows: &[usize],
    seq: impl Fn(usize) -> u64,
) -> Result<RecordBatch, CliError> {
    let mut s: Vec<StringBuilder> = (0..13).map(|_| StringBuilder::new()).collect();
    let mut line = Int64Builder::new();
    let mut booking = Date32Builder::new();
    let mut value = Date32Builder::new();
    let mut seqs = Int64Builder::new();
    let mut refs = String::new();
    for &i in rows {
        let v = t.get(i);
        s[0].append_value(v.transaction_id());
        s[1].append_value(v.bank_reference());
        s[2].append_value(v.source_file());
        line.append_value(v.source_line() as i64);
        s[3].append_value(v.account());
        s[4].append_value(v.currency());
        s[5].append_value(v.amount().to_string());
        booking.append_option(date32(v.booking_date()));
        value.append_option(date32(v.value_date()));
        s[6].append_value(v.counterparty_name());
        s[7].append_value(v.counterparty_account());
        s[8].append_value(v.remittance_info());
        refs.clear();
        for (k, r) in v.structured_refs().enumerate() {
            if k > 0 {
                refs.push(REF_SEP);
            }
            refs.push_str(r);
        }
        s[9].append_value(&refs);
        s[10].append_value(v.end_to_end_id());
        s[11].append_value(plan.path_of_transaction(v, company));
        seqs.append_value(seq(i) as i64);
    }
    let mut s = s.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef);
    let mut next = || {
        s.next()
            .unwrap_or_else(|| Arc::new(StringArray::from(Vec::<&str>::new())))
    };
    let columns: Vec<ArrayRef> = vec![
        next(),
        next(),
        next(),
        Arc::new(line.finish()),
        next(),
        next(),
        next(),
        Arc::new(booking.finish()),
        Arc::new(value.finish()),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        Arc::new(seqs.finish()),
    ];
    RecordBatch::try_new(Arc::new(transactions_interchange_schema()), columns).map_err(enc)
}

/// The open items of `items` at `rows` as an interchange table.
pub fn items_interchange(
    items: &OpenItems,
    plan: &PartitionPlan,
    company: &CompanyConfig,
    rows: &[usize],
    seq: impl Fn(usize) -> u64,
) -> Result<RecordBatch, CliError> {
    let mut s: Vec<StringBuilder> = (0..12).map(|_| StringBuilder::new()).collect();
    let mut invoice = Date32Builder::new();
    let mut due = Date32Builder::new();
    let mut days = Int64Builder::new();
    let mut line = Int64Builder::new();
    let mut seqs = Int64Builder::new();
    for &i in rows {
        let v = items.get(i);
        s[0].append_value(v.invoice_id());
        s[1].append_value(v.customer_id());
        s[2].append_value(v.customer_name());
        s[3].append_value(v.currency());
        s[4].append_value(v.amount_open().to_string());
        s[5].append_value(v.amount_original().to_string());
        invoice.append_option(date32(v.invoice_date()));
        due.append_option(date32(v.due_date()));
        s[6].append_option(v.discount_percent().map(|d| d.to_string()));
        days.append_option(v.discount_days().map(i64::from));
        s[7].append_option(v.po_number());
        line.append_value(v.source_line() as i64);
        s[8].append_option(v.hold().map(|h| h.reason.as_str()));
        s[9].append_option(v.hold().map(|h| h.detail.as_str()));
        // Raw (empty: the default company), so the item comes back as read.
        s[10].append_value(v.company_code());
        s[11].append_value(plan.path_of_item(v, company));
        seqs.append_value(seq(i) as i64);
    }
    let mut s = s.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef);
    let mut next = || {
        s.next()
            .unwrap_or_else(|| Arc::new(StringArray::from(Vec::<&str>::new())))
    };
    let columns: Vec<ArrayRef> = vec![
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        Arc::new(invoice.finish()),
        Arc::new(due.finish()),
        next(),
        Arc::new(days.finish()),
        next(),
        Arc::new(line.finish()),
        next(),
        next(),
        next(),
        next(),
        Arc::new(seqs.finish()),
    ];
    RecordBatch::try_new(Arc::new(items_interchange_schema()), columns).map_err(enc)
}

fn col<'b, T: 'static>(b: &'b RecordBatch, name: &str, what: &str) -> Result<&'b T, CliError> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| {
            CliError::Input(format!(
                "{what} interchange table: column `{name}` is missing or of another type"
            ))
        })
}

fn s_at(a: &StringArray, i: usize) -> &str {
    if a.is_null(i) {
        ""
    } else {
        a.value(i)
    }
}

fn s_opt(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

fn d_opt(a: &Date32Array, i: usize) -> Option<NaiveDate> {
    (!a.is_null(i)).then(|| from_date32(a.value(i))).flatten()
}

fn decimal(text: &str, what: &str) -> Result<Decimal, CliError> {
    Decimal::from_str(text)
        .map_err(|e| CliError::Input(format!("{what}: `{text}` is not a decimal: {e}")))
}

/// Row positions of `batches` sorted by `_seq` (the kernel's total order,
/// whatever order a shuffle delivered them in).
fn ordered(batches: &[RecordBatch], what: &str) -> Result<Vec<(usize, usize)>, CliError> {
    let mut keyed = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        let seq: &Int64Array = col(batch, SEQ_COLUMN, what)?;
        for i in 0..batch.num_rows() {
            keyed.push((seq.value(i), b, i));
        }
    }
    keyed.sort_unstable();
    if keyed.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(CliError::Input(format!(
            "{what} interchange table: two rows share one `{SEQ_COLUMN}`"
        )));
    }
    Ok(keyed.into_iter().map(|(_, b, i)| (b, i)).collect())
}

/// The transaction store of interchange tables, in `_seq` order.
pub fn transactions_from_interchange(batches: &[RecordBatch]) -> Result<Transactions, CliError> {
    let what = "transactions";
    let mut out = TransactionsBuilder::default();
    for (b, i) in ordered(batches, what)? {
        let batch = &batches[b];
        let t = |name: &str| -> Result<&StringArray, CliError> { col(batch, name, what) };
        let line: &Int64Array = col(batch, "source_line", what)?;
        let booking: &Date32Array = col(batch, "booking_date", what)?;
        let value: &Date32Array = col(batch, "value_date", what)?;
        out.push(&BankTransaction {
            transaction_id: s_at(t("transaction_id")?, i).to_string(),
            bank_reference: s_at(t("bank_reference")?, i).to_string(),
            source_file: s_at(t("source_file")?, i).to_string(),
            source_line: u64::try_from(line.value(i)).unwrap_or_default(),
            account: s_at(t("account")?, i).to_string(),
            currency: s_at(t("currency")?, i).to_string(),
            amount: decimal(s_at(t("amount")?, i), "transaction amount")?,
            booking_date: d_opt(booking, i),
            value_date: d_opt(value, i),
            counterparty_name: s_at(t("counterparty_name")?, i).to_string(),
            counterparty_account: s_at(t("counterparty_account")?, i).to_string(),
            remittance_info: s_at(t("remittance_info")?, i).to_string(),
            structured_refs: s_at(t("structured_refs")?, i)
                .split(REF_SEP)
                .filter(|r| !r.is_empty())
                .map(str::to_string)
                .collect(),
            end_to_end_id: s_at(t("end_to_end_id")?, i).to_string(),
        });
    }
    Ok(out.finish())
}

fn hold_reason(code: &str) -> Result<HoldReason, CliError> {
    [
        HoldReason::InvalidScale,
        HoldReason::UnknownCurrency,
        HoldReason::DuplicateInvoiceId,
    ]
    .into_iter()
    .find(|r| r.as_str() == code)
    .ok_or_else(|| {
        CliError::Input(format!(
            "open items interchange: unknown hold reason `{code}`"
        ))
    })
}

/// The open-item store of interchange tables, in `_seq` order.
pub fn items_from_interchange(batches: &[RecordBatch]) -> Result<OpenItems, CliError> {
    let what = "open items";
    let mut out = OpenItemsBuilder::default();
    for (b, i) in ordered(batches, what)? {
        let batch = &batches[b];
        let t = |name: &str| -> Result<&StringArray, CliError> { col(batch, name, what) };
        let invoice: &Date32Array = col(batch, "invoice_date", what)?;
        let due: &Date32Array = col(batch, "due_date", what)?;
        let days: &Int64Array = col(batch, "discount_days", what)?;
        let line: &Int64Array = col(batch, "source_line", what)?;
        let hold = match s_opt(t("hold_reason")?, i) {
            Some(code) => Some(ItemHold {
                reason: hold_reason(code)?,
                detail: s_at(t("hold_detail")?, i).to_string(),
            }),
            None => None,
        };
        out.push(OpenItem {
            invoice_id: s_at(t("invoice_id")?, i).to_string(),
            customer_id: s_at(t("customer_id")?, i).to_string(),
            customer_name: s_at(t("customer_name")?, i).to_string(),
            currency: s_at(t("currency")?, i).to_string(),
            amount_open: decimal(s_at(t("amount_open")?, i), "amount_open")?,
            amount_original: decimal(s_at(t("amount_original")?, i), "amount_original")?,
            invoice_date: d_opt(invoice, i),
            due_date: d_opt(due, i),
            discount_percent: s_opt(t("discount_percent")?, i)
                .map(|d| decimal(d, "discount_percent"))
                .transpose()?,
            discount_days: (!days.is_null(i))
                .then(|| u32::try_from(days.value(i)).unwrap_or_default()),
            po_number: s_opt(t("po_number")?, i).map(str::to_string),
            source_line: u64::try_from(line.value(i)).unwrap_or_default(),
            hold,
            company_code: s_at(t("company_code")?, i).to_string(),
        });
    }
    Ok(out.finish())
}

// ---------------------------------------------------------------------------
// The run on one machine.

/// What a partitioned run published.
pub struct PartitionedReport {
    /// The top manifest.
    pub manifest: PartitionedManifest,
}

/// Splits a read batch by the plan: partition path → (transaction rows,
/// item rows), each in input order.
pub fn split(
    plan: &PartitionPlan,
    company: &CompanyConfig,
    transactions: &Transactions,
    items: &OpenItems,
) -> BTreeMap<String, (Vec<usize>, Vec<usize>)> {
    let mut groups: BTreeMap<String, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for t in transactions.iter() {
        groups
            .entry(plan.path_of_transaction(t, company))
            .or_default()
            .0
            .push(t.index());
    }
    for i in items.iter() {
        groups
            .entry(plan.path_of_item(i, company))
            .or_default()
            .1
            .push(i.index());
    }
    groups
}

/// The inputs of a run as its manifest lists them (paths relative to
/// `out`, or the recorded ones on replay).
pub fn run_inputs(
    req: &crate::run::RunRequest,
    bank: &BankBatch,
    items_file: InputFile,
    customers_file: Option<InputFile>,
) -> RunInputs {
    let mut inputs = bank.files.clone();
    inputs.push(items_file);
    inputs.extend(customers_file);
    for f in &mut inputs {
        if let Some(p) = &f.path {
            f.path = Some(manifest::relative_path(&req.out, Path::new(p)));
        }
        if let Some(recorded) = &req.recorded_inputs {
            if let Some(r) = recorded
                .iter()
                .find(|r| r.role == f.role && r.name == f.name)
            {
                f.path = r.path.clone();
            }
        }
    }
    RunInputs {
        inputs,
        rejections: bank.rejections.clone(),
        warnings: bank.warnings.clone(),
        pending_skipped: bank.pending_skipped,
    }
}

/// Everything a partitioned run computes before it writes: the spec, the
/// run's inputs, the statements file and every partition's output (all, or
/// only `only`).
pub struct Computed {
    /// The shared spec.
    pub spec: RunSpec,
    /// Inputs, rejections, warnings.
    pub run: RunInputs,
    /// The statements table.
    pub statements: PartFile,
    /// Every partition computed, by path.
    pub partitions: Vec<PartitionOutput>,
}

/// Reads the request's inputs and runs every partition (or only `only`)
/// in memory; shared by `run --partition-by` and `replay --partition`.
pub fn compute(req: &crate::run::RunRequest, only: Option<&str>) -> Result<Computed, CliError> {
    if !req.remittance.is_empty()
        || req
            .remittance_inputs
            .as_ref()
            .is_some_and(|r| !r.is_empty())
    {
        return Err(CliError::Input(
            "--remittance is not supported with --partition-by yet (remittance advices are not partitioned)".into(),
        ));
    }
    if req.decisions.is_some() {
        return Err(CliError::Input(
            "--decisions is not supported with --partition-by yet".into(),
        ));
    }
    if req.rates.is_some() {
        // A cross-currency payment pays an invoice of another currency, so
        // of another `currency` partition.
        return Err(CliError::Input(
            "--rates is not supported with --partition-by yet (cross-currency payments cross currency partitions)".into(),
        ));
    }
    check_config(&req.config)?;
    let progress = crate::progress::Progress::new(req.quiet);
    let bank_inputs = match &req.bank_inputs {
        Some(b) => b.clone(),
        None => crate::inputs::discover_bank_inputs(&req.bank)?,
    };
    if bank_inputs.is_empty() {
        return Err(CliError::Input(
            "no bank statement files found in the --bank arguments".into(),
        ));
    }
    let bank =
        crate::inputs::read_bank_files(&bank_inputs, &req.config, req.accept_unbalanced, &progress);
    let crate::run::OpenItemsSource::File(p) = &req.open_items;
    let (open_items, mut items_file) = crate::inputs::read_open_items(p, &req.config)?;
    items_file.path = Some(p.to_string_lossy().into_owned());
    let (customers, customers_file) = match &req.customers {
        Some(crate::run::CustomersSource::File(p)) => {
            let (c, mut f) = crate::inputs::read_customers(p, &req.config)?;
            f.path = Some(p.to_string_lossy().into_owned());
            (c, Some(f))
        }
        None => (Customers::default(), None),
    };
    let as_of = crate::run::derive_as_of(req.as_of, &bank.transactions)?;
    // The run id hashes the inputs as read, before paths are made
    // relative (as an unpartitioned run's does).
    let mut hashed = bank.files.clone();
    hashed.push(items_file.clone());
    hashed.extend(customers_file.clone());
    let spec = RunSpec::new(&hashed, req.config.clone(), as_of, req.accept_unbalanced);
    let run = run_inputs(req, &bank, items_file, customers_file);
    let statements = statements_file(&[statements_batch(&bank.statements, &spec.config.company)?])?;
    let plan = &spec.config.partition;
    let mut customers = customers;
    let mut partitions = Vec::new();
    let company = &spec.config.company;
    for (path, (txn_rows, item_rows)) in split(plan, company, &bank.transactions, &open_items) {
        if only.is_some_and(|o| o != path) {
            continue;
        }
        let txns =
            transactions_interchange(&bank.transactions, plan, company, &txn_rows, |i| i as u64)?;
        let items = items_interchange(&open_items, plan, company, &item_rows, |i| i as u64)?;
        let (out, back) = run_partition(&spec, &path, &[txns], &[items], customers)?;
        customers = back;
        partitions.push(out);
    }
    Ok(Computed {
        spec,
        run,
        statements,
        partitions,
    })
}

/// `cashmatch run` with a partition plan: every partition run, staged and
/// published at once (the top manifest moved in last).
pub fn run(req: &crate::run::RunRequest) -> Result<PartitionedReport, CliError> {
    let c = compute(req, None)?;
    let out_lock = cashmatch_store::lock::DirLock::acquire(&req.out, &c.spec.run_id)?;
    for note in cashmatch_store::publish::recover(&req.out, &[&out_lock])? {
        eprintln!("{note}");
    }
    let mut staging = cashmatch_store::publish::Staging::begin(&req.out, &c.spec.run_id)?;
    let root = staging.dir().to_path_buf();
    stage_file(&root, &c.statements)?;
    let mut entries = Vec::new();
    for p in &c.partitions {
        for f in &p.files {
            stage_file(&root, f)?;
        }
        stage_file(&root, &p.manifest)?;
        entries.push(PartitionEntry::of(p));
    }
    let top = top_manifest(&c.spec, &c.run, &c.statements, &entries)?;
    // Every folder above is staged whole; the commit renames each into
    // place and the top manifest last.
    staging.written.clear();
    staging.commit(&top, None, &[&out_lock])?;
    let manifest = read_top_manifest(&top)
        .map_err(CliError::Output)?
        .ok_or_else(|| CliError::Output("top manifest without its format".into()))?;
    Ok(PartitionedReport { manifest })
}

/// Writes `f` under `root` durably, creating (and syncing) its folders.
fn stage_file(root: &Path, f: &PartFile) -> Result<(), CliError> {
    let (dir, name) = f.path.rsplit_once('/').unwrap_or(("", f.path.as_str()));
    let mut at = root.to_path_buf();
    for seg in dir.split('/').filter(|s| !s.is_empty()) {
        let parent = at.clone();
        at.push(seg);
        if !at.is_dir() {
            std::fs::create_dir(&at)
                .map_err(|e| CliError::Io(format!("cannot create `{}`: {e}", at.display())))?;
            cashmatch_store::durable::sync_dir(&parent)?;
        }
    }
    cashmatch_store::durable::write_durable(&at, name, &f.bytes)?;
    Ok(())
}

/// What a controller reads after a partitioned run.
pub fn summary(m: &PartitionedManifest, out: &Path) -> String {
    let mut s = format!(
        "cashmatch run {}  as of {}  partitioned by {}\n\n",
        m.run_id,
        m.as_of,
        m.partition_by.join(",")
    );
    s.push_str(&format!(
        "  {:<40} {:>12} {:>12} {:>12} {:>12}\n",
        "partition", "transactions", "applications", "exceptions", "open items"
    ));
    for p in &m.partitions {
        s.push_str(&format!(
            "  {:<40} {:>12} {:>12} {:>12} {:>12}\n",
            p.partition,
            p.counts.transactions,
            p.counts.applications,
            p.counts.exceptions,
            p.counts.open_items
        ));
    }
    s.push_str(&format!(
        "\n  outputs written to {}: {} partitions, {} statements, {MANIFEST_NAME} (written last)\n",
        out.display(),
        m.partitions.len(),
        m.counts.statements
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse_and_refuse_unknown_or_repeated_keys() {
        let p = PartitionPlan::parse("currency,company_code").unwrap();
        assert_eq!(
            p.by,
            vec![PartitionKey::Currency, PartitionKey::CompanyCode]
        );
        assert!(PartitionPlan::parse("currency,currency").is_err());
        assert!(PartitionPlan::parse("country")
            .unwrap_err()
            .contains("country"));
        assert!(PartitionPlan::parse("").is_err());
    }

    #[test]
    fn intercompany_is_refused_only_when_the_plan_splits_companies() {
        let config = |plan: &str, allow: bool| {
            let mut c = RunConfig {
                partition: PartitionPlan::parse(plan).unwrap(),
                ..RunConfig::default()
            };
            c.intercompany.allow = allow;
            c
        };
        for plan in ["company_code", "currency,company_code"] {
            let err = check_config(&config(plan, true)).unwrap_err();
            assert!(matches!(err, CliError::Config(_)), "{err:?}");
            let text = err.to_string();
            assert!(
                text.contains("[intercompany] allow = true")
                    && text.contains(&format!("(`{plan}`)"))
                    && text.contains("--partition-by currency"),
                "{text}"
            );
            assert!(check_config(&config(plan, false)).is_ok());
        }
        // One currency partition holds every company of that currency.
        assert!(check_config(&config("currency", true)).is_ok());
    }

    #[test]
    fn hive_values_stay_strings_and_cannot_leave_their_folder() {
        assert_eq!(hive_escape("0100"), "0100");
        assert_eq!(hive_escape("EUR"), "EUR");
        assert_eq!(hive_escape("../x"), "%2E.%2Fx");
        assert_eq!(hive_escape("a b/c"), "a%20b%2Fc");
        assert_eq!(hive_escape(""), "__HIVE_DEFAULT_PARTITION__");
    }

    #[test]
    fn interchange_round_trips_exact_amounts_and_restores_order() {
        let rows: Vec<BankTransaction> = (0..3)
            .map(|i| BankTransaction {
                transaction_id: format!("T{i}"),
                currency: if i == 1 { "USD" } else { "EUR" }.into(),
                amount: Decimal::new(1005 + i, 1),
                booking_date: NaiveDate::from_ymd_opt(2026, 3, 1 + i as u32),
                structured_refs: vec!["RF18539007547034".into(), "X".into()],
                ..BankTransaction::default()
            })
            .collect();
        let t: Transactions = rows.clone().into();
        let plan = PartitionPlan::parse("currency").unwrap();
        // Delivered out of order, as a shuffle may.
        let company = CompanyConfig::default();
        let b2 = transactions_interchange(&t, &plan, &company, &[2], |i| i as u64).unwrap();
        let b0 = transactions_interchange(&t, &plan, &company, &[0], |i| i as u64).unwrap();
        let back = transactions_from_interchange(&[b2, b0]).unwrap();
        assert_eq!(back.row(0), rows[0]);
        assert_eq!(back.row(1), rows[2]);
        assert_eq!(back.row(0).amount.to_string(), "100.5");
        let groups = split(&plan, &company, &t, &OpenItems::default());
        assert_eq!(
            groups.keys().collect::<Vec<_>>(),
            ["currency=EUR", "currency=USD"]
        );
    }
}

// ---------------------------------------------------------------------------
// The kernel side of the Spark job (`python/cashmatch/spark.py`, through the
// Python package): the same reading, splitting and encoding as the run on
// one machine, one file or one partition at a time. Metadata crosses the
// Python boundary as JSON text.

/// What a parse task reports about its bank file, beside its rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileMeta {
    /// The file as the manifest lists it (path relative to the run
    /// directory).
    pub input: InputFile,
    /// Why it was refused, if it was.
    pub rejections: Vec<String>,
    /// Tolerated quirks.
    pub warnings: Vec<String>,
    /// Pending entries left out.
    pub pending_skipped: u64,
    /// Its latest booking (or value) date: the run's as-of is the latest
    /// over all files.
    pub max_date: Option<NaiveDate>,
}

/// The bank files of `args` as the CLI finds them: `(path, name)`, sorted
/// by name (the input order the run id and the total order follow).
pub fn discover(args: &[String]) -> Result<Vec<(String, String)>, CliError> {
    let args: Vec<std::path::PathBuf> = args.iter().map(std::path::PathBuf::from).collect();
    Ok(crate::inputs::discover_bank_inputs(&args)?
        .into_iter()
        .map(|i| (i.path.to_string_lossy().into_owned(), i.name))
        .collect())
}

/// Parses bank file number `file_index` (of [`discover`]) exactly as `run`
/// reads each file, and returns its transactions interchange table (its
/// rows ordered after every earlier file's: `_seq` = index << 32 | row),
/// its statements table and its [`FileMeta`] as JSON.
pub fn parse_task(
    path: &str,
    name: &str,
    out: &str,
    file_index: u64,
    config: &RunConfig,
    accept_unbalanced: bool,
) -> Result<(RecordBatch, RecordBatch, String), CliError> {
    let input = crate::inputs::BankInput {
        path: path.into(),
        name: name.to_string(),
    };
    let bank = crate::inputs::read_bank_files(
        &[input],
        config,
        accept_unbalanced,
        &crate::progress::Progress::new(true),
    );
    let rows: Vec<usize> = (0..bank.transactions.len()).collect();
    let txns = transactions_interchange(
        &bank.transactions,
        &config.partition,
        &config.company,
        &rows,
        |i| (file_index << 32) | i as u64,
    )?;
    let statements = statements_batch(&bank.statements, &config.company)?;
    let mut file = bank
        .files
        .first()
        .cloned()
        .ok_or_else(|| CliError::Input(format!("bank file `{name}`: nothing was read")))?;
    if let Some(p) = &file.path {
        file.path = Some(manifest::relative_path(Path::new(out), Path::new(p)));
    }
    let meta = FileMeta {
        input: file,
        rejections: bank.rejections.clone(),
        warnings: bank.warnings.clone(),
        pending_skipped: bank.pending_skipped,
        max_date: crate::run::derive_as_of(None, &bank.transactions).ok(),
    };
    Ok((txns, statements, to_json(&meta)?))
}

fn to_json<T: Serialize>(v: &T) -> Result<String, CliError> {
    serde_json::to_string(v).map_err(|e| CliError::Output(format!("json: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T, CliError> {
    serde_json::from_str(s).map_err(|e| CliError::Input(format!("{what}: {e}")))
}

/// Reads the open-item extract at `path` as `run` does; returns its
/// interchange table (`_seq` = row) and its manifest entry as JSON.
pub fn items_task(
    path: &str,
    out: &str,
    config: &RunConfig,
) -> Result<(RecordBatch, String), CliError> {
    let (items, mut file) = crate::inputs::read_open_items(Path::new(path), config)?;
    file.path = Some(manifest::relative_path(Path::new(out), Path::new(path)));
    let rows: Vec<usize> = (0..items.len()).collect();
    let batch = items_interchange(&items, &config.partition, &config.company, &rows, |i| {
        i as u64
    })?;
    Ok((batch, to_json(&file)?))
}

/// Reads the customer master at `path`; returns it and its manifest entry
/// as JSON.
pub fn customers_task(
    path: &str,
    out: &str,
    config: &RunConfig,
) -> Result<(Customers, String), CliError> {
    let (customers, mut file) = crate::inputs::read_customers(Path::new(path), config)?;
    file.path = Some(manifest::relative_path(Path::new(out), Path::new(path)));
    Ok((customers, to_json(&file)?))
}

/// The run's inputs and spec from the tasks' reports: bank files (in
/// [`discover`] order), open items, customers. `as_of` given, else the
/// latest date of any file. Returns the spec and the [`RunInputs`] JSON.
pub fn plan_run(
    files: &[String],
    items: &str,
    customers: Option<&str>,
    config: &RunConfig,
    as_of: Option<NaiveDate>,
    accept_unbalanced: bool,
) -> Result<(RunSpec, String), CliError> {
    let metas: Vec<FileMeta> = files
        .iter()
        .map(|f| from_json(f, "file report"))
        .collect::<Result<_, _>>()?;
    let items: InputFile = from_json(items, "open items report")?;
    let customers: Option<InputFile> = customers
        .map(|c| from_json(c, "customers report"))
        .transpose()?;
    let as_of = as_of
        .or_else(|| metas.iter().filter_map(|m| m.max_date).max())
        .ok_or_else(|| {
            CliError::Input(
                "no --as-of date given and no dated bank transaction to derive it from".into(),
            )
        })?;
    let mut inputs: Vec<InputFile> = metas.iter().map(|m| m.input.clone()).collect();
    inputs.push(items);
    inputs.extend(customers);
    // The run id hashes what does not depend on where the inputs are.
    let spec = RunSpec::new(&inputs, config.clone(), as_of, accept_unbalanced);
    let run = RunInputs {
        inputs,
        rejections: metas.iter().flat_map(|m| m.rejections.clone()).collect(),
        warnings: metas.iter().flat_map(|m| m.warnings.clone()).collect(),
        pending_skipped: metas.iter().map(|m| m.pending_skipped).sum(),
    };
    Ok((spec, to_json(&run)?))
}

/// The top manifest from the driver's gathered reports.
pub fn top_manifest_json(
    spec: &RunSpec,
    run: &str,
    statements: &PartFile,
    entries: &[String],
) -> Result<Vec<u8>, CliError> {
    let run: RunInputs = from_json(run, "run inputs")?;
    let entries: Vec<PartitionEntry> = entries
        .iter()
        .map(|e| from_json(e, "partition entry"))
        .collect::<Result<_, _>>()?;
    top_manifest(spec, &run, statements, &entries)
}

/// A partition's entry in the top manifest, as JSON.
pub fn entry_json(p: &PartitionOutput) -> Result<String, CliError> {
    to_json(&PartitionEntry::of(p))
}
