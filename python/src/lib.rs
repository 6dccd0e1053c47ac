//! `cashmatch._native`: the Python package's bridge to the CLI's library
//! code (`cashmatch::memory`, `cashmatch::inputs`). Tables cross as Arrow
//! through the C data interface (`arrow-pyarrow`), never as Python rows.
//! The typed, documented API is the pure-Python `cashmatch` package around
//! this module; errors are raised as its exception classes
//! (`cashmatch._errors`), with the CLI's codes and positions.

use arrow_pyarrow::{PyArrowType, Table};
use cashmatch::config::RunConfig;
use cashmatch::inputs::{self, FileError};
use cashmatch::memory;
use cashmatch::partition;
use cashmatch::CliError;
use cashmatch_engine::model::Customers;
use cashmatch_parsers::Location;
use chrono::NaiveDate;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyDict, PyList};
use pyo3::IntoPyObjectExt;
use std::path::Path;

/// Raises the exception class `class` of `cashmatch._errors`, built with
/// `message` and the keyword attributes `attrs`.
fn raise(py: Python<'_>, class: &str, message: String, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py.import("cashmatch._errors")?.getattr(class)?;
        let kwargs = PyDict::new(py);
        for (k, v) in attrs {
            kwargs.set_item(*k, v)?;
        }
        let exc = cls.call((message.clone(),), Some(&kwargs))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

fn obj<'py, T: IntoPyObject<'py>>(py: Python<'py>, v: T) -> Py<PyAny> {
    v.into_py_any(py).unwrap_or_else(|_| py.None())
}

/// The CLI's error kinds as the package's exception classes; `exit_code`
/// is the code `cashmatch` would have exited with.
fn cli_error(py: Python<'_>, e: CliError) -> PyErr {
    let (class, code) = match &e {
        CliError::Config(_) => ("ConfigError", "CONFIG"),
        CliError::Input(_) => ("InputError", "INPUT"),
        CliError::Io(_) => ("CashmatchError", "IO"),
        CliError::Output(_) => ("OutputError", "OUTPUT"),
        CliError::Invariant(_) => ("InvariantError", "INVARIANT"),
        CliError::Locked(_) => ("CashmatchError", "LOCKED"),
        CliError::Mismatch(_) => ("CashmatchError", "MISMATCH"),
    };
    let exit_code = e.exit_code();
    raise(
        py,
        class,
        e.to_string(),
        &[("code", obj(py, code)), ("exit_code", obj(py, exit_code))],
    )
}

/// A bank file the parser refused: `ParseError` with the parser's class
/// (`code`), the file and the position, worded as the CLI's rejection.
fn file_error(py: Python<'_>, e: FileError) -> PyErr {
    match e {
        FileError::Parse(p) => {
            let (line, column, element, offset) = match &p.location {
                Location::Line(l) => (Some(*l), None, None, None),
                Location::LineColumn(l, c) => (Some(*l), Some(*c), None, None),
                Location::Element { line, path } => (Some(*line), None, Some(path.clone()), None),
                Location::Offset(o) => (None, None, None, Some(*o)),
            };
            raise(
                py,
                "ParseError",
                p.to_string(),
                &[
                    ("code", obj(py, p.kind.code())),
                    ("file", obj(py, p.file.clone())),
                    ("format", obj(py, p.format)),
                    ("line", obj(py, line)),
                    ("column", obj(py, column)),
                    ("element", obj(py, element)),
                    ("offset", obj(py, offset)),
                    (
                        "exit_code",
                        obj(py, cashmatch::EXIT_COMPLETED_WITH_REJECTIONS),
                    ),
                ],
            )
        }
        FileError::Internal(m) => raise(
            py,
            "ParseError",
            m,
            &[
                ("code", obj(py, "INTERNAL")),
                (
                    "exit_code",
                    obj(py, cashmatch::EXIT_COMPLETED_WITH_REJECTIONS),
                ),
            ],
        ),
    }
}

/// The configuration: a rules file, TOML text or JSON of a dict; none
/// gives the defaults, as `cashmatch run` without `--config`.
fn config(
    py: Python<'_>,
    path: Option<String>,
    toml_text: Option<String>,
    json: Option<String>,
) -> PyResult<RunConfig> {
    let r = match (path, toml_text, json) {
        (Some(p), _, _) => RunConfig::load(Path::new(&p)),
        (None, Some(t), _) => memory::config_from_toml(&t),
        (None, None, Some(j)) => memory::config_from_json(&j),
        (None, None, None) => Ok(RunConfig::default()),
    };
    r.map_err(|e| cli_error(py, e))
}

fn table(py: Python<'_>, batch: arrow_array::RecordBatch) -> PyResult<Py<PyAny>> {
    let schema = batch.schema();
    let t =
        Table::try_new(vec![batch], schema).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyArrowType(t).into_pyobject(py)?.unbind())
}

/// Parses one bank file held in memory as `run` reads it; returns
/// `(transactions, statements)` as pyarrow tables.
#[pyfunction]
#[pyo3(signature = (data, name, config_path=None, config_toml=None, config_json=None, accept_unbalanced=false))]
fn parse(
    py: Python<'_>,
    data: PyBackedBytes,
    name: String,
    config_path: Option<String>,
    config_toml: Option<String>,
    config_json: Option<String>,
    accept_unbalanced: bool,
) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
    let cfg = config(py, config_path, config_toml, config_json)?;
    let accept = accept_unbalanced || cfg.bank.accept_unbalanced;
    let bank = py
        .detach(|| inputs::read_bank_bytes(&name, &data, &cfg, accept))
        .map_err(|e| file_error(py, e))?;
    if let (Some(message), Some(file)) = (bank.rejections.first(), bank.files.first()) {
        // Parsed, but refused whole: a structural defect, or totals that
        // fail without `accept_unbalanced` (the CLI's `rejected:` line).
        let code = if file.status == cashmatch::inputs::InputStatus::RejectedUnbalanced {
            "UNBALANCED"
        } else {
            "STRUCTURE"
        };
        return Err(raise(
            py,
            "RejectedFileError",
            message.clone(),
            &[
                ("code", obj(py, code)),
                ("file", obj(py, name.clone())),
                ("format", obj(py, file.format.clone())),
                (
                    "exit_code",
                    obj(py, cashmatch::EXIT_COMPLETED_WITH_REJECTIONS),
                ),
            ],
        ));
    }
    let (t, s) = memory::parsed_batches(&bank).map_err(|e| cli_error(py, e))?;
    Ok((table(py, t)?, table(py, s)?))
}

/// An extract: read from `path` as the CLI reads it, else the `data` bytes
/// under `name`.
type Extract = (Option<String>, Option<PyBackedBytes>, String);

/// Applies cash; returns `[(name, pyarrow.Table)]` in the CLI's order.
#[pyfunction]
#[pyo3(signature = (transactions, open_items, customers=None, as_of=None, config_path=None, config_toml=None, config_json=None))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    transactions: PyArrowType<Table>,
    open_items: Extract,
    customers: Option<Extract>,
    as_of: Option<String>,
    config_path: Option<String>,
    config_toml: Option<String>,
    config_json: Option<String>,
) -> PyResult<Py<PyList>> {
    let cfg = config(py, config_path, config_toml, config_json)?;
    let as_of = as_of
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| {
                PyValueError::new_err(format!("as_of `{s}`: {e} (expected YYYY-MM-DD)"))
            })
        })
        .transpose()?;
    let (batches, _) = transactions.0.into_inner();
    let result = py.detach(|| -> Result<_, CliError> {
        let txns = memory::transactions_from_batches(&batches)?;
        let (items, _) = match &open_items {
            (Some(p), _, _) => inputs::read_open_items(Path::new(p), &cfg)?,
            (None, Some(b), name) => inputs::open_items_from_bytes(name, b, &cfg)?,
            (None, None, _) => {
                return Err(CliError::Input("open items: no path and no data".into()))
            }
        };
        let customers = match &customers {
            Some((Some(p), _, _)) => inputs::read_customers(Path::new(p), &cfg)?.0,
            Some((None, Some(b), name)) => inputs::customers_from_bytes(name, b, &cfg)?.0,
            Some((None, None, _)) => {
                return Err(CliError::Input("customers: no path and no data".into()))
            }
            None => Customers::default(),
        };
        let r = memory::apply(txns, items, customers, &cfg, as_of)?;
        memory::output_batches(&r, &[])
    });
    let out = result.map_err(|e| cli_error(py, e))?;
    let list = PyList::empty(py);
    for (name, batch) in out {
        list.append((name, table(py, batch)?))?;
    }
    Ok(list.unbind())
}

/// Parquet bytes of a table with the CLI's pinned writer.
#[pyfunction]
fn parquet_bytes(py: Python<'_>, table: PyArrowType<Table>) -> PyResult<Vec<u8>> {
    let (batches, schema) = table.0.into_inner();
    py.detach(|| memory::parquet_bytes(&schema, &batches))
        .map_err(|e| cli_error(py, e))
}

// ---------------------------------------------------------------------------
// The Spark job's kernel calls (`cashmatch.spark`, issue 12): thin wrappers
// over `cashmatch::partition`, which `cashmatch run --partition-by` runs
// too, so a Spark run and a run on one machine write the same bytes.

fn spark_cfg(py: Python<'_>, config_toml: &str) -> PyResult<RunConfig> {
    memory::config_from_toml(config_toml).map_err(|e| cli_error(py, e))
}

fn spark_date(s: &str) -> PyResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| PyValueError::new_err(format!("as_of `{s}`: {e} (expected YYYY-MM-DD)")))
}

fn spark_spec(
    py: Python<'_>,
    config_toml: &str,
    run_id: String,
    as_of: &str,
    accept_unbalanced: bool,
) -> PyResult<partition::RunSpec> {
    Ok(partition::RunSpec {
        run_id,
        as_of: spark_date(as_of)?,
        config: spark_cfg(py, config_toml)?,
        accept_unbalanced,
    })
}

/// The canonical TOML of the run's configuration with its partition plan,
/// which every task receives. The plan is `partition_by` (e.g.
/// `"currency"`) when given, else the rules' `[partition] by`, else the
/// issue's default, [`partition::SPARK_DEFAULT_PLAN`].
#[pyfunction]
#[pyo3(signature = (partition_by=None, config_path=None, config_toml=None, config_json=None))]
fn spark_config(
    py: Python<'_>,
    partition_by: Option<String>,
    config_path: Option<String>,
    config_toml: Option<String>,
    config_json: Option<String>,
) -> PyResult<String> {
    let mut cfg = config(py, config_path, config_toml, config_json)?;
    let plan = match partition_by {
        Some(list) => Some(list),
        None if cfg.partition.is_default() => Some(partition::SPARK_DEFAULT_PLAN.to_string()),
        None => None,
    };
    if let Some(list) = plan {
        cfg.partition = partition::PartitionPlan::parse(&list)
            .map_err(|e| cli_error(py, CliError::Config(e)))?;
    }
    // The same refusals as `cashmatch run --partition-by`.
    partition::check_config(&cfg).map_err(|e| cli_error(py, e))?;
    Ok(cfg.canonical_toml())
}

/// The bank files of `paths` as `cashmatch run --bank` finds them:
/// `[(path, name)]` in input order.
#[pyfunction]
fn spark_discover(py: Python<'_>, paths: Vec<String>) -> PyResult<Vec<(String, String)>> {
    partition::discover(&paths).map_err(|e| cli_error(py, e))
}

/// One parse task: `(transactions interchange, statements, file report JSON)`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn spark_parse(
    py: Python<'_>,
    path: String,
    name: String,
    out: String,
    file_index: u64,
    config_toml: String,
    accept_unbalanced: bool,
) -> PyResult<(Py<PyAny>, Py<PyAny>, String)> {
    let cfg = spark_cfg(py, &config_toml)?;
    let (t, s, meta) = py
        .detach(|| partition::parse_task(&path, &name, &out, file_index, &cfg, accept_unbalanced))
        .map_err(|e| cli_error(py, e))?;
    Ok((table(py, t)?, table(py, s)?, meta))
}

/// The open-item extract: `(interchange table, input JSON)`.
#[pyfunction]
fn spark_items(
    py: Python<'_>,
    path: String,
    out: String,
    config_toml: String,
) -> PyResult<(Py<PyAny>, String)> {
    let cfg = spark_cfg(py, &config_toml)?;
    let (t, meta) = py
        .detach(|| partition::items_task(&path, &out, &cfg))
        .map_err(|e| cli_error(py, e))?;
    Ok((table(py, t)?, meta))
}

/// The customer master's manifest entry (JSON).
#[pyfunction]
fn spark_customers(
    py: Python<'_>,
    path: String,
    out: String,
    config_toml: String,
) -> PyResult<String> {
    let cfg = spark_cfg(py, &config_toml)?;
    py.detach(|| partition::customers_task(&path, &out, &cfg).map(|(_, m)| m))
        .map_err(|e| cli_error(py, e))
}

/// The run id, as-of date and run inputs (JSON) from the tasks' reports.
#[pyfunction]
#[pyo3(signature = (files, items, customers, config_toml, as_of=None, accept_unbalanced=false))]
fn spark_plan(
    py: Python<'_>,
    files: Vec<String>,
    items: String,
    customers: Option<String>,
    config_toml: String,
    as_of: Option<String>,
    accept_unbalanced: bool,
) -> PyResult<(String, String, String)> {
    let cfg = spark_cfg(py, &config_toml)?;
    let as_of = as_of.as_deref().map(spark_date).transpose()?;
    let (spec, run) = partition::plan_run(
        &files,
        &items,
        customers.as_deref(),
        &cfg,
        as_of,
        accept_unbalanced,
    )
    .map_err(|e| cli_error(py, e))?;
    Ok((spec.run_id, spec.as_of.to_string(), run))
}

/// One partition: `([(path, bytes, rows)], (manifest path, manifest bytes),
/// entry JSON)`.
#[pyfunction]
#[pyo3(signature = (partition, transactions, items, customers_path, config_toml, run_id, as_of, accept_unbalanced=false))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn spark_partition(
    py: Python<'_>,
    partition: String,
    transactions: PyArrowType<Table>,
    items: PyArrowType<Table>,
    customers_path: Option<String>,
    config_toml: String,
    run_id: String,
    as_of: String,
    accept_unbalanced: bool,
) -> PyResult<(Vec<(String, Vec<u8>, u64)>, (String, Vec<u8>), String)> {
    let spec = spark_spec(py, &config_toml, run_id, &as_of, accept_unbalanced)?;
    let (txns, _) = transactions.0.into_inner();
    let (items, _) = items.0.into_inner();
    let r = py.detach(|| -> Result<_, CliError> {
        let customers = match &customers_path {
            Some(p) => inputs::read_customers(Path::new(p), &spec.config)?.0,
            None => Customers::default(),
        };
        let (out, _) = partition::run_partition(&spec, &partition, &txns, &items, customers)?;
        let entry = partition::entry_json(&out)?;
        Ok((out, entry))
    });
    let (out, entry) = r.map_err(|e| cli_error(py, e))?;
    let files = out
        .files
        .into_iter()
        .map(|f| (f.path, f.bytes, f.rows))
        .collect();
    Ok((files, (out.manifest.path, out.manifest.bytes), entry))
}

/// The statements file from every file's statements table, in input order:
/// `(path, bytes, rows)`.
#[pyfunction]
fn spark_statements(
    py: Python<'_>,
    tables: Vec<PyArrowType<Table>>,
) -> PyResult<(String, Vec<u8>, u64)> {
    let batches: Vec<arrow_array::RecordBatch> = tables
        .into_iter()
        .flat_map(|t| t.0.into_inner().0)
        .collect();
    let f = py
        .detach(|| partition::statements_file(&batches))
        .map_err(|e| cli_error(py, e))?;
    Ok((f.path, f.bytes, f.rows))
}

/// The top manifest's bytes.
#[pyfunction]
#[pyo3(signature = (run_id, as_of, config_toml, run_inputs, statements, entries, accept_unbalanced=false))]
#[allow(clippy::too_many_arguments)]
fn spark_top_manifest(
    py: Python<'_>,
    run_id: String,
    as_of: String,
    config_toml: String,
    run_inputs: String,
    statements: (String, Vec<u8>, u64),
    entries: Vec<String>,
    accept_unbalanced: bool,
) -> PyResult<Vec<u8>> {
    let spec = spark_spec(py, &config_toml, run_id, &as_of, accept_unbalanced)?;
    let st = partition::PartFile {
        path: statements.0,
        bytes: statements.1,
        rows: statements.2,
    };
    partition::top_manifest_json(&spec, &run_inputs, &st, &entries).map_err(|e| cli_error(py, e))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(parse, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(parquet_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(spark_config, m)?)?;
    m.add_function(wrap_pyfunction!(spark_discover, m)?)?;
    m.add_function(wrap_pyfunction!(spark_parse, m)?)?;
    m.add_function(wrap_pyfunction!(spark_items, m)?)?;
    m.add_function(wrap_pyfunction!(spark_customers, m)?)?;
    m.add_function(wrap_pyfunction!(spark_plan, m)?)?;
    m.add_function(wrap_pyfunction!(spark_partition, m)?)?;
    m.add_function(wrap_pyfunction!(spark_statements, m)?)?;
    m.add_function(wrap_pyfunction!(spark_top_manifest, m)?)?;
    m.add("ENGINE_VERSION", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
