#!/usr/bin/env bash
# Side by side, on the same generated files: cashmatch (full cascade and
# exact-only), DuckDB and Polars (benches/peers/exact_match.py). Prints the
# median wall time of each, its ratio to DuckDB and its peak RSS, and the
# median per-stage timings of the cashmatch runs (issue 8, target 5).
#
#   benches/compare.sh                          # 1M payments × 1.3M invoices, 3 reps
#   benches/compare.sh --payments 10000000      # 10M × 13M
#   benches/compare.sh --reps 5 --tools cashmatch-full,duckdb
#   benches/compare.sh --bin /path/to/other/cashmatch   # measure another build
#
# Options (defaults in brackets):
#   --payments N    bank lines [1000000]
#   --invoices N    open items [1.3 × payments]
#   --customers N   customers [15 % of payments]
#   --seed S        generator seed [7]
#   --reps R        repetitions per tool; medians are printed [3]
#   --tools LIST    comma-separated from cashmatch-full, cashmatch-exact,
#                   duckdb, polars [all four]
#   --bin PATH      the cashmatch binary [$CARGO_TARGET_DIR/release/cashmatch,
#                   built with `cargo build --release` when missing]
#   --before PATH   another cashmatch binary (e.g. a build of main) measured in
#                   the same repetitions, as tools before-full and before-exact
#                   (added to --tools), for a before/after under the same load
#   --data DIR      dataset folder [$CARGO_TARGET_DIR/cashmatch-bench-data/
#                   p<payments>-i<invoices>-c<customers>-s<seed>, the cache
#                   `benches/end_to_end.rs` uses; generated when incomplete]
#   --work DIR      scratch folder for outputs [/tmp/cashmatch-compare]
#
# Each repetition is its own process, so its peak RSS (GNU time's %M, the
# kernel's maxrss of the process) belongs to one tool and one run; its CPU
# time (user + system, GNU time's %U + %S) is printed too: on a shared,
# loaded machine it moves far less than wall time. cashmatch's
# time is the wall time of the whole process (`/usr/bin/time %e`: read CSV,
# match, write and fsync the seven Parquet outputs and the manifest, state
# off). The peers' time is measured inside Python around the job (CSV read
# to Parquet written), so interpreter start and imports are not counted
# against them. Peers use 2 threads; cashmatch uses every core.
#
# Needs: bash, GNU time (/usr/bin/time), python3 with duckdb and polars
# (`pip install duckdb polars pyarrow`).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

payments=1000000
invoices=""
customers=""
seed=7
reps=3
tools="cashmatch-full,cashmatch-exact,duckdb,polars"
bin=""
before=""
data=""
work="/tmp/cashmatch-compare"

while [ $# -gt 0 ]; do
    case "$1" in
        --payments) payments="$2"; shift 2 ;;
        --invoices) invoices="$2"; shift 2 ;;
        --customers) customers="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --reps) reps="$2"; shift 2 ;;
        --tools) tools="$2"; shift 2 ;;
        --bin) bin="$2"; shift 2 ;;
        --before) before="$2"; shift 2 ;;
        --data) data="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
payments="${payments//_/}"
[ -n "$invoices" ] || invoices=$((payments * 13 / 10))
[ -n "$customers" ] || customers=$((payments * 15 / 100))
[ "$customers" -ge 1 ] || customers=1
invoices="${invoices//_/}"
customers="${customers//_/}"

if [ -z "$bin" ]; then
    bin="$target/release/cashmatch"
    if [ ! -x "$bin" ]; then
        echo "building $bin ..." >&2
        (cd "$root" && cargo build --release --bin cashmatch)
    fi
fi
[ -x "$bin" ] || { echo "compare.sh: no cashmatch binary at $bin" >&2; exit 2; }
if [ -n "$before" ]; then
    [ -x "$before" ] || { echo "compare.sh: no cashmatch binary at $before" >&2; exit 2; }
    tools="$tools,before-full,before-exact"
fi
[ -x /usr/bin/time ] || { echo "compare.sh: GNU time (/usr/bin/time) is needed for peak RSS" >&2; exit 2; }

[ -n "$data" ] || data="$target/cashmatch-bench-data/p${payments}-i${invoices}-c${customers}-s${seed}"
if [ ! -e "$data/.complete" ]; then
    echo "generating $data ..." >&2
    rm -rf "$data"
    mkdir -p "$data"
    "$bin" generate --customers "$customers" --invoices "$invoices" --payments "$payments" \
        --seed "$seed" --out "$data" >&2
    touch "$data/.complete"
fi

mkdir -p "$work"
results="$work/results.tsv"
: >"$results"

# The exact-only configuration of benches/end_to_end.rs: every pass but
# exact_reference disabled.
exact_toml="$work/exact-only.toml"
{
    for pass in structured_reference fuzzy_reference reference_with_difference \
        customer_amount subset_sum many_to_many instalment; do
        printf '[matching.%s]\nenabled = false\n\n' "$pass"
    done
    printf '[matching.exact_reference]\nenabled = true\n'
} >"$exact_toml"

# run_cashmatch BINARY NAME REP [--config FILE]
run_cashmatch() {
    local exe="$1" name="$2" rep="$3"
    shift 3
    local out="$work/out-$name" log="$work/$name-$rep.log"
    rm -rf "$out"
    # Matching only: a binary that publishes the analytics set with the run
    # (issue 10) is told not to, so the figures stay comparable.
    local no_analytics=()
    if "$exe" run --help 2>/dev/null | grep -q -- --no-analytics; then
        no_analytics=(--no-analytics)
    fi
    /usr/bin/time -f "TIME %e %M %U %S" -o "$work/time" \
        "$exe" --timings run --quiet --no-state "${no_analytics[@]}" "$@" --bank "$data/bank.csv" \
        --open-items "$data/open_items.csv" --customers "$data/customers.csv" \
        --out "$out" >/dev/null 2>"$log" || {
        echo "compare.sh: cashmatch ($name) failed; see $log" >&2
        exit 1
    }
    read -r _ secs kb user sys <"$work/time"
    printf '%s\t%s\t%s\t%s\t\t%s\n' "$name" "$rep" "$secs" "$kb" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$results"
    grep '^timing ' "$log" | sed -E 's/^timing (.*[^ ]) +([0-9.]+) s$/\1\t\2/' |
        while IFS=$'\t' read -r stage s; do
            printf 'stage:%s\t%s\t%s\t%s\n' "$name" "$rep" "$stage" "$s" >>"$results"
        done
    echo "  $name #$rep: ${secs} s, peak $((kb / 1024)) MiB" >&2
}

# run_peer TOOL REP
run_peer() {
    local tool="$1" rep="$2" log="$work/$1-$2.log"
    /usr/bin/time -f "TIME %e %M %U %S" -o "$work/time" \
        python3 "$here/peers/exact_match.py" --data "$data" --reps 1 --only "$tool" \
        --out "$work/peers" >"$log" 2>&1 || {
        echo "compare.sh: $tool failed; see $log" >&2
        exit 1
    }
    local secs matches kb user sys
    read -r _ _ secs matches < <(grep '^RESULT ' "$log")
    read -r _ _ kb user sys <"$work/time"
    # The process's CPU time includes interpreter start and imports.
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$rep" "$secs" "$kb" "$matches" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$results"
    echo "  $tool #$rep: ${secs} s, peak $((kb / 1024)) MiB, $matches matches" >&2
}

echo "data: $data ($payments payments, $invoices open items, $customers customers, seed $seed)" >&2
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
IFS=',' read -r -a tool_list <<<"$tools"
# Repetitions interleave the tools, so a burst of load from elsewhere on a
# shared machine hits every tool alike rather than one.
for rep in $(seq 1 "$reps"); do
    for tool in "${tool_list[@]}"; do
        case "$tool" in
            cashmatch-full) run_cashmatch "$bin" cashmatch-full "$rep" ;;
            cashmatch-exact) run_cashmatch "$bin" cashmatch-exact "$rep" --config "$exact_toml" ;;
            before-full) run_cashmatch "$before" before-full "$rep" ;;
            before-exact) run_cashmatch "$before" before-exact "$rep" --config "$exact_toml" ;;
            duckdb|polars) run_peer "$tool" "$rep" ;;
            *) echo "compare.sh: unknown tool $tool" >&2; exit 2 ;;
        esac
    done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# With --before, the two builds must have written the same bytes.
if [ -n "$before" ]; then
    for config in full exact; do
        a="$work/out-cashmatch-$config" b="$work/out-before-$config"
        [ -d "$a" ] && [ -d "$b" ] || continue
        if (cd "$a" && sha256sum ./*.parquet) | cmp -s - <(cd "$b" && sha256sum ./*.parquet); then
            echo "outputs of $config: byte-identical to --before's" >&2
        else
            echo "outputs of $config: DIFFER from --before's:" >&2
            diff <(cd "$a" && sha256sum ./*.parquet) <(cd "$b" && sha256sum ./*.parquet) >&2 || true
        fi
    done
fi

python3 - "$results" "$payments" "$invoices" "$customers" "$seed" "$reps" \
    "$load_before" "$load_after" "$(nproc)" "$("$bin" --version)" <<'EOF'
import statistics, sys
path, payments, invoices, customers, seed, reps, load_before, load_after, nproc, version = sys.argv[1:]
tools, stages, order, stage_order = {}, {}, [], {}
for line in open(path):
    f = line.rstrip("\n").split("\t")
    if f[0].startswith("stage:"):
        name = f[0][6:]
        stage_order.setdefault(name, [])
        if f[2] not in stage_order[name]:
            stage_order[name].append(f[2])
        stages.setdefault((name, f[2]), []).append(float(f[3]))
        continue
    if f[0] not in tools:
        order.append(f[0])
        tools[f[0]] = {"secs": [], "kb": [], "matches": set(), "cpu": []}
    tools[f[0]]["secs"].append(float(f[2]))
    tools[f[0]]["kb"].append(int(f[3]))
    if len(f) > 4 and f[4]:
        tools[f[0]]["matches"].add(f[4])
    if len(f) > 5 and f[5]:
        tools[f[0]]["cpu"].append(float(f[5]))
med = {t: statistics.median(v["secs"]) for t, v in tools.items()}
duck = med.get("duckdb")
print(f"\n{int(payments):,} payments × {int(invoices):,} open items, {int(customers):,} customers, "
      f"seed {seed}; {reps} repetitions; {nproc} cores; {version}")
print(f"load average (1/5/15 min) before {load_before}, after {load_after}\n")
print("| tool | median s | runs (s) | ratio to DuckDB | CPU s (user+sys, median) | peak RSS (max of runs) |")
print("|---|---|---|---|---|---|")
for t in order:
    v = tools[t]
    ratio = f"{med[t] / duck:.1f}×" if duck else "—"
    runs = ", ".join(f"{x:.2f}" for x in v["secs"])
    note = f" ({'/'.join(sorted(v['matches']))} matches)" if v["matches"] else ""
    cpu = f"{statistics.median(v['cpu']):.1f}" if v["cpu"] else "—"
    print(f"| {t}{note} | {med[t]:.2f} | {runs} | {ratio} | {cpu} | {max(v['kb']) / 1048576:.2f} GiB |")
for name, names in stage_order.items():
    print(f"\nstages of {name} (median s of {reps}):\n")
    print("| stage | s |\n|---|---|")
    for s in names:
        print(f"| {s} | {statistics.median(stages[(name, s)]):.2f} |")
EOF
