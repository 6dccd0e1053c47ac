"""Parse throughput of the Python `bai2` package on the file the `stages`
bench writes (`<target>/cashmatch-bench-data/bench.bai2`), for comparison
with cashmatch's BAI2 parser (`cargo bench --bench stages -- parse/bai2`).

    pip install bai2
    python benches/peers/bai2_parse.py [--file PATH] [--reps 3]

Timed: `bai2.parse_from_string` on the decoded text (file already read, as
cashmatch's bench parses an in-memory buffer). One thread.
"""

import argparse
import os
import statistics
import time

from bai2 import bai2


def default_file():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.expanduser("~/.cache/cashmatch-target")
    return os.path.join(target, "cashmatch-bench-data", "bench.bai2")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", default=default_file())
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    with open(args.file, encoding="ascii") as f:
        text = f.read()
    mb = len(text) / 1e6
    times = []
    for _ in range(args.reps):
        t = time.perf_counter()
        parsed = bai2.parse_from_string(text, check_integrity=True)
        times.append(time.perf_counter() - t)
        n = sum(len(a.children) for g in parsed.children for a in g.children)
        del parsed
    med = statistics.median(times)
    print(
        f"python bai2: {mb:.1f} MB, {n} transactions, median {med:.2f} s over {args.reps} runs "
        f"({', '.join(f'{x:.2f}' for x in times)}) = {mb / med:.2f} MB/s"
    )


if __name__ == "__main__":
    main()
