//! The run without a filesystem: inputs already in memory (a transactions
//! table, extract bytes), outputs as Arrow record batches. The Python
//! package (`python/`) calls this; it shares with `run` the as-of rule
//! ([`crate::run::derive_as_of`]), the engine call and the list of output
//! tables ([`crate::output::run_tables`]), so its tables are the CLI's.
//!
//! What it leaves out on purpose: locks, staging, the manifest and the state
//! of earlier runs. A caller that needs the audit trail runs the CLI.

use crate::config::RunConfig;
use crate::inputs::StatementRecord;
use crate::output;
use crate::CliError;
use arrow_array::{
    Array, ArrayRef, Date32Array, Decimal128Array, LargeStringArray, RecordBatch, StringArray,
    UInt64Array,
};
use cashmatch_engine::columns::TransactionsBuilder;
use cashmatch_engine::model::{BankTransaction, Batch, Customers, OpenItems, Transactions};
use cashmatch_engine::RunResult;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Validated configuration from TOML text (a rules file's content).
pub fn config_from_toml(text: &str) -> Result<RunConfig, CliError> {
    RunConfig::parse(text).map_err(|e| CliError::Config(format!("config: {e}")))
}

/// Validated configuration from JSON (a Python `dict` of the rules file's
/// tables and keys), through the same TOML reader as a rules file, so a
/// key the file would refuse is refused here too.
pub fn config_from_json(json: &str) -> Result<RunConfig, CliError> {
    let value: toml::Value = serde_json::from_str(json)
        .map_err(|e| CliError::Config(format!("config: not a table of TOML values: {e}")))?;
    let text = toml::to_string(&value)
        .map_err(|e| CliError::Config(format!("config: not a table of TOML values: {e}")))?;
    config_from_toml(&text)
}

/// A named column of `batch`, or an error naming the column.
fn column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b ArrayRef, CliError> {
    batch.column_by_name(name).ok_or_else(|| {
        CliError::Input(format!(
            "transactions table: no column `{name}` (pass the table `parse` returns)"
        ))
    })
}

fn wrong_type(name: &str, expected: &str, found: &arrow_schema::DataType) -> CliError {
    CliError::Input(format!(
        "transactions table: column `{name}` is {found}, expected {expected}"
    ))
}

/// Text of a `string`/`large_string` column; a null reads as empty text,
/// which is what the parsers give for an absent field.
fn text(batch: &RecordBatch, name: &str) -> Result<Vec<String>, CliError> {
    let c = column(batch, name)?;
    if let Some(a) = c.as_any().downcast_ref::<StringArray>() {
        return Ok((0..a.len())
            .map(|i| if a.is_null(i) { "" } else { a.value(i) }.to_string())
            .collect());
    }
    if let Some(a) = c.as_any().downcast_ref::<LargeStringArray>() {
        return Ok((0..a.len())
            .map(|i| if a.is_null(i) { "" } else { a.value(i) }.to_string())
            .collect());
    }
    Err(wrong_type(name, "string", c.data_type()))
}

fn dates(batch: &RecordBatch, name: &str) -> Result<Vec<Option<NaiveDate>>, CliError> {
    let c = column(batch, name)?;
    let a = c
        .as_any()
        .downcast_ref::<Date32Array>()
        .ok_or_else(|| wrong_type(name, "date32", c.data_type()))?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    Ok((0..a.len())
        .map(|i| {
            (!a.is_null(i))
                .then(|| epoch.checked_add_signed(chrono::Duration::days(a.value(i) as i64)))
                .flatten()
        })
        .collect())
}

/// Money of a `decimal128` column, rescaled to the currency's minor units
/// (the scale a statement writes amounts in): the column's scale 4 would
/// otherwise show in texts that quote an amount.
fn amounts(batch: &RecordBatch, currencies: &[String]) -> Result<Vec<Decimal>, CliError> {
    let name = "amount";
    let c = column(batch, name)?;
    let a = c
        .as_any()
        .downcast_ref::<Decimal128Array>()
        .ok_or_else(|| wrong_type(name, "decimal128", c.data_type()))?;
    let scale = u32::try_from(a.scale())
        .map_err(|_| wrong_type(name, "decimal128 with a scale of 0 to 28", c.data_type()))?;
    (0..a.len())
        .map(|i| {
            if a.is_null(i) {
                return Err(CliError::Input(format!(
                    "transactions table: row {}: `amount` is null",
                    i + 1
                )));
            }
            let mut d = Decimal::try_from_i128_with_scale(a.value(i), scale).map_err(|e| {
                CliError::Input(format!("transactions table: row {}: `amount`: {e}", i + 1))
            })?;
            d = d.normalize();
            let minor = cashmatch_parsers::currency::currency_exponent(&currencies[i]);
            if d.scale() < minor {
                d.rescale(minor);
            }
            Ok(d)
        })
        .collect()
}

/// Rebuilds the transaction store from the table `transactions.parquet`
/// holds (the columns [`output::transactions`] writes; extra columns are
/// ignored). `structured_refs` is split at `;`, as it was joined.
pub fn transactions_from_batches(batches: &[RecordBatch]) -> Result<Transactions, CliError> {
    let mut out = TransactionsBuilder::default();
    for batch in batches {
        let id = text(batch, "transaction_id")?;
        let bank_reference = text(batch, "bank_reference")?;
        let source_file = text(batch, "source_file")?;
        let c = column(batch, "source_line")?;
        let source_line = c
            .as_any()
            .downcast_ref::<UInt64Array>()
            .ok_or_else(|| wrong_type("source_line", "uint64", c.data_type()))?;
        let account = text(batch, "account")?;
        let currency = text(batch, "currency")?;
        let amount = amounts(batch, &currency)?;
        let booking = dates(batch, "booking_date")?;
        let value = dates(batch, "value_date")?;
        let name = text(batch, "counterparty_name")?;
        let counterparty_account = text(batch, "counterparty_account")?;
        let remittance = text(batch, "remittance_info")?;
        let refs = text(batch, "structured_refs")?;
        let e2e = text(batch, "end_to_end_id")?;
        for i in 0..batch.num_rows() {
            out.push(&BankTransaction {
                transaction_id: id[i].clone(),
                bank_reference: bank_reference[i].clone(),
                source_file: source_file[i].clone(),
                source_line: source_line.value(i),
                account: account[i].clone(),
                currency: currency[i].clone(),
                amount: amount[i],
                booking_date: booking[i],
                value_date: value[i],
                counterparty_name: name[i].clone(),
                counterparty_account: counterparty_account[i].clone(),
                remittance_info: remittance[i].clone(),
                structured_refs: refs[i]
                    .split(';')
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
                    .collect(),
                end_to_end_id: e2e[i].clone(),
            });
        }
    }
    Ok(out.finish())
}

/// Applies cash to in-memory inputs, as `run` does after reading its
/// files: the as-of date given or derived from the transactions, the
/// configuration's rules, every invariant checked.
pub fn apply(
    transactions: Transactions,
    open_items: OpenItems,
    customers: Customers,
    config: &RunConfig,
    as_of: Option<NaiveDate>,
) -> Result<RunResult, CliError> {
    let as_of = crate::run::derive_as_of(as_of, &transactions)?;
    let batch = Batch {
        transactions,
        open_items,
        customers,
        as_of,
    };
    cashmatch_engine::apply_cash(batch, &config.rules(), &mut ())
        .map_err(|v| CliError::Invariant(format!("{v}; nothing was returned")))
}

/// Every contracted output of a run as one record batch each, named like
/// the CLI's files without `.parquet`, in the CLI's order.
pub fn output_batches(
    r: &RunResult,
    statements: &[StatementRecord],
) -> Result<Vec<(&'static str, RecordBatch)>, CliError> {
    output::run_tables(r, statements)
        .into_iter()
        .map(|(file, table)| {
            let name = file.trim_end_matches(".parquet");
            table
                .to_record_batch()
                .map(|b| (name, b))
                .map_err(|e| CliError::Output(format!("cannot build `{name}`: {e}")))
        })
        .collect()
}

/// The contracted tables of one parsed bank file (`transactions`,
/// `statements`), built by the CLI's output code.
pub fn parsed_batches(
    bank: &crate::inputs::BankBatch,
) -> Result<(RecordBatch, RecordBatch), CliError> {
    // No configuration here: the default company (a run assigns the
    // companies of its own configuration).
    let companies = cashmatch_engine::company::Companies::of_transactions(
        &bank.transactions,
        &Default::default(),
    );
    let transactions = whole(
        &output::transactions(&bank.transactions, &companies),
        "transactions",
    )?;
    let statements = whole(
        &output::statements(&bank.statements, &companies),
        "statements",
    )?;
    Ok((transactions, statements))
}

fn whole(table: &output::table::RowTable<'_>, name: &str) -> Result<RecordBatch, CliError> {
    table
        .to_record_batch()
        .map_err(|e| CliError::Output(format!("cannot build `{name}`: {e}")))
}

/// Parquet bytes of a table, written by the pinned writer of the CLI's
/// outputs (`cashmatch_store::table`): a table `run` returned gives the
/// bytes of the CLI's file of the same name.
pub fn parquet_bytes(
    schema: &arrow_schema::Schema,
    batches: &[RecordBatch],
) -> Result<Vec<u8>, CliError> {
    let columns: Vec<ArrayRef> = match batches {
        [] => schema
            .fields()
            .iter()
            .map(|f| arrow_array::new_empty_array(f.data_type()))
            .collect(),
        [one] => one.columns().to_vec(),
        _ => {
            return Err(CliError::Output(
                "a table of several record batches: combine its chunks first".into(),
            ))
        }
    };
    let mut table = output::table::Table::new();
    for (field, array) in schema.fields().iter().zip(columns) {
        table.raw(
            field.name(),
            field.data_type().clone(),
            field.is_nullable(),
            array,
        );
    }
    table
        .to_parquet()
        .map_err(|e| CliError::Output(format!("cannot encode the table: {e}")))
}
