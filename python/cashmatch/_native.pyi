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
