#!/bin/sh
# Issue 11 combined (BENCHMARKS.md, "Issue 11 combined"): match quality on a
# generated set with everything at once: 3 companies, ~25 % of the fully
# paid referenced payments in another currency (with the rates file), ~40 %
# of the payments advised over X12 820, BAI lockbox, remt.001, camt.054 and
# a remittance CSV (`--advices-percent 65`: the percent of the payments an
# advice can state exactly, which is ~40 % of all payments), and ~3 % of the applied receipts returned, half the same
# night and half the next night. Usage:
#   datasets/scripts/measure_combined.sh [OUT_DIR] [PAYMENTS]   (needs a release build)
# Per seed (7, 11, 23): night 1 reads bank.csv and the same-night returns
# with every advice; night 2 reads the next-night returns with night 1's
# open_items.parquet and the state. `evaluate` scores night 1 (total, per
# slice: FX, advice format, company; same-night returns) and night 2 (its
# returns). Writes OUT_DIR/<seed>/{data,night1,night2,eval1.txt,eval2.txt}.
set -eu
B=${CARGO_TARGET_DIR:-target}/release/cashmatch
OUT=${1:-/tmp/cashmatch-combined}
PAYMENTS=${2:-3000}
for seed in 7 11 23; do
  d=$OUT/$seed
  rm -rf "$d"; mkdir -p "$d"
  "$B" generate --customers $((PAYMENTS * 2 / 15)) --invoices $((PAYMENTS * 4 / 3)) \
    --payments "$PAYMENTS" --seed $seed --companies 3 --fx-percent 25 \
    --advices-percent 65 --advice-formats 820,lockbox,remt001,camt054,csv \
    --returns-percent 3 --out "$d/data" > "$d/generate.txt"
  # One run config: the companies' accounts and the advices' layouts.
  cat "$d/data/companies.toml" "$d/data/remittance.toml" > "$d/data/combined.toml"
  "$B" run -q --no-analytics --state "$d/state" \
    --bank "$d/data/bank.csv" "$d/data/returns/same_night.csv" \
    --open-items "$d/data/open_items.csv" --customers "$d/data/customers.csv" \
    --config "$d/data/combined.toml" --rates "$d/data/rates.csv" \
    --remittance "$d/data/remittance" --as-of 2026-03-31 --out "$d/night1" \
    > "$d/night1.txt" 2>&1 || true
  "$B" run -q --no-analytics --state "$d/state" \
    --bank "$d/data/returns/next_night.csv" \
    --open-items "$d/night1/open_items.parquet" --customers "$d/data/customers.csv" \
    --config "$d/data/combined.toml" --rates "$d/data/rates.csv" \
    --as-of 2026-04-01 --out "$d/night2" > "$d/night2.txt" 2>&1 || true
  "$B" evaluate --truth "$d/data/truth.csv" --run "$d/night1" > "$d/eval1.txt"
  "$B" evaluate --truth "$d/data/truth.csv" --run "$d/night1" --json > "$d/eval1.json"
  "$B" evaluate --truth "$d/data/truth.csv" --run "$d/night2" > "$d/eval2.txt"
  echo "seed $seed: $(grep '^TOTAL' "$d/eval1.txt" | head -1)"
  grep -E '^(fx|same_currency|advice:|no_advice|company:)' "$d/eval1.txt" | sed 's/^/  /'
  echo "  night 1 $(grep '^returns:' "$d/eval1.txt")"
  echo "  night 2 $(grep '^returns:' "$d/eval2.txt")"
done
