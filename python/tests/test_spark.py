"""The Spark job (`cashmatch.spark.run`, issue 12) on a local Spark
(`local[2]`, pyspark from PyPI, a Java 17 runtime) against `cashmatch run
--partition-by company_code,currency` on the same generated three-company
inputs: every partition file, every partition manifest, the statements file
and the top manifest are byte for byte the same. Bank charges (`[fx]` charge
tolerance) clear the same payments inside the partitions as in a plain run,
and `[intercompany] allow` is refused under a plan by company.

Run through `cargo test --workspace --release` (tests/python_package.rs sets
CASHMATCH_BIN and CASHMATCH_REQUIRE_SPARK=1, so a missing pyspark or Java
fails there instead of skipping).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cashmatch
import cashmatch.spark

BIN = os.environ.get("CASHMATCH_BIN", "cashmatch")
REQUIRED = os.environ.get("CASHMATCH_REQUIRE_SPARK") == "1"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIN, *args], capture_output=True, text=True, check=False)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def spark():
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if REQUIRED:
            raise
        pytest.skip("pyspark is not installed")
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        if REQUIRED:
            pytest.fail("no Java runtime: install openjdk-17-jre-headless")
        pytest.skip("no Java runtime")
    # The Python workers must import this package: the test's interpreter.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    builder = SparkSession.builder.master("local[2]").appName("cashmatch-test")
    for key, value in {
        **cashmatch.spark.SPARK_CONF,
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.memory": "1g",
    }.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    yield session
    session.stop()



RULES_FX = """
[fx]
bank_charges_account = "6760"
charge_max_percent = "1.5"

[fx.charge_max_amount]
EUR = "25.00"
USD = "25.00"
GBP = "20.00"
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """A generated set over three companies (`0100`, `0200`, `0300`) and
    several currencies, its bank lines split over two bank files in one
    folder (parsed by two Spark tasks), and two rules files: the
    generator's (`[intercompany] allow = true`) and `rules.toml`, the same
    without intercompany and with a bank-charge tolerance."""
    data = tmp_path_factory.mktemp("spark") / "data"
    done = cli(
        "-q", "generate", "--out", str(data), "--payments", "300", "--invoices", "450",
        "--customers", "80", "--seed", "11", "--companies", "3",
    )
    assert done.returncode == 0, done.stderr
    bank = data / "bank"
    bank.mkdir()
    header, *lines = (data / "bank.csv").read_text().splitlines(keepends=True)
    half = len(lines) // 2
    (bank / "bank_1.csv").write_text(header + "".join(lines[:half]))
    (bank / "bank_2.csv").write_text(header + "".join(lines[half:]))
    (data / "bank.csv").unlink()
    companies = (data / "companies.toml").read_text()
    assert "allow = true" in companies
    (data / "rules.toml").write_text(companies.replace("allow = true", "allow = false") + RULES_FX)
    return data


def applications(paths: list[Path], rule: str) -> list[tuple]:
    """The applications of `rule` in the given Parquet files, sorted."""
    import pyarrow.parquet as pq

    rows = []
    for p in paths:
        t = pq.read_table(p)
        for r in t.to_pylist():
            if r["rule"] == rule:
                rows.append((r["transaction_id"], r["invoice_id"], r["applied_amount"], r["writeoff_amount"]))
    return sorted(rows)


def test_spark_run_equals_the_cli_partitioned_run_byte_for_byte(spark, inputs: Path) -> None:
    root = inputs.parent
    args = dict(
        bank=str(inputs / "bank"),
        open_items=str(inputs / "open_items.csv"),
        customers=str(inputs / "customers.csv"),
        rules=str(inputs / "rules.toml"),
    )
    done = cli(
        "-q", "run", "--bank", args["bank"], "--open-items", args["open_items"],
        "--customers", args["customers"], "--config", args["rules"], "--out", str(root / "cli"),
        "--partition-by", "company_code,currency",
    )
    assert done.returncode == 0, done.stderr
    # No plan given: the default, company_code,currency.
    assert cashmatch.spark.DEFAULT_PARTITION_BY == "company_code,currency"
    result = cashmatch.spark.run(spark, out=root / "spark", **args)
    parts = result["partitions"]
    companies = {p.split("/")[0] for p in parts}
    assert companies == {"company_code=0100", "company_code=0200", "company_code=0300"}, parts
    assert len(parts) > len(companies), parts  # several currencies in a company
    assert all(p.split("/")[1].startswith("currency=") for p in parts), parts
    expected = tree(root / "cli")
    got = tree(root / "spark")
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], name
    top = json.loads(got["manifest.json"])
    assert top["partition_by"] == ["company_code", "currency"]

    # The CLI checks and reproduces the Spark run's directory.
    v = cli("verify", str(root / "spark"))
    assert v.returncode == 0, v.stdout + v.stderr
    r = cli("replay", "--partition", parts[-1], str(root / "spark"))
    assert r.returncode == 0, r.stdout + r.stderr

    # Bank charges inside partitions: the same payments cleared, with the
    # same shortfall, as a plain (unpartitioned) run of the same inputs.
    flat = cli(
        "-q", "run", "--bank", args["bank"], "--open-items", args["open_items"],
        "--customers", args["customers"], "--config", args["rules"], "--out", str(root / "flat"),
        "--no-state", "--no-analytics",
    )
    assert flat.returncode == 0, flat.stderr
    charged = applications(sorted((root / "spark" / "applications").rglob("*.parquet")), "BANK_CHARGES")
    assert charged, "no BANK_CHARGES application in the Spark run"
    assert charged == applications([root / "flat" / "applications.parquet"], "BANK_CHARGES")

    # Run again into the same directory (a retried job): same files, no
    # strays.
    again = cashmatch.spark.run(spark, out=root / "spark", **args)
    assert again["run_id"] == result["run_id"]
    assert tree(root / "spark") == expected


def test_intercompany_is_refused_under_a_company_plan(spark, inputs: Path) -> None:
    args = dict(
        bank=str(inputs / "bank"),
        open_items=str(inputs / "open_items.csv"),
        rules=str(inputs / "companies.toml"),  # [intercompany] allow = true
    )
    with pytest.raises(cashmatch.ConfigError, match=r"\[intercompany\] allow = true") as e:
        cashmatch.spark.run(spark, out=inputs.parent / "refused", **args)
    assert "--partition-by currency" in str(e.value)
    assert not (inputs.parent / "refused" / "manifest.json").exists()
    # The CLI refuses the same configuration with the same words.
    done = cli(
        "-q", "run", "--bank", args["bank"], "--open-items", args["open_items"],
        "--config", args["rules"], "--partition-by", "company_code,currency",
        "--out", str(inputs.parent / "refused_cli"),
    )
    assert done.returncode == 1
    assert str(e.value) in done.stderr


def test_the_plan_defaults_to_company_and_currency_unless_the_rules_name_one() -> None:
    from cashmatch import _native

    assert 'by = ["company_code", "currency"]' in _native.spark_config()
    assert 'by = ["currency"]' in _native.spark_config(config_toml='[partition]\nby = ["currency"]\n')
    assert 'by = ["currency"]' in _native.spark_config("currency")


def test_speculation_is_refused(spark, inputs: Path, monkeypatch) -> None:
    conf = spark.sparkContext.getConf()
    conf.set("spark.speculation", "true")

    class Ctx:
        def getConf(self):
            return conf

    class Fake:
        sparkContext = Ctx()

    with pytest.raises(cashmatch.ConfigError, match="speculation"):
        cashmatch.spark.run(Fake(), bank=str(inputs / "bank"), open_items=str(inputs / "open_items.csv"), out=inputs.parent / "x")
