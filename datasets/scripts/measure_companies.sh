#!/bin/sh
# Match quality on generated multi-company sets (BENCHMARKS.md, "Legal
# entities"). Usage: datasets/scripts/measure_companies.sh [OUT_DIR]
# (needs a release build). Per seed: the set spread over 3 companies with 5 %
# of the paying payments sent to another company's account, run with its
# companies.toml (`allow`: intercompany application allowed) and with
# `allow = false` (`strict`: those payments become OTHER_COMPANY_INVOICE
# exceptions), and the same set generated without companies (`single`).
set -eu
B=${CARGO_TARGET_DIR:-target}/release/cashmatch
OUT=${1:-/tmp/cashmatch-companies}
for seed in 7 11 23; do
  d=$OUT/$seed
  rm -rf "$d"; mkdir -p "$d"
  "$B" generate --customers 400 --invoices 4000 --payments 3000 --seed $seed \
    --companies 3 --out "$d/data" > "$d/generate.txt"
  "$B" generate --customers 400 --invoices 4000 --payments 3000 --seed $seed \
    --out "$d/single-data" > /dev/null
  sed 's/^allow = true/allow = false/' "$d/data/companies.toml" > "$d/data/strict.toml"
  for v in single allow strict; do
    data=$d/data; cfg=$d/data/companies.toml
    [ $v = single ] && data=$d/single-data && cfg=/dev/null
    [ $v = strict ] && cfg=$d/data/strict.toml
    "$B" run -q --no-state --no-analytics --bank "$data/bank.csv" \
      --open-items "$data/open_items.csv" --customers "$data/customers.csv" \
      --config "$cfg" --as-of 2026-03-31 --out "$d/run-$v" > "$d/run-$v.txt" 2>&1 || true
    "$B" evaluate --truth "$data/truth.csv" --run "$d/run-$v" > "$d/eval-$v.txt"
    echo "seed $seed $v: $(grep '^TOTAL' "$d/eval-$v.txt" | head -1)"
  done
  echo "seed $seed: $(grep '^companies' "$d/generate.txt")"
done
