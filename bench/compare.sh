#!/usr/bin/env bash
# Whole-process comparisons on the same capture, each printing a ratio (see docs/performance.md).
#   bench/compare.sh [messages]     default 1000000
# Builds a big capture by repeating the real recorded traffic in tests/fixtures (rising timestamps and sequence
# numbers), then times NlmonPS against tshark and measures NlmonPS's peak memory at 100k and at the full size.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${NLMONPS_BENCH_DIR:-bench/.data}
mkdir -p "$work"
command -v tshark >/dev/null && [[ -x /usr/bin/time ]] || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tshark time >/dev/null; }
dotnet build NlmonPS.slnx -c Release -nologo -v quiet
dotnet build bench/NlmonPS.Bench -c Release -nologo -v quiet
bench=bench/NlmonPS.Bench/bin/Release/net10.0/NlmonPS.Bench
host=src/NlmonPS.Host/bin/Release/net10.0/nlmonps-host
source=${NLMONPS_BENCH_SOURCE:-tests/fixtures/native/kernel-link-addr.pcap}

big=$work/big-$n.pcap small=$work/big-100000.pcap
[[ -s $big ]] || $bench make-capture "$source" "$big" "$n"
[[ -s $small ]] || $bench make-capture "$source" "$small" 100000
records=$(tshark -r "$big" -T fields -e frame.number 2>/dev/null | wc -l)
echo "capture: $big, $n messages in $records records ($(du -h "$big" | cut -f1)), from $source"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(tshark -v 2>/dev/null | head -1); .NET $(dotnet --version)"

seconds() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc -l; }
ratio() { echo "scale=1; $1 / $2" | bc -l; }
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

echo
echo "== 1. decode every message to a complete object"
t_engine=$($bench decode "$big" | tee /dev/stderr | awk '/^records /{sub("s","",$10); print $10}')
t_onepass=$(seconds tshark -r "$big")
t_json=$(seconds sh -c "tshark -r '$big' -T json > /dev/null")
echo "NlmonPS engine ${t_engine}s, tshark one pass ${t_onepass}s, tshark -T json ${t_json}s"
echo "ratio vs tshark one pass: $(ratio "$t_onepass" "$t_engine")x   (goal >= 5x)"
echo "ratio vs tshark -T json:  $(ratio "$t_json" "$t_engine")x   (goal >= 50x)"

echo
echo "== 2. filter RTM_NEWADDR and export"
rm -f "$work"/out-*.pcap
t_ours=$(seconds $host "Get-NetlinkMessage -Path '$big' -MessageType RTM_NEWADDR | Export-NetlinkPcap -Path '$work/out-ours.pcap'")
t_where=$(seconds $host "Get-NetlinkMessage -Path '$big' | Where-Object { \$_.TypeName -eq 'RTM_NEWADDR' } | Export-NetlinkPcap -Path '$work/out-where.pcap'")
t_tshark=$(seconds tshark -r "$big" -Y 'netlink.type == 20' -w "$work/out-tshark.pcap")
echo "NlmonPS -MessageType ${t_ours}s, NlmonPS Where-Object ${t_where}s, tshark -Y -w ${t_tshark}s"
echo "ratio -MessageType vs tshark: $(ratio "$t_tshark" "$t_ours")x   (goal >= 2x)"
echo "ratio Where-Object vs tshark: $(ratio "$t_tshark" "$t_where")x"

echo
echo "== 3. peak resident memory while streaming"
m_small=$(peak $host "Get-NetlinkMessage -Path '$small' | Export-NetlinkPcap -Path '$work/out-mem.pcap' -Force")
m_big=$(peak $host "Get-NetlinkMessage -Path '$big' | Export-NetlinkPcap -Path '$work/out-mem.pcap' -Force")
echo "100k messages: ${m_small} KiB, $n messages: ${m_big} KiB, ratio $(echo "scale=2; $m_big / $m_small" | bc -l)   (goal <= 1.2)"
