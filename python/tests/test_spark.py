"""The Spark job (`cashmatch.spark.run`, issue 12) on a local Spark
(`local[2]`, pyspark from PyPI, a Java 17 runtime) against `cashmatch run
--partition-by` on the same generated inputs: every partition file, every
partition manifest, the statements file and the top manifest are byte for
byte the same.

Run through `cargo test --workspace --release` (tests/python_package.rs sets
CASHMATCH_BIN and CASHMATCH_REQUIRE_SPARK=1, so a missing pyspark or Java
fails there instead of skipping).
"""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """A generated set with several currencies, its statements in two bank
    files (BAI2 and MT940) in one folder."""
    data = tmp_path_factory.mktemp("spark") / "data"
    done = cli(
        "-q", "generate", "--out", str(data), "--payments", "300", "--invoices", "450",
        "--customers", "80", "--seed", "11", "--profile", "texttags",
    )
    assert done.returncode == 0, done.stderr
    bank = data / "bank"
    bank.mkdir()
    for f in list(data.iterdir()):
        if f.name.startswith("bank."):
            f.rename(bank / f.name)
    assert len(list(bank.iterdir())) >= 2
    return data


def test_spark_run_equals_the_cli_partitioned_run_byte_for_byte(spark, inputs: Path) -> None:
    root = inputs.parent
    args = dict(
        bank=str(inputs / "bank"),
        open_items=str(inputs / "open_items.csv"),
        customers=str(inputs / "customers.csv"),
    )
    done = cli(
        "-q", "run", "--bank", args["bank"], "--open-items", args["open_items"],
        "--customers", args["customers"], "--out", str(root / "cli"),
        "--partition-by", "currency",
    )
    assert done.returncode == 0, done.stderr
    result = cashmatch.spark.run(spark, out=root / "spark", partition_by="currency", **args)
    assert len(result["partitions"]) >= 2, result
    assert all(p.startswith("currency=") for p in result["partitions"])
    expected = tree(root / "cli")
    got = tree(root / "spark")
    assert sorted(got) == sorted(expected)
    for name in expected:
        assert got[name] == expected[name], name

    # The CLI checks and reproduces the Spark run's directory.
    v = cli("verify", str(root / "spark"))
    assert v.returncode == 0, v.stdout + v.stderr
    r = cli("replay", "--partition", result["partitions"][0], str(root / "spark"))
    assert r.returncode == 0, r.stdout + r.stderr

    # Run again into the same directory (a retried job): same files, no
    # strays.
    again = cashmatch.spark.run(spark, out=root / "spark", partition_by="currency", **args)
    assert again["run_id"] == result["run_id"]
    assert tree(root / "spark") == expected


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
