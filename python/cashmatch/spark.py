"""Partitioned cashmatch runs on Apache Spark (issue 12).

Spark is the engine, cashmatch the kernel it calls: bank files are parsed
in parallel tasks, transactions and open items are grouped by the partition
key with ``cogroup(...).applyInArrow`` (Spark 4), each group is applied by
the same Rust code as ``cashmatch run --partition-by``, and every partition
writes content-addressed Parquet files (``part-<sha256>.parquet``: a retried
or duplicated task writes the same name with the same bytes). The driver
then writes the partition manifests and, last, the top ``manifest.json``,
the commit point. The result is byte for byte what ``cashmatch run
--partition-by`` writes on one machine from the same inputs, so one machine
can reproduce (``cashmatch replay --partition ...``) and check
(``cashmatch verify``) any distributed run.

Determinism:

* Rows reach the kernel in its own total order: every row carries ``_seq``
  (bank file index in name order, then line; extract row) and the kernel
  sorts by it, whatever order the shuffle delivered.
* ``spark.speculation`` must be ``false`` (checked: a speculative copy of a
  task would be harmless for the data files, but doubles the work).
* ``spark.sql.sources.partitionColumnTypeInference.enabled`` is set to
  ``false``, so a reader of the output keeps a company code ``0100`` as the
  string ``0100`` rather than the number 100.

Inputs are paths on a file system every executor sees (a shared or mounted
volume in this version; object stores and Delta sources are the plan in
SCALING.md).
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any, Mapping, Optional, Sequence, Union

import pyarrow as pa

from . import _native
from ._errors import ConfigError

__all__ = ["run", "SPARK_CONF", "DEFAULT_PARTITION_BY", "RunResult"]

#: The plan of :func:`run` when neither the call nor the rules name one.
DEFAULT_PARTITION_BY = "company_code,currency"

#: Settings a cashmatch Spark job needs; pass them to the session builder
#: (``SparkSession.builder.config(map=SPARK_CONF)``).
SPARK_CONF = {
    "spark.speculation": "false",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}

_TXN = [
    ("transaction_id", pa.string()),
    ("bank_reference", pa.string()),
    ("source_file", pa.string()),
    ("source_line", pa.int64()),
    ("account", pa.string()),
    ("currency", pa.string()),
    ("amount", pa.string()),
    ("booking_date", pa.date32()),
    ("value_date", pa.date32()),
    ("counterparty_name", pa.string()),
    ("counterparty_account", pa.string()),
    ("remittance_info", pa.string()),
    ("structured_refs", pa.string()),
    ("end_to_end_id", pa.string()),
    ("_partition", pa.string()),
    ("_seq", pa.int64()),
]
_ITEM = [
    ("invoice_id", pa.string()),
    ("customer_id", pa.string()),
    ("customer_name", pa.string()),
    ("currency", pa.string()),
    ("amount_open", pa.string()),
    ("amount_original", pa.string()),
    ("invoice_date", pa.date32()),
    ("due_date", pa.date32()),
    ("discount_percent", pa.string()),
    ("discount_days", pa.int64()),
    ("po_number", pa.string()),
    ("source_line", pa.int64()),
    ("hold_reason", pa.string()),
    ("hold_detail", pa.string()),
    ("company_code", pa.string()),
    ("_partition", pa.string()),
    ("_seq", pa.int64()),
]
# Beside the rows, each read task emits one row describing its file.
_META = [
    ("_kind", pa.string()),
    ("_file", pa.int64()),
    ("_meta", pa.string()),
    ("_stmts", pa.binary()),
]
_TXN_SCHEMA = pa.schema(_TXN)
_ITEM_SCHEMA = pa.schema(_ITEM)
_DDL_TYPES = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.date32(): "date",
    pa.binary(): "binary",
}


def _ddl(fields: Sequence[tuple]) -> str:
    return ", ".join(f"`{n}` {_DDL_TYPES[t]}" for n, t in fields)


class RunResult(dict):
    """What :func:`run` published: ``run_id``, ``as_of``, ``partitions``
    (paths such as ``currency=EUR``) and ``manifest`` (its path)."""


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def _with_meta(table: pa.Table, fields: Sequence[tuple]) -> pa.RecordBatch:
    """Rows of ``table`` in the combined (rows + meta) schema."""
    n = table.num_rows
    cols = [table.column(name).cast(t) for name, t in fields]
    cols += [
        pa.array(["row"] * n, pa.string()),
        pa.nulls(n, pa.int64()),
        pa.nulls(n, pa.string()),
        pa.nulls(n, pa.binary()),
    ]
    names = [n for n, _ in fields] + [n for n, _ in _META]
    return pa.RecordBatch.from_arrays(
        [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in cols],
        names=names,
    )


def _meta_row(fields: Sequence[tuple], index: int, meta: str, stmts: bytes) -> pa.RecordBatch:
    cols = [pa.nulls(1, t) for _, t in fields]
    cols += [
        pa.array(["file"], pa.string()),
        pa.array([index], pa.int64()),
        pa.array([meta], pa.string()),
        pa.array([stmts], pa.binary()),
    ]
    names = [n for n, _ in fields] + [n for n, _ in _META]
    return pa.RecordBatch.from_arrays(cols, names=names)


def _write_once(root: str, rel: str, data: bytes) -> None:
    """Writes ``root/rel`` unless it already holds exactly ``data``: a file
    appears whole (hidden temporary name, fsync, rename), and a retried
    task writing the same content-addressed name is harmless."""
    path = os.path.join(root, rel)
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    # A leading dot: Hive-style readers skip it while it is being written.
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_session(spark: Any) -> None:
    conf = spark.sparkContext.getConf()
    if conf.get("spark.speculation", "false").strip().lower() == "true":
        raise ConfigError(
            "cashmatch.spark.run needs spark.speculation=false "
            "(build the session with cashmatch.spark.SPARK_CONF)",
            code="CONFIG",
            exit_code=1,
        )
    # A SQL setting: can be changed on a running session.
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")


def _rules_args(rules: Union[None, str, os.PathLike, Mapping[str, Any]]) -> dict:
    if rules is None:
        return {}
    if isinstance(rules, Mapping):
        return {"config_json": json.dumps(rules)}
    return {"config_path": os.fspath(rules)}


def run(
    spark: Any,
    *,
    bank: Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]],
    open_items: Union[str, os.PathLike],
    out: Union[str, os.PathLike],
    customers: Optional[Union[str, os.PathLike]] = None,
    rules: Union[None, str, os.PathLike, Mapping[str, Any]] = None,
    partition_by: Union[None, str, Sequence[str]] = None,
    as_of: Optional[str] = None,
    accept_unbalanced: bool = False,
) -> RunResult:
    """Runs cashmatch on Spark, partitioned by ``partition_by`` (``"currency"``,
    ``"company_code,currency"`` or a list), and publishes into ``out``.

    Without ``partition_by`` the plan is the rules' ``[partition] by``, else
    ``company_code,currency`` (:data:`DEFAULT_PARTITION_BY`): one legal
    entity's receipts in one currency per task. A plan by ``company_code``
    refuses ``[intercompany] allow = true`` (:class:`ConfigError`): a receipt
    and another company's invoice are never in the same partition.

    ``bank`` is a statement file or folder, or a list of them (as
    ``cashmatch run --bank``); ``open_items`` and ``customers`` are the
    extracts (CSV or Parquet, read as the CLI reads them); ``rules`` is a
    TOML rules file or a ``dict`` of its tables. Every path must be visible
    to every executor. Returns a :class:`RunResult`.
    """
    _check_session(spark)
    if partition_by is not None and not isinstance(partition_by, str):
        partition_by = ",".join(partition_by)
    out = os.path.abspath(os.fspath(out))
    os.makedirs(out, exist_ok=True)
    cfg = _native.spark_config(partition_by, **_rules_args(rules))
    if isinstance(bank, (str, os.PathLike)):
        bank = [bank]
    files = _native.spark_discover([os.fspath(b) for b in bank])
    if not files:
        raise ConfigError(
            "no bank statement files found in bank=", code="INPUT", exit_code=1
        )
    accept = bool(accept_unbalanced)
    items_path = os.fspath(open_items)
    customers_path = os.fspath(customers) if customers is not None else None
    # The previous run's commit point goes first: a reader never pairs it
    # with files of this run.
    top = os.path.join(out, "manifest.json")
    if os.path.exists(top):
        os.remove(top)

    txn_all = _TXN + _META
    item_all = _ITEM + _META

    def parse_files(batches):
        for b in batches:
            for index, path, name in zip(
                b.column("file_index").to_pylist(),
                b.column("path").to_pylist(),
                b.column("name").to_pylist(),
            ):
                txns, stmts, meta = _native.spark_parse(
                    path, name, out, index, cfg, accept
                )
                if txns.num_rows:
                    yield _with_meta(txns, _TXN)
                yield _meta_row(_TXN, index, meta, _ipc(stmts))

    def read_items(batches):
        for b in batches:
            for path in b.column("path").to_pylist():
                items, meta = _native.spark_items(path, out, cfg)
                if items.num_rows:
                    yield _with_meta(items, _ITEM)
                yield _meta_row(_ITEM, 0, meta, b"")

    parallelism = max(1, min(len(files), spark.sparkContext.defaultParallelism))
    file_df = spark.createDataFrame(
        [(i, p, n) for i, (p, n) in enumerate(files)],
        "file_index bigint, path string, name string",
    ).repartition(parallelism)
    parsed = file_df.mapInArrow(parse_files, _ddl(txn_all)).persist()
    read = (
        spark.createDataFrame([(items_path,)], "path string")
        .mapInArrow(read_items, _ddl(item_all))
        .persist()
    )
    try:
        file_rows = sorted(
            parsed.where("_kind = 'file'").select("_file", "_meta", "_stmts").collect(),
            key=lambda r: r["_file"],
        )
        items_meta = read.where("_kind = 'file'").select("_meta").collect()[0]["_meta"]
        customers_meta = (
            _native.spark_customers(customers_path, out, cfg) if customers_path else None
        )
        run_id, run_as_of, run_inputs = _native.spark_plan(
            [r["_meta"] for r in file_rows],
            items_meta,
            customers_meta,
            cfg,
            as_of,
            accept,
        )

        txn_cols = [n for n, _ in _TXN]
        item_cols = [n for n, _ in _ITEM]

        def kernel(key, left: pa.Table, right: pa.Table) -> pa.Table:
            partition = key[0].as_py()
            txns = left.select(txn_cols).cast(_TXN_SCHEMA)
            items = right.select(item_cols).cast(_ITEM_SCHEMA)
            data, (manifest_path, manifest), entry = _native.spark_partition(
                partition, txns, items, customers_path, cfg, run_id, run_as_of, accept
            )
            for path, content, _rows in data:
                _write_once(out, path, content)
            return pa.table(
                {
                    "partition": pa.array([partition], pa.string()),
                    "manifest_path": pa.array([manifest_path], pa.string()),
                    "manifest": pa.array([manifest], pa.binary()),
                    "entry": pa.array([entry], pa.string()),
                }
            )

        txns = parsed.where("_kind = 'row'").select(*txn_cols)
        items = read.where("_kind = 'row'").select(*item_cols)
        results = (
            txns.groupBy("_partition")
            .cogroup(items.groupBy("_partition"))
            .applyInArrow(
                kernel,
                "partition string, manifest_path string, manifest binary, entry string",
            )
            .collect()
        )
    finally:
        parsed.unpersist()
        read.unpersist()

    # The driver: statements, partition manifests, then the top manifest.
    statements = _native.spark_statements([_from_ipc(r["_stmts"]) for r in file_rows])
    _write_once(out, statements[0], statements[1])
    results = sorted(results, key=lambda r: r["partition"])
    for r in results:
        _write_once(out, r["manifest_path"], bytes(r["manifest"]))
    manifest = _native.spark_top_manifest(
        run_id,
        run_as_of,
        cfg,
        run_inputs,
        statements,
        [r["entry"] for r in results],
        accept,
    )
    _write_once(out, "manifest.json", bytes(manifest))
    return RunResult(
        run_id=run_id,
        as_of=run_as_of,
        partitions=[r["partition"] for r in results],
        manifest=top,
    )
