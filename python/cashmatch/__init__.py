"""cashmatch: cash application and bank reconciliation from Python.

The Rust engine of the ``cashmatch`` CLI, called in-process. Tables go in
and out as :class:`pyarrow.Table` through the Arrow C data interface (no
copies through Python objects); money columns are ``decimal128(38, 4)``,
never floats, exactly as in the CLI's Parquet files.

>>> import cashmatch
>>> txns = cashmatch.parse("bank.csv")
>>> out = cashmatch.run(txns, "open_items.csv", customers="customers.csv")
>>> out["applications"].num_rows
>>> cashmatch.write_parquet(out["applications"], "applications.parquet")

A run here is what ``cashmatch run --no-state`` computes, without the
audit trail: no manifest, no lock, no state of earlier runs. The tables are
the CLI's: written with :func:`write_parquet` they are byte for byte the
files ``cashmatch run`` writes for the same inputs.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import pyarrow
import pyarrow.parquet

from . import _native
from ._errors import (
    CashmatchError,
    ConfigError,
    InputError,
    InvariantError,
    OutputError,
    ParseError,
    RejectedFileError,
)

__all__ = [
    "OUTPUTS",
    "CashmatchError",
    "ConfigError",
    "InputError",
    "InvariantError",
    "OutputError",
    "ParseError",
    "RejectedFileError",
    "parse",
    "parse_file",
    "parse_statements",
    "run",
    "to_parquet_bytes",
    "write_parquet",
]

__version__: str = _native.ENGINE_VERSION

#: The tables :func:`run` returns, in the order the CLI writes them (each is
#: the CLI's ``<name>.parquet``).
OUTPUTS: Tuple[str, ...] = (
    "transactions",
    "applications",
    "exceptions",
    "postings",
    "open_items",
    "aging",
    "statements",
    "returns",
)

#: A file to read: a path, or its bytes.
Source = Union[str, "os.PathLike[str]", bytes]
#: Rules: None (the defaults), a dict with the tables and keys of a rules
#: file, or the path of a rules file (TOML).
Rules = Union[None, Mapping[str, Any], str, "os.PathLike[str]"]


def _rules_args(rules: Rules) -> Dict[str, Optional[str]]:
    if rules is None:
        return {}
    if isinstance(rules, Mapping):
        return {"config_json": json.dumps(rules)}
    if isinstance(rules, (str, os.PathLike)):
        return {"config_path": os.fspath(rules)}
    raise TypeError(f"rules must be None, a dict or the path of a TOML file, not {type(rules).__name__}")


def _read(source: Source, name: Optional[str]) -> Tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "<bytes>"
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        with open(path, "rb") as f:
            data = f.read()
        # The CLI names a file given directly by its file name.
        return data, name or os.path.basename(path)
    raise TypeError(f"expected a path or bytes, not {type(source).__name__}")


def parse_file(
    source: Source,
    *,
    name: Optional[str] = None,
    rules: Rules = None,
    accept_unbalanced: bool = False,
) -> Tuple[pyarrow.Table, pyarrow.Table]:
    """Parse one bank statement file (BAI2, camt.052/053/054, MT940/942 or a
    bank CSV, recognised by content) as ``cashmatch run`` reads it.

    Returns ``(transactions, statements)``: the booked transactions with
    their stable ids (the columns of ``transactions.parquet``) and one row per
    statement with its own balance check (``statements.parquet``).

    ``name`` is the file name the tables record (``source_file``); it
    defaults to the path's file name, or ``<bytes>``. ``rules`` reads the
    ``[bank]`` and ``[limits]`` settings (encoding, CSV profiles).

    Raises :class:`ParseError` (``code``, ``file``, ``line``, ...) when the
    parser refuses the file and :class:`RejectedFileError` when the file
    parses but is refused whole (own totals fail, unless
    ``accept_unbalanced``).
    """
    data, file_name = _read(source, name)
    return _native.parse(data, file_name, accept_unbalanced=accept_unbalanced, **_rules_args(rules))


def parse(
    source: Source,
    *,
    name: Optional[str] = None,
    rules: Rules = None,
    accept_unbalanced: bool = False,
) -> pyarrow.Table:
    """The transactions of one bank statement file as a table (the columns
    of ``transactions.parquet``); see :func:`parse_file` for the arguments
    and errors."""
    return parse_file(source, name=name, rules=rules, accept_unbalanced=accept_unbalanced)[0]


def parse_statements(
    source: Source,
    *,
    name: Optional[str] = None,
    rules: Rules = None,
    accept_unbalanced: bool = False,
) -> pyarrow.Table:
    """The statements of one bank statement file as a table (the columns of
    ``statements.parquet``); see :func:`parse_file`."""
    return parse_file(source, name=name, rules=rules, accept_unbalanced=accept_unbalanced)[1]


Extract = Union[str, "os.PathLike[str]", bytes, pyarrow.Table]


def _extract(value: Extract, default_name: str) -> Tuple[Optional[str], Optional[bytes], str]:
    if isinstance(value, (str, os.PathLike)):
        return (os.fspath(value), None, default_name)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return (None, bytes(value), default_name)
    if isinstance(value, pyarrow.Table):
        buf = io.BytesIO()
        pyarrow.parquet.write_table(value, buf)
        return (None, buf.getvalue(), default_name + ".parquet")
    raise TypeError(f"expected a path, bytes or a pyarrow.Table, not {type(value).__name__}")


def _transactions(value: Union[pyarrow.Table, Sequence[pyarrow.Table]]) -> pyarrow.Table:
    if isinstance(value, pyarrow.Table):
        return value
    if isinstance(value, pyarrow.RecordBatch):
        return pyarrow.Table.from_batches([value])
    tables = list(value)
    if not tables:
        raise InputError("no transactions table given", code="INPUT", exit_code=1)
    return pyarrow.concat_tables(tables)


def run(
    transactions: Union[pyarrow.Table, Sequence[pyarrow.Table]],
    open_items: Extract,
    customers: Optional[Extract] = None,
    rules: Rules = None,
    as_of: Union[None, str, "Any"] = None,
    *,
    statements: Optional[Union[pyarrow.Table, Sequence[pyarrow.Table]]] = None,
) -> Dict[str, pyarrow.Table]:
    """Apply cash: match the transactions against the open items and return
    every contracted output as ``{name: pyarrow.Table}`` (names in
    :data:`OUTPUTS`, in the CLI's order).

    - ``transactions``: the table :func:`parse` returns, or a list of them
      (concatenated in order, as the CLI merges files in name order).
    - ``open_items`` / ``customers``: the ERP extracts, as a path (CSV or
      Parquet, read exactly as the CLI reads it), bytes, or a
      ``pyarrow.Table`` (handed to the same reader as Parquet).
    - ``rules``: None, a dict with the rules file's tables, or a TOML path.
    - ``as_of``: the accounting date (``datetime.date`` or ``YYYY-MM-DD``);
      by default the latest booking date of the transactions.
    - ``statements``: the tables of :func:`parse_statements`, returned as
      ``statements`` (empty when not given).

    Money columns are ``decimal128(38, 4)``. Raises :class:`ConfigError`,
    :class:`InputError` (the message names the extract's file, row and
    column), :class:`InvariantError` or :class:`OutputError`.
    """
    txns = _transactions(transactions)
    as_of_text = None if as_of is None else str(as_of)
    tables = _native.run(
        txns,
        _extract(open_items, "open_items"),
        None if customers is None else _extract(customers, "customers"),
        as_of_text,
        **_rules_args(rules),
    )
    out = dict(tables)
    if statements is not None:
        given = _transactions(statements)
        if given.schema != out["statements"].schema:
            raise InputError(
                "statements: not the table parse_statements returns", code="INPUT", exit_code=1
            )
        out["statements"] = given
    return out


def to_parquet_bytes(table: pyarrow.Table) -> bytes:
    """The table as Parquet bytes, written with the CLI's pinned writer
    settings (Parquet 1.0, snappy, dictionary, chunk statistics, the same
    key-value metadata): a table :func:`run` returned gives the bytes of the
    CLI's file of the same name."""
    return _native.parquet_bytes(table.combine_chunks())


def write_parquet(table: pyarrow.Table, path: Union[str, "os.PathLike[str]"]) -> None:
    """Write ``table`` to ``path`` with the CLI's pinned writer (see
    :func:`to_parquet_bytes`)."""
    data = to_parquet_bytes(table)
    with open(path, "wb") as f:
        f.write(data)
