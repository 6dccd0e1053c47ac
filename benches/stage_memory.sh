#!/usr/bin/env bash
# Resident memory per stage of one `cashmatch run`: samples the process's
# VmRSS every 50 ms and assigns each sample to the stage that was running,
# using the stage durations `--timings` prints (stages run one after another,
# so their cumulative sums place them on the process's clock). Prints, per
# stage, its wall time, the RSS when it ended and the highest RSS during it,
# then GNU time's summary of the whole process.
#
#   benches/stage_memory.sh BIN -- run -q --no-state --no-analytics --bank B \
#       --open-items O --customers C --out OUT [--config exact.toml]
#
# `--timings` is added before the subcommand. Needs Linux /proc and GNU time.
# Without `--no-analytics` the run also publishes the analytics set, which
# reads every output back as rows (issue 8: its own, larger peak; see
# BENCHMARKS.md). A binary built with `--features heap-stats` also prints
# its peak live heap (the line `heap peak live ...`), to compare with RSS.
set -euo pipefail
[ $# -ge 3 ] && [ "$2" = "--" ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
bin="$1"; shift 2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
/usr/bin/time -f "total %e s, user %U s, sys %S s, maxrss %M KB" -o "$tmp/time" \
    "$bin" --timings "$@" >/dev/null 2>"$tmp/err" &
tpid=$!
# GNU time forks the binary: sample its child.
pid=""
for _ in $(seq 1 200); do
    pid="$(pgrep -P "$tpid" || true)"
    [ -n "$pid" ] && break
    sleep 0.01
done
: >"$tmp/samples"
while [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; do
    rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
    [ -n "$rss" ] && echo "$(date +%s.%N) $rss" >>"$tmp/samples"
    sleep 0.05
done
wait "$tpid" || { cat "$tmp/err" >&2; exit 1; }
grep -v '^timing ' "$tmp/err" >&2 || true
# The process started ~when GNU time did; the first stage starts after
# argument parsing (negligible). Stages: "timing NAME SECS s".
awk -v start="$start" '
    FNR == NR { if ($1 == "timing") { n++; name[n] = $2; for (i = 3; i < NF - 1; i++) name[n] = name[n] " " $i; secs[n] = $(NF - 1) } next }
    { t = $1 - start; rss = $2 / 1048576
      acc = 0; s = n + 1
      for (i = 1; i <= n; i++) { acc += secs[i]; if (t <= acc) { s = i; break } }
      if (rss > peak[s]) peak[s] = rss; last[s] = rss }
    END {
      printf "| stage | s | RSS at end (GiB) | peak RSS during (GiB) |\n|---|---|---|---|\n"
      for (i = 1; i <= n + 1; i++) {
        label = (i <= n) ? name[i] : "(after last stage: manifest, exit)"
        printf "| %s | %s | %.2f | %.2f |\n", label, (i <= n) ? secs[i] : "", last[i], peak[i]
      }
    }' "$tmp/err" "$tmp/samples"
cat "$tmp/time"
