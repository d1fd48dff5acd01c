#!/usr/bin/env bash
# Overhead of Trace-NetlinkCommand against the same command untraced and under strace.
#
# The workload is one shell loop that runs `ip -d link show` N times (each a fresh process: fork, exec, netlink
# dump), run four ways, ROUNDS times each:
#   untraced   sh -c LOOP
#   strace     strace -f -e trace=network -o /dev/null sh -c LOOP     (text to /dev/null, network syscalls only)
#   cmdlet     Trace-NetlinkCommand -FilePath sh -ArgumentList -c, LOOP | ForEach-Object { $n++ }
#              through src/NlmonPS.Host's nlmonps-host: every message decoded and passed down the pipeline.
#              Timed inside the host (a Stopwatch and /proc/self/stat around the pipeline, after a warm-up
#              trace of the same pipeline over 20 iterations), so the host's own start-up (loading PowerShell)
#              and first-call JIT are not counted; they are printed separately.
#   cmdlet, every syscall   the same with NLMONPS_TRACE_SECCOMP=0: the engine's fallback (and attach) mode, where
#              every syscall stops at entry and exit instead of only those the seccomp filter selects.
# Wall time, and CPU time (user + system of the whole traced tree: for strace and the cmdlet the tracer's own CPU
# plus the traced processes', which they reap). Overhead = traced - untraced. Prints each round, the medians and
# the ratios; the RATIO lines (overhead of strace / overhead of ours, like bench/lib.sh's report: >= 1 means no
# worse than strace) on wall and on CPU medians.
#
#   bench/trace-overhead.sh [N] [ROUNDS]        defaults: 200 5
#   NLMONPS_HOST=path/to/nlmonps-host bench/trace-overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
rounds=${2:-5}
host=${NLMONPS_HOST:-src/NlmonPS.Host/bin/Release/net10.0/nlmonps-host}   # the JIT-compiled host (start-up not timed)
if [[ ! -x $host ]]; then
    echo "building $host (Release)..." >&2
    dotnet build NlmonPS.slnx -c Release -nologo -v quiet >&2
fi
for tool in ip strace sh python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

loop="i=0; while [ \$i -lt $n ]; do ip -d link show >/dev/null; i=\$((i+1)); done"
warm="i=0; while [ \$i -lt 20 ]; do ip -d link show >/dev/null; i=\$((i+1)); done"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); kernel $(uname -r); $(strace -V | head -1)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

now() { date +%s.%N; }
seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

# timed COMMAND...: "wall cpu" of COMMAND and everything it waited for.
timed() {
    /usr/bin/time -f "%e %U %S" -o "$tmp" "$@"
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$tmp"
}

# cmdlet [env...]: "wall cpu messages startup" of the traced loop inside nlmonps-host.
cmdlet() {
    local t0 t1 took cpu count
    t0=$(now)
    read -r took cpu count < <(env "$@" NLMONPS_BENCH_LOOP="$loop" NLMONPS_BENCH_WARM="$warm" "$host" '
        # warm-up: the same pipeline on a short loop (JIT of the decoder paths and the script block, family list)
        Trace-NetlinkCommand -FilePath sh -ArgumentList "-c", $env:NLMONPS_BENCH_WARM | ForEach-Object { $n++ }
        function Ticks { $f = [System.IO.File]::ReadAllText("/proc/self/stat").Split(")")[1].Split(" ")
                         [long]$f[12] + [long]$f[13] + [long]$f[14] + [long]$f[15] }   # utime stime cutime cstime
        $n = 0
        $c0 = Ticks
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        Trace-NetlinkCommand -FilePath sh -ArgumentList "-c", $env:NLMONPS_BENCH_LOOP | ForEach-Object { $n++ }
        $wall = $clock.Elapsed.TotalSeconds
        $cpu = ((Ticks) - $c0) / 100.0    # USER_HZ is 100 on Linux
        "{0:F3} {1:F3} {2}" -f $wall, $cpu, $n
    ' 2>&1 | tail -1)
    t1=$(now)
    echo "$took $cpu $count $(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.3f}')" "$(seconds "$t0" "$t1")" "$took")"
}

u_w=() u_c=() s_w=() s_c=() c_w=() c_c=() e_w=() e_c=() messages=()
for ((r = 1; r <= rounds; r++)); do
    read -r w c < <(timed sh -c "$loop"); u_w+=("$w"); u_c+=("$c")
    read -r w c < <(timed strace -f -e trace=network -o /dev/null sh -c "$loop"); s_w+=("$w"); s_c+=("$c")
    read -r w c m st < <(cmdlet); c_w+=("$w"); c_c+=("$c"); messages+=("$m")
    read -r w2 c2 m2 st2 < <(cmdlet NLMONPS_TRACE_SECCOMP=0); e_w+=("$w2"); e_c+=("$c2")
    printf 'round %d (wall/cpu s): untraced %s/%s  strace %s/%s  Trace-NetlinkCommand %s/%s  every-syscall mode %s/%s  (%s and %s messages; host start-up and warm-up %ss)\n' \
        "$r" "${u_w[-1]}" "${u_c[-1]}" "${s_w[-1]}" "${s_c[-1]}" "$w" "$c" "$w2" "$c2" "$m" "$m2" "$st"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$n" "${u_w[*]}" "${u_c[*]}" "${s_w[*]}" "${s_c[*]}" "${c_w[*]}" "${c_c[*]}" "${e_w[*]}" "${e_c[*]}" "${messages[*]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
uw, uc, sw, sc, cw, cc, ew, ec = (statistics.median(float(x) for x in a.split()) for a in sys.argv[2:10])
msgs = statistics.median(int(x) for x in sys.argv[10].split())
print()
print(f"ip -d link show x {n}, median of {len(sys.argv[2].split())} rounds ({msgs:.0f} messages traced per round):")
print(f"  {'':34} {'wall':>8} {'overhead':>9} {'CPU':>8} {'overhead':>9}")
def row(name, w, c):
    ow, oc = w - uw, c - uc
    print(f"  {name:34} {w:7.3f}s {ow:8.3f}s {c:7.3f}s {oc:8.3f}s   x{w / uw:.2f} untraced wall")
row("untraced", uw, uc)
row("strace -f -e trace=network", sw, sc)
row("Trace-NetlinkCommand (seccomp)", cw, cc)
row("Trace-NetlinkCommand, every syscall", ew, ec)
def ratio(theirs, ours):
    return "n/a" if ours <= 0 else f"{theirs / ours:.2f}"
def verdict(theirs, ours):
    return "met" if ours <= 0 or theirs / ours >= 1.0 else "NOT met"
# report-style lines: strace's overhead / ours (>= 1: no worse than strace)
print(f"RATIO trace overhead vs strace: {ratio(sw - uw, cw - uw)}x wall   (goal >= 1.0x: {verdict(sw - uw, cw - uw)})")
print(f"RATIO trace overhead vs strace, CPU: {ratio(sc - uc, cc - uc)}x   (goal >= 1.0x: {verdict(sc - uc, cc - uc)})")
print(f"RATIO trace overhead vs strace, every-syscall mode: {ratio(sw - uw, ew - uw)}x wall, {ratio(sc - uc, ec - uc)}x CPU")
PY
