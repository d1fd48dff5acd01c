#!/usr/bin/env bash
# The pipelines users run, in real pwsh, against tshark, as CPU ratios (issue #15).
#   bench/pipelines.sh [messages]        default 1000000 (each mix)
# Two captures: the bench's mix (every fixture, interleaved) and a mix of large messages (the fixtures' records of
# 512 bytes or more: rtnetlink dumps with statistics, routes, nftables rule sets), each of [messages] messages.
# How (as the issue measures): ONE pwsh session with the module imported runs every pipeline, each timed by the
# process's own TotalProcessorTime before and after it (pwsh's start-up, ~1.4 CPU-seconds, is paid once per
# session); tshark runs as a whole process under /usr/bin/time (its start-up is ~0.2 s). The two are interleaved,
# pair after pair, in NLMONPS_BENCH_RUNS rounds (default 3), and the best of each counts. Then every pipeline again
# as a whole pwsh process (cold), best of the same rounds, reported beside.
# The outputs are checked: each pipeline that writes a pcap writes the same records, at the same timestamps, as
# the tshark command it is compared with (the script fails otherwise).
# Two floors are measured in the same session: PowerShell alone passing as many objects to Measure-Object (a cmdlet
# that writes one message N times), and reading the large mix while skipping every message. Each gives the best
# ratio its goal could reach with a reader and decoder of no cost beyond them.
# Goals: Where-Object | Export >= 1.2x tshark -Y -w; -Filter on a nested attribute >= 5x tshark -Y -w;
# -MessageType | Export >= 8x tshark -Y -w on both mixes; (Get-NetlinkMessage | Measure-Object).Count >= 3x tshark's
# one pass.
source "$(dirname "$0")/lib.sh"
n=${1:-1000000}
need_tools
build
mix=$(capture "$n")
large=$(large_capture "$n")
echo "== pipelines in real pwsh vs tshark: $n messages a mix"
machine
describe "$mix" "$n"
echo "large messages: $large: $(capinfos -c -M "$large" 2>/dev/null | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }') records, $(du -h "$large" | cut -f1)B"

# name <TAB> PowerShell pipeline <TAB> tshark name <TAB> tshark arguments (separated by \x1f)
us=$'\x1f'
out=$work/out
pairs=$work/pairs.tsv
{
    printf '%s\t%s\t%s\t%s\n' \
        count "(Get-NetlinkMessage -Path '$mix' | Measure-Object).Count" \
            tshark_one_pass "-r${us}$mix" \
        message_type "Get-NetlinkMessage -Path '$mix' -MessageType RTM_NEWADDR | Export-NetlinkPcap -Path '$out-message_type.pcap' -Force" \
            tshark_addr "-r${us}$mix${us}-Y${us}netlink-route.nltype == 20${us}-F${us}pcap${us}-w${us}$out-tshark_addr.pcap" \
        where_type "Get-NetlinkMessage -Path '$mix' | Where-Object { \$_.TypeName -eq 'RTM_NEWADDR' } | Export-NetlinkPcap -Path '$out-where_type.pcap' -Force" \
            tshark_addr "" \
        filter_type "Get-NetlinkMessage -Path '$mix' -Filter { \$_.TypeName -eq 'RTM_NEWADDR' } | Export-NetlinkPcap -Path '$out-filter_type.pcap' -Force" \
            tshark_addr "" \
        where_ifname "Get-NetlinkMessage -Path '$mix' | Where-Object { \$_.Attributes.ifname -eq 'd0' } | Export-NetlinkPcap -Path '$out-where_ifname.pcap' -Force" \
            tshark_ifname "-r${us}$mix${us}-Y${us}netlink-route.ifla_ifname == \"d0\"${us}-F${us}pcap${us}-w${us}$out-tshark_ifname.pcap" \
        filter_ifname "Get-NetlinkMessage -Path '$mix' -Filter { \$_.Attributes.ifname -eq 'd0' } | Export-NetlinkPcap -Path '$out-filter_ifname.pcap' -Force" \
            tshark_ifname "" \
        floor_count "(Write-BenchObject -InputObject \$BenchMessage -Count $n | Measure-Object).Count" \
            "" "" \
        large_count "(Get-NetlinkMessage -Path '$large' | Measure-Object).Count" \
            tshark_large_one_pass "-r${us}$large" \
        large_message_type "Get-NetlinkMessage -Path '$large' -MessageType RTM_NEWLINK | Export-NetlinkPcap -Path '$out-large_message_type.pcap' -Force" \
            tshark_large_link "-r${us}$large${us}-Y${us}netlink-route.nltype == 16${us}-F${us}pcap${us}-w${us}$out-tshark_large_link.pcap" \
        large_filter_ifname "Get-NetlinkMessage -Path '$large' -Filter { \$_.Attributes.ifname -eq 'd0' } | Export-NetlinkPcap -Path '$out-large_filter_ifname.pcap' -Force" \
            tshark_large_ifname "-r${us}$large${us}-Y${us}netlink-route.ifla_ifname == \"d0\"${us}-F${us}pcap${us}-w${us}$out-tshark_large_ifname.pcap" \
        floor_large_read "Get-NetlinkMessage -Path '$large' -Filter { \$_.TypeName -eq 'none' } | Export-NetlinkPcap -Path '$out-floor.pcap' -Force" \
            "" ""
} >"$pairs"

echo "-- warm session: $runs interleaved rounds (load average $(cut -d' ' -f1-3 /proc/loadavg))"
runs_file=$work/runs.txt
"$pwsh" -NoProfile -NonInteractive -File bench/pipelines.ps1 -Module "./$module" -Pairs "$pairs" -Rounds "$runs" -Work "$work" \
    -WarmUp "Get-NetlinkMessage -Path tests/fixtures/*.pcap | Where-Object { \$_.Attributes.ifname -eq 'lo' } | Measure-Object; Get-NetlinkMessage -Path tests/fixtures/*.pcap -Filter { \$_.Attributes.ifname -eq 'lo' } -MessageType RTM_NEWLINK | Export-NetlinkPcap -Path '$out-warmup.pcap' -Force" \
    | tee "$runs_file" | grep '^RUN' >/dev/null || { echo "the pwsh session failed" >&2; exit 1; }

best() {   # best NAME: least CPU and least wall of its runs -> NAME_cpu NAME_wall
    local cpu wall
    read -r cpu wall < <(awk -v n="$1" '$1 == "RUN" && $2 == n { if (c == "" || $3 < c) c = $3; if (w == "" || $4 < w) w = $4 } END { print c, w }' "$runs_file")
    printf -v "$1_cpu" '%s' "$cpu"; printf -v "$1_wall" '%s' "$wall"
    printf '  %-24s cpu %7.2f s   wall %7.2f s   (best of %d)\n' "$1" "$cpu" "$wall" "$runs"
}
for name in count tshark_one_pass message_type where_type filter_type tshark_addr where_ifname filter_ifname tshark_ifname \
            large_count tshark_large_one_pass large_message_type tshark_large_link large_filter_ifname tshark_large_ifname \
            floor_count floor_large_read; do
    best "$name"
done

echo "-- the same records out"
check() {   # check OURS THEIRS
    local result
    if ! result=$(same_records "$out-$1.pcap" "$out-$2.pcap" 2>&1); then
        echo "FAILED: $1 and $2 wrote different records: $result" >&2; exit 1
    fi
    printf '  %-20s vs %-20s %s\n' "$1" "$2" "$result"
}
check message_type tshark_addr
check where_type tshark_addr
check filter_type tshark_addr
check where_ifname tshark_ifname
check filter_ifname tshark_ifname
check large_message_type tshark_large_link
check large_filter_ifname tshark_large_ifname

echo "-- cold: each pipeline as a whole pwsh process (start-up included), best of $runs"
measure_ps cold_count "(Get-NetlinkMessage -Path '$mix' | Measure-Object).Count"
measure_ps cold_message_type "Get-NetlinkMessage -Path '$mix' -MessageType RTM_NEWADDR | Export-NetlinkPcap -Path '$out-cold.pcap' -Force"
measure_ps cold_where_type "Get-NetlinkMessage -Path '$mix' | Where-Object { \$_.TypeName -eq 'RTM_NEWADDR' } | Export-NetlinkPcap -Path '$out-cold.pcap' -Force"
measure_ps cold_filter_ifname "Get-NetlinkMessage -Path '$mix' -Filter { \$_.Attributes.ifname -eq 'd0' } | Export-NetlinkPcap -Path '$out-cold.pcap' -Force"
measure_ps cold_pwsh_start "Import-Module ./$module"

report "(Get-NetlinkMessage | Measure-Object).Count vs tshark one pass (warm session)" "$tshark_one_pass_cpu" "$count_cpu" 3
report "Where-Object TypeName | Export-NetlinkPcap vs tshark -Y -w (warm)" "$tshark_addr_cpu" "$where_type_cpu" 1.2
report "Where-Object Attributes.ifname | Export-NetlinkPcap vs tshark -Y -w (warm)" "$tshark_ifname_cpu" "$where_ifname_cpu" 1.2
report "-Filter Attributes.ifname (nested attribute) | Export-NetlinkPcap vs tshark -Y -w (warm)" "$tshark_ifname_cpu" "$filter_ifname_cpu" 5
report "-Filter TypeName | Export-NetlinkPcap vs tshark -Y -w (warm)" "$tshark_addr_cpu" "$filter_type_cpu"
report "-MessageType | Export-NetlinkPcap vs tshark -Y -w, bench mix (warm)" "$tshark_addr_cpu" "$message_type_cpu" 8
report "-MessageType | Export-NetlinkPcap vs tshark -Y -w, large messages (warm)" "$tshark_large_link_cpu" "$large_message_type_cpu" 8
report "-Filter Attributes.ifname vs tshark -Y -w, large messages (warm)" "$tshark_large_ifname_cpu" "$large_filter_ifname_cpu"
report "(Get-NetlinkMessage | Measure-Object).Count vs tshark one pass, large messages (warm)" "$tshark_large_one_pass_cpu" "$large_count_cpu"
# The floors: what no reader or decoder of ours can go under, as the best ratio each goal could reach.
report "floor: PowerShell alone, one object $n times | Measure-Object, vs tshark one pass (the count goal's ceiling)" "$tshark_one_pass_cpu" "$floor_count_cpu"
report "floor: reading the large mix and skipping every message, vs tshark -Y -w (the large -MessageType goal's ceiling)" "$tshark_large_link_cpu" "$floor_large_read_cpu"
report "cold: (Get-NetlinkMessage | Measure-Object).Count vs tshark one pass" "$tshark_one_pass_cpu" "$cold_count_cpu"
report "cold: -MessageType | Export-NetlinkPcap vs tshark -Y -w" "$tshark_addr_cpu" "$cold_message_type_cpu"
report "cold: Where-Object TypeName | Export-NetlinkPcap vs tshark -Y -w" "$tshark_addr_cpu" "$cold_where_type_cpu"
report "cold: -Filter Attributes.ifname | Export-NetlinkPcap vs tshark -Y -w" "$tshark_ifname_cpu" "$cold_filter_ifname_cpu"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
