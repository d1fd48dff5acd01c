#!/usr/bin/env bash
# Every whole-process comparison on the same big capture, then the ratios together (see docs/performance.md).
#   bench/compare.sh [messages]     default 1000000
# Runs bench/decode.sh, bench/pipelines.sh (every PowerShell pipeline in real pwsh) and bench/memory.sh. Not included: bench/live-storm.sh (needs the kernel/
# rig) and bench/trace-overhead.sh (Trace-NetlinkCommand vs strace).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
bench/decode.sh "$n" | tee -a "$out"
NLMONPS_BENCH_NO_BUILD=1 bench/pipelines.sh "$n" | tee -a "$out"
NLMONPS_BENCH_NO_BUILD=1 bench/memory.sh 100000 "$n" | tee -a "$out"
echo
echo "== ratios"
grep '^RATIO' "$out" | sed 's/^RATIO /  /'
