//! Column-by-column construction of the contracted Parquet files with
//! arrow-rs, the one place their writer settings live, and the readers
//! that read them back (verify, state segments).

use arrow_array::builder::StringBuilder;
use arrow_array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Float64Array, RecordBatch, StringArray,
    UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, FieldRef, Schema, SchemaRef};
use chrono::NaiveDate;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnChunk, ArrowColumnWriter};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::io::Write;
use std::ops::Range;
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
        self.encode_with(ROW_GROUP_ROWS)
    }

    fn encode_with(self, row_group_rows: usize) -> Result<Vec<u8>, parquet::errors::ParquetError> {
        let schema = Arc::new(Schema::new(self.fields));
        let batch = RecordBatch::try_new(schema.clone(), self.columns)?;
        let mut buf = Vec::new();
        let mut writer = ArrowWriter::try_new(
            &mut buf,
            schema,
            Some(writer_properties_with(row_group_rows)),
        )?;
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
/// advice's own control check failed); a run says what became of the line
/// (`applied`, `waiting`, `unknown_invoice`, ...: `LineStatus` in the engine).
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
        // How a run linked the advice to `transaction_id` (`TRACE_NUMBER`,
        // `CHEQUE_NUMBER`, `END_TO_END_ID`, `ACCOUNT_SERVICER_REFERENCE`,
        // `PAYMENT_REFERENCE`, `AMOUNT_DATE_PAYER`); empty when not linked.
        text("link_rule", false),
        // Legal entity (issue 11): the company of the linked bank line's
        // receiving account; empty while the advice is not linked.
        text("company_code", false),
    ])
}

/// Builds one column's Arrow array for a range of rows.
type ColumnBuild<'a> = Box<dyn Fn(Range<usize>) -> Result<ArrayRef, ScaleError> + Send + Sync + 'a>;

/// An output table whose columns are built one row group at a time from
/// row accessors (closures over the engine's records), encoded column by
/// column in parallel and streamed to a writer.
///
/// Unlike [`Table`], the whole table never exists as Arrow arrays, nor as
/// Parquet bytes: at any moment one row group's arrays and encoded column
/// chunks are held, and the bytes go straight to the writer (a file that
/// hashes them as they pass, see `durable::write_durable_streamed`). The
/// bytes are those [`Table::to_parquet`] writes for the same rows: same
/// writer settings, same row groups, each column chunk encoded by the same
/// column writer, appended in schema order (`tests` below pin this).
pub struct RowTable<'a> {
    rows: usize,
    fields: Vec<Field>,
    columns: Vec<ColumnBuild<'a>>,
}

/// Why a table could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// A money value cannot be stored exactly.
    #[error(transparent)]
    Scale(#[from] ScaleError),
    /// The Parquet writer failed (an I/O error of the writer included).
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
}

fn mantissa_or_error(name: &str, v: Decimal) -> Result<i128, ScaleError> {
    money_mantissa(v).ok_or_else(|| ScaleError {
        column: name.to_string(),
        value: v,
    })
}

fn money_array(name: &str, mantissas: Vec<Option<i128>>) -> Result<ArrayRef, ScaleError> {
    let array = Decimal128Array::from(mantissas)
        .with_precision_and_scale(MONEY_PRECISION, MONEY_SCALE as i8)
        .map_err(|_| ScaleError {
            column: name.to_string(),
            value: Decimal::ZERO,
        })?;
    Ok(Arc::new(array))
}

impl<'a> RowTable<'a> {
    /// An empty table of `rows` rows.
    pub fn new(rows: usize) -> Self {
        RowTable {
            rows,
            fields: Vec::new(),
            columns: Vec::new(),
        }
    }

    /// Rows in the table.
    pub fn rows(&self) -> usize {
        self.rows
    }

    fn push(&mut self, name: &str, data_type: DataType, nullable: bool, build: ColumnBuild<'a>) {
        self.fields.push(Field::new(name, data_type, nullable));
        self.columns.push(build);
    }

    /// A column that already exists as one Arrow array of [`RowTable::rows`]
    /// rows (a column store's text column, say): each row group writes a
    /// zero-copy slice of it.
    pub fn array(&mut self, name: &str, data_type: DataType, nullable: bool, array: ArrayRef) {
        debug_assert_eq!(
            array.len(),
            self.rows,
            "column `{name}` has the table's rows"
        );
        self.push(
            name,
            data_type,
            nullable,
            Box::new(move |range| Ok(array.slice(range.start, range.len()))),
        );
    }

    /// A non-null text column: `value(row)` borrows the text from the records.
    pub fn text(&mut self, name: &str, value: impl Fn(usize) -> &'a str + Send + Sync + 'a) {
        self.push(
            name,
            DataType::Utf8,
            false,
            Box::new(move |range| {
                let mut b = StringBuilder::with_capacity(range.len(), range.len() * 16);
                for i in range {
                    b.append_value(value(i));
                }
                Ok(Arc::new(b.finish()) as ArrayRef)
            }),
        );
    }

    /// A nullable text column.
    pub fn text_opt(
        &mut self,
        name: &str,
        value: impl Fn(usize) -> Option<&'a str> + Send + Sync + 'a,
    ) {
        self.push(
            name,
            DataType::Utf8,
            true,
            Box::new(move |range| {
                let mut b = StringBuilder::with_capacity(range.len(), range.len() * 16);
                for i in range {
                    b.append_option(value(i));
                }
                Ok(Arc::new(b.finish()) as ArrayRef)
            }),
        );
    }

    /// A non-null text column rendered per row: `render(row, buf)` writes the
    /// row's text into `buf` (cleared before each row). For text that is
    /// data in the records (memos, details, ids with a prefix) and exists as
    /// text only in the written column.
    pub fn text_rendered(
        &mut self,
        name: &str,
        render: impl Fn(usize, &mut String) + Send + Sync + 'a,
    ) {
        self.push(
            name,
            DataType::Utf8,
            false,
            Box::new(move |range| {
                let mut b = StringBuilder::with_capacity(range.len(), range.len() * 16);
                let mut buf = String::new();
                for i in range {
                    buf.clear();
                    render(i, &mut buf);
                    b.append_value(&buf);
                }
                Ok(Arc::new(b.finish()) as ArrayRef)
            }),
        );
    }

    /// A nullable text column rendered per row: `render(row, buf)` writes
    /// the row's text into `buf` (cleared before each row) and returns
    /// false for a null.
    pub fn text_opt_rendered(
        &mut self,
        name: &str,
        render: impl Fn(usize, &mut String) -> bool + Send + Sync + 'a,
    ) {
        self.push(
            name,
            DataType::Utf8,
            true,
            Box::new(move |range| {
                let mut b = StringBuilder::with_capacity(range.len(), range.len() * 8);
                let mut buf = String::new();
                for i in range {
                    buf.clear();
                    if render(i, &mut buf) {
                        b.append_value(&buf);
                    } else {
                        b.append_null();
                    }
                }
                Ok(Arc::new(b.finish()) as ArrayRef)
            }),
        );
    }

    /// A non-null money column (`Decimal128(38, 4)`); a value with more
    /// decimals than [`MONEY_SCALE`] is an error when the table is written.
    pub fn money(&mut self, name: &str, value: impl Fn(usize) -> Decimal + Send + Sync + 'a) {
        let column = name.to_string();
        self.push(
            name,
            DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE as i8),
            false,
            Box::new(move |range| {
                let m = range
                    .map(|i| mantissa_or_error(&column, value(i)).map(Some))
                    .collect::<Result<Vec<_>, _>>()?;
                money_array(&column, m)
            }),
        );
    }

    /// A nullable money column, like [`RowTable::money`].
    pub fn money_opt(
        &mut self,
        name: &str,
        value: impl Fn(usize) -> Option<Decimal> + Send + Sync + 'a,
    ) {
        let column = name.to_string();
        self.push(
            name,
            DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE as i8),
            true,
            Box::new(move |range| {
                let m = range
                    .map(|i| value(i).map(|v| mantissa_or_error(&column, v)).transpose())
                    .collect::<Result<Vec<_>, _>>()?;
                money_array(&column, m)
            }),
        );
    }

    /// A nullable `date32` column.
    pub fn date_opt(
        &mut self,
        name: &str,
        value: impl Fn(usize) -> Option<NaiveDate> + Send + Sync + 'a,
    ) {
        self.push(
            name,
            DataType::Date32,
            true,
            Box::new(move |range| {
                let a: Date32Array = range.map(|i| value(i).map(date32)).collect();
                Ok(Arc::new(a) as ArrayRef)
            }),
        );
    }

    /// A non-null `date32` column.
    pub fn date(&mut self, name: &str, value: impl Fn(usize) -> NaiveDate + Send + Sync + 'a) {
        self.push(
            name,
            DataType::Date32,
            false,
            Box::new(move |range| {
                let a = Date32Array::from_iter_values(range.map(|i| date32(value(i))));
                Ok(Arc::new(a) as ArrayRef)
            }),
        );
    }

    /// A non-null `UInt64` column.
    pub fn u64(&mut self, name: &str, value: impl Fn(usize) -> u64 + Send + Sync + 'a) {
        self.push(
            name,
            DataType::UInt64,
            false,
            Box::new(move |range| {
                Ok(Arc::new(UInt64Array::from_iter_values(range.map(&value))) as ArrayRef)
            }),
        );
    }

    /// A non-null `UInt32` column.
    pub fn u32(&mut self, name: &str, value: impl Fn(usize) -> u32 + Send + Sync + 'a) {
        self.push(
            name,
            DataType::UInt32,
            false,
            Box::new(move |range| {
                Ok(Arc::new(UInt32Array::from_iter_values(range.map(&value))) as ArrayRef)
            }),
        );
    }

    /// A nullable `UInt32` column.
    pub fn u32_opt(&mut self, name: &str, value: impl Fn(usize) -> Option<u32> + Send + Sync + 'a) {
        self.push(
            name,
            DataType::UInt32,
            true,
            Box::new(move |range| {
                let a: UInt32Array = range.map(&value).collect();
                Ok(Arc::new(a) as ArrayRef)
            }),
        );
    }

    /// A non-null `Float64` column (scores, never money).
    pub fn f64(&mut self, name: &str, value: impl Fn(usize) -> f64 + Send + Sync + 'a) {
        self.push(
            name,
            DataType::Float64,
            false,
            Box::new(move |range| {
                Ok(Arc::new(Float64Array::from_iter_values(range.map(&value))) as ArrayRef)
            }),
        );
    }

    /// Encodes the table with the pinned writer settings into `out`, one row
    /// group at a time, the columns of a row group in parallel (rayon).
    /// Returns `out`. The bytes do not depend on the thread count: each
    /// column chunk is encoded alone and chunks are appended in schema order.
    pub fn write_parquet<W: Write + Send>(&self, out: W) -> Result<W, EncodeError> {
        self.write_parquet_with(out, ROW_GROUP_ROWS)
    }

    fn write_parquet_with<W: Write + Send>(
        &self,
        out: W,
        row_group_rows: usize,
    ) -> Result<W, EncodeError> {
        let schema: SchemaRef = Arc::new(Schema::new(self.fields.clone()));
        // The high-level writer adds the Arrow schema to the file's metadata
        // exactly as `Table::to_parquet` does; its low-level halves then
        // write row groups we encode ourselves.
        let (mut file, factory) = ArrowWriter::try_new(
            out,
            schema.clone(),
            Some(writer_properties_with(row_group_rows)),
        )?
        .into_serialized_writer()?;
        let mut start = 0;
        let mut row_group = 0;
        while start < self.rows {
            let range = start..(start + row_group_rows).min(self.rows);
            let writers = factory.create_column_writers(row_group)?;
            debug_assert_eq!(
                writers.len(),
                self.columns.len(),
                "flat schema: one leaf per field"
            );
            let mut group = file.next_row_group()?;
            // A window of columns at a time, one per thread: each column's
            // array lives only until its chunk is encoded, and each chunk
            // only until it is appended, so a row group never exists whole
            // as arrays or as encoded chunks (issue 8: the output stage
            // held every output three times over).
            let mut writers = writers.into_iter();
            let mut columns = self.columns.iter().zip(schema.fields().iter());
            let window = rayon::current_num_threads().max(1);
            loop {
                let jobs: Vec<_> = writers
                    .by_ref()
                    .zip(columns.by_ref())
                    .take(window)
                    .collect();
                if jobs.is_empty() {
                    break;
                }
                let chunks: Vec<Result<ArrowColumnChunk, EncodeError>> = jobs
                    .into_par_iter()
                    .map(|(writer, (build, field))| encode_column(writer, build, field, &range))
                    .collect();
                for chunk in chunks {
                    chunk?.append_to_row_group(&mut group)?;
                }
            }
            group.close()?;
            start = range.end;
            row_group += 1;
        }
        Ok(file.into_inner()?)
    }

    /// Encodes the table as Parquet bytes in memory (tests, small tables).
    pub fn to_parquet(&self) -> Result<Vec<u8>, EncodeError> {
        self.write_parquet(Vec::new())
    }

    /// The whole table as one Arrow record batch, each column built by the
    /// same closure the Parquet writer uses (the Python package hands it to
    /// pyarrow; [`Table::to_parquet`] of its columns gives the bytes
    /// [`RowTable::write_parquet`] writes).
    pub fn to_record_batch(&self) -> Result<RecordBatch, EncodeError> {
        let schema: SchemaRef = Arc::new(Schema::new(self.fields.clone()));
        let columns = self
            .columns
            .iter()
            .map(|build| build(0..self.rows).map_err(EncodeError::from))
            .collect::<Result<Vec<_>, _>>()?;
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(self.rows));
        RecordBatch::try_new_with_options(schema, columns, &options)
            .map_err(|e| EncodeError::Parquet(e.into()))
    }
}

/// Builds one column's array for `range` and encodes it into its chunk; the
/// array is dropped on return.
fn encode_column(
    mut writer: ArrowColumnWriter,
    build: &ColumnBuild<'_>,
    field: &FieldRef,
    range: &Range<usize>,
) -> Result<ArrowColumnChunk, EncodeError> {
    let array = build(range.clone())?;
    debug_assert_eq!(array.len(), range.len(), "column `{}`", field.name());
    for leaf in compute_leaves(field, &array)? {
        writer.write(&leaf)?;
    }
    Ok(writer.close()?)
}

/// Pinned Parquet writer settings (compression, row groups, statistics,
/// `created_by`): part of the output contract, recorded in the manifest.
pub fn writer_properties() -> WriterProperties {
    writer_properties_with(ROW_GROUP_ROWS)
}

/// [`writer_properties`] with another row-group size (tests only use
/// another: it lets them cover several row groups with few rows).
fn writer_properties_with(row_group_rows: usize) -> WriterProperties {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(row_group_rows))
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

    /// Rows of every column kind, with nulls and repeated values (so
    /// dictionaries are used) and some long text (so pages fill).
    struct Row {
        id: String,
        amount: Decimal,
        fee: Option<Decimal>,
        day: Option<NaiveDate>,
        n: u64,
        k: Option<u32>,
        score: f64,
        note: Option<&'static str>,
    }

    fn rows(n: usize) -> Vec<Row> {
        let day = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        (0..n)
            .map(|i| Row {
                id: format!("T-{i:07}-{}", "x".repeat(i % 40)),
                amount: Decimal::new(i as i64 * 7 - 5000, 2),
                fee: (i % 3 == 0).then(|| Decimal::new(i as i64 % 100, 1)),
                day: (i % 5 != 0).then(|| day - chrono::Days::new(i as u64 % 90)),
                n: i as u64,
                k: (i % 4 != 0).then_some(i as u32 % 7),
                score: i as f64 / 3.0,
                note: [Some("EXACT_REFERENCE"), None, Some("FUZZY_REFERENCE")][i % 3],
            })
            .collect()
    }

    fn eager(r: &[Row]) -> Table {
        let mut t = Table::new();
        t.text("id", r.iter().map(|x| x.id.as_str()));
        t.money("amount", r.iter().map(|x| x.amount)).unwrap();
        t.money_opt("fee", r.iter().map(|x| x.fee)).unwrap();
        t.date_opt("day", r.iter().map(|x| x.day));
        t.u64("n", r.iter().map(|x| x.n));
        let k: UInt32Array = r.iter().map(|x| x.k).collect();
        t.raw("k", DataType::UInt32, true, Arc::new(k));
        t.f64("score", r.iter().map(|x| x.score));
        t.text_opt("note", r.iter().map(|x| x.note));
        t.text(
            "journal",
            r.iter()
                .map(|x| format!("J-{}", x.id))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        t
    }

    fn lazy(r: &[Row]) -> RowTable<'_> {
        let mut t = RowTable::new(r.len());
        t.text("id", |i| r[i].id.as_str());
        t.money("amount", |i| r[i].amount);
        t.money_opt("fee", |i| r[i].fee);
        t.date_opt("day", |i| r[i].day);
        t.u64("n", |i| r[i].n);
        t.u32_opt("k", |i| r[i].k);
        t.f64("score", |i| r[i].score);
        t.text_opt("note", |i| r[i].note);
        t.text_rendered("journal", |i, out| {
            out.push_str("J-");
            out.push_str(&r[i].id);
        });
        t
    }

    /// The streamed, column-parallel writer writes the bytes the one-batch
    /// writer writes, with one row group and with several (a short last
    /// one), at any thread count, and for an empty table.
    #[test]
    fn row_tables_write_the_bytes_of_whole_tables_at_any_thread_count() {
        for (n, group) in [(0, 1000), (2_500, 1_000), (3_000, 1_000), (10_000, 1 << 20)] {
            let r = rows(n);
            let want = eager(&r).encode_with(group).unwrap();
            for threads in [1, 2, 5] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| lazy(&r).write_parquet_with(Vec::new(), group).unwrap());
                assert!(
                    got == want,
                    "{n} rows, groups of {group}, {threads} threads"
                );
            }
        }
        let r = rows(3);
        assert_eq!(
            lazy(&r).to_parquet().unwrap(),
            eager(&r).to_parquet().unwrap()
        );
    }

    #[test]
    fn row_tables_refuse_money_they_cannot_store_exactly() {
        let mut t = RowTable::new(2);
        let v = [Decimal::new(1, 2), "0.00001".parse().unwrap()];
        t.money("amount", move |i| v[i]);
        match t.to_parquet() {
            Err(EncodeError::Scale(e)) => assert_eq!(e.column, "amount"),
            other => panic!("expected a scale error, got {:?}", other.map(|b| b.len())),
        }
    }
}
