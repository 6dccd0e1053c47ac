"""The exact-match job with DuckDB and Polars, for comparison with
`cashmatch` (benches/end_to_end.rs, configuration `exact-only`).

The job, as PERFORMANCE.md defines it: read the bank CSV and the open-item
CSV, regex-extract the invoice number from `remittance_info`, join on
invoice number + amount, write the matches as Parquet. Both peers use two
threads (the machine has two cores). Medians of `--reps` runs are printed,
each run end to end (CSV read to Parquet written).

    pip install duckdb polars
    python benches/peers/exact_match.py --data DIR [--reps 3] [--out /tmp/peers] [--only duckdb]

Each run also prints a machine-readable line `RESULT <tool> <seconds> <matches>`
(`benches/compare.sh` runs one tool and one repetition per process, so that
each process's peak RSS belongs to one tool).

DIR is a `cashmatch generate` output (or the end_to_end bench's cached
dataset under <target>/cashmatch-bench-data/).
"""

import argparse
import os
import statistics
import sys
import time

THREADS = 2
os.environ.setdefault("POLARS_MAX_THREADS", str(THREADS))

import duckdb  # noqa: E402
import polars as pl  # noqa: E402

# Invoice numbers as the generator (and most ERPs) print them.
INVOICE_RE = r"(INV-\d{4}-\d+)"


def run_duckdb(data, out):
    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    con.execute(
        f"""
        COPY (
            WITH bank AS (
                SELECT bank_reference,
                       CAST(amount AS DECIMAL(18, 2)) AS amount,
                       regexp_extract(remittance_info, '{INVOICE_RE}', 1) AS invoice_id
                FROM read_csv('{data}/bank.csv', header = true, all_varchar = true)
            ),
            items AS (
                SELECT invoice_id, customer_id,
                       CAST(amount_open AS DECIMAL(18, 2)) AS amount_open
                FROM read_csv('{data}/open_items.csv', header = true, all_varchar = true)
            )
            SELECT b.bank_reference, i.invoice_id, i.customer_id, b.amount
            FROM bank b JOIN items i
              ON b.invoice_id = i.invoice_id AND b.amount = i.amount_open
        ) TO '{out}/duckdb_matches.parquet' (FORMAT parquet)
        """
    )
    n = con.execute(
        f"SELECT count(*) FROM '{out}/duckdb_matches.parquet'"
    ).fetchone()[0]
    con.close()
    return n


def run_polars(data, out):
    cents = lambda c: (pl.col(c).str.replace(",", "").cast(pl.Float64) * 100).round().cast(pl.Int64)
    bank = pl.scan_csv(f"{data}/bank.csv", infer_schema=False).select(
        pl.col("bank_reference"),
        cents("amount").alias("cents"),
        pl.col("remittance_info").str.extract(INVOICE_RE, 1).alias("invoice_id"),
    )
    items = pl.scan_csv(f"{data}/open_items.csv", infer_schema=False).select(
        pl.col("invoice_id"),
        pl.col("customer_id"),
        cents("amount_open").alias("cents"),
    )
    matches = bank.join(items, on=["invoice_id", "cents"], how="inner")
    matches.sink_parquet(f"{out}/polars_matches.parquet")
    return pl.scan_parquet(f"{out}/polars_matches.parquet").select(pl.len()).collect().item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", default="/tmp/cashmatch-peers")
    ap.add_argument("--only", choices=["duckdb", "polars"], help="run one tool only")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    print(f"duckdb {duckdb.__version__}, polars {pl.__version__}, {THREADS} threads, data {args.data}")
    for name, job in [("duckdb", run_duckdb), ("polars", run_polars)]:
        if args.only and name != args.only:
            continue
        times = []
        for _ in range(args.reps):
            t = time.perf_counter()
            n = job(args.data, args.out)
            times.append(time.perf_counter() - t)
            print(f"RESULT {name} {times[-1]:.4f} {n}")
        print(
            f"{name:<8} median {statistics.median(times):.3f} s over {args.reps} runs "
            f"({', '.join(f'{x:.3f}' for x in times)}), {n} matches"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
