"""Shuffle volume of a `cashmatch.spark.run`, as Spark counts it
(SCALING.md, "Shuffle volume per million rows").

Runs the Spark job on a local Spark (`local[2]`, UI on so its REST API can
be read) over one generated dataset, partitioned by `--partition-by`, then
reads every stage's `shuffleWriteBytes` and `shuffleWriteRecords` from
`/api/v1/applications/<id>/stages`: the bytes the cogroup moves (Spark's
own row format, LZ4-compressed shuffle blocks, the defaults), per
transaction and per open item.

Usage (from the repository root, the package and pyspark installed):

    python python/bench/spark_shuffle.py --data /tmp/scaling/p40000_i52000 --out /tmp/shuffle-run

`--data` holds `bank.csv`, `open_items.csv` and `customers.csv` (e.g. one
of `partition_scaling.py`'s datasets, or `cashmatch generate`'s output).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import urllib.request
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--partition-by", default="currency")
    args = ap.parse_args()

    from pyspark.sql import SparkSession

    import cashmatch.spark

    os.environ["PYSPARK_PYTHON"] = sys.executable
    builder = SparkSession.builder.master("local[2]").appName("cashmatch-shuffle")
    for k, v in {**cashmatch.spark.SPARK_CONF, "spark.ui.enabled": "true", "spark.ui.port": "4047",
                 "spark.sql.shuffle.partitions": "4", "spark.driver.memory": "2g"}.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    try:
        shutil.rmtree(args.out, ignore_errors=True)
        started = time.perf_counter()
        result = cashmatch.spark.run(
            spark, bank=str(args.data / "bank.csv"), open_items=str(args.data / "open_items.csv"),
            customers=str(args.data / "customers.csv"), out=args.out, partition_by=args.partition_by,
        )
        wall = time.perf_counter() - started
        app = spark.sparkContext.applicationId
        url = f"{spark.sparkContext.uiWebUrl}/api/v1/applications/{app}/stages"
        stages = json.load(urllib.request.urlopen(url))
    finally:
        spark.stop()
    top = json.loads((args.out / "manifest.json").read_text())
    txns = top["counts"]["transactions"]
    items = top["counts"]["open_items"]
    written = [s for s in stages if s.get("shuffleWriteBytes", 0) > 0]
    total = sum(s["shuffleWriteBytes"] for s in written)
    records = sum(s["shuffleWriteRecords"] for s in written)
    print(f"partitions: {len(result['partitions'])} ({args.partition_by}); wall {wall:.1f} s")
    print(f"transactions {txns:,}, open items {items:,}")
    for s in sorted(written, key=lambda s: s["stageId"]):
        print(f"  stage {s['stageId']}: {s['shuffleWriteRecords']:,} records, {s['shuffleWriteBytes']:,} bytes "
              f"({s['shuffleWriteBytes'] / max(1, s['shuffleWriteRecords']):.0f} B/record) {s['name'][:60]}")
    print(f"shuffle written: {total:,} bytes for {records:,} records = "
          f"{total / max(1, records):.0f} B per row = {total / max(1, records):.0f} MB per million rows")


if __name__ == "__main__":
    main()
