"""What one Spark partition task costs, as a function of its payments and
open items (SCALING.md, "Measured inputs").

For each size it generates a one-company dataset (`cashmatch generate`),
turns it into the interchange tables a Spark task receives (the parse and
open-item tasks of `cashmatch.spark`), saves them as Arrow IPC files, then
runs the partition kernel (`_native.spark_partition`, what
`cogroup(...).applyInArrow` calls) in a fresh Python process, as a Spark
Python worker would, and records:

- CPU seconds of the kernel call (user + system, every thread);
- the worker's peak resident memory (the task's whole footprint: Python,
  pyarrow, the module, the two input tables, the customer master it reads,
  the engine and the encoded Parquet it returns);
- the interchange bytes per row: in memory (Arrow) and as an Arrow IPC
  stream with and without LZ4, the forms a shuffle moves.

Then it fits `cost = a + b * payments + c * open_items` by least squares
over the sizes (payments and open items are varied independently, so the
two slopes are separable) and prints a Markdown table for SCALING.md.

Usage (from the repository root, with the package installed in the venv):

    python python/bench/partition_scaling.py --cashmatch target/release/cashmatch \
        --work /tmp/scaling [--sizes 20000:26000,40000:52000,80000:104000,20000:80000,40000:160000,80000:320000]

A size is `payments:open_items`; customers are 15 % of the payments (the
ratio of BENCHMARKS.md's 100k set). The datasets are kept in `--work` and
reused when present.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_SIZES = "20000:26000,40000:52000,80000:104000,20000:80000,40000:160000,80000:320000"


def generate(bin_: str, out: Path, payments: int, items: int, seed: int) -> None:
    if (out / "bank.csv").exists():
        return
    customers = max(200, payments * 15 // 100)
    subprocess.run(
        [bin_, "-q", "generate", "--out", str(out), "--payments", str(payments),
         "--invoices", str(items), "--customers", str(customers), "--seed", str(seed)],
        check=True,
    )


def prepare(data: Path, plan: str) -> dict:
    """The interchange tables of `data` as one partition (IPC files in
    `data/task/`), plus what the run plan says."""
    import pyarrow as pa

    from cashmatch import _native

    task = data / "task"
    task.mkdir(exist_ok=True)
    cfg = _native.spark_config(plan)
    out = str(data / "out")
    txns, _stmts, file_meta = _native.spark_parse(str(data / "bank.csv"), "bank.csv", out, 0, cfg, False)
    items, items_meta = _native.spark_items(str(data / "open_items.csv"), out, cfg)
    customers_meta = _native.spark_customers(str(data / "customers.csv"), out, cfg)
    run_id, as_of, _inputs = _native.spark_plan([file_meta], items_meta, customers_meta, cfg, None, False)
    parts = set(txns.column("_partition").to_pylist()) | set(items.column("_partition").to_pylist())
    assert len(parts) == 1, f"expected one partition, got {sorted(parts)}"
    sizes = {}
    for name, table in (("transactions", txns), ("open_items", items)):
        for codec in (None, "lz4"):
            opts = pa.ipc.IpcWriteOptions(compression=codec)
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema, options=opts) as w:
                w.write_table(table)
            data_bytes = sink.getvalue()
            sizes[f"{name}_ipc_{codec or 'plain'}"] = data_bytes.size / table.num_rows
            if codec is None:
                (task / f"{name}.arrow").write_bytes(data_bytes.to_pybytes())
        sizes[f"{name}_arrow_memory"] = table.nbytes / table.num_rows
    spec = {
        "partition": parts.pop(),
        "cfg": cfg,
        "run_id": run_id,
        "as_of": as_of,
        "customers": str(data / "customers.csv"),
        "payments": txns.num_rows,
        "open_items": items.num_rows,
        "bytes_per_row": sizes,
    }
    (task / "spec.json").write_text(json.dumps(spec))
    return spec


def task(task_dir: Path) -> None:
    """The child: one partition task, measured."""
    import pyarrow as pa

    from cashmatch import _native

    spec = json.loads((task_dir / "spec.json").read_text())
    txns = pa.ipc.open_stream(pa.py_buffer((task_dir / "transactions.arrow").read_bytes())).read_all()
    items = pa.ipc.open_stream(pa.py_buffer((task_dir / "open_items.arrow").read_bytes())).read_all()
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    files, _manifest, _entry = _native.spark_partition(
        spec["partition"], txns, items, spec["customers"], spec["cfg"], spec["run_id"], spec["as_of"], False
    )
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "wall_s": wall,
        "peak_rss_mib": after.ru_maxrss / 1024,  # Linux: KiB
        "output_bytes": sum(len(b) for _p, b, _r in files),
    }))


def fit(rows: list[dict], key: str) -> tuple[float, float, float]:
    """Least squares `key = a + b * payments + c * open_items` (normal
    equations, 3x3, solved by Gaussian elimination)."""
    xs = [(1.0, float(r["payments"]), float(r["open_items"])) for r in rows]
    ys = [float(r[key]) for r in rows]
    m = [[sum(x[i] * x[j] for x in xs) for j in range(3)] + [sum(x[i] * y for x, y in zip(xs, ys))] for i in range(3)]
    for col in range(3):
        pivot = max(range(col, 3), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(3):
            if r != col:
                f = m[r][col] / m[col][col]
                m[r] = [a - f * b for a, b in zip(m[r], m[col])]
    return tuple(m[i][3] / m[i][i] for i in range(3))  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cashmatch", required=True, help="the cashmatch binary (generate)")
    ap.add_argument("--work", required=True, type=Path, help="folder for the datasets")
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="payments:open_items,...")
    ap.add_argument("--reps", type=int, default=1, help="runs per size (the median is kept)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--task", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.task:
        task(args.task)
        return
    rows = []
    for size in args.sizes.split(","):
        p, i = (int(v) for v in size.split(":"))
        data = args.work / f"p{p}_i{i}"
        generate(args.cashmatch, data, p, i, args.seed)
        spec = prepare(data, "company_code")
        runs = []
        for _ in range(args.reps):
            out = subprocess.run(
                [sys.executable, __file__, "--cashmatch", args.cashmatch, "--work", str(args.work), "--task", str(data / "task")],
                check=True, capture_output=True, text=True,
            )
            runs.append(json.loads(out.stdout))
        runs.sort(key=lambda r: r["cpu_s"])
        row = {"payments": spec["payments"], "open_items": spec["open_items"], **runs[len(runs) // 2], **spec["bytes_per_row"]}
        print(json.dumps(row), file=sys.stderr, flush=True)
        rows.append(row)
    load = os.getloadavg()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
          f"Python {platform.python_version()}, load average {load[0]:.1f} at the end\n")
    print("| payments | open items | kernel CPU s | wall s | task peak RSS MiB | outputs MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['payments']:,} | {r['open_items']:,} | {r['cpu_s']:.2f} | {r['wall_s']:.2f} | "
              f"{r['peak_rss_mib']:.0f} | {r['output_bytes'] / 1e6:.1f} |")
    print()
    for key, unit, scale in (("cpu_s", "CPU s", 1.0), ("peak_rss_mib", "MiB", 1.0)):
        a, b, c = fit(rows, key)
        worst = max(abs(a + b * r["payments"] + c * r["open_items"] - r[key]) / r[key] for r in rows)
        print(f"fit {key}: {a * scale:.3f} {unit} + {b * 1e6 * scale:.2f} {unit} per million payments "
              f"+ {c * 1e6 * scale:.2f} {unit} per million open items (largest residual {worst:.0%})")
    print()
    per = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0] if k.endswith(("_plain", "_lz4", "_memory"))}
    for k, v in sorted(per.items()):
        print(f"bytes per row {k}: {v:.0f} (= {v:.0f} MB per million rows)")


if __name__ == "__main__":
    main()
