#!/usr/bin/env bash
# Peak resident memory of streaming 100k and 1M messages through PowerShell: it must stay flat.
#   bench/memory.sh [small] [big]        default 100000 1000000
# Measured with /usr/bin/time -f %M (peak RSS of the whole pwsh process, real pwsh), for two pipelines that decode
# and emit every message:
#   export    Get-NetlinkMessage -Path X | Export-NetlinkPcap -Path out.pcap -Force
#   summary   Get-NetlinkMessage -Path X | ForEach-Object -MemberName Summary | Out-Null
# and for NlmonPS.Bench decode --reader (the engine without PowerShell). Goal: big / small <= 1.2.
source "$(dirname "$0")/lib.sh"
small_n=${1:-100000}
big_n=${2:-1000000}
need_tools
build
small=$(capture "$small_n")
big=$(capture "$big_n")
echo "== memory: peak RSS streaming $small_n and $big_n messages"
machine

for size in small big; do
    file=${!size}
    echo "-- $file"
    measure_ps "${size}_export" "Get-NetlinkMessage -Path '$file' | Export-NetlinkPcap -Path '$work/out-memory.pcap' -Force"
    measure_ps "${size}_summary" "Get-NetlinkMessage -Path '$file' | ForEach-Object -MemberName Summary | Out-Null"
    measure "${size}_engine" -- "$bench_exe" decode --reader "$file"
done

mem_report() {   # label small_kib big_kib
    local r
    r=$(awk -v a="$3" -v b="$2" 'BEGIN { printf "%.2f", a / b }')
    echo "RATIO peak RSS $label_sizes, $1: ${r} ($(($2 / 1024)) -> $(($3 / 1024)) MiB)   (goal <= 1.2: $(awk -v r="$r" 'BEGIN { print (r <= 1.2 ? "met" : "NOT met") }'))"
}
label_sizes="$big_n / $small_n messages"
mem_report "Get-NetlinkMessage | Export-NetlinkPcap" "$small_export_rss" "$big_export_rss"
mem_report "Get-NetlinkMessage | ForEach-Object Summary" "$small_summary_rss" "$big_summary_rss"
mem_report "engine (decode --reader)" "$small_engine_rss" "$big_engine_rss"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
