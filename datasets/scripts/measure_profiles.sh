#!/bin/sh
# Match quality per generator profile and seed with the current engine
# (BENCHMARKS.md, "Match quality per profile"). Usage:
#   datasets/scripts/measure_profiles.sh [OUT_DIR]   (needs a release build)
# Writes OUT_DIR/<profile>-<seed>/{data,run,eval.txt,eval.json}.
set -eu
B=${CARGO_TARGET_DIR:-target}/release/cashmatch
OUT=${1:-/tmp/cashmatch-profiles}
for profile in default other texttags; do
  for seed in 7 11 23; do
    d=$OUT/$profile-$seed
    rm -rf "$d"; mkdir -p "$d"
    "$B" generate --customers 400 --invoices 4000 --payments 3000 --seed $seed \
      --profile $profile --out "$d/data" > "$d/generate.txt"
    if [ "$profile" = texttags ]; then
      bank="$d/data/bank.bai2 $d/data/bank.mt940"
    else
      bank="$d/data/bank.csv"
    fi
    # shellcheck disable=SC2086
    "$B" run -q --no-state --no-analytics --bank $bank --open-items "$d/data/open_items.csv" \
      --customers "$d/data/customers.csv" --as-of 2026-03-31 --out "$d/run" > "$d/run.txt" 2>&1 || true
    "$B" evaluate --truth "$d/data/truth.csv" --run "$d/run" > "$d/eval.txt"
    "$B" evaluate --truth "$d/data/truth.csv" --run "$d/run" --json > "$d/eval.json"
    echo "$profile seed $seed: $(grep '^TOTAL' "$d/eval.txt" | head -1)"
  done
done
