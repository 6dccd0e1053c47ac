"""Tests of the cashmatch Python package against the CLI.

Run through `cargo test --workspace --release` (tests/python_package.rs),
which sets CASHMATCH_BIN (the `cashmatch` binary of the same build) and
CASHMATCH_REPO (the repository root).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow
import pyarrow.compute
import pytest

import cashmatch

REPO = Path(os.environ.get("CASHMATCH_REPO", Path(__file__).resolve().parents[2]))
BIN = os.environ.get("CASHMATCH_BIN", "cashmatch")
DEMO = REPO / "datasets" / "demo"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIN, *args], capture_output=True, text=True, check=False)


def cli_run(out: Path, bank: list[Path], *extra: str) -> subprocess.CompletedProcess[str]:
    return cli(
        "run",
        "--bank",
        *map(str, bank),
        "--open-items",
        str(DEMO / "open_items.csv"),
        "--customers",
        str(DEMO / "customers.csv"),
        "--out",
        str(out),
        "--no-state",
        *extra,
    )


def test_demo_tables_equal_the_cli_files_byte_for_byte(tmp_path: Path) -> None:
    done = cli_run(tmp_path / "cli", [DEMO / "bank.csv"])
    assert done.returncode == 0, done.stderr
    txns, statements = cashmatch.parse_file(DEMO / "bank.csv")
    out = cashmatch.run(
        txns,
        DEMO / "open_items.csv",
        customers=DEMO / "customers.csv",
        statements=statements,
    )
    assert tuple(out) == cashmatch.OUTPUTS
    for name, table in out.items():
        expected = (tmp_path / "cli" / f"{name}.parquet").read_bytes()
        assert cashmatch.to_parquet_bytes(table) == expected, name
    assert out["applications"].num_rows > 0
    # The written file is the same bytes.
    cashmatch.write_parquet(out["postings"], tmp_path / "postings.parquet")
    assert (tmp_path / "postings.parquet").read_bytes() == (tmp_path / "cli" / "postings.parquet").read_bytes()


def test_rules_dict_and_as_of_equal_the_cli_with_a_rules_file(tmp_path: Path) -> None:
    rules = {"differences": {"writeoff_max_amount": "20.00", "discount_grace_days": 5}}
    toml = tmp_path / "rules.toml"
    toml.write_text('[differences]\nwriteoff_max_amount = "20.00"\ndiscount_grace_days = 5\n')
    done = cli_run(tmp_path / "cli", [DEMO / "bank.csv"], "--config", str(toml), "--as-of", "2026-04-15")
    assert done.returncode == 0, done.stderr
    txns = cashmatch.parse(DEMO / "bank.csv")
    for given in (rules, toml):
        out = cashmatch.run(txns, DEMO / "open_items.csv", DEMO / "customers.csv", rules=given, as_of="2026-04-15")
        for name in ("applications", "exceptions", "postings", "open_items", "aging"):
            expected = (tmp_path / "cli" / f"{name}.parquet").read_bytes()
            assert cashmatch.to_parquet_bytes(out[name]) == expected, (given, name)


def test_money_is_decimal128_38_4() -> None:
    txns = cashmatch.parse(DEMO / "bank.csv")
    out = cashmatch.run(txns, DEMO / "open_items.csv", DEMO / "customers.csv")
    money = pyarrow.decimal128(38, 4)
    assert out["transactions"].schema.field("amount").type == money
    for column in ("applied_amount", "discount_amount", "writeoff_amount", "deduction_amount"):
        assert out["applications"].schema.field(column).type == money
    assert out["postings"].schema.field("debit").type == money
    assert out["open_items"].schema.field("amount_open_after").type == money
    # Every receipt is accounted for: applied plus unapplied is the amount.
    received = pyarrow.compute.sum(txns.column("amount")).as_py()
    applied = pyarrow.compute.sum(out["applications"].column("applied_amount")).as_py() or 0
    unapplied = pyarrow.compute.sum(out["exceptions"].column("amount")).as_py() or 0
    assert applied + unapplied == received


def bad_bank_csv(tmp_path: Path) -> Path:
    lines = (DEMO / "bank.csv").read_text().splitlines()[:5]
    fields = lines[3].split(",")
    fields[3] = "12x.50"
    lines[3] = ",".join(fields)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_bad_bank_file_raises_parse_error_with_the_cli_code_and_position(tmp_path: Path) -> None:
    bad = bad_bank_csv(tmp_path)
    with pytest.raises(cashmatch.ParseError) as caught:
        cashmatch.parse(bad)
    e = caught.value
    assert e.code == "INVALID_AMOUNT"
    assert e.file == "bad.csv"
    assert e.line == 4
    assert e.exit_code == 3
    # The CLI rejects the file with the same message and exit code.
    done = cli_run(tmp_path / "cli", [DEMO / "bank.csv", bad])
    assert done.returncode == e.exit_code, done.stderr
    assert f"rejected: {e}" in done.stderr
    # Bytes carry the name given.
    with pytest.raises(cashmatch.ParseError) as caught:
        cashmatch.parse(bad.read_bytes(), name="statement.csv")
    assert caught.value.file == "statement.csv" and caught.value.line == 4


def test_unknown_bytes_raise_unknown_format() -> None:
    with pytest.raises(cashmatch.ParseError) as caught:
        cashmatch.parse(b"hello, this is no bank statement\n", name="note.txt")
    assert caught.value.code == "UNKNOWN_FORMAT"
    assert caught.value.file == "note.txt"


def test_a_bad_open_item_extract_raises_input_error_like_the_cli(tmp_path: Path) -> None:
    lines = (DEMO / "open_items.csv").read_text().splitlines()[:4]
    lines.append("INV-X,10001,Someone,EUR,not-an-amount,1.00,2026-01-01,2026-02-01,,,")
    bad = tmp_path / "open_items_bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    txns = cashmatch.parse(DEMO / "bank.csv")
    with pytest.raises(cashmatch.InputError) as caught:
        cashmatch.run(txns, bad)
    e = caught.value
    assert e.code == "INPUT" and e.exit_code == 1
    assert "row 4" in str(e) and "amount_open" in str(e)
    done = cli("run", "--bank", str(DEMO / "bank.csv"), "--open-items", str(bad), "--out", str(tmp_path / "cli"), "--no-state")
    assert done.returncode == 1
    assert str(e) in done.stderr


def test_an_invalid_rule_raises_config_error_naming_the_key(tmp_path: Path) -> None:
    txns = cashmatch.parse(DEMO / "bank.csv")
    with pytest.raises(cashmatch.ConfigError) as caught:
        cashmatch.run(txns, DEMO / "open_items.csv", rules={"differences": {"writeoff_max_amount": "-1"}})
    assert caught.value.code == "CONFIG" and caught.value.exit_code == 1
    assert "writeoff_max_amount" in str(caught.value)


def test_a_transactions_table_without_its_columns_raises_input_error() -> None:
    table = pyarrow.table({"amount": pyarrow.array([1], pyarrow.int64())})
    with pytest.raises(cashmatch.InputError) as caught:
        cashmatch.run(table, DEMO / "open_items.csv")
    assert "transaction_id" in str(caught.value)


def readme_example() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's Python section has a ```python example"
    return match.group(1)


def test_the_readme_example_runs_verbatim() -> None:
    code = readme_example()
    assert len(code.strip().splitlines()) <= 6
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "applications" in done.stdout
