"""Type stub of the native module (see cashmatch/__init__.py for the API)."""

from typing import List, Optional, Tuple

import pyarrow

ENGINE_VERSION: str

def parse(
    data: bytes,
    name: str,
    config_path: Optional[str] = None,
    config_toml: Optional[str] = None,
    config_json: Optional[str] = None,
    accept_unbalanced: bool = False,
) -> Tuple[pyarrow.Table, pyarrow.Table]: ...
def run(
    transactions: pyarrow.Table,
    open_items: Tuple[Optional[str], Optional[bytes], str],
    customers: Optional[Tuple[Optional[str], Optional[bytes], str]] = None,
    as_of: Optional[str] = None,
    config_path: Optional[str] = None,
    config_toml: Optional[str] = None,
    config_json: Optional[str] = None,
) -> List[Tuple[str, pyarrow.Table]]: ...
def parquet_bytes(table: pyarrow.Table) -> bytes: ...

# The Spark job's kernel calls (cashmatch.spark, issue 12).
def spark_config(
    partition_by: Optional[str] = None,
    config_path: Optional[str] = None,
    config_toml: Optional[str] = None,
    config_json: Optional[str] = None,
) -> str: ...
def spark_discover(paths: List[str]) -> List[Tuple[str, str]]: ...
def spark_parse(
    path: str, name: str, out: str, file_index: int, config_toml: str, accept_unbalanced: bool
) -> Tuple[pyarrow.Table, pyarrow.Table, str]: ...
def spark_items(path: str, out: str, config_toml: str) -> Tuple[pyarrow.Table, str]: ...
def spark_customers(path: str, out: str, config_toml: str) -> str: ...
def spark_plan(
    files: List[str],
    items: str,
    customers: Optional[str],
    config_toml: str,
    as_of: Optional[str] = None,
    accept_unbalanced: bool = False,
) -> Tuple[str, str, str]: ...
def spark_partition(
    partition: str,
    transactions: pyarrow.Table,
    items: pyarrow.Table,
    customers_path: Optional[str],
    config_toml: str,
    run_id: str,
    as_of: str,
    accept_unbalanced: bool = False,
) -> Tuple[List[Tuple[str, bytes, int]], Tuple[str, bytes], str]: ...
def spark_statements(tables: List[pyarrow.Table]) -> Tuple[str, bytes, int]: ...
def spark_top_manifest(
    run_id: str,
    as_of: str,
    config_toml: str,
    run_inputs: str,
    statements: Tuple[str, bytes, int],
    entries: List[str],
    accept_unbalanced: bool = False,
) -> bytes: ...
