//! Column-by-column construction of the contracted Parquet files with
//! arrow-rs, the one place their writer settings live, and the readers
//! that read them back (verify, state segments).

use arrow_array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Float64Array, RecordBatch, StringArray,
    UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Decimal places of every money column: enough for every ISO 4217 currency
/// (CLF and UYW have 4). Amounts are stored exactly; none is rounded.
pub const MONEY_SCALE: u32 = 4;
/// Decimal128 precision of money columns (the Arrow maximum).
pub const MONEY_PRECISION: u8 = 38;
/// Bumped whenever a column is added, renamed or retyped.
pub const SCHEMA_VERSION: &str = "1";
/// Rows per row group: large enough for good compression, small enough that
/// a reader's memory stays bounded on 10M-row outputs.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// An output table under construction.
#[derive(Default)]
pub struct Table {
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
}

/// A money value that cannot be stored at [`MONEY_SCALE`] without rounding.
#[derive(Debug, thiserror::Error)]
#[error("column `{column}`: amount {value} has more than {MONEY_SCALE} decimals and cannot be stored exactly")]
pub struct ScaleError {
    /// The column the value was meant for.
    pub column: String,
    /// The value that would have been rounded.
    pub value: Decimal,
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// Days since 1970-01-01, Arrow's `date32`.
pub fn date32(d: NaiveDate) -> i32 {
    (d - epoch()).num_days() as i32
}

/// The Decimal128 mantissa of `value` at [`MONEY_SCALE`], or `None` when that
/// would lose digits.
pub fn money_mantissa(value: Decimal) -> Option<i128> {
    let normalized = value.normalize();
    if normalized.scale() > MONEY_SCALE {
        return None;
    }
    let factor = 10i128.pow(MONEY_SCALE - normalized.scale());
    normalized.mantissa().checked_mul(factor)
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table::default()
    }

    fn push(&mut self, name: &str, data_type: DataType, nullable: bool, array: ArrayRef) {
        self.fields.push(Field::new(name, data_type, nullable));
        self.columns.push(array);
    }

    /// Adds a prepared Arrow array.
    pub fn raw(&mut self, name: &str, data_type: DataType, nullable: bool, array: ArrayRef) {
        self.push(name, data_type, nullable, array);
    }

    /// Adds a non-null text column.
    pub fn text<'a>(&mut self, name: &str, values: impl Iterator<Item = &'a str>) {
        let array: StringArray = values.map(Some).collect();
        self.push(name, DataType::Utf8, false, Arc::new(array));
    }

    /// Adds a nullable text column.
    pub fn text_opt<'a>(&mut self, name: &str, values: impl Iterator<Item = Option<&'a str>>) {
        let array: StringArray = values.collect();
        self.push(name, DataType::Utf8, true, Arc::new(array));
    }

    /// Adds a non-null money column (`Decimal128(38, 4)`); a value with more
    /// decimals than [`MONEY_SCALE`] is an error, never rounded.
    pub fn money(
        &mut self,
        name: &str,
        values: impl Iterator<Item = Decimal>,
    ) -> Result<(), ScaleError> {
        self.money_column(name, values.map(Some), false)
    }

    /// Adds a nullable money column, like [`Table::money`].
    pub fn money_opt(
        &mut self,
        name: &str,
        values: impl Iterator<Item = Option<Decimal>>,
    ) -> Result<(), ScaleError> {
        self.money_column(name, values, true)
    }

    fn money_column(
        &mut self,
        name: &str,
        values: impl Iterator<Item = Option<Decimal>>,
        nullable: bool,
    ) -> Result<(), ScaleError> {
        let mantissas = values
            .map(|v| match v {
                None => Ok(None),
                Some(v) => money_mantissa(v).map(Some).ok_or(ScaleError {
                    column: name.to_string(),
                    value: v,
                }),
            })
            .collect::<Result<Vec<Option<i128>>, _>>()?;
        let array = Decimal128Array::from(mantissas)
            .with_precision_and_scale(MONEY_PRECISION, MONEY_SCALE as i8)
            .map_err(|_| ScaleError {
                column: name.to_string(),
                value: Decimal::ZERO,
            })?;
        self.push(
            name,
            DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE as i8),
            nullable,
            Arc::new(array),
        );
        Ok(())
    }

    /// Adds a nullable `date32` column.
    pub fn date_opt(&mut self, name: &str, values: impl Iterator<Item = Option<NaiveDate>>) {
        let array: Date32Array = values.map(|d| d.map(date32)).collect();
        self.push(name, DataType::Date32, true, Arc::new(array));
    }

    /// Adds a non-null `date32` column.
    pub fn date(&mut self, name: &str, values: impl Iterator<Item = NaiveDate>) {
        let array: Date32Array = values.map(|d| Some(date32(d))).collect();
        self.push(name, DataType::Date32, false, Arc::new(array));
    }

    /// Adds a non-null `UInt64` column.
    pub fn u64(&mut self, name: &str, values: impl Iterator<Item = u64>) {
        let array: UInt64Array = values.map(Some).collect();
        self.push(name, DataType::UInt64, false, Arc::new(array));
    }

    /// Adds a non-null `UInt32` column.
    pub fn u32(&mut self, name: &str, values: impl Iterator<Item = u32>) {
        let array: UInt32Array = values.map(Some).collect();
        self.push(name, DataType::UInt32, false, Arc::new(array));
    }

    /// Adds a non-null `Float64` column (scores, never money).
    pub fn f64(&mut self, name: &str, values: impl Iterator<Item = f64>) {
        let array: Float64Array = values.map(Some).collect();
        self.push(name, DataType::Float64, false, Arc::new(array));
    }

    /// Encodes the table as Parquet bytes with pinned writer settings, so the
    /// same rows always give the same bytes.
    pub fn to_parquet(self) -> Result<Vec<u8>, parquet::errors::ParquetError> {
        let schema = Arc::new(Schema::new(self.fields));
        let batch = RecordBatch::try_new(schema.clone(), self.columns)?;
        let mut buf = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut buf, schema, Some(writer_properties()))?;
        writer.write(&batch)?;
        writer.close()?;
        Ok(buf)
    }
}

/// The schema of `remittances.parquet` (issue 11): one row per remittance
/// advice line (an advice without lines is one row with empty line
/// fields), in this column order. Money is `Decimal128(38, 4)` like every
/// money column; line amounts are null where the advice does not state
/// them, and `transaction_id` is null until a run links the advice to its
/// bank line. `status` is `unlinked` or `check_failed` at ingest (the
/// advice's own control check failed); a run adds what became of the line.
pub fn remittances_schema() -> Schema {
    let money = || DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE as i8);
    let text = |name: &str, nullable: bool| Field::new(name, DataType::Utf8, nullable);
    Schema::new(vec![
        text("source_file", false),
        text("format", false),
        text("advice_id", false),
        text("payment_reference", false),
        text("payer_name", false),
        text("payer_account", false),
        text("invoice_reference", false),
        Field::new("amount_paid", money(), true),
        Field::new("invoice_amount", money(), true),
        Field::new("discount_amount", money(), true),
        Field::new("adjustment_amount", money(), true),
        text("adjustment_reason", false),
        text("currency", false),
        text("transaction_id", true),
        text("status", false),
        // What linking by amount and date window needs, and where the line is.
        text("document_type", false),
        Field::new("payment_amount", money(), true),
        Field::new("payment_date", DataType::Date32, true),
        text("payment_method", false),
        Field::new("source_line", DataType::UInt64, false),
        text("locator", false),
    ])
}

/// Pinned Parquet writer settings (compression, row groups, statistics,
/// `created_by`): part of the output contract, recorded in the manifest.
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_dictionary_enabled(true)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        // The workspace shares one version, so this is the CLI's version.
        .set_created_by(format!("cashmatch {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(vec![
            KeyValue::new(
                "cashmatch.schema_version".to_string(),
                SCHEMA_VERSION.to_string(),
            ),
            KeyValue::new("cashmatch.money_scale".to_string(), MONEY_SCALE.to_string()),
        ]))
        .build()
}

/// A human description of the writer settings for the manifest.
pub fn writer_settings_summary() -> String {
    format!(
        "parquet 1.0, snappy, row groups of {ROW_GROUP_ROWS} rows, dictionary on, chunk statistics, money Decimal128({MONEY_PRECISION},{MONEY_SCALE})"
    )
}

/// Reads a whole Parquet file held in memory.
pub fn read_parquet(bytes: Vec<u8>) -> Result<Vec<RecordBatch>, String> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .map_err(|e| format!("not a readable Parquet file: {e}"))?
        .build()
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    reader
        .map(|b| b.map_err(|e| format!("cannot decode a row group: {e}")))
        .collect()
}

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> Result<&'a T, String> {
    let index = batch
        .schema()
        .index_of(name)
        .map_err(|_| format!("column `{name}` is missing"))?;
    batch
        .column(index)
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| format!("column `{name}` has an unexpected type"))
}

/// A text column of all batches; nulls read as empty strings.
pub fn text_column(batches: &[RecordBatch], name: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for b in batches {
        let a: &StringArray = column(b, name)?;
        for i in 0..a.len() {
            out.push(if a.is_null(i) {
                String::new()
            } else {
                a.value(i).to_string()
            });
        }
    }
    Ok(out)
}

/// A Decimal128 money column of all batches; nulls read as zero.
pub fn money_column(batches: &[RecordBatch], name: &str) -> Result<Vec<Decimal>, String> {
    let mut out = Vec::new();
    for b in batches {
        let a: &Decimal128Array = column(b, name)?;
        let scale = u32::try_from(a.scale()).map_err(|_| format!("column `{name}`: bad scale"))?;
        for i in 0..a.len() {
            out.push(if a.is_null(i) {
                Decimal::ZERO
            } else {
                Decimal::try_from_i128_with_scale(a.value(i), scale)
                    .map_err(|e| format!("column `{name}` row {i}: {e}"))?
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact_or_refused() {
        assert_eq!(money_mantissa(Decimal::new(12345, 2)), Some(1_234_500));
        assert_eq!(
            money_mantissa("5442.09000".parse().unwrap()),
            Some(54_420_900)
        );
        assert_eq!(money_mantissa(Decimal::new(-1, 0)), Some(-10_000));
        assert_eq!(money_mantissa("0.00001".parse().unwrap()), None);
    }

    #[test]
    fn tables_read_back_as_written() {
        let mut t = Table::new();
        t.text("key", ["a", "b"].into_iter());
        t.money(
            "amount",
            [Decimal::new(150, 2), Decimal::new(-3, 0)].into_iter(),
        )
        .unwrap();
        let batches = read_parquet(t.to_parquet().unwrap()).unwrap();
        assert_eq!(text_column(&batches, "key").unwrap(), ["a", "b"]);
        assert_eq!(
            money_column(&batches, "amount").unwrap(),
            [Decimal::new(150, 2), Decimal::new(-3, 0)]
        );
        assert!(text_column(&batches, "nope").is_err());
    }
}
