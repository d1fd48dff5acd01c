#!/usr/bin/env bash
# Overhead of Trace-NetlinkCommand against the same command untraced and under strace.
#
# The workload is one shell loop that runs `ip -d link show` N times (each a fresh process: fork, exec, netlink
# dump), run three ways, ROUNDS times each:
#   untraced   sh -c LOOP
#   strace     strace -f -e trace=network -o /dev/null sh -c LOOP     (text to /dev/null, network syscalls only)
#   cmdlet     Trace-NetlinkCommand -FilePath sh -ArgumentList -c, LOOP | ForEach-Object { $n++ }
#              through src/NlmonPS.Host's nlmonps-host: every message decoded and passed down the pipeline.
#              Timed inside the host (a Stopwatch around the pipeline, after a warm-up trace), so the host's
#              own start-up (loading PowerShell) is not counted; it is printed separately.
# Prints each round, the medians, and the ratios.
#
#   bench/trace-overhead.sh [N] [ROUNDS]        defaults: 200 3
#   NLMONPS_HOST=path/to/nlmonps-host bench/trace-overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
rounds=${2:-3}
host=${NLMONPS_HOST:-src/NlmonPS.Host/bin/Release/net10.0/nlmonps-host}
if [[ ! -x $host ]]; then
    echo "building $host (Release)..." >&2
    dotnet build NlmonPS.slnx -c Release -nologo -v quiet >&2
fi
for tool in ip strace sh python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

loop="i=0; while [ \$i -lt $n ]; do ip -d link show >/dev/null; i=\$((i+1)); done"

now() { date +%s.%N; }
seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

untraced=() straced=() cmdlet=() messages=() startup=()
for ((r = 1; r <= rounds; r++)); do
    t0=$(now); sh -c "$loop"; t1=$(now)
    untraced+=("$(seconds "$t0" "$t1")")

    t0=$(now); strace -f -e trace=network -o /dev/null sh -c "$loop"; t1=$(now)
    straced+=("$(seconds "$t0" "$t1")")

    t0=$(now)
    read -r took count < <(NLMONPS_BENCH_LOOP="$loop" "$host" '
        $null = Trace-NetlinkCommand -FilePath ip -ArgumentList link, show   # warm-up: JIT, family list
        $n = 0
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        Trace-NetlinkCommand -FilePath sh -ArgumentList "-c", $env:NLMONPS_BENCH_LOOP | ForEach-Object { $n++ }
        "{0:F3} {1}" -f $clock.Elapsed.TotalSeconds, $n
    ' 2>&1 | tail -1)
    t1=$(now)
    cmdlet+=("$took")
    messages+=("$count")
    startup+=("$(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.3f}')" "$(seconds "$t0" "$t1")" "$took")")
    printf 'round %d: untraced %ss  strace %ss  Trace-NetlinkCommand %ss (%s messages; host start-up and warm-up %ss)\n' \
        "$r" "${untraced[-1]}" "${straced[-1]}" "${cmdlet[-1]}" "${messages[-1]}" "${startup[-1]}"
done

python3 - "$n" "${untraced[*]}" "${straced[*]}" "${cmdlet[*]}" "${messages[*]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
u, s, c = ([float(x) for x in a.split()] for a in sys.argv[2:5])
msgs = [int(x) for x in sys.argv[5].split()]
mu, ms, mc = statistics.median(u), statistics.median(s), statistics.median(c)
print()
print(f"ip -d link show x {n}, median of {len(u)} rounds ({statistics.median(msgs):.0f} messages traced per round):")
print(f"  untraced               {mu:7.3f} s   {mu / n * 1000:6.2f} ms per ip")
print(f"  strace -f (network)    {ms:7.3f} s   {ms / n * 1000:6.2f} ms per ip   x{ms / mu:.2f} untraced")
print(f"  Trace-NetlinkCommand   {mc:7.3f} s   {mc / n * 1000:6.2f} ms per ip   x{mc / mu:.2f} untraced, x{mc / ms:.2f} strace")
PY
